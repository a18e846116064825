//! The OpenAPI document and the router, walked together: every arm of the
//! router is documented, every documented path reaches a handler on the
//! live server, and `/openapi.json` serves the document.

mod common;

use std::collections::BTreeSet;

use teapot_server::openapi::{document, OPERATIONS};
use teapot_testkit::Client;

/// The router's arms, read from its source: `["cookies", "set", name,
/// value] =>` becomes `/cookies/set/{}/{}`; `..` (any path below) is kept
/// as a trailing `/..`.
fn router_templates() -> BTreeSet<String> {
    let source = include_str!("../src/routes/mod.rs");
    // `dispatch` and `dispatch_named`, which it hands all but forced
    // status to.
    let body = source.split("pub async fn dispatch").nth(1).unwrap();
    let body = body.split("/// The query's").next().unwrap();
    let mut out = BTreeSet::new();
    for line in body.lines() {
        let line = line.trim();
        if !line.starts_with('[') || !line.contains("=>") {
            continue;
        }
        let pattern = &line[1..line.find(']').unwrap()];
        let mut variants = vec![String::new()];
        for part in pattern.split(", ") {
            let part = part.trim();
            let options: Vec<String> = if part == "\"\"" {
                vec![String::new()]
            } else if part.starts_with('"') {
                part.split(" | ")
                    .map(|p| format!("/{}", p.trim_matches('"')))
                    .collect()
            } else if part == ".." {
                vec!["/..".to_string()]
            } else {
                vec!["/{}".to_string()]
            };
            variants = variants
                .iter()
                .flat_map(|v| options.iter().map(move |o| format!("{v}{o}")))
                .collect();
        }
        for v in variants {
            out.insert(if v.is_empty() { "/".to_string() } else { v });
        }
    }
    out
}

fn normalized(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn every_router_arm_is_documented_and_every_path_routed() {
    let routes = router_templates();
    assert!(routes.len() > 40, "{routes:?}");
    let documented: BTreeSet<String> = OPERATIONS.iter().map(|op| normalized(op.path)).collect();
    for r in &routes {
        match r.strip_suffix("/..") {
            Some(base) => assert!(
                documented.contains(base) || documented.contains(&format!("{base}/{{}}")),
                "the route {r} is not in the OpenAPI document"
            ),
            None => assert!(
                documented.contains(r),
                "the route {r} is not in the OpenAPI document"
            ),
        }
    }
    for d in &documented {
        let routed = routes.contains(d)
            || routes.iter().any(|r| {
                r.strip_suffix("/..")
                    .is_some_and(|base| d == base || d.starts_with(&format!("{base}/")))
            });
        assert!(routed, "{d} is documented but no route answers it");
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "code" | "codes" => "200",
        "n" => "3",
        "seconds" => "60",
        "qop" => "auth",
        "algorithm" => "MD5",
        "variant" => "json",
        "kind" => "melt",
        "user" => "u",
        "passwd" => "p",
        "path" => "get",
        "etag" => "v1",
        "role" => "admin",
        "key" => "k",
        "id" => "nothinghere",
        "ns" => "walk",
        _ => "x",
    }
}

#[tokio::test]
async fn every_documented_path_reaches_a_handler() {
    let server = common::server().await;
    for op in OPERATIONS {
        let path: String = op
            .path
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => example(name).to_string(),
                    None => s.to_string(),
                },
            )
            .collect::<Vec<_>>()
            .join("/");
        let path = if path.is_empty() {
            "/".to_string()
        } else {
            path
        };
        let path = if op.path == "/processing" {
            format!("{path}?duration=0")
        } else {
            path
        };
        let method = op.methods[0].to_ascii_uppercase();
        let mut c = Client::connect(server.addr()).await;
        c.send(format!(
            "{method} {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ))
        .await;
        let all = c.exchange(method == "HEAD").await;
        let last = all.last().unwrap();
        let unrouted = last.status == 404 && last.text().contains("Nothing is served at");
        assert!(!unrouted, "{method} {path} ({}) is not routed", op.path);
    }
}

#[tokio::test]
async fn the_document_is_served() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send("GET /openapi.json HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    let r = c.response(false).await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    let served: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(served, document());
    assert_eq!(
        served["paths"]["/{code}"]["get"]["parameters"][0]["schema"]["pattern"],
        "^[1-5][0-9][0-9]$"
    );
}
