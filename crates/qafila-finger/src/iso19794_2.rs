//! ISO/IEC 19794-2:2005 finger minutiae record, one finger view, no extended data written.
//!
//! Layout (big-endian): `"FMR\0"`, version `" 20\0"`, record length (u32), capture equipment (u16:
//! 4-bit compliance + 12-bit id, written 0), image width and height (u16), x and y resolution in pixels
//! per cm (u16), number of views (u8), reserved (u8); then per view: finger position, view number
//! (4 bits) + impression type (4 bits), finger quality, minutia count; 6 bytes per minutia (2-bit type +
//! 14-bit x, 2 reserved bits + 14-bit y, angle, quality); extended data length (u16) and its bytes.

use crate::error::{FingerError, Result};
use crate::template::{Finger, Minutia, MinutiaKind, Template};

const MAGIC: &[u8; 4] = b"FMR\0";
const VERSION: &[u8; 4] = b" 20\0";
const HEADER: usize = 24;
const VIEW_HEADER: usize = 4;
const MINUTIA: usize = 6;

/// Encodes the template as a one-view record.
pub fn encode(t: &Template) -> Vec<u8> {
    let minutiae = t.minutiae();
    let total = HEADER + VIEW_HEADER + MINUTIA * minutiae.len() + 2;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(VERSION);
    // At most 24 + 4 + 6 * 255 + 2 bytes: fits u32 by far.
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    for v in [t.width(), t.height(), t.ppcm(), t.ppcm()] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(&[1, 0]);
    // Template::new guarantees impression < 16, count ≤ 255, coordinates < 2^14, qualities ≤ 100.
    out.extend_from_slice(&[
        t.finger().code(),
        t.impression() & 0x0f,
        t.quality(),
        minutiae.len() as u8,
    ]);
    for m in minutiae {
        let kind: u16 = match m.kind {
            MinutiaKind::Other => 0,
            MinutiaKind::RidgeEnding => 1,
            MinutiaKind::Bifurcation => 2,
        };
        out.extend_from_slice(&((kind << 14) | (m.x & 0x3fff)).to_be_bytes());
        out.extend_from_slice(&(m.y & 0x3fff).to_be_bytes());
        out.extend_from_slice(&[m.angle, m.quality]);
    }
    out.extend_from_slice(&0u16.to_be_bytes());
    out
}

/// Decodes a record holding exactly one finger view; extended data is skipped.
pub fn decode(bytes: &[u8]) -> Result<Template> {
    let bad = |field, reason: String| FingerError::Iso { field, reason };
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != MAGIC {
        return Err(bad("format identifier", "not \"FMR\\0\"".into()));
    }
    let version = r.take(4)?;
    if version != VERSION {
        return Err(bad(
            "version",
            format!("{:?}, only \" 20\\0\" (2005) is read", String::from_utf8_lossy(version)),
        ));
    }
    let length = r.u32()?;
    if usize::try_from(length).ok() != Some(bytes.len()) {
        return Err(bad(
            "record length",
            format!("says {length}, the record has {} bytes", bytes.len()),
        ));
    }
    let _equipment = r.u16()?;
    let (width, height, xres, yres) = (r.u16()?, r.u16()?, r.u16()?, r.u16()?);
    if xres != yres {
        return Err(bad("resolution", format!("x {xres} and y {yres} pixels/cm differ")));
    }
    let views = r.u8()?;
    if views != 1 {
        return Err(bad(
            "number of finger views",
            format!("{views}, a template is exactly one view"),
        ));
    }
    let _reserved = r.u8()?;
    let position = r.u8()?;
    let finger =
        Finger::from_code(position).ok_or_else(|| bad("finger position", format!("{position} is not 0–10")))?;
    let impression = r.u8()? & 0x0f;
    let quality = r.u8()?;
    let count = usize::from(r.u8()?);
    if r.remaining() < count * MINUTIA + 2 {
        return Err(bad(
            "number of minutiae",
            format!("{count} do not fit in {} bytes", r.remaining()),
        ));
    }
    let mut minutiae = Vec::with_capacity(count);
    for _ in 0..count {
        let tx = r.u16()?;
        let kind = match tx >> 14 {
            0 => MinutiaKind::Other,
            1 => MinutiaKind::RidgeEnding,
            2 => MinutiaKind::Bifurcation,
            _ => return Err(bad("minutia type", "11 is reserved".into())),
        };
        let y = r.u16()? & 0x3fff;
        let (angle, quality) = (r.u8()?, r.u8()?);
        minutiae.push(Minutia {
            x: tx & 0x3fff,
            y,
            angle,
            quality,
            kind,
        });
    }
    let extended = usize::from(r.u16()?);
    r.take(extended)
        .map_err(|_| bad("extended data length", format!("{extended} bytes overrun the record")))?;
    if r.remaining() != 0 {
        return Err(bad("record length", format!("{} bytes after the view", r.remaining())));
    }
    Template::new(width, height, xres, finger, impression, quality, minutiae).map_err(|e| match e {
        FingerError::Template { field, reason } => FingerError::Iso { field, reason },
        other => other,
    })
}

/// Bounds-checked big-endian reader.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| FingerError::Iso {
                field: "record",
                reason: format!("truncated at byte {} (wanted {n} more)", self.at),
            })?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Template {
    /// This template as an ISO/IEC 19794-2:2005 record (one view).
    pub fn to_iso19794_2(&self) -> Vec<u8> {
        encode(self)
    }

    /// Reads an ISO/IEC 19794-2:2005 record of one view.
    pub fn from_iso19794_2(bytes: &[u8]) -> Result<Template> {
        decode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bytes() {
        let m = Minutia {
            x: 300,
            y: 17,
            angle: 64,
            quality: 80,
            kind: MinutiaKind::Bifurcation,
        };
        let t = Template::new(400, 500, 197, Finger::RightIndex, 0, 55, vec![m]).expect("valid");
        let b = t.to_iso19794_2();
        assert_eq!(b.len(), 36);
        assert_eq!(&b[..12], b"FMR\0 20\0\0\0\0\x24");
        assert_eq!(&b[14..24], &[1, 144, 1, 244, 0, 197, 0, 197, 1, 0]);
        assert_eq!(&b[24..28], &[2, 0, 55, 1]);
        assert_eq!(&b[28..34], &[0x81, 0x2c, 0, 17, 64, 80]);
        assert_eq!(Template::from_iso19794_2(&b).expect("decodes"), t);
    }

    #[test]
    fn rejects_bad_records() {
        let t = Template::new(400, 500, 197, Finger::Unknown, 0, 0, vec![]).expect("valid");
        let b = t.to_iso19794_2();
        assert!(decode(&b[..b.len() - 1]).is_err());
        let mut wrong = b.clone();
        wrong[0] = b'X';
        assert!(decode(&wrong).is_err());
        let mut views = b.clone();
        views[22] = 2;
        assert!(decode(&views).is_err());
        let mut finger = b;
        finger[24] = 11;
        assert!(decode(&finger).is_err());
    }
}
