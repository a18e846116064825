//! `GET /`: the registry for people (an HTML page with search and "try
//! it"), for scripts (JSON) and for terminals (plain text), by `Accept`.
//! `GET /try/{code}`: the page's "try it" — the server asks itself for the
//! forced status with teapot's own client and returns the recorded wire,
//! since a browser hides interim responses. It only ever calls this same
//! server.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use teapot_check::client::{exchange, Request};
use teapot_check::exchange::Response;
use teapot_codes::{entries, Class, Entry, Status};
use teapot_wire::{Exchange, Head};

use super::{reply_json, sent, Outcome};
use crate::app::App;
use crate::problem::Problem;
use crate::registry::entry_json;
use teapot_wire::accept::choose;

const SCRIPT: &str = include_str!("../../assets/page.js");

/// `GET /`.
pub async fn home(ex: &mut Exchange<'_>) -> Outcome {
    let accept = ex.request().header_str("accept").map(str::to_owned);
    let media = choose(
        accept.as_deref(),
        &["text/plain", "text/html", "application/json"],
    )
    .unwrap_or("text/plain");
    match media {
        "application/json" => {
            let all: Vec<Value> = entries().map(entry_json).collect();
            let head = Head::new(Status::OK).header("Vary", "Accept");
            reply_json(ex, head, &Value::Array(all)).await
        }
        "text/html" => {
            let head = Head::new(Status::OK)
                .header("Content-Type", "text/html; charset=utf-8")
                .header("Vary", "Accept");
            sent(ex.respond(head, page()).await)
        }
        _ => {
            let mut text = String::from(
                "teapot: every HTTP status code, as the RFCs say it must look on the wire.\n",
            );
            for class in Class::ALL {
                text.push_str(&format!("\n{} {}\n", class.label(), class.name()));
                for e in entries().filter(|e| e.class() == class) {
                    text.push_str(&format!("  {}  {:<32} {}\n", e.code, e.reason, e.summary));
                }
            }
            text.push_str("\nTry one: curl -i http://<this server>/418 · Open this address in a browser for the page.\n");
            let head = Head::new(Status::OK)
                .header("Content-Type", "text/plain; charset=utf-8")
                .header("Vary", "Accept");
            sent(ex.respond(head, text).await)
        }
    }
}

/// `/static/page.js`.
pub async fn script(ex: &mut Exchange<'_>) -> Outcome {
    let head = Head::new(Status::OK)
        .header("Content-Type", "text/javascript; charset=utf-8")
        .header("Cache-Control", "public, max-age=3600");
    sent(ex.respond(head, SCRIPT).await)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn row(e: &Entry) -> String {
    let search = format!(
        "{} {} {} {}",
        e.code,
        e.reason,
        e.iana_reason.unwrap_or(""),
        e.summary
    )
    .to_lowercase();
    let badge = if e.in_table {
        "<span class=\"badge\" title=\"In the table of supported codes\">supported</span>"
    } else {
        "<span class=\"badge other\" title=\"Registered, but not in the table of supported codes\">registered</span>"
    };
    format!(
        "<li class=\"code\" id=\"code-{code}\" data-text=\"{search}\"><div class=\"line\"><span class=\"num c{class}\">{code}</span> \
         <span class=\"reason\">{reason}</span> {badge}</div><p class=\"summary\">{summary}</p>\
         <div class=\"actions\"><a href=\"{url}\">{source}</a> \
         <button type=\"button\" class=\"try\" data-code=\"{code}\" aria-label=\"Try {code} {reason}\">Try it</button></div></li>",
        code = e.code,
        class = e.code / 100,
        search = esc(&search),
        reason = esc(e.reason),
        summary = esc(e.summary),
        url = esc(&e.source.url()),
        source = esc(&e.source.to_string()),
    )
}

/// The report cards of real clients (`scripts/grade-clients` writes the
/// file; its first table is shown).
const CLIENTS: &str = include_str!("../../../../docs/CLIENTS.md");

/// Markdown's inline code and strong emphasis, in escaped text, as HTML.
fn inline(cell: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(cell.trim()).split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{part}</code>"));
        } else {
            let mut strong = false;
            for (j, bit) in part.split("**").enumerate() {
                if j > 0 {
                    out.push_str(if strong { "</strong>" } else { "<strong>" });
                    strong = !strong;
                }
                out.push_str(bit);
            }
            if strong {
                out.push_str("</strong>");
            }
        }
    }
    out
}

/// The clients table: the first Markdown table of docs/CLIENTS.md.
fn clients_table() -> String {
    let rows: Vec<Vec<&str>> = CLIENTS
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| !l.starts_with("|---"))
        .map(|l| l.trim().trim_matches('|').split(" | ").collect())
        .collect();
    let Some((head, body)) = rows.split_first() else {
        return String::new();
    };
    let th: String = head
        .iter()
        .map(|c| format!("<th>{}</th>", inline(c)))
        .collect();
    let trs: String = body
        .iter()
        .map(|r| {
            let tds: String = r
                .iter()
                .map(|c| format!("<td>{}</td>", inline(c)))
                .collect();
            format!("<tr>{tds}</tr>")
        })
        .collect();
    format!("<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>")
}

fn page() -> String {
    let mut sections = String::new();
    for class in Class::ALL {
        let rows: String = entries().filter(|e| e.class() == class).map(row).collect();
        sections.push_str(&format!(
            "<section class=\"class\" aria-labelledby=\"h{d}\"><h2 id=\"h{d}\">{label} {name}</h2><ul class=\"codes\">{rows}</ul></section>",
            d = class.digit(),
            label = class.label(),
            name = class.name(),
        ));
    }
    let scenarios: String = super::ROUTES
        .iter()
        .filter_map(|r| r.scenario)
        .map(|s| {
            format!(
                "<tr><td><a href=\"{p}\"><code>{p}</code></a></td><td>{c}</td><td>{h}</td></tr>",
                p = esc(s.link),
                c = esc(s.codes),
                h = esc(s.how)
            )
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>teapot: HTTP status codes on the wire</title>\
         <link rel=\"stylesheet\" href=\"/static/teapot.css\"><script src=\"/static/page.js\" defer></script></head>\
         <body class=\"home\"><header><h1>teapot</h1>\
         <p>Every HTTP status code, as the RFCs say it must look on the wire. Ask for one: <code>/418</code>, \
         <code>/status/200,503</code>, <code>/103</code>.</p>\
         <div class=\"search\"><label for=\"search\">Search</label> \
         <input id=\"search\" type=\"search\" placeholder=\"418, gateway, redirect\" autocomplete=\"off\" spellcheck=\"false\"> \
         <span id=\"count\" aria-live=\"polite\"></span></div></header>\
         <main><section id=\"result\" hidden aria-live=\"polite\" tabindex=\"-1\"><h2>The exchange</h2>\
         <p id=\"summary\"></p><div id=\"wire\"></div></section>\
         <div id=\"registry\">{sections}</div>\
         <section id=\"scenarios\"><h2>Scenarios</h2><p>Where the protocol itself arrives at a code.</p>\
         <div class=\"table\"><table><thead><tr><th>Endpoint</th><th>Codes</th><th>Try with</th></tr></thead>\
         <tbody>{scenarios}</tbody></table></div></section>\
         <section id=\"clients\"><h2>Clients</h2><p>How common HTTP clients handle the codes, as \
         <code>teapot grade</code> found (<a href=\"https://www.rfc-editor.org/rfc/rfc9110\">RFC 9110</a>).</p>\
         <div class=\"table\">{clients}</div></section></main>\
         <footer><p><a href=\"/metrics\">metrics</a> · <a href=\"/healthz\">health</a></p></footer></body></html>\n",
        clients = clients_table(),
    )
}

/// `GET /try/{code}`: the forced status for `code`, fetched from this same
/// server, as it appeared on the wire.
pub async fn try_code(app: &App, ex: &mut Exchange<'_>, code: &str) -> Outcome {
    let status: Status = code
        .parse()
        .map_err(|_| Problem::new(404, format!("{code:?} is not a status code.")))?;
    let Some(addr) = app.self_addr else {
        return Err(Problem::new(
            503,
            "The server does not know its own address.",
        ));
    };
    let url = url::Url::parse(&format!("http://{addr}/{}", status.as_u16()))
        .map_err(|e| Problem::new(500, format!("cannot build the URL: {e}")))?;
    let request = Request {
        method: "GET".into(),
        url,
        headers: vec![("Accept".into(), "text/plain".into())],
        body: Bytes::new(),
        insecure: false,
        http: teapot_check::Http::Http1,
    };
    let recorded = exchange(&request, Duration::from_secs(10), Duration::from_millis(20))
        .await
        .map_err(|e| Problem::new(502, format!("The server could not reach itself: {e}")))?;
    let shown = |r: &Response| {
        json!({
            "status": r.status,
            "reason": r.reason,
            "version": r.version,
            "headers": r.headers,
            "body": String::from_utf8_lossy(&r.body[..r.body.len().min(4096)]),
            "body_bytes": r.body_bytes,
        })
    };
    let note = if status.is_interim() && status != 101 {
        Some("Interim (1xx) responses come before the final response to the same request. Browsers never show them, so the server made this request itself and shows the wire.")
    } else if status == 101 {
        Some("101 needs a request that offers an upgrade; without one the answer is 426 Upgrade Required.")
    } else {
        None
    };
    let doc = json!({
        "code": status.as_u16(),
        "request": { "method": recorded.request.method, "target": recorded.request.target, "headers": recorded.request.headers },
        "interim": recorded.interim.iter().map(shown).collect::<Vec<_>>(),
        "final": recorded.final_response.as_ref().map(shown),
        "incomplete": recorded.incomplete,
        "timing": recorded.timing,
        "note": note,
    });
    let head = Head::new(Status::OK).header("Cache-Control", "no-store");
    reply_json(ex, head, &doc).await
}
