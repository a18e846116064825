//! `/healthz` (the process is alive), `/readyz` (it can serve every
//! endpoint), `/metrics` (Prometheus), `/openapi.json`.

use teapot_wire::{Exchange, Head, Status};

use super::{sent, Outcome};
use crate::app::App;
use crate::metrics::CONTENT_TYPE;

/// `GET /healthz`: 200 while the process runs.
pub async fn healthz(ex: &mut Exchange<'_>) -> Outcome {
    let head = Head::new(Status::OK)
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-store");
    sent(ex.respond(head, &b"{\"status\":\"ok\"}\n"[..]).await)
}

/// `GET /readyz`: 200 when every endpoint can be served, 503 while the
/// state store is unreachable or the server drains before it stops.
pub async fn readyz(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    if app.is_draining() {
        return Err(crate::problem::Problem::new(
            503,
            "This instance is shutting down; send new work to another.",
        )
        .kind("draining"));
    }
    if let Err(e) = app.state.ping().await {
        return Err(super::stateful::store_problem(app, e));
    }
    let head = Head::new(Status::OK)
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-store");
    sent(ex.respond(head, &b"{\"status\":\"ready\"}\n"[..]).await)
}

/// `GET /metrics`: the OpenMetrics text format.
pub async fn metrics(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    let head = Head::new(Status::OK)
        .header("Content-Type", CONTENT_TYPE)
        .header("Cache-Control", "no-store");
    sent(ex.respond(head, app.metrics.encode()).await)
}

/// `GET /openapi.json`.
pub async fn openapi(ex: &mut Exchange<'_>) -> Outcome {
    super::reply_json(ex, Head::new(Status::OK), &crate::openapi::document()).await
}

/// `/hostname`: the name this server answers to (go-httpbin's shape).
pub async fn hostname(ex: &mut Exchange<'_>) -> Outcome {
    let doc = serde_json::json!({ "hostname": "teapot" });
    super::reply_json(ex, Head::new(Status::OK), &doc).await
}

/// `/version`: this server's version.
pub async fn version(ex: &mut Exchange<'_>) -> Outcome {
    let doc = serde_json::json!({ "version": env!("CARGO_PKG_VERSION") });
    super::reply_json(ex, Head::new(Status::OK), &doc).await
}

/// The prefix of the environment variables `/env` shows; no other variable
/// is ever shown.
pub const ENV_PREFIX: &str = "TEAPOT_ENV_";

/// `/env`: the server's `TEAPOT_ENV_*` variables (go-httpbin shows its
/// `HTTPBIN_ENV_*` ones the same way).
pub async fn env(ex: &mut Exchange<'_>) -> Outcome {
    let vars: serde_json::Map<String, serde_json::Value> = std::env::vars()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    super::reply_json(
        ex,
        Head::new(Status::OK),
        &serde_json::json!({ "env": vars }),
    )
    .await
}
