//! The server over real loopback sockets: hostile clients leave others served, limits answer
//! the right status, and the built-in routes work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read as _, Write as _};
use std::time::Duration;

use common::*;
use http_server::axum::Router;
use http_server::axum::body::Bytes;
use http_server::axum::routing::{get, post};
use http_server::prometheus_client::encoding::EncodeLabelSet;
use http_server::prometheus_client::metrics::counter::Counter;
use http_server::prometheus_client::metrics::family::Family;
use http_server::prometheus_client::metrics::gauge::Gauge;
use http_server::prometheus_client::metrics::histogram::Histogram;
use http_server::{Config, ErrorFormat, Metrics, body_limits};

const BIG: usize = 1 << 20;

fn router() -> Router {
    Router::new()
        .route(
            "/echo",
            post(|body: Bytes| async move { format!("{} bytes", body.len()) }),
        )
        .route(
            "/small",
            post(|body: Bytes| async move { format!("{} bytes", body.len()) })
                .layer(body_limits(16, Duration::from_secs(30))),
        )
        .route("/big", get(|| async { vec![b'x'; BIG] }))
        .route(
            "/sleep",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                "never"
            }),
        )
}

fn short() -> Config {
    Config {
        header_read_timeout: Duration::from_millis(500),
        body_read_timeout: Duration::from_millis(500),
        write_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(500),
        ..Config::default()
    }
}

#[test]
fn healthz_answers_ok() {
    let server = TestServer::start(Config::default(), Router::new());
    let r = server.get("/healthz");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    let r = server.request("HEAD", "/healthz", b"");
    assert_eq!((r.status, r.header("content-length")), (200, Some("2")));
    let r = server.request("POST", "/healthz", b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
    assert_eq!(server.get("/nope").status, 404);
    assert_eq!(server.stop(), Ok(()));
}

#[test]
fn a_stalled_post_body_blocks_no_one_and_ends_in_408() {
    let server = TestServer::start(short(), router());
    let mut stalled = server.connect();
    stalled
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n{")
        .unwrap();
    // Another client is answered while the first one stalls.
    let r = server.request("POST", "/echo", b"{}");
    assert_eq!((r.status, r.text().as_str()), (200, "2 bytes"));
    // The stalled one is answered 408 once the body timeout passes, then closed.
    let r = read_response(&mut stalled);
    assert_eq!(r.status, 408);
    assert_eq!(
        r.text(),
        "408 request timeout: request body not received within 500 ms\n"
    );
    assert_eq!(r.header("connection"), Some("close"));
}

#[test]
fn a_stalled_request_head_blocks_no_one_and_is_closed() {
    let server = TestServer::start(short(), router());
    let mut stalled = server.connect();
    stalled.write_all(b"GET /healthz HTTP/1.1\r\nHost").unwrap();
    assert_eq!(server.get("/healthz").status, 200);
    // Closed by the header-read timeout: EOF (hyper answers nothing to a half head).
    let mut rest = Vec::new();
    let _ = stalled.read_to_end(&mut rest);
    assert!(
        rest.is_empty() || rest.starts_with(b"HTTP/1.1 408"),
        "{rest:?}"
    );
}

#[test]
fn a_pipelining_client_that_never_reads_blocks_no_one_and_is_closed() {
    let server = TestServer::start(short(), router());
    let mut hog = server.connect();
    let one = b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
    let requests: Vec<u8> = one.iter().copied().cycle().take(one.len() * 100).collect();
    hog.write_all(&requests).unwrap();
    // 100 MiB of answers cannot fit in the socket buffers: the server's writes stall.
    assert_eq!(server.get("/healthz").status, 200);
    // The write timeout closes the hog's connection: only the /metrics probe stays open.
    server.wait_for_metric("http_connections 1");
    let mut got = 0usize;
    let mut buf = vec![0; 64 * 1024];
    while let Ok(n) = hog.read(&mut buf) {
        if n == 0 {
            break;
        }
        got += n;
    }
    assert!(
        got < 100 * BIG,
        "read {got} bytes: the connection was not cut"
    );
}

#[test]
fn two_thousand_idle_connections_leave_the_server_answering() {
    // Both ends of each connection live in this process: 4,000+ descriptors.
    let want: u64 = 2000;
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap();
    // Scale down (with a note) only on a machine whose hard limit is too low.
    let n = if limit >= 2 * want + 200 {
        want
    } else {
        eprintln!(
            "open-file hard limit {limit}: using {} connections",
            (limit - 200) / 2
        );
        (limit - 200) / 2
    };
    let n = usize::try_from(n).unwrap();
    let config = Config {
        header_read_timeout: Duration::from_secs(300),
        ..Config::default()
    };
    let server = TestServer::start(config, router());
    let idle: Vec<_> = (0..n).map(|_| server.connect()).collect();
    server.wait_for_metric(&format!("http_connections {}", n + 1));
    let r = server.request("POST", "/echo", b"hello");
    assert_eq!((r.status, r.text().as_str()), (200, "5 bytes"));
    drop(idle);
    server.wait_for_metric("http_connections 1");
}

#[test]
fn at_the_connection_cap_the_rest_wait_in_the_backlog() {
    let config = Config {
        max_connections: 3,
        header_read_timeout: Duration::from_secs(300),
        ..Config::default()
    };
    let server = TestServer::start(config, router());
    let a = server.connect();
    let _b = server.connect();
    server.wait_for_metric("http_connections 3"); // a, b and the probe itself
    let _c = server.connect(); // takes the probe's slot once it is freed
    let mut d = server.connect(); // no slot: the kernel holds it, nobody reads it
    d.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    d.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0u8; 1];
    let early = d.read(&mut byte);
    assert!(
        early
            .as_ref()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
        "answered while at the cap: {early:?}"
    );
    d.set_read_timeout(Some(PATIENCE)).unwrap();
    drop(a); // frees a slot: d is accepted and answered
    let r = read_response(&mut d);
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let server = TestServer::start(short(), router());
    let mut s = server.connect();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all); // ends when the server closes the idle connection
    let r = parse_response(&all).unwrap();
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
}

#[test]
fn a_header_flood_is_refused_with_431() {
    let server = TestServer::start(Config::default(), router());
    let mut s = server.connect();
    let mut writer = s.try_clone().unwrap();
    let flood = std::thread::spawn(move || {
        let _ = writer.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Flood: ");
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..16 {
            // 1 MiB in all; the server stops reading after 32 KiB
            if writer.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let r = read_response(&mut s);
    assert_eq!(r.status, 431);
    flood.join().unwrap();
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn too_many_headers_and_long_uris_are_refused() {
    let server = TestServer::start(Config::default(), router());
    let mut s = server.connect();
    let mut req = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for i in 0..101 {
        req.push_str(&format!("X-{i}: y\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    assert_eq!(read_response(&mut s).status, 431);
    let long = format!("/healthz?{}", "a".repeat(8 * 1024));
    let r = server.get(&long);
    assert_eq!(r.status, 414);
    assert_eq!(
        r.text(),
        "414 uri too long: request target is longer than 8192 bytes\n"
    );
}

#[test]
fn bodies_over_the_limit_are_refused_with_413() {
    let server = TestServer::start(Config::default(), router());
    // Declared too large: refused before reading it (default 4 MiB).
    let mut s = server.connect();
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4194305\r\n\r\n")
        .unwrap();
    let r = read_response(&mut s);
    assert_eq!(r.status, 413);
    assert_eq!(
        r.text(),
        "413 payload too large: request body is larger than 4194304 bytes\n"
    );
    // Exactly at the limit is fine.
    let r = server.request("POST", "/echo", &vec![b'a'; 4 << 20]);
    assert_eq!((r.status, r.text().as_str()), (200, "4194304 bytes"));
    // Per-route limit: 16 bytes.
    let r = server.request("POST", "/small", &[b'a'; 16]);
    assert_eq!((r.status, r.text().as_str()), (200, "16 bytes"));
    let r = server.request("POST", "/small", &[b'a'; 17]);
    assert_eq!(r.status, 413);
    // Chunked, no declared length: cut off while reading.
    let mut s = server.connect();
    s.write_all(b"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    s.write_all(b"a\r\naaaaaaaaaa\r\na\r\naaaaaaaaaa\r\n0\r\n\r\n")
        .unwrap();
    let r = read_response(&mut s);
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            413,
            "413 payload too large: request body is larger than 16 bytes\n"
        )
    );
}

#[test]
fn errors_can_be_json_for_json_apis() {
    let config = Config {
        error_format: ErrorFormat::Json,
        ..short()
    };
    let server = TestServer::start(config, router());
    let r = server.request("POST", "/small", &[b' '; 17]);
    assert_eq!(
        (r.status, r.header("content-type"), r.text().as_str()),
        (
            413,
            Some("application/json"),
            r#"{"error":"request body is larger than 16 bytes"}"#
        )
    );
    let mut stalled = server.connect();
    stalled
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{")
        .unwrap();
    let r = read_response(&mut stalled);
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            408,
            r#"{"error":"request body not received within 500 ms"}"#
        )
    );
    let r = server.get("/sleep");
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            503,
            r#"{"error":"the handler did not answer within 500 ms"}"#
        )
    );
}

#[test]
fn a_handler_that_hangs_is_answered_503() {
    let server = TestServer::start(short(), router());
    let r = server.get("/sleep");
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            503,
            "503 service unavailable: the handler did not answer within 500 ms\n"
        )
    );
}

#[test]
fn shutdown_waits_for_in_flight_requests_up_to_the_grace() {
    let config = Config {
        shutdown_grace: Duration::from_millis(300),
        ..Config::default()
    };
    let server = TestServer::start(config, router());
    let mut s = server.connect();
    s.write_all(b"GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    server.wait_for_metric("http_requests_in_flight 2");
    // The handler never ends: serve still returns Ok once the grace is over.
    assert_eq!(server.stop(), Ok(()));
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{rest:?}");
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Fleet {
    fleet: String,
}

#[test]
fn metrics_are_served_in_a_text_format_that_parses() {
    let metrics = Metrics::new();
    let reviews = Family::<Outcome, Counter>::default();
    let latency = Histogram::new([0.001, 0.01, 0.1]);
    let desired = Family::<Fleet, Gauge>::default();
    metrics.register("autoscaler_reviews", "Reviews by outcome", reviews.clone());
    metrics.register(
        "autoscaler_review_seconds",
        "Review latency",
        latency.clone(),
    );
    metrics.register(
        "autoscaler_desired_replicas",
        "Desired replicas",
        desired.clone(),
    );
    reviews
        .get_or_create(&Outcome {
            outcome: "scaled".into(),
        })
        .inc_by(3);
    latency.observe(0.005);
    desired
        .get_or_create(&Fleet {
            fleet: "default/\"x\"\n".into(),
        })
        .set(7);
    let server = TestServer::start_with(Config::default(), Router::new(), Some(metrics));
    assert_eq!(server.get("/healthz").status, 200);
    let r = server.get("/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let text = r.text();
    let samples = parse_exposition(&text);
    let value = |name: &str| {
        samples
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    };
    assert_eq!(value("autoscaler_reviews_total{outcome=\"scaled\"}"), 3.0);
    assert_eq!(value("autoscaler_review_seconds_bucket{le=\"0.01\"}"), 1.0);
    assert_eq!(value("autoscaler_review_seconds_count"), 1.0);
    assert_eq!(
        value("autoscaler_desired_replicas{fleet=\"default/\\\"x\\\"\\n\"}"),
        7.0
    );
    assert_eq!(
        value("http_requests_total{method=\"GET\",code=\"200\"}"),
        1.0
    );
    assert_eq!(value("http_connections"), 1.0);
    assert_eq!(value("http_requests_in_flight"), 1.0);
}

/// A strict reader of the text exposition format: every line is a `# HELP|TYPE|UNIT` comment,
/// `# EOF` (last), or `name{labels} value`; returns (name with labels, value).
fn parse_exposition(text: &str) -> Vec<(String, f64)> {
    assert!(text.ends_with("# EOF\n"), "{text}");
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("# ") {
            let kind = c.split(' ').next().unwrap();
            assert!(["HELP", "TYPE", "UNIT", "EOF"].contains(&kind), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "{line}");
            let labels = &series[name_end + 1..series.len() - 1];
            let mut escaped = false;
            let mut quoted = false;
            for c in labels.chars() {
                match (escaped, quoted, c) {
                    (true, _, _) => escaped = false,
                    (false, true, '\\') => escaped = true,
                    (false, _, '"') => quoted = !quoted,
                    (false, true, '\n') => panic!("raw newline in {line}"),
                    _ => {}
                }
            }
            assert!(!quoted && !escaped, "{line}");
        }
        out.push((series.to_string(), value));
    }
    out
}
