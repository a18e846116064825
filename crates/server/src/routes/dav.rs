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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use bytes::Bytes;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use teapot_wire::{Exchange, Head, Method, Status};

use super::{sent, status, Outcome};
use crate::problem::Problem;

/// Bytes of content one namespace may hold.
pub const QUOTA: usize = 64 * 1024;
/// Namespaces kept at once.
pub const MAX_NAMESPACES: usize = 1000;
/// The DAV namespace.
const DAV: &str = "DAV:";

/// A resource in a namespace, keyed by its canonical path ("/", "/docs/").
#[derive(Clone, Debug)]
enum Node {
    /// Members by name, each the canonical path of a node (a member that
    /// points at a collection elsewhere is a second binding).
    Collection {
        members: BTreeMap<String, String>,
        props: BTreeMap<(String, String), String>,
    },
    File {
        content: Bytes,
        props: BTreeMap<(String, String), String>,
    },
}

#[derive(Debug, Default)]
struct Tree {
    nodes: HashMap<String, Node>,
    lock: Option<String>,
}

impl Tree {
    fn seeded() -> Tree {
        let mut nodes = HashMap::new();
        let col = |members: &[(&str, &str)]| Node::Collection {
            members: members
                .iter()
                .map(|(n, p)| (n.to_string(), p.to_string()))
                .collect(),
            props: BTreeMap::new(),
        };
        nodes.insert(
            "/".into(),
            col(&[("docs", "/docs/"), ("shared", "/docs/"), ("loop", "/loop/")]),
        );
        nodes.insert("/docs/".into(), col(&[("readme.txt", "/docs/readme.txt")]));
        nodes.insert("/loop/".into(), col(&[("up", "/")]));
        nodes.insert(
            "/docs/readme.txt".into(),
            Node::File {
                content: Bytes::from_static(b"Short and stout.\n"),
                props: BTreeMap::new(),
            },
        );
        Tree { nodes, lock: None }
    }

    fn used(&self) -> usize {
        self.nodes
            .values()
            .map(|n| match n {
                Node::File { content, .. } => content.len(),
                Node::Collection { .. } => 0,
            })
            .sum()
    }

    /// The canonical path for a request path, following bindings.
    fn resolve(&self, path: &str) -> Option<String> {
        let mut current = "/".to_string();
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            let Some(Node::Collection { members, .. }) = self.nodes.get(&current) else {
                return None;
            };
            current = members.get(seg)?.clone();
        }
        Some(current)
    }
}

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

fn multistatus(responses: &str) -> Bytes {
    Bytes::from(format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n{responses}</D:multistatus>\n"
    ))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn status_line(code: u16) -> String {
    format!("HTTP/1.1 {code} {}", status(code).reason())
}

async fn answer_xml(ex: &mut Exchange<'_>, code: u16, body: Bytes) -> Outcome {
    let head = Head::new(status(code)).header("Content-Type", "application/xml; charset=utf-8");
    sent(ex.respond(head, body).await)
}

fn dav_error(code: u16, condition: &str, detail: &str) -> Problem {
    Problem::new(code, detail.to_string()).with("condition", serde_json::json!(condition))
}

/// A parsed XML element: namespace, local name, text and children.
#[derive(Debug, Default)]
struct Element {
    ns: String,
    name: String,
    text: String,
    children: Vec<Element>,
}

/// Appends a finished element to the one that encloses it.
fn adopt(stack: &mut [Element], el: Element) -> Option<()> {
    stack.last_mut()?.children.push(el);
    Some(())
}

fn parse_xml(body: &[u8]) -> Result<Element, Problem> {
    let bad = |why: String| {
        Problem::bad_request(format!("The XML body is not well-formed: {why}.")).kind("bad-xml")
    };
    let text = std::str::from_utf8(body).map_err(|_| bad("not UTF-8".into()))?;
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| bad(e.to_string()))?;
        let ns = match ns {
            ResolveResult::Bound(n) => AsRef::<str>::as_ref(&n).to_string(),
            _ => String::new(),
        };
        match event {
            Event::Start(e) => stack.push(Element {
                ns,
                name: AsRef::<str>::as_ref(&e.local_name()).to_string(),
                ..Element::default()
            }),
            Event::Empty(e) => {
                let el = Element {
                    ns,
                    name: AsRef::<str>::as_ref(&e.local_name()).to_string(),
                    ..Element::default()
                };
                adopt(&mut stack, el).ok_or_else(|| bad("unbalanced".into()))?;
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| bad("unbalanced".into()))?;
                adopt(&mut stack, el).ok_or_else(|| bad("unbalanced".into()))?;
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = AsRef::<str>::as_ref(&*r).to_string();
                    let ch = match name.as_str() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => r.resolve_char_ref().ok().flatten(),
                    };
                    top.text.extend(ch);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut root = stack.pop().ok_or_else(|| bad("empty".into()))?;
    if !stack.is_empty() {
        return Err(bad("an element is not closed".into()));
    }
    root.children
        .pop()
        .ok_or_else(|| bad("no root element".into()))
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

fn live_props(node: &Node, href_name: &str) -> Vec<(String, String, String)> {
    let mut out = vec![(
        DAV.to_string(),
        "displayname".to_string(),
        xml_escape(href_name),
    )];
    match node {
        Node::Collection { props, .. } => {
            out.push((DAV.into(), "resourcetype".into(), "<D:collection/>".into()));
            out.extend(
                props
                    .iter()
                    .map(|((ns, n), v)| (ns.clone(), n.clone(), xml_escape(v))),
            );
        }
        Node::File { content, props } => {
            out.push((DAV.into(), "resourcetype".into(), String::new()));
            out.push((
                DAV.into(),
                "getcontentlength".into(),
                content.len().to_string(),
            ));
            out.push((DAV.into(), "getcontenttype".into(), "text/plain".into()));
            out.extend(
                props
                    .iter()
                    .map(|((ns, n), v)| (ns.clone(), n.clone(), xml_escape(v))),
            );
        }
    }
    out
}

fn prop_xml(ns: &str, name: &str, value: &str) -> String {
    if ns == DAV {
        format!("<D:{name}>{value}</D:{name}>")
    } else {
        format!(
            "<x:{name} xmlns:x=\"{}\">{value}</x:{name}>",
            xml_escape(ns)
        )
    }
}

async fn propfind(store: &Dav, ex: &mut Exchange<'_>, target: &Target<'_>, body: &[u8]) -> Outcome {
    let depth = match ex.request().header_str("depth").map(str::trim) {
        None | Some("infinity") => u32::MAX,
        Some("0") => 0,
        Some("1") => 1,
        Some(d) => {
            return Err(
                Problem::bad_request(format!("Depth must be 0, 1 or infinity, not {d:?}."))
                    .kind("bad-option"),
            )
        }
    };
    let bind = ex.request().header_all("dav").any(|v| {
        String::from_utf8_lossy(v)
            .split(',')
            .any(|t| t.trim() == "bind")
    });
    let wanted: Option<Vec<(String, String)>> = if body.is_empty() {
        None
    } else {
        let root = parse_xml(body)?;
        if root.ns != DAV || root.name != "propfind" {
            return Err(
                Problem::bad_request("A PROPFIND body is a DAV:propfind element.").kind("bad-xml"),
            );
        }
        root.children
            .iter()
            .find(|c| c.ns == DAV && c.name == "prop")
            .map(|p| {
                p.children
                    .iter()
                    .map(|c| (c.ns.clone(), c.name.clone()))
                    .collect()
            })
    };
    let base = format!("/dav/{}", target.ns);
    let result = store.with_tree(target.ns, |tree| {
        let start = tree.resolve(&target.path)?;
        let mut out = String::new();
        let mut seen = HashSet::new();
        let mut stack = Vec::new();
        let ok = walk(
            tree,
            &start,
            &target.path,
            depth,
            bind,
            wanted.as_deref(),
            &base,
            &mut seen,
            &mut stack,
            &mut out,
        );
        Some((ok, out))
    })?;
    match result {
        None => Err(Problem::new(404, format!("Nothing at {} in this namespace.", target.path))),
        Some((false, _)) => Err(dav_error(508, "loop-detected", "Depth: infinity reached a binding back to an ancestor; send DAV: bind to have it reported as 208 instead.")),
        Some((true, out)) => answer_xml(ex, 207, multistatus(&out)).await,
    }
}

/// Appends the responses for `canonical` (reached at `href`) and below.
/// Returns false on a loop when the client does not understand bindings.
#[allow(clippy::too_many_arguments)]
fn walk(
    tree: &Tree,
    canonical: &str,
    href: &str,
    depth: u32,
    bind: bool,
    wanted: Option<&[(String, String)]>,
    base: &str,
    seen: &mut HashSet<String>,
    ancestors: &mut Vec<String>,
    out: &mut String,
) -> bool {
    let Some(node) = tree.nodes.get(canonical) else {
        return true;
    };
    let is_collection = matches!(node, Node::Collection { .. });
    if is_collection && !seen.insert(canonical.to_string()) {
        if bind {
            out.push_str(&format!(
                "  <D:response><D:href>{}{}</D:href><D:status>{}</D:status></D:response>\n",
                base,
                xml_escape(href),
                status_line(208)
            ));
            return true;
        }
        if ancestors.iter().any(|a| a == canonical) {
            return false;
        }
    }
    let name = href
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("/");
    let props = live_props(node, name);
    let (found, missing): (Vec<_>, Vec<_>) = match wanted {
        None => (
            props.iter().map(|(n, l, v)| prop_xml(n, l, v)).collect(),
            Vec::new(),
        ),
        Some(list) => {
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for (ns, local) in list {
                match props.iter().find(|(n, l, _)| n == ns && l == local) {
                    Some((n, l, v)) => found.push(prop_xml(n, l, v)),
                    None => missing.push(prop_xml(ns, local, "")),
                }
            }
            (found, missing)
        }
    };
    out.push_str(&format!(
        "  <D:response><D:href>{}{}</D:href>",
        base,
        xml_escape(href)
    ));
    if !found.is_empty() || missing.is_empty() {
        out.push_str(&format!(
            "<D:propstat><D:prop>{}</D:prop><D:status>{}</D:status></D:propstat>",
            found.concat(),
            status_line(200)
        ));
    }
    if !missing.is_empty() {
        out.push_str(&format!(
            "<D:propstat><D:prop>{}</D:prop><D:status>{}</D:status></D:propstat>",
            missing.concat(),
            status_line(404)
        ));
    }
    out.push_str("</D:response>\n");
    if let (Node::Collection { members, .. }, true) = (node, depth > 0) {
        ancestors.push(canonical.to_string());
        for (name, child) in members {
            let child_href = if tree
                .nodes
                .get(child)
                .is_some_and(|n| matches!(n, Node::Collection { .. }))
            {
                format!("{}{name}/", href.trim_end_matches('/').to_string() + "/")
            } else {
                format!("{}{name}", href.trim_end_matches('/').to_string() + "/")
            };
            if !walk(
                tree,
                child,
                &child_href,
                depth.saturating_sub(1),
                bind,
                wanted,
                base,
                seen,
                ancestors,
                out,
            ) {
                return false;
            }
        }
        ancestors.pop();
    }
    true
}

async fn proppatch(
    store: &Dav,
    ex: &mut Exchange<'_>,
    target: &Target<'_>,
    body: &[u8],
) -> Outcome {
    let root = parse_xml(body)?;
    if root.ns != DAV || root.name != "propertyupdate" {
        return Err(
            Problem::bad_request("A PROPPATCH body is a DAV:propertyupdate element.")
                .kind("bad-xml"),
        );
    }
    // (set?, namespace, name, value) in document order.
    let mut instructions = Vec::new();
    for op in &root.children {
        let set = match (op.ns.as_str(), op.name.as_str()) {
            (DAV, "set") => true,
            (DAV, "remove") => false,
            _ => continue,
        };
        for prop in op
            .children
            .iter()
            .filter(|c| c.ns == DAV && c.name == "prop")
        {
            for p in &prop.children {
                instructions.push((set, p.ns.clone(), p.name.clone(), p.text.clone()));
            }
        }
    }
    if instructions.is_empty() {
        return Err(
            Problem::bad_request("The propertyupdate holds no set or remove instruction.")
                .kind("bad-xml"),
        );
    }
    // Live DAV: properties are protected: setting one fails, and so (all or
    // nothing) every other instruction fails with 424.
    let protected = |ns: &str| ns == DAV;
    let any_fails = instructions.iter().any(|(_, ns, _, _)| protected(ns));
    let base = format!("/dav/{}", target.ns);
    let applied = store.with_tree(target.ns, |tree| {
        let canonical = tree.resolve(&target.path)?;
        if !any_fails {
            let props = match tree.nodes.get_mut(&canonical)? {
                Node::Collection { props, .. } | Node::File { props, .. } => props,
            };
            for (set, ns, name, value) in &instructions {
                if *set {
                    props.insert((ns.clone(), name.clone()), value.clone());
                } else {
                    props.remove(&(ns.clone(), name.clone()));
                }
            }
        }
        Some(())
    })?;
    if applied.is_none() {
        return Err(Problem::new(
            404,
            format!("Nothing at {} in this namespace.", target.path),
        ));
    }
    let mut out = format!(
        "  <D:response><D:href>{base}{}</D:href>",
        xml_escape(&target.path)
    );
    for (_, ns, name, _) in &instructions {
        let code = match (any_fails, protected(ns)) {
            (false, _) => 200,
            (true, true) => 403,
            (true, false) => 424,
        };
        out.push_str(&format!(
            "<D:propstat><D:prop>{}</D:prop><D:status>{}</D:status>",
            prop_xml(ns, name, ""),
            status_line(code)
        ));
        if code == 403 {
            out.push_str("<D:error><D:cannot-modify-protected-property/></D:error>");
        }
        out.push_str("</D:propstat>");
    }
    out.push_str("</D:response>\n");
    answer_xml(ex, 207, multistatus(&out)).await
}

/// The parent's canonical path and the new member's name.
fn parent_of(tree: &Tree, path: &str) -> Option<(String, String)> {
    let trimmed = path.trim_end_matches('/');
    let (parent, name) = trimmed.rsplit_once('/')?;
    if name.is_empty() {
        return None;
    }
    let canonical = tree.resolve(&format!("{parent}/"))?;
    matches!(tree.nodes.get(&canonical), Some(Node::Collection { .. }))
        .then(|| (canonical, name.to_string()))
}

fn add_member(tree: &mut Tree, parent: &str, name: &str, node: Node) {
    let child = format!(
        "{}{name}{}",
        parent,
        if matches!(node, Node::Collection { .. }) {
            "/"
        } else {
            ""
        }
    );
    tree.nodes.insert(child.clone(), node);
    if let Some(Node::Collection { members, .. }) = tree.nodes.get_mut(parent) {
        members.insert(name.to_string(), child);
    }
}

async fn mkcol(store: &Dav, ex: &mut Exchange<'_>, target: &Target<'_>, body: &[u8]) -> Outcome {
    if !body.is_empty() {
        return Err(Problem::new(415, "MKCOL takes no body here."));
    }
    let outcome = store.with_tree(target.ns, |tree| {
        if tree.resolve(&target.path).is_some() {
            return 405;
        }
        let Some((parent, name)) = parent_of(tree, &target.path) else {
            return 409;
        };
        add_member(
            tree,
            &parent,
            &name,
            Node::Collection {
                members: BTreeMap::new(),
                props: BTreeMap::new(),
            },
        );
        201
    })?;
    match outcome {
        201 => sent(
            ex.respond(
                Head::new(Status::CREATED)
                    .header("Location", format!("/dav/{}{}", target.ns, target.path)),
                "",
            )
            .await,
        ),
        405 => Err(Problem::method_not_allowed(
            "MKCOL",
            &["PROPFIND", "PROPPATCH", "DELETE", "LOCK", "UNLOCK"],
        )),
        _ => Err(dav_error(
            409,
            "parent-missing",
            "The parent collection does not exist; create it with MKCOL first.",
        )),
    }
}

async fn put(store: &Dav, ex: &mut Exchange<'_>, target: &Target<'_>, body: Bytes) -> Outcome {
    let outcome = store.with_tree(target.ns, |tree| {
        let existing = tree.resolve(&target.path);
        if let Some(p) = &existing {
            if matches!(tree.nodes.get(p), Some(Node::Collection { .. })) {
                return 405;
            }
        }
        let old = existing.as_ref().and_then(|p| match tree.nodes.get(p) {
            Some(Node::File { content, .. }) => Some(content.len()),
            _ => None,
        });
        if tree.used() - old.unwrap_or(0) + body.len() > QUOTA {
            return 507;
        }
        match existing {
            Some(p) => {
                if let Some(Node::File { content, .. }) = tree.nodes.get_mut(&p) {
                    *content = body.clone();
                }
                204
            }
            None => {
                let Some((parent, name)) = parent_of(tree, &target.path) else {
                    return 409;
                };
                add_member(
                    tree,
                    &parent,
                    &name,
                    Node::File {
                        content: body.clone(),
                        props: BTreeMap::new(),
                    },
                );
                201
            }
        }
    })?;
    match outcome {
        201 | 204 => sent(ex.respond(Head::new(status(outcome)), "").await),
        405 => Err(Problem::method_not_allowed(
            "PUT",
            &["PROPFIND", "PROPPATCH", "DELETE", "MKCOL", "LOCK", "UNLOCK"],
        )),
        507 => Err(dav_error(
            507,
            "quota-not-exceeded",
            &format!("This namespace may hold {QUOTA} bytes; this PUT would go over."),
        )),
        _ => Err(dav_error(
            409,
            "parent-missing",
            "The parent collection does not exist; create it with MKCOL first.",
        )),
    }
}

async fn get(store: &Dav, ex: &mut Exchange<'_>, target: &Target<'_>) -> Outcome {
    let found = store.with_tree(target.ns, |tree| {
        let p = tree.resolve(&target.path)?;
        match tree.nodes.get(&p)? {
            Node::File { content, .. } => Some(Ok(content.clone())),
            Node::Collection { members, .. } => {
                Some(Err(members.keys().cloned().collect::<Vec<_>>()))
            }
        }
    })?;
    match found {
        None => Err(Problem::new(
            404,
            format!("Nothing at {} in this namespace.", target.path),
        )),
        Some(Ok(content)) => sent(
            ex.respond(
                Head::new(Status::OK).header("Content-Type", "text/plain"),
                content,
            )
            .await,
        ),
        Some(Err(names)) => {
            let text = names.join("\n") + "\n";
            sent(
                ex.respond(
                    Head::new(Status::OK).header("Content-Type", "text/plain; charset=utf-8"),
                    text,
                )
                .await,
            )
        }
    }
}

async fn delete(store: &Dav, ex: &mut Exchange<'_>, target: &Target<'_>) -> Outcome {
    let done = store.with_tree(target.ns, |tree| {
        let (parent, name) = parent_of(tree, &target.path)?;
        if let Some(Node::Collection { members, .. }) = tree.nodes.get_mut(&parent) {
            members.remove(&name)?;
        }
        // The node stays reachable through any other binding; an unbound
        // one is simply never reached again.
        Some(())
    })?;
    match done {
        Some(()) => sent(ex.respond(Head::new(Status::NO_CONTENT), "").await),
        None => Err(Problem::new(
            404,
            format!("Nothing at {} in this namespace.", target.path),
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
