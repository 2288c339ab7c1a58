//! Card personalization data for an accepted application: what is printed on the CNIE, its
//! TD1 MRZ and the chip's DG2 portrait.

use chrono::{Months, NaiveDate};
use qafila_domain::transliterate::to_latin;
use qafila_domain::{
    Address, ApplicationId, Bilingual, BirthDate, BirthPlace, CardNumber, Enrollment, Sex, Status, master,
};

use crate::mrz::{Td1, Td1Fields, encode_td1, name_components};
use crate::{BlobSource, ExportError, face, fetch};

/// Years a CNIE is valid from its issue date.
pub const VALIDITY_YEARS: u32 = 10;
/// ICAO code of the issuing state and of the holders' nationality.
pub const MOROCCO_ALPHA3: &str = "MAR";
/// The TD1 document code used for the CNIE (an identity card: I, then D).
pub const DOCUMENT_CODE: &str = "ID";

/// What the center decides when it orders a card: the number it assigned and the issue date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRequest {
    /// The card number the center assigned: one or two letters, then 4 to 7 digits (`BE123456`).
    pub document_number: String,
    /// Date of issue; the card expires [`VALIDITY_YEARS`] later.
    pub issue_date: NaiveDate,
}

/// Everything the card personalization line needs for one card.
#[derive(Clone, Debug, PartialEq)]
pub struct CardPersonalization {
    /// The application the card answers.
    pub application_id: ApplicationId,
    /// Card number.
    pub document_number: String,
    /// Family name: Latin in the card's capitals (from the Arabic when no Latin was recorded), and Arabic.
    pub family_name: Bilingual,
    /// Given names, as the family name.
    pub given_names: Bilingual,
    /// Sex.
    pub sex: Sex,
    /// Date of birth (possibly the year alone).
    pub birth_date: BirthDate,
    /// Place of birth in Latin letters (`COMMUNE, PROVINCE` or `CITY, COUNTRY`).
    pub birth_place: String,
    /// The province's (or country's) name in Arabic for the place of birth.
    pub birth_place_arabic: String,
    /// Date of issue.
    pub issue_date: NaiveDate,
    /// Date of expiry: the issue date plus ten years (28 February for an issue on 29 February).
    pub expiry_date: NaiveDate,
    /// Nationality, ICAO code (`MAR`).
    pub nationality: String,
    /// Address on one line, in Latin letters.
    pub address: String,
    /// Father's name, as recorded.
    pub father: Bilingual,
    /// Mother's name, as recorded.
    pub mother: Bilingual,
    /// Civil-registry reference, if recorded.
    pub civil_registry_ref: Option<String>,
    /// The machine-readable zone.
    pub mrz: Td1,
    /// The chip's DG2 file (the portrait as an ISO/IEC 19794-5 record in its CBEFF template).
    pub dg2: Vec<u8>,
}

/// The Latin spelling of a name for the card: the recorded Latin in capitals, or, where the
/// record has the Arabic only (or Latin the MRZ cannot write), its transliteration.
pub fn card_latin(name: &Bilingual, field: &str) -> Result<String, ExportError> {
    let latin = name
        .latin
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    if !name_components(&latin).is_empty() {
        return Ok(latin);
    }
    let from_arabic = to_latin(&name.arabic);
    if !name_components(&from_arabic).is_empty() {
        return Ok(from_arabic);
    }
    Err(ExportError::invalid(
        field,
        format!(
            "neither the Latin {:?} nor the Arabic {:?} transliterates to any letter A-Z",
            name.latin, name.arabic
        ),
    ))
}

fn place_of_birth(place: &BirthPlace) -> (String, String) {
    match place {
        BirthPlace::Morocco { province, commune } => match master::territory().province(province) {
            Some((_, p)) => (
                format!("{}, {}", commune.to_uppercase(), p.name_fr.to_uppercase()),
                p.name_ar.clone(),
            ),
            None => (commune.to_uppercase(), String::new()),
        },
        BirthPlace::Abroad { country, city } => match master::countries().get(country) {
            Some(c) => (
                format!("{}, {}", city.to_uppercase(), c.name_fr.to_uppercase()),
                c.name_ar.clone(),
            ),
            None => (format!("{}, {}", city.to_uppercase(), country), String::new()),
        },
    }
}

fn address_line(address: &Address) -> String {
    let parts: Vec<String> = match address {
        Address::Morocco {
            line,
            commune,
            province,
            postal_code,
        } => {
            let province = master::territory()
                .province(province)
                .map(|(_, p)| p.name_fr.clone())
                .unwrap_or_else(|| province.clone());
            vec![
                line.clone(),
                postal_code.clone().unwrap_or_default(),
                commune.clone(),
                province,
            ]
        }
        Address::Abroad {
            line,
            city,
            country,
            postal_code,
        } => {
            let country = master::countries()
                .get(country)
                .map(|c| c.name_fr.clone())
                .unwrap_or_else(|| country.clone());
            vec![
                line.clone(),
                postal_code.clone().unwrap_or_default(),
                city.clone(),
                country,
            ]
        }
    };
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
        .to_uppercase()
}

/// The card personalization data of `enrollment`, which must be accepted, with the portrait
/// taken from `blobs` (checked against its reference).
pub fn personalize(
    enrollment: &Enrollment,
    request: &CardRequest,
    blobs: &dyn BlobSource,
) -> Result<CardPersonalization, ExportError> {
    if enrollment.application.status != Status::Accepted {
        return Err(ExportError::NotAccepted {
            status: enrollment.application.status.name(),
        });
    }
    if !CardNumber(request.document_number.clone()).is_well_formed() {
        return Err(ExportError::invalid(
            "document_number",
            format!(
                "{:?} is not a CNIE number (one or two letters A-Z, then 4 to 7 digits)",
                request.document_number
            ),
        ));
    }
    let civil = &enrollment.civil;
    if civil.nationality != "MA" {
        return Err(ExportError::invalid(
            "civil.nationality",
            format!("{:?}: a CNIE is issued to Moroccan nationals only", civil.nationality),
        ));
    }
    let portrait = enrollment
        .portrait
        .as_ref()
        .ok_or_else(|| ExportError::missing("portrait", "the application has no portrait"))?;
    let jpeg = fetch(blobs, &portrait.blob, "portrait")?;
    let expiry_date = request
        .issue_date
        .checked_add_months(Months::new(12 * VALIDITY_YEARS))
        .ok_or_else(|| ExportError::invalid("issue_date", "ten years later is out of the calendar"))?;

    let family_latin = card_latin(&civil.family_name, "civil.family_name")?;
    let given_latin = card_latin(&civil.given_names, "civil.given_names")?;
    let mrz = encode_td1(&Td1Fields {
        document_code: DOCUMENT_CODE.into(),
        issuing_state: MOROCCO_ALPHA3.into(),
        document_number: request.document_number.clone(),
        birth_date: civil.birth_date,
        sex: Some(civil.sex),
        expiry: expiry_date,
        nationality: MOROCCO_ALPHA3.into(),
        primary: family_latin.clone(),
        secondary: given_latin.clone(),
    })?;
    let dg2 = face::dg2(&face::iso19794_5_record(jpeg, Some(civil.sex))?)?;
    let (birth_place, birth_place_arabic) = place_of_birth(&civil.birth_place);
    Ok(CardPersonalization {
        application_id: enrollment.application.id,
        document_number: request.document_number.clone(),
        family_name: Bilingual {
            latin: family_latin,
            arabic: civil.family_name.arabic.clone(),
        },
        given_names: Bilingual {
            latin: given_latin,
            arabic: civil.given_names.arabic.clone(),
        },
        sex: civil.sex,
        birth_date: civil.birth_date,
        birth_place,
        birth_place_arabic,
        issue_date: request.issue_date,
        expiry_date,
        nationality: MOROCCO_ALPHA3.into(),
        address: address_line(&civil.address),
        father: civil.father.clone(),
        mother: civil.mother.clone(),
        civil_registry_ref: civil.civil_registry_ref.clone(),
        mrz,
        dg2,
    })
}
