//! What `serve` and `autoscale webhook` share: the project's HTTP server (`http-server`: every
//! connection its own task, header/body timeouts and size limits, a connection cap, `/healthz`,
//! a drain on SIGINT/SIGTERM), bound with a warning for non-loopback addresses.

use std::process::ExitCode;

use http_server::axum::Router;
use http_server::{Config, Server};

use super::CliError;

/// Binds `config` (and loads its TLS files), warning when the address is reachable from other
/// machines. Every error of a bad flag comes from here, before anything is served.
pub fn bind(config: Config, what: &str) -> Result<Server, CliError> {
    let server = Server::bind(config).map_err(|e| CliError(e.to_string()))?;
    let bound = server.local_addr();
    if !bound.ip().is_loopback() {
        eprintln!(
            "simulator: warning: {what} listens on {bound}, which is reachable from other machines"
        );
    }
    Ok(server)
}

/// `http` or `https`, for the URL printed at start.
pub fn scheme(server: &Server) -> &'static str {
    if server.is_tls() { "https" } else { "http" }
}

/// Serves `router` until SIGINT or SIGTERM, drains in-flight requests (at most 10 s), prints
/// `stopped` and exits 0.
pub fn run(server: Server, router: Router) -> Result<ExitCode, CliError> {
    server.run(router).map_err(|e| CliError(e.to_string()))?;
    println!("stopped");
    Ok(ExitCode::SUCCESS)
}
