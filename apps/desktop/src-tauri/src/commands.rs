//! The IPC surface the webview calls. Each command is a thin adapter over `db`, `http` and
//! `token`; SQLite calls run on the blocking pool so the async runtime never stalls on disk. A
//! failing command rejects with a `ShellError` (`error.rs`): `{ kind, message }` on the page.

use crate::db::{Db, Rows};
use crate::error::{ShellError, ShellResult};
use crate::http::{self, HttpRequest, Vault, PLACEHOLDER};
use crate::token::Credential;
use crate::wire;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::ipc::{InvokeBody, Request, Response};
use tauri::State;

/// Everything the commands share, managed by Tauri.
pub struct AppState {
    pub db: Db,
    /// Throwaway databases for the in-app driver self-test (`FERRY_DESKTOP_SELF_TEST=1` only).
    pub scratch: Mutex<HashMap<u64, Db>>,
    pub vault: Arc<Vault>,
    /// The events stream's client (gzip decoded in the shell).
    pub client: reqwest::Client,
    /// The engine's requests' client: compressed answers go to the page as they came.
    pub passthrough: reqwest::Client,
    pub config: AppConfig,
}

/// Settings fixed at start-up that the page needs to know.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppConfig {
    /// Preset server URL (`FERRY_SERVER_URL`), used when the database has none yet.
    pub server_url: Option<String>,
    pub data_dir: String,
    pub db_path: String,
    pub token_store: String,
    /// Set by `FERRY_DESKTOP_SELF_TEST=1`: the page exposes its driver self-test.
    pub self_test: bool,
    /// The machine's name, for the device name the app signs in with ("Ferry desktop on …").
    pub host_name: Option<String>,
}

/// The machine's host name from `path` (on Linux, `/proc/sys/kernel/hostname`); none when it
/// cannot be read or is empty.
pub fn host_name(path: &std::path::Path) -> Option<String> {
    let name = std::fs::read_to_string(path).ok()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.chars().take(64).collect())
}

impl AppState {
    fn scratch_dbs(&self) -> ShellResult<std::sync::MutexGuard<'_, HashMap<u64, Db>>> {
        self.scratch.lock().map_err(|e| ShellError::Internal(e.to_string()))
    }

    /// The app's database, or a self-test scratch database when `db` names one.
    fn pick(&self, db: Option<u64>) -> ShellResult<Db> {
        match db {
            None | Some(0) => Ok(self.db.clone()),
            Some(id) => self.scratch_dbs()?.get(&id).cloned().ok_or_else(|| ShellError::Invalid(format!("no database {id}"))),
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ShellResult<T> + Send + 'static) -> ShellResult<T> {
    tauri::async_runtime::spawn_blocking(f).await.map_err(|e| ShellError::Internal(e.to_string()))?
}

/// Starts a transaction once the connection is free; returns its id.
#[tauri::command]
pub async fn db_begin(state: State<'_, AppState>, db: Option<u64>) -> ShellResult<u64> {
    let db = state.pick(db)?;
    // BEGIN touches the disk too, but waiting for the turn must stay async.
    db.begin().await
}

/// The first statement of a transaction, sent with its start (`db_begin_with`).
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FirstStatement {
    Run { sql: String, params: Vec<Json> },
    All { sql: String, params: Vec<Json> },
    Exec { sql: String },
}

/// What `db_begin_with` answers: the new transaction's id, and its first statement's result
/// (`db_run`'s, `db_all`'s or `db_exec`'s) or error. The transaction is open either way, as
/// after a failing `db_run`: the page goes on with it or rolls it back.
#[derive(Debug, Serialize)]
pub struct Begun {
    pub tx: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ShellError>,
}

/// `db_begin`, then the transaction's first statement, in one round trip instead of two: every
/// IPC call costs each process a few hundred µs of CPU (`bench/ipc-probe.ts`), and a first sync
/// runs a few transactions per pulled page.
#[tauri::command]
pub async fn db_begin_with(state: State<'_, AppState>, db: Option<u64>, first: FirstStatement) -> ShellResult<Begun> {
    let db = state.pick(db)?;
    let tx = db.begin().await?;
    let run = blocking(move || run_first(&db, tx, first)).await;
    Ok(match run {
        Ok(result) => Begun { tx, result: Some(result), error: None },
        Err(e) => Begun { tx, result: None, error: Some(e) },
    })
}

/// Runs `first` in transaction `tx`; its result as the command of its kind would answer it.
pub fn run_first(db: &Db, tx: u64, first: FirstStatement) -> ShellResult<Json> {
    Ok(match first {
        FirstStatement::Run { sql, params } => Json::from(db.run(tx, &sql, &params)?),
        FirstStatement::All { sql, params } => serde_json::to_value(db.all(tx, &sql, &params)?).map_err(|e| ShellError::Internal(e.to_string()))?,
        FirstStatement::Exec { sql } => {
            db.exec(tx, &sql)?;
            Json::Null
        }
    })
}

/// Runs one statement in transaction `tx`.
#[tauri::command]
pub async fn db_run(state: State<'_, AppState>, db: Option<u64>, tx: u64, sql: String, params: Vec<Json>) -> ShellResult<usize> {
    let db = state.pick(db)?;
    blocking(move || db.run(tx, &sql, &params)).await
}

/// Runs one statement once per parameter row in a transaction, all or nothing: one round trip
/// for a page of pulled rows instead of one per row. The database, the transaction, the SQL and
/// the rows come as one raw body in the compact encoding of `wire.rs`, not as JSON.
#[tauri::command]
pub async fn db_batch(state: State<'_, AppState>, request: Request<'_>) -> ShellResult<usize> {
    let InvokeBody::Raw(body) = request.body() else {
        return Err(ShellError::Invalid("db_batch takes a raw body (wire.rs), not JSON".into()));
    };
    let db = state.pick(wire::batch_db(body)?)?;
    let body = body.clone();
    blocking(move || {
        let batch = wire::decode_batch(&body)?;
        db.batch_values(batch.tx, batch.sql, &batch.rows, batch.whole)
    })
    .await
}

/// Runs one query in transaction `tx`.
#[tauri::command]
pub async fn db_all(state: State<'_, AppState>, db: Option<u64>, tx: u64, sql: String, params: Vec<Json>) -> ShellResult<Rows> {
    let db = state.pick(db)?;
    blocking(move || db.all(tx, &sql, &params)).await
}

/// Runs one query on a read-only connection, outside any transaction: for the UI's reads,
/// which must not wait while a sync holds the write connection.
#[tauri::command]
pub async fn db_read(state: State<'_, AppState>, db: Option<u64>, sql: String, params: Vec<Json>) -> ShellResult<Rows> {
    let db = state.pick(db)?;
    blocking(move || db.read(&sql, &params)).await
}

/// Runs a parameterless script in transaction `tx`.
#[tauri::command]
pub async fn db_exec(state: State<'_, AppState>, db: Option<u64>, tx: u64, sql: String) -> ShellResult<()> {
    let db = state.pick(db)?;
    blocking(move || db.exec(tx, &sql)).await
}

/// Commits transaction `tx`.
#[tauri::command]
pub async fn db_commit(state: State<'_, AppState>, db: Option<u64>, tx: u64) -> ShellResult<()> {
    let db = state.pick(db)?;
    blocking(move || db.commit(tx)).await
}

/// Rolls back transaction `tx`.
#[tauri::command]
pub async fn db_rollback(state: State<'_, AppState>, db: Option<u64>, tx: u64) -> ShellResult<()> {
    let db = state.pick(db)?;
    blocking(move || db.rollback(tx)).await
}

/// Called once by a freshly loaded page: rolls back what a previous page left open.
#[tauri::command]
pub async fn db_reset(state: State<'_, AppState>, db: Option<u64>) -> ShellResult<bool> {
    let db = state.pick(db)?;
    blocking(move || db.reset()).await
}

/// Opens a fresh scratch database for the driver self-test; returns its id.
#[tauri::command]
pub async fn db_open_scratch(state: State<'_, AppState>) -> ShellResult<u64> {
    if !state.config.self_test {
        return Err(ShellError::Invalid("scratch databases exist only in self-test mode".into()));
    }
    let mut scratch = state.scratch_dbs()?;
    let id = scratch.len() as u64 + 1;
    let path = std::path::Path::new(&state.config.data_dir).join("self-test").join(format!("scratch-{id}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    scratch.insert(id, Db::open(&path, Duration::from_secs(30))?);
    Ok(id)
}

/// The placeholder when a session is stored, else null. The real token never leaves Rust.
#[tauri::command]
pub fn token_get(state: State<'_, AppState>) -> Option<String> {
    state.vault.get().map(|_| PLACEHOLDER.to_string())
}

/// Stores a token for `origin`. The placeholder itself (the engine echoing what login gave
/// it) is a no-op: the real token was already captured from the login response.
#[tauri::command]
pub fn token_set(state: State<'_, AppState>, token: String, origin: Option<String>) -> ShellResult<()> {
    if token == PLACEHOLDER {
        return Ok(());
    }
    let origin = origin.ok_or_else(|| ShellError::Invalid("token_set needs the server origin".into()))?;
    state.vault.set(Some(Credential { origin: http::origin_of(&origin)?, token }))
}

/// Forgets the session (sign out). Local notes stay.
#[tauri::command]
pub fn token_clear(state: State<'_, AppState>) -> ShellResult<()> {
    state.vault.set(None)
}

/// One HTTP exchange for the engine, token added on the way out and captured on the way in.
/// The response goes back as a raw body (`HttpResponse::into_ipc`), not JSON, and still
/// compressed if it came so (`http::passthrough_client`).
#[tauri::command]
pub async fn http_request(state: State<'_, AppState>, request: HttpRequest) -> ShellResult<Response> {
    Ok(Response::new(http::send(&state.passthrough, &state.vault, request).await?.into_ipc()))
}

/// Start-up settings for the page.
#[tauri::command]
pub fn app_config(state: State<'_, AppState>) -> AppConfig {
    state.config.clone()
}

#[cfg(test)]
mod tests {
    use super::host_name;

    #[tokio::test]
    async fn a_first_statement_runs_in_the_transaction_it_starts_and_its_error_leaves_it_open() {
        use super::{run_first, Begun, FirstStatement};
        use crate::db::Db;
        use serde_json::json;
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("ferry.db"), std::time::Duration::from_secs(30)).unwrap();
        let tx = db.begin().await.unwrap();
        let exec = FirstStatement::Exec { sql: "CREATE TABLE t (a INTEGER PRIMARY KEY)".into() };
        assert_eq!(run_first(&db, tx, exec).unwrap(), json!(null));
        let run = FirstStatement::Run { sql: "INSERT INTO t VALUES (?)".into(), params: vec![json!(1)] };
        assert_eq!(run_first(&db, tx, run).unwrap(), json!(1));
        let all = FirstStatement::All { sql: "SELECT a FROM t".into(), params: vec![] };
        assert_eq!(run_first(&db, tx, all).unwrap(), json!({ "columns": ["a"], "rows": [[1]] }));
        let bad = FirstStatement::Run { sql: "INSERT INTO t VALUES (?)".into(), params: vec![json!(1)] };
        let err = run_first(&db, tx, bad).unwrap_err();
        assert_eq!(err.kind(), "sqlite");
        // The transaction is still open: the page goes on with it.
        db.commit(tx).unwrap();
        let answer = serde_json::to_value(Begun { tx: 7, result: None, error: Some(err) }).unwrap();
        assert_eq!(answer["tx"], json!(7));
        assert_eq!(answer["error"]["kind"], json!("sqlite"));
        assert!(answer.get("result").is_none());
        // What the page sends deserialises into the three kinds.
        let first: FirstStatement = serde_json::from_value(json!({ "kind": "all", "sql": "SELECT 1", "params": [] })).unwrap();
        assert!(matches!(first, FirstStatement::All { .. }));
        assert!(serde_json::from_value::<FirstStatement>(json!({ "kind": "batch", "sql": "x" })).is_err());
    }

    #[test]
    fn host_name_is_the_file_trimmed_or_none() {
        let dir = std::env::temp_dir().join(format!("ferry-host-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hostname");
        std::fs::write(&file, "lisbon-laptop\n").unwrap();
        assert_eq!(host_name(&file), Some("lisbon-laptop".to_string()));
        std::fs::write(&file, "  \n").unwrap();
        assert_eq!(host_name(&file), None);
        assert_eq!(host_name(&dir.join("missing")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
