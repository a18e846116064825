//! The request as both protocols deliver it ([`Request`], [`Method`],
//! [`Version`], [`BodyKind`]), and reading a request head from bytes: the
//! request line by hand (so that `HTTP/2.0` can get 505 and `HTTP/1.2` be
//! read as 1.1), the field lines with `httparse`, then the framing rules of
//! RFC 9112 §6 and the Host rules of §3.2. No I/O: the HTTP/1 driver feeds
//! it the read buffer, and the HTTP/2 driver a head written from a stream's
//! fields, so that both protocols' requests meet the same rules.

use std::cell::Cell;
use std::fmt;

use bytes::{Bytes, BytesMut};
use bytestring::ByteString;

use crate::error::RequestError;
use crate::limits::Limits;
use crate::spare;

/// The most field lines parsed from one head, whatever `max_headers` says.
pub const HEADER_CAP: usize = 128;
/// Field lines parsed on the first try (most requests carry fewer).
const SMALL_HEADERS: usize = 24;

/// The methods the engine implements. Any other token gets 501.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// CONNECT
    Connect,
    /// OPTIONS
    Options,
    /// TRACE
    Trace,
    /// PATCH
    Patch,
    /// QUERY
    Query,
    /// PROPFIND (WebDAV)
    Propfind,
    /// PROPPATCH (WebDAV)
    Proppatch,
    /// MKCOL (WebDAV)
    Mkcol,
    /// COPY (WebDAV)
    Copy,
    /// MOVE (WebDAV)
    Move,
    /// LOCK (WebDAV)
    Lock,
    /// UNLOCK (WebDAV)
    Unlock,
    /// SEARCH (WebDAV)
    Search,
    /// REPORT (WebDAV)
    Report,
    /// BIND (WebDAV bindings)
    Bind,
    /// UNBIND (WebDAV bindings)
    Unbind,
    /// REBIND (WebDAV bindings)
    Rebind,
}

impl Method {
    /// Every method, in the order above.
    pub const ALL: [Method; 22] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Connect,
        Method::Options,
        Method::Trace,
        Method::Patch,
        Method::Query,
        Method::Propfind,
        Method::Proppatch,
        Method::Mkcol,
        Method::Copy,
        Method::Move,
        Method::Lock,
        Method::Unlock,
        Method::Search,
        Method::Report,
        Method::Bind,
        Method::Unbind,
        Method::Rebind,
    ];

    /// The method token.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
            Method::Query => "QUERY",
            Method::Propfind => "PROPFIND",
            Method::Proppatch => "PROPPATCH",
            Method::Mkcol => "MKCOL",
            Method::Copy => "COPY",
            Method::Move => "MOVE",
            Method::Lock => "LOCK",
            Method::Unlock => "UNLOCK",
            Method::Search => "SEARCH",
            Method::Report => "REPORT",
            Method::Bind => "BIND",
            Method::Unbind => "UNBIND",
            Method::Rebind => "REBIND",
        }
    }

    /// The method for a token (case-sensitive, as RFC 9110 §9.1 says).
    pub fn from_token(token: &[u8]) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().as_bytes() == token)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request's HTTP version. `HTTP/1.2` and later minors read as 1.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// HTTP/1.0
    Http10,
    /// HTTP/1.1 (or a later 1.x)
    Http11,
    /// HTTP/2 (a request that arrived on an HTTP/2 stream)
    Http2,
    /// HTTP/3 (a request that arrived on a QUIC stream)
    Http3,
}

impl Version {
    /// As written on a status line or request line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
            Version::Http2 => "HTTP/2",
            Version::Http3 => "HTTP/3",
        }
    }

    /// Whether requests share the connection as streams (HTTP/2 and
    /// HTTP/3): no connection fields, no 101, no chunked coding.
    pub const fn is_multiplexed(self) -> bool {
        matches!(self, Version::Http2 | Version::Http3)
    }
}

/// How the request's body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// Neither Content-Length nor Transfer-Encoding: no body.
    Empty,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn get<'a>(&self, raw: &'a [u8]) -> &'a [u8] {
        &raw[self.start as usize..self.end as usize]
    }
}

/// A parsed request head. The bytes are kept as received; names and values
/// are views into them.
#[derive(Clone)]
pub struct Request {
    raw: Bytes,
    method: Method,
    /// The request-target, read as text once (it was checked to be visible
    /// ASCII): the path, query and target are then views of it.
    target: ByteString,
    /// Where in the target the path is (found once, when parsed); empty
    /// for an absolute-form target without one.
    path: Span,
    version: Version,
    fields: Vec<(Span, Span)>,
    body: BodyKind,
    keep_alive: bool,
    expect_continue: bool,
    upgrade: bool,
}

thread_local! {
    /// The field list kept for the next request head parsed on the thread
    /// (see `spare`); one with room for more than `SMALL_HEADERS` is freed.
    static SPARE_FIELDS: Cell<Vec<(Span, Span)>> = const { Cell::new(Vec::new()) };
}

impl Drop for Request {
    fn drop(&mut self) {
        spare::give_back(&SPARE_FIELDS, &mut self.fields, SMALL_HEADERS);
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("target", &self.target())
            .field("version", &self.version)
            .field("body", &self.body)
            .field("keep_alive", &self.keep_alive)
            .field("fields", &self.fields.len())
            .finish()
    }
}

impl Request {
    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The request-target as sent.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The path: the target without query, and without scheme and
    /// authority for an absolute-form target. `*` and authority-form
    /// targets are returned as they are.
    pub fn path(&self) -> &str {
        if self.path.start == self.path.end {
            // An absolute-form target with no path: the root.
            return "/";
        }
        &self.target[self.path.start as usize..self.path.end as usize]
    }

    /// [`Request::path`] as text that shares the request's own bytes (no
    /// copy).
    pub fn path_text(&self) -> ByteString {
        if self.path.start == self.path.end {
            return ByteString::from_static("/");
        }
        self.target.slice_ref(self.path())
    }

    /// The query, without the `?`.
    pub fn query(&self) -> Option<&str> {
        let at = memchr(b'?', self.target.as_bytes())?;
        Some(&self.target[at + 1..])
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// How the body is delimited.
    pub fn body_kind(&self) -> BodyKind {
        self.body
    }

    /// Whether the client wants the connection kept after this exchange.
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Whether the client sent `Expect: 100-continue` on HTTP/1.1.
    pub fn expects_continue(&self) -> bool {
        self.expect_continue
    }

    /// Whether the request asks for a protocol switch: HTTP/1.1, an
    /// `Upgrade` field, and `upgrade` listed in `Connection`.
    pub fn wants_upgrade(&self) -> bool {
        self.upgrade
    }

    /// Every field line, in order, as (name, value).
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.fields.iter().map(|(n, v)| {
            // Invariant: httparse only accepts token characters in names.
            let name = std::str::from_utf8(n.get(&self.raw)).unwrap_or("");
            (name, v.get(&self.raw))
        })
    }

    /// The values of every field with this name (case-insensitive).
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.values_if(true, name)
    }

    /// [`Request::header_all`] when `present` (a field by that name was
    /// seen), and nothing without a search when not.
    fn values_if<'a>(
        &'a self,
        present: bool,
        name: &'a str,
    ) -> impl Iterator<Item = &'a [u8]> + 'a {
        let fields = if present { &self.fields[..] } else { &[] };
        fields
            .iter()
            .filter(move |(n, _)| n.get(&self.raw).eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.get(&self.raw))
    }

    /// The first value of a field, if present.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(n, _)| n.get(&self.raw).eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.get(&self.raw))
    }

    /// The first value of a field, if present and valid UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Whether a comma-separated field lists `token` (case-insensitive).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        lists(self.header_all(name), token)
    }

    /// The raw head, exactly as received (for HTTP/2, the head the stream's
    /// fields were written into before parsing).
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// Marks a head read from an HTTP/2 or HTTP/3 stream: no connection
    /// semantics (keep-alive, upgrade) apply to it. `has_body` tells
    /// whether DATA frames may follow the stream's HEADERS.
    pub(crate) fn into_multiplexed(mut self, version: Version, has_body: bool) -> Request {
        self.version = version;
        self.keep_alive = true;
        self.upgrade = false;
        self.expect_continue = has_body && self.has_token("expect", "100-continue");
        self
    }
}

/// Fields that belong to one HTTP/1.1 connection and are never sent on
/// HTTP/2 (RFC 9113 §8.2.2; `TE` is allowed there only as `trailers`).
pub fn connection_specific(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "te",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

/// Parses one request head from the front of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, and on success removes the
/// head from `buf`, leaving the body and any pipelined requests behind it.
pub fn parse_request(buf: &mut BytesMut, limits: &Limits) -> Result<Option<Request>, RequestError> {
    // RFC 9112 §2.2: ignore empty lines before the request line.
    let mut skip = 0;
    while buf.len() >= skip + 2 && &buf[skip..skip + 2] == b"\r\n" {
        skip += 2;
    }
    if skip > 0 {
        let _ = buf.split_to(skip);
    }
    // Only the first `max_line` bytes can hold the request line; looking no
    // further makes the outcome the same however the bytes arrived.
    let max_line = limits.max_uri + 32;
    let Some(lf) = memchr(b'\n', &buf[..buf.len().min(max_line + 1)]) else {
        if buf.len() > max_line {
            return Err(request_line_overflow(buf));
        }
        return Ok(None);
    };
    let line = &buf[..lf];
    let Some(line) = line.strip_suffix(b"\r") else {
        return Err(RequestError::BareLineEnding);
    };
    let (method, target, version) = split_request_line(line)?;
    if target.len() > limits.max_uri {
        return Err(RequestError::UriTooLong);
    }
    let version = parse_version(version)?;
    let method = match Method::from_token(method) {
        Some(m) => m,
        None => return Err(RequestError::UnknownMethod),
    };
    check_target(method, target)?;

    let fields_at = lf + 1;
    // Most requests carry few fields: parse into a small array first, and
    // only when it overflows into one as large as `max_headers`.
    let mut small = [httparse::EMPTY_HEADER; SMALL_HEADERS];
    let mut large: Vec<httparse::Header<'_>> = Vec::new();
    let max = limits.max_headers.min(HEADER_CAP);
    // Likewise the header section is read only within its limit (plus the
    // blank line that ends it).
    let section = &buf[fields_at..buf.len().min(fields_at + limits.max_header_bytes + 2)];
    // Only the length is kept of a parse: the fields are read back from the
    // array afterwards.
    let length = |r: httparse::Result<(usize, &[httparse::Header<'_>])>| {
        r.map(|st| match st {
            httparse::Status::Complete((n, _)) => httparse::Status::Complete(n),
            httparse::Status::Partial => httparse::Status::Partial,
        })
    };
    let mut parsed = length(httparse::parse_headers(
        section,
        &mut small[..max.min(SMALL_HEADERS)],
    ));
    if matches!(parsed, Err(httparse::Error::TooManyHeaders)) && max > SMALL_HEADERS {
        large = vec![httparse::EMPTY_HEADER; max];
        parsed = length(httparse::parse_headers(section, &mut large));
    }
    let headers: &[httparse::Header<'_>] = if large.is_empty() { &small } else { &large };
    // Bare CR or LF anywhere in what we have of the header section is an
    // error whether or not the head is complete yet.
    let header_len = match parsed {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            check_line_endings(section)?;
            if section.len() > limits.max_header_bytes {
                return Err(RequestError::HeadersTooLarge);
            }
            return Ok(None);
        }
        Err(httparse::Error::TooManyHeaders) => return Err(RequestError::HeadersTooLarge),
        Err(_) => {
            check_line_endings(section)?;
            return Err(if has_obs_fold(section) {
                RequestError::ObsFold
            } else {
                RequestError::BadHeader
            });
        }
    };
    check_line_endings(&section[..header_len])?;
    if header_len > limits.max_header_bytes {
        return Err(RequestError::HeadersTooLarge);
    }
    let count = headers.iter().take_while(|h| !h.name.is_empty()).count();

    // Offsets are taken against the buffer before it is split, so they stay
    // true for the frozen head whatever `freeze` does with the allocation.
    let base = buf.as_ptr() as usize;
    let span = |part: &[u8]| {
        let start = part.as_ptr() as usize - base;
        Span {
            start: start as u32,
            end: (start + part.len()) as u32,
        }
    };
    let mut fields = spare::take(&SPARE_FIELDS, 0);
    fields.extend(
        headers[..count]
            .iter()
            .map(|h| (span(h.name.as_bytes()), span(h.value))),
    );
    let target_at = method.as_str().len() + 1;
    let target_end = target_at + target.len();
    let path = path_within(target).map_or(Span { start: 0, end: 0 }, |(from, to)| Span {
        start: from as u32,
        end: to as u32,
    });
    let raw = buf.split_to(fields_at + header_len).freeze();
    // Checked to be visible ASCII by `split_request_line`.
    let target = ByteString::try_from(raw.slice(target_at..target_end))
        .map_err(|_| RequestError::BadTarget)?;
    let mut req = Request {
        raw,
        method,
        target,
        path,
        version,
        fields,
        body: BodyKind::Empty,
        keep_alive: false,
        expect_continue: false,
        upgrade: false,
    };
    apply_semantics(&mut req, limits)?;
    Ok(Some(req))
}

/// A request line with no end in sight: 414 if it is the target that is
/// long, 400 if the line is not even a request line.
fn request_line_overflow(buf: &[u8]) -> RequestError {
    let method_end = buf.iter().position(|&b| b == b' ');
    match method_end {
        Some(m) if m > 0 && buf[..m].iter().all(|&b| is_tchar(b)) => RequestError::UriTooLong,
        _ => RequestError::BadRequestLine,
    }
}

/// The three parts of a request line: method, target, version.
type LineParts<'a> = (&'a [u8], &'a [u8], &'a [u8]);

fn split_request_line(line: &[u8]) -> Result<LineParts<'_>, RequestError> {
    let mut parts = line.splitn(3, |&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().ok_or(RequestError::BadRequestLine)?;
    let version = parts.next().ok_or(RequestError::BadRequestLine)?;
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(RequestError::BadRequestLine);
    }
    if target.is_empty() || version.contains(&b' ') {
        return Err(RequestError::BadRequestLine);
    }
    if line.contains(&b'\r') {
        return Err(RequestError::BareLineEnding);
    }
    if !target.iter().all(|&b| (0x21..0x7f).contains(&b)) {
        return Err(RequestError::BadTarget);
    }
    Ok((method, target, version))
}

fn parse_version(v: &[u8]) -> Result<Version, RequestError> {
    match v {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            match (major, minor) {
                (b'1', b'0') => Ok(Version::Http10),
                (b'1', _) => Ok(Version::Http11),
                _ => Err(RequestError::UnsupportedVersion),
            }
        }
        _ => Err(RequestError::BadVersion),
    }
}

/// Where the path is in a request-target: all of it up to the query, or
/// for an absolute-form target what follows the authority (`None` when
/// nothing does: the path is then `/`).
fn path_within(target: &[u8]) -> Option<(usize, usize)> {
    let from = if target.first() == Some(&b'/') {
        0
    } else {
        match target.windows(3).position(|w| w == b"://") {
            // The authority ends at the first '/' or '?'.
            Some(i) => match target[i + 3..].iter().position(|&b| b == b'/' || b == b'?') {
                Some(k) if target[i + 3 + k] == b'/' => i + 3 + k,
                _ => return None,
            },
            None => 0,
        }
    };
    let to = memchr(b'?', &target[from..]).map_or(target.len(), |k| from + k);
    Some((from, to))
}

fn check_target(method: Method, target: &[u8]) -> Result<(), RequestError> {
    if target.contains(&b'#') {
        return Err(RequestError::BadTarget);
    }
    let ok = match target {
        [b'/', ..] => method != Method::Connect,
        b"*" => method == Method::Options,
        _ if method == Method::Connect => is_authority(target) && !target.is_empty(),
        _ => {
            let lower: Vec<u8> = target.iter().take(8).map(u8::to_ascii_lowercase).collect();
            (lower.starts_with(b"http://") || lower.starts_with(b"https://"))
                && target.len() > if lower.starts_with(b"https") { 8 } else { 7 }
        }
    };
    if ok {
        Ok(())
    } else {
        Err(RequestError::BadTarget)
    }
}

fn check_line_endings(section: &[u8]) -> Result<(), RequestError> {
    // A CR must have an LF after it (unless it is the last byte so far),
    // and an LF a CR before it: at each pair of neighbours, "this is LF"
    // and "the one before is CR" are both true or both false. Without an
    // early exit the loop runs many bytes a step.
    let first_lf = section.first() == Some(&b'\n');
    let unpaired = section
        .iter()
        .zip(section.iter().skip(1))
        .fold(false, |bad, (&before, &b)| {
            bad | ((b == b'\n') != (before == b'\r'))
        });
    if first_lf || unpaired {
        return Err(RequestError::BareLineEnding);
    }
    Ok(())
}

fn has_obs_fold(section: &[u8]) -> bool {
    section
        .split(|&b| b == b'\n')
        .skip(1)
        .any(|line| matches!(line.first(), Some(b' ' | b'\t')))
        || matches!(section.first(), Some(b' ' | b'\t'))
}

/// Which of the fields that carry the message's semantics a head has:
/// found in one pass over its fields, so that a head without them (most
/// heads have Host and little else) is not searched once per field name.
#[derive(Default)]
struct Present<'a> {
    /// The first Host value, and how many Host fields came.
    host: Option<&'a [u8]>,
    hosts: usize,
    content_length: bool,
    transfer_encoding: bool,
    expect: bool,
    connection: bool,
    upgrade: bool,
}

impl<'a> Present<'a> {
    fn of(req: &'a Request) -> Present<'a> {
        let mut present = Present::default();
        for (n, v) in &req.fields {
            let name = n.get(&req.raw);
            // The length first: most names are none of these.
            // Each arm has matched the length already.
            let is = |wanted: &str| name.eq_ignore_ascii_case(wanted.as_bytes());
            match name.len() {
                4 if is("host") => {
                    present.hosts += 1;
                    if present.host.is_none() {
                        present.host = Some(v.get(&req.raw));
                    }
                }
                14 if is("content-length") => present.content_length = true,
                17 if is("transfer-encoding") => present.transfer_encoding = true,
                6 if is("expect") => present.expect = true,
                10 if is("connection") => present.connection = true,
                7 if is("upgrade") => present.upgrade = true,
                _ => {}
            }
        }
        present
    }
}

fn apply_semantics(req: &mut Request, limits: &Limits) -> Result<(), RequestError> {
    let present = Present::of(req);
    // Host (RFC 9112 §3.2).
    if present.hosts > 1 {
        return Err(RequestError::DuplicateHost);
    }
    match present.host {
        None if req.version == Version::Http11 => return Err(RequestError::MissingHost),
        Some(h) if !is_authority(h) => return Err(RequestError::BadHost),
        _ => {}
    }
    let Present {
        content_length,
        transfer_encoding,
        expect,
        connection,
        upgrade,
        ..
    } = present;

    // Framing (RFC 9112 §6.3).
    let mut length: Option<u64> = None;
    for value in req.values_if(content_length, "content-length") {
        for part in value.split(|&b| b == b',') {
            let n = parse_length(trim(part)).ok_or(RequestError::BadContentLength)?;
            match length {
                Some(prev) if prev != n => return Err(RequestError::BadContentLength),
                _ => length = Some(n),
            }
        }
    }
    let mut te_seen = false;
    let mut codings: Vec<&[u8]> = Vec::new();
    for value in req.values_if(transfer_encoding, "transfer-encoding") {
        te_seen = true;
        for part in value.split(|&b| b == b',') {
            let c = trim(part);
            if !c.is_empty() {
                codings.push(c);
            }
        }
    }
    let body = body_kind(req, length, te_seen, &codings)?;
    drop(codings);
    if let BodyKind::Length(n) = body {
        if n > limits.max_body {
            return Err(RequestError::BodyTooLarge);
        }
    }
    req.body = body;
    // Expect (RFC 9110 §10.1.1).
    let mut expect_continue = false;
    for value in req.values_if(expect, "expect") {
        for part in value.split(|&b| b == b',') {
            let e = trim(part);
            if e.eq_ignore_ascii_case(b"100-continue") {
                expect_continue = true;
            } else if !e.is_empty() {
                return Err(RequestError::UnknownExpectation);
            }
        }
    }
    req.expect_continue =
        expect_continue && req.version == Version::Http11 && body != BodyKind::Empty;

    // Persistence (RFC 9112 §9.3) and upgrades (RFC 9110 §7.8).
    let listed = |token: &str| lists(req.values_if(connection, "connection"), token);
    let keep_alive = match req.version {
        Version::Http11 => !listed("close"),
        Version::Http10 => listed("keep-alive") && !listed("close"),
        Version::Http2 | Version::Http3 => true,
    };
    let switch = req.version == Version::Http11 && upgrade && listed("upgrade");
    req.keep_alive = keep_alive;
    req.upgrade = switch;
    Ok(())
}

fn body_kind(
    req: &Request,
    length: Option<u64>,
    te_seen: bool,
    codings: &[&[u8]],
) -> Result<BodyKind, RequestError> {
    Ok(if te_seen {
        if req.version == Version::Http10 {
            return Err(RequestError::TransferEncodingOnHttp10);
        }
        if length.is_some() {
            return Err(RequestError::LengthAndTransferEncoding);
        }
        let chunked = |c: &[u8]| c.eq_ignore_ascii_case(b"chunked");
        match codings.split_last() {
            Some((last, rest)) if chunked(last) => {
                if rest
                    .iter()
                    .any(|c| chunked(c) || c.to_ascii_lowercase().starts_with(b"chunked"))
                {
                    return Err(RequestError::ChunkedNotLast);
                }
                if !rest.is_empty() {
                    return Err(RequestError::UnsupportedTransferCoding);
                }
                BodyKind::Chunked
            }
            _ => return Err(RequestError::ChunkedNotLast),
        }
    } else {
        match length {
            Some(0) | None => BodyKind::Empty,
            Some(n) => BodyKind::Length(n),
        }
    })
}

/// `1*DIGIT`, without overflow.
fn parse_length(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// `uri-host [ ":" port ]`, or empty (RFC 9112 §3.2 allows an empty Host).
fn is_authority(h: &[u8]) -> bool {
    if h.is_empty() {
        return true;
    }
    let (host, port) = if h[0] == b'[' {
        let Some(close) = h.iter().position(|&b| b == b']') else {
            return false;
        };
        let inner = &h[1..close];
        if inner.is_empty()
            || !inner
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return false;
        }
        (&h[..=close], &h[close + 1..])
    } else {
        // A reg-name (or IPv4 address) runs up to the first byte that
        // cannot be in one: the port's ':' or the end.
        let end = h
            .iter()
            .position(|&b| !REG_NAME[usize::from(b)])
            .unwrap_or(h.len());
        if end == 0 {
            return false;
        }
        (&h[..end], &h[end..])
    };
    let port_ok = match port {
        [] => true,
        [b':', digits @ ..] => digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    debug_assert!(!host.is_empty());
    port_ok
}

/// Whether comma-separated field values list `token` (case-insensitive).
fn lists<'a>(values: impl Iterator<Item = &'a [u8]>, token: &str) -> bool {
    values
        .flat_map(|v| v.split(|&b| b == b','))
        .any(|t| trim(t).eq_ignore_ascii_case(token.as_bytes()))
}

/// Without the optional whitespace (spaces and tabs) at either end.
pub(crate) fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |e| e + 1);
    &s[start..end]
}

/// RFC 9110 §5.6.2 `tchar`.
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// A 256-entry table from a set of extra bytes plus ASCII alphanumerics.
const fn table(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

pub(crate) const TCHAR: [bool; 256] = table(b"!#$%&'*+-.^_`|~");
/// `reg-name` characters (unreserved, pct-encoded, sub-delims).
const REG_NAME: [bool; 256] = table(b"-._~%!$&'()*+,;=");

/// A byte search for the short spans of a request head (a request line,
/// a target), where a plain loop beats a vectorised search's set-up.
fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Option<Request>, RequestError> {
        let mut buf = BytesMut::from(bytes);
        parse_request(&mut buf, &Limits::default())
    }

    fn ok(bytes: &[u8]) -> Request {
        parse(bytes).unwrap().expect("complete")
    }

    fn err(bytes: &[u8]) -> RequestError {
        parse(bytes).expect_err("refused")
    }

    /// The field list of a request gone serves the next head parsed on
    /// the thread (the same allocation, with the room it had), and holds
    /// only the new head's fields; a list too long to keep is let go.
    #[test]
    fn a_thread_reuses_the_field_list_of_the_request_before() {
        let nine: String = (0..9).map(|i| format!("X-{i}: v\r\n")).collect();
        let first = ok(format!("GET / HTTP/1.1\r\nHost: a\r\n{nine}\r\n").as_bytes());
        let (list, room) = (first.fields.as_ptr(), first.fields.capacity());
        assert!(room >= 10);
        drop(first);
        let second = ok(b"GET /x HTTP/1.1\r\nHost: b\r\n\r\n");
        assert_eq!(second.fields.as_ptr(), list);
        assert_eq!(second.fields.capacity(), room);
        assert_eq!(second.headers().collect::<Vec<_>>(), [("Host", &b"b"[..])]);
        drop(second);

        let many: String = (0..SMALL_HEADERS + 1)
            .map(|i| format!("X-{i}: v\r\n"))
            .collect();
        let long = ok(format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n").as_bytes());
        assert!(long.fields.capacity() > SMALL_HEADERS);
        drop(long);
        let after = ok(b"GET / HTTP/1.1\r\nHost: c\r\n\r\n");
        assert!(after.fields.capacity() <= SMALL_HEADERS);
    }

    #[test]
    fn simple_get() {
        let r = ok(b"GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nX-One: 1\r\n\r\n");
        assert_eq!(r.method(), Method::Get);
        assert_eq!(r.target(), "/a/b?x=1");
        assert_eq!(r.path(), "/a/b");
        assert_eq!(r.query(), Some("x=1"));
        assert_eq!(r.version(), Version::Http11);
        assert_eq!(r.header("x-one"), Some(&b"1"[..]));
        assert_eq!(r.header_str("HOST"), Some("example.com"));
        assert!(r.keep_alive());
        assert_eq!(r.body_kind(), BodyKind::Empty);
    }

    #[test]
    fn leaves_pipelined_bytes() {
        let mut buf = BytesMut::from(&b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n"[..]);
        let r = parse_request(&mut buf, &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(r.target(), "/");
        assert_eq!(&buf[..], b"GET /2 HTTP/1.1\r\n");
    }

    #[test]
    fn partial_at_every_split() {
        let full =
            b"POST /up HTTP/1.1\r\nHost: a:80\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
        for i in 0..full.len() {
            assert!(parse(&full[..i]).unwrap().is_none(), "split at {i}");
        }
        let r = ok(full);
        assert_eq!(r.body_kind(), BodyKind::Length(5));
        assert!(r.expects_continue());
    }

    #[test]
    fn absolute_form_path() {
        let r = ok(b"GET http://h.example/x/y?q HTTP/1.1\r\nHost: other\r\n\r\n");
        assert_eq!(r.path(), "/x/y");
        assert_eq!(
            ok(b"GET http://h.example HTTP/1.1\r\nHost: h\r\n\r\n").path(),
            "/"
        );
        // The authority ends at '?': a '/' in the query is not the path.
        let r = ok(b"GET http://h.example?to=/x HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!((r.path(), r.query()), ("/", Some("to=/x")));
        assert_eq!(ok(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").path(), "*");
        assert_eq!(
            ok(b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n").path(),
            "h:443"
        );
    }

    #[test]
    fn field_names_are_recognised_in_any_case() {
        let r = ok(b"POST / HTTP/1.1\r\nhOsT: a\r\ncOnTeNt-LeNgTh: 5\r\nCONNECTION: Close\r\n\r\n");
        assert_eq!(r.body_kind(), BodyKind::Length(5));
        assert!(!r.keep_alive());
        let r = ok(b"POST / HTTP/1.1\r\nHOST: a\r\nTRANSFER-ENCODING: chunked\r\nEXPECT: 100-continue\r\n\r\n");
        assert_eq!(r.body_kind(), BodyKind::Chunked);
        assert!(r.expects_continue());
        let r =
            ok(b"GET / HTTP/1.1\r\nHost: a\r\nuPgRaDe: websocket\r\ncOnNeCtIoN: Upgrade\r\n\r\n");
        assert!(r.wants_upgrade());
        let r = ok(b"GET / HTTP/1.0\r\nConnection: KEEP-ALIVE\r\n\r\n");
        assert!(r.keep_alive());
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nhost: a\r\nHOST: a\r\n\r\n"),
            RequestError::DuplicateHost
        );
        // Names that merely start like them are other fields.
        let r = ok(b"GET / HTTP/1.1\r\nHost: a\r\nHosts: b\r\nConnections: close\r\n\r\n");
        assert!(r.keep_alive());
        // A port of up to five digits after a name or an address.
        for host in ["a:1", "127.0.0.1:18999", "[::1]:8080", "a.b-c_d~e:"] {
            let head = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
            assert!(parse(head.as_bytes()).is_ok(), "{host}");
        }
        for host in [":80", "a:123456", "a:8x", "a@b", "a::1", "[::1]x"] {
            let head = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
            assert_eq!(
                parse(head.as_bytes()).err(),
                Some(RequestError::BadHost),
                "{host}"
            );
        }
    }

    #[test]
    fn path_text_is_the_path() {
        for target in [
            "/status/418?x=1",
            "/",
            "http://h.example/x/y?q",
            "http://h.example",
            "http://h.example?to=/x",
            "*",
        ] {
            let method = if target == "*" { "OPTIONS" } else { "GET" };
            let r = ok(format!("{method} {target} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes());
            assert_eq!(r.path_text(), r.path(), "{target}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(
            err(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n"),
            RequestError::UnsupportedVersion
        );
        assert_eq!(
            err(b"GET / HTTP/3.0\r\nHost: a\r\n\r\n"),
            RequestError::UnsupportedVersion
        );
        assert_eq!(
            err(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
            RequestError::UnsupportedVersion
        );
        assert_eq!(
            ok(b"GET / HTTP/1.2\r\nHost: a\r\n\r\n").version(),
            Version::Http11
        );
        assert_eq!(
            err(b"GET / http/1.1\r\nHost: a\r\n\r\n"),
            RequestError::BadVersion
        );
        assert_eq!(
            err(b"GET / HTTP/1.10\r\nHost: a\r\n\r\n"),
            RequestError::BadVersion
        );
        let r = ok(b"GET / HTTP/1.0\r\n\r\n");
        assert_eq!(r.version(), Version::Http10);
        assert!(!r.keep_alive());
        assert!(ok(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive());
    }

    #[test]
    fn methods() {
        assert_eq!(
            err(b"BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"),
            RequestError::UnknownMethod
        );
        assert_eq!(
            err(b"get / HTTP/1.1\r\nHost: a\r\n\r\n"),
            RequestError::UnknownMethod
        );
        assert_eq!(
            ok(b"PROPFIND /dav/ HTTP/1.1\r\nHost: a\r\n\r\n").method(),
            Method::Propfind
        );
        assert_eq!(ok(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").target(), "*");
        assert_eq!(
            err(b"GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
            RequestError::BadTarget
        );
        assert_eq!(
            ok(b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n").target(),
            "h:443"
        );
    }

    #[test]
    fn request_line_shape() {
        assert_eq!(
            err(b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
            RequestError::BadRequestLine
        );
        assert_eq!(
            err(b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n"),
            RequestError::BadRequestLine
        );
        assert_eq!(
            err(b"GET /\r\nHost: a\r\n\r\n"),
            RequestError::BadRequestLine
        );
        assert_eq!(
            err(b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"),
            RequestError::BadRequestLine
        );
        assert_eq!(
            err(b"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n"),
            RequestError::BadTarget
        );
        assert_eq!(
            err(b"GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n"),
            RequestError::BadTarget
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\nHost: a\r\n\r\n"),
            RequestError::BareLineEnding
        );
        assert_eq!(
            err(b"GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"),
            RequestError::BareLineEnding
        );
        assert_eq!(
            ok(b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").target(),
            "/"
        );
    }

    #[test]
    fn limits() {
        let long = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9000));
        assert_eq!(err(long.as_bytes()), RequestError::UriTooLong);
        let unfinished = format!("GET /{}", "a".repeat(9000));
        assert_eq!(err(unfinished.as_bytes()), RequestError::UriTooLong);
        let big = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "v".repeat(17000)
        );
        assert_eq!(err(big.as_bytes()), RequestError::HeadersTooLarge);
        let unfinished = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}", "v".repeat(17000));
        assert_eq!(err(unfinished.as_bytes()), RequestError::HeadersTooLarge);
        let many: String = (0..101).map(|i| format!("X-{i}: v\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n");
        assert_eq!(err(many.as_bytes()), RequestError::HeadersTooLarge);
        assert_eq!(
            err(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n"),
            RequestError::BodyTooLarge
        );
    }

    #[test]
    fn host_rules() {
        assert_eq!(err(b"GET / HTTP/1.1\r\n\r\n"), RequestError::MissingHost);
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            RequestError::DuplicateHost
        );
        assert_eq!(
            err(b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"),
            RequestError::DuplicateHost
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
            RequestError::BadHost
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
            RequestError::BadHost
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n"),
            RequestError::BadHost
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"),
            RequestError::BadHost
        );
        ok(b"GET / HTTP/1.1\r\nHost: [::1]:8418\r\n\r\n");
        ok(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8418\r\n\r\n");
        ok(b"GET / HTTP/1.1\r\nHost:\r\n\r\n");
    }

    #[test]
    fn header_syntax() {
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
            RequestError::BadHeader
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  folded\r\n\r\n"),
            RequestError::ObsFold
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\n Host: a\r\n\r\n"),
            RequestError::ObsFold
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"),
            RequestError::BareLineEnding
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"),
            RequestError::BareLineEnding
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\n\nHost: a\r\n\r\n"),
            RequestError::BareLineEnding
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\r\n\r\n"),
            RequestError::BareLineEnding
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n"),
            RequestError::BadHeader
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a\r\nX\x01: a\r\n\r\n"),
            RequestError::BadHeader
        );
    }

    #[test]
    fn framing_rules() {
        let r = ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42, 42\r\n\r\n");
        assert_eq!(r.body_kind(), BodyKind::Length(42));
        let r = ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n");
        assert_eq!(r.body_kind(), BodyKind::Length(7));
        let r = ok(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n");
        assert_eq!(r.body_kind(), BodyKind::Chunked);
        let bad = |s: &[u8]| err(s);
        use RequestError::*;
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            BadContentLength
        );
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n"),
            BadContentLength
        );
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x1\r\n\r\n"),
            BadContentLength
        );
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n"),
            BadContentLength
        );
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"),
            BadContentLength
        );
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n"),
            BadContentLength
        );
        assert_eq!(bad(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"), LengthAndTransferEncoding);
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"),
            ChunkedNotLast
        );
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            ChunkedNotLast
        );
        assert_eq!(bad(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), ChunkedNotLast);
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n"),
            ChunkedNotLast
        );
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            UnsupportedTransferCoding
        );
        assert_eq!(
            bad(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n"),
            ChunkedNotLast
        );
        assert_eq!(
            bad(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            TransferEncodingOnHttp10
        );
    }

    #[test]
    fn expectations() {
        assert_eq!(
            err(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"),
            RequestError::UnknownExpectation
        );
        let r =
            ok(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n\r\n");
        assert!(!r.expects_continue(), "no body, nothing to wait for");
        let r = ok(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        assert!(!r.expects_continue(), "HTTP/1.0 ignores the expectation");
    }

    #[test]
    fn upgrade_needs_connection_token() {
        assert!(ok(b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n").wants_upgrade());
        assert!(!ok(b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n").wants_upgrade());
        assert!(
            !ok(b"GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
                .wants_upgrade()
        );
    }
}
