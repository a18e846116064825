//! The engine's limits and timeouts, each with its default.

use std::time::Duration;

/// Limits and timeouts the engine enforces before any handler runs.
///
/// Every field is a bound on what one client can make the server hold or
/// wait for. The defaults are those of `teapot serve`.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest request-target, in bytes; longer ones get 414.
    /// Default 8192 (RFC 9112 §3 recommends at least 8000).
    pub max_uri: usize,
    /// Largest header section (all field lines, or the trailer section of a
    /// chunked body), in bytes; larger ones get 431. Default 16 KiB.
    pub max_header_bytes: usize,
    /// Most header fields in one request; more get 431. Default 100.
    pub max_headers: usize,
    /// Largest request body, in bytes; larger ones get 413. Default 10 MiB.
    pub max_body: u64,
    /// Time allowed to receive a whole request head (and between two reads
    /// of a request body); past it the engine answers 408 and closes.
    /// Default 10 s.
    pub request_timeout: Duration,
    /// Time an idle keep-alive connection is kept open waiting for the first
    /// byte of its next request; then it is closed silently (HTTP/2: with
    /// `GOAWAY`). Over HTTP/2 it also bounds how long a response waits for
    /// the client to open its flow-control window; then the stream is
    /// reset. Default 60 s.
    pub keep_alive_timeout: Duration,
    /// Longest chunk-size line of a chunked body, extensions included.
    /// Default 4096.
    pub max_chunk_line: usize,
    /// Body bytes the engine reads and discards after a response that did not
    /// read the whole request body, to keep the connection; past it the
    /// connection is closed instead. Default 64 KiB.
    pub max_drain: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_uri: 8192,
            max_header_bytes: 16 * 1024,
            max_headers: 100,
            max_body: 10 * 1024 * 1024,
            request_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(60),
            max_chunk_line: 4096,
            max_drain: 64 * 1024,
        }
    }
}
