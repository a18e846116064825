//! The query grammar of forced status: the code spec and every option,
//! each validated before anything is written.

use std::time::Duration;

use teapot_codes::Status;
use teapot_wire::response::{is_field_name, is_field_value};
use teapot_wire::Exchange;

use crate::app::App;
use crate::problem::Problem;
use crate::routes::query_pairs;

/// Most codes one spec may list (ranges count each code).
pub(super) const MAX_CHOICES: usize = 500;
/// Most interim 102 responses one request may ask for.
pub(super) const MAX_COUNT: u32 = 100;
/// Longest `location` accepted.
pub(super) const MAX_LOCATION: usize = 2048;
/// Longest `retry_after` accepted, in seconds (one day).
pub(super) const MAX_RETRY_AFTER: u64 = 86_400;
/// Where redirects and created resources point by default.
pub(super) const DEFAULT_LOCATION: &str = "/200";

/// Options from the query, all validated.
#[derive(Debug, Default)]
pub(super) struct Options {
    pub(super) delay: Duration,
    pub(super) headers: Vec<(String, String)>,
    pub(super) final_status: Option<Status>,
    pub(super) count: u32,
    pub(super) interval: Duration,
    pub(super) location: Option<String>,
    pub(super) retry_after: Option<u64>,
}

pub(super) fn bad(kind: &'static str, detail: String) -> Problem {
    Problem::bad_request(detail).kind(kind)
}

pub(super) fn parse_code(text: &str) -> Result<Status, Problem> {
    let code = text.trim();
    code.parse::<Status>().map_err(|_| {
        bad(
            "bad-code",
            format!("{code:?} is not a status code: codes are three digits from 100 to 599."),
        )
    })
}

/// The codes a forced path names, each with its weight.
pub(super) type Choices = smallvec::SmallVec<[(Status, f64); 1]>;

/// Reads a spec into (status, weight) pairs.
pub(super) fn parse_spec(spec: &str) -> Result<Choices, Problem> {
    // One code, the common case, without the list grammar (nor an
    // allocation).
    if spec.len() == 3 && spec.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(smallvec::smallvec![(parse_code(spec)?, 1.0)]);
    }
    let spec = percent_encoding::percent_decode_str(spec).decode_utf8_lossy();
    let mut choices = Choices::new();
    for item in spec.split(',') {
        let item = item.trim();
        if let Some((code, weight)) = item.split_once(':') {
            let status = parse_code(code)?;
            let w: f64 = weight
                .trim()
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| {
                    bad(
                        "bad-weight",
                        format!("The weight {weight:?} of {code} is not a number of zero or more."),
                    )
                })?;
            choices.push((status, w));
        } else if let Some((from, to)) = item.split_once('-') {
            let (from, to) = (parse_code(from)?, parse_code(to)?);
            if from > to {
                return Err(bad("bad-code", format!("The range {item} runs backwards.")));
            }
            for n in from.as_u16()..=to.as_u16() {
                choices.push((
                    Status::from_u16(n).map_err(|_| bad("bad-code", item.to_string()))?,
                    1.0,
                ));
            }
        } else {
            choices.push((parse_code(item)?, 1.0));
        }
        if choices.len() > MAX_CHOICES {
            return Err(bad(
                "bad-code",
                format!("At most {MAX_CHOICES} codes may be listed."),
            ));
        }
    }
    if choices.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
        return Err(bad(
            "bad-weight",
            "The weights add up to zero; at least one must be positive.".into(),
        ));
    }
    Ok(choices)
}

/// One choice, at random by weight.
pub(super) fn pick(choices: &[(Status, f64)]) -> Status {
    if choices.len() == 1 {
        return choices[0].0;
    }
    let total: f64 = choices.iter().map(|(_, w)| w).sum();
    let mut x = fastrand::f64() * total;
    for &(s, w) in choices {
        if x < w {
            return s;
        }
        x -= w;
    }
    // Rounding left `x` at the very top: the last positive weight wins.
    choices
        .iter()
        .rev()
        .find(|(_, w)| *w > 0.0)
        .map_or(choices[0].0, |c| c.0)
}

pub(super) fn parse_ms(name: &str, value: &str) -> Result<Duration, Problem> {
    value
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| {
            bad(
                "bad-option",
                format!("{name} must be a whole number of milliseconds, not {value:?}."),
            )
        })
}

pub(super) fn parse_options(app: &App, ex: &Exchange<'_>) -> Result<Options, Problem> {
    let mut o = Options {
        count: 1,
        ..Options::default()
    };
    for (name, value) in query_pairs(ex) {
        match name.as_str() {
            "delay" => {
                o.delay = parse_ms("delay", &value).map_err(|p| p.kind("bad-delay"))?;
                if o.delay > app.max_delay {
                    return Err(bad(
                        "bad-delay",
                        format!(
                            "delay={value} is over the server's maximum of {} ms.",
                            app.max_delay.as_millis()
                        ),
                    ));
                }
            }
            "header" => o.headers.push(parse_header(&value)?),
            "final" => {
                let s = parse_code(&value)?;
                if s.is_interim() {
                    return Err(bad(
                        "bad-option",
                        format!("final={value} must be a final status (200 to 599)."),
                    ));
                }
                o.final_status = Some(s);
            }
            "count" => {
                o.count = value.parse().ok().filter(|n| (1..=MAX_COUNT).contains(n)).ok_or_else(|| {
                    bad("bad-option", format!("count must be a whole number from 1 to {MAX_COUNT}, not {value:?}."))
                })?;
            }
            "interval" => o.interval = parse_ms("interval", &value)?,
            "location" => o.location = Some(parse_location(&value)?),
            "retry_after" => {
                o.retry_after = Some(value.parse().ok().filter(|s| *s <= MAX_RETRY_AFTER).ok_or_else(|| {
                    bad(
                        "bad-option",
                        format!("retry_after must be a whole number of seconds up to {MAX_RETRY_AFTER}, not {value:?}."),
                    )
                })?);
            }
            _ => {}
        }
    }
    let waited = o
        .interval
        .saturating_mul(o.count.saturating_add(1))
        .saturating_add(o.delay);
    if waited > app.max_delay {
        return Err(bad(
            "bad-delay",
            format!(
                "delay, count and interval add up to {} ms, over the server's maximum of {} ms.",
                waited.as_millis(),
                app.max_delay.as_millis()
            ),
        ));
    }
    Ok(o)
}

/// `Name:Value`, both valid field syntax; the framing fields are the
/// server's own.
pub(super) fn parse_header(raw: &str) -> Result<(String, String), Problem> {
    let Some((name, value)) = raw.split_once(':') else {
        return Err(bad(
            "bad-header",
            format!("header={raw:?} must be written Name:Value."),
        ));
    };
    let value = value.trim_matches([' ', '\t']);
    if !is_field_name(name) {
        return Err(bad(
            "bad-header",
            format!("{name:?} is not a valid header field name."),
        ));
    }
    if !is_field_value(value.as_bytes()) {
        return Err(bad(
            "bad-header",
            format!("The value given for {name} holds characters a header field may not (CR, LF, NUL or other controls)."),
        ));
    }
    const OWN: [&str; 4] = ["content-length", "transfer-encoding", "date", "connection"];
    if OWN.iter().any(|o| o.eq_ignore_ascii_case(name)) {
        return Err(bad(
            "bad-header",
            format!("{name} is set by the server itself and cannot be forced."),
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// A relative reference (no scheme, not `//host`) or an http(s) URL.
pub(crate) fn parse_location(raw: &str) -> Result<String, Problem> {
    let ok_chars = !raw.is_empty()
        && raw.len() <= MAX_LOCATION
        && raw.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'\\');
    let lower = raw.to_ascii_lowercase();
    let absolute = lower.starts_with("http://") || lower.starts_with("https://");
    let has_host = absolute
        && raw
            .split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
    let scheme_like = raw
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|first| first.contains(':'));
    let relative = !raw.starts_with("//") && !scheme_like;
    if ok_chars && ((absolute && has_host) || relative) {
        Ok(raw.to_string())
    } else {
        Err(bad(
            "bad-location",
            format!("location={raw:?} must be a relative path or an http(s) URL, without spaces or control characters."),
        ))
    }
}
