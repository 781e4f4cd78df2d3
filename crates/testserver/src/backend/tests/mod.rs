//! Backend tests: requests go through [`Backend::call`] as serialized TL and answers are decoded
//! as the function's `RemoteCall::Return`, exactly as a client would see them.

use tgwire_tl_types::{enums, functions, types, Deserializable, RemoteCall};
use tokio::sync::mpsc::UnboundedReceiver;

use super::{Backend, BackendConfig, CallContext, DcAddr, Peer, RpcOutcome};
use crate::faults::Faults;
use requests::get_history;

mod accounts;
mod bots;
mod channels;
mod chat_admin;
mod chats;
mod dialogs;
mod dispatch;
mod files;
mod messages;
mod persist;
mod requests;
mod updates;

/// Three DCs on made-up ports.
fn dcs() -> Vec<DcAddr> {
    (1..=3)
        .map(|id| DcAddr {
            id,
            host: "127.0.0.1".into(),
            port: 20_000 + u16::try_from(id).unwrap(),
        })
        .collect()
}

fn backend() -> Backend {
    Backend::new(
        BackendConfig {
            dcs: dcs(),
            ..BackendConfig::default()
        },
        Faults::new(),
    )
}

/// An rpc_error as a test sees it.
#[derive(Debug, PartialEq, Eq)]
struct Failure {
    code: i32,
    message: String,
}

fn err(code: i32, message: &str) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

/// One simulated client connection: an auth key on a DC with one session.
struct Client {
    backend: Backend,
    ctx: CallContext,
    rx: UnboundedReceiver<Vec<u8>>,
}

impl Client {
    /// A new connection on `dc` with a fresh auth key and a registered session.
    fn connect(backend: &Backend, dc: i32) -> Self {
        let key: i64 = rand::random();
        Self::with_key(backend, dc, key, rand::random())
    }

    fn with_key(backend: &Backend, dc: i32, key: i64, session: i64) -> Self {
        let ctx = CallContext {
            dc_id: dc,
            auth_key_id: key,
            perm_auth_key_id: key,
            session_id: session,
            layer: tgwire_tl_types::LAYER,
            temporary: false,
        };
        let rx = backend.register_session(&ctx);
        Self {
            backend: backend.clone(),
            ctx,
            rx,
        }
    }

    /// Another session on the same key (a second connection of the same device).
    fn second_session(&self) -> Self {
        Self::with_key(
            &self.backend,
            self.ctx.dc_id,
            self.ctx.auth_key_id,
            rand::random(),
        )
    }

    fn call<F: RemoteCall>(&self, request: &F) -> Result<F::Return, Failure> {
        match self.backend.call(&self.ctx, &request.to_bytes()) {
            RpcOutcome::Ok(bytes) => Ok(F::Return::from_bytes(&bytes)
                .unwrap_or_else(|e| panic!("answer does not decode as the return type: {e}"))),
            RpcOutcome::Part(part) => panic!("Backend::call answered in pieces: {part:?}"),
            RpcOutcome::Err { code, message } => Err(Failure { code, message }),
        }
    }

    fn ok<F: RemoteCall>(&self, request: &F) -> F::Return {
        self.call(request)
            .unwrap_or_else(|failure| panic!("unexpected {failure:?}"))
    }

    /// Every `Updates` pushed to this session so far.
    fn pushed(&mut self) -> Vec<enums::Updates> {
        let mut all = Vec::new();
        while let Ok(bytes) = self.rx.try_recv() {
            all.push(enums::Updates::from_bytes(&bytes).expect("pushed bytes decode as Updates"));
        }
        all
    }

    /// Signs in with a test number through sendCode/signIn and returns the user id.
    fn sign_in(&self, phone: &str) -> i64 {
        let sent = self.ok(&send_code(phone));
        let enums::auth::SentCode::SentCode(sent) = sent else {
            panic!("unexpected {sent:?}")
        };
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let code = digits[5..6].repeat(5);
        match self.ok(&functions::auth::SignIn {
            phone_number: phone.into(),
            phone_code_hash: sent.phone_code_hash,
            phone_code: Some(code.into()),
            email_verification: None,
        }) {
            enums::auth::Authorization::Authorization(auth) => user_id(&auth.user),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn me(&self) -> types::User {
        let users = self.ok(&functions::users::GetUsers {
            id: vec![enums::InputUser::InputUserSelf],
        });
        match users.into_iter().next() {
            Some(enums::User::User(user)) => user,
            other => panic!("unexpected {other:?}"),
        }
    }

    fn state(&self) -> types::updates::State {
        let enums::updates::State::State(state) = self.ok(&functions::updates::GetState);
        state
    }

    fn send_text(&self, peer: enums::InputPeer, text: &str) -> enums::Updates {
        self.ok(&send_message(peer, text))
    }
}

fn send_code(phone: &str) -> functions::auth::SendCode {
    functions::auth::SendCode {
        phone_number: phone.into(),
        api_id: 1,
        api_hash: "test".into(),
        settings: types::CodeSettings {
            allow_flashcall: false,
            current_number: false,
            allow_app_hash: false,
            allow_missed_call: false,
            allow_firebase: false,
            unknown_number: false,
            logout_tokens: None,
            token: None,
            app_sandbox: None,
        }
        .into(),
    }
}

/// `messages.sendMessage` of `text` to `peer` with a fresh random id.
fn send_message(peer: enums::InputPeer, text: &str) -> functions::messages::SendMessage {
    requests::send_message(peer, text, rand::random())
}

fn user_id(user: &enums::User) -> i64 {
    match user {
        enums::User::User(user) => user.id,
        enums::User::Empty(user) => user.id,
    }
}

/// `inputPeerUser` for `user` with the access hash `viewer` was given.
fn input_peer_user(backend: &Backend, user: i64) -> enums::InputPeer {
    types::InputPeerUser {
        user_id: user,
        access_hash: backend.user_access_hash(user).unwrap(),
    }
    .into()
}

fn input_user(backend: &Backend, user: i64) -> enums::InputUser {
    types::InputUser {
        user_id: user,
        access_hash: backend.user_access_hash(user).unwrap(),
    }
    .into()
}

/// The messages of a `messages.Messages`, with their ids and texts.
fn texts(messages: &enums::messages::Messages) -> Vec<(i32, String)> {
    let list = match messages {
        enums::messages::Messages::Messages(m) => &m.messages,
        enums::messages::Messages::Slice(m) => &m.messages,
        enums::messages::Messages::ChannelMessages(m) => &m.messages,
        enums::messages::Messages::NotModified(_) => return Vec::new(),
    };
    list.iter()
        .map(|m| match m {
            enums::Message::Message(m) => (m.id, m.message.to_string()),
            enums::Message::Service(m) => (m.id, String::from("<service>")),
            enums::Message::Empty(m) => (m.id, String::from("<empty>")),
        })
        .collect()
}

/// The updates inside an `Updates` (short forms expanded to what they carry).
fn inner_updates(updates: &enums::Updates) -> Vec<enums::Update> {
    match updates {
        enums::Updates::Updates(u) => u.updates.clone(),
        enums::Updates::Combined(u) => u.updates.clone(),
        enums::Updates::UpdateShort(u) => vec![u.update.clone()],
        _ => Vec::new(),
    }
}

/// (pts, pts_count, text) of every new message in `updates`, in whichever form it came
/// (`updateNewMessage`, `updateNewChannelMessage`, `updateShortMessage`,
/// `updateShortChatMessage`).
fn new_messages(updates: &[enums::Updates]) -> Vec<(i32, i32, String)> {
    updates
        .iter()
        .flat_map(|container| match container {
            enums::Updates::UpdateShortMessage(u) => {
                vec![(u.pts, u.pts_count, u.message.to_string())]
            }
            enums::Updates::UpdateShortChatMessage(u) => {
                vec![(u.pts, u.pts_count, u.message.to_string())]
            }
            other => inner_updates(other)
                .into_iter()
                .filter_map(|u| match u {
                    enums::Update::NewMessage(u) => Some((u.pts, u.pts_count, text_of(&u.message))),
                    enums::Update::NewChannelMessage(u) => {
                        Some((u.pts, u.pts_count, text_of(&u.message)))
                    }
                    _ => None,
                })
                .collect(),
        })
        .collect()
}

fn text_of(message: &enums::Message) -> String {
    match message {
        enums::Message::Message(m) => m.message.to_string(),
        enums::Message::Service(_) => "<service>".into(),
        enums::Message::Empty(_) => "<empty>".into(),
    }
}
