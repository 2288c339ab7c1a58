//! The van's desktop settings: devices, centers, freeze limits, language. Not personal data, so kept
//! as plain JSON beside the store, written atomically.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// File name of the settings beside the store.
pub const SETTINGS_FILE: &str = "desktop-settings.json";

/// Interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Arabic (right to left).
    Ar,
    /// French.
    Fr,
    /// English.
    En,
}

/// Where fingerprints come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScannerSetting {
    /// A certified scanner's SBI service on 127.0.0.1: this port, or discovery over 4501–4600.
    Sbi {
        /// The port, or `None` to discover.
        port: Option<u16>,
    },
    /// The built-in SBI simulator (training, demos), started inside the app on a free port.
    Simulator {
        /// The simulated person.
        seed: u64,
    },
}

/// Where portrait frames come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CameraSetting {
    /// A V4L2 camera by index (`0` is `/dev/video0`).
    Device {
        /// The index.
        index: u32,
    },
    /// A video or image-sequence file (training, demos), played in a loop.
    File {
        /// Its path.
        path: PathBuf,
    },
}

/// One issuance center to sync with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CenterSetting {
    /// The center's id (as registered in the store).
    pub id: String,
    /// Its base URL.
    pub url: String,
}

/// When to warn and when to block new enrollments for lack of sync.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FreezeLimits {
    /// Days without a sync before a warning.
    pub warn_days: u32,
    /// Days without a sync before new enrollments are blocked.
    pub block_days: u32,
    /// Unsynced enrollments before a warning.
    pub warn_unsynced: u32,
    /// Unsynced enrollments before new enrollments are blocked.
    pub block_unsynced: u32,
}

impl Default for FreezeLimits {
    fn default() -> Self {
        // A disaster drive can spend two weeks out of reach; USB receipts count as syncs.
        FreezeLimits {
            warn_days: 7,
            block_days: 14,
            warn_unsynced: 400,
            block_unsynced: 500,
        }
    }
}

/// Receipt paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptFormat {
    /// A5 sheet.
    A5,
    /// 80 mm thermal roll.
    Thermal,
}

/// Everything the operator or supervisor can set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Interface language.
    pub language: Language,
    /// Fingerprint scanner.
    pub scanner: ScannerSetting,
    /// Camera.
    pub camera: CameraSetting,
    /// Centers, tried in order.
    pub centers: Vec<CenterSetting>,
    /// Freeze rules.
    pub freeze: FreezeLimits,
    /// Minutes without activity before the van locks itself.
    pub idle_lock_minutes: u32,
    /// Paper for citizen receipts.
    pub receipt_format: ReceiptFormat,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: Language::Fr,
            scanner: ScannerSetting::Sbi { port: None },
            camera: CameraSetting::Device { index: 0 },
            centers: Vec::new(),
            freeze: FreezeLimits::default(),
            idle_lock_minutes: 10,
            receipt_format: ReceiptFormat::A5,
        }
    }
}

impl Settings {
    /// Checks values the UI may have sent wrong; names the field.
    pub fn validate(&self) -> Result<()> {
        let f = &self.freeze;
        if f.warn_days == 0 || f.block_days < f.warn_days {
            return Err(EngineError::bad(
                "settings.freeze.block_days",
                "must be at least 1 and not below the warning",
            ));
        }
        if f.warn_unsynced == 0 || f.block_unsynced < f.warn_unsynced {
            return Err(EngineError::bad(
                "settings.freeze.block_unsynced",
                "must be at least 1 and not below the warning",
            ));
        }
        if !(1..=240).contains(&self.idle_lock_minutes) {
            return Err(EngineError::bad(
                "settings.idle_lock_minutes",
                "must be between 1 and 240",
            ));
        }
        for (i, c) in self.centers.iter().enumerate() {
            if !(c.url.starts_with("http://") || c.url.starts_with("https://")) {
                return Err(EngineError::bad(
                    &format!("settings.centers.{i}.url"),
                    "must start with http:// or https://",
                ));
            }
        }
        if let CameraSetting::File { path } = &self.camera
            && path.as_os_str().is_empty()
        {
            return Err(EngineError::bad("settings.camera.path", "is empty"));
        }
        Ok(())
    }

    /// Loads the settings of a store, or the defaults when none were saved.
    pub fn load(store_dir: &Path) -> Result<Settings> {
        let path = store_dir.join(SETTINGS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| EngineError::bad(SETTINGS_FILE, e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(source) => Err(EngineError::Io {
                what: format!("reading {}", path.display()),
                source,
            }),
        }
    }

    /// Saves atomically: a crash leaves either the old or the new file, never half of one.
    pub fn save(&self, store_dir: &Path) -> Result<()> {
        write_atomic(
            &store_dir.join(SETTINGS_FILE),
            &serde_json::to_vec_pretty(self).unwrap_or_default(),
        )
    }
}

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |source| EngineError::Io {
        what: format!("writing {}", path.display()),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
