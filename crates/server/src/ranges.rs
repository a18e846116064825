//! Byte ranges (RFC 9110 §14): parsing `Range`, and the fixed resource the
//! forced 206 and 416 answers are cut from.

/// The most ranges one request may ask for; more are not satisfiable.
pub const MAX_RANGES: usize = 16;

/// What a `Range` field asks of a representation of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Ranges {
    /// No usable `Range` (absent, another unit, or malformed): send it all.
    Full,
    /// These inclusive byte ranges, in the order asked.
    Partial(Vec<(u64, u64)>),
    /// Ranges were asked for and none can be served.
    Unsatisfiable,
}

/// Reads a `Range` value for a representation of `len` bytes.
pub fn parse(value: &str, len: u64) -> Ranges {
    let Some(spec) = value.trim().strip_prefix("bytes=").or_else(|| {
        let v = value.trim();
        v.get(..6)
            .filter(|u| u.eq_ignore_ascii_case("bytes="))
            .map(|_| &v[6..])
    }) else {
        return Ranges::Full;
    };
    let mut out = Vec::new();
    let mut asked = 0;
    for part in spec.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        asked += 1;
        let Some((first, last)) = part.split_once('-') else {
            return Ranges::Full;
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match (first, last) {
            ("", suffix) if digits(suffix) => {
                let Ok(n) = suffix.parse::<u64>() else {
                    return Ranges::Full;
                };
                if n > 0 && len > 0 {
                    out.push((len - n.min(len), len - 1));
                }
            }
            (first, "") if digits(first) => {
                let Ok(a) = first.parse::<u64>() else {
                    return Ranges::Full;
                };
                if a < len {
                    out.push((a, len - 1));
                }
            }
            (first, last) if digits(first) && digits(last) => {
                let (Ok(a), Ok(b)) = (first.parse::<u64>(), last.parse::<u64>()) else {
                    return Ranges::Full;
                };
                if b < a {
                    return Ranges::Full;
                }
                if a < len {
                    out.push((a, b.min(len - 1)));
                }
            }
            _ => return Ranges::Full,
        }
    }
    if asked == 0 {
        return Ranges::Full;
    }
    if out.is_empty() || asked > MAX_RANGES {
        return Ranges::Unsatisfiable;
    }
    Ranges::Partial(out)
}

/// The 1024-byte resource behind forced 206 and 416: printable, and the
/// same for every request.
pub fn resource() -> &'static [u8; 1024] {
    static RESOURCE: std::sync::OnceLock<[u8; 1024]> = std::sync::OnceLock::new();
    RESOURCE.get_or_init(|| {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut r = [0u8; 1024];
        for (i, b) in r.iter_mut().enumerate() {
            *b = if i % 64 == 63 {
                b'\n'
            } else {
                ALPHABET[i % ALPHABET.len()]
            };
        }
        r
    })
}

/// A `multipart/byteranges` body of `parts` of `data`, each with its own
/// `Content-Range`, and the boundary used.
pub fn multipart(data: &[u8], parts: &[(u64, u64)], content_type: &str) -> (Vec<u8>, &'static str) {
    const BOUNDARY: &str = "teapot-byteranges-3d6b6a416f9d";
    let mut body = Vec::new();
    for &(a, b) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {a}-{b}/{}\r\n\r\n",
                data.len()
            )
            .as_bytes(),
        );
        body.extend_from_slice(&data[a as usize..=b as usize]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (body, BOUNDARY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse("bytes=0-99", 1024), Ranges::Partial(vec![(0, 99)]));
        assert_eq!(
            parse("bytes=1000-2000", 1024),
            Ranges::Partial(vec![(1000, 1023)])
        );
        assert_eq!(
            parse("bytes=-24", 1024),
            Ranges::Partial(vec![(1000, 1023)])
        );
        assert_eq!(parse("bytes=-5000", 1024), Ranges::Partial(vec![(0, 1023)]));
        assert_eq!(
            parse("bytes=1020-", 1024),
            Ranges::Partial(vec![(1020, 1023)])
        );
        assert_eq!(
            parse("bytes=0-0, 2-3", 1024),
            Ranges::Partial(vec![(0, 0), (2, 3)])
        );
        assert_eq!(parse("BYTES=0-1", 1024), Ranges::Partial(vec![(0, 1)]));
        assert_eq!(parse("bytes=5000-", 1024), Ranges::Unsatisfiable);
        assert_eq!(parse("bytes=-0", 1024), Ranges::Unsatisfiable);
        assert_eq!(parse("bytes=1024-1030", 1024), Ranges::Unsatisfiable);
        assert_eq!(parse("bytes=5-1", 1024), Ranges::Full);
        assert_eq!(parse("items=0-1", 1024), Ranges::Full);
        assert_eq!(parse("bytes=a-b", 1024), Ranges::Full);
        assert_eq!(parse("bytes=", 1024), Ranges::Full);
        assert_eq!(parse("bytes=0-1,2-3,4-5,6-7,8-9,10-11,12-13,14-15,16-17,18-19,20-21,22-23,24-25,26-27,28-29,30-31,32-33", 1024), Ranges::Unsatisfiable);
    }

    #[test]
    fn resource_is_printable_and_fixed() {
        let r = resource();
        assert!(r.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'\n'));
        assert_eq!(&r[..4], b"abcd");
    }

    #[test]
    fn multipart_parts() {
        let (body, boundary) = multipart(b"0123456789", &[(0, 1), (8, 9)], "text/plain");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!(
            "--{boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01\r\n"
        )));
        assert!(text.ends_with(&format!(
            "Content-Range: bytes 8-9/10\r\n\r\n89\r\n--{boundary}--\r\n"
        )));
    }
}
