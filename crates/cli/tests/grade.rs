//! `teapot grade` as a process, with curl as the client (installed by
//! scripts/test) and with clients that break a rule on purpose.

use assert_cmd::Command;
use predicates::prelude::*;

fn grade(client: &str, only: &str) -> (Option<i32>, serde_json::Value) {
    grade_with(&[], client, only)
}

fn grade_with(flags: &[&str], client: &str, only: &str) -> (Option<i32>, serde_json::Value) {
    let out = Command::cargo_bin("teapot")
        .unwrap()
        .arg("grade")
        .args(flags)
        .args([
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
        "interim-100,interim-102,interim-103,retry-503-post,retry-408,proxy-407,truncated,\
         truncated-chunked,close-delimited,no-content-204,reset-get,reset-post",
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
    // Carries Authorization to another origin (`--location-trusted`).
    let (_, card) = grade(
        "curl -sS -L --location-trusted {url}",
        "redirect-cross-origin",
    );
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
    let (_, card) = grade("curl -sS -L {url}", "redirect-cross-origin");
    assert_eq!(card[0]["verdict"], "pass", "{card:#}");
    // Sends a POST again after a reset (`--retry-all-errors`).
    let (_, card) = grade(
        "curl -sS --retry 2 --retry-all-errors --retry-delay 0 -d teapot {url}",
        "reset-post",
    );
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
    assert_eq!(card[0]["did"], "sent the POST again on its own (3 times)");
    // Waits for content after a HEAD answer (`-X HEAD` rather than
    // `--head`), until its own limit.
    let (_, card) = grade("curl -sS -L -X HEAD --max-time 2 {url}", "head-redirect");
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
    let (_, card) = grade("curl -sS -L --head {url}", "head-redirect");
    assert_eq!(card[0]["verdict"], "pass", "{card:#}");
    // Answers a Digest challenge, rightly and wrongly.
    let (_, card) = grade("curl -sS --digest {url}", "auth-digest");
    assert_eq!(card[0]["verdict"], "pass", "{card:#}");
    let (_, card) = grade("curl -sS --digest -u user:wrong {url}", "auth-digest");
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
    // Basic credentials do not answer a Digest challenge.
    let (_, card) = grade("curl -sS {url}", "auth-digest");
    assert_eq!(card[0]["verdict"], "not_applicable", "{card:#}");
    // A cache that keeps what no-store forbids: asks once, answers twice.
    let (_, card) = grade(r#"b=$(curl -sS {url}); echo "$b"; echo "$b""#, "no-store");
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
    // A cache that revalidates and serves its stored body on 304, and one
    // that hands the empty 304 over instead.
    let revalidating = r#"b=$(curl -sS {url});
        c=$(curl -sS -w '%{http_code}' -H 'If-None-Match: "v1"' {url});
        [ "$c" = 304 ] && echo "$b" && echo "$b""#;
    let (_, card) = grade(revalidating, "revalidate-304");
    assert_eq!(card[0]["verdict"], "pass", "{card:#}");
    let forgetful = r#"curl -sS {url}; curl -sS -H 'If-None-Match: "v1"' {url}"#;
    let (_, card) = grade(forgetful, "revalidate-304");
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
    // A client that keeps redirects: right for a 308 it replays with the
    // same POST, wrong when it replays it as a GET, and wrong for a
    // redirect marked no-store.
    let keeps = |second: &str| {
        format!(
            r#"loc=$(curl -sS -o /dev/null -w '%{{redirect_url}}' -d teapot {{url}});
            curl -sS -d teapot "$loc"; curl -sS {second} "$loc""#
        )
    };
    let (_, card) = grade(&keeps("-d teapot"), "redirect-308-remembered");
    assert_eq!(card[0]["verdict"], "pass", "{card:#}");
    let (_, card) = grade(&keeps(""), "redirect-308-remembered");
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
    let reuses = r#"loc=$(curl -sS -o /dev/null -w '%{redirect_url}' {url}); curl -sS "$loc"; curl -sS "$loc""#;
    let (_, card) = grade(reuses, "redirect-no-store");
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
    // Makes no request at all.
    let (code, card) = grade("true", "interim-102");
    assert_eq!(code, Some(1));
    assert_eq!(card[0]["did"], "made no request");
}

#[test]
fn a_cut_download_is_resumed_rightly_or_wrongly() {
    // curl resumes into the file it has (`-C -` asks `Range: bytes=32-`).
    let resumes =
        r#"f=$(mktemp); curl -sS -o "$f" {url}; curl -sS -C - -o "$f" {url}; cat "$f"; rm -f "$f""#;
    let (_, card) = grade(resumes, "resume-206");
    assert_eq!(card[0]["verdict"], "pass", "{card:#}");
    assert_eq!(
        card[0]["did"],
        "resumed with Range: bytes=32-, and joined the parts"
    );
    // Gives up, saying so.
    let (_, card) = grade("curl -sS {url}", "resume-206");
    assert_eq!(card[0]["verdict"], "not_applicable", "{card:#}");
    // Puts a whole new copy after what it had.
    let (_, card) = grade("curl -s {url}; curl -sS -r 0- {url}", "resume-206");
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
}

#[test]
fn a_stream_refused_for_http11_is_asked_again_over_it() {
    // curl by prior knowledge downgrades to HTTP/1.1 and asks again.
    let (_, card) = grade("curl -sS --http2-prior-knowledge {url}", "http11-required");
    assert_eq!(card[0]["verdict"], "pass", "{card:#}");
    // Over HTTP/1.1 from the start the scenario does not apply.
    let (_, card) = grade("curl -sS {url}", "http11-required");
    assert_eq!(card[0]["verdict"], "not_applicable", "{card:#}");
    // Node's HTTP/2 client reports the reset and stops there.
    let node = r#"node -e "const u=new URL(process.argv[1]); const s=require('http2').connect(u.origin); const r=s.request({':path':u.pathname}); r.on('data',d=>process.stdout.write(d)); r.on('end',()=>s.close()); r.on('error',()=>process.exit(3))" {url}"#;
    let (_, card) = grade(node, "http11-required");
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
    assert_eq!(card[0]["did"], "did not fall back to HTTP/1.1 (exit 3)");
}

#[test]
fn a_request_sent_in_early_data_is_retried_after_the_handshake() {
    // As an intermediary that took the request in early data marks it, and
    // retries once its handshake is done (without the mark).
    let (_, card) = grade(
        "curl -s -H 'Early-Data: 1' {url} | grep -q 'too early' && curl -sS {url}",
        "retry-425",
    );
    assert_eq!(card[0]["verdict"], "pass", "{card:#}");
    // Sent in early data again.
    let (_, card) = grade(
        "curl -s -H 'Early-Data: 1' {url}; curl -s -H 'Early-Data: 1' {url}",
        "retry-425",
    );
    assert_eq!(card[0]["verdict"], "fail", "{card:#}");
    // Nothing in early data: not concerned.
    let (_, card) = grade("curl -sS {url}", "retry-425");
    assert_eq!(card[0]["verdict"], "not_applicable", "{card:#}");
}

#[test]
fn a_websocket_client_is_watched_after_the_101() {
    let fake = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fake_websocket_client.py"
    );
    let run = |mode: &str| {
        let (_, card) = grade(
            &format!("python3 {fake} {mode} {{url}}"),
            "upgrade-101,upgrade-101-bad-accept",
        );
        let lines = card.as_array().unwrap().clone();
        (lines[0].clone(), lines[1].clone())
    };
    // Behaves: checks the accept value, masks, pongs, answers the Close.
    let (switched, refused) = run("good");
    assert_eq!(switched["verdict"], "pass", "{switched:#}");
    assert_eq!(
        switched["did"],
        "switched, answered the ping, took the message and answered the server's Close (1000)"
    );
    assert_eq!(refused["verdict"], "pass", "{refused:#}");
    // Each rule broken on its own fails its scenario.
    let (_, refused) = run("trusting");
    assert_eq!(refused["verdict"], "fail", "{refused:#}");
    let (switched, _) = run("unmasked");
    assert_eq!(switched["verdict"], "fail", "{switched:#}");
    assert!(
        switched["did"]
            .as_str()
            .unwrap()
            .starts_with("broke the framing"),
        "{switched:#}"
    );
    let (switched, _) = run("no-pong");
    assert_eq!(switched["did"], "did not answer the ping with its pong");
    let (switched, _) = run("no-close");
    assert_eq!(switched["did"], "did not answer the server's Close");
    // A client that asks no WebSocket is not concerned.
    let (_, card) = grade("curl -sS {url}", "upgrade-101");
    assert_eq!(card[0]["verdict"], "not_applicable", "{card:#}");
}

#[test]
fn over_tls_the_client_is_told_to_trust_the_run_and_speaks_http2() {
    // curl verifies the certificate (no -k): CURL_CA_BUNDLE names the
    // run's authority. It offers HTTP/2 by ALPN, so the refused stream
    // applies and is asked again over HTTP/1.1; a cut answer is a reset.
    let (_, card) = grade_with(
        &["--tls"],
        "curl -sS {url}",
        "interim-103,http11-required,truncated,close-delimited",
    );
    let v = verdicts(&card);
    assert_eq!(
        v,
        [
            ("interim-103".into(), "pass".into()),
            ("truncated".into(), "pass".into()),
            ("close-delimited".into(), "not_applicable".into()),
            ("http11-required".into(), "pass".into()),
        ],
        "{card:#}"
    );
    // A client that trusts nothing it was not told of fails to connect,
    // which is no request at all.
    let (_, card) = grade_with(
        &["--tls"],
        "curl -sS --cacert /dev/null {url}",
        "interim-103",
    );
    assert_eq!(card[0]["did"], "made no request", "{card:#}");
    // Without TLS the same curl speaks HTTP/1.1: not concerned.
    let (_, card) = grade("curl -sS {url}", "http11-required");
    assert_eq!(card[0]["verdict"], "not_applicable", "{card:#}");
    // --tls is for the teapot grade starts, not another one.
    Command::cargo_bin("teapot")
        .unwrap()
        .args([
            "grade",
            "--tls",
            "--server",
            "https://127.0.0.1:1",
            "--client",
            "true",
        ])
        .assert()
        .code(2);
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
