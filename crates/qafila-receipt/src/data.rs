//! What a receipt shows: a small plain struct the engine fills from an enrollment.

use chrono::{DateTime, Utc};
use qafila_domain::{ApplicationId, ApplicationKind, Bilingual, BirthDate, Enrollment, Status};

use crate::claims::{ReceiptClaims, initials};
use crate::error::ReceiptError;

/// The fields printed on a citizen's receipt.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiptData {
    /// The application.
    pub application_id: ApplicationId,
    /// What was applied for.
    pub kind: ApplicationKind,
    /// When the citizen was enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// The van or consular desk.
    pub van_id: String,
    /// The enrollment drive, if any.
    pub drive_id: Option<String>,
    /// The operator who enrolled the citizen.
    pub operator_id: String,
    /// Family name in both scripts.
    pub family_name: Bilingual,
    /// Given names in both scripts.
    pub given_names: Bilingual,
    /// Date of birth (printed on the paper, never put in the QR code).
    pub birth_date: BirthDate,
}

impl ReceiptData {
    /// The receipt of a sealed enrollment; refuses drafts and captures not yet signed off, whose data
    /// can still change.
    pub fn from_enrollment(e: &Enrollment) -> Result<Self, ReceiptError> {
        let app = &e.application;
        if matches!(app.status, Status::Draft | Status::Captured) {
            return Err(ReceiptError::NotSealed {
                id: app.id.to_string(),
                status: app.status.name(),
            });
        }
        Ok(ReceiptData {
            application_id: app.id,
            kind: app.kind,
            enrolled_at: app.created_at,
            van_id: app.van_id.clone(),
            drive_id: app.drive_id.clone(),
            operator_id: app.operator_id.clone(),
            family_name: e.civil.family_name.clone(),
            given_names: e.civil.given_names.clone(),
            birth_date: e.civil.birth_date,
        })
    }

    /// What the QR code states about this receipt.
    pub fn claims(&self) -> ReceiptClaims {
        ReceiptClaims {
            application_id: self.application_id,
            van_id: self.van_id.clone(),
            enrolled_at: self.enrolled_at,
            kind: self.kind,
            initials: initials(&self.family_name.latin, &self.given_names.latin),
        }
    }
}
