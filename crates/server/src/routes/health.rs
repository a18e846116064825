//! `/healthz`: the process is alive and serving.

use teapot_codes::Status;
use teapot_wire::{Exchange, Head, Transport};

use super::{only_get, sent, Outcome};

/// `GET /healthz`: 200 with a small JSON document.
pub async fn healthz<T: Transport>(ex: &mut Exchange<'_, T>) -> Outcome {
    only_get(ex)?;
    let head = Head::new(Status::from_u16(200).expect("valid"))
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-store");
    sent(ex.respond(head, &b"{\"status\":\"ok\"}\n"[..]).await)
}
