//! Binding, the accept loop (connection cap, back-off), connections, and graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use crate::body::{LimitedBody, Limits, Outcome};
use crate::io::WriteTimeout;
use crate::log::{LogNote, line};
use crate::{Config, Error, ErrorFormat, Metrics, metrics, tls};

/// A bound listener, ready to [`serve`](Server::serve) a router.
pub struct Server {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    config: Config,
    tls: Option<TlsAcceptor>,
    metrics: Option<Metrics>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("tls", &self.tls.is_some())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What every connection task reads.
struct Shared {
    router: Router,
    config: Config,
    metrics: Option<Metrics>,
    tls: Option<TlsAcceptor>,
    http1: hyper::server::conn::http1::Builder,
}

impl Server {
    /// Checks `config`, loads the TLS files if any, and binds the address, so every error of a
    /// bad flag comes before the server says it is listening.
    pub fn bind(config: Config) -> Result<Server, Error> {
        check(&config)?;
        let tls = match &config.tls {
            Some(files) => Some(TlsAcceptor::from(tls::server_config(files)?)),
            None => None,
        };
        let addrs: Vec<SocketAddr> = config
            .addr
            .to_socket_addrs()
            .map_err(|e| Error::new(format!("cannot listen on {}: {e}", config.addr)))?
            .collect();
        let listener = std::net::TcpListener::bind(&addrs[..])
            .map_err(|e| Error::new(format!("cannot listen on {}: {e}", config.addr)))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::new(format!("{}: {e}", config.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::new(format!("{}: {e}", config.addr)))?;
        if config.raise_nofile_limit {
            // Best effort, as Go does at start: the soft limit up to the hard one.
            let _ = rlimit::increase_nofile_limit(u64::MAX);
        }
        if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE)
            && (config.max_connections as u64).saturating_add(64) > soft
        {
            eprintln!(
                "warning: max connections {} is above the open-file limit {soft}: past it, accept \
                 fails (EMFILE) and the server backs off until connections close",
                config.max_connections
            );
        }
        Ok(Server {
            listener,
            addr,
            config,
            tls,
            metrics: None,
        })
    }

    /// The bound address (the real port when the configured one was 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether the server speaks HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves `metrics` as `GET /metrics` and counts every request in it.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Serves `router` until `shutdown` completes, then stops accepting, lets in-flight requests
    /// finish for at most [`Config::shutdown_grace`], closes what is left and returns `Ok(())`.
    /// Accept errors never end it. Must run inside a tokio runtime with time and IO enabled.
    pub async fn serve(
        self,
        router: Router,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let listener = TcpListener::from_std(self.listener)
            .map_err(|e| Error::new(format!("{}: {e}", self.addr)))?;
        let mut http1 = hyper::server::conn::http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(self.config.header_read_timeout)
            .max_buf_size(self.config.max_header_bytes)
            .max_headers(self.config.max_headers)
            .keep_alive(true);
        let grace = self.config.shutdown_grace;
        let log = self.config.log_requests;
        let shared = Arc::new(Shared {
            router: router.layer(DefaultBodyLimit::disable()),
            metrics: self.metrics,
            tls: self.tls,
            http1,
            config: self.config,
        });
        let slots = Arc::new(Semaphore::new(shared.config.max_connections));
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let mut backoff = Backoff::default();
        tokio::pin!(shutdown);
        loop {
            // At the cap, wait for a slot before accepting: the kernel backlog holds the rest.
            let permit = tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(_) = tasks.join_next() => continue,
                p = Arc::clone(&slots).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break, // never closed
                },
            };
            let (stream, peer) = tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(_) = tasks.join_next() => continue,
                r = listener.accept() => match r {
                    Ok(conn) => {
                        backoff.reset();
                        conn
                    }
                    Err(e) if per_connection(&e) => continue,
                    Err(e) => {
                        let delay = backoff.next_delay();
                        eprintln!("accept failed: {e}; retrying in {} ms", delay.as_millis());
                        drop(permit);
                        tokio::select! {
                            () = &mut shutdown => break,
                            () = tokio::time::sleep(delay) => continue,
                        }
                    }
                },
            };
            tasks.spawn(connection(
                stream,
                peer,
                Arc::clone(&shared),
                stop_rx.clone(),
                permit,
            ));
        }
        drop(listener);
        let _ = stop_tx.send(true);
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, drain).await.is_err() {
            if log {
                eprintln!(
                    "shutdown: {} connection(s) still busy after {} ms, closing them",
                    tasks.len(),
                    grace.as_millis()
                );
            }
            tasks.shutdown().await;
        }
        Ok(())
    }

    /// Blocking: builds a multi-threaded tokio runtime and [`serve`](Server::serve)s until
    /// [`shutdown_signal`]. For synchronous callers such as the CLIs.
    pub fn run(self, router: Router) -> Result<(), Error> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(format!("cannot start the tokio runtime: {e}")))?;
        rt.block_on(self.serve(router, shutdown_signal()))
    }
}

/// [`Server::bind`] then [`Server::serve`].
pub async fn serve(
    config: Config,
    router: Router,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    Server::bind(config)?.serve(router, shutdown).await
}

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM (what Kubernetes sends before killing a
/// pod). The handlers are installed at the first poll, which [`Server::serve`] does before it
/// accepts anything.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handling at all: never shut down on our own.
        std::future::pending::<()>().await;
    }
}

fn check(c: &Config) -> Result<(), Error> {
    let bad = |what: &str| Err(Error::new(format!("invalid server configuration: {what}")));
    if c.max_header_bytes < 8192 {
        return bad("max header bytes must be at least 8192");
    }
    if c.max_connections == 0 || c.max_connections > Semaphore::MAX_PERMITS {
        return bad("max connections must be at least 1");
    }
    if c.max_headers == 0 || c.max_uri_bytes == 0 {
        return bad("max headers and max URI bytes must be at least 1");
    }
    for (name, d) in [
        ("header read timeout", c.header_read_timeout),
        ("body read timeout", c.body_read_timeout),
        ("write timeout", c.write_timeout),
        ("request timeout", c.request_timeout),
    ] {
        if d.is_zero() {
            return bad(&format!("{name} must be more than 0"));
        }
    }
    Ok(())
}

/// Accept errors about one connection (it went away before we took it): try the next at once.
/// Everything else (EMFILE, ENFILE, ENOBUFS, ENOMEM) is about the process: back off.
fn per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// Delay after a failed accept: 5 ms, doubling to 1 s; back to 5 ms after a success.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);

    pub(crate) fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        d
    }

    pub(crate) fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: Self::FIRST }
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let _open = shared.metrics.as_ref().map(Metrics::connection);
    let write_timeout = shared.config.write_timeout;
    match shared.tls.clone() {
        None => http(WriteTimeout::new(stream, write_timeout), peer, shared, stop).await,
        Some(acceptor) => {
            let handshake =
                tokio::time::timeout(shared.config.header_read_timeout, acceptor.accept(stream));
            let result = tokio::select! {
                r = handshake => r,
                () = stopped(&mut stop) => return,
            };
            match result {
                Ok(Ok(tls)) => {
                    http(WriteTimeout::new(tls, write_timeout), peer, shared, stop).await
                }
                Ok(Err(e)) => {
                    if shared.config.log_requests {
                        eprintln!(
                            "{peer} TLS handshake failed: {}",
                            crate::escape(&e.to_string())
                        );
                    }
                }
                Err(_) => {} // handshake timed out: like a header timeout, not logged
            }
        }
    }
}

async fn http<I>(io: I, peer: SocketAddr, shared: Arc<Shared>, mut stop: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc_shared = Arc::clone(&shared);
    let svc = hyper::service::service_fn(move |req| handle(Arc::clone(&svc_shared), peer, req));
    let conn = shared.http1.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        () = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            conn.as_mut().await
        }
    };
    if let Err(e) = result
        && shared.config.log_requests
        && !e.is_timeout()
    {
        // Header timeouts are also how idle keep-alive connections end: not worth a line.
        eprintln!(
            "{peer} connection closed: {}",
            crate::escape(&error_chain(&e))
        );
    }
}

/// Completes once shutdown is asked (or the server is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(cause) = src {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        src = cause.source();
    }
    s
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: http::Request<Incoming>,
) -> Result<Response, Infallible> {
    let start = Instant::now();
    let _in_flight = shared.metrics.as_ref().map(Metrics::request);
    let method = req.method().clone();
    let target = req.uri().to_string();
    let resp = respond(&shared, peer, req, target.len()).await;
    let latency = start.elapsed();
    let status = resp.status().as_u16();
    if shared.config.log_requests {
        let note = resp.extensions().get::<LogNote>().map(|n| n.0.as_str());
        eprintln!(
            "{}",
            line(
                &peer.to_string(),
                method.as_str(),
                &target,
                status,
                note,
                latency
            )
        );
    }
    if let Some(m) = &shared.metrics {
        m.observe(method.as_str(), status, latency);
    }
    Ok(resp)
}

async fn respond(
    shared: &Shared,
    peer: SocketAddr,
    req: http::Request<Incoming>,
    target_len: usize,
) -> Response {
    let config = &shared.config;
    if target_len > config.max_uri_bytes {
        return error(
            config.error_format,
            StatusCode::URI_TOO_LONG,
            &format!(
                "request target is longer than {} bytes",
                config.max_uri_bytes
            ),
        );
    }
    let path = req.uri().path();
    if path == "/healthz" || (path == "/metrics" && shared.metrics.is_some()) {
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            let mut r = error(
                config.error_format,
                StatusCode::METHOD_NOT_ALLOWED,
                "use GET or HEAD",
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
        if path == "/healthz" {
            return plain(StatusCode::OK, "ok", "text/plain; charset=utf-8");
        }
        if let Some(m) = &shared.metrics {
            return plain(StatusCode::OK, m.encode(), metrics::CONTENT_TYPE);
        }
    }
    let limits = Limits::new(config.max_body_bytes, config.body_read_timeout);
    let (parts, body) = req.into_parts();
    let mut req = Request::from_parts(
        parts,
        Body::new(LimitedBody::new(body, Arc::clone(&limits))),
    );
    req.extensions_mut().insert(Arc::clone(&limits));
    req.extensions_mut().insert(ConnectInfo(peer));
    let resp = match tokio::time::timeout(
        config.request_timeout,
        shared.router.clone().oneshot(req),
    )
    .await
    {
        Ok(Ok(resp)) => resp,
        Ok(Err(never)) => match never {},
        Err(_) => {
            let mut r = error(
                config.error_format,
                StatusCode::SERVICE_UNAVAILABLE,
                &format!(
                    "the handler did not answer within {} ms",
                    config.request_timeout.as_millis()
                ),
            );
            r.extensions_mut()
                .insert(LogNote("handler timed out".into()));
            return r;
        }
    };
    // Whatever the handler made of a body error, the client learns the real reason.
    let (status, msg) = match limits.outcome() {
        Some(Outcome::TooLarge(n)) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {n} bytes"),
        ),
        Some(Outcome::TimedOut(d)) => (
            StatusCode::REQUEST_TIMEOUT,
            format!("request body not received within {} ms", d.as_millis()),
        ),
        None => return resp,
    };
    if resp.status() == status {
        return resp;
    }
    let mut r = error(config.error_format, status, &msg);
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// An error the server answers itself, in `format`.
fn error(format: ErrorFormat, status: StatusCode, msg: &str) -> Response {
    match format {
        ErrorFormat::Text => text(status, msg),
        ErrorFormat::Json => plain(
            status,
            serde_json::json!({ "error": msg }).to_string(),
            "application/json",
        ),
    }
}

/// `STATUS REASON: msg\n` as text/plain.
pub(crate) fn text(status: StatusCode, msg: &str) -> Response {
    let reason = status.canonical_reason().unwrap_or("").to_ascii_lowercase();
    plain(
        status,
        format!("{} {reason}: {msg}\n", status.as_u16()),
        "text/plain; charset=utf-8",
    )
}

fn plain(status: StatusCode, body: impl Into<Body>, content_type: &'static str) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_second_and_resets() {
        let mut b = Backoff::default();
        let ms: Vec<u128> = (0..10).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(ms, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(5));
    }

    #[test]
    fn accept_errors_are_classified() {
        for kind in [
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::ConnectionReset,
        ] {
            assert!(per_connection(&io::Error::from(kind)));
        }
        // EMFILE (24), ENFILE (23), ENOBUFS (105), ENOMEM (12): back off.
        for errno in [24, 23, 105, 12] {
            assert!(!per_connection(&io::Error::from_raw_os_error(errno)));
        }
    }

    #[test]
    fn bad_config_is_refused() {
        let c = Config {
            max_header_bytes: 100,
            ..Config::default()
        };
        assert_eq!(
            Server::bind(c).unwrap_err().to_string(),
            "invalid server configuration: max header bytes must be at least 8192"
        );
        let c = Config {
            write_timeout: Duration::ZERO,
            ..Config::default()
        };
        assert_eq!(
            Server::bind(c).unwrap_err().to_string(),
            "invalid server configuration: write timeout must be more than 0"
        );
    }
}
