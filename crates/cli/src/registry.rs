//! `teapot explain` and `teapot list`: the registry for people and scripts.

use std::io::Write;

use anyhow::{bail, Result};
use serde_json::Value;
use teapot_codes::{by_class, entries, Caching, Class, Connection, Content, Entry, Status};
use teapot_server::registry::entry_json;

use crate::style::Style;

/// What an `explain` query names.
#[derive(Debug, PartialEq, Eq)]
enum Query {
    Code(&'static Entry),
    Class(Class),
    Words(Vec<&'static Entry>),
}

/// Reads a query: a registered code, a class, or words that match at least
/// one entry. Anything else is an error with a one-line message.
fn parse_query(query: &str) -> Result<Query> {
    let q = query.trim();
    if q.is_empty() {
        bail!("empty query: give a code (418), a class (4xx) or a word (gateway)");
    }
    if q.bytes().all(|b| b.is_ascii_digit()) {
        let status: Status = match q.parse() {
            Ok(s) => s,
            Err(_) => bail!("{q:?} is not a status code: codes are three digits from 100 to 599"),
        };
        return match status.entry() {
            Some(e) => Ok(Query::Code(e)),
            None => bail!(
                "{q} is not a registered status code; clients treat it like {}00 ({} {})",
                status.class().digit(),
                status.class().label(),
                status.class().name()
            ),
        };
    }
    let looks_numeric = q.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && q.bytes()
            .all(|b| b.is_ascii_digit() || b.eq_ignore_ascii_case(&b'x'));
    if looks_numeric {
        return match q.parse::<Class>() {
            Ok(c) => Ok(Query::Class(c)),
            Err(_) => bail!("{q:?} is neither a status code (100-599) nor a class (1xx-5xx)"),
        };
    }
    let hits = teapot_codes::search(q);
    if hits.is_empty() {
        bail!("no status code matches {q:?}; try `teapot list`");
    }
    Ok(Query::Words(hits))
}

/// `teapot explain QUERY`.
pub fn explain(out: &mut impl Write, query: &str, json: bool, style: Style) -> Result<()> {
    let query = parse_query(query)?;
    if json {
        let value = match &query {
            Query::Code(e) => entry_json(e),
            Query::Class(c) => Value::Array(by_class(*c).map(entry_json).collect()),
            Query::Words(hits) => Value::Array(hits.iter().map(|e| entry_json(e)).collect()),
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    match query {
        Query::Code(e) => write_entry(out, e, style)?,
        Query::Words(hits) if hits.len() == 1 => write_entry(out, hits[0], style)?,
        Query::Words(hits) => {
            writeln!(out, "{} codes match:", hits.len())?;
            write_lines(out, hits.iter().copied(), style)?;
        }
        Query::Class(c) => {
            writeln!(
                out,
                "{}",
                style.bold(&format!("{} {}", c.label(), c.name()))
            )?;
            write_lines(out, by_class(c), style)?;
        }
    }
    Ok(())
}

/// `teapot list`.
pub fn list(out: &mut impl Write, json: bool, table_only: bool, style: Style) -> Result<()> {
    let keep = |e: &&Entry| !table_only || e.in_table;
    if json {
        let all: Vec<Value> = entries().filter(keep).map(entry_json).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        return Ok(());
    }
    for (i, class) in Class::ALL.into_iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{}",
            style.bold(&format!("{} {}", class.label(), class.name()))
        )?;
        write_lines(out, by_class(class).filter(keep), style)?;
    }
    if !table_only {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            style.dim("* registered, but not in the supported table")
        )?;
    }
    Ok(())
}

/// One line per entry: code, reason, summary.
fn write_lines<'a>(
    out: &mut impl Write,
    list: impl Iterator<Item = &'a Entry>,
    style: Style,
) -> Result<()> {
    for e in list {
        let mark = if e.in_table { " " } else { "*" };
        writeln!(
            out,
            "  {}{mark} {:<32} {}",
            style.code(e.class(), &e.code.to_string()),
            e.reason,
            style.dim(e.summary)
        )?;
    }
    Ok(())
}

/// The whole entry, for one code.
fn write_entry(out: &mut impl Write, e: &Entry, style: Style) -> Result<()> {
    writeln!(
        out,
        "{} {}",
        style.code(e.class(), &e.code.to_string()),
        style.bold(e.reason)
    )?;
    writeln!(out, "  {}", e.summary)?;
    writeln!(out)?;
    for line in wrap(e.description, 76) {
        writeln!(out, "  {line}")?;
    }
    writeln!(out)?;
    let field = |name: &str| style.dim(&format!("{name:<11}"));
    writeln!(
        out,
        "  {}{} {}",
        field("class"),
        e.class().label(),
        e.class().name()
    )?;
    writeln!(
        out,
        "  {}{}  {}",
        field("defined"),
        e.source,
        e.source.url()
    )?;
    if let Some(iana) = e.iana_reason {
        writeln!(out, "  {}{iana}", field("IANA name"))?;
    }
    let table = if e.in_table {
        "in the supported table"
    } else {
        "not in the supported table"
    };
    writeln!(
        out,
        "  {}{}, {table}",
        field("standing"),
        e.standing.as_str()
    )?;
    writeln!(
        out,
        "  {}{}",
        field("content"),
        content_text(e.rules.content)
    )?;
    for (i, h) in e.rules.headers.iter().enumerate() {
        let label = if i == 0 { "headers" } else { "" };
        writeln!(
            out,
            "  {}{} {}: {}",
            field(label),
            h.level.as_str(),
            h.name,
            h.why
        )?;
    }
    writeln!(
        out,
        "  {}{}",
        field("connection"),
        connection_text(e.rules.connection)
    )?;
    writeln!(
        out,
        "  {}{}",
        field("caching"),
        caching_text(e.rules.caching)
    )?;
    writeln!(out, "  {}{}", field("client"), e.rules.action.as_str())?;
    Ok(())
}

fn content_text(c: Content) -> &'static str {
    match c {
        Content::Allowed => "allowed",
        Content::Never => "never: the response ends after its header section",
        Content::Empty => "none generated; framed as Content-Length: 0",
    }
}

fn connection_text(c: Connection) -> &'static str {
    match c {
        Connection::Keep => "stays usable",
        Connection::Close => "closed by the server after the response",
        Connection::Switch => "switches to the new protocol after the response",
    }
}

fn caching_text(c: Caching) -> &'static str {
    match c {
        Caching::Heuristic => "heuristically cacheable",
        Caching::Explicit => "cacheable only with explicit freshness",
        Caching::Never => "never stored by caches",
    }
}

/// Greedy word wrap.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use teapot_codes::lookup;

    use super::*;

    #[test]
    fn queries() {
        assert_eq!(
            parse_query("418").unwrap(),
            Query::Code(lookup(418).unwrap())
        );
        assert_eq!(
            parse_query(" 4xx ").unwrap(),
            Query::Class(Class::ClientError)
        );
        assert!(matches!(parse_query("gateway").unwrap(), Query::Words(h) if h.len() == 2));
        for bad in ["", "  ", "4x5", "1000", "99", "299", "6xx", "zzzzqqq"] {
            assert!(parse_query(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn wrap_keeps_words_and_width() {
        let lines = wrap("aaa bbb ccc ddd", 7);
        assert_eq!(lines, ["aaa bbb", "ccc ddd"]);
        assert!(wrap("", 10).is_empty());
    }
}
