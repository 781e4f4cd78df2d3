//! Expanding the short forms Telegram uses to save bytes into the updates they stand for.
//!
//! `updateShortMessage` and `updateShortChatMessage` are an `updateNewMessage` whose message was
//! left out; the message is rebuilt here from their fields (the sender of an outgoing private
//! message is the signed-in user, which the short form does not say, so the engine is told who
//! that is).

use tgwire_tl_types::{enums, types};

/// A plain text message with everything a short form can say, the rest left empty.
#[allow(clippy::too_many_arguments)]
fn message(
    out: bool,
    mentioned: bool,
    media_unread: bool,
    silent: bool,
    id: i32,
    from: i64,
    peer_id: enums::Peer,
    text: String,
    date: i32,
    fwd_from: Option<enums::MessageFwdHeader>,
    via_bot_id: Option<i64>,
    reply_to: Option<enums::MessageReplyHeader>,
    entities: Option<Vec<enums::MessageEntity>>,
    ttl_period: Option<i32>,
) -> enums::Message {
    types::Message {
        out,
        mentioned,
        media_unread,
        silent,
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
        id,
        from_id: Some(types::PeerUser { user_id: from }.into()),
        from_boosts_applied: None,
        from_rank: None,
        peer_id,
        saved_peer_id: None,
        fwd_from,
        via_bot_id,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to,
        date,
        message: text.into(),
        media: None,
        reply_markup: None,
        entities,
        views: None,
        forwards: None,
        replies: None,
        edit_date: None,
        post_author: None,
        grouped_id: None,
        reactions: None,
        restriction_reason: None,
        ttl_period,
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

/// `updateShortMessage` as the `updateNewMessage` it stands for; `self_id` is the signed-in
/// user (the sender of an outgoing message).
pub(crate) fn expand_short_message(
    short: types::UpdateShortMessage,
    self_id: i64,
) -> enums::Update {
    let from = if short.out { self_id } else { short.user_id };
    let message = message(
        short.out,
        short.mentioned,
        short.media_unread,
        short.silent,
        short.id,
        from,
        types::PeerUser {
            user_id: short.user_id,
        }
        .into(),
        short.message.to_string(),
        short.date,
        short.fwd_from,
        short.via_bot_id,
        short.reply_to,
        short.entities,
        short.ttl_period,
    );
    types::UpdateNewMessage {
        message,
        pts: short.pts,
        pts_count: short.pts_count,
    }
    .into()
}

/// `updateShortChatMessage` as the `updateNewMessage` it stands for.
pub(crate) fn expand_short_chat_message(short: types::UpdateShortChatMessage) -> enums::Update {
    let message = message(
        short.out,
        short.mentioned,
        short.media_unread,
        short.silent,
        short.id,
        short.from_id,
        types::PeerChat {
            chat_id: short.chat_id,
        }
        .into(),
        short.message.to_string(),
        short.date,
        short.fwd_from,
        short.via_bot_id,
        short.reply_to,
        short.entities,
        short.ttl_period,
    );
    types::UpdateNewMessage {
        message,
        pts: short.pts,
        pts_count: short.pts_count,
    }
    .into()
}
