//! The wire operations an exchange needs from its protocol, and nothing
//! else: the HTTP/1 driver (`h1::wire`) and the HTTP/2 driver
//! (`h2::stream`) each implement [`Wire`], and the exchange calls only
//! these, so it names neither protocol and they never name each other.
//!
//! Writes are staged, then flushed: staging is synchronous (HTTP/1 writes
//! into its buffer, HTTP/2 hands heads to the `h2` crate), and
//! [`Wire::poll_flush`] sends what is staged (HTTP/1: the buffer to the
//! socket; HTTP/2: content as the client's flow control allows). The
//! waiting operations are `poll_` functions, so a call costs no allocation
//! and the trait is object-safe: an exchange holds a `&mut dyn Wire`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Sleep;

use super::Upgraded;
use crate::error::BodyError;
use crate::limits::Limits;
use crate::message::Request;
use crate::response::{AnswerFields, Framing, Head};
use crate::service::Fault;

/// One exchange's view of its protocol.
pub(crate) trait Wire: Send {
    /// Whether the exchange shares its connection with others (HTTP/2
    /// streams). If so, its errors and faults stay with it where the
    /// protocol allows; if not (HTTP/1), the connection cannot be trusted
    /// after an error, a body left unread or content cut short.
    fn multiplexed(&self) -> bool;

    /// Whether this is the request of an `Upgrade: h2c`, answered over
    /// HTTP/2.
    fn is_h2c_upgrade(&self) -> bool {
        false
    }

    /// Whether the connection ends after this exchange whatever its
    /// answer: the client or the server's shutdown asked for it, or the
    /// body left unread cannot be skipped cheaply (`continue_pending`: the
    /// client waits for `100 Continue` that will not come).
    fn closes_after(&self, req: &Request, continue_pending: bool, limits: &Limits) -> bool;

    /// Whether the whole request body has been read.
    fn body_done(&self) -> bool;

    /// Body bytes still to come, when the request declared its length.
    fn body_remaining(&self, req: &Request) -> Option<u64>;

    /// Stages `100 Continue`, unless body bytes have already arrived.
    /// Returns whether it was staged.
    fn stage_continue(&mut self) -> io::Result<bool>;

    /// Reads the next piece of the body; `None` at its end. Waits at most
    /// `limits.request_timeout` for each piece.
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        limits: &Limits,
    ) -> Poll<Result<Option<Bytes>, BodyError>>;

    /// The trailer fields, once the body has been read to its end.
    fn take_trailers(&mut self) -> Vec<(String, Bytes)>;

    /// Stages an interim (1xx) response.
    fn stage_interim(&mut self, head: &Head) -> io::Result<()>;

    /// Stages the final head with the fields the service adds to every
    /// answer. `end`: no content follows. `close`: the connection ends
    /// after this response.
    fn stage_head(
        &mut self,
        head: &Head,
        extra: &AnswerFields,
        framing: Framing,
        end: bool,
        close: bool,
        req: &Request,
    ) -> io::Result<()>;

    /// Stages content; `last` ends it (for a response of known length).
    fn stage_data(&mut self, data: Bytes, framing: Framing, last: bool) -> io::Result<()>;

    /// Stages the end of content of unknown length, with trailer fields
    /// (already checked) when there are any and the protocol can carry
    /// them to this client.
    fn stage_end(&mut self, trailers: &[(String, Bytes)]) -> io::Result<()>;

    /// Sends what is staged. A client that lets nothing through for
    /// `stall` has the exchange ended.
    fn poll_flush(&mut self, cx: &mut Context<'_>, stall: Duration) -> Poll<io::Result<()>>;

    /// Waits until content can go without piling up in the server; returns
    /// how many bytes (at least 1, at most `want`) may be staged at once.
    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        want: usize,
        stall: Duration,
    ) -> Poll<io::Result<usize>>;

    /// Content was cut short of its declared length (a handler bug): the
    /// stream is reset where the protocol has streams.
    fn abandon(&mut self);

    /// Stages a 101 that hands over the connection; refused where the
    /// protocol has no 101.
    fn stage_switch(&mut self, head: &Head) -> io::Result<()>;

    /// The connection, after a switch has been flushed.
    fn upgraded(&mut self) -> Option<Upgraded<'_>>;

    /// Stages a fault. Returns whether the connection ends with it.
    fn stage_fault(&mut self, fault: Fault) -> io::Result<bool>;

    /// Refuses the request as one only HTTP/1.1 can answer; returns whether
    /// the protocol could say so (HTTP/2's `HTTP_1_1_REQUIRED`).
    fn refuse_for_http11(&mut self) -> bool;
}

/// A timer started the first time an operation has to wait, and stopped
/// when it makes progress: the "at most this long without progress" of the
/// `poll_` operations. Allocates once, when something first waits.
#[derive(Default)]
pub(crate) struct Deadline {
    sleep: Option<Pin<Box<Sleep>>>,
    running: bool,
}

impl Deadline {
    /// Whether `after` has passed since the wait began (starting it now if
    /// it is not running); registers for a wake-up otherwise.
    pub(crate) fn expired(&mut self, cx: &mut Context<'_>, after: Duration) -> bool {
        let at = tokio::time::Instant::now() + after;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        if !self.running {
            sleep.as_mut().reset(at);
            self.running = true;
        }
        sleep.as_mut().poll(cx).is_ready()
    }

    /// Progress was made: the next wait starts afresh.
    pub(crate) fn stop(&mut self) {
        self.running = false;
    }
}
