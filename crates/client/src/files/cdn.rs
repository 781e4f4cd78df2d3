//! Downloads from CDN DCs (core.telegram.org/cdn).
//!
//! Downloads ask `upload.getFile` with `cdn_supported`; the file's DC may answer
//! `upload.fileCdnRedirect` (a CDN DC, a file token, an AES-256-CTR key and IV, the first
//! SHA-256 hashes). From then on every request of that download goes to the CDN DC as
//! `upload.getCdnFile`: a CDN DC is "enemy territory", so
//!
//! - its connections use the RSA keys `help.getCdnConfig` publishes and its address from
//!   `help.getConfig` (the `cdn` options), and carry no authorization (CDN DCs know no
//!   account; no temporary key either, there is nothing to bind it to);
//! - each answer is decrypted with the redirect's key and IV, the IV's last four bytes set to
//!   `offset / 16` big-endian;
//! - every 128 KiB part is checked against its SHA-256 from the file's own DC (more hashes are
//!   fetched with `upload.getCdnFileHashes` as the download goes) before any byte of it is
//!   handed out: a mismatch is [`FileError::CdnHashMismatch`];
//! - `upload.cdnFileReuploadNeeded` is answered by `upload.reuploadCdnFile` on the file's DC,
//!   and the part asked again; `FILE_TOKEN_INVALID` sends the rest of the download back to
//!   the file's DC, as the spec says.
//!
//! ```text
//!  getFile(cdn_supported) ─▶ fileCdnRedirect ─▶ CdnSlot (per download)
//!  getCdnFile(token, 128 KiB-aligned range) ─▶ CDN DC ─▶ AES-256-CTR ─▶ SHA-256 per part ─▶ out
//!        └ cdnFileReuploadNeeded ─▶ reuploadCdnFile (file's DC) ─▶ ask again
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tgwire_crypto::rsa::RsaPublicKey;
use tgwire_crypto::AesCtr;
use tgwire_net::{InvokeError, InvokeOptions, Pool, PoolConfig, SenderHandle};
use tgwire_tl_types::{enums, functions, types, Deserializable, Serializable};

use super::transfer::Lanes;
use super::{FileError, DEFAULT_PARALLELISM};
use crate::{Client, InvocationError};

/// Bytes one CDN file hash covers.
const HASH_PART: u64 = 128 * 1024;
/// How often one request lets the CDN ask for a re-upload before giving up.
const MAX_REUPLOADS: u32 = 3;
/// How often one request is resent after a lost CDN connection.
const MAX_ATTEMPTS: u32 = 4;
/// A CDN connection with no call in flight for this long is closed.
const IDLE: Duration = Duration::from_secs(5 * 60);

/// The client's connections to CDN DCs: one pool, made on the first redirect.
#[derive(Default)]
pub(crate) struct CdnState {
    pool: tokio::sync::Mutex<Option<CdnPool>>,
}

struct CdnPool {
    pool: Pool,
    dcs: HashSet<i16>,
}

impl CdnState {
    /// Closes every CDN connection.
    pub(crate) async fn shutdown(&self) {
        if let Some(cdn) = self.pool.lock().await.take() {
            cdn.pool.shutdown().await;
        }
    }

    /// Connection `index` to CDN DC `dc_id`; the CDN keys and addresses are fetched first if
    /// the DC is not known yet.
    async fn connection(
        &self,
        client: &Client,
        dc_id: i32,
        index: usize,
    ) -> Result<SenderHandle, FileError> {
        let dc = i16::try_from(dc_id)
            .map_err(|_| FileError::Cdn(format!("the redirect names DC {dc_id}")))?;
        let pool = {
            let mut current = self.pool.lock().await;
            if !current.as_ref().is_some_and(|cdn| cdn.dcs.contains(&dc)) {
                if let Some(old) = current.take() {
                    old.pool.shutdown().await;
                }
                let fresh = self.connect(client).await?;
                if !fresh.dcs.contains(&dc) {
                    *current = Some(fresh);
                    return Err(FileError::Cdn(format!(
                        "the server names no address or key for CDN DC {dc_id}"
                    )));
                }
                *current = Some(fresh);
            }
            match current.as_ref() {
                Some(cdn) => cdn.pool.clone(),
                None => return Err(FileError::Cdn("no CDN connections".into())),
            }
        };
        Ok(pool
            .get_nth(dc, index % DEFAULT_PARALLELISM)
            .await
            .map_err(InvocationError::from)?)
    }

    /// A pool for the CDN DCs the home DC names, with their published keys.
    async fn connect(&self, client: &Client) -> Result<CdnPool, FileError> {
        let enums::CdnConfig::CdnConfig(cdn) =
            client.invoke(&functions::help::GetCdnConfig).await?;
        let mut keys = Vec::new();
        let mut keyed = HashSet::new();
        for enums::CdnPublicKey::CdnPublicKey(key) in &cdn.public_keys {
            match RsaPublicKey::from_pkcs1_pem(&key.public_key) {
                Ok(public) => {
                    keys.push(public);
                    keyed.insert(key.dc_id);
                }
                Err(error) => log::warn!("CDN DC {}'s key is unusable: {error}", key.dc_id),
            }
        }
        let enums::Config::Config(config) = client.invoke(&functions::help::GetConfig).await?;
        let mut dc_addrs = HashMap::new();
        for enums::DcOption::DcOption(option) in &config.dc_options {
            if !option.cdn || option.ipv6 || !keyed.contains(&option.id) {
                continue;
            }
            let (Ok(id), Ok(ip), Ok(port)) = (
                i16::try_from(option.id),
                option.ip_address.parse::<IpAddr>(),
                u16::try_from(option.port),
            ) else {
                continue;
            };
            dc_addrs.entry(id).or_insert(SocketAddr::new(ip, port));
        }
        log::info!("CDN DCs: {dc_addrs:?}");
        // Configured like the home connections (transport, proxy, `initConnection`), with the
        // CDN's keys and without PFS.
        let mut template = client.inner.pool.template();
        template.pfs = None;
        template.auth_key = None;
        template.rsa_keys = keys;
        let dcs = dc_addrs.keys().copied().collect();
        let config = PoolConfig {
            template: template.into(),
            dc_addrs,
            auth_keys: HashMap::new(),
            idle_timeout: IDLE,
        };
        // CDN keys are not kept in the session: a new one is cheap and the CDN forgets them.
        let pool = Pool::with_events(config, |_| {});
        Ok(CdnPool { pool, dcs })
    }
}

/// One download's CDN file, once the file's DC redirected it.
#[derive(Default)]
pub(crate) struct CdnSlot(OnceLock<CdnFile>);

impl CdnSlot {
    /// Whether `upload.getFile` may be answered with a redirect (not after the CDN refused
    /// the file's token).
    pub(crate) fn supported(&self) -> bool {
        self.0.get().is_none_or(|file| !file.abandoned())
    }

    /// Takes the redirect (the first one: the others of parallel requests name the same file).
    pub(crate) fn redirected(
        &self,
        redirect: types::upload::FileCdnRedirect,
    ) -> Result<(), FileError> {
        if self.0.get().is_none() {
            let _ = self.0.set(CdnFile::new(redirect)?);
        }
        Ok(())
    }

    /// Bytes `offset..offset + limit` from the CDN (fewer at the file's end), checked; `None`
    /// while the download is not (or no longer) on a CDN.
    pub(crate) async fn fetch(
        &self,
        client: &Client,
        lanes: &Lanes,
        index: usize,
        offset: u64,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, FileError> {
        match self.0.get() {
            Some(file) if !file.abandoned() => {
                file.fetch(client, lanes, index, offset, limit).await
            }
            _ => Ok(None),
        }
    }
}

/// A file on a CDN DC: its token, key and IV, and the part hashes known so far.
struct CdnFile {
    dc_id: i32,
    token: Vec<u8>,
    key: [u8; 32],
    iv: [u8; 16],
    /// Part offset → (length, SHA-256) of the plain part.
    hashes: Mutex<BTreeMap<u64, (u64, [u8; 32])>>,
    /// The CDN refused the token: the rest of the download goes to the file's DC.
    abandoned: AtomicBool,
}

impl CdnFile {
    fn new(redirect: types::upload::FileCdnRedirect) -> Result<Self, FileError> {
        let key = <[u8; 32]>::try_from(redirect.encryption_key.as_slice())
            .map_err(|_| FileError::Cdn("the redirect's key is not 32 bytes".into()))?;
        let iv = <[u8; 16]>::try_from(redirect.encryption_iv.as_slice())
            .map_err(|_| FileError::Cdn("the redirect's IV is not 16 bytes".into()))?;
        log::info!("download redirected to CDN DC {}", redirect.dc_id);
        let file = CdnFile {
            dc_id: redirect.dc_id,
            token: redirect.file_token.into_vec(),
            key,
            iv,
            hashes: Mutex::default(),
            abandoned: AtomicBool::new(false),
        };
        file.add_hashes(redirect.file_hashes);
        Ok(file)
    }

    fn abandoned(&self) -> bool {
        self.abandoned.load(Ordering::Relaxed)
    }

    fn add_hashes(&self, hashes: Vec<enums::FileHash>) {
        let mut known = self.hashes.lock().unwrap_or_else(|e| e.into_inner());
        for enums::FileHash::FileHash(hash) in hashes {
            if let (Ok(offset), Ok(len), Ok(sha)) = (
                u64::try_from(hash.offset),
                u64::try_from(hash.limit),
                <[u8; 32]>::try_from(hash.hash.as_slice()),
            ) {
                known.insert(offset, (len, sha));
            }
        }
    }

    fn hash_at(&self, offset: u64) -> Option<(u64, [u8; 32])> {
        let known = self.hashes.lock().unwrap_or_else(|e| e.into_inner());
        known.get(&offset).copied()
    }

    /// The hash of the part at `offset`, asking the file's DC for more when unknown.
    async fn hash(
        &self,
        lanes: &Lanes,
        index: usize,
        offset: u64,
    ) -> Result<(u64, [u8; 32]), FileError> {
        if let Some(hash) = self.hash_at(offset) {
            return Ok(hash);
        }
        let body = functions::upload::GetCdnFileHashes {
            file_token: self.token.clone().into(),
            offset: offset as i64,
        }
        .to_bytes();
        let answer = lanes.call(index, &body).await?;
        self.add_hashes(
            Vec::<enums::FileHash>::from_bytes(&answer).map_err(InvocationError::from)?,
        );
        self.hash_at(offset)
            .ok_or_else(|| FileError::Cdn(format!("no hash for the part at offset {offset}")))
    }

    async fn fetch(
        &self,
        client: &Client,
        lanes: &Lanes,
        index: usize,
        offset: u64,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, FileError> {
        // Whole hashed parts: download requests are aligned to their size, a divisor of 1 MiB,
        // so the rounded range still divides 1 MiB and stays inside one 1 MiB block.
        let start = offset - offset % HASH_PART;
        let end = (offset + limit as u64).div_ceil(HASH_PART) * HASH_PART;
        let asked = (end - start) as usize;
        let mut reuploads = 0;
        let mut bytes = loop {
            let body = functions::upload::GetCdnFile {
                file_token: self.token.clone().into(),
                offset: start as i64,
                limit: asked as i32,
            }
            .to_bytes();
            let answer = match self.call(client, index, body).await {
                Err(FileError::Invocation(InvocationError::Rpc(error)))
                    if error.is("FILE_TOKEN_INVALID") =>
                {
                    log::info!("the CDN refused the file token: downloading from the file's DC");
                    self.abandoned.store(true, Ordering::Relaxed);
                    return Ok(None);
                }
                answer => answer?,
            };
            match enums::upload::CdnFile::from_bytes(&answer).map_err(InvocationError::from)? {
                enums::upload::CdnFile::CdnFile(file) => break file.bytes.into_vec(),
                enums::upload::CdnFile::ReuploadNeeded(_) if reuploads == MAX_REUPLOADS => {
                    return Err(FileError::Cdn(
                        "the CDN keeps asking for the file to be uploaded again".into(),
                    ))
                }
                enums::upload::CdnFile::ReuploadNeeded(needed) => {
                    reuploads += 1;
                    log::info!("the CDN lost the file: asking the file's DC to upload it again");
                    let body = functions::upload::ReuploadCdnFile {
                        file_token: self.token.clone().into(),
                        request_token: needed.request_token,
                    }
                    .to_bytes();
                    let answer = lanes.call(index, &body).await?;
                    self.add_hashes(
                        Vec::<enums::FileHash>::from_bytes(&answer)
                            .map_err(InvocationError::from)?,
                    );
                }
            }
        };
        if bytes.len() > asked {
            return Err(FileError::Cdn(format!(
                "the CDN answered {} bytes for {asked}",
                bytes.len()
            )));
        }
        decrypt(&self.key, &self.iv, start, &mut bytes);
        for (i, part) in bytes.chunks(HASH_PART as usize).enumerate() {
            let at = start + i as u64 * HASH_PART;
            let (len, sha) = self.hash(lanes, index, at).await?;
            if len != part.len() as u64 || Sha256::digest(part).as_slice() != sha {
                log::warn!("the CDN's part at offset {at} fails its SHA-256 check");
                return Err(FileError::CdnHashMismatch { offset: at });
            }
        }
        let skip = ((offset - start) as usize).min(bytes.len());
        bytes.drain(..skip);
        bytes.truncate(limit);
        Ok(Some(bytes))
    }

    /// One request to the CDN DC, resent after a lost connection.
    async fn call(
        &self,
        client: &Client,
        index: usize,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, FileError> {
        let mut attempts = 0;
        loop {
            let handle = client
                .inner
                .extras()
                .cdn
                .connection(client, self.dc_id, index)
                .await?;
            let options = InvokeOptions {
                timeout: client.inner.request_timeout(),
                // Encrypted file bytes do not compress.
                no_gzip: true,
                ..InvokeOptions::default()
            };
            match handle.invoke_raw_with(body.clone(), options).await {
                Ok(answer) => return Ok(answer),
                Err(
                    error @ (InvokeError::Shutdown(_)
                    | InvokeError::Disconnected
                    | InvokeError::Timeout(_)
                    | InvokeError::Dropped(_)),
                ) if attempts + 1 < MAX_ATTEMPTS => {
                    attempts += 1;
                    log::info!("CDN request failed ({error}); resending");
                }
                Err(error) => return Err(InvocationError::from(error).into()),
            }
        }
    }
}

/// AES-256-CTR of the file range starting at `offset` (a multiple of 16), in place.
fn decrypt(key: &[u8; 32], iv: &[u8; 16], offset: u64, data: &mut [u8]) {
    let mut iv = *iv;
    // A u32 block counter: files up to 64 GiB.
    iv[12..].copy_from_slice(&((offset / 16) as u32).to_be_bytes());
    AesCtr::new(key, &iv).apply(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_range_has_its_own_counter_start() {
        let (key, iv) = ([3u8; 32], [4u8; 16]);
        let plain: Vec<u8> = (0..2 * HASH_PART as usize)
            .map(|i| (i % 251) as u8)
            .collect();
        let mut whole = plain.clone();
        decrypt(&key, &iv, 0, &mut whole);
        let mut second = whole[HASH_PART as usize..].to_vec();
        decrypt(&key, &iv, HASH_PART, &mut second);
        assert_eq!(second, plain[HASH_PART as usize..]);
    }
}
