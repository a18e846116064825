//! A real client against a real teapot: curl (installed by scripts/test).

mod common;

use std::process::Output;

use tokio::process::Command;

async fn curl(args: &[&str]) -> Output {
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .await
        .expect("curl is installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_sees_a_normal_response() {
    let server = common::server().await;
    let url = format!("{}/200", server.base_url());
    let out = curl(&["-v", &url]).await;
    let err = text(&out.stderr);
    assert!(err.contains("< HTTP/1.1 200 OK"), "{err}");
    assert!(err.contains("< Date: "), "{err}");
    assert!(err.contains("< Content-Length: 7"), "{err}");
    assert_eq!(text(&out.stdout), "200 OK\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_uploads_with_expect_100_continue() {
    let server = common::server().await;
    let dir = std::env::temp_dir().join(format!("teapot-curl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("upload.bin");
    let content: String = (0..5000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    std::fs::write(&file, &content).unwrap();
    let url = format!("{}/post", server.base_url());
    let data = format!("@{}", file.display());
    let out = curl(&[
        "-v",
        "-H",
        "Expect: 100-continue",
        "-H",
        "Content-Type: text/plain",
        "--data-binary",
        &data,
        &url,
    ])
    .await;
    let err = text(&out.stderr);
    assert!(err.contains("< HTTP/1.1 100 Continue"), "{err}");
    assert!(err.contains("< HTTP/1.1 200 OK"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["data"], content);
    assert_eq!(v["headers"]["Expect"], "100-continue");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_sees_interim_responses_before_the_final_one() {
    let server = common::server().await;
    let url = format!("{}/103", server.base_url());
    let out = curl(&["-v", &url]).await;
    let err = text(&out.stderr);
    let hints = err.find("< HTTP/1.1 103 Early Hints").expect("103 shown");
    let last = err.find("< HTTP/1.1 200 OK").expect("200 shown");
    assert!(hints < last, "{err}");
    assert!(err.contains("< Link: </static/teapot.css>; rel=preload; as=style"));
    assert_eq!(text(&out.stdout), "200 OK\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_gets_the_final_response_for_100_102_and_103() {
    let server = common::server().await;
    for path in ["/100", "/102?count=2", "/103", "/100?final=418"] {
        let url = format!("{}{path}", server.base_url());
        let out = curl(&["-o", "/dev/null", "-w", "%{http_code}", &url]).await;
        let expected = if path.ends_with("418") { "418" } else { "200" };
        assert_eq!(text(&out.stdout), expected, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_head_and_no_content() {
    let server = common::server().await;
    for (path, code) in [("/204", "204"), ("/304", "304"), ("/205", "205")] {
        let url = format!("{}{path}", server.base_url());
        let out = curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download}",
            &url,
        ])
        .await;
        assert_eq!(text(&out.stdout), format!("{code} 0"), "{path}");
    }
    let url = format!("{}/418", server.base_url());
    let out = curl(&["-I", &url]).await;
    let head = text(&out.stdout);
    assert!(head.starts_with("HTTP/1.1 418 I'm a teapot\r\n"), "{head}");
    assert!(head.contains("Content-Length: 17\r\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_follows_redirect_chains_to_the_end() {
    let server = common::server().await;
    let url = format!("{}/redirect/3", server.base_url());
    let out = curl(&[
        "-L",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{num_redirects} %{url_effective}",
        &url,
    ])
    .await;
    assert_eq!(
        text(&out.stdout),
        format!("200 3 {}/get", server.base_url())
    );
    let url = format!("{}/absolute-redirect/2", server.base_url());
    let out = curl(&[
        "-L",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{num_redirects}",
        &url,
    ])
    .await;
    assert_eq!(text(&out.stdout), "200 2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_keeps_or_changes_the_method_as_each_redirect_says() {
    let server = common::server().await;
    for (code, method, data) in [
        ("307", "POST", "tea"),
        ("308", "POST", "tea"),
        ("303", "GET", ""),
        ("302", "GET", ""),
        ("301", "GET", ""),
    ] {
        let url = format!(
            "{}/redirect-to?url=/anything&status_code={code}",
            server.base_url()
        );
        let out = curl(&["-L", "-d", "tea", "-H", "Content-Type: text/plain", &url]).await;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["method"], method, "{code}");
        assert_eq!(v["data"], data, "{code}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_client_follows_redirects_with_the_method_rules() {
    let server = common::server().await;
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{}/redirect/4", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.url().path(), "/get");
    for (code, method, data) in [
        ("307", "POST", "tea"),
        ("308", "POST", "tea"),
        ("303", "GET", ""),
        ("302", "GET", ""),
        ("301", "GET", ""),
    ] {
        let url = format!(
            "{}/redirect-to?url=/anything&status_code={code}",
            server.base_url()
        );
        let r = client
            .post(url)
            .header("Content-Type", "text/plain")
            .body("tea")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{code}");
        let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(
            (v["method"].as_str(), v["data"].as_str()),
            (Some(method), Some(data)),
            "{code}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_authenticates_with_digest() {
    let server = common::server().await;
    for path in [
        "/digest-auth/auth/user/pass",
        "/digest-auth/auth/user/pass/MD5",
        "/digest-auth/auth/user/pass/SHA-256",
    ] {
        let url = format!("{}{path}", server.base_url());
        let out = curl(&["--digest", "-u", "user:pass", "-w", "\n%{http_code}", &url]).await;
        let text = text(&out.stdout);
        assert!(text.ends_with("\n200"), "{path}: {text}");
        let out = curl(&[
            "--digest",
            "-u",
            "user:wrong",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &url,
        ])
        .await;
        assert_eq!(crate::text(&out.stdout), "401", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_multipart_form_upload_is_echoed_as_files_and_form() {
    let server = common::server().await;
    let dir = std::env::temp_dir().join(format!("teapot-form-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("leaves.txt");
    std::fs::write(&file, "assam\n").unwrap();
    let url = format!("{}/post", server.base_url());
    let part = format!("leaves=@{}", file.display());
    let out = curl(&["-F", "cup=mug", "-F", &part, &url]).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["form"], serde_json::json!({"cup": "mug"}));
    assert_eq!(v["files"], serde_json::json!({"leaves": "assam\n"}));
    assert_eq!(v["data"], "");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// curl over the three ways to HTTP/2: TLS with ALPN (`--http2 -k`
/// against the self-signed certificate), cleartext by prior knowledge, and
/// cleartext by `Upgrade: h2c` (`--http2` on an http URL). Interim
/// responses arrive on HTTP/2 too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_speaks_http2_every_way() {
    let plain = common::server().await;
    let made = teapot_server::tls::self_signed(vec!["127.0.0.1".into()]).unwrap();
    let tls = common::server_with(|c| c.tls = Some(made)).await;
    let ways: [(&str, String, &str); 3] = [
        ("--http2", tls.base_url(), "ALPN: server accepted h2"),
        ("--http2-prior-knowledge", plain.base_url(), "HTTP/2"),
        (
            "--http2",
            plain.base_url(),
            "< HTTP/1.1 101 Switching Protocols",
        ),
    ];
    for (flag, base, sign) in &ways {
        let out = curl(&["-k", "-v", flag, &format!("{base}/103")]).await;
        let err = text(&out.stderr);
        assert!(err.contains(sign), "{flag} {base}: {err}");
        assert!(err.contains("< HTTP/2 103"), "{flag} {base}: {err}");
        assert!(
            err.contains("< link: </static/teapot.css>; rel=preload; as=style"),
            "{err}"
        );
        assert!(err.contains("< HTTP/2 200"), "{flag} {base}: {err}");
        assert_eq!(text(&out.stdout), "200 OK\n");
        let out = curl(&["-k", "-v", flag, &format!("{base}/102?count=2&interval=10")]).await;
        let err = text(&out.stderr);
        assert_eq!(
            err.matches("< HTTP/2 102").count(),
            2,
            "{flag} {base}: {err}"
        );
        // An upload that waits for 100 Continue.
        let out = curl(&[
            "-k",
            "-v",
            flag,
            "-H",
            "Expect: 100-continue",
            "-H",
            "Content-Type: text/plain",
            "--data-binary",
            "over http2",
            &format!("{base}/post"),
        ])
        .await;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["data"], "over http2", "{flag} {base}");
        // No content where none is allowed; the headers of a 405.
        let out = curl(&["-k", "-i", flag, &format!("{base}/204")]).await;
        let head = text(&out.stdout);
        assert!(head.contains("HTTP/2 204"), "{flag} {base}: {head}");
        assert!(!head.contains("content-length"), "{head}");
        let out = curl(&["-k", "-i", flag, "-X", "DELETE", &format!("{base}/405")]).await;
        let head = text(&out.stdout);
        assert!(head.contains("HTTP/2 405"), "{flag} {base}: {head}");
        assert!(head.contains("\nallow: "), "{head}");
        // An answer before the body is read (415 for a 300 kB upload): the
        // server reads the rest so curl can finish sending and keep the
        // answer.
        let upload = std::env::temp_dir().join(format!("teapot-h2-upload-{}", std::process::id()));
        std::fs::write(&upload, vec![b'x'; 300_000]).unwrap();
        let data = format!("@{}", upload.display());
        let out = curl(&[
            "-k",
            flag,
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--data-binary",
            &data,
            &format!("{base}/upload"),
        ])
        .await;
        assert_eq!(text(&out.stdout), "415", "{flag} {base}");
        // 426 needs HTTP/1.1: curl is sent back there and gets it.
        let out = curl(&["-k", "-v", flag, &format!("{base}/426")]).await;
        let err = text(&out.stderr);
        assert!(
            err.contains("< HTTP/1.1 426 Upgrade Required"),
            "{flag} {base}: {err}"
        );
        assert!(err.contains("< Upgrade: websocket"), "{err}");
    }
    plain.shutdown().await;
    tls.shutdown().await;
}

/// `curl --compressed` decodes every coding teapot applies; the decoded
/// JSON says which it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_decodes_every_content_coding() {
    let server = common::server().await;
    for (path, coding, flag) in [
        ("/gzip", "gzip", "gzipped"),
        ("/deflate", "deflate", "deflated"),
        ("/brotli", "br", "brotli"),
        ("/zstd", "zstd", "zstd"),
    ] {
        for http in ["--http1.1", "--http2-prior-knowledge"] {
            let url = format!("{}{path}", server.base_url());
            let out = curl(&["--compressed", http, "-D", "-", "-o", "/dev/stderr", &url]).await;
            let head = text(&out.stdout).to_ascii_lowercase();
            assert!(
                head.contains(&format!("content-encoding: {coding}")),
                "{path} {http}: {head}"
            );
            assert!(
                head.contains("vary: accept-encoding"),
                "{path} {http}: {head}"
            );
            let doc: serde_json::Value = serde_json::from_slice(&out.stderr)
                .unwrap_or_else(|e| panic!("{path} {http}: {e}: {}", text(&out.stderr)));
            assert_eq!(doc[flag], true, "{path} {http}");
            assert!(
                doc["headers"]["Accept-Encoding"].is_string(),
                "{path} {http}"
            );
        }
    }
}

/// `/coded` answers in the coding Accept-Encoding weighs highest, and 406
/// when the client refuses identity and every coding there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coded_follows_accept_encoding() {
    let server = common::server().await;
    let url = format!("{}/coded", server.base_url());
    for (accept, coding) in [
        ("gzip;q=0.5, br", "br"),
        ("gzip, deflate;q=0.2", "gzip"),
        ("zstd", "zstd"),
    ] {
        let ae = format!("Accept-Encoding: {accept}");
        let out = curl(&[
            "-H",
            &ae,
            "--compressed",
            "-D",
            "-",
            "-o",
            "/dev/stderr",
            &url,
        ])
        .await;
        let head = text(&out.stdout).to_ascii_lowercase();
        assert!(
            head.contains(&format!("content-encoding: {coding}")),
            "{accept}: {head}"
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(doc["coding"], coding, "{accept}");
    }
    let out = curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        "Accept-Encoding: identity;q=0, compress",
        &url,
    ])
    .await;
    assert_eq!(text(&out.stdout), "406");
    let out = curl(&["-D", "-", "-o", "/dev/null", &url]).await;
    assert!(
        !text(&out.stdout)
            .to_ascii_lowercase()
            .contains("content-encoding"),
        "no Accept-Encoding, no coding"
    );
}
