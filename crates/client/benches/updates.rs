//! The update engine alone: in-order `updateNewMessage` pushes (each in its own `updates`
//! container with its sender, as Telegram pushes them), fed and handed out. Building the pushes
//! is not measured; cloning-free: each batch is built in criterion's setup.
#![allow(missing_docs)]

use std::time::Instant;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tgwire::tl::{enums, types};
use tgwire::updates::engine::{Engine, EngineConfig, Origin, PeerId};

const BATCH: usize = 10_000;
const ALICE: i64 = 7;

fn sender() -> enums::User {
    types::User {
        is_self: false,
        contact: false,
        mutual_contact: false,
        deleted: false,
        bot: false,
        bot_chat_history: false,
        bot_nochats: false,
        verified: false,
        restricted: false,
        min: false,
        bot_inline_geo: false,
        support: false,
        scam: false,
        apply_min_photo: false,
        fake: false,
        bot_attach_menu: false,
        premium: false,
        attach_menu_enabled: false,
        bot_can_edit: false,
        close_friend: false,
        stories_hidden: false,
        stories_unavailable: false,
        contact_require_premium: false,
        bot_business: false,
        bot_has_main_app: false,
        bot_forum_view: false,
        bot_forum_can_manage_topics: false,
        bot_can_manage_bots: false,
        bot_guestchat: false,
        bot_guard: false,
        id: ALICE,
        access_hash: Some(70),
        first_name: Some("Alice".into()),
        last_name: None,
        username: None,
        phone: None,
        photo: None,
        status: None,
        bot_info_version: None,
        restriction_reason: None,
        bot_inline_placeholder: None,
        lang_code: None,
        emoji_status: None,
        usernames: None,
        stories_max_id: None,
        color: None,
        profile_color: None,
        bot_active_users: None,
        bot_verification_icon: None,
        send_paid_messages_stars: None,
        linked_community_id: None,
    }
    .into()
}

/// `count` pushes continuing from `pts`.
fn pushes(pts: i32, count: usize) -> Vec<enums::Updates> {
    (0..count as i32)
        .map(|i| {
            let short = types::UpdateShortMessage {
                out: false,
                mentioned: false,
                media_unread: false,
                silent: false,
                id: pts + i + 1,
                user_id: ALICE,
                message: "hello".into(),
                pts: pts + i + 1,
                pts_count: 1,
                date: 1_700_000_000,
                fwd_from: None,
                via_bot_id: None,
                reply_to: None,
                entities: None,
                ttl_period: None,
            };
            // Build the full message once through the engine-independent short form, then
            // wrap it the way Telegram pushes a new message with its sender.
            let message = match expand(short) {
                enums::Update::NewMessage(u) => *u,
                _ => unreachable!(),
            };
            types::Updates {
                updates: vec![message.into()],
                users: vec![sender()],
                chats: Vec::new(),
                date: 1_700_000_000,
                seq: 0,
            }
            .into()
        })
        .collect()
}

/// A short message as the engine expands it (via a throwaway engine).
fn expand(short: types::UpdateShortMessage) -> enums::Update {
    let now = Instant::now();
    let mut engine = Engine::new(EngineConfig::new(1, false), now);
    engine.poll_request(now);
    engine.handle_state(
        types::updates::State {
            pts: short.pts - 1,
            qts: 0,
            date: 0,
            seq: 0,
            unread_count: 0,
        },
        now,
    );
    engine.handle_updates(short.into(), Origin::Pushed, &|_: PeerId| true, now);
    engine.poll_update().expect("applied").update
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("update_engine");
    group.throughput(Throughput::Elements(BATCH as u64));
    let now = Instant::now();
    group.bench_function("in_order_new_messages", |b| {
        b.iter_batched(
            || {
                let mut engine = Engine::new(EngineConfig::new(1, false), now);
                engine.poll_request(now);
                engine.handle_state(
                    types::updates::State {
                        pts: 0,
                        qts: 0,
                        date: 0,
                        seq: 0,
                        unread_count: 0,
                    },
                    now,
                );
                (engine, pushes(0, BATCH))
            },
            |(mut engine, pushes)| {
                let known = |_: PeerId| true;
                let mut handed = 0usize;
                for push in pushes {
                    engine.handle_updates(push, Origin::Pushed, &known, now);
                    while let Some(update) = engine.poll_update() {
                        handed += 1;
                        drop(update);
                    }
                }
                assert_eq!(handed, BATCH);
                engine.take_state_changes()
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
