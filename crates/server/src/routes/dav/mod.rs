//! `/dav/{ns}/…`: a small WebDAV server (RFC 4918, bindings of RFC 5842)
//! whose codes are earned: PROPFIND → 207 (208 for a collection reached a
//! second time when the client sent `DAV: bind`, 508 for a binding loop
//! under `Depth: infinity` without it); PROPPATCH → 207 with 424 for the
//! instructions that could not run because another failed; MKCOL → 201
//! (409 without a parent); PUT → 201/204 (507 over the quota); LOCK → 423
//! for writes without the token.
//!
//! Each namespace is an in-memory tree made on first use with a `docs`
//! collection, a second binding of it (`shared`), and a binding back to
//! the root inside `loop`. Namespaces are bounded in number and size.

mod methods;
mod tree;
mod xml;

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use teapot_wire::{Exchange, Head, Method, Status};

use super::{sent, status, Outcome};
use crate::problem::Problem;

use methods::*;
use tree::*;
use xml::*;

/// Bytes of content one namespace may hold.
pub const QUOTA: usize = 64 * 1024;
/// Namespaces kept at once.
pub const MAX_NAMESPACES: usize = 1000;
/// The DAV namespace.
const DAV: &str = "DAV:";

/// Every namespace of this server.
#[derive(Debug, Default)]
pub struct Dav {
    trees: Mutex<HashMap<String, Tree>>,
}

/// What the client asked of one request.
struct Target<'a> {
    ns: &'a str,
    /// The path inside the namespace, "/" for its root.
    path: String,
}

async fn answer_xml(ex: &mut Exchange<'_>, code: u16, body: Bytes) -> Outcome {
    let head = Head::new(status(code)).header("Content-Type", "application/xml; charset=utf-8");
    sent(ex.respond(head, body).await)
}

fn dav_error(code: u16, condition: &str, detail: &str) -> Problem {
    Problem::new(code, detail.to_string()).with("condition", serde_json::json!(condition))
}

impl Dav {
    fn with_tree<R>(&self, ns: &str, f: impl FnOnce(&mut Tree) -> R) -> Result<R, Problem> {
        let mut trees = self.trees.lock().unwrap_or_else(|p| p.into_inner());
        if !trees.contains_key(ns) {
            if trees.len() >= MAX_NAMESPACES {
                return Err(Problem::new(
                    507,
                    "No room for another WebDAV namespace; use an existing one.",
                ));
            }
            trees.insert(ns.to_string(), Tree::seeded());
        }
        let tree = trees
            .get_mut(ns)
            .ok_or_else(|| Problem::new(500, "the namespace vanished"))?;
        Ok(f(tree))
    }
}

/// Serves `/dav/{ns}/…`.
pub async fn dav(store: &Dav, ex: &mut Exchange<'_>, ns: &str, rest: &str) -> Outcome {
    let ns_ok = !ns.is_empty()
        && ns.len() <= 64
        && ns
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
    if !ns_ok {
        return Err(Problem::bad_request(format!(
            "The namespace {ns:?} must be 1 to 64 letters, digits, '-' or '_'."
        ))
        .kind("bad-option"));
    }
    let target = Target {
        ns,
        path: format!("/{rest}"),
    };
    let body = match ex.read_body(QUOTA * 2).await {
        Ok(b) => b,
        Err(_) => return Ok(()),
    };
    let method = ex.request().method();
    // Writes need the lock token when the namespace is locked.
    if matches!(
        method,
        Method::Put | Method::Delete | Method::Mkcol | Method::Proppatch
    ) {
        let lock = store.with_tree(ns, |t| t.lock.clone())?;
        if let Some(token) = lock {
            let held = ex
                .request()
                .header_str("if")
                .is_some_and(|v| v.contains(&token));
            if !held {
                return Err(dav_error(
                    423,
                    "lock-token-submitted",
                    "This namespace is locked; send its lock token in If: (<token>).",
                ));
            }
        }
    }
    match method {
        Method::Options => {
            let head = Head::new(Status::OK)
                .header("DAV", "1, 2, bind")
                .header(
                    "Allow",
                    "OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, PROPFIND, PROPPATCH, LOCK, UNLOCK",
                )
                .header("MS-Author-Via", "DAV");
            sent(ex.respond(head, "").await)
        }
        Method::Propfind => propfind(store, ex, &target, &body).await,
        Method::Proppatch => proppatch(store, ex, &target, &body).await,
        Method::Mkcol => mkcol(store, ex, &target, &body).await,
        Method::Put => put(store, ex, &target, body).await,
        Method::Get | Method::Head => get(store, ex, &target).await,
        Method::Delete => delete(store, ex, &target).await,
        Method::Lock => {
            let token = super::lock_token();
            let taken = store.with_tree(ns, |t| {
                if t.lock.is_some() {
                    return false;
                }
                t.lock = Some(token.clone());
                true
            })?;
            if !taken {
                return Err(dav_error(
                    423,
                    "no-conflicting-lock",
                    "The namespace is already locked.",
                ));
            }
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:prop xmlns:D=\"DAV:\"><D:lockdiscovery><D:activelock>\
                 <D:locktype><D:write/></D:locktype><D:lockscope><D:exclusive/></D:lockscope><D:depth>infinity</D:depth>\
                 <D:locktoken><D:href>{token}</D:href></D:locktoken></D:activelock></D:lockdiscovery></D:prop>\n"
            );
            let head = Head::new(Status::OK)
                .header("Lock-Token", format!("<{token}>"))
                .header("Content-Type", "application/xml; charset=utf-8");
            sent(ex.respond(head, body).await)
        }
        Method::Unlock => {
            let given = ex
                .request()
                .header_str("lock-token")
                .unwrap_or("")
                .to_string();
            let released = store.with_tree(ns, |t| match &t.lock {
                Some(tok) if given.contains(tok.as_str()) => {
                    t.lock = None;
                    true
                }
                _ => false,
            })?;
            if released {
                sent(ex.respond(Head::new(Status::NO_CONTENT), "").await)
            } else {
                Err(dav_error(
                    409,
                    "lock-token-matches-request-uri",
                    "Lock-Token does not name the lock on this namespace.",
                ))
            }
        }
        m => Err(Problem::method_not_allowed(
            m.as_str(),
            &[
                "OPTIONS",
                "GET",
                "HEAD",
                "PUT",
                "DELETE",
                "MKCOL",
                "PROPFIND",
                "PROPPATCH",
                "LOCK",
                "UNLOCK",
            ],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_parses_with_namespaces() {
        let e = parse_xml(br#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:colour>earl &amp; grey</Z:colour></D:prop></D:set></D:propertyupdate>"#).unwrap();
        assert_eq!((e.ns.as_str(), e.name.as_str()), ("DAV:", "propertyupdate"));
        let prop = &e.children[0].children[0].children[0];
        assert_eq!(
            (prop.ns.as_str(), prop.name.as_str(), prop.text.as_str()),
            ("urn:z", "colour", "earl & grey")
        );
        assert!(parse_xml(b"<a><b></a>").is_err());
        assert!(parse_xml(b"").is_err());
    }

    #[test]
    fn seeded_tree_resolves_bindings() {
        let t = Tree::seeded();
        assert_eq!(
            t.resolve("/shared/readme.txt").as_deref(),
            Some("/docs/readme.txt")
        );
        assert_eq!(t.resolve("/loop/up/docs/").as_deref(), Some("/docs/"));
        assert_eq!(t.resolve("/nope"), None);
    }
}
