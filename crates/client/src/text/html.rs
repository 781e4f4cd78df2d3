//! The HTML subset Telegram's apps and Bot API understand.
//!
//! `<b>`/`<strong>`, `<i>`/`<em>`, `<u>`/`<ins>`, `<s>`/`<strike>`/`<del>`,
//! `<tg-spoiler>`/`<span class="tg-spoiler">`, `<code>`, `<pre>` (with
//! `<pre><code class="language-rust">` for a language), `<a href="…">` (with `tg://user?id=`
//! for mentions), `<tg-emoji emoji-id="…">`, `<blockquote>` (`expandable` for a collapsed one)
//! and `<br>`. Character references `&lt; &gt; &amp; &quot; &apos; &nbsp; &#NN; &#xNN;` are
//! decoded. Unknown tags are dropped with their content kept; a `<` that starts no tag is text.

use super::{styled_ranges, weave, Builder, Insertion, MessageEntity, Style};

struct Open {
    name: String,
    start: usize,
    style: Option<Style>,
}

/// Parses HTML into plain text and entities (offsets in UTF-16 units).
///
/// ```
/// use tgwire::text::{entity_range, parse_html};
///
/// let (text, entities) = parse_html("<b>Hi</b> 👋 <a href=\"https://example.com\">there</a> &amp; you");
/// assert_eq!(text, "Hi 👋 there & you");
/// assert_eq!(entity_range(&entities[1]), (6, 5));
/// ```
pub fn parse_html(html: &str) -> (String, Vec<MessageEntity>) {
    let mut out = Builder::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        if rest.starts_with('<') {
            if let Some((tag, len)) = parse_tag(rest) {
                i += len;
                apply_tag(tag, &mut out, &mut stack);
                continue;
            }
        }
        if rest.starts_with('&') {
            if let Some((c, len)) = char_reference(rest) {
                out.push(c);
                i += len;
                continue;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        out.push(c);
        i += c.len_utf8();
    }
    // Unclosed elements end with the text, as browsers do.
    while let Some(open) = stack.pop() {
        if let Some(style) = open.style {
            out.close(open.start, style);
        }
    }
    out.finish()
}

#[derive(Debug)]
struct Tag {
    name: String,
    closing: bool,
    self_closing: bool,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn apply_tag(tag: Tag, out: &mut Builder, stack: &mut Vec<Open>) {
    if tag.name == "br" {
        out.push('\n');
        return;
    }
    if tag.closing {
        let Some(position) = stack.iter().rposition(|o| o.name == tag.name) else {
            return;
        };
        // Elements left open inside the closed one end with it.
        while stack.len() > position {
            let Some(open) = stack.pop() else { break };
            if let Some(style) = open.style {
                out.close(open.start, style);
            }
        }
        return;
    }
    let style = match tag.name.as_str() {
        "b" | "strong" => Some(Style::Bold),
        "i" | "em" => Some(Style::Italic),
        "u" | "ins" => Some(Style::Underline),
        "s" | "strike" | "del" => Some(Style::Strike),
        "tg-spoiler" => Some(Style::Spoiler),
        "span" if tag.attr("class") == Some("tg-spoiler") => Some(Style::Spoiler),
        "code" => {
            let language = tag
                .attr("class")
                .and_then(|c| c.strip_prefix("language-"))
                .map(str::to_owned);
            // `<pre><code class="language-x">` gives the enclosing pre its language and is no
            // entity of its own.
            match stack.last_mut() {
                Some(Open {
                    name,
                    start,
                    style: Some(Style::Pre { language: pre_lang }),
                }) if name == "pre" && *start == out.units => {
                    if let Some(language) = language {
                        *pre_lang = language;
                    }
                    None
                }
                _ => Some(Style::Code),
            }
        }
        "pre" => Some(Style::Pre {
            language: String::new(),
        }),
        "a" => tag.attr("href").map(|url| Style::from_url(url.to_owned())),
        "tg-emoji" => tag
            .attr("emoji-id")
            .and_then(|id| id.parse().ok())
            .map(|document_id| Style::CustomEmoji { document_id }),
        "blockquote" => Some(Style::Blockquote {
            collapsed: tag.attr("expandable").is_some(),
        }),
        _ => None,
    };
    if tag.self_closing {
        return;
    }
    stack.push(Open {
        name: tag.name,
        start: out.units,
        style,
    });
}

/// Parses one tag at the start of `s`; `None` if it is not well-formed (then `<` is text).
fn parse_tag(s: &str) -> Option<(Tag, usize)> {
    let bytes = s.as_bytes();
    let mut i = 1;
    let closing = bytes.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'-')
    {
        i += 1;
    }
    if i == name_start {
        return None;
    }
    let name = s[name_start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        match bytes.get(i)? {
            b'>' => {
                i += 1;
                break;
            }
            b'/' if bytes.get(i + 1) == Some(&b'>') => {
                self_closing = true;
                i += 2;
                break;
            }
            _ => {}
        }
        let attr_start = i;
        while bytes
            .get(i)
            .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/'))
        {
            i += 1;
        }
        if i == attr_start {
            return None;
        }
        let attr = s[attr_start..i].to_ascii_lowercase();
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            match bytes.get(i)? {
                quote @ (b'"' | b'\'') => {
                    let end = s[i + 1..].find(*quote as char)? + i + 1;
                    value = decode_references(&s[i + 1..end]);
                    i = end + 1;
                }
                _ => {
                    let start = i;
                    while bytes
                        .get(i)
                        .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
                    {
                        i += 1;
                    }
                    value = decode_references(&s[start..i]);
                }
            }
        }
        attrs.push((attr, value));
    }
    Some((
        Tag {
            name,
            closing,
            self_closing,
            attrs,
        },
        i,
    ))
}

fn decode_references(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if let Some((c, len)) = rest
            .starts_with('&')
            .then(|| char_reference(rest))
            .flatten()
        {
            out.push(c);
            i += len;
        } else if let Some(c) = rest.chars().next() {
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Decodes a character reference at the start of `s` (which starts with `&`).
fn char_reference(s: &str) -> Option<(char, usize)> {
    let end = s.bytes().take(12).position(|b| b == b';')?;
    let body = &s[1..end];
    let c = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => {
            let number = body.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

fn escape_into(c: char, out: &mut String) {
    match c {
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '"' => out.push_str("&quot;"),
        c => out.push(c),
    }
}

fn escape_attr(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        escape_into(c, &mut out);
    }
    out
}

/// Writes text and entities back as HTML that [`parse_html`] reads back into the same text and
/// entities (auto-detected entities such as plain URLs and hashtags are left out).
///
/// ```
/// use tgwire::text::{parse_html, unparse_html};
///
/// let (text, entities) = parse_html("<b>1 &lt; 2</b> <u>🎉</u>");
/// assert_eq!(unparse_html(&text, &entities), "<b>1 &lt; 2</b> <u>🎉</u>");
/// ```
pub fn unparse_html(text: &str, entities: &[MessageEntity]) -> String {
    let mut insertions = Vec::new();
    for (index, (start, end, style)) in styled_ranges(text, entities).into_iter().enumerate() {
        let (open, close) = match style {
            Style::Bold => ("<b>".to_owned(), "</b>".to_owned()),
            Style::Italic => ("<i>".to_owned(), "</i>".to_owned()),
            Style::Underline => ("<u>".to_owned(), "</u>".to_owned()),
            Style::Strike => ("<s>".to_owned(), "</s>".to_owned()),
            Style::Spoiler => ("<tg-spoiler>".to_owned(), "</tg-spoiler>".to_owned()),
            Style::Code => ("<code>".to_owned(), "</code>".to_owned()),
            Style::Pre { language } if language.is_empty() => {
                ("<pre>".to_owned(), "</pre>".to_owned())
            }
            Style::Pre { language } => (
                format!("<pre><code class=\"language-{}\">", escape_attr(&language)),
                "</code></pre>".to_owned(),
            ),
            Style::Link { url } => (
                format!("<a href=\"{}\">", escape_attr(&url)),
                "</a>".to_owned(),
            ),
            Style::Mention { user_id } => (
                format!("<a href=\"tg://user?id={user_id}\">"),
                "</a>".to_owned(),
            ),
            Style::CustomEmoji { document_id } => (
                format!("<tg-emoji emoji-id=\"{document_id}\">"),
                "</tg-emoji>".to_owned(),
            ),
            Style::Blockquote { collapsed: false } => {
                ("<blockquote>".to_owned(), "</blockquote>".to_owned())
            }
            Style::Blockquote { collapsed: true } => (
                "<blockquote expandable>".to_owned(),
                "</blockquote>".to_owned(),
            ),
        };
        insertions.push(Insertion::open(index, start, end, open));
        insertions.push(Insertion::close(index, start, end, close));
    }
    weave(text, insertions, |_, c, out| escape_into(c, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::entity_range;
    use tgwire_tl_types::{enums, types};

    #[test]
    fn tags_and_references() {
        let (text, entities) = parse_html(
            "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><s>x</s><del>d</del>\
             <tg-spoiler>p</tg-spoiler><span class=\"tg-spoiler\">q</span><code>c</code>\
             <a href='https://a.b/?x=1&amp;y=2'>l</a><a href=\"tg://user?id=5\">m</a>\
             &lt;&gt;&amp;&quot;&#65;&#x1F600;<br/>end",
        );
        assert_eq!(text, "bsieuxdpqclm<>&\"A😀\nend");
        let kinds: Vec<_> = entities
            .iter()
            .map(|e| (e.constructor_id(), entity_range(e)))
            .collect();
        assert_eq!(kinds.len(), 12);
        assert_eq!(
            entities[10],
            types::MessageEntityTextUrl {
                offset: 10,
                length: 1,
                url: "https://a.b/?x=1&y=2".into()
            }
            .into()
        );
        assert_eq!(
            entities[11],
            types::MessageEntityMentionName {
                offset: 11,
                length: 1,
                user_id: 5
            }
            .into()
        );
    }

    #[test]
    fn pre_with_language() {
        let (text, entities) =
            parse_html("<pre><code class=\"language-rust\">let x = 1 &lt; 2;</code></pre>");
        assert_eq!(text, "let x = 1 < 2;");
        assert_eq!(
            entities,
            [types::MessageEntityPre {
                offset: 0,
                length: 14,
                language: "rust".into()
            }
            .into()]
        );
    }

    #[test]
    fn utf16_offsets() {
        let (text, entities) = parse_html("👍🏽 <b>𝄞x</b> <i>é</i>");
        assert_eq!(text, "👍🏽 𝄞x é");
        let ranges: Vec<_> = entities.iter().map(entity_range).collect();
        assert_eq!(ranges, [(5, 3), (9, 1)]);
    }

    #[test]
    fn lenient_with_bad_markup() {
        let (text, entities) =
            parse_html("a < b <b>bold <i>unclosed</b> <unknown>k</unknown> </x> <");
        assert_eq!(text, "a < b bold unclosed k  <");
        let ranges: Vec<_> = entities.iter().map(entity_range).collect();
        assert_eq!(ranges, [(6, 13), (11, 8)]);
        assert!(matches!(entities[1], enums::MessageEntity::Italic(_)));
    }

    #[test]
    fn blockquotes_and_emoji() {
        let (text, entities) = parse_html(
            "<blockquote expandable>long</blockquote><tg-emoji emoji-id=\"12\">👍</tg-emoji>",
        );
        assert_eq!(text, "long👍");
        assert_eq!(
            entities,
            [
                types::MessageEntityBlockquote {
                    collapsed: true,
                    offset: 0,
                    length: 4
                }
                .into(),
                types::MessageEntityCustomEmoji {
                    offset: 4,
                    length: 2,
                    document_id: 12
                }
                .into(),
            ]
        );
    }

    #[test]
    fn round_trips() {
        for src in [
            "<b>bold</b> <i>it</i> <u>under</u> <s>strike</s> <tg-spoiler>spoil</tg-spoiler>",
            "emoji 😀 <b>👨‍👩‍👧 <i>family</i></b> 𝄞 &lt;tag&gt; &amp; &quot;q&quot;",
            "<a href=\"https://example.com/?a=1&amp;b=2\">link 🔗</a> <a href=\"tg://user?id=42\">Bob</a>",
            "<pre><code class=\"language-python\">print(&quot;hi&quot;)</code></pre><pre>plain</pre>",
            "<blockquote>quote</blockquote><blockquote expandable>more</blockquote>",
            "<code>a</code><code>b</code>",
        ] {
            let (text, entities) = parse_html(src);
            let html = unparse_html(&text, &entities);
            assert_eq!(html, src, "unparse of {src:?}");
            assert_eq!(parse_html(&html), (text, entities), "{src:?}");
        }
    }

    #[test]
    fn markdown_and_html_agree() {
        let md = crate::text::parse_markdown(
            "**b 😀** __i__ ~~s~~ ||p|| `c` [l](https://x) [m](tg://user?id=3)",
        );
        let html = parse_html("<b>b 😀</b> <i>i</i> <s>s</s> <tg-spoiler>p</tg-spoiler> <code>c</code> <a href=\"https://x\">l</a> <a href=\"tg://user?id=3\">m</a>");
        assert_eq!(md, html);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics_and_ranges_fit(src in "\\PC{0,64}") {
            let (text, entities) = parse_html(&src);
            let total = crate::text::utf16_len(&text) as i32;
            for e in &entities {
                let (o, l) = entity_range(e);
                proptest::prop_assert!(o >= 0 && l > 0 && o + l <= total);
            }
        }

        #[test]
        fn plain_text_survives_unparse(text in "[a-z<>&\"'; \n😀é]{0,40}") {
            let (back, entities) = parse_html(&unparse_html(&text, &[]));
            proptest::prop_assert_eq!(back, text);
            proptest::prop_assert!(entities.is_empty());
        }
    }
}
