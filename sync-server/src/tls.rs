//! HTTPS for a center: loading its certificate, making one for sites without an authority of their
//! own, and the replication client that trusts the peer center's authority.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The certificate and key files a center serves HTTPS with (PEM; relative paths are under `data_dir`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The certificate chain, the center's own certificate first.
    pub cert: PathBuf,
    /// Its private key (keep it readable by the server's user only).
    pub key: PathBuf,
}

impl TlsFiles {
    fn resolve(&self, data_dir: &Path) -> (PathBuf, PathBuf) {
        (data_dir.join(&self.cert), data_dir.join(&self.key))
    }
}

/// The rustls settings of a center configured for HTTPS, or `None` for plain HTTP.
pub fn server_config(cfg: &Config) -> anyhow::Result<Option<Arc<tokio_rustls::rustls::ServerConfig>>> {
    let Some(files) = &cfg.tls else {
        return Ok(None);
    };
    let (cert, key) = files.resolve(&cfg.data_dir);
    let chain = std::fs::read(&cert).with_context(|| format!("tls.cert: reading {}", cert.display()))?;
    let key_pem = std::fs::read(&key).with_context(|| format!("tls.key: reading {}", key.display()))?;
    let config = qafila_wire::tls::server_config(&chain, &key_pem, &format!("tls.cert {}", cert.display()))?;
    Ok(Some(Arc::new(config)))
}

/// The client the center replicates with: it trusts the authorities named by its peers' `ca`
/// settings, or the system's store when no peer names one.
pub fn replication_client(cfg: &Config) -> anyhow::Result<reqwest::Client> {
    let mut pem = Vec::new();
    for peer in &cfg.peers {
        if let Some(ca) = &peer.ca {
            let path = cfg.data_dir.join(ca);
            let bytes =
                std::fs::read(&path).with_context(|| format!("peer {}: ca: reading {}", peer.id, path.display()))?;
            qafila_wire::tls::certificates(&bytes, &format!("peer {} ca {}", peer.id, path.display()))?;
            pem.extend_from_slice(&bytes);
            pem.push(b'\n');
        }
    }
    let builder = reqwest::Client::builder().timeout(std::time::Duration::from_secs(120));
    let builder = if pem.is_empty() {
        builder
    } else {
        builder.tls_backend_preconfigured(qafila_wire::tls::client_config(&pem, "peer authorities")?)
    };
    Ok(builder.build()?)
}

/// Makes a self-signed certificate for `names` (host names or IP addresses) and its key, written as
/// `tls/cert.pem` and `tls/key.pem` under `data_dir`; refuses to overwrite existing files.
///
/// Vans and the peer center trust this exact certificate (it is their `ca` file). It is valid from
/// 1975 to 4096 on purpose: a van whose clock is years off must still reach its center, and the trust
/// comes from holding this certificate, not from its dates. Replacing it means handing out the new file.
pub fn generate(data_dir: &Path, names: &[String]) -> anyhow::Result<TlsFiles> {
    if names.is_empty() {
        bail!("--name: give at least one host name or IP address the vans will use to reach this center");
    }
    let dir = data_dir.join("tls");
    let files = TlsFiles {
        cert: PathBuf::from("tls/cert.pem"),
        key: PathBuf::from("tls/key.pem"),
    };
    let (cert_path, key_path) = files.resolve(data_dir);
    for p in [&cert_path, &key_path] {
        if p.exists() {
            bail!(
                "{} exists already: move it away first to make a new certificate",
                p.display()
            );
        }
    }
    let mut params = rcgen::CertificateParams::new(names.to_vec())
        .with_context(|| format!("--name {names:?}: not a host name or IP address"))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("Qafila center {}", names[0]));
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    std::fs::write(&cert_path, cert.pem()).with_context(|| format!("writing {}", cert_path.display()))?;
    Ok(files)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
