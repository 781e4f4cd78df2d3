//! The cheap, cloneable front of a sender: what callers hold to invoke requests.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;

use tgwire_crypto::AuthKey;
use tgwire_mtproto::Answer;
use tgwire_tl_types::{Deserializable, RemoteCall};
use tokio::sync::{oneshot, watch};

use super::config::InvokeOptions;
use super::state::{ConnectionState, DisconnectReason};
use crate::error::InvokeError;

/// Identifies one `invoke` call between the handle and the driver.
pub(crate) type CallId = u64;

/// The answer channel of one call.
pub(crate) type Reply = oneshot::Sender<Result<Answer, InvokeError>>;

/// What handles ask the driver to do.
pub(crate) enum Command {
    Invoke {
        call: CallId,
        body: Vec<u8>,
        opts: InvokeOptions,
        reply: Reply,
    },
    /// Several calls handed over together, so the session packs them into one container;
    /// with `ordered`, each waits on the server for the one before (`invokeAfterMsgs`).
    InvokeBatch {
        calls: Vec<BatchCall>,
        ordered: bool,
        opts: InvokeOptions,
    },
    /// The caller stopped waiting (timeout or a dropped future).
    Cancel { call: CallId },
    /// Use another address from the next connection on.
    SetAddr(std::net::SocketAddr),
    /// Fail everything pending and stop.
    Shutdown,
}

/// One element of [`Command::InvokeBatch`].
pub(crate) struct BatchCall {
    pub(crate) call: CallId,
    pub(crate) body: Vec<u8>,
    pub(crate) reply: Reply,
}

/// What a connection's handles and its driver share: kept in the allocation of the queue that
/// carries the handles' commands to the driver (one allocation per connection for the three,
/// rather than one each).
pub(crate) struct Shared {
    /// The key and state the driver published.
    pub(crate) published: super::published::Published,
    pub(crate) next_call: AtomicU64,
    /// When the handle was last used ([`stamp`]), for the pool's idle check.
    pub(crate) last_used: AtomicI64,
    /// Calls started and not yet finished.
    /// (A `u32` beside `dc_id`: 8 bytes less than a `usize` in every connection.)
    pub(crate) in_flight: AtomicU32,
    pub(crate) dc_id: i16,
}

/// The driver's commands, with what it shares with its handles.
pub(crate) type Commands = crate::queue::QueueSender<Command, Shared>;

/// A handle to a running sender: cheap to clone, `Send + Sync`, usable from any task.
///
/// Every clone talks to the same connection; concurrent calls are batched into containers by
/// the MTProto session. When the last handle is dropped the sender shuts down (the driver sees
/// its command queue's last sender go).
#[derive(Clone)]
pub struct SenderHandle {
    pub(crate) commands: Commands,
}

impl std::fmt::Debug for SenderHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SenderHandle")
            .field("dc_id", &self.shared().dc_id)
            .field("state", &self.shared().published.state())
            .finish()
    }
}

impl SenderHandle {
    fn shared(&self) -> &Shared {
        self.commands.extra()
    }

    /// Sends `request` and waits for its typed answer.
    ///
    /// # Errors
    ///
    /// See [`InvokeError`].
    pub async fn invoke<R: RemoteCall>(&self, request: &R) -> Result<R::Return, InvokeError> {
        self.invoke_with(request, InvokeOptions::default()).await
    }

    /// [`invoke`](Self::invoke) with per-call options (timeout, behaviour on disconnect...).
    ///
    /// # Errors
    ///
    /// See [`InvokeError`].
    pub async fn invoke_with<R: RemoteCall>(
        &self,
        request: &R,
        opts: InvokeOptions,
    ) -> Result<R::Return, InvokeError> {
        let body = self.invoke_raw_with(request.to_bytes(), opts).await?;
        Ok(R::Return::from_bytes(&body)?)
    }

    /// Sends an already serialized TL function and returns the serialized answer (the
    /// `rpc_result` body, un-gzipped).
    ///
    /// # Errors
    ///
    /// See [`InvokeError`]; never [`InvokeError::Deserialize`].
    pub async fn invoke_raw(&self, body: Vec<u8>) -> Result<Vec<u8>, InvokeError> {
        self.invoke_raw_with(body, InvokeOptions::default()).await
    }

    /// [`invoke_raw`](Self::invoke_raw) with per-call options.
    ///
    /// # Errors
    ///
    /// See [`InvokeError`]; never [`InvokeError::Deserialize`].
    pub async fn invoke_raw_with(
        &self,
        body: Vec<u8>,
        opts: InvokeOptions,
    ) -> Result<Vec<u8>, InvokeError> {
        self.invoke_raw_answer(body, opts)
            .await
            .map(Answer::into_vec)
    }

    /// [`invoke_raw_with`](Self::invoke_raw_with), with the answer as the session handed it
    /// out: a large one (a file part) still in the buffer its packet was decrypted into, so
    /// that reading it in place saves a copy (see [`Answer`]).
    ///
    /// # Errors
    ///
    /// See [`InvokeError`]; never [`InvokeError::Deserialize`].
    pub async fn invoke_raw_answer(
        &self,
        body: Vec<u8>,
        opts: InvokeOptions,
    ) -> Result<Answer, InvokeError> {
        let shared = self.shared();
        shared.touch();
        let call = shared.next_call.fetch_add(1, Ordering::Relaxed);
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        let timeout = opts.timeout;
        let command = Command::Invoke {
            call,
            body,
            opts,
            reply,
        };
        // From here on, giving up (a dropped future or the timeout) cancels the request.
        let mut guard = CancelOnDrop {
            call,
            commands: &self.commands,
            armed: true,
        };
        if self.commands.send(command).is_err() {
            guard.armed = false;
            return Err(InvokeError::Shutdown(self.closed_reason()));
        }
        let result = match timeout {
            None => answer.await,
            Some(limit) => match tokio::time::timeout(limit, answer).await {
                Ok(r) => r,
                Err(_) => return Err(InvokeError::Timeout(limit)),
            },
        };
        guard.armed = false;
        shared.touch();
        // A dropped reply means the driver is gone without answering, which only happens when
        // it stopped.
        result.unwrap_or_else(|_| Err(InvokeError::Shutdown(self.closed_reason())))
    }

    /// Sends several serialized TL functions as one batch and returns one result per body, in
    /// the same order. Each element ends on its own: some may succeed while others fail.
    ///
    /// The whole batch reaches the connection task in one step, so the session packs it into a
    /// single `msg_container` (as far as the container limits allow). With `ordered`, request
    /// *i* is wrapped in `invokeAfterMsgs` naming the msg_id that request *i − 1* currently
    /// travels under (renewed whenever either is resent under a new id), so the server runs them
    /// one after the other; a predecessor that already ended, or failed to be sent at all, is
    /// left out of the wrapper. `options` apply to every element; its `timeout` bounds the
    /// whole batch.
    ///
    /// Dropping the future cancels every element still pending.
    pub async fn invoke_batch_raw(
        &self,
        bodies: Vec<Vec<u8>>,
        ordered: bool,
        options: InvokeOptions,
    ) -> Vec<Result<Vec<u8>, InvokeError>> {
        let shared = self.shared();
        shared.touch();
        let n = bodies.len();
        let mut calls = Vec::with_capacity(n);
        let mut answers = Vec::with_capacity(n);
        let mut guards = Vec::with_capacity(n);
        for body in bodies {
            let call = shared.next_call.fetch_add(1, Ordering::Relaxed);
            shared.in_flight.fetch_add(1, Ordering::Relaxed);
            let (reply, answer) = oneshot::channel();
            calls.push(BatchCall { call, body, reply });
            answers.push(answer);
            guards.push(CancelOnDrop {
                call,
                commands: &self.commands,
                armed: true,
            });
        }
        if n == 0 {
            return Vec::new();
        }
        let deadline = options
            .timeout
            .map(|t| (tokio::time::Instant::now() + t, t));
        let command = Command::InvokeBatch {
            calls,
            ordered,
            opts: options,
        };
        if self.commands.send(command).is_err() {
            for guard in &mut guards {
                guard.armed = false;
            }
            let reason = self.closed_reason();
            return (0..n)
                .map(|_| Err(InvokeError::Shutdown(reason.clone())))
                .collect();
        }
        let mut results = Vec::with_capacity(n);
        // The elements run concurrently in the task; waiting for them in order costs nothing.
        for (answer, mut guard) in answers.into_iter().zip(guards) {
            let result = match deadline {
                None => answer.await,
                Some((at, limit)) => match tokio::time::timeout_at(at, answer).await {
                    Ok(r) => r,
                    Err(_) => {
                        // The guard cancels the element as it drops.
                        results.push(Err(InvokeError::Timeout(limit)));
                        continue;
                    }
                },
            };
            guard.disarm();
            results.push(
                result
                    .unwrap_or_else(|_| Err(InvokeError::Shutdown(self.closed_reason())))
                    .map(Answer::into_vec),
            );
        }
        shared.touch();
        results
    }

    /// The connection state; `changed().await` on the receiver to follow it. To read it once,
    /// [`current_state`](Self::current_state) is cheaper (the first receiver makes a channel).
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.shared().published.subscribe_state()
    }

    /// The connection state now.
    pub fn current_state(&self) -> ConnectionState {
        self.shared().published.state()
    }

    /// The auth key in use once known (given at start, or created on the first connection).
    pub fn auth_key(&self) -> watch::Receiver<Option<AuthKey>> {
        self.shared().published.subscribe_key()
    }

    /// The DC this sender talks to.
    pub fn dc_id(&self) -> i16 {
        self.shared().dc_id
    }

    /// Connects to `addr` from the next (re)connection on.
    pub fn set_addr(&self, addr: std::net::SocketAddr) {
        let _ = self.commands.send(Command::SetAddr(addr));
    }

    /// Stops the sender: every pending request fails with [`InvokeError::Shutdown`], the
    /// connection closes, and this returns once the state is [`ConnectionState::Closed`].
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown);
        let mut state = self.shared().published.subscribe_state();
        let _ = state
            .wait_for(|s| matches!(s, ConnectionState::Closed { .. }))
            .await;
    }

    /// Calls started through any clone of this handle and not finished yet.
    pub fn in_flight(&self) -> usize {
        self.shared().in_flight.load(Ordering::Relaxed) as usize
    }

    /// How long since a call last started or finished on this sender.
    pub fn idle_for(&self) -> std::time::Duration {
        let last = self.shared().last_used.load(Ordering::Relaxed);
        let idle = stamp().saturating_sub(last);
        std::time::Duration::from_millis(u64::try_from(idle).unwrap_or(0))
    }

    fn closed_reason(&self) -> DisconnectReason {
        match self.shared().published.state() {
            ConnectionState::Closed { reason } => reason,
            _ => DisconnectReason::Shutdown,
        }
    }
}

impl Shared {
    /// A connection's shared state before its driver starts, with the key it starts from.
    pub(crate) fn new(auth_key: Option<AuthKey>, dc_id: i16) -> Self {
        Self {
            published: super::published::Published::new(auth_key),
            next_call: AtomicU64::new(0),
            last_used: AtomicI64::new(stamp()),
            in_flight: AtomicU32::new(0),
            dc_id,
        }
    }

    fn touch(&self) {
        self.last_used.store(stamp(), Ordering::Relaxed);
    }
}

/// Tokio's clock now, in milliseconds from a point shared by the process (negative before it:
/// a paused test clock may stand earlier than another runtime's). One origin for every
/// connection rather than an instant in each (16 bytes in every connection's shared state).
fn stamp() -> i64 {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    let now = tokio::time::Instant::now().into_std();
    let origin = *ORIGIN.get_or_init(|| now);
    let millis = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    match now.checked_duration_since(origin) {
        Some(after) => millis(after),
        None => -millis(origin - now),
    }
}

/// Counts the call in flight, and cancels it if the caller stops waiting.
struct CancelOnDrop<'a> {
    call: CallId,
    commands: &'a Commands,
    armed: bool,
}

impl CancelOnDrop<'_> {
    /// The call ended normally: nothing to cancel.
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        self.commands
            .extra()
            .in_flight
            .fetch_sub(1, Ordering::Relaxed);
        if self.armed {
            let _ = self.commands.send(Command::Cancel { call: self.call });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle() -> SenderHandle {
        let (commands, _) = crate::queue::unbounded_with(Shared::new(None, 2));
        SenderHandle { commands }
    }

    /// Idleness counts from the handle's making, then from each use, on tokio's clock (which
    /// a paused test clock moves), with one origin for all connections.
    #[tokio::test(start_paused = true)]
    async fn idleness_counts_from_the_last_use() {
        let first = handle();
        assert_eq!(first.idle_for(), std::time::Duration::ZERO);
        tokio::time::advance(std::time::Duration::from_secs(5)).await;
        let second = handle();
        assert_eq!(first.idle_for().as_secs(), 5);
        assert_eq!(second.idle_for(), std::time::Duration::ZERO);
        tokio::time::advance(std::time::Duration::from_secs(2)).await;
        first.shared().touch();
        assert_eq!(first.idle_for(), std::time::Duration::ZERO);
        assert_eq!(second.idle_for().as_secs(), 2);
    }
}
