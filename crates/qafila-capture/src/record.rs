//! Captures as the enrollment record stores them: blob bytes plus the record's references and reports.

use std::collections::BTreeMap;

use qafila_domain::{BlobRef, FingerPosition, FingerSlot, Portrait};
use sha2::{Digest, Sha256};

use crate::fingers::FingerOutcome;
use crate::portrait::PortraitReport;
use crate::token::Token;

/// Blob bytes the store must keep beside the record, named by their SHA-256.
pub type Blobs = Vec<Vec<u8>>;

fn blob_ref(bytes: &[u8]) -> BlobRef {
    BlobRef(hex::encode(Sha256::digest(bytes)))
}

/// The token portrait and its quality report; `override_by` names the operator who kept a frame that
/// did not pass every check.
pub fn portrait(token: &Token, report: &PortraitReport, override_by: Option<String>) -> (Portrait, Blobs) {
    let portrait = Portrait {
        blob: blob_ref(&token.jpeg),
        quality: report.to_record(override_by),
    };
    (portrait, vec![token.jpeg.clone()])
}

/// The ten finger slots: WSQ impressions with their quality engine and device, or exceptions.
pub fn fingerprints(outcomes: &[FingerOutcome]) -> (BTreeMap<FingerPosition, FingerSlot>, Blobs) {
    let mut slots = BTreeMap::new();
    let mut blobs = Vec::new();
    for outcome in outcomes {
        let Some(position) = (outcome.finger().position() as usize)
            .checked_sub(1)
            .and_then(|i| FingerPosition::ALL.get(i).copied())
        else {
            continue;
        };
        let slot = match outcome {
            FingerOutcome::Captured(c) => {
                blobs.push(c.wsq.clone());
                FingerSlot::Impression {
                    blob: blob_ref(&c.wsq),
                    quality: c.quality,
                    quality_algorithm: Some(match c.engine {
                        qafila_finger::QualityEngine::Nfiq2 => "nfiq2".into(),
                        qafila_finger::QualityEngine::Fallback => "qafila-fallback".into(),
                    }),
                    device: c.device.clone(),
                }
            }
            FingerOutcome::Exception { kind, reason, .. } => FingerSlot::Exception {
                exception: *kind,
                reason: reason.clone(),
            },
        };
        slots.insert(position, slot);
    }
    (slots, blobs)
}
