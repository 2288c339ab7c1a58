//! The end of a campaign: wait for the centers to converge, then compare them with what every van sealed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use qafila_server::center::Center;
use qafila_server::config::Config;
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;
use qafila_store::Store;
use qafila_wire::receipt::SignedReceipt;

use crate::agent::{OPERATOR, PASSPHRASE};

/// Where a center keeps its configuration and data.
pub struct CenterView {
    pub id: &'static str,
    pub config: PathBuf,
}

async fn open_center(config: &Path) -> Result<Center> {
    let cfg = Config::load(config)?;
    let keys = CenterKeys::load(&cfg.keys_path())?;
    let db: Arc<dyn CenterDb> = Arc::new(qafila_server::sqlite::SqliteDb::open(&cfg.data_dir.join("center.db"))?);
    db.migrate().await?;
    Ok(Center::new(keys, db, cfg.routing.clone(), cfg.peers.clone()))
}

/// Registers the vans (`id`, `"<ed25519 hex> <age recipient>"`) at the center configured in `config`.
pub async fn register_vans(config: &Path, vans: &[(String, String)]) -> Result<()> {
    let center = open_center(config).await?;
    for (id, keys) in vans {
        let (key, recipient) = keys.split_once(' ').context("van keys")?;
        center.register_van(id, key, recipient).await?;
    }
    Ok(())
}

/// What one center holds: application id → (heads, applicant identity).
type Holdings = BTreeMap<String, (Vec<String>, String)>;

/// `decrypt`: read each record for the duplicate check (slow); otherwise only the stored heads.
async fn holdings(config: &Path, decrypt: bool) -> Result<Holdings> {
    let center = open_center(config).await?;
    let ids: Vec<String> = center
        .db()
        .find_documents("", i64::MAX)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let mut out = BTreeMap::new();
    if !decrypt {
        for chunk in ids.chunks(500) {
            for d in center.db().documents(chunk).await? {
                out.insert(d.id, (d.heads.split(',').map(str::to_owned).collect(), String::new()));
            }
        }
        return Ok(out);
    }
    for id in ids {
        let (record, heads, _) = center.enrollment(&id).await?;
        let c = &record.civil;
        // Two ids for one person from one van would be a duplicate enrollment.
        let who = format!(
            "{}|{}|{}|{:?}|{:?}",
            record.application.van_id, c.family_name.latin, c.given_names.latin, c.birth_date, c.civil_registry_ref
        );
        out.insert(id, (heads, who));
    }
    Ok(out)
}

/// The findings.
#[derive(Default)]
pub struct Report {
    pub sealed: usize,
    pub delivered: usize,
    pub lost: Vec<String>,
    pub duplicates: usize,
    pub unknown_at_centers: usize,
    pub heads_differ: usize,
    pub receipts_valid: usize,
    pub receipts_invalid: usize,
    pub journals_ok: usize,
    pub journals_broken: Vec<String>,
    pub vans_holding_personal_data: Vec<String>,
    pub per_center: Vec<(&'static str, usize)>,
    pub converged_after: Duration,
}

impl Report {
    /// Nothing lost, doubled, diverging, invalid or left behind.
    pub fn ok(&self) -> bool {
        // A campaign in which nothing was sealed proves nothing.
        self.sealed > 0
            && self.lost.is_empty()
            && self.duplicates == 0
            && self.unknown_at_centers == 0
            && self.heads_differ == 0
            && self.receipts_invalid == 0
            && self.journals_broken.is_empty()
            && self.vans_holding_personal_data.is_empty()
    }
}

/// Reads every van, waits until both centers hold the same documents with the same heads (or `timeout`), and
/// checks.
pub async fn converge_and_check(
    centers: &[CenterView],
    vans: &[(String, PathBuf)],
    timeout: Duration,
) -> Result<Report> {
    let mut report = Report::default();
    let mut sealed = BTreeSet::new();
    for (id, dir) in vans {
        let store = Store::open(dir)?;
        let journal = store.verify_journal()?;
        if journal.is_intact() {
            report.journals_ok += 1;
        } else {
            report.journals_broken.push(id.clone());
        }
        let van = store.unlock(OPERATOR, PASSPHRASE)?;
        for s in van.list(None, 0, i64::MAX)? {
            if s.status != "draft" && s.status != "captured" {
                sealed.insert(s.id.to_string());
            }
        }
        let keys: BTreeMap<String, String> = van.centers()?.into_iter().map(|c| (c.id, c.verifying_key)).collect();
        for bytes in van.receipts()? {
            let valid = SignedReceipt::from_bytes(&bytes).ok().and_then(|signed| {
                let claimed = signed.receipt_unverified().ok()?;
                let key: [u8; 32] = hex::decode(keys.get(&claimed.center)?).ok()?.try_into().ok()?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&key).ok()?;
                signed.verify(&key).ok().filter(|r| r.van_id == *id)
            });
            if valid.is_some() {
                report.receipts_valid += 1;
            } else {
                report.receipts_invalid += 1;
            }
        }
        drop(van);
        if holds_personal_data(dir)? {
            report.vans_holding_personal_data.push(id.clone());
        }
    }
    let started = Instant::now();
    loop {
        let mut views = Vec::new();
        for c in centers {
            views.push((c.id, holdings(&c.config, false).await?));
        }
        let all_there = views.iter().all(|(_, h)| sealed.iter().all(|id| h.contains_key(id)));
        let same = views.windows(2).all(|w| {
            w[0].1.len() == w[1].1.len()
                && w[0]
                    .1
                    .iter()
                    .all(|(id, (heads, _))| w[1].1.get(id).is_some_and(|o| &o.0 == heads))
        });
        if (all_there && same) || started.elapsed() > timeout {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    report.converged_after = started.elapsed();
    let mut views = Vec::new();
    for c in centers {
        views.push((c.id, holdings(&c.config, true).await?));
    }
    compare(&sealed, &views, &mut report);
    Ok(report)
}

/// Compares what the vans sealed with what each center holds.
fn compare(sealed: &BTreeSet<String>, views: &[(&'static str, Holdings)], report: &mut Report) {
    report.sealed = sealed.len();
    for id in sealed {
        if views.iter().all(|(_, h)| h.contains_key(id)) {
            report.delivered += 1;
        } else {
            report.lost.push(id.clone());
        }
    }
    if let Some(((_, first), others)) = views.split_first() {
        for (_, other) in others {
            for (id, (heads, _)) in first {
                if other.get(id).is_some_and(|o| &o.0 != heads) {
                    report.heads_differ += 1;
                }
            }
        }
    }
    for (center, held) in views {
        report.per_center.push((center, held.len()));
        report.unknown_at_centers += held.keys().filter(|id| !sealed.contains(*id)).count();
        let mut people: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, who) in held.values() {
            *people.entry(who.as_str()).or_default() += 1;
        }
        report.duplicates += people.values().filter(|n| **n > 1).map(|n| n - 1).sum::<usize>();
    }
}

/// Whether a drained van still holds anything personal: every sealed enrollment has been receipted by then, so all
/// of them must be purged, with their blobs, search tokens and drafts.
fn holds_personal_data(dir: &Path) -> Result<bool> {
    let db = rusqlite::Connection::open_with_flags(
        dir.join(qafila_store::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let count = |sql: &str| -> Result<i64> { Ok(db.query_row(sql, [], |r| r.get(0))?) };
    let left = count("SELECT count(*) FROM enrollments WHERE purged_at IS NULL")?
        + count("SELECT count(*) FROM blobs")?
        + count("SELECT count(*) FROM enrollment_blobs")?
        + count("SELECT count(*) FROM transfer_blobs")?
        + count("SELECT count(*) FROM search_tokens")?
        + count("SELECT count(*) FROM drafts")?;
    Ok(left > 0)
}

/// What the summary shows.
pub struct SummaryInput<'a> {
    pub vans: usize,
    pub label: &'a str,
    pub minutes: f64,
    pub seed: u64,
    pub elapsed: Duration,
    pub faults: &'a BTreeMap<&'static str, u64>,
    pub proxy_faults: &'a BTreeMap<String, u64>,
    pub undrained: &'a [String],
    pub van_crashes: u32,
    pub report: &'a Report,
}

/// The summary table, in Markdown.
pub fn summary(s: &SummaryInput) -> String {
    let r = s.report;
    let injected: u64 = s.faults.values().sum();
    let mut out = String::new();
    let mut row = |k: &str, v: String| out.push_str(&format!("| {k} | {v} |\n"));
    if !s.label.is_empty() {
        row("run", s.label.to_owned());
    }
    row("vans", s.vans.to_string());
    row("minutes of faults (seed)", format!("{:.1} ({})", s.minutes, s.seed));
    row("campaign wall time", format!("{:.0} s", s.elapsed.as_secs_f64()));
    row("enrollments sealed on the vans", r.sealed.to_string());
    row("delivered (at both centers)", r.delivered.to_string());
    row("**lost**", format!("**{}**", r.lost.len()));
    row("**duplicates**", format!("**{}**", r.duplicates));
    row("at a center but sealed by no van", r.unknown_at_centers.to_string());
    row(
        "documents whose heads differ between centers",
        r.heads_differ.to_string(),
    );
    for (c, n) in &r.per_center {
        row(&format!("documents at {c}"), n.to_string());
    }
    row(
        "centers converged after the drain in",
        format!("{:.0} s", r.converged_after.as_secs_f64()),
    );
    row(
        "receipts valid / invalid",
        format!("{} / {}", r.receipts_valid, r.receipts_invalid),
    );
    row(
        "journals verifying",
        format!("{} of {}{}", r.journals_ok, s.vans, list(&r.journals_broken)),
    );
    row(
        "vans still holding personal data after the drain",
        format!(
            "{}{}",
            r.vans_holding_personal_data.len(),
            list(&r.vans_holding_personal_data)
        ),
    );
    row(
        "vans that did not drain",
        format!("{}{}", s.undrained.len(), list(s.undrained)),
    );
    row(
        "van processes that failed on their own (restarted)",
        s.van_crashes.to_string(),
    );
    row("**faults injected**", format!("**{injected}**"));
    for (k, n) in s.faults {
        row(&format!("  {k}"), n.to_string());
    }
    for (k, n) in s.proxy_faults {
        row(&format!("  proxy: {}", k.replace('_', " ")), n.to_string());
    }
    let verdict = if r.ok() && s.undrained.is_empty() {
        "PASS: nothing lost, nothing doubled"
    } else {
        "FAIL"
    };
    format!("| chaos campaign | |\n|---|---|\n{out}\n{verdict}\n")
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
        format!(" ({}{})", shown.join(", "), if ids.len() > 5 { ", …" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(entries: &[(&str, &str, &str)]) -> Holdings {
        entries
            .iter()
            .map(|(id, heads, who)| (id.to_string(), (vec![heads.to_string()], who.to_string())))
            .collect()
    }

    #[test]
    fn the_comparison_finds_losses_duplicates_strangers_and_diverging_heads() {
        let sealed: BTreeSet<String> = ["a", "b", "c"].into_iter().map(String::from).collect();
        let mut clean = Report::default();
        let both = held(&[("a", "h1", "A"), ("b", "h2", "B"), ("c", "h3", "C")]);
        compare(&sealed, &[("rabat", both.clone()), ("marrakech", both)], &mut clean);
        assert!(clean.ok(), "identical centers holding everything pass");
        assert_eq!(clean.delivered, 3);

        // c missing at Marrakech; b with other heads; d sealed by nobody; e the same person as a.
        let rabat = held(&[("a", "h1", "A"), ("b", "h2", "B"), ("c", "h3", "C"), ("e", "h5", "A")]);
        let marrakech = held(&[("a", "h1", "A"), ("b", "hX", "B"), ("d", "h4", "D")]);
        let mut bad = Report::default();
        compare(&sealed, &[("rabat", rabat), ("marrakech", marrakech)], &mut bad);
        assert_eq!(bad.lost, vec!["c".to_string()]);
        assert_eq!(bad.heads_differ, 1);
        assert_eq!(bad.unknown_at_centers, 2, "d at Marrakech and e at Rabat");
        assert_eq!(bad.duplicates, 1);
        assert!(!bad.ok());

        let mut empty = Report::default();
        compare(
            &BTreeSet::new(),
            &[("rabat", Holdings::new()), ("marrakech", Holdings::new())],
            &mut empty,
        );
        assert!(!empty.ok(), "a campaign that sealed nothing does not pass");
    }
}
