//! Master data the van needs offline: Morocco's regions and provinces, and the world's countries.
//!
//! The files under `data/` are versioned and compiled into the binary, so a van with no network
//! still validates places of birth and addresses.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const MOROCCO_JSON: &str = include_str!("../data/morocco.json");
const COUNTRIES_JSON: &str = include_str!("../data/countries.json");

/// Morocco's territorial division: 12 regions and their prefectures and provinces.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Territory {
    /// Version of the division (bumped when the file changes).
    pub version: String,
    /// Where the division comes from.
    pub source: String,
    /// The regions.
    pub regions: Vec<Region>,
}

/// One of Morocco's 12 regions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Region {
    /// Two-digit code (`01`–`12`).
    pub code: String,
    /// French name.
    pub name_fr: String,
    /// Arabic name.
    pub name_ar: String,
    /// Its prefectures and provinces.
    pub provinces: Vec<Province>,
}

/// A prefecture or province.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Province {
    /// Code `RR-NN` (region, then number within the region).
    pub code: String,
    /// `prefecture` or `province`.
    pub kind: String,
    /// French name.
    pub name_fr: String,
    /// Arabic name.
    pub name_ar: String,
}

/// The list of countries (ISO 3166-1).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Countries {
    /// Version of the source list.
    pub version: String,
    /// Where the list comes from.
    pub source: String,
    /// The countries, sorted by alpha-2 code.
    pub countries: Vec<Country>,
}

/// A country.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub alpha2: String,
    /// ISO 3166-1 alpha-3 code.
    pub alpha3: String,
    /// French name.
    pub name_fr: String,
    /// Arabic name.
    pub name_ar: String,
}

/// The embedded territorial division.
pub fn territory() -> &'static Territory {
    static CELL: OnceLock<Territory> = OnceLock::new();
    // The file is part of the source tree and checked by a test: a parse failure is a build defect.
    CELL.get_or_init(|| serde_json::from_str(MOROCCO_JSON).expect("embedded data/morocco.json is valid"))
}

/// The embedded country list.
pub fn countries() -> &'static Countries {
    static CELL: OnceLock<Countries> = OnceLock::new();
    CELL.get_or_init(|| serde_json::from_str(COUNTRIES_JSON).expect("embedded data/countries.json is valid"))
}

impl Territory {
    /// The province with this code, and its region.
    pub fn province(&self, code: &str) -> Option<(&Region, &Province)> {
        self.regions
            .iter()
            .find_map(|r| r.provinces.iter().find(|p| p.code == code).map(|p| (r, p)))
    }
}

impl Countries {
    /// The country with this alpha-2 code.
    pub fn get(&self, alpha2: &str) -> Option<&Country> {
        self.countries
            .binary_search_by(|c| c.alpha2.as_str().cmp(alpha2))
            .ok()
            .map(|i| &self.countries[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_regions_and_seventy_five_provinces() {
        let t = territory();
        assert_eq!(t.regions.len(), 12);
        assert_eq!(t.regions.iter().map(|r| r.provinces.len()).sum::<usize>(), 75);
        for r in &t.regions {
            for p in &r.provinces {
                assert!(
                    p.code.starts_with(&format!("{}-", r.code)),
                    "{} not in region {}",
                    p.code,
                    r.code
                );
                assert!(matches!(p.kind.as_str(), "prefecture" | "province"), "{}", p.kind);
            }
        }
        assert_eq!(t.province("07-01").map(|(r, _)| r.code.as_str()), Some("07"));
    }

    #[test]
    fn countries_sorted_and_unique() {
        let c = countries();
        assert!(c.countries.len() > 240);
        assert!(c.countries.windows(2).all(|w| w[0].alpha2 < w[1].alpha2));
        assert_eq!(c.get("FR").map(|c| c.alpha3.as_str()), Some("FRA"));
        assert!(
            c.get("EH").is_none(),
            "the southern provinces are Moroccan provinces, not a country"
        );
    }
}
