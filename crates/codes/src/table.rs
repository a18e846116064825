//! The one table: every registered code teapot knows, in ascending order.
//!
//! Reason phrases are those of our user's table (the phrase teapot writes on
//! the wire); where IANA's current registry names a code differently, that
//! name is kept in `iana_reason`. Summaries and descriptions are teapot's own
//! words; the facts behind them come from the RFC sections cited per entry.

use crate::{
    Action, Caching, Connection, Content, Entry, HeaderRule, Level, Rules, Source, Standing,
};

const fn rfc(n: u16, section: &'static str) -> Source {
    Source::rfc(n, section)
}

const fn h(name: &'static str, level: Level, why: &'static str) -> HeaderRule {
    HeaderRule { name, level, why }
}

const fn rules(
    content: Content,
    headers: &'static [HeaderRule],
    caching: Caching,
    action: Action,
) -> Rules {
    Rules {
        content,
        headers,
        connection: Connection::Keep,
        caching,
        action,
    }
}

const fn entry(
    code: u16,
    reason: &'static str,
    summary: &'static str,
    description: &'static str,
    source: Source,
    rules: Rules,
) -> Entry {
    Entry {
        code,
        reason,
        iana_reason: None,
        summary,
        description,
        source,
        standing: Standing::Active,
        in_table: true,
        rules,
    }
}

impl Entry {
    const fn iana(mut self, name: &'static str) -> Entry {
        self.iana_reason = Some(name);
        self
    }

    const fn standing(mut self, standing: Standing) -> Entry {
        self.standing = standing;
        self
    }

    const fn outside_table(mut self) -> Entry {
        self.in_table = false;
        self
    }

    const fn connection(mut self, connection: Connection) -> Entry {
        self.rules.connection = connection;
        self
    }
}

use Action::*;
use Caching::{Explicit, Heuristic, Never as NoStore};
use Content::{Allowed, Empty, Never};
use Level::{May, Must, Should};

const NONE: &[HeaderRule] = &[];
const INTERIM: Rules = rules(Never, NONE, NoStore, AwaitFinal);

/// Every entry, sorted by code. `lookup` relies on the order.
pub static TABLE: [Entry; 63] = [
    // 1xx
    entry(
        100,
        "Continue",
        "Headers accepted; go ahead and send the request body.",
        "An interim answer to a request that announced its body with `Expect: 100-continue`: the \
         server has read the header section, found nothing to refuse, and invites the client to \
         send the content. The final response comes after the body.",
        rfc(9110, "15.2.1"),
        INTERIM,
    ),
    entry(
        101,
        "Switching Protocols",
        "The connection changes to the protocol the client asked for in Upgrade.",
        "The server agrees to an `Upgrade` the client offered. The response names the new \
         protocol in `Upgrade`; every byte after its blank line belongs to that protocol. A \
         server may only switch to something the client listed, and never over HTTP/2.",
        rfc(9110, "15.2.2"),
        rules(
            Never,
            &[
                h("Upgrade", Must, "names the protocol being switched to"),
                h("Connection", Must, "must list `upgrade` alongside Upgrade"),
            ],
            NoStore,
            SwitchProtocols,
        ),
    )
    .connection(Connection::Switch),
    entry(
        102,
        "Processing",
        "Still working on it; the final response will follow.",
        "An interim answer that keeps a client from timing out while a long operation runs. It \
         carries no result; one or more may be sent before the final response. Defined by the \
         first WebDAV specification and dropped from its successor, but still registered.",
        rfc(2518, "10.1"),
        INTERIM,
    ),
    entry(
        103,
        "Early Hints",
        "Header fields the final response will likely carry, sent ahead of it.",
        "An interim answer that lets a client start work early, most often preloading resources \
         named in `Link` fields, while the server is still preparing the final response. The \
         hints describe the final response, not the 103 itself.",
        rfc(8297, "2"),
        rules(
            Never,
            &[h("Link", May, "preload hints for the final response")],
            NoStore,
            AwaitFinal,
        ),
    )
    .outside_table(),
    // 2xx
    entry(
        200,
        "OK",
        "The request succeeded.",
        "The ordinary success. What the content means depends on the method: the representation \
         for GET, the outcome of the action for POST, PUT or DELETE, nothing at all for HEAD.",
        rfc(9110, "15.3.1"),
        rules(Allowed, NONE, Heuristic, Accept),
    ),
    entry(
        201,
        "Created",
        "A new resource was created.",
        "The request made one or more new resources. `Location` names the main one; without it \
         the target URI itself is the new resource. Validators sent with it describe the new \
         representation. A PUT that creates its target must answer 201.",
        rfc(9110, "15.3.2"),
        rules(
            Allowed,
            &[h(
                "Location",
                Should,
                "names the created resource when it is not the target",
            )],
            Explicit,
            Accept,
        ),
    ),
    entry(
        202,
        "Accepted",
        "Accepted for later processing; the outcome is not known yet.",
        "The request was queued rather than carried out. HTTP has no way to report the outcome \
         later, so the response should describe the current state and point to a monitor the \
         client can poll.",
        rfc(9110, "15.3.3"),
        rules(
            Allowed,
            &[h("Location", May, "a status monitor to poll")],
            Explicit,
            Poll,
        ),
    ),
    entry(
        203,
        "Non-Authoritative Information",
        "A 200 whose content an intermediary has transformed.",
        "Sent by a transforming proxy in place of the origin's 200 when it changed the content \
         (recompressed an image, say), so the client knows this is not exactly what the origin \
         sent. Origin servers have no reason to send it.",
        rfc(9110, "15.3.4"),
        rules(Allowed, NONE, Heuristic, Accept),
    ),
    entry(
        204,
        "No Content",
        "Done; there is nothing to send back.",
        "The request succeeded and the response ends at its header section: no content, no \
         Content-Length, no Transfer-Encoding. Header fields describe the target after the \
         action, such as a new ETag after a PUT. Common for DELETE and for saves in editors.",
        rfc(9110, "15.3.5"),
        rules(Never, NONE, Heuristic, Accept),
    ),
    entry(
        205,
        "Reset Content",
        "Done; clear the form or view that sent the request.",
        "Tells the client to reset the document view, typically an input form, so the user can \
         enter another record. The server must not send content, yet the message is framed as \
         usual, which in practice means `Content-Length: 0`.",
        rfc(9110, "15.3.6"),
        rules(Empty, NONE, Explicit, ResetView),
    ),
    entry(
        206,
        "Partial Content",
        "Here are the requested byte ranges of the resource.",
        "The answer to a satisfiable `Range` request. One range comes with `Content-Range` giving \
         its position and the full length; several come as `multipart/byteranges`, each part with \
         its own Content-Range and none at the top level.",
        rfc(9110, "15.3.7"),
        rules(
            Allowed,
            &[h(
                "Content-Range",
                Must,
                "on a single-part response (a multipart one carries it in each part)",
            )],
            Heuristic,
            Accept,
        ),
    ),
    entry(
        207,
        "Multi-Status",
        "Several results, one per resource, in an XML body.",
        "A WebDAV answer for operations that touch many resources (PROPFIND, PROPPATCH, a COPY \
         of a collection). The body is a `DAV:multistatus` document with a status for each \
         resource; the 207 itself only says to read it.",
        rfc(4918, "11.1"),
        rules(
            Allowed,
            &[h("Content-Type", Should, "application/xml or text/xml")],
            Explicit,
            Accept,
        ),
    ),
    entry(
        208,
        "Already Reported",
        "This binding was listed earlier in the same multistatus.",
        "Used inside a 207 body when a collection reachable through several bindings has been \
         reported once already, so its members are not listed again. Only for clients that \
         announced `DAV: bind`; others get 508 for a loop.",
        rfc(5842, "7.1"),
        rules(Allowed, NONE, Explicit, Accept),
    )
    .standing(Standing::Experimental),
    entry(
        226,
        "IM Used",
        "A delta or other instance manipulation of the resource, not the full resource.",
        "The answer to a GET that offered instance manipulations in `A-IM` (delta encoding, for \
         instance). `IM` names what was applied and `ETag` identifies the current instance the \
         client will have after applying it to its cached copy.",
        rfc(3229, "10.4.1"),
        rules(
            Allowed,
            &[
                h("ETag", Must, "identifies the current instance"),
                h("IM", Should, "names the manipulations applied"),
            ],
            Explicit,
            Accept,
        ),
    ),
    // 3xx
    entry(
        300,
        "Multiple Choices",
        "Several representations are available; choose one.",
        "The target has more than one representation, each with its own URI, and the server \
         leaves the choice to the client. The content should list them (Link headers with \
         `rel=alternate` are one way); a preferred one may be named in Location.",
        rfc(9110, "15.4.1"),
        rules(
            Allowed,
            &[h("Location", Should, "when one choice is preferred")],
            Heuristic,
            Choose,
        ),
    ),
    entry(
        301,
        "Moved Permanently",
        "The resource has a new permanent URI.",
        "Follow `Location` now and use the new URI from now on. For historical reasons clients \
         may turn a POST into a GET when following it; use 308 to forbid that.",
        rfc(9110, "15.4.2"),
        rules(
            Allowed,
            &[h("Location", Should, "the new URI")],
            Heuristic,
            FollowMayUseGet,
        ),
    ),
    entry(
        302,
        "Found",
        "The resource is temporarily at another URI.",
        "Follow `Location` for this request but keep using the original URI. Clients may turn a \
         POST into a GET when following it; use 307 to forbid that.",
        rfc(9110, "15.4.3"),
        rules(
            Allowed,
            &[h("Location", Should, "the temporary URI")],
            Explicit,
            FollowMayUseGet,
        ),
    ),
    entry(
        303,
        "See Other",
        "See another resource for the result, fetched with GET.",
        "Points the client to a different resource, to be retrieved with GET whatever the \
         original method was. The usual ending of a form POST (post, redirect, get).",
        rfc(9110, "15.4.4"),
        rules(
            Allowed,
            &[h("Location", Should, "the resource to fetch with GET")],
            Explicit,
            FollowWithGet,
        ),
    ),
    entry(
        304,
        "Not Modified",
        "Your cached copy is still good.",
        "The answer to a conditional GET or HEAD whose condition was false (the client's ETag \
         still matches, or nothing changed since the given date). It has no content and carries \
         the metadata a 200 would have, such as ETag, Cache-Control and Vary, so the cache can \
         refresh its stored copy.",
        rfc(9110, "15.4.5"),
        rules(
            Never,
            &[
                h("ETag", Should, "whatever a 200 would have carried"),
                h("Cache-Control", May, "whatever a 200 would have carried"),
                h("Vary", May, "whatever a 200 would have carried"),
            ],
            Explicit,
            UseCached,
        ),
    ),
    entry(
        305,
        "Use Proxy",
        "Deprecated: asked the client to repeat the request through a proxy.",
        "Once meant that the resource must be reached through the proxy named in Location. \
         Letting a server configure a client's proxy in-band proved unsafe, so the code is \
         deprecated and clients must not act on it.",
        rfc(9110, "15.4.6"),
        rules(Allowed, NONE, Explicit, Ignore),
    )
    .standing(Standing::Deprecated),
    entry(
        306,
        "(Unused)",
        "Reserved; no longer used.",
        "Used in an early draft of HTTP/1.1 and since withdrawn. The number is reserved so it is \
         never given another meaning; servers do not send it.",
        rfc(9110, "15.4.7"),
        rules(Allowed, NONE, Explicit, Ignore),
    )
    .standing(Standing::Unused),
    entry(
        307,
        "Temporary Redirect",
        "Repeat the same request at another URI, this time only.",
        "Like 302, but the client must not change the method: a POST is sent again as a POST \
         with its body. Keep using the original URI for later requests.",
        rfc(9110, "15.4.8"),
        rules(
            Allowed,
            &[h("Location", Should, "the temporary URI")],
            Explicit,
            FollowSameMethod,
        ),
    ),
    entry(
        308,
        "Permanent Redirect",
        "Repeat the same request at a new permanent URI.",
        "Like 301, but the method and body must be kept when following it. Younger than the \
         other redirects, so very old clients may not know it.",
        rfc(9110, "15.4.9"),
        rules(
            Allowed,
            &[h("Location", Should, "the new URI")],
            Heuristic,
            FollowSameMethod,
        ),
    ),
    // 4xx
    entry(
        400,
        "Bad Request",
        "The request is malformed and will not be processed.",
        "Something about the request itself is wrong: broken syntax, invalid framing, a missing \
         or repeated Host, a bad query. When the framing is at fault the server closes the \
         connection as well. Sending the same request again will fail the same way.",
        rfc(9110, "15.5.1"),
        rules(Allowed, NONE, Explicit, Modify),
    ),
    entry(
        401,
        "Unauthorized",
        "Credentials are missing or were refused.",
        "The target needs authentication. The response must carry at least one challenge in \
         `WWW-Authenticate` telling the client how to authenticate; if the request had \
         credentials, they were not accepted.",
        rfc(9110, "15.5.2"),
        rules(
            Allowed,
            &[h("WWW-Authenticate", Must, "at least one challenge")],
            Explicit,
            Authenticate,
        ),
    ),
    entry(
        402,
        "Payment Required",
        "Reserved for future use; some APIs use it for billing problems.",
        "HTTP reserves this code without giving it a meaning. Some payment and subscription APIs \
         send it ad hoc; clients should treat it like any other 400-class error.",
        rfc(9110, "15.5.3"),
        rules(Allowed, NONE, Explicit, DoNotRetry),
    ),
    entry(
        403,
        "Forbidden",
        "Understood, and refused.",
        "The server knows what is asked and will not do it, whoever asks with these credentials. \
         Authenticating again with the same identity will not help; a server that would rather \
         not admit the resource exists may send 404 instead.",
        rfc(9110, "15.5.4"),
        rules(Allowed, NONE, Explicit, DoNotRetry),
    ),
    entry(
        404,
        "Not Found",
        "Nothing here, or nothing the server will admit to.",
        "The server has no current representation for the target, or prefers not to say whether \
         it has one. It says nothing about whether this is temporary; use 410 when it is known to \
         be permanent.",
        rfc(9110, "15.5.5"),
        rules(Allowed, NONE, Heuristic, DoNotRetry),
    ),
    entry(
        405,
        "Method Not Allowed",
        "This resource does not support that method.",
        "The method is known to the server but not supported by this target. The response must \
         list the methods the target does support in `Allow` (which may be empty).",
        rfc(9110, "15.5.6"),
        rules(
            Allowed,
            &[h("Allow", Must, "the methods the target supports")],
            Heuristic,
            Modify,
        ),
    ),
    entry(
        406,
        "Not Acceptable",
        "No representation matches what the request will accept.",
        "The request's Accept fields rule out every representation the server has, and the \
         server chose to say so rather than send a default. The content should list what is \
         available.",
        rfc(9110, "15.5.7"),
        rules(Allowed, NONE, Explicit, Modify),
    ),
    entry(
        407,
        "Proxy Authentication Required",
        "The proxy wants credentials first.",
        "Like 401, but the challenge comes from a proxy between client and origin. It must be in \
         `Proxy-Authenticate`, and the client answers with Proxy-Authorization.",
        rfc(9110, "15.5.8"),
        rules(
            Allowed,
            &[h("Proxy-Authenticate", Must, "the proxy's challenge")],
            Explicit,
            ProxyAuthenticate,
        ),
    ),
    entry(
        408,
        "Request Timeout",
        "The request did not arrive in time; the server is closing.",
        "The server waited too long for a complete request and gives up on the connection, \
         which it closes after this response. The client may send the request again on a new \
         connection.",
        rfc(9110, "15.5.9"),
        rules(
            Allowed,
            &[h("Connection", Should, "`close`: the server is closing")],
            Explicit,
            RetryNewConnection,
        ),
    )
    .connection(Connection::Close),
    entry(
        409,
        "Conflict",
        "The request conflicts with the resource's current state.",
        "The request could not be carried out because of the state of the target, such as an \
         edit made against an old version or a create that collides with an existing item. The \
         content should explain enough for the client to resolve it.",
        rfc(9110, "15.5.10"),
        rules(Allowed, NONE, Explicit, Refetch),
    ),
    entry(
        410,
        "Gone",
        "The resource was here and has been removed for good.",
        "Like 404, but the server knows the removal is permanent, so links to it can be dropped. \
         Caches may keep the answer.",
        rfc(9110, "15.5.11"),
        rules(Allowed, NONE, Heuristic, DoNotRetry),
    ),
    entry(
        411,
        "Length Required",
        "Send a Content-Length with that body.",
        "The server will not take this request without a `Content-Length`, typically because it \
         does not accept chunked uploads. The client may retry with the length stated.",
        rfc(9110, "15.5.12"),
        rules(Allowed, NONE, Explicit, Modify),
    ),
    entry(
        412,
        "Precondition Failed",
        "A condition in the request's headers was false.",
        "A precondition such as `If-Match` or `If-Unmodified-Since` did not hold, so the method \
         was not applied. It protects against lost updates: fetch the current state and decide \
         again.",
        rfc(9110, "15.5.13"),
        rules(Allowed, NONE, Explicit, Refetch),
    ),
    entry(
        413,
        "Payload Too Large",
        "The request body is larger than the server will take.",
        "The content exceeds what the server is willing or able to process. The server may close \
         the connection rather than read the rest. If the limit is temporary it says when to try \
         again in Retry-After.",
        rfc(9110, "15.5.14"),
        rules(
            Allowed,
            &[h("Retry-After", May, "when the condition is temporary")],
            Explicit,
            Modify,
        ),
    )
    .iana("Content Too Large"),
    entry(
        414,
        "URI Too Long",
        "The request target is longer than the server will read.",
        "The URI exceeds the server's limit, often a sign of a form sent with GET that should \
         have been a POST, or of a redirect loop that keeps growing the query.",
        rfc(9110, "15.5.15"),
        rules(Allowed, NONE, Heuristic, Modify),
    ),
    entry(
        415,
        "Unsupported Media Type",
        "The body is in a format this resource does not take.",
        "The Content-Type or Content-Encoding of the request, or the data itself, is not one the \
         target supports for this method. The response may say what is accepted in `Accept` or \
         `Accept-Encoding`.",
        rfc(9110, "15.5.16"),
        rules(
            Allowed,
            &[
                h("Accept", May, "when the media type was the problem"),
                h(
                    "Accept-Encoding",
                    May,
                    "when the content coding was the problem",
                ),
            ],
            Explicit,
            Modify,
        ),
    ),
    entry(
        416,
        "Range Not Satisfiable",
        "None of the requested ranges lies within the resource.",
        "Every range in the request's `Range` starts past the end of the representation (or the \
         server refused too many of them). `Content-Range: bytes */length` tells the client the \
         current length.",
        rfc(9110, "15.5.17"),
        rules(
            Allowed,
            &[h(
                "Content-Range",
                Should,
                "`bytes */<length>` with the current length",
            )],
            Explicit,
            Modify,
        ),
    ),
    entry(
        417,
        "Expectation Failed",
        "The server cannot meet the request's Expect.",
        "The `Expect` field asked for something other than `100-continue`, or a hop on the way \
         could not meet it. Retrying without the expectation usually works.",
        rfc(9110, "15.5.18"),
        rules(Allowed, NONE, Explicit, Modify),
    ),
    entry(
        418,
        "I'm a teapot",
        "Reserved: the joke code of the coffee-pot protocol.",
        "An April Fools' protocol for coffee pots gave 418 to a teapot asked to brew coffee. \
         It spread widely enough that HTTP reserved the number rather than reuse it. It has no \
         meaning in HTTP; clients treat it as 400.",
        rfc(9110, "15.5.19"),
        rules(Allowed, NONE, Explicit, DoNotRetry),
    )
    .iana("(Unused)")
    .standing(Standing::Reserved)
    .outside_table(),
    entry(
        421,
        "Misdirected Request",
        "This connection cannot serve that host.",
        "The request reached a server that cannot answer for the target's authority on this \
         connection, usually after a client reused an HTTP/2 connection for another host name. \
         The client may retry on a new connection.",
        rfc(9110, "15.5.20"),
        rules(Allowed, NONE, Explicit, RetryNewConnection),
    )
    .outside_table(),
    entry(
        422,
        "Unprocessable Entity",
        "Well-formed, but the content's instructions cannot be carried out.",
        "The media type is supported and the syntax is correct, but the content makes no sense \
         for the target: JSON that fails validation, for example. Distinct from 400 (broken \
         syntax) and 415 (wrong format).",
        rfc(9110, "15.5.21"),
        rules(Allowed, NONE, Explicit, Modify),
    )
    .iana("Unprocessable Content"),
    entry(
        423,
        "Locked",
        "The resource is locked.",
        "A WebDAV resource involved in the request holds a lock the request did not present. \
         The body should name the failed condition, such as `lock-token-submitted`.",
        rfc(4918, "11.3"),
        rules(Allowed, NONE, Explicit, Modify),
    ),
    entry(
        424,
        "Failed Dependency",
        "Not done, because an action it depended on failed.",
        "Mostly seen inside a 207 body: in a PROPPATCH, once one property change fails, the \
         others are reported 424 because the set is applied all or nothing.",
        rfc(4918, "11.4"),
        rules(Allowed, NONE, Explicit, Modify),
    ),
    entry(
        425,
        "Too Early",
        "The server will not risk a request that could be replayed.",
        "Sent for a request received in TLS early data (or marked `Early-Data: 1`) that would be \
         unsafe to process twice. The client should retry once the handshake is complete.",
        rfc(8470, "5.2"),
        rules(Allowed, NONE, Explicit, RetryAfter),
    )
    .outside_table(),
    entry(
        426,
        "Upgrade Required",
        "Switch to another protocol and ask again.",
        "The server will not serve the request over the current protocol but would after an \
         upgrade. It must name the acceptable protocols in `Upgrade`, and so also list upgrade \
         in Connection.",
        rfc(9110, "15.5.22"),
        rules(
            Allowed,
            &[
                h("Upgrade", Must, "the protocols the server would accept"),
                h("Connection", Must, "must list `upgrade` alongside Upgrade"),
            ],
            Explicit,
            Modify,
        ),
    ),
    entry(
        428,
        "Precondition Required",
        "This request must be conditional.",
        "The server insists on conditional writes to prevent lost updates: fetch the resource, \
         then send the change again with `If-Match` and the ETag you saw. Caches must not store \
         it.",
        rfc(6585, "3"),
        rules(Allowed, NONE, NoStore, Refetch),
    ),
    entry(
        429,
        "Too Many Requests",
        "Rate limit reached; slow down.",
        "The client sent more requests than it is allowed in some period. The response may say \
         how long to wait in Retry-After, and should explain the limit. Caches must not store it.",
        rfc(6585, "4"),
        rules(
            Allowed,
            &[h(
                "Retry-After",
                May,
                "how long to wait before trying again",
            )],
            NoStore,
            RetryAfter,
        ),
    ),
    entry(
        431,
        "Request Header Fields Too Large",
        "The request's header fields are too large.",
        "Either the header section as a whole or a single field is over the server's limit. \
         When one field is to blame the response should name it. The client may retry with \
         smaller headers; caches must not store it.",
        rfc(6585, "5"),
        rules(Allowed, NONE, NoStore, Modify),
    ),
    entry(
        451,
        "Unavailable For Legal Reasons",
        "Blocked because of a legal demand.",
        "Access is denied in response to a legal demand such as a court order. The response \
         should explain, and should identify who is blocking it in a `Link` with \
         `rel=\"blocked-by\"`.",
        rfc(7725, "3"),
        rules(
            Allowed,
            &[h(
                "Link",
                Should,
                "rel=\"blocked-by\" names the blocking entity",
            )],
            Heuristic,
            DoNotRetry,
        ),
    )
    .outside_table(),
    // 5xx
    entry(
        500,
        "Internal Server Error",
        "The server hit an unexpected problem.",
        "Something went wrong on the server that it did not anticipate, such as a crashed \
         handler. Nothing is known about whether retrying will help.",
        rfc(9110, "15.6.1"),
        rules(Allowed, NONE, Explicit, RetryAfter),
    ),
    entry(
        501,
        "Not Implemented",
        "The server does not support what the request needs.",
        "The server does not recognise the method for any resource, or cannot handle a transfer \
         coding the request uses. Unlike 405 this holds for every target; caches may keep it.",
        rfc(9110, "15.6.2"),
        rules(Allowed, NONE, Heuristic, DoNotRetry),
    ),
    entry(
        502,
        "Bad Gateway",
        "A gateway got an invalid answer from the server behind it.",
        "Sent by a proxy or gateway whose upstream answered with something that is not valid \
         HTTP, or closed the connection without answering.",
        rfc(9110, "15.6.3"),
        rules(Allowed, NONE, Explicit, RetryAfter),
    ),
    entry(
        503,
        "Service Unavailable",
        "Temporarily unable to handle the request.",
        "The server is overloaded or down for maintenance and expects to recover. `Retry-After` \
         may say how long that will take; idempotent requests can be retried after it.",
        rfc(9110, "15.6.4"),
        rules(
            Allowed,
            &[h(
                "Retry-After",
                May,
                "how long the outage is expected to last",
            )],
            Explicit,
            RetryAfter,
        ),
    ),
    entry(
        504,
        "Gateway Timeout",
        "A gateway gave up waiting for the server behind it.",
        "Sent by a proxy or gateway that did not get an answer from its upstream in time. \
         Idempotent requests may be retried later.",
        rfc(9110, "15.6.5"),
        rules(Allowed, NONE, Explicit, RetryAfter),
    ),
    entry(
        505,
        "HTTP Version Not Supported",
        "The server does not speak that major version of HTTP.",
        "The request line named an HTTP major version the server will not serve, such as \
         `HTTP/3.0` on an HTTP/1.1 connection. The content should say which versions work.",
        rfc(9110, "15.6.6"),
        rules(Allowed, NONE, Explicit, Modify),
    ),
    entry(
        506,
        "Variant Also Negotiates",
        "Content negotiation is misconfigured on the server.",
        "During transparent content negotiation, the variant chosen turned out to be a \
         negotiating resource itself, so negotiation could never end. A server configuration \
         error.",
        rfc(2295, "8.1"),
        rules(Allowed, NONE, Explicit, DoNotRetry),
    )
    .standing(Standing::Experimental),
    entry(
        507,
        "Insufficient Storage",
        "The server has no room to store what the request needs.",
        "A WebDAV server is out of space or over quota for the resource. The condition is taken \
         as temporary, but a request a user made should not be repeated until the user asks.",
        rfc(4918, "11.5"),
        rules(Allowed, NONE, Explicit, DoNotRetry),
    ),
    entry(
        508,
        "Loop Detected",
        "The operation found an infinite loop and stopped.",
        "A `Depth: infinity` WebDAV operation ran into a binding that leads back to an ancestor, \
         so the whole operation failed.",
        rfc(5842, "7.2"),
        rules(Allowed, NONE, Explicit, DoNotRetry),
    )
    .standing(Standing::Experimental),
    entry(
        510,
        "Not Extended",
        "The request lacks an extension declaration the server requires.",
        "From the HTTP Extension Framework: the resource insists on a mandatory extension the \
         request did not declare, and the response should describe what is needed. The \
         framework is now Historic.",
        rfc(2774, "7"),
        rules(Allowed, NONE, Explicit, Modify),
    )
    .iana("Not Extended (OBSOLETED)")
    .standing(Standing::Obsoleted),
    entry(
        511,
        "Network Authentication Required",
        "Log in to the network before going further.",
        "Sent by an intercepting proxy, such as a captive portal, that needs the user to sign \
         in to the network. The content should link to the login page rather than carry a \
         challenge; caches must not store it.",
        rfc(6585, "6"),
        rules(Allowed, NONE, NoStore, NetworkLogin),
    ),
];
