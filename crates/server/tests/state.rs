//! Stateful scenarios on the embedded store and on Redis: flaky sequences,
//! rate limits, two instances sharing one state, and Redis down.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use teapot_testkit::{get, Client, Response};

async fn ask(server: &teapot_server::Running, req: &str) -> Response {
    let mut c = Client::connect(server.addr()).await;
    c.send(req).await;
    c.response(false).await
}

async fn flaky_sequence(servers: &[&teapot_server::Running], key: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for i in 0..5 {
        let server = servers[i % servers.len()];
        out.push(
            ask(server, &get(&format!("/flaky/{key}?codes=503,503,200")))
                .await
                .status,
        );
    }
    out
}

#[tokio::test]
async fn flaky_sequences_in_memory() {
    let server = common::server().await;
    assert_eq!(
        flaky_sequence(&[&server], "k1").await,
        [503, 503, 200, 200, 200]
    );
    let r = ask(&server, "DELETE /flaky/k1 HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(r.status, 204);
    let r = ask(&server, &get("/flaky/k1?codes=503,503,200")).await;
    assert_eq!(
        (r.status, r.header("retry-after")),
        (503, Some("1")),
        "a forced 503, with what it carries"
    );
    assert_eq!(
        ask(&server, &get("/flaky/k2")).await.status,
        503,
        "the default sequence starts with 503"
    );
    assert_eq!(
        ask(&server, &get("/flaky/k3?codes=200,abc")).await.status,
        400
    );
    assert_eq!(ask(&server, &get("/flaky/bad%20key")).await.status, 400);
}

#[tokio::test]
async fn rate_limits_in_memory() {
    let server = common::server().await;
    for left in [2, 1, 0] {
        let r = ask(&server, &get("/limit/k?rate=3/m")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("ratelimit-policy"), Some("\"k\";q=3;w=60"));
        assert_eq!(
            r.header("ratelimit"),
            Some(format!("\"k\";r={left};t=0").as_str())
        );
    }
    let r = ask(&server, &get("/limit/k?rate=3/m")).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("20"));
    assert_eq!(r.header("ratelimit"), Some("\"k\";r=0;t=20"));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        ask(&server, &get("/limit/other?rate=3/m")).await.status,
        200,
        "keys are separate"
    );
    assert_eq!(ask(&server, &get("/limit/k?rate=fast")).await.status, 400);
}

/// A Redis server on a free loopback port, stopped when dropped.
struct Redis {
    child: Child,
    url: String,
}

impl Redis {
    fn start() -> Redis {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn two_instances_share_one_redis() {
    let redis = Redis::start();
    let a = common::server_with(|c| c.state = redis.url.clone()).await;
    let b = common::server_with(|c| c.state = redis.url.clone()).await;
    assert_eq!(
        flaky_sequence(&[&a, &b], "shared").await,
        [503, 503, 200, 200, 200]
    );
    let statuses = [
        ask(&a, &get("/limit/shared?rate=2/m")).await.status,
        ask(&b, &get("/limit/shared?rate=2/m")).await.status,
        ask(&a, &get("/limit/shared?rate=2/m")).await.status,
    ];
    assert_eq!(statuses, [200, 200, 429], "one budget for both instances");
    let r = ask(&b, &get("/limit/shared?rate=2/m")).await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("30")));
    assert_eq!(
        ask(&a, "DELETE /flaky/shared HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .status,
        204
    );
    assert_eq!(
        ask(&b, &get("/flaky/shared?codes=418,200")).await.status,
        418,
        "reset for both"
    );
    assert_eq!(ask(&a, &get("/readyz")).await.status, 200);
}

#[tokio::test]
async fn with_redis_down_only_stateful_endpoints_pause() {
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = common::server_with(|c| c.state = format!("redis://127.0.0.1:{dead}/")).await;
    let r = ask(&server, &get("/flaky/k")).await;
    assert_eq!((r.status, r.header("retry-after")), (503, Some("5")));
    assert!(r.text().contains("state store is unavailable"));
    assert_eq!(ask(&server, &get("/limit/k")).await.status, 503);
    assert_eq!(ask(&server, &get("/readyz")).await.status, 503);
    assert_eq!(
        ask(&server, &get("/418")).await.status,
        418,
        "everything else keeps working"
    );
    assert_eq!(ask(&server, &get("/healthz")).await.status, 200);
    let metrics = ask(&server, &get("/metrics")).await.text();
    let errors: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("teapot_state_errors_total "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(errors, 3.0);
}
