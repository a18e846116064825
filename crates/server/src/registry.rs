//! The registry as JSON: one shape for `teapot list --json`, `teapot
//! explain --json` and `GET /` with `Accept: application/json`.

use serde_json::{json, Value};
use teapot_codes::{Caching, Connection, Content, Entry};

/// An entry as JSON. Field names are part of the `--json` contract.
pub fn entry_json(e: &Entry) -> Value {
    json!({
        "code": e.code,
        "reason": e.reason,
        "iana_reason": e.iana_reason,
        "class": e.class().label(),
        "class_name": e.class().name(),
        "summary": e.summary,
        "description": e.description,
        "spec": {
            "rfc": e.source.rfc,
            "section": e.source.section,
            "title": e.source.to_string(),
            "url": e.source.url(),
        },
        "standing": e.standing.as_str(),
        "in_table": e.in_table,
        "rules": {
            "content": match e.rules.content {
                Content::Allowed => "allowed",
                Content::Never => "never",
                Content::Empty => "empty",
            },
            "headers": e.rules.headers.iter().map(|h| json!({
                "name": h.name,
                "level": h.level.as_str(),
                "why": h.why,
            })).collect::<Vec<_>>(),
            "connection": match e.rules.connection {
                Connection::Keep => "keep",
                Connection::Close => "close",
                Connection::Switch => "switch",
            },
            "caching": match e.rules.caching {
                Caching::Heuristic => "heuristic",
                Caching::Explicit => "explicit",
                Caching::Never => "never",
            },
            "action": e.rules.action.id(),
        },
    })
}
