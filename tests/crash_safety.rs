//! Crash safety: a child process enrolls in a loop and is killed with SIGKILL at random moments.
//!
//! After every kill the store must open, every enrollment whose commit had returned must be present
//! and intact (same content, blobs readable), and the journal must verify. The child reports each
//! commit on stdout only after `enroll` returned, so anything it reported is owed.
//!
//! Kills: `QAFILA_CRASH_KILLS` (default 200). `scripts/crash-campaign` runs 1,000 or more.
//! This binary is its own child (`QAFILA_CRASH_CHILD=<dir>`), hence `harness = false`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use qafila_domain::{ApplicationId, Status};
use qafila_store::blob_refs;
use qafila_tests::{applicant, digest, init, unlock};

fn main() {
    if let Ok(dir) = std::env::var("QAFILA_CRASH_CHILD") {
        child(Path::new(&dir));
        return;
    }
    let kills: u32 = std::env::var("QAFILA_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    match campaign(kills) {
        Ok(summary) => {
            println!("{summary}");
            println!("crash_safety: 1 passed, 0 failed");
        }
        Err(e) => {
            eprintln!("crash safety FAILED: {e}");
            println!("crash_safety: 0 passed, 1 failed");
            std::process::exit(1);
        }
    }
}

/// The child: enroll forever, seal now and then, report each commit after it returned.
fn child(dir: &Path) {
    let mut van = unlock(dir);
    let seed0: u64 = std::env::var("QAFILA_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let out = std::io::stdout();
    let mut last = None;
    for i in 0.. {
        let (record, blobs) = applicant(seed0 * 1_000_000 + i);
        let id = van.enroll(record.clone(), &blobs).expect("enroll");
        writeln!(out.lock(), "enrolled {id} {}", digest(&record)).expect("stdout");
        if i % 3 == 2
            && let Some(prev) = last.take()
        {
            van.seal(&prev, None).expect("seal");
            writeln!(out.lock(), "sealed {prev}").expect("stdout");
        }
        if i % 2 == 0 {
            last = Some(id);
        }
        // Drafts are written in between, as the desktop app does while the operator types.
        van.save_draft(
            &format!("draft-{i}"),
            &serde_json::json!({"civil": {"family_name": {"latin": "DRAFT"}}}),
        )
        .expect("draft");
    }
}

struct Owed {
    digest: String,
    sealed: bool,
}

fn campaign(kills: u32) -> Result<String, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = tmp.path().join("van");
    drop(init(&dir));
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut owed: BTreeMap<String, Owed> = BTreeMap::new();
    let mut rng = 0x5EED_u64 ^ u64::from(std::process::id());
    let started = Instant::now();
    let mut killed_mid_write = 0;
    for round in 0..kills {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(5 + (rng >> 33) % 120);
        let mut child = Command::new(&exe)
            .env("QAFILA_CRASH_CHILD", &dir)
            .env("QAFILA_CRASH_SEED", (round + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        std::thread::sleep(delay);
        child.kill().map_err(|e| e.to_string())?; // SIGKILL
        let status = child.wait().map_err(|e| e.to_string())?;
        reader.join().map_err(|_| "reader thread panicked")?;
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        if stderr.contains("panicked") {
            return Err(format!(
                "round {round}: the child failed on its own before the kill: {stderr}"
            ));
        }
        if status.code().is_none() {
            killed_mid_write += 1;
        }
        let mut fresh = Vec::new();
        for line in rx.try_iter() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["enrolled", id, d] => {
                    owed.insert(
                        id.to_string(),
                        Owed {
                            digest: d.to_string(),
                            sealed: false,
                        },
                    );
                    fresh.push(id.to_string());
                }
                ["sealed", id] => {
                    if let Some(o) = owed.get_mut(*id) {
                        o.sealed = true;
                    }
                    fresh.push(id.to_string());
                }
                _ => return Err(format!("round {round}: unexpected child output {line:?}")),
            }
        }
        // Check what this round committed, plus a few older ones, every round; everything at the end.
        let older: Vec<String> = owed.keys().step_by((owed.len() / 5).max(1)).cloned().collect();
        check(&dir, &owed, fresh.iter().chain(older.iter()), round)?;
    }
    check(&dir, &owed, owed.keys(), kills)?;
    let van = unlock(&dir);
    let stored: i64 = van.store().status_counts().map_err(|e| e.to_string())?.values().sum();
    if stored < owed.len() as i64 {
        return Err(format!("{stored} enrollments stored but {} were committed", owed.len()));
    }
    Ok(format!(
        "{kills} SIGKILLs ({killed_mid_write} by signal) in {:.1?}: {} committed enrollments all intact, {stored} stored, journal verifies",
        started.elapsed(),
        owed.len()
    ))
}

fn check<'a>(
    dir: &Path,
    owed: &BTreeMap<String, Owed>,
    ids: impl Iterator<Item = &'a String>,
    round: u32,
) -> Result<(), String> {
    let van = std::panic::catch_unwind(|| unlock(dir))
        .map_err(|_| format!("round {round}: the store did not open after the kill"))?;
    let report = van.verify_journal().map_err(|e| e.to_string())?;
    if !report.is_intact() {
        return Err(format!("round {round}: journal broken: {:?}", report.breaks));
    }
    for id in ids {
        let o = &owed[id];
        let parsed: ApplicationId = id.parse().map_err(|_| format!("bad id {id}"))?;
        let mut e = van
            .get(&parsed)
            .map_err(|e| format!("round {round}: committed enrollment {id} unreadable: {e}"))?;
        let sealed = e.application.status == Status::Sealed;
        // A seal reported as returned must be there; one killed before its report may or may not be.
        if o.sealed && !sealed {
            return Err(format!(
                "round {round}: {id} was sealed but its status is {}",
                e.application.status.name()
            ));
        }
        if sealed {
            // Compare the captured content: sealing only adds the sign-off and changes the status.
            e.application.status = Status::Captured;
            e.sign_off = Default::default();
            e.application.updated_at = e.application.created_at;
        }
        if digest(&e) != o.digest {
            return Err(format!("round {round}: committed enrollment {id} changed"));
        }
        for (r, label) in blob_refs(&e) {
            van.blob(&r)
                .map_err(|err| format!("round {round}: {id} {label} unreadable: {err}"))?;
        }
    }
    Ok(())
}
