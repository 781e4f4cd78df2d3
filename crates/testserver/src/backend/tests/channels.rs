//! Supergroups and broadcast channels: per-channel pts, membership, rights, bans,
//! `updates.getChannelDifference`.

use tgwire_tl_types::{enums, functions, types};

use super::*;
use crate::backend::channels::{no_admin_rights, no_banned_rights};

/// A new supergroup `title` of an owner (phone `9996620001`) and one member (`9996620002`):
/// (owner, owner's id, member, group id).
pub(super) fn group_of_two(b: &Backend, title: &str) -> (Client, i64, Client, i64) {
    let owner = Client::connect(b, 2);
    let owner_id = owner.sign_in("9996620001");
    let member = Client::connect(b, 2);
    let member_id = member.sign_in("9996620002");
    let group = create(&owner, title, true);
    invite(&owner, b, group, &[member_id]).unwrap();
    (owner, owner_id, member, group)
}

pub(super) fn input_channel(b: &Backend, channel: i64) -> enums::InputChannel {
    types::InputChannel {
        channel_id: channel,
        access_hash: b.channel_access_hash(channel).unwrap(),
    }
    .into()
}

pub(super) fn input_peer_channel(b: &Backend, channel: i64) -> enums::InputPeer {
    types::InputPeerChannel {
        channel_id: channel,
        access_hash: b.channel_access_hash(channel).unwrap(),
    }
    .into()
}

pub(super) fn create(client: &Client, title: &str, megagroup: bool) -> i64 {
    let answer = client.ok(&functions::channels::CreateChannel {
        broadcast: !megagroup,
        megagroup,
        for_import: false,
        forum: false,
        title: title.into(),
        about: "about".into(),
        geo_point: None,
        address: None,
        ttl_period: None,
    });
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
        .expect("the new channel comes with the answer");
    assert!(channel.creator);
    assert_eq!(channel.megagroup, megagroup);
    assert!(inner_updates(&answer)
        .iter()
        .any(|u| matches!(u, enums::Update::Channel(c) if c.channel_id == channel.id)));
    assert_eq!(
        new_messages(std::slice::from_ref(&answer)),
        vec![(1, 1, "<service>".into())]
    );
    channel.id
}

pub(super) fn invite(
    client: &Client,
    b: &Backend,
    channel: i64,
    users: &[i64],
) -> Result<(), Failure> {
    client
        .call(&functions::channels::InviteToChannel {
            channel: input_channel(b, channel),
            users: users.iter().map(|&u| input_user(b, u)).collect(),
        })
        .map(|_| ())
}

fn channel_difference(
    client: &Client,
    b: &Backend,
    channel: i64,
    pts: i32,
    limit: i32,
) -> enums::updates::ChannelDifference {
    client.ok(&functions::updates::GetChannelDifference {
        force: false,
        channel: input_channel(b, channel),
        filter: enums::ChannelMessagesFilter::Empty,
        pts,
        limit,
    })
}

#[test]
fn supergroup_messages_share_the_channel_pts() {
    let b = backend();
    let (owner, owner_id, mut member, group) = group_of_two(&b, "Rustaceans");
    assert_eq!(
        b.channel_pts(group),
        Some(2),
        "creation and the join notice"
    );
    member.pushed();

    let answer = owner.send_text(input_peer_channel(&b, group), "welcome");
    let own = new_messages(std::slice::from_ref(&answer));
    assert_eq!(own, vec![(3, 1, "welcome".into())]);
    let pushed = member.pushed();
    assert_eq!(new_messages(&pushed), vec![(3, 1, "welcome".into())]);
    let enums::Updates::Updates(updates) = &pushed[0] else {
        panic!()
    };
    assert!(updates
        .chats
        .iter()
        .any(|c| matches!(c, enums::Chat::Channel(c) if c.id == group && c.access_hash.is_some())));

    member.send_text(input_peer_channel(&b, group), "thanks");
    assert_eq!(b.channel_pts(group), Some(4));
    // Members' own box pts are untouched by channel traffic.
    assert_eq!(b.pts(owner_id), Some(0));

    let enums::updates::ChannelDifference::ChannelDifference(diff) =
        channel_difference(&member, &b, group, 2, 100)
    else {
        panic!()
    };
    assert_eq!(diff.pts, 4);
    assert_eq!(
        diff.new_messages.iter().map(text_of).collect::<Vec<_>>(),
        vec!["welcome", "thanks"]
    );
    assert!(matches!(
        channel_difference(&member, &b, group, 4, 100),
        enums::updates::ChannelDifference::Empty(_)
    ));
    // A `limit` below what is pending pages: not final, from the pts reached.
    let enums::updates::ChannelDifference::ChannelDifference(page) =
        channel_difference(&member, &b, group, 1, 2)
    else {
        panic!()
    };
    assert!(!page.r#final);
    assert_eq!(page.pts, 3);
    assert_eq!(page.new_messages.len(), 2);
    // Too far behind (the threshold is separate from the page size): the latest messages.
    b.set_update_limits(crate::backend::UpdateLimits {
        channel_difference_too_long: 2,
        ..Default::default()
    });
    let enums::updates::ChannelDifference::TooLong(too_long) =
        channel_difference(&member, &b, group, 1, 2)
    else {
        panic!()
    };
    assert_eq!(too_long.messages.len(), 2);

    let history = member.ok(&get_history(input_peer_channel(&b, group), 0, 0, 10));
    let enums::messages::Messages::ChannelMessages(history) = history else {
        panic!()
    };
    assert_eq!((history.pts, history.count), (4, 4));
}

#[test]
fn wrong_access_hashes_are_refused() {
    let b = backend();
    let owner = Client::connect(&b, 2);
    owner.sign_in("9996620001");
    let group = create(&owner, "Hidden", true);
    let forged = types::InputChannel {
        channel_id: group,
        access_hash: 1,
    };
    assert_eq!(
        owner
            .call(&functions::channels::GetFullChannel {
                channel: forged.into()
            })
            .unwrap_err(),
        err(400, "CHANNEL_INVALID")
    );
    let forged_peer = types::InputPeerChannel {
        channel_id: group,
        access_hash: 1,
    };
    assert_eq!(
        owner
            .call(&send_message(forged_peer.into(), "x"))
            .unwrap_err(),
        err(400, "PEER_ID_INVALID")
    );
}

#[test]
fn broadcast_channels_need_admin_rights_to_post() {
    let b = backend();
    let owner = Client::connect(&b, 2);
    let owner_id = owner.sign_in("9996620001");
    let reader = Client::connect(&b, 2);
    let reader_id = reader.sign_in("9996620002");
    let channel = create(&owner, "News", false);
    invite(&owner, &b, channel, &[reader_id]).unwrap();
    assert_eq!(
        reader
            .call(&send_message(input_peer_channel(&b, channel), "hi"))
            .unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    // Posts carry no author and count views.
    owner.send_text(input_peer_channel(&b, channel), "breaking");
    let history = reader.ok(&get_history(input_peer_channel(&b, channel), 0, 0, 1));
    let enums::messages::Messages::ChannelMessages(history) = history else {
        panic!()
    };
    let enums::Message::Message(post) = &history.messages[0] else {
        panic!()
    };
    assert!(post.post && post.from_id.is_none());
    // Members cannot list a broadcast channel's participants.
    let participants = functions::channels::GetParticipants {
        channel: input_channel(&b, channel),
        filter: enums::ChannelParticipantsFilter::ChannelParticipantsRecent,
        offset: 0,
        limit: 100,
        hash: 0,
    };
    assert_eq!(
        reader.call(&participants).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );

    // Promoted with post rights, the reader can post.
    let rights = types::ChatAdminRights {
        post_messages: true,
        ..no_admin_rights()
    };
    owner.ok(&functions::channels::EditAdmin {
        channel: input_channel(&b, channel),
        user_id: input_user(&b, reader_id),
        admin_rights: rights.into(),
        rank: Some("editor".into()),
    });
    reader.send_text(input_peer_channel(&b, channel), "my first post");
    let enums::channels::ChannelParticipants::ChannelParticipants(list) = reader.ok(&participants)
    else {
        panic!()
    };
    assert_eq!(list.count, 2);
    assert!(list
        .participants
        .iter()
        .any(|p| matches!(p, enums::ChannelParticipant::Creator(c) if c.user_id == owner_id)));
    assert!(list.participants.iter().any(
        |p| matches!(p, enums::ChannelParticipant::Admin(a) if a.user_id == reader_id && a.is_self)
    ));
}

#[test]
fn kicked_users_lose_the_channel() {
    let b = backend();
    let owner = Client::connect(&b, 2);
    owner.sign_in("9996620001");
    let mut troll = Client::connect(&b, 2);
    let troll_id = troll.sign_in("9996620002");
    let group = create(&owner, "Moderated", true);
    invite(&owner, &b, group, &[troll_id]).unwrap();
    // Members cannot ban.
    let ban = |target: enums::InputPeer, view_messages: bool| functions::channels::EditBanned {
        channel: input_channel(&b, group),
        participant: target,
        banned_rights: types::ChatBannedRights {
            view_messages,
            send_messages: true,
            ..no_banned_rights(0)
        }
        .into(),
    };
    assert_eq!(
        troll
            .call(&ban(input_peer_user(&b, troll_id), true))
            .unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    // Muted first: still a member, cannot write.
    owner.ok(&ban(input_peer_user(&b, troll_id), false));
    assert_eq!(
        troll
            .call(&send_message(input_peer_channel(&b, group), "spam"))
            .unwrap_err(),
        err(403, "CHAT_WRITE_FORBIDDEN")
    );
    // Then kicked: the channel turns forbidden for them.
    troll.pushed();
    owner.ok(&ban(input_peer_user(&b, troll_id), true));
    assert!(troll
        .pushed()
        .iter()
        .flat_map(inner_updates)
        .any(|u| matches!(u, enums::Update::Channel(c) if c.channel_id == group)));
    let enums::messages::Chats::Chats(chats) = troll.ok(&functions::channels::GetChannels {
        id: vec![input_channel(&b, group)],
    }) else {
        panic!()
    };
    assert!(matches!(chats.chats[0], enums::Chat::ChannelForbidden(_)));
    assert_eq!(
        troll
            .call(&get_history(input_peer_channel(&b, group), 0, 0, 10))
            .unwrap_err(),
        err(400, "CHANNEL_PRIVATE")
    );
    assert_eq!(
        troll
            .call(&functions::channels::JoinChannel {
                channel: input_channel(&b, group)
            })
            .unwrap_err(),
        err(400, "CHANNEL_PRIVATE")
    );
    let enums::channels::ChannelParticipants::ChannelParticipants(kicked) =
        owner.ok(&functions::channels::GetParticipants {
            channel: input_channel(&b, group),
            filter: types::ChannelParticipantsKicked {
                q: String::new().into(),
            }
            .into(),
            offset: 0,
            limit: 10,
            hash: 0,
        })
    else {
        panic!()
    };
    assert_eq!(kicked.count, 1);
}

#[test]
fn join_leave_and_participant_lookup() {
    let b = backend();
    let owner = Client::connect(&b, 2);
    owner.sign_in("9996620001");
    let guest = Client::connect(&b, 2);
    let guest_id = guest.sign_in("9996620002");
    let group = create(&owner, "Open", true);
    let get_participant = || functions::channels::GetParticipant {
        channel: input_channel(&b, group),
        participant: input_peer_user(&b, guest_id),
    };
    assert_eq!(
        owner.call(&get_participant()).unwrap_err(),
        err(400, "USER_NOT_PARTICIPANT")
    );
    let join = functions::channels::JoinChannel {
        channel: input_channel(&b, group),
    };
    let enums::messages::ChatInviteJoinResult::Ok(joined) = guest.ok(&join) else {
        panic!()
    };
    assert!(inner_updates(&joined.updates)
        .iter()
        .any(|u| matches!(u, enums::Update::Channel(_))));
    assert_eq!(
        guest.call(&join).unwrap_err(),
        err(400, "USER_ALREADY_PARTICIPANT")
    );
    let enums::channels::ChannelParticipant::ChannelParticipant(found) =
        owner.ok(&get_participant());
    assert!(matches!(
        found.participant,
        enums::ChannelParticipant::ChannelParticipant(_)
    ));

    // Only authors (or admins) delete messages.
    owner.send_text(input_peer_channel(&b, group), "owner's");
    let last = b.channel_pts(group).unwrap();
    let owner_message = b
        .history(guest_id, Peer::Channel(group))
        .last()
        .map(|m| m.id)
        .unwrap();
    assert_eq!(
        guest
            .call(&functions::channels::DeleteMessages {
                channel: input_channel(&b, group),
                id: vec![owner_message],
            })
            .unwrap_err(),
        err(403, "MESSAGE_DELETE_FORBIDDEN")
    );
    let enums::messages::AffectedMessages::AffectedMessages(affected) =
        owner.ok(&functions::channels::DeleteMessages {
            channel: input_channel(&b, group),
            id: vec![owner_message],
        });
    assert_eq!((affected.pts, affected.pts_count), (last + 1, 1));

    guest.ok(&functions::channels::LeaveChannel {
        channel: input_channel(&b, group),
    });
    assert_eq!(
        owner.call(&get_participant()).unwrap_err(),
        err(400, "USER_NOT_PARTICIPANT")
    );
    let enums::messages::ChatFull::ChatFull(full) =
        owner.ok(&functions::channels::GetFullChannel {
            channel: input_channel(&b, group),
        });
    let enums::ChatFull::ChannelFull(full) = &full.full_chat else {
        panic!()
    };
    assert_eq!(full.participants_count, Some(1));
    assert_eq!(full.about, "about");
}

#[test]
fn public_channels_resolve_by_username_and_are_readable_without_joining() {
    let b = backend();
    let owner = b.create_user("9996620001", "Owner", None).unwrap();
    let channel = b
        .create_channel(owner, "Public", false, Some("public_news"))
        .unwrap();
    b.send_message_as(owner, Peer::Channel(channel), "hello world")
        .unwrap();
    let reader = Client::connect(&b, 2);
    reader.sign_in("9996620002");
    let enums::contacts::ResolvedPeer::ResolvedPeer(resolved) =
        reader.ok(&functions::contacts::ResolveUsername {
            username: "public_news".into(),
            referer: None,
        });
    assert_eq!(
        resolved.peer,
        types::PeerChannel {
            channel_id: channel
        }
        .into()
    );
    let enums::Chat::Channel(found) = &resolved.chats[0] else {
        panic!()
    };
    assert!(found.left);
    let history = reader.ok(&get_history(input_peer_channel(&b, channel), 0, 0, 10));
    assert_eq!(
        texts(&history)
            .into_iter()
            .map(|(_, t)| t)
            .collect::<Vec<_>>(),
        vec!["hello world", "<service>"]
    );
}

#[test]
fn channel_usernames_are_checked_and_set_by_the_creator() {
    let b = backend();
    let owner = Client::connect(&b, 2);
    let owner_id = owner.sign_in("9996620001");
    let other = Client::connect(&b, 2);
    other.sign_in("9996620002");
    b.set_username(owner_id, Some("taken_name")).unwrap();
    let group = create(&owner, "Named", true);
    let check = |name: &str| functions::channels::CheckUsername {
        channel: input_channel(&b, group),
        username: name.into(),
    };
    assert!(owner.ok(&check("fresh_name")));
    assert!(!owner.ok(&check("Taken_Name")));
    assert_eq!(
        owner.call(&check("no")).unwrap_err(),
        err(400, "USERNAME_INVALID")
    );
    let update = |name: &str| functions::channels::UpdateUsername {
        channel: input_channel(&b, group),
        username: name.into(),
    };
    assert_eq!(
        other.call(&update("fresh_name")).unwrap_err(),
        err(403, "CHAT_ADMIN_REQUIRED")
    );
    assert_eq!(
        owner.call(&update("taken_name")).unwrap_err(),
        err(400, "USERNAME_OCCUPIED")
    );
    assert!(owner.ok(&update("fresh_name")));
    let enums::contacts::ResolvedPeer::ResolvedPeer(resolved) =
        other.ok(&functions::contacts::ResolveUsername {
            username: "fresh_name".into(),
            referer: None,
        });
    assert_eq!(
        resolved.peer,
        types::PeerChannel { channel_id: group }.into()
    );
}

#[test]
fn common_difference_points_at_channels_with_news() {
    let b = backend();
    let (owner, _, member, group) = group_of_two(&b, "Busy");
    let state = member.state();
    owner.send_text(input_peer_channel(&b, group), "while you were away");
    let difference = |date| {
        member.ok(&functions::updates::GetDifference {
            pts: state.pts,
            pts_limit: None,
            pts_total_limit: None,
            date,
            qts: 0,
            qts_limit: None,
        })
    };
    let enums::updates::Difference::Difference(diff) = difference(state.date) else {
        panic!()
    };
    assert!(diff.new_messages.is_empty());
    assert_eq!(
        diff.other_updates,
        vec![types::UpdateChannelTooLong {
            channel_id: group,
            pts: b.channel_pts(group)
        }
        .into()]
    );
    assert!(diff
        .chats
        .iter()
        .any(|c| matches!(c, enums::Chat::Channel(c) if c.id == group)));
    // Nothing newer than a later date: nothing to report.
    assert!(matches!(
        difference(state.date + 3600),
        enums::updates::Difference::Empty(_)
    ));
}
