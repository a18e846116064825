//! Request body decoders: by `Content-Length` or chunked (RFC 9112 §7.1),
//! with limits. They work on the read buffer and never do I/O; "need more
//! bytes" is a value, not an error.

use bytes::{Bytes, BytesMut};

use crate::error::RequestError;
use crate::limits::Limits;

/// One step of decoding.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Body bytes, in order.
    Data(Bytes),
    /// The body is complete.
    End,
    /// The buffer holds too little; read more and call again.
    NeedMore,
}

/// A body decoder.
#[derive(Debug)]
pub enum Decoder {
    /// `remaining` bytes of a Content-Length body are still to come.
    Length {
        /// Bytes still to come.
        remaining: u64,
    },
    /// A chunked body.
    Chunked(Chunked),
    /// The body is complete (or there was none).
    Done,
}

/// Where a chunked decoder is.
#[derive(Debug, Default)]
pub struct Chunked {
    state: ChunkState,
    /// Bytes of the current chunk still to come.
    remaining: u64,
    /// Body bytes decoded so far, held against `max_body`.
    total: u64,
    /// The trailer fields, once read.
    trailers: Vec<(String, Bytes)>,
    /// Whether the last chunk and trailer section have been read.
    done: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    #[default]
    Size,
    Data,
    DataEnd,
    Trailers,
}

impl Decoder {
    /// A decoder for a body of exactly `n` bytes.
    pub fn length(n: u64) -> Decoder {
        if n == 0 {
            Decoder::Done
        } else {
            Decoder::Length { remaining: n }
        }
    }

    /// A decoder for a chunked body.
    pub fn chunked() -> Decoder {
        Decoder::Chunked(Chunked::default())
    }

    /// Whether the body has been read to its end.
    pub fn is_done(&self) -> bool {
        match self {
            Decoder::Done => true,
            Decoder::Chunked(c) => c.done,
            Decoder::Length { .. } => false,
        }
    }

    /// Body bytes still expected, when known.
    pub fn remaining(&self) -> Option<u64> {
        match self {
            Decoder::Length { remaining } => Some(*remaining),
            Decoder::Done => Some(0),
            Decoder::Chunked(c) if c.done => Some(0),
            Decoder::Chunked(_) => None,
        }
    }

    /// Trailer fields of a chunked body, once it is complete.
    pub fn take_trailers(&mut self) -> Vec<(String, Bytes)> {
        match self {
            Decoder::Chunked(c) => std::mem::take(&mut c.trailers),
            _ => Vec::new(),
        }
    }

    /// Decodes the next piece from `buf`.
    pub fn decode(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Decoded, RequestError> {
        match self {
            Decoder::Done => Ok(Decoded::End),
            Decoder::Length { remaining } => {
                if buf.is_empty() {
                    return Ok(Decoded::NeedMore);
                }
                let n = (*remaining).min(buf.len() as u64) as usize;
                *remaining -= n as u64;
                let data = buf.split_to(n).freeze();
                if *remaining == 0 {
                    *self = Decoder::Done;
                }
                Ok(Decoded::Data(data))
            }
            Decoder::Chunked(c) => {
                if c.done {
                    return Ok(Decoded::End);
                }
                let step = c.step(buf, limits)?;
                c.done = step == Decoded::End;
                Ok(step)
            }
        }
    }
}

impl Chunked {
    fn step(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Decoded, RequestError> {
        loop {
            match self.state {
                ChunkState::Size => {
                    let Some(lf) = buf
                        .iter()
                        .take(limits.max_chunk_line + 2)
                        .position(|&b| b == b'\n')
                    else {
                        if buf.len() > limits.max_chunk_line {
                            return Err(RequestError::BadChunk);
                        }
                        return Ok(Decoded::NeedMore);
                    };
                    let size = parse_chunk_line(&buf[..lf])?;
                    let _ = buf.split_to(lf + 1);
                    if size == 0 {
                        self.state = ChunkState::Trailers;
                        continue;
                    }
                    self.total = self
                        .total
                        .checked_add(size)
                        .ok_or(RequestError::BodyTooLarge)?;
                    if self.total > limits.max_body {
                        return Err(RequestError::BodyTooLarge);
                    }
                    self.remaining = size;
                    self.state = ChunkState::Data;
                }
                ChunkState::Data => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let n = self.remaining.min(buf.len() as u64) as usize;
                    self.remaining -= n as u64;
                    if self.remaining == 0 {
                        self.state = ChunkState::DataEnd;
                    }
                    return Ok(Decoded::Data(buf.split_to(n).freeze()));
                }
                ChunkState::DataEnd => {
                    if buf.len() < 2 {
                        if buf.first().is_some_and(|&b| b != b'\r') {
                            return Err(RequestError::BadChunk);
                        }
                        return Ok(Decoded::NeedMore);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(RequestError::BadChunk);
                    }
                    let _ = buf.split_to(2);
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers => return self.trailers(buf, limits),
            }
        }
    }

    fn trailers(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Decoded, RequestError> {
        if buf.len() >= 2 && &buf[..2] == b"\r\n" {
            let _ = buf.split_to(2);
            return Ok(Decoded::End);
        }
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n");
        let Some(end) = end else {
            if buf.len() > limits.max_header_bytes {
                return Err(RequestError::HeadersTooLarge);
            }
            return Ok(Decoded::NeedMore);
        };
        let section = &buf[..end + 4];
        if section.len() > limits.max_header_bytes {
            return Err(RequestError::HeadersTooLarge);
        }
        let mut prev = 0u8;
        for &b in section {
            if (b == b'\n' && prev != b'\r') || (prev == b'\r' && b != b'\n') {
                return Err(RequestError::BadChunk);
            }
            prev = b;
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        match httparse::parse_headers(section, &mut headers) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) => return Err(RequestError::BadChunk),
            Err(httparse::Error::TooManyHeaders) => return Err(RequestError::HeadersTooLarge),
            Err(_) => return Err(RequestError::BadChunk),
        }
        self.trailers = headers
            .iter()
            .take_while(|h| !h.name.is_empty())
            .map(|h| (h.name.to_string(), Bytes::copy_from_slice(h.value)))
            .collect();
        let _ = buf.split_to(end + 4);
        Ok(Decoded::End)
    }
}

/// `chunk-size [ chunk-ext ] CRLF`, the LF already found. Returns the size.
fn parse_chunk_line(line: &[u8]) -> Result<u64, RequestError> {
    let line = line.strip_suffix(b"\r").ok_or(RequestError::BadChunk)?;
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 {
        return Err(RequestError::BadChunk);
    }
    let mut size: u64 = 0;
    for &b in &line[..digits] {
        let d = (b as char).to_digit(16).ok_or(RequestError::BadChunk)?;
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(d)))
            .ok_or(RequestError::BadChunk)?;
    }
    if !chunk_ext(&line[digits..]) {
        return Err(RequestError::BadChunk);
    }
    Ok(size)
}

/// Whether `ext` is a well-formed `chunk-ext` (RFC 9112 §7.1.1):
/// `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`.
/// Extensions are ignored, but one that does not parse (whitespace with no
/// extension after it, an unclosed quoted string, a control character)
/// is a framing error like any other.
fn chunk_ext(mut ext: &[u8]) -> bool {
    fn bws(s: &[u8]) -> &[u8] {
        let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
        &s[n..]
    }
    fn token(s: &[u8]) -> Option<&[u8]> {
        let n = s
            .iter()
            .take_while(|&&b| crate::message::is_tchar(b))
            .count();
        (n > 0).then(|| &s[n..])
    }
    fn quoted(s: &[u8]) -> Option<&[u8]> {
        let mut i = 1;
        while i < s.len() {
            match s[i] {
                b'"' => return Some(&s[i + 1..]),
                b'\\' => match s.get(i + 1) {
                    Some(&b) if b == b'\t' || b >= 0x20 && b != 0x7f => i += 2,
                    _ => return None,
                },
                b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff => i += 1,
                _ => return None,
            }
        }
        None
    }
    while !ext.is_empty() {
        let Some(rest) = bws(ext).strip_prefix(b";") else {
            return false;
        };
        let Some(rest) = token(bws(rest)) else {
            return false;
        };
        ext = rest;
        let after = bws(rest);
        if let Some(value) = after.strip_prefix(b"=") {
            let value = bws(value);
            let rest = if value.first() == Some(&b'"') {
                quoted(value)
            } else {
                token(value)
            };
            match rest {
                Some(rest) => ext = rest,
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Body, trailers, and the bytes left after the body.
    type Run = (Vec<u8>, Vec<(String, Bytes)>, Vec<u8>);

    /// Decodes `input` fed in pieces of `step` bytes; returns the body and
    /// the trailers, or the error.
    fn run(input: &[u8], step: usize, limits: &Limits) -> Result<Run, RequestError> {
        let mut dec = Decoder::chunked();
        let mut buf = BytesMut::new();
        let mut body = Vec::new();
        let mut fed = 0;
        loop {
            match dec.decode(&mut buf, limits)? {
                Decoded::Data(d) => body.extend_from_slice(&d),
                Decoded::End => {
                    let trailers = dec.take_trailers();
                    let mut rest = buf.to_vec();
                    rest.extend_from_slice(&input[fed..]);
                    return Ok((body, trailers, rest));
                }
                Decoded::NeedMore => {
                    if fed == input.len() {
                        return Err(RequestError::BadChunk);
                    }
                    let n = step.min(input.len() - fed);
                    buf.extend_from_slice(&input[fed..fed + n]);
                    fed += n;
                }
            }
        }
    }

    #[test]
    fn chunked_with_trailers_at_every_split() {
        let input = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 11\r\nX-Two: 2\r\n\r\nNEXT";
        for step in 1..input.len() {
            let (body, trailers, rest) = run(input, step, &Limits::default()).unwrap();
            assert_eq!(body, b"hello world", "step {step}");
            assert_eq!(trailers.len(), 2);
            assert_eq!(trailers[0].0, "X-Sum");
            assert_eq!(&trailers[0].1[..], b"11");
            assert_eq!(rest, b"NEXT");
        }
    }

    #[test]
    fn chunked_without_trailers() {
        let (body, trailers, rest) = run(b"3\r\nabc\r\n00\r\n\r\n", 1, &Limits::default()).unwrap();
        assert_eq!(body, b"abc");
        assert!(trailers.is_empty());
        assert!(rest.is_empty());
    }

    #[test]
    fn bad_chunks() {
        let l = Limits::default();
        for bad in [
            &b"x\r\n"[..],
            b"-1\r\n",
            b"0x5\r\nhello\r\n0\r\n\r\n",
            b" 5\r\nhello\r\n0\r\n\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"5\r\nhelloXX0\r\n\r\n",
            b"5\r\nhello\n0\r\n\r\n",
            b"5 x\r\nhello\r\n0\r\n\r\n",
            b"5;a\rb\r\nhello\r\n0\r\n\r\n",
            b"10000000000000000\r\n",
            b"0\r\nX: a\nY: b\r\n\r\n",
            b"0\r\nBad Name: a\r\n\r\n",
            // RFC 9112 §7.1.1: whitespace only before an extension, and a
            // quoted string must close.
            b"5 \r\nhello\r\n0\r\n\r\n",
            b"5\t\r\nhello\r\n0\r\n\r\n",
            b"5;a=\"b\r\nhello\r\n0\r\n\r\n",
            b"5;a=\"b\\\"\r\nhello\r\n0\r\n\r\n",
            b"5;\r\nhello\r\n0\r\n\r\n",
            b"5;a=\r\nhello\r\n0\r\n\r\n",
            b"5;a \r\nhello\r\n0\r\n\r\n",
            b"5;a=b c\r\nhello\r\n0\r\n\r\n",
            b"5;a=b;\r\nhello\r\n0\r\n\r\n",
            b"5;(a)\r\nhello\r\n0\r\n\r\n",
        ] {
            assert!(
                run(bad, 64, &l).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn well_formed_chunk_extensions_are_read_past() {
        let l = Limits::default();
        for good in [
            &b"5;a\r\nhello\r\n0\r\n\r\n"[..],
            b"5 ;a\r\nhello\r\n0\r\n\r\n",
            b"5 ; a = b\r\nhello\r\n0\r\n\r\n",
            b"5;a=b;c;d=\"e f;\\\"g\"\r\nhello\r\n0\r\n\r\n",
            b"5;a=\"\"\r\nhello\r\n0;last=1\r\n\r\n",
        ] {
            let (body, _, _) = run(good, 64, &l)
                .unwrap_or_else(|e| panic!("{:?}: {e:?}", String::from_utf8_lossy(good)));
            assert_eq!(body, b"hello");
        }
    }

    #[test]
    fn chunked_body_limit() {
        let l = Limits {
            max_body: 4,
            ..Limits::default()
        };
        assert_eq!(
            run(b"5\r\nhello\r\n0\r\n\r\n", 64, &l).unwrap_err(),
            RequestError::BodyTooLarge
        );
        assert_eq!(
            run(b"2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n", 64, &l).unwrap_err(),
            RequestError::BodyTooLarge
        );
        assert!(run(b"2\r\nhe\r\n2\r\nll\r\n0\r\n\r\n", 64, &l).is_ok());
    }

    #[test]
    fn long_chunk_line_is_refused() {
        let l = Limits::default();
        let mut line = b"1;".to_vec();
        line.extend(std::iter::repeat_n(b'a', 5000));
        assert_eq!(run(&line, 64, &l).unwrap_err(), RequestError::BadChunk);
    }

    #[test]
    fn length_decoder_leaves_the_rest() {
        let l = Limits::default();
        let mut dec = Decoder::length(5);
        let mut buf = BytesMut::from(&b"hel"[..]);
        assert_eq!(
            dec.decode(&mut buf, &l).unwrap(),
            Decoded::Data(Bytes::from_static(b"hel"))
        );
        assert_eq!(dec.decode(&mut buf, &l).unwrap(), Decoded::NeedMore);
        buf.extend_from_slice(b"loGET");
        assert_eq!(
            dec.decode(&mut buf, &l).unwrap(),
            Decoded::Data(Bytes::from_static(b"lo"))
        );
        assert_eq!(dec.decode(&mut buf, &l).unwrap(), Decoded::End);
        assert_eq!(&buf[..], b"GET");
    }
}
