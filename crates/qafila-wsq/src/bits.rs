//! Bit-level I/O of the entropy-coded data: MSB-first packing, 0xFF byte stuffing, and the
//! scan that finds where a block's data ends.

/// Packs codes MSB first, stuffing a zero byte after every 0xFF so data never looks like a marker.
#[derive(Debug)]
pub struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    pending: u32,
}

impl<'a> BitWriter<'a> {
    /// A writer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Self {
            out,
            acc: 0,
            pending: 0,
        }
    }

    /// Appends the low `len` (≤ 24) bits of `bits`.
    #[inline]
    pub fn put(&mut self, bits: u32, len: u32) {
        debug_assert!(len <= 24);
        self.acc = (self.acc << len) | u64::from(bits & ((1u32 << len) - 1));
        self.pending += len;
        while self.pending >= 8 {
            self.pending -= 8;
            let byte = (self.acc >> self.pending) as u8;
            self.out.push(byte);
            if byte == 0xFF {
                self.out.push(0);
            }
        }
    }

    /// Pads the last byte with one bits, which no code consists of, so a decoder reading on
    /// to the next marker finds no extra symbol.
    pub fn finish(mut self) {
        if self.pending > 0 {
            let pad = 8 - self.pending;
            self.put((1 << pad) - 1, pad);
        }
    }
}

/// Reads bits MSB first from unstuffed data; past the end it yields one bits (like padding)
/// and counts how far it overran.
#[derive(Debug)]
pub struct BitReader<'a> {
    data: &'a [u8],
    next: usize,
    acc: u64,
    have: u32,
    consumed: usize,
}

impl<'a> BitReader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            next: 0,
            acc: 0,
            have: 0,
            consumed: 0,
        }
    }

    /// Real bits not yet consumed.
    pub fn bits_left(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.consumed)
    }

    #[inline]
    fn refill(&mut self) {
        while self.have <= 56 {
            let byte = self.data.get(self.next).copied().unwrap_or(0xFF);
            self.next += 1;
            self.acc |= u64::from(byte) << (56 - self.have);
            self.have += 8;
        }
    }

    /// The next 16 bits without consuming them.
    #[inline]
    pub fn peek16(&mut self) -> u32 {
        if self.have < 16 {
            self.refill();
        }
        (self.acc >> 48) as u32
    }

    /// Consumes `n` (≤ 16) bits.
    #[inline]
    pub fn skip(&mut self, n: u32) {
        if self.have < n {
            self.refill();
        }
        self.acc <<= n;
        self.have -= n;
        self.consumed += n as usize;
    }

    /// Reads `n` (≤ 16) bits as a number.
    #[inline]
    pub fn read(&mut self, n: u32) -> u32 {
        let v = self.peek16() >> (16 - n);
        self.skip(n);
        v
    }

    /// Whether every remaining real bit is a one (i.e. only padding is left).
    pub fn only_padding_left(&mut self) -> bool {
        let left = self.bits_left();
        left < 8 && (left == 0 || self.peek16() >> (16 - left) == (1 << left) - 1)
    }
}

/// Where the coded data that starts at `start` ends, with the data unstuffed into `out` and the
/// positions (in `out`) of restart markers in `restarts`.
///
/// Returns the offset of the marker that ends the data, or `bytes.len()` if none does.
pub fn scan_entropy(bytes: &[u8], start: usize, out: &mut Vec<u8>, restarts: &mut Vec<usize>) -> usize {
    out.clear();
    restarts.clear();
    let mut i = start;
    while let Some(rest) = bytes.get(i..) {
        let Some(p) = rest.iter().position(|&b| b == 0xFF) else {
            out.extend_from_slice(rest);
            return bytes.len();
        };
        out.extend_from_slice(&rest[..p]);
        i += p;
        match bytes.get(i + 1) {
            Some(0x00) => {
                out.push(0xFF);
                i += 2;
            }
            Some(0xB0..=0xB7) => {
                restarts.push(out.len());
                i += 2;
            }
            // A run of 0xFF before a marker is fill.
            Some(0xFF) => i += 1,
            _ => return i,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuffing_and_padding() {
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        w.put(0xFF, 8);
        w.put(0b101, 3);
        w.finish();
        assert_eq!(out, [0xFF, 0x00, 0b1011_1111]);
        let mut clean = Vec::new();
        let mut rst = Vec::new();
        let mut file = out.clone();
        file.extend_from_slice(&[0xFF, 0xA3]);
        assert_eq!(scan_entropy(&file, 0, &mut clean, &mut rst), 3);
        assert_eq!(clean, [0xFF, 0b1011_1111]);
        let mut r = BitReader::new(&clean);
        assert_eq!(r.read(8), 0xFF);
        assert_eq!(r.read(3), 0b101);
        assert!(r.only_padding_left());
    }
}
