//! The enrollment input file: a record in the published layout, where each `"blob"` may name a file
//! (`"@portrait.jpg"`, relative to the JSON file) and application fields the van knows may be left out.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use qafila_domain::{ApplicationId, Enrollment, FingerPosition, FingerSlot, Portrait, QualityReport, sample};
use serde_json::{Map, Value, json};

/// Reads an input file: the record and the bytes of every blob it names.
pub fn read(path: &Path, van_id: &str, operator_id: &str) -> Result<(Enrollment, Vec<Vec<u8>>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut value: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))?;
    let Some(root) = value.as_object_mut() else {
        bail!("{}: the record must be a JSON object", path.display())
    };
    fill_defaults(root, van_id, operator_id);
    let base = path.parent().unwrap_or(Path::new("."));
    let mut blobs = Vec::new();
    resolve_blobs(&mut value, base, "", &mut blobs)?;
    let record: Enrollment =
        serde_path_error(value).with_context(|| format!("{} does not hold a valid record", path.display()))?;
    Ok((record, blobs))
}

fn serde_path_error(value: Value) -> Result<Enrollment> {
    serde_json::from_value(value).map_err(|e| anyhow::anyhow!("{e}"))
}

fn fill_defaults(root: &mut Map<String, Value>, van_id: &str, operator_id: &str) {
    let now = Utc::now();
    root.entry("record_version")
        .or_insert(json!(qafila_domain::RECORD_VERSION));
    let app = root.entry("application").or_insert_with(|| json!({}));
    if let Some(app) = app.as_object_mut() {
        app.entry("id").or_insert_with(|| json!(ApplicationId::new_v7()));
        app.entry("van_id").or_insert(json!(van_id));
        app.entry("operator_id").or_insert(json!(operator_id));
        app.entry("created_at").or_insert(json!(now));
        app.entry("updated_at").or_insert(json!(now));
        app.entry("status").or_insert(json!({"state": "draft"}));
    }
}

/// Replaces every `"blob": "@file"` with the file's SHA-256, collecting the bytes.
fn resolve_blobs(v: &mut Value, base: &Path, at: &str, out: &mut Vec<Vec<u8>>) -> Result<()> {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                let here = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                if k == "blob"
                    && let Some(name) = child.as_str().and_then(|s| s.strip_prefix('@'))
                {
                    let file: PathBuf = base.join(name);
                    let bytes =
                        std::fs::read(&file).with_context(|| format!("{here}: cannot read {}", file.display()))?;
                    if bytes.is_empty() {
                        bail!("{here}: {} is empty", file.display());
                    }
                    *child = json!(qafila_store::keys::sha256_hex(&bytes));
                    out.push(bytes);
                } else {
                    resolve_blobs(child, base, &here, out)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                resolve_blobs(child, base, &format!("{at}.{i}"), out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Writes `applicant.json` and synthetic blob files for applicant `seed` into `dir`.
pub fn write_sample(seed: u64, dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut e = sample::applicant(seed, "", "", Utc::now());
    std::fs::write(dir.join("portrait.jpg"), sample::blob_bytes(seed, 50_000))?;
    e.portrait = Some(Portrait {
        blob: qafila_domain::BlobRef("@portrait.jpg".into()),
        quality: QualityReport {
            ok: true,
            checks: Vec::new(),
            override_by: None,
        },
    });
    for pos in FingerPosition::ALL {
        let name = format!("finger-{:02}.wsq", pos.number());
        std::fs::write(
            dir.join(&name),
            sample::blob_bytes(seed * 100 + u64::from(pos.number()), 15_000),
        )?;
        e.fingerprints.insert(
            pos,
            FingerSlot::Impression {
                blob: qafila_domain::BlobRef(format!("@{name}")),
                quality: 60,
                quality_algorithm: Some("synthetic".into()),
                device: "SIMULATED".into(),
            },
        );
    }
    let mut value = serde_json::to_value(&e)?;
    // The van fills in its own id, the operator, the times and a fresh application id.
    if let Some(app) = value.get_mut("application").and_then(Value::as_object_mut) {
        for k in ["id", "van_id", "operator_id", "created_at", "updated_at", "status"] {
            app.remove(k);
        }
    }
    let path = dir.join("applicant.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&value)?)?;
    Ok(path)
}
