//! Server configuration and its defaults (the numbers are explained in RATIONALE.md).

use std::path::PathBuf;
use std::time::Duration;

/// PEM files for TLS: the certificate chain (leaf first) and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// How the server writes the errors it answers itself (408, 413, 414, 503, 405 on `/healthz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorFormat {
    /// `text/plain`: `413 payload too large: request body is larger than N bytes\n`.
    #[default]
    Text,
    /// `application/json`: `{"error":"request body is larger than N bytes"}` (for JSON APIs
    /// such as webhooks).
    Json,
}

/// Everything [`crate::Server::bind`] needs; start from [`Config::default`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub addr: String,
    /// Serve HTTPS with these files instead of plain HTTP.
    pub tls: Option<TlsFiles>,
    /// Most connections open at once; at the cap the server stops accepting (the kernel backlog
    /// holds the rest). Lowered at bind to fit the open-file limit.
    pub max_connections: usize,
    /// Time for a request head to arrive, counted from when the connection starts waiting for it:
    /// this is also the keep-alive idle timeout and the TLS handshake timeout.
    pub header_read_timeout: Duration,
    /// Most bytes of request line + headers (at least 8192, hyper's floor); more is answered 431.
    pub max_header_bytes: usize,
    /// Most header fields in one request; more is answered 431.
    pub max_headers: usize,
    /// Most bytes of the request target; longer is answered 414.
    pub max_uri_bytes: usize,
    /// Default most body bytes per request (413); per route: [`crate::body_limits`].
    pub max_body_bytes: u64,
    /// Default time for the whole body to arrive, from the end of the head (408); per route:
    /// [`crate::body_limits`].
    pub body_read_timeout: Duration,
    /// A response write that makes no progress for this long closes the connection (a client
    /// that sends requests but never reads the answers).
    pub write_timeout: Duration,
    /// Longest a handler may run (503 after it).
    pub request_timeout: Duration,
    /// After shutdown is asked: time in-flight requests get to finish before their connections
    /// are closed.
    pub shutdown_grace: Duration,
    /// One line per request on stderr.
    pub log_requests: bool,
    /// Raise the soft open-file limit to the hard one at bind (as Go does).
    pub raise_nofile_limit: bool,
    /// Text or JSON bodies for the errors the server answers itself.
    pub error_format: ErrorFormat,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: "127.0.0.1:8080".into(),
            tls: None,
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 32 * 1024,
            max_headers: 100,
            max_uri_bytes: 8 * 1024,
            max_body_bytes: 4 * 1024 * 1024,
            body_read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            log_requests: true,
            raise_nofile_limit: true,
            error_format: ErrorFormat::Text,
        }
    }
}
