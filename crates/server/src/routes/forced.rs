//! Forced status: `ANY /{code}`, `ANY /status/{codes}` and `/random/{codes}`.
//!
//! Each answer carries what its code requires on the wire (the registry's
//! rules, and `spec/status-codes.md` for the why): interim responses before
//! a final one for 100, 102 and 103, a real WebSocket switch for 101,
//! `Location` on redirects, `Allow` on 405, `Content-Range` on 206 and 416,
//! challenges on 401 and 407, `Retry-After` on 429 and 503, no content on
//! 204 and 304, and so on. Every query option is validated before anything
//! is written; a bad one is a 400 problem naming it.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use teapot_codes::{Content, Status};
use teapot_wire::response::{is_field_name, is_field_value};
use teapot_wire::{Exchange, Head, Method, Version};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::{query_pairs, sent, Outcome};
use crate::app::App;
use crate::problem::Problem;
use crate::ranges::{self, Ranges};
use teapot_wire::accept as negotiate;

/// Most codes one spec may list (ranges count each code).
const MAX_CHOICES: usize = 500;
/// Most interim 102 responses one request may ask for.
const MAX_COUNT: u32 = 100;
/// Longest `location` accepted.
const MAX_LOCATION: usize = 2048;
/// Longest `retry_after` accepted, in seconds (one day).
const MAX_RETRY_AFTER: u64 = 86_400;
/// Where redirects and created resources point by default.
const DEFAULT_LOCATION: &str = "/200";
/// The stylesheet the 103 hints announce and the HTML pages use.
pub const STYLESHEET: &str = "/static/teapot.css";

/// Options from the query, all validated.
#[derive(Debug, Default)]
struct Options {
    delay: Duration,
    headers: Vec<(String, String)>,
    final_status: Option<Status>,
    count: u32,
    interval: Duration,
    location: Option<String>,
    retry_after: Option<u64>,
}

/// Serves a forced status for `spec` (`503`, `200,503`, `200:9,503:1`,
/// `500-504`).
pub async fn forced(app: &App, ex: &mut Exchange<'_>, spec: &str) -> Outcome {
    let choices = parse_spec(spec)?;
    let opts = parse_options(app, ex)?;
    let status = pick(&choices);
    if !opts.delay.is_zero() {
        tokio::time::sleep(opts.delay).await;
    }
    match status.as_u16() {
        101 => switch(ex, &opts).await,
        _ if status.is_interim() => interim_then_final(ex, status, &opts).await,
        _ => final_response(ex, status, &opts, false).await,
    }
}

fn bad(kind: &'static str, detail: String) -> Problem {
    Problem::bad_request(detail).kind(kind)
}

fn parse_code(text: &str) -> Result<Status, Problem> {
    let code = text.trim();
    code.parse::<Status>().map_err(|_| {
        bad(
            "bad-code",
            format!("{code:?} is not a status code: codes are three digits from 100 to 599."),
        )
    })
}

/// Reads a spec into (status, weight) pairs.
fn parse_spec(spec: &str) -> Result<Vec<(Status, f64)>, Problem> {
    let spec = percent_encoding::percent_decode_str(spec).decode_utf8_lossy();
    let mut choices = Vec::new();
    for item in spec.split(',') {
        let item = item.trim();
        if let Some((code, weight)) = item.split_once(':') {
            let status = parse_code(code)?;
            let w: f64 = weight
                .trim()
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| {
                    bad(
                        "bad-weight",
                        format!("The weight {weight:?} of {code} is not a number of zero or more."),
                    )
                })?;
            choices.push((status, w));
        } else if let Some((from, to)) = item.split_once('-') {
            let (from, to) = (parse_code(from)?, parse_code(to)?);
            if from > to {
                return Err(bad("bad-code", format!("The range {item} runs backwards.")));
            }
            for n in from.as_u16()..=to.as_u16() {
                choices.push((
                    Status::from_u16(n).map_err(|_| bad("bad-code", item.to_string()))?,
                    1.0,
                ));
            }
        } else {
            choices.push((parse_code(item)?, 1.0));
        }
        if choices.len() > MAX_CHOICES {
            return Err(bad(
                "bad-code",
                format!("At most {MAX_CHOICES} codes may be listed."),
            ));
        }
    }
    if choices.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
        return Err(bad(
            "bad-weight",
            "The weights add up to zero; at least one must be positive.".into(),
        ));
    }
    Ok(choices)
}

/// One choice, at random by weight.
fn pick(choices: &[(Status, f64)]) -> Status {
    if choices.len() == 1 {
        return choices[0].0;
    }
    let total: f64 = choices.iter().map(|(_, w)| w).sum();
    let mut x = fastrand::f64() * total;
    for &(s, w) in choices {
        if x < w {
            return s;
        }
        x -= w;
    }
    // Rounding left `x` at the very top: the last positive weight wins.
    choices
        .iter()
        .rev()
        .find(|(_, w)| *w > 0.0)
        .map_or(choices[0].0, |c| c.0)
}

fn parse_ms(name: &str, value: &str) -> Result<Duration, Problem> {
    value
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| {
            bad(
                "bad-option",
                format!("{name} must be a whole number of milliseconds, not {value:?}."),
            )
        })
}

fn parse_options(app: &App, ex: &Exchange<'_>) -> Result<Options, Problem> {
    let mut o = Options {
        count: 1,
        ..Options::default()
    };
    for (name, value) in query_pairs(ex) {
        match name.as_str() {
            "delay" => {
                o.delay = parse_ms("delay", &value).map_err(|p| p.kind("bad-delay"))?;
                if o.delay > app.max_delay {
                    return Err(bad(
                        "bad-delay",
                        format!(
                            "delay={value} is over the server's maximum of {} ms.",
                            app.max_delay.as_millis()
                        ),
                    ));
                }
            }
            "header" => o.headers.push(parse_header(&value)?),
            "final" => {
                let s = parse_code(&value)?;
                if s.is_interim() {
                    return Err(bad(
                        "bad-option",
                        format!("final={value} must be a final status (200 to 599)."),
                    ));
                }
                o.final_status = Some(s);
            }
            "count" => {
                o.count = value.parse().ok().filter(|n| (1..=MAX_COUNT).contains(n)).ok_or_else(|| {
                    bad("bad-option", format!("count must be a whole number from 1 to {MAX_COUNT}, not {value:?}."))
                })?;
            }
            "interval" => o.interval = parse_ms("interval", &value)?,
            "location" => o.location = Some(parse_location(&value)?),
            "retry_after" => {
                o.retry_after = Some(value.parse().ok().filter(|s| *s <= MAX_RETRY_AFTER).ok_or_else(|| {
                    bad(
                        "bad-option",
                        format!("retry_after must be a whole number of seconds up to {MAX_RETRY_AFTER}, not {value:?}."),
                    )
                })?);
            }
            _ => {}
        }
    }
    let waited = o
        .interval
        .saturating_mul(o.count.saturating_add(1))
        .saturating_add(o.delay);
    if waited > app.max_delay {
        return Err(bad(
            "bad-delay",
            format!(
                "delay, count and interval add up to {} ms, over the server's maximum of {} ms.",
                waited.as_millis(),
                app.max_delay.as_millis()
            ),
        ));
    }
    Ok(o)
}

/// `Name:Value`, both valid field syntax; the framing fields are the
/// server's own.
fn parse_header(raw: &str) -> Result<(String, String), Problem> {
    let Some((name, value)) = raw.split_once(':') else {
        return Err(bad(
            "bad-header",
            format!("header={raw:?} must be written Name:Value."),
        ));
    };
    let value = value.trim_matches([' ', '\t']);
    if !is_field_name(name) {
        return Err(bad(
            "bad-header",
            format!("{name:?} is not a valid header field name."),
        ));
    }
    if !is_field_value(value.as_bytes()) {
        return Err(bad(
            "bad-header",
            format!("The value given for {name} holds characters a header field may not (CR, LF, NUL or other controls)."),
        ));
    }
    const OWN: [&str; 4] = ["content-length", "transfer-encoding", "date", "connection"];
    if OWN.iter().any(|o| o.eq_ignore_ascii_case(name)) {
        return Err(bad(
            "bad-header",
            format!("{name} is set by the server itself and cannot be forced."),
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// A relative reference (no scheme, not `//host`) or an http(s) URL.
pub(crate) fn parse_location(raw: &str) -> Result<String, Problem> {
    let ok_chars = !raw.is_empty()
        && raw.len() <= MAX_LOCATION
        && raw.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\');
    let lower = raw.to_ascii_lowercase();
    let absolute = lower.starts_with("http://") || lower.starts_with("https://");
    let has_host = absolute
        && raw
            .split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
    let scheme_like = raw
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|first| first.contains(':'));
    let relative = !raw.starts_with("//") && !scheme_like;
    if ok_chars && ((absolute && has_host) || relative) {
        Ok(raw.to_string())
    } else {
        Err(bad(
            "bad-location",
            format!("location={raw:?} must be a relative path or an http(s) URL, without spaces or control characters."),
        ))
    }
}

/// An interim response (100, 102 with `count`, 103 with hints, or any
/// other 1xx), then the final response (`final=`, default 200).
async fn interim_then_final(ex: &mut Exchange<'_>, status: Status, opts: &Options) -> Outcome {
    let final_status = opts.final_status.unwrap_or(Status::OK);
    match status.as_u16() {
        102 => {
            for i in 0..opts.count {
                if i > 0 && !opts.interval.is_zero() {
                    tokio::time::sleep(opts.interval).await;
                }
                if ex.interim(Head::new(status)).await.is_err() {
                    return Ok(());
                }
            }
        }
        103 => {
            let mut head = Head::new(status);
            for link in early_hints() {
                head = head.header("Link", link);
            }
            if ex.interim(head).await.is_err() {
                return Ok(());
            }
        }
        _ => {
            if ex.interim(Head::new(status)).await.is_err() {
                return Ok(());
            }
        }
    }
    if !opts.interval.is_zero() {
        tokio::time::sleep(opts.interval).await;
    }
    final_response(ex, final_status, opts, status == 103).await
}

fn early_hints() -> [&'static str; 1] {
    ["</static/teapot.css>; rel=preload; as=style"]
}

/// 101 when the client offers a WebSocket upgrade; 426 otherwise.
///
/// HTTP/2 has no 101 (RFC 9113 §8.6). There the request that switched a
/// connection by `Upgrade: h2c` already had its 101 and gets the final
/// response on stream 1; any other is refused with `HTTP_1_1_REQUIRED`, so
/// that the client asks again over HTTP/1.1.
async fn switch(ex: &mut Exchange<'_>, opts: &Options) -> Outcome {
    if ex.request().version() == Version::Http2 {
        if ex.is_h2c_upgrade() {
            return final_response(ex, Status::OK, opts, false).await;
        }
        return sent(ex.require_http11().await);
    }
    let req = ex.request();
    let offers_websocket = req.wants_upgrade() && req.has_token("upgrade", "websocket");
    if !offers_websocket {
        return upgrade_required(ex, opts, "101 needs a request that offers an upgrade: send Upgrade: websocket with Connection: Upgrade and a WebSocket handshake.").await;
    }
    if req.method() != Method::Get {
        return Err(bad(
            "bad-handshake",
            "A WebSocket handshake is a GET request.".into(),
        ));
    }
    if req.header_str("sec-websocket-version").map(str::trim) != Some("13") {
        let head = Head::new(Status::UPGRADE_REQUIRED)
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Version", "13")
            .header("Content-Type", "text/plain; charset=utf-8");
        return sent(
            ex.respond(
                head,
                "426 Upgrade Required\nThis server speaks WebSocket version 13.\n",
            )
            .await,
        );
    }
    let key = req
        .header_str("sec-websocket-key")
        .map(str::trim)
        .unwrap_or("");
    if !is_websocket_key(key) {
        return Err(bad(
            "bad-handshake",
            "Sec-WebSocket-Key must be 16 random bytes in base64 (24 characters).".into(),
        ));
    }
    let mut head = Head::new(Status::SWITCHING_PROTOCOLS)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Accept", derive_accept_key(key.as_bytes()));
    for (name, value) in &opts.headers {
        head = head.header(name.clone(), value.clone());
    }
    let upgraded = match ex.switch(head).await {
        Ok(u) => u,
        Err(e) => {
            tracing::debug!("switch failed: {e}");
            return Ok(());
        }
    };
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(1 << 20);
    config.max_frame_size = Some(1 << 20);
    let ws = WebSocketStream::from_raw_socket(upgraded, Role::Server, Some(config)).await;
    echo(ws).await;
    Ok(())
}

/// How long a WebSocket may stay silent before the server closes it.
const WS_IDLE: Duration = Duration::from_secs(60);

/// How long the server waits for the client's Close after sending its own.
const WS_CLOSING: Duration = Duration::from_secs(2);

/// Echoes text and binary messages until the client closes, breaks the
/// protocol, or stays silent for a minute, and closes as RFC 6455 §5.5.1
/// and §7.4.1 say: a client's Close is answered with a Close carrying the
/// same code; a protocol error (an unmasked frame among others) is closed
/// with 1002, a text message that is not UTF-8 with 1007, a message over
/// the size limit with 1009, silence with 1001. The server then closes the
/// TCP connection first (§7.1.1).
async fn echo<S>(mut ws: WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::Error;
    let (code, reason) = loop {
        match tokio::time::timeout(WS_IDLE, ws.next()).await {
            Err(_) => break (CloseCode::Away, "idle for too long"),
            Ok(None) => return,
            Ok(Some(Ok(msg @ (Message::Text(_) | Message::Binary(_))))) => {
                if ws.send(msg).await.is_err() {
                    return;
                }
            }
            Ok(Some(Ok(Message::Close(_)))) => {
                // The echo of the client's Close is queued: send it.
                let _ = ws.flush().await;
                return;
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(Error::Utf8(_)))) => {
                break (CloseCode::Invalid, "a text message must be UTF-8")
            }
            Ok(Some(Err(Error::Protocol(_)))) => break (CloseCode::Protocol, "protocol error"),
            Ok(Some(Err(Error::Capacity(_)))) => break (CloseCode::Size, "message too big"),
            // The connection is gone.
            Ok(Some(Err(_))) => return,
        }
    };
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if ws.close(Some(frame)).await.is_err() {
        return;
    }
    // Wait a little for the client's Close, reading past anything else.
    let _ = tokio::time::timeout(WS_CLOSING, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

fn is_websocket_key(key: &str) -> bool {
    key.len() == 24
        && key.ends_with("==")
        && key[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

async fn upgrade_required(ex: &mut Exchange<'_>, opts: &Options, why: &str) -> Outcome {
    let status = Status::UPGRADE_REQUIRED;
    let mut head = Head::new(status)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade");
    let body = generic_body(ex, status, &mut head, Some(why));
    head = with_user_headers(head, opts);
    sent(ex.respond(head, body).await)
}

/// Every final status: its required fields, then its content. After early
/// hints (`hinted`), a successful answer repeats the hinted `Link` fields.
async fn final_response(
    ex: &mut Exchange<'_>,
    status: Status,
    opts: &Options,
    hinted: bool,
) -> Outcome {
    let code = status.as_u16();
    // A 426 must name the protocol to upgrade to, and `Upgrade` cannot be
    // sent on HTTP/2 (RFC 9113 §8.2.2): the client is sent to HTTP/1.1.
    if code == 426 && ex.request().version() == Version::Http2 {
        return sent(ex.require_http11().await);
    }
    let location = || {
        opts.location
            .clone()
            .unwrap_or_else(|| DEFAULT_LOCATION.to_string())
    };
    let mut head = Head::new(status);
    let mut body: Option<Bytes> = None;
    match code {
        201 | 202 | 301 | 302 | 303 | 305 | 307 | 308 => head = head.header("Location", location()),
        206 => return partial_content(ex, opts).await,
        207 => {
            head = head.header("Content-Type", "application/xml; charset=utf-8");
            body = Some(Bytes::from_static(MULTISTATUS.as_bytes()));
        }
        226 => {
            head = head
                .header("ETag", "\"teapot-v2\"")
                .header("IM", "diffe")
                .header("Delta-Base", "\"teapot-v1\"")
                .header("Content-Type", "text/plain; charset=utf-8");
            body = Some(Bytes::from_static(
                b"1c1\n< short and stout\n---\n> here is my handle, here is my spout\n",
            ));
        }
        300 => {
            head = head
                .header("Location", location())
                .header(
                    "Link",
                    "</200?format=text>; rel=\"alternate\"; type=\"text/plain\"",
                )
                .header(
                    "Link",
                    "</200?format=json>; rel=\"alternate\"; type=\"application/json\"",
                )
                .header(
                    "Link",
                    "</200?format=html>; rel=\"alternate\"; type=\"text/html\"",
                );
        }
        304 => {
            head = head
                .header("ETag", "\"teapot\"")
                .header("Cache-Control", "max-age=60")
        }
        401 => {
            head = head.header(
                "WWW-Authenticate",
                "Basic realm=\"teapot\", charset=\"UTF-8\"",
            )
        }
        405 => head = head.header("Allow", allow_without(ex.request().method())),
        407 => {
            head = head.header(
                "Proxy-Authenticate",
                "Basic realm=\"teapot proxy\", charset=\"UTF-8\"",
            )
        }
        408 => head = head.header("Connection", "close"),
        413 => {
            if let Some(s) = opts.retry_after {
                head = head.header("Retry-After", s.to_string());
            }
        }
        415 => head = head.header("Accept", "application/json, text/plain"),
        416 => {
            head = head.header(
                "Content-Range",
                format!("bytes */{}", ranges::resource().len()),
            )
        }
        426 => {
            head = head
                .header("Upgrade", "websocket")
                .header("Connection", "Upgrade")
        }
        429 | 503 => head = head.header("Retry-After", opts.retry_after.unwrap_or(1).to_string()),
        451 => head = head.header("Link", "</legal/blocked-by>; rel=\"blocked-by\""),
        _ => {}
    }
    if hinted && (200..300).contains(&code) {
        for link in early_hints() {
            head.add("Link", link);
        }
    }
    let body = match body {
        Some(b) => b,
        None => generic_body(ex, status, &mut head, None),
    };
    head = with_user_headers(head, opts);
    sent(ex.respond(head, body).await)
}

/// Forced 206: a part of the fixed 1024-byte resource. The request's
/// `Range` is honoured (several ranges give `multipart/byteranges`); without
/// one, the first 100 bytes. A `Range` no part of which can be served gets
/// 416, since 206 would then be a lie.
async fn partial_content(ex: &mut Exchange<'_>, opts: &Options) -> Outcome {
    let data = ranges::resource();
    let len = data.len() as u64;
    let asked = ex
        .request()
        .header_str("range")
        .map(|r| ranges::parse(r, len))
        .unwrap_or(Ranges::Full);
    let parts = match asked {
        Ranges::Full => vec![(0, 99)],
        Ranges::Partial(p) => p,
        Ranges::Unsatisfiable => {
            let status = Status::RANGE_NOT_SATISFIABLE;
            let mut head = Head::new(status).header("Content-Range", format!("bytes */{len}"));
            let body = generic_body(
                ex,
                status,
                &mut head,
                Some("None of the requested ranges lies within the 1024-byte resource."),
            );
            return sent(ex.respond(with_user_headers(head, opts), body).await);
        }
    };
    let mut head = Head::new(Status::PARTIAL_CONTENT)
        .header("Accept-Ranges", "bytes")
        .header("ETag", "\"teapot-1024\"");
    let body = if let [(a, b)] = parts[..] {
        head = head
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Content-Range", format!("bytes {a}-{b}/{len}"));
        Bytes::copy_from_slice(&data[a as usize..=b as usize])
    } else {
        let (body, boundary) = ranges::multipart(data, &parts, "text/plain; charset=utf-8");
        head = head.header(
            "Content-Type",
            format!("multipart/byteranges; boundary={boundary}"),
        );
        Bytes::from(body)
    };
    sent(ex.respond(with_user_headers(head, opts), body).await)
}

/// The methods a 405 allows: the usual ones, less the request's (and
/// less GET and HEAD together, since a resource that allows one allows the
/// other).
fn allow_without(method: Method) -> String {
    const ALL: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ];
    let read = matches!(method, Method::Get | Method::Head);
    ALL.iter()
        .filter(|&&m| m != method && !(read && matches!(m, Method::Get | Method::Head)))
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn with_user_headers(mut head: Head, opts: &Options) -> Head {
    for (name, _) in &opts.headers {
        head.remove(name);
    }
    for (name, value) in &opts.headers {
        head = head.header(name.clone(), value.clone());
    }
    head
}

/// The negotiated body for a code, with its `Content-Type` and `Vary`
/// added to `head`. Empty for codes that carry no content.
fn generic_body(ex: &Exchange<'_>, status: Status, head: &mut Head, note: Option<&str>) -> Bytes {
    let entry = status.entry();
    if entry.map_or(status.is_interim(), |e| e.rules.content != Content::Allowed) {
        return Bytes::new();
    }
    let error = status.as_u16() >= 400;
    let offers: &[&str] = if error {
        &[
            "text/plain",
            "application/json",
            "application/problem+json",
            "text/html",
        ]
    } else {
        &["text/plain", "application/json", "text/html"]
    };
    let accept = ex.request().header_str("accept");
    let media = negotiate::choose(accept, offers).unwrap_or("text/plain");
    let reason = status.reason();
    let summary = entry.map_or(status.class().name(), |e| e.summary);
    let spec = || entry.map_or_else(|| "RFC 9110 §15".to_string(), |e| e.source.to_string());
    let url = || {
        entry.map_or_else(
            || "https://www.rfc-editor.org/rfc/rfc9110#section-15".to_string(),
            |e| e.source.url(),
        )
    };
    let detail = note.unwrap_or(summary);
    let (ctype, body) = match media {
        "application/json" => (
            "application/json",
            json!({
                "code": status.as_u16(),
                "reason": reason,
                "description": detail,
                "spec": spec(),
                "spec_url": url(),
            })
            .to_string()
                + "\n",
        ),
        "application/problem+json" => {
            let details = teapot_wire::problem::Details {
                status,
                type_uri: "about:blank",
                detail,
                instance: None,
                members: &[],
            };
            (
                "application/problem+json",
                String::from_utf8_lossy(&details.json()).into_owned(),
            )
        }
        "text/html" => (
            "text/html; charset=utf-8",
            html_page(status, reason, detail, &spec(), &url()),
        ),
        _ => {
            let mut text = format!("{} {reason}\n", status.as_u16());
            if let Some(note) = note {
                text.push_str(note);
                text.push('\n');
            }
            if status == 511 {
                text.push_str("Sign in at /portal to get network access.\n");
            }
            ("text/plain; charset=utf-8", text)
        }
    };
    head.add("Content-Type", ctype);
    head.add("Vary", "Accept");
    Bytes::from(body)
}

fn html_page(status: Status, reason: &str, detail: &str, spec: &str, url: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let login = if status == 511 {
        "<p><a href=\"/portal\">Sign in to the network</a></p>"
    } else {
        ""
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{code} {reason}</title><link rel=\"stylesheet\" href=\"{STYLESHEET}\"></head>\
         <body><main><h1>{code} {reason}</h1><p>{detail}</p>{login}\
         <p><a href=\"{url}\">{spec}</a></p></main></body></html>\n",
        code = status.as_u16(),
        reason = esc(reason),
        detail = esc(detail),
        spec = esc(spec),
        url = esc(url),
    )
}

/// A well-formed `DAV:multistatus` document (RFC 4918 §13): one resource
/// found, one forbidden.
const MULTISTATUS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:">
  <D:response>
    <D:href>/dav/teapot.txt</D:href>
    <D:propstat>
      <D:prop><D:getcontentlength>1024</D:getcontentlength><D:displayname>teapot.txt</D:displayname></D:prop>
      <D:status>HTTP/1.1 200 OK</D:status>
    </D:propstat>
  </D:response>
  <D:response>
    <D:href>/dav/secret.txt</D:href>
    <D:status>HTTP/1.1 403 Forbidden</D:status>
    <D:responsedescription>Not for you.</D:responsedescription>
  </D:response>
</D:multistatus>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(spec: &str) -> Vec<(u16, f64)> {
        parse_spec(spec)
            .unwrap()
            .into_iter()
            .map(|(s, w)| (s.as_u16(), w))
            .collect()
    }

    #[test]
    fn specs() {
        assert_eq!(codes("418"), [(418, 1.0)]);
        assert_eq!(codes("200,503"), [(200, 1.0), (503, 1.0)]);
        assert_eq!(codes("200:9,503:1"), [(200, 9.0), (503, 1.0)]);
        assert_eq!(codes("200:0.9,503:0.1"), [(200, 0.9), (503, 0.1)]);
        assert_eq!(codes("500-502"), [(500, 1.0), (501, 1.0), (502, 1.0)]);
        assert_eq!(codes("200%3A1%2C201%3A0"), [(200, 1.0), (201, 0.0)]);
        for (bad_spec, kind) in [
            ("600", "bad-code"),
            ("99", "bad-code"),
            ("abc", "bad-code"),
            ("200,", "bad-code"),
            ("504-500", "bad-code"),
            ("200:x", "bad-weight"),
            ("200:-1", "bad-weight"),
            ("200:NaN", "bad-weight"),
            ("200:inf", "bad-weight"),
            ("200:0", "bad-weight"),
        ] {
            let p = parse_spec(bad_spec).unwrap_err();
            assert_eq!(p.status(), 400, "{bad_spec}");
            assert_eq!(p.type_uri(), format!("/problems/{kind}"), "{bad_spec}");
        }
    }

    #[test]
    fn pick_honours_zero_weights() {
        let choices = parse_spec("200:0,503:1").unwrap();
        for _ in 0..1000 {
            assert_eq!(pick(&choices), 503);
        }
    }

    #[test]
    fn locations() {
        for ok in [
            "/200",
            "/a/b?c=d#e",
            "200",
            "http://example.com/x",
            "HTTPS://example.com",
        ] {
            assert!(parse_location(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "//evil.example",
            "/\\evil",
            "javascript:alert(1)",
            "ftp://x",
            "http://",
            "http:///x",
            "/a b",
            "/a\r\nX: y",
        ] {
            assert!(parse_location(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("X-Test: yes").unwrap(),
            ("X-Test".into(), "yes".into())
        );
        assert_eq!(
            parse_header("X-Empty:").unwrap(),
            ("X-Empty".into(), "".into())
        );
        for bad in [
            "NoColon",
            "Bad Name:v",
            ":v",
            "X:a\r\nY: b",
            "X:a\0",
            "Content-Length: 5",
            "connection:close",
        ] {
            assert!(parse_header(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn allow_never_lists_the_method() {
        assert_eq!(
            allow_without(Method::Get),
            "POST, PUT, PATCH, DELETE, OPTIONS"
        );
        assert_eq!(
            allow_without(Method::Delete),
            "GET, HEAD, POST, PUT, PATCH, OPTIONS"
        );
        assert!(!allow_without(Method::Propfind).contains("PROPFIND"));
    }

    #[test]
    fn websocket_keys() {
        assert!(is_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_websocket_key("short=="));
        assert!(!is_websocket_key("dGhlIHNhbXBsZSBub25jZQ!!"));
    }
}
