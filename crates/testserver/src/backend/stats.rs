//! Channel statistics: `stats.getBroadcastStats`, `stats.getMegagroupStats`,
//! `stats.getMessageStats` and `stats.loadAsyncGraph`, computed from the channel's own
//! messages, members and admin log over the last [`PERIOD_DAYS`] days.
//!
//! Every graph of the schema is filled, the two ways Telegram sends them: inline (`statsGraph`
//! with its JSON: the hour-of-day and day-of-week charts, and the Instant View, reaction and
//! story charts) or as a token to load with `stats.loadAsyncGraph` (`statsGraphAsync`: growth,
//! followers/members, mutes, interactions, views by source, new members by source, languages,
//! messages, actions). A graph over days carries a `zoom_token`: `stats.loadAsyncGraph` with it
//! and `x` (a day, in milliseconds) answers that day by hour. Graph JSON has Telegram's chart
//! layout: `columns` (an `x` column, then one column per line), `types`, `names`.
//!
//! What the numbers come from: joins and leaves (by source) from the admin log (joins by
//! username, by invite link or request, additions by members; leaves and kicks); totals from
//! the members' join dates; languages from the `lang_code` each member's client sent in
//! `initConnection` ("unknown" without one); messages and their hours and weekdays from the
//! messages; a post's views are its poster's one view, and shares are forwards of it anywhere
//! on the server; moderation (deletions, restrictions, bans) and the top admins from the admin
//! log; the top inviters from who added whom. The test server has no notification settings,
//! Instant View, reactions or stories: their charts have their lines, all zero (reactions,
//! which have a line per emoji, have none).
//!
//! Only admins see statistics (`CHAT_ADMIN_REQUIRED`); broadcast statistics of a supergroup are
//! `BROADCAST_REQUIRED`, supergroup statistics of a broadcast channel `MEGAGROUP_REQUIRED`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use tgwire_tl_types::{enums, functions, types};

use super::model::{ChannelRec, Peer, State};
use super::present::Refs;
use super::rights;
use super::rpc::{RpcError, RpcResult};
use super::{channels, Cx};

/// The days statistics cover.
const PERIOD_DAYS: i32 = 30;
const DAY: i32 = 86_400;
const HOUR: i32 = 3_600;

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

/// How a chart's x axis is cut: the period's days up to the one of `now`, or one day's hours
/// (a zoomed-in graph).
#[derive(Clone, Copy, Debug)]
enum Axis {
    Days { now: i32 },
    Hours { day: i32 },
}

impl Axis {
    /// Where each bucket starts, oldest first.
    fn starts(self) -> Vec<i32> {
        match self {
            Axis::Days { now } => {
                let last = day_of(now);
                (0..PERIOD_DAYS)
                    .rev()
                    .map(|back| last - back * DAY)
                    .collect()
            }
            Axis::Hours { day } => (0..24).map(|h| day + h * HOUR).collect(),
        }
    }

    fn width(self) -> i32 {
        match self {
            Axis::Days { .. } => DAY,
            Axis::Hours { .. } => HOUR,
        }
    }
}

/// One line of a chart, from dated facts.
enum Series {
    /// How many facts fall in each bucket.
    Count(Vec<i32>),
    /// How many facts happened before each bucket's end (a running total).
    Total(Vec<i32>),
}

impl Series {
    fn values(&self, axis: Axis) -> Vec<i64> {
        let width = axis.width();
        axis.starts()
            .into_iter()
            .map(|start| {
                let n = match self {
                    Series::Count(dates) => dates
                        .iter()
                        .filter(|&&d| d >= start && d < start + width)
                        .count(),
                    Series::Total(dates) => dates.iter().filter(|&&d| d < start + width).count(),
                };
                i64::try_from(n).unwrap_or(i64::MAX)
            })
            .collect()
    }
}

/// A chart in Telegram's JSON layout: `x`, then one column per line, drawn as `kind`.
fn chart(x: &[i64], lines: &[(String, Vec<i64>)], kind: &str) -> String {
    let mut json = String::from("{\"columns\":[[\"x\"");
    for value in x {
        let _ = write!(json, ",{value}");
    }
    json.push(']');
    for (i, (_, values)) in lines.iter().enumerate() {
        let _ = write!(json, ",[\"y{i}\"");
        for value in values {
            let _ = write!(json, ",{value}");
        }
        json.push(']');
    }
    json.push_str("],\"types\":{\"x\":\"x\"");
    for i in 0..lines.len() {
        let _ = write!(json, ",\"y{i}\":\"{kind}\"");
    }
    json.push_str("},\"names\":{");
    for (i, (name, _)) in lines.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        // Names are labels chosen here and language codes a client sent; drop what JSON would
        // need escaped rather than escape it.
        let name: String = name
            .chars()
            .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
            .collect();
        let _ = write!(json, "\"y{i}\":\"{name}\"");
    }
    json.push_str("}}");
    json
}

/// A chart of `lines` over `axis` (x in milliseconds, as Telegram's).
fn time_chart(axis: Axis, lines: Vec<(String, Series)>, kind: &str) -> String {
    let x: Vec<i64> = axis
        .starts()
        .into_iter()
        .map(|start| i64::from(start) * 1000)
        .collect();
    let lines: Vec<(String, Vec<i64>)> = lines
        .into_iter()
        .map(|(name, series)| {
            let values = series.values(axis);
            (name, values)
        })
        .collect();
    chart(&x, &lines, kind)
}

fn inline(json: String, zoom_token: Option<String>) -> enums::StatsGraph {
    types::StatsGraph {
        json: types::DataJson { data: json.into() }.into(),
        zoom_token: zoom_token.map(Into::into),
    }
    .into()
}

fn deferred(channel: i64, graph: &str) -> enums::StatsGraph {
    types::StatsGraphAsync {
        token: format!("{channel}:{graph}").into(),
    }
    .into()
}

/// Who joined and left a channel, how and when, and what its admins did, from its admin log.
#[derive(Default)]
struct LogFacts {
    /// Joins by username (public chats).
    joined_by_search: Vec<i32>,
    /// Joins through invite links, directly or approved.
    joined_by_link: Vec<i32>,
    /// Users added by members.
    added: Vec<i32>,
    /// Leaves, and kicks (bans from viewing).
    left: Vec<i32>,
    deleted: Vec<i32>,
    restricted: Vec<i32>,
    banned: Vec<i32>,
    /// Per admin: (messages deleted, users kicked, users restricted).
    by_admin: BTreeMap<i64, (i32, i32, i32)>,
    /// Per member: how many users they added.
    by_inviter: BTreeMap<i64, i32>,
}

impl LogFacts {
    /// What the log of `rec` says since `since`.
    fn of(rec: &ChannelRec, since: i32) -> Self {
        use enums::ChannelAdminLogEventAction as A;
        let mut facts = LogFacts::default();
        for entry in rec.admin_log.iter().filter(|e| e.date >= since) {
            let Some(action) = entry.action.decode::<A>() else {
                continue;
            };
            let date = entry.date;
            match action {
                A::ParticipantJoin => facts.joined_by_search.push(date),
                A::ParticipantJoinByInvite(_) | A::ParticipantJoinByRequest(_) => {
                    facts.joined_by_link.push(date);
                }
                A::ParticipantInvite(_) => {
                    facts.added.push(date);
                    *facts.by_inviter.entry(entry.user).or_default() += 1;
                }
                A::ParticipantLeave => facts.left.push(date),
                A::DeleteMessage(_) => {
                    facts.deleted.push(date);
                    facts.by_admin.entry(entry.user).or_default().0 += 1;
                }
                A::ParticipantToggleBan(ban) => {
                    let enums::ChannelParticipant::Banned(now) = &ban.new_participant else {
                        continue; // lifted
                    };
                    let enums::ChatBannedRights::ChatBannedRights(rights) = &now.banned_rights;
                    let counts = facts.by_admin.entry(entry.user).or_default();
                    if rights.view_messages {
                        facts.banned.push(date);
                        facts.left.push(date);
                        counts.1 += 1;
                    } else {
                        facts.restricted.push(date);
                        counts.2 += 1;
                    }
                }
                _ => {}
            }
        }
        facts
    }
}

/// The language each user's clients said they speak (`initConnection`'s `lang_code`), "unknown"
/// for users whose clients sent none.
fn language_of(cx: &Cx<'_>, user: i64) -> String {
    cx.state
        .authorizations
        .iter()
        .filter(|(_, auth)| auth.user_id == user)
        .find_map(|(key, _)| cx.rt.lang_code_of(*key))
        .filter(|code| !code.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Message dates of `rec` (service messages left out).
fn message_dates(rec: &ChannelRec) -> Vec<i32> {
    rec.store
        .messages
        .values()
        .filter(|m| m.action.is_none())
        .map(|m| m.date)
        .collect()
}

/// When the posts of broadcast channel `channel` (only post `post`, if given) were forwarded,
/// once per forward (the copies of one forward in the sender's and the receivers' boxes share
/// a global id).
fn forwards(state: &State, channel: i64, post: Option<i32>) -> Vec<i32> {
    let mut seen = BTreeSet::new();
    let boxes = state.boxes.values().map(|b| &b.store);
    let channels = state.channels.values().map(|c| &c.store);
    boxes
        .chain(channels)
        .flat_map(|store| store.messages.values())
        .filter(|m| {
            m.peer != Peer::Channel(channel)
                && m.fwd.as_ref().is_some_and(|f| {
                    f.from == Some(Peer::Channel(channel))
                        && f.channel_post.is_some()
                        && post.is_none_or(|p| f.channel_post == Some(p))
                })
        })
        .filter(|m| seen.insert(m.global_id))
        .map(|m| m.date)
        .collect()
}

fn line(name: &str, series: Series) -> (String, Series) {
    (name.to_owned(), series)
}

/// The lines of async graph `name` of `rec`, as `me` asks for them.
fn graph_lines(
    cx: &Cx<'_>,
    rec: &ChannelRec,
    name: &str,
) -> Option<(Vec<(String, Series)>, &'static str)> {
    let facts = || LogFacts::of(rec, cx.now - PERIOD_DAYS * DAY);
    let joined = |f: &LogFacts| {
        let mut all = f.joined_by_search.clone();
        all.extend(&f.joined_by_link);
        all.extend(&f.added);
        all
    };
    Some(match name {
        "growth" => {
            let dates = rec.members.values().map(|m| m.date).collect();
            (vec![line("Total", Series::Total(dates))], "line")
        }
        "followers" | "members" => {
            let f = facts();
            (
                vec![
                    line("Joined", Series::Count(joined(&f))),
                    line("Left", Series::Count(f.left)),
                ],
                "line",
            )
        }
        "mute" => (
            vec![
                line("Muted", Series::Count(Vec::new())),
                line("Unmuted", Series::Count(Vec::new())),
            ],
            "line",
        ),
        "interactions" => (
            vec![
                line("Views", Series::Count(message_dates(rec))),
                line("Shares", Series::Count(forwards(cx.state, rec.id, None))),
            ],
            "line",
        ),
        "views_by_source" => (
            vec![line("Followers", Series::Count(message_dates(rec)))],
            "bar",
        ),
        "new_followers_by_source" | "new_members_by_source" => {
            let f = facts();
            (
                vec![
                    line("Search", Series::Count(f.joined_by_search)),
                    line("Invite links", Series::Count(f.joined_by_link)),
                    line("Added by members", Series::Count(f.added)),
                ],
                "bar",
            )
        }
        "languages" => {
            let mut by_language: BTreeMap<String, Vec<i32>> = BTreeMap::new();
            for (&user, member) in &rec.members {
                by_language
                    .entry(language_of(cx, user))
                    .or_default()
                    .push(member.date);
            }
            let lines = by_language
                .into_iter()
                .map(|(code, dates)| (code, Series::Total(dates)))
                .collect();
            (lines, "area")
        }
        "messages" => (
            vec![line("Messages", Series::Count(message_dates(rec)))],
            "line",
        ),
        "actions" => {
            let f = facts();
            (
                vec![
                    line("Deleted messages", Series::Count(f.deleted)),
                    line("Restricted users", Series::Count(f.restricted)),
                    line("Banned users", Series::Count(f.banned)),
                ],
                "line",
            )
        }
        _ => return None,
    })
}

/// A chart by hour of the day (UTC) or by day of the week (Monday first) of `dates`.
fn cycle_chart(dates: &[i32], name: &str, weekdays: bool) -> String {
    let (len, slot): (usize, fn(i32) -> usize) = if weekdays {
        // 1970-01-01 was a Thursday: day 0 is Monday's index 3.
        (7, |d| {
            usize::try_from((d.div_euclid(DAY) + 3).rem_euclid(7)).unwrap_or(0)
        })
    } else {
        (24, |d| {
            usize::try_from(d.rem_euclid(DAY) / HOUR).unwrap_or(0)
        })
    };
    let mut counts = vec![0_i64; len];
    for &date in dates {
        if let Some(count) = counts.get_mut(slot(date)) {
            *count += 1;
        }
    }
    let x: Vec<i64> = (0..len).map(|i| i64::try_from(i).unwrap_or(0)).collect();
    chart(&x, &[(name.to_owned(), counts)], "bar")
}

/// An inline chart over the period's days whose lines are all zero: what the test server has
/// no data for (it has no Instant View or stories).
fn zero_chart(now: i32, names: &[&str]) -> enums::StatsGraph {
    let lines = names
        .iter()
        .map(|n| line(n, Series::Count(Vec::new())))
        .collect();
    inline(time_chart(Axis::Days { now }, lines, "line"), None)
}

/// (current, previous period) of a count of dated things.
fn abs(dates: impl Iterator<Item = i32> + Clone, now: i32) -> enums::StatsAbsValueAndPrev {
    let since = now - PERIOD_DAYS * DAY;
    let before = since - PERIOD_DAYS * DAY;
    let current = dates.clone().filter(|&d| d >= since).count();
    let previous = dates.filter(|&d| d >= before && d < since).count();
    value(current as f64, previous as f64)
}

fn value(current: f64, previous: f64) -> enums::StatsAbsValueAndPrev {
    types::StatsAbsValueAndPrev { current, previous }.into()
}

fn members_value(rec: &ChannelRec, now: i32) -> enums::StatsAbsValueAndPrev {
    let since = now - PERIOD_DAYS * DAY;
    let current = rec.members.len();
    let previous = rec.members.values().filter(|m| m.date < since).count();
    value(current as f64, previous as f64)
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
    let posts = message_dates(rec);
    let shares = forwards(cx.state, id, None);
    // Every post is seen once (by its poster) on the test server.
    let views_per_post = abs(posts.iter().copied(), now);
    let shares_per_post = abs(shares.iter().copied(), now);
    let recent_posts_interactions = rec
        .store
        .messages
        .values()
        .rev()
        .filter(|m| m.action.is_none())
        .take(20)
        .map(|m| {
            let shared = forwards(cx.state, id, Some(m.id)).len();
            types::PostInteractionCountersMessage {
                msg_id: m.id,
                views: 1,
                forwards: i32::try_from(shared).unwrap_or(i32::MAX),
                reactions: 0,
            }
            .into()
        })
        .collect();
    let members = i32::try_from(rec.members.len()).unwrap_or(i32::MAX);
    Ok(types::stats::BroadcastStats {
        period: period(now),
        followers: members_value(rec, now),
        views_per_post,
        shares_per_post,
        reactions_per_post: value(0.0, 0.0),
        views_per_story: value(0.0, 0.0),
        shares_per_story: value(0.0, 0.0),
        reactions_per_story: value(0.0, 0.0),
        // Nobody can mute on the test server: everyone gets notifications.
        enabled_notifications: types::StatsPercentValue {
            part: f64::from(members),
            total: f64::from(members),
        }
        .into(),
        growth_graph: deferred(id, "growth"),
        followers_graph: deferred(id, "followers"),
        mute_graph: deferred(id, "mute"),
        top_hours_graph: inline(cycle_chart(&posts, "Views", false), None),
        interactions_graph: deferred(id, "interactions"),
        iv_interactions_graph: zero_chart(now, &["Instant View views", "Instant View shares"]),
        views_by_source_graph: deferred(id, "views_by_source"),
        new_followers_by_source_graph: deferred(id, "new_followers_by_source"),
        languages_graph: deferred(id, "languages"),
        reactions_by_emotion_graph: zero_chart(now, &[]),
        story_interactions_graph: zero_chart(now, &["Views", "Shares"]),
        story_reactions_by_emotion_graph: zero_chart(now, &[]),
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
    let before = since - PERIOD_DAYS * DAY;
    let id = rec.id;
    let dates = message_dates(rec);
    // (messages, characters) per author in the period, and who posted in the one before.
    let mut posters: BTreeMap<i64, (i32, usize)> = BTreeMap::new();
    let mut earlier_posters = BTreeSet::new();
    for msg in rec.store.messages.values() {
        let (None, Some(Peer::User(author))) = (&msg.action, msg.from) else {
            continue;
        };
        if msg.date >= since {
            let entry = posters.entry(author).or_default();
            entry.0 += 1;
            entry.1 += msg.text.chars().count();
        } else if msg.date >= before {
            earlier_posters.insert(author);
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
    let facts = LogFacts::of(rec, since);
    let mut admins: Vec<(i64, (i32, i32, i32))> = facts.by_admin.into_iter().collect();
    admins.sort_by(|a, b| {
        let total = |c: (i32, i32, i32)| c.0 + c.1 + c.2;
        total(b.1).cmp(&total(a.1)).then(a.0.cmp(&b.0))
    });
    let top_admins = admins
        .iter()
        .take(10)
        .map(|&(user_id, (deleted, kicked, banned))| {
            refs.user(user_id);
            types::StatsGroupTopAdmin {
                user_id,
                deleted,
                kicked,
                banned,
            }
            .into()
        })
        .collect();
    let mut inviters: Vec<(i64, i32)> = facts.by_inviter.into_iter().collect();
    inviters.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top_inviters = inviters
        .iter()
        .take(10)
        .map(|&(user_id, invitations)| {
            refs.user(user_id);
            types::StatsGroupTopInviter {
                user_id,
                invitations,
            }
            .into()
        })
        .collect();
    Ok(types::stats::MegagroupStats {
        period: period(now),
        members: members_value(rec, now),
        messages: abs(dates.iter().copied(), now),
        viewers: members_value(rec, now),
        posters: value(top.len() as f64, earlier_posters.len() as f64),
        growth_graph: deferred(id, "growth"),
        members_graph: deferred(id, "members"),
        new_members_by_source_graph: deferred(id, "new_members_by_source"),
        languages_graph: deferred(id, "languages"),
        messages_graph: deferred(id, "messages"),
        actions_graph: deferred(id, "actions"),
        top_hours_graph: inline(cycle_chart(&dates, "Messages", false), None),
        weekdays_graph: inline(cycle_chart(&dates, "Messages", true), None),
        top_posters,
        top_admins,
        top_inviters,
        users: refs.users(cx.state, me),
    }
    .into())
}

/// Loads an async graph; with `x` (a day, in milliseconds) the zoomed-in graph of that day
/// by hour.
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
    let (lines, kind) = graph_lines(cx, rec, name).ok_or_else(invalid)?;
    let (axis, zoom) = match req.x {
        None => (Axis::Days { now: cx.now }, Some(req.token.clone())),
        Some(x) => {
            let day = i32::try_from(x.div_euclid(1000)).map_err(|_| invalid())?;
            (Axis::Hours { day: day_of(day) }, None)
        }
    };
    Ok(inline(time_chart(axis, lines, kind), zoom.map(Into::into)))
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
    // One view (the poster's) when it was posted; its shares when they were made.
    let shares = forwards(cx.state, rec.id, Some(msg.id));
    let lines = vec![
        line("Views", Series::Count(vec![msg.date])),
        line("Shares", Series::Count(shares)),
    ];
    Ok(types::stats::MessageStats {
        views_graph: inline(time_chart(Axis::Days { now: cx.now }, lines, "line"), None),
        reactions_by_emotion_graph: zero_chart(cx.now, &[]),
    }
    .into())
}
