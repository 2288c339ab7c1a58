//! What the van remembers about its syncs (times and the last error; no personal data), beside
//! the store so the home screen and freeze rules survive a restart.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// File name beside the store.
pub const STATE_FILE: &str = "desktop-state.json";

/// Sync bookkeeping.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LocalState {
    /// The last sync that completed.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// The last failure, cleared by a success.
    pub last_error: Option<SyncFailure>,
}

/// A failed sync, as the UI shows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SyncFailure {
    /// Error code.
    pub code: String,
    /// What happened.
    pub message: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl LocalState {
    /// Loads the state, or an empty one.
    pub fn load(dir: &Path) -> Result<LocalState> {
        match std::fs::read(dir.join(STATE_FILE)) {
            Ok(b) => Ok(serde_json::from_slice(&b).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LocalState::default()),
            Err(source) => Err(EngineError::Io {
                what: format!("reading {STATE_FILE}"),
                source,
            }),
        }
    }

    /// Saves atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        crate::settings::write_atomic(&dir.join(STATE_FILE), &serde_json::to_vec(self).unwrap_or_default())
    }
}
