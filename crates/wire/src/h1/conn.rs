//! The connection driver and the exchange a handler works through.
//!
//! One task per connection owns the transport and its buffers. For each
//! request it reads the head (bounded by size and time), lets the service
//! answer through an [`Exchange`], then decides whether the connection can
//! carry another request: keep-alive, pipelining, HTTP/1.0 rules, and the
//! body that the handler left unread are all settled here, never in
//! handlers.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use teapot_codes::{Content, Status};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};

use crate::error::{BodyError, RequestError};
use crate::h1::decode::{Decoded, Decoder};
use crate::h1::encode::{self, Framing};
use crate::h1::role::{self, BodyKind, Method, Request, Version};
use crate::limits::Limits;
use crate::response::Head;

/// A byte stream the engine can serve: TCP, TLS, or an in-memory pipe.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {
    /// Prepares the transport so that dropping it resets the connection
    /// (TCP RST) instead of closing it. The default does nothing.
    fn prepare_reset(&mut self) {}
}

impl Transport for TcpStream {
    fn prepare_reset(&mut self) {
        let _ = self.set_zero_linger();
    }
}

impl Transport for tokio::io::DuplexStream {}

/// What answers requests: the application.
pub trait Service: Send + Sync + 'static {
    /// Answers one request. The exchange must end with a final response, a
    /// protocol switch or a fault; if it returns without one, the engine
    /// answers 500 (or the status of a body error it met).
    fn call<T: Transport>(&self, ex: &mut Exchange<'_, T>) -> impl Future<Output = ()> + Send;
}

/// Settings shared by every connection of a server.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Limits and timeouts.
    pub limits: Limits,
    /// When set, the most exchanges in flight at once; one more gets 503
    /// with `Retry-After`.
    pub inflight: Option<Arc<Semaphore>>,
    /// When set, told about every connection and exchange (metrics).
    pub observer: Option<Arc<dyn Observe>>,
}

/// How an exchange ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// A final response went out.
    Answered,
    /// The engine refused the request before any handler saw it.
    Refused,
    /// The connection switched protocols.
    Switched,
    /// The handler broke the exchange on purpose.
    Faulted,
    /// The connection failed before an answer went out.
    Lost,
}

/// What an observer learns about one exchange.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The method, when the head could be read.
    pub method: Option<Method>,
    /// The path, when the head could be read.
    pub path: Option<&'a str>,
    /// The final status (or 101), when one went out.
    pub status: Option<u16>,
    /// Interim responses sent.
    pub interim: u32,
    /// Content bytes written.
    pub bytes: u64,
    /// From the complete head to the end of the answer.
    pub duration: Duration,
    /// How it ended.
    pub ending: Ending,
}

/// Something that watches the engine work: counts connections and
/// exchanges. Calls are made on the connection's task; keep them cheap.
pub trait Observe: Send + Sync + std::fmt::Debug {
    /// A connection was accepted.
    fn connection_opened(&self) {}
    /// A connection ended.
    fn connection_closed(&self) {}
    /// An exchange ended.
    fn exchange(&self, record: &Record<'_>) {
        let _ = record;
    }
}

/// A shutdown signal: `true` once the server is stopping.
pub type Shutdown = watch::Receiver<bool>;

/// Ways to break an exchange on purpose.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Reset the connection (TCP RST) without answering.
    Reset,
    /// Close the connection without answering.
    Close,
    /// Write these bytes as they are, then close.
    Raw(Bytes),
}

struct Conn<T> {
    io: T,
    rbuf: BytesMut,
    wbuf: Vec<u8>,
    remote: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No final response yet (interim ones may have gone out).
    Head,
    /// A final head is out and its content is being written.
    Streaming {
        framing: Framing,
        remaining: u64,
        discard: bool,
    },
    /// The final response is complete.
    Done,
    /// The connection now belongs to another protocol.
    Switched,
    /// The exchange ended in a fault; the connection goes.
    Faulted,
}

/// One request and the means to answer it.
///
/// The handler may read the body, send interim (1xx) responses, then ends
/// with exactly one of [`respond`](Exchange::respond), a streamed response
/// ([`start`](Exchange::start), [`write`](Exchange::write),
/// [`finish`](Exchange::finish)), [`switch`](Exchange::switch) or
/// [`fault`](Exchange::fault). The engine enforces the registry's rules on
/// what it writes: no content for HEAD, 1xx, 204 and 304, an empty body for
/// 205, `Date` and a `Content-Length` that matches.
pub struct Exchange<'c, T> {
    conn: &'c mut Conn<T>,
    limits: &'c Limits,
    shutdown: &'c Shutdown,
    req: Request,
    decoder: Decoder,
    trailers: Vec<(String, Bytes)>,
    continue_sent: bool,
    body_error: Option<RequestError>,
    state: State,
    close: bool,
    status: Option<u16>,
    interim_sent: u32,
    bytes_out: u64,
}

fn misuse(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

impl<'c, T: Transport> Exchange<'c, T> {
    /// The request head.
    pub fn request(&self) -> &Request {
        &self.req
    }

    /// The peer's address, when the transport has one.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.conn.remote
    }

    /// Whether the request is HEAD (the engine drops any content written).
    pub fn is_head(&self) -> bool {
        self.req.method() == Method::Head
    }

    /// Whether a final response (or switch, or fault) has been sent.
    pub fn is_answered(&self) -> bool {
        self.state != State::Head
    }

    /// Asks the engine to close the connection after this exchange.
    pub fn close_after(&mut self) {
        self.close = true;
    }

    /// Trailer fields of a chunked body, once it has been read to its end.
    pub fn trailers(&self) -> &[(String, Bytes)] {
        &self.trailers
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
        if self.decoder.is_done() {
            return Ok(None);
        }
        if self.req.expects_continue()
            && !self.continue_sent
            && self.state == State::Head
            && self.conn.rbuf.is_empty()
        {
            self.continue_sent = true;
            self.interim_sent += 1;
            self.conn
                .io
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await
                .map_err(BodyError::Io)?;
            self.conn.io.flush().await.map_err(BodyError::Io)?;
        }
        loop {
            match self.decoder.decode(&mut self.conn.rbuf, self.limits) {
                Ok(Decoded::Data(d)) => return Ok(Some(d)),
                Ok(Decoded::End) => {
                    self.trailers = self.decoder.take_trailers();
                    return Ok(None);
                }
                Ok(Decoded::NeedMore) => {}
                Err(e) => {
                    self.body_error = Some(e);
                    self.close = true;
                    return Err(BodyError::Request(e));
                }
            }
            let read = tokio::time::timeout(
                self.limits.request_timeout,
                read_more(&mut self.conn.io, &mut self.conn.rbuf),
            )
            .await;
            match read {
                Ok(Ok(0)) => {
                    self.close = true;
                    return Err(BodyError::Io(io::ErrorKind::UnexpectedEof.into()));
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
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
    /// §6.3). Returns whether the request may go on.
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
        if let Some(n) = self.decoder.remaining() {
            if n > limit {
                self.body_error = Some(RequestError::BodyTooLarge);
                self.close = true;
                return Err(BodyError::Request(RequestError::BodyTooLarge));
            }
        }
        let mut out = BytesMut::new();
        while let Some(chunk) = self.read_chunk().await? {
            if (out.len() + chunk.len()) as u64 > limit {
                self.body_error = Some(RequestError::BodyTooLarge);
                self.close = true;
                return Err(BodyError::Request(RequestError::BodyTooLarge));
            }
            if out.is_empty() && self.decoder.is_done() {
                return Ok(chunk);
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    /// Sends an interim (1xx) response. Over HTTP/1.0 nothing is sent (RFC
    /// 9110 §15.2). 101 goes through [`switch`](Exchange::switch).
    pub async fn interim(&mut self, head: Head) -> io::Result<()> {
        if self.state != State::Head {
            return Err(misuse("an interim response cannot follow the final one"));
        }
        if !head.status.is_interim() || head.status == 101 {
            return Err(misuse("interim responses are 1xx other than 101"));
        }
        if let Some(e) = &head.invalid {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
        }
        if self.req.version() == Version::Http10 {
            return Ok(());
        }
        self.conn.wbuf.clear();
        encode::write_head(
            &mut self.conn.wbuf,
            &head,
            Framing::None,
            encode::ConnectionField::default(),
        );
        if head.status == 100 {
            self.continue_sent = true;
        }
        self.interim_sent += 1;
        self.flush_wbuf().await
    }

    /// Sends a complete final response.
    pub async fn respond(&mut self, head: Head, body: impl Into<Bytes>) -> io::Result<()> {
        let body = body.into();
        let framing = match encode::content_rule(head.status) {
            Content::Never => Framing::None,
            Content::Empty => Framing::Length(0),
            Content::Allowed => Framing::Length(body.len() as u64),
        };
        let send_body = matches!(framing, Framing::Length(n) if n > 0) && !self.is_head();
        self.write_final_head(&head, framing)?;
        if send_body {
            self.conn.wbuf.extend_from_slice(&body);
            self.bytes_out += body.len() as u64;
        }
        self.state = State::Done;
        self.flush_wbuf().await
    }

    /// Starts a streamed final response. With `length`, exactly that many
    /// bytes must follow; without, the content is chunked (or, for an
    /// HTTP/1.0 client, delimited by closing the connection).
    pub async fn start(&mut self, head: Head, length: Option<u64>) -> io::Result<()> {
        let framing = match (encode::content_rule(head.status), length) {
            (Content::Never, _) => Framing::None,
            (Content::Empty, _) => Framing::Length(0),
            (Content::Allowed, Some(n)) => Framing::Length(n),
            (Content::Allowed, None) if self.req.version() == Version::Http11 => Framing::Chunked,
            (Content::Allowed, None) => {
                self.close = true;
                Framing::Close
            }
        };
        self.write_final_head(&head, framing)?;
        let discard = self.is_head() || matches!(framing, Framing::None | Framing::Length(0));
        let remaining = match framing {
            Framing::Length(n) => n,
            _ => u64::MAX,
        };
        self.state = State::Streaming {
            framing,
            remaining,
            discard,
        };
        self.flush_wbuf().await
    }

    /// Writes content of a streamed response and sends it at once.
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let State::Streaming {
            framing,
            remaining,
            discard,
        } = self.state
        else {
            return Err(misuse("write needs a started response"));
        };
        if discard || data.is_empty() {
            return Ok(());
        }
        self.conn.wbuf.clear();
        match framing {
            Framing::Chunked => encode::write_chunk(&mut self.conn.wbuf, data),
            Framing::Length(_) => {
                if data.len() as u64 > remaining {
                    return Err(misuse("more content than the declared Content-Length"));
                }
                self.conn.wbuf.extend_from_slice(data);
                self.state = State::Streaming {
                    framing,
                    remaining: remaining - data.len() as u64,
                    discard,
                };
            }
            Framing::Close => self.conn.wbuf.extend_from_slice(data),
            Framing::None => return Ok(()),
        }
        self.bytes_out += data.len() as u64;
        self.flush_wbuf().await
    }

    /// Ends a streamed response. A fixed-length response that is short of
    /// its length cannot be completed: the connection is closed instead.
    pub async fn finish(&mut self) -> io::Result<()> {
        let State::Streaming {
            framing,
            remaining,
            discard,
        } = self.state
        else {
            return Err(misuse("finish needs a started response"));
        };
        self.state = State::Done;
        match framing {
            Framing::Chunked if !discard => {
                self.conn.wbuf.clear();
                self.conn.wbuf.extend_from_slice(encode::LAST_CHUNK);
                self.flush_wbuf().await
            }
            Framing::Length(_) if remaining > 0 && !discard => {
                self.close = true;
                Err(misuse("response ended before its Content-Length"))
            }
            _ => Ok(()),
        }
    }

    /// Answers 101 and hands over the connection. The client must have asked
    /// for an upgrade (RFC 9110 §7.8); `head` must be a 101 naming the
    /// protocol in `Upgrade`.
    pub async fn switch(&mut self, head: Head) -> io::Result<Upgraded<'_, T>> {
        if self.state != State::Head {
            return Err(misuse("switch must be the final answer"));
        }
        if head.status != 101 || head.get("upgrade").is_none() {
            return Err(misuse("a switch is a 101 with Upgrade"));
        }
        if !self.req.wants_upgrade() {
            return Err(misuse("the client did not ask to upgrade"));
        }
        if let Some(e) = &head.invalid {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
        }
        self.conn.wbuf.clear();
        let conn = encode::ConnectionField {
            upgrade: true,
            ..Default::default()
        };
        encode::write_head(&mut self.conn.wbuf, &head, Framing::None, conn);
        self.status = Some(101);
        self.state = State::Switched;
        self.close = true;
        self.flush_wbuf().await?;
        let pre = self.conn.rbuf.split();
        Ok(Upgraded {
            io: &mut self.conn.io,
            pre,
        })
    }

    /// Breaks the exchange on purpose; the connection ends afterwards.
    pub async fn fault(&mut self, fault: Fault) -> io::Result<()> {
        self.state = State::Faulted;
        self.close = true;
        match fault {
            Fault::Reset => {
                self.conn.io.prepare_reset();
                Ok(())
            }
            Fault::Close => Ok(()),
            Fault::Raw(bytes) => {
                self.conn.io.write_all(&bytes).await?;
                self.conn.io.flush().await
            }
        }
    }

    fn write_final_head(&mut self, head: &Head, framing: Framing) -> io::Result<()> {
        if self.state != State::Head {
            return Err(misuse("the final response was already sent"));
        }
        if head.status.is_interim() {
            return Err(misuse("a final response cannot be 1xx"));
        }
        if let Some(e) = &head.invalid {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
        }
        let asked = |token: &str| {
            head.get("connection").is_some_and(|v| {
                v.split(|&b| b == b',')
                    .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
            })
        };
        let rule_closes = head.status.entry().is_some_and(|e| e.rules.closes());
        if asked("close") || rule_closes || *self.shutdown.borrow() || !self.req.keep_alive() {
            self.close = true;
        }
        // A body left unread that cannot be drained cheaply ends the
        // connection: the client may be waiting for 100 Continue, or the
        // body may be long.
        if !self.decoder.is_done() {
            let cheap = self
                .decoder
                .remaining()
                .is_some_and(|n| n <= self.limits.max_drain);
            if (self.req.expects_continue() && !self.continue_sent) || !cheap {
                self.close = true;
            }
        }
        let conn = encode::ConnectionField {
            close: self.close,
            keep_alive: !self.close && self.req.version() == Version::Http10,
            upgrade: asked("upgrade"),
        };
        self.conn.wbuf.clear();
        encode::write_head(&mut self.conn.wbuf, head, framing, conn);
        self.status = Some(head.status.as_u16());
        Ok(())
    }

    async fn flush_wbuf(&mut self) -> io::Result<()> {
        let r = self.conn.io.write_all(&self.conn.wbuf).await;
        self.conn.wbuf.clear();
        r?;
        self.conn.io.flush().await
    }

    /// Finishes what the handler left open. Returns whether the connection
    /// can carry another request.
    async fn settle(&mut self, panicked: bool) -> bool {
        match self.state {
            State::Head => {
                let status = match self.body_error {
                    Some(e) if !panicked => e,
                    _ => {
                        let _ = self
                            .send_problem(500, "The handler failed to answer.")
                            .await;
                        return false;
                    }
                };
                let _ = self.send_error(status).await;
                return false;
            }
            State::Streaming { .. } => {
                if panicked || self.finish().await.is_err() {
                    return false;
                }
            }
            State::Switched | State::Faulted => return false,
            State::Done => {}
        }
        if self.close || panicked {
            return false;
        }
        // Read and discard what is left of the body so the next request
        // starts at the right byte.
        let mut drained = 0u64;
        while !self.decoder.is_done() {
            match self.read_chunk().await {
                Ok(Some(d)) => {
                    drained += d.len() as u64;
                    if drained > self.limits.max_drain {
                        return false;
                    }
                }
                Ok(None) => break,
                Err(_) => return false,
            }
        }
        true
    }

    async fn send_error(&mut self, e: RequestError) -> io::Result<()> {
        self.send_problem(e.status(), e.detail()).await
    }

    async fn send_problem(&mut self, status: u16, detail: &str) -> io::Result<()> {
        self.close = true;
        // The head was read: a client that asks for plain text gets it.
        let plain = self.req.header_str("accept").is_some_and(|a| {
            let a = a.to_ascii_lowercase();
            a.contains("text/plain") && !a.contains("json")
        });
        let (head, body) = if plain {
            plain_problem(status, detail)
        } else {
            problem(status, detail)
        };
        self.respond(head, body).await
    }
}

/// An RFC 9457 problem details response for an engine-level error.
fn problem(status: u16, detail: &str) -> (Head, Bytes) {
    // Invariant: callers pass codes in 400..=599.
    let status = Status::from_u16(status)
        .unwrap_or(Status::from_u16(500).unwrap_or_else(|_| unreachable!()));
    let mut body = String::with_capacity(128 + detail.len());
    body.push_str("{\"type\":\"about:blank\",\"title\":\"");
    json_escape(&mut body, status.reason());
    body.push_str("\",\"status\":");
    body.push_str(&status.as_u16().to_string());
    body.push_str(",\"detail\":\"");
    json_escape(&mut body, detail);
    body.push_str("\"}\n");
    let mut head = Head::new(status).header("Content-Type", "application/problem+json");
    if status == 503 {
        head = head.header("Retry-After", "1");
    }
    (head, Bytes::from(body))
}

/// The same error as plain text: status line, then the detail.
fn plain_problem(status: u16, detail: &str) -> (Head, Bytes) {
    let (mut head, _) = problem(status, detail);
    head.remove("content-type");
    let head = head.header("Content-Type", "text/plain; charset=utf-8");
    let body = format!("{} {}\n{detail}\n", head.status(), head.reason_phrase());
    (head, Bytes::from(body))
}

fn json_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// The connection after a 101: reads first return what the client sent
/// behind the upgrade request, then the transport's own bytes.
pub struct Upgraded<'a, T> {
    io: &'a mut T,
    pre: BytesMut,
}

impl<T: Transport> AsyncRead for Upgraded<'_, T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.pre.is_empty() {
            let n = self.pre.len().min(buf.remaining());
            let chunk = self.pre.split_to(n);
            buf.put_slice(&chunk);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut *self.io).poll_read(cx, buf)
    }
}

impl<T: Transport> AsyncWrite for Upgraded<'_, T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.io).poll_shutdown(cx)
    }
}

async fn read_more<T: Transport>(io: &mut T, buf: &mut BytesMut) -> io::Result<usize> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(8192);
    }
    io.read_buf(buf).await
}

enum Next {
    Request(Request),
    Refuse(RequestError),
    Close,
}

/// Serves one connection until it closes, the peer leaves, or `shutdown`
/// turns true (then after the exchange in progress).
pub async fn serve_connection<T: Transport, S: Service>(
    io: T,
    remote: Option<SocketAddr>,
    service: &S,
    config: &Config,
    mut shutdown: Shutdown,
) {
    let mut conn = Conn {
        io,
        rbuf: BytesMut::with_capacity(8192),
        wbuf: Vec::with_capacity(1024),
        remote,
    };
    if let Some(o) = &config.observer {
        o.connection_opened();
    }
    serve_requests(&mut conn, service, config, &mut shutdown).await;
    if let Some(o) = &config.observer {
        o.connection_closed();
    }
}

async fn serve_requests<T: Transport, S: Service>(
    conn: &mut Conn<T>,
    service: &S,
    config: &Config,
    shutdown: &mut Shutdown,
) {
    let limits = &config.limits;
    let mut first = true;
    loop {
        let next = read_head(conn, limits, first, shutdown).await;
        first = false;
        let req = match next {
            Next::Request(req) => req,
            Next::Refuse(e) => {
                let started = Instant::now();
                refuse_unparsed(conn, e).await;
                if let Some(o) = &config.observer {
                    o.exchange(&Record {
                        method: None,
                        path: None,
                        status: Some(e.status()),
                        interim: 0,
                        bytes: 0,
                        duration: started.elapsed(),
                        ending: Ending::Refused,
                    });
                }
                break;
            }
            Next::Close => break,
        };
        let started = Instant::now();
        let decoder = match req.body_kind() {
            BodyKind::Empty => Decoder::Done,
            BodyKind::Length(n) => Decoder::length(n),
            BodyKind::Chunked => Decoder::chunked(),
        };
        let mut ex = Exchange {
            conn: &mut *conn,
            limits,
            shutdown: &*shutdown,
            req,
            decoder,
            trailers: Vec::new(),
            continue_sent: false,
            body_error: None,
            state: State::Head,
            close: false,
            status: None,
            interim_sent: 0,
            bytes_out: 0,
        };
        let keep = {
            let permit = match &config.inflight {
                Some(sem) => match sem.clone().try_acquire_owned() {
                    Ok(p) => Some(p),
                    Err(_) => {
                        let _ = ex
                            .send_problem(503, "The server is at its limit of requests in flight (see --max-inflight); retry shortly.")
                            .await;
                        log_exchange(&ex, started, config);
                        break;
                    }
                },
                None => None,
            };
            let outcome = AssertUnwindSafe(service.call(&mut ex)).catch_unwind().await;
            let panicked = outcome.is_err();
            if panicked {
                tracing::error!("handler panicked on {} {}", ex.req.method(), ex.req.path());
            }
            let keep = ex.settle(panicked).await;
            drop(permit);
            keep
        };
        log_exchange(&ex, started, config);
        let faulted = ex.state == State::Faulted;
        let switched = ex.state == State::Switched;
        if !keep || *shutdown.borrow() {
            if !faulted && !switched {
                linger_close(conn).await;
            }
            break;
        }
    }
}

fn log_exchange<T: Transport>(ex: &Exchange<'_, T>, started: Instant, config: &Config) {
    if let Some(observer) = &config.observer {
        let ending = match ex.state {
            State::Switched => Ending::Switched,
            State::Faulted => Ending::Faulted,
            State::Head => Ending::Lost,
            State::Done | State::Streaming { .. } => Ending::Answered,
        };
        observer.exchange(&Record {
            method: Some(ex.req.method()),
            path: Some(ex.req.path()),
            status: ex.status,
            interim: ex.interim_sent,
            bytes: ex.bytes_out,
            duration: started.elapsed(),
            ending,
        });
    }
    tracing::info!(
        target: "teapot::access",
        method = ex.req.method().as_str(),
        path = ex.req.path(),
        status = ex.status.unwrap_or(0),
        bytes = ex.bytes_out,
        duration_us = started.elapsed().as_micros() as u64,
        protocol = ex.req.version().as_str(),
        "exchange"
    );
}

/// Reads until a whole head is parsed, the peer leaves, a limit is hit, or
/// the server shuts down while the connection is idle.
async fn read_head<T: Transport>(
    conn: &mut Conn<T>,
    limits: &Limits,
    first: bool,
    shutdown: &mut Shutdown,
) -> Next {
    let mut deadline = if first || !conn.rbuf.is_empty() {
        Some(tokio::time::Instant::now() + limits.request_timeout)
    } else {
        None
    };
    loop {
        match role::parse_request(&mut conn.rbuf, limits) {
            Ok(Some(req)) => return Next::Request(req),
            Ok(None) => {}
            Err(e) => return Next::Refuse(e),
        }
        let until =
            deadline.unwrap_or_else(|| tokio::time::Instant::now() + limits.keep_alive_timeout);
        let read = tokio::select! {
            r = tokio::time::timeout_at(until, read_more(&mut conn.io, &mut conn.rbuf)) => r,
            _ = wait_shutdown(shutdown), if conn.rbuf.is_empty() => return Next::Close,
        };
        match read {
            Ok(Ok(0)) | Ok(Err(_)) => return Next::Close,
            Ok(Ok(_)) => {
                if deadline.is_none() {
                    deadline = Some(tokio::time::Instant::now() + limits.request_timeout);
                }
            }
            Err(_) if deadline.is_none() => return Next::Close,
            Err(_) => return Next::Refuse(RequestError::Timeout),
        }
    }
}

async fn wait_shutdown(shutdown: &mut Shutdown) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            // The sender is gone: nobody will ever ask us to stop.
            std::future::pending::<()>().await;
        }
    }
}

/// Answers a request whose head could not be read, then closes.
async fn refuse_unparsed<T: Transport>(conn: &mut Conn<T>, e: RequestError) {
    let (head, body) = problem(e.status(), e.detail());
    conn.wbuf.clear();
    let fields = encode::ConnectionField {
        close: true,
        ..Default::default()
    };
    encode::write_head(
        &mut conn.wbuf,
        &head,
        Framing::Length(body.len() as u64),
        fields,
    );
    conn.wbuf.extend_from_slice(&body);
    tracing::info!(target: "teapot::access", status = e.status(), reason = ?e, "refused");
    if conn.io.write_all(&conn.wbuf).await.is_ok() && conn.io.flush().await.is_ok() {
        linger_close(conn).await;
    }
}

/// Closes in stages (RFC 9112 §9.6): send FIN, then read and discard for a
/// short while, so that unread request bytes do not turn the close into a
/// reset that would destroy the response in flight.
async fn linger_close<T: Transport>(conn: &mut Conn<T>) {
    let _ = conn.io.shutdown().await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    let mut scratch = [0u8; 4096];
    let mut total = 0usize;
    while total < 256 * 1024 {
        match tokio::time::timeout_at(deadline, conn.io.read(&mut scratch)).await {
            Ok(Ok(n)) if n > 0 => total += n,
            _ => break,
        }
    }
}
