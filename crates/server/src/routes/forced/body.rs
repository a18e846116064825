//! The body of a forced answer, by `Accept`: text, JSON, problem details
//! or a small HTML page.

use std::sync::OnceLock;

use bytes::Bytes;
use serde_json::json;
use teapot_codes::{Content, Status};
use teapot_wire::{Exchange, Head, StaticField};

use teapot_wire::accept as negotiate;

/// The stylesheet the 103 hints announce and the HTML pages use.
pub const STYLESHEET: &str = "/static/teapot.css";

/// The negotiated body for a code, with its `Content-Type` and `Vary`
/// added to `head`. Empty for codes that carry no content.
pub(super) fn generic_body(
    ex: &Exchange<'_>,
    status: Status,
    head: &mut Head,
    note: Option<&str>,
) -> Bytes {
    let entry = status.entry();
    if entry.map_or(status.is_interim(), |e| e.rules.content != Content::Allowed) {
        return Bytes::new();
    }
    let error = status.as_u16() >= 400;
    let offers: &[&str] = if error {
        &[
            "text/plain",
            "application/json",
            "application/problem+json",
            "text/html",
        ]
    } else {
        &["text/plain", "application/json", "text/html"]
    };
    let accept = ex.request().header_str("accept");
    let media = negotiate::choose(accept, offers).unwrap_or("text/plain");
    let reason = status.reason();
    let summary = entry.map_or(status.class().name(), |e| e.summary);
    let spec = || entry.map_or_else(|| "RFC 9110 §15".to_string(), |e| e.source.to_string());
    let url = || {
        entry.map_or_else(
            || "https://www.rfc-editor.org/rfc/rfc9110#section-15".to_string(),
            |e| e.source.url(),
        )
    };
    let detail = note.unwrap_or(summary);
    let (ctype, slot) = match media {
        "application/json" => (JSON, 0),
        "application/problem+json" => (PROBLEM, 1),
        "text/html" => (HTML, 2),
        _ => {
            head.add_static(TEXT);
            head.add_static(VARY_ACCEPT);
            return match note {
                None => plain_body(status),
                Some(_) => Bytes::from(plain_text(status, note)),
            };
        }
    };
    head.add_static(ctype);
    head.add_static(VARY_ACCEPT);
    // Without a note the body depends on the code and the media type only:
    // made once, then handed out without a copy.
    let made = || -> Bytes {
        let body = match media {
            "application/json" => {
                json!({
                    "code": status.as_u16(),
                    "reason": reason,
                    "description": detail,
                    "spec": spec(),
                    "spec_url": url(),
                })
                .to_string()
                    + "\n"
            }
            "application/problem+json" => {
                let details = teapot_wire::problem::Details {
                    status,
                    type_uri: "about:blank",
                    detail,
                    instance: None,
                    members: &[],
                };
                String::from_utf8_lossy(&details.json()).into_owned()
            }
            _ => html_page(status, reason, detail, &spec(), &url()),
        };
        Bytes::from(body)
    };
    match note {
        Some(_) => made(),
        None => {
            static MADE: [[OnceLock<Bytes>; 3]; 500] =
                [const { [const { OnceLock::new() }; 3] }; 500];
            MADE[usize::from(status.as_u16() - 100)][slot]
                .get_or_init(made)
                .clone()
        }
    }
}

/// The fields of a negotiated body, checked when teapot is built.
const TEXT: StaticField = StaticField::new("Content-Type", "text/plain; charset=utf-8");
const JSON: StaticField = StaticField::new("Content-Type", "application/json");
const PROBLEM: StaticField = StaticField::new("Content-Type", "application/problem+json");
const HTML: StaticField = StaticField::new("Content-Type", "text/html; charset=utf-8");
const VARY_ACCEPT: StaticField = StaticField::new("Vary", "Accept");

/// The plain-text body of a code: "418 I'm a teapot", the note if any,
/// and for 511 where to sign in.
fn plain_text(status: Status, note: Option<&str>) -> String {
    // Built by hand rather than with `format!`, which costs more than the
    // rest of the answer's content.
    let reason = status.reason();
    let mut text = String::with_capacity(5 + reason.len() + note.map_or(0, |n| n.len() + 1));
    let code = status.as_u16();
    for digit in [code / 100, code / 10 % 10, code % 10] {
        text.push(char::from(b'0' + digit as u8));
    }
    text.push(' ');
    text.push_str(reason);
    text.push('\n');
    if let Some(note) = note {
        text.push_str(note);
        text.push('\n');
    }
    if status == 511 {
        text.push_str("Sign in at /portal to get network access.\n");
    }
    text
}

/// [`plain_text`] without a note, made once for every code: the body of
/// most forced answers, handed out without a copy.
fn plain_body(status: Status) -> Bytes {
    static BODIES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let bodies = BODIES.get_or_init(|| {
        (100..=599)
            .map(|c| Status::from_u16(c).map_or_else(|_| String::new(), |s| plain_text(s, None)))
            .collect()
    });
    Bytes::from_static(bodies[usize::from(status.as_u16() - 100)].as_bytes())
}

pub(super) fn html_page(
    status: Status,
    reason: &str,
    detail: &str,
    spec: &str,
    url: &str,
) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let login = if status == 511 {
        "<p><a href=\"/portal\">Sign in to the network</a></p>"
    } else {
        ""
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{code} {reason}</title><link rel=\"stylesheet\" href=\"{STYLESHEET}\"></head>\
         <body><main><h1>{code} {reason}</h1><p>{detail}</p>{login}\
         <p><a href=\"{url}\">{spec}</a></p></main></body></html>\n",
        code = status.as_u16(),
        reason = esc(reason),
        detail = esc(detail),
        spec = esc(spec),
        url = esc(url),
    )
}
