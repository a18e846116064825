//! WebDAV: 207, 208, 423, 424, 507 and 508 earned from a real tree.

mod common;

use teapot_testkit::{request, Client, Response};

async fn dav(
    server: &teapot_server::Running,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut c = Client::connect(server.addr()).await;
    c.send(request(method, path, headers, body)).await;
    c.response(method == "HEAD").await
}

/// A property: namespace, local name, text.
type Prop = (String, String, String);

/// One `DAV:response` of a multistatus, read element by element.
#[derive(Debug, Default, PartialEq)]
struct Resp {
    href: String,
    /// A `DAV:status` directly in the response (as for 208).
    status: Option<String>,
    /// Each propstat: its status line and the (namespace, name, text) of
    /// its properties.
    propstats: Vec<(String, Vec<Prop>)>,
}

/// Parses a 207 body: the root must be DAV:multistatus, made of
/// DAV:response elements.
fn multistatus(r: &Response) -> Vec<Resp> {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    assert_eq!(r.status, 207);
    assert_eq!(
        r.header("content-type"),
        Some("application/xml; charset=utf-8")
    );
    let text = r.text();
    let mut reader = quick_xml::NsReader::from_str(&text);
    // The path of (namespace, local name) from the root down.
    let mut path: Vec<(String, String)> = Vec::new();
    let mut out: Vec<Resp> = Vec::new();
    let mut props: Vec<Prop> = Vec::new();
    loop {
        let (ns, event) = reader.read_resolved_event().expect("well-formed XML");
        let ns = match ns {
            ResolveResult::Bound(n) => AsRef::<str>::as_ref(&n).to_string(),
            _ => String::new(),
        };
        let in_dav = |path: &[(String, String)], names: &[&str]| {
            path.len() == names.len()
                && path
                    .iter()
                    .zip(names)
                    .all(|((n, l), want)| n == "DAV:" && l == want)
        };
        match event {
            Event::Start(e) => {
                let name = AsRef::<str>::as_ref(&e.local_name()).to_string();
                if path.is_empty() {
                    assert_eq!(
                        (ns.as_str(), name.as_str()),
                        ("DAV:", "multistatus"),
                        "the root"
                    );
                }
                if in_dav(&path, &["multistatus"]) {
                    assert_eq!((ns.as_str(), name.as_str()), ("DAV:", "response"));
                    out.push(Resp::default());
                }
                if in_dav(&path, &["multistatus", "response"]) && name == "propstat" {
                    props.clear();
                }
                path.push((ns, name));
            }
            Event::Empty(e) => {
                let name = AsRef::<str>::as_ref(&e.local_name()).to_string();
                if in_dav(&path, &["multistatus", "response", "propstat", "prop"]) {
                    props.push((ns, name, String::new()));
                }
            }
            Event::Text(t) => {
                let t = t.xml10_content().to_string();
                let names: Vec<&str> = path.iter().map(|(_, l)| l.as_str()).collect();
                let resp = out.last_mut();
                match (names.as_slice(), resp) {
                    (["multistatus", "response", "href"], Some(r)) => r.href.push_str(&t),
                    (["multistatus", "response", "status"], Some(r)) => r.status = Some(t),
                    (["multistatus", "response", "propstat", "status"], Some(r)) => {
                        r.propstats.push((t, props.clone()))
                    }
                    (["multistatus", "response", "propstat", "prop", _], _) => {
                        let (n, l) = path.last().cloned().unwrap();
                        props.push((n, l, t));
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                let (n, l) = path.pop().unwrap();
                // A property that ended without text.
                if in_dav(&path, &["multistatus", "response", "propstat", "prop"])
                    && !props.iter().any(|(pn, pl, _)| *pn == n && *pl == l)
                {
                    props.push((n, l, String::new()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn find<'a>(all: &'a [Resp], href: &str) -> &'a Resp {
    all.iter()
        .find(|r| r.href == href)
        .unwrap_or_else(|| panic!("no response for {href}: {all:?}"))
}

fn prop<'a>(r: &'a Resp, status: &str, name: &str) -> Option<&'a str> {
    r.propstats
        .iter()
        .filter(|(s, _)| s == status)
        .flat_map(|(_, p)| p)
        .find(|(_, l, _)| l == name)
        .map(|(_, _, v)| v.as_str())
}

#[tokio::test]
async fn propfind_depths_bindings_and_loops() {
    let server = common::server().await;
    let all = multistatus(&dav(&server, "PROPFIND", "/dav/t1/", &[("Depth", "0")], "").await);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].href, "/dav/t1/");
    assert_eq!(prop(&all[0], "HTTP/1.1 200 OK", "resourcetype"), Some(""));

    let all = multistatus(&dav(&server, "PROPFIND", "/dav/t1/", &[("Depth", "1")], "").await);
    let hrefs: Vec<&str> = all.iter().map(|r| r.href.as_str()).collect();
    assert_eq!(
        hrefs,
        [
            "/dav/t1/",
            "/dav/t1/docs/",
            "/dav/t1/loop/",
            "/dav/t1/shared/"
        ]
    );
    assert_eq!(
        prop(
            find(&all, "/dav/t1/docs/"),
            "HTTP/1.1 200 OK",
            "displayname"
        ),
        Some("docs")
    );

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

    let all = multistatus(
        &dav(
            &server,
            "PROPFIND",
            "/dav/t1/",
            &[("Depth", "infinity"), ("DAV", "bind")],
            "",
        )
        .await,
    );
    assert_eq!(
        find(&all, "/dav/t1/shared/").status.as_deref(),
        Some("HTTP/1.1 208 Already Reported")
    );
    assert_eq!(
        find(&all, "/dav/t1/loop/up/").status.as_deref(),
        Some("HTTP/1.1 208 Already Reported")
    );
    assert!(
        find(&all, "/dav/t1/shared/").propstats.is_empty(),
        "members are not repeated"
    );
    let readme = find(&all, "/dav/t1/docs/readme.txt");
    assert_eq!(
        prop(readme, "HTTP/1.1 200 OK", "getcontentlength"),
        Some("17")
    );
    assert!(
        all.iter()
            .all(|r| !r.href.starts_with("/dav/t1/shared/readme")),
        "nothing below a 208"
    );

    let body = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getcontentlength/><D:nosuch/></D:prop></D:propfind>"#;
    let all = multistatus(
        &dav(
            &server,
            "PROPFIND",
            "/dav/t1/docs/readme.txt",
            &[("Depth", "0")],
            body,
        )
        .await,
    );
    assert_eq!(
        prop(&all[0], "HTTP/1.1 200 OK", "getcontentlength"),
        Some("17")
    );
    assert_eq!(prop(&all[0], "HTTP/1.1 404 Not Found", "nosuch"), Some(""));
    assert_eq!(
        prop(&all[0], "HTTP/1.1 200 OK", "displayname"),
        None,
        "only what was asked"
    );
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
    let all = multistatus(&dav(&server, "PROPPATCH", "/dav/t2/docs/readme.txt", &[], ok).await);
    assert_eq!(all[0].propstats.len(), 1);
    assert_eq!(all[0].propstats[0].0, "HTTP/1.1 200 OK");
    assert_eq!(all[0].propstats[0].1[0].0, "urn:z");
    let all = multistatus(
        &dav(
            &server,
            "PROPFIND",
            "/dav/t2/docs/readme.txt",
            &[("Depth", "0")],
            "",
        )
        .await,
    );
    assert_eq!(prop(&all[0], "HTTP/1.1 200 OK", "colour"), Some("green"));

    let bad = r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:colour>red</Z:colour><D:getcontentlength>1</D:getcontentlength></D:prop></D:set></D:propertyupdate>"#;
    let all = multistatus(&dav(&server, "PROPPATCH", "/dav/t2/docs/readme.txt", &[], bad).await);
    let statuses: Vec<(&str, &str)> = all[0]
        .propstats
        .iter()
        .map(|(s, p)| (s.as_str(), p[0].1.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("HTTP/1.1 424 Failed Dependency", "colour"),
            ("HTTP/1.1 403 Forbidden", "getcontentlength")
        ]
    );
    let all = multistatus(
        &dav(
            &server,
            "PROPFIND",
            "/dav/t2/docs/readme.txt",
            &[("Depth", "0")],
            "",
        )
        .await,
    );
    assert_eq!(
        prop(&all[0], "HTTP/1.1 200 OK", "colour"),
        Some("green"),
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
    assert!(r.text().contains("<D:lockdiscovery>"));
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
