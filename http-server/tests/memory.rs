//! Header floods cannot grow the server's memory: each connection's head is cut at
//! `max_header_bytes` (32 KiB) and answered 431. (Its own process, so RSS is the server's.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write as _;

use common::*;
use http_server::Config;
use http_server::axum::Router;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn six_connections_of_128_mib_headers_stay_within_a_few_mib() {
    let server = TestServer::start(Config::default(), Router::new());
    assert_eq!(server.get("/healthz").status, 200);
    let before = rss_kib();
    let floods: Vec<_> = (0..6)
        .map(|_| {
            let mut s = server.connect();
            std::thread::spawn(move || {
                let mut reader = s.try_clone().unwrap();
                let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Flood: ");
                let chunk = vec![b'a'; 1 << 20];
                let mut sent = 0u64;
                for _ in 0..128 {
                    if s.write_all(&chunk).is_err() {
                        break;
                    }
                    sent += 1 << 20;
                }
                (read_response(&mut reader).status, sent)
            })
        })
        .collect();
    for f in floods {
        let (status, sent) = f.join().unwrap();
        assert_eq!(status, 431);
        assert!(sent < 128 << 20, "the server read all {sent} bytes");
    }
    let grown = rss_kib().saturating_sub(before);
    // 6 x 32 KiB of buffers plus bookkeeping; the tiny_http server grew by 891 MiB here.
    assert!(grown < 32 * 1024, "RSS grew by {grown} KiB");
    assert_eq!(server.get("/healthz").status, 200);
}
