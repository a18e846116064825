//! `GET /` by `Accept`, and the page's "try it" endpoint.

mod common;

use teapot_testkit::Client;

async fn ask(c: &mut Client, path: &str, accept: Option<&str>) -> teapot_testkit::Response {
    match accept {
        Some(a) => c.ask("GET", path, &[("Accept", a)]).await,
        None => c.ask("GET", path, &[]).await,
    }
}

#[tokio::test]
async fn home_follows_accept() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = ask(&mut c, "/", Some("*/*")).await;
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(r.text().contains("  418  I'm a teapot"));
    let r = ask(
        &mut c,
        "/",
        Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    )
    .await;
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let html = r.text();
    assert_eq!(html.matches("<li class=\"code\"").count(), 63);
    assert_eq!(
        html.matches("<button type=\"button\" class=\"try\"")
            .count(),
        63
    );
    assert!(html.contains("<input id=\"search\" type=\"search\""));
    // Everything the page loads comes from this server (it works offline).
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/static/teapot.css\">"));
    assert!(html.contains("<script src=\"/static/page.js\" defer></script>"));
    assert!(!html.contains("src=\"http") && !html.contains("stylesheet\" href=\"http"));
    let r = ask(&mut c, "/", Some("application/json")).await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 63);
    assert_eq!(v[0]["code"], 100);
    assert_eq!(v[0]["spec"]["title"], "RFC 9110 §15.2.1");
    let r = ask(&mut c, "/static/page.js", None).await;
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(r.text().contains("fetch(`/try/${code}`"));
}

#[tokio::test]
async fn try_records_the_wire_of_this_server() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = ask(&mut c, "/try/103", None).await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["interim"][0]["status"], 103);
    assert_eq!(v["final"]["status"], 200);
    assert_eq!(v["final"]["body"], "200 OK\n");
    assert!(v["note"]
        .as_str()
        .unwrap()
        .starts_with("Interim (1xx) responses"));
    let r = ask(&mut c, "/try/304", None).await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (
            v["final"]["status"].as_u64(),
            v["final"]["body_bytes"].as_u64()
        ),
        (Some(304), Some(0))
    );
    let r = ask(&mut c, "/try/101", None).await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["final"]["status"], 426);
    assert_eq!(ask(&mut c, "/try/abc", None).await.status, 404);
    assert_eq!(ask(&mut c, "/try/600", None).await.status, 404);
}

/// The page shows how real clients handle the codes: the table of
/// docs/CLIENTS.md, with the failures marked.
#[tokio::test]
async fn the_page_shows_the_clients_report_cards() {
    let server = common::server().await;
    let mut c = teapot_testkit::Client::connect(server.addr()).await;
    let page = c.ask("GET", "/", &[("Accept", "text/html")]).await.text();
    let clients = page
        .split("id=\"clients\"")
        .nth(1)
        .expect("a clients section");
    assert!(clients.contains("<th>Node fetch</th>"), "{clients}");
    assert!(clients.contains("<td><code>interim-102</code></td>"));
    assert!(clients.contains("<strong>FAIL</strong>"));
    let rows = clients.matches("<tr>").count();
    assert_eq!(rows, 1 + teapot_server::routes::GRADE_SCENARIOS.len());
}
