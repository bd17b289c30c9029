//! TLS from PEM files (rustls with the `ring` provider), with errors that name the file.

use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;

use crate::{Error, TlsFiles};

/// Loads the certificate chain and key; HTTP/1.1 is offered by ALPN.
pub(crate) fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, Error> {
    let cert_name = files.cert.display();
    let key_name = files.key.display();
    let cert_bytes = std::fs::read(&files.cert)
        .map_err(|e| Error::new(format!("TLS certificate {cert_name}: {e}")))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| Error::new(format!("TLS certificate {cert_name}: bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::new(format!(
            "TLS certificate {cert_name}: no \"BEGIN CERTIFICATE\" block"
        )));
    }
    let key_bytes =
        std::fs::read(&files.key).map_err(|e| Error::new(format!("TLS key {key_name}: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| {
        Error::new(format!(
            "TLS key {key_name}: no usable private key (PKCS#8, PKCS#1 or SEC1 PEM): {e}"
        ))
    })?;
    let provider = Arc::new(ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            Error::new(format!(
                "TLS certificate {cert_name} with key {key_name}: {e}"
            ))
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
