//! What the QR code states, and its compact binary form.
//!
//! Layout (all integers big-endian), chosen over CBOR because a fixed order of fixed-width fields is
//! canonical by construction and keeps the QR code small enough to scan from thermal paper:
//!
//! | bytes | field |
//! | --- | --- |
//! | 16 | application id (UUID) |
//! | 8 | enrolled at, Unix seconds (i64) |
//! | 1 | application kind (1 = first card … 6 = data update) |
//! | 1 + n | van id, UTF-8, n = 1..=64 |
//! | 1 + n | name initials, `A`–`Z` and spaces, n = 0..=16 |
//!
//! Only initials of the name travel: the paper is the citizen's, but a QR code is read by machines
//! that have no business collecting full names or birth dates.

use chrono::{DateTime, Utc};
use qafila_domain::{ApplicationId, ApplicationKind};
use uuid::Uuid;

use crate::error::ReceiptError;

/// Longest van id, in bytes, a receipt carries.
pub const MAX_VAN_ID_BYTES: usize = 64;
/// Longest initials string.
pub const MAX_INITIALS: usize = 16;

/// The facts a receipt's QR code vouches for, signed by the van.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptClaims {
    /// The application.
    pub application_id: ApplicationId,
    /// The van (or consular desk) that enrolled it, and whose key signed.
    pub van_id: String,
    /// When the citizen was enrolled, to the second.
    pub enrolled_at: DateTime<Utc>,
    /// What was applied for.
    pub kind: ApplicationKind,
    /// Initials of the Latin family then given names, e.g. `EI Y` for EL IDRISSI YOUSSEF.
    pub initials: String,
}

/// Initials of a name as the claims carry them: the first letter of each word of the family
/// names, a space, the first letter of each word of the given names.
pub fn initials(family_latin: &str, given_latin: &str) -> String {
    let first_letters = |s: &str| -> String {
        s.split(|c: char| c.is_whitespace() || c == '-' || c == '\'')
            .filter_map(|w| w.chars().next())
            .filter_map(ascii_letter)
            .collect()
    };
    let mut out = first_letters(family_latin);
    let given = first_letters(given_latin);
    if !out.is_empty() && !given.is_empty() {
        out.push(' ');
    }
    out.push_str(&given);
    out.chars()
        .take(MAX_INITIALS)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// The uppercase ASCII letter a Latin letter is written with on the card (É → E), if any.
fn ascii_letter(c: char) -> Option<char> {
    let base = match c {
        'À'..='Å' | 'à'..='å' => 'A',
        'Ç' | 'ç' => 'C',
        'È'..='Ë' | 'è'..='ë' => 'E',
        'Ì'..='Ï' | 'ì'..='ï' => 'I',
        'Ò'..='Ö' | 'ò'..='ö' => 'O',
        'Ù'..='Ü' | 'ù'..='ü' => 'U',
        c => c,
    };
    base.is_ascii_alphabetic().then(|| base.to_ascii_uppercase())
}

fn kind_code(kind: ApplicationKind) -> u8 {
    match kind {
        ApplicationKind::FirstCard => 1,
        ApplicationKind::Renewal => 2,
        ApplicationKind::ReplacementLoss => 3,
        ApplicationKind::ReplacementTheft => 4,
        ApplicationKind::ReplacementDamage => 5,
        ApplicationKind::DataUpdate => 6,
    }
}

fn kind_from_code(code: u8) -> Option<ApplicationKind> {
    Some(match code {
        1 => ApplicationKind::FirstCard,
        2 => ApplicationKind::Renewal,
        3 => ApplicationKind::ReplacementLoss,
        4 => ApplicationKind::ReplacementTheft,
        5 => ApplicationKind::ReplacementDamage,
        6 => ApplicationKind::DataUpdate,
        _ => return None,
    })
}

fn check_van_id(van_id: &str) -> Result<(), &'static str> {
    if van_id.is_empty() {
        return Err("empty");
    }
    if van_id.len() > MAX_VAN_ID_BYTES {
        return Err("longer than 64 bytes");
    }
    if van_id.chars().any(char::is_control) {
        return Err("contains control characters");
    }
    Ok(())
}

fn check_initials(initials: &str) -> Result<(), &'static str> {
    if initials.len() > MAX_INITIALS {
        return Err("longer than 16 characters");
    }
    if !initials.bytes().all(|b| b.is_ascii_uppercase() || b == b' ') {
        return Err("only A-Z and spaces are allowed");
    }
    Ok(())
}

impl ReceiptClaims {
    /// The binary form that is signed and carried in the QR code.
    ///
    /// Sub-second precision of `enrolled_at` is dropped.
    pub fn encode(&self) -> Result<Vec<u8>, ReceiptError> {
        check_van_id(&self.van_id).map_err(|reason| ReceiptError::BadField {
            field: "van_id",
            reason: reason.into(),
        })?;
        check_initials(&self.initials).map_err(|reason| ReceiptError::BadField {
            field: "initials",
            reason: reason.into(),
        })?;
        let mut out = Vec::with_capacity(27 + self.van_id.len() + self.initials.len());
        out.extend_from_slice(self.application_id.0.as_bytes());
        out.extend_from_slice(&self.enrolled_at.timestamp().to_be_bytes());
        out.push(kind_code(self.kind));
        for s in [&self.van_id, &self.initials] {
            // Both lengths were bounded above, far below 256.
            out.push(s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
        Ok(out)
    }

    /// Reads the binary form back, naming the field where it goes wrong.
    pub fn decode(bytes: &[u8]) -> Result<Self, ReceiptError> {
        let mut r = Reader(bytes);
        let id: [u8; 16] = r.take_array("application_id")?;
        let secs = i64::from_be_bytes(r.take_array("enrolled_at")?);
        let enrolled_at = DateTime::from_timestamp(secs, 0).ok_or(ReceiptError::BadPayloadField {
            field: "enrolled_at",
            reason: "outside the representable dates",
        })?;
        let [code] = r.take_array("kind")?;
        let kind = kind_from_code(code).ok_or(ReceiptError::BadPayloadField {
            field: "kind",
            reason: "unknown application kind code",
        })?;
        let van_id = r.take_str("van_id")?;
        check_van_id(&van_id).map_err(|reason| ReceiptError::BadPayloadField {
            field: "van_id",
            reason,
        })?;
        let initials = r.take_str("initials")?;
        check_initials(&initials).map_err(|reason| ReceiptError::BadPayloadField {
            field: "initials",
            reason,
        })?;
        if !r.0.is_empty() {
            return Err(ReceiptError::TrailingBytes { extra: r.0.len() });
        }
        Ok(ReceiptClaims {
            application_id: ApplicationId(Uuid::from_bytes(id)),
            van_id,
            enrolled_at,
            kind,
            initials,
        })
    }
}

/// A cursor over the payload that names the field it was reading when the bytes ran out.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&[u8], ReceiptError> {
        if self.0.len() < n {
            return Err(ReceiptError::Truncated { field });
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn take_array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ReceiptError> {
        let bytes = self.take(N, field)?;
        bytes.try_into().map_err(|_| ReceiptError::Truncated { field })
    }

    fn take_str(&mut self, field: &'static str) -> Result<String, ReceiptError> {
        let [len] = self.take_array(field)?;
        let bytes = self.take(usize::from(len), field)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| ReceiptError::BadPayloadField {
            field,
            reason: "not UTF-8",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_first_letters_family_first() {
        assert_eq!(initials("EL IDRISSI", "YOUSSEF"), "EI Y");
        assert_eq!(initials("AIT BAHA", "FATIMA ZAHRA"), "AB FZ");
        assert_eq!(initials("Ouazzani-Touhami", "Émilie"), "OT E");
        assert_eq!(initials("", ""), "");
        assert_eq!(initials("بناني", "NADIA"), "N");
    }

    #[test]
    fn encode_refuses_overlong_van_id() {
        let c = ReceiptClaims {
            application_id: ApplicationId(Uuid::nil()),
            van_id: "V".repeat(65),
            enrolled_at: DateTime::UNIX_EPOCH,
            kind: ApplicationKind::Renewal,
            initials: "A".into(),
        };
        let err = c.encode().unwrap_err();
        assert!(matches!(err, ReceiptError::BadField { field: "van_id", .. }), "{err}");
    }
}
