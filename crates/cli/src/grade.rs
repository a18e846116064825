//! `teapot grade`: runs an HTTP client once per scenario against
//! `/grade/{run}/{scenario}` (a teapot started here, or `--server`), reads
//! back what arrived, and prints the client's report card: what the RFC
//! asks of a client, what this one did, pass / fail / not applicable.
//! Exit 0 when nothing fails, 1 when something does, 2 when the grade
//! could not run.

use std::io::Write;
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
    /// scenario's URL and `{method}` its method (GET, or POST with a body
    /// of its own); also in TEAPOT_GRADE_URL and TEAPOT_GRADE_METHOD. It
    /// prints the content it received and exits non-zero on an error.
    #[arg(long, value_name = "COMMAND")]
    client: String,

    /// Grade against this teapot (default: one started here on loopback).
    #[arg(long, value_name = "URL")]
    server: Option<String>,

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

/// The scenarios, in the order they run.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "interim-100",
        method: "GET",
        asks: "an unsolicited 100 is skipped; the final response follows",
        section: "RFC 9110 §15.2",
        credentials: false,
        judge: interim,
    },
    Scenario {
        name: "interim-102",
        method: "GET",
        asks: "102 (three times) is interim; wait for the final response",
        section: "RFC 9110 §15.2",
        credentials: false,
        judge: interim,
    },
    Scenario {
        name: "interim-103",
        method: "GET",
        asks: "103 with Link is interim; wait for the final response",
        section: "RFC 8297 §2",
        credentials: false,
        judge: interim,
    },
    Scenario {
        name: "redirect-301-post",
        method: "POST",
        asks: "after 301 on POST, GET without content or the same POST",
        section: "RFC 9110 §15.4.2",
        credentials: false,
        judge: |e, _| follows(e, Follow::Either),
    },
    Scenario {
        name: "redirect-302-post",
        method: "POST",
        asks: "after 302 on POST, GET without content or the same POST",
        section: "RFC 9110 §15.4.3",
        credentials: false,
        judge: |e, _| follows(e, Follow::Either),
    },
    Scenario {
        name: "redirect-303",
        method: "POST",
        asks: "after 303, GET the Location without content",
        section: "RFC 9110 §15.4.4",
        credentials: false,
        judge: |e, _| follows(e, Follow::Get),
    },
    Scenario {
        name: "redirect-307",
        method: "POST",
        asks: "after 307, the same method and content to the Location",
        section: "RFC 9110 §15.4.8",
        credentials: false,
        judge: |e, _| follows(e, Follow::Same),
    },
    Scenario {
        name: "redirect-loop",
        method: "GET",
        asks: "stop following a redirect that loops",
        section: "RFC 9110 §15.4",
        credentials: false,
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
        name: "retry-after-429",
        method: "GET",
        asks: "a retry after 429 waits the Retry-After (1 s)",
        section: "RFC 6585 §4, RFC 9110 §10.2.3",
        credentials: false,
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
        judge: |e, _| match e.len() {
            0 => (Verdict::Fail, "made no request".into()),
            1 => (Verdict::Pass, "did not resend the POST".into()),
            n => (Verdict::Fail, format!("sent the POST {n} times")),
        },
    },
    Scenario {
        name: "auth-basic",
        method: "GET",
        asks: "answer a Basic challenge with the credentials given, not endlessly",
        section: "RFC 9110 §11.6.1, RFC 7617",
        credentials: true,
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
        name: "truncated",
        method: "GET",
        asks: "content cut short of Content-Length is an error, not a success",
        section: "RFC 9112 §6.3",
        credentials: false,
        judge: |e, out| match (e.len(), out.exit) {
            (0, _) => (Verdict::Fail, "made no request".into()),
            (_, None) => (Verdict::Fail, "waited for the rest (timed out)".into()),
            (_, Some(0)) => (
                Verdict::Fail,
                "returned the partial content as a success".into(),
            ),
            (_, Some(code)) => (Verdict::Pass, format!("reported an error (exit {code})")),
        },
    },
    Scenario {
        name: "no-content-204",
        method: "GET",
        asks: "a 204 ends at its head; do not wait for content",
        section: "RFC 9110 §15.3.5",
        credentials: false,
        judge: |e, out| match (e.len(), out.exit) {
            (0, _) => (Verdict::Fail, "made no request".into()),
            (_, None) => (Verdict::Fail, "waited for content (timed out)".into()),
            (_, Some(0)) => (Verdict::Pass, "took the 204 as complete".into()),
            (_, Some(code)) => (Verdict::Fail, format!("failed on a 204 (exit {code})")),
        },
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
        for l in &lines {
            let verdict = match l.verdict {
                Verdict::Pass => style.green("pass"),
                Verdict::Fail => style.red("FAIL"),
                Verdict::NotApplicable => style.dim("n/a"),
            };
            writeln!(
                out,
                "{verdict:<4}  {:<16} {}  {}",
                l.scenario,
                l.asks,
                style.dim(l.section)
            )?;
            writeln!(out, "                        this client {}", l.did)?;
        }
    }
    Ok(u8::from(lines.iter().any(|l| l.verdict == Verdict::Fail)))
}

async fn run(args: &GradeArgs) -> Result<Vec<Line>> {
    let (base, _server) = match &args.server {
        Some(url) => (
            Url::parse(url).with_context(|| format!("--server {url:?} is not a URL"))?,
            None,
        ),
        None => {
            let server = teapot_server::spawn(teapot_server::Config::default())
                .await
                .context("starting a teapot to grade against")?;
            (Url::parse(&server.base_url())?, Some(server))
        }
    };
    let run_id = format!("g{:012x}", fastrand_id());
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
        let outcome = run_client(&args.client, url.as_str(), s.method, timeout).await?;
        let events = fetch_events(&base, &run_id, timeout).await?;
        let mine: Vec<Value> = events
            .into_iter()
            .filter(|e| e["scenario"] == s.name)
            .collect();
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

fn fastrand_id() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (t ^ u64::from(std::process::id()).rotate_left(32)) & 0xffff_ffff_ffff
}

async fn run_client(template: &str, url: &str, method: &str, timeout: Duration) -> Result<Outcome> {
    let command = template.replace("{url}", url).replace("{method}", method);
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .env("TEAPOT_GRADE_URL", url)
        .env("TEAPOT_GRADE_METHOD", method)
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

    /// Each scenario seen to pass with a client that behaves and to fail
    /// with one that breaks exactly its rule.
    #[test]
    fn every_scenario_passes_and_fails() {
        use Verdict::*;
        let one = [ev("", "GET", 0, 0)];
        for name in ["interim-100", "interim-102", "interim-103"] {
            assert_eq!(judge(name, &one, Some(0), "final\n"), Pass, "{name}");
            assert_eq!(
                judge(name, &one, Some(0), ""),
                Fail,
                "{name}: took the 1xx as final"
            );
            assert_eq!(
                judge(name, &one, Some(1), ""),
                Fail,
                "{name}: errored on the 1xx"
            );
        }
        let post = ev("", "POST", 6, 0);
        assert_eq!(
            judge(
                "redirect-303",
                &[post.clone(), ev("landing", "GET", 0, 1)],
                Some(0),
                ""
            ),
            Pass
        );
        assert_eq!(
            judge(
                "redirect-303",
                &[post.clone(), ev("landing", "POST", 6, 1)],
                Some(0),
                ""
            ),
            Fail
        );
        assert_eq!(
            judge("redirect-303", std::slice::from_ref(&post), Some(0), ""),
            NotApplicable
        );
        assert_eq!(
            judge(
                "redirect-307",
                &[post.clone(), ev("landing", "POST", 6, 1)],
                Some(0),
                ""
            ),
            Pass
        );
        assert_eq!(
            judge(
                "redirect-307",
                &[post.clone(), ev("landing", "GET", 0, 1)],
                Some(0),
                ""
            ),
            Fail
        );
        let looped = |n: u64| [json!({ "step": "", "method": "GET", "count": n })];
        assert_eq!(judge("redirect-loop", &looped(51), Some(47), ""), Pass);
        assert_eq!(judge("redirect-loop", &looped(200), None, ""), Fail);
        assert_eq!(judge("redirect-loop", &looped(101), Some(0), ""), Fail);
        assert_eq!(
            judge("redirect-loop", &looped(1), Some(0), ""),
            NotApplicable
        );
        assert_eq!(
            judge(
                "retry-after-429",
                &[ev("", "GET", 0, 0), ev("", "GET", 0, 1200)],
                Some(0),
                ""
            ),
            Pass
        );
        assert_eq!(
            judge(
                "retry-after-429",
                &[ev("", "GET", 0, 0), ev("", "GET", 0, 10)],
                Some(0),
                ""
            ),
            Fail
        );
        assert_eq!(judge("retry-after-429", &one, Some(0), ""), NotApplicable);
        assert_eq!(
            judge("retry-503-post", std::slice::from_ref(&post), Some(0), ""),
            Pass
        );
        assert_eq!(
            judge("retry-503-post", &[post.clone(), post.clone()], Some(0), ""),
            Fail
        );
        assert_eq!(judge("truncated", &one, Some(18), ""), Pass);
        assert_eq!(judge("truncated", &one, Some(0), "only part"), Fail);
        assert_eq!(judge("no-content-204", &one, Some(0), ""), Pass);
        assert_eq!(judge("no-content-204", &one, None, ""), Fail);
        // No request at all fails everywhere.
        for s in SCENARIOS {
            assert_eq!(
                (s.judge)(
                    &[],
                    &Outcome {
                        exit: Some(0),
                        stdout: "final".into()
                    }
                )
                .0,
                Fail,
                "{}",
                s.name
            );
        }
    }

    #[test]
    fn the_scenarios_are_the_servers() {
        let ours: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        assert_eq!(ours, teapot_server::routes::GRADE_SCENARIOS);
    }
}
