//! `qafila-server`: the issuance-center sync server and its administration commands.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use qafila_server::backup::{self, Storage};
use qafila_server::center::Center;
use qafila_server::config::{Config, Routing};
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;

#[derive(Parser)]
#[command(name = "qafila-server", version, about = "Qafila issuance-center sync server")]
struct Cli {
    /// The configuration file.
    #[arg(
        long,
        global = true,
        env = "QAFILA_SERVER_CONFIG",
        default_value = "/etc/qafila/server.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a center: its keys and a configuration file (prints the public keys vans need).
    Init {
        /// Center id: rabat or marrakech.
        #[arg(long)]
        center: String,
        /// Folder for keys and the SQLite database.
        #[arg(long)]
        data_dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
    },
    /// Serve vans and the peer center (replicating from peers in the background); HTTPS when the
    /// configuration has a `[tls]` section.
    Serve,
    /// Make a self-signed TLS certificate for this center (under `data_dir/tls/`) and turn HTTPS on in
    /// the configuration. Give the printed certificate file to the vans and the peer center.
    TlsCert {
        /// Host names or IP addresses vans use to reach this center (repeat the option).
        #[arg(long = "name", required = true)]
        names: Vec<String>,
    },
    /// Register a van's public keys.
    RegisterVan {
        #[arg(long)]
        id: String,
        /// ed25519 public key, hex (`qafila van status --json` prints it).
        #[arg(long)]
        key: String,
        /// The van's age recipient for updates.
        #[arg(long)]
        recipient: String,
    },
    /// Revoke a van (stolen or retired): its later batches are refused, its earlier data kept.
    RevokeVan {
        #[arg(long)]
        id: String,
    },
    /// Counts of vans, batches, documents and blobs.
    Status,
    /// Pull once from every peer center.
    Replicate,
    /// Ingest batches and blobs from a folder (a USB stick); writes each receipt beside its batch.
    Import { dir: PathBuf },
    /// Print this center's public keys (for vans and the peer center).
    PublicInfo,
    /// Add a new age key; old ones stay to decrypt what was sent to them.
    RotateKey,
    /// Create or update a dashboard account (password from QAFILA_STAFF_PASSWORD, else asked).
    AddStaff {
        /// Login name.
        id: String,
        /// Name shown in the dashboard.
        #[arg(long)]
        name: String,
        /// viewer, reviewer or administrator.
        #[arg(long, default_value = "viewer")]
        role: String,
    },
    /// Disable a dashboard account and end its sessions.
    DisableStaff { id: String },
    /// Write card personalization files (fields, TD1 MRZ, DG2 portrait) for accepted applications
    /// routed here, encrypted to the personalization bureau's age key.
    ExportCards {
        #[arg(long)]
        out: PathBuf,
        /// The bureau's age recipient (age1...).
        #[arg(long)]
        recipient: String,
        /// Date of issue (YYYY-MM-DD); today when left out.
        #[arg(long)]
        issue_date: Option<chrono::NaiveDate>,
        /// Letters before the card number's digits.
        #[arg(long, default_value = "Q")]
        prefix: String,
    },
    /// Write ANSI/NIST-ITL 1-2011 transactions (Type-1, 2, 10, 14) for accepted applications routed
    /// here, encrypted to the AFIS's age key.
    ExportAfis {
        #[arg(long)]
        out: PathBuf,
        /// The AFIS's age recipient (age1...).
        #[arg(long)]
        recipient: String,
        /// Originating agency (1.008 ORI).
        #[arg(long, default_value = "MAQAFILA0")]
        ori: String,
        /// Destination agency (1.007 DAI).
        #[arg(long, default_value = "MAAFIS000")]
        dai: String,
        /// Type of transaction (1.004 TOT).
        #[arg(long, default_value = "CNIE")]
        tot: String,
    },
    /// Publish a drive's appointment list for a van from the national portal's export (a JSON list
    /// of `{booking, slot, prefill}`), replacing the drive's previous list.
    PublishAppointments {
        /// The van.
        #[arg(long)]
        van: String,
        /// The drive's id.
        #[arg(long)]
        drive: String,
        /// First day of the drive (YYYY-MM-DD).
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day of the drive (YYYY-MM-DD): the list is purged after it.
        #[arg(long)]
        to: chrono::NaiveDate,
        /// The portal's export.
        file: PathBuf,
    },
    /// Record cards printed or delivered (the personalization line's report): each application
    /// id moves on, and the van sees it at its next sync.
    CardStatus {
        /// printed or delivered.
        #[arg(long)]
        status: String,
        /// Application ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Back up the database and the keys (sealed with a passphrase from QAFILA_BACKUP_PASSPHRASE,
    /// else asked) into a new folder, with a manifest. Safe while the server runs.
    Backup {
        /// The folder to create (must be absent or empty).
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty server (no keys file, empty database) and check it against
    /// its manifest.
    Restore {
        /// The backup folder.
        #[arg(long)]
        from: PathBuf,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run(cli))
}

async fn open(config: &Path) -> Result<(Config, Arc<Center>)> {
    let cfg = Config::load(config)?;
    let keys = CenterKeys::load(&cfg.keys_path())?;
    let db: Arc<dyn CenterDb> = match &cfg.database_url {
        #[cfg(feature = "postgres")]
        Some(url) if url.starts_with("postgres") => Arc::new(qafila_server::postgres::PgDb::connect(url).await?),
        Some(other) => bail!("database_url {other:?}: only postgres:// URLs are supported (leave it out for SQLite)"),
        None => Arc::new(qafila_server::sqlite::SqliteDb::open(&cfg.data_dir.join("center.db"))?),
    };
    db.migrate().await?;
    let center = Center::new(keys, db, cfg.routing.clone(), cfg.peers.clone()).with_limits(&cfg.limits);
    Ok((cfg, Arc::new(center)))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init {
            center,
            data_dir,
            listen,
        } => {
            std::fs::create_dir_all(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
            let keys_path = data_dir.join("keys.json");
            if keys_path.exists() {
                bail!("{} exists: this center is already initialised", keys_path.display());
            }
            let keys = CenterKeys::generate(&center)?;
            keys.save(&keys_path)?;
            let cfg = Config {
                center: center.clone(),
                listen,
                data_dir: data_dir.clone(),
                database_url: None,
                routing: Routing::default(),
                peers: vec![],
                replicate_every_s: 10,
                limits: Default::default(),
                metrics_token: None,
                tls: None,
            };
            if !cli.config.exists() {
                if let Some(dir) = cli.config.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_config(&cli.config, &cfg)?;
            }
            println!("{}", serde_json::to_string_pretty(&keys.public_info())?);
        }
        Command::Serve => {
            let (cfg, center) = open(&cli.config).await?;
            let tls = qafila_server::tls::server_config(&cfg)?;
            if !cfg.peers.is_empty() {
                let c = center.clone();
                let every = std::time::Duration::from_secs(cfg.replicate_every_s.max(1));
                let client = qafila_server::tls::replication_client(&cfg)?;
                tokio::spawn(async move {
                    loop {
                        match c.replicate_once(&client).await {
                            Ok((d, b, l)) if d + b + l > 0 => {
                                tracing::info!(documents = d, batches = b, blobs = l, "replicated")
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!("replication: {e}"),
                        }
                        tokio::time::sleep(every).await;
                    }
                });
            }
            let listener = tokio::net::TcpListener::bind(cfg.listen)
                .await
                .with_context(|| format!("listening on {}", cfg.listen))?;
            {
                // Appointment lists are personal data: gone once their drive is over, pulled or not.
                let c = center.clone();
                tokio::spawn(async move {
                    loop {
                        if let Err(e) = c.purge_appointments().await {
                            tracing::warn!("appointment purge: {e}");
                        }
                        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                    }
                });
            }
            let scheme = if tls.is_some() { "https" } else { "http" };
            tracing::info!(center = %center.id, addr = %cfg.listen, scheme, "serving");
            let options = qafila_server::http::Options {
                metrics_token: cfg.metrics_token.clone(),
                limits: cfg.limits.clone(),
            };
            let app = qafila_server::http::router_with(center, options);
            qafila_server::http::serve(listener, app, &cfg.limits, tls).await?;
        }
        Command::TlsCert { names } => {
            let mut cfg = Config::load(&cli.config)?;
            let files = qafila_server::tls::generate(&cfg.data_dir, &names)?;
            let cert = cfg.data_dir.join(&files.cert);
            cfg.tls = Some(files);
            qafila_server::tls::server_config(&cfg)?;
            write_config(&cli.config, &cfg)?;
            println!(
                "HTTPS on at the next start. Give the vans and the peer center {}",
                cert.display()
            );
        }
        Command::RegisterVan { id, key, recipient } => {
            let (_, center) = open(&cli.config).await?;
            center.register_van(&id, &key, &recipient).await?;
            audit_cli(&center, "van.register", &id, None).await?;
            println!("van {id} registered");
        }
        Command::RevokeVan { id } => {
            let (_, center) = open(&cli.config).await?;
            if !center.db().revoke_van(&id, &chrono::Utc::now().to_rfc3339()).await? {
                bail!("van {id} is unknown or already revoked");
            }
            audit_cli(&center, "van.revoke", &id, None).await?;
            println!("van {id} revoked");
        }
        Command::Status => {
            let (_, center) = open(&cli.config).await?;
            let counts = center.db().counts(&center.id).await?;
            // Batches whose civil data is here and whose biometrics are still on the way, per van.
            let awaiting_blobs = center.db().pending_counts().await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "center": center.id,
                    "counts": counts,
                    "awaiting_blobs": awaiting_blobs,
                }))?
            );
        }
        Command::Replicate => {
            let (cfg, center) = open(&cli.config).await?;
            let (d, b, l) = center
                .replicate_once(&qafila_server::tls::replication_client(&cfg)?)
                .await?;
            println!("replicated {d} documents, {b} batches, {l} blobs");
        }
        Command::Import { dir } => {
            let (_, center) = open(&cli.config).await?;
            let report = qafila_server::usb::import(&center, &dir).await?;
            for line in &report.lines {
                println!("{line}");
            }
            if report.refused > 0 {
                bail!("{} batch files were not accepted", report.refused);
            }
        }
        Command::PublicInfo => {
            let cfg = Config::load(&cli.config)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&CenterKeys::load(&cfg.keys_path())?.public_info())?
            );
        }
        Command::AddStaff { id, name, role } => {
            let (_, center) = open(&cli.config).await?;
            let password = match std::env::var("QAFILA_STAFF_PASSWORD") {
                Ok(p) => p,
                Err(_) => rpassword::prompt_password(format!("password for {id}: "))?,
            };
            let r = qafila_server::staff::put_staff(center.db().as_ref(), &id, &name, &role, &password).await?;
            audit_cli(&center, "staff.put", &r.id, Some(&r.role)).await?;
            println!("staff {} saved with role {}", r.id, r.role);
        }
        Command::DisableStaff { id } => {
            let (_, center) = open(&cli.config).await?;
            qafila_server::staff::disable(center.db().as_ref(), &id).await?;
            audit_cli(&center, "staff.disable", &id, None).await?;
            println!("staff {id} disabled");
        }
        Command::ExportCards {
            out,
            recipient,
            issue_date,
            prefix,
        } => {
            let (_, center) = open(&cli.config).await?;
            let to = age::x25519::Recipient::from_str(&recipient)
                .map_err(|e| anyhow::anyhow!("--recipient: not an age recipient: {e}"))?;
            let date = issue_date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let s = qafila_server::export::export_cards(&center, &out, &to, date, &prefix).await?;
            audit_cli(
                &center,
                "export.cards",
                &out.display().to_string(),
                Some(&format!("{} written", s.written.len())),
            )
            .await?;
            report_export(&s)?;
        }
        Command::ExportAfis {
            out,
            recipient,
            ori,
            dai,
            tot,
        } => {
            let (_, center) = open(&cli.config).await?;
            let to = age::x25519::Recipient::from_str(&recipient)
                .map_err(|e| anyhow::anyhow!("--recipient: not an age recipient: {e}"))?;
            let options = qafila_export::AfisOptions {
                date: chrono::Utc::now().date_naive(),
                type_of_transaction: tot,
                destination_agency: dai,
                originating_agency: ori,
            };
            let s = qafila_server::export::export_afis(&center, &out, &to, &options).await?;
            audit_cli(
                &center,
                "export.afis",
                &out.display().to_string(),
                Some(&format!("{} written", s.written.len())),
            )
            .await?;
            report_export(&s)?;
        }
        Command::CardStatus { status, ids } => {
            let (_, center) = open(&cli.config).await?;
            let status = match status.as_str() {
                "printed" => qafila_domain::Status::CardPrinted,
                "delivered" => qafila_domain::Status::Delivered,
                other => bail!("--status: {other:?} is not printed or delivered"),
            };
            let mut refused = 0;
            for id in &ids {
                match center.card_status(id, status.clone()).await {
                    Ok(()) => {
                        audit_cli(&center, "card.status", id, Some(status.name())).await?;
                        println!("{id}: {}", status.name());
                    }
                    Err(e) => {
                        refused += 1;
                        eprintln!("{id}: {e}");
                    }
                }
            }
            if refused > 0 {
                bail!("{refused} of {} applications were not changed (see above)", ids.len());
            }
        }
        Command::Backup { out } => {
            let cfg = Config::load(&cli.config)?;
            let storage = Storage::of(&cfg)?;
            let passphrase = backup_passphrase(true)?;
            let m = backup::backup(&storage, &cfg.keys_path(), &cfg.center, &out, &passphrase).await?;
            println!(
                "backed up {} documents, {} blobs, {} batches of {} into {}",
                m.content.documents,
                m.content.blobs,
                m.content.batches,
                m.center,
                out.display()
            );
        }
        Command::Restore { from } => {
            let cfg = Config::load(&cli.config)?;
            let storage = Storage::of(&cfg)?;
            let passphrase = backup_passphrase(false)?;
            let m = backup::restore(&storage, &cfg.keys_path(), &cfg.center, &from, &passphrase).await?;
            println!(
                "restored {} documents, {} blobs, {} batches of {} (backup of {}), checked against the manifest",
                m.content.documents, m.content.blobs, m.content.batches, m.center, m.created_at
            );
        }
        Command::RotateKey => {
            let cfg = Config::load(&cli.config)?;
            let mut keys = CenterKeys::load(&cfg.keys_path())?;
            keys.rotate();
            keys.save(&cfg.keys_path())?;
            println!("{}", serde_json::to_string_pretty(&keys.public_info())?);
        }
        Command::PublishAppointments {
            van,
            drive,
            from,
            to,
            file,
        } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let list = qafila_server::appointments::parse_portal(&bytes, from, to).map_err(|problems| {
                anyhow::anyhow!(
                    "{}: {} problem(s), nothing published:\n{}",
                    file.display(),
                    problems.len(),
                    problems.join("\n")
                )
            })?;
            let (_, center) = open(&cli.config).await?;
            let done = center.publish_appointments(&van, &drive, from, to, list).await?;
            let detail = format!(
                "drive {}: version {}, {} appointments",
                done.drive_id, done.version, done.appointments
            );
            audit_cli(&center, "appointments.publish", &van, Some(&detail)).await?;
            println!(
                "published {} appointments for van {van}, drive {drive} (version {})",
                done.appointments, done.version
            );
        }
    }
    Ok(())
}

/// The passphrase sealing a backup's keys file: from the environment (scripts), else asked
/// (twice when sealing, so a typo does not make the backup useless).
fn backup_passphrase(confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var("QAFILA_BACKUP_PASSPHRASE") {
        return Ok(p);
    }
    let p = rpassword::prompt_password("backup passphrase: ")?;
    if confirm && rpassword::prompt_password("again: ")? != p {
        bail!("the two passphrases differ");
    }
    Ok(p)
}

/// Administration commands are staff actions too: the audit log names them `cli`.
async fn audit_cli(center: &Center, action: &str, target: &str, detail: Option<&str>) -> Result<()> {
    center
        .db()
        .audit(&chrono::Utc::now().to_rfc3339(), "cli", action, Some(target), detail)
        .await?;
    Ok(())
}

fn report_export(s: &qafila_server::export::ExportSummary) -> Result<()> {
    println!("{} files written", s.written.len());
    for (id, why) in &s.refused {
        eprintln!("{id}: {why}");
    }
    if !s.refused.is_empty() {
        bail!(
            "{} accepted applications could not be exported (see above)",
            s.refused.len()
        );
    }
    Ok(())
}

/// Writes the configuration file whole or not at all.
fn write_config(path: &Path, cfg: &Config) -> Result<()> {
    let tmp = path.with_extension("toml.new");
    std::fs::write(&tmp, toml::to_string_pretty(cfg)?).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}
