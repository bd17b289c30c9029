//! The check behind Agones' `no certs were appended from caBundle` / `CA Bundle is not valid`: Go's
//! `CertPool.AppendCertsFromPEM` succeeds when at least one `CERTIFICATE` PEM block (without
//! headers) holds a parseable certificate. This crate checks the block and the certificate's DER
//! framing (SEQUENCE of tbsCertificate SEQUENCE, algorithm SEQUENCE, signature BIT STRING); it does
//! not verify the certificate's contents. See RATIONALE.md.

use base64::Engine as _;

/// Whether `bundle` holds at least one PEM `CERTIFICATE` block with certificate-shaped DER.
pub fn has_certificate(bundle: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bundle);
    let mut rest: &str = &text;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let Some(end) = after.find(END) else {
            return false;
        };
        let body = &after[..end];
        rest = &after[end + END.len()..];
        if body.lines().any(|l| l.contains(':')) {
            continue;
        }
        let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()) else {
            continue;
        };
        if der_is_certificate(&der) {
            return true;
        }
    }
    false
}

/// Reads one DER TLV at the start of `b`: (tag, content, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    if end > b.len() {
        return None;
    }
    Some((tag, &b[header..end], &b[end..]))
}

fn der_is_certificate(der: &[u8]) -> bool {
    let Some((0x30, cert, rest)) = tlv(der) else {
        return false;
    };
    if !rest.is_empty() {
        return false;
    }
    let Some((0x30, _tbs, r1)) = tlv(cert) else {
        return false;
    };
    let Some((0x30, _alg, r2)) = tlv(r1) else {
        return false;
    };
    matches!(tlv(r2), Some((0x03, _, r3)) if r3.is_empty())
}

/// A self-signed test certificate (generated for this crate's tests; no private key kept).
pub const TEST_CERT_PEM: &str = include_str!("test_cert.pem");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage() {
        assert!(!has_certificate(b"invalid-value"));
        assert!(!has_certificate(b""));
        assert!(!has_certificate(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        ));
    }

    #[test]
    fn accepts_a_certificate() {
        assert!(has_certificate(crate::pem::TEST_CERT_PEM.as_bytes()));
    }
}
