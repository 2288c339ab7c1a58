//! A center's keys: its ed25519 signing key (receipts, updates, replication) and its age identities
//! (newest first; older ones are kept after a rotation so old batches and stored documents still open).

use std::path::Path;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

/// The center's secret keys.
pub struct CenterKeys {
    /// Center id.
    pub center: String,
    /// Signs receipts, updates and replication.
    pub signing: SigningKey,
    /// Decrypts batches and blobs; the first also encrypts the center's documents at rest.
    pub identities: Vec<age::x25519::Identity>,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    center: String,
    signing_key: String,
    identities: Vec<String>,
}

/// What others need to know of a center: vans encrypt to its recipient and check its signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicInfo {
    /// Center id.
    pub center: String,
    /// ed25519 public key, hex.
    pub verifying_key: String,
    /// Current age recipient.
    pub recipient: String,
}

impl CenterKeys {
    /// Fresh keys for a center.
    pub fn generate(center: &str) -> anyhow::Result<CenterKeys> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Ok(CenterKeys {
            center: center.into(),
            signing: SigningKey::from_bytes(&seed),
            identities: vec![age::x25519::Identity::generate()],
        })
    }

    /// Reads the key file.
    pub fn load(path: &Path) -> anyhow::Result<CenterKeys> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let f: KeyFile = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let seed: [u8; 32] = hex::decode(&f.signing_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| anyhow::anyhow!("{}: signing_key is not 32 bytes of hex", path.display()))?;
        let identities = f
            .identities
            .iter()
            .map(|s| {
                age::x25519::Identity::from_str(s).map_err(|e| anyhow::anyhow!("{}: bad identity: {e}", path.display()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(!identities.is_empty(), "{}: no age identity", path.display());
        Ok(CenterKeys {
            center: f.center,
            signing: SigningKey::from_bytes(&seed),
            identities,
        })
    }

    /// Writes the key file, readable by its owner only.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let f = KeyFile {
            center: self.center.clone(),
            signing_key: hex::encode(self.signing.to_bytes()),
            identities: self
                .identities
                .iter()
                .map(|i| i.to_string().expose_secret().to_string())
                .collect(),
        };
        let text = serde_json::to_string_pretty(&f)?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Adds a new age identity in front; the old ones stay for decryption.
    pub fn rotate(&mut self) {
        self.identities.insert(0, age::x25519::Identity::generate());
    }

    /// The current recipient.
    pub fn recipient(&self) -> age::x25519::Recipient {
        self.identities[0].to_public()
    }

    /// What vans and the peer center need.
    pub fn public_info(&self) -> PublicInfo {
        PublicInfo {
            center: self.center.clone(),
            verifying_key: hex::encode(self.signing.verifying_key().as_bytes()),
            recipient: self.recipient().to_string(),
        }
    }
}
