//! Redirect chains, shaped like httpbin's: `/redirect/{n}`,
//! `/relative-redirect/{n}`, `/absolute-redirect/{n}` and
//! `/redirect-to?url=&status_code=`. Chains end at `/get`.

use teapot_wire::{Exchange, Head};

use super::{query_pairs, sent, status, Outcome};
use crate::problem::Problem;
use crate::routes::forced::parse_location;

/// The longest chain one request may ask for.
pub const MAX_HOPS: u32 = 100;

/// Which kind of `Location` a chain uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `/relative-redirect/{n-1}`
    Relative,
    /// `http://host/absolute-redirect/{n-1}` (`https://` over TLS)
    Absolute,
}

fn hops(n: &str) -> Result<u32, Problem> {
    n.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_HOPS).contains(n))
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "The number of redirects must be a whole number from 1 to {MAX_HOPS}, not {n:?}."
            ))
            .kind("bad-option")
        })
}

/// `/redirect/{n}` (relative, or absolute with `?absolute=true`),
/// `/relative-redirect/{n}` and `/absolute-redirect/{n}`: 302 to the next
/// hop; the last hop points at `/get`.
pub async fn chain(ex: &mut Exchange<'_>, n: &str, form: Option<Form>) -> Outcome {
    let n = hops(n)?;
    let form = form.unwrap_or_else(|| {
        let absolute = query_pairs(ex)
            .iter()
            .any(|(k, v)| k == "absolute" && v.eq_ignore_ascii_case("true"));
        if absolute {
            Form::Absolute
        } else {
            Form::Relative
        }
    });
    let next = match (form, n) {
        (_, 1) => "/get".to_string(),
        (Form::Relative, n) => format!("/relative-redirect/{}", n - 1),
        (Form::Absolute, n) => format!("/absolute-redirect/{}", n - 1),
    };
    let location = match form {
        Form::Relative => next,
        Form::Absolute => super::absolute_url(ex, &next),
    };
    redirect(ex, 302, location).await
}

/// `/redirect-to?url=…&status_code=…`: any method; `status_code` is a
/// redirect code (default 302) and `url` a relative path or http(s) URL.
pub async fn redirect_to(ex: &mut Exchange<'_>) -> Outcome {
    let mut url = None;
    let mut code = 302;
    for (k, v) in query_pairs(ex) {
        match k.as_str() {
            "url" => url = Some(parse_location(&v)?),
            "status_code" => {
                code = v.parse().ok().filter(|c| [300, 301, 302, 303, 305, 307, 308].contains(c)).ok_or_else(|| {
                    Problem::bad_request(format!(
                        "status_code must be a redirect: 300, 301, 302, 303, 305, 307 or 308, not {v:?}."
                    ))
                    .kind("bad-option")
                })?;
            }
            _ => {}
        }
    }
    let Some(url) = url else {
        return Err(Problem::bad_request("The url parameter is required.").kind("bad-location"));
    };
    redirect(ex, code, url).await
}

async fn redirect(ex: &mut Exchange<'_>, code: u16, location: String) -> Outcome {
    let body = format!("Redirecting to {location}\n");
    let head = Head::new(status(code))
        .header("Location", location)
        .header("Content-Type", "text/plain; charset=utf-8");
    sent(ex.respond(head, body).await)
}
