//! Minutiae templates on real prints: mated impressions match, non-mated do not; ISO/IEC 19794-2
//! records round-trip and never panic on arbitrary bytes.

mod common;

use common::{REAL_PRINTS, load_print, synthetic_print};
use proptest::prelude::*;
use qafila_finger::{Finger, MATCH_THRESHOLD, Minutia, MinutiaKind, Template, compare, extract};

fn real_templates() -> Vec<(&'static str, &'static str, Template)> {
    REAL_PRINTS
        .iter()
        .map(|&(name, finger)| (name, finger, extract(&load_print(name), 500).expect(name)))
        .collect()
}

#[test]
fn mated_real_impressions_match_and_non_mated_do_not() {
    let prints = real_templates();
    let (mut mated, mut non_mated) = (0, 0);
    for (a_name, a_finger, a) in &prints {
        assert!(a.minutiae().len() >= 30, "{a_name}: {} minutiae", a.minutiae().len());
        for (b_name, b_finger, b) in &prints {
            if a_name == b_name {
                continue;
            }
            let score = compare(a, b);
            if a_finger == b_finger {
                assert!(
                    score >= MATCH_THRESHOLD,
                    "{a_name} vs {b_name}: same finger scored {score}"
                );
                mated += 1;
            } else {
                assert!(
                    score < MATCH_THRESHOLD,
                    "{a_name} vs {b_name}: different fingers scored {score}"
                );
                non_mated += 1;
            }
        }
    }
    assert_eq!((mated, non_mated), (6, 50));
}

#[test]
fn known_scores_on_real_prints() {
    // MINDTCT + BOZORTH3 (the NIST algorithms, ported): pinned so a change of either crate shows.
    let t: Vec<Template> = real_templates().into_iter().map(|(_, _, t)| t).collect();
    assert_eq!(
        [compare(&t[0], &t[1]), compare(&t[3], &t[4]), compare(&t[5], &t[6])],
        [104, 55, 194]
    );
}

#[test]
fn real_templates_survive_iso_and_keep_their_scores() {
    let prints = real_templates();
    for (name, _, t) in &prints {
        let t = t.clone().with_finger(Finger::RightIndex).with_quality(60);
        let back = Template::from_iso19794_2(&t.to_iso19794_2()).expect(name);
        assert_eq!(&back, &t, "{name}");
        assert_eq!(back.ppi(), 500);
    }
    let (a, b) = (&prints[0].2, &prints[1].2);
    let a2 = Template::from_iso19794_2(&a.to_iso19794_2()).expect("a");
    let b2 = Template::from_iso19794_2(&b.to_iso19794_2()).expect("b");
    assert_eq!(compare(&a2, &b2), compare(a, b));
}

#[test]
fn synthetic_prints_match_their_other_impression_only() {
    let first: Vec<Template> = (0..3)
        .map(|seed| extract(&synthetic_print(seed, (0.0, 0.0, 0.0)), 500).expect("extract"))
        .collect();
    let second: Vec<Template> = (0..3)
        .map(|seed| extract(&synthetic_print(seed, (12.0, -9.0, 7.0)), 500).expect("extract"))
        .collect();
    for (i, a) in first.iter().enumerate() {
        for (j, b) in second.iter().enumerate() {
            let score = compare(a, b);
            if i == j {
                assert!(
                    score >= MATCH_THRESHOLD,
                    "synthetic {i}: other impression scored {score}"
                );
            } else {
                assert!(score < MATCH_THRESHOLD, "synthetic {i} vs {j} scored {score}");
            }
        }
    }
}

fn minutia() -> impl Strategy<Value = Minutia> {
    (0..=0x3fffu16, 0..=0x3fffu16, any::<u8>(), 0..=100u8, 0..3u8).prop_map(|(x, y, angle, quality, kind)| Minutia {
        x,
        y,
        angle,
        quality,
        kind: [MinutiaKind::Other, MinutiaKind::RidgeEnding, MinutiaKind::Bifurcation][usize::from(kind)],
    })
}

fn template() -> impl Strategy<Value = Template> {
    (
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        0..=10u8,
        0..16u8,
        0..=100u8,
        proptest::collection::vec(minutia(), 0..=255),
    )
        .prop_map(|(w, h, ppcm, finger, impression, quality, minutiae)| {
            let finger = Finger::from_code(finger).expect("0..=10");
            Template::new(w, h, ppcm, finger, impression, quality, minutiae).expect("in range")
        })
}

proptest! {
    #[test]
    fn iso_round_trip(t in template()) {
        let bytes = t.to_iso19794_2();
        prop_assert_eq!(bytes.len(), 30 + 6 * t.minutiae().len());
        prop_assert_eq!(Template::from_iso19794_2(&bytes).expect("own record"), t);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Template::from_iso19794_2(&bytes);
    }

    #[test]
    fn damaged_records_never_panic(t in template(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut bytes = t.to_iso19794_2();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = Template::from_iso19794_2(&bytes);
        bytes.truncate(cut.index(bytes.len()));
        prop_assert!(Template::from_iso19794_2(&bytes).is_err());
    }
}
