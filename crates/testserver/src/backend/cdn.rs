//! The CDN DC (core.telegram.org/cdn): `upload.getFile` with `cdn_supported` of a file at
//! least [`CdnConfig::min_size`] bytes answers `upload.fileCdnRedirect`; the CDN DC serves the
//! file's ranges encrypted with AES-256-CTR (`upload.getCdnFile`), and the master DC gives the
//! SHA-256 of every 128 KiB part of the plain file (`upload.getCdnFileHashes`) and puts a file
//! the CDN lost back (`upload.reuploadCdnFile`).
//!
//! The CDN DC takes requests without authorization and answers every method but
//! `upload.getCdnFile` with `CDN_METHOD_INVALID`. It shares the backend's file contents (the
//! "upload" to the CDN is a flag). Faults ([`crate::Faults::cdn_reupload_needed`],
//! [`crate::Faults::cdn_corrupt_at`]) make it lose a file or tamper with one answer.
//!
//! Encryption: the key and IV of the redirect, with the IV's last four bytes replaced by
//! `offset / 16` big-endian for a range starting at `offset` (so the whole file is one CTR
//! keystream and any 16-byte-aligned range can be decrypted on its own).

use sha2::{Digest, Sha256};
use tgwire_crypto::AesCtr;
use tgwire_tl_types::{enums, functions, types};

use super::files::{check_range, content};
use super::rpc::{RpcError, RpcResult};
use super::Cx;
use super::DcAddr;

/// Bytes one file hash covers.
pub(crate) const HASH_PART: usize = 128 * 1024;
/// Hashes one answer carries (1 MiB of the file).
const HASHES_PER_ANSWER: usize = 8;

/// The CDN DC of a test server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CdnConfig {
    /// Its id (Telegram's CDN DCs are numbered from 201) and address.
    pub dc: DcAddr,
    /// Its RSA public key (PKCS#1 PEM), published by `help.getCdnConfig`.
    pub public_key_pem: String,
    /// Files at least this big are redirected to it.
    pub min_size: u64,
}

/// What the CDN DC did so far ([`crate::Backend::cdn_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CdnStats {
    /// `upload.fileCdnRedirect` answers of the master DCs.
    pub redirects: u64,
    /// `upload.cdnFile` answers of the CDN DC.
    pub parts_served: u64,
    /// `upload.cdnFileReuploadNeeded` answers of the CDN DC.
    pub reupload_requests: u64,
    /// Accepted `upload.reuploadCdnFile` calls.
    pub reuploads: u64,
    /// `help.getCdnConfig` calls (a client that keeps the CDN keys asks once).
    pub config_requests: u64,
}

/// A file handed to the CDN: its token's secrets.
#[derive(Debug, Clone)]
pub(crate) struct CdnFileRec {
    pub(crate) media_id: i64,
    key: [u8; 32],
    iv: [u8; 16],
    /// While the CDN has lost the file: the request token `upload.reuploadCdnFile` needs.
    lost: Option<Vec<u8>>,
}

/// Whether the call reached the CDN DC.
pub(crate) fn on_cdn(cx: &Cx<'_>) -> bool {
    cx.cdn.is_some_and(|cdn| cdn.dc.id == cx.ctx.dc_id)
}

/// `upload.fileCdnRedirect` for media `media_id`, when a CDN runs and the file is big enough.
pub(crate) fn redirect(
    cx: &mut Cx<'_>,
    media_id: i64,
    content: &[u8],
) -> Option<enums::upload::File> {
    let cdn = cx.cdn?;
    if (content.len() as u64) < cdn.min_size {
        return None;
    }
    let token = match cx.rt.cdn_tokens.get(&media_id) {
        Some(token) => token.clone(),
        None => {
            let token: [u8; 16] = rand::random();
            let token = token.to_vec();
            cx.rt.cdn_files.insert(
                token.clone(),
                CdnFileRec {
                    media_id,
                    key: rand::random(),
                    iv: rand::random(),
                    lost: None,
                },
            );
            cx.rt.cdn_tokens.insert(media_id, token.clone());
            token
        }
    };
    let rec = cx.rt.cdn_files.get(&token)?;
    cx.rt.cdn_stats.redirects += 1;
    Some(
        types::upload::FileCdnRedirect {
            dc_id: cdn.dc.id,
            file_token: token.into(),
            encryption_key: rec.key.to_vec().into(),
            encryption_iv: rec.iv.to_vec().into(),
            file_hashes: hashes(content, 0),
        }
        .into(),
    )
}

/// The hashes of up to [`HASHES_PER_ANSWER`] parts from the one holding `offset`.
fn hashes(content: &[u8], offset: u64) -> Vec<enums::FileHash> {
    let first = usize::try_from(offset).unwrap_or(usize::MAX) / HASH_PART;
    content
        .chunks(HASH_PART)
        .enumerate()
        .skip(first)
        .take(HASHES_PER_ANSWER)
        .map(|(index, part)| {
            types::FileHash {
                offset: (index * HASH_PART) as i64,
                limit: part.len() as i32,
                hash: Sha256::digest(part).to_vec().into(),
            }
            .into()
        })
        .collect()
}

/// The CDN file `token` names, with its contents.
fn cdn_file(cx: &mut Cx<'_>, token: &[u8]) -> RpcResult<(CdnFileRec, std::sync::Arc<Vec<u8>>)> {
    let rec = cx
        .rt
        .cdn_files
        .get(token)
        .cloned()
        .ok_or_else(|| RpcError::bad("FILE_TOKEN_INVALID"))?;
    let bytes = content(cx, rec.media_id)?;
    Ok((rec, bytes))
}

/// `upload.getCdnFile`, on the CDN DC only.
pub(crate) fn get_cdn_file(
    cx: &mut Cx<'_>,
    req: functions::upload::GetCdnFile,
) -> RpcResult<enums::upload::CdnFile> {
    if !on_cdn(cx) {
        return Err(RpcError::bad("CDN_METHOD_INVALID"));
    }
    check_range(req.offset, req.limit, false)?;
    let (rec, bytes) = cdn_file(cx, &req.file_token)?;
    if rec.lost.is_none() && cx.faults.take_cdn_reupload() {
        log::info!("fault: the CDN lost file {}", rec.media_id);
        let request_token: [u8; 16] = rand::random();
        if let Some(stored) = cx.rt.cdn_files.get_mut(&*req.file_token) {
            stored.lost = Some(request_token.to_vec());
        }
        cx.rt.cdn_stats.reupload_requests += 1;
        return Ok(types::upload::CdnFileReuploadNeeded {
            request_token: request_token.to_vec().into(),
        }
        .into());
    }
    if let Some(request_token) = rec.lost {
        cx.rt.cdn_stats.reupload_requests += 1;
        return Ok(types::upload::CdnFileReuploadNeeded {
            request_token: request_token.into(),
        }
        .into());
    }
    let start = usize::try_from(req.offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let end = start
        .saturating_add(usize::try_from(req.limit).unwrap_or(0))
        .min(bytes.len());
    let mut part = bytes[start..end].to_vec();
    encrypt(&rec.key, &rec.iv, start as u64, &mut part);
    if let Some(at) = cx.faults.take_cdn_corruption(start as u64, end as u64) {
        log::info!("fault: the CDN corrupts byte {at} of file {}", rec.media_id);
        if let Some(byte) = part.get_mut((at - start as u64) as usize) {
            *byte ^= 0x5a;
        }
    }
    cx.rt.cdn_stats.parts_served += 1;
    Ok(types::upload::CdnFile { bytes: part.into() }.into())
}

/// AES-256-CTR of the file range starting at `offset` (a multiple of 16) in place.
pub(crate) fn encrypt(key: &[u8; 32], iv: &[u8; 16], offset: u64, data: &mut [u8]) {
    let mut iv = *iv;
    iv[12..].copy_from_slice(&((offset / 16) as u32).to_be_bytes());
    AesCtr::new(key, &iv).apply(data);
}

/// `upload.getCdnFileHashes`, on the master DC.
pub(crate) fn get_cdn_file_hashes(
    cx: &mut Cx<'_>,
    req: functions::upload::GetCdnFileHashes,
) -> RpcResult<Vec<enums::FileHash>> {
    if on_cdn(cx) {
        return Err(RpcError::bad("CDN_METHOD_INVALID"));
    }
    cx.me()?;
    if req.offset < 0 {
        return Err(RpcError::bad("OFFSET_INVALID"));
    }
    let (_, bytes) = cdn_file(cx, &req.file_token)?;
    Ok(hashes(&bytes, req.offset as u64))
}

/// `upload.reuploadCdnFile`, on the master DC: the CDN gets the file back.
pub(crate) fn reupload_cdn_file(
    cx: &mut Cx<'_>,
    req: functions::upload::ReuploadCdnFile,
) -> RpcResult<Vec<enums::FileHash>> {
    if on_cdn(cx) {
        return Err(RpcError::bad("CDN_METHOD_INVALID"));
    }
    cx.me()?;
    let (rec, bytes) = cdn_file(cx, &req.file_token)?;
    match &rec.lost {
        Some(token) if *token == req.request_token => {
            log::info!("file {} uploaded to the CDN again", rec.media_id);
            if let Some(stored) = cx.rt.cdn_files.get_mut(&*req.file_token) {
                stored.lost = None;
            }
            cx.rt.cdn_stats.reuploads += 1;
        }
        // Nothing to do: the CDN has it (a second client asked too).
        None => {}
        Some(_) => return Err(RpcError::bad("FILE_TOKEN_INVALID")),
    }
    Ok(hashes(&bytes, 0))
}

/// `help.getCdnConfig`: the CDN DC's public key, if one runs.
pub(crate) fn get_cdn_config(
    cx: &mut Cx<'_>,
    _: functions::help::GetCdnConfig,
) -> RpcResult<enums::CdnConfig> {
    cx.rt.cdn_stats.config_requests += 1;
    Ok(types::CdnConfig {
        public_keys: cx
            .cdn
            .map(|cdn| {
                types::CdnPublicKey {
                    dc_id: cdn.dc.id,
                    public_key: cdn.public_key_pem.clone().into(),
                }
                .into()
            })
            .into_iter()
            .collect(),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_decrypt_on_their_own_with_the_offset_in_the_iv() {
        let key = [7u8; 32];
        let iv = [9u8; 16];
        let plain: Vec<u8> = (0..3 * 4096u32).map(|i| (i * 7) as u8).collect();
        let mut whole = plain.clone();
        encrypt(&key, &iv, 0, &mut whole);
        // The second 4 KiB encrypted alone equals that slice of the whole.
        let mut middle = plain[4096..8192].to_vec();
        encrypt(&key, &iv, 4096, &mut middle);
        assert_eq!(middle, whole[4096..8192]);
        encrypt(&key, &iv, 4096, &mut middle);
        assert_eq!(middle, plain[4096..8192]);
    }

    #[test]
    fn hashes_cover_128_kib_parts_from_the_asked_offset() {
        let content = vec![1u8; 10 * HASH_PART + 5];
        let first = hashes(&content, 0);
        assert_eq!(first.len(), HASHES_PER_ANSWER);
        let last = hashes(&content, 9 * HASH_PART as u64 + 17);
        assert_eq!(last.len(), 2);
        let enums::FileHash::FileHash(tail) = &last[1];
        assert_eq!((tail.offset, tail.limit), (10 * HASH_PART as i64, 5));
        assert!(hashes(&content, 11 * HASH_PART as u64).is_empty());
    }
}
