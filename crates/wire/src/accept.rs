//! Content negotiation on `Accept` (RFC 9110 §12.5.1): the best of what a
//! handler offers, by the client's q-values, ties going to the handler's
//! order. The one reading of `Accept` for the engine and the application.

use crate::message::trim;

/// One media range of an `Accept` field, its q-value in thousandths.
#[derive(Debug, PartialEq)]
struct MediaRange<'a> {
    kind: &'a [u8],
    subtype: &'a [u8],
    q: u16,
}

/// The media ranges of `accept`, in order; a range that is not
/// `type/subtype`, or whose q-value is not one, is left out. (Read as
/// bytes: the field is ASCII, and `str`'s splitting and Unicode trimming
/// cost many times more than the reading itself.)
fn ranges(accept: &str) -> impl Iterator<Item = MediaRange<'_>> {
    accept.as_bytes().split(|&b| b == b',').filter_map(|part| {
        let mut params = part.split(|&b| b == b';');
        let range = trim(params.next()?);
        let slash = range.iter().position(|&b| b == b'/')?;
        let mut q = 1000;
        for p in params {
            let Some(eq) = p.iter().position(|&b| b == b'=') else {
                continue;
            };
            if trim(&p[..eq]).eq_ignore_ascii_case(b"q") {
                q = qvalue(trim(&p[eq + 1..]))?;
            }
        }
        Some(MediaRange {
            kind: trim(&range[..slash]),
            subtype: trim(&range[slash + 1..]),
            q,
        })
    })
}

/// A q-value (RFC 9110 §12.4.2: `0` to `1` with up to three decimals) in
/// thousandths. More decimals are read, as a lenient reader would, and
/// round up (so that a weight above zero never reads as "not acceptable");
/// anything else, or more than 1, is no q-value.
fn qvalue(v: &[u8]) -> Option<u16> {
    let (whole, fraction) = match v.iter().position(|&b| b == b'.') {
        Some(dot) => (&v[..dot], &v[dot + 1..]),
        None => (v, &[][..]),
    };
    let whole = match whole {
        b"0" => 0,
        b"1" => 1000,
        _ => return None,
    };
    if !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0;
    for (i, scale) in [100, 10, 1].into_iter().enumerate() {
        let digit = fraction.get(i).map_or(0, |d| u16::from(d - b'0'));
        thousandths += digit * scale;
    }
    let past_one = whole == 1000 && fraction.iter().any(|&b| b != b'0');
    let rest = fraction
        .get(3..)
        .is_some_and(|r| r.iter().any(|&b| b != b'0'));
    (!past_one).then_some(whole + thousandths + u16::from(rest))
}

/// How specifically `range` names the media type `kind/subtype`: 2
/// exactly, 1 as `type/*`, 0 as `*/*`; `None` when it does not.
fn specificity(range: &MediaRange<'_>, (kind, subtype): (&[u8], &[u8])) -> Option<u8> {
    if range.kind.eq_ignore_ascii_case(kind) {
        if range.subtype.eq_ignore_ascii_case(subtype) {
            Some(2)
        } else {
            (range.subtype == b"*").then_some(1)
        }
    } else {
        (range.kind == b"*" && range.subtype == b"*").then_some(0)
    }
}

/// A media type as its type and subtype.
fn split_media(media: &str) -> (&[u8], &[u8]) {
    let m = media.as_bytes();
    match m.iter().position(|&b| b == b'/') {
        Some(slash) => (&m[..slash], &m[slash + 1..]),
        None => (m, &[]),
    }
}

/// Most offers a handler makes at once (it may make more: the rest are
/// judged in a second pass).
const OFFERS_AT_ONCE: usize = 8;

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
    let Some(accept) = accept.filter(|a| !trim(a.as_bytes()).is_empty()) else {
        return offers.first().copied();
    };
    let mut best: Option<(&str, u16)> = None;
    for offers in offers.chunks(OFFERS_AT_ONCE) {
        // The q-value of each offer is that of the most specific range that
        // matches it (0 when none does): one pass over the ranges finds
        // them all.
        let mut split: [(&[u8], &[u8]); OFFERS_AT_ONCE] = [(&[], &[]); OFFERS_AT_ONCE];
        for (offer, s) in offers.iter().zip(&mut split) {
            *s = split_media(offer);
        }
        let mut matched: [Option<(u8, u16)>; OFFERS_AT_ONCE] = [None; OFFERS_AT_ONCE];
        for range in ranges(accept) {
            for (&offer, m) in split[..offers.len()].iter().zip(&mut matched) {
                if let Some(s) = specificity(&range, offer) {
                    if m.is_none_or(|(best, _)| s > best) {
                        *m = Some((s, range.q));
                    }
                }
            }
        }
        for (&offer, m) in offers.iter().zip(matched) {
            let q = m.map_or(0, |(_, q)| q);
            if q > 0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((offer, q));
            }
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
        let all = &OFFERS[..];
        let plain = &OFFERS[..1];
        for (accept, offers, chosen) in [
            (None, all, Some("text/plain")),
            (Some("*/*"), all, Some("text/plain")),
            (Some("application/json"), all, Some("application/json")),
            (Some("text/*"), all, Some("text/plain")),
            (
                Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                all,
                Some("text/html"),
            ),
            (
                Some("text/plain;q=0.5, application/json"),
                all,
                Some("application/json"),
            ),
            (
                Some("text/*;q=0.3, text/html;q=0.7"),
                all,
                Some("text/html"),
            ),
            (Some("image/png"), all, None),
            (Some("text/plain;q=0"), plain, None),
            (Some("text/plain;q=2"), plain, None),
            // The most specific range decides, wherever it stands.
            (
                Some("text/html;q=0.1, text/*;q=0.9, */*;q=0.5"),
                all,
                Some("text/plain"),
            ),
            (
                Some("*/*;q=0.9, application/json;q=0.95, text/plain;q=0.9"),
                all,
                Some("application/json"),
            ),
            // Ties go to the handler's order; a range with a broken q-value
            // is left out.
            (Some("text/html, text/plain"), all, Some("text/plain")),
            (
                Some("text/plain;q=x, text/html;q=0.2"),
                all,
                Some("text/html"),
            ),
        ] {
            assert_eq!(choose(accept, offers), chosen, "{accept:?}");
        }
    }

    #[test]
    fn more_offers_than_one_pass_judges() {
        let offers: Vec<String> = (0..20).map(|i| format!("type/sub{i}")).collect();
        let offers: Vec<&str> = offers.iter().map(String::as_str).collect();
        assert_eq!(
            choose(
                Some("type/sub3;q=0.5, type/sub17;q=0.6, */*;q=0.1"),
                &offers
            ),
            Some("type/sub17")
        );
        assert_eq!(choose(Some("*/*"), &offers), Some("type/sub0"));
    }

    #[test]
    fn qvalues_are_read_in_thousandths() {
        for (text, q) in [
            ("1", Some(1000)),
            ("1.0", Some(1000)),
            ("1.000", Some(1000)),
            ("0", Some(0)),
            ("0.8", Some(800)),
            ("0.05", Some(50)),
            ("0.001", Some(1)),
            ("0.0015", Some(2)),
            ("0.0001", Some(1)),
            ("0.9990", Some(999)),
            ("0.9991", Some(1000)),
            ("0.", Some(0)),
            ("1.001", None),
            ("2", None),
            (".5", None),
            ("0.5x", None),
            ("-0.5", None),
            ("", None),
        ] {
            assert_eq!(qvalue(text.as_bytes()), q, "{text:?}");
        }
    }
}
