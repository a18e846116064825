//! Prometheus metrics: what the engine tells its observer, counted with
//! `prometheus-client`, and served at `/metrics` in the OpenMetrics text
//! format.
//!
//! Labels are bounded: `kind` is the family of endpoint (a handful of
//! names), `code` a status code, `fault` one of the fault kinds. Paths are
//! never labels.

use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use teapot_wire::{Defense, Ending, Observe, Record, Version};

use crate::routes::table::Kind;

/// The content type of `/metrics`.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

// Label values are `&'static str`: counting an exchange allocates nothing.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    code: &'static str,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProtocolLabel {
    protocol: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DefenseLabel {
    defense: &'static str,
}

/// How often, at most, the log tells of the bounds enforced.
const DEFENSE_LOG_EVERY: Duration = Duration::from_secs(10);

/// Defenses since the log last told of them.
#[derive(Debug)]
struct DefenseLog {
    last: Option<Instant>,
    since: [u64; Defense::ALL.len()],
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaultLabel {
    fault: &'static str,
}

/// The label for a status: its three digits, or `none`.
/// The `kind` labels: every route kind, then a path no route answers, then
/// a request the engine refused.
fn kind_labels() -> &'static [&'static str] {
    static LABELS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    LABELS.get_or_init(|| {
        Kind::ALL
            .iter()
            .map(|k| k.as_str())
            .chain(["unknown", "engine"])
            .collect()
    })
}

/// Codes 100 to 599, then none.
const CODE_SLOTS: usize = 501;

fn code_slot(status: Option<u16>) -> usize {
    match status {
        Some(c) if (100..600).contains(&c) => usize::from(c - 100),
        _ => CODE_SLOTS - 1,
    }
}

fn code_label(status: Option<u16>) -> &'static str {
    static CODES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let codes = CODES.get_or_init(|| (0..600).map(|c| c.to_string()).collect());
    match status {
        Some(c) if (100..600).contains(&c) => codes[usize::from(c)].as_str(),
        _ => "none",
    }
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    /// Each (kind, code) counter of `requests`, found by index once made:
    /// counting an exchange hashes no labels.
    request_slots: Vec<OnceLock<Counter>>,
    /// The `protocol_requests` series, made once so that counting hashes
    /// nothing: HTTP/1.0, HTTP/1.1, HTTP/2, HTTP/3, unknown.
    protocols: [Counter; 5],
    duration: Family<KindLabel, Durations>,
    duration_slots: Vec<OnceLock<Durations>>,
    connections: Gauge,
    connections_total: Counter,
    interim: Counter,
    faults: Family<FaultLabel, Counter>,
    state_errors: Counter,
    /// One counter per kind of defense, made once, in `Defense::ALL` order.
    defenses: [Counter; Defense::ALL.len()],
    defense_log: Mutex<DefenseLog>,
    /// Exchanges seen, for tests and readiness.
    seen: AtomicU64,
}

/// The upper bounds of the duration buckets, in nanoseconds: 100 µs, then
/// four times as long each, to about 26 s (and +Inf after them).
const BOUNDS_NS: [u64; 10] = {
    let mut bounds = [100_000u64; 10];
    let mut i = 1;
    while i < bounds.len() {
        bounds[i] = bounds[i - 1] * 4;
        i += 1;
    }
    bounds
};

/// A histogram of durations that counts without a lock: each bucket, and
/// the sum in nanoseconds, is an atomic (`prometheus-client`'s histogram
/// takes a mutex for every observation, on the path of every request).
#[derive(Clone, Debug, Default)]
struct Durations {
    inner: Arc<DurationCounts>,
}

#[derive(Debug, Default)]
struct DurationCounts {
    /// The sum first, beside the buckets most answers fall in (the first
    /// few): with several workers, one cache line goes back and forth
    /// between them per observation rather than two.
    sum_ns: AtomicU64,
    /// Observations per bucket (not cumulative); the last is +Inf.
    buckets: [AtomicU64; BOUNDS_NS.len() + 1],
}

impl Durations {
    fn observe(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_NS
            .iter()
            .position(|&b| ns <= b)
            .unwrap_or(BOUNDS_NS.len());
        self.inner.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.inner.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }
}

impl TypedMetric for Durations {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Durations {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), std::fmt::Error> {
        let bounds = BOUNDS_NS
            .iter()
            .map(|&b| b as f64 / 1e9)
            .chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> = bounds
            .zip(&self.inner.buckets)
            .map(|(le, n)| (le, n.load(Ordering::Relaxed)))
            .collect();
        // The count is what the buckets hold, so that it always equals the
        // +Inf bucket; the sum may be one observation ahead or behind.
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.inner.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("teapot");
        let requests = Family::<RequestLabels, Counter>::default();
        let protocols = Family::<ProtocolLabel, Counter>::default();
        let duration = Family::<KindLabel, Durations>::default();
        let connections = Gauge::default();
        let connections_total = Counter::default();
        let interim = Counter::default();
        let faults = Family::<FaultLabel, Counter>::default();
        let state_errors = Counter::default();
        let defenses = Family::<DefenseLabel, Counter>::default();
        registry.register(
            "requests",
            "Exchanges answered, by final status and endpoint kind",
            requests.clone(),
        );
        registry.register(
            "protocol_requests",
            "Exchanges by the protocol of the request (HTTP/1.0, HTTP/1.1, HTTP/2, HTTP/3)",
            protocols.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from a complete request head to the end of the answer",
            duration.clone(),
        );
        registry.register(
            "open_connections",
            "Connections open now",
            connections.clone(),
        );
        registry.register(
            "connections",
            "Connections accepted",
            connections_total.clone(),
        );
        registry.register(
            "interim_responses",
            "Interim (1xx) responses sent",
            interim.clone(),
        );
        registry.register(
            "faults",
            "Faults injected on purpose, by kind",
            faults.clone(),
        );
        registry.register(
            "state_errors",
            "Operations the state store could not carry out",
            state_errors.clone(),
        );
        registry.register(
            "defenses",
            "Bounds enforced against a peer (floods, stalls, limits), by kind",
            defenses.clone(),
        );
        let defenses = Defense::ALL.map(|d| {
            defenses
                .get_or_create(&DefenseLabel {
                    defense: d.as_str(),
                })
                .clone()
        });
        let protocols = ["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3", "unknown"]
            .map(|protocol| protocols.get_or_create(&ProtocolLabel { protocol }).clone());
        let kinds = kind_labels().len();
        Metrics {
            registry,
            requests,
            request_slots: (0..kinds * CODE_SLOTS).map(|_| OnceLock::new()).collect(),
            duration_slots: (0..kinds).map(|_| OnceLock::new()).collect(),
            protocols,
            duration,
            connections,
            connections_total,
            interim,
            faults,
            state_errors,
            defenses,
            defense_log: Mutex::new(DefenseLog {
                last: None,
                since: [0; Defense::ALL.len()],
            }),
            seen: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// Counts an operation the state store could not carry out.
    pub fn state_error(&self) {
        self.state_errors.inc();
    }

    /// Exchanges seen so far.
    pub fn exchanges(&self) -> u64 {
        self.seen.load(Ordering::Relaxed)
    }
}

impl Observe for Metrics {
    fn connection_opened(&self) {
        self.connections.inc();
        self.connections_total.inc();
    }

    fn connection_closed(&self) {
        self.connections.dec();
    }

    /// Counted always; told in the log at most once every ten seconds, as
    /// one line that sums up what happened since the last, so a flood of
    /// hostile connections cannot flood the log.
    fn defended(&self, defense: Defense) {
        let i = defense.index();
        self.defenses[i].inc();
        let Ok(mut log) = self.defense_log.lock() else {
            return;
        };
        log.since[i] += 1;
        let now = Instant::now();
        if log
            .last
            .is_some_and(|t| now.duration_since(t) < DEFENSE_LOG_EVERY)
        {
            return;
        }
        log.last = Some(now);
        let summary: Vec<String> = Defense::ALL
            .iter()
            .zip(log.since)
            .filter(|(_, n)| *n > 0)
            .map(|(d, n)| format!("{}={n}", d.as_str()))
            .collect();
        log.since = [0; Defense::ALL.len()];
        drop(log);
        tracing::warn!(
            target: "teapot::defense",
            "bounds enforced against peers since the last report: {} (see teapot_defenses_total)",
            summary.join(" ")
        );
    }

    fn exchange(&self, r: &Record<'_>) {
        self.seen.fetch_add(1, Ordering::Relaxed);
        let kind = match r.ending {
            Ending::Refused => "engine",
            _ => r.label.unwrap_or_else(|| kind_of(r.path.unwrap_or(""))),
        };
        let labels = kind_labels();
        // A label that is no kind (a service's own) counts as unknown.
        let k = labels
            .iter()
            .position(|l| *l == kind)
            .unwrap_or(labels.len() - 2);
        let kind = labels[k];
        self.request_slots[k * CODE_SLOTS + code_slot(r.status)]
            .get_or_init(|| {
                self.requests
                    .get_or_create(&RequestLabels {
                        code: code_label(r.status),
                        kind,
                    })
                    .clone()
            })
            .inc();
        let protocol = match r.version {
            Some(Version::Http10) => 0,
            Some(Version::Http11) => 1,
            Some(Version::Http2) => 2,
            Some(Version::Http3) => 3,
            None => 4,
        };
        self.protocols[protocol].inc();
        self.duration_slots[k]
            .get_or_init(|| self.duration.get_or_create(&KindLabel { kind }).clone())
            .observe(r.duration);
        if r.interim > 0 {
            self.interim.inc_by(u64::from(r.interim));
        }
        if r.ending == Ending::Faulted {
            let fault = r
                .path
                .and_then(|p| p.strip_prefix("/fault/"))
                .and_then(|k| crate::routes::FAULT_KINDS.iter().find(|f| **f == k))
                .copied()
                .unwrap_or("other");
            self.faults.get_or_create(&FaultLabel { fault }).inc();
        }
    }
}

/// The family of endpoint a path belongs to: its row's kind, or
/// `unknown` for a path no row answers.
pub fn kind_of(path: &str) -> &'static str {
    crate::routes::route_of(path).map_or("unknown", |r| r.kind.as_str())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn kinds_are_bounded() {
        assert_eq!(kind_of("/418"), "forced");
        assert_eq!(kind_of("/status/200,503"), "forced");
        assert_eq!(kind_of("/anything/x/y"), "echo");
        assert_eq!(kind_of("/"), "page");
        assert_eq!(kind_of("/no/such/path"), "unknown");
        assert_eq!(kind_of("/4185"), "unknown");
    }

    fn answered(path: &'static str, label: Option<&'static str>, status: u16) -> Record<'static> {
        Record {
            method: None,
            path: Some(path),
            version: Some(teapot_wire::Version::Http11),
            status: Some(status),
            interim: 0,
            bytes: 0,
            duration: Duration::from_millis(1),
            ending: Ending::Answered,
            refusal: None,
            label,
            client: None,
        }
    }

    #[test]
    fn the_same_labels_count_on_one_counter() {
        let m = Metrics::default();
        m.exchange(&answered("/418", Some("forced"), 418));
        m.exchange(&answered("/418", Some("forced"), 418));
        m.exchange(&answered("/503", Some("forced"), 503));
        m.exchange(&answered("/nothing/here", None, 404));
        m.exchange(&answered("/x", Some("not-a-kind"), 200));
        let text = m.encode();
        assert!(
            text.contains("teapot_requests_total{code=\"418\",kind=\"forced\"} 2"),
            "{text}"
        );
        assert!(text.contains("teapot_requests_total{code=\"503\",kind=\"forced\"} 1"));
        assert!(text.contains("teapot_requests_total{code=\"404\",kind=\"unknown\"} 1"));
        assert!(text.contains("teapot_requests_total{code=\"200\",kind=\"unknown\"} 1"));
        assert!(text.contains("teapot_request_duration_seconds_count{kind=\"forced\"} 3"));
    }

    #[test]
    fn durations_fall_in_cumulative_buckets_with_their_sum() {
        let m = Metrics::default();
        for d in [
            Duration::from_micros(100),
            Duration::from_nanos(100_001),
            Duration::from_millis(2),
            Duration::from_secs(30),
        ] {
            let mut r = answered("/418", Some("forced"), 418);
            r.duration = d;
            m.exchange(&r);
        }
        let text = m.encode();
        let line = |le: &str| {
            format!("teapot_request_duration_seconds_bucket{{le=\"{le}\",kind=\"forced\"}} ")
        };
        for (le, n) in [
            ("0.0001", 1),
            ("0.0004", 2),
            ("0.0016", 2),
            ("0.0064", 3),
            ("26.2144", 3),
            ("+Inf", 4),
        ] {
            assert!(
                text.contains(&format!("{}{n}\n", line(le))),
                "{le} {n}\n{text}"
            );
        }
        assert!(text.contains("teapot_request_duration_seconds_count{kind=\"forced\"} 4\n"));
        assert!(
            text.contains("teapot_request_duration_seconds_sum{kind=\"forced\"} 30.002200001\n"),
            "{text}"
        );
    }

    #[test]
    fn counts_and_encodes() {
        let m = Metrics::default();
        m.connection_opened();
        m.exchange(&Record {
            method: None,
            path: Some("/fault/reset"),
            version: Some(teapot_wire::Version::Http2),
            status: None,
            interim: 2,
            bytes: 0,
            duration: Duration::from_millis(3),
            ending: Ending::Faulted,
            refusal: None,
            label: None,
            client: None,
        });
        let text = m.encode();
        assert!(
            text.contains("teapot_requests_total{code=\"none\",kind=\"fault\"} 1"),
            "{text}"
        );
        assert!(text.contains("teapot_faults_total{fault=\"reset\"} 1"));
        assert!(text.contains("teapot_protocol_requests_total{protocol=\"HTTP/2\"} 1"));
        assert!(text.contains("teapot_interim_responses_total 2"));
        assert!(text.contains("teapot_open_connections 1"));
        assert!(text.ends_with("# EOF\n"));
    }
}
