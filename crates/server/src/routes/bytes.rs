//! Resources with validators, ranges and caching: `/bytes/{n}`,
//! `/range/{n}`, `/etag/{etag}`, `/cache` and `/cache/{seconds}`. Their
//! 304, 412, 206 and 416 answers are earned from the request's conditions
//! and ranges, evaluated as RFC 9110 §13 and §14 say.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde_json::json;
use teapot_wire::{Exchange, Head, Method};

use super::pyrandom::Mt19937;
use super::{query_pairs, sent, status, Outcome};
use crate::app::App;
use crate::conditional::{evaluate, if_range_holds, Decision, Validators};
use crate::problem::Problem;
use crate::ranges::{self, Ranges};

/// The largest `/bytes/{n}` or `/range/{n}`.
pub const MAX_BYTES: u64 = 100 * 1024;

fn size(n: &str) -> Result<u64, Problem> {
    n.parse::<u64>()
        .ok()
        .filter(|n| *n <= MAX_BYTES)
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "The size must be a whole number of bytes up to {MAX_BYTES}, not {n:?}."
            ))
            .kind("bad-option")
        })
}

/// A stream of random bytes that comes out the same however it is cut into
/// pieces: `/bytes` and `/stream-bytes` give the same bytes for a seed, and
/// for a seed the bytes httpbin gives (Python's generator).
pub enum RandomBytes {
    /// Unseeded: fast, and different every time.
    Fresh(Box<Lanes>),
    /// Seeded: Python's `random.seed(S)` and `randint(0, 255)`.
    Seeded(Box<Mt19937>),
}

impl RandomBytes {
    /// Bytes for `seed`, or fresh ones.
    pub fn new(seed: Option<u64>) -> RandomBytes {
        match seed {
            Some(s) => RandomBytes::Seeded(Box::new(Mt19937::python_seed(s))),
            None => RandomBytes::Fresh(Box::new(Lanes::new(fastrand::u64(..)))),
        }
    }

    /// Fills `buf` with the next bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        match self {
            RandomBytes::Seeded(mt) => buf.iter_mut().for_each(|b| *b = mt.byte()),
            RandomBytes::Fresh(lanes) => lanes.fill(buf),
        }
    }
}

/// Eight xorshift128+ generators side by side, 64 bytes a step. Their
/// state updates are shifts, exclusive-ors and an addition, with no
/// multiplication, so the compiler runs the eight in vector registers:
/// several times the bytes per cycle of one multiplying generator, which
/// matters where a response is a megabyte of fresh random bytes. Good
/// enough to look random and not compress; not for secrets.
pub struct Lanes {
    s0: [u64; 8],
    s1: [u64; 8],
    /// Bytes of the last step not handed out yet, from the end of `spare`.
    spare: [u8; 64],
    left: usize,
}

impl Lanes {
    /// Generators seeded from `seed` (through SplitMix64, so that no lane
    /// starts at zero or near another).
    pub fn new(seed: u64) -> Lanes {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) | 1
        };
        let s0 = std::array::from_fn(|_| next());
        let s1 = std::array::from_fn(|_| next());
        Lanes {
            s0,
            s1,
            spare: [0; 64],
            left: 0,
        }
    }

    /// The next 64 bytes into `out`, eight from each lane. The state is
    /// taken by value so that it stays in registers over a long fill.
    #[inline(always)]
    fn step(s0: &mut [u64; 8], s1: &mut [u64; 8], out: &mut [u8]) {
        let mut words = [0u64; 8];
        for i in 0..8 {
            let mut x = s0[i];
            let y = s1[i];
            s0[i] = y;
            x ^= x << 23;
            s1[i] = x ^ y ^ (x >> 17) ^ (y >> 26);
            words[i] = s1[i].wrapping_add(y);
        }
        for (b, w) in out.chunks_exact_mut(8).zip(words) {
            b.copy_from_slice(&w.to_le_bytes());
        }
    }

    /// Fills `buf` with the next bytes; pieces of any size join up into
    /// one stream.
    pub fn fill(&mut self, mut buf: &mut [u8]) {
        let k = self.left.min(buf.len());
        buf[..k].copy_from_slice(&self.spare[64 - self.left..][..k]);
        self.left -= k;
        buf = &mut buf[k..];
        let (mut s0, mut s1) = (self.s0, self.s1);
        let mut blocks = buf.chunks_exact_mut(64);
        for b in &mut blocks {
            Lanes::step(&mut s0, &mut s1, b);
        }
        let rest = blocks.into_remainder();
        if !rest.is_empty() {
            Lanes::step(&mut s0, &mut s1, &mut self.spare);
            rest.copy_from_slice(&self.spare[..rest.len()]);
            self.left = 64 - rest.len();
        }
        (self.s0, self.s1) = (s0, s1);
    }
}

/// `/bytes/{n}?seed=S`: `n` random bytes; the same bytes for the same seed.
pub async fn random_bytes(app: &App, ex: &mut Exchange<'_>, n: &str) -> Outcome {
    let n = size(n)?;
    let mut seed = None;
    for (k, v) in query_pairs(ex) {
        if k == "seed" {
            seed = Some(v.parse::<u64>().map_err(|_| {
                Problem::bad_request(format!("seed must be a whole number, not {v:?}."))
                    .kind("bad-option")
            })?);
        }
    }
    let etag = match seed {
        Some(s) => format!("\"bytes-{n}-{s}\""),
        // Unseeded bytes differ every time: their tag does too.
        None => format!("\"bytes-{n}-{}\"", fastrand::u64(..)),
    };
    // Unseeded bytes are new at every request: they have no modification
    // time to speak of, and a range of them would not be a part of the
    // bytes another request got.
    let stable = seed.is_some();
    let v = Validators {
        etag,
        last_modified: stable.then_some(app.started),
    };
    let mut bytes = RandomBytes::new(seed);
    let fill = move |buf: &mut [u8]| bytes.fill(buf);
    let content = Content::Made {
        len: n,
        fill: Box::new(fill),
        pace: None,
    };
    serve_ranged(ex, content, &v, "application/octet-stream", None, stable).await
}

/// `/range/{n}`: `n` bytes of the alphabet, repeated; honours `Range` and
/// `If-Range`.
pub async fn range(app: &App, ex: &mut Exchange<'_>, n: &str) -> Outcome {
    let n = size(n)?;
    let v = Validators {
        etag: format!("\"range{n}\""),
        last_modified: Some(app.started),
    };
    let mut at = 0u64;
    let fill = move |buf: &mut [u8]| {
        for b in buf {
            *b = b'a' + (at % 26) as u8;
            at += 1;
        }
    };
    let content = Content::Made {
        len: n,
        fill: Box::new(fill),
        pace: pacing(app, ex, n)?,
    };
    serve_ranged(ex, content, &v, "application/octet-stream", None, true).await
}

/// `/range`'s `chunk_size` (default 10 KiB) and `duration` (spread over
/// the whole length, at most the server's `max_delay`), as httpbin reads
/// them; `None` without either.
fn pacing(app: &App, ex: &Exchange<'_>, len: u64) -> Result<Option<(usize, Duration)>, Problem> {
    let mut chunk = None;
    let mut span = None;
    for (k, v) in query_pairs(ex) {
        match k.as_str() {
            "chunk_size" => {
                let c = v.trim().parse::<i64>().map_err(|_| {
                    Problem::bad_request(format!("chunk_size {v:?} is not a whole number."))
                        .kind("bad-option")
                })?;
                chunk = Some(c.clamp(1, 1 << 20) as usize);
            }
            "duration" => span = Some(super::stream::duration("duration", &v, app.max_delay)?),
            _ => {}
        }
    }
    if chunk.is_none() && span.is_none() {
        return Ok(None);
    }
    let per_byte = span.unwrap_or_default() / u32::try_from(len.max(1)).unwrap_or(u32::MAX);
    Ok(Some((chunk.unwrap_or(10 * 1024), per_byte)))
}

/// Makes the next bytes of generated content, in order.
pub type Fill = Box<dyn FnMut(&mut [u8]) + Send>;

/// The content of a ranged resource.
pub enum Content {
    /// Made already.
    Whole(Bytes),
    /// `len` bytes that `fill` makes in order, each call the next ones: made
    /// only as fast as the client takes them (see `Exchange::ready`), so a
    /// client that reads slowly, or not at all, makes the server hold
    /// nothing.
    Made {
        len: u64,
        fill: Fill,
        /// Sent in pieces of at most this many bytes, each followed by a
        /// pause of this long a byte (httpbin's `chunk_size` and
        /// `duration`); `None` as fast as the client takes it.
        pace: Option<(usize, Duration)>,
    },
}

impl Content {
    fn len(&self) -> u64 {
        match self {
            Content::Whole(b) => b.len() as u64,
            Content::Made { len, .. } => *len,
        }
    }

    /// All of it, made now (for multipart ranges; the sizes are bounded by
    /// [`MAX_BYTES`]).
    fn whole(self) -> Bytes {
        match self {
            Content::Whole(b) => b,
            Content::Made { len, mut fill, .. } => {
                let mut out = vec![0u8; len as usize];
                fill(&mut out);
                Bytes::from(out)
            }
        }
    }
}

/// Sends bytes `from..=to` of `content` as the content of `head`.
async fn send_part(
    ex: &mut Exchange<'_>,
    head: Head,
    content: Content,
    from: u64,
    to: u64,
) -> Outcome {
    let (len, mut fill, pace) = match content {
        Content::Whole(b) => {
            let part = if b.is_empty() {
                b
            } else {
                b.slice(from as usize..=to as usize)
            };
            return sent(ex.respond(head, part).await);
        }
        Content::Made { len, fill, pace } => (len, fill, pace),
    };
    let count = if len == 0 { 0 } else { to - from + 1 };
    if let Err(e) = ex.start(head, Some(count)).await {
        return sent(Err(e));
    }
    if ex.is_head() {
        return sent(ex.finish().await);
    }
    const PIECE: u64 = 16 * 1024;
    if from > 0 {
        let mut scratch = vec![0u8; from.min(PIECE) as usize];
        let mut skip = from;
        while skip > 0 {
            let k = skip.min(PIECE) as usize;
            fill(&mut scratch[..k]);
            skip -= k as u64;
        }
    }
    // Each piece is made once the client can take it, and dropped once
    // written: while the client's window is shut the stream holds none.
    let most = pace.map_or(PIECE, |(chunk, _)| (chunk as u64).min(PIECE));
    let mut left = count;
    while left > 0 {
        let n = match ex.ready(left.min(most) as usize).await {
            Ok(n) => n,
            Err(e) => return sent(Err(e)),
        };
        // A paced piece takes its share of the duration before it goes.
        if let Some((_, per_byte)) = pace {
            tokio::time::sleep(per_byte * n as u32).await;
        }
        let mut piece = vec![0u8; n];
        fill(&mut piece);
        if let Err(e) = ex.write_bytes(Bytes::from(piece)).await {
            return sent(Err(e));
        }
        left -= n as u64;
    }
    sent(ex.finish().await)
}

/// `/etag/{etag}`: a JSON resource whose entity-tag is `"{etag}"`.
pub async fn etag(ex: &mut Exchange<'_>, tag: &str) -> Outcome {
    if tag.is_empty() || !tag.bytes().all(|b| b == 0x21 || (0x23..0x7f).contains(&b)) {
        return Err(
            Problem::bad_request(format!("{tag:?} cannot be an entity-tag.")).kind("bad-option"),
        );
    }
    let v = Validators {
        etag: format!("\"{tag}\""),
        last_modified: None,
    };
    let body = serde_json::to_vec_pretty(&json!({ "etag": tag })).unwrap_or_default();
    serve_ranged(
        ex,
        Content::Whole(Bytes::from(body)),
        &v,
        "application/json",
        None,
        true,
    )
    .await
}

/// `/cache`: validators for a conditional GET; `/cache/{seconds}`:
/// `Cache-Control: public, max-age={seconds}`.
pub async fn cache(app: &App, ex: &mut Exchange<'_>, seconds: Option<&str>) -> Outcome {
    let control = match seconds {
        Some(s) => {
            let n: u64 = s.parse().map_err(|_| {
                Problem::bad_request(format!(
                    "The freshness must be a whole number of seconds, not {s:?}."
                ))
                .kind("bad-option")
            })?;
            format!("public, max-age={n}")
        }
        None => "no-cache".to_string(),
    };
    let v = Validators {
        etag: "\"cache-v1\"".to_string(),
        last_modified: Some(app.started),
    };
    let body = serde_json::to_vec_pretty(&json!({ "cached": true, "cache_control": control }))
        .unwrap_or_default();
    serve_ranged(
        ex,
        Content::Whole(Bytes::from(body)),
        &v,
        "application/json",
        Some(control),
        true,
    )
    .await
}

/// Serves `data` with its validators: 304 or 412 when the preconditions
/// say so, 206 or 416 for a `Range` on GET (unless `If-Range` fails, or
/// the content is not `ranged`: not the same from one request to the
/// next), 200 otherwise. A 304 carries what the 200 would: `ETag`, `Last-Modified`'s
/// absence aside, `Cache-Control`.
pub async fn serve_ranged(
    ex: &mut Exchange<'_>,
    data: Content,
    v: &Validators,
    content_type: &str,
    cache_control: Option<String>,
    ranged: bool,
) -> Outcome {
    let mut head_fields: Vec<(&'static str, String)> = vec![("ETag", v.etag.clone())];
    if let Some(c) = &cache_control {
        head_fields.push(("Cache-Control", c.clone()));
    }
    let with = |code: u16, fields: &[(&'static str, String)]| {
        let mut head = Head::new(status(code));
        for (n, val) in fields {
            head.add(*n, val.clone());
        }
        head
    };
    match evaluate(ex.request(), v) {
        Decision::NotModified => {
            return sent(ex.respond(with(304, &head_fields), Bytes::new()).await)
        }
        Decision::Failed => {
            // Without the validators, as httpbin answers it.
            return Err(Problem::new(412, "A precondition (If-Match, If-None-Match or If-Unmodified-Since) does not hold for the current representation."));
        }
        Decision::Proceed => {}
    }
    if let Some(m) = v.last_modified {
        head_fields.push(("Last-Modified", httpdate::fmt_http_date(last_second(m))));
    }
    if ranged {
        head_fields.push(("Accept-Ranges", "bytes".into()));
    }
    let len = data.len();
    let range = ex.request().header_str("range").map(str::to_owned);
    let if_range = ex.request().header_str("if-range").map(str::to_owned);
    let use_range = ranged
        && ex.request().method() == Method::Get
        && if_range.as_deref().is_none_or(|r| if_range_holds(r, v));
    let asked = match (range, use_range) {
        (Some(r), true) => ranges::parse(&r, len),
        _ => Ranges::Full,
    };
    match asked {
        Ranges::Full => {
            let head = with(200, &head_fields).header("Content-Type", content_type.to_string());
            send_part(ex, head, data, 0, len.saturating_sub(1)).await
        }
        Ranges::Unsatisfiable => Err(Problem::new(
            416,
            format!("No requested range lies within the {len} bytes of this resource."),
        )
        .header("Content-Range", format!("bytes */{len}"))),
        Ranges::Partial(parts) => {
            let mut head = with(206, &head_fields);
            if let [(a, b)] = parts[..] {
                head.add("Content-Type", content_type.to_string());
                head.add("Content-Range", format!("bytes {a}-{b}/{len}"));
                return send_part(ex, head, data, a, b).await;
            }
            let (body, boundary) = ranges::multipart(&data.whole(), &parts, content_type);
            head.add(
                "Content-Type",
                format!("multipart/byteranges; boundary={boundary}"),
            );
            sent(ex.respond(head, Bytes::from(body)).await)
        }
    }
}

/// HTTP dates have whole seconds.
fn last_second(t: SystemTime) -> SystemTime {
    httpdate::HttpDate::from(t).into()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn lanes(seed: u64, pieces: &[usize]) -> Vec<u8> {
        let mut g = Lanes::new(seed);
        let mut out = Vec::new();
        for &n in pieces {
            let mut b = vec![0u8; n];
            g.fill(&mut b);
            out.extend(b);
        }
        out
    }

    #[test]
    fn fresh_bytes_are_one_stream_however_they_are_cut() {
        let whole = lanes(7, &[1000]);
        assert_eq!(lanes(7, &[1, 7, 63, 64, 65, 128, 0, 3, 669]), whole);
        assert_eq!(lanes(7, &[500, 500]), whole);
        assert_ne!(lanes(8, &[1000]), whole);
    }

    #[test]
    fn fresh_bytes_do_not_compress_and_use_every_value() {
        let bytes = lanes(1, &[1 << 20]);
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&bytes).unwrap();
        let packed = z.finish().unwrap().len();
        assert!(packed > bytes.len(), "1 MiB packed to {packed} bytes");
        let mut seen = [0u32; 256];
        bytes.iter().for_each(|&b| seen[b as usize] += 1);
        // 4096 expected each; a generator with a stuck or short cycle
        // would be far off.
        assert!(seen.iter().all(|&c| (3500..4700).contains(&c)), "{seen:?}");
    }
}
