//! The teapot application: the accept loop, routes, and the answers they
//! give, on top of the `teapot-wire` engine.
//!
//! # Layout
//!
//! - [`listen`]: the accept loop, connection permits and graceful shutdown.
//! - [`app`]: [`App`], the engine's `Service`: dispatches to routes.
//! - [`routes`]: the route table (one row per endpoint) and one module per
//!   family of endpoints.
//! - [`problem`]: RFC 9457 problem details, the shape of every error.
//! - [`registry`]: the registry as JSON, shared with the CLI.
//! - [`tls`]: TLS configuration (rustls) and the TLS transport.
//! - [`state`]: the shared state store (memory or Redis).
//! - [`openapi`]: the OpenAPI 3.1 document.
//! - [`metrics`]: Prometheus metrics, fed by the engine's observer.
//!
//! # Starting a server in a test
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = teapot_server::spawn(teapot_server::Config::default()).await?;
//! let url = server.base_url(); // e.g. "http://127.0.0.1:40123"
//! // ... send requests to `url` ...
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod app;
mod conditional;
pub mod cors;
pub mod forwarded;
pub mod listen;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod problem;
mod ranges;
pub mod registry;
pub mod routes;
pub mod state;
pub mod tls;

use std::time::Duration;

pub use app::App;
pub use listen::{bind, run, spawn, Running};
pub use teapot_wire::Limits;

/// Server settings: the engine's limits plus what the application needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The engine's limits and timeouts.
    pub limits: Limits,
    /// Longest delay a client may ask for (`delay=`, slow faults).
    /// Default 10 s.
    pub max_delay: Duration,
    /// Most exchanges in flight at once; one more gets 503. Default 10 000.
    pub max_inflight: usize,
    /// Most open connections. At the limit the connection idle longest is
    /// closed to make room for a new one; when none is idle, the new one is
    /// answered 503 with `Retry-After` and closed. Default 10 000.
    pub max_connections: usize,
    /// How long in-flight exchanges get to finish at shutdown. Default 10 s.
    pub grace: Duration,
    /// How long to go on serving after the shutdown signal, with `/readyz`
    /// answering 503 and every answer closing its connection (HTTP/1.1) or
    /// announcing `GOAWAY` (HTTP/2), so that a load balancer moves the work
    /// elsewhere; then the listener closes and `grace` begins. Default 0:
    /// stop accepting at once.
    pub drain: Duration,
    /// The proxies whose `Forwarded` / `X-Forwarded-For` name the client
    /// (`/ip`, `origin`, the access log); from any other peer those fields
    /// are ignored. Default: none.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The state store: `memory` (default) or a `redis://` URL.
    pub state: String,
    /// How long a stateful key lives after its last write. Default 1 h.
    pub state_ttl: Duration,
    /// When set, connections speak TLS. The server then also listens on a
    /// loopback port of its own, in plain HTTP, for the requests it makes
    /// to itself (`/try`, `/gateway`).
    pub tls: Option<tls::Tls>,
    /// With TLS: also serve HTTP/3 over QUIC, on the UDP port of the same
    /// number, and advertise it (`Alt-Svc`) on the answers over TLS.
    pub http3: bool,
    /// Which origins may read the answers (CORS). Default: any.
    pub cors: cors::Cors,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            limits: Limits::default(),
            max_delay: Duration::from_secs(10),
            max_inflight: 10_000,
            max_connections: 10_000,
            grace: Duration::from_secs(10),
            drain: Duration::ZERO,
            trusted_proxies: Vec::new(),
            state: "memory".to_string(),
            state_ttl: Duration::from_secs(3600),
            tls: None,
            http3: false,
            cors: cors::Cors::Any,
        }
    }
}
