//! Appointment lists: sealed for one van, opened only by it, bounded when decoded.

use chrono::{NaiveDate, TimeZone, Utc};
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use qafila_domain::{Address, BirthDate, Sex};
use qafila_wire::appointments::{self, MAX_LISTS};
use qafila_wire::*;

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn list(version: u64, n: usize, name: &str) -> AppointmentList {
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    AppointmentList {
        v: PROTOCOL_VERSION,
        center: "rabat".into(),
        van_id: "VAN-07".into(),
        drive_id: "drive-ifrane".into(),
        drive_start: day,
        drive_end: day.succ_opt().unwrap(),
        published_at: Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap(),
        version,
        appointments: (0..n)
            .map(|i| Appointment {
                booking: format!("RDV-{i:06}"),
                slot: day.and_hms_opt(9, (i % 60) as u32, 0).unwrap(),
                prefill: Prefill {
                    family_name: Some(PartialName {
                        latin: Some(name.to_uppercase()),
                        arabic: Some("العمراني".into()),
                    }),
                    given_names: Some(PartialName {
                        latin: Some("SALMA".into()),
                        arabic: None,
                    }),
                    sex: Some(Sex::Female),
                    birth_date: Some(BirthDate::Year(1990)),
                    address: Some(Address::Morocco {
                        line: "12 rue Atlas".into(),
                        commune: "Ifrane".into(),
                        province: "05-03".into(),
                        postal_code: None,
                    }),
                    ..Prefill::default()
                },
            })
            .collect(),
    }
}

#[test]
fn only_the_van_opens_its_list_and_only_from_its_center() {
    let van = age::x25519::Identity::generate();
    let other = age::x25519::Identity::generate();
    let p = list(3, 2, "el amrani");
    let bytes = Envelope::seal_appointments(&p, &van.to_public(), &key(1))
        .unwrap()
        .to_bytes();
    let env = Envelope::from_bytes(&bytes).unwrap();
    assert_eq!(env.kind, Kind::Appointments);
    assert_eq!(env.seq, 3);
    assert_eq!(env.open_appointments(&key(1).verifying_key(), &van).unwrap(), p);
    assert_eq!(
        env.open_appointments(&key(1).verifying_key(), &other)
            .unwrap_err()
            .code(),
        "cannot_decrypt"
    );
    assert_eq!(
        env.open_appointments(&key(2).verifying_key(), &van).unwrap_err().code(),
        "bad_signature"
    );
    // The center's signature binds the version: a list cannot pass for a newer one.
    let mut bumped = env.clone();
    bumped.seq = 4;
    assert_eq!(
        bumped
            .open_appointments(&key(1).verifying_key(), &van)
            .unwrap_err()
            .code(),
        "bad_signature"
    );
    // Updates are not appointment lists, even from the right center.
    assert_eq!(
        env.open_updates(&key(1).verifying_key(), &van).unwrap_err().code(),
        "malformed"
    );
}

#[test]
fn a_pack_is_bounded() {
    let van = age::x25519::Identity::generate();
    let one = Envelope::seal_appointments(&list(1, 1, "x"), &van.to_public(), &key(1))
        .unwrap()
        .to_bytes();
    let packed = appointments::pack(&[one.clone(), one.clone()]);
    assert_eq!(appointments::unpack(&packed).unwrap().len(), 2);
    let too_many = appointments::pack(&std::iter::repeat_n(one, MAX_LISTS + 1).collect::<Vec<_>>());
    assert_eq!(appointments::unpack(&too_many).unwrap_err().code(), "too_large");
    assert_eq!(appointments::unpack(b"QAFILA\x01E").unwrap_err().code(), "not_qafila");
}

#[test]
fn a_drive_that_ends_before_it_starts_is_refused() {
    let mut p = list(1, 0, "x");
    std::mem::swap(&mut p.drive_start, &mut p.drive_end);
    assert_eq!(
        AppointmentList::from_bytes(&p.to_bytes()).unwrap_err().code(),
        "malformed"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn lists_round_trip(version in 1u64..1_000_000, n in 0usize..40, name in "[a-z ]{0,30}") {
        let van = age::x25519::Identity::generate();
        let p = list(version, n, &name);
        prop_assert_eq!(AppointmentList::from_bytes(&p.to_bytes()).unwrap(), p.clone());
        let env = Envelope::seal_appointments(&p, &van.to_public(), &key(5)).unwrap();
        let packed = appointments::pack(&[env.to_bytes()]);
        let back = appointments::unpack(&packed).unwrap();
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(back[0].open_appointments(&key(5).verifying_key(), &van).unwrap(), p);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut with_magic = appointments::PACK_MAGIC.to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = appointments::unpack(&bytes);
        let _ = appointments::unpack(&with_magic);
        let _ = AppointmentList::from_bytes(&bytes);
    }
}
