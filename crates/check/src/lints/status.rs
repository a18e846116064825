//! Rules about the status itself: one final response, in range, switched to
//! only on request, closing when it says so, and its reason phrase.

use teapot_codes::Status;

use super::{finding, source_of, Rule, Severity};

/// Every request gets exactly one final response; 1xx are interim only.
pub const FINAL_RESPONSE: Rule = Rule {
    id: "status.final-response",
    section: "RFC 9110 §15.2",
    doc: "Interim (1xx) responses are followed by a final response.",
    check: |cx| {
        let ex = cx.exchange;
        if ex.final_response.is_some() && ex.incomplete.is_none() {
            return Vec::new();
        }
        let why = ex
            .incomplete
            .clone()
            .unwrap_or_else(|| "no final response arrived".into());
        let message = if ex.final_response.is_none() && !ex.interim.is_empty() {
            let codes: Vec<String> = ex.interim.iter().map(|r| r.status.to_string()).collect();
            format!(
                "After the interim {} no final response came ({why}); a 1xx is never final.",
                codes.join(", ")
            )
        } else {
            format!("The response is incomplete: {why}.")
        };
        vec![finding(
            "status.final-response",
            Severity::Must,
            "RFC 9110 §15",
            message,
        )]
    },
};

/// Status codes are three digits from 100 to 599.
pub const STATUS_RANGE: Rule = Rule {
    id: "status.range",
    section: "RFC 9110 §15",
    doc: "The status code lies in 100..599.",
    check: |cx| {
        cx.exchange
            .interim
            .iter()
            .chain(cx.last())
            .filter(|r| Status::from_u16(r.status).is_err())
            .map(|r| {
                finding(
                    "status.range",
                    Severity::Must,
                    "RFC 9110 §15",
                    format!(
                        "{} is not a status code; clients treat it like a 5xx.",
                        r.status
                    ),
                )
            })
            .collect()
    },
};

/// A server switches only to a protocol the client offered.
pub const UNSOLICITED_SWITCH: Rule = Rule {
    id: "status.unsolicited-switch",
    section: "RFC 9110 §15.2.2",
    doc: "101 answers only a request that offered an upgrade, and names a protocol it offered.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        if r.status != 101 {
            return Vec::new();
        }
        let req = &cx.exchange.request;
        let Some(offered) = req.header("upgrade") else {
            return vec![finding(
                "status.unsolicited-switch",
                Severity::Must,
                "RFC 9110 §7.8",
                "The server switched protocols though the request offered no Upgrade.",
            )];
        };
        let offered: Vec<String> = offered
            .split(',')
            .map(|p| p.trim().to_ascii_lowercase())
            .collect();
        let chosen: Vec<String> = r
            .headers_named("upgrade")
            .flat_map(|v| v.split(','))
            .map(|p| p.trim().to_ascii_lowercase())
            .collect();
        if chosen.iter().all(|c| offered.contains(c)) {
            return Vec::new();
        }
        vec![finding(
            "status.unsolicited-switch",
            Severity::Must,
            "RFC 9110 §7.8",
            format!(
                "The server switched to {} but the request offered {}.",
                chosen.join(", "),
                offered.join(", ")
            ),
        )]
    },
};

/// A status whose definition closes the connection (408) does.
pub const CLOSES: Rule = Rule {
    id: "status.closes",
    section: "RFC 9112 §9.6",
    doc: "A response that ends the connection (408) says Connection: close and closes.",
    check: |cx| {
        let Some(r) = cx.last() else {
            return Vec::new();
        };
        let closes = Status::from_u16(r.status)
            .ok()
            .and_then(|s| s.entry())
            .is_some_and(|e| e.rules.closes());
        if closes && cx.exchange.reusable {
            return vec![finding(
                "status.closes",
                Severity::Should,
                source_of(r.status),
                format!(
                    "A {} means the server is giving up on the connection, but it stayed open.",
                    r.status
                ),
            )];
        }
        Vec::new()
    },
};

/// The reason phrase is advisory; a different one is worth a note.
pub const REASON: Rule = Rule {
    id: "status.reason-phrase",
    section: "RFC 9112 §4",
    doc: "The reason phrase is the registry's (information only: clients ignore it).",
    check: |cx| {
        cx.exchange
            .interim
            .iter()
            .chain(cx.last())
            .filter_map(|r| {
                let entry = Status::from_u16(r.status).ok()?.entry()?;
                let known = r.reason == entry.reason || entry.iana_reason == Some(r.reason.as_str());
                (!known && r.version.starts_with("HTTP/1")).then(|| {
                    finding(
                        "status.reason-phrase",
                        Severity::Info,
                        entry.source.to_string(),
                        format!("The reason phrase {:?} differs from {:?}; clients should ignore it anyway.", r.reason, entry.reason),
                    )
                })
            })
            .collect()
    },
};

#[cfg(test)]
mod tests {
    use super::super::testing::{exchange, ids, response, DATE};

    #[test]
    fn interim_without_final() {
        let mut ex = exchange("GET", &[], response(200, &[DATE], "x"));
        ex.final_response = None;
        ex.interim.push(response(102, &[], ""));
        ex.incomplete = Some("closed".into());
        assert_eq!(ids(&ex), ["status.final-response"]);
    }

    #[test]
    fn switch_only_when_offered() {
        let r = || {
            response(
                101,
                &[("Upgrade", "websocket"), ("Connection", "upgrade")],
                "",
            )
        };
        assert_eq!(
            ids(&exchange("GET", &[], r())),
            ["status.unsolicited-switch"]
        );
        assert!(ids(&exchange("GET", &[("Upgrade", "websocket")], r())).is_empty());
        assert_eq!(
            ids(&exchange("GET", &[("Upgrade", "h2c")], r())),
            ["status.unsolicited-switch"]
        );
    }

    #[test]
    fn a_408_that_stays_open() {
        let ex = exchange(
            "GET",
            &[],
            response(408, &[DATE, ("Connection", "close")], "x"),
        );
        assert_eq!(ids(&ex), ["status.closes"]);
    }

    #[test]
    fn reason_phrases() {
        let mut r = response(404, &[DATE], "x");
        r.reason = "Nope".into();
        assert_eq!(ids(&exchange("GET", &[], r)), ["status.reason-phrase"]);
        let mut r = response(413, &[DATE], "x");
        r.reason = "Content Too Large".into();
        assert!(
            ids(&exchange("GET", &[], r)).is_empty(),
            "the IANA name is fine"
        );
        let r = response(799, &[DATE], "x");
        assert_eq!(ids(&exchange("GET", &[], r)), ["status.range"]);
    }
}
