//! `teapot serve` as a process: it listens, answers, reads its limits from
//! flags and `TEAPOT_*` variables, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Serve {
    child: Child,
    addr: String,
}

impl Serve {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("teapot"))
            .arg("serve")
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .env("TEAPOT_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .expect("teapot starts");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines.next().expect("a listening line").unwrap();
            if let Some(at) = line.find("listening on http://") {
                break line[at + "listening on http://".len()..].trim().to_string();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Serve { child, addr }
    }

    fn request(&self, raw: &str) -> String {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(raw.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    fn terminate(mut self) -> i32 {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        self.child
            .wait()
            .unwrap()
            .code()
            .expect("exited, not killed")
    }
}

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
        ["--request-timeout", "1h"],
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

#[test]
fn a_busy_port_is_a_one_line_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(assert_cmd::cargo::cargo_bin("teapot"))
        .args(["serve", "--bind", &addr])
        .env("TEAPOT_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!("error: cannot listen on {addr}")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}
