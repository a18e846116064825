//! `teapot check`: arguments like curl's, the report for a person or as
//! JSON, and the exit status (0 clean, 1 findings, 2 could not check).

use std::io::Write;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use bytes::Bytes;
use clap::Args;
use teapot_check::exchange::{Exchange, Framing, Response};
use teapot_check::{lints, CheckError, Http, Options, Report, Request, ScoreLine, Severity};
use url::Url;

use crate::style::Style;

/// Flags of `teapot check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The URL to invoke (with --all: the server's base URL).
    #[arg(value_name = "URL", required_unless_present_any = ["rules", "explain"])]
    url: Option<String>,

    /// List every rule: its id and what it checks.
    #[arg(long, conflicts_with = "explain")]
    rules: bool,

    /// Say what one rule checks, and why.
    #[arg(long, value_name = "RULE")]
    explain: Option<String>,

    /// Drop the findings of a rule (repeatable).
    #[arg(long, value_name = "RULE")]
    allow: Vec<String>,

    /// Count the findings of a rule as MUST findings (repeatable).
    #[arg(long, value_name = "RULE")]
    deny: Vec<String>,

    /// A team's levels for rules, in TOML: `allow = ["RULE", …]` and
    /// `deny = [...]` (default: ./teapot-check.toml when there is one). The
    /// flags add to it.
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,

    /// The method (default GET, or POST when data is given).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,

    /// A request header, "Name: Value" (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,

    /// Content to send; @FILE reads it from a file.
    #[arg(
        short = 'd',
        long = "data",
        value_name = "DATA",
        conflicts_with = "data_binary"
    )]
    data: Option<String>,

    /// Content to send as it is; @FILE reads it from a file.
    #[arg(long = "data-binary", value_name = "DATA")]
    data_binary: Option<String>,

    /// Accept any TLS certificate (https only).
    #[arg(short = 'k', long)]
    insecure: bool,

    /// Speak HTTP/1.1 only (over https, ALPN offers only http/1.1).
    #[arg(long = "http1.1", group = "http")]
    http1: bool,

    /// Ask for HTTP/2: over https by ALPN, over http by Upgrade: h2c. The
    /// default is HTTP/1.1 on http and ALPN h2 or http/1.1 on https.
    #[arg(long = "http2", group = "http")]
    http2: bool,

    /// Speak HTTP/2 from the first byte, without asking (h2c on http; ALPN
    /// h2 only on https).
    #[arg(long = "http2-prior-knowledge", group = "http")]
    http2_prior_knowledge: bool,

    /// Speak HTTP/3 over QUIC (https only; UDP to the URL's port). A
    /// stream reset with H3_VERSION_FALLBACK is asked again over HTTP/1.1.
    #[arg(long = "http3", alias = "http3-only", group = "http")]
    http3: bool,

    /// Follow redirects, showing each hop and whether the method changed.
    #[arg(short = 'L', long = "location")]
    follow: bool,

    /// The most redirects followed with -L.
    #[arg(long = "max-redirs", default_value_t = 10, value_name = "N")]
    max_redirects: usize,

    /// Time allowed to connect, and again for the response (seconds).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    timeout: f64,

    /// Print the exchange and findings as JSON (as --format json).
    #[arg(long, conflicts_with = "format")]
    json: bool,

    /// The output: text for people, json for scripts, sarif (SARIF 2.1.0)
    /// for CI systems that annotate findings.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Make no probes (by default, after a 200 to GET or HEAD the server is
    /// asked again: conditionally, for a range, compressed, and with HEAD).
    #[arg(long)]
    no_probe: bool,

    /// Exit 1 on any finding, not only on MUST findings.
    #[arg(long)]
    strict: bool,

    /// Check the forced status of every registered code against the
    /// server at URL, and print a scorecard.
    #[arg(long)]
    all: bool,

    /// With --all: the path of a forced status on the server, {code}
    /// standing for the code (teapot: /{code}; httpbin: /status/{code}).
    #[arg(long, default_value = "/{code}", value_name = "PATH", requires = "all")]
    forced_path: String,
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// The report as JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

fn http_of(args: &CheckArgs) -> Http {
    if args.http1 {
        Http::Http1
    } else if args.http2 {
        Http::Http2
    } else if args.http2_prior_knowledge {
        Http::Http2Only
    } else if args.http3 {
        Http::Http3
    } else {
        Http::Default
    }
}

/// Runs the check; returns the exit status.
pub fn check(out: &mut impl Write, args: CheckArgs, style: Style) -> Result<u8> {
    if args.rules {
        for r in lints::RULES {
            writeln!(out, "{:38} {:24} {}", r.id, r.section, r.doc)?;
        }
        return Ok(0);
    }
    if let Some(id) = &args.explain {
        let Some(r) = lints::rule(id) else {
            bail!("there is no rule {id:?} (teapot check --rules lists them)");
        };
        writeln!(out, "{}  ({})\n  {}", style.bold(r.id), r.section, r.doc)?;
        if let Some(url) = lints::section_url(r.section) {
            writeln!(out, "  {url}")?;
        }
        if let Some((bad, good)) = lints::examples::example(r.id) {
            for (title, text) in [("Breaks it:", bad), ("Keeps it:", good)] {
                writeln!(out, "\n  {title}")?;
                for line in text.lines() {
                    writeln!(out, "    {line}")?;
                }
            }
        }
        return Ok(0);
    }
    let (mut allow, mut deny) = read_config(args.config.as_deref())?;
    allow.extend(args.allow.iter().cloned());
    deny.extend(args.deny.iter().cloned());
    let levels = lints::Levels::new(&allow, &deny).map_err(anyhow::Error::msg)?;
    let format = if args.json { Format::Json } else { args.format };
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        bail!("--timeout must be a number of seconds between 0 and 3600");
    }
    let given = args.url.clone().unwrap_or_default();
    let url = Url::parse(&given).with_context(|| format!("{given:?} is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("{url}: only http and https URLs can be checked");
    }
    let options = Options {
        timeout: Duration::from_secs_f64(args.timeout),
        follow: args.follow,
        max_redirects: args.max_redirects,
        insecure: args.insecure,
        http: http_of(&args),
        probe: !args.no_probe,
        ..Options::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    if args.all {
        let mut lines = runtime
            .block_on(teapot_check::scorecard(&url, &args.forced_path, &options))
            .map_err(friendly)?;
        for l in &mut lines {
            levels.apply(&mut l.findings);
        }
        match format {
            Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&lines)?)?,
            Format::Sarif => {
                let urls: Vec<String> = lines
                    .iter()
                    .map(|l| {
                        url.join(&args.forced_path.replace("{code}", &l.code.to_string()))
                            .map_or_else(|_| url.to_string(), |u| u.to_string())
                    })
                    .collect();
                let findings = lines
                    .iter()
                    .zip(&urls)
                    .flat_map(|(l, u)| l.findings.iter().map(move |f| (u.as_str(), f)));
                write_sarif(out, findings)?;
            }
            Format::Text => write_scorecard(out, &lines, style)?,
        }
        let failed = lines.iter().any(|l| {
            l.error.is_some()
                || l.findings
                    .iter()
                    .any(|f| f.severity == Severity::Must || args.strict)
        });
        return Ok(u8::from(failed));
    }
    let request = build_request(&args, url)?;
    let mut report = runtime
        .block_on(teapot_check::run(request, &options))
        .map_err(friendly)?;
    for hop in &mut report.hops {
        levels.apply(&mut hop.findings);
        for probe in &mut hop.probes {
            levels.apply(&mut probe.findings);
        }
    }
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        Format::Sarif => {
            let findings = report.hops.iter().flat_map(|h| {
                h.findings
                    .iter()
                    .chain(h.probes.iter().flat_map(|p| &p.findings))
                    .map(move |f| (h.exchange.request.url.as_str(), f))
            });
            write_sarif(out, findings)?;
        }
        Format::Text => write_report(out, &report, style)?,
    }
    let any = report.findings().next().is_some();
    Ok(u8::from(report.has_must() || (args.strict && any)))
}

/// The file a team keeps its levels in, when none is named.
const CONFIG: &str = "teapot-check.toml";

/// A team's levels: `allow` and `deny`, lists of rule ids.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
}

fn read_config(path: Option<&std::path::Path>) -> Result<(Vec<String>, Vec<String>)> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None if std::path::Path::new(CONFIG).exists() => CONFIG.into(),
        None => return Ok((Vec::new(), Vec::new())),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let config: Config = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))?;
    Ok((config.allow, config.deny))
}

fn friendly(e: CheckError) -> anyhow::Error {
    anyhow::anyhow!(e)
}

fn build_request(args: &CheckArgs, url: Url) -> Result<Request> {
    let mut headers = Vec::new();
    for h in &args.headers {
        let Some((name, value)) = h.split_once(':') else {
            bail!("-H {h:?}: a header is written \"Name: Value\"");
        };
        let name = name.trim();
        let value = value.trim();
        if !teapot_wire::response::is_field_name(name)
            || !teapot_wire::response::is_field_value(value.as_bytes())
        {
            bail!("-H {h:?}: not a valid header field");
        }
        headers.push((name.to_string(), value.to_string()));
    }
    let data = match (&args.data, &args.data_binary) {
        (Some(d), _) | (None, Some(d)) => Some(read_data(d)?),
        (None, None) => None,
    };
    if args.data.is_some()
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    let method = match (&args.method, &data) {
        (Some(m), _) => {
            if m.is_empty()
                || !m
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
            {
                bail!("-X {m:?}: not a method token");
            }
            m.clone()
        }
        (None, Some(_)) => "POST".into(),
        (None, None) => "GET".into(),
    };
    Ok(Request {
        method,
        url,
        headers,
        body: data.unwrap_or_default(),
        insecure: args.insecure,
        http: http_of(args),
    })
}

fn read_data(d: &str) -> Result<Bytes> {
    match d.strip_prefix('@') {
        Some(path) => std::fs::read(path)
            .map(Bytes::from)
            .with_context(|| format!("cannot read {path}")),
        None => Ok(Bytes::from(d.to_string())),
    }
}

fn write_sarif<'a>(
    out: &mut impl Write,
    findings: impl IntoIterator<Item = (&'a str, &'a teapot_check::Finding)>,
) -> Result<()> {
    let log = teapot_check::sarif::log(findings);
    writeln!(out, "{}", serde_json::to_string_pretty(&log)?)?;
    Ok(())
}

fn write_findings(
    out: &mut impl Write,
    findings: &[teapot_check::Finding],
    style: Style,
) -> Result<()> {
    if findings.is_empty() {
        writeln!(out, "no findings")?;
        return Ok(());
    }
    let n = findings.len();
    writeln!(out, "{n} finding{}:", if n == 1 { "" } else { "s" })?;
    for f in findings {
        let sev = match f.severity {
            Severity::Must => style.red(f.severity.as_str()),
            Severity::Should => style.yellow(f.severity.as_str()),
            Severity::Info => style.dim(f.severity.as_str()),
        };
        writeln!(out, "  {sev:<6} {}  {}", f.rule, style.dim(&f.source))?;
        writeln!(out, "         {}", f.message)?;
        if let Some(e) = &f.evidence {
            for line in e.lines() {
                writeln!(out, "         {}", style.dim(&format!("> {line}")))?;
            }
        }
    }
    Ok(())
}

fn write_report(out: &mut impl Write, report: &Report, style: Style) -> Result<()> {
    for (i, hop) in report.hops.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        write_exchange(out, &hop.exchange, style)?;
        if let Some(r) = &hop.exchange.final_response {
            if let Some(e) = teapot_codes::Status::from_u16(r.status)
                .ok()
                .and_then(|s| s.entry())
            {
                writeln!(out)?;
                writeln!(
                    out,
                    "{} {}: {}",
                    style.code(e.class(), &e.code.to_string()),
                    style.bold(e.reason),
                    e.summary
                )?;
            }
        }
        writeln!(out)?;
        write_findings(out, &hop.findings, style)?;
        for probe in &hop.probes {
            let asked: Vec<String> = probe
                .exchange
                .request
                .headers
                .iter()
                .filter(|(n, _)| {
                    [
                        "if-none-match",
                        "if-modified-since",
                        "range",
                        "accept-encoding",
                    ]
                    .contains(&n.to_ascii_lowercase().as_str())
                })
                .map(|(n, v)| format!("{n}: {v}"))
                .collect();
            let answer = probe.exchange.final_response.as_ref().map_or_else(
                || "no answer".to_string(),
                |r| format!("{} {}", r.status, r.reason),
            );
            writeln!(out)?;
            writeln!(
                out,
                "probe {}: {} {} → {answer}",
                style.bold(probe.name),
                probe.exchange.request.method,
                if asked.is_empty() {
                    String::new()
                } else {
                    asked.join(", ")
                }
            )?;
            if !probe.findings.is_empty() {
                write_findings(out, &probe.findings, style)?;
            }
        }
        if let Some(next) = &hop.followed {
            let change = if next.method_changed {
                format!("method changed to {}", next.method)
            } else {
                format!("method kept: {}", next.method)
            };
            writeln!(
                out,
                "\nfollowing {} to {} ({change})",
                next.status, next.location
            )?;
        }
    }
    Ok(())
}

fn write_exchange(out: &mut impl Write, ex: &Exchange, style: Style) -> Result<()> {
    // After an h2c upgrade the request itself went out as HTTP/1.1.
    let upgraded = ex.interim.iter().any(|r| r.status == 101);
    let version = match ex.protocol.as_str() {
        "HTTP/2" if !upgraded => "HTTP/2",
        "HTTP/3" => "HTTP/3",
        _ => "HTTP/1.1",
    };
    writeln!(
        out,
        "{}",
        style.dim(&format!(
            "> {} {} {version}",
            ex.request.method, ex.request.target
        ))
    )?;
    for (n, v) in &ex.request.headers {
        writeln!(out, "{}", style.dim(&format!("> {n}: {v}")))?;
    }
    if ex.request.body_bytes > 0 {
        writeln!(
            out,
            "{}",
            style.dim(&format!("> [{} bytes of content]", ex.request.body_bytes))
        )?;
    }
    for r in ex.interim.iter().chain(&ex.final_response) {
        write_response(out, r, style)?;
    }
    for note in &ex.notes {
        writeln!(out, "* {note}")?;
    }
    if let Some(why) = &ex.incomplete {
        writeln!(out, "! {why}")?;
    }
    if ex.stray_bytes > 0 {
        writeln!(
            out,
            "! {} more bytes arrived after the end of the response",
            ex.stray_bytes
        )?;
    }
    let t = ex.timing;
    writeln!(
        out,
        "{}",
        style.dim(&format!(
            "connect {:.2} ms{} · first byte {:.2} ms · total {:.2} ms · connection {}",
            t.connect_ms,
            t.tls_ms
                .map_or(String::new(), |ms| format!(" · TLS {ms:.2} ms")),
            t.first_byte_ms,
            t.total_ms,
            if ex.reusable {
                "reusable"
            } else {
                "not reusable"
            }
        ))
    )?;
    Ok(())
}

fn write_response(out: &mut impl Write, r: &Response, style: Style) -> Result<()> {
    let class = teapot_codes::Status::from_u16(r.status)
        .map_or(teapot_codes::Class::ServerError, |s| s.class());
    writeln!(
        out,
        "< {} {} {}",
        r.version,
        style.code(class, &r.status.to_string()),
        r.reason
    )?;
    for (n, v) in &r.headers {
        writeln!(out, "< {n}: {v}")?;
    }
    let framing = match r.framing {
        Framing::None => return Ok(()),
        Framing::ContentLength => "Content-Length",
        Framing::Chunked => "chunked",
        Framing::Close => "until close",
        Framing::Frames => "DATA frames",
        Framing::Invalid => "invalid framing",
    };
    let mut note = format!("[{} bytes of content, {framing}", r.body_bytes);
    if r.truncated {
        note.push_str(", cut short");
    }
    if r.bad_chunking {
        note.push_str(", broken chunking");
    }
    note.push(']');
    writeln!(out, "{}", style.dim(&format!("< {note}")))?;
    Ok(())
}

fn write_scorecard(out: &mut impl Write, lines: &[ScoreLine], style: Style) -> Result<()> {
    writeln!(
        out,
        "{}",
        style.bold("code  got  interim      MUST  SHOULD  INFO  protocol")
    )?;
    let mut clean = 0;
    for l in lines {
        let count = |s: Severity| l.findings.iter().filter(|f| f.severity == s).count();
        let (m, s, i) = (
            count(Severity::Must),
            count(Severity::Should),
            count(Severity::Info),
        );
        if m == 0 && l.error.is_none() {
            clean += 1;
        }
        let got = l.status.map_or("-".to_string(), |s| s.to_string());
        let interim = l
            .interim
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let must = if m > 0 {
            style.red(&format!("{m:>4}"))
        } else {
            format!("{m:>4}")
        };
        writeln!(
            out,
            "{:<5} {got:<4} {interim:<12} {must}  {s:>6}  {i:>4}  {}",
            l.code,
            l.protocol.as_deref().unwrap_or("-")
        )?;
        if let Some(e) = &l.error {
            writeln!(out, "      ! {e}")?;
        }
        for f in l.findings.iter().filter(|f| f.severity != Severity::Info) {
            writeln!(
                out,
                "      {} {}: {}",
                f.severity.as_str(),
                f.rule,
                f.message
            )?;
        }
    }
    writeln!(
        out,
        "\n{} codes: {clean} without MUST findings, {} with",
        lines.len(),
        lines.len() - clean
    )?;
    Ok(())
}
