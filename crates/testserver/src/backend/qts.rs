//! The qts sequence: updates for bots that Telegram numbers with `qts` rather than pts, kept
//! per account and replayed by `updates.getDifference` after the client's `qts`.
//!
//! Modelled: `updateBotStopped`, sent to a bot when a user blocks it (`stopped`) or unblocks
//! it (`contacts.block` / `contacts.unblock`); `updateChannelParticipant`, sent to the bots that
//! administer a supergroup or channel when someone's participation changes (joins, leaves,
//! kicks, bans, promotions) and to a bot about its own (see [`ParticipantWatch`]);
//! `updateBotChatInviteRequester`, sent to the bots that may invite to a chat when someone asks
//! to join it through a link that needs approval. Each event
//! is one qts step of the bot's account,
//! pushed in an `updates` container (seq 0: qts orders it) and recorded for differences, where
//! it comes back in `other_updates` (`new_encrypted_messages` stays empty: no secret chats).

use tgwire_tl_types::{enums, types};

use std::collections::{BTreeMap, BTreeSet};

use tgwire_tl_types::Serializable;

use super::channels;
use super::messages::box_mut;
use super::model::{Bytes, ChannelRec, Peer, QtsEvent, QtsKind, State};
use super::present::Refs;
use super::Cx;

/// The update a qts event is delivered as.
pub(crate) fn update_of(event: &QtsEvent) -> enums::Update {
    match &event.kind {
        &QtsKind::BotStopped { user, stopped } => types::UpdateBotStopped {
            user_id: user,
            date: event.date,
            stopped,
            qts: event.qts,
        }
        .into(),
        QtsKind::ChannelParticipant {
            channel,
            user,
            actor,
            prev,
            new,
        } => types::UpdateChannelParticipant {
            via_chatlist: false,
            channel_id: *channel,
            date: event.date,
            actor_id: *actor,
            user_id: *user,
            prev_participant: prev.as_ref().and_then(Bytes::decode),
            new_participant: new.as_ref().and_then(Bytes::decode),
            invite: None,
            qts: event.qts,
        }
        .into(),
        QtsKind::ChatInviteRequester {
            peer,
            user,
            about,
            invite,
        } => types::UpdateBotChatInviteRequester {
            peer: peer.to_tl(),
            date: event.date,
            user_id: *user,
            about: about.clone().into(),
            // Stored from a valid value; a hand-edited data file falls back to the public form.
            invite: invite
                .decode()
                .unwrap_or(enums::ExportedChatInvite::ChatInvitePublicJoinRequests),
            qts: event.qts,
            query_id: None,
        }
        .into(),
    }
}

/// Adds the users and chats an event names to `refs`.
fn add_refs(event: &QtsEvent, refs: &mut Refs) {
    match &event.kind {
        QtsKind::BotStopped { user, .. } => {
            refs.user(*user);
        }
        QtsKind::ChannelParticipant {
            channel,
            user,
            actor,
            ..
        } => {
            refs.user(*user).user(*actor).peer(Peer::Channel(*channel));
        }
        QtsKind::ChatInviteRequester { peer, user, .. } => {
            refs.user(*user).peer(*peer);
        }
    }
}

/// The users an event names.
fn refs_of(event: &QtsEvent) -> Refs {
    let mut refs = Refs::default();
    add_refs(event, &mut refs);
    refs
}

/// Who took part in the channels bots are in, before a call, to tell those bots what the call
/// changed (Telegram's `updateChannelParticipant`, the Bot API's `chat_member` and
/// `my_chat_member`).
///
/// Taken only when the server has bots at all, and only of channels a bot is in (or was
/// kicked from): a bot added by the call was no participant before, which is what an absent
/// snapshot says.
pub(crate) struct ParticipantWatch {
    before: BTreeMap<(i64, i64), Vec<u8>>,
}

impl ParticipantWatch {
    /// The participants of every channel with a bot in it; `None` without bots.
    pub(crate) fn before(state: &State) -> Option<Self> {
        if !state.users.values().any(|u| u.bot) {
            return None;
        }
        let mut before = BTreeMap::new();
        for rec in state.channels.values().filter(|c| has_bot(state, c)) {
            for user in rec.members.keys().chain(rec.kicked.keys()) {
                if let Some(p) = channels::participant(rec, 0, *user) {
                    before.insert((rec.id, *user), p.to_bytes());
                }
            }
        }
        Some(Self { before })
    }

    /// Records and pushes `updateChannelParticipant` to the bots concerned by every change
    /// since [`ParticipantWatch::before`].
    pub(crate) fn after(self, cx: &mut Cx<'_>) {
        let mut now = BTreeMap::new();
        for rec in cx.state.channels.values().filter(|c| has_bot(cx.state, c)) {
            for user in rec.members.keys().chain(rec.kicked.keys()) {
                if let Some(p) = channels::participant(rec, 0, *user) {
                    now.insert((rec.id, *user), p.to_bytes());
                }
            }
        }
        let keys: BTreeSet<(i64, i64)> = self.before.keys().chain(now.keys()).copied().collect();
        let actor = cx.me().ok();
        for (channel, user) in keys {
            let prev = self.before.get(&(channel, user));
            let new = now.get(&(channel, user));
            if prev == new {
                continue;
            }
            let Some(rec) = cx.state.channels.get(&channel) else {
                continue;
            };
            let is_bot = |id: i64| cx.state.users.get(&id).is_some_and(|u| u.bot);
            // The channel's admin bots, and a bot about itself.
            let mut bots: BTreeSet<i64> = rec
                .members
                .keys()
                .copied()
                .filter(|&m| is_bot(m) && rec.is_admin(m))
                .collect();
            if is_bot(user) {
                bots.insert(user);
            }
            for bot in bots {
                record(
                    cx,
                    bot,
                    QtsKind::ChannelParticipant {
                        channel,
                        user,
                        actor: actor.unwrap_or(user),
                        prev: prev.cloned().map(Bytes),
                        new: new.cloned().map(Bytes),
                    },
                );
            }
        }
    }
}

fn has_bot(state: &State, rec: &ChannelRec) -> bool {
    rec.members
        .keys()
        .chain(rec.kicked.keys())
        .any(|id| state.users.get(id).is_some_and(|u| u.bot))
}

/// Records `kind` as the next qts step of `account` and pushes it to its sessions.
pub(crate) fn record(cx: &mut Cx<'_>, account: i64, kind: QtsKind) {
    let now = cx.now;
    let mbox = box_mut(cx.state, account);
    mbox.record_qts(now, kind);
    let Some(event) = mbox.qts_events.last().cloned() else {
        return;
    };
    cx.dirty = true;
    let refs = refs_of(&event);
    let updates = refs.updates(cx.state, account, vec![update_of(&event)], now);
    if cx.me().ok() == Some(account) {
        // A qts step of the caller's own account: its calling session needs it too (the
        // answer does not carry it).
        cx.pushes
            .push(super::Push::new(super::Target::Caller, updates.clone()));
    }
    cx.push(account, updates);
}

/// The events of `account` after `qts`, as updates, with the users they name added to `refs`.
pub(crate) fn replay_after(
    state: &super::model::State,
    account: i64,
    qts: i32,
    refs: &mut Refs,
) -> Vec<enums::Update> {
    let Some(mbox) = state.boxes.get(&account) else {
        return Vec::new();
    };
    let first = mbox.qts_events.partition_point(|e| e.qts <= qts);
    mbox.qts_events[first..]
        .iter()
        .map(|event| {
            add_refs(event, refs);
            update_of(event)
        })
        .collect()
}
