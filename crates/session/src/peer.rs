//! Peers: what kind they are, the compact [`PeerRef`] that lets a client address them, and the cached
//! details (usernames, phone, name) that let a user find them again.

use std::fmt;
use std::str::FromStr;

use crate::SessionError;

/// What sort of peer a [`PeerRef`] points at.
///
/// Telegram's wire types only tell three families apart (user, basic group, channel); the finer
/// kinds come from flags (`bot`, `megagroup`, `gigagroup`). Sources that only know the family — a
/// Bot API id, a Telethon entity — produce [`PeerKind::User`], [`PeerKind::BasicGroup`] or
/// [`PeerKind::Broadcast`] (a channel with no flags), and the next full object from the server
/// corrects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeerKind {
    /// A person's account.
    User,
    /// A bot account.
    Bot,
    /// A legacy small group (`chat` on the wire).
    BasicGroup,
    /// A channel with the `megagroup` flag.
    Supergroup,
    /// A broadcast channel.
    Broadcast,
    /// A channel with the `gigagroup` flag (broadcast group).
    Gigagroup,
}

impl PeerKind {
    /// All kinds, in on-disk code order.
    pub const ALL: [PeerKind; 6] = [
        PeerKind::User,
        PeerKind::Bot,
        PeerKind::BasicGroup,
        PeerKind::Supergroup,
        PeerKind::Broadcast,
        PeerKind::Gigagroup,
    ];

    /// A user or a bot (`peerUser` on the wire).
    pub fn is_user(self) -> bool {
        matches!(self, PeerKind::User | PeerKind::Bot)
    }

    /// A legacy basic group (`peerChat` on the wire).
    pub fn is_basic_group(self) -> bool {
        self == PeerKind::BasicGroup
    }

    /// Any kind of channel (`peerChannel` on the wire).
    pub fn is_channel(self) -> bool {
        matches!(
            self,
            PeerKind::Supergroup | PeerKind::Broadcast | PeerKind::Gigagroup
        )
    }

    /// The letter that starts this kind's [`PeerRef`] text form.
    fn letter(self) -> char {
        match self {
            PeerKind::User => 'u',
            PeerKind::Bot => 'b',
            PeerKind::BasicGroup => 'g',
            PeerKind::Supergroup => 's',
            PeerKind::Broadcast => 'c',
            PeerKind::Gigagroup => 'x',
        }
    }

    fn from_letter(letter: char) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.letter() == letter)
    }

    /// The integer stored in the `kind` column of a session file. Stable across versions.
    pub(crate) fn code(self) -> i64 {
        match self {
            PeerKind::User => 1,
            PeerKind::Bot => 2,
            PeerKind::BasicGroup => 3,
            PeerKind::Supergroup => 4,
            PeerKind::Broadcast => 5,
            PeerKind::Gigagroup => 6,
        }
    }

    pub(crate) fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// Bot API ids of channels count down from minus this number (`-100…` in decimal).
pub const BOT_API_CHANNEL_OFFSET: i64 = 1_000_000_000_000;

/// Everything needed to address a peer in an API call: its kind, its bare id and, for users and
/// channels, the access hash that proves this account may see it.
///
/// The id is always the bare, positive id Telegram sends (`user_id`, `chat_id`, `channel_id`), never
/// a Bot API "marked" id; [`PeerRef::bot_api_id`] and [`PeerRef::from_bot_api_id`] convert.
///
/// # Text form
///
/// `Display` and `FromStr` use `<kind letter><id>[.<access hash>]`, for example `u777000`,
/// `c1234567890.ff00a1b2c3d4e5f6`. The kind letters are `u` user, `b` bot, `g` basic group,
/// `s` supergroup, `c` broadcast channel, `x` gigagroup; the id is decimal; the access hash is the
/// 64-bit value's two's-complement bits in lowercase hexadecimal without leading zeros. The form is
/// URL-safe and stable, so it can be stored in a database or a config file and parsed back.
///
/// ```
/// use tgwire_session::{PeerKind, PeerRef};
///
/// let alice = PeerRef::new(PeerKind::User, 42, Some(-2))?;
/// assert_eq!(alice.to_string(), "u42.fffffffffffffffe");
/// assert_eq!("u42.fffffffffffffffe".parse::<PeerRef>()?, alice);
/// assert_eq!(alice.bot_api_id(), 42);
///
/// let news = PeerRef::from_bot_api_id(-1001234567890, Some(7))?;
/// assert_eq!((news.kind(), news.id()), (PeerKind::Broadcast, 1234567890));
/// # Ok::<(), tgwire_session::SessionError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PeerRef {
    kind: PeerKind,
    id: i64,
    access_hash: Option<i64>,
}

impl PeerRef {
    /// Builds a reference, checking that `id` is in the range its kind allows (positive, and small
    /// enough for its Bot API id to fit in an `i64`). Basic groups have no access hash: one passed for
    /// them is dropped.
    pub fn new(kind: PeerKind, id: i64, access_hash: Option<i64>) -> Result<Self, SessionError> {
        let max = if kind.is_user() {
            i64::MAX
        } else if kind.is_basic_group() {
            BOT_API_CHANNEL_OFFSET - 1
        } else {
            i64::MAX - BOT_API_CHANNEL_OFFSET
        };
        if !(1..=max).contains(&id) {
            return Err(SessionError::InvalidPeerRef {
                input: id.to_string(),
                reason: "id out of range for this peer kind",
            });
        }
        let access_hash = if kind.is_basic_group() {
            None
        } else {
            access_hash
        };
        Ok(PeerRef {
            kind,
            id,
            access_hash,
        })
    }

    /// The peer's kind.
    pub fn kind(&self) -> PeerKind {
        self.kind
    }

    /// The bare id (positive, unmarked).
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The access hash, if known. Always `None` for basic groups.
    pub fn access_hash(&self) -> Option<i64> {
        self.access_hash
    }

    /// The same reference with another access hash (ignored for basic groups).
    #[must_use]
    pub fn with_access_hash(mut self, access_hash: Option<i64>) -> Self {
        if !self.kind.is_basic_group() {
            self.access_hash = access_hash;
        }
        self
    }

    /// The same reference with another kind of the same family (e.g. `Broadcast` to `Supergroup`).
    /// Returns `None` if `kind` belongs to another family, whose ids live in another number space.
    pub fn with_kind(mut self, kind: PeerKind) -> Option<Self> {
        let same_family = (kind.is_user() && self.kind.is_user())
            || (kind.is_channel() && self.kind.is_channel())
            || (kind.is_basic_group() && self.kind.is_basic_group());
        if !same_family {
            return None;
        }
        self.kind = kind;
        Some(self)
    }

    /// The Bot API ("marked") id: users as is, basic groups negated, channels
    /// `-1000000000000 - id`. Unique across all peers, so the peer cache is keyed by it.
    pub fn bot_api_id(&self) -> i64 {
        // `new` bounds `id` so that none of these can overflow.
        if self.kind.is_user() {
            self.id
        } else if self.kind.is_basic_group() {
            -self.id
        } else {
            -(BOT_API_CHANNEL_OFFSET + self.id)
        }
    }

    /// The reverse of [`PeerRef::bot_api_id`]. A Bot API id only tells the family, so users come
    /// back as [`PeerKind::User`] and channels as [`PeerKind::Broadcast`]; use
    /// [`PeerRef::with_kind`] to refine.
    pub fn from_bot_api_id(marked: i64, access_hash: Option<i64>) -> Result<Self, SessionError> {
        let (kind, id) = split_bot_api_id(marked).ok_or_else(|| SessionError::InvalidPeerRef {
            input: marked.to_string(),
            reason: "not a valid Bot API id",
        })?;
        PeerRef::new(kind, id, access_hash)
    }
}

/// Splits a Bot API id into the family's default kind and the bare id.
pub(crate) fn split_bot_api_id(marked: i64) -> Option<(PeerKind, i64)> {
    if marked > 0 {
        Some((PeerKind::User, marked))
    } else if marked > -BOT_API_CHANNEL_OFFSET && marked < 0 {
        Some((PeerKind::BasicGroup, -marked))
    } else if marked < -BOT_API_CHANNEL_OFFSET {
        // `marked` < -10^12, so adding 10^12 cannot overflow and the result negates safely.
        Some((PeerKind::Broadcast, -(marked + BOT_API_CHANNEL_OFFSET)))
    } else {
        None
    }
}

impl fmt::Display for PeerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.kind.letter(), self.id)?;
        if let Some(hash) = self.access_hash {
            // Hex of the raw bits: shorter than signed decimal and never carries a sign.
            write!(f, ".{:x}", hash as u64)?;
        }
        Ok(())
    }
}

impl FromStr for PeerRef {
    type Err = SessionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| SessionError::InvalidPeerRef {
            input: text.chars().take(64).collect(),
            reason,
        };
        let mut chars = text.chars();
        let kind = chars
            .next()
            .and_then(PeerKind::from_letter)
            .ok_or_else(|| invalid("unknown kind letter"))?;
        let rest = chars.as_str();
        let (id_text, hash_text) = match rest.split_once('.') {
            Some((id, hash)) => (id, Some(hash)),
            None => (rest, None),
        };
        let id =
            parse_digits(id_text, 10, 19).ok_or_else(|| invalid("id is not a decimal number"))?;
        let id = i64::try_from(id).map_err(|_| invalid("id too large"))?;
        let access_hash = match hash_text {
            None => None,
            Some(hash) => {
                let bits = parse_digits(hash, 16, 16)
                    .ok_or_else(|| invalid("access hash is not 1-16 lowercase hex digits"))?;
                Some(bits as i64)
            }
        };
        if kind.is_basic_group() && access_hash.is_some() {
            return Err(invalid("basic groups have no access hash"));
        }
        PeerRef::new(kind, id, access_hash)
            .map_err(|_| invalid("id out of range for this peer kind"))
    }
}

/// Parses 1..=`max_len` digits (lowercase only for hex) with no sign, spaces or leading zeros, so
/// every value has exactly one text form.
fn parse_digits(text: &str, radix: u32, max_len: usize) -> Option<u64> {
    let well_formed = !text.is_empty()
        && text.len() <= max_len
        && !(text.len() > 1 && text.starts_with('0'))
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (radix == 16 && (b'a'..=b'f').contains(&b)));
    if !well_formed {
        return None;
    }
    u64::from_str_radix(text, radix).ok()
}

/// A peer as remembered by the session's peer cache.
///
/// Usernames are kept lowercase without the leading `@`, phone numbers as digits only; the storage
/// normalises whatever it is given.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CachedPeer {
    /// Kind, id and access hash.
    pub peer: PeerRef,
    /// The access hash came from a "min" constructor (a partial object seen in a group or channel),
    /// so it cannot be used on its own. A min hash never overwrites a full one.
    pub min: bool,
    /// Active usernames, the main one first.
    pub usernames: Vec<String>,
    /// Phone number (users only), digits without `+`.
    pub phone: Option<String>,
    /// Display name: a user's first and last name, or a chat's title.
    pub name: Option<String>,
}

impl CachedPeer {
    /// A full (non-min) entry with no usernames, phone or name.
    pub fn new(peer: PeerRef) -> Self {
        CachedPeer {
            peer,
            min: false,
            usernames: Vec::new(),
            phone: None,
            name: None,
        }
    }

    /// The cache key: the peer's Bot API id.
    pub fn bot_api_id(&self) -> i64 {
        self.peer.bot_api_id()
    }
}

/// The account the session is signed in as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SelfUser {
    /// The user id.
    pub id: i64,
    /// Whether the account is a bot.
    pub bot: bool,
}

/// Lowercases a username and strips a leading `@`; `None` if nothing is left or it contains
/// whitespace (Telegram usernames never do, and the session file separates them with spaces).
pub(crate) fn normalize_username(name: &str) -> Option<String> {
    let name = name.trim().trim_start_matches('@');
    (!name.is_empty() && !name.contains(char::is_whitespace)).then(|| name.to_lowercase())
}

/// Keeps only the digits of a phone number; `None` if there are none.
pub(crate) fn normalize_phone(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_kind() -> impl Strategy<Value = PeerKind> {
        prop::sample::select(PeerKind::ALL.to_vec())
    }

    #[test]
    fn bot_api_ids_follow_the_bot_api_convention() {
        let user = PeerRef::new(PeerKind::User, 777000, Some(1)).unwrap();
        let chat = PeerRef::new(PeerKind::BasicGroup, 123456789, None).unwrap();
        let channel = PeerRef::new(PeerKind::Supergroup, 1234567890, Some(5)).unwrap();
        assert_eq!(user.bot_api_id(), 777000);
        assert_eq!(chat.bot_api_id(), -123456789);
        assert_eq!(channel.bot_api_id(), -1001234567890);

        let back = PeerRef::from_bot_api_id(-1001234567890, Some(5)).unwrap();
        assert_eq!(back.kind(), PeerKind::Broadcast);
        assert_eq!(back.id(), 1234567890);
        assert_eq!(
            PeerRef::from_bot_api_id(-42, None).unwrap().kind(),
            PeerKind::BasicGroup
        );
        // Edge of the basic-group range and the first channel id.
        assert_eq!(
            PeerRef::from_bot_api_id(-999_999_999_999, None)
                .unwrap()
                .id(),
            999_999_999_999
        );
        assert_eq!(
            PeerRef::from_bot_api_id(-1_000_000_000_001, None)
                .unwrap()
                .id(),
            1
        );
    }

    #[test]
    fn impossible_bot_api_ids_are_rejected() {
        for bad in [0, -BOT_API_CHANNEL_OFFSET, i64::MIN] {
            // i64::MIN maps to a channel id larger than any Bot API id can express back.
            let result = PeerRef::from_bot_api_id(bad, None);
            assert!(result.is_err(), "{bad} accepted as {result:?}");
        }
    }

    #[test]
    fn ids_out_of_range_are_rejected() {
        assert!(PeerRef::new(PeerKind::User, 0, None).is_err());
        assert!(PeerRef::new(PeerKind::User, -5, None).is_err());
        assert!(PeerRef::new(PeerKind::BasicGroup, BOT_API_CHANNEL_OFFSET, None).is_err());
        assert!(PeerRef::new(PeerKind::Broadcast, i64::MAX, None).is_err());
        assert!(PeerRef::new(PeerKind::Broadcast, i64::MAX - BOT_API_CHANNEL_OFFSET, None).is_ok());
    }

    #[test]
    fn text_form_examples() {
        let cases = [
            (PeerRef::new(PeerKind::User, 1, None).unwrap(), "u1"),
            (
                PeerRef::new(PeerKind::Bot, 93372553, Some(0)).unwrap(),
                "b93372553.0",
            ),
            (PeerRef::new(PeerKind::BasicGroup, 5, None).unwrap(), "g5"),
            (
                PeerRef::new(PeerKind::Supergroup, 10, Some(255)).unwrap(),
                "s10.ff",
            ),
            (
                PeerRef::new(PeerKind::Broadcast, 10, Some(-1)).unwrap(),
                "c10.ffffffffffffffff",
            ),
            (
                PeerRef::new(PeerKind::Gigagroup, 10, Some(i64::MIN)).unwrap(),
                "x10.8000000000000000",
            ),
        ];
        for (peer, text) in cases {
            assert_eq!(peer.to_string(), text);
            assert_eq!(text.parse::<PeerRef>().unwrap(), peer);
        }
    }

    #[test]
    fn malformed_text_is_rejected() {
        for bad in [
            "",
            "u",
            "q1",
            "u-1",
            "u+1",
            "u01",
            "u0",
            "u1.",
            "u1.FF",
            "u1.0ff",
            "u1.10000000000000000",
            "g5.1",
            "u 1",
            "u1.ff.ff",
            "u99999999999999999999",
            "c9223372036854775807",
            "é1",
        ] {
            assert!(bad.parse::<PeerRef>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn basic_groups_drop_access_hashes() {
        let chat = PeerRef::new(PeerKind::BasicGroup, 5, Some(9)).unwrap();
        assert_eq!(chat.access_hash(), None);
        assert_eq!(chat.with_access_hash(Some(3)).access_hash(), None);
    }

    #[test]
    fn with_kind_stays_within_the_family() {
        let channel = PeerRef::new(PeerKind::Broadcast, 10, Some(1)).unwrap();
        assert_eq!(
            channel.with_kind(PeerKind::Supergroup).unwrap().kind(),
            PeerKind::Supergroup
        );
        assert!(channel.with_kind(PeerKind::User).is_none());
        assert!(channel.with_kind(PeerKind::BasicGroup).is_none());
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_username("@Durov").as_deref(), Some("durov"));
        assert_eq!(normalize_username(" @ "), None);
        assert_eq!(normalize_username("two words"), None);
        assert_eq!(
            normalize_phone("+1 (555) 010-0000").as_deref(),
            Some("15550100000")
        );
        assert_eq!(normalize_phone("+"), None);
    }

    proptest! {
        #[test]
        fn text_form_round_trips(kind in any_kind(), id in 1i64..=i64::MAX, hash in any::<Option<i64>>()) {
            if let Ok(peer) = PeerRef::new(kind, id, hash) {
                let text = peer.to_string();
                prop_assert_eq!(text.parse::<PeerRef>().unwrap(), peer);
            }
        }

        #[test]
        fn bot_api_id_round_trips_within_the_family(kind in any_kind(), id in 1i64..=i64::MAX) {
            if let Ok(peer) = PeerRef::new(kind, id, None) {
                let back = PeerRef::from_bot_api_id(peer.bot_api_id(), None).unwrap();
                prop_assert_eq!(back.id(), id);
                prop_assert_eq!(back.with_kind(kind), Some(peer));
            }
        }

        #[test]
        fn parsing_garbage_never_panics(text in "\\PC{0,40}") {
            let _ = text.parse::<PeerRef>();
        }
    }
}
