//! Resources with validators, ranges and caching: `/bytes/{n}`,
//! `/range/{n}`, `/etag/{etag}`, `/cache` and `/cache/{seconds}`. Their
//! 304, 412, 206 and 416 answers are earned from the request's conditions
//! and ranges, evaluated as RFC 9110 §13 and §14 say.

use std::time::SystemTime;

use bytes::Bytes;
use serde_json::json;
use teapot_wire::{Exchange, Head, Method, Transport};

use super::{only, query_pairs, sent, status, Outcome};
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

/// `/bytes/{n}?seed=S`: `n` random bytes; the same bytes for the same seed.
pub async fn random_bytes<T: Transport>(app: &App, ex: &mut Exchange<'_, T>, n: &str) -> Outcome {
    only(ex, &[Method::Get])?;
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
    let mut rng = match seed {
        Some(s) => fastrand::Rng::with_seed(s),
        None => fastrand::Rng::new(),
    };
    let mut data = vec![0u8; n as usize];
    rng.fill(&mut data);
    let etag = match seed {
        Some(s) => format!("\"bytes-{n}-{s}\""),
        // Unseeded bytes differ every time: their tag does too.
        None => format!("\"bytes-{n}-{}\"", rng.u64(..)),
    };
    let v = Validators {
        etag,
        last_modified: Some(app.started),
    };
    serve_ranged(ex, Bytes::from(data), &v, "application/octet-stream", None).await
}

/// `/range/{n}`: `n` bytes of the alphabet, repeated; honours `Range` and
/// `If-Range`.
pub async fn range<T: Transport>(app: &App, ex: &mut Exchange<'_, T>, n: &str) -> Outcome {
    only(ex, &[Method::Get])?;
    let n = size(n)?;
    let data: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
    let v = Validators {
        etag: format!("\"range{n}\""),
        last_modified: Some(app.started),
    };
    serve_ranged(ex, Bytes::from(data), &v, "application/octet-stream", None).await
}

/// `/etag/{etag}`: a JSON resource whose entity-tag is `"{etag}"`.
pub async fn etag<T: Transport>(ex: &mut Exchange<'_, T>, tag: &str) -> Outcome {
    only(ex, &[Method::Get])?;
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
    serve_ranged(ex, Bytes::from(body), &v, "application/json", None).await
}

/// `/cache`: validators for a conditional GET; `/cache/{seconds}`:
/// `Cache-Control: public, max-age={seconds}`.
pub async fn cache<T: Transport>(
    app: &App,
    ex: &mut Exchange<'_, T>,
    seconds: Option<&str>,
) -> Outcome {
    only(ex, &[Method::Get])?;
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
    serve_ranged(ex, Bytes::from(body), &v, "application/json", Some(control)).await
}

/// Serves `data` with its validators: 304 or 412 when the preconditions
/// say so, 206 or 416 for a `Range` on GET (unless `If-Range` fails), 200
/// otherwise. A 304 carries what the 200 would: `ETag`, `Last-Modified`'s
/// absence aside, `Cache-Control`.
pub async fn serve_ranged<T: Transport>(
    ex: &mut Exchange<'_, T>,
    data: Bytes,
    v: &Validators,
    content_type: &str,
    cache_control: Option<String>,
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
            return Err(Problem::new(412, "A precondition (If-Match, If-None-Match or If-Unmodified-Since) does not hold for the current representation.")
                .header("ETag", v.etag.clone()));
        }
        Decision::Proceed => {}
    }
    if let Some(m) = v.last_modified {
        head_fields.push(("Last-Modified", httpdate::fmt_http_date(last_second(m))));
    }
    head_fields.push(("Accept-Ranges", "bytes".into()));
    let len = data.len() as u64;
    let range = ex.request().header_str("range").map(str::to_owned);
    let if_range = ex.request().header_str("if-range").map(str::to_owned);
    let use_range = ex.request().method() == Method::Get
        && if_range.as_deref().is_none_or(|r| if_range_holds(r, v));
    let asked = match (range, use_range) {
        (Some(r), true) => ranges::parse(&r, len),
        _ => Ranges::Full,
    };
    match asked {
        Ranges::Full => {
            let head = with(200, &head_fields).header("Content-Type", content_type.to_string());
            sent(ex.respond(head, data).await)
        }
        Ranges::Unsatisfiable => Err(Problem::new(
            416,
            format!("No requested range lies within the {len} bytes of this resource."),
        )
        .header("Content-Range", format!("bytes */{len}"))),
        Ranges::Partial(parts) => {
            let mut head = with(206, &head_fields);
            let body = if let [(a, b)] = parts[..] {
                head.add("Content-Type", content_type.to_string());
                head.add("Content-Range", format!("bytes {a}-{b}/{len}"));
                data.slice(a as usize..=b as usize)
            } else {
                let (body, boundary) = ranges::multipart(&data, &parts, content_type);
                head.add(
                    "Content-Type",
                    format!("multipart/byteranges; boundary={boundary}"),
                );
                Bytes::from(body)
            };
            sent(ex.respond(head, body).await)
        }
    }
}

/// HTTP dates have whole seconds.
fn last_second(t: SystemTime) -> SystemTime {
    httpdate::HttpDate::from(t).into()
}
