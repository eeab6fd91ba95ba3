//! The server's poke stream (`GET /v1/events`) for the page. The request leaves from Rust, which
//! holds the token (the placeholder bearer is swapped as in `http::send`), and the body's bytes are
//! forwarded to the page as they arrive, unparsed. The engine in the page turns them into pokes,
//! reconnects and backs off, exactly as on the web (`packages/client/src/poke.ts`; the page's
//! side is `src/shell/event-source.ts`).

use crate::commands::AppState;
use crate::error::ShellResult;
use crate::http::{self, Vault};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tauri::async_runtime::JoinHandle;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::State;

/// The server sends a heartbeat at least every 25 s; silence for longer means a dead connection.
const SILENCE: Duration = Duration::from_secs(60);

/// The stream request the page's `EventSourceFn` makes.
#[derive(Debug, Deserialize)]
pub struct EventsRequest {
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// What `events_open` answers: the stream's id (for `events_close`) and the response status.
#[derive(Debug, Serialize, PartialEq)]
pub struct Opened {
    pub id: u64,
    pub status: u16,
}

/// The stream open for the page. The page keeps at most one (its poke listener's), so opening
/// another closes the previous one: a reloaded page does not leave its predecessor's running.
#[derive(Default)]
pub struct EventStreams {
    inner: Mutex<Slot>,
}

/// The last id given out, and the open stream's id and forwarding task.
#[derive(Default)]
struct Slot {
    last_id: u64,
    open: Option<(u64, JoinHandle<()>)>,
}

impl EventStreams {
    /// A new id; the stream of that id, when given, replaces (and stops) the open one.
    fn open(&self, forwarder: Option<JoinHandle<()>>) -> u64 {
        let mut slot = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        slot.last_id += 1;
        let id = slot.last_id;
        if let Some(task) = forwarder {
            if let Some((_, old)) = slot.open.replace((id, task)) {
                old.abort();
            }
        }
        id
    }

    /// Stops stream `id` if it is the open one.
    fn close(&self, id: u64) {
        let mut slot = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if slot.open.as_ref().is_some_and(|(open, _)| *open == id) {
            if let Some((_, task)) = slot.open.take() {
                task.abort();
            }
        }
    }
}

/// Sends the stream request with the real token in place of the placeholder.
pub async fn connect(client: &reqwest::Client, vault: &Vault, mut req: EventsRequest) -> ShellResult<reqwest::Response> {
    http::authorize(&mut req.headers, &req.url, vault.get().as_ref())?;
    let mut builder = client.get(&req.url);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    Ok(builder.send().await?)
}

/// Sends each chunk of the body to the page as bytes, then JSON `null` once the body ends, fails,
/// or stays silent past [`SILENCE`].
pub async fn forward(res: reqwest::Response, to_page: Channel) {
    let mut body = res.bytes_stream();
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout(SILENCE, body.next()).await {
        if to_page.send(InvokeResponseBody::Raw(chunk.to_vec())).is_err() {
            return;
        }
    }
    let _ = to_page.send(InvokeResponseBody::Json("null".into()));
}

/// Opens the stream; a successful response's body is forwarded over `on_message` until it ends
/// or `events_close` (or the next `events_open`) stops it. A transport failure rejects.
#[tauri::command]
pub async fn events_open(
    state: State<'_, AppState>,
    streams: State<'_, EventStreams>,
    request: EventsRequest,
    on_message: Channel,
) -> ShellResult<Opened> {
    let res = connect(&state.client, &state.vault, request).await?;
    let status = res.status().as_u16();
    let forwarder = res.status().is_success().then(|| tauri::async_runtime::spawn(forward(res, on_message)));
    Ok(Opened { id: streams.open(forwarder), status })
}

/// Stops stream `id` (the page's listener stopped or aborted it).
#[tauri::command]
pub fn events_close(streams: State<'_, EventStreams>, id: u64) {
    streams.close(id);
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
