//! A training video made from one photograph, standing in for a camera in demos, training and the
//! desktop app's end-to-end test: the subject first off-centre and out of focus, then still and
//! centred, so the live checklist visibly turns green before auto-capture fires.

use std::path::Path;

use opencv::core::{Mat, Rect, Size};
use opencv::imgproc;
use opencv::prelude::*;
use opencv::videoio::{VideoWriter, VideoWriterTrait};

use crate::error::{CaptureError, CvContext, Result};

/// Frame size of the sample video.
pub const SIZE: (i32, i32) = (640, 480);

/// Writes an MJPEG AVI at 15 fps: `seconds` in all, the first third blurred and off-centre.
pub fn write_sample_video(photo: &Path, out: &Path, seconds: u32) -> Result<()> {
    let image = crate::image::read(photo)?;
    let (w, h) = SIZE;
    // Large enough to fill the frame with room to slide sideways; portraits have the head in the
    // upper part, so frames are cut from the top.
    let scale =
        (f64::from(h) * 1.15 / f64::from(image.rows().max(1))).max(f64::from(w + 300) / f64::from(image.cols().max(1)));
    let mut big = Mat::default();
    imgproc::resize(&image, &mut big, Size::new(0, 0), scale, scale, imgproc::INTER_CUBIC).cv("scale photo")?;
    if big.cols() < w + 80 || big.rows() < h {
        return Err(CaptureError::BadImage {
            what: photo.display().to_string(),
            reason: "too small for a 640×480 sample video".into(),
        });
    }
    let centre_x = (big.cols() - w) / 2;
    let fourcc = VideoWriter::fourcc('M', 'J', 'P', 'G').cv("fourcc")?;
    let mut writer = VideoWriter::new(out.as_os_str(), fourcc, 15.0, Size::new(w, h), true).cv("open video writer")?;
    if !writer.is_opened().cv("video writer")? {
        return Err(CaptureError::BadImage {
            what: out.display().to_string(),
            reason: "OpenCV cannot write an MJPEG AVI here".into(),
        });
    }
    let frames = seconds.max(3) * 15;
    for i in 0..frames {
        let unsettled = i < frames / 3;
        let x = if unsettled { (centre_x - 150).max(0) } else { centre_x };
        let roi = Mat::roi(&big, Rect::new(x, 0, w, h)).cv("crop frame")?;
        let mut frame = roi.try_clone().cv("copy frame")?;
        if unsettled {
            let mut soft = Mat::default();
            imgproc::gaussian_blur_def(&frame, &mut soft, Size::new(0, 0), 14.0).cv("blur")?;
            frame = soft;
        }
        writer.write(&frame).cv("write frame")?;
    }
    writer.release().cv("close video")?;
    Ok(())
}
