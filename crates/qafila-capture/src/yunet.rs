//! libfacedetection loaded at run time: the one place in this crate that crosses into C.
#![allow(unsafe_code)]

use std::path::{Path, PathBuf};

use opencv::core::Mat;
use opencv::prelude::*;

use crate::error::{CaptureError, CvContext, Result};
use crate::face::{BoxF, DetectorKind, Face, FaceDetector, Point};

/// `int* facedetect_cnn(unsigned char* result_buffer, unsigned char* bgr, int width, int height, int step)`,
/// exported with C++ linkage by the library.
type DetectFn = unsafe extern "C" fn(*mut u8, *mut u8, i32, i32, i32) -> *mut i32;
const SYMBOL: &[u8] = b"_Z14facedetect_cnnPhS_iii\0";
/// The library writes its results here; its documentation requires exactly this size.
const RESULT_BYTES: usize = 0x20000;
/// Each face is 16 shorts: confidence, box (x, y, w, h), then five landmarks (x, y).
const SHORTS_PER_FACE: usize = 16;
/// Below this confidence the library's detections were textures, cats and galaxies in the tests here.
pub const MIN_CONFIDENCE: f32 = 70.0;

/// The library keeps working memory in globals: two calls at once (two analysers, two tests) crash it.
static ONE_CALL_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The YuNet-family detector of libfacedetection.
pub struct Yunet {
    detect: DetectFn,
    results: Vec<i32>,
    path: PathBuf,
}

/// Libraries loaded so far, never unloaded: libfacedetection's OpenMP worker threads outlive a call,
/// and unmapping the library under them crashes the process.
static LOADED: std::sync::Mutex<Vec<(PathBuf, &'static libloading::Library)>> = std::sync::Mutex::new(Vec::new());

impl Yunet {
    /// Loads the library from `path`.
    pub fn load(path: &Path) -> Result<Yunet> {
        let err = |reason: String| CaptureError::Detector {
            path: path.to_path_buf(),
            reason,
        };
        let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
        let lib: &'static libloading::Library = match loaded.iter().find(|(p, _)| p == path) {
            Some((_, lib)) => lib,
            None => {
                // SAFETY: loading runs the library's initialisers; libfacedetection's only set up OpenMP
                // and static tables, and the file is the pinned wheel's (scripts/fixtures checks its hash).
                let lib = unsafe { libloading::Library::new(path) }.map_err(|e| err(e.to_string()))?;
                let lib: &'static libloading::Library = Box::leak(Box::new(lib));
                loaded.push((path.to_path_buf(), lib));
                lib
            }
        };
        // SAFETY: the symbol's type is fixed by the library's public header (see `DetectFn`).
        let detect: DetectFn = unsafe { lib.get::<DetectFn>(SYMBOL) }
            .map(|s| *s)
            .map_err(|e| err(e.to_string()))?;
        if !cpu_has_avx2() {
            return Err(err(
                "this processor lacks AVX2, which the compiled library requires".into()
            ));
        }
        Ok(Yunet {
            detect,
            results: vec![0; RESULT_BYTES / 4],
            path: path.to_path_buf(),
        })
    }

    /// Where the library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn cpu_has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl FaceDetector for Yunet {
    fn detect(&mut self, bgr: &Mat) -> Result<Vec<Face>> {
        if bgr.channels() != 3 || bgr.depth() != opencv::core::CV_8U {
            return Err(CaptureError::BadImage {
                what: "frame".into(),
                reason: "the detector needs 8-bit BGR".into(),
            });
        }
        let owned;
        let frame = if bgr.is_continuous() {
            bgr
        } else {
            owned = bgr.try_clone().cv("copy frame for detector")?;
            &owned
        };
        let (width, height) = (frame.cols(), frame.rows());
        if width < 16 || height < 16 {
            return Ok(Vec::new());
        }
        let bytes = frame.data_bytes().cv("frame bytes")?;
        let expected = width as usize * height as usize * 3;
        if bytes.len() < expected {
            return Err(CaptureError::BadImage {
                what: "frame".into(),
                reason: "shorter than its size".into(),
            });
        }
        // The library takes a mutable pointer but only reads the image; a private copy keeps the
        // frame's own buffer untouched regardless.
        let mut image = bytes[..expected].to_vec();
        self.results.fill(0);
        let _serial = ONE_CALL_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: `results` holds RESULT_BYTES bytes as the library requires, `image` holds
        // width*height*3 bytes with a row step of width*3, and both outlive the call. The returned
        // pointer points into `results`, which is read below through safe indexing only.
        let ret = unsafe {
            (self.detect)(
                self.results.as_mut_ptr().cast::<u8>(),
                image.as_mut_ptr(),
                width,
                height,
                width * 3,
            )
        };
        if ret.is_null() {
            return Err(CaptureError::Detector {
                path: self.path.clone(),
                reason: "detection failed".into(),
            });
        }
        Ok(parse_results(&self.results))
    }

    fn kind(&self) -> DetectorKind {
        DetectorKind::Yunet
    }
}

/// Reads the library's result buffer: a face count then 16 shorts per face.
fn parse_results(results: &[i32]) -> Vec<Face> {
    let short = |i: usize| -> i16 {
        let word = results.get(1 + i / 2).copied().unwrap_or(0).to_ne_bytes();
        let half = if i.is_multiple_of(2) {
            [word[0], word[1]]
        } else {
            [word[2], word[3]]
        };
        i16::from_ne_bytes(half)
    };
    let capacity = results.len().saturating_sub(1) * 2 / SHORTS_PER_FACE;
    let count = (results.first().copied().unwrap_or(0).max(0) as usize).min(capacity);
    let mut faces = Vec::with_capacity(count);
    for i in 0..count {
        let v = |k: usize| short(i * SHORTS_PER_FACE + k) as f32;
        if v(0) < MIN_CONFIDENCE {
            continue;
        }
        faces.push(Face {
            bbox: BoxF {
                x: v(1),
                y: v(2),
                width: v(3),
                height: v(4),
            },
            confidence: v(0),
            right_eye: Point { x: v(5), y: v(6) },
            left_eye: Point { x: v(7), y: v(8) },
            nose: Some(Point { x: v(9), y: v(10) }),
        });
    }
    faces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_ignores_low_confidence_and_bounds_the_count() {
        let mut buf = vec![0i32; 1 + 16];
        buf[0] = 1_000_000;
        // one face, confidence 93 then box and landmarks, packed two shorts per int
        let shorts: [i16; 16] = [93, 10, 20, 30, 40, 12, 25, 30, 26, 20, 30, 14, 35, 28, 36, 0];
        for (i, pair) in shorts.chunks(2).enumerate() {
            let mut b = [0u8; 4];
            b[..2].copy_from_slice(&pair[0].to_ne_bytes());
            b[2..].copy_from_slice(&pair[1].to_ne_bytes());
            buf[1 + i] = i32::from_ne_bytes(b);
        }
        let faces = parse_results(&buf);
        assert_eq!(faces.len(), 1);
        assert_eq!(faces[0].bbox.width, 30.0);
        assert_eq!(faces[0].left_eye, Point { x: 30.0, y: 26.0 });
        buf[1] = i32::from_ne_bytes([50, 0, 10, 0]);
        assert!(parse_results(&buf).is_empty(), "confidence 50 is below the threshold");
    }
}
