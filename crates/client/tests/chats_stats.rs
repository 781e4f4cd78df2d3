//! Channel and supergroup statistics against the test server: values computed from the chat,
//! graphs loaded through `stats.loadAsyncGraph`, and who may see them.

mod common;

use tgwire::{Chat, Graph};
use tgwire_testserver::backend::Peer;

/// The numbers of column `name` of a chart's JSON (`["name",1,2,…]`).
fn column(json: &str, name: &str) -> Vec<i64> {
    let start = json
        .find(&format!("[\"{name}\""))
        .unwrap_or_else(|| panic!("no column {name} in {json}"));
    let rest = &json[start..];
    let end = rest.find(']').expect("the column ends");
    rest[..end]
        .split(',')
        .skip(1)
        .map(|n| n.parse().expect("a number"))
        .collect()
}

#[tokio::test]
async fn broadcast_and_supergroup_statistics_with_loaded_graphs() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "0001").await;
    let (bob, _) = common::signed_in(&server, 2, "0002").await;
    let bob_id = common::me(&bob).await;
    let backend = server.backend();
    backend.set_username(bob_id, Some("bob_b"))?;

    let Chat::Channel(channel) = alice.create_channel("News").await? else {
        panic!()
    };
    let news = channel.peer_ref().unwrap();
    alice.add_participants(news, ["@bob_b"]).await?;
    let mut posts = Vec::new();
    for text in ["one", "two", "three"] {
        posts.push(alice.send_message(news, text).await?.id());
    }
    let stats = alice.get_stats(news).await?;
    assert!(stats.is_broadcast());
    assert_eq!(stats.members().current, 2.0);
    assert_eq!(stats.activity().current, 3.0);
    let (from, to) = stats.period();
    assert!(to - from >= 28 * 86_400);
    // The growth graph came as a token and was loaded: a chart of 30 days.
    let growth = stats.graph("growth_graph").expect("listed");
    let json = growth.json().expect("loaded, not an error");
    assert!(json.starts_with("{\"columns\":[[\"x\""), "{json}");
    assert_eq!(column(json, "x").len(), 30);
    // The posts graph counts the three posts (on whichever days they fell).
    let interactions = stats.graph("interactions_graph").unwrap().json().unwrap();
    assert_eq!(
        column(interactions, "y0").iter().sum::<i64>(),
        3,
        "{interactions}"
    );
    // Every graph is filled (languages from the clients' language codes).
    assert!(stats
        .graph("languages_graph")
        .and_then(Graph::json)
        .is_some());
    // Subscribers see no statistics; supergroup statistics of a channel do not exist.
    assert!(bob
        .get_stats(news)
        .await
        .is_err_and(|e| e.is("CHAT_ADMIN_REQUIRED")));
    let message = alice.get_message_stats(news, posts[0]).await?;
    assert!(message.views.json().is_some());
    assert!(alice
        .get_message_stats(news, 999)
        .await
        .is_err_and(|e| e.is("MESSAGE_ID_INVALID")));

    let Chat::Group(group) = alice.create_supergroup("Chatty").await? else {
        panic!()
    };
    let chatty = group.peer_ref().unwrap();
    alice.add_participants(chatty, ["@bob_b"]).await?;
    for text in ["hi", "hello there"] {
        bob.send_message(chatty, text).await?;
    }
    backend.send_message_as(common::me(&alice).await, Peer::Channel(chatty.id()), "x")?;
    let stats = alice.get_stats(chatty).await?;
    assert!(!stats.is_broadcast());
    assert_eq!(stats.activity().current, 3.0);
    assert_eq!(stats.members().current, 2.0);
    let top = stats.top_posters();
    assert_eq!(top[0], (bob_id, 2, 6));
    let messages = stats.graph("messages_graph").unwrap().json().unwrap();
    assert!(
        messages.contains("\"names\":{\"y0\":\"Messages\"}"),
        "{messages}"
    );
    assert!(bob
        .get_stats(chatty)
        .await
        .is_err_and(|e| e.is("CHAT_ADMIN_REQUIRED")));
    Ok(())
}

/// A chart's lines by name: (x column, [(line name, values)]).
fn lines(graph: &Graph) -> (Vec<i64>, Vec<(String, Vec<i64>)>) {
    let json = graph
        .json()
        .unwrap_or_else(|| panic!("a chart, not {graph:?}"));
    let value: serde_json::Value = serde_json::from_str(json).expect("chart JSON");
    let mut x = Vec::new();
    let mut found = Vec::new();
    for column in value["columns"].as_array().expect("columns") {
        let column = column.as_array().expect("a column");
        let key = column[0].as_str().expect("a column key");
        let values: Vec<i64> = column[1..]
            .iter()
            .map(|v| v.as_i64().expect("a number"))
            .collect();
        if key == "x" {
            x = values;
        } else {
            let name = value["names"][key]
                .as_str()
                .expect("a line name")
                .to_owned();
            found.push((name, values));
        }
    }
    (x, found)
}

/// `chat` as `client` knows it, once the update that tells it has come.
async fn known(client: &tgwire::Client, chat: i64) -> tgwire::PeerRef {
    for _ in 0..1500 {
        if let Ok(peer) = client.resolve(chat).await {
            return peer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{chat} never became known");
}

/// The sum of line `name` of graph `graph` of `stats`.
fn total(stats: &tgwire::ChannelStats, graph: &str, name: &str) -> i64 {
    let (_, found) = lines(stats.graph(graph).unwrap_or_else(|| panic!("no {graph}")));
    found
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no line {name} in {graph}: {found:?}"))
        .1
        .iter()
        .sum()
}

/// Every graph of a broadcast channel's and a supergroup's statistics comes filled (the async
/// ones loaded), from what happened in the chat: joins by source and leaves, posts and their
/// forwards, members' languages, moderation, top admins and inviters; graphs over days zoom
/// into hours; message statistics count a post's view and forwards.
#[tokio::test]
async fn every_graph_is_filled_from_the_chat_and_zooms() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "0011").await;
    let (bob, _) = common::signed_in(&server, 2, "0012").await;
    let (carol, _) = common::signed_in(&server, 2, "0013").await;
    let dave = common::builder(&server, 2)
        .lang_code("de")
        .in_memory()
        .connect()
        .await?;
    let token = dave.request_login_code("9996620014").await?;
    dave.sign_in(&token, "22222").await?;
    let alice_id = common::me(&alice).await;
    let (bob_id, carol_id) = (common::me(&bob).await, common::me(&carol).await);
    let backend = server.backend();
    backend.set_username(bob_id, Some("bob_stats"))?;
    backend.set_username(carol_id, Some("carol_stats"))?;

    // A channel: Bob is added (and leaves), Carol comes by link, Dave by the public username.
    let Chat::Channel(channel) = alice.create_channel("Stats news").await? else {
        panic!("a broadcast channel")
    };
    let news = channel.peer_ref().expect("a reference");
    alice.add_participants(news, ["@bob_stats"]).await?;
    let link = alice.export_invite_link(news).await?;
    carol.join_chat(link.link()).await?;
    alice.set_chat_username(news, Some("stats_news")).await?;
    dave.join_chat("@stats_news").await?;
    bob.leave_chat(known(&bob, news.bot_api_id()).await).await?;
    let mut posts = Vec::new();
    for text in ["one", "two", "three"] {
        posts.push(alice.send_message(news, text).await?.id());
    }
    carol
        .forward_messages("me", &[posts[1]], news.bot_api_id())
        .await?;

    let stats = alice.get_stats(news).await?;
    assert_eq!(stats.graphs().len(), 12);
    for (name, graph) in stats.graphs() {
        assert!(graph.json().is_some(), "{name} is {graph:?}");
    }
    assert_eq!(total(&stats, "followers_graph", "Joined"), 3);
    assert_eq!(total(&stats, "followers_graph", "Left"), 1);
    for (source, count) in [("Search", 1), ("Invite links", 1), ("Added by members", 1)] {
        assert_eq!(
            total(&stats, "new_followers_by_source_graph", source),
            count,
            "{source}"
        );
    }
    assert_eq!(total(&stats, "interactions_graph", "Views"), 3);
    assert_eq!(total(&stats, "interactions_graph", "Shares"), 1);
    assert_eq!(total(&stats, "views_by_source_graph", "Followers"), 3);
    assert_eq!(total(&stats, "mute_graph", "Muted"), 0);
    let (hours, _) = lines(stats.graph("top_hours_graph").unwrap());
    assert_eq!(hours, (0..24).collect::<Vec<i64>>());
    assert_eq!(total(&stats, "top_hours_graph", "Views"), 3);
    // Languages: each member's running total, by what their client said (Dave's is German).
    let (_, languages) = lines(stats.graph("languages_graph").unwrap());
    let today: Vec<(String, i64)> = languages
        .iter()
        .map(|(name, values)| (name.clone(), *values.last().expect("30 days")))
        .collect();
    assert_eq!(today, [("de".to_owned(), 1), ("en".to_owned(), 2)]);
    assert_eq!(stats.value("shares_per_post").map(|v| v.current), Some(1.0));
    assert_eq!(stats.value("views_per_post").map(|v| v.current), Some(3.0));
    assert_eq!(stats.enabled_notifications(), Some((3.0, 3.0)));
    let recent = stats.recent_posts();
    assert_eq!(
        recent.iter().map(|p| (p.0, p.2)).collect::<Vec<_>>(),
        [(posts[2], 0), (posts[1], 1), (posts[0], 0)]
    );

    // Zooming: each day with joins, by hour, adds up to that day.
    let followers = stats.graph("followers_graph").unwrap();
    let (days, daily) = lines(followers);
    let mut zoomed_joins = 0;
    for (i, &day) in days.iter().enumerate() {
        if daily[0].1[i] == 0 {
            continue;
        }
        let zoomed = alice
            .zoom_graph(followers, day)
            .await?
            .expect("days zoom into hours");
        let (hours, by_hour) = lines(&zoomed);
        assert_eq!(hours.len(), 24);
        assert_eq!(hours[0], day);
        assert_eq!(hours[1] - hours[0], 3_600_000);
        assert_eq!(by_hour[0].1.iter().sum::<i64>(), daily[0].1[i]);
        zoomed_joins += daily[0].1[i];
    }
    assert_eq!(zoomed_joins, 3);
    assert!(alice
        .zoom_graph(stats.graph("top_hours_graph").unwrap(), 0)
        .await?
        .is_none());

    let message = alice.get_message_stats(news, posts[1]).await?;
    let (_, views) = lines(&message.views);
    assert_eq!(views[0].1.iter().sum::<i64>(), 1);
    assert_eq!(views[1].1.iter().sum::<i64>(), 1, "one forward");
    assert!(message.reactions.json().is_some());

    // A supergroup: two members added, one message deleted by Alice, one member restricted,
    // one kicked.
    let Chat::Group(group) = alice.create_supergroup("Stats chat").await? else {
        panic!("a supergroup")
    };
    let chat = group.peer_ref().expect("a reference");
    alice
        .add_participants(chat, ["@bob_stats", "@carol_stats"])
        .await?;
    let bobs = known(&bob, chat.bot_api_id()).await;
    for text in ["hi", "hello there"] {
        bob.send_message(bobs, text).await?;
    }
    let doomed = carol
        .send_message(known(&carol, chat.bot_api_id()).await, "spam")
        .await?;
    alice.delete_messages(chat, &[doomed.id()], true).await?;
    let muted = tgwire::Permissions {
        send_messages: false,
        ..tgwire::Permissions::all()
    };
    alice.edit_permissions(chat, "@carol_stats", muted).await?;
    alice.kick_participant(chat, "@bob_stats").await?;

    let stats = alice.get_stats(chat).await?;
    assert_eq!(stats.graphs().len(), 8);
    for (name, graph) in stats.graphs() {
        assert!(graph.json().is_some(), "{name} is {graph:?}");
    }
    assert_eq!(total(&stats, "members_graph", "Joined"), 2);
    assert_eq!(total(&stats, "members_graph", "Left"), 1);
    assert_eq!(
        total(&stats, "new_members_by_source_graph", "Added by members"),
        2
    );
    assert_eq!(total(&stats, "messages_graph", "Messages"), 2);
    assert_eq!(total(&stats, "actions_graph", "Deleted messages"), 1);
    assert_eq!(total(&stats, "actions_graph", "Restricted users"), 1);
    assert_eq!(total(&stats, "actions_graph", "Banned users"), 1);
    assert_eq!(total(&stats, "top_hours_graph", "Messages"), 2);
    let (weekdays, _) = lines(stats.graph("weekdays_graph").unwrap());
    assert_eq!(weekdays.len(), 7);
    assert_eq!(total(&stats, "weekdays_graph", "Messages"), 2);
    assert_eq!(stats.top_admins(), [(alice_id, 1, 1, 1)]);
    assert_eq!(stats.top_inviters(), [(alice_id, 2)]);
    assert_eq!(stats.value("posters").map(|v| v.current), Some(1.0));
    let (_, languages) = lines(stats.graph("languages_graph").unwrap());
    assert_eq!(languages.len(), 1);
    assert_eq!(languages[0].0, "en");
    assert_eq!(languages[0].1.last(), Some(&2), "Alice and Carol");
    alice.disconnect().await;
    bob.disconnect().await;
    carol.disconnect().await;
    dave.disconnect().await;
    Ok(())
}
