//! The router: a path goes to exactly one handler. Handlers answer through
//! the exchange, or return a [`Problem`] that the dispatcher renders.

mod assets;
mod echo;
mod fault;
mod forced;
mod health;

use teapot_wire::{Exchange, Method, Transport};

use crate::app::App;
use crate::problem::Problem;

/// What a handler returns: it answered, or here is the problem to send.
pub type Outcome = Result<(), Problem>;

/// Routes one request.
pub async fn dispatch<T: Transport>(app: &App, ex: &mut Exchange<'_, T>) -> Outcome {
    let path = ex.request().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["healthz"] => health::healthz(ex).await,
        ["anything", ..] => echo::anything(ex, None).await,
        ["get"] => echo::anything(ex, Some(Method::Get)).await,
        ["post"] => echo::anything(ex, Some(Method::Post)).await,
        ["put"] => echo::anything(ex, Some(Method::Put)).await,
        ["patch"] => echo::anything(ex, Some(Method::Patch)).await,
        ["delete"] => echo::anything(ex, Some(Method::Delete)).await,
        ["headers"] => echo::headers_only(ex).await,
        ["ip"] => echo::ip(ex).await,
        ["user-agent"] => echo::user_agent(ex).await,
        ["fault", kind] => fault::fault(app, ex, kind).await,
        ["status" | "random", spec, ..] => forced::forced(app, ex, spec).await,
        [code, ..] if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => {
            forced::forced(app, ex, code).await
        }
        ["static", "teapot.css"] => assets::stylesheet(ex).await,
        _ => Err(Problem::not_found(&path)),
    }
}

/// The query's `name=value` pairs, percent-decoded.
pub fn query_pairs<T: Transport>(ex: &Exchange<'_, T>) -> Vec<(String, String)> {
    ex.request()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// Refuses methods other than GET and HEAD.
pub fn only_get<T: Transport>(ex: &Exchange<'_, T>) -> Outcome {
    let m = ex.request().method();
    if m == Method::Get || m == Method::Head {
        Ok(())
    } else {
        Err(Problem::method_not_allowed(m.as_str(), &["GET", "HEAD"]))
    }
}

/// Answers an I/O error on the way out: nothing more can be sent.
pub fn sent(r: std::io::Result<()>) -> Outcome {
    if let Err(e) = r {
        tracing::debug!("write failed: {e}");
    }
    Ok(())
}
