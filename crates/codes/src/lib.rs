//! The registry of HTTP status codes that every part of teapot reads.
//!
//! One table holds, for each code, the reason phrase teapot puts on the wire,
//! a summary and a description in teapot's own words, the document and
//! section that define it, and its *wire rules* as data: whether the response
//! may carry content, which header fields it must or should carry, what it
//! does to the connection, whether caches may store it, and what a client is
//! expected to do next. The server builds responses from these rules and the
//! checker judges other servers' responses by the same rules, so a rule that
//! is wrong is wrong in one place.
//!
//! The crate has no dependencies and does no I/O.
//!
//! # Layout
//!
//! - [`Status`]: a status code that is known to be in `100..=599`.
//! - [`Class`]: the first digit of a code (1xx … 5xx).
//! - [`Entry`] and its parts ([`Source`], [`Standing`], [`Rules`],
//!   [`HeaderRule`], [`Level`], [`Content`], [`Connection`], [`Caching`],
//!   [`Action`]): what the registry knows about one code.
//! - Lookups: [`lookup`], [`entries`], [`by_class`], [`search`].
//! - `table` (private): the one table.
//!
//! # Example
//!
//! ```
//! use teapot_codes::{lookup, Content, Level};
//!
//! let e = lookup(405).unwrap();
//! assert_eq!(e.reason, "Method Not Allowed");
//! assert_eq!(e.rules.header("allow"), Some(Level::Must));
//! assert_eq!(lookup(204).unwrap().rules.content, Content::Never);
//! ```

#![deny(missing_docs)]

mod table;

use std::fmt;
use std::str::FromStr;

pub use table::TABLE;

/// An HTTP status code in the valid range `100..=599`.
///
/// A `Status` that exists is valid; codes outside the registry are allowed
/// (RFC 9110 §15 asks clients to treat them like the `x00` of their class).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Status(u16);

impl Status {
    /// Builds a status from a number, if it lies in `100..=599`.
    pub const fn from_u16(code: u16) -> Result<Status, InvalidStatusCode> {
        if code >= 100 && code <= 599 {
            Ok(Status(code))
        } else {
            Err(InvalidStatusCode { _priv: () })
        }
    }

    /// The number.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// The class (first digit).
    pub const fn class(self) -> Class {
        match self.0 / 100 {
            1 => Class::Informational,
            2 => Class::Successful,
            3 => Class::Redirection,
            4 => Class::ClientError,
            _ => Class::ServerError,
        }
    }

    /// The registry's entry, if the code is registered.
    pub fn entry(self) -> Option<&'static Entry> {
        lookup(self.0)
    }

    /// The reason phrase to write on the wire: the registry's phrase, or a
    /// generic phrase for the class when the code is not registered.
    pub fn reason(self) -> &'static str {
        match self.entry() {
            Some(e) => e.reason,
            None => self.class().generic_reason(),
        }
    }

    /// Whether this is an interim (1xx) response.
    pub const fn is_interim(self) -> bool {
        self.0 < 200
    }

    /// Whether a response with this status may carry content, by the
    /// registry's rule; a code the registry lacks follows its class (none
    /// for 1xx).
    pub fn content(self) -> Content {
        match self.entry() {
            Some(e) => e.rules.content,
            None if self.is_interim() => Content::Never,
            None => Content::Allowed,
        }
    }

    /// What the registry expects a client to do with this status, if the
    /// code is registered.
    pub fn action(self) -> Option<Action> {
        self.entry().map(|e| e.rules.action)
    }

    /// Whether a response with this status may carry content, by the
    /// registry's rule or, for an unregistered code, by its class.
    pub fn allows_content(self) -> bool {
        match self.entry() {
            Some(e) => e.rules.content == Content::Allowed,
            None => !self.is_interim(),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Status {
    type Err = InvalidStatusCode;

    /// Parses exactly three ASCII digits.
    fn from_str(s: &str) -> Result<Status, InvalidStatusCode> {
        let b = s.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_digit) {
            return Err(InvalidStatusCode { _priv: () });
        }
        let n = u16::from(b[0] - b'0') * 100 + u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0');
        Status::from_u16(n)
    }
}

impl TryFrom<u16> for Status {
    type Error = InvalidStatusCode;

    fn try_from(code: u16) -> Result<Status, InvalidStatusCode> {
        Status::from_u16(code)
    }
}

impl From<Status> for u16 {
    fn from(s: Status) -> u16 {
        s.0
    }
}

impl PartialEq<u16> for Status {
    fn eq(&self, other: &u16) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Status> for u16 {
    fn eq(&self, other: &Status) -> bool {
        *self == other.0
    }
}

/// The error for a number or text that is not a status code in `100..=599`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidStatusCode {
    _priv: (),
}

impl fmt::Display for InvalidStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid status code")
    }
}

impl std::error::Error for InvalidStatusCode {}

/// A named constant for every code of the registry, named after the reason
/// phrase teapot sends (`Status::IM_A_TEAPOT` is 418). A test holds these
/// to the table: one per entry, each named from its entry's phrase.
impl Status {
    /// 100 Continue.
    pub const CONTINUE: Status = Status(100);
    /// 101 Switching Protocols.
    pub const SWITCHING_PROTOCOLS: Status = Status(101);
    /// 102 Processing.
    pub const PROCESSING: Status = Status(102);
    /// 103 Early Hints.
    pub const EARLY_HINTS: Status = Status(103);
    /// 200 OK.
    pub const OK: Status = Status(200);
    /// 201 Created.
    pub const CREATED: Status = Status(201);
    /// 202 Accepted.
    pub const ACCEPTED: Status = Status(202);
    /// 203 Non-Authoritative Information.
    pub const NON_AUTHORITATIVE_INFORMATION: Status = Status(203);
    /// 204 No Content.
    pub const NO_CONTENT: Status = Status(204);
    /// 205 Reset Content.
    pub const RESET_CONTENT: Status = Status(205);
    /// 206 Partial Content.
    pub const PARTIAL_CONTENT: Status = Status(206);
    /// 207 Multi-Status.
    pub const MULTI_STATUS: Status = Status(207);
    /// 208 Already Reported.
    pub const ALREADY_REPORTED: Status = Status(208);
    /// 226 IM Used.
    pub const IM_USED: Status = Status(226);
    /// 300 Multiple Choices.
    pub const MULTIPLE_CHOICES: Status = Status(300);
    /// 301 Moved Permanently.
    pub const MOVED_PERMANENTLY: Status = Status(301);
    /// 302 Found.
    pub const FOUND: Status = Status(302);
    /// 303 See Other.
    pub const SEE_OTHER: Status = Status(303);
    /// 304 Not Modified.
    pub const NOT_MODIFIED: Status = Status(304);
    /// 305 Use Proxy.
    pub const USE_PROXY: Status = Status(305);
    /// 306 (Unused).
    pub const UNUSED: Status = Status(306);
    /// 307 Temporary Redirect.
    pub const TEMPORARY_REDIRECT: Status = Status(307);
    /// 308 Permanent Redirect.
    pub const PERMANENT_REDIRECT: Status = Status(308);
    /// 400 Bad Request.
    pub const BAD_REQUEST: Status = Status(400);
    /// 401 Unauthorized.
    pub const UNAUTHORIZED: Status = Status(401);
    /// 402 Payment Required.
    pub const PAYMENT_REQUIRED: Status = Status(402);
    /// 403 Forbidden.
    pub const FORBIDDEN: Status = Status(403);
    /// 404 Not Found.
    pub const NOT_FOUND: Status = Status(404);
    /// 405 Method Not Allowed.
    pub const METHOD_NOT_ALLOWED: Status = Status(405);
    /// 406 Not Acceptable.
    pub const NOT_ACCEPTABLE: Status = Status(406);
    /// 407 Proxy Authentication Required.
    pub const PROXY_AUTHENTICATION_REQUIRED: Status = Status(407);
    /// 408 Request Timeout.
    pub const REQUEST_TIMEOUT: Status = Status(408);
    /// 409 Conflict.
    pub const CONFLICT: Status = Status(409);
    /// 410 Gone.
    pub const GONE: Status = Status(410);
    /// 411 Length Required.
    pub const LENGTH_REQUIRED: Status = Status(411);
    /// 412 Precondition Failed.
    pub const PRECONDITION_FAILED: Status = Status(412);
    /// 413 Payload Too Large.
    pub const PAYLOAD_TOO_LARGE: Status = Status(413);
    /// 414 URI Too Long.
    pub const URI_TOO_LONG: Status = Status(414);
    /// 415 Unsupported Media Type.
    pub const UNSUPPORTED_MEDIA_TYPE: Status = Status(415);
    /// 416 Range Not Satisfiable.
    pub const RANGE_NOT_SATISFIABLE: Status = Status(416);
    /// 417 Expectation Failed.
    pub const EXPECTATION_FAILED: Status = Status(417);
    /// 418 I'm a teapot.
    pub const IM_A_TEAPOT: Status = Status(418);
    /// 421 Misdirected Request.
    pub const MISDIRECTED_REQUEST: Status = Status(421);
    /// 422 Unprocessable Entity.
    pub const UNPROCESSABLE_ENTITY: Status = Status(422);
    /// 423 Locked.
    pub const LOCKED: Status = Status(423);
    /// 424 Failed Dependency.
    pub const FAILED_DEPENDENCY: Status = Status(424);
    /// 425 Too Early.
    pub const TOO_EARLY: Status = Status(425);
    /// 426 Upgrade Required.
    pub const UPGRADE_REQUIRED: Status = Status(426);
    /// 428 Precondition Required.
    pub const PRECONDITION_REQUIRED: Status = Status(428);
    /// 429 Too Many Requests.
    pub const TOO_MANY_REQUESTS: Status = Status(429);
    /// 431 Request Header Fields Too Large.
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: Status = Status(431);
    /// 451 Unavailable For Legal Reasons.
    pub const UNAVAILABLE_FOR_LEGAL_REASONS: Status = Status(451);
    /// 500 Internal Server Error.
    pub const INTERNAL_SERVER_ERROR: Status = Status(500);
    /// 501 Not Implemented.
    pub const NOT_IMPLEMENTED: Status = Status(501);
    /// 502 Bad Gateway.
    pub const BAD_GATEWAY: Status = Status(502);
    /// 503 Service Unavailable.
    pub const SERVICE_UNAVAILABLE: Status = Status(503);
    /// 504 Gateway Timeout.
    pub const GATEWAY_TIMEOUT: Status = Status(504);
    /// 505 HTTP Version Not Supported.
    pub const HTTP_VERSION_NOT_SUPPORTED: Status = Status(505);
    /// 506 Variant Also Negotiates.
    pub const VARIANT_ALSO_NEGOTIATES: Status = Status(506);
    /// 507 Insufficient Storage.
    pub const INSUFFICIENT_STORAGE: Status = Status(507);
    /// 508 Loop Detected.
    pub const LOOP_DETECTED: Status = Status(508);
    /// 510 Not Extended.
    pub const NOT_EXTENDED: Status = Status(510);
    /// 511 Network Authentication Required.
    pub const NETWORK_AUTHENTICATION_REQUIRED: Status = Status(511);
}

/// Every named constant with its name, in the order of the table.
pub const NAMED: &[(Status, &str)] = &[
    (Status::CONTINUE, "CONTINUE"),
    (Status::SWITCHING_PROTOCOLS, "SWITCHING_PROTOCOLS"),
    (Status::PROCESSING, "PROCESSING"),
    (Status::EARLY_HINTS, "EARLY_HINTS"),
    (Status::OK, "OK"),
    (Status::CREATED, "CREATED"),
    (Status::ACCEPTED, "ACCEPTED"),
    (
        Status::NON_AUTHORITATIVE_INFORMATION,
        "NON_AUTHORITATIVE_INFORMATION",
    ),
    (Status::NO_CONTENT, "NO_CONTENT"),
    (Status::RESET_CONTENT, "RESET_CONTENT"),
    (Status::PARTIAL_CONTENT, "PARTIAL_CONTENT"),
    (Status::MULTI_STATUS, "MULTI_STATUS"),
    (Status::ALREADY_REPORTED, "ALREADY_REPORTED"),
    (Status::IM_USED, "IM_USED"),
    (Status::MULTIPLE_CHOICES, "MULTIPLE_CHOICES"),
    (Status::MOVED_PERMANENTLY, "MOVED_PERMANENTLY"),
    (Status::FOUND, "FOUND"),
    (Status::SEE_OTHER, "SEE_OTHER"),
    (Status::NOT_MODIFIED, "NOT_MODIFIED"),
    (Status::USE_PROXY, "USE_PROXY"),
    (Status::UNUSED, "UNUSED"),
    (Status::TEMPORARY_REDIRECT, "TEMPORARY_REDIRECT"),
    (Status::PERMANENT_REDIRECT, "PERMANENT_REDIRECT"),
    (Status::BAD_REQUEST, "BAD_REQUEST"),
    (Status::UNAUTHORIZED, "UNAUTHORIZED"),
    (Status::PAYMENT_REQUIRED, "PAYMENT_REQUIRED"),
    (Status::FORBIDDEN, "FORBIDDEN"),
    (Status::NOT_FOUND, "NOT_FOUND"),
    (Status::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
    (Status::NOT_ACCEPTABLE, "NOT_ACCEPTABLE"),
    (
        Status::PROXY_AUTHENTICATION_REQUIRED,
        "PROXY_AUTHENTICATION_REQUIRED",
    ),
    (Status::REQUEST_TIMEOUT, "REQUEST_TIMEOUT"),
    (Status::CONFLICT, "CONFLICT"),
    (Status::GONE, "GONE"),
    (Status::LENGTH_REQUIRED, "LENGTH_REQUIRED"),
    (Status::PRECONDITION_FAILED, "PRECONDITION_FAILED"),
    (Status::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
    (Status::URI_TOO_LONG, "URI_TOO_LONG"),
    (Status::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"),
    (Status::RANGE_NOT_SATISFIABLE, "RANGE_NOT_SATISFIABLE"),
    (Status::EXPECTATION_FAILED, "EXPECTATION_FAILED"),
    (Status::IM_A_TEAPOT, "IM_A_TEAPOT"),
    (Status::MISDIRECTED_REQUEST, "MISDIRECTED_REQUEST"),
    (Status::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY"),
    (Status::LOCKED, "LOCKED"),
    (Status::FAILED_DEPENDENCY, "FAILED_DEPENDENCY"),
    (Status::TOO_EARLY, "TOO_EARLY"),
    (Status::UPGRADE_REQUIRED, "UPGRADE_REQUIRED"),
    (Status::PRECONDITION_REQUIRED, "PRECONDITION_REQUIRED"),
    (Status::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS"),
    (
        Status::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "REQUEST_HEADER_FIELDS_TOO_LARGE",
    ),
    (
        Status::UNAVAILABLE_FOR_LEGAL_REASONS,
        "UNAVAILABLE_FOR_LEGAL_REASONS",
    ),
    (Status::INTERNAL_SERVER_ERROR, "INTERNAL_SERVER_ERROR"),
    (Status::NOT_IMPLEMENTED, "NOT_IMPLEMENTED"),
    (Status::BAD_GATEWAY, "BAD_GATEWAY"),
    (Status::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
    (Status::GATEWAY_TIMEOUT, "GATEWAY_TIMEOUT"),
    (
        Status::HTTP_VERSION_NOT_SUPPORTED,
        "HTTP_VERSION_NOT_SUPPORTED",
    ),
    (Status::VARIANT_ALSO_NEGOTIATES, "VARIANT_ALSO_NEGOTIATES"),
    (Status::INSUFFICIENT_STORAGE, "INSUFFICIENT_STORAGE"),
    (Status::LOOP_DETECTED, "LOOP_DETECTED"),
    (Status::NOT_EXTENDED, "NOT_EXTENDED"),
    (
        Status::NETWORK_AUTHENTICATION_REQUIRED,
        "NETWORK_AUTHENTICATION_REQUIRED",
    ),
];

/// The content rule for any number a server may send as its status: the
/// registry's for a valid code, [`Content::Allowed`] for a number outside
/// `100..=599` (a client reads such a response by its framing).
pub fn content_of(code: u16) -> Content {
    Status::from_u16(code).map_or(Content::Allowed, Status::content)
}

/// The class of a status code: its first digit (RFC 9110 §15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// 1xx: the request was received, the exchange goes on.
    Informational,
    /// 2xx: the request was received, understood and accepted.
    Successful,
    /// 3xx: the client must take further action to complete the request.
    Redirection,
    /// 4xx: the request is at fault.
    ClientError,
    /// 5xx: the server failed to fulfil a valid request.
    ServerError,
}

impl Class {
    /// Every class, in order.
    pub const ALL: [Class; 5] = [
        Class::Informational,
        Class::Successful,
        Class::Redirection,
        Class::ClientError,
        Class::ServerError,
    ];

    /// The first digit.
    pub const fn digit(self) -> u16 {
        match self {
            Class::Informational => 1,
            Class::Successful => 2,
            Class::Redirection => 3,
            Class::ClientError => 4,
            Class::ServerError => 5,
        }
    }

    /// The class as written in prose: `"4xx"`.
    pub const fn label(self) -> &'static str {
        match self {
            Class::Informational => "1xx",
            Class::Successful => "2xx",
            Class::Redirection => "3xx",
            Class::ClientError => "4xx",
            Class::ServerError => "5xx",
        }
    }

    /// The class's name, as RFC 9110 §15 titles it.
    pub const fn name(self) -> &'static str {
        match self {
            Class::Informational => "Informational",
            Class::Successful => "Successful",
            Class::Redirection => "Redirection",
            Class::ClientError => "Client Error",
            Class::ServerError => "Server Error",
        }
    }

    /// The reason phrase teapot writes for an unregistered code of this class.
    pub const fn generic_reason(self) -> &'static str {
        match self {
            Class::Informational => "Informational",
            Class::Successful => "Success",
            Class::Redirection => "Redirection",
            Class::ClientError => "Client Error",
            Class::ServerError => "Server Error",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Class {
    type Err = InvalidClass;

    /// Parses `"4xx"` (any case of `x`) or a single digit `"4"`.
    fn from_str(s: &str) -> Result<Class, InvalidClass> {
        let b = s.as_bytes();
        let digit = match b {
            [d] => *d,
            [d, x1, x2] if x1.eq_ignore_ascii_case(&b'x') && x2.eq_ignore_ascii_case(&b'x') => *d,
            _ => return Err(InvalidClass { _priv: () }),
        };
        match digit {
            b'1' => Ok(Class::Informational),
            b'2' => Ok(Class::Successful),
            b'3' => Ok(Class::Redirection),
            b'4' => Ok(Class::ClientError),
            b'5' => Ok(Class::ServerError),
            _ => Err(InvalidClass { _priv: () }),
        }
    }
}

/// The error for text that is not a class such as `4xx`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidClass {
    _priv: (),
}

impl fmt::Display for InvalidClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid status class (expected 1xx to 5xx)")
    }
}

impl std::error::Error for InvalidClass {}

/// What the registry knows about one status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The number.
    pub code: u16,
    /// The reason phrase teapot writes on the wire (our user's table).
    pub reason: &'static str,
    /// The current IANA name, where it differs from [`Entry::reason`].
    pub iana_reason: Option<&'static str>,
    /// One line in teapot's words.
    pub summary: &'static str,
    /// A few sentences in teapot's words: when it is sent and what it means.
    pub description: &'static str,
    /// The document and section that define the code.
    pub source: Source,
    /// Whether the code is in current use.
    pub standing: Standing,
    /// Whether the code is in our user's table of supported codes.
    pub in_table: bool,
    /// What the code requires of a response on the wire.
    pub rules: Rules,
}

impl Entry {
    /// The class of this code.
    pub fn class(&self) -> Class {
        Status(self.code).class()
    }

    /// The code as a [`Status`].
    pub fn status(&self) -> Status {
        Status(self.code)
    }
}

/// The defining document and section of a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// The RFC number.
    pub rfc: u16,
    /// The section, e.g. `"15.5.5"`.
    pub section: &'static str,
}

impl Source {
    /// A section of an RFC.
    pub const fn rfc(rfc: u16, section: &'static str) -> Source {
        Source { rfc, section }
    }

    /// A link to the section on the RFC Editor's site.
    pub fn url(&self) -> String {
        format!(
            "https://www.rfc-editor.org/rfc/rfc{}#section-{}",
            self.rfc, self.section
        )
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RFC {} §{}", self.rfc, self.section)
    }
}

/// Whether a code is in current use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Defined and in use.
    Active,
    /// Defined by an experimental RFC.
    Experimental,
    /// Defined, but its use is discouraged (305).
    Deprecated,
    /// Used once, now reserved and never to be generated (306).
    Unused,
    /// Reserved and not assignable (418).
    Reserved,
    /// Its defining document was moved to Historic (510).
    Obsoleted,
}

impl Standing {
    /// A lower-case word for output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Standing::Active => "active",
            Standing::Experimental => "experimental",
            Standing::Deprecated => "deprecated",
            Standing::Unused => "unused",
            Standing::Reserved => "reserved",
            Standing::Obsoleted => "obsoleted",
        }
    }
}

/// A code's wire rules, as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Whether the response may carry content.
    pub content: Content,
    /// Header fields the response must, should or may carry.
    pub headers: &'static [HeaderRule],
    /// What the response does to an HTTP/1.1 connection.
    pub connection: Connection,
    /// Whether caches may store and reuse the response.
    pub caching: Caching,
    /// What a client is expected to do next.
    pub action: Action,
}

impl Rules {
    /// The level at which the response carries a header field (name compared
    /// case-insensitively), or `None` when the registry says nothing of it.
    pub fn header(&self, name: &str) -> Option<Level> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.level)
    }

    /// The header fields the response must carry.
    pub fn required_headers(&self) -> impl Iterator<Item = &'static HeaderRule> {
        self.headers.iter().filter(|h| h.level == Level::Must)
    }

    /// Whether the response ends the connection.
    pub fn closes(&self) -> bool {
        self.connection == Connection::Close
    }
}

/// One header field a response with this code carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderRule {
    /// The field name, in its usual spelling.
    pub name: &'static str,
    /// How strongly the specification asks for it.
    pub level: Level,
    /// Why, or under which condition, in a few words.
    pub why: &'static str,
}

/// Requirement levels of RFC 2119.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// MUST.
    Must,
    /// SHOULD.
    Should,
    /// MAY.
    May,
}

impl Level {
    /// The RFC 2119 word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

/// Whether a response may carry content (RFC 9110 §6.4.1, RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// Content is allowed (possibly empty).
    Allowed,
    /// The response ends at the blank line after the header section: no
    /// content, no `Content-Length` or `Transfer-Encoding` that announce any
    /// (1xx, 204, 304).
    Never,
    /// The server must not generate content, but the message is still framed
    /// like any other, so it is sent as `Content-Length: 0` (205).
    Empty,
}

/// What a response does to an HTTP/1.1 connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    /// The connection stays usable afterwards.
    Keep,
    /// The server closes the connection after the response (408).
    Close,
    /// The bytes after the response belong to another protocol (101).
    Switch,
}

/// Whether caches may store and reuse a response (RFC 9111 §3, §4.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caching {
    /// Heuristically cacheable: storable with heuristic freshness.
    Heuristic,
    /// Storable only with explicit freshness information.
    Explicit,
    /// Never stored by a cache (interim responses and RFC 6585's codes).
    Never,
}

/// What a client is expected to do after receiving the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Wait for the final response that follows this interim one.
    AwaitFinal,
    /// Speak the new protocol on this connection.
    SwitchProtocols,
    /// Nothing more: the request succeeded.
    Accept,
    /// Poll the status monitor the response points to.
    Poll,
    /// Reset the form or view that sent the request.
    ResetView,
    /// Use the cached representation, updating its metadata.
    UseCached,
    /// Pick one of the listed alternatives.
    Choose,
    /// Follow `Location`; a POST may become a GET.
    FollowMayUseGet,
    /// Follow `Location` with GET (or HEAD).
    FollowWithGet,
    /// Follow `Location` with the same method and content.
    FollowSameMethod,
    /// Do not act on the response.
    Ignore,
    /// Retry with credentials for the `WWW-Authenticate` challenge.
    Authenticate,
    /// Retry with credentials for the `Proxy-Authenticate` challenge.
    ProxyAuthenticate,
    /// Log in to the network, then retry.
    NetworkLogin,
    /// Retry later, after `Retry-After` when present.
    RetryAfter,
    /// Retry, on a new connection.
    RetryNewConnection,
    /// Fetch the current state, then retry with a fitting precondition.
    Refetch,
    /// Change the request before sending it again.
    Modify,
    /// Do not repeat the request.
    DoNotRetry,
}

impl Action {
    /// A short phrase for output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::AwaitFinal => "keep waiting for the final response",
            Action::SwitchProtocols => "speak the announced protocol on this connection",
            Action::Accept => "nothing more to do",
            Action::Poll => "poll the status monitor the response points to",
            Action::ResetView => "reset the form or view that sent the request",
            Action::UseCached => "use the cached copy and refresh its metadata",
            Action::Choose => "pick one of the listed alternatives",
            Action::FollowMayUseGet => "follow Location (a POST may turn into a GET)",
            Action::FollowWithGet => "follow Location with GET",
            Action::FollowSameMethod => "follow Location with the same method and body",
            Action::Ignore => "do not act on it",
            Action::Authenticate => "retry with credentials (Authorization)",
            Action::ProxyAuthenticate => "retry with proxy credentials (Proxy-Authorization)",
            Action::NetworkLogin => "log in to the network, then retry",
            Action::RetryAfter => "retry later, after Retry-After if given",
            Action::RetryNewConnection => "retry on a new connection",
            Action::Refetch => "fetch the current state, then retry conditionally",
            Action::Modify => "fix the request before sending it again",
            Action::DoNotRetry => "do not repeat the request",
        }
    }

    /// A stable identifier for machine-readable output.
    pub const fn id(self) -> &'static str {
        match self {
            Action::AwaitFinal => "await-final",
            Action::SwitchProtocols => "switch-protocols",
            Action::Accept => "accept",
            Action::Poll => "poll",
            Action::ResetView => "reset-view",
            Action::UseCached => "use-cached",
            Action::Choose => "choose",
            Action::FollowMayUseGet => "follow-may-use-get",
            Action::FollowWithGet => "follow-with-get",
            Action::FollowSameMethod => "follow-same-method",
            Action::Ignore => "ignore",
            Action::Authenticate => "authenticate",
            Action::ProxyAuthenticate => "proxy-authenticate",
            Action::NetworkLogin => "network-login",
            Action::RetryAfter => "retry-after",
            Action::RetryNewConnection => "retry-new-connection",
            Action::Refetch => "refetch",
            Action::Modify => "modify",
            Action::DoNotRetry => "do-not-retry",
        }
    }
}

/// The entry for a code, if registered.
pub fn lookup(code: u16) -> Option<&'static Entry> {
    TABLE
        .binary_search_by_key(&code, |e| e.code)
        .ok()
        .map(|i| &TABLE[i])
}

/// Every entry, in ascending order of code.
pub fn entries() -> impl Iterator<Item = &'static Entry> {
    TABLE.iter()
}

/// The entries of one class, in order.
pub fn by_class(class: Class) -> impl Iterator<Item = &'static Entry> {
    TABLE.iter().filter(move |e| e.class() == class)
}

/// The entries whose reason phrase, IANA name or summary contains every
/// word of `query` (case-insensitive), in order. An empty query matches
/// nothing.
pub fn search(query: &str) -> Vec<&'static Entry> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    TABLE
        .iter()
        .filter(|e| {
            let hay = format!("{} {} {}", e.reason, e.iana_reason.unwrap_or(""), e.summary)
                .to_ascii_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_parses_three_digits_only() {
        assert_eq!("404".parse::<Status>().unwrap(), 404);
        for bad in [
            "", "4", "40", "4040", "+40", " 404", "4x4", "099", "600", "abc",
        ] {
            assert!(bad.parse::<Status>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_code_in_range_round_trips() {
        for n in 0..=1000u16 {
            match Status::from_u16(n) {
                Ok(s) => {
                    assert!((100..=599).contains(&n));
                    assert_eq!(s.as_u16(), n);
                    assert_eq!(format!("{n:03}").parse::<Status>().unwrap(), s);
                    assert_eq!(s.class().digit(), n / 100);
                }
                Err(e) => {
                    assert!(!(100..=599).contains(&n));
                    assert_eq!(e.to_string(), "invalid status code");
                }
            }
        }
    }

    #[test]
    fn unregistered_codes_get_a_class_phrase() {
        assert_eq!(Status::from_u16(299).unwrap().reason(), "Success");
        assert_eq!(Status::from_u16(471).unwrap().reason(), "Client Error");
        assert!(!Status::from_u16(199).unwrap().allows_content());
        assert!(Status::from_u16(599).unwrap().allows_content());
    }

    #[test]
    fn class_parses() {
        assert_eq!("4xx".parse::<Class>().unwrap(), Class::ClientError);
        assert_eq!("5XX".parse::<Class>().unwrap(), Class::ServerError);
        assert_eq!("1".parse::<Class>().unwrap(), Class::Informational);
        for bad in ["", "6xx", "0xx", "4x5", "4x", "xx", "44x"] {
            assert!(bad.parse::<Class>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn search_needs_every_word() {
        let hits: Vec<u16> = search("gateway").iter().map(|e| e.code).collect();
        assert_eq!(hits, vec![502, 504]);
        let hits: Vec<u16> = search("GATEWAY time").iter().map(|e| e.code).collect();
        assert_eq!(hits, vec![504]);
        assert!(search("   ").is_empty());
        assert!(search("no-such-word-anywhere").is_empty());
    }

    #[test]
    fn source_links_to_the_section() {
        let s = lookup(418).unwrap().source;
        assert_eq!(s.to_string(), "RFC 9110 §15.5.19");
        assert_eq!(
            s.url(),
            "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.19"
        );
    }
}
