//! CORS fields as the Fetch standard reads them: a browser refuses an
//! answer whose `Access-Control-Allow-Origin` is not one origin, `*` or
//! `null`, and a credentialed request whose answer says `*`.

use super::{finding, Rule, Severity};

/// A serialized origin: `scheme "://" host [ ":" port ]`, nothing after.
fn is_origin(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
            if h.starts_with('[') && !h.ends_with(']') {
                (rest, None)
            } else {
                (h, Some(p))
            }
        }
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~[]:%".contains(&b));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    scheme_ok && host_ok && port_ok
}

/// `Access-Control-Allow-Origin`: one origin, `*` or `null`.
pub const ALLOW_ORIGIN_SYNTAX: Rule = Rule {
    id: "cors.allow-origin-syntax",
    section: "Fetch §3.2.3",
    doc: "Access-Control-Allow-Origin is one serialized origin, * or null, sent once; browsers refuse anything else.",
    check: |cx| {
        let Some(r) = cx.last() else { return Vec::new() };
        let values: Vec<&str> = r.headers_named("access-control-allow-origin").collect();
        let bad = match values.as_slice() {
            [] => None,
            [v] if *v == "*" || *v == "null" || is_origin(v) => None,
            [v] => Some(format!("{v:?} is not one origin, * or null")),
            _ => Some(format!("it is sent {} times; a browser takes none of them", values.len())),
        };
        bad.map(|why| {
            vec![finding(
                "cors.allow-origin-syntax",
                Severity::Must,
                "Fetch §3.2.3",
                format!("Access-Control-Allow-Origin: {why}, so no page on another origin can read the answer."),
            )
            .at_field("Access-Control-Allow-Origin", &values.join(", "))]
        })
        .unwrap_or_default()
    },
};

/// `Access-Control-Allow-Credentials` is `true` or absent, and never
/// beside `*` for a cross-origin request.
pub const ALLOW_CREDENTIALS: Rule = Rule {
    id: "cors.allow-credentials",
    section: "Fetch §3.2.3",
    doc: "Access-Control-Allow-Credentials is exactly true, and a cross-origin request's answer that allows credentials names the origin rather than *.",
    check: |cx| {
        let Some(r) = cx.last() else { return Vec::new() };
        let Some(creds) = r.header("access-control-allow-credentials") else {
            return Vec::new();
        };
        if creds != "true" {
            return vec![finding(
                "cors.allow-credentials",
                Severity::Must,
                "Fetch §3.2.3",
                format!("Access-Control-Allow-Credentials {creds:?} is not `true` (the only value, case-sensitive); browsers ignore it."),
            )
            .at_field("Access-Control-Allow-Credentials", creds)];
        }
        let cross_origin = cx.exchange.request.header("origin").is_some();
        if cross_origin && r.header("access-control-allow-origin") == Some("*") {
            return vec![finding(
                "cors.allow-credentials",
                Severity::Should,
                "Fetch §3.2.3",
                "Credentials are allowed with Access-Control-Allow-Origin: *: a browser refuses every credentialed request; name the request's origin instead.",
            )
            .at_field("Access-Control-Allow-Origin", "*")];
        }
        Vec::new()
    },
};

#[cfg(test)]
mod tests {
    use crate::lints::testing::{exchange, ids, response, DATE};

    fn flagged(request: &[(&str, &str)], headers: &[(&str, &str)], rule: &str) -> bool {
        let mut all = vec![DATE];
        all.extend_from_slice(headers);
        ids(&exchange("GET", request, response(200, &all, ""))).contains(&rule)
    }

    #[test]
    fn allow_origin_is_one_origin() {
        let rule = "cors.allow-origin-syntax";
        for good in [
            "*",
            "null",
            "https://app.example",
            "http://127.0.0.1:8418",
            "http://[::1]:80",
        ] {
            assert!(
                !flagged(&[], &[("Access-Control-Allow-Origin", good)], rule),
                "{good}"
            );
        }
        for bad in [
            "https://a.example, https://b.example",
            "https://a.example/",
            "app.example",
            "https://a.example:port",
        ] {
            assert!(
                flagged(&[], &[("Access-Control-Allow-Origin", bad)], rule),
                "{bad}"
            );
        }
        assert!(flagged(
            &[],
            &[
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Origin", "*")
            ],
            rule
        ));
    }

    #[test]
    fn credentials_are_true_and_not_with_any_origin() {
        let rule = "cors.allow-credentials";
        let origin = [("Origin", "https://app.example")];
        assert!(flagged(
            &[],
            &[("Access-Control-Allow-Credentials", "TRUE")],
            rule
        ));
        assert!(flagged(
            &origin,
            &[
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Credentials", "true")
            ],
            rule
        ));
        assert!(!flagged(
            &origin,
            &[
                ("Access-Control-Allow-Origin", "https://app.example"),
                ("Access-Control-Allow-Credentials", "true")
            ],
            rule
        ));
        // Without Origin the browser's check does not apply (teapot's own
        // answer to a same-origin request).
        assert!(!flagged(
            &[],
            &[
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Credentials", "true")
            ],
            rule
        ));
    }
}
