//! Appointment lists (center → van): the citizens booked on the national portal for one drive of one
//! van, with the civil data the portal holds to prefill their enrollment.
//!
//! A list travels sealed like updates ([`Kind::Appointments`]): encrypted to the van's update
//! recipient and signed by the center, with the list's version as the envelope's sequence number.
//! A center answers a pull with a [`pack`] of the sealed lists of every drive not yet ended.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use qafila_domain::{Address, BirthDate, BirthPlace, Sex};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::envelope::{Envelope, Kind, decrypt_with};
use crate::{MAX_ENVELOPE_BYTES, PROTOCOL_VERSION, WireError, cbor};

/// Magic bytes in front of a pack of sealed appointment lists.
pub const PACK_MAGIC: &[u8; 8] = b"QAFILA\x01A";

/// Most lists one pack may hold (a van has a handful of upcoming drives, not hundreds).
pub const MAX_LISTS: usize = 64;

/// Most appointments one list may hold (several days of a van's slots, with room to spare).
pub const MAX_APPOINTMENTS: usize = 5_000;

/// The citizens booked for one drive of one van.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentList {
    /// Protocol version.
    pub v: u16,
    /// The center publishing (checked against the envelope's sender).
    pub center: String,
    /// The van the drive is for.
    pub van_id: String,
    /// The drive's id (as in the record's `application.drive_id`).
    pub drive_id: String,
    /// First day of the drive.
    pub drive_start: NaiveDate,
    /// Last day of the drive: the list is purged everywhere once this day is over.
    pub drive_end: NaiveDate,
    /// When the center published this version.
    pub published_at: DateTime<Utc>,
    /// Version of the drive's list, from 1; a newer version replaces an older one, never the reverse.
    pub version: u64,
    /// The bookings.
    pub appointments: Vec<Appointment>,
}

/// One booking taken on the national portal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Appointment {
    /// The portal's booking reference (unique within a list).
    pub booking: String,
    /// The slot booked, in the drive's local time.
    pub slot: NaiveDateTime,
    /// What the portal knows of the citizen.
    #[serde(default)]
    pub prefill: Prefill,
}

/// A partial civil record: what the citizen typed on the portal, to be checked at the van.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prefill {
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<PartialName>,
    /// Given names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_names: Option<PartialName>,
    /// Sex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<BirthDate>,
    /// Place of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_place: Option<BirthPlace>,
    /// Father's full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub father: Option<PartialName>,
    /// Mother's full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mother: Option<PartialName>,
    /// Current address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Phone number in international form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A name in either script or both (the portal may have only one).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartialName {
    /// Latin script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latin: Option<String>,
    /// Arabic script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arabic: Option<String>,
}

impl AppointmentList {
    /// Encodes as CBOR.
    pub fn to_bytes(&self) -> Vec<u8> {
        cbor::to_vec(self)
    }

    /// Decodes from CBOR (version and size of the list checked).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let p: Self = cbor::from_slice(bytes, "appointment list")?;
        if p.v != PROTOCOL_VERSION {
            return Err(WireError::Version(p.v));
        }
        if p.appointments.len() > MAX_APPOINTMENTS {
            return Err(WireError::TooLarge {
                what: "appointment list",
                size: p.appointments.len(),
                limit: MAX_APPOINTMENTS,
            });
        }
        if p.drive_end < p.drive_start {
            return Err(WireError::Malformed {
                what: "appointment list",
                reason: "the drive ends before it starts".into(),
            });
        }
        Ok(p)
    }
}

impl Envelope {
    /// Seals a center's appointment list for the van it is for.
    pub fn seal_appointments(
        p: &AppointmentList,
        recipient: &age::x25519::Recipient,
        key: &SigningKey,
    ) -> Result<Envelope, WireError> {
        Self::seal(
            Kind::Appointments,
            &p.center,
            p.version,
            &p.to_bytes(),
            std::slice::from_ref(recipient),
            key,
        )
    }

    /// Verifies, decrypts and parses an appointment list from a center.
    pub fn open_appointments(
        &self,
        key: &VerifyingKey,
        identity: &age::x25519::Identity,
    ) -> Result<AppointmentList, WireError> {
        if self.kind != Kind::Appointments {
            return Err(WireError::Malformed {
                what: "envelope",
                reason: "expected an appointment list".into(),
            });
        }
        self.verify(key)?;
        let p = AppointmentList::from_bytes(&decrypt_with(
            std::slice::from_ref(identity),
            &self.ciphertext,
            MAX_ENVELOPE_BYTES,
        )?)?;
        if p.center != self.sender {
            return Err(WireError::Mismatch {
                field: "center",
                inside: p.center,
                outside: self.sender.clone(),
            });
        }
        if p.version != self.seq {
            return Err(WireError::Mismatch {
                field: "version",
                inside: p.version.to_string(),
                outside: self.seq.to_string(),
            });
        }
        Ok(p)
    }
}

/// Several sealed lists in one response: the magic bytes, then a CBOR array of envelopes' wire forms.
pub fn pack(envelopes: &[Vec<u8>]) -> Vec<u8> {
    let items: Vec<serde_bytes::ByteBuf> = envelopes
        .iter()
        .map(|e| serde_bytes::ByteBuf::from(e.clone()))
        .collect();
    let mut out = PACK_MAGIC.to_vec();
    out.extend_from_slice(&cbor::to_vec(&items));
    out
}

/// Splits a pack into its envelopes (size and count bounded; each envelope still to be opened).
pub fn unpack(bytes: &[u8]) -> Result<Vec<Envelope>, WireError> {
    if bytes.len() > MAX_ENVELOPE_BYTES {
        return Err(WireError::TooLarge {
            what: "appointment pack",
            size: bytes.len(),
            limit: MAX_ENVELOPE_BYTES,
        });
    }
    let body = bytes
        .strip_prefix(PACK_MAGIC.as_slice())
        .ok_or(WireError::NotQafila("appointment pack"))?;
    let items: Vec<serde_bytes::ByteBuf> = cbor::from_slice(body, "appointment pack")?;
    if items.len() > MAX_LISTS {
        return Err(WireError::TooLarge {
            what: "appointment pack",
            size: items.len(),
            limit: MAX_LISTS,
        });
    }
    items.iter().map(|b| Envelope::from_bytes(b)).collect()
}
