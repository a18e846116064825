//! Small scenarios that earn a code each: long work (102), early hints
//! (103), a captive portal (511), a mandatory extension (510), a form that
//! resets (205) and a paywall (402).

use std::time::Duration;

use serde_json::json;
use teapot_wire::{Exchange, Head, Method, Status};

use super::{query_pairs, reply_json, sent, Outcome};
use crate::app::App;
use crate::problem::Problem;
use crate::routes::forced::STYLESHEET;

/// `/processing?duration=S`: works for `duration` seconds (default 3, at
/// most the server's maximum delay), sending 102 every second, then 200.
pub async fn processing(app: &App, ex: &mut Exchange<'_>) -> Outcome {
    let mut seconds = 3u64;
    for (k, v) in query_pairs(ex) {
        if k == "duration" {
            seconds = v.parse().map_err(|_| {
                Problem::bad_request(format!(
                    "duration must be a whole number of seconds, not {v:?}."
                ))
                .kind("bad-option")
            })?;
        }
    }
    if Duration::from_secs(seconds) > app.max_delay {
        return Err(Problem::bad_request(format!(
            "duration={seconds} is over the server's maximum delay of {} s.",
            app.max_delay.as_secs()
        ))
        .kind("bad-delay"));
    }
    for _ in 0..seconds {
        if ex.interim(Head::new(Status::PROCESSING)).await.is_err() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let doc = json!({ "processed": true, "seconds": seconds });
    reply_json(ex, Head::new(Status::OK), &doc).await
}

/// `/early-hints`: 103 with a preload of the stylesheet, then a page that
/// uses it.
pub async fn early_hints(ex: &mut Exchange<'_>) -> Outcome {
    let link = format!("<{STYLESHEET}>; rel=preload; as=style");
    if ex
        .interim(Head::new(Status::EARLY_HINTS).header("Link", link.clone()))
        .await
        .is_err()
    {
        return Ok(());
    }
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Early hints</title>\
         <link rel=\"stylesheet\" href=\"{STYLESHEET}\"></head><body><main><h1>Early hints</h1>\
         <p>The stylesheet of this page was announced in a 103 response before this one.</p>\
         </main></body></html>\n"
    );
    let head = Head::new(Status::OK)
        .header("Link", link)
        .header("Content-Type", "text/html; charset=utf-8");
    sent(ex.respond(head, page).await)
}

/// The cookie that says the network sign-in happened.
pub const PORTAL_COOKIE: &str = "teapot_portal=signed-in";

/// `/portal`: 511 with a sign-in link until the portal cookie is sent;
/// `/portal/sign-in` sets it and sends the client back.
pub async fn portal(ex: &mut Exchange<'_>, sign_in: bool) -> Outcome {
    if sign_in {
        let head = Head::new(Status::SEE_OTHER)
            .header("Location", "/portal")
            .header("Set-Cookie", format!("{PORTAL_COOKIE}; Path=/; HttpOnly"))
            .header("Content-Type", "text/plain; charset=utf-8");
        return sent(ex.respond(head, "Signed in; back to /portal\n").await);
    }
    let signed_in = ex.request().header_all("cookie").any(|v| {
        String::from_utf8_lossy(v)
            .split(';')
            .any(|c| c.trim() == PORTAL_COOKIE)
    });
    if signed_in {
        let doc = json!({ "network": "open" });
        return reply_json(ex, Head::new(Status::OK), &doc).await;
    }
    let page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in</title></head>\
                <body><main><h1>Network sign-in required</h1>\
                <p><a href=\"/portal/sign-in\">Sign in to use this network</a></p></main></body></html>\n";
    let head = Head::new(Status::NETWORK_AUTHENTICATION_REQUIRED)
        .header("Content-Type", "text/html; charset=utf-8")
        .header("Cache-Control", "no-store");
    sent(ex.respond(head, page).await)
}

/// The extension `/extension` insists on (RFC 2774).
pub const EXTENSION: &str = "urn:teapot:ext:brew";

/// `/extension`: 510 unless the request declares the mandatory extension
/// in `Man` or `C-Man` (`Man: "urn:teapot:ext:brew"; ns=16`).
pub async fn extension(ex: &mut Exchange<'_>) -> Outcome {
    let declared = ["man", "c-man"].iter().any(|field| {
        ex.request().header_all(field).any(|v| {
            String::from_utf8_lossy(v)
                .split(',')
                .any(|decl| decl.trim().trim_start_matches('"').starts_with(EXTENSION))
        })
    });
    if declared {
        let doc = json!({ "extension": EXTENSION, "declared": true });
        return reply_json(ex, Head::new(Status::OK), &doc).await;
    }
    Err(Problem::new(
        510,
        format!("This resource requires the mandatory extension {EXTENSION}: declare it with Man: \"{EXTENSION}\"; ns=16."),
    )
    .with("extension", json!(EXTENSION)))
}

/// `/reset`: GET shows a form; posting it answers 205 so the client clears
/// the form.
pub async fn reset(ex: &mut Exchange<'_>) -> Outcome {
    if ex.request().method() == Method::Post {
        if ex.read_body(64 * 1024).await.is_err() {
            return Ok(());
        }
        return sent(ex.respond(Head::new(Status::RESET_CONTENT), "").await);
    }
    let page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Reset</title></head>\
                <body><main><form method=\"post\" action=\"/reset\"><label>Note <input name=\"note\"></label>\
                <button>Send</button></form></main></body></html>\n";
    let head = Head::new(Status::OK).header("Content-Type", "text/html; charset=utf-8");
    sent(ex.respond(head, page).await)
}

/// `/pay`: 402 until the request carries a payment token in
/// `X-Payment-Token`.
pub async fn pay(ex: &mut Exchange<'_>) -> Outcome {
    let token = ex
        .request()
        .header_str("x-payment-token")
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match token {
        Some(t) => {
            let doc = json!({ "paid": true, "token": t });
            reply_json(ex, Head::new(Status::OK), &doc).await
        }
        None => Err(Problem::new(
            402,
            "Send a payment token in X-Payment-Token to use this resource.",
        )),
    }
}
