//! RFC 9457 problem details: the one writer of the JSON document (and of
//! its plain-text form) for the engine's refusals and the application's
//! errors alike.

use bytes::Bytes;
use teapot_codes::Status;

use crate::response::Head;

/// What a problem details document says.
#[derive(Clone, Copy, Debug)]
pub struct Details<'a> {
    /// The status; its reason phrase is the `title`.
    pub status: Status,
    /// The `type` member: a URI reference, `about:blank` when the status
    /// says it all.
    pub type_uri: &'a str,
    /// A sentence a person can act on.
    pub detail: &'a str,
    /// The `instance` member, when there is one (the request's path).
    pub instance: Option<&'a str>,
    /// Further members, each a name and its value already written as JSON.
    pub members: &'a [(&'a str, &'a str)],
}

impl Details<'_> {
    /// The `application/problem+json` document, ending in a newline.
    pub fn json(&self) -> Bytes {
        let mut body = String::with_capacity(128 + self.detail.len());
        body.push_str("{\"type\":");
        string(&mut body, self.type_uri);
        body.push_str(",\"title\":");
        string(&mut body, self.status.reason());
        body.push_str(",\"status\":");
        body.push_str(&self.status.as_u16().to_string());
        body.push_str(",\"detail\":");
        string(&mut body, self.detail);
        if let Some(instance) = self.instance {
            body.push_str(",\"instance\":");
            string(&mut body, instance);
        }
        for (name, value) in self.members {
            body.push(',');
            string(&mut body, name);
            body.push(':');
            body.push_str(value);
        }
        body.push_str("}\n");
        Bytes::from(body)
    }

    /// The same as plain text: the status line, then the detail.
    pub fn plain(&self) -> Bytes {
        Bytes::from(format!(
            "{} {}\n{}\n",
            self.status.as_u16(),
            self.status.reason(),
            self.detail
        ))
    }
}

/// An engine-level error as a response: problem details, and
/// `Retry-After` on a 503.
pub fn problem(status: u16, detail: &str) -> (Head, Bytes) {
    // Invariant: callers pass codes in 400..=599.
    let status = Status::from_u16(status).unwrap_or(Status::INTERNAL_SERVER_ERROR);
    let body = Details {
        status,
        type_uri: "about:blank",
        detail,
        instance: None,
        members: &[],
    }
    .json();
    let mut head = Head::new(status).header("Content-Type", "application/problem+json");
    if status == Status::SERVICE_UNAVAILABLE {
        head = head.header("Retry-After", "1");
    }
    (head, body)
}

/// The same error as plain text, for a client that asks for it.
pub fn plain_problem(status: u16, detail: &str) -> (Head, Bytes) {
    let (mut head, _) = problem(status, detail);
    head.remove("content-type");
    let head = head.header("Content-Type", "text/plain; charset=utf-8");
    let body = Details {
        status: head.status,
        type_uri: "about:blank",
        detail,
        instance: None,
        members: &[],
    }
    .plain();
    (head, body)
}

/// A JSON string literal (RFC 8259 §7).
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_escaped_json() {
        let d = Details {
            status: Status::NOT_FOUND,
            type_uri: "/problems/x",
            detail: "a \"quoted\" \\ path\nwith a line",
            instance: Some("/a\"b"),
            members: &[("available", "[\"text/plain\"]")],
        };
        let text = String::from_utf8(d.json().to_vec()).unwrap();
        assert_eq!(
            text,
            "{\"type\":\"/problems/x\",\"title\":\"Not Found\",\"status\":404,\"detail\":\"a \\\"quoted\\\" \\\\ path\\u000awith a line\",\"instance\":\"/a\\\"b\",\"available\":[\"text/plain\"]}\n"
        );
        assert_eq!(
            &d.plain()[..],
            b"404 Not Found\na \"quoted\" \\ path\nwith a line\n"
        );
    }
}
