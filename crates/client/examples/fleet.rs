//! A fleet: many bots in one process, their sessions in PostgreSQL, so that the same program can
//! run on several machines and every bot is driven by exactly one of them.
//!
//!     DATABASE_URL=postgresql://fleet@db.internal/telegram \
//!         cargo run --example fleet -- <bot token> <bot token> ...
//!
//! Each bot's session is named after its bot id (`bot4242`). A bot already running elsewhere is
//! skipped (`SessionLocked`) — an orchestrator would retry it later, or elsewhere; when that process
//! dies, its bots become free at once (a killed process) or after the lease (a lost machine).
//!
//! Without `TG_API_ID`/`TG_API_HASH` it runs against tgwire's local test server, where any
//! well-formed token signs in; without `DATABASE_URL` it uses `TGWIRE_TEST_POSTGRES` (which
//! `source .ci/postgres.sh` sets after starting a private server).

use tgwire::Client;
use tgwire_session::PostgresPool;
use tgwire_testserver::{Config, TestServer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(url) = std::env::var("DATABASE_URL")
        .or_else(|_| std::env::var("TGWIRE_TEST_POSTGRES"))
        .ok()
    else {
        eprintln!("set DATABASE_URL to a PostgreSQL database (or `source .ci/postgres.sh`)");
        return Ok(());
    };
    let mut tokens: Vec<String> = std::env::args().skip(1).collect();
    if tokens.is_empty() {
        tokens = (1..=3)
            .map(|i| format!("{}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq", 4240 + i))
            .collect();
    }

    // One pool for the whole process: a few connections, however many bots.
    let pool = tokio::task::spawn_blocking(move || {
        PostgresPool::builder(url)
            .schema("fleet_example")
            .max_connections(4)
            .connect()
    })
    .await??;

    let api = std::env::var("TG_API_ID")
        .ok()
        .zip(std::env::var("TG_API_HASH").ok());
    let (server, api_id, api_hash) = match api {
        Some((id, hash)) => (None, id.trim().parse()?, hash.trim().to_owned()),
        None => (
            Some(TestServer::start(Config::default()).await?),
            1,
            "0123456789abcdef0123456789abcdef".to_owned(),
        ),
    };

    let mut clients = Vec::new();
    for token in &tokens {
        let name = format!("bot{}", token.split(':').next().unwrap_or_default());
        // Opening blocks on the database: keep it off the async threads.
        let opened = {
            let (pool, name) = (pool.clone(), name.clone());
            // The local test server forgets its auth keys when it stops: start each run afresh.
            let forget = server.is_some();
            tokio::task::spawn_blocking(move || {
                if forget {
                    pool.delete_session(&name)?;
                }
                pool.open(&name)
            })
            .await?
        };
        let storage = match opened {
            Ok(storage) => storage,
            Err(e) if e.is_in_use() => {
                println!("{name}: skipped, {e}");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut builder = Client::builder(api_id, &api_hash).session(storage);
        if let Some(server) = &server {
            builder = builder.rsa_key(server.rsa_public_key().clone());
            for dc in server.dcs() {
                builder = builder.dc_addr(dc.id, format!("{}:{}", dc.host, dc.port).parse()?);
            }
        }
        let client = builder.connect().await?;
        let fresh = !client.is_authorized().await?;
        if fresh {
            client.bot_sign_in(token).await?;
        }
        let me = client.get_me().await?;
        let how = if fresh {
            "signed in"
        } else {
            "resumed from PostgreSQL"
        };
        println!("{name}: {how} as user {}", me.id());
        clients.push(client);
    }

    // A real fleet would now serve updates; this example just says goodbye.
    for client in clients {
        client.disconnect().await;
    }
    Ok(())
}
