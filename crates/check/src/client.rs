//! Sends one request and records everything that comes back, using the
//! engine's client role. Nothing is repaired: a broken response is recorded
//! as broken.

use std::time::{Duration, Instant};

use bytes::Bytes;
use teapot_wire::h1::client::{framing, ReadError, ResponseFraming, ResponseHead, ResponseReader};
use teapot_wire::Limits;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use crate::exchange::{Exchange, Framing, Response, SentRequest, Timing};
use crate::h2;
use crate::tls::Alpn;
use crate::CheckError;

/// The most content kept of one response.
pub const MAX_BODY: u64 = 16 * 1024 * 1024;
/// How long to wait, after a response, for bytes that should not be there.
pub const STRAY_WAIT: Duration = Duration::from_millis(150);

/// Which HTTP to speak, chosen as curl's flags choose it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Http {
    /// HTTP/1.1 only (`--http1.1`).
    Http1,
    /// curl's default: HTTP/1.1 on `http://`; on `https://`, ALPN offers
    /// `h2` and `http/1.1` and the server picks.
    #[default]
    Default,
    /// `--http2`: as the default, and on `http://` the request offers
    /// `Upgrade: h2c`.
    Http2,
    /// `--http2-prior-knowledge`: HTTP/2 from the first byte.
    Http2Only,
    /// `--http3-only`: HTTP/3 over QUIC (`https://` only).
    Http3,
}

/// One request to send.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method.
    pub method: String,
    /// The URL (http or https).
    pub url: Url,
    /// Extra header fields (`Host` and `Content-Length` are added unless
    /// given).
    pub headers: Vec<(String, String)>,
    /// The content to send.
    pub body: Bytes,
    /// Accept any TLS certificate (`-k`).
    pub insecure: bool,
    /// Which HTTP to speak.
    pub http: Http,
}

/// Milliseconds from `since` to now, to a hundredth.
pub(crate) fn ms(since: Instant) -> f64 {
    ms_between(since, Instant::now())
}

/// Milliseconds from `since` to `at`, to a hundredth.
pub(crate) fn ms_between(since: Instant, at: Instant) -> f64 {
    let d = at.saturating_duration_since(since);
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// Sends `req` and records the exchange. Fails only when no exchange could
/// be had at all (bad URL, DNS, connect); everything after that is data.
///
/// A server that resets an HTTP/2 stream with `HTTP_1_1_REQUIRED` (or an
/// HTTP/3 stream with `H3_VERSION_FALLBACK`) is asked again over HTTP/1.1
/// on a new connection, as curl does; the exchange's notes say so.
pub async fn exchange(
    req: &Request,
    timeout: Duration,
    settle_for: Duration,
) -> Result<Exchange, CheckError> {
    match connect_and_talk(req, timeout, settle_for).await? {
        h2::Outcome::Done(ex) => Ok(*ex),
        h2::Outcome::Http11Required => {
            let mut again = req.clone();
            again.http = Http::Http1;
            let mut ex = match Box::pin(connect_and_talk(&again, timeout, settle_for)).await? {
                h2::Outcome::Done(ex) => *ex,
                h2::Outcome::Http11Required => unreachable!("HTTP/1.1 has no stream reset"),
            };
            let note = if req.http == Http::Http3 {
                "The server reset the HTTP/3 stream with H3_VERSION_FALLBACK; the request was made again over HTTP/1.1."
            } else {
                "The server reset the HTTP/2 stream with HTTP_1_1_REQUIRED; the request was made again over HTTP/1.1."
            };
            ex.notes.insert(0, note.into());
            Ok(ex)
        }
    }
}

async fn connect_and_talk(
    req: &Request,
    timeout: Duration,
    settle_for: Duration,
) -> Result<h2::Outcome, CheckError> {
    let tls = match req.url.scheme() {
        "http" => false,
        "https" => true,
        other => {
            return Err(CheckError::Usage(format!(
                "{other}: only http and https URLs can be checked"
            )))
        }
    };
    if req.http == Http::Http3 && !tls {
        return Err(CheckError::Usage(format!(
            "{}: HTTP/3 needs an https URL",
            req.url
        )));
    }
    let host = req
        .url
        .host_str()
        .ok_or_else(|| CheckError::Usage(format!("{}: no host", req.url)))?;
    let port = req
        .url
        .port_or_known_default()
        .unwrap_or(if tls { 443 } else { 80 });
    let host_for_connect = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if req.http == Http::Http3 {
        return crate::h3::talk(req, &host_for_connect, port, timeout, settle_for).await;
    }
    let started = Instant::now();
    let stream = tokio::time::timeout(
        timeout,
        TcpStream::connect((host_for_connect.as_str(), port)),
    )
    .await
    .map_err(|_| CheckError::Timeout(format!("connecting to {host}:{port}")))?
    .map_err(|e| CheckError::Connect(format!("{host}:{port}: {e}")))?;
    let _ = stream.set_nodelay(true);
    let connect_ms = ms(started);
    let place = format!("{host}:{port}");
    let timing = Timing {
        connect_ms,
        started_unix_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        ..Timing::default()
    };
    let talk = Talk {
        req,
        timeout,
        settle_for,
        started,
        place: &place,
    };
    if !tls {
        return match req.http {
            Http::Http2Only => talk.h2(stream, timing, None).await,
            Http::Http2 => talk.h2c(stream, timing).await,
            Http::Http1 | Http::Default | Http::Http3 => talk.h1(stream, timing).await.map(done),
        };
    }
    let alpn = match req.http {
        Http::Http1 => Alpn::Http1,
        Http::Default | Http::Http2 => Alpn::Both,
        Http::Http2Only => Alpn::Http2,
        Http::Http3 => Alpn::Http3,
    };
    let connector = tokio_rustls::TlsConnector::from(crate::tls::client_config(req.insecure, alpn));
    let name = crate::tls::server_name(&host_for_connect)?;
    let stream = tokio::time::timeout(timeout, connector.connect(name, stream))
        .await
        .map_err(|_| CheckError::Timeout(format!("in the TLS handshake with {place}")))?
        .map_err(|e| CheckError::Tls(format!("the TLS handshake with {place} failed: {e}")))?;
    let timing = Timing {
        tls_ms: Some(ms(started)),
        ..timing
    };
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    if h2 {
        talk.h2(stream, timing, None).await
    } else if req.http == Http::Http2Only {
        Err(CheckError::Tls(format!(
            "{place} did not agree to HTTP/2 by ALPN"
        )))
    } else {
        talk.h1(stream, timing).await.map(done)
    }
}

fn done(ex: Exchange) -> h2::Outcome {
    h2::Outcome::Done(Box::new(ex))
}

/// One request's settings on its way out.
struct Talk<'a> {
    req: &'a Request,
    timeout: Duration,
    settle_for: Duration,
    started: Instant,
    place: &'a str,
}

impl Talk<'_> {
    async fn h1<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: S,
        timing: Timing,
    ) -> Result<Exchange, CheckError> {
        talk(
            stream,
            self.req,
            build(self.req),
            self.timeout,
            self.settle_for,
            self.started,
            timing,
            self.place,
        )
        .await
        .map(|(ex, _)| ex)
    }

    async fn h2<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: S,
        timing: Timing,
        upgraded: Option<Response>,
    ) -> Result<h2::Outcome, CheckError> {
        h2::talk(
            stream,
            self.req,
            h2::sent(build(self.req)),
            self.timeout,
            self.settle_for,
            self.started,
            timing,
            self.place,
            upgraded,
        )
        .await
    }

    /// HTTP/1.1 with an `Upgrade: h2c` offer; after a 101, HTTP/2.
    async fn h2c(&self, stream: TcpStream, timing: Timing) -> Result<h2::Outcome, CheckError> {
        let mut sent = build(self.req);
        h2::offer_h2c(&mut sent);
        let (ex, reader) = talk(
            stream,
            self.req,
            sent,
            self.timeout,
            self.settle_for,
            self.started,
            timing,
            self.place,
        )
        .await?;
        let switched = ex
            .final_response
            .as_ref()
            .is_some_and(|r| r.status == 101 && r.has_token("upgrade", "h2c"));
        match reader {
            Some(reader) if switched => {
                let (stream, pending) = reader.into_parts();
                let response = ex.final_response.clone();
                let io = h2::Upgraded::new(stream, pending);
                let mut outcome = h2::talk(
                    io,
                    self.req,
                    ex.request.clone(),
                    self.timeout,
                    self.settle_for,
                    self.started,
                    ex.timing,
                    self.place,
                    response,
                )
                .await?;
                if let h2::Outcome::Done(ex) = &mut outcome {
                    ex.notes.push("The server switched to HTTP/2 (101, Upgrade: h2c) and answered on stream 1.".into());
                }
                Ok(outcome)
            }
            _ => Ok(done(ex)),
        }
    }
}

/// Sends the request over an open connection and records the answer.
#[allow(clippy::too_many_arguments)]
async fn talk<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    req: &Request,
    sent: SentRequest,
    timeout: Duration,
    settle_for: Duration,
    started: Instant,
    timing: Timing,
    place: &str,
) -> Result<(Exchange, Option<ResponseReader<S>>), CheckError> {
    let mut wire = format!("{} {} HTTP/1.1\r\n", sent.method, sent.target);
    for (n, v) in &sent.headers {
        wire.push_str(&format!("{n}: {v}\r\n"));
    }
    wire.push_str("\r\n");
    let mut stream = stream;
    stream
        .write_all(wire.as_bytes())
        .await
        .map_err(|e| CheckError::Connect(format!("sending the request: {e}")))?;
    if !req.body.is_empty() {
        stream
            .write_all(&req.body)
            .await
            .map_err(|e| CheckError::Connect(format!("sending the body: {e}")))?;
    }

    let mut ex = Exchange::begun(sent, "HTTP/1.1", timing);
    let limits = Limits {
        max_body: MAX_BODY,
        max_header_bytes: 64 * 1024,
        ..Limits::default()
    };
    // Lenient, so that folded fields and whitespace before a colon are
    // read and reported by their own rules rather than as no response.
    let mut reader = ResponseReader::new(stream, limits).lenient();
    let head_request = req.method.eq_ignore_ascii_case("HEAD");
    let read = tokio::time::timeout(
        timeout,
        read_responses(&mut reader, &mut ex, head_request, started),
    )
    .await;
    match read {
        Err(_) if ex.interim.is_empty() && ex.final_response.is_none() => {
            return Err(CheckError::Timeout(format!(
                "waiting {} ms for a response from {place}",
                timeout.as_millis()
            )));
        }
        Err(_) => {
            ex.incomplete = Some(format!(
                "no complete response within {} ms",
                timeout.as_millis()
            ))
        }
        Ok(Err(e)) => ex.incomplete = Some(e.to_string()),
        Ok(Ok(())) => {}
    }
    ex.timing.total_ms = ms(started);
    let switched = ex.final_response.as_ref().is_some_and(|r| r.status == 101);
    if switched {
        // The connection now speaks another protocol: the caller may go on.
        return Ok((ex, Some(reader)));
    }
    if ex.incomplete.is_none() {
        settle(&mut reader, &mut ex, settle_for).await;
    }
    Ok((ex, None))
}

pub(crate) fn build(req: &Request) -> SentRequest {
    let mut target = req.url.path().to_string();
    if let Some(q) = req.url.query() {
        target.push('?');
        target.push_str(q);
    }
    let mut headers = Vec::new();
    let given = |name: &str| {
        req.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if !given("host") {
        let host = req.url.host_str().unwrap_or("");
        let host = match req.url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        headers.push(("Host".to_string(), host));
    }
    if !given("user-agent") {
        headers.push((
            "User-Agent".to_string(),
            concat!("teapot-check/", env!("CARGO_PKG_VERSION")).to_string(),
        ));
    }
    if !given("accept") {
        headers.push(("Accept".to_string(), "*/*".to_string()));
    }
    headers.extend(req.headers.iter().cloned());
    if !req.body.is_empty() && !given("content-length") && !given("transfer-encoding") {
        headers.push(("Content-Length".to_string(), req.body.len().to_string()));
    }
    SentRequest {
        method: req.method.clone(),
        url: req.url.to_string(),
        target,
        headers,
        body_bytes: req.body.len(),
    }
}

async fn read_responses(
    reader: &mut ResponseReader<impl AsyncRead + Unpin>,
    ex: &mut Exchange,
    head_request: bool,
    started: Instant,
) -> Result<(), ReadError> {
    loop {
        let head = match reader.head().await {
            Ok(h) => h,
            Err(ReadError::Closed(None)) if !ex.interim.is_empty() => {
                ex.incomplete = Some(
                    "the connection closed after an interim response, with no final one".into(),
                );
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if ex.timing.first_byte_ms == 0.0 {
            ex.timing.first_byte_ms = ms(started);
        }
        let interim = head.status < 200 && head.status != 101;
        let mut response = record(&head);
        if head.status == 101 {
            response.framing = Framing::None;
            ex.final_response = Some(response);
            return Ok(());
        }
        if interim {
            // A 1xx ends at its header section whatever it declares.
            ex.interim.push(response);
            continue;
        }
        read_body(reader, &head, &mut response, head_request).await?;
        ex.final_response = Some(response);
        return Ok(());
    }
}

fn record(head: &ResponseHead) -> Response {
    Response {
        version: head.version.clone(),
        status: head.status,
        reason: head.reason.clone(),
        headers: head
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect(),
        framing: Framing::None,
        body: Vec::new(),
        body_bytes: 0,
        truncated: false,
        bad_chunking: false,
        raw_head: head.raw.to_vec(),
    }
}

async fn read_body(
    reader: &mut ResponseReader<impl AsyncRead + Unpin>,
    head: &ResponseHead,
    response: &mut Response,
    head_request: bool,
) -> Result<(), ReadError> {
    let framing = match framing(head, head_request) {
        Ok(f) => f,
        Err(_) => {
            // Untrustworthy length: read what comes until the close.
            response.framing = Framing::Invalid;
            let body = reader.body(ResponseFraming::Close).await?;
            response.body_bytes = body.len();
            response.body = body.to_vec();
            return Ok(());
        }
    };
    match framing {
        ResponseFraming::None => response.framing = Framing::None,
        ResponseFraming::Length(n) => {
            response.framing = Framing::ContentLength;
            let body = reader.take_up_to(n.min(MAX_BODY)).await?;
            response.truncated = (body.len() as u64) < n;
            response.body_bytes = body.len();
            response.body = body.to_vec();
        }
        ResponseFraming::Close => {
            response.framing = Framing::Close;
            let body = reader.body(ResponseFraming::Close).await?;
            response.body_bytes = body.len();
            response.body = body.to_vec();
        }
        ResponseFraming::Chunked => {
            response.framing = Framing::Chunked;
            match reader.body(ResponseFraming::Chunked).await {
                Ok(body) => {
                    response.body_bytes = body.len();
                    response.body = body.to_vec();
                }
                Err(ReadError::Malformed(_)) => response.bad_chunking = true,
                Err(ReadError::Closed(None)) => response.truncated = true,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// After the final response: bytes that still arrive were not part of it
/// (content where none was allowed, or more than `Content-Length` said).
/// The connection is reusable if nothing strays, the server did not close,
/// and neither side asked to close.
async fn settle(
    reader: &mut ResponseReader<impl AsyncRead + Unpin>,
    ex: &mut Exchange,
    wait: Duration,
) {
    let Some(fin) = &ex.final_response else {
        return;
    };
    if fin.status == 101
        || fin.framing == Framing::Close
        || fin.framing == Framing::Invalid
        || fin.truncated
        || fin.bad_chunking
    {
        ex.reusable = false;
        return;
    }
    let mut stray = reader.pending().len();
    let mut closed = false;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, reader.fill()).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(_)) => stray = reader.pending().len(),
            Err(_) => break,
        }
        if stray > 64 * 1024 {
            break;
        }
    }
    ex.stray_bytes = stray;
    let close_asked = fin.has_token("connection", "close")
        || ex
            .request
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
    ex.reusable = stray == 0 && !closed && !close_asked;
}
