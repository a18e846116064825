//! Content negotiation on `Accept` (RFC 9110 §12.5.1): the best of what a
//! handler offers, by the client's q-values, ties going to the handler's
//! order. The one reading of `Accept` for the engine and the application.

/// One media range of an `Accept` field.
#[derive(Debug, PartialEq)]
struct MediaRange<'a> {
    kind: &'a str,
    subtype: &'a str,
    q: f32,
}

fn parse_accept(accept: &str) -> Vec<MediaRange<'_>> {
    accept
        .split(',')
        .filter_map(|part| {
            let mut params = part.split(';');
            let range = params.next()?.trim();
            let (kind, subtype) = range.split_once('/')?;
            let mut q = 1.0f32;
            for p in params {
                if let Some((k, v)) = p.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        q = v
                            .trim()
                            .parse()
                            .ok()
                            .filter(|q: &f32| (0.0..=1.0).contains(q))?;
                    }
                }
            }
            Some(MediaRange {
                kind: kind.trim(),
                subtype: subtype.trim(),
                q,
            })
        })
        .collect()
}

/// The q-value `accept` gives `media` ("type/subtype"): that of the most
/// specific range that matches it, 0 when none does.
fn quality(ranges: &[MediaRange<'_>], media: &str) -> f32 {
    let (kind, subtype) = media.split_once('/').unwrap_or((media, ""));
    let mut best: Option<(u8, f32)> = None;
    for r in ranges {
        let specificity =
            if r.kind.eq_ignore_ascii_case(kind) && r.subtype.eq_ignore_ascii_case(subtype) {
                2
            } else if r.kind.eq_ignore_ascii_case(kind) && r.subtype == "*" {
                1
            } else if r.kind == "*" && r.subtype == "*" {
                0
            } else {
                continue;
            };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, r.q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// Whether an error answer should be plain text rather than problem
/// details (RFC 9457): only when the client rates `text/plain` above every
/// JSON form of them. No `Accept`, `*/*`, or a tie gets JSON.
pub fn prefers_plain_text(accept: Option<&str>) -> bool {
    let offers = ["application/problem+json", "application/json", "text/plain"];
    accept.is_some() && choose(accept, &offers) == Some("text/plain")
}

/// Picks from `offers` (media types, in the handler's order of preference)
/// what `accept` likes best. No `Accept` means the first offer; `None`
/// means the client accepts none of them.
pub fn choose<'o>(accept: Option<&str>, offers: &[&'o str]) -> Option<&'o str> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return offers.first().copied();
    };
    let ranges = parse_accept(accept);
    let mut best: Option<(&str, f32)> = None;
    for &offer in offers {
        let q = quality(&ranges, offer);
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((offer, q));
        }
    }
    best.map(|(o, _)| o)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFERS: [&str; 3] = ["text/plain", "application/json", "text/html"];

    #[test]
    fn choices() {
        assert_eq!(choose(None, &OFFERS), Some("text/plain"));
        assert_eq!(choose(Some("*/*"), &OFFERS), Some("text/plain"));
        assert_eq!(
            choose(Some("application/json"), &OFFERS),
            Some("application/json")
        );
        assert_eq!(choose(Some("text/*"), &OFFERS), Some("text/plain"));
        assert_eq!(
            choose(
                Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                &OFFERS
            ),
            Some("text/html")
        );
        assert_eq!(
            choose(Some("text/plain;q=0.5, application/json"), &OFFERS),
            Some("application/json")
        );
        assert_eq!(
            choose(Some("text/*;q=0.3, text/html;q=0.7"), &OFFERS),
            Some("text/html")
        );
        assert_eq!(choose(Some("image/png"), &OFFERS), None);
        assert_eq!(choose(Some("text/plain;q=0"), &OFFERS[..1]), None);
        assert_eq!(choose(Some("text/plain;q=2"), &OFFERS[..1]), None);
    }
}
