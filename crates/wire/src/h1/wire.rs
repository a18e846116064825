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
pub(crate) const WRITE_KEEP: usize = 16 * 1024;

/// The most content one read takes from the connection (nginx's default
/// body buffer on 64-bit systems is the same size). Larger reads cost less
/// CPU per byte; each uploading connection holds this much at most.
const BODY_READ: usize = 16384;

/// Content of at least this size is not copied into the write buffer: it
/// goes to the socket from where the handler made it, in one vectored
/// write with what is staged before and after it.
const WRITE_IN_PLACE: usize = 8 * 1024;

/// One exchange on an HTTP/1.x connection, which it has to itself until it
/// ends.
pub(crate) struct H1Wire<'c> {
    conn: &'c mut Conn<dyn Transport>,
    shutdown: &'c Shutdown,
    decoder: Decoder,
    /// A large piece of content staged after the write buffer, written
    /// from where it is ([`WRITE_IN_PLACE`]); what is staged after it
    /// goes to `after`.
    content: Option<Bytes>,
    after: Vec<u8>,
    /// How much of the write buffer, the content and `after` (in that
    /// order) is already on the socket.
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
            content: None,
            after: Vec::new(),
            written: 0,
            reading: Deadline::default(),
        }
    }

    /// All that is staged: the write buffer, the content, `after`.
    fn staged(&self) -> usize {
        self.conn.wbuf.len() + self.content.as_ref().map_or(0, Bytes::len) + self.after.len()
    }

    /// Forgets what was staged (sent, or failed to be).
    fn clear(&mut self) {
        self.conn.wbuf.clear();
        self.content = None;
        self.after.clear();
        self.written = 0;
    }

    /// Counts what a write sent; a write that failed or sent nothing
    /// drops what was staged.
    fn advance(&mut self, wrote: io::Result<usize>) -> io::Result<()> {
        match wrote {
            Ok(0) => {
                self.clear();
                Err(io::ErrorKind::WriteZero.into())
            }
            Ok(n) => {
                self.written += n;
                Ok(())
            }
            Err(e) => {
                self.clear();
                Err(e)
            }
        }
    }

    /// Starts staging: if everything staged has been sent, the buffers
    /// are empty again. Returns where the next bytes go.
    fn fresh(&mut self) -> &mut Vec<u8> {
        if self.content.is_none() {
            // The usual case: all of it in the write buffer.
            if self.written == self.conn.wbuf.len() {
                self.conn.wbuf.clear();
                self.written = 0;
            }
            return &mut self.conn.wbuf;
        }
        if self.written == self.staged() {
            self.clear();
            return &mut self.conn.wbuf;
        }
        &mut self.after
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
        self.fresh()
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
        encode::write_head(
            self.fresh(),
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
        encode::write_head_with(self.fresh(), head, framing, fields, extra);
        Ok(())
    }

    fn stage_data(&mut self, data: Bytes, framing: Framing, _last: bool) -> io::Result<()> {
        let chunked = framing == Framing::Chunked;
        self.fresh();
        if data.is_empty() {
            return Ok(());
        }
        if self.content.is_some() || data.len() < WRITE_IN_PLACE {
            let out = self.fresh();
            match chunked {
                true => encode::write_chunk(out, &data),
                false => out.extend_from_slice(&data),
            }
            return Ok(());
        }
        // Large: written from where it is, framed around it.
        if chunked {
            encode::write_chunk_size(&mut self.conn.wbuf, data.len());
            self.after.extend_from_slice(b"\r\n");
        }
        self.content = Some(data);
        Ok(())
    }

    fn stage_end(&mut self, trailers: &[(String, Bytes)]) -> io::Result<()> {
        let w = self.fresh();
        if trailers.is_empty() {
            w.extend_from_slice(encode::LAST_CHUNK);
            return Ok(());
        }
        // The last chunk, then the trailer section (RFC 9112 §7.1.2).
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
        // Without large content (the usual case) all of it is in the write
        // buffer, and `after` is empty.
        while self.content.is_none() && self.written < self.conn.wbuf.len() {
            let conn = &mut *self.conn;
            let r = ready!(Pin::new(&mut conn.io).poll_write(cx, &conn.wbuf[self.written..]));
            self.advance(r)?;
        }
        while self.content.is_some() && self.written < self.staged() {
            let r = {
                let content = self.content.as_deref().unwrap_or_default();
                let mut skip = self.written;
                let mut parts = [io::IoSlice::new(&[]); 3];
                let mut n = 0;
                for part in [&self.conn.wbuf[..], content, &self.after[..]] {
                    if skip >= part.len() {
                        skip -= part.len();
                        continue;
                    }
                    parts[n] = io::IoSlice::new(&part[skip..]);
                    skip = 0;
                    n += 1;
                }
                let io = Pin::new(&mut self.conn.io);
                if n == 1 {
                    io.poll_write(cx, &parts[0])
                } else {
                    io.poll_write_vectored(cx, &parts[..n])
                }
            };
            self.advance(ready!(r))?;
        }
        self.conn.wbuf.clear();
        self.written = 0;
        if self.content.take().is_some() {
            self.after.clear();
            if self.after.capacity() > WRITE_KEEP {
                self.after = Vec::new();
            }
        }
        if self.conn.wbuf.capacity() > WRITE_KEEP {
            self.conn.wbuf = Vec::new();
        }
        Pin::new(&mut self.conn.io).poll_flush(cx)
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
        encode::write_head(self.fresh(), head, Framing::None, fields);
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
            Fault::Raw(bytes) => self.fresh().extend_from_slice(&bytes),
        }
        Ok(true)
    }

    fn refuse_for_http11(&mut self) -> bool {
        false
    }
}
