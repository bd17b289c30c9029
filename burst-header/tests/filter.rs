//! The built filter (`static/burst_header.wasm`) in our proxy-wasm host: the behaviour an Istio
//! operator relies on, and the failure modes of the original made harmless.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use proxy_wasm_host::{Exchange, Proxy, Worker};

const CONFIG: &str = r#"{"service_cluster": "burst", "service_authority": "burst.burst-metrics",
    "service_path": "/burstmetrics/services", "cache_seconds": 5, "user_agent": "HTTPie/"}"#;
const HOST: [&str; 6] = [
    "cluster_metadata",
    "filter_metadata",
    "istio",
    "services",
    "0",
    "host",
];
const ECHO1: &str = "service=default/echo, current-load=1, target-load=1, max-load=2";
const ECHO2: &str = "service=default/echo, current-load=2, target-load=1, max-load=2";
const HTTPIE: [(&str, &str); 2] = [(":path", "/"), ("user-agent", "HTTPie/3.2.2")];
const OK: [(&str, &str); 1] = [(":status", "200")];

fn module() -> PathBuf {
    let path = std::env::var_os("BURST_HEADER_WASM").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../static/burst_header.wasm"),
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "{} is not built: run `make build` first",
        path.display()
    );
    path
}

fn proxy() -> Proxy {
    let proxy = Proxy::from_file(module()).unwrap();
    proxy.add_cluster("burst");
    proxy
}

/// A worker of `proxy` serving the echo service (its Istio property set).
fn worker(proxy: &Proxy, config: &str) -> Worker {
    let mut w = proxy.worker(config.as_bytes()).unwrap();
    assert!(w.configured(), "{:?}", w.logs());
    w.set_property(&HOST, b"echo.default.svc.cluster.local");
    w
}

fn body(echo: &str) -> String {
    format!(
        r#"{{"default/echo": "{echo}", "other/svc": "service=other/svc, current-load=3, target-load=4, max-load=5"}}"#
    )
}

/// Ticks and answers the one call that results with `body`.
fn fetch(w: &mut Worker, body: &str) {
    w.tick().unwrap();
    let calls = w.http_calls().to_vec();
    assert_eq!(calls.len(), 1, "{calls:?}");
    w.respond(calls[0].token, &OK, body.as_bytes()).unwrap();
}

fn header(w: &mut Worker, request: &[(&str, &str)]) -> Option<String> {
    let e: Exchange = w.request(request, &OK).unwrap();
    assert_eq!(
        (e.request_action, e.response_action),
        (0, 0),
        "the filter never pauses"
    );
    e.response_header("x-load-feedback").map(str::to_string)
}

fn warnings(w: &mut Worker) -> Vec<String> {
    w.take_logs()
        .into_iter()
        .filter(|l| l.level >= 3)
        .map(|l| l.message)
        .collect()
}

#[test]
fn header_from_the_metrics_service() {
    let p = proxy();
    let mut w = worker(&p, CONFIG);
    assert_eq!(
        w.tick_period_ms(),
        1_000,
        "first fetch one second after start"
    );
    assert_eq!(header(&mut w, &HTTPIE), None, "no data yet");

    w.tick().unwrap();
    let call = w.http_calls()[0].clone();
    assert_eq!(call.upstream, "burst");
    assert_eq!(call.header(":method"), Some("GET"));
    assert_eq!(call.header(":path"), Some("/burstmetrics/services"));
    assert_eq!(call.header(":authority"), Some("burst.burst-metrics"));
    assert_eq!(call.timeout_ms, 5_000);
    assert_eq!(
        header(&mut w, &HTTPIE),
        None,
        "the request is not held while the call is out"
    );
    w.respond(call.token, &OK, body(ECHO1).as_bytes()).unwrap();

    assert_eq!(header(&mut w, &HTTPIE).as_deref(), Some(ECHO1));
    // The user-agent rule: a prefix match, and no user-agent means no header.
    assert_eq!(header(&mut w, &[("user-agent", "curl/8.5.0")]), None);
    assert_eq!(header(&mut w, &[(":path", "/")]), None);
    assert_eq!(header(&mut w, &[("user-agent", "xHTTPie/3")]), None);
    // Another service behind the same proxy gets its own value.
    w.set_property(&HOST, b"svc.other.svc.cluster.local");
    assert_eq!(
        header(&mut w, &HTTPIE).as_deref(),
        Some("service=other/svc, current-load=3, target-load=4, max-load=5")
    );
    // A service the metrics service does not know: no header.
    w.set_property(&HOST, b"nohpa.default.svc.cluster.local");
    assert_eq!(header(&mut w, &HTTPIE), None);
    assert_eq!(warnings(&mut w), Vec::<String>::new());
}

#[test]
fn refresh_on_tick() {
    let p = proxy();
    let mut w = worker(&p, CONFIG);
    fetch(&mut w, &body(ECHO1));
    for _ in 0..4 {
        p.advance_ms(1_000);
        w.tick().unwrap();
        assert!(w.http_calls().is_empty(), "not due before cache_seconds");
    }
    p.advance_ms(1_000);
    fetch(&mut w, &body(ECHO2));
    assert_eq!(header(&mut w, &HTTPIE).as_deref(), Some(ECHO2));
}

#[test]
fn an_existing_header_is_replaced() {
    let p = proxy();
    let mut w = worker(&p, CONFIG);
    fetch(&mut w, &body(ECHO1));
    let e = w
        .request(
            &HTTPIE,
            &[(":status", "200"), ("X-Load-Feedback", "forged")],
        )
        .unwrap();
    let values: Vec<_> = e
        .response_headers
        .iter()
        .filter(|(k, _)| k == "x-load-feedback")
        .collect();
    assert_eq!(values.len(), 1);
    assert_eq!(e.response_header("x-load-feedback"), Some(ECHO1));
}

#[test]
fn metrics_service_down_or_slow() {
    let p = proxy();
    let mut w = worker(&p, CONFIG);
    // Down (connection refused) or slow (Envoy's timeout fires): Envoy calls back with no headers.
    w.tick().unwrap();
    let token = w.http_calls()[0].token;
    w.fail_call(token).unwrap();
    assert_eq!(header(&mut w, &HTTPIE), None);
    assert_eq!(
        warnings(&mut w),
        [
            "burst-header: metrics call burst burst.burst-metrics/burstmetrics/services failed: no response (connection failure or timeout); keeping the last values"
        ]
    );
    // Retried after 5 s (min(5 s, cache_seconds)), not on every tick.
    for _ in 0..4 {
        p.advance_ms(1_000);
        w.tick().unwrap();
        assert!(w.http_calls().is_empty());
    }
    p.advance_ms(1_000);
    fetch(&mut w, &body(ECHO1));
    assert_eq!(header(&mut w, &HTTPIE).as_deref(), Some(ECHO1));
}

#[test]
fn unknown_cluster_is_a_logged_error_not_a_trap() {
    let p = Proxy::from_file(module()).unwrap(); // no "burst" cluster
    let mut w = worker(&p, CONFIG);
    w.tick().unwrap();
    assert!(w.http_calls().is_empty());
    assert_eq!(
        warnings(&mut w),
        ["burst-header: cannot call the metrics service (cluster \"burst\"): BadArgument"]
    );
    assert_eq!(header(&mut w, &HTTPIE), None);
    p.advance_ms(1_000);
    w.tick().unwrap(); // not retried before 5 s
    assert!(warnings(&mut w).is_empty());
}

#[test]
fn malformed_answers_keep_the_last_values_until_max_age() {
    let p = proxy();
    let mut w = worker(&p, CONFIG);
    // (metrics answer headers, body, the warning logged)
    type Answer<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let bad: [Answer; 5] = [
        (&OK, "<html>", "not JSON: expected a value at byte 0"),
        (&OK, "[1, 2]", "expected a JSON object, got an array"),
        (&OK, "", "empty body"),
        (
            &OK,
            r#"{"default/echo": "#,
            "not JSON: unexpected end of input at byte 17",
        ),
        (&[(":status", "503")], &body(ECHO2), "status 503"),
    ];
    // No data yet: malformed answers give no header.
    for (headers, answer, why) in &bad {
        p.advance_ms(5_000);
        w.tick().unwrap();
        let token = w.http_calls()[0].token;
        w.respond(token, headers, answer.as_bytes()).unwrap();
        assert_eq!(header(&mut w, &HTTPIE), None, "{answer}");
        assert_eq!(
            warnings(&mut w),
            [format!(
                "burst-header: metrics call burst burst.burst-metrics/burstmetrics/services failed: {why}; keeping the last values"
            )]
        );
    }
    // Good data, then failures: the last values are served for max_age_seconds (3 x 5 s).
    p.advance_ms(5_000);
    fetch(&mut w, &body(ECHO1));
    let fetched = p.now_ms();
    for (headers, answer, _) in bad.iter().cycle().take(3) {
        p.advance_ms(5_000);
        w.tick().unwrap();
        let token = w.http_calls()[0].token;
        w.respond(token, headers, answer.as_bytes()).unwrap();
        assert_eq!(header(&mut w, &HTTPIE).as_deref(), Some(ECHO1));
    }
    warnings(&mut w);
    assert_eq!(p.now_ms() - fetched, 15_000);
    p.advance_ms(1_000);
    w.tick().unwrap(); // 16 s old: dropped (and a fetch is due again)
    assert_eq!(header(&mut w, &HTTPIE), None);
    assert_eq!(
        warnings(&mut w),
        [
            "burst-header: metrics older than max_age_seconds (15000 ms); header omitted until a fetch succeeds"
        ]
    );
}

#[test]
fn two_workers_share_one_fetch() {
    let p = proxy();
    let mut a = worker(&p, CONFIG);
    let mut b = worker(&p, CONFIG);
    for round in 0..3 {
        a.tick().unwrap();
        b.tick().unwrap();
        assert_eq!(
            (a.http_calls().len(), b.http_calls().len()),
            (1, 0),
            "round {round}: one fetch per period for the proxy"
        );
        let echo = if round % 2 == 0 { ECHO1 } else { ECHO2 };
        let token = a.http_calls()[0].token;
        a.respond(token, &OK, body(echo).as_bytes()).unwrap();
        assert_eq!(header(&mut a, &HTTPIE).as_deref(), Some(echo));
        // b sees the shared values on its next tick, without a call of its own.
        b.tick().unwrap();
        assert!(b.http_calls().is_empty());
        assert_eq!(header(&mut b, &HTTPIE).as_deref(), Some(echo));
        p.advance_ms(5_000);
    }
    // The fetching worker's call fails: the other one takes over after the retry delay.
    a.tick().unwrap();
    let token = a.http_calls()[0].token;
    a.fail_call(token).unwrap();
    p.advance_ms(5_000);
    b.tick().unwrap();
    a.tick().unwrap();
    assert_eq!((a.http_calls().len(), b.http_calls().len()), (0, 1));
}

#[test]
fn a_lost_lease_expires() {
    // A worker claims the fetch and never hears back (its instance is gone): after the lease
    // (timeout + 1 s) another worker fetches.
    let p = proxy();
    let mut a = worker(&p, CONFIG);
    let mut b = worker(&p, CONFIG);
    a.tick().unwrap();
    drop(a);
    p.advance_ms(5_999);
    b.tick().unwrap();
    assert!(b.http_calls().is_empty());
    p.advance_ms(1);
    b.tick().unwrap();
    assert_eq!(b.http_calls().len(), 1);
}

#[test]
fn empty_user_agent_means_every_request() {
    let p = proxy();
    let config = CONFIG.replace("\"HTTPie/\"", "\"\"");
    let mut w = worker(&p, &config);
    fetch(&mut w, &body(ECHO1));
    assert_eq!(header(&mut w, &[(":path", "/")]).as_deref(), Some(ECHO1));
    assert_eq!(
        header(&mut w, &[("user-agent", "curl/8")]).as_deref(),
        Some(ECHO1)
    );
}

#[test]
fn constant_burst_header_bypasses_the_service() {
    let p = proxy();
    let config = r#"{"burst_header": "service=default/echo, current-load=9, target-load=8, max-load=10", "user_agent": "HTTPie/"}"#;
    let mut w = p.worker(config.as_bytes()).unwrap();
    assert!(w.configured());
    assert_eq!(w.tick_period_ms(), 0, "no timer, no calls");
    w.tick().unwrap();
    assert!(w.http_calls().is_empty());
    // No Istio property needed either.
    assert_eq!(
        header(&mut w, &HTTPIE).as_deref(),
        Some("service=default/echo, current-load=9, target-load=8, max-load=10")
    );
    assert_eq!(header(&mut w, &[("user-agent", "curl/8")]), None);
}

#[test]
fn configuration_errors_are_reported_at_configure_time() {
    let p = proxy();
    for (config, message) in [
        (
            "",
            "the configuration is empty (expected JSON such as {\"service_cluster\": ...})",
        ),
        (
            "{}",
            "service_cluster is required (the Envoy cluster of the metrics service) unless burst_header is set",
        ),
        (
            r#"{"service_cluster": "burst", "service_authority": "a", "service_path": "/p", "cache_seconds": -5}"#,
            "cache_seconds must be a number of seconds between 0 and one year, got -5",
        ),
        (
            "{\"service_cluster\": ",
            "not valid JSON: unexpected end of input at byte 20",
        ),
    ] {
        let mut w = p.worker(config.as_bytes()).unwrap();
        assert!(!w.configured(), "{config}");
        let errors: Vec<_> = w
            .take_logs()
            .into_iter()
            .filter(|l| l.level == 4)
            .map(|l| l.message)
            .collect();
        assert_eq!(
            errors,
            [format!(
                "burst-header: invalid plugin configuration: {message}"
            )]
        );
    }
}

#[test]
fn unknown_fields_are_a_warning() {
    let p = proxy();
    let config = CONFIG.replace("\"cache_seconds\"", "\"cache_secs\": 1, \"cache_seconds\"");
    let mut w = p.worker(config.as_bytes()).unwrap();
    assert!(w.configured());
    assert_eq!(
        warnings(&mut w),
        ["burst-header: ignoring unknown configuration fields cache_secs"]
    );
}

/// The original's EnvoyFilter passes a `google.protobuf.Struct`; Envoy hands over its bytes.
#[test]
fn protobuf_struct_configuration() {
    fn field(num: u8, body: &[u8], out: &mut Vec<u8>) {
        out.push(num << 3 | 2);
        out.push(u8::try_from(body.len()).unwrap());
        out.extend_from_slice(body);
    }
    let mut config = Vec::new();
    for (k, v) in [
        ("service_cluster", Some("burst")),
        ("service_authority", Some("burst.burst-metrics")),
        ("service_path", Some("/burstmetrics/services")),
        ("user_agent", Some("HTTPie/")),
        ("cache_seconds", None),
    ] {
        let mut value = Vec::new();
        match v {
            Some(s) => field(3, s.as_bytes(), &mut value),
            None => {
                value.push(2 << 3 | 1);
                value.extend_from_slice(&5.0f64.to_le_bytes());
            }
        }
        let mut entry = Vec::new();
        field(1, k.as_bytes(), &mut entry);
        field(2, &value, &mut entry);
        field(1, &entry, &mut config);
    }
    let p = proxy();
    let mut w = p.worker(&config).unwrap();
    assert!(w.configured(), "{:?}", w.logs());
    w.set_property(&HOST, b"echo.default.svc.cluster.local");
    fetch(&mut w, &body(ECHO1));
    assert_eq!(header(&mut w, &HTTPIE).as_deref(), Some(ECHO1));
    p.advance_ms(5_000);
    w.tick().unwrap();
    assert_eq!(w.http_calls().len(), 1, "cache_seconds 5 from the Struct");
}

#[test]
fn missing_or_odd_istio_property_means_no_header_and_no_trap() {
    let p = proxy();
    let mut w = worker(&p, CONFIG);
    fetch(&mut w, &body(ECHO1));
    w.remove_property(&HOST);
    assert_eq!(header(&mut w, &HTTPIE), None);
    assert_eq!(header(&mut w, &HTTPIE), None);
    w.set_property(&HOST, b"echo");
    assert_eq!(header(&mut w, &HTTPIE), None);
    assert_eq!(header(&mut w, &HTTPIE), None);
    assert_eq!(
        warnings(&mut w),
        [
            "burst-header: no Istio service property (cluster_metadata.filter_metadata.istio.services.0.host) on this listener; no header (reported once)",
            "burst-header: service host \"echo\" is not <service>.<namespace>...; no header",
        ]
    );
    w.set_property(&HOST, b"\xff\xfe");
    assert_eq!(header(&mut w, &HTTPIE), None);
    w.set_property(&HOST, b"echo.default.svc.cluster.local");
    assert_eq!(header(&mut w, &HTTPIE).as_deref(), Some(ECHO1));
}

#[test]
fn odd_values_and_headers_do_not_trap() {
    let p = proxy();
    let mut w = worker(&p, CONFIG);
    // Non-string and header-breaking values are skipped, the rest is used.
    fetch(
        &mut w,
        r#"{"default/echo": 3, "other/svc": "a\r\nb", "x/y": "service=y"}"#,
    );
    assert_eq!(header(&mut w, &HTTPIE), None);
    w.set_property(&HOST, b"y.x.svc");
    assert_eq!(header(&mut w, &HTTPIE).as_deref(), Some("service=y"));
    // A user-agent that is not UTF-8.
    let e = w
        .request_raw(
            vec![("user-agent".into(), b"HTTPie/\xff".to_vec())],
            vec![(":status".into(), b"200".to_vec())],
        )
        .unwrap();
    assert_eq!(e.response_header("x-load-feedback"), Some("service=y"));
}
