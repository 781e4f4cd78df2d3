//! Chat administration: rights and their errors in basic groups, supergroups and channels,
//! edits with their service messages and admin-log entries, invite links, migration, slow mode,
//! deletion.

use tgwire_tl_types::{enums, functions, types};

use super::channels::{create, group_of_two, input_channel, input_peer_channel, invite};
use super::*;
use crate::backend::channels::{no_admin_rights, no_banned_rights};

fn chat_peer(chat_id: i64) -> enums::InputPeer {
    types::InputPeerChat { chat_id }.into()
}

/// A basic group of `owner` (9996620001) with `member` (9996620002) and `other` (9996620003).
fn basic_group(b: &Backend) -> (Client, Client, Client, i64) {
    let owner = Client::connect(b, 2);
    let owner_id = owner.sign_in("9996620001");
    let member = Client::connect(b, 2);
    let member_id = member.sign_in("9996620002");
    let other = Client::connect(b, 2);
    let other_id = other.sign_in("9996620003");
    let chat = b
        .create_chat(owner_id, "Club", &[member_id, other_id])
        .unwrap();
    (owner, member, other, chat)
}

fn admin_log(
    client: &Client,
    b: &Backend,
    channel: i64,
    filter: Option<types::ChannelAdminLogEventsFilter>,
) -> Result<Vec<enums::ChannelAdminLogEventAction>, Failure> {
    let enums::channels::AdminLogResults::AdminLogResults(results) =
        client.call(&functions::channels::GetAdminLog {
            channel: input_channel(b, channel),
            q: String::new().into(),
            events_filter: filter.map(Into::into),
            admins: None,
            max_id: 0,
            min_id: 0,
            limit: 100,
        })?;
    Ok(results
        .events
        .into_iter()
        .map(|e| {
            let enums::ChannelAdminLogEvent::ChannelAdminLogEvent(e) = e;
            e.action
        })
        .collect())
}

fn no_filter() -> types::ChannelAdminLogEventsFilter {
    types::ChannelAdminLogEventsFilter {
        join: false,
        leave: false,
        invite: false,
        ban: false,
        unban: false,
        kick: false,
        unkick: false,
        promote: false,
        demote: false,
        info: false,
        settings: false,
        pinned: false,
        edit: false,
        delete: false,
        group_call: false,
        invites: false,
        send: false,
        forums: false,
        sub_extend: false,
        edit_rank: false,
    }
}

fn service_actions(updates: &[enums::Updates]) -> Vec<enums::MessageAction> {
    updates
        .iter()
        .flat_map(inner_updates)
        .filter_map(|u| match u {
            enums::Update::NewMessage(u) => Some(u.message),
            enums::Update::NewChannelMessage(u) => Some(u.message),
            _ => None,
        })
        .filter_map(|m| match m {
            enums::Message::Service(s) => Some(s.action),
            _ => None,
        })
        .collect()
}

#[test]
fn basic_group_rights_and_their_errors() {
    let b = backend();
    let (owner, member, mut other, chat) = basic_group(&b);
    let member_id = member.me().id;
    let other_id = other.me().id;
    let promote = |user, is_admin| functions::messages::EditChatAdmin {
        chat_id: chat,
        user_id: input_user(&b, user),
        is_admin,
    };
    // Only the creator promotes; only members can be promoted.
    assert_eq!(
        member.call(&promote(other_id, true)).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    let outsider = b.create_user("9996620099", "Outsider", None).unwrap();
    assert_eq!(
        owner.call(&promote(outsider, true)).unwrap_err(),
        err(400, "USER_NOT_PARTICIPANT")
    );
    other.pushed();
    assert!(owner.ok(&promote(member_id, true)));
    assert!(other
        .pushed()
        .iter()
        .flat_map(inner_updates)
        .any(|u| matches!(u, enums::Update::ChatParticipantAdmin(a) if a.user_id == member_id && a.is_admin)));

    // A plain member cannot remove someone they did not invite; the admin can.
    let kick = |user| functions::messages::DeleteChatUser {
        revoke_history: false,
        chat_id: chat,
        user_id: input_user(&b, user),
    };
    assert_eq!(
        other.call(&kick(member_id)).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    let kicked = member.ok(&kick(other_id));
    assert!(matches!(
        service_actions(&[kicked])[..],
        [enums::MessageAction::ChatDeleteUser(ref d)] if d.user_id == other_id
    ));
    // The kicked member got the service message too, with a pts of their own box.
    let pushed = other.pushed();
    assert!(matches!(
        service_actions(&pushed)[..],
        [enums::MessageAction::ChatDeleteUser(_)]
    ));
    assert_eq!(
        member.call(&kick(other_id)).unwrap_err(),
        err(400, "USER_NOT_PARTICIPANT")
    );

    // Default banned rights: members lose the right to write and to edit the title.
    let rights = |send_messages, change_info| functions::messages::EditChatDefaultBannedRights {
        peer: chat_peer(chat),
        banned_rights: types::ChatBannedRights {
            send_messages,
            change_info,
            ..no_banned_rights(0)
        }
        .into(),
    };
    let title = |text: &str| functions::messages::EditChatTitle {
        chat_id: chat,
        title: text.into(),
    };
    owner.ok(&promote(member_id, false));
    assert_eq!(
        member.call(&rights(true, true)).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    assert!(member.call(&title("Members may rename")).is_ok());
    owner.ok(&rights(true, true));
    assert_eq!(
        owner.call(&rights(true, true)).unwrap_err(),
        err(400, "CHAT_NOT_MODIFIED")
    );
    assert_eq!(
        member
            .call(&send_message(chat_peer(chat), "hi"))
            .unwrap_err(),
        err(403, "CHAT_WRITE_FORBIDDEN")
    );
    assert_eq!(
        member.call(&title("Not any more")).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    owner.send_text(chat_peer(chat), "admins still write");
    let enums::messages::Chats::Chats(chats) =
        member.ok(&functions::messages::GetChats { id: vec![chat] })
    else {
        panic!()
    };
    let enums::Chat::Chat(seen) = &chats.chats[0] else {
        panic!()
    };
    assert_eq!(seen.title, "Members may rename");
    assert!(seen.default_banned_rights.is_some());
}

#[test]
fn title_changes_are_service_messages_replayed_by_get_difference() {
    let b = backend();
    let (owner, member, _, chat) = basic_group(&b);
    let before = member.state();
    owner.ok(&functions::messages::EditChatTitle {
        chat_id: chat,
        title: "Renamed".into(),
    });
    assert_eq!(
        owner
            .call(&functions::messages::EditChatTitle {
                chat_id: chat,
                title: "Renamed".into(),
            })
            .unwrap_err(),
        err(400, "CHAT_NOT_MODIFIED")
    );
    let enums::updates::Difference::Difference(diff) =
        member.ok(&functions::updates::GetDifference {
            pts: before.pts,
            pts_limit: None,
            pts_total_limit: None,
            date: before.date,
            qts: 0,
            qts_limit: None,
        })
    else {
        panic!()
    };
    assert!(matches!(
        &diff.new_messages[..],
        [enums::Message::Service(s)]
            if matches!(&s.action, enums::MessageAction::ChatEditTitle(t) if t.title == "Renamed")
    ));
    assert!(diff
        .chats
        .iter()
        .any(|c| matches!(c, enums::Chat::Chat(c) if c.title == "Renamed")));
}

#[test]
fn supergroup_admin_rights_are_checked() {
    let b = backend();
    let (owner, _owner_id, member, group) = group_of_two(&b, "Rights");
    let member_id = member.me().id;
    let third = Client::connect(&b, 2);
    let third_id = third.sign_in("9996620003");
    invite(&owner, &b, group, &[third_id]).unwrap();
    let edit_admin =
        |user, rights: types::ChatAdminRights, rank: Option<&str>| functions::channels::EditAdmin {
            channel: input_channel(&b, group),
            user_id: input_user(&b, user),
            admin_rights: rights.into(),
            rank: rank.map(Into::into),
        };
    let inviter = types::ChatAdminRights {
        invite_users: true,
        add_admins: true,
        ..no_admin_rights()
    };
    assert_eq!(
        member
            .call(&edit_admin(third_id, inviter.clone(), None))
            .unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    owner.ok(&edit_admin(member_id, inviter.clone(), Some("helper")));
    // An admin grants only the rights they hold.
    let banner = types::ChatAdminRights {
        ban_users: true,
        ..no_admin_rights()
    };
    assert_eq!(
        member
            .call(&edit_admin(third_id, banner.clone(), None))
            .unwrap_err(),
        err(403, "RIGHT_FORBIDDEN")
    );
    let only_invite = types::ChatAdminRights {
        invite_users: true,
        ..no_admin_rights()
    };
    member.ok(&edit_admin(third_id, only_invite, None));
    // The creator cannot be edited, ranks are short.
    let creator = owner.me().id;
    assert_eq!(
        member
            .call(&edit_admin(creator, inviter.clone(), None))
            .unwrap_err(),
        err(400, "USER_CREATOR")
    );
    assert_eq!(
        owner
            .call(&edit_admin(
                third_id,
                inviter.clone(),
                Some("a rank far too long")
            ))
            .unwrap_err(),
        err(400, "ADMIN_RANK_INVALID")
    );
    // Banning: admins without the right cannot; nobody bans the creator or an admin they did
    // not promote.
    let ban = |user| functions::channels::EditBanned {
        channel: input_channel(&b, group),
        participant: input_peer_user(&b, user),
        banned_rights: types::ChatBannedRights {
            send_messages: true,
            ..no_banned_rights(0)
        }
        .into(),
    };
    assert_eq!(
        member.call(&ban(third_id)).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    owner.ok(&edit_admin(member_id, banner, None));
    assert_eq!(
        member.call(&ban(creator)).unwrap_err(),
        err(400, "USER_ADMIN_INVALID")
    );
    assert_eq!(
        third.call(&ban(member_id)).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    let outsider = b.create_user("9996620099", "Outsider", None).unwrap();
    assert_eq!(
        owner.call(&ban(outsider)).unwrap_err(),
        err(400, "USER_NOT_PARTICIPANT")
    );
    // Kicked and banned lists are for admins.
    let kicked = functions::channels::GetParticipants {
        channel: input_channel(&b, group),
        filter: types::ChannelParticipantsKicked {
            q: String::new().into(),
        }
        .into(),
        offset: 0,
        limit: 10,
        hash: 0,
    };
    let plain = Client::connect(&b, 2);
    let plain_id = plain.sign_in("9996620004");
    invite(&owner, &b, group, &[plain_id]).unwrap();
    assert_eq!(
        plain.call(&kicked).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    assert!(owner.call(&kicked).is_ok());
}

#[test]
fn every_admin_action_is_in_the_admin_log() {
    let b = backend();
    let (owner, _, member, group) = group_of_two(&b, "Logged");
    let member_id = member.me().id;
    owner.ok(&functions::channels::EditAdmin {
        channel: input_channel(&b, group),
        user_id: input_user(&b, member_id),
        admin_rights: types::ChatAdminRights {
            change_info: true,
            ..no_admin_rights()
        }
        .into(),
        rank: Some("mod".into()),
    });
    member.ok(&functions::channels::EditTitle {
        channel: input_channel(&b, group),
        title: "Logged and renamed".into(),
    });
    owner.ok(&functions::messages::EditChatAbout {
        peer: input_peer_channel(&b, group),
        about: "new about".into(),
    });
    owner.ok(&functions::channels::ToggleSlowMode {
        channel: input_channel(&b, group),
        seconds: 30,
    });
    owner.ok(&functions::channels::EditBanned {
        channel: input_channel(&b, group),
        participant: input_peer_user(&b, member_id),
        banned_rights: types::ChatBannedRights {
            view_messages: true,
            ..no_banned_rights(0)
        }
        .into(),
    });
    // Admins only.
    assert_eq!(
        member
            .call(&functions::channels::GetAdminLog {
                channel: input_channel(&b, group),
                q: String::new().into(),
                events_filter: None,
                admins: None,
                max_id: 0,
                min_id: 0,
                limit: 10,
            })
            .unwrap_err(),
        err(400, "CHANNEL_PRIVATE")
    );
    use enums::ChannelAdminLogEventAction as A;
    let all = admin_log(&owner, &b, group, None).unwrap();
    let kinds: Vec<&str> = all
        .iter()
        .map(|a| match a {
            A::ParticipantToggleBan(_) => "ban",
            A::ToggleSlowMode(_) => "slowmode",
            A::ChangeAbout(_) => "about",
            A::ChangeTitle(_) => "title",
            A::ParticipantToggleAdmin(_) => "admin",
            A::ParticipantInvite(_) => "invite",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["ban", "slowmode", "about", "title", "admin", "invite"]
    );
    let A::ChangeTitle(title) = &all[3] else {
        panic!()
    };
    assert_eq!(
        (title.prev_value.as_str(), title.new_value.as_str()),
        ("Logged", "Logged and renamed")
    );
    let A::ParticipantToggleAdmin(promoted) = &all[4] else {
        panic!()
    };
    assert!(matches!(
        promoted.prev_participant,
        enums::ChannelParticipant::ChannelParticipant(_)
    ));
    assert!(matches!(&promoted.new_participant,
        enums::ChannelParticipant::Admin(a) if a.rank.as_deref() == Some("mod")));
    // Filters.
    let kicks = admin_log(
        &owner,
        &b,
        group,
        Some(types::ChannelAdminLogEventsFilter {
            kick: true,
            ..no_filter()
        }),
    )
    .unwrap();
    assert_eq!(kicks.len(), 1);
    let info = admin_log(
        &owner,
        &b,
        group,
        Some(types::ChannelAdminLogEventsFilter {
            info: true,
            settings: true,
            ..no_filter()
        }),
    )
    .unwrap();
    assert_eq!(info.len(), 3);
    // By admin, and by text.
    let enums::channels::AdminLogResults::AdminLogResults(by_member) =
        owner.ok(&functions::channels::GetAdminLog {
            channel: input_channel(&b, group),
            q: String::new().into(),
            events_filter: None,
            admins: Some(vec![input_user(&b, member_id)]),
            max_id: 0,
            min_id: 0,
            limit: 10,
        });
    assert_eq!(by_member.events.len(), 1);
    let enums::channels::AdminLogResults::AdminLogResults(found) =
        owner.ok(&functions::channels::GetAdminLog {
            channel: input_channel(&b, group),
            q: "renamed".into(),
            events_filter: None,
            admins: None,
            max_id: 0,
            min_id: 0,
            limit: 10,
        });
    assert_eq!(found.events.len(), 1);
}

#[test]
fn slow_mode_makes_members_wait() {
    let b = backend();
    let (owner, _, member, group) = group_of_two(&b, "Slow");
    let slow = |seconds| functions::channels::ToggleSlowMode {
        channel: input_channel(&b, group),
        seconds,
    };
    assert_eq!(
        owner.call(&slow(7)).unwrap_err(),
        err(400, "SECONDS_INVALID")
    );
    assert_eq!(
        member.call(&slow(60)).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    owner.ok(&slow(60));
    member.send_text(input_peer_channel(&b, group), "first");
    let second = member
        .call(&send_message(input_peer_channel(&b, group), "second"))
        .unwrap_err();
    assert_eq!(second.code, 420);
    assert!(second.message.starts_with("SLOWMODE_WAIT_"), "{second:?}");
    // Admins are exempt.
    owner.send_text(input_peer_channel(&b, group), "one");
    owner.send_text(input_peer_channel(&b, group), "two");
    let enums::messages::ChatFull::ChatFull(full) =
        member.ok(&functions::channels::GetFullChannel {
            channel: input_channel(&b, group),
        });
    let enums::ChatFull::ChannelFull(full) = &full.full_chat else {
        panic!()
    };
    assert_eq!(full.slowmode_seconds, Some(60));
    assert!(full.slowmode_next_send_date.is_some());
}

#[test]
fn invite_links_join_list_and_expire() {
    let b = backend();
    let owner = Client::connect(&b, 2);
    let owner_id = owner.sign_in("9996620001");
    let mut guest = Client::connect(&b, 2);
    guest.sign_in("9996620002");
    let late = Client::connect(&b, 2);
    late.sign_in("9996620003");
    let group = create(&owner, "Private", true);
    let export = |usage_limit| functions::messages::ExportChatInvite {
        legacy_revoke_permanent: false,
        request_needed: false,
        peer: input_peer_channel(&b, group),
        expire_date: None,
        usage_limit,
        title: None,
        subscription_pricing: None,
    };
    let enums::ExportedChatInvite::ChatInviteExported(primary) = owner.ok(&export(None)) else {
        panic!()
    };
    assert!(primary.permanent && primary.link.starts_with("https://t.me/+"));
    // Exporting again gives the same primary link.
    assert_eq!(owner.ok(&export(None)), (*primary).clone().into());
    assert_eq!(
        guest.call(&export(None)).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    let enums::ExportedChatInvite::ChatInviteExported(once) = owner.ok(&export(Some(1))) else {
        panic!()
    };
    assert!(!once.permanent);
    let hash = |link: &str| link.rsplit('+').next().unwrap().to_owned();
    let check = |client: &Client, link: &str| {
        client.call(&functions::messages::CheckChatInvite {
            hash: hash(link).into(),
        })
    };
    let import = |client: &Client, link: &str| {
        client.call(&functions::messages::ImportChatInvite {
            hash: hash(link).into(),
        })
    };
    let enums::ChatInvite::ChatInvite(preview) = check(&guest, &once.link).unwrap() else {
        panic!()
    };
    assert!(preview.megagroup && !preview.public);
    assert_eq!(
        (preview.title.as_str(), preview.participants_count),
        ("Private", 1)
    );
    let enums::messages::ChatInviteJoinResult::Ok(joined) = import(&guest, &once.link).unwrap()
    else {
        panic!()
    };
    assert!(matches!(
        service_actions(&[joined.updates])[..],
        [enums::MessageAction::ChatJoinedByLink(ref j)] if j.inviter_id == owner_id
    ));
    guest.pushed();
    assert!(matches!(
        check(&guest, &primary.link).unwrap(),
        enums::ChatInvite::Already(_)
    ));
    assert_eq!(
        import(&guest, &primary.link).unwrap_err(),
        err(400, "USER_ALREADY_PARTICIPANT")
    );
    // The one-use link is used up.
    assert_eq!(
        import(&late, &once.link).unwrap_err(),
        err(400, "INVITE_HASH_EXPIRED")
    );
    assert_eq!(
        check(&late, "https://t.me/+nosuchlink").unwrap_err(),
        err(400, "INVITE_HASH_INVALID")
    );
    // Revoking the primary link replaces it.
    let revoked = owner.ok(&functions::messages::EditExportedChatInvite {
        revoked: true,
        peer: input_peer_channel(&b, group),
        link: primary.link.clone(),
        expire_date: None,
        usage_limit: None,
        request_needed: None,
        title: None,
    });
    let enums::messages::ExportedChatInvite::Replaced(replaced) = revoked else {
        panic!()
    };
    let enums::ExportedChatInvite::ChatInviteExported(new_primary) = &replaced.new_invite else {
        panic!()
    };
    assert_ne!(new_primary.link, primary.link);
    assert_eq!(
        import(&late, &primary.link).unwrap_err(),
        err(400, "INVITE_HASH_EXPIRED")
    );
    assert!(import(&late, &new_primary.link).is_ok());
    let list = |revoked| {
        let enums::messages::ExportedChatInvites::ExportedChatInvites(list) =
            owner.ok(&functions::messages::GetExportedChatInvites {
                revoked,
                peer: input_peer_channel(&b, group),
                admin_id: enums::InputUser::InputUserSelf,
                offset_date: None,
                offset_link: None,
                limit: 10,
            });
        list.count
    };
    assert_eq!((list(false), list(true)), (2, 1));
    // Only revoked links can be deleted.
    assert_eq!(
        owner
            .call(&functions::messages::DeleteExportedChatInvite {
                peer: input_peer_channel(&b, group),
                link: new_primary.link.clone(),
            })
            .unwrap_err(),
        err(400, "INVITE_REVOKED_MISSING")
    );
    owner.ok(&functions::messages::DeleteRevokedExportedChatInvites {
        peer: input_peer_channel(&b, group),
        admin_id: enums::InputUser::InputUserSelf,
    });
    assert_eq!(list(true), 0);
    let invites = admin_log(
        &owner,
        &b,
        group,
        Some(types::ChannelAdminLogEventsFilter {
            invites: true,
            join: true,
            ..no_filter()
        }),
    )
    .unwrap();
    assert_eq!(
        invites.len(),
        4,
        "two joins, a revoke, a delete: {invites:?}"
    );
}

#[test]
fn migrating_a_basic_group_keeps_members_and_links_both_ids() {
    let b = backend();
    let (owner, mut member, _, chat) = basic_group(&b);
    let member_id = member.me().id;
    owner.ok(&functions::messages::EditChatAdmin {
        chat_id: chat,
        user_id: input_user(&b, member_id),
        is_admin: true,
    });
    owner.send_text(chat_peer(chat), "before the move");
    assert_eq!(
        member
            .call(&functions::messages::MigrateChat { chat_id: chat })
            .unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    member.pushed();
    let answer = owner.ok(&functions::messages::MigrateChat { chat_id: chat });
    let enums::Updates::Updates(updates) = &answer else {
        panic!()
    };
    let channel = updates
        .chats
        .iter()
        .find_map(|c| match c {
            enums::Chat::Channel(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap();
    assert!(channel.megagroup && channel.creator);
    let actions = service_actions(std::slice::from_ref(&answer));
    assert!(matches!(&actions[..], [
        enums::MessageAction::ChatMigrateTo(to),
        enums::MessageAction::ChannelMigrateFrom(from),
    ] if to.channel_id == channel.id && from.chat_id == chat));
    // Members were pushed both service messages.
    assert_eq!(service_actions(&member.pushed()).len(), 2);
    // The old id resolves to the deactivated group pointing at the new one.
    let enums::messages::Chats::Chats(chats) =
        member.ok(&functions::messages::GetChats { id: vec![chat] })
    else {
        panic!()
    };
    let enums::Chat::Chat(old) = &chats.chats[0] else {
        panic!()
    };
    assert!(old.deactivated);
    assert!(matches!(&old.migrated_to,
        Some(enums::InputChannel::InputChannel(c)) if c.channel_id == channel.id));
    assert_eq!(
        member
            .call(&send_message(chat_peer(chat), "too late"))
            .unwrap_err(),
        err(403, "CHAT_WRITE_FORBIDDEN")
    );
    // The supergroup has everyone, the admin still an admin, and points back.
    let enums::messages::ChatFull::ChatFull(full) =
        member.ok(&functions::channels::GetFullChannel {
            channel: input_channel(&b, channel.id),
        });
    let enums::ChatFull::ChannelFull(full) = &full.full_chat else {
        panic!()
    };
    assert_eq!(full.migrated_from_chat_id, Some(chat));
    assert_eq!(full.participants_count, Some(3));
    assert_eq!(full.admins_count, Some(2));
    member.send_text(input_peer_channel(&b, channel.id), "after the move");
}

#[test]
fn deleting_groups_and_channels_is_for_creators() {
    let b = backend();
    let (owner, member, _, chat) = basic_group(&b);
    owner.send_text(chat_peer(chat), "soon gone");
    assert_eq!(
        member
            .call(&functions::messages::DeleteChat { chat_id: chat })
            .unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    assert!(owner.ok(&functions::messages::DeleteChat { chat_id: chat }));
    assert!(b.history(member.me().id, Peer::Chat(chat)).is_empty());

    let b = backend();
    let (owner, _, mut member, group) = group_of_two(&b, "Doomed");
    assert_eq!(
        member
            .call(&functions::channels::DeleteChannel {
                channel: input_channel(&b, group),
            })
            .unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    member.pushed();
    let access = input_channel(&b, group);
    owner.ok(&functions::channels::DeleteChannel {
        channel: access.clone(),
    });
    assert!(member.pushed().iter().any(|u| matches!(u,
        enums::Updates::Updates(u) if matches!(u.chats[..], [enums::Chat::ChannelForbidden(_)]))));
    assert_eq!(
        member
            .call(&functions::channels::GetFullChannel { channel: access })
            .unwrap_err(),
        err(400, "CHANNEL_INVALID")
    );
}

#[test]
fn too_many_channels_is_an_error() {
    let b = backend();
    let client = Client::connect(&b, 2);
    let me = client.sign_in("9996620001");
    // The owners are in as many channels as `me`, so there are several.
    let owners: Vec<i64> = (0..3)
        .map(|i| {
            b.create_user(&format!("999662010{i}"), "Owner", None)
                .unwrap()
        })
        .collect();
    for i in 0..crate::backend::channels::CHANNELS_MAX {
        let owner = owners[i / 250];
        let id = b
            .create_channel(owner, &format!("c{i}"), true, None)
            .unwrap();
        b.add_channel_member(id, me).unwrap();
    }
    let one_more = b.create_channel(owners[2], "one more", true, None).unwrap();
    assert_eq!(
        client
            .call(&functions::channels::JoinChannel {
                channel: input_channel(&b, one_more),
            })
            .unwrap_err(),
        err(400, "CHANNELS_TOO_MUCH")
    );
    assert_eq!(
        client
            .call(&functions::channels::CreateChannel {
                broadcast: true,
                megagroup: false,
                for_import: false,
                forum: false,
                title: "mine".into(),
                about: String::new().into(),
                geo_point: None,
                address: None,
                ttl_period: None,
            })
            .unwrap_err(),
        err(400, "CHANNELS_TOO_MUCH")
    );
}

#[test]
fn group_and_channel_photos_and_about() {
    let b = backend();
    let (owner, member, _, chat) = basic_group(&b);
    let upload = |client: &Client| {
        let file_id: i64 = rand::random();
        assert!(client.ok(&functions::upload::SaveFilePart {
            file_id,
            file_part: 0,
            bytes: vec![0xff, 0xd8, 0xff, 0xe0, 9, 9].into(),
        }));
        enums::InputChatPhoto::from(types::InputChatUploadedPhoto {
            file: Some(
                types::InputFile {
                    id: file_id,
                    parts: 1,
                    name: "p.jpg".into(),
                    md5_checksum: String::new().into(),
                }
                .into(),
            ),
            video: None,
            video_start_ts: None,
            video_emoji_markup: None,
        })
    };
    let answer = owner.ok(&functions::messages::EditChatPhoto {
        chat_id: chat,
        photo: upload(&owner),
    });
    assert!(matches!(
        service_actions(&[answer])[..],
        [enums::MessageAction::ChatEditPhoto(_)]
    ));
    owner.ok(&functions::messages::EditChatAbout {
        peer: chat_peer(chat),
        about: "about the club".into(),
    });
    let enums::messages::ChatFull::ChatFull(full) =
        member.ok(&functions::messages::GetFullChat { chat_id: chat });
    let enums::ChatFull::ChatFull(full) = &full.full_chat else {
        panic!()
    };
    assert_eq!(full.about, "about the club");
    assert!(matches!(full.chat_photo, Some(enums::Photo::Photo(_))));
    owner.ok(&functions::messages::EditChatPhoto {
        chat_id: chat,
        photo: enums::InputChatPhoto::Empty,
    });
    assert_eq!(
        owner
            .call(&functions::messages::EditChatPhoto {
                chat_id: chat,
                photo: enums::InputChatPhoto::Empty,
            })
            .unwrap_err(),
        err(400, "CHAT_NOT_MODIFIED")
    );

    // In a broadcast channel subscribers change nothing; the admin's change is a post.
    let channel = create(&owner, "Broadcast", false);
    invite(&owner, &b, channel, &[member.me().id]).unwrap();
    assert_eq!(
        member
            .call(&functions::channels::EditPhoto {
                channel: input_channel(&b, channel),
                photo: upload(&member),
            })
            .unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    let answer = owner.ok(&functions::channels::EditPhoto {
        channel: input_channel(&b, channel),
        photo: upload(&owner),
    });
    assert!(matches!(
        service_actions(&[answer])[..],
        [enums::MessageAction::ChatEditPhoto(_)]
    ));
    let log = admin_log(&owner, &b, channel, None).unwrap();
    assert!(
        matches!(&log[0], enums::ChannelAdminLogEventAction::ChangePhoto(p)
        if matches!(p.prev_photo, enums::Photo::Empty(_)) && matches!(p.new_photo, enums::Photo::Photo(_)))
    );
}

#[test]
fn profile_photos_page_newest_first() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    alice.sign_in("9996620001");
    let bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    let mut ids = Vec::new();
    for i in 0..3u8 {
        let file_id: i64 = rand::random();
        assert!(bob.ok(&functions::upload::SaveFilePart {
            file_id,
            file_part: 0,
            bytes: vec![0xff, 0xd8, i].into(),
        }));
        let enums::photos::Photo::Photo(photo) = bob.ok(&functions::photos::UploadProfilePhoto {
            fallback: false,
            bot: None,
            file: Some(
                types::InputFile {
                    id: file_id,
                    parts: 1,
                    name: "p.jpg".into(),
                    md5_checksum: String::new().into(),
                }
                .into(),
            ),
            video: None,
            video_start_ts: None,
            video_emoji_markup: None,
        });
        let enums::Photo::Photo(photo) = photo.photo else {
            panic!()
        };
        ids.push(photo.id);
    }
    let page = |max_id, limit| match alice.ok(&functions::photos::GetUserPhotos {
        user_id: input_user(&b, bob_id),
        offset: 0,
        max_id,
        limit,
    }) {
        enums::photos::Photos::Photos(p) => (p.photos.len(), None, p.photos),
        enums::photos::Photos::Slice(p) => (p.photos.len(), Some(p.count), p.photos),
    };
    let id_of = |p: &enums::Photo| match p {
        enums::Photo::Photo(p) => p.id,
        enums::Photo::Empty(p) => p.id,
    };
    let (n, count, first) = page(0, 2);
    assert_eq!((n, count), (2, Some(3)));
    assert_eq!(id_of(&first[0]), ids[2], "newest first");
    let (n, _, rest) = page(id_of(&first[1]), 2);
    assert_eq!(n, 1);
    assert_eq!(id_of(&rest[0]), ids[0]);
    // Alice has no photo; Bob's user object shows his newest.
    assert!(alice.me().photo.is_none());
    let users = alice.ok(&functions::users::GetUsers {
        id: vec![input_user(&b, bob_id)],
    });
    assert!(matches!(&users[0], enums::User::User(u)
        if matches!(&u.photo, Some(enums::UserProfilePhoto::UserProfilePhoto(p)) if p.photo_id == ids[2])));
    assert!(alice.ok(&functions::account::CheckUsername {
        username: "free_name".into()
    }));
    assert_eq!(
        alice
            .call(&functions::account::CheckUsername {
                username: "no".into()
            })
            .unwrap_err(),
        err(400, "USERNAME_INVALID")
    );
}

#[test]
fn statistics_are_for_admins_of_the_right_kind() {
    let b = backend();
    let (owner, _, member, group) = group_of_two(&b, "Stats");
    let megagroup = functions::stats::GetMegagroupStats {
        dark: false,
        channel: input_channel(&b, group),
    };
    assert_eq!(
        member.call(&megagroup).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    assert_eq!(
        owner
            .call(&functions::stats::GetBroadcastStats {
                dark: false,
                channel: input_channel(&b, group),
            })
            .unwrap_err(),
        err(400, "BROADCAST_REQUIRED")
    );
    let enums::stats::MegagroupStats::MegagroupStats(stats) = owner.ok(&megagroup);
    let enums::StatsGraph::StatsGraphAsync(token) = &stats.messages_graph else {
        panic!("the messages graph is loaded separately")
    };
    let load = |token: &str| functions::stats::LoadAsyncGraph {
        token: token.into(),
        x: None,
    };
    assert!(matches!(
        owner.ok(&load(&token.token)),
        enums::StatsGraph::StatsGraph(_)
    ));
    assert_eq!(
        member.call(&load(&token.token)).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    assert_eq!(
        owner.call(&load("nonsense")).unwrap_err(),
        err(400, "GRAPH_INVALID_RELOAD")
    );
}

#[test]
fn takeouts_belong_to_their_key() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let other_device = Client::connect(&b, 2);
    other_device.sign_in("9996620001");
    let enums::account::Takeout::Takeout(takeout) =
        alice.ok(&functions::account::InitTakeoutSession {
            contacts: true,
            message_users: false,
            message_chats: false,
            message_megagroups: false,
            message_channels: false,
            files: false,
            file_max_size: None,
        });
    let wrapped = |id| functions::InvokeWithTakeout {
        takeout_id: id,
        query: functions::users::GetUsers {
            id: vec![enums::InputUser::InputUserSelf],
        },
    };
    assert_eq!(alice.ok(&wrapped(takeout.id)).len(), 1);
    assert_eq!(b.takeout_requests(alice_id), Some(1));
    assert_eq!(
        other_device.call(&wrapped(takeout.id)).unwrap_err(),
        err(400, "TAKEOUT_INVALID")
    );
    assert_eq!(
        other_device
            .call(&functions::account::FinishTakeoutSession { success: true })
            .unwrap_err(),
        err(400, "TAKEOUT_REQUIRED")
    );
    assert!(alice.ok(&functions::account::FinishTakeoutSession { success: true }));
    assert_eq!(b.takeout_requests(alice_id), None);
    assert_eq!(
        alice.call(&wrapped(takeout.id)).unwrap_err(),
        err(400, "TAKEOUT_INVALID")
    );
}
