//! The same chat operations in a basic group, a supergroup and a broadcast channel, each
//! against the test server: invite links (made, listed, checked, joined by full link and by
//! hash, used up, revoked), leaving, every participant filter, promotions and the errors for
//! missing rights, kicks (ourselves included), edits and deletion. Where Telegram's answer
//! differs between the kinds, the test says which.

mod common;

use futures_util::TryStreamExt;
use tgwire::{
    AdminRights, Chat, Client, InvitePreview, InvocationError, ParticipantFilter, Permissions,
};

/// `result` failed with the RPC error `name`.
#[track_caller]
fn assert_rpc<T: std::fmt::Debug>(result: Result<T, InvocationError>, name: &str) {
    match result {
        Err(e) if e.is(name) => {}
        other => panic!("expected {name}, got {other:?}"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Basic,
    Supergroup,
    Channel,
}

/// Alice's new chat of `kind` with Carol and the bot in it.
async fn create(alice: &Client, kind: Kind, title: &str) -> anyhow::Result<Chat> {
    let members = ["@carol_k", "@helper_k"];
    Ok(match kind {
        Kind::Basic => Chat::Group(alice.create_group(title, members).await?),
        Kind::Supergroup | Kind::Channel => {
            let chat = if kind == Kind::Supergroup {
                alice.create_supergroup(title).await?
            } else {
                alice.create_channel(title).await?
            };
            alice.add_participants(&chat, members).await?;
            chat
        }
    })
}

async fn count(client: &Client, chat: &Chat, filter: ParticipantFilter) -> usize {
    let what = format!("{filter:?}");
    client
        .get_participants(chat, filter, None)
        .await
        .unwrap_or_else(|e| panic!("{what} of {}: {e}", chat.name()))
        .total
}

#[tokio::test]
async fn links_participants_rights_and_deletion_in_every_kind_of_chat() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "0031").await;
    let (bob, _) = common::signed_in(&server, 2, "0032").await;
    let alice_id = common::me(&alice).await;
    let bob_id = common::me(&bob).await;
    let backend = server.backend();
    backend.set_username(alice_id, Some("alice_k"))?;
    backend.set_username(bob_id, Some("bob_k"))?;
    let carol = backend.create_user("9996620033", "Carol", Some("carol_k"))?;
    backend.create_bot(4343, "Helper", Some("helper_k"))?;
    backend.add_contact(alice_id, carol)?;

    for kind in [Kind::Basic, Kind::Supergroup, Kind::Channel] {
        let title = format!("{kind:?} chat");
        let chat = create(&alice, kind, &title).await?;
        let in_kind = |what: &str| format!("{what} in a {kind:?}");

        // Invite links: the primary one and a one-use one; Bob looks, then joins by the full
        // link; the other spelling (a bare hash) finds him a member already.
        let primary = alice.export_invite_link(&chat).await?;
        assert!(primary.is_permanent(), "{}", in_kind("primary link"));
        let once = alice.export_invite_link(&chat).usage_limit(1).await?;
        match bob.check_invite_link(once.link()).await? {
            InvitePreview::Preview {
                title: seen,
                participants_count,
                ..
            } => {
                assert_eq!(seen, title);
                assert_eq!(participants_count, 3, "{}", in_kind("preview"));
            }
            other => panic!("{}: {other:?}", in_kind("preview")),
        }
        let joined = bob.join_chat(once.link()).await?;
        assert_eq!(joined.id(), chat.id(), "{}", in_kind("join"));
        assert!(matches!(
            bob.check_invite_link(primary.hash()).await?,
            InvitePreview::Already(_)
        ));
        assert_rpc(
            bob.join_invite(primary.hash()).await,
            "USER_ALREADY_PARTICIPANT",
        );
        let (listed, links) = alice.get_invite_links(&chat, false).await?;
        assert_eq!(listed, 2, "{}", in_kind("links"));
        assert!(links
            .iter()
            .any(|l| l.link() == once.link() && l.usage() == 1));

        // Bob leaves (twice is an error), the used-up link no longer works, the primary one
        // brings him back.
        bob.leave_chat(&joined).await?;
        // A basic group refuses those no longer in it anything (403 CHAT_WRITE_FORBIDDEN);
        // channels say who is not a participant.
        let not_in = if kind == Kind::Basic {
            "CHAT_WRITE_FORBIDDEN"
        } else {
            "USER_NOT_PARTICIPANT"
        };
        assert_rpc(bob.leave_chat(&joined).await, not_in);
        assert_rpc(bob.join_chat(once.link()).await, "INVITE_HASH_EXPIRED");
        bob.join_invite(primary.link()).await?;
        // Revoking the primary link replaces it; the old one is expired for everyone.
        let replacement = alice
            .revoke_invite_link(&chat, primary.link())
            .await?
            .expect("a revoked primary link is replaced");
        assert_ne!(replacement.link(), primary.link());
        assert_rpc(
            bob.check_invite_link(primary.link()).await,
            "INVITE_HASH_EXPIRED",
        );

        // Participants, every filter (Alice is the creator and Carol her contact).
        assert_eq!(count(&alice, &chat, ParticipantFilter::Recent).await, 4);
        assert_eq!(count(&alice, &chat, ParticipantFilter::Admins).await, 1);
        assert_eq!(count(&alice, &chat, ParticipantFilter::Bots).await, 1);
        assert_eq!(count(&alice, &chat, ParticipantFilter::Contacts).await, 1);
        let found: Vec<_> = alice
            .iter_participants(&chat)
            .search("caro")
            .try_collect()
            .await?;
        assert_eq!(found.len(), 1, "{}", in_kind("search"));
        assert_eq!(found[0].user().id(), carol);

        // Rights: a member promotes no one; an admin grants only what they hold and touches
        // neither the creator nor (in channels) other admins' equals.
        let moderator = AdminRights {
            invite_users: true,
            ban_users: true,
            add_admins: kind != Kind::Basic,
            ..AdminRights::default()
        };
        assert_rpc(
            bob.edit_admin(&joined, "@carol_k", moderator).await,
            "CHAT_ADMIN_REQUIRED",
        );
        alice.edit_admin(&chat, "@bob_k", moderator).await?;
        assert!(alice.get_permissions(&chat, "@bob_k").await?.is_admin());
        assert_eq!(count(&alice, &chat, ParticipantFilter::Admins).await, 2);
        if kind == Kind::Basic {
            // Only the creator promotes in basic groups.
            assert_rpc(
                bob.edit_admin(&joined, "@carol_k", moderator).await,
                "CHAT_ADMIN_REQUIRED",
            );
        } else {
            let info = AdminRights {
                change_info: true,
                ..AdminRights::default()
            };
            assert_rpc(
                bob.edit_admin(&joined, "@carol_k", info).await,
                "RIGHT_FORBIDDEN",
            );
            assert_rpc(
                bob.edit_permissions(&joined, "@alice_k", Permissions::none())
                    .await,
                "USER_ADMIN_INVALID",
            );
            // A ban keeps Carol out; the kicked list has her (and a member may not look).
            bob.edit_permissions(&joined, "@carol_k", Permissions::none())
                .await?;
            assert_eq!(count(&alice, &chat, ParticipantFilter::Kicked).await, 1);
        }
        let banned = alice
            .get_participants(&chat, ParticipantFilter::Banned, None)
            .await?;
        if kind == Kind::Supergroup {
            // What every member may do: no more links from them.
            let no_links = Permissions {
                invite_users: false,
                ..Permissions::all()
            };
            alice.edit_default_permissions(&chat, no_links).await?;
            let bots = alice.get_permissions(&chat, "@helper_k").await?;
            assert!(!bots.can_invite_users() && bots.can_send_messages());
            // One restricted member (the bot may not write) joins the banned list.
            let quiet = Permissions {
                send_messages: false,
                ..Permissions::all()
            };
            alice.edit_permissions(&chat, "@helper_k", quiet).await?;
            assert_eq!(
                count(&alice, &chat, ParticipantFilter::Banned).await,
                banned.total + 1
            );
        } else if kind == Kind::Basic {
            // Basic groups restrict no one by name, and keep no one out.
            assert_eq!(banned.total, 0);
            assert_eq!(count(&alice, &chat, ParticipantFilter::Kicked).await, 0);
        }
        assert!(banned
            .participants
            .iter()
            .all(|p| matches!(p.role(), tgwire::Role::Banned { .. })));

        // Kicks: the bot goes, and Bob kicking himself leaves.
        alice.kick_participant(&chat, "@helper_k").await?;
        assert!(alice.get_permissions(&chat, "@helper_k").await?.has_left());
        bob.kick_participant(&joined, "me").await?;
        assert!(alice.get_permissions(&chat, "@bob_k").await?.has_left());

        // Edits and deletion: the creator only.
        alice
            .edit_title(&chat, &format!("{title}, renamed"))
            .await?;
        alice.edit_about(&chat, "about this chat").await?;
        let full = alice.get_full_chat(&chat).await?;
        assert_eq!(full.about(), "about this chat");
        assert_eq!(full.chat().name(), format!("{title}, renamed"));
        alice.delete_chat(&chat).await?;
        // Nobody writes there any more.
        assert!(
            alice.send_message(&chat, "anyone?").await.is_err(),
            "{}",
            in_kind("deleted")
        );
    }
    alice.disconnect().await;
    bob.disconnect().await;
    Ok(())
}
