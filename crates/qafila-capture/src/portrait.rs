//! The live analysis of one frame: is this an ICAO-grade portrait, and if not, what should change.
//!
//! Detection runs on a reduced copy of the frame (a full 1280×720 frame costs the CNN 100 ms or more;
//! 320 pixels wide costs a few), then the main face's landmarks are refined on a crop around it at a
//! finer scale. Every measure is taken on the full-resolution frame.

use opencv::core::{Mat, Rect, Scalar, Size};
use opencv::imgproc;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CvContext, Result};
use crate::face::{DetectorKind, Face, FaceDetector};

/// Thresholds of the checks. The defaults follow ISO/IEC 19794-5 and ICAO 9303 where they give a
/// figure, and were set on the test photographs elsewhere.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortraitConfig {
    /// Width of the reduced frame that the detector scans.
    pub detection_width: i32,
    /// Minimum distance between the eye centres, in frame pixels (ISO 19794-5 token minimum: 60).
    pub min_eye_distance: f32,
    /// Largest roll of the eye line, in degrees.
    pub max_roll_degrees: f32,
    /// Largest sideways offset of the nose from the eyes' midpoint, as a fraction of the eye distance.
    pub max_yaw: f32,
    /// Largest horizontal offset of the eyes' midpoint from the frame's centre, as a fraction of its width.
    pub max_horizontal_offset: f32,
    /// Range of the eye line's height, as a fraction of the frame's height from the top.
    pub eye_line: (f32, f32),
    /// Minimum variance of the Laplacian on the face normalised to a 64-pixel eye distance.
    pub min_sharpness: f32,
    /// Range of the face's mean luminance (0–255).
    pub luminance: (f32, f32),
    /// Largest share of the face that is clipped white or crushed black.
    pub max_clipped: f32,
    /// Largest mean gradient magnitude of the background along the token's edges.
    pub max_background_busyness: f32,
}

impl Default for PortraitConfig {
    fn default() -> Self {
        PortraitConfig {
            detection_width: 320,
            min_eye_distance: 60.0,
            max_roll_degrees: 8.0,
            max_yaw: 0.2,
            max_horizontal_offset: 0.1,
            eye_line: (0.25, 0.6),
            min_sharpness: 60.0,
            luminance: (70.0, 200.0),
            max_clipped: 0.1,
            max_background_busyness: 40.0,
        }
    }
}

/// What one check measured and concluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// Whether it passed.
    pub ok: bool,
    /// The measured value (None when the check could not be measured, e.g. without a face).
    pub value: Option<f64>,
    /// Why it failed, as a code the UI turns into an instruction; None when it passed.
    pub reason: Option<Reason>,
}

/// The checks, in the order the operator should fix them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// Exactly one face.
    FaceCount,
    /// The head and shoulders inside the frame.
    FaceInside,
    /// The face large enough (eye distance).
    EyeDistance,
    /// The face small enough that the token crop fits the frame.
    FaceScale,
    /// Eye line level.
    Roll,
    /// Looking straight at the camera.
    Yaw,
    /// Eyes horizontally centred.
    HorizontalPosition,
    /// Eye line at the right height.
    VerticalPosition,
    /// The face in focus and still.
    Sharpness,
    /// The face neither dark nor burnt out.
    Exposure,
    /// A plain background around the head.
    Background,
}

/// Reason codes: each maps to one instruction in the operator's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No face found.
    NoFace,
    /// More than one face in the frame.
    SeveralFaces,
    /// Part of the head is outside the frame.
    FaceCut,
    /// Too far from the camera.
    MoveCloser,
    /// Too close to the camera.
    MoveBack,
    /// Head tilted sideways.
    StraightenHead,
    /// Head turned.
    FaceTheCamera,
    /// Face left of centre in the image.
    OffCentreLeft,
    /// Face right of centre in the image.
    OffCentreRight,
    /// Eyes too high in the image (lower the camera or raise the chair).
    TooHigh,
    /// Eyes too low in the image.
    TooLow,
    /// Blurred: focus, or hold still.
    Blurred,
    /// Not enough light.
    TooDark,
    /// Too much light or a flash reflection.
    TooBright,
    /// Objects or patterns behind the head.
    BackgroundNotUniform,
}

/// The analysis of one frame.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortraitReport {
    /// Whether every check passed.
    pub ok: bool,
    /// How many faces were found.
    pub faces: usize,
    /// Which detector found them.
    pub detector: DetectorKind,
    /// Every check, in the order the operator should fix them.
    pub checks: Vec<Check>,
    /// The main (largest) face, if any.
    pub face: Option<Face>,
    /// Frame width in pixels.
    pub width: i32,
    /// Frame height in pixels.
    pub height: i32,
    /// A score to choose the best of several passing frames (higher is better).
    pub score: f64,
}

impl PortraitReport {
    /// The first failing check's reason: the one instruction to show.
    pub fn first_reason(&self) -> Option<Reason> {
        self.checks.iter().find(|c| !c.ok).and_then(|c| c.reason)
    }

    /// The check with this id, if it was measured.
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The report as the enrollment record stores it.
    pub fn to_record(&self, override_by: Option<String>) -> qafila_domain::QualityReport {
        qafila_domain::QualityReport {
            ok: self.ok,
            checks: self
                .checks
                .iter()
                .map(|c| qafila_domain::QualityCheck {
                    id: enum_code(&c.id),
                    ok: c.ok,
                    value: c.value,
                    reason: c.reason.as_ref().map(enum_code),
                })
                .collect(),
            override_by,
        }
    }
}

fn enum_code<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Analyses frames with one detector and one configuration.
pub struct Analyzer {
    detector: Box<dyn FaceDetector>,
    config: PortraitConfig,
}

fn check(id: CheckId, ok: bool, value: Option<f64>, reason: Reason) -> Check {
    Check {
        id,
        ok,
        value,
        reason: if ok { None } else { Some(reason) },
    }
}

impl Analyzer {
    /// An analyser with the given detector and thresholds.
    pub fn new(detector: Box<dyn FaceDetector>, config: PortraitConfig) -> Analyzer {
        Analyzer { detector, config }
    }

    /// An analyser with the best detector available and default thresholds.
    pub fn with_defaults() -> Result<Analyzer> {
        Ok(Analyzer::new(crate::face::best_detector()?, PortraitConfig::default()))
    }

    /// The thresholds in use.
    pub fn config(&self) -> &PortraitConfig {
        &self.config
    }

    /// Which detector is in use.
    pub fn detector_kind(&self) -> DetectorKind {
        self.detector.kind()
    }

    /// Finds the faces of a BGR frame, in frame coordinates, the largest first.
    pub fn faces(&mut self, frame: &Mat) -> Result<Vec<Face>> {
        self.faces_with_grey(frame, &grey(frame)?)
    }

    fn faces_with_grey(&mut self, frame: &Mat, gray: &Mat) -> Result<Vec<Face>> {
        let (w, h) = (frame.cols(), frame.rows());
        let factor = if w > self.config.detection_width {
            w as f32 / self.config.detection_width as f32
        } else {
            1.0
        };
        let mut faces = if factor > 1.0 {
            let small = resize(
                frame,
                (w as f32 / factor).round() as i32,
                (h as f32 / factor).round() as i32,
            )?;
            self.detector
                .detect(&small)?
                .into_iter()
                .map(|f| f.scaled(factor))
                .collect::<Vec<_>>()
        } else {
            self.detector.detect(frame)?
        };
        faces.sort_by(|a, b| (b.bbox.width * b.bbox.height).total_cmp(&(a.bbox.width * a.bbox.height)));
        if let Some(main) = faces.first().copied()
            && let Some(refined) = self.refine(frame, &main)?
        {
            faces[0] = refined;
        }
        if let Some(main) = faces.first_mut()
            && let Some(roll) = symmetry_roll(gray, main)?
        {
            *main = with_roll(main, roll);
        }
        Ok(faces)
    }

    /// Re-detects the main face on a crop around it, turned upright by the roll measured so far, at a
    /// scale where its eye distance is about 40 pixels. The detector's landmarks lean towards an upright
    /// face (they read about half of a head's tilt), so each pass turns the crop by the latest estimate
    /// and the residual shrinks; a level head needs one pass.
    fn refine(&mut self, frame: &Mat, face: &Face) -> Result<Option<Face>> {
        const SIDE: f64 = 160.0;
        let c = face.right_eye.midpoint(face.left_eye);
        let span = (face.bbox.width.max(face.bbox.height) * 2.0) as f64;
        if span < 32.0 {
            return Ok(None);
        }
        let mut current = *face;
        // Symmetry measures the roll afterwards: two passes are enough to place the landmarks.
        for _ in 0..2 {
            let roll = roll_degrees(&current) as f64;
            let (cos, sin) = (roll.to_radians().cos(), roll.to_radians().sin());
            let k = SIDE / span;
            // Output = k·R(-roll)·(p − c) + centre of the crop.
            let (a, b) = (k * cos, k * sin);
            let (cx, cy) = (c.x as f64, c.y as f64);
            let m = [
                [a, b, SIDE / 2.0 - (a * cx + b * cy)],
                [-b, a, SIDE / 2.0 - (-b * cx + a * cy)],
            ];
            let mat = Mat::from_slice_2d(&m).cv("refine transform")?;
            let mut crop = Mat::default();
            imgproc::warp_affine(
                frame,
                &mut crop,
                &mat,
                Size::new(SIDE as i32, SIDE as i32),
                imgproc::INTER_AREA,
                opencv::core::BORDER_REPLICATE,
                Scalar::default(),
            )
            .cv("refine crop")?;
            let found = self.detector.detect(&crop)?;
            let centre = crate::face::Point {
                x: SIDE as f32 / 2.0,
                y: SIDE as f32 / 2.0,
            };
            let Some(local) = found
                .into_iter()
                .filter(|f| f.right_eye.midpoint(f.left_eye).distance(centre) < SIDE as f32 / 4.0)
                .min_by(|x, y| {
                    let dx = x.right_eye.midpoint(x.left_eye).distance(centre);
                    let dy = y.right_eye.midpoint(y.left_eye).distance(centre);
                    dx.total_cmp(&dy)
                })
            else {
                return Ok((current != *face).then_some(current));
            };
            // Back to frame coordinates: p = c + R(roll)·(q − centre)/k.
            let back = |q: crate::face::Point| {
                let (ux, uy) = ((q.x as f64 - SIDE / 2.0) / k, (q.y as f64 - SIDE / 2.0) / k);
                crate::face::Point {
                    x: (cx + cos * ux - sin * uy) as f32,
                    y: (cy + sin * ux + cos * uy) as f32,
                }
            };
            let centre_back = back(local.bbox.centre());
            let size = (local.bbox.width / k as f32, local.bbox.height / k as f32);
            let next = Face {
                bbox: crate::face::BoxF {
                    x: centre_back.x - size.0 / 2.0,
                    y: centre_back.y - size.1 / 2.0,
                    width: size.0,
                    height: size.1,
                },
                confidence: face.confidence,
                right_eye: back(local.right_eye),
                left_eye: back(local.left_eye),
                nose: local.nose.map(back),
            };
            let settled = (roll_degrees(&next) - roll as f32).abs() < 0.75;
            current = next;
            if settled {
                break;
            }
        }
        Ok(Some(current))
    }

    /// Analyses one BGR frame.
    pub fn analyse(&mut self, frame: &Mat) -> Result<PortraitReport> {
        let gray = grey(frame)?;
        let faces = self.faces_with_grey(frame, &gray)?;
        let (w, h) = (frame.cols(), frame.rows());
        let cfg = self.config.clone();
        let mut checks = Vec::new();
        let count_reason = if faces.is_empty() {
            Reason::NoFace
        } else {
            Reason::SeveralFaces
        };
        checks.push(check(
            CheckId::FaceCount,
            faces.len() == 1,
            Some(faces.len() as f64),
            count_reason,
        ));
        let Some(face) = faces.first().copied() else {
            // Without a face, light is the likeliest cause worth telling the operator.
            let mean = mean_of(&gray, Rect::new(0, 0, w, h))?;
            let ok = mean >= cfg.luminance.0 as f64 * 0.5 && mean <= cfg.luminance.1 as f64 * 1.1;
            let reason = if mean < cfg.luminance.0 as f64 {
                Reason::TooDark
            } else {
                Reason::TooBright
            };
            checks.push(check(CheckId::Exposure, ok, Some(mean), reason));
            return Ok(self.report(checks, 0, None, w, h, 0.0));
        };
        let ed = face.eye_distance();
        let mid = face.right_eye.midpoint(face.left_eye);

        // Head and shoulders: hair above the box, ears beside it, chin and neck below.
        let head = (
            face.bbox.x - 0.15 * face.bbox.width,
            face.bbox.y - 0.3 * face.bbox.height,
            face.bbox.width * 1.3,
            face.bbox.height * 1.45,
        );
        let inside = inside_fraction(head, w as f32, h as f32);
        checks.push(check(
            CheckId::FaceInside,
            inside >= 0.98,
            Some(inside as f64),
            Reason::FaceCut,
        ));
        checks.push(check(
            CheckId::EyeDistance,
            ed >= cfg.min_eye_distance,
            Some(ed as f64),
            Reason::MoveCloser,
        ));

        // The token crop (4 eye distances wide, 16/3 high, eyes 2.4 from the top) must fit the frame.
        let scale = (4.0 * ed / w as f32).max(16.0 / 3.0 * ed / h as f32);
        checks.push(check(
            CheckId::FaceScale,
            scale <= 1.0,
            Some(scale as f64),
            Reason::MoveBack,
        ));

        let roll = roll_degrees(&face);
        checks.push(check(
            CheckId::Roll,
            roll.abs() <= cfg.max_roll_degrees,
            Some(roll as f64),
            Reason::StraightenHead,
        ));
        if let Some(nose) = face.nose {
            // Measured along the eye line so that roll does not read as yaw.
            let (ux, uy) = (
                (face.left_eye.x - face.right_eye.x) / ed,
                (face.left_eye.y - face.right_eye.y) / ed,
            );
            let yaw = ((nose.x - mid.x) * ux + (nose.y - mid.y) * uy) / ed;
            checks.push(check(
                CheckId::Yaw,
                yaw.abs() <= cfg.max_yaw,
                Some(yaw as f64),
                Reason::FaceTheCamera,
            ));
        }
        let dx = (mid.x - w as f32 / 2.0) / w as f32;
        let reason = if dx < 0.0 {
            Reason::OffCentreLeft
        } else {
            Reason::OffCentreRight
        };
        checks.push(check(
            CheckId::HorizontalPosition,
            dx.abs() <= cfg.max_horizontal_offset,
            Some(dx as f64),
            reason,
        ));
        let dy = mid.y / h as f32;
        let reason = if dy < cfg.eye_line.0 {
            Reason::TooHigh
        } else {
            Reason::TooLow
        };
        let ok = dy >= cfg.eye_line.0 && dy <= cfg.eye_line.1;
        checks.push(check(CheckId::VerticalPosition, ok, Some(dy as f64), reason));

        let inner = clamp_rect(
            face.bbox.x + 0.2 * face.bbox.width,
            face.bbox.y + 0.15 * face.bbox.height,
            face.bbox.width * 0.6,
            face.bbox.height * 0.75,
            w,
            h,
        );
        let sharp = sharpness(&gray, inner, ed)?;
        checks.push(check(
            CheckId::Sharpness,
            sharp >= cfg.min_sharpness as f64,
            Some(sharp),
            Reason::Blurred,
        ));

        let (mean, clipped_white, crushed_black) = exposure(&gray, inner)?;
        let exposure_ok = mean >= cfg.luminance.0 as f64
            && mean <= cfg.luminance.1 as f64
            && clipped_white <= cfg.max_clipped as f64
            && crushed_black <= cfg.max_clipped as f64;
        let reason = if mean < cfg.luminance.0 as f64 || crushed_black > cfg.max_clipped as f64 {
            Reason::TooDark
        } else {
            Reason::TooBright
        };
        checks.push(check(CheckId::Exposure, exposure_ok, Some(mean), reason));

        let busy = background_busyness(&gray, &face)?;
        let ok = busy.is_some_and(|d| d <= cfg.max_background_busyness as f64);
        checks.push(check(CheckId::Background, ok, busy, Reason::BackgroundNotUniform));

        let score = sharp.min(1000.0) / 1000.0 + face.confidence as f64 / 100.0 - roll.abs() as f64 / 90.0;
        Ok(self.report(checks, faces.len(), Some(face), w, h, score))
    }

    fn report(
        &self,
        checks: Vec<Check>,
        faces: usize,
        face: Option<Face>,
        w: i32,
        h: i32,
        score: f64,
    ) -> PortraitReport {
        PortraitReport {
            ok: checks.iter().all(|c| c.ok),
            faces,
            detector: self.detector.kind(),
            checks,
            face,
            width: w,
            height: h,
            score,
        }
    }
}

/// The head's roll found by symmetry: the angle that makes the face most like its mirror image about
/// the vertical through the eyes' midpoint. The detector's landmarks lean towards an upright face and
/// under-read a tilted head by half or more; a face's left–right symmetry does not.
fn symmetry_roll(gray: &Mat, face: &Face) -> Result<Option<f32>> {
    const W: i32 = 48;
    const H: i32 = 48;
    let ed = face.eye_distance() as f64;
    if ed < 12.0 {
        return Ok(None);
    }
    let mid = face.right_eye.midpoint(face.left_eye);
    // The window spans one eye distance either side of the axis, from half an eye distance above the
    // eyes to below the mouth.
    let k = W as f64 / (2.0 * ed);
    let (q0x, q0y) = (W as f64 / 2.0, 0.5 * ed * k);
    let score = |theta: f64, shift: f64| -> Result<f64> {
        let (cos, sin) = (theta.to_radians().cos(), theta.to_radians().sin());
        let (cx, cy) = (mid.x as f64 + shift * ed * cos, mid.y as f64 + shift * ed * sin);
        let m = Mat::from_slice_2d(&[
            [cos / k, -sin / k, cx - (cos * q0x - sin * q0y) / k],
            [sin / k, cos / k, cy - (sin * q0x + cos * q0y) / k],
        ])
        .cv("symmetry transform")?;
        let mut window = Mat::default();
        imgproc::warp_affine(
            gray,
            &mut window,
            &m,
            Size::new(W, H),
            imgproc::INTER_LINEAR | imgproc::WARP_INVERSE_MAP,
            opencv::core::BORDER_REPLICATE,
            Scalar::default(),
        )
        .cv("symmetry window")?;
        let mut mirrored = Mat::default();
        opencv::core::flip(&window, &mut mirrored, 1).cv("mirror")?;
        let mut diff = Mat::default();
        opencv::core::absdiff(&window, &mirrored, &mut diff).cv("symmetry difference")?;
        Ok(opencv::core::mean_def(&diff).cv("symmetry mean")?[0])
    };
    // The landmarks' reading is biased towards level but has the right sign and half the size or
    // more; searching around it keeps a chance symmetry (a hairstyle, a collar) from winning.
    let prior = roll_degrees(face) as f64;
    let mut best = (f64::MAX, prior);
    let mut angle = prior - 15.0;
    while angle <= prior + 15.0 {
        for shift in [-0.08, 0.0, 0.08] {
            let s = score(angle, shift)?;
            if s < best.0 {
                best = (s, angle);
            }
        }
        angle += 1.5;
    }
    // A parabola through the neighbours places the minimum between steps.
    let (a, b, c) = (
        score(best.1 - 1.5, 0.0)?,
        score(best.1, 0.0)?,
        score(best.1 + 1.5, 0.0)?,
    );
    let denom = a - 2.0 * b + c;
    let offset = if denom > 1e-9 {
        (0.5 * (a - c) / denom).clamp(-1.0, 1.0) * 1.5
    } else {
        0.0
    };
    Ok(Some((best.1 + offset) as f32))
}

/// The face with its eyes placed on a line at `roll` degrees through their midpoint, keeping their
/// distance.
fn with_roll(face: &Face, roll: f32) -> Face {
    let mid = face.right_eye.midpoint(face.left_eye);
    let half = face.eye_distance() / 2.0;
    let (cos, sin) = (roll.to_radians().cos(), roll.to_radians().sin());
    Face {
        right_eye: crate::face::Point {
            x: mid.x - half * cos,
            y: mid.y - half * sin,
        },
        left_eye: crate::face::Point {
            x: mid.x + half * cos,
            y: mid.y + half * sin,
        },
        ..*face
    }
}

/// The angle of the eye line, in degrees; positive when the subject's left eye (image right) is lower.
fn roll_degrees(face: &Face) -> f32 {
    (face.left_eye.y - face.right_eye.y)
        .atan2(face.left_eye.x - face.right_eye.x)
        .to_degrees()
}

/// The part of a box that lies inside the frame.
fn inside_fraction((x, y, bw, bh): (f32, f32, f32, f32), w: f32, h: f32) -> f32 {
    let ix = (x + bw).min(w) - x.max(0.0);
    let iy = (y + bh).min(h) - y.max(0.0);
    if ix <= 0.0 || iy <= 0.0 || bw <= 0.0 || bh <= 0.0 {
        0.0
    } else {
        ix * iy / (bw * bh)
    }
}

/// The integer rectangle of a box, cut to the frame.
pub(crate) fn clamp_rect(x: f32, y: f32, bw: f32, bh: f32, w: i32, h: i32) -> Rect {
    let x0 = (x.floor() as i32).clamp(0, w);
    let y0 = (y.floor() as i32).clamp(0, h);
    let x1 = ((x + bw).ceil() as i32).clamp(0, w);
    let y1 = ((y + bh).ceil() as i32).clamp(0, h);
    Rect::new(x0, y0, (x1 - x0).max(0), (y1 - y0).max(0))
}

pub(crate) fn resize(src: &impl opencv::core::ToInputArray, w: i32, h: i32) -> Result<Mat> {
    let mut out = Mat::default();
    imgproc::resize(
        src,
        &mut out,
        Size::new(w.max(1), h.max(1)),
        0.0,
        0.0,
        imgproc::INTER_AREA,
    )
    .cv("resize")?;
    Ok(out)
}

pub(crate) fn grey(bgr: &Mat) -> Result<Mat> {
    let mut gray = Mat::default();
    imgproc::cvt_color_def(bgr, &mut gray, imgproc::COLOR_BGR2GRAY).cv("grey")?;
    Ok(gray)
}

fn mean_of(gray: &Mat, rect: Rect) -> Result<f64> {
    if rect.width <= 0 || rect.height <= 0 {
        return Ok(0.0);
    }
    let roi = Mat::roi(gray, rect).cv("region")?;
    Ok(opencv::core::mean_def(&roi).cv("mean")?[0])
}

/// Variance of the Laplacian over the inner face, rescaled so the eye distance is 64 pixels: without
/// the rescaling a close face would always look sharper than a distant one.
fn sharpness(gray: &Mat, inner: Rect, eye_distance: f32) -> Result<f64> {
    if inner.width < 8 || inner.height < 8 || eye_distance <= 1.0 {
        return Ok(0.0);
    }
    let roi = Mat::roi(gray, inner).cv("face for sharpness")?;
    let s = 64.0 / eye_distance;
    let norm = resize(&roi, (inner.width as f32 * s) as i32, (inner.height as f32 * s) as i32)?;
    let mut lap = Mat::default();
    imgproc::laplacian(
        &norm,
        &mut lap,
        opencv::core::CV_16S,
        3,
        1.0,
        0.0,
        opencv::core::BORDER_DEFAULT,
    )
    .cv("laplacian")?;
    let (mut mean, mut dev) = (Mat::default(), Mat::default());
    opencv::core::mean_std_dev(&lap, &mut mean, &mut dev, &opencv::core::no_array()).cv("laplacian deviation")?;
    let d = *dev.at_2d::<f64>(0, 0).cv("deviation value")?;
    Ok(d * d)
}

/// Mean luminance of the inner face and the shares of it clipped white and crushed black.
fn exposure(gray: &Mat, inner: Rect) -> Result<(f64, f64, f64)> {
    if inner.width <= 0 || inner.height <= 0 {
        return Ok((0.0, 0.0, 1.0));
    }
    let roi = Mat::roi(gray, inner).cv("face for exposure")?;
    let n = (inner.width * inner.height) as f64;
    let count = |lo: f64, hi: f64| -> Result<f64> {
        let mut mask = Mat::default();
        opencv::core::in_range(&roi, &Scalar::all(lo), &Scalar::all(hi), &mut mask).cv("clip mask")?;
        Ok(opencv::core::count_non_zero(&mask).cv("clip count")? as f64 / n)
    };
    let mean = opencv::core::mean_def(&roi).cv("face mean")?[0];
    Ok((mean, count(250.0, 255.0)?, count(0.0, 12.0)?))
}

/// How busy the background is where the card will show it: the mean gradient magnitude in strips
/// along the token's left, right and top edges, where hair rarely reaches. A gradient of light on a
/// plain wall scores low; flags, curtains, furniture and people score high. None when no strip lies
/// inside the frame.
fn background_busyness(gray: &Mat, face: &Face) -> Result<Option<f64>> {
    let (w, h) = (gray.cols(), gray.rows());
    let ed = face.eye_distance();
    let mid = face.right_eye.midpoint(face.left_eye);
    let (left, top) = (mid.x - 2.0 * ed, mid.y - 2.4 * ed);
    let strip = 0.25 * ed;
    let regions = [
        clamp_rect(left, top, strip, 2.4 * ed, w, h),
        clamp_rect(mid.x + 2.0 * ed - strip, top, strip, 2.4 * ed, w, h),
        clamp_rect(left, top, 4.0 * ed, strip, w, h),
    ];
    let mut total = 0.0;
    let mut area = 0.0;
    for r in regions {
        if r.width < 4 || r.height < 4 {
            continue;
        }
        let roi = Mat::roi(gray, r).cv("background strip")?;
        // Normalised so that the measure does not depend on how close the subject sits.
        let s = (32.0 / ed).min(1.0);
        let small = resize(
            &roi,
            ((r.width as f32 * s) as i32).max(3),
            ((r.height as f32 * s) as i32).max(3),
        )?;
        let (mut gx, mut gy) = (Mat::default(), Mat::default());
        imgproc::sobel_def(&small, &mut gx, opencv::core::CV_32F, 1, 0).cv("background gradient x")?;
        imgproc::sobel_def(&small, &mut gy, opencv::core::CV_32F, 0, 1).cv("background gradient y")?;
        let mut mag = Mat::default();
        opencv::core::magnitude(&gx, &gy, &mut mag).cv("background gradient")?;
        let n = (small.cols() * small.rows()) as f64;
        total += opencv::core::mean_def(&mag).cv("background mean")?[0] * n;
        area += n;
    }
    Ok((area > 0.0).then(|| total / area))
}
