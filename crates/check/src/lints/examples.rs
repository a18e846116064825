//! An example of every rule: two made-up exchanges, one that breaks it and
//! one that does not, differing in what the rule reads. `teapot check
//! --explain RULE` shows them; a test runs the rules on both and holds the
//! table to naming every rule but the probes' (which need a server to ask
//! again; theirs are written out, and held to the same in
//! `tests/wrong.rs`), so a rule added without its example fails.

use std::fmt::Write as _;

use crate::exchange::{Exchange, Framing, Response, SentRequest, Timing};

/// An exchange, with the unconditional 200 a 304 is compared with.
pub(crate) type Made = (Exchange, Option<Response>);

fn get(r: Response) -> Made {
    (exchange("GET", &[], r), None)
}

fn with_request(method: &str, headers: &[(&str, &str)], r: Response) -> Made {
    (exchange(method, headers, r), None)
}

fn ok(headers: &[(&str, &str)]) -> Response {
    let mut all = vec![DATE, ("Cache-Control", "max-age=60")];
    all.extend_from_slice(headers);
    response(200, &all, "ok")
}

fn raw(head: &str) -> Made {
    let mut r = ok(&[]);
    r.raw_head = head.as_bytes().to_vec();
    get(r)
}

/// (rule, an exchange that breaks it, one that does not)
pub(crate) fn cases() -> Vec<(&'static str, Made, Made)> {
    let interim_only = {
        let mut ex = exchange("GET", &[], ok(&[]));
        ex.final_response = None;
        ex.interim.push(response(102, &[], ""));
        ex.incomplete = Some("closed".into());
        (ex, None)
    };
    let interim_then_final = {
        let mut ex = exchange("GET", &[], ok(&[]));
        ex.interim.push(response(102, &[], ""));
        (ex, None)
    };
    let stray = {
        let mut m = get(ok(&[]));
        m.0.stray_bytes = 5;
        m
    };
    let short = {
        let mut r = ok(&[("Content-Length", "10")]);
        r.truncated = true;
        get(r)
    };
    let bad_chunks = {
        let mut r = ok(&[("Transfer-Encoding", "chunked")]);
        r.framing = Framing::Chunked;
        r.bad_chunking = true;
        get(r)
    };
    let chunks = {
        let mut r = ok(&[("Transfer-Encoding", "chunked")]);
        r.framing = Framing::Chunked;
        get(r)
    };
    let stored = ok(&[("ETag", "\"v1\""), ("Vary", "Accept")]);
    let not_modified = |headers: &[(&str, &str)]| -> Made {
        let mut all = vec![DATE];
        all.extend_from_slice(headers);
        (
            exchange(
                "GET",
                &[("If-None-Match", "\"v1\"")],
                bare_response(304, &all, ""),
            ),
            Some(stored.clone()),
        )
    };
    let closing = |reusable: bool, connection: &str| -> Made {
        let mut r = response(408, &[DATE, ("Connection", connection)], "slow");
        r.reason = "Request Timeout".into();
        let mut ex = exchange("GET", &[], r);
        ex.reusable = reusable;
        (ex, None)
    };
    let skewed = |date: &str| -> Made {
        get(response(
            200,
            &[("Date", date), ("Cache-Control", "max-age=60")],
            "ok",
        ))
    };
    let preflight = |allow: &str| -> Made {
        with_request(
            "OPTIONS",
            &[
                ("Origin", "https://a.example"),
                ("Access-Control-Request-Method", "PUT"),
            ],
            bare_response(
                204,
                &[
                    DATE,
                    ("Access-Control-Allow-Origin", "https://a.example"),
                    ("Access-Control-Allow-Methods", allow),
                ],
                "",
            ),
        )
    };
    let switched = |offer: &[(&str, &str)]| -> Made {
        let r = bare_response(
            101,
            &[("Connection", "upgrade"), ("Upgrade", "websocket")],
            "",
        );
        let mut ex = exchange("GET", offer, r);
        ex.reusable = false;
        (ex, None)
    };
    let reason = |phrase: &str| -> Made {
        let mut r = ok(&[]);
        r.reason = phrase.into();
        get(r)
    };
    let unasked_100 = |expect: &[(&str, &str)]| -> Made {
        let mut ex = exchange("POST", expect, ok(&[]));
        ex.interim.push(response(100, &[], ""));
        (ex, None)
    };
    let status = |code: u16| -> Made { get(response(code, &[DATE], "x")) };
    vec![
        ("status.final-response", interim_only, interim_then_final),
        ("status.range", status(600), status(200)),
        (
            "framing.no-content-fields",
            get(bare_response(204, &[DATE, ("Content-Length", "0")], "")),
            get(bare_response(204, &[DATE], "")),
        ),
        ("framing.stray-content", stray, get(ok(&[]))),
        ("framing.length-mismatch", short, get(ok(&[]))),
        (
            "framing.length-and-transfer-encoding",
            get(ok(&[
                ("Content-Length", "2"),
                ("Transfer-Encoding", "chunked"),
            ])),
            chunks.clone(),
        ),
        ("framing.invalid", bad_chunks, chunks),
        (
            "framing.content-length-syntax",
            get(ok(&[("Content-Length", "2, 2")])),
            get(ok(&[("Content-Length", "2")])),
        ),
        (
            "framing.205-empty",
            get(response(205, &[DATE], "hello")),
            get(bare_response(205, &[DATE, ("Content-Length", "0")], "")),
        ),
        (
            "framing.unrequested-transfer-coding",
            get(ok(&[("Transfer-Encoding", "gzip, chunked")])),
            with_request(
                "GET",
                &[("TE", "gzip")],
                ok(&[("Transfer-Encoding", "gzip, chunked")]),
            ),
        ),
        (
            "syntax.bare-lf",
            raw("HTTP/1.1 200 OK\nDate: x\r\n\r\n"),
            raw("HTTP/1.1 200 OK\r\nDate: x\r\n\r\n"),
        ),
        (
            "syntax.obs-fold",
            raw("HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\n\r\n"),
            raw("HTTP/1.1 200 OK\r\nX-A: one two\r\n\r\n"),
        ),
        (
            "syntax.space-before-colon",
            raw("HTTP/1.1 200 OK\r\nX-A : one\r\n\r\n"),
            raw("HTTP/1.1 200 OK\r\nX-A: one\r\n\r\n"),
        ),
        (
            "field.date",
            get(response(200, &[("Cache-Control", "max-age=60")], "ok")),
            get(ok(&[])),
        ),
        (
            "status.required-field",
            get(response(405, &[DATE], "no")),
            get(response(405, &[DATE, ("Allow", "GET")], "no")),
        ),
        (
            "status.405-allow",
            with_request(
                "DELETE",
                &[],
                response(405, &[DATE, ("Allow", "GET, DELETE")], "no"),
            ),
            with_request(
                "DELETE",
                &[],
                response(405, &[DATE, ("Allow", "GET")], "no"),
            ),
        ),
        (
            "status.206-content-range",
            with_request(
                "GET",
                &[("Range", "bytes=0-1")],
                response(206, &[DATE, ("Content-Range", "bytes 0-4/10")], "ok"),
            ),
            with_request(
                "GET",
                &[("Range", "bytes=0-1")],
                response(206, &[DATE, ("Content-Range", "bytes 0-1/10")], "ok"),
            ),
        ),
        (
            "status.416-content-range",
            with_request(
                "GET",
                &[("Range", "bytes=50-")],
                response(416, &[DATE, ("Content-Range", "bytes 0-1/10")], "no"),
            ),
            with_request(
                "GET",
                &[("Range", "bytes=50-")],
                response(416, &[DATE, ("Content-Range", "bytes */10")], "no"),
            ),
        ),
        (
            "field.retry-after",
            get(response(503, &[DATE, ("Retry-After", "soon")], "later")),
            get(response(503, &[DATE, ("Retry-After", "120")], "later")),
        ),
        (
            "status.304-validators",
            not_modified(&[("ETag", "\"v1\"")]),
            not_modified(&[
                ("ETag", "\"v1\""),
                ("Vary", "Accept"),
                ("Cache-Control", "max-age=60"),
            ]),
        ),
        (
            "field.etag",
            get(ok(&[("ETag", "abc")])),
            get(ok(&[("ETag", "\"abc\"")])),
        ),
        (
            "field.last-modified",
            get(ok(&[("Last-Modified", "2026-11-26T18:00:00Z")])),
            get(ok(&[("Last-Modified", "Thu, 26 Nov 2026 17:00:00 GMT")])),
        ),
        (
            "cache.expires",
            get(response(200, &[DATE, ("Expires", "0")], "ok")),
            get(response(
                200,
                &[DATE, ("Expires", "Thu, 26 Nov 2026 19:00:00 GMT")],
                "ok",
            )),
        ),
        (
            "cache.cache-control-syntax",
            get(response(
                200,
                &[DATE, ("Cache-Control", "max-age=abc")],
                "ok",
            )),
            get(ok(&[])),
        ),
        (
            "cache.vary-star",
            get(ok(&[("Vary", "*")])),
            get(ok(&[("Vary", "Accept")])),
        ),
        (
            "cache.heuristic-freshness",
            get(response(200, &[DATE], "ok")),
            get(ok(&[])),
        ),
        (
            "cache.age",
            get(ok(&[("Age", "abc")])),
            get(ok(&[("Age", "5")])),
        ),
        (
            "field.content-type",
            get(bare_response(
                200,
                &[DATE, ("Cache-Control", "max-age=60")],
                "ok",
            )),
            get(ok(&[])),
        ),
        (
            "field.accept-ranges",
            get(ok(&[("Accept-Ranges", "bytes=")])),
            get(ok(&[("Accept-Ranges", "bytes")])),
        ),
        (
            "cookie.set-cookie-syntax",
            get(ok(&[("Set-Cookie", "no equals sign")])),
            get(ok(&[("Set-Cookie", "id=1; Path=/; HttpOnly")])),
        ),
        (
            "status.unasked",
            get(response(
                206,
                &[DATE, ("Content-Range", "bytes 0-1/10")],
                "ok",
            )),
            with_request(
                "GET",
                &[("Range", "bytes=0-1")],
                response(206, &[DATE, ("Content-Range", "bytes 0-1/10")], "ok"),
            ),
        ),
        (
            "field.allow",
            get(response(405, &[DATE, ("Allow", "GET;POST")], "no")),
            get(response(405, &[DATE, ("Allow", "GET, POST")], "no")),
        ),
        (
            "field.location",
            get(response(302, &[DATE, ("Location", "/a b")], "moved")),
            get(response(302, &[DATE, ("Location", "/a%20b")], "moved")),
        ),
        (
            "field.challenge",
            get(response(
                401,
                &[DATE, ("WWW-Authenticate", "=realm")],
                "who",
            )),
            get(response(
                401,
                &[DATE, ("WWW-Authenticate", "Basic realm=\"t\"")],
                "who",
            )),
        ),
        (
            "status.deprecated",
            get(response(
                305,
                &[DATE, ("Location", "http://proxy/")],
                "use it",
            )),
            get(response(
                307,
                &[DATE, ("Location", "http://proxy/")],
                "moved",
            )),
        ),
        (
            "status.201-safe-method",
            with_request(
                "GET",
                &[],
                response(201, &[DATE, ("Location", "/new")], "made"),
            ),
            with_request(
                "POST",
                &[],
                response(201, &[DATE, ("Location", "/new")], "made"),
            ),
        ),
        (
            "status.unasked-100",
            unasked_100(&[]),
            unasked_100(&[("Expect", "100-continue")]),
        ),
        (
            "field.upgrade-syntax",
            get(response(
                426,
                &[DATE, ("Connection", "upgrade"), ("Upgrade", "web socket")],
                "up",
            )),
            get(response(
                426,
                &[DATE, ("Connection", "upgrade"), ("Upgrade", "websocket")],
                "up",
            )),
        ),
        (
            "field.link-syntax",
            get(ok(&[("Link", "/style.css; rel=preload")])),
            get(ok(&[("Link", "</style.css>; rel=preload")])),
        ),
        (
            "cache.authenticated-shared",
            with_request(
                "GET",
                &[("Authorization", "Basic dTpw")],
                ok(&[("Cache-Control", "public")]),
            ),
            with_request(
                "GET",
                &[("Authorization", "Basic dTpw")],
                ok(&[("Cache-Control", "private")]),
            ),
        ),
        (
            "field.date-skew",
            skewed("Thu, 26 Nov 2026 17:00:00 GMT"),
            skewed("Thu, 26 Nov 2026 18:00:00 GMT"),
        ),
        (
            "cors.allow-origin-syntax",
            with_request(
                "GET",
                &[("Origin", "https://a.example")],
                ok(&[("Access-Control-Allow-Origin", "https://a.example/")]),
            ),
            with_request(
                "GET",
                &[("Origin", "https://a.example")],
                ok(&[("Access-Control-Allow-Origin", "https://a.example")]),
            ),
        ),
        (
            "cors.allow-credentials",
            with_request(
                "GET",
                &[("Origin", "https://a.example")],
                ok(&[
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Credentials", "true"),
                ]),
            ),
            with_request(
                "GET",
                &[("Origin", "https://a.example")],
                ok(&[
                    ("Access-Control-Allow-Origin", "https://a.example"),
                    ("Access-Control-Allow-Credentials", "true"),
                ]),
            ),
        ),
        ("cors.preflight", preflight("GET"), preflight("GET, PUT")),
        (
            "status.unsolicited-switch",
            switched(&[]),
            switched(&[("Connection", "upgrade"), ("Upgrade", "websocket")]),
        ),
        (
            "status.closes",
            closing(true, "keep-alive"),
            closing(false, "close"),
        ),
        ("status.reason-phrase", reason("Fine"), reason("OK")),
    ]
}

/// What the probes' examples look like (they ask the server again, so
/// they are not made up here).
const PROBES: &[(&str, &str, &str)] = &[
    (
        "probe.conditional",
        "< 200 with ETag: \"v1\"\n> GET with If-None-Match: \"v1\"\n< 200 again, with the whole content",
        "< 200 with ETag: \"v1\"\n> GET with If-None-Match: \"v1\"\n< 304 Not Modified, ETag: \"v1\"",
    ),
    (
        "probe.range",
        "< 200 with Accept-Ranges: bytes\n> GET with Range: bytes=0-9\n< 200 with the whole content",
        "< 200 with Accept-Ranges: bytes\n> GET with Range: bytes=0-9\n< 206, Content-Range: bytes 0-9/…, those ten bytes",
    ),
    (
        "probe.coding",
        "> GET with Accept-Encoding: gzip\n< 200, Content-Encoding: gzip, no Vary",
        "> GET with Accept-Encoding: gzip\n< 200, Content-Encoding: gzip, Vary: Accept-Encoding, content that decodes",
    ),
    (
        "probe.head",
        "< GET: 200, Content-Type: text/plain\n< HEAD: 200, Content-Type: text/html",
        "< GET and HEAD: 200, the same fields; HEAD without content",
    ),
];

/// The example of a rule, as text: what breaks it, then what does not.
pub fn example(rule: &str) -> Option<(String, String)> {
    if let Some((_, bad, good)) = PROBES.iter().find(|(id, _, _)| *id == rule) {
        return Some(((*bad).to_string(), (*good).to_string()));
    }
    let (_, broken, clean) = cases().into_iter().find(|(id, _, _)| *id == rule)?;
    Some((render(rule, &broken), render(rule, &clean)))
}

/// An exchange as the example shows it: the request, every response head
/// (or, for the rules about the raw head, its bytes), and what happened
/// to the content and the connection.
fn render(rule: &str, made: &Made) -> String {
    let (ex, reference) = made;
    let mut out = String::new();
    if let Some(full) = reference {
        let _ = writeln!(
            out,
            "(the unconditional answer: {} with {})",
            full.status,
            fields(full)
        );
    }
    let _ = write!(out, "> {} {}", ex.request.method, ex.request.target);
    for (n, v) in &ex.request.headers {
        let _ = write!(out, "\n> {n}: {v}");
    }
    for r in &ex.interim {
        let _ = write!(out, "\n< {} {}", r.status, r.reason);
    }
    match &ex.final_response {
        Some(r) if !r.raw_head.is_empty() && rule.starts_with("syntax.") => {
            let _ = write!(out, "\n< {:?}", String::from_utf8_lossy(&r.raw_head));
        }
        Some(r) => {
            let _ = write!(out, "\n< {} {} {}", r.version, r.status, r.reason);
            for (n, v) in &r.headers {
                let _ = write!(out, "\n< {n}: {v}");
            }
            if r.body_bytes > 0 {
                let _ = write!(out, "\n< ({} bytes of content)", r.body_bytes);
            }
            if r.truncated {
                let _ = write!(out, "\n< (the content ends before its length)");
            }
            if r.bad_chunking {
                let _ = write!(out, "\n< (the chunked framing is broken)");
            }
        }
        None => {
            let _ = write!(out, "\n< (no final response)");
        }
    }
    if ex.stray_bytes > 0 {
        let _ = write!(
            out,
            "\n< ({} more bytes after the end of the response)",
            ex.stray_bytes
        );
    }
    if !ex.reusable {
        let _ = write!(out, "\n(the connection closes)");
    }
    out
}

fn fields(r: &Response) -> String {
    r.headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A response; with content and no `Content-Type` of its own, it gets
/// `text/plain` (rules other than `field.content-type` are the point).
pub(crate) fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    let mut r = bare_response(status, headers, body);
    if !body.is_empty() && r.header("content-type").is_none() {
        r.headers.push(("Content-Type".into(), "text/plain".into()));
    }
    r
}

/// A response with exactly these fields.
pub(crate) fn bare_response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    Response {
        version: "HTTP/1.1".into(),
        status,
        reason: teapot_codes::Status::from_u16(status)
            .map_or(String::new(), |s| s.reason().to_string()),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        framing: if body.is_empty() {
            Framing::None
        } else {
            Framing::ContentLength
        },
        body: body.as_bytes().to_vec(),
        body_bytes: body.len(),
        truncated: false,
        bad_chunking: false,
        raw_head: Vec::new(),
    }
}

/// An exchange: `method` with `request_headers`, answered with `last`.
pub(crate) fn exchange(method: &str, request_headers: &[(&str, &str)], last: Response) -> Exchange {
    Exchange {
        request: SentRequest {
            method: method.into(),
            url: "http://test/".into(),
            target: "/".into(),
            headers: request_headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body_bytes: 0,
        },
        protocol: last.version.clone(),
        notes: Vec::new(),
        interim: Vec::new(),
        final_response: Some(last),
        incomplete: None,
        stray_bytes: 0,
        reusable: true,
        // When DATE says the answer was made.
        timing: Timing {
            started_unix_ms: 1_795_716_000_000,
            ..Timing::default()
        },
    }
}

/// The Date of the made-up answers; the exchanges start at that time.
pub(crate) const DATE: (&str, &str) = ("Date", "Thu, 26 Nov 2026 18:00:00 GMT");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lints::{fields_read, lint, Context, Finding, RULES};

    fn findings(made: &Made) -> Vec<Finding> {
        let cx = Context {
            exchange: &made.0,
            reference: made.1.as_ref(),
        };
        lint(&cx)
    }

    fn rules_broken(made: &Made) -> Vec<&'static str> {
        findings(made).iter().map(|f| f.rule).collect()
    }

    #[test]
    fn every_rule_has_a_broken_and_a_clean_case() {
        let cases = cases();
        let mut missing: Vec<&str> = RULES
            .iter()
            .map(|r| r.id)
            .filter(|id| !id.starts_with("probe."))
            .filter(|id| !cases.iter().any(|(rule, _, _)| rule == id))
            .collect();
        missing.sort_unstable();
        assert!(missing.is_empty(), "rules without cases: {missing:?}");
        for (rule, broken, clean) in &cases {
            assert!(RULES.iter().any(|r| r.id == *rule), "{rule} is not a rule");
            let found = rules_broken(broken);
            assert!(
                found.contains(rule),
                "{rule}: the broken case gives {found:?}"
            );
            // A rule that reads fields shows the lines it read, when the
            // answer has them.
            let last = broken.0.final_response.as_ref();
            let shown: Vec<&str> = fields_read(rule)
                .iter()
                .copied()
                .filter(|name| *name == ":status" || last.is_some_and(|r| r.header(name).is_some()))
                .collect();
            if !shown.is_empty() {
                for f in findings(broken).iter().filter(|f| f.rule == *rule) {
                    let evidence = f
                        .evidence
                        .as_deref()
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    assert!(
                        shown.iter().any(|name| match *name {
                            ":status" =>
                                evidence.contains(&last.map_or(0, |r| r.status).to_string()),
                            name => evidence.contains(&name.to_ascii_lowercase()),
                        }),
                        "{rule}: the evidence {evidence:?} shows none of {shown:?}"
                    );
                }
            }
            let found = rules_broken(clean);
            assert!(
                !found.contains(rule),
                "{rule}: the clean case gives {found:?}"
            );
        }
    }

    #[test]
    fn every_rule_has_an_example_to_show() {
        for r in RULES {
            let (bad, good) = example(r.id).unwrap_or_else(|| panic!("{}: no example", r.id));
            assert!(!bad.is_empty() && bad != good, "{}", r.id);
        }
        let (bad, _) = example("field.etag").unwrap();
        assert!(bad.contains("< ETag: abc"), "{bad}");
    }
}
