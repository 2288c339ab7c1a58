//! The decoder: read the segments in whatever order the file has them, Huffman-decode the
//! blocks into one coefficient stream, dequantize, reconstruct, and round to 8 bits as NBIS does.

use crate::bits::{BitReader, scan_entropy};
use crate::huffman::{self, Decoder, Item};
use crate::markers::{self, Cursor};
use crate::quantize;
use crate::tables::{self, FrameHeader, MAX_HUFFMAN_TABLES, QuantTable, TransformTable};
use crate::tree::{BLOCK_STARTS, Layout};
use crate::wavelet::{self, Filters, Scratch};
use crate::{Decoded, MAX_PIXELS, WsqError, nistcom};

/// What the first block fixes: the geometry and how many coefficients to expect.
struct Plan {
    layout: Layout,
    /// Coefficients the file must hold.
    total: usize,
    /// Coefficients expected once each of the standard's three blocks has been read.
    block_ends: [usize; 3],
}

impl Plan {
    fn new(frame: &FrameHeader, dqt: &QuantTable) -> Self {
        let layout = Layout::new(usize::from(frame.width), usize::from(frame.height));
        let mut block_ends = [0; 3];
        let mut total = 0;
        for (b, end) in block_ends.iter_mut().enumerate() {
            total += (BLOCK_STARTS[b]..BLOCK_STARTS[b + 1])
                .filter(|&k| dqt.q_bin[k] != 0.0)
                .map(|k| layout.subbands[k].area())
                .sum::<usize>();
            *end = total;
        }
        Self {
            layout,
            total,
            block_ends,
        }
    }
}

/// Decompresses a WSQ file.
pub fn decode(bytes: &[u8]) -> Result<Decoded, WsqError> {
    let mut c = Cursor::new(bytes);
    let marker = c.u16("SOI marker")?;
    if marker != markers::SOI {
        return Err(WsqError::UnknownMarker { offset: 0, marker });
    }

    let mut frame: Option<FrameHeader> = None;
    let mut dtt: Option<TransformTable> = None;
    let mut dqt: Option<QuantTable> = None;
    let mut huff: [Option<Decoder>; MAX_HUFFMAN_TABLES] = Default::default();
    let mut comments = Vec::new();
    let mut plan: Option<Plan> = None;
    let mut coeffs: Vec<i32> = Vec::new();
    let mut clean = Vec::new();
    let mut restarts = Vec::new();
    let mut blocks = 0usize;

    loop {
        let at = c.pos();
        let marker = c.u16("marker")?;
        let too_late = |name: &'static str| WsqError::UnexpectedMarker {
            offset: at,
            marker,
            name,
            context: "it redefines the frame or quantization after coefficient data started",
        };
        match marker {
            markers::COM => comments.push(String::from_utf8_lossy(tables::read_com(&mut c)?).into_owned()),
            markers::DTT => dtt = Some(tables::read_dtt(&mut c)?),
            markers::DQT if plan.is_some() => return Err(too_late("DQT")),
            markers::DQT => dqt = Some(tables::read_dqt(&mut c)?),
            markers::DHT => {
                for (id, spec) in tables::read_dht(&mut c)? {
                    huff[usize::from(id)] = Some(Decoder::new(&spec));
                }
            }
            markers::DRT => {
                tables::read_drt(&mut c)?;
            }
            markers::SOF if frame.is_some() => {
                return Err(WsqError::UnexpectedMarker {
                    offset: at,
                    marker,
                    name: "SOF",
                    context: "a second frame header",
                });
            }
            markers::SOF => {
                let f = tables::read_sof(&mut c)?;
                let pixels = usize::from(f.width) * usize::from(f.height);
                if pixels > MAX_PIXELS {
                    return Err(WsqError::Unsupported(format!(
                        "a {}×{} image exceeds the {MAX_PIXELS}-pixel limit",
                        f.width, f.height
                    )));
                }
                frame = Some(f);
            }
            markers::SOB => {
                let id = tables::read_sob(&mut c)?;
                let missing = |what: String| WsqError::Missing { what, offset: at };
                let p = match plan {
                    Some(ref p) => p,
                    None => {
                        let f = frame.as_ref().ok_or_else(|| missing("frame header (SOF)".into()))?;
                        let q = dqt.as_ref().ok_or_else(|| missing("quantization table (DQT)".into()))?;
                        plan.insert(Plan::new(f, q))
                    }
                };
                let decoder = huff
                    .get(usize::from(id))
                    .and_then(Option::as_ref)
                    .ok_or_else(|| missing(format!("Huffman table {id} (DHT)")))?;
                let start = c.pos();
                let end = scan_entropy(bytes, start, &mut clean, &mut restarts);
                let target = p.block_ends.get(blocks).copied().unwrap_or(p.total);
                blocks += 1;
                let ctx = BlockContext {
                    decoder,
                    block: blocks,
                    offset: start,
                    target,
                    total: p.total,
                };
                decode_block(&ctx, &clean, &restarts, &mut coeffs)?;
                c.seek(end);
            }
            markers::EOI => break,
            m => {
                return Err(match markers::name(m) {
                    Some(name) => WsqError::UnexpectedMarker {
                        offset: at,
                        marker: m,
                        name,
                        context: "between segments",
                    },
                    None => WsqError::UnknownMarker { offset: at, marker: m },
                });
            }
        }
    }

    let end = c.pos();
    let (Some(frame), Some(plan)) = (frame, plan) else {
        return Err(WsqError::Missing {
            what: "coefficient blocks (SOB)".into(),
            offset: end,
        });
    };
    let dtt = dtt.ok_or_else(|| WsqError::Missing {
        what: "transform table (DTT)".into(),
        offset: end,
    })?;
    let dqt = dqt.ok_or_else(|| WsqError::Missing {
        what: "quantization table (DQT)".into(),
        offset: end,
    })?;
    if coeffs.len() != plan.total {
        return Err(WsqError::BadData {
            block: blocks,
            offset: end,
            reason: format!(
                "the blocks hold {} coefficients, the image needs {}",
                coeffs.len(),
                plan.total
            ),
        });
    }

    let (width, height) = (usize::from(frame.width), usize::from(frame.height));
    let mut data = vec![0.0f32; width * height];
    quantize::dequantize(&coeffs, width, &plan.layout.subbands, &dqt, &mut data);
    drop(coeffs);
    let mut tmp = vec![0.0f32; width * height];
    wavelet::inverse(
        &mut data,
        &mut tmp,
        width,
        &plan.layout,
        &Filters::from_table(&dtt),
        &mut Scratch::default(),
    );
    drop(tmp);

    let (r_scale, m_shift) = (frame.r_scale, frame.m_shift);
    let pixels = data
        .iter()
        .map(|&v| {
            // NBIS's rounding, step by step in single precision, so both decoders agree.
            let t = v * r_scale + m_shift;
            let t = t + 0.5;
            if t < 0.0 {
                0
            } else if t > 255.0 {
                255
            } else {
                t as u8
            }
        })
        .collect();
    let ppi = comments.iter().find_map(|c| nistcom::ppi(c));
    Ok(Decoded {
        width,
        height,
        ppi,
        pixels,
        comments,
    })
}

struct BlockContext<'a> {
    decoder: &'a Decoder,
    /// Block number from 1, for errors.
    block: usize,
    /// Offset of the coded data in the file, for errors.
    offset: usize,
    /// Stop once this many coefficients are decoded (what follows can only be padding).
    target: usize,
    /// No block may go past this many coefficients.
    total: usize,
}

/// Decodes one block's unstuffed data, appending to `coeffs`.
///
/// Like NBIS, the coefficients of all blocks form one stream: a block that ends short is
/// continued by the next one.
fn decode_block(
    ctx: &BlockContext<'_>,
    clean: &[u8],
    restarts: &[usize],
    coeffs: &mut Vec<i32>,
) -> Result<(), WsqError> {
    let bad = |reason: String| WsqError::BadData {
        block: ctx.block,
        offset: ctx.offset,
        reason,
    };
    let mut from = 0;
    for &to in restarts.iter().chain(std::iter::once(&clean.len())) {
        let segment = clean.get(from..to).unwrap_or(&[]);
        from = to;
        let mut r = BitReader::new(segment);
        while coeffs.len() < ctx.target && r.bits_left() > 0 {
            let Some((symbol, len)) = ctx
                .decoder
                .symbol(&mut r)
                .filter(|&(_, len)| len as usize <= r.bits_left())
            else {
                if r.only_padding_left() {
                    break;
                }
                return Err(bad(format!(
                    "no Huffman code matches {} bits before the end",
                    r.bits_left()
                )));
            };
            r.skip(len);
            let item = match huffman::interpret(symbol) {
                Item::NeedsExtra(n) => {
                    if r.bits_left() < n as usize {
                        return Err(bad(format!("symbol {symbol} lacks its {n} extra bits")));
                    }
                    huffman::with_extra(symbol, r.read(n))
                }
                item => item,
            };
            match item {
                Item::Zeros(n) => {
                    let new_len = coeffs.len() + n as usize;
                    if new_len > ctx.total {
                        return Err(bad(format!(
                            "a run of {n} zeros overflows the image's {} coefficients",
                            ctx.total
                        )));
                    }
                    coeffs.resize(new_len, 0);
                }
                Item::Coef(v) => {
                    if coeffs.len() >= ctx.total {
                        return Err(bad(format!("more than the image's {} coefficients", ctx.total)));
                    }
                    coeffs.push(v);
                }
                Item::Invalid | Item::NeedsExtra(_) => {
                    return Err(bad(format!("symbol {symbol} is not in the WSQ alphabet")));
                }
            }
        }
    }
    Ok(())
}
