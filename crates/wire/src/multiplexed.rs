//! What the multiplexed protocols (HTTP/2 and HTTP/3) share: a stream's
//! request fields written out as an HTTP/1.1 head and read by the same
//! parser, so that one set of checks and limits holds for every protocol;
//! and a response head in the `http` crate's types.

use std::io;

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::RequestError;
use crate::exchange::misuse;
use crate::message::BodyKind;
use crate::message::{self, connection_specific, Request, Version};
use crate::response::{AnswerFields, Framing, Head};

/// The stream's request as the HTTP/1.1 parser reads it: the same checks
/// and limits for both protocols.
pub(crate) fn to_request(
    parts: &::http::request::Parts,
    has_body: bool,
    version: Version,
    limits: &crate::limits::Limits,
) -> Result<Request, RequestError> {
    let mut head = BytesMut::with_capacity(512);
    head.put_slice(parts.method.as_str().as_bytes());
    head.put_u8(b' ');
    let authority = parts.uri.authority().map(|a| a.as_str());
    match (&parts.method, authority) {
        (&::http::Method::CONNECT, Some(a)) => head.put_slice(a.as_bytes()),
        _ => head.put_slice(
            parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .as_bytes(),
        ),
    }
    head.put_slice(b" HTTP/1.1\r\n");
    if let Some(a) = authority {
        head.put_slice(b"host: ");
        head.put_slice(a.as_bytes());
        head.put_slice(b"\r\n");
    }
    let mut cookies: Vec<&[u8]> = Vec::new();
    for (name, value) in &parts.headers {
        // Malformed on a stream (RFC 9113 §8.2.2, RFC 9114 §4.2); the
        // `h2` crate refuses them itself, the `h3` crate does not.
        let te_trailers =
            name == ::http::header::TE && value.as_bytes().eq_ignore_ascii_case(b"trailers");
        if connection_specific(name.as_str()) && !te_trailers {
            return Err(RequestError::ConnectionSpecificField);
        }
        if authority.is_some() && name == ::http::header::HOST {
            continue;
        }
        // Cookie crumbs are joined again for an HTTP/1.1 reader (RFC 9113
        // §8.2.3, RFC 9114 §4.2.1).
        if name == ::http::header::COOKIE {
            cookies.push(value.as_bytes());
            continue;
        }
        head.put_slice(name.as_str().as_bytes());
        head.put_slice(b": ");
        head.put_slice(value.as_bytes());
        head.put_slice(b"\r\n");
    }
    if !cookies.is_empty() {
        head.put_slice(b"cookie: ");
        head.put_slice(&cookies.join(&b"; "[..]));
        head.put_slice(b"\r\n");
    }
    head.put_slice(b"\r\n");
    match message::parse_request(&mut head, limits)? {
        Some(req) => Ok(req.into_multiplexed(version, has_body)),
        None => Err(RequestError::BadRequestLine),
    }
}

/// A response head as the `http` crate holds it, for the `h2` and `h3`
/// crates: fields the engine owns and connection-specific fields are left
/// out (RFC 9113 §8.2.2, RFC 9114 §4.2); `date` adds `Date`.
pub(crate) fn to_http(
    head: &Head,
    framing: Framing,
    date: bool,
) -> io::Result<::http::Response<()>> {
    fn bad<E>(_: E) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "field not valid in HTTP/2 or HTTP/3",
        )
    }
    let mut resp = ::http::Response::new(());
    *resp.status_mut() = ::http::StatusCode::from_u16(head.status.as_u16())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "status"))?;
    let fields = resp.headers_mut();
    if date {
        crate::response::with_date(|d| {
            if let Ok(v) = ::http::HeaderValue::from_bytes(d) {
                fields.insert(::http::header::DATE, v);
            }
        });
    }
    for (name, value) in &head.fields {
        if crate::response::engine_owned(name) || connection_specific(name) {
            continue;
        }
        let name = ::http::HeaderName::from_bytes(name.as_bytes()).map_err(bad)?;
        let value = ::http::HeaderValue::from_maybe_shared(value.clone()).map_err(bad)?;
        fields.append(name, value);
    }
    if let Framing::Length(n) = framing {
        fields.insert(::http::header::CONTENT_LENGTH, ::http::HeaderValue::from(n));
    }
    Ok(resp)
}

/// A final head with the fields the service adds to every answer.
pub(crate) fn final_head(
    head: &Head,
    extra: &AnswerFields,
    framing: Framing,
) -> io::Result<::http::Response<()>> {
    let mut resp = to_http(head, framing, true)?;
    extra.each_for(head, |name, value| {
        if let (Ok(n), Ok(v)) = (
            ::http::HeaderName::from_bytes(name.as_bytes()),
            ::http::HeaderValue::from_bytes(value),
        ) {
            resp.headers_mut().append(n, v);
        }
    });
    Ok(resp)
}

/// Trailer fields for a trailing HEADERS frame (already checked by the
/// exchange; a name or value the `http` crate refuses is a misuse).
pub(crate) fn trailer_map(trailers: &[(String, Bytes)]) -> io::Result<::http::HeaderMap> {
    let mut map = ::http::HeaderMap::new();
    for (name, value) in trailers {
        let name = ::http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| misuse("a trailer field name not valid on a stream"))?;
        let value = ::http::HeaderValue::from_maybe_shared(value.clone())
            .map_err(|_| misuse("a trailer field value not valid on a stream"))?;
        map.append(name, value);
    }
    Ok(map)
}

/// Trailer fields received, as the exchange keeps them.
pub(crate) fn trailer_list(map: &::http::HeaderMap) -> Vec<(String, Bytes)> {
    map.iter()
        .map(|(n, v)| (n.as_str().to_owned(), Bytes::copy_from_slice(v.as_bytes())))
        .collect()
}

/// Body bytes still to come, when the request declared its length.
pub(crate) fn body_remaining(req: &Request, read: u64) -> Option<u64> {
    match req.body_kind() {
        BodyKind::Length(n) => Some(n.saturating_sub(read)),
        _ => None,
    }
}
