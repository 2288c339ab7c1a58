//! Hand-offs of accepted applications: card personalization files and AFIS transactions, each
//! encrypted with age to the receiving system's key (personal data never lands on disk in clear).
//!
//! Card numbers are assigned here, once per application: exporting again gives the same number.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use chrono::NaiveDate;
use qafila_domain::{BlobRef, Enrollment, FingerSlot};
use qafila_export::{AfisOptions, CardRequest};
use serde_json::json;

use crate::center::{Center, CenterError};

/// What an export wrote and what it could not.
#[derive(Debug, Default, serde::Serialize)]
pub struct ExportSummary {
    /// Files written.
    pub written: Vec<String>,
    /// Applications left out, with the field and the reason.
    pub refused: Vec<(String, String)>,
}

fn io(path: &Path, e: std::io::Error) -> CenterError {
    CenterError::Damaged(format!("{}: {e}", path.display()))
}

/// Writes through a temporary name and syncs, so a receiving system never reads half a file.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), CenterError> {
    let tmp = path.with_extension("partial");
    let mut f = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

/// Every application routed to this center in `status`, with its record.
async fn routed_here(c: &Center, status: &str) -> Result<Vec<(String, Enrollment)>, CenterError> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = c.db().list_documents(&c.id, status, 500, offset).await?;
        if page.is_empty() {
            return Ok(out);
        }
        offset += page.len() as i64;
        for d in page {
            let (record, _, _) = c.enrollment(&d.id).await?;
            out.push((d.id, record));
        }
    }
}

/// The plaintext of the blobs a record refers to (portrait and fingerprints).
async fn blobs_of(c: &Center, e: &Enrollment) -> Result<HashMap<BlobRef, Vec<u8>>, CenterError> {
    let mut refs: Vec<&BlobRef> = e.portrait.iter().map(|p| &p.blob).collect();
    refs.extend(e.fingerprints.values().filter_map(|f| match f {
        FingerSlot::Impression { blob, .. } => Some(blob),
        FingerSlot::Exception { .. } => None,
    }));
    let mut out = HashMap::new();
    for r in refs {
        out.insert(r.clone(), c.blob_plain(&r.0).await?);
    }
    Ok(out)
}

/// The card number of an application: assigned from this center's counter the first time.
async fn card_number(c: &Center, id: &str, prefix: &str) -> Result<String, CenterError> {
    let key = format!("card_number:{id}");
    let mut n = c.db().checkpoint(&key).await?;
    if n == 0 {
        n = c.db().checkpoint("card_number").await? + 1;
        c.db().set_checkpoint("card_number", n).await?;
        c.db().set_checkpoint(&key, n).await?;
    }
    Ok(format!("{prefix}{n:06}"))
}

/// Writes `card-<id>.json.age` for every accepted application routed here.
pub async fn export_cards(
    c: &Center,
    out: &Path,
    recipient: &age::x25519::Recipient,
    issue_date: NaiveDate,
    prefix: &str,
) -> Result<ExportSummary, CenterError> {
    if prefix.is_empty() || prefix.len() > 2 || !prefix.chars().all(|ch| ch.is_ascii_uppercase()) {
        return Err(CenterError::Damaged(format!(
            "prefix: {prefix:?} must be one or two capital letters (a CNIE number is letters then digits)"
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    let mut summary = ExportSummary::default();
    for (id, record) in routed_here(c, "accepted").await? {
        let blobs = blobs_of(c, &record).await?;
        let request = CardRequest {
            document_number: card_number(c, &id, prefix).await?,
            issue_date,
        };
        let card = match qafila_export::personalize(&record, &request, &blobs) {
            Ok(card) => card,
            Err(e) => {
                summary.refused.push((id, e.to_string()));
                continue;
            }
        };
        let doc = json!({
            "application_id": card.application_id,
            "document_number": card.document_number,
            "family_name": card.family_name,
            "given_names": card.given_names,
            "sex": card.sex,
            "birth_date": card.birth_date,
            "birth_place": card.birth_place,
            "birth_place_arabic": card.birth_place_arabic,
            "issue_date": card.issue_date,
            "expiry_date": card.expiry_date,
            "nationality": card.nationality,
            "address": card.address,
            "father": card.father,
            "mother": card.mother,
            "civil_registry_ref": card.civil_registry_ref,
            "mrz": card.mrz.lines,
            "dg2_base64": base64::engine::general_purpose::STANDARD.encode(&card.dg2),
        });
        let plain = serde_json::to_vec_pretty(&doc).map_err(|e| CenterError::Damaged(e.to_string()))?;
        let name = format!("card-{id}.json.age");
        write_durably(
            &out.join(&name),
            &qafila_wire::envelope::encrypt_to(std::slice::from_ref(recipient), &plain)?,
        )?;
        summary.written.push(name);
    }
    Ok(summary)
}

/// Writes `afis-<id>.an2.age` (an ANSI/NIST-ITL 1-2011 transaction) for every accepted application routed here.
pub async fn export_afis(
    c: &Center,
    out: &Path,
    recipient: &age::x25519::Recipient,
    options: &AfisOptions,
) -> Result<ExportSummary, CenterError> {
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    let mut summary = ExportSummary::default();
    for (id, record) in routed_here(c, "accepted").await? {
        let blobs = blobs_of(c, &record).await?;
        match qafila_export::afis_transaction(&record, options, &blobs) {
            Ok(bytes) => {
                let name = format!("afis-{id}.an2.age");
                write_durably(
                    &out.join(&name),
                    &qafila_wire::envelope::encrypt_to(std::slice::from_ref(recipient), &bytes)?,
                )?;
                summary.written.push(name);
            }
            Err(e) => summary.refused.push((id, e.to_string())),
        }
    }
    Ok(summary)
}
