//! The update engine end to end against the test server over loopback: pushes handed out
//! exactly once and in order, gaps (dropped pushes, `updatesTooLong`, reconnects) filled by the
//! difference, catch-up from an SQLite session, channels, and the client's own sends.

mod common;

use std::time::Duration;

use tgwire::tl::enums;
use tgwire::updates::engine::UpdateStats;
use tgwire::updates::UpdateStream;
use tgwire::Client;
use tgwire_testserver::backend::Peer;
use tgwire_testserver::TestServer;

/// Generous: the machine running the tests may be slow; waits end as soon as the update comes.
const PATIENCE: Duration = Duration::from_secs(30);

/// The text of a new message update (private, group or channel), if it is one.
fn new_message_text(update: &enums::Update) -> Option<String> {
    let message = match update {
        enums::Update::NewMessage(u) => &u.message,
        enums::Update::NewChannelMessage(u) => &u.message,
        _ => return None,
    };
    match message {
        enums::Message::Message(m) => Some(m.message.to_string()),
        _ => None,
    }
}

/// The texts of the next `n` new messages on `stream`.
async fn next_texts(stream: &mut UpdateStream, n: usize) -> Vec<String> {
    common::next_texts(stream, n, PATIENCE).await
}

/// Asserts that no further new message arrives for a while (well past the gap wait and a
/// difference round trip): nothing was handed out twice.
async fn assert_quiet(stream: &mut UpdateStream) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => return,
            Ok(None) => panic!("the stream ended"),
            Ok(Some(update)) => {
                if let Some(text) = new_message_text(&update.update) {
                    panic!("unexpected extra message {text:?}");
                }
            }
        }
    }
}

fn texts(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// Two signed-in users on DC 2 who know each other (each resolved the other's username,
/// `@user_<tail>`); returns `b`'s.
async fn pair(server: &TestServer, tail_a: &str, tail_b: &str) -> (Client, Client, String) {
    let (a, _) = common::signed_in(server, 2, tail_a).await;
    let (b, _) = common::signed_in(server, 2, tail_b).await;
    for (client, tail) in [(&a, tail_a), (&b, tail_b)] {
        let id = common::me(client).await;
        server
            .backend()
            .set_username(id, Some(&format!("user_{tail}")))
            .expect("username set");
    }
    a.resolve(format!("@user_{tail_b}").as_str())
        .await
        .expect("a knows b");
    b.resolve(format!("@user_{tail_a}").as_str())
        .await
        .expect("b knows a");
    (a, b, format!("@user_{tail_b}"))
}

/// Sends `texts` from `from` to `to`, one after another.
async fn send_all(from: &Client, to: &str, texts: &[String]) {
    for text in texts {
        from.send_message(to, text.as_str()).await.expect("sent");
    }
}

/// A fault test: `a` sends `n` messages (`<prefix>0`, `<prefix>1`, …) to `b` with `fault` armed
/// on the server, and `b` must receive each exactly once, in order. Returns `b`'s engine
/// counters before and after.
async fn through_fault(
    tails: (&str, &str),
    prefix: &str,
    n: usize,
    fault: impl FnOnce(&tgwire_testserver::Faults),
) -> (UpdateStats, UpdateStats) {
    let server = common::start().await;
    let (a, b, to_b) = pair(&server, tails.0, tails.1).await;
    let mut stream = b.updates();
    let before = settled(&b).await;
    fault(server.faults());
    let expected = texts(prefix, n);
    send_all(&a, &to_b, &expected).await;
    assert_eq!(next_texts(&mut stream, n).await, expected);
    assert_quiet(&mut stream).await;
    (before, settled(&b).await)
}

/// A user signed in on DC 2 with its session in the SQLite file `path`, named `@<username>`.
async fn signed_in_to_file(
    server: &TestServer,
    path: &std::path::Path,
    phone: &str,
    username: &str,
) -> Client {
    let client = common::builder(server, 2)
        .session_file(path)
        .connect()
        .await
        .expect("connects");
    let token = client.request_login_code(phone).await.expect("code");
    client.sign_in(&token, "22222").await.expect("signed in");
    let id = common::me(&client).await;
    server
        .backend()
        .set_username(id, Some(username))
        .expect("username");
    client
}

/// Waits until `client`'s engine has no difference in flight and stats stop moving.
async fn settled(client: &Client) -> UpdateStats {
    let mut last = client.update_stats();
    loop {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let now = client.update_stats();
        if now == last {
            return now;
        }
        last = now;
    }
}

/// A client that only listens makes no calls for longer than its idle timeout: the idle
/// reaping must leave its home connection (where the pushes come) open, and its updates going.
#[tokio::test]
async fn a_listening_client_keeps_its_home_connection_past_the_idle_timeout() {
    let server = common::start().await;
    let (a, _) = common::signed_in(&server, 2, "1191").await;
    let idle = Duration::from_millis(100);
    let (b, _) =
        common::signed_in_with(common::builder(&server, 2).idle_timeout(idle), 2, "1192").await;
    server
        .backend()
        .set_username(common::me(&b).await, Some("user_1192"))
        .expect("username set");
    a.resolve("@user_1192").await.expect("a knows b");
    let mut stream = b.updates();
    send_all(&a, "@user_1192", &texts("before", 1)).await;
    assert_eq!(next_texts(&mut stream, 1).await, ["before0"]);
    // Ten idle timeouts without a call of b's (the reaping runs every quarter of one).
    tokio::time::sleep(idle * 10).await;
    assert!(
        b.connection_state().is_connected(),
        "{:?}",
        b.connection_state()
    );
    send_all(&a, "@user_1192", &texts("after", 3)).await;
    assert_eq!(next_texts(&mut stream, 3).await, texts("after", 3));
}

#[tokio::test]
async fn private_messages_arrive_exactly_once_in_order_and_own_sends_fetch_nothing() {
    let server = common::start().await;
    let (a, b, to_b) = pair(&server, "1101", "1102").await;
    let mut stream = b.updates();
    let mut a_stream = a.updates();
    let a_before = settled(&a).await;
    let b_before = settled(&b).await;
    let expected = texts("m", 30);
    send_all(&a, &to_b, &expected).await;
    assert_eq!(next_texts(&mut stream, 30).await, expected);
    assert_quiet(&mut stream).await;
    // A reply comes to `a` with the pts after its 30 sends: had its own answers not been
    // applied, this would be a gap.
    b.send_message("@user_1101", "reply").await.expect("sent");
    assert_eq!(next_texts(&mut a_stream, 1).await, ["reply"]);
    assert_quiet(&mut a_stream).await;
    let a_after = settled(&a).await;
    let b_after = settled(&b).await;
    // The sender's own answers advanced its state: no gap, no difference.
    assert_eq!(a_after.differences, a_before.differences, "{a_after:?}");
    assert_eq!(a_after.gaps, a_before.gaps, "{a_after:?}");
    // The receiver needed no difference either, and handed out each message once.
    assert_eq!(b_after.differences, b_before.differences, "{b_after:?}");
    assert!(b_after.handed_out >= b_before.handed_out + 30);
    // The state was saved after handing out.
    let saved = b.session().update_state().expect("state saved");
    assert_eq!(
        Some(saved.pts),
        server.backend().pts(common::me(&b).await),
        "the saved pts is the server's"
    );
}

#[tokio::test]
async fn a_message_from_an_unknown_user_is_refilled_by_the_difference() {
    let server = common::start().await;
    let (a, _) = common::signed_in(&server, 2, "2001").await;
    let (b, _) = common::signed_in(&server, 2, "2002").await;
    let b_id = common::me(&b).await;
    server
        .backend()
        .set_username(b_id, Some("user_2002"))
        .expect("username set");
    let a_id = common::me(&a).await;
    let mut stream = b.updates();
    let before = settled(&b).await;
    assert!(b.session().peer(a_id).is_none(), "b has never seen a");
    // A plain private text travels as updateShortMessage, which names its sender by id only.
    a.send_message("@user_2002", "hello stranger")
        .await
        .expect("sent");
    let update = tokio::time::timeout(PATIENCE, async {
        loop {
            let update = stream.next().await.expect("stream open");
            if new_message_text(&update.update).is_some() {
                return update;
            }
        }
    })
    .await
    .expect("arrives");
    assert_eq!(
        new_message_text(&update.update).as_deref(),
        Some("hello stranger")
    );
    // Handed out complete: the sender came with it, and is cached.
    assert!(update.chat(a_id).is_some(), "the sender travels with it");
    assert!(b.session().peer(a_id).is_some_and(|p| !p.min));
    assert_quiet(&mut stream).await;
    let after = settled(&b).await;
    assert_eq!(after.missing_peers, before.missing_peers + 1, "{after:?}");
    assert!(after.differences > before.differences, "{after:?}");
}

#[tokio::test]
async fn dropped_pushes_are_filled_by_the_difference() {
    let (before, after) = through_fault(("1201", "1202"), "d", 10, |f| f.drop_updates(3)).await;
    assert!(after.gaps > before.gaps, "{after:?}");
    assert!(after.differences > before.differences, "{after:?}");
}

#[tokio::test]
async fn updates_too_long_is_followed_by_the_difference() {
    let (before, after) = through_fault(("1301", "1302"), "t", 5, |f| f.updates_too_long()).await;
    assert!(after.too_long > before.too_long, "{after:?}");
    assert!(after.differences > before.differences, "{after:?}");
}

#[tokio::test]
async fn a_reconnect_fetches_the_difference() {
    let server = common::start().await;
    let (a, b, to_b) = pair(&server, "1401", "1402").await;
    let mut stream = b.updates();
    let before = settled(&b).await;
    // Drop b's connection (the next one to send anything is b's, answering get_me), and lose
    // the pushes that would have gone to it meanwhile.
    server.faults().drop_updates(2);
    a.send_message(to_b.as_str(), "r0").await.expect("sent");
    a.send_message(to_b.as_str(), "r1").await.expect("sent");
    server.faults().disconnect_now();
    let _ = b.get_me().await;
    a.send_message(to_b.as_str(), "r2").await.expect("sent");
    assert_eq!(next_texts(&mut stream, 3).await, ["r0", "r1", "r2"]);
    assert_quiet(&mut stream).await;
    let after = settled(&b).await;
    assert!(after.differences > before.differences, "{after:?}");
}

#[tokio::test]
async fn a_restarted_client_catches_up_from_its_sqlite_session() {
    let server = common::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bob");
    let (a, _) = common::signed_in(&server, 2, "1501").await;
    let b = signed_in_to_file(&server, &path, "9996621502", "bob_restarts").await;
    let mut stream = b.updates();
    a.send_message("@bob_restarts", "before")
        .await
        .expect("sent");
    assert_eq!(next_texts(&mut stream, 1).await, ["before"]);
    settled(&b).await;
    b.disconnect().await;
    drop(stream);
    drop(b);

    // Away: five messages in private and one in a channel bob is a member of.
    let expected = texts("away", 5);
    send_all(&a, "@bob_restarts", &expected).await;

    let b = common::builder(&server, 2)
        .session_file(&path)
        .catch_up(true)
        .connect()
        .await
        .expect("reconnects");
    let mut stream = b.updates();
    assert_eq!(next_texts(&mut stream, 5).await, expected);
    assert_quiet(&mut stream).await;
    a.send_message("@bob_restarts", "after")
        .await
        .expect("sent");
    assert_eq!(next_texts(&mut stream, 1).await, ["after"]);
    assert_quiet(&mut stream).await;
}

#[tokio::test]
async fn without_catch_up_a_restarted_client_starts_from_now() {
    let server = common::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("carol");
    let (a, _) = common::signed_in(&server, 2, "1601").await;
    let b = signed_in_to_file(&server, &path, "9996621602", "carol_restarts").await;
    settled(&b).await;
    b.disconnect().await;
    drop(b);
    a.send_message("@carol_restarts", "missed")
        .await
        .expect("sent");
    let b = common::builder(&server, 2)
        .session_file(&path)
        .connect()
        .await
        .expect("reconnects");
    let mut stream = b.updates();
    settled(&b).await;
    a.send_message("@carol_restarts", "new")
        .await
        .expect("sent");
    assert_eq!(next_texts(&mut stream, 1).await, ["new"]);
    assert_quiet(&mut stream).await;
}

#[tokio::test]
async fn channel_and_group_messages_arrive_in_order_and_channel_gaps_are_filled() {
    let server = common::start().await;
    let (b, _) = common::signed_in(&server, 2, "1702").await;
    let me = common::me(&b).await;
    let backend = server.backend();
    let poster = backend
        .create_user("9996621701", "Poster", Some("poster_p"))
        .expect("user");
    let channel = backend
        .create_channel(poster, "Feed", false, Some("poster_feed"))
        .expect("channel");
    backend.add_channel_member(channel, me).expect("member");
    let group = backend
        .create_channel(poster, "Talk", true, Some("poster_talk"))
        .expect("megagroup");
    backend.add_channel_member(group, me).expect("member");
    let basic = backend.create_chat(poster, "Basic", &[me]).expect("chat");
    let mut stream = b.updates();
    settled(&b).await;

    let mut expected = Vec::new();
    for i in 0..5 {
        for (peer, name) in [
            (Peer::Channel(channel), "feed"),
            (Peer::Channel(group), "talk"),
            (Peer::Chat(basic), "basic"),
        ] {
            let text = format!("{name}{i}");
            backend
                .send_message_as(poster, peer, &text)
                .expect("posted");
            expected.push(text);
        }
    }
    // Each chat's messages in order. Across chats the order may differ: the first updates of a
    // channel never seen before wait one gap wait for any they overtook.
    let got = next_texts(&mut stream, expected.len()).await;
    for name in ["feed", "talk", "basic"] {
        let of = |texts: &[String]| -> Vec<String> {
            texts
                .iter()
                .filter(|t| t.starts_with(name))
                .cloned()
                .collect()
        };
        assert_eq!(of(&got), of(&expected), "{name}");
    }
    assert_quiet(&mut stream).await;

    // Lose two channel pushes: the channel's own difference brings them back, in order.
    let before = settled(&b).await;
    server.faults().drop_updates(2);
    let lost = texts("feed-late", 4);
    for text in &lost {
        backend
            .send_message_as(poster, Peer::Channel(channel), text)
            .expect("posted");
    }
    assert_eq!(next_texts(&mut stream, 4).await, lost);
    assert_quiet(&mut stream).await;
    let after = settled(&b).await;
    assert!(
        after.channel_differences > before.channel_differences,
        "{after:?}"
    );
}

#[tokio::test]
async fn the_stream_ends_when_the_client_disconnects() {
    let server = common::start().await;
    let (b, _) = common::signed_in(&server, 2, "1801").await;
    let mut stream = b.updates();
    b.disconnect().await;
    let end = tokio::time::timeout(PATIENCE, stream.next())
        .await
        .expect("ends in time");
    assert!(end.is_none());
}

/// The client's last handle going ends its update streams, though its driver is parked (no
/// task of its own notices), and a parked driver still wakes for what comes later.
#[tokio::test]
async fn the_stream_ends_when_the_client_is_dropped() {
    let server = common::start().await;
    let (a, b, to_b) = pair(&server, "1811", "1812").await;
    let mut stream = b.updates();
    // Parked well past the gap wait, then woken by a push.
    tokio::time::sleep(Duration::from_secs(1)).await;
    send_all(&a, &to_b, &texts("late", 2)).await;
    assert_eq!(next_texts(&mut stream, 2).await, texts("late", 2));
    drop(b);
    let end = tokio::time::timeout(PATIENCE, async {
        loop {
            if stream.next().await.is_none() {
                return;
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the stream did not end");
}

#[tokio::test]
async fn paused_updates_are_caught_up_on_resume() {
    let server = common::start().await;
    let (a, b, to_b) = pair(&server, "1901", "1902").await;
    b.set_receive_updates(false);
    assert!(!b.receives_updates());
    let mut stream = b.updates();
    a.send_message(to_b.as_str(), "unseen").await.expect("sent");
    // Requests still work (wrapped in invokeWithoutUpdates).
    b.get_me().await.expect("get_me");
    assert_quiet(&mut stream).await;
    // Resuming catches up on what was skipped.
    b.set_receive_updates(true);
    assert_eq!(next_texts(&mut stream, 1).await, ["unseen"]);
    a.send_message(to_b.as_str(), "seen").await.expect("sent");
    assert_eq!(next_texts(&mut stream, 1).await, ["seen"]);
    assert_quiet(&mut stream).await;
}

#[tokio::test]
async fn pushes_sent_twice_are_handed_out_once() {
    let (before, after) =
        through_fault(("2101", "2102"), "dup", 10, |f| f.duplicate_updates(6)).await;
    assert!(after.duplicates >= before.duplicates + 6, "{after:?}");
}

#[tokio::test]
async fn overtaken_pushes_are_put_back_in_order() {
    // The first two pushes are held back, so the later ones arrive first: a gap, filled when
    // the late ones arrive (or by the difference if they take longer than the gap wait).
    let (before, after) = through_fault(("2201", "2202"), "late", 6, |f| {
        f.delay_updates(2, Duration::from_millis(300))
    })
    .await;
    assert!(after.gaps > before.gaps, "{after:?}");
}

#[tokio::test]
async fn a_reconnect_alone_brings_what_was_lost() {
    let server = common::start().await;
    let (a, b, to_b) = pair(&server, "2301", "2302").await;
    let mut stream = b.updates();
    let before = settled(&b).await;
    // Both pushes are lost and nothing follows them: only the reconnect can tell.
    server.faults().drop_updates(2);
    a.send_message(to_b.as_str(), "lost0").await.expect("sent");
    a.send_message(to_b.as_str(), "lost1").await.expect("sent");
    server.disconnect_all();
    assert_eq!(next_texts(&mut stream, 2).await, ["lost0", "lost1"]);
    assert_quiet(&mut stream).await;
    let after = settled(&b).await;
    assert!(after.differences > before.differences, "{after:?}");
    // The counters outlive the driver (kept from its last step when it stops).
    b.disconnect().await;
    let ended = b.update_stats();
    assert!(
        ended.differences >= after.differences && ended.handed_out >= after.handed_out,
        "{ended:?} after {after:?}"
    );
}

#[tokio::test]
async fn a_server_restart_from_its_data_file_loses_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = tgwire_testserver::TestServer::start(tgwire_testserver::Config {
        data_file: Some(dir.path().join("server.json")),
        ..Default::default()
    })
    .await
    .expect("server starts");
    let (a, b, to_b) = pair(&server, "2401", "2402").await;
    let mut stream = b.updates();
    a.send_message(to_b.as_str(), "before").await.expect("sent");
    assert_eq!(next_texts(&mut stream, 1).await, ["before"]);
    server.faults().drop_updates(1);
    a.send_message(to_b.as_str(), "dropped")
        .await
        .expect("sent");
    server.restart().await.expect("restarts");
    a.send_message(to_b.as_str(), "after")
        .await
        .expect("sent after restart");
    assert_eq!(next_texts(&mut stream, 2).await, ["dropped", "after"]);
    assert_quiet(&mut stream).await;
}

#[tokio::test]
async fn a_long_absence_is_caught_up_in_difference_slices() {
    let server = common::start().await;
    server
        .backend()
        .set_update_limits(tgwire_testserver::UpdateLimits {
            difference_slice: 10,
            ..Default::default()
        });
    let (a, b, to_b) = pair(&server, "2501", "2502").await;
    let mut stream = b.updates();
    let before = settled(&b).await;
    b.set_receive_updates(false);
    let expected = texts("s", 35);
    send_all(&a, &to_b, &expected).await;
    b.set_receive_updates(true);
    assert_eq!(next_texts(&mut stream, 35).await, expected);
    assert_quiet(&mut stream).await;
    let after = settled(&b).await;
    // 35 events in slices of 10: four answers.
    assert!(after.differences >= before.differences + 4, "{after:?}");
}

/// A broadcast channel "Feed" posted in by a new user, `client` a member of it with its update
/// stream open, and one post `first` already received (so the channel's pts is known).
async fn followed_channel(
    server: &TestServer,
    client: &Client,
    phone: &str,
    username: &str,
    first: &str,
) -> (i64, i64, UpdateStream) {
    let me = common::me(client).await;
    let backend = server.backend();
    let poster = backend
        .create_user(phone, "Poster", Some(username))
        .expect("user");
    let channel = backend
        .create_channel(poster, "Feed", false, Some(&format!("{username}_feed")))
        .expect("channel");
    backend.add_channel_member(channel, me).expect("member");
    let mut stream = client.updates();
    backend
        .send_message_as(poster, Peer::Channel(channel), first)
        .expect("posted");
    assert_eq!(next_texts(&mut stream, 1).await, [first]);
    (poster, channel, stream)
}

#[tokio::test]
async fn update_channel_too_long_fetches_the_channel_difference() {
    let server = common::start().await;
    let (b, _) = common::signed_in(&server, 2, "2602").await;
    let (poster, channel, mut stream) =
        followed_channel(&server, &b, "9996622601", "poster_tl", "first").await;
    let backend = server.backend();
    let before = settled(&b).await;
    // The next channel push is replaced by updateChannelTooLong.
    server.faults().channel_too_long(1);
    backend
        .send_message_as(poster, Peer::Channel(channel), "second")
        .expect("posted");
    assert_eq!(next_texts(&mut stream, 1).await, ["second"]);
    assert_quiet(&mut stream).await;
    let after = settled(&b).await;
    assert!(
        after.channel_differences > before.channel_differences,
        "{after:?}"
    );
}

#[tokio::test]
async fn far_behind_in_a_channel_the_newest_messages_come_once() {
    let server = common::start().await;
    server
        .backend()
        .set_update_limits(tgwire_testserver::UpdateLimits {
            channel_difference_too_long: 20,
            ..Default::default()
        });
    let (b, _) = common::signed_in(&server, 2, "2702").await;
    let (poster, channel, mut stream) =
        followed_channel(&server, &b, "9996622701", "poster_far", "seen").await;
    let backend = server.backend();
    settled(&b).await;
    b.set_receive_updates(false);
    let posted = texts("far", 30);
    for text in &posted {
        backend
            .send_message_as(poster, Peer::Channel(channel), text)
            .expect("posted");
    }
    let before = settled(&b).await;
    b.set_receive_updates(true);
    // More than 20 behind: channelDifferenceTooLong resets the channel and hands out the
    // newest messages it carries (never "seen" again), oldest first.
    let first = next_texts(&mut stream, 1).await;
    let start = posted
        .iter()
        .position(|t| *t == first[0])
        .expect("one of the new messages");
    let rest = next_texts(&mut stream, posted.len() - start - 1).await;
    assert_eq!(
        [first, rest].concat(),
        posted[start..].to_vec(),
        "the newest, in order"
    );
    assert_quiet(&mut stream).await;
    let after = settled(&b).await;
    assert!(after.too_long > before.too_long, "{after:?}");
    // Live again from the new position.
    backend
        .send_message_as(poster, Peer::Channel(channel), "live")
        .expect("posted");
    assert_eq!(next_texts(&mut stream, 1).await, ["live"]);
}

/// The `(stopped, qts)` of the next `n` `updateBotStopped` on `stream`.
async fn next_bot_stopped(stream: &mut UpdateStream, n: usize) -> Vec<(bool, i32)> {
    let mut seen = Vec::new();
    while seen.len() < n {
        let update = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .unwrap_or_else(|_| panic!("only {seen:?} of {n} arrived"))
            .expect("the stream ended");
        if let enums::Update::BotStopped(u) = &update.update {
            seen.push((u.stopped, u.qts));
        }
    }
    seen
}

#[tokio::test]
async fn bot_updates_follow_qts_and_missed_ones_come_with_the_difference() {
    let server = common::start().await;
    let bot = common::builder(&server, 2)
        .in_memory()
        .connect()
        .await
        .expect("connects");
    bot.bot_sign_in("4242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq")
        .await
        .expect("bot signed in");
    server
        .backend()
        .set_username(4242, Some("qts_bot"))
        .expect("username");
    let (user, _) = common::signed_in(&server, 2, "2801").await;
    let peer = tgwire::input_peer(user.resolve("@qts_bot").await.expect("resolves"));
    let mut stream = bot.updates();
    let before = settled(&bot).await;
    let block = |blocked: bool| {
        let user = user.clone();
        let peer = peer.clone();
        async move {
            if blocked {
                user.invoke(&tgwire::tl::functions::contacts::Block {
                    my_stories_from: false,
                    id: peer,
                })
                .await
            } else {
                user.invoke(&tgwire::tl::functions::contacts::Unblock {
                    my_stories_from: false,
                    id: peer,
                })
                .await
            }
            .expect("blocked or unblocked")
        }
    };
    block(true).await;
    let first = next_bot_stopped(&mut stream, 1).await;
    assert!(first[0].0, "stopped");
    let q = first[0].1;
    // Missed while paused: the difference replays them from the saved qts.
    bot.set_receive_updates(false);
    block(false).await;
    block(true).await;
    bot.set_receive_updates(true);
    assert_eq!(
        next_bot_stopped(&mut stream, 2).await,
        [(false, q + 1), (true, q + 2)]
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Some(update)) = tokio::time::timeout_at(deadline, stream.next()).await {
        assert!(
            !matches!(update.update, enums::Update::BotStopped(_)),
            "handed out twice: {update:?}"
        );
    }
    let after = settled(&bot).await;
    assert!(after.differences > before.differences, "{after:?}");
    assert_eq!(bot.session().update_state().map(|s| s.qts), Some(q + 2));
}
