//! The client against tgwire-testserver over loopback: sign-in in every form, DC migrations,
//! flood waits, invoke_many, peers, messages, history streams and dialogs.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use tgwire::tl::{enums, functions};
use tgwire::{InputMessage, InvocationError, MemoryStorage, SignInError, Storage};
use tgwire_testserver::backend::Peer;
use tgwire_testserver::faults::MigrateKind;

#[tokio::test]
async fn phone_sign_in_follows_phone_migrate_and_persists_the_home_dc() -> anyhow::Result<()> {
    let server = common::start().await;
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    // Starts on DC 1; the account 9996621234 lives on DC 2.
    let client = common::builder(&server, 1)
        .session_shared(Arc::clone(&storage))
        .connect()
        .await?;
    assert_eq!(client.home_dc(), 1);
    assert!(!client.is_authorized().await?);
    let token = client.request_login_code("+999 662 1234").await?;
    assert_eq!(client.home_dc(), 2, "PHONE_MIGRATE_2 moved the home DC");
    assert_eq!(storage.home_dc(), Some(2), "and the session knows it");
    assert_eq!(token.phone(), "9996621234");
    let me = client.sign_in(&token, "22222").await?;
    assert!(me.is_self());
    assert_eq!(storage.self_user().map(|u| u.id), Some(me.id()));
    assert!(client.is_authorized().await?);
    assert_eq!(client.get_me().await?.id(), me.id());
    client.disconnect().await;
    Ok(())
}

#[tokio::test]
async fn network_migrate_moves_home_then_phone_migrate_moves_back() -> anyhow::Result<()> {
    let server = common::start().await;
    server
        .faults()
        .migrate("auth.sendCode", MigrateKind::Network, 3);
    let client = common::builder(&server, 1).in_memory().connect().await?;
    // NETWORK_MIGRATE_3 sends us to DC 3, whose answer is PHONE_MIGRATE_1.
    let token = client.request_login_code("9996611234").await?;
    assert_eq!(client.home_dc(), 1);
    client.sign_in(&token, "11111").await?;
    assert!(client.is_authorized().await?);
    Ok(())
}

#[tokio::test]
async fn user_migrate_during_sign_in_moves_home() -> anyhow::Result<()> {
    let server = common::start().await;
    server.faults().migrate("auth.signIn", MigrateKind::User, 1);
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let client = common::builder(&server, 2)
        .session_shared(Arc::clone(&storage))
        .connect()
        .await?;
    // A number of no test DC: it lives wherever it signs in, here DC 1 after USER_MIGRATE_1.
    let token = client.request_login_code("+15550123456").await?;
    assert_eq!(client.home_dc(), 2);
    let me = client.sign_in(&token, "12345").await?;
    assert_eq!(client.home_dc(), 1, "USER_MIGRATE_1 moved the home DC");
    assert_eq!(storage.home_dc(), Some(1));
    assert_eq!(client.get_me().await?.id(), me.id());
    Ok(())
}

#[tokio::test]
async fn wrong_code_is_typed_and_the_session_stays_usable() -> anyhow::Result<()> {
    let server = common::start().await;
    let client = common::builder(&server, 2).in_memory().connect().await?;
    let token = client.request_login_code("9996625555").await?;
    let wrong = client.sign_in(&token, "12345").await;
    assert!(matches!(wrong, Err(SignInError::InvalidCode)), "{wrong:?}");
    assert!(!client.is_authorized().await?);
    client.sign_in(&token, "22222").await?;
    assert!(client.is_authorized().await?);
    Ok(())
}

#[tokio::test]
async fn bot_token_sign_in() -> anyhow::Result<()> {
    let server = common::start().await;
    let client = common::builder(&server, 2).in_memory().connect().await?;
    let bad = client.bot_sign_in("not-a-token").await;
    assert!(matches!(bad, Err(SignInError::Other(_))), "{bad:?}");
    let bot = client
        .bot_sign_in("4242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq")
        .await?;
    assert!(bot.is_bot());
    assert_eq!(bot.id(), 4242);
    assert_eq!(client.session().self_user().map(|u| u.bot), Some(true));
    Ok(())
}

#[tokio::test]
async fn two_factor_password_via_srp() -> anyhow::Result<()> {
    let server = common::start().await;
    let user = server.backend().create_user("9996627777", "Secure", None)?;
    server
        .backend()
        .set_password(user, "correct horse", Some("horse"))?;
    let client = common::builder(&server, 2).in_memory().connect().await?;
    let token = client.request_login_code("9996627777").await?;
    let Err(SignInError::PasswordRequired(password)) = client.sign_in(&token, "22222").await else {
        panic!("a password is required");
    };
    assert_eq!(password.hint(), Some("horse"));
    let wrong = client.check_password(password, "battery staple").await;
    assert!(
        matches!(wrong, Err(SignInError::InvalidPassword)),
        "{wrong:?}"
    );
    // A fresh token (new srp_B) and the right password.
    let password = client.password_token().await?;
    let me = client.check_password(password, "correct horse").await?;
    assert_eq!(me.id(), user);
    assert!(client.is_authorized().await?);
    Ok(())
}

#[tokio::test]
async fn sign_up_when_the_number_is_new() -> anyhow::Result<()> {
    let server = tgwire_testserver::TestServer::start(tgwire_testserver::Config {
        require_signup: true,
        ..Default::default()
    })
    .await?;
    let client = common::builder(&server, 2).in_memory().connect().await?;
    let token = client.request_login_code("9996624444").await?;
    let result = client.sign_in(&token, "22222").await;
    assert!(
        matches!(result, Err(SignInError::SignUpRequired)),
        "{result:?}"
    );
    let me = client.sign_up(&token, "New", "Person").await?;
    assert_eq!(me.full_name(), "New Person");
    assert!(client.is_authorized().await?);
    Ok(())
}

#[tokio::test]
async fn qr_login_accepted_by_another_session_with_dc_migration() -> anyhow::Result<()> {
    let server = common::start().await;
    let (phone, _) = common::signed_in(&server, 2, "3333").await;
    let me = phone.get_me().await?;
    // The new device starts on DC 1; the account is on DC 2.
    let desktop = common::builder(&server, 1).in_memory().connect().await?;
    let tgwire::QrLogin::Pending { token, url, .. } = desktop.qr_login().await? else {
        panic!("a fresh QR login is pending");
    };
    assert!(url.starts_with("tg://login?token="));
    phone.accept_login_token(&token).await?;
    match desktop.qr_login().await? {
        tgwire::QrLogin::Success(user) => assert_eq!(user.id(), me.id()),
        other => panic!("expected success, got {other:?}"),
    }
    assert_eq!(
        desktop.home_dc(),
        2,
        "loginTokenMigrateTo moved the home DC"
    );
    assert!(desktop.is_authorized().await?);
    Ok(())
}

#[tokio::test]
async fn flood_waits_below_the_threshold_are_slept_through() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0002").await;
    server.faults().flood_wait("messages.sendMessage", 1);
    let started = Instant::now();
    let sent = client.send_message("me", "after a nap").await?;
    assert!(started.elapsed() >= Duration::from_secs(1), "slept first");
    assert_eq!(sent.text(), "after a nap");
    Ok(())
}

#[tokio::test]
async fn flood_waits_above_the_threshold_are_errors() -> anyhow::Result<()> {
    let server = common::start().await;
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let client = common::builder(&server, 2)
        .session_shared(storage)
        .flood_sleep_threshold(Duration::from_secs(2))
        .connect()
        .await?;
    let token = client.request_login_code("9996620003").await?;
    client.sign_in(&token, "22222").await?;
    server.faults().flood_wait("messages.sendMessage", 30);
    let started = Instant::now();
    let error = client.send_message("me", "too soon").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "did not sleep");
    assert!(error.is("FLOOD_WAIT"), "{error:?}");
    assert_eq!(error.flood_wait(), Some(Duration::from_secs(30)));
    assert_eq!(error.rpc().map(|e| e.code), Some(420));
    // The fault fired once; the client is fine afterwards.
    client.send_message("me", "later").await?;
    Ok(())
}

#[tokio::test]
async fn file_migrate_sends_one_request_to_the_other_dc() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0004").await;
    server
        .faults()
        .migrate("users.getFullUser", MigrateKind::File, 3);
    let full = client
        .invoke(&functions::users::GetFullUser {
            id: enums::InputUser::InputUserSelf,
        })
        .await?;
    let enums::users::UserFull::UserFull(full) = full;
    assert!(!full.users.is_empty());
    assert_eq!(client.home_dc(), 2, "FILE_MIGRATE does not move home");
    assert!(
        client.connections().iter().any(|(dc, _)| *dc == 3),
        "a connection to DC 3 was opened: {:?}",
        client.connections()
    );
    Ok(())
}

#[tokio::test]
async fn invoke_many_reports_partial_success() -> anyhow::Result<()> {
    let server = common::start().await;
    let alice = server
        .backend()
        .create_user("9996620101", "Alice", Some("alice_tg"))?;
    let (client, _) = common::signed_in(&server, 2, "0005").await;
    let resolve = |username: &str| functions::contacts::ResolveUsername {
        username: username.into(),
        referer: None,
    };
    let requests: Vec<_> = ["alice_tg", "nobody_here_at_all", "alice_tg"]
        .into_iter()
        .map(resolve)
        .collect();
    for ordered in [false, true] {
        let results = client.invoke_many(&requests, ordered).await;
        assert_eq!(results.len(), 3);
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        assert!(
            matches!(&results[1], Err(e) if e.is("USERNAME_NOT_OCCUPIED")),
            "{:?}",
            results[1]
        );
    }
    // The resolved user went into the peer cache.
    assert_eq!(
        client
            .session()
            .peer_by_username("@alice_tg")
            .map(|p| p.peer.id()),
        Some(alice)
    );

    // A short flood wait on one element is slept through and that element resent; a long
    // one is its error alone.
    server.faults().flood_wait("contacts.resolveUsername", 1);
    let started = Instant::now();
    let results = client.invoke_many(&requests[..1], true).await;
    assert!(results[0].is_ok(), "{results:?}");
    assert!(started.elapsed() >= Duration::from_secs(1), "slept first");
    server.faults().flood_wait("contacts.resolveUsername", 3600);
    let results = client
        .invoke_many(&[resolve("alice_tg"), resolve("alice_tg")], true)
        .await;
    assert!(
        matches!(&results[0], Err(e) if e.flood_wait() == Some(Duration::from_secs(3600))),
        "{results:?}"
    );
    assert!(results[1].is_ok(), "{results:?}");
    assert!(client
        .invoke_many::<functions::help::GetNearestDc>(&[], true)
        .await
        .is_empty());
    Ok(())
}

#[tokio::test]
async fn invoke_many_ordered_sends_together_and_runs_in_order() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0012").await;
    let send = |text: String| functions::messages::SendMessage {
        no_webpage: false,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: enums::InputPeer::InputPeerSelf,
        reply_to: None,
        message: text.into(),
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
        rich_message: None,
    };
    let requests: Vec<_> = (0..8).map(|i| send(format!("batch {i}"))).collect();
    // Every answer is held back a second: one after another, eight would take eight seconds;
    // sent together, they come back together.
    server.faults().delay_answers(Duration::from_secs(1));
    let started = Instant::now();
    let results = client.invoke_many(&requests, true).await;
    let elapsed = started.elapsed();
    server.faults().delay_answers(Duration::ZERO);
    assert!(
        elapsed < Duration::from_secs(5),
        "sent as one batch: {elapsed:?}"
    );
    let ids: Vec<i32> = results
        .into_iter()
        .map(|r| match r? {
            enums::Updates::UpdateShortSentMessage(sent) => Ok(sent.id),
            other => anyhow::bail!("unexpected {other:?}"),
        })
        .collect::<anyhow::Result<_>>()?;
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "run in order: {ids:?}"
    );
    let history: Vec<_> = client.iter_messages("me").reverse().try_collect().await?;
    let texts: Vec<&str> = history.iter().map(tgwire::Message::text).collect();
    let expected: Vec<String> = (0..8).map(|i| format!("batch {i}")).collect();
    assert_eq!(texts, expected);
    Ok(())
}

#[tokio::test]
async fn resolving_peers_in_every_form() -> anyhow::Result<()> {
    let server = common::start().await;
    let bob = server
        .backend()
        .create_user("9996620202", "Bob", Some("bob_builder"))?;
    let (client, _) = common::signed_in(&server, 2, "0006").await;
    let me = client.get_me().await?;
    server.backend().add_contact(me.id(), bob)?;

    let by_name = client.resolve("@bob_builder").await?;
    assert_eq!(by_name.id(), bob);
    for query in [
        "bob_builder",
        "https://t.me/bob_builder",
        "telegram.me/bob_builder",
    ] {
        assert_eq!(client.resolve(query).await?, by_name, "{query}");
    }
    assert_eq!(client.resolve(bob).await?, by_name, "cached id");
    assert_eq!(client.resolve(by_name.to_string()).await?, by_name);
    assert_eq!(client.resolve("me").await?.id(), me.id());
    assert_eq!(client.resolve("+9996620202").await?.id(), bob);
    let chat = client.get_chat("@bob_builder").await?;
    assert_eq!(chat.name(), "Bob");
    assert_eq!(client.resolve(&chat).await?, by_name);

    let missing = client.resolve("@no_such_user_here").await;
    assert!(
        matches!(missing, Err(InvocationError::PeerNotFound(_))),
        "{missing:?}"
    );
    let unknown_id = client.resolve(987_654_321i64).await;
    assert!(matches!(unknown_id, Err(InvocationError::PeerNotFound(_))));
    Ok(())
}

#[tokio::test]
async fn phone_numbers_resolve_through_the_server_when_not_cached() -> anyhow::Result<()> {
    let server = common::start().await;
    let pia = server.backend().create_user("9996620222", "Pia", None)?;
    let (client, _) = common::signed_in(&server, 2, "0013").await;
    assert!(client.session().peer(pia).is_none(), "nothing cached yet");
    let found = client.resolve("+999 662 0222").await?;
    assert_eq!(found.id(), pia);
    assert!(
        client.session().peer(pia).is_some(),
        "cached from the answer"
    );
    let sent = client.send_message(found, "found you").await?;
    assert_eq!(sent.chat_id(), Some(pia));
    let missing = client.resolve("+9996629999").await;
    assert!(
        matches!(missing, Err(InvocationError::PeerNotFound(_))),
        "{missing:?}"
    );
    Ok(())
}

#[tokio::test]
async fn formatted_messages_round_trip_through_the_server() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0007").await;
    let markdown = "**Hi** 👋 __𝄞 music__ `code` [link 🔗](https://example.com) ||secret||";
    let sent = client
        .send_message("me", InputMessage::markdown(markdown))
        .await?;
    assert_eq!(sent.text(), "Hi 👋 𝄞 music code link 🔗 secret");
    let fetched = client
        .get_messages("me", &[sent.id()])
        .await?
        .pop()
        .flatten()
        .expect("the message exists");
    assert_eq!(fetched.entities(), sent.entities());
    assert_eq!(fetched.markdown_text(), markdown);

    let html = "<b>1 &lt; 2</b> <i>é 😀</i> <u>under</u> <pre><code class=\"language-rust\">fn x() {}</code></pre>";
    let sent = client.send_message("me", InputMessage::html(html)).await?;
    let fetched = client.get_messages("me", &[sent.id()]).await?;
    let fetched = fetched[0].as_ref().expect("exists");
    assert_eq!(fetched.html_text(), html);
    Ok(())
}

#[tokio::test]
async fn message_methods_reply_edit_forward_delete() -> anyhow::Result<()> {
    let server = common::start().await;
    let carol = server
        .backend()
        .create_user("9996620303", "Carol", Some("carol_c"))?;
    let (client, _) = common::signed_in(&server, 2, "0008").await;
    let first = client.send_message("@carol_c", "hello Carol").await?;
    assert!(first.outgoing());
    assert_eq!(first.chat_id(), Some(carol));

    let reply = first.reply("a reply").await?;
    assert_eq!(reply.reply_to_message_id(), Some(first.id()));
    assert_eq!(
        reply.get_reply_message().await?.map(|m| m.id()),
        Some(first.id())
    );
    let edited = reply
        .edit(InputMessage::markdown("an **edited** reply"))
        .await?;
    assert_eq!(edited.text(), "an edited reply");
    assert!(edited.edit_date().is_some());

    let forwarded = first.forward_to("me").await?;
    assert_eq!(forwarded.text(), "hello Carol");
    let responded = first.respond("no reply header").await?;
    assert_eq!(responded.reply_to_message_id(), None);

    // Carol writes back; we see her as the sender.
    server.backend().send_message_as(
        carol,
        Peer::User(first.sender_id().unwrap_or_default()),
        "hi!",
    )?;
    let latest: Vec<_> = client
        .iter_messages("@carol_c")
        .limit(1)
        .try_collect()
        .await?;
    assert_eq!(latest[0].text(), "hi!");
    assert_eq!(latest[0].sender_id(), Some(carol));
    assert!(!latest[0].outgoing());
    client.mark_read("@carol_c").await?;

    first.delete().await?;
    let gone = client.get_messages("@carol_c", &[first.id()]).await?;
    assert!(gone[0].is_none());
    assert_eq!(
        client
            .delete_messages("@carol_c", &[reply.id()], true)
            .await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn history_stream_over_1200_messages_has_no_gaps_or_duplicates() -> anyhow::Result<()> {
    let server = common::start().await;
    let dave = server
        .backend()
        .create_user("9996620404", "Dave", Some("dave_d"))?;
    let (client, _) = common::signed_in(&server, 2, "0009").await;
    let me = client.get_me().await?.id();
    let mut ids = Vec::new();
    for i in 0..1200 {
        let (from, to) = if i % 3 == 0 { (me, dave) } else { (dave, me) };
        ids.push(server.backend().send_message_as(
            from,
            Peer::User(to),
            &format!("message {i}"),
        )?);
    }
    let newest_first: Vec<_> = client.iter_messages("@dave_d").try_collect().await?;
    assert_eq!(newest_first.len(), 1200);
    let seen: Vec<i32> = newest_first.iter().map(|m| m.id()).collect();
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "strictly newest first"
    );
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>().len(), 1200);
    assert_eq!(newest_first[0].text(), "message 1199");
    assert_eq!(newest_first[1199].text(), "message 0");

    let oldest_first: Vec<_> = client
        .iter_messages("@dave_d")
        .reverse()
        .try_collect()
        .await?;
    let reversed: Vec<i32> = oldest_first.iter().map(|m| m.id()).collect();
    let mut expected = seen.clone();
    expected.reverse();
    assert_eq!(reversed, expected);

    let some: Vec<_> = client
        .iter_messages("@dave_d")
        .offset_id(seen[100])
        .limit(250)
        .try_collect()
        .await?;
    assert_eq!(some.len(), 250);
    assert_eq!(some[0].id(), seen[101]);

    let from_dave: Vec<_> = client
        .iter_messages("@dave_d")
        .from_user("@dave_d")
        .try_collect()
        .await?;
    assert_eq!(from_dave.len(), 800);
    assert!(from_dave.iter().all(|m| m.sender_id() == Some(dave)));

    let searched: Vec<_> = client
        .iter_messages("@dave_d")
        .search("message 11")
        .try_collect()
        .await?;
    // "message 11", "message 110".."message 119", "message 1100".."message 1199".
    assert_eq!(searched.len(), 1 + 10 + 100);
    Ok(())
}

#[tokio::test]
async fn dialogs_list_chats_with_last_messages_and_unread_counts() -> anyhow::Result<()> {
    let server = common::start().await;
    let erin = server
        .backend()
        .create_user("9996620505", "Erin", Some("erin_e"))?;
    let frank = server
        .backend()
        .create_user("9996620606", "Frank", Some("frank_f"))?;
    let (client, _) = common::signed_in(&server, 2, "0010").await;
    let me = client.get_me().await?.id();
    client.send_message("@erin_e", "to Erin").await?;
    for text in ["one", "two", "three"] {
        server
            .backend()
            .send_message_as(frank, Peer::User(me), text)?;
    }
    let dialogs: Vec<_> = client.iter_dialogs().try_collect().await?;
    let frank_dialog = dialogs
        .iter()
        .find(|d| d.chat().id() == frank)
        .expect("a dialog with Frank");
    assert_eq!(frank_dialog.unread_count(), 3);
    assert_eq!(
        frank_dialog.last_message().map(|m| m.text().to_owned()),
        Some("three".into())
    );
    let erin_dialog = dialogs
        .iter()
        .find(|d| d.chat().id() == erin)
        .expect("a dialog with Erin");
    assert_eq!(erin_dialog.unread_count(), 0);
    assert!(!erin_dialog.is_archived());
    assert_eq!(dialogs[0].chat().id(), frank, "most recent first");
    let limited: Vec<_> = client.iter_dialogs().limit(1).try_collect().await?;
    assert_eq!(limited.len(), 1);
    Ok(())
}

#[tokio::test]
async fn sessions_survive_restarts_and_disconnect_is_clean() -> anyhow::Result<()> {
    let server = common::start().await;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("alice");
    let client = common::builder(&server, 1)
        .session_file(&path)
        .connect()
        .await?;
    let token = client.request_login_code("9996621010").await?;
    let me = client.sign_in(&token, "22222").await?;
    let mut state = client.watch_connection_state();
    assert!(state.borrow_and_update().is_connected());
    client.disconnect().await;
    assert!(matches!(
        client.connection_state(),
        tgwire::net::ConnectionState::Closed { .. }
    ));
    let after = client.get_me().await;
    assert!(
        matches!(after, Err(InvocationError::Closed(_))),
        "{after:?}"
    );
    drop(client);

    let again = common::builder(&server, 1)
        .session_file(&path)
        .connect()
        .await?;
    assert_eq!(again.home_dc(), 2, "home DC came from the file");
    assert!(again.is_authorized().await?, "auth key came from the file");
    assert_eq!(again.get_me().await?.id(), me.id());
    again.sign_out().await?;
    assert!(!again.is_authorized().await?);
    assert!(again.session().self_user().is_none());
    Ok(())
}

#[tokio::test]
async fn clients_are_shared_across_tasks() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0011").await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.send_message("me", format!("task {i}")).await })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        ids.insert(task.await??.id());
    }
    assert_eq!(ids.len(), 20);
    Ok(())
}
