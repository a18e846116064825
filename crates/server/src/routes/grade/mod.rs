//! Scenarios that watch a client: `/grade/{run}/{scenario}[/…]` answers
//! as the scenario says and records every request that arrives for it in
//! the state store (so several instances share a run); `/grade/{run}`
//! gives the record back. `teapot grade` (in the binary) runs a client
//! against them and judges what it did.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Value};
use teapot_wire::{Exchange, Fault, Head, Status};

use super::{check_name, reply_json, sent, Outcome};

mod websocket;
use crate::app::App;
use crate::problem::Problem;
use crate::ranges::{self, Ranges};
use crate::routes::stateful::store_problem;

/// The most requests recorded for one scenario of a run (each event keeps
/// at most a few dozen bytes of what the client chose, so a scenario's
/// record stays near 3 KiB and a run's under 100 KiB); more are served, not
/// recorded. A redirect loop keeps one event and counts its requests in
/// it. Each scenario has its own record, so one that a client floods
/// cannot crowd out the others.
const MAX_EVENTS: usize = 8;

/// The scenarios, by name.
pub const SCENARIOS: &[&str] = &[
    "interim-100",
    "interim-102",
    "interim-103",
    "expect-417",
    "expect-401",
    "redirect-301-post",
    "redirect-302-post",
    "redirect-303",
    "redirect-307",
    "redirect-308",
    "redirect-300",
    "redirect-loop",
    "redirect-cross-origin",
    "redirect-308-remembered",
    "redirect-no-store",
    "retry-after-429",
    "retry-after-date",
    "retry-503-post",
    "retry-408",
    "retry-421",
    "retry-425",
    "auth-basic",
    "auth-digest",
    "proxy-407",
    "truncated",
    "truncated-chunked",
    "close-delimited",
    "resume-206",
    "no-content-204",
    "no-content-then",
    "head-redirect",
    "no-store",
    "revalidate-304",
    "upgrade-426",
    "upgrade-101",
    "upgrade-101-bad-accept",
    "http11-required",
    "reset-get",
    "reset-post",
];

/// The credentials the auth scenarios take (`user:passwd`, as httpbin's
/// examples use).
const USER: &str = "user";
const PASSWD: &str = "passwd";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Appends an event to the run's record (compare-and-set, a few tries) and
/// returns how many requests the scenario has had in this run, this one
/// included. A full record keeps its events but still counts this request.
async fn record(app: &App, run: &str, name: &str, event: Value) -> Result<usize, Problem> {
    let key = format!("grade:{run}:{name}");
    for _ in 0..8 {
        let current = app
            .state
            .record(&key)
            .await
            .map_err(|e| store_problem(app, e))?;
        let (version, mut events) = match &current {
            Some((v, body)) => (
                Some(*v),
                serde_json::from_str::<Vec<Value>>(body).unwrap_or_default(),
            ),
            None => (None, Vec::new()),
        };
        // The loop's requests are counted in its first event.
        let scenario = &event["scenario"];
        let before = events.iter().filter(|e| e["scenario"] == *scenario).count();
        let looped = events
            .iter_mut()
            .find(|e| e["scenario"] == "redirect-loop" && event["scenario"] == "redirect-loop");
        if let Some(first) = looped {
            let n = first["count"].as_u64().unwrap_or(1);
            first["count"] = json!(n + 1);
        } else if events.len() >= MAX_EVENTS {
            return Ok(before + 1);
        } else {
            let mut event = event.clone();
            event["count"] = json!(1);
            events.push(event);
        }
        let body = Value::Array(events).to_string();
        let next = version.map_or(1, |v| v + 1);
        if app
            .state
            .replace(&key, version, next, &body)
            .await
            .map_err(|e| store_problem(app, e))?
        {
            return Ok(before + 1);
        }
    }
    Err(Problem::new(503, "The run's record is busy; retry.").header("Retry-After", "1"))
}

/// `/grade/{run}`: what arrived for each scenario of the run.
pub async fn report(app: &App, ex: &mut Exchange<'_>, run: &str) -> Outcome {
    check_name("run", run)?;
    let mut events = Vec::new();
    for name in SCENARIOS {
        let stored = app
            .state
            .record(&format!("grade:{run}:{name}"))
            .await
            .map_err(|e| store_problem(app, e))?;
        if let Some((_, body)) = stored {
            events.extend(serde_json::from_str::<Vec<Value>>(&body).unwrap_or_default());
        }
    }
    let head = Head::new(Status::OK).header("Cache-Control", "no-store");
    reply_json(ex, head, &json!({ "run": run, "events": events })).await
}

/// `/grade/{run}/{scenario}[/{step}]`: the scenario's answer, after the
/// request is recorded.
pub async fn scenario(
    app: &App,
    ex: &mut Exchange<'_>,
    run: &str,
    name: &str,
    step: &str,
) -> Outcome {
    check_name("run", run)?;
    if !SCENARIOS.contains(&name) {
        return Err(Problem::new(
            404,
            format!(
                "There is no scenario {name:?}; the scenarios are {}.",
                SCENARIOS.join(", ")
            ),
        ));
    }
    // An upload that waits for 100 Continue and is to be refused with 417
    // is answered before its body is read.
    // (The 401 of `expect-401` goes out before the body too, unless the
    // credentials came with the request.)
    let unauthorized_upload = name == "expect-401"
        && ex.request().expects_continue()
        && ex.request().header_str("authorization").map(str::trim)
            != Some(basic_credentials().as_str());
    let refuse_expectation =
        (name == "expect-417" && ex.request().expects_continue()) || unauthorized_upload;
    let body = if refuse_expectation {
        Bytes::new()
    } else {
        match ex.read_body(64 * 1024).await {
            Ok(b) => b,
            Err(_) => return Ok(()),
        }
    };
    let req = ex.request();
    // The time a Retry-After date names: two seconds on, in whole seconds.
    let retry_at = SystemTime::now() + Duration::from_secs(2);
    let retry_at_ms = httpdate::HttpDate::from(retry_at);
    let retry_at_ms = SystemTime::from(retry_at_ms)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let basic = basic_credentials();
    // Each auth scenario takes its own scheme only.
    let credentials_ok = if name == "auth-digest" {
        super::digest::valid_credentials(ex, &body, USER, PASSWD)
    } else {
        req.header_str("authorization").map(str::trim) == Some(basic.as_str())
    };
    let event = json!({
        "scenario": name,
        "step": short(step, 32),
        "method": req.method().as_str(),
        "body_bytes": body.len(),
        "at_ms": now_ms(),
        "authorization": req.header("authorization").is_some(),
        "auth_scheme": req
            .header_str("authorization")
            .and_then(|a| a.split_whitespace().next())
            .map(|s| short(s, 16).to_ascii_lowercase()),
        "expect": req.header_str("expect").map(|e| short(e, 32)),
        "early_data": req.header_str("early-data").map(|v| short(v.trim(), 8)),
        "upgrade": req
            .header_str("upgrade")
            .map(|u| short(u, 16).to_ascii_lowercase()),
        "if_none_match": req.header_str("if-none-match").map(|e| short(e, 32)),
        "range": req.header_str("range").map(|e| short(e, 32)),
        "version": req.version().as_str(),
        "if_range": req.header_str("if-range").map(|e| short(e, 32)),
        "retry_at_ms": retry_at_ms,
        "credentials_ok": credentials_ok,
        // The client's port: a new one is a new connection.
        "conn": ex.remote_addr().map(|a| a.port()),
    });
    let nth = record(app, run, name, event).await?;
    let first = nth == 1;
    let here = format!("/grade/{run}/{name}");
    let landing = format!("{here}/landing");
    match (name, step) {
        ("interim-100", _) => {
            let _ = ex.interim(Head::new(Status::CONTINUE)).await;
            sent(ex.respond(text(), "final\n").await)
        }
        ("interim-102", _) => {
            for _ in 0..3 {
                if ex.interim(Head::new(Status::PROCESSING)).await.is_err() {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            sent(ex.respond(text(), "final\n").await)
        }
        ("interim-103", _) => {
            let hint = Head::new(Status::EARLY_HINTS)
                .header("Link", "</static/teapot.css>; rel=preload; as=style");
            let _ = ex.interim(hint).await;
            sent(ex.respond(text(), "final\n").await)
        }
        ("expect-417", _) if refuse_expectation => {
            let head = plain(Status::EXPECTATION_FAILED);
            sent(ex.respond(head, "no 100-continue here; send it again without\n").await)
        }
        ("expect-417", _) => sent(ex.respond(text(), "final\n").await),
        ("expect-401", _) if credentials_ok => sent(ex.respond(text(), "final\n").await),
        ("expect-401", _) => {
            let head = basic_challenge();
            sent(ex.respond(head, "who are you? (keep the body until then)\n").await)
        }
        ("redirect-308-remembered" | "redirect-no-store", "") => {
            let (status, cache) = if name == "redirect-no-store" {
                (Status::MOVED_PERMANENTLY, "no-store")
            } else {
                (Status::PERMANENT_REDIRECT, "max-age=3600")
            };
            let head = plain(status)
                .header("Location", landing.clone())
                .header("Cache-Control", cache);
            sent(ex.respond(head, format!("moved: {landing}\n")).await)
        }
        (
            "redirect-301-post" | "redirect-302-post" | "redirect-303" | "redirect-307"
            | "redirect-308" | "redirect-300" | "head-redirect",
            "",
        ) => {
            let status = match name {
                "redirect-301-post" => Status::MOVED_PERMANENTLY,
                "redirect-302-post" | "head-redirect" => Status::FOUND,
                "redirect-303" => Status::SEE_OTHER,
                "redirect-307" => Status::TEMPORARY_REDIRECT,
                "redirect-308" => Status::PERMANENT_REDIRECT,
                _ => Status::MULTIPLE_CHOICES,
            };
            let head = plain(status).header("Location", landing.clone());
            // A HEAD answer says how long this content is and sends none.
            sent(ex.respond(head, format!("moved: {landing}\n")).await)
        }
        ("redirect-cross-origin", "") if !credentials_ok => {
            let head = basic_challenge();
            sent(ex.respond(head, "who are you?\n").await)
        }
        ("redirect-cross-origin", "") => match other_origin(ex) {
            Some(origin) => {
                let head =
                    plain(Status::FOUND).header("Location", format!("{origin}{landing}"));
                sent(ex.respond(head, "moved to another origin\n").await)
            }
            // Reached by a name with no loopback twin: nothing to show.
            None => sent(ex.respond(text(), "final (no other origin to send you to)\n").await),
        },
        (_, "landing") => sent(ex.respond(text(), "landed\n").await),
        ("redirect-loop", _) => {
            let head = plain(Status::FOUND).header("Location", here);
            sent(ex.respond(head, "again\n").await)
        }
        ("retry-after-429", _) if first => {
            let head = plain(Status::TOO_MANY_REQUESTS).header("Retry-After", "1");
            sent(ex.respond(head, "slow down\n").await)
        }
        ("retry-after-date", _) if first => {
            let head = plain(Status::SERVICE_UNAVAILABLE)
                .header("Retry-After", httpdate::fmt_http_date(retry_at));
            sent(ex.respond(head, "back soon\n").await)
        }
        ("retry-408", _) if first => {
            let head = plain(Status::REQUEST_TIMEOUT).header("Connection", "close");
            sent(ex.respond(head, "too slow; this connection closes\n").await)
        }
        ("retry-421", _) if first => {
            let head = plain(Status::MISDIRECTED_REQUEST);
            sent(ex.respond(head, "not on this connection\n").await)
        }
        // RFC 8470 §5.2: 425 only for a request that may be replayed — one
        // that an intermediary forwarded from TLS early data (`Early-Data:
        // 1`); teapot itself takes no early data.
        ("retry-425", _) if req_early_data(ex) => {
            let head = plain(Status::TOO_EARLY);
            sent(ex.respond(head, "too early: ask again once the handshake is complete\n").await)
        }
        ("retry-after-429" | "retry-after-date" | "retry-408" | "retry-421" | "retry-425", _) => {
            sent(ex.respond(text(), "final\n").await)
        }
        ("auth-basic" | "auth-digest", _) if credentials_ok => {
            sent(ex.respond(text(), "final\n").await)
        }
        ("auth-basic", _) => {
            let head = basic_challenge();
            sent(ex.respond(head, "who are you?\n").await)
        }
        ("auth-digest", _) => {
            let head = plain(Status::UNAUTHORIZED)
                .header("WWW-Authenticate", super::digest::grade_challenge());
            sent(ex.respond(head, "who are you?\n").await)
        }
        ("proxy-407", _) => {
            let head = plain(Status::PROXY_AUTHENTICATION_REQUIRED).header(
                "Proxy-Authenticate",
                "Basic realm=\"teapot grade proxy\", charset=\"UTF-8\"",
            );
            sent(ex.respond(head, "this proxy wants to know who you are\n").await)
        }
        ("retry-503-post", _) => {
            sent(ex.respond(plain(Status::SERVICE_UNAVAILABLE), "unavailable\n").await)
        }
        ("truncated", _) => {
            let raw = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 64\r\n\r\nonly part of it\n";
            cut(ex, raw, Some(64), b"only part of it\n").await
        }
        ("truncated-chunked", _) => {
            let raw = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly part of it\n\r\n";
            cut(ex, raw, None, b"only part of it\n").await
        }
        // HTTP/2 and HTTP/3 have no close-delimited content: there the
        // answer is plain (and the scenario does not apply).
        ("close-delimited", _) if ex.request().version().is_multiplexed() => {
            sent(ex.respond(text(), "all of it, ended by close: final\n").await)
        }
        ("close-delimited", _) => raw(ex, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nall of it, ended by close: final\n").await,
        ("resume-206", _) => resume(ex).await,
        ("no-content-204", _) => sent(ex.respond(Head::new(Status::NO_CONTENT), "").await),
        ("no-content-then", _) if first => {
            sent(ex.respond(Head::new(Status::NO_CONTENT), "").await)
        }
        ("no-content-then", _) => sent(ex.respond(text(), "final\n").await),
        ("no-store", _) => {
            let head = Head::new(Status::OK)
                .header("Content-Type", "text/plain; charset=utf-8")
                .header("Cache-Control", "no-store")
                .header("ETag", "\"v1\"");
            sent(ex.respond(head, format!("answer {nth}\n")).await)
        }
        ("revalidate-304", _) => {
            let matches = ex
                .request()
                .header_str("if-none-match")
                .is_some_and(|v| v.split(',').any(|t| matches!(t.trim(), "\"v1\"" | "W/\"v1\"" | "*")));
            let head = Head::new(if matches { Status::NOT_MODIFIED } else { Status::OK })
                .header("ETag", "\"v1\"")
                .header("Cache-Control", "no-cache");
            if matches {
                sent(ex.respond(head, "").await)
            } else {
                let head = head.header("Content-Type", "text/plain; charset=utf-8");
                sent(ex.respond(head, "the stored representation\n").await)
            }
        }
        ("upgrade-426", _) => {
            let head = plain(Status::UPGRADE_REQUIRED)
                .header("Upgrade", "websocket")
                .header("Connection", "Upgrade");
            sent(ex.respond(head, "this resource is reached over WebSocket\n").await)
        }
        ("upgrade-101" | "upgrade-101-bad-accept", _) => {
            websocket::scenario(app, ex, run, name).await
        }
        ("http11-required", _) if ex.request().version().is_multiplexed() => {
            sent(ex.require_http11().await)
        }
        ("http11-required", _) => sent(ex.respond(text(), "final\n").await),
        ("reset-get" | "reset-post", _) => sent(ex.fault(Fault::Reset).await),
        _ => Err(Problem::not_found(ex.request().path())),
    }
}

/// Whether the request says it came in TLS early data (`Early-Data: 1`,
/// RFC 8470 §5.1).
fn req_early_data(ex: &Exchange<'_>) -> bool {
    ex.request().header_str("early-data").map(str::trim) == Some("1")
}

/// The `Authorization` value of the credentials the auth scenarios take.
fn basic_credentials() -> String {
    format!("Basic {}", BASE64.encode(format!("{USER}:{PASSWD}")))
}

/// At most `n` bytes of `s` (cut at a character boundary): what the
/// record keeps of a field the client chose, so that it stays small.
fn short(s: &str, n: usize) -> &str {
    let mut end = s.len().min(n);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Writes a hand-made HTTP/1.1 answer and closes (the framing scenarios).
async fn raw(ex: &mut Exchange<'_>, answer: &'static str) -> Outcome {
    sent(
        ex.fault(Fault::Raw(Bytes::from_static(answer.as_bytes())))
            .await,
    )
}

/// A 200 broken off after `part`: over HTTP/1.1 the bytes of `raw` (a
/// head and part of the content), then the connection closes; over HTTP/2
/// and HTTP/3, which frame content themselves, a head declaring `length`
/// (or none), `part`, then a reset of the stream.
async fn cut(
    ex: &mut Exchange<'_>,
    raw: &'static str,
    length: Option<u64>,
    part: &[u8],
) -> Outcome {
    if !ex.request().version().is_multiplexed() {
        return self::raw(ex, raw).await;
    }
    let head = Head::new(Status::OK).header("Content-Type", "text/plain");
    broken_off(ex, head, length, part).await
}

/// Sends `head` (declaring `length`, or no length) and `part`, then resets
/// the stream: a cut answer in HTTP/2's and HTTP/3's terms.
async fn broken_off(
    ex: &mut Exchange<'_>,
    head: Head,
    length: Option<u64>,
    part: &[u8],
) -> Outcome {
    if ex.start(head, length).await.is_ok() && ex.write(part).await.is_ok() {
        return sent(ex.fault(Fault::Reset).await);
    }
    Ok(())
}

/// What `resume-206` serves: 64 bytes, under one strong validator.
const RESUMABLE: &[u8; 64] = b"the first half of the content--and the second half of it: final\n";

/// `resume-206`: asked without `Range`, the 200 (which offers ranges and
/// names its ETag) breaks off after 32 of its 64 bytes, every time; a
/// range of it (with an `If-Range` that matches, or none) gets its 206,
/// one that cannot be served a 416, and a stale `If-Range` the whole 200.
async fn resume(ex: &mut Exchange<'_>) -> Outcome {
    let len = RESUMABLE.len() as u64;
    let fresh = ex
        .request()
        .header_str("if-range")
        .is_none_or(|v| v.trim() == "\"r1\"");
    let asked = ex
        .request()
        .header_str("range")
        .map(|r| ranges::parse(r, len));
    let head = |status| {
        Head::new(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Accept-Ranges", "bytes")
            .header("ETag", "\"r1\"")
    };
    match asked {
        Some(Ranges::Partial(parts)) if fresh && parts.len() == 1 => {
            let (start, end) = parts[0];
            let head = head(Status::PARTIAL_CONTENT)
                .header("Content-Range", format!("bytes {start}-{end}/{len}"));
            let slice = &RESUMABLE[start as usize..=end as usize];
            sent(ex.respond(head, Bytes::copy_from_slice(slice)).await)
        }
        Some(Ranges::Unsatisfiable) if fresh => {
            let head = head(Status::RANGE_NOT_SATISFIABLE)
                .header("Content-Range", format!("bytes */{len}"));
            sent(ex.respond(head, "").await)
        }
        Some(_) => sent(ex.respond(head(Status::OK), &RESUMABLE[..]).await),
        None if ex.request().version().is_multiplexed() => {
            broken_off(ex, head(Status::OK), Some(len), &RESUMABLE[..32]).await
        }
        None => {
            let mut cut = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nAccept-Ranges: bytes\r\nETag: \"r1\"\r\nContent-Length: {len}\r\n\r\n"
            )
            .into_bytes();
            cut.extend_from_slice(&RESUMABLE[..32]);
            sent(ex.fault(Fault::Raw(Bytes::from(cut))).await)
        }
    }
}

/// This server under its other loopback name (`localhost` and
/// `127.0.0.1` swapped, same port and scheme): another origin that reaches
/// the same process. `None` when the request named neither.
fn other_origin(ex: &Exchange<'_>) -> Option<String> {
    let host = ex.request().header_str("host")?;
    let (name, port) = match host.find(']') {
        // An IPv6 literal: `[::1]` or `[::1]:8418`.
        Some(end) => (&host[..=end], host[end + 1..].strip_prefix(':')),
        None => match host.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        },
    };
    let other = match name.to_ascii_lowercase().as_str() {
        "localhost" => "127.0.0.1",
        "127.0.0.1" | "[::1]" => "localhost",
        _ => return None,
    };
    let scheme = if ex.is_secure() { "https" } else { "http" };
    Some(match port {
        Some(p) => format!("{scheme}://{other}:{p}"),
        None => format!("{scheme}://{other}"),
    })
}

/// A 401 asking for the Basic credentials the auth scenarios take.
fn basic_challenge() -> Head {
    plain(Status::UNAUTHORIZED).header(
        "WWW-Authenticate",
        "Basic realm=\"teapot grade\", charset=\"UTF-8\"",
    )
}

/// The head of a non-200 answer with plain-text content.
fn plain(status: Status) -> Head {
    Head::new(status).header("Content-Type", "text/plain; charset=utf-8")
}

/// The head of a plain 200 answer that no cache may keep.
fn text() -> Head {
    Head::new(Status::OK)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Cache-Control", "no-store")
}
