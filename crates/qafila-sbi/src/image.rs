//! An 8-bit grayscale image, the one pixel format fingerprint matchers and NFIQ take.

use crate::error::ImageError;

/// Pixels above this are refused when decoding, so a hostile record cannot make us allocate gigabytes.
pub const MAX_PIXELS: u64 = 4096 * 4096;

/// An 8-bit grayscale image, row-major, one byte per pixel, 0 black.
#[derive(Clone, PartialEq, Eq)]
pub struct GrayImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution in pixels per inch (500 for SBI registration devices).
    pub ppi: u16,
    /// `width * height` bytes.
    pub pixels: Vec<u8>,
}

impl std::fmt::Debug for GrayImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GrayImage({}x{} @ {} ppi)", self.width, self.height, self.ppi)
    }
}

impl GrayImage {
    /// An image from its pixels; refuses a buffer whose length is not `width * height`.
    pub fn new(width: u32, height: u32, ppi: u16, pixels: Vec<u8>) -> Result<Self, ImageError> {
        if u64::from(width) * u64::from(height) != pixels.len() as u64 {
            return Err(ImageError::Invalid {
                field: "pixels",
                detail: format!("{} bytes for a {width}x{height} image", pixels.len()),
            });
        }
        Ok(GrayImage {
            width,
            height,
            ppi,
            pixels,
        })
    }

    /// The pixel at (x, y); 255 (white, no contact) outside the image.
    pub fn get(&self, x: u32, y: u32) -> u8 {
        if x < self.width && y < self.height {
            self.pixels[(y * self.width + x) as usize]
        } else {
            255
        }
    }

    /// Mean gray level, 0–255.
    pub fn mean(&self) -> f64 {
        if self.pixels.is_empty() {
            return 0.0;
        }
        self.pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / self.pixels.len() as f64
    }

    /// The image as an 8-bit grayscale PNG.
    pub fn to_png(&self) -> Result<Vec<u8>, ImageError> {
        let mut out = Vec::new();
        let fail = |e: png::EncodingError| ImageError::Decode {
            format: "PNG",
            detail: e.to_string(),
        };
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        // Fast compression: these PNGs travel over localhost and are decoded at once.
        enc.set_compression(png::Compression::Fast);
        let ppm = (f64::from(self.ppi) / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut w = enc.write_header().map_err(fail)?;
        w.write_image_data(&self.pixels).map_err(fail)?;
        w.finish().map_err(fail)?;
        Ok(out)
    }

    /// Decodes a PNG of any color type to 8-bit gray (luma); `ppi` is used when the PNG carries no resolution.
    pub fn from_png(bytes: &[u8], ppi: u16) -> Result<Self, ImageError> {
        let fail = |e: png::DecodingError| ImageError::Decode {
            format: "PNG",
            detail: e.to_string(),
        };
        let mut dec = png::Decoder::new_with_limits(
            std::io::Cursor::new(bytes),
            png::Limits {
                bytes: (MAX_PIXELS * 8) as usize,
            },
        );
        dec.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = dec.read_info().map_err(fail)?;
        let (width, height) = {
            let i = reader.info();
            (i.width, i.height)
        };
        if u64::from(width) * u64::from(height) > MAX_PIXELS {
            return Err(ImageError::Invalid {
                field: "PNG size",
                detail: format!("{width}x{height} is too large"),
            });
        }
        let ppi = match reader.info().pixel_dims {
            Some(png::PixelDimensions {
                xppu,
                unit: png::Unit::Meter,
                ..
            }) if xppu > 0 => (f64::from(xppu) * 0.0254).round().clamp(1.0, f64::from(u16::MAX)) as u16,
            _ => ppi,
        };
        let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
        let frame = reader.next_frame(&mut buf).map_err(fail)?;
        let data = &buf[..frame.buffer_size()];
        let channels = match frame.color_type {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Indexed => {
                return Err(ImageError::Decode {
                    format: "PNG",
                    detail: "palette was not expanded".into(),
                });
            }
        };
        let pixels = data
            .chunks_exact(channels)
            .take((width as usize) * (height as usize))
            .map(|px| match channels {
                1 | 2 => px[0],
                // Rec. 601 luma, the weighting scanners' own RGB-to-gray uses.
                _ => ((299 * u32::from(px[0]) + 587 * u32::from(px[1]) + 114 * u32::from(px[2])) / 1000) as u8,
            })
            .collect();
        GrayImage::new(width, height, ppi, pixels)
    }
}
