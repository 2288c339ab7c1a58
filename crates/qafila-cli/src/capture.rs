//! `qafila portrait …`, `qafila finger …` and `qafila scanner …`: capture headless, JSON on stdout.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use qafila_capture::autocapture::{self, AutoCaptureConfig, Progress};
use qafila_capture::fingers::{self, FingerConfig, FingerOutcome};
use qafila_capture::{Analyzer, Camera, Playback, PortraitReport, Source, TokenConfig};
use qafila_finger::{Quality, QualityEngine};
use qafila_sbi::{FingerprintScanner, SbiConfig, SbiScanner};
use serde_json::json;

#[derive(Subcommand)]
pub enum PortraitCmd {
    /// Check one photograph against the ICAO portrait rules (exit 0 whether or not it passes).
    Check {
        image: PathBuf,
        /// Print the full report as JSON.
        #[arg(long)]
        json: bool,
        /// Write the ISO token portrait (JPEG) here when the photograph has one face.
        #[arg(long)]
        token: Option<PathBuf>,
        /// Byte budget of the token JPEG.
        #[arg(long, default_value_t = 40 * 1024)]
        max_bytes: usize,
    },
    /// Live capture from a camera (`0`, `/dev/video0`) or a video file, with auto-capture.
    Capture {
        #[arg(long, default_value = "0")]
        camera: String,
        /// Seconds before handing back the best frame seen.
        #[arg(long, default_value_t = 20)]
        timeout: u64,
        /// Passing frames in a row needed.
        #[arg(long, default_value_t = 5)]
        consecutive: usize,
        /// Write the token portrait here.
        #[arg(long)]
        token: Option<PathBuf>,
        /// Keep a frame that did not pass (records the override); otherwise a timeout is an error.
        #[arg(long)]
        accept_override: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Make a training video (MJPEG AVI) from a photograph, to stand in for a camera.
    SampleVideo {
        /// The photograph (one face, plain background).
        photo: PathBuf,
        /// The video to write (`.avi`).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 6)]
        seconds: u32,
    },
}

#[derive(Subcommand)]
pub enum FingerCmd {
    /// The quality of one impression (PNG or WSQ, 500 ppi): NFIQ 2 when NIST's library is present.
    Quality {
        image: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// WSQ compression (NIST's algorithm, our implementation).
    #[command(subcommand)]
    Wsq(WsqCmd),
    /// Capture ten fingers (4-4-2) from a scanner and write WSQ files and a summary.
    Capture {
        /// `sbi` (discover on ports 4501-4600), `sbi:PORT`, or a folder of `<position>.png|wsq` files.
        #[arg(long, default_value = "sbi")]
        scanner: String,
        /// Folder to write `<position>.wsq` and `<position>.iso` (ISO 19794-2 template) into.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 40)]
        threshold: u8,
        #[arg(long, default_value_t = 3)]
        retries: u8,
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
}

#[derive(Subcommand)]
pub enum WsqCmd {
    /// PNG (8-bit grey) to WSQ.
    Encode {
        input: PathBuf,
        output: PathBuf,
        #[arg(long, default_value_t = 0.75)]
        bitrate: f32,
        #[arg(long, default_value_t = 500)]
        ppi: u16,
    },
    /// WSQ to PNG.
    Decode { input: PathBuf, output: PathBuf },
}

#[derive(Subcommand)]
pub enum ScannerCmd {
    /// Run the SBI fingerprint simulator until interrupted.
    Simulate(qafila_sbi::sim_args::SimArgs),
    /// List SBI devices on ports 4501-4600.
    Discover,
}

fn print_report(report: &PortraitReport, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        println!(
            "{} ({} face(s), detector {:?})",
            if report.ok { "PASS" } else { "FAIL" },
            report.faces,
            report.detector
        );
        for c in &report.checks {
            let value = c.value.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
            let reason = c.reason.map(|r| format!("  → {r:?}")).unwrap_or_default();
            println!(
                "  {:<4} {:<20} {value}{reason}",
                if c.ok { "ok" } else { "FAIL" },
                format!("{:?}", c.id)
            );
        }
    }
    Ok(())
}

fn write_token(path: &Path, token: &qafila_capture::Token) -> Result<()> {
    std::fs::write(path, &token.jpeg).with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "token portrait {}×{}, {} bytes (JPEG quality {}) → {}",
        token.width,
        token.height,
        token.jpeg.len(),
        token.quality,
        path.display()
    );
    Ok(())
}

pub fn portrait(cmd: PortraitCmd) -> Result<()> {
    if let PortraitCmd::SampleVideo { photo, out, seconds } = &cmd {
        qafila_capture::sample::write_sample_video(photo, out, *seconds)?;
        eprintln!("sample video → {}", out.display());
        return Ok(());
    }
    let mut analyzer = Analyzer::with_defaults()?;
    if analyzer.detector_kind() != qafila_capture::DetectorKind::Yunet {
        eprintln!("warning: libfacedetection not found (run scripts/fixtures); using the weaker Haar detector");
    }
    match cmd {
        PortraitCmd::Check {
            image,
            json,
            token,
            max_bytes,
        } => {
            let cfg = TokenConfig {
                max_bytes,
                ..TokenConfig::default()
            };
            let (report, cut) = qafila_capture::check_image(&mut analyzer, &image, token.as_ref().map(|_| &cfg))?;
            print_report(&report, json)?;
            if let (Some(path), Some(t)) = (token, cut) {
                write_token(&path, &t)?;
            }
            Ok(())
        }
        PortraitCmd::Capture {
            camera,
            timeout,
            consecutive,
            token,
            accept_override,
            json,
        } => {
            let source = Source::parse(&camera);
            let cam = Camera::open(
                &source,
                Playback {
                    real_time: true,
                    looped: false,
                },
            )?;
            let config = AutoCaptureConfig {
                consecutive,
                timeout: Duration::from_secs(timeout),
            };
            let mut last_reason = None;
            let progress = autocapture::run(&cam, &mut analyzer, config, |report, p| {
                let reason = report.first_reason();
                if reason != last_reason {
                    match (reason, p) {
                        (Some(r), _) => eprintln!("… {r:?}"),
                        (None, Progress::Waiting { streak, needed }) => eprintln!("… hold still ({streak}/{needed})"),
                        _ => {}
                    }
                    last_reason = reason;
                }
            })?;
            let (best, override_by) = match progress {
                Progress::Captured(best) => (best, None),
                Progress::TimedOut(Some(best)) if accept_override.is_some() => (best, accept_override),
                Progress::TimedOut(Some(best)) => {
                    print_report(&best.report, json)?;
                    bail!(
                        "no frame passed every check in {timeout} s; retake, or keep the best with --accept-override OPERATOR"
                    )
                }
                Progress::TimedOut(None) | Progress::Waiting { .. } => bail!("the camera gave no frame in {timeout} s"),
            };
            print_report(&best.report, json)?;
            if let Some(who) = &override_by {
                eprintln!("kept a frame that did not pass, on {who}'s override");
            }
            if let (Some(path), Some(face)) = (token, best.report.face) {
                write_token(
                    &path,
                    &qafila_capture::make_token(&best.frame, &face, &TokenConfig::default())?,
                )?;
            }
            Ok(())
        }
        PortraitCmd::SampleVideo { .. } => Ok(()),
    }
}

fn read_gray(path: &Path) -> Result<qafila_sbi::GrayImage> {
    qafila_capture::desk::read_print(path).map_err(anyhow::Error::msg)
}

pub fn finger(cmd: FingerCmd) -> Result<()> {
    match cmd {
        FingerCmd::Quality { image, json } => {
            let img = read_gray(&image)?;
            let quality = Quality::from_env();
            let gray = qafila_finger::GrayImage::new(img.width as usize, img.height as usize, img.pixels)?;
            let q = quality.nfiq2(&gray)?;
            let is_nfiq2 = q.engine == QualityEngine::Nfiq2;
            if json {
                let out = json!({
                    "nfiq2": if is_nfiq2 { Some(q.score) } else { None },
                    "score": q.score,
                    "engine": q.engine.label(),
                    "note": q.note,
                    "width": img.width,
                    "height": img.height,
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("{} {}", q.engine.label(), q.score);
                if let Some(note) = q.note {
                    println!("{note}");
                }
            }
            Ok(())
        }
        FingerCmd::Wsq(WsqCmd::Encode {
            input,
            output,
            bitrate,
            ppi,
        }) => {
            let img = read_gray(&input)?;
            let wsq = qafila_wsq::encode(
                &qafila_wsq::GrayImage {
                    width: img.width as usize,
                    height: img.height as usize,
                    pixels: img.pixels,
                },
                bitrate,
                ppi,
            )?;
            std::fs::write(&output, &wsq).with_context(|| format!("writing {}", output.display()))?;
            let raw = img.width as usize * img.height as usize;
            eprintln!(
                "{} bytes ({:.1}:1) → {}",
                wsq.len(),
                raw as f64 / wsq.len() as f64,
                output.display()
            );
            Ok(())
        }
        FingerCmd::Wsq(WsqCmd::Decode { input, output }) => {
            let bytes = std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
            let d = qafila_wsq::decode(&bytes).with_context(|| format!("{}", input.display()))?;
            let img = qafila_sbi::GrayImage::new(d.width as u32, d.height as u32, d.ppi.unwrap_or(500), d.pixels)?;
            std::fs::write(&output, img.to_png()?).with_context(|| format!("writing {}", output.display()))?;
            eprintln!(
                "{}×{} at {} ppi → {}",
                d.width,
                d.height,
                d.ppi.unwrap_or(500),
                output.display()
            );
            Ok(())
        }
        FingerCmd::Capture {
            scanner,
            out,
            threshold,
            retries,
            timeout,
        } => {
            let device: Box<dyn FingerprintScanner> = open_scanner(&scanner)?;
            let quality = Quality::from_env();
            if quality.engine() != QualityEngine::Nfiq2 {
                eprintln!("warning: NIST's NFIQ 2 library not found; scores are a fallback estimate, not NFIQ 2");
            }
            let config = FingerConfig {
                threshold,
                retries,
                timeout: Duration::from_secs(timeout),
                ..Default::default()
            };
            let result = fingers::capture_ten(device.as_ref(), &quality, &[], None, &config, |e| {
                if let Ok(line) = serde_json::to_string(&e) {
                    eprintln!("{line}");
                }
            })?;
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let mut summary = Vec::new();
            for outcome in &result.fingers {
                match outcome {
                    FingerOutcome::Captured(c) => {
                        let p = c.finger.position();
                        std::fs::write(out.join(format!("{p}.wsq")), &c.wsq)?;
                        std::fs::write(out.join(format!("{p}.iso")), c.template.to_iso19794_2())?;
                        summary.push(json!({"finger": p, "state": "impression", "quality": c.quality,
                            "engine": c.engine.label(), "attempts": c.attempts, "device": c.device,
                            "wsq_bytes": c.wsq.len(), "minutiae": c.template.minutiae().len()}));
                    }
                    FingerOutcome::Exception {
                        finger,
                        kind,
                        reason,
                        best,
                    } => {
                        summary.push(
                            json!({"finger": finger.position(), "state": "exception", "exception": kind,
                            "reason": reason, "best_quality": best.as_ref().map(|b| b.quality)}),
                        );
                    }
                }
            }
            println!("{}", serde_json::to_string_pretty(&json!({"fingers": summary}))?);
            Ok(())
        }
    }
}

fn open_scanner(spec: &str) -> Result<Box<dyn FingerprintScanner>> {
    let config = SbiConfig {
        decoders: qafila_capture::desk::decoders_with_wsq(),
        ..SbiConfig::default()
    };
    if spec == "sbi" {
        return Ok(Box::new(SbiScanner::discover(config)?));
    }
    if let Some(port) = spec.strip_prefix("sbi:") {
        let port: u16 = port
            .parse()
            .with_context(|| format!("--scanner {spec}: not a port number"))?;
        let found = qafila_sbi::discover(&SbiConfig {
            ports: port..=port,
            ..config.clone()
        })?;
        let Some(device) = found.first() else {
            bail!("no SBI device answered on port {port}")
        };
        return Ok(Box::new(SbiScanner::for_device(config, device)?));
    }
    let dir = Path::new(spec);
    if dir.is_dir() {
        return Ok(Box::new(qafila_capture::desk::FolderScanner::new(dir)));
    }
    bail!("--scanner {spec}: expected `sbi`, `sbi:PORT` or a folder of images")
}

pub fn scanner(cmd: ScannerCmd) -> Result<()> {
    match cmd {
        ScannerCmd::Simulate(args) => {
            let sim = qafila_sbi::simulator::serve(args.config().map_err(anyhow::Error::msg)?)?;
            println!(
                "SBI fingerprint simulator on http://{} (serial {})",
                sim.addr(),
                sim.serial()
            );
            loop {
                std::thread::park();
            }
        }
        ScannerCmd::Discover => {
            let found = qafila_sbi::discover(&SbiConfig::default())?;
            let list: Vec<_> = found
                .iter()
                .map(|d| json!({"port": d.port, "device_id": d.device_id, "status": format!("{:?}", d.status)}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
            Ok(())
        }
    }
}
