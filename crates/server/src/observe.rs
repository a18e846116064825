//! What the server hears from the engine: every connection, exchange and
//! bound enforced is counted in the metrics, and every exchange gets one
//! access log line (target `teapot::access`, level info).

use std::sync::Arc;

use teapot_wire::{Defense, Observe, Record};

use crate::metrics::Metrics;

/// The engine's observer, as the server installs it.
#[derive(Debug)]
pub struct Observer {
    /// Where the counts go.
    pub metrics: Arc<Metrics>,
}

impl Observe for Observer {
    fn connection_opened(&self) {
        self.metrics.connection_opened();
    }

    fn connection_closed(&self) {
        self.metrics.connection_closed();
    }

    fn exchange(&self, record: &Record<'_>) {
        self.metrics.exchange(record);
        access_line(record);
    }

    fn defended(&self, defense: Defense) {
        self.metrics.defended(defense);
    }
}

/// One line per exchange: method, path, status, bytes, duration and
/// protocol; for a request the engine refused, the status and why.
fn access_line(r: &Record<'_>) {
    let protocol = r.version.map_or("unknown", |v| v.as_str());
    match r.refusal {
        Some(reason) => tracing::info!(
            target: "teapot::access",
            status = reason.status(),
            reason = ?reason,
            protocol,
            client = r.client.map(tracing::field::display),
            "refused"
        ),
        None => tracing::info!(
            target: "teapot::access",
            method = r.method.map_or("", |m| m.as_str()),
            path = r.path.unwrap_or(""),
            status = r.status.unwrap_or(0),
            bytes = r.bytes,
            duration_us = r.duration.as_micros() as u64,
            protocol,
            client = r.client.map(tracing::field::display),
            "exchange"
        ),
    }
}
