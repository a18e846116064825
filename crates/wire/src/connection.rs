//! A connection that speaks HTTP/1.x first (cleartext, or TLS with ALPN
//! `http/1.1`): the HTTP/1.x driver serves it, and hands it to the HTTP/2
//! driver when the client turns it into HTTP/2 (see [`crate::h2c`]). The
//! one place that knows both drivers.

use std::future::Future;
use std::net::SocketAddr;

use crate::exchange::Rewind;
use crate::h1::conn::Conn;
use crate::h2c::Handoff;
use crate::service::{Config, Service, Shutdown, Transport};
use crate::{h1, h2};

/// Serves one connection until it closes, the peer leaves, or `shutdown`
/// turns true (then after the exchange in progress).
///
/// On a cleartext transport the connection may turn into HTTP/2: by the
/// HTTP/2 preface as its first bytes (prior knowledge), or by an HTTP/1.1
/// request with `Upgrade: h2c` (RFC 7540 §3.2), answered on stream 1 after
/// a 101. Over TLS, ALPN decides before this is called; see
/// [`crate::h2::serve`].
pub fn serve_connection<'a, T: Transport + 'static, S: Service>(
    io: T,
    remote: Option<SocketAddr>,
    service: &'a S,
    config: &'a Config,
    mut shutdown: Shutdown,
) -> impl Future<Output = ()> + Send + 'a {
    // Not an `async fn`: its arguments would be kept twice in the
    // connection's future, as given and as moved into its body. The block
    // takes the connection and the rest as they are.
    let mut conn = Conn::new(io);
    async move {
        if let Some(o) = &config.observer {
            o.connection_opened();
        }
        let switch =
            h1::conn::serve_requests(&mut conn, remote, service, config, &mut shutdown).await;
        if let Some(to_h2) = switch {
            let pre = conn.rbuf.split();
            let secure = conn.io.is_secure();
            let io = Rewind::new(&mut conn.io, pre);
            // Boxed: the HTTP/2 state would otherwise make every connection's
            // future as large as its own.
            Box::pin(h2::serve_inner(
                io,
                remote,
                secure,
                service,
                config,
                shutdown,
                to_h2 == Handoff::Upgraded,
            ))
            .await;
        }
        if let Some(o) = &config.observer {
            o.connection_closed();
        }
    }
}
