//! Takeout sessions: `account.initTakeoutSession`, requests wrapped in `invokeWithTakeout`, and
//! `account.finishTakeoutSession`.
//!
//! A takeout belongs to the permanent key that started it; wrapping a request in another key's
//! (or a finished) takeout is `TAKEOUT_INVALID`, finishing without one `TAKEOUT_REQUIRED`. The
//! wrapped request runs as if it were sent bare, and the takeout counts it (tests read the
//! count with [`Backend::takeout_requests`]). Telegram's `TAKEOUT_INIT_DELAY_X` (a fresh
//! login must wait) is what [`crate::faults::Faults`] can inject into
//! `account.initTakeoutSession`.

use serde::{Deserialize, Serialize};
use tgwire_tl_types::{functions, types, Blob, Deserializable, Identifiable};

use super::rpc::{RpcError, RpcResult};
use super::{dispatch, random_i64, Backend, Cx};

/// An open takeout session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TakeoutRec {
    pub(crate) user: i64,
    /// The permanent key that started it.
    pub(crate) perm_key: i64,
    /// Requests run through it so far.
    pub(crate) requests: u64,
}

pub(crate) fn init_takeout_session(
    cx: &mut Cx<'_>,
    req: functions::account::InitTakeoutSession,
) -> RpcResult<tgwire_tl_types::enums::account::Takeout> {
    let me = cx.me_user()?;
    if req.files && req.file_max_size.is_some_and(|size| size <= 0) {
        return Err(RpcError::bad("FILE_MAX_SIZE_INVALID"));
    }
    let id = random_i64();
    let perm_key = cx.perm_key();
    cx.state.takeouts.insert(
        id,
        TakeoutRec {
            user: me,
            perm_key,
            requests: 0,
        },
    );
    cx.dirty = true;
    Ok(types::account::Takeout { id }.into())
}

pub(crate) fn finish_takeout_session(
    cx: &mut Cx<'_>,
    _: functions::account::FinishTakeoutSession,
) -> RpcResult<bool> {
    cx.me()?;
    let perm_key = cx.perm_key();
    let before = cx.state.takeouts.len();
    cx.state.takeouts.retain(|_, t| t.perm_key != perm_key);
    if cx.state.takeouts.len() == before {
        return Err(RpcError::bad("TAKEOUT_REQUIRED"));
    }
    cx.dirty = true;
    Ok(true)
}

/// Runs the request inside `invokeWithTakeout` (whose bytes are `bytes`) if the takeout is the
/// caller's.
pub(crate) fn invoke_with_takeout(cx: &mut Cx<'_>, bytes: &[u8]) -> RpcResult<Vec<u8>> {
    let wrapped = functions::InvokeWithTakeout::<Blob>::from_bytes(bytes)
        .map_err(|_| RpcError::bad("INPUT_REQUEST_INVALID"))?;
    let me = cx.me()?;
    let perm_key = cx.perm_key();
    let takeout = cx
        .state
        .takeouts
        .get_mut(&wrapped.takeout_id)
        .filter(|t| t.perm_key == perm_key && t.user == me)
        .ok_or_else(|| RpcError::bad("TAKEOUT_INVALID"))?;
    takeout.requests += 1;
    cx.dirty = true;
    let inner = wrapped.query.0;
    let Some(id) = inner
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    else {
        return Err(RpcError::bad("INPUT_REQUEST_INVALID"));
    };
    if id == functions::InvokeWithTakeout::<Blob>::CONSTRUCTOR_ID {
        // One takeout wrapper is enough; nesting them is a client bug.
        return Err(RpcError::bad("INPUT_REQUEST_INVALID"));
    }
    let name = tgwire_tl_types::name_for_id(id).unwrap_or("<unknown constructor>");
    dispatch::dispatch(cx, id, name, &inner)
}

impl Backend {
    /// How many requests ran through `user`'s open takeout sessions (`None` without one).
    pub fn takeout_requests(&self, user: i64) -> Option<u64> {
        let inner = self.lock();
        let mut open = inner
            .state
            .takeouts
            .values()
            .filter(|t| t.user == user)
            .peekable();
        open.peek()?;
        Some(open.map(|t| t.requests).sum())
    }
}
