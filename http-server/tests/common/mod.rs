//! Test support: a server in its own runtime thread, raw HTTP/1.1 over std sockets.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use http_server::axum::Router;
use http_server::{Config, Metrics, Server};

/// Generous deadline for anything that must "eventually" happen (never a speed assertion).
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A server running in its own 2-thread runtime until dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), http_server::Error>>>,
}

impl TestServer {
    pub fn start(config: Config, router: Router) -> TestServer {
        Self::start_with(config, router, Some(Metrics::new()))
    }

    pub fn start_with(config: Config, router: Router, metrics: Option<Metrics>) -> TestServer {
        let mut server = Server::bind(Config {
            addr: "127.0.0.1:0".into(),
            ..config
        })
        .unwrap();
        if let Some(m) = metrics {
            server = server.with_metrics(m);
        }
        let addr = server.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(server.serve(router, async {
                let _ = rx.await;
            }))
        });
        TestServer {
            addr,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        s.set_write_timeout(Some(PATIENCE)).unwrap();
        s
    }

    /// One request on a fresh connection (`Connection: close`); the whole response.
    pub fn request(&self, method: &str, target: &str, body: &[u8]) -> Response {
        let mut s = self.connect();
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        read_response(&mut s)
    }

    pub fn get(&self, target: &str) -> Response {
        self.request("GET", target, b"")
    }

    /// Polls `/metrics` until `line` (a whole sample line) is in it.
    pub fn wait_for_metric(&self, line: &str) {
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

    /// Stops the server and waits for `serve` to return.
    pub fn stop(mut self) -> Result<(), http_server::Error> {
        let _ = self.stop.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response to EOF (the request asked `Connection: close`).
pub fn read_response(s: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_response(&raw)
        .unwrap_or_else(|| panic!("no response in {:?}", String::from_utf8_lossy(&raw)))
}

pub fn parse_response(raw: &[u8]) -> Option<Response> {
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

/// A unique scratch directory, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "http-server-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
