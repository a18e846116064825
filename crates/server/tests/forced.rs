//! Forced status over real TCP, for every code in the registry. The
//! expectations are written out here, not read back from the registry, so a
//! wrong registry entry fails a test.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use teapot_testkit::{get, Client, Response};

/// What a forced response for one code must look like.
struct Case {
    code: u16,
    reason: &'static str,
    /// Interim statuses before the final one.
    interim: &'static [u16],
    /// The final status (the code itself, except for 1xx).
    final_code: u16,
    body: Body,
    /// Header fields the final response must carry, with an exact value
    /// (or `None`: present, any value).
    headers: &'static [(&'static str, Option<&'static str>)],
    /// Whether the server closes the connection afterwards.
    closes: bool,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Body {
    /// No content and no Content-Length or Transfer-Encoding.
    NoContent,
    /// `Content-Length: 0`.
    Empty,
    /// Content starting with this text.
    Starts(&'static str),
}

use Body::*;

const fn case(code: u16, reason: &'static str, body: Body) -> Case {
    Case {
        code,
        reason,
        interim: &[],
        final_code: code,
        body,
        headers: &[],
        closes: false,
    }
}

const fn with(mut c: Case, headers: &'static [(&'static str, Option<&'static str>)]) -> Case {
    c.headers = headers;
    c
}

const fn interim(mut c: Case, interim: &'static [u16]) -> Case {
    c.interim = interim;
    c.final_code = 200;
    c.body = Starts("200 OK\n");
    c
}

const LOC: &[(&str, Option<&str>)] = &[("Location", Some("/200"))];

fn cases() -> Vec<Case> {
    vec![
        interim(case(100, "Continue", NoContent), &[100]),
        // 101 without an upgrade offer: see its own tests.
        interim(case(102, "Processing", NoContent), &[102]),
        with(
            interim(case(103, "Early Hints", NoContent), &[103]),
            &[("Link", Some("</static/teapot.css>; rel=preload; as=style"))],
        ),
        case(200, "OK", Starts("200 OK\n")),
        with(case(201, "Created", Starts("201 Created\n")), LOC),
        with(case(202, "Accepted", Starts("202 Accepted\n")), LOC),
        case(
            203,
            "Non-Authoritative Information",
            Starts("203 Non-Authoritative Information\n"),
        ),
        case(204, "No Content", NoContent),
        case(205, "Reset Content", Empty),
        with(
            case(206, "Partial Content", Starts("abcdefghij")),
            &[
                ("Content-Range", Some("bytes 0-99/1024")),
                ("Content-Length", Some("100")),
                ("Accept-Ranges", Some("bytes")),
            ],
        ),
        with(
            case(
                207,
                "Multi-Status",
                Starts(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">",
                ),
            ),
            &[("Content-Type", Some("application/xml; charset=utf-8"))],
        ),
        case(208, "Already Reported", Starts("208 Already Reported\n")),
        with(
            case(226, "IM Used", Starts("1c1\n")),
            &[("ETag", Some("\"teapot-v2\"")), ("IM", Some("diffe"))],
        ),
        with(
            case(300, "Multiple Choices", Starts("300 Multiple Choices\n")),
            &[("Location", Some("/200")), ("Link", None)],
        ),
        with(
            case(301, "Moved Permanently", Starts("301 Moved Permanently\n")),
            LOC,
        ),
        with(case(302, "Found", Starts("302 Found\n")), LOC),
        with(case(303, "See Other", Starts("303 See Other\n")), LOC),
        with(
            case(304, "Not Modified", NoContent),
            &[("ETag", Some("\"teapot\""))],
        ),
        with(case(305, "Use Proxy", Starts("305 Use Proxy\n")), LOC),
        case(306, "(Unused)", Starts("306 (Unused)\n")),
        with(
            case(
                307,
                "Temporary Redirect",
                Starts("307 Temporary Redirect\n"),
            ),
            LOC,
        ),
        with(
            case(
                308,
                "Permanent Redirect",
                Starts("308 Permanent Redirect\n"),
            ),
            LOC,
        ),
        case(400, "Bad Request", Starts("400 Bad Request\n")),
        with(
            case(401, "Unauthorized", Starts("401 Unauthorized\n")),
            &[(
                "WWW-Authenticate",
                Some("Basic realm=\"teapot\", charset=\"UTF-8\""),
            )],
        ),
        case(402, "Payment Required", Starts("402 Payment Required\n")),
        case(403, "Forbidden", Starts("403 Forbidden\n")),
        case(404, "Not Found", Starts("404 Not Found\n")),
        with(
            case(
                405,
                "Method Not Allowed",
                Starts("405 Method Not Allowed\n"),
            ),
            &[("Allow", Some("POST, PUT, PATCH, DELETE, OPTIONS"))],
        ),
        case(406, "Not Acceptable", Starts("406 Not Acceptable\n")),
        with(
            case(
                407,
                "Proxy Authentication Required",
                Starts("407 Proxy Authentication Required\n"),
            ),
            &[(
                "Proxy-Authenticate",
                Some("Basic realm=\"teapot proxy\", charset=\"UTF-8\""),
            )],
        ),
        Case {
            closes: true,
            ..with(
                case(408, "Request Timeout", Starts("408 Request Timeout\n")),
                &[("Connection", Some("close"))],
            )
        },
        case(409, "Conflict", Starts("409 Conflict\n")),
        case(410, "Gone", Starts("410 Gone\n")),
        case(411, "Length Required", Starts("411 Length Required\n")),
        case(
            412,
            "Precondition Failed",
            Starts("412 Precondition Failed\n"),
        ),
        case(413, "Payload Too Large", Starts("413 Payload Too Large\n")),
        case(414, "URI Too Long", Starts("414 URI Too Long\n")),
        with(
            case(
                415,
                "Unsupported Media Type",
                Starts("415 Unsupported Media Type\n"),
            ),
            &[("Accept", None)],
        ),
        with(
            case(
                416,
                "Range Not Satisfiable",
                Starts("416 Range Not Satisfiable\n"),
            ),
            &[("Content-Range", Some("bytes */1024"))],
        ),
        case(
            417,
            "Expectation Failed",
            Starts("417 Expectation Failed\n"),
        ),
        case(418, "I'm a teapot", Starts("418 I'm a teapot\n")),
        case(
            421,
            "Misdirected Request",
            Starts("421 Misdirected Request\n"),
        ),
        case(
            422,
            "Unprocessable Entity",
            Starts("422 Unprocessable Entity\n"),
        ),
        case(423, "Locked", Starts("423 Locked\n")),
        case(424, "Failed Dependency", Starts("424 Failed Dependency\n")),
        case(425, "Too Early", Starts("425 Too Early\n")),
        with(
            case(426, "Upgrade Required", Starts("426 Upgrade Required\n")),
            &[
                ("Upgrade", Some("websocket")),
                ("Connection", Some("upgrade")),
            ],
        ),
        case(
            428,
            "Precondition Required",
            Starts("428 Precondition Required\n"),
        ),
        with(
            case(429, "Too Many Requests", Starts("429 Too Many Requests\n")),
            &[("Retry-After", Some("1"))],
        ),
        case(
            431,
            "Request Header Fields Too Large",
            Starts("431 Request Header Fields Too Large\n"),
        ),
        with(
            case(
                451,
                "Unavailable For Legal Reasons",
                Starts("451 Unavailable For Legal Reasons\n"),
            ),
            &[("Link", Some("</legal/blocked-by>; rel=\"blocked-by\""))],
        ),
        case(
            500,
            "Internal Server Error",
            Starts("500 Internal Server Error\n"),
        ),
        case(501, "Not Implemented", Starts("501 Not Implemented\n")),
        case(502, "Bad Gateway", Starts("502 Bad Gateway\n")),
        with(
            case(
                503,
                "Service Unavailable",
                Starts("503 Service Unavailable\n"),
            ),
            &[("Retry-After", Some("1"))],
        ),
        case(504, "Gateway Timeout", Starts("504 Gateway Timeout\n")),
        case(
            505,
            "HTTP Version Not Supported",
            Starts("505 HTTP Version Not Supported\n"),
        ),
        case(
            506,
            "Variant Also Negotiates",
            Starts("506 Variant Also Negotiates\n"),
        ),
        case(
            507,
            "Insufficient Storage",
            Starts("507 Insufficient Storage\n"),
        ),
        case(508, "Loop Detected", Starts("508 Loop Detected\n")),
        case(510, "Not Extended", Starts("510 Not Extended\n")),
        case(
            511,
            "Network Authentication Required",
            Starts("511 Network Authentication Required\n"),
        ),
    ]
}

fn check_final(case: &Case, r: &Response, path: &str) {
    assert_eq!(r.status, case.final_code, "{path}");
    let date = r
        .header("date")
        .unwrap_or_else(|| panic!("{path}: no Date"));
    assert!(date.ends_with(" GMT"), "{path}: {date}");
    assert!(
        r.header("transfer-encoding").is_none(),
        "{path}: small bodies are length-delimited"
    );
    match case.body {
        NoContent => {
            assert!(
                r.header("content-length").is_none(),
                "{path}: Content-Length on a no-content code"
            );
            assert!(r.body.is_empty());
        }
        Empty => {
            assert_eq!(r.header("content-length"), Some("0"), "{path}");
            assert!(r.body.is_empty());
        }
        Starts(text) => {
            let cl: usize = r
                .header("content-length")
                .expect("Content-Length")
                .parse()
                .unwrap();
            assert_eq!(cl, r.body.len(), "{path}");
            assert!(r.text().starts_with(text), "{path}: {:?}", r.text());
        }
    }
    for (name, value) in case.headers {
        let got = r
            .header(name)
            .unwrap_or_else(|| panic!("{path}: no {name}"));
        if let Some(v) = value {
            assert_eq!(got, *v, "{path}: {name}");
        }
    }
}

#[tokio::test]
async fn every_registered_code_has_a_case() {
    let cases = cases();
    let mut covered: Vec<u16> = cases.iter().map(|c| c.code).collect();
    covered.push(101);
    covered.sort_unstable();
    let registry: Vec<u16> = teapot_codes::entries().map(|e| e.code).collect();
    assert_eq!(covered, registry);
}

#[tokio::test]
async fn every_code_looks_as_the_rfcs_say() {
    let server = common::server().await;
    for prefix in ["", "/status"] {
        let mut c = Client::connect(server.addr()).await;
        for case in cases() {
            let path = format!("{prefix}/{}", case.code);
            c.send(get(&path)).await;
            let all = c.exchange(false).await;
            let statuses: Vec<u16> = all.iter().map(|r| r.status).collect();
            let mut expected = case.interim.to_vec();
            expected.push(case.final_code);
            assert_eq!(statuses, expected, "{path}");
            let first = &all[0];
            assert_eq!(first.reason, case.reason, "{path}: reason phrase");
            for r in &all[..all.len() - 1] {
                assert!(
                    r.header("content-length").is_none() && r.body.is_empty(),
                    "{path}: interim with content"
                );
            }
            check_final(&case, all.last().unwrap(), &path);
            if case.closes {
                assert!(c.is_closed().await, "{path}: the server must close");
                c = Client::connect(server.addr()).await;
            } else {
                // The connection is still usable, and in step.
                c.send(get("/status/202")).await;
                assert_eq!(
                    c.response(false).await.status,
                    202,
                    "{path}: connection not reusable"
                );
            }
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn head_gets_the_headers_only() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send("HEAD /418 HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let r = c.response(true).await;
    assert_eq!(r.status, 418);
    assert_eq!(r.header("content-length"), Some("17"));
    c.send(get("/200")).await;
    let r = c.response(false).await;
    assert_eq!(r.body, b"200 OK\n");
}

#[tokio::test]
async fn any_method_and_any_path_below_the_code() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    for req in [
        "DELETE /503/v1/orders/7 HTTP/1.1\r\nHost: t\r\n\r\n",
        "POST /status/503/x?y=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi",
        "PROPFIND /random/503 HTTP/1.1\r\nHost: t\r\n\r\n",
    ] {
        c.send(req).await;
        assert_eq!(c.response(false).await.status, 503, "{req}");
    }
}

#[tokio::test]
async fn http10_never_gets_an_interim_response() {
    let server = common::server().await;
    for code in [100, 102, 103] {
        let mut c = Client::connect(server.addr()).await;
        c.send(format!("GET /{code} HTTP/1.0\r\n\r\n")).await;
        let r = c.response(false).await;
        assert_eq!(r.status, 200, "{code}");
    }
}

#[tokio::test]
async fn interim_options() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send(get("/102?count=3&interval=10&final=201")).await;
    let codes: Vec<u16> = c.exchange(false).await.iter().map(|r| r.status).collect();
    assert_eq!(codes, [102, 102, 102, 201]);
    c.send(get("/100?final=404")).await;
    let codes: Vec<u16> = c.exchange(false).await.iter().map(|r| r.status).collect();
    assert_eq!(codes, [100, 404]);
}

#[tokio::test]
async fn body_follows_accept() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let ask = |path: &str, accept: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: t\r\nAccept: {accept}\r\n\r\n")
    };
    c.send(ask("/404", "application/json")).await;
    let r = c.response(false).await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("vary"), Some("Accept"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["code"], 404);
    assert_eq!(v["reason"], "Not Found");
    assert_eq!(v["spec"], "RFC 9110 §15.5.5");
    assert!(v["description"].as_str().unwrap().len() > 10);

    c.send(ask("/503", "application/problem+json")).await;
    let r = c.response(false).await;
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (v["status"].as_u64(), v["title"].as_str()),
        (Some(503), Some("Service Unavailable"))
    );

    c.send(ask("/200", "application/problem+json, text/plain;q=0.5"))
        .await;
    let r = c.response(false).await;
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; charset=utf-8"),
        "no problem document for a success"
    );

    c.send(ask("/418", "text/html")).await;
    let r = c.response(false).await;
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(
        r.text().contains("<h1>418 I&#39;m a teapot</h1>")
            || r.text().contains("<h1>418 I'm a teapot</h1>")
    );

    c.send(ask("/200", "image/png")).await;
    let r = c.response(false).await;
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("text/plain; charset=utf-8"))
    );
}

#[tokio::test]
async fn unregistered_codes_answer_with_their_class_phrase() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send(get("/299")).await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.reason.as_str()), (299, "Success"));
    c.send(get("/499")).await;
    let r = c.response(false).await;
    assert_eq!(
        (r.status, r.reason.as_str(), r.text().as_str()),
        (499, "Client Error", "499 Client Error\n")
    );
    c.send(get("/199")).await;
    let all = c.exchange(false).await;
    let codes: Vec<u16> = all.iter().map(|r| r.status).collect();
    assert_eq!(codes, [199, 200], "an unregistered 1xx is still interim");
    assert_eq!(all[0].reason, "Informational");
}

#[tokio::test]
async fn ranges_on_206() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send("GET /206 HTTP/1.1\r\nHost: t\r\nRange: bytes=10-19\r\n\r\n")
        .await;
    let r = c.response(false).await;
    assert_eq!(r.header("content-range"), Some("bytes 10-19/1024"));
    assert_eq!(r.body, b"klmnopqrst");
    c.send("GET /206 HTTP/1.1\r\nHost: t\r\nRange: bytes=0-1, -2\r\n\r\n")
        .await;
    let r = c.response(false).await;
    let ctype = r.header("content-type").unwrap();
    assert!(ctype.starts_with("multipart/byteranges; boundary="));
    assert!(r.header("content-range").is_none());
    let text = r.text();
    assert!(text.contains("Content-Range: bytes 0-1/1024\r\n\r\nab\r\n"));
    assert!(text.contains("Content-Range: bytes 1022-1023/1024\r\n"));
    c.send("GET /206 HTTP/1.1\r\nHost: t\r\nRange: bytes=2000-\r\n\r\n")
        .await;
    let r = c.response(false).await;
    assert_eq!(
        (r.status, r.header("content-range")),
        (416, Some("bytes */1024"))
    );
}

#[tokio::test]
async fn options_shape_the_answer() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send(get(
        "/200?header=X-Teapot:short%20and%20stout&header=Cache-Control:no-store",
    ))
    .await;
    let r = c.response(false).await;
    assert_eq!(r.header("x-teapot"), Some("short and stout"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    c.send(get("/307?location=https://example.com/next%3Fa%3D1"))
        .await;
    let r = c.response(false).await;
    assert_eq!(r.header("location"), Some("https://example.com/next?a=1"));
    c.send(get("/301?header=Location:/elsewhere")).await;
    let r = c.response(false).await;
    assert_eq!(
        r.headers_named("location"),
        ["/elsewhere"],
        "header= replaces the default"
    );
    c.send(get("/429?retry_after=120")).await;
    assert_eq!(c.response(false).await.header("retry-after"), Some("120"));
    c.send(get("/413?retry_after=5")).await;
    assert_eq!(c.response(false).await.header("retry-after"), Some("5"));
}

#[tokio::test]
async fn delay_waits_before_the_status_line() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let started = Instant::now();
    c.send(get("/200?delay=150")).await;
    assert_eq!(c.response(false).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

async fn bad_option(c: &mut Client, path: &str, kind: &str, mention: &str) {
    c.send(get(path)).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 400, "{path}");
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{path}"
    );
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["type"], format!("/problems/{kind}"), "{path}");
    assert_eq!(v["status"], 400);
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains(mention),
        "{path}: {detail:?} should name {mention:?}"
    );
}

#[tokio::test]
async fn bad_options_are_400_problems_naming_the_bad_part() {
    let server = common::server_with(common::short_delay).await;
    let mut c = Client::connect(server.addr()).await;
    bad_option(&mut c, "/status/600", "bad-code", "600").await;
    bad_option(&mut c, "/status/200,99", "bad-code", "99").await;
    bad_option(&mut c, "/status/200:x,503:1", "bad-weight", "\"x\"").await;
    bad_option(&mut c, "/status/200:-2", "bad-weight", "-2").await;
    bad_option(&mut c, "/200?header=Bad%20Name:v", "bad-header", "Bad Name").await;
    bad_option(
        &mut c,
        "/200?header=X-Ok:a%0D%0AInjected:%201",
        "bad-header",
        "X-Ok",
    )
    .await;
    bad_option(&mut c, "/200?header=X-Ok:a%0Ab", "bad-header", "X-Ok").await;
    bad_option(
        &mut c,
        "/200?header=Content-Length:5",
        "bad-header",
        "Content-Length",
    )
    .await;
    bad_option(&mut c, "/200?delay=501", "bad-delay", "501").await;
    bad_option(&mut c, "/200?delay=soon", "bad-delay", "soon").await;
    bad_option(
        &mut c,
        "/302?location=javascript:alert(1)",
        "bad-location",
        "javascript",
    )
    .await;
    bad_option(
        &mut c,
        "/302?location=//evil.example/",
        "bad-location",
        "//evil.example",
    )
    .await;
    bad_option(&mut c, "/302?location=/a%20b", "bad-location", "/a b").await;
    bad_option(&mut c, "/100?final=103", "bad-option", "final=103").await;
    bad_option(&mut c, "/102?count=0", "bad-option", "count").await;
    bad_option(&mut c, "/102?count=5&interval=200", "bad-delay", "1200").await;
    bad_option(&mut c, "/503?retry_after=-1", "bad-option", "retry_after").await;
    // The connection survived all of them.
    c.send(get("/204")).await;
    assert_eq!(c.response(false).await.status, 204);
}

async fn tally(c: &mut Client, path: &str, n: usize) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for _ in 0..n {
        c.send(get(path)).await;
        *counts.entry(c.response(false).await.status).or_insert(0) += 1;
    }
    counts
}

#[tokio::test]
async fn weighted_choice_honours_the_weights() {
    // 2000 draws with p = 0.9: the standard deviation of the share is
    // 0.0067, so ±0.04 is six of them; a false failure is far below 1e-8.
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    for path in ["/status/200:9,503:1", "/status/200:0.9,503:0.1"] {
        let counts = tally(&mut c, path, 2000).await;
        assert_eq!(
            counts.keys().copied().collect::<Vec<_>>(),
            [200, 503],
            "{path}"
        );
        let share = counts[&200] as f64 / 2000.0;
        assert!((0.86..=0.94).contains(&share), "{path}: {share}");
    }
    let counts = tally(&mut c, "/status/200:1,503:0", 200).await;
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), [200]);
    let counts = tally(&mut c, "/status/500-504", 500).await;
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        [500, 501, 502, 503, 504]
    );
    assert!(counts.values().all(|&n| n > 50), "{counts:?}");
    let counts = tally(&mut c, "/random/201,202", 400).await;
    let share = counts[&201] as f64 / 400.0;
    assert!((0.35..=0.65).contains(&share), "{share}");
}

/// The three transports the forced status is held to.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Transport {
    /// HTTP/1.1 over TCP.
    Http1,
    /// HTTP/2 over TCP by prior knowledge.
    H2c,
    /// HTTP/2 over TLS, agreed by ALPN.
    H2Tls,
    /// HTTP/3 over QUIC.
    H3,
}

/// Fields that belong to an HTTP/1.1 connection; HTTP/2 never carries them
/// (RFC 9113 §8.2.2).
const CONNECTION_SPECIFIC: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

/// A GET for teapot's checker client (any certificate accepted).
fn check_request(url: &str, http: teapot_check::Http) -> teapot_check::Request {
    teapot_check::Request {
        method: "GET".into(),
        url: url::Url::parse(url).unwrap(),
        headers: Vec::new(),
        body: bytes::Bytes::new(),
        insecure: true,
        http,
    }
}

async fn over(transport: Transport, base: &str, path: &str) -> teapot_check::Exchange {
    let http = match transport {
        Transport::Http1 => teapot_check::Http::Http1,
        Transport::H2c | Transport::H2Tls => teapot_check::Http::Http2Only,
        Transport::H3 => teapot_check::Http::Http3,
    };
    let request = check_request(&format!("{base}{path}"), http);
    // A QUIC connection ends a few round trips after its last answer (the
    // server waits for the client's acknowledgements before closing).
    let settle = if transport == Transport::H3 { 150 } else { 50 };
    teapot_check::client::exchange(
        &request,
        Duration::from_secs(10),
        Duration::from_millis(settle),
    )
    .await
    .unwrap_or_else(|e| panic!("{transport:?} {path}: {e}"))
}

/// The same table of cases over HTTP/1.1, h2c, h2 over TLS and HTTP/3.
/// What differs by protocol is written out here:
/// - HTTP/2 and HTTP/3 have no reason phrase, and never carry
///   connection-specific fields, so the cases' `Connection` and `Upgrade`
///   expectations hold only for HTTP/1.1;
/// - a 426 must name the protocol in `Upgrade`, which HTTP/2 and HTTP/3
///   cannot send: the stream is reset with `HTTP_1_1_REQUIRED` (HTTP/3:
///   `H3_VERSION_FALLBACK`) and the client (here teapot's checker, as curl
///   does) asks again over HTTP/1.1;
/// - a 408 ends the connection: HTTP/1.1 closes it, HTTP/2 and HTTP/3 send
///   `GOAWAY` and then close; in all the connection is not reusable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_code_looks_the_same_over_every_transport() {
    let plain = common::server().await;
    let made = teapot_server::tls::self_signed(vec!["127.0.0.1".into()]).unwrap();
    let tls = common::server_with(|c| {
        c.tls = Some(made);
        c.http3 = true;
    })
    .await;
    for transport in [
        Transport::Http1,
        Transport::H2c,
        Transport::H2Tls,
        Transport::H3,
    ] {
        let base = match transport {
            Transport::H2Tls | Transport::H3 => tls.base_url(),
            _ => plain.base_url(),
        };
        for case in cases() {
            let path = format!("/{}", case.code);
            let ex = over(transport, &base, &path).await;
            let multiplexed = transport != Transport::Http1;
            let back_to_h1 = multiplexed && case.code == 426;
            let protocol = match transport {
                _ if back_to_h1 => "HTTP/1.1",
                Transport::Http1 => "HTTP/1.1",
                Transport::H2c | Transport::H2Tls => "HTTP/2",
                Transport::H3 => "HTTP/3",
            };
            assert_eq!(ex.protocol, protocol, "{transport:?} {path}");
            if back_to_h1 {
                let code = if transport == Transport::H3 {
                    "H3_VERSION_FALLBACK"
                } else {
                    "HTTP_1_1_REQUIRED"
                };
                assert!(
                    ex.notes.iter().any(|n| n.contains(code)),
                    "{transport:?} {path}: {:?}",
                    ex.notes
                );
            }
            assert!(
                ex.incomplete.is_none(),
                "{transport:?} {path}: {:?}",
                ex.incomplete
            );
            let statuses: Vec<u16> = ex.interim.iter().map(|r| r.status).collect();
            assert_eq!(statuses, case.interim, "{transport:?} {path}");
            for r in &ex.interim {
                assert!(
                    r.header("content-length").is_none() && r.body.is_empty(),
                    "{transport:?} {path}: interim with content"
                );
            }
            let r = ex.final_response.as_ref().expect("a final response");
            assert_eq!(r.status, case.final_code, "{transport:?} {path}");
            assert_eq!(r.version, protocol, "{transport:?} {path}");
            let first = ex.interim.first().unwrap_or(r);
            if protocol == "HTTP/1.1" {
                assert_eq!(first.reason, case.reason, "{transport:?} {path}");
            } else {
                assert_eq!(
                    first.reason, "",
                    "{transport:?} {path}: {protocol} has no reason"
                );
                for name in CONNECTION_SPECIFIC {
                    assert!(
                        ex.interim
                            .iter()
                            .chain([r])
                            .all(|r| r.header(name).is_none()),
                        "{transport:?} {path}: {name} on {protocol}"
                    );
                }
            }
            assert!(
                r.header("date").is_some_and(|d| d.ends_with(" GMT")),
                "{transport:?} {path}: Date"
            );
            match case.body {
                NoContent => {
                    assert!(r.header("content-length").is_none(), "{transport:?} {path}");
                    assert_eq!(r.body_bytes, 0, "{transport:?} {path}");
                }
                Empty => {
                    assert_eq!(
                        r.header("content-length"),
                        Some("0"),
                        "{transport:?} {path}"
                    );
                    assert_eq!(r.body_bytes, 0, "{transport:?} {path}");
                }
                Starts(text) => {
                    let cl: usize = r.header("content-length").unwrap().parse().unwrap();
                    assert_eq!(cl, r.body_bytes, "{transport:?} {path}");
                    let body = String::from_utf8_lossy(&r.body);
                    assert!(body.starts_with(text), "{transport:?} {path}: {body:?}");
                }
            }
            for (name, value) in case.headers {
                let connection_field =
                    CONNECTION_SPECIFIC.contains(&name.to_ascii_lowercase().as_str());
                if protocol != "HTTP/1.1" && connection_field {
                    continue;
                }
                let got = r
                    .header(name)
                    .unwrap_or_else(|| panic!("{transport:?} {path}: no {name}"));
                if let Some(v) = value {
                    assert!(
                        got.eq_ignore_ascii_case(v),
                        "{transport:?} {path}: {name}: {got}"
                    );
                }
            }
            assert_eq!(
                ex.reusable, !case.closes,
                "{transport:?} {path}: reusable after the response"
            );
        }
    }
    plain.shutdown().await;
    tls.shutdown().await;
}

/// 101 over each transport: HTTP/1.1 without an offer gets 426; HTTP/2 has
/// no 101 and sends the client back to HTTP/1.1, where the same 426
/// comes; an `Upgrade: h2c` offer switches, and the answer comes on
/// stream 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_protocols_over_every_transport() {
    let server = common::server().await;
    let base = server.base_url();
    let ex = over(Transport::Http1, &base, "/101").await;
    assert_eq!(ex.final_response.unwrap().status, 426);
    let ex = over(Transport::H2c, &base, "/101").await;
    assert!(ex.notes[0].contains("HTTP_1_1_REQUIRED"), "{:?}", ex.notes);
    assert_eq!(ex.protocol, "HTTP/1.1");
    assert_eq!(ex.final_response.unwrap().status, 426);
    let mut request = check_request(&format!("{base}/101"), teapot_check::Http::Http2);
    let ex =
        teapot_check::client::exchange(&request, Duration::from_secs(5), Duration::from_millis(50))
            .await
            .unwrap();
    let statuses: Vec<u16> = ex.interim.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [101]);
    assert_eq!(ex.interim[0].header("upgrade"), Some("h2c"));
    let r = ex.final_response.unwrap();
    assert_eq!((r.version.as_str(), r.status), ("HTTP/2", 200));
    // A body on the upgrade request: the server may decline, and does; the
    // answer stays HTTP/1.1.
    request.method = "POST".into();
    request.body = bytes::Bytes::from_static(b"payload");
    request.url = url::Url::parse(&format!("{base}/post")).unwrap();
    let ex =
        teapot_check::client::exchange(&request, Duration::from_secs(5), Duration::from_millis(50))
            .await
            .unwrap();
    assert!(ex.interim.is_empty());
    let r = ex.final_response.unwrap();
    assert_eq!((r.version.as_str(), r.status), ("HTTP/1.1", 200));
    server.shutdown().await;
}

/// The request that switches by `Upgrade: h2c` reaches its handler on
/// stream 1 with every field as sent: short and long values (HPACK string
/// lengths of one byte and of several), upgrade fields left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2c_upgrade_carries_the_request_whole() {
    let server = common::server().await;
    let lengths = [0usize, 1, 126, 127, 128, 300, 5000];
    let headers: Vec<(String, String)> = lengths
        .iter()
        .map(|&n| {
            let value: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            (format!("X-Len-{n}"), value)
        })
        .collect();
    let url = format!("{}/headers?x=1&y=%20", server.base_url());
    let mut request = check_request(&url, teapot_check::Http::Http2);
    request.headers = headers.clone();
    let ex =
        teapot_check::client::exchange(&request, Duration::from_secs(5), Duration::from_millis(20))
            .await
            .unwrap();
    assert_eq!(ex.interim[0].status, 101);
    let r = ex.final_response.unwrap();
    assert_eq!((r.version.as_str(), r.status), ("HTTP/2", 200));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let seen = v["headers"].as_object().unwrap();
    for (name, value) in &headers {
        let got = seen
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("{name} missing: {seen:?}"));
        assert_eq!(got.1, value, "{name}");
    }
    for gone in ["Upgrade", "Connection", "HTTP2-Settings"] {
        assert!(
            !seen.keys().any(|n| n.eq_ignore_ascii_case(gone)),
            "{gone} reached the handler: {seen:?}"
        );
    }
    assert!(seen.keys().any(|n| n.eq_ignore_ascii_case("host")));
    server.shutdown().await;
}

/// The per-code fields of forced answers are held to the registry: every
/// field the registry says a code MUST or SHOULD carry is on the wire for
/// that code (the answers' own values, the registry's rule).
#[tokio::test]
async fn every_field_the_registry_asks_for_is_sent() {
    use teapot_codes::Level;
    let server = common::server().await;
    let mut checked = 0;
    for entry in teapot_codes::entries() {
        let wanted: Vec<&str> = entry
            .rules
            .headers
            .iter()
            .filter(|h| h.level <= Level::Should)
            .map(|h| h.name)
            .collect();
        if wanted.is_empty() || entry.code == 101 {
            continue;
        }
        let mut c = Client::connect(server.addr()).await;
        c.send(format!(
            "GET /{} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            entry.code
        ))
        .await;
        let all = c.exchange(false).await;
        // Interim codes carry theirs on the interim responses.
        let carrying: Vec<&teapot_testkit::Response> =
            all.iter().filter(|r| r.status == entry.code).collect();
        assert!(!carrying.is_empty(), "{}: not answered", entry.code);
        for name in wanted {
            assert!(
                carrying.iter().all(|r| r.header(name).is_some()),
                "{}: no {name}",
                entry.code
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "{checked}");
}

/// 206 and 226 name their representation by ETag; a client that has it
/// (If-None-Match) gets 304, as the preconditions come before the range or
/// the delta (RFC 9110 §13.2.2).
#[tokio::test]
async fn forced_206_and_226_answer_a_matching_if_none_match_with_304() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    for (path, code) in [("/206", 206), ("/226", 226)] {
        let r = c.ask("GET", path, &[]).await;
        assert_eq!(r.status, code);
        let etag = r.header("etag").unwrap().to_string();
        let r = c.ask("GET", path, &[("If-None-Match", &etag)]).await;
        assert_eq!(
            (r.status, r.header("etag")),
            (304, Some(etag.as_str())),
            "{path}"
        );
        assert!(r.body.is_empty());
        let r = c.ask("GET", path, &[("If-None-Match", "\"other\"")]).await;
        assert_eq!(r.status, code, "{path}");
    }
}
