//! Huffman coding of quantized coefficients with the standard's symbol alphabet:
//! 1..=100 zero runs, 101..=104 escapes for large coefficients (8 or 16 extra bits, positive or
//! negative), 105/106 escapes for long zero runs, and 107..=254 the coefficients -73..=74 (offset by 180).

use crate::bits::{BitReader, BitWriter};
use crate::tables::HuffmanSpec;

/// Longest zero run with a symbol of its own.
const MAX_RUN_SYMBOL: u32 = 100;
const POS_ESC8: u8 = 101;
const NEG_ESC8: u8 = 102;
const POS_ESC16: u8 = 103;
const NEG_ESC16: u8 = 104;
const RUN_ESC8: u8 = 105;
const RUN_ESC16: u8 = 106;
/// Coefficient `c` in `MIN_COEF..=MAX_COEF` is symbol `c + COEF_OFFSET`.
const COEF_OFFSET: i32 = 180;
const MIN_COEF: i32 = -73;
const MAX_COEF: i32 = 74;
/// Longest run one symbol (with its escape) can carry.
const MAX_RUN: u32 = 0xFFFF;

/// A coded unit: a symbol and the raw bits that follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Huffman symbol.
    pub symbol: u8,
    /// Bits following the symbol's code.
    pub extra: u32,
    /// How many bits follow (0, 8 or 16).
    pub extra_len: u32,
}

fn run_token(run: u32) -> Token {
    if run <= MAX_RUN_SYMBOL {
        Token {
            symbol: run as u8,
            extra: 0,
            extra_len: 0,
        }
    } else if run <= 0xFF {
        Token {
            symbol: RUN_ESC8,
            extra: run,
            extra_len: 8,
        }
    } else {
        Token {
            symbol: RUN_ESC16,
            extra: run,
            extra_len: 16,
        }
    }
}

fn coef_token(c: i32) -> Token {
    if (MIN_COEF..=MAX_COEF).contains(&c) {
        Token {
            symbol: (c + COEF_OFFSET) as u8,
            extra: 0,
            extra_len: 0,
        }
    } else {
        let m = c.unsigned_abs();
        let (symbol, extra_len) = match (c > 0, m <= 0xFF) {
            (true, true) => (POS_ESC8, 8),
            (true, false) => (POS_ESC16, 16),
            (false, true) => (NEG_ESC8, 8),
            (false, false) => (NEG_ESC16, 16),
        };
        Token {
            symbol,
            extra: m,
            extra_len,
        }
    }
}

/// Calls `emit` for each token that codes `coeffs` (one block: runs do not cross blocks).
pub fn tokenize(coeffs: &[i16], mut emit: impl FnMut(Token)) {
    let mut run = 0u32;
    for &c in coeffs {
        if c == 0 {
            run += 1;
            if run == MAX_RUN {
                emit(run_token(run));
                run = 0;
            }
            continue;
        }
        if run > 0 {
            emit(run_token(run));
            run = 0;
        }
        emit(coef_token(i32::from(c)));
    }
    if run > 0 {
        emit(run_token(run));
    }
}

/// A length-limited Huffman table for symbol frequencies `freq`.
///
/// One code of the longest length is reserved and never assigned, so no code is all ones and
/// the one-bits that pad a block cannot decode as a symbol.
pub fn build_spec(freq: &[u32; 256]) -> HuffmanSpec {
    const RESERVED: usize = 256;
    let mut weights: Vec<(u64, usize)> = freq
        .iter()
        .enumerate()
        .filter(|(_, f)| **f > 0)
        .map(|(s, f)| (u64::from(*f), s))
        .collect();
    if weights.is_empty() {
        // A table must define some code; an unused one costs nothing.
        weights.push((1, 1));
    }
    weights.push((1, RESERVED));
    let lengths = code_lengths(&weights);

    // Count codes per length, then fold lengths over 16 into shorter ones keeping the code complete.
    let mut count = vec![0u32; lengths.iter().copied().max().unwrap_or(1).max(17) + 1];
    for &l in &lengths {
        count[l] += 1;
    }
    let mut i = count.len() - 1;
    while i > 16 {
        while count[i] > 0 {
            let mut j = i - 2;
            while count[j] == 0 {
                j -= 1;
            }
            count[i] -= 2;
            count[i - 1] += 1;
            count[j + 1] += 2;
            count[j] -= 1;
        }
        i -= 1;
    }
    // Drop the reserved code, which is the last of the longest ones.
    let mut longest = 16;
    while count[longest] == 0 {
        longest -= 1;
    }
    count[longest] -= 1;

    // Hand out the lengths, shortest to the most frequent; the reserved symbol sorts last.
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| {
        (
            weights[i].1 == RESERVED,
            lengths[i],
            std::cmp::Reverse(weights[i].0),
            weights[i].1,
        )
    });
    let mut assigned: Vec<(usize, u8)> = Vec::with_capacity(weights.len() - 1);
    let mut it = order.iter();
    for (len, &n) in count.iter().enumerate().take(17).skip(1) {
        for _ in 0..n {
            if let Some(&i) = it.next() {
                assigned.push((len, weights[i].1 as u8));
            }
        }
    }
    assigned.sort_unstable();
    let mut bits = [0u8; 16];
    for (len, &n) in count.iter().enumerate().take(17).skip(1) {
        bits[len - 1] = n as u8;
    }
    HuffmanSpec {
        bits,
        values: assigned.into_iter().map(|(_, s)| s).collect(),
    }
}

/// Unrestricted Huffman code lengths for the given (weight, symbol) pairs.
fn code_lengths(weights: &[(u64, usize)]) -> Vec<usize> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n = weights.len();
    if n == 1 {
        return vec![1];
    }
    // Tree nodes: leaves 0..n, internal nodes after; parent links give the depths.
    let mut parent = vec![usize::MAX; 2 * n - 1];
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> =
        weights.iter().enumerate().map(|(i, w)| Reverse((w.0, i))).collect();
    let mut next = n;
    while let (Some(Reverse((wa, a))), Some(Reverse((wb, b)))) = (heap.pop(), heap.pop()) {
        parent[a] = next;
        parent[b] = next;
        heap.push(Reverse((wa + wb, next)));
        next += 1;
        if heap.len() == 1 {
            break;
        }
    }
    let mut depth = vec![0usize; 2 * n - 1];
    for node in (0..2 * n - 2).rev() {
        depth[node] = depth[parent[node]] + 1;
    }
    depth.truncate(n);
    depth
}

/// Canonical codes of a table, for encoding.
#[derive(Debug, Clone)]
pub struct Encoder {
    code: [u16; 256],
    len: [u8; 256],
}

impl Encoder {
    /// The canonical codes `spec` defines.
    pub fn new(spec: &HuffmanSpec) -> Self {
        let mut e = Self {
            code: [0; 256],
            len: [0; 256],
        };
        let mut code = 0u32;
        let mut values = spec.values.iter();
        for (i, &n) in spec.bits.iter().enumerate() {
            for _ in 0..n {
                if let Some(&s) = values.next() {
                    e.code[usize::from(s)] = code as u16;
                    e.len[usize::from(s)] = i as u8 + 1;
                }
                code += 1;
            }
            code <<= 1;
        }
        e
    }

    /// Writes one token.
    #[inline]
    pub fn put(&self, w: &mut BitWriter<'_>, t: Token) {
        let s = usize::from(t.symbol);
        w.put(u32::from(self.code[s]), u32::from(self.len[s]));
        if t.extra_len > 0 {
            w.put(t.extra, t.extra_len);
        }
    }
}

/// Bits resolved by one table look-up; longer codes take the slow path.
const FAST_BITS: u32 = 10;

/// Decoding tables for one Huffman table.
#[derive(Debug, Clone)]
pub struct Decoder {
    /// Indexed by the next `FAST_BITS` bits: `len << 8 | symbol`, or 0 for a longer code.
    fast: Vec<u16>,
    /// Largest code of each length (index = length), or -1 if none.
    max_code: [i32; 17],
    /// Index in `values` of the first code of each length, minus that code.
    offset: [i32; 17],
    values: Vec<u8>,
}

impl Decoder {
    /// Decoding tables for `spec` (whose code counts were checked when it was read).
    pub fn new(spec: &HuffmanSpec) -> Self {
        let mut d = Self {
            fast: vec![0; 1 << FAST_BITS],
            max_code: [-1; 17],
            offset: [0; 17],
            values: spec.values.clone(),
        };
        let mut code = 0i32;
        let mut k = 0usize;
        for len in 1..=16u32 {
            let n = i32::from(spec.bits[len as usize - 1]);
            if n > 0 {
                d.offset[len as usize] = k as i32 - code;
                for c in code..code + n {
                    if len <= FAST_BITS
                        && let Some(&s) = spec.values.get(k)
                    {
                        let first = (c as usize) << (FAST_BITS - len);
                        let entry = ((len as u16) << 8) | u16::from(s);
                        d.fast[first..first + (1 << (FAST_BITS - len))].fill(entry);
                    }
                    k += 1;
                }
                d.max_code[len as usize] = code + n - 1;
            }
            code = (code + n) << 1;
        }
        d
    }

    /// Decodes one symbol: `(symbol, code length)`, or `None` if no code matches the next 16 bits.
    #[inline]
    pub fn symbol(&self, r: &mut BitReader<'_>) -> Option<(u8, u32)> {
        let bits = r.peek16();
        let e = self.fast[(bits >> (16 - FAST_BITS)) as usize];
        if e != 0 {
            return Some(((e & 0xFF) as u8, u32::from(e >> 8)));
        }
        for len in FAST_BITS + 1..=16 {
            let code = (bits >> (16 - len)) as i32;
            if code <= self.max_code[len as usize] {
                let i = self.offset[len as usize] + code;
                return self.values.get(usize::try_from(i).ok()?).map(|&s| (s, len));
            }
        }
        None
    }
}

/// What a decoded symbol stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// That many zero coefficients.
    Zeros(u32),
    /// One coefficient.
    Coef(i32),
    /// Extra bits the symbol needs: read them, then call [`with_extra`].
    NeedsExtra(u32),
    /// A symbol the alphabet does not define.
    Invalid,
}

/// The meaning of `symbol` if it needs no extra bits.
#[inline]
pub fn interpret(symbol: u8) -> Item {
    match symbol {
        1..=100 => Item::Zeros(u32::from(symbol)),
        POS_ESC8 | NEG_ESC8 | RUN_ESC8 => Item::NeedsExtra(8),
        POS_ESC16 | NEG_ESC16 | RUN_ESC16 => Item::NeedsExtra(16),
        107..=254 => Item::Coef(i32::from(symbol) - COEF_OFFSET),
        _ => Item::Invalid,
    }
}

/// The meaning of an escape symbol followed by `extra`.
#[inline]
pub fn with_extra(symbol: u8, extra: u32) -> Item {
    match symbol {
        POS_ESC8 | POS_ESC16 => Item::Coef(extra as i32),
        NEG_ESC8 | NEG_ESC16 => Item::Coef(-(extra as i32)),
        RUN_ESC8 | RUN_ESC16 => Item::Zeros(extra),
        _ => Item::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_code_is_all_ones_and_lengths_fit() {
        let mut freq = [0u32; 256];
        // Fibonacci-like weights force deep trees that must be folded to 16 bits.
        let (mut a, mut b) = (1u32, 1u32);
        for f in freq.iter_mut().take(40) {
            *f = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let spec = build_spec(&freq);
        assert_eq!(spec.values.len(), 40);
        let e = Encoder::new(&spec);
        for &s in &spec.values {
            let (c, l) = (e.code[usize::from(s)], e.len[usize::from(s)]);
            assert!((1..=16).contains(&l));
            assert_ne!(u32::from(c), (1u32 << l) - 1, "symbol {s} has an all-ones code");
        }
        let single = build_spec(&{
            let mut f = [0; 256];
            f[180] = 5;
            f
        });
        assert_eq!(single.values, [180]);
        assert_eq!(single.bits[0], 1);
    }

    mod properties {
        use super::super::*;
        use crate::bits::scan_entropy;
        use proptest::prelude::*;

        /// Coefficients in runs: long zero runs (past the 8- and 16-bit escapes) and values across
        /// every coefficient range of the alphabet.
        fn coefficients() -> impl Strategy<Value = Vec<i16>> {
            let run = prop_oneof![8 => 0u32..120, 2 => 100u32..300, 1 => 60_000u32..140_000];
            let value = prop_oneof![6 => -73i16..=74, 2 => -255i16..=255, 1 => any::<i16>()];
            prop::collection::vec((run, value, any::<bool>()), 0..60).prop_map(|parts| {
                let mut v = Vec::new();
                for (run, value, trailing_zero) in parts {
                    v.extend(std::iter::repeat_n(0, run as usize));
                    if !trailing_zero {
                        v.push(if value == 0 { 1 } else { value.max(-i16::MAX) });
                    }
                }
                v
            })
        }

        fn decode_all(bytes: &[u8], spec: &HuffmanSpec, expected: usize) -> Vec<i32> {
            let (mut clean, mut rst) = (Vec::new(), Vec::new());
            let end = scan_entropy(bytes, 0, &mut clean, &mut rst);
            assert_eq!(end, bytes.len());
            let d = Decoder::new(spec);
            let mut r = BitReader::new(&clean);
            let mut out = Vec::new();
            while out.len() < expected {
                let (s, len) = d.symbol(&mut r).expect("a code");
                r.skip(len);
                let item = match interpret(s) {
                    Item::NeedsExtra(n) => with_extra(s, r.read(n)),
                    item => item,
                };
                match item {
                    Item::Zeros(n) => out.extend(std::iter::repeat_n(0, n as usize)),
                    Item::Coef(c) => out.push(c),
                    other => panic!("{other:?}"),
                }
            }
            assert!(r.only_padding_left(), "{} bits left", r.bits_left());
            out
        }

        proptest! {
            #[test]
            fn coefficients_survive_huffman_coding(coeffs in coefficients()) {
                let mut freq = [0u32; 256];
                tokenize(&coeffs, |t| freq[usize::from(t.symbol)] += 1);
                let spec = build_spec(&freq);
                prop_assert!(spec.bits.iter().map(|&n| usize::from(n)).sum::<usize>() == spec.values.len());
                let e = Encoder::new(&spec);
                let mut bytes = Vec::new();
                let mut w = BitWriter::new(&mut bytes);
                tokenize(&coeffs, |t| e.put(&mut w, t));
                w.finish();
                // Stuffing leaves no marker in the data.
                prop_assert!(bytes.windows(2).all(|p| p[0] != 0xFF || p[1] == 0));
                let back = decode_all(&bytes, &spec, coeffs.len());
                prop_assert_eq!(back, coeffs.iter().map(|&c| i32::from(c)).collect::<Vec<_>>());
            }

            #[test]
            fn bit_writer_and_reader_agree(items in prop::collection::vec((any::<u32>(), 1u32..=16), 0..400)) {
                let mut bytes = Vec::new();
                let mut w = BitWriter::new(&mut bytes);
                for &(v, len) in &items {
                    w.put(v, len);
                }
                w.finish();
                let (mut clean, mut rst) = (Vec::new(), Vec::new());
                scan_entropy(&bytes, 0, &mut clean, &mut rst);
                let mut r = BitReader::new(&clean);
                for &(v, len) in &items {
                    prop_assert_eq!(r.read(len), v & ((1 << len) - 1));
                }
                prop_assert!(r.only_padding_left());
            }
        }
    }
}
