//! The friendly types: chats (users, groups, channels), messages and dialogs.

pub(crate) mod chat;
pub(crate) mod dialog;
pub(crate) mod message;
