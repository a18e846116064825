//! Request-smuggling vectors: each one is either refused (an error status,
//! `Connection: close`, and nothing more read from the connection) or read
//! exactly one way, which the test states.
//!
//! After each vector the test sends a harmless follow-up request on the
//! same connection. A refused vector must not get that follow-up answered;
//! a vector read one way must get exactly the answers listed.

mod common;

use common::TestServer;
use teapot_testkit::Client;

const FOLLOW_UP: &str = "GET /status/203 HTTP/1.1\r\nHost: t\r\n\r\n";

enum Expect {
    /// Refused with this status; the connection closes.
    Refused(u16),
    /// Read one way: these statuses, in order, the last being the follow-up,
    /// and `body` as the first response's content.
    OneWay(&'static [u16], &'static str),
}

use Expect::*;

const VECTORS: &[(&str, &str, Expect)] = &[
    ("CL.TE", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX", Refused(400)),
    ("TE.CL", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", Refused(400)),
    ("two differing Content-Length", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 11\r\n\r\nabcGET / HTTP/1.1\r\n", Refused(400)),
    ("Content-Length list that differs", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 11\r\n\r\nabc", Refused(400)),
    ("Content-Length with a sign", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc", Refused(400)),
    ("Content-Length in hex", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0x3\r\n\r\nabc", Refused(400)),
    ("Content-Length overflow", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 18446744073709551619\r\n\r\nabc", Refused(400)),
    ("space before the colon", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", Refused(400)),
    ("obs-fold on Transfer-Encoding", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", Refused(400)),
    ("xchunked", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", Refused(400)),
    ("chunked then identity", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", Refused(400)),
    ("chunked twice", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", Refused(400)),
    ("Transfer-Encoding on HTTP/1.0", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", Refused(400)),
    ("vertical tab in Transfer-Encoding", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n", Refused(400)),
    ("chunk size with 0x", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n", Refused(400)),
    ("negative chunk size", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n", Refused(400)),
    ("chunk size overflow", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF3\r\nabc\r\n0\r\n\r\n", Refused(400)),
    ("bare LF after chunk size", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", Refused(400)),
    ("bare CR in chunk extension", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3;x\ry\r\nabc\r\n0\r\n\r\n", Refused(400)),
    ("chunk data longer than its size", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", Refused(400)),
    ("bare LF in the header section", "POST /echo HTTP/1.1\r\nHost: t\nContent-Length: 3\r\n\r\nabc", Refused(400)),
    ("bare CR in a field value", "POST /echo HTTP/1.1\r\nHost: t\r\nX: a\rContent-Length: 3\r\n\r\nabc", Refused(400)),
    ("NUL in a field value", "POST /echo HTTP/1.1\r\nHost: t\r\nX: a\0b\r\nContent-Length: 3\r\n\r\nabc", Refused(400)),
    ("space in a field name", "POST /echo HTTP/1.1\r\nHost: t\r\nContent Length: 3\r\n\r\nabc", Refused(400)),
    ("two Host fields", "GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Refused(400)),
    ("HTTP/0.9 request line", "GET /echo\r\n\r\n", Refused(400)),
    ("whitespace-led first field line", "GET /echo HTTP/1.1\r\n Host: t\r\n\r\n", Refused(400)),
    ("request line with two spaces", "GET  /echo HTTP/1.1\r\nHost: t\r\n\r\n", Refused(400)),
    // Read one way:
    ("repeated equal Content-Length", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", OneWay(&[200, 203], "abc")),
    ("Content-Length list of equal values", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 3\r\n\r\nabc", OneWay(&[200, 203], "abc")),
    ("tab before chunked", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\tchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", OneWay(&[200, 203], "abc")),
    ("upper-case CHUNKED", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n", OneWay(&[200, 203], "abc")),
    ("Content-Length in a trailer changes nothing", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 50\r\n\r\n", OneWay(&[200, 203], "abc")),
    ("body that looks like a request", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 30\r\n\r\nGET /status/500 HTTP/1.1\r\nX: y", OneWay(&[200, 203], "GET /status/500 HTTP/1.1\r\nX: y")),
    ("GET with a body", "GET /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody", OneWay(&[200, 203], "body")),
];

#[tokio::test]
async fn smuggling_vectors_are_refused_or_read_one_way() {
    assert!(VECTORS.len() >= 20);
    let server = TestServer::default().await;
    for (name, request, expect) in VECTORS {
        let mut c = Client::connect(server.addr).await;
        c.send(format!("{request}{FOLLOW_UP}")).await;
        match expect {
            Refused(status) => {
                let r = c.response(false).await;
                assert_eq!(r.status, *status, "{name}");
                assert_eq!(r.header("connection"), Some("close"), "{name}");
                assert!(
                    c.is_closed().await,
                    "{name}: the follow-up must not be read"
                );
            }
            OneWay(statuses, body) => {
                let mut got = Vec::new();
                for _ in 0..statuses.len() {
                    got.push(c.response(false).await);
                }
                let codes: Vec<u16> = got.iter().map(|r| r.status).collect();
                assert_eq!(&codes, statuses, "{name}");
                assert_eq!(got[0].text(), *body, "{name}");
            }
        }
    }
}
