//! Synthetic accepted applications with their blobs, shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use qafila_domain::sample::applicant;
use qafila_domain::{
    BirthDate, BlobRef, Enrollment, FingerException, FingerPosition, FingerSlot, Portrait, QualityReport, Status,
};
use qafila_export::blob_ref;
use qafila_wsq::GrayImage;

/// A fixed capture time, so every run generates the same applications.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 30, 0)
        .single()
        .expect("valid time")
}

/// A structurally complete baseline JPEG header of `width`×`height` (SOI, APP0, SOF0, SOS,
/// a few entropy bytes, EOI): what the exports read of a JPEG, without needing an encoder.
pub fn token_jpeg(width: u16, height: u16, salt: u64) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    j.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
    j.extend_from_slice(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    j.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    j.extend_from_slice(&height.to_be_bytes());
    j.extend_from_slice(&width.to_be_bytes());
    j.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x0C, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0]);
    // Entropy-coded bytes, varied per applicant so blobs differ; some are separator values.
    j.extend((0..64u64).map(|i| ((salt.wrapping_mul(31).wrapping_add(i * 7)) % 0xFE) as u8));
    j.extend_from_slice(&[0x1C, 0x1D, 0x1E, 0x1F, 0xFF, 0xD9]);
    j
}

/// A small WSQ print (a ridge-like pattern) encoded by qafila-wsq at 500 ppi.
pub fn wsq_print(width: usize, height: usize, seed: u64) -> Vec<u8> {
    let pixels = (0..width * height)
        .map(|i| {
            let (x, y) = ((i % width) as f32, (i / width) as f32);
            let r = ((x - width as f32 / 2.0).powi(2) + (y - height as f32 / 2.0).powi(2)).sqrt();
            (128.0 + 100.0 * (r / (3.0 + (seed % 3) as f32)).sin()) as u8
        })
        .collect();
    let image = GrayImage::new(width, height, pixels).expect("pixels fit");
    qafila_wsq::encode(&image, 0.75, 500).expect("encodes")
}

/// Application number `seed`, accepted, with a portrait; every fourth has Arabic names only
/// (the Latin left empty, as a registry written in Arabic gives them), every seventh a year-only
/// birth date, every eleventh given names too long for the MRZ.
pub fn accepted(seed: u64) -> (Enrollment, HashMap<BlobRef, Vec<u8>>) {
    let mut e = applicant(seed, "van-7", "op-1", now());
    e.application.status = Status::Accepted;
    if seed.is_multiple_of(4) {
        e.civil.family_name.latin.clear();
        e.civil.given_names.latin.clear();
    }
    if seed.is_multiple_of(7) {
        e.civil.birth_date = BirthDate::Year(e.civil.birth_date.year());
    }
    if seed.is_multiple_of(11) {
        e.civil.given_names.latin = "Fatima-Zahra Khadîja Salma Imane Itto".into();
        e.civil.family_name.latin = "Ouazzani Chahdi El Idrissi".into();
    }
    let mut blobs = HashMap::new();
    let jpeg = token_jpeg(420, 560, seed);
    let r = blob_ref(&jpeg);
    blobs.insert(r.clone(), jpeg);
    e.portrait = Some(Portrait {
        blob: r,
        quality: QualityReport {
            ok: true,
            checks: Vec::new(),
            override_by: None,
        },
    });
    (e, blobs)
}

/// [`accepted`] with ten finger slots: WSQ prints, except finger 4 amputated and finger 9 bandaged.
pub fn with_prints(seed: u64) -> (Enrollment, HashMap<BlobRef, Vec<u8>>) {
    let (mut e, mut blobs) = accepted(seed);
    for position in FingerPosition::ALL {
        let slot = match position.number() {
            4 => FingerSlot::Exception {
                exception: FingerException::Amputated,
                reason: "amputé en 2019".into(),
            },
            9 => FingerSlot::Exception {
                exception: FingerException::Bandaged,
                reason: "pansement".into(),
            },
            n => {
                let wsq = wsq_print(96 + usize::from(n), 104, seed + u64::from(n));
                let r = blob_ref(&wsq);
                blobs.insert(r.clone(), wsq);
                FingerSlot::Impression {
                    blob: r,
                    quality: 40 + n,
                    quality_algorithm: Some(if n == 7 { "fallback-v1".into() } else { "nfiq2".into() }),
                    device: "MOSIP SBI sim".into(),
                }
            }
        };
        e.fingerprints.insert(position, slot);
    }
    (e, blobs)
}

/// A CNIE number for application `seed`: one or two letters then six digits.
pub fn card_number(seed: u64) -> String {
    let letters = ["BE", "A", "JC", "X", "BK", "Z"];
    format!("{}{:06}", letters[(seed % 6) as usize], seed * 7919 % 1_000_000)
}

/// The issue date used in the tests.
pub fn issue_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 2).expect("valid date")
}
