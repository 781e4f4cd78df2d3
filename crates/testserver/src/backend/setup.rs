//! Direct access for test set-up and assertions: create accounts, groups and channels, send
//! messages as anyone, inspect histories — without a client. Changes made here are pushed to
//! connected sessions exactly like the same change made through the API.

use rand::RngCore;
use tgwire_crypto::dh::TELEGRAM_DH_PRIME;
use tgwire_crypto::srp;

use super::messages::{self, Content};
use super::model::{Bytes, PasswordRec, Peer};
use super::rpc::{BackendError, RpcError, RpcResult};
use super::{auth, channels, chats, users, Backend, CallContext, Cx};

/// A stored message, as [`Backend::history`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// Message id (in the viewer's numbering for private chats and basic groups).
    pub id: i32,
    /// The author, if any (`None` for broadcast posts).
    pub from: Option<Peer>,
    /// Text or caption (empty for service messages).
    pub text: String,
    /// Sent by the viewer.
    pub out: bool,
    /// Unix time it was sent.
    pub date: i32,
    /// A service message (created, joined, left…).
    pub service: bool,
}

impl Backend {
    /// Runs a set-up step as if it were a call from nowhere (no caller session to skip).
    fn setup<T>(&self, f: impl FnOnce(&mut Cx<'_>) -> RpcResult<T>) -> Result<T, BackendError> {
        let ctx = CallContext::default();
        self.with_cx(&ctx, |cx| f(cx).map_err(BackendError::from))
    }

    /// Creates a user with phone number `phone` (digits, `+` and spaces allowed). Test numbers
    /// `99966XYYYY` live on DC `X`, others on the first configured DC.
    ///
    /// # Errors
    /// [`BackendError::Refused`] for an invalid or taken number or username.
    pub fn create_user(
        &self,
        phone: &str,
        first_name: &str,
        username: Option<&str>,
    ) -> Result<i64, BackendError> {
        self.setup(|cx| {
            let phone = auth::normalize_phone(phone)?;
            if users::by_phone(cx.state, &phone).is_some() {
                return Err(RpcError::bad("PHONE_NUMBER_OCCUPIED"));
            }
            if let Some(name) = username {
                users::check_username_free(cx.state, name, Peer::User(0))?;
            }
            let home = auth::test_number_dc(&phone)
                .or_else(|| cx.cfg.dcs.first().map(|dc| dc.id))
                .unwrap_or(1);
            let id = users::create_user(cx, Some(phone), first_name.into(), String::new(), home);
            if let Some(user) = cx.state.users.get_mut(&id) {
                user.username = username.map(str::to_owned);
            }
            Ok(id)
        })
    }

    /// Creates bot `bot_id` (the number before `:` in its token); the username defaults to
    /// `bot<id>_bot`.
    ///
    /// # Errors
    /// [`BackendError::Refused`] if the id is taken or the username invalid or taken.
    pub fn create_bot(
        &self,
        bot_id: i64,
        first_name: &str,
        username: Option<&str>,
    ) -> Result<i64, BackendError> {
        self.setup(|cx| {
            if bot_id <= 0 || cx.state.users.contains_key(&bot_id) {
                return Err(RpcError::bad("BOT_ID_INVALID"));
            }
            if let Some(name) = username {
                users::check_username_free(cx.state, name, Peer::User(bot_id))?;
            }
            let home = cx.cfg.dcs.first().map_or(1, |dc| dc.id);
            users::create_bot(cx, bot_id, first_name.into(), home);
            if let (Some(name), Some(user)) = (username, cx.state.users.get_mut(&bot_id)) {
                user.username = Some(name.to_owned());
            }
            Ok(bot_id)
        })
    }

    /// Sets or clears a user's username.
    ///
    /// # Errors
    /// [`BackendError::UnknownUser`]; [`BackendError::Refused`] for an invalid or taken name.
    pub fn set_username(&self, user: i64, username: Option<&str>) -> Result<(), BackendError> {
        self.setup(|cx| {
            if let Some(name) = username {
                users::check_username_free(cx.state, name, Peer::User(user))?;
            }
            let rec = cx
                .state
                .users
                .get_mut(&user)
                .ok_or_else(|| RpcError::bad("USER_ID_INVALID"))?;
            rec.username = username.map(str::to_owned);
            cx.dirty = true;
            Ok(())
        })
        .map_err(|error| unknown(error, BackendError::UnknownUser(user)))
    }

    /// Gives `user` the 2FA password `password` (stored as an SRP verifier only).
    ///
    /// # Errors
    /// [`BackendError::UnknownUser`].
    pub fn set_password(
        &self,
        user: i64,
        password: &str,
        hint: Option<&str>,
    ) -> Result<(), BackendError> {
        let mut salt1 = [0u8; 40];
        let mut salt2 = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut salt1);
        rand::thread_rng().fill_bytes(&mut salt2);
        let verifier =
            srp::make_verifier(password.as_bytes(), &salt1, &salt2, 3, &TELEGRAM_DH_PRIME)
                .map_err(|error| BackendError::Refused(error.to_string()))?;
        self.setup(|cx| {
            let rec = cx
                .state
                .users
                .get_mut(&user)
                .ok_or_else(|| RpcError::bad("USER_ID_INVALID"))?;
            rec.password = Some(PasswordRec {
                salt1: Bytes(salt1.to_vec()),
                salt2: Bytes(salt2.to_vec()),
                g: 3,
                p: Bytes(TELEGRAM_DH_PRIME.to_vec()),
                verifier: Bytes(verifier.to_vec()),
                hint: hint.map(str::to_owned),
            });
            cx.dirty = true;
            Ok(())
        })
        .map_err(|error| unknown(error, BackendError::UnknownUser(user)))
    }

    /// Adds `contact` to `user`'s contacts.
    ///
    /// # Errors
    /// [`BackendError::UnknownUser`] if either does not exist.
    pub fn add_contact(&self, user: i64, contact: i64) -> Result<(), BackendError> {
        self.setup(|cx| {
            if !cx.state.users.contains_key(&contact) {
                return Err(RpcError::bad("USER_ID_INVALID"));
            }
            let rec = cx
                .state
                .users
                .get_mut(&user)
                .ok_or_else(|| RpcError::bad("USER_ID_INVALID"))?;
            rec.contacts.insert(contact);
            cx.dirty = true;
            Ok(())
        })
        .map_err(|error| unknown(error, BackendError::UnknownUser(user)))
    }

    /// Creates a basic group of `creator` and `members`.
    ///
    /// # Errors
    /// [`BackendError::Refused`] as `messages.createChat` would refuse.
    pub fn create_chat(
        &self,
        creator: i64,
        title: &str,
        members: &[i64],
    ) -> Result<i64, BackendError> {
        self.setup(|cx| {
            for &user in members.iter().chain(std::iter::once(&creator)) {
                if !cx.state.users.contains_key(&user) {
                    return Err(RpcError::bad("USER_ID_INVALID"));
                }
            }
            Ok(chats::create(cx, creator, title, members)?.0)
        })
    }

    /// Creates a supergroup (`megagroup`) or broadcast channel owned by `creator`, public if
    /// `username` is given.
    ///
    /// # Errors
    /// [`BackendError::UnknownUser`]; [`BackendError::Refused`] for a bad title or username.
    pub fn create_channel(
        &self,
        creator: i64,
        title: &str,
        megagroup: bool,
        username: Option<&str>,
    ) -> Result<i64, BackendError> {
        self.setup(|cx| {
            if !cx.state.users.contains_key(&creator) {
                return Err(RpcError::bad("USER_ID_INVALID"));
            }
            if let Some(name) = username {
                users::check_username_free(cx.state, name, Peer::Channel(0))?;
            }
            let (id, _) = channels::create(cx, creator, title, "", megagroup)?;
            if let Some(name) = username {
                channels::set_username(cx, id, name)?;
            }
            Ok(id)
        })
    }

    /// Makes `user` a member of `channel`.
    ///
    /// # Errors
    /// [`BackendError::Refused`] for unknown ids or an existing member.
    pub fn add_channel_member(&self, channel: i64, user: i64) -> Result<(), BackendError> {
        self.setup(|cx| {
            if !cx.state.users.contains_key(&user) {
                return Err(RpcError::bad("USER_ID_INVALID"));
            }
            let creator = cx
                .state
                .channels
                .get(&channel)
                .map(|c| c.creator)
                .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
            channels::add_member(cx, channel, user, creator)
        })
    }

    /// Sends `text` from `from` to `to` as if `from` had called `messages.sendMessage`
    /// (recipients' sessions get the updates); returns the message id in `from`'s numbering.
    ///
    /// # Errors
    /// [`BackendError::Refused`] as `messages.sendMessage` would refuse.
    pub fn send_message_as(&self, from: i64, to: Peer, text: &str) -> Result<i32, BackendError> {
        self.setup(|cx| {
            if !cx.state.users.contains_key(&from) {
                return Err(RpcError::bad("USER_ID_INVALID"));
            }
            let content = Content {
                text: text.to_owned(),
                ..Content::default()
            };
            Ok(messages::post(cx, from, to, content, None)?.id)
        })
    }

    /// Signs permanent auth key `perm_auth_key_id` in as `user` (skipping the sign-in flow).
    ///
    /// # Errors
    /// [`BackendError::UnknownUser`].
    pub fn authorize_key(&self, perm_auth_key_id: i64, user: i64) -> Result<(), BackendError> {
        let ctx = CallContext {
            auth_key_id: perm_auth_key_id,
            perm_auth_key_id,
            ..CallContext::default()
        };
        self.with_cx(&ctx, |cx| {
            if !cx.state.users.contains_key(&user) {
                return Err(BackendError::UnknownUser(user));
            }
            cx.authorize(user);
            Ok(())
        })
    }

    /// The account with this phone number.
    pub fn user_by_phone(&self, phone: &str) -> Option<i64> {
        let phone = auth::normalize_phone(phone).ok()?;
        users::by_phone(&self.lock().state, &phone)
    }

    /// The account a permanent auth key is signed in as.
    pub fn user_of_key(&self, perm_auth_key_id: i64) -> Option<i64> {
        self.lock()
            .state
            .authorizations
            .get(&perm_auth_key_id)
            .map(|auth| auth.user_id)
    }

    /// A user's access hash (to build `inputUser` / `inputPeerUser` in tests).
    pub fn user_access_hash(&self, user: i64) -> Option<i64> {
        self.lock().state.users.get(&user).map(|u| u.access_hash)
    }

    /// A channel's access hash.
    pub fn channel_access_hash(&self, channel: i64) -> Option<i64> {
        self.lock()
            .state
            .channels
            .get(&channel)
            .map(|c| c.access_hash)
    }

    /// The pts of `user`'s message box.
    pub fn pts(&self, user: i64) -> Option<i32> {
        self.lock().state.boxes.get(&user).map(|b| b.store.pts)
    }

    /// The pts of a channel.
    pub fn channel_pts(&self, channel: i64) -> Option<i32> {
        self.lock()
            .state
            .channels
            .get(&channel)
            .map(|c| c.store.pts)
    }

    /// `viewer`'s messages in dialog `peer`, oldest first.
    pub fn history(&self, viewer: i64, peer: Peer) -> Vec<StoredMessage> {
        let inner = self.lock();
        let mut list: Vec<StoredMessage> = messages::history_of(&inner.state, viewer, peer)
            .into_iter()
            .map(|m| StoredMessage {
                id: m.id,
                from: m.from,
                text: m.text.clone(),
                out: match m.peer {
                    Peer::Channel(_) => m.from == Some(Peer::User(viewer)),
                    _ => m.out,
                },
                date: m.date,
                service: m.action.is_some(),
            })
            .collect();
        list.reverse();
        list
    }
}

/// Maps a "no such user" refusal to the set-up error naming the id.
fn unknown(error: BackendError, instead: BackendError) -> BackendError {
    match &error {
        BackendError::Refused(message) if message.ends_with("USER_ID_INVALID") => instead,
        _ => error,
    }
}
