//! Geometry of the standard's fixed decomposition: which rectangles are split, in what order and
//! with which spectral inversions, and where each of the 64 subbands ends up.
//!
//! Every split halves a rectangle in both directions. The lowpass half of an odd length gets the
//! extra sample; a split whose rows (or columns) are spectrally inverted puts its highpass half
//! first, so that half is the left (or top) one.

/// A rectangle of the coefficient plane, in samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rect {
    /// Left column.
    pub x: usize,
    /// Top row.
    pub y: usize,
    /// Width.
    pub w: usize,
    /// Height.
    pub h: usize,
}

impl Rect {
    /// Number of samples.
    pub fn area(&self) -> usize {
        self.w * self.h
    }
}

/// One split of the decomposition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Node {
    /// The rectangle being split.
    pub rect: Rect,
    /// Row filtering puts the highpass half first.
    pub invert_rows: bool,
    /// Column filtering puts the highpass half first.
    pub invert_cols: bool,
}

/// Number of splits in the standard decomposition.
pub const NODES: usize = 20;
/// Subbands that carry data; 60..64 are always discarded.
pub const CODED_SUBBANDS: usize = 60;
/// First subband of each of the standard's three blocks, and the end of the last.
pub const BLOCK_STARTS: [usize; 4] = [0, 19, 52, 60];

/// For splits 1..20: the split whose quadrant (0 top-left, 1 top-right, 2 bottom-left,
/// 3 bottom-right) it refines.
const PARENT: [(usize, usize); NODES - 1] = [
    (0, 0),  // 1
    (0, 1),  // 2
    (0, 2),  // 3
    (1, 1),  // 4
    (1, 2),  // 5
    (4, 0),  // 6
    (4, 1),  // 7
    (4, 2),  // 8
    (4, 3),  // 9
    (5, 0),  // 10
    (5, 1),  // 11
    (5, 2),  // 12
    (5, 3),  // 13
    (1, 0),  // 14
    (14, 0), // 15
    (14, 1), // 16
    (14, 2), // 17
    (14, 3), // 18
    (15, 0), // 19
];

/// Splits whose row (resp. column) filtering is spectrally inverted, as the standard fixes them.
const INVERT_ROWS: [usize; 8] = [2, 4, 7, 9, 11, 13, 16, 18];
const INVERT_COLS: [usize; 8] = [3, 5, 8, 9, 12, 13, 17, 18];

/// For each coded subband, the split and quadrant it is.
const SUBBAND_OF: [(usize, usize); CODED_SUBBANDS] = {
    let mut t = [(0, 0); CODED_SUBBANDS];
    // (first subband, split): four quadrants each, in order.
    let groups: [(usize, usize); 13] = [
        (0, 19),
        (7, 16),
        (11, 17),
        (15, 18),
        (19, 6),
        (23, 7),
        (27, 8),
        (31, 9),
        (35, 10),
        (39, 11),
        (43, 12),
        (47, 13),
        (52, 2),
    ];
    let mut g = 0;
    while g < groups.len() {
        let (first, node) = groups[g];
        let mut q = 0;
        while q < 4 {
            t[first + q] = (node, q);
            q += 1;
        }
        g += 1;
    }
    // Split 15's top-left quadrant is split 19; its other three are subbands 4..7.
    t[4] = (15, 1);
    t[5] = (15, 2);
    t[6] = (15, 3);
    t[51] = (1, 3);
    let mut q = 0;
    while q < 4 {
        t[56 + q] = (3, q);
        q += 1;
    }
    t
};

/// Halves a length: (first part, second part).
fn halves(len: usize, highpass_first: bool) -> (usize, usize) {
    let low = len.div_ceil(2);
    let high = len / 2;
    if highpass_first { (high, low) } else { (low, high) }
}

/// The four quadrants a split produces, in the order top-left, top-right, bottom-left, bottom-right.
pub fn quadrants(node: &Node) -> [Rect; 4] {
    let r = node.rect;
    let (w0, w1) = halves(r.w, node.invert_rows);
    let (h0, h1) = halves(r.h, node.invert_cols);
    [
        Rect {
            x: r.x,
            y: r.y,
            w: w0,
            h: h0,
        },
        Rect {
            x: r.x + w0,
            y: r.y,
            w: w1,
            h: h0,
        },
        Rect {
            x: r.x,
            y: r.y + h0,
            w: w0,
            h: h1,
        },
        Rect {
            x: r.x + w0,
            y: r.y + h0,
            w: w1,
            h: h1,
        },
    ]
}

/// The decomposition of one image size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Splits in the order the encoder performs them (the decoder undoes them in reverse).
    pub nodes: [Node; NODES],
    /// Where each coded subband lies.
    pub subbands: [Rect; CODED_SUBBANDS],
}

impl Layout {
    /// The layout for a `width`×`height` image.
    pub fn new(width: usize, height: usize) -> Self {
        let mut nodes = [Node::default(); NODES];
        nodes[0].rect = Rect {
            x: 0,
            y: 0,
            w: width,
            h: height,
        };
        for (i, node) in nodes.iter_mut().enumerate() {
            node.invert_rows = INVERT_ROWS.contains(&i);
            node.invert_cols = INVERT_COLS.contains(&i);
        }
        for i in 1..NODES {
            let (parent, quadrant) = PARENT[i - 1];
            nodes[i].rect = quadrants(&nodes[parent])[quadrant];
        }
        let subbands = SUBBAND_OF.map(|(node, quadrant)| quadrants(&nodes[node])[quadrant]);
        Self { nodes, subbands }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subbands_tile_everything_but_the_discarded_quadrant() {
        for (w, h) in [(540, 520), (400, 500), (257, 333), (65, 70), (1000, 31)] {
            let layout = Layout::new(w, h);
            let mut seen = vec![0u8; w * h];
            for r in &layout.subbands {
                for y in r.y..r.y + r.h {
                    for x in r.x..r.x + r.w {
                        seen[y * w + x] += 1;
                    }
                }
            }
            let discarded = quadrants(&Node {
                rect: Rect { x: 0, y: 0, w, h },
                ..Node::default()
            })[3];
            for y in 0..h {
                for x in 0..w {
                    let in_discarded = x >= discarded.x && y >= discarded.y;
                    assert_eq!(seen[y * w + x], u8::from(!in_discarded), "{w}x{h} at ({x},{y})");
                }
            }
        }
    }

    #[test]
    fn the_smallest_encodable_image_has_no_split_shorter_than_six() {
        let shortest = |w, h| {
            Layout::new(w, h)
                .nodes
                .iter()
                .map(|n| n.rect.w.min(n.rect.h))
                .min()
                .unwrap_or(0)
        };
        for size in crate::MIN_DIMENSION..crate::MIN_DIMENSION + 40 {
            assert!(shortest(size, size) >= 6, "{size}");
        }
        assert!(shortest(crate::MIN_DIMENSION - 1, crate::MIN_DIMENSION - 1) < 6);
    }

    #[test]
    fn block_sizes_match_the_standards_formulas() {
        let l = Layout::new(540, 520);
        let n = &l.nodes;
        let sum = |a: usize, b: usize| l.subbands[a..b].iter().map(Rect::area).sum::<usize>();
        assert_eq!(sum(0, 19), n[14].rect.area());
        assert_eq!(sum(19, 52), n[5].rect.h * n[1].rect.w + n[4].rect.area());
        assert_eq!(sum(52, 60), n[2].rect.area() + n[3].rect.area());
    }
}
