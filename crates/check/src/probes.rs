//! Active probes: after a 200 to GET or HEAD, the checker asks again the
//! ways a cache or a client would, and judges the answers against the
//! first: a conditional request with the validators it got, a range when
//! ranges are offered, a compressed answer, and HEAD against GET. Each
//! probe's exchange is linted like any other (a 304 is compared with the
//! 200), and its own rule says what the probe expected. Never for unsafe
//! methods: a probe repeats the request.

use std::io::Read;

use serde::Serialize;

use crate::client::{self, Request};
use crate::exchange::{Exchange, Response};
use crate::lints::{self, finding, Finding, Severity};
use crate::Options;

// The probes' rules, listed with the others; their findings come from
// [`run`], not from one exchange, so their checks find nothing alone.

/// A conditional request with the validator received gets 304.
pub const CONDITIONAL: lints::Rule = lints::Rule {
    id: "probe.conditional",
    section: "RFC 9110 §13.1",
    doc: "Asked again with the validator received, the server answers 304.",
    check: |_| Vec::new(),
};

/// A range, when ranges are offered, gets 206 and those bytes.
pub const RANGE: lints::Rule = lints::Rule {
    id: "probe.range",
    section: "RFC 9110 §14.3",
    doc: "Offering Accept-Ranges: bytes, the server answers a range with 206 and those bytes.",
    check: |_| Vec::new(),
};

/// A coded answer decodes and says Vary: Accept-Encoding.
pub const CODING: lints::Rule = lints::Rule {
    id: "probe.coding",
    section: "RFC 9110 §12.5.5",
    doc: "Asked for a coding, the server sends content that decodes, with Vary: Accept-Encoding.",
    check: |_| Vec::new(),
};

/// HEAD gets GET's status and fields.
pub const HEAD: lints::Rule = lints::Rule {
    id: "probe.head",
    section: "RFC 9110 §9.3.2",
    doc: "HEAD gets the status and fields GET gets.",
    check: |_| Vec::new(),
};

/// One probe: what it asked, the exchange, and its findings.
#[derive(Clone, Debug, Serialize)]
pub struct Probe {
    /// What the probe is (`conditional`, `range`, `coding`, `head`).
    pub name: &'static str,
    /// The exchange.
    pub exchange: Exchange,
    /// Its findings: the probe's own, and the rules' on its answer.
    pub findings: Vec<Finding>,
}

/// Runs the probes a 200 to a GET (or HEAD) calls for.
pub async fn run(request: &Request, first: &Exchange, options: &Options) -> Vec<Probe> {
    let method = request.method.to_ascii_uppercase();
    let Some(r) = first.final_response.as_ref() else {
        return Vec::new();
    };
    if !(method == "GET" || method == "HEAD") || r.status != 200 {
        return Vec::new();
    }
    let mut out = Vec::new();
    // A conditional request with the validator received.
    let condition = match (r.header("etag"), r.header("last-modified")) {
        (Some(tag), _) => Some(("If-None-Match", tag)),
        (None, Some(date)) => Some(("If-Modified-Since", date)),
        (None, None) => None,
    };
    if let Some((name, value)) = condition {
        let ask = with_header(request, name, value);
        if let Ok(ex) = client::exchange(&ask, options.timeout, options.settle).await {
            let mut findings = lint(&ex, Some(r));
            if ex.final_response.as_ref().map(|p| p.status) == Some(200) {
                findings.push(finding(
                    "probe.conditional",
                    Severity::Should,
                    "RFC 9110 §13.1",
                    format!(
                        "Asked again with {name}: {value}, the server answered 200 with the whole content; a 304 saves the transfer."
                    ),
                ));
            }
            out.push(Probe {
                name: "conditional",
                exchange: ex,
                findings,
            });
        }
    }
    if method != "GET" {
        return out;
    }
    // A range, when ranges are offered.
    let len = r.body.len();
    if r.has_token("accept-ranges", "bytes") && len >= 2 && !r.truncated {
        let last = (len / 2).min(1023);
        let ask = with_header(request, "Range", &format!("bytes=0-{last}"));
        if let Ok(ex) = client::exchange(&ask, options.timeout, options.settle).await {
            let mut findings = lint(&ex, None);
            if let Some(p) = &ex.final_response {
                let same_tag = p.header("etag").is_some() && p.header("etag") == r.header("etag");
                match p.status {
                    200 => findings.push(finding(
                        "probe.range",
                        Severity::Should,
                        "RFC 9110 §14.3",
                        "The answer offers Accept-Ranges: bytes, but a Range request got the whole content (200).",
                    )),
                    206 if same_tag && p.body != r.body[..=last.min(len - 1)] => {
                        findings.push(finding(
                            "probe.range",
                            Severity::Must,
                            "RFC 9110 §15.3.7",
                            format!("The 206 for bytes 0-{last} is not those bytes of the 200 with the same ETag."),
                        ))
                    }
                    _ => {}
                }
            }
            out.push(Probe {
                name: "range",
                exchange: ex,
                findings,
            });
        }
    }
    // A compressed answer, when the first was not.
    if r.header("content-encoding").is_none() && !r.body.is_empty() && !r.truncated {
        let ask = with_header(request, "Accept-Encoding", "gzip, deflate, br");
        if let Ok(ex) = client::exchange(&ask, options.timeout, options.settle).await {
            let mut findings = lint(&ex, None);
            if let Some(p) = &ex.final_response {
                if let Some(coding) = p.header("content-encoding") {
                    match decode(coding, &p.body) {
                        Err(Undecoded::NotAsked) => findings.push(finding(
                            "probe.coding",
                            Severity::Should,
                            "RFC 9110 §12.5.3",
                            format!("Asked for gzip, deflate or br, the server answered in {coding}."),
                        )),
                        Err(Undecoded::Invalid) => findings.push(finding(
                            "probe.coding",
                            Severity::Must,
                            "RFC 9110 §8.4",
                            format!("The content says Content-Encoding: {coding} but does not decode as such."),
                        )),
                        Ok(_) => {
                            if !p.has_token("vary", "accept-encoding") && !p.has_token("vary", "*") {
                                findings.push(finding(
                                    "probe.coding",
                                    Severity::Should,
                                    "RFC 9110 §12.5.5",
                                    format!("The answer is {coding}-coded when asked and not otherwise, but has no Vary: Accept-Encoding; a cache may give the coded copy to a client that cannot decode it."),
                                ));
                            }
                            if p.body_bytes > r.body_bytes {
                                findings.push(finding(
                                    "probe.coding",
                                    Severity::Info,
                                    "RFC 9110 §8.4.1",
                                    format!(
                                        "The {coding}-coded content ({} bytes) is larger than the plain one ({} bytes): coding costs more than it saves here.",
                                        p.body_bytes, r.body_bytes
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
            out.push(Probe {
                name: "coding",
                exchange: ex,
                findings,
            });
        }
    }
    // HEAD against GET.
    let mut head = request.clone();
    head.method = "HEAD".into();
    if let Ok(ex) = client::exchange(&head, options.timeout, options.settle).await {
        let mut findings = lint(&ex, None);
        if let Some(p) = &ex.final_response {
            if p.status != r.status {
                findings.push(finding(
                    "probe.head",
                    Severity::Should,
                    "RFC 9110 §9.3.2",
                    format!("HEAD got {} where GET got {}.", p.status, r.status),
                ));
            } else {
                for name in ["content-type", "etag", "last-modified", "cache-control"] {
                    let (g, h) = (r.header(name), p.header(name));
                    // ETag and Last-Modified of content made anew each time
                    // may differ; a field one has and the other lacks is
                    // what is worth saying.
                    if g.is_some() != h.is_some() || (name == "content-type" && g != h) {
                        findings.push(finding(
                            "probe.head",
                            Severity::Should,
                            "RFC 9110 §9.3.2",
                            format!(
                                "HEAD's {name} ({}) differs from GET's ({}).",
                                h.unwrap_or("none"),
                                g.unwrap_or("none")
                            ),
                        ));
                    }
                }
            }
        }
        out.push(Probe {
            name: "head",
            exchange: ex,
            findings,
        });
    }
    out
}

fn with_header(request: &Request, name: &str, value: &str) -> Request {
    let mut ask = request.clone();
    ask.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    ask.headers.push((name.to_string(), value.to_string()));
    ask
}

fn lint(ex: &Exchange, reference: Option<&Response>) -> Vec<Finding> {
    lints::lint(&lints::Context {
        exchange: ex,
        reference,
    })
}

/// Why coded content was not decoded.
enum Undecoded {
    /// A coding the probe did not ask for.
    NotAsked,
    /// Not in the coding it claims.
    Invalid,
}

/// Content decoded from one coding, within 16 MiB.
fn decode(coding: &str, data: &[u8]) -> Result<Vec<u8>, Undecoded> {
    let reader: Box<dyn Read + '_> = match coding.trim().to_ascii_lowercase().as_str() {
        "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(data)),
        "deflate" => Box::new(flate2::read::ZlibDecoder::new(data)),
        "br" => Box::new(brotli::Decompressor::new(data, 4096)),
        _ => return Err(Undecoded::NotAsked),
    };
    let mut out = Vec::new();
    reader
        .take(16 << 20)
        .read_to_end(&mut out)
        .map_err(|_| Undecoded::Invalid)?;
    Ok(out)
}
