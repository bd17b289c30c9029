//! The `burst-metrics` binary as a process, over a real loopback socket: file mode answers the
//! filter's call, `/healthz` answers, and SIGTERM stops it cleanly (exit 0, "stopped").
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: burst.burst-metrics\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn file_mode_serves_the_filter_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_burst-metrics"))
        .args(["--listen", "127.0.0.1:0", "--hpas", &fixture("hpas.json")])
        .args(["--deployments", &fixture("deployments.json")])
        .args(["--services", &fixture("services.json")])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("burst-metrics: listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_string();

    let answer = get(&addr, "/burstmetrics/services/default/echo");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.ends_with("service=default/echo, current-load=1, target-load=1, max-load=2"),
        "{answer}"
    );
    let health = get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {rest}");
    assert!(rest.ends_with("burst-metrics: stopped\n"), "stderr: {rest}");
}
