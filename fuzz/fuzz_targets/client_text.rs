//! The client's markup code (`tgwire::text`): arbitrary text through the markdown and HTML
//! parsers, and arbitrary text with arbitrary entities (offsets anywhere, overlapping, negative,
//! splitting surrogate pairs — what a server or a caller may hand over) through both unparsers.
//!
//! Checked: nothing panics; every parsed entity is non-empty and covers a whole-character range
//! inside the parsed text (measured in UTF-16); unparsed markup parses again without panicking.
//!
//! Input: the first byte picks the mode (bit 0: markdown or HTML for modes 0/1; mode 2: entities
//! then text). In mode 2 the next byte is an entity count `n` (mod 16), then `n` records of 10
//! bytes (kind, offset i32 LE, length i32 LE, extra), then the text (lossy UTF-8).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgwire::text::{
    entity_range, parse_html, parse_markdown, unparse_html, unparse_markdown, utf16_len,
    utf16_slice, MessageEntity,
};
use tgwire::tl::types;

fn check_parsed(text: &str, entities: &[MessageEntity]) {
    let total = utf16_len(text);
    for entity in entities {
        let (offset, length) = entity_range(entity);
        assert!(offset >= 0 && length > 0, "{entity:?} in {text:?}");
        let end = usize::try_from(offset).unwrap() + usize::try_from(length).unwrap();
        assert!(end <= total, "{entity:?} beyond {total} units of {text:?}");
        assert!(
            utf16_slice(text, offset, length).is_some(),
            "{entity:?} splits a character of {text:?}"
        );
    }
}

fn entity(kind: u8, offset: i32, length: i32, extra: u8) -> MessageEntity {
    let word = || format!("x{extra}<>&\"*_`[]()");
    match kind % 12 {
        0 => types::MessageEntityBold { offset, length }.into(),
        1 => types::MessageEntityItalic { offset, length }.into(),
        2 => types::MessageEntityUnderline { offset, length }.into(),
        3 => types::MessageEntityStrike { offset, length }.into(),
        4 => types::MessageEntitySpoiler { offset, length }.into(),
        5 => types::MessageEntityCode { offset, length }.into(),
        6 => types::MessageEntityPre {
            offset,
            length,
            language: word(),
        }
        .into(),
        7 => types::MessageEntityTextUrl {
            offset,
            length,
            url: word(),
        }
        .into(),
        8 => types::MessageEntityMentionName {
            offset,
            length,
            user_id: i64::from(extra) - 128,
        }
        .into(),
        9 => types::MessageEntityCustomEmoji {
            offset,
            length,
            document_id: i64::from(extra),
        }
        .into(),
        10 => types::MessageEntityBlockquote {
            collapsed: extra & 1 == 1,
            offset,
            length,
        }
        .into(),
        _ => types::MessageEntityUrl { offset, length }.into(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 | 1 => {
            let input = String::from_utf8_lossy(rest);
            let markdown = mode % 3 == 0;
            let (text, entities) = if markdown {
                parse_markdown(&input)
            } else {
                parse_html(&input)
            };
            check_parsed(&text, &entities);
            let again = if markdown {
                unparse_markdown(&text, &entities)
            } else {
                unparse_html(&text, &entities)
            };
            let (text2, entities2) = if markdown {
                parse_markdown(&again)
            } else {
                parse_html(&again)
            };
            check_parsed(&text2, &entities2);
        }
        _ => {
            let Some((&count, mut rest)) = rest.split_first() else {
                return;
            };
            let mut entities = Vec::new();
            for _ in 0..count % 16 {
                let Some((record, tail)) = rest.split_first_chunk::<10>() else {
                    break;
                };
                rest = tail;
                let offset = i32::from_le_bytes([record[1], record[2], record[3], record[4]]);
                let length = i32::from_le_bytes([record[5], record[6], record[7], record[8]]);
                entities.push(entity(record[0], offset, length, record[9]));
            }
            let text = String::from_utf8_lossy(rest);
            for markup in [
                unparse_markdown(&text, &entities),
                unparse_html(&text, &entities),
            ] {
                let (t, e) = parse_markdown(&markup);
                check_parsed(&t, &e);
                let (t, e) = parse_html(&markup);
                check_parsed(&t, &e);
            }
        }
    }
});
