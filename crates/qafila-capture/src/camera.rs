//! Frames from a camera or a video file, newest first.
//!
//! A reader thread pulls frames as the source delivers them and keeps only the latest: when analysis
//! is slower than the camera, frames are skipped rather than queued, so feedback is never late.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opencv::core::Mat;
use opencv::prelude::*;
use opencv::videoio::{self, VideoCapture};

use crate::error::{CaptureError, Result};

/// Where frames come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A V4L2 device by index (`/dev/video0` is 0).
    Device(i32),
    /// A video file or an image sequence pattern (`frames/%04d.png`), for training, tests and demos.
    File(PathBuf),
}

impl Source {
    /// Reads `"0"` or `"/dev/video0"` as a device and anything else as a file.
    pub fn parse(s: &str) -> Source {
        let index = s.strip_prefix("/dev/video").unwrap_or(s);
        match index.parse::<i32>() {
            Ok(i) if i >= 0 => Source::Device(i),
            _ => Source::File(PathBuf::from(s)),
        }
    }

    fn name(&self) -> String {
        match self {
            Source::Device(i) => format!("/dev/video{i}"),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// How a file source is played.
#[derive(Debug, Clone, Copy)]
pub struct Playback {
    /// Deliver frames at the file's own rate, as a camera would (otherwise as fast as they decode).
    pub real_time: bool,
    /// Start again at the end (demos); otherwise the source ends.
    pub looped: bool,
}

impl Default for Playback {
    fn default() -> Self {
        Playback {
            real_time: true,
            looped: false,
        }
    }
}

/// One frame and its place in the stream.
pub struct Frame {
    /// Sequence number from 1, counting every frame the source delivered.
    pub seq: u64,
    /// The BGR image.
    pub image: Mat,
    /// When it was read.
    pub at: Instant,
}

#[derive(Default)]
struct Slot {
    latest: Option<Frame>,
    delivered: u64,
    skipped: u64,
    ended: Option<String>,
}

/// An open camera; dropping it stops the reader thread.
pub struct Camera {
    shared: Arc<(Mutex<Slot>, Condvar)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    name: String,
}

impl Camera {
    /// Opens the source and starts reading.
    pub fn open(source: &Source, playback: Playback) -> Result<Camera> {
        let name = source.name();
        let err = |reason: String| CaptureError::Camera {
            source_name: name.clone(),
            reason,
        };
        let capture = match source {
            Source::Device(i) => VideoCapture::new(*i, videoio::CAP_V4L2),
            Source::File(p) => {
                if !p.to_string_lossy().contains('%') && !p.exists() {
                    return Err(err("no such file".into()));
                }
                VideoCapture::from_file(p.as_os_str(), videoio::CAP_ANY)
            }
        }
        .map_err(|e| err(e.to_string()))?;
        if !capture.is_opened().map_err(|e| err(e.to_string()))? {
            return Err(err(match source {
                Source::Device(_) => "cannot open the camera: is it plugged in and not used by another program?".into(),
                Source::File(_) => "cannot read this file as video".into(),
            }));
        }
        let fps = capture.get(videoio::CAP_PROP_FPS).unwrap_or(0.0);
        let period = if fps > 1.0 && fps < 240.0 {
            Duration::from_secs_f64(1.0 / fps)
        } else {
            Duration::from_millis(33)
        };
        let shared = Arc::new((Mutex::new(Slot::default()), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let is_file = matches!(source, Source::File(_));
        let thread = {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::Builder::new()
                .name("camera".into())
                .spawn(move || read_loop(capture, shared, stop, is_file, playback, period))
                .map_err(|e| err(e.to_string()))?
        };
        Ok(Camera {
            shared,
            stop,
            thread: Some(thread),
            name,
        })
    }

    /// The newest frame after `after` (a sequence number), waiting up to `timeout` for one.
    /// Returns Ok(None) on timeout and an error when the source has ended or failed.
    pub fn next_after(&self, after: u64, timeout: Duration) -> Result<Option<Frame>> {
        let (lock, cv) = &*self.shared;
        let deadline = Instant::now() + timeout;
        let mut slot = lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if slot.latest.as_ref().is_some_and(|f| f.seq > after)
                && let Some(frame) = slot.latest.take()
            {
                return Ok(Some(frame));
            }
            if let Some(reason) = &slot.ended {
                return Err(CaptureError::Camera {
                    source_name: self.name.clone(),
                    reason: reason.clone(),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            slot = cv
                .wait_timeout(slot, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Frames delivered by the source, and those replaced before anyone took them.
    pub fn counters(&self) -> (u64, u64) {
        let slot = self.shared.0.lock().unwrap_or_else(|p| p.into_inner());
        (slot.delivered, slot.skipped)
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read_loop(
    mut capture: VideoCapture,
    shared: Arc<(Mutex<Slot>, Condvar)>,
    stop: Arc<AtomicBool>,
    is_file: bool,
    playback: Playback,
    period: Duration,
) {
    let (lock, cv) = &*shared;
    let mut next_due = Instant::now();
    let mut failures = 0;
    while !stop.load(Ordering::Relaxed) {
        let mut image = Mat::default();
        let got = capture.read(&mut image).unwrap_or(false) && !image.empty();
        if !got {
            if is_file && playback.looped && capture.set(videoio::CAP_PROP_POS_FRAMES, 0.0).unwrap_or(false) {
                continue;
            }
            failures += 1;
            // A camera may drop a frame or two; a file that stops has ended.
            if is_file || failures > 30 {
                let mut slot = lock.lock().unwrap_or_else(|p| p.into_inner());
                slot.ended = Some(if is_file {
                    "end of the video".into()
                } else {
                    "the camera stopped sending frames".into()
                });
                cv.notify_all();
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        failures = 0;
        // A decoder may hand back a view of its own buffer, which the next read overwrites: a
        // frame kept by auto-capture would silently become a later one. Own the pixels.
        let Ok(image) = image.try_clone() else {
            continue;
        };
        if is_file && playback.real_time {
            let now = Instant::now();
            if next_due > now {
                std::thread::sleep(next_due - now);
            }
            next_due = next_due.max(now) + period;
        }
        let mut slot = lock.lock().unwrap_or_else(|p| p.into_inner());
        slot.delivered += 1;
        if slot.latest.is_some() {
            slot.skipped += 1;
        }
        let seq = slot.delivered;
        slot.latest = Some(Frame {
            seq,
            image,
            at: Instant::now(),
        });
        cv.notify_all();
    }
}
