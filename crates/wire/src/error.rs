//! Why a request was refused before a handler saw it, and the one place
//! that maps each reason to its status code.

use std::fmt;

/// A request the engine refuses on its own. Each kind maps to one status
/// code in [`RequestError::status`]; the connection is closed after the
/// answer, since the framing of what follows can no longer be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The request line does not match `method SP target SP version CRLF`.
    BadRequestLine,
    /// The version is not `HTTP/` DIGIT `.` DIGIT.
    BadVersion,
    /// A syntactically valid version with a major other than 1.
    UnsupportedVersion,
    /// A method token the server implements for no resource.
    UnknownMethod,
    /// The request-target is not origin-, absolute-, authority- (CONNECT)
    /// or asterisk-form (OPTIONS).
    BadTarget,
    /// The request-target is longer than `max_uri`.
    UriTooLong,
    /// The header section is larger than `max_header_bytes`, or has more
    /// than `max_headers` fields.
    HeadersTooLarge,
    /// A field line is malformed (whitespace before the colon, a bad name,
    /// a control character in a value).
    BadHeader,
    /// A field line starts with whitespace (obs-fold).
    ObsFold,
    /// A line ends with a bare LF or contains a bare CR.
    BareLineEnding,
    /// An HTTP/1.1 request without `Host`.
    MissingHost,
    /// More than one `Host` field.
    DuplicateHost,
    /// A `Host` value that is not a valid authority.
    BadHost,
    /// A `Content-Length` that is not a number, or differing values.
    BadContentLength,
    /// Both `Content-Length` and `Transfer-Encoding`.
    LengthAndTransferEncoding,
    /// `Transfer-Encoding` whose last coding is not `chunked` (or a repeated
    /// or parameterised `chunked`).
    ChunkedNotLast,
    /// A transfer coding the engine does not implement.
    UnsupportedTransferCoding,
    /// `Transfer-Encoding` on an HTTP/1.0 request.
    TransferEncodingOnHttp10,
    /// An `Expect` other than `100-continue`.
    UnknownExpectation,
    /// A body larger than `max_body`.
    BodyTooLarge,
    /// Malformed chunked framing.
    BadChunk,
    /// The client ended its side of the connection before the whole body
    /// (its declared length, or the last chunk) had arrived.
    IncompleteBody,
    /// The request (head or body) did not arrive within `request_timeout`.
    Timeout,
    /// A body was required to carry `Content-Length`.
    LengthRequired,
    /// A connection-specific field (`Connection`, `Keep-Alive`,
    /// `Proxy-Connection`, `Transfer-Encoding`, `Upgrade`, a `TE` other
    /// than `trailers`) in a request on a stream (RFC 9113 §8.2.2, RFC 9114
    /// §4.2).
    ConnectionSpecificField,
    /// A stream's DATA that is not as long as its `Content-Length` (RFC
    /// 9113 §8.1.1, RFC 9114 §4.1.2).
    LengthMismatch,
}

impl RequestError {
    /// The status code the engine answers with.
    pub fn status(self) -> u16 {
        use RequestError::*;
        match self {
            BadRequestLine
            | BadVersion
            | BadTarget
            | BadHeader
            | ObsFold
            | BareLineEnding
            | MissingHost
            | DuplicateHost
            | BadHost
            | BadContentLength
            | LengthAndTransferEncoding
            | ChunkedNotLast
            | TransferEncodingOnHttp10
            | BadChunk
            | IncompleteBody
            | ConnectionSpecificField
            | LengthMismatch => 400,
            Timeout => 408,
            LengthRequired => 411,
            BodyTooLarge => 413,
            UriTooLong => 414,
            UnknownExpectation => 417,
            HeadersTooLarge => 431,
            UnknownMethod | UnsupportedTransferCoding => 501,
            UnsupportedVersion => 505,
        }
    }

    /// A sentence a person can act on, for the problem details `detail`.
    pub fn detail(self) -> &'static str {
        use RequestError::*;
        match self {
            BadRequestLine => "The request line must be `METHOD SP target SP HTTP/x.y` ending in CRLF.",
            BadVersion => "The protocol version must be written HTTP/DIGIT.DIGIT.",
            UnsupportedVersion => "This server speaks HTTP/1.0 and HTTP/1.1 on this connection; HTTP/2 needs prior knowledge or an Upgrade.",
            UnknownMethod => "The method is not implemented by this server for any resource.",
            BadTarget => "The request-target must be an absolute path, an absolute URI, `*` for OPTIONS or host:port for CONNECT.",
            UriTooLong => "The request-target is longer than this server accepts.",
            HeadersTooLarge => "The header section is larger than this server accepts (in bytes or in fields).",
            BadHeader => "A header field line is malformed: no whitespace before the colon, a token as name, no control characters in the value.",
            ObsFold => "Header field values may not be folded over several lines (obs-fold).",
            BareLineEnding => "Lines must end with CRLF; a bare CR or LF is not accepted.",
            MissingHost => "HTTP/1.1 requests must carry exactly one Host header field.",
            DuplicateHost => "The request carries more than one Host header field.",
            BadHost => "The Host header field is not a valid host[:port].",
            BadContentLength => "Content-Length must be one decimal number (repeated values must agree).",
            LengthAndTransferEncoding => "A request may not carry both Content-Length and Transfer-Encoding.",
            ChunkedNotLast => "When Transfer-Encoding is present, chunked must be its last coding, once and without parameters.",
            UnsupportedTransferCoding => "Only the chunked transfer coding is implemented.",
            TransferEncodingOnHttp10 => "HTTP/1.0 requests may not use Transfer-Encoding.",
            UnknownExpectation => "The only expectation this server can meet is Expect: 100-continue.",
            BodyTooLarge => "The request body is larger than this server accepts.",
            BadChunk => "The chunked body is malformed.",
            IncompleteBody => "The connection ended before the whole request body arrived (its Content-Length, or the last chunk).",
            Timeout => "The request was not received in time.",
            LengthRequired => "This resource needs a Content-Length; chunked uploads are not accepted here.",
            ConnectionSpecificField => "HTTP/2 and HTTP/3 requests carry no connection-specific fields: no Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding or Upgrade, and TE only as trailers.",
            LengthMismatch => "The request body is not as long as its Content-Length says.",
        }
    }
}

impl RequestError {
    /// [`detail`](RequestError::detail) with the limit that was passed,
    /// when there is one: what the problem details tell the client.
    pub fn explain(self, limits: &crate::limits::Limits) -> String {
        use RequestError::*;
        let limit = match self {
            UriTooLong => format!("at most {} bytes", limits.max_uri),
            HeadersTooLarge => format!(
                "at most {} bytes in {} fields",
                limits.max_header_bytes, limits.max_headers
            ),
            BodyTooLarge => format!("at most {} bytes", limits.max_body),
            Timeout => format!("within {} ms", limits.request_timeout.as_millis()),
            _ => return self.detail().to_string(),
        };
        let detail = self.detail();
        format!("{} ({limit})", detail.trim_end_matches('.')) + "."
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail())
    }
}

impl std::error::Error for RequestError {}

/// A header field that may not be written: the name is not a token, or the
/// value holds CR, LF, NUL or another control character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidField {
    pub(crate) name: String,
}

impl fmt::Display for InvalidField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid header field {:?}", self.name)
    }
}

impl std::error::Error for InvalidField {}

/// Why reading the request body failed.
#[derive(Debug)]
pub enum BodyError {
    /// The body broke a rule; the engine will answer with its status.
    Request(RequestError),
    /// The connection failed or closed before the body was complete.
    Io(std::io::Error),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Request(e) => fmt::Display::fmt(e, f),
            BodyError::Io(e) => write!(f, "reading the request body: {e}"),
        }
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BodyError::Request(e) => Some(e),
            BodyError::Io(e) => Some(e),
        }
    }
}

impl BodyError {
    /// The status the engine answers with when the handler gives up on a
    /// body error, if one can still be sent.
    pub fn status(&self) -> Option<u16> {
        match self {
            BodyError::Request(e) => Some(e.status()),
            BodyError::Io(_) => None,
        }
    }
}
