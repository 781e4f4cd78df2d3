//! The 2048-bit authorization key shared by client and server, and the
//! direction of a message under it.

use std::sync::Arc;

use sha1::{Digest, Sha1};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A 256-byte MTProto authorization key, wiped from memory when dropped.
///
/// Its id and aux hash are computed once at construction, since every packet
/// needs the id. Clones share one copy of the key (a connection, its session, its pool and
/// the stored session all hold the same key; copies cost 272 bytes each on every idle client),
/// which is wiped when the last clone is dropped.
#[derive(Clone)]
pub struct AuthKey {
    inner: Arc<KeyMaterial>,
}

#[derive(Zeroize, ZeroizeOnDrop)]
struct KeyMaterial {
    bytes: [u8; 256],
    id: i64,
    aux_hash: [u8; 8],
}

impl AuthKey {
    /// Wraps the raw key (the big-endian DH shared secret, left-padded to 256 bytes).
    pub fn from_bytes(bytes: [u8; 256]) -> Self {
        let digest = Sha1::digest(bytes);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[12..20]);
        let mut aux_hash = [0u8; 8];
        aux_hash.copy_from_slice(&digest[..8]);
        Self {
            inner: Arc::new(KeyMaterial {
                bytes,
                id: i64::from_le_bytes(id),
                aux_hash,
            }),
        }
    }

    /// `auth_key_id`: the lower 64 bits of SHA1(auth_key), read little-endian
    /// exactly as the first 8 bytes of every encrypted packet carry it.
    pub fn id(&self) -> i64 {
        self.inner.id
    }

    /// `auth_key_aux_hash`: the higher 64 bits of SHA1(auth_key), as the 8
    /// bytes that go into `new_nonce_hash1/2/3` (see [`crate::new_nonce_hash`]).
    pub fn aux_hash(&self) -> [u8; 8] {
        self.inner.aux_hash
    }

    /// The raw 256 key bytes, e.g. for storing the session.
    pub fn as_bytes(&self) -> &[u8; 256] {
        &self.inner.bytes
    }
}

impl PartialEq for AuthKey {
    /// Constant-time comparison of the key bytes.
    fn eq(&self, other: &Self) -> bool {
        crate::ct_eq(&self.inner.bytes, &other.inner.bytes)
    }
}

impl Eq for AuthKey {}

impl core::fmt::Debug for AuthKey {
    /// Shows only the public id, never key material.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthKey")
            .field("id", &format_args!("{:#018x}", self.inner.id))
            .finish_non_exhaustive()
    }
}

/// Who encrypted a message: the spec's `x` in the key derivation, which makes
/// the two directions use different key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Client to server (`x = 0`).
    Client,
    /// Server to client (`x = 8`).
    Server,
}

impl Side {
    /// The spec's `x`: 0 for messages from the client, 8 for messages from the server.
    pub const fn x(self) -> usize {
        match self {
            Side::Client => 0,
            Side::Server => 8,
        }
    }

    /// The other end.
    pub const fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_and_aux_hash_come_from_sha1() {
        let key = AuthKey::from_bytes(core::array::from_fn(|i| i as u8));
        let digest = Sha1::digest(key.as_bytes());
        assert_eq!(key.id().to_le_bytes(), digest[12..20]);
        assert_eq!(key.aux_hash(), digest[..8]);
    }

    #[test]
    fn debug_hides_the_key() {
        let key = AuthKey::from_bytes([0xAB; 256]);
        let shown = format!("{key:?}");
        assert!(
            !shown.contains("ab, ab") && !shown.contains("171"),
            "{shown}"
        );
        assert!(shown.contains("id"));
    }

    #[test]
    fn clones_share_one_copy_of_the_key() {
        let key = AuthKey::from_bytes([7; 256]);
        let clone = key.clone();
        assert!(Arc::ptr_eq(&key.inner, &clone.inner));
        assert_eq!(clone.as_bytes(), &[7; 256]);
        assert_eq!(clone.id(), key.id());
    }

    #[test]
    fn equality_and_side() {
        assert_eq!(AuthKey::from_bytes([1; 256]), AuthKey::from_bytes([1; 256]));
        assert_ne!(AuthKey::from_bytes([1; 256]), AuthKey::from_bytes([2; 256]));
        assert_eq!(Side::Client.x(), 0);
        assert_eq!(Side::Server.x(), 8);
        assert_eq!(Side::Client.peer(), Side::Server);
    }
}
