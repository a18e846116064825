//! `upgrade-101` and `upgrade-101-bad-accept`: a WebSocket handshake is
//! answered 101 — with the `Sec-WebSocket-Accept` the client's key asks
//! for, or with one made from another key — and the session that follows
//! is watched: the server pings, sends the text `final`, waits for the pong
//! and the echo, closes with 1000 and waits for the client's Close. What
//! the client did is recorded as the scenario's `websocket` step.
//!
//! What RFC 6455 asks of the client here: to fail the connection when the
//! accept value does not match its key (§4.1), to mask every frame (§5.1),
//! to answer a Ping with a Pong carrying its data (§5.5.2), and to answer a
//! Close with a Close (§5.5.1).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use teapot_wire::{Exchange, Head, Status};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::WebSocketStream;

use super::{plain, record, short};
use crate::app::App;
use crate::routes::forced::{handshake, server_stream, Handshake};
use crate::routes::{sent, Outcome};

/// The ping's data, which the pong must carry back.
const PING: &[u8] = b"teapot grade";

/// How long the client has for its pong and its echo.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);

/// How long the server waits for the client's Close after its own.
const CLOSE_WITHIN: Duration = Duration::from_secs(2);

/// What the server saw of the client after the switch.
#[derive(Default)]
struct Seen {
    /// Frames received (data, control and Close).
    frames: u32,
    /// A pong that carried the ping's data.
    pong: bool,
    /// The text `final` sent back.
    echoed: bool,
    /// The framing error that ended the session (an unmasked frame…).
    protocol_error: Option<String>,
    /// The client closed before the server did, with this code.
    closed_first: Option<u16>,
    /// The client's Close answering the server's, with this code.
    close_answered: Option<u16>,
}

/// Answers a WebSocket handshake with 101 and watches the session; any
/// other request gets 426 naming WebSocket (the client did not ask for
/// one, so the scenario does not apply to it).
pub(super) async fn scenario(app: &App, ex: &mut Exchange<'_>, run: &str, name: &str) -> Outcome {
    let req = ex.request();
    let key = match handshake(req) {
        Handshake::Valid(key) if !req.version().is_multiplexed() => key.to_owned(),
        _ => {
            let head = plain(Status::UPGRADE_REQUIRED)
                .header("Upgrade", "websocket")
                .header("Connection", "Upgrade");
            let why = "this scenario is for WebSocket clients: ask with a WebSocket handshake\n";
            return sent(ex.respond(head, why).await);
        }
    };
    let accept = if name == "upgrade-101" {
        derive_accept_key(key.as_bytes())
    } else {
        // A well-formed value, made from a key this client did not send.
        derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ==")
    };
    let head = Head::new(Status::SWITCHING_PROTOCOLS)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Accept", accept);
    let upgraded = match ex.switch(head).await {
        Ok(u) => u,
        Err(e) => {
            tracing::debug!("grade switch failed: {e}");
            return Ok(());
        }
    };
    let mut ws = server_stream(upgraded, 64 * 1024).await;
    let seen = watch(&mut ws).await;
    // Recorded before the connection closes, so that the record is there
    // by the time the client sees the end.
    let event = json!({
        "scenario": name,
        "step": "websocket",
        "frames": seen.frames,
        "pong": seen.pong,
        "echoed": seen.echoed,
        "protocol_error": seen.protocol_error.as_deref().map(|e| short(e, 64)),
        "closed_first": seen.closed_first,
        "close_answered": seen.close_answered,
    });
    if let Err(e) = record(app, run, name, event).await {
        tracing::warn!(
            "grade: the WebSocket session of run {run} was not recorded: {}",
            e.detail()
        );
    }
    Ok(())
}

/// Pings, sends `final`, takes the pong and the echo (or whatever comes
/// within [`ANSWER_WITHIN`]), then closes and waits for the client's Close.
async fn watch<S>(ws: &mut WebSocketStream<S>) -> Seen
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut seen = Seen::default();
    if ws.send(Message::Ping(PING.into())).await.is_err()
        || ws.send(Message::Text("final".into())).await.is_err()
    {
        return seen;
    }
    let deadline = Instant::now() + ANSWER_WITHIN;
    while !(seen.pong && seen.echoed) {
        let Ok(next) = timeout_at(deadline, ws.next()).await else {
            break;
        };
        match next {
            Some(Ok(msg)) => {
                seen.frames += 1;
                match msg {
                    Message::Pong(data) => seen.pong |= data.as_ref() == PING,
                    Message::Text(text) => seen.echoed |= text.as_str() == "final",
                    Message::Close(frame) => {
                        seen.closed_first = Some(frame.map_or(1005, |f| u16::from(f.code)));
                        // The answering Close is queued: send it.
                        let _ = ws.flush().await;
                        return seen;
                    }
                    _ => {}
                }
            }
            Some(Err(Error::Protocol(e))) => {
                seen.protocol_error = Some(e.to_string());
                let frame = CloseFrame {
                    code: CloseCode::Protocol,
                    reason: "protocol error".into(),
                };
                let _ = ws.close(Some(frame)).await;
                return seen;
            }
            // Gone, or a message this scenario does not take.
            Some(Err(_)) | None => return seen,
        }
    }
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "done".into(),
    };
    if ws.close(Some(frame)).await.is_err() {
        return seen;
    }
    let deadline = Instant::now() + CLOSE_WITHIN;
    while let Ok(Some(Ok(msg))) = timeout_at(deadline, ws.next()).await {
        seen.frames += 1;
        if let Message::Close(frame) = msg {
            seen.close_answered = Some(frame.map_or(1005, |f| u16::from(f.code)));
            break;
        }
    }
    seen
}
