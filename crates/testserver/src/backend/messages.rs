//! `messages.*` for private chats, basic groups and channels: sending (and the pts bookkeeping
//! and pushes that go with it), editing, deleting, forwarding, history, search, dialogs, read
//! marks and typing.

use std::collections::BTreeMap;

use tgwire_tl_types::{enums, functions, types};

use super::model::{
    EventKind, FwdRec, MediaRec, MessageBox, MessageRec, Peer, Removed, SentRef, State,
};
use super::present::{self, Refs};
use super::rpc::{RpcError, RpcResult};
use super::{files, peers, Cx};

/// Longest message text and media caption, in characters.
pub(crate) const MAX_TEXT: usize = 4096;
pub(crate) const MAX_CAPTION: usize = 1024;
/// Most messages one history/search/dialogs call returns.
pub(crate) const MAX_PAGE: i32 = 100;

/// What a new message carries.
#[derive(Clone, Debug, Default)]
pub(crate) struct Content {
    pub(crate) text: String,
    pub(crate) entities: Option<super::model::Bytes>,
    pub(crate) media: Option<MediaRec>,
    /// Replied-to message id, in the sender's numbering.
    pub(crate) reply_to: Option<i32>,
    pub(crate) fwd: Option<FwdRec>,
    pub(crate) action: Option<super::model::ActionRec>,
    pub(crate) silent: bool,
    pub(crate) grouped_id: Option<i64>,
    /// `ReplyMarkup`, kept only when a bot sends it (or a user sends a bot's inline result).
    pub(crate) reply_markup: Option<super::model::Bytes>,
    /// The bot whose inline result this is.
    pub(crate) via_bot: Option<i64>,
    /// The inline message id of a message sent through inline mode.
    pub(crate) inline_id: Option<i64>,
}

/// The sender's side of a posted message.
pub(crate) struct Posted {
    pub(crate) peer: Peer,
    pub(crate) id: i32,
    pub(crate) pts: i32,
    pub(crate) date: i32,
    /// `updateNewMessage` / `updateNewChannelMessage` as the sender sees it.
    pub(crate) update: enums::Update,
}

pub(crate) fn box_mut(state: &mut State, user: i64) -> &mut MessageBox {
    state.boxes.entry(user).or_default()
}

/// The message with `global_id` in `user`'s box.
pub(crate) fn copy_in(state: &State, user: i64, global_id: i64) -> Option<i32> {
    state.boxes.get(&user)?.store.copy_of(global_id)
}

/// Who holds copies of messages of a private chat or basic group (`from`'s view of `peer`).
pub(crate) fn box_owners(state: &State, from: i64, peer: Peer) -> Vec<i64> {
    match peer {
        Peer::User(user) if user == from => vec![from],
        Peer::User(user) => vec![from, user],
        Peer::Chat(chat) => state
            .chats
            .get(&chat)
            .map(|c| c.members.keys().copied().collect())
            .unwrap_or_default(),
        Peer::Channel(_) => Vec::new(),
    }
}

/// Checks `user` may post to channel `channel` (`CHANNEL_PRIVATE`, `CHAT_WRITE_FORBIDDEN`,
/// `CHAT_ADMIN_REQUIRED`).
pub(crate) fn check_can_post(state: &State, user: i64, channel: i64) -> RpcResult<()> {
    let rec = state
        .channels
        .get(&channel)
        .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
    if rec.kicked.contains_key(&user) {
        return Err(RpcError::bad("CHANNEL_PRIVATE"));
    }
    let member = rec
        .members
        .get(&user)
        .ok_or_else(|| RpcError::forbidden("CHAT_WRITE_FORBIDDEN"))?;
    if rec.broadcast && !rec.has_right(user, |r| r.post_messages) {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    let muted = member.restricted.as_ref().is_some_and(|ban| {
        matches!(ban.rights.decode::<enums::ChatBannedRights>(),
            Some(enums::ChatBannedRights::ChatBannedRights(r)) if r.send_messages)
    });
    if muted {
        return Err(RpcError::forbidden("CHAT_WRITE_FORBIDDEN"));
    }
    Ok(())
}

/// Posts a message from `from` to `to`: stores every copy, advances every pts involved and
/// queues the pushes (recipients, and the sender's other sessions). The caller builds the
/// sender's answer from the returned [`Posted`].
pub(crate) fn post(
    cx: &mut Cx<'_>,
    from: i64,
    to: Peer,
    content: Content,
    random_id: Option<i64>,
) -> RpcResult<Posted> {
    if let Some(random_id) = random_id {
        if box_mut(cx.state, from).random_ids.contains_key(&random_id) {
            return Err(RpcError::bad("RANDOM_ID_DUPLICATE"));
        }
    }
    let posted = match to {
        Peer::User(user) => {
            let target = cx
                .state
                .users
                .get(&user)
                .ok_or_else(|| RpcError::bad("PEER_ID_INVALID"))?;
            let sender_is_bot = cx.state.users.get(&from).is_some_and(|u| u.bot);
            if target.bot && sender_is_bot && user != from {
                return Err(RpcError::bad("USER_IS_BOT"));
            }
            if target.blocked.contains(&from) {
                return Err(RpcError::forbidden("USER_IS_BLOCKED"));
            }
            post_to_boxes(cx, from, to, content)?
        }
        Peer::Chat(chat) => {
            let member = cx
                .state
                .chats
                .get(&chat)
                .is_some_and(|c| c.members.contains_key(&from));
            if !member {
                return Err(RpcError::forbidden("CHAT_WRITE_FORBIDDEN"));
            }
            if content.action.is_none() {
                super::chat_edit::check_send(cx, from, to)?;
            }
            post_to_boxes(cx, from, to, content)?
        }
        Peer::Channel(channel) => {
            // Service messages record what a member did (joined, renamed the group…), which
            // that action's own rights allowed; only real messages need the right to post.
            if content.action.is_none() {
                check_can_post(cx.state, from, channel)?;
                super::chat_edit::check_send(cx, from, to)?;
            }
            post_to_channel(cx, from, channel, content)?
        }
    };
    if let Some(random_id) = random_id {
        box_mut(cx.state, from).random_ids.insert(
            random_id,
            SentRef {
                peer: posted.peer,
                id: posted.id,
            },
        );
    }
    cx.dirty = true;
    Ok(posted)
}

fn post_to_boxes(cx: &mut Cx<'_>, from: i64, to: Peer, content: Content) -> RpcResult<Posted> {
    let now = cx.now;
    let global_id = cx.state.next_global_id;
    cx.state.next_global_id += 1;
    let reply_global = content
        .reply_to
        .and_then(|id| cx.state.boxes.get(&from)?.store.messages.get(&id))
        .map(|m| m.global_id);
    let mut sender_side = None;
    for owner in box_owners(cx.state, from, to) {
        // Each box sees the chat from its owner's side: a private chat is "the other user".
        let peer = match to {
            Peer::User(_) if owner != from => Peer::User(from),
            other => other,
        };
        let reply_to = reply_global.and_then(|global| copy_in(cx.state, owner, global));
        let id = box_mut(cx.state, owner).store.next_id();
        let rec = MessageRec {
            id,
            global_id,
            peer,
            from: Some(Peer::User(from)),
            out: owner == from,
            date: now,
            text: content.text.clone(),
            entities: content.entities.clone(),
            media: content.media.clone(),
            reply_to,
            fwd: content.fwd.clone(),
            edit_date: None,
            action: content.action.clone(),
            post: false,
            silent: content.silent,
            grouped_id: content.grouped_id,
            pinned: false,
            reply_markup: content.reply_markup.clone(),
            via_bot: content.via_bot,
            inline_id: content.inline_id,
        };
        // Presented and referenced before it is stored, so the record moves into the store
        // instead of being cloned (a pushed message's cost is mostly such copies).
        let message = present::message(cx.state, owner, &rec);
        let mut refs = Refs::default();
        refs.message(&rec).user(owner);
        let mbox = box_mut(cx.state, owner);
        mbox.store.messages.insert(id, Box::new(rec));
        let pts = mbox.store.record(1, EventKind::NewMessage { id });
        let update: enums::Update = types::UpdateNewMessage {
            message,
            pts,
            pts_count: 1,
        }
        .into();
        if owner == from {
            cx.push_with(owner, vec![update.clone()], &refs);
            sender_side = Some(Posted {
                peer: to,
                id,
                pts,
                date: now,
                update,
            });
        } else {
            cx.push_with(owner, vec![update], &refs);
        }
    }
    // The sender is always among the owners (checked by the callers).
    sender_side.ok_or_else(|| RpcError::forbidden("CHAT_WRITE_FORBIDDEN"))
}

fn post_to_channel(
    cx: &mut Cx<'_>,
    from: i64,
    channel: i64,
    content: Content,
) -> RpcResult<Posted> {
    let now = cx.now;
    let global_id = cx.state.next_global_id;
    cx.state.next_global_id += 1;
    let rec_channel = cx
        .state
        .channels
        .get_mut(&channel)
        .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
    let post = rec_channel.broadcast;
    let id = rec_channel.store.next_id();
    let rec = MessageRec {
        id,
        global_id,
        peer: Peer::Channel(channel),
        from: (!post).then_some(Peer::User(from)),
        out: true,
        date: now,
        text: content.text,
        entities: content.entities,
        media: content.media,
        reply_to: content
            .reply_to
            .filter(|reply| rec_channel.store.messages.contains_key(reply)),
        fwd: content.fwd,
        edit_date: None,
        action: content.action,
        post,
        silent: content.silent,
        grouped_id: content.grouped_id,
        pinned: false,
        reply_markup: content.reply_markup,
        via_bot: content.via_bot,
        inline_id: content.inline_id,
    };
    rec_channel.store.messages.insert(id, Box::new(rec.clone()));
    let pts = rec_channel.store.record(1, EventKind::NewMessage { id });
    let members: Vec<i64> = rec_channel.members.keys().copied().collect();
    let mut sender_update = None;
    for member in members
        .iter()
        .copied()
        .chain((!members.contains(&from)).then_some(from))
    {
        let update: enums::Update = types::UpdateNewChannelMessage {
            message: present::message(cx.state, member, &rec),
            pts,
            pts_count: 1,
        }
        .into();
        let mut refs = Refs::default();
        refs.message(&rec);
        cx.push_with(member, vec![update.clone()], &refs);
        if member == from {
            sender_update = Some(update);
        }
    }
    let update = sender_update.ok_or_else(|| RpcError::forbidden("CHAT_WRITE_FORBIDDEN"))?;
    Ok(Posted {
        peer: Peer::Channel(channel),
        id,
        pts,
        date: now,
        update,
    })
}

/// The `updates` answering a send: `updateMessageID` for each random id, then the new
/// messages, then `extra` (e.g. `updateChannel`), with everything they mention.
pub(crate) fn sent_updates(
    cx: &Cx<'_>,
    me: i64,
    sent: Vec<(Option<i64>, Posted)>,
    extra: Vec<enums::Update>,
) -> enums::Updates {
    let mut refs = Refs::default();
    refs.user(me);
    let mut list = Vec::new();
    let mut date = cx.now;
    for (random_id, posted) in &sent {
        refs.peer(posted.peer);
        if let Some(random_id) = random_id {
            list.push(
                types::UpdateMessageId {
                    id: posted.id,
                    random_id: *random_id,
                }
                .into(),
            );
        }
        date = posted.date;
    }
    for update in &extra {
        if let enums::Update::Channel(channel) = update {
            refs.peer(Peer::Channel(channel.channel_id));
        }
    }
    list.extend(extra);
    for (_, posted) in sent {
        if let Some(msg) = stored(cx.state, me, posted.peer, posted.id) {
            refs.message(msg);
        }
        list.push(posted.update);
    }
    refs.updates(cx.state, me, list, date)
}

/// The stored message `id` of dialog `peer` as `me` holds it.
pub(crate) fn stored(state: &State, me: i64, peer: Peer, id: i32) -> Option<&MessageRec> {
    match peer {
        Peer::Channel(channel) => state
            .channels
            .get(&channel)?
            .store
            .messages
            .get(&id)
            .map(|m| &**m),
        _ => state
            .boxes
            .get(&me)?
            .store
            .messages
            .get(&id)
            .map(|m| &**m)
            .filter(|m| m.peer == peer),
    }
}

pub(crate) fn reply_id(reply_to: &Option<enums::InputReplyTo>) -> Option<i32> {
    match reply_to {
        Some(enums::InputReplyTo::Message(reply)) => Some(reply.reply_to_msg_id),
        _ => None,
    }
}

/// Entities as Telegram stores them: `inputMessageEntityMentionName` (the form clients send)
/// becomes `messageEntityMentionName` with the user's id; an unknown user or a wrong access
/// hash is `ENTITY_MENTION_USER_INVALID`.
pub(crate) fn stored_entities(
    state: &State,
    me: i64,
    entities: Option<&Vec<enums::MessageEntity>>,
) -> RpcResult<Option<super::model::Bytes>> {
    let Some(entities) = entities else {
        return Ok(None);
    };
    let converted = entities
        .iter()
        .map(|entity| match entity {
            enums::MessageEntity::InputMessageEntityMentionName(m) => {
                let user_id = peers::input_user(state, me, &m.user_id)
                    .map_err(|_| RpcError::bad("ENTITY_MENTION_USER_INVALID"))?;
                Ok(types::MessageEntityMentionName {
                    offset: m.offset,
                    length: m.length,
                    user_id,
                }
                .into())
            }
            other => Ok(other.clone()),
        })
        .collect::<RpcResult<Vec<enums::MessageEntity>>>()?;
    Ok(Some(super::model::Bytes::tl(&converted)))
}

pub(crate) fn check_text(text: &str, limit: usize, too_long: &str) -> RpcResult<()> {
    if text.chars().count() > limit {
        return Err(RpcError::bad(too_long));
    }
    Ok(())
}

pub(crate) fn send_message(
    cx: &mut Cx<'_>,
    req: functions::messages::SendMessage,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    if req.message.trim().is_empty() {
        return Err(RpcError::bad("MESSAGE_EMPTY"));
    }
    check_text(&req.message, MAX_TEXT, "MESSAGE_TOO_LONG")?;
    let sender_is_bot = cx.state.users.get(&me).is_some_and(|u| u.bot);
    // Telegram attaches a preview of the first link (pending until fetched; this server never
    // fetches, so it stays pending) unless the sender turned previews off.
    let media = match first_url(&req.message) {
        Some(url) if !req.no_webpage => Some(MediaRec::Inline(super::model::Bytes::tl(
            &enums::MessageMedia::from(types::MessageMediaWebPage {
                force_large_media: false,
                force_small_media: false,
                manual: false,
                safe: false,
                webpage: types::WebPagePending {
                    id: super::random_i64(),
                    url: Some(url.into()),
                    date: cx.now,
                }
                .into(),
            }),
        ))),
        _ => None,
    };
    let kept_entities = stored_entities(cx.state, me, req.entities.as_ref())?;
    let content = Content {
        text: req.message.to_string(),
        entities: kept_entities.clone(),
        media,
        reply_to: reply_id(&req.reply_to),
        silent: req.silent,
        // Reply markup is for bots; Telegram drops what users send.
        reply_markup: req
            .reply_markup
            .as_ref()
            .filter(|_| sender_is_bot)
            .map(super::model::Bytes::tl),
        ..Content::default()
    };
    if req.clear_draft {
        super::dialogs::set_draft(cx, me, peer, None);
    }
    if let Some(date) = req.schedule_date.filter(|&date| date > cx.now) {
        return schedule(cx, me, peer, content, date, req.random_id);
    }
    let entities = kept_entities.and_then(|bytes| bytes.decode());
    let posted = post(cx, me, peer, content, Some(req.random_id))?;
    if let Peer::User(_) = peer {
        let media = stored(cx.state, me, posted.peer, posted.id)
            .and_then(|m| m.media.as_ref())
            .and_then(|m| present::media(cx.state, m));
        // Private chats answer with the short form, as Telegram does.
        return Ok(types::UpdateShortSentMessage {
            out: true,
            id: posted.id,
            pts: posted.pts,
            pts_count: 1,
            date: posted.date,
            media,
            entities,
            ttl_period: None,
        }
        .into());
    }
    Ok(sent_updates(
        cx,
        me,
        vec![(Some(req.random_id), posted)],
        Vec::new(),
    ))
}

/// The first `http://` or `https://` link in `text`.
fn first_url(text: &str) -> Option<&str> {
    let start = [text.find("https://"), text.find("http://")]
        .into_iter()
        .flatten()
        .min()?;
    let rest = &text[start..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Longest time ahead a message may be scheduled (Telegram: 365 days).
const MAX_SCHEDULE_AHEAD: i32 = 365 * 24 * 60 * 60;

/// Keeps a message for sending at `date`: it goes into `me`'s scheduled box (its own id
/// sequence) and is answered with `updateNewScheduledMessage`. This server never sends
/// scheduled messages out; they stay listed by `messages.getScheduledHistory`.
fn schedule(
    cx: &mut Cx<'_>,
    me: i64,
    peer: Peer,
    content: Content,
    date: i32,
    random_id: i64,
) -> RpcResult<enums::Updates> {
    if date.saturating_sub(cx.now) > MAX_SCHEDULE_AHEAD {
        return Err(RpcError::bad("SCHEDULE_DATE_TOO_LATE"));
    }
    match peer {
        Peer::Channel(channel) => check_can_post(cx.state, me, channel)?,
        Peer::Chat(_) => check_visible(cx.state, me, peer)?,
        Peer::User(user) if !cx.state.users.contains_key(&user) => {
            return Err(RpcError::bad("PEER_ID_INVALID"))
        }
        Peer::User(_) => {}
    }
    let global_id = cx.state.next_global_id;
    cx.state.next_global_id += 1;
    let mbox = box_mut(cx.state, me);
    mbox.last_scheduled_id += 1;
    let id = mbox.last_scheduled_id;
    let rec = MessageRec {
        id,
        global_id,
        peer,
        from: Some(Peer::User(me)),
        out: true,
        date,
        text: content.text,
        entities: content.entities,
        media: content.media,
        reply_to: content.reply_to,
        fwd: None,
        edit_date: None,
        action: None,
        post: false,
        silent: content.silent,
        grouped_id: None,
        pinned: false,
        reply_markup: content.reply_markup,
        via_bot: content.via_bot,
        inline_id: content.inline_id,
    };
    mbox.scheduled.insert(id, rec.clone());
    cx.dirty = true;
    let mut refs = Refs::default();
    refs.message(&rec);
    let message = present::message(cx.state, me, &rec);
    Ok(refs.updates(
        cx.state,
        me,
        vec![
            types::UpdateMessageId { id, random_id }.into(),
            types::UpdateNewScheduledMessage { message }.into(),
        ],
        cx.now,
    ))
}

pub(crate) fn get_scheduled_history(
    cx: &mut Cx<'_>,
    req: functions::messages::GetScheduledHistory,
) -> RpcResult<enums::messages::Messages> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    let list: Vec<&MessageRec> = cx
        .state
        .boxes
        .get(&me)
        .map(|b| {
            b.scheduled
                .values()
                .rev()
                .filter(|m| m.peer == peer)
                .collect()
        })
        .unwrap_or_default();
    let mut refs = Refs::default();
    for msg in &list {
        refs.message(msg);
    }
    Ok(types::messages::Messages {
        messages: list
            .iter()
            .map(|m| present::message(cx.state, me, m))
            .collect(),
        topics: Vec::new(),
        chats: refs.chats(cx.state, me),
        users: refs.users(cx.state, me),
    }
    .into())
}

/// The stored attachment for an `InputMedia`.
pub(crate) fn media_of(cx: &mut Cx<'_>, me: i64, media: enums::InputMedia) -> RpcResult<MediaRec> {
    let inline = |media: enums::MessageMedia| Ok(MediaRec::Inline(super::model::Bytes::tl(&media)));
    match media {
        enums::InputMedia::UploadedDocument(doc) => {
            files::create_document(cx, me, &doc.file, doc.mime_type.to_string(), doc.attributes)
        }
        enums::InputMedia::UploadedPhoto(photo) => files::create_photo(cx, me, &photo.file),
        enums::InputMedia::Document(doc) => match doc.id {
            enums::InputDocument::InputDocument(input) => cx
                .state
                .documents
                .get(&input.id)
                .filter(|rec| rec.access_hash == input.access_hash)
                .map(|rec| MediaRec::Document(rec.id))
                .ok_or_else(|| RpcError::bad("MEDIA_INVALID")),
            enums::InputDocument::Empty => Err(RpcError::bad("MEDIA_EMPTY")),
        },
        enums::InputMedia::Photo(photo) => match photo.id {
            enums::InputPhoto::InputPhoto(input) => cx
                .state
                .photos
                .get(&input.id)
                .filter(|rec| rec.access_hash == input.access_hash)
                .map(|rec| MediaRec::Photo(rec.id))
                .ok_or_else(|| RpcError::bad("MEDIA_INVALID")),
            enums::InputPhoto::Empty => Err(RpcError::bad("MEDIA_EMPTY")),
        },
        enums::InputMedia::GeoPoint(geo) => match geo.geo_point {
            enums::InputGeoPoint::InputGeoPoint(point) => inline(
                types::MessageMediaGeo {
                    geo: types::GeoPoint {
                        long: point.long,
                        lat: point.lat,
                        access_hash: super::random_i64(),
                        accuracy_radius: point.accuracy_radius,
                    }
                    .into(),
                }
                .into(),
            ),
            enums::InputGeoPoint::Empty => Err(RpcError::bad("MEDIA_INVALID")),
        },
        enums::InputMedia::Contact(contact) => {
            let user_id = super::auth::normalize_phone(&contact.phone_number)
                .ok()
                .and_then(|phone| super::users::by_phone(cx.state, &phone))
                .unwrap_or(0);
            inline(
                types::MessageMediaContact {
                    phone_number: contact.phone_number,
                    first_name: contact.first_name,
                    last_name: contact.last_name,
                    vcard: contact.vcard,
                    user_id,
                }
                .into(),
            )
        }
        enums::InputMedia::Venue(venue) => match venue.geo_point {
            enums::InputGeoPoint::InputGeoPoint(point) => inline(
                types::MessageMediaVenue {
                    geo: types::GeoPoint {
                        long: point.long,
                        lat: point.lat,
                        access_hash: super::random_i64(),
                        accuracy_radius: point.accuracy_radius,
                    }
                    .into(),
                    title: venue.title,
                    address: venue.address,
                    provider: venue.provider,
                    venue_id: venue.venue_id,
                    venue_type: venue.venue_type,
                }
                .into(),
            ),
            enums::InputGeoPoint::Empty => Err(RpcError::bad("MEDIA_INVALID")),
        },
        enums::InputMedia::Game(game) => {
            let enums::InputGame::ShortName(game) = game.id else {
                return Err(RpcError::bad("MEDIA_INVALID"));
            };
            // Games belong to bots (BotFather registers them; this server takes any short
            // name a bot names).
            let bot = peers::input_user(cx.state, me, &game.bot_id)?;
            if !cx.state.users.get(&bot).is_some_and(|u| u.bot) {
                return Err(RpcError::bad("BOT_GAMES_DISABLED"));
            }
            inline(
                types::MessageMediaGame {
                    game: types::Game {
                        id: super::random_i64(),
                        access_hash: super::random_i64(),
                        title: game.short_name.clone(),
                        short_name: game.short_name,
                        description: String::new().into(),
                        photo: enums::Photo::Empty(types::PhotoEmpty { id: 0 }),
                        document: None,
                    }
                    .into(),
                }
                .into(),
            )
        }
        enums::InputMedia::Dice(dice) => inline(
            types::MessageMediaDice {
                value: i32::from(rand::random::<u8>() % 6) + 1,
                emoticon: dice.emoticon,
                game_outcome: None,
            }
            .into(),
        ),
        enums::InputMedia::Empty => Err(RpcError::bad("MEDIA_EMPTY")),
        other => {
            log::warn!("media {other:?} is not implemented in the test server");
            Err(RpcError::new(501, "MEDIA_NOT_IMPLEMENTED_IN_TESTSERVER"))
        }
    }
}

pub(crate) fn send_media(
    cx: &mut Cx<'_>,
    req: functions::messages::SendMedia,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    check_text(&req.message, MAX_CAPTION, "MEDIA_CAPTION_TOO_LONG")?;
    if let Peer::Channel(channel) = peer {
        // Check before consuming the upload, so a refused post can be retried elsewhere.
        check_can_post(cx.state, me, channel)?;
    }
    let entities = stored_entities(cx.state, me, req.entities.as_ref())?;
    let media = media_of(cx, me, req.media)?;
    let sender_is_bot = cx.state.users.get(&me).is_some_and(|u| u.bot);
    let content = Content {
        text: req.message.to_string(),
        entities,
        media: Some(media),
        reply_to: reply_id(&req.reply_to),
        silent: req.silent,
        // Reply markup is for bots; Telegram drops what users send.
        reply_markup: req
            .reply_markup
            .as_ref()
            .filter(|_| sender_is_bot)
            .map(super::model::Bytes::tl),
        ..Content::default()
    };
    let posted = post(cx, me, peer, content, Some(req.random_id))?;
    Ok(sent_updates(
        cx,
        me,
        vec![(Some(req.random_id), posted)],
        Vec::new(),
    ))
}

pub(crate) fn send_multi_media(
    cx: &mut Cx<'_>,
    req: functions::messages::SendMultiMedia,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    if req.multi_media.is_empty() || req.multi_media.len() > 10 {
        return Err(RpcError::bad("MULTI_MEDIA_TOO_LONG"));
    }
    if let Peer::Channel(channel) = peer {
        check_can_post(cx.state, me, channel)?;
    }
    let grouped_id = Some(super::random_i64());
    let mut contents = Vec::new();
    for single in req.multi_media {
        let enums::InputSingleMedia::InputSingleMedia(single) = single;
        check_text(&single.message, MAX_CAPTION, "MEDIA_CAPTION_TOO_LONG")?;
        let media = media_of(cx, me, single.media)?;
        let content = Content {
            text: single.message.to_string(),
            entities: stored_entities(cx.state, me, single.entities.as_ref())?,
            media: Some(media),
            reply_to: reply_id(&req.reply_to),
            silent: req.silent,
            grouped_id,
            ..Content::default()
        };
        contents.push((single.random_id, content));
    }
    let mut sent = Vec::new();
    for (random_id, content) in contents {
        sent.push((
            Some(random_id),
            post(cx, me, peer, content, Some(random_id))?,
        ));
    }
    Ok(sent_updates(cx, me, sent, Vec::new()))
}

/// Stores an attachment without sending it (for albums of already-uploaded media).
pub(crate) fn upload_media(
    cx: &mut Cx<'_>,
    req: functions::messages::UploadMedia,
) -> RpcResult<enums::MessageMedia> {
    let me = cx.me()?;
    peers::input_peer(cx.state, me, &req.peer)?;
    let media = media_of(cx, me, req.media)?;
    present::media(cx.state, &media).ok_or_else(|| RpcError::bad("MEDIA_INVALID"))
}

pub(crate) fn forward_messages(
    cx: &mut Cx<'_>,
    req: functions::messages::ForwardMessages,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let from_peer = peers::input_peer(cx.state, me, &req.from_peer)?;
    let to_peer = peers::input_peer(cx.state, me, &req.to_peer)?;
    if req.id.is_empty() || req.id.len() != req.random_id.len() {
        return Err(RpcError::bad("RANDOM_ID_INVALID"));
    }
    check_visible(cx.state, me, from_peer)?;
    let mut contents = Vec::new();
    for &id in &req.id {
        let original = stored(cx.state, me, from_peer, id)
            .filter(|m| m.action.is_none())
            .ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))?;
        let fwd = (!req.drop_author).then(|| match &original.fwd {
            Some(earlier) => earlier.clone(),
            None => FwdRec {
                from: original.from.or(Some(from_peer)),
                date: original.date,
                channel_post: original.post.then_some(original.id),
            },
        });
        contents.push(Content {
            text: original.text.clone(),
            entities: original.entities.clone(),
            media: original.media.clone(),
            fwd,
            silent: req.silent,
            ..Content::default()
        });
    }
    let mut sent = Vec::new();
    for (content, random_id) in contents.into_iter().zip(req.random_id) {
        sent.push((
            Some(random_id),
            post(cx, me, to_peer, content, Some(random_id))?,
        ));
    }
    Ok(sent_updates(cx, me, sent, Vec::new()))
}

/// Checks `me` may read `peer`'s history (`CHANNEL_PRIVATE` for private channels one is not in,
/// `CHAT_ID_INVALID`-like errors for groups one never joined).
pub(crate) fn check_visible(state: &State, me: i64, peer: Peer) -> RpcResult<()> {
    match peer {
        Peer::User(_) => Ok(()),
        Peer::Chat(chat) => {
            let known = state
                .chats
                .get(&chat)
                .is_some_and(|c| c.members.contains_key(&me) || c.former.contains(&me));
            known
                .then_some(())
                .ok_or_else(|| RpcError::bad("CHAT_ID_INVALID"))
        }
        Peer::Channel(channel) => {
            let rec = state
                .channels
                .get(&channel)
                .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
            let visible = !rec.kicked.contains_key(&me)
                && (rec.members.contains_key(&me) || rec.username.is_some());
            visible
                .then_some(())
                .ok_or_else(|| RpcError::bad("CHANNEL_PRIVATE"))
        }
    }
}

/// `peer`'s messages as `me` sees them, newest first.
pub(crate) fn history_of(state: &State, me: i64, peer: Peer) -> Vec<&MessageRec> {
    let mut list: Vec<&MessageRec> = match peer {
        Peer::Channel(channel) => state
            .channels
            .get(&channel)
            .map(|c| {
                // Messages up to the viewer's cleared point are hidden from them.
                let hidden = c.available_min_id.get(&me).copied().unwrap_or(0);
                c.store
                    .messages
                    .range(hidden + 1..)
                    .map(|(_, m)| &**m)
                    .collect()
            })
            .unwrap_or_default(),
        _ => state
            .boxes
            .get(&me)
            .map(|b| {
                b.store
                    .messages
                    .values()
                    .map(|m| &**m)
                    .filter(|m| m.peer == peer)
                    .collect()
            })
            .unwrap_or_default(),
    };
    list.reverse();
    list
}

/// The paging fields of `messages.getHistory` and the requests paged like it
/// (`messages.search`, `messages.getUnreadMentions`).
#[derive(Clone, Copy, Debug)]
struct Window {
    offset_id: i32,
    offset_date: i32,
    add_offset: i32,
    limit: i32,
    max_id: i32,
    min_id: i32,
}

/// The [`Window`] of a request with these fields (`offset_date` given: not every such request
/// has one).
macro_rules! window {
    ($req:expr, $offset_date:expr) => {
        Window {
            offset_id: $req.offset_id,
            offset_date: $offset_date,
            add_offset: $req.add_offset,
            limit: $req.limit,
            max_id: $req.max_id,
            min_id: $req.min_id,
        }
    };
}

/// The usual paging of `messages.getHistory` and friends over `list` (newest first).
fn page<'a>(list: &[&'a MessageRec], window: Window) -> Vec<&'a MessageRec> {
    let Window {
        offset_id,
        offset_date,
        add_offset,
        limit,
        max_id,
        min_id,
    } = window;
    let filtered: Vec<&MessageRec> = list
        .iter()
        .copied()
        .filter(|m| (max_id <= 0 || m.id < max_id) && (min_id <= 0 || m.id > min_id))
        .collect();
    let start = if offset_id > 0 {
        filtered.iter().position(|m| m.id < offset_id)
    } else if offset_date > 0 {
        filtered.iter().position(|m| m.date < offset_date)
    } else {
        Some(0)
    }
    .unwrap_or(filtered.len());
    let limit = i64::from(limit.clamp(1, MAX_PAGE));
    // The window [start + add_offset, + limit) clipped to the list; negative offsets look at
    // newer messages.
    let len = i64::try_from(filtered.len()).unwrap_or(i64::MAX);
    let from = i64::try_from(start).unwrap_or(i64::MAX) + i64::from(add_offset);
    let to = (from + limit).clamp(0, len);
    let from = from.clamp(0, len);
    let (from, to) = (
        usize::try_from(from).unwrap_or(0),
        usize::try_from(to).unwrap_or(0),
    );
    filtered[from..to].to_vec()
}

/// The page `window` of `peer`'s messages `list` (newest first), counting all of `list`.
fn paged(
    cx: &Cx<'_>,
    me: i64,
    peer: Peer,
    list: &[&MessageRec],
    window: Window,
) -> enums::messages::Messages {
    messages_result(cx, me, Some(peer), &page(list, window), list.len())
}

/// The caller and the chat `input` names, which they must see: the start of every history
/// request.
fn viewed_peer(cx: &Cx<'_>, input: &enums::InputPeer) -> RpcResult<(i64, Peer)> {
    let me = cx.me_user()?;
    let peer = peers::input_peer(cx.state, me, input)?;
    check_visible(cx.state, me, peer)?;
    Ok((me, peer))
}

/// `messages.Messages` for a page of `peer`'s messages out of `count`.
fn messages_result(
    cx: &Cx<'_>,
    me: i64,
    peer: Option<Peer>,
    page: &[&MessageRec],
    count: usize,
) -> enums::messages::Messages {
    let mut refs = Refs::default();
    for msg in page {
        refs.message(msg);
    }
    let messages = page
        .iter()
        .map(|m| present::message(cx.state, me, m))
        .collect();
    let chats = refs.chats(cx.state, me);
    let users = refs.users(cx.state, me);
    let count = i32::try_from(count).unwrap_or(i32::MAX);
    if let Some(Peer::Channel(channel)) = peer {
        let pts = cx.state.channels.get(&channel).map_or(0, |c| c.store.pts);
        return types::messages::ChannelMessages {
            inexact: false,
            pts,
            count,
            offset_id_offset: None,
            messages,
            topics: Vec::new(),
            chats,
            users,
        }
        .into();
    }
    if usize::try_from(count).unwrap_or(usize::MAX) <= page.len() {
        return types::messages::Messages {
            messages,
            topics: Vec::new(),
            chats,
            users,
        }
        .into();
    }
    types::messages::MessagesSlice {
        inexact: false,
        count,
        next_rate: None,
        offset_id_offset: None,
        search_flood: None,
        messages,
        topics: Vec::new(),
        chats,
        users,
    }
    .into()
}

pub(crate) fn get_history(
    cx: &mut Cx<'_>,
    req: functions::messages::GetHistory,
) -> RpcResult<enums::messages::Messages> {
    let (me, peer) = viewed_peer(cx, &req.peer)?;
    let list = history_of(cx.state, me, peer);
    Ok(paged(cx, me, peer, &list, window!(req, req.offset_date)))
}

pub(crate) fn get_messages(
    cx: &mut Cx<'_>,
    req: functions::messages::GetMessages,
) -> RpcResult<enums::messages::Messages> {
    let me = cx.me()?;
    let mut refs = Refs::default();
    let mut messages = Vec::new();
    let mbox = cx.state.boxes.get(&me);
    for input in &req.id {
        let id = match input {
            enums::InputMessage::Id(m) => Some(m.id),
            enums::InputMessage::ReplyTo(m) => mbox
                .and_then(|b| b.store.messages.get(&m.id))
                .and_then(|msg| msg.reply_to),
            _ => None,
        };
        match id.and_then(|id| mbox.and_then(|b| b.store.messages.get(&id))) {
            Some(msg) => {
                refs.message(msg);
                messages.push(present::message(cx.state, me, msg));
            }
            None => messages.push(
                types::MessageEmpty {
                    id: id.unwrap_or(0),
                    peer_id: None,
                }
                .into(),
            ),
        }
    }
    Ok(types::messages::Messages {
        messages,
        topics: Vec::new(),
        chats: refs.chats(cx.state, me),
        users: refs.users(cx.state, me),
    }
    .into())
}

/// Whether `msg` passes a `messages.search` filter for `viewer` (unsupported filters match
/// nothing).
fn filter_matches(
    state: &State,
    viewer: i64,
    filter: &enums::MessagesFilter,
    msg: &MessageRec,
) -> bool {
    use enums::MessagesFilter as F;
    match filter {
        F::InputMessagesFilterEmpty => true,
        F::InputMessagesFilterMyMentions => present::mentions(state, viewer, msg),
        F::InputMessagesFilterPhotos | F::InputMessagesFilterPhotoVideo => {
            matches!(msg.media, Some(MediaRec::Photo(_)))
        }
        F::InputMessagesFilterDocument => matches!(msg.media, Some(MediaRec::Document(_))),
        F::InputMessagesFilterUrl => msg.text.contains("http://") || msg.text.contains("https://"),
        F::InputMessagesFilterChatPhotos => matches!(
            msg.action,
            Some(super::model::ActionRec::ChatEditPhoto { .. })
        ),
        _ => false,
    }
}

pub(crate) fn search(
    cx: &mut Cx<'_>,
    req: functions::messages::Search,
) -> RpcResult<enums::messages::Messages> {
    let (me, peer) = viewed_peer(cx, &req.peer)?;
    let from = match &req.from_id {
        Some(from) => Some(peers::input_peer(cx.state, me, from)?),
        None => None,
    };
    let query = req.q.to_lowercase();
    let list: Vec<&MessageRec> = history_of(cx.state, me, peer)
        .into_iter()
        // Service messages are found only by the filter made for them (chat photo changes).
        .filter(|m| {
            m.action.is_none()
                || matches!(
                    req.filter,
                    enums::MessagesFilter::InputMessagesFilterChatPhotos
                )
        })
        .filter(|m| query.is_empty() || m.text.to_lowercase().contains(query.as_str()))
        .filter(|m| from.is_none() || m.from == from)
        .filter(|m| filter_matches(cx.state, me, &req.filter, m))
        .filter(|m| req.min_date <= 0 || m.date >= req.min_date)
        .filter(|m| req.max_date <= 0 || m.date <= req.max_date)
        .collect();
    Ok(paged(cx, me, peer, &list, window!(req, 0)))
}

/// Up to which message id `me` has read their mentions in `peer`: reading the history reads
/// the mentions in it, and `messages.readMentions` reads every mention without reading the
/// history. A mention above this is unread (and its message `media_unread`).
pub(crate) fn mentions_read_to(state: &State, me: i64, peer: Peer) -> i32 {
    match peer {
        Peer::Channel(channel) => state.channels.get(&channel).map_or(0, |c| {
            let inbox = c.read_inbox.get(&me).copied().unwrap_or(0);
            inbox.max(c.read_mentions.get(&me).copied().unwrap_or(0))
        }),
        _ => state
            .boxes
            .get(&me)
            .and_then(|b| b.reads.get(&peer.marked()))
            .map_or(0, |marks| marks.inbox.max(marks.mentions)),
    }
}

/// The mentions of `me` in `peer` they have not read, newest first.
pub(crate) fn unread_mentions(state: &State, me: i64, peer: Peer) -> Vec<&MessageRec> {
    let read = mentions_read_to(state, me, peer);
    history_of(state, me, peer)
        .into_iter()
        .filter(|m| m.id > read && present::mentions(state, me, m))
        .collect()
}

/// Mentions of the caller in `peer` they have not read yet, newest first.
pub(crate) fn get_unread_mentions(
    cx: &mut Cx<'_>,
    req: functions::messages::GetUnreadMentions,
) -> RpcResult<enums::messages::Messages> {
    let (me, peer) = viewed_peer(cx, &req.peer)?;
    let list = unread_mentions(cx.state, me, peer);
    Ok(paged(cx, me, peer, &list, window!(req, 0)))
}

/// `messages.readMentions`: every unread mention of the caller in `peer` becomes read, the
/// rest of the history staying as it was. Outside channels that is one pts step of the
/// caller's box, `updateReadMessagesContents` with the mentions' ids; in a channel it is
/// `updateChannelReadMessagesContents`, which has no pts (the answer's `pts_count` is 0 there,
/// as Telegram's).
pub(crate) fn read_mentions(
    cx: &mut Cx<'_>,
    req: functions::messages::ReadMentions,
) -> RpcResult<enums::messages::AffectedHistory> {
    let (me, peer) = viewed_peer(cx, &req.peer)?;
    let ids: Vec<i32> = unread_mentions(cx.state, me, peer)
        .iter()
        .map(|m| m.id)
        .collect();
    let affected = |pts, pts_count| {
        Ok(types::messages::AffectedHistory {
            pts,
            pts_count,
            offset: 0,
        }
        .into())
    };
    let Some(&newest) = ids.iter().max() else {
        let pts = match peer {
            Peer::Channel(channel) => cx.state.channels.get(&channel).map_or(0, |c| c.store.pts),
            _ => box_mut(cx.state, me).store.pts,
        };
        return affected(pts, 0);
    };
    cx.dirty = true;
    if let Peer::Channel(channel_id) = peer {
        let rec = cx
            .state
            .channels
            .get_mut(&channel_id)
            .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
        rec.read_mentions.insert(me, newest);
        let pts = rec.store.pts;
        let update = types::UpdateChannelReadMessagesContents {
            channel_id,
            top_msg_id: None,
            saved_peer_id: None,
            messages: ids,
        };
        cx.push_with(me, vec![update.into()], &Refs::default());
        return affected(pts, 0);
    }
    let now = cx.now;
    let mbox = box_mut(cx.state, me);
    mbox.reads.entry(peer.marked()).or_default().mentions = newest;
    let pts = mbox
        .store
        .record(1, EventKind::ReadContents { ids: ids.clone() });
    let update = types::UpdateReadMessagesContents {
        messages: ids,
        pts,
        pts_count: 1,
        date: Some(now),
    };
    cx.push_with(me, vec![update.into()], &Refs::default());
    affected(pts, 1)
}

pub(crate) fn read_history(
    cx: &mut Cx<'_>,
    req: functions::messages::ReadHistory,
) -> RpcResult<enums::messages::AffectedMessages> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    if let Peer::Channel(_) = peer {
        return Err(RpcError::bad("PEER_ID_INVALID"));
    }
    check_visible(cx.state, me, peer)?;
    let mbox = box_mut(cx.state, me);
    let top = mbox
        .store
        .messages
        .values()
        .filter(|m| m.peer == peer)
        .map(|m| m.id)
        .max()
        .unwrap_or(0);
    let max_id = if req.max_id <= 0 {
        top
    } else {
        req.max_id.min(top)
    };
    let marks = mbox.reads.entry(peer.marked()).or_default();
    if max_id <= marks.inbox {
        return Ok(types::messages::AffectedMessages {
            pts: mbox.store.pts,
            pts_count: 0,
        }
        .into());
    }
    marks.inbox = max_id;
    let still_unread = mbox
        .store
        .messages
        .values()
        .filter(|m| m.peer == peer && !m.out && m.id > max_id)
        .count();
    let read_global = mbox
        .store
        .messages
        .range(..=max_id)
        .rev()
        .find(|(_, m)| m.peer == peer)
        .map(|(_, m)| m.global_id)
        .unwrap_or(0);
    let pts = mbox.store.record(1, EventKind::ReadInbox { peer, max_id });
    let update = types::UpdateReadHistoryInbox {
        folder_id: None,
        peer: peer.to_tl(),
        top_msg_id: None,
        max_id,
        still_unread_count: i32::try_from(still_unread).unwrap_or(i32::MAX),
        pts,
        pts_count: 1,
    };
    cx.push_with(me, vec![update.into()], &Refs::default());
    // The authors' outboxes: their messages up to the same point are now read.
    for owner in box_owners(cx.state, me, peer) {
        if owner == me {
            continue;
        }
        let their_peer = match peer {
            Peer::User(_) => Peer::User(me),
            other => other,
        };
        let obox = box_mut(cx.state, owner);
        let Some(read_to) = obox
            .store
            .messages
            .values()
            .filter(|m| m.peer == their_peer && m.out && m.global_id <= read_global)
            .map(|m| m.id)
            .max()
        else {
            continue;
        };
        let marks = obox.reads.entry(their_peer.marked()).or_default();
        if read_to <= marks.outbox {
            continue;
        }
        marks.outbox = read_to;
        let pts = obox.store.record(
            1,
            EventKind::ReadOutbox {
                peer: their_peer,
                max_id: read_to,
            },
        );
        let update = types::UpdateReadHistoryOutbox {
            peer: their_peer.to_tl(),
            max_id: read_to,
            pts,
            pts_count: 1,
        };
        cx.push_with(owner, vec![update.into()], &Refs::default());
    }
    cx.dirty = true;
    Ok(types::messages::AffectedMessages { pts, pts_count: 1 }.into())
}

pub(crate) fn set_typing(cx: &mut Cx<'_>, req: functions::messages::SetTyping) -> RpcResult<bool> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    check_visible(cx.state, me, peer)?;
    let (update, targets): (enums::Update, Vec<i64>) = match peer {
        Peer::User(user) => (
            types::UpdateUserTyping {
                user_id: me,
                top_msg_id: None,
                action: req.action,
            }
            .into(),
            vec![user],
        ),
        Peer::Chat(chat) => (
            types::UpdateChatUserTyping {
                chat_id: chat,
                from_id: Peer::User(me).to_tl(),
                action: req.action,
            }
            .into(),
            box_owners(cx.state, me, peer),
        ),
        Peer::Channel(channel) => (
            types::UpdateChannelUserTyping {
                channel_id: channel,
                top_msg_id: req.top_msg_id,
                from_id: Peer::User(me).to_tl(),
                action: req.action,
            }
            .into(),
            cx.state
                .channels
                .get(&channel)
                .map(|c| c.members.keys().copied().collect())
                .unwrap_or_default(),
        ),
    };
    let now = cx.now;
    for target in targets.into_iter().filter(|&t| t != me) {
        cx.push(
            target,
            types::UpdateShort {
                update: update.clone(),
                date: now,
            }
            .into(),
        );
    }
    Ok(true)
}

pub(crate) fn edit_message(
    cx: &mut Cx<'_>,
    req: functions::messages::EditMessage,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    let original = stored(cx.state, me, peer, req.id)
        .filter(|m| m.action.is_none())
        .cloned()
        .ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))?;
    let may_edit = match peer {
        Peer::Channel(channel) => {
            original.from == Some(Peer::User(me))
                || (original.post
                    && cx
                        .state
                        .channels
                        .get(&channel)
                        .is_some_and(|c| c.has_right(me, |r| r.edit_messages)))
        }
        _ => original.out,
    };
    if !may_edit {
        return Err(RpcError::forbidden("MESSAGE_AUTHOR_REQUIRED"));
    }
    let sender_is_bot = cx.state.users.get(&me).is_some_and(|u| u.bot);
    let edit = Edit {
        message: req.message.map(Into::into),
        entities: req.entities,
        media: req.media,
        // Reply markup is for bots; Telegram drops what users send.
        reply_markup: req.reply_markup.filter(|_| sender_is_bot),
    };
    edit_as(cx, me, peer, original, edit)
}

/// What an edit changes (`messages.editMessage`, `messages.editInlineBotMessage`).
pub(crate) struct Edit {
    /// New text; `None` keeps the text.
    pub(crate) message: Option<String>,
    pub(crate) entities: Option<Vec<enums::MessageEntity>>,
    pub(crate) media: Option<enums::InputMedia>,
    /// New markup; `None` removes the markup (an edit without a keyboard drops it, as on
    /// Telegram).
    pub(crate) reply_markup: Option<enums::ReplyMarkup>,
}

/// Edits `original` (`me`'s copy in dialog `peer`) in every box that holds it, once the caller
/// checked that the edit is allowed; answers with `me`'s edit update.
pub(crate) fn edit_as(
    cx: &mut Cx<'_>,
    me: i64,
    peer: Peer,
    original: MessageRec,
    edit: Edit,
) -> RpcResult<enums::Updates> {
    let media = match edit.media {
        Some(media) => Some(media_of(cx, me, media)?),
        None => None,
    };
    let text = edit
        .message
        .clone()
        .unwrap_or_else(|| original.text.clone());
    check_text(
        &text,
        if original.media.is_some() || media.is_some() {
            MAX_CAPTION
        } else {
            MAX_TEXT
        },
        "MESSAGE_TOO_LONG",
    )?;
    let entities = match (&edit.message, &edit.entities) {
        (_, Some(entities)) => stored_entities(cx.state, me, Some(entities))?,
        (Some(_), None) => None,
        (None, None) => original.entities.clone(),
    };
    let markup = edit.reply_markup.as_ref().map(super::model::Bytes::tl);
    if text == original.text
        && entities == original.entities
        && media.is_none()
        && markup.as_ref().map(|m| &m.0) == original.reply_markup.as_ref().map(|m| &m.0)
    {
        return Err(RpcError::bad("MESSAGE_NOT_MODIFIED"));
    }
    let req_id = original.id;
    let now = cx.now;
    let apply = |msg: &mut MessageRec| {
        msg.text = text.clone();
        msg.entities = entities.clone();
        if let Some(media) = &media {
            msg.media = Some(media.clone());
        }
        msg.reply_markup = markup.clone();
        msg.edit_date = Some(now);
    };
    let mut own_update = None;
    match peer {
        Peer::Channel(channel) => {
            // Edits of posts and of others' messages are admin actions the log shows.
            let logged_before = (original.post || original.from != Some(Peer::User(me)))
                .then(|| present::message(cx.state, me, &original));
            let Some(rec) = cx.state.channels.get_mut(&channel) else {
                return Err(RpcError::bad("CHANNEL_INVALID"));
            };
            if let Some(msg) = rec.store.messages.get_mut(&req_id) {
                apply(msg);
            }
            let pts = rec.store.record(1, EventKind::EditMessage { id: req_id });
            let mut members: Vec<i64> = rec.members.keys().copied().collect();
            if !members.contains(&me) {
                members.push(me);
            }
            let edited = rec.store.messages.get(&req_id).cloned();
            // Every member's sessions, the editor's other sessions included.
            for member in members {
                let Some(msg) = &edited else { break };
                let update: enums::Update = types::UpdateEditChannelMessage {
                    message: present::message(cx.state, member, msg),
                    pts,
                    pts_count: 1,
                }
                .into();
                let mut refs = Refs::default();
                refs.message(msg);
                cx.push_with(member, vec![update.clone()], &refs);
                if member == me {
                    own_update = Some((update, refs));
                }
            }
            if let (Some(prev_message), Some(msg)) = (logged_before, &edited) {
                let author = match original.from {
                    Some(Peer::User(user)) => vec![user],
                    _ => Vec::new(),
                };
                let action = types::ChannelAdminLogEventActionEditMessage {
                    prev_message,
                    new_message: present::message(cx.state, me, msg),
                };
                super::admin_log::record(cx, channel, me, action.into(), author);
            }
        }
        _ => {
            let owners: Vec<i64> = box_owners(cx.state, me, peer);
            for owner in owners {
                let obox = box_mut(cx.state, owner);
                let Some(id) = obox.store.copy_of(original.global_id) else {
                    continue;
                };
                if let Some(msg) = obox.store.messages.get_mut(&id) {
                    apply(msg);
                }
                let pts = obox.store.record(1, EventKind::EditMessage { id });
                let Some(msg) = obox.store.messages.get(&id).cloned() else {
                    continue;
                };
                let update: enums::Update = types::UpdateEditMessage {
                    message: present::message(cx.state, owner, &msg),
                    pts,
                    pts_count: 1,
                }
                .into();
                let mut refs = Refs::default();
                refs.message(&msg);
                cx.push_with(owner, vec![update.clone()], &refs);
                if owner == me {
                    own_update = Some((update, refs));
                }
            }
        }
    }
    cx.dirty = true;
    let (update, refs) = own_update.ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))?;
    Ok(refs.updates(cx.state, me, vec![update], now))
}

/// Removes messages `ids` from `owner`'s box, recording and pushing the deletion; returns the
/// box's pts and how many were removed.
pub(crate) fn delete_from_box(cx: &mut Cx<'_>, owner: i64, ids: &[i32]) -> (i32, i32) {
    let mbox = box_mut(cx.state, owner);
    let Some(Removed { ids, pts, count }) = mbox.store.remove(ids) else {
        return (mbox.store.pts, 0);
    };
    let update = types::UpdateDeleteMessages {
        messages: ids,
        pts,
        pts_count: count,
    };
    cx.push_with(owner, vec![update.into()], &Refs::default());
    cx.dirty = true;
    (pts, count)
}

pub(crate) fn delete_messages(
    cx: &mut Cx<'_>,
    req: functions::messages::DeleteMessages,
) -> RpcResult<enums::messages::AffectedMessages> {
    let me = cx.me()?;
    // The other copies to remove when revoking: (owner, global id).
    let mut revoked = Vec::new();
    if req.revoke {
        if let Some(mbox) = cx.state.boxes.get(&me) {
            for id in &req.id {
                let Some(msg) = mbox.store.messages.get(id) else {
                    continue;
                };
                // In groups only one's own messages can be revoked for everyone.
                if matches!(msg.peer, Peer::Chat(_)) && !msg.out {
                    continue;
                }
                for owner in box_owners(cx.state, me, msg.peer) {
                    if owner != me {
                        revoked.push((owner, msg.global_id));
                    }
                }
            }
        }
    }
    let (pts, pts_count) = delete_from_box(cx, me, &req.id);
    let mut by_owner: BTreeMap<i64, Vec<i32>> = BTreeMap::new();
    for (owner, global_id) in revoked {
        if let Some(id) = copy_in(cx.state, owner, global_id) {
            by_owner.entry(owner).or_default().push(id);
        }
    }
    for (owner, ids) in by_owner {
        delete_from_box(cx, owner, &ids);
    }
    Ok(types::messages::AffectedMessages { pts, pts_count }.into())
}
