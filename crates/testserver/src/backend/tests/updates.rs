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
        message: String::new(),
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
        about: String::new(),
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
