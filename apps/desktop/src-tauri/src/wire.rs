//! The compact binary encoding of `db_batch`'s arguments (`apps/desktop/src/shell/batch-wire.ts`
//! writes it). A page of pulled rows crosses IPC as one raw body instead of JSON: the page writes
//! no JSON text, and the shell binds the values straight from the body (texts and blobs are
//! borrowed, not copied) instead of parsing it into `serde_json::Value`s first.
//!
//! Layout, little-endian:
//!
//! ```text
//! u8 version (2) | u8 flags | u64 db (0: the app's database) | u64 tx | u32 n, n bytes: SQL (UTF-8)
//! u32 rows | per row: u32 width, then `width` values
//! value: u8 tag, then  0 null | 1 f64 number | 2 i64 bigint | 3 u32 n + n bytes UTF-8 text
//!                      | 4 u32 n + n bytes blob
//! ```
//!
//! Flags: bit 0 (`WHOLE`) says the caller gives up its whole transaction if the batch fails
//! (the engine's `RunManyOptions.abortsTransaction`), so the rows run without the savepoint that
//! would undo them alone: inside a savepoint every statement that fires a trigger keeps a statement
//! journal (~10 µs a pulled row with the search index's trigger). Other bits must be 0.
//!
//! A number is what JSON would have made of it: an integer when it has no fraction and fits in
//! 64 bits, else a real (`db.rs`, `to_sql`).

use crate::db::DbResult;
use crate::error::ShellError;
use rusqlite::types::{ToSqlOutput, ValueRef};

pub const VERSION: u8 = 2;

/// Flag bit: the caller rolls the whole transaction back when the batch fails.
pub const WHOLE: u8 = 1;

pub const NULL: u8 = 0;
pub const NUMBER: u8 = 1;
pub const BIGINT: u8 = 2;
pub const TEXT: u8 = 3;
pub const BLOB: u8 = 4;

/// A decoded `db_batch` call; the SQL text and the values borrow from the body.
#[derive(Debug)]
pub struct Batch<'a> {
    pub db: Option<u64>,
    pub tx: u64,
    pub sql: &'a str,
    /// The `WHOLE` flag: no savepoint around the rows.
    pub whole: bool,
    pub rows: Vec<Vec<ToSqlOutput<'a>>>,
}

/// Decodes a `db_batch` body; any malformed or truncated body is an `invalid` error.
pub fn decode_batch(body: &[u8]) -> DbResult<Batch<'_>> {
    let mut r = Reader { buf: body, pos: 0 };
    let version = r.u8()?;
    if version != VERSION {
        return Err(invalid(format!("db_batch body version {version}, expected {VERSION}")));
    }
    let flags = r.u8()?;
    if flags & !WHOLE != 0 {
        return Err(invalid(format!("unknown db_batch flags {flags:#04x}")));
    }
    let db = r.u64()?;
    let tx = r.u64()?;
    let sql = r.text()?;
    let count = r.u32()? as usize;
    // Each row takes at least its 4-byte width: a corrupt count cannot reserve gigabytes.
    let mut rows = Vec::with_capacity(count.min(r.remaining() / 4));
    for _ in 0..count {
        let width = r.u32()? as usize;
        let mut row = Vec::with_capacity(width.min(r.remaining()));
        for _ in 0..width {
            row.push(ToSqlOutput::Borrowed(r.value()?));
        }
        rows.push(row);
    }
    if r.remaining() != 0 {
        return Err(invalid(format!("{} bytes after the last db_batch row", r.remaining())));
    }
    Ok(Batch { db: (db != 0).then_some(db), tx, sql, whole: flags & WHOLE != 0, rows })
}

/// The database a `db_batch` body names (`None`: the app's), read before the rest is decoded.
pub fn batch_db(body: &[u8]) -> DbResult<Option<u64>> {
    let mut r = Reader { buf: body, pos: 0 };
    r.u8()?; // version
    r.u8()?; // flags
    let db = r.u64()?;
    Ok((db != 0).then_some(db))
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> DbResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(invalid(format!("db_batch body truncated at byte {}", self.pos)));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> DbResult<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("take returns N bytes"))
    }

    fn u8(&mut self) -> DbResult<u8> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> DbResult<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> DbResult<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn bytes(&mut self) -> DbResult<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    fn text(&mut self) -> DbResult<&'a str> {
        let at = self.pos;
        std::str::from_utf8(self.bytes()?).map_err(|_| invalid(format!("db_batch text at byte {at} is not UTF-8")))
    }

    fn value(&mut self) -> DbResult<ValueRef<'a>> {
        Ok(match self.u8()? {
            NULL => ValueRef::Null,
            NUMBER => number(f64::from_le_bytes(self.array()?)),
            BIGINT => ValueRef::Integer(i64::from_le_bytes(self.array()?)),
            TEXT => ValueRef::Text(self.text()?.as_bytes()),
            BLOB => ValueRef::Blob(self.bytes()?),
            tag => return Err(invalid(format!("unknown db_batch value tag {tag} at byte {}", self.pos - 1))),
        })
    }
}

/// An integer when JSON would have given one (no fraction, within i64), else a real.
fn number(f: f64) -> ValueRef<'static> {
    // 2^63 is exact as an f64; every integral f64 below it (and at or above -2^63) fits an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        ValueRef::Integer(f as i64)
    } else {
        ValueRef::Real(f)
    }
}

fn invalid(message: String) -> ShellError {
    ShellError::Invalid(message)
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
