//! An exchange as it happened on the wire: what was sent, every response
//! that came back (interim ones included), how the content was framed, how
//! long each part took, and whether the connection could be used again.

use serde::Serialize;

/// What the checker sent.
#[derive(Clone, Debug, Serialize)]
pub struct SentRequest {
    /// The method.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// The request-target on the request line.
    pub target: String,
    /// Header fields as sent, in order.
    pub headers: Vec<(String, String)>,
    /// Bytes of content sent.
    pub body_bytes: usize,
}

impl SentRequest {
    /// The first value of a field, case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request offered a protocol upgrade.
    pub fn offered_upgrade(&self) -> bool {
        self.header("upgrade").is_some()
    }

    /// Whether the request was conditional.
    pub fn conditional(&self) -> bool {
        [
            "if-match",
            "if-none-match",
            "if-modified-since",
            "if-unmodified-since",
            "if-range",
        ]
        .iter()
        .any(|h| self.header(h).is_some())
    }
}

/// How a response's content was delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framing {
    /// Ended at the header section (1xx, 204, 304, HEAD).
    None,
    /// `Content-Length`.
    ContentLength,
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the connection closed.
    Close,
    /// HTTP/2 DATA frames up to the end of the stream, no `Content-Length`.
    Frames,
    /// The framing fields could not be trusted (conflicting or invalid).
    Invalid,
}

/// One response, interim or final.
#[derive(Clone, Debug, Serialize)]
pub struct Response {
    /// The version on the status line.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase, exactly as sent.
    pub reason: String,
    /// Header fields in order, values as text (invalid UTF-8 replaced).
    pub headers: Vec<(String, String)>,
    /// How the content was framed.
    pub framing: Framing,
    /// The content as received (after chunked decoding), up to the limit.
    #[serde(skip)]
    pub body: Vec<u8>,
    /// Bytes of content received.
    pub body_bytes: usize,
    /// Whether the content ended before its declared length.
    pub truncated: bool,
    /// Whether the chunked framing was broken.
    pub bad_chunking: bool,
    /// The head's bytes as received (HTTP/1.x only; empty over HTTP/2,
    /// whose fields arrive as HPACK).
    #[serde(skip)]
    pub raw_head: Vec<u8>,
}

impl Response {
    /// The first value of a field, case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a field.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether a comma-separated field lists `token` (case-insensitive).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers_named(name)
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// Timings, in milliseconds from the start of the exchange.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Timing {
    /// TCP connected.
    pub connect_ms: f64,
    /// TLS handshake done (https only).
    pub tls_ms: Option<f64>,
    /// First byte of the first response.
    pub first_byte_ms: f64,
    /// The final response complete.
    pub total_ms: f64,
    /// The wall-clock time the connection was made, in milliseconds since
    /// the Unix epoch (to compare with the server's `Date`).
    pub started_unix_ms: u64,
}

/// The exchange.
#[derive(Clone, Debug, Serialize)]
pub struct Exchange {
    /// What was sent.
    pub request: SentRequest,
    /// The protocol of the answer: `HTTP/1.1` or `HTTP/2`.
    pub protocol: String,
    /// What happened to the protocol on the way: an `h2c` upgrade, a retry
    /// over HTTP/1.1 that the server asked for.
    pub notes: Vec<String>,
    /// Interim (1xx) responses, in order.
    pub interim: Vec<Response>,
    /// The final response, if one arrived.
    #[serde(rename = "final")]
    pub final_response: Option<Response>,
    /// Why no (complete) final response arrived, if so.
    pub incomplete: Option<String>,
    /// Bytes that arrived after the end of the final response.
    pub stray_bytes: usize,
    /// Whether the connection could carry another request afterwards.
    pub reusable: bool,
    /// Timings.
    pub timing: Timing,
}

impl Exchange {
    /// An exchange that has sent `request` over `protocol` and has had
    /// nothing back yet.
    pub(crate) fn begun(request: SentRequest, protocol: &str, timing: Timing) -> Exchange {
        Exchange {
            request,
            protocol: protocol.into(),
            notes: Vec::new(),
            interim: Vec::new(),
            final_response: None,
            incomplete: None,
            stray_bytes: 0,
            reusable: false,
            timing,
        }
    }
}
