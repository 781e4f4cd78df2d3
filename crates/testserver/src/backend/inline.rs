//! Inline mode: a user types `@bot query`, the bot answers with results, the user sends one.
//!
//! ```text
//!  user: messages.getInlineBotResults ─▶ updateBotInlineQuery ─▶ bot
//!        (waits, as callback queries do;   ◀── messages.setInlineBotResults (results, cache_time,
//!         a fresh cached answer returns        next_offset, gallery, private, switch_pm)
//!         at once without asking the bot)
//!  user: messages.sendInlineBotResult ─▶ a message "via @bot" in the chat (with an inline
//!        message id), updateBotInlineSend ─▶ bot
//!  bot:  messages.editInlineBotMessage(inline id) ─▶ every copy edited
//! ```
//!
//! Inline mode is off for a bot until turned on ([`Backend::set_bot_inline`], BotFather's
//! `/setinline`); queries to other bots fail with `BOT_INLINE_DISABLED`. Answers are cached
//! for `cache_time` seconds by bot, query and offset (and by user with `private`), as
//! Telegram's servers do; they are kept in memory only.
//!
//! Results that point at web content (`inputBotInlineResult` with `content`) are listed as
//! they are, but this server fetches nothing: sending one posts its text without the media.

use tgwire_tl_types::{enums, functions, types, Serializable};

use super::bots::{self, QueryKind};
use super::messages::{self, Content};
use super::model::{Bytes, InlineMessageRec, Peer};
use super::present::{self, Refs};
use super::rpc::{BackendError, RpcError, RpcResult};
use super::{peers, Backend, Cx, RpcOutcome};

/// Most results one answer may carry (Telegram: 50).
const MAX_RESULTS: usize = 50;
/// Longest `next_offset` (Telegram: 64 bytes).
const MAX_OFFSET: usize = 64;
/// Answers kept for `messages.sendInlineBotResult` at most; the oldest go first.
const MAX_KEPT_ANSWERS: usize = 4096;

/// What a pending inline query asked.
#[derive(Debug, Clone)]
pub(crate) struct Asked {
    pub(crate) user: i64,
    pub(crate) query: String,
    pub(crate) offset: String,
}

/// What a cached answer is found by: bot, query, offset, and the user for `private` answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    bot: i64,
    query: String,
    offset: String,
    user: Option<i64>,
}

/// A bot's answer to one inline query.
#[derive(Debug, Clone)]
pub(crate) struct InlineAnswer {
    bot: i64,
    asked: Asked,
    private: bool,
    /// Until when the answer is served from the cache (Unix time).
    cached_until: i32,
    /// When it was stored (to forget the oldest first).
    stored: i32,
    results: Vec<enums::InputBotInlineResult>,
    /// The answer as users get it (without `users`, filled per viewer).
    shown: types::messages::BotResults,
}

impl Backend {
    /// Turns inline mode on for bot `bot` with `placeholder` as its input field hint
    /// (BotFather's `/setinline`), or off with `None`.
    ///
    /// # Errors
    /// [`BackendError::UnknownUser`] if `bot` does not exist; [`BackendError::Refused`]
    /// (`USER_BOT_REQUIRED`) if it is not a bot.
    pub fn set_bot_inline(&self, bot: i64, placeholder: Option<&str>) -> Result<(), BackendError> {
        let ctx = super::CallContext::default();
        self.with_cx(&ctx, |cx| {
            let rec = cx
                .state
                .users
                .get(&bot)
                .ok_or(BackendError::UnknownUser(bot))?;
            if !rec.bot {
                return Err(RpcError::bad("USER_BOT_REQUIRED").into());
            }
            match placeholder {
                Some(text) => cx.state.inline_bots.insert(bot, text.to_owned()),
                None => cx.state.inline_bots.remove(&bot),
            };
            cx.dirty = true;
            Ok(())
        })
    }
}

/// The kind of chat a query is typed in, as the bot is told.
fn peer_type(cx: &Cx<'_>, me: i64, bot: i64, peer: Peer) -> enums::InlineQueryPeerType {
    match peer {
        Peer::User(user) if user == bot => enums::InlineQueryPeerType::SameBotPm,
        Peer::User(user) if user == me => enums::InlineQueryPeerType::Pm,
        Peer::User(user) if cx.state.users.get(&user).is_some_and(|u| u.bot) => {
            enums::InlineQueryPeerType::BotPm
        }
        Peer::User(_) => enums::InlineQueryPeerType::Pm,
        Peer::Chat(_) => enums::InlineQueryPeerType::Chat,
        Peer::Channel(channel) => {
            if cx.state.channels.get(&channel).is_some_and(|c| c.broadcast) {
                enums::InlineQueryPeerType::Broadcast
            } else {
                enums::InlineQueryPeerType::Megagroup
            }
        }
    }
}

fn geo_of(point: &enums::InputGeoPoint) -> enums::GeoPoint {
    match point {
        enums::InputGeoPoint::InputGeoPoint(point) => types::GeoPoint {
            long: point.long,
            lat: point.lat,
            access_hash: super::random_i64(),
            accuracy_radius: point.accuracy_radius,
        }
        .into(),
        enums::InputGeoPoint::Empty => enums::GeoPoint::Empty,
    }
}

/// The answer `viewer` gets: the stored one with the bot in `users`.
fn shown_to(cx: &Cx<'_>, viewer: i64, answer: &InlineAnswer) -> enums::messages::BotResults {
    let mut shown = answer.shown.clone();
    let mut refs = Refs::default();
    refs.user(answer.bot);
    shown.users = refs.users(cx.state, viewer);
    shown.into()
}

pub(crate) fn get_inline_bot_results(
    cx: &mut Cx<'_>,
    req: functions::messages::GetInlineBotResults,
) -> RpcResult<enums::messages::BotResults> {
    let me = cx.me_user()?;
    let bot = peers::input_user(cx.state, me, &req.bot)?;
    if !cx.state.users.get(&bot).is_some_and(|u| u.bot) {
        return Err(RpcError::bad("BOT_INVALID"));
    }
    if !cx.state.inline_bots.contains_key(&bot) {
        return Err(RpcError::bad("BOT_INLINE_DISABLED"));
    }
    // Apps that do not say where the query was typed send `inputPeerEmpty` (Telethon's
    // default); the bot is then not told the chat's kind.
    let peer = match &req.peer {
        enums::InputPeer::Empty => None,
        peer => Some(peers::input_peer(cx.state, me, peer)?),
    };
    let now = cx.now;
    let cached = [Some(me), None].into_iter().find_map(|user| {
        let key = CacheKey {
            bot,
            query: req.query.to_string(),
            offset: req.offset.to_string(),
            user,
        };
        let query_id = *cx.rt.inline_cache.get(&key)?;
        cx.rt
            .inline_answers
            .get(&query_id)
            .filter(|answer| answer.cached_until > now)
    });
    if let Some(answer) = cached {
        return Ok(shown_to(cx, me, answer));
    }
    let query_id = super::random_i64();
    let update = types::UpdateBotInlineQuery {
        query_id,
        user_id: me,
        query: req.query.clone(),
        geo: req.geo_point.as_ref().map(geo_of),
        peer_type: peer.map(|peer| peer_type(cx, me, bot, peer)),
        offset: req.offset.clone(),
    };
    let mut refs = Refs::default();
    refs.user(me);
    cx.push_with(bot, vec![update.into()], &refs);
    let asked = Asked {
        user: me,
        query: req.query.to_string(),
        offset: req.offset.to_string(),
    };
    bots::defer(cx, query_id, bot, QueryKind::Inline(asked));
    // A placeholder: the bot's answer replaces it.
    Ok(types::messages::BotResults {
        gallery: false,
        query_id,
        next_offset: None,
        switch_pm: None,
        switch_webview: None,
        results: Vec::new(),
        cache_time: 0,
        users: Vec::new(),
    }
    .into())
}

/// A bot's `InputBotInlineMessage` as users see it in the results.
fn shown_message(message: &enums::InputBotInlineMessage) -> RpcResult<enums::BotInlineMessage> {
    use enums::InputBotInlineMessage as In;
    Ok(match message {
        In::MediaAuto(m) => types::BotInlineMessageMediaAuto {
            invert_media: m.invert_media,
            message: m.message.clone(),
            entities: m.entities.clone(),
            reply_markup: m.reply_markup.clone(),
        }
        .into(),
        In::Text(m) => types::BotInlineMessageText {
            no_webpage: m.no_webpage,
            invert_media: m.invert_media,
            message: m.message.clone(),
            entities: m.entities.clone(),
            reply_markup: m.reply_markup.clone(),
        }
        .into(),
        In::MediaGeo(m) => types::BotInlineMessageMediaGeo {
            geo: geo_of(&m.geo_point),
            heading: m.heading,
            period: m.period,
            proximity_notification_radius: m.proximity_notification_radius,
            reply_markup: m.reply_markup.clone(),
        }
        .into(),
        In::MediaVenue(m) => types::BotInlineMessageMediaVenue {
            geo: geo_of(&m.geo_point),
            title: m.title.clone(),
            address: m.address.clone(),
            provider: m.provider.clone(),
            venue_id: m.venue_id.clone(),
            venue_type: m.venue_type.clone(),
            reply_markup: m.reply_markup.clone(),
        }
        .into(),
        In::MediaContact(m) => types::BotInlineMessageMediaContact {
            phone_number: m.phone_number.clone(),
            first_name: m.first_name.clone(),
            last_name: m.last_name.clone(),
            vcard: m.vcard.clone(),
            reply_markup: m.reply_markup.clone(),
        }
        .into(),
        In::Game(m) => types::BotInlineMessageMediaAuto {
            invert_media: false,
            message: String::new().into(),
            entities: None,
            reply_markup: m.reply_markup.clone(),
        }
        .into(),
        other => {
            log::warn!("inline message {other:?} is not implemented in the test server");
            return Err(RpcError::new(
                501,
                "INLINE_RESULT_NOT_IMPLEMENTED_IN_TESTSERVER",
            ));
        }
    })
}

fn web_document(doc: &enums::InputWebDocument) -> enums::WebDocument {
    let enums::InputWebDocument::InputWebDocument(doc) = doc;
    types::WebDocumentNoProxy {
        url: doc.url.clone(),
        size: doc.size,
        mime_type: doc.mime_type.clone(),
        attributes: doc.attributes.clone(),
    }
    .into()
}

fn result_id(result: &enums::InputBotInlineResult) -> &str {
    match result {
        enums::InputBotInlineResult::InputBotInlineResult(r) => &r.id,
        enums::InputBotInlineResult::Photo(r) => &r.id,
        enums::InputBotInlineResult::Document(r) => &r.id,
        enums::InputBotInlineResult::Game(r) => &r.id,
    }
}

/// A bot's `InputBotInlineResult` as users see it, its media checked.
fn shown_result(
    cx: &Cx<'_>,
    result: &enums::InputBotInlineResult,
) -> RpcResult<enums::BotInlineResult> {
    use enums::InputBotInlineResult as In;
    Ok(match result {
        In::InputBotInlineResult(r) => types::BotInlineResult {
            id: r.id.clone(),
            r#type: r.r#type.clone(),
            title: r.title.clone(),
            description: r.description.clone(),
            url: r.url.clone(),
            thumb: r.thumb.as_ref().map(web_document),
            content: r.content.as_ref().map(web_document),
            send_message: shown_message(&r.send_message)?,
        }
        .into(),
        In::Photo(r) => {
            let photo = match &r.photo {
                enums::InputPhoto::InputPhoto(p) => cx
                    .state
                    .photos
                    .get(&p.id)
                    .filter(|rec| rec.access_hash == p.access_hash)
                    .and_then(|rec| present::photo(cx.state, rec.id)),
                enums::InputPhoto::Empty => None,
            }
            .ok_or_else(|| RpcError::bad("PHOTO_INVALID"))?;
            types::BotInlineMediaResult {
                id: r.id.clone(),
                r#type: r.r#type.clone(),
                photo: Some(photo),
                document: None,
                title: None,
                description: None,
                send_message: shown_message(&r.send_message)?,
            }
            .into()
        }
        In::Document(r) => {
            let document = match &r.document {
                enums::InputDocument::InputDocument(d) => cx
                    .state
                    .documents
                    .get(&d.id)
                    .filter(|rec| rec.access_hash == d.access_hash)
                    .and_then(|rec| present::document(cx.state, rec.id)),
                enums::InputDocument::Empty => None,
            }
            .ok_or_else(|| RpcError::bad("DOCUMENT_INVALID"))?;
            types::BotInlineMediaResult {
                id: r.id.clone(),
                r#type: r.r#type.clone(),
                photo: None,
                document: Some(document),
                title: r.title.clone(),
                description: r.description.clone(),
                send_message: shown_message(&r.send_message)?,
            }
            .into()
        }
        In::Game(r) => types::BotInlineResult {
            id: r.id.clone(),
            r#type: "game".into(),
            title: Some(r.short_name.clone()),
            description: None,
            url: None,
            thumb: None,
            content: None,
            send_message: shown_message(&r.send_message)?,
        }
        .into(),
    })
}

/// `start_param` of a switch-to-PM button: 1–64 of `A-Z a-z 0-9 _ -`.
fn valid_start_param(param: &str) -> bool {
    (1..=64).contains(&param.len())
        && param
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub(crate) fn set_inline_bot_results(
    cx: &mut Cx<'_>,
    req: functions::messages::SetInlineBotResults,
) -> RpcResult<bool> {
    let me = cx.me()?;
    if !cx.state.users.get(&me).is_some_and(|u| u.bot) {
        return Err(RpcError::bad("USER_BOT_REQUIRED"));
    }
    if req.results.len() > MAX_RESULTS {
        return Err(RpcError::bad("RESULTS_TOO_MUCH"));
    }
    let mut ids = std::collections::HashSet::new();
    for result in &req.results {
        let id = result_id(result);
        if id.is_empty() || id.len() > 64 {
            return Err(RpcError::bad("RESULT_ID_EMPTY"));
        }
        if !ids.insert(id) {
            return Err(RpcError::bad("RESULT_ID_DUPLICATE"));
        }
    }
    if req
        .next_offset
        .as_ref()
        .is_some_and(|o| o.len() > MAX_OFFSET)
    {
        return Err(RpcError::bad("NEXT_OFFSET_INVALID"));
    }
    if let Some(enums::InlineBotSwitchPm::InlineBotSwitchPm(pm)) = &req.switch_pm {
        if !valid_start_param(&pm.start_param) {
            return Err(RpcError::bad("START_PARAM_INVALID"));
        }
        if pm.text.trim().is_empty() {
            return Err(RpcError::bad("SWITCH_PM_TEXT_EMPTY"));
        }
    }
    if req.cache_time < 0 {
        return Err(RpcError::bad("CACHE_TIME_INVALID"));
    }
    let results = req
        .results
        .iter()
        .map(|r| shown_result(cx, r))
        .collect::<RpcResult<Vec<_>>>()?;
    let query = bots::take_query(cx, me, req.query_id, true)?;
    let QueryKind::Inline(asked) = &query.kind else {
        return Err(RpcError::bad("QUERY_ID_INVALID"));
    };
    let asked = asked.clone();
    let now = cx.now;
    let answer = InlineAnswer {
        bot: me,
        asked: asked.clone(),
        private: req.private,
        cached_until: now.saturating_add(req.cache_time),
        stored: now,
        results: req.results,
        shown: types::messages::BotResults {
            gallery: req.gallery,
            query_id: req.query_id,
            next_offset: req.next_offset.filter(|o| !o.is_empty()),
            switch_pm: req.switch_pm,
            switch_webview: req.switch_webview,
            results,
            cache_time: req.cache_time,
            users: Vec::new(),
        },
    };
    let shown = shown_to(cx, asked.user, &answer).to_bytes();
    if !query.answer(RpcOutcome::Ok(shown)) {
        return Err(RpcError::bad("QUERY_ID_INVALID"));
    }
    if req.cache_time > 0 {
        let key = CacheKey {
            bot: me,
            query: asked.query,
            offset: asked.offset,
            user: req.private.then_some(asked.user),
        };
        cx.rt.inline_cache.insert(key, req.query_id);
    }
    keep_answer(cx, req.query_id, answer);
    Ok(true)
}

/// Stores an answer for sending its results, forgetting the oldest beyond the cap.
fn keep_answer(cx: &mut Cx<'_>, query_id: i64, answer: InlineAnswer) {
    let answers = &mut cx.rt.inline_answers;
    if answers.len() >= MAX_KEPT_ANSWERS {
        if let Some(oldest) = answers
            .iter()
            .min_by_key(|(_, a)| a.stored)
            .map(|(&id, _)| id)
        {
            answers.remove(&oldest);
            cx.rt.inline_cache.retain(|_, id| *id != oldest);
        }
    }
    cx.rt.inline_answers.insert(query_id, answer);
}

/// `inputBotInlineMessageID` of inline message `inline_id`.
pub(crate) fn input_id(inline_id: i64, rec: &InlineMessageRec) -> enums::InputBotInlineMessageId {
    types::InputBotInlineMessageId {
        dc_id: rec.dc_id,
        id: inline_id,
        access_hash: rec.access_hash,
    }
    .into()
}

/// The message a result sends: text, media and markup.
struct Outgoing {
    text: String,
    entities: Option<Vec<enums::MessageEntity>>,
    media: Option<enums::InputMedia>,
    markup: Option<enums::ReplyMarkup>,
}

fn outgoing(cx: &Cx<'_>, bot: i64, result: &enums::InputBotInlineResult) -> RpcResult<Outgoing> {
    use enums::InputBotInlineMessage as M;
    use enums::InputBotInlineResult as R;
    let (send, result_media): (&M, Option<enums::InputMedia>) = match result {
        R::InputBotInlineResult(r) => (&r.send_message, None),
        R::Photo(r) => (
            &r.send_message,
            Some(
                types::InputMediaPhoto {
                    spoiler: false,
                    live_photo: false,
                    id: r.photo.clone(),
                    ttl_seconds: None,
                    video: None,
                }
                .into(),
            ),
        ),
        R::Document(r) => (
            &r.send_message,
            Some(
                types::InputMediaDocument {
                    spoiler: false,
                    id: r.document.clone(),
                    video_cover: None,
                    video_timestamp: None,
                    ttl_seconds: None,
                    query: None,
                }
                .into(),
            ),
        ),
        R::Game(r) => {
            let access_hash = cx
                .state
                .users
                .get(&bot)
                .map(|u| u.access_hash)
                .unwrap_or_default();
            (
                &r.send_message,
                Some(
                    types::InputMediaGame {
                        id: types::InputGameShortName {
                            bot_id: types::InputUser {
                                user_id: bot,
                                access_hash,
                            }
                            .into(),
                            short_name: r.short_name.clone(),
                        }
                        .into(),
                    }
                    .into(),
                ),
            )
        }
    };
    let plain = |markup: &Option<enums::ReplyMarkup>| Outgoing {
        text: String::new(),
        entities: None,
        media: None,
        markup: markup.clone(),
    };
    let mut out = match send {
        M::MediaAuto(m) => Outgoing {
            text: m.message.to_string(),
            entities: m.entities.clone(),
            media: None,
            markup: m.reply_markup.clone(),
        },
        M::Text(m) => Outgoing {
            text: m.message.to_string(),
            entities: m.entities.clone(),
            media: None,
            markup: m.reply_markup.clone(),
        },
        M::MediaGeo(m) => Outgoing {
            media: Some(
                types::InputMediaGeoPoint {
                    geo_point: m.geo_point.clone(),
                }
                .into(),
            ),
            ..plain(&m.reply_markup)
        },
        M::MediaVenue(m) => Outgoing {
            media: Some(
                types::InputMediaVenue {
                    geo_point: m.geo_point.clone(),
                    title: m.title.clone(),
                    address: m.address.clone(),
                    provider: m.provider.clone(),
                    venue_id: m.venue_id.clone(),
                    venue_type: m.venue_type.clone(),
                }
                .into(),
            ),
            ..plain(&m.reply_markup)
        },
        M::MediaContact(m) => Outgoing {
            media: Some(
                types::InputMediaContact {
                    phone_number: m.phone_number.clone(),
                    first_name: m.first_name.clone(),
                    last_name: m.last_name.clone(),
                    vcard: m.vcard.clone(),
                }
                .into(),
            ),
            ..plain(&m.reply_markup)
        },
        M::Game(m) => plain(&m.reply_markup),
        _ => {
            return Err(RpcError::new(
                501,
                "INLINE_RESULT_NOT_IMPLEMENTED_IN_TESTSERVER",
            ))
        }
    };
    if result_media.is_some() {
        out.media = result_media;
    }
    Ok(out)
}

pub(crate) fn send_inline_bot_result(
    cx: &mut Cx<'_>,
    req: functions::messages::SendInlineBotResult,
) -> RpcResult<enums::Updates> {
    let me = cx.me_user()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    let answer = cx
        .rt
        .inline_answers
        .get(&req.query_id)
        .filter(|a| !a.private || a.asked.user == me)
        .cloned()
        .ok_or_else(|| RpcError::bad("QUERY_ID_INVALID"))?;
    let result = answer
        .results
        .iter()
        .find(|r| result_id(r) == req.id)
        .ok_or_else(|| RpcError::bad("RESULT_ID_INVALID"))?;
    let out = outgoing(cx, answer.bot, result)?;
    let media = match out.media {
        Some(media) => Some(messages::media_of(cx, me, media)?),
        None => None,
    };
    if out.text.trim().is_empty() && media.is_none() {
        return Err(RpcError::bad("MESSAGE_EMPTY"));
    }
    let limit = if media.is_some() {
        messages::MAX_CAPTION
    } else {
        messages::MAX_TEXT
    };
    messages::check_text(&out.text, limit, "MESSAGE_TOO_LONG")?;
    let inline_keyboard = matches!(out.markup, Some(enums::ReplyMarkup::ReplyInlineMarkup(_)));
    let inline_id = super::random_i64();
    let content = Content {
        text: out.text,
        entities: messages::stored_entities(cx.state, me, out.entities.as_ref())?,
        media,
        reply_to: messages::reply_id(&req.reply_to),
        silent: req.silent,
        reply_markup: out.markup.as_ref().map(Bytes::tl),
        via_bot: (!req.hide_via).then_some(answer.bot),
        inline_id: Some(inline_id),
        ..Content::default()
    };
    if req.clear_draft {
        super::dialogs::set_draft(cx, me, peer, None);
    }
    let posted = messages::post(cx, me, peer, content, Some(req.random_id))?;
    let rec = InlineMessageRec {
        bot: answer.bot,
        sender: me,
        peer: posted.peer,
        id: posted.id,
        access_hash: super::random_i64(),
        dc_id: cx.ctx.dc_id.max(1),
    };
    // The bot learns which result was chosen (Telegram's inline feedback), and, for a message
    // with an inline keyboard, the id to edit it by.
    let update = types::UpdateBotInlineSend {
        user_id: me,
        query: answer.asked.query.clone().into(),
        geo: None,
        id: req.id.clone(),
        msg_id: inline_keyboard.then(|| input_id(inline_id, &rec)),
    };
    cx.state.inline_messages.insert(inline_id, rec);
    let mut refs = Refs::default();
    refs.user(me);
    cx.push_with(answer.bot, vec![update.into()], &refs);
    Ok(messages::sent_updates(
        cx,
        me,
        vec![(Some(req.random_id), posted)],
        Vec::new(),
    ))
}

/// The inline message an `InputBotInlineMessageID` names, if `bot` may edit it.
fn inline_message(
    cx: &Cx<'_>,
    bot: i64,
    id: &enums::InputBotInlineMessageId,
) -> RpcResult<InlineMessageRec> {
    let found = match id {
        enums::InputBotInlineMessageId::InputBotInlineMessageId(id) => cx
            .state
            .inline_messages
            .get(&id.id)
            .filter(|rec| rec.access_hash == id.access_hash),
        enums::InputBotInlineMessageId::InputBotInlineMessageId64(id) => {
            cx.state.inline_messages.values().find(|rec| {
                rec.peer == Peer::Channel(id.owner_id)
                    && rec.id == id.id
                    && rec.access_hash == id.access_hash
            })
        }
    };
    found
        .filter(|rec| rec.bot == bot)
        .cloned()
        .ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))
}

pub(crate) fn edit_inline_bot_message(
    cx: &mut Cx<'_>,
    req: functions::messages::EditInlineBotMessage,
) -> RpcResult<bool> {
    let me = cx.me()?;
    if !cx.state.users.get(&me).is_some_and(|u| u.bot) {
        return Err(RpcError::bad("USER_BOT_REQUIRED"));
    }
    let rec = inline_message(cx, me, &req.id)?;
    let original = messages::stored(cx.state, rec.sender, rec.peer, rec.id)
        .cloned()
        .ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))?;
    let edit = messages::Edit {
        message: req.message.map(Into::into),
        entities: req.entities,
        media: req.media,
        reply_markup: req.reply_markup,
    };
    // The edit happens in the sender's copy and reaches every copy from there; the bot (the
    // caller) holds none.
    messages::edit_as(cx, rec.sender, rec.peer, original, edit)?;
    Ok(true)
}
