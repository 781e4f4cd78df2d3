//! The same realistic TL objects built with `tgwire-tl-types` and with `grammers-tl-types`, for a
//! side-by-side benchmark of the two codecs.
//!
//! Both crates generate types from the same schema (layer 230) with the same field names, and both
//! convert a constructor struct into its boxed enum with `From`. So one macro body, expanded once per
//! crate, builds both sets of fixtures from identical source: the objects are the same by construction,
//! and `tests/same_bytes.rs` checks that they encode to identical bytes and decode back.
//!
//! This crate sits outside the tgwire workspace (see its `Cargo.toml`); it exists only to measure.

/// Expands to a module named `$module` holding fixture builders written against the crate `$tl`.
macro_rules! fixtures {
    ($module:ident, $tl:ident) => {
        /// Fixtures built with this crate's types.
        pub mod $module {
            use $tl::{enums, functions, types};

            fn peer_user(user_id: i64) -> enums::Peer {
                types::PeerUser { user_id }.into()
            }

            fn entities(i: i32) -> Vec<enums::MessageEntity> {
                vec![
                    types::MessageEntityBold { offset: 0, length: 5 }.into(),
                    types::MessageEntityMention { offset: 6, length: 8 }.into(),
                    types::MessageEntityTextUrl {
                        offset: 15,
                        length: 10,
                        url: format!("https://example.org/page/{i}").into(),
                    }
                    .into(),
                ]
            }

            fn photo(i: i64) -> enums::MessageMedia {
                let sizes = ["s", "m", "x"]
                    .iter()
                    .zip([90, 320, 800])
                    .map(|(kind, side)| {
                        types::PhotoSize {
                            r#type: (*kind).into(),
                            w: side,
                            h: side * 3 / 4,
                            size: side * 40,
                        }
                        .into()
                    })
                    .collect();
                let photo = types::Photo {
                    has_stickers: false,
                    id: 5_000_000 + i,
                    access_hash: i.wrapping_mul(0x9e37_79b9),
                    file_reference: vec![i as u8; 24].into(),
                    date: 1_700_000_000,
                    sizes,
                    video_sizes: None,
                    dc_id: 2,
                };
                types::MessageMediaPhoto {
                    spoiler: false,
                    live_photo: false,
                    photo: Some(photo.into()),
                    ttl_seconds: None,
                    video: None,
                }
                .into()
            }

            /// A text message with three entities; every third replies, every fourth has a photo.
            pub fn message(i: i32) -> enums::Message {
                let reply_to = (i % 3 == 0).then(|| {
                    types::MessageReplyHeader {
                        reply_to_scheduled: false,
                        forum_topic: false,
                        quote: false,
                        reply_to_ephemeral: false,
                        reply_to_msg_id: Some(i - 1),
                        reply_to_peer_id: None,
                        reply_from: None,
                        reply_media: None,
                        reply_to_top_id: None,
                        quote_text: None,
                        quote_entities: None,
                        quote_offset: None,
                        todo_item_id: None,
                        poll_option: None,
                    }
                    .into()
                });
                types::Message {
                    out: i % 2 == 0,
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
                    id: 10_000 + i,
                    from_id: Some(peer_user(1000 + i64::from(i % 50))),
                    from_boosts_applied: None,
                    from_rank: None,
                    peer_id: peer_user(42),
                    saved_peer_id: None,
                    fwd_from: None,
                    via_bot_id: None,
                    via_business_bot_id: None,
                    guestchat_via_from: None,
                    reply_to,
                    date: 1_700_000_000 + i,
                    message: format!(
                        "Hello @someone, see https://example.org/page/{i} — message number {i} of the page"
                    ).into(),
                    media: (i % 4 == 0).then(|| photo(i64::from(i))),
                    reply_markup: None,
                    entities: Some(entities(i)),
                    views: (i % 7 == 0).then_some(1000 + i),
                    forwards: (i % 7 == 0).then_some(i),
                    replies: None,
                    edit_date: (i % 5 == 0).then_some(1_700_000_500 + i),
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
                .into()
            }

            /// A user with names, username, profile photo and online status.
            pub fn user(i: i64) -> enums::User {
                types::User {
                    is_self: false,
                    contact: i % 3 == 0,
                    mutual_contact: false,
                    deleted: false,
                    bot: i % 10 == 0,
                    bot_chat_history: false,
                    bot_nochats: false,
                    verified: false,
                    restricted: false,
                    min: false,
                    bot_inline_geo: false,
                    support: false,
                    scam: false,
                    apply_min_photo: false,
                    fake: false,
                    bot_attach_menu: false,
                    premium: i % 4 == 0,
                    attach_menu_enabled: false,
                    bot_can_edit: false,
                    close_friend: false,
                    stories_hidden: false,
                    stories_unavailable: false,
                    contact_require_premium: false,
                    bot_business: false,
                    bot_has_main_app: false,
                    bot_forum_view: false,
                    bot_forum_can_manage_topics: false,
                    bot_can_manage_bots: false,
                    bot_guestchat: false,
                    bot_guard: false,
                    id: 1000 + i,
                    access_hash: Some(i.wrapping_mul(0x5851_f42d_4c95_7f2d)),
                    first_name: Some(format!("First{i}").into()),
                    last_name: Some("Lastname".into()),
                    username: Some(format!("user_{i}").into()),
                    phone: None,
                    photo: Some(
                        types::UserProfilePhoto {
                            has_video: false,
                            personal: false,
                            photo_id: 7_000_000 + i,
                            stripped_thumb: Some(vec![1; 40].into()),
                            dc_id: 2,
                        }
                        .into(),
                    ),
                    status: Some(types::UserStatusOnline { expires: 1_700_000_900 }.into()),
                    // `bot` and `bot_info_version` share flag bit 14: a bot always carries a version.
                    bot_info_version: (i % 10 == 0).then_some(3),
                    restriction_reason: None,
                    bot_inline_placeholder: None,
                    lang_code: Some("en".into()),
                    emoji_status: None,
                    usernames: None,
                    stories_max_id: None,
                    color: None,
                    profile_color: None,
                    bot_active_users: None,
                    bot_verification_icon: None,
                    send_paid_messages_stars: None,
                    linked_community_id: None,
                }
                .into()
            }

            fn chat_photo(id: i64) -> enums::ChatPhoto {
                types::ChatPhoto {
                    has_video: false,
                    photo_id: 8_000_000 + id,
                    stripped_thumb: Some(vec![2; 32].into()),
                    dc_id: 4,
                }
                .into()
            }

            /// Even `i`: a supergroup (`channel`) with admin rights; odd `i`: a basic group.
            pub fn chat(i: i64) -> enums::Chat {
                if i % 2 == 0 {
                    types::Channel {
                        creator: false,
                        left: false,
                        broadcast: false,
                        verified: false,
                        megagroup: true,
                        restricted: false,
                        signatures: false,
                        min: false,
                        scam: false,
                        has_link: false,
                        has_geo: false,
                        slowmode_enabled: false,
                        call_active: false,
                        call_not_empty: false,
                        fake: false,
                        gigagroup: false,
                        noforwards: false,
                        join_to_send: false,
                        join_request: false,
                        forum: false,
                        stories_hidden: false,
                        stories_hidden_min: false,
                        stories_unavailable: false,
                        signature_profiles: false,
                        autotranslation: false,
                        broadcast_messages_allowed: false,
                        monoforum: false,
                        forum_tabs: false,
                        id: 2_000_000 + i,
                        access_hash: Some(i.wrapping_mul(0x2545_f491_4f6c_dd1d)),
                        title: format!("Group number {i}").into(),
                        username: Some(format!("group_{i}").into()),
                        photo: chat_photo(i),
                        date: 1_650_000_000,
                        restriction_reason: None,
                        admin_rights: Some(
                            types::ChatAdminRights {
                                change_info: true,
                                post_messages: false,
                                edit_messages: false,
                                delete_messages: true,
                                ban_users: true,
                                invite_users: true,
                                pin_messages: true,
                                add_admins: false,
                                anonymous: false,
                                manage_call: true,
                                other: true,
                                manage_topics: false,
                                post_stories: false,
                                edit_stories: false,
                                delete_stories: false,
                                manage_direct_messages: false,
                                manage_ranks: false,
                                manage_linked_peers: false,
                                manage_welcome_messages: false,
                            }
                            .into(),
                        ),
                        banned_rights: None,
                        default_banned_rights: None,
                        participants_count: Some(1234),
                        usernames: None,
                        stories_max_id: None,
                        color: None,
                        profile_color: None,
                        emoji_status: None,
                        level: None,
                        subscription_until_date: None,
                        bot_verification_icon: None,
                        send_paid_messages_stars: None,
                        linked_monoforum_id: None,
                        linked_community_id: None,
                    }
                    .into()
                } else {
                    types::Chat {
                        creator: i % 3 == 0,
                        left: false,
                        deactivated: false,
                        call_active: false,
                        call_not_empty: false,
                        noforwards: false,
                        id: 3_000_000 + i,
                        title: format!("Small group {i}").into(),
                        photo: chat_photo(i),
                        participants_count: 12,
                        date: 1_600_000_000,
                        version: 3,
                        migrated_to: None,
                        admin_rights: None,
                        default_banned_rights: None,
                    }
                    .into()
                }
            }

            /// `messages.messages`: 100 messages, 10 chats, 50 users.
            pub fn messages_page() -> enums::messages::Messages {
                types::messages::Messages {
                    messages: (0..100).map(message).collect(),
                    topics: vec![],
                    chats: (0..10).map(chat).collect(),
                    users: (0..50).map(user).collect(),
                }
                .into()
            }

            /// `updates.difference`: 20 new messages, 40 other updates of four kinds, 4 chats, 20 users.
            pub fn difference() -> enums::updates::Difference {
                let other_updates = (0..40)
                    .map(|i: i32| -> enums::Update {
                        match i % 4 {
                            0 => types::UpdateReadHistoryInbox {
                                folder_id: None,
                                peer: peer_user(1000 + i64::from(i)),
                                top_msg_id: None,
                                max_id: 5000 + i,
                                still_unread_count: i,
                                pts: 900 + i,
                                pts_count: 1,
                            }
                            .into(),
                            1 => types::UpdateUserStatus {
                                user_id: 1000 + i64::from(i),
                                status: types::UserStatusOffline { was_online: 1_700_000_000 - i }
                                    .into(),
                            }
                            .into(),
                            2 => types::UpdateDeleteMessages {
                                messages: (0..i).collect(),
                                pts: 900 + i,
                                pts_count: i,
                            }
                            .into(),
                            _ => types::UpdateEditMessage {
                                message: message(500 + i),
                                pts: 900 + i,
                                pts_count: 1,
                            }
                            .into(),
                        }
                    })
                    .collect();
                types::updates::Difference {
                    new_messages: (0..20).map(message).collect(),
                    new_encrypted_messages: vec![],
                    other_updates,
                    chats: (0..4).map(chat).collect(),
                    users: (0..20).map(user).collect(),
                    state: types::updates::State {
                        pts: 1000,
                        qts: 0,
                        date: 1_700_001_000,
                        seq: 77,
                        unread_count: 3,
                    }
                    .into(),
                }
                .into()
            }

            /// `upload.file` carrying a 512 KiB JPEG chunk.
            pub fn upload_file() -> enums::upload::File {
                types::upload::File {
                    r#type: types::storage::FileJpeg {}.into(),
                    mtime: 1_700_000_000,
                    bytes: (0..512 * 1024).map(|i: u32| (i.wrapping_mul(31)) as u8).collect(),
                }
                .into()
            }

            /// `messages.sendMessage` replying to a message, with entities.
            pub fn send_message() -> functions::messages::SendMessage {
                functions::messages::SendMessage {
                    no_webpage: false,
                    silent: false,
                    background: false,
                    clear_draft: true,
                    noforwards: false,
                    update_stickersets_order: false,
                    invert_media: false,
                    allow_paid_floodskip: false,
                    peer: types::InputPeerUser {
                        user_id: 1234,
                        access_hash: 0x0123_4567_89ab_cdef,
                    }
                    .into(),
                    reply_to: Some(
                        types::InputReplyToMessage {
                            reply_to_msg_id: 9999,
                            top_msg_id: None,
                            reply_to_peer_id: None,
                            quote_text: None,
                            quote_entities: None,
                            quote_offset: None,
                            monoforum_peer_id: None,
                            todo_item_id: None,
                            poll_option: None,
                        }
                        .into(),
                    ),
                    message: "Hello **there**, see https://example.org".into(),
                    random_id: 0x1122_3344_5566_7788,
                    reply_markup: None,
                    entities: Some(entities(1)),
                    schedule_date: None,
                    schedule_repeat_period: None,
                    send_as: None,
                    quick_reply_shortcut: None,
                    effect: None,
                    allow_paid_stars: None,
                    suggested_post: None,
                    rich_message: None,
                }
            }
        }
    };
}

fixtures!(ours, tgwire_tl_types);
fixtures!(grammers, grammers_tl_types);
