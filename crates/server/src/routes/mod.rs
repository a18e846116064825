//! The router: a path goes to exactly one handler. Handlers answer through
//! the exchange, or return a [`Problem`] that the dispatcher renders.

mod assets;
mod auth;
mod bytes;
mod coding;
mod data;
pub(crate) mod dav;
mod delta;
mod digest;
mod documents;
mod echo;
mod fault;
pub(crate) mod forced;
mod gateway;
mod grade;
mod health;
mod items;
mod jobs;
mod page;
mod pyrandom;
mod redirect;
mod rows;
mod scenarios;
pub(crate) mod stateful;
mod stream;
pub mod table;
mod upload;
mod variants;

use teapot_codes::Status;
use teapot_wire::{Exchange, Head};

use crate::app::App;
use crate::problem::Problem;

pub use fault::KINDS as FAULT_KINDS;
pub use grade::SCENARIOS as GRADE_SCENARIOS;
pub use rows::ROUTES;
use table::{Handler, Route};

/// What a handler returns: it answered, or here is the problem to send.
pub type Outcome = Result<(), Problem>;

/// Routes one request: the first row of [`ROUTES`] whose template matches
/// the path answers, after its methods are checked.
pub async fn dispatch(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    let Some((route, spans)) = index().lookup(ex.request().path()) else {
        return Err(Problem::not_found(ex.request().path()));
    };
    let params = table::Params::new(ex.request().path_text(), route.path, spans);
    ex.set_label(route.kind.as_str());
    route.methods.admit(ex.request().method())?;
    match route.handler {
        Handler::Forced => forced::forced(app, ex, params.first()).await,
        Handler::Boxed(handler) => handler(app, ex, &params).await,
    }
}

/// The row that answers `path`, if any (found as [`dispatch`] finds it).
pub fn route_of(path: &str) -> Option<&'static Route> {
    index().find(path).map(|(route, _)| route)
}

/// [`ROUTES`] indexed for lookup, made on first use.
fn index() -> &'static table::Index {
    static INDEX: std::sync::OnceLock<table::Index> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| table::Index::new(ROUTES))
}

/// The query's `name=value` pairs, percent-decoded.
pub fn query_pairs(ex: &Exchange<'_>) -> Vec<(String, String)> {
    ex.request()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// A status known at compile time to be valid.
pub fn status(code: u16) -> Status {
    Status::from_u16(code).expect("a code in 100..=599")
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
