//! Appointments booked on the national portal for this van's drives: listed for the operator to
//! pick the citizen in front of them, and turned into a draft whose civil data is prefilled.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use qafila_domain::ApplicationId;
use qafila_store::{StoreError, Van};
use serde::Serialize;
use serde_json::{Value, json};

use crate::draft::{AppointmentRef, DraftState, DraftView};
use crate::engine::Engine;
use crate::error::{EngineError, Result};

/// One booking as the operator's list shows it.
#[derive(Clone, Debug, Serialize)]
pub struct AppointmentView {
    /// The drive.
    pub drive_id: String,
    /// First day of the drive.
    pub drive_start: NaiveDate,
    /// Last day of the drive.
    pub drive_end: NaiveDate,
    /// The portal's booking reference.
    pub booking: String,
    /// The slot, local time.
    pub slot: NaiveDateTime,
    /// Whether the slot is today.
    pub today: bool,
    /// Family and given names, Latin script, as the portal has them (may be empty).
    pub name: String,
    /// Family and given names, Arabic script (may be empty).
    pub name_ar: String,
    /// Date of birth as the portal has it, if any.
    pub birth_date: Option<String>,
    /// The draft started from this booking and still open, if any.
    pub draft_id: Option<String>,
    /// The application sealed from this booking, if any (the citizen is enrolled).
    pub enrolled: Option<String>,
}

/// Whether an application id names an enrollment this van made (held or already purged).
fn enrolled(van: &Van, id: &str) -> bool {
    id.parse::<ApplicationId>()
        .is_ok_and(|id| matches!(van.get(&id), Ok(_) | Err(StoreError::Purged { .. })))
}

fn join(parts: [Option<&String>; 2]) -> String {
    parts
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Engine {
    /// The bookings of the drives not yet ended, by slot; `today_only` keeps today's.
    pub fn appointments(&self, today_only: bool) -> Result<Vec<AppointmentView>> {
        let today = Utc::now().date_naive();
        self.with_van(|van| {
            let drafts: BTreeSet<String> = van.drafts()?.into_iter().map(|d| d.id).collect();
            let mut out = Vec::new();
            for held in van.appointment_lists()? {
                let l = &held.list;
                if l.drive_end < today {
                    continue;
                }
                for a in &l.appointments {
                    let p = &a.prefill;
                    let (fam, giv) = (p.family_name.as_ref(), p.given_names.as_ref());
                    // A discarded draft frees its booking; a sealed one marks the citizen enrolled.
                    let used = held.used.get(&a.booking);
                    let draft_id = used.filter(|id| drafts.contains(*id)).cloned();
                    let sealed = used.filter(|id| draft_id.is_none() && enrolled(van, id)).cloned();
                    let view = AppointmentView {
                        drive_id: l.drive_id.clone(),
                        drive_start: l.drive_start,
                        drive_end: l.drive_end,
                        booking: a.booking.clone(),
                        slot: a.slot,
                        today: a.slot.date() == today,
                        name: join([fam.and_then(|n| n.latin.as_ref()), giv.and_then(|n| n.latin.as_ref())]),
                        name_ar: join([fam.and_then(|n| n.arabic.as_ref()), giv.and_then(|n| n.arabic.as_ref())]),
                        birth_date: p.birth_date.map(|d| d.to_string()),
                        draft_id,
                        enrolled: sealed,
                    };
                    if !today_only || view.today {
                        out.push(view);
                    }
                }
            }
            out.sort_by(|a, b| (a.slot, &a.booking).cmp(&(b.slot, &b.booking)));
            Ok(out)
        })
    }

    /// Starts an enrollment from a booking: a new draft of `kind` whose civil data is the portal's
    /// prefill (the operator checks and corrects it) and whose drive is the booking's; the booking
    /// is marked as started. Starting it again resumes the draft made the first time, if it is
    /// still there, and is refused once that draft was sealed.
    pub fn draft_from_appointment(&self, drive_id: &str, booking: &str, kind: &str) -> Result<DraftView> {
        let freeze = self.freeze_now()?;
        if freeze.state == "blocked" {
            return Err(EngineError::Frozen(freeze.reasons.join(", ")));
        }
        self.with_van(|van| {
            let held = van
                .appointment_lists()?
                .into_iter()
                .find(|h| h.list.drive_id == drive_id)
                .ok_or_else(|| EngineError::bad("drive_id", "no appointment list for this drive"))?;
            if held.list.drive_end < Utc::now().date_naive() {
                return Err(EngineError::bad("drive_id", "this drive has ended"));
            }
            let a = held
                .list
                .appointments
                .iter()
                .find(|a| a.booking == booking)
                .ok_or_else(|| EngineError::bad("booking", "no such booking in this drive"))?;
            if let Some(id) = held.used.get(booking) {
                if let Ok(d) = self.load_draft(van, id) {
                    return self.view(van, &d);
                }
                if enrolled(van, id) {
                    return Err(EngineError::bad(
                        "booking",
                        format!("this citizen is already enrolled (application {id})"),
                    ));
                }
            }
            let civil = match serde_json::to_value(&a.prefill) {
                Ok(v @ Value::Object(_)) => v,
                _ => json!({}),
            };
            let mut d = DraftState::new(kind, Utc::now())?;
            let record = json!({
                "application": { "kind": kind, "drive_id": drive_id },
                "civil": civil,
            });
            d.set_record(&record, Utc::now())?;
            d.appointment = Some(AppointmentRef {
                drive_id: drive_id.into(),
                booking: booking.into(),
            });
            self.store_draft(van, &d)?;
            van.mark_appointment_used(drive_id, booking, &d.id)?;
            tracing::info!(draft = %d.id, drive = drive_id, "draft started from an appointment");
            self.view(van, &d)
        })
    }
}
