//! Where the session token lives: the OS keyring when a secret service answers, otherwise a
//! 0600 file in the app's data directory. Never in the webview's storage.
//!
//! The token is kept together with the origin that issued it, so the HTTP layer only ever sends
//! it back to that server.

use crate::error::{ShellError, ShellResult};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

const SERVICE: &str = "ferry-desktop";
const FILE_NAME: &str = "session.json";

/// A token and the server origin (`scheme://host:port`) it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub origin: String,
    pub token: String,
}

/// Which backend holds the credential.
#[derive(Debug)]
pub enum TokenStore {
    /// The platform keyring (Secret Service on Linux, Keychain, Credential Manager).
    Keyring { account: String },
    /// A JSON file readable by the user only.
    File(PathBuf),
}

/// A forced choice of backend (`FERRY_TOKEN_STORE=file|keyring`), or `Auto` to probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preference {
    Auto,
    Keyring,
    File,
}

impl Preference {
    /// Parses the `FERRY_TOKEN_STORE` value; anything unknown means `Auto`.
    pub fn parse(v: Option<&str>) -> Preference {
        match v {
            Some("file") => Preference::File,
            Some("keyring") => Preference::Keyring,
            _ => Preference::Auto,
        }
    }
}

impl TokenStore {
    /// Picks the keyring when it answers (an empty entry is an answer), else the file.
    /// `account` separates data directories, so two isolated app instances never share a token.
    pub fn choose(data_dir: &Path, preference: Preference) -> TokenStore {
        let file = TokenStore::File(data_dir.join(FILE_NAME));
        let account = format!("session:{}", data_dir.display());
        match preference {
            Preference::File => file,
            Preference::Keyring => TokenStore::Keyring { account },
            Preference::Auto => {
                let usable = keyring::Entry::new(SERVICE, &account)
                    .map(|e| matches!(e.get_password(), Ok(_) | Err(keyring::Error::NoEntry)))
                    .unwrap_or(false);
                if usable {
                    TokenStore::Keyring { account }
                } else {
                    file
                }
            }
        }
    }

    /// A short name for the docs and the account panel.
    pub fn describe(&self) -> String {
        match self {
            TokenStore::Keyring { .. } => "OS keyring".into(),
            TokenStore::File(p) => format!("file {}", p.display()),
        }
    }

    /// Reads the stored credential, if any.
    pub fn load(&self) -> ShellResult<Option<Credential>> {
        let raw = match self {
            TokenStore::Keyring { account } => match entry(account)?.get_password() {
                Ok(s) => s,
                Err(keyring::Error::NoEntry) => return Ok(None),
                Err(e) => return Err(e.into()),
            },
            TokenStore::File(path) => match std::fs::read_to_string(path) {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(ShellError::io(format!("cannot read {}", path.display()), e)),
            },
        };
        // A damaged entry is treated as signed out rather than as a fatal error.
        Ok(serde_json::from_str(&raw).ok())
    }

    /// Replaces the stored credential.
    pub fn save(&self, credential: &Credential) -> ShellResult<()> {
        let raw = serde_json::to_string(credential).map_err(|e| ShellError::Internal(e.to_string()))?;
        match self {
            TokenStore::Keyring { account } => {
                Ok(entry(account)?.set_password(&raw)?)
            }
            TokenStore::File(path) => write_private(path, raw.as_bytes()),
        }
    }

    /// Forgets the credential (sign out).
    pub fn clear(&self) -> ShellResult<()> {
        match self {
            TokenStore::Keyring { account } => match entry(account)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(e.into()),
            },
            TokenStore::File(path) => match std::fs::remove_file(path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(ShellError::io(format!("cannot remove {}", path.display()), e)),
            },
        }
    }
}

fn entry(account: &str) -> ShellResult<keyring::Entry> {
    Ok(keyring::Entry::new(SERVICE, account)?)
}

/// Writes through a temporary file created 0600 and renamed over the target, so the token is
/// never readable by others, not even for a moment, and a crash leaves the old or the new file.
fn write_private(path: &Path, bytes: &[u8]) -> ShellResult<()> {
    let dir = path.parent().ok_or_else(|| ShellError::Internal("token path has no directory".into()))?;
    std::fs::create_dir_all(dir).map_err(|e| ShellError::io(format!("cannot create {}", dir.display()), e))?;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut f = options.open(&tmp)?;
        #[cfg(unix)]
        {
            // A leftover tmp file from a crash keeps its old mode on open; force it.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| ShellError::io(format!("cannot write {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(token: &str) -> Credential {
        Credential { origin: "http://127.0.0.1:8787".into(), token: token.into() }
    }

    #[test]
    fn the_file_fallback_stores_reads_and_clears() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::choose(dir.path(), Preference::File);
        assert_eq!(store.load().unwrap(), None);
        store.save(&credential("t1")).unwrap();
        assert_eq!(store.load().unwrap(), Some(credential("t1")));
        store.save(&credential("t2")).unwrap();
        assert_eq!(store.load().unwrap(), Some(credential("t2")));
        store.clear().unwrap();
        assert_eq!(store.load().unwrap(), None);
        store.clear().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_token_file_is_readable_by_the_user_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::choose(&dir.path().join("nested"), Preference::File);
        let TokenStore::File(path) = &store else { panic!("expected the file backend") };
        // A stale temporary file with loose permissions must not leak its mode to the token.
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path.with_extension("tmp"), b"old").unwrap();
        std::fs::set_permissions(path.with_extension("tmp"), std::fs::Permissions::from_mode(0o644)).unwrap();
        store.save(&credential("secret")).unwrap();
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(!path.with_extension("tmp").exists());
    }

    #[test]
    fn a_damaged_file_reads_as_signed_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::choose(dir.path(), Preference::File);
        std::fs::write(dir.path().join(FILE_NAME), "{not json").unwrap();
        assert_eq!(store.load().unwrap(), None);
    }

    #[test]
    fn auto_falls_back_to_the_file_without_a_secret_service() {
        // With no session bus at all the keyring cannot answer; this must pick the file.
        let dir = tempfile::tempdir().unwrap();
        std::env::set_var("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/ferry-test-bus");
        let store = TokenStore::choose(dir.path(), Preference::Auto);
        assert!(matches!(store, TokenStore::File(_)), "got {store:?}");
        store.save(&credential("t")).unwrap();
        assert_eq!(store.load().unwrap(), Some(credential("t")));
    }

    #[test]
    fn preference_parses() {
        assert_eq!(Preference::parse(Some("file")), Preference::File);
        assert_eq!(Preference::parse(Some("keyring")), Preference::Keyring);
        assert_eq!(Preference::parse(None), Preference::Auto);
    }
}
