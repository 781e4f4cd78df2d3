//! Applying the answers of `updates.getDifference` and `updates.getChannelDifference`.

use std::sync::Arc;
use std::time::Instant;

use tgwire_session::UpdateState;
use tgwire_tl_types::{enums, types};

use super::boxes::{self, BoxKey, Position};
use super::gap::{Entry, Fetch, PtsBox};
use super::{pending, Engine, Peers};

/// A message of a difference as the update that would have carried it (the difference does
/// not say which `pts` each took: `pts` is the box's position after the difference and
/// `pts_count` 0).
fn as_new_message(message: enums::Message, pts: i32) -> enums::Update {
    let in_channel = match &message {
        enums::Message::Message(m) => matches!(m.peer_id, enums::Peer::Channel(_)),
        enums::Message::Service(m) => matches!(m.peer_id, enums::Peer::Channel(_)),
        enums::Message::Empty(m) => matches!(m.peer_id, Some(enums::Peer::Channel(_))),
    };
    if in_channel {
        types::UpdateNewChannelMessage {
            message,
            pts,
            pts_count: 0,
        }
        .into()
    } else {
        types::UpdateNewMessage {
            message,
            pts,
            pts_count: 0,
        }
        .into()
    }
}

impl Engine {
    /// The answer to [`Request::GetDifference`](super::Request::GetDifference).
    pub fn handle_difference(&mut self, difference: enums::updates::Difference, now: Instant) {
        use enums::updates::Difference as D;
        if log::log_enabled!(log::Level::Trace) {
            let (kind, messages, others, state) = match &difference {
                D::Empty(_) => ("empty", 0, 0, None),
                D::Difference(d) => (
                    "difference",
                    d.new_messages.len(),
                    d.other_updates.len(),
                    Some(&d.state),
                ),
                D::Slice(d) => (
                    "slice",
                    d.new_messages.len(),
                    d.other_updates.len(),
                    Some(&d.intermediate_state),
                ),
                D::TooLong(_) => ("too long", 0, 0, None),
            };
            log::trace!(
                "difference from pts {:?}: {kind}, {messages} messages, {others} other updates, state {state:?}",
                self.common.pts
            );
        }
        match difference {
            D::Empty(d) => {
                self.date = d.date;
                self.seq = d.seq;
                self.dirty_common = true;
                self.initialised = true;
                self.finish_common(now);
            }
            D::Difference(d) => {
                let d = *d;
                let enums::updates::State::State(state) = d.state;
                self.apply_difference(
                    d.new_messages,
                    d.new_encrypted_messages,
                    d.other_updates,
                    Peers {
                        users: d.users,
                        chats: d.chats,
                    },
                    &state,
                    now,
                );
                self.finish_common(now);
            }
            D::Slice(d) => {
                let d = *d;
                let enums::updates::State::State(state) = d.intermediate_state;
                self.apply_difference(
                    d.new_messages,
                    d.new_encrypted_messages,
                    d.other_updates,
                    Peers {
                        users: d.users,
                        chats: d.chats,
                    },
                    &state,
                    now,
                );
                // More to fetch: the next slice goes out before anything held is looked at.
                self.common.fetch = Fetch::Wanted;
            }
            D::TooLong(d) => {
                log::info!(
                    "difference too long: skipping to pts {} (updates in between are not fetched)",
                    d.pts
                );
                self.stats.too_long += 1;
                self.common.pts = Some(d.pts);
                self.dirty_common = true;
                self.initialised = true;
                self.finish_common(now);
            }
        }
    }

    fn apply_difference(
        &mut self,
        new_messages: Vec<enums::Message>,
        new_encrypted: Vec<enums::EncryptedMessage>,
        other_updates: Vec<enums::Update>,
        peers: Peers,
        state: &types::updates::State,
        now: Instant,
    ) {
        let peers = Arc::new(peers);
        for message in new_messages {
            self.push_out(as_new_message(message, state.pts), Arc::clone(&peers));
        }
        for message in new_encrypted {
            let update = types::UpdateNewEncryptedMessage {
                message,
                qts: state.qts,
            }
            .into();
            self.push_out(update, Arc::clone(&peers));
        }
        for update in other_updates {
            match boxes::position(&update) {
                // Channel updates keep their own order, checked against the channel's box.
                Position::Boxed {
                    key: key @ BoxKey::Channel(_),
                    pts,
                    count,
                } => {
                    let entry = Entry {
                        pts,
                        count,
                        update: Some(update),
                        peers: Arc::clone(&peers),
                    };
                    self.offer(key, entry, now);
                }
                Position::ChannelTooLong { channel_id, pts } => {
                    self.channel_too_long(channel_id, pts)
                }
                Position::PtsChanged => self.need_state = true,
                // The common and secondary boxes' updates are covered by the new state.
                Position::Boxed { .. } | Position::Unboxed => {
                    self.push_out(update, Arc::clone(&peers))
                }
            }
        }
        self.set_common_state(UpdateState {
            pts: state.pts,
            qts: state.qts,
            date: state.date,
            seq: state.seq,
        });
        self.initialised = true;
    }

    /// The answer to [`Request::GetChannelDifference`](super::Request::GetChannelDifference)
    /// for `channel_id`.
    pub fn handle_channel_difference(
        &mut self,
        channel_id: i64,
        difference: enums::updates::ChannelDifference,
        now: Instant,
    ) {
        use enums::updates::ChannelDifference as D;
        self.channels
            .entry(channel_id)
            .or_insert_with(|| PtsBox::new(None));
        pending(&mut self.pending).dirty_channels.insert(channel_id);
        match difference {
            D::Empty(d) => {
                if let Some(b) = self.channels.get_mut(&channel_id) {
                    b.pts = Some(d.pts);
                }
                self.finish_channel(channel_id, d.r#final, d.timeout, now);
            }
            D::ChannelDifference(d) => {
                let d = *d;
                let peers = Arc::new(Peers {
                    users: d.users,
                    chats: d.chats,
                });
                let mut max_id = 0;
                for message in d.new_messages {
                    max_id = max_id.max(boxes::message_id(&message));
                    self.push_out(as_new_message(message, d.pts), Arc::clone(&peers));
                }
                for update in d.other_updates {
                    match boxes::position(&update) {
                        Position::ChannelTooLong { .. } | Position::PtsChanged => {}
                        _ => self.push_out(update, Arc::clone(&peers)),
                    }
                }
                if let Some(b) = self.channels.get_mut(&channel_id) {
                    b.pts = Some(d.pts);
                    b.max_message_id = b.max_message_id.max(max_id);
                }
                self.finish_channel(channel_id, d.r#final, d.timeout, now);
            }
            D::TooLong(d) => {
                let d = *d;
                self.stats.too_long += 1;
                let pts = match &d.dialog {
                    enums::Dialog::Dialog(dialog) => dialog.pts,
                    _ => None,
                };
                let peers = Arc::new(Peers {
                    users: d.users,
                    chats: d.chats,
                });
                let mut messages = d.messages;
                messages.sort_by_key(boxes::message_id);
                let (already, new_pts) = match self.channels.get(&channel_id) {
                    Some(b) => (b.max_message_id, pts.or(b.pts)),
                    None => (0, pts),
                };
                log::info!(
                    "channel {channel_id} difference too long: skipping to pts {new_pts:?}, handing out its latest messages"
                );
                let mut max_id = already;
                for message in messages {
                    let id = boxes::message_id(&message);
                    if id <= already {
                        continue;
                    }
                    max_id = max_id.max(id);
                    self.push_out(
                        as_new_message(message, new_pts.unwrap_or(0)),
                        Arc::clone(&peers),
                    );
                }
                if let Some(b) = self.channels.get_mut(&channel_id) {
                    b.pts = new_pts;
                    b.max_message_id = max_id;
                }
                self.finish_channel(channel_id, d.r#final, d.timeout, now);
            }
        }
    }
}
