//! Running `teapot serve` as a process for a test.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Runs `cmd` and holds it to the contract for what cannot be done: exit
/// status 2, nothing on stdout, one `error:` line on stderr that says
/// `message`.
pub fn fails_with(mut cmd: assert_cmd::Command, message: &str) {
    use predicates::prelude::*;
    cmd.assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::starts_with("error: "))
        .stderr(predicate::str::contains(message))
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
}

pub struct Serve {
    child: Child,
    pub addr: String,
    log: std::sync::mpsc::Receiver<String>,
    /// Lines logged before the listening line.
    early: std::cell::RefCell<Vec<String>>,
}

impl Serve {
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut all = vec!["--bind", "127.0.0.1:0"];
        all.extend_from_slice(args);
        Serve::start_exact(&all, env)
    }

    /// `teapot serve` with exactly these arguments (`--bind` among them).
    pub fn start_exact(args: &[&str], env: &[(&str, &str)]) -> Serve {
        Serve::start_under(&[], args, env)
    }

    /// `teapot serve` run by `wrapper` (a command that execs what follows
    /// it, such as `prlimit --nofile=…`), with exactly these arguments.
    pub fn start_under(wrapper: &[&str], args: &[&str], env: &[(&str, &str)]) -> Serve {
        let teapot = assert_cmd::cargo::cargo_bin("teapot");
        let mut command = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&teapot);
                c
            }
            None => Command::new(&teapot),
        };
        let mut child = command
            .arg("serve")
            .args(args)
            .envs(env.iter().copied())
            .env("TEAPOT_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .expect("teapot starts");
        let stderr = child.stderr.take().unwrap();
        // Keep draining the log so the server never blocks on a full pipe;
        // every line is kept for tests that read it.
        let (tx, log) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut early = Vec::new();
        let addr = loop {
            let line = log
                .recv_timeout(Duration::from_secs(20))
                .expect("a listening line");
            // `listening on http://…` or `https://…`, in a text line or a
            // JSON object: the address ends at the first quote or space.
            if let Some(at) = line
                .find("://")
                .filter(|_| line.contains("listening on http"))
            {
                let rest = &line[at + 3..];
                break rest
                    .split(['"', ' '])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
            }
            early.push(line);
        };
        Serve {
            child,
            addr,
            log,
            early: std::cell::RefCell::new(early),
        }
    }

    pub fn request(&self, raw: &str) -> String {
        request_to(&self.addr, raw)
    }

    /// The next log line that satisfies `want`, waiting up to 5 s.
    pub fn log_line(&self, want: impl Fn(&str) -> bool) -> Option<String> {
        let mut early = self.early.borrow_mut();
        if let Some(i) = early.iter().position(|l| want(l)) {
            return Some(early.remove(i));
        }
        drop(early);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) if want(&line) => return Some(line),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    }

    /// Stops the server (SIGTERM) and returns its exit status and every
    /// log line not yet read.
    pub fn terminate_with_log(mut self) -> (i32, Vec<String>) {
        let mut lines = self.early.take();
        let log = std::mem::replace(&mut self.log, std::sync::mpsc::channel().1);
        let code = self.terminate();
        lines.extend(log.iter());
        (code, lines)
    }

    /// The server's process id.
    pub fn child_id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the server to exit by itself; its exit status.
    pub fn wait(mut self) -> i32 {
        self.child
            .wait()
            .unwrap()
            .code()
            .expect("exited, not killed")
    }

    pub fn terminate(mut self) -> i32 {
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

impl Drop for Serve {
    /// A test that fails midway must not leave a server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `raw` to `addr` and reads until the server closes.
pub fn request_to(addr: &str, raw: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}
