#![no_main]
//! The chunked body decoder on arbitrary bytes: it must never panic.

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use teapot_wire::h1::decode::{Decoded, Decoder};
use teapot_wire::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let mut dec = Decoder::chunked();
    let mut buf = BytesMut::from(data);
    while let Ok(Decoded::Data(_)) = dec.decode(&mut buf, &limits) {}
});
