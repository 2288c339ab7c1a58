//! Why an export was refused: always the record field at fault and the reason.

/// An export that cannot be produced from the record and blobs given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// Cards are personalized only for applications a center has accepted.
    #[error("application.status: the application is {status}, not accepted")]
    NotAccepted {
        /// The application's current state (`received`, `rejected`, ...).
        status: &'static str,
    },
    /// Something the export needs is absent from the record or from the blobs passed in.
    #[error("{field}: missing ({reason})")]
    Missing {
        /// Path of the record field (`portrait`, `fingerprints.7`).
        field: String,
        /// What exactly is missing.
        reason: String,
    },
    /// A value that cannot be exported as it is.
    #[error("{field}: {reason}")]
    Invalid {
        /// Path of the record field or export parameter (`civil.family_name`, `document_number`).
        field: String,
        /// Why it cannot be used.
        reason: String,
    },
}

impl ExportError {
    /// Path of the field at fault, as in validation problems (`civil.given_names`).
    pub fn field(&self) -> &str {
        match self {
            ExportError::NotAccepted { .. } => "application.status",
            ExportError::Missing { field, .. } | ExportError::Invalid { field, .. } => field,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ExportError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn missing(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ExportError::Missing {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
