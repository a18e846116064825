//! A server that answers exactly the bytes a test gives it, right or
//! wrong, for testing clients and the checker. Blocking threads, so both
//! synchronous and asynchronous tests can use it; it serves loopback only
//! and stops with the test process.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// What the fixture does for one request.
pub enum Reply {
    /// Write these bytes, then wait for the next request on the connection.
    Bytes(Vec<u8>),
    /// Write these bytes, then close.
    ThenClose(Vec<u8>),
    /// Say nothing for this long, then close.
    Silence(Duration),
}

/// A running fixture.
pub struct Fixture {
    addr: SocketAddr,
}

impl Fixture {
    /// Starts a fixture on `127.0.0.1:0`; `answer` maps a request's head
    /// (request line and fields, as text) to a reply.
    pub fn start(answer: fn(&str) -> Reply) -> Fixture {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream, answer));
            }
        });
        Fixture { addr }
    }

    /// The address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn serve(mut stream: TcpStream, answer: fn(&str) -> Reply) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        // Skip a declared body.
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap_or(0))
            })
            .unwrap_or(0);
        while buf.len() < end + length {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + length);
        match answer(&head) {
            Reply::Bytes(b) => {
                if stream.write_all(&b).is_err() {
                    return;
                }
            }
            Reply::ThenClose(b) => {
                let _ = stream.write_all(&b);
                return;
            }
            Reply::Silence(d) => {
                std::thread::sleep(d);
                return;
            }
        }
    }
}

/// The path of a request head.
pub fn path_of(head: &str) -> &str {
    head.split(' ').nth(1).unwrap_or("/")
}
