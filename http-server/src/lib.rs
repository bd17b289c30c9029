//! The project's HTTP server: one hardened HTTP/1.1 stack (hyper 1 + axum 0.8 on tokio, optional
//! rustls TLS) for `simulator serve`, `simulator autoscale webhook` and `fleet-context`.
//!
//! What it adds around an [`axum::Router`]:
//! - every connection is its own task, so a stalled or slow client affects no other;
//! - limits: header bytes (431), URI bytes (414), body bytes (413) and body-read time (408), per
//!   route overridable with [`body_limits`]; a write timeout for clients that stop reading;
//! - a connection cap with back-pressure (no `accept` while at the cap), accept errors such as
//!   `EMFILE` survived with back-off;
//! - graceful shutdown: stop accepting, drain in-flight requests for at most
//!   [`Config::shutdown_grace`], then return `Ok(())` (see [`shutdown_signal`]);
//! - `GET /healthz` (200 `ok`), optional `GET /metrics` ([`Metrics`]), one log line per request on
//!   stderr with control characters escaped ([`escape`]);
//! - [`static_dir`]: GET/HEAD of the files in one directory, nothing outside it.
//!
//! Defaults and why are in the crate's RATIONALE.md.
//!
//! # Example
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use http_server::{Config, Metrics, Server, body_limits};
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), http_server::Error> {
//! let metrics = Metrics::new();
//! let router = Router::new().route(
//!     "/scale",
//!     post(|body: axum::body::Bytes| async move { format!("{} bytes", body.len()) })
//!         // this route accepts 1 MiB bodies that arrive within 5 s
//!         .layer(body_limits(1 << 20, Duration::from_secs(5))),
//! );
//! let config = Config { addr: "127.0.0.1:8080".into(), ..Config::default() };
//! let server = Server::bind(config)?.with_metrics(metrics);
//! println!("listening on {}", server.local_addr());
//! server.run(router)?; // until SIGINT/SIGTERM, then drains
//! println!("stopped");
//! # Ok(())
//! # }
//! ```

mod body;
mod config;
mod io;
mod log;
mod metrics;
mod server;
mod static_dir;
mod tls;

pub use body::{BodyLimits, BodyLimitsService, body_limits};
pub use config::{Config, ErrorFormat, TlsFiles};
pub use log::{LogNote, escape, escape_controls};
pub use metrics::{CONTENT_TYPE as METRICS_CONTENT_TYPE, Metrics};
pub use server::{Server, serve, shutdown_signal};
pub use static_dir::static_dir;

/// Re-exported so callers build routers with the same axum version.
pub use axum;
/// Re-exported so callers register metric families with the same prometheus-client version.
pub use prometheus_client;

/// Why the server could not start (bind, TLS files, configuration) or stopped with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Error(msg.into())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}
