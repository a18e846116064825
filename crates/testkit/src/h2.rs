//! HTTP/2 helpers: a client that reads nothing until told to (for tests of
//! what a server holds while a client's flow-control window is shut), and
//! a reader of the GOAWAY a server sent.

use std::net::SocketAddr;

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// A connection (prior knowledge) whose streams start with a window of 0:
/// the server can send heads but no content until [`ShutWindow::open`].
pub struct ShutWindow {
    client: SendRequest<Bytes>,
    open: Option<oneshot::Sender<()>>,
    headed: mpsc::UnboundedSender<()>,
    heads: mpsc::UnboundedReceiver<()>,
}

impl ShutWindow {
    /// Connects to `addr` and says SETTINGS_INITIAL_WINDOW_SIZE = 0.
    pub async fn connect(addr: SocketAddr) -> ShutWindow {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let (client, mut connection) = h2::client::Builder::new()
            .initial_window_size(0)
            .handshake::<_, Bytes>(tcp)
            .await
            .expect("an HTTP/2 handshake");
        let (open, opened) = oneshot::channel::<()>();
        tokio::spawn(async move {
            tokio::select! {
                _ = &mut connection => return,
                _ = opened => {}
            }
            connection
                .set_initial_window_size(1 << 20)
                .expect("a window");
            let _ = connection.await;
        });
        let (headed, heads) = mpsc::unbounded_channel();
        ShutWindow {
            client,
            open: Some(open),
            headed,
            heads,
        }
    }

    /// Asks for `path` (GET); the task reads the whole content once the
    /// window opens and returns its length, or the stream's error.
    pub async fn get(&self, path: &str) -> JoinHandle<Result<usize, h2::Error>> {
        let mut ready = self.client.clone().ready().await.expect("a stream");
        let req = http::Request::get(format!("http://t{path}"))
            .body(())
            .expect("a request");
        let (response, _) = ready.send_request(req, true).expect("sent");
        let headed = self.headed.clone();
        tokio::spawn(async move {
            let response = response.await;
            let _ = headed.send(());
            let mut body = response?.into_body();
            let mut n = 0;
            while let Some(chunk) = body.data().await {
                let chunk = chunk?;
                let _ = body.flow_control().release_capacity(chunk.len());
                n += chunk.len();
            }
            Ok(n)
        })
    }

    /// Waits until `n` of the streams asked for have their response head
    /// (or their end): by then the server has decided what to do with each.
    pub async fn heads(&mut self, n: usize) {
        for _ in 0..n {
            self.heads.recv().await.expect("a head");
        }
    }

    /// Opens the window: content flows from now on.
    pub fn open(&mut self) {
        if let Some(open) = self.open.take() {
            let _ = open.send(());
        }
    }
}

/// The frames in a run of bytes a server sent, as (type, payload); a frame
/// cut short at the end is left out.
pub fn frames(mut bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while bytes.len() >= 9 {
        let len =
            (usize::from(bytes[0]) << 16) | (usize::from(bytes[1]) << 8) | usize::from(bytes[2]);
        let Some(payload) = bytes.get(9..9 + len) else {
            break;
        };
        out.push((bytes[3], payload));
        bytes = &bytes[9 + len..];
    }
    out
}

/// The error code of the first GOAWAY frame among the frames a server sent
/// (its SETTINGS first, then whatever followed), if there is one.
pub fn goaway_code(bytes: &[u8]) -> Option<u32> {
    frames(bytes)
        .into_iter()
        .find(|(kind, payload)| *kind == 7 && payload.len() >= 8)
        .map(|(_, p)| u32::from_be_bytes([p[4], p[5], p[6], p[7]]))
}
