//! ChatAction end to end from `updateChannelParticipant`: a broadcast channel has no service
//! message for joins, leaves, additions and kicks, so its admin bot learns of them from the
//! participant updates the test server sends (as Telegram does, in the qts box); in a
//! supergroup the service message is the one event for each change.

mod common;

use std::time::Duration;

use tgwire::events::{ChatAction, ChatActionKind};
use tgwire::{AdminRights, Chat, Client, PeerRef};
use tokio::sync::mpsc;

/// Generous: the machine may be slow; waits end as soon as the event comes.
const PATIENCE: Duration = Duration::from_secs(30);

/// What the bot's handler saw of one event.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    kind: ChatActionKind,
    chat_id: i64,
    user_id: Option<i64>,
    actor_id: Option<i64>,
    /// The users' names, from the update (no request needed).
    users: Vec<String>,
    /// Whether a service message announced it.
    has_message: bool,
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no chat action within {PATIENCE:?}"))
        .expect("handler alive")
}

/// A bot on DC 2 whose ChatAction handler reports every event.
async fn bot_watching(
    server: &tgwire_testserver::TestServer,
) -> (Client, i64, String, mpsc::UnboundedReceiver<Seen>) {
    let (bot, me) =
        common::signed_in_bot(server, 2, "5566:tgwire-chat-action-test-bot-token-0123").await;
    let (tx, rx) = mpsc::unbounded_channel();
    bot.add_event_handler(ChatAction::new(), move |event| {
        let tx = tx.clone();
        async move {
            let users = event.get_users().await?.iter().map(Chat::name).collect();
            tx.send(Seen {
                kind: event.kind(),
                chat_id: event.chat_id(),
                user_id: event.user_id(),
                actor_id: event.actor_id(),
                users,
                has_message: event.action_message().is_some(),
            })
            .expect("test alive");
            Ok::<(), tgwire::InvocationError>(())
        }
    })
    .await
    .expect("handler registered");
    let name = format!("@{}", me.username().expect("bots have a username"));
    (bot, me.id(), name, rx)
}

/// The owner and the member of the chats the tests create, signed in on DC 2 (phone tails
/// `owner` and `member`); the member is `@member_<member tail>`. Returns them with their ids.
async fn owner_and_member(
    server: &tgwire_testserver::TestServer,
    owner: &str,
    member: &str,
) -> anyhow::Result<(Client, i64, Client, i64)> {
    let (owner_client, _) = common::signed_in(server, 2, owner).await;
    let (member_client, _) = common::signed_in(server, 2, member).await;
    let owner_id = common::me(&owner_client).await;
    let member_id = common::me(&member_client).await;
    server
        .backend()
        .set_username(member_id, Some(&format!("member_{member}")))?;
    Ok((owner_client, owner_id, member_client, member_id))
}

/// The owner adds the bot to `chat` and makes it an admin with every right.
async fn make_bot_admin(owner: &Client, chat: PeerRef, bot_name: &str) -> anyhow::Result<()> {
    owner.add_participants(chat, [bot_name]).await?;
    owner.edit_admin(chat, bot_name, AdminRights::all()).await?;
    Ok(())
}

/// Disconnects everyone.
async fn close(clients: [Client; 3]) {
    for client in clients {
        client.disconnect().await;
    }
}

#[tokio::test]
async fn a_channels_admin_bot_sees_joins_leaves_additions_and_kicks() -> anyhow::Result<()> {
    let server = common::start().await;
    let (bot, bot_id, bot_name, mut seen) = bot_watching(&server).await;
    let (owner, owner_id, member, member_id) = owner_and_member(&server, "5411", "5412").await?;
    server
        .backend()
        .set_username(owner_id, Some("owner_5411"))?;

    let Chat::Channel(channel) = owner.create_channel("News").await? else {
        panic!("a broadcast channel")
    };
    let chat = channel.peer_ref().expect("a channel reference");
    let chat_id = chat.bot_api_id();
    make_bot_admin(&owner, chat, &bot_name).await?;
    // The bot hears of its own addition (Telegram tells a bot about itself); the promotion is
    // no membership change.
    let added_bot = next(&mut seen).await;
    assert_eq!(
        (added_bot.kind, added_bot.user_id, added_bot.actor_id),
        (ChatActionKind::UserAdded, Some(bot_id), Some(owner_id))
    );

    owner.add_participants(chat, ["@member_5412"]).await?;
    let event = next(&mut seen).await;
    assert_eq!(
        (event.kind, event.chat_id, event.user_id, event.actor_id),
        (
            ChatActionKind::UserAdded,
            chat_id,
            Some(member_id),
            Some(owner_id)
        )
    );
    assert!(
        !event.has_message,
        "broadcast channels have no service message for it"
    );
    assert_eq!(event.users.len(), 1);
    assert!(
        !event.users[0].is_empty(),
        "the member came with the update"
    );

    member.leave_chat(chat).await?;
    let event = next(&mut seen).await;
    assert_eq!(
        (event.kind, event.user_id, event.actor_id),
        (ChatActionKind::UserLeft, Some(member_id), Some(member_id))
    );

    let link = owner.export_invite_link(chat).await?;
    member.join_chat(link.link()).await?;
    let event = next(&mut seen).await;
    assert_eq!(
        (event.kind, event.user_id, event.actor_id),
        (ChatActionKind::UserJoined, Some(member_id), Some(member_id))
    );

    owner.kick_participant(chat, "@member_5412").await?;
    let event = next(&mut seen).await;
    assert_eq!(
        (event.kind, event.chat_id, event.user_id, event.actor_id),
        (
            ChatActionKind::UserKicked,
            chat_id,
            Some(member_id),
            Some(owner_id)
        )
    );
    assert!(!event.has_message);

    // Nothing else: a restriction lifted right after the kick is no membership change.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), seen.recv())
            .await
            .is_err(),
        "no further chat action"
    );
    close([bot, owner, member]).await;
    Ok(())
}

#[tokio::test]
async fn a_supergroups_admin_bot_sees_each_membership_change_once() -> anyhow::Result<()> {
    let server = common::start().await;
    let (bot, _, bot_name, mut seen) = bot_watching(&server).await;
    let (owner, owner_id, member, member_id) = owner_and_member(&server, "5421", "5422").await?;

    let Chat::Group(group) = owner.create_supergroup("Talk").await? else {
        panic!("a supergroup")
    };
    let chat = group.peer_ref().expect("a supergroup reference");
    make_bot_admin(&owner, chat, &bot_name).await?;
    // The bot's own addition: announced by the service message only.
    let event = next(&mut seen).await;
    assert_eq!(event.kind, ChatActionKind::UserAdded);
    assert!(event.has_message);

    owner.add_participants(chat, ["@member_5422"]).await?;
    owner.kick_participant(chat, "@member_5422").await?;
    // Each change once, from its service message (the participant updates the bot also gets
    // make no second event).
    let added = next(&mut seen).await;
    assert_eq!(
        (added.kind, added.user_id, added.actor_id, added.has_message),
        (
            ChatActionKind::UserAdded,
            Some(member_id),
            Some(owner_id),
            true
        )
    );
    let kicked = next(&mut seen).await;
    assert_eq!(
        (
            kicked.kind,
            kicked.user_id,
            kicked.actor_id,
            kicked.has_message
        ),
        (
            ChatActionKind::UserKicked,
            Some(member_id),
            Some(owner_id),
            true
        )
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(500), seen.recv())
            .await
            .is_err(),
        "no further chat action"
    );
    close([bot, owner, member]).await;
    Ok(())
}
