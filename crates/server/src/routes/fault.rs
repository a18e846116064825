//! `/fault/{kind}`: broken answers on purpose, for testing how clients
//! cope. Each kind breaks one thing and nothing else.

use std::time::Duration;

use bytes::Bytes;
use teapot_codes::Status;
use teapot_wire::h1::encode::{write_head, ConnectionField};
use teapot_wire::Framing;
use teapot_wire::{Exchange, Fault, Head};

use super::{query_pairs, sent, Outcome};
use crate::app::App;
use crate::problem::Problem;

/// The kinds, in the order the docs list them.
pub const KINDS: [&str; 6] = [
    "reset",
    "close",
    "garbage",
    "truncate",
    "slow-body",
    "bad-chunk",
];

/// Bytes that are not HTTP: a TLS alert record followed by text.
const GARBAGE: &[u8] =
    b"\x15\x03\x03\x00\x02\x02\x28 this is not an HTTP response \xff\xfe\r\n\r\n";

/// Serves one fault.
///
/// Over HTTP/2 each kind breaks the same thing in that protocol's terms:
/// `reset` resets the stream (`RST_STREAM`, `INTERNAL_ERROR`); `close` ends
/// the connection with `GOAWAY`; `garbage` with `GOAWAY` and
/// `PROTOCOL_ERROR`; `truncate` declares 1024 bytes, sends 100, then resets
/// the stream; `bad-chunk` (HTTP/2 has no chunked coding) sends five bytes
/// of an open-ended body, then `GOAWAY` with `PROTOCOL_ERROR`.
pub async fn fault(app: &App, ex: &mut Exchange<'_>, kind: &str) -> Outcome {
    if ex.request().version().is_multiplexed() {
        match kind {
            "truncate" => return broken_body(ex, Some(1024), &[b'x'; 100], Fault::Reset).await,
            "bad-chunk" => {
                return broken_body(ex, None, b"hello", Fault::Raw(Bytes::new())).await;
            }
            _ => {}
        }
    }
    match kind {
        "reset" => sent(ex.fault(Fault::Reset).await),
        "close" => sent(ex.fault(Fault::Close).await),
        "garbage" => sent(ex.fault(Fault::Raw(Bytes::from_static(GARBAGE))).await),
        "truncate" => {
            // Declares 1024 bytes of content and sends 100 before closing.
            let mut raw = Vec::new();
            write_head(
                &mut raw,
                &text_head(200),
                Framing::Length(1024),
                ConnectionField::default(),
            );
            raw.extend_from_slice(&[b'x'; 100]);
            sent(ex.fault(Fault::Raw(Bytes::from(raw))).await)
        }
        "bad-chunk" => {
            // A valid chunk, then a chunk size that is not hexadecimal.
            let mut raw = Vec::new();
            write_head(
                &mut raw,
                &text_head(200),
                Framing::Chunked,
                ConnectionField::default(),
            );
            raw.extend_from_slice(b"5\r\nhello\r\nzz\r\nbroken\r\n0\r\n\r\n");
            sent(ex.fault(Fault::Raw(Bytes::from(raw))).await)
        }
        "slow-body" => slow_body(app, ex).await,
        _ => Err(Problem::new(
            404,
            format!(
                "Unknown fault {kind:?}; the kinds are {}.",
                KINDS.join(", ")
            ),
        )
        .with("kinds", KINDS.into())),
    }
}

/// A 200 that starts its body, then breaks off with `fault`.
async fn broken_body(
    ex: &mut Exchange<'_>,
    length: Option<u64>,
    part: &[u8],
    fault: Fault,
) -> Outcome {
    if ex.start(text_head(200), length).await.is_ok() && ex.write(part).await.is_ok() {
        return sent(ex.fault(fault).await);
    }
    Ok(())
}

fn text_head(code: u16) -> Head {
    Head::new(Status::from_u16(code).expect("valid")).header("Content-Type", "text/plain")
}

/// A valid 200 whose 100-byte body arrives ten bytes at a time, every
/// `interval` milliseconds (default 200); the whole drip must fit within
/// the server's `--max-delay`.
async fn slow_body(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    let mut interval = 200u64;
    for (k, v) in query_pairs(ex) {
        if k == "interval" {
            interval = v.parse().map_err(|_| {
                Problem::bad_request(format!(
                    "interval must be a whole number of milliseconds, not {v:?}."
                ))
            })?;
        }
    }
    let total = Duration::from_millis(interval.saturating_mul(10));
    if total > app.max_delay {
        return Err(Problem::bad_request(format!(
            "interval={interval} makes the body take {total:?}, over the server's maximum delay of {:?}.",
            app.max_delay
        )));
    }
    let body: &[u8; 100] = b"teapot slow body: ten bytes at a time, until one hundred are sent. That's all.\n123456789012345678901";
    if ex
        .start(text_head(200), Some(body.len() as u64))
        .await
        .is_err()
    {
        return Ok(());
    }
    for piece in body.chunks(10) {
        tokio::time::sleep(Duration::from_millis(interval)).await;
        if ex.write(piece).await.is_err() {
            return Ok(());
        }
    }
    sent(ex.finish().await)
}
