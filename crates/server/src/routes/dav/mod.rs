//! `/dav/{ns}/…`: a small WebDAV server (RFC 4918, bindings of RFC 5842)
//! whose codes are earned: PROPFIND → 207 (208 for a collection reached a
//! second time when the client sent `DAV: bind`, 508 for a binding loop
//! under `Depth: infinity` without it); PROPPATCH → 207 with 424 for the
//! instructions that could not run because another failed; MKCOL → 201
//! (409 without a parent); PUT → 201/204 (507 over the quota); LOCK → 423
//! for writes without the token.
//!
//! Each namespace is a tree made on first use with a `docs` collection, a
//! second binding of it (`shared`), and a binding back to the root inside
//! `loop`. Trees live in the state store (a versioned record per
//! namespace, written by compare-and-set), so every instance on one Redis
//! sees the same tree and each operation is atomic across them; a tree
//! untouched for the store's TTL starts over. Namespaces are bounded in
//! number ([`crate::state::MAX_TREES`]) and size ([`QUOTA`] of content, [`MAX_TREE_BYTES`]
//! in all).

mod methods;
mod tree;
mod xml;

use bytes::Bytes;
use teapot_wire::{Exchange, Head, Method, Status};

use super::{sent, status, Outcome};
use crate::app::App;
use crate::problem::Problem;
use crate::routes::stateful::store_problem;
use crate::state::StoreError;

use methods::*;
use tree::*;
use xml::*;

/// Bytes of content one namespace may hold.
pub const QUOTA: usize = 64 * 1024;
/// Bytes one namespace's tree may take in the store (content, names and
/// properties, as stored).
pub const MAX_TREE_BYTES: usize = 256 * 1024;
/// The DAV namespace.
const DAV: &str = "DAV:";

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

/// Runs `f` on the namespace's tree and keeps what it changed: read, apply,
/// compare-and-set, again from the start when another request (on any
/// instance) wrote in between. `f` may run more than once.
async fn with_tree<R>(
    app: &App,
    ns: &str,
    mut f: impl FnMut(&mut Tree) -> R,
) -> Result<R, Problem> {
    let seeded = Tree::seeded().to_json();
    // A lost compare-and-set means another writer got through; 64 tries
    // outlast that many writers on one namespace at once.
    for attempt in 0..64 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_micros(fastrand::u64(0..2000))).await;
        }
        let stored = app
            .state
            .tree(ns)
            .await
            .map_err(|e| store_problem(app, e))?;
        let (version, before) = match stored {
            Some((v, text)) => (Some(v), text),
            None => (None, seeded.clone()),
        };
        let mut tree = Tree::from_json(&before)
            .ok_or_else(|| Problem::new(500, "The namespace's stored tree is unreadable."))?;
        let out = f(&mut tree);
        let after = tree.to_json();
        if after == before {
            return Ok(out);
        }
        if after.len() > MAX_TREE_BYTES {
            return Err(dav_error(
                507,
                "quota-not-exceeded",
                "This namespace is full (names and properties included).",
            ));
        }
        let next = version.map_or(1, |v| v + 1);
        match app.state.replace_tree(ns, version, next, &after).await {
            Ok(true) => return Ok(out),
            Ok(false) => continue,
            Err(StoreError::Full) => {
                return Err(Problem::new(
                    507,
                    "No room for another WebDAV namespace; use an existing one.",
                ))
            }
            Err(e) => return Err(store_problem(app, e)),
        }
    }
    Err(Problem::new(503, "The namespace is busy; retry.").header("Retry-After", "1"))
}

/// Serves `/dav/{ns}/…`.
pub async fn dav(app: &App, ex: &mut Exchange<'_>, ns: &str, rest: &str) -> Outcome {
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
        let lock = with_tree(app, ns, |t| t.lock.clone()).await?;
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
        Method::Propfind => propfind(app, ex, &target, &body).await,
        Method::Proppatch => proppatch(app, ex, &target, &body).await,
        Method::Mkcol => mkcol(app, ex, &target, &body).await,
        Method::Put => put(app, ex, &target, body).await,
        Method::Get | Method::Head => get(app, ex, &target).await,
        Method::Delete => delete(app, ex, &target).await,
        Method::Lock => {
            let token = super::lock_token();
            let taken = with_tree(app, ns, |t| {
                if t.lock.is_some() {
                    return false;
                }
                t.lock = Some(token.clone());
                true
            })
            .await?;
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
            let released = with_tree(app, ns, |t| match &t.lock {
                Some(tok) if given.contains(tok.as_str()) => {
                    t.lock = None;
                    true
                }
                _ => false,
            })
            .await?;
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
