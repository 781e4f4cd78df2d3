//! One test per rule of the engine, with virtual time.

use std::time::{Duration, Instant};

use tgwire_tl_types::{enums, types};

use super::*;

const ME: i64 = 1;
const ALICE: i64 = 7;

fn all(_: PeerId) -> bool {
    true
}

fn at(base: Instant, ms: u64) -> Instant {
    base + Duration::from_millis(ms)
}

fn user(id: i64) -> enums::User {
    crate::types::chat::tests::raw_user(id, id * 10, false, false)
}

fn text_message(id: i32, peer: enums::Peer, from: i64) -> enums::Message {
    let short = types::UpdateShortMessage {
        out: false,
        mentioned: false,
        media_unread: false,
        silent: false,
        id,
        user_id: from,
        message: format!("m{id}").into(),
        pts: 0,
        pts_count: 0,
        date: 0,
        fwd_from: None,
        via_bot_id: None,
        reply_to: None,
        entities: None,
        ttl_period: None,
    };
    let enums::Update::NewMessage(u) = short::expand_short_message(short, ME) else {
        unreachable!()
    };
    let mut message = u.message;
    if let enums::Message::Message(m) = &mut message {
        m.peer_id = peer;
    }
    message
}

fn private(id: i32, pts: i32) -> enums::Update {
    types::UpdateNewMessage {
        message: text_message(id, types::PeerUser { user_id: ALICE }.into(), ALICE),
        pts,
        pts_count: 1,
    }
    .into()
}

fn in_channel(channel: i64, id: i32, pts: i32) -> enums::Update {
    types::UpdateNewChannelMessage {
        message: text_message(
            id,
            types::PeerChannel {
                channel_id: channel,
            }
            .into(),
            ALICE,
        ),
        pts,
        pts_count: 1,
    }
    .into()
}

fn container(updates: Vec<enums::Update>, seq_start: i32, seq: i32) -> enums::Updates {
    types::UpdatesCombined {
        updates,
        users: vec![user(ALICE)],
        chats: Vec::new(),
        date: 1_000,
        seq_start,
        seq,
    }
    .into()
}

fn push(update: enums::Update) -> enums::Updates {
    container(vec![update], 0, 0)
}

fn stopped(qts: i32) -> enums::Update {
    types::UpdateBotStopped {
        user_id: ALICE,
        date: 0,
        stopped: true,
        qts,
    }
    .into()
}

fn state(pts: i32, qts: i32, seq: i32) -> types::updates::State {
    types::updates::State {
        pts,
        qts,
        date: 500,
        seq,
        unread_count: 0,
    }
}

/// An engine at pts 100, qts 10, seq 5 that has finished its start-up fetch.
fn ready(base: Instant) -> Engine {
    let mut engine = Engine::new(EngineConfig::new(ME, false), base);
    assert_eq!(engine.poll_request(base), Some(Request::GetState));
    engine.handle_state(state(100, 10, 5), base);
    assert_eq!(engine.poll_request(base), None);
    engine
}

/// The message ids handed out so far, in order.
fn drain(engine: &mut Engine) -> Vec<i32> {
    let mut ids = Vec::new();
    while let Some(h) = engine.poll_update() {
        match h.update {
            enums::Update::NewMessage(u) => ids.push(boxes::message_id(&u.message)),
            enums::Update::NewChannelMessage(u) => ids.push(boxes::message_id(&u.message)),
            enums::Update::BotStopped(u) => ids.push(u.qts),
            other => panic!("unexpected update {other:?}"),
        }
    }
    ids
}

fn feed(engine: &mut Engine, updates: enums::Updates, now: Instant) {
    engine.handle_updates(updates, Origin::Pushed, &all, now);
}

#[test]
fn in_order_updates_are_applied_and_the_state_is_saved_after_hand_out() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, push(private(1, 101)), base);
    feed(&mut e, push(private(2, 102)), base);
    // Not handed out yet: nothing may be saved.
    assert_eq!(e.take_state_changes(), None);
    assert_eq!(drain(&mut e), [1, 2]);
    let changes = e.take_state_changes().expect("state changed");
    assert_eq!(changes.common.map(|s| s.pts), Some(102));
    assert_eq!(e.take_state_changes(), None, "reported once");
    assert_eq!(e.stats().handed_out, 2);
    assert_eq!(e.poll_request(base), None);
}

#[test]
fn duplicates_are_dropped() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, push(private(1, 101)), base);
    feed(&mut e, push(private(1, 101)), base);
    feed(&mut e, push(private(0, 99)), base);
    assert_eq!(drain(&mut e), [1]);
    assert_eq!(e.stats().duplicates, 2);
}

#[test]
fn a_gap_filled_by_a_late_update_needs_no_difference() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, push(private(3, 103)), base);
    feed(&mut e, push(private(2, 102)), at(base, 100));
    assert!(drain(&mut e).is_empty(), "held while 101 is missing");
    assert_eq!(e.poll_timeout(), Some(at(base, 500)));
    feed(&mut e, push(private(1, 101)), at(base, 300));
    assert_eq!(drain(&mut e), [1, 2, 3]);
    e.handle_timeout(at(base, 600));
    assert_eq!(e.poll_request(at(base, 600)), None);
    assert_eq!(e.stats().gaps, 1);
    assert_eq!(e.stats().filled_late, 2);
    assert_eq!(e.stats().differences, 0);
}

#[test]
fn a_gap_waits_half_a_second_then_the_difference_fills_it() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, push(private(3, 103)), base);
    e.handle_timeout(at(base, 499));
    assert_eq!(e.poll_request(at(base, 499)), None, "still waiting");
    e.handle_timeout(at(base, 500));
    let Some(Request::GetDifference(req)) = e.poll_request(at(base, 500)) else {
        panic!("expected getDifference");
    };
    assert_eq!((req.pts, req.qts, req.date), (100, 10, 1_000));
    // An update arriving meanwhile waits for the answer.
    feed(&mut e, push(private(4, 104)), at(base, 550));
    assert!(drain(&mut e).is_empty());
    e.handle_difference(
        types::updates::Difference {
            new_messages: vec![
                text_message(1, types::PeerUser { user_id: ALICE }.into(), ALICE),
                text_message(2, types::PeerUser { user_id: ALICE }.into(), ALICE),
                text_message(3, types::PeerUser { user_id: ALICE }.into(), ALICE),
            ],
            new_encrypted_messages: Vec::new(),
            other_updates: Vec::new(),
            chats: Vec::new(),
            users: vec![user(ALICE)],
            state: state(103, 10, 5).into(),
        }
        .into(),
        at(base, 600),
    );
    // 1-3 from the difference, 103 dropped as covered, 104 applied after it.
    assert_eq!(drain(&mut e), [1, 2, 3, 4]);
    assert_eq!(e.state().common.pts, 104);
    assert_eq!(e.stats().duplicates, 1);
    assert_eq!(e.poll_request(at(base, 600)), None);
}

#[test]
fn containers_are_ordered_by_seq() {
    let base = Instant::now();
    let mut e = ready(base);
    // seq 6 in order, then 8 early (held), then 7 fills it; 7 again is a duplicate.
    feed(&mut e, container(vec![private(1, 101)], 6, 6), base);
    feed(&mut e, container(vec![private(3, 103)], 8, 8), base);
    assert_eq!(drain(&mut e), [1]);
    feed(&mut e, container(vec![private(2, 102)], 7, 7), base);
    assert_eq!(drain(&mut e), [2, 3]);
    feed(&mut e, container(vec![private(2, 102)], 7, 7), base);
    assert!(drain(&mut e).is_empty());
    assert_eq!(e.state().common.seq, 8);
    // updatesCombined covering seq 9..=10.
    feed(
        &mut e,
        container(vec![private(4, 104), private(5, 105)], 9, 10),
        base,
    );
    assert_eq!(drain(&mut e), [4, 5]);
    assert_eq!(e.state().common.seq, 10);
}

#[test]
fn a_seq_gap_not_filled_in_time_fetches_the_difference() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, container(vec![private(2, 102)], 7, 7), base);
    assert!(drain(&mut e).is_empty());
    e.handle_timeout(at(base, 500));
    assert!(matches!(
        e.poll_request(at(base, 500)),
        Some(Request::GetDifference(_))
    ));
    e.handle_difference(
        types::updates::Difference {
            new_messages: vec![text_message(
                1,
                types::PeerUser { user_id: ALICE }.into(),
                ALICE,
            )],
            new_encrypted_messages: Vec::new(),
            other_updates: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
            state: state(101, 10, 6).into(),
        }
        .into(),
        at(base, 600),
    );
    assert_eq!(drain(&mut e), [1, 2]);
    assert_eq!(e.state().common.seq, 7);
    assert_eq!(e.state().common.pts, 102);
}

/// What waits for a gap is kept only while it waits: once the gap is filled and the state
/// taken, an idle engine holds no pending box (it would be in every idle client's memory).
#[test]
fn an_idle_engine_keeps_nothing_pending() {
    let base = Instant::now();
    let mut e = ready(base);
    assert!(e.pending.is_none());
    // seq 7 arrives before seq 6: held, with a deadline.
    feed(&mut e, container(vec![private(2, 102)], 7, 7), base);
    assert!(e.pending.as_ref().is_some_and(|p| p.seq_held.len() == 1));
    assert_eq!(e.poll_timeout(), Some(at(base, 500)));
    feed(
        &mut e,
        container(vec![private(1, 101)], 6, 6),
        at(base, 100),
    );
    assert_eq!(drain(&mut e), [1, 2]);
    assert!(e.take_state_changes().is_some());
    assert_eq!(e.poll_request(at(base, 100)), None);
    assert!(e.pending.is_none(), "{:?}", e.pending);
    // A channel's wait, fetch and position to save come and go the same way.
    feed(&mut e, push(in_channel(5, 1, 50)), at(base, 200));
    e.handle_timeout(at(base, 700));
    feed(&mut e, push(in_channel(5, 3, 52)), at(base, 700));
    assert_eq!(drain(&mut e), [1]);
    e.handle_timeout(at(base, 1_200));
    let request = e.poll_request(at(base, 1_200)).expect("channel difference");
    assert!(matches!(
        request,
        Request::GetChannelDifference { channel_id: 5, .. }
    ));
    e.handle_request_error(&request, RequestError::Permanent, at(base, 1_200));
    assert_eq!(drain(&mut e), [3]);
    assert!(
        e.pending.is_some(),
        "the forgotten channel is still to be saved"
    );
    let changes = e.take_state_changes().expect("the forgotten channel");
    assert!(changes.channels.contains(&(5, None)));
    assert_eq!(e.poll_request(at(base, 1_200)), None);
    assert!(e.pending.is_none(), "{:?}", e.pending);
}

/// The configured waits survive the engine's compact copy of its configuration.
#[test]
fn configured_waits_are_kept_to_the_millisecond() {
    let base = Instant::now();
    let mut config = EngineConfig::new(ME, false);
    config.gap_wait = Duration::from_millis(1_234);
    config.no_updates_timeout = Duration::from_secs(3 * 24 * 60 * 60);
    let mut e = Engine::new(config, base);
    assert_eq!(e.poll_request(base), Some(Request::GetState));
    e.handle_state(state(100, 10, 5), base);
    assert_eq!(
        e.poll_timeout(),
        Some(base + Duration::from_secs(3 * 24 * 60 * 60))
    );
    feed(&mut e, push(private(2, 102)), base);
    assert_eq!(e.poll_timeout(), Some(at(base, 1_234)));
}

#[test]
fn qts_updates_follow_their_own_box() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, push(stopped(11)), base);
    feed(&mut e, push(stopped(11)), base);
    feed(&mut e, push(stopped(13)), base);
    feed(&mut e, push(stopped(12)), base);
    assert_eq!(drain(&mut e), [11, 12, 13]);
    assert_eq!(e.state().common.qts, 13);
    assert_eq!(e.state().common.pts, 100, "the common box is untouched");
    // A qts gap is filled by getDifference as well.
    feed(&mut e, push(stopped(15)), base);
    e.handle_timeout(at(base, 500));
    let Some(Request::GetDifference(req)) = e.poll_request(at(base, 500)) else {
        panic!("expected getDifference");
    };
    assert_eq!(req.qts, 13);
}

#[test]
fn short_messages_are_expanded() {
    let base = Instant::now();
    let mut e = ready(base);
    let short = types::UpdateShortMessage {
        out: true,
        mentioned: false,
        media_unread: false,
        silent: true,
        id: 42,
        user_id: ALICE,
        message: "hi".into(),
        pts: 101,
        pts_count: 1,
        date: 1_234,
        fwd_from: None,
        via_bot_id: None,
        reply_to: None,
        entities: None,
        ttl_period: None,
    };
    feed(&mut e, short.into(), base);
    let chat = types::UpdateShortChatMessage {
        out: false,
        mentioned: true,
        media_unread: false,
        silent: false,
        id: 43,
        from_id: ALICE,
        chat_id: 55,
        message: "group".into(),
        pts: 102,
        pts_count: 1,
        date: 1_235,
        fwd_from: None,
        via_bot_id: None,
        reply_to: None,
        entities: None,
        ttl_period: None,
    };
    feed(&mut e, chat.into(), base);
    let first = e.poll_update().expect("private message");
    let enums::Update::NewMessage(u) = first.update else {
        panic!("not a new message")
    };
    let enums::Message::Message(m) = u.message else {
        panic!("not a message")
    };
    assert_eq!(
        (m.id, m.message.as_str(), m.out, m.silent),
        (42, "hi", true, true)
    );
    assert_eq!(m.from_id, Some(types::PeerUser { user_id: ME }.into()));
    assert_eq!(m.peer_id, types::PeerUser { user_id: ALICE }.into());
    assert_eq!((u.pts, m.date), (101, 1_234));
    let second = e.poll_update().expect("group message");
    let enums::Update::NewMessage(u) = second.update else {
        panic!("not a new message")
    };
    let enums::Message::Message(m) = u.message else {
        panic!("not a message")
    };
    assert_eq!(m.from_id, Some(types::PeerUser { user_id: ALICE }.into()));
    assert_eq!(m.peer_id, types::PeerChat { chat_id: 55 }.into());
    assert!(m.mentioned);
    assert_eq!(e.state().common.date, 1_235);
}

#[test]
fn own_sends_advance_the_box_without_being_handed_out() {
    let base = Instant::now();
    let mut e = ready(base);
    let sent = types::UpdateShortSentMessage {
        out: true,
        id: 9,
        pts: 101,
        pts_count: 1,
        date: 2_000,
        media: None,
        entities: None,
        ttl_period: None,
    };
    e.handle_updates(sent.into(), Origin::OwnRequest, &all, base);
    e.handle_updates(
        container(vec![private(10, 102)], 0, 0),
        Origin::OwnRequest,
        &all,
        base,
    );
    e.handle_affected(BoxKey::Common, 104, 2, base);
    // The next push follows without a gap.
    feed(&mut e, push(private(11, 105)), base);
    assert_eq!(drain(&mut e), [11]);
    e.handle_timeout(at(base, 1_000));
    assert_eq!(e.poll_request(at(base, 1_000)), None);
    assert_eq!(e.stats().gaps, 0);
    assert_eq!(e.stats().differences, 0);
}

#[test]
fn an_own_answer_that_arrives_after_the_next_push_fills_the_gap_late() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, push(private(11, 102)), base);
    e.handle_affected(BoxKey::Common, 101, 1, at(base, 10));
    assert_eq!(drain(&mut e), [11]);
    e.handle_timeout(at(base, 1_000));
    assert_eq!(e.poll_request(at(base, 1_000)), None);
}

#[test]
fn difference_slices_are_fetched_until_the_last() {
    let base = Instant::now();
    let mut e = ready(base);
    e.handle_connection_reset(base);
    let Some(Request::GetDifference(first)) = e.poll_request(base) else {
        panic!("expected getDifference");
    };
    assert_eq!(first.pts, 100);
    let peer: enums::Peer = types::PeerUser { user_id: ALICE }.into();
    e.handle_difference(
        types::updates::DifferenceSlice {
            new_messages: vec![text_message(1, peer.clone(), ALICE)],
            new_encrypted_messages: Vec::new(),
            other_updates: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
            intermediate_state: state(101, 10, 5).into(),
        }
        .into(),
        base,
    );
    let Some(Request::GetDifference(second)) = e.poll_request(base) else {
        panic!("a slice is followed by the next one");
    };
    assert_eq!(second.pts, 101);
    e.handle_difference(
        types::updates::Difference {
            new_messages: vec![text_message(2, peer, ALICE)],
            new_encrypted_messages: Vec::new(),
            other_updates: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
            state: state(102, 10, 5).into(),
        }
        .into(),
        base,
    );
    assert_eq!(e.poll_request(base), None);
    assert_eq!(drain(&mut e), [1, 2]);
    assert_eq!(e.stats().differences, 2);
}

#[test]
fn too_long_answers_reset_the_position() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, enums::Updates::TooLong, base);
    assert!(matches!(
        e.poll_request(base),
        Some(Request::GetDifference(_))
    ));
    e.handle_difference(
        types::updates::DifferenceTooLong { pts: 5_000 }.into(),
        base,
    );
    assert_eq!(e.state().common.pts, 5_000);
    feed(&mut e, push(private(1, 5_001)), base);
    assert_eq!(drain(&mut e), [1]);
    assert_eq!(e.stats().too_long, 2);
}

#[test]
fn an_empty_difference_updates_date_and_seq() {
    let base = Instant::now();
    let mut e = ready(base);
    e.handle_connection_reset(base);
    assert!(e.poll_request(base).is_some());
    e.handle_difference(
        types::updates::DifferenceEmpty {
            date: 9_999,
            seq: 42,
        }
        .into(),
        base,
    );
    assert_eq!(e.state().common.date, 9_999);
    assert_eq!(e.state().common.seq, 42);
    assert_eq!(e.state().common.pts, 100);
}

#[test]
fn channels_keep_their_own_pts_and_fetch_their_own_difference() {
    let base = Instant::now();
    let mut e = ready(base);
    // Unknown channels: their first updates wait one gap wait, then start the box.
    feed(&mut e, push(in_channel(5, 1, 50)), base);
    feed(&mut e, push(in_channel(5, 2, 51)), base);
    feed(&mut e, push(in_channel(6, 1, 7)), base);
    assert!(drain(&mut e).is_empty());
    e.handle_timeout(at(base, 500));
    // Each channel's updates in its own order; the two channels may interleave either way.
    let mut out = drain(&mut e);
    out.sort_unstable();
    assert_eq!(out, [1, 1, 2]);
    assert_eq!(e.state().channels, [(5, 51), (6, 7)]);
    // A gap in channel 5 only.
    feed(&mut e, push(in_channel(5, 5, 54)), base);
    feed(&mut e, push(in_channel(6, 2, 8)), base);
    assert_eq!(drain(&mut e), [2]);
    e.handle_timeout(at(base, 500));
    assert_eq!(
        e.poll_request(at(base, 500)),
        Some(Request::GetChannelDifference {
            channel_id: 5,
            pts: 51,
            limit: 100
        })
    );
    let peer: enums::Peer = types::PeerChannel { channel_id: 5 }.into();
    e.handle_channel_difference(
        5,
        types::updates::ChannelDifference {
            r#final: false,
            pts: 52,
            timeout: None,
            new_messages: vec![text_message(3, peer.clone(), ALICE)],
            other_updates: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
        }
        .into(),
        at(base, 600),
    );
    assert_eq!(
        e.poll_request(at(base, 600)),
        Some(Request::GetChannelDifference {
            channel_id: 5,
            pts: 52,
            limit: 100
        }),
        "not final: fetch on"
    );
    e.handle_channel_difference(
        5,
        types::updates::ChannelDifference {
            r#final: true,
            pts: 54,
            timeout: Some(30),
            new_messages: vec![
                text_message(4, peer.clone(), ALICE),
                text_message(5, peer, ALICE),
            ],
            other_updates: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
        }
        .into(),
        at(base, 700),
    );
    // 5 (pts 54) was held and is a duplicate of the difference's.
    assert_eq!(drain(&mut e), [3, 4, 5]);
    assert_eq!(e.state().channels, [(5, 54), (6, 8)]);
    assert_eq!(e.poll_request(at(base, 700)), None);
    // The server's timeout schedules the next poll of channel 5.
    assert_eq!(e.poll_timeout(), Some(at(base, 30_700)));
    e.handle_timeout(at(base, 30_700));
    assert!(matches!(
        e.poll_request(at(base, 30_700)),
        Some(Request::GetChannelDifference { channel_id: 5, .. })
    ));
    e.handle_channel_difference(
        5,
        types::updates::ChannelDifferenceEmpty {
            r#final: true,
            pts: 54,
            timeout: Some(30),
        }
        .into(),
        at(base, 30_800),
    );
    assert!(drain(&mut e).is_empty());
}

#[test]
fn channel_difference_too_long_resets_and_hands_out_the_newest_messages_once() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, push(in_channel(5, 10, 50)), base);
    e.handle_timeout(at(base, 500));
    assert_eq!(drain(&mut e), [10]);
    // Carrying a pts the channel is already at, it needs no fetch.
    feed(
        &mut e,
        push(
            types::UpdateChannelTooLong {
                channel_id: 5,
                pts: Some(50),
            }
            .into(),
        ),
        base,
    );
    assert_eq!(e.poll_request(base), None);
    feed(
        &mut e,
        push(
            types::UpdateChannelTooLong {
                channel_id: 5,
                pts: None,
            }
            .into(),
        ),
        base,
    );
    assert!(matches!(
        e.poll_request(base),
        Some(Request::GetChannelDifference {
            channel_id: 5,
            pts: 50,
            ..
        })
    ));
    let peer: enums::Peer = types::PeerChannel { channel_id: 5 }.into();
    let dialog = types::Dialog {
        pinned: false,
        unread_mark: false,
        view_forum_as_messages: false,
        peer: peer.clone(),
        top_message: 300,
        read_inbox_max_id: 0,
        read_outbox_max_id: 0,
        unread_count: 0,
        unread_mentions_count: 0,
        unread_reactions_count: 0,
        unread_poll_votes_count: 0,
        notify_settings: types::PeerNotifySettings {
            show_previews: None,
            silent: None,
            mute_until: None,
            ios_sound: None,
            android_sound: None,
            other_sound: None,
            stories_muted: None,
            stories_hide_sender: None,
            stories_ios_sound: None,
            stories_android_sound: None,
            stories_other_sound: None,
        }
        .into(),
        pts: Some(400),
        draft: None,
        folder_id: None,
        ttl_period: None,
    };
    e.handle_channel_difference(
        5,
        types::updates::ChannelDifferenceTooLong {
            r#final: true,
            timeout: None,
            dialog: dialog.into(),
            // Newest first, as servers send them; 10 was handed out already.
            messages: vec![
                text_message(300, peer.clone(), ALICE),
                text_message(299, peer.clone(), ALICE),
                text_message(10, peer, ALICE),
            ],
            chats: Vec::new(),
            users: Vec::new(),
        }
        .into(),
        base,
    );
    assert_eq!(drain(&mut e), [299, 300]);
    assert_eq!(e.state().channels, [(5, 400)]);
    feed(&mut e, push(in_channel(5, 301, 401)), base);
    assert_eq!(drain(&mut e), [301]);
}

#[test]
fn channel_too_long_in_a_difference_fetches_the_channel() {
    let base = Instant::now();
    let mut e = Engine::with_state(
        EngineConfig::new(ME, false),
        SavedState {
            common: tgwire_session::UpdateState {
                pts: 100,
                qts: 10,
                date: 500,
                seq: 5,
            },
            channels: vec![(5, 50)],
        },
        base,
    );
    // Catch-up: getDifference first.
    let Some(Request::GetDifference(req)) = e.poll_request(base) else {
        panic!("a saved state catches up with getDifference");
    };
    assert_eq!((req.pts, req.date), (100, 500));
    e.handle_difference(
        types::updates::Difference {
            new_messages: Vec::new(),
            new_encrypted_messages: Vec::new(),
            other_updates: vec![types::UpdateChannelTooLong {
                channel_id: 5,
                pts: None,
            }
            .into()],
            chats: Vec::new(),
            users: Vec::new(),
            state: state(100, 10, 5).into(),
        }
        .into(),
        base,
    );
    assert_eq!(
        e.poll_request(base),
        Some(Request::GetChannelDifference {
            channel_id: 5,
            pts: 50,
            limit: 100
        })
    );
}

#[test]
fn fifteen_minutes_without_updates_fetch_the_difference() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, push(private(1, 101)), at(base, 1_000));
    drain(&mut e);
    let quiet = at(base, 1_000) + Duration::from_secs(15 * 60);
    assert_eq!(e.poll_timeout(), Some(quiet));
    e.handle_timeout(quiet - Duration::from_millis(1));
    assert_eq!(e.poll_request(quiet), None);
    e.handle_timeout(quiet);
    assert!(matches!(
        e.poll_request(quiet),
        Some(Request::GetDifference(_))
    ));
}

#[test]
fn a_reconnect_during_a_difference_fetches_again_after_it() {
    let base = Instant::now();
    let mut e = ready(base);
    e.handle_connection_reset(base);
    assert!(e.poll_request(base).is_some());
    e.handle_connection_reset(base);
    assert_eq!(e.poll_request(base), None, "one at a time");
    e.handle_difference(
        types::updates::DifferenceEmpty { date: 1, seq: 5 }.into(),
        base,
    );
    assert!(matches!(
        e.poll_request(base),
        Some(Request::GetDifference(_))
    ));
}

#[test]
fn updates_naming_unknown_peers_are_refilled_by_the_difference() {
    let base = Instant::now();
    let mut e = ready(base);
    let nobody = |_: PeerId| false;
    let short = types::UpdateShortMessage {
        out: false,
        mentioned: false,
        media_unread: false,
        silent: false,
        id: 1,
        user_id: 99,
        message: "who am I".into(),
        pts: 101,
        pts_count: 1,
        date: 1,
        fwd_from: None,
        via_bot_id: None,
        reply_to: None,
        entities: None,
        ttl_period: None,
    };
    e.handle_updates(short.into(), Origin::Pushed, &nobody, base);
    assert!(drain(&mut e).is_empty(), "not handed out half-empty");
    assert!(
        matches!(e.poll_request(base), Some(Request::GetDifference(_))),
        "fetched at once"
    );
    assert_eq!(e.stats().missing_peers, 1);
    // The same message in a container that carries its sender in full goes through.
    let mut e = ready(base);
    e.handle_updates(push(private(1, 101)), Origin::Pushed, &nobody, base);
    assert_eq!(drain(&mut e), [1]);
    // A min user in the container is not enough.
    let mut e = ready(base);
    let min = crate::types::chat::tests::raw_user(ALICE, 1, false, true);
    let updates = types::Updates {
        updates: vec![private(1, 101)],
        users: vec![min],
        chats: Vec::new(),
        date: 1,
        seq: 0,
    };
    e.handle_updates(updates.into(), Origin::Pushed, &nobody, base);
    assert!(drain(&mut e).is_empty());
    // …unless the cache knows the user in full.
    let mut e = ready(base);
    let min = crate::types::chat::tests::raw_user(ALICE, 1, false, true);
    let updates = types::Updates {
        updates: vec![private(1, 101)],
        users: vec![min],
        chats: Vec::new(),
        date: 1,
        seq: 0,
    };
    e.handle_updates(updates.into(), Origin::Pushed, &all, base);
    assert_eq!(drain(&mut e), [1]);
}

#[test]
fn updates_before_the_first_state_wait_for_it() {
    let base = Instant::now();
    let mut e = Engine::new(EngineConfig::new(ME, false), base);
    feed(&mut e, push(private(1, 101)), base);
    feed(&mut e, push(private(2, 102)), base);
    assert!(drain(&mut e).is_empty());
    assert_eq!(
        e.take_state_changes(),
        None,
        "nothing to save before a state"
    );
    assert_eq!(e.poll_request(base), Some(Request::GetState));
    // The state says 101 happened before it: only 102 is new.
    e.handle_state(state(101, 0, 0), base);
    assert_eq!(drain(&mut e), [2]);
    assert_eq!(e.state().common.pts, 102);
}

#[test]
fn failed_fetches_are_retried_and_lost_channels_are_forgotten() {
    let base = Instant::now();
    let mut e = ready(base);
    e.handle_connection_reset(base);
    let request = e.poll_request(base).expect("getDifference");
    e.handle_request_error(&request, RequestError::Transient, base);
    assert_eq!(e.poll_request(base), None);
    assert_eq!(e.poll_timeout(), Some(at(base, 1_000)));
    e.handle_timeout(at(base, 1_000));
    assert!(matches!(
        e.poll_request(at(base, 1_000)),
        Some(Request::GetDifference(_))
    ));
    e.handle_difference(
        types::updates::DifferenceEmpty { date: 1, seq: 5 }.into(),
        base,
    );

    feed(&mut e, push(in_channel(5, 1, 50)), base);
    e.handle_timeout(at(base, 500));
    feed(&mut e, push(in_channel(5, 3, 52)), at(base, 500));
    assert_eq!(drain(&mut e), [1]);
    e.handle_timeout(at(base, 1000));
    let request = e.poll_request(at(base, 1000)).expect("channel difference");
    e.handle_request_error(&request, RequestError::Permanent, at(base, 1000));
    assert_eq!(drain(&mut e), [3], "what was held is handed out");
    assert!(e.state().channels.is_empty());
    let changes = e.take_state_changes().expect("the channel is forgotten");
    assert!(changes.channels.contains(&(5, None)));
}

#[test]
fn state_changes_wait_until_everything_was_handed_out() {
    let base = Instant::now();
    let mut e = ready(base);
    feed(&mut e, push(private(1, 101)), base);
    feed(&mut e, push(in_channel(5, 1, 50)), base);
    e.handle_timeout(at(base, 500));
    assert!(e.poll_update().is_some());
    assert_eq!(e.take_state_changes(), None, "one update still waits");
    assert!(e.poll_update().is_some());
    let changes = e.take_state_changes().expect("now");
    assert_eq!(changes.common.map(|s| s.pts), Some(101));
    assert_eq!(changes.channels, [(5, Some(50))]);
}

#[test]
fn an_unknown_channels_first_updates_wait_for_overtaken_ones() {
    let base = Instant::now();
    let mut e = ready(base);
    // The channel's second message overtakes its first: neither is lost.
    feed(&mut e, push(in_channel(7, 2, 31)), base);
    feed(&mut e, push(in_channel(7, 1, 30)), at(base, 200));
    assert!(drain(&mut e).is_empty(), "held for one gap wait");
    assert_eq!(e.poll_timeout(), Some(at(base, 500)));
    e.handle_timeout(at(base, 500));
    assert_eq!(drain(&mut e), [1, 2]);
    assert_eq!(e.state().channels, [(7, 31)]);
    // From now on the channel is known: the next update goes out at once.
    feed(&mut e, push(in_channel(7, 3, 32)), at(base, 600));
    assert_eq!(drain(&mut e), [3]);
}
