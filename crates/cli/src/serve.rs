//! `teapot serve`: flags (each also a `TEAPOT_*` variable), logging, the
//! runtime, and signals. The server itself lives in `teapot-server`.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use teapot_server::cors::Cors;
use teapot_server::{Config, Limits};

use crate::log::Batched;

/// Flags of `teapot serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "TEAPOT_BIND",
        default_value = "127.0.0.1:8418",
        value_name = "ADDR"
    )]
    bind: SocketAddr,

    /// Largest request body accepted; larger ones get 413. Accepts a
    /// number of bytes or a size such as 64k or 10m.
    #[arg(long, env = "TEAPOT_MAX_BODY", default_value = "10m", value_name = "SIZE", value_parser = parse_size)]
    max_body: u64,

    /// Longest request-target accepted; longer ones get 414.
    #[arg(long, env = "TEAPOT_MAX_URI", default_value = "8192", value_name = "BYTES", value_parser = parse_size)]
    max_uri: u64,

    /// Largest header section accepted; larger ones get 431.
    #[arg(long, env = "TEAPOT_MAX_HEADER_BYTES", default_value = "16k", value_name = "SIZE", value_parser = parse_size)]
    max_header_bytes: u64,

    /// Time allowed to receive a request head (and between reads of a body);
    /// past it the answer is 408. Accepts 10s, 500ms, 1m or plain seconds.
    #[arg(long, env = "TEAPOT_REQUEST_TIMEOUT", default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    request_timeout: Duration,

    /// Time an idle keep-alive connection stays open.
    #[arg(long, env = "TEAPOT_KEEP_ALIVE_TIMEOUT", default_value = "60s", value_name = "DURATION", value_parser = parse_duration)]
    keep_alive_timeout: Duration,

    /// Longest delay a client may ask for with delay= or a slow fault.
    #[arg(long, env = "TEAPOT_MAX_DELAY", default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    max_delay: Duration,

    /// Most requests in flight at once; one more gets 503 with Retry-After.
    #[arg(
        long,
        env = "TEAPOT_MAX_INFLIGHT",
        default_value_t = 10_000,
        value_name = "N"
    )]
    max_inflight: usize,

    /// Most open connections. At the limit the connection idle longest is
    /// closed to make room for a new one; when none is idle, the new one
    /// gets 503 with Retry-After (over TLS it is closed).
    #[arg(
        long,
        env = "TEAPOT_MAX_CONNECTIONS",
        default_value_t = 10_000,
        value_name = "N"
    )]
    max_connections: usize,

    /// The state store of the stateful scenarios: memory (embedded), a
    /// redis:// URL shared by several instances, or a Redis Cluster as
    /// redis+cluster://host:port,host:port,….
    #[arg(
        long,
        env = "TEAPOT_STATE",
        default_value = "memory",
        value_name = "STORE"
    )]
    state: String,

    /// How long a key of the state store lives after its last write.
    #[arg(long, env = "TEAPOT_STATE_TTL", default_value = "1h", value_name = "DURATION", value_parser = parse_duration)]
    state_ttl: Duration,

    /// A PEM file with the TLS certificate chain (with --tls-key).
    #[arg(
        long,
        env = "TEAPOT_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    tls_cert: Option<std::path::PathBuf>,

    /// A PEM file with the TLS private key (with --tls-cert).
    #[arg(
        long,
        env = "TEAPOT_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    tls_key: Option<std::path::PathBuf>,

    /// Serve TLS with a certificate made at start-up for localhost and the
    /// bind address; its SHA-256 fingerprint is logged.
    #[arg(long, env = "TEAPOT_TLS_SELF_SIGNED")]
    tls_self_signed: bool,

    /// Also serve HTTP/3 over QUIC (needs TLS), on the UDP port of the
    /// same number; answers over TLS advertise it with Alt-Svc.
    #[arg(long, env = "TEAPOT_HTTP3")]
    http3: bool,

    /// Which web origins may read the answers (CORS): any, off, or a
    /// comma-separated list of origins (https://app.example,…). Preflights
    /// are answered on every path unless off.
    #[arg(long, env = "TEAPOT_CORS", default_value = "any", value_name = "ORIGINS", value_parser = |s: &str| s.parse::<Cors>())]
    cors: Cors,

    /// How long to go on serving after SIGTERM or SIGINT before the
    /// listener closes: /readyz answers 503 at once, every answer closes
    /// its connection (HTTP/2: GOAWAY), new connections are still served,
    /// so a load balancer moves the work elsewhere. 0 stops at once.
    #[arg(long, env = "TEAPOT_DRAIN_TIMEOUT", default_value = "0s", value_name = "DURATION", value_parser = parse_duration)]
    drain_timeout: Duration,

    /// Proxies (addresses or CIDR blocks, comma-separated) whose
    /// Forwarded / X-Forwarded-For name the client for /ip, origin and the
    /// access log; from other peers those fields are ignored.
    #[arg(long, env = "TEAPOT_TRUSTED_PROXY", value_delimiter = ',', value_name = "CIDR", value_parser = parse_net)]
    trusted_proxy: Vec<ipnet::IpNet>,

    /// Worker threads (default: one per core the process may run on).
    /// With 1, the server runs on a single thread.
    #[arg(long, env = "TEAPOT_WORKERS", value_name = "N")]
    workers: Option<usize>,

    /// Log format: text for people, json for machines (one object a line).
    /// The level comes from TEAPOT_LOG (default info; access lines are
    /// info on target teapot::access).
    #[arg(long, env = "TEAPOT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT")]
    log_format: LogFormat,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Runs the server until SIGINT or SIGTERM.
pub fn serve(args: ServeArgs) -> Result<()> {
    let log = init_logging(args.log_format);
    if args.max_connections == 0 {
        bail!("--max-connections must be at least 1");
    }
    if args.max_inflight == 0 {
        bail!("--max-inflight must be at least 1");
    }
    raise_file_limit(args.max_connections);
    let tls = match (&args.tls_cert, &args.tls_key, args.tls_self_signed) {
        (Some(cert), Some(key), _) => {
            Some(teapot_server::tls::from_files(cert, key).map_err(anyhow::Error::msg)?)
        }
        (_, _, true) => {
            let mut names = vec![
                "localhost".to_string(),
                "127.0.0.1".to_string(),
                "::1".to_string(),
            ];
            if !args.bind.ip().is_unspecified() {
                names.push(args.bind.ip().to_string());
            }
            names.dedup();
            Some(teapot_server::tls::self_signed(names).map_err(anyhow::Error::msg)?)
        }
        _ => None,
    };
    if args.http3 && tls.is_none() {
        bail!("--http3 needs TLS: --tls-cert and --tls-key, or --tls-self-signed");
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    if let Some(t) = &tls {
        tracing::info!("TLS certificate SHA-256 fingerprint {}", t.fingerprint);
    }
    let config = Config {
        limits: Limits {
            max_uri: usize::try_from(args.max_uri).context("--max-uri is too large")?,
            max_header_bytes: usize::try_from(args.max_header_bytes)
                .context("--max-header-bytes is too large")?,
            max_body: args.max_body,
            request_timeout: args.request_timeout,
            keep_alive_timeout: args.keep_alive_timeout,
            ..Limits::default()
        },
        max_delay: args.max_delay,
        max_inflight: args.max_inflight,
        max_connections: args.max_connections,
        state: args.state,
        state_ttl: args.state_ttl,
        tls,
        http3: args.http3,
        cors: args.cors,
        drain: args.drain_timeout,
        trusted_proxies: args.trusted_proxy,
        ..Config::default()
    };
    // One worker is one thread that accepts, reads, answers and polls for
    // readiness itself, as an nginx worker process does: no hand-over to
    // another thread and no work-stealing bookkeeping on each wake-up.
    // By default, a worker per core the process may run on (its CPU
    // affinity: under `taskset -c 0` that is one).
    let workers = match args.workers {
        Some(0) => bail!("--workers must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut runtime = match workers {
        1 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut r = tokio::runtime::Builder::new_multi_thread();
            r.worker_threads(n);
            r
        }
    };
    runtime.enable_all();
    let runtime = runtime.build().context("starting the runtime")?;
    // The log's sink, for the task that writes held access lines; `log`
    // itself writes what is left when `serve` returns.
    let sink = log.0;
    runtime.block_on(async move {
        let listener = teapot_server::bind(args.bind, args.http3)
            .await
            .with_context(|| format!("cannot listen on {}", args.bind))?;
        let addr = listener.local_addr()?;
        let protocols = if args.http3 {
            "HTTP/1.1 and HTTP/2 by ALPN; HTTP/3 on UDP"
        } else if scheme == "https" {
            "HTTP/1.1 and HTTP/2 by ALPN"
        } else {
            "HTTP/1.1, and HTTP/2 by prior knowledge or Upgrade: h2c"
        };
        let stop = signal();
        tracing::info!("teapot listening on {scheme}://{addr} ({protocols})");
        // Held access lines are written on time (and when `log` is
        // dropped, as the server stops).
        tokio::spawn(sink.write_on_time());
        // The server runs as a task, so that with several workers the
        // accept loop is one of theirs too (not the thread that waits
        // here, which would have to be woken for each connection).
        tokio::spawn(teapot_server::run(listener, config, stop))
            .await
            .context("the server stopped unexpectedly")??;
        tracing::info!("teapot stopped");
        Ok(())
    })
}

/// Raises the soft limit on open files towards what `--max-connections`
/// needs (a descriptor per connection, plus room for the listeners, the
/// state store and the connections that are closed to make room). The soft
/// limit is often 1 024, far below the default of 10 000 connections; past
/// it, accepting fails instead of the limit's own answer. When the hard
/// limit is lower, it says so.
fn raise_file_limit(max_connections: usize) {
    let want = u64::try_from(max_connections)
        .unwrap_or(u64::MAX)
        .saturating_add(FILES_BESIDE_CONNECTIONS);
    match rlimit::increase_nofile_limit(want) {
        Ok(got) if got < want => tracing::warn!(
            "at most {got} files may be open (the hard limit), fewer than --max-connections \
             {max_connections} needs; raise `ulimit -Hn` or lower --max-connections"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!("cannot raise the limit on open files: {e}"),
    }
}

/// Descriptors the server holds beside its connections: listeners, the
/// state store's sockets, the runtime's own, and the over-limit
/// connections being answered and closed (at most 256).
const FILES_BESIDE_CONNECTIONS: u64 = 512;

/// Installs the SIGTERM and SIGINT handlers now (so that a signal that
/// comes the moment the server says it listens is not the default,
/// fatal one) and returns what completes on the first of them.
fn signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let handlers = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    async move {
        let (Ok(mut term), Ok(mut int)) = handlers else {
            // Without signal handlers the server runs until killed.
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    }
}

/// Writes the log's held access lines when dropped.
struct LogFlush(&'static Batched<std::io::Stderr>);

impl Drop for LogFlush {
    fn drop(&mut self) {
        self.0.flush();
    }
}

fn init_logging(format: LogFormat) -> LogFlush {
    use tracing_subscriber::EnvFilter;
    static STDERR: OnceLock<Batched<std::io::Stderr>> = OnceLock::new();
    let sink: &'static Batched<std::io::Stderr> =
        STDERR.get_or_init(|| Batched::new(std::io::stderr()));
    // The h2 library warns once per hostile connection (a reset flood gives
    // thousands of lines a second); the server counts those in /metrics
    // and sums them up in its own log instead. TEAPOT_LOG can name h2 to
    // hear it all the same.
    let spec = std::env::var("TEAPOT_LOG").unwrap_or_else(|_| "info".to_string());
    let spec = if spec.contains("h2") {
        spec
    } else {
        format!("{spec},h2=error")
    };
    let filter = EnvFilter::try_new(&spec).unwrap_or_else(|_| EnvFilter::new("info,h2=error"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(sink);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    LogFlush(sink)
}

/// `123`, `64k`, `10m`, `1g` (binary multiples, case-insensitive).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let t = t
        .strip_suffix("ib")
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(&t);
    let (digits, mult) = match t.as_bytes().last() {
        Some(b'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some(b'm') => (&t[..t.len() - 1], 1 << 20),
        Some(b'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{s:?} is not a size (examples: 8192, 64k, 10m)"))
}

/// `10s`, `500ms`, `2m`, `1h`, or plain seconds.
/// A proxy for `--trusted-proxy`: a CIDR block, or one address.
fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?} is neither an address nor a CIDR block (10.0.0.0/8)"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let bad = || format!("{s:?} is not a duration (examples: 10s, 500ms, 2m, 1h)");
    let (digits, unit) = if let Some(d) = t.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = t.strip_suffix('h') {
        (d, 3_600_000)
    } else if let Some(d) = t.strip_suffix('s') {
        (d, 1000)
    } else if let Some(d) = t.strip_suffix('m') {
        (d, 60_000)
    } else {
        (t, 1000)
    };
    let n: u64 = digits.trim().parse().map_err(|_| bad())?;
    n.checked_mul(unit)
        .map(Duration::from_millis)
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("8192"), Ok(8192));
        assert_eq!(parse_size("64k"), Ok(65536));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        for bad in ["", "k", "-1", "0", "ten", "99999999999999999999g"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "s", "1d", "-1s", "1.5s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
