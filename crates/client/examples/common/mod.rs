//! How every example connects (shared by the examples through `mod common;`).
//!
//! - With `TG_API_ID` and `TG_API_HASH` (from https://my.telegram.org) it talks to Telegram,
//!   keeping the session in `<example>.session`. Users sign in on the terminal (phone, code,
//!   password); bots with the token in `TG_BOT_TOKEN`.
//! - With `TGWIRE_SERVER` set to the JSON line a `tgwire-testserver` prints when it is ready,
//!   it talks to that server (test accounts, see `docs/testserver.md`).
//! - With neither, it starts the test server in-process, so the example runs anywhere, and
//!   [`Example::embedded`] gives the example the server for set-up (a friend who writes, a
//!   simulated user who talks to a bot).
#![allow(dead_code)] // each example uses a different part

use std::io::Write as _;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use tgwire::events::{EventStream, MessageEvent, NewMessage};
use tgwire::{Client, ClientBuilder, InputMessage, Message, SignInError, User};
use tgwire_testserver::{Config, TestServer};

/// The test account examples sign in as on a test server (DC 2, code `22222`).
pub const TEST_PHONE: &str = "+9996621234";
/// The login code of the test accounts on DC 2.
pub const TEST_CODE: &str = "22222";
/// A well-formed token: the test server signs any such token in as the bot with that id.
pub const TEST_BOT_TOKEN: &str = "4242424:tgwire-example-bot-token-0123456789ab";
const TEST_API_ID: i32 = 1;
const TEST_API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// Where the example connects to.
pub enum Target {
    /// Telegram itself.
    Telegram {
        /// The app's `api_id`.
        api_id: i32,
        /// The app's `api_hash`.
        api_hash: String,
    },
    /// A test server running elsewhere, described by its ready line.
    Server {
        /// `(dc id, "host:port")` of each DC.
        dcs: Vec<(i32, std::net::SocketAddr)>,
        /// Its RSA public key.
        rsa_key: tgwire_crypto::rsa::RsaPublicKey,
    },
    /// The test server, in-process.
    Embedded(TestServer),
}

/// An example's connection settings, from the environment.
pub struct Example {
    name: &'static str,
    target: Target,
}

impl Example {
    /// Reads the environment (and starts the embedded server if it says nothing).
    pub async fn start(name: &'static str) -> anyhow::Result<Example> {
        let api = std::env::var("TG_API_ID")
            .ok()
            .zip(std::env::var("TG_API_HASH").ok());
        let target = if let Some((id, hash)) = api {
            println!("== Connecting to Telegram (api_id {id})");
            Target::Telegram {
                api_id: id.trim().parse().context("TG_API_ID is not a number")?,
                api_hash: hash.trim().to_owned(),
            }
        } else if let Ok(ready) = std::env::var("TGWIRE_SERVER") {
            let target = parse_ready_line(&ready).context("TGWIRE_SERVER is not a ready line")?;
            println!("== Connecting to the test server in TGWIRE_SERVER");
            target
        } else {
            println!(
                "== No TG_API_ID/TG_API_HASH or TGWIRE_SERVER: starting the local test server"
            );
            let server = TestServer::start(Config::default()).await?;
            for dc in server.dcs() {
                println!("   DC {} listens on {}:{}", dc.id, dc.host, dc.port);
            }
            Target::Embedded(server)
        };
        Ok(Example { name, target })
    }

    /// Where the example connects to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The in-process test server, when the example runs against it.
    pub fn embedded(&self) -> Option<&TestServer> {
        match &self.target {
            Target::Embedded(server) => Some(server),
            _ => None,
        }
    }

    /// Whether the example talks to Telegram itself.
    pub fn is_telegram(&self) -> bool {
        matches!(self.target, Target::Telegram { .. })
    }

    /// A client builder for the target: Telegram with a session file, a test server in memory.
    pub fn builder(&self) -> ClientBuilder {
        match &self.target {
            Target::Telegram { api_id, api_hash } => {
                Client::builder(*api_id, api_hash.clone()).session_file(self.name)
            }
            Target::Server { dcs, rsa_key } => {
                let mut builder = Client::builder(TEST_API_ID, TEST_API_HASH)
                    .rsa_key(rsa_key.clone())
                    .in_memory();
                for (id, addr) in dcs {
                    builder = builder.dc_addr(*id, *addr);
                }
                builder
            }
            Target::Embedded(server) => {
                let mut builder = Client::builder(TEST_API_ID, TEST_API_HASH)
                    .rsa_key(server.rsa_public_key().clone())
                    .in_memory();
                for dc in server.dcs() {
                    let addr = format!("{}:{}", dc.host, dc.port)
                        .parse()
                        .expect("the test server listens on an IP address");
                    builder = builder.dc_addr(dc.id, addr);
                }
                builder
            }
        }
    }

    /// Connects and signs in as a user: on Telegram on the terminal (unless the session file
    /// is already signed in), on a test server as the test account [`TEST_PHONE`].
    pub async fn connect_user(&self) -> anyhow::Result<Client> {
        let client = self.builder().connect().await?;
        if self.is_telegram() {
            if !client.is_authorized().await? {
                sign_in_interactively(&client).await?;
            }
        } else {
            println!("== Signing in as the test account {TEST_PHONE} (code {TEST_CODE})");
            let token = client.request_login_code(TEST_PHONE).await?;
            client.sign_in(&token, TEST_CODE).await?;
        }
        Ok(client)
    }

    /// Connects and signs in as a bot, with `TG_BOT_TOKEN` (on a test server
    /// [`TEST_BOT_TOKEN`] when it is not set).
    pub async fn connect_bot(&self) -> anyhow::Result<(Client, User)> {
        let token = match std::env::var("TG_BOT_TOKEN") {
            Ok(token) => token,
            Err(_) if !self.is_telegram() => TEST_BOT_TOKEN.to_owned(),
            Err(_) => bail!("set TG_BOT_TOKEN to the token @BotFather gave your bot"),
        };
        let client = self.builder().connect().await?;
        let me = if client.is_authorized().await? {
            client.get_me().await?
        } else {
            client.bot_sign_in(token.trim()).await?
        };
        println!("== Signed in as the bot @{}", me.username().unwrap_or("?"));
        Ok((client, me))
    }
}

/// Runs `client`'s handlers until it is disconnected or the user presses Ctrl-C: what a bot or
/// userbot example does outside the embedded server, printing `what` first.
pub async fn serve_until_ctrl_c(client: &Client, what: &str) -> anyhow::Result<()> {
    println!("== {what}; stop with Ctrl-C");
    tokio::select! {
        result = client.run_until_disconnected() => result?,
        _ = tokio::signal::ctrl_c() => client.disconnect().await,
    }
    Ok(())
}

/// The user a bot example plays on the embedded server, where nobody else is there: signed in
/// as the test account, it writes to the bot and reads the bot's answers.
pub struct SimulatedUser {
    /// The user's client (for clicks, inline queries, reading messages).
    pub client: Client,
    /// The bot as `@username`.
    pub bot_name: String,
    from_bot: EventStream<MessageEvent>,
}

impl SimulatedUser {
    /// Signs the test account in and starts listening to what `bot` sends it.
    pub async fn connect(example: &Example, bot: &User) -> anyhow::Result<SimulatedUser> {
        let client = example.connect_user().await?;
        let bot_name = format!("@{}", bot.username().unwrap_or_default());
        let from_bot = client
            .stream_events(NewMessage::new().incoming().chats([bot_name.as_str()]))
            .await?;
        Ok(SimulatedUser {
            client,
            bot_name,
            from_bot,
        })
    }

    /// Sends `message` to the bot, printing it.
    pub async fn say(&self, message: impl Into<InputMessage>) -> anyhow::Result<()> {
        let message = message.into();
        println!("   user → bot: {}", message.plain_text());
        self.client
            .send_message(self.bot_name.as_str(), message)
            .await?;
        Ok(())
    }

    /// The bot's next new message to the user (an error after 30 s without one).
    pub async fn next_from_bot(&mut self) -> anyhow::Result<Message> {
        let event = tokio::time::timeout(Duration::from_secs(30), self.from_bot.next())
            .await
            .map_err(|_| anyhow!("the bot did not answer within 30 s"))?
            .ok_or_else(|| anyhow!("the user's client went away"))?;
        Ok(event.message().clone())
    }

    /// Stops listening and disconnects.
    pub async fn leave(self) {
        drop(self.from_bot);
        self.client.disconnect().await;
    }
}

/// The test server's ready line: `{"dcs":[{"id":1,"host":…,"port":…},…],
/// "rsa_public_key_pem":…}`.
fn parse_ready_line(line: &str) -> anyhow::Result<Target> {
    let ready: serde_json::Value = serde_json::from_str(line)?;
    let mut dcs = Vec::new();
    for dc in ready["dcs"].as_array().context("no \"dcs\"")? {
        let id = dc["id"].as_i64().context("a DC without an id")?;
        let host = dc["host"].as_str().context("a DC without a host")?;
        let port = dc["port"].as_u64().context("a DC without a port")?;
        dcs.push((i32::try_from(id)?, format!("{host}:{port}").parse()?));
    }
    let pem = ready["rsa_public_key_pem"]
        .as_str()
        .context("no \"rsa_public_key_pem\"")?;
    let rsa_key = tgwire_crypto::rsa::RsaPublicKey::from_pkcs1_pem(pem)
        .map_err(|e| anyhow::anyhow!("bad RSA key: {e:?}"))?;
    Ok(Target::Server { dcs, rsa_key })
}

/// Asks for the phone number, the code and (if needed) the password on the terminal.
async fn sign_in_interactively(client: &Client) -> anyhow::Result<()> {
    let phone = prompt("Phone number (international format): ")?;
    let token = client.request_login_code(&phone).await?;
    loop {
        let code = prompt("Login code: ")?;
        match client.sign_in(&token, &code).await {
            Ok(user) => {
                println!("   signed in as {}", user.full_name());
                return Ok(());
            }
            Err(SignInError::InvalidCode) => println!("   wrong code, try again"),
            Err(SignInError::PasswordRequired(mut password)) => loop {
                let hint = password.hint().unwrap_or("none").to_owned();
                let secret = prompt(&format!("Password (hint: {hint}): "))?;
                match client.check_password(password, secret).await {
                    Ok(user) => {
                        println!("   signed in as {}", user.full_name());
                        return Ok(());
                    }
                    Err(SignInError::InvalidPassword) => {
                        println!("   wrong password, try again");
                        password = client.password_token().await?;
                    }
                    Err(e) => return Err(e.into()),
                }
            },
            Err(e) => return Err(e.into()),
        }
    }
}

fn prompt(question: &str) -> anyhow::Result<String> {
    print!("{question}");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}
