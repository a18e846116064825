//! Findings as SARIF 2.1.0 (OASIS), the format CI systems read to annotate
//! a run: one run of the tool `teapot check`, its rules, and a result per
//! finding, located at the URL whose answer broke the rule.

use serde_json::{json, Value};

use crate::lints::{section_url, Finding, Severity, RULES};

/// SARIF's level for a severity: a MUST is an error, a SHOULD a warning.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Must => "error",
        Severity::Should => "warning",
        Severity::Info => "note",
    }
}

/// The SARIF log of findings, each with the URL it was found at.
pub fn log<'a>(findings: impl IntoIterator<Item = (&'a str, &'a Finding)>) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let mut rule = json!({
                "id": r.id,
                "shortDescription": { "text": r.doc },
                "properties": { "section": r.section },
            });
            if let Some(url) = section_url(r.section) {
                rule["helpUri"] = json!(url);
            }
            rule
        })
        .collect();
    let results: Vec<Value> = findings
        .into_iter()
        .map(|(url, f)| {
            let mut result = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": format!("{} ({})", f.message, f.source) },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": url } }
                }],
            });
            if let Some(i) = RULES.iter().position(|r| r.id == f.rule) {
                result["ruleIndex"] = json!(i);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "teapot check",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://www.rfc-editor.org/rfc/rfc9110",
                    "rules": rules,
                }
            },
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lints::Finding;

    #[test]
    fn a_finding_is_a_result_of_its_rule() {
        let f = Finding {
            rule: "field.etag",
            severity: Severity::Must,
            source: "RFC 9110 §8.8.3".into(),
            message: "ETag \"abc\" is not an entity-tag.".into(),
            link: None,
            evidence: Some("ETag: abc".into()),
        };
        let log = log([("http://t/x", &f)]);
        let run = &log["runs"][0];
        assert_eq!(log["version"], "2.1.0");
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "field.etag");
        assert_eq!(result["level"], "error");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "field.etag");
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "http://t/x"
        );
        assert_eq!(
            run["tool"]["driver"]["rules"][index]["helpUri"],
            "https://www.rfc-editor.org/rfc/rfc9110#section-8.8.3"
        );
    }
}
