//! Quality of one impression: NIST's NFIQ 2 when its library can be loaded, otherwise the crate's own
//! fallback score, always labelled with the engine that produced it so the UI never passes one off as
//! the other.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fallback::{self, FallbackMeasures};
use crate::image::GrayImage;
use crate::nbis_ffi::NbisLibrary;
use crate::template::{self, Template};

/// Environment variable naming `libnbis.so` (overrides the search, not an explicit config path).
pub const NBIS_LIB_ENV: &str = "QAFILA_NBIS_LIB";
/// Environment variable naming the fixtures directory (`scripts/fixtures` fills it).
pub const FIXTURES_ENV: &str = "QAFILA_FIXTURES";
/// NFIQ 2 is defined for 500 ppi images only.
pub const NFIQ2_PPI: u16 = 500;

/// Places searched for `libnbis.so` after the configured ones.
const STANDARD_PLACES: [&str; 4] = [
    "/opt/qafila/lib/libnbis.so",
    "/usr/local/lib/libnbis.so",
    "/usr/lib/libnbis.so",
    "/usr/lib/x86_64-linux-gnu/libnbis.so",
];

/// The fixtures directory: `$QAFILA_FIXTURES`, else `<workspace root>/.fixtures`.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os(FIXTURES_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.fixtures"),
    }
}

/// Which implementation produced a quality score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QualityEngine {
    /// NIST's NFIQ 2 (2.3, from `libnbis.so`).
    Nfiq2,
    /// The crate's fallback estimate: **not NFIQ 2**.
    Fallback,
}

impl QualityEngine {
    /// What the UI shows next to the number.
    pub fn label(self) -> &'static str {
        match self {
            QualityEngine::Nfiq2 => "NFIQ 2",
            QualityEngine::Fallback => "fallback estimate (not NFIQ 2)",
        }
    }
}

/// A quality score 0–100 (higher is better) and the engine behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityScore {
    /// The score, 0–100.
    pub score: u8,
    /// Who computed it.
    pub engine: QualityEngine,
    /// NFIQ 2's actionable feedback (name, value); empty for the fallback.
    pub actionable: Vec<(String, f64)>,
    /// Why the fallback was used, or the fallback's measures; `None` for NFIQ 2.
    pub note: Option<String>,
}

/// Quality and minutiae of one impression, from [`Quality::analyse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// NFIQ 2, or the labelled fallback estimate when NIST's library is absent.
    pub quality: QualityScore,
    /// The minutiae, best first; its finger quality is the NFIQ 2 score (0, "not computed", for the
    /// fallback, so an ISO record never carries an estimate as a standard quality).
    pub template: Template,
}

/// Where to find NIST's library.
#[derive(Debug, Clone, Default)]
pub struct QualityConfig {
    /// Explicit path to `libnbis.so`: used alone, never searched around; absent means the fallback.
    pub lib_path: Option<PathBuf>,
}

impl QualityConfig {
    /// The candidate paths, in order: the explicit one alone if given, else `$QAFILA_NBIS_LIB` alone if
    /// set (a path someone chose is not silently replaced by another), else `<fixtures>/lib/libnbis.so`
    /// and the standard places.
    pub fn candidates(&self) -> Vec<PathBuf> {
        if let Some(path) = &self.lib_path {
            return vec![path.clone()];
        }
        if let Some(env) = std::env::var_os(NBIS_LIB_ENV).filter(|v| !v.is_empty()) {
            return vec![PathBuf::from(env)];
        }
        let mut out = Vec::new();
        out.push(fixtures_dir().join("lib/libnbis.so"));
        out.extend(STANDARD_PLACES.iter().map(PathBuf::from));
        out
    }
}

/// The quality scorer: holds NIST's library when it could be loaded.
#[derive(Debug)]
pub struct Quality {
    nbis: Option<NbisLibrary>,
    /// Why NIST's library is not in use (each candidate and what was wrong with it).
    unavailable: Option<String>,
}

impl Quality {
    /// Loads NIST's library from the first usable candidate; never fails (falls back, and says why).
    pub fn open(config: &QualityConfig) -> Self {
        let mut reasons = Vec::new();
        for path in config.candidates() {
            if !path.is_file() {
                reasons.push(format!("no file {}", path.display()));
                continue;
            }
            match NbisLibrary::open(&path) {
                Ok(nbis) => {
                    tracing::info!("NFIQ 2 from {}", path.display());
                    return Self {
                        nbis: Some(nbis),
                        unavailable: None,
                    };
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    reasons.push(e.to_string());
                }
            }
        }
        let why = format!("NIST's NFIQ 2 library is not available ({})", reasons.join("; "));
        tracing::warn!("{why}: quality scores are the fallback estimate, not NFIQ 2");
        Self {
            nbis: None,
            unavailable: Some(why),
        }
    }

    /// [`Quality::open`] with the default search (environment, fixtures, standard places).
    pub fn from_env() -> Self {
        Self::open(&QualityConfig::default())
    }

    /// The engine [`Quality::nfiq2`] will use.
    pub fn engine(&self) -> QualityEngine {
        if self.nbis.is_some() {
            QualityEngine::Nfiq2
        } else {
            QualityEngine::Fallback
        }
    }

    /// Where NIST's library was loaded from, if it was.
    pub fn library_path(&self) -> Option<&Path> {
        self.nbis.as_ref().map(NbisLibrary::path)
    }

    /// Why NIST's library is not in use, if it is not.
    pub fn unavailable_reason(&self) -> Option<&str> {
        self.unavailable.as_deref()
    }

    /// NFIQ 2 of a 500 ppi impression; the fallback estimate, labelled so, when the library is absent.
    /// An error means NIST's library failed on this image: the caller may still ask [`Quality::fallback`].
    pub fn nfiq2(&self, image: &GrayImage) -> Result<QualityScore> {
        let Some(nbis) = &self.nbis else {
            let mut score = Self::fallback(image);
            if let (Some(why), Some(note)) = (&self.unavailable, &mut score.note) {
                *note = format!("{why}; {note}");
            }
            return Ok(score);
        };
        let raw = nbis.nfiq2(&image.to_png()?)?;
        Ok(QualityScore {
            score: raw.score.min(100) as u8,
            engine: QualityEngine::Nfiq2,
            actionable: raw.actionable,
            note: None,
        })
    }

    /// NFIQ 2 and the minutiae template of a 500 ppi impression in one pass: with NIST's library, both
    /// come from its single `extract_minutiae` call (which runs NIST's mindtct before NFIQ 2 anyway);
    /// without it, the fallback estimate and [`template::extract`]. Either way the template is in
    /// [`template::extract`]'s conventions and compares with templates made by it. The library keeps at
    /// most the 150 minutiae bozorth3 reads (`extract` keeps up to 255). An error means NIST's library
    /// failed on this image: the caller may still use [`Quality::fallback`] and [`template::extract`].
    pub fn analyse(&self, image: &GrayImage) -> Result<Analysis> {
        let Some(nbis) = &self.nbis else {
            return Ok(Analysis {
                quality: self.nfiq2(image)?,
                template: template::extract(image, NFIQ2_PPI)?,
            });
        };
        let raw = nbis.analyse(&image.to_png()?)?;
        let score = raw.nfiq2.score.min(100) as u8;
        Ok(Analysis {
            template: template::from_nbis(image, NFIQ2_PPI, &raw.minutiae)?.with_quality(score),
            quality: QualityScore {
                score,
                engine: QualityEngine::Nfiq2,
                actionable: raw.nfiq2.actionable,
                note: None,
            },
        })
    }

    /// The fallback estimate alone (not NFIQ 2), whatever is loaded.
    pub fn fallback(image: &GrayImage) -> QualityScore {
        let (
            score,
            FallbackMeasures {
                coherence,
                contrast,
                area_sq_in,
            },
        ) = fallback::score(image, NFIQ2_PPI);
        QualityScore {
            score,
            engine: QualityEngine::Fallback,
            actionable: Vec::new(),
            note: Some(format!(
                "not NFIQ 2: ridge coherence {coherence:.2}, contrast {contrast:.1}, area {area_sq_in:.2} sq in"
            )),
        }
    }
}
