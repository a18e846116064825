//! The lint rules. Each has an id, the RFC section it enforces, a sentence
//! saying what it checks, and a function from the recorded exchange to its
//! findings. Rules about what a status requires read the registry's wire
//! rules, the same data the server builds its answers from.

mod cors;
pub mod examples;
mod fields;
mod framing;
mod headers;
mod status;
mod syntax;

use serde::Serialize;
use teapot_codes::Status;

use crate::exchange::{Exchange, Response};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// A MUST (or MUST NOT) of the specification is broken.
    Must,
    /// A SHOULD is not followed.
    Should,
    /// Worth knowing; breaks nothing.
    Info,
}

impl Severity {
    /// As printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Must => "MUST",
            Severity::Should => "SHOULD",
            Severity::Info => "INFO",
        }
    }
}

/// One place where the response breaks a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: &'static str,
    /// How serious.
    pub severity: Severity,
    /// Where the rule is written, e.g. `RFC 9110 §15.5.6`.
    pub source: String,
    /// What is wrong and what to do, in a sentence.
    pub message: String,
    /// The cited section on the RFC Editor's site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The offending bytes as received (a field line), when one is to
    /// blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

impl Finding {
    /// The finding, pointing at the field line `name: value`.
    pub fn at_field(mut self, name: &str, value: &str) -> Finding {
        self.evidence = Some(format!("{name}: {value}"));
        self
    }
}

/// What a rule looks at.
pub struct Context<'a> {
    /// The exchange.
    pub exchange: &'a Exchange,
    /// For a 304: the unconditional 200 fetched to compare with, if any.
    pub reference: Option<&'a Response>,
}

impl Context<'_> {
    /// The final response, if there is one.
    pub fn last(&self) -> Option<&Response> {
        self.exchange.final_response.as_ref()
    }
}

/// A lint rule.
pub struct Rule {
    /// A stable id, used in output and `--json`: a family (`status`,
    /// `framing`, `syntax`, `field`, `cache`, `cookie`, `cors`, `probe`)
    /// and a name.
    pub id: &'static str,
    /// Where the rule is written (`RFC 9110 §8.8.3`).
    pub section: &'static str,
    /// What it checks, in a sentence.
    pub doc: &'static str,
    /// The check.
    pub check: fn(&Context<'_>) -> Vec<Finding>,
}

/// Every rule, in the order findings are reported.
pub static RULES: &[Rule] = &[
    status::FINAL_RESPONSE,
    status::STATUS_RANGE,
    framing::NO_CONTENT_FIELDS,
    framing::STRAY_CONTENT,
    framing::LENGTH_MISMATCH,
    framing::LENGTH_AND_CHUNKED,
    framing::INVALID_FRAMING,
    framing::CONTENT_LENGTH_VALUE,
    framing::EMPTY_CONTENT,
    framing::UNREQUESTED_TRANSFER_CODING,
    syntax::BARE_LF,
    syntax::OBS_FOLD,
    syntax::SPACE_BEFORE_COLON,
    headers::DATE,
    headers::REQUIRED,
    headers::ALLOW,
    headers::CONTENT_RANGE_206,
    headers::CONTENT_RANGE_416,
    headers::RETRY_AFTER,
    headers::NOT_MODIFIED,
    fields::ETAG,
    fields::LAST_MODIFIED,
    fields::EXPIRES,
    fields::CACHE_CONTROL,
    fields::VARY_STAR,
    fields::HEURISTIC,
    fields::AGE,
    fields::CONTENT_TYPE,
    fields::ACCEPT_RANGES,
    fields::SET_COOKIE,
    fields::UNASKED,
    fields::ALLOW_SYNTAX,
    fields::LOCATION_SYNTAX,
    fields::CHALLENGE_SYNTAX,
    fields::DEPRECATED,
    fields::CREATED_BY_SAFE,
    fields::UNASKED_CONTINUE,
    fields::UPGRADE_SYNTAX,
    fields::LINK_SYNTAX,
    fields::AUTHENTICATED_SHARED,
    fields::DATE_SKEW,
    cors::ALLOW_ORIGIN_SYNTAX,
    cors::ALLOW_CREDENTIALS,
    cors::PREFLIGHT,
    status::UNSOLICITED_SWITCH,
    status::CLOSES,
    status::REASON,
    crate::probes::CONDITIONAL,
    crate::probes::RANGE,
    crate::probes::CODING,
    crate::probes::HEAD,
];

/// Runs every rule. A finding that names no evidence of its own gets the
/// lines of the fields its rule reads, as received (or the status line,
/// for the rules about it).
pub fn lint(cx: &Context<'_>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = RULES.iter().flat_map(|r| (r.check)(cx)).collect();
    if let Some(r) = cx.last() {
        for f in findings.iter_mut().filter(|f| f.evidence.is_none()) {
            f.evidence = evidence(f.rule, r);
        }
    }
    findings
}

/// The fields each rule reads, for its evidence; `:status` stands for the
/// status line. Rules about what is missing or about the whole exchange
/// have none.
fn fields_read(rule: &str) -> &'static [&'static str] {
    match rule {
        "status.range"
        | "status.reason-phrase"
        | "status.deprecated"
        | "status.unasked"
        | "status.201-safe-method" => &[":status"],
        "framing.no-content-fields" => &["Content-Length", "Transfer-Encoding"],
        "framing.length-mismatch" | "framing.content-length-syntax" => &["Content-Length"],
        "framing.length-and-transfer-encoding" => &["Content-Length", "Transfer-Encoding"],
        "framing.unrequested-transfer-coding" | "framing.invalid" => &["Transfer-Encoding"],
        "status.405-allow" | "field.allow" => &["Allow"],
        "status.206-content-range" | "status.416-content-range" => &["Content-Range"],
        "field.retry-after" => &["Retry-After"],
        "field.etag" => &["ETag"],
        "field.last-modified" => &["Last-Modified", "Date"],
        "cache.expires" => &["Expires"],
        "cache.cache-control-syntax" | "cache.authenticated-shared" => &["Cache-Control"],
        "cache.vary-star" => &["Vary"],
        "cache.age" => &["Age"],
        "field.content-type" => &["Content-Type"],
        "field.accept-ranges" => &["Accept-Ranges"],
        "cookie.set-cookie-syntax" => &["Set-Cookie"],
        "field.location" => &["Location"],
        "field.challenge" => &["WWW-Authenticate", "Proxy-Authenticate"],
        "field.upgrade-syntax" | "status.unsolicited-switch" => &["Upgrade"],
        "field.link-syntax" => &["Link"],
        "field.date-skew" => &["Date"],
        "cors.allow-origin-syntax" => &["Access-Control-Allow-Origin"],
        "cors.allow-credentials" => &[
            "Access-Control-Allow-Credentials",
            "Access-Control-Allow-Origin",
        ],
        "cors.preflight" => &[
            "Access-Control-Allow-Origin",
            "Access-Control-Allow-Methods",
            "Access-Control-Allow-Headers",
        ],
        "status.closes" => &["Connection"],
        _ => &[],
    }
}

/// The lines of the fields `rule` reads, one per line, as received.
fn evidence(rule: &str, r: &Response) -> Option<String> {
    let mut lines = Vec::new();
    for name in fields_read(rule) {
        if *name == ":status" {
            lines.push(
                format!("{} {} {}", r.version, r.status, r.reason)
                    .trim_end()
                    .to_string(),
            );
            continue;
        }
        for (n, v) in r
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            lines.push(format!("{n}: {v}"));
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The RFC Editor's address of a section cited as `RFC 9110 §8.8.3` (the
/// first one, when several are cited).
pub fn section_url(section: &str) -> Option<String> {
    // The one citation that is not an RFC: the Fetch standard's CORS
    // response fields.
    if section.trim().starts_with("Fetch §3.2.3") {
        return Some("https://fetch.spec.whatwg.org/#http-responses".to_string());
    }
    let rest = section.trim().strip_prefix("RFC ")?;
    let (number, place) = rest.split_once(" §")?;
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let place: String = place
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let place = place.trim_end_matches('.');
    Some(format!(
        "https://www.rfc-editor.org/rfc/rfc{number}#section-{place}"
    ))
}

/// A team's levels for rules, as clippy's `allow` and `deny`: an allowed
/// rule's findings are dropped, a denied rule's are raised to MUST.
#[derive(Clone, Debug, Default)]
pub struct Levels {
    allow: Vec<&'static str>,
    deny: Vec<&'static str>,
}

impl Levels {
    /// Levels from rule ids; an id no rule has is an error naming it.
    pub fn new(allow: &[String], deny: &[String]) -> Result<Levels, String> {
        let known = |id: &String| {
            rule(id)
                .map(|r| r.id)
                .ok_or_else(|| format!("there is no rule {id:?} (teapot check --rules lists them)"))
        };
        let allow = allow.iter().map(known).collect::<Result<Vec<_>, _>>()?;
        let deny = deny.iter().map(known).collect::<Result<Vec<_>, _>>()?;
        if let Some(both) = allow.iter().find(|a| deny.contains(a)) {
            return Err(format!("{both} is both allowed and denied"));
        }
        Ok(Levels { allow, deny })
    }

    /// Applies the levels to findings.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !self.allow.contains(&f.rule));
        for f in findings.iter_mut() {
            if self.deny.contains(&f.rule) {
                f.severity = Severity::Must;
            }
        }
    }
}

/// A finding for `rule`.
pub(crate) fn finding(
    rule: &'static str,
    severity: Severity,
    source: impl Into<String>,
    message: impl Into<String>,
) -> Finding {
    let source = source.into();
    Finding {
        rule,
        severity,
        link: section_url(&source),
        source,
        message: message.into(),
        evidence: None,
    }
}

/// The registry's citation for a status, or RFC 9110 §15 for an
/// unregistered one.
pub(crate) fn source_of(code: u16) -> String {
    Status::from_u16(code)
        .ok()
        .and_then(|s| s.entry())
        .map_or_else(|| "RFC 9110 §15".to_string(), |e| e.source.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(rule: &'static str, severity: Severity) -> Finding {
        finding(rule, severity, "RFC 9110", "x")
    }

    #[test]
    fn every_rule_id_is_once() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(RULES.iter().all(|r| !r.doc.is_empty()));
        for r in RULES {
            assert!(section_url(r.section).is_some(), "{}: {}", r.id, r.section);
            let family = r.id.split('.').next().unwrap();
            assert!(
                ["status", "framing", "syntax", "field", "cache", "cookie", "cors", "probe"]
                    .contains(&family)
                    && r.id.contains('.'),
                "{}",
                r.id
            );
        }
        assert_eq!(
            section_url("RFC 9110 §8.8.3").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc9110#section-8.8.3")
        );
        assert_eq!(
            section_url("RFC 9110 §8.6, RFC 9112 §6.1").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc9110#section-8.6")
        );
    }

    #[test]
    fn allowed_rules_go_and_denied_ones_become_must() {
        let levels = Levels::new(
            &["status.reason-phrase".into()],
            &["cache.vary-star".into()],
        )
        .unwrap();
        let mut findings = vec![
            f("status.reason-phrase", Severity::Info),
            f("cache.vary-star", Severity::Info),
            f("field.date", Severity::Must),
        ];
        levels.apply(&mut findings);
        assert_eq!(
            findings
                .iter()
                .map(|f| (f.rule, f.severity))
                .collect::<Vec<_>>(),
            [
                ("cache.vary-star", Severity::Must),
                ("field.date", Severity::Must)
            ]
        );
        assert!(Levels::new(&["no-such-rule".into()], &[])
            .unwrap_err()
            .contains("no-such-rule"));
        assert!(Levels::new(&["field.date".into()], &["field.date".into()]).is_err());
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Exchanges made up for rule tests.

    use crate::exchange::Exchange;

    pub(crate) use super::examples::{bare_response, exchange, response, DATE};
    /// The rules an exchange breaks, the note on heuristic freshness
    /// aside (nearly every made-up 200 here would get it).
    pub fn ids(ex: &Exchange) -> Vec<&'static str> {
        all_ids(ex)
            .into_iter()
            .filter(|id| *id != "cache.heuristic-freshness")
            .collect()
    }

    /// Every rule an exchange breaks.
    pub fn all_ids(ex: &Exchange) -> Vec<&'static str> {
        let cx = super::Context {
            exchange: ex,
            reference: None,
        };
        super::lint(&cx).iter().map(|f| f.rule).collect()
    }
}
