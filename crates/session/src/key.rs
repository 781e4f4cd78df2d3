//! Auth keys as stored by a session: raw bytes, wiped from memory when dropped.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::SessionError;

/// A 2048-bit MTProto authorization key, exactly as the key exchange produced it.
///
/// The bytes are overwritten with zeros when the last holder drops them, and `Debug` never
/// prints them. Clones share one copy; so can the connection using the key:
/// [`shared`](Self::shared) hands out the bytes as `Arc<Zeroizing<[u8; 256]>>`, the form
/// `tgwire-crypto`'s `AuthKey::from_shared` takes (and `AuthKey::shared_bytes` gives back), so
/// that a client keeps one copy of a key rather than one in its session and one in its
/// connection (256 bytes each, in every idle client).
#[derive(Clone)]
pub struct AuthKeyData(Arc<Zeroizing<[u8; AuthKeyData::LEN]>>);

impl PartialEq for AuthKeyData {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for AuthKeyData {}

impl AuthKeyData {
    /// Length of an auth key in bytes.
    pub const LEN: usize = 256;

    /// Wraps the key bytes.
    pub fn new(bytes: [u8; Self::LEN]) -> Self {
        AuthKeyData(Arc::new(Zeroizing::new(bytes)))
    }

    /// Wraps key bytes held elsewhere too (e.g. by a connection's key), without copying them.
    pub fn from_shared(bytes: Arc<Zeroizing<[u8; Self::LEN]>>) -> Self {
        AuthKeyData(bytes)
    }

    /// The key bytes as a shared handle, for a connection to use without a copy.
    pub fn shared(&self) -> Arc<Zeroizing<[u8; Self::LEN]>> {
        Arc::clone(&self.0)
    }

    /// Copies a key out of a slice that must be exactly [`Self::LEN`] bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SessionError> {
        let array: [u8; Self::LEN] = bytes.try_into().map_err(|_| {
            SessionError::corrupt(format!(
                "auth key is {} bytes, expected {}",
                bytes.len(),
                Self::LEN
            ))
        })?;
        Ok(AuthKeyData::new(array))
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

impl fmt::Debug for AuthKeyData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthKeyData(<redacted>)")
    }
}

/// A temporary auth key (bound to a permanent one for perfect forward secrecy) and when it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TempAuthKey {
    /// The key bytes.
    pub key: AuthKeyData,
    /// Expiry as Unix time in seconds; after this the server forgets the key.
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_and_shared_handles_use_one_copy_of_the_bytes() {
        let key = AuthKeyData::new(std::array::from_fn(|i| i as u8));
        let clone = key.clone();
        assert!(std::ptr::eq(key.as_bytes(), clone.as_bytes()));
        let again = AuthKeyData::from_shared(key.shared());
        assert!(std::ptr::eq(key.as_bytes(), again.as_bytes()));
        assert_eq!(again, AuthKeyData::new(std::array::from_fn(|i| i as u8)));
        assert_ne!(again, AuthKeyData::new([0; AuthKeyData::LEN]));
        assert_eq!(Arc::strong_count(&key.0), 3);
        assert!(AuthKeyData::from_slice(&[1; 255]).is_err());
    }
}
