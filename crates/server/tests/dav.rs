//! WebDAV: 207, 208, 423, 424, 507 and 508 earned from a real tree.

mod common;

use teapot_testkit::{Client, Response};

async fn dav(
    server: &teapot_server::Running,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut c = Client::connect(server.addr()).await;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: t\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    c.send(req).await;
    c.response(method == "HEAD").await
}

/// The body is well-formed XML with a DAV:multistatus root.
fn well_formed_multistatus(r: &Response) -> String {
    assert_eq!(r.status, 207);
    assert_eq!(
        r.header("content-type"),
        Some("application/xml; charset=utf-8")
    );
    let text = r.text();
    let mut reader = quick_xml::NsReader::from_str(&text);
    let mut root = None;
    loop {
        match reader.read_resolved_event().expect("well-formed XML") {
            (ns, quick_xml::events::Event::Start(e)) if root.is_none() => {
                root = Some((
                    format!("{ns:?}"),
                    AsRef::<str>::as_ref(&e.local_name()).to_string(),
                ));
            }
            (_, quick_xml::events::Event::Eof) => break,
            _ => {}
        }
    }
    let (ns, name) = root.expect("a root element");
    assert!(ns.contains("DAV:"), "{ns}");
    assert_eq!(name, "multistatus");
    text
}

#[tokio::test]
async fn propfind_depths_bindings_and_loops() {
    let server = common::server().await;
    let r = dav(&server, "PROPFIND", "/dav/t1/", &[("Depth", "0")], "").await;
    let text = well_formed_multistatus(&r);
    assert_eq!(text.matches("<D:response>").count(), 1);
    let r = dav(&server, "PROPFIND", "/dav/t1/", &[("Depth", "1")], "").await;
    let text = well_formed_multistatus(&r);
    assert_eq!(text.matches("<D:response>").count(), 4);
    assert!(text.contains("<D:href>/dav/t1/docs/</D:href>"));
    let r = dav(
        &server,
        "PROPFIND",
        "/dav/t1/",
        &[("Depth", "infinity")],
        "",
    )
    .await;
    assert_eq!(
        r.status, 508,
        "a binding back to the root without DAV: bind"
    );
    let r = dav(
        &server,
        "PROPFIND",
        "/dav/t1/",
        &[("Depth", "infinity"), ("DAV", "bind")],
        "",
    )
    .await;
    let text = well_formed_multistatus(&r);
    assert_eq!(
        text.matches("HTTP/1.1 208 Already Reported").count(),
        2,
        "shared/ and loop/up/"
    );
    assert!(text.contains("<D:href>/dav/t1/docs/readme.txt</D:href>"));
    let body = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getcontentlength/><D:nosuch/></D:prop></D:propfind>"#;
    let r = dav(
        &server,
        "PROPFIND",
        "/dav/t1/docs/readme.txt",
        &[("Depth", "0")],
        body,
    )
    .await;
    let text = well_formed_multistatus(&r);
    assert!(text.contains("<D:getcontentlength>17</D:getcontentlength>"));
    assert!(text.contains("<D:nosuch></D:nosuch></D:prop><D:status>HTTP/1.1 404 Not Found"));
    assert_eq!(
        dav(&server, "PROPFIND", "/dav/t1/nothing", &[], "")
            .await
            .status,
        404
    );
    assert_eq!(
        dav(&server, "PROPFIND", "/dav/t1/", &[], "<not xml")
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn proppatch_is_all_or_nothing() {
    let server = common::server().await;
    let ok = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:colour>green</Z:colour></D:prop></D:set></D:propertyupdate>"#;
    let r = dav(&server, "PROPPATCH", "/dav/t2/docs/readme.txt", &[], ok).await;
    assert!(well_formed_multistatus(&r).contains("HTTP/1.1 200 OK"));
    let r = dav(
        &server,
        "PROPFIND",
        "/dav/t2/docs/readme.txt",
        &[("Depth", "0")],
        "",
    )
    .await;
    assert!(well_formed_multistatus(&r).contains(r#"<x:colour xmlns:x="urn:z">green</x:colour>"#));
    let bad = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:colour>red</Z:colour><D:getcontentlength>1</D:getcontentlength></D:prop></D:set></D:propertyupdate>"#;
    let r = dav(&server, "PROPPATCH", "/dav/t2/docs/readme.txt", &[], bad).await;
    let text = well_formed_multistatus(&r);
    assert!(text.contains("HTTP/1.1 424 Failed Dependency"));
    assert!(text.contains("HTTP/1.1 403 Forbidden"));
    assert!(text.contains("cannot-modify-protected-property"));
    let r = dav(
        &server,
        "PROPFIND",
        "/dav/t2/docs/readme.txt",
        &[("Depth", "0")],
        "",
    )
    .await;
    assert!(
        well_formed_multistatus(&r).contains(">green<"),
        "nothing was applied"
    );
}

#[tokio::test]
async fn collections_files_quota_and_locks() {
    let server = common::server().await;
    assert_eq!(
        dav(&server, "MKCOL", "/dav/t3/new/", &[], "").await.status,
        201
    );
    assert_eq!(
        dav(&server, "MKCOL", "/dav/t3/new/", &[], "").await.status,
        405
    );
    assert_eq!(
        dav(&server, "MKCOL", "/dav/t3/a/b/", &[], "").await.status,
        409
    );
    assert_eq!(
        dav(&server, "PUT", "/dav/t3/new/tea.txt", &[], "assam")
            .await
            .status,
        201
    );
    assert_eq!(
        dav(&server, "PUT", "/dav/t3/new/tea.txt", &[], "darjeeling")
            .await
            .status,
        204
    );
    let r = dav(&server, "GET", "/dav/t3/new/tea.txt", &[], "").await;
    assert_eq!(r.text(), "darjeeling");
    let big = "x".repeat(40 * 1024);
    assert_eq!(
        dav(&server, "PUT", "/dav/t3/new/big1", &[], &big)
            .await
            .status,
        201
    );
    let r = dav(&server, "PUT", "/dav/t3/new/big2", &[], &big).await;
    assert_eq!(r.status, 507, "over the namespace's quota");
    assert_eq!(
        dav(&server, "PUT", "/dav/t3/missing/f", &[], "x")
            .await
            .status,
        409
    );

    let r = dav(&server, "LOCK", "/dav/t3/", &[], "").await;
    assert_eq!(r.status, 200);
    let token = r
        .header("lock-token")
        .unwrap()
        .trim_matches(['<', '>'])
        .to_string();
    assert!(r.text().contains(&token));
    assert_eq!(dav(&server, "LOCK", "/dav/t3/", &[], "").await.status, 423);
    let r = dav(&server, "PUT", "/dav/t3/new/locked.txt", &[], "x").await;
    assert_eq!(r.status, 423);
    assert!(r.text().contains("lock-token-submitted"));
    let held = format!("(<{token}>)");
    assert_eq!(
        dav(
            &server,
            "PUT",
            "/dav/t3/new/locked.txt",
            &[("If", &held)],
            "x"
        )
        .await
        .status,
        201
    );
    assert_eq!(
        dav(
            &server,
            "UNLOCK",
            "/dav/t3/",
            &[("Lock-Token", "<urn:uuid:wrong>")],
            ""
        )
        .await
        .status,
        409
    );
    let lock_token = format!("<{token}>");
    assert_eq!(
        dav(
            &server,
            "UNLOCK",
            "/dav/t3/",
            &[("Lock-Token", &lock_token)],
            ""
        )
        .await
        .status,
        204
    );
    assert_eq!(
        dav(&server, "DELETE", "/dav/t3/new/tea.txt", &[], "")
            .await
            .status,
        204
    );
    assert_eq!(
        dav(&server, "GET", "/dav/t3/new/tea.txt", &[], "")
            .await
            .status,
        404
    );
    let r = dav(&server, "OPTIONS", "/dav/t3/", &[], "").await;
    assert_eq!(r.header("dav"), Some("1, 2, bind"));
    assert_eq!(
        dav(&server, "PROPFIND", "/dav/bad%20ns/", &[], "")
            .await
            .status,
        400
    );
}
