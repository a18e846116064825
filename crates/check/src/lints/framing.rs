//! Rules about how content is framed (RFC 9110 §6.4.1, §8.6; RFC 9112 §6).

use teapot_codes::{Content, Status};

use super::{finding, Rule, Severity};
use crate::exchange::{Framing, Response};

fn no_content(status: u16) -> bool {
    teapot_codes::content_of(status) == Content::Never
}

/// 1xx and 204 carry neither `Content-Length` nor `Transfer-Encoding`; a 304
/// carries no `Transfer-Encoding` that announces content.
pub const NO_CONTENT_FIELDS: Rule = Rule {
    id: "framing.no-content-fields",
    section: "RFC 9110 §8.6, RFC 9112 §6.1",
    doc: "1xx and 204 responses carry no Content-Length or Transfer-Encoding.",
    check: |cx| {
        let mut out = Vec::new();
        let all = cx.exchange.interim.iter().chain(cx.last());
        for r in all {
            // Of the codes without content, 304 alone may say how long its
            // 200 would be (RFC 9110 §8.6).
            if !no_content(r.status) || r.status == 304 {
                continue;
            }
            for field in ["Content-Length", "Transfer-Encoding"] {
                if r.header(field).is_some() {
                    out.push(finding(
                        "framing.no-content-fields",
                        Severity::Must,
                        "RFC 9110 §8.6, RFC 9112 §6.1",
                        format!(
                            "A {} response must not carry {field}; it has no content.",
                            r.status
                        ),
                    ));
                }
            }
        }
        out
    },
};

/// Bytes after the end of the final response: content where none is
/// allowed, or more than `Content-Length` said.
pub const STRAY_CONTENT: Rule = Rule {
    id: "framing.stray-content",
    section: "RFC 9112 §6.3",
    doc: "Nothing follows the end of a response: no content on 1xx, 204, 304 or HEAD, nothing past Content-Length.",
    check: |cx| {
        let (Some(r), n) = (cx.last(), cx.exchange.stray_bytes) else { return Vec::new() };
        if n == 0 {
            return Vec::new();
        }
        let head = cx.exchange.request.method.eq_ignore_ascii_case("HEAD");
        let message = if head {
            format!("{n} bytes followed the response to HEAD, which has no content; a client will read them as the next response.")
        } else if no_content(r.status) {
            format!("{n} bytes of content followed a {} response, which has none; a client will read them as the next response.", r.status)
        } else {
            format!("{n} bytes followed the end of the content as framed; Content-Length is smaller than what was sent.")
        };
        vec![finding("framing.stray-content", Severity::Must, "RFC 9112 §6.3", message)]
    },
};

/// Content shorter than its `Content-Length`, or chunked content that
/// stopped before its last chunk.
pub const LENGTH_MISMATCH: Rule = Rule {
    id: "framing.length-mismatch",
    section: "RFC 9112 §6.3",
    doc:
        "The content is as long as Content-Length says, and chunked content reaches its last chunk.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        if !r.truncated {
            return Vec::new();
        }
        let message = match r.framing {
            Framing::Chunked => {
                "The connection closed before the last chunk; the content is incomplete."
                    .to_string()
            }
            _ => format!(
                "Content-Length says {}, but the connection closed after {} bytes.",
                r.header("content-length").unwrap_or("?"),
                r.body_bytes
            ),
        };
        vec![finding(
            "framing.length-mismatch",
            Severity::Must,
            "RFC 9112 §6.3, §8",
            message,
        )]
    },
};

/// `Content-Length` and `Transfer-Encoding` together.
pub const LENGTH_AND_CHUNKED: Rule = Rule {
    id: "framing.length-and-transfer-encoding",
    section: "RFC 9112 §6.1",
    doc: "A response never carries both Content-Length and Transfer-Encoding.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        if r.header("content-length").is_some() && r.header("transfer-encoding").is_some() {
            return vec![finding(
                "framing.length-and-transfer-encoding",
                Severity::Must,
                "RFC 9112 §6.2",
                "The response carries both Content-Length and Transfer-Encoding; a sender must not send both.",
            )];
        }
        Vec::new()
    },
};

/// Framing that cannot be trusted: invalid or conflicting `Content-Length`,
/// broken chunked framing.
pub const INVALID_FRAMING: Rule = Rule {
    id: "framing.invalid",
    section: "RFC 9112 §7.1",
    doc: "Content-Length is one valid number and chunked framing is well-formed.",
    check: |cx| {
        let Some(r): Option<&Response> = cx.last() else {
            return Vec::new();
        };
        let message = if r.framing == Framing::Invalid {
            "Content-Length is not a single valid number; a client cannot tell where the content ends."
        } else if r.bad_chunking {
            "The chunked framing is malformed (a chunk size that is not hexadecimal, or data without its CRLF)."
        } else {
            return Vec::new();
        };
        vec![finding(
            "framing.invalid",
            Severity::Must,
            "RFC 9112 §6.3, §7.1",
            message,
        )]
    },
};

/// `Content-Length` is one field line holding one number (RFC 9110 §8.6).
/// A list of equal values, or the field repeated with the same value, may
/// be accepted by a recipient, but a sender must not send either.
pub const CONTENT_LENGTH_VALUE: Rule = Rule {
    id: "framing.content-length-syntax",
    section: "RFC 9110 §8.6",
    doc: "Content-Length is sent once, as one decimal number.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        // Values a client cannot use at all are invalid-framing's.
        if r.framing == Framing::Invalid {
            return Vec::new();
        }
        let values: Vec<&str> = r.headers_named("content-length").collect();
        let mut out = Vec::new();
        if values.len() > 1 {
            out.push(finding(
                "framing.content-length-syntax",
                Severity::Must,
                "RFC 9110 §5.3, §8.6",
                format!(
                    "Content-Length is sent {} times; it is a single value and a sender must not repeat it, even with the same number.",
                    values.len()
                ),
            ));
        }
        if let Some(bad) = values
            .iter()
            .find(|v| v.trim().is_empty() || !v.trim().bytes().all(|b| b.is_ascii_digit()))
        {
            out.push(finding(
                "framing.content-length-syntax",
                Severity::Must,
                "RFC 9110 §8.6",
                format!(
                    "Content-Length: {bad:?} is not a decimal number; a list of equal values may be read by a lenient recipient, but a sender must send one number."
                ),
            ));
        }
        out
    },
};

/// A code whose content must be empty (205) has none.
pub const EMPTY_CONTENT: Rule = Rule {
    id: "framing.205-empty",
    section: "RFC 9110 §15.3.6",
    doc: "A 205 response has no content.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        let empty_only = Status::from_u16(r.status)
            .ok()
            .and_then(|s| s.entry())
            .is_some_and(|e| e.rules.content == Content::Empty);
        let declared = r
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if !empty_only || (r.body_bytes == 0 && declared == 0) {
            return Vec::new();
        }
        vec![finding(
            "framing.205-empty",
            Severity::Must,
            super::source_of(r.status),
            format!(
                "The {} response carries content ({} bytes); a server must not generate content in it.",
                r.status,
                r.body_bytes.max(declared as usize)
            ),
        )]
    },
};

/// Transfer codings other than `chunked` only when the request asked for
/// them in `TE`.
pub const UNREQUESTED_TRANSFER_CODING: Rule = Rule {
    id: "framing.unrequested-transfer-coding",
    section: "RFC 9112 §6.1",
    doc: "Transfer codings other than chunked are used only when the request's TE lists them.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        let offered: Vec<String> = cx
            .exchange
            .request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("te"))
            .flat_map(|(_, v)| v.split(','))
            .filter_map(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let unwanted: Vec<String> = r
            .headers_named("transfer-encoding")
            .flat_map(|v| v.split(','))
            .filter_map(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty() && c != "chunked" && !offered.contains(c))
            .collect();
        if unwanted.is_empty() {
            return Vec::new();
        }
        let close = if r.framing == Framing::Close {
            " The content then runs to the close of the connection."
        } else {
            ""
        };
        vec![finding(
            "framing.unrequested-transfer-coding",
            Severity::Must,
            "RFC 9112 §6.1, §7.4",
            format!(
                "The response applies the transfer coding {} that the request did not offer in TE; only chunked may be assumed, so the client cannot decode the content.{close}",
                unwanted.join(", ")
            ),
        )]
    },
};

#[cfg(test)]
mod tests {
    use super::super::testing::{exchange, ids, response, DATE};
    use crate::exchange::Framing;

    #[test]
    fn no_content_codes_with_length_fields() {
        let ex = exchange(
            "GET",
            &[],
            response(204, &[DATE, ("Content-Length", "0")], ""),
        );
        assert!(ids(&ex).contains(&"framing.no-content-fields"));
        let mut ex = exchange(
            "GET",
            &[],
            response(200, &[DATE, ("Content-Length", "2")], "ok"),
        );
        ex.interim
            .push(response(103, &[("Transfer-Encoding", "chunked")], ""));
        assert!(ids(&ex).contains(&"framing.no-content-fields"));
        let ex = exchange(
            "GET",
            &[],
            response(
                200,
                &[
                    DATE,
                    ("Content-Length", "2"),
                    ("Content-Type", "text/plain"),
                ],
                "ok",
            ),
        );
        assert!(ids(&ex).is_empty(), "{:?}", ids(&ex));
    }

    #[test]
    fn content_length_sent_once_as_a_number() {
        let r = response(200, &[DATE, ("Content-Length", "5, 5")], "hello");
        assert_eq!(
            ids(&exchange("GET", &[], r)),
            ["framing.content-length-syntax"]
        );
        let r = response(
            200,
            &[DATE, ("Content-Length", "5"), ("Content-Length", "5")],
            "hello",
        );
        assert_eq!(
            ids(&exchange("GET", &[], r)),
            ["framing.content-length-syntax"]
        );
    }

    #[test]
    fn reset_content_is_empty() {
        let r = response(205, &[DATE, ("Content-Length", "5")], "hello");
        assert_eq!(ids(&exchange("POST", &[], r)), ["framing.205-empty"]);
        let r = response(205, &[DATE, ("Content-Length", "0")], "");
        assert!(ids(&exchange("POST", &[], r)).is_empty());
    }

    #[test]
    fn transfer_codings_only_when_offered() {
        let mut r = response(200, &[DATE, ("Transfer-Encoding", "gzip")], "x");
        r.framing = Framing::Close;
        assert_eq!(
            ids(&exchange("GET", &[], r.clone())),
            ["framing.unrequested-transfer-coding"]
        );
        assert!(ids(&exchange("GET", &[("TE", "gzip;q=0.5, trailers")], r)).is_empty());
    }

    #[test]
    fn stray_bytes() {
        let mut ex = exchange("GET", &[], response(204, &[DATE], ""));
        ex.stray_bytes = 5;
        assert_eq!(ids(&ex), ["framing.stray-content"]);
    }

    #[test]
    fn truncation_and_both_lengths() {
        let mut r = response(200, &[DATE, ("Content-Length", "10")], "abc");
        r.truncated = true;
        assert_eq!(ids(&exchange("GET", &[], r)), ["framing.length-mismatch"]);
        let r = response(
            200,
            &[
                DATE,
                ("Content-Length", "3"),
                ("Transfer-Encoding", "chunked"),
            ],
            "abc",
        );
        assert_eq!(
            ids(&exchange("GET", &[], r)),
            ["framing.length-and-transfer-encoding"]
        );
    }
}
