use super::*;
use crate::http::PLACEHOLDER;
use crate::token::{Credential, Preference, TokenStore};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

/// A loopback server that records the request head and writes an event stream in `parts`, a
/// pause between them, then closes the connection.
fn serve_stream(parts: Vec<Vec<u8>>) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        tx.send(head).unwrap();
        write!(stream, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n").unwrap();
        for part in parts {
            stream.write_all(&part).unwrap();
            stream.flush().unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    (origin, rx)
}

#[tokio::test]
async fn the_body_reaches_the_page_byte_for_byte_then_null_and_the_request_carries_the_token() {
    let body = "event: poke\ndata: {\"cursor\":\"7\"}\n\n: é\n\n".as_bytes().to_vec();
    let cut = body.iter().position(|b| *b == 0xc3).unwrap() + 1; // inside "é": not for Rust to mend
    let (origin, heads) = serve_stream(vec![body[..cut].to_vec(), body[cut..].to_vec()]);
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::new(TokenStore::choose(dir.path(), Preference::File));
    vault.set(Some(Credential { origin: origin.clone(), token: "the-real-token".into() })).unwrap();

    let request = EventsRequest {
        url: format!("{origin}/v1/events"),
        headers: BTreeMap::from([("authorization".into(), format!("Bearer {PLACEHOLDER}"))]),
    };
    let res = connect(&http::client(), &vault, request).await.unwrap();
    assert_eq!(res.status(), 200);
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    forward(res, Channel::new(move |m| {
        sink.lock().unwrap().push(m);
        Ok(())
    }))
    .await;

    let got = std::mem::take(&mut *got.lock().unwrap());
    let (last, chunks) = got.split_last().unwrap();
    assert!(matches!(last, InvokeResponseBody::Json(s) if s == "null"), "{last:?}");
    let bytes: Vec<u8> = chunks
        .iter()
        .flat_map(|m| match m {
            InvokeResponseBody::Raw(b) => b.clone(),
            other => panic!("a chunk that is not bytes: {other:?}"),
        })
        .collect();
    assert_eq!(bytes, body);
    let head = heads.recv().unwrap().to_ascii_lowercase();
    assert!(head.contains("authorization: bearer the-real-token"), "{head}");
}

/// Sets its flag when dropped: a task's future is dropped when the task is aborted.
struct Dropped(Arc<AtomicBool>);
impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn pending_task() -> (JoinHandle<()>, Arc<AtomicBool>) {
    let flag = Arc::new(AtomicBool::new(false));
    let guard = Dropped(flag.clone());
    let task = tauri::async_runtime::spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    (task, flag)
}

async fn wait_for(flag: &AtomicBool) -> bool {
    for _ in 0..100 {
        if flag.load(Ordering::SeqCst) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn a_new_stream_stops_the_open_one_and_close_stops_only_its_own() {
    let streams = EventStreams::default();
    let (first, first_stopped) = pending_task();
    let a = streams.open(Some(first));
    let (second, second_stopped) = pending_task();
    let b = streams.open(Some(second));
    assert_ne!(a, b);
    assert!(wait_for(&first_stopped).await, "opening a stream stops the one open");

    streams.close(a);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!second_stopped.load(Ordering::SeqCst), "closing an old id leaves the open stream");
    streams.close(b);
    assert!(wait_for(&second_stopped).await);
}
