//! Running `teapot serve` as a process for a test.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Serve {
    child: Child,
    pub addr: String,
    log: std::sync::mpsc::Receiver<String>,
}

impl Serve {
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Serve {
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
                let rest = &line[at + "listening on http://".len()..];
                // The line may be text or a JSON object: the address ends
                // at the first quote or space.
                break rest
                    .split(['"', ' '])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe;
        // the lines are kept for tests that read them.
        let (tx, log) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Serve { child, addr, log }
    }

    pub fn request(&self, raw: &str) -> String {
        request_to(&self.addr, raw)
    }

    /// The next log line that satisfies `want`, waiting up to 5 s.
    pub fn log_line(&self, want: impl Fn(&str) -> bool) -> Option<String> {
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
