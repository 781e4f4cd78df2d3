//! The shortest storage of your own, with the `serde` feature: the whole session as one JSON file
//! (`serde_json` of `SessionState::snapshot`), rewritten on every save. The guide's example
//! (docs/sessions.md, "Your own storage") is this backend.

use std::path::PathBuf;

use tgwire_session::{Changes, Persist, PersistedStorage, SessionError, SessionState};

pub struct SerdeFile(pub PathBuf);

impl SerdeFile {
    pub fn open(path: PathBuf) -> Result<PersistedStorage<SerdeFile>, SessionError> {
        PersistedStorage::open(SerdeFile(path))
    }
}

impl Persist for SerdeFile {
    fn load(&mut self) -> Result<Changes, SessionError> {
        match std::fs::read(&self.0) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(SessionError::backend),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Changes::new()),
            Err(e) => Err(SessionError::backend(e)),
        }
    }

    fn save(&mut self, batch: &Changes, before: &SessionState) -> Result<(), SessionError> {
        let mut after = before.clone();
        after.commit(batch.clone());
        let json = serde_json::to_vec(&after.snapshot()).map_err(SessionError::backend)?;
        let temporary = self.0.with_extension("tmp");
        std::fs::write(&temporary, json)
            .and_then(|()| std::fs::rename(&temporary, &self.0))
            .map_err(SessionError::backend)
    }
}
