//! `teapot check`: invoke a URL, record the exchange exactly as it happened
//! on the wire, and lint the response against the rules for its status.
//!
//! Findings are data, not errors: [`CheckError`] covers only "could not run
//! the check at all" (bad URL, connect, timeout before any answer).
//!
//! # Layout
//!
//! - [`exchange`]: the recorded exchange (serde, for `--json`).
//! - [`client`]: sends one request and records every response.
//! - [`tls`]: the rustls client configuration (`-k` accepts any certificate).
//! - [`lints`]: the rules; those about what a status requires read the
//!   registry.
//! - This file: [`run`] (one URL, following redirects when asked) and
//!   [`scorecard`] (every registered code against a server).

pub mod client;
pub mod exchange;
mod h2;
mod h3;
pub mod lints;
pub mod probes;
pub mod sarif;
pub mod tls;

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use serde::Serialize;
use teapot_codes::{Action, Status};
use url::Url;

pub use client::{Http, Request};
pub use exchange::Exchange;
pub use lints::{Finding, Severity};

/// Why a check could not be run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The arguments cannot make a request.
    #[error("{0}")]
    Usage(String),
    /// The connection could not be made.
    #[error("cannot connect to {0}")]
    Connect(String),
    /// Nothing happened in time.
    #[error("timed out {0}")]
    Timeout(String),
    /// The TLS handshake failed (an untrusted certificate, say).
    #[error("{0}")]
    Tls(String),
}

/// How to run a check.
#[derive(Clone, Debug)]
pub struct Options {
    /// Time allowed for connecting, and again for the response.
    pub timeout: Duration,
    /// Follow redirects (`-L`).
    pub follow: bool,
    /// The most redirects followed.
    pub max_redirects: usize,
    /// How long to wait after a response for bytes that should not be
    /// there (content on a 204, more than Content-Length…).
    pub settle: Duration,
    /// With `--all`: accept any TLS certificate.
    pub insecure: bool,
    /// With `--all`: which HTTP to speak.
    pub http: Http,
    /// After a 200 to GET or HEAD, probe the server ([`probes`]).
    pub probe: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeout: Duration::from_secs(10),
            follow: false,
            max_redirects: 10,
            settle: client::STRAY_WAIT,
            insecure: false,
            http: Http::Default,
            probe: true,
        }
    }
}

/// One exchange and what is wrong with it.
#[derive(Clone, Debug, Serialize)]
pub struct Hop {
    /// The exchange.
    pub exchange: Exchange,
    /// Its findings.
    pub findings: Vec<Finding>,
    /// When a redirect was followed from here: the method the next request
    /// used, and whether it changed.
    pub followed: Option<Followed>,
    /// The probes made after it.
    pub probes: Vec<probes::Probe>,
}

/// How a redirect was followed.
#[derive(Clone, Debug, Serialize)]
pub struct Followed {
    /// The status that redirected.
    pub status: u16,
    /// The next URL.
    pub location: String,
    /// The next method.
    pub method: String,
    /// Whether the method changed (POST to GET on 301, 302, 303).
    pub method_changed: bool,
}

/// The result of a check: one hop, or several when redirects were followed.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Every exchange, in order.
    pub hops: Vec<Hop>,
}

impl Report {
    /// All findings of all hops, and of their probes.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.hops.iter().flat_map(|h| {
            h.findings
                .iter()
                .chain(h.probes.iter().flat_map(|p| &p.findings))
        })
    }

    /// Whether any finding breaks a MUST.
    pub fn has_must(&self) -> bool {
        self.findings().any(|f| f.severity == Severity::Must)
    }
}

/// Checks `request`, following redirects when `options.follow` says so.
pub async fn run(request: Request, options: &Options) -> Result<Report, CheckError> {
    let mut hops = Vec::new();
    let mut request = request;
    loop {
        let exchange = client::exchange(&request, options.timeout, options.settle).await?;
        let reference = reference_for(&request, &exchange, options).await;
        let cx = lints::Context {
            exchange: &exchange,
            reference: reference.as_ref().and_then(|e| e.final_response.as_ref()),
        };
        let findings = lints::lint(&cx);
        let probes = if options.probe {
            probes::run(&request, &exchange, options).await
        } else {
            Vec::new()
        };
        let next = if options.follow && hops.len() < options.max_redirects {
            next_request(&request, &exchange)
        } else {
            None
        };
        let followed = next.as_ref().map(|(req, status)| Followed {
            status: *status,
            location: req.url.to_string(),
            method: req.method.clone(),
            method_changed: req.method != request.method,
        });
        hops.push(Hop {
            exchange,
            findings,
            followed,
            probes,
        });
        match next {
            Some((req, _)) => request = req,
            None => return Ok(Report { hops }),
        }
    }
}

/// For a 304: the same request without its conditions, to compare with.
async fn reference_for(
    request: &Request,
    exchange: &Exchange,
    options: &Options,
) -> Option<Exchange> {
    if exchange.final_response.as_ref()?.status != 304 {
        return None;
    }
    let mut plain = request.clone();
    plain
        .headers
        .retain(|(n, _)| !n.to_ascii_lowercase().starts_with("if-"));
    client::exchange(&plain, options.timeout, options.settle)
        .await
        .ok()
}

/// The request a client makes after a redirect (RFC 9110 §15.4), as the
/// registry's client action for the code says: follow with GET (303: any
/// method but HEAD becomes GET), follow where POST may become GET (301 and
/// 302, as browsers and curl do), or follow with the same method and
/// content (307, 308).
fn next_request(request: &Request, exchange: &Exchange) -> Option<(Request, u16)> {
    let r = exchange.final_response.as_ref()?;
    let to_get = match Status::from_u16(r.status).ok()?.action()? {
        Action::FollowWithGet => !request.method.eq_ignore_ascii_case("HEAD"),
        Action::FollowMayUseGet => request.method.eq_ignore_ascii_case("POST"),
        Action::FollowSameMethod => false,
        _ => return None,
    };
    let location = r.header("location")?;
    let url = request.url.join(location).ok()?;
    let mut next = request.clone();
    next.url = url;
    if to_get {
        next.method = "GET".into();
        next.body = Bytes::new();
        next.headers.retain(|(n, _)| {
            let n = n.to_ascii_lowercase();
            !(n.starts_with("content-") || n == "transfer-encoding")
        });
    }
    if next.url.origin() != request.url.origin() {
        next.headers.retain(|(n, _)| {
            !n.eq_ignore_ascii_case("authorization") && !n.eq_ignore_ascii_case("cookie")
        });
    }
    Some((next, r.status))
}

/// How many forced codes `scorecard` checks at once.
pub const SCORECARD_PARALLEL: usize = 8;

/// One line of a scorecard.
#[derive(Clone, Debug, Serialize)]
pub struct ScoreLine {
    /// The code asked for.
    pub code: u16,
    /// The final status received, if any.
    pub status: Option<u16>,
    /// The interim statuses received.
    pub interim: Vec<u16>,
    /// The protocol of the final response (`HTTP/1.1`, `HTTP/2`).
    pub protocol: Option<String>,
    /// The findings.
    pub findings: Vec<Finding>,
    /// Why the check could not run, if so.
    pub error: Option<String>,
}

/// The request fields a code answers: a scorecard asks each code the way
/// a client would meet it (a `Range` for 206 and 416, a precondition for
/// 304 and 412, an expectation for 417), so that the answer is judged as
/// an answer to that request.
fn asking_for(code: u16) -> Vec<(String, String)> {
    let field = |n: &str, v: &str| vec![(n.to_string(), v.to_string())];
    match code {
        206 => field("Range", "bytes=0-99"),
        416 => field("Range", "bytes=100000-"),
        304 => field("If-None-Match", "\"teapot\""),
        412 => field("If-Match", "\"elsewhere\""),
        417 => field("Expect", "100-continue"),
        _ => Vec::new(),
    }
}

/// Checks the forced status for every registered code: `base` joined with
/// `forced_path`, `{code}` replaced by the code.
pub async fn scorecard(
    base: &Url,
    forced_path: &str,
    options: &Options,
) -> Result<Vec<ScoreLine>, CheckError> {
    if !forced_path.contains("{code}") {
        return Err(CheckError::Usage(format!(
            "--forced-path {forced_path:?} must contain {{code}}"
        )));
    }
    // The scorecard judges each code's first answer; it makes no probes.
    let options = &Options {
        probe: false,
        ..options.clone()
    };
    let mut requests = Vec::new();
    for entry in teapot_codes::entries() {
        let path = forced_path.replace("{code}", &entry.code.to_string());
        let url = base
            .join(&path)
            .map_err(|e| CheckError::Usage(format!("{base} + {path}: {e}")))?;
        requests.push((entry.code, url));
    }
    // A few at a time: each waits a moment after its response for stray
    // bytes, and the lines keep the registry's order.
    let results: Vec<(u16, Result<Report, CheckError>)> = futures_util::stream::iter(requests)
        .map(|(code, url)| async move {
            let request = Request {
                method: "GET".into(),
                url,
                headers: asking_for(code),
                body: Bytes::new(),
                insecure: options.insecure,
                http: options.http,
            };
            (code, run(request, options).await)
        })
        .buffered(SCORECARD_PARALLEL)
        .collect()
        .await;
    let mut lines = Vec::new();
    for (code, result) in results {
        let line = match result {
            Ok(report) => {
                let hop = &report.hops[0];
                ScoreLine {
                    code,
                    status: hop.exchange.final_response.as_ref().map(|r| r.status),
                    interim: hop.exchange.interim.iter().map(|r| r.status).collect(),
                    protocol: hop
                        .exchange
                        .final_response
                        .as_ref()
                        .map(|r| r.version.clone()),
                    findings: hop.findings.clone(),
                    error: None,
                }
            }
            Err(CheckError::Connect(e)) => return Err(CheckError::Connect(e)),
            Err(e) => ScoreLine {
                code,
                status: None,
                interim: Vec::new(),
                protocol: None,
                findings: Vec::new(),
                error: Some(e.to_string()),
            },
        };
        lines.push(line);
    }
    Ok(lines)
}
