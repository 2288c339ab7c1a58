//! TLS settings shared by the vans, the centers and their replication links (rustls with the
//! aws-lc-rs provider, the one reqwest uses by default, so there is one TLS stack in every binary).
//!
//! The batches are already signed and encrypted end to end, so TLS is there for what they leave bare:
//! the van id, batch numbers, sizes and timing on the wire, the dashboard's session cookie, and the
//! signed GETs. A national agency's centers usually present certificates from the agency's own
//! authority; the vans and the peer center are then given that authority's certificate as a PEM
//! file (`authorities` below). Without one, a client trusts the operating system's store.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why a TLS setting could not be used; `what` names the file or setting.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file held no usable item of the kind expected.
    #[error("{what}: {reason}")]
    Pem {
        /// The setting or file.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused the combination (a key that does not match the certificate, say).
    #[error("{what}: {reason}")]
    Config {
        /// The setting or file.
        what: String,
        /// rustls's reason.
        reason: String,
    },
}

/// The cryptography every Qafila TLS endpoint uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Reads every certificate in a PEM document; `what` names it in errors.
pub fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            what: what.into(),
            reason: format!("not a PEM certificate file ({e})"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            what: what.into(),
            reason: "holds no certificate (expected -----BEGIN CERTIFICATE-----)".into(),
        });
    }
    Ok(certs)
}

/// A client configuration that trusts only the given authorities (PEM certificates), with both
/// HTTP/2 and HTTP/1.1 offered.
pub fn client_config(authorities_pem: &[u8], what: &str) -> Result<rustls::ClientConfig, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certificates(authorities_pem, what)? {
        roots.add(cert).map_err(|e| TlsError::Pem {
            what: what.into(),
            reason: format!("a certificate cannot be a trust anchor: {e}"),
        })?;
    }
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error(what, e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A server configuration from a PEM certificate chain (the server's own first) and its PEM private key.
pub fn server_config(chain_pem: &[u8], key_pem: &[u8], what: &str) -> Result<rustls::ServerConfig, TlsError> {
    let chain = certificates(chain_pem, what)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::Pem {
        what: format!("{what} (private key)"),
        reason: format!("no usable private key ({e})"),
    })?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error(what, e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| config_error(what, e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A connection failure with all its causes: HTTP clients print only the outermost ("error sending
/// request"), while the reason (a certificate nobody vouches for, say) sits several sources deeper.
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn config_error(what: &str, e: rustls::Error) -> TlsError {
    TlsError::Config {
        what: what.into(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_named_in_the_error() {
        let err = client_config(b"hello", "center CA file /x.pem").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/x.pem"), "{text}");
        assert!(text.contains("no certificate"), "{text}");
    }

    #[test]
    fn a_truncated_certificate_is_refused() {
        let pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n";
        assert!(certificates(pem, "ca.pem").is_err());
    }

    #[test]
    fn a_server_without_its_key_is_refused() {
        let err = server_config(b"", b"", "tls.cert").unwrap_err();
        assert!(err.to_string().contains("tls.cert"), "{err}");
    }
}
