//! Basic groups: one copy of each message per member box, each with its own ids and pts.

use tgwire_tl_types::{enums, functions, types};

use super::*;

#[test]
fn basic_group_messages_land_in_every_member_box() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let mut bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");
    let carol = Client::connect(&b, 2);
    let carol_id = carol.sign_in("9996620003");
    // Bob's box is ahead by one, so group message ids differ between boxes.
    bob.send_text(enums::InputPeer::InputPeerSelf, "private note");
    bob.pushed();

    let enums::messages::InvitedUsers::InvitedUsers(created) =
        alice.ok(&functions::messages::CreateChat {
            users: vec![input_user(&b, bob_id)],
            title: "Team".into(),
            ttl_period: None,
        });
    let enums::Updates::Updates(updates) = &created.updates else {
        panic!()
    };
    let chat_id = updates
        .chats
        .iter()
        .find_map(|c| match c {
            enums::Chat::Chat(c) => Some(c.id),
            _ => None,
        })
        .unwrap();
    let peer: enums::InputPeer = types::InputPeerChat { chat_id }.into();
    alice.send_text(peer.clone(), "standup in 5");
    let pushed = bob.pushed();
    assert_eq!(
        new_messages(&pushed),
        vec![(2, 1, "<service>".into()), (3, 1, "standup in 5".into())]
    );
    assert_eq!(
        b.history(bob_id, Peer::Chat(chat_id))
            .iter()
            .map(|m| (m.id, m.text.as_str()))
            .collect::<Vec<_>>(),
        vec![(2, ""), (3, "standup in 5")]
    );
    assert_eq!(
        b.history(alice_id, Peer::Chat(chat_id)).last().unwrap().id,
        2
    );

    // Carol is not in the group yet.
    assert_eq!(
        carol
            .call(&send_message(peer.clone(), "let me in"))
            .unwrap_err(),
        err(403, "CHAT_WRITE_FORBIDDEN")
    );
    alice.ok(&functions::messages::AddChatUser {
        chat_id,
        user_id: input_user(&b, carol_id),
        fwd_limit: 0,
    });
    assert_eq!(
        alice
            .call(&functions::messages::AddChatUser {
                chat_id,
                user_id: input_user(&b, carol_id),
                fwd_limit: 0,
            })
            .unwrap_err(),
        err(400, "USER_ALREADY_PARTICIPANT")
    );
    carol.send_text(peer.clone(), "hi all");
    let enums::messages::ChatFull::ChatFull(full) =
        bob.ok(&functions::messages::GetFullChat { chat_id });
    let enums::ChatFull::ChatFull(full) = &full.full_chat else {
        panic!()
    };
    let enums::ChatParticipants::ChatParticipants(participants) = &full.participants else {
        panic!()
    };
    assert_eq!(participants.participants.len(), 3);
    assert_eq!(participants.version, 2);

    // Bob leaves: he keeps the group as `left` and can no longer write.
    bob.ok(&functions::messages::DeleteChatUser {
        revoke_history: false,
        chat_id,
        user_id: enums::InputUser::InputUserSelf,
    });
    let enums::messages::Chats::Chats(chats) =
        bob.ok(&functions::messages::GetChats { id: vec![chat_id] })
    else {
        panic!()
    };
    assert!(matches!(&chats.chats[0], enums::Chat::Chat(c) if c.left));
    assert_eq!(
        bob.call(&send_message(peer, "wait")).unwrap_err(),
        err(403, "CHAT_WRITE_FORBIDDEN")
    );
}
