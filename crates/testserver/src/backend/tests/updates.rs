//! What is pushed, in which form, to whom: every session of every account involved, the short
//! forms, `seq` and `updatesCombined`, qts, differences (slices, too long), channel
//! differences, typing and status.

use tgwire_tl_types::{enums, functions, types};

use super::channels::{create, input_peer_channel, invite};

use super::*;

fn save_draft(peer: enums::InputPeer, text: &str) -> functions::messages::SaveDraft {
    functions::messages::SaveDraft {
        no_webpage: true,
        invert_media: false,
        reply_to: None,
        peer,
        message: text.into(),
        entities: None,
        media: None,
        effect: None,
        suggested_post: None,
        rich_message: None,
    }
}

fn get_difference(client: &Client, pts: i32, qts: i32, date: i32) -> enums::updates::Difference {
    client.ok(&functions::updates::GetDifference {
        pts,
        pts_limit: None,
        pts_total_limit: None,
        date,
        qts,
        qts_limit: None,
    })
}

/// A basic group of `creator` and `members`, created through the API; returns its id.
fn basic_group(creator: &Client, b: &Backend, members: &[i64]) -> i64 {
    let enums::messages::InvitedUsers::InvitedUsers(created) =
        creator.ok(&functions::messages::CreateChat {
            users: members.iter().map(|&m| input_user(b, m)).collect(),
            title: "Group".into(),
            ttl_period: None,
        });
    let chats = match &created.updates {
        enums::Updates::Updates(u) => &u.chats,
        enums::Updates::Combined(u) => &u.chats,
        other => panic!("{other:?}"),
    };
    chats
        .iter()
        .find_map(|c| match c {
            enums::Chat::Chat(c) => Some(c.id),
            _ => None,
        })
        .unwrap()
}

#[test]
fn group_and_channel_messages_reach_every_session_of_sender_and_members() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut alice_phone = Client::connect(&b, 2);
    alice_phone.sign_in("9996620001");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    let mut bob_tablet = bob.second_session();

    let chat = basic_group(&alice, &b, &[bob_id]);
    alice_phone.pushed();
    bob.pushed();
    bob_tablet.pushed();
    let answer = alice.send_text(
        types::InputPeerChat { chat_id: chat }.into(),
        "to the group",
    );
    // The caller's answer is a full `updates` (updateMessageID + updateNewMessage).
    assert!(matches!(answer, enums::Updates::Updates(_)), "{answer:?}");
    for session in [&mut bob, &mut bob_tablet] {
        let pushed = session.pushed();
        let [enums::Updates::UpdateShortChatMessage(short)] = pushed.as_slice() else {
            panic!("{pushed:?}")
        };
        assert_eq!((short.from_id, short.chat_id), (alice_id, chat));
        assert!(!short.out);
        assert_eq!(short.message, "to the group");
    }
    let pushed = alice_phone.pushed();
    let [enums::Updates::UpdateShortChatMessage(short)] = pushed.as_slice() else {
        panic!("{pushed:?}")
    };
    assert!(short.out, "the sender's other device sees it as outgoing");
    assert_eq!(short.pts, b.pts(alice_id).unwrap());

    // Channels: every member session and the sender's other device, with the channel's pts.
    let channel = create(&alice, "News", true);
    invite(&alice, &b, channel, &[bob_id]).unwrap();
    alice_phone.pushed();
    bob.pushed();
    bob_tablet.pushed();
    alice.send_text(input_peer_channel(&b, channel), "in the channel");
    let pts = b.channel_pts(channel).unwrap();
    for session in [&mut bob, &mut bob_tablet, &mut alice_phone] {
        let pushed = session.pushed();
        assert_eq!(
            new_messages(&pushed),
            vec![(pts, 1, "in the channel".into())]
        );
        let enums::Updates::Updates(updates) = &pushed[0] else {
            panic!("{pushed:?}")
        };
        assert_eq!(updates.seq, 0, "pts-ordered containers carry no seq");
        assert!(updates
            .chats
            .iter()
            .any(|c| matches!(c, enums::Chat::Channel(c) if c.id == channel)));
    }
}

#[test]
fn messages_naming_other_users_or_carrying_media_come_in_full() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    let carol = b.create_user("9996620003", "Carol", None).unwrap();

    // A mention of Carol: Bob may not know her, so the update carries her.
    let mut mention = send_message(input_peer_user(&b, bob_id), "ask Carol");
    mention.entities = Some(vec![types::InputMessageEntityMentionName {
        offset: 4,
        length: 5,
        user_id: input_user(&b, carol),
    }
    .into()]);
    alice.ok(&mention);
    let pushed = bob.pushed();
    let [enums::Updates::Updates(updates)] = pushed.as_slice() else {
        panic!("{pushed:?}")
    };
    let ids: Vec<i64> = updates.users.iter().map(user_id).collect();
    assert!(ids.contains(&carol) && ids.contains(&alice_id), "{ids:?}");

    // Media is never short.
    alice.ok(&functions::messages::SendMedia {
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: input_peer_user(&b, bob_id),
        reply_to: None,
        media: types::InputMediaGeoPoint {
            geo_point: types::InputGeoPoint {
                lat: 1.0,
                long: 2.0,
                accuracy_radius: None,
            }
            .into(),
        }
        .into(),
        message: String::new().into(),
        random_id: rand::random(),
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
    });
    let pushed = bob.pushed();
    assert!(
        matches!(pushed.as_slice(), [enums::Updates::Updates(_)]),
        "{pushed:?}"
    );
    // Plain text with a reply stays short (a reply names only a message id).
    let mut reply = send_message(input_peer_user(&b, bob_id), "and this");
    reply.reply_to = Some(
        types::InputReplyToMessage {
            reply_to_msg_id: 1,
            top_msg_id: None,
            reply_to_peer_id: None,
            quote_text: None,
            quote_entities: None,
            quote_offset: None,
            monoforum_peer_id: None,
            todo_item_id: None,
            poll_option: None,
        }
        .into(),
    );
    alice.ok(&reply);
    let pushed = bob.pushed();
    assert!(
        matches!(pushed.as_slice(), [enums::Updates::UpdateShortMessage(s)] if s.reply_to.is_some()),
        "{pushed:?}"
    );
}

#[test]
fn seq_numbers_containers_of_seq_updates_for_every_session() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    alice.sign_in("9996620001");
    let mut laptop = alice.second_session();
    let mut phone = Client::connect(&b, 2);
    phone.sign_in("9996620001");
    assert_eq!(alice.state().seq, 0);

    // Creating a channel: `updateChannel` is seq-ordered. The answer and the other sessions'
    // push carry the same step.
    let answer = alice.ok(&functions::channels::CreateChannel {
        broadcast: true,
        megagroup: false,
        for_import: false,
        forum: false,
        title: "Seq".into(),
        about: String::new().into(),
        geo_point: None,
        address: None,
        ttl_period: None,
    });
    let enums::Updates::Updates(answer) = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(answer.seq, 1);
    for session in [&mut laptop, &mut phone] {
        let pushed = session.pushed();
        let [enums::Updates::Updates(updates)] = pushed.as_slice() else {
            panic!("{pushed:?}")
        };
        assert_eq!(updates.seq, 1);
        assert!(updates
            .updates
            .iter()
            .any(|u| matches!(u, enums::Update::Channel(_))));
        // The channel's service message came in the same container.
        assert!(updates
            .updates
            .iter()
            .any(|u| matches!(u, enums::Update::NewChannelMessage(_))));
    }
    assert_eq!(alice.state().seq, 1);

    // A draft answers `true`: the calling session is pushed the step itself.
    let mut caller = alice;
    assert!(caller.ok(&save_draft(enums::InputPeer::InputPeerSelf, "later")));
    for session in [&mut caller, &mut laptop, &mut phone] {
        let pushed = session.pushed();
        let [enums::Updates::Updates(updates)] = pushed.as_slice() else {
            panic!("{pushed:?}")
        };
        assert_eq!(updates.seq, 2);
        assert!(matches!(
            updates.updates.as_slice(),
            [enums::Update::DraftMessage(_)]
        ));
    }
    // getState and an empty difference report the account's seq.
    let state = caller.state();
    assert_eq!(state.seq, 2);
    // (A second later than the state, so the channel's creation in this same second is not
    // reported as news.)
    let enums::updates::Difference::Empty(empty) =
        get_difference(&caller, state.pts, 0, state.date + 1)
    else {
        panic!()
    };
    assert_eq!(empty.seq, 2);

    // Pts-only traffic leaves seq alone.
    caller.send_text(enums::InputPeer::InputPeerSelf, "note");
    assert_eq!(caller.state().seq, 2);
}

#[test]
fn several_seq_steps_in_one_call_come_as_updates_combined() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut phone = alice.second_session();
    // A send that clears a draft: the draft update and the message share one container and
    // one seq step.
    let bob = b.create_user("9996620002", "Bob", None).unwrap();
    alice.ok(&save_draft(input_peer_user(&b, bob), "draft"));
    phone.pushed();
    let seq = alice.state().seq;

    let mut send = send_message(input_peer_user(&b, bob), "sent");
    send.clear_draft = true;
    alice.ok(&send);
    let pushed = phone.pushed();
    let [enums::Updates::Updates(updates)] = pushed.as_slice() else {
        panic!("{pushed:?}")
    };
    // The cleared draft and the outgoing message, in one container, one seq step.
    assert_eq!(updates.seq, seq + 1);
    assert_eq!(updates.updates.len(), 2);

    // Two seq-ordered containers queued for one account in one call (no handler does this
    // yet; group actions will) go out as one `updatesCombined` spanning both steps.
    b.with_cx(&CallContext::default(), |cx| {
        cx.push_with(
            alice_id,
            vec![types::UpdateChannel { channel_id: 1 }.into()],
            &crate::backend::present::Refs::default(),
        );
        cx.push_with(
            alice_id,
            vec![types::UpdateChannel { channel_id: 2 }.into()],
            &crate::backend::present::Refs::default(),
        );
    });
    let pushed = phone.pushed();
    let [enums::Updates::Combined(combined)] = pushed.as_slice() else {
        panic!("{pushed:?}")
    };
    assert_eq!((combined.seq_start, combined.seq), (seq + 2, seq + 3));
    assert_eq!(alice.state().seq, seq + 3);
}

/// A bot signed in through `auth.importBotAuthorization` (bot id 777).
fn bot_client(b: &Backend) -> (Client, i64) {
    let bot = Client::connect(b, 2);
    bot.ok(&functions::auth::ImportBotAuthorization {
        flags: 0,
        api_id: 1,
        api_hash: "x".into(),
        bot_auth_token: "777:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq".into(),
    });
    (bot, 777)
}

#[test]
fn blocking_a_bot_is_a_qts_update_that_get_difference_replays() {
    let b = backend();
    let (mut bot, bot_id) = bot_client(&b);
    let user = Client::connect(&b, 2);
    let user_id = user.sign_in("9996620001");
    let mut user_phone = user.second_session();
    user.send_text(input_peer_user(&b, bot_id), "/start");
    bot.pushed();
    user_phone.pushed();
    assert_eq!(bot.state().qts, 0);

    let block = functions::contacts::Block {
        my_stories_from: false,
        id: input_peer_user(&b, bot_id),
    };
    assert!(user.ok(&block));
    let pushed = bot.pushed();
    let [enums::Updates::Updates(updates)] = pushed.as_slice() else {
        panic!("{pushed:?}")
    };
    assert_eq!(updates.seq, 0, "qts orders it, not seq");
    assert_eq!(
        updates.updates,
        vec![types::UpdateBotStopped {
            user_id,
            date: updates.date,
            stopped: true,
            qts: 1,
        }
        .into()]
    );
    assert!(updates.users.iter().any(|u| super::user_id(u) == user_id));
    // The blocker's other device learns of it (a seq update).
    let pushed = user_phone.pushed();
    assert!(
        matches!(pushed.as_slice(), [enums::Updates::Updates(u)]
            if u.seq > 0 && matches!(u.updates[0], enums::Update::PeerBlocked(_))),
        "{pushed:?}"
    );
    // A blocked bot cannot write to the user.
    assert_eq!(
        bot.call(&send_message(input_peer_user(&b, user_id), "hello?"))
            .unwrap_err(),
        err(403, "USER_IS_BLOCKED")
    );

    // Unblocking while the bot's updates are lost: getDifference from qts 0 replays both.
    b.faults().drop_updates(5);
    user.ok(&functions::contacts::Unblock {
        my_stories_from: false,
        id: input_peer_user(&b, bot_id),
    });
    b.faults().clear();
    assert!(bot.pushed().is_empty());
    let state = bot.state();
    assert_eq!(state.qts, 2);
    let enums::updates::Difference::Difference(diff) =
        get_difference(&bot, state.pts, 0, state.date)
    else {
        panic!()
    };
    assert!(diff.new_encrypted_messages.is_empty());
    let replayed: Vec<(i32, bool)> = diff
        .other_updates
        .iter()
        .filter_map(|u| match u {
            enums::Update::BotStopped(u) => Some((u.qts, u.stopped)),
            _ => None,
        })
        .collect();
    assert_eq!(replayed, vec![(1, true), (2, false)]);
    let enums::updates::State::State(after) = &diff.state;
    assert_eq!(after.qts, 2);
    // From qts 1 only the second; from 2 nothing.
    let enums::updates::Difference::Difference(diff) =
        get_difference(&bot, state.pts, 1, state.date + 1)
    else {
        panic!()
    };
    assert_eq!(diff.other_updates.len(), 1);
    assert!(matches!(
        get_difference(&bot, state.pts, 2, state.date + 1),
        enums::updates::Difference::Empty(_)
    ));
    // The bot can write again.
    bot.ok(&send_message(input_peer_user(&b, user_id), "welcome back"));
}

#[test]
fn far_behind_clients_get_slices_then_too_long() {
    let b = backend();
    b.set_update_limits(crate::backend::UpdateLimits {
        difference_slice: 3,
        difference_too_long: 10,
        ..Default::default()
    });
    let alice = Client::connect(&b, 2);
    alice.sign_in("9996620001");
    let start = alice.state();
    for i in 0..8 {
        alice.send_text(enums::InputPeer::InputPeerSelf, &format!("m{i}"));
    }
    // Slices of three, each continuing from its intermediate state.
    let mut pts = start.pts;
    let mut seen = Vec::new();
    loop {
        match get_difference(&alice, pts, 0, start.date) {
            enums::updates::Difference::Slice(slice) => {
                assert_eq!(slice.new_messages.len(), 3);
                seen.extend(slice.new_messages.iter().map(text_of));
                let enums::updates::State::State(state) = &slice.intermediate_state;
                assert_eq!(state.date, start.date, "the client's date is kept");
                pts = state.pts;
            }
            enums::updates::Difference::Difference(last) => {
                seen.extend(last.new_messages.iter().map(text_of));
                let enums::updates::State::State(state) = &last.state;
                assert_eq!(state.pts, 8);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen, (0..8).map(|i| format!("m{i}")).collect::<Vec<_>>());
    // pts_total_limit lowers the too-long threshold, as documented.
    let limited = alice.ok(&functions::updates::GetDifference {
        pts: 0,
        pts_limit: None,
        pts_total_limit: Some(5),
        date: start.date,
        qts: 0,
        qts_limit: None,
    });
    assert_eq!(limited, types::updates::DifferenceTooLong { pts: 8 }.into());
    // More than ten behind: too long, with the pts to start over from.
    for i in 8..12 {
        alice.send_text(enums::InputPeer::InputPeerSelf, &format!("m{i}"));
    }
    assert_eq!(
        get_difference(&alice, 1, 0, start.date),
        types::updates::DifferenceTooLong { pts: 12 }.into()
    );
    assert!(matches!(
        get_difference(&alice, 2, 0, start.date),
        enums::updates::Difference::Slice(_)
    ));
}

#[test]
fn channel_differences_page_by_limit_until_final() {
    let b = backend();
    let (owner, _, member, group) = super::channels::group_of_two(&b, "Paged");
    let from = b.channel_pts(group).unwrap();
    for i in 0..7 {
        owner.send_text(input_peer_channel(&b, group), &format!("c{i}"));
    }
    let mut pts = from;
    let mut pages = Vec::new();
    loop {
        let answer = member.ok(&functions::updates::GetChannelDifference {
            force: false,
            channel: super::channels::input_channel(&b, group),
            filter: enums::ChannelMessagesFilter::Empty,
            pts,
            limit: 3,
        });
        let enums::updates::ChannelDifference::ChannelDifference(diff) = answer else {
            panic!("{answer:?}")
        };
        pages.push(diff.new_messages.iter().map(text_of).collect::<Vec<_>>());
        pts = diff.pts;
        if diff.r#final {
            assert!(diff.timeout.is_some());
            break;
        }
        assert!(diff.timeout.is_none());
    }
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 1]
    );
    assert_eq!(pts, b.channel_pts(group).unwrap());
    assert_eq!(pages[2], vec!["c6".to_owned()]);
}

/// The id of the message a send created, from its answer.
fn sent_id(answer: &enums::Updates) -> i32 {
    match answer {
        enums::Updates::UpdateShortSentMessage(sent) => sent.id,
        other => inner_updates(other)
            .iter()
            .find_map(|u| match u {
                enums::Update::MessageId(u) => Some(u.id),
                _ => None,
            })
            .expect("updateMessageID in the answer"),
    }
}

/// (what, pts, pts_count) of every pts-carrying update in `pushed`, short forms included.
fn pts_events(pushed: &[enums::Updates]) -> Vec<(&'static str, i32, i32)> {
    let mut out = Vec::new();
    for container in pushed {
        match container {
            enums::Updates::UpdateShortMessage(u) => out.push(("new", u.pts, u.pts_count)),
            enums::Updates::UpdateShortChatMessage(u) => out.push(("new", u.pts, u.pts_count)),
            other => {
                for update in inner_updates(other) {
                    use enums::Update as U;
                    out.push(match update {
                        U::NewMessage(u) => ("new", u.pts, u.pts_count),
                        U::NewChannelMessage(u) => ("new", u.pts, u.pts_count),
                        U::EditMessage(u) => ("edit", u.pts, u.pts_count),
                        U::EditChannelMessage(u) => ("edit", u.pts, u.pts_count),
                        U::DeleteMessages(u) => ("delete", u.pts, u.pts_count),
                        U::DeleteChannelMessages(u) => ("delete", u.pts, u.pts_count),
                        U::ReadHistoryInbox(u) => ("read_in", u.pts, u.pts_count),
                        U::ReadHistoryOutbox(u) => ("read_out", u.pts, u.pts_count),
                        U::ReadChannelInbox(u) => ("read_in", u.pts, 0),
                        U::ReadChannelOutbox(_) => ("read_out", 0, 0),
                        _ => continue,
                    });
                }
            }
        }
    }
    out
}

/// Each pts event follows the one before it (`pts - pts_count` is the previous pts).
fn assert_contiguous(events: &[(&str, i32, i32)], from: i32) {
    let mut pts = from;
    for &(what, event_pts, count) in events {
        if count == 0 {
            continue; // read marks of channels carry the pts they were read at, not a step
        }
        assert_eq!(event_pts - count, pts, "{what} in {events:?}");
        pts = event_pts;
    }
}

#[test]
fn new_edit_delete_and_read_are_pushed_and_replayed_in_every_kind_of_chat() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut alice_tab = alice.second_session();
    let bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    let mut bob_tab = bob.second_session();
    let chat = basic_group(&alice, &b, &[bob_id]);
    let group = create(&alice, "Mega", true);
    invite(&alice, &b, group, &[bob_id]).unwrap();
    let broadcast = create(&alice, "Broadcast", false);
    invite(&alice, &b, broadcast, &[bob_id]).unwrap();
    alice_tab.pushed();
    bob_tab.pushed();

    let edit = |peer: enums::InputPeer, id| functions::messages::EditMessage {
        no_webpage: false,
        invert_media: false,
        peer,
        id,
        message: Some("edited".into()),
        media: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        quick_reply_shortcut_id: None,
        rich_message: None,
    };
    let peers: [(enums::InputPeer, enums::InputPeer, Option<i64>); 4] = [
        (
            input_peer_user(&b, bob_id),
            input_peer_user(&b, alice_id),
            None,
        ),
        (
            types::InputPeerChat { chat_id: chat }.into(),
            types::InputPeerChat { chat_id: chat }.into(),
            None,
        ),
        (
            input_peer_channel(&b, group),
            input_peer_channel(&b, group),
            Some(group),
        ),
        (
            input_peer_channel(&b, broadcast),
            input_peer_channel(&b, broadcast),
            Some(broadcast),
        ),
    ];
    for (to, from_bob, channel) in peers {
        let bob_state = bob.state();
        let channel_start = channel.map(|c| b.channel_pts(c).unwrap());
        let first = sent_id(&alice.send_text(to.clone(), "first"));
        let second = sent_id(&alice.send_text(to.clone(), "second"));
        alice.ok(&edit(to.clone(), first));
        match channel {
            Some(c) => {
                alice.ok(&functions::channels::DeleteMessages {
                    channel: super::channels::input_channel(&b, c),
                    id: vec![second],
                });
                assert!(bob.ok(&functions::channels::ReadHistory {
                    channel: super::channels::input_channel(&b, c),
                    max_id: 0,
                }));
            }
            None => {
                alice.ok(&functions::messages::DeleteMessages {
                    revoke: true,
                    id: vec![second],
                });
                bob.ok(&functions::messages::ReadHistory {
                    peer: from_bob.clone(),
                    max_id: 0,
                });
            }
        }

        // Live: Bob's other session sees every step in pts order.
        let live = pts_events(&bob_tab.pushed());
        let kinds: Vec<&str> = live.iter().map(|e| e.0).collect();
        assert_eq!(
            kinds,
            ["new", "new", "edit", "delete", "read_in"],
            "{channel:?}"
        );
        assert_contiguous(&live, channel_start.unwrap_or(bob_state.pts));
        // Alice's other session saw her own messages, and Bob's read where it has an author.
        let alice_live = pts_events(&alice_tab.pushed());
        let alice_kinds: Vec<&str> = alice_live.iter().map(|e| e.0).collect();
        let expected_alice: &[&str] = if channel == Some(broadcast) {
            &["new", "new", "edit", "delete"]
        } else {
            &["new", "new", "edit", "delete", "read_out"]
        };
        assert_eq!(alice_kinds, expected_alice, "{channel:?}");

        // Replayed: from where Bob was, the surviving message with its edit, the edit and
        // the deletion.
        let (new_messages, other_updates) = match channel {
            Some(c) => {
                let answer = bob.ok(&functions::updates::GetChannelDifference {
                    force: false,
                    channel: super::channels::input_channel(&b, c),
                    filter: enums::ChannelMessagesFilter::Empty,
                    pts: channel_start.unwrap(),
                    limit: 100,
                });
                let enums::updates::ChannelDifference::ChannelDifference(diff) = answer else {
                    panic!("{answer:?}")
                };
                (diff.new_messages, diff.other_updates)
            }
            None => {
                let enums::updates::Difference::Difference(diff) =
                    get_difference(&bob, bob_state.pts, 0, bob_state.date + 1)
                else {
                    panic!()
                };
                (diff.new_messages, diff.other_updates)
            }
        };
        assert_eq!(
            new_messages.iter().map(text_of).collect::<Vec<_>>(),
            ["edited"],
            "{channel:?}"
        );
        let replayed = pts_events(&[types::Updates {
            updates: other_updates,
            users: Vec::new(),
            chats: Vec::new(),
            date: 0,
            seq: 0,
        }
        .into()]);
        let replayed_kinds: Vec<&str> = replayed.iter().map(|e| e.0).collect();
        let expected: &[&str] = match channel {
            // A channel's read marks are not channel events.
            Some(_) => &["edit", "delete"],
            None => &["edit", "delete", "read_in"],
        };
        assert_eq!(replayed_kinds, expected, "{channel:?}");
    }
}

#[test]
fn typing_and_status_reach_the_people_who_see_them() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    let mut carol = Client::connect(&b, 2);
    let carol_id = carol.sign_in("9996620003");
    let mut dave = Client::connect(&b, 2);
    dave.sign_in("9996620004");
    // Bob has a chat with Alice; Carol has her as a contact; Dave neither.
    alice.send_text(input_peer_user(&b, bob_id), "hi");
    b.add_contact(carol_id, alice_id).unwrap();
    let chat = basic_group(&alice, &b, &[bob_id, carol_id]);
    let group = create(&alice, "Typing", true);
    invite(&alice, &b, group, &[bob_id]).unwrap();
    for c in [&mut bob, &mut carol, &mut dave] {
        c.pushed();
    }

    let typing = |peer| functions::messages::SetTyping {
        peer,
        top_msg_id: None,
        action: enums::SendMessageAction::SendMessageTypingAction,
    };
    alice.ok(&typing(input_peer_user(&b, bob_id)));
    alice.ok(&typing(types::InputPeerChat { chat_id: chat }.into()));
    alice.ok(&typing(input_peer_channel(&b, group)));
    let shorts = |pushed: Vec<enums::Updates>| -> Vec<enums::Update> {
        pushed
            .into_iter()
            .map(|u| match u {
                enums::Updates::UpdateShort(s) => s.update,
                other => panic!("typing and status come as updateShort: {other:?}"),
            })
            .collect()
    };
    let got = shorts(bob.pushed());
    assert!(matches!(&got[..], [
        enums::Update::UserTyping(u),
        enums::Update::ChatUserTyping(c),
        enums::Update::ChannelUserTyping(ch),
    ] if u.user_id == alice_id && c.chat_id == chat && ch.channel_id == group));
    let got = shorts(carol.pushed());
    assert!(
        matches!(&got[..], [enums::Update::ChatUserTyping(_)]),
        "{got:?}"
    );
    assert!(dave.pushed().is_empty());
    // Typing is no event: the pts did not move.
    assert_eq!(bob.state().pts, b.pts(bob_id).unwrap());

    // Online, then offline: contacts and chat partners hear of it, others do not.
    alice.ok(&functions::account::UpdateStatus { offline: false });
    for c in [&mut bob, &mut carol] {
        let got = shorts(c.pushed());
        assert!(
            matches!(&got[..], [enums::Update::UserStatus(s)]
                if s.user_id == alice_id && matches!(s.status, enums::UserStatus::Online(_))),
            "{got:?}"
        );
    }
    assert!(dave.pushed().is_empty());
    // Renewing a fresh "online" is not news.
    alice.ok(&functions::account::UpdateStatus { offline: false });
    assert!(bob.pushed().is_empty());
    alice.ok(&functions::account::UpdateStatus { offline: true });
    let got = shorts(bob.pushed());
    assert!(
        matches!(&got[..], [enums::Update::UserStatus(s)]
            if matches!(s.status, enums::UserStatus::Offline(_))),
        "{got:?}"
    );
    // And the user object shows it.
    let users = bob.ok(&functions::users::GetUsers {
        id: vec![input_user(&b, alice_id)],
    });
    assert!(matches!(&users[0], enums::User::User(u)
        if matches!(u.status, Some(enums::UserStatus::Offline(_)))));
}

#[test]
fn duplicated_and_delayed_pushes() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    alice.sign_in("9996620001");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");

    b.faults().duplicate_updates(1);
    alice.send_text(input_peer_user(&b, bob_id), "twice");
    assert_eq!(
        new_messages(&bob.pushed()),
        vec![(1, 1, "twice".into()), (1, 1, "twice".into())]
    );

    // Held back long enough that the next one overtakes it, on any machine.
    b.faults()
        .delay_updates(1, std::time::Duration::from_millis(1500));
    alice.send_text(input_peer_user(&b, bob_id), "late");
    alice.send_text(input_peer_user(&b, bob_id), "early");
    let mut got = new_messages(&bob.pushed());
    assert_eq!(got, vec![(3, 1, "early".into())]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while got.len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        got.extend(new_messages(&bob.pushed()));
    }
    assert_eq!(got, vec![(3, 1, "early".into()), (2, 1, "late".into())]);
}

#[test]
fn injected_messages_are_real_sends_each_pushed_on_its_own() {
    let b = backend();
    let alice = b.create_user("9996620001", "Alice", None).unwrap();
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    let texts: Vec<String> = (0..500).map(|i| format!("n{i}")).collect();
    let ids = b
        .inject_messages(alice, Peer::User(bob_id), &texts)
        .unwrap();
    assert_eq!(ids, (1..=500).collect::<Vec<_>>());
    let pushed = bob.pushed();
    assert_eq!(pushed.len(), 500, "one push per message");
    let got = new_messages(&pushed);
    let expected: Vec<(i32, i32, String)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (i32::try_from(i).unwrap() + 1, 1, t.clone()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(b.pts(bob_id), Some(500));
    // Into a channel too, with the channel's pts.
    let channel = b.create_channel(alice, "Firehose", false, None).unwrap();
    b.add_channel_member(channel, bob_id).unwrap();
    bob.pushed();
    let before = b.channel_pts(channel).unwrap();
    b.inject_messages(alice, Peer::Channel(channel), ["a", "b"])
        .unwrap();
    let got = new_messages(&bob.pushed());
    assert_eq!(
        got,
        vec![(before + 1, 1, "a".into()), (before + 2, 1, "b".into())]
    );
    // Refused like sendMessage, after sending what came before.
    assert!(b
        .inject_messages(alice, Peer::User(bob_id), ["ok", " "])
        .is_err());
    assert_eq!(b.pts(bob_id), Some(501));
    assert!(matches!(
        b.inject_messages(424_242, Peer::User(bob_id), ["x"]),
        Err(crate::backend::BackendError::UnknownUser(424_242))
    ));
}

#[test]
fn answers_wrapping_updates_take_the_callers_seq_step() {
    use tgwire_tl_types::{Deserializable, Serializable};
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut phone = alice.second_session();
    let seq = alice.state().seq;
    let chat_update: enums::Update = types::UpdateChat { chat_id: 5 }.into();
    let container = |list: Vec<enums::Update>| types::Updates {
        updates: list,
        users: Vec::new(),
        chats: Vec::new(),
        date: 1,
        seq: 0,
    };
    // A handler that pushes a seq update to its caller's account and answers with it inside
    // `messages.invitedUsers`, as createChat / addChatUser / inviteToChannel do.
    let answer = b.with_cx(&alice.ctx, |cx| {
        cx.push_with(
            alice_id,
            vec![chat_update.clone()],
            &crate::backend::present::Refs::default(),
        );
        let mut answer = enums::messages::InvitedUsers::from(types::messages::InvitedUsers {
            updates: container(vec![chat_update.clone()]).into(),
            missing_invitees: Vec::new(),
        })
        .to_bytes();
        crate::backend::sequence::seal(cx, Some(&mut answer));
        answer
    });
    let enums::messages::InvitedUsers::InvitedUsers(invited) =
        enums::messages::InvitedUsers::from_bytes(&answer).unwrap();
    let enums::Updates::Updates(updates) = &invited.updates else {
        panic!("{invited:?}")
    };
    assert_eq!(updates.seq, seq + 1);
    assert_eq!(updates.updates, vec![chat_update.clone()], "no duplicate");
    let pushed = phone.pushed();
    assert!(
        matches!(pushed.as_slice(), [enums::Updates::Updates(u)] if u.seq == seq + 1),
        "{pushed:?}"
    );
    assert_eq!(alice.state().seq, seq + 1);
}

#[test]
fn channel_too_long_replaces_a_channel_push() {
    let b = backend();
    let (owner, _, mut member, group) = super::channels::group_of_two(&b, "Backlog");
    member.pushed();
    b.faults().channel_too_long(1);
    owner.send_text(input_peer_channel(&b, group), "skipped");
    let pushed = member.pushed();
    let [enums::Updates::Updates(updates)] = pushed.as_slice() else {
        panic!("{pushed:?}")
    };
    assert_eq!(
        updates.updates,
        vec![types::UpdateChannelTooLong {
            channel_id: group,
            pts: None
        }
        .into()]
    );
    assert!(updates
        .chats
        .iter()
        .any(|c| matches!(c, enums::Chat::Channel(c) if c.id == group)));
    // The next one is pushed as usual; the skipped one is in the channel difference.
    owner.send_text(input_peer_channel(&b, group), "next");
    let pts = b.channel_pts(group).unwrap();
    assert_eq!(
        new_messages(&member.pushed()),
        vec![(pts, 1, "next".into())]
    );
    let answer = member.ok(&functions::updates::GetChannelDifference {
        force: false,
        channel: super::channels::input_channel(&b, group),
        filter: enums::ChannelMessagesFilter::Empty,
        pts: pts - 2,
        limit: 100,
    });
    let enums::updates::ChannelDifference::ChannelDifference(diff) = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(
        diff.new_messages.iter().map(text_of).collect::<Vec<_>>(),
        ["skipped", "next"]
    );
}

#[test]
fn admin_bots_hear_of_participant_changes_as_qts_updates() {
    let b = backend();
    let (mut bot, bot_id) = bot_client(&b);
    let owner = Client::connect(&b, 2);
    owner.sign_in("9996620001");
    let mut user = Client::connect(&b, 2);
    let user_id = user.sign_in("9996620002");
    let group = create(&owner, "With a bot", true);
    let participants = |pushed: &[enums::Updates]| -> Vec<(i64, bool, bool, i32)> {
        pushed
            .iter()
            .flat_map(inner_updates)
            .filter_map(|u| match u {
                enums::Update::ChannelParticipant(p) => Some((
                    p.user_id,
                    p.prev_participant.is_some(),
                    p.new_participant.is_some(),
                    p.qts,
                )),
                _ => None,
            })
            .collect()
    };

    // The bot is added: it hears of itself.
    invite(&owner, &b, group, &[bot_id]).unwrap();
    assert_eq!(participants(&bot.pushed()), vec![(bot_id, false, true, 1)]);
    // A plain member bot does not hear of others.
    invite(&owner, &b, group, &[user_id]).unwrap();
    assert!(participants(&bot.pushed()).is_empty());
    // Promoted, it hears of its promotion and then of everyone.
    owner.ok(&functions::channels::EditAdmin {
        channel: super::channels::input_channel(&b, group),
        user_id: input_user(&b, bot_id),
        admin_rights: types::ChatAdminRights {
            ban_users: true,
            ..super::super::channels::no_admin_rights()
        }
        .into(),
        rank: None,
    });
    assert_eq!(participants(&bot.pushed()), vec![(bot_id, true, true, 2)]);
    user.ok(&functions::channels::LeaveChannel {
        channel: super::channels::input_channel(&b, group),
    });
    user.pushed();
    assert_eq!(participants(&bot.pushed()), vec![(user_id, true, false, 3)]);
    // All three come back from the difference.
    let state = bot.state();
    assert_eq!(state.qts, 3);
    let enums::updates::Difference::Difference(diff) =
        get_difference(&bot, state.pts, 0, state.date + 1)
    else {
        panic!()
    };
    let replayed = participants(&[types::Updates {
        updates: diff.other_updates,
        users: Vec::new(),
        chats: Vec::new(),
        date: 0,
        seq: 0,
    }
    .into()]);
    assert_eq!(replayed.iter().map(|p| p.3).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(diff
        .chats
        .iter()
        .any(|c| matches!(c, enums::Chat::Channel(c) if c.id == group)));
}

/// A client that reconnects registers its session again while the old connection may still be
/// closing; the old connection's unregistering must not end the new registration (the client
/// would get no pushes until its next reconnect: the update soak lost chat tails this way).
#[test]
fn an_old_registration_unregistered_late_leaves_the_new_one() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620071");
    let bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620072");

    let (_old_rx, old) = b.register_session_feed(&bob.ctx);
    let (mut new_rx, new) = b.register_session_feed(&bob.ctx);
    b.unregister_session(old);
    b.send_message_as(alice_id, Peer::User(bob_id), "after the reconnect")
        .unwrap();
    let pushed = new_rx
        .try_recv()
        .expect("the new registration still gets pushes");
    let pushed = enums::Updates::from_bytes(&pushed).unwrap();
    assert!(
        matches!(pushed, enums::Updates::UpdateShortMessage(ref m) if m.message == "after the reconnect"),
        "{pushed:?}"
    );

    // Unregistering the current registration does end it.
    b.unregister_session(new);
    b.send_message_as(alice_id, Peer::User(bob_id), "after the close")
        .unwrap();
    assert!(new_rx.try_recv().is_err());
}

/// A plain message pushed alone goes out short, naming no one; two in one step go out as one
/// container, which must then carry their author (left out of each for its short form, see
/// `Cx::push_with`, and filled in when they are merged).
#[test]
fn messages_merged_in_one_step_carry_their_users() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620081");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620082");
    bob.pushed();

    b.send_message_as(alice_id, Peer::User(bob_id), "alone")
        .unwrap();
    let pushed = bob.pushed();
    assert!(
        matches!(pushed.as_slice(), [enums::Updates::UpdateShortMessage(m)] if m.message == "alone"),
        "{pushed:?}"
    );

    b.with_cx(&CallContext::default(), |cx| {
        for text in ["one", "two"] {
            let content = super::super::messages::Content {
                text: text.to_owned(),
                ..Default::default()
            };
            super::super::messages::post(cx, alice_id, Peer::User(bob_id), content, None).unwrap();
        }
    });
    let pushed = bob.pushed();
    let [enums::Updates::Updates(merged)] = pushed.as_slice() else {
        panic!("one container: {pushed:?}");
    };
    assert_eq!(merged.updates.len(), 2, "{merged:?}");
    let users: Vec<i64> = merged.users.iter().map(user_id).collect();
    assert!(
        users.contains(&alice_id),
        "the author comes along: {users:?}"
    );
}

/// Pushes go to a user's sessions through an index built at the first push; a session that
/// signs in as the user after that, or a device that signs out, must still be told apart.
#[test]
fn pushes_follow_sign_ins_and_sign_outs_after_the_first_push() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620081");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620082");
    // Connected (registered) before the first push, signed in only after it.
    let mut laptop = Client::connect(&b, 2);
    let text = |updates: Vec<enums::Updates>| -> Vec<String> {
        updates
            .into_iter()
            .map(|u| match u {
                enums::Updates::UpdateShortMessage(m) => m.message.to_string(),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    };

    b.send_message_as(alice_id, Peer::User(bob_id), "one")
        .unwrap();
    assert_eq!(text(bob.pushed()), ["one"]);
    assert!(laptop.pushed().is_empty(), "not signed in yet");

    assert_eq!(laptop.sign_in("9996620082"), bob_id);
    b.send_message_as(alice_id, Peer::User(bob_id), "two")
        .unwrap();
    assert_eq!(text(bob.pushed()), ["two"]);
    assert_eq!(
        text(laptop.pushed()),
        ["two"],
        "signed in after the first push"
    );

    laptop.ok(&functions::auth::LogOut);
    b.send_message_as(alice_id, Peer::User(bob_id), "three")
        .unwrap();
    assert_eq!(text(bob.pushed()), ["three"]);
    assert!(laptop.pushed().is_empty(), "signed out");
}
