//! `teapot check` as a process: output, JSON, and every exit status.

mod common;

use assert_cmd::Command;
use common::Serve;
use predicates::prelude::*;
use teapot_testkit::fixture::{path_of, Fixture, Reply};

fn fixture(head: &str) -> Reply {
    // Now: the checker compares Date with its own clock.
    let date = format!(
        "Date: {}\r\nContent-Type: text/plain\r\nCache-Control: max-age=60\r\n",
        httpdate::fmt_http_date(std::time::SystemTime::now())
    );
    let reply = match path_of(head) {
        "/ok" => format!("HTTP/1.1 200 OK\r\n{date}Content-Length: 2\r\n\r\nok"),
        "/odd-reason" => format!("HTTP/1.1 200 Fine\r\n{date}Content-Length: 2\r\n\r\nok"),
        "/405" => format!("HTTP/1.1 405 Method Not Allowed\r\n{date}Content-Length: 0\r\n\r\n"),
        "/moved" => {
            format!("HTTP/1.1 303 See Other\r\n{date}Location: /ok\r\nContent-Length: 0\r\n\r\n")
        }
        "/garbage" => return Reply::ThenClose(b"not http at all\r\n\r\n".to_vec()),
        _ => format!("HTTP/1.1 404 Not Found\r\n{date}Content-Length: 0\r\n\r\n"),
    };
    // HEAD gets the head only, as a server sends it (the checker's probes
    // ask HEAD after a GET).
    let reply = match (head.starts_with("HEAD "), reply.find("\r\n\r\n")) {
        (true, Some(end)) => reply[..end + 4].to_string(),
        _ => reply,
    };
    Reply::Bytes(reply.into_bytes())
}

fn check() -> Command {
    let mut cmd = Command::cargo_bin("teapot").unwrap();
    cmd.arg("check").env("NO_COLOR", "1");
    cmd
}

#[test]
fn a_clean_response_exits_0() {
    let f = Fixture::start(fixture);
    check()
        .arg(f.url("/ok"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("< HTTP/1.1 200 OK"))
        .stdout(predicate::str::contains("200 OK: The request succeeded."))
        .stdout(predicate::str::contains("no findings"));
}

#[test]
fn a_must_finding_exits_1() {
    let f = Fixture::start(fixture);
    check()
        .arg(f.url("/405"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("MUST   status.required-field"))
        .stdout(predicate::str::contains("A 405 response must carry Allow"));
}

#[test]
fn strict_counts_every_finding() {
    let f = Fixture::start(fixture);
    check()
        .arg(f.url("/odd-reason"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("INFO"));
    check()
        .args(["--strict", &f.url("/odd-reason")])
        .assert()
        .code(1);
}

/// Rules by id: listed, explained, allowed (dropped) and denied (MUST).
#[test]
fn rules_are_listed_explained_allowed_and_denied() {
    let listed = check()
        .arg("--rules")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let listed = String::from_utf8(listed).unwrap();
    for id in [
        "field.etag",
        "cache.cache-control-syntax",
        "status.reason-phrase",
        "status.required-field",
    ] {
        assert!(
            listed.lines().any(|l| l.starts_with(id)),
            "{id} in {listed}"
        );
    }
    check()
        .args(["--explain", "field.etag"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("entity-tag"))
        .stdout(predicate::str::contains("Breaks it:\n    > GET /"))
        .stdout(predicate::str::contains("< ETag: abc"))
        .stdout(predicate::str::contains("Keeps it:"))
        .stdout(predicate::str::contains("< ETag: \"abc\""));
    check()
        .args(["--explain", "no.such.rule"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no.such.rule"));
    let f = Fixture::start(fixture);
    // The odd reason phrase is an INFO finding: allowed, it is gone.
    check()
        .args([
            "--allow",
            "status.reason-phrase",
            "--strict",
            &f.url("/odd-reason"),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no findings"));
    // Denied, it fails the check.
    check()
        .args(["--deny", "status.reason-phrase", &f.url("/odd-reason")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("MUST"));
    check()
        .args(["--deny", "no.such.rule", &f.url("/ok")])
        .assert()
        .code(2);
}

/// A team's levels in a file: applied as the flags are; a bad file is a
/// one-line usage error.
#[test]
fn levels_come_from_a_config_file() {
    let dir = std::env::temp_dir().join(format!("teapot-check-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = Fixture::start(fixture);
    let config = dir.join("levels.toml");
    std::fs::write(&config, "deny = [\"status.reason-phrase\"]\n").unwrap();
    check()
        .args(["--config", config.to_str().unwrap(), &f.url("/odd-reason")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("MUST"));
    // The default file, in the working directory.
    std::fs::write(
        dir.join("teapot-check.toml"),
        "allow = [\"status.reason-phrase\"]\n",
    )
    .unwrap();
    check()
        .current_dir(&dir)
        .args(["--strict", &f.url("/odd-reason")])
        .assert()
        .code(0);
    std::fs::write(&config, "deny = [\"no.such.rule\"]\n").unwrap();
    check()
        .args(["--config", config.to_str().unwrap(), &f.url("/ok")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no.such.rule"));
    std::fs::write(&config, "forbid = []\n").unwrap();
    check()
        .args(["--config", config.to_str().unwrap(), &f.url("/ok")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("forbid"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_output_parses() {
    let f = Fixture::start(fixture);
    let out = check()
        .args(["--json", &f.url("/405")])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let hop = &v["hops"][0];
    assert_eq!(hop["exchange"]["final"]["status"], 405);
    assert_eq!(hop["exchange"]["request"]["method"], "GET");
    assert_eq!(hop["findings"][0]["rule"], "status.required-field");
    assert!(hop["findings"][0]["link"]
        .as_str()
        .unwrap()
        .starts_with("https://www.rfc-editor.org/rfc/rfc9110#section-15"));
    assert_eq!(hop["findings"][0]["severity"], "MUST");
    assert_eq!(hop["findings"][0]["source"], "RFC 9110 §15.5.6");
}

#[test]
fn redirects_are_followed_with_the_method_rule() {
    let f = Fixture::start(fixture);
    check()
        .args(["-L", "-d", "x=1", &f.url("/moved")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("> POST /moved HTTP/1.1"))
        .stdout(predicate::str::contains("following 303 to"))
        .stdout(predicate::str::contains("(method changed to GET)"))
        .stdout(predicate::str::contains("> GET /ok HTTP/1.1"));
}

#[test]
fn a_garbage_answer_is_a_finding_not_a_crash() {
    let f = Fixture::start(fixture);
    check()
        .arg(f.url("/garbage"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("final-response"))
        .stdout(predicate::str::contains("malformed response"));
}

#[test]
fn http2_to_a_server_that_speaks_only_http1() {
    let f = Fixture::start(fixture);
    // By prior knowledge: the HTTP/1.1 answer is no HTTP/2 frame.
    check()
        .args(["--http2-prior-knowledge", &f.url("/ok")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("> GET /ok HTTP/2"))
        .stdout(predicate::str::contains("may not speak HTTP/2"));
    // By Upgrade: h2c: the server declines by answering in HTTP/1.1.
    check()
        .args(["--http2", &f.url("/ok")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("> Upgrade: h2c"))
        .stdout(predicate::str::contains("< HTTP/1.1 200 OK"));
    // Over TLS, --http2 offers h2 by ALPN and teapot takes it.
    let server = Serve::start(&["--tls-self-signed"], &[]);
    check()
        .args(["-k", "--http2", &format!("https://{}/200", server.addr)])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("< HTTP/2 200"));
    assert_eq!(server.terminate(), 0);
}

fn cannot_check(args: &[&str], message: &str) {
    let mut cmd = check();
    cmd.args(args);
    common::fails_with(cmd, message);
}

#[test]
fn what_cannot_be_checked_exits_2() {
    cannot_check(&["http://127.0.0.1:1/"], "cannot connect to 127.0.0.1:1");
    cannot_check(&["not a url"], "is not a URL");
    cannot_check(&["ftp://127.0.0.1/"], "only http and https URLs");
    cannot_check(&["https://127.0.0.1:1/"], "cannot connect to 127.0.0.1:1");
    cannot_check(&["-H", "NoColon", "http://127.0.0.1:1/"], "Name: Value");
    cannot_check(
        &["-H", "X: a\u{1}b", "http://127.0.0.1:1/"],
        "not a valid header field",
    );
    cannot_check(&["--timeout", "0", "http://127.0.0.1:1/"], "--timeout");
    cannot_check(
        &["-d", "@/no/such/file", "http://127.0.0.1:1/"],
        "cannot read /no/such/file",
    );
    cannot_check(
        &["--all", "--forced-path", "/status", "http://127.0.0.1:1/"],
        "{code}",
    );
}

#[test]
fn a_silent_server_times_out_with_exit_2() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    cannot_check(
        &["--timeout", "0.3", &url],
        "timed out waiting 300 ms for a response",
    );
    drop(listener);
}

#[test]
fn all_against_teapot_serve_is_clean() {
    let server = Serve::start(&[], &[]);
    let base = format!("http://{}", server.addr);
    check()
        .args(["--all", &base])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "63 codes: 63 without MUST findings, 0 with",
        ));
    let out = check()
        .args(["--all", "--json", "--forced-path", "/status/{code}", &base])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 63);
    assert_eq!(v[0]["code"], 100);
    assert_eq!(v[0]["interim"][0], 100);
    assert_eq!(v[0]["status"], 200);
    assert_eq!(server.terminate(), 0);
}

/// `check --all --json` output: 63 codes, none with a MUST finding.
fn scorecard_without_must(out: &[u8], how: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(out).unwrap();
    let lines = v.as_array().unwrap();
    assert_eq!(lines.len(), 63, "{how}");
    for line in lines {
        let must = line["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "MUST")
            .count();
        assert_eq!(must, 0, "{how}: {line}");
    }
    v
}

#[test]
fn all_codes_are_clean_over_http3() {
    let server = Serve::start(&["--tls-self-signed", "--http3"], &[]);
    let base = format!("https://{}", server.addr);
    let out = check()
        .args(["--all", "--json", "-k", "--http3", &base])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v = scorecard_without_must(&out, "--http3");
    let lines = v.as_array().unwrap();
    let by_code = |code: u64| lines.iter().find(|l| l["code"] == code).unwrap();
    assert_eq!(by_code(103)["interim"], serde_json::json!([103]));
    assert_eq!(by_code(418)["protocol"], "HTTP/3");
    // 426 cannot be said over HTTP/3: asked again over HTTP/1.1.
    assert_eq!(by_code(426)["status"], 426);
    assert_eq!(by_code(426)["protocol"], "HTTP/1.1");
    // One exchange, shown.
    check()
        .args(["-k", "--http3", &format!("{base}/102?count=2&interval=5")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "> GET /102?count=2&interval=5 HTTP/3",
        ))
        .stdout(predicate::str::contains("< HTTP/3 102"))
        .stdout(predicate::str::contains("< HTTP/3 200"));
    // An http:// URL cannot be asked over HTTP/3.
    cannot_check(
        &["--http3", &format!("http://{}/200", server.addr)],
        "HTTP/3 needs an https URL",
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn all_codes_are_clean_over_cleartext_http2() {
    let server = Serve::start(&[], &[]);
    let base = format!("http://{}", server.addr);
    // h2c by prior knowledge, and by Upgrade: h2c (101, then stream 1).
    for http in ["--http2-prior-knowledge", "--http2"] {
        let out = check()
            .args(["--all", "--json", http, &base])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let v = scorecard_without_must(&out, http);
        let lines = v.as_array().unwrap();
        let by_code = |code: u64| lines.iter().find(|l| l["code"] == code).unwrap();
        // Interim responses arrive as HTTP/2 HEADERS; 426 has to go back
        // to HTTP/1.1 (the checker retries, as curl does).
        let interim: &[u64] = if http == "--http2" {
            &[101, 103]
        } else {
            &[103]
        };
        assert_eq!(
            by_code(103)["interim"],
            serde_json::json!(interim),
            "{http}"
        );
        assert_eq!(by_code(426)["status"], 426, "{http}");
    }
    // One exchange, shown: the 101, the note, the answer on HTTP/2.
    check()
        .args(["--http2", &format!("{base}/102?count=2&interval=5")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "< HTTP/1.1 101 Switching Protocols",
        ))
        .stdout(predicate::str::contains("< HTTP/2 102"))
        .stdout(predicate::str::contains("< HTTP/2 200"))
        .stdout(predicate::str::contains("answered on stream 1"));
    check()
        .args(["--http2-prior-knowledge", &format!("{base}/426")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("HTTP_1_1_REQUIRED"))
        .stdout(predicate::str::contains("< HTTP/1.1 426 Upgrade Required"));
    assert_eq!(server.terminate(), 0);
}

#[test]
fn https_with_an_untrusted_certificate_exits_2_and_with_k_is_checked() {
    let server = Serve::start(&["--tls-self-signed"], &[]);
    let url = format!("https://{}/405", server.addr);
    cannot_check(&[&url], "the TLS handshake with");
    // As curl does, ALPN offers h2 and http/1.1, and teapot picks h2.
    check()
        .args(["-k", &url])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("> GET /405 HTTP/2"))
        .stdout(predicate::str::contains("< HTTP/2 405"))
        .stdout(predicate::str::contains("< allow: "))
        .stdout(predicate::str::contains(" · TLS "));
    check()
        .args(["-k", "--http1.1", &url])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "< HTTP/1.1 405 Method Not Allowed",
        ));
    let base = format!("https://{}", server.addr);
    for http in ["--http2", "--http1.1"] {
        check()
            .args(["-k", http, "--all", &base])
            .assert()
            .code(0)
            .stdout(predicate::str::contains(
                "63 codes: 63 without MUST findings, 0 with",
            ));
    }
    // A plain-HTTP server asked for TLS: a clean error, not a hang.
    let plain = Serve::start(&[], &[]);
    cannot_check(
        &["-k", &format!("https://{}/200", plain.addr)],
        "the TLS handshake with",
    );
    assert_eq!(server.terminate(), 0);
    assert_eq!(plain.terminate(), 0);
}
