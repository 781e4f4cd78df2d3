//! Channel and supergroup statistics, with every graph loaded.

use tgwire_tl_types::{enums, functions};

use super::require_group;
use crate::types::chat::input_channel;
use crate::{Client, InvocationError, PeerQuery};

/// One statistics graph.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Graph {
    /// The chart, as Telegram's chart JSON (`columns`, `types`, `names`, …).
    Data {
        /// The JSON text.
        json: String,
        /// A token to load a zoomed-in part (`stats.loadAsyncGraph` with `x`).
        zoom_token: Option<String>,
    },
    /// The server has no chart (e.g. "Not enough data to display.").
    Error(String),
}

impl Graph {
    /// The chart JSON, if there is a chart.
    pub fn json(&self) -> Option<&str> {
        match self {
            Graph::Data { json, .. } => Some(json),
            Graph::Error(_) => None,
        }
    }

    /// The token to load a zoomed-in part of the chart with, if it has one (see
    /// [`Client::zoom_graph`]).
    pub fn zoom_token(&self) -> Option<&str> {
        match self {
            Graph::Data { zoom_token, .. } => zoom_token.as_deref(),
            Graph::Error(_) => None,
        }
    }
}

/// A current value and the one of the previous period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StatValue {
    /// This period.
    pub current: f64,
    /// The period before.
    pub previous: f64,
}

impl StatValue {
    fn from_raw(raw: &enums::StatsAbsValueAndPrev) -> Self {
        let enums::StatsAbsValueAndPrev::StatsAbsValueAndPrev(v) = raw;
        Self {
            current: v.current,
            previous: v.previous,
        }
    }
}

/// A broadcast channel's or supergroup's statistics ([`Client::get_stats`]), every graph
/// already loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelStats {
    raw: RawStats,
    graphs: Vec<(&'static str, Graph)>,
}

/// The raw statistics object behind [`ChannelStats`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RawStats {
    /// A broadcast channel's.
    Broadcast(enums::stats::BroadcastStats),
    /// A supergroup's.
    Megagroup(enums::stats::MegagroupStats),
}

impl ChannelStats {
    /// The raw object (graphs as the server first sent them, possibly tokens).
    pub fn raw(&self) -> &RawStats {
        &self.raw
    }

    /// Whether these are a broadcast channel's statistics.
    pub fn is_broadcast(&self) -> bool {
        matches!(self.raw, RawStats::Broadcast(_))
    }

    /// The period covered (Unix times).
    pub fn period(&self) -> (i32, i32) {
        let enums::StatsDateRangeDays::StatsDateRangeDays(p) = match &self.raw {
            RawStats::Broadcast(enums::stats::BroadcastStats::BroadcastStats(s)) => &s.period,
            RawStats::Megagroup(enums::stats::MegagroupStats::MegagroupStats(s)) => &s.period,
        };
        (p.min_date, p.max_date)
    }

    /// Followers (broadcast) or members (supergroup).
    pub fn members(&self) -> StatValue {
        match &self.raw {
            RawStats::Broadcast(enums::stats::BroadcastStats::BroadcastStats(s)) => {
                StatValue::from_raw(&s.followers)
            }
            RawStats::Megagroup(enums::stats::MegagroupStats::MegagroupStats(s)) => {
                StatValue::from_raw(&s.members)
            }
        }
    }

    /// Messages sent (supergroups) or views per post (broadcast channels).
    pub fn activity(&self) -> StatValue {
        match &self.raw {
            RawStats::Broadcast(enums::stats::BroadcastStats::BroadcastStats(s)) => {
                StatValue::from_raw(&s.views_per_post)
            }
            RawStats::Megagroup(enums::stats::MegagroupStats::MegagroupStats(s)) => {
                StatValue::from_raw(&s.messages)
            }
        }
    }

    /// A value by its schema name, with the previous period's: `"followers"`,
    /// `"views_per_post"`, `"shares_per_post"`, `"reactions_per_post"`, `"views_per_story"`,
    /// `"shares_per_story"`, `"reactions_per_story"` (broadcast channels); `"members"`,
    /// `"messages"`, `"viewers"`, `"posters"` (supergroups).
    pub fn value(&self, name: &str) -> Option<StatValue> {
        let raw = match &self.raw {
            RawStats::Broadcast(enums::stats::BroadcastStats::BroadcastStats(s)) => match name {
                "followers" => &s.followers,
                "views_per_post" => &s.views_per_post,
                "shares_per_post" => &s.shares_per_post,
                "reactions_per_post" => &s.reactions_per_post,
                "views_per_story" => &s.views_per_story,
                "shares_per_story" => &s.shares_per_story,
                "reactions_per_story" => &s.reactions_per_story,
                _ => return None,
            },
            RawStats::Megagroup(enums::stats::MegagroupStats::MegagroupStats(s)) => match name {
                "members" => &s.members,
                "messages" => &s.messages,
                "viewers" => &s.viewers,
                "posters" => &s.posters,
                _ => return None,
            },
        };
        Some(StatValue::from_raw(raw))
    }

    /// For broadcast channels, (followers with notifications on, all followers).
    pub fn enabled_notifications(&self) -> Option<(f64, f64)> {
        match &self.raw {
            RawStats::Broadcast(enums::stats::BroadcastStats::BroadcastStats(s)) => {
                let enums::StatsPercentValue::StatsPercentValue(v) = &s.enabled_notifications;
                Some((v.part, v.total))
            }
            RawStats::Megagroup(_) => None,
        }
    }

    /// For broadcast channels, the latest posts' counters: (message id, views, forwards,
    /// reactions), newest first (stories left out).
    pub fn recent_posts(&self) -> Vec<(i32, i32, i32, i32)> {
        match &self.raw {
            RawStats::Broadcast(enums::stats::BroadcastStats::BroadcastStats(s)) => s
                .recent_posts_interactions
                .iter()
                .filter_map(|p| match p {
                    enums::PostInteractionCounters::Message(m) => {
                        Some((m.msg_id, m.views, m.forwards, m.reactions))
                    }
                    enums::PostInteractionCounters::Story(_) => None,
                })
                .collect(),
            RawStats::Megagroup(_) => Vec::new(),
        }
    }

    /// The most active admins of a supergroup: (user id, messages deleted, users kicked,
    /// users restricted).
    pub fn top_admins(&self) -> Vec<(i64, i32, i32, i32)> {
        match &self.raw {
            RawStats::Megagroup(enums::stats::MegagroupStats::MegagroupStats(s)) => s
                .top_admins
                .iter()
                .map(|a| {
                    let enums::StatsGroupTopAdmin::StatsGroupTopAdmin(a) = a;
                    (a.user_id, a.deleted, a.kicked, a.banned)
                })
                .collect(),
            RawStats::Broadcast(_) => Vec::new(),
        }
    }

    /// Who added the most members to a supergroup: (user id, members added).
    pub fn top_inviters(&self) -> Vec<(i64, i32)> {
        match &self.raw {
            RawStats::Megagroup(enums::stats::MegagroupStats::MegagroupStats(s)) => s
                .top_inviters
                .iter()
                .map(|i| {
                    let enums::StatsGroupTopInviter::StatsGroupTopInviter(i) = i;
                    (i.user_id, i.invitations)
                })
                .collect(),
            RawStats::Broadcast(_) => Vec::new(),
        }
    }

    /// The most active posters of a supergroup: (user id, messages, average characters).
    pub fn top_posters(&self) -> Vec<(i64, i32, i32)> {
        match &self.raw {
            RawStats::Megagroup(enums::stats::MegagroupStats::MegagroupStats(s)) => s
                .top_posters
                .iter()
                .map(|p| {
                    let enums::StatsGroupTopPoster::StatsGroupTopPoster(p) = p;
                    (p.user_id, p.messages, p.avg_chars)
                })
                .collect(),
            RawStats::Broadcast(_) => Vec::new(),
        }
    }

    /// A graph by its schema name: `"growth_graph"`, `"followers_graph"`, `"mute_graph"`,
    /// `"top_hours_graph"`, `"interactions_graph"`, `"iv_interactions_graph"`,
    /// `"views_by_source_graph"`, `"new_followers_by_source_graph"`, `"languages_graph"`,
    /// `"reactions_by_emotion_graph"`, `"story_interactions_graph"`,
    /// `"story_reactions_by_emotion_graph"` (broadcast channels); `"growth_graph"`,
    /// `"members_graph"`, `"new_members_by_source_graph"`, `"languages_graph"`,
    /// `"messages_graph"`, `"actions_graph"`, `"top_hours_graph"`, `"weekdays_graph"`
    /// (supergroups).
    pub fn graph(&self, name: &str) -> Option<&Graph> {
        self.graphs.iter().find(|(n, _)| *n == name).map(|(_, g)| g)
    }

    /// Every graph with its schema name.
    pub fn graphs(&self) -> &[(&'static str, Graph)] {
        &self.graphs
    }
}

/// A message's statistics ([`Client::get_message_stats`]).
#[derive(Clone, Debug, PartialEq)]
pub struct MessageStats {
    /// Views over time.
    pub views: Graph,
    /// Reactions by emotion.
    pub reactions: Graph,
}

impl Client {
    /// A graph, loading it with `stats.loadAsyncGraph` when the server sent a token.
    ///
    /// # Errors
    ///
    /// `GRAPH_INVALID_RELOAD` and other server errors.
    pub async fn load_graph(&self, graph: &enums::StatsGraph) -> Result<Graph, InvocationError> {
        match graph {
            enums::StatsGraph::StatsGraphAsync(token) => {
                self.load_async_graph(token.token.to_string(), None).await
            }
            other => Self::graph_of(other),
        }
    }

    /// The zoomed-in part of `graph` around `x` (a value of its `x` column: for charts over
    /// days, a day in milliseconds, which Telegram answers by hour), loaded with its
    /// [`zoom_token`](Graph::zoom_token); `None` for graphs without one.
    ///
    /// # Errors
    ///
    /// `GRAPH_INVALID_RELOAD` and other server errors.
    pub async fn zoom_graph(
        &self,
        graph: &Graph,
        x: i64,
    ) -> Result<Option<Graph>, InvocationError> {
        match graph.zoom_token() {
            Some(token) => self
                .load_async_graph(token.to_owned(), Some(x))
                .await
                .map(Some),
            None => Ok(None),
        }
    }

    async fn load_async_graph(
        &self,
        token: String,
        x: Option<i64>,
    ) -> Result<Graph, InvocationError> {
        let loaded = self
            .invoke(&functions::stats::LoadAsyncGraph {
                token: token.into(),
                x,
            })
            .await?;
        Self::graph_of(&loaded)
    }

    fn graph_of(graph: &enums::StatsGraph) -> Result<Graph, InvocationError> {
        Ok(match graph {
            enums::StatsGraph::StatsGraph(g) => {
                let enums::DataJson::DataJson(json) = &g.json;
                Graph::Data {
                    json: json.data.to_string(),
                    zoom_token: g.zoom_token.clone().map(Into::into),
                }
            }
            enums::StatsGraph::Error(e) => Graph::Error(e.error.to_string()),
            enums::StatsGraph::StatsGraphAsync(_) => {
                return Err(InvocationError::UnexpectedAnswer(
                    "loadAsyncGraph answered another token",
                ))
            }
        })
    }

    /// The statistics of a broadcast channel or supergroup we administer, with every graph
    /// loaded. Statistics live on a DC of their own; the `STATS_MIGRATE_X` redirect is
    /// followed by [`invoke`](Self::invoke).
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] for basic groups and users; `CHAT_ADMIN_REQUIRED`
    /// and other server errors.
    pub async fn get_stats(
        &self,
        chat: impl Into<PeerQuery>,
    ) -> Result<ChannelStats, InvocationError> {
        let chat = self
            .get_chat(require_group(self.resolve(chat).await?)?)
            .await?;
        let peer = chat
            .peer_ref()
            .ok_or_else(|| InvocationError::PeerNotFound(chat.name()))?;
        let channel = input_channel(peer).ok_or_else(|| {
            InvocationError::InvalidArgument("basic groups have no statistics".into())
        })?;
        let broadcast = matches!(chat, crate::Chat::Channel(_));
        let (raw, pending) = if broadcast {
            let raw = self
                .invoke(&functions::stats::GetBroadcastStats {
                    dark: false,
                    channel,
                })
                .await?;
            let enums::stats::BroadcastStats::BroadcastStats(s) = &raw;
            let pending = vec![
                ("growth_graph", s.growth_graph.clone()),
                ("followers_graph", s.followers_graph.clone()),
                ("mute_graph", s.mute_graph.clone()),
                ("top_hours_graph", s.top_hours_graph.clone()),
                ("interactions_graph", s.interactions_graph.clone()),
                ("iv_interactions_graph", s.iv_interactions_graph.clone()),
                ("views_by_source_graph", s.views_by_source_graph.clone()),
                (
                    "new_followers_by_source_graph",
                    s.new_followers_by_source_graph.clone(),
                ),
                ("languages_graph", s.languages_graph.clone()),
                (
                    "reactions_by_emotion_graph",
                    s.reactions_by_emotion_graph.clone(),
                ),
                (
                    "story_interactions_graph",
                    s.story_interactions_graph.clone(),
                ),
                (
                    "story_reactions_by_emotion_graph",
                    s.story_reactions_by_emotion_graph.clone(),
                ),
            ];
            (RawStats::Broadcast(raw), pending)
        } else {
            let raw = self
                .invoke(&functions::stats::GetMegagroupStats {
                    dark: false,
                    channel,
                })
                .await?;
            let enums::stats::MegagroupStats::MegagroupStats(s) = &raw;
            let pending = vec![
                ("growth_graph", s.growth_graph.clone()),
                ("members_graph", s.members_graph.clone()),
                (
                    "new_members_by_source_graph",
                    s.new_members_by_source_graph.clone(),
                ),
                ("languages_graph", s.languages_graph.clone()),
                ("messages_graph", s.messages_graph.clone()),
                ("actions_graph", s.actions_graph.clone()),
                ("top_hours_graph", s.top_hours_graph.clone()),
                ("weekdays_graph", s.weekdays_graph.clone()),
            ];
            (RawStats::Megagroup(raw), pending)
        };
        let mut graphs = Vec::with_capacity(pending.len());
        for (name, graph) in pending {
            graphs.push((name, self.load_graph(&graph).await?));
        }
        Ok(ChannelStats { raw, graphs })
    }

    /// The statistics of one message of a channel we administer.
    ///
    /// # Errors
    ///
    /// `MESSAGE_ID_INVALID`, `CHAT_ADMIN_REQUIRED` and other server errors.
    pub async fn get_message_stats(
        &self,
        chat: impl Into<PeerQuery>,
        msg_id: i32,
    ) -> Result<MessageStats, InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        let channel = input_channel(peer).ok_or_else(|| {
            InvocationError::InvalidArgument("basic groups have no statistics".into())
        })?;
        let enums::stats::MessageStats::MessageStats(raw) = self
            .invoke(&functions::stats::GetMessageStats {
                dark: false,
                channel,
                msg_id,
            })
            .await?;
        Ok(MessageStats {
            views: self.load_graph(&raw.views_graph).await?,
            reactions: self.load_graph(&raw.reactions_by_emotion_graph).await?,
        })
    }
}
