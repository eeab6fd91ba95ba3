//! The shell's errors. Every command fails with a `ShellError`, which reaches the page as
//! `{ "kind": "...", "message": "..." }`: `kind` says what failed (the page may decide by it; see
//! `src/shell/invoke.ts`), `message` says it to people.

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// What can go wrong in the shell.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// SQLite refused a statement, or the database file could not be opened.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database could not be set up as the app needs it (WAL).
    #[error("{0}")]
    Database(String),
    /// Row `row` of a batch failed; the whole batch was undone.
    #[error("row {row}: {source}")]
    BatchRow {
        row: usize,
        #[source]
        source: Box<ShellError>,
    },
    /// An argument the page sent that the shell cannot use: a value SQLite cannot bind, a batch row
    /// of the wrong width, a statement the read connection refuses, a URL that is not http(s).
    #[error("{0}")]
    Invalid(String),
    /// The transaction named is not the one open.
    #[error("transaction {0} is not open (already ended, or rolled back as abandoned)")]
    TxNotOpen(u64),
    /// A file of the app's (the database's directory, the token file) could not be read or written.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The OS keyring failed.
    #[error("keyring: {0}")]
    Keyring(#[from] keyring::Error),
    /// A request got no answer: the server unreachable, the connection cut, the body cut short.
    #[error("network: {0}")]
    Network(#[from] reqwest::Error),
    /// An answer larger than the shell reads (`http::MAX_BODY_BYTES`): a broken or hostile server.
    #[error("{0}")]
    TooLarge(String),
    /// A fault of the shell itself: a poisoned lock, a task that panicked.
    #[error("{0}")]
    Internal(String),
}

/// A result whose error is a `ShellError`.
pub type ShellResult<T> = Result<T, ShellError>;

impl ShellError {
    /// The `kind` the page sees; a batch row's is its cause's.
    pub fn kind(&self) -> &'static str {
        match self {
            ShellError::Sqlite(_) | ShellError::Database(_) => "sqlite",
            ShellError::BatchRow { source, .. } => source.kind(),
            ShellError::Invalid(_) => "invalid",
            ShellError::TxNotOpen(_) => "tx_not_open",
            ShellError::Io { .. } => "io",
            ShellError::Keyring(_) => "keyring",
            ShellError::Network(_) => "network",
            ShellError::TooLarge(_) => "too_large",
            ShellError::Internal(_) => "internal",
        }
    }

    /// An I/O error with what was being done (`cannot create /path`).
    pub fn io(context: impl Into<String>, source: std::io::Error) -> ShellError {
        ShellError::Io { context: context.into(), source }
    }

    /// The error of row `row` of a batch.
    pub fn in_row(self, row: usize) -> ShellError {
        ShellError::BatchRow { row, source: Box::new(self) }
    }
}

impl Serialize for ShellError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("ShellError", 2)?;
        s.serialize_field("kind", self.kind())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reaches_the_page_as_kind_and_message() {
        let e = ShellError::TxNotOpen(7);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({ "kind": "tx_not_open", "message": "transaction 7 is not open (already ended, or rolled back as abandoned)" })
        );
        let row = ShellError::Invalid("unsupported parameter: [1]".into()).in_row(2);
        assert_eq!(serde_json::to_value(&row).unwrap(), json!({ "kind": "invalid", "message": "row 2: unsupported parameter: [1]" }));
    }
}
