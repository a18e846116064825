//! The engine's module rule, held by reading the modules' `use` lines: the
//! exchange names no protocol; the HTTP/1.x driver never names the HTTP/2
//! driver and the HTTP/2 driver never names the HTTP/1.x driver or the
//! bridge. The hand-over goes through `h2c` (the bridge, which names
//! neither driver's connection code) and `connection` (the one place that
//! runs both).

/// The `crate::…` paths a source file imports, one per `use` item.
fn imports(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut statement = String::new();
    for line in source.lines() {
        let line = line.trim();
        if statement.is_empty() && !line.starts_with("use crate") {
            continue;
        }
        statement.push_str(line);
        if line.ends_with(';') {
            out.push(statement.replace(' ', ""));
            statement.clear();
        }
    }
    out
}

fn names(uses: &[String], module: &str) -> bool {
    uses.iter().any(|u| {
        u.starts_with(&format!("usecrate::{module}"))
            || u.contains(&format!("{{{module}"))
            || u.contains(&format!(",{module}"))
    })
}

fn names_any(uses: &[String], modules: &[&str]) -> Option<String> {
    modules
        .iter()
        .find(|m| {
            names(uses, &format!("{m}::"))
                || names(uses, &format!("{m};"))
                || names(uses, &format!("{m}}}"))
                || names(uses, &format!("{m},"))
        })
        .map(|m| m.to_string())
}

/// The exchange names no protocol: it reaches the wire only through the
/// `Wire` trait the drivers implement.
#[test]
fn the_exchange_names_no_protocol() {
    for (file, source) in [
        ("exchange/mod.rs", include_str!("../src/exchange/mod.rs")),
        (
            "exchange/answer.rs",
            include_str!("../src/exchange/answer.rs"),
        ),
        ("exchange/body.rs", include_str!("../src/exchange/body.rs")),
        (
            "exchange/rewind.rs",
            include_str!("../src/exchange/rewind.rs"),
        ),
        ("exchange/wire.rs", include_str!("../src/exchange/wire.rs")),
    ] {
        let uses = imports(source);
        assert_eq!(
            names_any(&uses, &["h1", "h2", "h2c"]),
            None,
            "{file}: {uses:?}"
        );
    }
}

/// HTTP/1 never names HTTP/2, and HTTP/2 names neither HTTP/1 nor the
/// bridge; the bridge names no driver's connection code.
#[test]
fn the_drivers_never_import_each_other() {
    for (file, source) in [
        ("h1/conn.rs", include_str!("../src/h1/conn.rs")),
        ("h1/wire.rs", include_str!("../src/h1/wire.rs")),
        ("h1/encode.rs", include_str!("../src/h1/encode.rs")),
        ("h1/decode.rs", include_str!("../src/h1/decode.rs")),
        ("h1/client.rs", include_str!("../src/h1/client.rs")),
    ] {
        let uses = imports(source);
        assert_eq!(names_any(&uses, &["h2"]), None, "{file}: {uses:?}");
    }
    for (file, source) in [
        ("h2/mod.rs", include_str!("../src/h2/mod.rs")),
        ("h2/stream.rs", include_str!("../src/h2/stream.rs")),
    ] {
        let uses = imports(source);
        assert!(!uses.is_empty(), "{file}");
        assert_eq!(names_any(&uses, &["h1", "h2c"]), None, "{file}: {uses:?}");
    }
    let bridge = imports(include_str!("../src/h2c.rs"));
    assert_eq!(
        names_any(&bridge, &["h2", "h1::conn"]),
        None,
        "h2c.rs: {bridge:?}"
    );
}

#[test]
fn the_reader_sees_what_it_should() {
    let uses = imports("use crate::h2::{self, X};\nuse crate::{h1, h2};\nuse crate::a::{\n    b,\n    c,\n};\nuse std::io;\n");
    assert_eq!(uses.len(), 3);
    assert!(names(&uses, "h2::"));
    assert!(names(&uses, "h1"));
    assert!(!names(&uses, "h1::conn"));
}
