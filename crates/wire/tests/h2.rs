//! HTTP/2 through the engine: the same exchange as HTTP/1.1 on h2 streams
//! (cleartext, prior knowledge), its wire rules, faults and limits, with
//! the `h2` crate as the client.

mod common;

use std::future::poll_fn;
use std::time::Duration;

use bytes::Bytes;
use common::TestServer;
use h2::client::SendRequest;
use h2::Reason;
use teapot_testkit::h2::ShutWindow;
use teapot_wire::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An h2 client on a new connection; the connection is driven by a task
/// whose handle tells when it ended.
async fn connect(
    server: &TestServer,
) -> (
    SendRequest<Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    (client, tokio::spawn(connection))
}

fn get(path: &str) -> http::Request<()> {
    http::Request::get(format!("http://test{path}"))
        .body(())
        .unwrap()
}

struct Answer {
    interim: Vec<http::Response<()>>,
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

/// Sends `req` (with `body`, if any) and reads everything back.
async fn ask(
    client: &SendRequest<Bytes>,
    req: http::Request<()>,
    body: Option<&'static [u8]>,
) -> Result<Answer, h2::Error> {
    let mut client = client.clone().ready().await?;
    let (mut response, mut send) = client.send_request(req, body.is_none())?;
    if let Some(body) = body {
        send.send_data(Bytes::from_static(body), true).unwrap();
    }
    let mut interim = Vec::new();
    while let Some(r) = poll_fn(|cx| response.poll_informational(cx)).await {
        match r {
            Ok(r) => interim.push(r),
            Err(e) => return Err(e),
        }
    }
    let response = response.await?;
    let (parts, mut recv) = response.into_parts();
    let mut data = Vec::new();
    while let Some(chunk) = recv.data().await {
        let chunk = chunk?;
        let _ = recv.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    Ok(Answer {
        interim,
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: data,
    })
}

const CONNECTION_SPECIFIC: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

#[tokio::test]
async fn interim_and_final_responses_on_one_stream() {
    let server = TestServer::default().await;
    let (client, _conn) = connect(&server).await;
    let a = ask(&client, get("/interim"), None).await.unwrap();
    let interim: Vec<u16> = a.interim.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(interim, [102, 103]);
    assert_eq!(a.interim[1].headers()["link"], "</style.css>; rel=preload");
    // Interim HEADERS carry no Date; the final one does, with its length.
    assert!(a.interim[0].headers().get("date").is_none());
    assert_eq!(a.status, 200);
    assert!(a.headers.contains_key("date"));
    assert_eq!(a.headers["content-length"], "5");
    assert_eq!(a.body, b"final");
    // The same connection answers again, streams in parallel.
    let (x, y) = tokio::join!(
        ask(&client, get("/status/418"), None),
        ask(&client, get("/stream"), None)
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!((x.status, x.body.as_slice()), (418, &b"content"[..]));
    assert_eq!(y.body, b"one two three");
    assert!(y.headers.get("content-length").is_none());
    server.join().await;
}

#[tokio::test]
async fn wire_rules_hold_on_http2() {
    let server = TestServer::default().await;
    let (client, _conn) = connect(&server).await;
    for code in [204, 304] {
        let a = ask(&client, get(&format!("/status/{code}")), None)
            .await
            .unwrap();
        assert_eq!(a.status, code);
        assert!(a.body.is_empty() && a.headers.get("content-length").is_none());
    }
    let a = ask(&client, get("/status/205"), None).await.unwrap();
    assert_eq!(
        (a.headers["content-length"].to_str().unwrap(), a.body.len()),
        ("0", 0)
    );
    let head = http::Request::head("http://test/status/200")
        .body(())
        .unwrap();
    let a = ask(&client, head, None).await.unwrap();
    assert_eq!(a.headers["content-length"], "7");
    assert!(a.body.is_empty());
    // A handler's Upgrade and Connection never reach HTTP/2; nor does a
    // switch, which fails there.
    let a = ask(&client, get("/switch"), None).await.unwrap();
    assert_eq!(a.status, 426);
    for name in CONNECTION_SPECIFIC {
        assert!(a.headers.get(name).is_none(), "{name}");
    }
    // A field that would inject a header is refused as on HTTP/1.1.
    let a = ask(&client, get("/bad-header"), None).await.unwrap();
    assert_eq!(a.status, 500);
    // A 1xx cannot be final: the engine answers 500.
    let a = ask(&client, get("/status/103"), None).await.unwrap();
    assert_eq!(a.status, 500);
    // A handler that answers nothing, or panics: 500, and the connection
    // goes on.
    for path in ["/nothing", "/panic"] {
        let a = ask(&client, get(path), None).await.unwrap();
        assert_eq!(a.status, 500, "{path}");
    }
    assert_eq!(
        ask(&client, get("/status/200"), None).await.unwrap().status,
        200
    );
    server.join().await;
}

#[tokio::test]
async fn bodies_in_and_expect_continue() {
    let server = TestServer::default().await;
    let (client, _conn) = connect(&server).await;
    let post = |path: &str| {
        http::Request::post(format!("http://test{path}"))
            .header("content-type", "text/plain")
            .body(())
            .unwrap()
    };
    let a = ask(&client, post("/echo"), Some(b"hello over h2"))
        .await
        .unwrap();
    assert_eq!(a.body, b"hello over h2");
    // Expect: 100-continue gets its 100 as a HEADERS frame before the body
    // is read.
    let req = http::Request::post("http://test/echo")
        .header("expect", "100-continue")
        .body(())
        .unwrap();
    let a = ask(&client, req, Some(b"after continue")).await.unwrap();
    let interim: Vec<u16> = a.interim.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(interim, [100]);
    assert_eq!(a.body, b"after continue");
    // HTTP/2 bodies are framed by the protocol: nothing needs a length.
    let a = ask(&client, post("/sized"), Some(b"framed")).await.unwrap();
    assert_eq!((a.status, a.body.as_slice()), (200, &b"framed"[..]));
    server.join().await;
}

#[tokio::test]
async fn faults_become_stream_resets_and_goaway() {
    let server = TestServer::default().await;
    let (client, conn) = connect(&server).await;
    let reset = |r: Result<Answer, h2::Error>| r.err().and_then(|e| e.reason());
    assert_eq!(
        reset(ask(&client, get("/reset"), None).await),
        Some(Reason::INTERNAL_ERROR)
    );
    // A fixed-length response that stops short is reset, not left hanging.
    assert_eq!(
        reset(ask(&client, get("/short"), None).await),
        Some(Reason::INTERNAL_ERROR)
    );
    // A stream reset leaves the connection alone.
    assert_eq!(
        ask(&client, get("/status/200"), None).await.unwrap().status,
        200
    );
    // close ends the connection with GOAWAY.
    assert!(ask(&client, get("/close"), None).await.is_err());
    let ended = tokio::time::timeout(Duration::from_secs(2), conn).await;
    assert!(ended.is_ok(), "the connection must end after GOAWAY");
    // Raw bytes cannot be framed: GOAWAY with PROTOCOL_ERROR.
    let (client, conn) = connect(&server).await;
    let _ = ask(&client, get("/raw"), None).await;
    let ended = tokio::time::timeout(Duration::from_secs(2), conn)
        .await
        .unwrap()
        .unwrap();
    let err = ended.expect_err("a connection error");
    assert_eq!(err.reason(), Some(Reason::PROTOCOL_ERROR));
    server.join().await;
}

#[tokio::test]
async fn limits_hold_on_http2() {
    let limits = Limits {
        max_uri: 256,
        max_body: 1000,
        request_timeout: Duration::from_millis(300),
        keep_alive_timeout: Duration::from_millis(400),
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    let (client, conn) = connect(&server).await;
    // Target and header limits come from the same parser as HTTP/1.1.
    let long = format!("/{}", "a".repeat(300));
    assert_eq!(ask(&client, get(&long), None).await.unwrap().status, 414);
    let mut many = http::Request::get("http://test/status/200");
    for i in 0..150 {
        many = many.header(format!("x-field-{i}"), "v");
    }
    assert_eq!(
        ask(&client, many.body(()).unwrap(), None)
            .await
            .unwrap()
            .status,
        431
    );
    // A header list over max_header_bytes (16 KiB by default) gets the
    // engine's 431, with Date and problem details, as on HTTP/1.1.
    let big = |n: usize| {
        http::Request::get("http://test/status/200")
            .header("x-big", "b".repeat(n))
            .body(())
            .unwrap()
    };
    let a = ask(&client, big(17_000), None).await.unwrap();
    assert_eq!(a.status, 431);
    assert!(a.headers.contains_key("date"));
    assert_eq!(a.headers["content-type"], "application/problem+json");
    // Far over it, past SETTINGS_MAX_HEADER_LIST_SIZE, the h2 crate
    // refuses the list itself: still 431.
    assert_eq!(ask(&client, big(40_000), None).await.unwrap().status, 431);
    // A body over the limit: declared, or only found out while reading.
    let declared = http::Request::post("http://test/echo")
        .header("content-length", "5000")
        .body(())
        .unwrap();
    assert_eq!(
        ask(&client, declared, Some(&[b'x'; 5000]))
            .await
            .unwrap()
            .status,
        413
    );
    let undeclared = http::Request::post("http://test/echo").body(()).unwrap();
    assert_eq!(
        ask(&client, undeclared, Some(&[b'x'; 5000]))
            .await
            .unwrap()
            .status,
        413
    );
    // A body that does not come in time: 408 for that stream.
    let mut ready = client.clone().ready().await.unwrap();
    let (response, _send) = ready
        .send_request(
            http::Request::post("http://test/echo").body(()).unwrap(),
            false,
        )
        .unwrap();
    let r = tokio::time::timeout(Duration::from_secs(2), response)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status(), 408);
    // A 408 means the server is ending the connection: on HTTP/2, GOAWAY
    // and the close once its streams are done.
    let ended = tokio::time::timeout(Duration::from_secs(2), conn).await;
    assert!(ended.is_ok(), "the connection must end after a 408");
    // Idle past the keep-alive timeout: GOAWAY, then the close.
    let (client, conn) = connect(&server).await;
    assert_eq!(
        ask(&client, get("/status/200"), None).await.unwrap().status,
        200
    );
    let ended = tokio::time::timeout(Duration::from_secs(3), conn).await;
    assert!(ended.is_ok(), "an idle connection must be closed");
    server.join().await;
}

#[tokio::test]
async fn settings_bound_the_connection() {
    let server = TestServer::default().await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (client, mut connection) = h2::client::handshake(tcp).await.unwrap();
    // Let the server's SETTINGS arrive.
    let a = tokio::select! {
        a = ask(&client, get("/status/200"), None) => a.unwrap(),
        _ = &mut connection => panic!("the connection ended"),
    };
    assert_eq!(a.status, 200);
    assert_eq!(
        connection.max_concurrent_send_streams(),
        teapot_wire::h2::MAX_STREAMS as usize
    );
    server.join().await;
}

#[tokio::test]
async fn a_broken_preface_or_frame_ends_only_that_connection() {
    let server = TestServer::start(Limits {
        request_timeout: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    // The preface, then bytes that are not a frame the server can take.
    let mut raw = TcpStream::connect(server.addr).await.unwrap();
    raw.write_all(teapot_wire::h2c::PREFACE).await.unwrap();
    raw.write_all(b"\x00\x00\x04\x07\x00\x00\x00\x00\x01garbage that is no frame")
        .await
        .unwrap();
    let mut seen = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), raw.read_to_end(&mut seen)).await;
    assert!(read.is_ok(), "the server must close the connection");
    // A GOAWAY frame (type 7) went out before the close.
    assert!(
        seen.windows(4).any(|w| w[3] == 0x7 && w[0] == 0),
        "no GOAWAY in {seen:?}"
    );
    // Half a preface, then silence: the request timeout ends it.
    let mut raw = TcpStream::connect(server.addr).await.unwrap();
    raw.write_all(&teapot_wire::h2c::PREFACE[..10])
        .await
        .unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), raw.read_to_end(&mut rest)).await;
    assert!(read.is_ok());
    // Others are served all along.
    let (client, _conn) = connect(&server).await;
    assert_eq!(
        ask(&client, get("/status/200"), None).await.unwrap().status,
        200
    );
    server.join().await;
}

/// A connection whose first line is the preface's (`PRI * HTTP/2.0`) but
/// whose rest is not is an HTTP/2 client with a broken preface: it gets
/// SETTINGS and `GOAWAY(PROTOCOL_ERROR)`, never an HTTP/1.1 505.
#[tokio::test]
async fn a_preface_broken_after_its_first_line_gets_goaway() {
    let server = TestServer::default().await;
    for rest in [
        &b"\r\nXX\r\n\r\n"[..],
        b"Host: a\r\n\r\n",
        b"\r\nSM\r\n\r\x00",
    ] {
        let mut raw = TcpStream::connect(server.addr).await.unwrap();
        raw.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
        raw.write_all(rest).await.unwrap();
        let mut seen = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(2), raw.read_to_end(&mut seen)).await;
        assert!(read.is_ok(), "the server must close the connection");
        assert!(
            !seen.starts_with(b"HTTP/1.1"),
            "{:?}",
            String::from_utf8_lossy(&seen)
        );
        // SETTINGS (type 4) on stream 0, then GOAWAY (type 7) with last
        // stream 0 and PROTOCOL_ERROR (1).
        assert_eq!(&seen[..9], &[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        assert_eq!(&seen[9..18], &[0, 0, 8, 7, 0, 0, 0, 0, 0]);
        assert_eq!(&seen[18..26], &[0, 0, 0, 0, 0, 0, 0, 1]);
    }
    // A request line with another version is still HTTP/1.1's to answer.
    let mut raw = TcpStream::connect(server.addr).await.unwrap();
    raw.write_all(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), raw.read_to_end(&mut seen)).await;
    assert!(
        seen.starts_with(b"HTTP/1.1 505 "),
        "{:?}",
        String::from_utf8_lossy(&seen)
    );
    server.join().await;
}

/// `Upgrade: h2c` (RFC 7540 §3.2): a complete offer gets 101 and then the
/// server's SETTINGS; an incomplete one, or one with a body, is declined
/// and answered over HTTP/1.1, as a server may always decline.
#[tokio::test]
async fn h2c_upgrade_is_taken_only_when_complete() {
    let server = TestServer::default().await;
    let offer = |extra: &str| format!("GET /status/200 HTTP/1.1\r\nHost: t\r\n{extra}\r\n");
    let complete = "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n";
    let mut raw = TcpStream::connect(server.addr).await.unwrap();
    raw.write_all(offer(complete).as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = raw.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nUpgrade: h2c\r\n"), "{head}");
    // The client's preface and SETTINGS; the server answers with frames.
    raw.write_all(teapot_wire::h2c::PREFACE).await.unwrap();
    raw.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap();
    let mut frames = Vec::new();
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            let n = raw.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            frames.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    // The 101 came alone (its head ends the first read), so what follows
    // is frames. A HEADERS frame (type 1) on stream 1 answers the upgraded
    // request.
    assert!(head.ends_with("\r\n\r\n"), "{head}");
    let after_101 = &frames[..];
    let mut found = false;
    let mut i = 0;
    while i + 9 <= after_101.len() {
        let len = (usize::from(after_101[i]) << 16)
            | (usize::from(after_101[i + 1]) << 8)
            | usize::from(after_101[i + 2]);
        let stream = u32::from_be_bytes([
            after_101[i + 5],
            after_101[i + 6],
            after_101[i + 7],
            after_101[i + 8],
        ]);
        if after_101[i + 3] == 1 && stream == 1 {
            found = true;
        }
        i += 9 + len;
    }
    assert!(found, "no HEADERS on stream 1 in {after_101:?}");
    for declined in [
        // No HTTP2-Settings.
        "Connection: Upgrade\r\nUpgrade: h2c\r\n",
        // HTTP2-Settings not listed in Connection.
        "Connection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n",
        // Not base64url.
        "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: *\r\n",
        // A body comes with it.
        "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 2\r\n\r\nhi",
    ] {
        let mut raw = TcpStream::connect(server.addr).await.unwrap();
        let request = if declined.ends_with("hi") {
            format!("POST /echo HTTP/1.1\r\nHost: t\r\n{declined}")
        } else {
            offer(declined)
        };
        raw.write_all(request.as_bytes()).await.unwrap();
        let n = raw.read(&mut buf).await.unwrap();
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{declined:?}: {head}");
    }
    server.join().await;
}

/// A client that opens no flow-control window does not hold a response
/// forever: after the keep-alive timeout the stream is reset.
#[tokio::test]
async fn a_reader_that_stalls_is_reset() {
    let server = TestServer::start(Limits {
        keep_alive_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (client, connection) = h2::client::Builder::new()
        .initial_window_size(1)
        .handshake::<_, Bytes>(tcp)
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    let (response, _) = client.send_request(get("/stream"), true).unwrap();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    // One byte fits the window; nothing is released, so nothing more can
    // come, until the server gives up.
    let first = body.data().await.unwrap().unwrap();
    assert_eq!(first.len(), 1);
    let next = tokio::time::timeout(Duration::from_secs(3), body.data())
        .await
        .expect("the server must give up");
    let err = next.unwrap().expect_err("a reset");
    assert_eq!(err.reason(), Some(Reason::CANCEL));
    server.join().await;
}

/// A client that opens no window: bodies made ahead of the window count
/// against the connection's `MAX_HELD`, and streams past it are reset
/// (`ENHANCE_YOUR_CALM`) rather than held; bodies made as the window
/// allows (`Exchange::ready`) hold nothing, so none is reset. Once the
/// window opens, every stream not reset completes.
#[tokio::test]
async fn content_waiting_for_a_window_is_bounded() {
    let server = TestServer::default().await;
    for (path, max_resets, min_resets) in [
        (
            "/big",
            40,
            40 - (teapot_wire::h2::MAX_HELD / common::BIG + 1),
        ),
        ("/made", 0, 0),
    ] {
        let mut client = ShutWindow::connect(server.addr).await;
        let mut bodies = Vec::new();
        for _ in 0..40 {
            bodies.push(client.get(path).await);
        }
        // Every head is out: each handler has held its content, been reset,
        // or is waiting to make more.
        client.heads(40).await;
        client.open();
        let (mut resets, mut whole) = (0, 0);
        for b in bodies {
            match tokio::time::timeout(Duration::from_secs(10), b)
                .await
                .unwrap()
                .unwrap()
            {
                Ok(n) => {
                    assert_eq!(n, common::BIG, "{path}");
                    whole += 1;
                }
                Err(e) => {
                    assert_eq!(e.reason(), Some(Reason::ENHANCE_YOUR_CALM), "{path}");
                    resets += 1;
                }
            }
        }
        assert!(
            (min_resets..=max_resets).contains(&resets),
            "{path}: {resets} resets, {whole} whole"
        );
        assert!(whole >= 1, "{path}");
    }
    server.join().await;
}

/// A peer sent GOAWAY that never answers the PING of a graceful shutdown
/// (nor closes) is closed all the same, soon after.
#[tokio::test]
async fn a_peer_that_ignores_goaway_is_closed() {
    let server = TestServer::start(Limits {
        keep_alive_timeout: Duration::from_millis(200),
        request_timeout: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    let mut raw = TcpStream::connect(server.addr).await.unwrap();
    raw.write_all(teapot_wire::h2c::PREFACE).await.unwrap();
    raw.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap();
    // Read everything and answer nothing.
    let mut seen = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut seen)).await;
    assert!(read.is_ok(), "the connection must be closed");
    let types: Vec<u8> = teapot_testkit::h2::frames(&seen)
        .iter()
        .map(|f| f.0)
        .collect();
    assert!(types.contains(&7), "GOAWAY in {types:?}");
    assert!(types.contains(&6), "PING in {types:?}");
    server.join().await;
}

/// Streams the client resets while their handlers still wait are still
/// work; past `MAX_ANSWERING` per connection new streams are refused
/// (`REFUSED_STREAM`) instead of piling up, and once the waiting handlers
/// end the connection serves again.
#[tokio::test]
async fn reset_streams_cannot_pile_up_work() {
    let server = TestServer::default().await;
    let (client, _conn) = connect(&server).await;
    let mut ready = client.clone().ready().await.unwrap();
    for i in 0..teapot_wire::h2::MAX_ANSWERING + 20 {
        ready = ready.ready().await.unwrap();
        let (mut response, _) = ready.send_request(get("/hold"), true).unwrap();
        // Accepted and being answered by the server (its 102 is here),
        // then reset by the client. (Resets of streams not yet accepted
        // are the h2 crate's to bound: it ends such a connection with
        // ENHANCE_YOUR_CALM.)
        let started = poll_fn(|cx| response.poll_informational(cx)).await;
        if i < teapot_wire::h2::MAX_ANSWERING {
            assert!(matches!(started, Some(Ok(_))), "{i}: {started:?}");
        } else {
            // Past the bound, the server refuses the stream.
            let refused = started.and_then(|r| r.err()).and_then(|e| e.reason());
            assert_eq!(refused, Some(Reason::REFUSED_STREAM), "{i}");
        }
        drop(response);
    }
    let refused = ask(&client, get("/status/200"), None).await;
    assert_eq!(
        refused.err().and_then(|e| e.reason()),
        Some(Reason::REFUSED_STREAM)
    );
    // The reset streams' handlers end when their holds do (2 s); then the
    // connection serves again. Asked until it does, within a bound.
    let mut served = None;
    for _ in 0..60 {
        match ask(&client, get("/status/200"), None).await {
            Ok(r) => {
                served = Some(r.status);
                break;
            }
            Err(e) => {
                assert_eq!(e.reason(), Some(Reason::REFUSED_STREAM));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert_eq!(served, Some(200));
    server.join().await;
}

/// When the server stops, an HTTP/2 connection gets GOAWAY: the stream in
/// flight is answered, then the connection closes.
#[tokio::test]
async fn shutdown_lets_streams_in_flight_finish() {
    let server = TestServer::default().await;
    let (client, conn) = connect(&server).await;
    let mut ready = client.clone().ready().await.unwrap();
    let (mut response, _) = ready.send_request(get("/slow-started"), true).unwrap();
    // The 102 says the handler runs: stop the server mid-exchange.
    let started = poll_fn(|cx| response.poll_informational(cx)).await;
    assert_eq!(started.unwrap().unwrap().status(), 102);
    server.stop();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let mut got = Vec::new();
    while let Some(chunk) = body.data().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, b"slow");
    let ended = tokio::time::timeout(Duration::from_secs(2), conn).await;
    assert!(ended.is_ok(), "the connection must close after GOAWAY");
    // No new stream is taken after GOAWAY.
    assert!(ask(&client, get("/status/200"), None).await.is_err());
    server.join().await;
}

/// Random requests (methods, targets, fields with any byte HTTP/2 allows
/// in a value) each get an HTTP answer over the same connection, which
/// keeps working: whatever the adapter writes out for the parser, it never
/// breaks the stream or the connection.
#[test]
fn random_requests_each_get_an_answer() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (server, client) = rt.block_on(async {
        let server = TestServer::default().await;
        let (client, conn) = connect(&server).await;
        drop(conn);
        (server, client)
    });
    let method = prop_oneof![
        Just("GET".to_string()),
        Just("POST".to_string()),
        Just("HEAD".to_string()),
        Just("DELETE".to_string()),
        "[A-Z]{1,12}",
    ];
    let path = "/[a-zA-Z0-9._~!$&'()*+,;=:@/-]{0,300}(\\?[a-zA-Z0-9=&_.-]{0,60})?";
    let name = "[a-z][a-z0-9-]{0,24}".prop_filter("not framed by the protocol", |n| {
        !matches!(
            n.as_str(),
            "connection"
                | "keep-alive"
                | "proxy-connection"
                | "transfer-encoding"
                | "upgrade"
                | "te"
                | "content-length"
                | "host"
                | "expect"
        )
    });
    let value = proptest::collection::vec(
        prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff],
        0..120,
    );
    let fields = proptest::collection::vec((name, value), 0..24);
    let mut runner = TestRunner::new(Config {
        cases: 128,
        ..Config::default()
    });
    runner
        .run(&(method, path, fields), |(method, path, fields)| {
            let mut req = http::Request::builder()
                .method(method.as_str())
                .uri(format!("http://test{path}"));
            for (n, v) in &fields {
                req = req.header(n.as_str(), http::HeaderValue::from_bytes(v).unwrap());
            }
            let Ok(req) = req.body(()) else {
                return Ok(()); // not a request the client can build
            };
            rt.block_on(async {
                let a = ask(&client, req, None).await;
                let a = a.map_err(|e| TestCaseError::fail(format!("{method} {path}: {e}")))?;
                prop_assert!(
                    (200..600).contains(&a.status),
                    "{method} {path}: {}",
                    a.status
                );
                let again = ask(&client, get("/status/200"), None).await.unwrap();
                prop_assert_eq!(again.status, 200);
                Ok(())
            })
        })
        .unwrap();
    rt.block_on(server.join());
}
