//! Rules about the header fields a status requires, most of them read from
//! the registry.

use teapot_codes::{Level, Status};

use super::{finding, source_of, Finding, Rule, Severity};
use crate::exchange::Response;

/// `Date` on every 2xx, 3xx and 4xx response of an origin with a clock
/// (RFC 9110 §6.6.1).
pub const DATE: Rule = Rule {
    id: "field.date",
    section: "RFC 9110 §6.6.1",
    doc: "2xx, 3xx and 4xx responses carry Date.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        if !(200..500).contains(&r.status) {
            return Vec::new();
        }
        match r.header("date") {
            None => vec![finding(
                "field.date",
                Severity::Must,
                "RFC 9110 §6.6.1",
                format!(
                    "A {} response from an origin server with a clock must carry Date.",
                    r.status
                ),
            )],
            Some(d) if httpdate::parse_http_date(d.trim()).is_err() => vec![finding(
                "field.date",
                Severity::Must,
                "RFC 9110 §5.6.7",
                format!(
                    "Date {d:?} is not an HTTP-date such as \"Sun, 06 Nov 1994 08:49:37 GMT\"."
                ),
            )],
            Some(_) => Vec::new(),
        }
    },
};

/// The fields the registry says a status must or should carry.
pub const REQUIRED: Rule = Rule {
    id: "status.required-field",
    section: "RFC 9110 §15",
    doc: "Each status carries the header fields its definition requires (the registry's MUST and SHOULD fields).",
    check: |cx| {
        let Some(r) = cx.last() else { return Vec::new() };
        let Some(entry) = Status::from_u16(r.status).ok().and_then(|s| s.entry()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for rule in entry.rules.headers {
            let severity = match rule.level {
                Level::Must => Severity::Must,
                Level::Should => Severity::Should,
                Level::May => continue,
            };
            // A multipart 206 carries Content-Range in each part instead.
            if r.status == 206 && rule.name == "Content-Range" && is_multipart(r) {
                continue;
            }
            // 201's Location only matters when the new resource is not the
            // target itself; 300's only when one choice is preferred. Only
            // the registry's MUST is held against those.
            if matches!(r.status, 201 | 300) && rule.name == "Location" {
                continue;
            }
            // HTTP/2 and HTTP/3 carry no connection-specific fields (RFC
            // 9113 §8.2.2, RFC 9114 §4.2): the connection's end is a GOAWAY,
            // the upgrade offer has no place.
            if !r.version.starts_with("HTTP/1") && matches!(rule.name, "Connection" | "Upgrade") {
                continue;
            }
            let present = match (rule.name, r.status) {
                ("Connection", 101 | 426) => r.has_token("connection", "upgrade"),
                ("Connection", 408) => r.has_token("connection", "close"),
                (name, _) => r.header(name).is_some(),
            };
            if !present {
                let what = match (rule.name, r.status) {
                    ("Connection", 408) => "Connection: close".to_string(),
                    ("Connection", _) => "Connection listing upgrade".to_string(),
                    (name, _) => name.to_string(),
                };
                out.push(finding(
                    "status.required-field",
                    severity,
                    source_of(r.status),
                    format!("A {} response {} carry {what} ({}).", r.status, rule.level.as_str().to_lowercase(), rule.why),
                ));
            }
        }
        out
    },
};

fn is_multipart(r: &Response) -> bool {
    r.header("content-type").is_some_and(|c| {
        c.trim()
            .to_ascii_lowercase()
            .starts_with("multipart/byteranges")
    })
}

/// 405's `Allow` lists the methods the target supports, which cannot
/// include the one just refused.
pub const ALLOW: Rule = Rule {
    id: "status.405-allow",
    section: "RFC 9110 §15.5.6",
    doc: "A 405's Allow does not list the method that was refused.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        if r.status != 405 {
            return Vec::new();
        }
        let method = &cx.exchange.request.method;
        let listed = r
            .headers_named("allow")
            .flat_map(|v| v.split(','))
            .any(|m| m.trim() == method);
        if listed {
            return vec![finding(
                "status.405-allow",
                Severity::Must,
                "RFC 9110 §15.5.6, §10.2.1",
                format!("Allow lists {method}, the very method this 405 refused; it must list what the target supports."),
            )];
        }
        Vec::new()
    },
};

/// `bytes first-last/complete` (or `/*`), parsed.
fn content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, complete) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
    let complete = if complete == "*" {
        None
    } else {
        Some(complete.parse().ok()?)
    };
    (a <= b && complete.is_none_or(|c| b < c)).then_some((a, b, complete))
}

/// A single-part 206's `Content-Range` agrees with its content; a multipart
/// one has no top-level `Content-Range`.
pub const CONTENT_RANGE_206: Rule = Rule {
    id: "status.206-content-range",
    section: "RFC 9110 §15.3.7",
    doc: "A 206's Content-Range is valid and matches the content it frames.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        if r.status != 206 {
            return Vec::new();
        }
        let bad = |msg: String| {
            vec![finding(
                "status.206-content-range",
                Severity::Must,
                "RFC 9110 §15.3.7, §14.4",
                msg,
            )]
        };
        if is_multipart(r) {
            if r.header("content-range").is_some() {
                return bad(
                    "A multipart 206 must not carry a Content-Range of its own; each part has one."
                        .into(),
                );
            }
            if !r
                .header("content-type")
                .is_some_and(|c| c.contains("boundary="))
            {
                return bad("multipart/byteranges needs a boundary parameter.".into());
            }
            return Vec::new();
        }
        let Some(v) = r.header("content-range") else {
            return Vec::new();
        };
        match content_range(v) {
            None => bad(format!(
                "Content-Range {v:?} is not `bytes first-last/length` with first <= last < length."
            )),
            Some((a, b, _))
                if !cx.exchange.request.method.eq_ignore_ascii_case("HEAD")
                    && b - a + 1 != r.body_bytes as u64 =>
            {
                bad(format!(
                    "Content-Range {v:?} announces {} bytes, but the content has {}.",
                    b - a + 1,
                    r.body_bytes
                ))
            }
            Some(_) => Vec::new(),
        }
    },
};

/// A 416's `Content-Range` says `bytes */length`.
pub const CONTENT_RANGE_416: Rule = Rule {
    id: "status.416-content-range",
    section: "RFC 9110 §15.5.17",
    doc: "A 416's Content-Range is `bytes */<length>`.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        if r.status != 416 {
            return Vec::new();
        }
        let Some(v) = r.header("content-range") else {
            return Vec::new();
        };
        let ok = v
            .trim()
            .strip_prefix("bytes */")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if ok {
            return Vec::new();
        }
        vec![finding(
            "status.416-content-range",
            Severity::Should,
            "RFC 9110 §15.5.17",
            format!("A 416's Content-Range should be `bytes */<current length>`, not {v:?}."),
        )]
    },
};

/// `Retry-After` is delay-seconds or an HTTP-date.
pub const RETRY_AFTER: Rule = Rule {
    id: "field.retry-after",
    section: "RFC 9110 §10.2.3",
    doc: "Retry-After is a number of seconds or an HTTP-date.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        let Some(v) = r.header("retry-after") else {
            return Vec::new();
        };
        let v = v.trim();
        let seconds = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
        if seconds || httpdate::parse_http_date(v).is_ok() {
            return Vec::new();
        }
        vec![finding(
            "field.retry-after",
            Severity::Must,
            "RFC 9110 §10.2.3",
            format!("Retry-After {v:?} is neither a whole number of seconds nor an HTTP-date; clients cannot honour it."),
        )]
    },
};

/// A 304 carries the fields a 200 to the same request would have:
/// Content-Location, Date, ETag, Vary, Cache-Control, Expires.
pub const NOT_MODIFIED: Rule = Rule {
    id: "status.304-validators",
    section: "RFC 9110 §15.4.5",
    doc: "A 304 carries the ETag, Vary, Cache-Control, Expires and Content-Location that a 200 would.",
    check: |cx| {
        let (Some(r), Some(full)) = (cx.last(), cx.reference) else { return Vec::new() };
        if r.status != 304 || full.status != 200 {
            return Vec::new();
        }
        let mut out: Vec<Finding> = Vec::new();
        for field in ["ETag", "Vary", "Cache-Control", "Expires", "Content-Location"] {
            if full.header(field).is_some() && r.header(field).is_none() {
                out.push(finding(
                    "status.304-validators",
                    Severity::Must,
                    "RFC 9110 §15.4.5",
                    format!("The 200 for this resource carries {field}, so the 304 must too; caches refresh their copy from it."),
                ));
            }
        }
        out
    },
};

#[cfg(test)]
mod tests {
    use super::super::testing::{exchange, ids, response, DATE};
    use super::super::{lint, Context};

    #[test]
    fn date_is_required_on_2xx_to_4xx() {
        assert_eq!(
            ids(&exchange("GET", &[], response(404, &[], "x"))),
            ["field.date"]
        );
        assert!(ids(&exchange(
            "GET",
            &[],
            response(503, &[("Retry-After", "1")], "x")
        ))
        .is_empty());
        assert_eq!(
            ids(&exchange(
                "GET",
                &[],
                response(200, &[("Date", "yesterday")], "x")
            )),
            ["field.date"]
        );
    }

    #[test]
    fn required_headers_come_from_the_registry() {
        let missing = |code: u16| ids(&exchange("GET", &[], response(code, &[DATE], "x")));
        assert_eq!(missing(405), ["status.required-field"]);
        assert_eq!(missing(401), ["status.required-field"]);
        assert_eq!(missing(407), ["status.required-field"]);
        assert_eq!(
            missing(426),
            ["status.required-field", "status.required-field"]
        );
        assert_eq!(missing(303), ["status.required-field"]);
        assert_eq!(missing(307), ["status.required-field"]);
        assert!(ids(&exchange("POST", &[], response(201, &[DATE], "x"))).is_empty());
        assert!(missing(200).is_empty());
        let ok = exchange(
            "GET",
            &[],
            response(
                426,
                &[DATE, ("Upgrade", "websocket"), ("Connection", "Upgrade")],
                "x",
            ),
        );
        assert!(ids(&ok).is_empty());
    }

    #[test]
    fn http2_is_not_held_to_connection_fields() {
        let over_h2 = |code: u16| {
            let mut r = response(
                code,
                &[DATE, ("Allow", "GET"), ("Content-Type", "text/plain")],
                "x",
            );
            r.version = "HTTP/2".into();
            let mut ex = exchange("POST", &[], r);
            // The server ended the connection (GOAWAY, then the close).
            ex.reusable = false;
            ids(&ex)
        };
        assert_eq!(over_h2(408), Vec::<&str>::new());
        assert!(over_h2(426).is_empty());
        // Everything else still holds.
        assert_eq!(over_h2(401), ["status.required-field"]);
    }

    #[test]
    fn severities_follow_the_registry_levels() {
        let ex = exchange("GET", &[], response(307, &[DATE], "x"));
        let cx = Context {
            exchange: &ex,
            reference: None,
        };
        assert_eq!(lint(&cx)[0].severity, super::Severity::Should);
        let ex = exchange("GET", &[], response(401, &[DATE], "x"));
        let cx = Context {
            exchange: &ex,
            reference: None,
        };
        assert_eq!(lint(&cx)[0].severity, super::Severity::Must);
    }

    #[test]
    fn allow_must_not_list_the_refused_method() {
        let ex = exchange(
            "PUT",
            &[],
            response(405, &[DATE, ("Allow", "GET, PUT")], "x"),
        );
        assert_eq!(ids(&ex), ["status.405-allow"]);
        let ex = exchange(
            "PUT",
            &[],
            response(405, &[DATE, ("Allow", "GET, HEAD")], "x"),
        );
        assert!(ids(&ex).is_empty());
    }

    #[test]
    fn content_range() {
        let good = exchange(
            "GET",
            &[("Range", "bytes=0-2")],
            response(206, &[DATE, ("Content-Range", "bytes 0-2/10")], "abc"),
        );
        assert!(ids(&good).is_empty());
        for bad in [
            "bytes 0-3/10",
            "bytes 2-1/10",
            "bytes 0-2/2",
            "items 0-2/10",
            "bytes 0-2",
        ] {
            let ex = exchange(
                "GET",
                &[("Range", "bytes=0-2")],
                response(206, &[DATE, ("Content-Range", bad)], "abc"),
            );
            assert_eq!(ids(&ex), ["status.206-content-range"], "{bad}");
        }
        let ex = exchange(
            "GET",
            &[("Range", "bytes=0-2")],
            response(206, &[DATE], "abc"),
        );
        assert_eq!(ids(&ex), ["status.required-field"]);
        let multi = exchange(
            "GET",
            &[("Range", "bytes=0-0,1-1")],
            response(
                206,
                &[
                    DATE,
                    ("Content-Type", "multipart/byteranges; boundary=x"),
                    ("Content-Range", "bytes 0-1/2"),
                ],
                "ab",
            ),
        );
        assert_eq!(ids(&multi), ["status.206-content-range"]);
        let ex = exchange(
            "GET",
            &[("Range", "bytes=0-2")],
            response(416, &[DATE, ("Content-Range", "bytes 0-1/2")], "x"),
        );
        assert_eq!(ids(&ex), ["status.416-content-range"]);
        let ex = exchange(
            "GET",
            &[("Range", "bytes=0-2")],
            response(416, &[DATE, ("Content-Range", "bytes */2")], "x"),
        );
        assert!(ids(&ex).is_empty());
    }

    #[test]
    fn retry_after_values() {
        for ok in ["0", "120", "Fri, 31 Dec 1999 23:59:59 GMT"] {
            assert!(
                ids(&exchange(
                    "GET",
                    &[],
                    response(429, &[DATE, ("Retry-After", ok)], "x")
                ))
                .is_empty(),
                "{ok}"
            );
        }
        for bad in ["-1", "soon", "1.5", ""] {
            assert_eq!(
                ids(&exchange(
                    "GET",
                    &[],
                    response(503, &[("Retry-After", bad)], "x")
                )),
                ["field.retry-after"],
                "{bad:?}"
            );
        }
    }

    #[test]
    fn not_modified_compares_with_the_200() {
        let full = response(
            200,
            &[DATE, ("ETag", "\"a\""), ("Cache-Control", "max-age=60")],
            "x",
        );
        let ex = exchange(
            "GET",
            &[("If-None-Match", "\"a\"")],
            response(304, &[DATE, ("ETag", "\"a\"")], ""),
        );
        let cx = Context {
            exchange: &ex,
            reference: Some(&full),
        };
        let got: Vec<&str> = lint(&cx).iter().map(|f| f.rule).collect();
        assert_eq!(got, ["status.304-validators"]);
    }
}
