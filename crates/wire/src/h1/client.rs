//! The client role: reading responses exactly as they arrive, interim ones
//! included, without repairing anything. The gateway scenario and the
//! checker use it.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::h1::decode::{Decoded, Decoder};
use crate::limits::Limits;

/// One response head as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// The version on the status line, e.g. `HTTP/1.1`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase, exactly.
    pub reason: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, Bytes)>,
    /// The raw bytes of the head.
    pub raw: Bytes,
}

impl ResponseHead {
    /// The first value of a field (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &v[..])
    }

    /// Every value of a field.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &v[..])
    }
}

/// Why a response could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The connection closed (or failed) before a whole response arrived.
    Closed(Option<std::io::Error>),
    /// The bytes are not an HTTP/1.x response.
    Malformed(&'static str),
    /// The response is larger than allowed.
    TooLarge,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Closed(None) => {
                f.write_str("the connection closed before the response was complete")
            }
            ReadError::Closed(Some(e)) => write!(f, "the connection failed: {e}"),
            ReadError::Malformed(why) => write!(f, "malformed response: {why}"),
            ReadError::TooLarge => f.write_str("the response is larger than allowed"),
        }
    }
}

impl std::error::Error for ReadError {}

/// How a response's content is delimited, from its head and the request
/// (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseFraming {
    /// No content: 1xx, 204, 304, or a response to HEAD.
    None,
    /// `Content-Length`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the connection closes.
    Close,
}

/// Reads responses from one connection.
pub struct ResponseReader<R> {
    io: R,
    buf: BytesMut,
    limits: Limits,
    lenient: bool,
}

impl<R: AsyncRead + Unpin> ResponseReader<R> {
    /// A reader over `io`; `limits.max_header_bytes` bounds each head and
    /// `limits.max_body` each body.
    pub fn new(io: R, limits: Limits) -> ResponseReader<R> {
        ResponseReader {
            io,
            buf: BytesMut::with_capacity(8192),
            limits,
            lenient: false,
        }
    }

    /// Also reads heads that break the field-line grammar in ways a
    /// recipient can still make sense of: folded values (obs-fold, kept in
    /// the value as received) and whitespace between a field name and its
    /// colon. A checker reads them to report them; a gateway must not.
    pub fn lenient(mut self) -> ResponseReader<R> {
        self.lenient = true;
        self
    }

    /// The transport.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.io
    }

    /// The transport and the bytes read from it but not yet used (after a
    /// 101, the first bytes of the new protocol).
    pub fn into_parts(self) -> (R, BytesMut) {
        (self.io, self.buf)
    }

    /// Reads more from the transport into the buffer; 0 at the end.
    pub async fn fill(&mut self) -> Result<usize, ReadError> {
        self.buf.reserve(8192);
        self.io
            .read_buf(&mut self.buf)
            .await
            .map_err(|e| ReadError::Closed(Some(e)))
    }

    /// Bytes read but not yet consumed (after a response: stray bytes).
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Takes up to `n` bytes, reading more as needed; returns fewer only
    /// when the connection ends.
    pub async fn take_up_to(&mut self, n: u64) -> Result<Bytes, ReadError> {
        while (self.buf.len() as u64) < n {
            if self.fill().await? == 0 {
                break;
            }
        }
        let k = n.min(self.buf.len() as u64) as usize;
        Ok(self.buf.split_to(k).freeze())
    }

    /// Reads the next response head (interim or final).
    pub async fn head(&mut self) -> Result<ResponseHead, ReadError> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 128];
            let mut res = httparse::Response::new(&mut headers);
            let parsed = if self.lenient {
                httparse::ParserConfig::default()
                    .allow_obsolete_multiline_headers_in_responses(true)
                    .allow_spaces_after_header_name_in_responses(true)
                    .parse_response(&mut res, &self.buf)
            } else {
                res.parse(&self.buf)
            };
            match parsed {
                Ok(httparse::Status::Complete(n)) => {
                    let version = match res.version {
                        Some(0) => "HTTP/1.0",
                        _ => "HTTP/1.1",
                    };
                    let head = ResponseHead {
                        version: version.to_string(),
                        status: res.code.unwrap_or(0),
                        reason: res.reason.unwrap_or("").to_string(),
                        headers: res
                            .headers
                            .iter()
                            .map(|h| (h.name.to_string(), Bytes::copy_from_slice(h.value)))
                            .collect(),
                        raw: Bytes::new(),
                    };
                    let raw = self.buf.split_to(n).freeze();
                    return Ok(ResponseHead { raw, ..head });
                }
                Ok(httparse::Status::Partial) => {
                    if self.buf.len() > self.limits.max_header_bytes {
                        return Err(ReadError::TooLarge);
                    }
                }
                Err(httparse::Error::TooManyHeaders) => return Err(ReadError::TooLarge),
                Err(_) => {
                    return Err(ReadError::Malformed(
                        "not an HTTP/1.x status line and header section",
                    ))
                }
            }
            if self.fill().await? == 0 {
                return Err(ReadError::Closed(None));
            }
        }
    }

    /// Reads a whole body with the given framing.
    pub async fn body(&mut self, framing: ResponseFraming) -> Result<Bytes, ReadError> {
        let mut decoder = match framing {
            ResponseFraming::None => return Ok(Bytes::new()),
            ResponseFraming::Length(n) => {
                if n > self.limits.max_body {
                    return Err(ReadError::TooLarge);
                }
                Decoder::length(n)
            }
            ResponseFraming::Chunked => Decoder::chunked(),
            ResponseFraming::Close => loop {
                if self.buf.len() as u64 > self.limits.max_body {
                    return Err(ReadError::TooLarge);
                }
                if self.fill().await? == 0 {
                    return Ok(self.buf.split().freeze());
                }
            },
        };
        let mut out = BytesMut::new();
        loop {
            match decoder.decode(&mut self.buf, &self.limits) {
                Ok(Decoded::Data(d)) => {
                    if (out.len() + d.len()) as u64 > self.limits.max_body {
                        return Err(ReadError::TooLarge);
                    }
                    out.extend_from_slice(&d);
                }
                Ok(Decoded::End) => return Ok(out.freeze()),
                Ok(Decoded::NeedMore) => {
                    if self.fill().await? == 0 {
                        return Err(ReadError::Closed(None));
                    }
                }
                Err(_) => return Err(ReadError::Malformed("invalid chunked framing")),
            }
        }
    }
}

/// The framing of a response to a request with `method` (RFC 9112 §6.3).
/// An invalid or conflicting length is an error: a client must not guess.
pub fn framing(head: &ResponseHead, head_request: bool) -> Result<ResponseFraming, ReadError> {
    // 1xx, 204 and 304 end at their header section (RFC 9112 §6.3), as the
    // registry says; a 205's content must be empty, but if one comes it is
    // framed like any other.
    if head_request || teapot_codes::content_of(head.status) == teapot_codes::Content::Never {
        return Ok(ResponseFraming::None);
    }
    if head.header("transfer-encoding").is_some() {
        let last = head
            .header_all("transfer-encoding")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(|c| c.trim_ascii())
            .filter(|c| !c.is_empty())
            .last();
        return match last {
            Some(c) if c.eq_ignore_ascii_case(b"chunked") => Ok(ResponseFraming::Chunked),
            _ => Ok(ResponseFraming::Close),
        };
    }
    let mut length: Option<u64> = None;
    for v in head.header_all("content-length") {
        for part in v.split(|&b| b == b',') {
            let t = part.trim_ascii();
            let n = std::str::from_utf8(t)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or(ReadError::Malformed("invalid Content-Length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(ReadError::Malformed("conflicting Content-Length values"));
            }
            length = Some(n);
        }
    }
    Ok(length.map_or(ResponseFraming::Close, ResponseFraming::Length))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(
        bytes: &'static [u8],
        head_request: bool,
    ) -> Result<Vec<(u16, Bytes)>, ReadError> {
        let mut r = ResponseReader::new(bytes, Limits::default());
        let mut out = Vec::new();
        loop {
            let head = r.head().await?;
            let body = r.body(framing(&head, head_request)?).await?;
            let status = head.status;
            out.push((status, body));
            if status >= 200 {
                return Ok(out);
            }
        }
    }

    #[tokio::test]
    async fn reads_interim_then_final() {
        let got = read_all(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)
            .await
            .unwrap();
        assert_eq!(
            got,
            vec![(103, Bytes::new()), (200, Bytes::from_static(b"ok"))]
        );
    }

    #[tokio::test]
    async fn reads_chunked_and_close_delimited() {
        let got = read_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            false,
        )
        .await
        .unwrap();
        assert_eq!(got[0].1, Bytes::from_static(b"ok"));
        let got = read_all(b"HTTP/1.0 200 OK\r\n\r\nuntil close", false)
            .await
            .unwrap();
        assert_eq!(got[0].1, Bytes::from_static(b"until close"));
        let got = read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true)
            .await
            .unwrap();
        assert!(got[0].1.is_empty());
    }

    #[tokio::test]
    async fn refuses_what_it_cannot_trust() {
        assert!(matches!(
            read_all(b"garbage\r\n\r\n", false).await,
            Err(ReadError::Malformed(_))
        ));
        assert!(matches!(
            read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", false).await,
            Err(ReadError::Closed(None))
        ));
        assert!(matches!(
            read_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                false
            )
            .await,
            Err(ReadError::Malformed(_))
        ));
        assert!(matches!(
            read_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                false
            )
            .await,
            Err(ReadError::Malformed(_))
        ));
        assert!(matches!(
            read_all(b"", false).await,
            Err(ReadError::Closed(None))
        ));
    }
}
