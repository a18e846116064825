//! Cleartext HTTP/2 reached from an HTTP/1.x connection (RFC 9113 §3.3,
//! RFC 7540 §3.2): the preface as the first bytes, a broken preface, and
//! `Upgrade: h2c`. The bridge between the two drivers: the HTTP/1.x driver
//! asks it, and hands the connection to [`crate::h2`] when it says so.
//!
//! `h2` has no upgrade support: after the 101 the upgrading request is
//! handed to it as a HEADERS frame on stream 1, placed right after the
//! client's preface and first SETTINGS frame, encoded with HPACK literals
//! that leave the header table untouched.

use std::io;

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use teapot_codes::Status;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::h1::encode;
use crate::message::{connection_specific, BodyKind, Request};
use crate::response::Framing;
use crate::response::Head;
use crate::service::Transport;

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How a connection came to speak HTTP/2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handoff {
    /// TLS with ALPN `h2`, or the preface on a cleartext connection.
    PriorKnowledge,
    /// An HTTP/1.1 request with `Upgrade: h2c`, now stream 1.
    Upgraded,
}

/// Largest HEADERS frame the server accepts before its own SETTINGS are
/// acknowledged (the protocol's default `SETTINGS_MAX_FRAME_SIZE`).
const DEFAULT_MAX_FRAME: usize = 16_384;

/// What the first bytes of a cleartext connection say about HTTP/2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Preface {
    /// The whole preface: the client speaks HTTP/2 by prior knowledge.
    Complete,
    /// What has arrived could still become the preface.
    Partial,
    /// The preface's first line, `PRI * HTTP/2.0`, then something else: an
    /// HTTP/2 client with a broken preface, answered as HTTP/2 would.
    Broken,
    /// Not HTTP/2: an HTTP/1 request line.
    No,
}

/// The length of the preface's first line, `PRI * HTTP/2.0\r\n`.
const PREFACE_LINE: usize = 16;

/// Reads the first bytes of a cleartext connection against the preface.
pub(crate) fn preface(buf: &[u8]) -> Preface {
    let n = buf.len().min(PREFACE.len());
    if buf[..n] == PREFACE[..n] {
        if n == PREFACE.len() {
            Preface::Complete
        } else {
            Preface::Partial
        }
    } else if n >= PREFACE_LINE && buf[..PREFACE_LINE] == PREFACE[..PREFACE_LINE] {
        Preface::Broken
    } else {
        Preface::No
    }
}

/// What the server sends to a client whose preface is broken (RFC 9113
/// §3.4): its own preface (an empty SETTINGS frame), then `GOAWAY` with last
/// stream 0 and `PROTOCOL_ERROR`.
pub(crate) const BROKEN_PREFACE_ANSWER: [u8; 26] = [
    0, 0, 0, 0x4, 0, 0, 0, 0, 0, // SETTINGS, empty, stream 0
    0, 0, 8, 0x7, 0, 0, 0, 0, 0, // GOAWAY, 8 bytes, stream 0
    0, 0, 0, 0, // last stream id 0
    0, 0, 0, 0x1, // PROTOCOL_ERROR
];

/// When `req` asks to switch to cleartext HTTP/2 in a way the server
/// accepts, the HPACK header block that carries it on as stream 1.
///
/// The offer must be complete (RFC 7540 §3.2): HTTP/1.1 without TLS,
/// `h2c` in `Upgrade` (and not `websocket`, which the handlers own),
/// `Upgrade` and `HTTP2-Settings` in `Connection`, one `HTTP2-Settings`
/// in base64url, and no body. Anything less is answered over HTTP/1.1, as
/// a server may always decline an upgrade.
pub(crate) fn wants_h2c(req: &Request, secure: bool) -> Option<Bytes> {
    // `wants_upgrade` (HTTP/1.1, `Upgrade`, and `upgrade` in `Connection`)
    // was worked out by the parser: most requests stop at it.
    if !req.wants_upgrade()
        || secure
        || !req.has_token("upgrade", "h2c")
        || req.has_token("upgrade", "websocket")
        || !req.has_token("connection", "upgrade")
        || !req.has_token("connection", "http2-settings")
        || !matches!(req.body_kind(), BodyKind::Empty | BodyKind::Length(0))
        || req.expects_continue()
    {
        return None;
    }
    let mut settings = req.header_all("http2-settings");
    let value = settings.next()?;
    if settings.next().is_some()
        || !value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
    {
        return None;
    }
    let block = header_block(req);
    (block.len() <= DEFAULT_MAX_FRAME).then_some(block)
}

/// The request as an HPACK header block of literals without indexing
/// (RFC 7541 §6.2.2), which leave the decoder's table as it was.
fn header_block(req: &Request) -> Bytes {
    let mut out = BytesMut::with_capacity(256 + req.raw().len());
    let target = req.target();
    let path = if target.starts_with('/') || target == "*" {
        target.to_owned()
    } else {
        req.path().to_owned() + &req.query().map(|q| format!("?{q}")).unwrap_or_default()
    };
    literal(&mut out, b":method", req.method().as_str().as_bytes());
    literal(&mut out, b":scheme", b"http");
    if let Some(host) = req.header("host") {
        literal(&mut out, b":authority", host);
    }
    literal(&mut out, b":path", path.as_bytes());
    for (name, value) in req.headers() {
        let skip = name.eq_ignore_ascii_case("host")
            || name.eq_ignore_ascii_case("http2-settings")
            || (connection_specific(name)
                && !(name.eq_ignore_ascii_case("te") && value.eq_ignore_ascii_case(b"trailers")));
        if !skip {
            literal(&mut out, name.to_ascii_lowercase().as_bytes(), value);
        }
    }
    out.freeze()
}

fn literal(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.put_u8(0);
    string(out, name);
    string(out, value);
}

/// An HPACK string literal without Huffman coding (RFC 7541 §5.2).
fn string(out: &mut BytesMut, s: &[u8]) {
    // A 7-bit prefix integer (RFC 7541 §5.1).
    let mut n = s.len();
    if n < 127 {
        out.put_u8(n as u8);
    } else {
        out.put_u8(127);
        n -= 127;
        while n >= 128 {
            out.put_u8((n % 128) as u8 | 0x80);
            n /= 128;
        }
        out.put_u8(n as u8);
    }
    out.put_slice(s);
}

/// Answers an `Upgrade: h2c` request with 101, then reads the client's
/// preface and first SETTINGS frame and places the request behind them as
/// stream 1 (HEADERS with END_STREAM). The bytes wait in the connection's
/// read buffer for the HTTP/2 side.
pub(crate) async fn switch_h2c<T: Transport + ?Sized>(
    io: &mut T,
    rbuf: &mut BytesMut,
    block: Bytes,
    timeout: Duration,
) -> io::Result<()> {
    let head = Head::new(Status::SWITCHING_PROTOCOLS).header("Upgrade", "h2c");
    let mut out = Vec::with_capacity(128);
    let fields = encode::ConnectionField {
        upgrade: true,
        ..Default::default()
    };
    encode::write_head(&mut out, &head, Framing::None, fields);
    io.write_all(&out).await?;
    io.flush().await?;
    // The preface, then a frame header, then that frame: a SETTINGS frame
    // no longer than the default frame size.
    let read = async {
        let head = PREFACE.len() + 9;
        loop {
            if rbuf.len() >= head {
                let h = &rbuf[PREFACE.len()..head];
                let len = (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
                if &rbuf[..PREFACE.len()] != PREFACE || h[3] != 0x4 || len > DEFAULT_MAX_FRAME {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "no HTTP/2 preface and SETTINGS after 101",
                    ));
                }
                if rbuf.len() >= head + len {
                    return Ok(head + len);
                }
            }
            if io.read_buf(rbuf).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    };
    let boundary = tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    let rest = rbuf.split_off(boundary);
    let len = block.len();
    rbuf.put_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
    // HEADERS, END_STREAM | END_HEADERS, stream 1.
    rbuf.put_slice(&[0x1, 0x1 | 0x4, 0, 0, 0, 1]);
    rbuf.put_slice(&block);
    rbuf.unsplit(rest);
    Ok(())
}
