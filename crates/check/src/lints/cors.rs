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

/// Methods a browser sends cross-origin without asking first.
const SAFELISTED_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

/// Request fields a browser sends without asking first (the Fetch
/// standard's CORS-safelisted names; their values have limits this rule
/// does not know, so a preflight that names one is taken at its word).
const SAFELISTED_HEADERS: [&str; 5] = [
    "accept",
    "accept-language",
    "content-language",
    "content-type",
    "range",
];

/// The answer to a preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`): a 2xx that allows the origin, the
/// method and the fields asked for, or the browser never sends the request.
pub const PREFLIGHT: Rule = Rule {
    id: "cors.preflight",
    section: "Fetch §3.2.3",
    doc: "A preflight's answer is a 2xx that allows the origin, the method and the request fields asked for; otherwise the browser never sends the request.",
    check: |cx| {
        let req = &cx.exchange.request;
        let (Some(_), Some(method)) = (req.header("origin"), req.header("access-control-request-method")) else {
            return Vec::new();
        };
        if !req.method.eq_ignore_ascii_case("OPTIONS") {
            return Vec::new();
        }
        let Some(r) = cx.last() else { return Vec::new() };
        let mut why = Vec::new();
        if !(200..300).contains(&r.status) {
            why.push(format!("it is a {}, not a 2xx", r.status));
        }
        if r.header("access-control-allow-origin").is_none() {
            why.push("it has no Access-Control-Allow-Origin".to_string());
        }
        let listed = |field: &str| -> Vec<String> {
            r.headers_named(field)
                .flat_map(|v| v.split(','))
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()
        };
        let credentials = r.header("access-control-allow-credentials") == Some("true");
        let methods = listed("access-control-allow-methods");
        let method = method.trim();
        let method_ok = SAFELISTED_METHODS.contains(&method)
            || methods.iter().any(|m| m == method)
            || (!credentials && methods.iter().any(|m| m == "*"));
        if !method_ok {
            why.push(format!("Access-Control-Allow-Methods does not name {method}"));
        }
        let allowed = listed("access-control-allow-headers");
        let missing: Vec<String> = req
            .header("access-control-request-headers")
            .unwrap_or("")
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty() && !SAFELISTED_HEADERS.contains(&h.as_str()))
            .filter(|h| {
                let named = allowed.iter().any(|a| a.eq_ignore_ascii_case(h));
                let any = !credentials && allowed.iter().any(|a| a == "*");
                !named && !any
            })
            .collect();
        if !missing.is_empty() {
            why.push(format!("Access-Control-Allow-Headers does not name {}", missing.join(", ")));
        }
        if why.is_empty() {
            return Vec::new();
        }
        vec![finding(
            "cors.preflight",
            Severity::Must,
            "Fetch §3.2.3",
            format!("The preflight fails, so the browser never sends the {method}: {}.", why.join("; ")),
        )]
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

    fn preflight(response_status: u16, headers: &[(&str, &str)], asks: &[(&str, &str)]) -> bool {
        let mut request = vec![("Origin", "https://app.example")];
        request.extend_from_slice(asks);
        let mut all = vec![DATE];
        all.extend_from_slice(headers);
        ids(&exchange(
            "OPTIONS",
            &request,
            response(response_status, &all, ""),
        ))
        .contains(&"cors.preflight")
    }

    #[test]
    fn a_preflight_allows_what_was_asked() {
        let put = [
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "X-Token, Content-Type"),
        ];
        let good = [
            ("Access-Control-Allow-Origin", "https://app.example"),
            ("Access-Control-Allow-Methods", "GET, PUT"),
            ("Access-Control-Allow-Headers", "x-token"),
        ];
        assert!(!preflight(204, &good, &put));
        assert!(preflight(405, &good, &put), "not a 2xx");
        assert!(preflight(204, &good[1..], &put), "no Allow-Origin");
        assert!(
            preflight(
                204,
                &[good[0], ("Access-Control-Allow-Methods", "GET"), good[2]],
                &put
            ),
            "PUT not allowed"
        );
        assert!(preflight(204, &good[..2], &put), "X-Token not allowed");
        let star = [
            good[0],
            ("Access-Control-Allow-Methods", "*"),
            ("Access-Control-Allow-Headers", "*"),
        ];
        assert!(!preflight(204, &star, &put), "* without credentials");
        let star_creds = [
            star[0],
            star[1],
            star[2],
            ("Access-Control-Allow-Credentials", "true"),
        ];
        assert!(
            preflight(204, &star_creds, &put),
            "* is literal with credentials"
        );
        // Not a preflight: no finding whatever the answer.
        assert!(!preflight(405, &[], &[]));
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
