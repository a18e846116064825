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

/// RFC 6455 §5.5.1: a client's Close is answered with a Close carrying the
/// same code, and then the server ends the TCP connection.
#[tokio::test]
async fn the_close_handshake_is_answered() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    let server = common::server().await;
    for path in ["/ws", "/101"] {
        let tcp = TcpStream::connect(server.addr()).await.unwrap();
        let url = format!("ws://{}{path}", server.addr());
        let (mut ws, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
        ws.send(Message::text("one")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("one"));
        ws.send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "done".into(),
        })))
        .await
        .unwrap();
        let reply = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
            .await
            .expect("a reply in time");
        match reply {
            Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Normal),
            other => panic!("{path}: expected a Close frame, got {other:?}"),
        }
        // Then the server closes: the stream ends cleanly.
        assert!(ws.next().await.is_none(), "{path}");
    }
    server.shutdown().await;
}

/// Switches `path` to WebSocket over a raw connection.
async fn raw_websocket(server: &teapot_server::Running, path: &str) -> TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    tcp.write_all(
        format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        tcp.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101 "));
    tcp
}

/// The Close frame the server sends next: its code.
async fn close_code(tcp: &mut TcpStream) -> u16 {
    use tokio::io::AsyncReadExt;
    let mut all = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), tcp.read_to_end(&mut all))
        .await
        .expect("the server closes");
    assert!(all.len() >= 4, "no Close frame: {all:?}");
    assert_eq!(all[0], 0x88, "a final Close frame, unmasked: {all:?}");
    u16::from_be_bytes([all[2], all[3]])
}

/// RFC 6455 §5.1 and §7.4.1: an unmasked client frame is a protocol error
/// (1002); a text message that is not UTF-8 is 1007.
#[tokio::test]
async fn protocol_errors_are_closed_with_their_codes() {
    use tokio::io::AsyncWriteExt;
    let server = common::server().await;
    for path in ["/ws", "/101"] {
        let mut tcp = raw_websocket(&server, path).await;
        tcp.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
        assert_eq!(close_code(&mut tcp).await, 1002, "{path}: unmasked");

        let mut tcp = raw_websocket(&server, path).await;
        let mask = [1u8, 2, 3, 4];
        let payload = [0xffu8, 0xfe, 0x41];
        let mut frame = vec![0x81, 0x80 | payload.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        tcp.write_all(&frame).await.unwrap();
        assert_eq!(close_code(&mut tcp).await, 1007, "{path}: not UTF-8");
    }
    server.shutdown().await;
}
