//! `cargo bench -p qafila-finger`: one run prints
//! - NFIQ 2 (NIST's library through our FFI) and minutiae extraction for one 500 ppi impression, median
//!   ms each and their sum, with NIST's NFIQ 2 through its own Python binding as the baseline;
//! - the duplicate search of one person (10 fingers) against 5,000 enrolled people (10 fingers each),
//!   with brute-force bozorth3 measured on a sample and extrapolated as the baseline.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{REAL_PAIRS, fixtures, load_print, print_path, reimpression, synthetic_template, venv_python};
use qafila_finger::{DuplicateIndex, Finger, PersonId, Quality, SearchConfig, Template, extract};

const RUNS: usize = 7;
const PEOPLE: usize = 5_000;
const BRUTE_SAMPLE: usize = 200;

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn time<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut out = None;
    let runs = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            out = Some(f());
            t.elapsed()
        })
        .collect();
    (median(runs), out.expect("RUNS > 0"))
}

fn main() {
    fixtures();
    let quality = Quality::from_env();
    println!(
        "quality engine: {} ({:?})",
        quality.engine().label(),
        quality.library_path()
    );

    println!("\n== one impression (median of {RUNS}) ==");
    for name in ["afis-p1_1.png", "fvc2002-102_1.png"] {
        let image = load_print(name);
        let (nfiq2_ms, score) = time(|| quality.nfiq2(&image).expect("NFIQ 2"));
        let (minutiae_ms, template) = time(|| extract(&image, 500).expect("extract"));
        let (fallback_ms, fallback) = time(|| Quality::fallback(&image));
        let script = r#"
import io, sys, time, nbis
from PIL import Image
png = io.BytesIO(); Image.open(sys.argv[1]).convert("L").save(png, format="PNG"); png = png.getvalue()
ex = nbis.new_nbis_extractor(nbis.NbisExtractorSettings(min_quality=0.0, get_center=False,
    check_fingerprint=False, compute_nfiq2=True, ppi=None))
runs = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); m = ex.extract_minutiae(png); runs.append(time.perf_counter() - t)
runs.sort(); print(runs[len(runs) // 2] * 1e3, m.quality().score)
"#;
        let runs = RUNS.to_string();
        let out = venv_python(script, &[&print_path(name), std::path::Path::new(&runs)]);
        let mut fields = out.split_whitespace();
        let python_ms: f64 = fields.next().and_then(|v| v.parse().ok()).expect("python timing");
        let python_score: u32 = fields.next().and_then(|v| v.parse().ok()).expect("python score");
        println!(
            "{name} ({}x{}): NFIQ 2 {} ({:.0} ms) + minutiae {} ({:.0} ms) = {:.0} ms (target ≤ 200 ms with WSQ, WSQ not included)",
            image.width(),
            image.height(),
            score.score,
            nfiq2_ms,
            template.minutiae().len(),
            minutiae_ms,
            nfiq2_ms + minutiae_ms
        );
        println!(
            "  NIST's Python binding: NFIQ 2 {python_score} in {python_ms:.0} ms; ours/Python = {:.2}; fallback (not NFIQ 2) {} in {fallback_ms:.1} ms",
            nfiq2_ms / python_ms,
            fallback.score
        );
    }

    println!("\n== duplicate search: 1 person x 10 fingers against {PEOPLE} people x 10 fingers ==");
    // The planted person: three real fingers (first impressions) and seven synthetic ones.
    let real: Vec<Template> = REAL_PAIRS
        .into_iter()
        .flat_map(|(a, b)| [a, b])
        .map(|name| extract(&load_print(name), 500).expect("extract"))
        .collect();
    let mut enrolled = Vec::new();
    let mut probe = Vec::new();
    for (i, finger) in Finger::ALL.into_iter().enumerate() {
        if i < 3 {
            enrolled.push(real[2 * i].clone().with_finger(finger));
            probe.push(real[2 * i + 1].clone().with_finger(finger));
        } else {
            let t = synthetic_template(900_000 + i as u64, finger);
            probe.push(reimpression(&t, 77 + i as u64));
            enrolled.push(t);
        }
    }
    let people: Vec<(PersonId, Vec<Template>)> = (0..PEOPLE)
        .map(|p| {
            if p == PEOPLE / 2 {
                return (PersonId("planted".into()), enrolled.clone());
            }
            let templates = Finger::ALL
                .iter()
                .map(|&f| synthetic_template((p as u64) << 4 | u64::from(f.code()), f));
            (PersonId(format!("person-{p:05}")), templates.collect())
        })
        .collect();
    let start = Instant::now();
    let mut index = DuplicateIndex::new(SearchConfig::default());
    index.extend(people).expect("extend");
    println!(
        "index built in {:.0} ms (templates given)",
        start.elapsed().as_secs_f64() * 1e3
    );

    let (search_ms, found) = time(|| index.probable_duplicates(&probe));
    let planted: Vec<_> = found.iter().filter(|c| c.person.0 == "planted").collect();
    let others = found.len() - planted.len();
    println!(
        "search: {search_ms:.0} ms (target ≤ 1000 ms); planted person found on {}/10 fingers {:?}, {others} other candidates",
        planted.len(),
        planted.iter().map(|c| (c.finger.code(), c.score)).collect::<Vec<_>>()
    );

    // Brute force on a sample of people, extrapolated.
    let mut sample = DuplicateIndex::new(SearchConfig::default());
    for p in 0..BRUTE_SAMPLE {
        let templates = Finger::ALL
            .iter()
            .map(|&f| synthetic_template((p as u64) << 4 | u64::from(f.code()), f));
        sample
            .insert(PersonId(format!("person-{p:05}")), templates.collect())
            .expect("insert");
    }
    sample.insert(PersonId("planted".into()), enrolled).expect("insert");
    let t = Instant::now();
    let brute = sample.probable_duplicates_brute_force(&probe);
    let brute_ms = t.elapsed().as_secs_f64() * 1e3 * PEOPLE as f64 / (BRUTE_SAMPLE + 1) as f64;
    let brute_planted = brute.iter().filter(|c| c.person.0 == "planted").count();
    println!(
        "brute force (same finger position only): {:.0} ms measured on {} people, {brute_ms:.0} ms extrapolated to {PEOPLE}; it finds the planted person on {brute_planted}/10 fingers",
        t.elapsed().as_secs_f64() * 1e3,
        BRUTE_SAMPLE + 1
    );
    println!("search is {:.0}x faster than brute force", brute_ms / search_ms);

    let mut bytes = Vec::new();
    let t = Instant::now();
    index.save(&mut bytes).expect("save");
    let save_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let loaded = DuplicateIndex::load(bytes.as_slice()).expect("load");
    println!(
        "stored index: {:.1} MiB, saved in {save_ms:.0} ms, loaded and rebuilt in {:.0} ms ({} people)",
        bytes.len() as f64 / 1048576.0,
        t.elapsed().as_secs_f64() * 1e3,
        loaded.len()
    );
}
