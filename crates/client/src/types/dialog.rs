//! [`Dialog`]: one entry of the chat list.

use tgwire_tl_types::enums;

use super::chat::Chat;
use super::message::Message;

/// A conversation in the chat list: the chat, its last message and its counters.
#[derive(Clone, Debug)]
pub struct Dialog {
    pub(crate) raw: enums::Dialog,
    pub(crate) chat: Chat,
    pub(crate) last_message: Option<Message>,
}

impl Dialog {
    /// The raw TL object.
    pub fn raw(&self) -> &enums::Dialog {
        &self.raw
    }

    /// Who or what the conversation is with.
    pub fn chat(&self) -> &Chat {
        &self.chat
    }

    /// The newest message, if the server sent it.
    pub fn last_message(&self) -> Option<&Message> {
        self.last_message.as_ref()
    }

    /// Messages not read yet.
    pub fn unread_count(&self) -> i32 {
        match &self.raw {
            enums::Dialog::Dialog(d) => d.unread_count,
            enums::Dialog::Folder(f) => {
                f.unread_muted_messages_count + f.unread_unmuted_messages_count
            }
            enums::Dialog::Community(_) => 0,
        }
    }

    /// Unread mentions of us.
    pub fn unread_mentions_count(&self) -> i32 {
        match &self.raw {
            enums::Dialog::Dialog(d) => d.unread_mentions_count,
            enums::Dialog::Folder(_) | enums::Dialog::Community(_) => 0,
        }
    }

    /// Whether it is pinned to the top of the list.
    pub fn is_pinned(&self) -> bool {
        match &self.raw {
            enums::Dialog::Dialog(d) => d.pinned,
            enums::Dialog::Folder(f) => f.pinned,
            enums::Dialog::Community(c) => c.pinned,
        }
    }

    /// Whether it is in the archive (folder 1).
    pub fn is_archived(&self) -> bool {
        self.folder_id() == Some(1)
    }

    /// The folder it is in, if any.
    pub fn folder_id(&self) -> Option<i32> {
        match &self.raw {
            enums::Dialog::Dialog(d) => d.folder_id,
            enums::Dialog::Folder(_) | enums::Dialog::Community(_) => None,
        }
    }

    /// The unsent draft, if any.
    pub fn draft_text(&self) -> Option<&str> {
        match &self.raw {
            enums::Dialog::Dialog(d) => match d.draft.as_ref()? {
                enums::DraftMessage::DraftMessage(draft) => Some(&draft.message),
                enums::DraftMessage::Empty(_) => None,
            },
            enums::Dialog::Folder(_) | enums::Dialog::Community(_) => None,
        }
    }
}
