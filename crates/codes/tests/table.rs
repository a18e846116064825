//! The registry checked as data: against our user's table, the RFC sections
//! that define each code, and the wire rules later work depends on.

use teapot_codes::{
    by_class, entries, lookup, Action, Caching, Class, Connection, Content, Level, Standing,
    Status, TABLE,
};

/// Our user's table: every code the platform supports, with the reason
/// phrase it uses. Written out here so that a change to the registry cannot
/// silently change it.
const USER_TABLE: &[(u16, &str)] = &[
    (100, "Continue"),
    (101, "Switching Protocols"),
    (102, "Processing"),
    (200, "OK"),
    (201, "Created"),
    (202, "Accepted"),
    (203, "Non-Authoritative Information"),
    (204, "No Content"),
    (205, "Reset Content"),
    (206, "Partial Content"),
    (207, "Multi-Status"),
    (208, "Already Reported"),
    (226, "IM Used"),
    (300, "Multiple Choices"),
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (304, "Not Modified"),
    (305, "Use Proxy"),
    (306, "(Unused)"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (402, "Payment Required"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (406, "Not Acceptable"),
    (407, "Proxy Authentication Required"),
    (408, "Request Timeout"),
    (409, "Conflict"),
    (410, "Gone"),
    (411, "Length Required"),
    (412, "Precondition Failed"),
    (413, "Payload Too Large"),
    (414, "URI Too Long"),
    (415, "Unsupported Media Type"),
    (416, "Range Not Satisfiable"),
    (417, "Expectation Failed"),
    (422, "Unprocessable Entity"),
    (423, "Locked"),
    (424, "Failed Dependency"),
    (426, "Upgrade Required"),
    (428, "Precondition Required"),
    (429, "Too Many Requests"),
    (431, "Request Header Fields Too Large"),
    (500, "Internal Server Error"),
    (501, "Not Implemented"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Timeout"),
    (505, "HTTP Version Not Supported"),
    (506, "Variant Also Negotiates"),
    (507, "Insufficient Storage"),
    (508, "Loop Detected"),
    (510, "Not Extended"),
    (511, "Network Authentication Required"),
];

/// Registered codes outside our user's table that the registry also holds.
const OUTSIDE: &[(u16, &str)] = &[
    (103, "Early Hints"),
    (418, "I'm a teapot"),
    (421, "Misdirected Request"),
    (425, "Too Early"),
    (451, "Unavailable For Legal Reasons"),
];

/// The defining document and section of every registered code.
const SOURCES: &[(u16, u16, &str)] = &[
    (100, 9110, "15.2.1"),
    (101, 9110, "15.2.2"),
    (102, 2518, "10.1"),
    (103, 8297, "2"),
    (200, 9110, "15.3.1"),
    (201, 9110, "15.3.2"),
    (202, 9110, "15.3.3"),
    (203, 9110, "15.3.4"),
    (204, 9110, "15.3.5"),
    (205, 9110, "15.3.6"),
    (206, 9110, "15.3.7"),
    (207, 4918, "11.1"),
    (208, 5842, "7.1"),
    (226, 3229, "10.4.1"),
    (300, 9110, "15.4.1"),
    (301, 9110, "15.4.2"),
    (302, 9110, "15.4.3"),
    (303, 9110, "15.4.4"),
    (304, 9110, "15.4.5"),
    (305, 9110, "15.4.6"),
    (306, 9110, "15.4.7"),
    (307, 9110, "15.4.8"),
    (308, 9110, "15.4.9"),
    (400, 9110, "15.5.1"),
    (401, 9110, "15.5.2"),
    (402, 9110, "15.5.3"),
    (403, 9110, "15.5.4"),
    (404, 9110, "15.5.5"),
    (405, 9110, "15.5.6"),
    (406, 9110, "15.5.7"),
    (407, 9110, "15.5.8"),
    (408, 9110, "15.5.9"),
    (409, 9110, "15.5.10"),
    (410, 9110, "15.5.11"),
    (411, 9110, "15.5.12"),
    (412, 9110, "15.5.13"),
    (413, 9110, "15.5.14"),
    (414, 9110, "15.5.15"),
    (415, 9110, "15.5.16"),
    (416, 9110, "15.5.17"),
    (417, 9110, "15.5.18"),
    (418, 9110, "15.5.19"),
    (421, 9110, "15.5.20"),
    (422, 9110, "15.5.21"),
    (423, 4918, "11.3"),
    (424, 4918, "11.4"),
    (425, 8470, "5.2"),
    (426, 9110, "15.5.22"),
    (428, 6585, "3"),
    (429, 6585, "4"),
    (431, 6585, "5"),
    (451, 7725, "3"),
    (500, 9110, "15.6.1"),
    (501, 9110, "15.6.2"),
    (502, 9110, "15.6.3"),
    (503, 9110, "15.6.4"),
    (504, 9110, "15.6.5"),
    (505, 9110, "15.6.6"),
    (506, 2295, "8.1"),
    (507, 4918, "11.5"),
    (508, 5842, "7.2"),
    (510, 2774, "7"),
    (511, 6585, "6"),
];

#[test]
fn user_table_is_exactly_the_in_table_entries() {
    assert_eq!(USER_TABLE.len(), 58);
    let in_table: Vec<(u16, &str)> = entries()
        .filter(|e| e.in_table)
        .map(|e| (e.code, e.reason))
        .collect();
    assert_eq!(in_table, USER_TABLE);
}

#[test]
fn codes_outside_the_table_are_registered_and_marked() {
    for &(code, reason) in OUTSIDE {
        let e = lookup(code).unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!(e.reason, reason);
        assert!(!e.in_table, "{code} is not in our user's table");
    }
    assert_eq!(TABLE.len(), USER_TABLE.len() + OUTSIDE.len());
    assert_eq!(lookup(418).unwrap().standing, Standing::Reserved);
}

#[test]
fn every_entry_cites_its_defining_section() {
    assert_eq!(SOURCES.len(), TABLE.len());
    for &(code, rfc, section) in SOURCES {
        let e = lookup(code).unwrap();
        assert_eq!((e.source.rfc, e.source.section), (rfc, section), "{code}");
        assert!(e
            .source
            .url()
            .ends_with(&format!("rfc{rfc}#section-{section}")));
    }
}

#[test]
fn iana_names_are_kept_where_they_differ() {
    assert_eq!(lookup(413).unwrap().iana_reason, Some("Content Too Large"));
    assert_eq!(
        lookup(422).unwrap().iana_reason,
        Some("Unprocessable Content")
    );
    assert_eq!(
        lookup(510).unwrap().iana_reason,
        Some("Not Extended (OBSOLETED)")
    );
    assert_eq!(lookup(404).unwrap().iana_reason, None);
}

#[test]
fn table_is_sorted_unique_and_complete_in_its_text() {
    for pair in TABLE.windows(2) {
        assert!(
            pair[0].code < pair[1].code,
            "{} then {}",
            pair[0].code,
            pair[1].code
        );
    }
    for e in entries() {
        assert!(Status::from_u16(e.code).is_ok());
        assert!(!e.reason.is_empty());
        assert!(
            e.summary.len() > 10 && e.summary.len() <= 80,
            "{}: summary",
            e.code
        );
        assert!(
            e.description.len() > e.summary.len(),
            "{}: description",
            e.code
        );
        assert!(!e.description.contains("  "), "{}: double space", e.code);
        for h in e.rules.headers {
            assert!(!h.name.is_empty() && !h.why.is_empty());
        }
    }
}

#[test]
fn every_code_round_trips_through_lookup() {
    for n in 100..=599u16 {
        let s = Status::from_u16(n).unwrap();
        match lookup(n) {
            Some(e) => {
                assert_eq!(e.code, n);
                assert_eq!(s.reason(), e.reason);
            }
            None => assert_eq!(s.reason(), s.class().generic_reason()),
        }
    }
}

#[test]
fn classes_partition_the_table() {
    let total: usize = Class::ALL.iter().map(|&c| by_class(c).count()).sum();
    assert_eq!(total, TABLE.len());
    assert!(by_class(Class::Informational).all(|e| e.code / 100 == 1));
    assert_eq!(by_class(Class::Informational).count(), 4);
}

#[test]
fn no_content_codes() {
    for code in [100, 101, 102, 103, 204, 304] {
        assert_eq!(
            lookup(code).unwrap().rules.content,
            Content::Never,
            "{code}"
        );
        assert!(!Status::from_u16(code).unwrap().allows_content());
    }
    assert_eq!(lookup(205).unwrap().rules.content, Content::Empty);
    let allowed = entries()
        .filter(|e| e.rules.content == Content::Allowed)
        .count();
    assert_eq!(allowed, TABLE.len() - 7);
}

#[test]
fn required_headers() {
    let must = |code: u16, name: &str| {
        assert_eq!(
            lookup(code).unwrap().rules.header(name),
            Some(Level::Must),
            "{code} {name}"
        )
    };
    must(101, "Upgrade");
    must(101, "connection");
    must(401, "WWW-Authenticate");
    must(405, "Allow");
    must(407, "Proxy-Authenticate");
    must(206, "Content-Range");
    must(426, "Upgrade");
    must(426, "Connection");
    must(226, "ETag");
    let level = |code: u16, name: &str| lookup(code).unwrap().rules.header(name);
    assert_eq!(level(416, "Content-Range"), Some(Level::Should));
    assert_eq!(level(429, "Retry-After"), Some(Level::May));
    assert_eq!(level(503, "Retry-After"), Some(Level::May));
    assert_eq!(level(304, "ETag"), Some(Level::Should));
    // RFC 9110 §15.4: every redirect with a target names it in Location,
    // at the same level (SHOULD).
    for code in [201, 301, 302, 303, 307, 308] {
        assert_eq!(level(code, "Location"), Some(Level::Should), "{code}");
    }
    assert_eq!(level(404, "Allow"), None);
    let required: Vec<&str> = lookup(101)
        .unwrap()
        .rules
        .required_headers()
        .map(|h| h.name)
        .collect();
    assert_eq!(required, ["Upgrade", "Connection"]);
}

#[test]
fn connection_effects() {
    assert!(lookup(408).unwrap().rules.closes());
    assert_eq!(lookup(101).unwrap().rules.connection, Connection::Switch);
    let others = entries()
        .filter(|e| e.rules.connection == Connection::Keep)
        .count();
    assert_eq!(others, TABLE.len() - 2);
}

#[test]
fn caching() {
    let heuristic: Vec<u16> = entries()
        .filter(|e| e.rules.caching == Caching::Heuristic)
        .map(|e| e.code)
        .collect();
    assert_eq!(
        heuristic,
        [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 451, 501]
    );
    for code in [428, 429, 431, 511, 100, 102] {
        assert_eq!(
            lookup(code).unwrap().rules.caching,
            Caching::Never,
            "{code}"
        );
    }
}

#[test]
fn client_actions() {
    let action = |code: u16| lookup(code).unwrap().rules.action;
    assert_eq!(action(303), Action::FollowWithGet);
    assert_eq!(action(307), Action::FollowSameMethod);
    assert_eq!(action(308), Action::FollowSameMethod);
    assert_eq!(action(301), Action::FollowMayUseGet);
    assert_eq!(action(401), Action::Authenticate);
    assert_eq!(action(407), Action::ProxyAuthenticate);
    assert_eq!(action(429), Action::RetryAfter);
    assert_eq!(action(503), Action::RetryAfter);
    assert_eq!(action(404), Action::DoNotRetry);
    for code in [100, 102, 103] {
        assert_eq!(action(code), Action::AwaitFinal);
    }
}

#[test]
fn standings() {
    let standing = |code: u16| lookup(code).unwrap().standing;
    assert_eq!(standing(305), Standing::Deprecated);
    assert_eq!(standing(306), Standing::Unused);
    assert_eq!(standing(510), Standing::Obsoleted);
    assert_eq!(standing(200), Standing::Active);
}

/// The named constants are the table's: one per entry, in its order, each
/// named after the entry's reason phrase (apostrophes dropped, every other
/// run of non-alphanumerics an underscore, upper case).
#[test]
fn named_constants_come_from_the_table() {
    let name = |reason: &str| {
        let mut out = String::new();
        for c in reason.chars().filter(|c| *c != '\'') {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_uppercase());
            } else if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.trim_end_matches('_').to_string()
    };
    let entries: Vec<_> = teapot_codes::entries().collect();
    assert_eq!(teapot_codes::NAMED.len(), entries.len());
    for (entry, (status, named)) in entries.iter().zip(teapot_codes::NAMED) {
        assert_eq!(status.as_u16(), entry.code, "{named}");
        assert_eq!(*named, name(entry.reason), "{}", entry.code);
    }
    assert_eq!(teapot_codes::Status::IM_A_TEAPOT.as_u16(), 418);
    assert_eq!(teapot_codes::Status::PAYLOAD_TOO_LARGE.as_u16(), 413);
}
