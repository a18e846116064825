//! The tree of one namespace: collections, documents and bindings, with
//! the properties each holds.

use std::collections::{BTreeMap, HashMap, HashSet};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Map, Value};

/// A resource in a namespace, keyed by its canonical path ("/", "/docs/").
#[derive(Clone, Debug)]
pub(super) enum Node {
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

#[derive(Clone, Debug, Default)]
pub(super) struct Tree {
    pub(super) nodes: HashMap<String, Node>,
    pub(super) lock: Option<String>,
}

impl Tree {
    pub(super) fn seeded() -> Tree {
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

    pub(super) fn used(&self) -> usize {
        self.nodes
            .values()
            .map(|n| match n {
                Node::File { content, .. } => content.len(),
                Node::Collection { .. } => 0,
            })
            .sum()
    }

    /// The canonical path for a request path, following bindings.
    pub(super) fn resolve(&self, path: &str) -> Option<String> {
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

/// The parent's canonical path and the new member's name.
pub(super) fn parent_of(tree: &Tree, path: &str) -> Option<(String, String)> {
    let trimmed = path.trim_end_matches('/');
    let (parent, name) = trimmed.rsplit_once('/')?;
    if name.is_empty() {
        return None;
    }
    let canonical = tree.resolve(&format!("{parent}/"))?;
    matches!(tree.nodes.get(&canonical), Some(Node::Collection { .. }))
        .then(|| (canonical, name.to_string()))
}

pub(super) fn add_member(tree: &mut Tree, parent: &str, name: &str, node: Node) {
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

impl Tree {
    /// The tree as the state store keeps it: JSON, content in base64.
    pub(super) fn to_json(&self) -> String {
        let props = |p: &BTreeMap<(String, String), String>| -> Value {
            p.iter()
                .map(|((ns, name), v)| json!([ns, name, v]))
                .collect()
        };
        // Sorted, so that the same tree is always the same text.
        let mut paths: Vec<&String> = self.nodes.keys().collect();
        paths.sort();
        let nodes: Map<String, Value> = paths
            .into_iter()
            .map(|path| (path, &self.nodes[path]))
            .map(|(path, node)| {
                let v = match node {
                    Node::Collection { members, props: p } => {
                        json!({ "members": members, "props": props(p) })
                    }
                    Node::File { content, props: p } => {
                        json!({ "content": BASE64.encode(content), "props": props(p) })
                    }
                };
                (path.clone(), v)
            })
            .collect();
        json!({ "lock": self.lock, "nodes": nodes }).to_string()
    }

    /// A tree the store kept; `None` when the text is not one.
    pub(super) fn from_json(text: &str) -> Option<Tree> {
        let doc: Value = serde_json::from_str(text).ok()?;
        let props = |v: &Value| -> Option<BTreeMap<(String, String), String>> {
            v.as_array()?
                .iter()
                .map(|t| {
                    let t = t.as_array()?;
                    Some((
                        (
                            t.first()?.as_str()?.to_string(),
                            t.get(1)?.as_str()?.to_string(),
                        ),
                        t.get(2)?.as_str()?.to_string(),
                    ))
                })
                .collect()
        };
        let mut nodes = HashMap::new();
        for (path, v) in doc["nodes"].as_object()? {
            let node = if let Some(members) = v.get("members") {
                Node::Collection {
                    members: members
                        .as_object()?
                        .iter()
                        .map(|(k, p)| Some((k.clone(), p.as_str()?.to_string())))
                        .collect::<Option<_>>()?,
                    props: props(&v["props"])?,
                }
            } else {
                Node::File {
                    content: Bytes::from(BASE64.decode(v["content"].as_str()?).ok()?),
                    props: props(&v["props"])?,
                }
            };
            nodes.insert(path.clone(), node);
        }
        let lock = doc["lock"].as_str().map(str::to_string);
        Some(Tree { nodes, lock })
    }

    /// Drops the nodes no path from the root reaches (after a DELETE
    /// unbinds the last way to them), so a namespace holds only what can
    /// be found.
    pub(super) fn collect_garbage(&mut self) {
        let mut reached = HashSet::new();
        let mut stack = vec!["/".to_string()];
        while let Some(path) = stack.pop() {
            if !reached.insert(path.clone()) {
                continue;
            }
            if let Some(Node::Collection { members, .. }) = self.nodes.get(&path) {
                stack.extend(members.values().cloned());
            }
        }
        self.nodes.retain(|path, _| reached.contains(path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_kept_as_stable_text() {
        let mut t = Tree::seeded();
        t.lock = Some("urn:uuid:1".into());
        if let Some(Node::File { props, .. }) = t.nodes.get_mut("/docs/readme.txt") {
            props.insert(("urn:z".into(), "colour".into()), "earl & \"grey\"".into());
        }
        add_member(
            &mut t,
            "/docs/",
            "bin",
            Node::File {
                content: Bytes::from_static(&[0, 255, 10]),
                props: BTreeMap::new(),
            },
        );
        let text = t.to_json();
        let back = Tree::from_json(&text).unwrap();
        assert_eq!(back.to_json(), text, "the same tree, the same text");
        assert_eq!(back.lock.as_deref(), Some("urn:uuid:1"));
        assert!(matches!(
            back.nodes.get("/docs/bin"),
            Some(Node::File { content, .. }) if content[..] == [0, 255, 10]
        ));
        assert_eq!(back.resolve("/shared/bin").as_deref(), Some("/docs/bin"));
        assert!(Tree::from_json("{}").is_none());
        assert!(Tree::from_json("not json").is_none());
    }

    #[test]
    fn unreachable_nodes_are_dropped() {
        let mut t = Tree::seeded();
        // Unbind `docs` by both names: its subtree is gone; `loop` stays.
        if let Some(Node::Collection { members, .. }) = t.nodes.get_mut("/") {
            members.remove("docs");
            members.remove("shared");
        }
        t.collect_garbage();
        let mut left: Vec<&str> = t.nodes.keys().map(String::as_str).collect();
        left.sort();
        assert_eq!(left, ["/", "/loop/"]);
    }
}
