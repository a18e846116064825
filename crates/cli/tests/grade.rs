//! `teapot grade` as a process, with curl as the client (installed by
//! scripts/test) and with clients that break a rule on purpose.

use assert_cmd::Command;
use predicates::prelude::*;

fn grade(client: &str, only: &str) -> (Option<i32>, serde_json::Value) {
    let out = Command::cargo_bin("teapot")
        .unwrap()
        .args([
            "grade",
            "--json",
            "--timeout",
            "10",
            "--client",
            client,
            "--only",
            only,
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let card = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), card)
}

fn verdicts(card: &serde_json::Value) -> Vec<(String, String)> {
    card.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["scenario"].as_str().unwrap().to_string(),
                l["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn curl_passes_what_it_does_right() {
    let (code, card) = grade(
        "curl -sS -X {method} -d teapot {url}",
        "interim-100,interim-102,interim-103,retry-503-post,truncated,no-content-204",
    );
    assert_eq!(code, Some(0), "{card:#}");
    assert!(verdicts(&card).iter().all(|(_, v)| v == "pass"), "{card:#}");
}

#[test]
fn a_client_that_breaks_a_rule_fails_it() {
    // Takes a truncated body as success.
    let (code, card) = grade("curl -s {url}; exit 0", "truncated");
    assert_eq!(code, Some(1));
    assert_eq!(
        verdicts(&card),
        [("truncated".to_string(), "fail".to_string())]
    );
    // Keeps POST after a 303 (curl's -X outranks the redirect rule).
    let (_, card) = grade(
        "curl -sS -L -X {method} -d teapot {url}",
        "redirect-303,redirect-307",
    );
    assert_eq!(
        verdicts(&card),
        [
            ("redirect-303".to_string(), "fail".to_string()),
            ("redirect-307".to_string(), "pass".to_string())
        ]
    );
    // Makes no request at all.
    let (code, card) = grade("true", "interim-102");
    assert_eq!(code, Some(1));
    assert_eq!(card[0]["did"], "made no request");
}

#[test]
fn an_unknown_scenario_is_a_usage_error() {
    Command::cargo_bin("teapot")
        .unwrap()
        .args(["grade", "--client", "true", "--only", "no-such"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such"));
}
