//! Answering: interim responses, a whole or streamed final response, a
//! protocol switch, a fault. The registry's rules on content hold whatever
//! the handler asks.

use std::future::{poll_fn, Future};
use std::io;

use bytes::Bytes;
use teapot_codes::Content;

use super::{misuse, Exchange, State, Upgraded};
use crate::message::Version;
use crate::response::{Framing, Head};
use crate::service::Fault;

impl<'a> Exchange<'a> {
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
        self.wire.stage_interim(&head)?;
        self.flush().await
    }

    /// Sends a complete final response.
    ///
    /// The head and body are checked and staged when this is called; the
    /// future writes them out. (Not an `async fn`: that would keep the head
    /// and body across the write, in the future of every handler that
    /// answers this way, and so in every connection's.)
    pub fn respond<'s, B: Into<Bytes>>(
        &'s mut self,
        head: Head,
        body: B,
    ) -> impl Future<Output = io::Result<()>> + use<'s, 'a, B> {
        let staged = self.stage_whole(head, body.into());
        async move {
            staged?;
            self.flush().await
        }
    }

    /// `respond`'s staging: the head, and the body unless none may go.
    fn stage_whole(&mut self, head: Head, body: Bytes) -> io::Result<()> {
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
        self.wire.stage_head(
            &head,
            &self.answer_fields,
            framing,
            !send_body,
            self.close,
            &self.req,
        )?;
        if send_body {
            self.wire.stage_data(body, framing, true)?;
        }
        Ok(())
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
        self.wire.stage_head(
            &head,
            &self.answer_fields,
            framing,
            discard,
            self.close,
            &self.req,
        )?;
        self.flush().await
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
        if discard {
            return Ok(want);
        }
        let stall = self.limits.keep_alive_timeout;
        poll_fn(|cx| self.wire.poll_ready(cx, want, stall)).await
    }

    /// Writes content of a streamed response and sends it at once.
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_bytes(Bytes::copy_from_slice(data)).await
    }

    /// [`write`](Exchange::write) for content the handler owns: it goes out
    /// from where it is, without a copy.
    pub async fn write_bytes(&mut self, data: Bytes) -> io::Result<()> {
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
        // The last byte of a fixed length ends the content.
        let last = matches!(framing, Framing::Length(_)) && data.len() as u64 == remaining;
        self.wire.stage_data(data, framing, last)?;
        self.flush().await
    }

    /// Ends a streamed response. A fixed-length response that is short of
    /// its length cannot be completed: the connection is closed instead
    /// (over HTTP/2, the stream is reset).
    pub async fn finish(&mut self) -> io::Result<()> {
        self.finish_with_trailers(Vec::new()).await
    }

    /// Ends a streamed response of unknown length (started without one)
    /// with trailer fields: over HTTP/1.1 a trailer section after the last
    /// chunk, sent only to a client that said `TE: trailers` (RFC 9110
    /// §10.1.4); over HTTP/2 a trailing HEADERS frame. A field that may not
    /// be a trailer here (framing, routing, `Trailer` itself) is a misuse.
    pub async fn finish_with_trailers(&mut self, trailers: Vec<(String, Bytes)>) -> io::Result<()> {
        for (name, value) in &trailers {
            let forbidden = [
                "content-length",
                "transfer-encoding",
                "host",
                "trailer",
                "te",
                "connection",
            ]
            .iter()
            .any(|f| name.eq_ignore_ascii_case(f));
            if forbidden
                || !crate::response::is_field_name(name)
                || !crate::response::is_field_value(value)
            {
                return Err(misuse("a field that may not be a trailer"));
            }
        }
        let wanted = self.wire.multiplexed() || self.req.has_token("te", "trailers");
        let trailers = if wanted { trailers } else { Vec::new() };
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
        match framing {
            Framing::Chunked if !discard => {
                self.wire.stage_end(&trailers)?;
                self.flush().await
            }
            _ if short => {
                self.wire.abandon();
                if !self.wire.multiplexed() {
                    self.close = true;
                }
                Err(misuse("response ended before its Content-Length"))
            }
            _ => Ok(()),
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
        self.wire.stage_switch(&head)?;
        self.status = Some(101);
        self.state = State::Switched;
        self.close = true;
        self.flush().await?;
        self.wire
            .upgraded()
            .ok_or_else(|| misuse("this protocol cannot hand over its connection"))
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
        self.close = self.wire.stage_fault(fault)?;
        self.flush().await
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
        if !self.wire.refuse_for_http11() {
            return Err(misuse("the request is already HTTP/1"));
        }
        self.state = State::Faulted;
        Ok(())
    }

    /// Sends what the wire has staged.
    pub(super) async fn flush(&mut self) -> io::Result<()> {
        let stall = self.limits.keep_alive_timeout;
        poll_fn(|cx| self.wire.poll_flush(cx, stall)).await
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
        let continue_pending = self.req.expects_continue() && !self.continue_sent;
        if self
            .wire
            .closes_after(&self.req, continue_pending, self.limits)
        {
            self.close = true;
        }
        self.status = Some(head.status.as_u16());
        Ok(())
    }
}
