//! The events layer on its own: builders over hand-made updates, and the dispatcher fed
//! through the [`Hub`](crate::updates::Hub) as the engine feeds it. The client is connected to
//! an in-process test server (so that it is a real client), but no update here comes from
//! the server: these tests cover what the events layer does with any update it gets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tgwire_testserver::{Config, TestServer};
use tgwire_tl_types::{enums, types};
use tokio::sync::mpsc;

use super::sealed::Item;
use super::*;
use crate::types::chat::tests::{raw_channel, raw_user};
use crate::types::message::ChatMap;
use crate::updates::RawUpdate;
use crate::Client;

/// Long enough for anything that is going to happen to happen on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

const ALICE: i64 = 1001;
const BOB: i64 = 1002;
const GROUP: i64 = 77;
const CHANNEL: i64 = 5000;

async fn client() -> (TestServer, Client) {
    let server = TestServer::start(Config::default())
        .await
        .expect("test server starts");
    let mut builder = Client::builder(1, "0123456789abcdef0123456789abcdef")
        .rsa_key(server.rsa_public_key().clone())
        .in_memory();
    for dc in server.dcs() {
        let addr = format!("{}:{}", dc.host, dc.port).parse().expect("address");
        builder = builder.dc_addr(dc.id, addr);
    }
    let client = builder.connect().await.expect("connects");
    (server, client)
}

fn user(id: i64) -> enums::Peer {
    types::PeerUser { user_id: id }.into()
}

fn group(id: i64) -> enums::Peer {
    types::PeerChat { chat_id: id }.into()
}

fn channel(id: i64) -> enums::Peer {
    types::PeerChannel { channel_id: id }.into()
}

fn channel_id(id: i64) -> i64 {
    -(tgwire_session::BOT_API_CHANNEL_OFFSET + id)
}

fn message(id: i32, peer: enums::Peer, from: Option<i64>, out: bool, text: &str) -> types::Message {
    types::Message {
        out,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: false,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id,
        from_id: from.map(user),
        from_boosts_applied: None,
        from_rank: None,
        peer_id: peer,
        saved_peer_id: None,
        fwd_from: None,
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: None,
        date: 1_700_000_000,
        message: text.into(),
        media: None,
        reply_markup: None,
        entities: None,
        views: None,
        forwards: None,
        replies: None,
        edit_date: None,
        post_author: None,
        grouped_id: None,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    }
}

fn service(id: i32, peer: enums::Peer, from: i64, action: enums::MessageAction) -> enums::Message {
    types::MessageService {
        out: false,
        mentioned: false,
        media_unread: false,
        reactions_are_possible: false,
        silent: false,
        post: false,
        legacy: false,
        id,
        from_id: Some(user(from)),
        peer_id: peer,
        saved_peer_id: None,
        reply_to: None,
        date: 1_700_000_000,
        action,
        reactions: None,
        ttl_period: None,
    }
    .into()
}

fn new_message(m: impl Into<enums::Message>) -> enums::Update {
    let message = m.into();
    let channel = matches!(&message, enums::Message::Message(m) if matches!(m.peer_id, enums::Peer::Channel(_)));
    if channel {
        types::UpdateNewChannelMessage {
            message,
            pts: 1,
            pts_count: 1,
        }
        .into()
    } else {
        types::UpdateNewMessage {
            message,
            pts: 1,
            pts_count: 1,
        }
        .into()
    }
}

fn raw(update: enums::Update) -> RawUpdate {
    let users = [
        raw_user(ALICE, 11, false, false),
        raw_user(BOB, 12, false, false),
    ];
    let chats = [raw_channel(CHANNEL, 13, true)];
    RawUpdate::new(update, ChatMap::new(&users, &chats))
}

fn item(update: enums::Update) -> Item {
    Item::Update(raw(update))
}

/// Resolves the builder's filters as registration does.
async fn ready<B: EventBuilder>(client: &Client, mut builder: B) -> B {
    let prepare = builder.prepare();
    assert_eq!(prepare.error, None);
    for peers in prepare.peers {
        peers.resolve(client).await.expect("ids need no look-up");
    }
    builder
}

/// The ids of the messages `builder` turns into events, out of `messages`.
fn matching<B>(client: &Client, builder: &B, updates: &[enums::Update]) -> Vec<i32>
where
    B: EventBuilder<Event = MessageEvent>,
{
    updates
        .iter()
        .filter_map(|u| builder.build(&item(u.clone()), client))
        .map(|e| e.id())
        .collect()
}

#[tokio::test]
async fn message_filters_select_what_they_say() {
    let (_server, client) = client().await;
    let mut forward = message(5, user(BOB), Some(BOB), false, "fwd");
    forward.fwd_from = Some(
        types::MessageFwdHeader {
            imported: false,
            saved_out: false,
            from_id: Some(user(ALICE)),
            from_name: None,
            date: 1,
            channel_post: None,
            post_author: None,
            saved_from_peer: None,
            saved_from_msg_id: None,
            saved_from_id: None,
            saved_from_name: None,
            saved_date: None,
            psa_type: None,
        }
        .into(),
    );
    let updates = vec![
        new_message(message(1, user(ALICE), Some(ALICE), false, "hello")),
        new_message(message(2, user(ALICE), None, true, "/start now")),
        new_message(message(
            3,
            group(GROUP),
            Some(BOB),
            false,
            "/echo in a group",
        )),
        new_message(message(4, channel(CHANNEL), None, false, "a post")),
        new_message(forward),
        // Service messages are chat actions, not messages.
        new_message(service(
            6,
            group(GROUP),
            BOB,
            enums::MessageAction::ChatDeletePhoto,
        )),
        // Edits are MessageEdited only.
        types::UpdateEditMessage {
            message: message(7, user(ALICE), Some(ALICE), false, "edited").into(),
            pts: 1,
            pts_count: 1,
        }
        .into(),
    ];

    let all = ready(&client, NewMessage::new()).await;
    assert_eq!(matching(&client, &all, &updates), [1, 2, 3, 4, 5]);
    let incoming = ready(&client, NewMessage::new().incoming()).await;
    assert_eq!(matching(&client, &incoming, &updates), [1, 3, 4, 5]);
    let outgoing = ready(&client, NewMessage::new().outgoing()).await;
    assert_eq!(matching(&client, &outgoing, &updates), [2]);
    let chats = ready(&client, NewMessage::new().chats([ALICE, -GROUP])).await;
    assert_eq!(matching(&client, &chats, &updates), [1, 2, 3]);
    let by_text = ready(&client, NewMessage::new().chats(["-77"])).await;
    assert_eq!(matching(&client, &by_text, &updates), [3]);
    let blacklist = ready(
        &client,
        NewMessage::new().chats([ALICE]).blacklist_chats(true),
    )
    .await;
    assert_eq!(matching(&client, &blacklist, &updates), [3, 4, 5]);
    let from = ready(&client, NewMessage::new().from_users([BOB])).await;
    assert_eq!(matching(&client, &from, &updates), [3, 5]);
    let forwards = ready(&client, NewMessage::new().forwards(true)).await;
    assert_eq!(matching(&client, &forwards, &updates), [5]);
    let no_forwards = ready(&client, NewMessage::new().forwards(false)).await;
    assert_eq!(matching(&client, &no_forwards, &updates), [1, 2, 3, 4]);
    let predicate = ready(&client, NewMessage::new().filter(|e| e.is_group())).await;
    assert_eq!(matching(&client, &predicate, &updates), [3]);
    let edited = ready(&client, MessageEdited::new()).await;
    assert_eq!(matching(&client, &edited, &updates), [7]);

    let pattern = ready(&client, NewMessage::new().pattern(r"^/(\w+)")).await;
    assert_eq!(matching(&client, &pattern, &updates), [2, 3]);
    let event = pattern
        .build(&item(updates[2].clone()), &client)
        .expect("matches");
    let captures = event.pattern_match().expect("a pattern was set");
    assert_eq!(&captures[1], "echo");
    assert!(!event.is_edit());
    assert_eq!(event.chat_id(), Some(-GROUP));
    assert_eq!(event.sender_id(), Some(BOB));
    // The sender came with the update: no request needed.
    assert_eq!(
        event.sender().map(|s| s.name()),
        Some("Ada Lovelace".into())
    );

    let post = all.build(&item(updates[3].clone()), &client).expect("post");
    assert!(post.is_channel() && !post.is_group() && !post.is_private());
    assert_eq!(post.chat_id(), Some(channel_id(CHANNEL)));

    // A bad pattern is refused at registration, not at the first message.
    let err = client
        .add_event_handler(NewMessage::new().pattern("(unclosed"), |_| async {})
        .await
        .expect_err("bad pattern");
    assert!(
        matches!(err, crate::InvocationError::InvalidArgument(_)),
        "{err}"
    );
    assert!(client.list_event_handlers().is_empty());
}

#[tokio::test]
async fn deletions_reads_actions_and_user_updates_become_typed_events() {
    let (_server, client) = client().await;

    // Deletions: the chat is known for channels only.
    let deleted = ready(&client, MessageDeleted::new()).await;
    let private = deleted
        .build(
            &item(
                types::UpdateDeleteMessages {
                    messages: vec![3, 4],
                    pts: 1,
                    pts_count: 2,
                }
                .into(),
            ),
            &client,
        )
        .expect("deletion");
    assert_eq!(private.deleted_ids(), [3, 4]);
    assert_eq!(private.deleted_id(), Some(3));
    assert_eq!(private.chat_id(), None);
    let in_channel: enums::Update = types::UpdateDeleteChannelMessages {
        channel_id: CHANNEL,
        messages: vec![9],
        pts: 1,
        pts_count: 1,
    }
    .into();
    let event = deleted
        .build(&item(in_channel.clone()), &client)
        .expect("deletion");
    assert_eq!(event.chat_id(), Some(channel_id(CHANNEL)));
    let only_channel = ready(&client, MessageDeleted::new().chats([channel_id(CHANNEL)])).await;
    assert!(only_channel.build(&item(in_channel), &client).is_some());
    assert!(only_channel
        .build(
            &item(
                types::UpdateDeleteMessages {
                    messages: vec![1],
                    pts: 1,
                    pts_count: 1
                }
                .into()
            ),
            &client
        )
        .is_none());

    // Reads, both ways.
    let inbox: enums::Update = types::UpdateReadHistoryInbox {
        folder_id: None,
        peer: user(ALICE),
        top_msg_id: None,
        max_id: 40,
        still_unread_count: 2,
        pts: 1,
        pts_count: 1,
    }
    .into();
    let outbox: enums::Update = types::UpdateReadChannelOutbox {
        channel_id: CHANNEL,
        max_id: 12,
    }
    .into();
    let reads = ready(&client, MessageRead::new()).await;
    let event = reads.build(&item(inbox.clone()), &client).expect("read");
    assert!(event.inbox() && !event.outbox());
    assert_eq!((event.chat_id(), event.max_id()), (Some(ALICE), 40));
    assert_eq!(event.still_unread_count(), Some(2));
    let read_message = all_messages(&client, message(40, user(ALICE), Some(ALICE), false, ""));
    assert!(event.is_read(&read_message));
    let event = reads.build(&item(outbox.clone()), &client).expect("read");
    assert!(event.outbox());
    assert_eq!(
        (event.chat_id(), event.max_id()),
        (Some(channel_id(CHANNEL)), 12)
    );
    let only_outbox = ready(&client, MessageRead::new().outbox()).await;
    assert!(only_outbox.build(&item(inbox.clone()), &client).is_none());
    assert!(only_outbox.build(&item(outbox), &client).is_some());
    let only_inbox = ready(&client, MessageRead::new().inbox()).await;
    assert!(only_inbox.build(&item(inbox), &client).is_some());

    // Chat actions, from service messages.
    let actions = ready(&client, ChatAction::new()).await;
    let action = |a: enums::MessageAction, from: i64| {
        actions
            .build(
                &item(new_message(service(50, group(GROUP), from, a))),
                &client,
            )
            .expect("a chat action")
    };
    let joined = action(
        types::MessageActionChatAddUser { users: vec![BOB] }.into(),
        BOB,
    );
    assert!(joined.user_joined());
    assert_eq!(joined.user_ids(), [BOB]);
    let added = action(
        types::MessageActionChatAddUser { users: vec![BOB] }.into(),
        ALICE,
    );
    assert!(added.user_added());
    assert_eq!(
        (added.actor_id(), added.user_id()),
        (Some(ALICE), Some(BOB))
    );
    let left = action(
        types::MessageActionChatDeleteUser { user_id: BOB }.into(),
        BOB,
    );
    assert!(left.user_left());
    let kicked = action(
        types::MessageActionChatDeleteUser { user_id: BOB }.into(),
        ALICE,
    );
    assert!(kicked.user_kicked());
    assert_eq!(kicked.kind(), ChatActionKind::UserKicked);
    let by_link = action(
        types::MessageActionChatJoinedByLink { inviter_id: ALICE }.into(),
        BOB,
    );
    assert!(by_link.user_joined());
    assert_eq!(by_link.user_ids(), [BOB]);
    let title = action(
        types::MessageActionChatEditTitle {
            title: "New".into(),
        }
        .into(),
        ALICE,
    );
    assert_eq!(title.new_title(), Some("New"));
    assert_eq!(title.kind(), ChatActionKind::NewTitle);
    let created = action(
        types::MessageActionChatCreate {
            title: "Made".into(),
            users: vec![ALICE, BOB],
        }
        .into(),
        ALICE,
    );
    assert!(created.created());
    assert_eq!(created.new_title(), Some("Made"));
    assert!(action(enums::MessageAction::ChatDeletePhoto, ALICE).photo_removed());
    let pinned = action(enums::MessageAction::PinMessage, ALICE);
    assert!(pinned.new_pin());
    assert_eq!(pinned.chat_id(), -GROUP);
    assert!(pinned.action_message().is_some());
    // Plain messages and actions this event does not cover are not chat actions.
    assert!(actions
        .build(
            &item(new_message(message(
                51,
                group(GROUP),
                Some(ALICE),
                false,
                "hi"
            ))),
            &client
        )
        .is_none());
    assert!(actions
        .build(
            &item(new_message(service(
                52,
                group(GROUP),
                ALICE,
                enums::MessageAction::HistoryClear
            ))),
            &client
        )
        .is_none());
    let unpin = actions
        .build(
            &item(
                types::UpdatePinnedChannelMessages {
                    pinned: false,
                    channel_id: CHANNEL,
                    messages: vec![3],
                    pts: 1,
                    pts_count: 1,
                }
                .into(),
            ),
            &client,
        )
        .expect("an unpin");
    assert!(unpin.unpin());
    assert_eq!(
        (unpin.chat_id(), unpin.message_ids()),
        (channel_id(CHANNEL), &[3][..])
    );
    let elsewhere = ready(&client, ChatAction::new().chats([ALICE])).await;
    assert!(elsewhere
        .build(
            &item(new_message(service(
                53,
                group(GROUP),
                ALICE,
                enums::MessageAction::PinMessage
            ))),
            &client
        )
        .is_none());

    // Typing and status.
    let users = ready(&client, UserUpdate::new()).await;
    let typing = users
        .build(
            &item(
                types::UpdateChatUserTyping {
                    chat_id: GROUP,
                    from_id: user(BOB),
                    action: enums::SendMessageAction::SendMessageTypingAction,
                }
                .into(),
            ),
            &client,
        )
        .expect("typing");
    assert!(typing.typing() && !typing.uploading());
    assert_eq!((typing.user_id(), typing.chat_id()), (BOB, -GROUP));
    let uploading = users
        .build(
            &item(
                types::UpdateUserTyping {
                    user_id: ALICE,
                    top_msg_id: None,
                    action: types::SendMessageUploadPhotoAction { progress: 50 }.into(),
                }
                .into(),
            ),
            &client,
        )
        .expect("uploading");
    assert!(uploading.uploading());
    assert_eq!(uploading.chat_id(), ALICE);
    let offline = users
        .build(
            &item(
                types::UpdateUserStatus {
                    user_id: ALICE,
                    status: types::UserStatusOffline { was_online: 123 }.into(),
                }
                .into(),
            ),
            &client,
        )
        .expect("status");
    assert_eq!(offline.online(), Some(false));
    assert_eq!(offline.last_seen(), Some(123));
    assert!(offline.action().is_none());
    let online = users
        .build(
            &item(
                types::UpdateUserStatus {
                    user_id: BOB,
                    status: types::UserStatusOnline { expires: 999 }.into(),
                }
                .into(),
            ),
            &client,
        )
        .expect("status");
    assert_eq!((online.online(), online.until()), (Some(true), Some(999)));
}

fn all_messages(client: &Client, m: types::Message) -> crate::Message {
    crate::Message::new(client, m.into(), ChatMap::new(&[], &[]))
}

#[tokio::test]
async fn queries_and_raw_updates_have_their_filters() {
    let (_server, client) = client().await;
    let callback = |data: &[u8]| -> enums::Update {
        types::UpdateBotCallbackQuery {
            query_id: 7,
            user_id: ALICE,
            peer: user(ALICE),
            msg_id: 3,
            chat_instance: 1,
            data: Some(data.to_vec().into()),
            game_short_name: None,
        }
        .into()
    };
    let exact = ready(&client, CallbackQuery::new().data(*b"yes")).await;
    assert!(exact.build(&item(callback(b"yes")), &client).is_some());
    assert!(exact.build(&item(callback(b"no")), &client).is_none());
    let pattern = ready(&client, CallbackQuery::new().pattern(r"^page:(\d+)$")).await;
    assert!(pattern.build(&item(callback(b"other")), &client).is_none());
    let event = pattern
        .build(&item(callback(b"page:12")), &client)
        .expect("matches");
    assert_eq!(&event.data_match().expect("captures")[1], b"12");
    assert_eq!((event.query_id(), event.sender_id()), (7, ALICE));
    assert_eq!(
        (event.chat_id(), event.message_id()),
        (Some(ALICE), Some(3))
    );
    assert!(!event.via_inline());
    let other_chat = ready(&client, CallbackQuery::new().chats([BOB])).await;
    assert!(other_chat.build(&item(callback(b"x")), &client).is_none());

    let inline = |user_id: i64, query: &str| -> enums::Update {
        types::UpdateBotInlineQuery {
            query_id: 8,
            user_id,
            query: query.into(),
            geo: None,
            peer_type: None,
            offset: String::new().into(),
        }
        .into()
    };
    let queries = ready(&client, InlineQuery::new().pattern(r"^gif (\w+)")).await;
    let event = queries
        .build(&item(inline(ALICE, "gif cats")), &client)
        .expect("matches");
    assert_eq!(event.text(), "gif cats");
    assert_eq!(&event.pattern_match().expect("captures")[1], "cats");
    assert!(queries
        .build(&item(inline(ALICE, "pics")), &client)
        .is_none());
    let not_bob = ready(
        &client,
        InlineQuery::new().users([BOB]).blacklist_users(true),
    )
    .await;
    assert!(not_bob.build(&item(inline(BOB, "x")), &client).is_none());
    assert!(not_bob.build(&item(inline(ALICE, "x")), &client).is_some());

    let status_only = ready(
        &client,
        Raw::new().filter(|u| matches!(u, enums::Update::UserStatus(_))),
    )
    .await;
    assert!(status_only
        .build(&item(inline(ALICE, "x")), &client)
        .is_none());
    let status: enums::Update = types::UpdateUserStatus {
        user_id: ALICE,
        status: enums::UserStatus::Empty,
    }
    .into();
    let raw_event = status_only
        .build(&item(status.clone()), &client)
        .expect("raw");
    assert_eq!(raw_event.update, status);
    assert!(raw_event.chat(ALICE).is_some());
}

/// Hands out `updates` as the engine does.
async fn feed(client: &Client, updates: impl IntoIterator<Item = enums::Update>) {
    for update in updates {
        client.inner.updates.hand_out(raw(update)).await;
    }
}

fn text_message(id: i32, peer: enums::Peer, text: &str) -> enums::Update {
    new_message(message(id, peer, Some(ALICE), false, text))
}

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .expect("in time")
        .expect("sender alive")
}

#[tokio::test]
async fn handlers_run_in_order_and_can_stop_propagation() {
    let (_server, client) = client().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let first = tx.clone();
    let stopper = client
        .add_event_handler(NewMessage::new(), move |event| {
            let tx = first.clone();
            async move {
                tx.send(("first", event.id())).expect("test alive");
                if event.text() == "/stop" {
                    Propagation::Stop
                } else {
                    Propagation::Continue
                }
            }
        })
        .await
        .expect("registers");
    let second = tx.clone();
    let recorder = client
        .add_event_handler(NewMessage::new(), move |event| {
            let tx = second.clone();
            async move { tx.send(("second", event.id())).expect("test alive") }
        })
        .await
        .expect("registers");
    assert_eq!(
        client.list_event_handlers(),
        [
            HandlerInfo {
                id: stopper,
                event: "NewMessage"
            },
            HandlerInfo {
                id: recorder,
                event: "NewMessage"
            }
        ]
    );

    feed(
        &client,
        [
            text_message(1, user(ALICE), "a"),
            text_message(2, user(ALICE), "/stop"),
            text_message(3, user(ALICE), "b"),
        ],
    )
    .await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(recv(&mut rx).await);
    }
    assert_eq!(
        seen,
        [
            ("first", 1),
            ("second", 1),
            ("first", 2),
            ("first", 3),
            ("second", 3)
        ]
    );

    // Removed, the stopper no longer stops anything.
    assert!(client.remove_event_handler(stopper));
    assert!(!client.remove_event_handler(stopper));
    assert_eq!(client.list_event_handlers().len(), 1);
    feed(&client, [text_message(4, user(ALICE), "/stop")]).await;
    assert_eq!(recv(&mut rx).await, ("second", 4));
}

#[tokio::test]
async fn failing_and_panicking_handlers_are_logged_and_the_others_go_on() {
    let (_server, client) = client().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let panicking = tx.clone();
    client
        .add_event_handler(NewMessage::new(), move |event| {
            let tx = panicking.clone();
            async move {
                tx.send(("panicking", event.id())).expect("test alive");
                if event.id() % 2 == 1 {
                    panic!("handler bug on {}", event.id());
                }
            }
        })
        .await
        .expect("registers");
    let failing = tx.clone();
    client
        .add_event_handler(NewMessage::new(), move |event| {
            let tx = failing.clone();
            async move {
                tx.send(("failing", event.id())).expect("test alive");
                Err::<(), _>(format!("refused {}", event.id()))
            }
        })
        .await
        .expect("registers");
    let last = tx.clone();
    client
        .add_event_handler(NewMessage::new(), move |event| {
            let tx = last.clone();
            async move { tx.send(("last", event.id())).expect("test alive") }
        })
        .await
        .expect("registers");

    feed(&client, (1..=6).map(|id| text_message(id, user(BOB), "x"))).await;
    let mut seen = Vec::new();
    for _ in 0..18 {
        seen.push(recv(&mut rx).await);
    }
    let expected: Vec<_> = (1..=6)
        .flat_map(|id| [("panicking", id), ("failing", id), ("last", id)])
        .collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn chats_are_handled_concurrently_and_each_in_order() {
    let (_server, client) = client().await;
    // The first message of chat A waits until chat B's first message was handled: with one
    // queue for everything this would never finish.
    let (b_seen_tx, b_seen_rx) = tokio::sync::oneshot::channel::<()>();
    let b_seen_tx = Arc::new(Mutex::new(Some(b_seen_tx)));
    let b_seen_rx = Arc::new(tokio::sync::Mutex::new(Some(b_seen_rx)));
    let (tx, mut rx) = mpsc::unbounded_channel();
    client
        .add_event_handler(NewMessage::new(), move |event| {
            let (tx, b_seen_tx, b_seen_rx) = (tx.clone(), b_seen_tx.clone(), b_seen_rx.clone());
            async move {
                let chat = event.chat_id().expect("a chat");
                if chat == ALICE && event.id() == 1 {
                    if let Some(rx) = b_seen_rx.lock().await.take() {
                        rx.await.expect("chat B handled");
                    }
                }
                if chat == BOB {
                    if let Some(tx) = b_seen_tx.lock().expect("not poisoned").take() {
                        tx.send(()).expect("chat A waits");
                    }
                }
                // Uneven work, so that chats overtake one another.
                for _ in 0..(event.id() % 5) {
                    tokio::task::yield_now().await;
                }
                tx.send((chat, event.id())).expect("test alive");
            }
        })
        .await
        .expect("registers");

    let chats = [user(ALICE), user(BOB), group(GROUP)];
    let updates: Vec<_> = (1..=40)
        .flat_map(|id| {
            chats
                .iter()
                .map(move |peer| text_message(id, peer.clone(), "x"))
        })
        .collect();
    feed(&client, updates).await;
    let mut per_chat: std::collections::HashMap<i64, Vec<i32>> = Default::default();
    for _ in 0..120 {
        let (chat, id) = recv(&mut rx).await;
        per_chat.entry(chat).or_default().push(id);
    }
    let in_order: Vec<i32> = (1..=40).collect();
    for chat in [ALICE, BOB, -GROUP] {
        assert_eq!(per_chat[&chat], in_order, "chat {chat}");
    }
}

#[tokio::test]
async fn albums_are_gathered_into_one_event() {
    let (_server, client) = client().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let albums = tx.clone();
    client
        .add_event_handler(Album::new(), move |album| {
            let tx = albums.clone();
            async move {
                let ids: Vec<i32> = album.messages().iter().map(|m| m.id()).collect();
                tx.send(("album", ids, album.text().to_owned()))
                    .expect("test alive");
            }
        })
        .await
        .expect("registers");
    let singles = tx.clone();
    client
        .add_event_handler(NewMessage::new(), move |event| {
            let tx = singles.clone();
            async move {
                tx.send(("message", vec![event.id()], String::new()))
                    .expect("test alive")
            }
        })
        .await
        .expect("registers");

    let part = |id: i32, grouped: i64, caption: &str| {
        let mut m = message(id, user(ALICE), Some(ALICE), false, caption);
        m.grouped_id = Some(grouped);
        new_message(m)
    };
    feed(
        &client,
        [
            part(10, 900, ""),
            part(11, 900, "the caption"),
            text_message(12, user(ALICE), "alone"),
            part(13, 900, ""),
        ],
    )
    .await;
    let mut messages = Vec::new();
    for _ in 0..4 {
        let (kind, ids, _) = recv(&mut rx).await;
        assert_eq!(kind, "message", "each part is also a message, first");
        messages.extend(ids);
    }
    assert_eq!(messages, [10, 11, 12, 13]);
    let (kind, ids, caption) = recv(&mut rx).await;
    assert_eq!(kind, "album");
    assert_eq!(ids, [10, 11, 13]);
    assert_eq!(caption, "the caption");
}

#[tokio::test]
async fn event_streams_and_run_until_disconnected() {
    let (_server, client) = client().await;
    let mut deletions = client
        .stream_events(MessageDeleted::new())
        .await
        .expect("registers");
    assert_eq!(client.list_event_handlers().len(), 1);
    feed(
        &client,
        [
            text_message(1, user(ALICE), "not a deletion"),
            types::UpdateDeleteMessages {
                messages: vec![1],
                pts: 2,
                pts_count: 1,
            }
            .into(),
        ],
    )
    .await;
    let event = tokio::time::timeout(PATIENCE, deletions.next())
        .await
        .expect("in time")
        .expect("an event");
    assert_eq!(event.deleted_ids(), [1]);
    drop(deletions);
    assert!(
        client.list_event_handlers().is_empty(),
        "dropping unregisters"
    );

    let waiting = tokio::spawn({
        let client = client.clone();
        async move { client.run_until_disconnected().await }
    });
    client.disconnect().await;
    let result = tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("returns once disconnected")
        .expect("no panic");
    assert!(result.is_ok(), "{result:?}");
}

/// The dispatcher and [`Client::updates`] streams are fed side by side: each sees every update,
/// in order, whoever subscribed first (the last subscriber gets the update itself, the others
/// a copy).
#[tokio::test]
async fn handlers_and_update_streams_each_see_every_update() {
    let (_server, client) = client().await;
    let mut before = client.updates();
    let (tx, mut rx) = mpsc::unbounded_channel();
    client
        .add_event_handler(NewMessage::new(), move |event| {
            let tx = tx.clone();
            async move { tx.send(event.id()).expect("test alive") }
        })
        .await
        .expect("registers");
    let mut after = client.updates();
    feed(
        &client,
        (1..=3).map(|id| text_message(id, user(ALICE), "x")),
    )
    .await;
    let id = |update: Option<RawUpdate>| match update.map(|u| u.update) {
        Some(enums::Update::NewMessage(u)) => match u.message {
            enums::Message::Message(m) => m.id,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    for expected in 1..=3 {
        assert_eq!(recv(&mut rx).await, expected);
        for stream in [&mut before, &mut after] {
            let next = tokio::time::timeout(PATIENCE, stream.next()).await;
            assert_eq!(id(next.expect("in time")), expected);
        }
    }
}

/// A handler that does not finish holds its chat's updates back, and past [`IN_FLIGHT`] of them
/// handing out waits (the engine slows down); none is lost, and they all arrive in order once
/// the handler goes on.
#[tokio::test]
async fn a_stuck_handler_slows_handing_out_and_loses_nothing() {
    let (_server, client) = client().await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let held = Arc::clone(&gate);
    client
        .add_event_handler(NewMessage::new(), move |event| {
            let (tx, gate) = (tx.clone(), Arc::clone(&held));
            async move {
                if event.id() == 1 {
                    gate.acquire().await.expect("open").forget();
                }
                tx.send(event.id()).expect("test alive")
            }
        })
        .await
        .expect("registers");
    let total = i32::try_from(IN_FLIGHT).expect("small") + 10;
    let feeding = tokio::spawn({
        let client = client.clone();
        async move {
            feed(
                &client,
                (1..=total).map(|id| text_message(id, user(ALICE), "x")),
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !feeding.is_finished(),
        "handing out waits while the handler is stuck"
    );
    assert!(rx.try_recv().is_err(), "nothing handled past the stuck one");
    gate.add_permits(1);
    for expected in 1..=total {
        assert_eq!(recv(&mut rx).await, expected);
    }
    tokio::time::timeout(PATIENCE, feeding)
        .await
        .expect("handing out finishes")
        .expect("no panic");
}
