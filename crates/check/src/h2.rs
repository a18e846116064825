//! The HTTP/2 side of the client (the `h2` crate): one request on one
//! stream, each interim response (HEADERS without END_STREAM) recorded,
//! then the final response and its DATA.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use h2::Reason;
use teapot_wire::Rewind;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::client::{ms, ms_between, Request, MAX_BODY};
use crate::exchange::{Exchange, Framing, Response, SentRequest, Timing};
use crate::CheckError;

/// How an HTTP/2 exchange ended when it did not end in a response.
pub(crate) enum Outcome {
    /// The exchange, complete or not.
    Done(Box<Exchange>),
    /// The server reset the stream with `HTTP_1_1_REQUIRED`: the request
    /// has to be made again over HTTP/1.1.
    Http11Required,
}

/// Fields HTTP/2 does not carry; the request's own copies are left out
/// (`Host` travels as `:authority`).
fn connection_specific(name: &str) -> bool {
    teapot_wire::message::connection_specific(name) || name.eq_ignore_ascii_case("host")
}

/// The request as sent on HTTP/2: names in lower case, `Host` carried by
/// `:authority`.
pub(crate) fn sent(base: SentRequest) -> SentRequest {
    let headers = base
        .headers
        .into_iter()
        .filter(|(n, _)| !connection_specific(n))
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    SentRequest { headers, ..base }
}

/// A response head received on a stream (HTTP/2 or HTTP/3: no reason
/// phrase, no raw head).
pub(crate) fn record(
    version: &str,
    status: http::StatusCode,
    fields: &http::HeaderMap,
) -> Response {
    Response {
        version: version.into(),
        status: status.as_u16(),
        reason: String::new(),
        headers: fields
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        framing: Framing::None,
        body: Vec::new(),
        body_bytes: 0,
        truncated: false,
        bad_chunking: false,
        raw_head: Vec::new(),
    }
}

/// Runs `work` while the connection is driven; `closed` turns true when
/// the connection ends first.
async fn driven<T, C>(
    connection: &mut std::pin::Pin<&mut C>,
    closed: &mut bool,
    work: impl Future<Output = T>,
) -> T
where
    C: Future<Output = Result<(), h2::Error>>,
{
    tokio::pin!(work);
    if !*closed {
        tokio::select! {
            out = &mut work => return out,
            _ = connection.as_mut() => *closed = true,
        }
    }
    work.await
}

/// Sends `req` on a new HTTP/2 connection over `stream` and records the
/// exchange. `upgraded` carries the 101 of an `Upgrade: h2c` exchange:
/// then the request went out as HTTP/1.1 and its answer is on stream 1.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn talk<S>(
    stream: S,
    req: &Request,
    sent_request: SentRequest,
    timeout: Duration,
    settle_for: Duration,
    started: Instant,
    timing: Timing,
    place: &str,
    upgraded: Option<Response>,
) -> Result<Outcome, CheckError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = h2::client::Builder::new()
        .max_header_list_size(64 * 1024)
        .enable_push(false)
        .handshake::<_, Bytes>(stream);
    let (client, connection) = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| CheckError::Timeout(format!("in the HTTP/2 handshake with {place}")))?
        .map_err(|e| {
            CheckError::Connect(format!("the HTTP/2 handshake with {place} failed: {e}"))
        })?;
    tokio::pin!(connection);
    let mut closed = false;
    let mut ex = Exchange::begun(sent_request, "HTTP/2", timing);
    ex.interim.extend(upgraded);
    let mut request = http::Request::builder()
        .method(req.method.as_str())
        .uri(req.url.as_str());
    // After an h2c upgrade the recorded request is the HTTP/1.1 one; the
    // stream's copy leaves out what HTTP/2 does not carry.
    for (n, v) in &ex.request.headers {
        if !connection_specific(n) && !n.eq_ignore_ascii_case("http2-settings") {
            request = request.header(n.as_str(), v.as_str());
        }
    }
    let request = request
        .body(())
        .map_err(|e| CheckError::Usage(format!("the request cannot be sent on HTTP/2: {e}")))?;
    // A handle kept to the end: with none left, the connection would wind
    // itself down and look closed by the server.
    let _keep = client.clone();
    let end = req.body.is_empty();
    let body = req.body.clone();
    let work = async move {
        let mut ready = client.ready().await.map_err(|e| e.to_string())?;
        let (mut response, mut body_out) = ready
            .send_request(request, end)
            .map_err(|e| e.to_string())?;
        if !end {
            body_out.send_data(body, true).map_err(|e| e.to_string())?;
        }
        read_answer(&mut response).await
    };
    let read = tokio::time::timeout(timeout, driven(&mut connection, &mut closed, work)).await;
    match read {
        Err(_) => {
            ex.incomplete = Some(format!(
                "no complete response within {} ms",
                timeout.as_millis()
            ));
        }
        Ok(Err(e)) if ex.interim.is_empty() => {
            ex.incomplete = Some(format!(
                "no HTTP/2 response ({e}): the server may not speak HTTP/2 on this connection"
            ));
        }
        Ok(Err(e)) => ex.incomplete = Some(e),
        Ok(Ok(Answer::Reset(Reason::HTTP_1_1_REQUIRED))) => return Ok(Outcome::Http11Required),
        Ok(Ok(Answer::Reset(reason))) => {
            ex.incomplete = Some(format!("the server reset the stream ({reason})"));
        }
        Ok(Ok(Answer::Response {
            interim,
            first_byte,
            head,
        })) => {
            if !interim.is_empty() || head.is_some() {
                ex.timing.first_byte_ms = first_byte.map_or(0.0, |t| ms_between(started, t));
            }
            ex.interim.extend(interim);
            if let Some(pair) = head {
                let (mut response, body) = *pair;
                fill(
                    &mut response,
                    body,
                    req.method.eq_ignore_ascii_case("HEAD"),
                    &mut ex.incomplete,
                );
                ex.final_response = Some(response);
            }
        }
    }
    ex.timing.total_ms = ms(started);
    if ex.final_response.is_some() && ex.incomplete.is_none() {
        // The connection stays usable unless the server ends it (GOAWAY,
        // then the close) soon after the response.
        let _ = tokio::time::timeout(
            settle_for,
            driven(&mut connection, &mut closed, std::future::pending::<()>()),
        )
        .await;
        ex.reusable = !closed;
    }
    Ok(Outcome::Done(Box::new(ex)))
}

/// What came back on the stream.
enum Answer {
    Reset(Reason),
    Response {
        interim: Vec<Response>,
        first_byte: Option<Instant>,
        head: Option<Box<(Response, BodyRead)>>,
    },
}

/// The content of the final response as it arrived.
pub(crate) struct BodyRead {
    pub(crate) data: Vec<u8>,
    pub(crate) bytes: usize,
    pub(crate) error: Option<String>,
}

async fn read_answer(response: &mut h2::client::ResponseFuture) -> Result<Answer, String> {
    {
        let mut interim = Vec::new();
        let mut first_byte = None;
        loop {
            match poll_fn(|cx| response.poll_informational(cx)).await {
                Some(Ok(r)) => {
                    first_byte.get_or_insert_with(Instant::now);
                    interim.push(record("HTTP/2", r.status(), r.headers()));
                }
                Some(Err(e)) => return reset_or(e, interim, first_byte),
                None => break,
            }
        }
        let r = match response.await {
            Ok(r) => r,
            Err(e) => return reset_or(e, interim, first_byte),
        };
        first_byte.get_or_insert_with(Instant::now);
        let (parts, mut recv) = r.into_parts();
        let head = record("HTTP/2", parts.status, &parts.headers);
        let mut body = BodyRead {
            data: Vec::new(),
            bytes: 0,
            error: None,
        };
        while let Some(chunk) = recv.data().await {
            match chunk {
                Ok(d) => {
                    let _ = recv.flow_control().release_capacity(d.len());
                    body.bytes += d.len();
                    if (body.data.len() as u64) < MAX_BODY {
                        body.data.extend_from_slice(&d);
                    }
                }
                Err(e) => {
                    body.error = Some(match e.reason() {
                        Some(reason) => {
                            format!("the server reset the stream during the content ({reason})")
                        }
                        None => format!("the content broke off: {e}"),
                    });
                    break;
                }
            }
        }
        Ok(Answer::Response {
            interim,
            first_byte,
            head: Some(Box::new((head, body))),
        })
    }
}

fn reset_or(
    e: h2::Error,
    interim: Vec<Response>,
    first_byte: Option<Instant>,
) -> Result<Answer, String> {
    match e.reason() {
        Some(reason) if e.is_reset() && interim.is_empty() => Ok(Answer::Reset(reason)),
        Some(reason) if e.is_reset() => Err(format!(
            "the server reset the stream after {} interim response(s) ({reason})",
            interim.len()
        )),
        _ if !interim.is_empty() => {
            let _ = first_byte;
            Err(format!("no final response after the interim ones: {e}"))
        }
        _ => Err(e.to_string()),
    }
}

/// Records the content: how it was delimited, and whether it all came.
pub(crate) fn fill(
    response: &mut Response,
    body: BodyRead,
    head_request: bool,
    incomplete: &mut Option<String>,
) {
    let declared = response
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    response.framing = match declared {
        Some(_) => Framing::ContentLength,
        None if body.bytes == 0 && (head_request || matches!(response.status, 204 | 304)) => {
            Framing::None
        }
        None => Framing::Frames,
    };
    response.body_bytes = body.bytes;
    response.body = body.data;
    if let Some(n) = declared {
        if !head_request
            && (body.bytes as u64) < n
            && response.status != 304
            && response.status != 204
        {
            response.truncated = true;
        }
    }
    if let Some(e) = body.error {
        response.truncated = true;
        *incomplete = Some(e);
    }
}

/// The client's SETTINGS, as `HTTP2-Settings` carries them in an upgrade
/// offer: base64url of ENABLE_PUSH = 0 (`00 02 00 00 00 00`) and
/// MAX_HEADER_LIST_SIZE = 65536 (`00 06 00 01 00 00`), as the client's
/// builder sets them.
const SETTINGS: &str = "AAIAAAAAAAYAAQAA";

/// Adds an `Upgrade: h2c` offer to an HTTP/1.1 request (RFC 7540 §3.2).
pub(crate) fn offer_h2c(sent: &mut SentRequest) {
    sent.headers.retain(|(n, _)| {
        !n.eq_ignore_ascii_case("connection") && !n.eq_ignore_ascii_case("upgrade")
    });
    sent.headers
        .push(("Connection".into(), "Upgrade, HTTP2-Settings".into()));
    sent.headers.push(("Upgrade".into(), "h2c".into()));
    sent.headers
        .push(("HTTP2-Settings".into(), SETTINGS.into()));
}

/// A connection after `101` to `h2c`: the request already went out as
/// HTTP/1.1 and its answer comes on stream 1. The `h2` client cannot take
/// over a stream it did not open, so it is given the request to send as
/// usual, and its frames on stream 1 (HEADERS, CONTINUATION, DATA) are
/// dropped on the way out; the server's answer then lands on the stream
/// the client expects. Its HPACK table gains entries the server never
/// saw, which matters to no later request: this connection carries one.
///
/// Nothing is written until the client has opened stream 1: the server
/// answers on stream 1 as soon as it has the client's preface, and a
/// client that has not opened the stream yet would take that answer for a
/// protocol error.
pub(crate) struct Upgraded<S> {
    /// The connection, with the bytes read behind the 101 in front.
    io: Rewind<S>,
    /// Bytes to write, already filtered.
    out: BytesMut,
    preface_left: usize,
    header: [u8; 9],
    header_len: usize,
    payload_left: usize,
    dropping: bool,
    /// Output waits until stream 1's HEADERS went by.
    held: bool,
}

impl<S> Upgraded<S> {
    pub(crate) fn new(io: S, pre: BytesMut) -> Upgraded<S> {
        Upgraded {
            io: Rewind::new(io, pre),
            out: BytesMut::new(),
            preface_left: 24,
            header: [0; 9],
            header_len: 0,
            payload_left: 0,
            dropping: false,
            held: true,
        }
    }

    fn filter(&mut self, mut buf: &[u8]) {
        while !buf.is_empty() {
            if self.preface_left > 0 {
                let n = self.preface_left.min(buf.len());
                self.out.extend_from_slice(&buf[..n]);
                self.preface_left -= n;
                buf = &buf[n..];
            } else if self.payload_left > 0 {
                let n = self.payload_left.min(buf.len());
                if !self.dropping {
                    self.out.extend_from_slice(&buf[..n]);
                }
                self.payload_left -= n;
                buf = &buf[n..];
            } else {
                let n = (9 - self.header_len).min(buf.len());
                self.header[self.header_len..self.header_len + n].copy_from_slice(&buf[..n]);
                self.header_len += n;
                buf = &buf[n..];
                if self.header_len == 9 {
                    let h = self.header;
                    let len =
                        (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
                    let stream = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
                    self.dropping = stream == 1 && matches!(h[3], 0x0 | 0x1 | 0x9);
                    if stream == 1 && h[3] == 0x1 {
                        self.held = false;
                    }
                    if !self.dropping {
                        self.out.extend_from_slice(&h);
                    }
                    self.payload_left = len;
                    self.header_len = 0;
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> Upgraded<S> {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.out.is_empty() && !self.held {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.out))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out.advance(n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Upgraded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Upgraded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.out.len() >= 64 * 1024 && !self.held {
            ready!(self.poll_drain(cx))?;
        }
        self.filter(buf);
        // Write what can go now; the rest goes with the next flush.
        if let Poll::Ready(Err(e)) = self.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
