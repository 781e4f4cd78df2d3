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
