//! Buttons and keyboards as builders: [`Button`] makes [`InlineButton`]s (under a message) and
//! [`ReplyButton`]s (in place of the user's keyboard); rows of them become a [`ReplyMarkup`]
//! that [`InputMessage::buttons`](crate::InputMessage::buttons) attaches to a message (send,
//! send_file's caption, edit).
//!
//! The two kinds are separate types because Telegram's markups are: an inline keyboard holds
//! only inline buttons and a reply keyboard only reply buttons, so mixing them is a compile
//! error here instead of a server error.

use tgwire_tl_types::{enums, types};

/// Makes buttons. Inline buttons ([`Button::inline`], [`Button::url`], …) go under a message;
/// reply buttons ([`Button::text`], [`Button::request_phone`], …) replace the user's keyboard.
///
/// ```
/// use tgwire::{Button, InputMessage, ReplyMarkup};
///
/// let menu = InputMessage::text("Pick one").buttons(vec![
///     vec![Button::inline("Yes", "yes"), Button::inline("No", "no")],
///     vec![Button::url("Docs", "https://example.com/docs")],
/// ]);
/// assert!(menu.markup().is_some());
///
/// let keyboard = ReplyMarkup::keyboard(vec![vec![Button::text("Hi"), Button::request_phone("My number")]])
///     .resize(true)
///     .single_use(true)
///     .placeholder("Say something");
/// let _ = InputMessage::text("Hello").buttons(keyboard);
/// ```
#[derive(Debug)]
pub struct Button;

/// A button under a message (an inline keyboard's).
#[derive(Clone, Debug, PartialEq)]
pub struct InlineButton(pub(crate) types::KeyboardInlineButton);

/// A button of a reply keyboard (shown in place of the user's keyboard).
#[derive(Clone, Debug, PartialEq)]
pub struct ReplyButton(pub(crate) types::KeyboardButton);

fn inline(text: impl Into<String>, kind: enums::InlineButtonType) -> InlineButton {
    InlineButton(types::KeyboardInlineButton {
        style: None,
        text: crate::tl_string(text),
        r#type: kind,
    })
}

fn reply(text: impl Into<String>, kind: enums::ButtonType) -> ReplyButton {
    ReplyButton(types::KeyboardButton {
        style: None,
        text: crate::tl_string(text),
        r#type: kind,
    })
}

impl Button {
    /// A callback button: pressing it sends `data` (at most 64 bytes) to the bot as a
    /// [`CallbackQuery`](crate::events::CallbackQuery) event.
    pub fn inline(text: impl Into<String>, data: impl Into<Vec<u8>>) -> InlineButton {
        inline(
            text,
            types::InlineButtonTypeCallback {
                requires_password: false,
                data: data.into().into(),
            }
            .into(),
        )
    }

    /// A button that opens `url`.
    pub fn url(text: impl Into<String>, url: impl Into<String>) -> InlineButton {
        inline(
            text,
            types::InlineButtonTypeUrl {
                url: crate::tl_string(url),
            }
            .into(),
        )
    }

    /// A button that starts an inline query `@bot query` in a chat the user picks.
    pub fn switch_inline(text: impl Into<String>, query: impl Into<String>) -> InlineButton {
        Self::switch(text, query, false)
    }

    /// A button that starts an inline query `@bot query` in the same chat.
    pub fn switch_inline_same_chat(
        text: impl Into<String>,
        query: impl Into<String>,
    ) -> InlineButton {
        Self::switch(text, query, true)
    }

    fn switch(text: impl Into<String>, query: impl Into<String>, same_peer: bool) -> InlineButton {
        inline(
            text,
            types::InlineButtonTypeSwitchInline {
                same_peer,
                query: crate::tl_string(query),
                peer_types: None,
            }
            .into(),
        )
    }

    /// A button that signs the user in to the website at `url` with their Telegram account
    /// (Telegram Login); `fwd_text` is the button's text when the message is forwarded.
    pub fn login_url(
        text: impl Into<String>,
        url: impl Into<String>,
        request_write_access: bool,
        fwd_text: Option<String>,
    ) -> InlineButton {
        inline(
            text,
            types::InputInlineButtonTypeUrlAuth {
                request_write_access,
                fwd_text: fwd_text.map(Into::into),
                url: crate::tl_string(url),
                bot: None,
            }
            .into(),
        )
    }

    /// A button that copies `copy_text` to the clipboard.
    pub fn copy_text(text: impl Into<String>, copy_text: impl Into<String>) -> InlineButton {
        inline(
            text,
            types::InlineButtonTypeCopy {
                copy_text: crate::tl_string(copy_text),
            }
            .into(),
        )
    }

    /// A button that opens the web app at `url`.
    pub fn web_app(text: impl Into<String>, url: impl Into<String>) -> InlineButton {
        inline(
            text,
            types::InlineButtonTypeWebView {
                url: crate::tl_string(url),
            }
            .into(),
        )
    }

    /// A button that starts the message's game (must be the first button of a game message).
    pub fn game(text: impl Into<String>) -> InlineButton {
        inline(text, enums::InlineButtonType::Game)
    }

    /// A pay button (must be the first button of an invoice message).
    pub fn buy(text: impl Into<String>) -> InlineButton {
        inline(text, enums::InlineButtonType::Buy)
    }

    /// A reply-keyboard button that sends its text.
    pub fn text(text: impl Into<String>) -> ReplyButton {
        reply(text, enums::ButtonType::Default)
    }

    /// A reply-keyboard button that shares the user's phone number (as a contact).
    pub fn request_phone(text: impl Into<String>) -> ReplyButton {
        reply(text, enums::ButtonType::RequestPhone)
    }

    /// A reply-keyboard button that shares the user's location.
    pub fn request_location(text: impl Into<String>) -> ReplyButton {
        reply(text, enums::ButtonType::RequestGeoLocation)
    }

    /// A reply-keyboard button that asks the user to create a poll (`Some(true)`: a quiz,
    /// `Some(false)`: a regular poll, `None`: either).
    pub fn request_poll(text: impl Into<String>, quiz: Option<bool>) -> ReplyButton {
        reply(text, types::ButtonTypeRequestPoll { quiz }.into())
    }

    /// A reply-keyboard button that asks the user to pick up to `max_quantity` peers of
    /// `peer_type`; the bot gets them in a service message naming `button_id`.
    pub fn request_peer(
        text: impl Into<String>,
        button_id: i32,
        peer_type: enums::RequestPeerType,
        max_quantity: i32,
    ) -> ReplyButton {
        reply(
            text,
            types::InputButtonTypeRequestPeer {
                name_requested: false,
                username_requested: false,
                photo_requested: false,
                button_id,
                peer_type,
                max_quantity,
            }
            .into(),
        )
    }
}

impl InlineButton {
    /// The label.
    pub fn text(&self) -> &str {
        &self.0.text
    }

    /// The raw TL button.
    pub fn raw(&self) -> &types::KeyboardInlineButton {
        &self.0
    }
}

impl ReplyButton {
    /// The label.
    pub fn text(&self) -> &str {
        &self.0.text
    }

    /// The raw TL button.
    pub fn raw(&self) -> &types::KeyboardButton {
        &self.0
    }
}

/// What a message shows in place of (or under) the keyboard: an inline keyboard, a reply
/// keyboard, a forced reply or the removal of a reply keyboard (Telethon's
/// `build_reply_markup`).
///
/// Rows of buttons convert into a markup directly: `Vec<Vec<InlineButton>>` (or one row,
/// `Vec<InlineButton>`, or one `InlineButton`) into an inline keyboard, the same of
/// [`ReplyButton`]s into a reply keyboard with default options.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplyMarkup(pub(crate) enums::ReplyMarkup);

impl ReplyMarkup {
    /// An inline keyboard of `rows`.
    pub fn inline<R, B>(rows: R) -> Self
    where
        R: IntoIterator<Item = B>,
        B: IntoIterator<Item = InlineButton>,
    {
        let rows = rows
            .into_iter()
            .map(|row| {
                types::KeyboardInlineButtonRow {
                    buttons: row.into_iter().map(|b| b.0.into()).collect(),
                }
                .into()
            })
            .collect();
        ReplyMarkup(
            types::ReplyInlineMarkup {
                force_reply: false,
                rows,
            }
            .into(),
        )
    }

    /// A reply keyboard of `rows`, with options on the returned builder.
    pub fn keyboard<R, B>(rows: R) -> Keyboard
    where
        R: IntoIterator<Item = B>,
        B: IntoIterator<Item = ReplyButton>,
    {
        Keyboard(types::ReplyKeyboardMarkup {
            resize: false,
            single_use: false,
            selective: false,
            persistent: false,
            force_reply: false,
            rows: rows
                .into_iter()
                .map(|row| {
                    types::KeyboardButtonRow {
                        buttons: row.into_iter().map(|b| b.0.into()).collect(),
                    }
                    .into()
                })
                .collect(),
            placeholder: None,
        })
    }

    /// Opens the reply interface for the message, as if the user had pressed "Reply".
    pub fn force_reply() -> ForceReply {
        ForceReply(types::ReplyKeyboardForceReply {
            single_use: false,
            selective: false,
            placeholder: None,
        })
    }

    /// Removes the reply keyboard a previous message showed; with `selective`, only for the
    /// users mentioned in the message (and the sender of the message it replies to).
    pub fn remove_keyboard(selective: bool) -> Self {
        ReplyMarkup(types::ReplyKeyboardHide { selective }.into())
    }

    /// Wraps a raw markup.
    pub fn raw(markup: enums::ReplyMarkup) -> Self {
        ReplyMarkup(markup)
    }

    /// The raw TL markup.
    pub fn to_raw(&self) -> enums::ReplyMarkup {
        self.0.clone()
    }
}

/// The setters a reply keyboard and a forced reply share: their TL constructors have the same
/// `single_use`, `selective` and `placeholder` fields, which mean the same for both.
macro_rules! shared_reply_setters {
    (single_use: $single_use:literal) => {
        #[doc = $single_use]
        #[must_use]
        pub fn single_use(mut self, single_use: bool) -> Self {
            self.0.single_use = single_use;
            self
        }

        /// Shows it only to the users mentioned in the message (and the sender of the message
        /// it replies to).
        #[must_use]
        pub fn selective(mut self, selective: bool) -> Self {
            self.0.selective = selective;
            self
        }

        /// The input field's placeholder while it is shown (at most 64 characters).
        #[must_use]
        pub fn placeholder(mut self, placeholder: impl Into<String>) -> Self {
            self.0.placeholder = Some(crate::tl_string(placeholder));
            self
        }
    };
}

/// A reply keyboard being built (see [`ReplyMarkup::keyboard`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Keyboard(types::ReplyKeyboardMarkup);

impl Keyboard {
    /// Fits the keyboard's height to its buttons (apps otherwise use the normal keyboard's).
    #[must_use]
    pub fn resize(mut self, resize: bool) -> Self {
        self.0.resize = resize;
        self
    }

    /// Keeps it shown when the user opens their normal keyboard.
    #[must_use]
    pub fn persistent(mut self, persistent: bool) -> Self {
        self.0.persistent = persistent;
        self
    }

    shared_reply_setters!(single_use: "Hides the keyboard once a button was used.");
}

/// A forced reply being built (see [`ReplyMarkup::force_reply`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ForceReply(types::ReplyKeyboardForceReply);

impl ForceReply {
    shared_reply_setters!(
        single_use: "Only once: apps drop the reply interface after the user replied."
    );
}

impl From<Keyboard> for ReplyMarkup {
    fn from(keyboard: Keyboard) -> Self {
        ReplyMarkup(keyboard.0.into())
    }
}

impl From<ForceReply> for ReplyMarkup {
    fn from(force: ForceReply) -> Self {
        ReplyMarkup(force.0.into())
    }
}

impl From<enums::ReplyMarkup> for ReplyMarkup {
    fn from(raw: enums::ReplyMarkup) -> Self {
        ReplyMarkup(raw)
    }
}

impl From<ReplyMarkup> for enums::ReplyMarkup {
    fn from(markup: ReplyMarkup) -> Self {
        markup.0
    }
}

impl From<Vec<Vec<InlineButton>>> for ReplyMarkup {
    fn from(rows: Vec<Vec<InlineButton>>) -> Self {
        ReplyMarkup::inline(rows)
    }
}

impl From<Vec<InlineButton>> for ReplyMarkup {
    fn from(row: Vec<InlineButton>) -> Self {
        ReplyMarkup::inline([row])
    }
}

impl From<InlineButton> for ReplyMarkup {
    fn from(button: InlineButton) -> Self {
        ReplyMarkup::inline([[button]])
    }
}

impl From<Vec<Vec<ReplyButton>>> for ReplyMarkup {
    fn from(rows: Vec<Vec<ReplyButton>>) -> Self {
        ReplyMarkup::keyboard(rows).into()
    }
}

impl From<Vec<ReplyButton>> for ReplyMarkup {
    fn from(row: Vec<ReplyButton>) -> Self {
        ReplyMarkup::keyboard([row]).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_the_markup_of_their_kind() {
        let markup: ReplyMarkup = vec![
            vec![Button::inline("a", "1"), Button::url("b", "https://x.test")],
            vec![Button::switch_inline_same_chat("c", "q")],
        ]
        .into();
        let enums::ReplyMarkup::ReplyInlineMarkup(inline) = markup.to_raw() else {
            panic!("not inline")
        };
        assert_eq!(inline.rows.len(), 2);
        let enums::KeyboardInlineButtonRow::KeyboardInlineButtonRow(row) = &inline.rows[0];
        let enums::KeyboardInlineButton::KeyboardInlineButton(first) = &row.buttons[0];
        assert_eq!(
            first.r#type,
            types::InlineButtonTypeCallback {
                requires_password: false,
                data: b"1".to_vec().into()
            }
            .into()
        );

        let keyboard: ReplyMarkup = ReplyMarkup::keyboard([[Button::text("hi")]])
            .resize(true)
            .single_use(true)
            .selective(true)
            .placeholder("type")
            .into();
        let enums::ReplyMarkup::ReplyKeyboardMarkup(k) = keyboard.to_raw() else {
            panic!("not a keyboard")
        };
        assert!(k.resize && k.single_use && k.selective && !k.persistent);
        assert_eq!(k.placeholder.as_deref(), Some("type"));

        let force: ReplyMarkup = ReplyMarkup::force_reply().single_use(true).into();
        assert!(matches!(
            force.to_raw(),
            enums::ReplyMarkup::ReplyKeyboardForceReply(f) if f.single_use && !f.selective
        ));
        assert!(matches!(
            ReplyMarkup::remove_keyboard(true).to_raw(),
            enums::ReplyMarkup::ReplyKeyboardHide(h) if h.selective
        ));
    }
}
