//! The methods of a namespace: PROPFIND (207, 208, 508), PROPPATCH (207
//! with 424), MKCOL, PUT (507 over the quota), GET, DELETE.

use std::collections::{BTreeMap, HashSet};

use bytes::Bytes;
use teapot_wire::{Exchange, Head, Status};

use super::*;
use crate::problem::Problem;
use crate::routes::{sent, Outcome};

pub(super) fn live_props(node: &Node, href_name: &str) -> Vec<(String, String, String)> {
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

pub(super) async fn propfind(
    app: &App,
    ex: &mut Exchange<'_>,
    target: &Target<'_>,
    body: &[u8],
) -> Outcome {
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
    let result = with_tree(app, target.ns, |tree| {
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
    })
    .await?;
    match result {
        None => Err(Problem::new(404, format!("Nothing at {} in this namespace.", target.path))),
        Some((false, _)) => Err(dav_error(508, "loop-detected", "Depth: infinity reached a binding back to an ancestor; send DAV: bind to have it reported as 208 instead.")),
        Some((true, out)) => answer_xml(ex, 207, multistatus(&out)).await,
    }
}

/// Appends the responses for `canonical` (reached at `href`) and below.
/// Returns false on a loop when the client does not understand bindings.
#[allow(clippy::too_many_arguments)]
pub(super) fn walk(
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

pub(super) async fn proppatch(
    app: &App,
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
    let applied = with_tree(app, target.ns, |tree| {
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
    })
    .await?;
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

/// What a write to the tree came to.
enum Written {
    /// A new resource (201).
    Created,
    /// An existing file's content replaced (204).
    Replaced,
}

/// Why a write to the tree was refused.
enum Refused {
    /// Something is already there and the method cannot go on it (405).
    NotHere,
    /// The parent collection does not exist (409).
    ParentMissing,
    /// The namespace would go over its quota (507).
    OverQuota,
}

impl Refused {
    /// The problem for `method`; `allowed` is what the resource there
    /// does take.
    fn problem(self, method: &str, allowed: &[&str]) -> Problem {
        match self {
            Refused::NotHere => Problem::method_not_allowed(method, allowed),
            Refused::ParentMissing => dav_error(
                409,
                "parent-missing",
                "The parent collection does not exist; create it with MKCOL first.",
            ),
            Refused::OverQuota => dav_error(
                507,
                "quota-not-exceeded",
                &format!("This namespace may hold {QUOTA} bytes; this write would go over."),
            ),
        }
    }
}

pub(super) async fn mkcol(
    app: &App,
    ex: &mut Exchange<'_>,
    target: &Target<'_>,
    body: &[u8],
) -> Outcome {
    if !body.is_empty() {
        return Err(Problem::new(415, "MKCOL takes no body here."));
    }
    let outcome = with_tree(app, target.ns, |tree| {
        if tree.resolve(&target.path).is_some() {
            return Err(Refused::NotHere);
        }
        let Some((parent, name)) = parent_of(tree, &target.path) else {
            return Err(Refused::ParentMissing);
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
        Ok(Written::Created)
    })
    .await?;
    match outcome {
        Ok(_) => sent(
            ex.respond(
                Head::new(Status::CREATED)
                    .header("Location", format!("/dav/{}{}", target.ns, target.path)),
                "",
            )
            .await,
        ),
        Err(refused) => Err(refused.problem(
            "MKCOL",
            &["PROPFIND", "PROPPATCH", "DELETE", "LOCK", "UNLOCK"],
        )),
    }
}

pub(super) async fn put(
    app: &App,
    ex: &mut Exchange<'_>,
    target: &Target<'_>,
    body: Bytes,
) -> Outcome {
    let outcome = with_tree(app, target.ns, |tree| {
        let existing = tree.resolve(&target.path);
        if let Some(p) = &existing {
            if matches!(tree.nodes.get(p), Some(Node::Collection { .. })) {
                return Err(Refused::NotHere);
            }
        }
        let old = existing.as_ref().and_then(|p| match tree.nodes.get(p) {
            Some(Node::File { content, .. }) => Some(content.len()),
            _ => None,
        });
        if tree.used() - old.unwrap_or(0) + body.len() > QUOTA {
            return Err(Refused::OverQuota);
        }
        match existing {
            Some(p) => {
                if let Some(Node::File { content, .. }) = tree.nodes.get_mut(&p) {
                    *content = body.clone();
                }
                Ok(Written::Replaced)
            }
            None => {
                let Some((parent, name)) = parent_of(tree, &target.path) else {
                    return Err(Refused::ParentMissing);
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
                Ok(Written::Created)
            }
        }
    })
    .await?;
    match outcome {
        Ok(Written::Created) => sent(ex.respond(Head::new(Status::CREATED), "").await),
        Ok(Written::Replaced) => sent(ex.respond(Head::new(Status::NO_CONTENT), "").await),
        Err(refused) => Err(refused.problem(
            "PUT",
            &["PROPFIND", "PROPPATCH", "DELETE", "MKCOL", "LOCK", "UNLOCK"],
        )),
    }
}

pub(super) async fn get(app: &App, ex: &mut Exchange<'_>, target: &Target<'_>) -> Outcome {
    let found = with_tree(app, target.ns, |tree| {
        let p = tree.resolve(&target.path)?;
        match tree.nodes.get(&p)? {
            Node::File { content, .. } => Some(Ok(content.clone())),
            Node::Collection { members, .. } => {
                Some(Err(members.keys().cloned().collect::<Vec<_>>()))
            }
        }
    })
    .await?;
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

pub(super) async fn delete(app: &App, ex: &mut Exchange<'_>, target: &Target<'_>) -> Outcome {
    let done = with_tree(app, target.ns, |tree| {
        let (parent, name) = parent_of(tree, &target.path)?;
        if let Some(Node::Collection { members, .. }) = tree.nodes.get_mut(&parent) {
            members.remove(&name)?;
        }
        // The node stays reachable through any other binding; what no
        // binding reaches any more is dropped.
        tree.collect_garbage();
        Some(())
    })
    .await?;
    match done {
        Some(()) => sent(ex.respond(Head::new(Status::NO_CONTENT), "").await),
        None => Err(Problem::new(
            404,
            format!("Nothing at {} in this namespace.", target.path),
        )),
    }
}
