//! A cleartext TCP connection whose Nagle algorithm is turned off the first
//! time it could delay something, rather than at accept.
//!
//! Nagle's algorithm holds back a small segment only while earlier data is
//! unacknowledged. The first write of a connection has nothing before it,
//! so when it is small enough to leave in one segment it is never held
//! back; `TCP_NODELAY` is set only before a write that follows another, or
//! one too large for a single segment. A connection that asks once and
//! closes — one small answer — then costs one system call less; a
//! keep-alive connection pays it once, before its second answer.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::service::Transport;

/// Writes up to this size fit one segment on any path (IPv4's smallest
/// maximum segment is 536 bytes), so Nagle cannot split and hold them.
const ONE_SEGMENT: usize = 512;

/// A TCP connection served by the engine (see the module docs).
pub struct Tcp {
    stream: TcpStream,
    /// `TCP_NODELAY` is set.
    nodelay: bool,
    /// Some bytes have been written.
    wrote: bool,
    /// The next read tries the socket first (see [`Tcp::read_at_once`]).
    at_once: bool,
}

/// Most bytes the read at once takes (see [`Tcp::read_at_once`]): its room
/// is zeroed first.
const AT_ONCE: usize = 4096;

impl Tcp {
    /// Wraps an accepted connection; Nagle stays on until it could matter.
    pub fn new(stream: TcpStream) -> Tcp {
        Tcp {
            stream,
            nodelay: false,
            wrote: false,
            at_once: false,
        }
    }

    /// With `yes`, the first read tries the socket before its readiness is
    /// known: for a connection that waited in the accept queue, whose
    /// request has most likely come, so that its task does not wait for
    /// the event that says so. A read that finds nothing costs one system
    /// call, and the connection then waits for its event as any other.
    pub fn read_at_once(mut self, yes: bool) -> Tcp {
        self.at_once = yes;
        self
    }

    /// Turns Nagle off before a write of `len` bytes that it could delay.
    fn before_write(&mut self, len: usize) {
        if !self.nodelay && (self.wrote || len > ONE_SEGMENT) {
            self.nodelay = true;
            let _ = self.stream.set_nodelay(true);
        }
    }

    fn after_write(&mut self, r: &Poll<io::Result<usize>>) {
        if matches!(r, Poll::Ready(Ok(n)) if *n > 0) {
            self.wrote = true;
        }
    }
}

impl AsyncRead for Tcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if std::mem::take(&mut self.at_once) && buf.remaining() > 0 {
            let room = buf.initialize_unfilled_to(buf.remaining().min(AT_ONCE));
            match rustix::io::read(&self.stream, room) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => {}
                Err(e) => return Poll::Ready(Err(e.into())),
            }
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.before_write(buf.len());
        let r = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.after_write(&r);
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.before_write(bufs.iter().map(|b| b.len()).sum());
        let r = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.after_write(&r);
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Transport for Tcp {
    fn prepare_reset(&mut self) {
        self.stream.prepare_reset();
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    async fn pair() -> (Tcp, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (Tcp::new(server), client)
    }

    /// A connection accepted outside tokio, as the server's accept loop
    /// hands them over: its readiness is not known until the driver says.
    fn handed_over(listener: &std::net::TcpListener) -> TcpStream {
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        TcpStream::from_std(server).unwrap()
    }

    /// Marked to read at once, a connection whose request has come reads
    /// it at the first try; unmarked, it waits for the driver's event.
    #[tokio::test]
    async fn a_read_at_once_takes_what_came_without_waiting() {
        use futures_util::FutureExt as _;
        use std::io::Write as _;

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        for at_once in [true, false] {
            let mut client = std::net::TcpStream::connect(addr).unwrap();
            client.write_all(b"GET / HTTP/1.1\r\n").unwrap();
            let mut tcp = Tcp::new(handed_over(&listener)).read_at_once(at_once);
            let mut got = [0u8; 64];
            let first = tcp.read(&mut got).now_or_never();
            if at_once {
                assert_eq!(first.unwrap().unwrap(), 16);
                assert_eq!(&got[..16], b"GET / HTTP/1.1\r\n");
            } else {
                assert!(first.is_none(), "read before the driver said readable");
            }
        }
    }

    /// A read at once that finds nothing leaves the connection to wait for
    /// its bytes as any other.
    #[tokio::test]
    async fn a_read_at_once_that_finds_nothing_waits() {
        use std::io::Write as _;

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let mut tcp = Tcp::new(handed_over(&listener)).read_at_once(true);
        let mut got = [0u8; 4];
        let read = tokio::spawn(async move {
            tcp.read_exact(&mut got).await.unwrap();
            got
        });
        tokio::task::yield_now().await;
        client.write_all(b"late").unwrap();
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), read)
            .await
            .expect("the bytes are read once they come")
            .unwrap();
        assert_eq!(&got, b"late");
    }

    #[tokio::test]
    async fn nagle_goes_off_before_a_write_it_could_hold_back() {
        // One small answer: Nagle never mattered, and stays on.
        let (mut tcp, mut client) = pair().await;
        tcp.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        assert!(!tcp.stream.nodelay().unwrap());
        // A second write could wait for the first one's ACK: off before it.
        tcp.write_all(b"more").await.unwrap();
        assert!(tcp.stream.nodelay().unwrap());
        let mut got = [0u8; 23];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"HTTP/1.1 200 OK\r\n\r\nmore");
        // A first write larger than one segment: off before it.
        let (mut tcp, _client) = pair().await;
        tcp.write_all(&[b'x'; 4096]).await.unwrap();
        assert!(tcp.stream.nodelay().unwrap());
    }
}
