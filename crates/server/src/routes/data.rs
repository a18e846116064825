//! Generated data, as httpbin and go-httpbin give it: a fresh UUID, base64
//! both ways, a page of links, an endpoint that fails at a given rate.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::json;
use teapot_wire::{Exchange, Head, Status};

use super::{query_pairs, reply_json, sent, Outcome};
use crate::problem::Problem;

/// The longest input `/base64` takes.
const MAX_BASE64: usize = 64 * 1024;

/// The most links `/links` makes.
const MAX_LINKS: usize = 256;

/// `/uuid`: a random (version 4) UUID.
pub async fn uuid(ex: &mut Exchange<'_>) -> Outcome {
    reply_json(ex, Head::new(Status::OK), &json!({ "uuid": uuid_v4() })).await
}

/// A random UUID, version 4, variant 1 (RFC 9562 §5.4), lower case.
pub fn uuid_v4() -> String {
    let mut b: [u8; 16] = fastrand::u128(..).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn bad(detail: String) -> Problem {
    Problem::bad_request(detail).kind("bad-option")
}

/// Base64 with either alphabet's padding optional.
fn engine(alphabet: &alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

/// What `/base64` does with its input.
pub fn transform(operation: &str, data: &str) -> Result<Vec<u8>, Problem> {
    if data.is_empty() {
        return Err(bad("Nothing to encode or decode.".into()));
    }
    if data.len() > MAX_BASE64 {
        return Err(bad(format!("At most {MAX_BASE64} bytes of input.")));
    }
    let data = percent_encoding::percent_decode_str(data).collect::<Vec<u8>>();
    match operation {
        // Encoding always uses the URL-safe alphabet, as go-httpbin does.
        "encode" => Ok(engine(&alphabet::URL_SAFE).encode(&data).into_bytes()),
        "decode" => engine(&alphabet::URL_SAFE)
            .decode(&data)
            .or_else(|_| engine(&alphabet::STANDARD).decode(&data))
            .map_err(|e| bad(format!("Not base64: {e}."))),
        other => Err(bad(format!(
            "The operation {other:?} is neither encode nor decode."
        ))),
    }
}

/// `/base64/{value}` (decode) and `/base64/{operation}/{value}`: the result
/// as plain text, or as `?content-type=` says (HTML-escaped when a browser
/// would run it).
pub async fn base64(ex: &mut Exchange<'_>, operation: &str, data: &str) -> Outcome {
    let mut out = transform(operation, data)?;
    let asked = query_pairs(ex)
        .into_iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v);
    let ctype = match asked {
        Some(c) if teapot_wire::response::is_field_value(c.as_bytes()) && !c.is_empty() => c,
        Some(c) => return Err(bad(format!("{c:?} is not a media type."))),
        None => "text/plain; charset=utf-8".to_string(),
    };
    let lower = ctype.to_ascii_lowercase();
    if ["html", "xml", "svg", "javascript", "ecmascript"]
        .iter()
        .any(|d| lower.contains(d))
    {
        out = html_escape(&String::from_utf8_lossy(&out)).into_bytes();
    }
    let head = Head::new(Status::OK).header("Content-Type", ctype);
    sent(ex.respond(head, out).await)
}

/// Text safe inside HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn count(what: &str, n: &str, max: usize) -> Result<usize, Problem> {
    n.parse::<usize>()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| {
            bad(format!(
                "The {what} {n:?} must be a number from 0 to {max}."
            ))
        })
}

/// `/links/{n}`: 302 to `/links/{n}/0`.
pub async fn links_start(ex: &mut Exchange<'_>, n: &str) -> Outcome {
    let n = count("link count", n, MAX_LINKS)?;
    let head = Head::new(Status::FOUND)
        .header("Location", format!("/links/{n}/0"))
        .header("Content-Type", "text/plain; charset=utf-8");
    sent(ex.respond(head, format!("See /links/{n}/0\n")).await)
}

/// `/links/{n}/{offset}`: an HTML page of `n` links, all but the one at
/// `offset` followable.
pub async fn links(ex: &mut Exchange<'_>, n: &str, offset: &str) -> Outcome {
    let n = count("link count", n, MAX_LINKS)?;
    let offset = count("offset", offset, usize::MAX)?;
    let mut page = String::from("<html><head><title>Links</title></head><body>");
    for i in 0..n {
        if i == offset {
            page.push_str(&format!("{i} "));
        } else {
            page.push_str(&format!("<a href='/links/{n}/{i}'>{i}</a> "));
        }
    }
    page.push_str("</body></html>");
    let head = Head::new(Status::OK).header("Content-Type", "text/html; charset=utf-8");
    sent(ex.respond(head, page).await)
}

/// `/unstable?failure_rate=F&seed=S`: 500 with probability `F` (default
/// one half), else 200; with a seed, the same answer every time.
pub async fn unstable(ex: &mut Exchange<'_>) -> Outcome {
    let mut rate = 0.5;
    let mut rng = fastrand::Rng::new();
    for (k, v) in query_pairs(ex) {
        match k.as_str() {
            "failure_rate" => {
                rate = v
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| {
                        bad(format!(
                            "The failure rate {v:?} must be a number from 0 to 1."
                        ))
                    })?;
            }
            "seed" => {
                let seed = v
                    .parse::<u64>()
                    .map_err(|_| bad(format!("The seed {v:?} must be a whole number.")))?;
                rng = fastrand::Rng::with_seed(seed);
            }
            _ => {}
        }
    }
    let status = if rng.f64() < rate {
        Status::INTERNAL_SERVER_ERROR
    } else {
        Status::OK
    };
    let head = Head::new(status).header("Content-Type", "text/plain; charset=utf-8");
    sent(ex.respond(head, "").await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_is_version_4_variant_1() {
        let a = uuid_v4();
        assert_eq!(a.len(), 36);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!("89ab".contains(&parts[3][..1]), "{a}");
        assert!(a
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(a, uuid_v4());
    }

    #[test]
    fn base64_both_ways_and_both_alphabets() {
        let greeting = "Здравствуй, мир!";
        let encoded = transform("encode", greeting).unwrap();
        let encoded = String::from_utf8(encoded).unwrap();
        assert_eq!(encoded, "0JfQtNGA0LDQstGB0YLQstGD0LksINC80LjRgCE=");
        assert_eq!(transform("decode", &encoded).unwrap(), greeting.as_bytes());
        // Unpadded, and the standard alphabet.
        assert_eq!(transform("decode", "aGk").unwrap(), b"hi");
        assert_eq!(transform("decode", "-_8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(transform("decode", "+/8=").unwrap(), [0xfb, 0xff]);
        assert!(transform("decode", "!!").is_err());
        assert!(transform("rot13", "x").is_err());
        assert!(transform("decode", "").is_err());
    }

    #[test]
    fn escaped_for_html() {
        assert_eq!(
            html_escape("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
