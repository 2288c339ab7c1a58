//! Reading photographs from files and buffers, with errors that name the file.

use std::path::Path;

use opencv::core::{Mat, Vector};
use opencv::imgcodecs;
use opencv::prelude::*;

use crate::error::{CaptureError, CvContext, Result};

/// Largest image accepted, in pixels per side: a camera frame is far smaller, and OpenCV would try
/// to allocate whatever a forged header claims.
pub const MAX_SIDE: i32 = 8192;

/// Decodes an encoded image (JPEG, PNG, ...) into a BGR frame.
pub fn decode(bytes: &[u8], what: &str) -> Result<Mat> {
    if bytes.is_empty() {
        return Err(CaptureError::BadImage {
            what: what.into(),
            reason: "empty".into(),
        });
    }
    let buf = Vector::<u8>::from_slice(bytes);
    let mat = imgcodecs::imdecode(&buf, imgcodecs::IMREAD_COLOR).cv("decode image")?;
    if mat.empty() {
        return Err(CaptureError::BadImage {
            what: what.into(),
            reason: "not a JPEG, PNG or other image OpenCV can read, or truncated".into(),
        });
    }
    if mat.cols() > MAX_SIDE || mat.rows() > MAX_SIDE {
        return Err(CaptureError::BadImage {
            what: what.into(),
            reason: format!(
                "{}×{} is larger than {MAX_SIDE} pixels per side",
                mat.cols(),
                mat.rows()
            ),
        });
    }
    Ok(mat)
}

/// Reads and decodes an image file into a BGR frame.
pub fn read(path: &Path) -> Result<Mat> {
    let bytes = std::fs::read(path).map_err(|source| CaptureError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode(&bytes, &path.display().to_string())
}

/// A small JPEG of a camera frame for the live preview: shrunk to `max_width`, quality 70, so a
/// stream of them stays cheap to encode and to ship to the UI.
pub fn preview_jpeg(frame: &Mat, max_width: i32) -> Result<Vec<u8>> {
    let size = frame.size().cv("frame size")?;
    let mut small = Mat::default();
    let source = if size.width > max_width && size.width > 0 {
        let scale = f64::from(max_width) / f64::from(size.width);
        opencv::imgproc::resize(
            frame,
            &mut small,
            opencv::core::Size::new(0, 0),
            scale,
            scale,
            opencv::imgproc::INTER_AREA,
        )
        .cv("shrink preview")?;
        &small
    } else {
        frame
    };
    let mut out = Vector::<u8>::new();
    let params = Vector::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, 70]);
    imgcodecs::imencode(".jpg", source, &mut out, &params).cv("encode preview")?;
    Ok(out.to_vec())
}
