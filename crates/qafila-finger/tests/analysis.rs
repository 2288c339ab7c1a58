//! The single-pass analysis: NFIQ 2 and the minutiae from NIST's one library call. Its templates must be
//! interchangeable with those of `extract` (same positions, angles and qualities on the same image), match
//! mated real prints and reject non-mated ones, and survive ISO/IEC 19794-2; without the library it is
//! the fallback estimate plus `extract`.

mod common;

use common::{REAL_PRINTS, fixtures, load_print};
use qafila_finger::{
    Analysis, Finger, MATCH_THRESHOLD, Minutia, MinutiaKind, Quality, QualityConfig, QualityEngine, Template, compare,
    extract,
};

/// NFIQ 2 of the real prints (the values `tests/nfiq2.rs` checks against NIST's Python binding).
const NFIQ2_SCORES: [u8; 8] = [68, 70, 63, 71, 38, 66, 69, 42];

fn nist() -> Quality {
    fixtures();
    let quality = Quality::from_env();
    assert_eq!(
        quality.engine(),
        QualityEngine::Nfiq2,
        "NIST's library did not load ({:?}): run scripts/fixtures",
        quality.unavailable_reason()
    );
    quality
}

fn analyses(quality: &Quality) -> Vec<(&'static str, &'static str, Analysis)> {
    REAL_PRINTS
        .iter()
        .map(|&(name, finger)| (name, finger, quality.analyse(&load_print(name)).expect(name)))
        .collect()
}

/// The same template with every direction turned by `units` (of 360/256 degrees).
fn turned(t: &Template, units: u8) -> Template {
    let minutiae = t
        .minutiae()
        .iter()
        .map(|m| Minutia {
            angle: m.angle.wrapping_add(units),
            ..*m
        })
        .collect();
    Template::new(
        t.width(),
        t.height(),
        t.ppcm(),
        t.finger(),
        t.impression(),
        t.quality(),
        minutiae,
    )
    .expect("same ranges")
}

#[test]
fn one_call_gives_nfiq2_and_a_template() {
    let quality = nist();
    let results = analyses(&quality);
    let scores: Vec<u8> = results.iter().map(|(_, _, a)| a.quality.score).collect();
    assert_eq!(scores, NFIQ2_SCORES);
    for (name, _, a) in &results {
        assert_eq!(a.quality.engine, QualityEngine::Nfiq2, "{name}");
        assert!(a.quality.note.is_none(), "{name}");
        assert!(!a.quality.actionable.is_empty(), "{name}: actionable feedback");
        assert_eq!(
            a.template.quality(),
            a.quality.score,
            "{name}: finger quality is NFIQ 2"
        );
        assert_eq!(a.template.ppi(), 500, "{name}");
        let m = a.template.minutiae();
        assert!(m.len() >= 30 && m.len() <= 150, "{name}: {} minutiae", m.len());
        assert!(m.windows(2).all(|w| w[0].quality >= w[1].quality), "{name}: best first");
        assert!(
            m.iter().all(|m| m.kind != MinutiaKind::Other),
            "{name}: NIST's library tells endings from bifurcations"
        );
    }
}

#[test]
fn library_minutiae_are_mindtct_minutiae_in_the_same_conventions() {
    let quality = nist();
    for (name, _, a) in analyses(&quality) {
        let image = load_print(name);
        let ported = extract(&image, 500).expect(name);
        let lib = &a.template;
        // Every minutia NIST's library reports is one the port finds, at the same place, with the same
        // ISO direction and quality: only the kind (which the port does not tell) differs.
        for m in lib.minutiae() {
            let twin = ported
                .minutiae()
                .iter()
                .find(|p| (p.x, p.y) == (m.x, m.y))
                .unwrap_or_else(|| panic!("{name}: ({}, {}) only from the library", m.x, m.y));
            assert_eq!(
                (twin.angle, twin.quality),
                (m.angle, m.quality),
                "{name} at ({}, {})",
                m.x,
                m.y
            );
        }
        // The library keeps at most the 150 bozorth3 reads; below that, the two lists are the same
        // minutiae in the same order.
        if ported.minutiae().len() <= 150 {
            let strip = |t: &Template| -> Vec<(u16, u16, u8, u8)> {
                t.minutiae().iter().map(|m| (m.x, m.y, m.angle, m.quality)).collect()
            };
            assert_eq!(strip(lib), strip(&ported), "{name}");
        } else {
            assert_eq!(lib.minutiae().len(), 150, "{name}");
        }
        assert_eq!(
            (lib.width(), lib.height(), lib.ppcm()),
            (ported.width(), ported.height(), ported.ppcm())
        );

        // Bozorth3 across the two paths on one image scores like the image against itself, and only
        // because the angles were turned to mindtct's convention: the library's raw directions (180°
        // away) fail.
        let across = compare(lib, &ported);
        let itself = compare(&ported, &ported);
        assert!(
            across >= MATCH_THRESHOLD && across * 10 >= itself * 9,
            "{name}: library vs port {across}, port vs itself {itself}"
        );
        let raw = compare(&turned(lib, 128), &ported);
        assert!(raw < MATCH_THRESHOLD, "{name}: unconverted angles scored {raw}");
    }
}

#[test]
fn library_templates_match_mated_real_prints_and_reject_non_mated() {
    let quality = nist();
    let results = analyses(&quality);
    let ported: Vec<Template> = REAL_PRINTS
        .iter()
        .map(|(name, _)| extract(&load_print(name), 500).expect(name))
        .collect();
    let (mut mated, mut non_mated) = (0, 0);
    for (i, (a_name, a_finger, a)) in results.iter().enumerate() {
        for (j, (b_name, b_finger, b)) in results.iter().enumerate() {
            if i == j {
                continue;
            }
            // Library against library, and library probe against an `extract` gallery (enrollments
            // made before the single pass existed).
            for (score, what) in [
                (compare(&a.template, &b.template), "library/library"),
                (compare(&a.template, &ported[j]), "library/port"),
            ] {
                if a_finger == b_finger {
                    assert!(
                        score >= MATCH_THRESHOLD,
                        "{a_name} vs {b_name} ({what}): same finger scored {score}"
                    );
                } else {
                    assert!(
                        score < MATCH_THRESHOLD,
                        "{a_name} vs {b_name} ({what}): different fingers scored {score}"
                    );
                }
            }
            if a_finger == b_finger {
                mated += 1;
            } else {
                non_mated += 1;
            }
        }
    }
    assert_eq!((mated, non_mated), (6, 50));
    // The same scores `extract`'s templates give (pinned in tests/templates.rs).
    let t: Vec<&Template> = results.iter().map(|(_, _, a)| &a.template).collect();
    assert_eq!(
        [compare(t[0], t[1]), compare(t[3], t[4]), compare(t[5], t[6])],
        [104, 55, 194]
    );
}

#[test]
fn library_templates_survive_iso_and_keep_their_scores() {
    let quality = nist();
    let results = analyses(&quality);
    for (name, _, a) in &results {
        let t = a.template.clone().with_finger(Finger::LeftIndex);
        let back = Template::from_iso19794_2(&t.to_iso19794_2()).expect(name);
        assert_eq!(back, t, "{name}");
    }
    let (a, b) = (&results[0].2.template, &results[1].2.template);
    let a2 = Template::from_iso19794_2(&a.to_iso19794_2()).expect("a");
    let b2 = Template::from_iso19794_2(&b.to_iso19794_2()).expect("b");
    assert_eq!(compare(&a2, &b2), compare(a, b));
}

#[test]
fn without_the_library_it_is_the_fallback_and_extract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let quality = Quality::open(&QualityConfig {
        lib_path: Some(dir.path().join("libnbis.so")),
    });
    assert_eq!(quality.engine(), QualityEngine::Fallback);
    fixtures();
    for name in ["afis-p1_1.png", "fvc2002-101_2.png"] {
        let image = load_print(name);
        let a = quality
            .analyse(&image)
            .expect("the fallback path fails only on bad images");
        assert_eq!(a.quality.engine, QualityEngine::Fallback, "{name}");
        let note = a.quality.note.as_deref().expect("the fallback explains itself");
        assert!(note.contains("not NFIQ 2") && note.contains("not available"), "{note}");
        assert_eq!(a.quality, quality.nfiq2(&image).expect("fallback"), "{name}");
        // Template quality 0: "not computed", never the estimate passed off as a standard quality.
        assert_eq!(a.template, extract(&image, 500).expect(name), "{name}");
    }
}
