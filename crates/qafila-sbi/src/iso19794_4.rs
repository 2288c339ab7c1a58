//! ISO/IEC 19794-4:2011 finger image records (format `FIR`, version `020`), the `bioValue` of SBI finger captures.
//!
//! Only the record structure is read here; the image inside is handed to a [`CompressionDecoder`] chosen by the
//! record's compression algorithm code, so that WSQ and JPEG 2000 can be plugged in by other crates through
//! [`Decoders::register`]. Built in: 0 (uncompressed, no bit packing) and 6 (PNG).
//!
//! Codes follow the 2011 edition (Table 9), which MOSIP uses: 4 and 5 are JPEG 2000 lossy and lossless and PNG moved
//! to 6; the 2005 edition had PNG at 5 and a different header, and is refused as an unsupported version.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::ImageError;
use crate::image::{GrayImage, MAX_PIXELS};

const MAGIC: &[u8; 4] = b"FIR\0";
const VERSION_2011: &[u8; 4] = b"020\0";
const GENERAL_HEADER_LEN: usize = 16;

/// An ISO/IEC 19794-4:2011 image compression algorithm code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Compression(pub u8);

impl Compression {
    /// 0: uncompressed, no bit packing.
    pub const UNCOMPRESSED: Compression = Compression(0);
    /// 1: uncompressed, bit packed.
    pub const BIT_PACKED: Compression = Compression(1);
    /// 2: WSQ.
    pub const WSQ: Compression = Compression(2);
    /// 3: JPEG (ISO/IEC 10918), lossy.
    pub const JPEG: Compression = Compression(3);
    /// 4: JPEG 2000, lossy.
    pub const JPEG2000_LOSSY: Compression = Compression(4);
    /// 5: JPEG 2000, lossless (what MOSIP asks of registration devices).
    pub const JPEG2000_LOSSLESS: Compression = Compression(5);
    /// 6: PNG.
    pub const PNG: Compression = Compression(6);

    /// The algorithm's name, for messages.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "uncompressed, no bit packing",
            1 => "uncompressed, bit packed",
            2 => "WSQ",
            3 => "JPEG",
            4 => "JPEG 2000 lossy",
            5 => "JPEG 2000 lossless",
            6 => "PNG",
            _ => "reserved",
        }
    }
}

/// One finger image representation of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representation {
    /// ISO finger position code (0 unknown, 1–10 fingers, 13–15 multi-finger).
    pub position: u8,
    /// Representation number within the record.
    pub number: u8,
    /// The first quality block's score (0–100), if any; 255 means the device could not compute one.
    pub quality: Option<u8>,
    /// Image resolution, horizontal, converted to pixels per inch.
    pub ppi: u16,
    /// Bits per pixel.
    pub bit_depth: u8,
    /// How `data` is compressed.
    pub compression: Compression,
    /// Impression type (0 live-scan plain, 1 live-scan rolled…).
    pub impression_type: u8,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// The image data, compressed as `compression` says.
    pub data: Vec<u8>,
}

/// Reads all representations of a record; never panics on any input.
pub fn parse(bytes: &[u8]) -> Result<Vec<Representation>, ImageError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(4, "format identifier")? != MAGIC {
        return Err(ImageError::Invalid {
            field: "format identifier",
            detail: "not a FIR record".into(),
        });
    }
    let version = r.take(4, "version")?;
    if version != VERSION_2011 {
        return Err(ImageError::Invalid {
            field: "version",
            detail: format!(
                "{:?}; only 020 (ISO/IEC 19794-4:2011) is read",
                String::from_utf8_lossy(version)
            ),
        });
    }
    let record_len = r.u32("record length")? as usize;
    if record_len < GENERAL_HEADER_LEN || record_len > bytes.len() {
        return Err(ImageError::Invalid {
            field: "record length",
            detail: format!("{record_len} for {} bytes of data", bytes.len()),
        });
    }
    let count = r.u16("number of representations")?;
    let certified = r.u8("certification flag")? != 0;
    let _positions = r.u8("number of distinct positions")?;
    if count == 0 {
        return Err(ImageError::Invalid {
            field: "number of representations",
            detail: "0".into(),
        });
    }
    let mut out = Vec::new();
    for _ in 0..count {
        let start = r.pos;
        let rep_len = r.u32("representation length")? as usize;
        let end = start
            .checked_add(rep_len)
            .filter(|&e| e <= record_len)
            .ok_or(ImageError::Invalid {
                field: "representation length",
                detail: format!("{rep_len} overruns the record"),
            })?;
        // Bounded to this representation, so a field cannot read into the next one.
        let mut rep = Reader {
            bytes: &bytes[..end],
            pos: r.pos,
        };
        out.push(representation(&mut rep, certified)?);
        // Extended data may follow the image; the representation length tells where the next one starts.
        r.pos = end;
    }
    Ok(out)
}

fn representation(r: &mut Reader<'_>, certified: bool) -> Result<Representation, ImageError> {
    r.take(9, "capture date and time")?;
    r.take(5, "capture device identifiers")?;
    let quality_blocks = r.u8("number of quality blocks")?;
    let mut quality = None;
    for _ in 0..quality_blocks {
        let score = r.u8("quality score")?;
        r.take(4, "quality algorithm identifiers")?;
        quality.get_or_insert(score);
    }
    if certified {
        let n = r.u8("number of certification blocks")?;
        r.take(usize::from(n) * 3, "certification blocks")?;
    }
    let position = r.u8("finger position")?;
    let number = r.u8("representation number")?;
    let scale = r.u8("scale units")?;
    r.take(4, "capture device sampling rate")?;
    let rate = r.u16("image sampling rate")?;
    r.u16("image sampling rate")?;
    let ppi = match scale {
        1 => rate,
        2 => (f64::from(rate) * 2.54).round().min(f64::from(u16::MAX)) as u16,
        other => {
            return Err(ImageError::Invalid {
                field: "scale units",
                detail: format!("{other}, not 1 or 2"),
            });
        }
    };
    let bit_depth = r.u8("bit depth")?;
    let compression = Compression(r.u8("compression algorithm")?);
    let impression_type = r.u8("impression type")?;
    let width = r.u16("horizontal line length")?;
    let height = r.u16("vertical line length")?;
    let data_len = r.u32("image data length")? as usize;
    let data = r.take(data_len, "image data")?.to_vec();
    Ok(Representation {
        position,
        number,
        quality,
        ppi,
        bit_depth,
        compression,
        impression_type,
        width,
        height,
        data,
    })
}

/// What the simulator puts in a record besides the image.
#[derive(Debug, Clone, Copy)]
pub struct RecordMeta {
    /// ISO finger position code.
    pub position: u8,
    /// Quality score 0–100.
    pub quality: u8,
    /// Impression type (0 live-scan plain).
    pub impression_type: u8,
}

/// Writes a one-representation record holding `image`, stored with `compression` (0 or 6).
pub fn encode(image: &GrayImage, meta: RecordMeta, compression: Compression) -> Result<Vec<u8>, ImageError> {
    let too_big = |what: &'static str| ImageError::Invalid {
        field: what,
        detail: "does not fit the record".into(),
    };
    let width = u16::try_from(image.width).map_err(|_| too_big("width"))?;
    let height = u16::try_from(image.height).map_err(|_| too_big("height"))?;
    let data = match compression {
        Compression::UNCOMPRESSED => image.pixels.clone(),
        Compression::PNG => image.to_png()?,
        other => {
            return Err(ImageError::UnsupportedCompression {
                code: other.0,
                name: other.name(),
            });
        }
    };
    let data_len = u32::try_from(data.len()).map_err(|_| too_big("image data"))?;
    // 4 length + 9 date + 5 device ids + 1 count + 5 quality block + 22 fixed fields.
    let rep_len = 46 + data_len;
    let record_len = GENERAL_HEADER_LEN as u32 + rep_len;
    let mut out = Vec::with_capacity(record_len as usize);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(VERSION_2011);
    out.extend_from_slice(&record_len.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.push(0); // not certified
    out.push(1); // one distinct position
    out.extend_from_slice(&rep_len.to_be_bytes());
    // Capture time left as "unset" (all 0xFF): the signed SBI payload carries the authoritative timestamp.
    out.extend_from_slice(&[0xFF; 9]);
    out.push(0); // device technology: unknown
    out.extend_from_slice(&[0, 0, 0, 0]); // vendor and device type: unreported
    out.push(1);
    out.push(meta.quality);
    out.extend_from_slice(&[0, 0, 0, 0]); // quality algorithm: vendor-defined
    out.push(meta.position);
    out.push(1); // representation number
    out.push(1); // scale units: pixels per inch
    out.extend_from_slice(&image.ppi.to_be_bytes());
    out.extend_from_slice(&image.ppi.to_be_bytes());
    out.extend_from_slice(&image.ppi.to_be_bytes());
    out.extend_from_slice(&image.ppi.to_be_bytes());
    out.push(8);
    out.push(compression.0);
    out.push(meta.impression_type);
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&data_len.to_be_bytes());
    out.extend_from_slice(&data);
    Ok(out)
}

/// Decodes the image data of one compression algorithm into 8-bit gray.
pub trait CompressionDecoder: Send + Sync {
    /// The image of `rep`, whose `compression` is the one this decoder was registered for.
    fn decode(&self, rep: &Representation) -> Result<GrayImage, ImageError>;
}

impl<F> CompressionDecoder for F
where
    F: Fn(&Representation) -> Result<GrayImage, ImageError> + Send + Sync,
{
    fn decode(&self, rep: &Representation) -> Result<GrayImage, ImageError> {
        self(rep)
    }
}

/// The decoders known for each compression algorithm; cheap to clone and share.
#[derive(Clone)]
pub struct Decoders {
    by_code: HashMap<u8, Arc<dyn CompressionDecoder>>,
}

impl std::fmt::Debug for Decoders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut codes: Vec<_> = self.by_code.keys().collect();
        codes.sort();
        f.debug_struct("Decoders").field("codes", &codes).finish()
    }
}

impl Default for Decoders {
    /// Uncompressed (0) and PNG (6).
    fn default() -> Self {
        let mut d = Decoders::empty();
        d.register(Compression::UNCOMPRESSED, Arc::new(decode_uncompressed));
        d.register(Compression::PNG, Arc::new(decode_png));
        d
    }
}

impl Decoders {
    /// No decoder at all.
    pub fn empty() -> Self {
        Decoders {
            by_code: HashMap::new(),
        }
    }

    /// Uses `decoder` for `compression` from now on, replacing any earlier one.
    pub fn register(&mut self, compression: Compression, decoder: Arc<dyn CompressionDecoder>) -> &mut Self {
        self.by_code.insert(compression.0, decoder);
        self
    }

    /// The image of `rep`, checked against the record's size and depth.
    pub fn decode(&self, rep: &Representation) -> Result<GrayImage, ImageError> {
        let decoder = self
            .by_code
            .get(&rep.compression.0)
            .ok_or(ImageError::UnsupportedCompression {
                code: rep.compression.0,
                name: rep.compression.name(),
            })?;
        let image = decoder.decode(rep)?;
        if image.width != u32::from(rep.width) || image.height != u32::from(rep.height) {
            return Err(ImageError::Invalid {
                field: "image size",
                detail: format!(
                    "record says {}x{}, image data is {}x{}",
                    rep.width, rep.height, image.width, image.height
                ),
            });
        }
        Ok(image)
    }
}

/// Compression 0: the bytes are the pixels.
pub fn decode_uncompressed(rep: &Representation) -> Result<GrayImage, ImageError> {
    if rep.bit_depth != 8 {
        return Err(ImageError::Invalid {
            field: "bit depth",
            detail: format!("{} for uncompressed data; only 8 is read", rep.bit_depth),
        });
    }
    if u64::from(rep.width) * u64::from(rep.height) > MAX_PIXELS {
        return Err(ImageError::Invalid {
            field: "image size",
            detail: "too large".into(),
        });
    }
    GrayImage::new(u32::from(rep.width), u32::from(rep.height), rep.ppi, rep.data.clone()).map_err(|_| {
        ImageError::Invalid {
            field: "image data length",
            detail: format!("{} bytes for {}x{} pixels", rep.data.len(), rep.width, rep.height),
        }
    })
}

/// Compression 6: a PNG; the record's resolution wins over the PNG's.
pub fn decode_png(rep: &Representation) -> Result<GrayImage, ImageError> {
    let mut image = GrayImage::from_png(&rep.data, rep.ppi)?;
    image.ppi = rep.ppi;
    Ok(image)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ImageError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(ImageError::Truncated(what))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, ImageError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, ImageError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, ImageError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}
