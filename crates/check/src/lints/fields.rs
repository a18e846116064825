//! Rules on the syntax of common fields (RFC 9110 §5.6, §8, §12; RFC 9111
//! §5; RFC 6265 §4.1), on what a response says about time, and on answers
//! a request did not ask for. A sender must not generate a field that does
//! not match its grammar (RFC 9110 §2.2), so a syntax error is a MUST
//! finding; where the specification itself says SHOULD, so does the rule.

use super::{finding, Rule, Severity};
use crate::exchange::Response;

/// `tchar` (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// How many bytes at the start of `s` are `tchar`.
fn token_len(s: &str) -> usize {
    s.bytes().position(|b| !is_tchar(b)).unwrap_or(s.len())
}

/// A quoted-string (RFC 9110 §5.6.4), whole.
fn is_quoted_string(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'"' || b[b.len() - 1] != b'"' {
        return false;
    }
    let mut i = 1;
    while i < b.len() - 1 {
        match b[i] {
            b'\\' if i + 1 < b.len() - 1 => i += 2,
            b'"' | b'\\' => return false,
            c if c == b'\t' || c == b' ' || (0x21..=0x7e).contains(&c) || c >= 0x80 => i += 1,
            _ => return false,
        }
    }
    true
}

/// `delta-seconds` (RFC 9111 §1.2.2).
fn is_delta_seconds(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// An entity-tag (RFC 9110 §8.8.3): `[W/] DQUOTE *etagc DQUOTE`.
pub(crate) fn is_entity_tag(s: &str) -> bool {
    let opaque = s.strip_prefix("W/").unwrap_or(s).as_bytes();
    opaque.len() >= 2
        && opaque[0] == b'"'
        && opaque[opaque.len() - 1] == b'"'
        && opaque[1..opaque.len() - 1]
            .iter()
            .all(|&c| c == 0x21 || (0x23..=0x7e).contains(&c) || c >= 0x80)
}

/// An IMF-fixdate, the form a sender must generate (RFC 9110 §5.6.7).
fn is_imf_fixdate(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 29 && s.ends_with(" GMT") && b[3] == b',' && httpdate::parse_http_date(s).is_ok()
}

fn last<'a>(cx: &'a super::Context<'_>) -> Option<&'a Response> {
    cx.last()
}

/// `ETag` is an entity-tag: quoted, optionally weak.
pub const ETAG: Rule = Rule {
    id: "field.etag",
    section: "RFC 9110 §8.8.3",
    doc: "ETag is a quoted entity-tag, optionally W/-prefixed.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        r.headers_named("etag")
            .filter(|v| !is_entity_tag(v.trim()))
            .map(|v| {
                finding(
                    "field.etag",
                    Severity::Must,
                    "RFC 9110 §8.8.3",
                    format!("ETag {v:?} is not an entity-tag: write it in double quotes, as \"{}\" (or W/\"…\" for a weak one).", v.trim().trim_matches('"')),
                )
            })
            .collect()
    },
};

/// `Last-Modified` is an IMF-fixdate, and not later than `Date`.
pub const LAST_MODIFIED: Rule = Rule {
    id: "field.last-modified",
    section: "RFC 9110 §8.8.2",
    doc: "Last-Modified is an HTTP-date, and not later than Date.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        let Some(v) = r.header("last-modified").map(str::trim) else {
            return Vec::new();
        };
        if !is_imf_fixdate(v) {
            return vec![finding(
                "field.last-modified",
                Severity::Must,
                "RFC 9110 §5.6.7",
                format!("Last-Modified {v:?} is not an HTTP-date such as \"Sun, 06 Nov 1994 08:49:37 GMT\"."),
            )];
        }
        let (Ok(modified), Some(Ok(date))) = (
            httpdate::parse_http_date(v),
            r.header("date")
                .map(|d| httpdate::parse_http_date(d.trim())),
        ) else {
            return Vec::new();
        };
        if modified > date {
            return vec![finding(
                "field.last-modified",
                Severity::Must,
                "RFC 9110 §8.8.2.1",
                format!("Last-Modified {v:?} is later than the response's Date: an origin server must not send a time after it generated the message."),
            )];
        }
        Vec::new()
    },
};

/// `Expires` is an HTTP-date.
pub const EXPIRES: Rule = Rule {
    id: "cache.expires",
    section: "RFC 9111 §5.3",
    doc: "Expires is an HTTP-date (caches read anything else as already expired).",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        let Some(v) = r.header("expires").map(str::trim) else {
            return Vec::new();
        };
        if is_imf_fixdate(v) {
            return Vec::new();
        }
        vec![finding(
            "cache.expires",
            Severity::Must,
            "RFC 9111 §5.3",
            format!("Expires {v:?} is not an HTTP-date; caches take it as a time in the past. To say \"already stale\", send Cache-Control: no-cache or max-age=0."),
        )]
    },
};

/// The directives that take delta-seconds.
const DELTA_DIRECTIVES: &[&str] = &[
    "max-age",
    "s-maxage",
    "stale-while-revalidate",
    "stale-if-error",
];

/// `Cache-Control`: directives are tokens, with a token or quoted-string
/// argument; the age directives take delta-seconds.
pub const CACHE_CONTROL: Rule = Rule {
    id: "cache.cache-control-syntax",
    section: "RFC 9111 §5.2",
    doc: "Cache-Control is a list of directives; max-age and its kin take whole seconds.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        let mut out = Vec::new();
        for v in r.headers_named("cache-control") {
            for item in v.split(',').map(str::trim) {
                if item.is_empty() {
                    continue;
                }
                let (name, arg) = match item.split_once('=') {
                    Some((n, a)) => (n.trim(), Some(a.trim())),
                    None => (item, None),
                };
                let syntax_ok =
                    is_token(name) && arg.is_none_or(|a| is_token(a) || is_quoted_string(a));
                let lower = name.to_ascii_lowercase();
                let delta_ok = !DELTA_DIRECTIVES.contains(&lower.as_str())
                    || arg.is_some_and(|a| is_delta_seconds(a.trim_matches('"')));
                if !syntax_ok || !delta_ok {
                    out.push(finding(
                        "cache.cache-control-syntax",
                        Severity::Must,
                        "RFC 9111 §5.2",
                        if !delta_ok {
                            format!("Cache-Control {item:?}: {name} takes a whole number of seconds (delta-seconds).")
                        } else {
                            format!("Cache-Control {item:?} is not a directive (token, optionally =token or =\"quoted\").")
                        },
                    ));
                }
            }
        }
        out
    },
};

/// `Vary: *`: nothing can be reused from a cache.
pub const VARY_STAR: Rule = Rule {
    id: "cache.vary-star",
    section: "RFC 9110 §12.5.5",
    doc: "Vary: * makes every cached copy unusable without revalidation.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        if !r.has_token("vary", "*") {
            return Vec::new();
        }
        vec![finding(
            "cache.vary-star",
            Severity::Info,
            "RFC 9110 §12.5.5",
            "Vary: * says the response depends on more than the request's fields: no cache can reuse it without asking again.",
        )]
    },
};

/// The codes a cache may store and reuse without explicit freshness
/// (RFC 9110 §15.1: heuristically cacheable).
const HEURISTIC_CODES: [u16; 12] = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501];

/// No explicit freshness on a heuristically cacheable answer: caches pick
/// a lifetime themselves.
pub const HEURISTIC: Rule = Rule {
    id: "cache.heuristic-freshness",
    section: "RFC 9111 §4.2.2",
    doc: "A cacheable answer without explicit freshness lets caches choose how long to reuse it.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        if !HEURISTIC_CODES.contains(&r.status) || r.header("expires").is_some() {
            return Vec::new();
        }
        // An age directive counts only with a valid value (a cache ignores
        // `max-age=abc`).
        let explicit = r
            .headers_named("cache-control")
            .flat_map(|v| v.split(','))
            .any(|d| {
                let (name, arg) = d.split_once('=').map_or((d, None), |(n, a)| (n, Some(a)));
                match name.trim().to_ascii_lowercase().as_str() {
                    "max-age" | "s-maxage" => {
                        arg.is_some_and(|a| is_delta_seconds(a.trim().trim_matches('"')))
                    }
                    "no-store" | "no-cache" | "private" => true,
                    _ => false,
                }
            });
        if explicit {
            return Vec::new();
        }
        vec![finding(
            "cache.heuristic-freshness",
            Severity::Info,
            "RFC 9111 §4.2.2",
            format!("A {} without Cache-Control max-age (or Expires) may be reused for as long as each cache guesses; say how long, or no-cache.", r.status),
        )]
    },
};

/// `Age` is delta-seconds.
pub const AGE: Rule = Rule {
    id: "cache.age",
    section: "RFC 9111 §5.1",
    doc: "Age is a whole number of seconds.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        let Some(v) = r.header("age").map(str::trim) else {
            return Vec::new();
        };
        if is_delta_seconds(v) {
            return Vec::new();
        }
        vec![finding(
            "cache.age",
            Severity::Must,
            "RFC 9111 §5.1",
            format!("Age {v:?} is not a whole number of seconds."),
        )]
    },
};

/// `Content-Type` is a media type, and content has one.
pub const CONTENT_TYPE: Rule = Rule {
    id: "field.content-type",
    section: "RFC 9110 §8.3",
    doc: "Content-Type is type/subtype with parameters; content comes with one.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        match r.header("content-type").map(str::trim) {
            Some(v) => {
                let mut parts = v.split(';');
                let media = parts.next().unwrap_or("").trim();
                let type_ok = media
                    .split_once('/')
                    .is_some_and(|(t, s)| is_token(t) && is_token(s));
                let params_ok = parts.all(|p| {
                    let p = p.trim();
                    p.is_empty()
                        || p.split_once('=').is_some_and(|(n, val)| {
                            is_token(n.trim()) && (is_token(val) || is_quoted_string(val))
                        })
                });
                if type_ok && params_ok {
                    return Vec::new();
                }
                vec![finding(
                    "field.content-type",
                    Severity::Must,
                    "RFC 9110 §8.3.1",
                    format!("Content-Type {v:?} is not a media type (type/subtype; name=value)."),
                )]
            }
            None if r.body_bytes > 0 => vec![finding(
                "field.content-type",
                Severity::Should,
                "RFC 9110 §8.3",
                format!(
                    "The {} response carries {} bytes of content but no Content-Type; clients have to guess.",
                    r.status, r.body_bytes
                ),
            )],
            None => Vec::new(),
        }
    },
};

/// `Accept-Ranges` lists range units (or `none`).
pub const ACCEPT_RANGES: Rule = Rule {
    id: "field.accept-ranges",
    section: "RFC 9110 §14.3",
    doc: "Accept-Ranges is a list of range units, or none.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        r.headers_named("accept-ranges")
            .filter(|v| !v.split(',').map(str::trim).all(is_token))
            .map(|v| {
                finding(
                    "field.accept-ranges",
                    Severity::Must,
                    "RFC 9110 §14.3",
                    format!("Accept-Ranges {v:?} is not a list of range units (such as bytes, or none)."),
                )
            })
            .collect()
    },
};

/// The octets a cookie value may hold (RFC 6265 §4.1.1).
fn is_cookie_octet(b: u8) -> bool {
    b == 0x21
        || (0x23..=0x2b).contains(&b)
        || (0x2d..=0x3a).contains(&b)
        || (0x3c..=0x5b).contains(&b)
        || (0x5d..=0x7e).contains(&b)
}

/// What is wrong with a `Set-Cookie` value, if anything.
fn set_cookie_problem(v: &str) -> Option<String> {
    let mut parts = v.split(';');
    let pair = parts.next().unwrap_or("");
    let Some((name, value)) = pair.split_once('=') else {
        return Some("it has no name=value pair".into());
    };
    if !is_token(name) {
        return Some(format!("the name {name:?} is not a token"));
    }
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    if !inner.bytes().all(is_cookie_octet) {
        return Some(format!(
            "the value {value:?} holds a character a cookie value may not (space, comma, semicolon, backslash, quote)"
        ));
    }
    for av in parts {
        let Some(av) = av.strip_prefix(' ') else {
            return Some("attributes are separated by \"; \" (a semicolon and one space)".into());
        };
        let (name, arg) = av.split_once('=').map_or((av, None), |(n, a)| (n, Some(a)));
        let max_age_ok = |a: &str| {
            let digits = a.strip_prefix('-').unwrap_or(a);
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0')
        };
        match name.to_ascii_lowercase().as_str() {
            "expires" if arg.is_none_or(|a| httpdate::parse_http_date(a).is_err()) => {
                return Some(format!("Expires={} is not a date", arg.unwrap_or("")));
            }
            "max-age" if !arg.is_some_and(max_age_ok) => {
                return Some(format!(
                    "Max-Age={} is not a non-zero whole number",
                    arg.unwrap_or("")
                ));
            }
            "secure" | "httponly" | "partitioned" if arg.is_some() => {
                return Some(format!("{name} takes no value"));
            }
            _ => {}
        }
    }
    None
}

/// `Set-Cookie` as RFC 6265 §4.1 has servers send it.
pub const SET_COOKIE: Rule = Rule {
    id: "cookie.set-cookie-syntax",
    section: "RFC 6265 §4.1",
    doc: "Set-Cookie is name=value with attributes, as RFC 6265 §4.1 writes it.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        r.headers_named("set-cookie")
            .filter_map(|v| set_cookie_problem(v.trim()).map(|why| (v, why)))
            .map(|(v, why)| {
                finding(
                    "cookie.set-cookie-syntax",
                    Severity::Should,
                    "RFC 6265 §4.1.1",
                    format!("Set-Cookie {v:?}: {why}; user agents may drop or misread it."),
                )
            })
            .collect()
    },
};

/// Answers a request did not ask for: 206 or 416 without `Range`, 304 or
/// 412 without a precondition, 417 without `Expect`.
pub const UNASKED: Rule = Rule {
    id: "status.unasked",
    section: "RFC 9110 §13.2.2, §14.2",
    doc: "206/416 answer a Range, 304/412 a precondition, 417 an Expect.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        let req = &cx.exchange.request;
        let has = |name: &str| req.header(name).is_some();
        let (needs, section): (&str, &str) = match r.status {
            206 | 416 if !has("range") => ("a Range header field", "RFC 9110 §14.2"),
            304 if !has("if-none-match") && !has("if-modified-since") => {
                ("If-None-Match or If-Modified-Since", "RFC 9110 §15.4.5")
            }
            412 if ![
                "if-match",
                "if-none-match",
                "if-modified-since",
                "if-unmodified-since",
            ]
            .iter()
            .any(|h| has(h)) =>
            {
                ("a precondition field", "RFC 9110 §13.1")
            }
            417 if !has("expect") => ("an Expect header field", "RFC 9110 §10.1.1"),
            _ => return Vec::new(),
        };
        vec![finding(
            "status.unasked",
            Severity::Should,
            section,
            format!(
                "{} answers a request with {needs}, and this request had none.",
                r.status
            ),
        )]
    },
};

/// `Allow` lists method tokens.
pub const ALLOW_SYNTAX: Rule = Rule {
    id: "field.allow",
    section: "RFC 9110 §10.2.1",
    doc: "Allow is a list of method names.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        r.headers_named("allow")
            .filter(|v| {
                !v.split(',')
                    .map(str::trim)
                    .all(|m| m.is_empty() || is_token(m))
            })
            .map(|v| {
                finding(
                    "field.allow",
                    Severity::Must,
                    "RFC 9110 §10.2.1",
                    format!("Allow {v:?} is not a list of method names."),
                )
            })
            .collect()
    },
};

/// `Location` is a URI reference: no whitespace or controls, no fragment-
/// less garbage a client cannot resolve.
pub const LOCATION_SYNTAX: Rule = Rule {
    id: "field.location",
    section: "RFC 9110 §10.2.2",
    doc: "Location is a URI reference (no spaces, no control characters).",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        let Some(v) = r.header("location") else {
            return Vec::new();
        };
        let bad = v.is_empty()
            || v.bytes()
                .any(|b| b <= 0x20 || b == 0x7f || b"<>\"\\^`{|}".contains(&b));
        if !bad {
            return Vec::new();
        }
        vec![finding(
            "field.location",
            Severity::Must,
            "RFC 9110 §10.2.2",
            format!("Location {v:?} is not a URI reference (percent-encode spaces and such characters)."),
        )]
    },
};

/// A challenge starts with an auth-scheme token.
pub const CHALLENGE_SYNTAX: Rule = Rule {
    id: "field.challenge",
    section: "RFC 9110 §11.6.1",
    doc: "WWW-Authenticate and Proxy-Authenticate are challenges: a scheme, then parameters.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        let mut out = Vec::new();
        for name in ["www-authenticate", "proxy-authenticate"] {
            for v in r.headers_named(name) {
                let scheme = v.trim().split([' ', ',']).next().unwrap_or("");
                if !is_token(scheme) || scheme.contains('=') {
                    out.push(finding(
                        "field.challenge",
                        Severity::Must,
                        "RFC 9110 §11.6.1",
                        format!("{name} {v:?} does not start with an authentication scheme (Basic, Bearer, Digest…)."),
                    ));
                }
            }
        }
        out
    },
};

/// Codes the registry keeps for history: 305 (deprecated) and 306
/// (reserved, unused).
pub const DEPRECATED: Rule = Rule {
    id: "status.deprecated",
    section: "RFC 9110 §15.4.6, §15.4.7",
    doc: "305 is deprecated and 306 unused: clients do not act on them.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        let (what, section) = match r.status {
            305 => ("305 (Use Proxy) is deprecated", "RFC 9110 §15.4.6"),
            306 => ("306 is reserved and unused", "RFC 9110 §15.4.7"),
            _ => return Vec::new(),
        };
        vec![finding(
            "status.deprecated",
            Severity::Info,
            section,
            format!("{what}: clients do not act on it."),
        )]
    },
};

/// 201 says something was created, which a safe method does not do.
pub const CREATED_BY_SAFE: Rule = Rule {
    id: "status.201-safe-method",
    section: "RFC 9110 §9.2.1, §15.3.2",
    doc: "201 answers a request that created something; GET and HEAD are safe.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        let method = cx.exchange.request.method.to_ascii_uppercase();
        if r.status != 201 || !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
            return Vec::new();
        }
        vec![finding(
            "status.201-safe-method",
            Severity::Info,
            "RFC 9110 §9.2.1",
            format!("A 201 (Created) to {method}: a safe method should not create anything."),
        )]
    },
};

/// A 100 to a request that did not wait for one.
pub const UNASKED_CONTINUE: Rule = Rule {
    id: "status.unasked-100",
    section: "RFC 9110 §10.1.1, §15.2.1",
    doc: "100 answers Expect: 100-continue; clients must skip one that comes unasked.",
    check: |cx| {
        let asked = cx
            .exchange
            .request
            .header("expect")
            .is_some_and(|v| v.to_ascii_lowercase().contains("100-continue"));
        if asked || !cx.exchange.interim.iter().any(|r| r.status == 100) {
            return Vec::new();
        }
        vec![finding(
            "status.unasked-100",
            Severity::Info,
            "RFC 9110 §15.2.1",
            "A 100 (Continue) came though the request did not send Expect: 100-continue; clients must skip it, and some fail on it.",
        )]
    },
};

/// `Upgrade` (RFC 9110 §7.8): a list of `protocol-name ["/"
/// protocol-version]`, each a token.
pub const UPGRADE_SYNTAX: Rule = Rule {
    id: "field.upgrade-syntax",
    section: "RFC 9110 §7.8",
    doc: "Upgrade is a list of protocols, each a token with an optional /version token.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        r.headers_named("upgrade")
            .filter(|v| {
                let items: Vec<&str> = v.split(',').map(str::trim).filter(|i| !i.is_empty()).collect();
                items.is_empty()
                    || !items.iter().all(|p| match p.split_once('/') {
                        Some((name, version)) => is_token(name) && is_token(version),
                        None => is_token(p),
                    })
            })
            .map(|v| {
                finding(
                    "field.upgrade-syntax",
                    Severity::Must,
                    "RFC 9110 §7.8",
                    format!("Upgrade {v:?} is not a list of protocol[/version] tokens (e.g. websocket, h2c, HTTP/2.0)."),
                )
                .at_field("Upgrade", v)
            })
            .collect()
    },
};

/// One `link-value` of RFC 8288 §3: `<URI-Reference>` and `;`-separated
/// parameters, each `token [= token / quoted-string]`; `None` when it is
/// not one. Returns the rest of the field after it (past a comma).
fn link_value(s: &str) -> Option<&str> {
    let s = s.trim_start().strip_prefix('<')?;
    let end = s.find('>')?;
    let target = &s[..end];
    if target
        .bytes()
        .any(|b| b <= b' ' || b == b'<' || b == b'"' || b == 0x7f)
    {
        return None;
    }
    let mut rest = s[end + 1..].trim_start();
    loop {
        if rest.is_empty() {
            return Some("");
        }
        if let Some(after) = rest.strip_prefix(',') {
            return Some(after);
        }
        rest = rest.strip_prefix(';')?.trim_start();
        let name_end = token_len(rest);
        if name_end == 0 {
            return None;
        }
        rest = rest[name_end..].trim_start();
        if let Some(value) = rest.strip_prefix('=') {
            let value = value.trim_start();
            if value.starts_with('"') {
                // The quoted-string, up to its unescaped closing quote.
                let b = value.as_bytes();
                let mut i = 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if i >= b.len() || !is_quoted_string(&value[..=i]) {
                    return None;
                }
                rest = value[i + 1..].trim_start();
            } else {
                let end = token_len(value);
                if end == 0 {
                    return None;
                }
                rest = value[end..].trim_start();
            }
        }
    }
}

/// `Link` (RFC 8288 §3): a list of `<target>; param=value` links.
pub const LINK_SYNTAX: Rule = Rule {
    id: "field.link-syntax",
    section: "RFC 8288 §3",
    doc: "Link is a list of <URI-Reference> with ;-separated parameters, each a token with a token or quoted-string value.",
    check: |cx| {
        let mut out = Vec::new();
        let responses = cx.exchange.interim.iter().chain(cx.last());
        for r in responses {
            for v in r.headers_named("link") {
                let mut rest = v;
                let ok = loop {
                    if rest.trim().is_empty() {
                        break true;
                    }
                    match link_value(rest) {
                        Some(next) => rest = next,
                        None => break false,
                    }
                };
                if !ok {
                    out.push(
                        finding(
                            "field.link-syntax",
                            Severity::Must,
                            "RFC 8288 §3",
                            format!("Link {v:?} is not a list of <target>; param=value links."),
                        )
                        .at_field("Link", v),
                    );
                }
            }
        }
        out
    },
};

/// An answer to a request with `Authorization` that says shared caches
/// may keep it (`public`, `s-maxage`): they will serve it to others.
pub const AUTHENTICATED_SHARED: Rule = Rule {
    id: "cache.authenticated-shared",
    section: "RFC 9111 §3.5",
    doc: "An answer to an authenticated request marked public or s-maxage may be stored by shared caches and served to other users.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        if cx.exchange.request.header("authorization").is_none() || !(200..300).contains(&r.status) {
            return Vec::new();
        }
        let directives: Vec<String> = r
            .headers_named("cache-control")
            .flat_map(|v| v.split(','))
            .map(|d| d.trim().split('=').next().unwrap_or("").to_ascii_lowercase())
            .collect();
        let shared = directives.iter().any(|d| d == "public" || d == "s-maxage");
        let private = directives.iter().any(|d| d == "private" || d == "no-store");
        if !shared || private {
            return Vec::new();
        }
        vec![finding(
            "cache.authenticated-shared",
            Severity::Info,
            "RFC 9111 §3.5",
            "The request carried Authorization and the answer says public or s-maxage: shared caches may keep it and give it to other users; say private or no-store if it is one user's.",
        )
        .at_field("Cache-Control", r.header("cache-control").unwrap_or(""))]
    },
};

/// How far the server's `Date` may be from the checker's clock before it
/// is worth saying.
const SKEW_SECONDS: u64 = 60;

/// A `Date` far from the time the answer was received: the server's clock
/// is wrong, and every freshness computed from it is.
pub const DATE_SKEW: Rule = Rule {
    id: "field.date-skew",
    section: "RFC 9110 §6.6.1",
    doc: "Date is the time the answer was made; one more than a minute from the checker's clock means the server's clock is off.",
    check: |cx| {
        let Some(r) = last(cx) else { return Vec::new() };
        let started = cx.exchange.timing.started_unix_ms;
        let Some(date) = r.header("date") else { return Vec::new() };
        let Ok(at) = httpdate::parse_http_date(date) else { return Vec::new() };
        let Ok(at) = at.duration_since(std::time::UNIX_EPOCH) else { return Vec::new() };
        if started == 0 {
            return Vec::new();
        }
        // The answer was made between the connection and the end of the
        // exchange; Date has whole seconds.
        let end = started + cx.exchange.timing.total_ms as u64 + 1000;
        let made = at.as_millis() as u64;
        let off = if made + 1000 < started {
            (started - made) / 1000
        } else if made > end {
            (made - end) / 1000
        } else {
            0
        };
        if off <= SKEW_SECONDS {
            return Vec::new();
        }
        let way = if made < started { "behind" } else { "ahead of" };
        vec![finding(
            "field.date-skew",
            Severity::Should,
            "RFC 9110 §6.6.1",
            format!("Date is {off} s {way} this checker's clock: the server's clock is off, and caches computing age and freshness from it go wrong."),
        )
        .at_field("Date", date)]
    },
};

#[cfg(test)]
mod tests {
    use crate::lints::testing::{bare_response, exchange, ids, response, DATE};

    fn flagged(headers: &[(&str, &str)], body: &str, rule: &str) -> bool {
        let mut all = vec![DATE];
        all.extend_from_slice(headers);
        ids(&exchange("GET", &[], response(200, &all, body))).contains(&rule)
    }

    #[test]
    fn etags_are_quoted() {
        assert!(flagged(&[("ETag", "abc")], "", "field.etag"));
        assert!(flagged(&[("ETag", "W/abc")], "", "field.etag"));
        assert!(flagged(&[("ETag", "\"a\"b\"")], "", "field.etag"));
        assert!(!flagged(&[("ETag", "\"abc\"")], "", "field.etag"));
        assert!(!flagged(&[("ETag", "W/\"abc\"")], "", "field.etag"));
        assert!(!flagged(&[("ETag", "\"\"")], "", "field.etag"));
    }

    #[test]
    fn last_modified_is_a_date_not_after_date() {
        let rule = "field.last-modified";
        assert!(flagged(
            &[("Last-Modified", "2026-11-26T18:00:00Z")],
            "",
            rule
        ));
        assert!(flagged(
            &[("Last-Modified", "Fri, 27 Nov 2026 18:00:00 GMT")],
            "",
            rule
        ));
        assert!(!flagged(
            &[("Last-Modified", "Wed, 25 Nov 2026 18:00:00 GMT")],
            "",
            rule
        ));
        assert!(!flagged(
            &[("Last-Modified", "Thu, 26 Nov 2026 18:00:00 GMT")],
            "",
            rule
        ));
    }

    #[test]
    fn expires_is_a_date() {
        assert!(flagged(&[("Expires", "0")], "", "cache.expires"));
        assert!(flagged(&[("Expires", "tomorrow")], "", "cache.expires"));
        assert!(!flagged(
            &[("Expires", "Fri, 27 Nov 2026 18:00:00 GMT")],
            "",
            "cache.expires"
        ));
    }

    #[test]
    fn cache_control_directives() {
        let rule = "cache.cache-control-syntax";
        assert!(flagged(&[("Cache-Control", "max-age=abc")], "", rule));
        assert!(flagged(&[("Cache-Control", "max-age")], "", rule));
        assert!(flagged(&[("Cache-Control", "no cache")], "", rule));
        assert!(flagged(
            &[("Cache-Control", "private=\"unterminated")],
            "",
            rule
        ));
        assert!(!flagged(
            &[("Cache-Control", "public, max-age=60")],
            "",
            rule
        ));
        assert!(!flagged(
            &[("Cache-Control", "no-cache=\"Set-Cookie\", s-maxage=\"5\"")],
            "",
            rule
        ));
        assert!(!flagged(
            &[("Cache-Control", "no-store,, must-revalidate")],
            "",
            rule
        ));
    }

    #[test]
    fn upgrade_is_a_list_of_protocols() {
        let rule = "field.upgrade-syntax";
        assert!(!flagged(&[("Upgrade", "websocket")], "", rule));
        assert!(!flagged(
            &[("Upgrade", "HTTP/2.0, SHTTP/1.3, IRC/6.9, RTA/x11")],
            "",
            rule
        ));
        assert!(flagged(&[("Upgrade", "web socket")], "", rule));
        assert!(flagged(&[("Upgrade", "h2c/")], "", rule));
        assert!(flagged(&[("Upgrade", ",")], "", rule));
    }

    #[test]
    fn links_follow_rfc_8288() {
        let rule = "field.link-syntax";
        for good in [
            "</static/teapot.css>; rel=preload; as=style",
            "<https://example.com/a>; rel=\"next prev\", </b>;rel=last",
            "<http://example.com/TheBook/chapter2>; rel=\"previous\"; title=\"previous chapter\"",
            "</x>",
        ] {
            assert!(!flagged(&[("Link", good)], "", rule), "{good}");
        }
        for bad in [
            "/static/teapot.css; rel=preload",
            "</a b>; rel=x",
            "</a>; rel=",
            "</a>; =x",
            "</a>; title=\"unterminated",
            "</a> rel=x",
        ] {
            assert!(flagged(&[("Link", bad)], "", rule), "{bad}");
        }
    }

    #[test]
    fn authenticated_answers_marked_shared_are_noted() {
        use crate::lints::testing::all_ids;
        let rule = "cache.authenticated-shared";
        let with = |cc: &str, auth: bool| {
            let request: &[(&str, &str)] = if auth {
                &[("Authorization", "Basic dTpw")]
            } else {
                &[]
            };
            all_ids(&exchange(
                "GET",
                request,
                response(200, &[DATE, ("Cache-Control", cc)], "x"),
            ))
            .contains(&rule)
        };
        assert!(with("public, max-age=60", true));
        assert!(with("s-maxage=60", true));
        assert!(!with("private, max-age=60", true));
        assert!(!with("public, no-store", true));
        assert!(!with("public, max-age=60", false));
    }

    #[test]
    fn findings_carry_the_offending_field_line() {
        let ex = exchange(
            "GET",
            &[],
            response(200, &[DATE, ("Upgrade", "web socket")], ""),
        );
        let cx = crate::lints::Context {
            exchange: &ex,
            reference: None,
        };
        let f = (super::UPGRADE_SYNTAX.check)(&cx);
        assert_eq!(f[0].evidence.as_deref(), Some("Upgrade: web socket"));
    }

    #[test]
    fn a_date_far_from_the_clock_is_flagged() {
        let rule = "field.date-skew";
        // The made-up exchanges start at DATE's time.
        assert!(!flagged(&[], "", rule));
        let at = |date: &'static str| {
            ids(&exchange("GET", &[], response(200, &[("Date", date)], ""))).contains(&rule)
        };
        assert!(!at("Thu, 26 Nov 2026 18:00:30 GMT"));
        assert!(at("Thu, 26 Nov 2026 18:05:00 GMT"), "ahead");
        assert!(at("Thu, 26 Nov 2026 17:50:00 GMT"), "behind");
    }

    #[test]
    fn vary_star_is_noted() {
        assert!(flagged(&[("Vary", "Accept, *")], "", "cache.vary-star"));
        assert!(!flagged(&[("Vary", "Accept")], "", "cache.vary-star"));
    }

    #[test]
    fn heuristic_freshness_is_noted() {
        let noted = |headers: &[(&str, &str)]| {
            let mut all = vec![DATE];
            all.extend_from_slice(headers);
            crate::lints::testing::all_ids(&exchange("GET", &[], response(200, &all, "")))
                .contains(&"cache.heuristic-freshness")
        };
        assert!(noted(&[]));
        assert!(noted(&[("Cache-Control", "public")]));
        assert!(!noted(&[("Cache-Control", "max-age=60")]));
        assert!(
            noted(&[("Cache-Control", "max-age=abc")]),
            "an invalid age is no age"
        );
        assert!(!noted(&[("Cache-Control", "no-store")]));
        assert!(!noted(&[("Expires", "Fri, 27 Nov 2026 18:00:00 GMT")]));
    }

    #[test]
    fn age_is_seconds() {
        assert!(flagged(&[("Age", "-1")], "", "cache.age"));
        assert!(flagged(&[("Age", "1.5")], "", "cache.age"));
        assert!(!flagged(&[("Age", "30")], "", "cache.age"));
    }

    #[test]
    fn content_type_syntax_and_presence() {
        let rule = "field.content-type";
        assert!(flagged(&[("Content-Type", "text")], "x", rule));
        assert!(flagged(
            &[("Content-Type", "text/plain; charset")],
            "x",
            rule
        ));
        let untyped = exchange("GET", &[], bare_response(200, &[DATE], "some content"));
        assert!(ids(&untyped).contains(&rule));
        assert!(!flagged(
            &[("Content-Type", "text/plain; charset=utf-8")],
            "x",
            rule
        ));
        assert!(!flagged(
            &[("Content-Type", "multipart/form-data; boundary=\"a b\"")],
            "x",
            rule
        ));
        assert!(!flagged(&[], "", rule));
    }

    #[test]
    fn accept_ranges_units() {
        assert!(flagged(
            &[("Accept-Ranges", "bytes, ")],
            "",
            "field.accept-ranges"
        ));
        assert!(!flagged(
            &[("Accept-Ranges", "none")],
            "",
            "field.accept-ranges"
        ));
        assert!(!flagged(
            &[("Accept-Ranges", "bytes")],
            "",
            "field.accept-ranges"
        ));
    }

    #[test]
    fn set_cookie_as_rfc_6265_writes_it() {
        let rule = "cookie.set-cookie-syntax";
        for bad in [
            "novalue",
            "a b=1",
            "a=b c",
            "a=1;Path=/",
            "a=1; Expires=tomorrow",
            "a=1; Max-Age=0",
            "a=1; Secure=yes",
        ] {
            assert!(flagged(&[("Set-Cookie", bad)], "", rule), "{bad}");
        }
        for good in [
            "a=1",
            "a=\"1\"",
            "a=; Path=/; HttpOnly",
            "sid=abc; Expires=Fri, 27 Nov 2026 18:00:00 GMT; Secure; SameSite=Lax",
            "a=1; Max-Age=3600",
        ] {
            assert!(!flagged(&[("Set-Cookie", good)], "", rule), "{good}");
        }
    }

    #[test]
    fn allow_location_and_challenges() {
        let with = |status: u16, h: (&str, &str)| {
            ids(&exchange("GET", &[], response(status, &[DATE, h], "")))
        };
        assert!(with(405, ("Allow", "GET, HE AD")).contains(&"field.allow"));
        assert!(!with(405, ("Allow", "GET, HEAD")).contains(&"field.allow"));
        assert!(with(302, ("Location", "/a b")).contains(&"field.location"));
        assert!(with(302, ("Location", "/a\"b")).contains(&"field.location"));
        assert!(
            !with(302, ("Location", "https://t.example/a%20b?x=1#f")).contains(&"field.location")
        );
        assert!(with(401, ("WWW-Authenticate", "realm=\"x\"")).contains(&"field.challenge"));
        assert!(!with(401, ("WWW-Authenticate", "Basic realm=\"x\"")).contains(&"field.challenge"));
        assert!(with(407, ("Proxy-Authenticate", "")).contains(&"field.challenge"));
    }

    #[test]
    fn deprecated_codes_safe_creation_and_unasked_100() {
        let at =
            |method: &str, status: u16| ids(&exchange(method, &[], response(status, &[DATE], "")));
        assert!(at("GET", 305).contains(&"status.deprecated"));
        assert!(at("GET", 306).contains(&"status.deprecated"));
        assert!(!at("GET", 307).contains(&"status.deprecated"));
        assert!(at("GET", 201).contains(&"status.201-safe-method"));
        assert!(!at("POST", 201).contains(&"status.201-safe-method"));
        let mut ex = exchange("GET", &[], response(200, &[DATE], ""));
        ex.interim.push(response(100, &[], ""));
        assert!(ids(&ex).contains(&"status.unasked-100"));
        let mut ex = exchange(
            "POST",
            &[("Expect", "100-continue")],
            response(200, &[DATE], ""),
        );
        ex.interim.push(response(100, &[], ""));
        assert!(!ids(&ex).contains(&"status.unasked-100"));
    }

    #[test]
    fn answers_nobody_asked_for() {
        let unasked = |status: u16, req: &[(&str, &str)]| {
            ids(&exchange("GET", req, response(status, &[DATE], ""))).contains(&"status.unasked")
        };
        assert!(unasked(206, &[]));
        assert!(!unasked(206, &[("Range", "bytes=0-1")]));
        assert!(unasked(304, &[]));
        assert!(!unasked(304, &[("If-None-Match", "\"a\"")]));
        assert!(unasked(412, &[]));
        assert!(!unasked(412, &[("If-Match", "\"a\"")]));
        assert!(unasked(417, &[]));
        assert!(!unasked(417, &[("Expect", "x")]));
        assert!(!unasked(200, &[]));
    }
}
