//! The connection pool over loopback: lazy connections per DC, one auth key shared by a DC's
//! connections, idle connections closed, addresses changed at run time.

mod common;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::mtserver::MtServer;
use tgwire_net::{
    ConnectionState, Pool, PoolConfig, PoolError, ReconnectPolicy, SenderConfig, SenderEvent,
    SenderHandle,
};
use tgwire_tl_types::{enums, functions};

fn pool_for(
    servers: &[(i16, &MtServer)],
    idle: Duration,
) -> (
    Pool,
    tokio::sync::mpsc::UnboundedReceiver<tgwire_net::PoolEvent>,
) {
    let first = servers[0].1;
    let mut template = SenderConfig::new(0, first.addr, vec![first.rsa_public.clone()]);
    template.reconnect = ReconnectPolicy {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(100),
        ..ReconnectPolicy::default()
    };
    Pool::new(PoolConfig {
        template: template.into(),
        dc_addrs: servers.iter().map(|(dc, s)| (*dc, s.addr)).collect(),
        auth_keys: HashMap::new(),
        idle_timeout: idle,
    })
}

/// Waits (at most 3 s) until `handle`'s connection reports itself closed.
async fn closed(handle: &SenderHandle) {
    let mut state = handle.state();
    tokio::time::timeout(
        Duration::from_secs(3),
        state.wait_for(|s| matches!(s, ConnectionState::Closed { .. })),
    )
    .await
    .expect("idle connection closed")
    .unwrap();
}

async fn nearest(handle: &SenderHandle) -> i32 {
    let enums::NearestDc::NearestDc(dc) =
        handle.invoke(&functions::help::GetNearestDc).await.unwrap();
    dc.this_dc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_open_lazily_and_share_the_dc_key() {
    let dc2 = MtServer::start(None).await;
    let dc4 = MtServer::start(None).await;
    let (pool, mut events) = pool_for(&[(2, &dc2), (4, &dc4)], Duration::from_secs(60));
    assert!(
        pool.connections().is_empty(),
        "nothing opens before it is asked for"
    );

    // A transfer connection asked for first: the primary comes up to create the key.
    let transfer = pool.get_nth(2, 1).await.unwrap();
    assert_eq!(nearest(&transfer).await, 2);
    let main = pool.get(2).await.unwrap();
    assert_eq!(nearest(&main).await, 2);
    assert_eq!(pool.connections(), [(2, 0), (2, 1)]);
    assert_eq!(
        dc2.knobs.keys_created.load(Ordering::SeqCst),
        1,
        "one key per DC"
    );
    assert_eq!(dc2.sessions(), 2, "each connection has its own session");
    assert_eq!(dc2.knobs.connections.load(Ordering::SeqCst), 2);
    let key = pool.auth_key(2).unwrap();
    assert_eq!(
        main.auth_key().borrow().as_ref().map(|k| k.id()),
        Some(key.id())
    );
    assert_eq!(
        transfer.auth_key().borrow().as_ref().map(|k| k.id()),
        Some(key.id())
    );

    // The same handle comes back; another DC gets its own key.
    let again = pool.get(2).await.unwrap();
    assert_eq!(nearest(&again).await, 2);
    assert_eq!(dc2.knobs.connections.load(Ordering::SeqCst), 2);
    assert_eq!(nearest(&pool.get(4).await.unwrap()).await, 2);
    assert_eq!(dc4.knobs.keys_created.load(Ordering::SeqCst), 1);
    assert_ne!(pool.auth_key(4).unwrap().id(), key.id());

    // Events name their DC.
    let mut created = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let SenderEvent::AuthKeyCreated { .. } = e.event {
            created.push((e.dc_id, e.index));
        }
    }
    created.sort_unstable();
    assert_eq!(created, [(2, 0), (4, 0)]);

    assert_eq!(pool.get(7).await.unwrap_err(), PoolError::UnknownDc(7));
    pool.shutdown().await;
    assert_eq!(pool.get(2).await.unwrap_err(), PoolError::Shutdown);
    assert!(matches!(
        &*main.state().borrow(),
        ConnectionState::Closed { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_close_and_reopen_on_demand() {
    let dc2 = MtServer::start(None).await;
    let (pool, _events) = pool_for(&[(2, &dc2)], Duration::from_millis(200));
    let handle = pool.get(2).await.unwrap();
    assert_eq!(nearest(&handle).await, 2);
    // A slow call keeps its connection open past the idle limit.
    dc2.knobs.delay_ms.store(500, Ordering::SeqCst);
    assert_eq!(nearest(&handle).await, 2);
    assert_eq!(pool.connections(), [(2, 0)]);
    dc2.knobs.delay_ms.store(0, Ordering::SeqCst);

    closed(&handle).await;
    assert!(pool.connections().is_empty());

    // Asked for again: a new connection with the remembered key.
    let handle = pool.get(2).await.unwrap();
    assert_eq!(nearest(&handle).await, 2);
    assert_eq!(dc2.knobs.keys_created.load(Ordering::SeqCst), 1);
    assert_eq!(dc2.knobs.connections.load(Ordering::SeqCst), 2);
    pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreaped_pool_closes_idle_connections_only_when_asked() {
    let dc2 = MtServer::start(None).await;
    let (reaped, _events) = pool_for(&[(2, &dc2)], Duration::from_millis(100));
    let config = PoolConfig {
        template: reaped.shared_template(),
        dc_addrs: HashMap::from([(2, dc2.addr)]),
        auth_keys: HashMap::new(),
        idle_timeout: Duration::from_millis(100),
    };
    let pool = Pool::with_events_unreaped(config, |_| {});
    assert_eq!(pool.close_idle_interval(), Duration::from_millis(25));
    let handle = pool.get(2).await.unwrap();
    assert_eq!(nearest(&handle).await, 2);
    // Idle well past the limit, but nobody asked: still open.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(pool.connections(), [(2, 0)]);
    assert!(handle.state().borrow().is_connected());
    // Keeping DC 2's primary: a second connection to it goes, the primary stays.
    let second = pool.get_nth(2, 1).await.unwrap();
    assert_eq!(nearest(&second).await, 2);
    tokio::time::sleep(Duration::from_millis(200)).await;
    pool.close_idle_keeping(2);
    assert_eq!(pool.connections(), [(2, 0)]);
    closed(&second).await;
    assert!(handle.state().borrow().is_connected());
    pool.close_idle();
    assert!(pool.connections().is_empty());
    closed(&handle).await;
    reaped.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_report_their_states_to_the_pools_hook() {
    let dc2 = MtServer::start(None).await;
    let (pool, _events) = pool_for(&[(2, &dc2)], Duration::from_secs(60));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    pool.on_state(move |dc, index, state| {
        let closed = matches!(state, ConnectionState::Closed { .. });
        log.lock()
            .unwrap()
            .push((dc, index, state.is_connected(), closed));
    });
    let handle = pool.get(2).await.unwrap();
    assert_eq!(nearest(&handle).await, 2);
    assert!(seen.lock().unwrap().contains(&(2, 0, true, false)));
    pool.shutdown().await;
    // The hook runs in the connection's task just after the watch changed.
    tokio::time::timeout(Duration::from_secs(3), async {
        while seen.lock().unwrap().last() != Some(&(2, 0, false, true)) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the closed state reached the hook");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dc_address_can_change() {
    let old = MtServer::start(None).await;
    let new = MtServer::start(None).await;
    let (pool, _events) = pool_for(&[(2, &old)], Duration::from_secs(60));
    pool.set_dc_addr(2, new.addr);
    assert_eq!(nearest(&pool.get(2).await.unwrap()).await, 2);
    assert_eq!(old.knobs.connections.load(Ordering::SeqCst), 0);
    assert_eq!(new.knobs.connections.load(Ordering::SeqCst), 1);
    pool.shutdown().await;
}

/// Pools sharing a template find its DC addresses there, their own winning; a DC neither
/// knows is an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dc_addresses_come_from_the_template_unless_the_pool_has_its_own() {
    let dc2 = MtServer::start(None).await;
    let dc4 = MtServer::start(None).await;
    let other = MtServer::start(None).await;
    let mut config = SenderConfig::new(0, dc2.addr, vec![dc2.rsa_public.clone()]);
    config.reconnect.initial = Duration::from_millis(20);
    // DC 2 is given twice: the later address wins.
    let template = tgwire_net::Template::new(config).with_dc_addrs([
        (4, dc4.addr),
        (2, other.addr),
        (2, dc2.addr),
    ]);
    assert_eq!(template.dc_ids().collect::<Vec<_>>(), [2, 4]);
    assert_eq!(template.dc_addr(2), Some(dc2.addr));
    assert_eq!(template.dc_addr(3), None);

    let from_template = Pool::with_events_unreaped(
        PoolConfig {
            template: template.clone(),
            dc_addrs: HashMap::new(),
            auth_keys: HashMap::new(),
            idle_timeout: Duration::from_secs(60),
        },
        |_| {},
    );
    let own = Pool::with_events_unreaped(
        PoolConfig {
            template,
            dc_addrs: HashMap::from([(4, other.addr)]),
            auth_keys: HashMap::new(),
            idle_timeout: Duration::from_secs(60),
        },
        |_| {},
    );
    // The test servers all call themselves DC 2: which one answered shows in their counts.
    nearest(&from_template.get(2).await.unwrap()).await;
    nearest(&from_template.get(4).await.unwrap()).await;
    nearest(&own.get(4).await.unwrap()).await;
    assert_eq!(dc4.knobs.connections.load(Ordering::SeqCst), 1);
    assert_eq!(
        other.knobs.connections.load(Ordering::SeqCst),
        1,
        "the pool's own DC 4"
    );
    assert_eq!(dc2.knobs.connections.load(Ordering::SeqCst), 1);
    assert!(matches!(
        from_template.get(3).await,
        Err(PoolError::UnknownDc(3))
    ));
    from_template.shutdown().await;
    own.shutdown().await;
}
