//! Listing a chat's members as a `Stream`, with Telethon's filters.

use std::collections::{HashMap, HashSet, VecDeque};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::{BoxStream, StreamExt};
use futures_util::TryStreamExt;
use tgwire_session::PeerRef;
use tgwire_tl_types::{enums, functions, types};

use super::rights::{AdminRights, Permissions};
use super::{cache, require_group};
use crate::types::chat::input_channel;
use crate::{Client, InvocationError, PeerQuery, User};

/// Members asked for per `channels.getParticipants` (Telegram's maximum).
const PAGE: i32 = 200;

/// Which members to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParticipantFilter {
    /// Everyone, most recent first (the default).
    #[default]
    Recent,
    /// The creator and admins.
    Admins,
    /// Bots.
    Bots,
    /// Banned users (who cannot read the chat).
    Kicked,
    /// Restricted members.
    Banned,
    /// Members in our contacts.
    Contacts,
}

/// A member's standing in the chat.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Role {
    /// Made the chat.
    Creator {
        /// Their admin title.
        rank: Option<String>,
    },
    /// An admin.
    Admin {
        /// What they may do.
        rights: AdminRights,
        /// Their admin title.
        rank: Option<String>,
        /// Who promoted them.
        promoted_by: i64,
        /// Whether we may edit their rights.
        can_edit: bool,
    },
    /// An ordinary member.
    Member {
        /// Who added them (`None` if unknown).
        inviter: Option<i64>,
    },
    /// A member with restrictions, or (when `permissions.view_messages` is off) a banned user.
    Banned {
        /// What they may still do.
        permissions: Permissions,
        /// Who restricted them.
        by: i64,
        /// Until when (`None`: for ever).
        until: Option<i32>,
        /// Whether they are out of the chat.
        left: bool,
    },
    /// No longer in the chat.
    Left,
}

/// A chat member: the user, their role and when they joined.
#[derive(Clone, Debug, PartialEq)]
pub struct Participant {
    user: User,
    role: Role,
    date: Option<i32>,
}

impl Participant {
    /// The member.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// Their standing.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// When they joined (or were restricted), if known.
    pub fn date(&self) -> Option<i32> {
        self.date
    }

    /// Whether they are the creator or an admin.
    pub fn is_admin(&self) -> bool {
        matches!(self.role, Role::Creator { .. } | Role::Admin { .. })
    }

    pub(super) fn from_channel(
        raw: &enums::ChannelParticipant,
        users: &HashMap<i64, User>,
    ) -> Option<Self> {
        use enums::ChannelParticipant as P;
        let (user_id, role, date) = match raw {
            P::Creator(c) => (
                c.user_id,
                Role::Creator {
                    rank: c.rank.clone().map(Into::into),
                },
                None,
            ),
            P::Admin(a) => (
                a.user_id,
                Role::Admin {
                    rights: AdminRights::from_raw(&a.admin_rights),
                    rank: a.rank.clone().map(Into::into),
                    promoted_by: a.promoted_by,
                    can_edit: a.can_edit,
                },
                Some(a.date),
            ),
            P::ChannelParticipant(p) => (p.user_id, Role::Member { inviter: None }, Some(p.date)),
            P::ChannelParticipantSelf(p) => (
                p.user_id,
                Role::Member {
                    inviter: Some(p.inviter_id),
                },
                Some(p.date),
            ),
            P::Banned(b) => {
                let enums::Peer::User(user) = &b.peer else {
                    return None;
                };
                let enums::ChatBannedRights::ChatBannedRights(rights) = &b.banned_rights;
                (
                    user.user_id,
                    Role::Banned {
                        permissions: Permissions::from_banned(&b.banned_rights),
                        by: b.kicked_by,
                        until: (rights.until_date != 0).then_some(rights.until_date),
                        left: b.left,
                    },
                    Some(b.date),
                )
            }
            P::Left(l) => {
                let enums::Peer::User(user) = &l.peer else {
                    return None;
                };
                (user.user_id, Role::Left, None)
            }
        };
        Some(Self {
            user: users.get(&user_id)?.clone(),
            role,
            date,
        })
    }

    fn from_basic(raw: &enums::ChatParticipant, users: &HashMap<i64, User>) -> Option<Self> {
        let (user_id, role, date) = match raw {
            enums::ChatParticipant::Creator(c) => (c.user_id, Role::Creator { rank: None }, None),
            enums::ChatParticipant::Admin(a) => (
                a.user_id,
                Role::Admin {
                    rights: AdminRights {
                        post_messages: false,
                        edit_messages: false,
                        anonymous: false,
                        manage_topics: false,
                        post_stories: false,
                        edit_stories: false,
                        delete_stories: false,
                        ..AdminRights::all()
                    },
                    rank: None,
                    // Only the creator promotes in basic groups.
                    promoted_by: 0,
                    can_edit: false,
                },
                Some(a.date),
            ),
            enums::ChatParticipant::ChatParticipant(p) => (
                p.user_id,
                Role::Member {
                    inviter: Some(p.inviter_id),
                },
                Some(p.date),
            ),
        };
        Some(Self {
            user: users.get(&user_id)?.clone(),
            role,
            date,
        })
    }
}

/// A chat's members and how many there are in all.
#[derive(Clone, Debug, PartialEq)]
pub struct ParticipantList {
    /// How many match the filter on the server (may exceed `participants.len()` under a
    /// limit).
    pub total: usize,
    /// The members fetched.
    pub participants: Vec<Participant>,
}

#[derive(Clone)]
struct Params {
    client: Client,
    chat: PeerQuery,
    filter: ParticipantFilter,
    search: String,
    limit: Option<usize>,
}

/// A chat's members as a [`Stream`]; built by [`Client::iter_participants`]. Configure it
/// before the first poll; [`total`](Self::total) is known once the first page arrived.
///
/// Paging goes past the server's page size (200) and never yields a member twice, even when
/// members join or leave between pages.
#[must_use = "streams do nothing unless polled"]
pub struct ParticipantIter {
    params: Option<Params>,
    total: Arc<AtomicUsize>,
    stream: Option<BoxStream<'static, Result<Participant, InvocationError>>>,
}

/// `total` before the server said.
const UNKNOWN: usize = usize::MAX;

impl ParticipantIter {
    fn with(mut self, set: impl FnOnce(&mut Params)) -> Self {
        if let Some(params) = self.params.as_mut() {
            set(params);
        }
        self
    }

    /// Only these members (default: everyone).
    pub fn filter(self, filter: ParticipantFilter) -> Self {
        self.with(|p| p.filter = filter)
    }

    /// Only members whose name or username contains `text` (case-insensitive).
    pub fn search(self, text: impl Into<String>) -> Self {
        self.with(|p| p.search = text.into())
    }

    /// Stops after this many.
    pub fn limit(self, limit: usize) -> Self {
        self.with(|p| p.limit = Some(limit))
    }

    /// How many members match in all, once the first page arrived.
    pub fn total(&self) -> Option<usize> {
        match self.total.load(Ordering::Relaxed) {
            UNKNOWN => None,
            n => Some(n),
        }
    }
}

impl Stream for ParticipantIter {
    type Item = Result<Participant, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.stream.is_none() {
            let Some(params) = self.params.take() else {
                return Poll::Ready(None);
            };
            let total = Arc::clone(&self.total);
            self.stream = Some(participant_stream(params, total));
        }
        match self.stream.as_mut() {
            Some(stream) => stream.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }
}

struct State {
    params: Params,
    total: Arc<AtomicUsize>,
    peer: Option<PeerRef>,
    buffer: VecDeque<Participant>,
    seen: HashSet<i64>,
    offset: i32,
    yielded: usize,
    exhausted: bool,
}

fn participant_stream(
    params: Params,
    total: Arc<AtomicUsize>,
) -> BoxStream<'static, Result<Participant, InvocationError>> {
    let state = State {
        params,
        total,
        peer: None,
        buffer: VecDeque::new(),
        seen: HashSet::new(),
        offset: 0,
        yielded: 0,
        exhausted: false,
    };
    futures_util::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        loop {
            if state.params.limit.is_some_and(|l| state.yielded >= l) {
                return None;
            }
            if let Some(next) = state.buffer.pop_front() {
                state.yielded += 1;
                return Some((Ok(next), Some(state)));
            }
            if state.exhausted {
                return None;
            }
            if let Err(e) = state.fetch().await {
                return Some((Err(e), None));
            }
        }
    })
    .boxed()
}

fn user_map(users: &[enums::User]) -> HashMap<i64, User> {
    users
        .iter()
        .cloned()
        .map(User::from_raw)
        .map(|u| (u.id(), u))
        .collect()
}

fn name_matches(user: &User, query: &str) -> bool {
    if query.is_empty() {
        return true;
    }
    let query = query.to_lowercase();
    user.full_name().to_lowercase().contains(&query)
        || user
            .username()
            .is_some_and(|n| n.to_lowercase().contains(&query))
}

impl State {
    async fn fetch(&mut self) -> Result<(), InvocationError> {
        let client = self.params.client.clone();
        let peer = match self.peer {
            Some(peer) => peer,
            None => {
                let peer = require_group(client.resolve(self.params.chat.clone()).await?)?;
                self.peer = Some(peer);
                peer
            }
        };
        match input_channel(peer) {
            Some(channel) => self.fetch_channel(&client, channel).await,
            None => self.fetch_basic(&client, peer).await,
        }
    }

    async fn fetch_channel(
        &mut self,
        client: &Client,
        channel: enums::InputChannel,
    ) -> Result<(), InvocationError> {
        let q = self.params.search.clone();
        let filter: enums::ChannelParticipantsFilter = match self.params.filter {
            ParticipantFilter::Recent if q.is_empty() => {
                enums::ChannelParticipantsFilter::ChannelParticipantsRecent
            }
            ParticipantFilter::Recent => types::ChannelParticipantsSearch {
                q: q.clone().into(),
            }
            .into(),
            ParticipantFilter::Admins => {
                enums::ChannelParticipantsFilter::ChannelParticipantsAdmins
            }
            ParticipantFilter::Bots => enums::ChannelParticipantsFilter::ChannelParticipantsBots,
            ParticipantFilter::Kicked => types::ChannelParticipantsKicked {
                q: q.clone().into(),
            }
            .into(),
            ParticipantFilter::Banned => types::ChannelParticipantsBanned {
                q: q.clone().into(),
            }
            .into(),
            ParticipantFilter::Contacts => types::ChannelParticipantsContacts {
                q: q.clone().into(),
            }
            .into(),
        };
        // Admins and bots have no server-side search; filter them here.
        let local_search = matches!(
            self.params.filter,
            ParticipantFilter::Admins | ParticipantFilter::Bots
        );
        let want = self
            .params
            .limit
            .map_or(PAGE, |l| {
                i32::try_from(l.saturating_sub(self.yielded)).unwrap_or(PAGE)
            })
            .clamp(1, PAGE);
        let answer = client
            .invoke(&functions::channels::GetParticipants {
                channel,
                filter,
                offset: self.offset,
                limit: want,
                hash: 0,
            })
            .await?;
        let enums::channels::ChannelParticipants::ChannelParticipants(page) = answer else {
            self.exhausted = true;
            return Ok(());
        };
        cache(client, &page.users, &page.chats).await?;
        let users = user_map(&page.users);
        let received = page.participants.len();
        if self.total.load(Ordering::Relaxed) == UNKNOWN || !local_search {
            let total = usize::try_from(page.count).unwrap_or(0);
            self.total.store(total, Ordering::Relaxed);
        }
        self.offset = self
            .offset
            .saturating_add(i32::try_from(received).unwrap_or(i32::MAX));
        for raw in &page.participants {
            let Some(participant) = Participant::from_channel(raw, &users) else {
                continue;
            };
            if local_search && !name_matches(&participant.user, &self.params.search) {
                continue;
            }
            // Members who moved between pages (someone joined or left) come back; skip them.
            if self.seen.insert(participant.user.id()) {
                self.buffer.push_back(participant);
            }
        }
        let want = usize::try_from(want).unwrap_or(0);
        if received < want
            || usize::try_from(self.offset).unwrap_or(0) >= usize::try_from(page.count).unwrap_or(0)
        {
            self.exhausted = true;
        }
        if local_search && self.exhausted {
            self.total.store(self.seen.len(), Ordering::Relaxed);
        }
        Ok(())
    }

    async fn fetch_basic(&mut self, client: &Client, peer: PeerRef) -> Result<(), InvocationError> {
        // A basic group answers every member at once; filters apply here.
        self.exhausted = true;
        let enums::messages::ChatFull::ChatFull(full) = client
            .invoke(&functions::messages::GetFullChat { chat_id: peer.id() })
            .await?;
        let enums::ChatFull::ChatFull(chat_full) = &full.full_chat else {
            return Err(InvocationError::UnexpectedAnswer(
                "getFullChat answered a channel for a basic group",
            ));
        };
        let users = user_map(&full.users);
        let list = match &chat_full.participants {
            enums::ChatParticipants::ChatParticipants(list) => list.participants.clone(),
            // We are no longer a member: the list is hidden.
            enums::ChatParticipants::Forbidden(_) => Vec::new(),
        };
        for raw in &list {
            let Some(participant) = Participant::from_basic(raw, &users) else {
                continue;
            };
            let user = &participant.user;
            let keep = match self.params.filter {
                ParticipantFilter::Recent => true,
                ParticipantFilter::Admins => participant.is_admin(),
                ParticipantFilter::Bots => user.is_bot(),
                // Basic groups have no restricted or banned members: removal is all there is.
                ParticipantFilter::Kicked | ParticipantFilter::Banned => false,
                ParticipantFilter::Contacts => {
                    matches!(user.raw(), enums::User::User(u) if u.contact)
                }
            };
            if keep && name_matches(user, &self.params.search) && self.seen.insert(user.id()) {
                self.buffer.push_back(participant);
            }
        }
        self.total.store(self.buffer.len(), Ordering::Relaxed);
        Ok(())
    }
}

impl Client {
    /// The members of a group or channel as a [`Stream`] of [`Participant`]s, with
    /// [`ParticipantIter::filter`], [`search`](ParticipantIter::search) and
    /// [`limit`](ParticipantIter::limit):
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client) -> Result<(), tgwire::InvocationError> {
    /// use futures_util::TryStreamExt;
    /// use tgwire::ParticipantFilter;
    ///
    /// let mut admins = client.iter_participants("@rustaceans").filter(ParticipantFilter::Admins);
    /// while let Some(admin) = admins.try_next().await? {
    ///     println!("{} {:?}", admin.user().full_name(), admin.role());
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// Broadcast channels list their subscribers to admins only (`CHAT_ADMIN_REQUIRED`), and
    /// the kicked and banned lists are for admins everywhere.
    pub fn iter_participants(&self, chat: impl Into<PeerQuery>) -> ParticipantIter {
        ParticipantIter {
            params: Some(Params {
                client: self.clone(),
                chat: chat.into(),
                filter: ParticipantFilter::Recent,
                search: String::new(),
                limit: None,
            }),
            total: Arc::new(AtomicUsize::new(UNKNOWN)),
            stream: None,
        }
    }

    /// Every member of `chat` matching `filter` (up to `limit`), and how many match in all.
    ///
    /// # Errors
    ///
    /// As [`iter_participants`](Self::iter_participants).
    pub async fn get_participants(
        &self,
        chat: impl Into<PeerQuery>,
        filter: ParticipantFilter,
        limit: Option<usize>,
    ) -> Result<ParticipantList, InvocationError> {
        let mut iter = self.iter_participants(chat).filter(filter);
        if let Some(limit) = limit {
            iter = iter.limit(limit);
        }
        let mut participants = Vec::new();
        while let Some(participant) = iter.try_next().await? {
            participants.push(participant);
        }
        let total = iter.total().unwrap_or(participants.len());
        Ok(ParticipantList {
            total,
            participants,
        })
    }
}
