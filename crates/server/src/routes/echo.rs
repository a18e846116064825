//! Echo endpoints, shaped like httpbin's so that test suites written for it
//! can point at teapot: `/anything[/…]`, `/get`, `/post`, `/put`,
//! `/patch`, `/delete`, `/headers`, `/ip`, `/user-agent`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Map, Value};
use teapot_codes::Status;
use teapot_wire::{Exchange, Head, Method, Transport};

use super::{only_get, query_pairs, sent, Outcome};
use crate::problem::Problem;

/// `/anything` and the method-named endpoints: everything received.
pub async fn anything<T: Transport>(ex: &mut Exchange<'_, T>, only: Option<Method>) -> Outcome {
    if let Some(m) = only {
        let got = ex.request().method();
        if got != m && !(m == Method::Get && got == Method::Head) {
            let allow: &[&str] = if m == Method::Get {
                &["GET", "HEAD"]
            } else {
                &[m.as_str()]
            };
            return Err(Problem::method_not_allowed(got.as_str(), allow));
        }
    }
    let body = match ex.read_body(usize::MAX).await {
        Ok(b) => b,
        // The engine answers a broken or oversized body itself.
        Err(_) => return Ok(()),
    };
    let mut doc = Map::new();
    doc.insert("args".into(), args(ex));
    if only != Some(Method::Get) {
        let (data, form, json) = content(ex, &body);
        doc.insert("data".into(), data);
        doc.insert("files".into(), json!({}));
        doc.insert("form".into(), form);
        doc.insert("json".into(), json);
    }
    doc.insert("headers".into(), headers(ex));
    if only.is_none() {
        doc.insert("method".into(), ex.request().method().as_str().into());
    }
    doc.insert("origin".into(), origin(ex).into());
    doc.insert("url".into(), url(ex).into());
    reply(ex, Value::Object(doc)).await
}

/// `/headers`.
pub async fn headers_only<T: Transport>(ex: &mut Exchange<'_, T>) -> Outcome {
    only_get(ex)?;
    let doc = json!({ "headers": headers(ex) });
    reply(ex, doc).await
}

/// `/ip`.
pub async fn ip<T: Transport>(ex: &mut Exchange<'_, T>) -> Outcome {
    only_get(ex)?;
    let doc = json!({ "origin": origin(ex) });
    reply(ex, doc).await
}

/// `/user-agent`.
pub async fn user_agent<T: Transport>(ex: &mut Exchange<'_, T>) -> Outcome {
    only_get(ex)?;
    let ua = ex
        .request()
        .header("user-agent")
        .map(|v| String::from_utf8_lossy(v).into_owned());
    let doc = json!({ "user-agent": ua });
    reply(ex, doc).await
}

async fn reply<T: Transport>(ex: &mut Exchange<'_, T>, doc: Value) -> Outcome {
    let mut body = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    body.push(b'\n');
    let head =
        Head::new(Status::from_u16(200).expect("valid")).header("Content-Type", "application/json");
    sent(ex.respond(head, Bytes::from(body)).await)
}

/// Query arguments: a string for one value, a list for several (httpbin).
fn args<T: Transport>(ex: &Exchange<'_, T>) -> Value {
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
fn headers<T: Transport>(ex: &Exchange<'_, T>) -> Value {
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

fn origin<T: Transport>(ex: &Exchange<'_, T>) -> String {
    ex.remote_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

fn url<T: Transport>(ex: &Exchange<'_, T>) -> String {
    let req = ex.request();
    let target = req.target();
    if target.starts_with("http://") || target.starts_with("https://") {
        return target.to_string();
    }
    let host = req.header_str("host").unwrap_or("localhost");
    format!("http://{host}{target}")
}

/// `data`, `form` and `json` as httpbin fills them.
fn content<T: Transport>(ex: &Exchange<'_, T>, body: &[u8]) -> (Value, Value, Value) {
    let ctype = ex
        .request()
        .header_str("content-type")
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if ctype == "application/x-www-form-urlencoded" {
        let pairs = form_urlencoded::parse(body).into_owned().collect();
        return (Value::String(String::new()), group(pairs), Value::Null);
    }
    let data = match std::str::from_utf8(body) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => Value::String(format!(
            "data:application/octet-stream;base64,{}",
            BASE64.encode(body)
        )),
    };
    let json = serde_json::from_slice(body).unwrap_or(Value::Null);
    (data, json!({}), json)
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
