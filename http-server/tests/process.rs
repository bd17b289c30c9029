//! The `demo_server` example as a real process: SIGTERM drains in-flight requests and exits 0,
//! and running out of file descriptors (EMFILE) does not end the server.
//!
//! Needs the examples built, which `cargo test -p http-server` does (a `--test process` filter
//! alone does not: build them first with `cargo build -p http-server --examples`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// A running `demo_server`, killed on drop; its stderr collected as it comes.
struct Demo {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
}

fn demo_path() -> PathBuf {
    // target/<profile>/deps/process-HASH -> target/<profile>/examples/demo_server
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|p| p.parent())
        .unwrap()
        .join("examples/demo_server");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p http-server --examples`",
        path.display()
    );
    path
}

impl Demo {
    fn start(args: &[&str]) -> Demo {
        let mut child = Command::new(demo_path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line {line:?}"))
            .to_string();
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
        Demo {
            child,
            addr,
            stderr,
        }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        s
    }

    fn get(&self, target: &str) -> Response {
        let mut s = self.connect();
        write!(
            s,
            "GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        read_response(&mut s)
    }

    fn wait_for_stderr(&self, needle: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.stderr.lock().unwrap().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "never saw {needle:?} in stderr:\n{}",
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for the exit; (code, rest of stdout).
    fn wait(mut self) -> (Option<i32>, String) {
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let status = self.child.wait().unwrap();
        (status.code(), out)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sigterm_drains_the_request_in_flight_and_exits_0() {
    let demo = Demo::start(&["--addr", "127.0.0.1:0"]);
    let mut slow = demo.connect();
    slow.write_all(b"GET /slow?ms=1500 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    // Wait until the slow request is being answered (it and the probe are in flight).
    let deadline = Instant::now() + PATIENCE;
    while !demo
        .get("/metrics")
        .text()
        .lines()
        .any(|l| l == "http_requests_in_flight 2")
    {
        assert!(Instant::now() < deadline, "the slow request never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    demo.signal("-TERM");
    let r = read_response(&mut slow);
    assert_eq!((r.status, r.text().as_str()), (200, "slept 1500 ms"));
    let stderr = Arc::clone(&demo.stderr);
    let (code, out) = demo.wait();
    assert_eq!(code, Some(0), "{}", stderr.lock().unwrap());
    assert_eq!(out, "stopped\n");
    assert!(
        stderr
            .lock()
            .unwrap()
            .contains("\"GET /slow?ms=1500\" 200 "),
        "{}",
        stderr.lock().unwrap()
    );
}

#[test]
fn sigint_with_nothing_in_flight_exits_0_at_once() {
    let demo = Demo::start(&["--addr", "127.0.0.1:0"]);
    assert_eq!(demo.get("/healthz").text(), "ok");
    demo.signal("-INT");
    let (code, out) = demo.wait();
    assert_eq!((code, out.as_str()), (Some(0), "stopped\n"));
}

#[test]
fn running_out_of_file_descriptors_is_survived() {
    // 40 descriptors: stdio, the runtime's and the listener leave room for ~30 connections;
    // the cap (1000) is far above, so accept itself fails with EMFILE.
    let demo = Demo::start(&["--nofile", "40", "--max-connections", "1000"]);
    let held: Vec<TcpStream> = (0..60).map(|_| demo.connect()).collect();
    demo.wait_for_stderr("accept failed: Too many open files (os error 24); retrying in ");
    drop(held);
    // Descriptors are back: the server answers again (after its back-off, at most 1 s).
    let r = demo.get("/healthz");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    demo.signal("-TERM");
    let (code, out) = demo.wait();
    assert_eq!((code, out.as_str()), (Some(0), "stopped\n"));
}

#[test]
fn client_text_in_log_lines_is_escaped() {
    let demo = Demo::start(&["--addr", "127.0.0.1:0"]);
    // A name that would clear the screen and forge a second line if printed raw.
    let r = demo.get("/named/%1b[2J%0d%0aPod%20default%2ffake:%20scheduled");
    assert_eq!((r.status, r.text().as_str()), (200, "named"));
    demo.wait_for_stderr("name=\\u{1b}[2J\\r\\nPod default/fake: scheduled (");
    let log = demo.stderr.lock().unwrap().clone();
    assert!(!log.contains('\u{1b}') && !log.contains('\r'), "{log:?}");
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("/named/")).collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(
        lines[0].contains("\"GET /named/%1b[2J%0d%0aPod%20default%2ffake:%20scheduled\" 200 name="),
        "{log}"
    );
}
