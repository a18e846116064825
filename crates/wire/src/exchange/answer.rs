//! Answering: interim responses, a whole or streamed final response, a
//! protocol switch, a fault. The registry's rules on content hold whatever
//! the handler asks.

use std::io;

use bytes::Bytes;
use teapot_codes::Content;
use tokio::io::AsyncWriteExt;

use super::{misuse, Exchange, Rewind, State, Upgraded, Wire};
use crate::h1::conn::Conn;
use crate::h1::encode;
use crate::message::{Request, Version};
use crate::response::Framing;
use crate::response::Head;
use crate::service::{Fault, Transport};

impl Exchange<'_> {
    /// Sends an interim (1xx) response. Over HTTP/1.0 nothing is sent (RFC
    /// 9110 §15.2). 101 goes through [`switch`](Exchange::switch).
    pub async fn interim(&mut self, head: Head) -> io::Result<()> {
        if self.state != State::Head {
            return Err(misuse("an interim response cannot follow the final one"));
        }
        if !head.status.is_interim() || head.status == 101 {
            return Err(misuse("interim responses are 1xx other than 101"));
        }
        if let Some(e) = &head.invalid {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        if self.req.version() == Version::Http10 {
            return Ok(());
        }
        if head.status == 100 {
            self.continue_sent = true;
        }
        self.interim_sent += 1;
        match &mut self.wire {
            Wire::H1 { conn, .. } => {
                conn.wbuf.clear();
                encode::write_head(
                    &mut conn.wbuf,
                    &head,
                    Framing::None,
                    encode::ConnectionField::default(),
                );
                flush_wbuf(conn).await
            }
            Wire::H2(s) => s.interim(&head),
        }
    }

    /// Sends a complete final response.
    pub async fn respond(&mut self, head: Head, body: impl Into<Bytes>) -> io::Result<()> {
        let body = body.into();
        let framing = match head.status.content() {
            Content::Never => Framing::None,
            Content::Empty => Framing::Length(0),
            Content::Allowed => Framing::Length(body.len() as u64),
        };
        let send_body = matches!(framing, Framing::Length(n) if n > 0) && !self.is_head();
        self.check_final(&head)?;
        self.state = State::Done;
        if send_body {
            self.bytes_out += body.len() as u64;
        }
        match &mut self.wire {
            Wire::H1 { conn, .. } => {
                write_h1_head(conn, &head, framing, self.close, &self.req);
                if send_body {
                    conn.wbuf.extend_from_slice(&body);
                }
                flush_wbuf(conn).await
            }
            Wire::H2(s) => {
                s.send_head(&head, framing, !send_body)?;
                if send_body {
                    s.send_data(body, true, self.limits.keep_alive_timeout)
                        .await?;
                }
                Ok(())
            }
        }
    }

    /// Starts a streamed final response. With `length`, exactly that many
    /// bytes must follow; without, the content is chunked (or, for an
    /// HTTP/1.0 client, delimited by closing the connection; over HTTP/2,
    /// by the end of the stream).
    pub async fn start(&mut self, head: Head, length: Option<u64>) -> io::Result<()> {
        let framing = match (head.status.content(), length) {
            (Content::Never, _) => Framing::None,
            (Content::Empty, _) => Framing::Length(0),
            (Content::Allowed, Some(n)) => Framing::Length(n),
            (Content::Allowed, None) if self.req.version() >= Version::Http11 => Framing::Chunked,
            (Content::Allowed, None) => {
                self.close = true;
                Framing::Close
            }
        };
        self.check_final(&head)?;
        let discard = self.is_head() || matches!(framing, Framing::None | Framing::Length(0));
        let remaining = match framing {
            Framing::Length(n) => n,
            _ => u64::MAX,
        };
        self.state = State::Streaming {
            framing,
            remaining,
            discard,
        };
        match &mut self.wire {
            Wire::H1 { conn, .. } => {
                write_h1_head(conn, &head, framing, self.close, &self.req);
                flush_wbuf(conn).await
            }
            Wire::H2(s) => s.send_head(&head, framing, discard),
        }
    }

    /// Waits until content can go out without piling up in the server, and
    /// returns how many bytes (at least 1, at most `want`) the next
    /// [`write`](Exchange::write) can send at once. A handler that makes
    /// its content as it goes (ask, make that many bytes, write) holds
    /// nothing while a slow client reads. Over HTTP/2 this is the client's
    /// flow-control window (a client that opens none for the keep-alive
    /// timeout has the stream reset); over HTTP/1.x the socket's own
    /// back-pressure applies in `write`, and this returns at once with
    /// `want`, at most 16 KiB.
    pub async fn ready(&mut self, want: usize) -> io::Result<usize> {
        let State::Streaming { discard, .. } = self.state else {
            return Err(misuse("ready needs a started response"));
        };
        let want = want.clamp(1, 16 * 1024);
        match &mut self.wire {
            Wire::H2(s) if !discard => s.ready(want, self.limits.keep_alive_timeout).await,
            _ => Ok(want),
        }
    }

    /// Writes content of a streamed response and sends it at once.
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let State::Streaming {
            framing,
            remaining,
            discard,
        } = self.state
        else {
            return Err(misuse("write needs a started response"));
        };
        if discard || data.is_empty() || framing == Framing::None {
            return Ok(());
        }
        if let Framing::Length(_) = framing {
            if data.len() as u64 > remaining {
                return Err(misuse("more content than the declared Content-Length"));
            }
            self.state = State::Streaming {
                framing,
                remaining: remaining - data.len() as u64,
                discard,
            };
        }
        self.bytes_out += data.len() as u64;
        match &mut self.wire {
            Wire::H1 { conn, .. } => {
                conn.wbuf.clear();
                match framing {
                    Framing::Chunked => encode::write_chunk(&mut conn.wbuf, data),
                    _ => conn.wbuf.extend_from_slice(data),
                }
                flush_wbuf(conn).await
            }
            Wire::H2(s) => {
                // The last byte of a fixed length ends the stream.
                let last = matches!(framing, Framing::Length(_)) && data.len() as u64 == remaining;
                s.send_data(
                    Bytes::copy_from_slice(data),
                    last,
                    self.limits.keep_alive_timeout,
                )
                .await
            }
        }
    }

    /// Ends a streamed response. A fixed-length response that is short of
    /// its length cannot be completed: the connection is closed instead
    /// (over HTTP/2, the stream is reset).
    pub async fn finish(&mut self) -> io::Result<()> {
        let State::Streaming {
            framing,
            remaining,
            discard,
        } = self.state
        else {
            return Err(misuse("finish needs a started response"));
        };
        self.state = State::Done;
        let short = matches!(framing, Framing::Length(_)) && remaining > 0 && !discard;
        match &mut self.wire {
            Wire::H1 { conn, .. } => match framing {
                Framing::Chunked if !discard => {
                    conn.wbuf.clear();
                    conn.wbuf.extend_from_slice(encode::LAST_CHUNK);
                    flush_wbuf(conn).await
                }
                _ if short => {
                    self.close = true;
                    Err(misuse("response ended before its Content-Length"))
                }
                _ => Ok(()),
            },
            Wire::H2(s) => match framing {
                Framing::Chunked if !discard => {
                    s.send_data(Bytes::new(), true, self.limits.keep_alive_timeout)
                        .await
                }
                _ if short => {
                    s.reset(::h2::Reason::INTERNAL_ERROR);
                    Err(misuse("response ended before its Content-Length"))
                }
                _ => Ok(()),
            },
        }
    }

    /// Answers 101 and hands over the connection. The client must have asked
    /// for an upgrade (RFC 9110 §7.8); `head` must be a 101 naming the
    /// protocol in `Upgrade`. HTTP/2 has no 101 (RFC 9113 §8.6): there the
    /// call fails and nothing is sent.
    pub async fn switch(&mut self, head: Head) -> io::Result<Upgraded<'_>> {
        if self.state != State::Head {
            return Err(misuse("switch must be the final answer"));
        }
        if head.status != 101 || head.get("upgrade").is_none() {
            return Err(misuse("a switch is a 101 with Upgrade"));
        }
        if !self.req.wants_upgrade() {
            return Err(misuse("the client did not ask to upgrade"));
        }
        if let Some(e) = &head.invalid {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        let Wire::H1 { conn, .. } = &mut self.wire else {
            return Err(misuse("HTTP/2 has no 101 Switching Protocols"));
        };
        conn.wbuf.clear();
        let fields = encode::ConnectionField {
            upgrade: true,
            ..Default::default()
        };
        encode::write_head(&mut conn.wbuf, &head, Framing::None, fields);
        self.status = Some(101);
        self.state = State::Switched;
        self.close = true;
        flush_wbuf(conn).await?;
        let pre = conn.rbuf.split();
        Ok(Rewind::new(&mut conn.io, pre))
    }

    /// Breaks the exchange on purpose; the connection ends afterwards.
    ///
    /// Over HTTP/2 only what the fault needs goes: [`Fault::Reset`] resets
    /// the stream (`RST_STREAM` with `INTERNAL_ERROR`), [`Fault::Close`]
    /// ends the connection with `GOAWAY` (`NO_ERROR`), and [`Fault::Raw`],
    /// whose bytes cannot be framed, with `GOAWAY` (`PROTOCOL_ERROR`).
    pub async fn fault(&mut self, fault: Fault) -> io::Result<()> {
        self.state = State::Faulted;
        self.close = true;
        match (&mut self.wire, fault) {
            (Wire::H1 { conn, .. }, Fault::Reset) => {
                conn.io.prepare_reset();
                Ok(())
            }
            (Wire::H1 { .. }, Fault::Close) => Ok(()),
            (Wire::H1 { conn, .. }, Fault::Raw(bytes)) => {
                conn.io.write_all(&bytes).await?;
                conn.io.flush().await
            }
            (Wire::H2(s), Fault::Reset) => {
                self.close = false;
                s.reset(::h2::Reason::INTERNAL_ERROR);
                Ok(())
            }
            (Wire::H2(s), Fault::Close) => {
                s.abort(::h2::Reason::NO_ERROR);
                Ok(())
            }
            (Wire::H2(s), Fault::Raw(_)) => {
                s.abort(::h2::Reason::PROTOCOL_ERROR);
                Ok(())
            }
        }
    }

    /// Over HTTP/2, refuses the request with `RST_STREAM` and the error
    /// code `HTTP_1_1_REQUIRED` (RFC 9113 §7): what the request asks for
    /// exists only in HTTP/1.1 (a 101 switch, a 426 with `Upgrade`).
    /// Clients such as curl and browsers then retry over HTTP/1.1. Over
    /// HTTP/1.x the call fails and nothing is sent.
    pub async fn require_http11(&mut self) -> io::Result<()> {
        if self.state != State::Head {
            return Err(misuse("the final response was already sent"));
        }
        let Wire::H2(s) = &mut self.wire else {
            return Err(misuse("the request is already HTTP/1"));
        };
        s.reset(::h2::Reason::HTTP_1_1_REQUIRED);
        self.state = State::Faulted;
        Ok(())
    }

    /// Checks that `head` may go out as the final response now, and decides
    /// whether the connection ends after it.
    fn check_final(&mut self, head: &Head) -> io::Result<()> {
        if self.state != State::Head {
            return Err(misuse("the final response was already sent"));
        }
        if head.status.is_interim() {
            return Err(misuse("a final response cannot be 1xx"));
        }
        if let Some(e) = &head.invalid {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        let asked_close = head.get("connection").is_some_and(|v| {
            v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
        });
        let rule_closes = head.status.entry().is_some_and(|e| e.rules.closes());
        if asked_close || rule_closes {
            self.close = true;
        }
        if let Wire::H1 {
            shutdown, decoder, ..
        } = &self.wire
        {
            if *shutdown.borrow() || !self.req.keep_alive() {
                self.close = true;
            }
            // A body left unread that cannot be drained cheaply ends the
            // connection: the client may be waiting for 100 Continue, or
            // the body may be long.
            if !decoder.is_done() {
                let cheap = decoder
                    .remaining()
                    .is_some_and(|n| n <= self.limits.max_drain);
                if (self.req.expects_continue() && !self.continue_sent) || !cheap {
                    self.close = true;
                }
            }
        }
        self.status = Some(head.status.as_u16());
        Ok(())
    }
}

fn write_h1_head<T: ?Sized>(
    conn: &mut Conn<T>,
    head: &Head,
    framing: Framing,
    close: bool,
    req: &Request,
) {
    let asked_upgrade = head.get("connection").is_some_and(|v| {
        v.split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
    });
    let fields = encode::ConnectionField {
        close,
        keep_alive: !close && req.version() == Version::Http10,
        upgrade: asked_upgrade,
    };
    conn.wbuf.clear();
    encode::write_head(&mut conn.wbuf, head, framing, fields);
}

/// The most write buffer a connection keeps between writes; a larger one
/// (a big response written whole) is given back.
const WRITE_KEEP: usize = 16 * 1024;

async fn flush_wbuf<T: Transport + ?Sized>(conn: &mut Conn<T>) -> io::Result<()> {
    let r = conn.io.write_all(&conn.wbuf).await;
    conn.wbuf.clear();
    if conn.wbuf.capacity() > WRITE_KEEP {
        conn.wbuf = Vec::new();
    }
    r?;
    conn.io.flush().await
}
