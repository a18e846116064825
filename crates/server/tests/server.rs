//! The server's own endpoints: health, unknown paths, faults, echo.

mod common;

use teapot_testkit::{get, Client};

#[tokio::test]
async fn healthz_and_unknown_paths() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send(get("/healthz")).await;
    let r = c.response(false).await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "{\"status\":\"ok\"}\n")
    );
    c.send(get("/no/such/thing")).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["instance"], "/no/such/thing");
    c.send("GET /nope HTTP/1.1\r\nHost: t\r\nAccept: text/plain\r\n\r\n")
        .await;
    let r = c.response(false).await;
    assert!(r.text().starts_with("404 Not Found\n"));
    c.send("DELETE /healthz HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
}

#[tokio::test]
async fn fault_kinds() {
    let server = common::server().await;

    let mut c = Client::connect(server.addr()).await;
    c.send(get("/fault/reset")).await;
    let err = loop {
        match c.read_raw().await {
            Ok(0) => panic!("expected a reset"),
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);

    let mut c = Client::connect(server.addr()).await;
    c.send(get("/fault/close")).await;
    assert!(c.read_to_close().await.is_empty());

    let mut c = Client::connect(server.addr()).await;
    c.send(get("/fault/garbage")).await;
    let raw = c.read_to_close().await;
    assert!(!raw.starts_with(b"HTTP/"));
    assert!(!raw.is_empty());

    let mut c = Client::connect(server.addr()).await;
    c.send(get("/fault/truncate")).await;
    let raw = String::from_utf8(c.read_to_close().await).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.contains("Content-Length: 1024"));
    assert_eq!(body.len(), 100);

    let mut c = Client::connect(server.addr()).await;
    c.send(get("/fault/bad-chunk")).await;
    let raw = String::from_utf8(c.read_to_close().await).unwrap();
    assert!(raw.contains("Transfer-Encoding: chunked\r\n"));
    assert!(raw.ends_with("5\r\nhello\r\nzz\r\nbroken\r\n0\r\n\r\n"));

    let mut c = Client::connect(server.addr()).await;
    c.send(get("/fault/slow-body?interval=20")).await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.body.len()), (200, 100));

    let mut c = Client::connect(server.addr()).await;
    c.send(get("/fault/slow-body?interval=5000")).await;
    assert_eq!(c.response(false).await.status, 400);
    c.send(get("/fault/melt")).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 404);
    assert!(r.text().contains("slow-body"));
}

#[tokio::test]
async fn echo_is_httpbin_shaped() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send("PATCH /anything/a/b?x=1&x=2&y=z HTTP/1.1\r\nHost: h.test\r\nContent-Type: application/json\r\nContent-Length: 9\r\nX-Custom: one\r\n\r\n{\"k\":[1]}")
        .await;
    let r = c.response(false).await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["method"], "PATCH");
    assert_eq!(v["args"], serde_json::json!({"x": ["1", "2"], "y": "z"}));
    assert_eq!(v["json"], serde_json::json!({"k": [1]}));
    assert_eq!(v["data"], "{\"k\":[1]}");
    assert_eq!(v["headers"]["X-Custom"], "one");
    assert_eq!(v["origin"], "127.0.0.1");
    assert_eq!(v["url"], "http://h.test/anything/a/b?x=1&x=2&y=z");

    c.send("POST /post HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\na=1&b=two+2").await;
    let v: serde_json::Value = serde_json::from_slice(&c.response(false).await.body).unwrap();
    assert_eq!(v["form"], serde_json::json!({"a": "1", "b": "two 2"}));
    assert!(v.get("method").is_none());

    c.send("POST /put HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
        .await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("PUT")));

    c.send("GET /user-agent HTTP/1.1\r\nHost: h\r\nUser-Agent: teapot-test/1\r\n\r\n")
        .await;
    let v: serde_json::Value = serde_json::from_slice(&c.response(false).await.body).unwrap();
    assert_eq!(v["user-agent"], "teapot-test/1");

    c.send(get("/ip")).await;
    let v: serde_json::Value = serde_json::from_slice(&c.response(false).await.body).unwrap();
    assert_eq!(v["origin"], "127.0.0.1");

    c.send(b"POST /anything HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n\xff\xfe\x00")
        .await;
    let v: serde_json::Value = serde_json::from_slice(&c.response(false).await.body).unwrap();
    assert_eq!(v["data"], "data:application/octet-stream;base64,//4A");
}

#[tokio::test]
async fn graceful_shutdown_lets_a_slow_answer_finish() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    // Two 102s 300 ms apart, then 200: the first says the handler runs.
    c.send(get("/102?count=2&interval=300")).await;
    assert_eq!(c.response(false).await.status, 102);
    let stopping = tokio::spawn(server.shutdown());
    assert_eq!(c.response(false).await.status, 102);
    let r = c.response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("close"));
    stopping.await.unwrap();
}
