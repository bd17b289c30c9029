//! `simulator serve` and `simulator autoscale webhook` as real processes over loopback, tried as a
//! hostile client would: a stalled POST body and a pipelining client that never reads hold up no
//! other client, 2,000 idle connections leave the server answering, SIGTERM drains a review in
//! flight and exits 0; `/healthz`, `/metrics` after reviews, HTTPS with a generated certificate,
//! and the policies the webhook refuses to start with.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod cli_support;

use std::io::{BufRead as _, BufReader, ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cli_support::*;
use serde_json::{Value, json};

/// Generous deadline for anything that must "eventually" happen (never a speed assertion).
const PATIENCE: Duration = Duration::from_secs(30);

const SEED_REVIEW: &str = r#"{"request":{"uid":"sample-uid","name":"sample-fleet","namespace":"default","status":{"replicas":5,"readyReplicas":3,"reservedReplicas":1,"allocatedReplicas":2}}}"#;

const BUFFER_POLICY: &str = "apiVersion: autoscaling.agones.dev/v1\nkind: FleetAutoscaler\nmetadata:\n  name: sample-fleet-autoscaler\nspec:\n  fleetName: sample-fleet\n  policy:\n    type: Buffer\n    buffer:\n      bufferSize: 5\n      minReplicas: 0\n      maxReplicas: 100\n";

/// A running `simulator serve` or `autoscale webhook`, killed on drop; stderr collected as it
/// comes (so the server never blocks on a full pipe).
struct Proc {
    child: Child,
    addr: String,
    scheme: String,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<String>>,
}

impl Proc {
    fn start(args: &[&str]) -> Proc {
        let mut child = simulator()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn simulator");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        // "serving DIR on http://127.0.0.1:PORT/ (…)" or "webhook autoscaler (…) on https://…/scale (…)"
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| panic!("no URL in {line:?} ({})", stderr.lock().unwrap()));
        let (scheme, rest) = url.split_once("://").unwrap();
        let addr = rest.split('/').next().unwrap().to_string();
        Proc {
            child,
            addr,
            scheme: scheme.to_string(),
            stdout,
            stderr,
        }
    }

    fn webhook(policy: &str, extra: &[&str]) -> Proc {
        let mut args = vec![
            "autoscale",
            "webhook",
            "--addr",
            "127.0.0.1:0",
            "--policy",
            policy,
        ];
        args.extend_from_slice(extra);
        Proc::start(&args)
    }

    fn serve(dir: &str) -> Proc {
        Proc::start(&["serve", "--dir", dir, "--addr", "127.0.0.1:0"])
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        s.set_write_timeout(Some(PATIENCE)).unwrap();
        s
    }

    /// One request on a fresh connection (`Connection: close`); the whole response.
    fn request(&self, method: &str, target: &str, body: &[u8]) -> Response {
        let mut s = self.connect();
        write!(
            s,
            "{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(body).unwrap();
        read_response(&mut s)
    }

    fn get(&self, target: &str) -> Response {
        self.request("GET", target, b"")
    }

    /// Polls `/metrics` until `line` (a whole sample line) is in it.
    fn wait_for_metric(&self, line: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.get("/metrics").text();
            if text.lines().any(|l| l == line) {
                return;
            }
            assert!(Instant::now() < deadline, "never saw {line:?} in\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls the collected stderr until `pred` holds for it.
    fn wait_for_stderr(&self, what: &str, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !pred(&self.stderr()) {
            assert!(
                Instant::now() < deadline,
                "never saw {what} in\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        let ok = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for the process to end; (exit code, the rest of stdout).
    fn wait(mut self) -> (Option<i32>, String) {
        let mut out = String::new();
        self.stdout.read_to_string(&mut out).unwrap();
        let status = self.child.wait().unwrap();
        (status.code(), out)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.text()))
    }
}

/// Reads one response to EOF (the request asked `Connection: close`).
fn read_response(s: &mut impl std::io::Read) -> Response {
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    // Until EOF (or, over TLS, the close without close_notify that follows `Connection: close`).
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    parse_response(&raw)
        .unwrap_or_else(|| panic!("no response in {:?}", String::from_utf8_lossy(&raw)))
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

fn buffer_policy(dir: &TempDir) -> String {
    dir.write("fas.yaml", BUFFER_POLICY)
}

/// Asserts the seed review was answered with the Buffer policy's 7 replicas.
fn assert_seed_answer(r: &Response) {
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["response"],
        json!({"uid": "sample-uid", "scale": true, "replicas": 7})
    );
}

/// True when nothing has arrived on `s` and the server has not closed it.
fn still_waiting(s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let waiting = matches!(s.peek(&mut byte), Err(e) if e.kind() == ErrorKind::WouldBlock);
    s.set_nonblocking(false).unwrap();
    waiting
}

#[test]
fn a_stalled_post_body_holds_up_no_other_review() {
    let dir = TempDir::new("servers-stall");
    let w = Proc::webhook(&buffer_policy(&dir), &[]);
    let mut stalled = w.connect();
    stalled
        .write_all(b"POST /scale HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n{")
        .unwrap();
    // The stalled review is in the handler (this scrape is the other request in flight).
    w.wait_for_metric("http_requests_in_flight 2");
    let r = w.request("POST", "/scale", SEED_REVIEW.as_bytes());
    assert_seed_answer(&r);
    assert!(
        still_waiting(&stalled),
        "the stalled client was answered or closed before the other one"
    );
    // The stalled one ends in 408 once the body timeout (10 s) passes.
    let r = read_response(&mut stalled);
    assert_eq!(r.status, 408);
    assert_eq!(
        r.text(),
        r#"{"error":"request body not received within 10000 ms"}"#
    );
}

#[test]
fn a_pipelining_client_that_never_reads_holds_up_no_other_download() {
    let dir = TempDir::new("servers-pipeline");
    // 48 MiB answers: more than the socket buffers can ever hold (4 MiB send + at most 32 MiB
    // receive, the kernel's tcp_wmem/tcp_rmem maxima), so the server is stuck writing the first
    // answer to this client for as long as it does not read.
    // A sparse file: no disk blocks, all zeros when read.
    let len: usize = 48 << 20;
    std::fs::File::create(dir.path("fleet_score.wasm"))
        .unwrap()
        .set_len(len as u64)
        .unwrap();
    let s = Proc::serve(dir.0.to_str().unwrap());
    let mut hog = s.connect();
    let pipelined = "GET /fleet_score.wasm HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100);
    hog.write_all(pipelined.as_bytes()).unwrap();
    let hog_line = format!(
        "{} \"GET /fleet_score.wasm\" 200",
        hog.local_addr().unwrap()
    );
    s.wait_for_stderr("the first pipelined answer", |e| e.contains(&hog_line));
    let r = s.get("/fleet_score.wasm");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/wasm"));
    assert_eq!(r.body.len(), len);
    assert!(
        r.body.iter().all(|&b| b == 0),
        "the download differs from the file"
    );
    // The other client was served while the first answer to the hog was still being written.
    assert_eq!(s.stderr().matches(&hog_line).count(), 1, "{}", s.stderr());
    drop(hog);
}

/// Raises this process's open-file limit for `want` connections (both ends live here and in the
/// server); fewer, with a note, where the hard limit is too low.
fn idle_count(want: u64) -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let n = if limit >= want + 200 {
        want
    } else {
        eprintln!(
            "open-file hard limit {limit}: using {} connections",
            limit - 200
        );
        limit - 200
    };
    usize::try_from(n).unwrap()
}

#[test]
fn two_thousand_idle_connections_leave_the_webhook_answering() {
    let n = idle_count(2000);
    let dir = TempDir::new("servers-idle");
    let w = Proc::webhook(&buffer_policy(&dir), &[]);
    let idle: Vec<_> = (0..n).map(|_| w.connect()).collect();
    // All accepted (not just in the kernel backlog): n idle + this scrape.
    w.wait_for_metric(&format!("http_connections {}", n + 1));
    assert_seed_answer(&w.request("POST", "/scale", SEED_REVIEW.as_bytes()));
    assert_eq!(w.get("/healthz").text(), "ok");
    drop(idle);
    w.wait_for_metric("http_connections 1");
    w.signal("-TERM");
    let (code, out) = w.wait();
    assert_eq!((code, out.as_str()), (Some(0), "stopped\n"));
}

#[test]
fn two_thousand_idle_connections_leave_serve_answering() {
    let n = idle_count(2000);
    let dir = TempDir::new("servers-idle-serve");
    dir.write("g.wasm", b"\0asm\x01\0\0\0");
    let s = Proc::serve(dir.0.to_str().unwrap());
    let idle: Vec<_> = (0..n).map(|_| s.connect()).collect();
    let r = s.get("/g.wasm");
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &b"\0asm\x01\0\0\0"[..])
    );
    assert_eq!(s.get("/healthz").text(), "ok");
    drop(idle);
    s.signal("-TERM");
    let (code, out) = s.wait();
    assert_eq!((code, out.as_str()), (Some(0), "stopped\n"));
}

#[test]
fn sigterm_drains_a_review_in_flight_and_exits_0() {
    let dir = TempDir::new("servers-drain");
    let w = Proc::webhook(&buffer_policy(&dir), &[]);
    let mut c = w.connect();
    write!(
        c,
        "POST /scale HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        SEED_REVIEW.len()
    )
    .unwrap();
    // hyper says 100 Continue when the handler starts reading the body: the review is in flight.
    let mut reader = BufReader::new(c.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "HTTP/1.1 100 Continue\r\n");
    reader.read_line(&mut line).unwrap();
    w.signal("-TERM");
    // The server stops accepting (its listener is closed) ...
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(&w.addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    // ... and still answers the review in flight, then exits 0.
    c.write_all(SEED_REVIEW.as_bytes()).unwrap();
    let r = read_response(&mut reader);
    assert_seed_answer(&r);
    let (code, out) = w.wait();
    assert_eq!((code, out.as_str()), (Some(0), "stopped\n"));
}

#[test]
fn healthz_on_both_servers() {
    let dir = TempDir::new("servers-healthz");
    dir.write("g.wasm", b"\0asm\x01\0\0\0");
    let w = Proc::webhook(&buffer_policy(&dir), &[]);
    let s = Proc::serve(dir.0.to_str().unwrap());
    for p in [&w, &s] {
        let r = p.get("/healthz");
        assert_eq!((r.status, r.text().as_str()), (200, "ok"));
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    }
    let r = w.request("POST", "/healthz", b"{}");
    assert_eq!(r.status, 405);
    assert_eq!(r.text(), r#"{"error":"use GET or HEAD"}"#);
    assert_eq!(s.request("POST", "/healthz", b"").status, 405);
}

#[test]
fn metrics_count_reviews_by_outcome_and_fleet_replicas() {
    let dir = TempDir::new("servers-metrics");
    let w = Proc::webhook(&buffer_policy(&dir), &[]);
    assert_seed_answer(&w.request("POST", "/scale", SEED_REVIEW.as_bytes()));
    // At 7 replicas with 2 allocated, the buffer of 5 is met: unchanged.
    let steady = SEED_REVIEW.replace(r#""replicas":5"#, r#""replicas":7"#);
    let r = w.request("POST", "/scale", steady.as_bytes());
    assert_eq!(r.json()["response"]["scale"], json!(false));
    let other = SEED_REVIEW
        .replace("sample-fleet", "other")
        .replace(r#""replicas":5"#, r#""replicas":30"#)
        .replace(r#""allocatedReplicas":2"#, r#""allocatedReplicas":10"#)
        .replace(r#""namespace":"default""#, r#""namespace":"games""#);
    assert_eq!(
        w.request("POST", "/scale", other.as_bytes()).json()["response"]["replicas"],
        json!(15)
    );
    assert_eq!(w.request("POST", "/scale", b"not json").status, 400);
    let r = w.get("/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let text = r.text();
    let lines: Vec<&str> = text.lines().collect();
    for want in [
        "# TYPE autoscaler_reviews counter",
        r#"autoscaler_reviews_total{outcome="scale_up"} 1"#,
        r#"autoscaler_reviews_total{outcome="unchanged"} 1"#,
        r#"autoscaler_reviews_total{outcome="scale_down"} 1"#,
        r#"autoscaler_reviews_total{outcome="bad_request"} 1"#,
        "# TYPE autoscaler_review_duration_seconds histogram",
        "autoscaler_review_duration_seconds_count 4",
        r#"autoscaler_review_duration_seconds_bucket{le="+Inf"} 4"#,
        r#"autoscaler_fleet_desired_replicas{namespace="default",fleet="sample-fleet"} 7"#,
        r#"autoscaler_fleet_current_replicas{namespace="default",fleet="sample-fleet"} 7"#,
        r#"autoscaler_fleet_desired_replicas{namespace="games",fleet="other"} 15"#,
        r#"autoscaler_fleet_current_replicas{namespace="games",fleet="other"} 30"#,
        r#"http_requests_total{method="POST",code="200"} 3"#,
        r#"http_requests_total{method="POST",code="400"} 1"#,
        "# EOF",
    ] {
        assert!(lines.contains(&want), "no {want:?} in\n{text}");
    }
    assert!(
        !text.contains(r#"{outcome="policy_error"}"#),
        "no 422 was answered: {text}"
    );
    // The decisions are in the request log, one line each.
    let err = w.stderr();
    assert!(
        err.contains("\"POST /scale\" 200 fleet=default/sample-fleet replicas=5 ready=3 reserved=1 allocated=2 -> replicas=7 scale=true uid=sample-uid ("),
        "{err}"
    );
}

#[test]
fn metrics_count_policy_errors() {
    let dir = TempDir::new("servers-metrics-422");
    // A Counter policy needs the fleet's counter, which a review does not carry.
    let policy = dir.write(
        "fas.yaml",
        "spec:\n  fleetName: f\n  policy:\n    type: Counter\n    counter:\n      key: rooms\n      bufferSize: 5\n      maxCapacity: 100\n",
    );
    let w = Proc::webhook(&policy, &[]);
    let r = w.request("POST", "/scale", SEED_REVIEW.as_bytes());
    assert_eq!(r.status, 422, "{}", r.text());
    let text = w.get("/metrics").text();
    assert!(
        text.lines()
            .any(|l| l == r#"autoscaler_reviews_total{outcome="policy_error"} 1"#),
        "{text}"
    );
}

#[test]
fn https_with_a_generated_certificate() {
    let dir = TempDir::new("servers-tls");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_file = dir.write("tls.crt", cert.cert.pem());
    let key_file = dir.write("tls.key", cert.signing_key.serialize_pem());
    let w = Proc::webhook(
        &buffer_policy(&dir),
        &["--tls-cert", &cert_file, "--tls-key", &key_file],
    );
    assert_eq!(w.scheme, "https");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, w.connect());
    write!(
        tls,
        "POST /scale HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{SEED_REVIEW}",
        SEED_REVIEW.len()
    )
    .unwrap();
    assert_seed_answer(&read_response(&mut tls));

    // A key that is not there: refused before listening, naming the file.
    let o = run(&[
        "autoscale",
        "webhook",
        "--addr",
        "127.0.0.1:0",
        "--policy",
        &buffer_policy(&dir),
        "--tls-cert",
        &cert_file,
        "--tls-key",
        "no/such.key",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "simulator: error: TLS key no/such.key: No such file or directory (os error 2)\n"
    );
    // One without the other is a usage error.
    let o = run(&[
        "autoscale",
        "webhook",
        "--policy",
        &buffer_policy(&dir),
        "--tls-cert",
        &cert_file,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--tls-key <FILE>"), "{}", stderr(&o));
}

#[test]
fn the_webhook_refuses_to_start_with_a_policy_it_can_never_apply() {
    let dir = TempDir::new("servers-refuse");
    let cases = [
        (
            "nope.yaml",
            "spec:\n  fleetName: f\n  policy:\n    type: Nope\n",
            "invalid FleetAutoscaler: spec.policy.type: Invalid value: \"Nope\": not a policy type: one of Buffer, Counter, List, Schedule or Chain",
        ),
        (
            "pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n",
            "kind is \"Pod\", not \"FleetAutoscaler\"",
        ),
        (
            "webhook.yaml",
            "spec:\n  fleetName: f\n  policy:\n    type: Webhook\n    webhook:\n      url: https://autoscaler.example/scale\n",
            "invalid FleetAutoscaler: spec.policy.type: Invalid value: \"Webhook\": a Webhook policy asks another webhook, which this one cannot do: give the policy that webhook applies",
        ),
        (
            "chain.yaml",
            "spec:\n  fleetName: f\n  policy:\n    type: Chain\n    chain: []\n",
            "invalid FleetAutoscaler: spec.policy.chain: Required value: a Chain policy needs at least one entry",
        ),
        (
            "empty.yaml",
            "spec:\n  fleetName: f\n",
            "invalid FleetAutoscaler: spec.policy.type: Required value: the policy type is missing: one of Buffer, Counter, List, Schedule or Chain",
        ),
    ];
    for (file, text, message) in cases {
        let f = dir.write(file, text);
        let o = run(&[
            "autoscale",
            "webhook",
            "--policy",
            &f,
            "--addr",
            "127.0.0.1:0",
        ]);
        assert_eq!(o.status.code(), Some(1), "{file}");
        assert_eq!(stdout(&o), "", "{file}: it started listening");
        assert_eq!(stderr(&o), format!("simulator: error: {f}: {message}\n"));
    }
    // The paths the server answers itself cannot be the review path.
    let o = run(&[
        "autoscale",
        "webhook",
        "--policy",
        &buffer_policy(&dir),
        "--path",
        "/metrics",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "simulator: error: --path /metrics: the server answers that path itself (GET /healthz, GET /metrics)\n"
    );
}

#[test]
fn oversized_heads_and_targets_are_refused() {
    let dir = TempDir::new("servers-limits");
    let w = Proc::webhook(&buffer_policy(&dir), &[]);
    // A head that never ends (1 MiB of one header; the cap is 32 KiB): 431 once the cap is
    // reached, without waiting for the rest.
    let mut s = w.connect();
    let mut writer = s.try_clone().unwrap();
    let flood = std::thread::spawn(move || {
        let _ = writer.write_all(b"POST /scale HTTP/1.1\r\nHost: x\r\nX-Flood: ");
        for _ in 0..16 {
            if writer.write_all(&[b'a'; 64 * 1024]).is_err() {
                break;
            }
        }
    });
    let r = read_response(&mut s);
    assert_eq!(r.status, 431);
    flood.join().unwrap();
    // A 9 KiB target (the cap is 8 KiB): 414, in the webhook's JSON.
    let long = format!("/scale?{}", "q".repeat(9 * 1024));
    let r = w.request("POST", &long, SEED_REVIEW.as_bytes());
    assert_eq!(r.status, 414);
    assert_eq!(
        r.text(),
        r#"{"error":"request target is longer than 8192 bytes"}"#
    );
    assert_seed_answer(&w.request("POST", "/scale", SEED_REVIEW.as_bytes()));
}
