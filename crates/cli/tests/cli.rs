//! The real `teapot` binary, run for each form of `explain` and `list`.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn teapot() -> Command {
    let mut cmd = Command::cargo_bin("teapot").unwrap();
    cmd.env_remove("NO_COLOR").env("TERM", "xterm");
    cmd
}

fn json_of(args: &[&str]) -> Value {
    let out = teapot()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("valid JSON")
}

#[test]
fn explain_code() {
    teapot()
        .args(["explain", "405"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("405 Method Not Allowed\n"))
        .stdout(predicate::str::contains("RFC 9110 §15.5.6"))
        .stdout(predicate::str::contains("MUST Allow"))
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn explain_shows_the_iana_name_where_it_differs() {
    teapot()
        .args(["explain", "413"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("413 Payload Too Large\n"))
        .stdout(predicate::str::contains("Content Too Large"));
}

#[test]
fn explain_class() {
    let out = teapot()
        .args(["explain", "5xx"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("5xx Server Error\n"));
    let codes: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["500", "501", "502", "503", "504", "505", "506", "507", "508", "510", "511"]
    );
}

#[test]
fn explain_word_with_several_matches_lists_them_all() {
    teapot()
        .args(["explain", "gateway"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("2 codes match:\n"))
        .stdout(predicate::str::contains("502  Bad Gateway"))
        .stdout(predicate::str::contains("504  Gateway Timeout"));
}

#[test]
fn explain_words_are_joined() {
    teapot()
        .args(["explain", "gateway", "TIMEOUT"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("504 Gateway Timeout\n"));
}

#[test]
fn explain_json_for_a_code_is_an_object() {
    let v = json_of(&["explain", "418", "--json"]);
    assert_eq!(v["code"], 418);
    assert_eq!(v["reason"], "I'm a teapot");
    assert_eq!(v["in_table"], false);
    assert_eq!(
        v["spec"]["url"],
        "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.19"
    );
    let v = json_of(&["explain", "401", "--json"]);
    assert_eq!(v["rules"]["headers"][0]["name"], "WWW-Authenticate");
    assert_eq!(v["rules"]["headers"][0]["level"], "MUST");
    assert_eq!(v["rules"]["action"], "authenticate");
}

#[test]
fn explain_json_for_a_class_or_words_is_an_array() {
    let v = json_of(&["explain", "1xx", "--json"]);
    let codes: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [100, 101, 102, 103]);
    let v = json_of(&["explain", "--json", "too", "large"]);
    let codes: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [413, 431]);
}

#[test]
fn list_groups_by_class() {
    let out = teapot()
        .arg("list")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .collect();
    assert_eq!(
        headings,
        [
            "1xx Informational",
            "2xx Successful",
            "3xx Redirection",
            "4xx Client Error",
            "5xx Server Error",
            "* registered, but not in the supported table",
        ]
    );
    assert!(text.contains("  418* I'm a teapot"));
    assert!(text.contains("  306  (Unused)"));
}

#[test]
fn list_json_is_every_entry_in_order() {
    let v = json_of(&["list", "--json"]);
    let codes: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes.len(), 63);
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
    let v = json_of(&["list", "--json", "--table"]);
    assert_eq!(v.as_array().unwrap().len(), 58);
    assert!(v.as_array().unwrap().iter().all(|e| e["in_table"] == true));
}

#[test]
fn color_always_paints_and_never_does_not() {
    teapot()
        .args(["--color", "always", "explain", "200"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b[1;32m200\x1b[0m"));
    teapot()
        .args(["--color", "never", "explain", "200"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b[").not());
}

fn fails_with(args: &[&str], message: &str) {
    let mut cmd = teapot();
    cmd.args(args);
    common::fails_with(cmd, message);
}

#[test]
fn unknown_code_is_an_error() {
    fails_with(&["explain", "299"], "299 is not a registered status code");
    fails_with(
        &["explain", "299", "--json"],
        "299 is not a registered status code",
    );
}

#[test]
fn malformed_queries_are_errors() {
    fails_with(&["explain", "4x5"], "neither a status code");
    fails_with(
        &["explain", "1000"],
        "codes are three digits from 100 to 599",
    );
    fails_with(&["explain", "42"], "codes are three digits from 100 to 599");
    fails_with(&["explain", "6xx"], "neither a status code");
}

#[test]
fn empty_query_is_an_error() {
    fails_with(&["explain", ""], "empty query");
    fails_with(&["explain", "  "], "empty query");
}

#[test]
fn word_without_match_is_an_error() {
    fails_with(&["explain", "abc"], "no status code matches \"abc\"");
}

#[test]
fn missing_query_is_a_usage_error() {
    teapot()
        .arg("explain")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage"));
}
