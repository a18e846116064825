//! teapot's HTTP/1.1 engine.
//!
//! A status-code server has to own its wire: it must send interim 1xx
//! responses (several, with headers), switch protocols after a 101, write
//! exact status lines and framing, and break the protocol on purpose when
//! asked. The usual server crates hide exactly that (hyper, for one, turns a
//! 1xx answer into a 500 and sends `100 Continue` only on its own terms), so
//! teapot keeps its own engine. Everything that is not the wire comes from
//! well-kept crates: `httparse` reads field lines, `tokio` drives I/O,
//! `bytes` holds buffers.
//!
//! # Layout
//!
//! - [`limits`]: the bounds every connection is held to.
//! - [`error`]: why a request is refused, mapped to its status in one place.
//! - [`response`]: response heads as handlers build them, checked fields,
//!   how content is framed, the fields the engine owns.
//! - [`message`]: the request both protocols deliver, and request heads
//!   parsed from bytes, with the framing and Host rules of RFC 9112.
//! - [`h1::decode`]: Content-Length and chunked body decoders.
//! - [`h1::encode`]: status lines, fields and framing written to bytes.
//! - [`service`]: what engine and application share: [`Transport`],
//!   [`Service`], [`Config`], [`Observe`] and what it is told.
//! - [`exchange`]: the [`Exchange`] a handler answers through, the same for
//!   both protocols (body reading, answering, what the engine settles).
//! - [`h1::conn`]: the HTTP/1.x connection driver.
//! - [`idle`], [`accept`], [`problem`]: idle connections, `Accept`, problem
//!   details.
//! - [`h1::client`]: the client role: responses read as they arrive.
//! - [`h2`]: the same exchange over HTTP/2 streams (the `h2` crate does
//!   the framing), cleartext prior knowledge and `Upgrade: h2c`.
//! - [`h3`]: the same exchange over QUIC streams (`quinn` and the `h3`
//!   crate do QUIC and HTTP/3's framing).
//! - `multiplexed`: what HTTP/2 and HTTP/3 share (request fields read by
//!   the HTTP/1.1 parser, response heads in the `http` crate's types).

#![deny(missing_docs)]

pub mod accept;
mod connection;
pub mod error;
pub mod exchange;
pub mod h1;
pub mod h2;
pub mod h2c;
pub mod h3;
pub mod idle;
pub mod limits;
pub mod message;
mod multiplexed;
pub mod problem;
pub mod response;
pub mod service;
mod spare;
pub mod tcp;

pub use connection::serve_connection;
pub use error::{BodyError, InvalidField, RequestError};
pub use exchange::{is_misuse, Exchange, Misuse, Rewind, Upgraded};
pub use limits::Limits;
pub use message::{BodyKind, Method, Request, Version};
pub use response::{Framing, Head, StaticField};
pub use service::{Config, Defense, Ending, Fault, Observe, Record, Service, Shutdown, Transport};
pub use teapot_codes::Status;
