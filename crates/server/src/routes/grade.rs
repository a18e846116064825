//! Scenarios that watch a client: `/grade/{run}/{scenario}[/…]` answers
//! as the scenario says and records every request that arrives for it in
//! the state store (so several instances share a run); `/grade/{run}`
//! gives the record back. `teapot grade` (in the binary) runs a client
//! against them and judges what it did.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{json, Value};
use teapot_wire::{Exchange, Fault, Head, Status};

use super::{check_name, reply_json, sent, Outcome};
use crate::app::App;
use crate::problem::Problem;
use crate::routes::stateful::store_problem;

/// The most requests recorded for one run (about 8 KiB of record, as an
/// item of `/items` may hold); more are served, not recorded. A redirect
/// loop keeps one event and counts its requests in it.
const MAX_EVENTS: usize = 48;

/// The scenarios, by name.
pub const SCENARIOS: &[&str] = &[
    "interim-100",
    "interim-102",
    "interim-103",
    "redirect-301-post",
    "redirect-302-post",
    "redirect-303",
    "redirect-307",
    "redirect-loop",
    "retry-after-429",
    "retry-after-date",
    "retry-503-post",
    "auth-basic",
    "truncated",
    "no-content-204",
];

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Appends an event to the run's record (compare-and-set, a few tries) and
/// returns how many requests the scenario has had in this run, this one
/// included. A full record keeps its events but still counts this request.
async fn record(app: &App, run: &str, event: Value) -> Result<usize, Problem> {
    let key = format!("grade:{run}");
    for _ in 0..8 {
        let current = app
            .state
            .record(&key)
            .await
            .map_err(|e| store_problem(app, e))?;
        let (version, mut events) = match &current {
            Some((v, body)) => (
                Some(*v),
                serde_json::from_str::<Vec<Value>>(body).unwrap_or_default(),
            ),
            None => (None, Vec::new()),
        };
        // The loop's requests are counted in its first event.
        let scenario = &event["scenario"];
        let before = events.iter().filter(|e| e["scenario"] == *scenario).count();
        let looped = events
            .iter_mut()
            .find(|e| e["scenario"] == "redirect-loop" && event["scenario"] == "redirect-loop");
        if let Some(first) = looped {
            let n = first["count"].as_u64().unwrap_or(1);
            first["count"] = json!(n + 1);
        } else if events.len() >= MAX_EVENTS {
            return Ok(before + 1);
        } else {
            let mut event = event.clone();
            event["count"] = json!(1);
            events.push(event);
        }
        let body = Value::Array(events).to_string();
        let next = version.map_or(1, |v| v + 1);
        if app
            .state
            .replace(&key, version, next, &body)
            .await
            .map_err(|e| store_problem(app, e))?
        {
            return Ok(before + 1);
        }
    }
    Err(Problem::new(503, "The run's record is busy; retry.").header("Retry-After", "1"))
}

/// `/grade/{run}`: what arrived for each scenario of the run.
pub async fn report(app: &App, ex: &mut Exchange<'_>, run: &str) -> Outcome {
    check_name("run", run)?;
    let stored = app
        .state
        .record(&format!("grade:{run}"))
        .await
        .map_err(|e| store_problem(app, e))?;
    let events = stored
        .and_then(|(_, body)| serde_json::from_str::<Value>(&body).ok())
        .unwrap_or_else(|| json!([]));
    let head = Head::new(Status::OK).header("Cache-Control", "no-store");
    reply_json(ex, head, &json!({ "run": run, "events": events })).await
}

/// `/grade/{run}/{scenario}[/{step}]`: the scenario's answer, after the
/// request is recorded.
pub async fn scenario(
    app: &App,
    ex: &mut Exchange<'_>,
    run: &str,
    name: &str,
    step: &str,
) -> Outcome {
    check_name("run", run)?;
    if !SCENARIOS.contains(&name) {
        return Err(Problem::new(
            404,
            format!(
                "There is no scenario {name:?}; the scenarios are {}.",
                SCENARIOS.join(", ")
            ),
        ));
    }
    let body = match ex.read_body(64 * 1024).await {
        Ok(b) => b,
        Err(_) => return Ok(()),
    };
    let req = ex.request();
    // The time a Retry-After date names: two seconds on, in whole seconds.
    let retry_at = SystemTime::now() + Duration::from_secs(2);
    let retry_at_ms = httpdate::HttpDate::from(retry_at);
    let retry_at_ms = SystemTime::from(retry_at_ms)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let basic_ok = req.header_str("authorization").map(str::trim) == Some("Basic dXNlcjpwYXNzd2Q="); // user:passwd
    let event = json!({
        "scenario": name,
        "step": step,
        "method": req.method().as_str(),
        "body_bytes": body.len(),
        "at_ms": now_ms(),
        "authorization": req.header("authorization").is_some(),
        "expect": req.header_str("expect"),
        "retry_at_ms": retry_at_ms,
        "credentials_ok": basic_ok,
    });
    let first = record(app, run, event).await? == 1;
    let here = format!("/grade/{run}/{name}");
    match (name, step) {
        ("interim-100", _) => {
            let _ = ex.interim(Head::new(Status::CONTINUE)).await;
            sent(ex.respond(text(), "final\n").await)
        }
        ("interim-102", _) => {
            for _ in 0..3 {
                if ex.interim(Head::new(Status::PROCESSING)).await.is_err() {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            sent(ex.respond(text(), "final\n").await)
        }
        ("interim-103", _) => {
            let hint = Head::new(Status::EARLY_HINTS)
                .header("Link", "</static/teapot.css>; rel=preload; as=style");
            let _ = ex.interim(hint).await;
            sent(ex.respond(text(), "final\n").await)
        }
        ("redirect-301-post" | "redirect-302-post" | "redirect-303" | "redirect-307", "") => {
            let status = match name {
                "redirect-301-post" => Status::MOVED_PERMANENTLY,
                "redirect-302-post" => Status::FOUND,
                "redirect-303" => Status::SEE_OTHER,
                _ => Status::TEMPORARY_REDIRECT,
            };
            let head = Head::new(status)
                .header("Location", format!("{here}/landing"))
                .header("Content-Type", "text/plain; charset=utf-8");
            sent(ex.respond(head, "moved\n").await)
        }
        ("redirect-301-post" | "redirect-302-post" | "redirect-303" | "redirect-307", _) => {
            sent(ex.respond(text(), "landed\n").await)
        }
        ("redirect-loop", _) => {
            let head = Head::new(Status::FOUND)
                .header("Location", here)
                .header("Content-Type", "text/plain; charset=utf-8");
            sent(ex.respond(head, "again\n").await)
        }
        ("retry-after-429", _) if first => {
            let head = Head::new(Status::TOO_MANY_REQUESTS)
                .header("Retry-After", "1")
                .header("Content-Type", "text/plain; charset=utf-8");
            sent(ex.respond(head, "slow down\n").await)
        }
        ("retry-after-429", _) => sent(ex.respond(text(), "final\n").await),
        ("retry-after-date", _) if first => {
            let head = Head::new(Status::SERVICE_UNAVAILABLE)
                .header("Retry-After", httpdate::fmt_http_date(retry_at))
                .header("Content-Type", "text/plain; charset=utf-8");
            sent(ex.respond(head, "back soon\n").await)
        }
        ("retry-after-date", _) => sent(ex.respond(text(), "final\n").await),
        ("auth-basic", _) if basic_ok => sent(ex.respond(text(), "final\n").await),
        ("auth-basic", _) => {
            let head = Head::new(Status::UNAUTHORIZED)
                .header(
                    "WWW-Authenticate",
                    "Basic realm=\"teapot grade\", charset=\"UTF-8\"",
                )
                .header("Content-Type", "text/plain; charset=utf-8");
            sent(ex.respond(head, "who are you?\n").await)
        }
        ("retry-503-post", _) => {
            let head = Head::new(Status::SERVICE_UNAVAILABLE)
                .header("Content-Type", "text/plain; charset=utf-8");
            sent(ex.respond(head, "unavailable\n").await)
        }
        ("truncated", _) => {
            let raw = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 64\r\n\r\nonly part of it\n";
            sent(
                ex.fault(Fault::Raw(Bytes::from_static(raw.as_bytes())))
                    .await,
            )
        }
        ("no-content-204", _) => sent(ex.respond(Head::new(Status::NO_CONTENT), "").await),
        _ => Err(Problem::not_found(ex.request().path())),
    }
}

/// The head of a plain 200 answer that no cache may keep.
fn text() -> Head {
    Head::new(Status::OK)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Cache-Control", "no-store")
}
