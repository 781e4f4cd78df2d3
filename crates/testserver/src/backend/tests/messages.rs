//! Messages between users: pts sequences, pushes to the right sessions, gaps and
//! `updates.getDifference`, history paging, edits, deletions, forwards, search, dialogs, reads.

use tgwire_tl_types::{enums, functions, types};

use super::*;

fn difference(client: &Client, pts: i32) -> enums::updates::Difference {
    client.ok(&functions::updates::GetDifference {
        pts,
        pts_limit: None,
        pts_total_limit: None,
        date: 0,
        qts: 0,
        qts_limit: None,
    })
}

#[test]
fn message_to_self_is_short_sent_and_reaches_the_other_session() {
    let b = backend();
    let client = Client::connect(&b, 2);
    let me = client.sign_in("9996621234");
    let mut other = client.second_session();
    assert_eq!(client.state().pts, 0);

    let answer = client.send_text(enums::InputPeer::InputPeerSelf, "hello me");
    let enums::Updates::UpdateShortSentMessage(sent) = answer else {
        panic!("{answer:?}")
    };
    assert!(sent.out);
    assert_eq!((sent.id, sent.pts, sent.pts_count), (1, 1, 1));

    // The calling session gets nothing pushed; the other session of the same key gets the
    // plain text in the short form, as on Telegram: outgoing, to the account itself.
    let pushed = other.pushed();
    assert_eq!(new_messages(&pushed), vec![(1, 1, "hello me".into())]);
    let enums::Updates::UpdateShortMessage(short) = &pushed[0] else {
        panic!("{pushed:?}")
    };
    assert!(short.out);
    assert_eq!((short.id, short.user_id), (1, me));

    let history = client.ok(&get_history(enums::InputPeer::InputPeerSelf, 0, 0, 10));
    assert_eq!(texts(&history), vec![(1, "hello me".into())]);
    let by_id = client.ok(&functions::messages::GetMessages {
        id: vec![
            types::InputMessageId { id: 1 }.into(),
            types::InputMessageId { id: 99 }.into(),
        ],
    });
    assert_eq!(
        texts(&by_id),
        vec![(1, "hello me".into()), (99, "<empty>".into())]
    );
    assert_eq!(client.state().pts, 1);
}

#[test]
fn private_message_reaches_every_session_of_the_recipient_with_its_own_pts() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut alice_phone = Client::connect(&b, 2);
    alice_phone.sign_in("9996620001");
    let mut bob = Client::connect(&b, 1);
    let bob_id = bob.sign_in("9996610002");
    let mut bob_tablet = Client::connect(&b, 1);
    assert_eq!(bob_tablet.sign_in("9996610002"), bob_id);

    // Bob's box already has a message of his own, so the pts differ from Alice's.
    bob.send_text(enums::InputPeer::InputPeerSelf, "note to self");
    bob_tablet.pushed();

    let sent = alice.send_text(input_peer_user(&b, bob_id), "hi bob");
    let enums::Updates::UpdateShortSentMessage(sent) = sent else {
        panic!()
    };
    assert_eq!((sent.id, sent.pts), (1, 1));

    for session in [&mut bob, &mut bob_tablet] {
        let pushed = session.pushed();
        assert_eq!(new_messages(&pushed), vec![(2, 1, "hi bob".into())]);
        // Plain text in a private chat comes short, naming the sender only by id.
        let enums::Updates::UpdateShortMessage(short) = &pushed[0] else {
            panic!("{pushed:?}")
        };
        assert!(!short.out);
        assert_eq!(short.id, 2, "ids are per box");
        assert_eq!(short.user_id, alice_id);
    }
    // A client that lacks Alice gets her, with her access hash, from getDifference.
    let enums::updates::Difference::Difference(diff) = difference(&bob, 1) else {
        panic!()
    };
    let enums::User::User(alice_user) = diff.users.iter().find(|u| user_id(u) == alice_id).unwrap()
    else {
        panic!()
    };
    assert_eq!(alice_user.access_hash, b.user_access_hash(alice_id));
    // Alice's other device sees her outgoing message, addressed to Bob.
    let pushed = alice_phone.pushed();
    assert_eq!(new_messages(&pushed), vec![(1, 1, "hi bob".into())]);
    let enums::Updates::UpdateShortMessage(short) = &pushed[0] else {
        panic!("{pushed:?}")
    };
    assert!(short.out);
    assert_eq!(short.user_id, bob_id);

    // Bob answers using the hash from the update; a wrong hash is refused.
    let wrong = types::InputPeerUser {
        user_id: alice_id,
        access_hash: 12345,
    };
    assert_eq!(
        bob.call(&send_message(wrong.into(), "x")).unwrap_err(),
        err(400, "PEER_ID_INVALID")
    );
    bob.send_text(input_peer_user(&b, alice_id), "hi alice");
    assert_eq!(
        b.history(alice_id, Peer::User(bob_id))
            .iter()
            .map(|m| (m.id, m.text.as_str(), m.out))
            .collect::<Vec<_>>(),
        vec![(1, "hi bob", true), (2, "hi alice", false)]
    );
}

#[test]
fn dropped_updates_leave_a_gap_that_get_difference_fills() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    alice.sign_in("9996620001");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    let start = bob.state().pts;

    b.faults().drop_updates(2);
    for text in ["one", "two", "three"] {
        alice.send_text(input_peer_user(&b, bob_id), text);
    }
    // Only the third arrives: its pts shows the client that two are missing.
    let pushed = bob.pushed();
    assert_eq!(new_messages(&pushed), vec![(start + 3, 1, "three".into())]);

    let enums::updates::Difference::Difference(diff) = difference(&bob, start) else {
        panic!()
    };
    let got: Vec<String> = diff.new_messages.iter().map(text_of).collect();
    assert_eq!(got, vec!["one", "two", "three"]);
    let enums::updates::State::State(state) = &diff.state;
    assert_eq!(state.pts, start + 3);
    assert!(diff
        .users
        .iter()
        .any(|u| matches!(u, enums::User::User(u) if u.access_hash.is_some())));

    // Up to date: empty; from the middle: only what is after.
    assert!(matches!(
        difference(&bob, start + 3),
        enums::updates::Difference::Empty(_)
    ));
    let enums::updates::Difference::Difference(diff) = difference(&bob, start + 2) else {
        panic!()
    };
    assert_eq!(
        diff.new_messages.iter().map(text_of).collect::<Vec<_>>(),
        vec!["three"]
    );
    // A client ahead of the server starts over.
    assert!(matches!(
        difference(&bob, start + 50),
        enums::updates::Difference::TooLong(_)
    ));
}

#[test]
fn updates_too_long_replaces_the_next_push() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    alice.sign_in("9996620001");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    b.faults().updates_too_long();
    alice.send_text(input_peer_user(&b, bob_id), "lost in the noise");
    alice.send_text(input_peer_user(&b, bob_id), "next");
    let pushed = bob.pushed();
    assert!(matches!(pushed[0], enums::Updates::TooLong));
    assert_eq!(new_messages(&pushed[1..]), vec![(2, 1, "next".into())]);
}

#[test]
fn long_differences_come_in_slices() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    alice.sign_in("9996620001");
    for i in 0..130 {
        alice.send_text(enums::InputPeer::InputPeerSelf, &format!("m{i}"));
    }
    let enums::updates::Difference::Slice(slice) = difference(&alice, 0) else {
        panic!()
    };
    assert_eq!(slice.new_messages.len(), 100);
    let enums::updates::State::State(state) = &slice.intermediate_state;
    assert_eq!(state.pts, 100);
    let enums::updates::Difference::Difference(rest) = difference(&alice, state.pts) else {
        panic!()
    };
    assert_eq!(rest.new_messages.len(), 30);
    assert_eq!(text_of(&rest.new_messages[29]), "m129");
}

#[test]
fn history_pages_like_telegram() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996620001");
    for i in 1..=10 {
        client.send_text(enums::InputPeer::InputPeerSelf, &format!("m{i}"));
    }
    let ids = |offset_id, add_offset, limit| -> Vec<i32> {
        texts(&client.ok(&get_history(
            enums::InputPeer::InputPeerSelf,
            offset_id,
            add_offset,
            limit,
        )))
        .into_iter()
        .map(|(id, _)| id)
        .collect()
    };
    assert_eq!(ids(0, 0, 3), vec![10, 9, 8]);
    assert_eq!(ids(8, 0, 3), vec![7, 6, 5]);
    assert_eq!(ids(8, -2, 3), vec![9, 8, 7]);
    assert_eq!(ids(3, 0, 5), vec![2, 1]);
    assert_eq!(ids(0, -5, 3), Vec::<i32>::new());
    // A partial page says how many there are in all.
    let enums::messages::Messages::Slice(slice) =
        client.ok(&get_history(enums::InputPeer::InputPeerSelf, 0, 0, 3))
    else {
        panic!()
    };
    assert_eq!(slice.count, 10);
    assert!(matches!(
        client.ok(&get_history(enums::InputPeer::InputPeerSelf, 0, 0, 50)),
        enums::messages::Messages::Messages(_)
    ));
}

#[test]
fn edit_and_revoke_reach_both_sides_with_pts() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    alice.send_text(input_peer_user(&b, bob_id), "frist");
    bob.pushed();

    let edit = |id, text: &str| functions::messages::EditMessage {
        no_webpage: false,
        invert_media: false,
        peer: input_peer_user(&b, bob_id),
        id,
        message: Some(text.into()),
        media: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        quick_reply_shortcut_id: None,
        rich_message: None,
    };
    let answer = alice.ok(&edit(1, "first"));
    let updates = inner_updates(&answer);
    let enums::Update::EditMessage(own) = &updates[0] else {
        panic!()
    };
    assert_eq!(own.pts, 2);
    assert_eq!(
        alice.call(&edit(1, "first")).unwrap_err(),
        err(400, "MESSAGE_NOT_MODIFIED")
    );
    // Bob cannot edit Alice's message.
    let bob_edit = functions::messages::EditMessage {
        peer: input_peer_user(&b, alice_id),
        ..edit(1, "hacked")
    };
    assert_eq!(
        bob.call(&bob_edit).unwrap_err(),
        err(403, "MESSAGE_AUTHOR_REQUIRED")
    );
    let pushed = bob.pushed();
    let edited: Vec<(i32, String)> = pushed
        .iter()
        .flat_map(inner_updates)
        .filter_map(|u| match u {
            enums::Update::EditMessage(u) => Some((u.pts, text_of(&u.message))),
            _ => None,
        })
        .collect();
    assert_eq!(edited, vec![(2, "first".into())]);

    let enums::messages::AffectedMessages::AffectedMessages(affected) =
        alice.ok(&functions::messages::DeleteMessages {
            revoke: true,
            id: vec![1, 42],
        });
    assert_eq!((affected.pts, affected.pts_count), (3, 1));
    let deleted: Vec<(Vec<i32>, i32)> = bob
        .pushed()
        .iter()
        .flat_map(inner_updates)
        .filter_map(|u| match u {
            enums::Update::DeleteMessages(u) => Some((u.messages, u.pts)),
            _ => None,
        })
        .collect();
    assert_eq!(deleted, vec![(vec![1], 3)]);
    assert!(b.history(bob_id, Peer::User(alice_id)).is_empty());

    // The difference from the start leaves out the deleted message (and its edit) but replays
    // the deletion.
    let enums::updates::Difference::Difference(diff) = difference(&bob, 0) else {
        panic!()
    };
    assert!(diff.new_messages.is_empty());
    assert_eq!(
        diff.other_updates,
        vec![types::UpdateDeleteMessages {
            messages: vec![1],
            pts: 3,
            pts_count: 1
        }
        .into()]
    );
}

#[test]
fn read_history_moves_both_read_marks() {
    let b = backend();
    let mut alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    for text in ["a", "b", "c"] {
        alice.send_text(input_peer_user(&b, bob_id), text);
    }
    assert_eq!(bob.state().unread_count, 3);
    let enums::messages::AffectedMessages::AffectedMessages(affected) =
        bob.ok(&functions::messages::ReadHistory {
            peer: input_peer_user(&b, alice_id),
            max_id: 2,
        });
    assert_eq!((affected.pts, affected.pts_count), (4, 1));
    assert_eq!(bob.state().unread_count, 1);
    let outbox: Vec<(i32, i32)> = alice
        .pushed()
        .iter()
        .flat_map(inner_updates)
        .filter_map(|u| match u {
            enums::Update::ReadHistoryOutbox(u) => Some((u.max_id, u.pts)),
            _ => None,
        })
        .collect();
    assert_eq!(outbox, vec![(2, 4)]);
}

#[test]
fn dialogs_list_most_recent_first_with_top_messages() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    alice.send_text(enums::InputPeer::InputPeerSelf, "saved");
    alice.send_text(input_peer_user(&b, bob_id), "to bob");
    let request = functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id: None,
        offset_date: 0,
        offset_id: 0,
        offset_peer: enums::InputPeer::Empty,
        limit: 100,
        hash: 0,
    };
    let enums::messages::Dialogs::Dialogs(dialogs) = alice.ok(&request) else {
        panic!()
    };
    let peers: Vec<(enums::Peer, i32)> = dialogs
        .dialogs
        .iter()
        .map(|d| {
            let enums::Dialog::Dialog(d) = d else {
                panic!()
            };
            (d.peer.clone(), d.top_message)
        })
        .collect();
    assert_eq!(
        peers,
        vec![
            (types::PeerUser { user_id: bob_id }.into(), 2),
            (types::PeerUser { user_id: alice_id }.into(), 1)
        ]
    );
    assert_eq!(dialogs.messages.len(), 2);
    assert_eq!(dialogs.users.len(), 2);
    // Paging by one gives a slice with the total.
    let enums::messages::Dialogs::Slice(slice) = alice.ok(&functions::messages::GetDialogs {
        limit: 1,
        ..request
    }) else {
        panic!()
    };
    assert_eq!((slice.count, slice.dialogs.len()), (2, 1));

    let enums::messages::PeerDialogs::PeerDialogs(peer_dialogs) =
        bob.ok(&functions::messages::GetPeerDialogs {
            peers: vec![types::InputDialogPeer {
                peer: input_peer_user(&b, alice_id),
            }
            .into()],
        });
    let enums::Dialog::Dialog(dialog) = &peer_dialogs.dialogs[0] else {
        panic!()
    };
    assert_eq!((dialog.top_message, dialog.unread_count), (1, 1));
}

#[test]
fn forward_and_search() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    alice.send_text(enums::InputPeer::InputPeerSelf, "Rust is fun");
    alice.send_text(enums::InputPeer::InputPeerSelf, "so is TL");
    let answer = alice.ok(&functions::messages::ForwardMessages {
        silent: false,
        background: false,
        with_my_score: false,
        drop_author: false,
        drop_media_captions: false,
        noforwards: false,
        allow_paid_floodskip: false,
        from_ephemeral: false,
        from_peer: enums::InputPeer::InputPeerSelf,
        id: vec![1, 2],
        random_id: vec![11, 12],
        to_peer: input_peer_user(&b, bob_id),
        top_msg_id: None,
        reply_to: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        video_timestamp: None,
        allow_paid_stars: None,
        suggested_post: None,
    });
    let ids: Vec<(i32, i64)> = inner_updates(&answer)
        .into_iter()
        .filter_map(|u| match u {
            enums::Update::MessageId(u) => Some((u.id, u.random_id)),
            _ => None,
        })
        .collect();
    assert_eq!(ids, vec![(3, 11), (4, 12)]);
    let history = bob.ok(&get_history(input_peer_user(&b, alice_id), 0, 0, 10));
    let enums::messages::Messages::Messages(history) = history else {
        panic!()
    };
    let enums::Message::Message(first) = &history.messages[1] else {
        panic!()
    };
    let enums::MessageFwdHeader::MessageFwdHeader(fwd) = first.fwd_from.as_ref().unwrap();
    assert_eq!(
        fwd.from_id,
        Some(types::PeerUser { user_id: alice_id }.into())
    );

    let search = |q: &str| functions::messages::Search {
        peer: input_peer_user(&b, alice_id),
        q: q.into(),
        from_id: None,
        saved_peer_id: None,
        saved_reaction: None,
        top_msg_id: None,
        filter: enums::MessagesFilter::InputMessagesFilterEmpty,
        min_date: 0,
        max_date: 0,
        offset_id: 0,
        add_offset: 0,
        limit: 10,
        max_id: 0,
        min_id: 0,
        hash: 0,
    };
    assert_eq!(
        texts(&bob.ok(&search("rust"))),
        vec![(1, "Rust is fun".into())]
    );
    assert_eq!(texts(&bob.ok(&search(""))).len(), 2);
    assert!(texts(&bob.ok(&search("python"))).is_empty());
}

#[test]
fn duplicate_random_ids_and_empty_messages_are_refused() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996620001");
    let mut request = send_message(enums::InputPeer::InputPeerSelf, "once");
    client.ok(&request);
    assert_eq!(
        client.call(&request).unwrap_err(),
        err(400, "RANDOM_ID_DUPLICATE")
    );
    request.random_id += 1;
    request.message = "  ".into();
    assert_eq!(
        client.call(&request).unwrap_err(),
        err(400, "MESSAGE_EMPTY")
    );
    request.message = "x".repeat(4097).into();
    assert_eq!(
        client.call(&request).unwrap_err(),
        err(400, "MESSAGE_TOO_LONG")
    );
}

#[test]
fn typing_is_pushed_as_a_short_update() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    assert!(alice.ok(&functions::messages::SetTyping {
        peer: input_peer_user(&b, bob_id),
        top_msg_id: None,
        action: enums::SendMessageAction::SendMessageTypingAction,
    }));
    let pushed = bob.pushed();
    let enums::Updates::UpdateShort(short) = &pushed[0] else {
        panic!()
    };
    let enums::Update::UserTyping(typing) = &short.update else {
        panic!()
    };
    assert_eq!(typing.user_id, alice_id);
}

#[test]
fn set_up_messages_are_pushed_like_api_ones() {
    let b = backend();
    let alice = b
        .create_user("9996620001", "Alice", Some("alice_a"))
        .unwrap();
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    let id = b
        .send_message_as(alice, Peer::User(bob_id), "from the test")
        .unwrap();
    assert_eq!(id, 1);
    assert_eq!(
        new_messages(&bob.pushed()),
        vec![(1, 1, "from the test".into())]
    );
    assert_eq!(b.pts(bob_id), Some(1));
}
