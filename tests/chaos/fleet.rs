//! The campaign: processes, the fault schedule, the drain, and the summary.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::agent::{self, STOP_FILE};
use crate::check;
use crate::rng::Rng;

/// `qafila-chaos run` flags.
#[derive(Args, Clone, Debug)]
pub struct RunArgs {
    /// Working folder (created; must not exist yet).
    #[arg(long)]
    pub work: PathBuf,
    /// The capture pool made by `scripts/chaos`.
    #[arg(long)]
    pub pool: PathBuf,
    /// Folder holding `qafila-server` and `qafila-faultproxy` (default: beside this binary).
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Number of vans.
    #[arg(long, default_value_t = 80)]
    pub vans: u32,
    /// Minutes of faults before the drain.
    #[arg(long, default_value_t = 3.0)]
    pub minutes: f64,
    /// Mean injected faults per minute (besides the fault proxies' own).
    #[arg(long, default_value_t = 8.0)]
    pub faults_per_minute: f64,
    /// Seconds a partition of the two centers lasts.
    #[arg(long, default_value_t = 30)]
    pub partition_s: u64,
    /// Pause of each van between enrollments, milliseconds.
    #[arg(long, default_value_t = 4000)]
    pub pause_ms: u64,
    /// Seed of the fault schedule.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A label for the summary (e.g. the commit).
    #[arg(long, default_value = "")]
    pub label: String,
    /// Write the summary (Markdown) here as well.
    #[arg(long)]
    pub summary: Option<PathBuf>,
}

/// The top of the summary file: what was run and how to read it.
const SUMMARY_HEADER: &str = "# Chaos campaign: the last full run

Written by `scripts/chaos full` (issue 7): the Rabat and Marrakech centers (`qafila-server`, SQLite), a fault proxy
in front of each (lost requests and answers, duplicates, cut bodies, reordering, delay), a proxy on each replication
link, and 80 vans, each its own `qafila-chaos van` process enrolling synthetic applicants with a portrait from the
file camera and ten prints from the SBI simulator, sealing them and syncing. Faults are drawn from the seed: SIGKILL
of a van (restarted at once) or of a center (down 2 to 15 s), a partition of the centers (their replication links
stopped with SIGSTOP for 120 s), a van's disk filled (its store is on a 48 MB tmpfs, filled for 10 to 40 s), a van
restarted with its clock years off (libfaketime, -3 to +9 years, for 20 to 60 s). Then the faults stop, the vans
drain (send everything, take receipts, purge) and the checks run: every enrollment the vans' stores say they sealed
is at both centers, once, with the same heads at both; every receipt a van holds verifies under its center's key;
every van's journal verifies; no van holds an unpurged enrollment, blob, search token or draft.
`scripts/chaos` (in CI) runs the same for 2 minutes.
";

/// What a fault undoes when its time is up.
enum Undo {
    RestartCenter(usize),
    Heal,
    FreeDisk(usize),
    ClockBack(usize),
}

/// Injected faults by kind, for the summary.
#[derive(Default)]
pub struct FaultCounts {
    pub by_kind: BTreeMap<&'static str, u64>,
}

impl FaultCounts {
    fn log(fleet: &Fleet) -> Result<File> {
        Ok(File::options()
            .create(true)
            .append(true)
            .open(fleet.logs.join("faults.log"))?)
    }
}

impl FaultCounts {
    fn add(&mut self, kind: &'static str, target: &str, log: &mut File) {
        *self.by_kind.entry(kind).or_default() += 1;
        let _ = writeln!(log, "{} {kind} {target}", chrono::Utc::now().to_rfc3339());
    }
}

struct Center {
    id: &'static str,
    config: PathBuf,
    port: u16,
    child: Option<Child>,
}

struct Van {
    id: String,
    dir: PathBuf,
    seed_base: u64,
    child: Option<Child>,
    /// `faketime` offset while its clock is wrong.
    clock: Option<String>,
    filler: Option<PathBuf>,
    drained: bool,
    starts: u32,
    /// Exits on its own with a failure (not killed by the campaign).
    crashes: u32,
}

struct Fleet {
    args: RunArgs,
    bin: PathBuf,
    me: PathBuf,
    centers: Vec<Center>,
    /// Proxies the vans go through, one per center: (port, child).
    van_proxies: Vec<(u16, Option<Child>)>,
    /// Proxies on the replication links (center i pulls from the other through proxy i).
    links: Vec<(u16, Option<Child>)>,
    vans: Vec<Van>,
    tmpfs: bool,
    logs: PathBuf,
}

/// libfaketime's multi-threaded build, from Debian's `libfaketime` package.
fn faketime_library() -> Result<PathBuf> {
    for entry in std::fs::read_dir("/usr/lib")? {
        let candidate = entry?.path().join("faketime/libfaketimeMT.so.1");
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    bail!("libfaketimeMT.so.1 not found under /usr/lib/*/faketime (scripts/setup installs the faketime package)")
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn signal(child: &Child, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status();
}

fn wait_port(port: u16, timeout: Duration) -> Result<()> {
    let until = Instant::now() + timeout;
    while Instant::now() < until {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listens on port {port} after {timeout:?}")
}

impl Fleet {
    fn log(&self, name: &str) -> Result<Stdio> {
        let f = File::options()
            .create(true)
            .append(true)
            .open(self.logs.join(format!("{name}.log")))?;
        Ok(Stdio::from(f))
    }

    fn start_center(&mut self, i: usize) -> Result<()> {
        let c = &self.centers[i];
        let child = Command::new(self.bin.join("qafila-server"))
            .arg("--config")
            .arg(&c.config)
            .arg("serve")
            .env("RUST_LOG", "warn")
            .stdout(self.log(c.id)?)
            .stderr(self.log(c.id)?)
            .spawn()
            .context("starting qafila-server")?;
        let port = c.port;
        self.centers[i].child = Some(child);
        wait_port(port, Duration::from_secs(30))
    }

    fn start_proxy(&self, name: &str, upstream: u16, port: u16, faults: bool, seed: u64) -> Result<Child> {
        let mut cmd = Command::new(self.bin.join("qafila-faultproxy"));
        cmd.args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--upstream", &format!("127.0.0.1:{upstream}")])
            .args(["--seed", &seed.to_string()]);
        if faults {
            // A poor mobile link: lost requests and answers, replays, cut bodies, reordering and delay.
            cmd.args([
                "--drop-request",
                "0.01",
                "--drop-response",
                "0.02",
                "--duplicate",
                "0.02",
            ])
            .args([
                "--cut-request-body",
                "0.01",
                "--cut-response-body",
                "0.01",
                "--reorder",
                "0.02",
            ])
            .args(["--delay-ms", "0-40"]);
        }
        let child = cmd.stdout(self.log(name)?).stderr(self.log(name)?).spawn()?;
        wait_port(port, Duration::from_secs(10))?;
        Ok(child)
    }

    fn start_van(&mut self, i: usize) -> Result<()> {
        let urls: Vec<String> = self
            .van_proxies
            .iter()
            .map(|(p, _)| format!("http://127.0.0.1:{p}"))
            .collect();
        let v = &self.vans[i];
        let mut cmd = Command::new(&self.me);
        if let Some(offset) = &v.clock {
            // libfaketime preloaded into the van itself (the `faketime` wrapper forks, and a SIGKILL sent to it
            // would miss the van). Only the wall clock is wrong: timeouts keep running on the monotonic clock.
            cmd.env("LD_PRELOAD", faketime_library()?)
                .env("FAKETIME", offset)
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        }
        cmd.arg("van")
            .arg("--store")
            .arg(&v.dir)
            .arg("--pool")
            .arg(&self.args.pool)
            .arg("--centers")
            .arg(urls.join(","))
            .args(["--seed-base", &v.seed_base.to_string()])
            .args(["--pause-ms", &self.args.pause_ms.to_string()]);
        let child = cmd.stdout(self.log(&v.id)?).stderr(self.log(&v.id)?).spawn()?;
        let v = &mut self.vans[i];
        v.child = Some(child);
        v.starts += 1;
        Ok(())
    }

    fn kill_van(&mut self, i: usize) {
        if let Some(mut c) = self.vans[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Restarts vans that exited: drained ones stay down; others count a crash if they failed on their own.
    fn tend_vans(&mut self) -> Result<()> {
        for i in 0..self.vans.len() {
            let status = match self.vans[i].child.as_mut() {
                Some(c) => c.try_wait()?,
                None => continue,
            };
            if let Some(status) = status {
                self.vans[i].child = None;
                if status.success() {
                    self.vans[i].drained = true;
                } else {
                    self.vans[i].crashes += 1;
                    self.start_van(i)?;
                }
            }
        }
        Ok(())
    }

    fn fill_disk(&self, i: usize) -> Result<PathBuf> {
        let path = self.vans[i].dir.join("filler");
        let mut f = File::create(&path)?;
        let chunk = vec![0u8; 1 << 20];
        // Until the file system refuses: the van's next write meets a full disk.
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
        Ok(path)
    }
}

/// Runs the campaign; the exit code is failure when anything was lost, duplicated or left behind.
pub fn run(args: RunArgs) -> Result<ExitCode> {
    let me = std::env::current_exe()?;
    let bin = match &args.bin_dir {
        Some(d) => d.clone(),
        None => me.parent().context("binary folder")?.to_path_buf(),
    };
    if args.work.exists() {
        bail!("--work {}: must not exist yet", args.work.display());
    }
    let logs = args.work.join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut rng = Rng::new(args.seed);
    let started = Instant::now();
    let mut fleet = Fleet {
        args: args.clone(),
        bin,
        me,
        centers: Vec::new(),
        van_proxies: Vec::new(),
        links: Vec::new(),
        vans: Vec::new(),
        tmpfs: false,
        logs,
    };
    let result = campaign(&mut fleet, &mut rng, started);
    // Whatever happened, leave no process behind and no tmpfs mounted.
    for v in 0..fleet.vans.len() {
        fleet.kill_van(v);
    }
    for c in &mut fleet.centers {
        if let Some(mut ch) = c.child.take() {
            let _ = ch.kill();
            let _ = ch.wait();
        }
    }
    for (_, p) in fleet.van_proxies.iter_mut().chain(fleet.links.iter_mut()) {
        if let Some(mut ch) = p.take() {
            signal(&ch, "CONT");
            let _ = ch.kill();
            let _ = ch.wait();
        }
    }
    if fleet.tmpfs {
        let passed = matches!(&result, Ok(code) if *code == ExitCode::SUCCESS);
        for v in &fleet.vans {
            if !passed {
                // The stores live in RAM: keep a copy of each for the post-mortem before unmounting.
                let kept = fleet.args.work.join("kept").join(&v.id);
                if std::fs::create_dir_all(&kept).is_ok() {
                    for f in std::fs::read_dir(&v.dir).into_iter().flatten().flatten() {
                        if f.file_name() != "filler" {
                            let _ = std::fs::copy(f.path(), kept.join(f.file_name()));
                        }
                    }
                }
            }
            if let Some(mount) = v.dir.parent() {
                let _ = Command::new("umount").arg(mount).status();
            }
        }
    }
    result
}

fn campaign(fleet: &mut Fleet, rng: &mut Rng, started: Instant) -> Result<ExitCode> {
    let args = fleet.args.clone();
    println!(
        "chaos: {} vans, {:.1} min of faults (about {:.0} a minute), seed {}",
        args.vans, args.minutes, args.faults_per_minute, args.seed
    );
    let centers = setup_centers(fleet)?;
    setup_vans(fleet, &centers)?;
    for i in 0..fleet.centers.len() {
        fleet.start_center(i)?;
    }
    for (i, c) in ["rabat", "marrakech"].iter().enumerate() {
        let port = fleet.van_proxies[i].0;
        let upstream = fleet.centers[i].port;
        fleet.van_proxies[i].1 =
            Some(fleet.start_proxy(&format!("proxy-{c}"), upstream, port, true, args.seed + i as u64)?);
        let other = fleet.centers[1 - i].port;
        let link = fleet.links[i].0;
        fleet.links[i].1 =
            Some(fleet.start_proxy(&format!("link-to-{}", fleet.centers[1 - i].id), other, link, false, 0)?);
    }
    for i in 0..fleet.vans.len() {
        fleet.start_van(i)?;
    }
    println!(
        "chaos: fleet up in {:.1} s (vans' disks on tmpfs: {})",
        started.elapsed().as_secs_f64(),
        if fleet.tmpfs {
            "yes"
        } else {
            "no: not root, no disk-full faults"
        }
    );

    let mut faults = FaultCounts::default();
    let mut pending: Vec<(Instant, Undo)> = Vec::new();
    let mut partitioned = false;
    let end = Instant::now() + Duration::from_secs_f64(args.minutes * 60.0);
    let mean_gap = 60.0 / args.faults_per_minute.max(0.01);
    let mut next_fault = Instant::now() + Duration::from_secs_f64(mean_gap * rng.unit() * 2.0);
    let mut last_report = Instant::now();
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(200));
        fleet.tend_vans()?;
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(at, _)| *at <= now);
        pending = later;
        for (_, undo) in due {
            undo_fault(fleet, undo, &mut partitioned)?;
        }
        if now >= next_fault {
            inject(fleet, rng, &mut faults, &mut pending, &mut partitioned)?;
            next_fault = now + Duration::from_secs_f64(mean_gap * rng.unit() * 2.0);
        }
        if last_report.elapsed() >= Duration::from_secs(30) {
            last_report = Instant::now();
            let injected: u64 = faults.by_kind.values().sum();
            println!(
                "chaos: {:>5.0} s, {injected} faults injected, {} vans running",
                started.elapsed().as_secs_f64(),
                fleet.vans.iter().filter(|v| v.child.is_some()).count()
            );
        }
    }

    println!("chaos: faults stop; healing and draining the fleet");
    for (_, undo) in pending.drain(..) {
        undo_fault(fleet, undo, &mut partitioned)?;
    }
    for v in &fleet.vans {
        File::create(v.dir.join(STOP_FILE))?;
    }
    let drain_by = Instant::now() + Duration::from_secs(600);
    while fleet.vans.iter().any(|v| !v.drained) && Instant::now() < drain_by {
        std::thread::sleep(Duration::from_millis(500));
        fleet.tend_vans()?;
    }
    let undrained: Vec<String> = fleet.vans.iter().filter(|v| !v.drained).map(|v| v.id.clone()).collect();
    println!(
        "chaos: {} of {} vans drained in {:.0} s",
        fleet.vans.len() - undrained.len(),
        fleet.vans.len(),
        started.elapsed().as_secs_f64()
    );

    // The proxies' own counts, then the checks against the stores and databases.
    let mut proxy_faults: BTreeMap<String, u64> = BTreeMap::new();
    for (i, (_, p)) in fleet.van_proxies.iter_mut().enumerate() {
        if let Some(mut ch) = p.take() {
            signal(&ch, "INT");
            let _ = ch.wait();
            let name = if i == 0 { "proxy-rabat" } else { "proxy-marrakech" };
            let text = std::fs::read_to_string(fleet.logs.join(format!("{name}.log")))?;
            for line in text.lines() {
                let mut w = line.split_whitespace();
                if let (Some(k), Some(v)) = (w.next(), w.next().and_then(|v| v.parse::<u64>().ok()))
                    && !matches!(k, "requests" | "bytes_up" | "bytes_down")
                {
                    *proxy_faults.entry(k.to_owned()).or_default() += v;
                }
            }
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let centers_view: Vec<check::CenterView> = fleet
        .centers
        .iter()
        .map(|c| check::CenterView {
            id: c.id,
            config: c.config.clone(),
        })
        .collect();
    let vans: Vec<(String, PathBuf)> = fleet.vans.iter().map(|v| (v.id.clone(), v.dir.clone())).collect();
    let report = rt.block_on(check::converge_and_check(
        &centers_view,
        &vans,
        Duration::from_secs(300),
    ))?;
    let crashes: u32 = fleet.vans.iter().map(|v| v.crashes).sum();
    let summary = check::summary(&check::SummaryInput {
        vans: fleet.vans.len(),
        label: &args.label,
        minutes: args.minutes,
        seed: args.seed,
        elapsed: started.elapsed(),
        faults: &faults.by_kind,
        proxy_faults: &proxy_faults,
        undrained: &undrained,
        van_crashes: crashes,
        report: &report,
    });
    println!("{summary}");
    if let Some(path) = &args.summary {
        std::fs::write(path, format!("{SUMMARY_HEADER}\n{summary}"))?;
    }
    Ok(if report.ok() && undrained.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn setup_centers(fleet: &mut Fleet) -> Result<Vec<(String, String, String)>> {
    let mut public = Vec::new();
    for id in ["rabat", "marrakech"] {
        let data_dir = fleet.args.work.join(id);
        let config = data_dir.join("server.toml");
        let port = free_port()?;
        let out = Command::new(fleet.bin.join("qafila-server"))
            .arg("--config")
            .arg(&config)
            .args(["init", "--center", id, "--data-dir"])
            .arg(&data_dir)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .output()?;
        if !out.status.success() {
            bail!("qafila-server init {id}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let info: serde_json::Value = serde_json::from_slice(&out.stdout).context("qafila-server init output")?;
        let field = |k: &str| {
            info[k]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("init output: {k}"))
        };
        public.push((id.to_owned(), field("verifying_key")?, field("recipient")?));
        fleet.centers.push(Center {
            id,
            config,
            port,
            child: None,
        });
        fleet.van_proxies.push((free_port()?, None));
        fleet.links.push((free_port()?, None));
    }
    for i in 0..2 {
        let other = &public[1 - i];
        let mut cfg = qafila_server::config::Config::load(&fleet.centers[i].config)?;
        cfg.peers = vec![qafila_server::config::Peer {
            id: other.0.clone(),
            url: format!("http://127.0.0.1:{}", fleet.links[i].0),
            verifying_key: other.1.clone(),
            recipient: other.2.clone(),
            ca: None,
        }];
        cfg.replicate_every_s = 3;
        std::fs::write(&fleet.centers[i].config, toml::to_string(&cfg)?)?;
    }
    Ok(public)
}

fn setup_vans(fleet: &mut Fleet, centers: &[(String, String, String)]) -> Result<()> {
    let root = std::process::Command::new("id").arg("-u").output()?.stdout == b"0\n";
    let mut registrations = Vec::new();
    for n in 1..=fleet.args.vans {
        let id = format!("VAN-{n:03}");
        let dir = fleet.args.work.join("vans").join(&id);
        std::fs::create_dir_all(&dir)?;
        if root {
            let ok = Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=48m", "tmpfs"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            if n == 1 {
                fleet.tmpfs = ok;
            } else if ok != fleet.tmpfs {
                bail!("mounting a tmpfs for {id} did not go like the first van's");
            }
        }
        let keys = agent::init_store(&dir.join("store"), &id, centers)?;
        registrations.push((id.clone(), keys));
        fleet.vans.push(Van {
            id,
            dir: dir.join("store"),
            seed_base: u64::from(n) * 1_000_000,
            child: None,
            clock: None,
            filler: None,
            drained: false,
            starts: 0,
            crashes: 0,
        });
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    for c in &fleet.centers {
        rt.block_on(check::register_vans(&c.config, &registrations))?;
    }
    Ok(())
}

fn inject(
    fleet: &mut Fleet,
    rng: &mut Rng,
    faults: &mut FaultCounts,
    pending: &mut Vec<(Instant, Undo)>,
    partitioned: &mut bool,
) -> Result<()> {
    let mut log = FaultCounts::log(fleet)?;
    let roll = rng.range(0, 99);
    let van = rng.range(0, fleet.vans.len() as u64 - 1) as usize;
    let busy =
        |f: &Fleet, v: usize| f.vans[v].child.is_none() || f.vans[v].clock.is_some() || f.vans[v].filler.is_some();
    match roll {
        0..=39 if fleet.vans[van].child.is_some() => {
            fleet.kill_van(van);
            fleet.start_van(van)?;
            faults.add("SIGKILL van", &fleet.vans[van].id, &mut log);
        }
        40..=54 => {
            let i = rng.range(0, 1) as usize;
            if let Some(mut c) = fleet.centers[i].child.take() {
                let _ = c.kill();
                let _ = c.wait();
                faults.add("SIGKILL center", fleet.centers[i].id, &mut log);
                pending.push((
                    Instant::now() + Duration::from_secs(rng.range(2, 15)),
                    Undo::RestartCenter(i),
                ));
            }
        }
        55..=64 if !*partitioned => {
            for (_, p) in &fleet.links {
                if let Some(ch) = p {
                    // Stopped, not killed: packets vanish and replication requests hang, as on a cut link.
                    signal(ch, "STOP");
                }
            }
            *partitioned = true;
            faults.add("partition centers", "rabat-marrakech", &mut log);
            pending.push((Instant::now() + Duration::from_secs(fleet.args.partition_s), Undo::Heal));
        }
        65..=79 if fleet.tmpfs && !busy(fleet, van) => {
            let filler = fleet.fill_disk(van)?;
            fleet.vans[van].filler = Some(filler);
            faults.add("van disk full", &fleet.vans[van].id, &mut log);
            pending.push((
                Instant::now() + Duration::from_secs(rng.range(10, 40)),
                Undo::FreeDisk(van),
            ));
        }
        80..=99 if !busy(fleet, van) => {
            let years = [-3i64, 2, 5, 9][rng.range(0, 3) as usize];
            fleet.vans[van].clock = Some(format!("{years:+}y"));
            fleet.kill_van(van);
            fleet.start_van(van)?;
            faults.add(
                "van clock years off",
                &format!("{} {years:+}y", fleet.vans[van].id),
                &mut log,
            );
            pending.push((
                Instant::now() + Duration::from_secs(rng.range(20, 60)),
                Undo::ClockBack(van),
            ));
        }
        _ => {
            // The draw fell on something not possible now (a van already faulted): kill a van instead.
            if fleet.vans[van].child.is_some() {
                fleet.kill_van(van);
                fleet.start_van(van)?;
                faults.add("SIGKILL van", &fleet.vans[van].id, &mut log);
            }
        }
    }
    Ok(())
}

fn undo_fault(fleet: &mut Fleet, undo: Undo, partitioned: &mut bool) -> Result<()> {
    match undo {
        Undo::RestartCenter(i) => fleet.start_center(i)?,
        Undo::Heal => {
            for (_, p) in &fleet.links {
                if let Some(ch) = p {
                    signal(ch, "CONT");
                }
            }
            *partitioned = false;
        }
        Undo::FreeDisk(v) => {
            if let Some(f) = fleet.vans[v].filler.take() {
                std::fs::remove_file(f)?;
            }
        }
        Undo::ClockBack(v) => {
            fleet.vans[v].clock = None;
            if fleet.vans[v].child.is_some() {
                fleet.kill_van(v);
                fleet.start_van(v)?;
            }
        }
    }
    Ok(())
}
