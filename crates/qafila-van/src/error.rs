//! Engine errors, each with a stable code the UI maps to a translated instruction.

use qafila_domain::Problem;
use qafila_store::StoreError;
use serde::Serialize;

/// Everything that can go wrong in the van engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A command needs an unlocked van.
    #[error("the van is locked: log in again")]
    Locked,
    /// The store refused or failed; nothing stored was changed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Freeze rules block new enrollments until a sync.
    #[error("new enrollments are blocked until the van syncs: {0}")]
    Frozen(String),
    /// No such draft on this van.
    #[error("no draft {0} on this van")]
    NoDraft(String),
    /// The camera could not be opened or stopped delivering frames.
    #[error("camera: {0}")]
    Camera(String),
    /// The fingerprint scanner is absent, hung or answered badly.
    #[error("fingerprint scanner: {0}")]
    Scanner(String),
    /// A capture or sync is already running.
    #[error("a {0} is already running: wait for it to finish")]
    Busy(&'static str),
    /// The centers could not be reached, or refused.
    #[error("sync: {0}")]
    Sync(String),
    /// An argument from the UI is wrong; names the field and the reason.
    #[error("{field}: {reason}")]
    BadInput {
        /// The argument or field.
        field: String,
        /// Why it is wrong.
        reason: String,
    },
    /// A file (settings, USB folder, receipt) could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// Which file and what was being done.
        what: String,
        /// The system's error.
        source: std::io::Error,
    },
    /// Capture processing failed (image decoding, WSQ, templates).
    #[error("capture: {0}")]
    Capture(String),
}

/// Result of an engine call.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// What the UI receives when a command fails.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorPayload {
    /// Stable code (see docs/DESKTOP-API.md).
    pub code: &'static str,
    /// English text for logs and developers; the UI translates by code.
    pub message: String,
    /// The field concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem of an invalid record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<Problem>>,
}

impl EngineError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Locked => "locked",
            EngineError::Frozen(_) => "frozen",
            EngineError::NoDraft(_) => "not_found",
            EngineError::Camera(_) => "camera",
            EngineError::Scanner(_) => "scanner",
            EngineError::Busy(_) => "busy",
            EngineError::Sync(_) => "sync",
            EngineError::BadInput { .. } => "bad_input",
            EngineError::Io { .. } => "io",
            EngineError::Capture(_) => "capture",
            EngineError::Store(e) => match e {
                StoreError::WrongPassphrase(_) => "wrong_passphrase",
                StoreError::UnknownOperator(_) => "unknown_operator",
                StoreError::NotAllowed { .. } => "not_allowed",
                StoreError::Invalid(_) => "invalid",
                StoreError::NotFound(_) | StoreError::Purged { .. } => "not_found",
                StoreError::WrongStatus { .. } => "wrong_status",
                StoreError::DiskFull => "disk_full",
                StoreError::Io(_) => "io",
                _ => "storage",
            },
        }
    }

    /// The payload sent to the UI.
    pub fn payload(&self) -> ErrorPayload {
        let (field, problems) = match self {
            EngineError::BadInput { field, .. } => (Some(field.clone()), None),
            EngineError::Store(StoreError::Invalid(p)) => (p.first().map(|p| p.field.clone()), Some(p.clone())),
            _ => (None, None),
        };
        ErrorPayload {
            code: self.code(),
            message: self.to_string(),
            field,
            problems,
        }
    }

    pub(crate) fn bad(field: &str, reason: impl Into<String>) -> Self {
        EngineError::BadInput {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<qafila_capture::CaptureError> for EngineError {
    fn from(e: qafila_capture::CaptureError) -> Self {
        EngineError::Capture(e.to_string())
    }
}
