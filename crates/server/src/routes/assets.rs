//! Static assets embedded in the binary.

use teapot_codes::Status;
use teapot_wire::{Exchange, Head};

use super::{sent, Outcome};

const CSS: &str = include_str!("../../assets/teapot.css");

/// `/static/teapot.css`: the stylesheet of every HTML page (and the file
/// the 103 early hints announce).
pub async fn stylesheet(ex: &mut Exchange<'_>) -> Outcome {
    let head = Head::new(Status::OK)
        .header("Content-Type", "text/css; charset=utf-8")
        .header("Cache-Control", "public, max-age=3600");
    sent(ex.respond(head, CSS).await)
}
