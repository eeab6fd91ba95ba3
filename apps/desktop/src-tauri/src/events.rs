//! The server's poke stream (`GET /v1/events`), read by the Rust side because it needs the
//! token, which the page never holds. Each `event: poke` is handed to `on_poke`; the app turns
//! it into a `ferry://poke` window event and the engine syncs.

use crate::http::Vault;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

/// One server-sent event.
#[derive(Debug, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Incremental `text/event-stream` parser: feed it chunks, get whole events.
#[derive(Default)]
pub struct SseParser {
    buffer: String,
    event: String,
    data: Vec<String>,
}

impl SseParser {
    /// Consumes a chunk (which may end mid-line) and returns the events it completed.
    pub fn feed(&mut self, chunk: &str) -> Vec<SseEvent> {
        self.buffer.push_str(chunk);
        let mut out = Vec::new();
        while let Some(nl) = self.buffer.find('\n') {
            let line: String = self.buffer.drain(..=nl).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() || !self.event.is_empty() {
                    let event = if self.event.is_empty() { "message".to_string() } else { std::mem::take(&mut self.event) };
                    out.push(SseEvent { event, data: self.data.join("\n") });
                }
                self.event.clear();
                self.data.clear();
            } else if line.starts_with(':') {
                // Heartbeat comment.
            } else {
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "event" => self.event = value.to_string(),
                    "data" => self.data.push(value.to_string()),
                    _ => {}
                }
            }
        }
        out
    }
}

/// Keeps one stream open while signed in; reconnects with capped backoff; restarts when the
/// credential changes. Runs until the app exits.
pub async fn run(client: reqwest::Client, vault: Arc<Vault>, on_poke: impl Fn(String) + Send + 'static) {
    let mut changed = vault.watch();
    let mut backoff = Duration::from_secs(1);
    loop {
        let Some(credential) = vault.get() else {
            // Signed out: wait for a sign-in.
            if changed.changed().await.is_err() {
                return;
            }
            continue;
        };
        let url = format!("{}/v1/events", credential.origin);
        let request = client.get(&url).bearer_auth(&credential.token).header("accept", "text/event-stream");
        let outcome = tokio::select! {
            r = stream(request, &on_poke) => r,
            _ = changed.changed() => { backoff = Duration::from_secs(1); continue; }
        };
        if outcome {
            backoff = Duration::from_secs(1);
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = changed.changed() => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// Reads one connection to its end; true when it was established (so backoff restarts).
async fn stream(request: reqwest::RequestBuilder, on_poke: &impl Fn(String)) -> bool {
    let Ok(res) = request.send().await else { return false };
    if !res.status().is_success() {
        return false;
    }
    // The stream is alive now: a poke may have been missed while it was down, so say so.
    on_poke(String::new());
    let mut parser = SseParser::default();
    let mut body = res.bytes_stream();
    // A heartbeat comes at least every 25 s; silence for longer means a dead connection.
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout(Duration::from_secs(60), body.next()).await {
        for event in parser.feed(&String::from_utf8_lossy(&chunk)) {
            if event.event == "poke" {
                on_poke(event.data);
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pokes_split_across_chunks_and_ignores_comments() {
        let mut p = SseParser::default();
        assert!(p.feed(": heartbeat\n\nevent: po").is_empty());
        let got = p.feed("ke\r\ndata: {\"cursor\":\"7\"}\r\n\r\ndata: a\ndata: b\n\n");
        assert_eq!(
            got,
            vec![
                SseEvent { event: "poke".into(), data: "{\"cursor\":\"7\"}".into() },
                SseEvent { event: "message".into(), data: "a\nb".into() },
            ]
        );
    }
}
