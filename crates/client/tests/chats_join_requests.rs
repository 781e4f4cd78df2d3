//! Join requests end to end: a link that needs approval files requests instead of letting
//! people in; the admin is told (`updatePendingJoinRequests` pushed when someone asks; the
//! answer to the admin's own approval carries it, and the engine does not hand out answers to
//! one's own requests), lists them (by link, by name),
//! approves one, declines another, and sees who joined through which link and who approved.

mod common;

use std::time::Duration;

use tgwire::events::Raw;
use tgwire::tl::enums;
use tgwire::{AdminLogAction, AdminLogFilter, Client, InvocationError};

const PATIENCE: Duration = Duration::from_secs(30);

#[track_caller]
fn assert_rpc<T: std::fmt::Debug>(result: Result<T, InvocationError>, name: &str) {
    match result {
        Err(e) if e.is(name) => {}
        other => panic!("expected {name}, got {other:?}"),
    }
}

/// The next `updatePendingJoinRequests` as (pending count, recent requesters).
async fn next_pending(
    stream: &mut tgwire::events::EventStream<tgwire::updates::RawUpdate>,
) -> (i32, Vec<i64>) {
    loop {
        let update = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("a pending-requests update")
            .expect("client alive");
        if let enums::Update::PendingJoinRequests(u) = update.update {
            return (u.requests_pending, u.recent_requesters);
        }
    }
}

async fn member(client: &Client, chat: &tgwire::Chat, user: i64) -> bool {
    let permissions = client
        .get_permissions(chat, user)
        .await
        .expect("permissions");
    !permissions.has_left()
}

#[tokio::test]
async fn requests_are_filed_listed_approved_and_declined() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "8101").await;
    let (bob, _) = common::signed_in(&server, 2, "8102").await;
    let (carol, _) = common::signed_in(&server, 2, "8103").await;
    let alice_id = common::me(&alice).await;
    let bob_id = common::me(&bob).await;
    let carol_id = common::me(&carol).await;
    let backend = server.backend();
    backend.set_username(bob_id, Some("bob_requests"))?;
    backend.set_username(carol_id, Some("carol_requests"))?;
    alice.resolve("@bob_requests").await?;
    alice.resolve("@carol_requests").await?;

    let group = alice.create_supergroup("Vetted").await?;
    let mut pending = alice.stream_events(Raw::new()).await?;
    let gated = alice
        .export_invite_link(&group)
        .request_needed(true)
        .await?;
    assert!(gated.request_needed());
    let open = alice.export_invite_link(&group).title("open").await?;

    // Asking files a request (Telegram answers it as an error); asking twice files one.
    assert_rpc(bob.join_invite(gated.link()).await, "INVITE_REQUEST_SENT");
    assert_eq!(next_pending(&mut pending).await, (1, vec![bob_id]));
    assert_rpc(bob.join_invite(gated.link()).await, "INVITE_REQUEST_SENT");
    assert_rpc(carol.join_invite(gated.hash()).await, "INVITE_REQUEST_SENT");
    assert_eq!(next_pending(&mut pending).await.0, 2);
    assert!(!member(&alice, &group, bob_id).await);

    // The admin's list, newest first, by link and by name.
    let requests = alice.join_requests(&group).await?;
    let ids: Vec<i64> = requests.iter().map(|r| r.user_id()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&bob_id) && ids.contains(&carol_id));
    assert!(requests
        .iter()
        .all(|r| r.is_request() && r.user().is_some()));
    assert!(requests.windows(2).all(|w| w[0].date() >= w[1].date()));
    let carols = alice.join_requests(&group).search("carol").await?;
    assert_eq!(
        carols.iter().map(|r| r.user_id()).collect::<Vec<_>>(),
        [carol_id]
    );
    assert_eq!(
        alice.join_requests(&group).link(gated.link()).await?.len(),
        2
    );
    assert!(alice
        .join_requests(&group)
        .link(open.link())
        .await?
        .is_empty());
    assert_eq!(alice.join_requests(&group).limit(1).await?.len(), 1);
    // Members who cannot invite may not look.
    assert_rpc(bob.join_requests(&group).await, "CHAT_ADMIN_REQUIRED");

    // Approve Bob: he is in, through the link, approved by Alice; the log says so.
    alice.approve_join_request(&group, bob_id).await?;
    assert!(member(&alice, &group, bob_id).await);
    let joined = alice.invite_importers(&group).link(gated.link()).await?;
    assert_eq!(joined.len(), 1);
    assert_eq!(
        (
            joined[0].user_id(),
            joined[0].is_request(),
            joined[0].approved_by()
        ),
        (bob_id, false, Some(alice_id))
    );
    let log = alice
        .get_admin_log(
            &group,
            AdminLogFilter {
                join: true,
                ..Default::default()
            },
            10,
        )
        .await?;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].user_id(), bob_id);
    assert!(
        matches!(log[0].raw(), enums::ChannelAdminLogEventAction::ParticipantJoinByRequest(r) if r.approved_by == alice_id),
        "{:?}",
        log[0].action()
    );
    assert!(!matches!(log[0].action(), AdminLogAction::Join));
    assert_rpc(
        bob.join_invite(gated.link()).await,
        "USER_ALREADY_PARTICIPANT",
    );

    // Decline Carol: she stays out, and there is nothing left to answer.
    alice.decline_join_request(&group, carol_id).await?;
    assert!(!member(&alice, &group, carol_id).await);
    assert!(alice.join_requests(&group).await?.is_empty());
    assert_rpc(
        alice.decline_join_request(&group, carol_id).await,
        "HIDE_REQUESTER_MISSING",
    );

    // An open link lets people in at once; the importers list has them too.
    carol.join_invite(open.link()).await?;
    assert!(member(&alice, &group, carol_id).await);
    let everyone = alice.invite_importers(&group).await?;
    assert_eq!(everyone.len(), 2);
    assert_eq!(everyone[0].user_id(), carol_id);
    assert_eq!(everyone[0].approved_by(), None);

    // All at once: two new requests approved together.
    let (dave, _) = common::signed_in(&server, 2, "8104").await;
    let dave_id = common::me(&dave).await;
    let second = alice.create_supergroup("Vetted 2").await?;
    let gated2 = alice
        .export_invite_link(&second)
        .request_needed(true)
        .await?;
    assert_rpc(dave.join_invite(gated2.link()).await, "INVITE_REQUEST_SENT");
    assert_rpc(bob.join_invite(gated2.link()).await, "INVITE_REQUEST_SENT");
    alice.answer_all_join_requests(&second, None, true).await?;
    assert!(member(&alice, &second, dave_id).await);
    assert!(member(&alice, &second, bob_id).await);
    assert!(alice.join_requests(&second).await?.is_empty());
    alice.disconnect().await;
    bob.disconnect().await;
    carol.disconnect().await;
    dave.disconnect().await;
    Ok(())
}
