//! A tiny server on this crate, used by the tests (SIGTERM drain, EMFILE survival) and handy to
//! try the limits by hand:
//!
//! ```text
//! cargo run -p http-server --example demo_server -- [--addr 127.0.0.1:0] [--nofile N]
//!     [--max-connections N] [--grace-ms N] [--tls-cert FILE --tls-key FILE] [--dir DIR]
//! ```
//!
//! Routes: `GET /slow?ms=N` answers `slept N ms` after N ms; `POST /echo` answers the body's
//! length; `GET /named/{name}` puts the (decoded) name in its log line; `/healthz`, `/metrics`;
//! with `--dir`, every other path is a file of DIR (`static_dir`). Prints `listening on URL` once bound and `stopped` after a
//! graceful shutdown (SIGINT/SIGTERM).

use std::process::ExitCode;
use std::time::Duration;

use http_server::axum::Router;
use http_server::axum::body::Bytes;
use http_server::axum::extract::{Path, Query};
use http_server::axum::response::IntoResponse as _;
use http_server::axum::routing::{get, post};
use http_server::{Config, LogNote, Metrics, Server, TlsFiles};

#[derive(serde::Deserialize)]
struct Slow {
    ms: u64,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo_server: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut config = Config {
        addr: "127.0.0.1:0".into(),
        ..Config::default()
    };
    let (mut cert, mut key, mut dir) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let num = || {
            value
                .parse::<u64>()
                .map_err(|e| format!("{flag} {value}: {e}"))
        };
        match flag.as_str() {
            "--addr" => config.addr = value.clone(),
            "--nofile" => {
                let n = num()?;
                rlimit::setrlimit(rlimit::Resource::NOFILE, n, n)
                    .map_err(|e| format!("--nofile {n}: {e}"))?;
                config.raise_nofile_limit = false;
            }
            "--max-connections" => {
                config.max_connections = usize::try_from(num()?).map_err(|e| e.to_string())?;
            }
            "--grace-ms" => config.shutdown_grace = Duration::from_millis(num()?),
            "--tls-cert" => cert = Some(value.clone().into()),
            "--tls-key" => key = Some(value.clone().into()),
            "--dir" => dir = Some(value.clone()),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    config.tls = match (cert, key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let router = Router::new()
        .route(
            "/slow",
            get(|Query(q): Query<Slow>| async move {
                tokio::time::sleep(Duration::from_millis(q.ms)).await;
                format!("slept {} ms", q.ms)
            }),
        )
        .route(
            "/named/{name}",
            get(|Path(name): Path<String>| async move {
                let mut r = "named".into_response();
                r.extensions_mut().insert(LogNote(format!("name={name}")));
                r
            }),
        )
        .route(
            "/echo",
            post(|body: Bytes| async move { format!("{} bytes", body.len()) }),
        );
    let router = match dir {
        Some(d) => router.merge(http_server::static_dir(d).map_err(|e| e.to_string())?),
        None => router,
    };
    let server = Server::bind(config)
        .map_err(|e| e.to_string())?
        .with_metrics(Metrics::new());
    let scheme = if server.is_tls() { "https" } else { "http" };
    println!("listening on {scheme}://{}", server.local_addr());
    server.run(router).map_err(|e| e.to_string())?;
    println!("stopped");
    Ok(())
}
