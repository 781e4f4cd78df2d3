//! Callback queries and inline mode: the user's call waits ([`Answer::Later`]) until the bot
//! answers, and fails as Telegram does when it cannot.

use tgwire_tl_types::{enums, functions, types, Deserializable, RemoteCall};

use super::super::{Answer, PendingAnswer};
use super::*;

/// A bot signed in on DC 2 with id `id`.
fn bot(backend: &Backend, id: i64) -> Client {
    let bot = Client::connect(backend, 2);
    bot.ok(&functions::auth::ImportBotAuthorization {
        flags: 0,
        api_id: 1,
        api_hash: "x".into(),
        bot_auth_token: format!("{id}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq").into(),
    });
    bot
}

/// Calls `request` expecting it to wait for a bot.
fn call_later<F: RemoteCall>(client: &Client, request: &F) -> PendingAnswer {
    match client
        .backend
        .call_deferred(&client.ctx, &request.to_bytes())
    {
        Answer::Later(pending) => pending,
        Answer::Now(outcome) => panic!("answered at once: {outcome:?}"),
    }
}

fn decoded<T: Deserializable>(outcome: RpcOutcome) -> T {
    match outcome {
        RpcOutcome::Ok(bytes) => T::from_bytes(&bytes).expect("answer decodes"),
        RpcOutcome::Part(part) => T::from_bytes(&part.to_vec()).expect("answer decodes"),
        RpcOutcome::Err { code, message } => panic!("unexpected {code} {message}"),
    }
}

fn callback_button(text: &str, data: &[u8]) -> enums::KeyboardInlineButton {
    types::KeyboardInlineButton {
        style: None,
        text: text.into(),
        r#type: types::InlineButtonTypeCallback {
            requires_password: false,
            data: data.to_vec().into(),
        }
        .into(),
    }
    .into()
}

fn inline_markup(buttons: Vec<enums::KeyboardInlineButton>) -> enums::ReplyMarkup {
    types::ReplyInlineMarkup {
        force_reply: false,
        rows: vec![types::KeyboardInlineButtonRow { buttons }.into()],
    }
    .into()
}

/// The updates of one kind pushed to `client` so far.
fn pushed_updates(client: &mut Client) -> Vec<enums::Update> {
    client.pushed().iter().flat_map(inner_updates).collect()
}

#[test]
fn a_callback_query_reaches_the_bot_and_its_answer_the_user() {
    let backend = backend();
    let mut bot = bot(&backend, 4242);
    let user = Client::connect(&backend, 2);
    let user_id = user.sign_in("9996624001");
    // The bot writes to the user with a keyboard.
    let mut send = send_message(input_peer_user(&backend, user_id), "menu");
    send.reply_markup = Some(inline_markup(vec![
        callback_button("one", b"one"),
        callback_button("two", b"two"),
    ]));
    let enums::Updates::UpdateShortSentMessage(sent) = bot.ok(&send) else {
        panic!("a private send answers with the short form")
    };
    let history = user.ok(&get_history(input_peer_user(&backend, 4242), 0, 0, 10));
    let msg_id = texts(&history)[0].0;
    bot.pushed();

    let press = |data: &[u8]| functions::messages::GetBotCallbackAnswer {
        game: false,
        peer: input_peer_user(&backend, 4242),
        msg_id,
        data: Some(data.to_vec().into()),
        password: None,
    };
    // Data no button has.
    assert_eq!(user.call(&press(b"three")), Err(err(400, "DATA_INVALID")));

    let mut pending = call_later(&user, &press(b"two"));
    assert!(pending.try_take().is_none(), "answered before the bot did");
    let updates = pushed_updates(&mut bot);
    let [enums::Update::BotCallbackQuery(query)] = updates.as_slice() else {
        panic!("unexpected {updates:?}")
    };
    assert_eq!(query.user_id, user_id);
    assert_eq!(query.data.as_deref(), Some(&b"two"[..]));
    assert_eq!(query.peer, enums::Peer::User(types::PeerUser { user_id }));
    // The bot's own numbering of the message.
    assert_eq!(query.msg_id, sent.id);

    // Only the bot the query is for may answer it.
    let answer = functions::messages::SetBotCallbackAnswer {
        alert: true,
        query_id: query.query_id,
        message: Some("you chose two".into()),
        url: None,
        cache_time: 30,
    };
    assert_eq!(user.call(&answer), Err(err(400, "USER_BOT_REQUIRED")));
    assert!(bot.ok(&answer));
    let enums::messages::BotCallbackAnswer::BotCallbackAnswer(got) =
        decoded(pending.try_take().expect("answered"));
    assert!(got.alert);
    assert_eq!(got.message.as_deref(), Some("you chose two"));
    assert_eq!(got.cache_time, 30);
    // Answered once only.
    assert_eq!(bot.call(&answer), Err(err(400, "QUERY_ID_INVALID")));
}

#[test]
fn a_query_nobody_waits_for_any_more_cannot_be_answered() {
    let backend = backend();
    let mut bot = bot(&backend, 4243);
    let user = Client::connect(&backend, 2);
    let user_id = user.sign_in("9996624002");
    let mut send = send_message(input_peer_user(&backend, user_id), "menu");
    send.reply_markup = Some(inline_markup(vec![callback_button("go", b"go")]));
    bot.ok(&send);
    let history = user.ok(&get_history(input_peer_user(&backend, 4243), 0, 0, 10));
    let press = functions::messages::GetBotCallbackAnswer {
        game: false,
        peer: input_peer_user(&backend, 4243),
        msg_id: texts(&history)[0].0,
        data: Some(b"go".to_vec().into()),
        password: None,
    };
    // `call` cannot wait: the user gets the timeout at once.
    assert_eq!(user.call(&press), Err(err(400, "BOT_RESPONSE_TIMEOUT")));
    let updates = pushed_updates(&mut bot);
    let [enums::Update::BotCallbackQuery(query)] = updates.as_slice() else {
        panic!("unexpected {updates:?}")
    };
    assert_eq!(
        bot.call(&functions::messages::SetBotCallbackAnswer {
            alert: false,
            query_id: query.query_id,
            message: None,
            url: None,
            cache_time: 0,
        }),
        Err(err(400, "QUERY_ID_INVALID"))
    );
}

fn article(id: &str, text: &str) -> enums::InputBotInlineResult {
    types::InputBotInlineResult {
        id: id.into(),
        r#type: "article".into(),
        title: Some(format!("title {id}").into()),
        description: None,
        url: None,
        thumb: None,
        content: None,
        send_message: types::InputBotInlineMessageText {
            no_webpage: false,
            invert_media: false,
            message: text.into(),
            entities: None,
            reply_markup: Some(inline_markup(vec![callback_button("like", b"like")])),
        }
        .into(),
    }
    .into()
}

#[test]
fn inline_queries_are_answered_cached_paged_and_sent_via_the_bot() {
    let backend = backend();
    let mut bot = bot(&backend, 4244);
    let user = Client::connect(&backend, 2);
    let user_id = user.sign_in("9996624003");
    let ask = |query: &str, offset: &str| functions::messages::GetInlineBotResults {
        bot: input_user(&backend, 4244),
        peer: enums::InputPeer::InputPeerSelf,
        geo_point: None,
        query: query.into(),
        offset: offset.into(),
    };
    assert_eq!(
        user.call(&ask("cats", "")),
        Err(err(400, "BOT_INLINE_DISABLED"))
    );
    backend.set_bot_inline(4244, Some("Search…")).unwrap();

    let mut pending = call_later(&user, &ask("cats", ""));
    let updates = pushed_updates(&mut bot);
    let [enums::Update::BotInlineQuery(query)] = updates.as_slice() else {
        panic!("unexpected {updates:?}")
    };
    assert_eq!((query.query.as_str(), query.offset.as_str()), ("cats", ""));
    assert_eq!(query.user_id, user_id);
    assert_eq!(query.peer_type, Some(enums::InlineQueryPeerType::Pm));
    let answer = |query_id, next: Option<&str>, results| functions::messages::SetInlineBotResults {
        gallery: false,
        private: false,
        query_id,
        results,
        cache_time: 300,
        next_offset: next.map(str::to_owned).map(Into::into),
        switch_pm: None,
        switch_webview: None,
    };
    assert_eq!(
        bot.call(&answer(
            query.query_id,
            None,
            vec![article("a", "x"), article("a", "y")]
        )),
        Err(err(400, "RESULT_ID_DUPLICATE"))
    );
    assert!(bot.ok(&answer(
        query.query_id,
        Some("2"),
        vec![article("a", "cat one"), article("b", "cat two")]
    )));
    let enums::messages::BotResults::BotResults(results) =
        decoded(pending.try_take().expect("answered"));
    assert_eq!(results.results.len(), 2);
    assert_eq!(results.next_offset.as_deref(), Some("2"));
    assert_eq!(results.query_id, query.query_id);

    // The same query again comes from the cache, without asking the bot.
    let enums::messages::BotResults::BotResults(again) = user.ok(&ask("cats", ""));
    assert_eq!(again.query_id, query.query_id);
    assert!(pushed_updates(&mut bot).is_empty());
    // The next page is a new query for the bot.
    let _next = call_later(&user, &ask("cats", "2"));
    let updates = pushed_updates(&mut bot);
    let [enums::Update::BotInlineQuery(page)] = updates.as_slice() else {
        panic!("unexpected {updates:?}")
    };
    assert_eq!(page.offset, "2");

    // Sending a result: a message via the bot, with the result's keyboard, and the bot learns
    // the inline message id.
    let send = |id: &str| functions::messages::SendInlineBotResult {
        silent: false,
        background: false,
        clear_draft: false,
        hide_via: false,
        peer: enums::InputPeer::InputPeerSelf,
        reply_to: None,
        random_id: rand::random(),
        query_id: query.query_id,
        id: id.into(),
        schedule_date: None,
        send_as: None,
        quick_reply_shortcut: None,
        allow_paid_stars: None,
    };
    assert_eq!(user.call(&send("zzz")), Err(err(400, "RESULT_ID_INVALID")));
    let sent = user.ok(&send("b"));
    let message = inner_updates(&sent)
        .into_iter()
        .find_map(|u| match u {
            enums::Update::NewMessage(u) => Some(u.message),
            _ => None,
        })
        .expect("the sent message");
    let enums::Message::Message(message) = message else {
        panic!("unexpected {message:?}")
    };
    assert_eq!(message.message, "cat two");
    assert_eq!(message.via_bot_id, Some(4244));
    assert!(message.reply_markup.is_some());
    let updates = pushed_updates(&mut bot);
    let [enums::Update::BotInlineSend(chosen)] = updates.as_slice() else {
        panic!("unexpected {updates:?}")
    };
    assert_eq!(chosen.id, "b");
    let inline_id = chosen
        .msg_id
        .clone()
        .expect("an inline keyboard gives an id");

    // A press of its button reaches the bot as an inline callback query.
    let mut pending = call_later(
        &user,
        &functions::messages::GetBotCallbackAnswer {
            game: false,
            peer: enums::InputPeer::InputPeerSelf,
            msg_id: message.id,
            data: Some(b"like".to_vec().into()),
            password: None,
        },
    );
    let updates = pushed_updates(&mut bot);
    let [enums::Update::InlineBotCallbackQuery(press)] = updates.as_slice() else {
        panic!("unexpected {updates:?}")
    };
    assert_eq!(press.msg_id, inline_id);
    assert!(bot.ok(&functions::messages::SetBotCallbackAnswer {
        alert: false,
        query_id: press.query_id,
        message: Some("liked".into()),
        url: None,
        cache_time: 0,
    }));
    let enums::messages::BotCallbackAnswer::BotCallbackAnswer(got) =
        decoded(pending.try_take().expect("answered"));
    assert_eq!(got.message.as_deref(), Some("liked"));

    // The bot edits the message by its inline id; the user's copy changes.
    let edit = |id| functions::messages::EditInlineBotMessage {
        no_webpage: false,
        invert_media: false,
        id,
        message: Some("cat two (liked)".into()),
        media: None,
        reply_markup: None,
        entities: None,
        rich_message: None,
    };
    assert!(bot.ok(&edit(inline_id.clone())));
    assert_eq!(
        user.call(&edit(inline_id)),
        Err(err(400, "USER_BOT_REQUIRED"))
    );
    let history = user.ok(&get_history(enums::InputPeer::InputPeerSelf, 0, 0, 10));
    assert_eq!(texts(&history)[0], (message.id, "cat two (liked)".into()));
}
