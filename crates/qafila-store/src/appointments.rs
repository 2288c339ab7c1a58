//! Appointment lists pulled from the centers: kept encrypted under the store key, one per drive (a
//! newer version replaces an older one, never the reverse), and purged once the drive is over —
//! when the van syncs and whenever the store is opened, even locked.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use qafila_wire::AppointmentList;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::journal::Action;
use crate::van::Van;

/// A drive's list as the van holds it, with the bookings already started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldList {
    /// The list as the center signed it.
    pub list: AppointmentList,
    /// Booking reference → the draft started from it.
    #[serde(default)]
    pub used: BTreeMap<String, String>,
}

/// Deletes the lists of drives that ended before `today`; returns how many. Needs no key: the
/// drive's dates are in clear for this reason. Not journaled, since a locked store cannot sign;
/// [`Van::purge_appointments`] journals the purges it makes.
pub(crate) fn purge_ended(conn: &Connection, today: NaiveDate) -> Result<usize> {
    Ok(conn.execute(
        "DELETE FROM appointment_lists WHERE drive_end < ?1",
        [today.to_string()],
    )?)
}

impl Van {
    /// Verifies and stores the appointment lists a center sent (a pack of sealed lists); returns
    /// how many were new or replaced an older version. Lists of ended drives are dropped.
    pub fn apply_appointments(&mut self, pack: &[u8]) -> Result<usize> {
        let envelopes = qafila_wire::appointments::unpack(pack)?;
        let van_id = self.van_id()?;
        let today = Utc::now().date_naive();
        let identity = self.update_identity()?;
        let mut stored = 0;
        for env in envelopes {
            let key = self.center_key(&env.sender)?;
            let list = env.open_appointments(&key, &identity)?;
            if list.van_id != van_id {
                return Err(StoreError::Wire(qafila_wire::WireError::Mismatch {
                    field: "van_id",
                    inside: list.van_id,
                    outside: van_id,
                }));
            }
            if list.drive_end < today {
                continue;
            }
            let held = self.held_list(&list.drive_id)?;
            if held.as_ref().is_some_and(|h| h.list.version >= list.version) {
                continue;
            }
            // A booking already started stays started in the new version of the list.
            let used = held
                .map(|h| h.used)
                .unwrap_or_default()
                .into_iter()
                .filter(|(b, _)| list.appointments.iter().any(|a| &a.booking == b))
                .collect();
            let drive = list.drive_id.clone();
            let detail = format!("{} v{}: {} appointments", drive, list.version, list.appointments.len());
            let row = Row::of(&HeldList { list, used })?;
            let ct = self.key.encrypt(&row.plain)?;
            self.journaled(Action::Appointments, &drive, &detail, |tx| {
                tx.execute(
                    "INSERT INTO appointment_lists (drive_id, center, version, drive_start, drive_end, data)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (drive_id) DO UPDATE SET center = ?2, version = ?3, drive_start = ?4,
                         drive_end = ?5, data = ?6",
                    params![row.drive_id, row.center, row.version, row.start, row.end, ct],
                )?;
                Ok(())
            })?;
            stored += 1;
        }
        Ok(stored)
    }

    /// Every list held, drive by drive, in the order the drives start.
    pub fn appointment_lists(&self) -> Result<Vec<HeldList>> {
        let mut stmt = self
            .store
            .conn
            .prepare("SELECT drive_id, data FROM appointment_lists ORDER BY drive_start, drive_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        rows.map(|row| {
            let (id, ct) = row?;
            self.decode_list(&id, &ct)
        })
        .collect()
    }

    /// Records that an enrollment draft was started from a booking.
    pub fn mark_appointment_used(&mut self, drive_id: &str, booking: &str, draft_id: &str) -> Result<HeldList> {
        let mut held = self
            .held_list(drive_id)?
            .ok_or_else(|| StoreError::NotFound(format!("appointment list of drive {drive_id}")))?;
        if !held.list.appointments.iter().any(|a| a.booking == booking) {
            return Err(StoreError::NotFound(format!(
                "appointment {booking} in drive {drive_id}"
            )));
        }
        held.used.insert(booking.into(), draft_id.into());
        let ct = self.key.encrypt(&Row::of(&held)?.plain)?;
        self.journaled(Action::Appointments, draft_id, &format!("{drive_id}: started"), |tx| {
            tx.execute(
                "UPDATE appointment_lists SET data = ?2 WHERE drive_id = ?1",
                params![drive_id, ct],
            )?;
            Ok(())
        })?;
        Ok(held)
    }

    /// Deletes the lists of drives that ended before `today`, journaled; returns how many.
    pub fn purge_appointments(&mut self, today: NaiveDate) -> Result<usize> {
        let n: i64 = self.store.conn.query_row(
            "SELECT count(*) FROM appointment_lists WHERE drive_end < ?1",
            [today.to_string()],
            |r| r.get(0),
        )?;
        if n == 0 {
            return Ok(0);
        }
        self.journaled(Action::Purge, "appointments", &format!("{n} ended drives"), |tx| {
            purge_ended(tx, today)
        })
    }

    fn held_list(&self, drive_id: &str) -> Result<Option<HeldList>> {
        let ct: Option<Vec<u8>> = self
            .store
            .conn
            .query_row(
                "SELECT data FROM appointment_lists WHERE drive_id = ?1",
                [drive_id],
                |r| r.get(0),
            )
            .optional()?;
        ct.map(|ct| self.decode_list(drive_id, &ct)).transpose()
    }

    fn decode_list(&self, drive_id: &str, ct: &[u8]) -> Result<HeldList> {
        let plain = self.key.decrypt(ct, "appointment list", drive_id)?;
        serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt {
            what: "appointment list",
            id: drive_id.into(),
        })
    }
}

/// The clear columns of a held list and its plaintext, ready to encrypt.
struct Row {
    drive_id: String,
    center: String,
    version: i64,
    start: String,
    end: String,
    plain: Vec<u8>,
}

impl Row {
    fn of(h: &HeldList) -> Result<Row> {
        Ok(Row {
            drive_id: h.list.drive_id.clone(),
            center: h.list.center.clone(),
            version: i64::try_from(h.list.version).unwrap_or(i64::MAX),
            start: h.list.drive_start.to_string(),
            end: h.list.drive_end.to_string(),
            plain: serde_json::to_vec(h).map_err(qafila_doc::DocError::from)?,
        })
    }
}
