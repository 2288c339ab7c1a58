//! Server configuration: a TOML file, with the environment overriding the database URL.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use qafila_domain::{Address, Enrollment};
use serde::{Deserialize, Serialize};

/// The server's configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This center's id (`rabat` or `marrakech`).
    pub center: String,
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Folder for keys and the SQLite database.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL; absent: SQLite in `data_dir` (`QAFILA_DATABASE_URL` overrides).
    #[serde(default)]
    pub database_url: Option<String>,
    /// Where applications go.
    #[serde(default)]
    pub routing: Routing,
    /// The other center(s) to replicate from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<Peer>,
    /// Seconds between replication rounds while serving.
    #[serde(default = "default_replicate_every")]
    pub replicate_every_s: u64,
    /// Bounds on memory, time and connections per client.
    #[serde(default)]
    pub limits: crate::limits::Limits,
    /// Bearer token a Prometheus scraper sends to `GET /metrics`; absent: `/metrics` answers 404.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<String>,
    /// Serve HTTPS with these files; absent: plain HTTP (behind a TLS proxy, or on loopback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<crate::tls::TlsFiles>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8700))
}

fn default_replicate_every() -> u64 {
    10
}

/// The routing rule: the region of the applicant's address, or a fixed center for consulates.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Region codes routed to Rabat; every other region goes to Marrakech.
    pub rabat_regions: Vec<String>,
    /// Center for applicants living abroad (consulates).
    pub consulates: String,
}

impl Default for Routing {
    fn default() -> Self {
        // The north and centre (Tanger to Casablanca-Settat, and the Oriental) print in Rabat; the south in Marrakech.
        Routing {
            rabat_regions: ["01", "02", "03", "04", "05", "06"].map(String::from).to_vec(),
            consulates: "rabat".into(),
        }
    }
}

impl Routing {
    /// The center that prints this application's card.
    pub fn route(&self, e: &Enrollment) -> String {
        match &e.civil.address {
            Address::Morocco { province, .. } => {
                let region = province.get(..2).unwrap_or_default();
                if self.rabat_regions.iter().any(|r| r == region) {
                    "rabat".into()
                } else {
                    "marrakech".into()
                }
            }
            Address::Abroad { .. } => self.consulates.clone(),
        }
    }
}

/// Another center.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// Its id.
    pub id: String,
    /// Its base URL (`http://10.1.2.3:8700`).
    pub url: String,
    /// Its ed25519 public key, hex.
    pub verifying_key: String,
    /// Its age recipient.
    pub recipient: String,
    /// PEM certificate(s) of the authority behind its HTTPS certificate (relative to `data_dir`);
    /// absent: the system's trust store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
}

impl Config {
    /// Reads a configuration file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let mut c: Config = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if let Ok(url) = std::env::var("QAFILA_DATABASE_URL") {
            c.database_url = Some(url);
        }
        Ok(c)
    }

    /// The key file.
    pub fn keys_path(&self) -> PathBuf {
        self.data_dir.join("keys.json")
    }
}
