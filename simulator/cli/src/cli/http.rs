//! What `serve` and `autoscale webhook` share: starting a `tiny_http` server that stops cleanly on
//! Ctrl-C, and small HTTP helpers.

use std::net::SocketAddr;
use std::sync::Arc;

use tiny_http::{Header, Response, Server};

use super::CliError;

/// Binds `addr`, warns when it is not a loopback address, and makes Ctrl-C (SIGINT/SIGTERM)
/// unblock the server so the request loop ends. Returns the server and the bound address.
pub fn start(addr: &str, what: &str) -> Result<(Arc<Server>, SocketAddr), CliError> {
    let server =
        Server::http(addr).map_err(|e| CliError(format!("cannot listen on {addr}: {e}")))?;
    let server = Arc::new(server);
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| CliError(format!("{addr}: not an IP address")))?;
    if !bound.ip().is_loopback() {
        eprintln!(
            "simulator: warning: {what} listens on {bound}, which is reachable from other machines"
        );
    }
    let stopper = Arc::clone(&server);
    ctrlc::set_handler(move || stopper.unblock())
        .map_err(|e| CliError(format!("cannot handle Ctrl-C: {e}")))?;
    Ok((server, bound))
}

/// Adds a header (skipped if it is not valid ASCII, which the literals used here always are).
pub fn with_header<R: std::io::Read>(resp: Response<R>, name: &str, value: &str) -> Response<R> {
    match Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        Ok(h) => resp.with_header(h),
        Err(()) => resp,
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("%2e%2E/a%20b").as_deref(), Some("../a b"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
