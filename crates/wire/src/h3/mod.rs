//! HTTP/3: the same [`Exchange`] over QUIC streams.
//!
//! `quinn` does QUIC (TLS 1.3, streams, flow control, loss recovery) and
//! the `h3` crate HTTP/3's framing, QPACK and control streams; this module
//! adapts each request stream to the exchange handlers already use, as the
//! HTTP/2 driver does, so a handler is written once for every protocol:
//!
//! - the request's fields are read by the same HTTP/1.1 parser (one set of
//!   checks and limits, see [`crate::multiplexed`]);
//! - interim responses are HEADERS frames before the final one (RFC 9114
//!   §4.1), never 101: a request only HTTP/1.1 can answer gets the stream
//!   error `H3_VERSION_FALLBACK`;
//! - faults become `RESET_STREAM` or `CONNECTION_CLOSE` with HTTP/3 codes;
//! - limits: field section size, concurrent streams and receive windows
//!   (QUIC's own flow control, set in [`transport`]), body size, body-read
//!   timeout, a stalled reader;
//! - idleness as on HTTP/2: a connection without streams for the
//!   keep-alive timeout, or idle when the server needs room, gets `GOAWAY`
//!   and is closed; while streams are open the server sends QUIC pings, so
//!   that a long answer (`/delay`) does not look idle to QUIC;
//! - shutdown: `GOAWAY`, streams in flight finish, then the connection
//!   closes.
//!
//! 0-RTT is not offered (the TLS configuration allows no early data), so
//! no request is ever replayed (RFC 9114 §10.9).

mod stream;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt as _;
use h3::error::Code;
use h3::server::RequestResolver;

use crate::error::RequestError;
use crate::exchange::{observe_exchange, run_exchange, Exchange};
use crate::idle::{evicted, Idle, EVICTABLE_AFTER};
use crate::message::{BodyKind, Version};
use crate::multiplexed::{to_http, to_request};
use crate::problem::problem;
use crate::response::Framing;
use crate::service::{wait_shutdown, Config, Defense, Record, Service, Shutdown};

use stream::{Signals, Stream};

/// Request streams one client may have open at once. QUIC counts a stream
/// until both sides are done with it, so a client that resets streams
/// cannot open more than this while their handlers run.
pub const MAX_STREAMS: u32 = 128;

/// Unidirectional streams one client may open (HTTP/3 needs three: the
/// control stream and QPACK's two).
const MAX_UNI_STREAMS: u32 = 8;

/// Receive window of each stream, in bytes.
const STREAM_WINDOW: u32 = 256 * 1024;

/// Receive window of the whole connection, in bytes.
const CONNECTION_WINDOW: u32 = 1024 * 1024;

/// Response bytes one connection may have sent and not yet acknowledged.
const SEND_WINDOW: u64 = 1024 * 1024;

/// The longest a connection that was sent `GOAWAY` is kept once no stream
/// is left, for the client to acknowledge the last answers.
const GOAWAY_WAIT: Duration = Duration::from_secs(5);

/// How long to wait, after the last answer of a connection that was sent
/// `GOAWAY`, before closing it: closing discards data not yet
/// acknowledged, so a few round trips (a probe timeout's worth) for the
/// client's acknowledgements to come back, unless it closes first.
pub(crate) fn linger(quic: &quinn::Connection) -> Duration {
    (quic.rtt() * 3 + Duration::from_millis(30)).min(GOAWAY_WAIT)
}

/// The QUIC transport settings HTTP/3 is served with: the stream cap and
/// windows above, no datagrams; QUIC's idle timeout (a peer that went away, silently,
/// RFC 9000 §10.1) is the longer of the keep-alive and request timeouts,
/// and the server pings at a third of it, so a live peer never reaches it:
/// idle connections are ended by the connection's task, as on HTTP/2.
pub fn transport(limits: &crate::limits::Limits) -> quinn::TransportConfig {
    let idle = limits.keep_alive_timeout.max(limits.request_timeout);
    let mut t = quinn::TransportConfig::default();
    t.max_concurrent_bidi_streams(MAX_STREAMS.into())
        .max_concurrent_uni_streams(MAX_UNI_STREAMS.into())
        .stream_receive_window(STREAM_WINDOW.into())
        .receive_window(CONNECTION_WINDOW.into())
        .send_window(SEND_WINDOW)
        .max_idle_timeout(idle.try_into().ok())
        .keep_alive_interval(Some(idle / 3))
        // HTTP/3 here uses no datagrams: none are taken, so none are held.
        .datagram_receive_buffer_size(None);
    t
}

/// The `SETTINGS_MAX_FIELD_SECTION_SIZE` to advertise: as for HTTP/2, the
/// engine's own limits in QPACK's terms (32 bytes more per field), so a
/// section over the engine's limits but within this gets the engine's 431.
fn field_section_size(limits: &crate::limits::Limits) -> u64 {
    (limits.max_header_bytes + 32 * limits.max_headers + limits.max_uri + 256) as u64
}

/// Serves one QUIC connection attempt: the handshake (bounded by the
/// request timeout), then HTTP/3 until the client leaves, the connection
/// is idle too long, a stream ends it, or the server shuts down.
pub async fn serve<S: Service>(
    incoming: quinn::Incoming,
    service: &S,
    config: &Config,
    shutdown: Shutdown,
) {
    let remote = incoming.remote_address();
    let connecting = match incoming.accept() {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!("QUIC connection from {remote} refused: {e}");
            return;
        }
    };
    let conn = match tokio::time::timeout(config.limits.request_timeout, connecting).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            tracing::debug!("QUIC handshake with {remote} failed: {e}");
            return;
        }
        Err(_) => return,
    };
    if let Some(o) = &config.observer {
        o.connection_opened();
    }
    serve_connection(conn, Some(remote), service, config, shutdown).await;
    if let Some(o) = &config.observer {
        o.connection_closed();
    }
}

async fn serve_connection<S: Service>(
    quic: quinn::Connection,
    remote: Option<SocketAddr>,
    service: &S,
    config: &Config,
    mut shutdown: Shutdown,
) {
    let limits = &config.limits;
    let mut builder = h3::server::builder();
    builder
        .max_field_section_size(field_section_size(limits))
        .send_grease(false);
    let built = builder.build::<_, Bytes>(h3_quinn::Connection::new(quic.clone()));
    let mut conn = match tokio::time::timeout(limits.request_timeout, built).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            tracing::debug!("HTTP/3 connection setup failed: {e}");
            return;
        }
        Err(_) => return,
    };
    let signals = Arc::new(Signals::new(config.observer.clone()));
    let mut streams = FuturesUnordered::new();
    // No new requests: GOAWAY was sent (or received), or the connection
    // failed; streams in flight still finish.
    let mut closing = false;
    // When the connection last had no stream, and its registration as idle
    // (made after EVICTABLE_AFTER of that) for a server that needs room.
    let mut idle_since = tokio::time::Instant::now();
    let mut registered: Option<Idle<'_>> = None;
    let evictable = config.idle.is_some();
    // A connection that arrives while the server drains is served one
    // request before its GOAWAY (`Config::drain_new`), as on HTTP/1.1.
    let mut first_pending = config.drain_new && *shutdown.borrow();
    loop {
        if closing && streams.is_empty() {
            break;
        }
        let idle = streams.is_empty();
        tokio::select! {
            accepted = conn.accept(), if !closing => match accepted {
                Ok(Some(resolver)) => {
                    registered = None;
                    first_pending = false;
                    streams.push(answer(resolver, quic.clone(), remote, service, config, &signals));
                }
                Ok(None) => closing = true,
                Err(e) => {
                    tracing::debug!("HTTP/3 connection error: {e}");
                    closing = true;
                }
            },
            Some(()) = streams.next(), if !streams.is_empty() => {
                // Let every other stream that can go on do so before the
                // connection writes: their answers then leave together,
                // in one write, rather than one write per answer.
                while let Some(Some(())) = streams.next().now_or_never() {}
                idle_since = tokio::time::Instant::now();
            }
            _ = tokio::time::sleep_until(idle_since + limits.keep_alive_timeout), if idle && !closing => {
                let _ = conn.shutdown(0).await;
                closing = true;
            }
            _ = tokio::time::sleep_until(idle_since + EVICTABLE_AFTER), if idle && !closing && evictable && registered.is_none() => {
                registered = config.idle.as_ref().map(|set| set.register());
            }
            _ = evicted(&registered), if idle && !closing && registered.is_some() => {
                signals.defended(Defense::IdleEvicted);
                registered = None;
                let _ = conn.shutdown(0).await;
                closing = true;
            }
            _ = wait_shutdown(&mut shutdown), if !closing && !first_pending => {
                let _ = conn.shutdown(0).await;
                closing = true;
            }
        }
        if let Some(code) = signals.abort() {
            // What the stream sent before its fault arrives first.
            tokio::time::sleep(linger(&quic)).await;
            quic.close(code, b"");
            return;
        }
        if !closing && signals.goaway.load(Ordering::Relaxed) {
            let _ = conn.shutdown(0).await;
            closing = true;
        }
    }
    // Every answer has been handed to QUIC: once the client has had time
    // to acknowledge them (or has closed), the connection ends.
    let _ = tokio::time::timeout(linger(&quic), quic.closed()).await;
    quic.close(
        Code::H3_NO_ERROR.value().try_into().unwrap_or_default(),
        b"",
    );
}

/// Answers one request stream: its head (within the request timeout),
/// then the exchange.
async fn answer<S: Service>(
    resolver: RequestResolver<h3_quinn::Connection, Bytes>,
    quic: quinn::Connection,
    remote: Option<SocketAddr>,
    service: &S,
    config: &Config,
    signals: &Arc<Signals>,
) {
    let limits = &config.limits;
    let started = Instant::now();
    let (request, stream) =
        match tokio::time::timeout(limits.request_timeout, resolver.resolve_request()).await {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => {
                tracing::debug!("HTTP/3 request not read: {e}");
                return;
            }
            Err(_) => {
                if let Some(o) = &config.observer {
                    let e = RequestError::Timeout;
                    o.exchange(&Record::refused(e, started, Some(Version::Http3), remote));
                }
                return;
            }
        };
    let (parts, ()) = request.into_parts();
    // Whether DATA frames follow is not known before reading; a body is
    // possible, which only matters to `Expect: 100-continue`.
    let (send, recv) = stream.split();
    let mut stream = Stream::new(send, recv, signals.clone(), quic);
    let req = match to_request(&parts, true, Version::Http3, limits) {
        Ok(req) => req,
        Err(e) => {
            let (head, body) = problem(e.status(), &e.explain(limits));
            if let Ok(resp) = to_http(&head, Framing::Length(body.len() as u64), true) {
                stream.refuse(resp, body, limits.request_timeout).await;
            }
            if let Some(o) = &config.observer {
                o.exchange(&Record::refused(e, started, Some(Version::Http3), remote));
            }
            return;
        }
    };
    stream.set_declared(match req.body_kind() {
        BodyKind::Length(n) => Some(n),
        _ => None,
    });
    let mut ex: Exchange<'_> = Exchange::new(&mut stream, limits, remote, true, req);
    run_exchange(&mut ex, service, config).await;
    observe_exchange(&ex, started.elapsed(), config);
    if ex.wants_close() {
        signals.goaway.store(true, Ordering::Relaxed);
    }
}
