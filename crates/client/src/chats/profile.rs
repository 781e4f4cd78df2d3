//! Our profile (name, bio, username, photos) and anyone's profile photos.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::{BoxStream, StreamExt};
use tgwire_tl_types::{enums, functions, types};

use crate::types::chat::{input_peer, input_user};
use crate::{Client, InvocationError, PeerQuery, User};

/// Photos asked for per request.
const PAGE: i32 = 100;

/// The photo id of a raw photo (0 for `photoEmpty` without one).
fn photo_id(photo: &enums::Photo) -> i64 {
    match photo {
        enums::Photo::Photo(p) => p.id,
        enums::Photo::Empty(p) => p.id,
    }
}

fn input_photo(photo: &enums::Photo) -> Option<enums::InputPhoto> {
    match photo {
        enums::Photo::Photo(p) => Some(
            types::InputPhoto {
                id: p.id,
                access_hash: p.access_hash,
                file_reference: p.file_reference.clone(),
            }
            .into(),
        ),
        enums::Photo::Empty(_) => None,
    }
}

/// A user's, group's or channel's profile photos, newest first, as a [`Stream`] of raw
/// photos; built by [`Client::iter_profile_photos`].
#[must_use = "streams do nothing unless polled"]
pub struct ProfilePhotoIter {
    params: Option<(Client, PeerQuery, Option<usize>)>,
    stream: Option<BoxStream<'static, Result<enums::Photo, InvocationError>>>,
}

impl ProfilePhotoIter {
    /// Stops after this many.
    pub fn limit(mut self, limit: usize) -> Self {
        if let Some(params) = self.params.as_mut() {
            params.2 = Some(limit);
        }
        self
    }
}

impl Stream for ProfilePhotoIter {
    type Item = Result<enums::Photo, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.stream.is_none() {
            let Some((client, chat, limit)) = self.params.take() else {
                return Poll::Ready(None);
            };
            self.stream = Some(photo_stream(client, chat, limit));
        }
        match self.stream.as_mut() {
            Some(stream) => stream.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }
}

struct State {
    client: Client,
    chat: PeerQuery,
    limit: Option<usize>,
    buffer: VecDeque<enums::Photo>,
    /// Users: the last photo id handed out; groups: the last message id searched.
    after: i64,
    yielded: usize,
    exhausted: bool,
}

fn photo_stream(
    client: Client,
    chat: PeerQuery,
    limit: Option<usize>,
) -> BoxStream<'static, Result<enums::Photo, InvocationError>> {
    let state = State {
        client,
        chat,
        limit,
        buffer: VecDeque::new(),
        after: 0,
        yielded: 0,
        exhausted: false,
    };
    futures_util::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        loop {
            if state.limit.is_some_and(|l| state.yielded >= l) {
                return None;
            }
            if let Some(photo) = state.buffer.pop_front() {
                state.yielded += 1;
                return Some((Ok(photo), Some(state)));
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
        let peer = self.client.resolve(self.chat.clone()).await?;
        match input_user(peer) {
            Some(user_id) => {
                let answer = self
                    .client
                    .invoke(&functions::photos::GetUserPhotos {
                        user_id,
                        offset: 0,
                        max_id: self.after,
                        limit: PAGE,
                    })
                    .await?;
                let photos = match answer {
                    enums::photos::Photos::Photos(p) => p.photos,
                    enums::photos::Photos::Slice(p) => p.photos,
                };
                if photos.len() < usize::try_from(PAGE).unwrap_or(0) {
                    self.exhausted = true;
                }
                match photos.last() {
                    Some(last) => self.after = photo_id(last),
                    None => self.exhausted = true,
                }
                self.buffer.extend(photos);
            }
            None => {
                // Groups and channels keep their photos as "changed the photo" service
                // messages, which the ChatPhotos search filter finds.
                let answer = self
                    .client
                    .invoke(&functions::messages::Search {
                        peer: input_peer(peer),
                        q: String::new().into(),
                        from_id: None,
                        saved_peer_id: None,
                        saved_reaction: None,
                        top_msg_id: None,
                        filter: enums::MessagesFilter::InputMessagesFilterChatPhotos,
                        min_date: 0,
                        max_date: 0,
                        offset_id: i32::try_from(self.after).unwrap_or(0),
                        add_offset: 0,
                        limit: PAGE,
                        max_id: 0,
                        min_id: 0,
                        hash: 0,
                    })
                    .await?;
                let messages = match answer {
                    enums::messages::Messages::Messages(m) => m.messages,
                    enums::messages::Messages::Slice(m) => m.messages,
                    enums::messages::Messages::ChannelMessages(m) => m.messages,
                    enums::messages::Messages::NotModified(_) => Vec::new(),
                };
                if messages.len() < usize::try_from(PAGE).unwrap_or(0) {
                    self.exhausted = true;
                }
                for message in messages {
                    if let enums::Message::Service(service) = message {
                        // Ids only go down; a repeated page must not repeat photos.
                        if self.after != 0 && i64::from(service.id) >= self.after {
                            continue;
                        }
                        self.after = i64::from(service.id);
                        if let enums::MessageAction::ChatEditPhoto(edit) = service.action {
                            self.buffer.push_back(edit.photo);
                        }
                    }
                }
                if self.buffer.is_empty() {
                    self.exhausted = true;
                }
            }
        }
        Ok(())
    }
}

impl Client {
    /// Sets our first and last name (`None` keeps one as it is).
    ///
    /// # Errors
    ///
    /// `FIRSTNAME_INVALID` and other server errors.
    pub async fn set_name(
        &self,
        first_name: Option<&str>,
        last_name: Option<&str>,
    ) -> Result<User, InvocationError> {
        let user = self
            .invoke(&functions::account::UpdateProfile {
                first_name: first_name.map(str::to_owned).map(Into::into),
                last_name: last_name.map(str::to_owned).map(Into::into),
                about: None,
            })
            .await?;
        Ok(User::from_raw(user))
    }

    /// Sets our bio ("" clears it).
    ///
    /// # Errors
    ///
    /// `ABOUT_TOO_LONG` and other server errors.
    pub async fn set_bio(&self, about: &str) -> Result<(), InvocationError> {
        self.invoke(&functions::account::UpdateProfile {
            first_name: None,
            last_name: None,
            about: Some(about.into()),
        })
        .await?;
        Ok(())
    }

    /// Whether `username` is free for us to take.
    ///
    /// # Errors
    ///
    /// `USERNAME_INVALID` for names Telegram does not allow, and others.
    pub async fn check_username(&self, username: &str) -> Result<bool, InvocationError> {
        self.invoke(&functions::account::CheckUsername {
            username: username.trim_start_matches('@').into(),
        })
        .await
    }

    /// Sets our username (`None` removes it).
    ///
    /// # Errors
    ///
    /// `USERNAME_OCCUPIED`, `USERNAME_INVALID`, `USERNAME_NOT_MODIFIED` and others.
    pub async fn set_username(&self, username: Option<&str>) -> Result<User, InvocationError> {
        let user = self
            .invoke(&functions::account::UpdateUsername {
                username: username.unwrap_or("").trim_start_matches('@').into(),
            })
            .await?;
        Ok(User::from_raw(user))
    }

    /// Makes an uploaded image (`UploadedFile::raw()` of an upload) our profile photo and
    /// returns it.
    ///
    /// # Errors
    ///
    /// `FILE_PART_0_MISSING`, `PHOTO_INVALID` and other server errors.
    pub async fn upload_profile_photo(
        &self,
        file: enums::InputFile,
    ) -> Result<enums::Photo, InvocationError> {
        let enums::photos::Photo::Photo(answer) = self
            .invoke(&functions::photos::UploadProfilePhoto {
                fallback: false,
                bot: None,
                file: Some(file),
                video: None,
                video_start_ts: None,
                video_emoji_markup: None,
            })
            .await?;
        Ok(answer.photo)
    }

    /// Deletes some of our profile photos; returns how many were deleted.
    ///
    /// # Errors
    ///
    /// Server errors.
    pub async fn delete_profile_photos(
        &self,
        photos: &[enums::Photo],
    ) -> Result<usize, InvocationError> {
        let id: Vec<enums::InputPhoto> = photos.iter().filter_map(input_photo).collect();
        if id.is_empty() {
            return Ok(0);
        }
        Ok(self
            .invoke(&functions::photos::DeletePhotos { id })
            .await?
            .len())
    }

    /// The profile photos of a user, group or channel, newest first, as a [`Stream`].
    pub fn iter_profile_photos(&self, chat: impl Into<PeerQuery>) -> ProfilePhotoIter {
        ProfilePhotoIter {
            params: Some((self.clone(), chat.into(), None)),
            stream: None,
        }
    }

    /// Up to `limit` profile photos of a user, group or channel, newest first.
    ///
    /// # Errors
    ///
    /// Peer resolution and server errors.
    pub async fn get_profile_photos(
        &self,
        chat: impl Into<PeerQuery>,
        limit: usize,
    ) -> Result<Vec<enums::Photo>, InvocationError> {
        use futures_util::TryStreamExt;
        self.iter_profile_photos(chat)
            .limit(limit)
            .try_collect()
            .await
    }
}
