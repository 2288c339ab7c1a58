//! Store errors, each with a stable code the UI branches on and a message that says what to do.

use qafila_domain::Problem;

/// Everything that can go wrong in the van's store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No store at that place: `qafila van init` creates one.
    #[error("no van store in {0}: run `qafila van init` first")]
    NotInitialised(String),
    /// A store already exists there.
    #[error("a van store already exists in {0}; refusing to overwrite it")]
    AlreadyInitialised(String),
    /// The operator is not enrolled on this van.
    #[error("operator {0:?} is not enrolled on this van")]
    UnknownOperator(String),
    /// The operator exists already.
    #[error("operator {0:?} is already enrolled on this van")]
    OperatorExists(String),
    /// The last operator cannot be removed: nobody could unlock the van.
    #[error("operator {0:?} is the last one able to unlock this van and cannot be removed")]
    LastOperator(String),
    /// The passphrase does not unlock the store key.
    #[error("wrong passphrase for operator {0:?}")]
    WrongPassphrase(String),
    /// The passphrase is too short to protect the van.
    #[error("the passphrase must have at least {0} characters")]
    WeakPassphrase(usize),
    /// The action needs a role the operator does not have.
    #[error("operator {operator:?} is not allowed to {action}: a supervisor must do it")]
    NotAllowed {
        /// Who tried.
        operator: String,
        /// What they tried.
        action: &'static str,
    },
    /// The record fails validation; nothing was stored.
    #[error("the enrollment is not valid, nothing was stored: {}", list(.0))]
    Invalid(Vec<Problem>),
    /// No enrollment with that id.
    #[error("no enrollment {0}")]
    NotFound(String),
    /// The enrollment's personal data left the van after the centers' receipt.
    #[error("enrollment {id} was delivered to the centers and its personal data purged from this van on {at}")]
    Purged {
        /// Enrollment id.
        id: String,
        /// When it was purged.
        at: String,
    },
    /// A center is not configured, or a receipt or update names an unknown center.
    #[error("unknown issuance center {0:?}: add it with `qafila center add`")]
    UnknownCenter(String),
    /// No center is configured, so nothing can be encrypted for them.
    #[error("no issuance center is configured: add the centers' keys with `qafila center add`")]
    NoCenters,
    /// A message from a center failed its checks.
    #[error("refused message from a center: {0}")]
    Wire(#[from] qafila_wire::WireError),
    /// The enrollment's status forbids the change.
    #[error("enrollment {id} is {status}: {what}")]
    WrongStatus {
        /// Enrollment id.
        id: String,
        /// Its current status.
        status: String,
        /// What was refused.
        what: &'static str,
    },
    /// A blob the record refers to was not given.
    #[error("the record refers to blob {0} ({1}) but no such file was given")]
    MissingBlob(String, String),
    /// Stored data failed its integrity check (flipped bytes, swapped rows, a wrong key).
    #[error(
        "stored {what} {id} is damaged (integrity check failed); other records are unaffected. Restore it from the centers or a backup"
    )]
    Corrupt {
        /// Which kind of item.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The database file itself is unreadable.
    #[error(
        "the van database is damaged or truncated ({0}); do not delete it: restore from the last backup or ask the center"
    )]
    DatabaseDamaged(String),
    /// The disk (or the store's size limit) is full; the transaction was rolled back.
    #[error(
        "the van's disk is full: nothing was stored and earlier enrollments are intact. Sync to purge sent enrollments or free space, then retry"
    )]
    DiskFull,
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// The van key was asked to sign something that is not a citizen's receipt code.
    #[error("refused to sign: not a citizen receipt message (it must start with qafila/citizen-receipt/v1)")]
    NotAReceipt,
    /// Another handle rotated the van's key while this one was signing with the old key; nothing was stored.
    #[error("the van's signing key was rotated while this was being signed; nothing was stored: do it again")]
    KeyRotated,
    /// Encryption failed.
    #[error("encryption failed: {0}")]
    Crypto(String),
    /// An enrollment document could not be built or read.
    #[error(transparent)]
    Doc(#[from] qafila_doc::DocError),
    /// File-system error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl StoreError {
    /// A stable machine-readable code (`wrong_passphrase`, `disk_full`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotInitialised(_) => "not_initialised",
            StoreError::AlreadyInitialised(_) => "already_initialised",
            StoreError::UnknownOperator(_) => "unknown_operator",
            StoreError::OperatorExists(_) => "operator_exists",
            StoreError::LastOperator(_) => "last_operator",
            StoreError::WrongPassphrase(_) => "wrong_passphrase",
            StoreError::WeakPassphrase(_) => "weak_passphrase",
            StoreError::NotAllowed { .. } => "not_allowed",
            StoreError::Invalid(_) => "invalid_record",
            StoreError::NotFound(_) => "not_found",
            StoreError::WrongStatus { .. } => "wrong_status",
            StoreError::Purged { .. } => "purged",
            StoreError::UnknownCenter(_) => "unknown_center",
            StoreError::NoCenters => "no_centers",
            StoreError::Wire(e) => e.code(),
            StoreError::MissingBlob(..) => "missing_blob",
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::DatabaseDamaged(_) => "database_damaged",
            StoreError::DiskFull => "disk_full",
            StoreError::Sqlite(_) => "database",
            StoreError::NotAReceipt => "not_a_receipt",
            StoreError::KeyRotated => "key_rotated",
            StoreError::Crypto(_) => "crypto",
            StoreError::Doc(_) => "document",
            StoreError::Io(_) => "io",
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        // With no space left, opening the database fails before any write: SQLite cannot size the WAL's
        // shared-memory file and reports an I/O error rather than SQLITE_FULL.
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && f.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE
        {
            return StoreError::DiskFull;
        }
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::DiskFull,
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::DatabaseDamaged(e.to_string()),
            _ => StoreError::Sqlite(e),
        }
    }
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
