//! A handler that misuses the exchange gets an error it can tell from a
//! peer that went away, and the client still gets one well-formed answer.

use std::sync::{Arc, Mutex};

use teapot_testkit::{get, Client};
use teapot_wire::{is_misuse, serve_connection, Config, Exchange, Head, Service, Status};
use tokio::net::TcpListener;

/// Answers, then tries again in ways that break the exchange, and keeps
/// what each try returned.
struct Twice(Arc<Mutex<Vec<(&'static str, bool)>>>);

impl Service for Twice {
    async fn call(&self, ex: &mut Exchange<'_>) {
        let mut seen = Vec::new();
        let r = ex.respond(Head::new(Status::OK), "first").await;
        seen.push(("first", r.is_err()));
        let r = ex.respond(Head::new(Status::IM_A_TEAPOT), "second").await;
        seen.push(("twice", r.as_ref().is_err_and(is_misuse)));
        let r = ex.interim(Head::new(Status::EARLY_HINTS)).await;
        seen.push(("interim after final", r.as_ref().is_err_and(is_misuse)));
        self.0.lock().unwrap().extend(seen);
    }
}

#[tokio::test]
async fn answering_twice_is_a_misuse_and_the_first_answer_stands() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let service = Twice(seen.clone());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        serve_connection(tcp, None, &service, &Config::default(), stopped).await;
    });
    let mut c = Client::connect(addr).await;
    c.send(get("/")).await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"first"[..]));
    drop(c);
    server.await.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("first", false),
            ("twice", true),
            ("interim after final", true)
        ]
    );
}
