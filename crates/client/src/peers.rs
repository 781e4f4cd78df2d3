//! Finding peers: "me", usernames, links, phone numbers, cached ids and references.

use tgwire_session::{PeerKind, PeerRef};
use tgwire_tl_types::{enums, functions, types};

use crate::types::chat::{input_channel, input_user, Channel, Chat, Group, User};
use crate::utils::{parse_link, parse_phone, valid_username, Link, LinkChat};
use crate::{Client, InvocationError};

/// Anything that names a chat. Every method that takes a chat accepts these:
///
/// - `"me"` or `"self"`: the signed-in account;
/// - a username with or without `@` (`"@durov"`, `"durov"`), or a link
///   (`"https://t.me/durov"`, `"t.me/durov"`, `"telegram.me/durov"`, `"tg://resolve?domain=durov"`,
///   a message link names its chat; see [`utils::parse_link`](crate::utils::parse_link));
/// - a phone number starting with `+` (a contact's), or a phone link (`"t.me/+15550100"`);
/// - a user link `"tg://user?id=42"` or private chat link `"t.me/c/1234567890/5"`, for peers
///   in the cache;
/// - a Bot API id (`i64` or its text: users positive, groups `-id`, channels `-100…`) of a peer
///   in the cache;
/// - a [`PeerRef`], or its text form with an access hash (`"u42.1f"`; without one, `"b12345"`
///   would also be a username);
/// - a [`Chat`], [`User`], [`Group`] or [`Channel`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerQuery {
    /// A reference that needs no lookup.
    Ref(PeerRef),
    /// A Bot API id, looked up in the peer cache.
    Id(i64),
    /// Text to interpret as described above.
    Text(String),
}

impl From<PeerRef> for PeerQuery {
    fn from(peer: PeerRef) -> Self {
        PeerQuery::Ref(peer)
    }
}

impl From<&PeerRef> for PeerQuery {
    fn from(peer: &PeerRef) -> Self {
        PeerQuery::Ref(*peer)
    }
}

impl From<i64> for PeerQuery {
    fn from(id: i64) -> Self {
        PeerQuery::Id(id)
    }
}

impl From<&str> for PeerQuery {
    fn from(text: &str) -> Self {
        PeerQuery::Text(text.to_owned())
    }
}

impl From<String> for PeerQuery {
    fn from(text: String) -> Self {
        PeerQuery::Text(text)
    }
}

impl From<&Chat> for PeerQuery {
    fn from(chat: &Chat) -> Self {
        chat.peer_ref()
            .map_or(PeerQuery::Id(chat.bot_api_id()), PeerQuery::Ref)
    }
}

impl From<&User> for PeerQuery {
    fn from(user: &User) -> Self {
        user.peer_ref()
            .map_or(PeerQuery::Id(user.id()), PeerQuery::Ref)
    }
}

impl From<&Group> for PeerQuery {
    fn from(group: &Group) -> Self {
        PeerQuery::from(&Chat::Group(group.clone()))
    }
}

impl From<&Channel> for PeerQuery {
    fn from(channel: &Channel) -> Self {
        PeerQuery::from(&Chat::Channel(channel.clone()))
    }
}

/// What a text query asks for, before any lookup.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    Me,
    Username(String),
    Phone(String),
    Id(i64),
    Ref(PeerRef),
}

/// Interprets a text query.
pub(crate) fn parse_query(text: &str) -> Result<Parsed, InvocationError> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("me") || text.eq_ignore_ascii_case("self") {
        return Ok(Parsed::Me);
    }
    if text.starts_with('+') {
        return parse_phone(text).map(Parsed::Phone).ok_or_else(|| {
            InvocationError::InvalidArgument(format!("{text:?} is not a phone number"))
        });
    }
    if let Ok(id) = text.parse::<i64>() {
        return Ok(Parsed::Id(id));
    }
    // Only with an access hash: "b12345" is also a valid username.
    if text.contains('.') {
        if let Ok(peer) = text.parse::<PeerRef>() {
            return Ok(Parsed::Ref(peer));
        }
    }
    let channel = |id: i64| Parsed::Id(-(tgwire_session::BOT_API_CHANNEL_OFFSET + id));
    match parse_link(text) {
        Some(Link::Username { username, .. }) => return Ok(Parsed::Username(username)),
        Some(Link::Phone(phone)) => return Ok(Parsed::Phone(phone)),
        Some(Link::User(id)) => return Ok(Parsed::Id(id)),
        Some(Link::Channel(id)) => return Ok(channel(id)),
        Some(Link::Message(message)) => {
            return Ok(match message.chat {
                LinkChat::Username(name) => Parsed::Username(name),
                LinkChat::Channel(id) => channel(id),
            })
        }
        Some(Link::Invite(_)) => {
            return Err(InvocationError::InvalidArgument(format!(
                "{text:?} is an invite link, not a username"
            )))
        }
        Some(_) => {
            return Err(InvocationError::InvalidArgument(format!(
                "{text:?} is a link to no chat"
            )))
        }
        None => {}
    }
    let name = text.strip_prefix('@').unwrap_or(text);
    if !valid_username(name) {
        return Err(InvocationError::InvalidArgument(format!(
            "{text:?} is not a username, link, phone number, id or peer reference"
        )));
    }
    Ok(Parsed::Username(name.to_owned()))
}

impl Client {
    /// The signed-in user.
    ///
    /// # Errors
    ///
    /// `AUTH_KEY_UNREGISTERED` when not signed in, network errors.
    pub async fn get_me(&self) -> Result<User, InvocationError> {
        let users = self
            .invoke(&functions::users::GetUsers {
                id: vec![enums::InputUser::InputUserSelf],
            })
            .await?;
        users
            .into_iter()
            .next()
            .map(User::from_raw)
            .ok_or(InvocationError::UnexpectedAnswer(
                "users.getUsers returned no user",
            ))
    }

    /// Turns anything chat-like into a reference, from the cache when possible and asking the
    /// server otherwise (usernames, phone numbers).
    ///
    /// # Errors
    ///
    /// [`InvocationError::PeerNotFound`] for unknown ids, usernames or numbers;
    /// [`InvocationError::InvalidArgument`] for text that names nothing.
    pub async fn resolve(&self, query: impl Into<PeerQuery>) -> Result<PeerRef, InvocationError> {
        let storage = self.session();
        let parsed = match query.into() {
            PeerQuery::Ref(peer) => return Ok(peer),
            PeerQuery::Id(id) => Parsed::Id(id),
            PeerQuery::Text(text) => parse_query(&text)?,
        };
        match parsed {
            Parsed::Ref(peer) => Ok(peer),
            Parsed::Id(id) => storage.peer_ref(id).ok_or_else(|| {
                InvocationError::PeerNotFound(format!("id {id} is not in the cache"))
            }),
            Parsed::Me => {
                if let Some(peer) = storage.self_user().and_then(|me| storage.peer_ref(me.id)) {
                    return Ok(peer);
                }
                self.get_me()
                    .await?
                    .peer_ref()
                    .ok_or(InvocationError::UnexpectedAnswer(
                        "own user without access hash",
                    ))
            }
            Parsed::Username(name) => {
                if let Some(peer) = storage.peer_ref_by_username(&name) {
                    return Ok(peer);
                }
                let answer = self
                    .invoke(&functions::contacts::ResolveUsername {
                        username: name.clone().into(),
                        referer: None,
                    })
                    .await
                    .map_err(|e| not_found_as(e, &name))?;
                let enums::contacts::ResolvedPeer::ResolvedPeer(resolved) = answer;
                resolved_ref(&resolved)
                    .ok_or_else(|| InvocationError::PeerNotFound(format!("@{name}")))
            }
            Parsed::Phone(phone) => {
                if let Some(peer) = storage.peer_by_phone(&phone).map(|p| p.peer) {
                    return Ok(peer);
                }
                let answer = self
                    .invoke(&functions::contacts::ResolvePhone {
                        phone: phone.clone().into(),
                    })
                    .await
                    .map_err(|e| not_found_as(e, &phone))?;
                let enums::contacts::ResolvedPeer::ResolvedPeer(resolved) = answer;
                resolved_ref(&resolved)
                    .ok_or_else(|| InvocationError::PeerNotFound(format!("+{phone}")))
            }
        }
    }

    /// The full user, group or channel object for anything chat-like (always asks the server).
    ///
    /// # Errors
    ///
    /// As [`resolve`](Self::resolve), and the server's errors for inaccessible peers.
    pub async fn get_chat(&self, query: impl Into<PeerQuery>) -> Result<Chat, InvocationError> {
        let peer = self.resolve(query).await?;
        let missing = || InvocationError::PeerNotFound(peer.to_string());
        match peer.kind() {
            PeerKind::User | PeerKind::Bot => {
                let input = input_user(peer).ok_or_else(missing)?;
                let users = self
                    .invoke(&functions::users::GetUsers { id: vec![input] })
                    .await?;
                users
                    .into_iter()
                    .find(|u| !matches!(u, enums::User::Empty(_)))
                    .map(Chat::from_raw_user)
                    .ok_or_else(missing)
            }
            PeerKind::BasicGroup => {
                let chats = self
                    .invoke(&functions::messages::GetChats {
                        id: vec![peer.id()],
                    })
                    .await?;
                first_chat(chats).ok_or_else(missing)
            }
            _ => {
                let input = input_channel(peer).ok_or_else(missing)?;
                let chats = self
                    .invoke(&functions::channels::GetChannels { id: vec![input] })
                    .await?;
                first_chat(chats).ok_or_else(missing)
            }
        }
    }
}

fn first_chat(chats: enums::messages::Chats) -> Option<Chat> {
    let list = match chats {
        enums::messages::Chats::Chats(c) => c.chats,
        enums::messages::Chats::Slice(c) => c.chats,
    };
    list.into_iter().find_map(Chat::from_raw_chat)
}

/// Username and phone lookups that find nothing become [`InvocationError::PeerNotFound`].
fn not_found_as(error: InvocationError, what: &str) -> InvocationError {
    if error.is("USERNAME_NOT_OCCUPIED")
        || error.is("USERNAME_INVALID")
        || error.is("PHONE_NOT_OCCUPIED")
        || error.is("PHONE_NUMBER_INVALID")
    {
        InvocationError::PeerNotFound(what.to_owned())
    } else {
        error
    }
}

/// The reference to the peer a `contacts.resolvedPeer` names, from the objects it carries.
fn resolved_ref(resolved: &types::contacts::ResolvedPeer) -> Option<PeerRef> {
    let wanted = crate::types::chat::peer_bot_api_id(&resolved.peer);
    resolved
        .users
        .iter()
        .cloned()
        .map(Chat::from_raw_user)
        .chain(
            resolved
                .chats
                .iter()
                .cloned()
                .filter_map(Chat::from_raw_chat),
        )
        .find(|chat| chat.bot_api_id() == wanted)
        .and_then(|chat| chat.peer_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        let name = |n: &str| Some(Parsed::Username(n.to_owned()));
        assert_eq!(parse_query("me").ok(), Some(Parsed::Me));
        assert_eq!(parse_query(" Self ").ok(), Some(Parsed::Me));
        assert_eq!(parse_query("@durov").ok(), name("durov"));
        assert_eq!(parse_query("durov").ok(), name("durov"));
        assert_eq!(parse_query("https://t.me/durov").ok(), name("durov"));
        assert_eq!(parse_query("t.me/durov/123").ok(), name("durov"));
        assert_eq!(
            parse_query("http://telegram.me/durov?x=1").ok(),
            name("durov")
        );
        assert_eq!(parse_query("https://t.me/s/news").ok(), name("news"));
        assert_eq!(
            parse_query("tg://resolve?domain=durov&start=1").ok(),
            name("durov")
        );
        assert_eq!(
            parse_query("+1 555 0100").ok(),
            Some(Parsed::Phone("15550100".into()))
        );
        assert_eq!(parse_query("-1001234").ok(), Some(Parsed::Id(-1001234)));
        assert_eq!(parse_query("42").ok(), Some(Parsed::Id(42)));
        assert_eq!(
            parse_query("https://t.me/c/777/5").ok(),
            Some(Parsed::Id(-1_000_000_000_777))
        );
        assert_eq!(parse_query("tg://user?id=42").ok(), Some(Parsed::Id(42)));
        assert_eq!(
            parse_query("https://t.me/+15550100").ok(),
            Some(Parsed::Phone("15550100".into()))
        );
        assert_eq!(
            parse_query("tg://privatepost?channel=777&post=5").ok(),
            Some(Parsed::Id(-1_000_000_000_777))
        );
        assert_eq!(
            parse_query("https://t.me/news/3/12?comment=4").ok(),
            name("news")
        );
        assert_eq!(
            parse_query("u42.ff").ok(),
            Some(Parsed::Ref("u42.ff".parse().unwrap()))
        );
        for bad in [
            "",
            "@",
            "two words",
            "https://t.me/+AbCd",
            "t.me/joinchat/x",
            "tg://join?invite=x",
            "https://t.me/addstickers/Animals",
            "https://t.me/c/9223372036854775807/1",
            "+12",
            "+abc",
            "é",
        ] {
            assert!(
                matches!(parse_query(bad), Err(InvocationError::InvalidArgument(_))),
                "{bad:?}"
            );
        }
    }
}
