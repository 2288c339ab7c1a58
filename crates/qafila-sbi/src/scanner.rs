//! The one extension joint: any fingerprint scanner the van can use, whatever its transport.
//!
//! The trait is blocking. SBI is one request and one reply over localhost, a scanner captures one thing at a time,
//! and vendor SDKs that may implement this trait later are blocking C APIs; a blocking trait keeps it object safe
//! without `async-trait` and lets the desktop app run captures on a worker thread of its own. Every implementation
//! must bound each call by the request's timeout (plus a documented margin), so a hung device never hangs the
//! caller. Do not call it from inside an async runtime's worker thread: use `spawn_blocking` or a plain thread.

use std::time::Duration;

use crate::error::ScanError;
use crate::finger::{Finger, Slap};
use crate::image::GrayImage;

/// A fingerprint scanner.
pub trait FingerprintScanner: Send + Sync {
    /// What the device is and whether it can capture.
    fn info(&self) -> Result<DeviceInfo, ScanError>;

    /// Captures the fingers `request` asks for, one [`Impression`] per finger, segmented.
    fn capture(&self, request: &CaptureRequest) -> Result<Vec<Impression>, ScanError>;
}

/// Who made the device and which one it is, as its signed digital id says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceIdentity {
    /// Serial number.
    pub serial: String,
    /// Manufacturer.
    pub make: String,
    /// Model.
    pub model: String,
    /// The SBI `deviceId` (which device of the service).
    pub device_id: String,
    /// The SBI `deviceCode` (the device's registration code, unique per device).
    pub device_code: String,
    /// The device provider and its id.
    pub provider: String,
}

/// Whether a device can capture now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Ready to capture.
    Ready,
    /// Capturing for someone else.
    Busy,
    /// Connected but not ready (e.g. warming up).
    NotReady,
    /// Not registered with MOSIP; its data is unsigned.
    NotRegistered,
    /// A status this crate does not know.
    Other(String),
}

impl DeviceStatus {
    /// The status an SBI `deviceStatus` string names.
    pub fn from_sbi(s: &str) -> DeviceStatus {
        match s.trim().to_ascii_lowercase().replace([' ', '_', '-'], "").as_str() {
            "ready" => DeviceStatus::Ready,
            "busy" => DeviceStatus::Busy,
            "notready" => DeviceStatus::NotReady,
            "notregistered" => DeviceStatus::NotRegistered,
            _ => DeviceStatus::Other(s.to_string()),
        }
    }

    /// The SBI spelling.
    pub fn as_sbi(&self) -> &str {
        match self {
            DeviceStatus::Ready => "Ready",
            DeviceStatus::Busy => "Busy",
            DeviceStatus::NotReady => "Not Ready",
            DeviceStatus::NotRegistered => "Not Registered",
            DeviceStatus::Other(s) => s,
        }
    }
}

/// What a device says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Which device.
    pub identity: DeviceIdentity,
    /// Whether it can capture now.
    pub status: DeviceStatus,
    /// SBI device sub type: "Slap", "Single" or "Touchless".
    pub device_sub_type: String,
    /// The segments it captures (SBI `deviceSubId`s: 1 left four, 2 right four, 3 thumbs; 0 single finger).
    pub device_sub_ids: Vec<u8>,
    /// SBI specification versions it speaks.
    pub spec_versions: Vec<String>,
    /// Firmware version.
    pub firmware: String,
    /// Certification level ("L0", "L1").
    pub certification: String,
    /// "Registration" or "Auth".
    pub purpose: String,
    /// Version of the SBI service software.
    pub service_version: String,
}

/// Which fingers to capture, how well, and how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureRequest {
    /// The fingers wanted, in any order.
    pub fingers: Vec<Finger>,
    /// Fingers missing or injured, that the device must not wait for (SBI `exception`).
    pub exceptions: Vec<Finger>,
    /// The quality score (0–100) the device should try to reach before returning.
    pub requested_score: u8,
    /// How long the device may take; the client waits this plus a margin, then gives up.
    pub timeout: Duration,
}

impl CaptureRequest {
    /// Default capture timeout: long enough for an operator to place a hand.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default requested quality score.
    pub const DEFAULT_SCORE: u8 = 40;

    /// All fingers of one slap segment.
    pub fn slap(slap: Slap) -> Self {
        CaptureRequest::fingers(slap.fingers())
    }

    /// One finger.
    pub fn single(finger: Finger) -> Self {
        CaptureRequest::fingers(&[finger])
    }

    /// These fingers.
    pub fn fingers(fingers: &[Finger]) -> Self {
        CaptureRequest {
            fingers: fingers.to_vec(),
            exceptions: Vec::new(),
            requested_score: Self::DEFAULT_SCORE,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Marks `fingers` as missing: they are dropped from the wanted fingers and sent as SBI exceptions.
    pub fn with_exceptions(mut self, fingers: &[Finger]) -> Self {
        self.fingers.retain(|f| !fingers.contains(f));
        self.exceptions.extend_from_slice(fingers);
        self
    }

    /// With this requested quality score.
    pub fn with_score(mut self, score: u8) -> Self {
        self.requested_score = score;
        self
    }

    /// With this timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The slap segment all wanted and excepted fingers belong to, if one does (SBI `deviceSubId`, else 0).
    pub fn segment(&self) -> Option<Slap> {
        let first = self.fingers.first()?.slap();
        self.fingers
            .iter()
            .chain(&self.exceptions)
            .all(|f| f.slap() == first)
            .then_some(first)
    }

    /// Refuses requests no device could satisfy.
    pub fn validate(&self) -> Result<(), ScanError> {
        if self.fingers.is_empty() {
            return Err(ScanError::InvalidRequest("no finger requested".into()));
        }
        for (i, f) in self.fingers.iter().enumerate() {
            if self.fingers[..i].contains(f) {
                return Err(ScanError::InvalidRequest(format!("{f} requested twice")));
            }
            if self.exceptions.contains(f) {
                return Err(ScanError::InvalidRequest(format!(
                    "{f} both requested and marked missing"
                )));
            }
        }
        if self.requested_score > 100 {
            return Err(ScanError::InvalidRequest(format!(
                "requested score {} above 100",
                self.requested_score
            )));
        }
        if self.timeout.is_zero() {
            return Err(ScanError::InvalidRequest("zero timeout".into()));
        }
        Ok(())
    }
}

/// One captured finger.
#[derive(Debug, Clone)]
pub struct Impression {
    /// Which finger.
    pub finger: Finger,
    /// The image, 8-bit gray, at the device's resolution (500 ppi for SBI registration devices).
    pub image: GrayImage,
    /// The device's quality score, 0–100.
    pub quality: u8,
    /// The score that was requested.
    pub requested_score: u8,
    /// The device that captured it.
    pub device: DeviceIdentity,
    /// The device's capture timestamp, as it sent it (ISO 8601).
    pub timestamp: String,
    /// The transaction this capture belonged to.
    pub transaction_id: String,
    /// The signed block exactly as received (SBI `data`, a compact JWS), kept for audit.
    pub signed_data: String,
    /// The SBI hash chain value for this biometric (uppercase hex SHA-256).
    pub hash: String,
}
