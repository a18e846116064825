//! `/jobs`: asynchronous work. POST answers 202 with the `Location` of a
//! status monitor; the monitor answers 200 with the progress while the job
//! runs, then 303 to the result; the result answers 200.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use teapot_wire::{Exchange, Head, Status};

use super::stateful::store_problem;
use super::{query_pairs, reply_json, sent, Outcome};
use crate::app::App;
use crate::problem::Problem;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `POST /jobs?seconds=S`: starts a job that takes S seconds (default 2, at
/// most the server's maximum delay).
pub async fn start(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    let mut seconds = 2u64;
    for (k, v) in query_pairs(ex) {
        if k == "seconds" {
            seconds = v.parse().map_err(|_| {
                Problem::bad_request(format!("seconds must be a whole number, not {v:?}."))
                    .kind("bad-option")
            })?;
        }
    }
    if Duration::from_secs(seconds) > app.max_delay {
        return Err(Problem::bad_request(format!(
            "seconds={seconds} is over the server's maximum delay of {} s.",
            app.max_delay.as_secs()
        ))
        .kind("bad-delay"));
    }
    let id: String = (0..12)
        .map(|_| fastrand::alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let doc = json!({ "created_ms": now_ms(), "duration_ms": seconds * 1000 });
    let created = app
        .state
        .replace(&format!("job:{id}"), None, 1, &doc.to_string())
        .await
        .map_err(|e| store_problem(app, e))?;
    if !created {
        return Err(Problem::new(409, "A job with that id exists; try again."));
    }
    let monitor = format!("/jobs/{id}");
    let head = Head::new(Status::ACCEPTED).header("Location", monitor.clone());
    reply_json(
        ex,
        head,
        &json!({ "id": id, "status": "accepted", "monitor": monitor, "seconds": seconds }),
    )
    .await
}

async fn load(app: &App, id: &str) -> Result<(u64, u64), Problem> {
    let valid = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric());
    let record = if valid {
        app.state
            .record(&format!("job:{id}"))
            .await
            .map_err(|e| store_problem(app, e))?
    } else {
        None
    };
    let Some((_, body)) = record else {
        return Err(Problem::new(
            404,
            format!("There is no job {id:?}; POST /jobs to start one."),
        ));
    };
    let doc: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    Ok((
        doc["created_ms"].as_u64().unwrap_or(0),
        doc["duration_ms"].as_u64().unwrap_or(0),
    ))
}

/// `GET /jobs/{id}`: 200 with progress while running, 303 to the result
/// when done.
pub async fn monitor(app: &App, ex: &mut Exchange<'_>, id: &str) -> Outcome {
    let (created, duration) = load(app, id).await?;
    let elapsed = now_ms().saturating_sub(created);
    if elapsed >= duration {
        let result = format!("/jobs/{id}/result");
        let head = Head::new(Status::SEE_OTHER)
            .header("Location", result.clone())
            .header("Content-Type", "text/plain; charset=utf-8");
        return sent(
            ex.respond(head, format!("Done; the result is at {result}\n"))
                .await,
        );
    }
    let progress = (elapsed * 100).checked_div(duration).unwrap_or(100);
    let wait = (duration - elapsed).div_ceil(1000).max(1);
    let head = Head::new(Status::OK).header("Retry-After", wait.to_string());
    reply_json(
        ex,
        head,
        &json!({ "id": id, "status": "running", "progress": progress }),
    )
    .await
}

/// `GET /jobs/{id}/result`: 200 once the job is done; 404 before.
pub async fn result(app: &App, ex: &mut Exchange<'_>, id: &str) -> Outcome {
    let (created, duration) = load(app, id).await?;
    if now_ms().saturating_sub(created) < duration {
        return Err(Problem::new(
            404,
            format!("Job {id:?} is still running; its monitor is /jobs/{id}."),
        ));
    }
    reply_json(
        ex,
        Head::new(Status::OK),
        &json!({ "id": id, "status": "done", "result": "a perfectly brewed cup" }),
    )
    .await
}
