//! What the dashboard's first screen shows: queues per center and the fleet of vans, built from
//! counts and the vans' own reports (no document is opened, so it stays fast at 100,000 records).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::center::{Center, CenterError};
use crate::queue;

/// How long without contact before a van is flagged silent.
pub const SILENT_AFTER_HOURS: i64 = 72;

/// The overview: this center, its counts, queues per center and one row per van.
pub async fn overview(c: &Center) -> Result<Value, CenterError> {
    let db = c.db();
    let counts = db.counts(&c.id).await?;
    let mut queues: BTreeMap<String, BTreeMap<&'static str, i64>> = BTreeMap::new();
    for center in ["rabat", "marrakech"] {
        queues.insert(center.into(), queue::QUEUES.iter().map(|q| (*q, 0)).collect());
    }
    for qc in db.queue_counts().await? {
        if let Some(q) = queue::of_status(&qc.status) {
            *queues
                .entry(qc.routed_to.clone())
                .or_insert_with(|| queue::QUEUES.iter().map(|q| (*q, 0)).collect())
                .entry(q)
                .or_insert(0) += qc.count;
        }
    }
    let contacts: BTreeMap<String, _> = db
        .van_contacts()
        .await?
        .into_iter()
        .map(|v| (v.van_id.clone(), v))
        .collect();
    // Batches whose civil data came before their biometrics: applicants the center knows of but
    // cannot receipt yet (a van on a weak link, or one cut off mid-upload).
    let pending: BTreeMap<String, crate::db::PendingCount> = db
        .pending_counts()
        .await?
        .into_iter()
        .map(|p| (p.van_id.clone(), p))
        .collect();
    let awaiting_total: i64 = pending.values().map(|p| p.documents).sum();
    let now = Utc::now();
    let mut fleet = Vec::new();
    for van in db.vans().await? {
        let contact = contacts.get(&van.id);
        let report: Option<Value> = contact
            .and_then(|c| c.report.as_deref())
            .and_then(|r| serde_json::from_str(r).ok());
        let last = contact.and_then(|c| DateTime::parse_from_rfc3339(&c.last_contact).ok());
        let hours_silent = last.map(|t| (now - t.with_timezone(&Utc)).num_hours());
        // The van's clock against ours when it last reported: a wrong clock is worth a call.
        let clock_skew_minutes = report.as_ref().and_then(|r| {
            let van_clock = DateTime::parse_from_rfc3339(r["van_clock"].as_str()?).ok()?;
            Some((van_clock.with_timezone(&Utc) - last?.with_timezone(&Utc)).num_minutes())
        });
        let acked_through = db.acked_through(&van.id).await?;
        let mut warnings = Vec::new();
        if van.revoked_at.is_some() {
            warnings.push("revoked");
        }
        match hours_silent {
            None => warnings.push("never_seen"),
            Some(h) if h >= SILENT_AFTER_HOURS => warnings.push("silent"),
            _ => {}
        }
        if let Some(r) = &report {
            if r["journal_intact"] == Value::Bool(false) {
                warnings.push("journal_broken");
            }
            if r["freeze"] == "blocked" {
                warnings.push("frozen");
            }
        }
        if clock_skew_minutes.is_some_and(|m| m.abs() > 10) {
            warnings.push("clock");
        }
        fleet.push(json!({
            "id": van.id,
            "key_status": if van.revoked_at.is_some() { "revoked" } else { "active" },
            "registered_at": van.registered_at,
            "revoked_at": van.revoked_at,
            "last_contact": contact.map(|c| c.last_contact.clone()),
            "hours_silent": hours_silent,
            "acked_through": acked_through,
            "report": report,
            "clock_skew_minutes": clock_skew_minutes,
            "awaiting_blobs": pending.get(&van.id).map(|p| json!({
                "batches": p.batches,
                "documents": p.documents,
                "since": p.oldest,
            })),
            "warnings": warnings,
        }));
    }
    Ok(json!({
        "center": c.id,
        "server_time": now.to_rfc3339(),
        "counts": counts,
        "queues": queues,
        "awaiting_blobs": awaiting_total,
        "fleet": fleet,
    }))
}
