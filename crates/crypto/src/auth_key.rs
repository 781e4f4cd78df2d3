//! The 2048-bit authorization key shared by client and server, and the
//! direction of a message under it.

use std::sync::Arc;

use sha1::{Digest, Sha1};
use zeroize::{Zeroize, Zeroizing};

/// The 256 key bytes as several owners can share them: wiped when the last owner drops them.
///
/// The interchange form between this crate and a session store that does not depend on it
/// (`tgwire-session`'s `AuthKeyData` holds the same type), so that a client keeps one copy of
/// each key instead of one per layer: see [`AuthKey::from_shared`] and [`AuthKey::shared_bytes`].
pub type SharedKeyBytes = Arc<Zeroizing<[u8; 256]>>;

/// A 256-byte MTProto authorization key, wiped from memory when dropped.
///
/// Its id is computed once at construction, since every packet needs it; the aux hash, which
/// only the key exchange needs, is computed when asked for. Clones share one copy of the key (a
/// connection, its session, its pool and the stored session all hold the same key; copies cost
/// 272 bytes each on every idle client), which is wiped when the last clone is dropped. The id
/// sits beside the shared bytes rather than in an allocation of its own with them (16 bytes in
/// each holder instead of 8, and one allocation of 40 bytes less for each key).
#[derive(Clone)]
pub struct AuthKey {
    /// Shared with whoever else holds these bytes (the stored session), so not inline.
    bytes: SharedKeyBytes,
    id: i64,
}

impl AuthKey {
    /// Wraps the raw key (the big-endian DH shared secret, left-padded to 256 bytes).
    pub fn from_bytes(bytes: [u8; 256]) -> Self {
        Self::from_shared(Arc::new(Zeroizing::new(bytes)))
    }

    /// Wraps key bytes that something else (a stored session) holds too, without copying them.
    pub fn from_shared(bytes: SharedKeyBytes) -> Self {
        let digest = Sha1::digest(&bytes[..]);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[12..20]);
        Self {
            bytes,
            id: i64::from_le_bytes(id),
        }
    }

    /// The key bytes as a shared handle (for a session store to keep without a copy).
    pub fn shared_bytes(&self) -> SharedKeyBytes {
        Arc::clone(&self.bytes)
    }

    /// `auth_key_id`: the lower 64 bits of SHA1(auth_key), read little-endian
    /// exactly as the first 8 bytes of every encrypted packet carry it.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// `auth_key_aux_hash`: the higher 64 bits of SHA1(auth_key), as the 8
    /// bytes that go into `new_nonce_hash1/2/3` (see [`crate::new_nonce_hash`]).
    pub fn aux_hash(&self) -> [u8; 8] {
        let mut digest = Sha1::digest(&self.bytes[..]);
        let mut aux_hash = [0u8; 8];
        aux_hash.copy_from_slice(&digest[..8]);
        // The rest of the digest is key material too (the id excepted).
        digest.as_mut_slice().zeroize();
        aux_hash
    }

    /// The raw 256 key bytes, e.g. for storing the session.
    pub fn as_bytes(&self) -> &[u8; 256] {
        &self.bytes
    }
}

impl PartialEq for AuthKey {
    /// Constant-time comparison of the key bytes.
    fn eq(&self, other: &Self) -> bool {
        crate::ct_eq(&self.bytes[..], &other.bytes[..])
    }
}

impl Eq for AuthKey {}

impl core::fmt::Debug for AuthKey {
    /// Shows only the public id, never key material.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthKey")
            .field("id", &format_args!("{:#018x}", self.id))
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
        assert!(Arc::ptr_eq(&key.bytes, &clone.bytes));
        assert_eq!(clone.as_bytes(), &[7; 256]);
        assert_eq!(clone.id(), key.id());
    }

    #[test]
    fn id_and_aux_hash_are_the_halves_of_the_sha1() {
        let key = AuthKey::from_bytes(core::array::from_fn(|i| (i * 7) as u8));
        let digest = Sha1::digest(key.as_bytes());
        assert_eq!(key.aux_hash()[..], digest[..8]);
        assert_eq!(key.id().to_le_bytes()[..], digest[12..20]);
        assert_eq!(std::mem::size_of::<AuthKey>(), 16);
    }

    #[test]
    fn shared_bytes_are_not_copied() {
        let bytes: SharedKeyBytes = Arc::new(Zeroizing::new(core::array::from_fn(|i| i as u8)));
        let key = AuthKey::from_shared(Arc::clone(&bytes));
        assert!(Arc::ptr_eq(&key.shared_bytes(), &bytes));
        assert_eq!(key, AuthKey::from_bytes(**bytes));
        assert_eq!(key.id(), AuthKey::from_bytes(**bytes).id());
        // Two owners: `bytes` and the key (the handle taken above is dropped).
        assert_eq!(Arc::strong_count(&bytes), 2);
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
