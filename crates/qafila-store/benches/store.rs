//! Store benchmark (issue #2 targets), printed as ratios to baselines measured in the same run:
//!
//! 1. raw fsync latency of a 4 KB write on the disk holding the store (the baseline);
//! 2. durable commit of a full enrollment (2 KB civil data, a 50 KB portrait, ten 15 KB prints):
//!    median and p99, target median ≤ 3 × the fsync median;
//! 3. a van holding 20,000 enrollments: unlock without the passphrase KDF (target ≤ 2 s) and search
//!    by name or id (target ≤ 50 ms), with the KDF's own cost shown beside.
//!
//! `QAFILA_BENCH_N` (default 20000) sets the size of the big van; `QAFILA_BENCH_DIR` the disk used.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use qafila_store::{InitOptions, Store, keys::StoreKey, sample};

const OP: &str = "OP-BENCH";
const PASS: &str = "benchmark passphrase";

fn median_p99(mut xs: Vec<Duration>) -> (Duration, Duration) {
    xs.sort();
    let p99 = xs[((xs.len() as f64 * 0.99).ceil() as usize).min(xs.len()) - 1];
    (xs[xs.len() / 2], p99)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn fsync_baseline(dir: &Path, n: usize, size: usize) -> Vec<Duration> {
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).expect("probe file");
    let block = vec![0x5Au8; size];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f.write_all(&block).expect("write");
        f.sync_all().expect("fsync");
        out.push(t.elapsed());
    }
    let _ = std::fs::remove_file(path);
    out
}

fn init(dir: &Path, log_n: u8) -> qafila_store::Van {
    Store::init(
        dir,
        InitOptions {
            van_id: "VAN-BENCH".into(),
            operator_id: OP.into(),
            passphrase: PASS.into(),
            recovery: None,
            kdf_log_n: log_n,
        },
    )
    .expect("init")
}

fn main() {
    let base = std::env::var_os("QAFILA_BENCH_DIR")
        .map(Into::into)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::tempdir_in(&base).expect("bench dir");
    let big_n: u64 = std::env::var("QAFILA_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    println!(
        "qafila-store benchmark in {} ({} cores)",
        tmp.path().display(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // 1 + 2: interleave the fsync probe and the commits so both see the same disk weather.
    let dir = tmp.path().join("commit");
    let mut van = init(&dir, 10);
    let now = Utc::now();
    let mut fsyncs = Vec::new();
    let mut raw_writes = Vec::new();
    let mut commits = Vec::new();
    let mut bytes = 0usize;
    for round in 0..6u64 {
        fsyncs.extend(fsync_baseline(tmp.path(), 50, 4096));
        raw_writes.extend(fsync_baseline(tmp.path(), 20, 202_000));
        for i in 0..50u64 {
            let (record, blobs) = sample::complete(round * 1000 + i, "VAN-BENCH", OP, now);
            bytes += blobs.iter().map(Vec::len).sum::<usize>() + serde_json::to_vec(&record).map_or(0, |v| v.len());
            let t = Instant::now();
            van.enroll(record, &blobs).expect("enroll");
            commits.push(t.elapsed());
        }
    }
    let (f_med, f_p99) = median_p99(fsyncs);
    let (w_med, w_p99) = median_p99(raw_writes);
    let (c_med, c_p99) = median_p99(commits.clone());
    println!();
    println!("{:<44} {:>10} {:>10} {:>12}", "", "median ms", "p99 ms", "ratio");
    println!(
        "{:<44} {:>10.2} {:>10.2} {:>12}",
        "fsync of a 4 KB write (baseline)",
        ms(f_med),
        ms(f_p99),
        "1.00x"
    );
    println!(
        "{:<44} {:>10.2} {:>10.2} {:>11.2}x   (the floor for these bytes)",
        "raw write + fsync of 202 KB",
        ms(w_med),
        ms(w_p99),
        ms(w_med) / ms(f_med)
    );
    println!(
        "{:<44} {:>10.2} {:>10.2} {:>11.2}x   target <= 3.00x: {}",
        format!(
            "durable commit of a full enrollment ({} KB)",
            bytes / commits.len() / 1000
        ),
        ms(c_med),
        ms(c_p99),
        ms(c_med) / ms(f_med),
        if ms(c_med) <= 3.0 * ms(f_med) { "met" } else { "NOT MET" }
    );
    println!(
        "{:<44} {:>10} {:>10} {:>11.2}x   (commit / raw durable write of the same size)",
        "",
        "",
        "",
        ms(c_med) / ms(w_med)
    );
    drop(van);

    // 3: a big van. Blobs are stored once per enrollment as in the field, but small (1 KB): unlock
    // and search never read blobs, and filling 4 GB would only measure the disk.
    let dir = tmp.path().join("big");
    let mut van = init(&dir, 10);
    let t = Instant::now();
    let mut batch = Vec::new();
    for i in 0..big_n {
        let (mut record, mut blobs) = sample::complete(1_000_000 + i, "VAN-BENCH", OP, now);
        for b in blobs.iter_mut() {
            b.truncate(1000);
        }
        // Re-point the references at the shortened blobs.
        let refs: Vec<String> = blobs.iter().map(|b| qafila_store::keys::sha256_hex(b)).collect();
        if let Some(p) = record.portrait.as_mut() {
            p.blob.0 = refs[0].clone();
        }
        for (slot, r) in record.fingerprints.values_mut().zip(&refs[1..]) {
            if let qafila_domain::FingerSlot::Impression { blob, .. } = slot {
                blob.0 = r.clone();
            }
        }
        batch.push((record, blobs));
        if batch.len() == 500 {
            van.enroll_many(std::mem::take(&mut batch)).expect("fill");
        }
    }
    if !batch.is_empty() {
        van.enroll_many(batch).expect("fill");
    }
    println!("\nfilled a van with {big_n} enrollments in {:.1?}", t.elapsed());
    let some_id = van.list(None, big_n as i64 / 2, 1).expect("list")[0].id.to_string();
    let sealed = std::fs::read(dir.join(qafila_store::DB_FILE))
        .map(|b| b.len())
        .unwrap_or(0);
    drop(van);

    let mut unlocks = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let v = Store::open(&dir).expect("open").unlock(OP, PASS).expect("unlock");
        let home = v.store().status_counts().expect("counts");
        let page = v.list(None, 0, 50).expect("first page");
        unlocks.push(t.elapsed());
        assert!(!home.is_empty() && page.len() == 50);
    }
    // The KDF inside that unlock (2^10 here) measured alone, to subtract it; and the default's cost.
    let sealed_key = StoreKey::generate()
        .expect("key")
        .seal_with_passphrase(PASS, 10)
        .expect("seal");
    let t = Instant::now();
    StoreKey::unseal_with_passphrase(&sealed_key, PASS, OP).expect("unseal");
    let kdf_small = t.elapsed();
    let sealed_default = StoreKey::generate()
        .expect("key")
        .seal_with_passphrase(PASS, qafila_store::DEFAULT_KDF_LOG_N)
        .expect("seal");
    let t = Instant::now();
    StoreKey::unseal_with_passphrase(&sealed_default, PASS, OP).expect("unseal");
    let kdf_default = t.elapsed();
    let (u_med, u_p99) = median_p99(unlocks.iter().map(|d| d.saturating_sub(kdf_small)).collect());

    let van = Store::open(&dir).expect("open").unlock(OP, PASS).expect("unlock");
    let mut by_name = Vec::new();
    let mut by_arabic = Vec::new();
    let mut by_id = Vec::new();
    let mut hits = 0;
    for q in [
        "bennani",
        "ben",
        "el amrani",
        "tazi youssef",
        "berrada salma",
        "ouazzani khadija",
        "lahlou",
        "ziani omar",
    ] {
        for _ in 0..5 {
            let t = Instant::now();
            hits += van.search(q, 50).expect("search").len();
            by_name.push(t.elapsed());
        }
    }
    for q in ["بناني", "التازي يوسف", "العمراني", "الزياني عمر"] {
        for _ in 0..5 {
            let t = Instant::now();
            hits += van.search(q, 50).expect("search").len();
            by_arabic.push(t.elapsed());
        }
    }
    for n in [8usize, 13, 36] {
        for _ in 0..5 {
            let t = Instant::now();
            hits += van.search(&some_id[..n], 50).expect("search").len();
            by_id.push(t.elapsed());
        }
    }
    assert!(hits > 0);
    let (n_med, n_p99) = median_p99(by_name);
    let (a_med, a_p99) = median_p99(by_arabic);
    let (i_med, i_p99) = median_p99(by_id);
    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        format!("van with {big_n} enrollments ({} MB)", sealed / 1_000_000),
        "median ms",
        "p99 ms",
        "of target"
    );
    println!(
        "{:<44} {:>10.2} {:>10.2} {:>11.3}x   target <= 2000 ms",
        "unlock to first page, without the KDF",
        ms(u_med),
        ms(u_p99),
        ms(u_med) / 2000.0
    );
    println!(
        "{:<44} {:>10.2} {:>10} {:>12}",
        "  the passphrase KDF alone, default 2^18",
        ms(kdf_default),
        "",
        "(deliberate)"
    );
    println!(
        "{:<44} {:>10.2} {:>10.2} {:>11.3}x   target <= 50 ms",
        "search by Latin name (up to 50 hits)",
        ms(n_med),
        ms(n_p99),
        ms(n_med) / 50.0
    );
    println!(
        "{:<44} {:>10.2} {:>10.2} {:>11.3}x   target <= 50 ms",
        "search by Arabic name (up to 50 hits)",
        ms(a_med),
        ms(a_p99),
        ms(a_med) / 50.0
    );
    println!(
        "{:<44} {:>10.2} {:>10.2} {:>11.3}x   target <= 50 ms",
        "search by id prefix",
        ms(i_med),
        ms(i_p99),
        ms(i_med) / 50.0
    );
    println!(
        "{:<44} {:>10.2} {:>10} {:>11.2}x",
        "  (fsync baseline, for scale)",
        ms(f_med),
        "",
        ms(n_med) / ms(f_med)
    );
}
