//! Randomized tests of the decoders, bounded so they stay fast: arbitrary
//! and nearly-valid input never panics, and a message fed in pieces is read
//! exactly as the same message fed whole (one reading per message).

use bytes::BytesMut;
use proptest::prelude::*;
use teapot_wire::h1::decode::{Decoded, Decoder};
use teapot_wire::message::parse_request;
use teapot_wire::{Limits, RequestError};

/// What a parse came to, in a form that can be compared.
#[derive(Debug, PartialEq, Eq)]
enum Reading {
    Head {
        method: String,
        target: String,
        headers: Vec<(String, Vec<u8>)>,
        body: String,
        rest: Vec<u8>,
    },
    /// Refused, with this status. Which rule is named first may depend
    /// on how much had arrived; the status may not.
    Error(u16),
    Incomplete,
}

fn limits() -> Limits {
    Limits {
        max_uri: 256,
        max_header_bytes: 512,
        max_headers: 16,
        ..Limits::default()
    }
}

/// Feeds `input` in pieces of `step` bytes, as the connection would.
fn read_head(input: &[u8], step: usize) -> Reading {
    let l = limits();
    let mut buf = BytesMut::new();
    let mut fed = 0;
    loop {
        match parse_request(&mut buf, &l) {
            Ok(Some(req)) => {
                let mut rest = buf.to_vec();
                rest.extend_from_slice(&input[fed..]);
                return Reading::Head {
                    method: req.method().to_string(),
                    target: req.target().to_string(),
                    headers: req
                        .headers()
                        .map(|(n, v)| (n.to_string(), v.to_vec()))
                        .collect(),
                    body: format!("{:?}", req.body_kind()),
                    rest,
                };
            }
            Ok(None) if fed == input.len() => return Reading::Incomplete,
            Ok(None) => {
                let n = step.min(input.len() - fed);
                buf.extend_from_slice(&input[fed..fed + n]);
                fed += n;
            }
            Err(e) => return Reading::Error(e.status()),
        }
    }
}

fn read_chunked(input: &[u8], step: usize) -> Result<(Vec<u8>, usize), RequestError> {
    let l = limits();
    let mut dec = Decoder::chunked();
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    let mut fed = 0;
    loop {
        match dec.decode(&mut buf, &l)? {
            Decoded::Data(d) => body.extend_from_slice(&d),
            Decoded::End => return Ok((body, fed - buf.len())),
            Decoded::NeedMore if fed == input.len() => return Err(RequestError::BadChunk),
            Decoded::NeedMore => {
                let n = step.min(input.len() - fed);
                buf.extend_from_slice(&input[fed..fed + n]);
                fed += n;
            }
        }
    }
}

fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"GET / HTTP/1.1\r\n".to_vec()),
        Just(b"POST /echo HTTP/1.1\r\n".to_vec()),
        Just(b"GET http://a/b?c HTTP/1.0\r\n".to_vec()),
        Just(b"Host: a\r\n".to_vec()),
        Just(b"Host: b\r\n".to_vec()),
        Just(b"Content-Length: 3\r\n".to_vec()),
        Just(b"Content-Length: 3, 3\r\n".to_vec()),
        Just(b"Content-Length: 4\r\n".to_vec()),
        Just(b"Transfer-Encoding: chunked\r\n".to_vec()),
        Just(b"Transfer-Encoding: gzip\r\n".to_vec()),
        Just(b"Expect: 100-continue\r\n".to_vec()),
        Just(b"Connection: close\r\n".to_vec()),
        Just(b" folded\r\n".to_vec()),
        Just(b"X : y\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"abc".to_vec()),
        Just(b"3\r\nabc\r\n0\r\n\r\n".to_vec()),
        prop::collection::vec(any::<u8>(), 0..12),
    ]
}

fn nearly_valid() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(fragment(), 1..12).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_read_one_way(input in prop::collection::vec(any::<u8>(), 0..600), step in 1usize..40) {
        prop_assert_eq!(read_head(&input, input.len().max(1)), read_head(&input, step));
    }

    #[test]
    fn nearly_valid_heads_read_one_way(input in nearly_valid(), step in 1usize..17) {
        let whole = read_head(&input, input.len().max(1));
        prop_assert_eq!(&whole, &read_head(&input, step));
        prop_assert_eq!(&whole, &read_head(&input, 1));
    }

    #[test]
    fn chunked_bodies_read_one_way(input in prop::collection::vec(fragment(), 1..8).prop_map(|p| p.concat()), step in 1usize..9) {
        prop_assert_eq!(read_chunked(&input, input.len().max(1)), read_chunked(&input, step));
    }

    #[test]
    fn valid_chunked_bodies_round_trip(pieces in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..50), 0..6), step in 1usize..30) {
        let mut input = Vec::new();
        for p in &pieces {
            input.extend_from_slice(format!("{:x}\r\n", p.len()).as_bytes());
            input.extend_from_slice(p);
            input.extend_from_slice(b"\r\n");
        }
        input.extend_from_slice(b"0\r\n\r\n");
        let (body, used) = read_chunked(&input, step).unwrap();
        prop_assert_eq!(body, pieces.concat());
        prop_assert_eq!(used, input.len());
    }
}
