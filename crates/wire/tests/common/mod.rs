//! A test service that exercises every part of the exchange, and a small
//! accept loop to run it on a loopback port.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use teapot_wire::{serve_connection, Config, Exchange, Fault, Head, Limits, Service, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The size of `/big` and `/made`.
pub const BIG: usize = 100 * 1024;

pub fn status(n: u16) -> Status {
    Status::from_u16(n).unwrap()
}

pub struct TestService;

impl Service for TestService {
    async fn call(&self, ex: &mut Exchange<'_>) {
        let path = ex.request().path().to_owned();
        match path.as_str() {
            "/echo" => {
                let Ok(body) = ex.read_body(1 << 20).await else {
                    return; // the engine answers the body error
                };
                let mut head =
                    Head::new(status(200)).header("X-Method", ex.request().method().as_str());
                for (name, value) in ex.trailers().to_vec() {
                    head = head.header(format!("X-Trailer-{name}"), value);
                }
                let _ = ex.respond(head, body).await;
            }
            "/pieces" => {
                // How the body came: the number of pieces and the largest.
                let (mut count, mut largest) = (0usize, 0usize);
                while let Ok(Some(piece)) = ex.read_chunk().await {
                    count += 1;
                    largest = largest.max(piece.len());
                }
                let _ = ex
                    .respond(Head::new(status(200)), format!("{count} {largest}"))
                    .await;
            }
            "/sized" => {
                if ex.require_length().await {
                    let body = ex.read_body(1 << 20).await.unwrap_or_default();
                    let _ = ex.respond(Head::new(status(200)), body).await;
                }
            }
            "/interim" => {
                let _ = ex.interim(Head::new(status(102))).await;
                let _ = ex
                    .interim(Head::new(status(103)).header("Link", "</style.css>; rel=preload"))
                    .await;
                let _ = ex.respond(Head::new(status(200)), "final").await;
            }
            "/switch" => match ex
                .switch(Head::new(status(101)).header("Upgrade", "echo"))
                .await
            {
                Ok(mut up) => {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = up.read(&mut buf).await {
                        if n == 0 || up.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
                Err(_) => {
                    let head = Head::new(status(426))
                        .header("Upgrade", "echo")
                        .header("Connection", "upgrade");
                    let _ = ex.respond(head, "upgrade required").await;
                }
            },
            "/reset" => {
                let _ = ex.fault(Fault::Reset).await;
            }
            "/close" => {
                let _ = ex.fault(Fault::Close).await;
            }
            "/raw" => {
                let _ = ex
                    .fault(Fault::Raw(Bytes::from_static(b"not http\r\n")))
                    .await;
            }
            "/stream" => {
                let _ = ex.start(Head::new(status(200)), None).await;
                for piece in ["one ", "two ", "three"] {
                    let _ = ex.write(piece.as_bytes()).await;
                }
                let _ = ex.finish().await;
            }
            "/large-pieces" => {
                // Pieces large and small, chunked, then a trailer.
                let _ = ex.start(Head::new(status(200)), None).await;
                for piece in [vec![b'a'; 20480], b"small".to_vec(), vec![b'b'; 9000]] {
                    let _ = ex.write(&piece).await;
                }
                let trailer = vec![("X-Pieces".to_string(), bytes::Bytes::from_static(b"3"))];
                let _ = ex.finish_with_trailers(trailer).await;
            }
            "/short" => {
                let _ = ex.start(Head::new(status(200)), Some(10)).await;
                let _ = ex.write(b"abc").await;
            }
            "/big" => {
                let _ = ex.respond(Head::new(status(200)), vec![b'x'; BIG]).await;
            }
            "/made" => {
                // The same content, made only as the client takes it.
                if ex
                    .start(Head::new(status(200)), Some(BIG as u64))
                    .await
                    .is_ok()
                {
                    let mut left = BIG;
                    while left > 0 {
                        let Ok(n) = ex.ready(left).await else { return };
                        if ex.write(&vec![b'x'; n]).await.is_err() {
                            return;
                        }
                        left -= n;
                    }
                    let _ = ex.finish().await;
                }
            }
            "/nothing" => {}
            "/panic" => panic!("a handler bug"),
            "/early" => {
                let head =
                    Head::new(status(401)).header("WWW-Authenticate", "Basic realm=\"test\"");
                let _ = ex.respond(head, "no").await;
            }
            "/hold" => {
                // Says it has started (102), then holds its answer.
                let _ = ex.interim(Head::new(status(102))).await;
                tokio::time::sleep(Duration::from_secs(2)).await;
                let _ = ex.respond(Head::new(status(200)), "held").await;
            }
            "/slow-started" => {
                // Says it has started (102), so a test can act mid-exchange
                // on an event rather than on a guess of time.
                let _ = ex.interim(Head::new(status(102))).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = ex.respond(Head::new(status(200)), "slow").await;
            }
            "/slow" => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = ex.respond(Head::new(status(200)), "slow").await;
            }
            "/bad-header" => {
                if let Err(e) = ex
                    .respond(Head::new(status(200)).header("X", "a\r\nInjected: 1"), "x")
                    .await
                {
                    let _ = ex.respond(Head::new(status(500)), e.to_string()).await;
                }
            }
            p if p.starts_with("/status/") => {
                let code: u16 = p[8..].parse().unwrap();
                if ex
                    .respond(Head::new(status(code)), "content")
                    .await
                    .is_err()
                {
                    // 1xx cannot be final: fall through to the engine's 500.
                }
            }
            _ => {
                let _ = ex.respond(Head::new(status(404)), "not found").await;
            }
        }
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl TestServer {
    pub async fn start(limits: Limits) -> TestServer {
        Self::start_with(Config {
            limits,
            ..Config::default()
        })
        .await
    }

    pub async fn start_with(config: Config) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, rx) = watch::channel(false);
        let config = Arc::new(config);
        let task = tokio::spawn(async move {
            let mut stopped = rx.clone();
            loop {
                tokio::select! {
                    r = listener.accept() => {
                        let Ok((stream, remote)) = r else { continue };
                        stream.set_nodelay(true).unwrap();
                        let config = config.clone();
                        let rx = rx.clone();
                        tokio::spawn(async move {
                            serve_connection(stream, Some(remote), &TestService, &config, rx).await;
                        });
                    }
                    _ = stopped.changed() => break,
                }
            }
        });
        TestServer { addr, stop, task }
    }

    pub async fn default() -> TestServer {
        TestServer::start(Limits::default()).await
    }

    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    pub async fn join(self) {
        self.stop();
        let _ = self.task.await;
    }
}
