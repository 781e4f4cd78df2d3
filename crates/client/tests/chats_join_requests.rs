//! Join requests end to end: a link that needs approval files requests instead of letting
//! people in; the admin is told (`updatePendingJoinRequests` pushed when someone asks; the
//! answer to the admin's own approval carries it, and the engine does not hand out answers to
//! one's own requests), lists them (by link, by name),
//! approves one, declines another, and sees who joined through which link and who approved.

mod common;

use std::time::Duration;

use tgwire::events::Raw;
use tgwire::tl::enums;
use tgwire::{AdminLogAction, AdminLogFilter, Client, InvocationError};

const PATIENCE: Duration = Duration::from_secs(30);

#[track_caller]
fn assert_rpc<T: std::fmt::Debug>(result: Result<T, InvocationError>, name: &str) {
    match result {
        Err(e) if e.is(name) => {}
        other => panic!("expected {name}, got {other:?}"),
    }
}

/// The next `updatePendingJoinRequests` as (pending count, recent requesters).
async fn next_pending(
    stream: &mut tgwire::events::EventStream<tgwire::updates::RawUpdate>,
) -> (i32, Vec<i64>) {
    loop {
        let update = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("a pending-requests update")
            .expect("client alive");
        if let enums::Update::PendingJoinRequests(u) = update.update {
            return (u.requests_pending, u.recent_requesters);
        }
    }
}

async fn member(client: &Client, chat: &tgwire::Chat, user: i64) -> bool {
    let permissions = client
        .get_permissions(chat, user)
        .await
        .expect("permissions");
    !permissions.has_left()
}

#[tokio::test]
async fn requests_are_filed_listed_approved_and_declined() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "8101").await;
    let (bob, _) = common::signed_in(&server, 2, "8102").await;
    let (carol, _) = common::signed_in(&server, 2, "8103").await;
    let alice_id = common::me(&alice).await;
    let bob_id = common::me(&bob).await;
    let carol_id = common::me(&carol).await;
    let backend = server.backend();
    backend.set_username(bob_id, Some("bob_requests"))?;
    backend.set_username(carol_id, Some("carol_requests"))?;
    alice.resolve("@bob_requests").await?;
    alice.resolve("@carol_requests").await?;

    let group = alice.create_supergroup("Vetted").await?;
    let mut pending = alice.stream_events(Raw::new()).await?;
    let gated = alice
        .export_invite_link(&group)
        .request_needed(true)
        .await?;
    assert!(gated.request_needed());
    let open = alice.export_invite_link(&group).title("open").await?;

    // Asking files a request (Telegram answers it as an error); asking twice files one.
    assert_rpc(bob.join_invite(gated.link()).await, "INVITE_REQUEST_SENT");
    assert_eq!(next_pending(&mut pending).await, (1, vec![bob_id]));
    assert_rpc(bob.join_invite(gated.link()).await, "INVITE_REQUEST_SENT");
    assert_rpc(carol.join_invite(gated.hash()).await, "INVITE_REQUEST_SENT");
    assert_eq!(next_pending(&mut pending).await.0, 2);
    assert!(!member(&alice, &group, bob_id).await);

    // The admin's list, newest first, by link and by name.
    let requests = alice.join_requests(&group).await?;
    let ids: Vec<i64> = requests.iter().map(|r| r.user_id()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&bob_id) && ids.contains(&carol_id));
    assert!(requests
        .iter()
        .all(|r| r.is_request() && r.user().is_some()));
    assert!(requests.windows(2).all(|w| w[0].date() >= w[1].date()));
    let carols = alice.join_requests(&group).search("carol").await?;
    assert_eq!(
        carols.iter().map(|r| r.user_id()).collect::<Vec<_>>(),
        [carol_id]
    );
    assert_eq!(
        alice.join_requests(&group).link(gated.link()).await?.len(),
        2
    );
    assert!(alice
        .join_requests(&group)
        .link(open.link())
        .await?
        .is_empty());
    assert_eq!(alice.join_requests(&group).limit(1).await?.len(), 1);
    // Members who cannot invite may not look.
    assert_rpc(bob.join_requests(&group).await, "CHAT_ADMIN_REQUIRED");

    // Approve Bob: he is in, through the link, approved by Alice; the log says so.
    alice.approve_join_request(&group, bob_id).await?;
    assert!(member(&alice, &group, bob_id).await);
    let joined = alice.invite_importers(&group).link(gated.link()).await?;
    assert_eq!(joined.len(), 1);
    assert_eq!(
        (
            joined[0].user_id(),
            joined[0].is_request(),
            joined[0].approved_by()
        ),
        (bob_id, false, Some(alice_id))
    );
    let log = alice
        .get_admin_log(
            &group,
            AdminLogFilter {
                join: true,
                ..Default::default()
            },
            10,
        )
        .await?;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].user_id(), bob_id);
    assert!(
        matches!(log[0].raw(), enums::ChannelAdminLogEventAction::ParticipantJoinByRequest(r) if r.approved_by == alice_id),
        "{:?}",
        log[0].action()
    );
    assert!(!matches!(log[0].action(), AdminLogAction::Join));
    assert_rpc(
        bob.join_invite(gated.link()).await,
        "USER_ALREADY_PARTICIPANT",
    );

    // Decline Carol: she stays out, and there is nothing left to answer.
    alice.decline_join_request(&group, carol_id).await?;
    assert!(!member(&alice, &group, carol_id).await);
    assert!(alice.join_requests(&group).await?.is_empty());
    assert_rpc(
        alice.decline_join_request(&group, carol_id).await,
        "HIDE_REQUESTER_MISSING",
    );

    // An open link lets people in at once; the importers list has them too.
    carol.join_invite(open.link()).await?;
    assert!(member(&alice, &group, carol_id).await);
    let everyone = alice.invite_importers(&group).await?;
    assert_eq!(everyone.len(), 2);
    assert_eq!(everyone[0].user_id(), carol_id);
    assert_eq!(everyone[0].approved_by(), None);

    // All at once: two new requests approved together.
    let (dave, _) = common::signed_in(&server, 2, "8104").await;
    let dave_id = common::me(&dave).await;
    let second = alice.create_supergroup("Vetted 2").await?;
    let gated2 = alice
        .export_invite_link(&second)
        .request_needed(true)
        .await?;
    assert_rpc(dave.join_invite(gated2.link()).await, "INVITE_REQUEST_SENT");
    assert_rpc(bob.join_invite(gated2.link()).await, "INVITE_REQUEST_SENT");
    alice.answer_all_join_requests(&second, None, true).await?;
    assert!(member(&alice, &second, dave_id).await);
    assert!(member(&alice, &second, bob_id).await);
    assert!(alice.join_requests(&second).await?.is_empty());
    alice.disconnect().await;
    bob.disconnect().await;
    carol.disconnect().await;
    dave.disconnect().await;
    Ok(())
}

/// What the bot's handler saw of one request.
#[derive(Debug, PartialEq, Eq)]
struct Asked {
    chat_id: i64,
    user_id: i64,
    user_name: Option<String>,
    about: String,
    link: Option<String>,
}

/// The next request the bot's handler got, and what it saw of it.
async fn asked(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<tgwire::events::JoinRequestEvent>,
) -> (tgwire::events::JoinRequestEvent, Asked) {
    let event = tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .expect("the bot is asked")
        .expect("handler alive");
    let seen = Asked {
        chat_id: event.chat_id(),
        user_id: event.user_id(),
        user_name: event.user().map(tgwire::User::full_name),
        about: event.about().to_owned(),
        link: event.invite().map(|i| i.link().to_owned()),
    };
    (event, seen)
}

/// A bot that may invite to a chat is asked about each request to join it
/// (`updateBotChatInviteRequester`, in its qts box) with the requester's bio and the link
/// used, and answers from the event: in a basic group, a supergroup and a broadcast channel.
/// The people administering the chat see the same bio in their list of requests.
#[tokio::test]
async fn admin_bots_are_asked_and_answer_from_the_event() -> anyhow::Result<()> {
    use tgwire::events::{JoinRequest, JoinRequestEvent};
    use tgwire::AdminRights;
    use tgwire::Chat;
    use tokio::sync::mpsc;

    let server = common::start().await;
    let (bot, bot_me) =
        common::signed_in_bot(&server, 2, "7788:tgwire-join-request-test-bot-token-01").await;
    let bot_name = format!("@{}", bot_me.username().expect("bots have a username"));
    let (tx, mut rx) = mpsc::unbounded_channel::<JoinRequestEvent>();
    bot.add_event_handler(JoinRequest::new(), move |event| {
        let tx = tx.clone();
        async move {
            tx.send(event).expect("test alive");
        }
    })
    .await?;
    let (alice, _) = common::signed_in(&server, 2, "8121").await;
    let (bob, _) = common::signed_in(&server, 2, "8122").await;
    let (carol, _) = common::signed_in(&server, 2, "8123").await;
    let bob_id = common::me(&bob).await;
    let carol_id = common::me(&carol).await;
    bob.set_name(Some("Bob"), Some("Requester")).await?;
    bob.set_bio("I bring snacks").await?;
    server.backend().set_username(bob_id, Some("bob_asks"))?;
    alice.resolve("@bob_asks").await?;

    let basic = Chat::Group(
        alice
            .create_group("Asked basic", [bot_name.as_str()])
            .await?,
    );
    let supergroup = alice.create_supergroup("Asked supergroup").await?;
    let channel = alice.create_channel("Asked channel").await?;
    for chat in [&basic, &supergroup, &channel] {
        if !matches!(chat, Chat::Group(g) if !g.is_megagroup()) {
            alice.add_participants(chat, [bot_name.as_str()]).await?;
        }
        let inviter = AdminRights {
            invite_users: true,
            ..AdminRights::default()
        };
        alice.edit_admin(chat, bot_name.as_str(), inviter).await?;
        let gated = alice.export_invite_link(chat).request_needed(true).await?;

        // Bob asks: the bot hears it with his bio and the link; Alice's list has the bio too.
        assert_rpc(bob.join_invite(gated.link()).await, "INVITE_REQUEST_SENT");
        let (event, seen) = asked(&mut rx).await;
        assert_eq!(
            seen,
            Asked {
                chat_id: chat.bot_api_id(),
                user_id: bob_id,
                user_name: Some("Bob Requester".into()),
                about: "I bring snacks".into(),
                link: Some(gated.link().to_owned()),
            },
            "in {}",
            chat.name()
        );
        let listed = alice.join_requests(chat).await?;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].about(), Some("I bring snacks"));
        // The bot lets him in.
        event.approve().await?;
        assert!(member(&alice, chat, bob_id).await, "in {}", chat.name());
        assert_rpc(event.approve().await, "HIDE_REQUESTER_MISSING");
        let joined = alice.invite_importers(chat).link(gated.link()).await?;
        assert_eq!(joined[0].approved_by(), Some(bot_me.id()));

        // Carol, without a bio, is turned down.
        assert_rpc(carol.join_invite(gated.link()).await, "INVITE_REQUEST_SENT");
        let (event, seen) = asked(&mut rx).await;
        assert_eq!((seen.user_id, seen.about.as_str()), (carol_id, ""));
        assert_eq!(alice.join_requests(chat).await?[0].about(), None);
        event.decline().await?;
        assert!(!member(&alice, chat, carol_id).await, "in {}", chat.name());
        assert!(alice.join_requests(chat).await?.is_empty());
    }
    // One question per request: nothing else was asked.
    assert!(tokio::time::timeout(Duration::from_millis(300), rx.recv())
        .await
        .is_err());
    bot.disconnect().await;
    alice.disconnect().await;
    bob.disconnect().await;
    carol.disconnect().await;
    Ok(())
}
