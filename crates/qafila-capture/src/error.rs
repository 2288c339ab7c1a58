//! Errors of the capture crate.

use std::path::PathBuf;

/// What went wrong while capturing or analysing a portrait.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// OpenCV reported an error (decoding, geometry, video).
    #[error("image processing failed in {context}: {source}")]
    OpenCv {
        /// The operation that failed.
        context: &'static str,
        /// OpenCV's own error.
        source: opencv::Error,
    },
    /// An image file or buffer could not be decoded.
    #[error("{what}: not a readable image ({reason})")]
    BadImage {
        /// The file or field that held the image.
        what: String,
        /// Why it was refused.
        reason: String,
    },
    /// The camera or video source could not be opened or stopped delivering frames.
    #[error("camera {source_name}: {reason}")]
    Camera {
        /// The device or file.
        source_name: String,
        /// What happened, in words an operator can act on.
        reason: String,
    },
    /// The face detector library could not be loaded or used.
    #[error("face detector {path}: {reason}")]
    Detector {
        /// Where the library or model was looked for.
        path: PathBuf,
        /// Why it is unusable.
        reason: String,
    },
    /// The token portrait could not be produced within the byte budget.
    #[error("token portrait: {0}")]
    Token(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = CaptureError> = std::result::Result<T, E>;

/// Attaches the operation's name to an OpenCV error.
pub(crate) trait CvContext<T> {
    fn cv(self, context: &'static str) -> Result<T>;
}

impl<T> CvContext<T> for opencv::Result<T> {
    fn cv(self, context: &'static str) -> Result<T> {
        self.map_err(|source| CaptureError::OpenCv { context, source })
    }
}
