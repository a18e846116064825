//! HTTP/1.1: decoding bodies, encoding responses, a response reader,
//! and the connection driver that ties them to a transport.

pub mod client;
pub mod conn;
pub mod decode;
pub mod encode;
mod wait;
pub(crate) mod wire;
