//! The engine's module rule, held by reading the modules' `use` lines: the
//! HTTP/1.x driver never names the HTTP/2 driver and the HTTP/2 driver
//! never names the HTTP/1.x driver; the hand-over between them goes through
//! `h2c` (the bridge) and `connection` (the one place that runs both).

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

#[test]
fn the_drivers_never_import_each_other() {
    let h1 = imports(include_str!("../src/h1/conn.rs"));
    assert!(!h1.is_empty());
    assert!(
        !names(&h1, "h2::") && !names(&h1, "h2;") && !names(&h1, "h2}"),
        "{h1:?}"
    );
    for (file, source) in [
        ("h2/mod.rs", include_str!("../src/h2/mod.rs")),
        ("h2/stream.rs", include_str!("../src/h2/stream.rs")),
    ] {
        let uses = imports(source);
        assert!(!uses.is_empty(), "{file}");
        assert!(!names(&uses, "h1::conn"), "{file}: {uses:?}");
    }
}

#[test]
fn the_reader_sees_what_it_should() {
    let uses = imports("use crate::h2::{self, X};\nuse crate::{h1, h2};\nuse crate::a::{\n    b,\n    c,\n};\nuse std::io;\n");
    assert_eq!(uses.len(), 3);
    assert!(names(&uses, "h2::"));
    assert!(names(&uses, "h1"));
    assert!(!names(&uses, "h1::conn"));
}
