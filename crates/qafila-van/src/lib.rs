//! The van engine: everything the desktop app does, as a library the Tauri shell, the CLI and the
//! tests call alike. One [`Engine`] holds the operator's session on the encrypted store, the drafts
//! being captured (saved encrypted after every change), live portrait and fingerprint capture on
//! their own threads, sync on a second store handle, freeze rules and the idle lock.
//!
//! Results are serde values shaped as `docs/DESKTOP-API.md` describes; errors carry a stable code
//! ([`EngineError::code`]) the UI maps to a translated instruction.
#![forbid(unsafe_code)]

mod appointments;
pub mod draft;
mod engine;
pub mod error;
pub mod events;
pub mod freeze;
mod live;
mod receipt;
pub mod settings;
pub mod state;
mod sync;

pub use appointments::AppointmentView;
pub use engine::{AppState, Engine, Home, MAX_DOCUMENT_BYTES, Session, Today};
pub use error::{EngineError, ErrorPayload, Result};
pub use events::{Event, EventSink};
pub use settings::Settings;
