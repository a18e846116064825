//! A `teapot grade` driver for Rust's reqwest, used as it is by default
//! (redirects followed, up to ten): one request with the method and URL in
//! TEAPOT_GRADE_METHOD and TEAPOT_GRADE_URL (a POST carries `teapot`),
//! made TEAPOT_GRADE_REPEAT times with one `Client`; prints each answer's
//! content and exits 1 when reqwest reports an error. Built with rustls and
//! the system's roots (which honour SSL_CERT_FILE, as `teapot grade --tls`
//! sets it) and HTTP/2, which it offers by ALPN over TLS.
//!
//!     cargo build --example grade-reqwest
//!     teapot grade --client target/debug/examples/grade-reqwest

use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let method: reqwest::Method = std::env::var("TEAPOT_GRADE_METHOD")?.parse()?;
    let url = std::env::var("TEAPOT_GRADE_URL")?;
    let times: u32 = std::env::var("TEAPOT_GRADE_REPEAT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    for _ in 0..times {
        let mut request = client.request(method.clone(), &url);
        if method == reqwest::Method::POST {
            request = request.body("teapot");
        }
        let content = request.send().await?.bytes().await?;
        print!("{}", String::from_utf8_lossy(&content));
    }
    Ok(())
}
