//! `/upload`: the codes an upload earns. `Expect: 100-continue` is honoured
//! (100 goes out only when the body is wanted); a declared length over the
//! limit gets 413 before any of the body is read; a chunked upload gets 411
//! (this endpoint wants the length first); a media type it does not take
//! gets 415 with `Accept-Post`. (An `Expect` other than `100-continue` gets
//! 417 from the engine, before any handler.)
//!
//! A received upload is answered as go-httpbin answers its `/upload`
//! (`args`, `headers`, `method`, `origin`, `url`, `bytes_received`), with
//! teapot's `received` and `content_type` beside them.

use serde_json::json;
use teapot_wire::{BodyKind, Exchange, Head, Status};

use super::{query_pairs, reply_json, Outcome};
use crate::problem::Problem;

/// The media types `/upload` takes.
pub const ACCEPTED: &str = "application/octet-stream, text/plain, application/json";
/// The default and largest `?max=` in bytes.
pub const DEFAULT_MAX: u64 = 1024 * 1024;

/// Serves `/upload[?max=BYTES]`.
pub async fn upload(ex: &mut Exchange<'_>) -> Outcome {
    let mut max = DEFAULT_MAX;
    for (k, v) in query_pairs(ex) {
        if k == "max" {
            max = v
                .parse()
                .ok()
                .filter(|m| *m <= DEFAULT_MAX)
                .ok_or_else(|| {
                    Problem::bad_request(format!(
                        "max must be a whole number of bytes up to {DEFAULT_MAX}, not {v:?}."
                    ))
                    .kind("bad-option")
                })?;
        }
    }
    let ctype = super::media_type(ex);
    let accepted = ctype
        .as_deref()
        .is_some_and(|c| ACCEPTED.split(", ").any(|a| a == c));
    if !accepted {
        let detail = match &ctype {
            Some(c) => format!("{c} is not taken here; send one of {ACCEPTED}."),
            None => format!("Say what the body is in Content-Type: one of {ACCEPTED}."),
        };
        return Err(Problem::new(415, detail).header("Accept-Post", ACCEPTED));
    }
    match ex.request().body_kind() {
        BodyKind::Length(n) if n > max => {
            return Err(Problem::new(
                413,
                format!("The body declares {n} bytes; this upload takes at most {max}."),
            )
            .with("max", json!(max)));
        }
        BodyKind::Chunked => {
            ex.require_length().await;
            return Ok(());
        }
        _ => {}
    }
    // Counted as it arrives, not kept: only its length is answered.
    let mut received = 0usize;
    loop {
        match ex.read_chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => break,
            // The engine answers a broken body itself.
            Err(_) => return Ok(()),
        }
    }
    let doc = json!({
        "args": super::echo::args(ex),
        "headers": super::echo::headers(ex),
        "method": ex.request().method().as_str(),
        "origin": super::echo::origin(ex),
        "url": super::echo::url(ex),
        "bytes_received": received,
        "received": received,
        "content_type": ctype,
    });
    reply_json(ex, Head::new(Status::OK), &doc).await
}
