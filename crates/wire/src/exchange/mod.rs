//! The exchange a handler works through, the same for HTTP/1.x and
//! HTTP/2: reading the request body (`body.rs`), answering it
//! (`answer.rs`), and what the engine settles when the handler is done
//! (here).

mod answer;
mod body;
mod rewind;
pub(crate) mod wire;

pub use rewind::{Rewind, Upgraded};

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;

use crate::error::RequestError;
use crate::limits::Limits;
use crate::message::{Method, Request};
use crate::problem::{plain_problem, problem};
use crate::response::{AnswerFields, Framing};
use crate::service::{Config, Ending, Record, Service};
use wire::Wire;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No final response yet (interim ones may have gone out).
    Head,
    /// A final head is out and its content is being written.
    Streaming {
        framing: Framing,
        remaining: u64,
        discard: bool,
    },
    /// The final response is complete.
    Done,
    /// The connection now belongs to another protocol.
    Switched,
    /// The exchange ended in a fault; the connection goes.
    Faulted,
}

/// One request and the means to answer it.
///
/// The handler may read the body, send interim (1xx) responses, then ends
/// with exactly one of [`respond`](Exchange::respond), a streamed response
/// ([`start`](Exchange::start), [`write`](Exchange::write),
/// [`finish`](Exchange::finish)), [`switch`](Exchange::switch) or
/// [`fault`](Exchange::fault). The engine enforces the registry's rules on
/// what it writes: no content for HEAD, 1xx, 204 and 304, an empty body for
/// 205, `Date` and a `Content-Length` that matches.
///
/// The same exchange serves HTTP/1.x and HTTP/2, so a handler is written
/// once; it reaches the protocol only through the wire operations of
/// [`wire::Wire`], which each driver implements. What differs is the wire:
/// over HTTP/2 interim
/// responses are HEADERS frames, content is DATA frames, connection-specific
/// fields are never sent, [`switch`](Exchange::switch) is refused (HTTP/2
/// has no 101), and faults become `RST_STREAM` or `GOAWAY`.
pub struct Exchange<'c> {
    wire: &'c mut dyn Wire,
    limits: &'c Limits,
    remote: Option<SocketAddr>,
    client: Option<IpAddr>,
    secure: bool,
    req: Request,
    trailers: Vec<(String, Bytes)>,
    continue_sent: bool,
    body_error: Option<RequestError>,
    state: State,
    close: bool,
    status: Option<u16>,
    interim_sent: u32,
    bytes_out: u64,
    label: Option<&'static str>,
    answer_fields: AnswerFields,
}

pub(crate) fn misuse(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, Misuse(msg))
}

/// A handler used the exchange in a way the protocol does not allow
/// (answered twice, sent a 1xx as final, wrote past its length): a bug in
/// the handler, never the client's doing. The exchange's methods return it
/// inside their `io::Error`; [`is_misuse`] tells it from a peer that went
/// away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Misuse(pub &'static str);

impl std::fmt::Display for Misuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Misuse {}

/// Whether an error from the exchange is the handler's bug (a [`Misuse`],
/// or a field that may not be written) rather than the connection failing.
pub fn is_misuse(e: &io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<Misuse>() || inner.is::<crate::InvalidField>())
}

impl<'c> Exchange<'c> {
    pub(crate) fn new(
        wire: &'c mut dyn Wire,
        limits: &'c Limits,
        remote: Option<SocketAddr>,
        secure: bool,
        req: Request,
    ) -> Exchange<'c> {
        Exchange {
            wire,
            limits,
            remote,
            client: None,
            secure,
            req,
            trailers: Vec::new(),
            continue_sent: false,
            body_error: None,
            state: State::Head,
            close: false,
            status: None,
            interim_sent: 0,
            bytes_out: 0,
            label: None,
            answer_fields: AnswerFields::NONE,
        }
    }

    /// The request head.
    pub fn request(&self) -> &Request {
        &self.req
    }

    /// The bounds this exchange is held to.
    pub fn limits(&self) -> &Limits {
        self.limits
    }

    /// The peer's address, when the transport has one.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// The client's address: the one the service named with
    /// [`Exchange::set_client_ip`] (the client behind a proxy it trusts),
    /// else the peer's.
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.client.or(self.remote.map(|a| a.ip()))
    }

    /// Names the client's address when the peer is a proxy the service
    /// trusts to say who its client is (`Forwarded`, `X-Forwarded-For`);
    /// [`Exchange::client_ip`] and the observer's [`Record::client`] give it.
    pub fn set_client_ip(&mut self, ip: IpAddr) {
        self.client = Some(ip);
    }

    /// Whether the request arrived over TLS.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// Names the exchange for the observer with a bounded label of the
    /// service's choosing (the server gives its route's family), which
    /// [`Record::label`] carries.
    pub fn set_label(&mut self, label: &'static str) {
        self.label = Some(label);
    }

    /// Adds fixed fields to the final response, whichever handler writes
    /// it (the engine's own error answers included), unless the handler's
    /// head carries the same field (`Vary` is written beside the head's
    /// own): what a service adds to every answer (CORS) without each
    /// handler knowing. Checked when teapot is built ([`StaticField`]);
    /// nothing is copied.
    ///
    /// [`StaticField`]: crate::StaticField
    pub fn add_answer_fields(&mut self, fields: &'static [crate::StaticField]) {
        self.answer_fields.add_fixed(fields);
    }

    /// Adds one field made for this request to the final response, as
    /// [`add_answer_fields`](Exchange::add_answer_fields) does. A value
    /// that may not be written is refused.
    pub fn add_answer_field(
        &mut self,
        name: &'static str,
        value: impl Into<Bytes>,
    ) -> Result<(), crate::InvalidField> {
        let value = value.into();
        if !crate::response::is_field_name(name) || !crate::response::is_field_value(&value) {
            return Err(crate::InvalidField {
                name: name.to_string(),
            });
        }
        self.answer_fields.add(name, value);
        Ok(())
    }

    /// The scheme the request arrived on, `https` or `http`: the one every
    /// URL built for the client must carry.
    pub fn scheme(&self) -> &'static str {
        if self.secure {
            "https"
        } else {
            "http"
        }
    }

    /// Whether the request is HEAD (the engine drops any content written).
    pub fn is_head(&self) -> bool {
        self.req.method() == Method::Head
    }

    /// Whether a final response (or switch, or fault) has been sent.
    pub fn is_answered(&self) -> bool {
        self.state != State::Head
    }

    /// Whether this is stream 1 of a connection that switched from
    /// HTTP/1.1 to HTTP/2 by `Upgrade: h2c`: the request that asked for the
    /// switch, now answered over HTTP/2.
    pub fn is_h2c_upgrade(&self) -> bool {
        self.wire.is_h2c_upgrade()
    }

    /// Asks the engine to close the connection after this exchange (over
    /// HTTP/2: to send `GOAWAY` and take no new streams).
    pub fn close_after(&mut self) {
        self.close = true;
    }

    /// Trailer fields of a chunked body, once it has been read to its end.
    pub fn trailers(&self) -> &[(String, Bytes)] {
        &self.trailers
    }

    /// Finishes what the handler left open. Returns whether the connection
    /// can carry another request.
    pub(crate) async fn settle(&mut self, panicked: bool) -> bool {
        let answered = self.finish_answer(panicked).await;
        if self.wire.multiplexed() {
            // An answer that came before the whole body: read the rest (as
            // much as the server would ever take) so the client can finish
            // sending. The alternative, RST_STREAM with NO_ERROR while it
            // still sends, is correct (RFC 9113 §8.1) but makes some
            // clients (curl 7.88) drop the answer they already have.
            if self.state != State::Faulted && !panicked {
                self.drain(self.limits.max_body).await;
            }
            return answered && !self.close;
        }
        if !answered || self.close || panicked {
            return false;
        }
        // Read and discard what is left of the body so the next request
        // starts at the right byte.
        self.drain(self.limits.max_drain).await
    }

    /// Reads and discards what is left of the body, up to `limit` bytes.
    /// Returns whether it was read to its end.
    async fn drain(&mut self, limit: u64) -> bool {
        let mut drained = 0u64;
        while !self.body_done() {
            match self.read_chunk().await {
                Ok(Some(d)) => {
                    drained += d.len() as u64;
                    if drained > limit {
                        return false;
                    }
                }
                Ok(None) => break,
                Err(_) => return false,
            }
        }
        true
    }

    /// Ends the answer: an error response when there was none, the end of
    /// a streamed one. Returns whether it ended cleanly.
    async fn finish_answer(&mut self, panicked: bool) -> bool {
        match self.state {
            State::Head => {
                let status = match self.body_error {
                    Some(e) if !panicked => e,
                    _ => {
                        let _ = self
                            .send_problem(500, "The handler failed to answer.")
                            .await;
                        return false;
                    }
                };
                let _ = self.send_error(status).await;
                false
            }
            State::Streaming { .. } => !panicked && self.finish().await.is_ok(),
            State::Switched | State::Faulted => false,
            State::Done => true,
        }
    }

    async fn send_error(&mut self, e: RequestError) -> io::Result<()> {
        self.send_problem(e.status(), &e.explain(self.limits)).await
    }

    pub(crate) async fn send_problem(&mut self, status: u16, detail: &str) -> io::Result<()> {
        // An HTTP/1 connection cannot be trusted after an engine error; an
        // HTTP/2 stream error leaves the connection's other streams alone.
        if !self.wire.multiplexed() {
            self.close = true;
        }
        // The head was read: a client that asks for plain text gets it.
        let plain = crate::accept::prefers_plain_text(self.req.header_str("accept"));
        let (head, body) = if plain {
            plain_problem(status, detail)
        } else {
            problem(status, detail)
        };
        self.respond(head, body).await
    }

    /// What the observer and the access log learn when the exchange ends.
    pub(crate) fn record(&self, duration: Duration) -> Record<'_> {
        let ending = match self.state {
            State::Switched => Ending::Switched,
            State::Faulted => Ending::Faulted,
            State::Head => Ending::Lost,
            State::Done | State::Streaming { .. } => Ending::Answered,
        };
        Record {
            method: Some(self.req.method()),
            path: Some(self.req.path()),
            version: Some(self.req.version()),
            status: self.status,
            interim: self.interim_sent,
            bytes: self.bytes_out,
            duration,
            ending,
            refusal: None,
            label: self.label,
            client: self.client_ip(),
        }
    }

    /// Whether the exchange asked for the connection to end (over HTTP/2:
    /// for `GOAWAY`).
    pub(crate) fn wants_close(&self) -> bool {
        self.close
    }

    /// Whether the exchange ended the connection's HTTP/1 life itself (a
    /// switch or a fault): nothing more is to be written or lingered on.
    pub(crate) fn ended_wire(&self) -> bool {
        matches!(self.state, State::Faulted | State::Switched)
    }
}

/// Answers one exchange through the service: the in-flight bound, the
/// handler (a panic is caught and answered with 500), then what the handler
/// left open. Returns whether the connection may carry more.
pub(crate) async fn run_exchange<S: Service>(
    ex: &mut Exchange<'_>,
    service: &S,
    config: &Config,
) -> bool {
    let permit = match &config.inflight {
        Some(bound) => match bound.enter() {
            Some(p) => Some(p),
            None => {
                let _ = ex
                    .send_problem(
                        503,
                        "The server is at its limit of requests in flight; retry shortly.",
                    )
                    .await;
                return false;
            }
        },
        None => None,
    };
    let outcome = AssertUnwindSafe(service.call(ex)).catch_unwind().await;
    let panicked = outcome.is_err();
    if panicked {
        tracing::error!("handler panicked on {} {}", ex.req.method(), ex.req.path());
    }
    let keep = ex.settle(panicked).await;
    drop(permit);
    keep
}

pub(crate) fn observe_exchange(ex: &Exchange<'_>, duration: Duration, config: &Config) {
    if let Some(observer) = &config.observer {
        observer.exchange(&ex.record(duration));
    }
}
