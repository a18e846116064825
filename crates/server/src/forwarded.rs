//! Who the client is behind a proxy the server trusts (`--trusted-proxy`):
//! `Forwarded` (RFC 7239) or, without it, `X-Forwarded-For`, read from the
//! nearest hop outwards. From any other peer those fields are ignored, so a
//! client cannot name itself someone else.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use teapot_wire::Exchange;

/// The client's address when the peer is a trusted proxy and names one:
/// walking the hops from the nearest, the first that is not itself a
/// trusted proxy (or the farthest, when all are). `None` when the peer is
/// not trusted, names nobody, or the nearest hop is `unknown` or an
/// obfuscated name (the chain cannot be followed past it).
pub fn client(ex: &Exchange<'_>, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = ex.remote_addr()?.ip();
    if !is_trusted(peer, trusted) {
        return None;
    }
    let req = ex.request();
    let hops: Vec<Option<IpAddr>> = if req.header("forwarded").is_some() {
        req.header_all("forwarded")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(split_outside_quotes)
            .map(forwarded_for)
            .collect()
    } else {
        req.header_all("x-forwarded-for")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .map(|hop| node(hop.trim()))
            .collect()
    };
    let mut client = None;
    for hop in hops.iter().rev() {
        let Some(ip) = *hop else { break };
        client = Some(ip);
        if !is_trusted(ip, trusted) {
            break;
        }
    }
    client
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = ip.to_canonical();
    trusted.iter().any(|net| net.contains(&ip))
}

/// The elements of a `Forwarded` value: split at commas that are not
/// inside a quoted string.
fn split_outside_quotes(v: &str) -> Vec<&str> {
    let (mut parts, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, c) in v.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&v[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&v[start..]);
    parts
}

/// The `for=` node of one `Forwarded` element.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| node(value.trim().trim_matches('"')))?
    })
}

/// A node: an IPv4 address, `[IPv6]`, either with a port, or a bare IPv6
/// address (as `X-Forwarded-For` writes it); `unknown` and obfuscated
/// names are not addresses.
fn node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes() {
        assert_eq!(node("192.0.2.43"), Some("192.0.2.43".parse().unwrap()));
        assert_eq!(
            node("192.0.2.43:47011"),
            Some("192.0.2.43".parse().unwrap())
        );
        assert_eq!(
            node("[2001:db8:cafe::17]"),
            Some("2001:db8:cafe::17".parse().unwrap())
        );
        assert_eq!(
            node("[2001:db8:cafe::17]:4711"),
            Some("2001:db8:cafe::17".parse().unwrap())
        );
        assert_eq!(node("2001:db8::1"), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(node("unknown"), None);
        assert_eq!(node("_hidden"), None);
    }

    #[test]
    fn forwarded_elements() {
        // RFC 7239 §4's examples.
        let v = r#"for="_gazonk", For="[2001:db8:cafe::17]:4711", for=192.0.2.60;proto=http;by=203.0.113.43, for=192.0.2.43"#;
        let hops: Vec<_> = split_outside_quotes(v)
            .into_iter()
            .map(forwarded_for)
            .collect();
        assert_eq!(
            hops,
            [
                None,
                Some("2001:db8:cafe::17".parse().unwrap()),
                Some("192.0.2.60".parse().unwrap()),
                Some("192.0.2.43".parse().unwrap()),
            ]
        );
        assert_eq!(
            split_outside_quotes(r#"for="a,b", for=c"#),
            [r#"for="a,b""#, " for=c"]
        );
    }

    #[test]
    fn mapped_addresses_are_matched_as_ipv4() {
        let trusted: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        assert!(is_trusted("::ffff:127.0.0.1".parse().unwrap(), &trusted));
        assert!(!is_trusted("10.0.0.1".parse().unwrap(), &trusted));
    }
}
