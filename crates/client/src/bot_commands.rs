//! Bot commands: the lists of `/commands` a bot offers, per scope and language
//! (`bots.setBotCommands`, `bots.getBotCommands`, `bots.resetBotCommands`).
//!
//! Telegram keeps one list per scope and language code: when a user opens a chat, the app
//! shows the most specific list that applies (one member of the chat, the chat's admins, the
//! chat, all group admins, all groups or all private chats, the default), in the user's
//! language if the bot set one, else the language-less list.

use tgwire_tl_types::{enums, functions, types};

use crate::types::chat::{input_peer, input_user};
use crate::{Client, InvocationError, PeerQuery};

/// Where a command list applies.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandScope {
    /// Every chat, unless a more specific list applies.
    Default,
    /// Every private chat with a user.
    Users,
    /// Every group and supergroup.
    Chats,
    /// The administrators of every group and supergroup.
    ChatAdmins,
    /// One chat (private, group or channel).
    Peer(PeerQuery),
    /// The administrators of one group or supergroup.
    PeerAdmins(PeerQuery),
    /// One member of one group or supergroup: `(chat, user)`.
    PeerUser(PeerQuery, PeerQuery),
}

impl CommandScope {
    /// One chat (private, group or channel).
    pub fn peer(chat: impl Into<PeerQuery>) -> Self {
        CommandScope::Peer(chat.into())
    }

    /// The administrators of one group or supergroup.
    pub fn peer_admins(chat: impl Into<PeerQuery>) -> Self {
        CommandScope::PeerAdmins(chat.into())
    }

    /// One member of one group or supergroup.
    pub fn peer_user(chat: impl Into<PeerQuery>, user: impl Into<PeerQuery>) -> Self {
        CommandScope::PeerUser(chat.into(), user.into())
    }

    async fn to_raw(&self, client: &Client) -> Result<enums::BotCommandScope, InvocationError> {
        Ok(match self {
            CommandScope::Default => enums::BotCommandScope::Default,
            CommandScope::Users => enums::BotCommandScope::Users,
            CommandScope::Chats => enums::BotCommandScope::Chats,
            CommandScope::ChatAdmins => enums::BotCommandScope::ChatAdmins,
            CommandScope::Peer(chat) => types::BotCommandScopePeer {
                peer: input_peer(client.resolve(chat.clone()).await?),
            }
            .into(),
            CommandScope::PeerAdmins(chat) => types::BotCommandScopePeerAdmins {
                peer: input_peer(client.resolve(chat.clone()).await?),
            }
            .into(),
            CommandScope::PeerUser(chat, user) => {
                let peer = input_peer(client.resolve(chat.clone()).await?);
                let user = client.resolve(user.clone()).await?;
                let user_id = input_user(user).ok_or_else(|| {
                    InvocationError::InvalidArgument(format!("{user} is not a user"))
                })?;
                types::BotCommandScopePeerUser { peer, user_id }.into()
            }
        })
    }
}

/// One command of a bot: its name (without the slash) and what it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotCommand {
    /// The command, without `/`: 1–32 lowercase letters, digits and underscores.
    pub command: String,
    /// What it does (1–256 characters).
    pub description: String,
}

impl BotCommand {
    /// A command; a leading `/` is dropped.
    pub fn new(command: impl Into<String>, description: impl Into<String>) -> Self {
        let command = command.into();
        let command = command
            .strip_prefix('/')
            .map(str::to_owned)
            .unwrap_or(command);
        BotCommand {
            command,
            description: description.into(),
        }
    }

    pub(crate) fn from_raw(raw: &enums::BotCommand) -> Self {
        let enums::BotCommand::BotCommand(c) = raw;
        BotCommand {
            command: c.command.to_string(),
            description: c.description.to_string(),
        }
    }

    fn to_raw(&self) -> enums::BotCommand {
        types::BotCommand {
            ephemeral: false,
            command: self.command.clone().into(),
            description: self.description.clone().into(),
        }
        .into()
    }
}

impl Client {
    /// Sets the bot's commands for `scope` and language `lang_code` (two letters, or `""` for
    /// every language), replacing that list; an empty list removes it. Bots only.
    ///
    /// ```no_run
    /// # async fn f(bot: tgwire::Client) -> Result<(), tgwire::InvocationError> {
    /// use tgwire::{BotCommand, CommandScope};
    /// bot.set_bot_commands(
    ///     CommandScope::Default,
    ///     "",
    ///     vec![BotCommand::new("start", "Say hello"), BotCommand::new("help", "What I do")],
    /// )
    /// .await?;
    /// bot.set_bot_commands(CommandScope::Default, "de", vec![BotCommand::new("start", "Hallo")])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// The server's: `BOT_COMMAND_INVALID`, `BOT_COMMAND_DESCRIPTION_INVALID`,
    /// `LANG_CODE_INVALID`, `PEER_ID_INVALID` (an admin or member scope outside a group),
    /// `USER_ID_INVALID`, `USER_BOT_REQUIRED` (a user account); resolution errors.
    pub async fn set_bot_commands(
        &self,
        scope: CommandScope,
        lang_code: &str,
        commands: Vec<BotCommand>,
    ) -> Result<(), InvocationError> {
        let request = functions::bots::SetBotCommands {
            scope: scope.to_raw(self).await?,
            lang_code: lang_code.into(),
            commands: commands.iter().map(BotCommand::to_raw).collect(),
        };
        self.invoke(&request).await?;
        Ok(())
    }

    /// The bot's commands for exactly `scope` and `lang_code` (empty if none were set there;
    /// no fallback to wider scopes). Bots only.
    ///
    /// # Errors
    ///
    /// As [`set_bot_commands`](Self::set_bot_commands).
    pub async fn get_bot_commands(
        &self,
        scope: CommandScope,
        lang_code: &str,
    ) -> Result<Vec<BotCommand>, InvocationError> {
        let request = functions::bots::GetBotCommands {
            scope: scope.to_raw(self).await?,
            lang_code: lang_code.into(),
        };
        let commands = self.invoke(&request).await?;
        Ok(commands.iter().map(BotCommand::from_raw).collect())
    }

    /// Removes the bot's commands for `scope` and `lang_code` (wider scopes apply again).
    /// Bots only.
    ///
    /// # Errors
    ///
    /// As [`set_bot_commands`](Self::set_bot_commands).
    pub async fn reset_bot_commands(
        &self,
        scope: CommandScope,
        lang_code: &str,
    ) -> Result<(), InvocationError> {
        let request = functions::bots::ResetBotCommands {
            scope: scope.to_raw(self).await?,
            lang_code: lang_code.into(),
        };
        self.invoke(&request).await?;
        Ok(())
    }
}
