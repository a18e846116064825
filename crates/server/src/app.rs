//! [`App`]: the engine's `Service`. It routes each request and turns a
//! handler's `Problem` into an answer.

use std::time::{Duration, SystemTime};

use teapot_wire::{Exchange, Service, Transport};

use crate::problem::Problem;
use crate::routes;
use crate::Config;

/// What every handler may read: the application's settings.
#[derive(Clone, Debug)]
pub struct App {
    /// Longest delay a client may ask for.
    pub max_delay: Duration,
    /// When the server started: the `Last-Modified` of its fixed resources.
    pub started: SystemTime,
}

impl App {
    /// The application for a configuration.
    pub fn new(config: &Config) -> App {
        App {
            max_delay: config.max_delay,
            started: SystemTime::now(),
        }
    }
}

impl Service for App {
    async fn call<T: Transport>(&self, ex: &mut Exchange<'_, T>) {
        if let Err(problem) = routes::dispatch(self, ex).await {
            send_problem(ex, &problem).await;
        }
    }
}

/// Answers with a problem, unless an answer already went out.
pub async fn send_problem<T: Transport>(ex: &mut Exchange<'_, T>, problem: &Problem) {
    if ex.is_answered() {
        return;
    }
    let accept = ex.request().header_str("accept").map(str::to_owned);
    let (head, body) = problem.render(accept.as_deref(), ex.request().path());
    if let Err(e) = ex.respond(head, body).await {
        tracing::debug!("could not send problem: {e}");
    }
}
