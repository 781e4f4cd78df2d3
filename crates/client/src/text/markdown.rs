//! Telegram's markdown flavour.
//!
//! | markup | entity |
//! |---|---|
//! | `**bold**` | bold |
//! | `__italic__` or `_italic_` | italic |
//! | `~~strike~~` | strikethrough |
//! | `\|\|spoiler\|\|` | spoiler |
//! | `` `code` `` | code |
//! | ```` ```lang⏎…⏎``` ```` | pre-formatted block with a language |
//! | `[text](https://…)` | text link |
//! | `[text](tg://user?id=42)` | mention of user 42 |
//! | `[👍](tg://emoji?id=5368…)` | custom emoji |
//! | lines starting with `>` | blockquote |
//!
//! A backslash escapes the next markup character (`\*`, `\_`, `\\`, …). A single `_` only
//! opens italic at the start of a word and only closes it at the end of one, so `snake_case`
//! stays as it is. Delimiters that do not pair up are kept as literal text. Underline has no
//! markdown syntax (use HTML's `<u>`), so [`unparse_markdown`] leaves it out.

use super::{styled_ranges, weave, Builder, Insertion, MessageEntity, Style};

/// Characters a backslash escapes.
const ESCAPABLE: &[char] = &['\\', '*', '_', '~', '|', '`', '[', ']', '(', ')', '>'];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Delim {
    Bold,
    Italic,
    ItalicSingle,
    Strike,
    Spoiler,
}

impl Delim {
    fn raw(self) -> &'static str {
        match self {
            Delim::Bold => "**",
            Delim::Italic => "__",
            Delim::ItalicSingle => "_",
            Delim::Strike => "~~",
            Delim::Spoiler => "||",
        }
    }

    fn style(self) -> Style {
        match self {
            Delim::Bold => Style::Bold,
            Delim::Italic | Delim::ItalicSingle => Style::Italic,
            Delim::Strike => Style::Strike,
            Delim::Spoiler => Style::Spoiler,
        }
    }
}

#[derive(Debug)]
enum Token {
    Text(String),
    Delim {
        delim: Delim,
        can_open: bool,
        can_close: bool,
    },
    /// Code or pre: complete, its content literal.
    Atom {
        style: Style,
        text: String,
    },
    LinkOpen,
    LinkClose(String),
    QuoteOpen,
    QuoteClose,
}

/// Parses Telegram-flavoured markdown into plain text and entities (offsets in UTF-16 units).
///
/// ```
/// use tgwire::text::parse_markdown;
///
/// let (text, entities) = parse_markdown("**Hi** 👋 [there](https://example.com)!");
/// assert_eq!(text, "Hi 👋 there!");
/// assert_eq!(entities.len(), 2);
/// // "there" starts after "Hi " (3) and the emoji (2 UTF-16 units) and a space: offset 6.
/// assert_eq!(tgwire::text::entity_range(&entities[1]), (6, 5));
/// ```
pub fn parse_markdown(markdown: &str) -> (String, Vec<MessageEntity>) {
    let tokens = pair(tokenize(markdown));
    build(tokens)
}

fn tokenize(src: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut text = String::new();
    let flush = |text: &mut String, tokens: &mut Vec<Token>| {
        if !text.is_empty() {
            tokens.push(Token::Text(std::mem::take(text)));
        }
    };
    // Byte positions of the `]` that close the links opened so far (innermost last).
    let mut link_ends: Vec<(usize, usize, String)> = Vec::new();
    let mut in_quote = false;
    let mut i = 0;
    let bytes = src.as_bytes();
    while i < src.len() {
        let rest = &src[i..];
        let at_line_start = i == 0 || bytes[i - 1] == b'\n';
        if at_line_start && rest.starts_with('>') {
            if !in_quote {
                flush(&mut text, &mut tokens);
                tokens.push(Token::QuoteOpen);
                in_quote = true;
            }
            i += if rest.starts_with("> ") { 2 } else { 1 };
            continue;
        }
        if rest.starts_with('\n') && in_quote && !src[i + 1..].starts_with('>') {
            flush(&mut text, &mut tokens);
            tokens.push(Token::QuoteClose);
            in_quote = false;
        }
        if let Some((end, after, url)) = link_ends.last() {
            if *end == i {
                flush(&mut text, &mut tokens);
                tokens.push(Token::LinkClose(url.clone()));
                i = *after;
                link_ends.pop();
                continue;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        if c == '\\' {
            if let Some(next) = rest[1..].chars().next().filter(|n| ESCAPABLE.contains(n)) {
                text.push(next);
                i += 1 + next.len_utf8();
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("```") {
            if let Some(len) = after.find("```") {
                let content = &after[..len];
                let (language, body) = split_pre(content);
                flush(&mut text, &mut tokens);
                tokens.push(Token::Atom {
                    style: Style::Pre {
                        language: language.to_owned(),
                    },
                    text: body.to_owned(),
                });
                i += 3 + len + 3;
                continue;
            }
            // An unclosed fence is literal, not an empty code span and a backtick.
            text.push_str("```");
            i += 3;
            continue;
        }
        if c == '`' {
            if let Some((body, len)) = code_span(&rest[1..]) {
                flush(&mut text, &mut tokens);
                tokens.push(Token::Atom {
                    style: Style::Code,
                    text: body,
                });
                i += 1 + len + 1;
                continue;
            }
        }
        if c == '[' {
            if let Some((end, after, url)) = link_target(src, i) {
                flush(&mut text, &mut tokens);
                tokens.push(Token::LinkOpen);
                link_ends.push((end, after, url));
                i += 1;
                continue;
            }
        }
        let delim = [Delim::Bold, Delim::Italic, Delim::Strike, Delim::Spoiler]
            .into_iter()
            .find(|d| rest.starts_with(d.raw()))
            .or((c == '_').then_some(Delim::ItalicSingle));
        if let Some(delim) = delim {
            let (can_open, can_close) = if delim == Delim::ItalicSingle {
                let before = src[..i].chars().next_back();
                let after = rest[1..].chars().next();
                let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
                let space = |c: Option<char>| c.is_none_or(char::is_whitespace);
                (
                    !word(before) && !space(after),
                    !word(after) && !space(before),
                )
            } else {
                (true, true)
            };
            flush(&mut text, &mut tokens);
            tokens.push(Token::Delim {
                delim,
                can_open,
                can_close,
            });
            i += delim.raw().len();
            continue;
        }
        text.push(c);
        i += c.len_utf8();
    }
    flush(&mut text, &mut tokens);
    if in_quote {
        tokens.push(Token::QuoteClose);
    }
    tokens
}

/// Splits a fenced block's content into its language (a first line with no spaces) and body.
fn split_pre(content: &str) -> (&str, &str) {
    let (language, body) = match content.split_once('\n') {
        Some((first, body)) if !first.contains(char::is_whitespace) => (first, body),
        _ => ("", content),
    };
    (language, body.strip_suffix('\n').unwrap_or(body))
}

/// The content of a code span starting after its opening backtick, unescaped, and the length
/// of its raw content (up to the closing backtick).
fn code_span(rest: &str) -> Option<(String, usize)> {
    let mut body = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '`' if i == 0 => return None,
            '`' => return Some((body, i)),
            '\\' if rest[i + 1..].starts_with(['`', '\\']) => {
                if let Some((_, escaped)) = chars.next() {
                    body.push(escaped);
                }
            }
            '\n' => return None,
            c => body.push(c),
        }
    }
    None
}

/// For a `[` at byte `open`: the byte position of its matching `]`, the position after the
/// `(url)` that follows it, and the url.
fn link_target(src: &str, open: usize) -> Option<(usize, usize, String)> {
    let mut depth = 0usize;
    let mut chars = src[open + 1..].char_indices();
    while let Some((j, c)) = chars.next() {
        let at = open + 1 + j;
        match c {
            '\\' => {
                chars.next();
            }
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            ']' => {
                let after = &src[at + 1..];
                let inner = after.strip_prefix('(')?;
                let close = inner.find([')', '\n'])?;
                if !inner[close..].starts_with(')') {
                    return None;
                }
                let url = inner[..close].trim();
                return Some((at, at + 2 + close + 1, url.to_owned()));
            }
            _ => {}
        }
    }
    None
}

/// Pairs delimiters of each kind; the ones left over become literal text.
fn pair(mut tokens: Vec<Token>) -> Vec<Token> {
    let mut open: Vec<(Delim, usize)> = Vec::new();
    let mut paired = vec![false; tokens.len()];
    for (index, token) in tokens.iter().enumerate() {
        let Token::Delim {
            delim,
            can_open,
            can_close,
        } = token
        else {
            continue;
        };
        let pending = open.iter().position(|(d, _)| d == delim);
        match pending {
            Some(p) if *can_close => {
                let (_, start) = open.remove(p);
                paired[start] = true;
                paired[index] = true;
            }
            Some(p) if *can_open => open[p].1 = index,
            None if *can_open => open.push((*delim, index)),
            _ => {}
        }
    }
    for (token, paired) in tokens.iter_mut().zip(paired) {
        if let Token::Delim { delim, .. } = token {
            if !paired {
                *token = Token::Text(delim.raw().to_owned());
            }
        }
    }
    tokens
}

fn build(tokens: Vec<Token>) -> (String, Vec<MessageEntity>) {
    let mut out = Builder::default();
    let mut open: Vec<(Delim, usize)> = Vec::new();
    let mut links: Vec<usize> = Vec::new();
    let mut quote = None;
    for token in tokens {
        match token {
            Token::Text(text) => out.push_str(&text),
            Token::Delim { delim, .. } => match open.iter().position(|(d, _)| *d == delim) {
                Some(p) => {
                    let (_, start) = open.remove(p);
                    out.close(start, delim.style());
                }
                None => open.push((delim, out.units)),
            },
            Token::Atom { style, text } => {
                let start = out.units;
                out.push_str(&text);
                out.close(start, style);
            }
            Token::LinkOpen => links.push(out.units),
            Token::LinkClose(url) => {
                if let Some(start) = links.pop() {
                    out.close(start, Style::from_url(url));
                }
            }
            Token::QuoteOpen => quote = Some(out.units),
            Token::QuoteClose => {
                if let Some(start) = quote.take() {
                    out.close(start, Style::Blockquote { collapsed: false });
                }
            }
        }
    }
    out.finish()
}

/// Writes text and entities back as Telegram-flavoured markdown that [`parse_markdown`] reads
/// back into the same text and entities (for the styles markdown has; underline, auto-detected
/// entities and others are left out).
///
/// ```
/// use tgwire::text::{parse_markdown, unparse_markdown};
///
/// let (text, entities) = parse_markdown("**bold** and `code`, 🎉 _done_");
/// assert_eq!(unparse_markdown(&text, &entities), "**bold** and `code`, 🎉 __done__");
/// ```
pub fn unparse_markdown(text: &str, entities: &[MessageEntity]) -> String {
    let ranges = styled_ranges(text, entities);
    let mut insertions = Vec::new();
    let mut literal: Vec<(usize, usize, bool)> = Vec::new();
    let newlines: Vec<usize> = {
        let mut units = 0;
        let mut at = Vec::new();
        for c in text.chars() {
            if c == '\n' {
                at.push(units);
            }
            units += c.len_utf16();
        }
        at
    };
    for (index, (start, end, style)) in ranges.into_iter().enumerate() {
        let (open, close) = match style {
            Style::Bold => ("**".to_owned(), "**".to_owned()),
            Style::Italic => ("__".to_owned(), "__".to_owned()),
            Style::Strike => ("~~".to_owned(), "~~".to_owned()),
            Style::Spoiler => ("||".to_owned(), "||".to_owned()),
            Style::Underline => continue,
            Style::Code => {
                literal.push((start, end, false));
                ("`".to_owned(), "`".to_owned())
            }
            Style::Pre { language } => {
                literal.push((start, end, true));
                (format!("```{language}\n"), "\n```".to_owned())
            }
            Style::Link { url } => ("[".to_owned(), format!("]({url})")),
            Style::Mention { user_id } => ("[".to_owned(), format!("](tg://user?id={user_id})")),
            Style::CustomEmoji { document_id } => {
                ("[".to_owned(), format!("](tg://emoji?id={document_id})"))
            }
            Style::Blockquote { .. } => {
                for &nl in newlines.iter().filter(|&&nl| nl >= start && nl + 1 < end) {
                    insertions.push(Insertion {
                        at: nl + 1,
                        order: (1, i64::MIN, 0),
                        markup: "> ".to_owned(),
                    });
                }
                insertions.push(Insertion {
                    at: start,
                    order: (1, i64::MIN, 0),
                    markup: "> ".to_owned(),
                });
                continue;
            }
        };
        insertions.push(Insertion::open(index, start, end, open));
        insertions.push(Insertion::close(index, start, end, close));
    }
    let mut previous = None;
    weave(text, insertions, |at, c, out| {
        let verbatim = literal.iter().find(|(s, e, _)| (*s..*e).contains(&at));
        match verbatim {
            Some((_, _, true)) => out.push(c),
            Some((_, _, false)) => {
                if c == '`' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            None => {
                let line_start = previous.is_none_or(|p| p == '\n');
                if (ESCAPABLE.contains(&c) && !matches!(c, '(' | ')' | '>'))
                    || (c == '>' && line_start)
                {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        previous = Some(c);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::entity_range;
    use tgwire_tl_types::{enums, types};

    fn ranges(entities: &[MessageEntity]) -> Vec<(&'static str, i32, i32)> {
        entities
            .iter()
            .map(|e| {
                let name = match e {
                    enums::MessageEntity::Bold(_) => "bold",
                    enums::MessageEntity::Italic(_) => "italic",
                    enums::MessageEntity::Strike(_) => "strike",
                    enums::MessageEntity::Spoiler(_) => "spoiler",
                    enums::MessageEntity::Code(_) => "code",
                    enums::MessageEntity::Pre(_) => "pre",
                    enums::MessageEntity::TextUrl(_) => "url",
                    enums::MessageEntity::MentionName(_) => "mention",
                    enums::MessageEntity::CustomEmoji(_) => "emoji",
                    enums::MessageEntity::Blockquote(_) => "quote",
                    _ => "other",
                };
                let (o, l) = entity_range(e);
                (name, o, l)
            })
            .collect()
    }

    #[test]
    fn every_style() {
        let (text, entities) =
            parse_markdown("**b** __i__ _j_ ~~s~~ ||p|| `c` [l](https://x.y) [m](tg://user?id=7)");
        assert_eq!(text, "b i j s p c l m");
        assert_eq!(
            ranges(&entities),
            [
                ("bold", 0, 1),
                ("italic", 2, 1),
                ("italic", 4, 1),
                ("strike", 6, 1),
                ("spoiler", 8, 1),
                ("code", 10, 1),
                ("url", 12, 1),
                ("mention", 14, 1),
            ]
        );
        assert_eq!(
            entities[6],
            types::MessageEntityTextUrl {
                offset: 12,
                length: 1,
                url: "https://x.y".into()
            }
            .into()
        );
        assert_eq!(
            entities[7],
            types::MessageEntityMentionName {
                offset: 14,
                length: 1,
                user_id: 7
            }
            .into()
        );
    }

    #[test]
    fn offsets_count_utf16_units() {
        // 😀 and 𝄞 are outside the BMP (2 units each); é is one unit.
        let (text, entities) = parse_markdown("😀 **é𝄞** __x😀__");
        assert_eq!(text, "😀 é𝄞 x😀");
        assert_eq!(ranges(&entities), [("bold", 3, 3), ("italic", 7, 3)]);
    }

    #[test]
    fn pre_blocks_with_and_without_language() {
        let (text, entities) =
            parse_markdown("see\n```rust\nfn main() {}\n```\nand ```\nx**y\n```");
        assert_eq!(text, "see\nfn main() {}\nand x**y");
        assert_eq!(ranges(&entities), [("pre", 4, 12), ("pre", 21, 4)]);
        let enums::MessageEntity::Pre(pre) = &entities[0] else {
            unreachable!()
        };
        assert_eq!(pre.language, "rust");
    }

    #[test]
    fn nesting_and_overlap() {
        let (text, entities) = parse_markdown("**bold [link __it__](https://a)**");
        assert_eq!(text, "bold link it");
        assert_eq!(
            ranges(&entities),
            [("bold", 0, 12), ("url", 5, 7), ("italic", 10, 2)]
        );
        let (text, entities) = parse_markdown("**a __b** c__");
        assert_eq!(text, "a b c");
        assert_eq!(ranges(&entities), [("bold", 0, 3), ("italic", 2, 3)]);
    }

    #[test]
    fn unpaired_markup_is_literal() {
        for src in [
            "2 ** 3",
            "a ~~ b",
            "[not a link]",
            "[x](no close",
            "`open",
            "```x",
        ] {
            let (text, entities) = parse_markdown(src);
            assert_eq!(text, src, "{src:?}");
            assert!(entities.is_empty(), "{src:?}");
        }
        let (text, entities) = parse_markdown("snake_case_name and _real_");
        assert_eq!(text, "snake_case_name and real");
        assert_eq!(ranges(&entities), [("italic", 20, 4)]);
    }

    #[test]
    fn escapes() {
        let (text, entities) = parse_markdown(r"\*\*no\*\* \\ \_ \` \d");
        assert_eq!(text, r"**no** \ _ ` \d");
        assert!(entities.is_empty());
        let (text, _) = parse_markdown(r"`a\`b\\c`");
        assert_eq!(text, r"a`b\c");
    }

    #[test]
    fn blockquotes() {
        let (text, entities) = parse_markdown("intro\n> one\n> **two**\nafter\n>last");
        assert_eq!(text, "intro\none\ntwo\nafter\nlast");
        assert_eq!(
            ranges(&entities),
            [("quote", 6, 7), ("bold", 10, 3), ("quote", 20, 4)]
        );
    }

    #[test]
    fn custom_emoji() {
        let (text, entities) = parse_markdown("[👍](tg://emoji?id=5368324170671202286)");
        assert_eq!(text, "👍");
        assert_eq!(
            entities,
            [types::MessageEntityCustomEmoji {
                offset: 0,
                length: 2,
                document_id: 5368324170671202286
            }
            .into()]
        );
    }

    #[test]
    fn round_trips() {
        for src in [
            "**bold** __italic__ ~~strike~~ ||spoiler|| `code`",
            "emoji 😀 **👨‍👩‍👧 family** and 𝄞 __music__",
            "[link 🔗](https://example.com/a_b) [Bob](tg://user?id=42)",
            "```python\nprint('hi')\n```",
            "> quoted **bold**\n> second line\nplain",
            "literal \\*stars\\* and \\_under\\_ \\\\ back",
            "`co\\`de` **a __b__** ~~x||y||~~",
            "**a****b**",
        ] {
            let (text, entities) = parse_markdown(src);
            let markdown = unparse_markdown(&text, &entities);
            assert_eq!(markdown, src, "unparse of {src:?}");
            assert_eq!(parse_markdown(&markdown), (text, entities), "{src:?}");
        }
    }

    #[test]
    fn unparse_escapes_literal_markup() {
        let text = "2 * 3 = [6] _x_ |y| `z` > w\n> q";
        let markdown = unparse_markdown(text, &[]);
        assert_eq!(parse_markdown(&markdown), (text.to_owned(), vec![]));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics_and_ranges_fit(src in "\\PC{0,64}") {
            let (text, entities) = parse_markdown(&src);
            let total = crate::text::utf16_len(&text) as i32;
            for e in &entities {
                let (o, l) = entity_range(e);
                proptest::prop_assert!(o >= 0 && l > 0 && o + l <= total);
                proptest::prop_assert!(crate::text::utf16_slice(&text, o, l).is_some());
            }
        }

        #[test]
        fn plain_text_survives_unparse(text in "[a-z*_~|`\\[\\]()>\\\\ \n😀é]{0,40}") {
            let markdown = unparse_markdown(&text, &[]);
            let (back, entities) = parse_markdown(&markdown);
            proptest::prop_assert_eq!(back, text);
            proptest::prop_assert!(entities.is_empty());
        }
    }
}
