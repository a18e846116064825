//! HTTP/2: the same [`Exchange`] over an `h2` stream.
//!
//! The `h2` crate does the framing, HPACK, flow control and stream states;
//! this module adapts each stream to the exchange handlers already use, so
//! a handler is written once for both protocols. What the adapter adds:
//!
//! - the request's pseudo-headers and fields are written out as an HTTP/1.1
//!   head and read by the same parser, so one set of checks (target and
//!   header limits, `Host`, `Content-Length`, `Expect`) holds for both;
//! - interim responses go out with `send_informational`, only before the
//!   final response and never 101 (RFC 9113 §8.6); connection-specific
//!   fields are dropped from every response (RFC 9113 §8.2.2);
//! - faults become `RST_STREAM` or `GOAWAY`;
//! - limits: header list size, concurrent streams, body size, idle and
//!   body-read timeouts;
//! - cleartext HTTP/2 by prior knowledge and by `Upgrade: h2c` (RFC 7540
//!   §3.2). `h2` has no upgrade support: after the 101 the upgrading
//!   request is handed to it as a HEADERS frame on stream 1, placed right
//!   after the client's preface and first SETTINGS frame, encoded with
//!   HPACK literals that leave the header table untouched.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use std::time::{Duration, Instant};

use ::h2::server::SendResponse;
use ::h2::{Reason, RecvStream, SendStream};
use bytes::{BufMut, Bytes, BytesMut};
use futures_util::stream::{FuturesUnordered, StreamExt};
use teapot_codes::Status;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::{BodyError, RequestError};
use crate::exchange::{misuse, observe_exchange, run_exchange, Exchange, Wire};
use crate::h1::conn::Conn;
use crate::h1::encode::{self, Framing};
use crate::h1::role::{self, BodyKind, Request, Version};
use crate::idle::evicted;
use crate::idle::{Idle, EVICTABLE_AFTER};
use crate::problem::problem;
use crate::response::Head;
use crate::service::{
    wait_shutdown, Config, Defense, Observe, Record, Service, Shutdown, Transport,
};

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Streams one client may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`).
pub const MAX_STREAMS: u32 = 128;

/// Streams one connection may have being answered at once. A stream the
/// client resets stays here until its handler notices (a handler that
/// waits, for `?delay=`, notices only when it writes); past this, new
/// streams are refused with `REFUSED_STREAM`, so resetting streams cannot
/// pile up work (the "rapid reset" attack). Resets of streams not yet
/// accepted are bounded by the `h2` crate itself (`GOAWAY` with
/// `ENHANCE_YOUR_CALM`).
pub const MAX_ANSWERING: usize = 2 * MAX_STREAMS as usize;

/// Receive window of each stream, in bytes.
const STREAM_WINDOW: u32 = 256 * 1024;

/// Receive window of the whole connection, in bytes.
const CONNECTION_WINDOW: u32 = 1024 * 1024;

/// Response bytes buffered per stream before the handler waits for the
/// client's flow control.
const SEND_BUFFER: usize = 64 * 1024;

/// Largest HEADERS frame the server accepts before its own SETTINGS are
/// acknowledged (the protocol's default `SETTINGS_MAX_FRAME_SIZE`).
const DEFAULT_MAX_FRAME: usize = 16_384;

/// The `SETTINGS_MAX_HEADER_LIST_SIZE` to advertise. HPACK counts 32
/// bytes more per field than the field's line does, and counts the
/// pseudo-headers, so the advertised size is the engine's own limits
/// (`max_header_bytes`, `max_headers`, `max_uri`) in HPACK's terms: a list
/// over the engine's limits but within this gets the engine's 431 (problem
/// details, `Date`); only a list beyond it gets the `h2` crate's bare 431.
fn header_list_size(limits: &crate::limits::Limits) -> u32 {
    let size = limits.max_header_bytes + 32 * limits.max_headers + limits.max_uri + 256;
    u32::try_from(size).unwrap_or(u32::MAX)
}

/// How a connection came to speak HTTP/2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// TLS with ALPN `h2`, or the preface on a cleartext connection.
    PriorKnowledge,
    /// An HTTP/1.1 request with `Upgrade: h2c`, now stream 1.
    Upgraded,
}

/// Response bytes one connection may hold while they wait for the
/// client's flow control. Content made ahead of the window (a whole body
/// given to `respond`) counts while it waits; past this a stream that
/// would wait is reset (`ENHANCE_YOUR_CALM`), so a client that opens no
/// window cannot make the server hold many bodies. Content made as the
/// window allows ([`Exchange::ready`]) holds nothing while it waits.
pub const MAX_HELD: usize = 1024 * 1024;

/// How long a connection that was sent `GOAWAY` may take to finish with
/// it (acknowledge the PING of a graceful shutdown, and close) once no
/// stream is left; then it is closed whatever the peer does. Never longer
/// than the request timeout.
const GOAWAY_WAIT: Duration = Duration::from_secs(5);

/// What streams tell their connection.
#[derive(Debug, Default)]
pub(crate) struct Signals {
    /// A stream asked to end the connection gracefully (`GOAWAY`, then no
    /// new streams).
    goaway: AtomicBool,
    /// A stream asked to end the connection now, with this error code
    /// (plus one; zero for none).
    abort: AtomicU32,
    /// Response bytes held while waiting for flow control, all streams.
    held: AtomicUsize,
    /// Told about the bounds enforced.
    observer: Option<Arc<dyn Observe>>,
}

impl Signals {
    fn defended(&self, defense: Defense) {
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
    done: bool,
    pub(crate) body_read: u64,
    pub(crate) upgraded: bool,
    signals: &'c Signals,
}

fn h2_io(e: ::h2::Error) -> io::Error {
    if e.is_io() {
        e.into_io()
            .unwrap_or_else(|| io::ErrorKind::BrokenPipe.into())
    } else {
        io::Error::new(io::ErrorKind::BrokenPipe, e)
    }
}

/// Fields that belong to one HTTP/1.1 connection and are never sent on
/// HTTP/2 (RFC 9113 §8.2.2; `TE` is allowed there only as `trailers`).
pub fn connection_specific(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "te",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

fn to_http(head: &Head, framing: Framing, date: bool) -> io::Result<::http::Response<()>> {
    fn bad<E>(_: E) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, "field not valid in HTTP/2")
    }
    let mut resp = ::http::Response::new(());
    *resp.status_mut() = ::http::StatusCode::from_u16(head.status.as_u16())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "status"))?;
    let fields = resp.headers_mut();
    if date {
        encode::with_date(|d| {
            if let Ok(v) = ::http::HeaderValue::from_bytes(d) {
                fields.insert(::http::header::DATE, v);
            }
        });
    }
    for (name, value) in &head.fields {
        if encode::engine_owned(name) || connection_specific(name) {
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

/// What the first bytes of a cleartext connection say about HTTP/2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Preface {
    /// The whole preface: the client speaks HTTP/2 by prior knowledge.
    Complete,
    /// What has arrived could still become the preface.
    Partial,
    /// The preface's first line, `PRI * HTTP/2.0`, then something else: an
    /// HTTP/2 client with a broken preface, answered as HTTP/2 would.
    Broken,
    /// Not HTTP/2: an HTTP/1 request line.
    No,
}

/// The length of the preface's first line, `PRI * HTTP/2.0\r\n`.
const PREFACE_LINE: usize = 16;

/// Reads the first bytes of a cleartext connection against the preface.
pub(crate) fn preface(buf: &[u8]) -> Preface {
    let n = buf.len().min(PREFACE.len());
    if buf[..n] == PREFACE[..n] {
        if n == PREFACE.len() {
            Preface::Complete
        } else {
            Preface::Partial
        }
    } else if n >= PREFACE_LINE && buf[..PREFACE_LINE] == PREFACE[..PREFACE_LINE] {
        Preface::Broken
    } else {
        Preface::No
    }
}

/// What the server sends to a client whose preface is broken (RFC 9113
/// §3.4): its own preface (an empty SETTINGS frame), then `GOAWAY` with last
/// stream 0 and `PROTOCOL_ERROR`.
pub(crate) const BROKEN_PREFACE_ANSWER: [u8; 26] = [
    0, 0, 0, 0x4, 0, 0, 0, 0, 0, // SETTINGS, empty, stream 0
    0, 0, 8, 0x7, 0, 0, 0, 0, 0, // GOAWAY, 8 bytes, stream 0
    0, 0, 0, 0, // last stream id 0
    0, 0, 0, 0x1, // PROTOCOL_ERROR
];

/// When `req` asks to switch to cleartext HTTP/2 in a way the server
/// accepts, the HPACK header block that carries it on as stream 1.
///
/// The offer must be complete (RFC 7540 §3.2): HTTP/1.1 without TLS,
/// `h2c` in `Upgrade` (and not `websocket`, which the handlers own),
/// `Upgrade` and `HTTP2-Settings` in `Connection`, one `HTTP2-Settings`
/// in base64url, and no body. Anything less is answered over HTTP/1.1, as
/// a server may always decline an upgrade.
pub(crate) fn wants_h2c(req: &Request, secure: bool) -> Option<Bytes> {
    // `wants_upgrade` (HTTP/1.1, `Upgrade`, and `upgrade` in `Connection`)
    // was worked out by the parser: most requests stop at it.
    if !req.wants_upgrade()
        || secure
        || !req.has_token("upgrade", "h2c")
        || req.has_token("upgrade", "websocket")
        || !req.has_token("connection", "upgrade")
        || !req.has_token("connection", "http2-settings")
        || !matches!(req.body_kind(), BodyKind::Empty | BodyKind::Length(0))
        || req.expects_continue()
    {
        return None;
    }
    let mut settings = req.header_all("http2-settings");
    let value = settings.next()?;
    if settings.next().is_some()
        || !value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
    {
        return None;
    }
    let block = header_block(req);
    (block.len() <= DEFAULT_MAX_FRAME).then_some(block)
}

/// The request as an HPACK header block of literals without indexing
/// (RFC 7541 §6.2.2), which leave the decoder's table as it was.
fn header_block(req: &Request) -> Bytes {
    let mut out = BytesMut::with_capacity(256 + req.raw().len());
    let target = req.target();
    let path = if target.starts_with('/') || target == "*" {
        target.to_owned()
    } else {
        req.path().to_owned() + &req.query().map(|q| format!("?{q}")).unwrap_or_default()
    };
    literal(&mut out, b":method", req.method().as_str().as_bytes());
    literal(&mut out, b":scheme", b"http");
    if let Some(host) = req.header("host") {
        literal(&mut out, b":authority", host);
    }
    literal(&mut out, b":path", path.as_bytes());
    for (name, value) in req.headers() {
        let skip = name.eq_ignore_ascii_case("host")
            || name.eq_ignore_ascii_case("http2-settings")
            || (connection_specific(name)
                && !(name.eq_ignore_ascii_case("te") && value.eq_ignore_ascii_case(b"trailers")));
        if !skip {
            literal(&mut out, name.to_ascii_lowercase().as_bytes(), value);
        }
    }
    out.freeze()
}

fn literal(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.put_u8(0);
    string(out, name);
    string(out, value);
}

/// An HPACK string literal without Huffman coding (RFC 7541 §5.2).
fn string(out: &mut BytesMut, s: &[u8]) {
    // A 7-bit prefix integer (RFC 7541 §5.1).
    let mut n = s.len();
    if n < 127 {
        out.put_u8(n as u8);
    } else {
        out.put_u8(127);
        n -= 127;
        while n >= 128 {
            out.put_u8((n % 128) as u8 | 0x80);
            n /= 128;
        }
        out.put_u8(n as u8);
    }
    out.put_slice(s);
}

/// Answers an `Upgrade: h2c` request with 101, then reads the client's
/// preface and first SETTINGS frame and places the request behind them as
/// stream 1 (HEADERS with END_STREAM). The bytes wait in the connection's
/// read buffer for the HTTP/2 side.
pub(crate) async fn switch_h2c<T: Transport + ?Sized>(
    conn: &mut Conn<T>,
    block: Bytes,
    timeout: Duration,
) -> io::Result<()> {
    let head = Head::new(Status::SWITCHING_PROTOCOLS).header("Upgrade", "h2c");
    let mut out = Vec::with_capacity(128);
    let fields = encode::ConnectionField {
        upgrade: true,
        ..Default::default()
    };
    encode::write_head(&mut out, &head, Framing::None, fields);
    conn.io.write_all(&out).await?;
    conn.io.flush().await?;
    // The preface, then a frame header, then that frame: a SETTINGS frame
    // no longer than the default frame size.
    let read = async {
        let head = PREFACE.len() + 9;
        loop {
            if conn.rbuf.len() >= head {
                let h = &conn.rbuf[PREFACE.len()..head];
                let len = (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
                if &conn.rbuf[..PREFACE.len()] != PREFACE || h[3] != 0x4 || len > DEFAULT_MAX_FRAME
                {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "no HTTP/2 preface and SETTINGS after 101",
                    ));
                }
                if conn.rbuf.len() >= head + len {
                    return Ok(head + len);
                }
            }
            if conn.io.read_buf(&mut conn.rbuf).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    };
    let boundary = tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    let rest = conn.rbuf.split_off(boundary);
    let len = block.len();
    conn.rbuf
        .put_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
    // HEADERS, END_STREAM | END_HEADERS, stream 1.
    conn.rbuf.put_slice(&[0x1, 0x1 | 0x4, 0, 0, 0, 1]);
    conn.rbuf.put_slice(&block);
    conn.rbuf.unsplit(rest);
    Ok(())
}

/// Serves an HTTP/2 connection whose transport already agreed on `h2`
/// (TLS with ALPN): the client's preface comes first.
pub async fn serve<I, S>(
    io: I,
    remote: Option<SocketAddr>,
    service: &S,
    config: &Config,
    shutdown: Shutdown,
) where
    I: Transport,
    S: Service,
{
    if let Some(o) = &config.observer {
        o.connection_opened();
    }
    let secure = io.is_secure();
    serve_inner(
        io,
        remote,
        secure,
        service,
        config,
        shutdown,
        Start::PriorKnowledge,
    )
    .await;
    if let Some(o) = &config.observer {
        o.connection_closed();
    }
}

/// Drives one HTTP/2 connection: accepts streams and answers each on this
/// task until the client leaves, the connection is idle too long, a stream
/// ends it, or the server shuts down (then `GOAWAY`, and streams in flight
/// finish).
pub(crate) async fn serve_inner<I, S>(
    io: I,
    remote: Option<SocketAddr>,
    secure: bool,
    service: &S,
    config: &Config,
    mut shutdown: Shutdown,
    start: Start,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send,
    S: Service,
{
    let limits = &config.limits;
    let mut builder = ::h2::server::Builder::new();
    builder
        .max_header_list_size(header_list_size(limits))
        .max_concurrent_streams(MAX_STREAMS)
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_send_buffer_size(SEND_BUFFER);
    let mut conn =
        match tokio::time::timeout(limits.request_timeout, builder.handshake::<_, Bytes>(io)).await
        {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => {
                tracing::debug!("HTTP/2 handshake failed: {e}");
                return;
            }
            Err(_) => return,
        };
    let signals = Signals {
        observer: config.observer.clone(),
        ..Signals::default()
    };
    let mut streams = FuturesUnordered::new();
    // Once set, the connection has been sent GOAWAY: when no stream is
    // left and this passes, it closes whatever the peer does.
    let mut closing: Option<tokio::time::Instant> = None;
    let goaway_wait = GOAWAY_WAIT.min(limits.request_timeout);
    let far = tokio::time::Instant::now() + Duration::from_secs(86_400);
    // When the connection last had no stream, and its registration as idle
    // (made after EVICTABLE_AFTER of that) for a server that needs room.
    let mut idle_since = tokio::time::Instant::now();
    let mut registered: Option<Idle<'_>> = None;
    let evictable = config.idle.is_some();
    loop {
        let idle = streams.is_empty();
        let draining = closing.is_some();
        tokio::select! {
            accepted = conn.accept() => match accepted {
                Some(Ok((_, mut respond))) if streams.len() >= MAX_ANSWERING => {
                    respond.send_reset(Reason::REFUSED_STREAM);
                    signals.defended(Defense::RefusedStream);
                }
                Some(Ok((request, respond))) => {
                    registered = None;
                    let upgraded = start == Start::Upgraded && respond.stream_id().as_u32() == 1;
                    streams.push(answer(request, respond, upgraded, Peer { remote, secure }, service, config, &signals));
                }
                Some(Err(e)) => {
                    if e.is_library() || e.is_reset() && !e.is_remote() {
                        signals.defended(if e.reason() == Some(Reason::ENHANCE_YOUR_CALM) {
                            Defense::ResetFlood
                        } else {
                            Defense::ProtocolError
                        });
                    }
                    tracing::debug!("HTTP/2 connection error: {e}");
                    break;
                }
                None => break,
            },
            Some(()) = streams.next(), if !streams.is_empty() => {
                idle_since = tokio::time::Instant::now();
            }
            _ = tokio::time::sleep_until(idle_since + limits.keep_alive_timeout), if idle && !draining => {
                conn.graceful_shutdown();
                closing = Some(tokio::time::Instant::now() + goaway_wait);
            }
            _ = tokio::time::sleep_until(idle_since + EVICTABLE_AFTER), if idle && !draining && evictable && registered.is_none() => {
                registered = config.idle.as_ref().map(|set| set.register());
            }
            _ = evicted(&registered), if idle && !draining && registered.is_some() => {
                signals.defended(Defense::IdleEvicted);
                registered = None;
                conn.graceful_shutdown();
                // Long enough to send GOAWAY; the peer has nothing in flight.
                closing = Some(tokio::time::Instant::now() + Duration::from_millis(100));
            }
            _ = tokio::time::sleep_until(closing.unwrap_or(far)), if idle && draining => {
                signals.defended(Defense::GoawayTimeout);
                tracing::debug!("HTTP/2 peer did not finish after GOAWAY; closing");
                break;
            }
            _ = wait_shutdown(&mut shutdown), if !draining => {
                conn.graceful_shutdown();
                closing = Some(tokio::time::Instant::now() + goaway_wait);
            }
        }
        let abort = signals.abort.swap(0, Ordering::Relaxed);
        if abort > 0 {
            conn.abrupt_shutdown(Reason::from(abort - 1));
            closing.get_or_insert(tokio::time::Instant::now() + goaway_wait);
        } else if closing.is_none() && signals.goaway.load(Ordering::Relaxed) {
            conn.graceful_shutdown();
            closing = Some(tokio::time::Instant::now() + goaway_wait);
        }
    }
}

/// Who is on the other end of a connection.
#[derive(Clone, Copy)]
struct Peer {
    remote: Option<SocketAddr>,
    secure: bool,
}

/// Answers one stream.
async fn answer<S: Service>(
    request: ::http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    upgraded: bool,
    peer: Peer,
    service: &S,
    config: &Config,
    signals: &Signals,
) {
    let Peer { remote, secure } = peer;
    let started = Instant::now();
    let (parts, recv) = request.into_parts();
    let has_body = !recv.is_end_stream();
    let req = match to_request(&parts, has_body, &config.limits) {
        Ok(req) => req,
        Err(e) => {
            refuse(&mut respond, e, &config.limits);
            if let Some(o) = &config.observer {
                o.exchange(&Record::refused(e, started, Some(Version::Http2)));
            }
            return;
        }
    };
    let stream = Stream {
        respond,
        send: None,
        recv,
        trailers: Vec::new(),
        done: false,
        body_read: 0,
        upgraded,
        signals,
    };
    let mut ex: Exchange<'_> = Exchange::new(Wire::H2(stream), &config.limits, remote, secure, req);
    run_exchange(&mut ex, service, config).await;
    observe_exchange(&ex, started, config);
    if ex.wants_close() {
        signals.goaway.store(true, Ordering::Relaxed);
    }
}

/// The stream's request as the HTTP/1.1 parser reads it: the same checks
/// and limits for both protocols.
fn to_request(
    parts: &::http::request::Parts,
    has_body: bool,
    limits: &crate::limits::Limits,
) -> Result<Request, RequestError> {
    let mut head = BytesMut::with_capacity(512);
    head.put_slice(parts.method.as_str().as_bytes());
    head.put_u8(b' ');
    let authority = parts.uri.authority().map(|a| a.as_str());
    match (&parts.method, authority) {
        (&::http::Method::CONNECT, Some(a)) => head.put_slice(a.as_bytes()),
        _ => head.put_slice(
            parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .as_bytes(),
        ),
    }
    head.put_slice(b" HTTP/1.1\r\n");
    if let Some(a) = authority {
        head.put_slice(b"host: ");
        head.put_slice(a.as_bytes());
        head.put_slice(b"\r\n");
    }
    let mut cookies: Vec<&[u8]> = Vec::new();
    for (name, value) in &parts.headers {
        if authority.is_some() && name == ::http::header::HOST {
            continue;
        }
        // Cookie crumbs are joined again for an HTTP/1.1 reader (RFC 9113
        // §8.2.3).
        if name == ::http::header::COOKIE {
            cookies.push(value.as_bytes());
            continue;
        }
        head.put_slice(name.as_str().as_bytes());
        head.put_slice(b": ");
        head.put_slice(value.as_bytes());
        head.put_slice(b"\r\n");
    }
    if !cookies.is_empty() {
        head.put_slice(b"cookie: ");
        head.put_slice(&cookies.join(&b"; "[..]));
        head.put_slice(b"\r\n");
    }
    head.put_slice(b"\r\n");
    match role::parse_request(&mut head, limits)? {
        Some(req) => Ok(req.into_h2(has_body)),
        None => Err(RequestError::BadRequestLine),
    }
}

/// Answers a stream whose request could not be read.
fn refuse(respond: &mut SendResponse<Bytes>, e: RequestError, limits: &crate::limits::Limits) {
    let (head, body) = problem(e.status(), &e.explain(limits));
    let Ok(resp) = to_http(&head, Framing::Length(body.len() as u64), true) else {
        return;
    };
    if let Ok(mut send) = respond.send_response(resp, false) {
        let _ = send.send_data(body, true);
    }
}
