//! One ANSI/NIST-ITL 1-2011 transaction per application for the AFIS: a Type-1 header, a Type-2
//! with a few descriptive fields, a Type-10 face and a Type-14 per finger position — the WSQ
//! impression, or, for a finger with none, an AMP field without image data (which the 2011
//! edition allows for amputated or unprintable fingers).

use chrono::{Datelike, NaiveDate};
use qafila_domain::{BirthDate, Enrollment, FingerException, FingerSlot, Sex, Status};

use crate::card::card_latin;
use crate::images::{jpeg_info, wsq_info};
use crate::mrz::name_components;
use crate::nist::{self, Record};
use crate::{BlobSource, ExportError, fetch};

/// The version the Type-1 declares: ANSI/NIST-ITL 1-2011.
pub const VERSION: &str = "0500";
/// Resolution of the fingerprints when a WSQ file does not state it (the van scans at 500 ppi).
pub const DEFAULT_PPI: u16 = 500;
/// CBEFF vendor of NFIQ 2's quality scores (ISO/IEC JTC 1 SC 37), as NFIQ 2 itself reports it.
pub const NFIQ2_VENDOR: &str = "0101";
/// CBEFF product code of NFIQ 2's unified quality score, as NFIQ 2 itself reports it.
pub const NFIQ2_PRODUCT: u16 = 0x0038;

/// What the center states about the transaction, beyond the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AfisOptions {
    /// Date of the transaction (1.005 DAT); passed in because this crate reads no clock.
    pub date: NaiveDate,
    /// Type of transaction (1.004 TOT), agreed with the AFIS (for example `CNIE`).
    pub type_of_transaction: String,
    /// Destination agency identifier (1.007 DAI).
    pub destination_agency: String,
    /// Originating agency identifier (1.008 ORI), also the source agency of each image (SRC).
    pub originating_agency: String,
}

fn yyyymmdd(d: NaiveDate) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

fn option_text(value: &str, field: &str) -> Result<String, ExportError> {
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return Err(ExportError::invalid(
            field,
            format!("{value:?} must be non-empty printable ASCII"),
        ));
    }
    Ok(value.to_string())
}

/// The records of the transaction, Type-1 first, before encoding (LEN fields are added by the encoder).
pub fn afis_records(
    enrollment: &Enrollment,
    options: &AfisOptions,
    blobs: &dyn BlobSource,
) -> Result<Vec<Record>, ExportError> {
    // A draft may still lack prints; every later state has its biometrics captured.
    if enrollment.application.status == Status::Draft {
        return Err(ExportError::invalid(
            "application.status",
            "a draft has no complete biometrics to send to the AFIS",
        ));
    }
    let tot = option_text(&options.type_of_transaction, "type_of_transaction")?;
    let dai = option_text(&options.destination_agency, "destination_agency")?;
    let ori = option_text(&options.originating_agency, "originating_agency")?;
    let civil = &enrollment.civil;
    let captured = yyyymmdd(enrollment.application.created_at.date_naive());

    // Type-2: descriptive text, in the fields the FBI's EBTS gives these items.
    let family = name_components(&card_latin(&civil.family_name, "civil.family_name")?).join(" ");
    let given = name_components(&card_latin(&civil.given_names, "civil.given_names")?).join(" ");
    let mut t2 = Record::new(2);
    t2.text(2, "0").text(18, format!("{family},{given}"));
    t2.text(
        22,
        match civil.birth_date {
            // Unknown month and day are zeros in a Type-2 date.
            BirthDate::Year(y) => format!("{y:04}0000"),
            BirthDate::Full(d) => yyyymmdd(d),
        },
    );
    t2.text(
        24,
        match civil.sex {
            Sex::Female => "F",
            Sex::Male => "M",
        },
    );

    // Type-10: the token portrait.
    let portrait = enrollment
        .portrait
        .as_ref()
        .ok_or_else(|| ExportError::missing("portrait", "the application has no portrait"))?;
    let jpeg = fetch(blobs, &portrait.blob, "portrait")?;
    let info = jpeg_info(jpeg, "portrait")?;
    let mut t10 = Record::new(10);
    t10.text(2, "1")
        .text(3, "FACE")
        .text(4, ori.clone())
        .text(5, captured.clone())
        .text(6, info.width.to_string())
        .text(7, info.height.to_string())
        // No physical scale for a camera image: SLC 0 with a 1:1 pixel aspect ratio.
        .text(8, "0")
        .text(9, "1")
        .text(10, "1")
        .text(11, "JPEGB")
        .text(12, if info.components == 1 { "GRAY" } else { "SRGB" })
        // Subject acquisition profile 14: ISO/IEC 19794-5 token face, what the capture produces.
        .text(13, "14")
        .text(20, "F")
        .data(jpeg.to_vec());

    let mut records = vec![t2, t10];
    // IDC 0 is the Type-2, 1 the face; the fingers follow.
    for (idc, (position, slot)) in (2u8..).zip(&enrollment.fingerprints) {
        let fgp = position.number().to_string();
        let field = format!("fingerprints.{}", position.number());
        let mut t14 = Record::new(14);
        t14.text(2, idc.to_string())
            // Live-scan plain: the van's prints are segmented from flat slaps.
            .text(3, "0")
            .text(4, ori.clone())
            .text(5, captured.clone());
        match slot {
            FingerSlot::Impression {
                blob,
                quality,
                quality_algorithm,
                ..
            } => {
                let wsq = fetch(blobs, blob, &field)?;
                let info = wsq_info(wsq, &field)?;
                let ppi = info.ppi.unwrap_or(DEFAULT_PPI);
                t14.text(6, info.width.to_string())
                    .text(7, info.height.to_string())
                    .text(8, "1")
                    .text(9, ppi.to_string())
                    .text(10, ppi.to_string())
                    .text(11, "WSQ20")
                    .text(12, "8")
                    .text(13, fgp.clone());
                match quality_algorithm.as_deref() {
                    Some("nfiq2") => {
                        t14.items(
                            24,
                            vec![vec![
                                fgp,
                                quality.min(&100).to_string(),
                                NFIQ2_VENDOR.into(),
                                NFIQ2_PRODUCT.to_string(),
                            ]],
                        );
                    }
                    // FQM needs a registered algorithm; any other score is kept as a comment.
                    other => {
                        let name: String = other
                            .unwrap_or("unnamed")
                            .chars()
                            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                            .collect();
                        t14.text(20, format!("QUALITY {quality} {name}"));
                    }
                }
                t14.data(wsq.to_vec());
            }
            FingerSlot::Exception { exception, .. } => {
                // XX: the finger is not there; UP: it is there but could not be printed.
                let (code, words) = match exception {
                    FingerException::Amputated => ("XX", "AMPUTATED"),
                    FingerException::Missing => ("XX", "MISSING"),
                    FingerException::Bandaged => ("UP", "BANDAGED"),
                    FingerException::UnableToCapture => ("UP", "UNABLE TO CAPTURE"),
                };
                t14.text(13, fgp.clone())
                    .items(18, vec![vec![fgp, code.into()]])
                    .text(20, words);
            }
        }
        records.push(t14);
    }

    let mut cnt = vec![vec!["1".to_string(), records.len().to_string()]];
    for r in &records {
        let idc = r.get(2).and_then(|v| v.as_str()).unwrap_or("0").to_string();
        cnt.push(vec![r.kind.to_string(), idc]);
    }
    let mut t1 = Record::new(1);
    t1.text(2, VERSION)
        .items(3, cnt)
        .text(4, tot)
        .text(5, yyyymmdd(options.date))
        .text(7, dai)
        .text(8, ori)
        .text(9, enrollment.application.id.to_string())
        // No Type-4 records: the native and transmitting scanning resolutions are 00.00.
        .text(11, "00.00")
        .text(12, "00.00");
    records.insert(0, t1);
    Ok(records)
}

/// The application's AFIS transaction, in the traditional encoding.
pub fn afis_transaction(
    enrollment: &Enrollment,
    options: &AfisOptions,
    blobs: &dyn BlobSource,
) -> Result<Vec<u8>, ExportError> {
    let records = afis_records(enrollment, options, blobs)?;
    nist::encode(&records).map_err(|e| ExportError::invalid("afis", e.to_string()))
}
