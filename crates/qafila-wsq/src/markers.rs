//! WSQ markers and the bounds-checked byte cursor used to read segments.

use crate::WsqError;

/// Start of image.
pub const SOI: u16 = 0xFFA0;
/// End of image.
pub const EOI: u16 = 0xFFA1;
/// Start of frame (frame header).
pub const SOF: u16 = 0xFFA2;
/// Start of block (block header, then coded coefficients).
pub const SOB: u16 = 0xFFA3;
/// Define transform table (wavelet filter coefficients).
pub const DTT: u16 = 0xFFA4;
/// Define quantization table.
pub const DQT: u16 = 0xFFA5;
/// Define Huffman table(s).
pub const DHT: u16 = 0xFFA6;
/// Define restart interval.
pub const DRT: u16 = 0xFFA7;
/// Comment.
pub const COM: u16 = 0xFFA8;
/// First restart marker; RST0..RST7 are 0xFFB0..0xFFB7.
pub const RST0: u16 = 0xFFB0;
/// Last restart marker.
pub const RST7: u16 = 0xFFB7;

/// The standard's name for a marker, or `None` if WSQ does not define it.
pub fn name(marker: u16) -> Option<&'static str> {
    Some(match marker {
        SOI => "SOI",
        EOI => "EOI",
        SOF => "SOF",
        SOB => "SOB",
        DTT => "DTT",
        DQT => "DQT",
        DHT => "DHT",
        DRT => "DRT",
        COM => "COM",
        RST0..=RST7 => "RST",
        _ => return None,
    })
}

/// A cursor over untrusted bytes that reports the absolute offset of any shortfall.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// Absolute offset of the next byte.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to absolute offset `pos` (clamped to the end).
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.data.len());
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WsqError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.data.get(self.pos..end)) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(WsqError::Truncated {
                offset: self.pos,
                needed: n - self.remaining(),
                what,
            }),
        }
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, WsqError> {
        Ok(self.take(1, what)?[0])
    }

    /// A big-endian 16-bit value.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, WsqError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A big-endian 32-bit value.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, WsqError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Appends a big-endian 16-bit value.
pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian 32-bit value.
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}
