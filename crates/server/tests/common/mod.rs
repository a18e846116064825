//! Starting a real teapot on a loopback port for a test.

#![allow(dead_code)]

use std::time::Duration;

use teapot_server::{spawn, Config, Running};

pub async fn server() -> Running {
    spawn(Config::default()).await.expect("server starts")
}

pub async fn server_with(f: impl FnOnce(&mut Config)) -> Running {
    let mut config = Config::default();
    f(&mut config);
    spawn(config).await.expect("server starts")
}

pub fn short_delay(config: &mut Config) {
    config.max_delay = Duration::from_millis(500);
}
