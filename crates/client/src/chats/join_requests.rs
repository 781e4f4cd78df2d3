//! Join requests and invite importers: who asked to join through a link that needs approval,
//! who joined through a link, and the admin's answer to a request.
//!
//! A link made with [`ExportInvite::request_needed`](super::ExportInvite::request_needed)
//! does not let people in: [`Client::join_invite`] with it fails with `INVITE_REQUEST_SENT`
//! (Telegram's way of saying the request was filed), the chat's admins get
//! `updatePendingJoinRequests` (a [`Raw`](crate::events::Raw) event), list the requests with
//! [`Client::join_requests`] and answer them with [`Client::approve_join_request`] /
//! [`Client::decline_join_request`] (or all at once).

use std::future::IntoFuture;

use tgwire_tl_types::{enums, functions};

use super::{cache, require_group, BoxFuture};
use crate::types::chat::{input_peer, input_user};
use crate::{Client, InvocationError, PeerQuery, User};

/// Importers asked per request (Telegram's maximum).
const PAGE: i32 = 100;

/// Someone who asked to join, or joined, through an invite link.
#[derive(Clone, Debug, PartialEq)]
pub struct InviteImporter {
    user_id: i64,
    user: Option<User>,
    date: i32,
    requested: bool,
    about: Option<String>,
    approved_by: Option<i64>,
}

impl InviteImporter {
    /// Their user id.
    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    /// The user, as the answer carried it.
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// When they asked (a request) or joined.
    pub fn date(&self) -> i32 {
        self.date
    }

    /// Whether this is a pending request rather than a member who joined.
    pub fn is_request(&self) -> bool {
        self.requested
    }

    /// What they wrote with their request, if anything.
    pub fn about(&self) -> Option<&str> {
        self.about.as_deref()
    }

    /// For a member whose request was approved, the admin who approved it.
    pub fn approved_by(&self) -> Option<i64> {
        self.approved_by
    }
}

/// The pending join requests of a chat ([`Client::join_requests`]) or the users who joined it
/// through links ([`Client::invite_importers`]), newest first; await it.
#[must_use = "the list is fetched when awaited"]
pub struct InviteImporters {
    client: Client,
    chat: PeerQuery,
    requested: bool,
    link: Option<String>,
    search: Option<String>,
    limit: Option<usize>,
}

impl InviteImporters {
    /// Only those of this invite link.
    pub fn link(mut self, link: impl Into<String>) -> Self {
        self.link = Some(link.into());
        self
    }

    /// Only users whose name or username contains this (requests only, as Telegram).
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// At most this many (default: all).
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
}

impl IntoFuture for InviteImporters {
    type Output = Result<Vec<InviteImporter>, InvocationError>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let client = self.client;
            let peer = input_peer(require_group(client.resolve(self.chat).await?)?);
            let limit = self.limit.unwrap_or(usize::MAX);
            let mut found: Vec<InviteImporter> = Vec::new();
            let (mut offset_date, mut offset_user) = (0, enums::InputUser::Empty);
            while found.len() < limit {
                let want = i32::try_from(limit - found.len()).unwrap_or(PAGE).min(PAGE);
                let answer = client
                    .invoke(&functions::messages::GetChatInviteImporters {
                        requested: self.requested,
                        subscription_expired: false,
                        peer: peer.clone(),
                        link: self.link.clone().map(Into::into),
                        q: if self.requested {
                            self.search.clone().map(Into::into)
                        } else {
                            None
                        },
                        offset_date,
                        offset_user: offset_user.clone(),
                        limit: want,
                    })
                    .await?;
                let enums::messages::ChatInviteImporters::ChatInviteImporters(page) = answer;
                cache(&client, &page.users, &[]).await?;
                let got = page.importers.len();
                for raw in page.importers {
                    let enums::ChatInviteImporter::ChatInviteImporter(i) = raw;
                    let user = page
                        .users
                        .iter()
                        .map(|u| User::from_raw(u.clone()))
                        .find(|u| u.id() == i.user_id);
                    offset_date = i.date;
                    offset_user = user
                        .as_ref()
                        .and_then(User::peer_ref)
                        .and_then(input_user)
                        .unwrap_or(enums::InputUser::Empty);
                    found.push(InviteImporter {
                        user_id: i.user_id,
                        user,
                        date: i.date,
                        requested: i.requested,
                        about: i.about.map(Into::into),
                        approved_by: i.approved_by,
                    });
                }
                let total = usize::try_from(page.count).unwrap_or(0);
                if got < usize::try_from(want).unwrap_or(0) || found.len() >= total {
                    break;
                }
            }
            found.truncate(limit);
            Ok(found)
        })
    }
}

impl Client {
    /// The pending requests to join `chat` (admins who may invite), newest first. Await it;
    /// narrow it with [`InviteImporters::link`], [`search`](InviteImporters::search) and
    /// [`limit`](InviteImporters::limit).
    ///
    /// Server errors: `CHAT_ADMIN_REQUIRED`, `INVITE_HASH_INVALID` (a link of another chat).
    pub fn join_requests(&self, chat: impl Into<PeerQuery>) -> InviteImporters {
        InviteImporters {
            client: self.clone(),
            chat: chat.into(),
            requested: true,
            link: None,
            search: None,
            limit: None,
        }
    }

    /// The users who joined `chat` through its invite links (directly or approved), newest
    /// first. Await it. Server errors as [`join_requests`](Self::join_requests).
    pub fn invite_importers(&self, chat: impl Into<PeerQuery>) -> InviteImporters {
        InviteImporters {
            requested: false,
            ..self.join_requests(chat)
        }
    }

    async fn hide_join_request(
        &self,
        chat: PeerQuery,
        user: PeerQuery,
        approved: bool,
    ) -> Result<(), InvocationError> {
        let peer = input_peer(require_group(self.resolve(chat).await?)?);
        let user = self.resolve(user).await?;
        let user_id = input_user(user)
            .ok_or_else(|| InvocationError::InvalidArgument(format!("{user} is not a user")))?;
        self.invoke(&functions::messages::HideChatJoinRequest {
            approved,
            peer,
            user_id,
        })
        .await?;
        Ok(())
    }

    /// Lets `user` in: their request to join `chat` is approved (they join as through the
    /// link).
    ///
    /// # Errors
    ///
    /// `HIDE_REQUESTER_MISSING` (no pending request), `CHAT_ADMIN_REQUIRED`, and others.
    pub async fn approve_join_request(
        &self,
        chat: impl Into<PeerQuery>,
        user: impl Into<PeerQuery>,
    ) -> Result<(), InvocationError> {
        self.hide_join_request(chat.into(), user.into(), true).await
    }

    /// Turns `user`'s request to join `chat` down.
    ///
    /// # Errors
    ///
    /// As [`approve_join_request`](Self::approve_join_request).
    pub async fn decline_join_request(
        &self,
        chat: impl Into<PeerQuery>,
        user: impl Into<PeerQuery>,
    ) -> Result<(), InvocationError> {
        self.hide_join_request(chat.into(), user.into(), false)
            .await
    }

    /// Approves (`true`) or declines every pending request to join `chat` (only those through
    /// `link`, if given).
    ///
    /// # Errors
    ///
    /// `CHAT_ADMIN_REQUIRED` and others.
    pub async fn answer_all_join_requests(
        &self,
        chat: impl Into<PeerQuery>,
        link: Option<&str>,
        approved: bool,
    ) -> Result<(), InvocationError> {
        let peer = input_peer(require_group(self.resolve(chat).await?)?);
        self.invoke(&functions::messages::HideAllChatJoinRequests {
            approved,
            peer,
            link: link.map(str::to_owned).map(Into::into),
        })
        .await?;
        Ok(())
    }
}
