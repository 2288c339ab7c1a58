//! The van's sync agent. One call, [`sync_once`], does a whole exchange with a center:
//!
//! 0. the van's key rotation statements are posted, oldest first, so the center knows the key that
//!    signs what follows;
//! 1. each batch is posted (civil data and history first, so the center learns of every applicant);
//!    the center keeps it and names the blobs it lacks;
//! 2. those blobs are uploaded in checksummed chunks, resuming where the center says it stopped,
//!    within a bandwidth cap. The upload that completes the batch's last blob brings its receipt
//!    back; failing that (a restarted center, an answer lost to a cut), a small signed commit names
//!    the batch (its envelope does not cross the link twice). The receipt is stored;
//! 3. updates made at the centers and the appointment lists of the van's coming drives are fetched
//!    while the push runs (on a slow link a round trip saved), and merged once it is done;
//! 4. receipted enrollments are purged after the retention period, and ended drives' appointments.
//!
//! Network failures are retried with exponential backoff and jitter; refusals (a forged or revoked
//! van, an invalid record) are not, and come back as [`SyncError::Refused`] with the center's code.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use qafila_store::{StoreError, Van};
use qafila_wire::{blob, request};

/// How the agent behaves.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Enrollments per batch.
    pub max_documents: usize,
    /// Blob upload chunk size, bytes.
    pub chunk_bytes: usize,
    /// Upload cap in bytes per second (blobs), if any.
    pub bandwidth_bytes_per_sec: Option<u64>,
    /// Blob chunks being sent at once: hides the link's latency behind the others' transfer (as many
    /// again may wait meanwhile for the center to say what it holds after a failure).
    pub parallel_uploads: usize,
    /// Tries per request before giving up.
    pub attempts: u32,
    /// First backoff delay (doubled each retry, capped at 30 s, with jitter).
    pub backoff: Duration,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// Keep receipted enrollments this long before purging them.
    pub retention: chrono::Duration,
    /// The van's freeze state for its status report (`ok`, `warn`, `blocked`).
    pub freeze: &'static str,
    /// The app version for its status report.
    pub app_version: String,
    /// PEM certificates of the authorities that sign the centers' TLS certificates; `None` trusts the
    /// system's store. Only `https://` centers use it.
    pub tls_authorities: Option<Vec<u8>>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            max_documents: 500,
            chunk_bytes: 256 * 1024,
            bandwidth_bytes_per_sec: None,
            parallel_uploads: 4,
            attempts: 8,
            backoff: Duration::from_millis(250),
            request_timeout: Duration::from_secs(60),
            retention: chrono::Duration::zero(),
            freeze: "ok",
            app_version: env!("CARGO_PKG_VERSION").into(),
            tls_authorities: None,
        }
    }
}

/// What one sync did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SyncReport {
    /// Batches receipted.
    pub batches: usize,
    /// Enrollments in them.
    pub documents: usize,
    /// Blobs uploaded (or completed).
    pub blobs: usize,
    /// Bytes sent in request bodies.
    pub bytes_up: u64,
    /// Requests retried after a failure.
    pub retries: usize,
    /// Enrollments changed by center updates.
    pub updates: usize,
    /// Enrollments purged.
    pub purged: usize,
    /// Appointment lists received (new drives or newer versions).
    pub appointments: usize,
    /// Key rotation statements the center took (new or already held).
    pub key_rotations: usize,
}

/// Progress, as it happens.
#[derive(Clone, Debug)]
pub enum Progress {
    /// A batch is being sent.
    Batch {
        /// Its sequence number.
        seq: u64,
        /// Enrollments in it.
        documents: usize,
    },
    /// Blob bytes sent so far.
    Blob {
        /// Blob name.
        sha256: String,
        /// Bytes the center holds.
        sent: u64,
        /// Total.
        total: u64,
    },
    /// A receipt arrived.
    Receipt {
        /// Batch sequence number.
        seq: u64,
    },
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The van's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The center refused; retrying will not help.
    #[error("the center refused ({status} {code}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The center's error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// The TLS settings cannot be used (a center authority file that holds no certificate, say).
    #[error("TLS settings: {0}")]
    Tls(#[from] qafila_wire::tls::TlsError),
    /// The network kept failing.
    #[error("no answer from the center after {attempts} tries: {last}. The van keeps everything; sync again later")]
    Unreachable {
        /// Tries made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
}

enum Outcome {
    Done(reqwest::Response),
    Retry(String),
}

struct Agent<'a> {
    van: &'a mut Van,
    base: String,
    http: reqwest::Client,
    opts: SyncOptions,
    van_id: String,
    report: SyncReport,
    cap: Cap,
}

/// Envelope posts and commits one batch may take before the agent gives up for this sync (each
/// `202` is followed by an upload of what the center lacks, so more means the uploads do not stick).
const MAX_BATCH_ROUNDS: usize = 8;

/// The signed body that names `batch` when committing it.
fn batch_commit(batch: &qafila_store::OutboundBatch) -> Result<Vec<u8>, SyncError> {
    let env = qafila_wire::Envelope::from_bytes(&batch.envelope).map_err(StoreError::from)?;
    Ok(qafila_wire::BatchCommit::new(batch.seq, &env.ciphertext_hash()).to_json())
}

/// The bandwidth cap shared by concurrent uploads.
struct Cap {
    rate: Option<u64>,
    started: Instant,
    sent: std::cell::Cell<u64>,
}

impl Cap {
    /// Waits until `n` more bytes fit under the cap.
    async fn spend(&self, n: u64) {
        let Some(rate) = self.rate.filter(|r| *r > 0) else {
            return;
        };
        self.sent.set(self.sent.get() + n);
        let due = Duration::from_secs_f64(self.sent.get() as f64 / rate as f64);
        let elapsed = self.started.elapsed();
        if due > elapsed {
            tokio::time::sleep(due - elapsed).await;
        }
    }
}

/// One whole exchange with the center at `center_url` (e.g. `http://127.0.0.1:8700`).
pub async fn sync_once(
    van: &mut Van,
    center_url: &str,
    opts: &SyncOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<SyncReport, SyncError> {
    let http = http_client(opts)?;
    let van_id = van.van_id()?;
    let mut a = Agent {
        van,
        base: center_url.trim_end_matches('/').to_owned(),
        http,
        opts: opts.clone(),
        van_id,
        report: SyncReport::default(),
        cap: Cap {
            rate: opts.bandwidth_bytes_per_sec,
            started: Instant::now(),
            sent: std::cell::Cell::new(0),
        },
    };
    // Another handle (the operator's) may have rotated the key since this one was opened.
    a.van.refresh_key()?;
    a.announce_keys().await?;
    let prefetch = a.prefetch()?;
    let (pushed, fetched) = tokio::join!(a.push(progress), prefetch.run());
    pushed?;
    a.pull(fetched?).await?;
    a.report.purged = a.van.purge_receipted(a.opts.retention)?;
    a.van.purge_appointments(chrono::Utc::now().date_naive())?;
    a.send_report().await?;
    Ok(a.report)
}

/// The file beside a van's store that holds the centers' TLS authorities, when the van image has one.
pub const CENTERS_CA_FILE: &str = "centers-ca.pem";

/// Reads a PEM file of TLS authorities, checking that it holds certificates; errors name the file.
pub fn read_authorities(path: &std::path::Path) -> Result<Vec<u8>, SyncError> {
    let what = format!("center authority file {}", path.display());
    let pem = std::fs::read(path).map_err(|e| {
        SyncError::Tls(qafila_wire::tls::TlsError::Pem {
            what: what.clone(),
            reason: e.to_string(),
        })
    })?;
    qafila_wire::tls::certificates(&pem, &what)?;
    Ok(pem)
}

/// The centers' TLS authorities for the van whose store is `store_dir`: the file `QAFILA_CENTER_CA`
/// names, else [`CENTERS_CA_FILE`] in the store's folder, else none (the system's trust store).
pub fn van_authorities(store_dir: &std::path::Path) -> Result<Option<Vec<u8>>, SyncError> {
    if let Some(path) = std::env::var_os("QAFILA_CENTER_CA").filter(|p| !p.is_empty()) {
        return read_authorities(std::path::Path::new(&path)).map(Some);
    }
    let beside = store_dir.join(CENTERS_CA_FILE);
    if beside.exists() {
        return read_authorities(&beside).map(Some);
    }
    Ok(None)
}

/// The HTTP client of a sync: TLS through rustls, trusting `opts.tls_authorities` when given.
pub fn http_client(opts: &SyncOptions) -> Result<reqwest::Client, SyncError> {
    let builder = reqwest::Client::builder().timeout(opts.request_timeout);
    let builder = match &opts.tls_authorities {
        Some(pem) => builder.tls_backend_preconfigured(qafila_wire::tls::client_config(pem, "center authorities")?),
        None => builder,
    };
    builder.build().map_err(|e| SyncError::Unreachable {
        attempts: 0,
        last: e.to_string(),
    })
}

impl Agent<'_> {
    /// Posts every key rotation statement of the van, oldest first, before anything the new key signs.
    /// They are sent at every sync, not only once: a center answers one it holds as it did the first
    /// time, and so the other center, or one restored from a backup, learns them too.
    async fn announce_keys(&mut self) -> Result<(), SyncError> {
        let url = format!("{}/v1/vans/{}/key", self.base, self.van_id);
        for statement in self.van.rotation_statements()? {
            let resp = self
                .send(|c| {
                    c.post(&url)
                        .header("content-type", "application/cbor")
                        .body(statement.clone())
                })
                .await?;
            self.report.bytes_up += statement.len() as u64;
            if !resp.status().is_success() {
                return Err(refused(resp).await);
            }
            self.report.key_rotations += 1;
        }
        Ok(())
    }

    async fn push(&mut self, progress: &mut dyn FnMut(Progress)) -> Result<(), SyncError> {
        let mut rebuilt = std::collections::BTreeSet::new();
        while let Some(batch) = self.van.next_batch(self.opts.max_documents)? {
            progress(Progress::Batch {
                seq: batch.seq,
                documents: batch.documents,
            });
            let commit = batch_commit(&batch)?;
            // The envelope (civil data) goes first, so the center learns of every applicant before the
            // biometrics cross a slow link. It keeps the envelope and answers 202 with the blobs it
            // lacks; once they are up, a small signed commit names the batch instead of sending it again.
            // A center that no longer holds it (or one too old to) answers 404, and the envelope is sent again.
            let mut held = false;
            let mut rounds = 0;
            loop {
                rounds += 1;
                if rounds > MAX_BATCH_ROUNDS {
                    return Err(unreachable(format!(
                        "batch {} still lacks blobs after {MAX_BATCH_ROUNDS} uploads",
                        batch.seq
                    )));
                }
                let resp = if held {
                    self.send_signed(reqwest::Method::POST, qafila_wire::batch::COMMIT_PATH, commit.clone())
                        .await?
                } else {
                    let url = format!("{}/v1/batches", self.base);
                    let resp = self.send(|c| c.post(&url).body(batch.envelope.clone())).await?;
                    self.report.bytes_up += batch.envelope.len() as u64;
                    resp
                };
                match resp.status().as_u16() {
                    200 => {
                        let receipt = resp.bytes().await.map_err(|e| unreachable(e.to_string()))?;
                        self.take_receipt(&receipt, &batch, progress)?;
                        break;
                    }
                    202 => {
                        let answer: blob::MissingBlobs = resp.json().await.map_err(|e| unreachable(e.to_string()))?;
                        let receipt = self.upload_missing(answer.missing_blobs, &batch, progress).await?;
                        held = true;
                        // The last blob's upload asked the center to commit the batch with it, and
                        // brought the receipt back: the commit's round trip is saved.
                        if let Some(receipt) = receipt {
                            self.take_receipt(&receipt, &batch, progress)?;
                            break;
                        }
                    }
                    404 | 405 if held => held = false,
                    _ => match refused(resp).await {
                        // This center lacks history the other one acknowledged (it has not replicated
                        // yet): send the documents whole, once.
                        SyncError::Refused { code, .. } if code == "missing_history" && rebuilt.insert(batch.seq) => {
                            self.van.rebuild_batch_whole(batch.seq)?;
                            break;
                        }
                        e => return Err(e),
                    },
                }
            }
        }
        Ok(())
    }

    /// Stores a batch's receipt (verified by the store) and counts the batch as sent.
    fn take_receipt(
        &mut self,
        receipt: &[u8],
        batch: &qafila_store::OutboundBatch,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), SyncError> {
        self.van.apply_receipt(receipt)?;
        self.report.batches += 1;
        self.report.documents += batch.documents;
        progress(Progress::Receipt { seq: batch.seq });
        Ok(())
    }

    /// Reads the named blobs' transfer forms from the store and uploads them; only blobs of the
    /// batch are sent, whatever the center names. Returns the batch's receipt if the center
    /// accepted it with its last blob.
    async fn upload_missing(
        &mut self,
        missing: Vec<String>,
        batch: &qafila_store::OutboundBatch,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Option<Vec<u8>>, SyncError> {
        let ours: std::collections::BTreeSet<&String> = batch.blobs.iter().collect();
        let missing: std::collections::BTreeSet<String> = missing.into_iter().filter(|m| ours.contains(m)).collect();
        let mut forms = Vec::with_capacity(missing.len());
        for sha in missing {
            let t = self.van.transfer_blob(&sha)?;
            forms.push((sha, t));
        }
        self.upload_all(forms, batch.seq, progress).await
    }

    /// Uploads blobs of batch `seq`, several at a time, each resuming where the center says it
    /// stopped; returns the batch's receipt if the center accepted it with its last blob.
    async fn upload_all(
        &mut self,
        forms: Vec<(String, Vec<u8>)>,
        seq: u64,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Option<Vec<u8>>, SyncError> {
        use futures::stream::StreamExt;
        let ctx = Upload {
            van: &*self.van,
            http: &self.http,
            base: &self.base,
            van_id: &self.van_id,
            opts: &self.opts,
            cap: &self.cap,
            sending: tokio::sync::Semaphore::new(self.opts.parallel_uploads.max(1)),
            commit: seq,
        };
        // Twice as many uploads as may send at once: after a cut, those that ask the center what it
        // holds wait a round trip without bytes to send, and the others keep the link busy meanwhile.
        let mut results = futures::stream::iter(forms.iter().map(|(sha, t)| ctx.one(sha, t)))
            .buffer_unordered(2 * self.opts.parallel_uploads.max(1));
        let mut first_error = None;
        let mut receipt = None;
        while let Some(r) = results.next().await {
            match r {
                Ok(done) => {
                    self.report.blobs += 1;
                    self.report.bytes_up += done.sent;
                    self.report.retries += done.retries;
                    receipt = receipt.or(done.receipt);
                    progress(Progress::Blob {
                        sha256: done.sha,
                        sent: done.total,
                        total: done.total,
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(receipt), Err)
    }

    /// The requests of the pull, signed now so that they can go out while the push runs: on a link
    /// with 600 ms of round trip, asking for updates and appointments after the last receipt would
    /// add that much to every sync. Updates are asked with the van's cursor for each center it
    /// knows, since which one answers at this address is learnt on the way.
    fn prefetch(&self) -> Result<Prefetch, SyncError> {
        let appointments = format!("/v1/vans/{}/appointments", self.van_id);
        let sign = |path: String| {
            let sig = self.van.sign_request("GET", &path, &[]);
            (format!("{}{path}", self.base), sig)
        };
        let mut updates = Vec::new();
        for c in self.van.centers()? {
            let since = self.van.update_cursor(&c.id)?;
            let (url, sig) = sign(format!("/v1/vans/{}/updates?since={since}", self.van_id));
            updates.push((c.id, url, sig));
        }
        Ok(Prefetch {
            http: self.http.clone(),
            opts: self.opts.clone(),
            van_id: self.van_id.clone(),
            status: format!("{}/v1/status", self.base),
            appointments: sign(appointments),
            updates,
        })
    }

    /// Applies what the pull fetched while the push ran, then any further pages of updates. A
    /// center too old to publish appointments (404) is not an error: the van enrolls walk-ins all
    /// the same.
    async fn pull(&mut self, fetched: Fetched) -> Result<(), SyncError> {
        self.report.retries += fetched.retries;
        match fetched.appointments.status {
            204 | 404 => {}
            200 => self.report.appointments += self.van.apply_appointments(&fetched.appointments.body)?,
            _ => return Err(fetched.appointments.refused()),
        }
        // The center that answers signs the updates; the cursor is per center.
        let Some(center) = fetched.center else { return Ok(()) };
        let mut page = match fetched.first_page {
            Some(page) => page,
            None => self.updates_page(&center).await?,
        };
        loop {
            match page.status {
                204 => return Ok(()),
                200 => self.report.updates += self.van.apply_updates(&page.body)?,
                _ => return Err(page.refused()),
            }
            page = self.updates_page(&center).await?;
        }
    }

    /// The next page of updates from `center`, after the van's cursor for it.
    async fn updates_page(&mut self, center: &str) -> Result<Page, SyncError> {
        let since = self.van.update_cursor(center)?;
        let path = format!("/v1/vans/{}/updates?since={since}", self.van_id);
        let (resp, retries) = self.signed(reqwest::Method::GET, &path, Vec::new()).await?;
        self.report.retries += retries;
        Page::read(resp).await
    }

    /// Tells the center how this van is doing (its fleet view). A center too old to know the
    /// report (404) is not an error: the report is informative.
    async fn send_report(&mut self) -> Result<(), SyncError> {
        let status = self.van.sync_status()?;
        let journal = self.van.verify_journal()?;
        let report = qafila_wire::report::VanReport {
            app_version: self.opts.app_version.clone(),
            van_clock: chrono::Utc::now(),
            backlog: status.documents_pending,
            batches_unreceipted: status.batches_unreceipted,
            purged: status.purged,
            freeze: self.opts.freeze.into(),
            journal_entries: journal.entries,
            journal_intact: journal.is_intact(),
        };
        let path = format!("/v1/vans/{}/report", self.van_id);
        let resp = self.send_signed(reqwest::Method::POST, &path, report.to_json()).await?;
        match resp.status().as_u16() {
            200..=299 | 404 => Ok(()),
            _ => Err(refused(resp).await),
        }
    }

    /// Sends a request signed as this van (sender and signature headers over method, path and
    /// body), with the same retries as every other request.
    async fn send_signed(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::Response, SyncError> {
        let (resp, retries) = self.signed(method, path, body).await?;
        self.report.retries += retries;
        Ok(resp)
    }

    /// [`Agent::send_signed`] without counting retries, for requests made side by side.
    async fn signed(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(reqwest::Response, usize), SyncError> {
        let sig = self.van.sign_request(method.as_str(), path, &body);
        let (url, van_id) = (format!("{}{path}", self.base), &self.van_id);
        send(&self.http, &self.opts, |c| {
            let req = c
                .request(method.clone(), &url)
                .header(request::SENDER, van_id)
                .header(request::SIGNATURE, &sig);
            if body.is_empty() {
                req
            } else {
                req.header("content-type", "application/json").body(body.clone())
            }
        })
        .await
    }

    /// Sends a request, retrying network failures and server errors with backoff and jitter.
    async fn send(
        &mut self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SyncError> {
        let (r, retries) = send(&self.http, &self.opts, build).await?;
        self.report.retries += retries;
        Ok(r)
    }
}

/// A response read whole: its status and body.
struct Page {
    status: u16,
    body: Vec<u8>,
}

impl Page {
    async fn read(resp: reqwest::Response) -> Result<Page, SyncError> {
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| unreachable(e.to_string()))?.to_vec();
        Ok(Page { status, body })
    }

    /// The center's refusal: its status, and the code and message of its JSON body.
    fn refused(&self) -> SyncError {
        let body: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_default();
        SyncError::Refused {
            status: self.status,
            code: body["code"].as_str().unwrap_or("unknown").to_owned(),
            message: body["message"].as_str().unwrap_or("no message").to_owned(),
        }
    }
}

/// The pull's first requests, signed and ready to go out beside the push.
struct Prefetch {
    http: reqwest::Client,
    opts: SyncOptions,
    van_id: String,
    status: String,
    /// URL and signature of the appointments request.
    appointments: (String, String),
    /// Center, URL and signature of the first updates request, for each center the van knows.
    updates: Vec<(String, String, String)>,
}

/// What the pull fetched beside the push.
struct Fetched {
    appointments: Page,
    /// The center answering, if it gave its name.
    center: Option<String>,
    /// Its first page of updates, if it is a center the van knows.
    first_page: Option<Page>,
    retries: usize,
}

impl Prefetch {
    async fn get(&self, url: &str, sig: &str) -> Result<(Page, usize), SyncError> {
        let (resp, retries) = send(&self.http, &self.opts, |c| {
            c.get(url)
                .header(request::SENDER, &self.van_id)
                .header(request::SIGNATURE, sig)
        })
        .await?;
        Ok((Page::read(resp).await?, retries))
    }

    async fn run(self) -> Result<Fetched, SyncError> {
        let first_updates = async {
            let (resp, retries) = send(&self.http, &self.opts, |c| c.get(&self.status)).await?;
            if !resp.status().is_success() {
                return Err(refused(resp).await);
            }
            let v: serde_json::Value = resp.json().await.map_err(|e| unreachable(e.to_string()))?;
            let Some(center) = v["center"].as_str().map(str::to_owned) else {
                return Ok((None, None, retries));
            };
            match self.updates.iter().find(|(c, _, _)| *c == center) {
                Some((_, url, sig)) => {
                    let (page, more) = self.get(url, sig).await?;
                    Ok((Some(center), Some(page), retries + more))
                }
                None => Ok((Some(center), None, retries)),
            }
        };
        let (appointments, updates) = tokio::join!(self.get(&self.appointments.0, &self.appointments.1), first_updates);
        let (appointments, retries) = appointments?;
        let (center, first_page, more) = updates?;
        Ok(Fetched {
            appointments,
            center,
            first_page,
            retries: retries + more,
        })
    }
}

/// What a blob upload needs, shared by the uploads in flight.
struct Upload<'a> {
    van: &'a Van,
    http: &'a reqwest::Client,
    base: &'a str,
    van_id: &'a str,
    opts: &'a SyncOptions,
    cap: &'a Cap,
    /// Permits to send a chunk: [`SyncOptions::parallel_uploads`] of them.
    sending: tokio::sync::Semaphore,
    /// The batch whose blobs these are: each blob's last chunk asks the center to accept it once
    /// nothing lacks, since any of them may be the one that completes it.
    commit: u64,
}

/// One blob uploaded.
struct Uploaded {
    sha: String,
    total: u64,
    /// Bytes sent, counting those sent again.
    sent: u64,
    retries: usize,
    /// The batch's receipt, when this blob completed it and the center accepted it.
    receipt: Option<Vec<u8>>,
}

impl Upload<'_> {
    /// Uploads one transfer form.
    async fn one(&self, sha: &str, transfer: &[u8]) -> Result<Uploaded, SyncError> {
        let total = transfer.len() as u64;
        let path = format!("/v1/blobs/{sha}");
        let url = format!("{}{path}", self.base);
        // A blob that fits in one chunk is never held in part (the center stores those whole or not
        // at all), and the center named it as missing: asking how much it holds would cost a round
        // trip per blob for nothing, which on a 600 ms link is most of the time spent. A larger blob
        // may be half there from an earlier sync, so it asks first.
        let (mut offset, mut retries) = if total as usize <= self.opts.chunk_bytes {
            (0, 0)
        } else {
            let (head, retries) = send(self.http, self.opts, |c| c.head(&url)).await?;
            (header_u64(&head, blob::UPLOAD_OFFSET).unwrap_or(0), retries)
        };
        let mut sent = 0;
        let mut receipt = None;
        while offset < total {
            let end = (offset + self.opts.chunk_bytes as u64).min(total);
            let chunk = &transfer[offset as usize..end as usize];
            self.cap.spend(chunk.len() as u64).await;
            let hashed = blob::Chunk::new(chunk);
            let sig = self.van.sign_request_hashed("PATCH", &path, hashed.sha256());
            let checksum = hashed.checksum();
            let final_chunk = end == total;
            let patch = |c: &reqwest::Client| {
                let req = c
                    .patch(&url)
                    .header(request::SENDER, self.van_id)
                    .header(request::SIGNATURE, &sig)
                    .header(blob::UPLOAD_OFFSET, offset)
                    .header(blob::UPLOAD_LENGTH, total)
                    .header(blob::UPLOAD_CHECKSUM, &checksum);
                let req = if final_chunk {
                    req.header(blob::UPLOAD_COMMIT, self.commit)
                } else {
                    req
                };
                req.body(chunk.to_vec())
            };
            let mut answer = None;
            let mut last = String::new();
            for attempt in 0..self.opts.attempts.max(1) {
                if attempt > 0 {
                    retries += 1;
                    tokio::time::sleep(backoff(self.opts.backoff, attempt)).await;
                    // The chunk may have reached the center with only its answer lost (a link cut
                    // on the way back): ask how much it holds before sending the bytes again.
                    if let Outcome::Done(head) = try_once(self.http.head(&url)).await
                        && head.status().is_success()
                        && let Some(held) = header_u64(&head, blob::UPLOAD_OFFSET)
                        && held != offset
                    {
                        answer = Some(Held(held));
                        break;
                    }
                }
                sent += chunk.len() as u64;
                let permit = self.sending.acquire().await;
                let outcome = try_once(patch(self.http)).await;
                drop(permit);
                match outcome {
                    Outcome::Done(r) => {
                        answer = Some(Answered(r));
                        break;
                    }
                    Outcome::Retry(why) => last = why,
                }
            }
            let resp = match answer {
                Some(Held(held)) => {
                    offset = held;
                    continue;
                }
                Some(Answered(r)) => r,
                None => {
                    return Err(SyncError::Unreachable {
                        attempts: self.opts.attempts,
                        last,
                    });
                }
            };
            match resp.status().as_u16() {
                204 => offset = header_u64(&resp, blob::UPLOAD_OFFSET).unwrap_or(end),
                // The batch was accepted with this blob. A receipt lost on the way is no loss: the
                // commit that follows gets it again.
                200 if final_chunk => {
                    offset = header_u64(&resp, blob::UPLOAD_OFFSET).unwrap_or(end);
                    receipt = resp.bytes().await.ok().map(|b| b.to_vec());
                }
                // The center holds a different amount than we thought (an earlier chunk did arrive): resume there.
                409 => match header_u64(&resp, blob::UPLOAD_OFFSET) {
                    Some(held) => offset = held,
                    None => return Err(refused(resp).await),
                },
                _ => return Err(refused(resp).await),
            }
        }
        Ok(Uploaded {
            sha: sha.to_owned(),
            total,
            sent,
            retries,
            receipt,
        })
    }
}

/// How a chunk's upload ended.
enum ChunkAnswer {
    /// The center answered the `PATCH`.
    Answered(reqwest::Response),
    /// A retry found the center holding this much (the chunk arrived, its answer did not).
    Held(u64),
}
use ChunkAnswer::{Answered, Held};

/// Sends a request, retrying network failures and server errors with backoff and jitter.
async fn send(
    http: &reqwest::Client,
    opts: &SyncOptions,
    build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
) -> Result<(reqwest::Response, usize), SyncError> {
    let mut last = String::new();
    for attempt in 0..opts.attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(backoff(opts.backoff, attempt)).await;
        }
        match try_once(build(http)).await {
            Outcome::Done(r) => return Ok((r, attempt as usize)),
            Outcome::Retry(why) => last = why,
        }
    }
    Err(SyncError::Unreachable {
        attempts: opts.attempts,
        last,
    })
}

async fn try_once(req: reqwest::RequestBuilder) -> Outcome {
    match req.send().await {
        Ok(r) if r.status().is_server_error() => Outcome::Retry(format!("server error {}", r.status())),
        Ok(r) => Outcome::Done(r),
        Err(e) => Outcome::Retry(network_error(&e)),
    }
}

/// A network failure with its causes (reqwest's own message hides them), and what to do about an
/// untrusted certificate, which no retry will fix.
fn network_error(e: &reqwest::Error) -> String {
    let mut text = qafila_wire::tls::with_causes(e);
    if text.contains("certificate") {
        text.push_str(&format!(
            " (the van does not trust this center's TLS certificate: put the centers' certificate in {CENTERS_CA_FILE} beside the store or name it in QAFILA_CENTER_CA, and check the van's date)"
        ));
    }
    text
}

/// The wait before try `attempt` (from 1): `base` before the first retry, doubled after each.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(Duration::from_secs(30));
    let mut r = [0u8; 2];
    let jitter = if getrandom::fill(&mut r).is_ok() {
        u16::from_le_bytes(r) as f64 / 65535.0
    } else {
        0.5
    };
    // Full jitter on half the delay: vans that lost the link together do not come back together.
    exp.mul_f64(0.5 + 0.5 * jitter)
}

fn header_u64(resp: &reqwest::Response, name: &str) -> Option<u64> {
    resp.headers().get(name)?.to_str().ok()?.parse().ok()
}

fn unreachable(e: String) -> SyncError {
    SyncError::Unreachable { attempts: 1, last: e }
}

async fn refused(resp: reqwest::Response) -> SyncError {
    let status = resp.status().as_u16();
    // A refusal whose body cannot be read is still a refusal, with an unknown code.
    let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    Page { status, body }.refused()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_at_the_base_and_doubles_within_its_jitter() {
        let base = Duration::from_millis(200);
        for _ in 0..50 {
            let first = backoff(base, 1);
            assert!(first >= base / 2 && first <= base, "{first:?}");
            let third = backoff(base, 3);
            assert!(third >= base * 2 && third <= base * 4, "{third:?}");
            let late = backoff(base, 40);
            assert!(
                late >= Duration::from_secs(15) && late <= Duration::from_secs(30),
                "{late:?}"
            );
        }
    }
}
