//! `/gateway/{path}`: a gateway in front of this same server, and never of
//! any other. It earns 502 when the upstream answer is broken, 504 when it
//! is too slow (`?timeout=MS`), 203 when asked to transform the payload
//! (`?transform=1`), and 508 when gateways are chained into a loop.
//! Interim responses from upstream are passed on, as a proxy must.

use std::time::Duration;

use bytes::Bytes;
use teapot_wire::h1::client::{framing, ReadError, ResponseReader};
use teapot_wire::{Exchange, Head, Limits, Method, Status};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::{query_pairs, sent, Outcome};
use crate::app::App;
use crate::problem::Problem;

/// The header that counts gateway hops, to stop loops.
const HOPS: &str = "X-Teapot-Gateway-Hops";
/// The most gateways one request may pass through.
const MAX_HOPS: u32 = 5;
/// The default upstream timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest upstream body relayed.
const MAX_UPSTREAM_BODY: u64 = 10 * 1024 * 1024;

/// Fields that belong to one connection and are not forwarded (RFC 9110
/// §7.6.1), plus those the gateway sets itself.
fn hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-authorization",
        "proxy-authenticate",
        "host",
        "content-length",
        "expect",
        "date",
    ]
    .iter()
    .any(|h| h.eq_ignore_ascii_case(name))
        || name.eq_ignore_ascii_case(HOPS)
}

/// Serves `/gateway/{rest}`.
pub async fn gateway(app: &App, ex: &mut Exchange<'_>, rest: &str) -> Outcome {
    let Some(upstream) = app.self_addr else {
        return Err(Problem::new(502, "This gateway has no upstream address."));
    };
    let hops: u32 = ex
        .request()
        .header_str(HOPS)
        .and_then(|h| h.trim().parse().ok())
        .unwrap_or(0);
    if hops >= MAX_HOPS {
        return Err(Problem::new(
            508,
            format!("The request went through {hops} gateways of this server: a loop."),
        ));
    }
    let mut timeout = DEFAULT_TIMEOUT;
    let mut transform = false;
    let mut forwarded = Vec::new();
    for (k, v) in query_pairs(ex) {
        match k.as_str() {
            "timeout" => {
                timeout = v
                    .parse()
                    .map(Duration::from_millis)
                    .ok()
                    .filter(|t| *t <= app.max_delay)
                    .ok_or_else(|| {
                        Problem::bad_request(format!(
                            "timeout must be a whole number of milliseconds up to {}, not {v:?}.",
                            app.max_delay.as_millis()
                        ))
                        .kind("bad-option")
                    })?;
            }
            "transform" => transform = matches!(v.as_str(), "1" | "true"),
            _ => forwarded.push((k, v)),
        }
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(forwarded)
        .finish();
    let Ok(body) = ex.read_body(1 << 20).await else {
        return Ok(());
    };
    let method = ex.request().method();
    let mut request = format!("{} /{rest}", method.as_str());
    if !query.is_empty() {
        request.push('?');
        request.push_str(&query);
    }
    request.push_str(&format!(
        " HTTP/1.1\r\nHost: {upstream}\r\nConnection: close\r\n{HOPS}: {}\r\nVia: 1.1 teapot\r\n",
        hops + 1
    ));
    for (name, value) in ex.request().headers() {
        if !hop_by_hop(name) {
            request.push_str(name);
            request.push_str(": ");
            request.push_str(&String::from_utf8_lossy(value));
            request.push_str("\r\n");
        }
    }
    if !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");

    let exchange = relay(
        ex,
        upstream,
        request.into_bytes(),
        body,
        method == Method::Head,
    );
    let (head, body) = match tokio::time::timeout(timeout, exchange).await {
        Err(_) => {
            return Err(Problem::new(
                504,
                format!(
                    "The upstream did not answer within {} ms.",
                    timeout.as_millis()
                ),
            ))
        }
        Ok(Err(e)) => {
            return Err(Problem::new(
                502,
                format!("The upstream answer was unusable: {e}."),
            ))
        }
        Ok(Ok(pair)) => pair,
    };
    let mut code = head.status;
    let mut body = body;
    if transform && code == 200 {
        code = 203;
        body = transformed(head.header("content-type"), body);
    }
    let status = Status::from_u16(code).map_err(|_| {
        Problem::new(
            502,
            format!("The upstream sent status {code}, outside 100-599."),
        )
    })?;
    let mut out = Head::new(status);
    for (name, value) in &head.headers {
        // A transformed payload no longer matches the upstream's validator.
        let stale_validator = transform && name.eq_ignore_ascii_case("etag");
        if !(hop_by_hop(name) || stale_validator) {
            out.add(name.clone(), value.clone());
        }
    }
    out.add("Via", "1.1 teapot");
    sent(ex.respond(out, body).await)
}

/// Sends the request upstream and reads the answer, passing interim
/// responses on to the client.
async fn relay(
    ex: &mut Exchange<'_>,
    upstream: std::net::SocketAddr,
    request: Vec<u8>,
    body: Bytes,
    head_request: bool,
) -> Result<(teapot_wire::h1::client::ResponseHead, Bytes), ReadError> {
    let mut stream = TcpStream::connect(upstream)
        .await
        .map_err(|e| ReadError::Closed(Some(e)))?;
    let _ = stream.set_nodelay(true);
    stream
        .write_all(&request)
        .await
        .map_err(|e| ReadError::Closed(Some(e)))?;
    stream
        .write_all(&body)
        .await
        .map_err(|e| ReadError::Closed(Some(e)))?;
    let limits = Limits {
        max_body: MAX_UPSTREAM_BODY,
        ..Limits::default()
    };
    let mut reader = ResponseReader::new(stream, limits);
    loop {
        let head = reader.head().await?;
        if head.status == 101 {
            return Err(ReadError::Malformed(
                "the upstream switched protocols; this gateway does not tunnel",
            ));
        }
        if (100..200).contains(&head.status) {
            if let Ok(s) = Status::from_u16(head.status) {
                let mut interim = Head::new(s);
                for (name, value) in &head.headers {
                    interim.add(name.clone(), value.clone());
                }
                let _ = ex.interim(interim).await;
            }
            continue;
        }
        let body = reader.body(framing(&head, head_request)?).await?;
        return Ok((head, body));
    }
}

/// What a transforming proxy might do: mark JSON objects, upper-case text.
fn transformed(content_type: Option<&[u8]>, body: Bytes) -> Bytes {
    let ctype = content_type
        .map(|c| String::from_utf8_lossy(c).to_ascii_lowercase())
        .unwrap_or_default();
    if ctype.starts_with("application/json") {
        if let Ok(serde_json::Value::Object(mut map)) =
            serde_json::from_slice::<serde_json::Value>(&body)
        {
            map.insert("transformed_by".into(), "teapot gateway".into());
            let mut out = serde_json::to_vec_pretty(&map).unwrap_or_default();
            out.push(b'\n');
            return Bytes::from(out);
        }
    }
    if ctype.starts_with("text/") {
        return Bytes::from(body.to_ascii_uppercase());
    }
    body
}
