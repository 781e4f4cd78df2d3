//! Shared set-up: a test server and clients pointed at it.
#![allow(dead_code)] // each test binary uses a different part

pub mod telethon;

use std::sync::Arc;
use std::time::Duration;

use tgwire::{Client, ClientBuilder, MemoryStorage, Storage};
use tgwire_testserver::{Config, TestServer};

pub const API_ID: i32 = 1;
pub const API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// A builder aimed at every DC of `server`, trusting its key, starting on `dc`.
pub fn builder(server: &TestServer, dc: i32) -> ClientBuilder {
    let mut builder = Client::builder(API_ID, API_HASH)
        .rsa_key(server.rsa_public_key().clone())
        .default_dc(dc)
        .request_timeout(Some(Duration::from_secs(20)));
    for addr in server.dcs() {
        let socket = format!("{}:{}", addr.host, addr.port)
            .parse()
            .expect("the test server listens on an IP address");
        builder = builder.dc_addr(addr.id, socket);
    }
    builder
}

pub async fn start() -> TestServer {
    TestServer::start(Config::default())
        .await
        .expect("test server starts")
}

/// A client signed in as the test account `99966XYYYY` of `dc` (code `XXXXX`), in memory.
pub async fn signed_in(server: &TestServer, dc: i32, tail: &str) -> (Client, Arc<dyn Storage>) {
    signed_in_with(builder(server, dc), dc, tail).await
}

/// [`signed_in`] from a builder of the caller's (aimed at the server, starting on `dc`).
pub async fn signed_in_with(
    builder: ClientBuilder,
    dc: i32,
    tail: &str,
) -> (Client, Arc<dyn Storage>) {
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let client = builder
        .session_shared(Arc::clone(&storage))
        .connect()
        .await
        .expect("connects");
    let phone = format!("99966{dc}{tail}");
    let token = client.request_login_code(&phone).await.expect("code sent");
    let code: String = std::iter::repeat_n(char::from(b'0' + dc as u8), 5).collect();
    client.sign_in(&token, &code).await.expect("signs in");
    (client, storage)
}

/// The texts of the next `n` new messages (private, group or channel) on `stream`; panics after
/// `patience` without one.
pub async fn next_texts(
    stream: &mut tgwire::updates::UpdateStream,
    n: usize,
    patience: Duration,
) -> Vec<String> {
    use tgwire::tl::enums;
    let mut texts = Vec::new();
    while texts.len() < n {
        let update = tokio::time::timeout(patience, stream.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} messages arrived: {texts:?}", texts.len()))
            .expect("the stream ended");
        let message = match &update.update {
            enums::Update::NewMessage(u) => &u.message,
            enums::Update::NewChannelMessage(u) => &u.message,
            _ => continue,
        };
        if let enums::Message::Message(m) = message {
            texts.push(m.message.to_string());
        }
    }
    texts
}

/// A bot on `dc` of `server`, in memory, signed in with `token` (the test server signs any
/// well-formed token in as the bot with that id); returns it with its user.
pub async fn signed_in_bot(server: &TestServer, dc: i32, token: &str) -> (Client, tgwire::User) {
    let bot = builder(server, dc)
        .in_memory()
        .connect()
        .await
        .expect("connects");
    let me = bot.bot_sign_in(token).await.expect("bot signs in");
    (bot, me)
}

/// The signed-in user's id.
pub async fn me(client: &Client) -> i64 {
    client.get_me().await.expect("get_me").id()
}

/// Uploads `bytes` as a one-part file and sends it to `chat` as a photo with `caption`
/// (through the raw API: file helpers come with a later version of the client).
pub async fn send_photo(client: &Client, chat: &str, caption: &str) -> tgwire::tl::enums::Updates {
    use tgwire::tl::{functions, types};
    let file_id: i64 = rand::random();
    let saved = client
        .invoke(&functions::upload::SaveFilePart {
            file_id,
            file_part: 0,
            bytes: vec![0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4].into(),
        })
        .await
        .expect("part saved");
    assert!(saved);
    let peer = tgwire::input_peer(client.resolve(chat).await.expect("resolves"));
    client
        .invoke(&functions::messages::SendMedia {
            silent: false,
            background: false,
            clear_draft: false,
            noforwards: false,
            update_stickersets_order: false,
            invert_media: false,
            allow_paid_floodskip: false,
            peer,
            reply_to: None,
            media: types::InputMediaUploadedPhoto {
                spoiler: false,
                live_photo: false,
                file: types::InputFile {
                    id: file_id,
                    parts: 1,
                    name: "photo.jpg".into(),
                    md5_checksum: String::new().into(),
                }
                .into(),
                stickers: None,
                ttl_seconds: None,
                video: None,
            }
            .into(),
            message: caption.into(),
            random_id: rand::random(),
            reply_markup: None,
            entities: None,
            schedule_date: None,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            allow_paid_stars: None,
            suggested_post: None,
        })
        .await
        .expect("photo sent")
}
