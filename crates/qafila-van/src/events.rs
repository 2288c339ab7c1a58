//! Events the engine pushes to the UI while it works (live camera, capture progress, sync).

use serde::Serialize;
use serde_json::Value;

/// One event, delivered to the sink the shell gave the engine.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Event {
    /// Live portrait capture (`portrait` channel).
    Portrait(Value),
    /// Ten-print capture (`fingers` channel).
    Fingers(Value),
    /// Sync progress (`sync` channel).
    Sync(Value),
    /// The engine locked the van (`locked` channel).
    Locked(Value),
}

impl Event {
    /// The channel name the UI listens on.
    pub fn channel(&self) -> &'static str {
        match self {
            Event::Portrait(_) => "portrait",
            Event::Fingers(_) => "fingers",
            Event::Sync(_) => "sync",
            Event::Locked(_) => "locked",
        }
    }

    /// The payload.
    pub fn payload(&self) -> &Value {
        match self {
            Event::Portrait(v) | Event::Fingers(v) | Event::Sync(v) | Event::Locked(v) => v,
        }
    }
}

/// Where events go: the Tauri shell emits them to the window; the CLI and tests collect them.
pub type EventSink = std::sync::Arc<dyn Fn(Event) + Send + Sync>;
