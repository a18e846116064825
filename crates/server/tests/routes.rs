//! The route table, walked: every row's example reaches its own handler on
//! the live server and is counted under the row's kind; the OpenAPI
//! document, the home page's scenario list and docs/SCENARIOS.md hold
//! exactly the rows there are.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use teapot_server::metrics::kind_of;
use teapot_server::openapi::document;
use teapot_server::routes::table::{Kind, Methods};
use teapot_server::routes::{route_of, ROUTES};
use teapot_testkit::Client;

fn path_of(target: &str) -> &str {
    target.split('?').next().unwrap()
}

#[test]
fn every_example_is_answered_by_its_own_row() {
    for row in ROUTES {
        let found = route_of(path_of(row.example))
            .unwrap_or_else(|| panic!("{} (example of {}) is not routed", row.example, row.path));
        assert!(
            std::ptr::eq(found, row),
            "{} reaches {}, not {}",
            row.example,
            found.path,
            row.path
        );
        assert_eq!(kind_of(path_of(row.example)), row.kind.as_str());
    }
}

#[test]
fn every_kind_has_a_row_and_unrouted_paths_are_unknown() {
    for kind in Kind::ALL {
        assert!(
            ROUTES.iter().any(|r| r.kind == kind),
            "no row of kind {kind:?}"
        );
    }
    assert_eq!(kind_of("/no/such/path"), "unknown");
    assert_eq!(kind_of("/4185"), "unknown");
}

/// Sends a row's example with the first method it documents, over
/// HTTP/1.1; returns the method and every response.
async fn ask_example(
    server: &teapot_server::Running,
    row: &teapot_server::routes::table::Route,
) -> (&'static str, Vec<teapot_testkit::Response>) {
    let method = row.methods.documented()[0].as_str();
    let mut c = Client::connect(server.addr()).await;
    c.send(format!(
        "{method} {} HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        row.example
    ))
    .await;
    (method, c.exchange(method == "HEAD").await)
}

#[tokio::test]
async fn every_example_reaches_a_handler_on_the_wire() {
    let server = common::server().await;
    for row in ROUTES {
        let (method, all) = ask_example(&server, row).await;
        let last = all.last().unwrap();
        let unrouted = last.status == 404 && last.text().contains("Nothing is served at");
        assert!(
            !unrouted,
            "{method} {} ({}) is not routed",
            row.example, row.path
        );
        assert_ne!(last.status, 405, "{method} {} refused", row.example);
    }
}

#[tokio::test]
async fn a_method_a_row_does_not_take_gets_405_with_its_methods() {
    let server = common::server().await;
    let mut checked = 0;
    for row in ROUTES {
        let Methods::Only(_) = row.methods else {
            continue;
        };
        let documented: Vec<&str> = row
            .methods
            .documented()
            .iter()
            .map(|m| m.as_str())
            .collect();
        let other = ["TRACE", "OPTIONS", "QUERY"]
            .into_iter()
            .find(|m| !documented.contains(m))
            .unwrap();
        let mut c = Client::connect(server.addr()).await;
        c.send(format!(
            "{other} {} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            row.example
        ))
        .await;
        let r = c.response(false).await;
        assert_eq!(r.status, 405, "{other} {}", row.example);
        assert_eq!(r.header("allow"), Some(documented.join(", ").as_str()));
        checked += 1;
    }
    assert!(checked > 30, "{checked}");
}

#[test]
fn the_document_has_one_path_per_row_with_its_methods() {
    let doc = document();
    let paths = doc["paths"].as_object().unwrap();
    let expected: BTreeMap<String, &str> = ROUTES
        .iter()
        .map(|r| (r.openapi_path(), r.kind.as_str()))
        .collect();
    assert_eq!(expected.len(), ROUTES.len(), "two rows share a path");
    let served: BTreeSet<&String> = paths.keys().collect();
    assert_eq!(served, expected.keys().collect::<BTreeSet<_>>());
    for row in ROUTES {
        let item = paths[&row.openapi_path()].as_object().unwrap();
        for m in row.methods.documented() {
            let m = m.as_str().to_ascii_lowercase();
            if ["lock", "unlock"].contains(&m.as_str()) {
                continue;
            }
            let op = &item[&m];
            assert_eq!(op["tags"][0], row.kind.as_str(), "{} {m}", row.path);
            assert_eq!(op["summary"], row.summary);
        }
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

#[tokio::test]
async fn the_page_lists_every_scenario_row_and_each_link_is_routed() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let page = c.ask("GET", "/", &[("Accept", "text/html")]).await.text();
    let scenarios = page
        .split("id=\"scenarios\"")
        .nth(1)
        .expect("a scenario section");
    let mut listed = 0;
    for row in ROUTES {
        let Some(s) = row.scenario else { continue };
        let link = s.link.replace('&', "&amp;");
        assert!(
            scenarios.contains(&format!("href=\"{link}\"")),
            "{link} not on the page"
        );
        let target = route_of(path_of(s.link)).expect("the link is routed");
        assert!(
            std::ptr::eq(target, row),
            "{} reaches {}",
            s.link,
            target.path
        );
        listed += 1;
    }
    assert_eq!(scenarios.matches("<tr><td><a href=").count(), listed);
}

/// docs/SCENARIOS.md: every `$T/…` example in it is routed, and every row
/// the page shows as a scenario is in it.
#[test]
fn scenarios_md_names_only_routes_and_every_scenario_row() {
    let doc = include_str!("../../../docs/SCENARIOS.md");
    let mut examples = 0;
    for (i, _) in doc.match_indices("$T/") {
        let target: String = doc[i + 2..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !"'\"`)|".contains(*c))
            .collect();
        if target.starts_with("/$(") {
            // A target made up by the shell (a very long one).
            continue;
        }
        assert!(
            route_of(path_of(&target)).is_some(),
            "docs/SCENARIOS.md: {target} is not routed"
        );
        examples += 1;
    }
    assert!(examples > 30, "{examples}");
    for row in ROUTES.iter().filter(|r| r.scenario.is_some()) {
        let path = row.openapi_path();
        let base: String = path.split("/{").next().unwrap().to_string();
        assert!(
            doc.contains(&format!("`{path}`"))
                || doc.contains(&format!("$T{base}"))
                || doc.contains(&format!("`{base}")),
            "docs/SCENARIOS.md does not mention {path}"
        );
    }
}

/// Every example answers with the same status over cleartext HTTP/2 as
/// over HTTP/1.1 (the rows whose point is the HTTP/1 connection itself,
/// faults and upgrades, aside).
#[tokio::test]
async fn every_example_answers_alike_over_http2() {
    let server = common::server().await;
    let tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(conn);
    let mut compared = 0;
    for row in ROUTES {
        // Faults break the connection, upgrades exist only in HTTP/1.1, and
        // code lists pick at random.
        if row.kind == Kind::Fault
            || matches!(row.example, "/ws" | "/websocket/echo")
            || row.path.contains("{codes}")
        {
            continue;
        }
        let (method, all) = ask_example(&server, row).await;
        let h1 = all.last().unwrap().status;
        let req = http::Request::builder()
            .method(method)
            .uri(format!("http://t{}", row.example))
            .header("authorization", "Basic dTpw")
            .body(())
            .unwrap();
        let mut ready = client.clone().ready().await.unwrap();
        let (resp, _) = ready.send_request(req, true).unwrap();
        let (h2, mut body) = resp
            .await
            .unwrap_or_else(|e| panic!("{method} {}: {e}", row.example))
            .into_parts();
        assert_eq!(
            h2.status.as_u16(),
            h1,
            "{method} {} over HTTP/2",
            row.example
        );
        let h1 = all.last().unwrap();
        let h2_type = h2.headers.get("content-type").map(|v| v.to_str().unwrap());
        assert_eq!(
            h2_type,
            h1.header("content-type"),
            "{method} {} over HTTP/2",
            row.example
        );
        let mut content = Vec::new();
        while let Some(d) = body.data().await {
            let d = d.unwrap();
            let _ = body.flow_control().release_capacity(d.len());
            content.extend_from_slice(&d);
        }
        // The same shape: a JSON document with the same members, or
        // content on both or neither.
        assert_eq!(
            content.is_empty(),
            h1.body.is_empty(),
            "{method} {} over HTTP/2",
            row.example
        );
        if h2_type.is_some_and(|t| t.starts_with("application/json")) {
            let keys = |b: &[u8]| -> Vec<String> {
                match serde_json::from_slice::<serde_json::Value>(b) {
                    Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
                    other => vec![format!("{other:?}")],
                }
            };
            assert_eq!(
                keys(&content),
                keys(&h1.body),
                "{method} {} over HTTP/2",
                row.example
            );
        }
        compared += 1;
    }
    assert!(compared > 70, "{compared}");
}
