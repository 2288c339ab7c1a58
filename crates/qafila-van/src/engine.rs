//! The engine: one unlocked van session, its drafts, lists, settings and home screen.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use qafila_domain::{ApplicationId, Enrollment};
use qafila_store::{Role, Store, Summary, Van};
use serde::Serialize;
use serde_json::{Value, json};

use crate::draft::{DocumentDraft, DraftState, DraftSummary, DraftView};
use crate::error::{EngineError, Result};
use crate::events::{Event, EventSink};
use crate::freeze::{self, Freeze};
use crate::settings::Settings;
use crate::state::LocalState;

/// Largest supporting document accepted (a scanned page or a phone photo).
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;

pub(crate) enum Slot {
    Locked(Store),
    Unlocked(Box<Van>),
    /// Only while a transition is under way.
    Empty,
}

pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) slot: Mutex<Slot>,
    pub(crate) settings: Mutex<Settings>,
    pub(crate) local: Mutex<LocalState>,
    pub(crate) events: EventSink,
    pub(crate) activity: Mutex<Instant>,
    pub(crate) unlocked_at: Mutex<Option<DateTime<Utc>>>,
    pub(crate) live: crate::live::Live,
    pub(crate) sync_running: AtomicBool,
}

/// The van engine. Cheap to clone; every clone is the same session.
#[derive(Clone)]
pub struct Engine {
    pub(crate) shared: Arc<Shared>,
}

/// The operator's session.
#[derive(Clone, Debug, Serialize)]
pub struct Session {
    /// Who.
    pub operator: String,
    /// Their role.
    pub role: Role,
    /// Since when.
    pub unlocked_at: DateTime<Utc>,
}

/// What the UI needs at start and after login or logout.
#[derive(Clone, Debug, Serialize)]
pub struct AppState {
    /// This van's id.
    pub van_id: String,
    /// Operators who can log in.
    pub operators: Vec<String>,
    /// Whether the store is locked.
    pub locked: bool,
    /// The session, when unlocked.
    pub session: Option<Session>,
    /// Settings.
    pub settings: Settings,
}

/// Today's counters.
#[derive(Clone, Debug, Serialize)]
pub struct Today {
    /// Enrollments created today.
    pub enrolled: i64,
    /// Sealed (any time) and not yet sent.
    pub sealed: i64,
    /// Drafts in progress.
    pub drafts: usize,
}

/// The home screen.
#[derive(Clone, Debug, Serialize)]
pub struct Home {
    /// Today.
    pub today: Today,
    /// Waiting to leave the van.
    pub backlog: Value,
    /// Enrollments by status.
    pub counts: std::collections::BTreeMap<String, i64>,
    /// Sync state.
    pub sync: Value,
    /// Freeze state.
    pub freeze: Freeze,
    /// Warnings (`recapture_requested`, `rejected`, `never_synced`, `journal`).
    pub warnings: Vec<Value>,
    /// Newest enrollments.
    pub recent: Vec<Summary>,
}

impl Engine {
    /// Opens the van store in `dir` (locked) with its saved settings; `events` receives live events.
    pub fn open(dir: &Path, events: EventSink) -> Result<Engine> {
        let store = Store::open(dir)?;
        let settings = Settings::load(dir)?;
        let local = LocalState::load(dir)?;
        crate::receipt::clear_receipts();
        Ok(Engine {
            shared: Arc::new(Shared {
                dir: dir.to_path_buf(),
                slot: Mutex::new(Slot::Locked(store)),
                settings: Mutex::new(settings),
                local: Mutex::new(local),
                events,
                activity: Mutex::new(Instant::now()),
                unlocked_at: Mutex::new(None),
                live: crate::live::Live::default(),
                sync_running: AtomicBool::new(false),
            }),
        })
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    pub(crate) fn emit(&self, e: Event) {
        (self.shared.events)(e);
    }

    pub(crate) fn slot(&self) -> MutexGuard<'_, Slot> {
        // A panic in another command must not lock the operator out: the slot stays consistent
        // because every transition replaces it whole.
        self.shared.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the unlocked van.
    pub(crate) fn with_van<T>(&self, f: impl FnOnce(&mut Van) -> Result<T>) -> Result<T> {
        let mut slot = self.slot();
        match &mut *slot {
            Slot::Unlocked(van) => f(van),
            _ => Err(EngineError::Locked),
        }
    }

    /// Current settings.
    pub fn settings(&self) -> Settings {
        self.shared.settings.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces the settings after checking them.
    pub fn set_settings(&self, settings: Settings) -> Result<Settings> {
        settings.validate()?;
        self.with_van(|_| Ok(()))?;
        settings.save(&self.shared.dir)?;
        *self.shared.settings.lock().unwrap_or_else(|p| p.into_inner()) = settings.clone();
        self.shared.live.forget_scanner();
        Ok(settings)
    }

    /// The state the UI starts from.
    pub fn app_state(&self) -> Result<AppState> {
        let slot = self.slot();
        let (store, session) = match &*slot {
            Slot::Locked(s) => (s, None),
            Slot::Unlocked(v) => (
                v.store(),
                Some(Session {
                    operator: v.operator().into(),
                    role: v.role(),
                    unlocked_at: self
                        .shared
                        .unlocked_at
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .unwrap_or_else(Utc::now),
                }),
            ),
            Slot::Empty => return Err(EngineError::Locked),
        };
        Ok(AppState {
            van_id: store.van_id()?,
            operators: store.operators()?.into_iter().map(|(id, _)| id).collect(),
            locked: session.is_none(),
            session,
            settings: self.settings(),
        })
    }

    /// Logs an operator in. The passphrase unwraps the store key (about a second, by design).
    pub fn unlock(&self, operator: &str, passphrase: &str) -> Result<AppState> {
        {
            let mut slot = self.slot();
            let store = match std::mem::replace(&mut *slot, Slot::Empty) {
                Slot::Locked(s) => s,
                Slot::Unlocked(v) => (*v).lock(),
                Slot::Empty => Store::open(&self.shared.dir)?,
            };
            match store.unlock(operator, passphrase) {
                Ok(van) => *slot = Slot::Unlocked(Box::new(van)),
                Err(e) => {
                    // The failed attempt consumed the handle; reopen so the van stays usable.
                    *slot = Slot::Locked(Store::open(&self.shared.dir)?);
                    return Err(e.into());
                }
            }
        }
        *self.shared.unlocked_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Utc::now());
        self.touch();
        tracing::info!(operator, "unlocked");
        self.app_state()
    }

    /// Locks the van: keys dropped, live captures stopped.
    pub fn lock(&self, reason: &str) -> Result<AppState> {
        self.shared.live.stop_all();
        crate::receipt::clear_receipts();
        {
            let mut slot = self.slot();
            if let Slot::Unlocked(_) = &*slot
                && let Slot::Unlocked(v) = std::mem::replace(&mut *slot, Slot::Empty)
            {
                *slot = Slot::Locked((*v).lock());
            }
        }
        *self.shared.unlocked_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.emit(Event::Locked(json!({ "reason": reason })));
        self.app_state()
    }

    /// Records operator activity (resets the idle timer).
    pub fn touch(&self) {
        *self.shared.activity.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Locks the van if it has been idle longer than the setting; returns whether it did.
    pub fn lock_if_idle(&self) -> bool {
        let limit = Duration::from_secs(u64::from(self.settings().idle_lock_minutes) * 60);
        let idle = self.shared.activity.lock().unwrap_or_else(|p| p.into_inner()).elapsed();
        let unlocked = matches!(&*self.slot(), Slot::Unlocked(_));
        // A running sync or capture is activity too.
        let busy = self.shared.sync_running.load(Ordering::SeqCst) || self.shared.live.busy();
        if unlocked && idle >= limit && !busy {
            let _ = self.lock("idle");
            return true;
        }
        false
    }

    /// Starts a thread that locks the van after the idle limit.
    pub fn start_idle_watch(&self) {
        let weak = Arc::downgrade(&self.shared);
        std::thread::spawn(move || {
            while let Some(shared) = weak.upgrade() {
                Engine { shared }.lock_if_idle();
                std::thread::sleep(Duration::from_secs(5));
            }
        });
    }

    /// The home screen.
    pub fn home(&self) -> Result<Home> {
        let settings = self.settings();
        let local = self.local();
        self.with_van(|van| {
            let store = van.store();
            let counts = store.status_counts()?;
            let midnight = Utc::now()
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc();
            let enrolled = store.created_since(&midnight)?;
            let count = |s: &str| counts.get(s).copied().unwrap_or(0);
            let unsynced = count("captured") + count("sealed") + count("sent");
            let last_sync = local.last_sync_at.or(store.last_receipt_at()?);
            let since = last_sync.or(store.oldest_unreceipted_at()?);
            let freeze = freeze::assess(&settings.freeze, since, unsynced, Utc::now());
            let mut warnings = Vec::new();
            for s in ["recapture_requested", "rejected"] {
                if count(s) > 0 {
                    warnings.push(json!({"code": s, "count": count(s)}));
                }
            }
            if last_sync.is_none() && unsynced > 0 {
                warnings.push(json!({"code": "never_synced"}));
            }
            let drafts = van.drafts()?.len();
            let sync = self.sync_state_of(van, &local)?;
            Ok(Home {
                today: Today {
                    enrolled,
                    sealed: count("sealed"),
                    drafts,
                },
                backlog: json!({ "unsynced": unsynced }),
                counts,
                sync,
                freeze,
                warnings,
                recent: van.list(None, 0, 10)?,
            })
        })
    }

    pub(crate) fn local(&self) -> LocalState {
        self.shared.local.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn freeze_now(&self) -> Result<Freeze> {
        Ok(self.home()?.freeze)
    }

    /// Offline master data: regions with provinces, countries.
    pub fn master_data(&self) -> Value {
        json!({
            "regions": qafila_domain::master::territory().regions,
            "countries": qafila_domain::master::countries().countries,
        })
    }

    /// A transliteration suggestion for a name.
    pub fn transliterate(&self, text: &str, to: &str) -> Result<String> {
        match to {
            "arabic" => Ok(qafila_domain::transliterate::to_arabic(text)),
            "latin" => Ok(qafila_domain::transliterate::to_latin(text)),
            _ => Err(EngineError::bad("to", "must be arabic or latin")),
        }
    }

    fn ids(&self) -> Result<(String, String)> {
        self.with_van(|v| Ok((v.van_id()?, v.operator().to_string())))
    }

    pub(crate) fn load_draft(&self, van: &Van, id: &str) -> Result<DraftState> {
        let draft = van
            .drafts()?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or_else(|| EngineError::NoDraft(id.into()))?;
        serde_json::from_value(draft.data).map_err(|e| EngineError::bad("draft", e.to_string()))
    }

    pub(crate) fn store_draft(&self, van: &mut Van, d: &DraftState) -> Result<()> {
        let data = serde_json::to_value(d).map_err(|e| EngineError::bad("draft", e.to_string()))?;
        van.save_draft(&d.id, &data)?;
        Ok(())
    }

    pub(crate) fn view(&self, van: &Van, d: &DraftState) -> Result<DraftView> {
        Ok(d.view(&van.van_id()?, van.operator(), Utc::now().date_naive()))
    }

    /// Starts a new enrollment (refused while the freeze rules block).
    pub fn draft_new(&self, kind: &str) -> Result<DraftView> {
        let freeze = self.freeze_now()?;
        if freeze.state == "blocked" {
            return Err(EngineError::Frozen(freeze.reasons.join(", ")));
        }
        self.with_van(|van| {
            let d = DraftState::new(kind, Utc::now())?;
            self.store_draft(van, &d)?;
            self.view(van, &d)
        })
    }

    /// One draft.
    pub fn draft_get(&self, id: &str) -> Result<DraftView> {
        self.with_van(|van| {
            let d = self.load_draft(van, id)?;
            self.view(van, &d)
        })
    }

    /// Saves the form's part of a draft; returns the problems left.
    pub fn draft_save(&self, id: &str, record: &Value) -> Result<Vec<qafila_domain::Problem>> {
        self.with_van(|van| {
            let mut d = self.load_draft(van, id)?;
            d.set_record(record, Utc::now())?;
            self.store_draft(van, &d)?;
            Ok(self.view(van, &d)?.problems)
        })
    }

    /// Drafts to resume.
    pub fn drafts(&self) -> Result<Vec<DraftSummary>> {
        self.with_van(|van| {
            let mut out: Vec<DraftSummary> = van
                .drafts()?
                .into_iter()
                .filter_map(|d| serde_json::from_value::<DraftState>(d.data).ok())
                .map(|d| d.summary())
                .collect();
            out.sort_by_key(|d| std::cmp::Reverse(d.updated_at));
            Ok(out)
        })
    }

    /// Discards a draft.
    pub fn draft_discard(&self, id: &str) -> Result<()> {
        self.with_van(|van| Ok(van.discard_draft(id)?))
    }

    /// Attaches a document.
    pub fn document_add(&self, draft_id: &str, kind: &str, name: &str, data_base64: &str) -> Result<DraftView> {
        let kind: qafila_domain::DocumentKind =
            serde_json::from_value(json!(kind)).map_err(|_| EngineError::bad("kind", "unknown document kind"))?;
        let bytes = B64
            .decode(data_base64)
            .map_err(|_| EngineError::bad("data_base64", "not base64"))?;
        if bytes.is_empty() {
            return Err(EngineError::bad("data_base64", "the file is empty"));
        }
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(EngineError::bad(
                "data_base64",
                format!(
                    "the file is larger than {} MB: scan at a lower resolution",
                    MAX_DOCUMENT_BYTES >> 20
                ),
            ));
        }
        self.with_van(|van| {
            let mut d = self.load_draft(van, draft_id)?;
            d.documents.push(DocumentDraft {
                kind,
                name: name.chars().take(200).collect(),
                data_base64: data_base64.into(),
            });
            d.updated_at = Utc::now();
            self.store_draft(van, &d)?;
            self.view(van, &d)
        })
    }

    /// Removes a document.
    pub fn document_remove(&self, draft_id: &str, index: usize) -> Result<DraftView> {
        self.with_van(|van| {
            let mut d = self.load_draft(van, draft_id)?;
            if index >= d.documents.len() {
                return Err(EngineError::bad("index", "no such document"));
            }
            d.documents.remove(index);
            d.updated_at = Utc::now();
            self.store_draft(van, &d)?;
            self.view(van, &d)
        })
    }

    /// Seals a draft: the enrollment is created and signed off in the store, the draft removed.
    /// With a supervisor, their approval is recorded in the same step.
    pub fn seal(&self, draft_id: &str, consent: bool, supervisor: Option<(&str, &str)>) -> Result<ApplicationId> {
        if !consent {
            return Err(EngineError::bad("consent", "the applicant's consent is required"));
        }
        let (id, templates) = self.with_van(|van| {
            let d = self.load_draft(van, draft_id)?;
            let (record, blobs, problems) = d.compose(&van.van_id()?, van.operator(), Some(Utc::now()));
            if !problems.is_empty() {
                return Err(qafila_store::StoreError::Invalid(problems).into());
            }
            let record: Enrollment =
                serde_json::from_value(record).map_err(|e| EngineError::bad("record", e.to_string()))?;
            // Consent is given now; everything else must already be complete.
            let problems: Vec<_> = d
                .problems(&van.van_id()?, van.operator(), Utc::now().date_naive())
                .into_iter()
                .filter(|p| p.field != "consent")
                .collect();
            if !problems.is_empty() {
                return Err(qafila_store::StoreError::Invalid(problems).into());
            }
            let id = van.enroll(record, &blobs)?;
            van.seal(&id, supervisor)?;
            van.discard_draft(draft_id)?;
            Ok((id, crate::live::templates_of(&d)))
        })?;
        self.shared.live.remember(&id, templates);
        tracing::info!(%id, "sealed");
        Ok(id)
    }

    /// Lists or searches enrollments.
    pub fn enrollments(
        &self,
        query: Option<&str>,
        status: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Summary>> {
        let limit = limit.clamp(1, 500);
        self.with_van(|van| match query.map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => {
                let mut found = van.search(q, (offset + limit) as usize)?;
                if let Some(s) = status {
                    found.retain(|e| e.status == s);
                }
                Ok(found.into_iter().skip(offset.max(0) as usize).collect())
            }
            None => Ok(van.list(status, offset.max(0), limit)?),
        })
    }

    /// One enrollment with its portrait and history.
    pub fn enrollment(&self, id: &str) -> Result<Value> {
        let id: ApplicationId = id
            .parse()
            .map_err(|_| EngineError::bad("id", "not an application id"))?;
        self.with_van(|van| {
            let record = van.get(&id)?;
            let portrait = match &record.portrait {
                Some(p) => van.blob(&p.blob).ok().map(|b| B64.encode(b)),
                None => None,
            };
            let ids = id.to_string();
            let history: Vec<Value> = van
                .journal_tail(10_000)?
                .into_iter()
                .filter(|e| e.subject == ids)
                .map(|e| json!({"at": e.at, "what": e.action, "detail": e.detail, "by": e.actor}))
                .collect();
            Ok(json!({ "record": record, "portrait_jpeg_base64": portrait, "history": history }))
        })
    }

    /// The supervisor's end-of-day review.
    pub fn day_review(&self, date: Option<NaiveDate>) -> Result<Value> {
        let date = date.unwrap_or_else(|| Utc::now().date_naive());
        let drafts = self.drafts()?;
        self.with_van(|van| {
            let mut out = Vec::new();
            let mut offset = 0;
            'pages: loop {
                let page = van.list(None, offset, 200)?;
                if page.is_empty() {
                    break;
                }
                offset += page.len() as i64;
                for s in page {
                    let day = s.created_at.date_naive();
                    if day < date {
                        break 'pages;
                    }
                    if day > date {
                        continue;
                    }
                    let (operator, approved) = match van.get(&s.id) {
                        Ok(e) => (e.application.operator_id, e.sign_off.supervisor.is_some()),
                        Err(_) => (String::new(), false),
                    };
                    let mut v = serde_json::to_value(&s).unwrap_or_default();
                    v["operator"] = json!(operator);
                    v["approved"] = json!(approved);
                    out.push(v);
                }
            }
            Ok(json!({ "date": date, "enrollments": out, "drafts": drafts }))
        })
    }

    /// A supervisor approves sealed enrollments.
    pub fn approve(&self, ids: &[String], supervisor: &str, passphrase: &str) -> Result<usize> {
        let ids: Vec<ApplicationId> = ids
            .iter()
            .map(|s| {
                s.parse()
                    .map_err(|_| EngineError::bad("ids", format!("{s} is not an application id")))
            })
            .collect::<Result<_>>()?;
        self.with_van(|van| {
            let mut n = 0;
            for id in &ids {
                if van.approve(id, supervisor, passphrase)? {
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    /// Writes the next batch to a folder (a USB stick).
    pub fn export_usb(&self, dir: &Path) -> Result<Option<PathBuf>> {
        if !dir.is_dir() {
            return Err(EngineError::bad("dir", format!("{} is not a folder", dir.display())));
        }
        self.with_van(|van| Ok(van.export_batch(dir, 500)?))
    }

    /// The ids of the van and the operator.
    pub fn who(&self) -> Result<(String, String)> {
        self.ids()
    }
}
