//! Card personalization: the printed fields, the refusals, and the DG2 portrait read back byte by
//! byte against the layouts of ICAO Doc 9303 Part 10 and ISO/IEC 19794-5:2005.

mod common;

use std::collections::HashMap;

use chrono::NaiveDate;
use common::{accepted, card_number, issue_date, token_jpeg};
use qafila_domain::{BirthDate, BlobRef, Enrollment, Sex, Status};
use qafila_export::{CardRequest, ExportError, blob_ref, personalize};

/// Reads one BER-TLV at `p`: (tag bytes, value range).
fn tlv(b: &[u8], p: usize) -> (Vec<u8>, std::ops::Range<usize>) {
    let mut q = p + 1;
    if b[p] & 0x1F == 0x1F {
        while b[q] & 0x80 != 0 {
            q += 1;
        }
        q += 1;
    }
    let tag = b[p..q].to_vec();
    let (len, start) = match b[q] {
        n if n < 0x80 => (usize::from(n), q + 1),
        0x81 => (usize::from(b[q + 1]), q + 2),
        0x82 => (usize::from(u16::from_be_bytes([b[q + 1], b[q + 2]])), q + 3),
        0x83 => (
            (usize::from(b[q + 1]) << 16) | (usize::from(b[q + 2]) << 8) | usize::from(b[q + 3]),
            q + 4,
        ),
        other => panic!("unexpected length byte {other:#x}"),
    };
    (tag, start..start + len)
}

fn request(seed: u64) -> CardRequest {
    CardRequest {
        document_number: card_number(seed),
        issue_date: issue_date(),
    }
}

#[test]
fn printed_fields() {
    let (e, blobs) = accepted(5);
    let card = personalize(&e, &request(5), &blobs).unwrap();
    assert_eq!(card.application_id, e.application.id);
    assert_eq!(card.nationality, "MAR");
    assert_eq!(card.issue_date, issue_date());
    assert_eq!(card.expiry_date, NaiveDate::from_ymd_opt(2036, 4, 2).unwrap());
    assert_eq!(card.family_name.arabic, e.civil.family_name.arabic);
    assert_eq!(card.family_name.latin, e.civil.family_name.latin);
    assert!(!card.birth_place.is_empty() && !card.birth_place_arabic.is_empty());
    assert!(card.address.contains("DOUAR CENTRE"), "{}", card.address);
    assert!(card.mrz.lines[0].starts_with(&format!("IDMAR{}", card.document_number)));

    // Arabic-only names get their Latin spelling from the transliteration.
    let (e, blobs) = accepted(4);
    assert!(e.civil.family_name.latin.is_empty());
    let card = personalize(&e, &request(4), &blobs).unwrap();
    assert!(!card.family_name.latin.is_empty());
    assert!(card.mrz.lines[2].starts_with(&card.family_name.latin.replace(' ', "<")));

    // Issued on 29 February: ten years later is 28 February.
    let leap = CardRequest {
        document_number: "BE123456".into(),
        issue_date: NaiveDate::from_ymd_opt(2028, 2, 29).unwrap(),
    };
    let (e, blobs) = accepted(5);
    assert_eq!(
        personalize(&e, &leap, &blobs).unwrap().expiry_date,
        NaiveDate::from_ymd_opt(2038, 2, 28).unwrap()
    );
}

#[test]
fn refusals_name_the_field() {
    let (e, blobs) = accepted(5);
    let field = |e: &Enrollment, r: &CardRequest, b: &HashMap<BlobRef, Vec<u8>>| {
        personalize(e, r, b).unwrap_err().field().to_string()
    };

    let mut received = e.clone();
    received.application.status = Status::Received;
    let err = personalize(&received, &request(5), &blobs).unwrap_err();
    assert_eq!(err, ExportError::NotAccepted { status: "received" });
    assert_eq!(
        err.to_string(),
        "application.status: the application is received, not accepted"
    );

    let mut no_portrait = e.clone();
    no_portrait.portrait = None;
    assert_eq!(field(&no_portrait, &request(5), &blobs), "portrait");
    assert_eq!(field(&e, &request(5), &HashMap::new()), "portrait");
    let mut swapped = blobs.clone();
    for v in swapped.values_mut() {
        v.push(0);
    }
    assert!(
        personalize(&e, &request(5), &swapped)
            .unwrap_err()
            .to_string()
            .contains("SHA-256")
    );

    let bad_number = CardRequest {
        document_number: "B-12".into(),
        issue_date: issue_date(),
    };
    assert_eq!(field(&e, &bad_number, &blobs), "document_number");

    let mut nameless = e.clone();
    nameless.civil.family_name.latin = "'-".into();
    nameless.civil.family_name.arabic = "ـ".into();
    let err = personalize(&nameless, &request(5), &blobs).unwrap_err();
    assert_eq!(err.field(), "civil.family_name");
    assert!(err.to_string().contains("transliterates to any letter"), "{err}");

    let mut foreign = e.clone();
    foreign.civil.nationality = "FR".into();
    assert_eq!(field(&foreign, &request(5), &blobs), "civil.nationality");
}

#[test]
fn dg2_wraps_an_iso_19794_5_record_of_the_token_jpeg() {
    let (mut e, mut blobs) = accepted(9);
    e.civil.sex = Sex::Female;
    e.civil.birth_date = BirthDate::Year(1961);
    // A portrait big enough for the long BER length forms.
    let mut jpeg = token_jpeg(420, 560, 9);
    let eoi = jpeg.split_off(jpeg.len() - 2);
    jpeg.extend((0..70_000u32).map(|i| (i % 251) as u8));
    jpeg.extend(eoi);
    let r = blob_ref(&jpeg);
    blobs.insert(r.clone(), jpeg.clone());
    e.portrait.as_mut().unwrap().blob = r;
    let dg2 = personalize(&e, &request(9), &blobs).unwrap().dg2;

    let (tag, v75) = tlv(&dg2, 0);
    assert_eq!(tag, [0x75]);
    assert_eq!(v75.end, dg2.len());
    let (tag, v7f61) = tlv(&dg2, v75.start);
    assert_eq!(tag, [0x7F, 0x61]);
    assert_eq!(v7f61.end, v75.end);
    let (tag, count) = tlv(&dg2, v7f61.start);
    assert_eq!((tag, &dg2[count.clone()]), (vec![0x02], &[0x01][..]));
    let (tag, v7f60) = tlv(&dg2, count.end);
    assert_eq!(tag, [0x7F, 0x60]);
    assert_eq!(v7f60.end, v7f61.end);
    let (tag, bht) = tlv(&dg2, v7f60.start);
    assert_eq!(tag, [0xA1]);
    assert_eq!(
        &dg2[bht.clone()],
        &[
            0x80, 0x02, 0x01, 0x01, 0x81, 0x01, 0x02, 0x87, 0x02, 0x01, 0x01, 0x88, 0x02, 0x00, 0x08
        ]
    );
    let (tag, bdb) = tlv(&dg2, bht.end);
    assert_eq!(tag, [0x5F, 0x2E]);
    assert_eq!(bdb.end, v7f60.end);
    let rec = &dg2[bdb];

    // Facial record header.
    assert_eq!(&rec[0..4], b"FAC\0");
    assert_eq!(&rec[4..8], b"010\0");
    assert_eq!(u32::from_be_bytes(rec[8..12].try_into().unwrap()) as usize, rec.len());
    assert_eq!(u16::from_be_bytes([rec[12], rec[13]]), 1);
    // Facial information block.
    assert_eq!(
        u32::from_be_bytes(rec[14..18].try_into().unwrap()) as usize,
        rec.len() - 14
    );
    assert_eq!(u16::from_be_bytes([rec[18], rec[19]]), 0, "feature points");
    assert_eq!(rec[20], 0x02, "gender female");
    assert_eq!(&rec[21..26], &[0, 0, 0, 0, 0], "eye, hair, feature mask");
    assert_eq!(u16::from_be_bytes([rec[26], rec[27]]), 1, "expression neutral");
    assert_eq!(&rec[28..34], &[0; 6], "pose and its uncertainty");
    // Image information.
    assert_eq!(rec[34], 0x02, "token frontal");
    assert_eq!(rec[35], 0x00, "JPEG");
    assert_eq!(u16::from_be_bytes([rec[36], rec[37]]), 420);
    assert_eq!(u16::from_be_bytes([rec[38], rec[39]]), 560);
    assert_eq!(rec[40], 0x01, "RGB 24-bit");
    assert_eq!(rec[41], 0x06, "digital video frame");
    assert_eq!(&rec[42..46], &[0; 4], "device type, quality");
    assert_eq!(&rec[46..], &jpeg[..]);
}
