//! Turning stored records into the TL objects a given viewer sees.

use std::collections::BTreeSet;

use tgwire_tl_types::{enums, types};

use super::model::{
    ActionRec, ChannelRec, ChatPhotoRec, MediaRec, MessageRec, Peer, PhotoRec, State,
};

/// The users and chats a result mentions, collected while building it and turned into the
/// `users`/`chats` vectors at the end (so clients can cache access hashes).
#[derive(Clone, Debug, Default)]
pub(crate) struct Refs {
    users: BTreeSet<i64>,
    chats: BTreeSet<i64>,
    channels: BTreeSet<i64>,
}

impl Refs {
    pub(crate) fn peer(&mut self, peer: Peer) -> &mut Self {
        match peer {
            Peer::User(id) => self.users.insert(id),
            Peer::Chat(id) => self.chats.insert(id),
            Peer::Channel(id) => self.channels.insert(id),
        };
        self
    }

    pub(crate) fn user(&mut self, id: i64) -> &mut Self {
        self.peer(Peer::User(id))
    }

    /// The message's chat, author, forward source and the users of its service action.
    pub(crate) fn message(&mut self, msg: &MessageRec) -> &mut Self {
        self.peer(msg.peer);
        if let Some(from) = msg.from {
            self.peer(from);
        }
        if let Some(from) = msg.fwd.as_ref().and_then(|fwd| fwd.from) {
            self.peer(from);
        }
        if let Some(bot) = msg.via_bot {
            self.users.insert(bot);
        }
        // Users mentioned by id must come along, or the client cannot show the mention.
        if let Some(entities) = msg
            .entities
            .as_ref()
            .and_then(|e| e.decode::<Vec<enums::MessageEntity>>())
        {
            for entity in entities {
                if let enums::MessageEntity::MentionName(m) = entity {
                    self.users.insert(m.user_id);
                }
            }
        }
        match &msg.action {
            Some(ActionRec::ChatCreate { users, .. } | ActionRec::ChatAddUser { users }) => {
                self.users.extend(users);
            }
            Some(
                ActionRec::ChatDeleteUser { user } | ActionRec::ChatJoinedByLink { inviter: user },
            ) => {
                self.users.insert(*user);
            }
            Some(ActionRec::ChatMigrateTo { channel }) => {
                self.channels.insert(*channel);
            }
            Some(ActionRec::ChannelMigrateFrom { chat, .. }) => {
                self.chats.insert(*chat);
            }
            Some(
                ActionRec::ChannelCreate { .. }
                | ActionRec::PinMessage
                | ActionRec::ChatEditTitle { .. }
                | ActionRec::ChatEditPhoto { .. }
                | ActionRec::ChatDeletePhoto,
            )
            | None => {}
        }
        self
    }

    pub(crate) fn users(&self, state: &State, viewer: i64) -> Vec<enums::User> {
        self.users
            .iter()
            .filter_map(|&id| user(state, viewer, id))
            .collect()
    }

    pub(crate) fn chats(&self, state: &State, viewer: i64) -> Vec<enums::Chat> {
        let chats = self.chats.iter().filter_map(|&id| chat(state, viewer, id));
        let channels = self
            .channels
            .iter()
            .filter_map(|&id| channel(state, viewer, id));
        chats.chain(channels).collect()
    }

    /// An `updates` of `list` carrying everything collected here as `viewer` sees it.
    pub(crate) fn updates(
        &self,
        state: &State,
        viewer: i64,
        list: Vec<enums::Update>,
        date: i32,
    ) -> enums::Updates {
        types::Updates {
            updates: list,
            users: self.users(state, viewer),
            chats: self.chats(state, viewer),
            date,
            seq: 0,
        }
        .into()
    }
}

/// `user` as `viewer` sees it; `None` for an unknown id.
pub(crate) fn user(state: &State, viewer: i64, id: i64) -> Option<enums::User> {
    let rec = state.users.get(&id)?;
    let is_self = id == viewer;
    let contact = state
        .users
        .get(&viewer)
        .is_some_and(|me| me.contacts.contains(&id));
    let mutual_contact = contact && rec.contacts.contains(&viewer);
    let status = status(state, id, super::unix_now());
    Some(
        types::User {
            is_self,
            contact,
            mutual_contact,
            deleted: false,
            bot: rec.bot,
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
            premium: false,
            attach_menu_enabled: false,
            bot_can_edit: false,
            close_friend: false,
            stories_hidden: false,
            stories_unavailable: true,
            contact_require_premium: false,
            bot_business: false,
            bot_has_main_app: false,
            bot_forum_view: false,
            bot_forum_can_manage_topics: false,
            bot_can_manage_bots: false,
            bot_guestchat: false,
            bot_guard: false,
            id,
            access_hash: Some(rec.access_hash),
            first_name: Some(rec.first_name.clone().into()),
            last_name: ((!rec.last_name.is_empty()).then(|| rec.last_name.clone())).map(Into::into),
            username: rec.username.clone().map(Into::into),
            // Phone numbers are visible to the account itself and its contacts.
            phone: (rec.phone.clone().filter(|_| is_self || contact)).map(Into::into),
            photo: profile_photo(state, id),
            status,
            bot_info_version: rec.bot.then_some(1),
            restriction_reason: None,
            bot_inline_placeholder: state.inline_bots.get(&id).cloned().map(Into::into),
            lang_code: None,
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
        .into(),
    )
}

/// `user`'s presence at `now`: online until a report expires, then offline since it; "recently"
/// for users who never reported one; `None` for bots.
pub(crate) fn status(state: &State, user: i64, now: i32) -> Option<enums::UserStatus> {
    let rec = state.users.get(&user)?;
    if rec.bot {
        return None;
    }
    Some(match state.statuses.get(&user) {
        Some(s) if s.online && now < s.date + super::account::ONLINE_FOR => {
            types::UserStatusOnline {
                expires: s.date + super::account::ONLINE_FOR,
            }
            .into()
        }
        Some(s) if s.online => types::UserStatusOffline {
            was_online: s.date + super::account::ONLINE_FOR,
        }
        .into(),
        Some(s) => types::UserStatusOffline { was_online: s.date }.into(),
        None => types::UserStatusRecently { by_me: false }.into(),
    })
}

/// A user's current profile photo as their `user` object shows it.
fn profile_photo(state: &State, user: i64) -> Option<enums::UserProfilePhoto> {
    let id = *state.profile_photos.get(&user)?.first()?;
    let photo = state.photos.get(&id)?;
    Some(
        types::UserProfilePhoto {
            has_video: false,
            personal: false,
            photo_id: id,
            stripped_thumb: photo
                .stripped
                .as_ref()
                .map(|bytes| bytes.0.as_slice().into()),
            dc_id: photo.dc_id,
        }
        .into(),
    )
}

/// Basic group `id` as `viewer` sees it: `chat` for current and former members (`left`),
/// `chatForbidden` for anyone else; `None` for an unknown id.
pub(crate) fn chat(state: &State, viewer: i64, id: i64) -> Option<enums::Chat> {
    let rec = state.chats.get(&id)?;
    let member = rec.members.contains_key(&viewer);
    if !member && !rec.former.contains(&viewer) {
        return Some(
            types::ChatForbidden {
                id,
                title: rec.title.clone().into(),
            }
            .into(),
        );
    }
    let is_admin = rec.members.get(&viewer).is_some_and(|m| m.admin);
    Some(
        types::Chat {
            creator: rec.creator == viewer,
            left: !member,
            deactivated: rec.deactivated,
            call_active: false,
            call_not_empty: false,
            noforwards: false,
            id,
            title: rec.title.clone().into(),
            photo: chat_photo(state, rec.photo),
            participants_count: i32::try_from(rec.members.len()).unwrap_or(i32::MAX),
            date: rec.date,
            version: rec.version,
            migrated_to: rec.migrated_to.and_then(|id| {
                let channel = state.channels.get(&id)?;
                Some(
                    types::InputChannel {
                        channel_id: id,
                        access_hash: channel.access_hash,
                    }
                    .into(),
                )
            }),
            admin_rights: is_admin.then(|| full_admin_rights(false)),
            default_banned_rights: rec.default_banned.as_ref().and_then(|b| b.decode()),
        }
        .into(),
    )
}

/// Channel `id` as `viewer` sees it: `channelForbidden` for kicked users, `channel` (with
/// `left` for non-members) otherwise; `None` for an unknown id.
pub(crate) fn channel(state: &State, viewer: i64, id: i64) -> Option<enums::Chat> {
    let rec = state.channels.get(&id)?;
    Some(channel_of(state, rec, viewer))
}

/// Channel `rec` as `viewer` sees it (see [`channel`]); `state` has its photo.
pub(crate) fn channel_of(state: &State, rec: &ChannelRec, viewer: i64) -> enums::Chat {
    if let Some(ban) = rec.kicked.get(&viewer) {
        let until = match ban.rights.decode::<enums::ChatBannedRights>() {
            Some(enums::ChatBannedRights::ChatBannedRights(rights)) => rights.until_date,
            None => 0,
        };
        return types::ChannelForbidden {
            broadcast: rec.broadcast,
            megagroup: rec.megagroup,
            monoforum: false,
            id: rec.id,
            access_hash: rec.access_hash,
            title: rec.title.clone().into(),
            until_date: (until != 0).then_some(until),
        }
        .into();
    }
    let member = rec.members.get(&viewer);
    let admin_rights = if viewer == rec.creator {
        Some(full_admin_rights(rec.broadcast))
    } else {
        member
            .and_then(|m| m.admin.as_ref())
            .and_then(|admin| admin.rights.decode())
    };
    let banned_rights = member
        .and_then(|m| m.restricted.as_ref())
        .and_then(|ban| ban.rights.decode());
    types::Channel {
        creator: viewer == rec.creator,
        left: member.is_none(),
        broadcast: rec.broadcast,
        verified: false,
        megagroup: rec.megagroup,
        restricted: false,
        signatures: false,
        min: false,
        scam: false,
        has_link: false,
        has_geo: false,
        slowmode_enabled: rec.slowmode > 0,
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
        stories_unavailable: true,
        signature_profiles: false,
        autotranslation: false,
        broadcast_messages_allowed: false,
        monoforum: false,
        forum_tabs: false,
        id: rec.id,
        access_hash: Some(rec.access_hash),
        title: rec.title.clone().into(),
        username: rec.username.clone().map(Into::into),
        photo: chat_photo(state, rec.photo),
        date: rec.date,
        restriction_reason: None,
        admin_rights,
        banned_rights,
        default_banned_rights: rec.default_banned.as_ref().and_then(|b| b.decode()),
        participants_count: Some(i32::try_from(rec.members.len()).unwrap_or(i32::MAX)),
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
}

/// A group's or channel's photo as its `chat`/`channel` object shows it, with the photo's
/// stripped thumbnail inline (as users' objects carry theirs).
pub(crate) fn chat_photo(state: &State, photo: Option<ChatPhotoRec>) -> enums::ChatPhoto {
    match photo {
        Some(photo) => types::ChatPhoto {
            has_video: false,
            photo_id: photo.id,
            stripped_thumb: state
                .photos
                .get(&photo.id)
                .and_then(|p| p.stripped.as_ref())
                .map(|bytes| bytes.0.as_slice().into()),
            dc_id: photo.dc_id,
        }
        .into(),
        None => enums::ChatPhoto::Empty,
    }
}

/// Every right (the creator's), minus the broadcast-only ones in groups and vice versa.
pub(crate) fn full_admin_rights(broadcast: bool) -> enums::ChatAdminRights {
    types::ChatAdminRights {
        change_info: true,
        post_messages: broadcast,
        edit_messages: broadcast,
        delete_messages: true,
        ban_users: !broadcast,
        invite_users: true,
        pin_messages: !broadcast,
        add_admins: true,
        anonymous: false,
        manage_call: true,
        other: true,
        manage_topics: false,
        post_stories: broadcast,
        edit_stories: broadcast,
        delete_stories: broadcast,
        manage_direct_messages: false,
        manage_ranks: false,
        manage_linked_peers: false,
        manage_welcome_messages: false,
    }
    .into()
}

/// Default notification settings (nothing muted).
pub(crate) fn notify_settings() -> enums::PeerNotifySettings {
    types::PeerNotifySettings {
        show_previews: None,
        silent: None,
        mute_until: None,
        ios_sound: None,
        android_sound: None,
        other_sound: None,
        stories_muted: None,
        stories_hide_sender: None,
        stories_ios_sound: None,
        stories_android_sound: None,
        stories_other_sound: None,
    }
    .into()
}

/// The attachment as TL.
pub(crate) fn media(state: &State, media: &MediaRec) -> Option<enums::MessageMedia> {
    match media {
        MediaRec::Document(id) => {
            let document = document(state, *id)?;
            Some(
                types::MessageMediaDocument {
                    nopremium: false,
                    spoiler: false,
                    video: false,
                    round: false,
                    voice: false,
                    document: Some(document),
                    alt_documents: None,
                    video_cover: None,
                    video_timestamp: None,
                    ttl_seconds: None,
                }
                .into(),
            )
        }
        MediaRec::Photo(id) => {
            let photo = photo(state, *id)?;
            Some(
                types::MessageMediaPhoto {
                    spoiler: false,
                    live_photo: false,
                    photo: Some(photo),
                    ttl_seconds: None,
                    video: None,
                }
                .into(),
            )
        }
        MediaRec::Inline(bytes) => bytes.decode(),
    }
}

pub(crate) fn document(state: &State, id: i64) -> Option<enums::Document> {
    let rec = state.documents.get(&id)?;
    Some(
        types::Document {
            id,
            access_hash: rec.access_hash,
            file_reference: rec.file_reference.0.as_slice().into(),
            date: rec.date,
            mime_type: rec.mime_type.clone().into(),
            size: rec.size,
            thumbs: None,
            video_thumbs: None,
            dc_id: rec.dc_id,
            attributes: rec.attributes.decode().unwrap_or_default(),
        }
        .into(),
    )
}

/// The size letter of the one nominal size of a photo kept as uploaded.
pub(crate) const PHOTO_SIZE_TYPE: &str = "y";

/// A photo's sizes as Telegram lists them: the stripped thumbnail, then smallest to largest.
fn photo_sizes(rec: &PhotoRec) -> Vec<enums::PhotoSize> {
    if rec.sizes.is_empty() {
        // Bytes that are no image: one size whose dimensions are nominal.
        return vec![types::PhotoSize {
            r#type: PHOTO_SIZE_TYPE.into(),
            w: 800,
            h: 800,
            size: i32::try_from(rec.size).unwrap_or(i32::MAX),
        }
        .into()];
    }
    let stripped = rec.stripped.iter().map(|bytes| {
        types::PhotoStrippedSize {
            r#type: "i".into(),
            bytes: bytes.0.as_slice().into(),
        }
        .into()
    });
    let sizes = rec.sizes.iter().map(|size| {
        types::PhotoSize {
            r#type: size.kind.clone().into(),
            w: size.w,
            h: size.h,
            size: i32::try_from(size.size).unwrap_or(i32::MAX),
        }
        .into()
    });
    stripped.chain(sizes).collect()
}

pub(crate) fn photo(state: &State, id: i64) -> Option<enums::Photo> {
    let rec = state.photos.get(&id)?;
    Some(
        types::Photo {
            has_stickers: false,
            id,
            access_hash: rec.access_hash,
            file_reference: rec.file_reference.0.as_slice().into(),
            date: rec.date,
            sizes: photo_sizes(rec),
            video_sizes: None,
            dc_id: rec.dc_id,
        }
        .into(),
    )
}

fn action(state: &State, action: &ActionRec) -> enums::MessageAction {
    match action {
        ActionRec::ChatCreate { title, users } => types::MessageActionChatCreate {
            title: title.clone().into(),
            users: users.clone(),
        }
        .into(),
        ActionRec::ChannelCreate { title } => types::MessageActionChannelCreate {
            title: title.clone().into(),
        }
        .into(),
        ActionRec::ChatAddUser { users } => types::MessageActionChatAddUser {
            users: users.clone(),
        }
        .into(),
        ActionRec::ChatDeleteUser { user } => {
            types::MessageActionChatDeleteUser { user_id: *user }.into()
        }
        ActionRec::PinMessage => enums::MessageAction::PinMessage,
        ActionRec::ChatEditTitle { title } => types::MessageActionChatEditTitle {
            title: title.clone().into(),
        }
        .into(),
        ActionRec::ChatEditPhoto { photo: id } => types::MessageActionChatEditPhoto {
            photo: photo(state, *id).unwrap_or(types::PhotoEmpty { id: *id }.into()),
        }
        .into(),
        ActionRec::ChatDeletePhoto => enums::MessageAction::ChatDeletePhoto,
        ActionRec::ChatJoinedByLink { inviter } => types::MessageActionChatJoinedByLink {
            inviter_id: *inviter,
        }
        .into(),
        ActionRec::ChatMigrateTo { channel } => types::MessageActionChatMigrateTo {
            channel_id: *channel,
        }
        .into(),
        ActionRec::ChannelMigrateFrom { title, chat } => types::MessageActionChannelMigrateFrom {
            title: title.clone().into(),
            chat_id: *chat,
        }
        .into(),
    }
}

/// Whether `msg` mentions `viewer`: names them (`messageEntityMentionName`), says their
/// `@username` (`messageEntityMention`), or replies to one of their messages. One's own
/// messages mention no one to oneself.
pub(crate) fn mentions(state: &State, viewer: i64, msg: &MessageRec) -> bool {
    let own = match msg.peer {
        Peer::Channel(_) => msg.from == Some(Peer::User(viewer)),
        _ => msg.out,
    };
    if own || msg.action.is_some() {
        return false;
    }
    let username = state
        .users
        .get(&viewer)
        .and_then(|u| u.username.as_deref())
        .map(str::to_lowercase);
    let entities = msg
        .entities
        .as_ref()
        .and_then(|e| e.decode::<Vec<enums::MessageEntity>>())
        .unwrap_or_default();
    let utf16: Vec<u16> = if entities.is_empty() {
        Vec::new()
    } else {
        msg.text.encode_utf16().collect()
    };
    let named = entities.iter().any(|entity| match entity {
        enums::MessageEntity::MentionName(m) => m.user_id == viewer,
        enums::MessageEntity::Mention(m) => {
            let (Ok(start), Ok(len)) = (usize::try_from(m.offset), usize::try_from(m.length))
            else {
                return false;
            };
            let said = utf16
                .get(start..start.saturating_add(len))
                .map(|units| String::from_utf16_lossy(units).to_lowercase());
            match (said, &username) {
                (Some(said), Some(name)) => said.strip_prefix('@') == Some(name.as_str()),
                _ => false,
            }
        }
        _ => false,
    });
    named
        || msg.reply_to.is_some_and(|id| {
            super::messages::stored(state, viewer, msg.peer, id).is_some_and(
                |replied| match replied.peer {
                    Peer::Channel(_) => replied.from == Some(Peer::User(viewer)),
                    _ => replied.out,
                },
            )
        })
}

/// A stored message as TL. `out` is recomputed for channel messages (one copy for everyone).
pub(crate) fn message(state: &State, viewer: i64, msg: &MessageRec) -> enums::Message {
    let out = match msg.peer {
        Peer::Channel(_) => msg.from == Some(Peer::User(viewer)),
        _ => msg.out,
    };
    let reply_to = msg.reply_to.map(|id| {
        types::MessageReplyHeader {
            reply_to_scheduled: false,
            forum_topic: false,
            quote: false,
            reply_to_ephemeral: false,
            reply_to_msg_id: Some(id),
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
    if let Some(act) = &msg.action {
        return types::MessageService {
            out,
            mentioned: false,
            media_unread: false,
            reactions_are_possible: false,
            silent: msg.silent,
            post: msg.post,
            legacy: false,
            id: msg.id,
            from_id: msg.from.map(Peer::to_tl),
            peer_id: msg.peer.to_tl(),
            saved_peer_id: None,
            reply_to,
            date: msg.date,
            action: action(state, act),
            reactions: None,
            ttl_period: None,
        }
        .into();
    }
    let fwd_from = msg.fwd.as_ref().map(|fwd| {
        types::MessageFwdHeader {
            imported: false,
            saved_out: false,
            from_id: fwd.from.map(Peer::to_tl),
            from_name: None,
            date: fwd.date,
            channel_post: fwd.channel_post,
            post_author: None,
            saved_from_peer: None,
            saved_from_msg_id: None,
            saved_from_id: None,
            saved_from_name: None,
            saved_date: None,
            psa_type: None,
        }
        .into()
    });
    let mentioned = mentions(state, viewer, msg);
    types::Message {
        out,
        mentioned,
        // An unread mention (Telegram flags it so; reading it clears the flag).
        media_unread: mentioned
            && msg.id > super::messages::mentions_read_to(state, viewer, msg.peer),
        silent: msg.silent,
        post: msg.post,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: msg.pinned,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id: msg.id,
        from_id: msg.from.map(Peer::to_tl),
        from_boosts_applied: None,
        from_rank: None,
        peer_id: msg.peer.to_tl(),
        saved_peer_id: None,
        fwd_from,
        via_bot_id: msg.via_bot,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to,
        date: msg.date,
        message: msg.text.clone().into(),
        media: msg.media.as_ref().and_then(|m| media(state, m)),
        reply_markup: msg.reply_markup.as_ref().and_then(|m| m.decode()),
        entities: msg.entities.as_ref().and_then(|e| e.decode()),
        views: msg.post.then_some(1),
        forwards: msg.post.then_some(0),
        replies: None,
        edit_date: msg.edit_date,
        post_author: None,
        grouped_id: msg.grouped_id,
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

/// `updates.state` of `viewer`'s box.
pub(crate) fn update_state(state: &State, viewer: i64, now: i32) -> enums::updates::State {
    let (pts, qts, seq, unread_count) = match state.boxes.get(&viewer) {
        Some(mbox) => {
            let unread = mbox
                .store
                .messages
                .values()
                .filter(|m| {
                    let read = mbox.reads.get(&m.peer.marked()).map_or(0, |r| r.inbox);
                    !m.out && m.id > read
                })
                .count();
            (
                mbox.store.pts,
                mbox.qts,
                mbox.seq,
                i32::try_from(unread).unwrap_or(i32::MAX),
            )
        }
        None => (0, 0, 0, 0),
    };
    types::updates::State {
        pts,
        qts,
        date: now,
        seq,
        unread_count,
    }
    .into()
}
