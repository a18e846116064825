//! What each code carries on the wire: interim responses before the
//! final one, `Location`, `Allow`, `Content-Range`, challenges,
//! `Retry-After`, the 206 ranges, the 207 document.

use bytes::Bytes;
use teapot_codes::Status;
use teapot_wire::{Exchange, Head, Method};

use super::*;
use crate::conditional::{evaluate, Decision, Validators};
use crate::ranges::{self, Ranges};
use crate::routes::{sent, Outcome};

/// An interim response (100, 102 with `count`, 103 with hints, or any
/// other 1xx), then the final response (`final=`, default 200).
pub(super) async fn interim_then_final(
    ex: &mut Exchange<'_>,
    status: Status,
    opts: &Options,
) -> Outcome {
    let final_status = opts.final_status.unwrap_or(Status::OK);
    match status.as_u16() {
        102 => {
            for i in 0..opts.count {
                if i > 0 && !opts.interval.is_zero() {
                    tokio::time::sleep(opts.interval).await;
                }
                if ex.interim(Head::new(status)).await.is_err() {
                    return Ok(());
                }
            }
        }
        103 => {
            let mut head = Head::new(status);
            for link in early_hints() {
                head = head.header("Link", link);
            }
            if ex.interim(head).await.is_err() {
                return Ok(());
            }
        }
        _ => {
            if ex.interim(Head::new(status)).await.is_err() {
                return Ok(());
            }
        }
    }
    if !opts.interval.is_zero() {
        tokio::time::sleep(opts.interval).await;
    }
    final_response(ex, final_status, opts, status == 103).await
}

pub(super) fn early_hints() -> [&'static str; 1] {
    ["</static/teapot.css>; rel=preload; as=style"]
}

/// Every final status: its required fields, then its content. After early
/// hints (`hinted`), a successful answer repeats the hinted `Link` fields.
/// The entity-tag of forced 206's 1024-byte resource.
const PARTIAL_ETAG: &str = "\"teapot-1024\"";

/// The entity-tag of the representation forced 226's delta leads to.
const DELTA_ETAG: &str = "\"teapot-v2\"";

pub(super) async fn final_response(
    ex: &mut Exchange<'_>,
    status: Status,
    opts: &Options,
    hinted: bool,
) -> Outcome {
    let code = status.as_u16();
    // A 426 must name the protocol to upgrade to, and `Upgrade` cannot be
    // sent on HTTP/2 (RFC 9113 §8.2.2): the client is sent to HTTP/1.1.
    if code == 426 && ex.request().version().is_multiplexed() {
        return sent(ex.require_http11().await);
    }
    let location = || {
        opts.location
            .clone()
            .unwrap_or_else(|| DEFAULT_LOCATION.to_string())
    };
    // 206 and 226 name a representation by its ETag: a client that has it
    // already (If-None-Match) is told so, as RFC 9110 §13.2.2 orders the
    // preconditions before the range or the delta.
    let representation = match code {
        206 => Some(PARTIAL_ETAG),
        226 => Some(DELTA_ETAG),
        _ => None,
    };
    if let Some(etag) = representation {
        let decision = evaluate(
            ex.request(),
            &Validators {
                etag: etag.to_string(),
                last_modified: None,
            },
        );
        if decision == Decision::NotModified {
            let head = Head::new(Status::NOT_MODIFIED).header("ETag", etag);
            return sent(
                ex.respond(with_user_headers(head, opts), Bytes::new())
                    .await,
            );
        }
    }
    let mut head = Head::new(status);
    let mut body: Option<Bytes> = None;
    match code {
        201 | 202 | 301 | 302 | 303 | 305 | 307 | 308 => head = head.header("Location", location()),
        // Boxed, as rare and the largest state here: it would otherwise
        // widen every connection's future (bench/idle).
        206 => return Box::pin(partial_content(ex, opts)).await,
        207 => {
            head = head.header("Content-Type", "application/xml; charset=utf-8");
            body = Some(Bytes::from_static(MULTISTATUS.as_bytes()));
        }
        226 => {
            head = head
                .header("ETag", DELTA_ETAG)
                .header("IM", "diffe")
                .header("Delta-Base", "\"teapot-v1\"")
                .header("Content-Type", "text/plain; charset=utf-8");
            body = Some(Bytes::from_static(
                b"1c1\n< short and stout\n---\n> here is my handle, here is my spout\n",
            ));
        }
        300 => {
            head = head
                .header("Location", location())
                .header(
                    "Link",
                    "</200?format=text>; rel=\"alternate\"; type=\"text/plain\"",
                )
                .header(
                    "Link",
                    "</200?format=json>; rel=\"alternate\"; type=\"application/json\"",
                )
                .header(
                    "Link",
                    "</200?format=html>; rel=\"alternate\"; type=\"text/html\"",
                );
        }
        304 => {
            head = head
                .header("ETag", "\"teapot\"")
                .header("Cache-Control", "max-age=60")
        }
        401 => {
            head = head.header(
                "WWW-Authenticate",
                "Basic realm=\"teapot\", charset=\"UTF-8\"",
            )
        }
        405 => head = head.header("Allow", allow_without(ex.request().method())),
        407 => {
            head = head.header(
                "Proxy-Authenticate",
                "Basic realm=\"teapot proxy\", charset=\"UTF-8\"",
            )
        }
        408 => head = head.header("Connection", "close"),
        413 => {
            if let Some(s) = opts.retry_after {
                head = head.header("Retry-After", s.to_string());
            }
        }
        415 => head = head.header("Accept", "application/json, text/plain"),
        416 => {
            head = head.header(
                "Content-Range",
                format!("bytes */{}", ranges::resource().len()),
            )
        }
        426 => {
            head = head
                .header("Upgrade", "websocket")
                .header("Connection", "Upgrade")
        }
        429 | 503 => head = head.header("Retry-After", opts.retry_after.unwrap_or(1).to_string()),
        451 => head = head.header("Link", "</legal/blocked-by>; rel=\"blocked-by\""),
        _ => {}
    }
    if hinted && (200..300).contains(&code) {
        for link in early_hints() {
            head.add("Link", link);
        }
    }
    let body = match body {
        Some(b) => b,
        None => generic_body(ex, status, &mut head, None),
    };
    head = with_user_headers(head, opts);
    sent(ex.respond(head, body).await)
}

/// Forced 206: a part of the fixed 1024-byte resource. The request's
/// `Range` is honoured (several ranges give `multipart/byteranges`); without
/// one, the first 100 bytes. A `Range` no part of which can be served gets
/// 416, since 206 would then be a lie.
pub(super) async fn partial_content(ex: &mut Exchange<'_>, opts: &Options) -> Outcome {
    let data = ranges::resource();
    let len = data.len() as u64;
    let asked = ex
        .request()
        .header_str("range")
        .map(|r| ranges::parse(r, len))
        .unwrap_or(Ranges::Full);
    let parts = match asked {
        Ranges::Full => vec![(0, 99)],
        Ranges::Partial(p) => p,
        Ranges::Unsatisfiable => {
            let status = Status::RANGE_NOT_SATISFIABLE;
            let mut head = Head::new(status).header("Content-Range", format!("bytes */{len}"));
            let body = generic_body(
                ex,
                status,
                &mut head,
                Some("None of the requested ranges lies within the 1024-byte resource."),
            );
            return sent(ex.respond(with_user_headers(head, opts), body).await);
        }
    };
    let mut head = Head::new(Status::PARTIAL_CONTENT)
        .header("Accept-Ranges", "bytes")
        .header("ETag", PARTIAL_ETAG);
    let body = if let [(a, b)] = parts[..] {
        head = head
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Content-Range", format!("bytes {a}-{b}/{len}"));
        Bytes::copy_from_slice(&data[a as usize..=b as usize])
    } else {
        let (body, boundary) = ranges::multipart(data, &parts, "text/plain; charset=utf-8");
        head = head.header(
            "Content-Type",
            format!("multipart/byteranges; boundary={boundary}"),
        );
        Bytes::from(body)
    };
    sent(ex.respond(with_user_headers(head, opts), body).await)
}

/// The methods a 405 allows: the usual ones, less the request's (and
/// less GET and HEAD together, since a resource that allows one allows the
/// other).
pub(super) fn allow_without(method: Method) -> String {
    let read = matches!(method, Method::Get | Method::Head);
    crate::routes::table::STANDARD
        .iter()
        .filter(|&&m| m != method && !(read && matches!(m, Method::Get | Method::Head)))
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn with_user_headers(mut head: Head, opts: &Options) -> Head {
    for (name, _) in &opts.headers {
        head.remove(name);
    }
    for (name, value) in &opts.headers {
        head = head.header(name.clone(), value.clone());
    }
    head
}

/// A well-formed `DAV:multistatus` document (RFC 4918 §13): one resource
/// found, one forbidden.
pub(super) const MULTISTATUS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:">
  <D:response>
    <D:href>/dav/teapot.txt</D:href>
    <D:propstat>
      <D:prop><D:getcontentlength>1024</D:getcontentlength><D:displayname>teapot.txt</D:displayname></D:prop>
      <D:status>HTTP/1.1 200 OK</D:status>
    </D:propstat>
  </D:response>
  <D:response>
    <D:href>/dav/secret.txt</D:href>
    <D:status>HTTP/1.1 403 Forbidden</D:status>
    <D:responsedescription>Not for you.</D:responsedescription>
  </D:response>
</D:multistatus>
"#;
