//! A fixture server that answers deliberately wrong: each wrong answer is
//! reported with the right finding. And teapot itself is clean.

use std::time::Duration;

use bytes::Bytes;
use teapot_check::{run, scorecard, CheckError, Options, Report, Request, Severity};
use teapot_testkit::fixture::{path_of, Fixture, Reply};
use url::Url;

/// What every answer here carries unless it is the point: a Date, and a
/// Content-Type for whatever content follows.
const DATE: &str = "Date: Thu, 26 Nov 2026 18:00:00 GMT\r\nContent-Type: text/plain\r\n";

fn wrong(head: &str) -> Reply {
    let d = DATE;
    let bytes = |s: String| Reply::Bytes(s.into_bytes());
    let close = |s: String| Reply::ThenClose(s.into_bytes());
    match path_of(head) {
        "/ok" => bytes(format!("HTTP/1.1 200 OK\r\n{d}Content-Length: 2\r\n\r\nok")),
        "/odd-reason" => bytes(format!("HTTP/1.1 200 Fine\r\n{d}Content-Length: 2\r\n\r\nok")),
        "/204-body" => bytes(format!("HTTP/1.1 204 No Content\r\n{d}\r\nhello")),
        "/204-length" => bytes(format!("HTTP/1.1 204 No Content\r\n{d}Content-Length: 0\r\n\r\n")),
        "/405-no-allow" => bytes(format!("HTTP/1.1 405 Method Not Allowed\r\n{d}Content-Length: 0\r\n\r\n")),
        "/405-lists-get" => bytes(format!("HTTP/1.1 405 Method Not Allowed\r\n{d}Allow: GET, POST\r\nContent-Length: 0\r\n\r\n")),
        "/206-wrong-range" => bytes(format!("HTTP/1.1 206 Partial Content\r\n{d}Content-Range: bytes 0-9/100\r\nContent-Length: 5\r\n\r\nabcde")),
        "/401-no-challenge" => bytes(format!("HTTP/1.1 401 Unauthorized\r\n{d}Content-Length: 0\r\n\r\n")),
        "/final-102" => close("HTTP/1.1 102 Processing\r\n\r\n".into()),
        "/short" => close(format!("HTTP/1.1 200 OK\r\n{d}Content-Length: 10\r\n\r\nabc")),
        "/long" => bytes(format!("HTTP/1.1 200 OK\r\n{d}Content-Length: 3\r\n\r\nabcdefghij")),
        "/no-date" => bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".into()),
        "/bad-retry" => bytes(format!("HTTP/1.1 429 Too Many Requests\r\n{d}Retry-After: soon\r\nContent-Length: 0\r\n\r\n")),
        "/unasked-101" => bytes(format!("HTTP/1.1 101 Switching Protocols\r\n{d}Upgrade: websocket\r\nConnection: upgrade\r\n\r\n")),
        "/426-no-upgrade" => bytes(format!("HTTP/1.1 426 Upgrade Required\r\n{d}Content-Length: 0\r\n\r\n")),
        "/both-lengths" => bytes(format!("HTTP/1.1 200 OK\r\n{d}Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")),
        "/bad-chunk" => close(format!("HTTP/1.1 200 OK\r\n{d}Transfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n")),
        "/garbage" => close("\x16\x03\x01 this is not HTTP\r\n\r\n".into()),
        "/closed" => close(String::new()),
        "/silent" => Reply::Silence(Duration::from_secs(3)),
        "/205-body" => bytes(format!("HTTP/1.1 205 Reset Content\r\n{d}Content-Length: 5\r\n\r\nhello")),
        "/length-list" => bytes(format!("HTTP/1.1 200 OK\r\n{d}Content-Length: 5, 5\r\n\r\nhello")),
        "/length-twice" => bytes(format!("HTTP/1.1 200 OK\r\n{d}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello")),
        "/gzip-close" => close(format!("HTTP/1.1 200 OK\r\n{d}Transfer-Encoding: gzip\r\n\r\nnot really gzip")),
        "/bare-lf" => bytes("HTTP/1.1 200 OK\nDate: Thu, 26 Nov 2026 18:00:00 GMT\nContent-Type: text/plain\nContent-Length: 2\n\nok".into()),
        "/obs-fold" => bytes(format!("HTTP/1.1 200 OK\r\n{d}X-Folded: one\r\n two\r\nContent-Length: 2\r\n\r\nok")),
        "/space-colon" => bytes(format!("HTTP/1.1 200 OK\r\n{d}X-Spaced : one\r\nContent-Length: 2\r\n\r\nok")),
        "/303-no-location" => bytes(format!("HTTP/1.1 303 See Other\r\n{d}Content-Length: 0\r\n\r\n")),
        "/301-no-location" => bytes(format!("HTTP/1.1 301 Moved Permanently\r\n{d}Content-Length: 0\r\n\r\n")),
        "/408-open" => bytes(format!("HTTP/1.1 408 Request Timeout\r\n{d}Content-Length: 0\r\n\r\n")),
        "/cc-abc" => bytes(format!("HTTP/1.1 200 OK\r\n{d}Cache-Control: max-age=abc\r\nContent-Length: 2\r\n\r\nok")),
        "/bad-cookie" => bytes(format!("HTTP/1.1 200 OK\r\n{d}Set-Cookie: a b=c\r\nContent-Length: 2\r\n\r\nok")),
        "/etag-unquoted" => bytes(format!("HTTP/1.1 200 OK\r\n{d}ETag: abc\r\nContent-Length: 2\r\n\r\nok")),
        "/lm-iso" => bytes(format!("HTTP/1.1 200 OK\r\n{d}Last-Modified: 2026-11-26T18:00:00Z\r\nContent-Length: 2\r\n\r\nok")),
        "/vary-star" => bytes(format!("HTTP/1.1 200 OK\r\n{d}Vary: *\r\nContent-Length: 2\r\n\r\nok")),
        "/no-type" => bytes("HTTP/1.1 200 OK\r\nDate: Thu, 26 Nov 2026 18:00:00 GMT\r\nContent-Length: 2\r\n\r\nok".into()),
        "/probe-bad" | "/probe-good" | "/probe-broken-gzip" | "/probe-small" => probed(head),
        "/cached" => {
            if head.to_ascii_lowercase().contains("if-none-match") {
                bytes(format!("HTTP/1.1 304 Not Modified\r\n{d}\r\n"))
            } else {
                bytes(format!("HTTP/1.1 200 OK\r\n{d}ETag: \"v1\"\r\nCache-Control: max-age=60\r\nContent-Length: 2\r\n\r\nok"))
            }
        }
        _ => bytes(format!("HTTP/1.1 404 Not Found\r\n{d}Content-Length: 0\r\n\r\n")),
    }
}

/// A resource for the probes: `/probe-good` honours conditions, ranges,
/// compression and HEAD; `/probe-bad` ignores them all (and sends gzip
/// without Vary, and another Content-Type to HEAD); `/probe-broken-gzip`
/// says gzip and is not; `/probe-small` is good, but its content is too
/// short to shrink when compressed.
fn probed(head: &str) -> Reply {
    let lower = head.to_ascii_lowercase();
    let small = lower.contains("/probe-small");
    let good = lower.contains("/probe-good") || small;
    let is_head = lower.starts_with("head ");
    let body = if small {
        "hello, world".to_string()
    } else {
        "hello, world. ".repeat(20)
    };
    let d = "Date: Thu, 26 Nov 2026 18:00:00 GMT\r\n";
    let base = format!("{d}ETag: \"v1\"\r\nAccept-Ranges: bytes\r\n");
    let mut out = Vec::new();
    if good && lower.contains("if-none-match: \"v1\"") {
        out.extend_from_slice(
            format!("HTTP/1.1 304 Not Modified\r\n{d}ETag: \"v1\"\r\n\r\n").as_bytes(),
        );
    } else if let Some(last) = lower
        .split("range: bytes=0-")
        .nth(1)
        .filter(|_| good)
        .and_then(|rest| rest.split("\r\n").next()?.parse::<usize>().ok())
    {
        let part = &body[..=last];
        out.extend_from_slice(format!("HTTP/1.1 206 Partial Content\r\n{base}Content-Type: text/plain\r\nContent-Range: bytes 0-{last}/{}\r\nContent-Length: {}\r\n\r\n{part}", body.len(), part.len()).as_bytes());
    } else if lower.contains("accept-encoding: gzip") {
        let coded = if lower.contains("/probe-broken-gzip") {
            b"not gzip at all".to_vec()
        } else {
            teapot_testkit::gzip(body.as_bytes())
        };
        let vary = if good {
            "Vary: Accept-Encoding\r\n"
        } else {
            ""
        };
        out.extend_from_slice(format!("HTTP/1.1 200 OK\r\n{base}{vary}Content-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", coded.len()).as_bytes());
        out.extend_from_slice(&coded);
    } else {
        let ctype = if is_head && !good {
            "text/html"
        } else {
            "text/plain"
        };
        out.extend_from_slice(
            format!(
                "HTTP/1.1 200 OK\r\n{base}Content-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        if !is_head {
            out.extend_from_slice(body.as_bytes());
        }
    }
    Reply::Bytes(out)
}

/// The probes find what a server ignores, and nothing on one that honours
/// every request.
#[tokio::test]
async fn probes_find_what_the_server_ignores() {
    let f = Fixture::start(wrong);
    let probing = Options {
        probe: true,
        ..options()
    };
    let probe_rules = |path: &'static str| {
        let url = f.url(path);
        let probing = probing.clone();
        async move {
            let report = run(request(&url, &[]), &probing).await.unwrap();
            let hop = &report.hops[0];
            let names: Vec<&str> = hop.probes.iter().map(|p| p.name).collect();
            // As in `rules`: freshness notes and the fixed Date aside.
            let found: Vec<(&'static str, Severity)> = report
                .findings()
                .filter(|f| f.rule != "cache.heuristic-freshness" && f.rule != "field.date-skew")
                .map(|f| (f.rule, f.severity))
                .collect();
            (names, found)
        }
    };
    let (names, found) = probe_rules("/probe-good").await;
    assert_eq!(names, ["conditional", "range", "coding", "head"]);
    assert_eq!(found, [], "a server that honours everything");
    let (_, found) = probe_rules("/probe-bad").await;
    use Severity::*;
    assert_eq!(
        found,
        [
            ("probe.conditional", Should),
            ("probe.range", Should),
            ("probe.coding", Should),
            ("probe.head", Should)
        ]
    );
    let (_, found) = probe_rules("/probe-broken-gzip").await;
    assert!(found.contains(&("probe.coding", Must)), "{found:?}");
    // Correct, but larger coded than plain: noted, no more.
    let (_, found) = probe_rules("/probe-small").await;
    assert_eq!(found, [("probe.coding", Info)]);
}

fn request(url: &str, headers: &[(&str, &str)]) -> Request {
    Request {
        method: "GET".into(),
        url: Url::parse(url).unwrap(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: Bytes::new(),
        insecure: false,
        http: Default::default(),
    }
}

/// Options for checking one answer, without probes (the probe tests turn
/// them on).
fn options() -> Options {
    Options {
        timeout: Duration::from_millis(800),
        settle: Duration::from_millis(20),
        probe: false,
        ..Options::default()
    }
}

async fn rules(
    fixture: &Fixture,
    path: &str,
    headers: &[(&str, &str)],
) -> Vec<(&'static str, Severity)> {
    let report: Report = run(request(&fixture.url(path), headers), &options())
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    // Heuristic freshness is noted on nearly every answer here, and every
    // answer's Date is a fixed day (so the clock is off on all of them);
    // each has a case of its own.
    report
        .findings()
        .filter(|f| f.rule != "cache.heuristic-freshness" && f.rule != "field.date-skew")
        .map(|f| (f.rule, f.severity))
        .collect()
}

/// The fixtures' Date is a fixed day, not now: the checker, comparing it
/// with its own clock, says the server's clock is off.
#[tokio::test]
async fn a_server_clock_that_is_off_is_flagged() {
    let f = Fixture::start(wrong);
    let report: Report = run(request(&f.url("/ok"), &[]), &options()).await.unwrap();
    let skew: Vec<_> = report
        .findings()
        .filter(|f| f.rule == "field.date-skew")
        .collect();
    assert_eq!(skew.len(), 1);
    assert_eq!(skew[0].severity, Severity::Should);
    assert_eq!(
        skew[0].evidence.as_deref(),
        Some("Date: Thu, 26 Nov 2026 18:00:00 GMT")
    );
    assert!(skew[0].message.contains("behind"), "{}", skew[0].message);
}

#[tokio::test]
async fn each_wrong_answer_gets_its_finding() {
    let f = Fixture::start(wrong);
    use Severity::*;
    let cases: &[(&str, &[(&'static str, Severity)])] = &[
        ("/ok", &[]),
        ("/odd-reason", &[("status.reason-phrase", Info)]),
        ("/204-body", &[("framing.stray-content", Must)]),
        ("/204-length", &[("framing.no-content-fields", Must)]),
        ("/405-no-allow", &[("status.required-field", Must)]),
        ("/405-lists-get", &[("status.405-allow", Must)]),
        (
            "/206-wrong-range",
            &[
                ("status.206-content-range", Must),
                ("status.unasked", Should),
            ],
        ),
        ("/401-no-challenge", &[("status.required-field", Must)]),
        ("/final-102", &[("status.final-response", Must)]),
        ("/short", &[("framing.length-mismatch", Must)]),
        ("/long", &[("framing.stray-content", Must)]),
        ("/no-date", &[("field.date", Must)]),
        ("/bad-retry", &[("field.retry-after", Must)]),
        ("/unasked-101", &[("status.unsolicited-switch", Must)]),
        (
            "/426-no-upgrade",
            &[
                ("status.required-field", Must),
                ("status.required-field", Must),
            ],
        ),
        (
            "/both-lengths",
            &[("framing.length-and-transfer-encoding", Must)],
        ),
        ("/bad-chunk", &[("framing.invalid", Must)]),
        ("/garbage", &[("status.final-response", Must)]),
        ("/closed", &[("status.final-response", Must)]),
        (
            "/408-open",
            &[("status.required-field", Should), ("status.closes", Should)],
        ),
        ("/205-body", &[("framing.205-empty", Must)]),
        ("/length-list", &[("framing.content-length-syntax", Must)]),
        ("/length-twice", &[("framing.content-length-syntax", Must)]),
        (
            "/gzip-close",
            &[("framing.unrequested-transfer-coding", Must)],
        ),
        ("/bare-lf", &[("syntax.bare-lf", Must)]),
        ("/obs-fold", &[("syntax.obs-fold", Must)]),
        ("/space-colon", &[("syntax.space-before-colon", Must)]),
        // RFC 9110 §15.4: Location on a redirect is one level for all.
        ("/303-no-location", &[("status.required-field", Should)]),
        ("/301-no-location", &[("status.required-field", Should)]),
        // What a reference linter (REDbot) flags in common fields.
        ("/cc-abc", &[("cache.cache-control-syntax", Must)]),
        ("/bad-cookie", &[("cookie.set-cookie-syntax", Should)]),
        ("/etag-unquoted", &[("field.etag", Must)]),
        ("/lm-iso", &[("field.last-modified", Must)]),
        ("/vary-star", &[("cache.vary-star", Info)]),
        ("/no-type", &[("field.content-type", Should)]),
    ];
    for (path, expected) in cases {
        assert_eq!(&rules(&f, path, &[]).await, expected, "{path}");
    }
}

#[tokio::test]
async fn a_304_is_compared_with_the_200() {
    let f = Fixture::start(wrong);
    let got = rules(&f, "/cached", &[("If-None-Match", "\"v1\"")]).await;
    assert_eq!(
        got,
        [
            ("status.required-field", Severity::Should),
            ("status.304-validators", Severity::Must),
            ("status.304-validators", Severity::Must)
        ]
    );
}

#[tokio::test]
async fn what_cannot_be_checked_is_an_error() {
    let f = Fixture::start(wrong);
    let err = run(request(&f.url("/silent"), &[]), &options())
        .await
        .unwrap_err();
    assert!(matches!(err, CheckError::Timeout(_)), "{err}");
    assert!(err.to_string().contains("waiting 800 ms for a response"));
    let err = run(request("http://127.0.0.1:1/", &[]), &options())
        .await
        .unwrap_err();
    assert!(matches!(err, CheckError::Connect(_)), "{err}");
    let err = run(request("ftp://127.0.0.1:1/", &[]), &options())
        .await
        .unwrap_err();
    assert!(matches!(err, CheckError::Usage(_)), "{err}");
}

#[tokio::test]
async fn teapot_serve_is_clean_for_every_code() {
    let server = teapot_server::spawn(teapot_server::Config::default())
        .await
        .unwrap();
    let base = Url::parse(&server.base_url()).unwrap();
    for path in ["/{code}", "/status/{code}"] {
        let lines = scorecard(&base, path, &options()).await.unwrap();
        assert_eq!(lines.len(), teapot_codes::entries().count());
        for l in &lines {
            assert!(l.error.is_none(), "{}: {:?}", l.code, l.error);
            let serious: Vec<_> = l
                .findings
                .iter()
                .filter(|f| f.severity != Severity::Info)
                .collect();
            assert!(serious.is_empty(), "{} {path}: {serious:?}", l.code);
        }
    }
    server.shutdown().await;
}

/// `--http2-prior-knowledge` over TLS offers only `h2` by ALPN; a server
/// that does not take it cannot be checked that way (exit 2), while the
/// default offer falls back to HTTP/1.1.
#[tokio::test]
async fn a_tls_server_without_h2_refuses_http2_only() {
    let mut tls = teapot_server::tls::self_signed(vec!["127.0.0.1".into()]).unwrap();
    let mut config = (*tls.config).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tls.config = std::sync::Arc::new(config);
    let server = teapot_server::spawn(teapot_server::Config {
        tls: Some(tls),
        ..teapot_server::Config::default()
    })
    .await
    .unwrap();
    let url = format!("{}/200", server.base_url());
    let mut req = request(&url, &[]);
    req.insecure = true;
    req.http = teapot_check::Http::Http2Only;
    let err = run(req.clone(), &options()).await.unwrap_err();
    assert!(matches!(err, CheckError::Tls(_)), "{err}");
    req.http = teapot_check::Http::Default;
    let report = run(req, &options()).await.unwrap();
    assert_eq!(report.hops[0].exchange.protocol, "HTTP/1.1");
    server.shutdown().await;
}
