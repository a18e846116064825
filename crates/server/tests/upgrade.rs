//! 101: a real WebSocket switch when the client offers one, 426 when not.

mod common;

use futures_util::{SinkExt, StreamExt};
use teapot_testkit::{get, Client};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn websocket_client_completes_the_handshake_and_gets_echoes() {
    let server = common::server().await;
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let url = format!("ws://{}/101", server.addr());
    let (mut ws, response) = tokio_tungstenite::client_async(url, tcp)
        .await
        .expect("handshake");
    assert_eq!(response.status(), 101);
    assert!(response.headers().get("date").is_some());
    ws.send(Message::text("short and stout")).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::text("short and stout")
    );
    ws.send(Message::binary(vec![0u8, 1, 2, 255]))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::binary(vec![0u8, 1, 2, 255])
    );
    ws.close(None).await.unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn websocket_switch_on_the_wire() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send(
        "GET /status/101 HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.reason.as_str()), (101, "Switching Protocols"));
    assert_eq!(r.header("upgrade"), Some("websocket"));
    assert_eq!(r.header("connection"), Some("upgrade"));
    // The example key of RFC 6455 §1.3.
    assert_eq!(
        r.header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    assert!(r.header("content-length").is_none());
}

#[tokio::test]
async fn without_an_upgrade_offer_101_is_426() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send(get("/101")).await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.reason.as_str()), (426, "Upgrade Required"));
    assert_eq!(r.header("upgrade"), Some("websocket"));
    assert_eq!(r.header("connection"), Some("upgrade"));
    assert!(r.text().starts_with("426 Upgrade Required\n"));
    // Over HTTP/1.0 an Upgrade offer is ignored (RFC 9110 §7.8).
    let mut c = Client::connect(server.addr()).await;
    c.send("GET /101 HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
        .await;
    assert_eq!(c.response(false).await.status, 426);
}

#[tokio::test]
async fn bad_websocket_handshakes() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send("GET /101 HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: nope\r\n\r\n").await;
    let r = c.response(false).await;
    assert_eq!(r.status, 400);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["type"], "/problems/bad-handshake");
    c.send("GET /101 HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").await;
    let r = c.response(false).await;
    assert_eq!(
        (r.status, r.header("sec-websocket-version")),
        (426, Some("13"))
    );
}

#[tokio::test]
async fn ws_endpoint_echoes_and_refuses_plain_requests() {
    let server = common::server().await;
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let url = format!("ws://{}/ws", server.addr());
    let (mut ws, response) = tokio_tungstenite::client_async(url, tcp)
        .await
        .expect("handshake");
    assert_eq!(response.status(), 101);
    ws.send(Message::text("ping?")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("ping?"));
    let mut c = Client::connect(server.addr()).await;
    c.send(get("/ws")).await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.header("upgrade")), (426, Some("websocket")));
}
