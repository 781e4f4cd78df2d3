//! Channel statistics: `stats.getBroadcastStats`, `stats.getMegagroupStats`,
//! `stats.getMessageStats` and `stats.loadAsyncGraph`, computed from the channel's own messages
//! and members over the last [`PERIOD_DAYS`] days.
//!
//! Graphs come the three ways Telegram sends them: inline (`statsGraph` with its JSON), as a
//! token to load with `stats.loadAsyncGraph` (`statsGraphAsync`; the growth, followers/members
//! and messages graphs), or as `statsGraphError` for what the server does not track
//! (languages, sources, reactions, stories). Graph JSON has Telegram's chart layout: `columns`
//! (an `x` column of day timestamps in milliseconds, then one column per line), `types`,
//! `names`.
//!
//! Only admins see statistics (`CHAT_ADMIN_REQUIRED`); broadcast statistics of a supergroup are
//! `BROADCAST_REQUIRED`, supergroup statistics of a broadcast channel `MEGAGROUP_REQUIRED`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tgwire_tl_types::{enums, functions, types};

use super::model::{ChannelRec, Peer};
use super::present::Refs;
use super::rights;
use super::rpc::{RpcError, RpcResult};
use super::{channels, Cx};

/// The days statistics cover.
const PERIOD_DAYS: i32 = 30;
const DAY: i32 = 86_400;
/// What Telegram answers for graphs without enough data.
const NO_DATA: &str = "Not enough data to display.";

/// The channel `input` names, which `me` must administer.
fn admin_channel<'s>(
    cx: &'s Cx<'_>,
    me: i64,
    input: &enums::InputChannel,
) -> RpcResult<&'s ChannelRec> {
    let rec = channels::channel(cx.state, me, input)?;
    if rec.kicked.contains_key(&me) {
        return Err(RpcError::bad("CHANNEL_PRIVATE"));
    }
    if !rights::is_admin(cx.state, me, Peer::Channel(rec.id)) {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    Ok(rec)
}

/// The first second of the day `date` falls in.
fn day_of(date: i32) -> i32 {
    date - date.rem_euclid(DAY)
}

/// A line chart of per-day values over the period ending `now`.
fn day_chart(now: i32, lines: &[(&str, BTreeMap<i32, i64>)]) -> String {
    let last = day_of(now);
    let days: Vec<i32> = (0..PERIOD_DAYS)
        .rev()
        .map(|back| last - back * DAY)
        .collect();
    let mut json = String::from("{\"columns\":[[\"x\"");
    for day in &days {
        let _ = write!(json, ",{}", i64::from(*day) * 1000);
    }
    json.push(']');
    for (i, (_, values)) in lines.iter().enumerate() {
        let _ = write!(json, ",[\"y{i}\"");
        for day in &days {
            let _ = write!(json, ",{}", values.get(day).copied().unwrap_or(0));
        }
        json.push(']');
    }
    json.push_str("],\"types\":{\"x\":\"x\"");
    for i in 0..lines.len() {
        let _ = write!(json, ",\"y{i}\":\"line\"");
    }
    json.push_str("},\"names\":{");
    for (i, (name, _)) in lines.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        // Names are fixed ASCII labels chosen here; nothing to escape.
        let _ = write!(json, "\"y{i}\":\"{name}\"");
    }
    json.push_str("}}");
    json
}

fn inline(json: String) -> enums::StatsGraph {
    types::StatsGraph {
        json: types::DataJson { data: json }.into(),
        zoom_token: None,
    }
    .into()
}

fn no_data() -> enums::StatsGraph {
    types::StatsGraphError {
        error: NO_DATA.into(),
    }
    .into()
}

fn deferred(channel: i64, graph: &str) -> enums::StatsGraph {
    types::StatsGraphAsync {
        token: format!("{channel}:{graph}"),
    }
    .into()
}

/// Messages per day in the period (service messages left out).
fn messages_per_day(rec: &ChannelRec, since: i32) -> BTreeMap<i32, i64> {
    let mut per_day = BTreeMap::new();
    for msg in rec.store.messages.values() {
        if msg.action.is_none() && msg.date >= since {
            *per_day.entry(day_of(msg.date)).or_insert(0) += 1;
        }
    }
    per_day
}

/// Members on each day of the period (by their join dates).
fn members_per_day(rec: &ChannelRec, now: i32) -> BTreeMap<i32, i64> {
    let last = day_of(now);
    (0..PERIOD_DAYS)
        .map(|back| {
            let day = last - back * DAY;
            let count = rec
                .members
                .values()
                .filter(|m| day_of(m.date) <= day)
                .count();
            (day, i64::try_from(count).unwrap_or(i64::MAX))
        })
        .collect()
}

/// New members per day.
fn joins_per_day(rec: &ChannelRec, since: i32) -> BTreeMap<i32, i64> {
    let mut per_day = BTreeMap::new();
    for member in rec.members.values() {
        if member.date >= since {
            *per_day.entry(day_of(member.date)).or_insert(0) += 1;
        }
    }
    per_day
}

/// The graph a token names, computed now.
fn graph(rec: &ChannelRec, name: &str, now: i32) -> Option<String> {
    let since = now - PERIOD_DAYS * DAY;
    Some(match name {
        "growth" => day_chart(now, &[("Total", members_per_day(rec, now))]),
        "followers" | "members" => day_chart(now, &[("Joined", joins_per_day(rec, since))]),
        "messages" => day_chart(now, &[("Messages", messages_per_day(rec, since))]),
        _ => return None,
    })
}

/// (current, previous period) of a count of dated things.
fn abs(dates: impl Iterator<Item = i32> + Clone, now: i32) -> enums::StatsAbsValueAndPrev {
    let since = now - PERIOD_DAYS * DAY;
    let before = since - PERIOD_DAYS * DAY;
    let current = dates.clone().filter(|&d| d >= since).count();
    let previous = dates.filter(|&d| d >= before && d < since).count();
    types::StatsAbsValueAndPrev {
        current: current as f64,
        previous: previous as f64,
    }
    .into()
}

fn members_value(rec: &ChannelRec, now: i32) -> enums::StatsAbsValueAndPrev {
    let since = now - PERIOD_DAYS * DAY;
    let current = rec.members.len();
    let previous = rec.members.values().filter(|m| m.date < since).count();
    types::StatsAbsValueAndPrev {
        current: current as f64,
        previous: previous as f64,
    }
    .into()
}

fn period(now: i32) -> enums::StatsDateRangeDays {
    types::StatsDateRangeDays {
        min_date: now - PERIOD_DAYS * DAY,
        max_date: now,
    }
    .into()
}

pub(crate) fn get_broadcast_stats(
    cx: &mut Cx<'_>,
    req: functions::stats::GetBroadcastStats,
) -> RpcResult<enums::stats::BroadcastStats> {
    let me = cx.me()?;
    let rec = admin_channel(cx, me, &req.channel)?;
    if !rec.broadcast {
        return Err(RpcError::bad("BROADCAST_REQUIRED"));
    }
    let now = cx.now;
    let id = rec.id;
    let posts = || {
        rec.store
            .messages
            .values()
            .filter(|m| m.action.is_none())
            .map(|m| m.date)
    };
    let zero = || -> enums::StatsAbsValueAndPrev {
        types::StatsAbsValueAndPrev {
            current: 0.0,
            previous: 0.0,
        }
        .into()
    };
    // Every post is seen once (by its poster) on the test server.
    let views_per_post = abs(posts(), now);
    let recent_posts_interactions = rec
        .store
        .messages
        .values()
        .rev()
        .filter(|m| m.action.is_none())
        .take(20)
        .map(|m| {
            types::PostInteractionCountersMessage {
                msg_id: m.id,
                views: 1,
                forwards: 0,
                reactions: 0,
            }
            .into()
        })
        .collect();
    Ok(types::stats::BroadcastStats {
        period: period(now),
        followers: members_value(rec, now),
        views_per_post,
        shares_per_post: zero(),
        reactions_per_post: zero(),
        views_per_story: zero(),
        shares_per_story: zero(),
        reactions_per_story: zero(),
        enabled_notifications: types::StatsPercentValue {
            part: rec.members.len() as f64,
            total: rec.members.len() as f64,
        }
        .into(),
        growth_graph: deferred(id, "growth"),
        followers_graph: deferred(id, "followers"),
        mute_graph: no_data(),
        top_hours_graph: no_data(),
        interactions_graph: deferred(id, "messages"),
        iv_interactions_graph: no_data(),
        views_by_source_graph: no_data(),
        new_followers_by_source_graph: no_data(),
        languages_graph: no_data(),
        reactions_by_emotion_graph: no_data(),
        story_interactions_graph: no_data(),
        story_reactions_by_emotion_graph: no_data(),
        recent_posts_interactions,
    }
    .into())
}

pub(crate) fn get_megagroup_stats(
    cx: &mut Cx<'_>,
    req: functions::stats::GetMegagroupStats,
) -> RpcResult<enums::stats::MegagroupStats> {
    let me = cx.me()?;
    let rec = admin_channel(cx, me, &req.channel)?;
    if rec.broadcast {
        return Err(RpcError::bad("MEGAGROUP_REQUIRED"));
    }
    let now = cx.now;
    let since = now - PERIOD_DAYS * DAY;
    let id = rec.id;
    let messages = || {
        rec.store
            .messages
            .values()
            .filter(|m| m.action.is_none())
            .map(|m| m.date)
    };
    // (messages, characters) per author in the period.
    let mut posters: BTreeMap<i64, (i32, usize)> = BTreeMap::new();
    for msg in rec.store.messages.values() {
        if let (None, Some(Peer::User(author)), true) = (&msg.action, msg.from, msg.date >= since) {
            let entry = posters.entry(author).or_default();
            entry.0 += 1;
            entry.1 += msg.text.chars().count();
        }
    }
    let mut top: Vec<(i64, (i32, usize))> = posters.into_iter().collect();
    top.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    let mut refs = Refs::default();
    let top_posters = top
        .iter()
        .take(10)
        .map(|&(user_id, (count, chars))| {
            refs.user(user_id);
            types::StatsGroupTopPoster {
                user_id,
                messages: count,
                avg_chars: i32::try_from(chars / usize::try_from(count.max(1)).unwrap_or(1))
                    .unwrap_or(i32::MAX),
            }
            .into()
        })
        .collect();
    let posters_value = types::StatsAbsValueAndPrev {
        current: top.len() as f64,
        previous: 0.0,
    };
    Ok(types::stats::MegagroupStats {
        period: period(now),
        members: members_value(rec, now),
        messages: abs(messages(), now),
        viewers: members_value(rec, now),
        posters: posters_value.into(),
        growth_graph: deferred(id, "growth"),
        members_graph: deferred(id, "members"),
        new_members_by_source_graph: no_data(),
        languages_graph: no_data(),
        messages_graph: deferred(id, "messages"),
        actions_graph: no_data(),
        top_hours_graph: no_data(),
        weekdays_graph: no_data(),
        top_posters,
        top_admins: Vec::new(),
        top_inviters: Vec::new(),
        users: refs.users(cx.state, me),
    }
    .into())
}

pub(crate) fn load_async_graph(
    cx: &mut Cx<'_>,
    req: functions::stats::LoadAsyncGraph,
) -> RpcResult<enums::StatsGraph> {
    let me = cx.me()?;
    let invalid = || RpcError::bad("GRAPH_INVALID_RELOAD");
    let (channel, name) = req.token.split_once(':').ok_or_else(invalid)?;
    let channel: i64 = channel.parse().map_err(|_| invalid())?;
    let rec = cx.state.channels.get(&channel).ok_or_else(invalid)?;
    if !rights::is_admin(cx.state, me, Peer::Channel(channel)) {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    graph(rec, name, cx.now).map(inline).ok_or_else(invalid)
}

pub(crate) fn get_message_stats(
    cx: &mut Cx<'_>,
    req: functions::stats::GetMessageStats,
) -> RpcResult<enums::stats::MessageStats> {
    let me = cx.me()?;
    let rec = admin_channel(cx, me, &req.channel)?;
    let msg = rec
        .store
        .messages
        .get(&req.msg_id)
        .ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))?;
    // One view (the poster's) on the day it was posted.
    let views = BTreeMap::from([(day_of(msg.date), 1)]);
    Ok(types::stats::MessageStats {
        views_graph: inline(day_chart(cx.now, &[("Views", views)])),
        reactions_by_emotion_graph: no_data(),
    }
    .into())
}
