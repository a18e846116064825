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
use crate::h2;
use crate::idle::{Idle, IdleSet, EVICTABLE_AFTER};
use crate::limits::Limits;
use crate::problem::{plain_problem, problem};
use crate::response::Head;

/// A byte stream the engine can serve: TCP, TLS, or an in-memory pipe.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send {
    /// Prepares the transport so that dropping it resets the connection
    /// (TCP RST) instead of closing it. The default does nothing.
    fn prepare_reset(&mut self) {}

    /// Whether the transport is TLS. Cleartext HTTP/2 (prior knowledge and
    /// `Upgrade: h2c`) is only for cleartext transports. Default `false`.
    fn is_secure(&self) -> bool {
        false
    }
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
    fn call(&self, ex: &mut Exchange<'_>) -> impl Future<Output = ()> + Send;
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
    /// When set, connections idle between requests register here, so that
    /// a server at its connection limit can close the one idle longest.
    pub idle: Option<Arc<IdleSet>>,
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
    /// The protocol the request came in, when known.
    pub version: Option<Version>,
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
    /// Why the engine refused the request, when it did.
    pub refusal: Option<RequestError>,
}

impl Record<'_> {
    /// An exchange the engine refused before any handler saw it.
    pub(crate) fn refused(
        refusal: RequestError,
        started: Instant,
        version: Option<Version>,
    ) -> Record<'static> {
        Record {
            method: None,
            path: None,
            version,
            status: Some(refusal.status()),
            interim: 0,
            bytes: 0,
            duration: started.elapsed(),
            ending: Ending::Refused,
            refusal: Some(refusal),
        }
    }
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
    /// The engine held a peer to a bound: a flood, a stall, a limit.
    fn defended(&self, defense: Defense) {
        let _ = defense;
    }
}

/// A bound the engine enforced against a peer, for counting: each is what
/// a hostile or broken client meets instead of the server's memory or time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Defense {
    /// HTTP/2: a connection ended for resetting too many streams (the
    /// "rapid reset" flood; `GOAWAY` with `ENHANCE_YOUR_CALM`).
    ResetFlood,
    /// HTTP/2: a connection ended for another protocol error of the peer's.
    ProtocolError,
    /// HTTP/2: a stream refused because the connection already had as many
    /// being answered as it may (`REFUSED_STREAM`).
    RefusedStream,
    /// HTTP/2: a response reset because the client opened no flow-control
    /// window for it in time.
    StalledReader,
    /// HTTP/2: a response reset because the connection already held as
    /// many bytes waiting for flow control as it may.
    HeldBytes,
    /// HTTP/2: a connection closed because its peer did not finish the
    /// `GOAWAY` exchange in time.
    GoawayTimeout,
    /// An idle keep-alive connection closed to make room for a new one at
    /// the connection limit.
    IdleEvicted,
    /// A connection turned away (503) at the connection limit.
    ConnectionLimit,
}

impl Defense {
    /// Every kind, for making label sets up front.
    pub const ALL: [Defense; 8] = [
        Defense::ResetFlood,
        Defense::ProtocolError,
        Defense::RefusedStream,
        Defense::StalledReader,
        Defense::HeldBytes,
        Defense::GoawayTimeout,
        Defense::IdleEvicted,
        Defense::ConnectionLimit,
    ];

    /// A short name, for labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Defense::ResetFlood => "h2_reset_flood",
            Defense::ProtocolError => "h2_protocol_error",
            Defense::RefusedStream => "h2_refused_stream",
            Defense::StalledReader => "h2_stalled_reader",
            Defense::HeldBytes => "h2_held_bytes",
            Defense::GoawayTimeout => "h2_goaway_timeout",
            Defense::IdleEvicted => "idle_evicted",
            Defense::ConnectionLimit => "connection_limit",
        }
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

/// One HTTP/1.x connection: its buffers, and the transport last so that a
/// `&mut Conn<T>` can be seen as a `&mut Conn<dyn Transport>`.
pub(crate) struct Conn<T: ?Sized> {
    pub(crate) rbuf: BytesMut,
    wbuf: Vec<u8>,
    pub(crate) io: T,
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

/// The protocol under an exchange.
pub(crate) enum Wire<'c> {
    /// An HTTP/1.x connection, owned by this exchange until it ends.
    H1 {
        conn: &'c mut Conn<dyn Transport>,
        shutdown: &'c Shutdown,
        decoder: Decoder,
    },
    /// One HTTP/2 stream.
    H2(h2::Stream<'c>),
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
///
/// The same exchange serves HTTP/1.x and HTTP/2 (see [`crate::h2`]), so a
/// handler is written once. What differs is the wire: over HTTP/2 interim
/// responses are HEADERS frames, content is DATA frames, connection-specific
/// fields are never sent, [`switch`](Exchange::switch) is refused (HTTP/2
/// has no 101), and faults become `RST_STREAM` or `GOAWAY`.
pub struct Exchange<'c> {
    wire: Wire<'c>,
    limits: &'c Limits,
    remote: Option<SocketAddr>,
    secure: bool,
    req: Request,
    trailers: Vec<(String, Bytes)>,
    continue_sent: bool,
    body_error: Option<RequestError>,
    state: State,
    close: bool,
    status: Option<u16>,
    interim_sent: u32,
    bytes_out: u64,
}

pub(crate) fn misuse(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, Misuse(msg))
}

/// A handler used the exchange in a way the protocol does not allow
/// (answered twice, sent a 1xx as final, wrote past its length): a bug in
/// the handler, never the client's doing. The exchange's methods return it
/// inside their `io::Error`; [`is_misuse`] tells it from a peer that went
/// away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Misuse(pub &'static str);

impl std::fmt::Display for Misuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Misuse {}

/// Whether an error from the exchange is the handler's bug (a [`Misuse`],
/// or a field that may not be written) rather than the connection failing.
pub fn is_misuse(e: &io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<Misuse>() || inner.is::<crate::InvalidField>())
}

impl<'c> Exchange<'c> {
    pub(crate) fn new(
        wire: Wire<'c>,
        limits: &'c Limits,
        remote: Option<SocketAddr>,
        secure: bool,
        req: Request,
    ) -> Exchange<'c> {
        Exchange {
            wire,
            limits,
            remote,
            secure,
            req,
            trailers: Vec::new(),
            continue_sent: false,
            body_error: None,
            state: State::Head,
            close: false,
            status: None,
            interim_sent: 0,
            bytes_out: 0,
        }
    }

    /// The request head.
    pub fn request(&self) -> &Request {
        &self.req
    }

    /// The peer's address, when the transport has one.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// Whether the request arrived over TLS.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The scheme the request arrived on, `https` or `http`: the one every
    /// URL built for the client must carry.
    pub fn scheme(&self) -> &'static str {
        if self.secure {
            "https"
        } else {
            "http"
        }
    }

    /// Whether the request is HEAD (the engine drops any content written).
    pub fn is_head(&self) -> bool {
        self.req.method() == Method::Head
    }

    /// Whether a final response (or switch, or fault) has been sent.
    pub fn is_answered(&self) -> bool {
        self.state != State::Head
    }

    /// Whether this is stream 1 of a connection that switched from
    /// HTTP/1.1 to HTTP/2 by `Upgrade: h2c`: the request that asked for the
    /// switch, now answered over HTTP/2.
    pub fn is_h2c_upgrade(&self) -> bool {
        matches!(&self.wire, Wire::H2(s) if s.upgraded)
    }

    /// Asks the engine to close the connection after this exchange (over
    /// HTTP/2: to send `GOAWAY` and take no new streams).
    pub fn close_after(&mut self) {
        self.close = true;
    }

    /// Trailer fields of a chunked body, once it has been read to its end.
    pub fn trailers(&self) -> &[(String, Bytes)] {
        &self.trailers
    }

    /// Whether the whole request body has been read.
    fn body_done(&self) -> bool {
        match &self.wire {
            Wire::H1 { decoder, .. } => decoder.is_done(),
            Wire::H2(s) => s.body_done(),
        }
    }

    /// Body bytes still to come, when the request declared its length.
    fn body_remaining(&self) -> Option<u64> {
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

    fn too_large(&mut self) -> BodyError {
        self.body_error = Some(RequestError::BodyTooLarge);
        if matches!(self.wire, Wire::H1 { .. }) {
            self.close = true;
        }
        BodyError::Request(RequestError::BodyTooLarge)
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
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        if self.req.version() == Version::Http10 {
            return Ok(());
        }
        if head.status == 100 {
            self.continue_sent = true;
        }
        self.interim_sent += 1;
        match &mut self.wire {
            Wire::H1 { conn, .. } => {
                conn.wbuf.clear();
                encode::write_head(
                    &mut conn.wbuf,
                    &head,
                    Framing::None,
                    encode::ConnectionField::default(),
                );
                flush_wbuf(conn).await
            }
            Wire::H2(s) => s.interim(&head),
        }
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
        self.check_final(&head)?;
        self.state = State::Done;
        if send_body {
            self.bytes_out += body.len() as u64;
        }
        match &mut self.wire {
            Wire::H1 { conn, .. } => {
                write_h1_head(conn, &head, framing, self.close, &self.req);
                if send_body {
                    conn.wbuf.extend_from_slice(&body);
                }
                flush_wbuf(conn).await
            }
            Wire::H2(s) => {
                s.send_head(&head, framing, !send_body)?;
                if send_body {
                    s.send_data(body, true, self.limits.keep_alive_timeout)
                        .await?;
                }
                Ok(())
            }
        }
    }

    /// Starts a streamed final response. With `length`, exactly that many
    /// bytes must follow; without, the content is chunked (or, for an
    /// HTTP/1.0 client, delimited by closing the connection; over HTTP/2,
    /// by the end of the stream).
    pub async fn start(&mut self, head: Head, length: Option<u64>) -> io::Result<()> {
        let framing = match (encode::content_rule(head.status), length) {
            (Content::Never, _) => Framing::None,
            (Content::Empty, _) => Framing::Length(0),
            (Content::Allowed, Some(n)) => Framing::Length(n),
            (Content::Allowed, None) if self.req.version() >= Version::Http11 => Framing::Chunked,
            (Content::Allowed, None) => {
                self.close = true;
                Framing::Close
            }
        };
        self.check_final(&head)?;
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
        match &mut self.wire {
            Wire::H1 { conn, .. } => {
                write_h1_head(conn, &head, framing, self.close, &self.req);
                flush_wbuf(conn).await
            }
            Wire::H2(s) => s.send_head(&head, framing, discard),
        }
    }

    /// Waits until content can go out without piling up in the server, and
    /// returns how many bytes (at least 1, at most `want`) the next
    /// [`write`](Exchange::write) can send at once. A handler that makes
    /// its content as it goes (ask, make that many bytes, write) holds
    /// nothing while a slow client reads. Over HTTP/2 this is the client's
    /// flow-control window (a client that opens none for the keep-alive
    /// timeout has the stream reset); over HTTP/1.x the socket's own
    /// back-pressure applies in `write`, and this returns at once with
    /// `want`, at most 16 KiB.
    pub async fn ready(&mut self, want: usize) -> io::Result<usize> {
        let State::Streaming { discard, .. } = self.state else {
            return Err(misuse("ready needs a started response"));
        };
        let want = want.clamp(1, 16 * 1024);
        match &mut self.wire {
            Wire::H2(s) if !discard => s.ready(want, self.limits.keep_alive_timeout).await,
            _ => Ok(want),
        }
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
        if discard || data.is_empty() || framing == Framing::None {
            return Ok(());
        }
        if let Framing::Length(_) = framing {
            if data.len() as u64 > remaining {
                return Err(misuse("more content than the declared Content-Length"));
            }
            self.state = State::Streaming {
                framing,
                remaining: remaining - data.len() as u64,
                discard,
            };
        }
        self.bytes_out += data.len() as u64;
        match &mut self.wire {
            Wire::H1 { conn, .. } => {
                conn.wbuf.clear();
                match framing {
                    Framing::Chunked => encode::write_chunk(&mut conn.wbuf, data),
                    _ => conn.wbuf.extend_from_slice(data),
                }
                flush_wbuf(conn).await
            }
            Wire::H2(s) => {
                // The last byte of a fixed length ends the stream.
                let last = matches!(framing, Framing::Length(_)) && data.len() as u64 == remaining;
                s.send_data(
                    Bytes::copy_from_slice(data),
                    last,
                    self.limits.keep_alive_timeout,
                )
                .await
            }
        }
    }

    /// Ends a streamed response. A fixed-length response that is short of
    /// its length cannot be completed: the connection is closed instead
    /// (over HTTP/2, the stream is reset).
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
        let short = matches!(framing, Framing::Length(_)) && remaining > 0 && !discard;
        match &mut self.wire {
            Wire::H1 { conn, .. } => match framing {
                Framing::Chunked if !discard => {
                    conn.wbuf.clear();
                    conn.wbuf.extend_from_slice(encode::LAST_CHUNK);
                    flush_wbuf(conn).await
                }
                _ if short => {
                    self.close = true;
                    Err(misuse("response ended before its Content-Length"))
                }
                _ => Ok(()),
            },
            Wire::H2(s) => match framing {
                Framing::Chunked if !discard => {
                    s.send_data(Bytes::new(), true, self.limits.keep_alive_timeout)
                        .await
                }
                _ if short => {
                    s.reset(::h2::Reason::INTERNAL_ERROR);
                    Err(misuse("response ended before its Content-Length"))
                }
                _ => Ok(()),
            },
        }
    }

    /// Answers 101 and hands over the connection. The client must have asked
    /// for an upgrade (RFC 9110 §7.8); `head` must be a 101 naming the
    /// protocol in `Upgrade`. HTTP/2 has no 101 (RFC 9113 §8.6): there the
    /// call fails and nothing is sent.
    pub async fn switch(&mut self, head: Head) -> io::Result<Upgraded<'_>> {
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
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        let Wire::H1 { conn, .. } = &mut self.wire else {
            return Err(misuse("HTTP/2 has no 101 Switching Protocols"));
        };
        conn.wbuf.clear();
        let fields = encode::ConnectionField {
            upgrade: true,
            ..Default::default()
        };
        encode::write_head(&mut conn.wbuf, &head, Framing::None, fields);
        self.status = Some(101);
        self.state = State::Switched;
        self.close = true;
        flush_wbuf(conn).await?;
        let pre = conn.rbuf.split();
        Ok(Rewind::new(&mut conn.io, pre))
    }

    /// Breaks the exchange on purpose; the connection ends afterwards.
    ///
    /// Over HTTP/2 only what the fault needs goes: [`Fault::Reset`] resets
    /// the stream (`RST_STREAM` with `INTERNAL_ERROR`), [`Fault::Close`]
    /// ends the connection with `GOAWAY` (`NO_ERROR`), and [`Fault::Raw`],
    /// whose bytes cannot be framed, with `GOAWAY` (`PROTOCOL_ERROR`).
    pub async fn fault(&mut self, fault: Fault) -> io::Result<()> {
        self.state = State::Faulted;
        self.close = true;
        match (&mut self.wire, fault) {
            (Wire::H1 { conn, .. }, Fault::Reset) => {
                conn.io.prepare_reset();
                Ok(())
            }
            (Wire::H1 { .. }, Fault::Close) => Ok(()),
            (Wire::H1 { conn, .. }, Fault::Raw(bytes)) => {
                conn.io.write_all(&bytes).await?;
                conn.io.flush().await
            }
            (Wire::H2(s), Fault::Reset) => {
                self.close = false;
                s.reset(::h2::Reason::INTERNAL_ERROR);
                Ok(())
            }
            (Wire::H2(s), Fault::Close) => {
                s.abort(::h2::Reason::NO_ERROR);
                Ok(())
            }
            (Wire::H2(s), Fault::Raw(_)) => {
                s.abort(::h2::Reason::PROTOCOL_ERROR);
                Ok(())
            }
        }
    }

    /// Over HTTP/2, refuses the request with `RST_STREAM` and the error
    /// code `HTTP_1_1_REQUIRED` (RFC 9113 §7): what the request asks for
    /// exists only in HTTP/1.1 (a 101 switch, a 426 with `Upgrade`).
    /// Clients such as curl and browsers then retry over HTTP/1.1. Over
    /// HTTP/1.x the call fails and nothing is sent.
    pub async fn require_http11(&mut self) -> io::Result<()> {
        if self.state != State::Head {
            return Err(misuse("the final response was already sent"));
        }
        let Wire::H2(s) = &mut self.wire else {
            return Err(misuse("the request is already HTTP/1"));
        };
        s.reset(::h2::Reason::HTTP_1_1_REQUIRED);
        self.state = State::Faulted;
        Ok(())
    }

    /// Checks that `head` may go out as the final response now, and decides
    /// whether the connection ends after it.
    fn check_final(&mut self, head: &Head) -> io::Result<()> {
        if self.state != State::Head {
            return Err(misuse("the final response was already sent"));
        }
        if head.status.is_interim() {
            return Err(misuse("a final response cannot be 1xx"));
        }
        if let Some(e) = &head.invalid {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        let asked_close = head.get("connection").is_some_and(|v| {
            v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
        });
        let rule_closes = head.status.entry().is_some_and(|e| e.rules.closes());
        if asked_close || rule_closes {
            self.close = true;
        }
        if let Wire::H1 {
            shutdown, decoder, ..
        } = &self.wire
        {
            if *shutdown.borrow() || !self.req.keep_alive() {
                self.close = true;
            }
            // A body left unread that cannot be drained cheaply ends the
            // connection: the client may be waiting for 100 Continue, or
            // the body may be long.
            if !decoder.is_done() {
                let cheap = decoder
                    .remaining()
                    .is_some_and(|n| n <= self.limits.max_drain);
                if (self.req.expects_continue() && !self.continue_sent) || !cheap {
                    self.close = true;
                }
            }
        }
        self.status = Some(head.status.as_u16());
        Ok(())
    }

    /// Finishes what the handler left open. Returns whether the connection
    /// can carry another request.
    pub(crate) async fn settle(&mut self, panicked: bool) -> bool {
        let answered = self.finish_answer(panicked).await;
        if let Wire::H2(s) = &mut self.wire {
            // An answer that came before the whole body: read the rest (as
            // much as the server would ever take) so the client can finish
            // sending. The alternative, RST_STREAM with NO_ERROR while it
            // still sends, is correct (RFC 9113 §8.1) but makes some
            // clients (curl 7.88) drop the answer they already have.
            if self.state != State::Faulted && !panicked {
                s.drain(self.limits.max_body, self.limits.request_timeout)
                    .await;
            }
            return answered && !self.close;
        }
        if !answered || self.close || panicked {
            return false;
        }
        // Read and discard what is left of the body so the next request
        // starts at the right byte.
        let mut drained = 0u64;
        while !self.body_done() {
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

    /// Ends the answer: an error response when there was none, the end of
    /// a streamed one. Returns whether it ended cleanly.
    async fn finish_answer(&mut self, panicked: bool) -> bool {
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
                false
            }
            State::Streaming { .. } => !panicked && self.finish().await.is_ok(),
            State::Switched | State::Faulted => false,
            State::Done => true,
        }
    }

    async fn send_error(&mut self, e: RequestError) -> io::Result<()> {
        self.send_problem(e.status(), &e.explain(self.limits)).await
    }

    pub(crate) async fn send_problem(&mut self, status: u16, detail: &str) -> io::Result<()> {
        // An HTTP/1 connection cannot be trusted after an engine error; an
        // HTTP/2 stream error leaves the connection's other streams alone.
        if let Wire::H1 { .. } = self.wire {
            self.close = true;
        }
        // The head was read: a client that asks for plain text gets it.
        let plain = crate::accept::prefers_plain_text(self.req.header_str("accept"));
        let (head, body) = if plain {
            plain_problem(status, detail)
        } else {
            problem(status, detail)
        };
        self.respond(head, body).await
    }

    /// What the observer and the access log learn when the exchange ends.
    pub(crate) fn record(&self, started: Instant) -> Record<'_> {
        let ending = match self.state {
            State::Switched => Ending::Switched,
            State::Faulted => Ending::Faulted,
            State::Head => Ending::Lost,
            State::Done | State::Streaming { .. } => Ending::Answered,
        };
        Record {
            method: Some(self.req.method()),
            path: Some(self.req.path()),
            version: Some(self.req.version()),
            status: self.status,
            interim: self.interim_sent,
            bytes: self.bytes_out,
            duration: started.elapsed(),
            ending,
            refusal: None,
        }
    }

    /// Whether the exchange asked for the connection to end (over HTTP/2:
    /// for `GOAWAY`).
    pub(crate) fn wants_close(&self) -> bool {
        self.close
    }
}

fn write_h1_head<T: ?Sized>(
    conn: &mut Conn<T>,
    head: &Head,
    framing: Framing,
    close: bool,
    req: &Request,
) {
    let asked_upgrade = head.get("connection").is_some_and(|v| {
        v.split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
    });
    let fields = encode::ConnectionField {
        close,
        keep_alive: !close && req.version() == Version::Http10,
        upgrade: asked_upgrade,
    };
    conn.wbuf.clear();
    encode::write_head(&mut conn.wbuf, head, framing, fields);
}

/// The most write buffer a connection keeps between writes; a larger one
/// (a big response written whole) is given back.
const WRITE_KEEP: usize = 16 * 1024;

async fn flush_wbuf<T: Transport + ?Sized>(conn: &mut Conn<T>) -> io::Result<()> {
    let r = conn.io.write_all(&conn.wbuf).await;
    conn.wbuf.clear();
    if conn.wbuf.capacity() > WRITE_KEEP {
        conn.wbuf = Vec::new();
    }
    r?;
    conn.io.flush().await
}

/// The connection after a 101: reads first return what the client sent
/// behind the upgrade request, then the transport's own bytes.
pub type Upgraded<'a> = Rewind<&'a mut dyn Transport>;

/// A byte stream with bytes already read from it put back in front: reads
/// return `pre` first, then the stream's own bytes; writes go straight
/// through.
#[derive(Debug)]
pub struct Rewind<R> {
    io: R,
    pre: BytesMut,
}

impl<R> Rewind<R> {
    /// `io` with `pre` to be read first.
    pub fn new(io: R, pre: BytesMut) -> Rewind<R> {
        Rewind { io, pre }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Rewind<R> {
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
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<R: AsyncWrite + Unpin> AsyncWrite for Rewind<R> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The read buffer a connection starts with (and gets back after it was
/// idle): enough for the request heads most clients send; it grows when a
/// head or body needs more.
const READ_START: usize = 2048;

async fn read_more<T: Transport + ?Sized>(io: &mut T, buf: &mut BytesMut) -> io::Result<usize> {
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(if buf.capacity() == 0 {
            READ_START
        } else {
            8192
        });
    }
    io.read_buf(buf).await
}

enum Next {
    Request(Request),
    Refuse(RequestError),
    /// The HTTP/2 connection preface: the client speaks HTTP/2 by prior
    /// knowledge (RFC 9113 §3.3).
    Preface,
    /// The preface's first line followed by something else: answered as
    /// HTTP/2 answers a broken preface, then closed.
    BrokenPreface,
    Close,
}

/// Serves one connection until it closes, the peer leaves, or `shutdown`
/// turns true (then after the exchange in progress).
///
/// On a cleartext transport the connection may turn into HTTP/2: by the
/// HTTP/2 preface as its first bytes (prior knowledge), or by an HTTP/1.1
/// request with `Upgrade: h2c` (RFC 7540 §3.2), answered on stream 1 after
/// a 101. Over TLS, ALPN decides before this is called; see
/// [`crate::h2::serve`].
pub async fn serve_connection<T: Transport + 'static, S: Service>(
    io: T,
    remote: Option<SocketAddr>,
    service: &S,
    config: &Config,
    mut shutdown: Shutdown,
) {
    let mut conn = Conn {
        rbuf: BytesMut::with_capacity(READ_START),
        wbuf: Vec::new(),
        io,
    };
    if let Some(o) = &config.observer {
        o.connection_opened();
    }
    let switch = serve_requests(&mut conn, remote, service, config, &mut shutdown).await;
    if let Some(to_h2) = switch {
        let pre = conn.rbuf.split();
        let io = Rewind {
            io: &mut conn.io,
            pre,
        };
        let secure = io.io.is_secure();
        // Boxed: the HTTP/2 state would otherwise make every connection's
        // future as large as its own.
        Box::pin(h2::serve_inner(
            io, remote, secure, service, config, shutdown, to_h2,
        ))
        .await;
    }
    if let Some(o) = &config.observer {
        o.connection_closed();
    }
}

/// Answers one exchange through the service: the in-flight bound, the
/// handler (a panic is caught and answered with 500), then what the handler
/// left open. Returns whether the connection may carry more.
pub(crate) async fn run_exchange<S: Service>(
    ex: &mut Exchange<'_>,
    service: &S,
    config: &Config,
) -> bool {
    let permit = match &config.inflight {
        Some(sem) => match sem.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                let _ = ex
                    .send_problem(
                        503,
                        "The server is at its limit of requests in flight; retry shortly.",
                    )
                    .await;
                return false;
            }
        },
        None => None,
    };
    let outcome = AssertUnwindSafe(service.call(ex)).catch_unwind().await;
    let panicked = outcome.is_err();
    if panicked {
        tracing::error!("handler panicked on {} {}", ex.req.method(), ex.req.path());
    }
    let keep = ex.settle(panicked).await;
    drop(permit);
    keep
}

/// Serves HTTP/1.x requests; returns how to go on in HTTP/2 when the
/// connection turns into it.
async fn serve_requests<T: Transport + 'static, S: Service>(
    conn: &mut Conn<T>,
    remote: Option<SocketAddr>,
    service: &S,
    config: &Config,
    shutdown: &mut Shutdown,
) -> Option<h2::Start> {
    let limits = &config.limits;
    let mut first = true;
    loop {
        let next = read_head(conn, config, first, shutdown).await;
        let req = match next {
            Next::Request(req) => req,
            Next::Preface if first => return Some(h2::Start::PriorKnowledge),
            Next::Refuse(e) => {
                let started = Instant::now();
                refuse_unparsed(conn, e, limits).await;
                if let Some(o) = &config.observer {
                    o.exchange(&Record::refused(e, started, None));
                }
                break;
            }
            Next::BrokenPreface => {
                tracing::debug!("broken HTTP/2 preface; GOAWAY with PROTOCOL_ERROR");
                if conn.io.write_all(&h2::BROKEN_PREFACE_ANSWER).await.is_ok()
                    && conn.io.flush().await.is_ok()
                {
                    linger_close(conn).await;
                }
                break;
            }
            Next::Preface | Next::Close => break,
        };
        first = false;
        if let Some(block) = h2::wants_h2c(&req, conn.io.is_secure()) {
            let started = Instant::now();
            match h2::switch_h2c(conn, block, limits.request_timeout).await {
                Ok(()) => {
                    if let Some(o) = &config.observer {
                        o.exchange(&Record {
                            method: Some(req.method()),
                            path: Some(req.path()),
                            version: Some(req.version()),
                            status: Some(101),
                            interim: 0,
                            bytes: 0,
                            duration: started.elapsed(),
                            ending: Ending::Switched,
                            refusal: None,
                        });
                    }
                    return Some(h2::Start::Upgraded);
                }
                Err(e) => {
                    tracing::debug!("h2c upgrade failed: {e}");
                    break;
                }
            }
        }
        let started = Instant::now();
        let decoder = match req.body_kind() {
            BodyKind::Empty => Decoder::Done,
            BodyKind::Length(n) => Decoder::length(n),
            BodyKind::Chunked => Decoder::chunked(),
        };
        let secure = conn.io.is_secure();
        let wire = Wire::H1 {
            conn: &mut *conn,
            shutdown: &*shutdown,
            decoder,
        };
        let mut ex = Exchange::new(wire, limits, remote, secure, req);
        let keep = run_exchange(&mut ex, service, config).await;
        observe_exchange(&ex, started, config);
        let ended_wire = matches!(ex.state, State::Faulted | State::Switched);
        if !keep || *shutdown.borrow() {
            if !ended_wire {
                linger_close(conn).await;
            }
            break;
        }
    }
    None
}

pub(crate) fn observe_exchange(ex: &Exchange<'_>, started: Instant, config: &Config) {
    if let Some(observer) = &config.observer {
        observer.exchange(&ex.record(started));
    }
}

/// Reads until a whole head is parsed, the peer leaves, a limit is hit, or
/// the server shuts down (or needs the room) while the connection is idle.
///
/// A connection that waits [`EVICTABLE_AFTER`] for its next request gives
/// back its buffers and registers as idle, so that a server at its
/// connection limit may close it to make room.
async fn read_head<T: Transport + ?Sized>(
    conn: &mut Conn<T>,
    config: &Config,
    first: bool,
    shutdown: &mut Shutdown,
) -> Next {
    let limits = &config.limits;
    let now = tokio::time::Instant::now();
    let mut deadline = if first || !conn.rbuf.is_empty() {
        Some(now + limits.request_timeout)
    } else {
        None
    };
    let keep_alive = now + limits.keep_alive_timeout;
    let mut idle: Option<Idle<'_>> = None;
    let cleartext = !conn.io.is_secure();
    loop {
        if first && cleartext {
            match h2::preface(&conn.rbuf) {
                h2::Preface::Complete => return Next::Preface,
                // Could still be the preface: read on.
                h2::Preface::Partial => {}
                h2::Preface::Broken => return Next::BrokenPreface,
                h2::Preface::No => match role::parse_request(&mut conn.rbuf, limits) {
                    Ok(Some(req)) => return Next::Request(req),
                    Ok(None) => {}
                    Err(e) => return Next::Refuse(e),
                },
            }
        } else {
            match role::parse_request(&mut conn.rbuf, limits) {
                Ok(Some(req)) => return Next::Request(req),
                Ok(None) => {}
                Err(e) => return Next::Refuse(e),
            }
        }
        // Between requests, wake once after EVICTABLE_AFTER to register as
        // idle; then wait out the keep-alive timeout.
        let until = match deadline {
            Some(d) => d,
            None if idle.is_none() && config.idle.is_some() => {
                keep_alive.min(now + EVICTABLE_AFTER)
            }
            None => keep_alive,
        };
        let read = tokio::select! {
            r = tokio::time::timeout_at(until, read_more(&mut conn.io, &mut conn.rbuf)) => r,
            _ = wait_shutdown(shutdown), if conn.rbuf.is_empty() => return Next::Close,
            _ = evicted(&idle), if idle.is_some() => {
                if let Some(o) = &config.observer {
                    o.defended(Defense::IdleEvicted);
                }
                return Next::Close;
            }
        };
        match read {
            Ok(Ok(0)) | Ok(Err(_)) => return Next::Close,
            Ok(Ok(_)) => {
                idle = None;
                if deadline.is_none() {
                    deadline = Some(tokio::time::Instant::now() + limits.request_timeout);
                }
            }
            Err(_) if deadline.is_none() && until < keep_alive && idle.is_none() => {
                if let Some(set) = &config.idle {
                    idle = Some(set.register());
                    // An idle connection holds no buffers.
                    conn.rbuf = BytesMut::new();
                    conn.wbuf = Vec::new();
                }
            }
            Err(_) if deadline.is_none() => return Next::Close,
            Err(_) => return Next::Refuse(RequestError::Timeout),
        }
    }
}

/// Completes when the idle registration asks the connection to close.
pub(crate) async fn evicted(idle: &Option<Idle<'_>>) {
    match idle {
        Some(i) => i.evicted().await,
        None => std::future::pending().await,
    }
}

pub(crate) async fn wait_shutdown(shutdown: &mut Shutdown) {
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
async fn refuse_unparsed<T: Transport + ?Sized>(
    conn: &mut Conn<T>,
    e: RequestError,
    limits: &Limits,
) {
    let (head, body) = problem(e.status(), &e.explain(limits));
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
    if conn.io.write_all(&conn.wbuf).await.is_ok() && conn.io.flush().await.is_ok() {
        linger_close(conn).await;
    }
}

/// Closes in stages (RFC 9112 §9.6): send FIN, then read and discard for a
/// short while, so that unread request bytes do not turn the close into a
/// reset that would destroy the response in flight.
async fn linger_close<T: Transport + ?Sized>(conn: &mut Conn<T>) {
    let _ = conn.io.shutdown().await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    // On the heap: an array here would be part of every connection's
    // future for as long as the connection lives.
    let mut scratch = vec![0u8; 4096];
    let mut total = 0usize;
    while total < 256 * 1024 {
        match tokio::time::timeout_at(deadline, conn.io.read(&mut scratch)).await {
            Ok(Ok(n)) if n > 0 => total += n,
            _ => break,
        }
    }
}
