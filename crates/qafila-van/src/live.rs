//! Live capture: the portrait from the camera and the ten prints from the scanner, each on its own
//! thread, reporting through events; the result lands in the draft.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use qafila_capture::autocapture::{AutoCapture, AutoCaptureConfig, Progress};
use qafila_capture::fingers::{self, DeclaredException, FingerConfig, FingerOutcome};
use qafila_capture::{Analyzer, Camera, Playback, PortraitReport, Source, TokenConfig};
use qafila_domain::ApplicationId;
use qafila_finger::{DuplicateIndex, PersonId, Quality, SearchConfig, Template};
use qafila_sbi::{FingerprintScanner, SbiConfig, SbiScanner};
use serde_json::{Value, json};

use crate::draft::{DraftState, DuplicateView, FingerDraft, PortraitDraft};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::events::Event;
use crate::settings::{CameraSetting, ScannerSetting};

/// Preview frames sent to the UI per second at most: enough to aim, cheap to ship.
const PREVIEW_FPS: f64 = 8.0;

struct Job {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Job {
    fn running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The last portrait capture, waiting for the operator to accept it.
struct Pending {
    draft_id: String,
    jpeg: Option<Vec<u8>>,
    report: Option<PortraitReport>,
    captured: bool,
}

/// Live-capture state shared by the engine's clones.
#[derive(Default)]
pub(crate) struct Live {
    portrait: Mutex<Option<Job>>,
    fingers: Mutex<Option<Job>>,
    pending: Mutex<Option<Pending>>,
    quality: Mutex<Option<Arc<Quality>>>,
    simulator: Mutex<Option<qafila_sbi::simulator::Simulator>>,
    index: Mutex<Option<DuplicateIndex>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Live {
    pub(crate) fn busy(&self) -> bool {
        lock(&self.portrait).as_ref().is_some_and(Job::running)
            || lock(&self.fingers).as_ref().is_some_and(Job::running)
    }

    pub(crate) fn stop_all(&self) {
        if let Some(mut j) = lock(&self.portrait).take() {
            j.stop();
        }
        if let Some(mut j) = lock(&self.fingers).take() {
            j.stop();
        }
        *lock(&self.pending) = None;
    }

    pub(crate) fn forget_scanner(&self) {
        *lock(&self.simulator) = None;
    }

    fn quality(&self) -> Arc<Quality> {
        lock(&self.quality)
            .get_or_insert_with(|| Arc::new(Quality::from_env()))
            .clone()
    }

    /// Adds a sealed enrollment's templates to the drive's duplicate index.
    pub(crate) fn remember(&self, id: &ApplicationId, templates: Vec<Template>) {
        if templates.is_empty() {
            return;
        }
        let mut index = lock(&self.index);
        let index = index.get_or_insert_with(|| DuplicateIndex::new(SearchConfig::default()));
        if let Err(e) = index.insert(PersonId(id.to_string()), templates) {
            tracing::warn!(error = %e, "duplicate index");
        }
    }
}

/// The minutiae templates of a draft's impressions.
pub(crate) fn templates_of(d: &DraftState) -> Vec<Template> {
    d.fingers
        .values()
        .filter_map(|f| match f {
            FingerDraft::Impression { template_base64, .. } => B64.decode(template_base64).ok(),
            FingerDraft::Exception { .. } => None,
        })
        .filter_map(|b| Template::from_iso19794_2(&b).ok())
        .collect()
}

fn source_of(camera: &CameraSetting) -> Source {
    match camera {
        CameraSetting::Device { index } => Source::Device(i32::try_from(*index).unwrap_or(0)),
        CameraSetting::File { path } => Source::File(path.clone()),
    }
}

fn report_json(report: &PortraitReport) -> Value {
    serde_json::to_value(report.to_record(None)).unwrap_or_default()
}

impl Engine {
    /// Starts the live portrait: `portrait` events with frames and the checklist, then `done`.
    pub fn portrait_start(&self, draft_id: &str) -> Result<()> {
        self.with_van(|van| self.load_draft(van, draft_id).map(|_| ()))?;
        let live = &self.shared.live;
        let mut slot = lock(&live.portrait);
        if let Some(job) = slot.as_mut() {
            if job.running() {
                return Err(EngineError::Busy("portrait capture"));
            }
            job.stop();
        }
        let camera_setting = self.settings().camera;
        let source = source_of(&camera_setting);
        let looped = matches!(camera_setting, CameraSetting::File { .. });
        let camera = Camera::open(
            &source,
            Playback {
                real_time: true,
                looped,
            },
        )
        .map_err(|e| EngineError::Camera(format!("{e}: check the cable, or choose a video file in the settings")))?;
        let mut analyzer = Analyzer::with_defaults()?;
        let stop = Arc::new(AtomicBool::new(false));
        let engine = self.clone();
        let draft_id = draft_id.to_string();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let outcome = run_portrait(&engine, &camera, &mut analyzer, &flag);
            match outcome {
                Ok(Some((captured, jpeg, report))) => {
                    engine.emit(Event::Portrait(json!({"kind": "done", "captured": captured,
                        "jpeg_base64": jpeg.as_ref().map(|j| B64.encode(j)),
                        "report": report.as_ref().map(report_json)})));
                    *lock(&engine.shared.live.pending) = Some(Pending {
                        draft_id,
                        jpeg,
                        report,
                        captured,
                    });
                }
                Ok(None) => {}
                Err(e) => engine.emit(Event::Portrait(
                    json!({"kind": "error", "code": e.code(), "message": e.to_string()}),
                )),
            }
        });
        *slot = Some(Job {
            stop,
            thread: Some(thread),
        });
        Ok(())
    }

    /// Stops the live portrait.
    pub fn portrait_stop(&self) {
        if let Some(mut j) = lock(&self.shared.live.portrait).take() {
            j.stop();
        }
    }

    /// Keeps the last captured portrait in the draft. A frame that failed a check needs a reason.
    pub fn portrait_accept(&self, draft_id: &str, override_reason: Option<&str>) -> Result<crate::draft::DraftView> {
        let override_reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
        let pending = lock(&self.shared.live.pending).take();
        let Some(p) = pending.filter(|p| p.draft_id == draft_id) else {
            return Err(EngineError::bad(
                "draft_id",
                "no portrait was captured for this draft: take one first",
            ));
        };
        let (Some(jpeg), Some(report)) = (p.jpeg.clone(), p.report.clone()) else {
            return Err(EngineError::bad("portrait", "no face was seen: retake"));
        };
        if !(p.captured && report.ok) && override_reason.is_none() {
            let reason = "this portrait failed a quality check: retake, or give the reason for keeping it";
            *lock(&self.shared.live.pending) = Some(p);
            return Err(EngineError::bad("override_reason", reason));
        }
        self.with_van(|van| {
            let mut d = self.load_draft(van, draft_id)?;
            d.portrait = Some(PortraitDraft {
                jpeg_base64: B64.encode(&jpeg),
                quality: report.to_record(None),
                override_reason: if report.ok {
                    None
                } else {
                    override_reason.map(String::from)
                },
            });
            d.updated_at = Utc::now();
            self.store_draft(van, &d)?;
            self.view(van, &d)
        })
    }

    fn scanner(&self, draft_id: &str) -> Result<Box<dyn FingerprintScanner>> {
        let config = SbiConfig {
            decoders: qafila_capture::desk::decoders_with_wsq(),
            ..SbiConfig::default()
        };
        let scanner_err = |e: qafila_sbi::ScanError| {
            EngineError::Scanner(format!(
                "{e}: check that the scanner is plugged in and its service runs"
            ))
        };
        match self.settings().scanner {
            ScannerSetting::Sbi { port: None } => Ok(Box::new(SbiScanner::discover(config).map_err(scanner_err)?)),
            ScannerSetting::Sbi { port: Some(port) } => {
                let found = qafila_sbi::discover(&SbiConfig {
                    ports: port..=port,
                    ..config.clone()
                })
                .map_err(scanner_err)?;
                let device = found
                    .first()
                    .ok_or_else(|| EngineError::Scanner(format!("no SBI device answered on port {port}")))?;
                Ok(Box::new(SbiScanner::for_device(config, device).map_err(scanner_err)?))
            }
            ScannerSetting::Simulator { seed } => {
                // Each applicant is a different simulated person, so training enrollments do not
                // all look like duplicates of one another.
                let person = seed ^ u64::from_str_radix(&draft_id.replace('-', "")[16..32], 16).unwrap_or(0);
                let sim = qafila_sbi::simulator::serve(qafila_sbi::simulator::SimConfig {
                    seed: person,
                    latency: Duration::from_millis(300),
                    ..Default::default()
                })
                .map_err(|e| EngineError::Scanner(e.to_string()))?;
                let port = sim.addr().port();
                *lock(&self.shared.live.simulator) = Some(sim);
                let found = qafila_sbi::discover(&SbiConfig {
                    ports: port..=port,
                    ..config.clone()
                })
                .map_err(scanner_err)?;
                let device = found
                    .first()
                    .ok_or_else(|| EngineError::Scanner("the simulator did not answer".into()))?;
                Ok(Box::new(SbiScanner::for_device(config, device).map_err(scanner_err)?))
            }
        }
    }

    /// Captures the ten prints (4-4-2) into the draft; `fingers` events report each step.
    pub fn fingers_start(&self, draft_id: &str, exceptions: &BTreeMap<String, (String, String)>) -> Result<()> {
        self.with_van(|van| self.load_draft(van, draft_id).map(|_| ()))?;
        let mut declared = Vec::new();
        for (pos, (kind, reason)) in exceptions {
            let finger = pos
                .parse::<u8>()
                .ok()
                .and_then(qafila_sbi::Finger::from_position)
                .ok_or_else(|| EngineError::bad(&format!("exceptions.{pos}"), "not a finger position 1-10"))?;
            let kind: qafila_domain::FingerException = serde_json::from_value(json!(kind))
                .map_err(|_| EngineError::bad(&format!("exceptions.{pos}.exception"), "unknown exception"))?;
            if reason.trim().is_empty() {
                return Err(EngineError::bad(&format!("exceptions.{pos}.reason"), "give the reason"));
            }
            declared.push(DeclaredException {
                finger,
                kind,
                reason: reason.trim().into(),
            });
        }
        let live = &self.shared.live;
        let mut slot = lock(&live.fingers);
        if slot.as_ref().is_some_and(Job::running) {
            return Err(EngineError::Busy("fingerprint capture"));
        }
        let scanner = self.scanner(draft_id)?;
        let quality = live.quality();
        let stop = Arc::new(AtomicBool::new(false));
        let engine = self.clone();
        let draft_id = draft_id.to_string();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let index = lock(&engine.shared.live.index).take();
            let result = fingers::capture_ten(
                scanner.as_ref(),
                &quality,
                &declared,
                index.as_ref(),
                &FingerConfig::default(),
                |e| {
                    if !flag.load(Ordering::SeqCst) {
                        let mut v = serde_json::to_value(&e).unwrap_or_default();
                        v["kind"] = v["event"].take();
                        engine.emit(Event::Fingers(v));
                    }
                },
            );
            *lock(&engine.shared.live.index) = index;
            if flag.load(Ordering::SeqCst) {
                return;
            }
            let outcome = result
                .map_err(|e| EngineError::Scanner(e.to_string()))
                .and_then(|ten| engine.keep_fingers(&draft_id, &ten.fingers, &ten.duplicates));
            match outcome {
                Ok(view) => engine.emit(Event::Fingers(json!({"kind": "done", "draft": view}))),
                Err(e) => engine.emit(Event::Fingers(
                    json!({"kind": "error", "code": e.code(), "message": e.to_string()}),
                )),
            }
        });
        *slot = Some(Job {
            stop,
            thread: Some(thread),
        });
        Ok(())
    }

    /// Stops a ten-print capture (the scanner's current slap finishes or times out first).
    pub fn fingers_stop(&self) {
        if let Some(mut j) = lock(&self.shared.live.fingers).take() {
            j.stop();
        }
    }

    fn keep_fingers(
        &self,
        draft_id: &str,
        outcomes: &[FingerOutcome],
        duplicates: &[qafila_finger::Candidate],
    ) -> Result<crate::draft::DraftView> {
        let mut fingers = BTreeMap::new();
        for o in outcomes {
            let pos = o.finger().position().to_string();
            let f = match o {
                FingerOutcome::Captured(c) => FingerDraft::Impression {
                    quality: c.quality,
                    quality_algorithm: match c.engine {
                        qafila_finger::QualityEngine::Nfiq2 => "nfiq2".into(),
                        qafila_finger::QualityEngine::Fallback => "qafila-fallback".into(),
                    },
                    device: c.device.clone(),
                    wsq_base64: B64.encode(&c.wsq),
                    png_base64: B64.encode(thumbnail(&c.wsq).unwrap_or_default()),
                    template_base64: B64.encode(c.template.to_iso19794_2()),
                },
                FingerOutcome::Exception { kind, reason, .. } => FingerDraft::Exception {
                    exception: *kind,
                    reason: reason.clone(),
                },
            };
            fingers.insert(pos, f);
        }
        let mut by_person: BTreeMap<String, u32> = BTreeMap::new();
        for c in duplicates {
            *by_person.entry(c.person.0.clone()).or_default() += c.score;
        }
        self.with_van(|van| {
            let mut d = self.load_draft(van, draft_id)?;
            d.fingers = fingers;
            d.duplicates = by_person
                .into_iter()
                .map(|(application_id, score)| DuplicateView { application_id, score })
                .collect();
            d.updated_at = Utc::now();
            self.store_draft(van, &d)?;
            self.view(van, &d)
        })
    }
}

/// What auto-capture ended with: whether every check passed, the token JPEG, the frame's report.
type Outcome = (bool, Option<Vec<u8>>, Option<PortraitReport>);

/// Analyses frames until auto-capture decides or the job is stopped (`None`).
fn run_portrait(
    engine: &Engine,
    camera: &Camera,
    analyzer: &mut Analyzer,
    stop: &AtomicBool,
) -> Result<Option<Outcome>> {
    let config = AutoCaptureConfig::default();
    let start = Instant::now();
    let mut auto = AutoCapture::new(config.clone(), start);
    let mut last_seq = 0;
    let mut last_preview: Option<Instant> = None;
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let Some(frame) = camera
            .next_after(last_seq, Duration::from_millis(500))
            .map_err(|e| EngineError::Camera(e.to_string()))?
        else {
            if start.elapsed() > config.timeout {
                return Err(EngineError::Camera("the camera delivered no frame".into()));
            }
            continue;
        };
        last_seq = frame.seq;
        let report = analyzer.analyse(&frame.image)?;
        let progress = auto.feed(&frame.image, &report, Instant::now())?;
        let now = Instant::now();
        if last_preview.is_none_or(|t| now.duration_since(t).as_secs_f64() >= 1.0 / PREVIEW_FPS) {
            last_preview = Some(now);
            let jpeg = qafila_capture::image::preview_jpeg(&frame.image, 640)?;
            let (streak, needed) = match &progress {
                Progress::Waiting { streak, needed } => (*streak, *needed),
                _ => (config.consecutive, config.consecutive),
            };
            engine.emit(Event::Portrait(
                json!({"kind": "frame", "jpeg_base64": B64.encode(jpeg),
                "report": report_json(&report), "streak": streak, "needed": needed}),
            ));
        }
        let (captured, best) = match progress {
            Progress::Waiting { .. } => continue,
            Progress::Captured(best) => (true, Some(best)),
            Progress::TimedOut(best) => (false, best),
        };
        let Some(best) = best else {
            return Ok(Some((false, None, None)));
        };
        let token = match best.report.face {
            Some(face) => Some(qafila_capture::make_token(&best.frame, &face, &TokenConfig::default())?.jpeg),
            None => None,
        };
        return Ok(Some((captured, token, Some(best.report))));
    }
}

/// A quarter-size PNG of a WSQ print for the hand diagram.
fn thumbnail(wsq: &[u8]) -> Option<Vec<u8>> {
    let d = qafila_wsq::decode(wsq).ok()?;
    let (w, h) = (d.width / 4, d.height / 4);
    let mut px = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0u32;
            for dy in 0..4 {
                for dx in 0..4 {
                    sum += u32::from(d.pixels[(y * 4 + dy) * d.width + x * 4 + dx]);
                }
            }
            px[y * w + x] = (sum / 16) as u8;
        }
    }
    qafila_sbi::GrayImage::new(w as u32, h as u32, 125, px)
        .ok()?
        .to_png()
        .ok()
}
