//! Appointment lists: the citizens booked on the national portal for a van's drive.
//!
//! The portal's export (a JSON list of [`Appointment`]) is checked entry by entry, every problem
//! named by entry and field; the list is kept encrypted with the center's own key, one per van and
//! drive, a newer version replacing the older; vans pull it sealed to them; it is purged once the
//! drive is over.
//!
//! | Method and path | Who | What |
//! |---|---|---|
//! | `GET /v1/vans/{van}/appointments` | that van (request signature) | a pack of sealed lists of drives not ended (204 if none) |
//! | `POST /api/vans/{id}/appointments` | administrator | publish `{drive_id, from, to, appointments}` |

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use qafila_domain::validation::{is_arabic_text, is_latin_text};
use qafila_wire::appointments::{MAX_APPOINTMENTS, pack};
use qafila_wire::{Appointment, AppointmentList, Envelope, PROTOCOL_VERSION, PartialName, Prefill, request};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::center::{Center, CenterError};
use crate::db::AppointmentRecord;

/// The longest a drive may last: a list is personal data, so it must not linger for months.
pub const MAX_DRIVE_DAYS: i64 = 31;

/// Why a publication was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The portal's file has problems; each names its entry and field.
    #[error("the appointment list has {} problem(s):\n{}", .0.len(), .0.join("\n"))]
    Invalid(Vec<String>),
    /// The center refused (unknown van, storage).
    #[error(transparent)]
    Center(#[from] CenterError),
}

/// What a publication did (no personal data: counts only).
#[derive(Clone, Debug, Serialize)]
pub struct Published {
    /// The van.
    pub van_id: String,
    /// The drive.
    pub drive_id: String,
    /// The version now held.
    pub version: u64,
    /// Appointments in it.
    pub appointments: usize,
}

/// Whether a drive id or booking reference is acceptable: 1 to 64 ASCII letters, digits, `-` or `_`.
fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks the drive's dates against each other and today.
pub fn check_drive(drive_id: &str, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if !is_id(drive_id) {
        problems.push("drive: the id must be 1 to 64 letters, digits, '-' or '_'".to_string());
    }
    if to < from {
        problems.push(format!("drive: ends ({to}) before it starts ({from})"));
    } else if (to - from).num_days() >= MAX_DRIVE_DAYS {
        problems.push(format!("drive: lasts more than {MAX_DRIVE_DAYS} days"));
    }
    if to < today {
        problems.push(format!("drive: already ended on {to}"));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// Parses and checks the portal's export: a JSON list of `{booking, slot, prefill}`. Every problem
/// is reported, each naming the entry (position and booking) and the field.
pub fn parse_portal(json: &[u8], from: NaiveDate, to: NaiveDate) -> Result<Vec<Appointment>, Vec<String>> {
    let entries: Vec<Value> = match serde_json::from_slice::<Value>(json) {
        Ok(Value::Array(a)) => a,
        // Some exports wrap the list in an object; take it as it comes.
        Ok(Value::Object(mut o)) if o.get("appointments").is_some_and(Value::is_array) => {
            match o.remove("appointments") {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            }
        }
        Ok(_) => return Err(vec!["the file must be a JSON list of appointments".into()]),
        Err(e) => return Err(vec![format!("the file is not JSON: {e}")]),
    };
    if entries.len() > MAX_APPOINTMENTS {
        return Err(vec![format!(
            "{} appointments: at most {MAX_APPOINTMENTS} per drive",
            entries.len()
        )]);
    }
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let booking = entry.get("booking").and_then(Value::as_str);
        let label = match booking {
            Some(b) => format!("entry {} ({})", i + 1, b.chars().take(64).collect::<String>()),
            None => format!("entry {}", i + 1),
        };
        let mut p = Problems {
            label: &label,
            list: &mut problems,
        };
        match entry_of(entry, from, to, &mut p) {
            Some(a) if !seen.insert(a.booking.clone()) => p.push("booking", "appears twice in the list"),
            Some(a) => out.push(a),
            None => {}
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

struct Problems<'a> {
    label: &'a str,
    list: &'a mut Vec<String>,
}

impl Problems<'_> {
    fn push(&mut self, field: &str, what: impl std::fmt::Display) {
        self.list.push(format!("{}: {field}: {what}", self.label));
    }
}

/// Reads one field of an object into its type, reporting a problem (and `None`) when it does not fit.
fn field<T: serde::de::DeserializeOwned>(
    o: &serde_json::Map<String, Value>,
    name: &str,
    path: &str,
    p: &mut Problems<'_>,
) -> Option<T> {
    let v = o.get(name)?;
    if v.is_null() {
        return None;
    }
    match serde_json::from_value(v.clone()) {
        Ok(t) => Some(t),
        Err(e) => {
            p.push(path, e);
            None
        }
    }
}

fn unknown_fields(o: &serde_json::Map<String, Value>, known: &[&str], prefix: &str, p: &mut Problems<'_>) {
    for k in o.keys().filter(|k| !known.contains(&k.as_str())) {
        p.push(&format!("{prefix}{k}"), "unknown field");
    }
}

fn entry_of(entry: &Value, from: NaiveDate, to: NaiveDate, p: &mut Problems<'_>) -> Option<Appointment> {
    let Some(o) = entry.as_object() else {
        p.push("-", "must be an object {booking, slot, prefill}");
        return None;
    };
    unknown_fields(o, &["booking", "slot", "prefill"], "", p);
    let before = p.list.len();
    let booking = match o.get("booking").and_then(Value::as_str) {
        Some(b) if is_id(b) => Some(b.to_string()),
        Some(_) => {
            p.push("booking", "must be 1 to 64 letters, digits, '-' or '_'");
            None
        }
        None => {
            p.push("booking", "is required (a string)");
            None
        }
    };
    let slot = match o.get("slot").and_then(Value::as_str) {
        Some(s) => match parse_slot(s) {
            Some(t) if t.date() < from || t.date() > to => {
                p.push("slot", format!("{s} is outside the drive ({from} to {to})"));
                None
            }
            Some(t) => Some(t),
            None => {
                p.push("slot", format!("{s:?} is not a local date and time YYYY-MM-DDTHH:MM"));
                None
            }
        },
        None => {
            p.push("slot", "is required (YYYY-MM-DDTHH:MM)");
            None
        }
    };
    let prefill = match o.get("prefill") {
        None | Some(Value::Null) => Prefill::default(),
        Some(Value::Object(f)) => prefill_of(f, from, p),
        Some(_) => {
            p.push("prefill", "must be an object");
            Prefill::default()
        }
    };
    if p.list.len() > before {
        return None;
    }
    Some(Appointment {
        booking: booking?,
        slot: slot?,
        prefill,
    })
}

fn parse_slot(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .ok()
}

const PREFILL_FIELDS: [&str; 9] = [
    "family_name",
    "given_names",
    "sex",
    "birth_date",
    "birth_place",
    "father",
    "mother",
    "address",
    "phone",
];

/// A name field of the prefill: its type, then each script's letters.
fn name_of(o: &serde_json::Map<String, Value>, key: &str, p: &mut Problems<'_>) -> Option<PartialName> {
    let path = format!("prefill.{key}");
    let n: PartialName = field(o, key, &path, p)?;
    if let Some(l) = &n.latin
        && (l.chars().count() > 100 || !is_latin_text(l))
    {
        p.push(&format!("{path}.latin"), "must be Latin letters (at most 100)");
    }
    if let Some(a) = &n.arabic
        && (a.chars().count() > 100 || !is_arabic_text(a))
    {
        p.push(&format!("{path}.arabic"), "must be Arabic letters (at most 100)");
    }
    Some(n)
}

fn prefill_of(o: &serde_json::Map<String, Value>, from: NaiveDate, p: &mut Problems<'_>) -> Prefill {
    unknown_fields(o, &PREFILL_FIELDS, "prefill.", p);
    let family_name = name_of(o, "family_name", p);
    let given_names = name_of(o, "given_names", p);
    let father = name_of(o, "father", p);
    let mother = name_of(o, "mother", p);
    let birth_date: Option<qafila_domain::BirthDate> = field(o, "birth_date", "prefill.birth_date", p);
    if let Some(d) = birth_date {
        let future = match d {
            qafila_domain::BirthDate::Full(d) => d > from,
            qafila_domain::BirthDate::Year(y) => y > chrono::Datelike::year(&from),
        };
        if future {
            p.push("prefill.birth_date", "is after the drive");
        }
    }
    let phone: Option<String> = field(o, "phone", "prefill.phone", p);
    if let Some(ph) = &phone {
        let digits = ph.strip_prefix('+').unwrap_or("");
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            p.push("prefill.phone", "must be international: + then 8 to 15 digits");
        }
    }
    Prefill {
        family_name,
        given_names,
        sex: field(o, "sex", "prefill.sex", p),
        birth_date,
        birth_place: field(o, "birth_place", "prefill.birth_place", p),
        father,
        mother,
        address: field(o, "address", "prefill.address", p),
        phone,
    }
}

impl Center {
    /// Publishes a drive's appointment list for a van, replacing the drive's previous list.
    pub async fn publish_appointments(
        &self,
        van_id: &str,
        drive_id: &str,
        from: NaiveDate,
        to: NaiveDate,
        appointments: Vec<Appointment>,
    ) -> Result<Published, PublishError> {
        let today = Utc::now().date_naive();
        check_drive(drive_id, from, to, today).map_err(PublishError::Invalid)?;
        let van = self
            .db()
            .van(van_id)
            .await
            .map_err(CenterError::from)?
            .ok_or_else(|| CenterError::UnknownVan(van_id.into()))?;
        if van.revoked_at.is_some() {
            return Err(CenterError::RevokedVan(van_id.into()).into());
        }
        self.purge_appointments().await?;
        let held = self
            .db()
            .appointment_lists(van_id)
            .await
            .map_err(CenterError::from)?
            .into_iter()
            .find(|r| r.drive_id == drive_id)
            .map_or(0, |r| r.version);
        let version = held.max(0) as u64 + 1;
        let list = AppointmentList {
            v: PROTOCOL_VERSION,
            center: self.id.clone(),
            van_id: van_id.into(),
            drive_id: drive_id.into(),
            drive_start: from,
            drive_end: to,
            published_at: Utc::now(),
            version,
            appointments,
        };
        let n = list.appointments.len();
        let ct = qafila_wire::envelope::encrypt_to(&[self.keys().recipient()], &list.to_bytes())
            .map_err(CenterError::from)?;
        let rec = AppointmentRecord {
            van_id: van_id.into(),
            drive_id: drive_id.into(),
            version: version as i64,
            drive_end: to.to_string(),
            published_at: list.published_at.to_rfc3339(),
            list: ct,
        };
        if !self.db().put_appointment_list(&rec).await.map_err(CenterError::from)? {
            // Another publication of the same drive won the race: say so rather than pretend.
            return Err(PublishError::Invalid(vec![format!(
                "drive {drive_id}: a newer list was published meanwhile; publish again"
            )]));
        }
        tracing::info!(
            van = van_id,
            drive = drive_id,
            version,
            appointments = n,
            "appointments published"
        );
        Ok(Published {
            van_id: van_id.into(),
            drive_id: drive_id.into(),
            version,
            appointments: n,
        })
    }

    /// The lists of a van's drives not yet ended, each sealed for the van, in one pack.
    pub async fn appointments_for(&self, van: &crate::db::VanRecord) -> Result<Option<Vec<u8>>, CenterError> {
        self.purge_appointments().await?;
        let recs = self.db().appointment_lists(&van.id).await?;
        if recs.is_empty() {
            return Ok(None);
        }
        let recipient = age::x25519::Recipient::from_str(&van.recipient)
            .map_err(|_| CenterError::Damaged(format!("recipient of {}", van.id)))?;
        let mut sealed = Vec::with_capacity(recs.len());
        for r in recs.iter().take(qafila_wire::appointments::MAX_LISTS) {
            let plain =
                qafila_wire::envelope::decrypt_with(&self.keys().identities, &r.list, qafila_wire::MAX_ENVELOPE_BYTES)
                    .map_err(|_| CenterError::Damaged(format!("appointments of drive {}", r.drive_id)))?;
            let list = AppointmentList::from_bytes(&plain)
                .map_err(|_| CenterError::Damaged(format!("appointments of drive {}", r.drive_id)))?;
            sealed.push(Envelope::seal_appointments(&list, &recipient, &self.keys().signing)?.to_bytes());
        }
        Ok(Some(pack(&sealed)))
    }

    /// Removes the lists of drives that ended before today; returns how many.
    pub async fn purge_appointments(&self) -> Result<u64, CenterError> {
        self.purge_appointments_before(Utc::now().date_naive()).await
    }

    /// Removes the lists of drives that ended before `today`; returns how many.
    pub async fn purge_appointments_before(&self, today: NaiveDate) -> Result<u64, CenterError> {
        let n = self.db().purge_appointment_lists(&today.to_string()).await?;
        if n > 0 {
            tracing::info!(lists = n, "ended drives' appointments purged");
        }
        Ok(n)
    }
}

/// Largest publication the dashboard takes: a long drive's list with every prefill filled in.
pub const MAX_PUBLICATION_BYTES: usize = 16 * 1024 * 1024;

/// The van protocol's route: a van pulls its lists.
pub fn van_routes() -> Router<Arc<Center>> {
    Router::new().route("/v1/vans/{van}/appointments", get(van_pull))
}

/// The dashboard's route: an administrator publishes a list.
pub fn dashboard_routes() -> Router<Arc<Center>> {
    Router::new().route("/api/vans/{id}/appointments", post(dashboard_publish))
}

fn error(status: StatusCode, code: &str, message: String, problems: Option<Vec<String>>) -> Response {
    if status.is_server_error() {
        tracing::error!(code, "{message}");
    }
    let mut body = json!({"code": code, "message": message});
    if let Some(p) = problems {
        body["problems"] = json!(p);
    }
    (status, axum::Json(body)).into_response()
}

fn center_error(e: CenterError) -> Response {
    let status = match &e {
        CenterError::Wire(w) if w.code() == "bad_signature" => StatusCode::FORBIDDEN,
        CenterError::Wire(_) => StatusCode::BAD_REQUEST,
        CenterError::UnknownVan(_) | CenterError::RevokedVan(_) => StatusCode::FORBIDDEN,
        CenterError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, e.code(), e.to_string(), None)
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn van_pull(State(c): State<Arc<Center>>, Path(van): Path<String>, uri: Uri, h: HeaderMap) -> Response {
    let (Some(sender), Some(signature)) = (header(&h, request::SENDER), header(&h, request::SIGNATURE)) else {
        return error(
            StatusCode::BAD_REQUEST,
            "malformed",
            "missing the sender or signature header".into(),
            None,
        );
    };
    if sender != van {
        return center_error(CenterError::UnknownVan(format!(
            "{sender} asked for the appointments of {van}"
        )));
    }
    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    let result = async {
        let v = c.authenticate_van(sender, "GET", pq, &[], signature).await?;
        c.touch_van(&v.id).await?;
        c.appointments_for(&v).await
    }
    .await;
    match result {
        Ok(Some(body)) => ([("content-type", "application/cbor")], body).into_response(),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => center_error(e),
    }
}

/// The dashboard's publication: the portal's export with the drive it is for.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Publication {
    drive_id: String,
    from: NaiveDate,
    to: NaiveDate,
    appointments: Value,
}

async fn dashboard_publish(
    State(c): State<Arc<Center>>,
    Path(id): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let s = match crate::dashboard::writer(&c, &h, crate::staff::Role::Administrator).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let p: Publication = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("publication: {e}"),
                None,
            );
        }
    };
    let entries = match serde_json::to_vec(&p.appointments) {
        Ok(b) => b,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string(), None),
    };
    let outcome = match parse_portal(&entries, p.from, p.to) {
        Ok(list) => c.publish_appointments(&id, &p.drive_id, p.from, p.to, list).await,
        Err(problems) => Err(PublishError::Invalid(problems)),
    };
    match outcome {
        Ok(done) => {
            let detail = format!(
                "drive {}: version {}, {} appointments",
                done.drive_id, done.version, done.appointments
            );
            crate::dashboard::audit(&c, &s, "appointments.publish", Some(&id), Some(&detail)).await;
            axum::Json(json!(done)).into_response()
        }
        Err(PublishError::Invalid(problems)) => {
            let detail = format!("refused: {} problems", problems.len());
            crate::dashboard::audit(&c, &s, "appointments.publish", Some(&id), Some(&detail)).await;
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("the appointment list has {} problem(s)", problems.len()),
                Some(problems),
            )
        }
        Err(PublishError::Center(CenterError::UnknownVan(v))) => error(
            StatusCode::NOT_FOUND,
            "unknown_van",
            format!("van {v:?} is not registered at this center"),
            None,
        ),
        Err(PublishError::Center(e)) => {
            let status = match &e {
                CenterError::RevokedVan(_) => StatusCode::CONFLICT,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            error(status, e.code(), e.to_string(), None)
        }
    }
}
