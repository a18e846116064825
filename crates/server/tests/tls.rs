//! TLS: a certificate made in the test, curl verifying it, self-calls
//! through the plain loopback listener, and plain HTTP refused cleanly.

mod common;

use std::process::Output;

use teapot_server::tls;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

async fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .await
        .expect("curl is installed")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_files_is_served_and_verified() {
    let dir = std::env::temp_dir().join(format!("teapot-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let loaded = tls::from_files(&cert, &key).unwrap();
    let server = common::server_with(|c| c.tls = Some(loaded)).await;
    assert!(server.base_url().starts_with("https://"));
    let port = server.addr().port();
    let url = format!("https://localhost:{port}/418");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let ca = cert.display().to_string();
    let out = curl(&[
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        "-w",
        "%{http_code}",
        &url,
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text(&out), "418 I'm a teapot\n418");
    // Without trusting it, the certificate is refused.
    let out = curl(&["--resolve", &resolve, &url]).await;
    assert!(!out.status.success());
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_tls_serves_everything() {
    let made = tls::self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let server = common::server_with(|c| c.tls = Some(made)).await;
    let base = server.base_url();
    // ALPN: curl offers h2 and http/1.1 and gets h2; with --http1.1 it
    // offers only http/1.1 and gets that.
    let out = curl(&["-k", "-v", &format!("{base}/103")]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("< HTTP/2 103"), "{err}");
    assert!(err.contains("ALPN: server accepted h2"), "{err}");
    assert_eq!(text(&out), "200 OK\n");
    let out = curl(&["-k", "-v", "--http1.1", &format!("{base}/103")]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("< HTTP/1.1 103 Early Hints"), "{err}");
    assert!(err.contains("ALPN: server accepted http/1.1"), "{err}");
    assert_eq!(text(&out), "200 OK\n");
    // The page's try-it and the gateway call this server back in plain
    // HTTP on its own loopback listener.
    let out = curl(&["-k", &format!("{base}/try/103")]).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["interim"][0]["status"].as_u64(),
            v["final"]["status"].as_u64()
        ),
        (Some(103), Some(200))
    );
    let out = curl(&[
        "-k",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("{base}/gateway/418"),
    ])
    .await;
    assert_eq!(text(&out), "418");
    let out = curl(&[
        "-k",
        &format!("{base}/post"),
        "-H",
        "Expect: 100-continue",
        "-H",
        "Content-Type: text/plain",
        "-d",
        "over tls",
    ])
    .await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["data"], "over tls");
    server.shutdown().await;
}

#[tokio::test]
async fn plain_http_to_the_tls_port_fails_cleanly() {
    let made = tls::self_signed(vec!["localhost".into()]).unwrap();
    let server = common::server_with(|c| c.tls = Some(made)).await;
    let mut plain = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    plain
        .write_all(b"GET /418 HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        plain.read_to_end(&mut buf),
    )
    .await;
    assert!(read.is_ok(), "the server answers or closes at once");
    assert!(!buf.starts_with(b"HTTP/"), "no plain HTTP on the TLS port");
    // And the server lives on.
    let healthy = curl(&[
        "-k",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("{}/healthz", server.base_url()),
    ])
    .await;
    assert_eq!(text(&healthy), "200");
}

/// Every URL the server builds carries the scheme the request came on:
/// over TLS, `https://`, on both HTTP versions, and `-L` follows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_built_over_tls_say_https() {
    let made = tls::self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let server = common::server_with(|c| c.tls = Some(made)).await;
    let base = server.base_url();
    let authority = base.trim_start_matches("https://").to_owned();
    for version in ["--http1.1", "--http2"] {
        let out = curl(&[
            "-k",
            version,
            "-o",
            "/dev/null",
            "-w",
            "%{redirect_url}",
            &format!("{base}/absolute-redirect/2"),
        ])
        .await;
        assert_eq!(
            text(&out),
            format!("https://{authority}/absolute-redirect/1"),
            "{version}"
        );
        let out = curl(&["-k", version, &format!("{base}/get?a=1")]).await;
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            doc["url"],
            format!("https://{authority}/get?a=1"),
            "{version}"
        );
        let out = curl(&[
            "-k",
            version,
            "-L",
            "-w",
            "%{url_effective}",
            &format!("{base}/redirect/3?absolute=true"),
        ])
        .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text(&out).ends_with(&format!("https://{authority}/get")),
            "{}",
            text(&out)
        );
    }
    server.shutdown().await;
}
