//! HTTP Digest authentication (RFC 7616): `/digest-auth/{qop}/{user}/
//! {passwd}[/{algorithm}[/{stale_after}]]`, with `auth` or `auth-int` and
//! MD5, SHA-256 or SHA-512 (as httpbin names them), plus SHA-512-256. Nonces are stateless:
//! a timestamp and a MAC under a secret made at start-up, valid for five
//! minutes; an old one gets a new challenge with `stale=true`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use md5::Md5;
use serde_json::json;
use sha2::{Digest as _, Sha256, Sha512, Sha512_256};
use teapot_wire::{Exchange, Head, Status};

use super::{reply_json, Outcome};
use crate::problem::Problem;

const REALM: &str = "teapot";
const OPAQUE: &str = "7465617069";
/// How long a nonce stays fresh.
const NONCE_LIFE: Duration = Duration::from_secs(300);

/// A digest algorithm of RFC 7616 §3.2 (and httpbin's SHA-512).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
    Sha512,
    Sha512_256,
}

impl Algorithm {
    fn parse(s: &str) -> Option<Algorithm> {
        match s.to_ascii_uppercase().as_str() {
            "MD5" => Some(Algorithm::Md5),
            "SHA-256" => Some(Algorithm::Sha256),
            "SHA-512" => Some(Algorithm::Sha512),
            "SHA-512-256" => Some(Algorithm::Sha512_256),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha512 => "SHA-512",
            Algorithm::Sha512_256 => "SHA-512-256",
        }
    }

    fn hash(self, data: &[u8]) -> String {
        let bytes: Vec<u8> = match self {
            Algorithm::Md5 => Md5::digest(data).to_vec(),
            Algorithm::Sha256 => Sha256::digest(data).to_vec(),
            Algorithm::Sha512 => Sha512::digest(data).to_vec(),
            Algorithm::Sha512_256 => Sha512_256::digest(data).to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The secret nonces are signed with, made once per process.
fn secret() -> &'static [u8; 32] {
    static SECRET: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    SECRET.get_or_init(|| {
        let mut s = [0u8; 32];
        fastrand::Rng::new().fill(&mut s);
        s
    })
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A nonce made at `t`: the time, a random salt (so that no two challenges
/// share a nonce), and a MAC of both under the server's secret.
fn nonce_at(t: u64) -> String {
    signed_nonce(t, fastrand::u64(..))
}

fn signed_nonce(t: u64, salt: u64) -> String {
    let mut mac = Sha256::new();
    mac.update(secret());
    mac.update(t.to_be_bytes());
    mac.update(salt.to_be_bytes());
    let mac: String = mac.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{t:x}.{salt:x}.{mac}")
}

enum NonceState {
    Fresh,
    Stale,
    Forged,
}

fn check_nonce(nonce: &str) -> NonceState {
    let mut parts = nonce.split('.');
    let (Some(t), Some(salt)) = (
        parts.next().and_then(|t| u64::from_str_radix(t, 16).ok()),
        parts.next().and_then(|s| u64::from_str_radix(s, 16).ok()),
    ) else {
        return NonceState::Forged;
    };
    if signed_nonce(t, salt) != nonce {
        return NonceState::Forged;
    }
    if now().saturating_sub(t) > NONCE_LIFE.as_secs() {
        NonceState::Stale
    } else {
        NonceState::Fresh
    }
}

/// `auth-param`s of a `Digest` credential: `name=token` or
/// `name="quoted \" string"`.
fn params(s: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let name = rest[..eq].trim().to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(q) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => v.push(chars.next()?.1),
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => v.push(c),
                }
            }
            rest = &q[end? + 1..];
            value = v;
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        out.push((name, value));
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

fn challenge(qop: Option<&str>, algorithm: Algorithm, stale: bool) -> String {
    let mut c = format!(
        "Digest realm=\"{REALM}\", qop=\"{}\", algorithm={}, nonce=\"{}\", opaque=\"{OPAQUE}\"",
        qop.unwrap_or("auth, auth-int"),
        algorithm.name(),
        nonce_at(now())
    );
    if stale {
        c.push_str(", stale=true");
    }
    c
}

/// The request's cookie `name`, if it sent one.
fn cookie<'a>(ex: &'a Exchange<'_>, name: &str) -> Option<&'a str> {
    ex.request()
        .header_all("cookie")
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// `stale_after` as a cookie value: a count, or `never`.
fn stale_after_value(v: &str) -> String {
    match v.parse::<u32>() {
        Ok(n) => n.to_string(),
        Err(_) => "never".to_string(),
    }
}

/// A cookie for the challenge's bookkeeping (as httpbin keeps it).
fn set_cookie(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/")
}

/// A challenge for `qop=auth` and MD5 (what every Digest client speaks),
/// as `teapot grade` sends it.
pub(super) fn grade_challenge() -> String {
    challenge(Some("auth"), Algorithm::Md5, false)
}

/// Whether the request carries Digest credentials for `user` and `passwd`
/// answering a fresh nonce of this server's, with `qop=auth` (or
/// `auth-int` over `body`) and the algorithm it names (MD5 by default).
pub(super) fn valid_credentials(ex: &Exchange<'_>, body: &[u8], user: &str, passwd: &str) -> bool {
    let Some(creds) = ex
        .request()
        .header_str("authorization")
        .map(str::trim)
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("digest"))
        .and_then(|(_, rest)| params(rest))
    else {
        return false;
    };
    let get = |name: &str| {
        creds
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(algorithm) = Algorithm::parse(get("algorithm").unwrap_or("MD5")) else {
        return false;
    };
    let fields = [
        "username", "realm", "nonce", "uri", "response", "nc", "cnonce", "qop",
    ]
    .map(get);
    let [Some(username), Some(realm), Some(nonce), Some(uri), Some(response), Some(nc), Some(cnonce), Some(qop)] =
        fields
    else {
        return false;
    };
    if username != user
        || realm != REALM
        || uri != ex.request().target()
        || !matches!(check_nonce(nonce), NonceState::Fresh)
    {
        return false;
    }
    let h = |s: &str| algorithm.hash(s.as_bytes());
    let method = ex.request().method().as_str();
    let ha2 = match qop {
        "auth" => h(&format!("{method}:{uri}")),
        "auth-int" => h(&format!("{method}:{uri}:{}", algorithm.hash(body))),
        _ => return false,
    };
    let ha1 = h(&format!("{username}:{realm}:{passwd}"));
    h(&format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")).eq_ignore_ascii_case(response)
}

/// Serves `/digest-auth/{qop}/{user}/{passwd}[/{algorithm}[/{stale_after}]]`.
///
/// As on httpbin: a `qop` other than `auth` or `auth-int` offers both and
/// also takes the RFC 2069 form without `qop`; an unknown algorithm is
/// MD5; with `stale_after` N, the N+1st answer to one challenge is a new
/// challenge with `stale=true`; a nonce that came with a wrong password is
/// not taken again (stale). That bookkeeping rides in cookies, as
/// httpbin's does; the nonces themselves are checked without state.
pub async fn digest(
    ex: &mut Exchange<'_>,
    qop: &str,
    user: &str,
    passwd: &str,
    algorithm: Option<&str>,
    stale_after: Option<&str>,
) -> Outcome {
    let qop = matches!(qop, "auth" | "auth-int").then_some(qop);
    let algorithm = algorithm
        .and_then(Algorithm::parse)
        .unwrap_or(Algorithm::Md5);
    let stale_after = stale_after_value(stale_after.unwrap_or("never"));
    let body = match ex.read_body(1 << 20).await {
        Ok(b) => b,
        Err(_) => return Ok(()),
    };
    let refuse = |detail: &str, stale: bool, last_nonce: Option<&str>| {
        let mut p = Problem::new(401, detail.to_string())
            .header("WWW-Authenticate", challenge(qop, algorithm, stale))
            .header("Set-Cookie", set_cookie("stale_after", &stale_after));
        if let Some(n) = last_nonce {
            p = p.header("Set-Cookie", set_cookie("last_nonce", n));
        }
        p
    };
    let header = ex
        .request()
        .header_str("authorization")
        .unwrap_or("")
        .trim()
        .to_string();
    let Some(creds) = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("digest"))
        .map(|(_, rest)| rest)
    else {
        return Err(refuse(
            "This resource needs HTTP Digest credentials.",
            false,
            None,
        ));
    };
    let Some(p) = params(creds) else {
        return Err(refuse("The Digest credentials are malformed.", false, None));
    };
    let get = |name: &str| p.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let (Some(username), Some(realm), Some(nonce), Some(uri), Some(response)) = (
        get("username"),
        get("realm"),
        get("nonce"),
        get("uri"),
        get("response"),
    ) else {
        return Err(refuse(
            "The Digest credentials lack username, realm, nonce, uri or response.",
            false,
            None,
        ));
    };
    if get("algorithm").map_or(Algorithm::Md5, |a| {
        Algorithm::parse(a).unwrap_or(Algorithm::Md5)
    }) != algorithm
        || get("algorithm").is_some_and(|a| Algorithm::parse(a).is_none())
    {
        return Err(refuse(
            &format!("This resource uses the {} algorithm.", algorithm.name()),
            false,
            None,
        ));
    }
    match check_nonce(nonce) {
        NonceState::Forged => {
            return Err(refuse(
                "The nonce was not issued by this server.",
                false,
                None,
            ))
        }
        NonceState::Stale => {
            return Err(refuse(
                "The nonce has expired; retry with the new one.",
                true,
                None,
            ))
        }
        NonceState::Fresh => {}
    }
    let reused = cookie(ex, "last_nonce") == Some(nonce);
    if reused || cookie(ex, "stale_after") == Some("0") {
        return Err(refuse(
            "This nonce was used up; retry with the new one.",
            true,
            Some(nonce),
        ));
    }
    let target = ex.request().target().to_string();
    if uri != target {
        return Err(Problem::bad_request(
            "The uri in the Digest credentials is not this request's target.",
        )
        .kind("bad-credentials"));
    }
    let h = |s: &str| algorithm.hash(s.as_bytes());
    let ha1 = h(&format!("{username}:{realm}:{passwd}"));
    let method = ex.request().method().as_str();
    let their_qop = get("qop");
    let ha2 = if their_qop == Some("auth-int") {
        h(&format!("{method}:{uri}:{}", algorithm.hash(&body)))
    } else {
        h(&format!("{method}:{uri}"))
    };
    let expected = match (their_qop, qop) {
        // RFC 2069's form, taken where the URL names no qop.
        (None, None) => h(&format!("{ha1}:{nonce}:{ha2}")),
        (Some(q @ ("auth" | "auth-int")), ours) if ours.is_none_or(|o| o == q) => {
            let (Some(nc), Some(cnonce)) = (get("nc"), get("cnonce")) else {
                return Err(refuse(
                    "The Digest credentials lack nc or cnonce.",
                    false,
                    None,
                ));
            };
            h(&format!("{ha1}:{nonce}:{nc}:{cnonce}:{q}:{ha2}"))
        }
        _ => {
            return Err(refuse(
                &format!("This resource uses qop={}.", qop.unwrap_or("auth")),
                false,
                None,
            ))
        }
    };
    if username != user || realm != REALM || !expected.eq_ignore_ascii_case(response) {
        return Err(refuse(
            "The user name or password is wrong.",
            false,
            Some(nonce),
        ));
    }
    let mut head = Head::new(Status::OK);
    if let Some(left) = cookie(ex, "stale_after") {
        let next = match left.parse::<u32>() {
            Ok(n) => n.saturating_sub(1).to_string(),
            Err(_) => "never".to_string(),
        };
        head = head.header("Set-Cookie", set_cookie("stale_after", &next));
    }
    let doc = json!({ "authenticated": true, "user": user });
    reply_json(ex, head, &doc).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7616_example_hashes() {
        // RFC 7616 §3.9.1: the MD5 and SHA-256 responses for Mufasa.
        let (nonce, cnonce) = (
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        );
        for (alg, expected) in [
            (Algorithm::Md5, "8ca523f5e9506fed4657c9700eebdbec"),
            (
                Algorithm::Sha256,
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
        ] {
            let ha1 = alg.hash(b"Mufasa:http-auth@example.org:Circle of Life");
            let ha2 = alg.hash(b"GET:/dir/index.html");
            let got = alg.hash(format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}").as_bytes());
            assert_eq!(got, expected, "{alg:?}");
        }
    }

    #[test]
    fn auth_params() {
        let p = params(r#"username="Mufasa", realm="a \"b\"", nc=00000001, qop=auth"#).unwrap();
        assert_eq!(p[0], ("username".into(), "Mufasa".into()));
        assert_eq!(p[1], ("realm".into(), "a \"b\"".into()));
        assert_eq!(p[2], ("nc".into(), "00000001".into()));
        assert!(params(r#"username="unterminated"#).is_none());
        assert!(params("novalue").is_none());
    }

    #[test]
    fn nonces() {
        assert!(matches!(check_nonce(&nonce_at(now())), NonceState::Fresh));
        assert!(matches!(
            check_nonce(&nonce_at(now() - 3600)),
            NonceState::Stale
        ));
        assert!(matches!(check_nonce("1234.abcd"), NonceState::Forged));
        assert!(matches!(check_nonce("1234.abcd.ef"), NonceState::Forged));
        assert_ne!(
            nonce_at(now()),
            nonce_at(now()),
            "no two challenges share a nonce"
        );
        assert!(matches!(check_nonce("garbage"), NonceState::Forged));
    }
}
