//! Ferry desktop's Rust shell: one SQLite connection with real transactions and read-only ones
//! for the UI's queries, the HTTP transport that holds the token, the server's poke stream (its
//! bytes forwarded to the page unparsed) and a 30 s tick. The sync engine itself runs in the
//! webview (`packages/client`).

pub mod commands;
pub mod db;
pub mod error;
pub mod events;
pub mod http;
pub mod reader;
pub mod token;
pub mod wire;

use commands::{AppConfig, AppState};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tauri::{Emitter, Manager};

/// How often the page is woken to sync, independent of webview timer throttling.
const TICK: Duration = Duration::from_secs(30);
/// An open transaction idle this long is treated as abandoned (its page reloaded).
const ABANDON_AFTER: Duration = Duration::from_secs(30);

/// Builds and runs the app until its window closes.
pub fn run() {
    tauri::Builder::default()
        .setup(|app| {
            let data_dir = match std::env::var_os("FERRY_DESKTOP_DATA_DIR") {
                Some(d) => PathBuf::from(d),
                None => app.path().app_data_dir()?,
            };
            std::fs::create_dir_all(&data_dir)?;
            let db_path = data_dir.join("ferry.db");
            let db = db::Db::open(&db_path, ABANDON_AFTER)?;
            let preference = token::Preference::parse(std::env::var("FERRY_TOKEN_STORE").ok().as_deref());
            let vault = Arc::new(http::Vault::new(token::TokenStore::choose(&data_dir, preference)));
            let client = http::client();
            let passthrough = http::passthrough_client();
            let config = AppConfig {
                server_url: std::env::var("FERRY_SERVER_URL").ok().filter(|s| !s.is_empty()),
                data_dir: data_dir.display().to_string(),
                db_path: db_path.display().to_string(),
                token_store: vault.describe(),
                self_test: std::env::var("FERRY_DESKTOP_SELF_TEST").is_ok_and(|v| v == "1"),
                host_name: commands::host_name(std::path::Path::new("/proc/sys/kernel/hostname")),
            };

            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let mut interval = tokio::time::interval(TICK);
                interval.tick().await;
                loop {
                    interval.tick().await;
                    let _ = handle.emit("ferry://tick", ());
                }
            });

            app.manage(AppState { db, scratch: Default::default(), vault, client, passthrough, config });
            app.manage(events::EventStreams::default());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::db_begin,
            commands::db_begin_with,
            commands::db_run,
            commands::db_batch,
            commands::db_all,
            commands::db_exec,
            commands::db_read,
            commands::db_commit,
            commands::db_rollback,
            commands::db_reset,
            commands::db_open_scratch,
            commands::token_get,
            commands::token_set,
            commands::token_clear,
            commands::http_request,
            commands::app_config,
            events::events_open,
            events::events_close,
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Ferry desktop app");
}
