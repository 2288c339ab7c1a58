//! The two fonts a receipt is set in, loaded from the system at run time (no font is bundled).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::ReceiptError;

/// Debian's Noto Naskh Arabic, from `fonts-noto-core`.
pub const NOTO_NASKH_ARABIC: &str = "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf";
/// Debian's Noto Sans, from `fonts-noto-core`.
pub const NOTO_SANS: &str = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf";
/// Debian's DejaVu Sans, from `fonts-dejavu-core`; it covers Latin and Arabic.
pub const DEJAVU_SANS: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Where to find the fonts: one for Latin text and digits, one for Arabic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FontPaths {
    /// The font for Latin text and digits.
    pub latin: PathBuf,
    /// The font for Arabic text.
    pub arabic: PathBuf,
}

impl FontPaths {
    /// Noto Sans and Noto Naskh Arabic (`fonts-noto-core`): the nicest Arabic.
    pub fn noto() -> Self {
        FontPaths {
            latin: NOTO_SANS.into(),
            arabic: NOTO_NASKH_ARABIC.into(),
        }
    }

    /// DejaVu Sans for both scripts (`fonts-dejavu-core`).
    pub fn dejavu() -> Self {
        FontPaths {
            latin: DEJAVU_SANS.into(),
            arabic: DEJAVU_SANS.into(),
        }
    }

    /// Noto if installed, else DejaVu; the error names the Noto file missing and its package.
    pub fn system() -> Result<Self, ReceiptError> {
        let noto = FontPaths::noto();
        if let Some(missing) = [&noto.latin, &noto.arabic].into_iter().find(|p| !p.exists()) {
            let dejavu = FontPaths::dejavu();
            if dejavu.latin.exists() {
                return Ok(dejavu);
            }
            return Err(ReceiptError::FontMissing {
                path: missing.clone(),
                package: package_of(missing),
            });
        }
        Ok(noto)
    }
}

/// The Debian package that ships a font path, as far as this crate knows them.
fn package_of(path: &Path) -> &'static str {
    if path.starts_with("/usr/share/fonts/truetype/dejavu") {
        "fonts-dejavu-core"
    } else if path.starts_with("/usr/share/fonts/truetype/noto") {
        "fonts-noto-core"
    } else {
        "that provides this font"
    }
}

/// One loaded font: its bytes for the shaper and its handle for the PDF writer.
#[derive(Clone)]
pub(crate) struct LoadedFont {
    pub data: Arc<Vec<u8>>,
    pub pdf: krilla::text::Font,
    pub path: PathBuf,
}

impl LoadedFont {
    fn load(path: &Path) -> Result<Self, ReceiptError> {
        let data = std::fs::read(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ReceiptError::FontMissing {
                    path: path.into(),
                    package: package_of(path),
                }
            } else {
                ReceiptError::FontUnreadable {
                    path: path.into(),
                    source,
                }
            }
        })?;
        let data = Arc::new(data);
        let invalid = || ReceiptError::FontInvalid { path: path.into() };
        rustybuzz::Face::from_slice(&data, 0).ok_or_else(invalid)?;
        let pdf = krilla::text::Font::new(data.clone().into(), 0).ok_or_else(invalid)?;
        Ok(LoadedFont {
            data,
            pdf,
            path: path.into(),
        })
    }

    /// The shaper's view of the font.
    pub fn face(&self) -> Result<rustybuzz::Face<'_>, ReceiptError> {
        rustybuzz::Face::from_slice(&self.data, 0).ok_or_else(|| ReceiptError::FontInvalid {
            path: self.path.clone(),
        })
    }
}

/// The fonts of a receipt, checked to cover their scripts.
#[derive(Clone)]
pub struct Fonts {
    pub(crate) latin: LoadedFont,
    pub(crate) arabic: LoadedFont,
}

impl Fonts {
    /// Loads and checks the fonts at `paths`.
    pub fn load(paths: &FontPaths) -> Result<Self, ReceiptError> {
        let latin = LoadedFont::load(&paths.latin)?;
        let arabic = if paths.arabic == paths.latin {
            latin.clone()
        } else {
            LoadedFont::load(&paths.arabic)?
        };
        for (font, c, what) in [
            (&latin, 'é', "Latin letters with accents (é)"),
            (&latin, '0', "digits"),
            (&arabic, 'ب', "Arabic letters"),
        ] {
            if font.face()?.glyph_index(c).is_none() {
                return Err(ReceiptError::FontLacksScript {
                    path: font.path.clone(),
                    what,
                });
            }
        }
        Ok(Fonts { latin, arabic })
    }

    /// The system's fonts ([`FontPaths::system`]).
    pub fn system() -> Result<Self, ReceiptError> {
        Fonts::load(&FontPaths::system()?)
    }
}
