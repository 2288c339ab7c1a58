//! The enrollment record for the Moroccan electronic ID card (CNIE).
//!
//! Field names are the wire and storage names: they appear in the JSON Schema under `schemas/`,
//! in the automerge document of each enrollment and in validation problems (`civil.family_name.arabic`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Version of the record layout; bumped on any incompatible change.
pub const RECORD_VERSION: u32 = 1;

/// One citizen's application for a CNIE, as captured in a van or at a consulate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Enrollment {
    /// Layout version of this record (currently 1).
    pub record_version: u32,
    /// What is asked for, by whom and where it stands.
    pub application: Application,
    /// The applicant's civil data.
    pub civil: CivilData,
    /// The captured portrait, if any yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portrait: Option<Portrait>,
    /// The ten finger slots, keyed by ISO finger position ("1" to "10").
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "enum": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"] }))]
    pub fingerprints: BTreeMap<FingerPosition, FingerSlot>,
    /// Supporting documents (scans).
    #[serde(default)]
    pub documents: Vec<Document>,
    /// The applicant's consent to the processing of their data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// Who signed the enrollment off.
    #[serde(default)]
    pub sign_off: SignOff,
}

/// An application identifier: a UUIDv7, so ids sort by creation time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApplicationId(pub Uuid);

impl ApplicationId {
    /// A fresh time-ordered id.
    pub fn new_v7() -> Self {
        ApplicationId(Uuid::now_v7())
    }
}

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for ApplicationId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(ApplicationId)
    }
}

impl JsonSchema for ApplicationId {
    fn schema_name() -> Cow<'static, str> {
        "ApplicationId".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A UUIDv7 (time-ordered).",
            "type": "string",
            "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
        })
    }
}

/// The application itself: its kind, where it was taken and its lifecycle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Unique id of the application.
    pub id: ApplicationId,
    /// What the citizen asks for.
    pub kind: ApplicationKind,
    /// Number of the card being renewed, replaced or updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_card: Option<CardNumber>,
    /// Set when the fee is waived (disaster drives), with the decision's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_waiver: Option<FeeWaiver>,
    /// The enrollment drive (a campaign, a disaster response), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drive_id: Option<String>,
    /// The van or consular desk that captured the application.
    pub van_id: String,
    /// The operator who captured it.
    pub operator_id: String,
    /// When the application was created (van clock, UTC).
    pub created_at: DateTime<Utc>,
    /// When it was last changed (van clock, UTC).
    pub updated_at: DateTime<Utc>,
    /// Where it stands in its lifecycle.
    pub status: Status,
}

/// What the citizen asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationKind {
    /// A first CNIE.
    FirstCard,
    /// Renewal of an expiring or expired card.
    Renewal,
    /// Replacement of a lost card.
    ReplacementLoss,
    /// Replacement of a stolen card.
    ReplacementTheft,
    /// Replacement of a damaged card.
    ReplacementDamage,
    /// A new card after a change of civil data or address.
    DataUpdate,
}

impl ApplicationKind {
    /// Whether this kind refers to an existing card.
    pub fn needs_previous_card(self) -> bool {
        !matches!(self, ApplicationKind::FirstCard)
    }
}

/// A CNIE number: one or two Latin capital letters followed by digits (e.g. `BE123456`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CardNumber(pub String);

impl CardNumber {
    /// Whether the number has the CNIE shape: 1–2 letters A–Z then 4–7 digits.
    pub fn is_well_formed(&self) -> bool {
        let s = self.0.as_bytes();
        let letters = s.iter().take_while(|b| b.is_ascii_uppercase()).count();
        let digits = s.len() - letters;
        (1..=2).contains(&letters) && (4..=7).contains(&digits) && s[letters..].iter().all(u8::is_ascii_digit)
    }
}

impl JsonSchema for CardNumber {
    fn schema_name() -> Cow<'static, str> {
        "CardNumber".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A CNIE number: one or two capital letters then 4 to 7 digits.",
            "type": "string",
            "pattern": "^[A-Z]{1,2}[0-9]{4,7}$"
        })
    }
}

/// A fee waiver and the decision that grants it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeWaiver {
    /// Reference of the decision (for example the disaster-response order).
    pub reference: String,
}

/// The lifecycle of an application, from the van to the delivered card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum Status {
    /// Being captured; not all data present yet.
    Draft,
    /// Every item captured and valid; can still be corrected in the van.
    Captured,
    /// Signed off; frozen in the van, waiting to be sent.
    Sealed,
    /// Sent to the issuance centers, no receipt yet.
    Sent,
    /// A center has issued a receipt for it.
    Received,
    /// Accepted for card production.
    Accepted,
    /// Rejected by a center.
    Rejected {
        /// Why, in words the operator can pass on.
        reason: String,
    },
    /// A center asks the van to capture some items again.
    RecaptureRequested {
        /// What to capture again (e.g. `portrait`, `fingerprints.7`).
        items: Vec<String>,
        /// A note from the reviewer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The card is printed.
    CardPrinted,
    /// The card was handed to the citizen.
    Delivered,
}

impl Status {
    /// The state's name as stored and shown (`draft`, `sealed`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Captured => "captured",
            Status::Sealed => "sealed",
            Status::Sent => "sent",
            Status::Received => "received",
            Status::Accepted => "accepted",
            Status::Rejected { .. } => "rejected",
            Status::RecaptureRequested { .. } => "recapture_requested",
            Status::CardPrinted => "card_printed",
            Status::Delivered => "delivered",
        }
    }

    /// Whether the lifecycle allows going from `self` to `next`.
    pub fn can_become(&self, next: &Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (Draft, Captured)
                | (Captured, Captured)
                | (Captured, Sealed)
                | (Sealed, Sent)
                | (Sent, Sent)
                | (Sent, Received)
                | (Received, Accepted)
                | (Received, Rejected { .. })
                | (Received, RecaptureRequested { .. })
                | (RecaptureRequested { .. }, Captured)
                | (Accepted, CardPrinted)
                | (CardPrinted, Delivered)
        )
    }

    /// Whether the van may still change the captured data: until a center has decided on it, a
    /// correction travels as one more change and merges with whatever the centers did meanwhile.
    pub fn is_editable(&self) -> bool {
        matches!(
            self,
            Status::Draft
                | Status::Captured
                | Status::Sealed
                | Status::Sent
                | Status::Received
                | Status::RecaptureRequested { .. }
        )
    }
}

/// A name written in both scripts, as on the card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    /// Latin script (French transcription), e.g. `EL AMRANI`.
    pub latin: String,
    /// Arabic script, e.g. `العمراني`.
    pub arabic: String,
}

/// Sex as recorded in the civil registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
}

/// A date of birth: full, or the year alone where the registry has no exact date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BirthDate {
    /// A full calendar date.
    Full(NaiveDate),
    /// The year only.
    Year(i32),
}

impl BirthDate {
    /// The year of birth.
    pub fn year(&self) -> i32 {
        match self {
            BirthDate::Full(d) => d.year(),
            BirthDate::Year(y) => *y,
        }
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BirthDate::Full(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            BirthDate::Year(y) => write!(f, "{y:04}"),
        }
    }
}

/// Why a text is not a birth date.
#[derive(Debug, thiserror::Error)]
#[error("expected YYYY-MM-DD or YYYY, got {0:?}")]
pub struct BirthDateError(String);

impl FromStr for BirthDate {
    type Err = BirthDateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().map(BirthDate::Year).map_err(|_| BirthDateError(s.into()));
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|_| s.len() == 10)
            .map(BirthDate::Full)
            .ok_or_else(|| BirthDateError(s.into()))
    }
}

impl Serialize for BirthDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BirthDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for BirthDate {
    fn schema_name() -> Cow<'static, str> {
        "BirthDate".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Full date YYYY-MM-DD, or the year YYYY alone where the registry has no exact date.",
            "type": "string",
            "pattern": "^[0-9]{4}(-[0-9]{2}-[0-9]{2})?$"
        })
    }
}

/// A place of birth: a commune of a Moroccan province, or a city abroad.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "in", rename_all = "snake_case", deny_unknown_fields)]
pub enum BirthPlace {
    /// Born in Morocco.
    Morocco {
        /// Province or prefecture code from the master data (e.g. `07-03`).
        province: String,
        /// Commune name.
        commune: String,
    },
    /// Born abroad.
    Abroad {
        /// ISO 3166-1 alpha-2 country code.
        country: String,
        /// City or locality.
        city: String,
    },
}

/// A postal address in Morocco or abroad (consular applicants).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "in", rename_all = "snake_case", deny_unknown_fields)]
pub enum Address {
    /// An address in Morocco.
    Morocco {
        /// Street, number, district.
        line: String,
        /// Commune name.
        commune: String,
        /// Province or prefecture code from the master data.
        province: String,
        /// Five-digit postal code, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        postal_code: Option<String>,
    },
    /// An address abroad.
    Abroad {
        /// Street, number.
        line: String,
        /// City.
        city: String,
        /// ISO 3166-1 alpha-2 country code.
        country: String,
        /// Postal code, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        postal_code: Option<String>,
    },
}

/// The applicant's civil data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CivilData {
    /// Family name in both scripts.
    pub family_name: Bilingual,
    /// Given names in both scripts.
    pub given_names: Bilingual,
    /// Sex.
    pub sex: Sex,
    /// Date of birth.
    pub birth_date: BirthDate,
    /// Place of birth.
    pub birth_place: BirthPlace,
    /// ISO 3166-1 alpha-2 nationality (`MA`).
    pub nationality: String,
    /// Father's full name in both scripts.
    pub father: Bilingual,
    /// Mother's full name in both scripts.
    pub mother: Bilingual,
    /// Current address.
    pub address: Address,
    /// Phone number in international form (`+212...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Civil-registry reference (birth act number / year / office).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub civil_registry_ref: Option<String>,
    /// Height in centimetres, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<u16>,
}

/// A reference to an encrypted blob: the SHA-256 of its plaintext, lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BlobRef(pub String);

impl BlobRef {
    /// Whether this is 64 lowercase hex digits.
    pub fn is_well_formed(&self) -> bool {
        self.0.len() == 64 && self.0.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }
}

impl fmt::Display for BlobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for BlobRef {
    fn schema_name() -> Cow<'static, str> {
        "BlobRef".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "SHA-256 of the blob's plaintext, lowercase hex.",
            "type": "string",
            "pattern": "^[0-9a-f]{64}$"
        })
    }
}

/// The portrait: a blob reference and its quality report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Portrait {
    /// The token-frontal JPEG.
    pub blob: BlobRef,
    /// What the quality analysis found.
    pub quality: QualityReport,
}

/// The result of a quality analysis: each check with its measure and reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityReport {
    /// Whether every check passed.
    pub ok: bool,
    /// The individual checks.
    #[serde(default)]
    pub checks: Vec<QualityCheck>,
    /// Operator who accepted a capture that did not pass, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_by: Option<String>,
}

/// One quality check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityCheck {
    /// Check id (`one_face`, `sharpness`, ...).
    pub id: String,
    /// Whether it passed.
    pub ok: bool,
    /// The measured value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// A reason code the UI turns into an instruction (`move_closer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// ISO/IEC 19794-4 finger positions 1 (right thumb) to 10 (left little finger).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum FingerPosition {
    /// 1: right thumb.
    #[serde(rename = "1")]
    RightThumb,
    /// 2: right index.
    #[serde(rename = "2")]
    RightIndex,
    /// 3: right middle.
    #[serde(rename = "3")]
    RightMiddle,
    /// 4: right ring.
    #[serde(rename = "4")]
    RightRing,
    /// 5: right little.
    #[serde(rename = "5")]
    RightLittle,
    /// 6: left thumb.
    #[serde(rename = "6")]
    LeftThumb,
    /// 7: left index.
    #[serde(rename = "7")]
    LeftIndex,
    /// 8: left middle.
    #[serde(rename = "8")]
    LeftMiddle,
    /// 9: left ring.
    #[serde(rename = "9")]
    LeftRing,
    /// 10: left little.
    #[serde(rename = "10")]
    LeftLittle,
}

impl FingerPosition {
    /// All ten positions in ISO order.
    pub const ALL: [FingerPosition; 10] = [
        FingerPosition::RightThumb,
        FingerPosition::RightIndex,
        FingerPosition::RightMiddle,
        FingerPosition::RightRing,
        FingerPosition::RightLittle,
        FingerPosition::LeftThumb,
        FingerPosition::LeftIndex,
        FingerPosition::LeftMiddle,
        FingerPosition::LeftRing,
        FingerPosition::LeftLittle,
    ];

    /// The ISO number (1–10).
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The position with ISO number `n`, if 1–10.
    pub fn from_number(n: u8) -> Option<Self> {
        Self::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }
}

/// One finger slot: an impression, or the reason there is none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum FingerSlot {
    /// A captured impression.
    Impression {
        /// The WSQ image.
        blob: BlobRef,
        /// Quality score 0–100 (NFIQ 2 when available).
        quality: u8,
        /// Name of the quality algorithm (`nfiq2`, or a fallback's name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quality_algorithm: Option<String>,
        /// Identity of the scanner (make, model, serial).
        device: String,
    },
    /// No impression, and why.
    Exception {
        /// The kind of exception.
        exception: FingerException,
        /// Details in the operator's words.
        reason: String,
    },
}

/// Why a finger has no impression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FingerException {
    /// The finger is missing (congenital).
    Missing,
    /// The finger was amputated.
    Amputated,
    /// The finger is bandaged or injured.
    Bandaged,
    /// Capture failed after the allowed retries.
    UnableToCapture,
}

/// A supporting document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// What the document is.
    pub kind: DocumentKind,
    /// The scanned image or PDF.
    pub blob: BlobRef,
}

/// Kinds of supporting documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Full copy of the birth act.
    BirthCertificate,
    /// Certificate of residence.
    ResidenceCertificate,
    /// The previous card (front and back).
    PreviousCard,
    /// Declaration of loss or theft made to the police.
    LossDeclaration,
    /// Consular registration card.
    ConsularRegistration,
    /// Anything else.
    Other,
}

/// The applicant's consent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Whether consent was given.
    pub given: bool,
    /// When (van clock, UTC).
    pub at: DateTime<Utc>,
}

/// Sign-off by the operator and, optionally, a supervisor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOff {
    /// The operator's sign-off (sealing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Signature>,
    /// The supervisor's approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<Signature>,
}

/// Who signed and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Operator or supervisor id.
    pub by: String,
    /// When (van clock, UTC).
    pub at: DateTime<Utc>,
}
