//! The ten-print workflow: 4-4-2 slaps from any scanner, each finger scored, retried below the
//! threshold, WSQ-compressed, turned into a minutiae template, and checked against the drive's earlier
//! enrollments.

use std::time::Duration;

use qafila_finger::{Candidate, DuplicateIndex, Quality, QualityEngine, Template};
use qafila_sbi::{CaptureRequest, Finger, FingerprintScanner, Impression, Slap};
use serde::Serialize;

use crate::error::{CaptureError, Result};

/// Thresholds and limits of the workflow.
#[derive(Debug, Clone)]
pub struct FingerConfig {
    /// Lowest acceptable quality (NFIQ 2, 0–100).
    pub threshold: u8,
    /// Further attempts after the first before a finger becomes an exception.
    pub retries: u8,
    /// How long the scanner may take for one slap.
    pub timeout: Duration,
    /// WSQ bit rate, bits per pixel.
    pub wsq_bitrate: f32,
}

impl Default for FingerConfig {
    fn default() -> Self {
        FingerConfig {
            threshold: 40,
            retries: 3,
            timeout: CaptureRequest::DEFAULT_TIMEOUT,
            wsq_bitrate: 0.75,
        }
    }
}

/// A finger the operator declared absent before capture, with the record's exception kind.
#[derive(Debug, Clone)]
pub struct DeclaredException {
    /// Which finger.
    pub finger: Finger,
    /// Missing, amputated or bandaged.
    pub kind: qafila_domain::FingerException,
    /// In the operator's words.
    pub reason: String,
}

/// An accepted impression, ready for the record.
#[derive(Debug, Clone)]
pub struct CapturedFinger {
    /// Which finger.
    pub finger: Finger,
    /// The WSQ file (0.75 bpp, 500 ppi by default).
    pub wsq: Vec<u8>,
    /// The quality score and which engine gave it.
    pub quality: u8,
    /// NFIQ 2, or the fallback estimate.
    pub engine: QualityEngine,
    /// The minutiae template (ISO/IEC 19794-2 when stored).
    pub template: Template,
    /// Make, model and serial of the scanner.
    pub device: String,
    /// Attempts it took.
    pub attempts: u8,
}

/// What became of one finger.
#[derive(Debug, Clone)]
pub enum FingerOutcome {
    /// An impression at or above the threshold.
    Captured(CapturedFinger),
    /// No acceptable impression: declared absent, or still below the threshold after the retries
    /// (the best attempt is kept for the supervisor to see).
    Exception {
        /// Which finger.
        finger: Finger,
        /// The record's exception kind.
        kind: qafila_domain::FingerException,
        /// Why, in words.
        reason: String,
        /// The best impression seen, if any.
        best: Option<Box<CapturedFinger>>,
    },
}

impl FingerOutcome {
    /// The finger concerned.
    pub fn finger(&self) -> Finger {
        match self {
            FingerOutcome::Captured(c) => c.finger,
            FingerOutcome::Exception { finger, .. } => *finger,
        }
    }
}

/// Progress for the UI's hand diagram.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum FingerEvent {
    /// A slap is being captured (attempt from 1).
    Capturing {
        /// The fingers asked for, as ISO positions.
        fingers: Vec<u8>,
        /// Attempt number.
        attempt: u8,
    },
    /// One finger was scored.
    Scored {
        /// ISO position.
        finger: u8,
        /// The score.
        quality: u8,
        /// Whether it reached the threshold.
        accepted: bool,
    },
    /// The scanner failed for this attempt; the workflow retries.
    ScannerError {
        /// What the scanner said.
        message: String,
    },
}

/// The result of a ten-print capture.
#[derive(Debug)]
pub struct TenPrint {
    /// One outcome per finger, in ISO order.
    pub fingers: Vec<FingerOutcome>,
    /// Probable earlier enrollments of the same person in this drive.
    pub duplicates: Vec<Candidate>,
}

/// Captures the ten fingers as three slaps (left four, right four, thumbs).
pub fn capture_ten(
    scanner: &dyn FingerprintScanner,
    quality: &Quality,
    declared: &[DeclaredException],
    index: Option<&DuplicateIndex>,
    config: &FingerConfig,
    mut progress: impl FnMut(FingerEvent),
) -> Result<TenPrint> {
    let mut outcomes: Vec<FingerOutcome> = declared
        .iter()
        .map(|d| FingerOutcome::Exception {
            finger: d.finger,
            kind: d.kind,
            reason: d.reason.clone(),
            best: None,
        })
        .collect();
    for slap in Slap::FOUR_FOUR_TWO {
        let absent: Vec<Finger> = declared.iter().map(|d| d.finger).filter(|f| f.slap() == slap).collect();
        let mut pending: Vec<Finger> = slap.fingers().iter().copied().filter(|f| !absent.contains(f)).collect();
        let mut best: Vec<(Finger, CapturedFinger)> = Vec::new();
        let mut last_error = None;
        for attempt in 1..=config.retries.saturating_add(1) {
            if pending.is_empty() {
                break;
            }
            progress(FingerEvent::Capturing {
                fingers: pending.iter().map(|f| f.position()).collect(),
                attempt,
            });
            let request = CaptureRequest::fingers(&pending)
                .with_exceptions(&absent)
                .with_score(config.threshold)
                .with_timeout(config.timeout);
            let impressions = match scanner.capture(&request) {
                Ok(i) => i,
                Err(e) => {
                    // A hung or failing scanner costs one attempt, never the session.
                    progress(FingerEvent::ScannerError { message: e.to_string() });
                    last_error = Some(e);
                    continue;
                }
            };
            let wanted = pending.clone();
            for impression in impressions.into_iter().filter(|i| wanted.contains(&i.finger)) {
                let captured = score(impression, quality, config, attempt)?;
                let accepted = captured.quality >= config.threshold;
                progress(FingerEvent::Scored {
                    finger: captured.finger.position(),
                    quality: captured.quality,
                    accepted,
                });
                let finger = captured.finger;
                match best.iter_mut().find(|(f, _)| *f == finger) {
                    Some((_, b)) if b.quality >= captured.quality => b.attempts = attempt,
                    Some((_, b)) => *b = captured,
                    None => best.push((finger, captured)),
                }
                if accepted {
                    pending.retain(|f| *f != finger);
                }
            }
        }
        for (finger, captured) in best {
            if pending.contains(&finger) {
                let reason = format!(
                    "quality {} below {} after {} attempts",
                    captured.quality, config.threshold, captured.attempts
                );
                outcomes.push(exception(finger, reason, Some(captured)));
            } else {
                outcomes.push(FingerOutcome::Captured(captured));
            }
        }
        let unseen: Vec<Finger> = pending
            .iter()
            .copied()
            .filter(|f| !outcomes.iter().any(|o| o.finger() == *f))
            .collect();
        for finger in unseen {
            let reason = match &last_error {
                Some(e) => format!("the scanner gave no image after {} attempts: {e}", config.retries + 1),
                None => format!(
                    "the scanner returned no image of this finger in {} attempts",
                    config.retries + 1
                ),
            };
            outcomes.push(exception(finger, reason, None));
        }
    }
    outcomes.sort_by_key(|o| o.finger().position());
    let duplicates = match index {
        Some(index) => {
            let probe: Vec<Template> = outcomes
                .iter()
                .filter_map(|o| match o {
                    FingerOutcome::Captured(c) => Some(c.template.clone()),
                    FingerOutcome::Exception { .. } => None,
                })
                .collect();
            index.probable_duplicates(&probe)
        }
        None => Vec::new(),
    };
    Ok(TenPrint {
        fingers: outcomes,
        duplicates,
    })
}

fn exception(finger: Finger, reason: String, best: Option<CapturedFinger>) -> FingerOutcome {
    FingerOutcome::Exception {
        finger,
        kind: qafila_domain::FingerException::UnableToCapture,
        reason,
        best: best.map(Box::new),
    }
}

/// Scores, compresses and templates one impression.
pub fn score(impression: Impression, quality: &Quality, config: &FingerConfig, attempt: u8) -> Result<CapturedFinger> {
    let finger = impression.finger;
    let what = |reason: String| CaptureError::BadImage {
        what: format!("finger {}", finger.position()),
        reason,
    };
    let img = &impression.image;
    let (w, h) = (img.width as usize, img.height as usize);
    let gray = qafila_finger::GrayImage::new(w, h, img.pixels.clone()).map_err(|e| what(e.to_string()))?;
    // One pass of NIST's library gives both the NFIQ 2 score and the minutiae.
    let analysis = quality.analyse(&gray).map_err(|e| what(e.to_string()))?;
    let q = analysis.quality;
    let ppi = if img.ppi == 0 { 500 } else { img.ppi };
    let template = analysis
        .template
        .with_finger(qafila_finger::Finger::from_code(finger.position()).unwrap_or(qafila_finger::Finger::Unknown));
    let wsq = qafila_wsq::encode(
        &qafila_wsq::GrayImage {
            width: w,
            height: h,
            pixels: img.pixels.clone(),
        },
        config.wsq_bitrate,
        ppi,
    )
    .map_err(|e| what(e.to_string()))?;
    let d = &impression.device;
    Ok(CapturedFinger {
        finger,
        wsq,
        quality: q.score,
        engine: q.engine,
        template,
        device: format!("{} {} {}", d.make, d.model, d.serial).trim().to_string(),
        attempts: attempt,
    })
}
