//! One HTTP/2 stream as an exchange sees it: the request body under the
//! stream's flow control, interim and final heads, content sent as the
//! client's window allows (and bounded per connection while it waits),
//! resets and aborts.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use std::task::{ready, Context, Poll};
use std::time::Duration;

use ::h2::server::SendResponse;
use ::h2::{Reason, RecvStream, SendStream};
use bytes::Bytes;

use teapot_codes::Status;

use crate::error::{BodyError, RequestError};
use crate::exchange::wire::{Deadline, Wire};
use crate::exchange::{misuse, Upgraded};
use crate::limits::Limits;
use crate::message::Request;
use crate::response::{AnswerFields, Framing, Head};
use crate::service::{Defense, Fault, Observe};

use super::{MAX_HELD, SEND_BUFFER};
use crate::multiplexed::{body_remaining, final_head, to_http, trailer_list, trailer_map};

/// What streams tell their connection.
#[derive(Debug, Default)]
pub(crate) struct Signals {
    /// A stream asked to end the connection gracefully (`GOAWAY`, then no
    /// new streams).
    pub(super) goaway: AtomicBool,
    /// A stream asked to end the connection now, with this error code
    /// (plus one; zero for none).
    pub(super) abort: AtomicU32,
    /// Response bytes held while waiting for flow control, all streams.
    pub(super) held: AtomicUsize,
    /// Told about the bounds enforced.
    pub(super) observer: Option<Arc<dyn Observe>>,
}

impl Signals {
    pub(super) fn defended(&self, defense: Defense) {
        if let Some(o) = &self.observer {
            o.defended(defense);
        }
    }
}

/// Bytes counted in [`Signals::held`] while a send waits; given back when
/// dropped.
struct Held<'a> {
    signals: &'a Signals,
    bytes: usize,
}

impl<'a> Held<'a> {
    /// Counts `bytes` as held, unless the connection already holds others
    /// and would go over [`MAX_HELD`]. One stream alone may always wait.
    fn take(signals: &'a Signals, bytes: usize) -> Option<Held<'a>> {
        let before = signals.held.fetch_add(bytes, Ordering::Relaxed);
        if before > 0 && before + bytes > MAX_HELD {
            signals.held.fetch_sub(bytes, Ordering::Relaxed);
            return None;
        }
        Some(Held { signals, bytes })
    }

    fn set(&mut self, bytes: usize) {
        if bytes < self.bytes {
            self.signals
                .held
                .fetch_sub(self.bytes - bytes, Ordering::Relaxed);
            self.bytes = bytes;
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.signals.held.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// One HTTP/2 stream as an exchange sees it.
pub(crate) struct Stream<'c> {
    respond: SendResponse<Bytes>,
    send: Option<SendStream<Bytes>>,
    recv: RecvStream,
    trailers: Vec<(String, Bytes)>,
    /// The body has ended (after its trailers, if any).
    done: bool,
    /// The DATA frames have ended; the trailers are next.
    reading_trailers: bool,
    body_read: u64,
    upgraded: bool,
    signals: &'c Signals,
    /// Content staged, and whether it ends the stream.
    pending: Option<(Bytes, bool)>,
    /// The staged content's count against the connection's [`MAX_HELD`]
    /// while it waits for a window.
    held: Option<Held<'c>>,
    reading: Deadline,
    sending: Deadline,
}

fn h2_io(e: ::h2::Error) -> io::Error {
    if e.is_io() {
        e.into_io()
            .unwrap_or_else(|| io::ErrorKind::BrokenPipe.into())
    } else {
        io::Error::new(io::ErrorKind::BrokenPipe, e)
    }
}

impl<'c> Stream<'c> {
    pub(super) fn new(
        respond: SendResponse<Bytes>,
        recv: RecvStream,
        upgraded: bool,
        signals: &'c Signals,
    ) -> Stream<'c> {
        Stream {
            respond,
            send: None,
            recv,
            trailers: Vec::new(),
            done: false,
            reading_trailers: false,
            body_read: 0,
            upgraded,
            signals,
            pending: None,
            held: None,
            reading: Deadline::default(),
            sending: Deadline::default(),
        }
    }

    fn reset(&mut self, reason: Reason) {
        match &mut self.send {
            Some(send) => send.send_reset(reason),
            None => self.respond.send_reset(reason),
        }
    }

    /// Ends the whole connection with `GOAWAY` and this error code.
    fn abort(&mut self, reason: Reason) {
        self.signals
            .abort
            .store(u32::from(reason) + 1, Ordering::Relaxed);
        self.reset(reason);
    }

    fn sender(&mut self) -> io::Result<&mut SendStream<Bytes>> {
        self.send
            .as_mut()
            .ok_or_else(|| misuse("content needs a final response"))
    }

    /// Waits for send capacity; a client that opens no window for `stall`
    /// has the stream reset (as nginx's `send_timeout` gives up on a
    /// reader that stopped).
    fn poll_capacity(&mut self, cx: &mut Context<'_>, stall: Duration) -> Poll<io::Result<()>> {
        let signals = self.signals;
        let send = self.sender()?;
        match send.poll_capacity(cx) {
            Poll::Ready(Some(Ok(_))) => {
                self.sending.stop();
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Err(h2_io(e))),
            Poll::Ready(None) => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
            Poll::Pending => {
                if self.sending.expired(cx, stall) {
                    self.sending.stop();
                    send_reset(&mut self.send, Reason::CANCEL);
                    signals.defended(Defense::StalledReader);
                    return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
                }
                Poll::Pending
            }
        }
    }
}

fn send_reset(send: &mut Option<SendStream<Bytes>>, reason: Reason) {
    if let Some(send) = send {
        send.send_reset(reason);
    }
}

impl Wire for Stream<'_> {
    fn multiplexed(&self) -> bool {
        true
    }

    fn is_h2c_upgrade(&self) -> bool {
        self.upgraded
    }

    fn closes_after(&self, _req: &Request, _continue_pending: bool, _limits: &Limits) -> bool {
        false
    }

    fn body_done(&self) -> bool {
        self.done || self.recv.is_end_stream()
    }

    fn body_remaining(&self, req: &Request) -> Option<u64> {
        body_remaining(req, self.body_read)
    }

    fn stage_continue(&mut self) -> io::Result<bool> {
        self.stage_interim(&Head::new(Status::CONTINUE))?;
        Ok(true)
    }

    /// The next DATA payload of the request; `None` at the end of the
    /// stream (trailers, if any, are kept).
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        limits: &Limits,
    ) -> Poll<Result<Option<Bytes>, BodyError>> {
        loop {
            if self.reading_trailers {
                let trailers = match self.recv.poll_trailers(cx) {
                    Poll::Ready(Ok(t)) => t,
                    Poll::Ready(Err(_)) => None,
                    // Trailers that never come end the body all the same.
                    Poll::Pending if !self.reading.expired(cx, limits.request_timeout) => {
                        return Poll::Pending;
                    }
                    Poll::Pending => None,
                };
                if let Some(map) = trailers {
                    self.trailers = trailer_list(&map);
                }
                self.reading.stop();
                self.reading_trailers = false;
                self.done = true;
                return Poll::Ready(Ok(None));
            }
            if self.body_done() {
                self.done = true;
                return Poll::Ready(Ok(None));
            }
            let data = match self.recv.poll_data(cx) {
                Poll::Pending => {
                    if self.reading.expired(cx, limits.request_timeout) {
                        self.reading.stop();
                        return Poll::Ready(Err(BodyError::Request(RequestError::Timeout)));
                    }
                    return Poll::Pending;
                }
                Poll::Ready(None) => {
                    self.reading.stop();
                    self.reading_trailers = true;
                    continue;
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(BodyError::Io(h2_io(e)))),
                Poll::Ready(Some(Ok(d))) => d,
            };
            self.reading.stop();
            let _ = self.recv.flow_control().release_capacity(data.len());
            self.body_read += data.len() as u64;
            if self.body_read > limits.max_body {
                return Poll::Ready(Err(BodyError::Request(RequestError::BodyTooLarge)));
            }
            if !data.is_empty() {
                return Poll::Ready(Ok(Some(data)));
            }
        }
    }

    fn take_trailers(&mut self) -> Vec<(String, Bytes)> {
        std::mem::take(&mut self.trailers)
    }

    fn stage_interim(&mut self, head: &Head) -> io::Result<()> {
        let resp = to_http(head, Framing::None, false)?;
        self.respond.send_informational(resp).map_err(h2_io)
    }

    fn stage_head(
        &mut self,
        head: &Head,
        extra: &AnswerFields,
        framing: Framing,
        end: bool,
        _close: bool,
        _req: &Request,
    ) -> io::Result<()> {
        let resp = final_head(head, extra, framing)?;
        let send = self.respond.send_response(resp, end).map_err(h2_io)?;
        self.send = Some(send);
        Ok(())
    }

    fn stage_data(&mut self, data: Bytes, _framing: Framing, last: bool) -> io::Result<()> {
        self.sender()?;
        if self.pending.is_some() {
            return Err(misuse("content staged twice"));
        }
        self.pending = Some((data, last));
        Ok(())
    }

    fn stage_end(&mut self, trailers: &[(String, Bytes)]) -> io::Result<()> {
        if trailers.is_empty() {
            return self.stage_data(Bytes::new(), Framing::Chunked, true);
        }
        // A trailing HEADERS frame ends the stream (RFC 9113 §8.1).
        let map = trailer_map(trailers)?;
        self.sender()?.send_trailers(map).map_err(h2_io)
    }

    /// Sends the staged content as the client's flow control allows.
    /// Content that has to wait for a window counts against the
    /// connection's [`MAX_HELD`].
    fn poll_flush(&mut self, cx: &mut Context<'_>, stall: Duration) -> Poll<io::Result<()>> {
        let signals = self.signals;
        loop {
            let Some((data, end)) = &mut self.pending else {
                self.held = None;
                return Poll::Ready(Ok(()));
            };
            let end = *end;
            let Some(send) = self.send.as_mut() else {
                self.pending = None;
                return Poll::Ready(Err(misuse("content needs a final response")));
            };
            if data.is_empty() {
                let data = std::mem::take(data);
                self.pending = None;
                self.held = None;
                return Poll::Ready(send.send_data(data, end).map_err(h2_io));
            }
            send.reserve_capacity(data.len().min(SEND_BUFFER));
            let granted = send.capacity();
            if granted > 0 {
                let piece = data.split_to(granted.min(data.len()));
                let last = end && data.is_empty();
                if let Err(e) = send.send_data(piece, last) {
                    self.pending = None;
                    self.held = None;
                    return Poll::Ready(Err(h2_io(e)));
                }
                if data.is_empty() {
                    self.pending = None;
                }
                continue;
            }
            let waiting = data.len();
            match &mut self.held {
                Some(h) => h.set(waiting),
                None => match Held::take(signals, waiting) {
                    Some(h) => self.held = Some(h),
                    None => {
                        send.send_reset(Reason::ENHANCE_YOUR_CALM);
                        self.pending = None;
                        signals.defended(Defense::HeldBytes);
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::OutOfMemory,
                            "the connection holds too much content waiting for flow control",
                        )));
                    }
                },
            }
            if let Err(e) = ready!(self.poll_capacity(cx, stall)) {
                self.pending = None;
                self.held = None;
                return Poll::Ready(Err(e));
            }
        }
    }

    /// Waits until the client's flow control lets at least one byte of
    /// content go, and returns how many (at most `want`) may be sent now
    /// without being buffered.
    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        want: usize,
        stall: Duration,
    ) -> Poll<io::Result<usize>> {
        let want = want.clamp(1, SEND_BUFFER);
        loop {
            let send = self.sender()?;
            send.reserve_capacity(want);
            let granted = send.capacity();
            if granted > 0 {
                return Poll::Ready(Ok(granted.min(want)));
            }
            ready!(self.poll_capacity(cx, stall))?;
        }
    }

    fn abandon(&mut self) {
        self.reset(Reason::INTERNAL_ERROR);
    }

    fn stage_switch(&mut self, _head: &Head) -> io::Result<()> {
        Err(misuse("HTTP/2 has no 101 Switching Protocols"))
    }

    fn upgraded(&mut self) -> Option<Upgraded<'_>> {
        None
    }

    fn stage_fault(&mut self, fault: Fault) -> io::Result<bool> {
        match fault {
            Fault::Reset => {
                self.reset(Reason::INTERNAL_ERROR);
                Ok(false)
            }
            Fault::Close => {
                self.abort(Reason::NO_ERROR);
                Ok(true)
            }
            // Bytes that cannot be framed: the connection ends as broken.
            Fault::Raw(_) => {
                self.abort(Reason::PROTOCOL_ERROR);
                Ok(true)
            }
        }
    }

    fn refuse_for_http11(&mut self) -> bool {
        self.reset(Reason::HTTP_1_1_REQUIRED);
        true
    }
}
