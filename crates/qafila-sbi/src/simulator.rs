//! An SBI fingerprint device over real HTTP on 127.0.0.1, for tests and demos: discovery, device info and
//! registration capture of synthetic (or supplied) fingerprints, signed with an Ed25519 key derived from the seed.
//!
//! Faults can be set at start ([`SimConfig::fault`], a fault for every capture) or changed while it runs through
//! the [`Simulator`] handle: [`Simulator::inject_next`] queues faults for the next captures, and latency, quality and
//! failure rate can be changed between requests. Faults apply to `RCAPTURE` only; discovery and device info always
//! answer, as a real service does when the sensor misbehaves.
//!
//! Error codes it sends: 101 unable to detect a biometric (random failures), 109 fingers not supported,
//! 500 invalid request, 501 invalid biometric type, 701 capture timed out (latency beyond the request's timeout).

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::finger::{Finger, Slap};
use crate::http::{self, HttpError, Request};
use crate::image::GrayImage;
use crate::iso19794_4::{self, Compression, RecordMeta};
use crate::jws;
use crate::protocol::{self, FINGER, REGISTRATION, SPEC_VERSION};
use crate::rng::Rng;
use crate::synth::{self, MasterPrint, Placement};

/// A misbehaviour of the simulated device during a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Read the request and never answer (until the client gives up and closes).
    Hang,
    /// Answer with this SBI error code and info.
    DeviceError {
        /// SBI `errorCode`.
        code: String,
        /// SBI `errorInfo`.
        info: String,
    },
    /// Answer with a body that is not valid JSON (the real reply cut in half).
    MalformedJson,
    /// Answer valid JSON with `biometrics[0].data` a number instead of a JWS string.
    WrongFieldType,
    /// Send the headers and half the body, then close the connection.
    Disconnect,
    /// Alter the signed payload of the first biometric after signing (its quality score), keeping the signature.
    TamperSignature,
}

impl Fault {
    /// A device error fault.
    pub fn error(code: &str, info: &str) -> Fault {
        Fault::DeviceError {
            code: code.to_string(),
            info: info.to_string(),
        }
    }
}

/// How the simulated device behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The simulated person (and the device key and serial number).
    pub seed: u64,
    /// Image quality 0–100 of synthetic captures.
    pub quality: u8,
    /// How long a capture takes (the person placing the hand).
    pub latency: Duration,
    /// Probability (0–1) that a capture fails with error 101.
    pub fail_rate: f64,
    /// A fault for every capture.
    pub fault: Option<Fault>,
    /// Serve PNG files from this folder instead of synthetic prints (named by finger, else in turn).
    pub images: Option<PathBuf>,
    /// How images are stored in the ISO records: uncompressed (0) or PNG (6).
    pub compression: Compression,
    /// The SBI device id.
    pub device_id: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            seed: 1,
            quality: 80,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            fault: None,
            images: None,
            compression: Compression::UNCOMPRESSED,
            device_id: "1".into(),
        }
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The image folder could not be used.
    #[error("image folder {path}: {detail}")]
    Images {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The compression asked for cannot be produced.
    #[error("the simulator cannot write {0} images")]
    Compression(&'static str),
}

/// A running simulator; stops when dropped.
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    stop: AtomicBool,
    controls: Mutex<Controls>,
    key: SigningKey,
    seed: u64,
    device_id: String,
    serial: String,
    device_code: String,
    port: u16,
    compression: Compression,
    images: Vec<(String, GrayImage)>,
    masters: Mutex<HashMap<Finger, Arc<MasterPrint>>>,
    captures: AtomicU64,
}

struct Controls {
    quality: u8,
    latency: Duration,
    fail_rate: f64,
    persistent: Option<Fault>,
    queue: VecDeque<Fault>,
    rng: Rng,
}

/// Starts a simulator on 127.0.0.1 as `config` says.
pub fn serve(config: SimConfig) -> Result<Simulator, SimError> {
    if config.compression != Compression::UNCOMPRESSED && config.compression != Compression::PNG {
        return Err(SimError::Compression(config.compression.name()));
    }
    let images = match &config.images {
        Some(dir) => load_images(dir)?,
        None => Vec::new(),
    };
    let listener = TcpListener::bind(("127.0.0.1", config.port)).map_err(|source| SimError::Bind {
        port: config.port,
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        port: config.port,
        source,
    })?;
    let key_seed: [u8; 32] = Sha256::new()
        .chain_update(b"qafila-sbi-sim device key")
        .chain_update(config.seed.to_be_bytes())
        .finalize()
        .into();
    let key = SigningKey::from_bytes(&key_seed);
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        controls: Mutex::new(Controls {
            quality: config.quality.min(100),
            latency: config.latency,
            fail_rate: config.fail_rate.clamp(0.0, 1.0),
            persistent: config.fault.clone(),
            queue: VecDeque::new(),
            rng: Rng::derive(config.seed, "faults", 0),
        }),
        device_code: format!("QAFSIM-{}", hex::encode_upper(&key.verifying_key().as_bytes()[..6])),
        key,
        seed: config.seed,
        device_id: config.device_id.clone(),
        serial: format!("{:012}", config.seed % 1_000_000_000_000),
        port: addr.port(),
        compression: config.compression,
        images,
        masters: Mutex::new(HashMap::new()),
        captures: AtomicU64::new(0),
    });
    let accepting = Arc::clone(&shared);
    let acceptor = std::thread::Builder::new()
        .name(format!("sbi-sim-{}", addr.port()))
        .spawn(move || accept_loop(listener, accepting))
        .map_err(|source| SimError::Bind {
            port: config.port,
            source,
        })?;
    tracing::info!(%addr, seed = config.seed, "SBI simulator listening");
    Ok(Simulator {
        addr,
        shared,
        acceptor: Some(acceptor),
    })
}

impl Simulator {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Its device public key (Ed25519), to pin in a client.
    pub fn public_key(&self) -> [u8; 32] {
        self.shared.key.verifying_key().to_bytes()
    }

    /// Its serial number.
    pub fn serial(&self) -> &str {
        &self.shared.serial
    }

    /// Makes the next capture misbehave (faults queue up, one per capture, before the persistent one).
    pub fn inject_next(&self, fault: Fault) {
        self.shared.controls().queue.push_back(fault);
    }

    /// Sets or clears the fault every capture gets.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.shared.controls().persistent = fault;
    }

    /// Sets the quality of the next synthetic captures.
    pub fn set_quality(&self, quality: u8) {
        self.shared.controls().quality = quality.min(100);
    }

    /// Sets how long the next captures take.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.controls().latency = latency;
    }

    /// Sets the probability of a random capture failure.
    pub fn set_fail_rate(&self, rate: f64) {
        self.shared.controls().fail_rate = rate.clamp(0.0, 1.0);
    }

    /// How many RCAPTURE requests it has received.
    pub fn captures(&self) -> u64 {
        self.shared.captures.load(Ordering::Relaxed)
    }

    /// Stops listening and releases any hanging connection.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn controls(&self) -> MutexGuard<'_, Controls> {
        self.controls.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleeps `d`, or less if the simulator stops.
    fn nap(&self, d: Duration) {
        let end = Instant::now() + d;
        while !self.stopping() {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(20)));
        }
    }

    fn digital_id(&self) -> Value {
        json!({
            "serialNo": self.serial,
            "make": "Qafila",
            "model": "SBI-SIM-442",
            "type": FINGER,
            "deviceSubType": "Slap",
            "deviceProvider": "Qafila Simulator",
            "deviceProviderId": "QAFILA-SIM",
            "dateTime": protocol::timestamp(),
        })
    }

    fn device_fields(&self) -> Value {
        json!({
            "deviceId": self.device_id,
            "deviceStatus": "Ready",
            "certification": "L0",
            "serviceVersion": env!("CARGO_PKG_VERSION"),
            "deviceSubId": ["1", "2", "3"],
            "callbackId": format!("http://127.0.0.1:{}/", self.port),
            "deviceCode": self.device_code,
            "specVersion": [SPEC_VERSION],
            "purpose": REGISTRATION,
        })
    }

    fn master(&self, finger: Finger) -> Arc<MasterPrint> {
        if let Some(m) = self.masters.lock().unwrap_or_else(|e| e.into_inner()).get(&finger) {
            return Arc::clone(m);
        }
        // Grown outside the lock so other fingers are grown meanwhile; a rare duplicate is only wasted work.
        let m = Arc::new(synth::master(self.seed, finger));
        self.masters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(finger)
            .or_insert(m)
            .clone()
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping() {
            break;
        }
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new().name("sbi-sim-conn".into()).spawn(move || {
            if let Err(e) = handle(&shared, stream) {
                tracing::debug!(error = %e, "simulator connection ended with an error");
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "simulator cannot start a connection thread");
        }
    }
}

fn handle(shared: &Shared, mut stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let _ = stream.set_nodelay(true);
    let request = match http::read_request(&mut stream) {
        Ok(r) => r,
        Err(HttpError::Closed | HttpError::Io(_)) => return Ok(()),
        Err(e @ HttpError::TooLarge(_)) => return reply(&mut stream, 413, &json!({"error": e.to_string()})),
        Err(e) => return reply(&mut stream, 400, &json!({"error": e.to_string()})),
    };
    let body: Option<Value> = serde_json::from_slice(&request.body).ok();
    match request.method.as_str() {
        "OPTIONS" => http::write_response(&mut stream, 200, b""),
        "MOSIPDISC" => {
            let kind = body
                .as_ref()
                .and_then(|b| b.get("type"))
                .and_then(Value::as_str)
                .unwrap_or(FINGER);
            let wanted = kind.eq_ignore_ascii_case(FINGER) || kind.eq_ignore_ascii_case("Biometric Device");
            let mut device = shared.device_fields();
            device["digitalId"] = json!(URL_SAFE_NO_PAD.encode(shared.digital_id().to_string()));
            device["error"] = sbi_error(protocol::OK, "Success");
            reply(&mut stream, 200, &if wanted { json!([device]) } else { json!([]) })
        }
        "MOSIPDINFO" => {
            let mut info = shared.device_fields();
            info["digitalId"] = json!(jws::sign(&shared.key, shared.digital_id().to_string().as_bytes()));
            info["firmware"] = json!("sim-1.0");
            info["env"] = json!("Staging");
            let signed = jws::sign(&shared.key, info.to_string().as_bytes());
            reply(
                &mut stream,
                200,
                &json!([{"deviceInfo": signed, "error": sbi_error(protocol::OK, "Success")}]),
            )
        }
        "RCAPTURE" => rcapture(shared, &request, body, stream),
        "CAPTURE" => reply(
            &mut stream,
            200,
            &error_reply(
                protocol::UNSUPPORTED_REQUEST,
                "authentication capture is not simulated; use RCAPTURE",
            ),
        ),
        _ => reply(
            &mut stream,
            405,
            &json!({"error": format!("method {} not supported", request.method)}),
        ),
    }
}

fn rcapture(shared: &Shared, request: &Request, body: Option<Value>, mut stream: TcpStream) -> io::Result<()> {
    let capture_no = shared.captures.fetch_add(1, Ordering::Relaxed);
    let Some(body) = body else {
        return reply(
            &mut stream,
            200,
            &error_reply(protocol::INVALID_REQUEST, "request body is not JSON"),
        );
    };
    let parsed = match CaptureAsk::parse(&body) {
        Ok(p) => p,
        Err((code, info)) => return reply(&mut stream, 200, &error_reply(code, &info)),
    };
    let (fault, quality, latency) = {
        let mut c = shared.controls();
        let fault = c.queue.pop_front().or_else(|| c.persistent.clone());
        let fail_rate = c.fail_rate;
        let fault = fault.or_else(|| {
            (f64::from(c.rng.unit()) < fail_rate)
                .then(|| Fault::error(protocol::NO_BIOMETRIC, "Unable to detect a biometric object"))
        });
        (fault, c.quality, c.latency)
    };
    tracing::debug!(target = %request.target, capture_no, ?fault, fingers = ?parsed.fingers, "RCAPTURE");
    match fault {
        Some(Fault::Hang) => return hang(shared, &mut stream),
        Some(Fault::DeviceError { code, info }) => return reply(&mut stream, 200, &error_reply(&code, &info)),
        _ => {}
    }
    if latency > parsed.timeout {
        shared.nap(parsed.timeout);
        return reply(
            &mut stream,
            200,
            &error_reply(protocol::CAPTURE_TIMEOUT, "Capture Timed Out"),
        );
    }
    shared.nap(latency);
    if shared.stopping() {
        return Ok(());
    }

    let images = capture_images(shared, &parsed.fingers, capture_no, quality);
    let digital_id = jws::sign(&shared.key, shared.digital_id().to_string().as_bytes());
    let mut chain = parsed.previous_hash.clone();
    let mut items = Vec::new();
    for (finger, (image, score)) in parsed.fingers.iter().zip(images) {
        let meta = RecordMeta {
            position: finger.position(),
            quality: score,
            impression_type: 0,
        };
        let record = match iso19794_4::encode(&image, meta, shared.compression) {
            Ok(r) => r,
            Err(e) => {
                return reply(
                    &mut stream,
                    200,
                    &error_reply("102", &format!("image encoding failed: {e}")),
                );
            }
        };
        let payload = json!({
            "digitalId": digital_id,
            "deviceCode": shared.device_code,
            "deviceServiceVersion": env!("CARGO_PKG_VERSION"),
            "bioType": FINGER,
            "bioSubType": finger.bio_sub_type(),
            "purpose": REGISTRATION,
            "env": parsed.env,
            "bioValue": URL_SAFE_NO_PAD.encode(&record),
            "transactionId": parsed.transaction_id,
            "timestamp": protocol::timestamp(),
            "requestedScore": parsed.requested_score,
            "qualityScore": score,
        });
        chain = protocol::chain_hash(&chain, &record);
        items.push(json!({
            "specVersion": SPEC_VERSION,
            "data": jws::sign(&shared.key, payload.to_string().as_bytes()),
            "hash": chain,
            "error": sbi_error(protocol::OK, "Success"),
        }));
    }
    let mut reply_body = json!({"biometrics": items});
    match fault {
        Some(Fault::WrongFieldType) => reply_body["biometrics"][0]["data"] = json!(12345),
        Some(Fault::TamperSignature) => {
            if let Some(data) = reply_body["biometrics"][0]["data"].as_str() {
                reply_body["biometrics"][0]["data"] = json!(tamper(data));
            }
        }
        _ => {}
    }
    let bytes = reply_body.to_string().into_bytes();
    match fault {
        Some(Fault::MalformedJson) => http::write_response(&mut stream, 200, &bytes[..bytes.len() / 2]),
        Some(Fault::Disconnect) => {
            stream.write_all(&http::response_head(200, bytes.len()))?;
            stream.write_all(&bytes[..bytes.len() / 2])?;
            stream.flush()?;
            stream.shutdown(Shutdown::Both)
        }
        _ => http::write_response(&mut stream, 200, &bytes),
    }
}

/// What an RCAPTURE request asks for.
struct CaptureAsk {
    fingers: Vec<Finger>,
    timeout: Duration,
    transaction_id: String,
    previous_hash: String,
    requested_score: u8,
    env: String,
}

impl CaptureAsk {
    fn parse(body: &Value) -> Result<CaptureAsk, (&'static str, String)> {
        let invalid = |what: &str| (protocol::INVALID_REQUEST, what.to_string());
        let bio = body
            .get("bio")
            .and_then(Value::as_array)
            .and_then(|b| b.iter().find(|x| x.get("type").and_then(Value::as_str) == Some(FINGER)))
            .ok_or((protocol::INVALID_TYPE, "no bio entry of type Finger".to_string()))?;
        let names = |key: &str| -> Result<Vec<Finger>, (&'static str, String)> {
            let list = bio
                .get(key)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            list.iter()
                .map(|n| {
                    n.as_str().and_then(Finger::from_bio_sub_type).ok_or_else(|| {
                        (
                            protocol::UNSUPPORTED_REQUEST,
                            format!("{key} {n} is not a finger this device captures"),
                        )
                    })
                })
                .collect()
        };
        let exceptions = names("exception")?;
        let sub_id = number(bio.get("deviceSubId")).unwrap_or(0.0) as u8;
        let segment = Slap::from_device_sub_id(sub_id);
        let mut fingers = names("bioSubType")?;
        if fingers.is_empty() {
            fingers = segment.map(|s| s.fingers().to_vec()).unwrap_or_default();
        }
        fingers.retain(|f| !exceptions.contains(f));
        if fingers.is_empty() {
            return Err((protocol::UNSUPPORTED_REQUEST, "no finger to capture".into()));
        }
        if let Some(s) = segment
            && let Some(f) = fingers.iter().find(|f| f.slap() != s)
        {
            return Err((
                protocol::UNSUPPORTED_REQUEST,
                format!("{f} is not on deviceSubId {sub_id}"),
            ));
        }
        let timeout_ms = number(body.get("timeout")).ok_or_else(|| invalid("timeout missing or not a number"))?;
        Ok(CaptureAsk {
            fingers,
            timeout: Duration::from_millis(timeout_ms.clamp(0.0, 600_000.0) as u64),
            transaction_id: body
                .get("transactionId")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("transactionId missing"))?
                .to_string(),
            previous_hash: bio
                .get("previousHash")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            requested_score: number(bio.get("requestedScore")).unwrap_or(0.0).clamp(0.0, 100.0) as u8,
            env: body.get("env").and_then(Value::as_str).unwrap_or("Staging").to_string(),
        })
    }
}

/// A JSON number or a string holding one.
fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn capture_images(shared: &Shared, fingers: &[Finger], capture_no: u64, quality: u8) -> Vec<(GrayImage, u8)> {
    if !shared.images.is_empty() {
        let mut rng = Rng::derive(shared.seed, "served image score", capture_no);
        return fingers
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let image = pick_image(&shared.images, *f, capture_no as usize * fingers.len() + i);
                let score = (f32::from(quality) + rng.range(-4.0, 4.0)).round().clamp(0.0, 100.0) as u8;
                (image, score)
            })
            .collect();
    }
    // Fingers of a slap are rendered side by side: the device returns them together.
    std::thread::scope(|s| {
        let handles: Vec<_> = fingers
            .iter()
            .map(|&finger| {
                s.spawn(move || {
                    let master = shared.master(finger);
                    let capture_seed =
                        Rng::derive(shared.seed, "capture", capture_no << 4 | u64::from(finger.position())).next_u64();
                    synth::render(&master, &Placement::random(capture_seed), quality, capture_seed)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    (
                        GrayImage {
                            width: 0,
                            height: 0,
                            ppi: synth::PPI,
                            pixels: vec![],
                        },
                        0,
                    )
                })
            })
            .collect()
    })
}

fn pick_image(images: &[(String, GrayImage)], finger: Finger, turn: usize) -> GrayImage {
    let names = [
        finger.position().to_string(),
        squash(finger.bio_sub_type()),
        squash(&format!("{finger:?}")),
    ];
    images
        .iter()
        .find(|(stem, _)| names.contains(stem))
        .map(|(_, image)| image.clone())
        .unwrap_or_else(|| images[turn % images.len()].1.clone())
}

fn load_images(dir: &Path) -> Result<Vec<(String, GrayImage)>, SimError> {
    let fail = |detail: String| SimError::Images {
        path: dir.to_path_buf(),
        detail,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| fail(e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("png")))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(fail("holds no .png file".into()));
    }
    paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).map_err(|e| fail(format!("{}: {e}", p.display())))?;
            let image = GrayImage::from_png(&bytes, synth::PPI).map_err(|e| fail(format!("{}: {e}", p.display())))?;
            if image.width > u32::from(u16::MAX) || image.height > u32::from(u16::MAX) {
                return Err(fail(format!("{}: too large for an ISO record", p.display())));
            }
            let stem = p.file_stem().map(|s| squash(&s.to_string_lossy())).unwrap_or_default();
            Ok((stem, image))
        })
        .collect()
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Changes the payload of a compact JWS without re-signing it.
fn tamper(compact: &str) -> String {
    let parts: Vec<&str> = compact.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return compact.to_string();
    };
    let mut value: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|p| serde_json::from_slice(&p).ok())
        .unwrap_or(Value::Null);
    value["qualityScore"] = json!(100);
    format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(value.to_string()))
}

/// Holds the connection open without answering until the client closes it or the simulator stops.
fn hang(shared: &Shared, stream: &mut TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    let mut buf = [0u8; 256];
    while !shared.stopping() {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

fn sbi_error(code: &str, info: &str) -> Value {
    json!({"errorCode": code, "errorInfo": info})
}

fn error_reply(code: &str, info: &str) -> Value {
    json!({"biometrics": [{"specVersion": SPEC_VERSION, "data": "", "hash": "", "error": sbi_error(code, info)}]})
}

fn reply(stream: &mut TcpStream, status: u16, body: &Value) -> io::Result<()> {
    http::write_response(stream, status, body.to_string().as_bytes())
}
