//! Faces found in a frame, and the detectors that find them.
//!
//! The primary detector is libfacedetection (a YuNet-family CNN compiled with its weights, from the
//! `yuface` wheel that `scripts/fixtures` installs): it counted faces right on every photo tried here,
//! while OpenCV's Haar cascade fires on textures and in crowds. When the library is absent the van still
//! works with the Haar cascade, confirmed by two eyes inside the face, and the report names that engine.

use std::path::{Path, PathBuf};

use opencv::core::{Mat, Rect, Size, Vector};
use opencv::objdetect::CascadeClassifier;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CaptureError, CvContext, Result};
use crate::yunet::Yunet;

/// A point in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Horizontal, from the left edge.
    pub x: f32,
    /// Vertical, from the top edge.
    pub y: f32,
}

impl Point {
    /// Distance to another point.
    pub fn distance(self, other: Point) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }

    /// The point halfway to another.
    pub fn midpoint(self, other: Point) -> Point {
        Point {
            x: (self.x + other.x) / 2.0,
            y: (self.y + other.y) / 2.0,
        }
    }
}

/// An axis-aligned box in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoxF {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

impl BoxF {
    /// The box scaled about the origin (to map between a reduced frame and the full one).
    pub fn scaled(self, factor: f32) -> BoxF {
        BoxF {
            x: self.x * factor,
            y: self.y * factor,
            width: self.width * factor,
            height: self.height * factor,
        }
    }

    /// The box's centre.
    pub fn centre(self) -> Point {
        Point {
            x: self.x + self.width / 2.0,
            y: self.y + self.height / 2.0,
        }
    }
}

/// One face: its box, the detector's confidence and its landmarks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Face {
    /// The face's box.
    pub bbox: BoxF,
    /// The detector's confidence, 0–100.
    pub confidence: f32,
    /// The subject's right eye (on the left of the image).
    pub right_eye: Point,
    /// The subject's left eye (on the right of the image).
    pub left_eye: Point,
    /// The tip of the nose, when the detector gives it.
    pub nose: Option<Point>,
}

impl Face {
    /// The face in a frame `factor` times larger.
    pub fn scaled(self, factor: f32) -> Face {
        let s = |p: Point| Point {
            x: p.x * factor,
            y: p.y * factor,
        };
        Face {
            bbox: self.bbox.scaled(factor),
            confidence: self.confidence,
            right_eye: s(self.right_eye),
            left_eye: s(self.left_eye),
            nose: self.nose.map(s),
        }
    }

    /// The same face seen in a frame whose origin is at `(dx, dy)` of this one's.
    pub fn offset(self, dx: f32, dy: f32) -> Face {
        let o = |p: Point| Point {
            x: p.x + dx,
            y: p.y + dy,
        };
        Face {
            bbox: BoxF {
                x: self.bbox.x + dx,
                y: self.bbox.y + dy,
                ..self.bbox
            },
            confidence: self.confidence,
            right_eye: o(self.right_eye),
            left_eye: o(self.left_eye),
            nose: self.nose.map(o),
        }
    }

    /// Distance between the eye centres.
    pub fn eye_distance(&self) -> f32 {
        self.right_eye.distance(self.left_eye)
    }
}

/// Which engine found the faces: reports carry it so a degraded detector is never silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    /// libfacedetection (YuNet family CNN).
    Yunet,
    /// OpenCV's Haar cascade confirmed by eyes: a fallback that misses more and fires on textures.
    Haar,
}

/// Finds faces in a BGR frame. Implementations must be deterministic for a given frame.
pub trait FaceDetector: Send {
    /// Every face in the frame at or above the detector's confidence threshold.
    fn detect(&mut self, bgr: &Mat) -> Result<Vec<Face>>;
    /// Which engine this is.
    fn kind(&self) -> DetectorKind;
}

/// Where the libfacedetection library is looked for: `QAFILA_FACEDETECT_LIB`, then the fixtures folder,
/// then the system's library folders.
pub fn yunet_candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("QAFILA_FACEDETECT_LIB") {
        out.push(PathBuf::from(p));
    }
    if let Some(dir) = std::env::var_os("QAFILA_FIXTURES") {
        out.push(Path::new(&dir).join("yuface/libfacedetection.so"));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    out.push(workspace.join(".fixtures/yuface/libfacedetection.so"));
    out.push(PathBuf::from("/usr/lib/qafila/yuface/libfacedetection.so"));
    out.push(PathBuf::from("/usr/local/lib/libfacedetection.so"));
    out
}

/// The best detector available: libfacedetection if it loads, otherwise the Haar fallback.
pub fn best_detector() -> Result<Box<dyn FaceDetector>> {
    let mut reasons = Vec::new();
    for path in yunet_candidates() {
        if !path.exists() {
            continue;
        }
        match Yunet::load(&path) {
            Ok(d) => return Ok(Box::new(d)),
            Err(e) => reasons.push(e.to_string()),
        }
    }
    tracing::warn!(tried = ?reasons, "libfacedetection unavailable; portrait checks fall back to the Haar cascade");
    Ok(Box::new(Haar::load()?))
}

/// OpenCV's frontal-face Haar cascade, each face confirmed by two eyes found by the eye cascade.
pub struct Haar {
    faces: CascadeClassifier,
    eyes: CascadeClassifier,
}

/// Folders where Debian's `opencv-data` puts the cascades.
const CASCADE_DIRS: [&str; 2] = ["/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades"];

impl Haar {
    /// Loads the cascades from Debian's `opencv-data`.
    pub fn load() -> Result<Haar> {
        let find = |name: &str| -> Result<String> {
            CASCADE_DIRS
                .iter()
                .map(|d| Path::new(d).join(name))
                .find(|p| p.exists())
                .map(|p| p.to_string_lossy().into_owned())
                .ok_or_else(|| CaptureError::Detector {
                    path: PathBuf::from(CASCADE_DIRS[0]).join(name),
                    reason: "cascade not found: install Debian's opencv-data".into(),
                })
        };
        let faces = CascadeClassifier::new(&find("haarcascade_frontalface_default.xml")?).cv("load face cascade")?;
        let eyes = CascadeClassifier::new(&find("haarcascade_eye.xml")?).cv("load eye cascade")?;
        Ok(Haar { faces, eyes })
    }
}

impl FaceDetector for Haar {
    fn detect(&mut self, bgr: &Mat) -> Result<Vec<Face>> {
        let mut gray = Mat::default();
        opencv::imgproc::cvt_color_def(bgr, &mut gray, opencv::imgproc::COLOR_BGR2GRAY).cv("grey for Haar")?;
        let mut eq = Mat::default();
        opencv::imgproc::equalize_hist(&gray, &mut eq).cv("equalise for Haar")?;
        let mut boxes = Vector::<Rect>::new();
        let min = (gray.cols().min(gray.rows()) / 10).max(24);
        self.faces
            .detect_multi_scale(&eq, &mut boxes, 1.1, 5, 0, Size::new(min, min), Size::default())
            .cv("Haar faces")?;
        let mut out = Vec::new();
        for r in boxes.iter() {
            // Eyes are searched in the upper half of the face only: mouths and nostrils look like eyes.
            let upper = Rect::new(r.x, r.y, r.width, r.height / 2);
            let roi = Mat::roi(&eq, upper).cv("face upper half")?;
            let mut eyes = Vector::<Rect>::new();
            let emin = (r.width / 8).max(8);
            self.eyes
                .detect_multi_scale(&roi, &mut eyes, 1.1, 3, 0, Size::new(emin, emin), Size::default())
                .cv("Haar eyes")?;
            let mut centres: Vec<Point> = eyes
                .iter()
                .map(|e| Point {
                    x: (r.x + e.x) as f32 + e.width as f32 / 2.0,
                    y: (r.y + e.y) as f32 + e.height as f32 / 2.0,
                })
                .collect();
            if centres.len() < 2 {
                continue;
            }
            centres.sort_by(|a, b| a.x.total_cmp(&b.x));
            let (right_eye, left_eye) = (centres[0], centres[centres.len() - 1]);
            if right_eye.distance(left_eye) < r.width as f32 * 0.2 {
                continue;
            }
            out.push(Face {
                bbox: BoxF {
                    x: r.x as f32,
                    y: r.y as f32,
                    width: r.width as f32,
                    height: r.height as f32,
                },
                confidence: 100.0,
                right_eye,
                left_eye,
                nose: None,
            });
        }
        Ok(out)
    }

    fn kind(&self) -> DetectorKind {
        DetectorKind::Haar
    }
}
