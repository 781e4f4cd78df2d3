//! Inline mode from both sides.
//!
//! A user asks a bot with [`Client::inline_query`] (or [`Client::inline_query_in`] a chat)
//! and gets [`InlineResults`]; [`InlineResult::click`] sends one into a chat
//! (`messages.sendInlineBotResult`, a message "via @bot"). A bot answers the
//! [`InlineQueryEvent`](crate::events::InlineQueryEvent) with
//! [`answer`](crate::events::InlineQueryEvent::answer) and a list of [`InputInlineResult`]s
//! built here: articles, photos, documents, videos, audio, games, contacts, locations and
//! venues, from files uploaded for the purpose or media Telegram already has.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use rand::Rng;
use tgwire_tl_types::{enums, functions, types};

use super::click::input_bot;
use crate::types::chat::input_peer;
use crate::{Client, InputMedia, InputMessage, InvocationError, Message, PeerQuery, PeerRef};

/// A bot's answer to a user's inline query, as the user sees it.
#[derive(Clone, Debug)]
pub struct InlineResults {
    client: Client,
    bot: i64,
    chat: PeerRef,
    query: String,
    raw: types::messages::BotResults,
}

impl InlineResults {
    /// The query id (valid for sending these results).
    pub fn query_id(&self) -> i64 {
        self.raw.query_id
    }

    /// The results, in the bot's order.
    pub fn results(&self) -> Vec<InlineResult> {
        self.raw
            .results
            .iter()
            .map(|raw| InlineResult {
                client: self.client.clone(),
                query_id: self.raw.query_id,
                raw: raw.clone(),
            })
            .collect()
    }

    /// How many results there are.
    pub fn len(&self) -> usize {
        self.raw.results.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.raw.results.is_empty()
    }

    /// The offset of the next page, if the bot has more.
    pub fn next_offset(&self) -> Option<&str> {
        self.raw.next_offset.as_deref()
    }

    /// Whether the results are meant to be shown as a grid.
    pub fn gallery(&self) -> bool {
        self.raw.gallery
    }

    /// How long (seconds) the server may serve these results to the same query.
    pub fn cache_time(&self) -> i32 {
        self.raw.cache_time
    }

    /// The bot's "switch to private chat" button: its text and `/start` parameter.
    pub fn switch_pm(&self) -> Option<(&str, &str)> {
        match self.raw.switch_pm.as_ref()? {
            enums::InlineBotSwitchPm::InlineBotSwitchPm(pm) => Some((&pm.text, &pm.start_param)),
        }
    }

    /// The chat the query was typed in.
    pub fn chat(&self) -> PeerRef {
        self.chat
    }

    /// The raw answer.
    pub fn raw(&self) -> &types::messages::BotResults {
        &self.raw
    }

    /// The next page (the same query at [`next_offset`](Self::next_offset)), `None` when
    /// the bot has no more.
    ///
    /// # Errors
    ///
    /// As [`Client::inline_query`].
    pub async fn next_page(&self) -> Result<Option<InlineResults>, InvocationError> {
        let Some(offset) = self.next_offset() else {
            return Ok(None);
        };
        self.client
            .ask_inline(self.bot, &self.query, self.chat, offset)
            .await
            .map(Some)
    }
}

/// One inline result a bot offered.
#[derive(Clone, Debug)]
pub struct InlineResult {
    client: Client,
    query_id: i64,
    raw: enums::BotInlineResult,
}

impl InlineResult {
    /// The result's id (unique in its answer).
    pub fn id(&self) -> &str {
        match &self.raw {
            enums::BotInlineResult::BotInlineResult(r) => &r.id,
            enums::BotInlineResult::BotInlineMediaResult(r) => &r.id,
        }
    }

    /// Its kind as the bot said: `article`, `photo`, `file`, `video`, `audio`, `game`,
    /// `contact`, `geo`, `venue`, …
    pub fn kind(&self) -> &str {
        match &self.raw {
            enums::BotInlineResult::BotInlineResult(r) => &r.r#type,
            enums::BotInlineResult::BotInlineMediaResult(r) => &r.r#type,
        }
    }

    /// Its title.
    pub fn title(&self) -> Option<&str> {
        match &self.raw {
            enums::BotInlineResult::BotInlineResult(r) => r.title.as_deref(),
            enums::BotInlineResult::BotInlineMediaResult(r) => r.title.as_deref(),
        }
    }

    /// Its description.
    pub fn description(&self) -> Option<&str> {
        match &self.raw {
            enums::BotInlineResult::BotInlineResult(r) => r.description.as_deref(),
            enums::BotInlineResult::BotInlineMediaResult(r) => r.description.as_deref(),
        }
    }

    /// Its URL (articles).
    pub fn url(&self) -> Option<&str> {
        match &self.raw {
            enums::BotInlineResult::BotInlineResult(r) => r.url.as_deref(),
            enums::BotInlineResult::BotInlineMediaResult(_) => None,
        }
    }

    /// The text (or caption) sending it posts.
    pub fn message_text(&self) -> &str {
        let message = match &self.raw {
            enums::BotInlineResult::BotInlineResult(r) => &r.send_message,
            enums::BotInlineResult::BotInlineMediaResult(r) => &r.send_message,
        };
        match message {
            enums::BotInlineMessage::MediaAuto(m) => &m.message,
            enums::BotInlineMessage::Text(m) => &m.message,
            enums::BotInlineMessage::MediaWebPage(m) => &m.message,
            _ => "",
        }
    }

    /// The raw result.
    pub fn raw(&self) -> &enums::BotInlineResult {
        &self.raw
    }

    /// Sends this result into `chat` (a message "via @bot") and returns it.
    ///
    /// # Errors
    ///
    /// Peer resolution and the server's (`QUERY_ID_INVALID` once the answer expired,
    /// `RESULT_ID_INVALID`, `CHAT_WRITE_FORBIDDEN`, …).
    pub async fn click(&self, chat: impl Into<PeerQuery>) -> Result<Message, InvocationError> {
        let peer = self.client.resolve(chat).await?;
        let random_id: i64 = rand::thread_rng().gen();
        let updates = self
            .client
            .invoke(&functions::messages::SendInlineBotResult {
                silent: false,
                background: false,
                clear_draft: false,
                hide_via: false,
                peer: input_peer(peer),
                reply_to: None,
                random_id,
                query_id: self.query_id,
                id: self.id().into(),
                schedule_date: None,
                send_as: None,
                quick_reply_shortcut: None,
                allow_paid_stars: None,
            })
            .await?;
        self.client
            .messages_from_updates(updates, Some(&[random_id]))
            .pop()
            .ok_or(InvocationError::UnexpectedAnswer(
                "sendInlineBotResult without the new message",
            ))
    }
}

impl Client {
    /// Asks `bot` for its inline results for `query`, as if typed in the bot's own chat.
    ///
    /// # Errors
    ///
    /// Peer resolution and the server's: `BOT_INLINE_DISABLED` (inline mode off),
    /// `BOT_RESPONSE_TIMEOUT` (the bot did not answer), …
    pub async fn inline_query(
        &self,
        bot: impl Into<PeerQuery>,
        query: &str,
    ) -> Result<InlineResults, InvocationError> {
        let bot = self.resolve(bot).await?;
        self.ask_inline(bot.id(), query, bot, "").await
    }

    /// Asks `bot` for its inline results for `query` typed in `chat` (the bot learns the kind
    /// of chat).
    ///
    /// # Errors
    ///
    /// As [`inline_query`](Self::inline_query).
    pub async fn inline_query_in(
        &self,
        bot: impl Into<PeerQuery>,
        query: &str,
        chat: impl Into<PeerQuery>,
    ) -> Result<InlineResults, InvocationError> {
        let bot = self.resolve(bot).await?;
        let chat = self.resolve(chat).await?;
        self.ask_inline(bot.id(), query, chat, "").await
    }

    async fn ask_inline(
        &self,
        bot: i64,
        query: &str,
        chat: PeerRef,
        offset: &str,
    ) -> Result<InlineResults, InvocationError> {
        let enums::messages::BotResults::BotResults(raw) = self
            .invoke(&functions::messages::GetInlineBotResults {
                bot: input_bot(self, bot)?,
                peer: input_peer(chat),
                geo_point: None,
                query: query.into(),
                offset: offset.into(),
            })
            .await?;
        Ok(InlineResults {
            client: self.clone(),
            bot,
            chat,
            query: query.to_owned(),
            raw: *raw,
        })
    }
}

/// One result a bot offers in its answer to an inline query (see
/// [`InlineQueryEvent::answer`](crate::events::InlineQueryEvent::answer)).
///
/// Results without an [`id`](Self::id) are numbered by their position in the answer.
///
/// ```
/// use tgwire::{Button, InputInlineResult, InputMessage};
///
/// let results = vec![
///     InputInlineResult::article("Hello", InputMessage::markdown("**Hello!**"))
///         .description("says hello")
///         .buttons(vec![Button::inline("Again", "again")]),
///     InputInlineResult::location("Home", 52.52, 13.405),
///     InputInlineResult::contact("+99966200001", "Ada", "Lovelace"),
/// ];
/// assert_eq!(results.len(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct InputInlineResult {
    id: Option<String>,
    kind: Kind,
    title: Option<String>,
    description: Option<String>,
    url: Option<String>,
    thumb: Option<String>,
    message: InputMessage,
}

// Short-lived (one per result while an answer is built), so its size does not matter; `InputMedia`
// is large since small TL constructors are held in place in their enums.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum Kind {
    Article,
    Media {
        media: InputMedia,
        kind: &'static str,
    },
    Game(String),
    Contact {
        phone: String,
        first: String,
        last: String,
    },
    Location {
        lat: f64,
        long: f64,
    },
    Venue {
        lat: f64,
        long: f64,
        address: String,
        provider: String,
        venue_id: String,
        venue_type: String,
    },
}

impl InputInlineResult {
    fn with(kind: Kind, title: Option<String>, message: InputMessage) -> Self {
        InputInlineResult {
            id: None,
            kind,
            title,
            description: None,
            url: None,
            thumb: None,
            message,
        }
    }

    /// A text result: choosing it sends `message`.
    pub fn article(title: impl Into<String>, message: impl Into<InputMessage>) -> Self {
        Self::with(Kind::Article, Some(title.into()), message.into())
    }

    /// A photo: uploaded ([`InputMedia::photo`] of an [`UploadedFile`](crate::UploadedFile))
    /// or one Telegram has ([`InputMedia::existing`]); the caption comes from
    /// [`message`](Self::message).
    pub fn photo(media: InputMedia) -> Self {
        Self::with(
            Kind::Media {
                media,
                kind: "photo",
            },
            None,
            InputMessage::text(""),
        )
    }

    /// A document (any file), uploaded or existing.
    pub fn document(media: InputMedia, title: impl Into<String>) -> Self {
        Self::media(media, "file", title)
    }

    /// A video, uploaded (give it [`InputMedia::video`]'s attributes) or existing.
    pub fn video(media: InputMedia, title: impl Into<String>) -> Self {
        Self::media(media, "video", title)
    }

    /// An audio file, uploaded (give it [`InputMedia::audio`]'s attributes) or existing.
    pub fn audio(media: InputMedia, title: impl Into<String>) -> Self {
        Self::media(media, "audio", title)
    }

    fn media(media: InputMedia, kind: &'static str, title: impl Into<String>) -> Self {
        Self::with(
            Kind::Media { media, kind },
            Some(title.into()),
            InputMessage::text(""),
        )
    }

    /// The bot's game `short_name` (registered with BotFather).
    pub fn game(short_name: impl Into<String>) -> Self {
        Self::with(Kind::Game(short_name.into()), None, InputMessage::text(""))
    }

    /// A contact card.
    pub fn contact(
        phone: impl Into<String>,
        first_name: impl Into<String>,
        last_name: impl Into<String>,
    ) -> Self {
        let first: String = first_name.into();
        Self::with(
            Kind::Contact {
                phone: phone.into(),
                first: first.clone(),
                last: last_name.into(),
            },
            Some(first),
            InputMessage::text(""),
        )
    }

    /// A location on the map.
    pub fn location(title: impl Into<String>, lat: f64, long: f64) -> Self {
        Self::with(
            Kind::Location { lat, long },
            Some(title.into()),
            InputMessage::text(""),
        )
    }

    /// A venue: a titled location with an address.
    pub fn venue(
        title: impl Into<String>,
        lat: f64,
        long: f64,
        address: impl Into<String>,
    ) -> Self {
        Self::with(
            Kind::Venue {
                lat,
                long,
                address: address.into(),
                provider: String::new(),
                venue_id: String::new(),
                venue_type: String::new(),
            },
            Some(title.into()),
            InputMessage::text(""),
        )
    }

    /// The result's id (at most 64 bytes, unique in the answer); it comes back in the bot's
    /// `updateBotInlineSend` when a user picks it.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The title shown in the results.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The description shown under the title.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// A URL the result is about (articles).
    #[must_use]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// A thumbnail image URL (articles and locations).
    #[must_use]
    pub fn thumb(mut self, url: impl Into<String>) -> Self {
        self.thumb = Some(url.into());
        self
    }

    /// The text (or caption for media) sent, with its formatting and buttons.
    #[must_use]
    pub fn message(mut self, message: impl Into<InputMessage>) -> Self {
        self.message = message.into();
        self
    }

    /// Buttons under the sent message (an inline keyboard; its callbacks come back as
    /// inline-message callback queries).
    #[must_use]
    pub fn buttons(mut self, markup: impl Into<crate::ReplyMarkup>) -> Self {
        self.message = self.message.buttons(markup);
        self
    }

    /// The raw result, uploading media first when needed (`messages.uploadMedia`).
    async fn to_raw(
        &self,
        client: &Client,
        position: usize,
    ) -> Result<enums::InputBotInlineResult, InvocationError> {
        let id = self.id.clone().unwrap_or_else(|| position.to_string());
        let markup = self.message.reply_markup.clone();
        let auto = || -> enums::InputBotInlineMessage {
            types::InputBotInlineMessageMediaAuto {
                invert_media: false,
                message: self.message.text.clone().into(),
                entities: self.message.input_entities(client),
                reply_markup: markup.clone(),
            }
            .into()
        };
        let web = |send_message: enums::InputBotInlineMessage, kind: &str| {
            types::InputBotInlineResult {
                id: id.clone().into(),
                r#type: kind.into(),
                title: self.title.clone().map(Into::into),
                description: self.description.clone().map(Into::into),
                url: self.url.clone().map(Into::into),
                thumb: self.thumb.as_ref().map(|url| {
                    types::InputWebDocument {
                        url: url.clone().into(),
                        size: 0,
                        mime_type: "image/jpeg".into(),
                        attributes: Vec::new(),
                    }
                    .into()
                }),
                content: None,
                send_message,
            }
            .into()
        };
        let point = |lat: f64, long: f64| -> enums::InputGeoPoint {
            types::InputGeoPoint {
                lat,
                long,
                accuracy_radius: None,
            }
            .into()
        };
        Ok(match &self.kind {
            Kind::Article => web(
                types::InputBotInlineMessageText {
                    no_webpage: !self.message.link_preview,
                    invert_media: false,
                    message: self.message.text.clone().into(),
                    entities: self.message.input_entities(client),
                    reply_markup: markup.clone(),
                }
                .into(),
                "article",
            ),
            Kind::Contact { phone, first, last } => web(
                types::InputBotInlineMessageMediaContact {
                    phone_number: phone.clone().into(),
                    first_name: first.clone().into(),
                    last_name: last.clone().into(),
                    vcard: String::new().into(),
                    reply_markup: markup.clone(),
                }
                .into(),
                "contact",
            ),
            Kind::Location { lat, long } => web(
                types::InputBotInlineMessageMediaGeo {
                    geo_point: point(*lat, *long),
                    heading: None,
                    period: None,
                    proximity_notification_radius: None,
                    reply_markup: markup.clone(),
                }
                .into(),
                "geo",
            ),
            Kind::Venue {
                lat,
                long,
                address,
                provider,
                venue_id,
                venue_type,
            } => web(
                types::InputBotInlineMessageMediaVenue {
                    geo_point: point(*lat, *long),
                    title: self.title.clone().unwrap_or_default().into(),
                    address: address.clone().into(),
                    provider: provider.clone().into(),
                    venue_id: venue_id.clone().into(),
                    venue_type: venue_type.clone().into(),
                    reply_markup: markup.clone(),
                }
                .into(),
                "venue",
            ),
            Kind::Game(short_name) => types::InputBotInlineResultGame {
                id: id.into(),
                short_name: short_name.clone().into(),
                send_message: types::InputBotInlineMessageGame {
                    reply_markup: markup.clone(),
                }
                .into(),
            }
            .into(),
            Kind::Media { media, kind } => match existing(client, media).await? {
                enums::InputMedia::Photo(photo) => types::InputBotInlineResultPhoto {
                    id: id.into(),
                    r#type: (*kind).into(),
                    photo: photo.id,
                    send_message: auto(),
                }
                .into(),
                enums::InputMedia::Document(doc) => types::InputBotInlineResultDocument {
                    id: id.into(),
                    r#type: (*kind).into(),
                    title: self.title.clone().map(Into::into),
                    description: self.description.clone().map(Into::into),
                    document: doc.id,
                    send_message: auto(),
                }
                .into(),
                _ => {
                    return Err(InvocationError::InvalidArgument(
                        "inline results take photos and documents".into(),
                    ))
                }
            },
        })
    }
}

/// `media` as a photo or document Telegram has, uploading it first if it is a new file.
async fn existing(
    client: &Client,
    media: &InputMedia,
) -> Result<enums::InputMedia, InvocationError> {
    let raw = media.to_raw();
    if matches!(
        raw,
        enums::InputMedia::Photo(_) | enums::InputMedia::Document(_)
    ) {
        return Ok(raw);
    }
    let uploaded = client
        .invoke(&functions::messages::UploadMedia {
            business_connection_id: None,
            peer: enums::InputPeer::InputPeerSelf,
            media: raw,
        })
        .await?;
    InputMedia::from_media(&uploaded)
        .map(|m| m.to_raw())
        .ok_or(InvocationError::UnexpectedAnswer(
            "uploadMedia without a photo or document",
        ))
}

/// A bot's answer to an inline query being built; `.await` (or [`send`](Self::send)) sends it.
#[must_use = "an answer does nothing until awaited"]
#[derive(Debug)]
pub struct InlineAnswer {
    client: Client,
    query_id: i64,
    results: Vec<InputInlineResult>,
    gallery: bool,
    private: bool,
    cache_time: i32,
    next_offset: Option<String>,
    switch_pm: Option<(String, String)>,
}

impl InlineAnswer {
    pub(crate) fn new(client: Client, query_id: i64, results: Vec<InputInlineResult>) -> Self {
        InlineAnswer {
            client,
            query_id,
            results,
            gallery: false,
            private: false,
            // Telegram's default.
            cache_time: 300,
            next_offset: None,
            switch_pm: None,
        }
    }

    /// Shows the results as a grid (photos, videos, GIFs).
    pub fn gallery(mut self, gallery: bool) -> Self {
        self.gallery = gallery;
        self
    }

    /// Caches the answer for this user only (results that depend on who asks).
    pub fn private(mut self, private: bool) -> Self {
        self.private = private;
        self
    }

    /// How long (seconds) Telegram may serve this answer to the same query without asking
    /// again (default 300; 0 to ask every time).
    pub fn cache_time(mut self, seconds: i32) -> Self {
        self.cache_time = seconds;
        self
    }

    /// The offset the user's app sends to get the next page (empty or absent: no more).
    pub fn next_offset(mut self, offset: impl Into<String>) -> Self {
        self.next_offset = Some(offset.into());
        self
    }

    /// A button above the results that opens the bot's private chat with `/start param`.
    pub fn switch_pm(mut self, text: impl Into<String>, start_param: impl Into<String>) -> Self {
        self.switch_pm = Some((text.into(), start_param.into()));
        self
    }

    /// Sends the answer (`messages.setInlineBotResults`).
    ///
    /// # Errors
    ///
    /// Upload errors for media results, and the server's: `QUERY_ID_INVALID` (too late),
    /// `RESULT_ID_DUPLICATE`, `RESULTS_TOO_MUCH`, `START_PARAM_INVALID`, …
    pub async fn send(self) -> Result<(), InvocationError> {
        let mut results = Vec::with_capacity(self.results.len());
        for (position, result) in self.results.iter().enumerate() {
            results.push(result.to_raw(&self.client, position).await?);
        }
        self.client
            .invoke(&functions::messages::SetInlineBotResults {
                gallery: self.gallery,
                private: self.private,
                query_id: self.query_id,
                results,
                cache_time: self.cache_time,
                next_offset: self.next_offset.map(Into::into),
                switch_pm: self.switch_pm.map(|(text, start_param)| {
                    types::InlineBotSwitchPm {
                        text: text.into(),
                        start_param: start_param.into(),
                    }
                    .into()
                }),
                switch_webview: None,
            })
            .await?;
        Ok(())
    }
}

impl IntoFuture for InlineAnswer {
    type Output = Result<(), InvocationError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
