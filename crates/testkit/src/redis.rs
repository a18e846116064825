//! A `redis-server` of the test's own on a free loopback port. Tests that
//! need Redis fail (they do not skip) when the binary is missing;
//! `scripts/test` installs it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running Redis, stopped when dropped.
pub struct Redis {
    child: Option<Child>,
    port: u16,
}

impl Redis {
    /// Starts one on a free port.
    pub fn start() -> Redis {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let mut r = Redis { child: None, port };
        r.restart();
        r
    }

    /// `redis://127.0.0.1:port/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops it (the port stays reserved for [`Redis::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and waits until it accepts.
    pub fn restart(&mut self) {
        self.stop();
        self.child = Some(redis_server(self.port, &[], None));
    }
}

/// Starts `redis-server` on a loopback port, without persistence, with
/// `extra` arguments (in `dir`, when given), and waits until it accepts.
fn redis_server(port: u16, extra: &[&str], dir: Option<&std::path::Path>) -> Child {
    let mut command = Command::new("redis-server");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let port_arg = port.to_string();
    let mut child = command
        .args(["--port", &port_arg, "--bind", "127.0.0.1"])
        .args(extra)
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server is installed (scripts/test installs it)");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("redis-server did not start on port {port}");
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Redis Cluster of three masters (no replicas) on loopback, each node a
/// `redis-server --cluster-enabled yes` of the test's own, joined with
/// `redis-cli --cluster create`. Stopped when dropped.
pub struct RedisCluster {
    nodes: Vec<Option<Child>>,
    ports: Vec<u16>,
    dir: std::path::PathBuf,
}

impl RedisCluster {
    /// Starts three nodes and waits until the cluster serves every slot.
    pub fn start() -> RedisCluster {
        // A node also listens on its port + 10000 (the cluster bus): take
        // ports whose bus port is free and valid too.
        // Clusters started at once (tests run in parallel, in several
        // processes) look in different places.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let mut ports = Vec::new();
        let base = 20_000 + (std::process::id() % 90) as u16 * 100;
        let mut tries = 0;
        while ports.len() < 3 {
            tries += 1;
            assert!(tries < 10_000, "no free ports for a Redis Cluster");
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let candidate = base + (n % 9_900) as u16;
            let free = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
            if free(candidate) && free(candidate + 10_000) {
                ports.push(candidate);
            }
        }
        let dir = std::env::temp_dir().join(format!(
            "teapot-redis-cluster-{}-{}",
            std::process::id(),
            ports[0]
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a directory for the cluster");
        let mut cluster = RedisCluster {
            nodes: vec![None, None, None],
            ports,
            dir,
        };
        for i in 0..3 {
            cluster.start_node(i);
        }
        let mut create = Command::new("redis-cli");
        create.args(["--cluster", "create"]);
        for p in &cluster.ports {
            create.arg(format!("127.0.0.1:{p}"));
        }
        let out = create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli is installed (with redis-server)");
        assert!(
            out.status.success(),
            "redis-cli --cluster create: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        cluster.wait_ok();
        cluster
    }

    /// `redis+cluster://127.0.0.1:a,127.0.0.1:b,127.0.0.1:c`.
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+cluster://{}", nodes.join(","))
    }

    /// Stops node `i` (a master: the slots it serves go down).
    pub fn stop(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts node `i` again (it rejoins with the slots it had, empty) and
    /// waits until the cluster serves every slot.
    pub fn restart(&mut self, i: usize) {
        self.stop(i);
        self.start_node(i);
        self.wait_ok();
    }

    fn start_node(&mut self, i: usize) {
        let port = self.ports[i];
        let config = format!("nodes-{port}.conf");
        let cluster = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            &config,
            "--cluster-node-timeout",
            "1000",
        ];
        self.nodes[i] = Some(redis_server(port, &cluster, Some(&self.dir)));
    }

    /// Waits until every node reports `cluster_state:ok`.
    fn wait_ok(&self) {
        for _ in 0..300 {
            let ok = self.ports.iter().all(|p| {
                Command::new("redis-cli")
                    .args(["-p", &p.to_string(), "cluster", "info"])
                    .output()
                    .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("cluster_state:ok"))
            });
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the Redis Cluster did not become ready");
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.stop(i);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
