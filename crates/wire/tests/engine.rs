//! The engine over real TCP: every behaviour of the HTTP/1.1 connection,
//! with exact status lines.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::TestServer;
use teapot_testkit::{get, Client};
use teapot_wire::service::Inflight;
use teapot_wire::{Config, Limits};

async fn client(server: &TestServer) -> Client {
    Client::connect(server.addr).await
}

#[tokio::test]
async fn keep_alive_serves_several_requests() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    for _ in 0..3 {
        c.send(get("/status/200")).await;
        let r = c.response(false).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.reason, "OK");
        assert_eq!(r.body, b"content");
        assert!(r.header("connection").is_none());
    }
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(format!(
        "{}{}POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc{}",
        get("/status/201"),
        get("/status/202"),
        get("/status/203")
    ))
    .await;
    let statuses: Vec<u16> = [0; 4].iter().map(|_| 0).collect();
    let mut got = Vec::new();
    for _ in statuses {
        got.push(c.response(false).await);
    }
    let codes: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(codes, [201, 202, 200, 203]);
    assert_eq!(got[2].body, b"abc");
}

#[tokio::test]
async fn every_response_has_a_date() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    for path in [
        "/status/200",
        "/status/404",
        "/status/503",
        "/status/204",
        "/nothing",
    ] {
        c = if path == "/nothing" {
            client(&server).await
        } else {
            c
        };
        c.send(get(path)).await;
        let r = c.response(false).await;
        let date = r
            .header("date")
            .unwrap_or_else(|| panic!("{path}: no Date"));
        assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
    }
}

#[tokio::test]
async fn http10_closes_unless_keep_alive_was_asked() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send("GET /status/200 HTTP/1.0\r\n\r\n").await;
    let r = c.response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed().await);

    let mut c = client(&server).await;
    c.send("GET /status/200 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .await;
    let r = c.response(false).await;
    assert_eq!(r.header("connection"), Some("keep-alive"));
    c.send("GET /status/202 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .await;
    assert_eq!(c.response(false).await.status, 202);
}

#[tokio::test]
async fn http11_connection_close_is_honoured() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send("GET /status/200 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await;
    let r = c.response(false).await;
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn http10_streaming_is_close_delimited() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send("GET /stream HTTP/1.0\r\n\r\n").await;
    let r = c.response(false).await;
    assert!(r.header("transfer-encoding").is_none());
    assert!(r.header("content-length").is_none());
    assert_eq!(r.body, b"one two three");
}

#[tokio::test]
async fn streamed_response_is_chunked() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/stream")).await;
    let r = c.response(false).await;
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.body, b"one two three");
    c.send(get("/status/200")).await;
    assert_eq!(c.response(false).await.status, 200);
}

#[tokio::test]
async fn large_content_goes_out_framed_around_it() {
    // Large pieces go to the socket from where they are, small ones through
    // the buffer: on the wire, every chunk in order with its own size.
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send("GET /large-pieces HTTP/1.1\r\nHost: t\r\nTE: trailers\r\nConnection: close\r\n\r\n")
        .await;
    let raw = c.read_to_close().await;
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut want = b"5000\r\n".to_vec();
    want.extend_from_slice(&[b'a'; 20480]);
    want.extend_from_slice(b"\r\n5\r\nsmall\r\n2328\r\n");
    want.extend_from_slice(&[b'b'; 9000]);
    want.extend_from_slice(b"\r\n0\r\nX-Pieces: 3\r\n\r\n");
    assert!(
        raw[at..] == want[..],
        "{:?}",
        String::from_utf8_lossy(&raw[at..at + 40])
    );
    // A large body given whole, after its head, on a kept connection.
    let mut c = client(&server).await;
    c.send(get("/big")).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 200);
    assert!(r.body.len() > 8192 && r.body.iter().all(|&b| b == b'x'));
    c.send(get("/status/204")).await;
    assert_eq!(c.response(false).await.status, 204);
}

#[tokio::test]
async fn short_fixed_length_response_closes_the_connection() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/short")).await;
    let raw = c.read_to_close().await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("Content-Length: 10\r\n"));
    assert!(text.ends_with("\r\n\r\nabc"), "{text}");
}

#[tokio::test]
async fn chunked_request_body_with_trailers() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
         5\r\nhello\r\n6;name=val\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n",
    )
    .await;
    let r = c.response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"hello world");
    assert_eq!(r.header("x-trailer-x-checksum"), Some("42"));
    c.send(get("/status/204")).await;
    assert_eq!(c.response(false).await.status, 204);
}

#[tokio::test]
async fn a_large_body_is_read_in_large_pieces() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    let body = vec![b'x'; 256 * 1024];
    let head = format!(
        "POST /pieces HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut raw = head.into_bytes();
    raw.extend_from_slice(&body);
    c.send(raw).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body).unwrap();
    let (count, largest) = text.split_once(' ').unwrap();
    let (count, largest): (usize, usize) = (count.parse().unwrap(), largest.parse().unwrap());
    // Pieces of up to 16 KiB, not the 2 KiB a request head starts with.
    assert!(largest > 8192, "{text}");
    assert!(count <= 64, "{text}");
}

#[tokio::test]
async fn expect_continue_sends_100_then_the_final_response() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send("PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .await;
    let interim = c.response(false).await;
    assert_eq!(interim.raw_head, "HTTP/1.1 100 Continue\r\n\r\n");
    c.send("hello").await;
    let r = c.response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"hello");
}

#[tokio::test]
async fn expect_continue_with_an_early_answer_skips_100() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send("PUT /early HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .await;
    let r = c.response(false).await;
    assert_eq!(r.status, 401, "the final answer comes without 100 first");
    assert_eq!(
        r.header("connection"),
        Some("close"),
        "the unread body ends the connection"
    );
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn unread_small_body_is_drained_and_the_connection_kept() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send("POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
        .await;
    let r = c.response(false).await;
    assert_eq!(r.status, 401);
    assert!(r.header("connection").is_none());
    c.send(get("/status/200")).await;
    assert_eq!(c.response(false).await.status, 200);
}

#[tokio::test]
async fn interim_responses_precede_the_final_one() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/interim")).await;
    let all = c.exchange(false).await;
    let codes: Vec<u16> = all.iter().map(|r| r.status).collect();
    assert_eq!(codes, [102, 103, 200]);
    assert_eq!(all[0].raw_head, "HTTP/1.1 102 Processing\r\n\r\n");
    assert_eq!(all[1].header("link"), Some("</style.css>; rel=preload"));
    assert!(all[1].header("content-length").is_none());
    assert_eq!(all[2].body, b"final");
}

#[tokio::test]
async fn no_interim_response_goes_to_http10() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send("GET /interim HTTP/1.0\r\n\r\n").await;
    let r = c.response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"final");
}

#[tokio::test]
async fn switch_hands_over_the_raw_stream() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    // Bytes sent right behind the request belong to the new protocol.
    c.send("GET /switch HTTP/1.1\r\nHost: t\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly bytes|")
        .await;
    let r = c.response(false).await;
    assert_eq!(r.status, 101);
    assert_eq!(r.reason, "Switching Protocols");
    assert_eq!(r.header("upgrade"), Some("echo"));
    assert_eq!(r.header("connection"), Some("upgrade"));
    assert!(r.header("date").is_some());
    c.send("then more").await;
    let mut echoed = c.pending().to_vec();
    while echoed.len() < "early bytes|then more".len() {
        c.fill().await;
        echoed = c.pending().to_vec();
    }
    assert_eq!(echoed, b"early bytes|then more");
}

#[tokio::test]
async fn switch_without_an_upgrade_request_is_refused() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/switch")).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 426);
    assert_eq!(r.header("upgrade"), Some("echo"));
    assert_eq!(r.header("connection"), Some("upgrade"));
}

#[tokio::test]
async fn fault_reset_resets_the_connection() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/reset")).await;
    let err = loop {
        match c.read_raw().await {
            Ok(0) => panic!("closed cleanly; expected a reset"),
            Ok(_) => continue,
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    assert!(c.pending().is_empty(), "nothing was sent before the reset");
}

#[tokio::test]
async fn fault_close_closes_without_an_answer() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/close")).await;
    assert_eq!(c.read_raw().await.unwrap(), 0);
    assert!(c.pending().is_empty());
}

#[tokio::test]
async fn fault_raw_writes_the_bytes_then_closes() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/raw")).await;
    assert_eq!(c.read_to_close().await, b"not http\r\n");
}

#[tokio::test]
async fn head_gets_headers_without_content() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send("HEAD /status/200 HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let r = c.response(true).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some("7"),
        "the length a GET would have"
    );
    c.send(get("/status/202")).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 202, "no stray content before the next response");
}

#[tokio::test]
async fn no_content_codes_carry_no_content() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    for code in [204, 304] {
        c.send(get(&format!("/status/{code}"))).await;
        let r = c.response(false).await;
        assert_eq!(r.status, code);
        assert!(r.header("content-length").is_none(), "{code}");
        assert!(r.header("transfer-encoding").is_none(), "{code}");
    }
    c.send(get("/status/205")).await;
    let r = c.response(false).await;
    assert_eq!(r.header("content-length"), Some("0"));
    assert!(r.body.is_empty());
    c.send(get("/status/200")).await;
    let r = c.response(false).await;
    assert_eq!(r.body, b"content", "the connection is still in step");
}

#[tokio::test]
async fn unregistered_codes_get_a_class_reason() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/status/299")).await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.reason.as_str()), (299, "Success"));
    c.send(get("/status/599")).await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.reason.as_str()), (599, "Server Error"));
}

#[tokio::test]
async fn a_1xx_final_response_is_refused_by_the_writer() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/status/102")).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 500);
}

#[tokio::test]
async fn injected_header_is_never_written() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/bad-header")).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 500);
    assert!(r.header("injected").is_none());
}

#[tokio::test]
async fn handler_without_an_answer_gets_500() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/nothing")).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}

#[tokio::test]
async fn a_panicking_handler_gets_500_and_the_server_lives_on() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/panic")).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("connection"), Some("close"));
    let mut c = client(&server).await;
    c.send(get("/status/200")).await;
    assert_eq!(c.response(false).await.status, 200);
}

#[tokio::test]
async fn request_head_timeout_gives_408_and_closes() {
    let limits = Limits {
        request_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    let mut c = client(&server).await;
    c.send("GET /status/200 HTTP/1.1\r\nHost: t\r\n").await;
    let r = c.response(false).await;
    assert_eq!(r.status, 408);
    assert_eq!(r.reason, "Request Timeout");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn stalled_body_gives_408() {
    let limits = Limits {
        request_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    let mut c = client(&server).await;
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        .await;
    let r = c.response(false).await;
    assert_eq!(r.status, 408);
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn idle_keep_alive_connection_closes_silently() {
    let limits = Limits {
        keep_alive_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    let mut c = client(&server).await;
    c.send(get("/status/200")).await;
    assert_eq!(c.response(false).await.status, 200);
    assert!(c.is_closed().await, "closed after the idle timeout");
    assert!(c.pending().is_empty(), "without a 408");
}

#[tokio::test]
async fn each_request_moves_the_keep_alive_timeout_on() {
    // The connection's timer is moved later lazily: when it fires at the
    // first request's deadline, it must wait on for the last one's.
    let limits = Limits {
        keep_alive_timeout: Duration::from_millis(700),
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    let mut c = client(&server).await;
    for _ in 0..3 {
        c.send(get("/status/200")).await;
        assert_eq!(c.response(false).await.status, 200);
        // Twice this is past the first request's deadline, each time well
        // within the last one's.
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    c.send(get("/status/204")).await;
    assert_eq!(c.response(false).await.status, 204);
    assert!(c.is_closed().await, "closed after the idle timeout");
}

#[tokio::test]
async fn a_head_begun_after_a_keep_alive_wait_has_its_own_shorter_deadline() {
    // The timer stands at the keep-alive deadline (a minute away) when the
    // next head begins; the head's deadline is earlier and must move it.
    let limits = Limits {
        request_timeout: Duration::from_millis(300),
        keep_alive_timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    let mut c = client(&server).await;
    c.send(get("/status/200")).await;
    assert_eq!(c.response(false).await.status, 200);
    // Longer than the request timeout: the timer, first set for the
    // connection's first head, has fired and moved to the keep-alive
    // deadline.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let begun = std::time::Instant::now();
    c.send("GET /status/200 HTTP/1.1\r\nHost: t\r\n").await;
    let r = c.response(false).await;
    assert_eq!(r.status, 408);
    assert!(
        begun.elapsed() < Duration::from_secs(5),
        "408 after {:?}",
        begun.elapsed()
    );
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn over_max_inflight_gives_503_with_retry_after() {
    let server = TestServer::start_with(Config {
        limits: Limits::default(),
        inflight: Some(Arc::new(Inflight::new(0))),
        ..Config::default()
    })
    .await;
    let mut c = client(&server).await;
    c.send(get("/status/200")).await;
    let r = c.response(false).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_exchange_in_flight() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/slow-started")).await;
    assert_eq!(c.response(false).await.status, 102, "the handler runs");
    server.stop();
    let r = c.response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"slow");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed().await);
    server.join().await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    c.send(get("/status/200")).await;
    assert_eq!(c.response(false).await.status, 200);
    server.stop();
    assert!(c.is_closed().await);
}

/// Sends `request`; expects one answer with `status` and exact reason,
/// `Connection: close`, then the end of the connection.
async fn refused(server: &TestServer, request: &[u8], status: u16, reason: &str) {
    let mut c = client(server).await;
    c.send(request).await;
    let r = c.response(false).await;
    let shown = String::from_utf8_lossy(request);
    assert_eq!((r.status, r.reason.as_str()), (status, reason), "{shown:?}");
    assert_eq!(r.header("connection"), Some("close"), "{shown:?}");
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(r.text().contains(&format!("\"status\":{status}")));
    assert!(c.is_closed().await, "{shown:?}: connection must close");
}

#[tokio::test]
async fn engine_error_codes() {
    let server = TestServer::default().await;
    refused(&server, b"GET /\r\n\r\n", 400, "Bad Request").await;
    refused(&server, b"GET / HTTP/1.1\r\n\r\n", 400, "Bad Request").await;
    refused(
        &server,
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        400,
        "Bad Request",
    )
    .await;
    refused(
        &server,
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Fold: a\r\n b\r\n\r\n",
        400,
        "Bad Request",
    )
    .await;
    refused(
        &server,
        b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        400,
        "Bad Request",
    )
    .await;
    refused(
        &server,
        b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\rY: 2\r\n\r\n",
        400,
        "Bad Request",
    )
    .await;
    refused(
        &server,
        b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        505,
        "HTTP Version Not Supported",
    )
    .await;
    refused(
        &server,
        b"GET / HTTP/3.0\r\nHost: a\r\n\r\n",
        505,
        "HTTP Version Not Supported",
    )
    .await;
    refused(
        &server,
        b"BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n",
        501,
        "Not Implemented",
    )
    .await;
    refused(
        &server,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        501,
        "Not Implemented",
    )
    .await;
    refused(
        &server,
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx",
        417,
        "Expectation Failed",
    )
    .await;
    let long = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "u".repeat(9000));
    refused(&server, long.as_bytes(), 414, "URI Too Long").await;
    let big = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nCookie: {}\r\n\r\n",
        "c".repeat(20000)
    );
    refused(
        &server,
        big.as_bytes(),
        431,
        "Request Header Fields Too Large",
    )
    .await;
    refused(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n",
        413,
        "Payload Too Large",
    )
    .await;
}

#[tokio::test]
async fn chunked_body_over_the_limit_gives_413() {
    let limits = Limits {
        max_body: 8,
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    refused(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n",
        413,
        "Payload Too Large",
    )
    .await;
}

#[tokio::test]
async fn large_upload_within_limits_is_read_whole() {
    let server = TestServer::default().await;
    let mut c = client(&server).await;
    let body = vec![b'z'; 300_000];
    c.send(format!(
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ))
    .await;
    c.send(&body).await;
    let r = c.response(false).await;
    assert_eq!(r.body.len(), body.len());
}

#[tokio::test]
async fn length_required_refuses_chunked_uploads() {
    let server = TestServer::default().await;
    refused(
        &server,
        b"POST /sized HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        411,
        "Length Required",
    )
    .await;
    let mut c = client(&server).await;
    c.send("POST /sized HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
        .await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
}

#[tokio::test]
async fn engine_errors_are_plain_text_when_asked() {
    let limits = Limits {
        max_body: 8,
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    let mut c = client(&server).await;
    c.send("POST /echo HTTP/1.1\r\nHost: a\r\nAccept: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n0\r\n\r\n").await;
    let r = c.response(false).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(
        r.text().starts_with("413 Payload Too Large\n"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn a_body_cut_short_by_the_client_is_its_fault() {
    let server = TestServer::default().await;
    for request in [
        &b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello"[..],
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    ] {
        let mut c = client(&server).await;
        c.send(request).await;
        c.finish_sending().await;
        let r = c.response(false).await;
        let shown = String::from_utf8_lossy(request);
        assert_eq!(
            (r.status, r.reason.as_str()),
            (400, "Bad Request"),
            "{shown:?}"
        );
        assert!(
            r.text().contains("whole request body"),
            "{shown:?}: {}",
            r.text()
        );
        assert_eq!(r.header("connection"), Some("close"));
        assert!(c.is_closed().await);
    }
}

#[tokio::test]
async fn chunk_lines_outside_the_grammar_are_refused() {
    let server = TestServer::default().await;
    for line in ["5 ", "5;a=\"b", "5;", "5\t"] {
        let request = format!(
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n{line}\r\nhello\r\n0\r\n\r\n"
        );
        refused(&server, request.as_bytes(), 400, "Bad Request").await;
    }
    let mut c = client(&server).await;
    c.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 ; a = \"b c\"\r\nhello\r\n0\r\n\r\n").await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
}

/// A refusal for a limit says what the limit is, in the engine's terms.
#[tokio::test]
async fn refusals_name_the_limit_they_hit() {
    let limits = Limits {
        max_uri: 64,
        max_body: 8,
        ..Limits::default()
    };
    let server = TestServer::start(limits).await;
    let mut c = client(&server).await;
    c.send(format!(
        "GET /{} HTTP/1.1\r\nHost: a\r\n\r\n",
        "a".repeat(100)
    ))
    .await;
    let r = c.response(false).await;
    assert_eq!(r.status, 414);
    assert!(r.text().contains("at most 64 bytes"), "{}", r.text());
    assert!(!r.text().contains("--"), "{}", r.text());
    let mut c = client(&server).await;
    c.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n123456789")
        .await;
    let r = c.response(false).await;
    assert_eq!(r.status, 413);
    assert!(r.text().contains("at most 8 bytes"), "{}", r.text());
}
