//! Takeout sessions against the test server: requests go through `invokeWithTakeout`, the
//! session finishes explicitly or on drop, and `TAKEOUT_INIT_DELAY_X` is a typed error.

mod common;

use std::time::Duration;

use tgwire::tl::{enums, functions};
use tgwire::TakeoutError;

#[tokio::test]
async fn takeout_wraps_requests_and_finishes() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0001").await;
    let me = common::me(&client).await;
    let backend = server.backend();
    let friend = backend.create_user("9996620002", "Friend", None)?;
    backend.add_contact(me, friend)?;

    let takeout = client.takeout().contacts(true).users(true).await?;
    assert_eq!(backend.takeout_requests(me), Some(0));
    let contacts = takeout
        .invoke(functions::contacts::GetContacts { hash: 0 })
        .await?;
    let enums::contacts::Contacts::Contacts(contacts) = contacts else {
        panic!("contacts expected")
    };
    assert_eq!(contacts.users.len(), 1);
    assert_eq!(
        backend.takeout_requests(me),
        Some(1),
        "sent inside the takeout"
    );
    let id = takeout.id();
    takeout.finish(true).await?;
    assert_eq!(backend.takeout_requests(me), None);
    // The finished session's id no longer works.
    let stale = client
        .invoke(&functions::InvokeWithTakeout {
            takeout_id: id,
            query: functions::contacts::GetContacts { hash: 0 },
        })
        .await
        .unwrap_err();
    assert!(stale.is("TAKEOUT_INVALID"), "{stale:?}");

    // Dropped unfinished: finished in the background.
    let dropped = client
        .takeout()
        .chats(true)
        .megagroups(true)
        .files(1 << 20)
        .await?;
    assert_eq!(backend.takeout_requests(me), Some(0));
    drop(dropped);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while backend.takeout_requests(me).is_some() {
        assert!(tokio::time::Instant::now() < deadline, "never finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A fresh login must wait: a typed error with the delay.
    backend.faults().rpc_error_times(
        "account.initTakeoutSession",
        420,
        "TAKEOUT_INIT_DELAY_3600",
        1,
    );
    match client.takeout().contacts(true).await {
        Err(TakeoutError::InitDelay(wait)) => assert_eq!(wait, Duration::from_secs(3600)),
        other => panic!("expected InitDelay, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn takeout_iter_messages_pages_through_the_session() -> anyhow::Result<()> {
    use futures_util::TryStreamExt;
    use tgwire_testserver::backend::Peer;

    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0003").await;
    let me = common::me(&client).await;
    let backend = server.backend();
    let friend = backend.create_user("9996620004", "Chatty", Some("chatty_t"))?;
    for i in 0..150 {
        backend.send_message_as(friend, Peer::User(me), &format!("line {i}"))?;
    }
    client.resolve("@chatty_t").await?;

    let takeout = client.takeout().users(true).await?;
    let all: Vec<tgwire::Message> = takeout.iter_messages("@chatty_t").try_collect().await?;
    assert_eq!(all.len(), 150);
    assert_eq!(all[0].text(), "line 149", "newest first");
    assert_eq!(all[149].text(), "line 0");
    // Two pages of at most 100, both inside the session.
    assert_eq!(backend.takeout_requests(me), Some(2));
    let oldest: Vec<tgwire::Message> = takeout
        .iter_messages("@chatty_t")
        .reverse()
        .limit(3)
        .try_collect()
        .await?;
    let texts: Vec<&str> = oldest.iter().map(|m| m.text()).collect();
    assert_eq!(texts, ["line 0", "line 1", "line 2"]);
    let found: Vec<tgwire::Message> = takeout
        .iter_messages("@chatty_t")
        .search("line 14")
        .try_collect()
        .await?;
    assert_eq!(found.len(), 11, "line 14 and line 140..=149");
    assert_eq!(backend.takeout_requests(me), Some(4));
    // The plain history does not count as the session's.
    let plain: Vec<tgwire::Message> = client
        .iter_messages("@chatty_t")
        .limit(5)
        .try_collect()
        .await?;
    assert_eq!(plain.len(), 5);
    assert_eq!(backend.takeout_requests(me), Some(4));

    // Once finished, the session's history is refused.
    let id = takeout.id();
    let stale = takeout.iter_messages("@chatty_t");
    takeout.finish(true).await?;
    let refused = stale.try_collect::<Vec<_>>().await.unwrap_err();
    assert!(refused.is("TAKEOUT_INVALID"), "{refused:?} (takeout {id})");
    Ok(())
}
