//! The engine's HTTP transport, performed by the Rust side so page scripts never see the token.
//!
//! The engine in the webview believes it holds a token: it is handed [`PLACEHOLDER`]. Login and
//! signup responses pass through here; the real token is taken out of the body, kept in the
//! [`Vault`], and replaced by the placeholder. Outgoing requests carrying
//! `Authorization: Bearer <PLACEHOLDER>` get the real token, but only when they go to the origin
//! that issued it; to any other origin the header is dropped.

use crate::error::{ShellError, ShellResult};
use crate::token::{Credential, TokenStore};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

/// What the webview sees instead of the token.
pub const PLACEHOLDER: &str = "ferry-desktop-held-token";

/// One HTTP exchange as the engine's `HttpFn` describes it.
#[derive(Debug, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
}

/// The response handed back to the engine.
#[derive(Debug, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

#[derive(Serialize)]
struct ResponseHead<'a> {
    status: u16,
    headers: &'a BTreeMap<String, String>,
}

impl HttpResponse {
    /// The raw IPC body the page reads (`src/shell/http.ts`): status and headers as one line of
    /// JSON (serde escapes every newline inside it), a newline, then the body's bytes as they
    /// came. The body crosses IPC once, not escaped inside a JSON string to be parsed twice.
    pub fn into_ipc(self) -> Vec<u8> {
        let head = ResponseHead { status: self.status, headers: &self.headers };
        let mut out = serde_json::to_vec(&head).expect("a map of strings serialises");
        out.reserve(1 + self.body.len());
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out
    }
}

/// The credential in memory, backed by the token store; watchers learn when it changes.
pub struct Vault {
    store: TokenStore,
    current: Mutex<Option<Credential>>,
    changed: watch::Sender<u64>,
}

impl Vault {
    /// Loads the stored credential (a read failure counts as signed out).
    pub fn new(store: TokenStore) -> Vault {
        let current = store.load().unwrap_or(None);
        Vault { store, current: Mutex::new(current), changed: watch::channel(0).0 }
    }

    /// The stored credential, if any.
    pub fn get(&self) -> Option<Credential> {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stores a credential (or forgets it with `None`) and tells watchers.
    pub fn set(&self, credential: Option<Credential>) -> ShellResult<()> {
        match &credential {
            Some(c) => self.store.save(c)?,
            None => self.store.clear()?,
        }
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = credential;
        self.changed.send_modify(|n| *n += 1);
        Ok(())
    }

    /// A receiver that wakes whenever the credential changes.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Where the credential lives, for display.
    pub fn describe(&self) -> String {
        self.store.describe()
    }
}

/// `scheme://host[:port]` of a URL, or an error for anything that is not http(s).
pub fn origin_of(url: &str) -> ShellResult<String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| ShellError::Invalid(format!("invalid URL {url}: {e}")))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed.origin().ascii_serialization()),
        other => Err(ShellError::Invalid(format!("unsupported URL scheme {other}"))),
    }
}

/// Replaces the placeholder bearer with the real token for its own origin; drops it elsewhere.
pub fn authorize(headers: &mut BTreeMap<String, String>, url: &str, credential: Option<&Credential>) -> ShellResult<()> {
    let key = headers.keys().find(|k| k.eq_ignore_ascii_case("authorization")).cloned();
    let Some(key) = key else { return Ok(()) };
    if headers.get(&key).map(String::as_str) != Some(&format!("Bearer {PLACEHOLDER}")) {
        return Ok(());
    }
    let origin = origin_of(url)?;
    match credential {
        Some(c) if c.origin == origin => {
            headers.insert(key, format!("Bearer {}", c.token));
        }
        _ => {
            headers.remove(&key);
        }
    }
    Ok(())
}

/// Whether `url` is a signup or login, whose response carries the token.
fn is_auth(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else { return false };
    let path = parsed.path().trim_end_matches('/');
    path.ends_with("/v1/auth/login") || path.ends_with("/v1/auth/signup")
}

/// For a successful signup or login response, takes the token out of the body: returns the
/// credential to store and the body to hand to the page.
pub fn capture_token(url: &str, status: u16, body: &str) -> Option<(Credential, String)> {
    if !(200..300).contains(&status) || !is_auth(url) {
        return None;
    }
    let mut json: Json = serde_json::from_str(body).ok()?;
    let token = json.get("token")?.as_str()?.to_string();
    json["token"] = Json::String(PLACEHOLDER.into());
    Some((Credential { origin: origin_of(url).ok()?, token }, json.to_string()))
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("ferry-desktop/", env!("CARGO_PKG_VERSION")))
}

/// Builds the client of the events stream, which decodes gzip answers. No total timeout: the
/// events stream stays open for hours.
pub fn client() -> reqwest::Client {
    builder().build().expect("the HTTP client builds with static settings")
}

/// Builds the client of the engine's requests (`send`): it hands a compressed answer back as it
/// came, `content-encoding` and all, and the page decodes it (`src/shell/http.ts`). A gzip page
/// of notes is a third to a tenth of its JSON, and every byte costs both processes CPU on its
/// way through the webview's IPC, far more than inflating it in the page.
pub fn passthrough_client() -> reqwest::Client {
    builder().no_gzip().build().expect("the HTTP client builds with static settings")
}

/// The most bytes of a response body the shell reads, as reqwest hands them over (inflated by
/// the events stream's client; as they came, gzip and all, by `passthrough_client`, whose
/// answers the page inflates and caps again): as the engine's own clients (`FETCH_HTTP_MAX_BODY_BYTES` in packages/client), the
/// largest pull page a server may send plus its one row over the budget, 128 MiB.
pub const MAX_BODY_BYTES: usize = 128 << 20;

/// Reads the body of `res`, failing once it passes `max` bytes (the connection is dropped).
async fn read_body(mut res: reqwest::Response, url: &str, max: usize) -> ShellResult<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        if body.len() + chunk.len() > max {
            let host = reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
            return Err(ShellError::TooLarge(format!("the response from {host} is larger than the limit of {max} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Performs one exchange for the engine, with the token added and captured as described above.
/// With `passthrough_client`, a compressed answer comes back compressed, except a signup's or a
/// login's: the shell must read those to take the token out, so they are asked uncompressed and
/// refused if they come compressed all the same.
pub async fn send(client: &reqwest::Client, vault: &Vault, req: HttpRequest) -> ShellResult<HttpResponse> {
    send_capped(client, vault, req, MAX_BODY_BYTES).await
}

/// `send` with a body cap of `max_body` bytes (as they come: a passed-through gzip body is
/// capped again, once inflated, by the page).
pub async fn send_capped(client: &reqwest::Client, vault: &Vault, mut req: HttpRequest, max_body: usize) -> ShellResult<HttpResponse> {
    authorize(&mut req.headers, &req.url, vault.get().as_ref())?;
    let auth = is_auth(&req.url);
    if auth {
        req.headers.retain(|k, _| !k.eq_ignore_ascii_case("accept-encoding"));
    }
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|e| ShellError::Invalid(e.to_string()))?;
    let mut builder = client.request(method, &req.url).timeout(Duration::from_secs(120));
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    if let Some(body) = req.body {
        builder = builder.body(body);
    }
    // A transport failure is a `network` error, which the page's fetch-like wrapper turns into a
    // TypeError the engine treats as "offline".
    let res = builder.send().await?;
    let status = res.status().as_u16();
    if auth && res.headers().get(reqwest::header::CONTENT_ENCODING).is_some_and(|v| v != "identity") {
        return Err(ShellError::Invalid(format!("{} answered compressed although asked not to", req.url)));
    }
    let headers = res
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let mut body = read_body(res, &req.url, max_body).await?;
    if let Some((credential, redacted)) = capture_token(&req.url, status, &String::from_utf8_lossy(&body)) {
        vault.set(Some(credential))?;
        body = redacted.into_bytes();
    }
    Ok(HttpResponse { status, headers, body })
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
