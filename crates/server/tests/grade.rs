//! The grading scenarios' record: what arrived, per run, bounded whatever
//! the client does.

mod common;

use teapot_testkit::Client;

#[tokio::test]
async fn a_run_is_recorded_and_its_record_stays_small() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    // A client stuck in the loop: counted, one event.
    for _ in 0..150 {
        let r = c.ask("GET", "/grade/r9/redirect-loop", &[]).await;
        assert_eq!(r.status, 302);
    }
    // Many other requests, each with long fields of the client's choosing
    // that the record notes: served, recorded up to the bound, each event
    // small.
    let step = "s".repeat(2000);
    let long = "x".repeat(2000);
    for _ in 0..80 {
        let r = c
            .ask(
                "GET",
                &format!("/grade/r9/no-content-204/{step}"),
                &[("Authorization", &long)],
            )
            .await;
        assert_eq!(r.status, 204);
    }
    // A flooded scenario does not crowd out another.
    let r = c.ask("GET", "/grade/r9/proxy-407", &[]).await;
    assert_eq!(r.status, 407);
    let r = c.ask("GET", "/grade/r9", &[]).await;
    let doc: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let events = doc["events"].as_array().unwrap();
    let looped = events
        .iter()
        .find(|e| e["scenario"] == "redirect-loop")
        .unwrap();
    assert_eq!(looped["count"], 150);
    let of = |name: &str| events.iter().filter(|e| e["scenario"] == name).count();
    assert_eq!(of("no-content-204"), 8);
    assert_eq!(of("proxy-407"), 1);
    assert!(events
        .iter()
        .all(|e| e["step"].as_str().unwrap().len() <= 32));
    assert!(r.body.len() < 16 * 1024, "{}", r.body.len());
    // Another run is another record.
    let r = c.ask("GET", "/grade/r10", &[]).await;
    let doc: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(doc["events"], serde_json::json!([]));
    assert_eq!(c.ask("GET", "/grade/r9/no-such", &[]).await.status, 404);
    assert_eq!(
        c.ask("GET", "/grade/bad%20run/interim-100", &[])
            .await
            .status,
        400
    );
}
