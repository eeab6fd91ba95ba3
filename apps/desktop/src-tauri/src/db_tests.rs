use super::*;
use serde_json::json;
use std::time::Duration;

async fn open(dir: &tempfile::TempDir, abandon_after: Duration) -> Db {
    let db = Db::open(&dir.path().join("ferry.db"), abandon_after).unwrap();
    let tx = db.begin().await.unwrap();
    db.exec(tx, "CREATE TABLE notes (id TEXT PRIMARY KEY, title TEXT NOT NULL, n INTEGER)").unwrap();
    db.commit(tx).unwrap();
    db
}

fn count(db: &Db, tx: u64) -> i64 {
    let rows = db.all(tx, "SELECT count(*) AS c FROM notes", &[]).unwrap();
    rows.rows[0][0].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_commits_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let tx = db.begin().await.unwrap();
    db.run(tx, "INSERT INTO notes VALUES (?, ?, ?)", &[json!("a"), json!("A"), json!(1)]).unwrap();
    db.run(tx, "INSERT INTO notes VALUES (?, ?, ?)", &[json!("b"), json!("B"), json!(2)]).unwrap();
    db.commit(tx).unwrap();
    drop(db);

    // A fresh connection sees both rows: they reached the file, not just the open connection.
    let db = Db::open(&dir.path().join("ferry.db"), Duration::from_secs(30)).unwrap();
    let tx = db.begin().await.unwrap();
    assert_eq!(count(&db, tx), 2);
    db.rollback(tx).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_rolls_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let tx = db.begin().await.unwrap();
    db.run(tx, "INSERT INTO notes VALUES (?, ?, ?)", &[json!("a"), json!("A"), json!(1)]).unwrap();
    // The second statement fails (NOT NULL), the caller gives up and rolls back.
    let failed = db.run(tx, "INSERT INTO notes VALUES (?, ?, ?)", &[json!("b"), Json::Null, json!(2)]);
    assert!(failed.unwrap_err().to_string().contains("NOT NULL"));
    db.rollback(tx).unwrap();

    let tx = db.begin().await.unwrap();
    assert_eq!(count(&db, tx), 0, "the first insert must not survive the rollback");
    db.commit(tx).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_during_a_long_transaction_waits_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let long = db.begin().await.unwrap();
    db.run(long, "INSERT INTO notes VALUES ('sync', 'pulled', 1)", &[]).unwrap();

    let writer = {
        let db = db.clone();
        tokio::spawn(async move {
            let tx = db.begin().await?;
            // It runs only after the long transaction committed, so it sees its row.
            let seen = count(&db, tx);
            db.run(tx, "INSERT INTO notes VALUES ('ui', 'typed', 2)", &[])?;
            db.commit(tx)?;
            Ok::<i64, crate::error::ShellError>(seen)
        })
    };
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(!writer.is_finished(), "the second transaction must wait for the first");
    db.run(long, "UPDATE notes SET n = 10 WHERE id = 'sync'", &[]).unwrap();
    db.commit(long).unwrap();

    let seen = writer.await.unwrap().expect("the waiting write must succeed, never 'database is locked'");
    assert_eq!(seen, 1);
    let tx = db.begin().await.unwrap();
    assert_eq!(count(&db, tx), 2);
    db.commit(tx).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_transactions_never_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let tx = db.begin().await?;
            // Read-modify-write across an await point: interleaving would lose increments.
            let before = count(&db, tx);
            tokio::time::sleep(Duration::from_millis(2)).await;
            db.run(tx, "INSERT INTO notes VALUES (?, 't', ?)", &[json!(format!("n{i}")), json!(before)])?;
            db.commit(tx)
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let tx = db.begin().await.unwrap();
    let rows = db.all(tx, "SELECT n FROM notes ORDER BY n", &[]).unwrap();
    let ns: Vec<i64> = rows.rows.iter().map(|r| r[0].as_i64().unwrap()).collect();
    assert_eq!(ns, (0..20).collect::<Vec<i64>>(), "each transaction saw all earlier ones");
    db.commit(tx).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_transaction_is_rolled_back_and_the_next_one_proceeds() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_millis(200)).await;
    let orphan = db.begin().await.unwrap();
    db.run(orphan, "INSERT INTO notes VALUES ('lost', 'x', 1)", &[]).unwrap();
    // Nobody commits `orphan` (the page that opened it reloaded).
    let tx = tokio::time::timeout(Duration::from_secs(5), db.begin()).await.expect("begin must not wait forever").unwrap();
    assert_eq!(count(&db, tx), 0);
    db.commit(tx).unwrap();
    assert!(db.commit(orphan).unwrap_err().to_string().contains("not open"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_rolls_back_what_a_previous_page_left_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let orphan = db.begin().await.unwrap();
    db.run(orphan, "INSERT INTO notes VALUES ('lost', 'x', 1)", &[]).unwrap();
    assert!(db.reset().unwrap());
    assert!(!db.reset().unwrap());
    let tx = db.begin().await.unwrap();
    assert_eq!(count(&db, tx), 0);
    db.commit(tx).unwrap();
    assert!(db.run(orphan, "SELECT 1", &[]).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_transaction_is_not_reaped() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_millis(200)).await;
    let tx = db.begin().await.unwrap();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        db.run(tx, "INSERT INTO notes VALUES (lower(hex(randomblob(8))), 'x', 1)", &[]).unwrap();
        assert!(!db.reap_abandoned(), "a transaction still in use must stay open");
    }
    db.commit(tx).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let tx = db.begin().await.unwrap();
    db.exec(tx, "CREATE TABLE v (a, b, c, d, e, f); CREATE INDEX v_a ON v(a);").unwrap();
    let big = json!({ "$int": "9007199254740993" });
    let params = [json!("text ✓"), json!(42), json!(1.5), Json::Null, big.clone(), json!({ "$blob": [0, 1, 255] })];
    assert_eq!(db.run(tx, "INSERT INTO v VALUES (?, ?, ?, ?, ?, ?)", &params).unwrap(), 1);
    let rows = db.all(tx, "SELECT * FROM v", &[]).unwrap();
    assert_eq!(rows.columns, vec!["a", "b", "c", "d", "e", "f"]);
    assert_eq!(rows.rows[0], params.to_vec());
    assert_eq!(db.run(tx, "UPDATE v SET b = b + 1", &[]).unwrap(), 1);
    assert!(db.run(tx, "SELECT ?", &[json!([1])]).unwrap_err().to_string().contains("unsupported"));
    db.commit(tx).unwrap();
}

#[tokio::test]
async fn the_file_is_in_wal_mode_with_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let conn = db.conn().unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_runs_one_statement_for_every_row_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let tx = db.begin().await.unwrap();
    let rows: Vec<Vec<Json>> = (0..1000).map(|i| vec![json!(format!("n{i:04}")), json!(format!("title {i}")), json!(i)]).collect();
    assert_eq!(db.batch(tx, "INSERT INTO notes VALUES (?, ?, ?)", &rows).unwrap(), 1000);
    let changed = db.batch(tx, "UPDATE notes SET n = -1 WHERE id = ?", &[vec![json!("n0001")], vec![json!("none")], vec![json!("n0002")]]).unwrap();
    assert_eq!(changed, 2, "changes add up; a row matching nothing adds 0");
    assert_eq!(db.batch(tx, "DELETE FROM notes WHERE id = ?", &[]).unwrap(), 0, "no rows, no error");
    db.commit(tx).unwrap();

    let tx = db.begin().await.unwrap();
    assert_eq!(count(&db, tx), 1000);
    let rows = db.all(tx, "SELECT id FROM notes ORDER BY rowid LIMIT 3", &[]).unwrap();
    assert_eq!(rows.rows, vec![vec![json!("n0000")], vec![json!("n0001")], vec![json!("n0002")]]);
    db.commit(tx).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_row_undoes_the_whole_batch_and_the_transaction_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let tx = db.begin().await.unwrap();
    db.run(tx, "INSERT INTO notes VALUES ('before', 'kept', 0)", &[]).unwrap();
    let rows = vec![
        vec![json!("a"), json!("A"), json!(1)],
        vec![json!("b"), json!("B"), json!(2)],
        vec![json!("c"), Json::Null, json!(3)],
        vec![json!("d"), json!("D"), json!(4)],
    ];
    let e = db.batch(tx, "INSERT INTO notes VALUES (?, ?, ?)", &rows).unwrap_err().to_string();
    assert!(e.contains("row 2") && e.contains("NOT NULL"), "the error names the row and the cause: {e}");
    assert_eq!(count(&db, tx), 1, "rows a and b were undone with the batch");
    db.run(tx, "INSERT INTO notes VALUES ('after', 'kept', 0)", &[]).unwrap();
    db.commit(tx).unwrap();

    let tx = db.begin().await.unwrap();
    let ids = db.all(tx, "SELECT id FROM notes ORDER BY id", &[]).unwrap();
    assert_eq!(ids.rows, vec![vec![json!("after")], vec![json!("before")]]);
    db.commit(tx).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_the_wrong_number_of_parameters_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let tx = db.begin().await.unwrap();
    let sql = "INSERT INTO notes VALUES (?, ?, ?)";
    let too_few = db.batch(tx, sql, &[vec![json!("a"), json!("A"), json!(1)], vec![json!("b")]]).unwrap_err().to_string();
    assert!(too_few.contains("row 1: 1 parameters for 3 placeholders"), "{too_few}");
    let too_many = db.batch(tx, sql, &[vec![json!("a"), json!("A"), json!(1), json!(9)]]).unwrap_err().to_string();
    assert!(too_many.contains("row 0: 4 parameters for 3 placeholders"), "{too_many}");
    let bad_value = db.batch(tx, sql, &[vec![json!("a"), json!("A"), json!(1)], vec![json!("b"), json!([1]), json!(2)]]).unwrap_err();
    assert_eq!(bad_value.kind(), "invalid", "a batch row's error keeps its cause's kind");
    let bad_value = bad_value.to_string();
    assert!(bad_value.contains("row 1") && bad_value.contains("unsupported"), "{bad_value}");
    assert!(db.batch(tx, "INSERT INTO nowhere VALUES (?)", &[vec![json!(1)]]).is_err());
    assert_eq!(count(&db, tx), 0, "nothing of the refused batches stayed");
    db.commit(tx).unwrap();
    assert!(db.batch(tx, sql, &[]).unwrap_err().to_string().contains("not open"), "a batch names its transaction like any statement");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_does_not_wait_for_an_open_write_transaction_and_sees_only_committed_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let tx = db.begin().await.unwrap();
    db.run(tx, "INSERT INTO notes VALUES ('old', 'committed', 1)", &[]).unwrap();
    db.commit(tx).unwrap();

    // A sync holds the write connection with a page half written.
    let long = db.begin().await.unwrap();
    db.batch(long, "INSERT INTO notes VALUES (?, 'pulled', 2)", &[vec![json!("p1")], vec![json!("p2")]]).unwrap();
    let reader = {
        let db = db.clone();
        std::thread::spawn(move || db.read("SELECT id FROM notes WHERE title LIKE ? ORDER BY id", &[json!("%")]))
    };
    // The read answers while `long` is still open (it is committed only after the join).
    let rows = reader.join().unwrap().unwrap();
    assert_eq!(rows.rows, vec![vec![json!("old")]], "only committed rows, none of the open transaction");
    db.commit(long).unwrap();
    let rows = db.read("SELECT count(*) FROM notes", &[]).unwrap();
    assert_eq!(rows.rows[0][0], json!(3), "a read after the commit sees it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_connection_refuses_writes_and_returns_values_like_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    for sql in ["INSERT INTO notes VALUES ('x', 'y', 1)", "DELETE FROM notes", "CREATE TABLE z (a)", "PRAGMA user_version = 7"] {
        assert!(db.read(sql, &[]).is_err(), "{sql} must be refused");
    }
    assert!(db.read("BEGIN", &[]).unwrap_err().to_string().contains("no transactions"));
    let tx = db.begin().await.unwrap();
    db.run(tx, "INSERT INTO notes VALUES ('later', 't', 1)", &[]).unwrap();
    db.commit(tx).unwrap();
    assert_eq!(db.read("SELECT count(*) FROM notes", &[]).unwrap().rows[0][0], json!(1), "no stale snapshot after a refused BEGIN");
    let big = json!({ "$int": "9007199254740993" });
    let rows = db.read("SELECT ? AS a, ? AS b, ? AS c", &[json!("ü"), big.clone(), json!({ "$blob": [1, 255] })]).unwrap();
    assert_eq!(rows.columns, vec!["a", "b", "c"]);
    assert_eq!(rows.rows[0], vec![json!("ü"), big, json!({ "$blob": [1, 255] })]);
    let tx = db.begin().await.unwrap();
    assert_eq!(count(&db, tx), 1, "nothing was written through the reader");
    db.commit(tx).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_does_not_wait_for_another_long_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    // A search scanning a large table, stood in for by a query counting to 5 million.
    let slow = {
        let db = db.clone();
        std::thread::spawn(move || {
            let sql = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000000) SELECT count(*) FROM c";
            db.read(sql, &[])
        })
    };
    // Give it the time to start (if it has not, the check below passes without proving much).
    std::thread::sleep(Duration::from_millis(1000));
    let rows = db.read("SELECT count(*) FROM notes", &[]).unwrap();
    assert_eq!(rows.rows[0][0], json!(0));
    assert!(!slow.is_finished(), "the quick read answered only after the slow one finished");
    assert_eq!(slow.join().unwrap().unwrap().rows[0][0], json!(5_000_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_connections_map_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    for _ in 0..crate::reader::CONNECTIONS {
        assert_eq!(db.read("PRAGMA mmap_size", &[]).unwrap().rows[0][0], json!(crate::reader::MMAP_BYTES));
    }
}

/// The engine's search index is an FTS5 table with the trigram tokenizer (packages/client
/// search-index.ts): the bundled SQLite must have FTS5 (libsqlite3-sys's `bundled` build enables
/// it), and the UI's read connections must answer a MATCH on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundled_sqlite_has_fts5_trigram_and_readers_query_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Duration::from_secs(30)).await;
    let tx = db.begin().await.unwrap();
    let opts = db.all(tx, "SELECT compile_options FROM pragma_compile_options", &[]).unwrap();
    assert!(opts.rows.iter().any(|r| r[0] == json!("ENABLE_FTS5")), "no FTS5 in {:?}", opts.rows);
    db.exec(tx, "CREATE VIRTUAL TABLE notes_fts USING fts5(title, content='notes', content_rowid='rowid', tokenize='trigram')").unwrap();
    db.exec(tx, "CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN INSERT INTO notes_fts (rowid, title) VALUES (new.rowid, new.title); END").unwrap();
    db.run(tx, "INSERT INTO notes VALUES (?, ?, ?)", &[json!("a"), json!("Buy oatmeal"), json!(1)]).unwrap();
    db.commit(tx).unwrap();

    let sql = "SELECT id FROM notes WHERE rowid IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?)";
    let found = db.read(sql, &[json!("\"TMEA\"")]).unwrap();
    assert_eq!(found.rows, vec![vec![json!("a")]]);
}
