//! No plaintext at rest: distinctive names and image bytes never appear in any file of the store.

use std::path::Path;

use qafila_domain::{Bilingual, BlobRef, Portrait, QualityReport};
use qafila_store::keys::sha256_hex;
use qafila_tests::{applicant, init, unlock};

const LATIN_FAMILY: &str = "QAFILATESTZOUBIDA";
const LATIN_GIVEN: &str = "TIMGHARTESTNAME";
const ARABIC_FAMILY: &str = "زبيدةالقافلة";
const ARABIC_GIVEN: &str = "تيمغارتجريبية";

fn needles(portrait: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut n: Vec<(String, Vec<u8>)> = [LATIN_FAMILY, LATIN_GIVEN, ARABIC_FAMILY, ARABIC_GIVEN]
        .iter()
        .flat_map(|s| {
            [
                (s.to_string(), s.as_bytes().to_vec()),
                (format!("{s} lowercase"), s.to_lowercase().into_bytes()),
                (
                    format!("{s} UTF-16"),
                    s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
                ),
            ]
        })
        .collect();
    // Any 32-byte window of the image, and its plain SHA-256 (which would let a thief confirm a known photo).
    for at in [0, 1000, 25_000, portrait.len() - 32] {
        n.push((format!("portrait bytes @{at}"), portrait[at..at + 32].to_vec()));
    }
    n.push(("portrait sha256".into(), sha256_hex(portrait).into_bytes()));
    n
}

fn scan(dir: &Path, needles: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut files = 0;
    for entry in std::fs::read_dir(dir).expect("read store dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read file");
        files += 1;
        for (name, needle) in needles {
            if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                hits.push(format!("{name} in {}", path.display()));
            }
        }
    }
    assert!(files >= 1, "no files scanned");
    hits
}

#[test]
fn names_and_images_never_reach_disk_in_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("van");
    let mut van = init(&dir);

    let (mut record, mut blobs) = applicant(42);
    record.civil.family_name = Bilingual {
        latin: LATIN_FAMILY.into(),
        arabic: ARABIC_FAMILY.into(),
    };
    record.civil.given_names = Bilingual {
        latin: LATIN_GIVEN.into(),
        arabic: ARABIC_GIVEN.into(),
    };
    // A portrait with a recognisable pattern (a real JPEG header and repeated text).
    let mut portrait = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00".to_vec();
    while portrait.len() < 50_000 {
        portrait.extend_from_slice(b"QAFILA-PORTRAIT-PIXELS-");
    }
    record.portrait = Some(Portrait {
        blob: BlobRef(sha256_hex(&portrait)),
        quality: QualityReport {
            ok: true,
            checks: vec![],
            override_by: None,
        },
    });
    blobs[0] = portrait.clone();
    let id = van.enroll(record.clone(), &blobs).unwrap();

    // An edit, a draft holding the names, and a seal: every write path.
    record.civil.phone = Some("+212600000001".into());
    van.update(record.clone(), &[]).unwrap();
    van.save_draft("draft-1", &serde_json::to_value(&record.civil).unwrap())
        .unwrap();
    van.seal(&id, None).unwrap();
    // A search that works proves the index exists, in keyed form only.
    assert_eq!(van.search("qafilatestzou", 10).unwrap().len(), 1);
    assert_eq!(van.search("زبيدة", 10).unwrap().len(), 1);

    let needles = needles(&portrait);
    // While the store is open (WAL and shared memory present) ...
    let hits = scan(&dir, &needles);
    assert!(hits.is_empty(), "plaintext found while open: {hits:?}");
    drop(van);
    // ... and after it is closed and checkpointed.
    let hits = scan(&dir, &needles);
    assert!(hits.is_empty(), "plaintext found after close: {hits:?}");

    // The data is still there for whoever holds the passphrase.
    let van = unlock(&dir);
    assert_eq!(van.get(&id).unwrap().civil.family_name.arabic, ARABIC_FAMILY);
    assert_eq!(van.blob(&BlobRef(sha256_hex(&portrait))).unwrap(), portrait);
}
