//! `qafila`: the van's command line. Every capability of the van engine, scriptable and headless.

mod capture;
mod citizen_receipt;
mod input;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use qafila_domain::ApplicationId;
use qafila_store::{InitOptions, Role, Store, StoreError, Summary, Van};

#[derive(Parser)]
#[command(
    name = "qafila",
    version,
    about = "Qafila van: offline CNIE enrollment into an encrypted store"
)]
struct Cli {
    /// The van store directory.
    #[arg(long, global = true, env = "QAFILA_STORE", default_value_os_t = default_store())]
    store: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Login {
    /// The operator unlocking the van.
    #[arg(long, env = "QAFILA_OPERATOR")]
    operator: String,
}

#[derive(Subcommand)]
enum Command {
    /// Create, inspect or check the van store.
    #[command(subcommand)]
    Van(VanCmd),
    /// Manage the operators who can unlock this van.
    #[command(subcommand)]
    Operator(OperatorCmd),
    /// Portrait quality checks, auto-capture and the token portrait.
    #[command(subcommand)]
    Portrait(capture::PortraitCmd),
    /// Fingerprint quality (NFIQ 2), WSQ and ten-print capture.
    #[command(subcommand)]
    Finger(capture::FingerCmd),
    /// Fingerprint scanners: the SBI simulator, discovery.
    #[command(subcommand)]
    Scanner(capture::ScannerCmd),
    /// Enroll an applicant from a JSON file; `"blob": "@file"` fields name files beside it.
    Enroll {
        #[command(flatten)]
        login: Login,
        /// The record (see schemas/enrollment.schema.json; application fields may be left out).
        file: PathBuf,
    },
    /// List enrollments, newest first.
    List {
        #[command(flatten)]
        login: Login,
        /// Only this status (captured, sealed, ...).
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    /// Search by name (Latin or Arabic, any word prefix), previous card number or id prefix.
    Search {
        #[command(flatten)]
        login: Login,
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show one enrollment.
    Show {
        #[command(flatten)]
        login: Login,
        id: ApplicationId,
    },
    /// Seal an enrollment (operator sign-off, optionally with a supervisor's approval).
    Seal {
        #[command(flatten)]
        login: Login,
        id: ApplicationId,
        /// A supervisor approving now (their passphrase from QAFILA_SUPERVISOR_PASSPHRASE or a prompt).
        #[arg(long)]
        supervisor: Option<String>,
    },
    /// The tamper-evident journal.
    #[command(subcommand)]
    Journal(JournalCmd),
    /// The citizen's printed receipt: render it (signed by this van), or check a receipt code.
    #[command(subcommand)]
    CitizenReceipt(citizen_receipt::CitizenReceiptCmd),
    /// Decrypted JSON of an enrollment, for debugging (journaled).
    ExportJson {
        #[command(flatten)]
        login: Login,
        id: ApplicationId,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Saved drafts (enrollments interrupted mid-capture).
    Drafts {
        #[command(flatten)]
        login: Login,
    },
    /// The issuance centers this van sends to.
    #[command(subcommand)]
    Center(CenterCmd),
    /// Write the next signed, encrypted batch and its blobs to a folder (a USB stick) for the centers.
    Export {
        #[command(flatten)]
        login: Login,
        /// The folder to write into.
        #[arg(long)]
        out: PathBuf,
        /// At most this many enrollments per batch.
        #[arg(long, default_value_t = 500)]
        max_documents: usize,
    },
    /// Import a receipt a center issued (from a USB stick); the enrollments it covers become `received`.
    Receipt {
        #[command(flatten)]
        login: Login,
        /// The receipt file.
        file: PathBuf,
    },
    /// Remove from the van the personal data of enrollments the centers have receipted.
    Purge {
        #[command(flatten)]
        login: Login,
        /// Keep receipted enrollments this many days before purging them.
        #[arg(long, default_value_t = 0)]
        retention_days: i64,
    },
    /// Sync with a center now: send batches and blobs, take receipts and updates, purge.
    Sync {
        #[command(flatten)]
        login: Login,
        /// The center's URL.
        #[arg(long, env = "QAFILA_CENTER_URL")]
        center: String,
        /// PEM certificate(s) of the authority behind the center's HTTPS certificate; default:
        /// `centers-ca.pem` beside the store, else the system's trust store.
        #[arg(long, env = "QAFILA_CENTER_CA")]
        center_ca: Option<PathBuf>,
        /// Upload cap in kbit/s.
        #[arg(long)]
        bandwidth_kbit: Option<u64>,
        /// Keep receipted enrollments this many days before purging them.
        #[arg(long, default_value_t = 0)]
        retention_days: i64,
    },
    /// The van's public keys, to register it at the centers; `keys rotate` changes its signing key.
    Keys {
        /// The operator unlocking the van (for the keys themselves; the subcommands take their own).
        #[arg(long, env = "QAFILA_OPERATOR")]
        operator: Option<String>,
        #[command(subcommand)]
        cmd: Option<KeysCmd>,
    },
    /// What is waiting to leave the van.
    SyncStatus {
        #[command(flatten)]
        login: Login,
    },
    /// The appointments booked on the national portal for this van's coming drives (pulled at sync).
    Appointments {
        #[command(flatten)]
        login: Login,
    },
    /// Write a synthetic applicant (JSON + placeholder blob files) for demos and tests.
    Sample {
        /// Which synthetic applicant.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Directory to write `applicant.json` and its blob files into.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum VanCmd {
    /// Create a new store; the first operator becomes its supervisor.
    Init {
        #[arg(long, env = "QAFILA_VAN_ID")]
        van_id: String,
        #[command(flatten)]
        login: Login,
        /// The centers' recovery key (an age X25519 recipient, `age1...`).
        #[arg(long, env = "QAFILA_RECOVERY_RECIPIENT")]
        recovery: Option<String>,
        /// scrypt work factor log2(N) for passphrases (lower it only for tests).
        #[arg(long, default_value_t = qafila_store::DEFAULT_KDF_LOG_N, hide = true)]
        kdf_log_n: u8,
    },
    /// What the store holds, readable without unlocking.
    Status,
    /// Full structural check of the database file.
    Check,
}

#[derive(Subcommand)]
enum OperatorCmd {
    /// Enroll an operator (needs a supervisor); their passphrase from QAFILA_NEW_PASSPHRASE or a prompt.
    Add {
        #[command(flatten)]
        login: Login,
        id: String,
        #[arg(long, default_value = "operator")]
        role: Role,
    },
    /// Remove an operator (needs a supervisor).
    Remove {
        #[command(flatten)]
        login: Login,
        id: String,
    },
    /// List operators.
    List,
}

#[derive(Subcommand)]
enum CenterCmd {
    /// Register a center's keys (needs a supervisor).
    Add {
        #[command(flatten)]
        login: Login,
        /// Center id (`rabat`, `marrakech`).
        id: String,
        /// Its ed25519 public key, hex.
        #[arg(long)]
        key: String,
        /// Its age recipient (`age1...`).
        #[arg(long)]
        recipient: String,
    },
    /// List the configured centers.
    List {
        #[command(flatten)]
        login: Login,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Replace the van's signing key (needs a supervisor), e.g. when it may have been copied. Journaled
    /// and signed by the old key; the centers learn the new key at the next sync, and batches already
    /// built are still delivered.
    Rotate {
        #[command(flatten)]
        login: Login,
    },
    /// Every signing key the van has had, and from which journal entry and batch each signs.
    History,
}

#[derive(Subcommand)]
enum JournalCmd {
    /// Check the chain and signatures; exits 1 and names the entries if anything was tampered with.
    Verify,
    /// The last entries.
    Tail {
        #[arg(long, default_value_t = 20)]
        n: i64,
        #[command(flatten)]
        login: Login,
    },
}

fn default_store() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("qafila/van")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let code = e.downcast_ref::<StoreError>().map(StoreError::code).unwrap_or("error");
            eprintln!("error [{code}]: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn secret(env: &str, prompt: &str) -> Result<String> {
    if let Ok(v) = std::env::var(env) {
        return Ok(v);
    }
    rpassword::prompt_password(prompt).with_context(|| format!("no terminal to ask for the passphrase: set {env}"))
}

fn unlock(store: &Path, login: &Login) -> Result<Van> {
    let s = Store::open(store)?;
    let pass = secret("QAFILA_PASSPHRASE", &format!("Passphrase for {}: ", login.operator))?;
    Ok(s.unlock(&login.operator, &pass)?)
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn print_summaries(list: &[Summary], json: bool) -> Result<()> {
    if json {
        return print_json(&list);
    }
    for s in list {
        println!(
            "{}  {:<20} {:<28} {:<24} {}",
            s.id,
            s.status,
            format!("{} {}", s.family_name, s.given_names),
            format!("{} {}", s.family_name_ar, s.given_names_ar),
            s.birth_date
        );
    }
    if list.is_empty() {
        println!("(none)");
    }
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    let json = cli.json;
    match cli.command {
        Command::Portrait(cmd) => capture::portrait(cmd)?,
        Command::Finger(cmd) => capture::finger(cmd)?,
        Command::Scanner(cmd) => capture::scanner(cmd)?,
        Command::CitizenReceipt(cmd) => return citizen_receipt::run(&cli.store, json, cmd),
        Command::Van(VanCmd::Init {
            van_id,
            login,
            recovery,
            kdf_log_n,
        }) => {
            let recovery = recovery
                .map(|r| {
                    r.parse::<qafila_store::age::x25519::Recipient>()
                        .map_err(|e| anyhow::anyhow!("--recovery: not an age X25519 recipient: {e}"))
                })
                .transpose()?;
            let passphrase = secret("QAFILA_PASSPHRASE", &format!("New passphrase for {}: ", login.operator))?;
            let van = Store::init(
                &cli.store,
                InitOptions {
                    van_id,
                    operator_id: login.operator,
                    passphrase,
                    recovery,
                    kdf_log_n,
                },
            )?;
            let public = hex(van.store().public_key()?.as_bytes());
            if json {
                print_json(&serde_json::json!({"store": cli.store, "van_id": van.van_id()?, "public_key": public}))?;
            } else {
                println!(
                    "Van {} initialised in {}\nSigning key: {public}",
                    van.van_id()?,
                    cli.store.display()
                );
            }
        }
        Command::Van(VanCmd::Status) => {
            let s = Store::open(&cli.store)?;
            let report = s.verify_journal()?;
            let counts = s.status_counts()?;
            if json {
                print_json(&serde_json::json!({
                    "van_id": s.van_id()?, "public_key": hex(s.public_key()?.as_bytes()),
                    "enrollments": counts, "journal": report,
                }))?;
            } else {
                println!("Van {} ({})", s.van_id()?, s.dir().display());
                for (status, n) in &counts {
                    println!("  {status:<20} {n}");
                }
                println!(
                    "Journal: {} entries, {}",
                    report.entries,
                    if report.is_intact() { "intact" } else { "TAMPERED" }
                );
            }
        }
        Command::Van(VanCmd::Check) => {
            Store::open(&cli.store)?.integrity_check()?;
            println!("database structure ok");
        }
        Command::Operator(OperatorCmd::Add { login, id, role }) => {
            let mut van = unlock(&cli.store, &login)?;
            let pass = secret("QAFILA_NEW_PASSPHRASE", &format!("New passphrase for {id}: "))?;
            van.add_operator(&id, &pass, role)?;
            println!("operator {id} added");
        }
        Command::Operator(OperatorCmd::Remove { login, id }) => {
            unlock(&cli.store, &login)?.remove_operator(&id)?;
            println!("operator {id} removed");
        }
        Command::Operator(OperatorCmd::List) => {
            let ops = Store::open(&cli.store)?.operators()?;
            if json {
                print_json(&ops)?;
            } else {
                for (id, role) in ops {
                    println!("{id}\t{role}");
                }
            }
        }
        Command::Enroll { login, file } => {
            let mut van = unlock(&cli.store, &login)?;
            let (record, blobs) = input::read(&file, &van.van_id()?, van.operator())?;
            let id = van.enroll(record, &blobs)?;
            if json {
                print_json(&serde_json::json!({"id": id}))?;
            } else {
                println!("{id}");
            }
        }
        Command::List {
            login,
            status,
            limit,
            offset,
        } => {
            let van = unlock(&cli.store, &login)?;
            print_summaries(&van.list(status.as_deref(), offset, limit)?, json)?;
        }
        Command::Search { login, query, limit } => {
            let van = unlock(&cli.store, &login)?;
            print_summaries(&van.search(&query, limit)?, json)?;
        }
        Command::Show { login, id } => {
            let van = unlock(&cli.store, &login)?;
            let e = van.get(&id)?;
            if json {
                print_json(&e)?;
            } else {
                let c = &e.civil;
                println!(
                    "{}  {:?}  {}",
                    e.application.id,
                    e.application.kind,
                    e.application.status.name()
                );
                println!(
                    "  {} {} / {} {}",
                    c.family_name.latin, c.given_names.latin, c.family_name.arabic, c.given_names.arabic
                );
                println!("  born {}  {:?}", c.birth_date, c.sex);
                println!("  portrait: {}", if e.portrait.is_some() { "yes" } else { "no" });
                println!("  fingerprints: {} slots", e.fingerprints.len());
                println!("  documents: {}", e.documents.len());
            }
        }
        Command::Seal { login, id, supervisor } => {
            let mut van = unlock(&cli.store, &login)?;
            let sup_pass = match &supervisor {
                Some(s) => Some(secret(
                    "QAFILA_SUPERVISOR_PASSPHRASE",
                    &format!("Passphrase for supervisor {s}: "),
                )?),
                None => None,
            };
            van.seal(&id, supervisor.as_deref().zip(sup_pass.as_deref()))?;
            println!("{id} sealed");
        }
        Command::Journal(JournalCmd::Verify) => {
            let report = Store::open(&cli.store)?.verify_journal()?;
            if json {
                print_json(&report)?;
            } else if report.is_intact() {
                println!(
                    "journal intact: {} entries, every link and signature checks",
                    report.entries
                );
            } else {
                println!("journal TAMPERED ({} entries read):", report.entries);
                for b in &report.breaks {
                    println!("  - {b}");
                }
            }
            if !report.is_intact() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Journal(JournalCmd::Tail { n, login }) => {
            let van = unlock(&cli.store, &login)?;
            let entries = van.journal_tail(n)?;
            if json {
                print_json(&entries)?;
            } else {
                for e in entries {
                    println!(
                        "{:>6} {} {:<16} {:<12} {} {}",
                        e.seq, e.at, e.action, e.actor, e.subject, e.detail
                    );
                }
            }
        }
        Command::ExportJson { login, id, out } => {
            let mut van = unlock(&cli.store, &login)?;
            let v = van.export_json(&id)?;
            match out {
                Some(path) => std::fs::write(&path, serde_json::to_vec_pretty(&v)?)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print_json(&v)?,
            }
        }
        Command::Drafts { login } => {
            let van = unlock(&cli.store, &login)?;
            let drafts = van.drafts()?;
            if json {
                print_json(&drafts)?;
            } else {
                for d in drafts {
                    println!("{}  {}  {}", d.id, d.operator_id, d.updated_at);
                }
            }
        }
        Command::Center(CenterCmd::Add {
            login,
            id,
            key,
            recipient,
        }) => {
            unlock(&cli.store, &login)?.add_center(&id, &key, &recipient)?;
            println!("center {id} configured");
        }
        Command::Center(CenterCmd::List { login }) => {
            let centers = unlock(&cli.store, &login)?.centers()?;
            if json {
                print_json(&centers)?;
            } else {
                for c in centers {
                    println!("{}\t{}\t{}", c.id, c.verifying_key, c.recipient);
                }
            }
        }
        Command::Export {
            login,
            out,
            max_documents,
        } => {
            let mut van = unlock(&cli.store, &login)?;
            match van.export_batch(&out, max_documents)? {
                Some(path) => println!("{}", path.display()),
                None => println!("nothing to export: every sealed enrollment is receipted"),
            }
        }
        Command::Receipt { login, file } => {
            let mut van = unlock(&cli.store, &login)?;
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let r = van.apply_receipt(&bytes)?;
            println!(
                "receipt from {} for batches {}..={} ({} enrollments)",
                r.center,
                r.seq_from,
                r.seq_to,
                r.documents.len()
            );
        }
        Command::Purge { login, retention_days } => {
            let n = unlock(&cli.store, &login)?.purge_receipted(chrono::Duration::days(retention_days))?;
            println!("{n} receipted enrollments purged from this van");
        }
        Command::Sync {
            login,
            center,
            center_ca,
            bandwidth_kbit,
            retention_days,
        } => {
            let tls_authorities = match &center_ca {
                Some(path) => Some(qafila_sync::read_authorities(path)?),
                None => qafila_sync::van_authorities(&cli.store)?,
            };
            let mut van = unlock(&cli.store, &login)?;
            let opts = qafila_sync::SyncOptions {
                bandwidth_bytes_per_sec: bandwidth_kbit.map(|k| k * 1000 / 8),
                retention: chrono::Duration::days(retention_days),
                tls_authorities,
                ..Default::default()
            };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let report = rt.block_on(qafila_sync::sync_once(&mut van, &center, &opts, &mut |p| {
                if !json {
                    match p {
                        qafila_sync::Progress::Batch { seq, documents } => {
                            eprintln!("sending batch {seq} ({documents} enrollments)")
                        }
                        qafila_sync::Progress::Blob { sent, total, .. } if sent == total => eprint!("."),
                        qafila_sync::Progress::Receipt { seq } => eprintln!("\nreceipt for batch {seq}"),
                        _ => {}
                    }
                }
            }))?;
            if json {
                print_json(&report)?;
            } else {
                println!(
                    "{} batches ({} enrollments) receipted, {} blobs sent, {} updates applied, {} purged, {} retries, {} appointment lists received",
                    report.batches,
                    report.documents,
                    report.blobs,
                    report.updates,
                    report.purged,
                    report.retries,
                    report.appointments
                );
            }
        }
        Command::Keys {
            cmd: Some(KeysCmd::Rotate { login }),
            ..
        } => {
            let mut van = unlock(&cli.store, &login)?;
            let epoch = van.rotate_key()?;
            if json {
                print_json(&epoch)?;
            } else {
                println!(
                    "new signing key {} (key {}), signing from batch {}; the centers learn it at the next sync",
                    epoch.public_key, epoch.n, epoch.first_batch
                );
            }
        }
        Command::Keys {
            cmd: Some(KeysCmd::History),
            ..
        } => {
            let history = Store::open(&cli.store)?.key_history()?;
            if json {
                print_json(&history)?;
            } else {
                for k in history {
                    println!(
                        "{:>3}  {}  from journal entry {}, batch {}  ({})",
                        k.n, k.public_key, k.journal_seq, k.first_batch, k.at
                    );
                }
            }
        }
        Command::Keys { operator, cmd: None } => {
            let operator =
                operator.context("--operator (or QAFILA_OPERATOR): the operator unlocking the van is required")?;
            let mut van = unlock(&cli.store, &Login { operator })?;
            let info = serde_json::json!({
                "van_id": van.van_id()?,
                "verifying_key": hex(van.store().public_key()?.as_bytes()),
                "update_recipient": van.update_recipient()?,
            });
            print_json(&info)?;
        }
        Command::SyncStatus { login } => {
            let s = unlock(&cli.store, &login)?.sync_status()?;
            if json {
                print_json(&s)?;
            } else {
                println!(
                    "waiting to send: {} enrollments; unreceipted batches: {}; receipts: {}; purged: {}",
                    s.documents_pending, s.batches_unreceipted, s.receipts, s.purged
                );
            }
        }
        Command::Appointments { login } => {
            let mut van = unlock(&cli.store, &login)?;
            van.purge_appointments(chrono::Utc::now().date_naive())?;
            let lists = van.appointment_lists()?;
            if json {
                print_json(&lists)?;
            } else if lists.is_empty() {
                println!("no appointments: none published for this van's coming drives (sync to fetch them)");
            } else {
                for held in lists {
                    let l = &held.list;
                    println!(
                        "drive {} ({} to {}), version {} from {}: {} appointments",
                        l.drive_id,
                        l.drive_start,
                        l.drive_end,
                        l.version,
                        l.center,
                        l.appointments.len()
                    );
                    for a in &l.appointments {
                        let p = &a.prefill;
                        let family = p.family_name.as_ref().and_then(|n| n.latin.as_deref());
                        let given = p.given_names.as_ref().and_then(|n| n.latin.as_deref());
                        let started = held.used.get(&a.booking).map(|d| format!("  started: draft {d}"));
                        println!(
                            "  {}  {:<16} {} {}{}",
                            a.slot.format("%Y-%m-%d %H:%M"),
                            a.booking,
                            family.unwrap_or(""),
                            given.unwrap_or(""),
                            started.unwrap_or_default()
                        );
                    }
                }
            }
        }
        Command::Sample { seed, out } => {
            let path = input::write_sample(seed, &out)?;
            println!("{}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
