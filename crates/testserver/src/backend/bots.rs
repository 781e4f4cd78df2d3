//! Callback queries: a user presses an inline button of a bot's message and waits for the
//! bot's answer.
//!
//! ```text
//!  user: messages.getBotCallbackAnswer ──▶ updateBotCallbackQuery ──▶ bot (pushed)
//!        (the call waits: Answer::Later)    or updateInlineBotCallbackQuery (inline message)
//!  user's call returns ◀── botCallbackAnswer ◀── messages.setBotCallbackAnswer ◀── bot
//! ```
//!
//! A pending query lives in [`Runtime::bot_queries`](super::runtime::Runtime) with the sending
//! half of a oneshot channel; the user's call holds the receiving half
//! ([`PendingAnswer`]). The protocol side awaits it off the connection's loop, so other calls
//! (the bot's answer among them) go on meanwhile. A bot that does not answer within the
//! backend's bot timeout makes the user's call fail with `400 BOT_RESPONSE_TIMEOUT`, and its
//! late answer with `QUERY_ID_INVALID`, as on Telegram. Inline queries
//! (`messages.getInlineBotResults`, `inline.rs`) wait the same way.

use std::time::Duration;

use tgwire_tl_types::{enums, functions, types};
use tokio::sync::oneshot;

use super::model::{MediaRec, MessageRec, Peer};
use super::present::Refs;
use super::rpc::{RpcError, RpcResult};
use super::{messages, peers, Cx, RpcOutcome};

/// How long a user's call waits for a bot by default.
pub const DEFAULT_BOT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest text of a callback answer (Telegram: 200 characters).
const MAX_ANSWER_TEXT: usize = 200;

/// The answer to one call: now, or when a bot answers.
#[derive(Debug)]
pub enum Answer {
    /// The answer is ready.
    Now(RpcOutcome),
    /// A bot answers the call; await [`PendingAnswer::wait`].
    Later(PendingAnswer),
}

/// A call waiting for a bot's answer.
#[derive(Debug)]
pub struct PendingAnswer {
    rx: oneshot::Receiver<RpcOutcome>,
    timeout: Duration,
}

impl PendingAnswer {
    /// The bot's answer, or `400 BOT_RESPONSE_TIMEOUT` when none came in time (or the
    /// backend forgot the query, as a restart does).
    pub async fn wait(self) -> RpcOutcome {
        match tokio::time::timeout(self.timeout, self.rx).await {
            Ok(Ok(outcome)) => outcome,
            _ => timeout_error(),
        }
    }

    /// The answer if the bot gave it already (for tests without a runtime).
    pub fn try_take(&mut self) -> Option<RpcOutcome> {
        self.rx.try_recv().ok()
    }
}

/// `400 BOT_RESPONSE_TIMEOUT`.
pub(crate) fn timeout_error() -> RpcOutcome {
    RpcOutcome::Err {
        code: 400,
        message: "BOT_RESPONSE_TIMEOUT".into(),
    }
}

/// A query a bot has not answered yet.
#[derive(Debug)]
pub(crate) struct PendingQuery {
    /// The bot that must answer it.
    pub(crate) bot: i64,
    /// What it is (and what the answer must be).
    pub(crate) kind: QueryKind,
    tx: oneshot::Sender<RpcOutcome>,
}

/// Which method answers a [`PendingQuery`].
#[derive(Debug)]
pub(crate) enum QueryKind {
    /// `messages.setBotCallbackAnswer`.
    Callback,
    /// `messages.setInlineBotResults`, for what `user` asked.
    Inline(super::inline::Asked),
}

/// Registers query `query_id` for `bot` and makes the current call wait for its answer.
pub(crate) fn defer(cx: &mut Cx<'_>, query_id: i64, bot: i64, kind: QueryKind) {
    // Queries whose caller gave up (timed out) are dead: forget them.
    cx.rt.bot_queries.retain(|_, q| !q.tx.is_closed());
    let (tx, rx) = oneshot::channel();
    cx.rt
        .bot_queries
        .insert(query_id, PendingQuery { bot, kind, tx });
    cx.deferred = Some(PendingAnswer {
        rx,
        timeout: cx.bot_timeout,
    });
}

/// Takes query `query_id` of bot `me` that is answered by `kind`'s method, if its caller is
/// still waiting (`QUERY_ID_INVALID` otherwise, as for a late answer on Telegram).
pub(crate) fn take_query(
    cx: &mut Cx<'_>,
    me: i64,
    query_id: i64,
    inline: bool,
) -> RpcResult<PendingQuery> {
    let fits = cx.rt.bot_queries.get(&query_id).is_some_and(|q| {
        q.bot == me && matches!(q.kind, QueryKind::Inline(_)) == inline && !q.tx.is_closed()
    });
    if !fits {
        return Err(RpcError::bad("QUERY_ID_INVALID"));
    }
    cx.rt
        .bot_queries
        .remove(&query_id)
        .ok_or_else(|| RpcError::bad("QUERY_ID_INVALID"))
}

impl PendingQuery {
    /// Answers the waiting call; `false` if it gave up in the meantime.
    pub(crate) fn answer(self, outcome: RpcOutcome) -> bool {
        self.tx.send(outcome).is_ok()
    }
}

/// The inline keyboard of a stored message, if it has one.
pub(crate) fn inline_buttons(msg: &MessageRec) -> Vec<types::KeyboardInlineButton> {
    let Some(enums::ReplyMarkup::ReplyInlineMarkup(markup)) =
        msg.reply_markup.as_ref().and_then(|m| m.decode())
    else {
        return Vec::new();
    };
    markup
        .rows
        .into_iter()
        .flat_map(|enums::KeyboardInlineButtonRow::KeyboardInlineButtonRow(row)| row.buttons)
        .map(|enums::KeyboardInlineButton::KeyboardInlineButton(button)| *button)
        .collect()
}

/// A stable id of the chat a message is in, the same for every member (`chat_instance`).
fn chat_instance(me: i64, peer: Peer) -> i64 {
    let (a, b) = match peer {
        Peer::User(other) => (me.min(other), me.max(other)),
        Peer::Chat(chat) => (-1, chat),
        Peer::Channel(channel) => (-2, channel),
    };
    // Any fixed mixing will do; it only has to differ between chats and look opaque.
    let mixed = (a as u64)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .rotate_left(29)
        ^ (b as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    mixed as i64
}

/// The short name of the game a message shows, if any.
fn game_short_name(msg: &MessageRec) -> Option<String> {
    let Some(MediaRec::Inline(bytes)) = &msg.media else {
        return None;
    };
    match bytes.decode::<enums::MessageMedia>()? {
        enums::MessageMedia::Game(game) => match game.game {
            enums::Game::Game(game) => Some(game.short_name.to_string()),
        },
        _ => None,
    }
}

pub(crate) fn get_bot_callback_answer(
    cx: &mut Cx<'_>,
    req: functions::messages::GetBotCallbackAnswer,
) -> RpcResult<enums::messages::BotCallbackAnswer> {
    let me = cx.me_user()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    messages::check_visible(cx.state, me, peer)?;
    let msg = messages::stored(cx.state, me, peer, req.msg_id)
        .filter(|m| m.action.is_none())
        .cloned()
        .ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))?;
    let buttons = inline_buttons(&msg);
    let pressed = buttons.iter().any(|button| match &button.r#type {
        enums::InlineButtonType::Callback(cb) => !req.game && req.data.as_ref() == Some(&cb.data),
        enums::InlineButtonType::Game => req.game,
        _ => false,
    });
    if !pressed {
        return Err(RpcError::bad("DATA_INVALID"));
    }
    let game_short_name = if req.game {
        Some(game_short_name(&msg).ok_or_else(|| RpcError::bad("DATA_INVALID"))?)
    } else {
        None
    };
    let data = if req.game { None } else { req.data };
    let query_id = super::random_i64();
    let instance = chat_instance(me, peer);
    let mut refs = Refs::default();
    refs.user(me);
    // A message sent through inline mode is addressed by its inline id, to its bot.
    let (bot, update): (i64, enums::Update) = match (msg.via_bot, msg.inline_id) {
        (Some(bot), Some(inline_id)) => {
            let rec = cx
                .state
                .inline_messages
                .get(&inline_id)
                .ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))?;
            let update = types::UpdateInlineBotCallbackQuery {
                query_id,
                user_id: me,
                msg_id: super::inline::input_id(inline_id, rec),
                chat_instance: instance,
                data,
                game_short_name: game_short_name.map(Into::into),
            };
            (bot, update.into())
        }
        _ => {
            let bot = match msg.from {
                Some(Peer::User(from)) if cx.state.users.get(&from).is_some_and(|u| u.bot) => from,
                _ => return Err(RpcError::bad("MESSAGE_ID_INVALID")),
            };
            // The bot's side of the chat: its own numbering, and the user as the peer of a
            // private chat.
            let (bot_peer, bot_msg_id) = match peer {
                Peer::User(_) => (
                    Peer::User(me),
                    messages::copy_in(cx.state, bot, msg.global_id),
                ),
                Peer::Chat(_) => (peer, messages::copy_in(cx.state, bot, msg.global_id)),
                Peer::Channel(_) => (peer, Some(msg.id)),
            };
            let bot_msg_id = bot_msg_id.ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))?;
            refs.peer(bot_peer);
            let update = types::UpdateBotCallbackQuery {
                query_id,
                user_id: me,
                peer: bot_peer.to_tl(),
                msg_id: bot_msg_id,
                chat_instance: instance,
                data,
                game_short_name: game_short_name.map(Into::into),
            };
            (bot, update.into())
        }
    };
    cx.push_with(bot, vec![update], &refs);
    defer(cx, query_id, bot, QueryKind::Callback);
    // A placeholder: the bot's answer replaces it.
    Ok(empty_answer())
}

fn empty_answer() -> enums::messages::BotCallbackAnswer {
    types::messages::BotCallbackAnswer {
        alert: false,
        has_url: false,
        native_ui: false,
        message: None,
        url: None,
        cache_time: 0,
    }
    .into()
}

pub(crate) fn set_bot_callback_answer(
    cx: &mut Cx<'_>,
    req: functions::messages::SetBotCallbackAnswer,
) -> RpcResult<bool> {
    let me = cx.me()?;
    if !cx.state.users.get(&me).is_some_and(|u| u.bot) {
        return Err(RpcError::bad("USER_BOT_REQUIRED"));
    }
    if req
        .message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MAX_ANSWER_TEXT)
    {
        return Err(RpcError::bad("MESSAGE_TOO_LONG"));
    }
    if req.url.as_ref().is_some_and(|url| url.trim().is_empty()) {
        return Err(RpcError::bad("URL_INVALID"));
    }
    if req.cache_time < 0 {
        return Err(RpcError::bad("CACHE_TIME_INVALID"));
    }
    let query = take_query(cx, me, req.query_id, false)?;
    let answer: enums::messages::BotCallbackAnswer = types::messages::BotCallbackAnswer {
        alert: req.alert,
        has_url: req.url.is_some(),
        native_ui: false,
        message: req.message.filter(|m| !m.is_empty()),
        url: req.url,
        cache_time: req.cache_time,
    }
    .into();
    use tgwire_tl_types::Serializable;
    if query.answer(RpcOutcome::Ok(answer.to_bytes())) {
        Ok(true)
    } else {
        Err(RpcError::bad("QUERY_ID_INVALID"))
    }
}
