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
    assert!(matches!(
        stats.graph("languages_graph"),
        Some(Graph::Error(_))
    ));
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
