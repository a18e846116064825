//! Writing response heads with exact framing. The registry's rules decide
//! what a response may carry: no content and no length fields for 1xx, 204
//! and 304; an empty body for 205; `Date` on every final response.

use crate::response::{engine_owned, status_line, with_date_line, AnswerFields, Framing, Head};

/// The tokens of the `Connection` field the engine writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionField {
    /// `close`: the server closes after this response.
    pub close: bool,
    /// `keep-alive`: for HTTP/1.0 clients that asked to keep the connection.
    pub keep_alive: bool,
    /// `upgrade`: the response carries `Upgrade` (101, 426).
    pub upgrade: bool,
}

impl ConnectionField {
    fn value(self) -> Option<&'static str> {
        match (self.upgrade, self.close, self.keep_alive) {
            (true, true, _) => Some("upgrade, close"),
            (true, false, true) => Some("upgrade, keep-alive"),
            (true, false, false) => Some("upgrade"),
            (false, true, _) => Some("close"),
            (false, false, true) => Some("keep-alive"),
            (false, false, false) => None,
        }
    }
}

/// Appends a whole response head to `dst`.
pub fn write_head(dst: &mut Vec<u8>, head: &Head, framing: Framing, connection: ConnectionField) {
    write_head_with(dst, head, framing, connection, &AnswerFields::NONE);
}

/// Appends a whole response head to `dst`, with the fields the service
/// adds to every answer.
pub(crate) fn write_head_with(
    dst: &mut Vec<u8>,
    head: &Head,
    framing: Framing,
    connection: ConnectionField,
    extra: &AnswerFields,
) {
    let status = head.status;
    // Room for the whole head at once (a fresh connection's buffer is
    // empty): the status line, Date, Connection, framing and the service's
    // own fields fit in the constant; the handler's fields are counted.
    let fields: usize = head.fields.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
    dst.reserve(384 + fields);
    match &head.reason {
        None => dst.extend_from_slice(status_line(status)),
        Some(reason) => {
            dst.extend_from_slice(b"HTTP/1.1 ");
            let mut code = itoa::Buffer::new();
            dst.extend_from_slice(code.format(status.as_u16()).as_bytes());
            dst.push(b' ');
            dst.extend_from_slice(reason.as_bytes());
            dst.extend_from_slice(b"\r\n");
        }
    }
    // 101 ends the HTTP/1.1 part of the exchange: it gets a Date too.
    if !status.is_interim() || status == 101 {
        with_date_line(|line| dst.extend_from_slice(line));
    }
    if let Some(tokens) = connection.value() {
        dst.extend_from_slice(b"Connection: ");
        dst.extend_from_slice(tokens.as_bytes());
        dst.extend_from_slice(b"\r\n");
    }
    for (name, value) in &head.fields {
        if engine_owned(name) {
            continue;
        }
        dst.extend_from_slice(name.as_bytes());
        dst.extend_from_slice(b": ");
        dst.extend_from_slice(value);
        dst.extend_from_slice(b"\r\n");
    }
    extra.each_for(head, |name, value| {
        dst.extend_from_slice(name.as_bytes());
        dst.extend_from_slice(b": ");
        dst.extend_from_slice(value);
        dst.extend_from_slice(b"\r\n");
    });
    match framing {
        Framing::None | Framing::Close => {}
        Framing::Length(n) => {
            dst.extend_from_slice(b"Content-Length: ");
            let mut buf = itoa::Buffer::new();
            dst.extend_from_slice(buf.format(n).as_bytes());
            dst.extend_from_slice(b"\r\n");
        }
        Framing::Chunked => dst.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
    }
    dst.extend_from_slice(b"\r\n");
}

/// Appends one chunk of a chunked body.
pub fn write_chunk(dst: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    write_chunk_size(dst, data.len());
    dst.extend_from_slice(data);
    dst.extend_from_slice(b"\r\n");
}

/// A chunk's size line: the length in hexadecimal, then CRLF.
pub fn write_chunk_size(dst: &mut Vec<u8>, len: usize) {
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    let mut n = len;
    loop {
        at -= 1;
        digits[at] = b"0123456789ABCDEF"[n & 0xF];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    dst.extend_from_slice(&digits[at..]);
    dst.extend_from_slice(b"\r\n");
}

/// The last chunk and an empty trailer section.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

#[cfg(test)]
mod tests {
    use teapot_codes::Status;

    #[test]
    fn chunk_sizes_are_hexadecimal() {
        for (len, line) in [
            (0, "0\r\n"),
            (1, "1\r\n"),
            (20480, "5000\r\n"),
            (0xABCDEF, "ABCDEF\r\n"),
        ] {
            let mut out = Vec::new();
            super::write_chunk_size(&mut out, len);
            assert_eq!(out, line.as_bytes());
        }
    }

    use super::*;

    fn status(n: u16) -> Status {
        Status::from_u16(n).unwrap()
    }

    fn text(head: &Head, framing: Framing, conn: ConnectionField) -> String {
        let mut dst = Vec::new();
        write_head(&mut dst, head, framing, conn);
        String::from_utf8(dst).unwrap()
    }

    #[test]
    fn final_head_has_date_and_length() {
        let h = Head::new(status(200)).header("Content-Type", "text/plain");
        let t = text(&h, Framing::Length(5), ConnectionField::default());
        assert!(t.starts_with("HTTP/1.1 200 OK\r\nDate: "));
        assert!(t.contains(" GMT\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"));
        assert!(t.ends_with("\r\n\r\n"));
    }

    #[test]
    fn interim_head_is_bare() {
        let h = Head::new(status(103)).header("Link", "</a.css>; rel=preload");
        let t = text(&h, Framing::None, ConnectionField::default());
        assert_eq!(
            t,
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
        );
    }

    #[test]
    fn handler_length_fields_are_replaced() {
        let h = Head::new(status(200))
            .header("Content-Length", "999")
            .header("Transfer-Encoding", "gzip")
            .header("Date", "yesterday");
        let t = text(
            &h,
            Framing::Chunked,
            ConnectionField {
                close: true,
                ..Default::default()
            },
        );
        assert!(!t.contains("999") && !t.contains("gzip") && !t.contains("yesterday"));
        assert!(t.contains("Connection: close\r\n"));
        assert!(t.contains("Transfer-Encoding: chunked\r\n"));
    }

    #[test]
    fn status_line_keeps_the_space_without_reason() {
        let h = Head::new(status(200)).reason("");
        assert!(text(&h, Framing::Length(0), ConnectionField::default())
            .starts_with("HTTP/1.1 200 \r\n"));
    }

    #[test]
    fn chunks() {
        let mut dst = Vec::new();
        write_chunk(&mut dst, b"hello world, this is sixteen+");
        write_chunk(&mut dst, b"");
        dst.extend_from_slice(LAST_CHUNK);
        assert_eq!(dst, b"1D\r\nhello world, this is sixteen+\r\n0\r\n\r\n");
    }
}
