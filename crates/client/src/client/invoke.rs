//! The request path: flood waits, DC migrations, timeouts and peer caching around the sender.

use std::time::Duration;

use tgwire_net::{InvokeError, InvokeOptions};
use tgwire_tl_types::{enums, functions, Deserializable, RemoteCall, Serializable};

use super::Client;
use crate::InvocationError;

/// How often one call may be redirected or put to sleep before the error is returned, so that
/// a misbehaving server cannot keep a request looping.
const MAX_MIGRATIONS: u32 = 5;
const MAX_FLOOD_SLEEPS: u32 = 5;

/// What to do after an RPC error.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Recovery {
    /// Sleep this long, then resend.
    Sleep(Duration),
    /// The account lives elsewhere: make this DC home and resend there.
    MoveHome(i32),
    /// Only this request belongs elsewhere (files, stats): resend it there.
    SendTo(i32),
    /// Give the error to the caller.
    Fail,
}

/// Decides how to recover from `error`, given the flood-sleep threshold.
pub(crate) fn recovery(error: &crate::RpcError, threshold: Duration) -> Recovery {
    if let Some(wait) = error.wait() {
        return if wait <= threshold {
            Recovery::Sleep(wait)
        } else {
            Recovery::Fail
        };
    }
    match (error.migrate_to(), error.name.as_str()) {
        (Some(dc), "PHONE_MIGRATE" | "USER_MIGRATE" | "NETWORK_MIGRATE") => {
            Recovery::MoveHome(dc as i32)
        }
        (Some(dc), _) => Recovery::SendTo(dc as i32),
        (None, _) => Recovery::Fail,
    }
}

impl Client {
    /// Sends any API function and returns its typed answer.
    ///
    /// - `FLOOD_WAIT_X`, `FLOOD_PREMIUM_WAIT_X` and `SLOWMODE_WAIT_X` up to the flood-sleep
    ///   threshold are slept through and the request resent;
    /// - `PHONE_MIGRATE_X`, `USER_MIGRATE_X` and `NETWORK_MIGRATE_X` make DC X the home DC (also
    ///   in the session) and resend there; `FILE_MIGRATE_X` and `STATS_MIGRATE_X` resend only
    ///   this request to DC X, after copying the authorization there;
    /// - every user and chat in the answer is stored in the peer cache (for the answer types
    ///   that carry them: `Updates`, `messages.*Messages`, dialogs, resolved peers, users,
    ///   chats, authorizations, …).
    ///
    /// # Errors
    ///
    /// Everything else, typed: see [`InvocationError`].
    pub async fn invoke<R>(&self, request: &R) -> Result<R::Return, InvocationError>
    where
        R: RemoteCall,
        R::Return: 'static,
    {
        let body = request.to_bytes();
        let affected = crate::updates::driver::affected_box(&body);
        let answer = self.invoke_raw(body, None).await?;
        let value = R::Return::from_bytes(&answer)?;
        self.cache_peers_of(&value).await?;
        self.note_own_answer(&value, affected);
        Ok(value)
    }

    /// [`invoke`](Self::invoke) on DC `dc` instead of the home one (for files or statistics
    /// that live elsewhere); the authorization is copied there first when signed in.
    ///
    /// # Errors
    ///
    /// As [`invoke`](Self::invoke).
    pub async fn invoke_in_dc<R>(&self, dc: i32, request: &R) -> Result<R::Return, InvocationError>
    where
        R: RemoteCall,
        R::Return: 'static,
    {
        let body = request.to_bytes();
        let affected = crate::updates::driver::affected_box(&body);
        let answer = self.invoke_raw(body, Some(dc)).await?;
        let value = R::Return::from_bytes(&answer)?;
        self.cache_peers_of(&value).await?;
        self.note_own_answer(&value, affected);
        Ok(value)
    }

    /// Sends several requests of one kind at once and returns each one's result, in order.
    ///
    /// The requests travel together to the home DC, packed into one container; with `ordered`,
    /// each is wrapped in `invokeAfterMsgs` naming the previous one, so the server runs them in
    /// order. One request failing does not fail the others: this is how partial success is
    /// reported (each element is its own `Result`). Elements that fail with something
    /// [`invoke`](Self::invoke) would recover from (a short flood wait, a `*_MIGRATE_X`, a
    /// connection the pool had just closed) are retried one by one through the usual path;
    /// for `ordered` batches those retries run in request order.
    pub async fn invoke_many<R>(
        &self,
        requests: &[R],
        ordered: bool,
    ) -> Vec<Result<R::Return, InvocationError>>
    where
        R: RemoteCall,
        R::Return: 'static,
    {
        let bodies: Vec<Vec<u8>> = requests.iter().map(Serializable::to_bytes).collect();
        let first = match self.inner.pool.get(self.home_dc() as i16).await {
            Ok(handle) => {
                let wrapped = bodies
                    .iter()
                    .map(|b| self.wrap_for_updates(b.clone()))
                    .collect();
                handle
                    .invoke_batch_raw(wrapped, ordered, self.call_options())
                    .await
            }
            // No connection now: every element takes the usual path (which reports why).
            Err(_) => bodies
                .iter()
                .map(|_| {
                    Err(InvokeError::Shutdown(
                        tgwire_net::DisconnectReason::Shutdown,
                    ))
                })
                .collect(),
        };
        let finish = |body: Vec<u8>, outcome: Result<Vec<u8>, InvokeError>| async move {
            let affected = crate::updates::driver::affected_box(&body);
            let answer = match outcome {
                Ok(answer) => answer,
                Err(error) => self.retry_batch_element(body, error).await?,
            };
            let value = R::Return::from_bytes(&answer)?;
            self.cache_peers_of(&value).await?;
            self.note_own_answer(&value, affected);
            Ok(value)
        };
        let pairs = bodies.into_iter().zip(first);
        if ordered {
            let mut results = Vec::with_capacity(requests.len());
            for (body, outcome) in pairs {
                results.push(finish(body, outcome).await);
            }
            results
        } else {
            futures_util::future::join_all(pairs.map(|(body, outcome)| finish(body, outcome))).await
        }
    }

    /// What [`invoke_raw`](Self::invoke_raw) would have done after `error`, for one element of
    /// a batch: sleep through a short flood wait, follow a migration, reopen a connection the
    /// pool closed, and then resend the element on its own.
    async fn retry_batch_element(
        &self,
        body: Vec<u8>,
        error: InvokeError,
    ) -> Result<Vec<u8>, InvocationError> {
        let error = match error {
            InvokeError::Rpc(error) => error,
            InvokeError::Shutdown(_) if !self.is_disconnected() => {
                return self.invoke_raw(body, None).await;
            }
            other => return Err(other.into()),
        };
        match recovery(&error, self.inner.flood_sleep_threshold()) {
            Recovery::Sleep(wait) => {
                log::info!("{error} in a batch: sleeping {wait:?} before resending");
                tokio::time::sleep(wait).await;
                self.invoke_raw(body, None).await
            }
            Recovery::MoveHome(dc) => {
                self.set_home_dc(dc).await?;
                self.invoke_raw(body, None).await
            }
            Recovery::SendTo(dc) => self.invoke_raw(body, Some(dc)).await,
            Recovery::Fail => Err(InvocationError::Rpc(error)),
        }
    }

    /// The retry loop shared by every request: `dc` `None` means the home DC, following it
    /// when it changes.
    pub(crate) async fn invoke_raw(
        &self,
        body: Vec<u8>,
        dc: Option<i32>,
    ) -> Result<Vec<u8>, InvocationError> {
        let mut target = dc;
        let (mut migrations, mut sleeps, mut reopened) = (0, 0, false);
        loop {
            let dc = target.unwrap_or_else(|| self.home_dc());
            if dc != self.home_dc() {
                self.ensure_authorized_in(dc).await?;
            }
            let handle = self.inner.pool.get(dc as i16).await?;
            let options = self.call_options();
            let sent = self.wrap_for_updates(body.clone());
            let error = match handle.invoke_raw_with(sent, options).await {
                Ok(answer) => return Ok(answer),
                Err(InvokeError::Rpc(error)) => error,
                // The pool closed this connection for idleness between `get` and the call:
                // a fresh one is opened once.
                Err(InvokeError::Shutdown(_)) if !reopened && !self.is_disconnected() => {
                    reopened = true;
                    if dc == self.home_dc() {
                        self.watch_home_state().await;
                    }
                    continue;
                }
                Err(other) => return Err(other.into()),
            };
            match recovery(&error, self.inner.flood_sleep_threshold()) {
                Recovery::Sleep(wait) if sleeps < MAX_FLOOD_SLEEPS => {
                    sleeps += 1;
                    log::info!("{error}: sleeping {wait:?} before retrying");
                    tokio::time::sleep(wait).await;
                }
                Recovery::MoveHome(new) if migrations < MAX_MIGRATIONS && target.is_none() => {
                    migrations += 1;
                    self.set_home_dc(new).await?;
                }
                Recovery::MoveHome(new) | Recovery::SendTo(new) if migrations < MAX_MIGRATIONS => {
                    migrations += 1;
                    target = Some(new);
                }
                _ => return Err(InvocationError::Rpc(error)),
            }
        }
    }

    /// `body` as sent: wrapped in `invokeWithoutUpdates` while updates are not received.
    fn wrap_for_updates(&self, body: Vec<u8>) -> Vec<u8> {
        if self.receives_updates() {
            return body;
        }
        let mut wrapped = Vec::with_capacity(body.len() + 4);
        wrapped.extend_from_slice(
            &<functions::InvokeWithoutUpdates<()> as tgwire_tl_types::Identifiable>::CONSTRUCTOR_ID
                .to_le_bytes(),
        );
        wrapped.extend_from_slice(&body);
        wrapped
    }

    /// How every call of this client is sent: with the configured request timeout.
    fn call_options(&self) -> InvokeOptions {
        InvokeOptions {
            timeout: self.inner.request_timeout(),
            ..InvokeOptions::default()
        }
    }

    fn is_disconnected(&self) -> bool {
        self.inner.state.is_shut_down()
    }

    /// Copies the signed-in authorization to `dc` (export at home, import there), once.
    pub(crate) async fn ensure_authorized_in(&self, dc: i32) -> Result<(), InvocationError> {
        if self.session().self_user().is_none() {
            return Ok(());
        }
        let done = self
            .inner
            .extras()
            .authorized_dcs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&dc);
        if done {
            return Ok(());
        }
        let enums::auth::ExportedAuthorization::ExportedAuthorization(exported) = Box::pin(
            self.invoke_raw_typed(&functions::auth::ExportAuthorization { dc_id: dc }, None),
        )
        .await?;
        let import = functions::auth::ImportAuthorization {
            id: exported.id,
            bytes: exported.bytes,
        };
        let handle = self.inner.pool.get(dc as i16).await?;
        handle.invoke_with(&import, self.call_options()).await?;
        let mut authorized = self
            .inner
            .extras()
            .authorized_dcs
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !authorized.contains(&dc) {
            authorized.push(dc);
        }
        Ok(())
    }

    /// A typed request through the retry loop without peer caching (for internal requests
    /// whose answers carry no peers).
    pub(crate) async fn invoke_raw_typed<R: RemoteCall>(
        &self,
        request: &R,
        dc: Option<i32>,
    ) -> Result<R::Return, InvocationError> {
        let answer = self.invoke_raw(request.to_bytes(), dc).await?;
        Ok(R::Return::from_bytes(&answer)?)
    }

    /// Which DCs the client has connections to now, as (DC, index) pairs.
    pub fn connections(&self) -> Vec<(i16, usize)> {
        self.inner.pool.connections()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RpcError;

    #[test]
    fn recovery_rules() {
        let threshold = Duration::from_secs(60);
        let r = |code, name: &str| recovery(&RpcError::new(code, name), threshold);
        assert_eq!(
            r(420, "FLOOD_WAIT_3"),
            Recovery::Sleep(Duration::from_secs(3))
        );
        assert_eq!(
            r(420, "FLOOD_WAIT_60"),
            Recovery::Sleep(Duration::from_secs(60))
        );
        assert_eq!(r(420, "FLOOD_WAIT_61"), Recovery::Fail);
        assert_eq!(
            r(420, "FLOOD_PREMIUM_WAIT_5"),
            Recovery::Sleep(Duration::from_secs(5))
        );
        assert_eq!(
            r(420, "SLOWMODE_WAIT_9"),
            Recovery::Sleep(Duration::from_secs(9))
        );
        assert_eq!(r(303, "PHONE_MIGRATE_4"), Recovery::MoveHome(4));
        assert_eq!(r(303, "USER_MIGRATE_2"), Recovery::MoveHome(2));
        assert_eq!(r(303, "NETWORK_MIGRATE_3"), Recovery::MoveHome(3));
        assert_eq!(r(303, "FILE_MIGRATE_5"), Recovery::SendTo(5));
        assert_eq!(r(303, "STATS_MIGRATE_1"), Recovery::SendTo(1));
        assert_eq!(r(400, "PEER_ID_INVALID"), Recovery::Fail);
        assert_eq!(
            recovery(&RpcError::new(420, "FLOOD_WAIT_1"), Duration::ZERO),
            Recovery::Fail
        );
    }
}
