//! Answers that take their time, as httpbin and go-httpbin give them: JSON
//! lines streamed one by one, random bytes in chunks, bytes dripped over a
//! duration, and an echo after a delay. Every wait is bounded by the
//! server's `max_delay`, every size by a constant.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use teapot_wire::{Exchange, Head, Status};

use super::bytes::RandomBytes;
use super::{echo, query_pairs, sent, Outcome};
use crate::app::App;
use crate::problem::Problem;

/// The most lines `/stream/{n}` sends (httpbin's bound).
const MAX_LINES: usize = 100;

/// The most bytes `/stream-bytes/{n}` and `/drip` send.
pub const MAX_STREAM_BYTES: u64 = 10 * 1024 * 1024;

/// How often, at most, `/drip` writes.
const DRIP_TICK: Duration = Duration::from_millis(10);

fn bad(detail: String) -> Problem {
    Problem::bad_request(detail).kind("bad-option")
}

fn number<T: std::str::FromStr>(what: &str, v: &str) -> Result<T, Problem> {
    v.trim()
        .parse()
        .map_err(|_| bad(format!("The {what} {v:?} is not a whole number.")))
}

/// A duration as httpbin takes it (seconds, `1.5`) or as go-httpbin also
/// does (`250ms`, `2s`), at most `max`.
pub fn duration(what: &str, v: &str, max: Duration) -> Result<Duration, Problem> {
    let v = v.trim();
    let (num, unit) = if let Some(ms) = v.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = v.strip_suffix('s') {
        (s, 1.0)
    } else {
        (v, 1.0)
    };
    let seconds = num
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| s * unit)
        .ok_or_else(|| {
            bad(format!(
                "The {what} {v:?} is not a duration (seconds, or 250ms)."
            ))
        })?;
    let d = Duration::from_secs_f64(seconds.min(1e6));
    if d > max {
        return Err(bad(format!(
            "The {what} {v:?} is over this server's limit of {} ms.",
            max.as_millis()
        )));
    }
    Ok(d)
}

/// `/stream/{n}`: `n` JSON lines (at most 100), each sent as it is made:
/// the request as `/get` shows it, and the line's `id`.
pub async fn lines(ex: &mut Exchange<'_>, n: &str) -> Outcome {
    let n: usize = number("line count", n)?;
    json_lines(ex, n.clamp(1, MAX_LINES), None, "application/json").await
}

/// `count` JSON lines of the request as `/get` shows it, each with its
/// `id`, a chunk (an HTTP/2 DATA frame) each, paced if asked.
async fn json_lines(
    ex: &mut Exchange<'_>,
    count: usize,
    pace: Option<&Pace>,
    content_type: &'static str,
) -> Outcome {
    let mut doc = json!({
        "url": echo::url(ex),
        "args": echo::args(ex),
        "headers": echo::headers(ex),
        "origin": echo::origin(ex),
        "id": 0,
    });
    let head = Head::new(Status::OK).header("Content-Type", content_type);
    if let Err(e) = ex.start(head, None).await {
        return sent(Err(e));
    }
    for id in 0..count {
        if let Some(p) = pace {
            tokio::time::sleep(p.wait(id)).await;
        }
        doc["id"] = Value::from(id);
        let mut line = serde_json::to_vec(&doc).unwrap_or_default();
        line.push(b'\n');
        if ex.write(&line).await.is_err() {
            return Ok(());
        }
    }
    sent(ex.finish().await)
}

/// `/stream-bytes/{n}?seed=S&chunk_size=C`: `n` random bytes (for a seed,
/// the bytes `/bytes/{n}` gives), chunked, `C` bytes a chunk (default 10
/// KiB).
pub async fn bytes(ex: &mut Exchange<'_>, n: &str) -> Outcome {
    let n: u64 = number("byte count", n)?;
    if n > MAX_STREAM_BYTES {
        return Err(bad(format!("At most {MAX_STREAM_BYTES} bytes.")));
    }
    let mut seed = None;
    let mut chunk = 10 * 1024usize;
    for (k, v) in query_pairs(ex) {
        match k.as_str() {
            "seed" => seed = Some(number("seed", &v)?),
            "chunk_size" => {
                chunk = number("chunk size", &v)?;
                if chunk == 0 || chunk > 1024 * 1024 {
                    return Err(bad("The chunk size must be 1 to 1048576 bytes.".into()));
                }
            }
            _ => {}
        }
    }
    let head = Head::new(Status::OK).header("Content-Type", "application/octet-stream");
    if let Err(e) = ex.start(head, None).await {
        return sent(Err(e));
    }
    let mut random = RandomBytes::new(seed);
    let mut left = n;
    while left > 0 {
        let k = (chunk as u64).min(left) as usize;
        // Waits for the client to take what went before.
        let Ok(_) = ex.ready(k).await else {
            return Ok(());
        };
        let mut buf = vec![0; k];
        random.fill(&mut buf);
        if ex.write_bytes(Bytes::from(buf)).await.is_err() {
            return Ok(());
        }
        left -= k as u64;
    }
    sent(ex.finish().await)
}

/// `/drip?numbytes=N&duration=D&delay=W&code=C`: waits `W`, then sends the
/// status `C` and `N` bytes of `*` spread evenly over `D` (httpbin's
/// defaults: 10 bytes over 2 s after 2 s, 200).
pub async fn drip(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    let mut numbytes: u64 = 10;
    let mut span = Duration::from_secs(2);
    let mut delay = Duration::from_secs(2).min(app.max_delay);
    let mut code = Status::OK;
    for (k, v) in query_pairs(ex) {
        match k.as_str() {
            "numbytes" => {
                numbytes = v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=MAX_STREAM_BYTES).contains(n))
                    .ok_or_else(|| {
                        bad(format!(
                            "numbytes {v:?} must be a whole number from 1 to {MAX_STREAM_BYTES}."
                        ))
                    })?;
            }
            "duration" => span = duration("duration", &v, app.max_delay)?,
            "delay" => delay = duration("delay", &v, app.max_delay)?,
            "code" => {
                code = v
                    .trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|c| (200..600).contains(c))
                    .and_then(|c| Status::from_u16(c).ok())
                    .ok_or_else(|| {
                        bad(format!("code {v:?} must be a final status, 200 to 599."))
                    })?;
            }
            _ => {}
        }
    }
    if span + delay > app.max_delay {
        return Err(bad(format!(
            "duration and delay together may take at most {} ms here.",
            app.max_delay.as_millis()
        )));
    }
    tokio::time::sleep(delay).await;
    let head = Head::new(code).header("Content-Type", "application/octet-stream");
    if let Err(e) = ex.start(head, Some(numbytes)).await {
        return sent(Err(e));
    }
    // Evenly: at most one write a tick, each with its share of the bytes.
    let ticks = (span.as_millis() / DRIP_TICK.as_millis()).max(1) as u64;
    let writes = numbytes.min(ticks).max(1);
    let pause = span / u32::try_from(writes).unwrap_or(u32::MAX);
    let mut sent_bytes = 0u64;
    let stars = vec![b'*'; 64 * 1024];
    for i in 1..=writes {
        tokio::time::sleep(pause).await;
        let upto = numbytes * i / writes;
        let mut piece = (upto - sent_bytes) as usize;
        while piece > 0 {
            let k = piece.min(stars.len());
            if ex.write(&stars[..k]).await.is_err() {
                return Ok(());
            }
            piece -= k;
        }
        sent_bytes = upto;
    }
    sent(ex.finish().await)
}

/// `/delay/{seconds}`: the echo of `/anything`, after the delay (at most
/// the server's `max_delay`), with the wait in `Server-Timing`.
pub async fn delay(app: &App, ex: &mut Exchange<'_>, seconds: &str) -> Outcome {
    let d = duration("delay", seconds, app.max_delay)?;
    tokio::time::sleep(d).await;
    let _ = ex.add_answer_field(
        "Server-Timing",
        format!(
            "initial_delay;dur={:.2};desc=\"initial delay\"",
            d.as_secs_f64() * 1000.0
        ),
    );
    echo::anything(ex, None).await
}

/// The most events `/sse` and lines `/jsonl` send.
const MAX_EVENTS: usize = 1000;

/// How many items, over how long, after what delay: the pacing `/sse` and
/// `/jsonl` share.
struct Pace {
    count: usize,
    span: Duration,
    delay: Duration,
    jitter: f64,
}

impl Pace {
    /// From the query, with these defaults; `strict`: a count out of
    /// bounds is an error rather than clamped.
    fn read(
        app: &App,
        ex: &Exchange<'_>,
        count: usize,
        span: Duration,
        strict: bool,
    ) -> Result<Pace, Problem> {
        let mut pace = Pace {
            count,
            span,
            delay: Duration::ZERO,
            jitter: 0.0,
        };
        for (k, v) in query_pairs(ex) {
            match k.as_str() {
                "count" => {
                    let n: i64 = number("count", &v)?;
                    if strict && !(1..=MAX_EVENTS as i64).contains(&n) {
                        return Err(bad(format!("count must be from 1 to {MAX_EVENTS}.")));
                    }
                    pace.count = n.clamp(1, MAX_EVENTS as i64) as usize;
                }
                "duration" => pace.span = duration("duration", &v, app.max_delay)?,
                "delay" => pace.delay = duration("delay", &v, app.max_delay)?,
                "jitter" => {
                    pace.jitter = v
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|j| (0.0..=1.0).contains(j))
                        .ok_or_else(|| bad(format!("jitter {v:?} must be from 0 to 1.")))?;
                }
                _ => {}
            }
        }
        if pace.span + pace.delay > app.max_delay {
            return Err(bad(format!(
                "duration and delay together may take at most {} ms here.",
                app.max_delay.as_millis()
            )));
        }
        Ok(pace)
    }

    /// The wait before item `i`: none before the first, then the span
    /// shared evenly, each wait moved by up to `jitter` of itself.
    fn wait(&self, i: usize) -> Duration {
        if i == 0 || self.count < 2 {
            return Duration::ZERO;
        }
        let each = self.span / (self.count as u32 - 1).max(1);
        let spread = 1.0 + self.jitter * (fastrand::f64() * 2.0 - 1.0);
        each.mul_f64(spread.max(0.0))
    }
}

/// `/sse?count=N&duration=D&delay=W`: a `text/event-stream` of `N` events
/// (default 10, over 5 s), each with its `id`, `event: ping` and `data`
/// (`{"id", "timestamp"}`, milliseconds since the epoch). A client that
/// reconnects with `Last-Event-ID` gets the events after that one.
pub async fn sse(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    let pace = Pace::read(app, ex, 10, Duration::from_secs(5).min(app.max_delay), true)?;
    let first = ex
        .request()
        .header_str("last-event-id")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(0, |last| last.saturating_add(1));
    tokio::time::sleep(pace.delay).await;
    let head = Head::new(Status::OK)
        .header("Content-Type", "text/event-stream; charset=utf-8")
        .header("Cache-Control", "no-store");
    if let Err(e) = ex.start(head, None).await {
        return sent(Err(e));
    }
    for id in first..pace.count {
        tokio::time::sleep(pace.wait(id - first)).await;
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let event =
            format!("id: {id}\nevent: ping\ndata: {{\"id\":{id},\"timestamp\":{millis}}}\n\n");
        if ex.write(event.as_bytes()).await.is_err() {
            return Ok(());
        }
    }
    sent(ex.finish().await)
}

/// `/jsonl?count=N&duration=D&delay=W`: `N` JSON lines (default 10, at
/// once) as newline-delimited JSON, each the request as `/get` shows it and
/// its `id`.
pub async fn jsonl(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    let pace = Pace::read(app, ex, 10, Duration::ZERO, false)?;
    tokio::time::sleep(pace.delay).await;
    let count = pace.count;
    json_lines(
        ex,
        count,
        Some(&pace),
        "application/x-ndjson; charset=utf-8",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_either_httpbin_writes_them() {
        let max = Duration::from_secs(10);
        assert_eq!(duration("d", "2", max).unwrap(), Duration::from_secs(2));
        assert_eq!(
            duration("d", "1.5", max).unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            duration("d", "250ms", max).unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(duration("d", "3s", max).unwrap(), Duration::from_secs(3));
        assert!(duration("d", "11", max).is_err());
        assert!(duration("d", "-1", max).is_err());
        assert!(duration("d", "NaN", max).is_err());
        assert!(duration("d", "soon", max).is_err());
        assert!(duration("d", "1e300", max).is_err());
    }
}
