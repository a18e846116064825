//! `/metrics` moves by exactly the traffic sent.

mod common;

use teapot_testkit::{get, Client};

/// The value of one sample line, e.g. `teapot_requests_total{code="418",kind="forced"}`.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

async fn scrape(server: &teapot_server::Running) -> String {
    let mut c = Client::connect(server.addr()).await;
    c.send("GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await;
    let r = c.response(false).await;
    assert_eq!(
        r.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    r.text()
}

#[tokio::test]
async fn counters_move_by_exactly_the_traffic() {
    let server = common::server().await;
    let before = scrape(&server).await;

    let mut c = Client::connect(server.addr()).await;
    for _ in 0..3 {
        c.send(get("/418")).await;
        c.response(false).await;
    }
    c.send(get("/102?count=2")).await;
    c.exchange(false).await;
    c.send(get("/no/such/thing")).await;
    c.response(false).await;
    drop(c);
    for _ in 0..2 {
        let mut c = Client::connect(server.addr()).await;
        c.send(get("/fault/close")).await;
        c.read_to_close().await;
    }
    let mut c = Client::connect(server.addr()).await;
    c.send("GET / HTTP/3.0\r\nHost: t\r\n\r\n").await;
    c.response(false).await;
    drop(c);
    // Closed connections are counted when their tasks end: scrape until
    // only the scrape itself is open (bounded).
    let mut after = scrape(&server).await;
    for _ in 0..100 {
        if sample(&after, "teapot_open_connections") == 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        after = scrape(&server).await;
    }
    let scrapes = sample(&after, "teapot_requests_total{code=\"200\",kind=\"ops\"}")
        - sample(&before, "teapot_requests_total{code=\"200\",kind=\"ops\"}");
    let delta = |name: &str| sample(&after, name) - sample(&before, name);
    assert_eq!(
        delta("teapot_requests_total{code=\"418\",kind=\"forced\"}"),
        3.0
    );
    assert_eq!(
        delta("teapot_requests_total{code=\"200\",kind=\"forced\"}"),
        1.0
    );
    assert_eq!(
        delta("teapot_requests_total{code=\"404\",kind=\"unknown\"}"),
        1.0
    );
    assert_eq!(
        delta("teapot_requests_total{code=\"none\",kind=\"fault\"}"),
        2.0
    );
    assert_eq!(
        delta("teapot_requests_total{code=\"505\",kind=\"engine\"}"),
        1.0
    );
    assert_eq!(delta("teapot_faults_total{fault=\"close\"}"), 2.0);
    assert_eq!(delta("teapot_interim_responses_total"), 2.0);
    // Four connections of traffic, plus one per scrape after the first;
    // `scrapes` (finished scrapes since `before`) counts exactly those.
    assert_eq!(delta("teapot_connections_total"), 4.0 + scrapes);
    assert_eq!(
        delta("teapot_request_duration_seconds_count{kind=\"forced\"}"),
        4.0
    );
    // Only the scrape in progress is open.
    assert_eq!(sample(&after, "teapot_open_connections"), 1.0);
    assert!(scrapes >= 1.0, "the scrapes before the last are counted");
}

#[tokio::test]
async fn health_and_readiness() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send(get("/readyz")).await;
    let r = c.response(false).await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "{\"status\":\"ready\"}\n")
    );
}

/// Exchanges are counted by the protocol they came in: HTTP/2 streams
/// (prior knowledge, and the stream 1 of an h2c upgrade) and HTTP/1.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchanges_are_counted_by_protocol() {
    let server = common::server().await;
    let before = scrape(&server).await;
    let ask = |http: teapot_check::Http| {
        let request = teapot_check::Request {
            method: "GET".into(),
            url: url::Url::parse(&format!("{}/418", server.base_url())).unwrap(),
            headers: Vec::new(),
            body: bytes::Bytes::new(),
            insecure: false,
            http,
        };
        async move {
            let d = std::time::Duration::from_millis(10);
            teapot_check::client::exchange(&request, std::time::Duration::from_secs(5), d)
                .await
                .unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(ask(teapot_check::Http::Http2Only).await.protocol, "HTTP/2");
    }
    assert_eq!(ask(teapot_check::Http::Http2).await.protocol, "HTTP/2");
    assert_eq!(ask(teapot_check::Http::Http1).await.protocol, "HTTP/1.1");
    let after = scrape(&server).await;
    let delta = |name: &str| sample(&after, name) - sample(&before, name);
    assert_eq!(
        delta("teapot_protocol_requests_total{protocol=\"HTTP/2\"}"),
        4.0
    );
    // One HTTP/1.1 request, the 101 of the upgrade, and the scrape before
    // this one.
    assert_eq!(
        delta("teapot_protocol_requests_total{protocol=\"HTTP/1.1\"}"),
        3.0
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_cut_short_is_a_400_and_no_server_error() {
    let server = common::server().await;
    let before = scrape(&server).await;
    let cut = [
        "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello",
        "POST /anything HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"a\":",
        "PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nabc",
    ];
    for request in cut {
        let mut c = Client::connect(server.addr()).await;
        c.send(request).await;
        c.finish_sending().await;
        let r = c.response(false).await;
        assert_eq!(r.status, 400, "{request:?}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    let after = scrape(&server).await;
    let errors = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("teapot_requests_total{code=\"500\""))
            .count()
    };
    assert_eq!(errors(&before), 0);
    assert_eq!(errors(&after), 0, "{after}");
}
