//! CORS: every answer readable from another origin, preflights answered on
//! every path, `--cors off` and a list of origins.

mod common;

use teapot_server::cors::{Cors, EXPOSED};
use teapot_testkit::{Client, Response};

const ORIGIN: &str = "http://app.example:3000";

async fn ask(
    server: &teapot_server::Running,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut c = Client::connect(server.addr()).await;
    c.ask(method, path, headers).await
}

#[tokio::test]
async fn every_answer_carries_the_origin_it_may_be_read_from() {
    let server = common::server().await;
    // Without Origin, as httpbin: any origin.
    let r = ask(&server, "GET", "/get", &[]).await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-expose-headers"), None);
    // A cross-origin request: its origin, credentials, the fields a
    // script may read, and Vary.
    for (path, status, read) in [
        ("/503", 503, "retry-after"),
        ("/429", 429, "retry-after"),
        ("/201", 201, "location"),
        ("/401", 401, "www-authenticate"),
        ("/no/such/path", 404, "content-type"),
        ("/basic-auth/u/p", 401, "www-authenticate"),
    ] {
        let r = ask(&server, "GET", path, &[("Origin", ORIGIN)]).await;
        assert_eq!(r.status, status, "{path}");
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some(ORIGIN),
            "{path}"
        );
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(r.header("access-control-expose-headers"), Some(EXPOSED));
        assert!(
            r.headers_named("vary").iter().any(|v| v.contains("Origin")),
            "{path}"
        );
        assert!(r.header(read).is_some(), "{path}: {read}");
        let exposed = EXPOSED.to_ascii_lowercase();
        assert!(
            read == "content-type" || exposed.split(", ").any(|f| f == read),
            "{read} not exposed"
        );
    }
    // A handler's own field wins over the added one; a handler's Vary
    // stays beside Origin.
    let r = ask(
        &server,
        "GET",
        "/418?header=Access-Control-Allow-Origin:https://other.example",
        &[("Origin", ORIGIN)],
    )
    .await;
    assert_eq!(
        r.headers_named("access-control-allow-origin"),
        ["https://other.example"]
    );
    let r = ask(
        &server,
        "GET",
        "/negotiate",
        &[("Origin", ORIGIN), ("Accept", "application/json")],
    )
    .await;
    let vary = r.headers_named("vary").join(", ");
    assert!(vary.contains("Accept") && vary.contains("Origin"), "{vary}");
}

#[tokio::test]
async fn a_preflight_is_answered_on_every_path_and_the_request_then_reaches_its_code() {
    let server = common::server().await;
    for path in ["/503", "/status/418", "/items/x", "/no/such/path"] {
        let r = ask(
            &server,
            "OPTIONS",
            path,
            &[
                ("Origin", ORIGIN),
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Headers", "content-type, x-trace"),
            ],
        )
        .await;
        assert_eq!(r.status, 204, "{path}");
        assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        let methods = r.header("access-control-allow-methods").unwrap();
        assert!(methods.split(", ").any(|m| m == "PUT"), "{methods}");
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some("content-type, x-trace")
        );
        assert_eq!(r.header("access-control-max-age"), Some("3600"));
        assert!(r.body.is_empty());
    }
    // A method beyond the usual ones is allowed when asked for.
    let r = ask(
        &server,
        "OPTIONS",
        "/dav/ns/",
        &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "PROPFIND"),
        ],
    )
    .await;
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .ends_with(", PROPFIND"));
    // The request the preflight was for gets the forced code.
    let r = ask(&server, "PUT", "/503", &[("Origin", ORIGIN)]).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(r.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn options_without_preflight_fields_keeps_its_meaning() {
    let server = common::server().await;
    let r = ask(&server, "OPTIONS", "/405", &[]).await;
    assert_eq!(r.status, 405);
    assert!(!r.header("allow").unwrap().contains("OPTIONS"));
    // As httpbin answers every OPTIONS.
    let r = ask(&server, "OPTIONS", "/get", &[]).await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, POST, PUT, DELETE, PATCH, OPTIONS")
    );
    assert_eq!(r.header("access-control-max-age"), Some("3600"));
    assert_eq!(r.header("access-control-allow-headers"), None);
    let r = ask(
        &server,
        "OPTIONS",
        "/get",
        &[("Access-Control-Request-Headers", "X-Test-Header")],
    )
    .await;
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("X-Test-Header")
    );
}

#[tokio::test]
async fn cors_off_adds_nothing_and_answers_no_preflight() {
    let server = common::server_with(|c| c.cors = Cors::Off).await;
    let r = ask(&server, "GET", "/503", &[("Origin", ORIGIN)]).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-expose-headers"), None);
    let r = ask(
        &server,
        "OPTIONS",
        "/503",
        &[("Origin", ORIGIN), ("Access-Control-Request-Method", "PUT")],
    )
    .await;
    assert_eq!(r.status, 503, "not a preflight answer");
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_list_of_origins_allows_those_only() {
    let server = common::server_with(|c| c.cors = "https://a.example".parse().unwrap()).await;
    let r = ask(&server, "GET", "/418", &[("Origin", "https://a.example")]).await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://a.example")
    );
    let r = ask(&server, "GET", "/418", &[("Origin", "https://b.example")]).await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert!(r.headers_named("vary").contains(&"Origin"));
    let r = ask(&server, "GET", "/418", &[]).await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = ask(
        &server,
        "OPTIONS",
        "/418",
        &[
            ("Origin", "https://b.example"),
            ("Access-Control-Request-Method", "PUT"),
        ],
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-allow-methods"), None);
}
