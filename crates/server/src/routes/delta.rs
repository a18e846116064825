//! `/delta`: delta encoding (RFC 3229). A resource with three versions;
//! a client that holds an older one and says it accepts `diffe` gets only
//! the difference (226 IM Used), one that holds the current one gets 304,
//! and any other gets the whole (200).

use teapot_wire::{Exchange, Head, Status};

use super::{sent, Outcome};

/// The versions, oldest first: (entity-tag, content).
const VERSIONS: [(&str, &str); 3] = [
    ("\"v1\"", "teapot\nshort\n"),
    ("\"v2\"", "teapot\nshort and stout\n"),
    ("\"v3\"", "teapot\nshort and stout\nhere is my handle\n"),
];

/// `diff -e` scripts from each older version to the current one.
const DIFFE: [(&str, &str); 2] = [
    ("\"v1\"", "2c\nshort and stout\nhere is my handle\n.\n"),
    ("\"v2\"", "2a\nhere is my handle\n.\n"),
];

/// `GET /delta`.
pub async fn delta(ex: &mut Exchange<'_>) -> Outcome {
    let (current_tag, current) = VERSIONS[VERSIONS.len() - 1];
    let req = ex.request();
    let held: Vec<String> = req
        .header_all("if-none-match")
        .flat_map(|v| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|t| t.trim().trim_start_matches("W/").to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let accepts_diffe = req.header_all("a-im").any(|v| {
        String::from_utf8_lossy(v).split(',').any(|m| {
            m.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("diffe")
        })
    });
    if held.iter().any(|t| t == current_tag || t == "*") {
        let head = Head::new(Status::NOT_MODIFIED)
            .header("ETag", current_tag)
            .header("Cache-Control", "no-cache");
        return sent(ex.respond(head, "").await);
    }
    let base = DIFFE.iter().find(|(tag, _)| held.iter().any(|h| h == tag));
    match (accepts_diffe, base) {
        (true, Some((base_tag, script))) => {
            let head = Head::new(Status::IM_USED)
                .header("ETag", current_tag)
                .header("IM", "diffe")
                .header("Delta-Base", *base_tag)
                .header("Cache-Control", "no-cache, im")
                .header("Content-Type", "text/plain; charset=utf-8");
            sent(ex.respond(head, *script).await)
        }
        _ => {
            let head = Head::new(Status::OK)
                .header("ETag", current_tag)
                .header("Cache-Control", "no-cache")
                .header("Content-Type", "text/plain; charset=utf-8");
            sent(ex.respond(head, current).await)
        }
    }
}
