//! MTProto message encryption: `msg_key` and the per-message AES key and IV,
//! in the current 2.0 scheme (SHA-256) and the legacy 1.0 scheme (SHA-1) that
//! survives only inside `auth.bindTempAuthKey`.
//!
//! An encrypted packet is `auth_key_id (8) ‖ msg_key (16) ‖ AES-IGE(plaintext)`.
//! The plaintext (salt, session id, message, padding) is built and checked by
//! `tgwire-mtproto`; this module only needs it to be block aligned.

use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::{aes_ige, AuthKey, Error, Side};

/// Length of the unencrypted header: auth_key_id and msg_key.
pub const HEADER_LEN: usize = 24;

/// MTProto 2.0 `msg_key`: the middle 128 bits of
/// `SHA256(auth_key[88+x .. 120+x] ‖ plaintext)`, where `plaintext` includes
/// its padding and `side` is the sender.
pub fn msg_key(auth_key: &AuthKey, side: Side, plaintext_padded: &[u8]) -> [u8; 16] {
    let x = side.x();
    let digest = Sha256::new()
        .chain_update(&auth_key.as_bytes()[88 + x..120 + x])
        .chain_update(plaintext_padded)
        .finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[8..24]);
    out
}

/// MTProto 2.0 AES-256-IGE key and IV for one message, from the sender's side.
pub fn derive_aes_key_iv(
    auth_key: &AuthKey,
    msg_key: &[u8; 16],
    side: Side,
) -> ([u8; 32], [u8; 32]) {
    let x = side.x();
    let k = auth_key.as_bytes();
    let a = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&k[x..x + 36])
        .finalize();
    let b = Sha256::new()
        .chain_update(&k[40 + x..76 + x])
        .chain_update(msg_key)
        .finalize();

    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&a[..8]);
    key[8..24].copy_from_slice(&b[8..24]);
    key[24..].copy_from_slice(&a[24..32]);

    let mut iv = [0u8; 32];
    iv[..8].copy_from_slice(&b[..8]);
    iv[8..24].copy_from_slice(&a[8..24]);
    iv[24..].copy_from_slice(&b[24..32]);
    (key, iv)
}

/// MTProto 1.0 `msg_key`: the lower 128 bits of SHA1 of the plaintext
/// *without* padding. Only for the inner message of `auth.bindTempAuthKey`.
pub fn msg_key_v1(plaintext_unpadded: &[u8]) -> [u8; 16] {
    let digest = Sha1::digest(plaintext_unpadded);
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[4..20]);
    out
}

/// MTProto 1.0 AES-256-IGE key and IV (four SHA1s over slices of the key).
/// Only for the inner message of `auth.bindTempAuthKey`.
pub fn derive_aes_key_iv_v1(
    auth_key: &AuthKey,
    msg_key: &[u8; 16],
    side: Side,
) -> ([u8; 32], [u8; 32]) {
    let x = side.x();
    let k = auth_key.as_bytes();
    let a = Sha1::new()
        .chain_update(msg_key)
        .chain_update(&k[x..x + 32])
        .finalize();
    let b = Sha1::new()
        .chain_update(&k[32 + x..48 + x])
        .chain_update(msg_key)
        .chain_update(&k[48 + x..64 + x])
        .finalize();
    let c = Sha1::new()
        .chain_update(&k[64 + x..96 + x])
        .chain_update(msg_key)
        .finalize();
    let d = Sha1::new()
        .chain_update(msg_key)
        .chain_update(&k[96 + x..128 + x])
        .finalize();

    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&a[..8]);
    key[8..20].copy_from_slice(&b[8..20]);
    key[20..].copy_from_slice(&c[4..16]);

    let mut iv = [0u8; 32];
    iv[..12].copy_from_slice(&a[8..20]);
    iv[12..20].copy_from_slice(&b[..8]);
    iv[20..24].copy_from_slice(&c[16..20]);
    iv[24..].copy_from_slice(&d[..8]);
    (key, iv)
}

/// Encrypts one MTProto 2.0 message from `side` and appends
/// `auth_key_id ‖ msg_key ‖ ciphertext` to `out`.
///
/// `plaintext_padded` must already carry its 12..1024 bytes of random padding
/// and be a multiple of 16 bytes long (the caller, `tgwire-mtproto`, owns the
/// padding policy and the randomness).
///
/// # Errors
/// [`Error::BufferNotBlockAligned`] if the plaintext is not block aligned;
/// nothing is appended then.
pub fn encrypt_message(
    auth_key: &AuthKey,
    side: Side,
    plaintext_padded: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    encrypt_message_parts(auth_key, side, &[plaintext_padded], out)
}

/// [`encrypt_message`] of the concatenation of `parts` (for instance the
/// plaintext header, the message body and the padding), which are hashed and
/// encrypted where they lie: a large body is read twice (SHA-256, then AES)
/// and written once, into `out`, never copied into a plaintext buffer first.
///
/// # Errors
/// [`Error::BufferNotBlockAligned`] if the parts' total length is not a
/// multiple of 16; nothing is appended then.
pub fn encrypt_message_parts(
    auth_key: &AuthKey,
    side: Side,
    parts: &[&[u8]],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total % 16 != 0 {
        return Err(Error::BufferNotBlockAligned { len: total });
    }
    let x = side.x();
    let mut hasher = Sha256::new();
    hasher.update(&auth_key.as_bytes()[88 + x..120 + x]);
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut msg_key = [0u8; 16];
    msg_key.copy_from_slice(&digest[8..24]);
    let (mut key, mut iv) = derive_aes_key_iv(auth_key, &msg_key, side);

    let start = out.len();
    out.reserve(HEADER_LEN + total);
    out.extend_from_slice(&auth_key.id().to_le_bytes());
    out.extend_from_slice(&msg_key);
    let result = aes_ige::encrypt_parts_append(parts, out, &key, &iv);
    key.zeroize();
    iv.zeroize();
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Decrypts one MTProto 2.0 packet sent by `sender` and appends the padded
/// plaintext to `out`.
///
/// Checks, in this order: the packet is 24 header bytes plus a non-empty
/// multiple of 16; its auth_key_id is ours; and, after decrypting, that the
/// msg_key recomputed over the whole decrypted plaintext equals the packet's,
/// compared in constant time. It does **not** check the plaintext's inner
/// length field, the padding length (12..1024), salt, session id or msg_id:
/// that is `tgwire-mtproto`'s job.
///
/// # Errors
/// [`Error::MalformedPacket`], [`Error::AuthKeyIdMismatch`] or
/// [`Error::MsgKeyMismatch`]; `out` is left as it was on every error.
pub fn decrypt_message(
    auth_key: &AuthKey,
    sender: Side,
    packet: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let (msg_key_got, body) = check_header(auth_key, packet)?;
    let (mut key, mut iv) = derive_aes_key_iv(auth_key, &msg_key_got, sender);
    let start = out.len();
    // The msg_key hash runs with the decryption (one pass over the plaintext).
    let x = sender.x();
    let mut prefix = [0u8; 32];
    prefix.copy_from_slice(&auth_key.as_bytes()[88 + x..120 + x]);
    let decrypted = aes_ige::decrypt_append_sha256(body, out, &key, &iv, &prefix);
    key.zeroize();
    iv.zeroize();
    prefix.zeroize();
    let digest = match decrypted {
        Ok(digest) => digest,
        Err(e) => {
            out.truncate(start);
            return Err(e);
        }
    };
    let mut expected = [0u8; 16];
    expected.copy_from_slice(&digest[8..24]);
    if !crate::ct_eq(&expected, &msg_key_got) {
        out[start..].zeroize();
        out.truncate(start);
        return Err(Error::MsgKeyMismatch);
    }
    Ok(())
}

/// [`encrypt_message_parts`] of several messages at once, all from `side` under one key:
/// message `m` (the concatenation of `messages[m]`) becomes a packet appended to `outs[m]`.
///
/// Each message is hashed (its msg_key) one after the other; then their AES-IGE chains run
/// side by side, up to four on one core where AES-NI is present (an IGE chain waits on the
/// latency of each AES round, so four interleaved cost little more than one). The packets
/// are the ones [`encrypt_message_parts`] would give, byte for byte.
///
/// # Errors
/// [`Error::LengthMismatch`] if `outs` does not have one entry per message, or
/// [`Error::BufferNotBlockAligned`] if a message's length is not a multiple of 16; nothing
/// is appended then.
pub fn encrypt_messages_parts(
    auth_key: &AuthKey,
    side: Side,
    messages: &[&[&[u8]]],
    outs: &mut [Vec<u8>],
) -> Result<(), Error> {
    if outs.len() != messages.len() {
        return Err(Error::LengthMismatch {
            expected: messages.len(),
            got: outs.len(),
        });
    }
    for parts in messages {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total % 16 != 0 {
            return Err(Error::BufferNotBlockAligned { len: total });
        }
    }
    let x = side.x();
    // The msg_key hashes, side by side: SHA-256(auth_key[88+x .. 120+x] ‖ message).
    let prefix = &auth_key.as_bytes()[88 + x..120 + x];
    let streams: Vec<Vec<&[u8]>> = messages
        .iter()
        .map(|parts| {
            let mut stream = Vec::with_capacity(parts.len() + 1);
            stream.push(prefix);
            stream.extend_from_slice(parts);
            stream
        })
        .collect();
    let stream_refs: Vec<&[&[u8]]> = streams.iter().map(Vec::as_slice).collect();
    let mut digests = vec![[0u8; 32]; messages.len()];
    aes_ige::sha256_many(&stream_refs, &mut digests);
    let mut keys = Vec::with_capacity(messages.len());
    let mut ivs = Vec::with_capacity(messages.len());
    let mut starts = Vec::with_capacity(messages.len());
    for ((parts, out), digest) in messages.iter().zip(outs.iter_mut()).zip(&digests) {
        let mut msg_key = [0u8; 16];
        msg_key.copy_from_slice(&digest[8..24]);
        let (key, iv) = derive_aes_key_iv(auth_key, &msg_key, side);
        keys.push(key);
        ivs.push(iv);
        let total: usize = parts.iter().map(|p| p.len()).sum();
        starts.push(out.len());
        out.reserve(HEADER_LEN + total);
        out.extend_from_slice(&auth_key.id().to_le_bytes());
        out.extend_from_slice(&msg_key);
    }
    let result = aes_ige::encrypt_parts_append_many(messages, outs, &keys, &ivs);
    keys.zeroize();
    ivs.zeroize();
    if result.is_err() {
        for (out, start) in outs.iter_mut().zip(starts) {
            out.truncate(start);
        }
    }
    result
}

/// [`decrypt_message`] of several packets at once, all sent by `sender` under one key:
/// packet `m` is checked and decrypted as [`decrypt_message`] does, its plaintext appended
/// to `outs[m]`, and its outcome is entry `m` of the result.
///
/// The packets' AES-IGE chains (each with its msg_key hash inside, as in
/// [`decrypt_message`]) run side by side, up to four on one core where AES-NI and the SHA
/// extensions are present. A refused packet leaves its `outs` entry as it was and does not
/// affect the others.
///
/// # Errors
/// [`Error::LengthMismatch`] (in the outer result) if `outs` does not have one entry per
/// packet; each packet's own errors as [`decrypt_message`] gives them.
pub fn decrypt_messages(
    auth_key: &AuthKey,
    sender: Side,
    packets: &[&[u8]],
    outs: &mut [Vec<u8>],
) -> Result<Vec<Result<(), Error>>, Error> {
    if outs.len() != packets.len() {
        return Err(Error::LengthMismatch {
            expected: packets.len(),
            got: outs.len(),
        });
    }
    let mut results: Vec<Result<(), Error>> = Vec::with_capacity(packets.len());
    // The packets that pass the header checks, with what their decryption needs.
    let mut bodies: Vec<&[u8]> = Vec::with_capacity(packets.len());
    let mut which = Vec::with_capacity(packets.len());
    let mut got_keys: Vec<[u8; 16]> = Vec::with_capacity(packets.len());
    let mut keys = Vec::with_capacity(packets.len());
    let mut ivs = Vec::with_capacity(packets.len());
    for (m, packet) in packets.iter().enumerate() {
        match check_header(auth_key, packet) {
            Ok((msg_key_got, body)) => {
                let (key, iv) = derive_aes_key_iv(auth_key, &msg_key_got, sender);
                keys.push(key);
                ivs.push(iv);
                got_keys.push(msg_key_got);
                bodies.push(body);
                which.push(m);
                results.push(Ok(()));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    // The accepted packets' outputs, moved out for the batch and back after it.
    let mut batch: Vec<Vec<u8>> = which
        .iter()
        .map(|&m| core::mem::take(&mut outs[m]))
        .collect();
    let starts: Vec<usize> = batch.iter().map(Vec::len).collect();
    let x = sender.x();
    let mut prefix = [0u8; 32];
    prefix.copy_from_slice(&auth_key.as_bytes()[88 + x..120 + x]);
    let mut digests = vec![[0u8; 32]; which.len()];
    let decrypted = aes_ige::decrypt_append_sha256_many(
        &bodies,
        &mut batch,
        &keys,
        &ivs,
        &prefix,
        &mut digests,
    );
    keys.zeroize();
    ivs.zeroize();
    prefix.zeroize();
    for (i, (mut out, m)) in batch.into_iter().zip(which).enumerate() {
        let start = starts[i];
        let verdict = match &decrypted {
            Err(e) => Err(e.clone()),
            Ok(()) => {
                let mut expected = [0u8; 16];
                expected.copy_from_slice(&digests[i][8..24]);
                if crate::ct_eq(&expected, &got_keys[i]) {
                    Ok(())
                } else {
                    Err(Error::MsgKeyMismatch)
                }
            }
        };
        if verdict.is_err() {
            out[start..].zeroize();
            out.truncate(start);
        }
        results[m] = verdict;
        outs[m] = out;
    }
    digests.zeroize();
    Ok(results)
}

/// A received packet decrypted while the rest of it arrives, with the same checks and
/// result as [`decrypt_message`].
///
/// [`Opening::begin`] needs only the packet's 24 header bytes and its length (a transport
/// frame's length prefix gives it); [`open_side_by_side`] then decrypts, for two packets
/// at once, what both have received, and [`Opening::finish`] the rest once the packet is
/// whole, checking the msg_key. The point is speed: an AES-IGE chain is bound by the
/// latency of its AES rounds, and two chains side by side cost little more than one, so a
/// receiver that starts on the next packet (arriving) while it finishes the current one
/// decrypts a stream of large packets (file parts) at about twice the rate of one chain.
///
/// Nothing decrypted is exposed before `finish` checks the msg_key; dropping an unfinished
/// opening wipes what it decrypted.
pub struct Opening {
    msg_key: [u8; 16],
    len: usize,
    key: [u8; 32],
    iv: [u8; 32],
    prefix: [u8; 32],
    out: Vec<u8>,
    base: usize,
    progress: Option<aes_ige::Resumable>,
}

impl core::fmt::Debug for Opening {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Keys and plaintext stay out of logs.
        f.debug_struct("Opening")
            .field("len", &self.len)
            .field("decrypted", &(self.out.len() - self.base))
            .finish_non_exhaustive()
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        self.key.zeroize();
        self.iv.zeroize();
        self.prefix.zeroize();
        let base = self.base.min(self.out.len());
        self.out[base..].zeroize();
    }
}

impl Opening {
    /// Begins opening a packet of `len` bytes sent by `sender`, whose first bytes `head`
    /// (at least [`HEADER_LEN`]) have arrived; the plaintext will be appended to `out`.
    ///
    /// # Errors
    /// [`Error::MalformedPacket`] if `len` is not 24 header bytes plus a non-empty multiple
    /// of 16 or `head` is shorter than the header, [`Error::AuthKeyIdMismatch`] if the
    /// packet is under another key.
    pub fn begin(
        auth_key: &AuthKey,
        sender: Side,
        head: &[u8],
        len: usize,
        mut out: Vec<u8>,
    ) -> Result<Opening, Error> {
        let body_len = len.wrapping_sub(HEADER_LEN);
        if len <= HEADER_LEN || body_len % 16 != 0 {
            return Err(Error::MalformedPacket { len });
        }
        let header = head
            .get(..HEADER_LEN)
            .ok_or(Error::MalformedPacket { len: head.len() })?;
        let msg_key = check_key_id(auth_key, header)?;
        let (key, iv) = derive_aes_key_iv(auth_key, &msg_key, sender);
        let x = sender.x();
        let mut prefix = [0u8; 32];
        prefix.copy_from_slice(&auth_key.as_bytes()[88 + x..120 + x]);
        let base = out.len();
        out.reserve(body_len);
        Ok(Opening {
            progress: Some(aes_ige::Resumable::new(&key, &iv, &prefix)),
            msg_key,
            len,
            key,
            iv,
            prefix,
            out,
            base,
        })
    }

    /// The packet's length, as given to [`Opening::begin`].
    pub fn packet_len(&self) -> usize {
        self.len
    }

    /// Whether `head` (at least the first 24 bytes of a packet) is the header of the packet
    /// this opening began on (same msg_key; the auth_key_id was checked by `begin`).
    pub fn is_for(&self, head: &[u8]) -> bool {
        head.get(8..HEADER_LEN) == Some(&self.msg_key[..])
    }

    /// How many bytes of plaintext are decrypted so far.
    pub fn decrypted(&self) -> usize {
        self.out.len() - self.base
    }

    /// Decrypts what is left of `packet` (the whole packet this opening began on), checks
    /// the msg_key over the whole plaintext and returns the output vector with the padded
    /// plaintext appended.
    ///
    /// # Errors
    /// [`Error::MalformedPacket`] if `packet` is not of the length given to `begin` or not
    /// the packet begun on, [`Error::MsgKeyMismatch`] as [`decrypt_message`] gives it. The
    /// plaintext is wiped then.
    pub fn finish(mut self, packet: &[u8]) -> Result<Vec<u8>, Error> {
        if packet.len() != self.len || !self.is_for(packet) {
            return Err(Error::MalformedPacket { len: packet.len() });
        }
        let progress = self.progress.take();
        let digest = match progress {
            Some(p) => p.finish(
                &packet[HEADER_LEN..],
                &mut self.out,
                self.base,
                &self.key,
                &self.iv,
                &self.prefix,
            )?,
            None => return Err(Error::MalformedPacket { len: packet.len() }),
        };
        let mut expected = [0u8; 16];
        expected.copy_from_slice(&digest[8..24]);
        if !crate::ct_eq(&expected, &self.msg_key) {
            // (Drop wipes the plaintext.)
            return Err(Error::MsgKeyMismatch);
        }
        let out = core::mem::take(&mut self.out);
        self.base = 0;
        Ok(out)
    }
}

/// Decrypts, for two packets being opened, what both have received (`arrived_a`,
/// `arrived_b`: each packet's bytes so far, from its first byte), side by side: about the
/// cost of decrypting one. What one has beyond the other is left for a later call or for
/// [`Opening::finish`]. Bytes that are not a prefix of the packet begun on (another
/// msg_key, or longer than it) make this do nothing, as does a CPU without AES-NI and the
/// SHA extensions.
pub fn open_side_by_side(a: &mut Opening, arrived_a: &[u8], b: &mut Opening, arrived_b: &[u8]) {
    let fits = |o: &Opening, arrived: &[u8]| arrived.len() <= o.len && o.is_for(arrived);
    if !fits(a, arrived_a) || !fits(b, arrived_b) {
        return;
    }
    let (Some(pa), Some(pb)) = (a.progress.as_mut(), b.progress.as_mut()) else {
        return;
    };
    aes_ige::Resumable::advance_pair(
        [pa, pb],
        [&arrived_a[HEADER_LEN..], &arrived_b[HEADER_LEN..]],
        [&mut a.out, &mut b.out],
        [a.base, b.base],
    );
}

/// The checks [`decrypt_message`] makes before decrypting: the length, then our
/// auth_key_id. Returns the packet's msg_key and its encrypted body.
fn check_header<'p>(auth_key: &AuthKey, packet: &'p [u8]) -> Result<([u8; 16], &'p [u8]), Error> {
    let body_len = packet.len().wrapping_sub(HEADER_LEN);
    if packet.len() <= HEADER_LEN || body_len % 16 != 0 {
        return Err(Error::MalformedPacket { len: packet.len() });
    }
    let (header, body) = packet.split_at(HEADER_LEN);
    Ok((check_key_id(auth_key, header)?, body))
}

/// Checks that a packet's header (its first [`HEADER_LEN`] bytes) names our auth_key_id;
/// returns its msg_key.
fn check_key_id(auth_key: &AuthKey, header: &[u8]) -> Result<[u8; 16], Error> {
    let mut id = [0u8; 8];
    id.copy_from_slice(&header[..8]);
    let id = i64::from_le_bytes(id);
    if id != auth_key.id() {
        return Err(Error::AuthKeyIdMismatch {
            expected: auth_key.id(),
            got: id,
        });
    }
    let mut msg_key = [0u8; 16];
    msg_key.copy_from_slice(&header[8..HEADER_LEN]);
    Ok(msg_key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Several messages sealed at once are the packets sealed one by one; several packets
    /// opened at once give what opening each gives, refusals included, each independently.
    #[test]
    fn many_messages_match_one_at_a_time() {
        let k = key();
        let other = AuthKey::from_bytes([9; 256]);
        for count in [1usize, 2, 3, 4, 5, 8] {
            let bodies: Vec<Vec<u8>> = (0..count)
                .map(|i| {
                    (0..16 * (1 + i * 37 % 100))
                        .map(|b| (b * 7 + i) as u8)
                        .collect()
                })
                .collect();
            let pieces: Vec<Vec<&[u8]>> = bodies
                .iter()
                .map(|b| vec![&b[..3], &b[3..b.len() / 2], &b[b.len() / 2..]])
                .collect();
            let messages: Vec<&[&[u8]]> = pieces.iter().map(Vec::as_slice).collect();
            for side in [Side::Client, Side::Server] {
                let mut outs = vec![vec![1u8]; count];
                encrypt_messages_parts(&k, side, &messages, &mut outs).unwrap();
                let mut packets = Vec::new();
                for (i, out) in outs.iter().enumerate() {
                    let mut one = vec![1u8];
                    encrypt_message_parts(&k, side, messages[i], &mut one).unwrap();
                    assert_eq!(*out, one, "{count} messages, #{i}");
                    packets.push(one[1..].to_vec());
                }
                // Spoil some: a flipped ciphertext byte, another key's packet, a short one.
                if count > 1 {
                    let last = packets[1].len() - 1;
                    packets[1][last] ^= 1;
                }
                if count > 2 {
                    let mut foreign = Vec::new();
                    encrypt_message(&other, side, &bodies[2], &mut foreign).unwrap();
                    packets[2] = foreign;
                }
                if count > 4 {
                    packets[4].truncate(30);
                }
                let refs: Vec<&[u8]> = packets.iter().map(Vec::as_slice).collect();
                let mut opened = vec![vec![7u8; 2]; count];
                let results = decrypt_messages(&k, side, &refs, &mut opened).unwrap();
                for i in 0..count {
                    let mut one = vec![7u8; 2];
                    let alone = decrypt_message(&k, side, refs[i], &mut one);
                    assert_eq!(results[i], alone, "{count} packets, #{i}");
                    assert_eq!(opened[i], one, "{count} packets, #{i}");
                    if alone.is_ok() {
                        assert_eq!(opened[i][2..], bodies[i][..]);
                    }
                }
                if count > 1 {
                    assert_eq!(results[1], Err(Error::MsgKeyMismatch));
                }
            }
        }
        let mut outs = vec![Vec::new()];
        assert!(encrypt_messages_parts(&k, Side::Client, &[], &mut outs).is_err());
        assert!(decrypt_messages(&k, Side::Client, &[&[0u8; 40][..]; 2], &mut outs).is_err());
    }

    fn key() -> AuthKey {
        AuthKey::from_bytes(core::array::from_fn(|i| (i * 37 + 11) as u8))
    }

    /// A packet opened piecewise, the arriving bytes of two packets decrypted side by side
    /// at many split points, gives exactly what `decrypt_message` gives, refusals included.
    #[test]
    fn openings_in_pieces_match_whole_packets() {
        let k = key();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        for round in 0..300 {
            let side = if round % 2 == 0 {
                Side::Server
            } else {
                Side::Client
            };
            // Bodies from one block to a few hundred units, of every length mod 64.
            let mut packets: Vec<Vec<u8>> = (0..3)
                .map(|i| {
                    let blocks = 1 + next(if round < 100 { 12 } else { 900 });
                    let plain: Vec<u8> = (0..16 * blocks)
                        .map(|b| (b * 3 + i + round) as u8)
                        .collect();
                    let mut packet = Vec::new();
                    encrypt_message(&k, side, &plain, &mut packet).unwrap();
                    packet
                })
                .collect();
            if round % 7 == 3 {
                let at = HEADER_LEN + next(packets[1].len() - HEADER_LEN);
                packets[1][at] ^= 0x10;
            }
            let expected: Vec<Result<Vec<u8>, Error>> = packets
                .iter()
                .map(|p| {
                    let mut out = vec![5u8];
                    decrypt_message(&k, side, p, &mut out).map(|()| out)
                })
                .collect();
            // Packet 0 and 1 arrive together (0 whole, 1 in part), then 1 and 2 likewise.
            let open =
                |p: &[u8]| Opening::begin(&k, side, &p[..HEADER_LEN], p.len(), vec![5u8]).unwrap();
            let mut first = open(&packets[0]);
            let mut second = open(&packets[1]);
            let mut third = open(&packets[2]);
            let seen0 = HEADER_LEN + next(packets[0].len() - HEADER_LEN + 1);
            open_side_by_side(
                &mut first,
                &packets[0][..seen0],
                &mut second,
                &packets[1][..HEADER_LEN],
            );
            for _ in 0..3 {
                let cut = HEADER_LEN + next(packets[1].len() - HEADER_LEN + 1);
                open_side_by_side(&mut first, &packets[0], &mut second, &packets[1][..cut]);
            }
            assert_eq!(
                first.finish(&packets[0]),
                expected[0],
                "round {round}, packet 0"
            );
            let cut = HEADER_LEN + next(packets[2].len() - HEADER_LEN + 1);
            open_side_by_side(&mut second, &packets[1], &mut third, &packets[2][..cut]);
            assert!(third.decrypted() <= cut - HEADER_LEN);
            assert_eq!(
                second.finish(&packets[1]),
                expected[1],
                "round {round}, packet 1"
            );
            assert_eq!(
                third.finish(&packets[2]),
                expected[2],
                "round {round}, packet 2"
            );
        }
    }

    /// Side by side really decrypts ahead (on CPUs with the fused path), and bad input is
    /// refused: another key, a malformed length, a finish on the wrong packet.
    #[test]
    fn openings_decrypt_ahead_and_refuse_bad_input() {
        let k = key();
        let plain = vec![0x33u8; 64 * 40];
        let mut a = Vec::new();
        let mut b = Vec::new();
        encrypt_message(&k, Side::Server, &plain, &mut a).unwrap();
        encrypt_message(&k, Side::Server, &plain[..64 * 30], &mut b).unwrap();
        let mut oa = Opening::begin(&k, Side::Server, &a, a.len(), Vec::new()).unwrap();
        let mut ob = Opening::begin(&k, Side::Server, &b[..30], b.len(), Vec::new()).unwrap();
        open_side_by_side(&mut oa, &a, &mut ob, &b[..HEADER_LEN + 64 * 20 + 5]);
        if std::arch::is_x86_feature_detected!("aes") && std::arch::is_x86_feature_detected!("sha")
        {
            assert_eq!((oa.decrypted(), ob.decrypted()), (64 * 20, 64 * 20));
        }
        // Bytes of another packet are not taken as this one's.
        open_side_by_side(&mut oa, &a, &mut ob, &a);
        assert!(ob.decrypted() <= 64 * 20);
        assert_eq!(oa.finish(&b), Err(Error::MalformedPacket { len: b.len() }));
        assert_eq!(ob.finish(&b).unwrap(), plain[..64 * 30]);
        let other = AuthKey::from_bytes([9; 256]);
        assert!(matches!(
            Opening::begin(&other, Side::Server, &a, a.len(), Vec::new()),
            Err(Error::AuthKeyIdMismatch { .. })
        ));
        for len in [24, 30, 24 + 15] {
            assert_eq!(
                Opening::begin(&k, Side::Server, &a, len, Vec::new()).unwrap_err(),
                Error::MalformedPacket { len }
            );
        }
        assert!(Opening::begin(&k, Side::Server, &a[..20], a.len(), Vec::new()).is_err());
    }

    /// Independent restatement of the 2.0 formulas with plain slicing, so a
    /// mistake in one offset of `derive_aes_key_iv` shows up.
    #[test]
    fn derivation_matches_the_spec_formulas() {
        let k = key();
        let kb = k.as_bytes();
        let plaintext: Vec<u8> = (0..64u8).collect();
        for side in [Side::Client, Side::Server] {
            let x = side.x();
            let large = Sha256::digest([&kb[88 + x..120 + x], &plaintext[..]].concat());
            let mk: [u8; 16] = large[8..24].try_into().unwrap();
            assert_eq!(msg_key(&k, side, &plaintext), mk);

            let a = Sha256::digest([&mk[..], &kb[x..x + 36]].concat());
            let b = Sha256::digest([&kb[40 + x..40 + x + 36], &mk[..]].concat());
            let key = [&a[0..8], &b[8..24], &a[24..32]].concat();
            let iv = [&b[0..8], &a[8..24], &b[24..32]].concat();
            let (dk, div) = derive_aes_key_iv(&k, &mk, side);
            assert_eq!(dk.to_vec(), key);
            assert_eq!(div.to_vec(), iv);
        }
    }

    #[test]
    fn pieces_encrypt_like_the_whole() {
        let k = key();
        let plaintext: Vec<u8> = (0..96u32).map(|i| (i * 7 + 3) as u8).collect();
        for side in [Side::Client, Side::Server] {
            let mut whole = vec![9u8];
            encrypt_message(&k, side, &plaintext, &mut whole).unwrap();
            let (a, rest) = plaintext.split_at(32);
            let (b, c) = rest.split_at(37);
            let mut pieces = vec![9u8];
            encrypt_message_parts(&k, side, &[a, b, &[], c], &mut pieces).unwrap();
            assert_eq!(pieces, whole);
            let mut back = Vec::new();
            decrypt_message(&k, side, &whole[1..], &mut back).unwrap();
            assert_eq!(back, plaintext);
        }
        let mut out = vec![1u8];
        assert!(encrypt_message_parts(&k, Side::Client, &[&[0; 20]], &mut out).is_err());
        assert_eq!(out, [1]);
    }

    #[test]
    fn v1_derivation_matches_the_spec_formulas() {
        let k = key();
        let kb = k.as_bytes();
        let mk = msg_key_v1(b"bind me");
        assert_eq!(mk[..], Sha1::digest(b"bind me")[4..20]);
        for side in [Side::Client, Side::Server] {
            let x = side.x();
            let a = Sha1::digest([&mk[..], &kb[x..x + 32]].concat());
            let b = Sha1::digest([&kb[32 + x..48 + x], &mk[..], &kb[48 + x..64 + x]].concat());
            let c = Sha1::digest([&kb[64 + x..96 + x], &mk[..]].concat());
            let d = Sha1::digest([&mk[..], &kb[96 + x..128 + x]].concat());
            let key = [&a[0..8], &b[8..20], &c[4..16]].concat();
            let iv = [&a[8..20], &b[0..8], &c[16..20], &d[0..8]].concat();
            let (dk, div) = derive_aes_key_iv_v1(&k, &mk, side);
            assert_eq!(dk.to_vec(), key);
            assert_eq!(div.to_vec(), iv);
        }
    }

    /// A real server → client packet recorded in gotd/td's test suite
    /// (`testdata/message_v2_vector.txt`): decrypting it verifies msg_key and
    /// gives the plaintext; encrypting the plaintext gives the packet back.
    #[test]
    fn v2_packet_vector() {
        let values: std::collections::HashMap<&str, Vec<u8>> =
            include_str!("../testdata/message_v2_vector.txt")
                .lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split_once(" = "))
                .map(|(k, v)| (k, hex::decode(v).unwrap()))
                .collect();
        let key = AuthKey::from_bytes(values["auth_key"].as_slice().try_into().unwrap());
        let (packet, plaintext) = (&values["packet"], &values["plaintext"]);

        let mut out = Vec::new();
        decrypt_message(&key, Side::Server, packet, &mut out).unwrap();
        assert_eq!(&out, plaintext);

        let mut again = Vec::new();
        encrypt_message(&key, Side::Server, plaintext, &mut again).unwrap();
        assert_eq!(&again, packet);

        // The same bytes are not a valid client → server packet.
        assert_eq!(
            decrypt_message(&key, Side::Client, packet, &mut Vec::new()),
            Err(Error::MsgKeyMismatch)
        );
    }

    /// Cross-implementation vector from gotd/td (`internal/crypto/keys_old_test.go`):
    /// auth_key[i] = i, msg_key[i] = i, server → client.
    #[test]
    fn v1_derivation_gotd_vector() {
        let k = AuthKey::from_bytes(core::array::from_fn(|i| i as u8));
        let mk: [u8; 16] = core::array::from_fn(|i| i as u8);
        let (key, iv) = derive_aes_key_iv_v1(&k, &mk, Side::Server);
        assert_eq!(
            hex::encode(key),
            "bb17b07eb91110647098b069bd1a9b6fe5c4bcc3c31f8e67e831d07a61085f68"
        );
        assert_eq!(
            hex::encode(iv),
            "5197fc1e25b41fe36f18b5a3a8b2b36cb2cb061f1f157b3514fe42e74fb58359"
        );
    }

    #[test]
    fn sides_use_different_keys() {
        let k = key();
        let mk = [5u8; 16];
        assert_ne!(
            derive_aes_key_iv(&k, &mk, Side::Client),
            derive_aes_key_iv(&k, &mk, Side::Server)
        );
        assert_ne!(
            msg_key(&k, Side::Client, &[0; 32]),
            msg_key(&k, Side::Server, &[0; 32])
        );
    }

    #[test]
    fn packet_layout_and_errors() {
        let k = key();
        let plain = [9u8; 48];
        let mut packet = vec![0xEE]; // existing content must be kept
        encrypt_message(&k, Side::Client, &plain, &mut packet).unwrap();
        assert_eq!(packet[0], 0xEE);
        let packet = &packet[1..];
        assert_eq!(packet.len(), 24 + 48);
        assert_eq!(packet[..8], k.id().to_le_bytes());
        assert_eq!(packet[8..24], msg_key(&k, Side::Client, &plain));

        let mut out = vec![1, 2];
        decrypt_message(&k, Side::Client, packet, &mut out).unwrap();
        assert_eq!(out[..2], [1, 2]);
        assert_eq!(out[2..], plain);

        // Wrong direction: the server-side keys do not decrypt a client packet.
        let mut out = Vec::new();
        assert_eq!(
            decrypt_message(&k, Side::Server, packet, &mut out),
            Err(Error::MsgKeyMismatch)
        );
        assert!(out.is_empty());

        let other = AuthKey::from_bytes([3; 256]);
        assert!(matches!(
            decrypt_message(&other, Side::Client, packet, &mut out),
            Err(Error::AuthKeyIdMismatch { .. })
        ));
        for bad_len in [0, 23, 24, 25, 24 + 15, 24 + 17] {
            let bytes = vec![0u8; bad_len];
            assert_eq!(
                decrypt_message(&k, Side::Client, &bytes, &mut out),
                Err(Error::MalformedPacket { len: bad_len })
            );
        }
        assert!(encrypt_message(&k, Side::Client, &[0; 17], &mut out).is_err());
        assert!(out.is_empty());
    }

    proptest! {
        #[test]
        fn round_trip(blocks in 1usize..40, seed in any::<u8>(), server in any::<bool>()) {
            let k = key();
            let side = if server { Side::Server } else { Side::Client };
            let plain: Vec<u8> = (0..blocks * 16).map(|i| (i as u8).wrapping_mul(seed | 1)).collect();
            let mut packet = Vec::new();
            encrypt_message(&k, side, &plain, &mut packet).unwrap();
            let mut out = Vec::new();
            decrypt_message(&k, side, &packet, &mut out).unwrap();
            prop_assert_eq!(out, plain);
        }

        #[test]
        fn any_tampered_byte_fails(blocks in 1usize..8, pos in any::<prop::sample::Index>(), flip in 1u8..=255) {
            let k = key();
            let plain = vec![0x42u8; blocks * 16];
            let mut packet = Vec::new();
            encrypt_message(&k, Side::Server, &plain, &mut packet).unwrap();
            let i = pos.index(packet.len());
            packet[i] ^= flip;
            let mut out = Vec::new();
            let err = decrypt_message(&k, Side::Server, &packet, &mut out).unwrap_err();
            if i < 8 {
                prop_assert!(matches!(err, Error::AuthKeyIdMismatch { .. }), "{:?}", err);
            } else {
                prop_assert_eq!(err, Error::MsgKeyMismatch);
            }
            prop_assert!(out.is_empty());
        }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let k = key();
            let mut out = Vec::new();
            let mut packet = k.id().to_le_bytes().to_vec();
            packet.extend_from_slice(&bytes);
            prop_assert!(decrypt_message(&k, Side::Client, &packet, &mut out).is_err());
            prop_assert!(decrypt_message(&k, Side::Client, &bytes, &mut out).is_err());
        }
    }
}
