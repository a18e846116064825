//! Scenarios with memory, in the shared state store: `/flaky/{key}` (the
//! n-th request gets the n-th code, for testing retries) and
//! `/limit/{key}` (a token bucket: 429 with `Retry-After` and the
//! `RateLimit` fields of the IETF httpapi draft). With the store down they
//! answer 503 with `Retry-After`; everything else keeps working.

use std::time::Duration;

use serde_json::json;
use teapot_codes::Status;
use teapot_wire::{Exchange, Head, Method};

use super::{check_name, query_pairs, reply_json, sent, Outcome};
use crate::app::App;
use crate::problem::Problem;
use crate::routes::forced;
use crate::state::StoreError;

/// The longest flaky sequence.
const MAX_CODES: usize = 100;
/// The largest bucket.
const MAX_RATE: u64 = 100_000;

/// A store failure as an answer, counted in the metrics.
pub fn store_problem(app: &App, e: StoreError) -> Problem {
    match e {
        StoreError::Unavailable(why) => {
            app.metrics.state_error();
            tracing::warn!("state store: {why}");
            Problem::new(
                503,
                "The state store is unavailable; stateful endpoints are paused. Retry shortly.",
            )
            .header("Retry-After", "5")
        }
        StoreError::Full => Problem::new(
            507,
            "The state store holds as many keys as it may; retry when some have expired.",
        ),
    }
}

/// `/flaky/{key}?codes=503,503,200`: the n-th request for `key` gets the
/// n-th code (the last one repeats), answered as forced status (so
/// `delay=`, `header=`, `retry_after=` apply). `DELETE` starts over.
pub async fn flaky(app: &App, ex: &mut Exchange<'_>, key: &str) -> Outcome {
    check_name("key", key)?;
    if ex.request().method() == Method::Delete {
        app.state
            .reset(key)
            .await
            .map_err(|e| store_problem(app, e))?;
        return sent(ex.respond(Head::new(Status::NO_CONTENT), "").await);
    }
    let mut codes = vec![
        Status::SERVICE_UNAVAILABLE,
        Status::SERVICE_UNAVAILABLE,
        Status::OK,
    ];
    for (k, v) in query_pairs(ex) {
        if k == "codes" {
            codes = v
                .split(',')
                .map(|c| c.trim().parse::<Status>())
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    Problem::bad_request(format!(
                        "codes={v:?} must be status codes from 100 to 599, comma-separated."
                    ))
                    .kind("bad-code")
                })?;
            if codes.is_empty() || codes.len() > MAX_CODES {
                return Err(
                    Problem::bad_request(format!("codes takes 1 to {MAX_CODES} codes."))
                        .kind("bad-code"),
                );
            }
        }
    }
    let n = app
        .state
        .next(key)
        .await
        .map_err(|e| store_problem(app, e))?;
    let index = usize::try_from(n.saturating_sub(1))
        .unwrap_or(usize::MAX)
        .min(codes.len() - 1);
    forced::forced(app, ex, &codes[index].to_string()).await
}

/// `/limit/{key}?rate=N/s` (or `N/m`, `N/h`; default 10/s): a token bucket
/// of N tokens refilled over the period. Within budget: 200; over it: 429
/// with `Retry-After`. Both carry `RateLimit-Policy` and `RateLimit`.
pub async fn limit(app: &App, ex: &mut Exchange<'_>, key: &str) -> Outcome {
    check_name("key", key)?;
    let (mut quota, mut period, mut spec) = (10u64, Duration::from_secs(1), "10/s".to_string());
    for (k, v) in query_pairs(ex) {
        if k == "rate" {
            let parsed = v.split_once('/').and_then(|(n, unit)| {
                let n: u64 = n
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_RATE).contains(n))?;
                let p = match unit.trim() {
                    "s" => Duration::from_secs(1),
                    "m" => Duration::from_secs(60),
                    "h" => Duration::from_secs(3600),
                    _ => return None,
                };
                Some((n, p))
            });
            (quota, period) = parsed.ok_or_else(|| {
                Problem::bad_request(format!(
                    "rate={v:?} must be N/s, N/m or N/h with N from 1 to {MAX_RATE}."
                ))
                .kind("bad-option")
            })?;
            spec = v.trim().to_string();
        }
    }
    let take = app
        .state
        .take(key, quota, period)
        .await
        .map_err(|e| store_problem(app, e))?;
    let window = period.as_secs();
    let policy = format!("\"{key}\";q={quota};w={window}");
    let reset = if take.allowed { 0 } else { take.retry_after };
    let state = format!("\"{key}\";r={};t={reset}", take.remaining);
    if take.allowed {
        let head = Head::new(Status::OK)
            .header("RateLimit-Policy", policy)
            .header("RateLimit", state);
        let doc = json!({ "allowed": true, "remaining": take.remaining, "rate": spec });
        return reply_json(ex, head, &doc).await;
    }
    Err(Problem::new(
        429,
        format!(
            "Over the budget of {spec} for {key:?}; retry after {} s.",
            take.retry_after
        ),
    )
    .header("Retry-After", take.retry_after.to_string())
    .header("RateLimit-Policy", policy)
    .header("RateLimit", state))
}
