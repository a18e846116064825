//! One HTTP/2 stream as an exchange sees it: the request body under the
//! stream's flow control, interim and final heads, content sent as the
//! client's window allows (and bounded per connection while it waits),
//! resets and aborts.

use std::future::poll_fn;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use std::time::Duration;

use ::h2::server::SendResponse;
use ::h2::{Reason, RecvStream, SendStream};
use bytes::Bytes;

use crate::error::{BodyError, RequestError};
use crate::exchange::misuse;
use crate::response::Framing;
use crate::response::Head;
use crate::service::{Defense, Observe};

use super::{connection_specific, MAX_HELD, SEND_BUFFER};

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
    pub(super) respond: SendResponse<Bytes>,
    pub(super) send: Option<SendStream<Bytes>>,
    pub(super) recv: RecvStream,
    pub(super) trailers: Vec<(String, Bytes)>,
    pub(super) done: bool,
    pub(crate) body_read: u64,
    pub(crate) upgraded: bool,
    pub(super) signals: &'c Signals,
}

fn h2_io(e: ::h2::Error) -> io::Error {
    if e.is_io() {
        e.into_io()
            .unwrap_or_else(|| io::ErrorKind::BrokenPipe.into())
    } else {
        io::Error::new(io::ErrorKind::BrokenPipe, e)
    }
}

pub(super) fn to_http(
    head: &Head,
    framing: Framing,
    date: bool,
) -> io::Result<::http::Response<()>> {
    fn bad<E>(_: E) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, "field not valid in HTTP/2")
    }
    let mut resp = ::http::Response::new(());
    *resp.status_mut() = ::http::StatusCode::from_u16(head.status.as_u16())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "status"))?;
    let fields = resp.headers_mut();
    if date {
        crate::response::with_date(|d| {
            if let Ok(v) = ::http::HeaderValue::from_bytes(d) {
                fields.insert(::http::header::DATE, v);
            }
        });
    }
    for (name, value) in &head.fields {
        if crate::response::engine_owned(name) || connection_specific(name) {
            continue;
        }
        let name = ::http::HeaderName::from_bytes(name.as_bytes()).map_err(bad)?;
        let value = ::http::HeaderValue::from_maybe_shared(value.clone()).map_err(bad)?;
        fields.append(name, value);
    }
    if let Framing::Length(n) = framing {
        fields.insert(::http::header::CONTENT_LENGTH, ::http::HeaderValue::from(n));
    }
    Ok(resp)
}

impl Stream<'_> {
    pub(crate) fn body_done(&self) -> bool {
        self.done || self.recv.is_end_stream()
    }

    pub(crate) fn take_trailers(&mut self) -> Vec<(String, Bytes)> {
        std::mem::take(&mut self.trailers)
    }

    /// The next DATA payload of the request; `None` at the end of the
    /// stream (trailers, if any, are kept).
    pub(crate) async fn read_chunk(
        &mut self,
        timeout: Duration,
        max_body: u64,
    ) -> Result<Option<Bytes>, BodyError> {
        loop {
            if self.body_done() {
                self.done = true;
                return Ok(None);
            }
            let data = match tokio::time::timeout(timeout, self.recv.data()).await {
                Err(_) => return Err(BodyError::Request(RequestError::Timeout)),
                Ok(None) => {
                    if let Ok(Ok(Some(map))) =
                        tokio::time::timeout(timeout, self.recv.trailers()).await
                    {
                        self.trailers = map
                            .iter()
                            .map(|(n, v)| {
                                (n.as_str().to_owned(), Bytes::copy_from_slice(v.as_bytes()))
                            })
                            .collect();
                    }
                    self.done = true;
                    return Ok(None);
                }
                Ok(Some(Err(e))) => return Err(BodyError::Io(h2_io(e))),
                Ok(Some(Ok(d))) => d,
            };
            let _ = self.recv.flow_control().release_capacity(data.len());
            self.body_read += data.len() as u64;
            if self.body_read > max_body {
                return Err(BodyError::Request(RequestError::BodyTooLarge));
            }
            if !data.is_empty() {
                return Ok(Some(data));
            }
        }
    }

    /// Reads and discards what is left of the request body, up to `limit`
    /// bytes, waiting at most `timeout` for each piece.
    pub(crate) async fn drain(&mut self, limit: u64, timeout: Duration) {
        let mut drained = 0u64;
        while !self.body_done() {
            match tokio::time::timeout(timeout, self.recv.data()).await {
                Ok(Some(Ok(d))) => {
                    let _ = self.recv.flow_control().release_capacity(d.len());
                    drained += d.len() as u64;
                    if drained > limit {
                        return;
                    }
                }
                _ => return,
            }
        }
    }

    pub(crate) fn interim(&mut self, head: &Head) -> io::Result<()> {
        let resp = to_http(head, Framing::None, false)?;
        self.respond.send_informational(resp).map_err(h2_io)
    }

    pub(crate) fn send_head(&mut self, head: &Head, framing: Framing, end: bool) -> io::Result<()> {
        let resp = to_http(head, framing, true)?;
        let send = self.respond.send_response(resp, end).map_err(h2_io)?;
        self.send = Some(send);
        Ok(())
    }

    /// Waits until the client's flow control lets at least one byte of
    /// content go, and returns how many (at most `want`) may be sent now
    /// without being buffered. A client that opens no window for `stall`
    /// has the stream reset.
    pub(crate) async fn ready(&mut self, want: usize, stall: Duration) -> io::Result<usize> {
        let send = self
            .send
            .as_mut()
            .ok_or_else(|| misuse("content needs a final response"))?;
        let want = want.clamp(1, SEND_BUFFER);
        send.reserve_capacity(want);
        let mut granted = send.capacity();
        if granted == 0 {
            granted = wait_capacity(send, stall, self.signals).await?;
        }
        Ok(granted.min(want))
    }

    /// Sends content as the client's flow control allows. Content that has
    /// to wait for a window counts against the connection's [`MAX_HELD`];
    /// a client that opens no window for `stall` has the stream reset (as
    /// nginx's `send_timeout` gives up on a reader that stopped).
    pub(crate) async fn send_data(
        &mut self,
        mut data: Bytes,
        end: bool,
        stall: Duration,
    ) -> io::Result<()> {
        let signals = self.signals;
        let send = self
            .send
            .as_mut()
            .ok_or_else(|| misuse("content needs a final response"))?;
        if data.is_empty() {
            return send.send_data(data, end).map_err(h2_io);
        }
        let mut held: Option<Held<'_>> = None;
        while !data.is_empty() {
            send.reserve_capacity(data.len().min(SEND_BUFFER));
            let mut granted = send.capacity();
            if granted == 0 {
                match &mut held {
                    Some(h) => h.set(data.len()),
                    None => match Held::take(signals, data.len()) {
                        Some(h) => held = Some(h),
                        None => {
                            send.send_reset(Reason::ENHANCE_YOUR_CALM);
                            signals.defended(Defense::HeldBytes);
                            return Err(io::Error::new(
                                io::ErrorKind::OutOfMemory,
                                "the connection holds too much content waiting for flow control",
                            ));
                        }
                    },
                }
                granted = wait_capacity(send, stall, signals).await?;
            }
            let piece = data.split_to(granted.min(data.len()));
            send.send_data(piece, end && data.is_empty())
                .map_err(h2_io)?;
        }
        Ok(())
    }

    pub(crate) fn reset(&mut self, reason: Reason) {
        match &mut self.send {
            Some(send) => send.send_reset(reason),
            None => self.respond.send_reset(reason),
        }
    }

    /// Ends the whole connection with `GOAWAY` and this error code.
    pub(crate) fn abort(&mut self, reason: Reason) {
        self.signals
            .abort
            .store(u32::from(reason) + 1, Ordering::Relaxed);
        self.reset(reason);
    }
}

/// Waits for the connection to assign the stream some send capacity.
async fn wait_capacity(
    send: &mut SendStream<Bytes>,
    stall: Duration,
    signals: &Signals,
) -> io::Result<usize> {
    loop {
        match tokio::time::timeout(stall, poll_fn(|cx| send.poll_capacity(cx))).await {
            Ok(Some(Ok(0))) => continue,
            Ok(Some(Ok(n))) => return Ok(n),
            Ok(Some(Err(e))) => return Err(h2_io(e)),
            Ok(None) => return Err(io::ErrorKind::BrokenPipe.into()),
            Err(_) => {
                send.send_reset(Reason::CANCEL);
                signals.defended(Defense::StalledReader);
                return Err(io::ErrorKind::TimedOut.into());
            }
        }
    }
}
