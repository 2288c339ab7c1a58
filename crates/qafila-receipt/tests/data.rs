//! Building a receipt from an enrollment record, and the fonts' errors.

mod support;

use std::path::PathBuf;

use qafila_domain::{Enrollment, Status};
use qafila_receipt::{FontPaths, Fonts, Format, ReceiptData, ReceiptError, render};
use support::{pdftotext, van_key};

fn example(name: &str) -> Enrollment {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/examples")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("example parses")
}

#[test]
fn an_unsealed_enrollment_gets_no_receipt() {
    let e = example("consulate-renewal.json");
    assert_eq!(e.application.status, Status::Captured);
    let err = ReceiptData::from_enrollment(&e).unwrap_err();
    assert!(
        matches!(err, ReceiptError::NotSealed { status: "captured", .. }),
        "{err}"
    );
}

#[test]
fn a_sealed_enrollment_gives_its_fields() {
    let mut e = example("consulate-renewal.json");
    e.application.status = Status::Sealed;
    let data = ReceiptData::from_enrollment(&e).expect("sealed");
    assert_eq!(data.application_id, e.application.id);
    assert_eq!(data.van_id, "CONSULATE-LYON");
    assert_eq!(data.family_name.arabic, "الإدريسي");
    assert_eq!(data.claims().initials, "EI Y");
    assert_eq!(data.enrolled_at, e.application.created_at);
}

#[test]
fn dejavu_alone_renders_both_scripts() {
    let fonts = Fonts::load(&FontPaths::dejavu()).unwrap_or_else(|e| panic!("{e}"));
    let mut e = example("van-first-card-disaster-drive.json");
    e.application.status = Status::Sealed;
    let data = ReceiptData::from_enrollment(&e).expect("sealed");
    let receipt = render(&fonts, &data, Format::Thermal80, &van_key()).expect("render");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dejavu.pdf");
    std::fs::write(&path, &receipt.pdf).expect("write");
    let text = pdftotext(&path);
    assert!(text.contains(&data.family_name.latin), "{text}");
    assert!(text.contains(&data.family_name.arabic), "{text}");
}

#[test]
fn a_missing_font_names_the_file_and_the_package() {
    let paths = FontPaths {
        latin: "/usr/share/fonts/truetype/noto/NoSuchFont.ttf".into(),
        arabic: qafila_receipt::NOTO_NASKH_ARABIC.into(),
    };
    let err = Fonts::load(&paths).err().expect("missing font refused");
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            ReceiptError::FontMissing {
                package: "fonts-noto-core",
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("NoSuchFont.ttf") && msg.contains("fonts-noto-core"),
        "{msg}"
    );
}

#[test]
fn a_latin_only_font_is_refused_for_arabic() {
    let paths = FontPaths {
        latin: qafila_receipt::NOTO_SANS.into(),
        arabic: qafila_receipt::NOTO_SANS.into(),
    };
    let err = Fonts::load(&paths).err().expect("refused");
    assert!(matches!(err, ReceiptError::FontLacksScript { .. }), "{err}");
}
