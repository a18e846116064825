//! Echo endpoints, shaped like httpbin's so that test suites written for it
//! can point at teapot: `/anything[/…]`, `/get`, `/post`, `/put`,
//! `/patch`, `/delete`, `/headers`, `/ip`, `/user-agent`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Map, Value};
use teapot_wire::response::{is_field_name, is_field_value};
use teapot_wire::{Exchange, Head, Method, Status};

use super::{query_pairs, reply_json, sent, Outcome};
use crate::problem::Problem;

/// `/anything` and the method-named endpoints: everything received.
pub async fn anything(ex: &mut Exchange<'_>, only: Option<Method>) -> Outcome {
    let Some(doc) = echo_doc(ex, only).await? else {
        return Ok(());
    };
    reply(ex, doc).await
}

/// What `/anything` answers; `None` when the body could not be read (the
/// engine answers that itself). A body with a `Content-Encoding` is
/// decoded first (within the engine's body limit).
pub(super) async fn echo_doc(
    ex: &mut Exchange<'_>,
    only: Option<Method>,
) -> Result<Option<Value>, Problem> {
    let Ok(body) = ex.read_body(usize::MAX).await else {
        return Ok(None);
    };
    let limit = usize::try_from(ex.limits().max_body).unwrap_or(usize::MAX);
    let body =
        super::coding::decode_request(ex.request().header_str("content-encoding"), body, limit)?;
    let mut doc = Map::new();
    doc.insert("args".into(), args(ex));
    if only != Some(Method::Get) {
        let ctype = ex
            .request()
            .header_str("content-type")
            .unwrap_or("")
            .to_string();
        let (data, files, form, json) = content(ctype, &body).await;
        doc.insert("data".into(), data);
        doc.insert("files".into(), files);
        doc.insert("form".into(), form);
        doc.insert("json".into(), json);
    }
    doc.insert("headers".into(), headers(ex));
    if only.is_none() {
        doc.insert("method".into(), ex.request().method().as_str().into());
    }
    doc.insert("origin".into(), origin(ex).into());
    doc.insert("url".into(), url(ex).into());
    Ok(Some(Value::Object(doc)))
}

/// Fields that may not be sent as trailers: framing, routing, request
/// modifiers, authentication, content description (RFC 9110 §6.5.1), as
/// go-httpbin refuses them.
const NOT_TRAILERS: &[&str] = &[
    "authorization",
    "cache-control",
    "connection",
    "content-encoding",
    "content-length",
    "content-range",
    "content-type",
    "host",
    "max-forwards",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
];

/// `/trailers?Name=value…`: the echo of `/anything`, streamed, then each
/// query pair as a trailer field, announced in `Trailer`. Over HTTP/1.1
/// the trailers go to a client that sent `TE: trailers`.
pub async fn trailers(ex: &mut Exchange<'_>) -> Outcome {
    let pairs = query_pairs(ex);
    let mut names: Vec<&str> = Vec::new();
    for (k, v) in &pairs {
        if NOT_TRAILERS.iter().any(|f| k.eq_ignore_ascii_case(f)) {
            return Err(
                Problem::bad_request(format!("{k} may not be sent as a trailer."))
                    .kind("bad-option"),
            );
        }
        if !is_field_name(k) || !teapot_wire::response::is_field_value(v.as_bytes()) {
            return Err(
                Problem::bad_request(format!("{k:?}: {v:?} is not a valid field."))
                    .kind("bad-option"),
            );
        }
        if !names.iter().any(|n| n.eq_ignore_ascii_case(k)) {
            names.push(k);
        }
    }
    let announce = names.join(", ");
    let trailers: Vec<(String, Bytes)> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), Bytes::from(v.clone())))
        .collect();
    let Some(doc) = echo_doc(ex, None).await? else {
        return Ok(());
    };
    let mut body = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    body.push(b'\n');
    let mut head = Head::new(Status::OK).header("Content-Type", "application/json");
    if !announce.is_empty() {
        head = head.header("Trailer", announce);
    }
    if let Err(e) = ex.start(head, None).await {
        return sent(Err(e));
    }
    if ex.write(&body).await.is_err() {
        return Ok(());
    }
    sent(ex.finish_with_trailers(trailers).await)
}

/// `/dump/request`: the request as received, its head and then its body,
/// as text (over HTTP/2, the head its fields were read as).
pub async fn dump(ex: &mut Exchange<'_>) -> Outcome {
    let body = match ex.read_body(usize::MAX).await {
        Ok(b) => b,
        // The engine answers a broken or oversized body itself.
        Err(_) => return Ok(()),
    };
    let mut out = ex.request().raw().to_vec();
    out.extend_from_slice(&body);
    let head = Head::new(Status::OK).header("Content-Type", "text/plain; charset=utf-8");
    sent(ex.respond(head, out).await)
}

/// `/headers`.
pub async fn headers_only(ex: &mut Exchange<'_>) -> Outcome {
    let doc = json!({ "headers": headers(ex) });
    reply(ex, doc).await
}

/// `/ip`.
pub async fn ip(ex: &mut Exchange<'_>) -> Outcome {
    let doc = json!({ "origin": origin(ex) });
    reply(ex, doc).await
}

/// `/user-agent`.
pub async fn user_agent(ex: &mut Exchange<'_>) -> Outcome {
    let ua = ex
        .request()
        .header("user-agent")
        .map(|v| String::from_utf8_lossy(v).into_owned());
    let doc = json!({ "user-agent": ua });
    reply(ex, doc).await
}

/// `/response-headers?Name=Value…`: answers with those header fields (each
/// validated) and a JSON body listing them, as httpbin does.
pub async fn response_headers(ex: &mut Exchange<'_>) -> Outcome {
    let pairs = query_pairs(ex);
    let mut head = Head::new(Status::OK);
    let mut doc = Map::new();
    for (name, value) in &pairs {
        if !is_field_name(name) || !is_field_value(value.as_bytes()) {
            return Err(Problem::bad_request(format!(
                "{name:?} with that value is not a valid header field."
            ))
            .kind("bad-header"));
        }
        const OWN: [&str; 4] = ["content-length", "transfer-encoding", "date", "connection"];
        if OWN.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            return Err(
                Problem::bad_request(format!("{name} is set by the server itself."))
                    .kind("bad-header"),
            );
        }
        head.add(name.clone(), value.clone());
        match doc.get_mut(name) {
            Some(Value::Array(list)) => list.push(Value::String(value.clone())),
            Some(prev) => {
                let first = prev.take();
                *prev = Value::Array(vec![first, Value::String(value.clone())]);
            }
            None => {
                doc.insert(name.clone(), Value::String(value.clone()));
            }
        }
    }
    doc.insert("Content-Type".into(), "application/json".into());
    reply_json(ex, head, &Value::Object(doc)).await
}

/// `/cookies`: the cookies the request carried.
pub async fn cookies(ex: &mut Exchange<'_>) -> Outcome {
    let doc = json!({ "cookies": cookie_map(ex) });
    reply_json(ex, Head::new(Status::OK), &doc).await
}

fn cookie_map(ex: &Exchange<'_>) -> Map<String, Value> {
    let mut map = Map::new();
    for value in ex.request().header_all("cookie") {
        let text = String::from_utf8_lossy(value);
        for pair in text.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                map.insert(k.trim().to_string(), Value::String(v.trim().to_string()));
            }
        }
    }
    map
}

/// `/cookies/set?name=value…` (or `/cookies/set/{name}/{value}`): sets them
/// and redirects to `/cookies`.
pub async fn set_cookies(ex: &mut Exchange<'_>, path_pair: Option<(&str, &str)>) -> Outcome {
    let mut pairs = query_pairs(ex);
    if let Some((k, v)) = path_pair {
        let k = percent_encoding::percent_decode_str(k)
            .decode_utf8_lossy()
            .into_owned();
        let v = percent_encoding::percent_decode_str(v)
            .decode_utf8_lossy()
            .into_owned();
        pairs.push((k, v));
    }
    let mut head = Head::new(Status::FOUND).header("Location", "/cookies");
    for (name, value) in pairs {
        check_cookie(&name, &value)?;
        head.add("Set-Cookie", format!("{name}={value}; Path=/"));
    }
    sent(
        ex.respond(
            head.header("Content-Type", "text/plain; charset=utf-8"),
            "Redirecting to /cookies\n",
        )
        .await,
    )
}

/// `/cookies/delete?name…`: expires them and redirects to `/cookies`.
pub async fn delete_cookies(ex: &mut Exchange<'_>) -> Outcome {
    let mut head = Head::new(Status::FOUND).header("Location", "/cookies");
    for (name, _) in query_pairs(ex) {
        check_cookie(&name, "")?;
        head.add(
            "Set-Cookie",
            format!("{name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"),
        );
    }
    sent(
        ex.respond(
            head.header("Content-Type", "text/plain; charset=utf-8"),
            "Redirecting to /cookies\n",
        )
        .await,
    )
}

/// RFC 6265 §4.1.1: a token for the name, cookie-octets for the value.
fn check_cookie(name: &str, value: &str) -> Outcome {
    let octet = |b: u8| {
        b == 0x21
            || (0x23..=0x2b).contains(&b)
            || (0x2d..=0x3a).contains(&b)
            || (0x3c..=0x5b).contains(&b)
            || (0x5d..=0x7e).contains(&b)
    };
    if is_field_name(name) && value.bytes().all(octet) {
        Ok(())
    } else {
        Err(Problem::bad_request(format!(
            "{name:?}={value:?} is not a valid cookie (RFC 6265 §4.1.1)."
        ))
        .kind("bad-cookie"))
    }
}

async fn reply(ex: &mut Exchange<'_>, doc: Value) -> Outcome {
    reply_json(ex, Head::new(Status::OK), &doc).await
}

/// Query arguments: a string for one value, a list for several (httpbin).
pub(super) fn args(ex: &Exchange<'_>) -> Value {
    group(query_pairs(ex))
}

fn group(pairs: Vec<(String, String)>) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        match map.get_mut(&k) {
            None => {
                map.insert(k, Value::String(v));
            }
            Some(Value::Array(list)) => list.push(Value::String(v)),
            Some(first) => {
                let prev = first.take();
                *first = Value::Array(vec![prev, Value::String(v)]);
            }
        }
    }
    Value::Object(map)
}

/// Request headers with names in Title-Case; repeated fields joined by
/// commas.
pub(super) fn headers(ex: &Exchange<'_>) -> Value {
    let mut map = Map::new();
    for (name, value) in ex.request().headers() {
        let name = title_case(name);
        let value = String::from_utf8_lossy(value).into_owned();
        match map.get_mut(&name) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(&value);
            }
            _ => {
                map.insert(name, Value::String(value));
            }
        }
    }
    Value::Object(map)
}

fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The client's address (behind a trusted proxy, the one it names).
pub(super) fn origin(ex: &Exchange<'_>) -> String {
    ex.client_ip().map(|ip| ip.to_string()).unwrap_or_default()
}

pub(super) fn url(ex: &Exchange<'_>) -> String {
    let req = ex.request();
    let target = req.target();
    if target.starts_with("http://") || target.starts_with("https://") {
        return target.to_string();
    }
    // Behind a proxy, the scheme the client used (as httpbin reads it).
    let forwarded = req
        .header_str("x-forwarded-proto")
        .or_else(|| req.header_str("x-forwarded-protocol"))
        .map(|p| p.trim().to_ascii_lowercase())
        .or_else(|| {
            (req.header_str("x-forwarded-ssl").map(str::trim) == Some("on"))
                .then(|| "https".to_string())
        });
    match forwarded.as_deref() {
        Some(scheme @ ("http" | "https")) => {
            let host = req
                .header_str("host")
                .filter(|h| !h.is_empty())
                .unwrap_or("localhost");
            format!("{scheme}://{host}{target}")
        }
        _ => super::absolute_url(ex, target),
    }
}

/// `data`, `files`, `form` and `json` as httpbin fills them.
async fn content(ctype_full: String, body: &Bytes) -> (Value, Value, Value, Value) {
    let ctype = ctype_full
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if ctype == "application/x-www-form-urlencoded" {
        let pairs = form_urlencoded::parse(body).into_owned().collect();
        return (
            Value::String(String::new()),
            json!({}),
            group(pairs),
            Value::Null,
        );
    }
    if ctype == "multipart/form-data" {
        if let Some((files, form)) = multipart(&ctype_full, body.clone()).await {
            return (Value::String(String::new()), files, form, Value::Null);
        }
    }
    let json = serde_json::from_slice(body).unwrap_or(Value::Null);
    (text_or_data_uri(body), json!({}), json!({}), json)
}

fn text_or_data_uri(body: &[u8]) -> Value {
    match std::str::from_utf8(body) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => Value::String(format!(
            "data:application/octet-stream;base64,{}",
            BASE64.encode(body)
        )),
    }
}

/// A `multipart/form-data` body split into httpbin's `files` (parts with a
/// file name) and `form` (the others). `None` if it does not parse.
async fn multipart(content_type: &str, body: Bytes) -> Option<(Value, Value)> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream =
        futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut files = Vec::new();
    let mut form = Vec::new();
    while let Some(field) = parts.next_field().await.ok()? {
        let name = field.name().unwrap_or("").to_string();
        let is_file = field.file_name().is_some();
        let data = field.bytes().await.ok()?;
        match text_or_data_uri(&data) {
            Value::String(v) if is_file => files.push((name, v)),
            Value::String(v) => form.push((name, v)),
            _ => {}
        }
    }
    Some((group(files), group(form)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_title_case() {
        assert_eq!(title_case("user-agent"), "User-Agent");
        assert_eq!(title_case("X-FORWARDED-FOR"), "X-Forwarded-For");
        assert_eq!(title_case("te"), "Te");
    }

    #[test]
    fn repeated_args_become_lists() {
        let v = group(vec![
            ("a".into(), "1".into()),
            ("a".into(), "2".into()),
            ("b".into(), "3".into()),
            ("a".into(), "4".into()),
        ]);
        assert_eq!(v, json!({"a": ["1", "2", "4"], "b": "3"}));
    }
}
