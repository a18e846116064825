//! [`App`]: the engine's `Service`. It routes each request and turns a
//! handler's `Problem` into an answer.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use teapot_wire::{Exchange, Service};

use crate::cors::Cors;
use crate::metrics::Metrics;
use crate::problem::Problem;
use crate::routes;
use crate::state::Store;
use crate::Config;

/// What every handler may read: the application's settings.
#[derive(Clone, Debug)]
pub struct App {
    /// Longest delay a client may ask for.
    pub max_delay: Duration,
    /// When the server started: the `Last-Modified` of its fixed resources.
    pub started: SystemTime,
    /// This server's own address: the only upstream of `/gateway`.
    pub self_addr: Option<SocketAddr>,
    /// The server's metrics (also the engine's observer).
    pub metrics: Arc<Metrics>,
    /// The shared state of the stateful scenarios.
    pub state: Arc<Store>,
    /// Which origins may read the answers.
    pub cors: Arc<Cors>,
    /// Set once the server drains before stopping: `/readyz` says 503.
    pub draining: Arc<AtomicBool>,
    /// The proxies trusted to name the client.
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    /// The `Alt-Svc` value that advertises HTTP/3 on answers over TLS.
    pub alt_svc: Option<bytes::Bytes>,
}

impl App {
    /// The application for a configuration.
    pub fn new(config: &Config, self_addr: Option<SocketAddr>) -> Result<App, String> {
        // A wildcard bind is reached on loopback.
        let self_addr = self_addr.map(|mut a| {
            if a.ip().is_unspecified() {
                a.set_ip(if a.is_ipv4() {
                    Ipv4Addr::LOCALHOST.into()
                } else {
                    Ipv6Addr::LOCALHOST.into()
                });
            }
            a
        });
        Ok(App {
            max_delay: config.max_delay,
            // From the clock `Date` is read from, so that no `Date` comes
            // before it.
            started: SystemTime::UNIX_EPOCH
                + std::time::Duration::from_secs(teapot_wire::response::wall_seconds()),
            self_addr,
            metrics: Arc::new(Metrics::default()),
            state: Arc::new(Store::open(&config.state, config.state_ttl)?),
            cors: Arc::new(config.cors.clone()),
            draining: Arc::new(AtomicBool::new(false)),
            trusted_proxies: config.trusted_proxies.clone().into(),
            alt_svc: None,
        })
    }

    /// Whether the server is draining before it stops.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

impl Service for App {
    async fn call(&self, ex: &mut Exchange<'_>) {
        if !self.trusted_proxies.is_empty() {
            if let Some(ip) = crate::forwarded::client(ex, &self.trusted_proxies) {
                ex.set_client_ip(ip);
            }
        }
        if let Some(alt_svc) = &self.alt_svc {
            if ex.is_secure() {
                let _ = ex.add_answer_field("Alt-Svc", alt_svc.clone());
            }
        }
        if self.cors.apply(ex).await {
            return;
        }
        if let Err(problem) = routes::dispatch(self, ex).await {
            send_problem(ex, &problem).await;
        }
    }
}

/// Answers with a problem, unless an answer already went out.
pub async fn send_problem(ex: &mut Exchange<'_>, problem: &Problem) {
    if ex.is_answered() {
        return;
    }
    let accept = ex.request().header_str("accept").map(str::to_owned);
    let (head, body) = problem.render(accept.as_deref(), ex.request().path());
    if let Err(e) = ex.respond(head, body).await {
        tracing::debug!("could not send problem: {e}");
    }
}
