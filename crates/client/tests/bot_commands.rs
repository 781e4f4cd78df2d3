//! Bot commands end to end (a bot sets, reads and resets its lists per scope and language; a
//! user sees the list that applies to their private chat), and chat-taking methods called with
//! Bot API ids (`-100…` channels, `-…` basic groups, plain users) as numbers and as text.

mod common;

use std::time::Duration;

use futures_util::TryStreamExt;
use tgwire::{BotCommand, Client, CommandScope, InvocationError, ParticipantFilter, User};

/// Generous: the machine may be slow; loops end as soon as the condition holds.
const PATIENCE: Duration = Duration::from_secs(30);

#[track_caller]
fn assert_rpc<T: std::fmt::Debug>(result: Result<T, InvocationError>, name: &str) {
    match result {
        Err(e) if e.is(name) => {}
        other => panic!("expected {name}, got {other:?}"),
    }
}

/// Waits until `client` has `id` in its peer cache (it learns peers from updates).
async fn until_known(client: &Client, id: i64) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while client.resolve(id).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "peer {id} never reached the cache"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn bot(server: &tgwire_testserver::TestServer, token: &str) -> (Client, User) {
    let bot = common::builder(server, 2)
        .in_memory()
        .connect()
        .await
        .expect("connects");
    let me = bot.bot_sign_in(token).await.expect("bot signs in");
    // The bot's update stream must run for it to learn peers from updates.
    let _ = bot.updates();
    (bot, me)
}

fn list(pairs: &[(&str, &str)]) -> Vec<BotCommand> {
    pairs.iter().map(|(c, d)| BotCommand::new(*c, *d)).collect()
}

#[tokio::test]
async fn a_bot_keeps_one_command_list_per_scope_and_language() -> anyhow::Result<()> {
    let server = common::start().await;
    let (bot, bot_me) = bot(&server, "7101:tgwire-commands-test-token-0123456789").await;
    let (user, _) = common::signed_in(&server, 2, "7201").await;
    let user_id = common::me(&user).await;
    let bot_name = format!("@{}", bot_me.username().expect("bots have a username"));

    // Default scope, every language and German.
    let default = list(&[("/start", "Say hello"), ("help", "What I do")]);
    assert_eq!(default[0].command, "start", "the slash is dropped");
    bot.set_bot_commands(CommandScope::Default, "", default.clone())
        .await?;
    bot.set_bot_commands(CommandScope::Default, "de", list(&[("start", "Hallo")]))
        .await?;
    assert_eq!(
        bot.get_bot_commands(CommandScope::Default, "").await?,
        default
    );
    assert_eq!(
        bot.get_bot_commands(CommandScope::Default, "de").await?,
        list(&[("start", "Hallo")])
    );
    assert!(bot
        .get_bot_commands(CommandScope::Default, "fr")
        .await?
        .is_empty());
    assert!(bot
        .get_bot_commands(CommandScope::Users, "")
        .await?
        .is_empty());

    // What a user sees in the private chat: the most specific list.
    assert_eq!(
        user.get_full_user(bot_name.as_str()).await?.bot_commands(),
        default
    );
    let private = list(&[("start", "Begin"), ("stop", "End")]);
    bot.set_bot_commands(CommandScope::Users, "", private.clone())
        .await?;
    assert_eq!(
        user.get_full_user(bot_name.as_str()).await?.bot_commands(),
        private
    );
    user.send_message(bot_name.as_str(), "/start").await?;
    until_known(&bot, user_id).await;
    let personal = list(&[("vip", "Only for you")]);
    bot.set_bot_commands(CommandScope::peer(user_id), "", personal.clone())
        .await?;
    assert_eq!(
        user.get_full_user(bot_name.as_str()).await?.bot_commands(),
        personal
    );
    bot.reset_bot_commands(CommandScope::peer(user_id), "")
        .await?;
    assert_eq!(
        user.get_full_user(bot_name.as_str()).await?.bot_commands(),
        private
    );
    // An empty list removes one, as a reset does.
    bot.set_bot_commands(CommandScope::Users, "", Vec::new())
        .await?;
    assert_eq!(
        user.get_full_user(bot_name.as_str()).await?.bot_commands(),
        default
    );
    assert!(bot
        .get_bot_commands(CommandScope::Users, "")
        .await?
        .is_empty());
    assert!(user.get_full_user("me").await?.bot_commands().is_empty());

    // Group scopes: all groups, their admins, one group, its admins, one member.
    let group = user.create_group("Commands", [bot_name.as_str()]).await?;
    let supergroup = user.create_supergroup("Commands+").await?;
    user.add_participants(&supergroup, [bot_name.as_str()])
        .await?;
    until_known(&bot, -group.id()).await;
    until_known(&bot, supergroup.bot_api_id()).await;
    let scopes = [
        CommandScope::Chats,
        CommandScope::ChatAdmins,
        CommandScope::peer(-group.id()),
        CommandScope::peer_admins(-group.id()),
        CommandScope::peer(supergroup.bot_api_id()),
        CommandScope::peer_admins(supergroup.bot_api_id()),
        CommandScope::peer_user(supergroup.bot_api_id(), user_id),
    ];
    for (i, scope) in scopes.iter().enumerate() {
        let commands = list(&[(&format!("cmd{i}"), &format!("scope {i}"))]);
        bot.set_bot_commands(scope.clone(), "en", commands).await?;
    }
    for (i, scope) in scopes.iter().enumerate() {
        let got = bot.get_bot_commands(scope.clone(), "en").await?;
        assert_eq!(
            got,
            list(&[(&format!("cmd{i}"), &format!("scope {i}"))]),
            "{scope:?}"
        );
        assert!(bot.get_bot_commands(scope.clone(), "").await?.is_empty());
    }
    bot.reset_bot_commands(scopes[5].clone(), "en").await?;
    assert!(bot
        .get_bot_commands(scopes[5].clone(), "en")
        .await?
        .is_empty());
    assert_eq!(
        bot.get_bot_commands(scopes[4].clone(), "en").await?.len(),
        1
    );

    // Telegram's errors.
    let one = |c: &str, d: &str| list(&[(c, d)]);
    for bad in ["Start", "a-b", "", &"x".repeat(33)] {
        assert_rpc(
            bot.set_bot_commands(CommandScope::Default, "", one(bad, "text"))
                .await,
            "BOT_COMMAND_INVALID",
        );
    }
    assert_rpc(
        bot.set_bot_commands(CommandScope::Default, "", one("ok", " "))
            .await,
        "BOT_COMMAND_DESCRIPTION_INVALID",
    );
    assert_rpc(
        bot.set_bot_commands(CommandScope::Default, "", one("ok", &"d".repeat(257)))
            .await,
        "BOT_COMMAND_DESCRIPTION_INVALID",
    );
    assert_rpc(
        bot.set_bot_commands(CommandScope::Default, "english", one("ok", "fine"))
            .await,
        "LANG_CODE_INVALID",
    );
    // Admin and member scopes need a group.
    assert_rpc(
        bot.set_bot_commands(CommandScope::peer_admins(user_id), "", one("ok", "fine"))
            .await,
        "PEER_ID_INVALID",
    );
    assert_rpc(
        user.set_bot_commands(CommandScope::Default, "", one("ok", "fine"))
            .await,
        "USER_BOT_REQUIRED",
    );
    assert_rpc(
        user.get_bot_commands(CommandScope::Default, "").await,
        "USER_BOT_REQUIRED",
    );
    // Nothing changed by the failures.
    assert_eq!(
        bot.get_bot_commands(CommandScope::Default, "").await?,
        default
    );
    user.disconnect().await;
    bot.disconnect().await;
    Ok(())
}

#[tokio::test]
async fn chat_methods_take_bot_api_ids() -> anyhow::Result<()> {
    let server = common::start().await;
    let (bot, bot_me) = bot(&server, "7102:tgwire-commands-test-token-0123456789").await;
    let (user, _) = common::signed_in(&server, 2, "7202").await;
    let user_id = common::me(&user).await;
    let bot_name = format!("@{}", bot_me.username().expect("bots have a username"));

    let group = user.create_group("Ids", [bot_name.as_str()]).await?;
    let channel = user.create_supergroup("Ids+").await?;
    user.add_participants(&channel, [bot_name.as_str()]).await?;
    let group_id = -group.id();
    let channel_id = channel.bot_api_id();
    assert!(group_id < 0 && channel_id < -1_000_000_000_000);

    // Numbers and their text, for a basic group and a supergroup.
    for (id, text) in [
        (group_id, group_id.to_string()),
        (channel_id, channel_id.to_string()),
    ] {
        let sent = user.send_message(id, "by number").await?;
        let again = user.send_message(text.as_str(), "by text").await?;
        assert_eq!(sent.chat_id(), Some(id));
        assert_eq!(again.chat_id(), Some(id));
        let fetched = user.get_messages(text.as_str(), &[sent.id()]).await?;
        assert_eq!(fetched[0].as_ref().map(|m| m.text()), Some("by number"));
        let edited = user.edit_message(id, sent.id(), "edited").await?;
        assert_eq!(edited.text(), "edited");
        user.pin_message(text.as_str(), sent.id()).await?;
        let history: Vec<_> = user.iter_messages(id).limit(10).try_collect().await?;
        assert!(history.iter().any(|m| m.id() == again.id()));
        assert_eq!(user.get_chat(id).await?.bot_api_id(), id);
        assert!(user.get_full_chat(text.as_str()).await?.chat().bot_api_id() == id);
        let members = user
            .get_participants(id, ParticipantFilter::Recent, None)
            .await?;
        assert_eq!(members.total, 2);
        let mine = user.get_permissions(id, user_id).await?;
        assert!(mine.is_creator());
        user.export_invite_link(id).await?;
        user.mark_read(id).await?;
        assert_eq!(
            user.delete_messages(text.as_str(), &[again.id()], true)
                .await?,
            1
        );
    }
    // A private chat by the user's id, from the bot's side (once it knows the user), and a
    // conversation keyed by a Bot API id.
    user.send_message(bot_name.as_str(), "hello").await?;
    until_known(&bot, user_id).await;
    let answer = bot.send_message(user_id, "hi").await?;
    assert_eq!(answer.chat_id(), Some(user_id));
    until_known(&bot, channel_id).await;
    bot.set_bot_commands(
        CommandScope::peer_user(channel_id.to_string(), user_id),
        "",
        list(&[("x", "y")]),
    )
    .await?;
    let conv = user.conversation(channel_id).await?;
    assert_eq!(conv.chat_id(), channel_id);
    drop(conv);
    // An id nobody told the client about is not guessed.
    assert!(matches!(
        user.send_message(-1_000_000_999_999_i64, "nobody").await,
        Err(InvocationError::PeerNotFound(_))
    ));
    user.disconnect().await;
    bot.disconnect().await;
    Ok(())
}
