//! One request of a transfer (an upload part, a download range) on one of several connections
//! to a DC, with the retries a transfer makes without the caller: flood waits up to the
//! threshold, `FILE_MIGRATE_X` (for every later request of the transfer too), and a few
//! attempts after a lost connection or a server-side failure (`5xx`).

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use tgwire_mtproto::Answer;
use tgwire_net::{InvokeError, InvokeOptions};

use crate::{Client, InvocationError};

/// How often one request is resent after a lost connection or a `5xx` before failing.
const MAX_ATTEMPTS: u32 = 4;
/// How often one request may be redirected or put to sleep.
const MAX_REDIRECTS: u32 = 5;

/// The connections one transfer spreads its requests over.
pub(crate) struct Lanes {
    client: Client,
    /// Where the file is (the home DC for uploads); changes on `FILE_MIGRATE_X`.
    dc: AtomicI32,
    connections: usize,
    /// Only one request of the transfer copies the authorization to another DC.
    authorizing: tokio::sync::Mutex<()>,
}

impl Lanes {
    pub(crate) fn new(client: &Client, dc: i32, connections: usize) -> Self {
        Lanes {
            client: client.clone(),
            dc: AtomicI32::new(dc),
            connections: connections.max(1),
            authorizing: tokio::sync::Mutex::new(()),
        }
    }

    /// The DC requests go to now.
    pub(crate) fn dc(&self) -> i32 {
        self.dc.load(Ordering::Relaxed)
    }

    /// Sends `body` (a serialized function) on connection `lane % connections` and returns the
    /// serialized answer (a file part's left in the buffer it was decrypted into).
    pub(crate) async fn call(&self, lane: usize, body: &[u8]) -> Result<Answer, InvocationError> {
        let client = &self.client;
        let (mut attempts, mut redirects) = (0, 0);
        loop {
            let dc = self.dc();
            if dc != client.home_dc() {
                let _one = self.authorizing.lock().await;
                client.ensure_authorized_in(dc).await?;
            }
            let index = lane % self.connections;
            let handle = client.inner.pool.get_nth(dc as i16, index).await?;
            let options = InvokeOptions {
                timeout: client.inner.request_timeout(),
                // File bytes are compressed or random: gzip would only cost time.
                no_gzip: true,
                ..InvokeOptions::default()
            };
            let error = match handle.invoke_raw_answer(body.to_vec(), options).await {
                Ok(answer) => return Ok(answer),
                Err(InvokeError::Rpc(error)) => error,
                Err(
                    error @ (InvokeError::Shutdown(_)
                    | InvokeError::Disconnected
                    | InvokeError::Timeout(_)
                    | InvokeError::Dropped(_)),
                ) if attempts + 1 < MAX_ATTEMPTS => {
                    attempts += 1;
                    log::info!("transfer request on DC {dc}/{index} failed ({error}); resending");
                    continue;
                }
                Err(other) => return Err(other.into()),
            };
            if let Some(wait) = error.wait() {
                if wait <= client.inner.flood_sleep_threshold() && redirects < MAX_REDIRECTS {
                    redirects += 1;
                    log::info!("{error}: sleeping {wait:?} before resending a transfer request");
                    tokio::time::sleep(wait).await;
                    continue;
                }
            } else if let (Some(to), "FILE_MIGRATE") = (error.migrate_to(), error.name.as_str()) {
                if redirects < MAX_REDIRECTS {
                    redirects += 1;
                    log::info!("the file lives on DC {to}: moving the transfer there");
                    self.dc.store(to as i32, Ordering::Relaxed);
                    continue;
                }
            } else if (error.code >= 500 || error.code == -503) && attempts + 1 < MAX_ATTEMPTS {
                attempts += 1;
                log::info!("{error} for a transfer request; resending");
                tokio::time::sleep(Duration::from_millis(100 << attempts)).await;
                continue;
            }
            return Err(InvocationError::Rpc(error));
        }
    }
}
