//! An exchange's wire over HTTP/1.x: heads and content written into the
//! connection's buffer and flushed in one write, the body read through its
//! decoder, the 101 switch, faults at the socket.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio_util::io::poll_read_buf;

use super::conn::Conn;

/// The most content one read takes from the connection (nginx's default
/// body buffer on 64-bit systems is the same size). Larger reads cost less
/// CPU per byte; each uploading connection holds this much at most.
const BODY_READ: usize = 16384;
use super::decode::{Decoded, Decoder};
use super::encode::{self, ConnectionField};
use crate::error::{BodyError, RequestError};
use crate::exchange::wire::{Deadline, Wire};
use crate::exchange::{Rewind, Upgraded};
use crate::limits::Limits;
use crate::message::{Request, Version};
use crate::response::{AnswerFields, Framing, Head};
use crate::service::{Fault, Shutdown, Transport};

/// The most write buffer a connection keeps between writes; a larger one
/// (a big response written whole) is given back.
const WRITE_KEEP: usize = 16 * 1024;

/// One exchange on an HTTP/1.x connection, which it has to itself until it
/// ends.
pub(crate) struct H1Wire<'c> {
    conn: &'c mut Conn<dyn Transport>,
    shutdown: &'c Shutdown,
    decoder: Decoder,
    /// How much of the write buffer is already on the socket.
    written: usize,
    reading: Deadline,
}

impl<'c> H1Wire<'c> {
    pub(crate) fn new(
        conn: &'c mut Conn<dyn Transport>,
        shutdown: &'c Shutdown,
        decoder: Decoder,
    ) -> H1Wire<'c> {
        H1Wire {
            conn,
            shutdown,
            decoder,
            written: 0,
            reading: Deadline::default(),
        }
    }

    /// Starts staging: the buffer holds nothing unsent.
    fn fresh(&mut self) {
        if self.written == self.conn.wbuf.len() {
            self.conn.wbuf.clear();
            self.written = 0;
        }
    }
}

impl Wire for H1Wire<'_> {
    fn multiplexed(&self) -> bool {
        false
    }

    fn closes_after(&self, req: &Request, continue_pending: bool, limits: &Limits) -> bool {
        if *self.shutdown.borrow() || !req.keep_alive() {
            return true;
        }
        // A body left unread that cannot be drained cheaply ends the
        // connection: the client may be waiting for 100 Continue, or the
        // body may be long.
        if !self.decoder.is_done() {
            let cheap = self
                .decoder
                .remaining()
                .is_some_and(|n| n <= limits.max_drain);
            return continue_pending || !cheap;
        }
        false
    }

    fn body_done(&self) -> bool {
        self.decoder.is_done()
    }

    fn body_remaining(&self, _req: &Request) -> Option<u64> {
        self.decoder.remaining()
    }

    fn stage_continue(&mut self) -> io::Result<bool> {
        if !self.conn.rbuf.is_empty() {
            return Ok(false);
        }
        self.fresh();
        self.conn
            .wbuf
            .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        Ok(true)
    }

    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        limits: &Limits,
    ) -> Poll<Result<Option<Bytes>, BodyError>> {
        loop {
            match self.decoder.decode(&mut self.conn.rbuf, limits) {
                Ok(Decoded::Data(d)) => {
                    self.reading.stop();
                    return Poll::Ready(Ok(Some(d)));
                }
                Ok(Decoded::End) => {
                    self.reading.stop();
                    return Poll::Ready(Ok(None));
                }
                Ok(Decoded::NeedMore) => {}
                Err(e) => return Poll::Ready(Err(BodyError::Request(e))),
            }
            // Content is read in pieces of up to BODY_READ bytes. (A buffer
            // whose every byte was handed over has no room left: it gets a
            // whole piece's worth, not the small start of a request head.)
            let rbuf = &mut self.conn.rbuf;
            if rbuf.capacity() - rbuf.len() < 1024 {
                rbuf.reserve(BODY_READ);
            }
            match poll_read_buf(Pin::new(&mut self.conn.io), cx, rbuf) {
                Poll::Ready(Ok(0)) => {
                    // The client's fault, not the handler's: the engine
                    // answers 400 if the client still reads.
                    return Poll::Ready(Err(BodyError::Request(RequestError::IncompleteBody)));
                }
                Poll::Ready(Ok(_)) => self.reading.stop(),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(BodyError::Io(e))),
                Poll::Pending => {
                    if self.reading.expired(cx, limits.request_timeout) {
                        return Poll::Ready(Err(BodyError::Request(RequestError::Timeout)));
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    fn take_trailers(&mut self) -> Vec<(String, Bytes)> {
        self.decoder.take_trailers()
    }

    fn stage_interim(&mut self, head: &Head) -> io::Result<()> {
        self.fresh();
        encode::write_head(
            &mut self.conn.wbuf,
            head,
            Framing::None,
            ConnectionField::default(),
        );
        Ok(())
    }

    fn stage_head(
        &mut self,
        head: &Head,
        extra: &AnswerFields,
        framing: Framing,
        _end: bool,
        close: bool,
        req: &Request,
    ) -> io::Result<()> {
        let asked_upgrade = head.get("connection").is_some_and(|v| {
            v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
        });
        let fields = ConnectionField {
            close,
            keep_alive: !close && req.version() == Version::Http10,
            upgrade: asked_upgrade,
        };
        self.fresh();
        encode::write_head_with(&mut self.conn.wbuf, head, framing, fields, extra);
        Ok(())
    }

    fn stage_data(&mut self, data: Bytes, framing: Framing, _last: bool) -> io::Result<()> {
        self.fresh();
        match framing {
            Framing::Chunked => encode::write_chunk(&mut self.conn.wbuf, &data),
            _ => self.conn.wbuf.extend_from_slice(&data),
        }
        Ok(())
    }

    fn stage_end(&mut self, trailers: &[(String, Bytes)]) -> io::Result<()> {
        self.fresh();
        if trailers.is_empty() {
            self.conn.wbuf.extend_from_slice(encode::LAST_CHUNK);
            return Ok(());
        }
        // The last chunk, then the trailer section (RFC 9112 §7.1.2).
        let w = &mut self.conn.wbuf;
        w.extend_from_slice(b"0\r\n");
        for (name, value) in trailers {
            w.extend_from_slice(name.as_bytes());
            w.extend_from_slice(b": ");
            w.extend_from_slice(value);
            w.extend_from_slice(b"\r\n");
        }
        w.extend_from_slice(b"\r\n");
        Ok(())
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>, _stall: Duration) -> Poll<io::Result<()>> {
        let conn = &mut *self.conn;
        while self.written < conn.wbuf.len() {
            match ready!(Pin::new(&mut conn.io).poll_write(cx, &conn.wbuf[self.written..])) {
                Ok(0) => {
                    conn.wbuf.clear();
                    self.written = 0;
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Ok(n) => self.written += n,
                Err(e) => {
                    conn.wbuf.clear();
                    self.written = 0;
                    return Poll::Ready(Err(e));
                }
            }
        }
        conn.wbuf.clear();
        self.written = 0;
        if conn.wbuf.capacity() > WRITE_KEEP {
            conn.wbuf = Vec::new();
        }
        Pin::new(&mut conn.io).poll_flush(cx)
    }

    fn poll_ready(
        &mut self,
        _cx: &mut Context<'_>,
        want: usize,
        _stall: Duration,
    ) -> Poll<io::Result<usize>> {
        // The socket's own back-pressure applies when the content is
        // flushed.
        Poll::Ready(Ok(want))
    }

    fn abandon(&mut self) {}

    fn stage_switch(&mut self, head: &Head) -> io::Result<()> {
        let fields = ConnectionField {
            upgrade: true,
            ..Default::default()
        };
        self.fresh();
        encode::write_head(&mut self.conn.wbuf, head, Framing::None, fields);
        Ok(())
    }

    fn upgraded(&mut self) -> Option<Upgraded<'_>> {
        let pre = self.conn.rbuf.split();
        Some(Rewind::new(&mut self.conn.io, pre))
    }

    fn stage_fault(&mut self, fault: Fault) -> io::Result<bool> {
        match fault {
            Fault::Reset => self.conn.io.prepare_reset(),
            Fault::Close => {}
            Fault::Raw(bytes) => {
                self.fresh();
                self.conn.wbuf.extend_from_slice(&bytes);
            }
        }
        Ok(true)
    }

    fn refuse_for_http11(&mut self) -> bool {
        false
    }
}
