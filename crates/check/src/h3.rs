//! The HTTP/3 side of the client (`quinn` and the `h3` crate): one request
//! on one stream of a new QUIC connection, each interim response (a
//! HEADERS frame with a 1xx status) recorded, then the final response, its
//! DATA and trailers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use h3::error::{Code, StreamError};

use crate::client::{ms, ms_between, Request, MAX_BODY};
use crate::exchange::{Exchange, Response, Timing};
use crate::h2::{fill, record, BodyRead, Outcome};
use crate::tls::Alpn;
use crate::CheckError;

/// Why a stream ended without its answer, in words, with the code's name.
fn stream_error(e: &StreamError) -> String {
    match e {
        StreamError::RemoteTerminate { code, .. } => {
            format!("the server reset the stream ({code})")
        }
        other => other.to_string(),
    }
}

/// Sends `req` over HTTP/3 to `host:port` (UDP) and records the exchange.
pub(crate) async fn talk(
    req: &Request,
    host: &str,
    port: u16,
    timeout: Duration,
    settle_for: Duration,
) -> Result<Outcome, CheckError> {
    let place = format!("{host}:{port}");
    let started = Instant::now();
    let addr: SocketAddr = tokio::time::timeout(timeout, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| CheckError::Timeout(format!("looking up {host}")))?
        .map_err(|e| CheckError::Connect(format!("{place}: {e}")))?
        .next()
        .ok_or_else(|| CheckError::Connect(format!("{host} has no address")))?;
    let bind: SocketAddr = if addr.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let mut endpoint = quinn::Endpoint::client(bind)
        .map_err(|e| CheckError::Connect(format!("no UDP socket for QUIC: {e}")))?;
    let tls = crate::tls::client_config(req.insecure, Alpn::Http3);
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
        .map_err(|e| CheckError::Tls(format!("no QUIC TLS configuration: {e}")))?;
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(crypto)));
    let name = host.trim_start_matches('[').trim_end_matches(']');
    let connecting = endpoint
        .connect(addr, name)
        .map_err(|e| CheckError::Connect(format!("{place}: {e}")))?;
    let quic = tokio::time::timeout(timeout, connecting)
        .await
        .map_err(|_| CheckError::Timeout(format!("in the QUIC handshake with {place}")))?
        .map_err(|e| CheckError::Tls(format!("the QUIC handshake with {place} failed: {e}")))?;
    let handshake_ms = ms(started);
    let timing = Timing {
        connect_ms: handshake_ms,
        tls_ms: Some(handshake_ms),
        started_unix_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        ..Timing::default()
    };
    let (mut driver, mut send) = tokio::time::timeout(
        timeout,
        h3::client::builder()
            .max_field_section_size(64 * 1024)
            .send_grease(false)
            .build::<_, _, Bytes>(h3_quinn::Connection::new(quic.clone())),
    )
    .await
    .map_err(|_| CheckError::Timeout(format!("setting up HTTP/3 with {place}")))?
    .map_err(|e| CheckError::Connect(format!("HTTP/3 with {place} failed: {e}")))?;
    let driving = tokio::spawn(async move {
        std::future::poll_fn(|cx| driver.poll_close(cx)).await;
    });
    let mut ex = Exchange::begun(crate::h2::sent(crate::client::build(req)), "HTTP/3", timing);
    let mut request = http::Request::builder()
        .method(req.method.as_str())
        .uri(req.url.as_str());
    for (n, v) in &ex.request.headers {
        request = request.header(n.as_str(), v.as_str());
    }
    let request = request
        .body(())
        .map_err(|e| CheckError::Usage(format!("the request cannot be sent on HTTP/3: {e}")))?;
    let body = req.body.clone();
    let head_request = req.method.eq_ignore_ascii_case("HEAD");
    let work = async {
        let mut stream = send
            .send_request(request)
            .await
            .map_err(|e| stream_error(&e))?;
        if !body.is_empty() {
            stream.send_data(body).await.map_err(|e| stream_error(&e))?;
        }
        stream.finish().await.map_err(|e| stream_error(&e))?;
        read_answer(&mut stream).await
    };
    match tokio::time::timeout(timeout, work).await {
        Err(_) => {
            ex.incomplete = Some(format!(
                "no complete response within {} ms",
                timeout.as_millis()
            ));
        }
        Ok(Err(e)) => ex.incomplete = Some(e),
        Ok(Ok(Answer::Reset(code))) if code == Code::H3_VERSION_FALLBACK => {
            quic.close(0u32.into(), b"");
            driving.abort();
            return Ok(Outcome::Http11Required);
        }
        Ok(Ok(Answer::Reset(code))) => {
            ex.incomplete = Some(format!("the server reset the stream ({code})"));
        }
        Ok(Ok(Answer::Response {
            interim,
            first_byte,
            head,
        })) => {
            let (mut head, body) = *head;
            if let Some(t) = first_byte {
                ex.timing.first_byte_ms = ms_between(started, t);
            }
            ex.interim = interim;
            fill(&mut head, body, head_request, &mut ex.incomplete);
            ex.final_response = Some(head);
        }
    }
    ex.timing.total_ms = ms(started);
    if ex.final_response.is_some() && ex.incomplete.is_none() {
        // The connection stays usable unless the server closes it soon
        // after the response.
        let closed = tokio::time::timeout(settle_for, quic.closed()).await;
        ex.reusable = closed.is_err();
    }
    quic.close(0x100u32.into(), b"");
    driving.abort();
    Ok(Outcome::Done(Box::new(ex)))
}

/// What came back on the stream.
enum Answer {
    Reset(Code),
    Response {
        interim: Vec<Response>,
        first_byte: Option<Instant>,
        head: Box<(Response, BodyRead)>,
    },
}

async fn read_answer(
    stream: &mut h3::client::RequestStream<h3_quinn::BidiStream<Bytes>, Bytes>,
) -> Result<Answer, String> {
    let mut interim = Vec::new();
    let mut first_byte = None;
    // Trailers, if any, are not recorded (as over HTTP/2).
    let head = loop {
        match stream.recv_response().await {
            Ok(r) if r.status().is_informational() => {
                first_byte.get_or_insert_with(Instant::now);
                interim.push(record("HTTP/3", r.status(), r.headers()));
            }
            Ok(r) => {
                first_byte.get_or_insert_with(Instant::now);
                break record("HTTP/3", r.status(), r.headers());
            }
            Err(StreamError::RemoteTerminate { code, .. }) if interim.is_empty() => {
                return Ok(Answer::Reset(code));
            }
            Err(e) if !interim.is_empty() => {
                return Err(format!(
                    "no final response after {} interim response(s): {}",
                    interim.len(),
                    stream_error(&e)
                ));
            }
            Err(e) => return Err(stream_error(&e)),
        }
    };
    let mut body = BodyRead {
        data: Vec::new(),
        bytes: 0,
        error: None,
    };
    loop {
        match stream.recv_data().await {
            Ok(Some(mut chunk)) => {
                let n = chunk.remaining();
                body.bytes += n;
                if (body.data.len() as u64) < MAX_BODY {
                    body.data.extend_from_slice(&chunk.copy_to_bytes(n));
                } else {
                    chunk.advance(n);
                }
            }
            Ok(None) => break,
            Err(e) => {
                body.error = Some(format!("the content broke off: {}", stream_error(&e)));
                break;
            }
        }
    }
    Ok(Answer::Response {
        interim,
        first_byte,
        head: Box::new((head, body)),
    })
}
