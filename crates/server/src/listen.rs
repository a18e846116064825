//! The accept loop: one task per connection, a permit per connection, and
//! a shutdown that stops accepting, lets exchanges in flight finish within
//! a grace period, and then returns.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags};
use teapot_wire::h1::conn::close_in_stages;
use teapot_wire::h1::encode::{write_head, ConnectionField};
use teapot_wire::idle::IdleSet;
use teapot_wire::Framing;
use teapot_wire::{Defense, Observe};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::observe::Observer;
use crate::tls::TlsIo;
use crate::{App, Config};

/// What every accept loop of one server shares.
#[derive(Clone)]
struct Shared {
    app: Arc<App>,
    wire: Arc<teapot_wire::Config>,
    /// A permit per open connection (`max_connections`).
    conns: Arc<Semaphore>,
    /// A permit per connection over the limit being dealt with (waiting for
    /// room, or being told 503); past these, such connections are dropped.
    overflow: Arc<Semaphore>,
    stop: watch::Receiver<bool>,
    /// Each connection task holds a sender; `recv` on the receiver returns
    /// None once the last one is gone.
    done: mpsc::Sender<()>,
}

/// How long a connection over the limit waits for the room an evicted
/// idle connection leaves.
const ROOM_WAIT: Duration = Duration::from_millis(500);

/// Connections over the limit dealt with at once.
const MAX_OVERFLOW: usize = 256;

/// QUIC connection attempts that may wait for the accept loop at once;
/// past this, quinn refuses new ones itself.
const QUIC_MAX_INCOMING: usize = 1024;

/// Serves `listener` until `shutdown` completes, then drains. With TLS
/// configured, the listener speaks TLS, and a second, plain listener on a
/// loopback port of its own takes the requests the server makes to itself.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let internal = match &config.tls {
        Some(_) => Some(TcpListener::bind("127.0.0.1:0").await?),
        None => None,
    };
    let self_addr = match &internal {
        Some(l) => l.local_addr().ok(),
        None => listener.local_addr().ok(),
    };
    let internal = internal.map(Listener::new).transpose()?;
    let mut app =
        App::new(&config, self_addr).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // HTTP/3 on the UDP port of the same number as the TLS listener's.
    let quic = match (&config.tls, config.http3) {
        (Some(tls), true) => {
            let addr = listener.local_addr()?;
            let endpoint = quic_endpoint(tls, &config.limits, addr)?;
            app.alt_svc = Some(format!("h3=\":{}\"; ma=86400", addr.port()).into());
            Some(endpoint)
        }
        (None, true) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "HTTP/3 needs TLS: a certificate and key, or a self-signed one",
            ))
        }
        _ => None,
    };
    let app = Arc::new(app);
    let wire = Arc::new(teapot_wire::Config {
        limits: config.limits.clone(),
        inflight: Some(Arc::new(teapot_wire::service::Inflight::new(
            config.max_inflight,
        ))),
        observer: Some(Arc::new(Observer {
            metrics: app.metrics.clone(),
        })),
        idle: Some(Arc::new(IdleSet::new())),
        drain_new: !config.drain.is_zero(),
    });
    let listener = Listener::new(listener)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let shared = Shared {
        app,
        wire,
        conns: Arc::new(Semaphore::new(config.max_connections)),
        overflow: Arc::new(Semaphore::new(MAX_OVERFLOW)),
        stop: stop_rx.clone(),
        done: done_tx,
    };
    // The loopback listener for the server's own requests stays open until
    // the main one closes, drain included.
    let (closed_tx, closed_rx) = watch::channel(false);
    let internal_task = internal.map(|l| {
        let mut stopped = closed_rx.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let stop = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            accept_loop(l, None, shared, stop).await;
        })
    });
    // QUIC connections are taken for as long as TCP ones: through a drain,
    // until the main listener closes.
    let quic_task = quic.map(|endpoint| {
        let mut stopped = closed_rx.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let stop = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            quic_loop(endpoint, shared, stop).await;
        })
    });
    let acceptor = config
        .tls
        .as_ref()
        .map(|t| tokio_rustls::TlsAcceptor::from(t.config.clone()));
    let app = shared.app.clone();
    let drain = config.drain;
    let stop = async {
        shutdown.await;
        // Connections finish what they are doing and close (HTTP/1.1:
        // `Connection: close` on the answer; HTTP/2: GOAWAY); while the
        // drain lasts, new ones are still taken and served once.
        app.draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = stop_tx.send(true);
        if !drain.is_zero() {
            tracing::info!(
                "draining for {drain:?}: /readyz answers 503, connections close after their answer"
            );
            tokio::time::sleep(drain).await;
        }
    };
    accept_loop(listener, acceptor, shared, stop).await;
    let _ = stop_tx.send(true);
    let _ = closed_tx.send(true);
    if let Some(task) = internal_task {
        let _ = task.await;
    }
    if let Some(task) = quic_task {
        let _ = task.await;
    }
    if tokio::time::timeout(config.grace, done_rx.recv())
        .await
        .is_err()
    {
        tracing::warn!("grace period over; closing the remaining connections");
    }
    Ok(())
}

/// A listening socket accepted from by hand, for two costs of tokio's
/// `TcpListener::accept` that nginx does not pay (measured under
/// `bench/run`'s close axis, a new connection per request):
///
/// - it marks each connection it returns as readable, so that the first
///   read tries the socket at once; a client's request follows its
///   handshake by some microseconds, and a server that keeps up gets there
///   first: a `recvfrom` that fails with `EAGAIN`, once per connection.
///   Here the connection is handed to tokio as any other socket, and its
///   first read waits for the event that says the request came;
/// - it accepts until the queue is empty, and an `accept4` that finds none
///   costs the kernel a socket and a file made and thrown away: about 4 µs,
///   ten times a `poll`. Here, after each of the first connections of a
///   run, a `poll` with no wait says whether another is queued; when none
///   is, the listener waits for the next one's event without asking the
///   kernel again. A server that keeps up takes one or two connections a
///   run; one that is behind takes many, and after `POLLED_RUN` of them it
///   stops polling and lets one `accept4` find the end of the queue.
///
/// When the server is behind, a connection that waited in the queue has
/// its request already, and waiting for its event would cost its task a
/// wake-up, a timer and a shutdown waiter (about 1,700 instructions): such
/// a connection (one taken past `POLLED_RUN` in a run) is marked for one
/// read at once (`Tcp::read_at_once`).
struct Listener {
    fd: AsyncFd<mio::net::TcpListener>,
    /// Connections taken since the queue was last found empty.
    run: u32,
}

/// Connections of a run after which `poll` no longer asks whether more
/// are queued.
const POLLED_RUN: u32 = 4;

impl Listener {
    fn new(listener: TcpListener) -> io::Result<Listener> {
        // Still non-blocking (`into_std` says so), and registered anew for
        // reading only. `with_interest` is deprecated for what it allows
        // with a type whose descriptor can change or close under it; a
        // `mio` listener owned by the `AsyncFd` keeps its descriptor until
        // the `AsyncFd` has deregistered it (`register_with_interest`, the
        // replacement, is `unsafe`, which this workspace forbids).
        let listener = mio::net::TcpListener::from_std(listener.into_std()?);
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(listener, Interest::READABLE)?;
        Ok(Listener { fd, run: 0 })
    }

    /// The next connection (non-blocking and close-on-exec, as tokio's),
    /// and whether it was taken past `POLLED_RUN` in its run (it waited in
    /// the queue, and its request has most likely come).
    async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr, bool)> {
        loop {
            // A queue that never empties must not keep the thread: after
            // a run of accepts (tokio's budget, 128), the other tasks go
            // first, as with tokio's own `accept`.
            tokio::task::coop::consume_budget().await;
            let mut ready = self.fd.readable().await?;
            // `try_io` forgets the readiness if the queue was empty after
            // all (a run past `POLLED_RUN`, or a client gone before accept).
            let Ok(accepted) = ready.try_io(|l| l.get_ref().accept()) else {
                self.run = 0;
                continue;
            };
            let (stream, remote) = accepted?;
            self.run = self.run.saturating_add(1);
            // Past the polled part of a run the server is behind: a
            // connection then waited long enough for its request to come.
            // (Taken second or third, it most often has not: measured,
            // its read at once found nothing.)
            let waited = self.run > POLLED_RUN;
            if self.run <= POLLED_RUN && !queued(&self.fd) {
                // Forgets only the readiness this guard saw: an event that
                // came since is kept, so no connection is left waiting.
                ready.clear_ready();
                self.run = 0;
            }
            return Ok((to_tokio(stream)?, remote, waited));
        }
    }

    /// A connection already queued, whatever the readiness says: for the
    /// end of a drain, which takes what the kernel holds without waiting.
    fn try_accept(&self) -> Option<(TcpStream, SocketAddr)> {
        let (stream, remote) = self.fd.get_ref().accept().ok()?;
        Some((to_tokio(stream).ok()?, remote))
    }
}

/// Whether a connection waits to be accepted (`poll` without waiting).
/// When it cannot tell, yes: the next `accept` finds out.
fn queued(listener: &AsyncFd<mio::net::TcpListener>) -> bool {
    let mut fds = [PollFd::new(listener.get_ref(), PollFlags::IN)];
    let now = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    !matches!(rustix::event::poll(&mut fds, Some(&now)), Ok(0))
}

/// A socket from `mio`'s `accept`, as a tokio stream.
fn to_tokio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
    TcpStream::from_std(std::net::TcpStream::from(OwnedFd::from(stream)))
}

/// Accepts until `stop` completes: a permit per connection, one task each.
///
/// At the connection limit the server keeps accepting: it closes the
/// connection that has been idle longest to make room for the new one,
/// and when none is idle it answers the new one 503 with `Retry-After`
/// and closes it (over TLS it closes it at once). So a server held full
/// by idle or slow clients still answers.
async fn accept_loop(
    mut listener: Listener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Shared,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut backoff = Duration::from_millis(5);
    loop {
        let (stream, remote, waited) = tokio::select! {
            // The listener first: `stop` (a signal, a watch) is polled only
            // when no connection is waiting, not once per connection. A
            // flood cannot hold it off: `accept` yields after a run of
            // accepts (see `Listener::accept`).
            biased;
            r = listener.accept() => match r {
                Ok(accepted) => {
                    backoff = Duration::from_millis(5);
                    accepted
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, then retry.
                    tracing::warn!("accept failed: {e}; retrying in {backoff:?}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let shared = shared.clone();
        let tls = tls.clone();
        if let Ok(permit) = shared.conns.clone().try_acquire_owned() {
            tokio::spawn(serve(stream, remote, waited, tls, shared, permit));
            continue;
        }
        let Ok(slot) = shared.overflow.clone().try_acquire_owned() else {
            shared.app.metrics.defended(Defense::ConnectionLimit);
            continue;
        };
        let made_room = shared.wire.idle.as_ref().is_some_and(|s| s.evict_oldest());
        tokio::spawn(async move {
            let permit = if made_room {
                tokio::time::timeout(ROOM_WAIT, shared.conns.clone().acquire_owned())
                    .await
                    .ok()
                    .and_then(Result::ok)
            } else {
                None
            };
            match permit {
                Some(permit) => {
                    drop(slot);
                    serve(stream, remote, waited, tls, shared, permit).await;
                }
                None => {
                    shared.app.metrics.defended(Defense::ConnectionLimit);
                    if tls.is_none() {
                        turn_away(stream).await;
                    }
                    drop(slot);
                }
            }
        });
    }
    if shared.wire.drain_new {
        // After a drain, the connections the kernel has already taken are
        // served once rather than reset with the listener: a balancer may
        // have sent a request on one that it will not send again.
        while let Some((stream, remote)) = listener.try_accept() {
            if let Ok(permit) = shared.conns.clone().try_acquire_owned() {
                // Queued during the drain: the request is there.
                let waited = true;
                tokio::spawn(serve(
                    stream,
                    remote,
                    waited,
                    tls.clone(),
                    shared.clone(),
                    permit,
                ));
            }
        }
    }
}

/// A QUIC endpoint for HTTP/3 on `addr` (UDP).
fn quic_endpoint(
    tls: &crate::tls::Tls,
    limits: &teapot_wire::Limits,
    addr: SocketAddr,
) -> io::Result<quinn::Endpoint> {
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls.quic.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    server
        .transport_config(Arc::new(teapot_wire::h3::transport(limits)))
        // Connection attempts waiting for the accept loop (which takes or
        // refuses each at once): at most these many, holding at most this
        // much of what their clients sent meanwhile.
        .max_incoming(QUIC_MAX_INCOMING)
        .incoming_buffer_size(64 * 1024)
        .incoming_buffer_size_total(16 * 1024 * 1024);
    quinn::Endpoint::server(server, addr).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot listen for HTTP/3 on UDP {addr}: {e}"),
        )
    })
}

/// Accepts QUIC connections until `stop` completes, a permit each from
/// the same `max_connections` as TCP; past it, a new connection is refused
/// (QUIC's `CONNECTION_REFUSED`). Then no new connection is taken, and
/// those open get `GOAWAY` and finish.
async fn quic_loop(endpoint: quinn::Endpoint, shared: Shared, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        let incoming = tokio::select! {
            i = endpoint.accept() => match i {
                Some(i) => i,
                None => break,
            },
            _ = &mut stop => break,
        };
        let Ok(permit) = shared.conns.clone().try_acquire_owned() else {
            shared.app.metrics.defended(Defense::ConnectionLimit);
            incoming.refuse();
            continue;
        };
        let Shared {
            app,
            wire,
            stop,
            done,
            ..
        } = shared.clone();
        tokio::spawn(async move {
            teapot_wire::h3::serve(incoming, &*app, &wire, stop).await;
            drop(permit);
            drop(done);
        });
    }
    // New connections are refused; those open finish within the grace
    // period (the endpoint lives as long as they do).
    endpoint.set_server_config(None);
}

/// Serves one accepted connection, holding its permit to the end.
async fn serve(
    stream: TcpStream,
    remote: SocketAddr,
    waited: bool,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Shared,
    permit: OwnedSemaphorePermit,
) {
    let Shared {
        app,
        wire,
        stop,
        done,
        ..
    } = shared;
    // Each task is as large as the largest state its future can be in, for
    // as long as the connection lives: the TLS and HTTP/2 states are
    // boxed, so a plain HTTP/1.1 connection carries only its own.
    match tls {
        // Cleartext: Nagle goes off when it could first delay a write
        // (`teapot_wire::tcp`); a connection that asks once and closes
        // never needs the system call.
        None => {
            // A connection that waited in the queue has its request: read
            // at once (see `Listener`).
            let tcp = teapot_wire::tcp::Tcp::new(stream).read_at_once(waited);
            teapot_wire::serve_connection(tcp, Some(remote), &*app, &wire, stop).await;
        }
        Some(acceptor) => {
            // A TLS handshake is several writes: Nagle off from the start.
            let _ = stream.set_nodelay(true);
            Box::pin(async {
                // A handshake gets as long as a request head; a client that is
                // not speaking TLS is dropped without harm.
                let handshake =
                    tokio::time::timeout(wire.limits.request_timeout, acceptor.accept(stream))
                        .await;
                match handshake {
                    Ok(Ok(tls)) => {
                        let io = TlsIo(tls);
                        if io.is_h2() {
                            teapot_wire::h2::serve(io, Some(remote), &*app, &wire, stop).await;
                        } else {
                            teapot_wire::serve_connection(io, Some(remote), &*app, &wire, stop)
                                .await;
                        }
                    }
                    Ok(Err(e)) => tracing::debug!("TLS handshake with {remote} failed: {e}"),
                    Err(_) => tracing::debug!("TLS handshake with {remote} timed out"),
                }
            })
            .await
        }
    }
    drop(permit);
    drop(done);
}

/// Tells a connection over the limit to come back later: 503 with
/// `Retry-After` and problem details, then a close in stages (so that the
/// request it may have sent does not turn the close into a reset that
/// destroys the answer). Bounded in time.
async fn turn_away(mut stream: TcpStream) {
    let (head, body) = teapot_wire::problem::problem(
        503,
        "The server is at its limit of open connections; retry shortly.",
    );
    let mut answer = Vec::with_capacity(256 + body.len());
    let close = ConnectionField {
        close: true,
        ..ConnectionField::default()
    };
    write_head(
        &mut answer,
        &head,
        Framing::Length(body.len() as u64),
        close,
    );
    answer.extend_from_slice(&body);
    let sent = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&answer)).await;
    if matches!(sent, Ok(Ok(()))) {
        close_in_stages(&mut stream).await;
    }
}

/// A server running in the background on a loopback port.
pub struct Running {
    addr: SocketAddr,
    scheme: &'static str,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl Running {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ip:port` (`https://` with TLS), without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Stops accepting, lets exchanges in flight finish, and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Connections the kernel may hold for the accept loop (capped by
/// `net.core.somaxconn`). tokio's `TcpListener::bind` asks for 128, as the
/// standard library does: a burst of more new connections than that (a
/// load test starting, clients reconnecting after a restart) has the
/// excess wait a second for the retransmitted SYN. nginx asks for 511.
const BACKLOG: u32 = 1024;

/// Binds a TCP listener on `addr` (`SO_REUSEADDR`, a backlog of
/// [`BACKLOG`]). With `udp_too` and port 0, the port is one whose UDP side
/// is free as well (for HTTP/3 on the same number), trying a few.
pub async fn bind(addr: SocketAddr, udp_too: bool) -> io::Result<TcpListener> {
    let mut tries = if udp_too && addr.port() == 0 { 16 } else { 1 };
    loop {
        let socket = match addr {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        let listener = socket.listen(BACKLOG)?;
        tries -= 1;
        if tries == 0 || std::net::UdpSocket::bind(listener.local_addr()?).is_ok() {
            return Ok(listener);
        }
    }
}

/// Starts a server on `127.0.0.1:0` in the current runtime.
pub async fn spawn(config: Config) -> io::Result<Running> {
    let wants_udp = config.tls.is_some() && config.http3;
    let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0)), wants_udp).await?;
    let addr = listener.local_addr()?;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, config, async move {
        let _ = stopped.await;
    }));
    Ok(Running {
        addr,
        scheme,
        stop: Some(stop),
        task,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use futures_util::FutureExt as _;
    use tokio::io::AsyncReadExt;

    use super::*;

    const WAIT: Duration = Duration::from_secs(5);

    async fn listener() -> (Listener, SocketAddr) {
        let l = bind(SocketAddr::from(([127, 0, 0, 1], 0)), false)
            .await
            .unwrap();
        let addr = l.local_addr().unwrap();
        (Listener::new(l).unwrap(), addr)
    }

    async fn accept(l: &mut Listener) -> TcpStream {
        tokio::time::timeout(WAIT, l.accept())
            .await
            .expect("a queued connection is accepted")
            .unwrap()
            .0
    }

    /// Every queued connection is taken; after the last, the listener
    /// waits for the next one's event instead of trying `accept` again,
    /// and that event comes.
    #[tokio::test]
    async fn takes_every_queued_connection_then_waits_for_the_next() {
        let (mut l, addr) = listener().await;
        let _clients: Vec<_> = (0..3)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        for _ in 0..3 {
            accept(&mut l).await;
        }
        assert!(
            l.fd.readable().now_or_never().is_none(),
            "the listener still counts itself ready with nothing queued"
        );
        let _late = std::net::TcpStream::connect(addr).unwrap();
        accept(&mut l).await;
    }

    /// A queue that stays full does not keep other tasks waiting: the
    /// accepts yield to them after a run.
    #[tokio::test]
    async fn a_full_queue_does_not_keep_other_tasks_waiting() {
        let (mut l, addr) = listener().await;
        // More than tokio's backlog of 128 would hold: the burst is
        // queued whole (a connection it dropped would wait a second for
        // its SYN again, and time out here).
        let _clients: Vec<_> = (0..300)
            .map(|_| std::net::TcpStream::connect_timeout(&addr, WAIT).unwrap())
            .collect();
        accept(&mut l).await;
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        tokio::spawn(async move { flag.store(true, std::sync::atomic::Ordering::Relaxed) });
        let mut first_seen = None;
        for i in 1..300 {
            accept(&mut l).await;
            if first_seen.is_none() && ran.load(std::sync::atomic::Ordering::Relaxed) {
                first_seen = Some(i);
            }
        }
        let at = first_seen.expect("another task ran only once the queue was empty");
        assert!(at <= 129, "another task waited for {at} accepts");
    }

    /// A connection whose client has sent nothing yet is not taken for
    /// readable (a read would fail with `EAGAIN`); once the request comes,
    /// it is.
    #[tokio::test]
    async fn a_new_connection_waits_for_its_first_bytes() {
        let (mut l, addr) = listener().await;
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        let mut stream = accept(&mut l).await;
        // Let the driver turn, so that the registration's first event
        // (writable) has been seen.
        tokio::task::yield_now().await;
        assert!(
            stream.ready(Interest::READABLE).now_or_never().is_none(),
            "a connection with nothing to read is taken for readable"
        );
        client.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        let mut got = [0u8; 16];
        tokio::time::timeout(WAIT, stream.read_exact(&mut got))
            .await
            .expect("the request is read once it comes")
            .unwrap();
        assert_eq!(&got, b"GET / HTTP/1.1\r\n");
    }
}
