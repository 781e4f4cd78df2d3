//! Data-centre addresses.

use std::net::{Ipv4Addr, Ipv6Addr};

/// One address entry for a Telegram data centre.
///
/// Telegram's `dcOption` lists IPv4 and IPv6 addresses as separate entries; a session may merge
/// them into one `DcOption` when they share a port, or keep one entry per address. Several entries
/// may share an `id` (for example a media-only address next to the normal one).
/// `tgwire-tl-types`' `DcOption` will convert into this type once that crate settles.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DcOption {
    /// The DC number (1 to 5 in production).
    pub id: i32,
    /// IPv4 address, if known.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address, if known.
    pub ipv6: Option<Ipv6Addr>,
    /// TCP port.
    pub port: u16,
    /// What the address may be used for.
    pub flags: DcFlags,
}

/// Restrictions on how a [`DcOption`] may be used, from Telegram's `dcOption` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DcFlags {
    /// Only for uploading and downloading media.
    pub media_only: bool,
    /// A CDN DC, reachable only for CDN file downloads.
    pub cdn: bool,
    /// A fixed address to use when others fail (`static`).
    pub static_: bool,
    /// Accepts only connections using obfuscated transports (`tcpo_only`).
    pub tcpo_only: bool,
}

impl DcFlags {
    const MEDIA_ONLY: u8 = 1 << 0;
    const CDN: u8 = 1 << 1;
    const STATIC: u8 = 1 << 2;
    const TCPO_ONLY: u8 = 1 << 3;

    /// Packs the flags into the bit set tgwire's storages keep (media-only 1, CDN 2, static 4,
    /// obfuscated-only 8), for storages of your own too.
    pub fn to_bits(self) -> u8 {
        let mut bits = 0;
        for (set, bit) in [
            (self.media_only, Self::MEDIA_ONLY),
            (self.cdn, Self::CDN),
            (self.static_, Self::STATIC),
            (self.tcpo_only, Self::TCPO_ONLY),
        ] {
            if set {
                bits |= bit;
            }
        }
        bits
    }

    /// Unpacks a bit set made by [`DcFlags::to_bits`]; `None` if unknown bits are set.
    pub fn from_bits(bits: i64) -> Option<Self> {
        let known = i64::from(Self::MEDIA_ONLY | Self::CDN | Self::STATIC | Self::TCPO_ONLY);
        if bits & !known != 0 {
            return None;
        }
        let has = |bit: u8| bits & i64::from(bit) != 0;
        Some(DcFlags {
            media_only: has(Self::MEDIA_ONLY),
            cdn: has(Self::CDN),
            static_: has(Self::STATIC),
            tcpo_only: has(Self::TCPO_ONLY),
        })
    }
}

impl DcOption {
    /// The address a client should dial for ordinary (non-media, non-CDN) traffic, preferring IPv4.
    pub fn socket_addr(&self) -> Option<std::net::SocketAddr> {
        let ip: std::net::IpAddr = match (self.ipv4, self.ipv6) {
            (Some(v4), _) => v4.into(),
            (None, Some(v6)) => v6.into(),
            (None, None) => return None,
        };
        Some(std::net::SocketAddr::new(ip, self.port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_bits_round_trip_and_reject_unknown() {
        for bits in 0..16 {
            let flags = DcFlags::from_bits(bits).unwrap();
            assert_eq!(i64::from(flags.to_bits()), bits);
        }
        assert_eq!(DcFlags::from_bits(16), None);
        assert_eq!(DcFlags::from_bits(-1), None);
    }
}
