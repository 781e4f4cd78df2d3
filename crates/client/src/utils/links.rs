//! Telegram links: `https://t.me/…` (and `telegram.me`, `telegram.dog`, `name.t.me`) and
//! `tg://…`, parsed into what they point at.
//!
//! Parsing is purely textual: nothing is looked up, so a username link to a name nobody owns
//! parses fine (resolving it is [`Client::resolve`](crate::Client::resolve)'s job).

use tgwire_net::ProxyLink;
use tgwire_session::BOT_API_CHANNEL_OFFSET;

use super::phone::parse_phone;

/// What a Telegram link points at. See [`parse_link`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Link {
    /// A public user, bot, group or channel: `t.me/name`, `t.me/s/name`, `name.t.me`,
    /// `tg://resolve?domain=name`.
    Username {
        /// The username, without `@`.
        username: String,
        /// A bot's start parameter (`?start=…`), when the link carries one.
        start: Option<String>,
    },
    /// A user by phone number: `t.me/+15550100`, `tg://resolve?phone=15550100`. Digits only.
    Phone(String),
    /// A private chat's invite link: `t.me/+HASH`, `t.me/joinchat/HASH`, `tg://join?invite=HASH`.
    /// The hash is what [`Client::join_invite`](crate::Client::join_invite) takes.
    Invite(String),
    /// A message, in a public chat or (by channel id) a private one.
    Message(MessageLink),
    /// A private group or channel by its bare id, without a message: `t.me/c/1234567890`.
    Channel(i64),
    /// A user by id: `tg://user?id=42`, `tg://openmessage?user_id=42`. Only usable if the
    /// account already knows the user (the link carries no access hash).
    User(i64),
    /// An MTProxy or SOCKS5 proxy: `t.me/proxy?…`, `tg://proxy?…`, `tg://socks?…`.
    Proxy(ProxyLink),
}

/// The chat a [`MessageLink`] points into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkChat {
    /// A public chat by username.
    Username(String),
    /// A private supergroup or channel by its bare id (`t.me/c/<id>/…`); the Bot API id is
    /// `-100<id>`. Only usable if the account is a member (the link carries no access hash).
    Channel(i64),
}

/// A link to one message: `t.me/name/12`, `t.me/c/1234567890/12`, a message in a forum topic
/// (`t.me/name/3/12`, `t.me/c/1234567890/3/12`, `?thread=3`), a comment (`?comment=7`),
/// `tg://resolve?domain=name&post=12`, `tg://privatepost?channel=1234567890&post=12`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLink {
    /// The chat.
    pub chat: LinkChat,
    /// The message id.
    pub id: i32,
    /// The forum topic (its first message's id) or thread the message is in, if given.
    pub topic: Option<i32>,
    /// A comment to the message (the comment's id in the discussion group), if given.
    pub comment: Option<i32>,
}

/// Hosts that serve `t.me` links.
const HOSTS: [&str; 3] = ["t.me", "telegram.me", "telegram.dog"];

/// First path segments of `t.me` links that are not usernames (stickers, themes, folders, …).
const RESERVED: [&str; 16] = [
    "addemoji",
    "addlist",
    "addstickers",
    "addtheme",
    "bg",
    "boost",
    "confirmphone",
    "contact",
    "invoice",
    "iv",
    "login",
    "m",
    "setlanguage",
    "share",
    "giftcode",
    "nft",
];

/// Parses a Telegram link. Accepts `https://`, `http://` or no scheme, an optional `www.`,
/// the hosts `t.me`, `telegram.me` and `telegram.dog` (any case), `name.t.me` subdomains, and
/// the `tg://` scheme. Returns `None` for anything else, including links Telegram has but that
/// name no chat or message (sticker sets, themes, folders, …).
///
/// ```
/// use tgwire::utils::{parse_link, Link, LinkChat, MessageLink};
///
/// assert_eq!(
///     parse_link("https://t.me/durov"),
///     Some(Link::Username { username: "durov".into(), start: None })
/// );
/// assert_eq!(parse_link("t.me/joinchat/AbCd-12"), Some(Link::Invite("AbCd-12".into())));
/// assert_eq!(parse_link("tg://join?invite=AbCd-12"), Some(Link::Invite("AbCd-12".into())));
/// assert_eq!(parse_link("https://t.me/+15550100"), Some(Link::Phone("15550100".into())));
/// assert_eq!(
///     parse_link("https://t.me/c/1234567890/3/12"),
///     Some(Link::Message(MessageLink {
///         chat: LinkChat::Channel(1234567890),
///         id: 12,
///         topic: Some(3),
///         comment: None,
///     }))
/// );
/// assert_eq!(parse_link("tg://user?id=42"), Some(Link::User(42)));
/// assert_eq!(parse_link("https://t.me/addstickers/Animals"), None);
/// ```
pub fn parse_link(link: &str) -> Option<Link> {
    let link = link.trim();
    if let Some(rest) = strip_prefix_ci(link, "tg://").or_else(|| strip_prefix_ci(link, "tg:")) {
        return parse_tg(link, rest);
    }
    let rest = strip_prefix_ci(link, "https://")
        .or_else(|| strip_prefix_ci(link, "http://"))
        .unwrap_or(link);
    let rest = strip_prefix_ci(rest, "www.").unwrap_or(rest);
    let (host, path_and_query) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = host.to_ascii_lowercase();
    let (path, query) = split_query(path_and_query);
    let path = path.trim_start_matches('/');
    if HOSTS.contains(&host.as_str()) {
        parse_path(link, path, query)
    } else {
        // `name.t.me/…`: the subdomain is the username, the path what follows it.
        let name = HOSTS
            .iter()
            .find_map(|h| host.strip_suffix(h)?.strip_suffix('.'))?;
        if name.contains('.') || RESERVED.contains(&name) {
            return None;
        }
        let path = if path.is_empty() {
            name.to_owned()
        } else {
            format!("{name}/{path}")
        };
        parse_path(link, &path, query)
    }
}

/// `t.me/<path>?<query>`.
fn parse_path(link: &str, path: &str, query: &str) -> Option<Link> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let first = segments.next()?;
    let rest: Vec<&str> = segments.collect();
    if let Some(after_plus) = first.strip_prefix('+') {
        if !after_plus.is_empty() && after_plus.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Link::Phone(after_plus.to_owned()));
        }
        return valid_hash(after_plus).then(|| Link::Invite(after_plus.to_owned()));
    }
    // `%2B` is a `+` written for URL-unaware parsers.
    if let Some(after_plus) = first
        .strip_prefix("%2B")
        .or_else(|| first.strip_prefix("%2b"))
    {
        return parse_path(link, &format!("+{after_plus}"), query);
    }
    match first {
        "joinchat" => {
            let hash = rest.first()?;
            valid_hash(hash).then(|| Link::Invite((*hash).to_owned()))
        }
        "proxy" | "socks" => link.parse().ok().map(Link::Proxy),
        "s" => {
            let name = rest.first()?;
            valid_username(name).then(|| Link::Username {
                username: (*name).to_owned(),
                start: None,
            })
        }
        "c" => {
            let id = channel_id(rest.first()?)?;
            let chat = LinkChat::Channel(id);
            match rest.get(1..) {
                None | Some([]) => Some(Link::Channel(id)),
                Some(ids) => message_link(chat, ids, query),
            }
        }
        name if RESERVED.contains(&name) => None,
        name => {
            if !valid_username(name) {
                return None;
            }
            if rest.is_empty() {
                let start = query_value(query, "start");
                return Some(Link::Username {
                    username: name.to_owned(),
                    start,
                });
            }
            message_link(LinkChat::Username(name.to_owned()), &rest, query)
        }
    }
}

/// `…/<id>` or `…/<topic>/<id>` with `?thread=`, `?topic=`, `?comment=`.
fn message_link(chat: LinkChat, ids: &[&str], query: &str) -> Option<Link> {
    let (topic, id) = match ids {
        [id] => (None, *id),
        [topic, id, ..] => (Some(positive(topic)?), *id),
        [] => return None,
    };
    let topic = topic.or_else(|| {
        query_value(query, "thread")
            .or_else(|| query_value(query, "topic"))
            .and_then(|t| positive(&t))
    });
    Some(Link::Message(MessageLink {
        chat,
        id: positive(id)?,
        topic,
        comment: query_value(query, "comment").and_then(|c| positive(&c)),
    }))
}

/// `tg://<action>?<query>`.
fn parse_tg(link: &str, rest: &str) -> Option<Link> {
    let (action, query) = split_query(rest);
    let action = action.trim_end_matches('/').to_ascii_lowercase();
    let number = |key: &str| query_value(query, key).and_then(|v| v.parse::<i64>().ok());
    match action.as_str() {
        "resolve" => {
            if let Some(phone) = query_value(query, "phone") {
                return parse_phone(&phone).map(Link::Phone);
            }
            let name = query_value(query, "domain")?;
            if !valid_username(&name) {
                return None;
            }
            match query_value(query, "post") {
                Some(post) => message_from_query(LinkChat::Username(name), &post, query),
                None => Some(Link::Username {
                    username: name,
                    start: query_value(query, "start"),
                }),
            }
        }
        "privatepost" => {
            let channel = channel_id(&query_value(query, "channel")?)?;
            let post = query_value(query, "post")?;
            message_from_query(LinkChat::Channel(channel), &post, query)
        }
        "join" => {
            let hash = query_value(query, "invite")?;
            valid_hash(&hash).then_some(Link::Invite(hash))
        }
        "user" => number("id").filter(|id| *id > 0).map(Link::User),
        "openmessage" => number("user_id").filter(|id| *id > 0).map(Link::User),
        "proxy" | "socks" => link.parse().ok().map(Link::Proxy),
        _ => None,
    }
}

fn message_from_query(chat: LinkChat, post: &str, query: &str) -> Option<Link> {
    Some(Link::Message(MessageLink {
        chat,
        id: positive(post)?,
        topic: query_value(query, "thread")
            .or_else(|| query_value(query, "topic"))
            .and_then(|t| positive(&t)),
        comment: query_value(query, "comment").and_then(|c| positive(&c)),
    }))
}

/// Whether `name` is shaped like a username: letters, digits and `_`, at most 64 (Telegram
/// allows 32 for users, longer ones exist for collectible names). No lookup is made.
pub(crate) fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Invite hashes are URL-safe base64.
fn valid_hash(hash: &str) -> bool {
    !hash.is_empty()
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A bare channel id small enough for its Bot API id (`-100…`) to fit in an `i64`.
fn channel_id(text: &str) -> Option<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|id| (1..=i64::MAX - BOT_API_CHANNEL_OFFSET).contains(id))
}

fn positive(text: &str) -> Option<i32> {
    text.parse::<i32>().ok().filter(|n| *n > 0)
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Splits `path?query#fragment` into path and query.
fn split_query(text: &str) -> (&str, &str) {
    let text = text.split('#').next().unwrap_or("");
    text.split_once('?').unwrap_or((text, ""))
}

/// The percent-decoded value of `key` in a query string (`None` if absent or badly escaped;
/// a key without `=` has the empty value).
fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| percent_decode(v)).flatten()
    })
}

fn percent_decode(text: &str) -> Option<String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = char::from(bytes.next()?).to_digit(16)?;
                let lo = char::from(bytes.next()?).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn username(name: &str) -> Option<Link> {
        Some(Link::Username {
            username: name.into(),
            start: None,
        })
    }

    fn message(chat: LinkChat, id: i32, topic: Option<i32>, comment: Option<i32>) -> Option<Link> {
        Some(Link::Message(MessageLink {
            chat,
            id,
            topic,
            comment,
        }))
    }

    #[test]
    fn usernames_in_every_spelling() {
        for link in [
            "https://t.me/durov",
            "http://t.me/durov/",
            "t.me/durov",
            "HTTPS://WWW.T.ME/durov",
            "https://telegram.me/durov",
            "telegram.dog/durov#x",
            "https://t.me/s/durov",
            "https://durov.t.me",
            "durov.t.me/",
            "tg://resolve?domain=durov",
            "tg:resolve?domain=durov",
        ] {
            assert_eq!(parse_link(link), username("durov"), "{link}");
        }
        assert_eq!(
            parse_link("https://t.me/some_bot?start=ref%20code"),
            Some(Link::Username {
                username: "some_bot".into(),
                start: Some("ref code".into())
            })
        );
        assert_eq!(
            parse_link("tg://resolve?domain=some_bot&start=abc"),
            Some(Link::Username {
                username: "some_bot".into(),
                start: Some("abc".into())
            })
        );
    }

    #[test]
    fn invites_and_phones() {
        let invite = |h: &str| Some(Link::Invite(h.into()));
        assert_eq!(parse_link("https://t.me/+AbC_d-1"), invite("AbC_d-1"));
        assert_eq!(parse_link("t.me/%2BAbCd"), invite("AbCd"));
        assert_eq!(parse_link("https://t.me/joinchat/XyZ/"), invite("XyZ"));
        assert_eq!(parse_link("tg://join?invite=XyZ"), invite("XyZ"));
        assert_eq!(parse_link("https://t.me/+"), None);
        assert_eq!(parse_link("https://t.me/joinchat/"), None);
        assert_eq!(parse_link("https://t.me/+a/b!"), invite("a"));
        assert_eq!(
            parse_link("https://t.me/+15550100"),
            Some(Link::Phone("15550100".into()))
        );
        assert_eq!(
            parse_link("tg://resolve?phone=%2B1555-0100"),
            Some(Link::Phone("15550100".into()))
        );
        assert_eq!(parse_link("tg://resolve?phone=abc"), None);
    }

    #[test]
    fn message_links() {
        let named = || LinkChat::Username("news".into());
        assert_eq!(
            parse_link("https://t.me/news/12"),
            message(named(), 12, None, None)
        );
        assert_eq!(
            parse_link("https://t.me/news/12?single"),
            message(named(), 12, None, None)
        );
        assert_eq!(
            parse_link("https://t.me/news/3/12"),
            message(named(), 12, Some(3), None)
        );
        assert_eq!(
            parse_link("https://t.me/news/12?thread=3&comment=7"),
            message(named(), 12, Some(3), Some(7))
        );
        assert_eq!(
            parse_link("https://news.t.me/12"),
            message(named(), 12, None, None)
        );
        assert_eq!(
            parse_link("tg://resolve?domain=news&post=12&thread=3"),
            message(named(), 12, Some(3), None)
        );
        let private = || LinkChat::Channel(1234567890);
        assert_eq!(
            parse_link("https://t.me/c/1234567890/12"),
            message(private(), 12, None, None)
        );
        assert_eq!(
            parse_link("https://t.me/c/1234567890/3/12"),
            message(private(), 12, Some(3), None)
        );
        assert_eq!(
            parse_link("tg://privatepost?channel=1234567890&post=12&thread=3"),
            message(private(), 12, Some(3), None)
        );
        assert_eq!(
            parse_link("https://t.me/c/1234567890"),
            Some(Link::Channel(1234567890))
        );
        for bad in [
            "https://t.me/news/0",
            "https://t.me/news/x",
            "https://t.me/news/-5",
            "https://t.me/c/x/12",
            "https://t.me/c/-1/12",
            "https://t.me/c/9223372036854775807/12",
            "tg://privatepost?channel=9223372036854775807&post=1",
            "https://t.me/c/",
            "https://t.me/news/99999999999",
            "tg://privatepost?channel=12",
            "tg://resolve?domain=news&post=abc",
        ] {
            assert_eq!(parse_link(bad), None, "{bad}");
        }
    }

    #[test]
    fn users_proxies_and_non_links() {
        assert_eq!(parse_link("tg://user?id=42"), Some(Link::User(42)));
        assert_eq!(
            parse_link("tg://openmessage?user_id=42"),
            Some(Link::User(42))
        );
        assert_eq!(parse_link("tg://user?id=-1"), None);
        let proxy =
            "tg://proxy?server=127.0.0.1&port=443&secret=dd0123456789abcdef0123456789abcdef";
        assert!(matches!(parse_link(proxy), Some(Link::Proxy(_))));
        assert!(matches!(
            parse_link("https://t.me/socks?server=127.0.0.1&port=1080"),
            Some(Link::Proxy(_))
        ));
        for other in [
            "",
            "durov",
            "@durov",
            "https://example.com/durov",
            "https://t.me/",
            "https://t.me/addstickers/Animals",
            "https://t.me/addlist/abc",
            "https://t.me/share/url?url=x",
            "https://t.me/du rov",
            "https://t.me/é",
            "https://a.b.t.me/",
            "tg://settings",
            "tg://resolve",
            "tg://join",
            "t.me",
            "tg:",
        ] {
            assert_eq!(parse_link(other), None, "{other:?}");
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "tg://",
            "t.me/c",
            "%",
            "t.me/%2",
            "t.me/+%",
            "tg://resolve?domain=%zz",
            "é.t.me/x",
            "tg://privatepost?channel=99999999999999999999&post=1",
            "Ⓣ.me",
            "t.me/s",
        ] {
            let _ = parse_link(text);
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_anything(text in "\\PC{0,80}") {
            let _ = parse_link(&text);
        }

        #[test]
        fn never_panics_on_link_shaped_text(
            prefix in proptest::sample::select(vec![
                "https://t.me/", "t.me/c/", "t.me/+", "t.me/joinchat/", "t.me/s/", "name.t.me/",
                "tg://resolve?", "tg://privatepost?", "tg://join?", "tg://user?", "tg://proxy?",
            ]),
            tail in "[a-zA-Z0-9_+%=&?/#.é-]{0,40}",
        ) {
            let _ = parse_link(&format!("{prefix}{tail}"));
        }

        #[test]
        fn message_links_round_trip(
            name in "[a-zA-Z][a-zA-Z0-9_]{3,31}",
            id in 1..=i32::MAX,
            topic in proptest::option::of(1..=i32::MAX),
            channel in 1..=(i64::MAX - BOT_API_CHANNEL_OFFSET),
        ) {
            proptest::prop_assume!(
                !RESERVED.contains(&name.as_str()) && !["joinchat", "proxy", "socks"].contains(&name.as_str())
            );
            let path = |chat: String| match topic {
                Some(t) => format!("https://t.me/{chat}/{t}/{id}"),
                None => format!("https://t.me/{chat}/{id}"),
            };
            let expected = |chat| Some(Link::Message(MessageLink { chat, id, topic, comment: None }));
            proptest::prop_assert_eq!(parse_link(&path(name.clone())), expected(LinkChat::Username(name.clone())));
            proptest::prop_assert_eq!(parse_link(&path(format!("c/{channel}"))), expected(LinkChat::Channel(channel)));
            proptest::prop_assert_eq!(
                parse_link(&format!("tg://resolve?domain={name}")),
                Some(Link::Username { username: name, start: None })
            );
        }
    }
}
