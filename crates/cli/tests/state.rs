//! Two `teapot serve` processes on one Redis share their state exactly.

mod common;

use common::{request_to, Serve};
use teapot_testkit::redis::Redis;

fn status_of(response: &str) -> u16 {
    response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn two_processes_share_flaky_sequences_and_rate_limits() {
    let redis = Redis::start();
    let url = redis.url();
    let a = Serve::start(&[], &[("TEAPOT_STATE", url.as_str())]);
    let b = Serve::start(&["--state", url.as_str()], &[]);
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");

    // A flaky sequence advanced alternately through both instances.
    let codes: Vec<u16> = (0..5)
        .map(|i| {
            let server = if i % 2 == 0 { &a } else { &b };
            status_of(&server.request(&get("/flaky/both?codes=503,502,201,200")))
        })
        .collect();
    assert_eq!(codes, [503, 502, 201, 200, 200]);

    // A budget of 5 per minute, 24 concurrent requests across both: exactly
    // 5 get through.
    let results: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..24)
            .map(|i| {
                let addr = if i % 2 == 0 {
                    a.addr.clone()
                } else {
                    b.addr.clone()
                };
                let request = get("/limit/shared-budget?rate=5/m");
                scope.spawn(move || status_of(&request_to(&addr, &request)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|&&s| s == 200).count(),
        5,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|&&s| s == 429).count(),
        19,
        "{results:?}"
    );
    assert_eq!(a.terminate(), 0);
    assert_eq!(b.terminate(), 0);
}
