//! Administering a group: list its admins, promote a member, restrict another until a date,
//! and print the admin log.
//!
//! Without `TG_API_ID`/`TG_API_HASH` in the environment it starts tgwire's local test server
//! in-process, signs in as a test account and makes a supergroup with two members to work on:
//!
//!     cargo run --example admin
//!
//! With them set (from https://my.telegram.org) it talks to Telegram, using the session
//! `admin.session` made by `cargo run --example quickstart` (sign in there first), and works
//! on the group and members named on the command line, which must be yours to administer:
//!
//!     cargo run --example admin -- @your_group @member_to_promote @member_to_restrict

use futures_util::TryStreamExt;
use tgwire::{
    AdminLogAction, AdminRights, Chat, Client, ParticipantFilter, PeerQuery, Permissions, Role,
};
use tgwire_testserver::{Config, TestServer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let api = std::env::var("TG_API_ID")
        .ok()
        .zip(std::env::var("TG_API_HASH").ok());
    // Keeps the local server alive for as long as the client uses it.
    let mut _server = None;
    let (client, group, promote, restrict): (Client, PeerQuery, PeerQuery, PeerQuery) = match api {
        Some((id, hash)) => {
            let args: Vec<String> = std::env::args().skip(1).collect();
            let [group, promote, restrict] = <[String; 3]>::try_from(args).map_err(|_| {
                anyhow::anyhow!("usage: admin <group> <member to promote> <member to restrict>")
            })?;
            println!("== Connecting to Telegram (api_id {id})");
            let client = Client::builder(id.trim().parse()?, hash.trim())
                .session_file("quickstart")
                .connect()
                .await?;
            if !client.is_authorized().await? {
                anyhow::bail!("not signed in: run `cargo run --example quickstart` first");
            }
            (client, group.into(), promote.into(), restrict.into())
        }
        None => {
            println!("== No TG_API_ID/TG_API_HASH: starting the local test server");
            let server = TestServer::start(Config::default()).await?;
            let mut builder = Client::builder(1, "0123456789abcdef0123456789abcdef")
                .rsa_key(server.rsa_public_key().clone())
                .in_memory();
            for dc in server.dcs() {
                builder = builder.dc_addr(dc.id, format!("{}:{}", dc.host, dc.port).parse()?);
            }
            let backend = server.backend();
            backend.create_user("9996620042", "Grace", Some("grace_hopper"))?;
            backend.create_user("9996620043", "Linus", Some("linus_t"))?;
            let client = builder.connect().await?;
            let token = client.request_login_code("+9996621234").await?;
            client.sign_in(&token, "22222").await?;
            println!("== Signed in as the test account; making a supergroup");
            let Chat::Group(group) = client
                .create_supergroup("Rustaceans")
                .about("an example group")
                .await?
            else {
                anyhow::bail!("a supergroup came back as something else");
            };
            client
                .add_participants(&group, ["@grace_hopper", "@linus_t"])
                .await?;
            _server = Some(server);
            (
                client,
                PeerQuery::from(&group),
                "@grace_hopper".into(),
                "@linus_t".into(),
            )
        }
    };

    println!("== Admins");
    let mut admins = client
        .iter_participants(group.clone())
        .filter(ParticipantFilter::Admins);
    while let Some(admin) = admins.try_next().await? {
        let title = match admin.role() {
            Role::Creator { rank } => format!("creator {}", rank.as_deref().unwrap_or("")),
            Role::Admin { rank, .. } => format!("admin {}", rank.as_deref().unwrap_or("")),
            _ => String::new(),
        };
        println!("   {} ({})", admin.user().full_name(), title.trim());
    }

    println!("== Promoting {} to moderator", show(&promote));
    let moderator = AdminRights {
        delete_messages: true,
        ban_users: true,
        pin_messages: true,
        ..AdminRights::default()
    };
    client
        .edit_admin(group.clone(), promote.clone(), moderator)
        .rank("moderator")
        .await?;

    let tomorrow = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        + 24 * 3600;
    let until = i32::try_from(tomorrow)?;
    println!(
        "== Restricting {} to reading until {until} (Unix time)",
        show(&restrict)
    );
    let read_only = Permissions {
        send_messages: false,
        send_media: false,
        ..Permissions::all()
    };
    client
        .edit_permissions(group.clone(), restrict.clone(), read_only)
        .until(until)
        .await?;
    let now = client.get_permissions(group.clone(), restrict).await?;
    println!(
        "   restricted: {}, may write: {}, until: {:?}",
        now.is_banned(),
        now.can_send_messages(),
        now.banned_until()
    );

    println!("== Admin log, newest first");
    let mut log = client.iter_admin_log(group).limit(20);
    while let Some(event) = log.try_next().await? {
        let who = event
            .user()
            .map_or_else(|| event.user_id().to_string(), |u| u.full_name());
        let what = match event.action() {
            AdminLogAction::ToggleAdmin { new, .. } => format!(
                "changed the admin rights of {}",
                new.as_ref().map_or("?".into(), |p| p.user().full_name())
            ),
            AdminLogAction::ToggleBan { new, .. } => format!(
                "restricted {}",
                new.as_ref().map_or("?".into(), |p| p.user().full_name())
            ),
            AdminLogAction::Invite { participant } => format!(
                "added {}",
                participant
                    .as_ref()
                    .map_or("?".into(), |p| p.user().full_name())
            ),
            AdminLogAction::ChangeTitle { old, new } => format!("renamed {old:?} to {new:?}"),
            other => format!("{other:?}"),
        };
        println!("   #{} {who}: {what}", event.id());
    }
    client.disconnect().await;
    Ok(())
}

/// A peer query as the user typed it.
fn show(query: &PeerQuery) -> String {
    match query {
        PeerQuery::Text(text) => text.clone(),
        PeerQuery::Id(id) => id.to_string(),
        PeerQuery::Ref(peer) => peer.to_string(),
    }
}
