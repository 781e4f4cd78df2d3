//! Formatted text: Telegram's markdown flavour and HTML, parsed into plain text plus
//! [`MessageEntity`] ranges, and entities turned back into markup.
//!
//! Telegram does not receive markup: a message is plain text and a list of entities, each a range
//! measured in **UTF-16 code units** (so "👍" counts 2 and "é" counts 1). Both parsers count that
//! way as they go, so offsets are right for any text, emoji and other non-BMP characters included.
//!
//! Parsing never fails: markup that does not pair up (a lone `**`, an unknown HTML tag) is kept as
//! literal text or ignored, which is what a user typing a message expects.

mod html;
mod markdown;

pub use html::{parse_html, unparse_html};
pub use markdown::{parse_markdown, unparse_markdown};

use tgwire_tl_types::{enums, types};

/// One entity, as Telegram sends it.
pub type MessageEntity = enums::MessageEntity;

/// Length of `text` in UTF-16 code units, the unit of entity offsets.
pub fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// The part of `text` that an entity at `offset` with `length` (UTF-16 code units) covers, or
/// `None` if the range does not fall on character boundaries inside the text.
pub fn utf16_slice(text: &str, offset: i32, length: i32) -> Option<&str> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(length).ok()?)?;
    let (mut from, mut to) = (None, None);
    let mut units = 0usize;
    for (byte, c) in text.char_indices() {
        if units == start {
            from = Some(byte);
        }
        if units == end {
            to = Some(byte);
            break;
        }
        units += c.len_utf16();
    }
    if units == start && from.is_none() {
        from = Some(text.len());
    }
    if units == end && to.is_none() {
        to = Some(text.len());
    }
    text.get(from?..to?)
}

/// The range `(offset, length)` of any entity kind.
pub fn entity_range(entity: &MessageEntity) -> (i32, i32) {
    use enums::MessageEntity as E;
    match entity {
        E::Unknown(e) => (e.offset, e.length),
        E::Mention(e) => (e.offset, e.length),
        E::Hashtag(e) => (e.offset, e.length),
        E::BotCommand(e) => (e.offset, e.length),
        E::Url(e) => (e.offset, e.length),
        E::Email(e) => (e.offset, e.length),
        E::Bold(e) => (e.offset, e.length),
        E::Italic(e) => (e.offset, e.length),
        E::Code(e) => (e.offset, e.length),
        E::Pre(e) => (e.offset, e.length),
        E::TextUrl(e) => (e.offset, e.length),
        E::MentionName(e) => (e.offset, e.length),
        E::InputMessageEntityMentionName(e) => (e.offset, e.length),
        E::Phone(e) => (e.offset, e.length),
        E::Cashtag(e) => (e.offset, e.length),
        E::Underline(e) => (e.offset, e.length),
        E::Strike(e) => (e.offset, e.length),
        E::BankCard(e) => (e.offset, e.length),
        E::Spoiler(e) => (e.offset, e.length),
        E::CustomEmoji(e) => (e.offset, e.length),
        E::Blockquote(e) => (e.offset, e.length),
        E::FormattedDate(e) => (e.offset, e.length),
        E::DiffInsert(e) => (e.offset, e.length),
        E::DiffReplace(e) => (e.offset, e.length),
        E::DiffDelete(e) => (e.offset, e.length),
        E::TonAddress(e) => (e.offset, e.length),
    }
}

/// The formatting both markup languages know, independent of TL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Bold,
    Italic,
    Underline,
    Strike,
    Spoiler,
    Code,
    Pre { language: String },
    Link { url: String },
    Mention { user_id: i64 },
    CustomEmoji { document_id: i64 },
    Blockquote { collapsed: bool },
}

impl Style {
    /// The TL entity for this style over `offset..offset + length`.
    pub(crate) fn entity(self, offset: i32, length: i32) -> MessageEntity {
        match self {
            Style::Bold => types::MessageEntityBold { offset, length }.into(),
            Style::Italic => types::MessageEntityItalic { offset, length }.into(),
            Style::Underline => types::MessageEntityUnderline { offset, length }.into(),
            Style::Strike => types::MessageEntityStrike { offset, length }.into(),
            Style::Spoiler => types::MessageEntitySpoiler { offset, length }.into(),
            Style::Code => types::MessageEntityCode { offset, length }.into(),
            Style::Pre { language } => types::MessageEntityPre {
                offset,
                length,
                language: language.into(),
            }
            .into(),
            Style::Link { url } => types::MessageEntityTextUrl {
                offset,
                length,
                url: url.into(),
            }
            .into(),
            Style::Mention { user_id } => types::MessageEntityMentionName {
                offset,
                length,
                user_id,
            }
            .into(),
            Style::CustomEmoji { document_id } => types::MessageEntityCustomEmoji {
                offset,
                length,
                document_id,
            }
            .into(),
            Style::Blockquote { collapsed } => types::MessageEntityBlockquote {
                collapsed,
                offset,
                length,
            }
            .into(),
        }
    }

    /// The style of an entity, for unparsing; `None` for entities markup does not write
    /// (auto-detected URLs, hashtags, …, which Telegram finds again by itself).
    pub(crate) fn of(entity: &MessageEntity) -> Option<Style> {
        use enums::MessageEntity as E;
        Some(match entity {
            E::Bold(_) => Style::Bold,
            E::Italic(_) => Style::Italic,
            E::Underline(_) => Style::Underline,
            E::Strike(_) => Style::Strike,
            E::Spoiler(_) => Style::Spoiler,
            E::Code(_) => Style::Code,
            E::Pre(e) => Style::Pre {
                language: e.language.to_string(),
            },
            E::TextUrl(e) => Style::Link {
                url: e.url.to_string(),
            },
            E::MentionName(e) => Style::Mention { user_id: e.user_id },
            E::InputMessageEntityMentionName(e) => match &e.user_id {
                enums::InputUser::InputUser(u) => Style::Mention { user_id: u.user_id },
                _ => return None,
            },
            E::CustomEmoji(e) => Style::CustomEmoji {
                document_id: e.document_id,
            },
            E::Blockquote(e) => Style::Blockquote {
                collapsed: e.collapsed,
            },
            _ => return None,
        })
    }

    /// Link targets that stand for a mention or a custom emoji rather than a web address.
    pub(crate) fn from_url(url: String) -> Style {
        if let Some(id) = url
            .strip_prefix("tg://user?id=")
            .and_then(|id| id.parse::<i64>().ok())
        {
            return Style::Mention { user_id: id };
        }
        if let Some(id) = url
            .strip_prefix("tg://emoji?id=")
            .and_then(|id| id.parse::<i64>().ok())
        {
            return Style::CustomEmoji { document_id: id };
        }
        Style::Link { url }
    }
}

/// Collects entities while text is appended, counting UTF-16 units.
#[derive(Default)]
pub(crate) struct Builder {
    pub(crate) text: String,
    pub(crate) units: usize,
    pub(crate) entities: Vec<(usize, usize, Style)>,
}

impl Builder {
    pub(crate) fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
        self.units += utf16_len(s);
    }

    pub(crate) fn push(&mut self, c: char) {
        self.text.push(c);
        self.units += c.len_utf16();
    }

    /// Records `style` from `start` to the current end; empty ranges are dropped (Telegram
    /// rejects zero-length entities).
    pub(crate) fn close(&mut self, start: usize, style: Style) {
        if self.units > start {
            self.entities.push((start, self.units - start, style));
        }
    }

    /// The text and its entities, outer ranges before inner ones.
    pub(crate) fn finish(mut self) -> (String, Vec<MessageEntity>) {
        self.entities
            .sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let entities = self
            .entities
            .into_iter()
            .filter_map(|(offset, length, style)| {
                Some(style.entity(i32::try_from(offset).ok()?, i32::try_from(length).ok()?))
            })
            .collect();
        (self.text, entities)
    }
}

/// Where markup goes when entities are turned back into text: an opening or closing tag at a
/// UTF-16 position.
pub(crate) struct Insertion {
    pub(crate) at: usize,
    /// Closings sort before openings at the same position; among closings the inner one (opened
    /// later) first, among openings the outer one (longer) first; see [`Insertion::open`].
    pub(crate) order: (u8, i64, i64),
    pub(crate) markup: String,
}

impl Insertion {
    /// The opening markup of the `index`th range `start..end`.
    pub(crate) fn open(index: usize, start: usize, end: usize, markup: String) -> Self {
        Insertion {
            at: start,
            order: (1, -(end as i64), index as i64),
            markup,
        }
    }

    /// The closing markup of the `index`th range `start..end`.
    pub(crate) fn close(index: usize, start: usize, end: usize, markup: String) -> Self {
        Insertion {
            at: end,
            order: (0, -(start as i64), -(index as i64)),
            markup,
        }
    }
}

/// Entities as (start, end, style) in UTF-16 units, clipped to the text, outer first.
pub(crate) fn styled_ranges(text: &str, entities: &[MessageEntity]) -> Vec<(usize, usize, Style)> {
    let total = utf16_len(text);
    let mut ranges: Vec<(usize, usize, Style)> = entities
        .iter()
        .filter_map(|e| {
            let style = Style::of(e)?;
            let (offset, length) = entity_range(e);
            let start = usize::try_from(offset).ok()?;
            let end = start.checked_add(usize::try_from(length).ok()?)?.min(total);
            (start < end).then_some((start, end, style))
        })
        .collect();
    ranges.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    ranges
}

/// Writes `text` with `insertions` placed at their UTF-16 positions, passing each run of
/// literal text through `escape` (which also learns the position, for context-dependent
/// escaping such as code spans).
pub(crate) fn weave(
    text: &str,
    mut insertions: Vec<Insertion>,
    mut escape: impl FnMut(usize, char, &mut String),
) -> String {
    insertions.sort_by(|a, b| a.at.cmp(&b.at).then(a.order.cmp(&b.order)));
    let mut out = String::with_capacity(text.len() + insertions.len() * 4);
    let mut pending = insertions.into_iter().peekable();
    let mut units = 0usize;
    for c in text.chars() {
        while let Some(ins) = pending.next_if(|i| i.at <= units) {
            out.push_str(&ins.markup);
        }
        escape(units, c, &mut out);
        units += c.len_utf16();
    }
    for ins in pending {
        out.push_str(&ins.markup);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_lengths_count_surrogate_pairs() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("é"), 1);
        assert_eq!(utf16_len("👍"), 2);
        assert_eq!(utf16_len("👨‍👩‍👧"), 8);
    }

    #[test]
    fn slices_by_utf16_range() {
        let text = "a👍b𝄞c";
        assert_eq!(utf16_slice(text, 0, 1), Some("a"));
        assert_eq!(utf16_slice(text, 1, 2), Some("👍"));
        assert_eq!(utf16_slice(text, 3, 1), Some("b"));
        assert_eq!(utf16_slice(text, 4, 3), Some("𝄞c"));
        assert_eq!(utf16_slice(text, 7, 0), Some(""));
        // Half a surrogate pair, beyond the end, negative: rejected, not a panic.
        assert_eq!(utf16_slice(text, 2, 1), None);
        assert_eq!(utf16_slice(text, 6, 5), None);
        assert_eq!(utf16_slice(text, -1, 1), None);
        assert_eq!(utf16_slice(text, i32::MAX, i32::MAX), None);
    }

    #[test]
    fn tg_links_become_mentions_and_emoji() {
        assert_eq!(
            Style::from_url("tg://user?id=42".into()),
            Style::Mention { user_id: 42 }
        );
        assert_eq!(
            Style::from_url("tg://emoji?id=5368324170671202286".into()),
            Style::CustomEmoji {
                document_id: 5368324170671202286
            }
        );
        assert_eq!(
            Style::from_url("tg://user?id=x".into()),
            Style::Link {
                url: "tg://user?id=x".into()
            }
        );
    }
}
