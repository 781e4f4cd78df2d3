//! Pins, the archive, pinned dialogs, drafts, clearing history, scheduled messages, link
//! previews and bot reply markup.

use tgwire_tl_types::{enums, functions, types};

use super::channels::{group_of_two, input_channel, input_peer_channel};
use super::*;

fn pin(peer: enums::InputPeer, id: i32, unpin: bool) -> functions::messages::UpdatePinnedMessage {
    functions::messages::UpdatePinnedMessage {
        silent: false,
        unpin,
        pm_oneside: false,
        peer,
        id,
    }
}

fn dialogs(client: &Client, folder_id: Option<i32>) -> Vec<types::Dialog> {
    let answer = client.ok(&functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id,
        offset_date: 0,
        offset_id: 0,
        offset_peer: enums::InputPeer::Empty,
        limit: 100,
        hash: 0,
    });
    let list = match answer {
        enums::messages::Dialogs::Dialogs(d) => d.dialogs,
        enums::messages::Dialogs::Slice(d) => d.dialogs,
        enums::messages::Dialogs::NotModified(_) => Vec::new(),
    };
    list.into_iter()
        .filter_map(|d| match d {
            enums::Dialog::Dialog(d) => Some(*d),
            _ => None,
        })
        .collect()
}

fn dialog_user(dialog: &types::Dialog) -> i64 {
    match &dialog.peer {
        enums::Peer::User(u) => u.user_id,
        enums::Peer::Chat(c) => -c.chat_id,
        enums::Peer::Channel(c) => -1_000_000_000_000 - c.channel_id,
    }
}

/// The first message of an answer.
fn first(answer: enums::messages::Messages) -> enums::Message {
    let list = match answer {
        enums::messages::Messages::Messages(m) => m.messages,
        enums::messages::Messages::Slice(m) => m.messages,
        enums::messages::Messages::ChannelMessages(m) => m.messages,
        enums::messages::Messages::NotModified(_) => Vec::new(),
    };
    list.into_iter().next().expect("a message")
}

/// Whether message `id` of `peer` is pinned, as `client` sees it.
fn is_pinned(client: &Client, peer: enums::InputPeer, id: i32) -> bool {
    match first(client.ok(&get_history(peer, id + 1, 0, 1))) {
        enums::Message::Message(m) if m.id == id => m.pinned,
        other => panic!("message {id} not found: {other:?}"),
    }
}

#[test]
fn pinning_in_a_private_chat_marks_both_copies_and_posts_a_service_message() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut alice_other = alice.second_session();
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    alice.send_text(input_peer_user(&b, bob_id), "pin me");
    bob.pushed();
    alice_other.pushed();
    let pts_before = alice.state().pts;

    let answer = alice.ok(&pin(input_peer_user(&b, bob_id), 1, false));
    let updates = inner_updates(&answer);
    assert!(
        matches!(&updates[0], enums::Update::PinnedMessages(u)
            if u.pinned && u.messages == vec![1] && u.pts == pts_before + 1 && u.pts_count == 1),
        "{updates:?}"
    );
    let enums::Update::NewMessage(service) = &updates[1] else {
        panic!("{updates:?}")
    };
    let enums::Message::Service(service) = &service.message else {
        panic!()
    };
    assert!(matches!(service.action, enums::MessageAction::PinMessage));
    assert!(matches!(&service.reply_to,
        Some(enums::MessageReplyHeader::MessageReplyHeader(h)) if h.reply_to_msg_id == Some(1)));
    assert!(is_pinned(&alice, input_peer_user(&b, bob_id), 1));
    assert!(is_pinned(&bob, input_peer_user(&b, alice_id), 1));

    // Bob's box got its own pin event and the service message; Alice's other session too.
    let pushed: Vec<enums::Update> = bob.pushed().iter().flat_map(inner_updates).collect();
    assert!(pushed
        .iter()
        .any(|u| matches!(u, enums::Update::PinnedMessages(p)
        if p.pinned && p.messages == vec![1]
            && matches!(&p.peer, enums::Peer::User(peer) if peer.user_id == alice_id))));
    assert_eq!(new_messages(&bob.pushed()).len(), 0, "already drained");
    assert!(!alice_other.pushed().is_empty());

    // The pin replays from the difference.
    let enums::updates::Difference::Difference(diff) =
        alice.ok(&functions::updates::GetDifference {
            pts: pts_before,
            pts_limit: None,
            pts_total_limit: None,
            date: 0,
            qts: 0,
            qts_limit: None,
        })
    else {
        panic!()
    };
    assert!(diff
        .other_updates
        .iter()
        .any(|u| matches!(u, enums::Update::PinnedMessages(p) if p.pinned)));

    // Pinning again changes nothing; unpinning posts no service message.
    let again = alice.ok(&pin(input_peer_user(&b, bob_id), 1, false));
    assert!(inner_updates(&again).is_empty());
    let unpinned = alice.ok(&pin(input_peer_user(&b, bob_id), 1, true));
    let updates = inner_updates(&unpinned);
    assert_eq!(updates.len(), 1);
    assert!(matches!(&updates[0], enums::Update::PinnedMessages(u) if !u.pinned));
    assert!(!is_pinned(&bob, input_peer_user(&b, alice_id), 1));

    // One-sided pins touch only the caller's copy and post nothing.
    let mut one_side = pin(input_peer_user(&b, bob_id), 1, false);
    one_side.pm_oneside = true;
    assert_eq!(inner_updates(&alice.ok(&one_side)).len(), 1);
    assert!(is_pinned(&alice, input_peer_user(&b, bob_id), 1));
    assert!(!is_pinned(&bob, input_peer_user(&b, alice_id), 1));

    assert_eq!(
        alice.call(&pin(input_peer_user(&b, bob_id), 77, false)),
        Err(err(400, "MESSAGE_ID_INVALID"))
    );
    // The service message itself cannot be pinned.
    assert_eq!(
        alice.call(&pin(input_peer_user(&b, bob_id), 2, false)),
        Err(err(400, "MESSAGE_ID_INVALID"))
    );
}

#[test]
fn channel_pins_need_the_right_and_unpin_all_clears_them() {
    let b = backend();
    let (owner, _, member, group) = group_of_two(&b, "Group");
    let peer = || input_peer_channel(&b, group);
    member.send_text(peer(), "first");
    member.send_text(peer(), "second");
    let pts = b.channel_pts(group).unwrap();

    assert_eq!(
        member.call(&pin(peer(), 3, false)),
        Err(err(403, "CHAT_ADMIN_REQUIRED"))
    );
    let answer = owner.ok(&pin(peer(), 3, false));
    assert!(inner_updates(&answer).iter().any(|u| matches!(u,
        enums::Update::PinnedChannelMessages(p)
            if p.pinned && p.channel_id == group && p.messages == vec![3] && p.pts == pts + 1)));
    owner.ok(&pin(peer(), 4, false));
    assert!(is_pinned(&member, peer(), 3) && is_pinned(&member, peer(), 4));
    // Two pins and two service messages.
    assert_eq!(b.channel_pts(group), Some(pts + 4));

    let enums::messages::AffectedHistory::AffectedHistory(affected) =
        owner.ok(&functions::messages::UnpinAllMessages {
            peer: peer(),
            top_msg_id: None,
            saved_peer_id: None,
        });
    assert_eq!((affected.pts, affected.pts_count), (pts + 5, 1));
    assert!(!is_pinned(&member, peer(), 3) && !is_pinned(&member, peer(), 4));
    let enums::updates::ChannelDifference::ChannelDifference(diff) =
        owner.ok(&functions::updates::GetChannelDifference {
            force: false,
            channel: input_channel(&b, group),
            filter: enums::ChannelMessagesFilter::Empty,
            pts: pts + 4,
            limit: 10,
        })
    else {
        panic!()
    };
    assert!(diff.other_updates.iter().any(|u| matches!(u,
        enums::Update::PinnedChannelMessages(p) if !p.pinned && p.messages == vec![3, 4])));
}

#[test]
fn delete_history_works_in_chunks_and_revokes_for_both_sides() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    for i in 0..150 {
        b.send_message_as(alice_id, Peer::User(bob_id), &format!("m{i}"))
            .unwrap();
    }
    alice.send_text(enums::InputPeer::InputPeerSelf, "kept");
    bob.pushed();
    let pts = alice.state().pts;
    let delete = |revoke| functions::messages::DeleteHistory {
        just_clear: false,
        revoke,
        peer: input_peer_user(&b, bob_id),
        max_id: 0,
        min_date: None,
        max_date: None,
    };
    let enums::messages::AffectedHistory::AffectedHistory(first) = alice.ok(&delete(true));
    assert_eq!(
        (first.pts, first.pts_count, first.offset),
        (pts + 100, 100, 50)
    );
    let enums::messages::AffectedHistory::AffectedHistory(second) = alice.ok(&delete(true));
    assert_eq!((second.pts_count, second.offset), (50, 0));
    assert!(b.history(alice_id, Peer::User(bob_id)).is_empty());
    assert!(
        b.history(bob_id, Peer::User(alice_id)).is_empty(),
        "revoked"
    );
    assert_eq!(b.history(alice_id, Peer::User(alice_id)).len(), 1);
    assert!(bob
        .pushed()
        .iter()
        .flat_map(inner_updates)
        .any(|u| matches!(u, enums::Update::DeleteMessages(d) if d.messages.len() == 100)));
    assert!(!dialogs(&alice, None)
        .iter()
        .any(|d| dialog_user(d) == bob_id));

    // Without revoke only the caller's copy goes.
    alice.send_text(input_peer_user(&b, bob_id), "again");
    let enums::messages::AffectedHistory::AffectedHistory(third) = alice.ok(&delete(false));
    assert_eq!(third.pts_count, 1);
    assert_eq!(b.history(bob_id, Peer::User(alice_id)).len(), 1);
}

#[test]
fn channel_history_is_cleared_for_oneself_or_by_admins_for_everyone() {
    let b = backend();
    let (owner, _, member, group) = group_of_two(&b, "Group");
    let peer = || input_peer_channel(&b, group);
    for text in ["a", "b", "c"] {
        owner.send_text(peer(), text);
    }
    let clear = |for_everyone| functions::channels::DeleteHistory {
        for_everyone,
        channel: input_channel(&b, group),
        max_id: 0,
    };
    let answer = member.ok(&clear(false));
    assert!(inner_updates(&answer).iter().any(|u| matches!(u,
        enums::Update::ChannelAvailableMessages(a) if a.channel_id == group && a.available_min_id == 5)));
    assert!(texts(&member.ok(&get_history(peer(), 0, 0, 10))).is_empty());
    assert_eq!(texts(&owner.ok(&get_history(peer(), 0, 0, 10))).len(), 5);
    let member_dialog = dialogs(&member, None);
    assert_eq!(member_dialog.len(), 1, "still a member, history hidden");
    assert_eq!(
        (member_dialog[0].top_message, member_dialog[0].unread_count),
        (0, 0)
    );

    assert_eq!(
        member.call(&clear(true)),
        Err(err(403, "CHAT_ADMIN_REQUIRED"))
    );
    let answer = owner.ok(&clear(true));
    assert!(inner_updates(&answer).iter().any(|u| matches!(u,
        enums::Update::DeleteChannelMessages(d) if d.messages.len() == 5)));
    assert!(texts(&owner.ok(&get_history(peer(), 0, 0, 10))).is_empty());
}

#[test]
fn archive_folder_pinned_dialogs_and_drafts_show_in_the_dialog_list() {
    let b = backend();
    let me_client = Client::connect(&b, 2);
    let me = me_client.sign_in("9996620001");
    let mut other_session = me_client.second_session();
    let friends: Vec<i64> = (2..=8)
        .map(|i| {
            let id = b
                .create_user(&format!("999662000{i}"), &format!("F{i}"), None)
                .unwrap();
            b.send_message_as(id, Peer::User(me), "hi").unwrap();
            id
        })
        .collect();
    assert_eq!(dialogs(&me_client, None).len(), 7);
    let pts = me_client.state().pts;

    // Archive two.
    let answer = me_client.ok(&functions::folders::EditPeerFolders {
        folder_peers: friends[..2]
            .iter()
            .map(|&f| {
                types::InputFolderPeer {
                    peer: input_peer_user(&b, f),
                    folder_id: 1,
                }
                .into()
            })
            .collect(),
    });
    assert!(inner_updates(&answer).iter().any(|u| matches!(u,
        enums::Update::FolderPeers(f) if f.folder_peers.len() == 2 && f.pts == pts + 2 && f.pts_count == 2)));
    assert!(other_session
        .pushed()
        .iter()
        .flat_map(inner_updates)
        .any(|u| matches!(u, enums::Update::FolderPeers(_))));
    let archived = dialogs(&me_client, Some(1));
    assert_eq!(
        archived.iter().map(dialog_user).collect::<Vec<_>>(),
        vec![friends[1], friends[0]]
    );
    assert!(archived.iter().all(|d| d.folder_id == Some(1)));
    assert_eq!(dialogs(&me_client, Some(0)).len(), 5);
    assert_eq!(
        dialogs(&me_client, None).len(),
        7,
        "no folder: every dialog"
    );
    assert_eq!(
        me_client.call(&functions::folders::EditPeerFolders {
            folder_peers: vec![types::InputFolderPeer {
                peer: input_peer_user(&b, friends[0]),
                folder_id: 7,
            }
            .into()],
        }),
        Err(err(400, "FOLDER_ID_INVALID"))
    );

    // Pin dialogs of the main list: most recently pinned first, then by date; at most five.
    let toggle = |user: i64, pinned| functions::messages::ToggleDialogPin {
        pinned,
        peer: types::InputDialogPeer {
            peer: input_peer_user(&b, user),
        }
        .into(),
    };
    assert!(me_client.ok(&toggle(friends[2], true)));
    assert!(me_client.ok(&toggle(friends[3], true)));
    let main = dialogs(&me_client, Some(0));
    assert_eq!(dialog_user(&main[0]), friends[3]);
    assert_eq!(dialog_user(&main[1]), friends[2]);
    assert!(main[0].pinned && main[1].pinned && !main[2].pinned);
    assert_eq!(dialog_user(&main[2]), friends[6], "then the newest");
    assert!(other_session
        .pushed()
        .iter()
        .flat_map(inner_updates)
        .any(|u| matches!(u, enums::Update::DialogPinned(p) if p.pinned)));
    let enums::messages::PeerDialogs::PeerDialogs(pinned) =
        me_client.ok(&functions::messages::GetPinnedDialogs { folder_id: 0 });
    assert_eq!(pinned.dialogs.len(), 2);
    for &f in &friends[4..7] {
        me_client.ok(&toggle(f, true));
    }
    assert_eq!(
        me_client.call(&toggle(friends[0], true)).map(|_| ()),
        Ok(()),
        "the archive has its own limit"
    );
    // Unarchive it: the move drops its pin; then the main list is full.
    me_client.ok(&functions::folders::EditPeerFolders {
        folder_peers: vec![types::InputFolderPeer {
            peer: input_peer_user(&b, friends[0]),
            folder_id: 0,
        }
        .into()],
    });
    assert_eq!(
        me_client.call(&toggle(friends[0], true)),
        Err(err(400, "PINNED_DIALOGS_TOO_MUCH"))
    );
    me_client.ok(&toggle(friends[2], false));
    assert!(!dialogs(&me_client, Some(0))
        .iter()
        .any(|d| dialog_user(d) == friends[2] && d.pinned));

    // Drafts: saved, listed with the dialog and by getAllDrafts, cleared by sending.
    let stranger = b.create_user("9996620009", "New", None).unwrap();
    assert!(me_client.ok(&functions::messages::SaveDraft {
        no_webpage: true,
        invert_media: false,
        reply_to: None,
        peer: input_peer_user(&b, stranger),
        message: "unsent 👋".into(),
        entities: None,
        media: None,
        effect: None,
        suggested_post: None,
        rich_message: None,
    }));
    let with_draft = dialogs(&me_client, None);
    let draft_dialog = with_draft
        .iter()
        .find(|d| dialog_user(d) == stranger)
        .expect("a draft alone makes a dialog");
    assert!(matches!(&draft_dialog.draft,
        Some(enums::DraftMessage::DraftMessage(d)) if d.message == "unsent 👋" && d.no_webpage));
    let all = me_client.ok(&functions::messages::GetAllDrafts);
    assert!(
        matches!(&inner_updates(&all)[..], [enums::Update::DraftMessage(d)]
        if matches!(&d.draft, enums::DraftMessage::DraftMessage(m) if m.message == "unsent 👋"))
    );
    assert!(other_session
        .pushed()
        .iter()
        .flat_map(inner_updates)
        .any(|u| matches!(u, enums::Update::DraftMessage(_))));
    let mut send = send_message(input_peer_user(&b, stranger), "sent now");
    send.clear_draft = true;
    me_client.ok(&send);
    assert!(inner_updates(&me_client.ok(&functions::messages::GetAllDrafts)).is_empty());
    assert!(other_session
        .pushed()
        .iter()
        .flat_map(inner_updates)
        .any(|u| matches!(u, enums::Update::DraftMessage(d)
            if matches!(d.draft, enums::DraftMessage::Empty(_)))));
}

#[test]
fn scheduled_messages_are_kept_apart_and_listed() {
    let b = backend();
    let client = Client::connect(&b, 2);
    let me = client.sign_in("9996620001");
    let at = super::super::unix_now() + 3600;
    let mut send = send_message(enums::InputPeer::InputPeerSelf, "later");
    send.schedule_date = Some(at);
    let answer = client.ok(&send);
    let updates = inner_updates(&answer);
    assert!(matches!(&updates[0], enums::Update::MessageId(u) if u.random_id == send.random_id));
    let enums::Update::NewScheduledMessage(scheduled) = &updates[1] else {
        panic!("{updates:?}")
    };
    assert!(matches!(&scheduled.message, enums::Message::Message(m) if m.date == at));
    assert!(b.history(me, Peer::User(me)).is_empty(), "not sent yet");
    let listed = client.ok(&functions::messages::GetScheduledHistory {
        peer: enums::InputPeer::InputPeerSelf,
        hash: 0,
    });
    assert_eq!(texts(&listed), vec![(1, "later".into())]);
    let mut too_late = send_message(enums::InputPeer::InputPeerSelf, "much later");
    too_late.schedule_date = Some(at + 400 * 24 * 3600);
    assert_eq!(
        client.call(&too_late),
        Err(err(400, "SCHEDULE_DATE_TOO_LATE"))
    );
}

#[test]
fn links_get_a_pending_preview_unless_turned_off_and_only_bots_keep_markup() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996620001");
    let with = client.ok(&send_message(
        enums::InputPeer::InputPeerSelf,
        "see https://example.com/page now",
    ));
    let enums::Updates::UpdateShortSentMessage(with) = with else {
        panic!()
    };
    assert!(matches!(&with.media, Some(enums::MessageMedia::WebPage(w))
        if matches!(&w.webpage, enums::WebPage::Pending(p) if p.url.as_deref() == Some("https://example.com/page"))));
    let mut without = send_message(enums::InputPeer::InputPeerSelf, "see https://example.com");
    without.no_webpage = true;
    let enums::Updates::UpdateShortSentMessage(without) = client.ok(&without) else {
        panic!()
    };
    assert!(without.media.is_none());

    let markup: enums::ReplyMarkup = types::ReplyKeyboardForceReply {
        single_use: true,
        selective: false,
        placeholder: Some("answer".into()),
    }
    .into();
    let mut from_user = send_message(enums::InputPeer::InputPeerSelf, "markup from a user");
    from_user.reply_markup = Some(markup.clone());
    let enums::Updates::UpdateShortSentMessage(sent) = client.ok(&from_user) else {
        panic!()
    };
    let history = client.ok(&get_history(
        enums::InputPeer::InputPeerSelf,
        sent.id + 1,
        0,
        1,
    ));
    assert!(matches!(first(history), enums::Message::Message(m) if m.reply_markup.is_none()));

    let bot = Client::connect(&b, 2);
    bot.ok(&functions::auth::ImportBotAuthorization {
        flags: 0,
        api_id: 1,
        api_hash: "x".into(),
        bot_auth_token: "777:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq".into(),
    });
    let me = client.me().id;
    let mut from_bot = send_message(input_peer_user(&b, me), "markup from a bot");
    from_bot.reply_markup = Some(markup.clone());
    bot.ok(&from_bot);
    let history = client.ok(&get_history(input_peer_user(&b, 777), 0, 0, 1));
    assert!(
        matches!(first(history), enums::Message::Message(m) if m.reply_markup.as_ref() == Some(&markup))
    );
}

#[test]
fn input_mentions_are_stored_as_mentions_by_id() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996620001");
    let friend = b.create_user("9996620002", "Friend", None).unwrap();
    let mention = |user_id| -> Vec<enums::MessageEntity> {
        vec![types::InputMessageEntityMentionName {
            offset: 0,
            length: 6,
            user_id,
        }
        .into()]
    };
    let mut send = send_message(enums::InputPeer::InputPeerSelf, "Friend!");
    send.entities = Some(mention(input_user(&b, friend)));
    let enums::Updates::UpdateShortSentMessage(sent) = client.ok(&send) else {
        panic!()
    };
    let expected: Vec<enums::MessageEntity> = vec![types::MessageEntityMentionName {
        offset: 0,
        length: 6,
        user_id: friend,
    }
    .into()];
    assert_eq!(sent.entities.as_ref(), Some(&expected));
    let stored = first(client.ok(&get_history(enums::InputPeer::InputPeerSelf, 0, 0, 1)));
    assert!(matches!(stored, enums::Message::Message(m) if m.entities == Some(expected)));

    let mut bad = send_message(enums::InputPeer::InputPeerSelf, "Nobody");
    bad.entities = Some(mention(
        types::InputUser {
            user_id: friend,
            access_hash: 1,
        }
        .into(),
    ));
    assert_eq!(
        client.call(&bad),
        Err(err(400, "ENTITY_MENTION_USER_INVALID"))
    );
}

#[test]
fn pins_folders_drafts_and_scheduled_messages_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let open = || {
        Backend::open(
            BackendConfig {
                dcs: dcs(),
                require_signup: false,
                data_file: Some(path.clone()),
            },
            Faults::new(),
        )
        .unwrap()
    };
    let (key, session, friend) = {
        let b = open();
        let client = Client::connect(&b, 2);
        let me = client.sign_in("9996620001");
        let friend = b.create_user("9996620002", "Friend", None).unwrap();
        b.send_message_as(friend, Peer::User(me), "hello").unwrap();
        client.ok(&pin(input_peer_user(&b, friend), 1, false));
        client.ok(&functions::folders::EditPeerFolders {
            folder_peers: vec![types::InputFolderPeer {
                peer: input_peer_user(&b, friend),
                folder_id: 1,
            }
            .into()],
        });
        client.ok(&functions::messages::SaveDraft {
            no_webpage: false,
            invert_media: false,
            reply_to: None,
            peer: enums::InputPeer::InputPeerSelf,
            message: "note".into(),
            entities: None,
            media: None,
            effect: None,
            suggested_post: None,
            rich_message: None,
        });
        let mut later = send_message(enums::InputPeer::InputPeerSelf, "later");
        later.schedule_date = Some(super::super::unix_now() + 600);
        client.ok(&later);
        (client.ctx.auth_key_id, client.ctx.session_id, friend)
    };
    let b = open();
    let client = Client::with_key(&b, 2, key, session);
    assert!(is_pinned(&client, input_peer_user(&b, friend), 1));
    let archived = dialogs(&client, Some(1));
    assert_eq!(archived.len(), 1);
    assert_eq!(dialog_user(&archived[0]), friend);
    let drafts = client.ok(&functions::messages::GetAllDrafts);
    assert_eq!(inner_updates(&drafts).len(), 1);
    let scheduled = client.ok(&functions::messages::GetScheduledHistory {
        peer: enums::InputPeer::InputPeerSelf,
        hash: 0,
    });
    assert_eq!(texts(&scheduled), vec![(1, "later".into())]);
}
