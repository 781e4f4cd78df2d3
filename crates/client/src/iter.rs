//! Paging through history and the chat list as `Stream`s, and dialog management.

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::{BoxStream, StreamExt};
use tgwire_session::PeerRef;
use tgwire_tl_types::{enums, functions, types};

use crate::types::chat::{input_channel, input_peer, input_user, peer_bot_api_id, Chat};
use crate::types::message::ChatMap;
use crate::{Client, Dialog, InvocationError, Message, PeerQuery};

/// Messages asked for per request (Telegram's maximum).
const PAGE: usize = 100;

/// A chat's history as a [`Stream`] of messages, newest first unless
/// [`reverse`](Self::reverse)d. Built by [`Client::iter_messages`]; configure it before the
/// first poll.
///
/// Paging follows message ids, so a long history comes out without gaps or duplicates even
/// while new messages arrive.
#[must_use = "streams do nothing unless polled"]
pub struct MessageIter {
    params: Option<HistoryParams>,
    stream: Option<BoxStream<'static, Result<Message, InvocationError>>>,
}

#[derive(Clone)]
struct HistoryParams {
    client: Client,
    chat: PeerQuery,
    limit: Option<usize>,
    offset_id: i32,
    offset_date: i32,
    reverse: bool,
    from_user: Option<PeerQuery>,
    search: Option<String>,
    filter: Option<enums::MessagesFilter>,
    unread_mentions: bool,
    /// Requests go inside this takeout session (`invokeWithTakeout`).
    takeout: Option<i64>,
}

impl MessageIter {
    /// Applies a setting; settings made after the first poll have no effect.
    fn with(mut self, set: impl FnOnce(&mut HistoryParams)) -> Self {
        if let Some(params) = self.params.as_mut() {
            set(params);
        }
        self
    }

    /// Stops after this many messages (default: the whole history).
    pub fn limit(self, limit: usize) -> Self {
        self.with(|p| p.limit = Some(limit))
    }

    /// Starts after message `id`: older ones (or newer ones when reversed).
    pub fn offset_id(self, id: i32) -> Self {
        self.with(|p| p.offset_id = id)
    }

    /// Starts at messages sent before this Unix time.
    pub fn offset_date(self, unix_time: i32) -> Self {
        self.with(|p| p.offset_date = unix_time)
    }

    /// Oldest first.
    pub fn reverse(self) -> Self {
        self.with(|p| p.reverse = true)
    }

    /// Only messages sent by this user.
    pub fn from_user(self, user: impl Into<PeerQuery>) -> Self {
        self.with(|p| p.from_user = Some(user.into()))
    }

    /// Only messages whose text contains this (case-insensitive).
    pub fn search(self, text: impl Into<String>) -> Self {
        self.with(|p| p.search = Some(text.into()))
    }

    /// Only messages matching a `MessagesFilter` (photos, documents, URLs, …).
    pub fn filter(self, filter: enums::MessagesFilter) -> Self {
        self.with(|p| p.filter = Some(filter))
    }

    /// Only messages that mention us: by `@username`, by a mention of our account, or as a
    /// reply to one of our messages (Telethon's `filter=InputMessagesFilterMyMentions`).
    pub fn mentions(self) -> Self {
        self.filter(enums::MessagesFilter::InputMessagesFilterMyMentions)
    }

    /// Sends the requests inside takeout session `id` (see `Takeout::iter_messages`).
    pub(crate) fn with_takeout(self, id: i64) -> Self {
        self.with(|p| p.takeout = Some(id))
    }

    /// Only the mentions of us not read yet (`messages.getUnreadMentions`: those after our
    /// read mark of the chat). Other filters and the search do not apply to it.
    pub fn unread_mentions(self) -> Self {
        self.with(|p| p.unread_mentions = true)
    }
}

impl Stream for MessageIter {
    type Item = Result<Message, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.stream.is_none() {
            let Some(params) = self.params.take() else {
                return Poll::Ready(None);
            };
            self.stream = Some(history_stream(params));
        }
        match self.stream.as_mut() {
            Some(stream) => stream.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }
}

struct HistoryState {
    params: HistoryParams,
    peer: Option<PeerRef>,
    from: Option<enums::InputPeer>,
    buffer: VecDeque<Message>,
    /// The last id handed out: the next page starts beyond it.
    last_id: Option<i32>,
    yielded: usize,
    exhausted: bool,
}

fn history_stream(params: HistoryParams) -> BoxStream<'static, Result<Message, InvocationError>> {
    let state = HistoryState {
        params,
        peer: None,
        from: None,
        buffer: VecDeque::new(),
        last_id: None,
        yielded: 0,
        exhausted: false,
    };
    futures_util::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        if state.params.limit.is_some_and(|l| state.yielded >= l) {
            return None;
        }
        if state.buffer.is_empty() && !state.exhausted {
            if let Err(e) = state.fetch().await {
                return Some((Err(e), None));
            }
        }
        let message = state.buffer.pop_front()?;
        state.yielded += 1;
        state.last_id = Some(message.id());
        Some((Ok(message), Some(state)))
    })
    .boxed()
}

/// Sends `request`, inside takeout session `takeout` if there is one.
async fn invoke_in<R>(
    client: &Client,
    takeout: Option<i64>,
    request: R,
) -> Result<R::Return, InvocationError>
where
    R: tgwire_tl_types::RemoteCall,
    R::Return: 'static,
{
    match takeout {
        Some(takeout_id) => {
            client
                .invoke(&functions::InvokeWithTakeout {
                    takeout_id,
                    query: request,
                })
                .await
        }
        None => client.invoke(&request).await,
    }
}

impl HistoryState {
    async fn fetch(&mut self) -> Result<(), InvocationError> {
        let client = self.params.client.clone();
        let peer = match self.peer {
            Some(peer) => peer,
            None => {
                let peer = client.resolve(self.params.chat.clone()).await?;
                if let Some(from) = self.params.from_user.clone() {
                    self.from = Some(input_peer(client.resolve(from).await?));
                }
                self.peer = Some(peer);
                peer
            }
        };
        let want = self
            .params
            .limit
            .map_or(PAGE, |l| l.saturating_sub(self.yielded).clamp(1, PAGE));
        let batch = i32::try_from(want).unwrap_or(100);
        let first = self.last_id.is_none();
        let (offset_id, add_offset) = match (self.params.reverse, self.last_id) {
            // Newest first: everything older than the last id seen.
            (false, Some(last)) => (last, 0),
            (false, None) => (self.params.offset_id, 0),
            // Oldest first: the `batch` messages just above the last id seen.
            (true, Some(last)) => (last.saturating_add(1), -batch),
            (true, None) => (self.params.offset_id.saturating_add(1).max(1), -batch),
        };
        let offset_date = if first && !self.params.reverse {
            self.params.offset_date
        } else {
            0
        };
        let searching =
            self.params.search.is_some() || self.from.is_some() || self.params.filter.is_some();
        let takeout = self.params.takeout;
        let answer = if self.params.unread_mentions {
            invoke_in(
                &client,
                takeout,
                functions::messages::GetUnreadMentions {
                    peer: input_peer(peer),
                    top_msg_id: None,
                    offset_id,
                    add_offset,
                    limit: batch,
                    max_id: 0,
                    min_id: 0,
                },
            )
            .await?
        } else if searching {
            invoke_in(
                &client,
                takeout,
                functions::messages::Search {
                    peer: input_peer(peer),
                    q: self.params.search.clone().unwrap_or_default().into(),
                    from_id: self.from.clone(),
                    saved_peer_id: None,
                    saved_reaction: None,
                    top_msg_id: None,
                    filter: self
                        .params
                        .filter
                        .clone()
                        .unwrap_or(enums::MessagesFilter::InputMessagesFilterEmpty),
                    min_date: 0,
                    max_date: offset_date,
                    offset_id,
                    add_offset,
                    limit: batch,
                    max_id: 0,
                    min_id: 0,
                    hash: 0,
                },
            )
            .await?
        } else {
            invoke_in(
                &client,
                takeout,
                functions::messages::GetHistory {
                    peer: input_peer(peer),
                    offset_id,
                    offset_date,
                    add_offset,
                    limit: batch,
                    max_id: 0,
                    min_id: 0,
                    hash: 0,
                },
            )
            .await?
        };
        let mut page = client.messages_from_answer(answer);
        let received = page.len();
        // Keep only messages beyond the last one handed out, in the stream's order: a page
        // that overlaps the previous one (new messages arrived, or the server rounds
        // offsets) must not produce duplicates.
        let bound = self.last_id;
        if self.params.reverse {
            page.retain(|m| bound.is_none_or(|b| m.id() > b) && m.id() > self.params.offset_id);
            page.sort_by_key(Message::id);
        } else {
            page.retain(|m| bound.is_none_or(|b| m.id() < b));
            page.sort_by_key(|m| std::cmp::Reverse(m.id()));
        }
        if received < want || page.is_empty() {
            self.exhausted = true;
        }
        self.buffer.extend(page);
        Ok(())
    }
}

/// The chat list as a [`Stream`] of [`Dialog`]s, pinned ones first, then by last message.
/// Built by [`Client::iter_dialogs`].
#[must_use = "streams do nothing unless polled"]
pub struct DialogIter {
    params: Option<(Client, Option<usize>, Option<i32>)>,
    stream: Option<BoxStream<'static, Result<Dialog, InvocationError>>>,
}

impl DialogIter {
    /// Stops after this many dialogs.
    pub fn limit(mut self, limit: usize) -> Self {
        if let Some(params) = self.params.as_mut() {
            params.1 = Some(limit);
        }
        self
    }

    /// Only dialogs in this folder (1 is the archive; 0 the main list). Without it, every
    /// dialog is listed, archived ones included ([`Dialog::is_archived`]).
    pub fn folder(mut self, folder_id: i32) -> Self {
        if let Some(params) = self.params.as_mut() {
            params.2 = Some(folder_id);
        }
        self
    }
}

impl Stream for DialogIter {
    type Item = Result<Dialog, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.stream.is_none() {
            let Some((client, limit, folder)) = self.params.take() else {
                return Poll::Ready(None);
            };
            self.stream = Some(dialog_stream(client, limit, folder));
        }
        match self.stream.as_mut() {
            Some(stream) => stream.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }
}

struct DialogState {
    client: Client,
    limit: Option<usize>,
    folder: Option<i32>,
    buffer: VecDeque<Dialog>,
    seen: HashSet<i64>,
    offset: (i32, i32, enums::InputPeer),
    yielded: usize,
    exhausted: bool,
}

fn dialog_stream(
    client: Client,
    limit: Option<usize>,
    folder: Option<i32>,
) -> BoxStream<'static, Result<Dialog, InvocationError>> {
    let state = DialogState {
        client,
        limit,
        folder,
        buffer: VecDeque::new(),
        seen: HashSet::new(),
        offset: (0, 0, enums::InputPeer::Empty),
        yielded: 0,
        exhausted: false,
    };
    futures_util::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        if state.limit.is_some_and(|l| state.yielded >= l) {
            return None;
        }
        if state.buffer.is_empty() && !state.exhausted {
            if let Err(e) = state.fetch().await {
                return Some((Err(e), None));
            }
        }
        let dialog = state.buffer.pop_front()?;
        state.yielded += 1;
        Some((Ok(dialog), Some(state)))
    })
    .boxed()
}

impl DialogState {
    async fn fetch(&mut self) -> Result<(), InvocationError> {
        let want = self
            .limit
            .map_or(PAGE, |l| l.saturating_sub(self.yielded).clamp(1, PAGE));
        let (offset_date, offset_id, offset_peer) = self.offset.clone();
        let answer = self
            .client
            .invoke(&functions::messages::GetDialogs {
                exclude_pinned: false,
                folder_id: self.folder,
                offset_date,
                offset_id,
                offset_peer,
                limit: i32::try_from(want).unwrap_or(100),
                hash: 0,
            })
            .await?;
        let (dialogs, messages, users, chats, complete) = match answer {
            enums::messages::Dialogs::Dialogs(d) => (d.dialogs, d.messages, d.users, d.chats, true),
            enums::messages::Dialogs::Slice(d) => (d.dialogs, d.messages, d.users, d.chats, false),
            enums::messages::Dialogs::NotModified(_) => (vec![], vec![], vec![], vec![], true),
        };
        let received = dialogs.len();
        let map = ChatMap::new(&users, &chats);
        let messages: Vec<Message> = messages
            .into_iter()
            .map(|raw| Message::new(&self.client, raw, Arc::clone(&map)))
            .collect();
        for raw in dialogs {
            let (peer, top) = match &raw {
                enums::Dialog::Dialog(d) => (d.peer.clone(), d.top_message),
                enums::Dialog::Folder(f) => (f.peer.clone(), f.top_message),
                // Communities group other dialogs and are not chats themselves.
                enums::Dialog::Community(_) => continue,
            };
            let id = peer_bot_api_id(&peer);
            let last_message = messages
                .iter()
                .find(|m| m.id() == top && m.chat_id() == Some(id))
                .cloned();
            if let Some(m) = &last_message {
                if let Some(chat) = map.get(id).and_then(Chat::peer_ref) {
                    self.offset = (m.date(), m.id(), input_peer(chat));
                }
            }
            if !self.seen.insert(id) {
                continue;
            }
            let Some(chat) = map.get(id).cloned() else {
                continue;
            };
            self.buffer.push_back(Dialog {
                raw,
                chat,
                last_message,
            });
        }
        if complete || received < want || self.buffer.is_empty() {
            self.exhausted = true;
        }
        Ok(())
    }
}

impl Client {
    /// The history of `chat`, newest first, as a [`Stream`]:
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client) -> Result<(), tgwire::InvocationError> {
    /// use futures_util::TryStreamExt;
    ///
    /// let mut history = client.iter_messages("me").limit(50).search("hello");
    /// while let Some(message) = history.try_next().await? {
    ///     println!("{}: {}", message.id(), message.text());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn iter_messages(&self, chat: impl Into<PeerQuery>) -> MessageIter {
        MessageIter {
            params: Some(HistoryParams {
                client: self.clone(),
                chat: chat.into(),
                limit: None,
                offset_id: 0,
                offset_date: 0,
                reverse: false,
                from_user: None,
                search: None,
                filter: None,
                unread_mentions: false,
                takeout: None,
            }),
            stream: None,
        }
    }

    /// The chat list as a [`Stream`] of [`Dialog`]s.
    pub fn iter_dialogs(&self) -> DialogIter {
        DialogIter {
            params: Some((self.clone(), None, None)),
            stream: None,
        }
    }

    /// Removes a conversation: deletes a private chat's history (for both sides when
    /// `revoke`), leaves a basic group and deletes its history, or leaves a channel or
    /// megagroup.
    ///
    /// # Errors
    ///
    /// Peer resolution and server errors.
    pub async fn delete_dialog(
        &self,
        chat: impl Into<PeerQuery>,
        revoke: bool,
    ) -> Result<(), InvocationError> {
        let peer = self.resolve(chat).await?;
        if let Some(channel) = input_channel(peer) {
            self.invoke(&functions::channels::LeaveChannel { channel })
                .await?;
            return Ok(());
        }
        if peer.kind().is_basic_group() {
            let left = self
                .invoke(&functions::messages::DeleteChatUser {
                    revoke_history: revoke,
                    chat_id: peer.id(),
                    user_id: enums::InputUser::InputUserSelf,
                })
                .await;
            // Leaving a group one already left is fine: the history still goes.
            match left {
                Err(e) if e.is("USER_NOT_PARTICIPANT") => {}
                other => drop(other?),
            }
        }
        self.delete_history(peer, false, revoke).await
    }

    /// Clears the history of `chat` but keeps the conversation: for both sides of a private
    /// chat when `revoke`, for everyone in a supergroup when `revoke` (admins only), otherwise
    /// only for us.
    ///
    /// # Errors
    ///
    /// Peer resolution and server errors (`CHAT_ADMIN_REQUIRED`).
    pub async fn clear_history(
        &self,
        chat: impl Into<PeerQuery>,
        revoke: bool,
    ) -> Result<(), InvocationError> {
        let peer = self.resolve(chat).await?;
        match input_channel(peer) {
            Some(channel) => {
                self.invoke(&functions::channels::DeleteHistory {
                    for_everyone: revoke,
                    channel,
                    max_id: 0,
                })
                .await?;
                Ok(())
            }
            None => self.delete_history(peer, true, revoke).await,
        }
    }

    /// `messages.deleteHistory` until the server reports nothing left (it deletes long
    /// histories in chunks and answers with a positive `offset` while more remain).
    async fn delete_history(
        &self,
        peer: PeerRef,
        just_clear: bool,
        revoke: bool,
    ) -> Result<(), InvocationError> {
        for _ in 0..10_000 {
            let enums::messages::AffectedHistory::AffectedHistory(affected) = self
                .invoke(&functions::messages::DeleteHistory {
                    just_clear,
                    revoke,
                    peer: input_peer(peer),
                    max_id: 0,
                    min_date: None,
                    max_date: None,
                })
                .await?;
            if affected.offset <= 0 {
                break;
            }
        }
        Ok(())
    }

    /// Pins `chat` to the top of its folder's list, or unpins it.
    ///
    /// # Errors
    ///
    /// `PINNED_DIALOGS_TOO_MUCH` and other server errors.
    pub async fn pin_dialog(
        &self,
        chat: impl Into<PeerQuery>,
        pinned: bool,
    ) -> Result<(), InvocationError> {
        let peer = self.resolve(chat).await?;
        self.invoke(&functions::messages::ToggleDialogPin {
            pinned,
            peer: types::InputDialogPeer {
                peer: input_peer(peer),
            }
            .into(),
        })
        .await?;
        Ok(())
    }

    /// Moves a conversation into folder `folder_id` (1 archives it, 0 brings it back).
    ///
    /// # Errors
    ///
    /// Peer resolution and server errors.
    pub async fn edit_folder(
        &self,
        chat: impl Into<PeerQuery>,
        folder_id: i32,
    ) -> Result<(), InvocationError> {
        let peer = self.resolve(chat).await?;
        self.invoke(&functions::folders::EditPeerFolders {
            folder_peers: vec![types::InputFolderPeer {
                peer: input_peer(peer),
                folder_id,
            }
            .into()],
        })
        .await?;
        Ok(())
    }

    /// A user's `InputUser`, for raw requests.
    ///
    /// # Errors
    ///
    /// As [`resolve`](Self::resolve); [`InvocationError::InvalidArgument`] for non-users.
    pub async fn input_user(
        &self,
        user: impl Into<PeerQuery>,
    ) -> Result<enums::InputUser, InvocationError> {
        let peer = self.resolve(user).await?;
        input_user(peer)
            .ok_or_else(|| InvocationError::InvalidArgument(format!("{peer} is not a user")))
    }
}
