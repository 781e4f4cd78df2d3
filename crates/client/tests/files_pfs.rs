//! Parallel transfers with perfect forward secrecy: the pool's connections to a DC share the
//! temporary key its primary connection binds (Telegram keeps one binding per permanent key,
//! so connections binding keys of their own would unbind each other's), through renewals and
//! through the server forgetting the key.

mod common;

use std::sync::Arc;
use std::time::Duration;

use tgwire::{InputMedia, MemoryStorage, Storage};

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ (i >> 11) as u8 ^ seed)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_connections_per_dc_share_one_temporary_key() {
    let server = common::start().await;
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let client = common::builder(&server, 2)
        .session_shared(Arc::clone(&storage))
        .pfs_key_lifetime(Duration::from_secs(4))
        .connect()
        .await
        .expect("connects with PFS");
    let token = client.request_login_code("9996621234").await.unwrap();
    client.sign_in(&token, "22222").await.unwrap();

    let started = tokio::time::Instant::now();
    let mut round = 0u8;
    // Transfers over three connections for longer than two key lifetimes, with the server
    // forgetting every temporary key once on the way.
    while started.elapsed() < Duration::from_secs(10) || round < 3 {
        round += 1;
        if round == 2 {
            assert!(server.drop_temp_keys() > 0);
        }
        let bytes = data(2 * 1024 * 1024 + 123, round);
        let file = client
            .upload_bytes(bytes.clone(), "pfs.bin")
            .part_size(128 * 1024)
            .parallelism(6)
            .connections(3)
            .await
            .unwrap_or_else(|e| panic!("round {round}: upload fails: {e}"));
        let sent = client
            .send_file("me", InputMedia::document(file))
            .await
            .unwrap();
        let mut back = Vec::new();
        client
            .download_media(&sent, &mut back)
            .request_size(128 * 1024)
            .parallelism(6)
            .connections(3)
            .await
            .unwrap_or_else(|e| panic!("round {round}: download fails: {e}"));
        assert!(back == bytes, "round {round}: contents differ");
        let lanes = client
            .connections()
            .iter()
            .filter(|(dc, _)| *dc == 2)
            .count();
        assert_eq!(lanes, 3, "round {round}: {:?}", client.connections());
    }
    client.disconnect().await;
}
