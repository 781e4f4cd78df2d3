//! What one call sends each account, in the forms Telegram sends: the pushes a handler queued
//! merged per account, `seq`-numbered, and shortened where Telegram shortens them.
//!
//! Handlers queue plain `updates` containers with `seq = 0` ([`super::Cx::push`]). When the
//! call is done, [`seal`] turns them into what goes on the wire:
//!
//! - **merge**: every `updates` container for one account is joined into one (users and chats
//!   deduplicated), in the order queued — one call is one delivery, as on Telegram, where a
//!   send to a group reaches each member as one `updates`;
//! - **seq**: each queued container holding an update that carries neither pts nor qts (e.g.
//!   `updateChannel`, `updateDraftMessage`, `updateDialogPinned`) is one step of the account's
//!   `seq`. A merged container with one such step carries `seq`, one with several becomes
//!   `updatesCombined` with `seq_start..=seq`; containers with none carry `seq = 0` (no order
//!   to check: the pts of their updates orders them). `updateShort` never carries a seq;
//! - **short forms**: a container left with one `updateNewMessage` of plain text (no media,
//!   forward, markup or user mention, so nothing the client might have to look up) in a
//!   private chat becomes `updateShortMessage`, in a basic group `updateShortChatMessage`;
//! - **the caller**: an `updates` answer (also inside `messages.invitedUsers`) takes the seq range the caller's account got in this
//!   call (and the seq-carrying updates of it the answer lacked), so the caller's session,
//!   which is never pushed its own call's updates, sees every seq step exactly once. When the
//!   answer is not an `updates` (`updateShortSentMessage`, `messages.affectedMessages`, …)
//!   the calling session is pushed those steps' seq updates alone. Seq updates only the answer
//!   has are added to what the caller's other sessions are pushed, in the same step.
//!
//! `updates.getDifference` does not replay seq updates; its state carries the account's
//! current seq, which is how a client closes a seq gap.

use std::collections::{BTreeSet, HashMap};

use tgwire_tl_types::{enums, types, Deserializable, Identifiable, Serializable};

use super::messages::box_mut;
use super::{Cx, Push, Target};

/// Whether `update` is ordered by the container's `seq` (it has no pts, channel pts or qts of
/// its own and is not a transient notice).
pub(crate) fn needs_seq(update: &enums::Update) -> bool {
    use enums::Update as U;
    !matches!(
        update,
        // Common-box pts.
        U::NewMessage(_)
            | U::DeleteMessages(_)
            | U::ReadHistoryInbox(_)
            | U::ReadHistoryOutbox(_)
            | U::WebPage(_)
            | U::ReadMessagesContents(_)
            | U::EditMessage(_)
            | U::PinnedMessages(_)
            | U::FolderPeers(_)
            // Channel pts.
            | U::NewChannelMessage(_)
            | U::EditChannelMessage(_)
            | U::DeleteChannelMessages(_)
            | U::PinnedChannelMessages(_)
            | U::ChannelWebPage(_)
            | U::ChannelTooLong(_)
            | U::ReadChannelInbox(_)
            | U::ReadChannelOutbox(_)
            | U::ChannelReadMessagesContents(_)
            | U::ChannelMessageViews(_)
            | U::ChannelUserTyping(_)
            // qts.
            | U::NewEncryptedMessage(_)
            | U::MessagePollVote(_)
            | U::ChatParticipant(_)
            | U::ChannelParticipant(_)
            | U::BotStopped(_)
            | U::BotChatInviteRequester(_)
            | U::BotChatBoost(_)
            | U::BotMessageReaction(_)
            | U::BotMessageReactions(_)
            // The answer's own bookkeeping and transient notices.
            | U::MessageId(_)
            | U::UserTyping(_)
            | U::ChatUserTyping(_)
            | U::UserStatus(_)
            | U::EncryptedChatTyping(_)
            // Bots' queries: answered at once or never, in no order.
            | U::BotCallbackQuery(_)
            | U::InlineBotCallbackQuery(_)
            | U::BotInlineQuery(_)
            | U::BotInlineSend(_)
    )
}

/// Turns the pushes queued so far into deliveries ([`Cx::ready`]) and fixes up `answer` (the
/// serialized result of the call, if it is one) to match; see the module docs.
pub(crate) fn seal(cx: &mut Cx<'_>, answer: Option<&mut Vec<u8>>) {
    let mut queued = std::mem::take(&mut cx.pushes);
    if queued.is_empty() && answer.is_none() {
        return;
    }
    fill_refs(cx, &mut queued);
    // Targets in order of first appearance, each with its containers in queue order.
    let mut targets: Vec<(Target, Vec<enums::Updates>)> = Vec::new();
    for push in queued {
        match targets.iter_mut().find(|(t, _)| *t == push.target) {
            Some((_, list)) => list.push(push.updates),
            None => targets.push((push.target, vec![push.updates])),
        }
    }
    // Only a signed-in caller with a real session has an answer to fix up.
    let caller = cx.me().ok().filter(|_| cx.ctx.session_id != 0);
    let mut answer_updates = match (&answer, caller) {
        (Some(bytes), Some(_)) => decode_updates(bytes),
        _ => None,
    };
    if let (Some(answer), Some(me)) = (answer_updates.as_mut().map(Answer::updates), caller) {
        // Seq updates only the answer has: the caller's other sessions must hear of them too,
        // in the same step.
        let mine = targets.iter().find(|(t, _)| *t == Target::User(me));
        let pushed = |update: &enums::Update| {
            mine.is_some_and(|(_, list)| {
                list.iter().any(|c| match c {
                    enums::Updates::Updates(u) => u.updates.contains(update),
                    _ => false,
                })
            })
        };
        let extra: Vec<enums::Update> = answer
            .updates
            .iter()
            .filter(|u| needs_seq(u) && !pushed(u))
            .cloned()
            .collect();
        if !extra.is_empty() {
            let copy = types::Updates {
                updates: extra,
                users: answer.users.clone(),
                chats: answer.chats.clone(),
                date: answer.date,
                seq: 0,
            };
            match targets.iter_mut().find(|(t, _)| *t == Target::User(me)) {
                Some((_, list)) => list.push(copy.into()),
                None => targets.push((Target::User(me), vec![copy.into()])),
            }
        }
    }
    let mut answer_range = None;
    for (target, list) in targets {
        let Target::User(user) = target else {
            for updates in list {
                cx.ready.push(Push::new(target, updates));
            }
            continue;
        };
        let mut merged: Option<types::Updates> = None;
        let mut steps = 0;
        let mut others = Vec::new();
        for updates in list {
            match updates {
                enums::Updates::Updates(u) => {
                    if u.updates.iter().any(needs_seq) {
                        steps += 1;
                    }
                    match &mut merged {
                        None => merged = Some(*u),
                        Some(into) => append(into, *u),
                    }
                }
                other => others.push(other),
            }
        }
        if let Some(merged) = merged {
            let range = (steps > 0).then(|| take_seq(cx, user, steps));
            if let (Some(range), true) = (range, Some(user) == caller) {
                let steps = types::Updates {
                    updates: merged
                        .updates
                        .iter()
                        .filter(|u| needs_seq(u))
                        .cloned()
                        .collect(),
                    users: merged.users.clone(),
                    chats: merged.chats.clone(),
                    date: merged.date,
                    seq: 0,
                };
                match answer_updates.as_mut().map(Answer::updates) {
                    Some(answer) => {
                        // The answer carries this call's seq steps for the calling session.
                        for update in steps.updates {
                            if !answer.updates.contains(&update) {
                                answer.updates.push(update);
                            }
                        }
                        merge_refs(answer, &steps.users, &steps.chats);
                        answer_range = Some(range);
                    }
                    // An answer without room for them: the calling session is pushed the seq
                    // steps (its answer already told it of the rest).
                    None => cx
                        .ready
                        .push(Push::new(Target::Caller, with_range(steps, Some(range)))),
                }
            }
            cx.ready.push(Push::new(target, finish(merged, range)));
        }
        for updates in others {
            cx.ready.push(Push::new(target, updates));
        }
    }
    if let (Some(answer), Some(fixed), Some(range)) = (answer, answer_updates, answer_range) {
        *answer = fixed.into_bytes(range);
    }
}

/// Fills in the users and chats [`Cx::push_with`] left out of a lone message for its short
/// form, where it will not go out short: merged with other containers for the same account,
/// or copied into the caller's answer (a short form needs none; a container does).
fn fill_refs(cx: &Cx<'_>, queued: &mut [Push]) {
    if queued.iter().all(|p| p.refs.is_none()) {
        return;
    }
    // As `seal` decides below: only a signed-in caller with a real session has an answer.
    let caller = (cx.ctx.session_id != 0)
        .then(|| cx.me().ok().map(Target::User))
        .flatten();
    let mut per_target: HashMap<Target, usize> = HashMap::new();
    for push in queued.iter() {
        *per_target.entry(push.target).or_default() += 1;
    }
    for push in queued.iter_mut() {
        let alone = per_target.get(&push.target) == Some(&1);
        if alone && Some(push.target) != caller {
            continue;
        }
        let Some((viewer, refs)) = push.refs.take() else {
            continue;
        };
        if let enums::Updates::Updates(u) = &mut push.updates {
            u.users = refs.users(cx.state, viewer);
            u.chats = refs.chats(cx.state, viewer);
        }
    }
}

/// Advances `user`'s seq by `steps` and returns the range of the new steps.
fn take_seq(cx: &mut Cx<'_>, user: i64, steps: i32) -> (i32, i32) {
    let mbox = box_mut(cx.state, user);
    let start = mbox.seq + 1;
    mbox.seq += steps;
    cx.dirty = true;
    (start, mbox.seq)
}

/// An answer that is, or wraps, an `updates` container.
enum Answer {
    /// The result is the container itself.
    Plain(types::Updates),
    /// `messages.invitedUsers` (`messages.createChat`, `messages.addChatUser`,
    /// `channels.inviteToChannel`) around it.
    Invited {
        updates: types::Updates,
        missing_invitees: Vec<enums::MissingInvitee>,
    },
}

impl Answer {
    fn updates(&mut self) -> &mut types::Updates {
        match self {
            Answer::Plain(u) | Answer::Invited { updates: u, .. } => u,
        }
    }

    fn into_bytes(self, range: (i32, i32)) -> Vec<u8> {
        match self {
            Answer::Plain(u) => with_range(u, Some(range)).to_bytes(),
            Answer::Invited {
                updates,
                missing_invitees,
            } => enums::messages::InvitedUsers::from(types::messages::InvitedUsers {
                updates: with_range(updates, Some(range)),
                missing_invitees,
            })
            .to_bytes(),
        }
    }
}

/// The answer's `updates` container, if it has one as such (other results are left alone).
fn decode_updates(bytes: &[u8]) -> Option<Answer> {
    let id = bytes
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))?;
    if id == types::Updates::CONSTRUCTOR_ID {
        return match enums::Updates::from_bytes(bytes).ok()? {
            enums::Updates::Updates(u) => Some(Answer::Plain(*u)),
            _ => None,
        };
    }
    if id == types::messages::InvitedUsers::CONSTRUCTOR_ID {
        let enums::messages::InvitedUsers::InvitedUsers(invited) =
            enums::messages::InvitedUsers::from_bytes(bytes).ok()?;
        if let enums::Updates::Updates(u) = invited.updates {
            return Some(Answer::Invited {
                updates: *u,
                missing_invitees: invited.missing_invitees,
            });
        }
    }
    None
}

/// `updates` with `seq`, or `updatesCombined` when the range spans several steps.
fn with_range(mut updates: types::Updates, range: Option<(i32, i32)>) -> enums::Updates {
    match range {
        Some((start, end)) if start < end => types::UpdatesCombined {
            updates: updates.updates,
            users: updates.users,
            chats: updates.chats,
            date: updates.date,
            seq_start: start,
            seq: end,
        }
        .into(),
        Some((_, end)) => {
            updates.seq = end;
            updates.into()
        }
        None => updates.into(),
    }
}

/// The container as it goes out: numbered, or shortened when Telegram would.
fn finish(updates: types::Updates, range: Option<(i32, i32)>) -> enums::Updates {
    if range.is_none() {
        if let [enums::Update::NewMessage(update)] = updates.updates.as_slice() {
            if let Some(short) = short_form(update) {
                return short;
            }
        }
    }
    with_range(updates, range)
}

/// `updateShortMessage` / `updateShortChatMessage` for a plain-text message that names no one
/// but its chat and author; `None` for anything else.
pub(crate) fn short_form(update: &types::UpdateNewMessage) -> Option<enums::Updates> {
    let enums::Message::Message(msg) = &update.message else {
        return None;
    };
    let plain = msg.media.is_none()
        && msg.fwd_from.is_none()
        && msg.via_bot_id.is_none()
        && msg.reply_markup.is_none()
        && msg.grouped_id.is_none()
        && msg.saved_peer_id.is_none()
        && msg.entities.as_ref().is_none_or(|list| {
            !list
                .iter()
                .any(|e| matches!(e, enums::MessageEntity::MentionName(_)))
        });
    if !plain {
        return None;
    }
    match (&msg.peer_id, &msg.from_id) {
        (enums::Peer::User(peer), _) => Some(
            types::UpdateShortMessage {
                out: msg.out,
                mentioned: msg.mentioned,
                media_unread: msg.media_unread,
                silent: msg.silent,
                id: msg.id,
                user_id: peer.user_id,
                message: msg.message.clone(),
                pts: update.pts,
                pts_count: update.pts_count,
                date: msg.date,
                fwd_from: None,
                via_bot_id: None,
                reply_to: msg.reply_to.clone(),
                entities: msg.entities.clone(),
                ttl_period: msg.ttl_period,
            }
            .into(),
        ),
        (enums::Peer::Chat(chat), Some(enums::Peer::User(from))) => Some(
            types::UpdateShortChatMessage {
                out: msg.out,
                mentioned: msg.mentioned,
                media_unread: msg.media_unread,
                silent: msg.silent,
                id: msg.id,
                from_id: from.user_id,
                chat_id: chat.chat_id,
                message: msg.message.clone(),
                pts: update.pts,
                pts_count: update.pts_count,
                date: msg.date,
                fwd_from: None,
                via_bot_id: None,
                reply_to: msg.reply_to.clone(),
                entities: msg.entities.clone(),
                ttl_period: msg.ttl_period,
            }
            .into(),
        ),
        _ => None,
    }
}

/// Appends `from` to `into`, keeping one entry per user and chat.
fn append(into: &mut types::Updates, from: types::Updates) {
    into.updates.extend(from.updates);
    into.date = into.date.max(from.date);
    merge_refs(into, &from.users, &from.chats);
}

fn merge_refs(into: &mut types::Updates, users: &[enums::User], chats: &[enums::Chat]) {
    let known_users: BTreeSet<i64> = into.users.iter().map(user_id).collect();
    into.users.extend(
        users
            .iter()
            .filter(|u| !known_users.contains(&user_id(u)))
            .cloned(),
    );
    let known_chats: BTreeSet<(u8, i64)> = into.chats.iter().map(chat_id).collect();
    into.chats.extend(
        chats
            .iter()
            .filter(|c| !known_chats.contains(&chat_id(c)))
            .cloned(),
    );
}

fn user_id(user: &enums::User) -> i64 {
    match user {
        enums::User::User(u) => u.id,
        enums::User::Empty(u) => u.id,
    }
}

/// A chat's id, with its kind (basic groups and channels number separately).
fn chat_id(chat: &enums::Chat) -> (u8, i64) {
    match chat {
        enums::Chat::Empty(c) => (0, c.id),
        enums::Chat::Chat(c) => (0, c.id),
        enums::Chat::Forbidden(c) => (0, c.id),
        enums::Chat::Channel(c) => (1, c.id),
        enums::Chat::ChannelForbidden(c) => (1, c.id),
        enums::Chat::Community(c) => (2, c.id),
        enums::Chat::CommunityForbidden(c) => (2, c.id),
    }
}
