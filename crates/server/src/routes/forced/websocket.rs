//! 101: a real WebSocket switch when the request offers one (and an echo
//! until the close handshake), 426 otherwise.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use teapot_codes::Status;
use teapot_wire::{Exchange, Head, Method, Request, Upgraded};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::*;
use crate::routes::{sent, Outcome};

/// 101 when the client offers a WebSocket upgrade; 426 otherwise.
///
/// HTTP/2 has no 101 (RFC 9113 §8.6). There the request that switched a
/// connection by `Upgrade: h2c` already had its 101 and gets the final
/// response on stream 1; any other is refused with `HTTP_1_1_REQUIRED`, so
/// that the client asks again over HTTP/1.1.
pub(super) async fn switch(ex: &mut Exchange<'_>, opts: &Options) -> Outcome {
    if ex.request().version().is_multiplexed() {
        if ex.is_h2c_upgrade() {
            return final_response(ex, Status::OK, opts, false).await;
        }
        return sent(ex.require_http11().await);
    }
    let key = match handshake(ex.request()) {
        Handshake::NotOffered => return upgrade_required(ex, opts, "101 needs a request that offers an upgrade: send Upgrade: websocket with Connection: Upgrade and a WebSocket handshake.").await,
        Handshake::NotGet => {
            return Err(bad(
                "bad-handshake",
                "A WebSocket handshake is a GET request.".into(),
            ))
        }
        Handshake::OtherVersion => return other_version(ex).await,
        Handshake::BadKey => {
            return Err(bad(
                "bad-handshake",
                "Sec-WebSocket-Key must be 16 random bytes in base64 (24 characters).".into(),
            ))
        }
        Handshake::Valid(key) => key.to_owned(),
    };
    let mut head = Head::new(Status::SWITCHING_PROTOCOLS)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Accept", derive_accept_key(key.as_bytes()));
    for (name, value) in &opts.headers {
        head = head.header(name.clone(), value.clone());
    }
    let upgraded = match ex.switch(head).await {
        Ok(u) => u,
        Err(e) => {
            tracing::debug!("switch failed: {e}");
            return Ok(());
        }
    };
    echo(server_stream(upgraded, 1 << 20).await).await;
    Ok(())
}

/// What a request offers of a WebSocket opening handshake (RFC 6455
/// §4.2.1), over HTTP/1.1.
pub(crate) enum Handshake<'r> {
    /// No `Upgrade: websocket` with `Connection: Upgrade`.
    NotOffered,
    /// Offered, but not with GET.
    NotGet,
    /// A `Sec-WebSocket-Version` other than 13.
    OtherVersion,
    /// A `Sec-WebSocket-Key` that is not 16 bytes in base64.
    BadKey,
    /// A complete handshake, with its key.
    Valid(&'r str),
}

/// Reads the WebSocket handshake a request offers.
pub(crate) fn handshake(req: &Request) -> Handshake<'_> {
    if !(req.wants_upgrade() && req.has_token("upgrade", "websocket")) {
        return Handshake::NotOffered;
    }
    if req.method() != Method::Get {
        return Handshake::NotGet;
    }
    if req.header_str("sec-websocket-version").map(str::trim) != Some("13") {
        return Handshake::OtherVersion;
    }
    let key = req
        .header_str("sec-websocket-key")
        .map(str::trim)
        .unwrap_or("");
    if !is_websocket_key(key) {
        return Handshake::BadKey;
    }
    Handshake::Valid(key)
}

/// The server's side of a switched connection, taking messages and frames
/// of at most `max` bytes.
pub(crate) async fn server_stream<'a>(
    upgraded: Upgraded<'a>,
    max: usize,
) -> WebSocketStream<Upgraded<'a>> {
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(max);
    config.max_frame_size = Some(max);
    WebSocketStream::from_raw_socket(upgraded, Role::Server, Some(config)).await
}

/// 426 naming the one WebSocket version this server speaks.
async fn other_version(ex: &mut Exchange<'_>) -> Outcome {
    let head = Head::new(Status::UPGRADE_REQUIRED)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Version", "13")
        .header("Content-Type", "text/plain; charset=utf-8");
    sent(
        ex.respond(
            head,
            "426 Upgrade Required\nThis server speaks WebSocket version 13.\n",
        )
        .await,
    )
}

/// How long a WebSocket may stay silent before the server closes it.
pub(super) const WS_IDLE: Duration = Duration::from_secs(60);

/// How long the server waits for the client's Close after sending its own.
pub(super) const WS_CLOSING: Duration = Duration::from_secs(2);

/// Echoes text and binary messages until the client closes, breaks the
/// protocol, or stays silent for a minute, and closes as RFC 6455 §5.5.1
/// and §7.4.1 say: a client's Close is answered with a Close carrying the
/// same code; a protocol error (an unmasked frame among others) is closed
/// with 1002, a text message that is not UTF-8 with 1007, a message over
/// the size limit with 1009, silence with 1001. The server then closes the
/// TCP connection first (§7.1.1).
pub(super) async fn echo<S>(mut ws: WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::Error;
    let (code, reason) = loop {
        match tokio::time::timeout(WS_IDLE, ws.next()).await {
            Err(_) => break (CloseCode::Away, "idle for too long"),
            Ok(None) => return,
            Ok(Some(Ok(msg @ (Message::Text(_) | Message::Binary(_))))) => {
                if ws.send(msg).await.is_err() {
                    return;
                }
            }
            Ok(Some(Ok(Message::Close(_)))) => {
                // The echo of the client's Close is queued: send it.
                let _ = ws.flush().await;
                return;
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(Error::Utf8(_)))) => {
                break (CloseCode::Invalid, "a text message must be UTF-8")
            }
            Ok(Some(Err(Error::Protocol(_)))) => break (CloseCode::Protocol, "protocol error"),
            Ok(Some(Err(Error::Capacity(_)))) => break (CloseCode::Size, "message too big"),
            // The connection is gone.
            Ok(Some(Err(_))) => return,
        }
    };
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if ws.close(Some(frame)).await.is_err() {
        return;
    }
    // Wait a little for the client's Close, reading past anything else.
    let _ = tokio::time::timeout(WS_CLOSING, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

pub(super) fn is_websocket_key(key: &str) -> bool {
    key.len() == 24
        && key.ends_with("==")
        && key[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

pub(super) async fn upgrade_required(ex: &mut Exchange<'_>, opts: &Options, why: &str) -> Outcome {
    let status = Status::UPGRADE_REQUIRED;
    let mut head = Head::new(status)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade");
    let body = generic_body(ex, status, &mut head, Some(why));
    head = with_user_headers(head, opts);
    sent(ex.respond(head, body).await)
}
