//! An 8-bit greyscale fingerprint image, and PNG in and out of it (the form NIST's library reads).

use crate::error::{FingerError, Result};

/// A row-major 8-bit greyscale image (0 black ridge, 255 white background), as a scanner gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct GrayImage {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl std::fmt::Debug for GrayImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GrayImage {{ {}x{} }}", self.width, self.height)
    }
}

/// Largest side accepted: a 1000 ppi scan of a whole slap fits; beyond is not a fingerprint.
pub const MAX_SIDE: usize = 8192;

impl GrayImage {
    /// Wraps pixels, checking that the buffer holds exactly `width * height` bytes.
    pub fn new(width: usize, height: usize, pixels: Vec<u8>) -> Result<Self> {
        for (field, side) in [("width", width), ("height", height)] {
            if side == 0 || side > MAX_SIDE {
                return Err(FingerError::Image {
                    field,
                    reason: format!("{side} is outside 1..={MAX_SIDE}"),
                });
            }
        }
        if pixels.len() != width * height {
            return Err(FingerError::Image {
                field: "pixels",
                reason: format!("{} bytes for a {width}x{height} image", pixels.len()),
            });
        }
        Ok(Self { width, height, pixels })
    }

    /// Decodes a PNG (grey, grey+alpha, RGB or RGBA, 8 or 16 bit) into grey; alpha is flattened on white.
    pub fn from_png(bytes: &[u8]) -> Result<Self> {
        let bad = |reason: String| FingerError::Image { field: "png", reason };
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        // Expand palettes and low bit depths to 8 bits, strip 16-bit to 8: one code path below.
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(|e| bad(e.to_string()))?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| bad("image too large".into()))?;
        let mut buf = vec![0; size];
        let info = reader.next_frame(&mut buf).map_err(|e| bad(e.to_string()))?;
        let (width, height) = (info.width as usize, info.height as usize);
        let channels = info.color_type.samples();
        let grey: Vec<u8> = buf[..info.buffer_size()]
            .chunks_exact(info.line_size)
            .flat_map(|line| line[..width * channels].chunks_exact(channels))
            .map(flatten)
            .collect();
        Self::new(width, height, grey)
    }

    /// Encodes as an 8-bit greyscale PNG (fast compression: it is only handed to NIST's decoder).
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let bad = |e: png::EncodingError| FingerError::Image {
            field: "png",
            reason: e.to_string(),
        };
        let mut out = Vec::with_capacity(self.pixels.len() / 2);
        let mut encoder = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(bad)?;
        writer.write_image_data(&self.pixels).map_err(bad)?;
        writer.finish().map_err(bad)?;
        Ok(out)
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row-major.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixel at column `x`, row `y` (caller keeps inside the image).
    pub fn at(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }
}

/// One pixel of 1–4 channels to grey (ITU-R BT.601 luma), alpha composited on white.
fn flatten(px: &[u8]) -> u8 {
    let (rgb, alpha) = match *px {
        [g] => ((g, g, g), 255),
        [g, a] => ((g, g, g), a),
        [r, g, b] => ((r, g, b), 255),
        [r, g, b, a] => ((r, g, b), a),
        _ => ((255, 255, 255), 255),
    };
    let luma = (299 * u32::from(rgb.0) + 587 * u32::from(rgb.1) + 114 * u32::from(rgb.2) + 500) / 1000;
    let a = u32::from(alpha);
    ((luma * a + 255 * (255 - a) + 127) / 255) as u8
}
