//! The user's side of buttons: reading a message's keyboard back ([`Message::buttons`]) and
//! pressing a button ([`MessageButton::click`], [`Message::click`]), which does what an app
//! does for its kind.

use rand::Rng;
use tgwire_tl_types::{enums, functions, types};

use super::inline::InlineResults;
use crate::types::chat::{input_peer, input_user};
use crate::{Client, InvocationError, Message, PeerRef};

/// The bot's answer to a pressed callback (or game) button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackAnswer {
    /// The text to show, if any.
    pub message: Option<String>,
    /// Show the text as an alert (a dialog) instead of a toast.
    pub alert: bool,
    /// A URL to open (for games, or a `t.me/yourbot?start=…` link).
    pub url: Option<String>,
    /// How long apps may keep the answer for the same button, in seconds.
    pub cache_time: i32,
}

impl From<enums::messages::BotCallbackAnswer> for CallbackAnswer {
    fn from(raw: enums::messages::BotCallbackAnswer) -> Self {
        let enums::messages::BotCallbackAnswer::BotCallbackAnswer(a) = raw;
        CallbackAnswer {
            message: a.message.map(Into::into),
            alert: a.alert,
            url: a.url.map(Into::into),
            cache_time: a.cache_time,
        }
    }
}

/// What pressing a button did.
#[derive(Clone, Debug)]
#[non_exhaustive]
// A message is held in place (its TL enum holds it unboxed); one value per click, so size is moot.
#[allow(clippy::large_enum_variant)]
pub enum Click {
    /// A callback or game button: the bot's answer.
    Answer(CallbackAnswer),
    /// A URL, login-URL or web-app button: the URL to open (nothing is opened).
    Url(String),
    /// A reply-keyboard text button, or a phone request: the message it sent.
    Sent(Message),
    /// A switch-inline button: the bot's results for its query (typed in the message's chat).
    Inline(InlineResults),
    /// A copy button: the text to copy.
    Copy(String),
}

/// One button of a received message (see [`Message::buttons`]).
#[derive(Clone, Debug)]
pub struct MessageButton {
    message: Message,
    row: usize,
    column: usize,
    kind: Raw,
}

#[derive(Clone, Debug)]
enum Raw {
    Inline(types::KeyboardInlineButton),
    Reply(types::KeyboardButton),
}

impl MessageButton {
    /// The label.
    pub fn text(&self) -> &str {
        match &self.kind {
            Raw::Inline(b) => &b.text,
            Raw::Reply(b) => &b.text,
        }
    }

    /// Its row and column in the keyboard.
    pub fn position(&self) -> (usize, usize) {
        (self.row, self.column)
    }

    /// Whether it is under the message (an inline keyboard's) rather than a reply keyboard's.
    pub fn is_inline(&self) -> bool {
        matches!(self.kind, Raw::Inline(_))
    }

    /// The data a callback button sends.
    pub fn data(&self) -> Option<&[u8]> {
        match &self.kind {
            Raw::Inline(b) => match &b.r#type {
                enums::InlineButtonType::Callback(cb) => Some(&cb.data),
                _ => None,
            },
            Raw::Reply(_) => None,
        }
    }

    /// The URL a URL, login-URL or web-app button opens.
    pub fn url(&self) -> Option<&str> {
        match &self.kind {
            Raw::Inline(b) => match &b.r#type {
                enums::InlineButtonType::Url(u) => Some(&u.url),
                enums::InlineButtonType::UrlAuth(u) => Some(&u.url),
                enums::InlineButtonType::InputInlineButtonTypeUrlAuth(u) => Some(&u.url),
                enums::InlineButtonType::WebView(u) => Some(&u.url),
                _ => None,
            },
            Raw::Reply(b) => match &b.r#type {
                enums::ButtonType::SimpleWebView(u) => Some(&u.url),
                _ => None,
            },
        }
    }

    /// The query of a switch-inline button, and whether it is for the same chat.
    pub fn inline_query(&self) -> Option<(&str, bool)> {
        match &self.kind {
            Raw::Inline(b) => match &b.r#type {
                enums::InlineButtonType::SwitchInline(s) => Some((&s.query, s.same_peer)),
                _ => None,
            },
            Raw::Reply(_) => None,
        }
    }

    /// The raw inline button, for an inline keyboard's.
    pub fn raw_inline(&self) -> Option<&types::KeyboardInlineButton> {
        match &self.kind {
            Raw::Inline(b) => Some(b),
            Raw::Reply(_) => None,
        }
    }

    /// The raw reply-keyboard button, for a reply keyboard's.
    pub fn raw_reply(&self) -> Option<&types::KeyboardButton> {
        match &self.kind {
            Raw::Reply(b) => Some(b),
            Raw::Inline(_) => None,
        }
    }

    /// Presses the button as an app would:
    ///
    /// - callback and game buttons ask the bot (`messages.getBotCallbackAnswer`) and return its
    ///   [`CallbackAnswer`]; a bot that does not answer in time is the RPC error
    ///   `BOT_RESPONSE_TIMEOUT`;
    /// - URL, login-URL and web-app buttons return the URL;
    /// - reply-keyboard text buttons send their text to the chat, phone requests send the
    ///   account's own contact, and return the message;
    /// - switch-inline buttons run the inline query at the bot (in the message's chat) and
    ///   return its results;
    /// - copy buttons return the text.
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] for buttons that need more than a press (buy,
    /// location, poll and peer requests, profile, disabled); otherwise the server's errors.
    pub async fn click(&self) -> Result<Click, InvocationError> {
        let client = self.message.client();
        let chat = self.message.chat_ref()?;
        match &self.kind {
            Raw::Inline(button) => match &button.r#type {
                enums::InlineButtonType::Callback(cb) => {
                    callback(
                        client,
                        chat,
                        self.message.id(),
                        Some(cb.data.to_vec()),
                        false,
                    )
                    .await
                }
                enums::InlineButtonType::Game => {
                    callback(client, chat, self.message.id(), None, true).await
                }
                enums::InlineButtonType::SwitchInline(s) => {
                    let bot = self.message.bot_id().ok_or_else(|| {
                        InvocationError::InvalidArgument("no bot sent this message".into())
                    })?;
                    let results = client.inline_query_in(bot, &s.query, chat).await?;
                    Ok(Click::Inline(results))
                }
                enums::InlineButtonType::Copy(c) => Ok(Click::Copy(c.copy_text.to_string())),
                _ => match self.url() {
                    Some(url) => Ok(Click::Url(url.to_owned())),
                    None => Err(unsupported(self.text())),
                },
            },
            Raw::Reply(button) => match &button.r#type {
                enums::ButtonType::Default => Ok(Click::Sent(
                    client.send_message(chat, button.text.as_str()).await?,
                )),
                enums::ButtonType::RequestPhone => {
                    Ok(Click::Sent(share_phone(client, chat).await?))
                }
                enums::ButtonType::SimpleWebView(u) => Ok(Click::Url(u.url.to_string())),
                _ => Err(unsupported(self.text())),
            },
        }
    }
}

fn unsupported(text: &str) -> InvocationError {
    InvocationError::InvalidArgument(format!(
        "the button {text:?} needs more than a press (use the raw API)"
    ))
}

/// `messages.getBotCallbackAnswer` for message `msg_id` of `chat`.
async fn callback(
    client: &Client,
    chat: PeerRef,
    msg_id: i32,
    data: Option<Vec<u8>>,
    game: bool,
) -> Result<Click, InvocationError> {
    let answer = client
        .invoke(&functions::messages::GetBotCallbackAnswer {
            game,
            peer: input_peer(chat),
            msg_id,
            data: data.map(Into::into),
            password: None,
        })
        .await?;
    Ok(Click::Answer(answer.into()))
}

/// Sends the account's own contact to `chat` (what a phone request button does).
async fn share_phone(client: &Client, chat: PeerRef) -> Result<Message, InvocationError> {
    let me = client.get_me().await?;
    let random_id: i64 = rand::thread_rng().gen();
    let updates = client
        .invoke(&functions::messages::SendMedia {
            silent: false,
            background: false,
            clear_draft: false,
            noforwards: false,
            update_stickersets_order: false,
            invert_media: false,
            allow_paid_floodskip: false,
            peer: input_peer(chat),
            reply_to: None,
            media: types::InputMediaContact {
                phone_number: me.phone().unwrap_or_default().into(),
                first_name: me.first_name().into(),
                last_name: me.last_name().unwrap_or_default().into(),
                vcard: String::new().into(),
            }
            .into(),
            message: String::new().into(),
            random_id,
            reply_markup: None,
            entities: None,
            schedule_date: None,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            allow_paid_stars: None,
            suggested_post: None,
        })
        .await?;
    client
        .messages_from_updates(updates, Some(&[random_id]))
        .pop()
        .ok_or(InvocationError::UnexpectedAnswer(
            "sendMedia without the new message",
        ))
}

impl Message {
    /// The bot whose inline result this message is ("via @bot").
    pub fn via_bot_id(&self) -> Option<i64> {
        match self.raw() {
            enums::Message::Message(m) => m.via_bot_id,
            _ => None,
        }
    }

    /// The bot behind the message's buttons: the one it came via, else its sender.
    fn bot_id(&self) -> Option<i64> {
        self.via_bot_id().or_else(|| self.sender_id())
    }

    /// The message's keyboard, row by row (empty without one). Inline keyboards and reply
    /// keyboards both read back; a forced reply or a keyboard removal has no buttons.
    pub fn buttons(&self) -> Vec<Vec<MessageButton>> {
        let button = |row, column, kind| MessageButton {
            message: self.clone(),
            row,
            column,
            kind,
        };
        match self.reply_markup() {
            Some(enums::ReplyMarkup::ReplyInlineMarkup(m)) => m
                .rows
                .iter()
                .enumerate()
                .map(
                    |(r, enums::KeyboardInlineButtonRow::KeyboardInlineButtonRow(row))| {
                        row.buttons
                            .iter()
                            .enumerate()
                            .map(
                                |(c, enums::KeyboardInlineButton::KeyboardInlineButton(b))| {
                                    button(r, c, Raw::Inline((**b).clone()))
                                },
                            )
                            .collect()
                    },
                )
                .collect(),
            Some(enums::ReplyMarkup::ReplyKeyboardMarkup(m)) => m
                .rows
                .iter()
                .enumerate()
                .map(|(r, enums::KeyboardButtonRow::KeyboardButtonRow(row))| {
                    row.buttons
                        .iter()
                        .enumerate()
                        .map(|(c, enums::KeyboardButton::KeyboardButton(b))| {
                            button(r, c, Raw::Reply((**b).clone()))
                        })
                        .collect()
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Presses the button in `row`, `column` (see [`MessageButton::click`]).
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] if there is no such button; as
    /// [`MessageButton::click`].
    pub async fn click(&self, row: usize, column: usize) -> Result<Click, InvocationError> {
        let button = self
            .buttons()
            .into_iter()
            .nth(row)
            .and_then(|r| r.into_iter().nth(column))
            .ok_or_else(|| {
                InvocationError::InvalidArgument(format!("no button at ({row}, {column})"))
            })?;
        button.click().await
    }

    /// Presses the first button labelled `text`.
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] if there is none; as [`MessageButton::click`].
    pub async fn click_text(&self, text: &str) -> Result<Click, InvocationError> {
        let button = self
            .buttons()
            .into_iter()
            .flatten()
            .find(|b| b.text() == text)
            .ok_or_else(|| InvocationError::InvalidArgument(format!("no button {text:?}")))?;
        button.click().await
    }

    /// Sends `data` to the bot as if a callback button with that data was pressed (the server
    /// refuses data no button of the message has: `DATA_INVALID`).
    ///
    /// # Errors
    ///
    /// As [`MessageButton::click`].
    pub async fn click_data(&self, data: &[u8]) -> Result<CallbackAnswer, InvocationError> {
        match callback(
            self.client(),
            self.chat_ref()?,
            self.id(),
            Some(data.to_vec()),
            false,
        )
        .await?
        {
            Click::Answer(answer) => Ok(answer),
            _ => Err(InvocationError::UnexpectedAnswer(
                "a callback without answer",
            )),
        }
    }
}

/// `InputUser` of a bot by Bot API id, from the cache.
pub(crate) fn input_bot(client: &Client, bot: i64) -> Result<enums::InputUser, InvocationError> {
    client
        .session()
        .peer_ref(bot)
        .and_then(input_user)
        .ok_or_else(|| InvocationError::PeerNotFound(format!("bot {bot} is not in the cache")))
}
