//! The issuance-center sync server: vans push signed, encrypted batches; the center verifies,
//! decrypts, merges, receipts and routes them, serves updates back to the vans, and replicates with
//! the other center. Storage sits behind [`db::CenterDb`] (SQLite or PostgreSQL).
#![forbid(unsafe_code)]

pub mod appointments;
mod awaiting;
pub mod backup;
pub mod center;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod export;
pub mod fleet;
pub mod http;
pub mod keys;
pub mod limits;
pub mod metrics;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod queue;
pub mod simulate;
pub mod sqlite;
pub mod staff;
pub mod tls;
pub mod usb;
