//! `simulator autoscale eval` on the conformance vectors and `simulator autoscale webhook` over
//! loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod cli_support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use cli_support::*;
use serde_json::{Value, json};

#[test]
fn eval_all_vectors() {
    let o = run(&["autoscale", "eval", "autoscaling/tests/data/vectors.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        out.lines().last(),
        Some("132 passed, 0 failed, 1 skipped"),
        "{out}"
    );
    assert!(out.starts_with("RESULT "), "{out}");
}

#[test]
fn eval_json_lines() {
    let o = run(&[
        "autoscale",
        "eval",
        "autoscaling/tests/data/vectors.json",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 133);
    assert_eq!(
        lines[0],
        json!({"id": "agones/buffer/Increase replicas", "actual": {"replicas": 60, "limited": false, "error": null}})
    );
    assert_eq!(
        lines.iter().filter(|l| l.get("skipped").is_some()).count(),
        1
    );
}

#[test]
fn eval_failing_vector_exits_1() {
    let text = std::fs::read_to_string(root().join("autoscaling/tests/data/vectors.json")).unwrap();
    let mut vectors: Vec<Value> = serde_json::from_str(&text).unwrap();
    vectors.truncate(1);
    vectors[0]["expected"]["replicas"] = json!(61);
    let dir = TempDir::new("vectors");
    let f = dir.write("v.json", serde_json::to_string(&vectors).unwrap());
    let o = run(&["autoscale", "eval", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o).lines().last(),
        Some("0 passed, 1 failed, 0 skipped")
    );
    let o = run(&["autoscale", "eval", "no/such/vectors.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "simulator: error: no/such/vectors.json: No such file or directory\n"
    );
}

/// A running webhook, killed on drop.
struct Webhook {
    child: Child,
    addr: String,
}

impl Webhook {
    fn start(policy: &str, extra: &[&str]) -> Webhook {
        let mut args = vec![
            "autoscale",
            "webhook",
            "--addr",
            "127.0.0.1:0",
            "--policy",
            policy,
        ];
        args.extend_from_slice(extra);
        let mut child = simulator()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn webhook");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        // "webhook autoscaler (Buffer policy from …) on http://127.0.0.1:PORT/scale (Ctrl-C to stop)"
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let addr = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        Webhook { child, addr }
    }

    /// Sends a raw request; returns (status, content-type, body).
    fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, String, String) {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        )
        .unwrap();
        s.write_all(body).unwrap();
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp);
        let text = String::from_utf8_lossy(&resp).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        let ctype = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-type")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default();
        (status, ctype, body.to_string())
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SEED_REVIEW: &str = r#"{"request":{"uid":"sample-uid","name":"sample-fleet","namespace":"default","status":{"replicas":5,"readyReplicas":3,"reservedReplicas":1,"allocatedReplicas":2}}}"#;

fn buffer_policy(dir: &TempDir) -> String {
    dir.write(
        "fas.yaml",
        "apiVersion: autoscaling.agones.dev/v1\nkind: FleetAutoscaler\nmetadata:\n  name: sample-fleet-autoscaler\nspec:\n  fleetName: sample-fleet\n  policy:\n    type: Buffer\n    buffer:\n      bufferSize: 5\n      minReplicas: 0\n      maxReplicas: 100\n",
    )
}

#[test]
fn webhook_answers_the_seed_review() {
    let dir = TempDir::new("webhook");
    let w = Webhook::start(&buffer_policy(&dir), &[]);
    let (status, ctype, body) = w.request("POST", "/scale", SEED_REVIEW.as_bytes());
    assert_eq!(
        (status, ctype.as_str()),
        (200, "application/json"),
        "{body}"
    );
    let review: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        review["response"],
        json!({"uid": "sample-uid", "scale": true, "replicas": 7})
    );
    assert_eq!(review["request"]["status"]["allocatedReplicas"], json!(2));
}

#[test]
fn webhook_rejects_bad_requests() {
    let dir = TempDir::new("webhook-bad");
    let w = Webhook::start(&buffer_policy(&dir), &["--max-body-bytes", "300"]);
    let (status, ctype, body) = w.request("POST", "/scale", b"not json");
    assert_eq!((status, ctype.as_str()), (400, "application/json"));
    let err: Value = serde_json::from_str(&body).unwrap();
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .starts_with("bad FleetAutoscaleReview: "),
        "{body}"
    );
    let (status, _, body) = w.request("POST", "/scale", br#"{"response":{}}"#);
    assert_eq!(status, 400);
    assert_eq!(
        body,
        r#"{"error":"bad FleetAutoscaleReview: request is missing"}"#
    );
    let (status, _, body) = w.request("GET", "/scale", b"");
    assert_eq!(status, 405);
    assert_eq!(body, r#"{"error":"method not allowed: use POST"}"#);
    let (status, _, body) = w.request("POST", "/scale", &[b' '; 301]);
    assert_eq!(status, 413);
    assert_eq!(body, r#"{"error":"request body is larger than 300 bytes"}"#);
    let (status, _, _) = w.request("POST", "/other", SEED_REVIEW.as_bytes());
    assert_eq!(status, 404);
    // Still answering after the bad requests.
    let (status, _, _) = w.request("POST", "/scale", SEED_REVIEW.as_bytes());
    assert_eq!(status, 200);
}

#[test]
fn webhook_refuses_an_invalid_policy() {
    let dir = TempDir::new("webhook-invalid");
    let f = dir.write(
        "fas.yaml",
        "spec:\n  fleetName: f\n  policy:\n    type: Buffer\n    buffer:\n      bufferSize: 0\n      maxReplicas: 10\n",
    );
    let o = run(&[
        "autoscale",
        "webhook",
        "--policy",
        &f,
        "--addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "simulator: error: {f}: invalid FleetAutoscaler: spec.policy.buffer.bufferSize"
        )),
        "{err}"
    );
}
