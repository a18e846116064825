//! `/negotiate`: proactive and reactive content negotiation (RFC 9110
//! §12). One resource in three variants (`/negotiate/text`, `/negotiate/json`,
//! `/negotiate/html`): an acceptable `Accept` gets the best variant (200);
//! none acceptable gets 406 listing them; no `Accept` at all (no stated
//! preference) gets 300 with the alternatives. `/negotiate/loop` is a
//! resource misconfigured so that its variant negotiates again: 506.

use serde_json::json;
use teapot_wire::{Exchange, Head, Status};

use super::{sent, Outcome};
use crate::problem::Problem;
use teapot_wire::accept::choose;

const VARIANTS: [(&str, &str); 3] = [
    ("text/plain", "/negotiate/text"),
    ("application/json", "/negotiate/json"),
    ("text/html", "/negotiate/html"),
];

fn representation(media: &str) -> (String, String) {
    match media {
        "application/json" => ("application/json".into(), json!({ "tea": "earl grey", "sugar": 2 }).to_string() + "\n"),
        "text/html" => (
            "text/html; charset=utf-8".into(),
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tea</title></head>\
             <body><p>Earl grey, two sugars.</p></body></html>\n"
                .into(),
        ),
        _ => ("text/plain; charset=utf-8".into(), "Earl grey, two sugars.\n".into()),
    }
}

fn links() -> String {
    VARIANTS
        .iter()
        .map(|(media, uri)| format!("<{uri}>; rel=\"alternate\"; type=\"{media}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `/negotiate` and its variants.
pub async fn negotiate(ex: &mut Exchange<'_>, variant: Option<&str>) -> Outcome {
    if let Some(v) = variant {
        if v == "loop" {
            return Err(Problem::new(
                506,
                "The variant chosen for this resource is itself a negotiating resource, so negotiation cannot end.",
            )
            .header("Alternates", "{\"/negotiate/loop\" 1.0}")
            .header("TCN", "list"));
        }
        let Some((media, uri)) = VARIANTS
            .iter()
            .find(|(_, uri)| uri.rsplit('/').next() == Some(v))
        else {
            return Err(Problem::not_found(ex.request().path()));
        };
        let (ctype, body) = representation(media);
        let head = Head::new(Status::OK)
            .header("Content-Type", ctype)
            .header("Content-Location", *uri);
        return sent(ex.respond(head, body).await);
    }
    let offers: Vec<&str> = VARIANTS.iter().map(|(m, _)| *m).collect();
    let accept = ex.request().header_str("accept").map(str::to_owned);
    let Some(accept) = accept else {
        let mut body = String::from("300 Multiple Choices\nThis resource is available as:\n");
        for (media, uri) in VARIANTS {
            body.push_str(&format!("  {uri}  {media}\n"));
        }
        let head = Head::new(Status::MULTIPLE_CHOICES)
            .header("Link", links())
            .header("Vary", "Accept")
            .header("Content-Type", "text/plain; charset=utf-8");
        return sent(ex.respond(head, body).await);
    };
    match choose(Some(&accept), &offers) {
        Some(media) => {
            let uri = VARIANTS
                .iter()
                .find(|(m, _)| *m == media)
                .map_or("/negotiate", |(_, u)| *u);
            let (ctype, body) = representation(media);
            let head = Head::new(Status::OK)
                .header("Content-Type", ctype)
                .header("Content-Location", uri)
                .header("Vary", "Accept");
            sent(ex.respond(head, body).await)
        }
        None => Err(Problem::new(
            406,
            format!(
                "Nothing here matches Accept: {accept}. Available: {}.",
                offers.join(", ")
            ),
        )
        .header("Vary", "Accept")
        .header("Link", links())
        .with("available", json!(offers))),
    }
}
