//! Bot commands: `bots.setBotCommands`, `bots.getBotCommands`, `bots.resetBotCommands`.
//!
//! A bot keeps one list per scope and language code, as Telegram does: the scope says where
//! the list applies (every chat, private chats, groups, group admins, one chat, that chat's
//! admins, one member of it), the language code whom (two letters, or empty for everyone).
//! Setting an empty list removes it, as resetting does. `users.getFullUser` of a bot shows the
//! list that applies to the caller's private chat with it (that chat's, else the private-chat
//! one, else the default; the language-less lists, since the caller's language is unknown).

use serde::{Deserialize, Serialize};
use tgwire_tl_types::{enums, functions, types};

use super::model::{Peer, State};
use super::rpc::{RpcError, RpcResult};
use super::{peers, Cx};

/// Most commands one list may have (Telegram's limit).
const MAX_COMMANDS: usize = 100;

/// Where a command list applies ([`enums::BotCommandScope`] with its peers resolved).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ScopeRec {
    Default,
    Users,
    Chats,
    ChatAdmins,
    Peer(Peer),
    PeerAdmins(Peer),
    PeerUser(Peer, i64),
}

/// One command of a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CommandRec {
    pub(crate) command: String,
    pub(crate) description: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) ephemeral: bool,
}

/// The list a bot set for one scope and language.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct CommandListRec {
    pub(crate) scope: ScopeRec,
    pub(crate) lang_code: String,
    pub(crate) commands: Vec<CommandRec>,
}

/// The calling bot (`USER_BOT_REQUIRED` for users).
fn me_bot(cx: &Cx<'_>) -> RpcResult<i64> {
    let me = cx.me()?;
    if !cx.state.users.get(&me).is_some_and(|u| u.bot) {
        return Err(RpcError::bad("USER_BOT_REQUIRED"));
    }
    Ok(me)
}

/// A group or supergroup (what the admin and member scopes need).
fn group(state: &State, peer: Peer) -> RpcResult<Peer> {
    match peer {
        Peer::Chat(_) => Ok(peer),
        Peer::Channel(id) if state.channels.get(&id).is_some_and(|c| c.megagroup) => Ok(peer),
        _ => Err(RpcError::bad("PEER_ID_INVALID")),
    }
}

fn scope(cx: &Cx<'_>, me: i64, scope: &enums::BotCommandScope) -> RpcResult<ScopeRec> {
    use enums::BotCommandScope as S;
    Ok(match scope {
        S::Default => ScopeRec::Default,
        S::Users => ScopeRec::Users,
        S::Chats => ScopeRec::Chats,
        S::ChatAdmins => ScopeRec::ChatAdmins,
        S::Peer(s) => ScopeRec::Peer(peers::input_peer(cx.state, me, &s.peer)?),
        S::PeerAdmins(s) => {
            ScopeRec::PeerAdmins(group(cx.state, peers::input_peer(cx.state, me, &s.peer)?)?)
        }
        S::PeerUser(s) => {
            let peer = group(cx.state, peers::input_peer(cx.state, me, &s.peer)?)?;
            ScopeRec::PeerUser(peer, peers::input_user(cx.state, me, &s.user_id)?)
        }
    })
}

/// Empty, or two lowercase letters (ISO 639-1).
fn lang_code(code: &str) -> RpcResult<String> {
    if code.is_empty() || (code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase())) {
        Ok(code.to_owned())
    } else {
        Err(RpcError::bad("LANG_CODE_INVALID"))
    }
}

fn command(raw: &enums::BotCommand) -> RpcResult<CommandRec> {
    let enums::BotCommand::BotCommand(c) = raw;
    // Without the slash, lowercase (the Bot API's rule for `BotCommand.command`).
    let name = c.command.clone();
    let valid_name = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid_name {
        return Err(RpcError::bad("BOT_COMMAND_INVALID"));
    }
    let description = c.description.trim();
    if description.is_empty() || description.chars().count() > 256 {
        return Err(RpcError::bad("BOT_COMMAND_DESCRIPTION_INVALID"));
    }
    Ok(CommandRec {
        command: name.to_string(),
        description: description.to_owned(),
        ephemeral: c.ephemeral,
    })
}

fn to_tl(commands: &[CommandRec]) -> Vec<enums::BotCommand> {
    commands
        .iter()
        .map(|c| {
            types::BotCommand {
                ephemeral: c.ephemeral,
                command: c.command.clone().into(),
                description: c.description.clone().into(),
            }
            .into()
        })
        .collect()
}

pub(crate) fn set_bot_commands(
    cx: &mut Cx<'_>,
    req: functions::bots::SetBotCommands,
) -> RpcResult<bool> {
    let me = me_bot(cx)?;
    let scope = scope(cx, me, &req.scope)?;
    let lang_code = lang_code(&req.lang_code)?;
    if req.commands.len() > MAX_COMMANDS {
        return Err(RpcError::bad("BOT_COMMANDS_TOO_MUCH"));
    }
    let commands = req
        .commands
        .iter()
        .map(command)
        .collect::<RpcResult<Vec<_>>>()?;
    let lists = cx.state.bot_commands.entry(me).or_default();
    lists.retain(|l| !(l.scope == scope && l.lang_code == lang_code));
    if !commands.is_empty() {
        lists.push(CommandListRec {
            scope,
            lang_code,
            commands,
        });
    }
    if lists.is_empty() {
        cx.state.bot_commands.remove(&me);
    }
    cx.dirty = true;
    Ok(true)
}

pub(crate) fn get_bot_commands(
    cx: &mut Cx<'_>,
    req: functions::bots::GetBotCommands,
) -> RpcResult<Vec<enums::BotCommand>> {
    let me = me_bot(cx)?;
    let scope = scope(cx, me, &req.scope)?;
    let lang_code = lang_code(&req.lang_code)?;
    Ok(cx
        .state
        .bot_commands
        .get(&me)
        .and_then(|lists| {
            lists
                .iter()
                .find(|l| l.scope == scope && l.lang_code == lang_code)
        })
        .map(|l| to_tl(&l.commands))
        .unwrap_or_default())
}

pub(crate) fn reset_bot_commands(
    cx: &mut Cx<'_>,
    req: functions::bots::ResetBotCommands,
) -> RpcResult<bool> {
    set_bot_commands(
        cx,
        functions::bots::SetBotCommands {
            scope: req.scope,
            lang_code: req.lang_code,
            commands: Vec::new(),
        },
    )
}

/// The command list `bot` shows to `viewer` in their private chat (for `userFull.bot_info`).
pub(crate) fn private_chat_commands(
    state: &State,
    bot: i64,
    viewer: i64,
) -> Vec<enums::BotCommand> {
    let Some(lists) = state.bot_commands.get(&bot) else {
        return Vec::new();
    };
    [
        ScopeRec::Peer(Peer::User(viewer)),
        ScopeRec::Users,
        ScopeRec::Default,
    ]
    .iter()
    .find_map(|scope| {
        lists
            .iter()
            .find(|l| l.scope == *scope && l.lang_code.is_empty())
    })
    .map(|l| to_tl(&l.commands))
    .unwrap_or_default()
}
