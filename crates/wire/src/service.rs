//! What the engine and the application share: the transport a connection
//! runs over, the service that answers, the settings of a server, what an
//! observer is told, and the shutdown signal.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::error::RequestError;
use crate::exchange::Exchange;
use crate::idle::IdleSet;
use crate::limits::Limits;
use crate::message::{Method, Version};

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
    pub inflight: Option<Arc<Inflight>>,
    /// When set, told about every connection and exchange (metrics).
    pub observer: Option<Arc<dyn Observe>>,
    /// When set, connections idle between requests register here, so that
    /// a server at its connection limit can close the one idle longest.
    pub idle: Option<Arc<IdleSet>>,
    /// Once the shutdown signal is up, a connection that has not sent its
    /// first request is still served once (with `Connection: close`)
    /// rather than closed at once: a server draining behind a load
    /// balancer keeps serving the connections the balancer still opens.
    /// Otherwise (the default) such a connection closes with the rest.
    pub drain_new: bool,
}

/// The bound on exchanges in flight at once: a count, taken and given back
/// with one atomic operation each (nothing ever waits for a place: one
/// over the bound is answered 503 at once).
#[derive(Debug)]
pub struct Inflight {
    max: usize,
    now: AtomicUsize,
}

impl Inflight {
    /// At most `max` exchanges at once.
    pub fn new(max: usize) -> Inflight {
        Inflight {
            max,
            now: AtomicUsize::new(0),
        }
    }

    /// A place for one more exchange, held until the guard drops; `None`
    /// at the bound.
    pub(crate) fn enter(&self) -> Option<InflightGuard<'_>> {
        if self.now.fetch_add(1, Ordering::Relaxed) >= self.max {
            self.now.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(InflightGuard(&self.now))
    }

    /// Exchanges in flight now.
    pub fn current(&self) -> usize {
        self.now.load(Ordering::Relaxed)
    }
}

/// One exchange's place under [`Inflight`].
pub(crate) struct InflightGuard<'a>(&'a AtomicUsize);

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
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
    /// The label the service gave the exchange
    /// ([`Exchange::set_label`](crate::Exchange::set_label)), if any.
    pub label: Option<&'static str>,
    /// The client's address, when known: the peer's, or the one the
    /// service named ([`Exchange::client_ip`](crate::Exchange::client_ip)).
    pub client: Option<std::net::IpAddr>,
}

impl Record<'_> {
    /// An exchange the engine refused before any handler saw it.
    pub(crate) fn refused(
        refusal: RequestError,
        started: Instant,
        version: Option<Version>,
        remote: Option<std::net::SocketAddr>,
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
            client: remote.map(|a| a.ip()),
            label: None,
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
    /// HTTP/3: a response reset because the client opened no flow-control
    /// window for it in time.
    H3StalledReader,
}

impl Defense {
    /// Its place in [`Defense::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Every kind, in the order of their declaration, for making label
    /// sets up front.
    pub const ALL: [Defense; 9] = [
        Defense::ResetFlood,
        Defense::ProtocolError,
        Defense::RefusedStream,
        Defense::StalledReader,
        Defense::HeldBytes,
        Defense::GoawayTimeout,
        Defense::IdleEvicted,
        Defense::ConnectionLimit,
        Defense::H3StalledReader,
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
            Defense::H3StalledReader => "h3_stalled_reader",
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

#[cfg(test)]
mod tests {
    use super::{Defense, Inflight};

    #[test]
    fn inflight_places_are_bounded_and_given_back() {
        let bound = Inflight::new(2);
        let a = bound.enter().expect("first");
        let b = bound.enter().expect("second");
        assert!(bound.enter().is_none(), "a third over a bound of two");
        assert_eq!(bound.current(), 2, "a refused place is not kept");
        drop(a);
        let c = bound.enter().expect("a place given back is free again");
        drop((b, c));
        assert_eq!(bound.current(), 0);
        assert!(Inflight::new(0).enter().is_none());
    }

    #[test]
    fn every_defense_is_listed_in_its_place() {
        for (i, d) in Defense::ALL.iter().enumerate() {
            assert_eq!(d.index(), i, "{d:?}");
            // A variant added without a place in ALL fails to compile here.
            match d {
                Defense::ResetFlood
                | Defense::ProtocolError
                | Defense::RefusedStream
                | Defense::StalledReader
                | Defense::HeldBytes
                | Defense::GoawayTimeout
                | Defense::IdleEvicted
                | Defense::ConnectionLimit
                | Defense::H3StalledReader => {}
            }
        }
    }
}
