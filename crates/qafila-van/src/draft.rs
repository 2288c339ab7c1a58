//! An enrollment in progress: the form's partial record plus what was captured, kept encrypted in
//! the store's drafts table after every change, so a crash or power cut loses nothing.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use qafila_domain::{Enrollment, Problem, ProblemCode, QualityReport};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};

/// The captured portrait held by a draft.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PortraitDraft {
    /// The ISO token portrait (JPEG).
    pub jpeg_base64: String,
    /// Its quality report.
    pub quality: QualityReport,
    /// Why the operator kept a frame that failed a check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}

/// One finger of a draft.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FingerDraft {
    /// An accepted impression.
    Impression {
        /// Score 0–100.
        quality: u8,
        /// `nfiq2` or the fallback's name.
        quality_algorithm: String,
        /// The scanner.
        device: String,
        /// WSQ bytes.
        wsq_base64: String,
        /// A small PNG for the hand diagram.
        png_base64: String,
        /// ISO 19794-2 minutiae template, for the drive's duplicate search.
        template_base64: String,
    },
    /// No impression.
    Exception {
        /// Missing, amputated, bandaged, unable to capture.
        exception: qafila_domain::FingerException,
        /// In the operator's words.
        reason: String,
    },
}

/// A supporting document attached to a draft.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DocumentDraft {
    /// The record's document kind.
    pub kind: qafila_domain::DocumentKind,
    /// File name as chosen.
    pub name: String,
    /// The file.
    pub data_base64: String,
}

/// A probable earlier enrollment of the same person in this drive.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DuplicateView {
    /// That enrollment's id.
    pub application_id: String,
    /// Fingers that matched, summed bozorth3 scores.
    pub score: u32,
}

/// The booking a draft was started from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentRef {
    /// The drive.
    pub drive_id: String,
    /// The portal's booking reference.
    pub booking: String,
}

/// The whole draft as stored (encrypted).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DraftState {
    /// The application id the enrollment will get.
    pub id: String,
    /// Application kind.
    pub kind: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last save.
    pub updated_at: DateTime<Utc>,
    /// The partial record: `application` (kind, previous card, fee waiver, drive) and `civil`.
    pub record: Value,
    /// The portrait, once accepted.
    #[serde(default)]
    pub portrait: Option<PortraitDraft>,
    /// Fingers by ISO position "1".."10".
    #[serde(default)]
    pub fingers: BTreeMap<String, FingerDraft>,
    /// Documents.
    #[serde(default)]
    pub documents: Vec<DocumentDraft>,
    /// Duplicate warnings from the last ten-print capture.
    #[serde(default)]
    pub duplicates: Vec<DuplicateView>,
    /// The booking it was started from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment: Option<AppointmentRef>,
}

/// What the UI sees of a draft (documents without their bytes, fingers without WSQ).
#[derive(Clone, Debug, Serialize)]
pub struct DraftView {
    /// Draft id.
    pub id: String,
    /// Application kind.
    pub kind: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last saved.
    pub updated_at: DateTime<Utc>,
    /// The partial record.
    pub record: Value,
    /// The portrait.
    pub portrait: Option<PortraitDraft>,
    /// Fingers.
    pub fingerprints: BTreeMap<String, Value>,
    /// Documents: kind, name, size.
    pub documents: Vec<Value>,
    /// Duplicate warnings.
    pub duplicates: Vec<DuplicateView>,
    /// Every problem left before sealing.
    pub problems: Vec<Problem>,
    /// The booking it was started from, if any.
    pub appointment: Option<AppointmentRef>,
}

/// The list entry of a draft (resume after a crash).
#[derive(Clone, Debug, Serialize)]
pub struct DraftSummary {
    /// Draft id.
    pub id: String,
    /// Application kind.
    pub kind: String,
    /// Latin name so far, or empty.
    pub name: String,
    /// Last saved.
    pub updated_at: DateTime<Utc>,
    /// The wizard step to resume at.
    pub step: String,
}

/// Kinds the wizard offers.
pub const KINDS: [&str; 4] = ["first_card", "renewal", "replacement", "update"];

impl DraftState {
    /// A fresh draft of an application kind.
    pub fn new(kind: &str, now: DateTime<Utc>) -> Result<DraftState> {
        if !KINDS.contains(&kind) {
            return Err(EngineError::bad("kind", format!("must be one of {}", KINDS.join(", "))));
        }
        Ok(DraftState {
            id: qafila_domain::ApplicationId::new_v7().to_string(),
            kind: kind.into(),
            created_at: now,
            updated_at: now,
            record: json!({ "application": { "kind": kind }, "civil": {} }),
            portrait: None,
            fingers: BTreeMap::new(),
            documents: Vec::new(),
            duplicates: Vec::new(),
            appointment: None,
        })
    }

    /// Replaces the form's part of the record; only `application` and `civil` are taken.
    pub fn set_record(&mut self, record: &Value, now: DateTime<Utc>) -> Result<()> {
        let Some(obj) = record.as_object() else {
            return Err(EngineError::bad("record", "must be a JSON object"));
        };
        let mut application = obj.get("application").cloned().unwrap_or_else(|| json!({}));
        if !application.is_object() {
            return Err(EngineError::bad("record.application", "must be an object"));
        }
        let civil = obj.get("civil").cloned().unwrap_or_else(|| json!({}));
        if !civil.is_object() {
            return Err(EngineError::bad("record.civil", "must be an object"));
        }
        if let Some(kind) = application.get("kind").and_then(Value::as_str) {
            if !KINDS.contains(&kind) {
                return Err(EngineError::bad("record.application.kind", "unknown kind"));
            }
            self.kind = kind.into();
        }
        application["kind"] = json!(self.kind);
        self.record = json!({ "application": application, "civil": civil });
        self.updated_at = now;
        Ok(())
    }

    /// The view sent to the UI.
    pub fn view(&self, van_id: &str, operator: &str, today: NaiveDate) -> DraftView {
        let fingerprints = self
            .fingers
            .iter()
            .map(|(k, f)| {
                let v = match f {
                    FingerDraft::Impression {
                        quality,
                        quality_algorithm,
                        png_base64,
                        ..
                    } => json!({"state": "impression", "quality": quality,
                        "quality_algorithm": quality_algorithm, "png_base64": png_base64}),
                    FingerDraft::Exception { exception, reason } => {
                        json!({"state": "exception", "exception": exception, "reason": reason})
                    }
                };
                (k.clone(), v)
            })
            .collect();
        DraftView {
            id: self.id.clone(),
            kind: self.kind.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            record: self.record.clone(),
            portrait: self.portrait.clone(),
            fingerprints,
            documents: self
                .documents
                .iter()
                .map(|d| json!({"kind": d.kind, "name": d.name, "bytes": B64.decode(&d.data_base64).map(|b| b.len()).unwrap_or(0)}))
                .collect(),
            duplicates: self.duplicates.clone(),
            problems: self.problems(van_id, operator, today),
            appointment: self.appointment.clone(),
        }
    }

    /// The list entry.
    pub fn summary(&self) -> DraftSummary {
        let civil = &self.record["civil"];
        let name = format!(
            "{} {}",
            civil["family_name"]["latin"].as_str().unwrap_or(""),
            civil["given_names"]["latin"].as_str().unwrap_or("")
        )
        .trim()
        .to_string();
        let step = if self.fingers.len() == 10 {
            "documents"
        } else if self.portrait.is_some() {
            "fingers"
        } else if civil.as_object().is_some_and(|c| !c.is_empty()) {
            "civil"
        } else {
            "kind"
        };
        DraftSummary {
            id: self.id.clone(),
            kind: self.kind.clone(),
            name,
            updated_at: self.updated_at,
            step: step.into(),
        }
    }

    /// Builds the enrollment record and its blobs (status `captured`, consent as given).
    pub fn compose(
        &self,
        van_id: &str,
        operator: &str,
        consent_at: Option<DateTime<Utc>>,
    ) -> (Value, Vec<Vec<u8>>, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut blobs = Vec::new();
        let mut add_blob = |bytes: Vec<u8>| {
            let sha = hex::encode(Sha256::digest(&bytes));
            blobs.push(bytes);
            sha
        };
        let mut application = self.record["application"].clone();
        application["id"] = json!(self.id);
        application["kind"] = json!(self.kind);
        application["van_id"] = json!(van_id);
        application["operator_id"] = json!(operator);
        application["created_at"] = json!(self.created_at);
        application["updated_at"] = json!(self.updated_at.max(self.created_at));
        application["status"] = json!({"state": "captured"});
        if let Some(a) = application.as_object_mut() {
            // The form keeps empty inputs as empty strings; the record leaves unused options out.
            a.retain(|_, v| !(v.is_null() || v.as_str() == Some("")));
            if a.get("fee_waiver")
                .is_some_and(|w| w["reference"].as_str().unwrap_or("").is_empty())
            {
                a.remove("fee_waiver");
            }
        }
        let civil = skeleton_civil(&self.record["civil"], &mut problems);
        let mut record = json!({
            "record_version": 1,
            "application": application,
            "civil": civil,
            "fingerprints": {},
            "documents": [],
        });
        if let Some(p) = &self.portrait {
            match B64.decode(&p.jpeg_base64) {
                Ok(jpeg) => {
                    let mut quality = p.quality.clone();
                    if let Some(reason) = &p.override_reason {
                        quality.override_by = Some(format!("{operator}: {reason}"));
                    }
                    record["portrait"] = json!({"blob": add_blob(jpeg), "quality": quality});
                }
                Err(_) => problems.push(problem(
                    "portrait",
                    ProblemCode::BadFormat,
                    "damaged portrait in the draft",
                )),
            }
        }
        for (pos, f) in &self.fingers {
            let slot = match f {
                FingerDraft::Impression {
                    quality,
                    quality_algorithm,
                    device,
                    wsq_base64,
                    ..
                } => match B64.decode(wsq_base64) {
                    Ok(wsq) => json!({"state": "impression", "blob": add_blob(wsq), "quality": quality,
                        "quality_algorithm": quality_algorithm, "device": device}),
                    Err(_) => {
                        problems.push(problem(
                            &format!("fingerprints.{pos}"),
                            ProblemCode::BadFormat,
                            "damaged impression in the draft",
                        ));
                        continue;
                    }
                },
                FingerDraft::Exception { exception, reason } => {
                    json!({"state": "exception", "exception": exception, "reason": reason})
                }
            };
            record["fingerprints"][pos] = slot;
        }
        for (i, d) in self.documents.iter().enumerate() {
            match B64.decode(&d.data_base64) {
                Ok(bytes) => {
                    let sha = add_blob(bytes);
                    if let Some(docs) = record["documents"].as_array_mut() {
                        docs.push(json!({"kind": d.kind, "blob": sha}));
                    }
                }
                Err(_) => problems.push(problem(
                    &format!("documents.{i}"),
                    ProblemCode::BadFormat,
                    "damaged document in the draft",
                )),
            }
        }
        if let Some(at) = consent_at {
            record["consent"] = json!({"given": true, "at": at});
        }
        (record, blobs, problems)
    }

    /// Every problem left before this draft can be sealed, each naming its field.
    pub fn problems(&self, van_id: &str, operator: &str, today: NaiveDate) -> Vec<Problem> {
        let (record, _, mut problems) = self.compose(van_id, operator, None);
        match serde_json::from_value::<Enrollment>(record) {
            Ok(e) => problems.extend(qafila_domain::validate(&e, today)),
            Err(e) => problems.push(problem("record", ProblemCode::BadFormat, &e.to_string())),
        }
        if self.portrait.is_none() {
            problems.push(problem("portrait", ProblemCode::Required, "no portrait captured yet"));
        }
        for pos in 1..=10 {
            if !self.fingers.contains_key(&pos.to_string()) {
                problems.push(problem(
                    &format!("fingerprints.{pos}"),
                    ProblemCode::Required,
                    "no impression or exception yet",
                ));
            }
        }
        dedup(problems)
    }
}

fn problem(field: &str, code: ProblemCode, message: &str) -> Problem {
    Problem {
        field: field.into(),
        code,
        message: message.into(),
    }
}

fn dedup(mut problems: Vec<Problem>) -> Vec<Problem> {
    let mut seen = std::collections::BTreeSet::new();
    problems.retain(|p| seen.insert((p.field.clone(), format!("{:?}", p.code))));
    problems
}

/// Fills what the form has not set yet so the record can be checked as a whole: empty names are
/// then reported by the domain's own validation, and choices not yet made (sex, date, places) as
/// `required` here, with a neutral stand-in so the rest is still checked.
fn skeleton_civil(civil: &Value, problems: &mut Vec<Problem>) -> Value {
    let mut c = civil.as_object().cloned().unwrap_or_default();
    c.retain(|_, v| !v.is_null());
    for key in ["phone", "civil_registry_ref", "height_cm"] {
        if c.get(key).is_some_and(|v| v.as_str() == Some("")) {
            c.remove(key);
        }
    }
    for key in ["family_name", "given_names", "father", "mother"] {
        let entry = c.entry(key).or_insert_with(|| json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        for script in ["latin", "arabic"] {
            if !entry[script].is_string() {
                entry[script] = json!("");
            }
        }
    }
    if !c.get("nationality").is_some_and(Value::is_string) {
        c.insert("nationality".into(), json!(""));
    }
    let mut stand_in = |key: &str, value: Value| {
        let missing = match c.get(key) {
            None => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Object(o)) => !o.contains_key("in"),
            Some(_) => false,
        };
        if missing {
            problems.push(problem(&format!("civil.{key}"), ProblemCode::Required, "not filled in"));
            c.insert(key.into(), value);
        }
    };
    stand_in("sex", json!("female"));
    stand_in("birth_date", json!("2000"));
    stand_in("birth_place", json!({"in": "morocco", "province": "", "commune": ""}));
    stand_in(
        "address",
        json!({"in": "morocco", "line": "", "commune": "", "province": ""}),
    );
    // A date the form holds half-typed is reported here rather than as a deserialization failure.
    if let Some(d) = c.get("birth_date").and_then(Value::as_str)
        && d.parse::<qafila_domain::BirthDate>().is_err()
    {
        problems.push(problem(
            "civil.birth_date",
            ProblemCode::BadFormat,
            "expected YYYY-MM-DD, or the year YYYY alone",
        ));
        c.insert("birth_date".into(), json!("2000"));
    }
    if let Some(h) = c.get("height_cm")
        && h.as_u64().is_none_or(|h| h > u64::from(u16::MAX))
    {
        problems.push(problem(
            "civil.height_cm",
            ProblemCode::BadFormat,
            "a number of centimetres",
        ));
        c.remove("height_cm");
    }
    Value::Object(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()
    }

    #[test]
    fn an_empty_draft_names_every_missing_field() {
        let d = DraftState::new("first_card", Utc::now()).expect("draft");
        let problems = d.problems("VAN-1", "OP-1", today());
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        for f in [
            "civil.family_name.latin",
            "civil.family_name.arabic",
            "civil.sex",
            "civil.birth_date",
            "civil.birth_place",
            "civil.address",
            "portrait",
            "fingerprints.1",
            "fingerprints.10",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn a_half_typed_date_is_a_format_problem_not_a_failure() {
        let mut d = DraftState::new("first_card", Utc::now()).expect("draft");
        d.set_record(&json!({"civil": {"birth_date": "19"}}), Utc::now())
            .expect("set");
        let problems = d.problems("VAN-1", "OP-1", today());
        assert!(
            problems
                .iter()
                .any(|p| p.field == "civil.birth_date" && p.code == ProblemCode::BadFormat)
        );
    }

    #[test]
    fn a_complete_sample_composes_to_a_valid_record() {
        let e = qafila_domain::sample::applicant(3, "VAN-1", "OP-1", Utc::now());
        let mut d = DraftState::new("first_card", Utc::now()).expect("draft");
        let full = serde_json::to_value(&e).expect("json");
        d.set_record(
            &json!({"application": {"kind": full["application"]["kind"]}, "civil": full["civil"]}),
            Utc::now(),
        )
        .expect("set");
        d.portrait = Some(PortraitDraft {
            jpeg_base64: B64.encode(b"jpeg"),
            quality: QualityReport {
                ok: true,
                checks: vec![],
                override_by: None,
            },
            override_reason: None,
        });
        for pos in 1..=10 {
            d.fingers.insert(
                pos.to_string(),
                FingerDraft::Exception {
                    exception: qafila_domain::FingerException::Bandaged,
                    reason: "test".into(),
                },
            );
        }
        let problems = d.problems("VAN-1", "OP-1", today());
        let civil: Vec<_> = problems.iter().filter(|p| p.field.starts_with("civil")).collect();
        assert!(civil.is_empty(), "{civil:?}");
        let (record, blobs, _) = d.compose("VAN-1", "OP-1", Some(Utc::now()));
        assert_eq!(blobs.len(), 1);
        let parsed: Enrollment = serde_json::from_value(record).expect("record");
        assert_eq!(parsed.application.id.to_string(), d.id);
    }
}
