//! Content codings (RFC 9110 §8.4.1): `/gzip`, `/deflate`, `/brotli` and
//! `/zstd` answer httpbin's echo with that coding applied, whatever the
//! request's `Accept-Encoding` (they exist to be decoded), and say so with
//! `Content-Encoding` and `Vary: Accept-Encoding`.

use std::io::{Read, Write};

use bytes::Bytes;

use serde_json::{json, Value};
use teapot_wire::{Exchange, Head, Status};

use super::{echo, sent, Outcome};
use crate::problem::Problem;

/// The codings teapot applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// `gzip` (RFC 1952).
    Gzip,
    /// `deflate`: the zlib format (RFC 1950) around a deflate stream, as
    /// RFC 9110 §8.4.1.2 defines it.
    Deflate,
    /// `br` (RFC 7932).
    Brotli,
    /// `zstd` (RFC 8878).
    Zstd,
}

impl Coding {
    /// Its name in `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
        }
    }

    /// The member of the echo that says the answer was coded (httpbin's
    /// names).
    fn flag(self) -> &'static str {
        match self {
            Coding::Gzip => "gzipped",
            Coding::Deflate => "deflated",
            Coding::Brotli => "brotli",
            Coding::Zstd => "zstd",
        }
    }

    /// `data`, coded.
    pub fn encode(self, data: &[u8]) -> Vec<u8> {
        match self {
            Coding::Gzip => {
                let mut w =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                let _ = w.write_all(data);
                w.finish().unwrap_or_default()
            }
            Coding::Deflate => {
                let mut w =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                let _ = w.write_all(data);
                w.finish().unwrap_or_default()
            }
            Coding::Brotli => {
                let mut out = Vec::new();
                {
                    let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                    let _ = w.write_all(data);
                }
                out
            }
            Coding::Zstd => zstd::encode_all(data, 3).unwrap_or_default(),
        }
    }
}

impl Coding {
    /// The coding named `token` (`x-gzip` as `gzip`, RFC 9110 §8.4.1.3).
    pub fn from_token(token: &str) -> Option<Coding> {
        match token.trim().to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Coding::Gzip),
            "deflate" => Some(Coding::Deflate),
            "br" => Some(Coding::Brotli),
            "zstd" => Some(Coding::Zstd),
            _ => None,
        }
    }

    /// `data` decoded, never more than `limit` bytes of it (a small body
    /// that decodes to a huge one is stopped there, not decoded).
    pub fn decode(self, data: &[u8], limit: usize) -> Result<Vec<u8>, Undecodable> {
        let reader: Box<dyn Read + '_> = match self {
            Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(data)),
            Coding::Deflate => Box::new(flate2::read::ZlibDecoder::new(data)),
            Coding::Brotli => Box::new(brotli::Decompressor::new(data, 4096)),
            Coding::Zstd => {
                Box::new(zstd::stream::read::Decoder::new(data).map_err(|_| Undecodable::Invalid)?)
            }
        };
        let mut out = Vec::new();
        // One byte over the limit tells a body that is too large.
        reader
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|_| Undecodable::Invalid)?;
        if out.len() > limit {
            return Err(Undecodable::TooLarge);
        }
        Ok(out)
    }
}

/// Why a coded body could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undecodable {
    /// It is not in the coding it claims.
    Invalid,
    /// It decodes to more than the limit.
    TooLarge,
}

/// The codings a request body may come in, for `Accept-Encoding` on a 415.
pub const ACCEPTED: &str = "gzip, deflate, br, zstd";

/// A request body with its `Content-Encoding` (a list, applied in order)
/// undone; at most `limit` bytes once decoded. A coding teapot does not
/// know is 415 with `Accept-Encoding` (RFC 7694 §3); a body that does not
/// decode, 400; one that decodes past the limit, 413.
pub fn decode_request(codings: Option<&str>, body: Bytes, limit: usize) -> Result<Bytes, Problem> {
    let Some(codings) = codings.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(body);
    };
    let mut list = Vec::new();
    for token in codings.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if token.eq_ignore_ascii_case("identity") {
            continue;
        }
        let coding = Coding::from_token(token).ok_or_else(|| {
            Problem::new(
                415,
                format!("The request body's coding {token:?} is not one this server decodes ({ACCEPTED})."),
            )
            .kind("unsupported-coding")
            .header("Accept-Encoding", ACCEPTED)
        })?;
        list.push(coding);
    }
    let mut data = body;
    for coding in list.into_iter().rev() {
        let decoded = coding.decode(&data, limit).map_err(|e| match e {
            Undecodable::TooLarge => {
                Problem::new(413, format!("The body decodes to more than {limit} bytes."))
            }
            Undecodable::Invalid => Problem::bad_request(format!(
                "The request body is not valid {} content.",
                coding.token()
            ))
            .kind("bad-coding"),
        })?;
        data = Bytes::from(decoded);
    }
    Ok(data)
}

/// The codings `/coded` offers, in the order it prefers them at equal
/// weight.
const OFFERED: [Coding; 4] = [Coding::Brotli, Coding::Zstd, Coding::Gzip, Coding::Deflate];

/// What `Accept-Encoding` (RFC 9110 §12.5.3) chooses among [`OFFERED`] and
/// identity: `Ok(Some(coding))`, `Ok(None)` for identity, `Err(())` when
/// the client refuses identity and every coding offered. Without the field
/// the answer is identity; an empty one accepts identity alone.
pub fn negotiate(accept: Option<&str>) -> Result<Option<Coding>, ()> {
    let Some(accept) = accept else {
        return Ok(None);
    };
    let mut weights: Vec<(String, f32)> = Vec::new();
    for item in accept.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        for p in parts {
            if let Some(v) = p
                .trim()
                .strip_prefix("q=")
                .or_else(|| p.trim().strip_prefix("Q="))
            {
                q = v
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|q| (0.0..=1.0).contains(q))
                    .unwrap_or(0.0);
            }
        }
        weights.push((name, q));
    }
    let weight = |name: &str| {
        weights
            .iter()
            .find(|(n, _)| n == name || (name == "gzip" && n == "x-gzip"))
            .or_else(|| weights.iter().find(|(n, _)| n == "*"))
            .map(|(_, q)| *q)
    };
    let mut best: Option<(Option<Coding>, f32)> = None;
    for coding in OFFERED {
        if let Some(q) = weight(coding.token()).filter(|q| *q > 0.0) {
            if best.is_none_or(|(_, b)| q > b) {
                best = Some((Some(coding), q));
            }
        }
    }
    // Identity is acceptable unless refused, by name or by `*;q=0`.
    let identity = match weights.iter().find(|(n, _)| n == "identity") {
        Some((_, q)) => *q,
        None => match weights.iter().find(|(n, _)| n == "*") {
            Some((_, q)) if *q == 0.0 => 0.0,
            _ => 0.001,
        },
    };
    if identity > 0.0 && best.is_none_or(|(_, b)| identity > b) {
        best = Some((None, identity));
    }
    best.map(|(c, _)| c).ok_or(())
}

/// `/coded`: the request as `/get` shows it, in the content coding
/// `Accept-Encoding` likes best (br, zstd, gzip, deflate or none), with
/// `Vary: Accept-Encoding`; 406 when the client refuses identity and every
/// coding here (RFC 9110 §12.5.3).
pub async fn negotiated(ex: &mut Exchange<'_>) -> Outcome {
    let chosen = negotiate(ex.request().header_str("accept-encoding")).map_err(|()| {
        Problem::new(
            406,
            "The request refuses identity and every coding here (br, zstd, gzip, deflate).",
        )
        .header("Vary", "Accept-Encoding")
    })?;
    let mut doc = serde_json::Map::new();
    doc.insert(
        "coding".into(),
        json!(chosen.map_or("identity", Coding::token)),
    );
    doc.insert("headers".into(), echo::headers(ex));
    doc.insert("method".into(), json!(ex.request().method().as_str()));
    doc.insert("origin".into(), json!(echo::origin(ex)));
    let mut text = serde_json::to_vec_pretty(&Value::Object(doc)).unwrap_or_default();
    text.push(b'\n');
    let mut head = Head::new(Status::OK)
        .header("Content-Type", "application/json")
        .header("Vary", "Accept-Encoding");
    let body = match chosen {
        Some(c) => {
            head = head.header("Content-Encoding", c.token());
            c.encode(&text)
        }
        None => text,
    };
    sent(ex.respond(head, body).await)
}

/// `/gzip`, `/deflate`, `/brotli`, `/zstd`: the request as `/get` shows it
/// (without `url`, as httpbin), coded.
pub async fn coded(ex: &mut Exchange<'_>, coding: Coding) -> Outcome {
    let mut doc = serde_json::Map::new();
    doc.insert(coding.flag().into(), Value::Bool(true));
    doc.insert("headers".into(), echo::headers(ex));
    doc.insert("method".into(), json!(ex.request().method().as_str()));
    doc.insert("origin".into(), json!(echo::origin(ex)));
    let mut text = serde_json::to_vec_pretty(&Value::Object(doc)).unwrap_or_default();
    text.push(b'\n');
    let head = Head::new(Status::OK)
        .header("Content-Type", "application/json")
        .header("Content-Encoding", coding.token())
        .header("Vary", "Accept-Encoding");
    sent(ex.respond(head, coding.encode(&text)).await)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn each_coding_decodes_with_its_own_decoder() {
        let text = b"short and stout, short and stout, short and stout".repeat(20);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&Coding::Gzip.encode(&text)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text);
        out.clear();
        flate2::read::ZlibDecoder::new(&Coding::Deflate.encode(&text)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text);
        out.clear();
        brotli::Decompressor::new(&Coding::Brotli.encode(&text)[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text);
        assert_eq!(
            zstd::decode_all(&Coding::Zstd.encode(&text)[..]).unwrap(),
            text
        );
        assert!(Coding::Gzip.encode(&text).len() < text.len());
    }

    #[test]
    fn accept_encoding_is_weighed() {
        use Coding::*;
        assert_eq!(negotiate(None), Ok(None));
        assert_eq!(negotiate(Some("")), Ok(None));
        assert_eq!(negotiate(Some("gzip")), Ok(Some(Gzip)));
        assert_eq!(negotiate(Some("gzip, deflate, br")), Ok(Some(Brotli)));
        assert_eq!(negotiate(Some("br;q=0.5, gzip")), Ok(Some(Gzip)));
        assert_eq!(negotiate(Some("x-gzip")), Ok(Some(Gzip)));
        assert_eq!(negotiate(Some("*")), Ok(Some(Brotli)));
        assert_eq!(negotiate(Some("*;q=0.5, zstd")), Ok(Some(Zstd)));
        assert_eq!(
            negotiate(Some("compress")),
            Ok(None),
            "identity is still acceptable"
        );
        assert_eq!(negotiate(Some("identity;q=1, gzip;q=0.5")), Ok(None));
        assert_eq!(negotiate(Some("gzip;q=0, identity")), Ok(None));
        assert_eq!(negotiate(Some("identity;q=0")), Err(()));
        assert_eq!(negotiate(Some("*;q=0")), Err(()));
        assert_eq!(negotiate(Some("compress, identity;q=0")), Err(()));
        assert_eq!(negotiate(Some("deflate, *;q=0")), Ok(Some(Deflate)));
    }

    #[test]
    fn request_bodies_are_decoded_within_their_limit() {
        let text = b"tea ".repeat(1000);
        for coding in [Coding::Gzip, Coding::Deflate, Coding::Brotli, Coding::Zstd] {
            let coded = Bytes::from(coding.encode(&text));
            let got = decode_request(Some(coding.token()), coded.clone(), 10_000).unwrap();
            assert_eq!(got, text, "{coding:?}");
            // A bomb stops at the limit.
            let err = decode_request(Some(coding.token()), coded, 100).unwrap_err();
            assert_eq!(err.status().as_u16(), 413, "{coding:?}");
        }
        // Two codings, applied in order, undone in reverse.
        let twice = Coding::Brotli.encode(&Coding::Gzip.encode(b"hi"));
        assert_eq!(
            decode_request(Some("gzip, br"), Bytes::from(twice), 100).unwrap(),
            &b"hi"[..]
        );
        let err = decode_request(Some("compress"), Bytes::from_static(b"x"), 100).unwrap_err();
        assert_eq!(err.status().as_u16(), 415);
        let err = decode_request(Some("gzip"), Bytes::from_static(b"not gzip"), 100).unwrap_err();
        assert_eq!(err.status().as_u16(), 400);
        assert_eq!(
            decode_request(None, Bytes::from_static(b"x"), 100).unwrap(),
            &b"x"[..]
        );
        assert_eq!(
            decode_request(Some("identity"), Bytes::from_static(b"x"), 100).unwrap(),
            &b"x"[..]
        );
    }
}
