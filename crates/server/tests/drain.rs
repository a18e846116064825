//! Life behind a load balancer: a draining server tells its health check,
//! moves its clients on, and still serves the connections it is sent; the
//! client named by a trusted proxy.

mod common;

use std::time::{Duration, Instant};

use teapot_server::Config;
use teapot_testkit::Client;
use tokio::net::TcpStream;

#[tokio::test]
async fn a_draining_server_says_so_and_moves_its_clients_on() {
    let server = teapot_server::spawn(Config {
        drain: Duration::from_millis(1500),
        ..Config::default()
    })
    .await
    .unwrap();
    let addr = server.addr();
    // Before the signal: ready; a keep-alive connection, and an HTTP/2 one.
    let mut kept = Client::connect(addr).await;
    let r = kept.ask("GET", "/readyz", &[]).await;
    assert_eq!((r.status, r.header("connection")), (200, None));
    let (h2, conn) = h2::client::handshake(TcpStream::connect(addr).await.unwrap())
        .await
        .unwrap();
    let h2_conn = tokio::spawn(conn);
    let mut h2 = h2.ready().await.unwrap();
    let (resp, _) = h2
        .send_request(http::Request::get("http://t/200").body(()).unwrap(), true)
        .unwrap();
    assert_eq!(resp.await.unwrap().status(), 200);

    let signalled = Instant::now();
    let stopping = tokio::spawn(server.shutdown());
    // New connections are still taken: /readyz says 503 (once the signal
    // is seen), and every answer closes its connection.
    let mut ready = None;
    for _ in 0..100 {
        let r = Client::connect(addr).await.ask("GET", "/readyz", &[]).await;
        if r.status == 503 {
            ready = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = ready.expect("/readyz answers 503 while draining");
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(r.text().contains("draining"), "{}", r.text());
    let mut fresh = Client::connect(addr).await;
    let r = fresh.ask("GET", "/418", &[]).await;
    assert_eq!((r.status, r.header("connection")), (418, Some("close")));
    assert!(fresh.is_closed().await);
    // A connection opened during the drain that takes a moment before its
    // request is served too, not dropped.
    let mut slow = Client::connect(addr).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(slow.ask("GET", "/200", &[]).await.status, 200);
    // The idle keep-alive connection was closed; the HTTP/2 one was told
    // GOAWAY and ended.
    assert!(kept.is_closed().await);
    tokio::time::timeout(Duration::from_secs(5), h2_conn)
        .await
        .expect("the HTTP/2 connection ends after GOAWAY")
        .unwrap()
        .unwrap();
    // After the drain the listener closes.
    stopping.await.unwrap();
    assert!(signalled.elapsed() >= Duration::from_millis(1400));
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn without_a_drain_the_listener_closes_at_once() {
    let server = common::server().await;
    let addr = server.addr();
    // A connection that never sends a request does not hold the stop up.
    let _silent = TcpStream::connect(addr).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), server.shutdown())
        .await
        .expect("stops without waiting for a silent connection");
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_others_cannot() {
    let server = teapot_server::spawn(Config {
        trusted_proxies: vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ],
        ..Config::default()
    })
    .await
    .unwrap();
    let mut c = Client::connect(server.addr()).await;
    let ip = |r: teapot_testkit::Response| -> String {
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        v["origin"].as_str().unwrap().to_string()
    };
    // The nearest untrusted hop is the client; trusted hops are skipped.
    let r = c
        .ask(
            "GET",
            "/ip",
            &[("X-Forwarded-For", "203.0.113.9, 198.51.100.7, 10.1.2.3")],
        )
        .await;
    assert_eq!(ip(r), "198.51.100.7");
    // Forwarded wins over X-Forwarded-For; IPv6 with a port.
    let r = c
        .ask(
            "GET",
            "/ip",
            &[
                ("Forwarded", r#"for="[2001:db8:cafe::17]:4711";proto=https"#),
                ("X-Forwarded-For", "198.51.100.7"),
            ],
        )
        .await;
    assert_eq!(ip(r), "2001:db8:cafe::17");
    // Every hop trusted: the farthest; an unknown nearest hop: the peer.
    let r = c
        .ask("GET", "/ip", &[("X-Forwarded-For", "10.9.9.9, 127.0.0.5")])
        .await;
    assert_eq!(ip(r), "10.9.9.9");
    let r = c.ask("GET", "/ip", &[("Forwarded", "for=unknown")]).await;
    assert_eq!(ip(r), "127.0.0.1");
    // The echo endpoints say the same.
    let r = c
        .ask("GET", "/get", &[("X-Forwarded-For", "192.0.2.1")])
        .await;
    assert_eq!(ip(r), "192.0.2.1");
    server.shutdown().await;

    // A server that trusts no proxy ignores the fields.
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c
        .ask("GET", "/ip", &[("X-Forwarded-For", "192.0.2.1")])
        .await;
    assert_eq!(ip(r), "127.0.0.1");
    server.shutdown().await;
}
