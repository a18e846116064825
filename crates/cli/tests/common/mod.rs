//! Running `teapot serve` as a process for a test.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Serve {
    child: Child,
    pub addr: String,
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
                break line[at + "listening on http://".len()..].trim().to_string();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Serve { child, addr }
    }

    pub fn request(&self, raw: &str) -> String {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(raw.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
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
