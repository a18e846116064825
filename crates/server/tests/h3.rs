//! HTTP/3 under pressure and at its edges, with a QUIC client of quinn's
//! whose receive windows the test sets (aioquic's own tests, in
//! `tests/h3`, cover the everyday answers): a reader that stops, a
//! connection left idle, a server that shuts down with a request in
//! flight.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use h3::error::{Code, StreamError};
use teapot_check::tls::Alpn;

type Send = h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>;

/// A QUIC connection to `addr` with these receive windows, and its HTTP/3
/// request sender. The connection's driver runs on a task of its own.
async fn connect(addr: SocketAddr, stream_window: u32) -> (quinn::Connection, Send) {
    try_connect(addr, stream_window).await.unwrap()
}

async fn try_connect(
    addr: SocketAddr,
    stream_window: u32,
) -> Result<(quinn::Connection, Send), quinn::ConnectionError> {
    let tls = teapot_check::tls::client_config(true, Alpn::Http3);
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap();
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport
        .stream_receive_window(stream_window.into())
        .receive_window((4 * stream_window).into());
    config.transport_config(Arc::new(transport));
    let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    endpoint.set_default_client_config(config);
    let quic = endpoint.connect(addr, "localhost").unwrap().await?;
    let (mut driver, send) = h3::client::new(h3_quinn::Connection::new(quic.clone()))
        .await
        .unwrap();
    tokio::spawn(async move {
        std::future::poll_fn(|cx| driver.poll_close(cx)).await;
    });
    Ok((quic, send))
}

fn get(path: &str) -> http::Request<()> {
    http::Request::get(format!("https://localhost{path}"))
        .body(())
        .unwrap()
}

/// Sends a GET and reads its status and whole content.
async fn fetch(send: &mut Send, path: &str) -> (u16, Vec<u8>) {
    let mut stream = send.send_request(get(path)).await.unwrap();
    stream.finish().await.unwrap();
    let head = stream.recv_response().await.unwrap();
    let mut body = Vec::new();
    while let Some(mut chunk) = stream.recv_data().await.unwrap() {
        body.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
    }
    (head.status().as_u16(), body)
}

/// The value of one sample line of `/metrics`, asked over HTTP/3.
async fn sample(server: &teapot_server::Running, name: &str) -> f64 {
    let (quic, mut send) = connect(server.addr(), 1024 * 1024).await;
    let (_, body) = fetch(&mut send, "/metrics").await;
    quic.close(0u32.into(), b"");
    String::from_utf8(body)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

async fn h3_server(keep_alive: Duration) -> teapot_server::Running {
    h3_server_with(|c| c.limits.keep_alive_timeout = keep_alive).await
}

async fn h3_server_with(f: impl FnOnce(&mut teapot_server::Config)) -> teapot_server::Running {
    let made = teapot_server::tls::self_signed(vec!["localhost".into()]).unwrap();
    common::server_with(|c| {
        c.tls = Some(made);
        c.http3 = true;
        f(c);
    })
    .await
}

/// QUIC connections count against `--max-connections` as TCP ones do:
/// past it a new one is refused (`CONNECTION_REFUSED`), and once one
/// closes there is room again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_limit_a_quic_connection_is_refused() {
    let server = h3_server_with(|c| c.max_connections = 2).await;
    let (first, mut send) = connect(server.addr(), 64 * 1024).await;
    let (_second, _send2) = connect(server.addr(), 64 * 1024).await;
    assert_eq!(fetch(&mut send, "/200").await.0, 200);
    match try_connect(server.addr(), 64 * 1024).await {
        Err(quinn::ConnectionError::ConnectionClosed(close)) => {
            assert_eq!(
                close.error_code,
                quinn::TransportErrorCode::CONNECTION_REFUSED
            );
        }
        Err(other) => panic!("refused with {other:?}"),
        Ok(_) => panic!("a third connection was taken"),
    }
    first.close(0u32.into(), b"");
    drop(send);
    let mut room = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Ok((_, mut send)) = try_connect(server.addr(), 64 * 1024).await {
            assert_eq!(fetch(&mut send, "/418").await.0, 418);
            room = true;
            break;
        }
    }
    assert!(room, "no room after a connection closed");
    server.shutdown().await;
}

/// A client that stops reading: the answer goes as far as its window
/// lets, then, after the keep-alive timeout without progress, the stream
/// is reset (`H3_REQUEST_CANCELLED`) and counted; the connection and its
/// other streams go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_is_reset_and_counted() {
    let server = h3_server(Duration::from_secs(1)).await;
    let name = "teapot_defenses_total{defense=\"h3_stalled_reader\"}";
    assert_eq!(sample(&server, name).await, 0.0);
    let (_quic, mut send) = connect(server.addr(), 4 * 1024).await;
    let mut stalled = send.send_request(get("/bytes/102400")).await.unwrap();
    stalled.finish().await.unwrap();
    assert_eq!(stalled.recv_response().await.unwrap().status(), 200);
    // Nothing read for longer than the server waits (and not so long that
    // the connection, without streams since the reset, is idle too long).
    tokio::time::sleep(Duration::from_millis(1400)).await;
    assert_eq!(sample(&server, name).await, 1.0);
    // The same connection answers on.
    assert_eq!(fetch(&mut send, "/418").await.0, 418);
    let mut got = 0;
    let ended = loop {
        match stalled.recv_data().await {
            Ok(Some(mut chunk)) => {
                got += chunk.remaining();
                chunk.advance(chunk.remaining());
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    assert!(got < 102_400, "the whole answer came: {got} bytes");
    assert!(
        matches!(
            ended,
            Some(StreamError::RemoteTerminate {
                code: Code::H3_REQUEST_CANCELLED,
                ..
            })
        ),
        "{ended:?}"
    );
    server.shutdown().await;
}

/// A connection without requests for the keep-alive timeout gets GOAWAY
/// and is closed (`H3_NO_ERROR`), as an HTTP/2 one is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_after_the_keep_alive_timeout() {
    let server = h3_server(Duration::from_millis(500)).await;
    let (quic, mut send) = connect(server.addr(), 64 * 1024).await;
    assert_eq!(fetch(&mut send, "/200").await.0, 200);
    let started = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(5), quic.closed())
        .await
        .expect("the server closed the idle connection");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(400),
        "closed after {waited:?}"
    );
    match closed {
        quinn::ConnectionError::ApplicationClosed(close) => {
            assert_eq!(close.error_code.into_inner(), Code::H3_NO_ERROR.value());
        }
        other => panic!("closed with {other:?}"),
    }
    server.shutdown().await;
}

/// A request in flight when the server shuts down still gets its whole
/// answer; the connection is then closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_request_in_flight_finish() {
    let server = h3_server(Duration::from_secs(60)).await;
    let (quic, mut send) = connect(server.addr(), 64 * 1024).await;
    let slow = tokio::spawn(async move {
        let answer = fetch(&mut send, "/200?delay=600").await;
        (answer, send)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.shutdown().await;
    let ((status, body), mut send) = slow.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, b"200 OK\n");
    // After GOAWAY no new request is taken.
    assert!(send.send_request(get("/200")).await.is_err());
    let closed = tokio::time::timeout(Duration::from_secs(5), quic.closed()).await;
    assert!(closed.is_ok(), "the connection stayed open");
}

/// While the server drains, a QUIC connection made then is still served
/// its first request, as a TCP one is; then it gets GOAWAY and closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_made_while_draining_is_served_once() {
    let server = h3_server_with(|c| c.drain = Duration::from_millis(1500)).await;
    let addr = server.addr();
    let stopping = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (quic, mut send) = connect(addr, 64 * 1024).await;
    assert_eq!(fetch(&mut send, "/200").await, (200, b"200 OK\n".to_vec()));
    let second = async {
        let mut stream = send.send_request(get("/200")).await?;
        stream.finish().await?;
        stream.recv_response().await
    }
    .await;
    assert!(
        second.is_err(),
        "a second request was answered while draining"
    );
    let closed = tokio::time::timeout(Duration::from_secs(5), quic.closed()).await;
    assert!(closed.is_ok(), "the connection stayed open");
    stopping.await.unwrap();
}
