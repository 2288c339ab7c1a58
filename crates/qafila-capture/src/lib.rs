//! Live portrait capture for the Qafila van: frames from a camera or a video file, the ICAO quality
//! checks of each frame with a reason the operator can act on, auto-capture, and the ISO/IEC 19794-5
//! token portrait that goes into the enrollment record.
//!
//! The simple tier is [`check_image`]: one photograph in, a report (and optionally the token JPEG) out.
//! The full tier is [`Camera`] + [`Analyzer`] + [`autocapture::run`] for live capture.
//! Face detection is the one extension joint: [`FaceDetector`].
#![deny(unsafe_code)]

pub mod autocapture;
pub mod camera;
pub mod desk;
mod error;
pub mod face;
pub mod fingers;
pub mod image;
pub mod portrait;
pub mod record;
pub mod sample;
pub mod token;
mod yunet;

use std::path::Path;

pub use camera::{Camera, Frame, Playback, Source};
pub use error::{CaptureError, Result};
pub use face::{DetectorKind, Face, FaceDetector, Haar};
pub use portrait::{Analyzer, Check, CheckId, PortraitConfig, PortraitReport, Reason};
pub use token::{Token, TokenConfig, make_token};
pub use yunet::Yunet;

/// Analyses one photograph file and, when it has exactly one face, cuts its token portrait.
pub fn check_image(
    analyzer: &mut Analyzer,
    path: &Path,
    token: Option<&TokenConfig>,
) -> Result<(PortraitReport, Option<Token>)> {
    let frame = image::read(path)?;
    let report = analyzer.analyse(&frame)?;
    let token = match (token, report.face, report.faces) {
        (Some(cfg), Some(face), 1) => Some(make_token(&frame, &face, cfg)?),
        _ => None,
    };
    Ok((report, token))
}
