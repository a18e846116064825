//! The endpoints httpbin and go-httpbin users call, with their shapes, over
//! HTTP/1.1 (the bytes on the wire where the framing is the point) and
//! HTTP/2.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use teapot_testkit::{Client, Response};
use tokio::net::TcpStream;

fn json(r: &Response) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.text()))
}

async fn ask(server: &teapot_server::Running, method: &str, path: &str) -> Response {
    Client::connect(server.addr())
        .await
        .ask(method, path, &[])
        .await
}

/// The raw answer to a GET that closes the connection: the head, and the
/// chunk sizes of a chunked body with the content they carried.
async fn raw_chunks(server: &teapot_server::Running, path: &str) -> (String, Vec<usize>, Vec<u8>) {
    let mut c = Client::connect(server.addr()).await;
    c.send(format!(
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    ))
    .await;
    let raw = c.read_to_close().await;
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut rest = &raw[end..];
    let (mut sizes, mut content) = (Vec::new(), Vec::new());
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap(), 16).unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        sizes.push(size);
        content.extend_from_slice(&rest[..size]);
        assert_eq!(&rest[size..size + 2], b"\r\n");
        rest = &rest[size + 2..];
    }
    (head, sizes, content)
}

/// One GET over cleartext HTTP/2 (prior knowledge): the head and each DATA
/// payload as it arrived.
async fn h2_get(
    server: &teapot_server::Running,
    path: &str,
) -> (http::response::Parts, Vec<Bytes>) {
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(conn);
    let mut client = client.ready().await.unwrap();
    let req = http::Request::get(format!("http://t{path}"))
        .body(())
        .unwrap();
    let (resp, _) = client.send_request(req, true).unwrap();
    let (parts, mut body) = resp.await.unwrap().into_parts();
    let mut frames = Vec::new();
    while let Some(d) = body.data().await {
        let d = d.unwrap();
        let _ = body.flow_control().release_capacity(d.len());
        frames.push(d);
    }
    (parts, frames)
}

#[tokio::test]
async fn uuid_is_a_fresh_version_4_uuid() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let a = c.ask("GET", "/uuid", &[]).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/json"));
    let a = json(&a)["uuid"].as_str().unwrap().to_string();
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "4", "{a}");
    let b = json(&c.ask("GET", "/uuid", &[]).await)["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(a, b);
}

#[tokio::test]
async fn base64_decodes_and_encodes() {
    let server = common::server().await;
    // httpbin's own test: URL-safe base64 of UTF-8 text.
    let r = ask(
        &server,
        "GET",
        "/base64/0JfQtNGA0LDQstGB0YLQstGD0LksINC80LjRgCE=",
    )
    .await;
    assert_eq!((r.status, r.text().as_str()), (200, "Здравствуй, мир!"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    let r = ask(&server, "GET", "/base64/encode/tea%20time").await;
    assert_eq!(r.text(), "dGVhIHRpbWU=");
    let r = ask(&server, "GET", "/base64/decode/dGVhIHRpbWU").await;
    assert_eq!(r.text(), "tea time");
    let r = ask(
        &server,
        "GET",
        "/base64/PGI+aGk8L2I+?content-type=text/html",
    )
    .await;
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.text(), "&lt;b&gt;hi&lt;/b&gt;");
    for bad in ["/base64/!!!", "/base64/rot13/abc"] {
        let r = ask(&server, "GET", bad).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
}

#[tokio::test]
async fn links_make_a_page_of_links() {
    let server = common::server().await;
    let r = ask(&server, "GET", "/links/3").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/links/3/0")));
    let r = ask(&server, "GET", "/links/3/1").await;
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        r.text(),
        "<html><head><title>Links</title></head><body><a href='/links/3/0'>0</a> 1 <a href='/links/3/2'>2</a> </body></html>"
    );
    assert_eq!(ask(&server, "GET", "/links/300/0").await.status, 400);
}

#[tokio::test]
async fn unstable_fails_at_the_rate_asked() {
    let server = common::server().await;
    assert_eq!(
        ask(&server, "GET", "/unstable?failure_rate=0").await.status,
        200
    );
    assert_eq!(
        ask(&server, "GET", "/unstable?failure_rate=1").await.status,
        500
    );
    let first = ask(&server, "GET", "/unstable?seed=42").await.status;
    for _ in 0..5 {
        assert_eq!(ask(&server, "GET", "/unstable?seed=42").await.status, first);
    }
    assert_eq!(
        ask(&server, "GET", "/unstable?failure_rate=2").await.status,
        400
    );
}

#[tokio::test]
async fn sample_documents_parse_as_their_type() {
    let server = common::server().await;
    let r = ask(&server, "GET", "/json").await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(json(&r)["slideshow"]["slides"].is_array());
    let r = ask(&server, "GET", "/xml").await;
    assert_eq!(r.header("content-type"), Some("application/xml"));
    assert!(r.text().starts_with("<?xml"));
    for (path, needle) in [
        ("/html", "<h1>"),
        ("/encoding/utf8", "茶壶"),
        ("/forms/post", "action=\"/post\""),
    ] {
        let r = ask(&server, "GET", path).await;
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert!(r.text().contains(needle), "{path}");
    }
    let r = ask(&server, "GET", "/robots.txt").await;
    assert_eq!(r.text(), "User-agent: *\nDisallow: /deny\n");
    assert!(ask(&server, "GET", "/deny")
        .await
        .text()
        .contains("YOU SHOULDN'T BE HERE"));
}

#[tokio::test]
async fn stream_sends_one_json_line_a_chunk() {
    let server = common::server().await;
    let (head, sizes, content) = raw_chunks(&server, "/stream/3?a=1").await;
    assert!(head.contains("Transfer-Encoding: chunked"), "{head}");
    let text = String::from_utf8(content).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(sizes, lines.iter().map(|l| l.len() + 1).collect::<Vec<_>>());
    for (i, line) in lines.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["id"], i);
        assert_eq!(v["args"]["a"], "1");
        assert!(v["url"].as_str().unwrap().ends_with("/stream/3?a=1"));
    }
    // At most 100 lines.
    let (_, sizes, _) = raw_chunks(&server, "/stream/1000").await;
    assert_eq!(sizes.len(), 100);
    // Over HTTP/2, a DATA frame a line.
    let (parts, frames) = h2_get(&server, "/stream/4").await;
    assert_eq!(parts.status, 200);
    let lines: Vec<Bytes> = frames.into_iter().filter(|f| !f.is_empty()).collect();
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l.ends_with(b"\n")));
}

#[tokio::test]
async fn stream_bytes_come_in_the_chunks_asked_and_repeat_by_seed() {
    let server = common::server().await;
    let (_, sizes, a) = raw_chunks(&server, "/stream-bytes/10?seed=7&chunk_size=4").await;
    assert_eq!(sizes, [4, 4, 2]);
    let (_, _, b) = raw_chunks(&server, "/stream-bytes/10?seed=7&chunk_size=3").await;
    assert_eq!(a, b, "the same bytes for the same seed");
    let (_, _, c) = raw_chunks(&server, "/stream-bytes/10?seed=8").await;
    assert_ne!(a, c);
    assert_eq!(
        ask(&server, "GET", "/bytes/10?seed=7").await.body,
        a,
        "as /bytes gives them"
    );
    let (parts, frames) = h2_get(&server, "/stream-bytes/10?seed=7&chunk_size=4").await;
    assert_eq!(parts.headers["content-type"], "application/octet-stream");
    assert_eq!(frames.concat(), a);
    assert_eq!(
        ask(&server, "GET", "/stream-bytes/99999999999")
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn drip_spreads_its_bytes_and_ends_with_the_code_asked() {
    let server = common::server().await;
    let started = Instant::now();
    let r = ask(
        &server,
        "GET",
        "/drip?numbytes=5&duration=0.3&delay=0&code=500",
    )
    .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-length"), Some("5"));
    assert_eq!(r.body, b"*****");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the bytes were spread"
    );
    // httpbin's own tests.
    let r = ask(&server, "GET", "/drip?numbytes=400&duration=0.2&delay=0.1").await;
    assert_eq!((r.status, r.body.len()), (200, 400));
    for bad in [
        "/drip?numbytes=0",
        "/drip?numbytes=-1",
        "/drip?duration=60",
        "/drip?code=99",
    ] {
        assert_eq!(ask(&server, "GET", bad).await.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn delay_echoes_after_its_wait() {
    let server = common::server_with(|c| c.max_delay = Duration::from_secs(1)).await;
    let started = Instant::now();
    let r = ask(&server, "POST", "/delay/0.2?x=y").await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(r.status, 200);
    assert_eq!(json(&r)["args"]["x"], "y");
    assert_eq!(json(&r)["method"], "POST");
    assert!(r
        .header("server-timing")
        .unwrap()
        .starts_with("initial_delay;dur=200"));
    assert_eq!(
        ask(&server, "GET", "/delay/2").await.status,
        400,
        "over --max-delay"
    );
}

#[tokio::test]
async fn head_dump_and_the_server_endpoints() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send("HEAD /head HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let r = c.response(true).await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 0
    );
    let r = ask(&server, "GET", "/head").await;
    assert_eq!((r.status, r.header("allow")), (405, Some("HEAD")));

    let mut c = Client::connect(server.addr()).await;
    let raw = "POST /dump/request?a=b HTTP/1.1\r\nHost: t\r\nX-Tea: green\r\nContent-Length: 5\r\n\r\nhello";
    c.send(raw).await;
    let r = c.response(false).await;
    assert_eq!(r.text(), raw, "the request exactly as it came");

    assert_eq!(
        json(&ask(&server, "GET", "/hostname").await)["hostname"],
        "teapot"
    );
    assert_eq!(
        json(&ask(&server, "GET", "/version").await)["version"],
        env!("CARGO_PKG_VERSION")
    );
    let env = json(&ask(&server, "GET", "/env").await);
    let vars = env["env"].as_object().unwrap();
    assert!(
        vars.keys().all(|k| k.starts_with("TEAPOT_ENV_")),
        "{vars:?}"
    );
}

#[tokio::test]
async fn the_echo_url_follows_the_proxys_scheme() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c
        .ask("GET", "/get", &[("X-Forwarded-Proto", "https")])
        .await;
    assert!(json(&r)["url"]
        .as_str()
        .unwrap()
        .starts_with("https://t/get"));
    let r = c.ask("GET", "/get", &[("X-Forwarded-Ssl", "on")]).await;
    assert!(json(&r)["url"].as_str().unwrap().starts_with("https://"));
    let r = c.ask("GET", "/get", &[]).await;
    assert!(json(&r)["url"].as_str().unwrap().starts_with("http://"));
}

/// Parses a `text/event-stream` into (id, event, data) triples.
fn events(text: &str) -> Vec<(String, String, serde_json::Value)> {
    text.split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            let field = |name: &str| {
                e.lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                    .unwrap_or_else(|| panic!("no {name} in {e:?}"))
                    .to_string()
            };
            let data = serde_json::from_str(&field("data")).unwrap();
            (field("id"), field("event"), data)
        })
        .collect()
}

#[tokio::test]
async fn sse_is_an_event_stream_that_resumes_after_the_last_event_id() {
    let server = common::server().await;
    let (head, sizes, content) = raw_chunks(&server, "/sse?count=3&duration=0").await;
    assert!(
        head.contains("Content-Type: text/event-stream; charset=utf-8"),
        "{head}"
    );
    assert_eq!(sizes.len(), 3, "an event a chunk");
    let text = String::from_utf8(content).unwrap();
    assert!(text.ends_with("\n\n"));
    let got = events(&text);
    assert_eq!(got.len(), 3);
    for (i, (id, event, data)) in got.iter().enumerate() {
        assert_eq!(id, &i.to_string());
        assert_eq!(event, "ping");
        assert_eq!(data["id"], i);
        assert!(data["timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    }
    let mut c = Client::connect(server.addr()).await;
    let r = c
        .ask("GET", "/sse?count=3&duration=0", &[("Last-Event-ID", "1")])
        .await;
    let ids: Vec<String> = events(&r.text()).into_iter().map(|e| e.0).collect();
    assert_eq!(ids, ["2"]);
    let (parts, frames) = h2_get(&server, "/sse?count=2&duration=0").await;
    assert_eq!(
        parts.headers["content-type"],
        "text/event-stream; charset=utf-8"
    );
    assert_eq!(
        events(&String::from_utf8(frames.concat()).unwrap()).len(),
        2
    );
    assert_eq!(ask(&server, "GET", "/sse?count=0").await.status, 400);
    assert_eq!(ask(&server, "GET", "/sse?duration=60").await.status, 400);
}

#[tokio::test]
async fn jsonl_is_newline_delimited_json() {
    let server = common::server().await;
    let r = ask(&server, "GET", "/jsonl?count=3&x=1").await;
    assert_eq!(
        r.header("content-type"),
        Some("application/x-ndjson; charset=utf-8")
    );
    let lines: Vec<serde_json::Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["id"], 2);
    assert_eq!(lines[0]["args"]["x"], "1");
    let r = ask(&server, "GET", "/jsonl?count=0").await;
    assert_eq!(r.text().lines().count(), 1, "at least one line");
}

#[tokio::test]
async fn websocket_echo_is_the_websocket_endpoint() {
    let server = common::server().await;
    let r = ask(&server, "GET", "/websocket/echo").await;
    assert_eq!(r.status, 426);
    assert_eq!(r.header("upgrade"), Some("websocket"));
}

#[tokio::test]
async fn image_follows_accept_and_each_kind_is_its_format() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    for (accept, ctype, magic) in [
        (None, "image/png", &b"\x89PNG"[..]),
        (Some("*/*"), "image/png", b"\x89PNG"),
        (Some("image/webp,image/*;q=0.8"), "image/webp", b"RIFF"),
        (Some("image/svg+xml"), "image/svg+xml", b"<svg"),
        (
            Some("image/jpeg, image/png;q=0.5"),
            "image/jpeg",
            b"\xff\xd8\xff",
        ),
    ] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        let r = c.ask("GET", "/image", &headers).await;
        assert_eq!(r.status, 200, "{accept:?}");
        assert_eq!(r.header("content-type"), Some(ctype), "{accept:?}");
        assert!(r.body.starts_with(magic), "{accept:?}");
        assert!(r.headers_named("vary").contains(&"Accept"));
    }
    let r = c.ask("GET", "/image", &[("Accept", "text/html")]).await;
    assert_eq!(r.status, 406);
    assert_eq!(json(&r)["accept"][0], "image/png");
    for (kind, ctype) in [
        ("png", "image/png"),
        ("jpeg", "image/jpeg"),
        ("webp", "image/webp"),
        ("svg", "image/svg+xml"),
    ] {
        let r = c.ask("GET", &format!("/image/{kind}"), &[]).await;
        assert_eq!(r.header("content-type"), Some(ctype), "{kind}");
        assert!(r.body.len() > 500, "{kind}");
    }
    assert_eq!(c.ask("GET", "/image/gif", &[]).await.status, 404);
}

#[tokio::test]
async fn trailers_end_the_chunked_body_or_the_http2_stream() {
    let server = common::server().await;
    let raw = |te: bool| {
        let addr = server.addr();
        async move {
            let mut c = Client::connect(addr).await;
            let te = if te { "TE: trailers\r\n" } else { "" };
            c.send(format!(
                "GET /trailers?Server-Timing=total;dur=1&X-Check=ok HTTP/1.1\r\nHost: t\r\n{te}Connection: close\r\n\r\n"
            ))
            .await;
            String::from_utf8(c.read_to_close().await).unwrap()
        }
    };
    let with = raw(true).await;
    assert!(
        with.contains("Trailer: Server-Timing, X-Check\r\n"),
        "{with}"
    );
    assert!(with.contains("Transfer-Encoding: chunked\r\n"));
    assert!(
        with.ends_with("\r\n0\r\nServer-Timing: total;dur=1\r\nX-Check: ok\r\n\r\n"),
        "{with}"
    );
    let without = raw(false).await;
    assert!(
        without.ends_with("\r\n0\r\n\r\n"),
        "no TE: trailers, no trailers: {without}"
    );

    // HTTP/2: a trailing HEADERS frame.
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(conn);
    let mut client = client.ready().await.unwrap();
    let req = http::Request::get("http://t/trailers?X-Check=ok")
        .body(())
        .unwrap();
    let (resp, _) = client.send_request(req, true).unwrap();
    let mut body = resp.await.unwrap().into_body();
    let mut json_bytes = Vec::new();
    while let Some(d) = body.data().await {
        json_bytes.extend_from_slice(&d.unwrap());
    }
    let trailers = body.trailers().await.unwrap().expect("trailers");
    assert_eq!(trailers["x-check"], "ok");
    let doc: serde_json::Value = serde_json::from_slice(&json_bytes).unwrap();
    assert_eq!(doc["args"]["X-Check"], "ok");

    for bad in [
        "/trailers?Content-Length=1",
        "/trailers?Transfer-Encoding=x",
        "/trailers?Set-Cookie=a",
    ] {
        assert_eq!(ask(&server, "GET", bad).await.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn coded_request_bodies_are_decoded_and_unknown_codings_refused() {
    let server = common::server_with(|c| c.limits.max_body = 1024 * 1024).await;
    let post = |coding: &'static str, ctype: &'static str, body: Vec<u8>| {
        let addr = server.addr();
        async move {
            let mut c = Client::connect(addr).await;
            let mut raw = format!(
                "POST /post HTTP/1.1\r\nHost: t\r\nContent-Encoding: {coding}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            raw.extend_from_slice(&body);
            c.send(raw).await;
            c.response(false).await
        }
    };
    let r = post(
        "gzip",
        "application/json",
        teapot_testkit::gzip(br#"{"tea": "green"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(json(&r)["json"]["tea"], "green");
    assert_eq!(json(&r)["data"], r#"{"tea": "green"}"#);
    // An unknown coding: 415, and what the server takes (RFC 7694).
    let r = post("compress", "text/plain", b"x".to_vec()).await;
    assert_eq!(r.status, 415);
    assert_eq!(r.header("accept-encoding"), Some("gzip, deflate, br, zstd"));
    // Not what it claims: 400.
    assert_eq!(
        post("gzip", "text/plain", b"plain".to_vec()).await.status,
        400
    );
    // A small body that decodes to 20 MiB stops at the body limit: 413.
    let bomb = teapot_testkit::gzip(&vec![0u8; 20 * 1024 * 1024]);
    assert!(bomb.len() < 64 * 1024);
    assert_eq!(
        post("gzip", "application/octet-stream", bomb).await.status,
        413
    );
}

#[tokio::test]
async fn range_comes_in_the_chunks_and_time_asked() {
    let server = common::server().await;
    let (parts, frames) = h2_get(&server, "/range/26?chunk_size=5").await;
    assert_eq!(parts.status, 200);
    let sizes: Vec<usize> = frames.iter().map(|f| f.len()).filter(|n| *n > 0).collect();
    assert_eq!(sizes, [5, 5, 5, 5, 5, 1]);
    assert_eq!(frames.concat(), b"abcdefghijklmnopqrstuvwxyz");
    let started = Instant::now();
    let mut c = Client::connect(server.addr()).await;
    let r = c
        .ask(
            "GET",
            "/range/26?duration=0.3&chunk_size=13",
            &[("Range", "bytes=0-12")],
        )
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, b"abcdefghijklm");
    assert!(started.elapsed() >= Duration::from_millis(120), "paced");
    assert_eq!(
        ask(&server, "GET", "/range/26?duration=60").await.status,
        400
    );
}

/// Unseeded bytes are new at every request: no Last-Modified, no ranges.
/// Seeded ones are the same every time, and served in ranges.
#[tokio::test]
async fn only_stable_bytes_are_offered_in_ranges() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c.ask("GET", "/bytes/10", &[("Range", "bytes=0-3")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 10);
    assert_eq!(r.header("accept-ranges"), None);
    assert_eq!(r.header("last-modified"), None);
    let r = c
        .ask("GET", "/bytes/10?seed=3", &[("Range", "bytes=0-3")])
        .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body.len(), 4);
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert!(r.header("last-modified").is_some());
}
