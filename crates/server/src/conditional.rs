//! Conditional requests (RFC 9110 §13): evaluating `If-Match`,
//! `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since` against a
//! resource's validators, in the order §13.2.2 gives.

use std::time::SystemTime;

use teapot_wire::{Method, Request};

/// A resource's current validators.
#[derive(Clone, Debug)]
pub struct Validators {
    /// The entity-tag, quotes included (`"v1"` or `W/"v1"`).
    pub etag: String,
    /// When the resource last changed, if known.
    pub last_modified: Option<SystemTime>,
}

/// What the preconditions decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go on with the request.
    Proceed,
    /// Answer 304 Not Modified (GET and HEAD only).
    NotModified,
    /// Answer 412 Precondition Failed.
    Failed,
}

/// One entity-tag of a list: (weak, opaque-tag with quotes).
fn tags(value: &str) -> Option<Vec<(bool, &str)>> {
    let mut out = Vec::new();
    for part in value.split(',') {
        let t = part.trim();
        if t.is_empty() {
            continue;
        }
        let (weak, opaque) = match t.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        if opaque.len() < 2
            || !opaque.starts_with('"')
            || !opaque.ends_with('"')
            || opaque[1..opaque.len() - 1].contains('"')
        {
            return None;
        }
        out.push((weak, opaque));
    }
    Some(out)
}

fn split(etag: &str) -> (bool, &str) {
    match etag.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, etag),
    }
}

/// Whether a list field (`*` or entity-tags) matches `etag`; `strong`
/// selects strong comparison (If-Match) over weak (If-None-Match).
fn list_matches(field: &str, etag: &str, strong: bool) -> bool {
    if field.trim() == "*" {
        return true;
    }
    let (weak, opaque) = split(etag);
    let Some(list) = tags(field) else {
        return false;
    };
    list.iter()
        .any(|&(w, o)| o == opaque && (!strong || (!w && !weak)))
}

fn date(req: &Request, name: &str) -> Option<SystemTime> {
    req.header_str(name)
        .and_then(|v| httpdate::parse_http_date(v.trim()).ok())
}

/// Evaluates the request's preconditions against `v`.
pub fn evaluate(req: &Request, v: &Validators) -> Decision {
    let safe = matches!(req.method(), Method::Get | Method::Head);
    // Whole seconds: HTTP dates carry no fractions.
    let modified = v.last_modified.map(|t| httpdate::HttpDate::from(t).into());
    let if_match: Vec<&str> = req
        .header_all("if-match")
        .filter_map(|v| std::str::from_utf8(v).ok())
        .collect();
    if !if_match.is_empty() {
        if !list_matches(&if_match.join(","), &v.etag, true) {
            return Decision::Failed;
        }
    } else if let (Some(since), Some(modified)) = (date(req, "if-unmodified-since"), modified) {
        if modified > since {
            return Decision::Failed;
        }
    }
    let if_none: Vec<&str> = req
        .header_all("if-none-match")
        .filter_map(|v| std::str::from_utf8(v).ok())
        .collect();
    if !if_none.is_empty() {
        if list_matches(&if_none.join(","), &v.etag, false) {
            return if safe {
                Decision::NotModified
            } else {
                Decision::Failed
            };
        }
    } else if safe {
        if let (Some(since), Some(modified)) = (date(req, "if-modified-since"), modified) {
            let modified: SystemTime = modified;
            if modified <= since {
                return Decision::NotModified;
            }
        }
    }
    Decision::Proceed
}

/// Whether an `If-Range` value lets a range request be served as ranges
/// (RFC 9110 §13.1.5): a strong entity-tag equal to the current one, or a
/// date equal to `Last-Modified`.
pub fn if_range_holds(value: &str, v: &Validators) -> bool {
    let value = value.trim();
    if value.starts_with('"') {
        let (weak, opaque) = split(&v.etag);
        return !weak && value == opaque;
    }
    if value.starts_with("W/") {
        return false;
    }
    match (httpdate::parse_http_date(value), v.last_modified) {
        (Ok(d), Some(m)) => httpdate::HttpDate::from(m) == httpdate::HttpDate::from(d),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        assert!(list_matches("\"a\"", "\"a\"", true));
        assert!(list_matches("W/\"a\"", "\"a\"", false));
        assert!(!list_matches("W/\"a\"", "\"a\"", true));
        assert!(list_matches("\"x\", \"a\"", "\"a\"", true));
        assert!(list_matches("*", "\"a\"", true));
        assert!(!list_matches("\"b\"", "\"a\"", false));
        assert!(
            !list_matches("a", "\"a\"", false),
            "unquoted is not an entity-tag"
        );
    }

    #[test]
    fn if_range() {
        let v = Validators {
            etag: "\"r\"".into(),
            last_modified: Some(SystemTime::UNIX_EPOCH),
        };
        assert!(if_range_holds("\"r\"", &v));
        assert!(!if_range_holds("W/\"r\"", &v));
        assert!(!if_range_holds("\"other\"", &v));
        assert!(if_range_holds("Thu, 01 Jan 1970 00:00:00 GMT", &v));
        assert!(!if_range_holds("Fri, 02 Jan 1970 00:00:00 GMT", &v));
    }
}
