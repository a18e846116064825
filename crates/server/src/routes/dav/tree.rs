//! The tree of one namespace: collections, documents and bindings, with
//! the properties each holds.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

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

#[derive(Debug, Default)]
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
