//! Earned status: the protocol situations that produce each code for real.

mod common;

use serde_json::Value;
use teapot_testkit::{get, request as req, Client, Response};

fn json(r: &Response) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {:?}", r.text()))
}

#[tokio::test]
async fn redirect_chains_end_at_get() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let mut path = "/redirect/3".to_string();
    let mut seen = Vec::new();
    for _ in 0..10 {
        let r = c.ask("GET", &path, &[]).await;
        seen.push(r.status);
        if r.status != 302 {
            break;
        }
        path = r.header("location").unwrap().to_string();
    }
    assert_eq!(seen, [302, 302, 302, 200]);
    assert_eq!(path, "/get");
    let r = c.ask("GET", "/absolute-redirect/2", &[]).await;
    assert_eq!(r.header("location"), Some("http://t/absolute-redirect/1"));
    let r = c.ask("GET", "/redirect/2?absolute=true", &[]).await;
    assert_eq!(r.header("location"), Some("http://t/absolute-redirect/1"));
    let r = c.ask("GET", "/relative-redirect/1", &[]).await;
    assert_eq!(r.header("location"), Some("/get"));
    for bad in ["/redirect/0", "/redirect/101", "/redirect/x"] {
        assert_eq!(c.ask("GET", bad, &[]).await.status, 400, "{bad}");
    }
    let r = c
        .ask("DELETE", "/redirect-to?url=/anything&status_code=307", &[])
        .await;
    assert_eq!((r.status, r.header("location")), (307, Some("/anything")));
    let r = c.ask("GET", "/redirect-to?url=javascript:x", &[]).await;
    assert_eq!(json(&r)["type"], "/problems/bad-location");
    let r = c
        .ask("GET", "/redirect-to?url=/x&status_code=200", &[])
        .await;
    assert_eq!(json(&r)["type"], "/problems/bad-option");
}

#[tokio::test]
async fn basic_auth() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c.ask("GET", "/basic-auth/user/pass", &[]).await;
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some("Basic realm=\"teapot\", charset=\"UTF-8\""))
    );
    // user:pass
    let r = c
        .ask(
            "GET",
            "/basic-auth/user/pass",
            &[("Authorization", "Basic dXNlcjpwYXNz")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        json(&r),
        serde_json::json!({"authenticated": true, "user": "user"})
    );
    // user:wrong
    let r = c
        .ask(
            "GET",
            "/basic-auth/user/pass",
            &[("Authorization", "Basic dXNlcjp3cm9uZw==")],
        )
        .await;
    assert_eq!(r.status, 401);
    for bad in [
        "Basic ***",
        "Basic dXNlcg==",
        "Basic",
        "Digest abc",
        "Basic /w==",
    ] {
        let r = c
            .ask("GET", "/basic-auth/user/pass", &[("Authorization", bad)])
            .await;
        assert_eq!(r.status, 401, "{bad}");
        assert!(r.header("www-authenticate").is_some());
    }
    let r = c.ask("GET", "/hidden-basic-auth/user/pass", &[]).await;
    assert_eq!((r.status, r.header("www-authenticate")), (404, None));
    let r = c
        .ask(
            "GET",
            "/hidden-basic-auth/user/pass",
            &[("Authorization", "Basic dXNlcjpwYXNz")],
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn bearer_proxy_and_roles() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c.ask("GET", "/bearer", &[]).await;
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some("Bearer realm=\"teapot\""))
    );
    let r = c
        .ask("GET", "/bearer", &[("Authorization", "Bearer abc.123")])
        .await;
    assert_eq!(json(&r)["token"], "abc.123");
    let r = c
        .ask("GET", "/bearer", &[("Authorization", "Bearer not a token")])
        .await;
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"invalid_token\""));

    let r = c.ask("GET", "/proxy-auth/u/p", &[]).await;
    assert_eq!(
        (r.status, r.header("proxy-authenticate")),
        (407, Some("Basic realm=\"teapot proxy\", charset=\"UTF-8\""))
    );
    // u:p
    let r = c
        .ask(
            "GET",
            "/proxy-auth/u/p",
            &[("Proxy-Authorization", "Basic dTpw")],
        )
        .await;
    assert_eq!(r.status, 200);

    let r = c.ask("GET", "/role/admin", &[]).await;
    assert_eq!(r.status, 401);
    let r = c
        .ask(
            "GET",
            "/role/admin",
            &[("Authorization", "Bearer teapot.editor")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(json(&r)["roles"], serde_json::json!(["editor"]));
    let r = c
        .ask(
            "GET",
            "/role/admin",
            &[("Authorization", "Bearer teapot.editor.admin")],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = c
        .ask(
            "GET",
            "/role/admin",
            &[("Authorization", "Bearer someone-else")],
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn conditional_requests() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c.ask("GET", "/etag/abc", &[]).await;
    assert_eq!((r.status, r.header("etag")), (200, Some("\"abc\"")));
    for inm in ["\"abc\"", "W/\"abc\"", "\"x\", \"abc\"", "*"] {
        let r = c.ask("GET", "/etag/abc", &[("If-None-Match", inm)]).await;
        assert_eq!(
            (r.status, r.header("etag")),
            (304, Some("\"abc\"")),
            "{inm}"
        );
        assert!(r.body.is_empty() && r.header("content-length").is_none());
    }
    let r = c
        .ask("GET", "/etag/abc", &[("If-None-Match", "\"other\"")])
        .await;
    assert_eq!(r.status, 200);
    let r = c
        .ask("GET", "/etag/abc", &[("If-Match", "\"other\"")])
        .await;
    assert_eq!(r.status, 412);
    let r = c
        .ask("GET", "/etag/abc", &[("If-Match", "W/\"abc\"")])
        .await;
    assert_eq!(r.status, 412, "If-Match compares strongly");
    let r = c.ask("GET", "/etag/abc", &[("If-Match", "\"abc\"")]).await;
    assert_eq!(r.status, 200);
    // If-Match is evaluated first.
    let r = c
        .ask(
            "GET",
            "/etag/abc",
            &[("If-Match", "\"no\""), ("If-None-Match", "\"abc\"")],
        )
        .await;
    assert_eq!(r.status, 412);

    let r = c.ask("GET", "/cache/60", &[]).await;
    let last_modified = r.header("last-modified").unwrap().to_string();
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));
    let r = c
        .ask("GET", "/cache/60", &[("If-None-Match", "\"cache-v1\"")])
        .await;
    assert_eq!(
        (r.status, r.header("cache-control"), r.header("etag")),
        (304, Some("public, max-age=60"), Some("\"cache-v1\""))
    );
    let r = c
        .ask("GET", "/cache", &[("If-Modified-Since", &last_modified)])
        .await;
    assert_eq!(r.status, 304);
    let r = c
        .ask(
            "GET",
            "/cache",
            &[("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")],
        )
        .await;
    assert_eq!(r.status, 200);
    // If-None-Match, when present, makes If-Modified-Since irrelevant.
    let r = c
        .ask(
            "GET",
            "/cache",
            &[
                ("If-None-Match", "\"stale\""),
                ("If-Modified-Since", &last_modified),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = c
        .ask(
            "GET",
            "/cache",
            &[("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")],
        )
        .await;
    assert_eq!(r.status, 412);
    let r = c
        .ask("GET", "/cache", &[("If-Modified-Since", "not a date")])
        .await;
    assert_eq!(r.status, 200, "an invalid date is ignored");
}

#[tokio::test]
async fn ranges() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c.ask("GET", "/range/100", &[]).await;
    assert_eq!(
        (r.status, r.header("accept-ranges"), r.body.len()),
        (200, Some("bytes"), 100)
    );
    let etag = r.header("etag").unwrap().to_string();
    let modified = r.header("last-modified").unwrap().to_string();
    let r = c.ask("GET", "/range/100", &[("Range", "bytes=0-9")]).await;
    assert_eq!(
        (r.status, r.header("content-range"), r.text().as_str()),
        (206, Some("bytes 0-9/100"), "abcdefghij")
    );
    let r = c.ask("GET", "/range/100", &[("Range", "bytes=-3")]).await;
    assert_eq!(
        (r.header("content-range"), r.text().as_str()),
        (Some("bytes 97-99/100"), "tuv")
    );
    let r = c
        .ask("GET", "/range/100", &[("Range", "bytes=0-0,50-51")])
        .await;
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("multipart/byteranges; boundary="));
    assert!(r
        .text()
        .contains("Content-Range: bytes 50-51/100\r\n\r\nyz\r\n"));
    let r = c.ask("GET", "/range/100", &[("Range", "bytes=100-")]).await;
    assert_eq!(
        (r.status, r.header("content-range")),
        (416, Some("bytes */100"))
    );
    let r = c
        .ask(
            "GET",
            "/range/100",
            &[("Range", "bytes=5-9"), ("If-Range", &etag)],
        )
        .await;
    assert_eq!(r.status, 206);
    let r = c
        .ask(
            "GET",
            "/range/100",
            &[("Range", "bytes=5-9"), ("If-Range", "\"old\"")],
        )
        .await;
    assert_eq!(
        (r.status, r.body.len()),
        (200, 100),
        "a failed If-Range sends it all"
    );
    let r = c
        .ask(
            "GET",
            "/range/100",
            &[("Range", "bytes=5-9"), ("If-Range", &modified)],
        )
        .await;
    assert_eq!(r.status, 206);
    let r = c.ask("GET", "/range/100", &[("Range", "lines=1-2")]).await;
    assert_eq!(r.status, 200, "an unknown unit is ignored");
    let r = c.ask("HEAD", "/range/100", &[("Range", "bytes=0-9")]).await;
    assert_eq!(
        (r.status, r.header("content-length")),
        (200, Some("100")),
        "ranges are for GET"
    );

    let a = c.ask("GET", "/bytes/64?seed=7", &[]).await;
    let b = c.ask("GET", "/bytes/64?seed=7", &[]).await;
    assert_eq!((a.body.len(), &a.body), (64, &b.body));
    assert_eq!(a.header("content-type"), Some("application/octet-stream"));
    let d = c.ask("GET", "/bytes/64?seed=8", &[]).await;
    assert_ne!(a.body, d.body);
    assert_eq!(c.ask("GET", "/bytes/999999", &[]).await.status, 400);
    // Made piece by piece as sent: a range is the same bytes as the slice
    // of the whole, at any offset.
    let whole = c.ask("GET", "/bytes/100000?seed=3", &[]).await;
    assert_eq!(whole.body.len(), 100_000);
    for (a, b) in [
        (0usize, 0usize),
        (5, 16_390),
        (50_001, 99_998),
        (99_999, 99_999),
    ] {
        let r = c
            .ask(
                "GET",
                "/bytes/100000?seed=3",
                &[("Range", &format!("bytes={a}-{b}"))],
            )
            .await;
        assert_eq!(r.status, 206);
        assert_eq!(r.body, whole.body[a..=b], "{a}-{b}");
    }
    let r = c
        .ask("GET", "/range/70000", &[("Range", "bytes=69990-")])
        .await;
    let alphabet: Vec<u8> = (69_990..70_000u64).map(|i| b'a' + (i % 26) as u8).collect();
    assert_eq!(r.body, alphabet);
}

#[tokio::test]
async fn response_headers_and_cookies() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c
        .ask("GET", "/response-headers?X-One=1&X-Two=a&X-Two=b", &[])
        .await;
    assert_eq!(r.header("x-one"), Some("1"));
    assert_eq!(r.headers_named("x-two"), ["a", "b"]);
    assert_eq!(json(&r)["X-Two"], serde_json::json!(["a", "b"]));
    let r = c
        .ask("GET", "/response-headers?X-Bad=a%0D%0AInjected:1", &[])
        .await;
    assert_eq!((r.status, r.header("injected")), (400, None));

    let r = c
        .ask("GET", "/cookies/set?flavour=earl-grey&sugar=2", &[])
        .await;
    assert_eq!((r.status, r.header("location")), (302, Some("/cookies")));
    assert_eq!(
        r.headers_named("set-cookie"),
        ["flavour=earl-grey; Path=/", "sugar=2; Path=/"]
    );
    let r = c.ask("GET", "/cookies/set/milk/none", &[]).await;
    assert_eq!(r.headers_named("set-cookie"), ["milk=none; Path=/"]);
    let r = c
        .ask(
            "GET",
            "/cookies",
            &[("Cookie", "flavour=earl-grey; sugar=2")],
        )
        .await;
    assert_eq!(
        json(&r),
        serde_json::json!({"cookies": {"flavour": "earl-grey", "sugar": "2"}})
    );
    let r = c.ask("GET", "/cookies/delete?sugar", &[]).await;
    let set = r.header("set-cookie").unwrap();
    assert!(set.starts_with("sugar=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"));
    let r = c.ask("GET", "/cookies/set?bad=a%3Bb", &[]).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn uploads() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n").await;
    let r = c.response(false).await;
    assert_eq!(r.status, 100);
    c.send("hello").await;
    let r = c.response(false).await;
    assert_eq!((r.status, json(&r)["received"].as_u64()), (200, Some(5)));

    // go-httpbin's shape, for every method it takes.
    for method in ["POST", "PUT", "PATCH"] {
        c.send(format!("{method} /upload?x=1 HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: 8\r\n\r\nencodeMe")).await;
        let r = c.response(false).await;
        let v = json(&r);
        assert_eq!(r.status, 200, "{method}");
        assert_eq!(v["method"], method);
        assert_eq!(v["bytes_received"], 8);
        assert_eq!(v["args"]["x"], "1");
        assert_eq!(v["headers"]["Content-Type"], "application/octet-stream");
        assert_eq!(v["url"], "http://t/upload?x=1");
        assert_eq!(v["origin"], "127.0.0.1");
    }

    let mut c = Client::connect(server.addr()).await;
    c.send("POST /upload?max=10 HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 50\r\nExpect: 100-continue\r\n\r\n").await;
    let r = c.response(false).await;
    assert_eq!(r.status, 413, "answered before the body, without 100");
    assert_eq!(r.header("connection"), Some("close"));

    let mut c = Client::connect(server.addr()).await;
    c.send("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").await;
    assert_eq!(c.response(false).await.status, 411);

    let mut c = Client::connect(server.addr()).await;
    let r = c
        .ask("POST", "/upload", &[("Content-Type", "image/png")])
        .await;
    assert_eq!(
        (r.status, r.header("accept-post")),
        (
            415,
            Some("application/octet-stream, text/plain, application/json")
        )
    );
    let r = c.ask("POST", "/upload", &[]).await;
    assert_eq!(r.status, 415);
    let r = c.ask("GET", "/upload", &[]).await;
    assert_eq!(
        (r.status, r.header("allow")),
        (405, Some("POST, PUT, PATCH"))
    );

    let mut c = Client::connect(server.addr()).await;
    c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: 200-ok\r\n\r\nhello").await;
    assert_eq!(c.response(false).await.status, 417);
}

#[tokio::test]
async fn long_work_and_early_hints() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    c.send(get("/processing?duration=1")).await;
    let codes: Vec<u16> = c.exchange(false).await.iter().map(|r| r.status).collect();
    assert_eq!(codes, [102, 200]);
    c.send(get("/early-hints")).await;
    let all = c.exchange(false).await;
    assert_eq!(all[0].status, 103);
    assert_eq!(
        all[0].header("link"),
        Some("</static/teapot.css>; rel=preload; as=style")
    );
    assert!(all[1].text().contains("href=\"/static/teapot.css\""));
    let r = c.ask("GET", "/processing?duration=600", &[]).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn portal_extension_reset_and_pay() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c.ask("GET", "/portal", &[]).await;
    assert_eq!(r.status, 511);
    assert!(
        r.header("www-authenticate").is_none(),
        "511 carries no challenge"
    );
    assert!(r.text().contains("href=\"/portal/sign-in\""));
    let r = c.ask("POST", "/portal/sign-in", &[]).await;
    assert_eq!((r.status, r.header("location")), (303, Some("/portal")));
    let cookie = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let r = c.ask("GET", "/portal", &[("Cookie", &cookie)]).await;
    assert_eq!(r.status, 200);

    let r = c.ask("GET", "/extension", &[]).await;
    assert_eq!(r.status, 510);
    assert_eq!(json(&r)["extension"], "urn:teapot:ext:brew");
    let r = c
        .ask(
            "GET",
            "/extension",
            &[("Man", "\"urn:teapot:ext:brew\"; ns=16")],
        )
        .await;
    assert_eq!(r.status, 200);

    let r = c.ask("GET", "/reset", &[]).await;
    assert!(r.text().contains("<form method=\"post\""));
    c.send(req(
        "POST",
        "/reset",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "note=hi",
    ))
    .await;
    let r = c.response(false).await;
    assert_eq!((r.status, r.header("content-length")), (205, Some("0")));

    let r = c.ask("GET", "/pay", &[]).await;
    assert_eq!(r.status, 402);
    let r = c
        .ask("GET", "/pay", &[("X-Payment-Token", "tok_123")])
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn echo_matches_httpbin_field_names() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let r = c.ask("GET", "/get?a=1", &[]).await;
    assert_eq!(keys(&json(&r)), ["args", "headers", "origin", "url"]);
    c.send(req("POST", "/post", &[], "x")).await;
    let r = c.response(false).await;
    assert_eq!(
        keys(&json(&r)),
        ["args", "data", "files", "form", "headers", "json", "origin", "url"]
    );
    c.send(req("PUT", "/anything", &[], "x")).await;
    let r = c.response(false).await;
    assert_eq!(
        keys(&json(&r)),
        ["args", "data", "files", "form", "headers", "json", "method", "origin", "url"]
    );
    assert_eq!(
        keys(&json(&c.ask("GET", "/headers", &[]).await)),
        ["headers"]
    );
    assert_eq!(keys(&json(&c.ask("GET", "/ip", &[]).await)), ["origin"]);
    assert_eq!(
        keys(&json(&c.ask("GET", "/user-agent", &[]).await)),
        ["user-agent"]
    );
    assert_eq!(
        keys(&json(&c.ask("GET", "/cookies", &[]).await)),
        ["cookies"]
    );
}

fn md5_hex(s: &str) -> String {
    use md5::Digest;
    md5::Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn challenge_param<'a>(challenge: &'a str, name: &str) -> &'a str {
    let at = challenge.find(&format!("{name}=")).unwrap() + name.len() + 1;
    let rest = &challenge[at..];
    match rest.strip_prefix('"') {
        Some(q) => &q[..q.find('"').unwrap()],
        None => rest.split(',').next().unwrap(),
    }
}

#[tokio::test]
async fn digest_auth_int_by_hand() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let path = "/digest-auth/auth-int/ann/secret";
    let r = c.ask("GET", path, &[]).await;
    assert_eq!(r.status, 401);
    let ch = r.header("www-authenticate").unwrap().to_string();
    assert!(
        ch.starts_with("Digest realm=\"teapot\", qop=\"auth-int\", algorithm=MD5, nonce=\""),
        "{ch}"
    );
    let nonce = challenge_param(&ch, "nonce");
    let body = "brew";
    let ha1 = md5_hex("ann:teapot:secret");
    let ha2 = md5_hex(&format!("POST:{path}:{}", md5_hex(body)));
    let response = md5_hex(&format!("{ha1}:{nonce}:00000001:abc:auth-int:{ha2}"));
    let auth = format!(
        "Digest username=\"ann\", realm=\"teapot\", nonce=\"{nonce}\", uri=\"{path}\", qop=auth-int, nc=00000001, cnonce=\"abc\", response=\"{response}\", opaque=\"7465617069\""
    );
    c.send(req("POST", path, &[("Authorization", &auth)], body))
        .await;
    assert_eq!(c.response(false).await.status, 200);
    // The same credentials over a different body do not verify.
    c.send(req("POST", path, &[("Authorization", &auth)], "other"))
        .await;
    assert_eq!(c.response(false).await.status, 401);
    // A nonce this server never issued.
    let forged = auth.replace(nonce, "1.00");
    c.send(req("POST", path, &[("Authorization", &forged)], body))
        .await;
    assert_eq!(c.response(false).await.status, 401);
    // An algorithm it does not know is MD5, as on httpbin.
    let r = c.ask("GET", "/digest-auth/auth/u/p/SHA-1", &[]).await;
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("algorithm=MD5"));
    let r = c
        .ask(
            "GET",
            "/digest-auth/auth/u/p",
            &[("Authorization", "Digest garbage")],
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn negotiation() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c.ask("GET", "/negotiate", &[]).await;
    assert_eq!(
        (r.status, r.header("vary")),
        (300, Some("Accept")),
        "no Accept: no preference stated"
    );
    assert!(r
        .header("link")
        .unwrap()
        .contains("</negotiate/json>; rel=\"alternate\"; type=\"application/json\""));
    assert!(r.text().contains("/negotiate/html"));
    let r = c
        .ask("GET", "/negotiate", &[("Accept", "application/json")])
        .await;
    assert_eq!(
        (r.status, r.header("content-location")),
        (200, Some("/negotiate/json"))
    );
    assert_eq!(json(&r)["tea"], "earl grey");
    let r = c
        .ask(
            "GET",
            "/negotiate",
            &[("Accept", "text/html;q=0.9, text/plain;q=0.1")],
        )
        .await;
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = c.ask("GET", "/negotiate", &[("Accept", "image/png")]).await;
    assert_eq!(r.status, 406);
    assert_eq!(
        json(&r)["available"],
        serde_json::json!(["text/plain", "application/json", "text/html"])
    );
    let r = c.ask("GET", "/negotiate/json", &[]).await;
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("application/json"))
    );
    let r = c
        .ask("GET", "/negotiate/loop", &[("Accept", "text/plain")])
        .await;
    assert_eq!(r.status, 506);
}

#[tokio::test]
async fn gateway_to_itself() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c.ask("GET", "/gateway/418", &[]).await;
    assert_eq!(
        (r.status, r.header("via"), r.text().as_str()),
        (418, Some("1.1 teapot"), "418 I'm a teapot\n")
    );
    let r = c.ask("GET", "/gateway/get?x=1&transform=1", &[]).await;
    assert_eq!(r.status, 203);
    let v = json(&r);
    assert_eq!(
        (v["transformed_by"].as_str(), v["args"]["x"].as_str()),
        (Some("teapot gateway"), Some("1"))
    );
    let r = c.ask("GET", "/gateway/200?transform=1", &[]).await;
    assert_eq!((r.status, r.text().as_str()), (203, "200 OK\n"));
    for fault in ["close", "garbage", "truncate", "bad-chunk", "reset"] {
        let r = c.ask("GET", &format!("/gateway/fault/{fault}"), &[]).await;
        assert_eq!(r.status, 502, "{fault}");
    }
    let r = c
        .ask("GET", "/gateway/200?delay=1000&timeout=100", &[])
        .await;
    assert_eq!(r.status, 504);
    c.send(get("/gateway/102?count=2")).await;
    let codes: Vec<u16> = c.exchange(false).await.iter().map(|r| r.status).collect();
    assert_eq!(codes, [102, 102, 200], "interim responses are passed on");
    c.send(req(
        "POST",
        "/gateway/post",
        &[("Content-Type", "text/plain")],
        "through",
    ))
    .await;
    let r = c.response(false).await;
    assert_eq!(json(&r)["data"], "through");
    let r = c
        .ask(
            "GET",
            "/gateway/gateway/gateway/gateway/gateway/gateway/200",
            &[],
        )
        .await;
    assert_eq!(r.status, 508);
    let r = c.ask("GET", "/gateway/200?timeout=soon", &[]).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn delta_encoding() {
    let server = common::server().await;
    let mut c = Client::connect(server.addr()).await;
    let r = c.ask("GET", "/delta", &[]).await;
    assert_eq!((r.status, r.header("etag")), (200, Some("\"v3\"")));
    assert_eq!(r.text(), "teapot\nshort and stout\nhere is my handle\n");
    let r = c
        .ask(
            "GET",
            "/delta",
            &[("A-IM", "diffe"), ("If-None-Match", "\"v1\"")],
        )
        .await;
    assert_eq!(r.status, 226);
    assert_eq!(
        (r.header("im"), r.header("etag"), r.header("delta-base")),
        (Some("diffe"), Some("\"v3\""), Some("\"v1\""))
    );
    assert_eq!(r.text(), "2c\nshort and stout\nhere is my handle\n.\n");
    let r = c
        .ask(
            "GET",
            "/delta",
            &[("A-IM", "vcdiff, diffe;q=0.5"), ("If-None-Match", "\"v2\"")],
        )
        .await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (226, "2a\nhere is my handle\n.\n")
    );
    let r = c
        .ask(
            "GET",
            "/delta",
            &[("A-IM", "diffe"), ("If-None-Match", "\"v3\"")],
        )
        .await;
    assert_eq!((r.status, r.header("etag")), (304, Some("\"v3\"")));
    let r = c.ask("GET", "/delta", &[("If-None-Match", "\"v1\"")]).await;
    assert_eq!(r.status, 200, "no A-IM: the whole resource");
    let r = c
        .ask(
            "GET",
            "/delta",
            &[("A-IM", "vcdiff"), ("If-None-Match", "\"v1\"")],
        )
        .await;
    assert_eq!(r.status, 200, "a manipulation this server does not do");
    let r = c
        .ask(
            "GET",
            "/delta",
            &[("A-IM", "diffe"), ("If-None-Match", "\"v0\"")],
        )
        .await;
    assert_eq!(r.status, 200, "an unknown base");
}
