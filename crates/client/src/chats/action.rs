//! Chat actions ("typing…", "uploading a photo… 40%") held as a guard.
//!
//! Telegram shows an action for about six seconds, so the guard repeats it every
//! [`REPEAT`] until it is dropped or cancelled; dropping it also sends the cancel action, so
//! the others' "typing…" goes away at once instead of timing out.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tgwire_tl_types::{enums, functions, types};
use tokio::sync::oneshot;

use crate::types::chat::input_peer;
use crate::{Client, InvocationError, PeerQuery};

/// How often a held action is sent again (Telegram lets one lapse after about six seconds).
pub(crate) const REPEAT: Duration = Duration::from_secs(4);

/// What we are doing in a chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChatAction {
    /// Typing a message.
    Typing,
    /// Recording a video.
    RecordVideo,
    /// Uploading a video (with [`ActionGuard::set_progress`]).
    UploadVideo,
    /// Recording a voice message.
    RecordAudio,
    /// Uploading a voice message or audio file.
    UploadAudio,
    /// Uploading a photo.
    UploadPhoto,
    /// Uploading a document.
    UploadDocument,
    /// Recording a round video.
    RecordRound,
    /// Uploading a round video.
    UploadRound,
    /// Choosing a location.
    Location,
    /// Choosing a contact.
    Contact,
    /// Playing a game.
    Game,
}

impl ChatAction {
    /// The raw action, with `progress` (percent) where the kind has one.
    pub fn to_raw(self, progress: i32) -> enums::SendMessageAction {
        use enums::SendMessageAction as A;
        match self {
            ChatAction::Typing => A::SendMessageTypingAction,
            ChatAction::RecordVideo => A::SendMessageRecordVideoAction,
            ChatAction::UploadVideo => types::SendMessageUploadVideoAction { progress }.into(),
            ChatAction::RecordAudio => A::SendMessageRecordAudioAction,
            ChatAction::UploadAudio => types::SendMessageUploadAudioAction { progress }.into(),
            ChatAction::UploadPhoto => types::SendMessageUploadPhotoAction { progress }.into(),
            ChatAction::UploadDocument => {
                types::SendMessageUploadDocumentAction { progress }.into()
            }
            ChatAction::RecordRound => A::SendMessageRecordRoundAction,
            ChatAction::UploadRound => types::SendMessageUploadRoundAction { progress }.into(),
            ChatAction::Location => A::SendMessageGeoLocationAction,
            ChatAction::Contact => A::SendMessageChooseContactAction,
            ChatAction::Game => A::SendMessageGamePlayAction,
        }
    }
}

/// An action shown in a chat while this is alive; see [`Client::action`]. Dropping it (or
/// [`cancel`](Self::cancel)) stops it.
#[must_use = "the action stops as soon as the guard is dropped"]
#[derive(Debug)]
pub struct ActionGuard {
    progress: Arc<AtomicI32>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ActionGuard {
    /// Sets the progress (percent) shown with upload actions from the next repeat on.
    pub fn set_progress(&self, percent: i32) {
        self.progress
            .store(percent.clamp(0, 100), Ordering::Relaxed);
    }

    /// Stops the action and waits until the cancel reached the server.
    pub async fn cancel(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ActionGuard {
    fn drop(&mut self) {
        // The task sends the cancel action when it sees the stop (or the sender dropped).
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Client {
    /// Shows `action` in `chat` ("typing…") until the returned guard is dropped, repeating
    /// it every few seconds as Telegram requires; dropping the guard sends the cancel.
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client) -> Result<(), tgwire::InvocationError> {
    /// use tgwire::ChatAction;
    ///
    /// let typing = client.action("@friend", ChatAction::Typing).await?;
    /// // … compose the answer …
    /// client.send_message("@friend", "done thinking").await?;
    /// drop(typing);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Peer resolution, and the server's errors for the first send (`CHAT_WRITE_FORBIDDEN`,
    /// …); failures of later repeats are only logged.
    pub async fn action(
        &self,
        chat: impl Into<PeerQuery>,
        action: ChatAction,
    ) -> Result<ActionGuard, InvocationError> {
        let peer = input_peer(self.resolve(chat).await?);
        let send = |client: Client, peer: enums::InputPeer, action: enums::SendMessageAction| async move {
            client
                .invoke(&functions::messages::SetTyping {
                    peer,
                    top_msg_id: None,
                    action,
                })
                .await
        };
        send(self.clone(), peer.clone(), action.to_raw(0)).await?;
        let progress = Arc::new(AtomicI32::new(0));
        let (stop_tx, mut stop_rx) = oneshot::channel();
        let client = self.clone();
        let shared = Arc::clone(&progress);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stop_rx => break,
                    () = tokio::time::sleep(REPEAT) => {
                        let raw = action.to_raw(shared.load(Ordering::Relaxed));
                        if let Err(error) = send(client.clone(), peer.clone(), raw).await {
                            log::debug!("repeating a chat action failed: {error}");
                        }
                    }
                }
            }
            let cancel = enums::SendMessageAction::SendMessageCancelAction;
            if let Err(error) = send(client, peer, cancel).await {
                log::debug!("cancelling a chat action failed: {error}");
            }
        });
        Ok(ActionGuard {
            progress,
            stop: Some(stop_tx),
            task: Some(task),
        })
    }
}
