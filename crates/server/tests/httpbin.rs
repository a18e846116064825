//! The endpoints httpbin and go-httpbin users call, with their shapes.

mod common;

use teapot_testkit::Client;

fn json(r: &teapot_testkit::Response) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.text()))
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
