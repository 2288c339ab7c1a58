//! `qafila-desktop`: the Tauri shell. Each command hands its arguments to the van engine on a
//! blocking thread and returns its result or an error payload with a code; engine events are
//! re-emitted to the window. No logic lives here.
#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;
use qafila_van::Engine;
use tauri::{Emitter, Manager};

#[derive(Parser)]
#[command(
    name = "qafila-desktop",
    version,
    about = "Qafila van: the operator's enrollment app"
)]
struct Args {
    /// The van store directory (create one with `qafila van init`).
    #[arg(long, env = "QAFILA_STORE", default_value_os_t = default_store())]
    store: PathBuf,
}

fn default_store() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("qafila/van")
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "qafila=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // tauri-driver passes WebDriver arguments of its own; only ours are parsed.
    let args = Args::parse_from(std::env::args().take_while(|a| !a.starts_with("--webdriver")));
    if !args.store.join("van.db").exists() && !args.store.join("qafila.db").exists() && !args.store.is_dir() {
        anyhow::bail!(
            "no van store at {}: create one with `qafila van init --store {}` (or run scripts/desktop for a demo van)",
            args.store.display(),
            args.store.display()
        );
    }
    let store = args.store.clone();
    tauri::Builder::default()
        .setup(move |app| {
            let handle = app.handle().clone();
            let engine = Engine::open(
                &store,
                Arc::new(move |event: qafila_van::Event| {
                    if let Err(e) = handle.emit(event.channel(), event.payload()) {
                        tracing::warn!(error = %e, "could not deliver an event to the window");
                    }
                }),
            )
            .with_context(|| format!("opening the van store at {}", store.display()))?;
            engine.start_idle_watch();
            app.manage(engine);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::unlock,
            commands::lock,
            commands::touch,
            commands::home,
            commands::master_data,
            commands::transliterate,
            commands::draft_new,
            commands::draft_get,
            commands::draft_save,
            commands::drafts,
            commands::draft_discard,
            commands::portrait_start,
            commands::portrait_stop,
            commands::portrait_accept,
            commands::fingers_start,
            commands::fingers_stop,
            commands::document_add,
            commands::document_remove,
            commands::seal,
            commands::enrollments,
            commands::enrollment,
            commands::receipt_pdf,
            commands::sync_now,
            commands::sync_state,
            commands::export_usb,
            commands::day_review,
            commands::approve,
            commands::settings_get,
            commands::settings_set,
            commands::appointments,
            commands::draft_from_appointment,
        ])
        .run(tauri::generate_context!())
        .context("running the window")?;
    Ok(())
}
