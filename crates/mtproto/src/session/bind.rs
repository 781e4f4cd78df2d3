//! The body of `auth.bindTempAuthKey`, which depends on the msg_id and session it is sent in.
//!
//! To bind a temporary key to a permanent one (perfect forward secrecy), the client sends, under
//! the temporary key, `auth.bindTempAuthKey` carrying a `bind_auth_key_inner` encrypted the
//! MTProto 1.0 way with the *permanent* key. That inner message repeats the msg_id of the very
//! request carrying it and the session id it travels in
//! (core.telegram.org/method/auth.bindTempAuthKey), so it can only be built once the session
//! has chosen the msg_id: the session builds it at packing time, and again for every resend under
//! a new id.

use rand::RngCore;
use tgwire_crypto::{derive_aes_key_iv_v1, ige_encrypt, msg_key_v1, AuthKey, Side};
use tgwire_tl_types::mtproto::{enums, types};
use tgwire_tl_types::{functions, Serializable};

/// What a pending binding needs besides the ids known only at packing time.
#[derive(Clone)]
pub(crate) struct Binding {
    pub(crate) perm_key: AuthKey,
    pub(crate) nonce: i64,
    pub(crate) expires_at: i32,
}

impl std::fmt::Debug for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binding")
            .field("perm_key_id", &self.perm_key.id())
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Binding {
    /// The serialized `auth.bindTempAuthKey` for a request sent as `msg_id` in `session_id`
    /// under the temporary key `temp_key_id`.
    pub(crate) fn request_body(
        &self,
        temp_key_id: i64,
        session_id: i64,
        msg_id: i64,
        rng: &mut impl RngCore,
    ) -> Vec<u8> {
        let inner = enums::BindAuthKeyInner::from(types::BindAuthKeyInner {
            nonce: self.nonce,
            temp_auth_key_id: temp_key_id,
            perm_auth_key_id: self.perm_key.id(),
            temp_session_id: session_id,
            expires_at: self.expires_at,
        })
        .to_bytes();
        // MTProto 1.0 plaintext: random:int128 (in place of salt and session id), msg_id,
        // seqno = 0, length, data; msg_key over exactly that; then padding to the block size.
        let mut plain = Vec::with_capacity(32 + inner.len() + 16);
        let mut random = [0u8; 16];
        rng.fill_bytes(&mut random);
        plain.extend_from_slice(&random);
        plain.extend_from_slice(&msg_id.to_le_bytes());
        plain.extend_from_slice(&0i32.to_le_bytes());
        plain.extend_from_slice(&(inner.len() as u32).to_le_bytes());
        plain.extend_from_slice(&inner);
        let msg_key = msg_key_v1(&plain);
        let unpadded = plain.len();
        plain.resize(unpadded.div_ceil(16) * 16, 0);
        rng.fill_bytes(&mut plain[unpadded..]);
        let (key, iv) = derive_aes_key_iv_v1(&self.perm_key, &msg_key, Side::Client);
        if let Err(e) = ige_encrypt(&mut plain, &key, &iv) {
            // Unreachable: the plaintext was padded to the block size just above.
            log::error!("encrypting the binding message failed: {e}");
        }
        let mut encrypted = Vec::with_capacity(24 + plain.len());
        encrypted.extend_from_slice(&self.perm_key.id().to_le_bytes());
        encrypted.extend_from_slice(&msg_key);
        encrypted.extend_from_slice(&plain);
        functions::auth::BindTempAuthKey {
            perm_auth_key_id: self.perm_key.id(),
            nonce: self.nonce,
            expires_at: self.expires_at,
            encrypted_message: encrypted.into(),
        }
        .to_bytes()
    }
}
