//! `simulator serve` over loopback: content type, HEAD, 404/405, traversal refused, Ctrl-C, and
//! `simulator run` loading a guest from it over `http://`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod cli_support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use cli_support::*;
use serde_json::json;

/// A running `simulator serve`, killed on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(dir: &str) -> Server {
        let mut child = simulator()
            .args(["serve", "--dir", dir, "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        // "serving DIR on http://127.0.0.1:PORT/ (Ctrl-C to stop)"
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        Server { child, addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends `METHOD TARGET` as written (no normalisation); returns (status, headers, body).
    fn raw(&self, method: &str, target: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        write!(
            s,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp);
        let split = resp
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        let head = String::from_utf8_lossy(&resp[..split]).into_owned();
        let body = resp[split + 4..].to_vec();
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        (status, headers, body)
    }

    /// Sends SIGINT (Ctrl-C) and returns (exit code, stdout rest, stderr).
    fn interrupt(mut self) -> (Option<i32>, String, String) {
        let pid = self.child.id().to_string();
        let ok = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap();
        assert!(ok.success());
        let mut out = String::new();
        let mut err = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = self.child.wait().unwrap();
        (status.code(), out, err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn serves_wasm_with_its_content_type() {
    let wasm = require_guest("regex_v1");
    let bytes = std::fs::read(&wasm).unwrap();
    let server = Server::start("static");
    let (status, headers, body) = server.raw("GET", "/regex_v1.wasm");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("application/wasm"));
    assert_eq!(body, bytes);
    let (status, headers, body) = server.raw("HEAD", "/regex_v1.wasm");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("application/wasm"));
    assert_eq!(
        header(&headers, "content-length"),
        Some(bytes.len().to_string().as_str())
    );
    assert!(body.is_empty());
    assert_eq!(server.raw("GET", "/nope.wasm").0, 404);
    assert_eq!(server.raw("GET", "/").0, 404);
    let (status, headers, _) = server.raw("POST", "/regex_v1.wasm");
    assert_eq!(status, 405);
    assert_eq!(header(&headers, "allow"), Some("GET, HEAD"));

    let (code, out, err) = server.interrupt();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "stopped\n");
    assert!(err.contains("\"GET /regex_v1.wasm\" 200 "), "{err}");
    assert!(err.contains("\"GET /nope.wasm\" 404"), "{err}");
}

#[test]
fn refuses_paths_out_of_the_directory() {
    let outside = TempDir::new("outside");
    outside.write("secret.txt", "secret\n");
    let served = TempDir::new("served");
    served.write("guest.wasm", b"\0asm\x01\0\0\0");
    std::os::unix::fs::symlink(outside.path("secret.txt"), served.path("link.txt")).unwrap();
    std::os::unix::fs::symlink(&outside.0, served.path("linkdir")).unwrap();
    let server = Server::start(served.0.to_str().unwrap());
    assert_eq!(server.raw("GET", "/guest.wasm").0, 200);
    for target in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/sub/..%2f..%2fsecret.txt",
        "//etc/passwd",
        "/link.txt",
        "/linkdir/secret.txt",
        "/./guest.wasm",
    ] {
        let (status, _, body) = server.raw("GET", target);
        assert_eq!(status, 403, "{target}: {}", String::from_utf8_lossy(&body));
        assert!(
            !String::from_utf8_lossy(&body).contains("secret\n"),
            "{target}"
        );
    }
    let (_, _, err) = server.interrupt();
    assert!(
        err.contains("\"GET /../secret.txt\" 403 refused: path traversal"),
        "{err}"
    );
    assert!(
        err.contains("\"GET /link.txt\" 403 refused: outside the served directory"),
        "{err}"
    );
}

#[test]
fn run_loads_guests_over_http() {
    require_guest("regex_v1");
    let server = Server::start("static");
    let dir = TempDir::new("http");
    let nodes = [node("node-default"), node("kubecon-1"), node("kubecon-2")];
    let pods = [pod("pod-kubecon", &[(REGEX, "kubecon-.*")])];
    let args = json!({"guestURL": server.url("/regex_v1.wasm")});
    let s = dir.write(
        "s.json",
        scenario(
            &nodes,
            &pods,
            Some(config(&[("WasmRegexScheduling", 0, args)])),
        ),
    );
    let o = run(&["run", &s, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (pods, summary) = json_lines(&o);
    assert_eq!(
        placements(&pods),
        [("default/pod-kubecon".to_string(), "kubecon-1".to_string())]
    );
    assert_eq!(summary["scheduled"], 1);

    // 404 from the server: a load error naming the URL.
    let missing = server.url("/missing.wasm");
    let s = dir.write(
        "missing.json",
        scenario(
            &nodes,
            &[],
            Some(config(&[(
                "WasmRegexScheduling",
                0,
                json!({"guestURL": missing}),
            )])),
        ),
    );
    let o = run(&["run", &s]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "simulator: error: {s} (schedulerConfig): plugin \"WasmRegexScheduling\" (guestURL \"{missing}\"): wasm: error reading guestURL {missing}: received 404 status code from \"{missing}\"\n"
        )
    );
    let (_, _, err) = server.interrupt();
    assert!(err.contains("\"GET /regex_v1.wasm\" 200 "), "{err}");
}
