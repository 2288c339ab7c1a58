//! AFIS transactions: read back with this crate's parser and checked against the ANSI/NIST-ITL
//! 1-2011 layout, then parsed by an independent implementation (PyPI's `nistitl`, pinned in
//! `scripts/fixtures.lock` and installed into the fixtures' venv by `scripts/fixtures`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use common::{card_number, with_prints};
use qafila_export::nist::{self, FS, Record, Value};
use qafila_export::{AfisOptions, afis_transaction};

fn options() -> AfisOptions {
    AfisOptions {
        date: NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
        type_of_transaction: "CNIE".into(),
        destination_agency: "MAAFIS001".into(),
        originating_agency: "MACENTER01".into(),
    }
}

fn s(r: &Record, n: u16) -> &str {
    r.get(n)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("type {} lacks field {n}", r.kind))
}

fn numbers(r: &Record) -> Vec<u16> {
    r.fields.iter().map(|f| f.number).collect()
}

#[test]
fn transaction_layout() {
    let (e, blobs) = with_prints(3);
    let bytes = afis_transaction(&e, &options(), &blobs).unwrap();
    let records = nist::parse(&bytes).unwrap();

    // Every LEN is the byte length of its record, found independently by walking the FS bytes
    // that end each record at the offset LEN gives.
    let mut offset = 0;
    for r in &records {
        let len: usize = s(r, 1).parse().unwrap();
        assert_eq!(bytes[offset + len - 1], FS);
        assert!(bytes[offset..].starts_with(format!("{}.001:{len}\x1d", r.kind).as_bytes()));
        offset += len;
    }
    assert_eq!(offset, bytes.len());

    let t1 = &records[0];
    assert_eq!(t1.kind, 1);
    assert_eq!(numbers(t1), [1, 2, 3, 4, 5, 7, 8, 9, 11, 12]);
    assert_eq!(s(t1, 2), "0500");
    assert_eq!(s(t1, 5), "20260402");
    assert_eq!(s(t1, 9), e.application.id.to_string());
    assert_eq!((s(t1, 11), s(t1, 12)), ("00.00", "00.00"));
    let Some(Value::Text(cnt)) = t1.get(3) else {
        panic!("CNT")
    };
    assert_eq!(cnt[0], ["1".to_string(), (records.len() - 1).to_string()]);
    assert_eq!(cnt.len(), records.len());
    for (entry, r) in cnt[1..].iter().zip(&records[1..]) {
        assert_eq!(entry, &[r.kind.to_string(), s(r, 2).to_string()]);
    }
    let kinds: Vec<u8> = records.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [1, 2, 10, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14]);

    let t2 = &records[1];
    assert_eq!(numbers(t2), [1, 2, 18, 22, 24]);
    assert!(s(t2, 18).contains(','));

    let t10 = &records[2];
    assert_eq!(numbers(t10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 999]);
    assert_eq!(
        (s(t10, 3), s(t10, 6), s(t10, 7), s(t10, 11)),
        ("FACE", "420", "560", "JPEGB")
    );
    let portrait = &blobs[&e.portrait.as_ref().unwrap().blob];
    assert_eq!(t10.get(999), Some(&Value::Binary(portrait.clone())));

    for (r, position) in records[3..].iter().zip(1u8..) {
        assert_eq!(s(r, 13), position.to_string());
        match position {
            4 | 9 => {
                assert_eq!(numbers(r), [1, 2, 3, 4, 5, 13, 18, 20]);
                let Some(Value::Text(amp)) = r.get(18) else {
                    panic!("AMP")
                };
                let code = if position == 4 { "XX" } else { "UP" };
                assert_eq!(amp, &[vec![position.to_string(), code.to_string()]]);
            }
            _ => {
                let quality_field = if position == 7 { 20 } else { 24 };
                assert_eq!(
                    numbers(r),
                    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, quality_field, 999]
                );
                assert_eq!(
                    (s(r, 8), s(r, 9), s(r, 10), s(r, 11), s(r, 12)),
                    ("1", "500", "500", "WSQ20", "8")
                );
                let Some(Value::Binary(wsq)) = r.get(999) else {
                    panic!("DATA")
                };
                let decoded = qafila_wsq::decode(wsq).unwrap();
                assert_eq!(s(r, 6), decoded.width.to_string());
                assert_eq!(s(r, 7), decoded.height.to_string());
                assert_eq!(decoded.ppi, Some(500));
                if position != 7 {
                    let Some(Value::Text(fqm)) = r.get(24) else {
                        panic!("FQM")
                    };
                    assert_eq!(fqm[0][0..2], [position.to_string(), (40 + position).to_string()]);
                }
            }
        }
    }
}

#[test]
fn refusals() {
    let (mut e, blobs) = with_prints(3);
    let mut bad = options();
    bad.originating_agency = "é".into();
    assert_eq!(
        afis_transaction(&e, &bad, &blobs).unwrap_err().field(),
        "originating_agency"
    );
    let mut missing = blobs.clone();
    let qafila_domain::FingerSlot::Impression { blob, .. } =
        &e.fingerprints[&qafila_domain::FingerPosition::RightIndex]
    else {
        panic!("an impression")
    };
    missing.remove(blob);
    assert_eq!(
        afis_transaction(&e, &options(), &missing).unwrap_err().field(),
        "fingerprints.2"
    );
    e.application.status = qafila_domain::Status::Draft;
    assert_eq!(
        afis_transaction(&e, &options(), &blobs).unwrap_err().field(),
        "application.status"
    );
}

/// The fixtures' Python, which must have `nistitl`; missing is a failure under CI.
fn oracle_python() -> Option<PathBuf> {
    let dir = match std::env::var_os("QAFILA_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.fixtures"),
    };
    let python = dir.join("venv/bin/python");
    let has = Command::new(&python)
        .args(["-c", "import nistitl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has {
        return Some(python);
    }
    let why = format!(
        "{} cannot import nistitl: run scripts/fixtures (or set QAFILA_FIXTURES)",
        python.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{why}");
    }
    eprintln!("SKIPPED outside CI: {why}");
    None
}

const NISTITL_SUMMARY: &str = r#"
import sys, json, nistitl
out = []
for path in sys.argv[1:]:
    msg = nistitl.Message()
    msg.parse(open(path, "rb").read())
    recs = []
    for r in msg:
        item = {"type": r.type}
        if r.type == 1:
            item["TCN"] = str(r[9].value)
            item["CNT"] = [[str(v) for v in sf] for sf in r[3].value]
        else:
            item["IDC"] = int(r.IDC)
            if r.type == 14:
                item["FGP"] = str(r[13].value)
            f = r[999]
            item["data"] = len(f.value) if f else None
        recs.append(item)
    out.append(recs)
print(json.dumps(out))
"#;

#[test]
fn nistitl_parses_every_transaction() {
    let Some(python) = oracle_python() else { return };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("qafila-export-afis");
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    let mut expected = Vec::new();
    for seed in 0..12 {
        let (e, blobs) = with_prints(seed);
        let bytes = afis_transaction(&e, &options(), &blobs).unwrap();
        let path = dir.join(format!("{}-{}.an2", seed, card_number(seed)));
        std::fs::write(&path, &bytes).unwrap();
        paths.push(path);
        expected.push((e, nist::parse(&bytes).unwrap()));
    }
    let out = Command::new(&python)
        .arg("-c")
        .arg(NISTITL_SUMMARY)
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nistitl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // The oracle does check lengths: one byte fewer in the last Type-14 is refused.
    let mut cut = std::fs::read(&paths[0]).unwrap();
    cut.remove(cut.len() - 2);
    let cut_path = dir.join("cut.an2");
    std::fs::write(&cut_path, &cut).unwrap();
    let out = Command::new(&python)
        .arg("-c")
        .arg(NISTITL_SUMMARY)
        .arg(&cut_path)
        .output()
        .unwrap();
    assert!(!out.status.success(), "nistitl accepted a record shorter than its LEN");
    // A small reading of the JSON: compare against what our own records say, rendered the same way.
    for (i, (e, records)) in expected.iter().enumerate() {
        let mut want = Vec::new();
        for r in records {
            let item = match r.kind {
                1 => {
                    let Some(Value::Text(cnt)) = r.get(3) else {
                        panic!("CNT")
                    };
                    let cnt: Vec<String> = cnt.iter().map(|sf| format!("[\"{}\", \"{}\"]", sf[0], sf[1])).collect();
                    format!(
                        "{{\"type\": 1, \"TCN\": \"{}\", \"CNT\": [{}]}}",
                        e.application.id,
                        cnt.join(", ")
                    )
                }
                kind => {
                    let data = match r.get(999) {
                        Some(Value::Binary(b)) => b.len().to_string(),
                        _ => "null".into(),
                    };
                    let fgp = if kind == 14 {
                        format!(", \"FGP\": \"{}\"", s(r, 13))
                    } else {
                        String::new()
                    };
                    format!("{{\"type\": {kind}, \"IDC\": {}{fgp}, \"data\": {data}}}", s(r, 2))
                }
            };
            want.push(item);
        }
        let want = format!("[{}]", want.join(", "));
        assert!(
            text.contains(&want),
            "transaction {i}: nistitl read\n{text}\nexpected to contain\n{want}"
        );
    }
}
