//! One SQLite connection shared by the whole app, handed out one transaction at a time.
//!
//! The sync engine in the webview needs real multi-statement transactions (`SqlDriver` in
//! `packages/client/src/driver.ts`): the UI writes while a background sync applies a pull, and
//! neither may see "database is locked". So there is exactly one connection, and a transaction
//! owns it from `begin` to `commit`/`rollback`; a second `begin` waits (asynchronously, on a
//! tokio mutex, so no runtime thread is parked) until the first one ends.
//!
//! A webview reload can abandon an open transaction. Two things end it: the page calls `reset`
//! when it starts (there is one page, so whatever is open then is orphaned), and a waiting
//! `begin` rolls back a transaction that has been idle longer than `abandon_after`.
//!
//! The UI's reads (list, search, open a note) do not take a turn at all: they run on separate
//! read-only connections (`reader.rs`), which WAL lets read the last committed state while a
//! transaction writes.
//!
//! Nothing here knows about Tauri, so `cargo test` exercises it directly.

use crate::error::ShellError;
use crate::reader::Reader;
use rusqlite::types::{ToSql, Value as SqlValue, ValueRef};
use rusqlite::{params_from_iter, Connection};
use serde::Serialize;
use serde_json::{json, Value as Json};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// JavaScript numbers are exact up to 2^53 - 1; larger integers travel as `{"$int": "…"}`.
const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;

/// A database result; the error reaches the page as `{ kind, message }` (`error.rs`).
pub type DbResult<T> = Result<T, ShellError>;

/// Rows of a query, as column names plus positional values (smaller over IPC than objects).
#[derive(Debug, Serialize, PartialEq)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Json>>,
}

struct OpenTx {
    id: u64,
    /// Held for the transaction's lifetime; dropping it lets the next `begin` through.
    _turn: OwnedMutexGuard<()>,
    last_used: Instant,
    in_statement: bool,
}

struct Inner {
    conn: Mutex<Connection>,
    reader: Reader,
    turn: Arc<AsyncMutex<()>>,
    open: Mutex<Option<OpenTx>>,
    next_id: AtomicU64,
    abandon_after: Duration,
}

/// The app's database: clone it freely, every clone shares the one connection.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

impl Db {
    /// Opens (or creates) the database file with WAL and `synchronous=FULL`, so a committed
    /// transaction survives a power cut.
    pub fn open(path: &Path, abandon_after: Duration) -> DbResult<Db> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ShellError::io(format!("cannot create {}", dir.display()), e))?;
        }
        let conn = Connection::open(path)?;
        let conn = Self::setup(conn)?;
        // After the writer switched the file to WAL: a reader must never hold up a writer.
        let reader = Reader::open(path)?;
        Ok(Db {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                reader,
                turn: Arc::new(AsyncMutex::new(())),
                open: Mutex::new(None),
                next_id: AtomicU64::new(1),
                abandon_after,
            }),
        })
    }

    fn setup(conn: Connection) -> DbResult<Connection> {
        // journal_mode returns a row, so it is queried rather than executed.
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            return Err(ShellError::Database(format!("could not switch the database to WAL (got {mode})")));
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY;")
            ?;
        // The engine runs a few dozen distinct statements (one upsert per table and column set).
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    /// Runs one query on a read-only connection, outside any transaction: it sees what was
    /// last committed and never waits for the transaction that holds the write connection.
    pub fn read(&self, sql: &str, params: &[Json]) -> DbResult<Rows> {
        self.inner.reader.query(sql, &to_sql_params(params)?)
    }

    /// Waits for the connection to be free, then starts a transaction and returns its id.
    pub async fn begin(&self) -> DbResult<u64> {
        let turn = loop {
            let wait = self.inner.turn.clone().lock_owned();
            match tokio::time::timeout(self.poll_interval(), wait).await {
                Ok(guard) => break guard,
                Err(_) => {
                    self.reap_abandoned();
                }
            }
        };
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let conn = self.conn()?;
            conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        *self.open_slot() = Some(OpenTx { id, _turn: turn, last_used: Instant::now(), in_statement: false });
        Ok(id)
    }

    /// Runs one statement inside transaction `tx`; returns how many rows it changed.
    pub fn run(&self, tx: u64, sql: &str, params: &[Json]) -> DbResult<usize> {
        let params = to_sql_params(params)?;
        self.with_tx(tx, |conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            Ok(stmt.execute(params_from_iter(params.iter()))?)
        })
    }

    /// Runs one statement once per parameter row inside transaction `tx`, in order, as one
    /// prepared statement; returns the total of changed rows. All or nothing: the rows run in a
    /// savepoint, so when one fails (a constraint, a wrong number of parameters) the rows before
    /// it are undone and the error names the row; the transaction itself stays open.
    pub fn batch(&self, tx: u64, sql: &str, rows: &[Vec<Json>]) -> DbResult<usize> {
        let rows = rows
            .iter()
            .enumerate()
            .map(|(i, r)| to_sql_params(r).map_err(|e| e.in_row(i)))
            .collect::<DbResult<Vec<_>>>()?;
        self.batch_values(tx, sql, &rows, false)
    }

    /// `batch` with the values already SQLite's (`db_batch` binds them from its binary body,
    /// `wire.rs`, without a JSON step). `whole`: the caller rolls the whole transaction back if
    /// this fails, so the rows run without the savepoint (and its statement journals); a failure
    /// then leaves the rows before it in the transaction, for that rollback to undo.
    pub fn batch_values<P: ToSql>(&self, tx: u64, sql: &str, rows: &[Vec<P>], whole: bool) -> DbResult<usize> {
        self.with_tx(tx, |conn| {
            if whole {
                return run_rows(conn, sql, rows);
            }
            conn.execute_batch("SAVEPOINT ferry_batch")?;
            match run_rows(conn, sql, rows) {
                Ok(changes) => {
                    conn.execute_batch("RELEASE ferry_batch")?;
                    Ok(changes)
                }
                Err(e) => {
                    // Undo this batch only; the caller decides about its transaction.
                    let _ = conn.execute_batch("ROLLBACK TO ferry_batch; RELEASE ferry_batch");
                    Err(e)
                }
            }
        })
    }

    /// Runs one query inside transaction `tx`.
    pub fn all(&self, tx: u64, sql: &str, params: &[Json]) -> DbResult<Rows> {
        let params = to_sql_params(params)?;
        self.with_tx(tx, |conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            query_rows(&mut stmt, &params)
        })
    }

    /// Runs a parameterless script (several statements) inside transaction `tx`.
    pub fn exec(&self, tx: u64, sql: &str) -> DbResult<()> {
        self.with_tx(tx, |conn| Ok(conn.execute_batch(sql)?))
    }

    /// Commits transaction `tx` and lets the next one start. On failure it is rolled back.
    pub fn commit(&self, tx: u64) -> DbResult<()> {
        let open = self.take(tx)?;
        let conn = self.conn()?;
        let result = conn.execute_batch("COMMIT").map_err(ShellError::from);
        if result.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        drop(open);
        result
    }

    /// Rolls back transaction `tx` and lets the next one start.
    pub fn rollback(&self, tx: u64) -> DbResult<()> {
        let open = self.take(tx)?;
        let result = self.rollback_conn();
        drop(open);
        result
    }

    /// Rolls back whatever transaction is open: the page that opened it is gone (reload).
    pub fn reset(&self) -> DbResult<bool> {
        let open = self.open_slot().take();
        let had = open.is_some();
        if had {
            self.rollback_conn()?;
        }
        drop(open);
        Ok(had)
    }

    /// Rolls back the open transaction if no statement has touched it for `abandon_after`.
    pub fn reap_abandoned(&self) -> bool {
        let mut slot = self.open_slot();
        let stale = matches!(&*slot, Some(t) if !t.in_statement && t.last_used.elapsed() >= self.inner.abandon_after);
        if !stale {
            return false;
        }
        let open = slot.take();
        drop(slot);
        let _ = self.rollback_conn();
        drop(open);
        true
    }

    fn poll_interval(&self) -> Duration {
        (self.inner.abandon_after / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
    }

    fn rollback_conn(&self) -> DbResult<()> {
        let conn = self.conn()?;
        if conn.is_autocommit() {
            return Ok(());
        }
        Ok(conn.execute_batch("ROLLBACK")?)
    }

    fn with_tx<T>(&self, tx: u64, f: impl FnOnce(&Connection) -> DbResult<T>) -> DbResult<T> {
        self.mark(tx, true)?;
        let result = match self.conn() {
            Ok(conn) => f(&conn),
            Err(e) => Err(e),
        };
        // The transaction may have been reset meanwhile; then there is nothing to mark.
        let _ = self.mark(tx, false);
        result
    }

    fn mark(&self, tx: u64, in_statement: bool) -> DbResult<()> {
        let mut slot = self.open_slot();
        match slot.as_mut() {
            Some(open) if open.id == tx => {
                open.in_statement = in_statement;
                open.last_used = Instant::now();
                Ok(())
            }
            _ => Err(not_open(tx)),
        }
    }

    fn take(&self, tx: u64) -> DbResult<OpenTx> {
        let mut slot = self.open_slot();
        match slot.as_ref() {
            Some(open) if open.id == tx => Ok(slot.take().expect("checked above")),
            _ => Err(not_open(tx)),
        }
    }

    fn conn(&self) -> DbResult<std::sync::MutexGuard<'_, Connection>> {
        self.inner.conn.lock().map_err(|_| ShellError::Internal("database connection poisoned".into()))
    }

    fn open_slot(&self) -> std::sync::MutexGuard<'_, Option<OpenTx>> {
        // A panic while holding this lock cannot leave the Option half-written.
        self.inner.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Runs a prepared query and collects its rows.
pub(crate) fn query_rows(stmt: &mut rusqlite::Statement<'_>, params: &[SqlValue]) -> DbResult<Rows> {
    let columns: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let width = columns.len();
    let mut out = Vec::new();
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(to_json(row.get_ref(i)?));
        }
        out.push(values);
    }
    Ok(Rows { columns, rows: out })
}

/// Executes `sql` for every row of parameters; stops at the first failing row.
fn run_rows<P: ToSql>(conn: &Connection, sql: &str, rows: &[Vec<P>]) -> DbResult<usize> {
    let mut stmt = conn.prepare_cached(sql)?;
    let expected = stmt.parameter_count();
    let mut changes = 0;
    for (i, params) in rows.iter().enumerate() {
        if params.len() != expected {
            let message = format!("{} parameters for {expected} placeholders", params.len());
            return Err(ShellError::Invalid(message).in_row(i));
        }
        changes += stmt.execute(params_from_iter(params.iter())).map_err(|e| ShellError::from(e).in_row(i))?;
    }
    Ok(changes)
}

fn not_open(tx: u64) -> ShellError {
    ShellError::TxNotOpen(tx)
}

/// Maps JSON parameters to SQLite values: numbers stay integers when they are integers,
/// `{"$int": "…"}` carries a bigint, `{"$blob": [bytes]}` a blob.
pub fn to_sql_params(params: &[Json]) -> DbResult<Vec<SqlValue>> {
    params.iter().map(to_sql).collect()
}

fn to_sql(v: &Json) -> DbResult<SqlValue> {
    Ok(match v {
        Json::Null => SqlValue::Null,
        Json::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Json::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().ok_or_else(|| invalid(format!("number out of range: {n}")))?),
        },
        Json::String(s) => SqlValue::Text(s.clone()),
        Json::Object(o) => {
            if let Some(Json::String(s)) = o.get("$int") {
                SqlValue::Integer(s.parse::<i64>().map_err(|_| invalid(format!("not a 64-bit integer: {s}")))?)
            } else if let Some(Json::Array(bytes)) = o.get("$blob") {
                let blob = bytes
                    .iter()
                    .map(|b| b.as_u64().filter(|x| *x <= 255).map(|x| x as u8))
                    .collect::<Option<Vec<u8>>>()
                    .ok_or_else(|| invalid("a $blob must be an array of bytes".into()))?;
                SqlValue::Blob(blob)
            } else {
                return Err(invalid(format!("unsupported parameter: {v}")));
            }
        }
        Json::Array(_) => return Err(invalid(format!("unsupported parameter: {v}"))),
    })
}

fn invalid(message: String) -> ShellError {
    ShellError::Invalid(message)
}

fn to_json(v: ValueRef<'_>) -> Json {
    match v {
        ValueRef::Null => Json::Null,
        ValueRef::Integer(i) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) => json!(i),
        ValueRef::Integer(i) => json!({ "$int": i.to_string() }),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => Json::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => json!({ "$blob": b }),
    }
}

#[cfg(test)]
#[path = "db_tests.rs"]
mod tests;
