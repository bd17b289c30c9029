//! `make bench-burst-header`: what the filter costs a request, in our proxy-wasm host (wasmtime),
//! and the module size. Numbers, not pass/fail.
//!
//! Each request is the whole HTTP-context lifecycle (create, request headers, response headers,
//! done, log, delete), so the numbers include our host's own cost of those six calls. A module
//! that exports the same lifecycle and does nothing gives that floor; the filter's own cost is the
//! difference (target <= 2 us on the cached path).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use proxy_wasm_host::{Proxy, Worker};

const HOST: [&str; 6] = [
    "cluster_metadata",
    "filter_metadata",
    "istio",
    "services",
    "0",
    "host",
];

fn per_request(w: &mut Worker, request: &[(&str, &str)], n: u32) -> f64 {
    let response = [(":status", "200"), ("content-type", "text/plain")];
    for _ in 0..n / 10 {
        w.request(request, &response).unwrap();
    }
    let start = Instant::now();
    for _ in 0..n {
        w.request(request, &response).unwrap();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

/// A proxy-wasm module with the filter's exports and no work: the host's own cost of a request.
const FLOOR_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) i32.const 1024)
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) i32.const 1)
  (func (export "proxy_on_configure") (param i32 i32) (result i32) i32.const 1)
  (func (export "proxy_on_tick") (param i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) i32.const 0)
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) i32.const 0)
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32))
  (func (export "proxy_on_done") (param i32) (result i32) i32.const 1)
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_delete") (param i32)))"#;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 2_000 } else { 200_000 };
    let path = std::env::var_os("BURST_HEADER_WASM").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../static/burst_header.wasm"),
        PathBuf::from,
    );
    let size = std::fs::metadata(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `make build` first)", path.display()))
        .len();

    let proxy = Proxy::from_file(&path).unwrap();
    proxy.add_cluster("burst");
    let config = br#"{"service_cluster": "burst", "service_authority": "burst.burst-metrics",
        "service_path": "/burstmetrics/services", "cache_seconds": 60, "user_agent": "HTTPie/"}"#;
    let mut w = proxy.worker(config).unwrap();
    w.set_property(&HOST, b"echo.default.svc.cluster.local");
    // A realistic answer: 200 services.
    let mut body = String::from("{");
    for i in 0..200 {
        body.push_str(&format!(
            "\"ns{i}/svc{i}\": \"service=ns{i}/svc{i}, current-load=1, target-load=4, max-load=5\", "
        ));
    }
    body.push_str(
        "\"default/echo\": \"service=default/echo, current-load=1, target-load=1, max-load=2\"}",
    );
    w.tick().unwrap();
    let token = w.http_calls()[0].token;
    w.respond(token, &[(":status", "200")], body.as_bytes())
        .unwrap();
    let e = w
        .request(&[("user-agent", "HTTPie/3")], &[(":status", "200")])
        .unwrap();
    assert!(e.response_header("x-load-feedback").is_some());

    let request = [
        (":path", "/"),
        (":authority", "echo"),
        ("user-agent", "HTTPie/3.2.2"),
        ("accept", "*/*"),
    ];
    let other = [
        (":path", "/"),
        (":authority", "echo"),
        ("user-agent", "curl/8.5.0"),
        ("accept", "*/*"),
    ];
    let cached_ns = per_request(&mut w, &request, n);
    let skipped_ns = per_request(&mut w, &other, n);

    let constant = proxy
        .worker(br#"{"burst_header": "service=default/echo, current-load=1, target-load=1, max-load=2"}"#)
        .unwrap();
    let mut constant = constant;
    let constant_ns = per_request(&mut constant, &request, n);

    let floor = Proxy::new(&wat::parse_str(FLOOR_WAT).unwrap()).unwrap();
    let mut floor = floor.worker(b"").unwrap();
    let floor_ns = per_request(&mut floor, &request, n);

    println!("burst-header ({} requests per row, our wasmtime host)", n);
    println!(
        "  module size                        {:>9} bytes   (target <= 150 KB = 153600)",
        size
    );
    println!(
        "  cached path, header added          {:>9.0} ns/request (whole lifecycle; target <= 2000)",
        cached_ns
    );
    println!(
        "  floor: a module doing nothing      {:>9.0} ns/request (the host's own lifecycle cost)",
        floor_ns
    );
    println!(
        "  the filter's own cost, cached path {:>9.0} ns/request (cached minus floor)",
        cached_ns - floor_ns
    );
    println!(
        "  user-agent does not match          {:>9.0} ns/request",
        skipped_ns
    );
    println!(
        "  constant burst_header              {:>9.0} ns/request",
        constant_ns
    );
}
