//! The encoder: normalize, decompose, allocate bits, quantize, Huffman-code, and lay out the file
//! the way NBIS does (SOI, NISTCOM, DTT, DQT, SOF, then the three blocks, EOI).

use crate::bits::BitWriter;
use crate::huffman::{self, Encoder};
use crate::markers::{self, put_u16};
use crate::quantize::{self, BIN_CENTER};
use crate::tables::{self, FrameHeader, roundtrip_u16};
use crate::tree::{BLOCK_STARTS, Layout};
use crate::wavelet::{self, Filters, Scratch};
use crate::{GrayImage, MAX_DIMENSION, MIN_DIMENSION, WsqError, nistcom};

/// Encoder number NBIS writes in the frame header.
const ENCODER_NUMBER: u8 = 2;

/// Compresses `image` at about `bitrate` bits per pixel (0.75 is the FBI's rate for 500 ppi
/// prints), recording `ppi` in the NISTCOM comment.
pub fn encode(image: &GrayImage, bitrate: f32, ppi: u16) -> Result<Vec<u8>, WsqError> {
    let (width, height) = (image.width, image.height);
    if width.checked_mul(height) != Some(image.pixels.len()) {
        return Err(WsqError::InvalidImage(format!(
            "{} pixel bytes for a {width}×{height} image",
            image.pixels.len()
        )));
    }
    for (what, v) in [("width", width), ("height", height)] {
        if !(MIN_DIMENSION..=MAX_DIMENSION).contains(&v) {
            return Err(WsqError::InvalidImage(format!(
                "{what} {v} is outside {MIN_DIMENSION}..={MAX_DIMENSION} pixels"
            )));
        }
    }
    if !(bitrate.is_finite() && bitrate > 0.0 && bitrate <= 8.0) {
        return Err(WsqError::InvalidParameter(format!(
            "bitrate {bitrate} is outside (0, 8] bits per pixel"
        )));
    }
    if ppi == 0 {
        return Err(WsqError::InvalidParameter("ppi 0".into()));
    }

    // Centre and scale the pixels to about ±128, with the shift and scale rounded the way the
    // frame header stores them, so the decoder undoes exactly what was done.
    let n = image.pixels.len();
    let (mut sum, mut lo, mut hi) = (0u64, u8::MAX, u8::MIN);
    for &p in &image.pixels {
        sum += u64::from(p);
        lo = lo.min(p);
        hi = hi.max(p);
    }
    let m_shift = roundtrip_u16(sum as f64 / n as f64);
    let spread = (f64::from(m_shift) - f64::from(lo)).max(f64::from(hi) - f64::from(m_shift)) / 128.0;
    let r_scale = if spread > 0.0 { roundtrip_u16(spread) } else { 1.0 };
    let inv_scale = 1.0 / r_scale;
    let mut data: Vec<f32> = image
        .pixels
        .iter()
        .map(|&p| (f32::from(p) - m_shift) * inv_scale)
        .collect();

    let layout = Layout::new(width, height);
    let mut tmp = vec![0.0f32; n];
    wavelet::forward(
        &mut data,
        &mut tmp,
        width,
        &layout,
        &Filters::standard(),
        &mut Scratch::default(),
    );
    drop(tmp);

    let variances = quantize::variances(&data, width, &layout.subbands);
    let (mut q_bin, mut z_bin) = quantize::allocate(&variances, f64::from(bitrate));
    quantize::keep_in_range(&data, width, &layout.subbands, &mut q_bin, &mut z_bin);

    let mut out = Vec::with_capacity(n * 3 / 16 + 2048);
    put_u16(&mut out, markers::SOI);
    tables::write_com(&mut out, nistcom::build(width, height, ppi, bitrate).as_bytes())?;
    tables::write_standard_dtt(&mut out);
    let table = tables::write_dqt(&mut out, BIN_CENTER, &q_bin, &z_bin);
    let header = FrameHeader {
        black: 0,
        white: 255,
        height: height as u16,
        width: width as u16,
        m_shift,
        r_scale,
        encoder: ENCODER_NUMBER,
        software: 0,
    };
    tables::write_sof(&mut out, &header);

    let mut coeffs = Vec::with_capacity(n);
    quantize::quantize(&data, width, &layout.subbands, &table, &mut coeffs);
    drop(data);
    let block_len = |b: usize| -> usize {
        (BLOCK_STARTS[b]..BLOCK_STARTS[b + 1])
            .filter(|&k| table.q_bin[k] != 0.0)
            .map(|k| layout.subbands[k].area())
            .sum()
    };
    let (n1, n2) = (block_len(0), block_len(1));
    let blocks = [&coeffs[..n1], &coeffs[n1..n1 + n2], &coeffs[n1 + n2..]];

    // Block 1 has its own table; blocks 2 and 3 share one, as in NBIS.
    for (table_id, group) in [(0u8, &blocks[..1]), (1u8, &blocks[1..])] {
        let mut freq = [0u32; 256];
        for block in group {
            huffman::tokenize(block, |t| freq[usize::from(t.symbol)] += 1);
        }
        let spec = huffman::build_spec(&freq);
        tables::write_dht(&mut out, table_id, &spec);
        let encoder = Encoder::new(&spec);
        for block in group {
            tables::write_sob(&mut out, table_id);
            let mut w = BitWriter::new(&mut out);
            huffman::tokenize(block, |t| encoder.put(&mut w, t));
            w.finish();
        }
    }
    put_u16(&mut out, markers::EOI);
    Ok(out)
}
