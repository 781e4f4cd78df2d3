//! Turning stored rows back into session values, shared by the SQL backends so that SQLite and
//! PostgreSQL reject exactly the same impossible data (as [`SessionError::Corrupt`]).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::dc::DcFlags;
use crate::peer::split_bot_api_id;
use crate::{CachedPeer, DcOption, PeerKind, PeerRef, SessionError};

/// One `dc_option` row.
pub(crate) fn dc_option(
    id: i64,
    ipv4: Option<String>,
    ipv6: Option<String>,
    port: i64,
    flags: i64,
) -> Result<DcOption, SessionError> {
    let bad = |what: &str| SessionError::corrupt(format!("dc_option row for DC {id}: bad {what}"));
    Ok(DcOption {
        id: i32::try_from(id).map_err(|_| bad("id"))?,
        ipv4: ipv4
            .map(|a| a.parse::<Ipv4Addr>())
            .transpose()
            .map_err(|_| bad("IPv4 address"))?,
        ipv6: ipv6
            .map(|a| a.parse::<Ipv6Addr>())
            .transpose()
            .map_err(|_| bad("IPv6 address"))?,
        port: u16::try_from(port).map_err(|_| bad("port"))?,
        flags: DcFlags::from_bits(flags).ok_or_else(|| bad("flags"))?,
    })
}

/// The columns of one `peer` row, as stored.
pub(crate) struct PeerRow {
    /// Bot API ("marked") id.
    pub(crate) marked: i64,
    pub(crate) kind: i64,
    pub(crate) access_hash: Option<i64>,
    pub(crate) min: bool,
    /// Space-separated, lowercase.
    pub(crate) usernames: String,
    pub(crate) phone: Option<String>,
    pub(crate) name: Option<String>,
}

impl PeerRow {
    /// The columns to store for a cached peer.
    pub(crate) fn from_peer(peer: &CachedPeer) -> Self {
        PeerRow {
            marked: peer.bot_api_id(),
            kind: peer.peer.kind().code(),
            access_hash: peer.peer.access_hash(),
            min: peer.min,
            usernames: peer.usernames.join(" "),
            phone: peer.phone.clone(),
            name: peer.name.clone(),
        }
    }

    /// The cached peer this row describes.
    pub(crate) fn into_peer(self) -> Result<CachedPeer, SessionError> {
        let marked = self.marked;
        let bad = |what: &str| SessionError::corrupt(format!("peer row {marked}: {what}"));
        let kind = PeerKind::from_code(self.kind).ok_or_else(|| bad("unknown kind"))?;
        let (family, id) = split_bot_api_id(marked).ok_or_else(|| bad("invalid id"))?;
        let peer = PeerRef::new(family, id, self.access_hash)
            .ok()
            .and_then(|p| p.with_kind(kind))
            .ok_or_else(|| bad("kind does not match id"))?;
        Ok(CachedPeer {
            peer,
            min: self.min,
            usernames: self
                .usernames
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            phone: self.phone,
            name: self.name,
        })
    }
}
