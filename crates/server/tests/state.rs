//! Stateful scenarios on the embedded store and on Redis: flaky sequences,
//! rate limits, two instances sharing one state, and Redis down.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use teapot_testkit::redis::{Redis, RedisCluster};
use teapot_testkit::{get, Client, Response};

async fn ask(server: &teapot_server::Running, req: &str) -> Response {
    Client::once(server.addr(), req).await
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

#[tokio::test]
async fn two_instances_share_one_redis() {
    let redis = Redis::start();
    let a = common::server_with(|c| c.state = redis.url()).await;
    let b = common::server_with(|c| c.state = redis.url()).await;
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

fn send(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut s = format!("{method} {path} HTTP/1.1\r\nHost: t\r\n");
    for (n, v) in headers {
        s.push_str(&format!("{n}: {v}\r\n"));
    }
    s.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

async fn item_lifecycle(a: &teapot_server::Running, b: &teapot_server::Running) {
    let r = ask(
        a,
        &send(
            "POST",
            "/items",
            &[JSON],
            r#"{"id":"pot","name":"teapot","quantity":1}"#,
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.header("location"), r.header("etag")),
        (201, Some("/items/pot"), Some("\"pot-v1\""))
    );
    let r = ask(
        b,
        &send("POST", "/items", &[JSON], r#"{"id":"pot","name":"again"}"#),
    )
    .await;
    assert_eq!(r.status, 409, "the id exists, whichever instance is asked");
    let r = ask(b, &get("/items/pot")).await;
    assert_eq!((r.status, r.header("etag")), (200, Some("\"pot-v1\"")));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["name"],
        "teapot"
    );
    let r = ask(
        a,
        &send("GET", "/items/pot", &[("If-None-Match", "\"pot-v1\"")], ""),
    )
    .await;
    assert_eq!(r.status, 304);
    let r = ask(
        a,
        &send("PUT", "/items/pot", &[JSON], r#"{"name":"kettle"}"#),
    )
    .await;
    assert_eq!(r.status, 428);
    let r = ask(
        a,
        &send(
            "PUT",
            "/items/pot",
            &[JSON, ("If-Match", "\"pot-v0\"")],
            r#"{"name":"kettle"}"#,
        ),
    )
    .await;
    assert_eq!((r.status, r.header("etag")), (412, Some("\"pot-v1\"")));
    let r = ask(
        a,
        &send(
            "PUT",
            "/items/pot",
            &[("Content-Type", "text/plain"), ("If-Match", "\"pot-v1\"")],
            "kettle",
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.header("accept-post")),
        (415, Some("application/json"))
    );
    let r = ask(
        a,
        &send(
            "PUT",
            "/items/pot",
            &[JSON, ("If-Match", "\"pot-v1\"")],
            "{not json",
        ),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = ask(
        a,
        &send(
            "PUT",
            "/items/pot",
            &[JSON, ("If-Match", "\"pot-v1\"")],
            r#"{"name":"","quantity":-2}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 422);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "quantity"]);
    let r = ask(
        b,
        &send(
            "PUT",
            "/items/pot",
            &[JSON, ("If-Match", "\"pot-v1\"")],
            r#"{"name":"kettle"}"#,
        ),
    )
    .await;
    assert_eq!((r.status, r.header("etag")), (200, Some("\"pot-v2\"")));
    let r = ask(
        a,
        &send(
            "PATCH",
            "/items/pot",
            &[
                ("Content-Type", "application/merge-patch+json"),
                ("If-Match", "\"pot-v2\""),
            ],
            r#"{"quantity":3}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (v["name"].as_str(), v["quantity"].as_u64()),
        (Some("kettle"), Some(3))
    );

    let r = ask(a, &send("LOCK", "/items/pot", &[], "")).await;
    assert_eq!(r.status, 200);
    let token = r
        .header("lock-token")
        .unwrap()
        .trim_matches(['<', '>'])
        .to_string();
    let r = ask(
        b,
        &send(
            "PUT",
            "/items/pot",
            &[JSON, ("If-Match", "\"pot-v3\"")],
            r#"{"name":"x"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 423);
    let held = format!("(<{token}>)");
    let r = ask(
        b,
        &send(
            "PUT",
            "/items/pot",
            &[JSON, ("If-Match", "\"pot-v3\""), ("If", &held)],
            r#"{"name":"x"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    let lock_token = format!("<{token}>");
    assert_eq!(
        ask(
            a,
            &send("UNLOCK", "/items/pot", &[("Lock-Token", &lock_token)], "")
        )
        .await
        .status,
        204
    );

    assert_eq!(
        ask(b, &send("DELETE", "/items/pot", &[], "")).await.status,
        204
    );
    assert_eq!(ask(a, &get("/items/pot")).await.status, 410);
    assert_eq!(ask(a, &get("/items/never")).await.status, 404);
    let r = ask(
        a,
        &send(
            "PUT",
            "/items/pot",
            &[JSON, ("If-None-Match", "*")],
            r#"{"name":"new pot"}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "PUT with If-None-Match: * creates");
    let r = ask(a, &send("POST", "/items", &[JSON], r#"{"name":"no id"}"#)).await;
    assert_eq!(r.status, 201);
    assert!(r.header("location").unwrap().starts_with("/items/"));
}

#[tokio::test]
async fn items_in_memory() {
    let server = common::server().await;
    item_lifecycle(&server, &server).await;
}

#[tokio::test]
async fn items_shared_through_redis() {
    let redis = Redis::start();
    let a = common::server_with(|c| c.state = redis.url()).await;
    let b = common::server_with(|c| c.state = redis.url()).await;
    item_lifecycle(&a, &b).await;
}

#[tokio::test]
async fn jobs_accept_then_redirect_to_the_result() {
    let server = common::server().await;
    let r = ask(&server, &send("POST", "/jobs?seconds=1", &[], "")).await;
    assert_eq!(r.status, 202);
    let monitor = r.header("location").unwrap().to_string();
    assert!(monitor.starts_with("/jobs/"));
    let r = ask(&server, &get(&monitor)).await;
    assert_eq!((r.status, r.header("retry-after")), (200, Some("1")));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["status"],
        "running"
    );
    let result = format!("{monitor}/result");
    assert_eq!(
        ask(&server, &get(&result)).await.status,
        404,
        "not done yet"
    );
    // The job takes a second: the monitor is asked until it says done
    // (bounded), not after a guess of time.
    let mut r = ask(&server, &get(&monitor)).await;
    for _ in 0..50 {
        if r.status != 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        r = ask(&server, &get(&monitor)).await;
    }
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some(result.as_str()))
    );
    let r = ask(&server, &get(&result)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["status"],
        "done"
    );
    assert_eq!(ask(&server, &get("/jobs/nope")).await.status, 404);
    assert_eq!(
        ask(&server, &send("POST", "/jobs?seconds=999", &[], ""))
            .await
            .status,
        400
    );
    assert_eq!(ask(&server, &get("/jobs")).await.status, 405);
}

#[tokio::test]
async fn jobs_through_redis() {
    let redis = Redis::start();
    let a = common::server_with(|c| c.state = redis.url()).await;
    let b = common::server_with(|c| c.state = redis.url()).await;
    let r = ask(&a, &send("POST", "/jobs?seconds=0", &[], "")).await;
    assert_eq!(r.status, 202);
    let monitor = r.header("location").unwrap().to_string();
    let r = ask(&b, &get(&monitor)).await;
    assert_eq!(r.status, 303, "the other instance knows the job");
    assert_eq!(
        ask(&b, &get(r.header("location").unwrap())).await.status,
        200
    );
}

#[tokio::test]
async fn redis_stopping_and_coming_back() {
    let mut redis = Redis::start();
    let server = common::server_with(|c| c.state = redis.url()).await;
    assert_eq!(
        ask(&server, &get("/flaky/r?codes=201,202")).await.status,
        201
    );
    redis.stop();
    let r = ask(&server, &get("/flaky/r?codes=201,202")).await;
    assert_eq!((r.status, r.header("retry-after")), (503, Some("5")));
    assert_eq!(ask(&server, &get("/readyz")).await.status, 503);
    assert_eq!(
        ask(&server, &get("/204")).await.status,
        204,
        "the rest keeps working"
    );
    redis.restart();
    // The connection manager reconnects by itself; give it a few tries.
    let mut status = 0;
    for _ in 0..50 {
        status = ask(&server, &get("/readyz")).await.status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "ready again once Redis is back");
    // A fresh Redis (no persistence) starts the sequence over.
    assert_eq!(
        ask(&server, &get("/flaky/r?codes=201,202")).await.status,
        201
    );
}

#[tokio::test]
async fn a_redis_namespace_is_bounded() {
    use teapot_server::state::{Store, StoreError};
    let redis = Redis::start();
    let store = Store::open_capped(&redis.url(), Duration::from_secs(60), 3).unwrap();
    for key in ["a", "b", "c"] {
        assert_eq!(store.next(key).await.unwrap(), 1);
    }
    assert!(matches!(store.next("d").await, Err(StoreError::Full)));
    assert_eq!(
        store.next("a").await.unwrap(),
        2,
        "existing keys still count"
    );
    for key in ["r1", "r2", "r3"] {
        assert!(store.replace(key, None, 1, "{}").await.unwrap());
    }
    assert!(matches!(
        store.replace("r4", None, 1, "{}").await,
        Err(StoreError::Full)
    ));
    for key in ["l1", "l2", "l3"] {
        assert!(
            store
                .take(key, 5, Duration::from_secs(60))
                .await
                .unwrap()
                .allowed
        );
    }
    assert!(matches!(
        store.take("l4", 5, Duration::from_secs(60)).await,
        Err(StoreError::Full)
    ));
    // Expired keys make room again.
    let fresh = Redis::start();
    let short = Store::open_capped(&fresh.url(), Duration::from_millis(50), 1).unwrap();
    assert_eq!(short.next("x").await.unwrap(), 1);
    assert!(matches!(short.next("y").await, Err(StoreError::Full)));
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(short.next("y").await.unwrap(), 1);
}

#[tokio::test]
async fn an_oversized_item_is_413() {
    let server = common::server().await;
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(9000));
    let r = ask(&server, &send("POST", "/items", &[JSON], &big)).await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn two_instances_share_a_redis_cluster() {
    let cluster = RedisCluster::start();
    let a = common::server_with(|c| c.state = cluster.url()).await;
    let b = common::server_with(|c| c.state = cluster.url()).await;
    assert_eq!(ask(&a, &get("/readyz")).await.status, 200);
    assert_eq!(
        flaky_sequence(&[&a, &b], "cluster").await,
        [503, 503, 200, 200, 200]
    );
    let statuses = [
        ask(&a, &get("/limit/cluster?rate=2/m")).await.status,
        ask(&b, &get("/limit/cluster?rate=2/m")).await.status,
        ask(&a, &get("/limit/cluster?rate=2/m")).await.status,
    ];
    assert_eq!(statuses, [200, 200, 429], "one budget for both instances");
    item_lifecycle(&a, &b).await;
    let r = ask(&a, &send("POST", "/jobs?seconds=0", &[], "")).await;
    assert_eq!(r.status, 202);
    let r = ask(&b, &get(r.header("location").unwrap())).await;
    assert_eq!(r.status, 303, "the other instance knows the job");
    // A WebDAV tree made through one is read and locked through the other.
    let r = ask(
        &a,
        &dav_request("PUT", "/dav/cl/docs/c.txt", &[], "on a cluster"),
    )
    .await;
    assert_eq!(r.status, 201);
    let r = ask(&b, &get("/dav/cl/shared/c.txt")).await;
    assert_eq!((r.status, r.text().as_str()), (200, "on a cluster"));
    assert_eq!(
        ask(&b, &dav_request("LOCK", "/dav/cl/", &[], ""))
            .await
            .status,
        200
    );
    let r = ask(&a, &dav_request("PUT", "/dav/cl/docs/c.txt", &[], "no")).await;
    assert_eq!(r.status, 423);
}

#[tokio::test]
async fn a_cluster_master_stopping_and_coming_back() {
    let mut cluster = RedisCluster::start();
    let server = common::server_with(|c| c.state = cluster.url()).await;
    assert_eq!(
        ask(&server, &get("/flaky/m?codes=201,202")).await.status,
        201
    );
    cluster.stop(0);
    // While a master is down the cluster stops serving (within its node
    // timeout): clients see 503 with Retry-After, and nothing else.
    let mut saw_503 = false;
    for _ in 0..100 {
        let r = ask(&server, &get("/flaky/m?codes=201,202")).await;
        match r.status {
            503 => {
                assert_eq!(r.header("retry-after"), Some("5"));
                assert!(
                    r.text().contains("state store is unavailable"),
                    "{}",
                    r.text()
                );
                saw_503 = true;
                break;
            }
            202 => {}
            other => panic!("{other}: {}", r.text()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saw_503, "the outage was seen as 503");
    assert_eq!(ask(&server, &get("/readyz")).await.status, 503);
    assert_eq!(
        ask(&server, &get("/418")).await.status,
        418,
        "the rest keeps working"
    );
    cluster.restart(0);
    let mut status = 0;
    for _ in 0..100 {
        status = ask(&server, &get("/readyz")).await.status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "ready again once the master is back");
    let mut r = ask(&server, &get("/flaky/m2?codes=201,202")).await;
    for _ in 0..50 {
        if r.status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        r = ask(&server, &get("/flaky/m2?codes=201,202")).await;
    }
    assert_eq!(r.status, 201, "served again: {}", r.text());
}

/// A WebDAV request as raw HTTP/1.1.
fn dav_request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    send(method, path, headers, body)
}

#[tokio::test]
async fn webdav_trees_are_shared_through_redis() {
    let redis = Redis::start();
    let a = common::server_with(|c| c.state = redis.url()).await;
    let b = common::server_with(|c| c.state = redis.url()).await;
    // Built through one instance…
    let r = ask(&a, &dav_request("MKCOL", "/dav/team/box/", &[], "")).await;
    assert_eq!(r.status, 201);
    let r = ask(
        &a,
        &dav_request("PUT", "/dav/team/box/note.txt", &[], "kept in Redis"),
    )
    .await;
    assert_eq!(r.status, 201);
    let patch = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:colour>green</Z:colour></D:prop></D:set></D:propertyupdate>"#;
    let r = ask(
        &a,
        &dav_request("PROPPATCH", "/dav/team/box/note.txt", &[], patch),
    )
    .await;
    assert_eq!(r.status, 207);
    // …read through the other.
    let r = ask(&b, &get("/dav/team/box/note.txt")).await;
    assert_eq!((r.status, r.text().as_str()), (200, "kept in Redis"));
    let r = ask(
        &b,
        &dav_request("PROPFIND", "/dav/team/box/", &[("Depth", "1")], ""),
    )
    .await;
    assert_eq!(r.status, 207);
    assert!(r.text().contains("/dav/team/box/note.txt"), "{}", r.text());
    assert!(r.text().contains("green"), "{}", r.text());
    // Locked through one, refused through the other without the token.
    let r = ask(&b, &dav_request("LOCK", "/dav/team/", &[], "")).await;
    assert_eq!(r.status, 200);
    let token = r
        .header("lock-token")
        .unwrap()
        .trim_matches(['<', '>'])
        .to_string();
    let r = ask(
        &a,
        &dav_request("PUT", "/dav/team/box/note.txt", &[], "changed"),
    )
    .await;
    assert_eq!(r.status, 423);
    let r = ask(&a, &dav_request("LOCK", "/dav/team/", &[], "")).await;
    assert_eq!(r.status, 423, "one lock at a time, across instances");
    let held = format!("(<{token}>)");
    let r = ask(
        &a,
        &dav_request("PUT", "/dav/team/box/note.txt", &[("If", &held)], "changed"),
    )
    .await;
    assert_eq!(r.status, 204);
    let unlock = format!("<{token}>");
    let r = ask(
        &a,
        &dav_request("UNLOCK", "/dav/team/", &[("Lock-Token", &unlock)], ""),
    )
    .await;
    assert_eq!(r.status, 204);
    // Deleted through one, gone through the other.
    let r = ask(&b, &dav_request("DELETE", "/dav/team/box/", &[], "")).await;
    assert_eq!(r.status, 204);
    assert_eq!(ask(&a, &get("/dav/team/box/note.txt")).await.status, 404);
}

#[tokio::test]
async fn racing_webdav_writes_have_one_winner() {
    let redis = Redis::start();
    let a = common::server_with(|c| c.state = redis.url()).await;
    let b = common::server_with(|c| c.state = redis.url()).await;
    let servers = [&a, &b];
    async fn all(servers: [&teapot_server::Running; 2], req: String, n: usize) -> Vec<u16> {
        let asks = (0..n).map(|i| {
            let server = servers[i % 2];
            let req = req.clone();
            async move { ask(server, &req).await.status }
        });
        futures_util::future::join_all(asks).await
    }
    // MKCOL of one path from 20 clients on two instances: one 201, and
    // 405 for the rest (the collection exists, RFC 4918 §9.3.1).
    let mut codes = all(servers, dav_request("MKCOL", "/dav/race/col/", &[], ""), 20).await;
    codes.sort();
    assert_eq!(codes[0], 201, "{codes:?}");
    assert!(codes[1..].iter().all(|&c| c == 405), "{codes:?}");
    // PUT of one new document: one 201 (created), 204 for the rest.
    let mut codes = all(
        servers,
        dav_request("PUT", "/dav/race/doc.txt", &[], "x"),
        20,
    )
    .await;
    codes.sort();
    assert_eq!(codes[0], 201, "{codes:?}");
    assert!(codes[1..].iter().all(|&c| c == 204), "{codes:?}");
    // LOCK: one lock, 423 for the rest.
    let mut codes = all(servers, dav_request("LOCK", "/dav/race/", &[], ""), 20).await;
    codes.sort();
    assert_eq!(codes[0], 200, "{codes:?}");
    assert!(codes[1..].iter().all(|&c| c == 423), "{codes:?}");
}
