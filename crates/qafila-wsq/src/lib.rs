//! WSQ (Wavelet Scalar Quantization), the FBI's gray-scale fingerprint image compression
//! (IAFIS-IC-0110 v3.1), written from the specification and checked against NIST's NBIS codec:
//! NBIS decodes what [`encode`] writes and [`decode`] reads what NBIS writes, to the same pixels.
//!
//! ```
//! use qafila_wsq::{GrayImage, decode, encode};
//! let pixels = (0..256 * 256).map(|i| ((i % 256) ^ (i / 256)) as u8).collect();
//! let image = GrayImage::new(256, 256, pixels).unwrap();
//! let wsq = encode(&image, 0.75, 500).unwrap();
//! let back = decode(&wsq).unwrap();
//! assert_eq!((back.width, back.height, back.ppi), (256, 256, Some(500)));
//! ```
//!
//! Decoding never panics on malformed input: every defect is a [`WsqError`] naming what and where.
//!
//! Where this codec knowingly differs from NBIS:
//! - The encoder keeps a detail subband that the standard would discard for its low variance
//!   when its mean is far from zero (a gradient); NBIS drops it and such images come back tens
//!   of gray levels off. Prints are unaffected: their detail subbands average zero.
//! - The encoder widens a subband's bins rather than let its coefficients overflow 16 bits
//!   (NBIS lets them wrap, at high bitrates on low-contrast images).
//! - For splits shorter than 6 samples (images under 81 pixels a side, which the encoder
//!   refuses) the decoder follows the standard's symmetric extension; NBIS's decoder departs
//!   from it there, so such files decode slightly differently in the two.
//! - Only the standard 9/7 filter bank is decoded (any coefficients, but 9 and 7 taps).
#![forbid(unsafe_code)]

mod bits;
mod decode;
mod encode;
mod error;
mod huffman;
mod markers;
mod nistcom;
mod quantize;
mod tables;
mod tree;
mod wavelet;

pub use decode::decode;
pub use encode::encode;
pub use error::WsqError;

/// Bits per pixel the FBI specifies for 500 ppi fingerprints (about 15:1).
pub const DEFAULT_BITRATE: f32 = 0.75;
/// Resolution of a standard fingerprint scan, in pixels per inch.
pub const DEFAULT_PPI: u16 = 500;
/// Smallest width or height the encoder accepts. Below it the coarsest split is shorter than
/// 6 samples, where NBIS's decoder departs from the standard's symmetric extension (and below 4
/// reads outside the data), so NBIS would not decode our files as we do.
pub const MIN_DIMENSION: usize = 81;
/// Largest width or height a WSQ frame header can express.
pub const MAX_DIMENSION: usize = u16::MAX as usize;
/// Largest image (in pixels) the decoder will allocate for; far above any fingerprint.
pub const MAX_PIXELS: usize = 64 << 20;

/// An 8-bit gray-scale image, row-major, one byte a pixel, 0 = black.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrayImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` pixels, top row first.
    pub pixels: Vec<u8>,
}

impl GrayImage {
    /// An image, checking that `pixels` holds exactly `width * height` bytes.
    pub fn new(width: usize, height: usize, pixels: Vec<u8>) -> Result<Self, WsqError> {
        if width.checked_mul(height) != Some(pixels.len()) {
            return Err(WsqError::InvalidImage(format!(
                "{} pixel bytes for a {width}×{height} image",
                pixels.len()
            )));
        }
        Ok(Self { width, height, pixels })
    }
}

/// A decoded WSQ file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Resolution from the NISTCOM comment, if the file has one that states it.
    pub ppi: Option<u16>,
    /// `width * height` pixels, top row first.
    pub pixels: Vec<u8>,
    /// Text of every comment segment, in file order (lossily decoded as UTF-8).
    pub comments: Vec<String>,
}

impl Decoded {
    /// The NISTCOM comment, if there is one.
    pub fn nistcom(&self) -> Option<&str> {
        self.comments
            .iter()
            .map(String::as_str)
            .find(|c| c.starts_with("NIST_COM"))
    }

    /// The pixels as an image.
    pub fn into_image(self) -> GrayImage {
        GrayImage {
            width: self.width,
            height: self.height,
            pixels: self.pixels,
        }
    }
}
