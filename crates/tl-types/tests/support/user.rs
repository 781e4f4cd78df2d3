//! One `user` as answers carry them, shared by `tests/serde.rs` and `benches/codec.rs` (which
//! includes this file by path): online, with a profile photo and a language, every flag unset and no
//! names. Callers set what they need with struct update syntax (`types::User { .., ..online_user(..) }`).

use tgwire_tl_types::types;

/// User `id`, online until 1,700,000,900, with profile photo `photo_id` whose stripped thumbnail is
/// `stripped_thumb`, language `en`; every flag `false`, every other optional field `None`.
pub fn online_user(id: i64, photo_id: i64, stripped_thumb: Vec<u8>) -> types::User {
    types::User {
        is_self: false,
        contact: false,
        premium: false,
        mutual_contact: false,
        deleted: false,
        bot: false,
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
        id,
        access_hash: None,
        first_name: None,
        last_name: None,
        username: None,
        phone: None,
        photo: Some(
            types::UserProfilePhoto {
                has_video: false,
                personal: false,
                photo_id,
                stripped_thumb: Some(stripped_thumb.into()),
                dc_id: 2,
            }
            .into(),
        ),
        status: Some(
            types::UserStatusOnline {
                expires: 1_700_000_900,
            }
            .into(),
        ),
        bot_info_version: None,
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
}
