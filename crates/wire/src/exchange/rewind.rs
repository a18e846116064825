//! A byte stream with bytes already read put back in front: the connection
//! after a 101, and HTTP/2 after an `Upgrade: h2c`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::service::Transport;

/// The connection after a 101: reads first return what the client sent
/// behind the upgrade request, then the transport's own bytes.
pub type Upgraded<'a> = Rewind<&'a mut dyn Transport>;

/// A byte stream with bytes already read from it put back in front: reads
/// return `pre` first, then the stream's own bytes; writes go straight
/// through.
#[derive(Debug)]
pub struct Rewind<R> {
    io: R,
    pre: BytesMut,
}

impl<R> Rewind<R> {
    /// `io` with `pre` to be read first.
    pub fn new(io: R, pre: BytesMut) -> Rewind<R> {
        Rewind { io, pre }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Rewind<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.pre.is_empty() {
            let n = self.pre.len().min(buf.remaining());
            let chunk = self.pre.split_to(n);
            buf.put_slice(&chunk);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<R: AsyncWrite + Unpin> AsyncWrite for Rewind<R> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
