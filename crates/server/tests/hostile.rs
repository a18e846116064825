//! Hostile clients on loopback, in small bounded numbers: each shows that a
//! bound holds and is counted in `/metrics`.

mod common;

use std::time::Duration;

use teapot_testkit::h2::ShutWindow;
use teapot_testkit::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The value of one sample line of `/metrics`.
async fn sample(server: &teapot_server::Running, name: &str) -> f64 {
    let mut c = Client::connect(server.addr()).await;
    c.send("GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await;
    let text = c.response(false).await.text();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// A "rapid reset" flood: streams opened and reset before the server took
/// them. The h2 library ends such a connection (`GOAWAY` with
/// `ENHANCE_YOUR_CALM`); the server counts it, once per connection.
#[tokio::test]
async fn a_reset_flood_ends_the_connection_and_is_counted() {
    let server = common::server().await;
    let name = "teapot_defenses_total{defense=\"h2_reset_flood\"}";
    assert_eq!(sample(&server, name).await, 0.0);
    // Whether a connection is ended for a flood depends on how many resets
    // the server reads before it takes their streams: count those it did.
    let mut floods = 0.0;
    for _ in 0..3 {
        let mut raw = TcpStream::connect(server.addr()).await.unwrap();
        let mut out = Vec::new();
        out.extend_from_slice(teapot_wire::h2c::PREFACE);
        out.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        for i in 0..500u32 {
            let id = (2 * i + 1).to_be_bytes();
            // HEADERS: GET, http, "/", END_STREAM | END_HEADERS.
            out.extend_from_slice(&[0, 0, 3, 1, 5, id[0], id[1], id[2], id[3], 0x82, 0x86, 0x84]);
            // RST_STREAM with CANCEL.
            out.extend_from_slice(&[0, 0, 4, 3, 0, id[0], id[1], id[2], id[3], 0, 0, 0, 8]);
        }
        let _ = raw.write_all(&out).await;
        let mut seen = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut seen)).await;
        // GOAWAY with ENHANCE_YOUR_CALM (0xb), then the close.
        if read.is_ok() && teapot_testkit::h2::goaway_code(&seen) == Some(0xb) {
            floods += 1.0;
        }
    }
    assert!(floods > 0.0, "no connection was ended for its resets");
    // The HTTP/2 library closes a flooded connection before it reports the
    // flood to the server, which counts it then: wait for the last count.
    let mut counted = 0.0;
    for _ in 0..100 {
        counted = sample(&server, name).await;
        if counted == floods {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(counted, floods);
    // And the server serves on.
    let mut c = Client::connect(server.addr()).await;
    c.send(teapot_testkit::get("/418")).await;
    assert_eq!(c.response(false).await.status, 418);
    server.shutdown().await;
}

/// A client that opens no flow-control window and asks for the largest
/// `/bytes` on every stream it may open: the bytes are made only as the
/// window allows, so the server holds none of them and resets none for
/// holding too much; once the window opens, every stream completes.
#[tokio::test]
async fn a_zero_window_holds_no_generated_content() {
    let server = common::server().await;
    let mut client = ShutWindow::connect(server.addr()).await;
    let streams = teapot_wire::h2::MAX_STREAMS as usize;
    let mut bodies = Vec::new();
    for i in 0..streams {
        let path = if i % 2 == 0 {
            "/bytes/102400"
        } else {
            "/range/102400"
        };
        bodies.push(client.get(path).await);
    }
    client.heads(streams).await;
    client.open();
    for b in bodies {
        let n = tokio::time::timeout(Duration::from_secs(20), b)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(n, 102_400);
    }
    let held = "teapot_defenses_total{defense=\"h2_held_bytes\"}";
    assert_eq!(sample(&server, held).await, 0.0);
    server.shutdown().await;
}

async fn idle_http1(server: &teapot_server::Running) -> Client {
    let mut c = Client::connect(server.addr()).await;
    c.send(teapot_testkit::get("/200")).await;
    assert_eq!(c.response(false).await.status, 200);
    c
}

/// Lets the connections held count as idle (the subject here is time
/// itself), then asks a fresh request, which must be answered.
async fn a_newcomer_is_served_once_they_idle(server: &teapot_server::Running) {
    tokio::time::sleep(teapot_wire::idle::EVICTABLE_AFTER + Duration::from_millis(300)).await;
    let mut fresh = Client::connect(server.addr()).await;
    fresh
        .send("GET /418 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(fresh.response(false).await.status, 418);
}

/// At the connection limit, a new client is served: the connection idle
/// longest is closed to make room (and only that one).
#[tokio::test]
async fn at_the_connection_limit_the_oldest_idle_connection_makes_room() {
    let server = common::server_with(|c| c.max_connections = 8).await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(idle_http1(&server).await);
    }
    a_newcomer_is_served_once_they_idle(&server).await;
    // The first connection made was the one closed; the others still
    // serve.
    assert!(held[0].is_closed().await);
    for c in &mut held[1..] {
        c.send(teapot_testkit::get("/204")).await;
        assert_eq!(c.response(false).await.status, 204);
    }
    drop(held);
    let evicted = "teapot_defenses_total{defense=\"idle_evicted\"}";
    assert_eq!(sample(&server, evicted).await, 1.0);
    server.shutdown().await;
}

/// At the limit with no idle connection to close (every one is in the
/// middle of sending a request), a new client is told 503 with
/// `Retry-After` at once, not left waiting.
#[tokio::test]
async fn at_the_connection_limit_with_none_idle_a_new_client_gets_503() {
    let server = common::server_with(|c| c.max_connections = 4).await;
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut c = Client::connect(server.addr()).await;
        c.send("GET /200 HTTP/1.1\r\nHost: t\r\n").await;
        slow.push(c);
    }
    let mut fresh = Client::connect(server.addr()).await;
    fresh.send(teapot_testkit::get("/200")).await;
    let r = tokio::time::timeout(Duration::from_secs(3), fresh.response(false))
        .await
        .expect("an answer, not a wait");
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(r.header("date").is_some());
    assert!(fresh.is_closed().await);
    // The slow ones finish their requests and are answered.
    for c in &mut slow {
        c.send("\r\n").await;
        assert_eq!(c.response(false).await.status, 200);
    }
    drop(slow);
    server.shutdown().await;
}

/// Idle HTTP/2 connections make room the same way: GOAWAY, then closed.
#[tokio::test]
async fn idle_http2_connections_make_room_too() {
    let server = common::server_with(|c| c.max_connections = 2).await;
    let mut h2s = Vec::new();
    for _ in 0..2 {
        let tcp = TcpStream::connect(server.addr()).await.unwrap();
        let (client, connection) = h2::client::handshake(tcp).await.unwrap();
        let done = tokio::spawn(connection);
        let mut ready = client.clone().ready().await.unwrap();
        let req = http::Request::get("http://t/200").body(()).unwrap();
        let (response, _) = ready.send_request(req, true).unwrap();
        assert_eq!(response.await.unwrap().status(), 200);
        h2s.push((client, done));
    }
    a_newcomer_is_served_once_they_idle(&server).await;
    // The older HTTP/2 connection ends (GOAWAY, then closed).
    let (_, first) = h2s.remove(0);
    let ended = tokio::time::timeout(Duration::from_secs(3), first).await;
    assert!(ended.is_ok(), "the idle connection must be closed");
    server.shutdown().await;
}

/// What an idle HTTP/1.1 connection costs is mostly the future of its
/// task, which is as large as the largest state it can be in: the TLS,
/// HTTP/2 and all but the forced-status handlers are boxed, and of those
/// the WebSocket switch, the interim responses and 206, and the h2c
/// switch and the end of a refused head, so that it stays small; nothing
/// in it is kept twice (bench/idle measures the whole: about 4.5 KiB a
/// connection). The future is also copied as the task is spawned and as
/// it ends. Before these, it was 2,552 bytes.
#[tokio::test]
async fn a_plain_connection_carries_a_small_future() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tcp = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let app = teapot_server::App::new(&teapot_server::Config::default(), None).unwrap();
    let config = teapot_wire::Config::default();
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let future = teapot_wire::serve_connection(tcp, None, &app, &config, stopped);
    let size = std::mem::size_of_val(&future);
    assert!(size <= 1750, "a connection's future is {size} bytes");
}
