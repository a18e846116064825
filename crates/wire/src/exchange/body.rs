//! Reading the request body: the first read sends `100 Continue` when the
//! client waits for it; limits and a body cut short become the engine's
//! answer.

use bytes::{Bytes, BytesMut};
use teapot_codes::Status;
use tokio::io::AsyncWriteExt;

use super::{Exchange, State, Wire};
use crate::error::{BodyError, RequestError};
use crate::h1::conn::read_more;
use crate::h1::decode::Decoded;
use crate::message::BodyKind;
use crate::response::Head;

impl Exchange<'_> {
    /// Whether the whole request body has been read.
    pub(super) fn body_done(&self) -> bool {
        match &self.wire {
            Wire::H1 { decoder, .. } => decoder.is_done(),
            Wire::H2(s) => s.body_done(),
        }
    }

    /// Body bytes still to come, when the request declared its length.
    pub(super) fn body_remaining(&self) -> Option<u64> {
        match &self.wire {
            Wire::H1 { decoder, .. } => decoder.remaining(),
            Wire::H2(s) => match self.req.body_kind() {
                BodyKind::Length(n) => Some(n.saturating_sub(s.body_read)),
                _ => None,
            },
        }
    }

    /// Reads the next piece of the request body; `None` at its end.
    ///
    /// On the first call for a request that sent `Expect: 100-continue`,
    /// the engine sends `100 Continue` (unless body bytes have already
    /// arrived or a final response went out).
    pub async fn read_chunk(&mut self) -> Result<Option<Bytes>, BodyError> {
        if let Some(e) = self.body_error {
            return Err(BodyError::Request(e));
        }
        if self.body_done() {
            return Ok(None);
        }
        let wants_continue =
            self.req.expects_continue() && !self.continue_sent && self.state == State::Head;
        let timeout = self.limits.request_timeout;
        let (conn, decoder) = match &mut self.wire {
            Wire::H1 { conn, decoder, .. } => (conn, decoder),
            Wire::H2(s) => {
                if wants_continue {
                    self.continue_sent = true;
                    self.interim_sent += 1;
                    s.interim(&Head::new(Status::CONTINUE))
                        .map_err(BodyError::Io)?;
                }
                let read = s.read_chunk(timeout, self.limits.max_body).await;
                match read {
                    Ok(Some(d)) => return Ok(Some(d)),
                    Ok(None) => {
                        self.trailers = s.take_trailers();
                        return Ok(None);
                    }
                    Err(e) => {
                        self.body_error = Some(match e {
                            BodyError::Request(r) => r,
                            // The stream was reset or the connection lost.
                            BodyError::Io(_) => RequestError::IncompleteBody,
                        });
                        return Err(e);
                    }
                }
            }
        };
        if wants_continue && conn.rbuf.is_empty() {
            self.continue_sent = true;
            self.interim_sent += 1;
            conn.io
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await
                .map_err(BodyError::Io)?;
            conn.io.flush().await.map_err(BodyError::Io)?;
        }
        loop {
            match decoder.decode(&mut conn.rbuf, self.limits) {
                Ok(Decoded::Data(d)) => return Ok(Some(d)),
                Ok(Decoded::End) => {
                    self.trailers = decoder.take_trailers();
                    return Ok(None);
                }
                Ok(Decoded::NeedMore) => {}
                Err(e) => {
                    self.body_error = Some(e);
                    self.close = true;
                    return Err(BodyError::Request(e));
                }
            }
            let read = tokio::time::timeout(timeout, read_more(&mut conn.io, &mut conn.rbuf)).await;
            match read {
                // The client's fault, not the handler's: the engine answers
                // 400 if the client still reads, and closes.
                Ok(Ok(0)) => {
                    self.body_error = Some(RequestError::IncompleteBody);
                    self.close = true;
                    return Err(BodyError::Request(RequestError::IncompleteBody));
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    self.body_error = Some(RequestError::IncompleteBody);
                    self.close = true;
                    return Err(BodyError::Io(e));
                }
                Err(_) => {
                    self.body_error = Some(RequestError::Timeout);
                    self.close = true;
                    return Err(BodyError::Request(RequestError::Timeout));
                }
            }
        }
    }

    /// Refuses a chunked body: answers 411 (Length Required) and closes the
    /// connection, for resources that need the length up front (RFC 9112
    /// §6.3). Returns whether the request may go on. HTTP/2 bodies are
    /// framed by the protocol and always pass.
    pub async fn require_length(&mut self) -> bool {
        if self.req.body_kind() != BodyKind::Chunked {
            return true;
        }
        let _ = self.send_error(RequestError::LengthRequired).await;
        false
    }

    /// Reads the whole body, up to `limit` bytes (and never more than the
    /// engine's `max_body`); a longer body is a 413 error.
    pub async fn read_body(&mut self, limit: usize) -> Result<Bytes, BodyError> {
        let limit = (limit as u64).min(self.limits.max_body);
        if self.body_remaining().is_some_and(|n| n > limit) {
            return Err(self.too_large());
        }
        let mut out = BytesMut::new();
        while let Some(chunk) = self.read_chunk().await? {
            if (out.len() + chunk.len()) as u64 > limit {
                return Err(self.too_large());
            }
            if out.is_empty() && self.body_done() {
                return Ok(chunk);
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    pub(super) fn too_large(&mut self) -> BodyError {
        self.body_error = Some(RequestError::BodyTooLarge);
        if matches!(self.wire, Wire::H1 { .. }) {
            self.close = true;
        }
        BodyError::Request(RequestError::BodyTooLarge)
    }
}
