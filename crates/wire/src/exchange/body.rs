//! Reading the request body: the first read sends `100 Continue` when the
//! client waits for it; limits and a body cut short become the engine's
//! answer.

use std::future::poll_fn;

use bytes::{Bytes, BytesMut};

use super::{Exchange, State};
use crate::error::{BodyError, RequestError};
use crate::message::BodyKind;

impl Exchange<'_> {
    /// Whether the whole request body has been read.
    pub(super) fn body_done(&self) -> bool {
        self.wire.body_done()
    }

    /// Body bytes still to come, when the request declared its length.
    pub(super) fn body_remaining(&self) -> Option<u64> {
        self.wire.body_remaining(&self.req)
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
        if wants_continue && self.wire.stage_continue().map_err(BodyError::Io)? {
            self.continue_sent = true;
            self.interim_sent += 1;
            self.flush().await.map_err(BodyError::Io)?;
        }
        let limits = self.limits;
        match poll_fn(|cx| self.wire.poll_read(cx, limits)).await {
            Ok(Some(d)) => Ok(Some(d)),
            Ok(None) => {
                self.trailers = self.wire.take_trailers();
                Ok(None)
            }
            Err(e) => {
                self.body_error = Some(match e {
                    BodyError::Request(r) => r,
                    // The connection failed or, over HTTP/2, the stream was
                    // reset: the client's doing, not the handler's.
                    BodyError::Io(_) => RequestError::IncompleteBody,
                });
                // The engine answers 400 if the client still reads; over
                // HTTP/1 the connection cannot be trusted after it.
                if !self.wire.multiplexed() {
                    self.close = true;
                }
                Err(e)
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
        if !self.wire.multiplexed() {
            self.close = true;
        }
        BodyError::Request(RequestError::BodyTooLarge)
    }
}
