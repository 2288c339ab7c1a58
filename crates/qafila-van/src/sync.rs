//! Sync from the desktop: on a second handle of the store, so the operator keeps working while
//! batches and blobs go out; progress as events.

use std::sync::atomic::Ordering;

use chrono::Utc;
use qafila_store::Van;
use qafila_sync::{Progress, SyncOptions};
use serde_json::{Value, json};

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::Event;
use crate::state::{LocalState, SyncFailure};

struct Running<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Engine {
    /// Sync state for the panel and the home screen.
    pub fn sync_state(&self) -> Result<Value> {
        let local = self.local();
        self.with_van(|van| self.sync_state_of(van, &local))
    }

    pub(crate) fn sync_state_of(&self, van: &Van, local: &LocalState) -> Result<Value> {
        let status = van.sync_status()?;
        let receipts: Vec<Value> = van
            .receipts()?
            .iter()
            .take(10)
            .filter_map(|bytes| qafila_wire::SignedReceipt::from_bytes(bytes).ok())
            .filter_map(|s| s.receipt_unverified().ok())
            .map(|r| {
                json!({"center": r.center, "seq_from": r.seq_from, "seq_to": r.seq_to,
                    "at": r.server_time, "documents": r.documents.len()})
            })
            .collect();
        Ok(json!({
            "last_sync_at": local.last_sync_at.or(van.store().last_receipt_at()?),
            "last_error": local.last_error,
            "unsynced": status.documents_pending,
            "batches_unreceipted": status.batches_unreceipted,
            "receipts": receipts,
            "running": self.shared.sync_running.load(Ordering::SeqCst),
        }))
    }

    /// Sends everything waiting to the first center that answers, pulls updates, purges what the
    /// centers confirmed. Blocks until done; `sync` events report progress.
    pub fn sync_now(&self) -> Result<Value> {
        if self.shared.sync_running.swap(true, Ordering::SeqCst) {
            return Err(EngineError::Busy("sync"));
        }
        let _running = Running(&self.shared.sync_running);
        let centers = self.settings().centers;
        if centers.is_empty() {
            return self.fail(EngineError::Sync(
                "no center is configured: add one in the settings, or export to USB".into(),
            ));
        }
        let mut van = self.with_van(|v| Ok(v.second_handle()?))?;
        let pending = van.sync_status()?.documents_pending.max(0) as u64;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| EngineError::Sync(e.to_string()))?;
        let freeze = match self.freeze_now().map(|f| f.state) {
            Ok("blocked") => "blocked",
            Ok("warn") => "warn",
            _ => "ok",
        };
        let tls_authorities = match qafila_sync::van_authorities(&self.shared.dir) {
            Ok(a) => a,
            Err(e) => return self.fail(EngineError::Sync(e.to_string())),
        };
        let opts = SyncOptions {
            attempts: 4,
            tls_authorities,
            freeze,
            app_version: env!("CARGO_PKG_VERSION").into(),
            ..SyncOptions::default()
        };
        let mut last_error = None;
        for center in &centers {
            let mut records_done = 0u64;
            let mut bytes = std::collections::BTreeMap::<String, (u64, u64)>::new();
            let mut progress = |p: Progress| {
                let phase = match &p {
                    Progress::Batch { documents, .. } => {
                        records_done = (records_done + *documents as u64).min(pending.max(records_done));
                        "batch"
                    }
                    Progress::Blob { sha256, sent, total } => {
                        bytes.insert(sha256.clone(), (*sent, *total));
                        "blobs"
                    }
                    Progress::Receipt { .. } => "receipt",
                };
                let (done, total) = bytes.values().fold((0, 0), |(d, t), (s, n)| (d + s, t + n));
                self.emit(Event::Sync(
                    json!({"kind": "progress", "phase": phase, "center": center.id,
                    "records_done": records_done, "records_total": pending,
                    "bytes_done": done, "bytes_total": total}),
                ));
            };
            match runtime.block_on(qafila_sync::sync_once(&mut van, &center.url, &opts, &mut progress)) {
                Ok(report) => {
                    let result = json!({"center": center.id, "sent_batches": report.batches,
                        "documents": report.documents, "blob_bytes": report.bytes_up,
                        "updates_applied": report.updates, "purged": report.purged,
                        "appointments": report.appointments});
                    self.remember(|s| {
                        s.last_sync_at = Some(Utc::now());
                        s.last_error = None;
                    });
                    self.emit(Event::Sync(json!({"kind": "done", "result": result})));
                    tracing::info!(center = %center.id, documents = report.documents, "synced");
                    return Ok(result);
                }
                Err(e) => {
                    tracing::warn!(center = %center.id, error = %e, "sync failed");
                    last_error = Some(format!("{}: {e}", center.id));
                }
            }
        }
        self.fail(EngineError::Sync(last_error.unwrap_or_default()))
    }

    fn remember(&self, f: impl FnOnce(&mut LocalState)) {
        let mut local = self.shared.local.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut local);
        if let Err(e) = local.save(&self.shared.dir) {
            tracing::warn!(error = %e, "could not save the sync state");
        }
    }

    fn fail(&self, e: EngineError) -> Result<Value> {
        let failure = SyncFailure {
            code: e.code().into(),
            message: e.to_string(),
            at: Utc::now(),
        };
        self.remember(|s| s.last_error = Some(failure));
        self.emit(Event::Sync(
            json!({"kind": "error", "code": e.code(), "message": e.to_string()}),
        ));
        Err(e)
    }
}
