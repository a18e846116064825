//! WebDAV XML in and out: the request bodies parsed with their
//! namespaces, the multistatus documents written.

use bytes::Bytes;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::*;
use crate::problem::Problem;
use crate::routes::status;

pub(super) fn multistatus(responses: &str) -> Bytes {
    Bytes::from(format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n{responses}</D:multistatus>\n"
    ))
}

pub(super) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn status_line(code: u16) -> String {
    format!("HTTP/1.1 {code} {}", status(code).reason())
}

/// A parsed XML element: namespace, local name, text and children.
#[derive(Debug, Default)]
pub(super) struct Element {
    pub(super) ns: String,
    pub(super) name: String,
    pub(super) text: String,
    pub(super) children: Vec<Element>,
}

/// Appends a finished element to the one that encloses it.
pub(super) fn adopt(stack: &mut [Element], el: Element) -> Option<()> {
    stack.last_mut()?.children.push(el);
    Some(())
}

pub(super) fn parse_xml(body: &[u8]) -> Result<Element, Problem> {
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

pub(super) fn prop_xml(ns: &str, name: &str, value: &str) -> String {
    if ns == DAV {
        format!("<D:{name}>{value}</D:{name}>")
    } else {
        format!(
            "<x:{name} xmlns:x=\"{}\">{value}</x:{name}>",
            xml_escape(ns)
        )
    }
}
