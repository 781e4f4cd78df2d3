//! Invite links: making, listing, revoking and checking them.

use std::future::IntoFuture;

use tgwire_tl_types::{enums, functions, types};

use super::{cache, invite_hash, require_group, BoxFuture};
use crate::types::chat::input_peer;
use crate::{Chat, Client, InvocationError, PeerQuery};

/// An invite link to a group or channel.
#[derive(Clone, Debug, PartialEq)]
pub struct InviteLink {
    raw: types::ChatInviteExported,
}

impl InviteLink {
    fn from_raw(raw: enums::ExportedChatInvite) -> Result<Self, InvocationError> {
        match raw {
            enums::ExportedChatInvite::ChatInviteExported(raw) => Ok(Self { raw: *raw }),
            enums::ExportedChatInvite::ChatInvitePublicJoinRequests => Err(
                InvocationError::UnexpectedAnswer("a public join-request marker, not a link"),
            ),
        }
    }

    pub(crate) fn from_exported(raw: enums::ExportedChatInvite) -> Option<Self> {
        Self::from_raw(raw).ok()
    }

    /// The link (`https://t.me/+…`).
    pub fn link(&self) -> &str {
        &self.raw.link
    }

    /// The hash part of the link, what [`Client::join_invite`] takes.
    pub fn hash(&self) -> &str {
        invite_hash(&self.raw.link).unwrap_or(&self.raw.link)
    }

    /// The admin who made it.
    pub fn admin_id(&self) -> i64 {
        self.raw.admin_id
    }

    /// When it was made.
    pub fn date(&self) -> i32 {
        self.raw.date
    }

    /// When it stops working, if it does.
    pub fn expire_date(&self) -> Option<i32> {
        self.raw.expire_date
    }

    /// How many may join with it, if limited.
    pub fn usage_limit(&self) -> Option<i32> {
        self.raw.usage_limit
    }

    /// How many joined with it.
    pub fn usage(&self) -> i32 {
        self.raw.usage.unwrap_or(0)
    }

    /// Whether it was revoked.
    pub fn is_revoked(&self) -> bool {
        self.raw.revoked
    }

    /// Whether it is the admin's primary link.
    pub fn is_permanent(&self) -> bool {
        self.raw.permanent
    }

    /// Whether joining needs an admin's approval.
    pub fn request_needed(&self) -> bool {
        self.raw.request_needed
    }

    /// Its title, if given.
    pub fn title(&self) -> Option<&str> {
        self.raw.title.as_deref()
    }

    /// The raw TL object.
    pub fn raw(&self) -> &types::ChatInviteExported {
        &self.raw
    }
}

/// What an invite link leads to, without joining ([`Client::check_invite_link`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum InvitePreview {
    /// We are already a member of this chat.
    Already(Chat),
    /// A chat we could join.
    Preview {
        /// Its title.
        title: String,
        /// Its description.
        about: Option<String>,
        /// How many members it has.
        participants_count: i32,
        /// Whether it is a channel or supergroup (not a basic group).
        channel: bool,
        /// Whether it is a broadcast channel.
        broadcast: bool,
        /// Whether it is a supergroup.
        megagroup: bool,
        /// Whether it also has a public username.
        public: bool,
        /// Whether joining needs an admin's approval.
        request_needed: bool,
    },
    /// We may read it for a while without joining.
    Peek {
        /// The chat.
        chat: Chat,
        /// Until when.
        expires: i32,
    },
}

/// Makes an invite link; see [`Client::export_invite_link`]. Await it to send.
#[must_use = "no link is made until this is awaited"]
pub struct ExportInvite {
    client: Client,
    chat: PeerQuery,
    expire_date: Option<i32>,
    usage_limit: Option<i32>,
    title: Option<String>,
    request_needed: bool,
    revoke_permanent: bool,
}

impl ExportInvite {
    /// The link stops working at this Unix time.
    pub fn expire_date(mut self, unix_time: i32) -> Self {
        self.expire_date = Some(unix_time);
        self
    }

    /// At most this many may join with it.
    pub fn usage_limit(mut self, limit: i32) -> Self {
        self.usage_limit = Some(limit);
        self
    }

    /// A title for the admin's link list.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Joining needs an admin's approval.
    pub fn request_needed(mut self, needed: bool) -> Self {
        self.request_needed = needed;
        self
    }

    /// Revokes the current primary link and makes a new one.
    pub fn revoke_permanent(mut self) -> Self {
        self.revoke_permanent = true;
        self
    }
}

impl IntoFuture for ExportInvite {
    type Output = Result<InviteLink, InvocationError>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let peer = require_group(self.client.resolve(self.chat).await?)?;
            let raw = self
                .client
                .invoke(&functions::messages::ExportChatInvite {
                    legacy_revoke_permanent: self.revoke_permanent,
                    request_needed: self.request_needed,
                    peer: input_peer(peer),
                    expire_date: self.expire_date,
                    usage_limit: self.usage_limit,
                    title: self.title.map(Into::into),
                    subscription_pricing: None,
                })
                .await?;
            InviteLink::from_raw(raw)
        })
    }
}

impl Client {
    /// Makes an invite link to `chat` (admins with the invite right). Without options it is
    /// the admin's primary link (the same one each time); with an expiry, a usage limit, a
    /// title or approval it is an extra link. Await it to send.
    ///
    /// Server errors: `CHAT_ADMIN_REQUIRED`, `EXPIRE_DATE_INVALID`, `USAGE_LIMIT_INVALID`.
    pub fn export_invite_link(&self, chat: impl Into<PeerQuery>) -> ExportInvite {
        ExportInvite {
            client: self.clone(),
            chat: chat.into(),
            expire_date: None,
            usage_limit: None,
            title: None,
            request_needed: false,
            revoke_permanent: false,
        }
    }

    /// Our invite links to `chat` (the revoked ones when `revoked`), newest first, and how
    /// many there are.
    ///
    /// # Errors
    ///
    /// `CHAT_ADMIN_REQUIRED` and others.
    pub async fn get_invite_links(
        &self,
        chat: impl Into<PeerQuery>,
        revoked: bool,
    ) -> Result<(usize, Vec<InviteLink>), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        let mut links = Vec::new();
        let mut offset: Option<(i32, String)> = None;
        let mut total;
        loop {
            let enums::messages::ExportedChatInvites::ExportedChatInvites(page) = self
                .invoke(&functions::messages::GetExportedChatInvites {
                    revoked,
                    peer: input_peer(peer),
                    admin_id: enums::InputUser::InputUserSelf,
                    offset_date: offset.as_ref().map(|(date, _)| *date),
                    offset_link: (offset.as_ref().map(|(_, link)| link.clone())).map(Into::into),
                    limit: 100,
                })
                .await?;
            total = usize::try_from(page.count).unwrap_or(0);
            let before = links.len();
            for raw in page.invites {
                if let Ok(link) = InviteLink::from_raw(raw) {
                    offset = Some((link.date(), link.link().to_owned()));
                    links.push(link);
                }
            }
            if links.len() == before || links.len() >= total {
                break;
            }
        }
        Ok((total, links))
    }

    /// Revokes one of `chat`'s invite links; revoking a primary link makes a new primary
    /// link, which is returned.
    ///
    /// # Errors
    ///
    /// `INVITE_HASH_INVALID`, `CHAT_ADMIN_REQUIRED`, `INVITE_REVOKED_MISSING` (already
    /// revoked) and others.
    pub async fn revoke_invite_link(
        &self,
        chat: impl Into<PeerQuery>,
        link: &str,
    ) -> Result<Option<InviteLink>, InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        let answer = self
            .invoke(&functions::messages::EditExportedChatInvite {
                revoked: true,
                peer: input_peer(peer),
                link: link.into(),
                expire_date: None,
                usage_limit: None,
                request_needed: None,
                title: None,
            })
            .await?;
        match answer {
            enums::messages::ExportedChatInvite::Replaced(replaced) => {
                InviteLink::from_raw(replaced.new_invite).map(Some)
            }
            enums::messages::ExportedChatInvite::ExportedChatInvite(_) => Ok(None),
        }
    }

    /// Deletes a revoked invite link.
    ///
    /// # Errors
    ///
    /// `INVITE_REVOKED_MISSING` for links still in use, and others.
    pub async fn delete_invite_link(
        &self,
        chat: impl Into<PeerQuery>,
        link: &str,
    ) -> Result<(), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        self.invoke(&functions::messages::DeleteExportedChatInvite {
            peer: input_peer(peer),
            link: link.into(),
        })
        .await?;
        Ok(())
    }

    /// What an invite link (or hash) leads to, without joining.
    ///
    /// # Errors
    ///
    /// `INVITE_HASH_EXPIRED`, `INVITE_HASH_INVALID` and others.
    pub async fn check_invite_link(
        &self,
        hash_or_link: &str,
    ) -> Result<InvitePreview, InvocationError> {
        let hash = invite_hash(hash_or_link).unwrap_or(hash_or_link.trim());
        let answer = self
            .invoke(&functions::messages::CheckChatInvite { hash: hash.into() })
            .await?;
        let chat_of = |raw: enums::Chat| {
            Chat::from_raw_chat(raw).ok_or(InvocationError::UnexpectedAnswer(
                "checkChatInvite with an empty chat",
            ))
        };
        Ok(match answer {
            enums::ChatInvite::Already(already) => {
                cache(self, &[], std::slice::from_ref(&already.chat)).await?;
                InvitePreview::Already(chat_of(already.chat)?)
            }
            enums::ChatInvite::Peek(peek) => {
                cache(self, &[], std::slice::from_ref(&peek.chat)).await?;
                InvitePreview::Peek {
                    chat: chat_of(peek.chat)?,
                    expires: peek.expires,
                }
            }
            enums::ChatInvite::ChatInvite(invite) => InvitePreview::Preview {
                title: invite.title.to_string(),
                about: invite.about.map(Into::into),
                participants_count: invite.participants_count,
                channel: invite.channel,
                broadcast: invite.broadcast,
                megagroup: invite.megagroup,
                public: invite.public,
                request_needed: invite.request_needed,
            },
        })
    }
}
