//! State that lives only as long as the process: connected sessions, pending sign-ins, SRP
//! checks in flight, login tokens, partial uploads and file contents.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tgwire_crypto::srp::ServerSession;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Notify;

/// Everything the backend keeps in memory only.
#[derive(Debug, Default)]
pub(crate) struct Runtime {
    /// `(auth_key_id, session_id)` → the session's push channel.
    pub(crate) sessions: HashMap<(i64, i64), LiveSession>,
    /// The keys of `sessions` by the user each is signed in as, for pushes; `None` until
    /// built. Entries may be stale (a session gone, a key signed out): pushes check each and
    /// drop those. What adds a session to a user (a registration, a sign-in, a temporary key
    /// bound) clears the index, which the next push builds again.
    pub(crate) by_user: Option<HashMap<i64, Vec<(i64, i64)>>>,
    /// The id of the next session registration (see `Backend::register_session_feed`).
    pub(crate) next_registration: u64,
    /// Temporary auth key → (permanent key, expiry).
    pub(crate) temp_keys: HashMap<i64, (i64, i32)>,
    /// `phone_code_hash` → the code request it answers.
    pub(crate) codes: HashMap<String, CodeRequest>,
    /// Permanent key → the account waiting for its 2FA password on that key.
    pub(crate) password_pending: HashMap<i64, i64>,
    /// `srp_id` → the server half of a password check.
    pub(crate) srp: HashMap<i64, SrpPending>,
    /// `auth.exportAuthorization` tokens: bytes → (user, target DC).
    pub(crate) exported: HashMap<Vec<u8>, (i64, i32)>,
    /// QR-login tokens by their bytes.
    pub(crate) login_tokens: HashMap<Vec<u8>, LoginTokenRec>,
    /// Files being uploaded: (user, file_id) → parts.
    pub(crate) uploads: HashMap<(i64, i64), Upload>,
    /// Contents of documents and photos, by media id.
    pub(crate) contents: HashMap<i64, Arc<Vec<u8>>>,
    /// Bytes held by `uploads` and `contents`, against the memory cap.
    pub(crate) stored_bytes: u64,
    /// Callback and inline queries a bot has not answered yet, by query id.
    pub(crate) bot_queries: HashMap<i64, super::bots::PendingQuery>,
    /// Inline results bots answered with, by query id (for `messages.sendInlineBotResult`).
    pub(crate) inline_answers: HashMap<i64, super::inline::InlineAnswer>,
    /// Query ids of cached inline answers, by what was asked.
    pub(crate) inline_cache: HashMap<super::inline::CacheKey, i64>,
    /// Files handed to the CDN DC, by file token.
    pub(crate) cdn_files: HashMap<Vec<u8>, super::cdn::CdnFileRec>,
    /// Media id → its CDN file token.
    pub(crate) cdn_tokens: HashMap<i64, Vec<u8>>,
    /// What the CDN did so far.
    pub(crate) cdn_stats: super::cdn::CdnStats,
    /// Auth key → the language its client said it speaks (`initConnection`'s `lang_code`).
    pub(crate) lang_codes: HashMap<i64, String>,
}

impl Runtime {
    /// The language the client of permanent key `perm` (or of a temporary key bound to it)
    /// said it speaks.
    pub(crate) fn lang_code_of(&self, perm: i64) -> Option<String> {
        self.lang_codes
            .get(&perm)
            .or_else(|| {
                self.temp_keys
                    .iter()
                    .filter(|(_, &(bound, _))| bound == perm)
                    .find_map(|(temp, _)| self.lang_codes.get(temp))
            })
            .cloned()
    }
}

/// A connected MTProto session that wants updates.
#[derive(Debug)]
pub(crate) struct LiveSession {
    pub(crate) perm_key: i64,
    pub(crate) feed: Feed,
    /// Which registration this is (a newer one of the same session replaces it).
    pub(crate) registration: u64,
}

/// Where a live session's updates go: its channel, and whom to wake once one is in it.
#[derive(Clone, Debug)]
pub(crate) struct Feed {
    pub(crate) tx: UnboundedSender<Vec<u8>>,
    /// The task that takes the updates out of the channel (the connection the session is
    /// attached to), if it does not wait on the channel itself.
    pub(crate) wake: Option<Arc<Notify>>,
}

impl Feed {
    /// Queues `update`; `false` if the receiver is gone (the session was forgotten).
    pub(crate) fn send(&self, update: Vec<u8>) -> bool {
        if self.tx.send(update).is_err() {
            return false;
        }
        if let Some(wake) = &self.wake {
            wake.notify_one();
        }
        true
    }
}

/// An `auth.sendCode` awaiting `auth.signIn` / `auth.signUp`.
#[derive(Debug, Clone)]
pub(crate) struct CodeRequest {
    pub(crate) phone: String,
    pub(crate) code: String,
    pub(crate) expires: i32,
}

/// A password check started by `account.getPassword`.
#[derive(Debug)]
pub(crate) struct SrpPending {
    pub(crate) user_id: i64,
    pub(crate) session: ServerSession,
}

/// A QR-login token.
#[derive(Debug, Clone)]
pub(crate) struct LoginTokenRec {
    /// The key (and its DC) that exported the token and will import it.
    pub(crate) perm_key: i64,
    pub(crate) dc_id: i32,
    pub(crate) expires: i32,
    pub(crate) accepted_by: Option<i64>,
}

/// The parts of one file upload so far.
#[derive(Debug, Default)]
pub(crate) struct Upload {
    pub(crate) parts: BTreeMap<i32, Vec<u8>>,
    /// `file_total_parts` of `upload.saveBigFilePart` (`None` for small uploads).
    pub(crate) big_total: Option<i32>,
}
