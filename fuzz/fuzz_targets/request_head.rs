#![no_main]
//! The request-head parser on arbitrary bytes: it must never panic, and a
//! head fed in two pieces must be read as when fed whole.

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use teapot_wire::message::parse_request;
use teapot_wire::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let whole = parse_request(&mut BytesMut::from(data), &limits).map(|r| r.map(|r| r.raw().len()));
    if let Some(split) = data.first().map(|&b| b as usize % (data.len() + 1)) {
        let mut buf = BytesMut::from(&data[..split]);
        let mut first = parse_request(&mut buf, &limits).map(|r| r.map(|r| r.raw().len()));
        if let Ok(None) = first {
            buf.extend_from_slice(&data[split..]);
            first = parse_request(&mut buf, &limits).map(|r| r.map(|r| r.raw().len()));
        }
        assert_eq!(whole.map_err(|e| e.status()), first.map_err(|e| e.status()));
    }
});
