//! Synthetic fingerprints: a deterministic ridge pattern per (seed, finger), rendered as a different impression for
//! each capture.
//!
//! The pattern ("master print") is grown as SFinGe does: an orientation field from the Sherlock–Monro zero-pole
//! model (cores are poles, deltas zeros; arches use a smooth analytic field), a ridge period near 9 px at 500 ppi,
//! and noise iteratively filtered by a bank of Gabor kernels tuned to the local orientation and period until it
//! settles into ridges; ridge endings and bifurcations (minutiae) appear where the filtering has to reconcile
//! ridges. It is grown at half resolution (period ~4.5 px), four times fewer pixels and kernel taps, and sampled
//! bilinearly at full resolution, which the smooth ridges survive.
//!
//! Each impression places the master under a random displacement, rotation and pressure (wider ridges and contact
//! area when pressed harder), so two captures of a finger are mated but never bit-identical, then degrades it as
//! `quality` (0–100) asks: blur, dry patches (broken ridges), wet patches (filled valleys), partial contact, sensor
//! noise and a little contrast. Quality never touches the master, so the ridge pattern (and its minutiae) of a
//! (seed, finger) is the same at every quality.
//!
//! `quality` is calibrated against NIST's NFIQ 2 (the score capture gates on, rejecting under 40). Measured with
//! NIST's library (nbis-py 0.1.3) on [`render`]s of the [`master`]s of seeds 1–5 × all ten fingers, 50 prints per
//! row, each with its own [`Placement::random`] and noise seed:
//!
//! | quality | NFIQ 2 min | median | max |
//! |--------:|-----------:|-------:|----:|
//! |     100 |         61 |     71 |  87 |
//! |      95 |         60 |     74 |  85 |
//! |      85 |         62 |     73 |  84 |
//! |      70 |         61 |     76 |  88 |
//! |      60 |         26 |     68 |  89 |
//! |      50 |         26 |     43 |  65 |
//! |      40 |         12 |     29 |  46 |
//! |      30 |          4 |     20 |  35 |
//! |      20 |          4 |     13 |  34 |
//! |      15 |          6 |     12 |  23 |
//! |      10 |          6 |     14 |  22 |
//! |       3 |          6 |     14 |  28 |
//! |       0 |          4 |     13 |  29 |
//!
//! So quality ≥ 70 passes capture's gate on every finger (NFIQ 2 saturates in the 70s: clean prints do not score
//! higher at 100 than at 70), quality ≤ 15 fails it on every finger, and NFIQ 2 climbs between quality 20 and 70. Every
//! print above was scored (none made NIST's library fail). Damage stops growing at quality 15: harsher images
//! (more blur, fainter ridges, less noise) make NIST's library fail instead of scoring lower, so qualities 0–15
//! render the same image for the same capture. Sensor noise is kept mild on purpose: NFIQ 2 reads heavy noise as
//! ridge texture and scores it *higher*.
//!
//! Cost, measured on a shared 2-core machine (load average ~2.8) at opt-level 2 (the crate's dev profile too): a
//! master print ~30–40 ms (7 passes of an 11×11 kernel over 240×288 pixels), an impression ~20–30 ms at any
//! quality (the running-sum box blur costs the same at every radius; the skin texture adds one noise lookup per
//! pixel); about half that on an idle machine. The simulator caches masters and renders the fingers of a slap in
//! parallel, so a 4-4-2 enrollment costs ten masters once and then ten impressions per enrollment.

use std::f32::consts::PI;

use crate::finger::Finger;
use crate::image::GrayImage;
use crate::rng::Rng;

/// Width of an impression in pixels (0.8 in at 500 ppi).
pub const WIDTH: u32 = 400;
/// Height of an impression in pixels (1.0 in at 500 ppi).
pub const HEIGHT: u32 = 500;
/// Resolution of impressions.
pub const PPI: u16 = 500;

/// The master is grown at 1/SCALE resolution.
const SCALE: f32 = 2.0;
/// Master size, half resolution: room around the impression for displacement and rotation.
const MW: usize = 240;
const MH: usize = 288;
/// Gabor kernel radius (half-resolution pixels).
const R: usize = 5;
const KW: usize = 2 * R + 1;
const ORIENTATIONS: usize = 32;
const PERIODS: usize = 4;
const PERIOD_MIN: f32 = 3.9;
const PERIOD_MAX: f32 = 5.3;
const ITERATIONS: usize = 7;

/// The Henry class of a pattern, from its singular points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternClass {
    /// No core or delta.
    Arch,
    /// A core right above a delta.
    TentedArch,
    /// One core, the delta to the right, ridges opening to the left.
    LeftLoop,
    /// One core, the delta to the left.
    RightLoop,
    /// Two cores, two deltas.
    Whorl,
}

/// The ridge pattern of one finger of one simulated person.
#[derive(Clone)]
pub struct MasterPrint {
    /// The person.
    pub seed: u64,
    /// The finger.
    pub finger: Finger,
    /// Its pattern class.
    pub class: PatternClass,
    /// Ridge field at half resolution, -1 valley to +1 ridge, `MW * MH` row-major.
    ridges: Vec<f32>,
    /// Contact ellipse semi-axes at full resolution (finger width and length).
    half_width: f32,
    half_length: f32,
}

impl std::fmt::Debug for MasterPrint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterPrint(seed {}, {}, {:?})", self.seed, self.finger, self.class)
    }
}

impl MasterPrint {
    /// The ridge field, half resolution, for tests comparing patterns.
    pub fn ridge_field(&self) -> &[f32] {
        &self.ridges
    }
}

/// How one impression places the finger on the platen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Horizontal shift, pixels.
    pub dx: f32,
    /// Vertical shift, pixels.
    pub dy: f32,
    /// Rotation, radians.
    pub rotation: f32,
    /// -1 light touch (thin ridges, small area) to +1 heavy press (thick ridges, large area).
    pub pressure: f32,
}

impl Placement {
    /// Centered, straight, normal pressure.
    pub const CENTERED: Placement = Placement {
        dx: 0.0,
        dy: 0.0,
        rotation: 0.0,
        pressure: 0.0,
    };

    /// A plausible placement drawn from `capture_seed`: up to ±15 px, ±8°, and moderate pressure changes.
    pub fn random(capture_seed: u64) -> Placement {
        let mut rng = Rng::derive(capture_seed, "placement", 0);
        Placement {
            dx: rng.range(-15.0, 15.0),
            dy: rng.range(-15.0, 15.0),
            rotation: rng.range(-8.0, 8.0).to_radians(),
            pressure: rng.range(-0.6, 0.6),
        }
    }
}

/// The master print of `finger` of the person `seed`: the same inputs always give the same pattern.
pub fn master(seed: u64, finger: Finger) -> MasterPrint {
    let mut rng = Rng::derive(seed, "master", u64::from(finger.position()));
    let class = draw_class(&mut rng, finger);
    let field = OrientationField::new(&mut rng, class);
    let period_noise = ValueNoise::new(&mut rng, MW as f32, MH as f32, 60.0);
    let base_period = rng.range(4.3, 4.8);

    let bank = gabor_bank();
    let mut kernel_of = vec![0u16; MW * MH];
    for y in 0..MH {
        for x in 0..MW {
            let theta = field.at(x as f32, y as f32).rem_euclid(PI);
            let o = ((theta / PI * ORIENTATIONS as f32).round() as usize) % ORIENTATIONS;
            let period = base_period * (0.9 + 0.2 * period_noise.at(x as f32, y as f32));
            let t = (period - PERIOD_MIN) / (PERIOD_MAX - PERIOD_MIN) * (PERIODS - 1) as f32;
            let p = (t.round().max(0.0) as usize).min(PERIODS - 1);
            kernel_of[y * MW + x] = (o * PERIODS + p) as u16;
        }
    }

    // Padded so the kernel never needs bounds checks; the pad stays 0 (no ridge information beyond the master).
    let pw = MW + 2 * R;
    let ph = MH + 2 * R;
    let mut cur = vec![0f32; pw * ph];
    let mut next = vec![0f32; pw * ph];
    for y in 0..MH {
        for x in 0..MW {
            cur[(y + R) * pw + x + R] = rng.range(-1.0, 1.0);
        }
    }
    for _ in 0..ITERATIONS {
        for y in 0..MH {
            for x in 0..MW {
                let k = usize::from(kernel_of[y * MW + x]) * KW * KW;
                let kernel = &bank[k..k + KW * KW];
                let mut acc = 0.0f32;
                for (ky, krow) in kernel.chunks_exact(KW).enumerate() {
                    let row = &cur[(y + ky) * pw + x..(y + ky) * pw + x + KW];
                    acc += krow.iter().zip(row).map(|(a, b)| a * b).sum::<f32>();
                }
                // Gain above 1 and clipping turn the filtered noise into saturated ridges.
                next[(y + R) * pw + x + R] = (acc * 2.0).clamp(-1.0, 1.0);
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }
    let mut ridges = Vec::with_capacity(MW * MH);
    for y in 0..MH {
        ridges.extend_from_slice(&cur[(y + R) * pw + R..(y + R) * pw + R + MW]);
    }
    let (half_width, half_length) = finger_size(&mut rng, finger);
    MasterPrint {
        seed,
        finger,
        class,
        ridges,
        half_width,
        half_length,
    }
}

/// An impression of `master` placed as `placement` says, degraded to `quality` (0–100), with sensor noise drawn
/// from `noise_seed`; returns the image and the quality score a device would report for it.
pub fn render(master: &MasterPrint, placement: &Placement, quality: u8, noise_seed: u64) -> (GrayImage, u8) {
    let mut rng = Rng::derive(noise_seed, "impression", 0);
    let q = f32::from(quality.min(100));
    // Damage grows from none at quality 85 to all of it at 15: below 15 NFIQ 2 is already at its floor, and
    // harsher images make NIST's library fail instead of scoring low.
    let damage = ((85.0 - q) / 70.0).clamp(0.0, 1.0);
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (sin, cos) = placement.rotation.sin_cos();
    let pressure = placement.pressure.clamp(-1.0, 1.0);

    let dry = ValueNoise::new(&mut rng, w as f32, h as f32, 90.0);
    let dry_grain = ValueNoise::new(&mut rng, w as f32, h as f32, 7.0);
    let wet = ValueNoise::new(&mut rng, w as f32, h as f32, 110.0);
    // Skin texture (pores, uneven ink) at a third of the ridge period: real live-scan ridges are never solid, and
    // NFIQ 2 scores clean but solid synthetic ridges only ~55.
    let pores = ValueNoise::new(&mut rng, w as f32, h as f32, 2.5);
    // Dry and wet patches cover more of the print as quality drops (none at 85 and above).
    let dry_level = 1.0 - 1.2 * damage;
    let wet_level = 1.0 - 0.9 * damage;
    // Partial contact: below quality ~64 one side of the finger may be lifted off the platen.
    let cut_angle = rng.range(0.0, 2.0 * PI);
    let cut_depth = rng.range(0.5, 1.0) * 0.5 * ((damage - 0.3) / 0.7).max(0.0);
    let (cut_s, cut_c) = cut_angle.sin_cos();

    // The finger fills most of the frame, as on a single-finger live scanner (a small foreground lowers NFIQ 2).
    let half_width = master.half_width * (1.0 + 0.12 * pressure) * 1.15;
    let half_length = master.half_length * (1.0 + 0.08 * pressure) * 1.15;
    let background = 250.0 + rng.range(-4.0, 4.0);
    // Contrast loses only a tenth: fainter prints make NIST's library fail rather than score low.
    let contrast = 230.0 * (1.0 - 0.1 * damage);

    let mut ink = vec![0f32; w * h];
    let mut contact_pixels = 0usize;
    let mut covered_pixels = 0usize;
    for y in 0..h {
        for x in 0..w {
            // Finger coordinates: undo the placement, then the master sits centered.
            let ux = x as f32 - cx - placement.dx;
            let uy = y as f32 - cy - placement.dy;
            let fx = cos * ux + sin * uy;
            let fy = -sin * ux + cos * uy;
            // Fingertip at the top of the frame, the finger running out of the bottom.
            let ex = fx / half_width;
            let ey = (fy - 0.12 * half_length) / half_length;
            let e = (ex * ex + ey * ey).sqrt();
            let mut mask = ((1.0 - e) / 0.06).clamp(0.0, 1.0);
            if mask <= 0.0 {
                continue;
            }
            covered_pixels += 1;
            let along = (ex * cut_c + ey * cut_s + 1.0) / 2.0;
            if along < cut_depth {
                mask *= ((along - cut_depth) / 0.05 + 1.0).clamp(0.0, 1.0);
            }
            if mask <= 0.0 {
                continue;
            }
            contact_pixels += 1;
            let r = sample(
                &master.ridges,
                fx / SCALE + MW as f32 / 2.0,
                fy / SCALE + MH as f32 / 2.0,
            );
            // Ridges a little narrower than valleys at normal pressure, as on real prints.
            let mut v = r + 0.35 * pressure - 0.3;
            v -= 2.2 * (pores.at(x as f32, y as f32) - 0.5);
            let d = dry.at(x as f32, y as f32);
            if d > dry_level {
                // Dry skin touches only in spots: ridges break up.
                let strength = ((d - dry_level) / 0.15).min(1.0);
                v -= strength * 1.6 * dry_grain.at(x as f32, y as f32);
            }
            let wv = wet.at(x as f32, y as f32);
            if wv > wet_level {
                // Moisture bridges the valleys.
                v += ((wv - wet_level) / 0.15).min(1.0) * 1.2;
            }
            let t = ((v + 0.45) / 0.9).clamp(0.0, 1.0);
            ink[y * w + x] = t * t * (3.0 - 2.0 * t) * mask;
        }
    }
    // Blur is what moves NFIQ 2 most steadily (it lowers local clarity and orientation certainty together), so
    // its radius follows a table fitted to NFIQ 2; fractional radii blend two box blurs so the score has no steps.
    let blur = interpolate(&BLUR, q);
    let radius = blur.floor() as usize;
    let frac = blur - radius as f32;
    let mut wider = (frac > 0.0).then(|| ink.clone());
    box_blur(&mut ink, w, h, radius);
    if let Some(wider) = wider.as_mut() {
        box_blur(wider, w, h, radius + 1);
        for (a, b) in ink.iter_mut().zip(wider.iter()) {
            *a += (b - *a) * frac;
        }
    }
    // Sensor noise stays mild: heavy noise reads as texture to NFIQ 2 and raises the score of poor prints.
    let sigma = 2.0 + 10.0 * damage;
    let pixels = ink
        .iter()
        .map(|&i| {
            (background - contrast * i + sigma * rng.normal())
                .round()
                .clamp(0.0, 255.0) as u8
        })
        .collect();
    let lifted = 1.0 - contact_pixels as f32 / covered_pixels.max(1) as f32;
    let score = (q + rng.range(-4.0, 4.0) - 40.0 * lifted).round().clamp(0.0, 100.0) as u8;
    let image = GrayImage {
        width: WIDTH,
        height: HEIGHT,
        ppi: PPI,
        pixels,
    };
    (image, score)
}

/// One capture of `finger` of person `seed`: capture `capture_seed` picks the placement and noise.
pub fn impression(seed: u64, finger: Finger, capture_seed: u64, quality: u8) -> (GrayImage, u8) {
    render(
        &master(seed, finger),
        &Placement::random(capture_seed),
        quality,
        capture_seed,
    )
}

fn draw_class(rng: &mut Rng, finger: Finger) -> PatternClass {
    let u = rng.unit();
    // Roughly the population frequencies; thumbs are whorls more often, index fingers arches more often.
    let (arch, tented, whorl) = match finger {
        Finger::RightThumb | Finger::LeftThumb => (0.02, 0.02, 0.45),
        Finger::RightIndex | Finger::LeftIndex => (0.08, 0.07, 0.30),
        _ => (0.04, 0.03, 0.25),
    };
    if u < arch {
        PatternClass::Arch
    } else if u < arch + tented {
        PatternClass::TentedArch
    } else if u < arch + tented + whorl {
        PatternClass::Whorl
    } else if rng.unit() < 0.7 {
        // Most loops open toward the little finger (ulnar loops): left on the right hand, right on the left.
        if finger.position() <= 5 {
            PatternClass::LeftLoop
        } else {
            PatternClass::RightLoop
        }
    } else if finger.position() <= 5 {
        PatternClass::RightLoop
    } else {
        PatternClass::LeftLoop
    }
}

fn finger_size(rng: &mut Rng, finger: Finger) -> (f32, f32) {
    let (w, l) = match finger {
        Finger::RightThumb | Finger::LeftThumb => (175.0, 245.0),
        Finger::RightLittle | Finger::LeftLittle => (140.0, 215.0),
        _ => (158.0, 232.0),
    };
    (w * rng.range(0.93, 1.07), l * rng.range(0.93, 1.07))
}

/// Ridge orientation (radians, modulo π) at each point of the master.
struct OrientationField {
    cores: Vec<(f32, f32)>,
    deltas: Vec<(f32, f32)>,
    arch: Option<f32>,
    base: f32,
    wobble: ValueNoise,
}

impl OrientationField {
    fn new(rng: &mut Rng, class: PatternClass) -> Self {
        let cx = MW as f32 / 2.0 + rng.range(-8.0, 8.0);
        let cy = MH as f32 / 2.0 + rng.range(-14.0, 6.0);
        let j = |rng: &mut Rng, r: f32| rng.range(-r, r);
        let mut base = rng.range(-0.08, 0.08);
        let (cores, deltas, arch) = match class {
            PatternClass::Arch => (vec![], vec![], Some(rng.range(0.8, 1.4))),
            PatternClass::TentedArch => (
                vec![(cx, cy - 10.0)],
                vec![(cx + j(rng, 4.0), cy + 22.0 + j(rng, 6.0))],
                None,
            ),
            PatternClass::LeftLoop | PatternClass::RightLoop => {
                // Opening toward -x (left loop) or +x, with the delta low on the other side.
                let side = if class == PatternClass::LeftLoop { 1.0 } else { -1.0 };
                let core = (cx - side * 14.0 + j(rng, 5.0), cy - 14.0 + j(rng, 6.0));
                let (below, distance) = (rng.range(20.0, 40.0).to_radians(), rng.range(50.0, 70.0));
                let delta = (core.0 + side * distance * below.cos(), core.1 + distance * below.sin());
                // Near a lone core the loop opens along 2·θ∞ − arg(core − delta); choose θ∞ so it opens sideways.
                let opening = if side > 0.0 { PI } else { 0.0 };
                base += (opening + (core.1 - delta.1).atan2(core.0 - delta.0)) / 2.0;
                (vec![core], vec![delta], None)
            }
            PatternClass::Whorl => {
                let gap = rng.range(4.0, 14.0);
                let tilt = j(rng, 6.0);
                let cores = vec![(cx - tilt, cy - 8.0 - gap / 2.0), (cx + tilt, cy - 8.0 + gap / 2.0)];
                let spread = rng.range(50.0, 70.0);
                let drop = rng.range(40.0, 60.0);
                let deltas = vec![
                    (cx - spread, cy + drop + j(rng, 10.0)),
                    (cx + spread, cy + drop + j(rng, 10.0)),
                ];
                (cores, deltas, None)
            }
        };
        let wobble = ValueNoise::new(rng, MW as f32, MH as f32, 70.0);
        OrientationField {
            cores,
            deltas,
            arch,
            base,
            wobble,
        }
    }

    fn at(&self, x: f32, y: f32) -> f32 {
        let wobble = 0.18 * (self.wobble.at(x, y) - 0.5);
        if let Some(height) = self.arch {
            // Ridges y = -height * bump(x): their slope, fading toward the bottom of the finger.
            let u = (x - MW as f32 / 2.0) / (MW as f32 * 0.28);
            let fade = ((MH as f32 * 0.85 - y) / MH as f32).clamp(0.0, 1.0);
            return (height * fade * u * (-u * u / 2.0).exp()).atan() + self.base + wobble;
        }
        // Sherlock–Monro zero-pole model: half the argument to each singular point, cores with index +1/2 (the
        // orientation turns with a path around them) and deltas with -1/2.
        let arg = |p: &(f32, f32)| (y - p.1).atan2(x - p.0);
        let sum: f32 = self.cores.iter().map(arg).sum::<f32>() - self.deltas.iter().map(arg).sum::<f32>();
        self.base + 0.5 * sum + wobble
    }
}

/// Gabor kernels for every (orientation, period) bin, each zero-mean and with unit gain on its own ridge wave.
fn gabor_bank() -> Vec<f32> {
    let (sigma_along, sigma_across) = (3.0f32, 1.9f32);
    let mut bank = Vec::with_capacity(ORIENTATIONS * PERIODS * KW * KW);
    for o in 0..ORIENTATIONS {
        let theta = o as f32 * PI / ORIENTATIONS as f32;
        let (s, c) = theta.sin_cos();
        for p in 0..PERIODS {
            let period = PERIOD_MIN + (PERIOD_MAX - PERIOD_MIN) * p as f32 / (PERIODS - 1) as f32;
            let mut envelope = Vec::with_capacity(KW * KW);
            let mut wave = Vec::with_capacity(KW * KW);
            for v in 0..KW {
                for u in 0..KW {
                    let (du, dv) = (u as f32 - R as f32, v as f32 - R as f32);
                    let along = du * c + dv * s;
                    let across = -du * s + dv * c;
                    envelope.push(
                        (-(along * along) / (2.0 * sigma_along * sigma_along)
                            - (across * across) / (2.0 * sigma_across * sigma_across))
                            .exp(),
                    );
                    wave.push((2.0 * PI * across / period).cos());
                }
            }
            let raw: Vec<f32> = envelope.iter().zip(&wave).map(|(e, w)| e * w).collect();
            let dc = raw.iter().sum::<f32>() / envelope.iter().sum::<f32>();
            let kernel: Vec<f32> = raw.iter().zip(&envelope).map(|(r, e)| r - dc * e).collect();
            let gain: f32 = kernel.iter().zip(&wave).map(|(k, w)| k * w).sum();
            bank.extend(kernel.iter().map(|k| k / gain));
        }
    }
    bank
}

/// Smooth random values in [0, 1] on a grid of `cell`-pixel cells, interpolated.
struct ValueNoise {
    cols: usize,
    rows: usize,
    cell: f32,
    values: Vec<f32>,
}

impl ValueNoise {
    fn new(rng: &mut Rng, width: f32, height: f32, cell: f32) -> Self {
        let cols = (width / cell).ceil() as usize + 2;
        let rows = (height / cell).ceil() as usize + 2;
        let values = (0..cols * rows).map(|_| rng.unit()).collect();
        ValueNoise {
            cols,
            rows,
            cell,
            values,
        }
    }

    fn at(&self, x: f32, y: f32) -> f32 {
        let gx = (x / self.cell).clamp(0.0, (self.cols - 2) as f32);
        let gy = (y / self.cell).clamp(0.0, (self.rows - 2) as f32);
        let (ix, iy) = (gx as usize, gy as usize);
        let smooth = |t: f32| t * t * (3.0 - 2.0 * t);
        let (tx, ty) = (smooth(gx - ix as f32), smooth(gy - iy as f32));
        let v = |cx: usize, cy: usize| self.values[cy * self.cols + cx];
        let top = v(ix, iy) + (v(ix + 1, iy) - v(ix, iy)) * tx;
        let bottom = v(ix, iy + 1) + (v(ix + 1, iy + 1) - v(ix, iy + 1)) * tx;
        top + (bottom - top) * ty
    }
}

/// Bilinear sample of the master's ridge field; 0 (neither ridge nor valley) outside it.
fn sample(field: &[f32], x: f32, y: f32) -> f32 {
    if !(0.0..(MW - 1) as f32).contains(&x) || !(0.0..(MH - 1) as f32).contains(&y) {
        return 0.0;
    }
    let (ix, iy) = (x as usize, y as usize);
    let (tx, ty) = (x - ix as f32, y - iy as f32);
    let i = iy * MW + ix;
    let top = field[i] + (field[i + 1] - field[i]) * tx;
    let bottom = field[i + MW] + (field[i + MW + 1] - field[i + MW]) * tx;
    top + (bottom - top) * ty
}

/// Box-blur radius (pixels; fractional radii blend two) by requested quality, fitted to NFIQ 2: scores fall
/// steeply between radius 2.4 and 2.9, and from radius ~4 NIST's library fails instead of scoring.
const BLUR: [(f32, f32); 7] = [
    (0.0, 3.85),
    (15.0, 3.85),
    (30.0, 2.9),
    (50.0, 2.62),
    (70.0, 2.5),
    (85.0, 1.3),
    (100.0, 1.0),
];

/// Piecewise-linear `table` (x ascending) at `x`, clamped to its ends.
fn interpolate(table: &[(f32, f32)], x: f32) -> f32 {
    let mut prev = table[0];
    if x <= prev.0 {
        return prev.1;
    }
    for &(tx, ty) in &table[1..] {
        if x <= tx {
            return prev.1 + (ty - prev.1) * (x - prev.0) / (tx - prev.0);
        }
        prev = (tx, ty);
    }
    prev.1
}

/// Separable box blur in place, edges clamped; running sums, so the cost does not grow with `r`.
fn box_blur(data: &mut [f32], w: usize, h: usize, r: usize) {
    if r == 0 {
        return;
    }
    let mut tmp = vec![0f32; data.len()];
    let mut line = Vec::with_capacity(w.max(h));
    for y in 0..h {
        line.clear();
        line.extend_from_slice(&data[y * w..(y + 1) * w]);
        blur_line(&line, r, |x, v| tmp[y * w + x] = v);
    }
    for x in 0..w {
        line.clear();
        line.extend((0..h).map(|y| tmp[y * w + x]));
        blur_line(&line, r, |y, v| data[y * w + x] = v);
    }
}

/// Mean of each window of `2r + 1` samples of `line` (edges clamped), handed to `out` position by position.
fn blur_line(line: &[f32], r: usize, mut out: impl FnMut(usize, f32)) {
    let n = line.len();
    let at = |i: isize| line[i.clamp(0, n as isize - 1) as usize];
    let r = r as isize;
    let mut sum: f32 = (-r..=r).map(at).sum();
    let scale = 1.0 / (2 * r + 1) as f32;
    for i in 0..n as isize {
        out(i as usize, sum * scale);
        sum += at(i + r + 1) - at(i - r);
    }
}
