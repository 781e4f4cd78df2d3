//! Takeout sessions: exporting an account's data with requests wrapped in
//! `invokeWithTakeout`, which Telegram rate-limits less than ordinary ones.

use std::future::IntoFuture;
use std::time::Duration;

use tgwire_tl_types::{functions, RemoteCall};

use super::BoxFuture;
use crate::{Client, InvocationError};

/// Why a takeout session could not start.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TakeoutError {
    /// Telegram wants the account to wait this long before exporting
    /// (`TAKEOUT_INIT_DELAY_X`, e.g. after a fresh login); the user can also allow it from
    /// another session.
    #[error("takeout allowed in {0:?}")]
    InitDelay(Duration),
    /// Anything else.
    #[error(transparent)]
    Invocation(#[from] InvocationError),
}

/// Starts a takeout session; see [`Client::takeout`]. Say what will be exported, then await.
#[must_use = "no takeout starts until this is awaited"]
#[allow(clippy::struct_excessive_bools)] // one flag per kind of data, as Telegram has them
pub struct TakeoutBuilder {
    client: Client,
    contacts: bool,
    users: bool,
    chats: bool,
    megagroups: bool,
    channels: bool,
    files: Option<i64>,
}

impl TakeoutBuilder {
    /// Exports contacts.
    pub fn contacts(mut self, yes: bool) -> Self {
        self.contacts = yes;
        self
    }

    /// Exports private chats.
    pub fn users(mut self, yes: bool) -> Self {
        self.users = yes;
        self
    }

    /// Exports basic groups.
    pub fn chats(mut self, yes: bool) -> Self {
        self.chats = yes;
        self
    }

    /// Exports supergroups.
    pub fn megagroups(mut self, yes: bool) -> Self {
        self.megagroups = yes;
        self
    }

    /// Exports broadcast channels.
    pub fn channels(mut self, yes: bool) -> Self {
        self.channels = yes;
        self
    }

    /// Exports files up to `max_size` bytes each.
    pub fn files(mut self, max_size: i64) -> Self {
        self.files = Some(max_size);
        self
    }
}

impl IntoFuture for TakeoutBuilder {
    type Output = Result<Takeout, TakeoutError>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let answer = self
                .client
                .invoke(&functions::account::InitTakeoutSession {
                    contacts: self.contacts,
                    message_users: self.users,
                    message_chats: self.chats,
                    message_megagroups: self.megagroups,
                    message_channels: self.channels,
                    files: self.files.is_some(),
                    file_max_size: self.files,
                })
                .await;
            match answer {
                Ok(tgwire_tl_types::enums::account::Takeout::Takeout(takeout)) => Ok(Takeout {
                    client: self.client,
                    id: takeout.id,
                    finished: false,
                }),
                Err(e) if e.is("TAKEOUT_INIT_DELAY") => {
                    let secs = e.rpc().and_then(|r| r.value).unwrap_or(0);
                    Err(TakeoutError::InitDelay(Duration::from_secs(u64::from(
                        secs,
                    ))))
                }
                Err(e) => Err(e.into()),
            }
        })
    }
}

/// An open takeout session: requests sent through [`invoke`](Self::invoke) are wrapped in
/// `invokeWithTakeout`. [`finish`](Self::finish) it when done; dropping it unfinished
/// finishes it as failed (in the background).
#[derive(Debug)]
pub struct Takeout {
    client: Client,
    id: i64,
    finished: bool,
}

impl Takeout {
    /// The takeout id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Sends `request` inside this takeout session.
    ///
    /// # Errors
    ///
    /// `TAKEOUT_INVALID` once the session is over, and the request's own errors.
    pub async fn invoke<R>(&self, request: R) -> Result<R::Return, InvocationError>
    where
        R: RemoteCall,
        R::Return: 'static,
    {
        self.client
            .invoke(&functions::InvokeWithTakeout {
                takeout_id: self.id,
                query: request,
            })
            .await
    }

    /// The history of `chat` read inside this session (Telethon's `takeout.iter_messages`),
    /// with every option of [`Client::iter_messages`]. Telegram serves exports at a higher
    /// rate than ordinary history requests.
    pub fn iter_messages(&self, chat: impl Into<crate::PeerQuery>) -> crate::MessageIter {
        self.client.iter_messages(chat).with_takeout(self.id)
    }

    /// Ends the session, telling Telegram whether the export succeeded.
    ///
    /// # Errors
    ///
    /// Server errors.
    pub async fn finish(mut self, success: bool) -> Result<(), InvocationError> {
        self.finished = true;
        finish(&self.client, self.id, success).await
    }
}

async fn finish(client: &Client, id: i64, success: bool) -> Result<(), InvocationError> {
    client
        .invoke(&functions::InvokeWithTakeout {
            takeout_id: id,
            query: functions::account::FinishTakeoutSession { success },
        })
        .await?;
    Ok(())
}

impl Drop for Takeout {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            log::warn!(
                "takeout {} dropped outside a runtime: not finished",
                self.id
            );
            return;
        };
        let client = self.client.clone();
        let id = self.id;
        runtime.spawn(async move {
            if let Err(error) = finish(&client, id, false).await {
                log::debug!("finishing takeout {id} on drop failed: {error}");
            }
        });
    }
}

impl Client {
    /// Starts a takeout session for exporting the account's data; choose what with the
    /// builder (as Telethon's `takeout(contacts=…, users=…, chats=…, megagroups=…,
    /// channels=…, files=…, max_file_size=…)`), then await:
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use tgwire::tl::functions;
    ///
    /// let takeout = client.takeout().contacts(true).users(true).await?;
    /// let contacts = takeout
    ///     .invoke(functions::contacts::GetContacts { hash: 0 })
    ///     .await?;
    /// takeout.finish(true).await?;
    /// # let _ = contacts;
    /// # Ok(()) }
    /// ```
    pub fn takeout(&self) -> TakeoutBuilder {
        TakeoutBuilder {
            client: self.clone(),
            contacts: false,
            users: false,
            chats: false,
            megagroups: false,
            channels: false,
            files: None,
        }
    }
}
