//! Markdown and HTML parsing and unparsing of a typical formatted message.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use tgwire::text::{parse_html, parse_markdown, unparse_html, unparse_markdown};

const MARKDOWN: &str = "**Release notes** 🎉\n\n> Everything __new__ in this version\n\
    - faster `parse_markdown` with ~~no~~ fewer allocations\n\
    - [docs](https://example.com/docs) and a ||surprise|| for [Ada](tg://user?id=42)\n\
    ```rust\nfn main() { println!(\"hi 👋\"); }\n```\nThanks to everyone 😀 𝄞!";

fn bench(c: &mut Criterion) {
    let html = {
        let (text, entities) = parse_markdown(MARKDOWN);
        unparse_html(&text, &entities)
    };
    let (text, entities) = parse_markdown(MARKDOWN);
    c.bench_function("parse_markdown", |b| {
        b.iter(|| parse_markdown(black_box(MARKDOWN)))
    });
    c.bench_function("parse_html", |b| b.iter(|| parse_html(black_box(&html))));
    c.bench_function("unparse_markdown", |b| {
        b.iter(|| unparse_markdown(black_box(&text), black_box(&entities)))
    });
    c.bench_function("unparse_html", |b| {
        b.iter(|| unparse_html(black_box(&text), black_box(&entities)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
