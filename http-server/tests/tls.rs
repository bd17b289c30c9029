//! HTTPS with a certificate generated here, and clear errors for bad PEM files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;

use common::*;
use http_server::axum::Router;
use http_server::{Config, Server, TlsFiles};
use tokio_rustls::rustls;

struct Pki {
    dir: TempDir,
    cert_der: Vec<u8>,
}

fn pki() -> Pki {
    let dir = TempDir::new("tls");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.path("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.path("key.pem"), cert.signing_key.serialize_pem()).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["other".to_string()]).unwrap();
    std::fs::write(dir.path("other-key.pem"), other.signing_key.serialize_pem()).unwrap();
    Pki {
        cert_der: cert.cert.der().to_vec(),
        dir,
    }
}

fn files(p: &Pki, cert: &str, key: &str) -> Config {
    Config {
        tls: Some(TlsFiles {
            cert: p.dir.path(cert),
            key: p.dir.path(key),
        }),
        ..Config::default()
    }
}

fn https_get(server: &TestServer, p: &Pki, target: &str) -> Response {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(p.cert_der.clone().into()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, server.connect());
    write!(
        tls,
        "GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    // Until EOF or the close without close_notify that follows `Connection: close`.
    while let Ok(n) = tls.read(&mut buf) {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    parse_response(&raw).unwrap()
}

#[test]
fn https_round_trip_with_a_generated_certificate() {
    let p = pki();
    let server = TestServer::start(files(&p, "cert.pem", "key.pem"), Router::new());
    let r = https_get(&server, &p, "/healthz");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    // A plain-HTTP client gets no answer, and the server goes on.
    let mut plain: TcpStream = server.connect();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut junk = Vec::new();
    let _ = plain.read_to_end(&mut junk);
    assert!(!junk.starts_with(b"HTTP/1.1 200"));
    let r = https_get(&server, &p, "/healthz");
    assert_eq!(r.status, 200);
}

#[test]
fn bad_tls_files_are_named_in_the_error() {
    let p = pki();
    std::fs::write(p.dir.path("junk.pem"), "not a certificate\n").unwrap();
    let dir = p.dir.0.display();
    let err = |cert: &str, key: &str| Server::bind(files(&p, cert, key)).unwrap_err().to_string();
    assert_eq!(
        err("missing.pem", "key.pem"),
        format!("TLS certificate {dir}/missing.pem: No such file or directory (os error 2)")
    );
    assert_eq!(
        err("junk.pem", "key.pem"),
        format!("TLS certificate {dir}/junk.pem: no \"BEGIN CERTIFICATE\" block")
    );
    assert_eq!(
        err("cert.pem", "missing.pem"),
        format!("TLS key {dir}/missing.pem: No such file or directory (os error 2)")
    );
    assert!(
        err("cert.pem", "cert.pem").starts_with(&format!(
            "TLS key {dir}/cert.pem: no usable private key (PKCS#8, PKCS#1 or SEC1 PEM): "
        )),
        "{}",
        err("cert.pem", "cert.pem")
    );
    assert!(
        err("cert.pem", "other-key.pem").starts_with(&format!(
            "TLS certificate {dir}/cert.pem with key {dir}/other-key.pem: "
        )),
        "{}",
        err("cert.pem", "other-key.pem")
    );
}
