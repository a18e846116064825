//! teapot as a team runs it: three instances on one Redis, each started
//! with the command line of `deploy/teapot@.service`, behind Debian's nginx
//! with `deploy/nginx-teapot.conf` (only the ports rewritten), all on
//! loopback. Every stateful scenario behaves as if there were one server,
//! and rolling restarts and a killed instance lose no request and no item.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::Serve;
use teapot_testkit::redis::Redis;

const UNIT: &str = include_str!("../../../deploy/teapot@.service");
const NGINX_SITE: &str = include_str!("../../../deploy/nginx-teapot.conf");
/// The ports the deploy files name, in order.
const DEPLOY_PORTS: [u16; 3] = [8418, 8419, 8420];
const DEPLOY_LISTEN: &str = "127.0.0.1:8080";
const DEPLOY_REDIS: &str = "redis://127.0.0.1:6379/";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The unit's `ExecStart` arguments after the binary, for one port.
fn unit_args(port: u16, redis: &str) -> Vec<String> {
    let exec = UNIT
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("the unit has an ExecStart");
    let mut words = exec.split_whitespace();
    assert!(words.next().unwrap().ends_with("/teapot"));
    assert_eq!(words.next(), Some("serve"));
    words
        .map(|w| {
            w.replace("%i", &port.to_string())
                .replace(DEPLOY_REDIS, redis)
        })
        .collect()
}

/// One instance, as systemd would start it.
fn instance(port: u16, redis: &str) -> Serve {
    let args = unit_args(port, redis);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Serve::start_exact(&args, &[])
}

/// nginx in the foreground with the site file, its ports rewritten.
struct Nginx {
    child: Child,
    addr: String,
    dir: PathBuf,
    /// The site file with the test's ports, every upstream in service.
    site: String,
}

impl Nginx {
    fn start(upstreams: &[u16]) -> Nginx {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("teapot-nginx-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut site = NGINX_SITE.replace(DEPLOY_LISTEN, &format!("127.0.0.1:{port}"));
        for (from, to) in DEPLOY_PORTS.iter().zip(upstreams) {
            site = site.replace(&format!("127.0.0.1:{from} "), &format!("127.0.0.1:{to} "));
        }
        assert_eq!(site.matches("server 127.0.0.1:").count(), 3, "{site}");
        std::fs::write(dir.join("teapot.conf"), &site).unwrap();
        let d = dir.display();
        std::fs::write(
            dir.join("nginx.conf"),
            format!(
                "daemon off;\nuser root root;\nworker_processes 1;\npid {d}/nginx.pid;\n\
                 error_log {d}/error.log warn;\nevents {{ worker_connections 1024; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  \
                 proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
                 uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
                 include {d}/teapot.conf;\n}}\n"
            ),
        )
        .unwrap();
        let mut child = Command::new("nginx")
            .args(["-e", &format!("{d}/error.log"), "-p"])
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .spawn()
            .expect("nginx is installed (scripts/test installs it)");
        let addr = format!("127.0.0.1:{port}");
        for _ in 0..500 {
            if TcpStream::connect(&addr).is_ok() {
                return Nginx {
                    child,
                    addr,
                    dir,
                    site,
                };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        stop(&mut child);
        panic!(
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
    }
}

impl Nginx {
    /// Takes the instance on `port` out of the upstream (`down`, as the
    /// site file's comment says to for a planned stop) or puts it back,
    /// and has nginx reload: new requests go to the others at once, the
    /// ones in flight finish.
    fn set_down(&self, port: Option<u16>) {
        let mut site = self.site.clone();
        if let Some(p) = port {
            let line = format!("server 127.0.0.1:{p} ");
            let at = site.find(&line).expect("the instance is in the site file");
            let end = at + site[at..].find(';').unwrap();
            site.insert_str(end, " down");
        }
        std::fs::write(self.dir.join("teapot.conf"), site).unwrap();
        let old = self.workers();
        let reloaded = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(reloaded.success());
        // The reload is done when new workers run and the old ones (which
        // still route by the old file) have finished what they held.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = self.workers();
            if !now.is_empty() && now.iter().all(|w| !old.contains(w)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not reload: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The worker processes of the master.
    fn workers(&self) -> Vec<String> {
        workers_of(&self.child.id().to_string())
    }

    /// What nginx logged (for a failure's message).
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        stop(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The worker processes of an nginx master.
fn workers_of(master: &str) -> Vec<String> {
    let out = Command::new("pgrep").args(["-P", master]).output();
    out.map(|o| {
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// Stops an nginx master and its workers: TERM (nginx's fast shutdown,
/// which ends the workers too), then KILL for what is left after a few
/// seconds — a worker outlives a master killed outright, and would go on
/// holding its port.
fn stop(master: &mut Child) {
    let id = master.id().to_string();
    let left = workers_of(&id);
    let _ = Command::new("kill").args(["-TERM", &id]).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && matches!(master.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = master.kill();
    let _ = master.wait();
    for w in left {
        // Only if it is still one of this test's nginx workers.
        let cmdline = std::fs::read(format!("/proc/{w}/cmdline")).unwrap_or_default();
        if cmdline.starts_with(b"nginx: worker") {
            let _ = Command::new("kill").args(["-KILL", &w]).status();
        }
    }
}

/// A request through the balancer: status and body, or an error.
fn ask(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String, String), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: teapot.test\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    let status = out
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or(format!("no answer: {out:?}"))?;
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    Ok((status, head.to_string(), body.to_string()))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

#[test]
fn three_instances_behind_nginx_behave_as_one() {
    let redis = Redis::start();
    let url = redis.url();
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut instances: Vec<Option<Serve>> =
        ports.iter().map(|&p| Some(instance(p, &url))).collect();
    let nginx = Nginx::start(&ports);
    let lb = nginx.addr.clone();
    let lb = lb.as_str();

    // The client behind nginx is named (trusted proxy).
    let (status, _, body) =
        ask(lb, "GET", "/ip", &[("X-Forwarded-For", "192.0.2.44")], "").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("192.0.2.44"), "{body}");

    // A flaky sequence advances once per request, whichever instance answers.
    let codes: Vec<u16> = (0..5)
        .map(|_| {
            ask(lb, "GET", "/flaky/lb-seq?codes=503,502,201,200", &[], "")
                .unwrap()
                .0
        })
        .collect();
    assert_eq!(codes, [503, 502, 201, 200, 200]);

    // 5 a minute: exactly 5 of 24 concurrent requests get through.
    let limited: Vec<u16> = std::thread::scope(|s| {
        let all: Vec<_> = (0..24)
            .map(|_| {
                s.spawn(|| {
                    ask(lb, "GET", "/limit/lb-budget?rate=5/m", &[], "")
                        .unwrap()
                        .0
                })
            })
            .collect();
        all.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        limited.iter().filter(|&&c| c == 200).count(),
        5,
        "{limited:?}"
    );
    assert_eq!(
        limited.iter().filter(|&&c| c == 429).count(),
        19,
        "{limited:?}"
    );

    // Compare-and-set: one winner among 50 concurrent PUT If-Match.
    let (status, head, _) = ask(
        lb,
        "POST",
        "/items",
        &[JSON],
        r#"{"id":"lb-cas","name":"pot"}"#,
    )
    .unwrap();
    assert_eq!(status, 201);
    let etag = header(&head, "etag").unwrap().to_string();
    let puts: Vec<u16> = std::thread::scope(|s| {
        let all: Vec<_> = (0..50)
            .map(|i| {
                let etag = etag.as_str();
                s.spawn(move || {
                    let body = format!(r#"{{"name":"writer {i}"}}"#);
                    ask(
                        lb,
                        "PUT",
                        "/items/lb-cas",
                        &[JSON, ("If-Match", etag)],
                        &body,
                    )
                    .unwrap()
                    .0
                })
            })
            .collect();
        all.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        puts.iter().filter(|&&c| c == 200 || c == 204).count(),
        1,
        "{puts:?}"
    );
    assert_eq!(puts.iter().filter(|&&c| c == 412).count(), 49, "{puts:?}");

    // A job made through one instance is followed through the others.
    let (status, head, _) = ask(lb, "POST", "/jobs?seconds=1", &[], "").unwrap();
    assert_eq!(status, 202);
    let monitor = header(&head, "location").unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    let result = loop {
        let (status, head, _) = ask(lb, "GET", &monitor, &[], "").unwrap();
        if status == 303 {
            break header(&head, "location").unwrap().to_string();
        }
        assert_eq!(status, 200);
        assert!(Instant::now() < deadline, "the job never finished");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(ask(lb, "GET", &result, &[], "").unwrap().0, 200);

    // A WebDAV tree built through one instance is read, locked and
    // refused through the others (round-robin: consecutive requests go to
    // different instances).
    assert_eq!(ask(lb, "MKCOL", "/dav/lb/box/", &[], "").unwrap().0, 201);
    assert_eq!(
        ask(lb, "PUT", "/dav/lb/box/a.txt", &[], "shared")
            .unwrap()
            .0,
        201
    );
    for _ in 0..3 {
        let (status, _, body) = ask(lb, "GET", "/dav/lb/box/a.txt", &[], "").unwrap();
        assert_eq!((status, body.as_str()), (200, "shared"));
    }
    let (status, head, _) = ask(lb, "LOCK", "/dav/lb/", &[], "").unwrap();
    assert_eq!(status, 200);
    let token = header(&head, "lock-token").unwrap().to_string();
    for _ in 0..3 {
        let refused = ask(lb, "PUT", "/dav/lb/box/a.txt", &[], "mine").unwrap().0;
        assert_eq!(refused, 423);
    }
    let held = format!("({token})");
    assert_eq!(
        ask(lb, "PUT", "/dav/lb/box/a.txt", &[("If", &held)], "kept")
            .unwrap()
            .0,
        204
    );
    assert_eq!(
        ask(lb, "UNLOCK", "/dav/lb/", &[("Lock-Token", &token)], "")
            .unwrap()
            .0,
        204
    );

    // Under steady load (items created, and read back), each instance in
    // turn is stopped with SIGTERM (it drains) and started again, then one
    // is killed outright and restarted.
    let stop = AtomicBool::new(false);
    // 0: steady; 1–3: instance N draining or restarting; 4: one killed.
    let phase = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let created = Mutex::new(Vec::new());
    let documents = Mutex::new(Vec::new());
    let served = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..4 {
            let (stop, failures, created, served, phase, documents) =
                (&stop, &failures, &created, &served, &phase, &documents);
            s.spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let id = format!("roll-{t}-{n}");
                    let body = format!(r#"{{"id":"{id}","name":"rolled"}}"#);
                    // A failure counts for the phase it ended in: a request
                    // begun just before the kill may be cut by it.
                    let at = || phase.load(Ordering::Relaxed);
                    match ask(lb, "POST", "/items", &[JSON], &body) {
                        Ok((201, _, _)) => created.lock().unwrap().push(id.clone()),
                        other => {
                            let failure = (at(), format!("POST {id}: {other:?}"));
                            failures.lock().unwrap().push(failure);
                            continue;
                        }
                    }
                    match ask(lb, "GET", &format!("/items/{id}"), &[], "") {
                        Ok((200, _, _)) => {}
                        other => {
                            let failure = (at(), format!("GET {id}: {other:?}"));
                            failures.lock().unwrap().push(failure);
                        }
                    }
                    served.fetch_add(2, Ordering::Relaxed);
                    // Now and then a WebDAV document too (PUT: nginx may
                    // send it again to another instance).
                    if n % 10 == 0 {
                        let path = format!("/dav/roll/{id}.txt");
                        match ask(lb, "PUT", &path, &[], &id) {
                            // 204: a resend found it already made.
                            Ok((201 | 204, _, _)) => documents.lock().unwrap().push(path),
                            other => {
                                let failure = (at(), format!("PUT {path}: {other:?}"));
                                failures.lock().unwrap().push(failure);
                            }
                        }
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    // Steady, not a flood: the store's key budget is the
                    // same for every instance.
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
        std::thread::sleep(Duration::from_millis(500));
        for (i, &port) in ports.iter().enumerate() {
            phase.store(i + 1, Ordering::Relaxed);
            // A planned stop, as docs/DEPLOY.md says: out of the upstream
            // first, then SIGTERM (it drains what it still has), restart,
            // back in.
            nginx.set_down(Some(port));
            let old = instances[i].take().unwrap();
            let begun = Instant::now();
            assert_eq!(old.terminate(), 0, "instance {i} stops cleanly");
            // The unit's --drain-timeout was honoured before the stop.
            assert!(
                begun.elapsed() >= Duration::from_secs(2),
                "{:?}",
                begun.elapsed()
            );
            instances[i] = Some(instance(port, &url));
            nginx.set_down(None);
        }
        phase.store(4, Ordering::Relaxed);
        let killed = instances[1].take().unwrap();
        drop(killed); // SIGKILL
        std::thread::sleep(Duration::from_millis(500));
        instances[1] = Some(instance(ports[1], &url));
        std::thread::sleep(Duration::from_millis(500));
        stop.store(true, Ordering::Relaxed);
    });
    let failures = failures.into_inner().unwrap();
    let created = created.into_inner().unwrap();
    let served = served.into_inner();
    // Through rolling restarts nothing fails: a draining instance still
    // serves, a stopped one refuses connections and nginx goes to the next.
    // A kill can cut a POST already sent to the dead instance, which nginx
    // rightly does not send again (not idempotent): at most one per
    // client thread, and only then.
    let (killed, rolling): (Vec<_>, Vec<_>) = failures.iter().partition(|(at, _)| *at == 4);
    assert!(
        rolling.is_empty(),
        "{} of {served} failed (instances on ports {ports:?}, restarted in that order, \
         then the second killed): {rolling:#?}\nnginx said:\n{}",
        rolling.len(),
        nginx.log()
    );
    assert!(
        killed.len() <= 4
            && killed
                .iter()
                .all(|(_, f)| f.starts_with("POST") && f.contains("502")),
        "{killed:#?}"
    );
    assert!(created.len() > 50, "{}", created.len());
    // Nothing created was lost: the items, nor the WebDAV documents.
    let documents = documents.into_inner().unwrap();
    assert!(documents.len() > 10, "{}", documents.len());
    for path in &documents {
        let (status, _, body) = ask(lb, "GET", path, &[], "").unwrap();
        assert_eq!(status, 200, "{path}");
        assert!(path.contains(&body), "{path}: {body}");
    }
    let (status, _, body) = ask(lb, "GET", "/dav/lb/box/a.txt", &[], "").unwrap();
    assert_eq!((status, body.as_str()), (200, "kept"));
    for id in &created {
        let (status, _, body) = ask(lb, "GET", &format!("/items/{id}"), &[], "").unwrap();
        assert_eq!(status, 200, "{id}: {body}");
    }
    eprintln!(
        "balanced: {served} requests through nginx during 3 rolling restarts and a kill, \
         {} items and {} WebDAV documents created and none lost; {} POST cut by the kill",
        created.len(),
        documents.len(),
        killed.len()
    );
    drop(nginx);
    for s in instances.into_iter().flatten() {
        assert_eq!(s.terminate(), 0);
    }
}
