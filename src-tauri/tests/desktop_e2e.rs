//! The real app, end to end: the built `qafila-desktop` binary in a WebKit window under Xvfb,
//! driven through tauri-driver and WebKitWebDriver like an operator would — log in, the whole
//! wizard with the SBI simulator as scanner and a video file as camera, seal — then the sealed
//! record is read back from the encrypted store and the store is searched for plaintext.
//!
//! Needs `Xvfb` (xvfb), `WebKitWebDriver` (webkit2gtk-driver) and `tauri-driver` (cargo install
//! tauri-driver); `scripts/test` installs all three. A missing one fails the test, naming it.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use qafila_store::{InitOptions, Store};
use serde_json::json;
use support::webdriver::Session;

const PASS: &str = "supervisor passphrase";

struct Reaper(Vec<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for c in self.0.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn tool(name: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|p| p.is_file()))
        .unwrap_or_default();
    found.unwrap_or_else(|| panic!("{name} not found on PATH: {package} (scripts/test installs it)"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_port(port: u16, what: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-artifacts");
    let dir = std::env::var_os("QAFILA_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or(dir);
    std::fs::create_dir_all(&dir).expect("artifacts folder");
    dir
}

fn van_store(dir: &Path, camera: &Path) -> PathBuf {
    let store = dir.join("van");
    drop(
        Store::init(
            &store,
            InitOptions {
                van_id: "VAN-E2E".into(),
                operator_id: "SUP-0001".into(),
                passphrase: PASS.into(),
                recovery: None,
                kdf_log_n: 10,
            },
        )
        .expect("van store"),
    );
    let settings = json!({
        "language": "fr",
        "scanner": {"kind": "simulator", "seed": 5},
        "camera": {"kind": "file", "path": camera},
        "centers": [],
        "freeze": {"warn_days": 7, "block_days": 14, "warn_unsynced": 400, "block_unsynced": 500},
        "idle_lock_minutes": 10,
        "receipt_format": "a5"
    });
    std::fs::write(store.join("desktop-settings.json"), settings.to_string()).expect("settings");
    store
}

#[test]
fn an_operator_enrolls_a_citizen_in_the_real_app() {
    let xvfb = tool("Xvfb", "apt-get install xvfb");
    tool("WebKitWebDriver", "apt-get install webkit2gtk-driver");
    let driver = tool("tauri-driver", "cargo install tauri-driver --version ^2 --locked");
    let fixtures = qafila_finger::fixtures_dir();
    let photo = fixtures.join("photos/astronaut.png");
    assert!(
        photo.exists(),
        "fixtures missing in {}: run scripts/fixtures",
        fixtures.display()
    );

    let tmp = tempfile::tempdir().expect("tmp");
    let camera = tmp.path().join("camera.avi");
    qafila_capture::sample::write_sample_video(&photo, &camera, 6).expect("sample video");
    let store = van_store(tmp.path(), &camera);
    let shots = artifacts();

    let mut reaper = Reaper(Vec::new());
    let display = format!(":{}", 90 + (std::process::id() % 200));
    reaper.0.push(
        Command::new(&xvfb)
            .args([&display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb"),
    );
    let port = free_port();
    let native = free_port();
    reaper.0.push(
        Command::new(&driver)
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .env("DISPLAY", &display)
            .env("QAFILA_STORE", &store)
            .env("QAFILA_FIXTURES", &fixtures)
            .stdout(Stdio::null())
            .spawn()
            .expect("tauri-driver"),
    );
    wait_port(port, "tauri-driver");
    let app = PathBuf::from(env!("CARGO_BIN_EXE_qafila-desktop"));
    // tauri-driver listens before WebKitWebDriver behind it is ready: on a loaded machine the first request can be
    // dropped ("error sending request" in CI once), so the session is asked for a few times.
    let mut attempt = 0;
    let s = loop {
        attempt += 1;
        match Session::start(
            &format!("http://127.0.0.1:{port}"),
            json!({"browserName": "wry", "tauri:options": {"application": app}}),
        ) {
            Ok(s) => break s,
            Err(e) if attempt < 5 => {
                eprintln!("WebDriver session, attempt {attempt}: {e}; retrying");
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
            Err(e) => panic!("a WebDriver session on the app after {attempt} attempts: {e}"),
        }
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drive(&s, &shots)));
    if outcome.is_err()
        && let Ok(png) = s.screenshot()
    {
        let _ = std::fs::write(shots.join("failure.png"), png);
    }
    s.end();
    drop(reaper);
    let id = match outcome {
        Ok(id) => id,
        Err(p) => std::panic::resume_unwind(p),
    };

    // The sealed record, read back from the encrypted store.
    let van = Store::open(&store)
        .expect("open")
        .unlock("SUP-0001", PASS)
        .expect("unlock");
    let record = van
        .get(&id.parse().expect("an application id"))
        .expect("the sealed record");
    assert_eq!(record.application.status.name(), "sealed");
    assert_eq!(record.civil.family_name.latin, "AIT OUFKIR");
    assert_eq!(record.civil.family_name.arabic, "آيت أوفقير");
    assert!(
        record.portrait.as_ref().is_some_and(|p| p.quality.ok),
        "an auto-captured portrait"
    );
    assert_eq!(record.fingerprints.len(), 10);
    let impressions = record
        .fingerprints
        .values()
        .filter(|f| matches!(f, qafila_domain::FingerSlot::Impression { .. }))
        .count();
    assert_eq!(impressions, 9, "nine prints and the bandaged finger as an exception");
    assert!(record.consent.is_some_and(|c| c.given));
    assert!(
        van.drafts().expect("drafts").is_empty(),
        "the draft is gone once sealed"
    );
    drop(van);
    for entry in walk(&store) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        for needle in ["AIT OUFKIR", "آيت أوفقير"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in plaintext in {}",
                entry.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn shot(s: &Session, dir: &Path, name: &str) {
    if let Ok(png) = s.screenshot() {
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

const ENTER: &str = "\u{E007}";

/// The operator's path through the window; returns the sealed application id.
fn drive(s: &Session, shots: &Path) -> String {
    let long = Duration::from_secs(240);
    let short = Duration::from_secs(30);
    let pass = s
        .wait("#unlock-passphrase", Duration::from_secs(60))
        .expect("the unlock screen");
    shot(s, shots, "1-unlock");
    s.type_into(&pass, PASS).unwrap();
    s.type_into(&pass, ENTER).unwrap();
    let new = s
        .wait("[data-testid=new-enrollment]", short)
        .expect("home after unlock");
    shot(s, shots, "2-home");
    s.click(&new).unwrap();

    s.wait(".wizard[data-step=kind]", short).expect("kind step");
    s.click(&s.find("input[value=first_card]").unwrap()).unwrap();
    s.click(&s.find("#wizard-next").unwrap()).unwrap();

    s.wait(".wizard[data-step=civil]", short).expect("civil step");
    for (id, text) in [
        ("#f-civil-family_name-latin", "AIT OUFKIR"),
        ("#f-civil-family_name-arabic", "آيت أوفقير"),
        ("#f-civil-given_names-latin", "ITTO"),
        ("#f-civil-given_names-arabic", "إطو"),
        ("#f-civil-father-latin", "MOHA AIT OUFKIR"),
        ("#f-civil-father-arabic", "موحى آيت أوفقير"),
        ("#f-civil-mother-latin", "FADMA ID BELLA"),
        ("#f-civil-mother-arabic", "فاضمة إد بلا"),
        ("#f-civil-birth_date", "1961"),
    ] {
        let e = s.find(id).unwrap_or_else(|e| panic!("{e}"));
        s.type_into(&e, text).unwrap();
    }
    s.click(&s.find("input[name=sex][value=female]").unwrap()).unwrap();
    for (province, commune) in [
        ("#f-civil-birth_place-province", "#f-civil-birth_place-commune"),
        ("#f-civil-address-province", "#f-civil-address-commune"),
    ] {
        let p = s.find(province).unwrap();
        s.type_into(&p, "Haouz").unwrap();
        s.wait(&format!("{province}-list [role=option]"), short)
            .expect("the province list");
        s.type_into(&p, ENTER).unwrap();
        s.type_into(&s.find(commune).unwrap(), "Ighil").unwrap();
    }
    s.type_into(&s.find("#f-civil-address-line").unwrap(), "Douar Tikht")
        .unwrap();
    shot(s, shots, "3-civil");
    s.click(&s.find("#wizard-next").unwrap()).unwrap();

    s.wait(".wizard[data-step=portrait]", short)
        .expect("portrait step (civil data accepted)");
    s.click(&s.find("[data-testid=portrait-start]").unwrap()).unwrap();
    s.wait("[data-testid=portrait-accepted]", long)
        .expect("auto-capture from the video");
    shot(s, shots, "4-portrait");
    s.click(&s.find("#wizard-next").unwrap()).unwrap();

    s.wait(".wizard[data-step=fingers]", short).expect("fingers step");
    s.click(&s.find("#f-fingerprints-7 option[value=bandaged]").unwrap())
        .unwrap();
    let reason = s.wait("#f-fingerprints-7-reason", short).unwrap();
    s.type_into(&reason, "Blessure à l'index gauche").unwrap();
    s.click(&s.find("[data-testid=fingers-start]").unwrap()).unwrap();
    s.wait("[data-testid=fingers-complete]", long)
        .expect("ten prints from the simulator");
    shot(s, shots, "5-fingers");
    s.click(&s.find("#wizard-next").unwrap()).unwrap();

    s.wait(".wizard[data-step=documents]", short).expect("documents step");
    s.click(&s.find("#wizard-next").unwrap()).unwrap();
    s.wait(".wizard[data-step=review]", short).expect("review step");
    s.click(&s.find("#f-consent").unwrap()).unwrap();
    shot(s, shots, "6-review");
    s.click(&s.find("#wizard-next").unwrap()).unwrap();
    s.wait(".wizard[data-step=seal]", short).expect("seal step");
    s.click(&s.find("#wizard-next").unwrap()).unwrap();
    let sealed = s.wait("[data-testid=sealed-id]", short).expect("sealed");
    shot(s, shots, "7-sealed");
    s.text(&sealed).unwrap().trim().to_string()
}
