//! HTTP/1.1: parsing request heads, decoding bodies, encoding responses,
//! and the connection driver that ties them to a transport.

pub mod client;
pub mod conn;
pub mod decode;
pub mod encode;
pub mod role;
