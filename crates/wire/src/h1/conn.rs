//! The HTTP/1.x connection driver.
//!
//! One task per connection owns the transport and its buffers. For each
//! request it reads the head (bounded by size and time), lets the service
//! answer through an [`Exchange`], then decides whether the connection can
//! carry another request: keep-alive, pipelining, HTTP/1.0 rules, and the
//! body that the handler left unread are all settled here, never in
//! handlers.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::RequestError;
use crate::exchange::{observe_exchange, run_exchange, Exchange};
use crate::h1::decode::Decoder;
use crate::h1::encode;
use crate::h1::wait::{stop_signal, Alarm, Stop};
use crate::h1::wire::{H1Wire, WRITE_KEEP};
use crate::h2c::{self, Handoff};
use crate::idle::{evicted, Idle, EVICTABLE_AFTER};
use crate::limits::Limits;
use crate::message::{self, BodyKind, Request};
use crate::problem::problem;
use crate::response::Framing;
use crate::service::{Config, Defense, Ending, Record, Service, Shutdown, Transport};
use crate::spare;

impl<T> Conn<T> {
    /// A new connection over `io`, with a small read buffer: one a
    /// connection on this thread left, when one is kept.
    pub(crate) fn new(io: T) -> Conn<T> {
        let (rbuf, wbuf) = spare::pop(&SPARE_BUFFERS)
            .unwrap_or_else(|| (BytesMut::with_capacity(READ_START), Vec::new()));
        Conn { rbuf, wbuf, io }
    }
}

impl<T: ?Sized> Conn<T> {
    /// Leaves the connection without buffers; they are kept for the next
    /// connection the thread starts when they are as small as a new
    /// connection's would be after a few requests (one grown for a large
    /// head or body is freed), and when the read buffer is its own (no
    /// request made from it is still held).
    fn let_go_of_buffers(&mut self) {
        let mut rbuf = std::mem::take(&mut self.rbuf);
        let mut wbuf = std::mem::take(&mut self.wbuf);
        rbuf.clear();
        wbuf.clear();
        // Reclaiming never allocates: it fails when the buffer is shared.
        if rbuf.try_reclaim(READ_START)
            && rbuf.capacity() <= READ_KEEP
            && wbuf.capacity() <= WRITE_KEEP
        {
            spare::push(&SPARE_BUFFERS, (rbuf, wbuf), SPARE_BUFFER_PAIRS);
        }
    }
}

impl<T: ?Sized> Drop for Conn<T> {
    fn drop(&mut self) {
        self.let_go_of_buffers();
    }
}

thread_local! {
    /// Buffers that connections gone (or gone idle) left, for the next
    /// connections the thread starts: no allocation for them, and the read
    /// buffer's shared part (made when the first head is split off it) is
    /// made once, not once per connection.
    static SPARE_BUFFERS: Cell<Vec<(BytesMut, Vec<u8>)>> = const { Cell::new(Vec::new()) };
}

/// The most buffer pairs a thread keeps.
const SPARE_BUFFER_PAIRS: usize = 8;

/// The largest read buffer kept: what the read buffer grows to after a
/// few requests on a connection (see [`read_more`]).
const READ_KEEP: usize = READ_START + 8192;

/// One HTTP/1.x connection: its buffers, and the transport last so that a
/// `&mut Conn<T>` can be seen as a `&mut Conn<dyn Transport>`.
pub(crate) struct Conn<T: ?Sized> {
    pub(crate) rbuf: BytesMut,
    pub(crate) wbuf: Vec<u8>,
    pub(crate) io: T,
}

/// The read buffer a connection starts with (and gets back after it was
/// idle): enough for the request heads most clients send; it grows when a
/// head or body needs more.
pub(crate) const READ_START: usize = 2048;

/// How much of an idle connection's next request is read before it gets a
/// read buffer again.
const IDLE_READ: usize = 256;

/// Reads more of a request head into `buf`. `idle`: the connection gave
/// its buffers back, and waits without one (the first bytes of its next
/// request land on the stack, and only then is a buffer made).
pub(crate) async fn read_more<T: Transport + ?Sized>(
    io: &mut T,
    buf: &mut BytesMut,
    idle: bool,
) -> io::Result<usize> {
    if idle && buf.capacity() == 0 {
        let mut first = [0u8; IDLE_READ];
        let n = io.read(&mut first).await?;
        if n > 0 {
            buf.reserve(READ_START);
            buf.extend_from_slice(&first[..n]);
        }
        return Ok(n);
    }
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

/// Serves HTTP/1.x requests; returns how to go on in HTTP/2 when the
/// connection turns into it.
///
/// Not an `async fn`: its arguments would be kept twice in the
/// connection's future, as given and as moved into its body.
#[allow(clippy::manual_async_fn)] // on purpose: see above
pub(crate) fn serve_requests<'a, T: Transport + 'static, S: Service>(
    conn: &'a mut Conn<T>,
    remote: Option<SocketAddr>,
    service: &'a S,
    config: &'a Config,
    shutdown: &'a mut Shutdown,
) -> impl Future<Output = Option<Handoff>> + Send + 'a {
    async move {
        let limits = &config.limits;
        let mut first = true;
        // When the connection became ready for its next request: its start,
        // then the end of each exchange (the clock reading the exchange's
        // duration takes, not one more).
        let mut ready_since = tokio::time::Instant::now();
        // One timer and one shutdown waiter for the connection's life (see
        // `h1::wait`).
        let sleep = pin!(tokio::time::sleep_until(
            ready_since + limits.request_timeout
        ));
        let mut alarm = Alarm::new(sleep);
        let wait = pin!(stop_signal(shutdown.clone()));
        let mut stop = Stop::new(wait, shutdown);
        loop {
            let waits = Waits {
                since: ready_since,
                alarm: &mut alarm,
                stop: &mut stop,
            };
            // On its way to the exchange the request is only moved, never
            // borrowed: a borrowed local keeps its room in the connection's
            // future across every later await, the exchange's too, beside
            // the copy the exchange holds (see `begin`).
            let req = match read_head(conn, config, first, waits).await {
                Next::Request(req) => req,
                Next::Preface if first => return Some(Handoff::PriorKnowledge),
                end => {
                    // Boxed: rare, and it would otherwise widen the
                    // connection's future (it holds what the match held).
                    Box::pin(finish_unserved(conn, end, config, remote)).await;
                    break;
                }
            };
            first = false;
            let (req, decoder) = match begin(req, conn.io.is_secure()) {
                Begin::Exchange(req, decoder) => (req, decoder),
                Begin::H2c(req, block) => {
                    let started = Instant::now();
                    // Boxed: once in a connection's life at most.
                    let switch = Box::pin(h2c::switch_h2c(
                        &mut conn.io,
                        &mut conn.rbuf,
                        block,
                        limits.request_timeout,
                    ));
                    match switch.await {
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
                                    label: None,
                                    client: remote.map(|a| a.ip()),
                                });
                            }
                            return Some(Handoff::Upgraded);
                        }
                        Err(e) => {
                            tracing::debug!("h2c upgrade failed: {e}");
                            break;
                        }
                    }
                }
            };
            let started = Instant::now();
            let secure = conn.io.is_secure();
            // The exchange and its wire end with this block: kept past it,
            // their room would be part of every state of the future, the
            // wait for the next request's too.
            let (keep, ended_wire, body_read) = {
                let mut wire = H1Wire::new(&mut *conn, &*shutdown, decoder);
                let mut ex = Exchange::new(&mut wire, limits, remote, secure, req);
                let keep = run_exchange(&mut ex, service, config).await;
                let ended = Instant::now();
                observe_exchange(&ex, ended - started, config);
                ready_since = ended.into();
                let ended_wire = ex.ended_wire();
                (
                    keep,
                    ended_wire,
                    crate::exchange::wire::Wire::body_done(&wire),
                )
            };
            if !keep || *shutdown.borrow() {
                if !ended_wire {
                    if body_read && nothing_pending(conn) {
                        // The request was read to its end and nothing follows
                        // it: a plain close cannot turn into a reset, so the
                        // lingering read is not needed.
                        if conn.io.is_secure() {
                            // close_notify, so the end of the answer is not
                            // taken for a truncation.
                            let _ = conn.io.shutdown().await;
                        }
                    } else {
                        linger_close(conn).await;
                    }
                }
                break;
            }
        }
        None
    }
}

/// Ends a connection whose next message is not a request to serve: a head
/// the parser refused is answered, a broken HTTP/2 preface gets GOAWAY;
/// a peer that left (or a preface after the first request) is let go.
async fn finish_unserved<T: Transport + ?Sized>(
    conn: &mut Conn<T>,
    end: Next,
    config: &Config,
    remote: Option<SocketAddr>,
) {
    match end {
        Next::Refuse(e) => {
            let started = Instant::now();
            refuse_unparsed(conn, e, &config.limits).await;
            if let Some(o) = &config.observer {
                o.exchange(&Record::refused(e, started, None, remote));
            }
        }
        Next::BrokenPreface => {
            tracing::debug!("broken HTTP/2 preface; GOAWAY with PROTOCOL_ERROR");
            if conn.io.write_all(&h2c::BROKEN_PREFACE_ANSWER).await.is_ok()
                && conn.io.flush().await.is_ok()
            {
                linger_close(conn).await;
            }
        }
        Next::Request(_) | Next::Preface | Next::Close => {}
    }
}

/// What comes of a parsed request: an exchange, with the decoder of its
/// body, or a switch to HTTP/2 (RFC 7540 §3.2) with the settings block.
enum Begin {
    Exchange(Request, Decoder),
    H2c(Request, Bytes),
}

/// Reads what `serve_requests` needs of `req` and gives it back, so that
/// there the request is only ever moved (see the note where it is called).
fn begin(req: Request, secure: bool) -> Begin {
    if let Some(block) = h2c::wants_h2c(&req, secure) {
        return Begin::H2c(req, block);
    }
    let decoder = match req.body_kind() {
        BodyKind::Empty => Decoder::Done,
        BodyKind::Length(n) => Decoder::length(n),
        BodyKind::Chunked => Decoder::chunked(),
    };
    Begin::Exchange(req, decoder)
}

/// What a connection waits with between requests: when it became ready
/// for the next one, its timer and its shutdown waiter.
struct Waits<'w, 'a, F> {
    since: tokio::time::Instant,
    alarm: &'w mut Alarm<'a>,
    stop: &'w mut Stop<'a, F>,
}

/// Reads until a whole head is parsed, the peer leaves, a limit is hit, or
/// the server shuts down (or needs the room) while the connection is idle.
///
/// A connection that waits [`EVICTABLE_AFTER`] for its next request gives
/// back its buffers and registers as idle, so that a server at its
/// connection limit may close it to make room.
async fn read_head<T: Transport + ?Sized, F: Future<Output = ()>>(
    conn: &mut Conn<T>,
    config: &Config,
    first: bool,
    waits: Waits<'_, '_, F>,
) -> Next {
    let limits = &config.limits;
    let keep_alive = waits.since + limits.keep_alive_timeout;
    // The deadline of a head under way: a new connection's first head is
    // timed from the start, like one whose bytes are already here; one
    // that starts later from the first time it has to wait for more (one
    // read after its first bytes came), so a head that comes whole needs
    // no clock reading.
    let mut underway = first || !conn.rbuf.is_empty();
    let mut deadline = underway.then(|| waits.since + limits.request_timeout);
    let mut idle: Option<Idle<'_>> = None;
    let cleartext = !conn.io.is_secure();
    loop {
        if first && cleartext {
            match h2c::preface(&conn.rbuf) {
                h2c::Preface::Complete => return Next::Preface,
                // Could still be the preface: read on.
                h2c::Preface::Partial => {}
                h2c::Preface::Broken => return Next::BrokenPreface,
                h2c::Preface::No => match message::parse_request(&mut conn.rbuf, limits) {
                    Ok(Some(req)) => return Next::Request(req),
                    Ok(None) => {}
                    Err(e) => return Next::Refuse(e),
                },
            }
        } else {
            match message::parse_request(&mut conn.rbuf, limits) {
                Ok(Some(req)) => return Next::Request(req),
                Ok(None) => {}
                Err(e) => return Next::Refuse(e),
            }
        }
        if underway && deadline.is_none() {
            deadline = Some(tokio::time::Instant::now() + limits.request_timeout);
        }
        // Between requests, wake once after EVICTABLE_AFTER to register as
        // idle; then wait out the keep-alive timeout.
        let (until, on_time) = match deadline {
            Some(d) => (d, Waited::HeadTimeout),
            None if idle.is_none() && config.idle.is_some() => {
                let evictable = waits.since + EVICTABLE_AFTER;
                if evictable < keep_alive {
                    (evictable, Waited::Quiet)
                } else {
                    (keep_alive, Waited::KeepAliveOver)
                }
            }
            None => (keep_alive, Waited::KeepAliveOver),
        };
        // A connection yet to send its first request is served once when
        // the server drains (`Config::drain_new`).
        let stops = conn.rbuf.is_empty() && !(first && config.drain_new);
        let was_idle = idle.is_some();
        // The read goes first: when the task wakes for it, neither the
        // timer nor the shutdown and eviction waiters are polled again.
        let waited = tokio::select! {
            biased;
            r = read_more(&mut conn.io, &mut conn.rbuf, was_idle) => Waited::Read(r),
            () = waits.alarm.until(until) => on_time,
            () = &mut *waits.stop, if stops => Waited::Stop,
            _ = evicted(&idle), if was_idle => {
                if let Some(o) = &config.observer {
                    o.defended(Defense::IdleEvicted);
                }
                Waited::Stop
            }
        };
        match waited {
            Waited::Read(Ok(0) | Err(_)) | Waited::Stop | Waited::KeepAliveOver => {
                return Next::Close
            }
            Waited::Read(Ok(_)) => {
                idle = None;
                underway = true;
            }
            Waited::Quiet => {
                if let Some(set) = &config.idle {
                    idle = Some(set.register());
                    // An idle connection holds no buffers.
                    conn.let_go_of_buffers();
                }
            }
            Waited::HeadTimeout => return Next::Refuse(RequestError::Timeout),
        }
    }
}

/// How one wait of [`read_head`] ended.
enum Waited {
    /// The read finished (with the number of bytes read, 0 at the end of
    /// the stream).
    Read(io::Result<usize>),
    /// A second without a request: time to register as idle.
    Quiet,
    /// The keep-alive timeout passed without a request.
    KeepAliveOver,
    /// The head under way took longer than the request timeout.
    HeadTimeout,
    /// The server shuts down, or evicted this idle connection.
    Stop,
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

/// Whether nothing more from the client waits to be read: the buffer is
/// empty and a read now would wait (or finds the end of the stream).
fn nothing_pending<T: Transport + ?Sized>(conn: &mut Conn<T>) -> bool {
    use futures_util::FutureExt as _;
    if !conn.rbuf.is_empty() {
        return false;
    }
    match conn.io.read_buf(&mut conn.rbuf).now_or_never() {
        None | Some(Ok(0)) => true,
        Some(_) => false,
    }
}

/// Closes in stages (RFC 9112 §9.6): see [`close_in_stages`].
async fn linger_close<T: Transport + ?Sized>(conn: &mut Conn<T>) {
    close_in_stages(&mut conn.io).await;
}

/// Closes a connection in stages (RFC 9112 §9.6): send FIN, then read and
/// discard for a short while (at most 500 ms and 256 KiB), so that unread
/// request bytes do not turn the close into a reset that would destroy the
/// response in flight.
pub async fn close_in_stages<T: AsyncRead + AsyncWrite + Unpin + ?Sized>(io: &mut T) {
    let _ = io.shutdown().await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    // On the heap (an array here would be part of every connection's
    // future for as long as the connection lives), and never zeroed: what
    // is read is thrown away.
    let mut scratch = Vec::with_capacity(4096);
    let mut total = 0usize;
    while total < 256 * 1024 {
        scratch.clear();
        match tokio::time::timeout_at(deadline, io.read_buf(&mut scratch)).await {
            Ok(Ok(n)) if n > 0 => total += n,
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[tokio::test]
    async fn an_idle_connection_waits_without_a_buffer() {
        let (mut client, mut server) = tokio::io::duplex(4096);
        let mut buf = BytesMut::new();
        // Nothing to read yet: the wait holds no buffer.
        let mut read = Box::pin(read_more(&mut server, &mut buf, true));
        assert!((&mut read).now_or_never().is_none());
        drop(read);
        assert_eq!(buf.capacity(), 0);
        // The next request's bytes get a buffer of the usual size.
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let n = read_more(&mut server, &mut buf, true).await.unwrap();
        assert_eq!(&buf[..n], b"GET / HTTP/1.1\r\n");
        assert!(buf.capacity() >= READ_START);
    }

    /// A connection that ends leaves its buffers to the next one the
    /// thread starts — emptied, with their whole room again even after a
    /// head was split off — unless a request made from the read buffer is
    /// still held or the buffers grew large.
    #[test]
    fn a_new_connection_starts_with_the_buffers_the_last_one_left() {
        while spare::pop(&SPARE_BUFFERS).is_some() {}
        let mut first = Conn::new(());
        let at = first.rbuf.as_ptr();
        first.rbuf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        let head = first.rbuf.split_to(18).freeze();
        first.wbuf.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        drop(head);
        drop(first);
        let second = Conn::new(());
        assert_eq!(second.rbuf.as_ptr(), at, "the same read buffer");
        assert!(second.rbuf.is_empty() && second.wbuf.is_empty());
        assert_eq!(second.rbuf.capacity(), READ_START);
        assert!(second.wbuf.capacity() > 0, "the write buffer too");

        // A request still held keeps the read buffer from being reused.
        let mut third = second;
        third.rbuf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        let held = third.rbuf.split_to(18).freeze();
        drop(third);
        assert!(spare::pop(&SPARE_BUFFERS).is_none());
        drop(held);

        // Nor is a buffer grown large kept.
        let mut big = Conn::new(());
        big.rbuf.reserve(READ_KEEP + 1);
        drop(big);
        assert!(spare::pop(&SPARE_BUFFERS).is_none());
    }
}
