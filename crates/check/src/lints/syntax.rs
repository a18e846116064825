//! Rules about the bytes of an HTTP/1.x head (RFC 9112 §2.2, §5): line
//! endings, folded field values, whitespace before a colon. The checker
//! reads such heads leniently so that each gets its own finding.

use super::{finding, Finding, Rule, Severity};
use crate::exchange::Response;

/// Every response of the exchange that arrived as HTTP/1.x bytes.
fn heads<'a>(cx: &'a super::Context<'_>) -> impl Iterator<Item = &'a Response> + 'a {
    cx.exchange
        .interim
        .iter()
        .chain(cx.last())
        .filter(|r| !r.raw_head.is_empty())
}

/// The field lines of a raw head: every line after the status line, line
/// endings removed.
fn field_lines(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    raw.split(|&b| b == b'\n')
        .skip(1)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
}

/// Lines end in CRLF, never a bare LF.
pub const BARE_LF: Rule = Rule {
    id: "syntax.bare-lf",
    section: "RFC 9112 §2.2",
    doc: "Every line of the head ends in CRLF, not a bare LF.",
    check: |cx| {
        heads(cx)
            .filter(|r| {
                r.raw_head
                    .iter()
                    .enumerate()
                    .any(|(i, &b)| b == b'\n' && (i == 0 || r.raw_head[i - 1] != b'\r'))
            })
            .map(|r| {
                finding(
                    "syntax.bare-lf",
                    Severity::Must,
                    "RFC 9112 §2.2",
                    format!(
                        "The {} response's head has lines ending in a bare LF; HTTP/1.1 lines end in CRLF, and recipients that do not accept LF alone misread the message.",
                        r.status
                    ),
                )
            })
            .collect()
    },
};

/// No field value folded over several lines.
pub const OBS_FOLD: Rule = Rule {
    id: "syntax.obs-fold",
    section: "RFC 9112 §5.2",
    doc: "No field value is folded over several lines (obs-fold).",
    check: |cx| {
        let mut out: Vec<Finding> = Vec::new();
        for r in heads(cx) {
            let folded = field_lines(&r.raw_head)
                .any(|l| l.first().is_some_and(|&b| b == b' ' || b == b'\t'));
            if folded {
                let names: Vec<&str> = r
                    .headers
                    .iter()
                    .filter(|(_, v)| v.contains('\n'))
                    .map(|(n, _)| n.as_str())
                    .collect();
                out.push(finding(
                    "syntax.obs-fold",
                    Severity::Must,
                    "RFC 9112 §5.2",
                    format!(
                        "The {} response folds a field value over several lines ({}); a sender must not generate line folding, and proxies reject or rewrite it.",
                        r.status,
                        if names.is_empty() { "a continuation line".to_string() } else { names.join(", ") }
                    ),
                ));
            }
        }
        out
    },
};

/// No whitespace between a field name and its colon.
pub const SPACE_BEFORE_COLON: Rule = Rule {
    id: "syntax.space-before-colon",
    section: "RFC 9112 §5.1",
    doc: "No whitespace between a field name and its colon.",
    check: |cx| {
        let mut out = Vec::new();
        for r in heads(cx) {
            for line in field_lines(&r.raw_head) {
                if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
                    continue; // a folded continuation: obs-fold's to report
                }
                let Some(colon) = line.iter().position(|&b| b == b':') else {
                    continue;
                };
                let name = &line[..colon];
                if name.last().is_some_and(|&b| b == b' ' || b == b'\t') {
                    out.push(finding(
                        "syntax.space-before-colon",
                        Severity::Must,
                        "RFC 9112 §5.1",
                        format!(
                            "The {} response has whitespace between the field name {:?} and its colon; no whitespace is allowed there, and a server must reject such a request (a proxy must strip it from a response).",
                            r.status,
                            String::from_utf8_lossy(name.trim_ascii_end())
                        ),
                    ));
                }
            }
        }
        out
    },
};

#[cfg(test)]
mod tests {
    use super::super::testing::{exchange, ids, response, DATE};

    fn raw(status: u16, head: &str) -> crate::exchange::Response {
        let mut r = response(status, &[DATE, ("Content-Length", "0")], "");
        r.raw_head = head.as_bytes().to_vec();
        r
    }

    #[test]
    fn line_endings_folds_and_colons() {
        let ok = raw(
            200,
            "HTTP/1.1 200 OK\r\nDate: x\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(ids(&exchange("GET", &[], ok)).is_empty());
        let lf = raw(200, "HTTP/1.1 200 OK\nDate: x\nContent-Length: 0\n\n");
        assert_eq!(ids(&exchange("GET", &[], lf)), ["syntax.bare-lf"]);
        let fold = raw(
            200,
            "HTTP/1.1 200 OK\r\nDate: x\r\nX-A: one\r\n two\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!(ids(&exchange("GET", &[], fold)), ["syntax.obs-fold"]);
        let colon = raw(
            200,
            "HTTP/1.1 200 OK\r\nDate: x\r\nX-A : one\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!(
            ids(&exchange("GET", &[], colon)),
            ["syntax.space-before-colon"]
        );
    }
}
