//! Forced status: `ANY /{code}`, `ANY /status/{codes}` and `/random/{codes}`.
//!
//! Each answer carries what its code requires on the wire (the registry's
//! rules, and `spec/status-codes.md` for the why): interim responses before
//! a final one for 100, 102 and 103, a real WebSocket switch for 101,
//! `Location` on redirects, `Allow` on 405, `Content-Range` on 206 and 416,
//! challenges on 401 and 407, `Retry-After` on 429 and 503, no content on
//! 204 and 304, and so on. Every query option is validated before anything
//! is written; a bad one is a 400 problem naming it.

mod answers;
mod body;
mod options;
mod websocket;

use teapot_wire::Exchange;

use super::Outcome;
use crate::app::App;

use answers::*;
use body::*;
use options::*;
use websocket::*;

pub use body::STYLESHEET;
pub(crate) use options::parse_location;
pub(crate) use websocket::{handshake, server_stream, Handshake};

/// Serves a forced status for `spec` (`503`, `200,503`, `200:9,503:1`,
/// `500-504`).
pub async fn forced(app: &App, ex: &mut Exchange<'_>, spec: &str) -> Outcome {
    let status = pick(&parse_spec(spec)?);
    let opts = parse_options(app, ex)?;
    if !opts.delay.is_zero() {
        tokio::time::sleep(opts.delay).await;
    }
    // The switch and the interim responses are boxed: their state would
    // otherwise be part of every connection's future (bench/idle), and they
    // are rare next to the final answers.
    match status.as_u16() {
        101 => Box::pin(switch(ex, &opts)).await,
        _ if status.is_interim() => Box::pin(interim_then_final(ex, status, &opts)).await,
        _ => final_response(ex, status, &opts, false).await,
    }
}

#[cfg(test)]
mod tests {
    use teapot_wire::Method;

    use super::*;

    fn codes(spec: &str) -> Vec<(u16, f64)> {
        parse_spec(spec)
            .unwrap()
            .into_iter()
            .map(|(s, w)| (s.as_u16(), w))
            .collect()
    }

    #[test]
    fn specs() {
        assert_eq!(codes("418"), [(418, 1.0)]);
        assert_eq!(codes("200,503"), [(200, 1.0), (503, 1.0)]);
        assert_eq!(codes("200:9,503:1"), [(200, 9.0), (503, 1.0)]);
        assert_eq!(codes("200:0.9,503:0.1"), [(200, 0.9), (503, 0.1)]);
        assert_eq!(codes("500-502"), [(500, 1.0), (501, 1.0), (502, 1.0)]);
        assert_eq!(codes("200%3A1%2C201%3A0"), [(200, 1.0), (201, 0.0)]);
        for (bad_spec, kind) in [
            ("600", "bad-code"),
            ("99", "bad-code"),
            ("abc", "bad-code"),
            ("200,", "bad-code"),
            ("504-500", "bad-code"),
            ("200:x", "bad-weight"),
            ("200:-1", "bad-weight"),
            ("200:NaN", "bad-weight"),
            ("200:inf", "bad-weight"),
            ("200:0", "bad-weight"),
        ] {
            let p = parse_spec(bad_spec).unwrap_err();
            assert_eq!(p.status(), 400, "{bad_spec}");
            assert_eq!(p.type_uri(), format!("/problems/{kind}"), "{bad_spec}");
        }
    }

    #[test]
    fn pick_honours_zero_weights() {
        let choices = parse_spec("200:0,503:1").unwrap();
        for _ in 0..1000 {
            assert_eq!(pick(&choices), 503);
        }
    }

    #[test]
    fn locations() {
        for ok in [
            "/200",
            "/a/b?c=d#e",
            "200",
            "http://example.com/x",
            "HTTPS://example.com",
        ] {
            assert!(parse_location(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "//evil.example",
            "/\\evil",
            "javascript:alert(1)",
            "ftp://x",
            "http://",
            "http:///x",
            "/a b",
            "/a\r\nX: y",
        ] {
            assert!(parse_location(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("X-Test: yes").unwrap(),
            ("X-Test".into(), "yes".into())
        );
        assert_eq!(
            parse_header("X-Empty:").unwrap(),
            ("X-Empty".into(), "".into())
        );
        for bad in [
            "NoColon",
            "Bad Name:v",
            ":v",
            "X:a\r\nY: b",
            "X:a\0",
            "Content-Length: 5",
            "connection:close",
        ] {
            assert!(parse_header(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn allow_never_lists_the_method() {
        assert_eq!(
            allow_without(Method::Get),
            "POST, PUT, PATCH, DELETE, OPTIONS"
        );
        assert_eq!(
            allow_without(Method::Delete),
            "GET, HEAD, POST, PUT, PATCH, OPTIONS"
        );
        assert!(!allow_without(Method::Propfind).contains("PROPFIND"));
    }

    #[test]
    fn websocket_keys() {
        assert!(is_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_websocket_key("short=="));
        assert!(!is_websocket_key("dGhlIHNhbXBsZSBub25jZQ!!"));
    }
}
