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
//! - cleartext HTTP/2 by prior knowledge and by `Upgrade: h2c`: see
//!   [`crate::h2c`], which hands such connections over from HTTP/1.1.
//!
//! `stream.rs` is one stream as an exchange sees it (flow control, held
//! content, faults); this file is the connection: settings, accepting
//! streams, idleness, `GOAWAY`.

mod stream;

use stream::Signals;
pub(crate) use stream::Stream;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use std::time::{Duration, Instant};

use ::h2::server::SendResponse;
use ::h2::{Reason, RecvStream};
use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt as _;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::RequestError;
use crate::exchange::{observe_exchange, run_exchange, Exchange};
use crate::idle::evicted;
use crate::idle::{Idle, EVICTABLE_AFTER};
use crate::message::Version;
use crate::multiplexed::{to_http, to_request};
use crate::problem::problem;
use crate::response::Framing;
use crate::service::{wait_shutdown, Config, Defense, Record, Service, Shutdown, Transport};

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
    serve_inner(io, remote, secure, service, config, shutdown, false).await;
    if let Some(o) = &config.observer {
        o.connection_closed();
    }
}

/// Drives one HTTP/2 connection: accepts streams and answers each on this
/// task until the client leaves, the connection is idle too long, a stream
/// ends it, or the server shuts down (then `GOAWAY`, and streams in flight
/// finish). `upgraded`: the connection came from `Upgrade: h2c`, and
/// stream 1 is the request that asked for it.
pub(crate) async fn serve_inner<I, S>(
    io: I,
    remote: Option<SocketAddr>,
    secure: bool,
    service: &S,
    config: &Config,
    mut shutdown: Shutdown,
    upgraded: bool,
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
                    let upgraded = upgraded && respond.stream_id().as_u32() == 1;
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
                // Let every other stream that can go on do so before the
                // connection writes: their answers then leave together,
                // in one write, rather than one write per answer.
                while let Some(Some(())) = streams.next().now_or_never() {}
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
    let req = match to_request(&parts, has_body, Version::Http2, &config.limits) {
        Ok(req) => req,
        Err(e) => {
            refuse(&mut respond, e, &config.limits);
            if let Some(o) = &config.observer {
                o.exchange(&Record::refused(e, started, Some(Version::Http2), remote));
            }
            return;
        }
    };
    let mut stream = Stream::new(respond, recv, upgraded, signals);
    let mut ex: Exchange<'_> = Exchange::new(&mut stream, &config.limits, remote, secure, req);
    run_exchange(&mut ex, service, config).await;
    observe_exchange(&ex, started.elapsed(), config);
    if ex.wants_close() {
        signals.goaway.store(true, Ordering::Relaxed);
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
