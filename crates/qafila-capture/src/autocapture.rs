//! Auto-capture: take the picture when every check has passed for several frames in a row.

use std::time::{Duration, Instant};

use opencv::core::Mat;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CvContext, Result};
use crate::portrait::PortraitReport;

/// When to take the picture.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AutoCaptureConfig {
    /// Passing frames needed in a row: one good frame may be luck, several mean the subject is still.
    pub consecutive: usize,
    /// How long to try before handing the best frame seen to the operator.
    pub timeout: Duration,
}

impl Default for AutoCaptureConfig {
    fn default() -> Self {
        AutoCaptureConfig {
            consecutive: 5,
            timeout: Duration::from_secs(20),
        }
    }
}

/// A kept frame and its analysis.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The frame.
    pub frame: Mat,
    /// Its analysis.
    pub report: PortraitReport,
}

/// Where auto-capture stands after a frame.
#[derive(Debug)]
pub enum Progress {
    /// Still waiting: how many passing frames in a row so far, of how many needed.
    Waiting {
        /// Passing frames in a row.
        streak: usize,
        /// Needed.
        needed: usize,
    },
    /// Every check passed long enough: the best frame of the streak.
    Captured(Candidate),
    /// Time ran out: the best frame seen, which the operator may accept only with a recorded override.
    TimedOut(Option<Candidate>),
}

/// The auto-capture state machine; feed it every analysed frame.
pub struct AutoCapture {
    config: AutoCaptureConfig,
    started: Instant,
    streak: usize,
    streak_best: Option<Candidate>,
    best_seen: Option<Candidate>,
}

/// Orders candidates: passing before failing, then fewer failed checks, then the report's score.
fn better(a: &PortraitReport, b: &PortraitReport) -> bool {
    let failed = |r: &PortraitReport| r.checks.iter().filter(|c| !c.ok).count();
    (a.ok, std::cmp::Reverse(failed(a))) > (b.ok, std::cmp::Reverse(failed(b)))
        || ((a.ok, failed(a)) == (b.ok, failed(b)) && a.score > b.score)
}

impl AutoCapture {
    /// Starts a capture now.
    pub fn new(config: AutoCaptureConfig, now: Instant) -> AutoCapture {
        AutoCapture {
            config,
            started: now,
            streak: 0,
            streak_best: None,
            best_seen: None,
        }
    }

    /// Takes one analysed frame.
    pub fn feed(&mut self, frame: &Mat, report: &PortraitReport, now: Instant) -> Result<Progress> {
        let keep = |slot: &Option<Candidate>| slot.as_ref().is_none_or(|c| better(report, &c.report));
        if keep(&self.best_seen) {
            self.best_seen = Some(Candidate {
                frame: frame.try_clone().cv("keep frame")?,
                report: report.clone(),
            });
        }
        if report.ok {
            self.streak += 1;
            if keep(&self.streak_best) {
                self.streak_best = Some(Candidate {
                    frame: frame.try_clone().cv("keep frame")?,
                    report: report.clone(),
                });
            }
            if self.streak >= self.config.consecutive.max(1)
                && let Some(best) = self.streak_best.take()
            {
                return Ok(Progress::Captured(best));
            }
        } else {
            self.streak = 0;
            self.streak_best = None;
        }
        if now.duration_since(self.started) >= self.config.timeout {
            return Ok(Progress::TimedOut(self.best_seen.take()));
        }
        Ok(Progress::Waiting {
            streak: self.streak,
            needed: self.config.consecutive,
        })
    }
}

/// Runs auto-capture on a camera until a capture or a timeout, calling `on_frame` with each report
/// (the UI's live checklist). Frames the analysis could not keep up with are skipped, not queued.
pub fn run(
    camera: &crate::camera::Camera,
    analyzer: &mut crate::portrait::Analyzer,
    config: AutoCaptureConfig,
    mut on_frame: impl FnMut(&PortraitReport, &Progress),
) -> Result<Progress> {
    let start = Instant::now();
    let mut auto = AutoCapture::new(config.clone(), start);
    let mut last = 0;
    loop {
        let remaining = config.timeout.saturating_sub(start.elapsed());
        let Some(frame) = camera.next_after(last, remaining.max(Duration::from_millis(1)))? else {
            return Ok(Progress::TimedOut(auto.best_seen.take()));
        };
        last = frame.seq;
        let report = analyzer.analyse(&frame.image)?;
        let progress = auto.feed(&frame.image, &report, Instant::now())?;
        on_frame(&report, &progress);
        if !matches!(progress, Progress::Waiting { .. }) {
            return Ok(progress);
        }
    }
}
