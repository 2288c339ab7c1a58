//! One van of the campaign, as its own process.
//!
//! Every step starts from what the store says, never from memory: after a SIGKILL the next start seals what was
//! enrolled but not sealed, and numbers the next applicant by how many the store holds, so a kill between two
//! steps neither loses an applicant nor enrolls one twice. Its standard output is a log of ids and counts only.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::Args;
use qafila_domain::{BlobRef, FingerPosition, FingerSlot, Portrait, QualityCheck, QualityReport};
use qafila_store::{InitOptions, Store, Van};

/// The operator every campaign van has.
pub const OPERATOR: &str = "SUP-0001";
/// Their passphrase (test material).
pub const PASSPHRASE: &str = "chaos campaign passphrase";
/// Created in a van's folder when the van must stop enrolling and drain.
pub const STOP_FILE: &str = "stop-enrolling";

/// `qafila-chaos van` flags.
#[derive(Args, Clone, Debug)]
pub struct AgentArgs {
    /// The van's store folder.
    #[arg(long)]
    pub store: PathBuf,
    /// The capture pool (`portrait.jpg`, `portrait.json`, `prints-*/`).
    #[arg(long)]
    pub pool: PathBuf,
    /// Center URLs (through the fault proxies), tried in turn.
    #[arg(long, value_delimiter = ',')]
    pub centers: Vec<String>,
    /// First applicant seed of this van.
    #[arg(long)]
    pub seed_base: u64,
    /// Pause between two enrollments, milliseconds.
    #[arg(long, default_value_t = 1500)]
    pub pause_ms: u64,
    /// Sync after this many enrollments.
    #[arg(long, default_value_t = 3)]
    pub sync_every: u32,
    /// Enroll at most this many applicants.
    #[arg(long, default_value_t = 1000)]
    pub max_enrollments: u64,
}

/// One captured impression: position, WSQ, quality, quality engine, device.
struct Print {
    position: FingerPosition,
    wsq: Vec<u8>,
    quality: u8,
    engine: String,
    device: String,
}

/// The captures the van's applicants are given: real outputs of the file camera and the SBI simulator.
struct Pool {
    portrait: Vec<u8>,
    portrait_quality: QualityReport,
    /// Per capture, the ten prints.
    prints: Vec<Vec<Print>>,
}

fn load_pool(dir: &Path) -> Result<Pool> {
    let portrait = std::fs::read(dir.join("portrait.jpg")).context("pool: portrait.jpg")?;
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("portrait.json"))?)?;
    let checks = report["checks"]
        .as_array()
        .context("pool: portrait.json has no checks")?
        .iter()
        .map(|c| QualityCheck {
            id: c["id"].as_str().unwrap_or_default().to_owned(),
            ok: c["ok"].as_bool().unwrap_or(false),
            value: c["value"].as_f64(),
            reason: c["reason"].as_str().map(str::to_owned),
        })
        .collect();
    let portrait_quality = QualityReport {
        ok: report["ok"].as_bool().unwrap_or(false),
        checks,
        override_by: None,
    };
    let mut prints = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("prints-"))
        })
        .collect();
    dirs.sort();
    for d in dirs {
        let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("summary.json"))?)?;
        let mut ten = Vec::new();
        for f in summary["fingers"]
            .as_array()
            .context("pool: summary.json has no fingers")?
        {
            if f["state"] != "impression" {
                continue;
            }
            let n = f["finger"].as_u64().context("pool: finger position")?;
            let pos = FingerPosition::ALL
                .into_iter()
                .find(|p| u64::from(p.number()) == n)
                .context("pool: finger position out of range")?;
            ten.push(Print {
                position: pos,
                wsq: std::fs::read(d.join(format!("{n}.wsq")))?,
                quality: f["quality"].as_u64().unwrap_or(0).min(100) as u8,
                engine: f["engine"].as_str().unwrap_or("unknown").to_owned(),
                device: f["device"].as_str().unwrap_or("unknown").to_owned(),
            });
        }
        prints.push(ten);
    }
    if prints.is_empty() {
        bail!("pool {}: no prints-*/ captures", dir.display());
    }
    Ok(Pool {
        portrait,
        portrait_quality,
        prints,
    })
}

/// Creates a campaign van's store (fast KDF: the campaign is about faults, not passphrase cost).
pub fn init_store(dir: &Path, van_id: &str, centers: &[(String, String, String)]) -> Result<String> {
    let mut van = Store::init(
        dir,
        InitOptions {
            van_id: van_id.into(),
            operator_id: OPERATOR.into(),
            passphrase: PASSPHRASE.into(),
            recovery: None,
            kdf_log_n: 8,
        },
    )?;
    for (id, key, recipient) in centers {
        van.add_center(id, key, recipient)?;
    }
    let key = hex::encode(van.store().public_key()?.as_bytes());
    let recipient = van.update_recipient()?;
    Ok(format!("{key} {recipient}"))
}

fn applicant(pool: &Pool, seed: u64, van: &Van) -> Result<(qafila_domain::Enrollment, Vec<Vec<u8>>)> {
    let mut e = qafila_domain::sample::applicant(seed, &van.van_id()?, OPERATOR, Utc::now());
    let mut blobs = vec![pool.portrait.clone()];
    e.portrait = Some(Portrait {
        blob: BlobRef(qafila_store::keys::sha256_hex(&pool.portrait)),
        quality: pool.portrait_quality.clone(),
    });
    let ten = &pool.prints[(seed as usize) % pool.prints.len()];
    for p in ten {
        e.fingerprints.insert(
            p.position,
            FingerSlot::Impression {
                blob: BlobRef(qafila_store::keys::sha256_hex(&p.wsq)),
                quality: p.quality,
                quality_algorithm: Some(p.engine.clone()),
                device: p.device.clone(),
            },
        );
        blobs.push(p.wsq.clone());
    }
    Ok((e, blobs))
}

/// Runs one van until it has drained after being told to stop.
pub fn run(args: AgentArgs) -> Result<std::process::ExitCode> {
    let pool = load_pool(&args.pool)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut since_sync = 0u32;
    let mut round = 0usize;
    let started = Instant::now();
    loop {
        match cycle(&args, &pool, &rt, &mut since_sync, &mut round) {
            Ok(true) => {
                println!("drained after {:.0} s", started.elapsed().as_secs_f64());
                return Ok(std::process::ExitCode::SUCCESS);
            }
            Ok(false) => {}
            // A full disk, a locked database or a center that is down: say so, wait, and start over from the store.
            Err(e) => {
                println!("error {}", one_line(&e));
                std::thread::sleep(Duration::from_millis(1000));
            }
        }
        std::thread::sleep(Duration::from_millis(args.pause_ms));
    }
}

fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").replace('\n', " ")
}

/// One step: resume, enroll one, maybe sync. True once stopped and nothing is left to send.
fn cycle(
    args: &AgentArgs,
    pool: &Pool,
    rt: &tokio::runtime::Runtime,
    since_sync: &mut u32,
    round: &mut usize,
) -> Result<bool> {
    let mut van = Store::open(&args.store)?.unlock(OPERATOR, PASSPHRASE)?;
    // Enrolled but not sealed: killed between the two steps.
    for s in van.list(Some("captured"), 0, 1000)? {
        van.seal(&s.id, None)?;
        println!("sealed {} (resumed)", s.id);
    }
    let stop = args.store.join(STOP_FILE).exists();
    let held: i64 = van.store().status_counts()?.values().sum();
    if !stop && (held as u64) < args.max_enrollments {
        let (record, blobs) = applicant(pool, args.seed_base + held as u64, &van)?;
        let id = van.enroll(record, &blobs)?;
        van.seal(&id, None)?;
        println!("sealed {id}");
        *since_sync += 1;
    }
    if stop || *since_sync >= args.sync_every {
        let opts = qafila_sync::SyncOptions {
            attempts: 3,
            backoff: Duration::from_millis(200),
            request_timeout: Duration::from_secs(15),
            ..Default::default()
        };
        let mut synced = false;
        for i in 0..args.centers.len() {
            let url = &args.centers[(*round + i) % args.centers.len()];
            match rt.block_on(qafila_sync::sync_once(&mut van, url, &opts, &mut |_| {})) {
                Ok(r) => {
                    println!(
                        "synced {url} batches {} documents {} purged {}",
                        r.batches, r.documents, r.purged
                    );
                    synced = true;
                    break;
                }
                Err(e) => println!("sync failed {url}: {}", one_line(&e.into())),
            }
        }
        *round += 1;
        if synced {
            *since_sync = 0;
        }
        if stop && synced {
            let s = van.sync_status()?;
            return Ok(s.documents_pending == 0 && s.batches_unreceipted == 0);
        }
    }
    Ok(false)
}
