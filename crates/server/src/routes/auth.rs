//! Authentication that really happens: `/basic-auth/{user}/{passwd}`,
//! `/hidden-basic-auth/{user}/{passwd}`, `/bearer`, `/proxy-auth/{user}/
//! {passwd}` and the role check `/role/{role}`. Missing or refused
//! credentials get 401 (or 407) with a challenge; a malformed
//! `Authorization` is refused the same way, never with a 500.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::json;
use teapot_wire::{Exchange, Head, Status};

use super::{reply_json, Outcome};
use crate::problem::Problem;

const REALM: &str = "Basic realm=\"teapot\", charset=\"UTF-8\"";
const PROXY_REALM: &str = "Basic realm=\"teapot proxy\", charset=\"UTF-8\"";

/// What an `Authorization` value holds.
#[derive(Debug, PartialEq, Eq)]
enum Credentials {
    Missing,
    Malformed(&'static str),
    Basic(String, String),
    Bearer(String),
}

fn credentials(value: Option<&[u8]>) -> Credentials {
    let Some(value) = value else {
        return Credentials::Missing;
    };
    let Ok(value) = std::str::from_utf8(value) else {
        return Credentials::Malformed("the credentials are not valid UTF-8");
    };
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let Ok(decoded) = BASE64.decode(rest) else {
            return Credentials::Malformed("the Basic credentials are not valid base64");
        };
        let Ok(text) = String::from_utf8(decoded) else {
            return Credentials::Malformed("the Basic credentials are not valid UTF-8");
        };
        match text.split_once(':') {
            Some((u, p)) => Credentials::Basic(u.to_string(), p.to_string()),
            None => Credentials::Malformed(
                "the Basic credentials have no colon between user and password",
            ),
        }
    } else if scheme.eq_ignore_ascii_case("bearer") {
        if is_b64token(rest) {
            Credentials::Bearer(rest.to_string())
        } else {
            Credentials::Malformed("the bearer token is not a valid b64token (RFC 6750 §2.1)")
        }
    } else {
        Credentials::Malformed("the authentication scheme is not supported here")
    }
}

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
/// "/" ) *"="`.
fn is_b64token(t: &str) -> bool {
    let body = t.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

fn refused(code: u16, challenge_field: &'static str, challenge: String, detail: String) -> Problem {
    Problem::new(code, detail).header(challenge_field, challenge)
}

/// `/basic-auth/{user}/{passwd}`; with `hidden`, a failure is 404 without a
/// challenge, as httpbin's `/hidden-basic-auth`.
pub async fn basic(ex: &mut Exchange<'_>, user: &str, passwd: &str, hidden: bool) -> Outcome {
    let creds = credentials(ex.request().header("authorization"));
    let detail = match &creds {
        Credentials::Basic(u, p) if u == user && p == passwd => {
            let doc = json!({ "authenticated": true, "user": user });
            return reply_json(ex, Head::new(Status::OK), &doc).await;
        }
        Credentials::Basic(..) => "The user name or password is wrong.".to_string(),
        Credentials::Missing => "This resource needs HTTP Basic credentials.".to_string(),
        Credentials::Malformed(why) => format!("The Authorization header is malformed: {why}."),
        Credentials::Bearer(_) => {
            "This resource needs HTTP Basic credentials, not a bearer token.".to_string()
        }
    };
    if hidden {
        return Err(Problem::not_found(ex.request().path()));
    }
    Err(refused(401, "WWW-Authenticate", REALM.to_string(), detail))
}

/// `/bearer`: any well-formed bearer token is accepted.
pub async fn bearer(ex: &mut Exchange<'_>) -> Outcome {
    match credentials(ex.request().header("authorization")) {
        Credentials::Bearer(token) => {
            let doc = json!({ "authenticated": true, "token": token });
            reply_json(ex, Head::new(Status::OK), &doc).await
        }
        Credentials::Missing => Err(refused(
            401,
            "WWW-Authenticate",
            "Bearer realm=\"teapot\"".into(),
            "This resource needs a bearer token.".into(),
        )),
        Credentials::Malformed(why) => Err(refused(
            401,
            "WWW-Authenticate",
            format!(
                "Bearer realm=\"teapot\", error=\"invalid_token\", error_description=\"{why}\""
            ),
            format!("The Authorization header is malformed: {why}."),
        )),
        Credentials::Basic(..) => Err(refused(
            401,
            "WWW-Authenticate",
            "Bearer realm=\"teapot\"".into(),
            "This resource needs a bearer token, not Basic credentials.".into(),
        )),
    }
}

/// `/proxy-auth/{user}/{passwd}`: like basic-auth, but as a proxy would
/// ask: 407 with `Proxy-Authenticate`, credentials in `Proxy-Authorization`.
pub async fn proxy(ex: &mut Exchange<'_>, user: &str, passwd: &str) -> Outcome {
    let creds = credentials(ex.request().header("proxy-authorization"));
    let detail = match &creds {
        Credentials::Basic(u, p) if u == user && p == passwd => {
            let doc = json!({ "authenticated": true, "user": user });
            return reply_json(ex, Head::new(Status::OK), &doc).await;
        }
        Credentials::Missing => {
            "The proxy needs Basic credentials in Proxy-Authorization.".to_string()
        }
        Credentials::Malformed(why) => {
            format!("The Proxy-Authorization header is malformed: {why}.")
        }
        _ => "The proxy refused these credentials.".to_string(),
    };
    Err(refused(
        407,
        "Proxy-Authenticate",
        PROXY_REALM.to_string(),
        detail,
    ))
}

/// `/role/{role}`: a bearer token `teapot.<role>[.<role>…]` names an
/// identity and its roles. No valid token: 401. A valid identity without
/// the role: 403. Otherwise 200.
pub async fn role(ex: &mut Exchange<'_>, role: &str) -> Outcome {
    let challenge = "Bearer realm=\"teapot\", scope=\"".to_string() + role + "\"";
    match credentials(ex.request().header("authorization")) {
        Credentials::Bearer(token) if token.starts_with("teapot.") => {
            let roles: Vec<&str> = token["teapot.".len()..]
                .split('.')
                .filter(|r| !r.is_empty())
                .collect();
            if roles.contains(&role) {
                let doc = json!({ "authenticated": true, "authorized": true, "role": role, "roles": roles });
                reply_json(ex, Head::new(Status::OK), &doc).await
            } else {
                Err(Problem::new(
                    403,
                    format!("This identity has the roles {roles:?}, not {role:?}."),
                )
                .with("roles", json!(roles)))
            }
        }
        Credentials::Bearer(_) => Err(refused(
            401,
            "WWW-Authenticate",
            challenge + ", error=\"invalid_token\"",
            "Tokens here look like teapot.<role>[.<role>…].".into(),
        )),
        Credentials::Malformed(why) => Err(refused(
            401,
            "WWW-Authenticate",
            challenge + ", error=\"invalid_token\"",
            format!("The Authorization header is malformed: {why}."),
        )),
        _ => Err(refused(
            401,
            "WWW-Authenticate",
            challenge,
            "This resource needs a bearer token.".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_credentials() {
        assert_eq!(credentials(None), Credentials::Missing);
        assert_eq!(
            credentials(Some(b"Basic dXNlcjpwYXNz")),
            Credentials::Basic("user".into(), "pass".into())
        );
        assert_eq!(
            credentials(Some(b"basic dTpwOnE=")),
            Credentials::Basic("u".into(), "p:q".into())
        );
        assert!(matches!(
            credentials(Some(b"Basic !!!")),
            Credentials::Malformed(_)
        ));
        assert!(matches!(
            credentials(Some(b"Basic dXNlcg==")),
            Credentials::Malformed(_)
        ));
        assert!(matches!(
            credentials(Some(b"Basic")),
            Credentials::Malformed(_)
        ));
        assert!(matches!(
            credentials(Some(b"Digest x")),
            Credentials::Malformed(_)
        ));
        assert_eq!(
            credentials(Some(b"Bearer abc.DEF-_~+/==")),
            Credentials::Bearer("abc.DEF-_~+/==".into())
        );
        assert!(matches!(
            credentials(Some(b"Bearer a b")),
            Credentials::Malformed(_)
        ));
        assert!(matches!(
            credentials(Some(b"Bearer ")),
            Credentials::Malformed(_)
        ));
        assert!(matches!(
            credentials(Some(b"Bearer =abc")),
            Credentials::Malformed(_)
        ));
        assert!(matches!(
            credentials(Some(b"\xff\xfe")),
            Credentials::Malformed(_)
        ));
    }
}
