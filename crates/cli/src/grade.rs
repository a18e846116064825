//! `teapot grade`: runs an HTTP client once per scenario against
//! `/grade/{run}/{scenario}` (a teapot started here, or `--server`), reads
//! back what arrived, and prints the client's report card: what the RFC
//! asks of a client, what this one did, pass / fail / not applicable.
//! Exit 0 when nothing fails, 1 when something does, 2 when the grade
//! could not run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use clap::Args;
use serde::Serialize;
use serde_json::Value;
use teapot_check::{Http, Request};
use url::Url;

use crate::style::Style;

/// Flags of `teapot grade`.
#[derive(Debug, Args)]
pub struct GradeArgs {
    /// The client: a shell command, run once per scenario. `{url}` is the
    /// scenario's URL and `{method}` its method (GET, HEAD, or POST with a
    /// body of its own); also in TEAPOT_GRADE_URL and TEAPOT_GRADE_METHOD.
    /// TEAPOT_GRADE_EXPECT is `100-continue` when the scenario wants the
    /// body sent after that expectation (where the client can), else
    /// empty; TEAPOT_GRADE_REPEAT is how many times to make the request
    /// with one client (1 or 2). It prints the content of each answer and
    /// exits non-zero on an error.
    #[arg(long, value_name = "COMMAND")]
    client: String,

    /// Grade against this teapot (default: one started here on loopback).
    #[arg(long, value_name = "URL")]
    server: Option<String>,

    /// Grade over TLS: the teapot started here serves HTTPS (HTTP/2 by
    /// ALPN, or HTTP/1.1) with a certificate from an authority made for the
    /// run. The client is told to trust it through TEAPOT_GRADE_CA and the
    /// variables libraries read (SSL_CERT_FILE, CURL_CA_BUNDLE,
    /// REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS).
    #[arg(long, conflicts_with = "server")]
    tls: bool,

    /// Only these scenarios (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "SCENARIOS")]
    only: Vec<String>,

    /// Seconds each run of the client may take.
    #[arg(long, default_value_t = 15.0, value_name = "SECONDS")]
    timeout: f64,

    /// Print the report card as JSON.
    #[arg(long)]
    json: bool,
}

/// What a run of the client came to.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Its exit status; `None` when it was stopped at the timeout.
    pub exit: Option<i32>,
    /// What it printed.
    pub stdout: String,
}

/// A scenario's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Did what the RFC asks.
    Pass,
    /// Did not.
    Fail,
    /// The client made a choice the RFC leaves open (did not retry, did not
    /// follow a redirect).
    NotApplicable,
}

/// One scenario: what it answers, what a client should do.
pub struct Scenario {
    /// Its name (the path segment).
    pub name: &'static str,
    /// The method the client is asked to use.
    pub method: &'static str,
    /// What the RFC asks of the client.
    pub asks: &'static str,
    /// Where.
    pub section: &'static str,
    /// Whether the URL carries credentials (`user:passwd@`).
    pub credentials: bool,
    /// Whether the client is asked to send the body after
    /// `Expect: 100-continue` (TEAPOT_GRADE_EXPECT), where it can.
    pub expect: bool,
    /// Whether the client is asked to make the request twice with one
    /// client, as an application would (TEAPOT_GRADE_REPEAT): its
    /// connections and any cache carry over.
    pub repeat: bool,
    /// Whether the client is asked to open a WebSocket to the URL
    /// (TEAPOT_GRADE_UPGRADE), where it can; what the server saw of the
    /// session is recorded as the `websocket` step, once it is over.
    pub upgrade: bool,
    /// The verdict, from what arrived (this scenario's events, in order)
    /// and what the client did.
    pub judge: fn(&[Value], &Outcome) -> (Verdict, String),
}

fn at_step<'a>(events: &'a [Value], step: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["step"] == step).collect()
}

fn interim(events: &[Value], out: &Outcome) -> (Verdict, String) {
    match (events.len(), out.exit) {
        (0, _) => (Verdict::Fail, "made no request".into()),
        (_, None) => (Verdict::Fail, "did not finish (timed out)".into()),
        (_, Some(0)) if out.stdout.contains("final") => (
            Verdict::Pass,
            "waited for the final response and took it".into(),
        ),
        (_, Some(0)) => (
            Verdict::Fail,
            "took the interim response as the final one".into(),
        ),
        (_, Some(code)) => (
            Verdict::Fail,
            format!("failed on the interim response (exit {code})"),
        ),
    }
}

/// How a redirect must be followed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Follow {
    /// With GET and no content (303).
    Get,
    /// With the same method and content (307, 308).
    Same,
    /// Either (301, 302 on POST: a user agent may change POST to GET).
    Either,
}

fn follows(events: &[Value], how: Follow) -> (Verdict, String) {
    let Some(first) = at_step(events, "").first().copied() else {
        return (Verdict::Fail, "made no request".into());
    };
    let Some(landing) = at_step(events, "landing").first().copied() else {
        return (Verdict::NotApplicable, "did not follow the redirect".into());
    };
    let (method, body) = (
        &landing["method"],
        landing["body_bytes"].as_u64().unwrap_or(0),
    );
    let name = method.as_str().unwrap_or("");
    let same = method == &first["method"] && body == first["body_bytes"].as_u64().unwrap_or(0);
    let get = method == "GET" && body == 0;
    let ok = match how {
        Follow::Get => get,
        Follow::Same => same,
        Follow::Either => get || same,
    };
    let did = if same {
        format!("followed with {name} and the same content")
    } else if get {
        "followed with GET, without content".to_string()
    } else {
        format!("followed with {name} and {body} bytes")
    };
    (if ok { Verdict::Pass } else { Verdict::Fail }, did)
}

/// The client's port of an event: a new one is a new connection.
fn conn(e: &Value) -> Option<u64> {
    e["conn"].as_u64()
}

/// The common start of a verdict: no request, or no end.
fn no_request_or_timeout(events: &[Value], out: &Outcome) -> Option<(Verdict, String)> {
    if events.is_empty() {
        Some((Verdict::Fail, "made no request".into()))
    } else if out.exit.is_none() {
        Some((Verdict::Fail, "did not finish (timed out)".into()))
    } else {
        None
    }
}

/// Whether a request sent `Expect: 100-continue`.
fn expects_continue(event: &Value) -> bool {
    event["expect"]
        .as_str()
        .is_some_and(|v| v.to_ascii_lowercase().contains("100-continue"))
}

/// Not applicable when the first request sent no `Expect: 100-continue`
/// (the client cannot, or was not asked to).
fn no_expectation(first: &Value) -> Option<(Verdict, String)> {
    (!expects_continue(first)).then(|| {
        (
            Verdict::NotApplicable,
            "sent no Expect: 100-continue (cannot, or was not asked to)".into(),
        )
    })
}

/// The common start of a verdict where the URL carries credentials: a
/// client that refuses such a URL (the Fetch standard says to) and made no
/// request is not applicable; otherwise as [`no_request_or_timeout`].
fn credentialed_start(events: &[Value], out: &Outcome) -> Option<(Verdict, String)> {
    if events.is_empty() && out.exit.is_some_and(|c| c != 0) {
        return Some((
            Verdict::NotApplicable,
            "refused a URL that carries credentials".into(),
        ));
    }
    no_request_or_timeout(events, out)
}

/// A broken answer (cut short, reset): the client must report an error,
/// and may repeat an idempotent request (a few times at most), never a
/// POST on its own.
fn broken(events: &[Value], out: &Outcome, idempotent: bool) -> (Verdict, String) {
    if let Some(v) = no_request_or_timeout(events, out) {
        return v;
    }
    let n = events.len();
    match out.exit {
        _ if !idempotent && n > 1 => (
            Verdict::Fail,
            format!(
                "sent the {} again on its own ({n} times)",
                events[0]["method"].as_str().unwrap_or("request")
            ),
        ),
        _ if n > 3 => (Verdict::Fail, format!("tried {n} times")),
        Some(0) => (Verdict::Fail, "returned what it had as a success".into()),
        Some(code) if n > 1 => (
            Verdict::Pass,
            format!("repeated it once, then reported an error (exit {code})"),
        ),
        Some(code) => (Verdict::Pass, format!("reported an error (exit {code})")),
        None => unreachable!("handled above"),
    }
}

/// An answer the client is to hand over as it is (a 300 or 407 it need
/// not act on, a 204 or a HEAD answer with no content): completed, not
/// hung, not looped.
fn completes(events: &[Value], out: &Outcome, what: &str) -> (Verdict, String) {
    if let Some(v) = no_request_or_timeout(events, out) {
        return v;
    }
    match (events.len(), out.exit) {
        (n, _) if n > 3 => (Verdict::Fail, format!("asked {n} times")),
        (_, Some(0)) => (Verdict::Pass, format!("took {what} as complete")),
        (_, code) => (
            Verdict::Fail,
            format!("failed on {what} (exit {})", code.unwrap_or(-1)),
        ),
    }
}

/// As [`completes`], saying so when the client went on to the landing.
fn completes_or_follows(
    events: &[Value],
    out: &Outcome,
    what: &str,
    followed: &str,
) -> (Verdict, String) {
    match completes(events, out, what) {
        (Verdict::Pass, _) if !at_step(events, "landing").is_empty() => {
            (Verdict::Pass, followed.into())
        }
        v => v,
    }
}

/// The content `resume-206` serves whole (the server cuts its 200 after
/// the first 32 bytes).
const RESUMABLE: &str = "the first half of the content--and the second half of it: final\n";

/// `resume-206`: a client may give up on the cut answer (saying so) or
/// resume it; one that resumes must ask with `Range` and hand over the 64
/// bytes, joined rightly.
fn resume(events: &[Value], out: &Outcome) -> (Verdict, String) {
    if let Some(v) = no_request_or_timeout(events, out) {
        return v;
    }
    let Some(ranged) = events.iter().find(|e| e["range"].is_string()) else {
        return match out.exit {
            Some(0) => (
                Verdict::Fail,
                "returned the cut content as a success".into(),
            ),
            code => (
                Verdict::NotApplicable,
                format!(
                    "did not resume; reported the cut (exit {})",
                    code.unwrap_or(-1)
                ),
            ),
        };
    };
    let asked = ranged["range"].as_str().unwrap_or_default();
    let validated = if ranged["if_range"].is_string() {
        " and If-Range"
    } else {
        ""
    };
    match out.exit {
        Some(0) if out.stdout == RESUMABLE => (
            Verdict::Pass,
            format!("resumed with Range: {asked}{validated}, and joined the parts"),
        ),
        Some(0) => (
            Verdict::Fail,
            format!("resumed with Range: {asked}, but joined the parts wrongly"),
        ),
        code => (
            Verdict::Fail,
            format!(
                "resumed with Range: {asked}, then failed (exit {})",
                code.unwrap_or(-1)
            ),
        ),
    }
}

/// `http11-required`: over HTTP/2 or HTTP/3 the stream is refused as one
/// only HTTP/1.1 can answer; the client asks again over HTTP/1.1 (a client
/// that spoke HTTP/1.1 from the start is not concerned).
fn falls_back(events: &[Value], out: &Outcome) -> (Verdict, String) {
    if let Some(v) = no_request_or_timeout(events, out) {
        return v;
    }
    let streams = events
        .iter()
        .filter(|e| {
            e["version"]
                .as_str()
                .is_some_and(|v| !v.starts_with("HTTP/1"))
        })
        .count();
    let http1 = events.len() - streams;
    match (streams, http1, out.exit) {
        (0, _, _) => (
            Verdict::NotApplicable,
            "spoke HTTP/1.1 from the start".into(),
        ),
        (n, _, _) if n > 1 => (
            Verdict::Fail,
            format!("asked {n} times over a multiplexed protocol"),
        ),
        (_, 0, code) => (
            Verdict::Fail,
            format!(
                "did not fall back to HTTP/1.1 (exit {})",
                code.unwrap_or(-1)
            ),
        ),
        (_, _, Some(0)) if out.stdout.contains("final") => {
            (Verdict::Pass, "asked again over HTTP/1.1".into())
        }
        (_, _, code) => (
            Verdict::Fail,
            format!(
                "fell back to HTTP/1.1, then failed (exit {})",
                code.unwrap_or(-1)
            ),
        ),
    }
}

/// Not applicable when the first request offered no WebSocket (the client
/// cannot, or was not asked to); otherwise what the server saw of the
/// session (its `websocket` step), or a failure saying why there is none.
fn websocket_start<'a>(events: &'a [Value], out: &Outcome) -> Result<&'a Value, (Verdict, String)> {
    if let Some(v) = no_request_or_timeout(events, out) {
        return Err(v);
    }
    if events[0]["upgrade"] != "websocket" {
        return Err((
            Verdict::NotApplicable,
            "asked for no WebSocket (cannot, or was not asked to)".into(),
        ));
    }
    at_step(events, "websocket")
        .first()
        .copied()
        .ok_or_else(|| {
            (
                Verdict::Fail,
                "offered a WebSocket, but no session was seen after the 101".into(),
            )
        })
}

/// `upgrade-101`: after a valid 101 the client masks its frames, answers
/// the ping with a pong, hands over the text it was sent, and answers the
/// server's Close with a Close.
fn websocket(events: &[Value], out: &Outcome) -> (Verdict, String) {
    let seen = match websocket_start(events, out) {
        Ok(seen) => seen,
        Err(v) => return v,
    };
    if let Some(e) = seen["protocol_error"].as_str() {
        return (Verdict::Fail, format!("broke the framing: {e}"));
    }
    if seen["frames"].as_u64() == Some(0) {
        return (
            Verdict::Fail,
            format!(
                "took no part in the session after a valid 101 (exit {})",
                out.exit.unwrap_or(-1)
            ),
        );
    }
    if seen["pong"] != true {
        return (
            Verdict::Fail,
            "did not answer the ping with its pong".into(),
        );
    }
    if !out.stdout.contains("final") {
        return (
            Verdict::Fail,
            "did not hand over the message it was sent".into(),
        );
    }
    let closing = if let Some(code) = seen["closed_first"].as_u64() {
        format!("closed first ({code})")
    } else if let Some(code) = seen["close_answered"].as_u64() {
        format!("answered the server's Close ({code})")
    } else {
        return (Verdict::Fail, "did not answer the server's Close".into());
    };
    match out.exit {
        Some(0) => (
            Verdict::Pass,
            format!("switched, answered the ping, took the message and {closing}"),
        ),
        code => (
            Verdict::Fail,
            format!(
                "{closing}, then reported an error (exit {})",
                code.unwrap_or(-1)
            ),
        ),
    }
}

/// `upgrade-101-bad-accept`: a 101 whose `Sec-WebSocket-Accept` does not
/// match the client's key must fail the connection: no frame sent, no
/// message taken, an error reported.
fn websocket_refused(events: &[Value], out: &Outcome) -> (Verdict, String) {
    let seen = match websocket_start(events, out) {
        Ok(seen) => Some(seen),
        // The record of the session is not needed to see a refusal.
        Err((Verdict::Fail, _))
            if out.exit.is_some()
                && events.first().is_some_and(|e| e["upgrade"] == "websocket") =>
        {
            None
        }
        Err(v) => return v,
    };
    let frames = seen.and_then(|s| s["frames"].as_u64()).unwrap_or(0);
    if frames > 0 || out.stdout.contains("final") {
        return (
            Verdict::Fail,
            "took a 101 whose Sec-WebSocket-Accept does not match its key".into(),
        );
    }
    match out.exit {
        Some(0) => (Verdict::Fail, "sent nothing, but reported no error".into()),
        code => (
            Verdict::Pass,
            format!("failed the connection (exit {})", code.unwrap_or(-1)),
        ),
    }
}

/// The scenarios, in the order they run.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "interim-100",
        method: "GET",
        asks: "an unsolicited 100 is skipped; the final response follows",
        section: "RFC 9110 §15.2",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: interim,
    },
    Scenario {
        name: "interim-102",
        method: "GET",
        asks: "102 (three times) is interim; wait for the final response",
        section: "RFC 9110 §15.2",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: interim,
    },
    Scenario {
        name: "interim-103",
        method: "GET",
        asks: "103 with Link is interim; wait for the final response",
        section: "RFC 8297 §2",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: interim,
    },
    Scenario {
        name: "expect-417",
        method: "POST",
        asks: "after 417 to Expect: 100-continue, send it again without",
        section: "RFC 9110 §10.1.1",
        credentials: false,
        expect: true,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = no_request_or_timeout(e, out) {
                return v;
            }
            if let Some(v) = no_expectation(&e[0]) {
                return v;
            }
            match e.get(1) {
                Some(again) if expects_continue(again) => (
                    Verdict::Fail,
                    format!(
                        "sent it again with the same expectation ({} requests seen)",
                        e.len()
                    ),
                ),
                Some(again) if again["body_bytes"].as_u64().unwrap_or(0) > 0 => (
                    Verdict::Pass,
                    "sent it again without the expectation, with its content".into(),
                ),
                Some(_) => (Verdict::Fail, "sent it again without its content".into()),
                None => (
                    Verdict::Fail,
                    "did not send it again without the expectation".into(),
                ),
            }
        },
    },
    Scenario {
        name: "expect-401",
        method: "POST",
        asks: "after a 401 before the body, answer with credentials and send the body then",
        section: "RFC 9110 §10.1.1, §11.6.1",
        credentials: true,
        expect: true,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = credentialed_start(e, out) {
                return v;
            }
            if let Some(v) = no_expectation(&e[0]) {
                return v;
            }
            if e[0]["credentials_ok"] == true {
                return (
                    Verdict::NotApplicable,
                    "sent its credentials at once, so met no 401".into(),
                );
            }
            match e[1..].iter().find(|x| x["credentials_ok"] == true) {
                Some(x) if x["body_bytes"].as_u64().unwrap_or(0) > 0 => (
                    Verdict::Pass,
                    "answered the 401 with credentials, and sent the body then".into(),
                ),
                Some(_) => (
                    Verdict::Fail,
                    "answered the 401 with credentials but without the body".into(),
                ),
                None if e.len() > 3 => (Verdict::Fail, format!("asked {} times", e.len())),
                None => (
                    Verdict::NotApplicable,
                    "did not answer the challenge".into(),
                ),
            }
        },
    },
    Scenario {
        name: "redirect-301-post",
        method: "POST",
        asks: "after 301 on POST, GET without content or the same POST",
        section: "RFC 9110 §15.4.2",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, _| follows(e, Follow::Either),
    },
    Scenario {
        name: "redirect-302-post",
        method: "POST",
        asks: "after 302 on POST, GET without content or the same POST",
        section: "RFC 9110 §15.4.3",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, _| follows(e, Follow::Either),
    },
    Scenario {
        name: "redirect-303",
        method: "POST",
        asks: "after 303, GET the Location without content",
        section: "RFC 9110 §15.4.4",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, _| follows(e, Follow::Get),
    },
    Scenario {
        name: "redirect-307",
        method: "POST",
        asks: "after 307, the same method and content to the Location",
        section: "RFC 9110 §15.4.8",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, _| follows(e, Follow::Same),
    },
    Scenario {
        name: "redirect-308",
        method: "POST",
        asks: "after 308, the same method and content to the Location",
        section: "RFC 9110 §15.4.9",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, _| follows(e, Follow::Same),
    },
    Scenario {
        name: "redirect-300",
        method: "GET",
        asks: "a 300 is an answer; its Location may be followed",
        section: "RFC 9110 §15.4.1",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            completes_or_follows(e, out, "the 300", "followed the preferred choice in Location")
        },
    },
    Scenario {
        name: "redirect-loop",
        method: "GET",
        asks: "stop following a redirect that loops",
        section: "RFC 9110 §15.4",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            // The server counts a loop's requests in its one event.
            let n = e.first().map_or(0, |x| x["count"].as_u64().unwrap_or(1));
            match (n, out.exit) {
                (0, _) => (Verdict::Fail, "made no request".into()),
                (1, Some(_)) => (Verdict::NotApplicable, "did not follow the redirect".into()),
                (n, None) => (
                    Verdict::Fail,
                    format!("still following after {n} requests (timed out)"),
                ),
                // Browsers stop at 20, curl at 50; past 100 a client is
                // not stopping.
                (n, Some(_)) if n > 100 => (Verdict::Fail, format!("followed {n} times")),
                (n, Some(_)) => (Verdict::Pass, format!("stopped after {n} requests")),
            }
        },
    },
    Scenario {
        name: "redirect-cross-origin",
        method: "GET",
        asks: "do not carry Authorization to another origin",
        section: "RFC 9110 §15.4",
        credentials: true,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = credentialed_start(e, out) {
                return v;
            }
            if !at_step(e, "").iter().any(|x| x["credentials_ok"] == true) {
                return (
                    Verdict::NotApplicable,
                    "never sent the credentials, so had none to drop".into(),
                );
            }
            match at_step(e, "landing").first() {
                None => (Verdict::NotApplicable, "did not follow the redirect".into()),
                Some(l) if l["authorization"] == true => (
                    Verdict::Fail,
                    "sent Authorization to the other origin".into(),
                ),
                Some(_) => (Verdict::Pass, "followed without Authorization".into()),
            }
        },
    },
    Scenario {
        name: "redirect-308-remembered",
        method: "POST",
        asks: "a cached 308 may be used again, with the same method and content (twice with one client)",
        section: "RFC 9110 §15.4.9, RFC 9111 §4",
        credentials: false,
        expect: false,
        repeat: true,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = no_request_or_timeout(e, out) {
                return v;
            }
            let asked = at_step(e, "").len();
            let landed = at_step(e, "landing");
            let first = &e[0];
            if let Some(bad) = landed.iter().find(|l| {
                l["method"] != first["method"] || l["body_bytes"] != first["body_bytes"]
            }) {
                return (
                    Verdict::Fail,
                    format!(
                        "followed with {} and {} bytes",
                        bad["method"].as_str().unwrap_or("?"),
                        bad["body_bytes"].as_u64().unwrap_or(0)
                    ),
                );
            }
            match (asked, landed.len()) {
                (_, 0) => (Verdict::NotApplicable, "did not follow the redirect".into()),
                (1, n) if n >= 2 => (
                    Verdict::Pass,
                    "remembered the 308 and went straight on, same method and content".into(),
                ),
                (1, _) => (Verdict::NotApplicable, "made one request (did not repeat)".into()),
                _ => (
                    Verdict::NotApplicable,
                    "asked again (keeps no redirect cache; allowed)".into(),
                ),
            }
        },
    },
    Scenario {
        name: "redirect-no-store",
        method: "GET",
        asks: "a redirect with no-store is not reused; ask again (twice with one client)",
        section: "RFC 9111 §5.2.2.5",
        credentials: false,
        expect: false,
        repeat: true,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = no_request_or_timeout(e, out) {
                return v;
            }
            match (at_step(e, "").len(), at_step(e, "landing").len()) {
                (_, 0) => (Verdict::NotApplicable, "did not follow the redirect".into()),
                (1, n) if n >= 2 => (
                    Verdict::Fail,
                    "reused a redirect it was told not to store".into(),
                ),
                (1, _) => (Verdict::NotApplicable, "made one request (did not repeat)".into()),
                _ => (Verdict::Pass, "asked again".into()),
            }
        },
    },
    Scenario {
        name: "retry-after-429",
        method: "GET",
        asks: "a retry after 429 waits the Retry-After (1 s)",
        section: "RFC 6585 §4, RFC 9110 §10.2.3",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, _| match e {
            [] => (Verdict::Fail, "made no request".into()),
            [_] => (Verdict::NotApplicable, "did not retry".into()),
            [a, b, ..] => {
                let gap = b["at_ms"]
                    .as_u64()
                    .unwrap_or(0)
                    .saturating_sub(a["at_ms"].as_u64().unwrap_or(0));
                if gap >= 1000 {
                    (Verdict::Pass, format!("retried after {gap} ms"))
                } else {
                    (
                        Verdict::Fail,
                        format!("retried after {gap} ms, before Retry-After"),
                    )
                }
            }
        },
    },
    Scenario {
        name: "retry-after-date",
        method: "GET",
        asks: "a retry after 503 waits until the Retry-After date",
        section: "RFC 9110 §10.2.3",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, _| match e {
            [] => (Verdict::Fail, "made no request".into()),
            [_] => (Verdict::NotApplicable, "did not retry".into()),
            [a, b, ..] => {
                let due = a["retry_at_ms"].as_u64().unwrap_or(0);
                let at = b["at_ms"].as_u64().unwrap_or(0);
                if at + 50 >= due {
                    (Verdict::Pass, "retried once the date had come".into())
                } else {
                    (
                        Verdict::Fail,
                        format!("retried {} ms before the date", due - at),
                    )
                }
            }
        },
    },
    Scenario {
        name: "retry-503-post",
        method: "POST",
        asks: "a POST that got 503 is not sent again without the user",
        section: "RFC 9110 §9.2.2",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, _| match e.len() {
            0 => (Verdict::Fail, "made no request".into()),
            1 => (Verdict::Pass, "did not resend the POST".into()),
            n => (Verdict::Fail, format!("sent the POST {n} times")),
        },
    },
    Scenario {
        name: "retry-408",
        method: "GET",
        asks: "408 closes the connection; any repeat goes on a new one",
        section: "RFC 9110 §15.5.9",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = no_request_or_timeout(e, out) {
                return v;
            }
            match e {
                [_] => completes(e, out, "the 408"),
                [_, _, _, _, ..] => (Verdict::Fail, format!("asked {} times", e.len())),
                [a, b, ..] if conn(a) == conn(b) => (
                    Verdict::Fail,
                    "repeated it on the connection that was closed".into(),
                ),
                _ => (Verdict::Pass, "repeated it on a new connection".into()),
            }
        },
    },
    Scenario {
        name: "retry-421",
        method: "GET",
        asks: "a retry after 421 goes on a different connection",
        section: "RFC 9110 §15.5.20",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = no_request_or_timeout(e, out) {
                return v;
            }
            match e {
                [_] => (Verdict::NotApplicable, "did not retry".into()),
                [a, b, ..] if conn(a) == conn(b) => {
                    (Verdict::Fail, "retried on the same connection".into())
                }
                _ => (Verdict::Pass, "retried on a new connection".into()),
            }
        },
    },
    Scenario {
        name: "retry-425",
        method: "GET",
        asks: "after 425 to a request sent in early data, retry only once the handshake is done, not as early data",
        section: "RFC 8470 §5.2",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = no_request_or_timeout(e, out) {
                return v;
            }
            let early = |x: &Value| x["early_data"] == "1";
            if !early(&e[0]) {
                return (
                    Verdict::NotApplicable,
                    "sent nothing in early data (no Early-Data: 1)".into(),
                );
            }
            match e.get(1) {
                Some(again) if early(again) => (
                    Verdict::Fail,
                    "retried in early data again".into(),
                ),
                Some(_) if out.stdout.contains("final") => (
                    Verdict::Pass,
                    "retried after the handshake, not in early data".into(),
                ),
                Some(_) => (
                    Verdict::Fail,
                    "retried, then did not hand over the answer".into(),
                ),
                None => (
                    Verdict::NotApplicable,
                    "handed the 425 over (an intermediary must when its client sent Early-Data)".into(),
                ),
            }
        },
    },
    Scenario {
        name: "auth-basic",
        method: "GET",
        asks: "answer a Basic challenge with the credentials given, not endlessly",
        section: "RFC 9110 §11.6.1, RFC 7617",
        credentials: true,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            let tries = e.len();
            let good = e.iter().any(|x| x["credentials_ok"] == true);
            match (tries, good) {
                // The Fetch standard refuses URLs that carry credentials;
                // such a client takes them another way.
                (0, _) if out.exit.is_some_and(|c| c != 0) => (
                    Verdict::NotApplicable,
                    "refused a URL that carries credentials".into(),
                ),
                (0, _) => (Verdict::Fail, "made no request".into()),
                (n, _) if n > 3 => (Verdict::Fail, format!("asked {n} times")),
                (_, true) => (Verdict::Pass, "sent the credentials it was given".into()),
                (_, false) => (
                    Verdict::Fail,
                    "never sent the credentials it was given".into(),
                ),
            }
        },
    },
    Scenario {
        name: "auth-digest",
        method: "GET",
        asks: "answer a Digest challenge with valid credentials, not endlessly",
        section: "RFC 7616 §3.4",
        credentials: true,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = credentialed_start(e, out) {
                return v;
            }
            let digest = |x: &&Value| x["auth_scheme"] == "digest";
            match (e.len(), e.iter().any(|x| x["credentials_ok"] == true)) {
                (n, _) if n > 3 => (Verdict::Fail, format!("asked {n} times")),
                (_, true) => (
                    Verdict::Pass,
                    "answered the challenge with valid credentials".into(),
                ),
                _ if e.iter().any(|x| digest(&x)) => (
                    Verdict::Fail,
                    "sent Digest credentials that do not verify".into(),
                ),
                _ => (
                    Verdict::NotApplicable,
                    "did not answer the Digest challenge".into(),
                ),
            }
        },
    },
    Scenario {
        name: "proxy-407",
        method: "GET",
        asks: "a 407 from the origin is handed over, not retried endlessly",
        section: "RFC 9110 §15.5.8",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| match completes(e, out, "the 407") {
            (Verdict::Fail, _) if (1..=3).contains(&e.len()) && out.exit.is_some() => (
                Verdict::NotApplicable,
                "reported the 407 as an error (as the Fetch standard does without a proxy)".into(),
            ),
            v => v,
        },
    },
    Scenario {
        name: "truncated",
        method: "GET",
        asks: "content cut short of Content-Length is an error, not a success",
        section: "RFC 9112 §6.3",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| broken(e, out, true),
    },
    Scenario {
        name: "truncated-chunked",
        method: "GET",
        asks: "chunked content without its last chunk is an error, not a success",
        section: "RFC 9112 §7.1",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| broken(e, out, true),
    },
    Scenario {
        name: "close-delimited",
        method: "GET",
        asks: "content without a length ends where the connection closes",
        section: "RFC 9112 §6.3",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = no_request_or_timeout(e, out) {
                return v;
            }
            if !e[0]["version"].as_str().unwrap_or("HTTP/1.1").starts_with("HTTP/1") {
                return (
                    Verdict::NotApplicable,
                    "asked over HTTP/2 or HTTP/3, whose content always has an end".into(),
                );
            }
            match out.exit {
                Some(0) if out.stdout.contains("ended by close: final") => {
                    (Verdict::Pass, "read the content to the close".into())
                }
                Some(0) => (Verdict::Fail, "lost content before the close".into()),
                code => (
                    Verdict::Fail,
                    format!("took the close as an error (exit {})", code.unwrap_or(-1)),
                ),
            }
        },
    },
    Scenario {
        name: "resume-206",
        method: "GET",
        asks: "content cut short is an error; resuming, ask for the rest with Range and join the 206 to what came",
        section: "RFC 9110 §14.2, §15.3.7",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: resume,
    },
    Scenario {
        name: "no-content-204",
        method: "GET",
        asks: "a 204 ends at its head; do not wait for content",
        section: "RFC 9110 §15.3.5",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| completes(e, out, "the 204"),
    },
    Scenario {
        name: "no-content-then",
        method: "GET",
        asks: "after a 204, the next request goes through (twice with one client)",
        section: "RFC 9110 §15.3.5, RFC 9112 §6.3",
        credentials: false,
        expect: false,
        repeat: true,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = no_request_or_timeout(e, out) {
                return v;
            }
            match (e, out.exit) {
                (_, Some(code)) if code != 0 => {
                    (Verdict::Fail, format!("failed after the 204 (exit {code})"))
                }
                ([_], _) => (Verdict::NotApplicable, "made one request (did not repeat)".into()),
                ([a, b, ..], _) if conn(a) == conn(b) => (
                    Verdict::Pass,
                    "made the next request on the same connection".into(),
                ),
                _ => (Verdict::Pass, "made the next request (on a new connection)".into()),
            }
        },
    },
    Scenario {
        name: "head-redirect",
        method: "HEAD",
        asks: "a HEAD answer's Content-Length is not content to wait for",
        section: "RFC 9110 §9.3.2, RFC 9112 §6.3",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| {
            completes_or_follows(
                e,
                out,
                "the HEAD answer",
                "followed the redirect and took both answers as complete",
            )
        },
    },
    Scenario {
        name: "no-store",
        method: "GET",
        asks: "an answer with no-store is not reused; ask again (twice with one client)",
        section: "RFC 9111 §5.2.2.5",
        credentials: false,
        expect: false,
        repeat: true,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = no_request_or_timeout(e, out) {
                return v;
            }
            match e.len() {
                1 if out.stdout.matches("answer 1").count() >= 2 => (
                    Verdict::Fail,
                    "gave the stored no-store answer the second time".into(),
                ),
                1 => (Verdict::NotApplicable, "made one request (did not repeat)".into()),
                _ => (Verdict::Pass, "asked the server again".into()),
            }
        },
    },
    Scenario {
        name: "revalidate-304",
        method: "GET",
        asks: "a stored no-cache answer is revalidated; on 304 its body is used (twice with one client)",
        section: "RFC 9111 §4.3.4, §5.2.2.4",
        credentials: false,
        expect: false,
        repeat: true,
        upgrade: false,
        judge: |e, out| {
            if let Some(v) = no_request_or_timeout(e, out) {
                return v;
            }
            let bodies = out.stdout.matches("the stored representation").count();
            let conditional = e
                .get(1)
                .is_some_and(|x| x["if_none_match"].as_str().is_some_and(|v| v.contains("v1")));
            match (e.len(), conditional) {
                (1, _) if bodies >= 2 => (
                    Verdict::Fail,
                    "reused a no-cache answer without revalidating it".into(),
                ),
                (1, _) => (Verdict::NotApplicable, "made one request (did not repeat)".into()),
                (_, false) => (
                    Verdict::NotApplicable,
                    "keeps no cache (asked again without a validator)".into(),
                ),
                (_, true) if bodies >= 2 && out.exit == Some(0) => (
                    Verdict::Pass,
                    "revalidated with If-None-Match and used its stored body".into(),
                ),
                (_, true) => (
                    Verdict::Fail,
                    "revalidated but did not give the stored body after 304".into(),
                ),
            }
        },
    },
    Scenario {
        name: "upgrade-426",
        method: "GET",
        asks: "a 426 names the protocol to upgrade to; hand it over, do not loop",
        section: "RFC 9110 §15.5.22",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| completes(e, out, "the 426"),
    },
    Scenario {
        name: "upgrade-101",
        method: "GET",
        asks: "after a valid 101 to WebSocket, mask frames, answer ping and Close",
        section: "RFC 6455 §5.1, §5.5",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: true,
        judge: websocket,
    },
    Scenario {
        name: "upgrade-101-bad-accept",
        method: "GET",
        asks: "a 101 whose Sec-WebSocket-Accept does not match the key fails the connection",
        section: "RFC 6455 §4.1",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: true,
        judge: websocket_refused,
    },
    Scenario {
        name: "http11-required",
        method: "GET",
        asks: "an HTTP/2 stream reset with HTTP_1_1_REQUIRED (HTTP/3: H3_VERSION_FALLBACK) is asked again over HTTP/1.1",
        section: "RFC 9113 §7, RFC 9114 §8.1",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: falls_back,
    },
    Scenario {
        name: "reset-get",
        method: "GET",
        asks: "a connection reset before an answer is an error",
        section: "RFC 9112 §9.3.1",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| broken(e, out, true),
    },
    Scenario {
        name: "reset-post",
        method: "POST",
        asks: "a POST lost to a reset is not sent again on its own",
        section: "RFC 9112 §9.3.1.1",
        credentials: false,
        expect: false,
        repeat: false,
        upgrade: false,
        judge: |e, out| broken(e, out, false),
    },
];

/// A line of the report card.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    scenario: &'static str,
    asks: &'static str,
    section: &'static str,
    did: String,
    verdict: Verdict,
}

/// Runs the grade; returns the exit status.
pub fn grade(out: &mut impl Write, args: GradeArgs, style: Style) -> Result<u8> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 600.0) {
        bail!("--timeout must be a number of seconds between 0 and 600");
    }
    for name in &args.only {
        if !SCENARIOS.iter().any(|s| s.name == name) {
            let all: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
            bail!("--only {name}: no such scenario ({})", all.join(", "));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let lines = runtime.block_on(run(&args))?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&lines)?)?;
    } else {
        let width = lines.iter().map(|l| l.scenario.len()).max().unwrap_or(0);
        for l in &lines {
            let verdict = match l.verdict {
                Verdict::Pass => style.green("pass"),
                Verdict::Fail => style.red("FAIL"),
                Verdict::NotApplicable => style.dim("n/a"),
            };
            writeln!(
                out,
                "{verdict:<4}  {:<width$}  {}  {}",
                l.scenario,
                l.asks,
                style.dim(l.section)
            )?;
            writeln!(out, "{:w$}this client {}", "", l.did, w = width + 8)?;
        }
    }
    Ok(u8::from(lines.iter().any(|l| l.verdict == Verdict::Fail)))
}

async fn run(args: &GradeArgs) -> Result<Vec<Line>> {
    let run_id = format!("g{:012x}", fastrand_id());
    let mut authority = None;
    let (base, _server) = match &args.server {
        Some(url) => (
            Url::parse(url).with_context(|| format!("--server {url:?} is not a URL"))?,
            None,
        ),
        None => {
            let mut config = teapot_server::Config::default();
            if args.tls {
                let names = vec!["localhost".into(), "127.0.0.1".into()];
                let (tls, ca) = teapot_server::tls::with_authority(names)
                    .map_err(|e| anyhow::anyhow!("making a certificate: {e}"))?;
                config.tls = Some(tls);
                authority = Some(Authority::write(&run_id, &ca)?);
            }
            let server = teapot_server::spawn(config)
                .await
                .context("starting a teapot to grade against")?;
            (Url::parse(&server.base_url())?, Some(server))
        }
    };
    let ca = authority.as_ref().map(|a| a.0.as_path());
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut lines = Vec::new();
    for s in SCENARIOS {
        if !args.only.is_empty() && !args.only.iter().any(|o| o == s.name) {
            continue;
        }
        let mut url = base.join(&format!("/grade/{run_id}/{}", s.name))?;
        if s.credentials {
            let _ = url.set_username("user");
            let _ = url.set_password(Some("passwd"));
        }
        let outcome = run_client(&args.client, url.as_str(), s, ca, timeout).await?;
        let mine = scenario_events(&base, &run_id, s, timeout).await?;
        let (verdict, did) = (s.judge)(&mine, &outcome);
        lines.push(Line {
            scenario: s.name,
            asks: s.asks,
            section: s.section,
            did,
            verdict,
        });
    }
    Ok(lines)
}

/// The authority's certificate of a `--tls` grade, in a file the clients
/// are pointed to; removed when the grade ends.
struct Authority(PathBuf);

impl Authority {
    fn write(run: &str, pem: &str) -> Result<Self> {
        let path = std::env::temp_dir().join(format!("teapot-{run}-ca.pem"));
        std::fs::write(&path, pem)
            .with_context(|| format!("writing the certificate to {}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for Authority {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn fastrand_id() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (t ^ u64::from(std::process::id()).rotate_left(32)) & 0xffff_ffff_ffff
}

async fn run_client(
    template: &str,
    url: &str,
    s: &Scenario,
    ca: Option<&Path>,
    timeout: Duration,
) -> Result<Outcome> {
    let method = s.method;
    let command = template.replace("{url}", url).replace("{method}", method);
    let mut child = tokio::process::Command::new("sh");
    if let Some(ca) = ca {
        for name in [
            "TEAPOT_GRADE_CA",
            "SSL_CERT_FILE",
            "CURL_CA_BUNDLE",
            "REQUESTS_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS",
        ] {
            child.env(name, ca);
        }
    }
    let child = child
        .arg("-c")
        .arg(&command)
        .env("TEAPOT_GRADE_URL", url)
        .env("TEAPOT_GRADE_METHOD", method)
        .env(
            "TEAPOT_GRADE_EXPECT",
            if s.expect { "100-continue" } else { "" },
        )
        .env("TEAPOT_GRADE_REPEAT", if s.repeat { "2" } else { "1" })
        .env(
            "TEAPOT_GRADE_UPGRADE",
            if s.upgrade { "websocket" } else { "" },
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot run the client {command:?}"))?;
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(out) => {
            let out = out.context("waiting for the client")?;
            Ok(Outcome {
                exit: Some(out.status.code().unwrap_or(-1)),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            })
        }
        Err(_) => Ok(Outcome {
            exit: None,
            stdout: String::new(),
        }),
    }
}

/// What arrived for one scenario. A WebSocket session is recorded when it
/// ends on the server, which may be a moment after the client has exited:
/// for a scenario that opened one, the record is asked again (for a few
/// seconds at most) until the session is in it.
async fn scenario_events(
    base: &Url,
    run: &str,
    s: &Scenario,
    timeout: Duration,
) -> Result<Vec<Value>> {
    let settle = tokio::time::Instant::now() + Duration::from_secs(6);
    loop {
        let mine: Vec<Value> = fetch_events(base, run, timeout)
            .await?
            .into_iter()
            .filter(|e| e["scenario"] == s.name)
            .collect();
        let open = s.upgrade
            && mine.iter().any(|e| e["upgrade"] == "websocket")
            && !mine.iter().any(|e| e["step"] == "websocket");
        if !open || tokio::time::Instant::now() >= settle {
            return Ok(mine);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn fetch_events(base: &Url, run: &str, timeout: Duration) -> Result<Vec<Value>> {
    let request = Request {
        method: "GET".into(),
        url: base.join(&format!("/grade/{run}"))?,
        headers: Vec::new(),
        body: bytes::Bytes::new(),
        insecure: true,
        http: Http::Default,
    };
    let ex = teapot_check::client::exchange(&request, timeout, Duration::from_millis(10))
        .await
        .map_err(|e| anyhow::anyhow!("reading the run back: {e}"))?;
    let body = ex
        .final_response
        .map(|r| r.body)
        .context("reading the run back: no answer")?;
    let doc: Value = serde_json::from_slice(&body).context("reading the run back")?;
    Ok(doc["events"].as_array().cloned().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn judge(name: &str, events: &[Value], exit: Option<i32>, stdout: &str) -> Verdict {
        let s = SCENARIOS.iter().find(|s| s.name == name).unwrap();
        let out = Outcome {
            exit,
            stdout: stdout.into(),
        };
        (s.judge)(events, &out).0
    }

    fn ev(step: &str, method: &str, body: u64, at: u64) -> Value {
        json!({ "step": step, "method": method, "body_bytes": body, "at_ms": at })
    }

    /// A scenario, what arrived, the exit status, what was printed, and
    /// the verdict expected.
    type Case = (&'static str, Vec<Value>, Option<i32>, &'static str, Verdict);

    /// A request as the server records it, with the connection's port.
    fn on(conn: u64, step: &str, method: &str, body: u64, at: u64) -> Value {
        let mut e = ev(step, method, body, at);
        e["conn"] = json!(conn);
        e
    }

    fn with(mut e: Value, field: &str, value: Value) -> Value {
        e[field] = value;
        e
    }

    /// Each scenario seen to pass with a client that behaves and to fail
    /// with one that breaks exactly its rule: (scenario, what arrived,
    /// exit status, what it printed, verdict).
    #[test]
    fn every_scenario_passes_and_fails() {
        use Verdict::*;
        let get = ev("", "GET", 0, 0);
        let post = ev("", "POST", 6, 0);
        let head = ev("", "HEAD", 0, 0);
        let looped = |n: u64| vec![json!({ "step": "", "method": "GET", "count": n })];
        let expect = with(ev("", "POST", 0, 0), "expect", json!("100-continue"));
        let authed = |step: &str, ok: bool| {
            with(
                with(ev(step, "GET", 0, 0), "credentials_ok", json!(ok)),
                "authorization",
                json!(ok),
            )
        };
        let digest = |ok: bool| {
            with(
                with(get.clone(), "auth_scheme", json!("digest")),
                "credentials_ok",
                json!(ok),
            )
        };
        let ws_offer = with(get.clone(), "upgrade", json!("websocket"));
        let session = |fields: Value| {
            let mut e = json!({ "step": "websocket", "frames": 3, "pong": true, "echoed": true, "close_answered": 1000 });
            for (k, v) in fields.as_object().unwrap() {
                e[k] = v.clone();
            }
            vec![ws_offer.clone(), e]
        };
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("upgrade-101", session(json!({})), Some(0), "final", Pass),
            ("upgrade-101", session(json!({ "close_answered": null, "closed_first": 1000 })), Some(0), "final", Pass),
            ("upgrade-101", session(json!({ "protocol_error": "Received an unmasked frame from client" })), Some(0), "final", Fail),
            ("upgrade-101", session(json!({ "pong": false })), Some(0), "final", Fail),
            ("upgrade-101", session(json!({ "close_answered": null })), Some(0), "final", Fail),
            ("upgrade-101", session(json!({ "frames": 0, "pong": false, "echoed": false, "close_answered": null })), Some(1), "", Fail),
            ("upgrade-101", session(json!({})), Some(0), "", Fail),
            ("upgrade-101", session(json!({})), Some(1), "final", Fail),
            ("upgrade-101", vec![ws_offer.clone()], Some(0), "final", Fail),
            ("upgrade-101", vec![get.clone()], Some(0), "", NotApplicable),
            ("upgrade-101-bad-accept", session(json!({ "frames": 0, "pong": false, "echoed": false, "close_answered": null })), Some(1), "", Pass),
            ("upgrade-101-bad-accept", vec![ws_offer.clone()], Some(1), "", Pass),
            ("upgrade-101-bad-accept", session(json!({})), Some(0), "final", Fail),
            ("upgrade-101-bad-accept", session(json!({ "frames": 0, "pong": false, "echoed": false, "close_answered": null })), Some(0), "", Fail),
            ("upgrade-101-bad-accept", vec![get.clone()], Some(0), "", NotApplicable),
            ("interim-100", vec![get.clone()], Some(0), "final\n", Pass),
            ("interim-100", vec![get.clone()], Some(0), "", Fail),
            ("interim-100", vec![get.clone()], Some(1), "", Fail),
            ("interim-102", vec![get.clone()], Some(0), "final\n", Pass),
            ("interim-102", vec![get.clone()], Some(0), "", Fail),
            ("interim-103", vec![get.clone()], Some(0), "final\n", Pass),
            ("interim-103", vec![get.clone()], Some(1), "", Fail),
            ("expect-417", vec![expect.clone(), post.clone()], Some(0), "final", Pass),
            ("expect-417", vec![expect.clone()], Some(0), "", Fail),
            ("expect-417", vec![expect.clone(), expect.clone()], Some(0), "", Fail),
            ("expect-417", vec![expect.clone(), ev("", "POST", 0, 1)], Some(0), "", Fail),
            ("expect-417", vec![post.clone()], Some(0), "final", NotApplicable),
            ("redirect-301-post", vec![post.clone(), ev("landing", "GET", 0, 1)], Some(0), "", Pass),
            ("redirect-301-post", vec![post.clone(), ev("landing", "POST", 6, 1)], Some(0), "", Pass),
            ("redirect-301-post", vec![post.clone(), ev("landing", "POST", 0, 1)], Some(0), "", Fail),
            ("redirect-302-post", vec![post.clone(), ev("landing", "GET", 0, 1)], Some(0), "", Pass),
            ("redirect-302-post", vec![post.clone(), ev("landing", "PUT", 6, 1)], Some(0), "", Fail),
            ("redirect-303", vec![post.clone(), ev("landing", "GET", 0, 1)], Some(0), "", Pass),
            ("expect-401", vec![expect.clone(), with(with(post.clone(), "credentials_ok", json!(true)), "expect", json!("100-continue"))], Some(0), "final", Pass),
            ("expect-401", vec![expect.clone(), with(ev("", "POST", 0, 1), "credentials_ok", json!(true))], Some(0), "", Fail),
            ("expect-401", vec![expect.clone()], Some(0), "", NotApplicable),
            ("expect-401", vec![with(expect.clone(), "credentials_ok", json!(true))], Some(0), "final", NotApplicable),
            ("redirect-308-remembered", vec![post.clone(), ev("landing", "POST", 6, 1), ev("landing", "POST", 6, 2)], Some(0), "", Pass),
            ("redirect-308-remembered", vec![post.clone(), ev("landing", "POST", 6, 1), ev("landing", "GET", 0, 2)], Some(0), "", Fail),
            ("redirect-308-remembered", vec![post.clone(), ev("landing", "POST", 6, 1), post.clone(), ev("landing", "POST", 6, 2)], Some(0), "", NotApplicable),
            ("redirect-no-store", vec![get.clone(), ev("landing", "GET", 0, 1), get.clone(), ev("landing", "GET", 0, 2)], Some(0), "", Pass),
            ("redirect-no-store", vec![get.clone(), ev("landing", "GET", 0, 1), ev("landing", "GET", 0, 2)], Some(0), "", Fail),
            ("redirect-no-store", vec![get.clone(), ev("landing", "GET", 0, 1)], Some(0), "", NotApplicable),
            ("redirect-303", vec![post.clone(), ev("landing", "POST", 6, 1)], Some(0), "", Fail),
            ("redirect-303", vec![post.clone()], Some(0), "", NotApplicable),
            ("redirect-307", vec![post.clone(), ev("landing", "POST", 6, 1)], Some(0), "", Pass),
            ("redirect-307", vec![post.clone(), ev("landing", "GET", 0, 1)], Some(0), "", Fail),
            ("redirect-308", vec![post.clone(), ev("landing", "POST", 6, 1)], Some(0), "", Pass),
            ("redirect-308", vec![post.clone(), ev("landing", "GET", 0, 1)], Some(0), "", Fail),
            ("redirect-300", vec![get.clone()], Some(0), "moved", Pass),
            ("redirect-300", vec![get.clone(), ev("landing", "GET", 0, 1)], Some(0), "landed", Pass),
            ("redirect-300", vec![get.clone()], Some(1), "", Fail),
            ("redirect-loop", looped(51), Some(47), "", Pass),
            ("redirect-loop", looped(200), None, "", Fail),
            ("redirect-loop", looped(101), Some(0), "", Fail),
            ("redirect-loop", looped(1), Some(0), "", NotApplicable),
            ("redirect-cross-origin", vec![authed("", true), authed("landing", false)], Some(0), "", Pass),
            ("redirect-cross-origin", vec![authed("", true), authed("landing", true)], Some(0), "", Fail),
            ("redirect-cross-origin", vec![authed("", true)], Some(0), "", NotApplicable),
            ("redirect-cross-origin", vec![authed("", false)], Some(0), "", NotApplicable),
            ("redirect-cross-origin", vec![], Some(1), "", NotApplicable),
            ("retry-after-429", vec![ev("", "GET", 0, 0), ev("", "GET", 0, 1200)], Some(0), "", Pass),
            ("retry-after-429", vec![ev("", "GET", 0, 0), ev("", "GET", 0, 10)], Some(0), "", Fail),
            ("retry-after-429", vec![get.clone()], Some(0), "", NotApplicable),
            ("retry-after-date", vec![with(get.clone(), "retry_at_ms", json!(2000)), ev("", "GET", 0, 2000)], Some(0), "", Pass),
            ("retry-after-date", vec![with(get.clone(), "retry_at_ms", json!(2000)), ev("", "GET", 0, 900)], Some(0), "", Fail),
            ("retry-503-post", vec![post.clone()], Some(0), "", Pass),
            ("retry-503-post", vec![post.clone(), post.clone()], Some(0), "", Fail),
            ("retry-408", vec![get.clone()], Some(0), "", Pass),
            ("retry-408", vec![on(1, "", "GET", 0, 0), on(2, "", "GET", 0, 1)], Some(0), "final", Pass),
            ("retry-408", vec![on(1, "", "GET", 0, 0), on(1, "", "GET", 0, 1)], Some(0), "final", Fail),
            ("retry-408", vec![get.clone(); 5], Some(0), "", Fail),
            ("retry-421", vec![on(1, "", "GET", 0, 0), on(2, "", "GET", 0, 1)], Some(0), "final", Pass),
            ("retry-421", vec![on(1, "", "GET", 0, 0), on(1, "", "GET", 0, 1)], Some(0), "final", Fail),
            ("retry-421", vec![get.clone()], Some(0), "", NotApplicable),
            ("retry-425", vec![with(get.clone(), "early_data", json!("1")), get.clone()], Some(0), "final\n", Pass),
            ("retry-425", vec![with(get.clone(), "early_data", json!("1")); 2], Some(0), "", Fail),
            ("retry-425", vec![with(get.clone(), "early_data", json!("1"))], Some(0), "too early", NotApplicable),
            ("retry-425", vec![get.clone()], Some(0), "final\n", NotApplicable),
            ("auth-basic", vec![authed("", false), authed("", true)], Some(0), "final", Pass),
            ("auth-basic", vec![authed("", false), authed("", false)], Some(0), "", Fail),
            ("auth-basic", vec![authed("", false); 5], Some(0), "", Fail),
            ("auth-digest", vec![get.clone(), digest(true)], Some(0), "final", Pass),
            ("auth-digest", vec![get.clone(), digest(false)], Some(0), "", Fail),
            ("auth-digest", vec![get.clone(); 5], Some(0), "", Fail),
            ("auth-digest", vec![get.clone()], Some(0), "", NotApplicable),
            ("proxy-407", vec![get.clone()], Some(0), "", Pass),
            ("proxy-407", vec![get.clone(); 5], Some(0), "", Fail),
            ("proxy-407", vec![get.clone()], None, "", Fail),
            ("proxy-407", vec![get.clone()], Some(1), "", NotApplicable),
            ("truncated", vec![get.clone()], Some(18), "", Pass),
            ("truncated", vec![get.clone()], Some(0), "only part", Fail),
            ("truncated", vec![get.clone()], None, "", Fail),
            ("truncated-chunked", vec![get.clone()], Some(18), "", Pass),
            ("truncated-chunked", vec![get.clone()], Some(0), "only part", Fail),
            ("close-delimited", vec![get.clone()], Some(0), "all of it, ended by close: final\n", Pass),
            ("close-delimited", vec![get.clone()], Some(0), "all of it", Fail),
            ("close-delimited", vec![get.clone()], Some(56), "", Fail),
            ("close-delimited", vec![with(get.clone(), "version", json!("HTTP/2"))], Some(0), "all of it, ended by close: final\n", NotApplicable),
            ("resume-206", vec![get.clone(), with(get.clone(), "range", json!("bytes=32-"))], Some(0), RESUMABLE, Pass),
            ("resume-206", vec![get.clone()], Some(18), "", NotApplicable),
            ("resume-206", vec![get.clone()], Some(0), "the first half of the content--a", Fail),
            ("resume-206", vec![get.clone(), with(get.clone(), "range", json!("bytes=0-"))], Some(0), "the first half of the content--athe first half", Fail),
            ("no-content-204", vec![get.clone()], Some(0), "", Pass),
            ("no-content-204", vec![get.clone()], None, "", Fail),
            ("no-content-then", vec![on(1, "", "GET", 0, 0), on(1, "", "GET", 0, 1)], Some(0), "final\n", Pass),
            ("no-content-then", vec![get.clone()], None, "", Fail),
            ("no-content-then", vec![get.clone()], Some(0), "", NotApplicable),
            ("no-store", vec![get.clone(), get.clone()], Some(0), "answer 1\nanswer 2\n", Pass),
            ("no-store", vec![get.clone()], Some(0), "answer 1\nanswer 1\n", Fail),
            ("no-store", vec![get.clone()], Some(0), "answer 1\n", NotApplicable),
            ("revalidate-304", vec![get.clone(), with(get.clone(), "if_none_match", json!("\"v1\""))], Some(0), "the stored representation\nthe stored representation\n", Pass),
            ("revalidate-304", vec![get.clone(), with(get.clone(), "if_none_match", json!("\"v1\""))], Some(0), "the stored representation\n", Fail),
            ("revalidate-304", vec![get.clone()], Some(0), "the stored representation\nthe stored representation\n", Fail),
            ("revalidate-304", vec![get.clone(), get.clone()], Some(0), "the stored representation\nthe stored representation\n", NotApplicable),
            ("upgrade-426", vec![get.clone()], Some(0), "", Pass),
            ("upgrade-426", vec![get.clone(); 4], Some(0), "", Fail),
            ("head-redirect", vec![head.clone(), ev("landing", "HEAD", 0, 1)], Some(0), "", Pass),
            ("head-redirect", vec![head.clone()], None, "", Fail),
            ("http11-required", vec![with(get.clone(), "version", json!("HTTP/2")), with(get.clone(), "version", json!("HTTP/1.1"))], Some(0), "final\n", Pass),
            ("http11-required", vec![with(get.clone(), "version", json!("HTTP/2"))], Some(1), "", Fail),
            ("http11-required", vec![with(get.clone(), "version", json!("HTTP/1.1"))], Some(0), "final\n", NotApplicable),
            ("reset-get", vec![get.clone()], Some(56), "", Pass),
            ("reset-get", vec![get.clone(), get.clone()], Some(56), "", Pass),
            ("reset-get", vec![get.clone()], Some(0), "", Fail),
            ("reset-get", vec![get.clone(); 4], Some(56), "", Fail),
            ("reset-post", vec![post.clone()], Some(56), "", Pass),
            ("reset-post", vec![post.clone(), post.clone()], Some(56), "", Fail),
        ];
        for (name, events, exit, stdout, want) in &cases {
            assert_eq!(
                judge(name, events, *exit, stdout),
                *want,
                "{name}: {events:?} exit {exit:?} {stdout:?}"
            );
        }
        // Every scenario has been seen to pass and to fail.
        for s in SCENARIOS {
            for want in [Pass, Fail] {
                assert!(
                    cases.iter().any(|c| c.0 == s.name && c.4 == want),
                    "{} is never seen to {want:?}",
                    s.name
                );
            }
        }
        // No request at all fails everywhere.
        for s in SCENARIOS {
            let out = Outcome {
                exit: Some(0),
                stdout: "final".into(),
            };
            assert_eq!((s.judge)(&[], &out).0, Fail, "{}", s.name);
        }
    }

    #[test]
    fn the_scenarios_are_the_servers() {
        let ours: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        assert_eq!(ours, teapot_server::routes::GRADE_SCENARIOS);
    }
}
