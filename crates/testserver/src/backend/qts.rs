//! The qts sequence: updates for bots that Telegram numbers with `qts` rather than pts, kept
//! per account and replayed by `updates.getDifference` after the client's `qts`.
//!
//! Modelled: `updateBotStopped`, sent to a bot when a user blocks it (`stopped`) or unblocks
//! it (`contacts.block` / `contacts.unblock`). Each event is one qts step of the bot's account,
//! pushed in an `updates` container (seq 0: qts orders it) and recorded for differences, where
//! it comes back in `other_updates` (`new_encrypted_messages` stays empty: no secret chats).

use tgwire_tl_types::{enums, types};

use super::messages::box_mut;
use super::model::{QtsEvent, QtsKind};
use super::present::Refs;
use super::Cx;

/// The update a qts event is delivered as.
pub(crate) fn update_of(event: &QtsEvent) -> enums::Update {
    match event.kind {
        QtsKind::BotStopped { user, stopped } => types::UpdateBotStopped {
            user_id: user,
            date: event.date,
            stopped,
            qts: event.qts,
        }
        .into(),
    }
}

/// The users an event names.
fn refs_of(event: &QtsEvent) -> Refs {
    let mut refs = Refs::default();
    match event.kind {
        QtsKind::BotStopped { user, .. } => refs.user(user),
    };
    refs
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
    cx.push_with(account, vec![update_of(&event)], &refs);
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
            match event.kind {
                QtsKind::BotStopped { user, .. } => refs.user(user),
            };
            update_of(event)
        })
        .collect()
}
