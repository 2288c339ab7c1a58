//! The header and table segments (SOF, DTT, DQT, DHT, SOB, COM): their fields, how they are
//! written, and how they are read back from untrusted bytes.

use crate::WsqError;
use crate::markers::{self, Cursor, put_u16, put_u32};

/// Number of subbands in the standard's decomposition.
pub const SUBBANDS: usize = 64;
/// Largest Huffman table id a DHT may define (the standard allows eight tables).
pub const MAX_HUFFMAN_TABLES: usize = 8;

/// Turns a stored (scale, integer) pair into the value a reader sees.
///
/// NBIS divides by ten one step at a time in single precision; doing the same makes our decoder
/// see bit-for-bit the filter taps, bin widths and shifts that NBIS's decoder sees.
pub fn descale(raw: u32, scale: u8) -> f32 {
    let mut v = raw as f32;
    for _ in 0..scale {
        v = (f64::from(v) / 10.0) as f32;
    }
    v
}

/// The (scale, integer) pair for a non-negative value stored in 16 bits, keeping as many
/// decimal digits as fit.
pub fn scale_u16(v: f64) -> (u8, u16) {
    if v.is_nan() || v <= 0.0 {
        return (0, 0);
    }
    if v >= f64::from(u16::MAX) {
        return (0, u16::MAX);
    }
    let mut scale = 0u8;
    let mut t = v;
    while t * 10.0 < f64::from(u16::MAX) && scale < 20 {
        t *= 10.0;
        scale += 1;
    }
    (scale, t.round().min(f64::from(u16::MAX)) as u16)
}

/// The (scale, integer) pair for a non-negative value stored in 32 bits.
pub fn scale_u32(v: f64) -> (u8, u32) {
    if v.is_nan() || v <= 0.0 {
        return (0, 0);
    }
    if v >= f64::from(u32::MAX) {
        return (0, u32::MAX);
    }
    let mut scale = 0u8;
    let mut t = v;
    while t * 10.0 < f64::from(u32::MAX) && scale < 30 {
        t *= 10.0;
        scale += 1;
    }
    (scale, t.round().min(f64::from(u32::MAX)) as u32)
}

/// A value as a reader will see it after it went through [`scale_u16`].
pub fn roundtrip_u16(v: f64) -> f32 {
    let (s, r) = scale_u16(v);
    descale(u32::from(r), s)
}

/// The frame header (SOF).
#[derive(Debug, Clone, PartialEq)]
pub struct FrameHeader {
    /// Pixel value of black in the source scanner's convention (informational).
    pub black: u8,
    /// Pixel value of white (informational).
    pub white: u8,
    /// Image height in pixels.
    pub height: u16,
    /// Image width in pixels.
    pub width: u16,
    /// Mean that was subtracted before the transform.
    pub m_shift: f32,
    /// Divisor that brought pixels to about ±128 before the transform.
    pub r_scale: f32,
    /// Encoder algorithm number.
    pub encoder: u8,
    /// Software implementation number.
    pub software: u16,
}

/// Writes a SOF segment.
pub fn write_sof(out: &mut Vec<u8>, h: &FrameHeader) {
    put_u16(out, markers::SOF);
    put_u16(out, 17);
    out.push(h.black);
    out.push(h.white);
    put_u16(out, h.height);
    put_u16(out, h.width);
    let (s, v) = scale_u16(f64::from(h.m_shift));
    out.push(s);
    put_u16(out, v);
    let (s, v) = scale_u16(f64::from(h.r_scale));
    out.push(s);
    put_u16(out, v);
    out.push(h.encoder);
    put_u16(out, h.software);
}

/// Reads a SOF segment's body (the cursor is past the marker).
pub fn read_sof(c: &mut Cursor<'_>) -> Result<FrameHeader, WsqError> {
    let start = c.pos();
    let body = segment(c, "SOF")?;
    let mut b = Cursor::new(body);
    let bad = |reason: String| WsqError::BadTable {
        table: "SOF",
        offset: start,
        reason,
    };
    if body.len() != 15 {
        return Err(bad(format!("length {} instead of 17", body.len() + 2)));
    }
    let black = b.u8("SOF")?;
    let white = b.u8("SOF")?;
    let height = b.u16("SOF")?;
    let width = b.u16("SOF")?;
    let s = b.u8("SOF")?;
    let m_shift = descale(u32::from(b.u16("SOF")?), s);
    let s = b.u8("SOF")?;
    let r_scale = descale(u32::from(b.u16("SOF")?), s);
    let encoder = b.u8("SOF")?;
    let software = b.u16("SOF")?;
    if width == 0 || height == 0 {
        return Err(bad(format!("image of {width}×{height} pixels")));
    }
    Ok(FrameHeader {
        black,
        white,
        height,
        width,
        m_shift,
        r_scale,
        encoder,
        software,
    })
}

/// Analysis filter taps, each listed from its centre outwards (the filters are symmetric).
#[derive(Debug, Clone, PartialEq)]
pub struct TransformTable {
    /// Lowpass analysis filter, centre first.
    pub lo: Vec<f32>,
    /// Highpass analysis filter, centre first.
    pub hi: Vec<f32>,
}

/// The standard's 9-tap lowpass analysis filter, centre first, in double precision.
pub const STANDARD_LO: [f64; 5] = [
    0.852_698_679_008_893_8,
    0.377_402_855_612_830_5,
    -0.110_624_404_418_282_6,
    -0.023_849_465_019_556_85,
    0.037_828_455_507_264_04,
];
/// The standard's 7-tap highpass analysis filter, centre first, in double precision.
pub const STANDARD_HI: [f64; 4] = [
    0.788_485_616_405_582_9,
    -0.418_092_273_221_617_24,
    -0.040_689_417_609_164_06,
    0.064_538_882_628_697_06,
];

/// Writes the DTT segment for the standard 9/7 filter bank.
pub fn write_standard_dtt(out: &mut Vec<u8>) {
    put_u16(out, markers::DTT);
    put_u16(out, (2 + 2 + 6 * (STANDARD_LO.len() + STANDARD_HI.len())) as u16);
    out.push(9);
    out.push(7);
    for v in STANDARD_LO.iter().chain(STANDARD_HI.iter()) {
        out.push(u8::from(*v < 0.0));
        let (s, raw) = scale_u32(v.abs());
        out.push(s);
        put_u32(out, raw);
    }
}

/// Reads a DTT segment's body.
pub fn read_dtt(c: &mut Cursor<'_>) -> Result<TransformTable, WsqError> {
    let start = c.pos();
    let body = segment(c, "DTT")?;
    let bad = |reason: String| WsqError::BadTable {
        table: "DTT",
        offset: start,
        reason,
    };
    let mut b = Cursor::new(body);
    let lo_len = b.u8("DTT")?;
    let hi_len = b.u8("DTT")?;
    if lo_len != 9 || hi_len != 7 {
        // The filters' sizes fix the synthesis structure; only the standard's 9/7 bank is in use.
        return Err(WsqError::Unsupported(format!(
            "transform table at offset {start} with {lo_len}-tap lowpass and {hi_len}-tap highpass filters \
             (only the standard 9/7 filter bank is implemented)"
        )));
    }
    let mut read_half = |n: usize| -> Result<Vec<f32>, WsqError> {
        (0..n)
            .map(|_| {
                let sign = b.u8("DTT")?;
                let scale = b.u8("DTT")?;
                let raw = b.u32("DTT")?;
                let v = descale(raw, scale);
                Ok(if sign != 0 { -v } else { v })
            })
            .collect()
    };
    let lo = read_half(5)?;
    let hi = read_half(4)?;
    if b.remaining() != 0 {
        return Err(bad(format!("{} unexpected trailing byte(s)", b.remaining())));
    }
    if lo.iter().chain(hi.iter()).any(|v| !v.is_finite()) {
        return Err(bad("non-finite filter coefficient".into()));
    }
    Ok(TransformTable { lo, hi })
}

/// The quantization table (DQT): per-subband bin widths as the decoder will use them.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantTable {
    /// Where within its bin a nonzero coefficient is reconstructed (0.44 in NBIS).
    pub bin_center: f32,
    /// Bin width per subband; zero means the subband was not transmitted.
    pub q_bin: [f32; SUBBANDS],
    /// Zero-bin width per subband.
    pub z_bin: [f32; SUBBANDS],
}

/// Writes a DQT segment; returns the table as a reader will see it (values rounded to their
/// stored precision), so the encoder can quantize with exactly those values.
pub fn write_dqt(out: &mut Vec<u8>, bin_center: f64, q_bin: &[f64; SUBBANDS], z_bin: &[f64; SUBBANDS]) -> QuantTable {
    put_u16(out, markers::DQT);
    put_u16(out, (2 + 3 + 6 * SUBBANDS) as u16);
    let mut push = |v: f64| {
        let (s, raw) = scale_u16(v);
        out.push(s);
        put_u16(out, raw);
        descale(u32::from(raw), s)
    };
    let mut table = QuantTable {
        bin_center: push(bin_center),
        q_bin: [0.0; SUBBANDS],
        z_bin: [0.0; SUBBANDS],
    };
    for k in 0..SUBBANDS {
        table.q_bin[k] = push(q_bin[k]);
        table.z_bin[k] = push(z_bin[k]);
    }
    table
}

/// Reads a DQT segment's body.
pub fn read_dqt(c: &mut Cursor<'_>) -> Result<QuantTable, WsqError> {
    let start = c.pos();
    let body = segment(c, "DQT")?;
    let bad = |reason: String| WsqError::BadTable {
        table: "DQT",
        offset: start,
        reason,
    };
    if body.len() != 3 + 6 * SUBBANDS {
        return Err(bad(format!(
            "length {} instead of {}",
            body.len() + 2,
            5 + 6 * SUBBANDS
        )));
    }
    let mut b = Cursor::new(body);
    let mut value = || -> Result<f32, WsqError> {
        let s = b.u8("DQT")?;
        let raw = b.u16("DQT")?;
        Ok(descale(u32::from(raw), s))
    };
    let bin_center = value()?;
    let mut q_bin = [0.0; SUBBANDS];
    let mut z_bin = [0.0; SUBBANDS];
    for k in 0..SUBBANDS {
        q_bin[k] = value()?;
        z_bin[k] = value()?;
    }
    Ok(QuantTable {
        bin_center,
        q_bin,
        z_bin,
    })
}

/// A Huffman table as stored: how many codes of each length 1..=16, then the symbols in code order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HuffmanSpec {
    /// `bits[i]` codes of length `i + 1`.
    pub bits: [u8; 16],
    /// Symbols, shortest codes first.
    pub values: Vec<u8>,
}

/// Writes a DHT segment holding one table.
pub fn write_dht(out: &mut Vec<u8>, id: u8, spec: &HuffmanSpec) {
    put_u16(out, markers::DHT);
    put_u16(out, (2 + 1 + 16 + spec.values.len()) as u16);
    out.push(id);
    out.extend_from_slice(&spec.bits);
    out.extend_from_slice(&spec.values);
}

/// Reads a DHT segment's body, which may define several tables.
pub fn read_dht(c: &mut Cursor<'_>) -> Result<Vec<(u8, HuffmanSpec)>, WsqError> {
    let start = c.pos();
    let body = segment(c, "DHT")?;
    let bad = |reason: String| WsqError::BadTable {
        table: "DHT",
        offset: start,
        reason,
    };
    let mut b = Cursor::new(body);
    let mut tables = Vec::new();
    while b.remaining() > 0 {
        let id = b.u8("DHT")?;
        if usize::from(id) >= MAX_HUFFMAN_TABLES {
            return Err(bad(format!("table id {id} (at most {} tables)", MAX_HUFFMAN_TABLES)));
        }
        let mut bits = [0u8; 16];
        bits.copy_from_slice(b.take(16, "DHT code counts")?);
        let count: usize = bits.iter().map(|&n| usize::from(n)).sum();
        if count > 256 {
            return Err(bad(format!("table {id} declares {count} codes (at most 256)")));
        }
        // Kraft: the declared code lengths must fit in a prefix code.
        let mut room: i64 = 1;
        for &n in &bits {
            room = room * 2 - i64::from(n);
            if room < 0 {
                return Err(bad(format!("table {id} declares more codes than fit their lengths")));
            }
        }
        let values = b.take(count, "DHT symbols")?.to_vec();
        tables.push((id, HuffmanSpec { bits, values }));
    }
    if tables.is_empty() {
        return Err(bad("no table in segment".into()));
    }
    Ok(tables)
}

/// Writes a SOB block header.
pub fn write_sob(out: &mut Vec<u8>, table_id: u8) {
    put_u16(out, markers::SOB);
    put_u16(out, 3);
    out.push(table_id);
}

/// Reads a SOB block header's body: the Huffman table id.
pub fn read_sob(c: &mut Cursor<'_>) -> Result<u8, WsqError> {
    let start = c.pos();
    let body = segment(c, "SOB")?;
    match body {
        [id] => Ok(*id),
        _ => Err(WsqError::BadTable {
            table: "SOB",
            offset: start,
            reason: format!("length {}", body.len() + 2),
        }),
    }
}

/// Reads a DRT segment's body: the restart interval (unused by the decoder, which finds
/// restart markers by themselves).
pub fn read_drt(c: &mut Cursor<'_>) -> Result<u16, WsqError> {
    let start = c.pos();
    let body = segment(c, "DRT")?;
    match body {
        [a, b] => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(WsqError::BadTable {
            table: "DRT",
            offset: start,
            reason: format!("length {}", body.len() + 2),
        }),
    }
}

/// Writes a COM segment.
pub fn write_com(out: &mut Vec<u8>, text: &[u8]) -> Result<(), WsqError> {
    let len = u16::try_from(text.len() + 2)
        .map_err(|_| WsqError::InvalidParameter(format!("comment of {} bytes is too long", text.len())))?;
    put_u16(out, markers::COM);
    put_u16(out, len);
    out.extend_from_slice(text);
    Ok(())
}

/// Reads a COM segment's body.
pub fn read_com<'a>(c: &mut Cursor<'a>) -> Result<&'a [u8], WsqError> {
    segment(c, "COM")
}

/// A segment's body: its 16-bit length counts itself, so it must be at least 2.
fn segment<'a>(c: &mut Cursor<'a>, what: &'static str) -> Result<&'a [u8], WsqError> {
    let start = c.pos();
    let len = c.u16(what)?;
    if len < 2 {
        return Err(WsqError::BadTable {
            table: what,
            offset: start,
            reason: format!("segment length {len}"),
        });
    }
    c.take(usize::from(len) - 2, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_values_keep_five_digits() {
        assert_eq!(scale_u16(0.44), (5, 44000));
        assert_eq!(scale_u16(139.96), (2, 13996));
        assert_eq!(scale_u16(0.0), (0, 0));
        assert_eq!(scale_u16(1e9), (0, u16::MAX));
        assert_eq!(scale_u32(0.852_698_679_008_893_8), (9, 852_698_679));
        assert!((descale(13996, 2) - 139.96).abs() < 1e-4);
    }
}
