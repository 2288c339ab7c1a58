//! Deterministic synthetic applicants for demos, tests and benchmarks (never real people).

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::master;
use crate::record::*;

const FAMILY: &[(&str, &str)] = &[
    ("EL AMRANI", "العمراني"),
    ("BENNANI", "بناني"),
    ("OUAZZANI", "الوزاني"),
    ("TAZI", "التازي"),
    ("BERRADA", "برادة"),
    ("EL IDRISSI", "الإدريسي"),
    ("AIT BAHA", "آيت باها"),
    ("CHRAIBI", "الشرايبي"),
    ("LAHLOU", "لحلو"),
    ("ZIANI", "الزياني"),
    ("OUFKIR", "أوفقير"),
    ("AMZIL", "أمزيل"),
];
const GIVEN_F: &[(&str, &str)] = &[
    ("FATIMA ZAHRA", "فاطمة الزهراء"),
    ("KHADIJA", "خديجة"),
    ("SALMA", "سلمى"),
    ("IMANE", "إيمان"),
    ("NADIA", "نادية"),
    ("ITTO", "إطو"),
];
const GIVEN_M: &[(&str, &str)] = &[
    ("MOHAMED", "محمد"),
    ("YOUSSEF", "يوسف"),
    ("HAMID", "حميد"),
    ("OMAR", "عمر"),
    ("BRAHIM", "إبراهيم"),
    ("MOHA", "موحى"),
];

/// A small deterministic generator (SplitMix64), so samples need no RNG dependency.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn bi(p: &(&str, &str)) -> Bilingual {
    Bilingual {
        latin: p.0.into(),
        arabic: p.1.into(),
    }
}

/// A complete first-card application (blobs excluded) for the synthetic applicant number `seed`.
///
/// Portrait and fingerprints are left empty and the status is `draft`: the caller attaches blobs.
pub fn applicant(seed: u64, van_id: &str, operator_id: &str, now: DateTime<Utc>) -> Enrollment {
    let mut r = Mix(seed);
    let female = r.next().is_multiple_of(2);
    let given = if female { r.pick(GIVEN_F) } else { r.pick(GIVEN_M) };
    let family = r.pick(FAMILY);
    let father = format!("{} {}", r.pick(GIVEN_M).0, family.0);
    let father_ar = format!("{} {}", r.pick(GIVEN_M).1, family.1);
    let mother = r.pick(GIVEN_F);
    let mother_family = r.pick(FAMILY);
    let regions = &master::territory().regions;
    let region = r.pick(regions);
    let province = r.pick(&region.provinces);
    let home_region = r.pick(regions);
    let home = r.pick(&home_region.provinces);
    let birth = NaiveDate::from_ymd_opt(
        1950 + (r.next() % 55) as i32,
        1 + (r.next() % 12) as u32,
        1 + (r.next() % 28) as u32,
    )
    .unwrap_or_default();
    let mut rand10 = [0u8; 10];
    rand10[..8].copy_from_slice(&r.next().to_le_bytes());
    rand10[8..].copy_from_slice(&r.next().to_le_bytes()[..2]);
    let id = uuid::Builder::from_unix_timestamp_millis(now.timestamp_millis().max(0) as u64, &rand10).into_uuid();
    Enrollment {
        record_version: RECORD_VERSION,
        application: Application {
            id: ApplicationId(id),
            kind: ApplicationKind::FirstCard,
            previous_card: None,
            fee_waiver: None,
            drive_id: None,
            van_id: van_id.into(),
            operator_id: operator_id.into(),
            created_at: now,
            updated_at: now,
            status: Status::Draft,
        },
        civil: CivilData {
            family_name: bi(family),
            given_names: bi(given),
            sex: if female { Sex::Female } else { Sex::Male },
            birth_date: if r.next().is_multiple_of(20) {
                BirthDate::Year(birth.year())
            } else {
                BirthDate::Full(birth)
            },
            birth_place: BirthPlace::Morocco {
                province: province.code.clone(),
                commune: province.name_fr.clone(),
            },
            nationality: "MA".into(),
            father: Bilingual {
                latin: father,
                arabic: father_ar,
            },
            mother: Bilingual {
                latin: format!("{} {}", mother.0, mother_family.0),
                arabic: format!("{} {}", mother.1, mother_family.1),
            },
            address: Address::Morocco {
                line: format!("{} Douar Centre", 1 + r.next() % 200),
                commune: home.name_fr.clone(),
                province: home.code.clone(),
                postal_code: None,
            },
            phone: Some(format!("+2126{:08}", r.next() % 100_000_000)),
            civil_registry_ref: Some(format!("{}/{}", 1 + r.next() % 900, birth.format("%Y"))),
            height_cm: None,
        },
        portrait: None,
        fingerprints: Default::default(),
        documents: Vec::new(),
        consent: Some(Consent { given: true, at: now }),
        sign_off: SignOff::default(),
    }
}

/// Deterministic stand-in bytes for a blob (a portrait or a print) of `len` bytes.
pub fn blob_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut r = Mix(seed ^ 0xB10B);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&r.next().to_le_bytes());
    }
    out.truncate(len);
    out
}
