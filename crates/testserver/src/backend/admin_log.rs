//! Channel admin logs: every admin action the backend performs in a supergroup or broadcast
//! channel (and every join and leave) is recorded with the values before and after, and
//! `channels.getAdminLog` lists them newest first with Telegram's filters.

use tgwire_tl_types::{enums, functions, types};

use super::model::{AdminLogRec, Bytes, ChannelRec, Peer};
use super::present::Refs;
use super::rights;
use super::rpc::{RpcError, RpcResult};
use super::{peers, Cx};

/// Most events one `channels.getAdminLog` returns.
const MAX_PAGE: i32 = 100;

/// Records `action` by `user` in channel `channel` (users the action names go in `mentions`).
pub(crate) fn record(
    cx: &mut Cx<'_>,
    channel: i64,
    user: i64,
    action: enums::ChannelAdminLogEventAction,
    mentions: Vec<i64>,
) {
    cx.state.last_log_id += 1;
    let id = cx.state.last_log_id;
    let date = cx.now;
    if let Some(rec) = cx.state.channels.get_mut(&channel) {
        rec.admin_log.push(AdminLogRec {
            id,
            date,
            user,
            action: Bytes::tl(&action),
            mentions,
        });
        cx.dirty = true;
    }
}

/// `user`'s participant object in `rec` for the log (`channelParticipantLeft` for non-members).
pub(crate) fn snapshot(rec: &ChannelRec, user: i64) -> enums::ChannelParticipant {
    super::channels::participant(rec, 0, user).unwrap_or_else(|| {
        types::ChannelParticipantLeft {
            peer: Peer::User(user).to_tl(),
        }
        .into()
    })
}

/// The filter flags an action falls under.
fn matches(
    filter: &types::ChannelAdminLogEventsFilter,
    action: &enums::ChannelAdminLogEventAction,
) -> bool {
    use enums::ChannelAdminLogEventAction as A;
    use enums::ChannelParticipant as P;
    match action {
        A::ParticipantJoin | A::ParticipantJoinByInvite(_) | A::ParticipantJoinByRequest(_) => {
            filter.join
        }
        A::ParticipantLeave => filter.leave,
        A::ParticipantInvite(_) => filter.invite,
        A::ParticipantToggleBan(ban) => {
            let kicked =
                |p: &P| matches!(p, P::Banned(b) if b.left || view_banned(&b.banned_rights));
            let restricted = |p: &P| matches!(p, P::Banned(_));
            if kicked(&ban.new_participant) {
                filter.kick
            } else if kicked(&ban.prev_participant) {
                filter.unkick
            } else if restricted(&ban.new_participant) {
                filter.ban
            } else {
                filter.unban
            }
        }
        A::ParticipantToggleAdmin(admin) => {
            if matches!(admin.new_participant, P::Admin(_)) {
                filter.promote
            } else {
                filter.demote
            }
        }
        A::ParticipantEditRank(_) => filter.edit_rank,
        A::ChangeTitle(_)
        | A::ChangeAbout(_)
        | A::ChangeUsername(_)
        | A::ChangeUsernames(_)
        | A::ChangePhoto(_)
        | A::ChangeStickerSet(_)
        | A::ChangeLinkedChat(_)
        | A::ChangeLocation(_)
        | A::ChangeEmojiStickerSet(_)
        | A::ChangePeerColor(_)
        | A::ChangeProfilePeerColor(_)
        | A::ChangeWallpaper(_)
        | A::ChangeEmojiStatus(_) => filter.info,
        A::UpdatePinned(_) => filter.pinned,
        A::EditMessage(_) => filter.edit,
        A::DeleteMessage(_) => filter.delete,
        A::SendMessage(_) => filter.send,
        A::ExportedInviteDelete(_) | A::ExportedInviteRevoke(_) | A::ExportedInviteEdit(_) => {
            filter.invites
        }
        A::StartGroupCall(_)
        | A::DiscardGroupCall(_)
        | A::ParticipantMute(_)
        | A::ParticipantUnmute(_)
        | A::ParticipantVolume(_)
        | A::ToggleGroupCallSetting(_) => filter.group_call,
        A::ToggleForum(_)
        | A::CreateTopic(_)
        | A::EditTopic(_)
        | A::DeleteTopic(_)
        | A::PinTopic(_) => filter.forums,
        A::ParticipantSubExtend(_) => filter.sub_extend,
        _ => filter.settings,
    }
}

fn view_banned(rights: &enums::ChatBannedRights) -> bool {
    let enums::ChatBannedRights::ChatBannedRights(rights) = rights;
    rights.view_messages
}

/// The text an action carries, for `q`.
fn texts(action: &enums::ChannelAdminLogEventAction) -> Vec<String> {
    use enums::ChannelAdminLogEventAction as A;
    match action {
        A::ChangeTitle(a) => vec![a.prev_value.to_string(), a.new_value.to_string()],
        A::ChangeAbout(a) => vec![a.prev_value.to_string(), a.new_value.to_string()],
        A::ChangeUsername(a) => vec![a.prev_value.to_string(), a.new_value.to_string()],
        A::ParticipantEditRank(a) => vec![a.prev_rank.to_string(), a.new_rank.to_string()],
        _ => Vec::new(),
    }
}

pub(crate) fn get_admin_log(
    cx: &mut Cx<'_>,
    req: functions::channels::GetAdminLog,
) -> RpcResult<enums::channels::AdminLogResults> {
    let me = cx.me()?;
    let id = peers::input_channel(cx.state, me, &req.channel)?;
    let rec = cx
        .state
        .channels
        .get(&id)
        .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
    if rec.kicked.contains_key(&me) {
        return Err(RpcError::bad("CHANNEL_PRIVATE"));
    }
    if !rights::is_admin(cx.state, me, Peer::Channel(id)) {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    let admins = match &req.admins {
        Some(list) => Some(
            list.iter()
                .map(|u| peers::input_user(cx.state, me, u))
                .collect::<RpcResult<Vec<i64>>>()?,
        ),
        None => None,
    };
    let filter = req.events_filter.as_ref().map(|f| {
        let enums::ChannelAdminLogEventsFilter::ChannelAdminLogEventsFilter(f) = f;
        f
    });
    let query = req.q.to_lowercase();
    let limit = usize::try_from(req.limit.clamp(1, MAX_PAGE)).unwrap_or(1);
    let mut refs = Refs::default();
    refs.peer(Peer::Channel(id));
    let mut events = Vec::new();
    for entry in rec.admin_log.iter().rev() {
        if (req.max_id != 0 && entry.id >= req.max_id) || entry.id <= req.min_id {
            continue;
        }
        if admins.as_ref().is_some_and(|a| !a.contains(&entry.user)) {
            continue;
        }
        let Some(action) = entry.action.decode::<enums::ChannelAdminLogEventAction>() else {
            continue;
        };
        if filter.is_some_and(|f| !matches(f, &action)) {
            continue;
        }
        if !query.is_empty() {
            let by_name = std::iter::once(entry.user)
                .chain(entry.mentions.iter().copied())
                .any(|user| super::channels::name_matches(cx.state, user, &query));
            let by_text = texts(&action)
                .iter()
                .any(|text| text.to_lowercase().contains(query.as_str()));
            if !by_name && !by_text {
                continue;
            }
        }
        refs.user(entry.user);
        for &user in &entry.mentions {
            refs.user(user);
        }
        events.push(
            types::ChannelAdminLogEvent {
                id: entry.id,
                date: entry.date,
                user_id: entry.user,
                action,
            }
            .into(),
        );
        if events.len() >= limit {
            break;
        }
    }
    Ok(types::channels::AdminLogResults {
        events,
        chats: refs.chats(cx.state, me),
        users: refs.users(cx.state, me),
    }
    .into())
}
