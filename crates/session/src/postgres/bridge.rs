//! Runs the async driver's futures for synchronous callers, on a runtime of our own.

use std::future::Future;

use crate::SessionError;

/// A small private tokio runtime that drives every PostgreSQL connection of one pool.
///
/// Callers on any thread — a plain thread, a `spawn_blocking` thread, even a tokio worker of the
/// application's runtime — hand it a future and block on a channel until it is done. Blocking on a
/// channel is allowed everywhere, unlike `Runtime::block_on`, which panics inside another runtime.
/// The runtime is shut down without waiting when the last handle goes, which is also allowed
/// everywhere: its connections close and the server releases their advisory locks.
pub(crate) struct Bridge {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Bridge {
    pub(crate) fn new() -> Result<Self, SessionError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            // The work is waiting on the network; two threads keep one slow query from stalling
            // the lock connection's keep-alive and the other sessions' writes.
            .worker_threads(2)
            .thread_name("tgwire-postgres")
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| SessionError::Pool {
                reason: format!("cannot start the PostgreSQL runtime: {e}"),
            })?;
        Ok(Bridge {
            runtime: Some(runtime),
        })
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        // Only `Drop` takes the runtime out.
        self.runtime
            .as_ref()
            .map(tokio::runtime::Runtime::handle)
            .expect("runtime present until drop")
    }

    /// Runs `work` on the runtime and waits for its result.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, SessionError>> + Send + 'static,
    ) -> Result<T, SessionError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle().spawn(async move {
            let _ = tx.send(work.await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(SessionError::Pool {
                reason: "the PostgreSQL runtime stopped before answering".into(),
            })
        })
    }

    /// Starts `work` on the runtime without waiting for it.
    pub(crate) fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.handle().spawn(work);
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
