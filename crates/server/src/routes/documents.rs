//! Sample documents for clients to fetch and parse, in the shapes httpbin
//! and go-httpbin give them (the texts and pictures are teapot's own):
//! JSON, XML, HTML, a UTF-8 page, a form, `robots.txt` and the page it
//! denies, and one picture in four image formats.

use teapot_wire::accept::choose;
use teapot_wire::{Exchange, Head, Status};

use super::{sent, Outcome};
use crate::problem::Problem;

/// The picture, by media type, in the order `/image` prefers them.
const IMAGES: [(&str, &str, &[u8]); 4] = [
    (
        "png",
        "image/png",
        include_bytes!("../../assets/images/teapot.png"),
    ),
    (
        "webp",
        "image/webp",
        include_bytes!("../../assets/images/teapot.webp"),
    ),
    (
        "svg",
        "image/svg+xml",
        include_bytes!("../../assets/images/teapot.svg"),
    ),
    (
        "jpeg",
        "image/jpeg",
        include_bytes!("../../assets/images/teapot.jpeg"),
    ),
];

/// `/image`: the picture in the format `Accept` likes best (PNG when it
/// names none); 406 with the formats there are when it likes none.
pub async fn image(ex: &mut Exchange<'_>) -> Outcome {
    let offers: Vec<&str> = IMAGES.iter().map(|(_, t, _)| *t).collect();
    let Some(chosen) = choose(ex.request().header_str("accept"), &offers) else {
        return Err(Problem::new(
            406,
            "None of the image formats here is acceptable: image/png, image/webp, image/svg+xml, image/jpeg.",
        )
        .with("accept", serde_json::json!(offers)));
    };
    let (_, ctype, bytes) = IMAGES
        .iter()
        .find(|(_, t, _)| *t == chosen)
        .unwrap_or(&IMAGES[0]);
    let head = Head::new(Status::OK)
        .header("Content-Type", *ctype)
        .header("Vary", "Accept");
    sent(ex.respond(head, *bytes).await)
}

/// `/image/{kind}`: the picture as `png`, `jpeg`, `webp` or `svg`.
pub async fn image_of(ex: &mut Exchange<'_>, kind: &str) -> Outcome {
    let Some((_, ctype, bytes)) = IMAGES.iter().find(|(k, _, _)| *k == kind) else {
        return Err(Problem::new(
            404,
            format!("There is no {kind:?} picture here; ask for png, jpeg, webp or svg."),
        )
        .with("kinds", serde_json::json!(["png", "jpeg", "webp", "svg"])));
    };
    let head = Head::new(Status::OK).header("Content-Type", *ctype);
    sent(ex.respond(head, *bytes).await)
}

const JSON: &str = include_str!("../../assets/samples/slideshow.json");
const XML: &str = include_str!("../../assets/samples/slideshow.xml");
const HTML: &str = include_str!("../../assets/samples/page.html");
const UTF8: &str = include_str!("../../assets/samples/utf8.html");
const FORM: &str = include_str!("../../assets/samples/form.html");
const ROBOTS: &str = "User-agent: *\nDisallow: /deny\n";
const DENY: &str = "\
          .-~~~~-.
         /  .--.  \\    YOU SHOULDN'T BE HERE
        |  (    )  |
         \\  '--'  /    (robots.txt says so)
          '-....-'
";

/// The documents, by route.
#[derive(Clone, Copy, Debug)]
pub enum Document {
    /// `/json`.
    Json,
    /// `/xml`.
    Xml,
    /// `/html`.
    Html,
    /// `/encoding/utf8`.
    Utf8,
    /// `/forms/post`.
    Form,
    /// `/robots.txt`.
    Robots,
    /// `/deny`.
    Deny,
}

impl Document {
    /// Its media type and text.
    pub fn content(self) -> (&'static str, &'static str) {
        match self {
            Document::Json => ("application/json", JSON),
            Document::Xml => ("application/xml", XML),
            Document::Html | Document::Utf8 | Document::Form => (
                "text/html; charset=utf-8",
                match self {
                    Document::Html => HTML,
                    Document::Utf8 => UTF8,
                    _ => FORM,
                },
            ),
            Document::Robots => ("text/plain; charset=utf-8", ROBOTS),
            Document::Deny => ("text/plain; charset=utf-8", DENY),
        }
    }
}

/// Answers with a document.
pub async fn document(ex: &mut Exchange<'_>, doc: Document) -> Outcome {
    let (ctype, text) = doc.content();
    let head = Head::new(Status::OK).header("Content-Type", ctype);
    sent(ex.respond(head, text).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_samples_parse_as_what_they_claim() {
        let v: serde_json::Value = serde_json::from_str(JSON).unwrap();
        assert_eq!(v["slideshow"]["slides"].as_array().unwrap().len(), 2);
        let mut reader = quick_xml::Reader::from_str(XML);
        let mut depth = 0i32;
        loop {
            match reader.read_event().unwrap() {
                quick_xml::events::Event::Start(_) => depth += 1,
                quick_xml::events::Event::End(_) => depth -= 1,
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0);
        assert!(UTF8.contains("茶壶") && UTF8.contains('🫖'));
        assert!(FORM.contains("action=\"/post\""));
        assert!(DENY.contains("YOU SHOULDN'T BE HERE"));
        // Each picture starts with its format's signature.
        let starts: Vec<&[u8]> = IMAGES.iter().map(|(_, _, b)| &b[..4]).collect();
        assert_eq!(
            starts,
            [&b"\x89PNG"[..], b"RIFF", b"<svg", b"\xff\xd8\xff\xe0"]
        );
    }
}
