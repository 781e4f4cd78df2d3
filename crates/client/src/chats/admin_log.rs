//! A channel's or supergroup's admin log as a `Stream` of typed events.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::{BoxStream, StreamExt};
use tgwire_tl_types::{enums, functions, types};

use super::participants::Participant;
use super::rights::Permissions;
use super::{cache, require_group};
use crate::types::chat::input_channel;
use crate::{Client, InvocationError, PeerQuery, User};

/// Events asked for per request (Telegram's maximum).
const PAGE: i32 = 100;

/// Which kinds of event to list (all when none is set; combine with `|`-style struct
/// update: `AdminLogFilter { kick: true, ban: true, ..Default::default() }`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // one flag per kind, as Telegram has them
pub struct AdminLogFilter {
    /// Members joining.
    pub join: bool,
    /// Members leaving.
    pub leave: bool,
    /// Members added by others.
    pub invite: bool,
    /// Restrictions.
    pub ban: bool,
    /// Restrictions lifted.
    pub unban: bool,
    /// Bans (removals).
    pub kick: bool,
    /// Bans lifted.
    pub unkick: bool,
    /// Promotions.
    pub promote: bool,
    /// Demotions.
    pub demote: bool,
    /// Title, description, photo, username changes.
    pub info: bool,
    /// Settings: default permissions, slow mode, signatures…
    pub settings: bool,
    /// Pinned messages.
    pub pinned: bool,
    /// Edited messages.
    pub edit: bool,
    /// Deleted messages.
    pub delete: bool,
    /// Voice chats.
    pub group_call: bool,
    /// Invite links.
    pub invites: bool,
}

impl AdminLogFilter {
    fn to_raw(self) -> Option<enums::ChannelAdminLogEventsFilter> {
        if self == Self::default() {
            return None;
        }
        Some(
            types::ChannelAdminLogEventsFilter {
                join: self.join,
                leave: self.leave,
                invite: self.invite,
                ban: self.ban,
                unban: self.unban,
                kick: self.kick,
                unkick: self.unkick,
                promote: self.promote,
                demote: self.demote,
                info: self.info,
                settings: self.settings,
                pinned: self.pinned,
                edit: self.edit,
                delete: self.delete,
                group_call: self.group_call,
                invites: self.invites,
                send: false,
                forums: false,
                sub_extend: false,
                edit_rank: false,
            }
            .into(),
        )
    }
}

/// What an admin-log event records, with the values before and after where the schema has
/// them. Kinds without a variant of their own come as [`AdminLogAction::Other`]; the raw
/// action is always at [`AdminLogEvent::raw`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AdminLogAction {
    /// The title changed.
    ChangeTitle {
        /// Before.
        old: String,
        /// After.
        new: String,
    },
    /// The description changed.
    ChangeAbout {
        /// Before.
        old: String,
        /// After.
        new: String,
    },
    /// The public username changed.
    ChangeUsername {
        /// Before ("" for none).
        old: String,
        /// After ("" for none).
        new: String,
    },
    /// The photo changed.
    ChangePhoto {
        /// Before.
        old: enums::Photo,
        /// After.
        new: enums::Photo,
    },
    /// Members' default permissions changed.
    DefaultPermissions {
        /// Before.
        old: Permissions,
        /// After.
        new: Permissions,
    },
    /// Slow mode changed (seconds, 0 off).
    SlowMode {
        /// Before.
        old: i32,
        /// After.
        new: i32,
    },
    /// A member joined on their own.
    Join,
    /// A member joined through an invite link.
    JoinByInvite {
        /// The link, as it was then.
        link: String,
    },
    /// A member left.
    Leave,
    /// A member was added.
    Invite {
        /// Who.
        participant: Option<Participant>,
    },
    /// A member's restrictions changed (banned, restricted, lifted).
    ToggleBan {
        /// Before.
        old: Option<Participant>,
        /// After.
        new: Option<Participant>,
    },
    /// A member's admin rights changed (promoted, edited, demoted).
    ToggleAdmin {
        /// Before.
        old: Option<Participant>,
        /// After.
        new: Option<Participant>,
    },
    /// A message was pinned or unpinned.
    UpdatePinned {
        /// The message.
        message: enums::Message,
    },
    /// A message was edited.
    EditMessage {
        /// Before.
        old: enums::Message,
        /// After.
        new: enums::Message,
    },
    /// A message was deleted.
    DeleteMessage {
        /// The message.
        message: enums::Message,
    },
    /// An invite link was revoked.
    InviteRevoked {
        /// The link.
        link: String,
    },
    /// An invite link was deleted.
    InviteDeleted {
        /// The link.
        link: String,
    },
    /// An invite link was edited.
    InviteEdited {
        /// The link.
        link: String,
    },
    /// Another kind (see [`AdminLogEvent::raw`]).
    Other,
}

/// One admin-log entry.
#[derive(Clone, Debug, PartialEq)]
pub struct AdminLogEvent {
    id: i64,
    date: i32,
    user: Option<User>,
    user_id: i64,
    action: AdminLogAction,
    raw: enums::ChannelAdminLogEventAction,
}

impl AdminLogEvent {
    /// The event id (newer events have larger ids).
    pub fn id(&self) -> i64 {
        self.id
    }

    /// When it happened.
    pub fn date(&self) -> i32 {
        self.date
    }

    /// Who did it.
    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    /// Who did it, when the answer carried them.
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// What happened.
    pub fn action(&self) -> &AdminLogAction {
        &self.action
    }

    /// The raw action.
    pub fn raw(&self) -> &enums::ChannelAdminLogEventAction {
        &self.raw
    }
}

fn link_of(invite: &enums::ExportedChatInvite) -> String {
    match invite {
        enums::ExportedChatInvite::ChatInviteExported(i) => i.link.to_string(),
        enums::ExportedChatInvite::ChatInvitePublicJoinRequests => String::new(),
    }
}

fn typed(raw: &enums::ChannelAdminLogEventAction, users: &HashMap<i64, User>) -> AdminLogAction {
    use enums::ChannelAdminLogEventAction as A;
    let participant = |p: &enums::ChannelParticipant| Participant::from_channel(p, users);
    match raw {
        A::ChangeTitle(a) => AdminLogAction::ChangeTitle {
            old: a.prev_value.to_string(),
            new: a.new_value.to_string(),
        },
        A::ChangeAbout(a) => AdminLogAction::ChangeAbout {
            old: a.prev_value.to_string(),
            new: a.new_value.to_string(),
        },
        A::ChangeUsername(a) => AdminLogAction::ChangeUsername {
            old: a.prev_value.to_string(),
            new: a.new_value.to_string(),
        },
        A::ChangePhoto(a) => AdminLogAction::ChangePhoto {
            old: a.prev_photo.clone(),
            new: a.new_photo.clone(),
        },
        A::DefaultBannedRights(a) => AdminLogAction::DefaultPermissions {
            old: Permissions::from_banned(&a.prev_banned_rights),
            new: Permissions::from_banned(&a.new_banned_rights),
        },
        A::ToggleSlowMode(a) => AdminLogAction::SlowMode {
            old: a.prev_value,
            new: a.new_value,
        },
        A::ParticipantJoin => AdminLogAction::Join,
        A::ParticipantJoinByInvite(a) => AdminLogAction::JoinByInvite {
            link: link_of(&a.invite),
        },
        A::ParticipantLeave => AdminLogAction::Leave,
        A::ParticipantInvite(a) => AdminLogAction::Invite {
            participant: participant(&a.participant),
        },
        A::ParticipantToggleBan(a) => AdminLogAction::ToggleBan {
            old: participant(&a.prev_participant),
            new: participant(&a.new_participant),
        },
        A::ParticipantToggleAdmin(a) => AdminLogAction::ToggleAdmin {
            old: participant(&a.prev_participant),
            new: participant(&a.new_participant),
        },
        A::UpdatePinned(a) => AdminLogAction::UpdatePinned {
            message: a.message.clone(),
        },
        A::EditMessage(a) => AdminLogAction::EditMessage {
            old: a.prev_message.clone(),
            new: a.new_message.clone(),
        },
        A::DeleteMessage(a) => AdminLogAction::DeleteMessage {
            message: a.message.clone(),
        },
        A::ExportedInviteRevoke(a) => AdminLogAction::InviteRevoked {
            link: link_of(&a.invite),
        },
        A::ExportedInviteDelete(a) => AdminLogAction::InviteDeleted {
            link: link_of(&a.invite),
        },
        A::ExportedInviteEdit(a) => AdminLogAction::InviteEdited {
            link: link_of(&a.new_invite),
        },
        _ => AdminLogAction::Other,
    }
}

#[derive(Clone)]
struct Params {
    client: Client,
    chat: PeerQuery,
    filter: AdminLogFilter,
    search: String,
    admins: Vec<PeerQuery>,
    limit: Option<usize>,
    max_id: i64,
    min_id: i64,
}

/// A channel's or supergroup's admin log, newest first, as a [`Stream`]; built by
/// [`Client::iter_admin_log`]. Configure it before the first poll.
#[must_use = "streams do nothing unless polled"]
pub struct AdminLogIter {
    params: Option<Params>,
    stream: Option<BoxStream<'static, Result<AdminLogEvent, InvocationError>>>,
}

impl AdminLogIter {
    fn with(mut self, set: impl FnOnce(&mut Params)) -> Self {
        if let Some(params) = self.params.as_mut() {
            set(params);
        }
        self
    }

    /// Only these kinds of event.
    pub fn filter(self, filter: AdminLogFilter) -> Self {
        self.with(|p| p.filter = filter)
    }

    /// Only events mentioning `text`.
    pub fn search(self, text: impl Into<String>) -> Self {
        self.with(|p| p.search = text.into())
    }

    /// Only events by this admin (call again for several).
    pub fn admin(self, admin: impl Into<PeerQuery>) -> Self {
        self.with(|p| p.admins.push(admin.into()))
    }

    /// Stops after this many.
    pub fn limit(self, limit: usize) -> Self {
        self.with(|p| p.limit = Some(limit))
    }

    /// Only events older than event `id`.
    pub fn max_id(self, id: i64) -> Self {
        self.with(|p| p.max_id = id)
    }

    /// Only events newer than event `id`.
    pub fn min_id(self, id: i64) -> Self {
        self.with(|p| p.min_id = id)
    }
}

impl Stream for AdminLogIter {
    type Item = Result<AdminLogEvent, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.stream.is_none() {
            let Some(params) = self.params.take() else {
                return Poll::Ready(None);
            };
            self.stream = Some(log_stream(params));
        }
        match self.stream.as_mut() {
            Some(stream) => stream.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }
}

struct State {
    params: Params,
    channel: Option<enums::InputChannel>,
    admins: Option<Vec<enums::InputUser>>,
    buffer: VecDeque<AdminLogEvent>,
    yielded: usize,
    exhausted: bool,
}

fn log_stream(params: Params) -> BoxStream<'static, Result<AdminLogEvent, InvocationError>> {
    let state = State {
        params,
        channel: None,
        admins: None,
        buffer: VecDeque::new(),
        yielded: 0,
        exhausted: false,
    };
    futures_util::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        loop {
            if state.params.limit.is_some_and(|l| state.yielded >= l) {
                return None;
            }
            if let Some(event) = state.buffer.pop_front() {
                state.yielded += 1;
                // The next page starts below the last event handed out.
                state.params.max_id = event.id;
                return Some((Ok(event), Some(state)));
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

impl State {
    async fn fetch(&mut self) -> Result<(), InvocationError> {
        let client = self.params.client.clone();
        let channel = match &self.channel {
            Some(channel) => channel.clone(),
            None => {
                let peer = require_group(client.resolve(self.params.chat.clone()).await?)?;
                let channel = input_channel(peer).ok_or_else(|| {
                    InvocationError::InvalidArgument(
                        "basic groups have no admin log; migrate to a supergroup".into(),
                    )
                })?;
                let mut admins = Vec::new();
                for admin in self.params.admins.clone() {
                    admins.push(client.input_user(admin).await?);
                }
                self.admins = (!admins.is_empty()).then_some(admins);
                self.channel = Some(channel.clone());
                channel
            }
        };
        let want = self
            .params
            .limit
            .map_or(PAGE, |l| {
                i32::try_from(l.saturating_sub(self.yielded)).unwrap_or(PAGE)
            })
            .clamp(1, PAGE);
        let enums::channels::AdminLogResults::AdminLogResults(results) = client
            .invoke(&functions::channels::GetAdminLog {
                channel,
                q: self.params.search.clone().into(),
                events_filter: self.params.filter.to_raw(),
                admins: self.admins.clone(),
                max_id: self.params.max_id,
                min_id: self.params.min_id,
                limit: want,
            })
            .await?;
        cache(&client, &results.users, &results.chats).await?;
        let users: HashMap<i64, User> = results
            .users
            .iter()
            .cloned()
            .map(User::from_raw)
            .map(|u| (u.id(), u))
            .collect();
        let received = results.events.len();
        for event in results.events {
            let enums::ChannelAdminLogEvent::ChannelAdminLogEvent(event) = event;
            // Ids only go down; anything else is a server repeating itself.
            if self.params.max_id != 0 && event.id >= self.params.max_id {
                continue;
            }
            self.buffer.push_back(AdminLogEvent {
                id: event.id,
                date: event.date,
                user: users.get(&event.user_id).cloned(),
                user_id: event.user_id,
                action: typed(&event.action, &users),
                raw: event.action,
            });
        }
        if received < usize::try_from(want).unwrap_or(0) || self.buffer.is_empty() {
            self.exhausted = true;
        }
        Ok(())
    }
}

impl Client {
    /// The admin log of a channel or supergroup (admins only), newest first, as a [`Stream`]
    /// of typed [`AdminLogEvent`]s; narrow it with [`AdminLogIter::filter`],
    /// [`admin`](AdminLogIter::admin) and [`search`](AdminLogIter::search).
    pub fn iter_admin_log(&self, chat: impl Into<PeerQuery>) -> AdminLogIter {
        AdminLogIter {
            params: Some(Params {
                client: self.clone(),
                chat: chat.into(),
                filter: AdminLogFilter::default(),
                search: String::new(),
                admins: Vec::new(),
                limit: None,
                max_id: 0,
                min_id: 0,
            }),
            stream: None,
        }
    }

    /// The newest `limit` events of the admin log of `chat` matching `filter`.
    ///
    /// # Errors
    ///
    /// `CHAT_ADMIN_REQUIRED` for non-admins, and others.
    pub async fn get_admin_log(
        &self,
        chat: impl Into<PeerQuery>,
        filter: AdminLogFilter,
        limit: usize,
    ) -> Result<Vec<AdminLogEvent>, InvocationError> {
        use futures_util::TryStreamExt;
        self.iter_admin_log(chat)
            .filter(filter)
            .limit(limit)
            .try_collect()
            .await
    }
}
