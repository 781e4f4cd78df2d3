//! The backend's persistent state: accounts, groups, channels, message boxes and authorizations.
//!
//! The model follows Telegram's: every user owns one *message box* holding their copy of each
//! private-chat and basic-group message (numbered per user), with one `pts` counting the box's
//! events; every channel (supergroup or broadcast) owns its own box and `pts`, shared by all its
//! members. A logical message sent to a private chat or basic group therefore exists once per
//! recipient box, and the copies share a `global_id` so edits, deletions and read receipts can
//! find each other.
//!
//! Everything here derives serde so `--data` can dump and reload it; TL values that are only
//! stored and echoed back (entities, admin rights, document attributes) are kept as their TL
//! bytes ([`Bytes`]) rather than mirrored field by field.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tgwire_tl_types::{enums, types, Deserializable, Serializable};

/// Version of the `--data` JSON layout; bumped on incompatible changes.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// A chat as the backend's set-up API names it: a user (private chat), a basic group or a
/// channel (supergroup or broadcast).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Peer {
    /// A private chat with this user (or, for the user themself, Saved Messages).
    User(i64),
    /// A basic group.
    Chat(i64),
    /// A supergroup or broadcast channel.
    Channel(i64),
}

impl Peer {
    /// One number per peer, the way Bot API "marked" ids do it (users positive, groups
    /// negative, channels below -10¹²); used as a JSON map key.
    pub(crate) fn marked(self) -> i64 {
        match self {
            Peer::User(id) => id,
            Peer::Chat(id) => -id,
            Peer::Channel(id) => -1_000_000_000_000 - id,
        }
    }

    pub(crate) fn to_tl(self) -> enums::Peer {
        match self {
            Peer::User(user_id) => types::PeerUser { user_id }.into(),
            Peer::Chat(chat_id) => types::PeerChat { chat_id }.into(),
            Peer::Channel(channel_id) => types::PeerChannel { channel_id }.into(),
        }
    }
}

/// Owned bytes stored as a hex string in JSON: raw secrets (salts, verifiers) and serialized TL
/// values kept opaque.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl Bytes {
    /// The TL encoding of `value`.
    pub(crate) fn tl<T: Serializable>(value: &T) -> Self {
        Bytes(value.to_bytes())
    }

    /// Decodes the stored TL value; `None` if it does not decode (only possible for a data file
    /// edited by hand, so the field is then treated as absent).
    pub(crate) fn decode<T: Deserializable>(&self) -> Option<T> {
        T::from_bytes(&self.0).ok()
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(self.0.len() * 2);
        for byte in &self.0 {
            text.push(char::from(DIGITS[usize::from(byte >> 4)]));
            text.push(char::from(DIGITS[usize::from(byte & 15)]));
        }
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as Deserialize>::deserialize(deserializer)?;
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(serde::de::Error::custom("invalid hex digit")),
        };
        if text.len() % 2 != 0 {
            return Err(serde::de::Error::custom("odd-length hex string"));
        }
        text.as_bytes()
            .chunks_exact(2)
            .map(|pair| Ok(digit(pair[0])? << 4 | digit(pair[1])?))
            .collect::<Result<Vec<u8>, D::Error>>()
            .map(Bytes)
    }
}

/// For `skip_serializing_if`: fields added after the first layout are written only when set,
/// so a file that never used them is saved exactly as it was read.
fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// For `skip_serializing_if` on [`State::last_log_id`], as [`is_zero`] for `i32`s.
fn no_log_yet(id: &i64) -> bool {
    *id == 0
}

/// Everything persisted.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct State {
    pub(crate) format: u32,
    pub(crate) users: BTreeMap<i64, UserRec>,
    pub(crate) chats: BTreeMap<i64, ChatRec>,
    pub(crate) channels: BTreeMap<i64, ChannelRec>,
    /// Each user's private/basic-group message box, by user id.
    pub(crate) boxes: BTreeMap<i64, MessageBox>,
    /// Permanent auth key id → the account it is signed in as.
    pub(crate) authorizations: BTreeMap<i64, AuthRec>,
    pub(crate) documents: BTreeMap<i64, DocumentRec>,
    pub(crate) photos: BTreeMap<i64, PhotoRec>,
    pub(crate) next_user_id: i64,
    pub(crate) next_chat_id: i64,
    pub(crate) next_channel_id: i64,
    pub(crate) next_global_id: i64,
    pub(crate) next_media_id: i64,
    /// Invite links by their hash.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) invites: BTreeMap<String, InviteRec>,
    /// Open takeout sessions by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) takeouts: BTreeMap<i64, super::takeout::TakeoutRec>,
    /// Each user's profile photos (ids in [`State::photos`]), the current one first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) profile_photos: BTreeMap<i64, Vec<i64>>,
    /// The last admin-log event id used (ids are unique across channels).
    #[serde(default, skip_serializing_if = "no_log_yet")]
    pub(crate) last_log_id: i64,
    /// Last `account.updateStatus` of each user (absent: never reported, shown as "recently").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) statuses: BTreeMap<i64, StatusRec>,
    /// Each bot's command lists (`bots.setBotCommands`), by bot id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) bot_commands: BTreeMap<i64, Vec<super::bot_commands::CommandListRec>>,
    /// Bots with inline mode on, with their placeholder (BotFather's `/setinline`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) inline_bots: BTreeMap<i64, String>,
    /// Messages sent through inline mode, by inline message id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) inline_messages: BTreeMap<i64, InlineMessageRec>,
    /// Pending requests to join through links that need approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) join_requests: Vec<super::join_requests::JoinRequestRec>,
    /// Who joined through which link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) invite_importers: Vec<super::join_requests::ImporterRec>,
}

impl MessageBox {
    /// Records a qts event and returns the new qts.
    pub(crate) fn record_qts(&mut self, date: i32, kind: QtsKind) -> i32 {
        self.qts += 1;
        self.qts_events.push(QtsEvent {
            qts: self.qts,
            date,
            kind,
        });
        self.qts
    }
}

/// A user's reported presence.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct StatusRec {
    pub(crate) online: bool,
    /// When the report was made.
    pub(crate) date: i32,
}

impl Default for State {
    fn default() -> Self {
        Self {
            format: FORMAT_VERSION,
            users: BTreeMap::new(),
            chats: BTreeMap::new(),
            channels: BTreeMap::new(),
            boxes: BTreeMap::new(),
            authorizations: BTreeMap::new(),
            documents: BTreeMap::new(),
            photos: BTreeMap::new(),
            // Ids in ranges that look like Telegram's, and that never collide across kinds.
            next_user_id: 1_000_001,
            next_chat_id: 100_001,
            next_channel_id: 1_000_000_001,
            next_global_id: 1,
            next_media_id: 5_000_000_000_001,
            invites: BTreeMap::new(),
            profile_photos: BTreeMap::new(),
            takeouts: BTreeMap::new(),
            last_log_id: 0,
            statuses: BTreeMap::new(),
            bot_commands: BTreeMap::new(),
            inline_bots: BTreeMap::new(),
            inline_messages: BTreeMap::new(),
            join_requests: Vec::new(),
            invite_importers: Vec::new(),
        }
    }
}

/// A user or bot account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct UserRec {
    pub(crate) id: i64,
    pub(crate) access_hash: i64,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) username: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) bot: bool,
    pub(crate) about: Option<String>,
    /// The DC the account lives on (`PHONE_MIGRATE_X` points there).
    pub(crate) home_dc: i32,
    pub(crate) password: Option<PasswordRec>,
    pub(crate) contacts: BTreeSet<i64>,
    pub(crate) created: i32,
    /// Users and bots this user blocked (`contacts.block`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub(crate) blocked: BTreeSet<i64>,
}

/// A 2FA password as the server stores it: the SRP verifier and what produced it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PasswordRec {
    pub(crate) salt1: Bytes,
    pub(crate) salt2: Bytes,
    pub(crate) g: i32,
    pub(crate) p: Bytes,
    /// `v = g^x mod p`, 256 bytes.
    pub(crate) verifier: Bytes,
    pub(crate) hint: Option<String>,
}

/// Which account a permanent auth key is signed in as.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AuthRec {
    pub(crate) user_id: i64,
    pub(crate) dc_id: i32,
    pub(crate) date: i32,
}

/// One user's box of private-chat and basic-group messages.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct MessageBox {
    #[serde(flatten)]
    pub(crate) store: MessageStore,
    /// Read marks per dialog, keyed by [`Peer::marked`].
    pub(crate) reads: BTreeMap<i64, ReadMarks>,
    /// `random_id` of each message this user sent (also to channels), against duplicates.
    pub(crate) random_ids: BTreeMap<i64, SentRef>,
    /// Per-dialog settings (folder, draft), keyed by [`Peer::marked`]; absent means defaults.
    #[serde(default)]
    pub(crate) dialogs: BTreeMap<i64, DialogRec>,
    /// Pinned dialogs, the most recently pinned first (each folder shows its own).
    #[serde(default)]
    pub(crate) pinned_dialogs: Vec<Peer>,
    /// Messages scheduled for later, by their own id sequence.
    #[serde(default)]
    pub(crate) scheduled: BTreeMap<i32, MessageRec>,
    #[serde(default)]
    pub(crate) last_scheduled_id: i32,
    /// The account's `seq`: how many containers of seq-carrying updates it was sent
    /// (absent in data files written before it existed).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) seq: i32,
    /// The account's `qts` and the events that advanced it (bots' updates), oldest first.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) qts: i32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) qts_events: Vec<QtsEvent>,
}

/// One step of an account's `qts` sequence.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct QtsEvent {
    /// The account's qts after the event.
    pub(crate) qts: i32,
    pub(crate) date: i32,
    pub(crate) kind: QtsKind,
}

/// What a qts event told a bot.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum QtsKind {
    /// `user` blocked (`stopped`) or unblocked the bot: `updateBotStopped`.
    BotStopped { user: i64, stopped: bool },
    /// `user`'s participation in `channel` changed (by `actor`): `updateChannelParticipant`.
    /// `prev` and `new` are `ChannelParticipant`s as TL (`None`: not a participant).
    ChannelParticipant {
        channel: i64,
        user: i64,
        actor: i64,
        prev: Option<Bytes>,
        new: Option<Bytes>,
    },
    /// `user` asked to join `peer` through `invite` (an `ExportedChatInvite` as TL), with their
    /// bio `about`: `updateBotChatInviteRequester`.
    ChatInviteRequester {
        peer: Peer,
        user: i64,
        about: String,
        invite: Bytes,
    },
}

/// What the box owner set on one dialog.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct DialogRec {
    /// 0 for the main list, 1 for the archive.
    pub(crate) folder: i32,
    pub(crate) draft: Option<DraftRec>,
}

/// An unsent message kept for a dialog (`messages.saveDraft`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct DraftRec {
    pub(crate) text: String,
    /// `Vector<MessageEntity>`.
    pub(crate) entities: Option<Bytes>,
    pub(crate) reply_to: Option<i32>,
    pub(crate) no_webpage: bool,
    pub(crate) date: i32,
}

/// The messages of one box and the pts events that changed it: a user's box of private-chat
/// and basic-group messages ([`MessageBox`]) or a channel's ([`ChannelRec`]).
///
/// Both records embed it with `#[serde(flatten)]`, so its fields sit directly in theirs in the
/// `--data` file, as they did before the two shared this type.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct MessageStore {
    pub(crate) pts: i32,
    /// The last message id used in this box.
    pub(crate) last_id: i32,
    /// Boxed: a B-tree allocates nodes of eleven entries, mostly half full when appended to,
    /// so records inline cost twice their size and a ~4 KiB node every few messages (growing
    /// the heap page by page was most of what posting a message cost).
    #[serde(deserialize_with = "messages_by_id")]
    pub(crate) messages: BTreeMap<i32, Box<MessageRec>>,
    /// Every pts-carrying event, oldest first, for `updates.getDifference`.
    pub(crate) events: Vec<PtsEvent>,
}

/// What [`MessageStore::remove`] removed.
pub(crate) struct Removed {
    pub(crate) ids: Vec<i32>,
    /// The box's pts after the deletion.
    pub(crate) pts: i32,
    pub(crate) count: i32,
}

/// Reads [`MessageStore::messages`]. JSON map keys are strings; serde_json turns `"1"` back
/// into an `i32` key by itself, but a `#[serde(flatten)]` field is buffered before its key
/// type is known and then refuses the string, so the ids are parsed here.
fn messages_by_id<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<i32, Box<MessageRec>>, D::Error> {
    BTreeMap::<String, Box<MessageRec>>::deserialize(deserializer)?
        .into_iter()
        .map(|(key, message)| match key.parse() {
            Ok(id) => Ok((id, message)),
            Err(_) => Err(serde::de::Error::custom(format!(
                "message id {key:?} is not a number"
            ))),
        })
        .collect()
}

impl MessageStore {
    /// Records an event of `count` pts and returns the new pts.
    pub(crate) fn record(&mut self, count: i32, kind: EventKind) -> i32 {
        self.pts += count;
        self.events.push(PtsEvent {
            pts: self.pts,
            count,
            kind,
        });
        self.pts
    }

    pub(crate) fn next_id(&mut self) -> i32 {
        self.last_id += 1;
        self.last_id
    }

    /// Removes those of `ids` this box holds and records their deletion as one event of that
    /// many pts; `None`, with nothing recorded, when it held none of them.
    pub(crate) fn remove(&mut self, ids: &[i32]) -> Option<Removed> {
        let removed: Vec<i32> = ids
            .iter()
            .copied()
            .filter(|id| self.messages.remove(id).is_some())
            .collect();
        if removed.is_empty() {
            return None;
        }
        let count = i32::try_from(removed.len()).unwrap_or(i32::MAX);
        let pts = self.record(
            count,
            EventKind::DeleteMessages {
                ids: removed.clone(),
            },
        );
        Some(Removed {
            ids: removed,
            pts,
            count,
        })
    }

    /// The id of this box's copy of the logical message `global_id`.
    pub(crate) fn copy_of(&self, global_id: i64) -> Option<i32> {
        self.messages
            .values()
            .find(|m| m.global_id == global_id)
            .map(|m| m.id)
    }
}

/// Where a sent message ended up, for `random_id` deduplication.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct SentRef {
    pub(crate) peer: Peer,
    pub(crate) id: i32,
}

/// How far a dialog has been read, in the box owner's message ids.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct ReadMarks {
    /// The owner read incoming messages up to here.
    pub(crate) inbox: i32,
    /// The other side read the owner's outgoing messages up to here.
    pub(crate) outbox: i32,
    /// The owner read their mentions up to here (`messages.readMentions`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) mentions: i32,
}

/// One pts step (or several, for `count > 1`) of a box.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PtsEvent {
    /// The box's pts after the event.
    pub(crate) pts: i32,
    pub(crate) count: i32,
    pub(crate) kind: EventKind,
}

/// What a pts event did.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum EventKind {
    NewMessage {
        id: i32,
    },
    EditMessage {
        id: i32,
    },
    DeleteMessages {
        ids: Vec<i32>,
    },
    ReadInbox {
        peer: Peer,
        max_id: i32,
    },
    ReadOutbox {
        peer: Peer,
        max_id: i32,
    },
    /// The contents of these messages were read (mentions read by `messages.readMentions`).
    ReadContents {
        ids: Vec<i32>,
    },
    /// Messages of `peer` were pinned or unpinned.
    Pinned {
        peer: Peer,
        ids: Vec<i32>,
        pinned: bool,
    },
    /// Dialogs moved between folders: (dialog, folder id).
    FolderPeers {
        peers: Vec<(Peer, i32)>,
    },
}

/// One message as one box holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct MessageRec {
    pub(crate) id: i32,
    /// Shared by the copies of one logical message in different boxes.
    pub(crate) global_id: i64,
    /// The dialog it belongs to, seen from the box owner (for a channel box: the channel).
    pub(crate) peer: Peer,
    /// The author; `None` for broadcast-channel posts.
    pub(crate) from: Option<Peer>,
    pub(crate) out: bool,
    pub(crate) date: i32,
    pub(crate) text: String,
    /// `Vector<MessageEntity>`.
    pub(crate) entities: Option<Bytes>,
    pub(crate) media: Option<MediaRec>,
    pub(crate) reply_to: Option<i32>,
    pub(crate) fwd: Option<FwdRec>,
    pub(crate) edit_date: Option<i32>,
    pub(crate) action: Option<ActionRec>,
    pub(crate) post: bool,
    pub(crate) silent: bool,
    /// Album id shared by the messages of one `messages.sendMultiMedia`.
    #[serde(default)]
    pub(crate) grouped_id: Option<i64>,
    #[serde(default)]
    pub(crate) pinned: bool,
    /// A bot's `ReplyMarkup` (Telegram drops markup sent by users, except in messages sent
    /// through a bot's inline mode).
    #[serde(default)]
    pub(crate) reply_markup: Option<Bytes>,
    /// The bot whose inline result this message is ("via @bot").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) via_bot: Option<i64>,
    /// The inline message id (key of [`State::inline_messages`]) of a message sent through a
    /// bot's inline mode, shared by every copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) inline_id: Option<i64>,
}

/// A message sent through a bot's inline mode, as the bot addresses it
/// (`inputBotInlineMessageID`): where the sender's copy is.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct InlineMessageRec {
    /// The bot whose result it is (the only account that may edit it by this id).
    pub(crate) bot: i64,
    /// The user who sent it; `peer` and `id` are in their numbering.
    pub(crate) sender: i64,
    pub(crate) peer: Peer,
    pub(crate) id: i32,
    pub(crate) access_hash: i64,
    pub(crate) dc_id: i32,
}

/// A message's attachment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum MediaRec {
    Document(i64),
    Photo(i64),
    /// A self-contained `MessageMedia` (geo point, contact, dice) stored as TL.
    Inline(Bytes),
}

/// Where a forwarded message came from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct FwdRec {
    pub(crate) from: Option<Peer>,
    pub(crate) date: i32,
    pub(crate) channel_post: Option<i32>,
}

/// The event a service message records.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum ActionRec {
    ChatCreate {
        title: String,
        users: Vec<i64>,
    },
    ChannelCreate {
        title: String,
    },
    ChatAddUser {
        users: Vec<i64>,
    },
    ChatDeleteUser {
        user: i64,
    },
    /// The replied-to message was pinned.
    PinMessage,
    ChatEditTitle {
        title: String,
    },
    /// The chat photo became stored photo `photo`.
    ChatEditPhoto {
        photo: i64,
    },
    ChatDeletePhoto,
    /// The sender joined through an invite link made by `inviter`.
    ChatJoinedByLink {
        inviter: i64,
    },
    /// The basic group became supergroup `channel`.
    ChatMigrateTo {
        channel: i64,
    },
    /// The supergroup was basic group `chat` (its first message).
    ChannelMigrateFrom {
        title: String,
        chat: i64,
    },
}

/// A basic group.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ChatRec {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) creator: i64,
    pub(crate) date: i32,
    pub(crate) version: i32,
    pub(crate) members: BTreeMap<i64, ChatMember>,
    /// Users who were members once (they still see the group, as `left`).
    pub(crate) former: BTreeSet<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) about: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) photo: Option<ChatPhotoRec>,
    /// `ChatBannedRights` every non-admin member gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_banned: Option<Bytes>,
    /// The supergroup this group was migrated to (the group is then deactivated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) migrated_to: Option<i64>,
    /// Migrated or deleted: read-only, with no members.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) deactivated: bool,
}

/// A group's or channel's current photo.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct ChatPhotoRec {
    /// The stored photo (in [`State::photos`]).
    pub(crate) id: i64,
    pub(crate) dc_id: i32,
}

/// An invite link to a group or channel.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct InviteRec {
    pub(crate) hash: String,
    /// The basic group or channel it joins.
    pub(crate) peer: Peer,
    /// Who made it (the link is theirs to list, edit and revoke).
    pub(crate) admin: i64,
    pub(crate) date: i32,
    /// The admin's primary link (replaced, not just revoked, when revoked).
    pub(crate) permanent: bool,
    pub(crate) revoked: bool,
    pub(crate) expire_date: Option<i32>,
    pub(crate) usage_limit: Option<i32>,
    pub(crate) usage: i32,
    pub(crate) title: Option<String>,
    pub(crate) request_needed: bool,
}

/// One entry of a channel's admin log (`channels.getAdminLog`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AdminLogRec {
    pub(crate) id: i64,
    pub(crate) date: i32,
    /// Who did it.
    pub(crate) user: i64,
    /// `ChannelAdminLogEventAction`, with the values as they were then.
    pub(crate) action: Bytes,
    /// Users the action mentions (besides `user`), for the answer's `users`.
    pub(crate) mentions: Vec<i64>,
}

/// A basic-group member.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ChatMember {
    pub(crate) inviter: i64,
    pub(crate) date: i32,
    pub(crate) admin: bool,
}

/// A supergroup or broadcast channel, with its own message box.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ChannelRec {
    pub(crate) id: i64,
    pub(crate) access_hash: i64,
    pub(crate) title: String,
    pub(crate) about: String,
    pub(crate) username: Option<String>,
    pub(crate) broadcast: bool,
    pub(crate) megagroup: bool,
    pub(crate) creator: i64,
    pub(crate) date: i32,
    pub(crate) members: BTreeMap<i64, ChannelMember>,
    /// Kicked users (banned from viewing), by user id.
    pub(crate) kicked: BTreeMap<i64, BanRec>,
    #[serde(flatten)]
    pub(crate) store: MessageStore,
    /// Per member: read up to this message id.
    pub(crate) read_inbox: BTreeMap<i64, i32>,
    /// Per member: their mentions read up to this message id (`messages.readMentions`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) read_mentions: BTreeMap<i64, i32>,
    /// Per member who cleared their history (`channels.deleteHistory` for themselves): messages
    /// up to this id are hidden from them.
    #[serde(default)]
    pub(crate) available_min_id: BTreeMap<i64, i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) photo: Option<ChatPhotoRec>,
    /// `ChatBannedRights` every non-admin member of a supergroup gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default_banned: Option<Bytes>,
    /// Seconds a non-admin must wait between messages (0: slow mode off).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) slowmode: i32,
    /// When each member last sent a message (for slow mode).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) last_sent: BTreeMap<i64, i32>,
    /// The basic group this supergroup was migrated from, and that group's last message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) migrated_from: Option<(i64, i32)>,
    /// Admin actions, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) admin_log: Vec<AdminLogRec>,
}

impl ChannelRec {
    pub(crate) fn is_admin(&self, user: i64) -> bool {
        user == self.creator || self.members.get(&user).is_some_and(|m| m.admin.is_some())
    }

    /// Whether `user` holds an admin right, checked with `pick` on the stored rights.
    pub(crate) fn has_right(&self, user: i64, pick: fn(&types::ChatAdminRights) -> bool) -> bool {
        if user == self.creator {
            return true;
        }
        let Some(admin) = self.members.get(&user).and_then(|m| m.admin.as_ref()) else {
            return false;
        };
        match admin.rights.decode::<enums::ChatAdminRights>() {
            Some(enums::ChatAdminRights::ChatAdminRights(rights)) => pick(&rights),
            None => false,
        }
    }
}

/// A channel member.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ChannelMember {
    pub(crate) date: i32,
    pub(crate) inviter: i64,
    pub(crate) admin: Option<AdminRec>,
    /// `ChatBannedRights` of a restricted (but not kicked) member.
    pub(crate) restricted: Option<BanRec>,
}

/// An admin's rights.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AdminRec {
    /// `ChatAdminRights`.
    pub(crate) rights: Bytes,
    pub(crate) rank: Option<String>,
    pub(crate) promoted_by: i64,
}

/// A restriction or ban.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct BanRec {
    /// `ChatBannedRights`.
    pub(crate) rights: Bytes,
    pub(crate) by: i64,
    pub(crate) date: i32,
}

/// An uploaded file sent as a document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct DocumentRec {
    pub(crate) id: i64,
    pub(crate) access_hash: i64,
    pub(crate) file_reference: Bytes,
    pub(crate) date: i32,
    pub(crate) mime_type: String,
    pub(crate) size: i64,
    pub(crate) dc_id: i32,
    /// `Vector<DocumentAttribute>`.
    pub(crate) attributes: Bytes,
}

/// An uploaded file sent as a photo: its sizes (see `images.rs`), or, for bytes that are no
/// image, one nominal size holding them as uploaded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PhotoRec {
    pub(crate) id: i64,
    pub(crate) access_hash: i64,
    pub(crate) file_reference: Bytes,
    pub(crate) date: i32,
    pub(crate) dc_id: i32,
    /// Bytes uploaded.
    pub(crate) size: i64,
    /// Smallest first; empty when kept as uploaded.
    #[serde(default)]
    pub(crate) sizes: Vec<PhotoSizeRec>,
    /// The inline stripped thumbnail (`[1, h, w, scan…]`).
    #[serde(default)]
    pub(crate) stripped: Option<Bytes>,
}

/// One stored size of a photo.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PhotoSizeRec {
    /// Its type letter (`s`, `m`, `x`, `y`, `w`).
    pub(crate) kind: String,
    pub(crate) w: i32,
    pub(crate) h: i32,
    /// Its JPEG's length.
    pub(crate) size: i64,
    /// The id its bytes are stored under (like a document's contents).
    pub(crate) content: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_through_json_as_hex() {
        let bytes = Bytes(vec![0x00, 0x7f, 0xab, 0xff]);
        let json = serde_json::to_string(&bytes).unwrap();
        assert_eq!(json, "\"007fabff\"");
        assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap(), bytes);
        assert!(serde_json::from_str::<Bytes>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Bytes>("\"zz\"").is_err());
    }

    #[test]
    fn a_non_numeric_message_id_is_an_error() {
        let fixture = include_str!("../../testdata/state-v1.json");
        let state: serde_json::Value = serde_json::from_str(fixture).unwrap();
        let mut mbox = state["boxes"]["1000001"].clone();
        assert!(serde_json::from_value::<MessageBox>(mbox.clone()).is_ok());
        let messages = mbox["messages"].as_object_mut().unwrap();
        let first = messages.remove("1").unwrap();
        messages.insert("x".into(), first);
        let error = serde_json::from_value::<MessageBox>(mbox).unwrap_err();
        assert!(error.to_string().contains("message id \"x\""), "{error}");
    }

    #[test]
    fn marked_ids_never_collide_across_kinds() {
        let marks = [Peer::User(5), Peer::Chat(5), Peer::Channel(5)].map(Peer::marked);
        assert_eq!(marks, [5, -5, -1_000_000_000_005]);
    }
}
