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
    assert!(failed.unwrap_err().contains("NOT NULL"));
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
            Ok::<i64, String>(seen)
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
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
    assert!(db.commit(orphan).unwrap_err().contains("not open"));
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
    assert!(db.run(tx, "SELECT ?", &[json!([1])]).unwrap_err().contains("unsupported"));
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
