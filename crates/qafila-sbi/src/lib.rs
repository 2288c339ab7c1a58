//! Fingerprint scanners for the enrollment van, behind one trait.
//!
//! - [`FingerprintScanner`]: the extension joint; [`SbiScanner`] implements it for MOSIP SBI 0.9.5 devices
//!   (discovery on localhost ports 4501–4600, `MOSIPDINFO`, registration capture `RCAPTURE`).
//! - [`iso19794_4`]: the finger image records SBI devices return, with pluggable image decoders.
//! - [`simulator`]: an SBI device over real HTTP, with fault injection, for tests and demos
//!   (binary `qafila-sbi-sim`); [`synth`] draws its synthetic fingerprints.
//!
//! ```no_run
//! use std::time::Duration;
//! use qafila_sbi::{CaptureRequest, FingerprintScanner, SbiConfig, SbiScanner, Slap};
//!
//! # fn main() -> Result<(), qafila_sbi::ScanError> {
//! let scanner = SbiScanner::discover(SbiConfig::default())?; // first ready device on ports 4501–4600
//! for slap in Slap::FOUR_FOUR_TWO {
//!     let request = CaptureRequest::slap(slap).with_score(60).with_timeout(Duration::from_secs(15));
//!     for impression in scanner.capture(&request)? {
//!         println!("{}: quality {}", impression.finger, impression.quality);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod capture;
mod client;
mod discovery;
mod error;
mod fields;
mod finger;
pub mod http;
mod image;
pub mod iso19794_4;
pub mod jws;
pub mod protocol;
mod rng;
mod scanner;
pub mod sim_args;
pub mod simulator;
pub mod synth;
mod transport;

pub use client::{KeyTrust, SbiConfig, SbiScanner};
pub use discovery::{DiscoveredDevice, discover, parse_discovery_reply};
pub use error::{ImageError, ScanError};
pub use finger::{Finger, Slap};
pub use image::GrayImage;
pub use scanner::{CaptureRequest, DeviceIdentity, DeviceInfo, DeviceStatus, FingerprintScanner, Impression};
