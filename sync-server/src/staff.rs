//! Staff accounts, sessions and roles for the dashboard. Passwords are hashed with Argon2id; a
//! session is a random token in an HttpOnly cookie (only its SHA-256 is stored) with a CSRF token
//! the dashboard echoes in a header on every change.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};

use crate::db::{CenterDb, DbError, SessionRecord, StaffRecord};

/// What a staff member may do. Each role includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees the fleet, queues and applications.
    Viewer,
    /// Also accepts, rejects and asks for recaptures.
    Reviewer,
    /// Also manages vans, staff and appointments.
    Administrator,
}

impl Role {
    /// Parses `viewer`, `reviewer` or `administrator`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "reviewer" => Some(Role::Reviewer),
            "administrator" | "admin" => Some(Role::Administrator),
            _ => None,
        }
    }

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Reviewer => "reviewer",
            Role::Administrator => "administrator",
        }
    }
}

/// How long a session lasts without signing in again.
pub const SESSION_HOURS: i64 = 10;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// Why a staff operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// Wrong id or password (deliberately not saying which).
    #[error("wrong staff id or password")]
    BadCredentials,
    /// No session, or it ended.
    #[error("not signed in, or the session ended: sign in again")]
    NoSession,
    /// The CSRF header is missing or wrong.
    #[error("the request lacks this session's CSRF token: reload the page")]
    Csrf,
    /// The role does not allow it.
    #[error("your role ({have}) cannot do this; it needs {need}")]
    Forbidden {
        /// The staff member's role.
        have: &'static str,
        /// The role needed.
        need: &'static str,
    },
    /// Invalid account data.
    #[error("{field}: {reason}")]
    Invalid {
        /// Field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A signed-in staff member.
#[derive(Clone, Debug)]
pub struct Session {
    /// The staff member.
    pub staff: StaffRecord,
    /// Their role.
    pub role: Role,
    /// The session row.
    pub record: SessionRecord,
}

impl Session {
    /// Fails unless the role is at least `need`.
    pub fn require(&self, need: Role) -> Result<(), StaffError> {
        if self.role >= need {
            Ok(())
        } else {
            Err(StaffError::Forbidden {
                have: self.role.name(),
                need: need.name(),
            })
        }
    }
}

fn random_hex(bytes: usize) -> Result<String, StaffError> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| StaffError::Db(DbError::Backend(format!("random: {e}"))))?;
    Ok(hex::encode(b))
}

/// SHA-256 of a session token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with Argon2id (the crate's default parameters: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, StaffError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(StaffError::Invalid {
            field: "password",
            reason: format!("at least {MIN_PASSWORD} characters"),
        });
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| StaffError::Db(DbError::Backend(format!("random: {e}"))))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| StaffError::Invalid {
        field: "password",
        reason: e.to_string(),
    })?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StaffError::Invalid {
            field: "password",
            reason: e.to_string(),
        })
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Creates or updates a staff account (a new password ends the member's sessions).
pub async fn put_staff(
    db: &dyn CenterDb,
    id: &str,
    display_name: &str,
    role: &str,
    password: &str,
) -> Result<StaffRecord, StaffError> {
    let valid_id = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid_id {
        return Err(StaffError::Invalid {
            field: "id",
            reason: "1 to 64 letters, digits, '-', '_' or '.'".into(),
        });
    }
    let role = Role::parse(role).ok_or_else(|| StaffError::Invalid {
        field: "role",
        reason: format!("{role:?} is not viewer, reviewer or administrator"),
    })?;
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(StaffError::Invalid {
            field: "display_name",
            reason: "1 to 100 characters".into(),
        });
    }
    let created_at = db
        .staff(id)
        .await?
        .map(|s| s.created_at)
        .unwrap_or_else(|| Utc::now().to_rfc3339());
    let record = StaffRecord {
        id: id.into(),
        display_name: name.into(),
        role: role.name().into(),
        password_hash: hash_password(password)?,
        created_at,
        disabled_at: None,
    };
    db.put_staff(&record).await?;
    db.delete_sessions_of(id).await?;
    Ok(record)
}

/// Checks a password and opens a session; returns the cookie token and the session.
pub async fn login(db: &dyn CenterDb, id: &str, password: &str) -> Result<(String, Session), StaffError> {
    let Some(staff) = db.staff(id).await? else {
        // Hash anyway so that an unknown id takes as long as a wrong password.
        let _ = verify_password(dummy_hash(), password);
        return Err(StaffError::BadCredentials);
    };
    if staff.disabled_at.is_some() || !verify_password(&staff.password_hash, password) {
        return Err(StaffError::BadCredentials);
    }
    let role = Role::parse(&staff.role).ok_or(StaffError::BadCredentials)?;
    let token = random_hex(32)?;
    let now = Utc::now();
    let record = SessionRecord {
        token_hash: token_hash(&token),
        staff_id: staff.id.clone(),
        csrf: random_hex(16)?,
        created_at: now.to_rfc3339(),
        expires_at: (now + Duration::hours(SESSION_HOURS)).to_rfc3339(),
    };
    db.put_session(&record).await?;
    Ok((token, Session { staff, role, record }))
}

/// The live session of a cookie token.
pub async fn session(db: &dyn CenterDb, token: &str) -> Result<Session, StaffError> {
    let record = db.session(&token_hash(token)).await?.ok_or(StaffError::NoSession)?;
    let expired = chrono::DateTime::parse_from_rfc3339(&record.expires_at)
        .map(|t| t < Utc::now())
        .unwrap_or(true);
    if expired {
        return Err(StaffError::NoSession);
    }
    let staff = db.staff(&record.staff_id).await?.ok_or(StaffError::NoSession)?;
    if staff.disabled_at.is_some() {
        return Err(StaffError::NoSession);
    }
    let role = Role::parse(&staff.role).ok_or(StaffError::NoSession)?;
    Ok(Session { staff, role, record })
}

/// Ends a session (and sweeps expired ones).
pub async fn logout(db: &dyn CenterDb, token: &str) -> Result<(), StaffError> {
    db.delete_session(&token_hash(token), &Utc::now().to_rfc3339()).await?;
    Ok(())
}

/// Disables an account and ends its sessions.
pub async fn disable(db: &dyn CenterDb, id: &str) -> Result<(), StaffError> {
    let mut s = db.staff(id).await?.ok_or_else(|| StaffError::Invalid {
        field: "id",
        reason: format!("no staff member {id:?}"),
    })?;
    s.disabled_at = Some(Utc::now().to_rfc3339());
    db.put_staff(&s).await?;
    db.delete_sessions_of(id).await?;
    Ok(())
}

/// A real Argon2id hash of a throwaway password, so that an unknown id costs one verification too.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Administrator > Role::Reviewer && Role::Reviewer > Role::Viewer);
        assert_eq!(Role::parse("reviewer"), Some(Role::Reviewer));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse batterY"));
        assert!(matches!(
            hash_password("short"),
            Err(StaffError::Invalid { field: "password", .. })
        ));
    }
}
