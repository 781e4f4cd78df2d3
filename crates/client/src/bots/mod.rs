//! Bots and the people who talk to them: buttons and keyboards, pressing them, answering
//! callback queries, and inline mode from both sides.
//!
//! ```text
//!  bot:  send_message(.., InputMessage::text(..).buttons(rows))      (buttons.rs)
//!  user: message.buttons() / message.click(row, col)                 (click.rs)
//!          └─ callback button ─▶ messages.getBotCallbackAnswer ─▶ bot's CallbackQuery event
//!                      ◀─ Click::Answer ◀─ event.answer().text(..) ◀──┘   (events/query.rs)
//!  user: client.inline_query(bot, "q") ─▶ bot's InlineQuery event ─▶ event.answer(results)
//!          ◀─ InlineResults ─▶ result.click(chat): a message "via @bot"   (inline.rs)
//! ```

mod buttons;
mod click;
mod inline;

pub use buttons::{Button, ForceReply, InlineButton, Keyboard, ReplyButton, ReplyMarkup};
pub use click::{CallbackAnswer, Click, MessageButton};
pub use inline::{InlineAnswer, InlineResult, InlineResults, InputInlineResult};

/// The bots guide, `docs/bots.md`, included so that `cargo test` compiles (and runs) its
/// examples.
#[cfg(doctest)]
#[doc = include_str!("../../../../docs/bots.md")]
pub struct BotsGuide;
