//! One HTTP/3 request stream as an exchange sees it: the request body
//! under QUIC flow control, interim and final heads, content sent as the
//! client's window allows, resets and connection closes.
//!
//! The `h3` crate writes with `async` functions that borrow the stream, and
//! an exchange stages writes synchronously and then polls a flush. So a
//! flush moves the sending half into one boxed future, with the operations
//! staged so far, and takes it back when they are done ([`Flight`]). Each
//! operation gets at most the stall time to make progress; content goes in
//! pieces of at most [`PIECE`] bytes, so that holds for large bodies too.
//! A reset is an operation like the others, so content staged before a
//! fault goes before the fault. QUIC drops what a reset stream has not yet
//! delivered, so a reset that follows content waits a few round trips for
//! it to arrive (see [`super::linger`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use h3::error::{Code, StreamError};
use h3::server::RequestStream;
use teapot_codes::Status;

use crate::error::{BodyError, RequestError};
use crate::exchange::wire::{Deadline, Wire};
use crate::exchange::{misuse, Upgraded};
use crate::limits::Limits;
use crate::message::Request;
use crate::multiplexed::{body_remaining, final_head, to_http, trailer_list, trailer_map};
use crate::response::{AnswerFields, Framing, Head};
use crate::service::{Defense, Fault, Observe};

type SendHalf = RequestStream<h3_quinn::SendStream<Bytes>, Bytes>;
type RecvHalf = RequestStream<h3_quinn::RecvStream, Bytes>;

/// Largest piece of content written as one operation.
const PIECE: usize = 64 * 1024;

/// How long what a dropped exchange left staged may take to go.
const LEFT_OVER_STALL: Duration = Duration::from_secs(10);

/// What streams tell their connection.
#[derive(Default)]
pub(crate) struct Signals {
    /// A stream asked to end the connection gracefully (`GOAWAY`, then no
    /// new requests).
    pub(super) goaway: AtomicBool,
    /// A stream asked to close the connection now, with this error code
    /// (plus one; zero for none).
    pub(super) abort: AtomicU64,
    /// Told about the bounds enforced.
    observer: Option<Arc<dyn Observe>>,
    /// Sending halves of streams whose fault closes the connection: kept
    /// open until it is closed, since dropping one would end its stream
    /// as if the answer were whole.
    parked: std::sync::Mutex<Vec<SendHalf>>,
}

impl Signals {
    pub(super) fn new(observer: Option<Arc<dyn Observe>>) -> Signals {
        Signals {
            observer,
            ..Signals::default()
        }
    }

    pub(super) fn defended(&self, defense: Defense) {
        if let Some(o) = &self.observer {
            o.defended(defense);
        }
    }

    /// The error code a stream asked the connection to close with.
    pub(super) fn abort(&self) -> Option<quinn::VarInt> {
        match self.abort.load(Ordering::Relaxed) {
            0 => None,
            n => quinn::VarInt::from_u64(n - 1).ok(),
        }
    }
}

/// A write the exchange staged.
enum Op {
    Head(::http::Response<()>),
    Data(Bytes),
    Trailers(::http::HeaderMap),
    Finish,
    /// Reset the stream, after waiting this long for what went before it
    /// to be delivered.
    Reset(Code, Duration),
}

/// The sending half at work on staged operations; it comes back with the
/// outcome.
type Flight = Pin<Box<dyn Future<Output = (SendHalf, io::Result<()>)> + Send>>;

fn h3_io(e: StreamError) -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, e.to_string())
}

/// Carries out `ops` in order, each within `stall`: a client that lets
/// nothing through for that long has the stream reset.
async fn fly(mut send: SendHalf, ops: Vec<Op>, stall: Duration) -> (SendHalf, io::Result<()>) {
    for op in ops {
        let step = match op {
            Op::Reset(code, wait) => {
                tokio::time::sleep(wait).await;
                send.stop_stream(code);
                return (send, Ok(()));
            }
            Op::Head(resp) => tokio::time::timeout(stall, send.send_response(resp)).await,
            Op::Data(data) => tokio::time::timeout(stall, send.send_data(data)).await,
            Op::Trailers(map) => tokio::time::timeout(stall, send.send_trailers(map)).await,
            Op::Finish => tokio::time::timeout(stall, send.finish()).await,
        };
        match step {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return (send, Err(h3_io(e))),
            Err(_) => {
                send.stop_stream(Code::H3_REQUEST_CANCELLED);
                return (send, Err(io::ErrorKind::TimedOut.into()));
            }
        }
    }
    (send, Ok(()))
}

/// One HTTP/3 request stream as an exchange sees it.
pub(crate) struct Stream {
    /// The sending half, when no flight has it.
    send: Option<SendHalf>,
    flight: Option<Flight>,
    staged: Vec<Op>,
    recv: RecvHalf,
    signals: Arc<Signals>,
    quic: quinn::Connection,
    /// Something was staged for the client (a head, content).
    sent: bool,
    /// The connection closes after this stream: its sending half goes to
    /// [`Signals::parked`] when it is dropped.
    park: bool,
    trailers: Vec<(String, Bytes)>,
    /// The body has ended (after its trailers, if any).
    done: bool,
    /// The DATA frames have ended; the trailers are next.
    reading_trailers: bool,
    body_read: u64,
    /// The request's `Content-Length`: its DATA must add up to it.
    declared: Option<u64>,
    /// The response has ended (finished or reset): nothing more is sent.
    ended: bool,
    final_staged: bool,
    reading: Deadline,
}

impl Stream {
    pub(super) fn new(
        send: SendHalf,
        recv: RecvHalf,
        signals: Arc<Signals>,
        quic: quinn::Connection,
    ) -> Stream {
        Stream {
            send: Some(send),
            flight: None,
            staged: Vec::new(),
            recv,
            signals,
            quic,
            sent: false,
            park: false,
            trailers: Vec::new(),
            done: false,
            reading_trailers: false,
            body_read: 0,
            declared: None,
            ended: false,
            final_staged: false,
            reading: Deadline::default(),
        }
    }

    /// The request declared this `Content-Length`.
    pub(super) fn set_declared(&mut self, length: Option<u64>) {
        self.declared = length;
    }

    /// Answers a request that could not be read, and ends the stream.
    pub(super) async fn refuse(
        &mut self,
        resp: ::http::Response<()>,
        body: Bytes,
        stall: Duration,
    ) {
        self.staged.push(Op::Head(resp));
        self.staged.push(Op::Data(body));
        self.staged.push(Op::Finish);
        self.ended = true;
        let _ = std::future::poll_fn(|cx| self.poll_flush(cx, stall)).await;
    }

    /// Resets the sending half: now when nothing was sent, else after what
    /// was (staged, on its way, or handed to QUIC) has had time to arrive.
    /// When no flush follows, dropping the stream carries it out.
    fn reset(&mut self, code: Code) {
        self.ended = true;
        if !self.sent && self.flight.is_none() && self.staged.is_empty() {
            if let Some(send) = &mut self.send {
                send.stop_stream(code);
                return;
            }
        }
        let wait = if self.sent {
            super::linger(&self.quic)
        } else {
            Duration::ZERO
        };
        self.staged.push(Op::Reset(code, wait));
    }

    /// Has the connection closed with this error code, once what this
    /// stream sent has gone (the connection's task closes it); the stream
    /// itself stays open until then.
    fn abort(&mut self, code: Code) {
        self.signals
            .abort
            .store(code.value() + 1, Ordering::Relaxed);
        self.ended = true;
        self.park = true;
    }

    fn stage(&mut self, op: Op) -> io::Result<()> {
        if self.ended {
            return Err(misuse("the response has ended"));
        }
        self.sent = true;
        self.staged.push(op);
        Ok(())
    }
}

impl Drop for Stream {
    /// A response that did not end (the exchange was dropped midway) is
    /// reset, never left to look complete; what is staged or on its way
    /// still goes, on a task of its own (dropping the sending half would
    /// end the stream as if the response were whole).
    fn drop(&mut self) {
        if self.park && self.flight.is_none() && self.staged.is_empty() {
            if let (Some(send), Ok(mut parked)) = (self.send.take(), self.signals.parked.lock()) {
                parked.push(send);
            }
            return;
        }
        if !self.ended {
            self.reset(Code::H3_REQUEST_CANCELLED);
        }
        if self.flight.is_none() && self.staged.is_empty() {
            return;
        }
        // Outside a runtime (the server already gone) there is nobody to
        // send to: the streams go with the connection.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let flight = self.flight.take();
        let send = self.send.take();
        let staged = std::mem::take(&mut self.staged);
        runtime.spawn(async move {
            let send = match flight {
                Some(work) => work.await.0,
                None => match send {
                    Some(send) => send,
                    None => return,
                },
            };
            if !staged.is_empty() {
                let _ = fly(send, staged, LEFT_OVER_STALL).await;
            }
        });
    }
}

impl Wire for Stream {
    fn multiplexed(&self) -> bool {
        true
    }

    fn closes_after(&self, _req: &Request, _continue_pending: bool, _limits: &Limits) -> bool {
        false
    }

    fn body_done(&self) -> bool {
        self.done
    }

    fn body_remaining(&self, req: &Request) -> Option<u64> {
        body_remaining(req, self.body_read)
    }

    fn stage_continue(&mut self) -> io::Result<bool> {
        self.stage_interim(&Head::new(Status::CONTINUE))?;
        Ok(true)
    }

    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        limits: &Limits,
    ) -> Poll<Result<Option<Bytes>, BodyError>> {
        loop {
            if self.done {
                return Poll::Ready(Ok(None));
            }
            if self.reading_trailers {
                let trailers = match self.recv.poll_recv_trailers(cx) {
                    Poll::Ready(Ok(t)) => t,
                    Poll::Ready(Err(_)) => None,
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
            let data = match self.recv.poll_recv_data(cx) {
                Poll::Pending => {
                    if self.reading.expired(cx, limits.request_timeout) {
                        self.reading.stop();
                        return Poll::Ready(Err(BodyError::Request(RequestError::Timeout)));
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Ok(None)) => {
                    self.reading.stop();
                    if self.declared.is_some_and(|n| n != self.body_read) {
                        self.done = true;
                        return Poll::Ready(Err(BodyError::Request(RequestError::LengthMismatch)));
                    }
                    self.reading_trailers = true;
                    continue;
                }
                Poll::Ready(Err(e)) => {
                    self.done = true;
                    return Poll::Ready(Err(BodyError::Io(h3_io(e))));
                }
                Poll::Ready(Ok(Some(mut buf))) => buf.copy_to_bytes(buf.remaining()),
            };
            self.reading.stop();
            self.body_read += data.len() as u64;
            if self.body_read > limits.max_body {
                return Poll::Ready(Err(BodyError::Request(RequestError::BodyTooLarge)));
            }
            if self.declared.is_some_and(|n| self.body_read > n) {
                self.done = true;
                return Poll::Ready(Err(BodyError::Request(RequestError::LengthMismatch)));
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
        if self.final_staged {
            return Err(misuse("an interim response after the final one"));
        }
        let resp = to_http(head, Framing::None, false)?;
        self.stage(Op::Head(resp))
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
        self.stage(Op::Head(resp))?;
        self.final_staged = true;
        if end {
            self.stage(Op::Finish)?;
            self.ended = true;
        }
        Ok(())
    }

    fn stage_data(&mut self, mut data: Bytes, _framing: Framing, last: bool) -> io::Result<()> {
        if !self.final_staged {
            return Err(misuse("content needs a final response"));
        }
        while !data.is_empty() {
            let piece = data.split_to(data.len().min(PIECE));
            self.stage(Op::Data(piece))?;
        }
        if last {
            self.stage(Op::Finish)?;
            self.ended = true;
        }
        Ok(())
    }

    fn stage_end(&mut self, trailers: &[(String, Bytes)]) -> io::Result<()> {
        if !trailers.is_empty() {
            // A trailing HEADERS frame (RFC 9114 §4.1).
            self.stage(Op::Trailers(trailer_map(trailers)?))?;
        }
        self.stage(Op::Finish)?;
        self.ended = true;
        Ok(())
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>, stall: Duration) -> Poll<io::Result<()>> {
        loop {
            if let Some(flight) = &mut self.flight {
                let (send, outcome) = ready!(flight.as_mut().poll(cx));
                self.flight = None;
                self.send = Some(send);
                if let Err(e) = outcome {
                    if e.kind() == io::ErrorKind::TimedOut {
                        self.signals.defended(Defense::H3StalledReader);
                    }
                    self.staged.clear();
                    self.ended = true;
                    return Poll::Ready(Err(e));
                }
            }
            if self.staged.is_empty() {
                return Poll::Ready(Ok(()));
            }
            let Some(send) = self.send.take() else {
                self.staged.clear();
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            };
            let ops = std::mem::take(&mut self.staged);
            self.flight = Some(Box::pin(fly(send, ops, stall)));
        }
    }

    /// Content goes as soon as what was staged before has gone: QUIC's
    /// flow control (and its send window) holds the rest back.
    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        want: usize,
        stall: Duration,
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_flush(cx, stall))?;
        Poll::Ready(Ok(want.clamp(1, PIECE)))
    }

    fn abandon(&mut self) {
        self.reset(Code::H3_INTERNAL_ERROR);
    }

    fn stage_switch(&mut self, _head: &Head) -> io::Result<()> {
        Err(misuse("HTTP/3 has no 101 Switching Protocols"))
    }

    fn upgraded(&mut self) -> Option<Upgraded<'_>> {
        None
    }

    fn stage_fault(&mut self, fault: Fault) -> io::Result<bool> {
        match fault {
            Fault::Reset => {
                self.reset(Code::H3_INTERNAL_ERROR);
                self.recv.stop_sending(Code::H3_INTERNAL_ERROR);
                Ok(false)
            }
            Fault::Close => {
                self.abort(Code::H3_NO_ERROR);
                Ok(true)
            }
            // Bytes that cannot be framed: the connection ends as broken.
            Fault::Raw(_) => {
                self.abort(Code::H3_GENERAL_PROTOCOL_ERROR);
                Ok(true)
            }
        }
    }

    fn refuse_for_http11(&mut self) -> bool {
        self.reset(Code::H3_VERSION_FALLBACK);
        self.recv.stop_sending(Code::H3_VERSION_FALLBACK);
        true
    }
}
