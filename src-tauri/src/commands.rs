//! The IPC commands of docs/DESKTOP-API.md, one line of engine call each.

use std::collections::BTreeMap;
use std::path::PathBuf;

use qafila_van::{Engine, ErrorPayload, Settings};
use serde::Deserialize;
use serde_json::{Value, json};
use tauri::State;

type Reply = Result<Value, ErrorPayload>;

/// Runs an engine call off the UI thread (unlocking costs a second of KDF; capture and sync longer).
async fn run<T: serde::Serialize + Send + 'static>(
    engine: &State<'_, Engine>,
    f: impl FnOnce(&Engine) -> qafila_van::Result<T> + Send + 'static,
) -> Reply {
    let engine = Engine::clone(engine);
    let outcome = tauri::async_runtime::spawn_blocking(move || {
        engine.touch();
        f(&engine)
    })
    .await;
    match outcome {
        Ok(Ok(v)) => serde_json::to_value(v).map_err(|e| internal(&e.to_string())),
        Ok(Err(e)) => {
            tracing::debug!(code = e.code(), "command failed");
            Err(e.payload())
        }
        Err(e) => Err(internal(&e.to_string())),
    }
}

fn internal(message: &str) -> ErrorPayload {
    ErrorPayload {
        code: "internal",
        message: message.into(),
        field: None,
        problems: None,
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn app_state(engine: State<'_, Engine>) -> Reply {
    run(&engine, |e| e.app_state()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn unlock(engine: State<'_, Engine>, operator: String, passphrase: String) -> Reply {
    run(&engine, move |e| e.unlock(&operator, &passphrase)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn lock(engine: State<'_, Engine>) -> Reply {
    run(&engine, |e| e.lock("manual")).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn touch(engine: State<'_, Engine>) -> Reply {
    run(&engine, |_| Ok(Value::Null)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn home(engine: State<'_, Engine>) -> Reply {
    run(&engine, |e| e.home()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn master_data(engine: State<'_, Engine>) -> Reply {
    run(&engine, |e| Ok(e.master_data())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn transliterate(engine: State<'_, Engine>, text: String, to: String) -> Reply {
    run(&engine, move |e| e.transliterate(&text, &to)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn draft_new(engine: State<'_, Engine>, kind: String) -> Reply {
    run(&engine, move |e| e.draft_new(&kind)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn draft_get(engine: State<'_, Engine>, id: String) -> Reply {
    run(&engine, move |e| e.draft_get(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn draft_save(engine: State<'_, Engine>, id: String, record: Value) -> Reply {
    run(&engine, move |e| e.draft_save(&id, &record)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn drafts(engine: State<'_, Engine>) -> Reply {
    run(&engine, |e| e.drafts()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn draft_discard(engine: State<'_, Engine>, id: String) -> Reply {
    run(&engine, move |e| e.draft_discard(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn portrait_start(engine: State<'_, Engine>, draft_id: String) -> Reply {
    run(&engine, move |e| e.portrait_start(&draft_id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn portrait_stop(engine: State<'_, Engine>) -> Reply {
    run(&engine, |e| {
        e.portrait_stop();
        Ok(Value::Null)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn portrait_accept(engine: State<'_, Engine>, draft_id: String, override_reason: Option<String>) -> Reply {
    run(&engine, move |e| {
        e.portrait_accept(&draft_id, override_reason.as_deref())
    })
    .await
}

/// A finger declared absent before capture.
#[derive(Deserialize)]
pub struct Exception {
    exception: String,
    reason: String,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn fingers_start(
    engine: State<'_, Engine>,
    draft_id: String,
    exceptions: Option<BTreeMap<String, Exception>>,
) -> Reply {
    let exceptions = exceptions
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, (v.exception, v.reason)))
        .collect();
    run(&engine, move |e| e.fingers_start(&draft_id, &exceptions)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn fingers_stop(engine: State<'_, Engine>) -> Reply {
    run(&engine, |e| {
        e.fingers_stop();
        Ok(Value::Null)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn document_add(
    engine: State<'_, Engine>,
    draft_id: String,
    kind: String,
    name: String,
    data_base64: String,
) -> Reply {
    run(&engine, move |e| e.document_add(&draft_id, &kind, &name, &data_base64)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn document_remove(engine: State<'_, Engine>, draft_id: String, index: usize) -> Reply {
    run(&engine, move |e| e.document_remove(&draft_id, index)).await
}

/// A supervisor present at the desk.
#[derive(Deserialize)]
pub struct Supervisor {
    operator: String,
    passphrase: String,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn seal(engine: State<'_, Engine>, draft_id: String, consent: bool, supervisor: Option<Supervisor>) -> Reply {
    run(&engine, move |e| {
        let sup = supervisor
            .as_ref()
            .map(|s| (s.operator.as_str(), s.passphrase.as_str()));
        e.seal(&draft_id, consent, sup).map(|id| json!({ "id": id }))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn enrollments(
    engine: State<'_, Engine>,
    query: Option<String>,
    status: Option<String>,
    offset: Option<i64>,
    limit: Option<i64>,
) -> Reply {
    run(&engine, move |e| {
        e.enrollments(
            query.as_deref(),
            status.as_deref(),
            offset.unwrap_or(0),
            limit.unwrap_or(50),
        )
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn enrollment(engine: State<'_, Engine>, id: String) -> Reply {
    run(&engine, move |e| e.enrollment(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn receipt_pdf(engine: State<'_, Engine>, id: String, format: String) -> Reply {
    run(&engine, move |e| e.receipt_pdf(&id, &format)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_now(engine: State<'_, Engine>) -> Reply {
    run(&engine, |e| e.sync_now()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_state(engine: State<'_, Engine>) -> Reply {
    run(&engine, |e| e.sync_state()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_usb(engine: State<'_, Engine>, dir: String) -> Reply {
    run(&engine, move |e| {
        e.export_usb(&PathBuf::from(&dir))
            .map(|p| json!({ "path": p.map(|p| p.display().to_string()) }))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn day_review(engine: State<'_, Engine>, date: Option<String>) -> Reply {
    run(&engine, move |e| {
        let date = match date.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => Some(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                qafila_van::EngineError::BadInput {
                    field: "date".into(),
                    reason: "expected YYYY-MM-DD".into(),
                }
            })?),
            None => None,
        };
        e.day_review(date)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn approve(engine: State<'_, Engine>, ids: Vec<String>, supervisor: Supervisor) -> Reply {
    run(&engine, move |e| {
        e.approve(&ids, &supervisor.operator, &supervisor.passphrase)
            .map(|n| json!({ "approved": n }))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn settings_get(engine: State<'_, Engine>) -> Reply {
    run(&engine, |e| Ok(e.settings())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn settings_set(engine: State<'_, Engine>, settings: Settings) -> Reply {
    run(&engine, move |e| e.set_settings(settings)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn appointments(engine: State<'_, Engine>, today_only: Option<bool>) -> Reply {
    run(&engine, move |e| e.appointments(today_only.unwrap_or(false))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn draft_from_appointment(
    engine: State<'_, Engine>,
    drive_id: String,
    booking: String,
    kind: Option<String>,
) -> Reply {
    let kind = kind.unwrap_or_else(|| "first_card".into());
    run(&engine, move |e| e.draft_from_appointment(&drive_id, &booking, &kind)).await
}
