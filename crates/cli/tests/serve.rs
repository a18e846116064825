//! `teapot serve` as a process: it listens, answers, reads its limits from
//! flags and `TEAPOT_*` variables, and stops cleanly on SIGTERM.

mod common;

use std::process::Command;

use common::Serve;

#[test]
fn serve_answers_and_stops_on_sigterm() {
    let server = Serve::start(&[], &[]);
    let out = server.request("GET /418 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert!(out.starts_with("HTTP/1.1 418 I'm a teapot\r\n"), "{out}");
    assert_eq!(server.terminate(), 0);
}

#[test]
fn limits_come_from_flags_and_environment() {
    let server = Serve::start(&["--max-uri", "64"], &[("TEAPOT_MAX_BODY", "10")]);
    let long = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(100));
    assert!(server
        .request(&long)
        .starts_with("HTTP/1.1 414 URI Too Long\r\n"));
    let big = "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world";
    assert!(server
        .request(big)
        .starts_with("HTTP/1.1 413 Payload Too Large\r\n"));
    assert_eq!(server.terminate(), 0);
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        ["--max-body", "lots"],
        ["--request-timeout", "1d"],
        ["--bind", "nowhere"],
    ] {
        let out = Command::new(assert_cmd::cargo::cargo_bin("teapot"))
            .arg("serve")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(args[0]),
            "{args:?}"
        );
    }
}

/// The one-line error of `teapot serve` with these arguments (exit 2).
fn serve_error(args: &[&str]) -> String {
    let out = Command::new(assert_cmd::cargo::cargo_bin("teapot"))
        .arg("serve")
        .args(args)
        .env("TEAPOT_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn http3_needs_tls_and_its_udp_port() {
    let err = serve_error(&["--http3", "--bind", "127.0.0.1:0"]);
    assert!(err.starts_with("error: --http3 needs TLS"), "{err}");
    // The TCP port is free, the UDP port of the same number is not: a port
    // free for both, whose TCP side is then let go.
    let (_udp, addr) = loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = tcp.local_addr().unwrap();
        if let Ok(udp) = std::net::UdpSocket::bind(addr) {
            break (udp, addr.to_string());
        }
    };
    let err = serve_error(&["--http3", "--tls-self-signed", "--bind", &addr]);
    assert!(
        err.starts_with(&format!("error: cannot listen for HTTP/3 on UDP {addr}")),
        "{err}"
    );
}

#[test]
fn a_busy_port_is_a_one_line_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = serve_error(&["--bind", &addr]);
    assert!(
        err.starts_with(&format!("error: cannot listen on {addr}")),
        "{err}"
    );
}

#[test]
fn access_log_has_one_json_line_per_exchange() {
    let server = Serve::start(&["--log-format", "json"], &[]);
    server.request("GET /418/tea?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let line = server
        .log_line(|l| l.contains("\"path\":\"/418/tea\""))
        .expect("an access line for the request");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["method"], "GET");
    assert_eq!(v["status"], 418);
    assert_eq!(v["protocol"], "HTTP/1.1");
    assert_eq!(v["bytes"], 17);
    assert!(v["duration_us"].as_u64().is_some());
    assert_eq!(v["client"], "127.0.0.1");
    // A request the engine refuses is logged with its client too.
    server.request("GET /x HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n");
    let line = server
        .log_line(|l| l.contains("\"refused\""))
        .expect("an access line for the refused request");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (v["status"].as_u64(), v["client"].as_str()),
        (Some(400), Some("127.0.0.1"))
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn access_lines_come_in_batches_yet_soon_and_all_before_the_exit() {
    let server = Serve::start(&[], &[]);
    // Held, then written on the server's beat: well within a second.
    server.request("GET /201 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let line = server.log_line(|l| l.contains("path=\"/201\""));
    assert!(line.is_some_and(|l| l.contains("teapot::access")));
    // The last exchanges before a stop are written as the server stops,
    // in order, before its last line.
    for code in [202, 203, 204] {
        server.request(&format!(
            "GET /{code} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        ));
    }
    let (code, lines) = server.terminate_with_log();
    assert_eq!(code, 0);
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle} in {lines:#?}"))
    };
    let (a, b, c) = (
        at("path=\"/202\""),
        at("path=\"/203\""),
        at("path=\"/204\""),
    );
    assert!(a < b && b < c && c < at("teapot stopped"), "{lines:#?}");
}

/// The soft limit on open files of a running process.
fn open_files_limit(pid: u32) -> u64 {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    line.split_whitespace().nth(3).unwrap().parse().unwrap()
}

#[test]
fn the_open_file_limit_is_raised_for_max_connections() {
    // A soft limit of 256 is raised to what 1 000 connections need.
    let args = ["--bind", "127.0.0.1:0", "--max-connections", "1000"];
    let server = Serve::start_under(&["prlimit", "--nofile=256:4096", "--"], &args, &[]);
    assert_eq!(open_files_limit(server.child_id()), 1000 + 512);
    assert!(server
        .request("GET /200 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(server.terminate(), 0);
    // A hard limit below that is taken whole, and said.
    let server = Serve::start_under(&["prlimit", "--nofile=256:600", "--"], &args, &[]);
    assert_eq!(open_files_limit(server.child_id()), 600);
    let warning = server.log_line(|l| l.contains("files may be open"));
    assert!(
        warning.as_deref().is_some_and(
            |w| w.contains("at most 600 files") && w.contains("--max-connections 1000")
        ),
        "{warning:?}"
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn one_worker_is_one_thread_that_still_serves_connections_side_by_side() {
    let server = Serve::start(&["--workers", "1"], &[]);
    // A slow exchange is under way on one connection...
    let slow_addr = server.addr.clone();
    let slow = std::thread::spawn(move || {
        common::request_to(
            &slow_addr,
            "GET /delay/2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    // ...while another is answered, on the same single thread.
    assert!(server
        .request("GET /200 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(!slow.is_finished(), "the delayed answer came before /200");
    assert_eq!(threads(server.child_id()), 1);
    assert!(slow.join().unwrap().starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(server.terminate(), 0);
    // By default, a worker per core the process may run on: pinned to one
    // core, one thread; with two workers, more.
    let pinned = Serve::start_under(&["taskset", "-c", "0"], &["--bind", "127.0.0.1:0"], &[]);
    assert_eq!(threads(pinned.child_id()), 1);
    assert_eq!(pinned.terminate(), 0);
    let two = Serve::start(&["--workers", "2"], &[]);
    assert!(threads(two.child_id()) > 2);
    assert_eq!(two.terminate(), 0);
}

fn threads(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

#[test]
fn sigterm_drains_for_the_drain_timeout() {
    let server = Serve::start(
        &[
            "--drain-timeout",
            "2s",
            "--trusted-proxy",
            "127.0.0.1,10.0.0.0/8",
        ],
        &[],
    );
    let pid = server.child_id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    // Still serving, and saying it is going away.
    let mut seen = String::new();
    for _ in 0..100 {
        seen = server.request("GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n");
        if seen.starts_with("HTTP/1.1 503") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        seen.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{seen}"
    );
    let out = server.request("GET /ip HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 192.0.2.7\r\n\r\n");
    assert!(out.contains("Connection: close\r\n"), "{out}");
    assert!(out.contains("\"origin\": \"192.0.2.7\""), "{out}");
    assert_eq!(server.wait(), 0);
}

#[test]
fn tls_self_signed_logs_its_fingerprint_and_serves_https() {
    let server = Serve::start(&["--tls-self-signed"], &[]);
    let fingerprint = server
        .log_line(|l| l.contains("TLS certificate SHA-256 fingerprint"))
        .expect("the fingerprint is logged");
    let hex = fingerprint.rsplit(' ').next().unwrap();
    assert_eq!(hex.split(':').count(), 32, "{fingerprint}");
    let out = Command::new("curl")
        .args([
            "-sk",
            "--max-time",
            "10",
            &format!("https://{}/418", server.addr),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "418 I'm a teapot\n");
    assert_eq!(server.terminate(), 0);
}

#[test]
fn tls_flags_go_together() {
    for args in [
        vec!["--tls-cert", "c.pem"],
        vec!["--tls-key", "k.pem"],
        vec![
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--tls-self-signed",
        ],
    ] {
        let out = Command::new(assert_cmd::cargo::cargo_bin("teapot"))
            .arg("serve")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = Command::new(assert_cmd::cargo::cargo_bin("teapot"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
            "/no/such.pem",
            "--tls-key",
            "/no/such.pem",
        ])
        .env("TEAPOT_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: cannot read /no/such.pem"), "{err}");
}

/// Hostile HTTP/2 connections (reset floods) do not flood the log: the h2
/// library's warning per connection is not printed, and the server sums
/// the floods up in one line (at most one every ten seconds), while
/// `/metrics` counts each.
#[test]
fn attack_noise_is_summed_up_in_the_log() {
    let server = Serve::start(&[], &[]);
    let mut frames = Vec::new();
    frames.extend_from_slice(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    frames.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    for i in 0..500u32 {
        let id = (2 * i + 1).to_be_bytes();
        frames.extend_from_slice(&[0, 0, 3, 1, 5, id[0], id[1], id[2], id[3], 0x82, 0x86, 0x84]);
        frames.extend_from_slice(&[0, 0, 4, 3, 0, id[0], id[1], id[2], id[3], 0, 0, 0, 8]);
    }
    // Whether the server ends a connection for a flood depends on how many
    // resets it reads before it takes their streams: count those it did.
    let mut floods = 0;
    for _ in 0..20 {
        use std::io::{Read, Write};
        let mut tcp = std::net::TcpStream::connect(&server.addr).unwrap();
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let _ = tcp.write_all(&frames);
        let mut seen = Vec::new();
        let _ = tcp.read_to_end(&mut seen);
        if teapot_testkit::h2::goaway_code(&seen) == Some(0xb) {
            floods += 1;
        }
    }
    assert!(floods > 0, "no connection was ended for its resets");
    // The HTTP/2 library closes a flooded connection before it reports the
    // flood to the server, which counts it then: wait for the last count.
    let want = format!("teapot_defenses_total{{defense=\"h2_reset_flood\"}} {floods}");
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = server.request("GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        if metrics.contains(&want) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(metrics.contains(&want), "{floods} floods: {metrics}");
    let (code, log) = server.terminate_with_log();
    assert_eq!(code, 0);
    let noisy: Vec<&String> = log.iter().filter(|l| l.contains("reached limit")).collect();
    assert!(noisy.is_empty(), "{noisy:?}");
    let summaries = log.iter().filter(|l| l.contains("bounds enforced")).count();
    assert_eq!(summaries, 1, "{log:?}");
}
