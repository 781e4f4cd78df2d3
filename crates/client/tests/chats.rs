//! Chat management against the test server: basic groups, supergroups and broadcast channels;
//! participants, admin rights, permissions, the admin log, invite links, migration, and the
//! errors Telegram answers when a right is missing.

mod common;

use std::collections::HashSet;

use futures_util::TryStreamExt;
use tgwire::{
    AdminLogAction, AdminLogFilter, AdminRights, Chat, Client, InvitePreview, InvocationError,
    ParticipantFilter, Permissions, Role,
};
use tgwire_testserver::backend::Peer;

fn rpc_name(error: &InvocationError) -> &str {
    error
        .rpc()
        .map_or("<not an rpc error>", |e| e.name.as_str())
}

/// `result` failed with the RPC error `name`.
#[track_caller]
fn assert_rpc<T: std::fmt::Debug>(result: Result<T, InvocationError>, name: &str) {
    match result {
        Err(e) if e.is(name) => {}
        other => panic!("expected {name}, got {other:?}"),
    }
}

#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: Result<T, InvocationError>) -> String {
    match result {
        Err(InvocationError::InvalidArgument(why)) => why,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

/// Two signed-in clients on DC 2 with usernames: (alice, bob, alice's id, bob's id).
async fn two_clients(server: &tgwire_testserver::TestServer) -> (Client, Client, i64, i64) {
    let (alice, _) = common::signed_in(server, 2, "0001").await;
    let (bob, _) = common::signed_in(server, 2, "0002").await;
    let alice_id = common::me(&alice).await;
    let bob_id = common::me(&bob).await;
    let backend = server.backend();
    backend.set_username(alice_id, Some("alice_a")).unwrap();
    backend.set_username(bob_id, Some("bob_b")).unwrap();
    (alice, bob, alice_id, bob_id)
}

fn bot_api_of_channel(id: i64) -> i64 {
    -1_000_000_000_000 - id
}

#[tokio::test]
async fn basic_groups_hide_their_differences_and_say_what_they_cannot_do() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, bob, alice_id, bob_id) = two_clients(&server).await;
    let backend = server.backend();
    let carol = backend.create_user("9996620003", "Carol", Some("carol_c"))?;

    let group = alice.create_group("Club", ["@bob_b"]).await?;
    assert!(!group.is_megagroup() && group.is_creator());
    let chat = group.peer_ref().unwrap();
    alice.add_participants(chat, ["@carol_c"]).await?;
    assert_rpc(
        alice.add_participants(chat, ["@carol_c"]).await,
        "USER_ALREADY_PARTICIPANT",
    );

    let everyone = alice
        .get_participants(chat, ParticipantFilter::Recent, None)
        .await?;
    assert_eq!(everyone.total, 3);
    let ids: HashSet<i64> = everyone
        .participants
        .iter()
        .map(|p| p.user().id())
        .collect();
    assert_eq!(ids, HashSet::from([alice_id, bob_id, carol]));
    let admins = alice
        .get_participants(chat, ParticipantFilter::Admins, None)
        .await?;
    assert_eq!(admins.total, 1);
    assert!(matches!(
        admins.participants[0].role(),
        Role::Creator { .. }
    ));
    let found: Vec<_> = alice
        .iter_participants(chat)
        .search("caro")
        .try_collect()
        .await?;
    assert_eq!(found.len(), 1);

    // Only the creator promotes; a basic group has no titles and no story rights.
    let admin = AdminRights {
        ban_users: true,
        ..AdminRights::default()
    };
    assert_rpc(
        bob.edit_admin(chat, "@carol_c", admin).await,
        "CHAT_ADMIN_REQUIRED",
    );
    assert!(
        assert_invalid(alice.edit_admin(chat, "@bob_b", admin).rank("boss").await)
            .contains("title")
    );
    let stories = AdminRights {
        post_stories: true,
        ..admin
    };
    assert!(
        assert_invalid(alice.edit_admin(chat, "@bob_b", stories).await).contains("post_stories")
    );
    alice.edit_admin(chat, "@bob_b", admin).await?;
    let bobs = alice.get_permissions(chat, "@bob_b").await?;
    assert!(bobs.is_admin() && !bobs.is_creator() && bobs.can_ban_users());
    assert!(alice.get_permissions(chat, "me").await?.is_creator());
    let carols = alice.get_permissions(chat, "@carol_c").await?;
    assert!(!carols.is_admin() && !carols.has_left());

    // One member cannot be restricted in a basic group, only the whole group.
    let muted = Permissions {
        send_messages: false,
        ..Permissions::all()
    };
    assert_invalid(alice.edit_permissions(chat, "@carol_c", muted).await);
    alice.edit_default_permissions(chat, muted).await?;
    assert!(!alice
        .get_permissions(chat, "@carol_c")
        .await?
        .can_send_messages());
    assert!(backend
        .send_message_as(carol, Peer::Chat(chat.id()), "hello?")
        .is_err());
    bob.send_message(chat, "admins still talk").await?;

    // Title, description, kick; the kicked member sees the service message.
    alice.edit_title(chat, "The Club").await?;
    assert_rpc(
        alice.edit_title(chat, "The Club").await,
        "CHAT_NOT_MODIFIED",
    );
    alice.edit_about(chat, "members only").await?;
    let full = bob.get_full_chat(chat).await?;
    assert_eq!(full.about(), "members only");
    assert_eq!(full.chat().name(), "The Club");
    assert_eq!(full.participants_count(), Some(3));
    bob.kick_participant(chat, "@carol_c").await?;
    assert_rpc(
        bob.kick_participant(chat, "@carol_c").await,
        "USER_NOT_PARTICIPANT",
    );
    let carol_history = backend.history(carol, Peer::Chat(chat.id()));
    assert!(carol_history.last().is_some_and(|m| m.service));
    assert!(alice.get_permissions(chat, "@carol_c").await?.has_left());

    // Basic groups have no slow mode and no admin log.
    assert_invalid(alice.set_slow_mode(chat, 10).await);
    assert_invalid(alice.iter_admin_log(chat).try_collect::<Vec<_>>().await);

    // Migration: a supergroup with the same people; the old id follows it.
    assert_rpc(bob.migrate_chat(chat).await, "CHAT_ADMIN_REQUIRED");
    let supergroup = alice.migrate_chat(chat).await?;
    assert!(supergroup.is_megagroup());
    assert_eq!(supergroup.title(), "The Club");
    let followed = bob.migrated_to(chat).await?.expect("the group moved");
    assert_eq!(followed.id(), supergroup.id());
    let full = bob.get_full_chat(&followed).await?;
    assert_eq!(full.migrated_from().map(|(id, _)| id), Some(chat.id()));
    let members = bob
        .get_participants(&followed, ParticipantFilter::Recent, None)
        .await?;
    assert_eq!(members.total, 2);
    // Bob was an admin of the group and is one of the supergroup.
    assert!(bob.get_permissions(&followed, "me").await?.is_admin());
    assert_rpc(
        bob.send_message(chat, "old group").await,
        "CHAT_WRITE_FORBIDDEN",
    );
    bob.send_message(&followed, "new home").await?;
    Ok(())
}

#[tokio::test]
async fn supergroup_rights_permissions_and_their_errors() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, bob, _alice_id, bob_id) = two_clients(&server).await;
    let backend = server.backend();
    let carol = backend.create_user("9996620003", "Carol", Some("carol_c"))?;
    let dave = backend.create_user("9996620004", "Dave", Some("dave_d"))?;

    let Chat::Group(group) = alice.create_supergroup("Rust").about("crabs").await? else {
        panic!("a supergroup is a group")
    };
    assert!(group.is_megagroup());
    let chat = group.peer_ref().unwrap();
    alice
        .add_participants(chat, ["@bob_b", "@carol_c", "@dave_d"])
        .await?;

    // Non-admins: no admin log, no promotions, no bans.
    assert_rpc(
        bob.get_admin_log(chat, AdminLogFilter::default(), 10).await,
        "CHAT_ADMIN_REQUIRED",
    );
    let inviter = AdminRights {
        invite_users: true,
        ban_users: true,
        add_admins: true,
        ..AdminRights::default()
    };
    assert_rpc(
        bob.edit_admin(chat, "@carol_c", inviter).await,
        "CHAT_ADMIN_REQUIRED",
    );
    assert_rpc(
        bob.edit_permissions(chat, "@carol_c", Permissions::none())
            .await,
        "CHAT_ADMIN_REQUIRED",
    );
    assert_rpc(
        bob.iter_participants(chat)
            .filter(ParticipantFilter::Kicked)
            .try_collect::<Vec<_>>()
            .await,
        "CHAT_ADMIN_REQUIRED",
    );

    alice
        .edit_admin(chat, "@bob_b", inviter)
        .rank("sheriff")
        .await?;
    let bobs = alice.get_permissions(chat, "@bob_b").await?;
    assert!(bobs.is_admin() && bobs.can_ban_users() && !bobs.can_change_info());
    assert_eq!(bobs.rank(), Some("sheriff"));
    // Bob grants only what he holds, and cannot touch the creator.
    let info = AdminRights {
        change_info: true,
        ..AdminRights::default()
    };
    assert_rpc(
        bob.edit_admin(chat, "@carol_c", info).await,
        "RIGHT_FORBIDDEN",
    );
    assert_rpc(
        bob.edit_permissions(chat, "@alice_a", Permissions::none())
            .await,
        "USER_ADMIN_INVALID",
    );
    assert_rpc(
        alice
            .edit_admin(chat, "@bob_b", inviter)
            .rank("a title far too long")
            .await,
        "ADMIN_RANK_INVALID",
    );
    assert_rpc(alice.edit_admin(chat, "me", inviter).await, "USER_CREATOR");

    // Restrict Carol for an hour.
    let until = i32::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )? + 3600;
    let muted = Permissions {
        send_messages: false,
        ..Permissions::all()
    };
    bob.edit_permissions(chat, "@carol_c", muted)
        .until(until)
        .await?;
    let carols = alice.get_permissions(chat, "@carol_c").await?;
    assert!(carols.is_banned() && !carols.is_kicked() && !carols.can_send_messages());
    assert_eq!(carols.banned_until(), Some(until));
    assert!(backend
        .send_message_as(carol, Peer::Channel(chat.id()), "let me talk")
        .is_err());
    let banned = alice
        .get_participants(chat, ParticipantFilter::Banned, None)
        .await?;
    assert_eq!(banned.total, 1);
    assert!(matches!(banned.participants[0].role(),
        Role::Banned { permissions, until: Some(u), .. } if !permissions.send_messages && *u == until));

    // Kick Dave: out, but not banned (he may come back).
    bob.kick_participant(chat, "@dave_d").await?;
    assert!(alice.get_permissions(chat, "@dave_d").await?.has_left());
    let kicked = alice
        .get_participants(chat, ParticipantFilter::Kicked, None)
        .await?;
    assert_eq!(kicked.total, 0);
    backend.add_channel_member(chat.id(), dave)?;

    // A user who never joined is no participant either.
    backend.create_user("9996620005", "Eve", Some("eve_e"))?;
    let eves = alice.get_permissions(chat, "@eve_e").await?;
    assert!(eves.has_left() && !eves.can_send_messages());

    // Demote Bob; his rights are gone.
    alice
        .edit_admin(chat, "@bob_b", AdminRights::default())
        .await?;
    assert!(!alice.get_permissions(chat, "@bob_b").await?.is_admin());

    // The admin log has it all, typed, with old and new values.
    let log = alice
        .get_admin_log(chat, AdminLogFilter::default(), 100)
        .await?;
    assert!(
        log.windows(2).all(|w| w[0].id() > w[1].id()),
        "newest first"
    );
    let promotions = alice
        .get_admin_log(
            chat,
            AdminLogFilter {
                promote: true,
                ..AdminLogFilter::default()
            },
            100,
        )
        .await?;
    assert_eq!(promotions.len(), 1);
    let AdminLogAction::ToggleAdmin { old, new } = promotions[0].action() else {
        panic!("{:?}", promotions[0].action())
    };
    assert!(matches!(
        old.as_ref().map(|p| p.role()),
        Some(Role::Member { .. })
    ));
    assert!(matches!(new.as_ref().map(|p| p.role()),
        Some(Role::Admin { rank: Some(r), .. }) if r == "sheriff"));
    assert_eq!(
        promotions[0].user().map(|u| u.id()),
        Some(common::me(&alice).await)
    );
    let demotions = alice
        .get_admin_log(
            chat,
            AdminLogFilter {
                demote: true,
                ..AdminLogFilter::default()
            },
            100,
        )
        .await?;
    assert_eq!(demotions.len(), 1);
    let by_bob: Vec<_> = alice
        .iter_admin_log(chat)
        .admin("@bob_b")
        .try_collect()
        .await?;
    // Restricting Carol, and Dave's ban and unban.
    assert_eq!(by_bob.len(), 3, "{by_bob:?}");
    assert!(by_bob
        .iter()
        .all(|e| e.user_id() == bob_id && matches!(e.action(), AdminLogAction::ToggleBan { .. })));
    let kicks = alice
        .get_admin_log(
            chat,
            AdminLogFilter {
                kick: true,
                unkick: true,
                ..AdminLogFilter::default()
            },
            100,
        )
        .await?;
    assert_eq!(kicks.len(), 2);
    // Streaming yields each event once.
    let mut iter = alice.iter_admin_log(chat);
    let mut seen = HashSet::new();
    while let Some(event) = iter.try_next().await? {
        assert!(seen.insert(event.id()));
    }
    assert_eq!(seen.len(), log.len());
    Ok(())
}

#[tokio::test]
async fn participants_page_past_the_server_limit_without_duplicates() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "0001").await;
    let backend = server.backend();
    let Chat::Group(group) = alice.create_supergroup("Crowd").await? else {
        panic!()
    };
    let chat = group.peer_ref().unwrap();
    let mut ids = HashSet::new();
    for i in 0..450 {
        let user = backend.create_user(&format!("9996621{i:03}"), &format!("Member {i}"), None)?;
        backend.add_channel_member(chat.id(), user)?;
        ids.insert(user);
    }
    let bot = backend.create_bot(4242, "Helper", Some("helper_bot"))?;
    backend.add_channel_member(chat.id(), bot)?;

    let mut iter = alice.iter_participants(chat);
    assert_eq!(iter.total(), None);
    let mut seen = HashSet::new();
    while let Some(p) = iter.try_next().await? {
        assert!(seen.insert(p.user().id()), "{} twice", p.user().id());
    }
    assert_eq!(seen.len(), 452);
    assert_eq!(iter.total(), Some(452));
    assert!(ids.is_subset(&seen));

    let limited = alice
        .get_participants(chat, ParticipantFilter::Recent, Some(250))
        .await?;
    assert_eq!((limited.total, limited.participants.len()), (452, 250));
    let bots = alice
        .get_participants(chat, ParticipantFilter::Bots, None)
        .await?;
    assert_eq!(bots.participants.len(), 1);
    assert_eq!(bots.participants[0].user().id(), bot);
    let searched: Vec<_> = alice
        .iter_participants(chat)
        .search("member 44")
        .try_collect()
        .await?;
    // "Member 44" and "Member 440".."Member 449".
    assert_eq!(searched.len(), 11);
    let contacts = alice
        .get_participants(chat, ParticipantFilter::Contacts, None)
        .await?;
    assert_eq!(contacts.total, 0);
    Ok(())
}

#[tokio::test]
async fn invite_links_join_check_and_revoke() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, bob, _, _) = two_clients(&server).await;
    let Chat::Group(group) = alice.create_supergroup("Hidden").await? else {
        panic!()
    };
    let chat = group.peer_ref().unwrap();
    assert_rpc(bob.export_invite_link(chat).await, "CHAT_ADMIN_REQUIRED");
    let primary = alice.export_invite_link(chat).await?;
    assert!(primary.is_permanent() && primary.link().starts_with("https://t.me/+"));
    assert_eq!(alice.export_invite_link(chat).await?, primary);
    let limited = alice
        .export_invite_link(chat)
        .usage_limit(1)
        .title("one guest")
        .await?;
    assert!(!limited.is_permanent() && limited.title() == Some("one guest"));

    let InvitePreview::Preview {
        title,
        megagroup,
        participants_count,
        ..
    } = bob.check_invite_link(limited.link()).await?
    else {
        panic!("bob is not a member yet")
    };
    assert_eq!(
        (title.as_str(), megagroup, participants_count),
        ("Hidden", true, 1)
    );
    let joined = bob.join_chat(limited.link()).await?;
    assert_eq!(joined.id(), chat.id());
    assert!(matches!(
        bob.check_invite_link(primary.hash()).await?,
        InvitePreview::Already(_)
    ));
    assert_rpc(
        bob.join_invite(primary.hash()).await,
        "USER_ALREADY_PARTICIPANT",
    );
    // The tg:// spelling of the same link reaches messages.importChatInvite too.
    assert_rpc(
        bob.join_chat(format!("tg://join?invite={}", primary.hash()))
            .await,
        "USER_ALREADY_PARTICIPANT",
    );
    // Bob's join is a service message in the history.
    let history: Vec<_> = bob.iter_messages(chat).limit(1).try_collect().await?;
    assert!(history[0].is_service());

    let (count, links) = alice.get_invite_links(chat, false).await?;
    assert_eq!(count, 2);
    assert!(links
        .iter()
        .any(|l| l.link() == limited.link() && l.usage() == 1));
    let replacement = alice
        .revoke_invite_link(chat, primary.link())
        .await?
        .expect("a revoked primary link is replaced");
    assert!(replacement.is_permanent() && replacement.link() != primary.link());
    assert_rpc(
        alice.check_invite_link(primary.link()).await,
        "INVITE_HASH_EXPIRED",
    );
    assert_rpc(
        bob.check_invite_link("https://t.me/+doesnotexist").await,
        "INVITE_HASH_INVALID",
    );
    assert_rpc(
        alice.delete_invite_link(chat, replacement.link()).await,
        "INVITE_REVOKED_MISSING",
    );
    alice.delete_invite_link(chat, primary.link()).await?;
    assert_eq!(alice.get_invite_links(chat, true).await?.0, 0);
    let full = alice.get_full_chat(chat).await?;
    assert_eq!(
        full.invite_link().map(|l| l.link().to_owned()),
        Some(replacement.link().to_owned())
    );

    let log = alice
        .get_admin_log(
            chat,
            AdminLogFilter {
                invites: true,
                join: true,
                ..AdminLogFilter::default()
            },
            10,
        )
        .await?;
    assert!(matches!(log.last().map(|e| e.action()),
        Some(AdminLogAction::JoinByInvite { link }) if link == limited.link()));
    Ok(())
}

#[tokio::test]
async fn broadcast_channels_and_slow_mode() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, bob, _, _) = two_clients(&server).await;
    let Chat::Channel(channel) = alice.create_channel("News").about("daily").await? else {
        panic!("a broadcast channel")
    };
    let chat = channel.peer_ref().unwrap();
    alice.add_participants(chat, ["@bob_b"]).await?;
    // Subscribers see neither the subscriber list nor may they edit anything.
    assert_rpc(
        bob.get_participants(chat, ParticipantFilter::Recent, None)
            .await,
        "CHAT_ADMIN_REQUIRED",
    );
    assert_rpc(bob.edit_title(chat, "Mine").await, "CHAT_ADMIN_REQUIRED");
    assert_rpc(bob.send_message(chat, "hi").await, "CHAT_ADMIN_REQUIRED");
    assert_eq!(
        alice
            .get_participants(chat, ParticipantFilter::Recent, None)
            .await?
            .total,
        2
    );
    alice.edit_title(chat, "Daily News").await?;
    let last: Vec<_> = bob.iter_messages(chat).limit(1).try_collect().await?;
    assert!(last[0].is_service(), "the rename is a post");
    let full = bob.get_full_chat(chat).await?;
    assert_eq!(
        (full.about(), full.chat().name()),
        ("daily", "Daily News".to_owned())
    );
    assert_rpc(alice.set_slow_mode(chat, 10).await, "CHANNEL_INVALID");
    assert_rpc(bob.delete_chat(chat).await, "CHAT_ADMIN_REQUIRED");
    bob.leave_chat(chat).await?;
    assert_rpc(bob.leave_chat(chat).await, "USER_NOT_PARTICIPANT");

    // Slow mode in a supergroup: a second message within the interval is refused (longer
    // than the client sleeps through, so the error reaches us).
    let Chat::Group(group) = alice.create_supergroup("Slow").await? else {
        panic!()
    };
    let slow = group.peer_ref().unwrap();
    alice.add_participants(slow, ["@bob_b"]).await?;
    assert_rpc(bob.set_slow_mode(slow, 3600).await, "CHAT_ADMIN_REQUIRED");
    assert_rpc(alice.set_slow_mode(slow, 7).await, "SECONDS_INVALID");
    alice.set_slow_mode(slow, 3600).await?;
    bob.send_message(slow, "one").await?;
    let refused = bob.send_message(slow, "two").await.unwrap_err();
    assert_eq!(rpc_name(&refused), "SLOWMODE_WAIT");
    assert!(refused.flood_wait().is_some_and(|w| w.as_secs() > 3000));
    alice.send_message(slow, "admins are exempt").await?;
    alice.send_message(slow, "twice").await?;
    assert_eq!(
        alice.get_full_chat(slow).await?.slowmode_seconds(),
        Some(3600)
    );

    alice.delete_chat(chat).await?;
    assert!(alice.get_full_chat(chat).await.is_err());
    Ok(())
}

#[tokio::test]
async fn joining_public_chats_and_the_channel_limit() -> anyhow::Result<()> {
    let server = common::start().await;
    let (bob, _) = common::signed_in(&server, 2, "0002").await;
    let bob_id = common::me(&bob).await;
    let backend = server.backend();
    let owners: Vec<i64> = (0..3)
        .map(|i| backend.create_user(&format!("999662030{i}"), "Owner", None))
        .collect::<Result<_, _>>()?;
    let public = backend.create_channel(owners[0], "Public", true, Some("public_group"))?;
    let joined = bob.join_chat("https://t.me/public_group").await?;
    assert_eq!(joined.bot_api_id(), bot_api_of_channel(public));
    assert_rpc(
        bob.join_chat("@public_group").await,
        "USER_ALREADY_PARTICIPANT",
    );
    // 500 channels is the most one user may be in.
    for i in 1..500 {
        let id = backend.create_channel(owners[i / 250 + 1], &format!("c{i}"), true, None)?;
        backend.add_channel_member(id, bob_id)?;
    }
    backend.create_channel(owners[0], "Too many", true, Some("one_too_many"))?;
    assert_rpc(bob.join_chat("@one_too_many").await, "CHANNELS_TOO_MUCH");
    assert_rpc(bob.create_supergroup("Mine").await, "CHANNELS_TOO_MUCH");
    Ok(())
}
