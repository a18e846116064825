//! The router: a path goes to exactly one handler. Handlers answer through
//! the exchange, or return a [`Problem`] that the dispatcher renders.

mod assets;
mod auth;
mod bytes;
pub(crate) mod dav;
mod delta;
mod digest;
mod echo;
mod fault;
pub(crate) mod forced;
mod gateway;
mod health;
mod items;
mod jobs;
mod page;
mod redirect;
mod scenarios;
pub(crate) mod stateful;
mod upload;
mod variants;

use teapot_codes::Status;
use teapot_wire::{Exchange, Head, Method};

use crate::app::App;
use crate::problem::Problem;

pub use fault::KINDS as FAULT_KINDS;

/// What a handler returns: it answered, or here is the problem to send.
pub type Outcome = Result<(), Problem>;

/// Routes one request.
///
/// Forced status, the endpoint load tests hammer, is answered inline; every
/// other handler runs boxed, so that the future of each connection is only
/// as large as the forced handler's while it waits for its next request
/// (idle connections cost that much memory each).
pub async fn dispatch(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    let path = ex.request().path();
    let first = [path.trim_start_matches('/').split('/').next().unwrap_or("")];
    match first {
        [code, ..] if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => {
            let code = code.to_owned();
            forced::forced(app, ex, &code).await
        }
        _ => Box::pin(dispatch_named(app, ex)).await,
    }
}

/// Routes a request whose path does not start with a status code.
async fn dispatch_named(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    let path = ex.request().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] => page::home(ex).await,
        // The two handlers that act as clients have futures several times
        // the size of all others (the checker's client, the response
        // reader): boxed on their own.
        ["try", code] => Box::pin(page::try_code(app, ex, code)).await,
        ["static", "page.js"] => page::script(ex).await,
        ["healthz"] => health::healthz(ex).await,
        ["readyz"] => health::readyz(app, ex).await,
        ["metrics"] => health::metrics(app, ex).await,
        ["openapi.json"] => health::openapi(ex).await,
        ["anything", ..] => echo::anything(ex, None).await,
        ["get"] => echo::anything(ex, Some(Method::Get)).await,
        ["post"] => echo::anything(ex, Some(Method::Post)).await,
        ["put"] => echo::anything(ex, Some(Method::Put)).await,
        ["patch"] => echo::anything(ex, Some(Method::Patch)).await,
        ["delete"] => echo::anything(ex, Some(Method::Delete)).await,
        ["headers"] => echo::headers_only(ex).await,
        ["ip"] => echo::ip(ex).await,
        ["user-agent"] => echo::user_agent(ex).await,
        ["response-headers"] => echo::response_headers(ex).await,
        ["cookies"] => echo::cookies(ex).await,
        ["cookies", "set"] => echo::set_cookies(ex, None).await,
        ["cookies", "set", name, value] => echo::set_cookies(ex, Some((name, value))).await,
        ["cookies", "delete"] => echo::delete_cookies(ex).await,
        ["redirect", n] => redirect::chain(ex, n, None).await,
        ["relative-redirect", n] => redirect::chain(ex, n, Some(redirect::Form::Relative)).await,
        ["absolute-redirect", n] => redirect::chain(ex, n, Some(redirect::Form::Absolute)).await,
        ["redirect-to"] => redirect::redirect_to(ex).await,
        ["basic-auth", user, passwd] => auth::basic(ex, user, passwd, false).await,
        ["hidden-basic-auth", user, passwd] => auth::basic(ex, user, passwd, true).await,
        ["digest-auth", qop, user, passwd] => digest::digest(ex, qop, user, passwd, None).await,
        ["digest-auth", qop, user, passwd, algorithm] => {
            digest::digest(ex, qop, user, passwd, Some(algorithm)).await
        }
        ["bearer"] => auth::bearer(ex).await,
        ["proxy-auth", user, passwd] => auth::proxy(ex, user, passwd).await,
        ["role", role] => auth::role(ex, role).await,
        ["bytes", n] => bytes::random_bytes(app, ex, n).await,
        ["range", n] => bytes::range(app, ex, n).await,
        ["etag", tag] => bytes::etag(ex, tag).await,
        ["cache"] => bytes::cache(app, ex, None).await,
        ["cache", seconds] => bytes::cache(app, ex, Some(seconds)).await,
        ["upload"] => upload::upload(ex).await,
        ["delta"] => delta::delta(ex).await,
        ["ws"] => forced::forced(app, ex, "101").await,
        ["negotiate"] => variants::negotiate(ex, None).await,
        ["negotiate", variant] => variants::negotiate(ex, Some(variant)).await,
        ["gateway", ..] => {
            let rest = path
                .trim_start_matches('/')
                .strip_prefix("gateway")
                .unwrap_or("");
            Box::pin(gateway::gateway(app, ex, rest.trim_start_matches('/'))).await
        }
        ["processing"] => scenarios::processing(app, ex).await,
        ["early-hints"] => scenarios::early_hints(ex).await,
        ["portal"] => scenarios::portal(ex, false).await,
        ["portal", "sign-in"] => scenarios::portal(ex, true).await,
        ["extension"] => scenarios::extension(ex).await,
        ["reset"] => scenarios::reset(ex).await,
        ["pay"] => scenarios::pay(ex).await,
        ["fault", kind] => fault::fault(app, ex, kind).await,
        ["flaky", key] => stateful::flaky(app, ex, key).await,
        ["items"] => items::create(app, ex).await,
        ["dav", ns, ..] => {
            let after = path
                .trim_start_matches('/')
                .splitn(3, '/')
                .nth(2)
                .unwrap_or("");
            dav::dav(&app.dav, ex, ns, after).await
        }
        ["jobs"] => jobs::start(app, ex).await,
        ["jobs", id] => jobs::monitor(app, ex, id).await,
        ["jobs", id, "result"] => jobs::result(app, ex, id).await,
        ["items", id] => items::item(app, ex, id).await,
        ["limit", key] => stateful::limit(app, ex, key).await,
        ["status" | "random", spec, ..] => forced::forced(app, ex, spec).await,
        ["static", "teapot.css"] => assets::stylesheet(ex).await,
        _ => Err(Problem::not_found(&path)),
    }
}

/// The query's `name=value` pairs, percent-decoded.
pub fn query_pairs(ex: &Exchange<'_>) -> Vec<(String, String)> {
    ex.request()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// Refuses methods other than GET and HEAD.
pub fn only_get(ex: &Exchange<'_>) -> Outcome {
    only(ex, &[Method::Get])
}

/// A status known at compile time to be valid.
pub fn status(code: u16) -> Status {
    Status::from_u16(code).expect("a code in 100..=599")
}

/// Refuses methods not in `allowed` with 405 and `Allow`. HEAD is allowed
/// wherever GET is.
pub fn only(ex: &Exchange<'_>, allowed: &[Method]) -> Outcome {
    let m = ex.request().method();
    let ok = allowed.contains(&m) || (m == Method::Head && allowed.contains(&Method::Get));
    if ok {
        return Ok(());
    }
    let mut names: Vec<&str> = Vec::new();
    for a in allowed {
        names.push(a.as_str());
        if *a == Method::Get {
            names.push("HEAD");
        }
    }
    Err(Problem::method_not_allowed(m.as_str(), &names))
}

/// Answers with a JSON document (pretty, like httpbin's).
pub async fn reply_json(ex: &mut Exchange<'_>, head: Head, doc: &serde_json::Value) -> Outcome {
    let mut body = serde_json::to_vec_pretty(doc).unwrap_or_default();
    body.push(b'\n');
    let head = head.header("Content-Type", "application/json");
    sent(ex.respond(head, ::bytes::Bytes::from(body)).await)
}

/// The request's media type (`Content-Type` without parameters, lower
/// case), if it sent one.
pub fn media_type(ex: &Exchange<'_>) -> Option<String> {
    ex.request().header_str("content-type").map(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    })
}

/// Checks a name a client picks for stored state (a key, an item id):
/// 1 to 64 letters, digits, `-`, `_` or `.`; `what` names it in the error.
pub fn check_name(what: &str, name: &str) -> Result<(), Problem> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Problem::bad_request(format!(
            "The {what} {name:?} must be 1 to 64 letters, digits, '-', '_' or '.'."
        ))
        .kind("bad-option"))
    }
}

/// A fresh lock token, `urn:uuid:` and a random (version 4) UUID.
pub fn lock_token() -> String {
    format!(
        "urn:uuid:{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0x1000),
        fastrand::u16(..0x1000),
        fastrand::u64(..1 << 48)
    )
}

/// Answers an I/O error on the way out: nothing more can be sent.
/// `path` (an origin-form target) as an absolute URL on this server, with
/// the scheme the request arrived on and the authority it named.
pub fn absolute_url(ex: &Exchange<'_>, path: &str) -> String {
    let host = ex
        .request()
        .header_str("host")
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost");
    format!("{}://{host}{path}", ex.scheme())
}

/// Where a handler's write lands. A peer that went away is nothing to act
/// on; a misuse of the exchange (answering twice, a 1xx as final, a field
/// that may not be written) is a bug: logged at error level, and in debug
/// builds a panic, so that any test that meets it fails (the engine
/// answers 500 if nothing went out yet).
pub fn sent(r: std::io::Result<()>) -> Outcome {
    if let Err(e) = r {
        if teapot_wire::is_misuse(&e) {
            tracing::error!("handler bug: {e}");
            if cfg!(debug_assertions) {
                panic!("handler bug: {e}");
            }
        } else {
            tracing::debug!("write failed: {e}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::sent;

    #[test]
    #[should_panic(expected = "handler bug: the final response was already sent")]
    fn a_misused_exchange_fails_loudly() {
        let twice = io::Error::new(
            io::ErrorKind::InvalidInput,
            teapot_wire::Misuse("the final response was already sent"),
        );
        let _ = sent(Err(twice));
    }

    #[test]
    fn a_peer_that_went_away_is_nothing_to_act_on() {
        assert!(sent(Err(io::ErrorKind::BrokenPipe.into())).is_ok());
        assert!(sent(Err(io::ErrorKind::ConnectionReset.into())).is_ok());
    }
}
