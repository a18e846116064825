//! Test helpers shared by teapot's crates: a raw TCP client that writes
//! exactly the bytes a test gives it and reads back every response on the
//! wire, interim ones included, with nothing hidden or repaired; and a
//! fixture server that answers exactly the bytes a test gives it.

pub mod fixture;
pub mod h2;
pub mod redis;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `data` gzip-coded (RFC 1952), for tests that send or serve coded content.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    w.write_all(data).expect("writing to memory");
    w.finish().expect("writing to memory")
}

/// How long any single read may wait before a test fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// One response as it came off the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase, exactly.
    pub reason: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The decoded content (chunked framing removed).
    pub body: Vec<u8>,
    /// The raw bytes of the head.
    pub raw_head: String,
}

impl Response {
    /// The first value of a field (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a field.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A connection that shows what the server really sent.
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    /// Writes bytes as they are.
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).await.expect("write");
    }

    /// Ends the sending side (TCP FIN); the client can still read.
    pub async fn finish_sending(&mut self) {
        self.stream.shutdown().await.expect("shutdown");
    }

    /// Sends a request made by [`request`] (no content) and reads its
    /// response (interim ones are returned as they come; a HEAD's has no
    /// content).
    pub async fn ask(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        self.send(request(method, path, headers, "")).await;
        self.response(method.eq_ignore_ascii_case("HEAD")).await
    }

    /// Sends `raw` on a new connection to `addr` and reads one response.
    pub async fn once(addr: SocketAddr, raw: impl AsRef<[u8]>) -> Response {
        let mut c = Client::connect(addr).await;
        c.send(raw).await;
        c.response(false).await
    }

    /// Writes bytes; returns false if the server has already gone.
    pub async fn try_send(&mut self, bytes: impl AsRef<[u8]>) -> bool {
        self.stream.write_all(bytes.as_ref()).await.is_ok()
    }

    /// Reads one response (interim or final). `head_request` says the
    /// response answers a HEAD, so it has no content whatever it declares.
    pub async fn response(&mut self, head_request: bool) -> Response {
        self.try_response(head_request).await.expect("a response")
    }

    /// Reads one response, or `None` if the connection closed first.
    pub async fn try_response(&mut self, head_request: bool) -> Option<Response> {
        let (status, reason, headers, head_len) = loop {
            let mut hs = [httparse::EMPTY_HEADER; 64];
            let mut res = httparse::Response::new(&mut hs);
            match res.parse(&self.buf).expect("a well-formed response head") {
                httparse::Status::Complete(n) => {
                    let headers = res
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_string(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect::<Vec<_>>();
                    break (
                        res.code.unwrap_or(0),
                        res.reason.unwrap_or("").to_string(),
                        headers,
                        n,
                    );
                }
                httparse::Status::Partial => {
                    if self.fill().await == 0 {
                        return None;
                    }
                }
            }
        };
        let raw_head = String::from_utf8_lossy(&self.buf[..head_len]).into_owned();
        self.buf.drain(..head_len);
        let mut r = Response {
            status,
            reason,
            headers,
            body: Vec::new(),
            raw_head,
        };
        let no_content = head_request || status < 200 || status == 204 || status == 304;
        if no_content {
            return Some(r);
        }
        if r.header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            r.body = self.chunked().await;
        } else if let Some(n) = r.header("content-length") {
            let n: usize = n.parse().expect("numeric Content-Length");
            while self.buf.len() < n {
                assert!(self.fill().await > 0, "connection closed inside the body");
            }
            r.body = self.buf.drain(..n).collect();
        } else {
            while self.fill().await > 0 {}
            r.body = std::mem::take(&mut self.buf);
        }
        Some(r)
    }

    /// Reads interim responses until a final one; returns them all.
    pub async fn exchange(&mut self, head_request: bool) -> Vec<Response> {
        let mut all = Vec::new();
        loop {
            let r = self.response(head_request).await;
            let done = r.status >= 200 || r.status == 101;
            all.push(r);
            if done {
                return all;
            }
        }
    }

    /// Reads everything until the server closes; returns it raw.
    pub async fn read_to_close(&mut self) -> Vec<u8> {
        while self.fill().await > 0 {}
        std::mem::take(&mut self.buf)
    }

    /// Whether the server closed the connection (EOF or reset) with nothing
    /// more to read.
    pub async fn is_closed(&mut self) -> bool {
        self.buf.is_empty() && self.fill().await == 0
    }

    /// Bytes read but not yet consumed.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Reads more; 0 at EOF or on a reset.
    pub async fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 8192];
        match tokio::time::timeout(READ_TIMEOUT, self.stream.read(&mut chunk)).await {
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                n
            }
            Ok(Err(_)) => 0,
            Err(_) => panic!(
                "no answer within {READ_TIMEOUT:?}; have {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
        }
    }

    /// Reads with an error kind: `Ok(0)` at EOF, `Err` on a reset.
    pub async fn read_raw(&mut self) -> std::io::Result<usize> {
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(READ_TIMEOUT, self.stream.read(&mut chunk))
            .await
            .map_err(|_| std::io::Error::other("timed out"))??;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// The stream, for tests that need to do something unusual.
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    async fn chunked(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line = self.line().await;
            let size_text = line.split(';').next().unwrap_or("").trim().to_string();
            let size = usize::from_str_radix(&size_text, 16)
                .unwrap_or_else(|_| panic!("bad chunk size {line:?}"));
            if size == 0 {
                // Trailers, then the empty line.
                while !self.line().await.is_empty() {}
                return body;
            }
            while self.buf.len() < size + 2 {
                assert!(self.fill().await > 0, "connection closed inside a chunk");
            }
            body.extend(self.buf.drain(..size));
            assert_eq!(&self.buf[..2], b"\r\n", "chunk data must end with CRLF");
            self.buf.drain(..2);
        }
    }

    async fn line(&mut self) -> String {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return line;
            }
            assert!(
                self.fill().await > 0,
                "connection closed inside chunked framing"
            );
        }
    }
}

/// A GET request for `path` with `Host`, as bytes.
pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}

/// A request with `Host`, the given fields and `body`. `Content-Length` is
/// added when there is a body, and for methods other than GET, HEAD,
/// DELETE and OPTIONS (which say nothing when they carry none).
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut s = format!("{method} {path} HTTP/1.1\r\nHost: t\r\n");
    for (n, v) in headers {
        s.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || !matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS") {
        s.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s
}
