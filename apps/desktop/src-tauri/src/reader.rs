//! The read-only connection for the UI's queries (list, search, open a note).
//!
//! SQLite in WAL mode lets a reader see the last committed state while another connection
//! writes, so these queries never wait for the write connection's turn (`db.rs`), however long
//! the transaction holding it (a sync applying a page). Each query is its own read transaction:
//! it sees everything committed before it started and nothing of a transaction still open.
//!
//! There are [`CONNECTIONS`] of them, so one read does not wait for another: a search of one or
//! two characters, which scans every note (tens of milliseconds on a large account, more while a
//! sync takes the CPU; longer terms read the engine's trigram index), does not hold up the list's
//! next query, nor the search the user typed after it.

use crate::db::{query_rows, DbResult, Rows};
use crate::error::ShellError;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// How many read-only connections the UI's queries share.
pub const CONNECTIONS: usize = 3;

/// How much of the database file each read connection maps (`PRAGMA mmap_size`).
pub const MMAP_BYTES: i64 = 256 << 20;

pub struct Reader {
    conns: Vec<Mutex<Connection>>,
    /// Which connection to wait for when all are busy (round robin).
    next: AtomicUsize,
}

impl Reader {
    /// Opens `path` read-only; the file must exist and already be in WAL mode (the writer set it).
    pub fn open(path: &Path) -> DbResult<Reader> {
        let conns = (0..CONNECTIONS).map(|_| open_one(path).map(Mutex::new)).collect::<DbResult<_>>()?;
        Ok(Reader { conns, next: AtomicUsize::new(0) })
    }

    /// A free connection, or (all busy) the next one in turn once it is free.
    fn checkout(&self) -> DbResult<MutexGuard<'_, Connection>> {
        for conn in &self.conns {
            match conn.try_lock() {
                Ok(guard) => return Ok(guard),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Poisoned(_)) => return Err(poisoned()),
            }
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        self.conns[turn].lock().map_err(|_| poisoned())
    }

    /// Runs one query (a statement that writes is an error).
    pub fn query(&self, sql: &str, params: &[SqlValue]) -> DbResult<Rows> {
        let conn = self.checkout()?;
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

fn open_one(path: &Path) -> DbResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    // Belt and braces: even a statement that would write is refused (`query` checks first).
    conn.execute_batch("PRAGMA query_only=ON; PRAGMA busy_timeout=5000;")?;
    // A short search scans every note, a longer one reads the index. Mapped, the file's pages are read in place rather than copied
    // through the page cache, which a sync's every commit empties (WAL: a reader starting after
    // a change starts cold). Address space only; SQLite maps no more than the file.
    conn.execute_batch(&format!("PRAGMA mmap_size={MMAP_BYTES};"))?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

fn poisoned() -> ShellError {
    ShellError::Internal("read connection poisoned".into())
}
