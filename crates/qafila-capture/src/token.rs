//! The card portrait: the ISO/IEC 19794-5 token frontal image cut from a frame.
//!
//! Token geometry, for an image W pixels wide: height W/0.75, eyes level, their midpoint at
//! (W/2, 0.6·W) from the top-left corner and 0.25·W apart.

use opencv::core::{Mat, Scalar, Size, Vector};
use opencv::imgcodecs;
use opencv::imgproc;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CaptureError, CvContext, Result};
use crate::face::{Face, Point};

/// Size and budget of the token portrait.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenConfig {
    /// Width in pixels; the height follows (W/0.75). 420 gives 420×560, above the card's 420×540 minimum.
    pub width: i32,
    /// Largest JPEG size in bytes.
    pub max_bytes: usize,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            width: 420,
            max_bytes: 40 * 1024,
        }
    }
}

/// A token portrait ready for the record.
#[derive(Debug, Clone)]
pub struct Token {
    /// The JPEG bytes.
    pub jpeg: Vec<u8>,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// The JPEG quality that met the byte budget.
    pub quality: i32,
    /// How much the frame was enlarged (above 1, the token has less detail than its pixels suggest).
    pub upscale: f32,
}

/// Rotates, scales and crops `frame` so that the face's eyes land on the token positions, then encodes
/// a JPEG at the best quality that fits the budget.
pub fn make_token(frame: &Mat, face: &Face, config: &TokenConfig) -> Result<Token> {
    let w = config.width;
    if w < 240 {
        return Err(CaptureError::Token(format!(
            "width {w} is below the ISO 19794-5 token minimum of 240"
        )));
    }
    let h = (w as f32 / 0.75).round() as i32;
    let ed = face.eye_distance();
    if ed < 4.0 {
        return Err(CaptureError::Token(
            "the eyes are too close together to place the face".into(),
        ));
    }
    let warped = align(frame, face, w, h)?;
    let (jpeg, quality) = encode_within(&warped, config.max_bytes)?;
    Ok(Token {
        jpeg,
        width: w,
        height: h,
        quality,
        upscale: 0.25 * w as f32 / ed,
    })
}

/// The similarity transform taking the eyes to their token positions, applied with OpenCV.
fn align(frame: &Mat, face: &Face, w: i32, h: i32) -> Result<Mat> {
    let wf = w as f32;
    align_eyes(
        frame,
        face,
        Size::new(w, h),
        Point {
            x: 0.5 * wf,
            y: 0.6 * wf,
        },
        0.25 * wf,
    )
}

/// Rotates, scales and shifts `frame` into an image of `size` where the face's eyes are level, their
/// midpoint at `eyes_at` and `eye_distance` apart (edges replicated where the frame runs out).
pub fn align_eyes(frame: &Mat, face: &Face, size: Size, eyes_at: Point, eye_distance: f32) -> Result<Mat> {
    let (rx, ry) = (face.right_eye.x as f64, face.right_eye.y as f64);
    let (lx, ly) = (face.left_eye.x as f64, face.left_eye.y as f64);
    let half = eye_distance as f64 / 2.0;
    let (tx0, ty0, tx1, ty1) = (
        eyes_at.x as f64 - half,
        eyes_at.y as f64,
        eyes_at.x as f64 + half,
        eyes_at.y as f64,
    );
    let (sx, sy) = (lx - rx, ly - ry);
    let (dx, dy) = (tx1 - tx0, ty1 - ty0);
    let denom = sx * sx + sy * sy;
    if denom < 1.0 {
        return Err(CaptureError::Token(
            "the eyes are too close together to place the face".into(),
        ));
    }
    // Solve [a -b; b a]·s = d for the rotation-scale part.
    let a = (sx * dx + sy * dy) / denom;
    let b = (sx * dy - sy * dx) / denom;
    let m = Mat::from_slice_2d(&[[a, -b, tx0 - (a * rx - b * ry)], [b, a, ty0 - (b * rx + a * ry)]])
        .cv("alignment transform")?;
    let mut out = Mat::default();
    imgproc::warp_affine(
        frame,
        &mut out,
        &m,
        size,
        imgproc::INTER_LINEAR,
        opencv::core::BORDER_REPLICATE,
        Scalar::default(),
    )
    .cv("alignment warp")?;
    Ok(out)
}

/// The best JPEG quality whose output fits `max_bytes`, by bisection.
pub fn encode_within(image: &Mat, max_bytes: usize) -> Result<(Vec<u8>, i32)> {
    let encode = |q: i32| -> Result<Vec<u8>> {
        let mut buf = Vector::<u8>::new();
        let params = Vector::<i32>::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, q]);
        imgcodecs::imencode(".jpg", image, &mut buf, &params).cv("jpeg encode")?;
        Ok(buf.to_vec())
    };
    let (mut lo, mut hi) = (10, 95);
    let mut best = None;
    while lo <= hi {
        let q = (lo + hi) / 2;
        let bytes = encode(q)?;
        if bytes.len() <= max_bytes {
            best = Some((bytes, q));
            lo = q + 1;
        } else {
            hi = q - 1;
        }
    }
    best.ok_or_else(|| CaptureError::Token(format!("even JPEG quality 10 exceeds the budget of {max_bytes} bytes")))
}
