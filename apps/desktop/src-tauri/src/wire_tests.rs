use super::*;

/// One value as the page's encoder writes it (`batch-wire.ts`).
enum V<'a> {
    Null,
    Num(f64),
    Big(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

fn encode(db: u64, tx: u64, sql: &str, rows: &[Vec<V<'_>>]) -> Vec<u8> {
    encode_flagged(0, db, tx, sql, rows)
}

fn encode_flagged(flags: u8, db: u64, tx: u64, sql: &str, rows: &[Vec<V<'_>>]) -> Vec<u8> {
    let mut out = vec![VERSION, flags];
    out.extend(db.to_le_bytes());
    out.extend(tx.to_le_bytes());
    let bytes = |out: &mut Vec<u8>, b: &[u8]| {
        out.extend((b.len() as u32).to_le_bytes());
        out.extend(b);
    };
    bytes(&mut out, sql.as_bytes());
    out.extend((rows.len() as u32).to_le_bytes());
    for row in rows {
        out.extend((row.len() as u32).to_le_bytes());
        for v in row {
            match v {
                V::Null => out.push(NULL),
                V::Num(f) => {
                    out.push(NUMBER);
                    out.extend(f.to_le_bytes());
                }
                V::Big(i) => {
                    out.push(BIGINT);
                    out.extend(i.to_le_bytes());
                }
                V::Text(s) => {
                    out.push(TEXT);
                    bytes(&mut out, s.as_bytes());
                }
                V::Blob(b) => {
                    out.push(BLOB);
                    bytes(&mut out, b);
                }
            }
        }
    }
    out
}

fn refs<'a>(row: &'a [ToSqlOutput<'a>]) -> Vec<ValueRef<'a>> {
    row.iter()
        .map(|v| match v {
            ToSqlOutput::Borrowed(r) => *r,
            other => panic!("decoded values are borrowed, got {other:?}"),
        })
        .collect()
}

#[test]
fn every_kind_of_value_decodes_borrowed_from_the_body() {
    let body = encode(
        3,
        42,
        "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
        &[
            vec![V::Null, V::Num(7.0), V::Big(i64::MAX), V::Text("héllo ✓"), V::Blob(&[0, 255, 1])],
            vec![V::Num(-0.0), V::Num(2.5), V::Big(i64::MIN), V::Text(""), V::Blob(&[])],
        ],
    );
    let batch = decode_batch(&body).unwrap();
    assert_eq!((batch.db, batch.tx, batch.sql), (Some(3), 42, "INSERT INTO t VALUES (?, ?, ?, ?, ?)"));
    assert_eq!(batch_db(&body).unwrap(), Some(3));
    assert_eq!(
        refs(&batch.rows[0]),
        vec![
            ValueRef::Null,
            ValueRef::Integer(7),
            ValueRef::Integer(i64::MAX),
            ValueRef::Text("héllo ✓".as_bytes()),
            ValueRef::Blob(&[0, 255, 1]),
        ]
    );
    assert_eq!(
        refs(&batch.rows[1]),
        vec![ValueRef::Integer(0), ValueRef::Real(2.5), ValueRef::Integer(i64::MIN), ValueRef::Text(b""), ValueRef::Blob(b"")]
    );
}

#[test]
fn numbers_become_integers_exactly_when_json_would_have_made_them_integers() {
    let big = 2f64.powi(60);
    let body = encode(0, 1, "?", &[vec![V::Num(big), V::Num(-big), V::Num(2f64.powi(63)), V::Num(1e300), V::Num(0.1)]]);
    let batch = decode_batch(&body).unwrap();
    assert_eq!(batch.db, None, "db 0 is the app's database");
    assert_eq!(
        refs(&batch.rows[0]),
        vec![
            ValueRef::Integer(1 << 60),
            ValueRef::Integer(-(1 << 60)),
            ValueRef::Real(2f64.powi(63)),
            ValueRef::Real(1e300),
            ValueRef::Real(0.1)
        ]
    );
}

#[test]
fn a_malformed_body_is_an_invalid_error_never_a_panic() {
    let good = encode(0, 1, "INSERT INTO t VALUES (?)", &[vec![V::Text("abc")], vec![V::Big(5)]]);
    for cut in 0..good.len() {
        let e = decode_batch(&good[..cut]).unwrap_err();
        assert_eq!(e.kind(), "invalid", "cut at {cut}: {e}");
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(decode_batch(&trailing).unwrap_err().to_string().contains("1 bytes after the last"));
    let mut version = good.clone();
    version[0] = 9;
    assert!(decode_batch(&version).unwrap_err().to_string().contains("version 9"));
    let mut flags = good.clone();
    flags[1] = 2;
    assert!(decode_batch(&flags).unwrap_err().to_string().contains("unknown db_batch flags 0x02"));
    let mut tag = encode(0, 1, "?", &[vec![V::Null]]);
    *tag.last_mut().unwrap() = 7;
    assert!(decode_batch(&tag).unwrap_err().to_string().contains("unknown db_batch value tag 7"));
    let mut utf8 = encode(0, 1, "?", &[vec![V::Text("ab")]]);
    *utf8.last_mut().unwrap() = 0xff;
    assert!(decode_batch(&utf8).unwrap_err().to_string().contains("not UTF-8"));
    // A count far beyond the body fails on the missing bytes, without reserving for it first.
    let mut huge = encode(0, 1, "?", &[]);
    let at = huge.len() - 4;
    huge[at..].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(decode_batch(&huge).unwrap_err().to_string().contains("truncated"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decoded_rows_run_as_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db::Db::open(&dir.path().join("ferry.db"), std::time::Duration::from_secs(30)).unwrap();
    let tx = db.begin().await.unwrap();
    db.exec(tx, "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, b BLOB)").unwrap();
    let body = encode(0, tx, "INSERT INTO t VALUES (?, ?, ?)", &[vec![V::Text("a"), V::Num(1.0), V::Null], vec![V::Text("b"), V::Big(1 << 60), V::Blob(&[9])]]);
    let batch = decode_batch(&body).unwrap();
    assert!(!batch.whole);
    assert_eq!(db.batch_values(batch.tx, batch.sql, &batch.rows, batch.whole).unwrap(), 2);
    let rows = db.all(tx, "SELECT id, n, typeof(n), quote(b) FROM t ORDER BY id", &[]).unwrap();
    assert_eq!(
        rows.rows,
        vec![
            vec![serde_json::json!("a"), serde_json::json!(1), serde_json::json!("integer"), serde_json::json!("NULL")],
            vec![serde_json::json!("b"), serde_json::json!({ "$int": (1i64 << 60).to_string() }), serde_json::json!("integer"), serde_json::json!("X'09'")],
        ]
    );
    db.commit(tx).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_batch_runs_without_its_own_savepoint() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db::Db::open(&dir.path().join("ferry.db"), std::time::Duration::from_secs(30)).unwrap();
    let tx = db.begin().await.unwrap();
    db.exec(tx, "CREATE TABLE t (id TEXT PRIMARY KEY)").unwrap();
    let rows = [vec![V::Text("a")], vec![V::Text("a")]]; // the second row breaks the key
    // Not whole: the batch is all or nothing on its own; the first row is undone.
    let body = encode(0, tx, "INSERT INTO t VALUES (?)", &rows);
    let batch = decode_batch(&body).unwrap();
    assert!(db.batch_values(batch.tx, batch.sql, &batch.rows, batch.whole).is_err());
    assert_eq!(db.all(tx, "SELECT count(*) FROM t", &[]).unwrap().rows, vec![vec![serde_json::json!(0)]]);
    // Whole: no savepoint; the first row stays for the caller's rollback to undo.
    let body = encode_flagged(WHOLE, 0, tx, "INSERT INTO t VALUES (?)", &rows);
    let batch = decode_batch(&body).unwrap();
    assert!(batch.whole);
    assert!(db.batch_values(batch.tx, batch.sql, &batch.rows, batch.whole).is_err());
    assert_eq!(db.all(tx, "SELECT count(*) FROM t", &[]).unwrap().rows, vec![vec![serde_json::json!(1)]]);
    db.rollback(tx).unwrap();
}
