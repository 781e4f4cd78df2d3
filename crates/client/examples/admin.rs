//! Administering a group: list its admins, promote a member, restrict another until a date,
//! and print the admin log.
//!
//! It connects as every example does (see `examples/common`): with nothing set it starts
//! tgwire's test server in-process, signs in as a test account and makes a supergroup with two
//! members to work on:
//!
//!     cargo run --example admin
//!
//! Against Telegram (`TG_API_ID`/`TG_API_HASH`) or a separate test server (`TGWIRE_SERVER`) it
//! works on the group and members named on the command line, which must be yours to
//! administer:
//!
//!     cargo run --example admin -- @your_group @member_to_promote @member_to_restrict

mod common;

use futures_util::TryStreamExt;
use tgwire::{AdminLogAction, AdminRights, Chat, ParticipantFilter, PeerQuery, Permissions, Role};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let example = common::Example::start("admin").await?;
    let client = example.connect_user().await?;
    let (group, promote, restrict): (PeerQuery, PeerQuery, PeerQuery) = match example.embedded() {
        Some(server) => {
            let backend = server.backend();
            backend.create_user("9996620042", "Grace", Some("grace_hopper"))?;
            backend.create_user("9996620043", "Linus", Some("linus_t"))?;
            println!("== Making a supergroup with Grace and Linus");
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
            (
                PeerQuery::from(&group),
                "@grace_hopper".into(),
                "@linus_t".into(),
            )
        }
        None => {
            let args: Vec<String> = std::env::args().skip(1).collect();
            let [group, promote, restrict] = <[String; 3]>::try_from(args).map_err(|_| {
                anyhow::anyhow!("usage: admin <group> <member to promote> <member to restrict>")
            })?;
            (group.into(), promote.into(), restrict.into())
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
