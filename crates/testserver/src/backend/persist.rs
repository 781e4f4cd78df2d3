//! `--data FILE`: the state as JSON, loaded at start and rewritten after every change.
//!
//! Writes go to `FILE.tmp` and are renamed over `FILE`, so a crash mid-write leaves the previous
//! state intact. The contents of sent files live beside it in `FILE.files/` (see
//! [`super::files`]); uploads not yet sent and live sessions are not persisted.

use std::path::Path;

use super::model::{State, FORMAT_VERSION};
use super::rpc::BackendError;

/// Reads the state from `path`; a missing file is an empty state.
pub(crate) fn load(path: &Path) -> Result<State, BackendError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(source) => {
            return Err(BackendError::ReadData {
                path: path.to_owned(),
                source,
            })
        }
    };
    // Check the version first, so a future layout fails with a version error, not a parse error.
    #[derive(serde::Deserialize)]
    struct Header {
        format: u32,
    }
    let corrupt = |error: serde_json::Error| BackendError::CorruptData {
        path: path.to_owned(),
        line: error.line(),
        column: error.column(),
        reason: error.to_string(),
    };
    let header: Header = serde_json::from_str(&text).map_err(corrupt)?;
    if header.format != FORMAT_VERSION {
        return Err(BackendError::DataVersion {
            path: path.to_owned(),
            found: header.format,
            expected: FORMAT_VERSION,
        });
    }
    serde_json::from_str(&text).map_err(corrupt)
}

/// Writes the state to `path` atomically (temporary file, then rename).
pub(crate) fn save(path: &Path, state: &State) -> Result<(), BackendError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let text = serde_json::to_vec(state).map_err(|error| BackendError::WriteData {
        path: path.to_owned(),
        source: std::io::Error::other(error),
    })?;
    std::fs::write(&tmp, text).map_err(|source| BackendError::WriteData {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, path).map_err(|source| BackendError::WriteData {
        path: path.to_owned(),
        source,
    })
}
