//! RFC 9457 problem details: the shape of every error the server itself
//! produces. A handler returns `Err(Problem)`; the dispatcher renders it.

use bytes::Bytes;
use serde_json::{Map, Value};
use teapot_codes::Status;
use teapot_wire::problem::Details;
use teapot_wire::Head;

/// An error answer: status, a sentence a person can act on, extra header
/// fields the status needs (such as `Allow`), and extra members.
#[derive(Clone, Debug)]
pub struct Problem(Box<Inner>);

#[derive(Clone, Debug)]
struct Inner {
    status: Status,
    kind: Option<&'static str>,
    detail: String,
    headers: Vec<(&'static str, String)>,
    extra: Map<String, Value>,
}

impl Problem {
    /// A problem with the registry's reason as its title.
    pub fn new(status: u16, detail: impl Into<String>) -> Problem {
        let status = Status::from_u16(status).unwrap_or(Status::INTERNAL_SERVER_ERROR);
        Problem(Box::new(Inner {
            status,
            kind: None,
            detail: detail.into(),
            headers: Vec::new(),
            extra: Map::new(),
        }))
    }

    /// 400 with a detail.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(400, detail)
    }

    /// 404 for a path nothing answers.
    pub fn not_found(path: &str) -> Problem {
        Problem::new(
            404,
            format!("Nothing is served at {path}. The home page lists every endpoint."),
        )
    }

    /// 405 with the `Allow` field the status requires.
    pub fn method_not_allowed(method: &str, allow: &[&str]) -> Problem {
        Problem::new(
            405,
            format!(
                "{method} is not supported here; use {}.",
                allow.join(" or ")
            ),
        )
        .header("Allow", allow.join(", "))
    }

    /// Names the kind of problem: the `type` member becomes
    /// `/problems/{slug}` instead of `about:blank`.
    pub fn kind(mut self, slug: &'static str) -> Problem {
        self.0.kind = Some(slug);
        self
    }

    /// The `type` member.
    pub fn type_uri(&self) -> String {
        match self.0.kind {
            Some(slug) => format!("/problems/{slug}"),
            None => "about:blank".to_string(),
        }
    }

    /// Adds a header field to the answer.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Problem {
        self.0.headers.push((name, value.into()));
        self
    }

    /// Adds a member to the JSON document.
    pub fn with(mut self, key: &str, value: Value) -> Problem {
        self.0.extra.insert(key.to_string(), value);
        self
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.0.status
    }

    /// The detail sentence.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// Renders as `application/problem+json`, or as `text/plain` when the
    /// client's `Accept` asks for plain text and no JSON.
    pub fn render(&self, accept: Option<&str>, instance: &str) -> (Head, Bytes) {
        let me = &self.0;
        let plain = teapot_wire::accept::prefers_plain_text(accept);
        let mut head = Head::new(me.status);
        for (name, value) in &me.headers {
            head = head.header(*name, value.clone());
        }
        let type_uri = self.type_uri();
        let members: Vec<(&str, String)> = me
            .extra
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_string()))
            .collect();
        let members: Vec<(&str, &str)> = members.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let details = Details {
            status: me.status,
            type_uri: &type_uri,
            detail: &me.detail,
            instance: Some(instance),
            members: &members,
        };
        if plain {
            (
                head.header("Content-Type", "text/plain; charset=utf-8"),
                details.plain(),
            )
        } else {
            (
                head.header("Content-Type", "application/problem+json"),
                details.json(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_json_by_default() {
        let (head, body) =
            Problem::method_not_allowed("PUT", &["GET", "HEAD"]).render(None, "/healthz");
        assert_eq!(head.status(), 405);
        assert_eq!(head.get("allow"), Some(&b"GET, HEAD"[..]));
        assert_eq!(
            head.get("content-type"),
            Some(&b"application/problem+json"[..])
        );
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["status"], 405);
        assert_eq!(v["title"], "Method Not Allowed");
        assert_eq!(v["instance"], "/healthz");
    }

    #[test]
    fn renders_plain_text_when_asked() {
        let (head, body) = Problem::not_found("/x").render(Some("text/plain"), "/x");
        assert_eq!(
            head.get("content-type"),
            Some(&b"text/plain; charset=utf-8"[..])
        );
        assert!(body.starts_with(b"404 Not Found\n"));
        let (head, _) = Problem::not_found("/x").render(Some("text/plain, application/json"), "/x");
        assert_eq!(
            head.get("content-type"),
            Some(&b"application/problem+json"[..])
        );
        // q-values count: plain text rated above JSON wins, and a JSON
        // rated zero does not count as asked for.
        for (accept, plain) in [
            ("application/json;q=0.5, text/plain", true),
            ("text/plain;q=0.2, application/json", false),
            ("text/plain, application/json;q=0", true),
            ("text/plain;q=0, */*", false),
            ("*/*", false),
        ] {
            let (head, _) = Problem::not_found("/x").render(Some(accept), "/x");
            let want: &[u8] = if plain {
                b"text/plain; charset=utf-8"
            } else {
                b"application/problem+json"
            };
            assert_eq!(head.get("content-type"), Some(want), "{accept}");
        }
    }
}
