//! The read-only connection for the UI's queries (list, search, open a note).
//!
//! SQLite in WAL mode lets a reader see the last committed state while another connection
//! writes, so these queries never wait for the write connection's turn (`db.rs`), however long
//! the transaction holding it (a sync applying a page). Each query is its own read transaction:
//! it sees everything committed before it started and nothing of a transaction still open.

use crate::db::{query_rows, DbResult, Rows};
use crate::error::ShellError;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::Mutex;

pub struct Reader {
    conn: Mutex<Connection>,
}

impl Reader {
    /// Opens `path` read-only; the file must exist and already be in WAL mode (the writer set it).
    pub fn open(path: &Path) -> DbResult<Reader> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)?;
        // Belt and braces: even a statement that would write is refused (`query` checks first).
        conn.execute_batch("PRAGMA query_only=ON; PRAGMA busy_timeout=5000;")?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Reader { conn: Mutex::new(conn) })
    }

    /// Runs one query (a statement that writes is an error).
    pub fn query(&self, sql: &str, params: &[SqlValue]) -> DbResult<Rows> {
        let conn = self.conn.lock().map_err(|_| ShellError::Internal("read connection poisoned".into()))?;
        let result = {
            let mut stmt = conn.prepare_cached(sql)?;
            if !stmt.readonly() {
                return Err(ShellError::Invalid(format!("the read connection runs queries only: {sql}")));
            }
            query_rows(&mut stmt, params)
        };
        // `BEGIN` counts as read-only to SQLite; left open, it would freeze every later read on
        // an old snapshot.
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(ShellError::Invalid(format!("the read connection runs no transactions: {sql}")));
        }
        result
    }
}
