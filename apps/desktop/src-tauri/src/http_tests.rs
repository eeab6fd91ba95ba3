use super::*;
use crate::token::Preference;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

fn cred(origin: &str) -> Credential {
    Credential { origin: origin.into(), token: "real-secret".into() }
}

fn placeholder_headers() -> BTreeMap<String, String> {
    BTreeMap::from([("authorization".to_string(), format!("Bearer {PLACEHOLDER}"))])
}

#[test]
fn the_placeholder_becomes_the_token_only_for_its_origin() {
    let c = cred("http://127.0.0.1:8787");
    let mut h = placeholder_headers();
    authorize(&mut h, "http://127.0.0.1:8787/v1/sync", Some(&c)).unwrap();
    assert_eq!(h["authorization"], "Bearer real-secret");

    let mut h = placeholder_headers();
    authorize(&mut h, "http://evil.example:8787/v1/sync", Some(&c)).unwrap();
    assert!(h.get("authorization").is_none(), "the token must not travel to another origin");

    let mut h = placeholder_headers();
    authorize(&mut h, "http://127.0.0.1:8787/v1/sync", None).unwrap();
    assert!(h.get("authorization").is_none());
}

#[test]
fn other_authorization_headers_pass_through() {
    let mut h = BTreeMap::from([("Authorization".to_string(), "Bearer something-else".to_string())]);
    authorize(&mut h, "http://127.0.0.1:1/x", Some(&cred("http://127.0.0.1:1"))).unwrap();
    assert_eq!(h["Authorization"], "Bearer something-else");
}

#[test]
fn login_and_signup_tokens_are_captured_and_redacted() {
    let body = r#"{"userId":"u1","token":"tok"}"#;
    for path in ["/v1/auth/login", "/v1/auth/signup"] {
        let url = format!("http://127.0.0.1:9/{}", path.trim_start_matches('/'));
        let (c, redacted) = capture_token(&url, 200, body).unwrap();
        assert_eq!(c, Credential { origin: "http://127.0.0.1:9".into(), token: "tok".into() });
        let json: Json = serde_json::from_str(&redacted).unwrap();
        assert_eq!(json["token"], PLACEHOLDER);
        assert_eq!(json["userId"], "u1");
    }
    assert!(capture_token("http://127.0.0.1:9/v1/auth/login", 401, body).is_none());
    assert!(capture_token("http://127.0.0.1:9/v1/sync", 200, body).is_none());
}

/// A one-shot HTTP server on loopback that records the request head and answers `response`.
fn serve_once(response: &'static str) -> (String, mpsc::Receiver<String>) {
    serve_once_with("", response.as_bytes())
}

/// `serve_once` with extra header lines (each ending in `\r\n`) and a body of any bytes.
fn serve_once_with(headers: &'static str, response: &'static [u8]) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        write!(stream, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n", response.len()).unwrap();
        stream.write_all(response).unwrap();
        tx.send(head).unwrap();
    });
    (origin, rx)
}

#[tokio::test]
async fn a_login_over_loopback_stores_the_token_and_later_requests_carry_it() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::new(TokenStore::choose(dir.path(), Preference::File));
    let client = client();

    let (origin, _) = serve_once(r#"{"userId":"u1","token":"the-real-token"}"#);
    let res = send(&client, &vault, HttpRequest {
        method: "POST".into(),
        url: format!("{origin}/v1/auth/login"),
        headers: BTreeMap::from([("content-type".into(), "application/json".into())]),
        body: Some(r#"{"email":"a@b.c","password":"password1"}"#.into()),
    })
    .await
    .unwrap();
    assert_eq!(res.status, 200);
    let body = String::from_utf8_lossy(&res.body).into_owned();
    assert!(!body.contains("the-real-token"), "the page must not see the token: {body}");
    assert_eq!(vault.get().unwrap().token, "the-real-token");
    // It reached the file store too, so a restart stays signed in.
    assert_eq!(Vault::new(TokenStore::choose(dir.path(), Preference::File)).get().unwrap().token, "the-real-token");

    // The vault keeps the login origin, but this second server listens on another port: so
    // point the credential at it to check the header rewrite end to end.
    let (origin2, heads) = serve_once(r#"{"ok":true}"#);
    vault.set(Some(Credential { origin: origin2.clone(), token: "the-real-token".into() })).unwrap();
    send(&client, &vault, HttpRequest {
        method: "GET".into(),
        url: format!("{origin2}/v1/me"),
        headers: placeholder_headers(),
        body: None,
    })
    .await
    .unwrap();
    let head = heads.recv().unwrap().to_ascii_lowercase();
    assert!(head.contains("authorization: bearer the-real-token"), "{head}");
}

/// `{"rows":["a","b"]}`, gzip level 1.
const GZIPPED: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\x03\xab\x56\x2a\xca\x2f\x2f\x56\xb2\x8a\x56\x4a\x54\xd2\x51\x4a\x52\x8a\xad\x05\x00\xdf\xa0\xa0\xb8\x12\x00\x00\x00";

#[tokio::test]
async fn a_gzip_answer_reaches_the_page_compressed_with_its_coding() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::new(TokenStore::choose(dir.path(), Preference::File));
    let (origin, heads) = serve_once_with("content-encoding: gzip\r\n", GZIPPED);
    let res = send(&passthrough_client(), &vault, HttpRequest {
        method: "POST".into(),
        url: format!("{origin}/v1/sync"),
        headers: BTreeMap::from([("accept-encoding".into(), "gzip".into())]),
        body: Some("{}".into()),
    })
    .await
    .unwrap();
    assert!(heads.recv().unwrap().to_ascii_lowercase().contains("accept-encoding: gzip"));
    assert_eq!(res.body, GZIPPED, "the body as it came, for the page to inflate");
    assert_eq!(res.headers.get("content-encoding").map(String::as_str), Some("gzip"));
}

#[tokio::test]
async fn a_login_is_asked_uncompressed_and_refused_if_it_comes_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::new(TokenStore::choose(dir.path(), Preference::File));
    let login = |origin: &str| HttpRequest {
        method: "POST".into(),
        url: format!("{origin}/v1/auth/login"),
        headers: BTreeMap::from([("Accept-Encoding".into(), "gzip".into())]),
        body: Some(r#"{"email":"a@b.c","password":"password1"}"#.into()),
    };
    let (origin, heads) = serve_once(r#"{"userId":"u1","token":"the-real-token"}"#);
    send(&passthrough_client(), &vault, login(&origin)).await.unwrap();
    let head = heads.recv().unwrap().to_ascii_lowercase();
    assert!(!head.contains("accept-encoding"), "the shell must read the token: {head}");
    assert_eq!(vault.get().unwrap().token, "the-real-token");

    // A server that compresses anyway: the shell cannot take the token out, so the page gets
    // nothing rather than a body holding the token.
    let (origin, _) = serve_once_with("content-encoding: gzip\r\n", GZIPPED);
    let err = send(&passthrough_client(), &vault, login(&origin)).await.unwrap_err();
    assert_eq!(err.kind(), "invalid", "{err}");
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::new(TokenStore::choose(dir.path(), Preference::File));
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = send(&client(), &vault, HttpRequest {
        method: "GET".into(),
        url: format!("http://127.0.0.1:{port}/healthz"),
        headers: BTreeMap::new(),
        body: None,
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), "network");
    assert!(err.to_string().starts_with("network:"), "{err}");
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_as_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::new(TokenStore::choose(dir.path(), Preference::File));
    let big: &'static str = Box::leak("x".repeat(64 * 1024).into_boxed_str());
    let get = |origin: &str| HttpRequest {
        method: "GET".into(),
        url: format!("{origin}/v1/me"),
        headers: BTreeMap::new(),
        body: None,
    };
    let (origin, _) = serve_once(big);
    let err = send_capped(&client(), &vault, get(&origin), 16 * 1024).await.unwrap_err();
    assert_eq!(err.kind(), "too_large");
    assert!(err.to_string().contains("larger than the limit of 16384 bytes"), "{err}");
    let (origin, _) = serve_once(big);
    let res = send_capped(&client(), &vault, get(&origin), 64 * 1024).await.unwrap();
    assert_eq!(res.body.len(), 64 * 1024);
}

#[test]
fn the_ipc_body_is_one_line_of_head_then_the_body_bytes() {
    let res = HttpResponse {
        status: 201,
        headers: BTreeMap::from([("x-note".to_string(), "line\nbreak \"quoted\"".to_string())]),
        body: b"{\"a\":\"b\\nc\"}\n\xff".to_vec(),
    };
    let ipc = res.into_ipc();
    let split = ipc.iter().position(|b| *b == b'\n').unwrap();
    let head: serde_json::Value = serde_json::from_slice(&ipc[..split]).unwrap();
    assert_eq!(head, serde_json::json!({ "status": 201, "headers": { "x-note": "line\nbreak \"quoted\"" } }));
    assert_eq!(&ipc[split + 1..], b"{\"a\":\"b\\nc\"}\n\xff", "the body's bytes, newlines and all, untouched");
}
