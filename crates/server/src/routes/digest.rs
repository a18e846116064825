//! HTTP Digest authentication (RFC 7616): `/digest-auth/{qop}/{user}/
//! {passwd}[/{algorithm}]`, with `auth` or `auth-int` and MD5, SHA-256 or
//! SHA-512 (as httpbin names them), plus SHA-512-256. Nonces are stateless:
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

fn nonce_at(t: u64) -> String {
    let mut mac = Sha256::new();
    mac.update(secret());
    mac.update(t.to_be_bytes());
    let mac: String = mac.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{t:x}.{mac}")
}

enum NonceState {
    Fresh,
    Stale,
    Forged,
}

fn check_nonce(nonce: &str) -> NonceState {
    let Some(t) = nonce
        .split_once('.')
        .and_then(|(t, _)| u64::from_str_radix(t, 16).ok())
    else {
        return NonceState::Forged;
    };
    if nonce_at(t) != nonce {
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

fn challenge(qop: &str, algorithm: Algorithm, stale: bool) -> String {
    let mut c = format!(
        "Digest realm=\"{REALM}\", qop=\"{qop}\", algorithm={}, nonce=\"{}\", opaque=\"{OPAQUE}\"",
        algorithm.name(),
        nonce_at(now())
    );
    if stale {
        c.push_str(", stale=true");
    }
    c
}

/// Serves `/digest-auth/{qop}/{user}/{passwd}[/{algorithm}]`.
pub async fn digest(
    ex: &mut Exchange<'_>,
    qop: &str,
    user: &str,
    passwd: &str,
    algorithm: Option<&str>,
) -> Outcome {
    if qop != "auth" && qop != "auth-int" {
        return Err(
            Problem::bad_request(format!("qop must be auth or auth-int, not {qop:?}."))
                .kind("bad-option"),
        );
    }
    let algorithm = match algorithm {
        None => Algorithm::Md5,
        Some(a) => Algorithm::parse(a).ok_or_else(|| {
            Problem::bad_request(format!(
                "The algorithm must be MD5, SHA-256, SHA-512 or SHA-512-256, not {a:?}."
            ))
            .kind("bad-option")
        })?,
    };
    let body = match ex.read_body(1 << 20).await {
        Ok(b) => b,
        Err(_) => return Ok(()),
    };
    let refuse = |detail: &str, stale: bool| {
        Problem::new(401, detail.to_string())
            .header("WWW-Authenticate", challenge(qop, algorithm, stale))
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
        ));
    };
    let Some(p) = params(creds) else {
        return Err(refuse("The Digest credentials are malformed.", false));
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
        ));
    }
    match check_nonce(nonce) {
        NonceState::Forged => {
            return Err(refuse("The nonce was not issued by this server.", false))
        }
        NonceState::Stale => {
            return Err(refuse(
                "The nonce has expired; retry with the new one.",
                true,
            ))
        }
        NonceState::Fresh => {}
    }
    let target = ex.request().target().to_string();
    if uri != target {
        return Err(Problem::bad_request(
            "The uri in the Digest credentials is not this request's target.",
        )
        .kind("bad-credentials"));
    }
    let (Some(their_qop), Some(nc), Some(cnonce)) = (get("qop"), get("nc"), get("cnonce")) else {
        return Err(refuse(
            "The Digest credentials lack qop, nc or cnonce.",
            false,
        ));
    };
    if their_qop != qop {
        return Err(refuse(&format!("This resource uses qop={qop}."), false));
    }
    let h = |s: &str| algorithm.hash(s.as_bytes());
    let ha1 = h(&format!("{username}:{realm}:{passwd}"));
    let method = ex.request().method().as_str();
    let ha2 = if qop == "auth-int" {
        h(&format!("{method}:{uri}:{}", algorithm.hash(&body)))
    } else {
        h(&format!("{method}:{uri}"))
    };
    let expected = h(&format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"));
    if username != user || realm != REALM || !expected.eq_ignore_ascii_case(response) {
        return Err(refuse("The user name or password is wrong.", false));
    }
    let doc = json!({ "authenticated": true, "user": user });
    reply_json(ex, Head::new(Status::OK), &doc).await
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
        assert!(matches!(check_nonce("garbage"), NonceState::Forged));
    }
}
