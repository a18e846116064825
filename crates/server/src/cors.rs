//! Cross-origin resource sharing (the Fetch standard's CORS protocol), on
//! by default as on httpbin, so that a web page on another origin can read
//! every answer teapot gives, its status and the fields a client test
//! reads.
//!
//! Every answer carries `Access-Control-Allow-Origin` (the request's
//! `Origin` with `Access-Control-Allow-Credentials: true`, or `*` when it
//! sent none) and, to a cross-origin request, `Access-Control-Expose-Headers`.
//! A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
//! is answered 204 on every path, before routing, so the request it asks
//! for then reaches its endpoint (a `PUT /503` gets the forced 503); an
//! `OPTIONS` without those fields keeps its meaning on the endpoint.

use std::str::FromStr;

use bytes::Bytes;
use teapot_wire::response::is_field_value;
use teapot_wire::{Exchange, Head, Method, StaticField, Status};

use crate::routes::sent;

/// Which origins may read teapot's answers (`--cors`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cors {
    /// No CORS fields, no preflight answers.
    Off,
    /// Every origin (the default, as on httpbin).
    #[default]
    Any,
    /// Only these origins (`scheme://host[:port]`, compared as sent).
    Origins(Vec<String>),
}

impl FromStr for Cors {
    type Err = String;

    /// `off`, `any` or a comma-separated list of origins.
    fn from_str(s: &str) -> Result<Cors, String> {
        match s.trim() {
            "off" => Ok(Cors::Off),
            "any" | "*" => Ok(Cors::Any),
            list => {
                let origins: Vec<String> = list
                    .split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect();
                if origins.is_empty() {
                    return Err("expected off, any or a list of origins".into());
                }
                for o in &origins {
                    let ok = (o.starts_with("http://") || o.starts_with("https://"))
                        && !o
                            .split_once("://")
                            .is_some_and(|(_, rest)| rest.is_empty() || rest.contains('/'))
                        && o.bytes().all(|b| b.is_ascii_graphic());
                    if !ok {
                        return Err(format!(
                            "{o:?} is not an origin (scheme://host[:port], no path)"
                        ));
                    }
                }
                Ok(Cors::Origins(origins))
            }
        }
    }
}

/// The response fields a cross-origin script may read besides the
/// CORS-safelisted ones: those client tests look at.
pub const EXPOSED: &str = "Accept-Patch, Accept-Ranges, Age, Allow, Content-Disposition, \
Content-Encoding, Content-Length, Content-Location, Content-Range, DAV, Date, ETag, Expires, IM, \
Last-Modified, Link, Location, Lock-Token, Preference-Applied, Proxy-Authenticate, RateLimit, \
RateLimit-Limit, RateLimit-Policy, RateLimit-Remaining, RateLimit-Reset, Retry-After, \
Server-Timing, Upgrade, Vary, WWW-Authenticate, X-RateLimit-Limit, X-RateLimit-Remaining, \
X-RateLimit-Reset";

/// The methods a preflight answer allows, beside the one asked for.
const METHODS: &str = "GET, POST, PUT, DELETE, PATCH, OPTIONS";

/// How long a browser may keep a preflight answer, in seconds.
const MAX_AGE: &str = "3600";

/// What a request without `Origin` is answered with.
const ANY_ORIGIN: &[StaticField] = &[
    StaticField::new("Access-Control-Allow-Origin", "*"),
    StaticField::new("Access-Control-Allow-Credentials", "true"),
];

/// What a cross-origin request is answered with, beside its origin.
const CROSS_ORIGIN: &[StaticField] = &[
    StaticField::new("Access-Control-Allow-Credentials", "true"),
    StaticField::new("Access-Control-Expose-Headers", EXPOSED),
    VARY_ORIGIN[0],
];

/// What an answer that depends on `Origin` says.
const VARY_ORIGIN: &[StaticField] = &[StaticField::new("Vary", "Origin")];

/// What every `OPTIONS` is answered with, as on httpbin.
const OPTIONS: &[StaticField] = &[
    StaticField::new("Access-Control-Allow-Methods", METHODS),
    StaticField::new("Access-Control-Max-Age", MAX_AGE),
];

impl Cors {
    /// Answers a preflight; returns whether the request was one (and is
    /// answered). Otherwise adds the CORS fields to whatever answer the
    /// request gets.
    pub async fn apply(&self, ex: &mut Exchange<'_>) -> bool {
        if *self == Cors::Off {
            return false;
        }
        let req = ex.request();
        let origin = req
            .header("origin")
            .map(<[u8]>::trim_ascii)
            .filter(|o| !o.is_empty());
        let has_origin = origin.is_some();
        // The request's own bytes are a valid field value: echoed as sent.
        let allowed: Option<Bytes> = match (self, origin) {
            (Cors::Any, None) => Some(Bytes::from_static(b"*")),
            (Cors::Any, Some(o)) => Some(Bytes::copy_from_slice(o)),
            (Cors::Origins(list), Some(o)) => list
                .iter()
                .any(|l| l.as_bytes() == o)
                .then(|| Bytes::copy_from_slice(o)),
            _ => None,
        };
        let options = req.method() == Method::Options;
        let asked_headers = || {
            req.header("access-control-request-headers")
                .map(<[u8]>::trim_ascii)
                .filter(|h| !h.is_empty() && is_field_value(h))
                .map(Bytes::copy_from_slice)
        };
        let (asked_method, asked_headers) = if options {
            let method = req
                .header_str("access-control-request-method")
                .map(str::trim)
                .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_graphic()))
                .map(str::to_owned);
            (method, asked_headers())
        } else {
            (None, None)
        };
        if options && has_origin {
            if let Some(asked) = asked_method {
                let mut head = Head::new(Status::NO_CONTENT).header(
                    "Vary",
                    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
                );
                if let Some(allowed) = allowed {
                    let methods = if METHODS.split(", ").any(|m| m == asked) {
                        METHODS.to_string()
                    } else {
                        format!("{METHODS}, {asked}")
                    };
                    head = head
                        .header("Access-Control-Allow-Origin", allowed)
                        .header("Access-Control-Allow-Credentials", "true")
                        .header("Access-Control-Allow-Methods", methods)
                        .header("Access-Control-Max-Age", MAX_AGE);
                    if let Some(h) = asked_headers {
                        head = head.header("Access-Control-Allow-Headers", h);
                    }
                }
                let _ = sent(ex.respond(head, "").await);
                return true;
            }
        }
        let listed = matches!(self, Cors::Origins(_));
        let Some(allowed) = allowed else {
            if listed {
                ex.add_answer_fields(VARY_ORIGIN);
            }
            return false;
        };
        if has_origin {
            ex.add_answer_fields(CROSS_ORIGIN);
            let _ = ex.add_answer_field("Access-Control-Allow-Origin", allowed);
        } else {
            ex.add_answer_fields(ANY_ORIGIN);
        }
        if options {
            // As httpbin answers every OPTIONS.
            ex.add_answer_fields(OPTIONS);
            if let Some(h) = asked_headers {
                let _ = ex.add_answer_field("Access-Control-Allow-Headers", h);
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_reads_as_written() {
        assert_eq!("off".parse::<Cors>(), Ok(Cors::Off));
        assert_eq!("any".parse::<Cors>(), Ok(Cors::Any));
        assert_eq!(
            "https://a.example, http://b.example:8080/".parse::<Cors>(),
            Ok(Cors::Origins(vec![
                "https://a.example".into(),
                "http://b.example:8080".into()
            ]))
        );
        assert!("a.example".parse::<Cors>().is_err());
        assert!("https://a.example/path".parse::<Cors>().is_err());
        assert!("https://".parse::<Cors>().is_err());
        assert!(",".parse::<Cors>().is_err());
    }
}
