//! Content codings (RFC 9110 §8.4.1): `/gzip`, `/deflate`, `/brotli` and
//! `/zstd` answer httpbin's echo with that coding applied, whatever the
//! request's `Accept-Encoding` (they exist to be decoded), and say so with
//! `Content-Encoding` and `Vary: Accept-Encoding`.

use std::io::Write;

use serde_json::{json, Value};
use teapot_wire::{Exchange, Head, Status};

use super::{echo, sent, Outcome};

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
}
