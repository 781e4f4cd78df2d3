//! `upload.*`: file parts in, documents and photos out, with the part and range rules of
//! core.telegram.org/api/files enforced.
//!
//! Uploading: parts are at most 512 KiB, numbered from 0; when the file is used (`inputFile` /
//! `inputFileBig` in `messages.sendMedia`) all `parts` parts must be there, all of one size that
//! is a multiple of 1 KiB dividing 512 KiB, except the last, which may be shorter.
//!
//! Downloading: `limit` ≤ 1 MiB; without `precise`, `offset` and `limit` are multiples of 4 KiB
//! and `limit` divides 1 MiB; with it, multiples of 1 KiB; either way the range must not cross
//! a 1 MiB boundary. Files are served only by the DC they were uploaded to (`FILE_MIGRATE_X`
//! elsewhere). Everything is kept in memory, at most [`super::MAX_STORED_BYTES`] in all; with
//! `--data FILE` the contents of sent documents and photos are also written to `FILE.files/<id>`
//! and read back from there after a restart.

use std::path::PathBuf;
use std::sync::Arc;

use tgwire_mtproto::SplitBody;
use tgwire_tl_types::{enums, functions, types, Identifiable, Serializable};

use super::images::{self, PhotoError};
use super::model::{Bytes, DocumentRec, MediaRec, PhotoRec, PhotoSizeRec};
use super::rpc::{RpcError, RpcResult};
use super::{random_i64, Cx, MAX_STORED_BYTES};

const MAX_PART_SIZE: usize = 512 * 1024;
const MAX_PARTS: i32 = 4000;
const MIB: i64 = 1024 * 1024;

fn store_part(
    cx: &mut Cx<'_>,
    file_id: i64,
    part: i32,
    big_total: Option<i32>,
    bytes: Vec<u8>,
) -> RpcResult<bool> {
    let me = cx.me()?;
    if !(0..MAX_PARTS).contains(&part) {
        return Err(RpcError::bad("FILE_PART_INVALID"));
    }
    if let Some(total) = big_total {
        if !(1..=MAX_PARTS).contains(&total) || part >= total {
            return Err(RpcError::bad("FILE_PARTS_INVALID"));
        }
    }
    if bytes.is_empty() {
        return Err(RpcError::bad("FILE_PART_EMPTY"));
    }
    if bytes.len() > MAX_PART_SIZE {
        return Err(RpcError::bad("FILE_PART_TOO_BIG"));
    }
    // Every part of a big file but the last has the file's part size, which the server can
    // check as soon as the part arrives.
    if big_total.is_some_and(|total| part + 1 < total) && !valid_part_size(bytes.len()) {
        return Err(RpcError::bad("FILE_PART_SIZE_INVALID"));
    }
    let upload = cx.rt.uploads.entry((me, file_id)).or_default();
    let replaced = upload.parts.get(&part).map_or(0, Vec::len);
    let grown = cx.rt.stored_bytes - replaced as u64 + bytes.len() as u64;
    if grown > MAX_STORED_BYTES {
        return Err(RpcError::bad("FILE_STORAGE_FULL_IN_TESTSERVER"));
    }
    cx.rt.stored_bytes = grown;
    upload.parts.insert(part, bytes);
    if big_total.is_some() {
        upload.big_total = big_total;
    }
    Ok(true)
}

pub(crate) fn save_file_part(
    cx: &mut Cx<'_>,
    req: functions::upload::SaveFilePart,
) -> RpcResult<bool> {
    store_part(cx, req.file_id, req.file_part, None, req.bytes.into_vec())
}

pub(crate) fn save_big_file_part(
    cx: &mut Cx<'_>,
    req: functions::upload::SaveBigFilePart,
) -> RpcResult<bool> {
    store_part(
        cx,
        req.file_id,
        req.file_part,
        Some(req.file_total_parts),
        req.bytes.into_vec(),
    )
}

/// A multiple of 1 KiB dividing 512 KiB: the sizes all parts but the last may have.
fn valid_part_size(size: usize) -> bool {
    size > 0 && size % 1024 == 0 && MAX_PART_SIZE % size == 0
}

/// Assembles (and consumes) the upload an `InputFile` names; returns its bytes and name.
fn take_upload(
    cx: &mut Cx<'_>,
    me: i64,
    file: &enums::InputFile,
) -> RpcResult<(Arc<Vec<u8>>, String)> {
    let (file_id, parts, name, big, md5) = match file {
        enums::InputFile::InputFile(f) => (f.id, f.parts, f.name.clone(), false, &f.md5_checksum),
        enums::InputFile::Big(f) => (
            f.id,
            f.parts,
            f.name.clone(),
            true,
            &tgwire_tl_types::TlString::new(),
        ),
        enums::InputFile::StoryDocument(_) => return Err(RpcError::bad("FILE_ID_INVALID")),
    };
    if !(1..=MAX_PARTS).contains(&parts) {
        return Err(RpcError::bad("FILE_PARTS_INVALID"));
    }
    if name.is_empty() {
        return Err(RpcError::bad("FILE_NAME_INVALID"));
    }
    let upload = cx
        .rt
        .uploads
        .get(&(me, file_id))
        .ok_or_else(|| RpcError::bad("FILE_PART_0_MISSING"))?;
    if upload.parts.keys().any(|&part| part >= parts) || (big && upload.big_total != Some(parts)) {
        return Err(RpcError::bad("FILE_PARTS_INVALID"));
    }
    if let Some(missing) = (0..parts).find(|part| !upload.parts.contains_key(part)) {
        return Err(RpcError::bad(format!("FILE_PART_{missing}_MISSING")));
    }
    let sizes: Vec<usize> = upload.parts.values().map(Vec::len).collect();
    let part_size = sizes.first().copied().unwrap_or(0);
    if sizes.len() > 1 && !valid_part_size(part_size) {
        return Err(RpcError::bad("FILE_PART_SIZE_INVALID"));
    }
    let (last, whole) = sizes.split_last().unwrap_or((&0, &[]));
    if whole.iter().any(|&size| size != part_size) || *last > part_size {
        return Err(RpcError::bad("FILE_PART_SIZE_CHANGED"));
    }
    let mut bytes = Vec::with_capacity(sizes.iter().sum());
    for part in upload.parts.values() {
        bytes.extend_from_slice(part);
    }
    if !big && !md5.is_empty() && !md5.eq_ignore_ascii_case(&hex_md5(&bytes)) {
        return Err(RpcError::bad("MD5_CHECKSUM_INVALID"));
    }
    cx.rt.uploads.remove(&(me, file_id));
    Ok((Arc::new(bytes), name.to_string()))
}

fn hex_md5(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Turns an upload into a stored document.
pub(crate) fn create_document(
    cx: &mut Cx<'_>,
    me: i64,
    file: &enums::InputFile,
    mime_type: String,
    mut attributes: Vec<enums::DocumentAttribute>,
) -> RpcResult<MediaRec> {
    let (bytes, name) = take_upload(cx, me, file)?;
    if !attributes
        .iter()
        .any(|a| matches!(a, enums::DocumentAttribute::Filename(_)))
        && !name.is_empty()
    {
        attributes.push(
            types::DocumentAttributeFilename {
                file_name: name.into(),
            }
            .into(),
        );
    }
    let id = next_media_id(cx);
    cx.state.documents.insert(
        id,
        DocumentRec {
            id,
            access_hash: random_i64(),
            file_reference: Bytes(random_i64().to_le_bytes().to_vec()),
            date: cx.now,
            mime_type: if mime_type.is_empty() {
                "application/octet-stream".into()
            } else {
                mime_type
            },
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            dc_id: cx.ctx.dc_id,
            attributes: Bytes::tl(&attributes),
        },
    );
    keep_content(cx, id, bytes);
    cx.dirty = true;
    Ok(MediaRec::Document(id))
}

/// Turns an upload into a stored photo: its sizes and stripped thumbnail when it is a JPEG or
/// PNG ([`images`]), else one nominal size holding the bytes as uploaded (tests and older
/// clients send arbitrary bytes as photos; Telegram would refuse them).
pub(crate) fn create_photo(
    cx: &mut Cx<'_>,
    me: i64,
    file: &enums::InputFile,
) -> RpcResult<MediaRec> {
    let (bytes, _) = take_upload(cx, me, file)?;
    let id = next_media_id(cx);
    let (sizes, stripped) = match images::make_photo(&bytes) {
        Ok(made) => {
            let mut sizes = Vec::with_capacity(made.sizes.len());
            for size in made.sizes {
                let content = next_media_id(cx);
                sizes.push(PhotoSizeRec {
                    kind: size.kind.into(),
                    w: size.w as i32,
                    h: size.h as i32,
                    size: size.jpeg.len() as i64,
                    content,
                });
                keep_content(cx, content, Arc::new(size.jpeg));
            }
            (sizes, Some(Bytes(made.stripped)))
        }
        Err(PhotoError::Dimensions) => return Err(RpcError::bad("PHOTO_INVALID_DIMENSIONS")),
        Err(PhotoError::NotAnImage) => {
            log::debug!("photo {id} is no JPEG or PNG: kept as uploaded, one nominal size");
            (Vec::new(), None)
        }
    };
    let as_uploaded = sizes.is_empty();
    cx.state.photos.insert(
        id,
        PhotoRec {
            id,
            access_hash: random_i64(),
            file_reference: Bytes(random_i64().to_le_bytes().to_vec()),
            date: cx.now,
            dc_id: cx.ctx.dc_id,
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            sizes,
            stripped,
        },
    );
    if as_uploaded {
        keep_content(cx, id, bytes);
    }
    cx.dirty = true;
    Ok(MediaRec::Photo(id))
}

/// Which stored contents hold size `thumb` of `photo`: the named size, or for a photo kept as
/// uploaded, the upload whatever the name.
fn photo_content(photo: &PhotoRec, thumb: &str) -> RpcResult<i64> {
    if photo.sizes.is_empty() {
        return Ok(photo.id);
    }
    photo
        .sizes
        .iter()
        .find(|size| size.kind == thumb)
        .map(|size| size.content)
        .ok_or_else(|| RpcError::bad("LOCATION_INVALID"))
}

/// A profile photo's content: `big` is its largest size, small its smallest.
fn peer_photo_content(photo: &PhotoRec, big: bool) -> i64 {
    let size = if big {
        photo.sizes.last()
    } else {
        photo.sizes.first()
    };
    size.map_or(photo.id, |size| size.content)
}

/// Where the contents of media `id` are kept on disk, when persisting.
fn content_path(cx: &Cx<'_>, id: i64) -> Option<PathBuf> {
    let mut dir = cx.data_file?.as_os_str().to_owned();
    dir.push(".files");
    Some(PathBuf::from(dir).join(id.to_string()))
}

/// Keeps the contents of media `id` (in memory, and on disk when persisting).
fn keep_content(cx: &mut Cx<'_>, id: i64, bytes: Arc<Vec<u8>>) {
    if let Some(path) = content_path(cx, id) {
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, bytes.as_slice()));
        if let Err(error) = written {
            log::error!("cannot write {}: {error}", path.display());
        }
    }
    cx.rt.contents.insert(id, bytes);
}

/// The contents of media `id`: from memory, or from disk after a restart.
pub(crate) fn content(cx: &mut Cx<'_>, id: i64) -> RpcResult<Arc<Vec<u8>>> {
    if let Some(content) = cx.rt.contents.get(&id) {
        return Ok(content.clone());
    }
    let path = content_path(cx, id).ok_or_else(|| RpcError::bad("FILE_ID_INVALID"))?;
    let bytes = std::fs::read(&path).map_err(|error| {
        log::warn!(
            "contents of file {id} are gone ({}: {error})",
            path.display()
        );
        RpcError::bad("FILE_ID_INVALID")
    })?;
    let grown = cx.rt.stored_bytes + bytes.len() as u64;
    if grown > MAX_STORED_BYTES {
        return Err(RpcError::bad("FILE_STORAGE_FULL_IN_TESTSERVER"));
    }
    cx.rt.stored_bytes = grown;
    let content = Arc::new(bytes);
    cx.rt.contents.insert(id, content.clone());
    Ok(content)
}

/// Gives every stored photo and document a new file reference (the old ones answer
/// `FILE_REFERENCE_EXPIRED`), as Telegram does when references age.
pub(crate) fn renew_file_references(cx: &mut Cx<'_>) {
    log::info!("fault: every file reference expires");
    for document in cx.state.documents.values_mut() {
        document.file_reference = Bytes(random_i64().to_le_bytes().to_vec());
    }
    for photo in cx.state.photos.values_mut() {
        photo.file_reference = Bytes(random_i64().to_le_bytes().to_vec());
    }
    cx.dirty = true;
}

fn next_media_id(cx: &mut Cx<'_>) -> i64 {
    let id = cx.state.next_media_id;
    cx.state.next_media_id += 1;
    id
}

/// Checks a download range against the rules of the module docs.
pub(crate) fn check_range(offset: i64, limit: i32, precise: bool) -> RpcResult<()> {
    let limit = i64::from(limit);
    if limit <= 0 || limit > MIB {
        return Err(RpcError::bad("LIMIT_INVALID"));
    }
    let unit = if precise { 1024 } else { 4096 };
    if limit % unit != 0 || (!precise && MIB % limit != 0) {
        return Err(RpcError::bad("LIMIT_INVALID"));
    }
    if offset < 0 || offset % unit != 0 || offset / MIB != (offset + limit - 1) / MIB {
        return Err(RpcError::bad("OFFSET_INVALID"));
    }
    Ok(())
}

/// The answer to `upload.getFile`: a range of a stored file, serialized straight from the
/// stored bytes (one copy of a part, not one into an `upload.file` and another into its
/// encoding), or any other `upload.File` (a CDN redirect).
pub(crate) enum FilePart {
    Range {
        content: Arc<Vec<u8>>,
        range: std::ops::Range<usize>,
        mtime: i32,
    },
    Other(enums::upload::File),
}

impl FilePart {
    /// The TL encoding, exactly as `upload.file` (`storage.fileUnknown`) would encode.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        match self {
            FilePart::Range { .. } => match self.split() {
                Some(body) => body.to_vec(),
                None => Vec::new(),
            },
            FilePart::Other(file) => file.to_bytes(),
        }
    }

    /// A range as `upload.file` in two pieces, the TL fields before its `bytes` content and
    /// the content where it is stored, for the session to seal without joining them. `None`
    /// for any other answer (and for a range the content does not hold, which `get_file`
    /// never builds).
    pub(crate) fn split(&self) -> Option<SplitBody> {
        let FilePart::Range {
            content,
            range,
            mtime,
        } = self
        else {
            return None;
        };
        let len = range.len();
        let mut head = Vec::with_capacity(16);
        head.extend_from_slice(&types::upload::File::CONSTRUCTOR_ID.to_le_bytes());
        enums::storage::FileType::FileUnknown.serialize(&mut head);
        head.extend_from_slice(&mtime.to_le_bytes());
        // TL bytes: the length in one byte below 254, else 254 and three bytes; the zero
        // padding to a multiple of four is SplitBody's. Ranges are at most 1 MiB (check_range).
        if len < 254 {
            head.push(len as u8);
        } else {
            head.extend_from_slice(&((len as u32) << 8 | 254).to_le_bytes());
        }
        SplitBody::new(head, Arc::clone(content), range.clone())
    }
}

pub(crate) fn get_file(cx: &mut Cx<'_>, req: functions::upload::GetFile) -> RpcResult<FilePart> {
    cx.me()?;
    check_range(req.offset, req.limit, req.precise)?;
    let (content_id, dc_id, date) = match &req.location {
        enums::InputFileLocation::InputDocumentFileLocation(loc) => {
            let doc = cx
                .state
                .documents
                .get(&loc.id)
                .filter(|d| d.access_hash == loc.access_hash)
                .ok_or_else(|| RpcError::bad("FILE_ID_INVALID"))?;
            check_reference(&loc.file_reference, &doc.file_reference)?;
            (doc.id, doc.dc_id, doc.date)
        }
        enums::InputFileLocation::InputPhotoFileLocation(loc) => {
            let photo = cx
                .state
                .photos
                .get(&loc.id)
                .filter(|p| p.access_hash == loc.access_hash)
                .ok_or_else(|| RpcError::bad("FILE_ID_INVALID"))?;
            check_reference(&loc.file_reference, &photo.file_reference)?;
            (
                photo_content(photo, &loc.thumb_size)?,
                photo.dc_id,
                photo.date,
            )
        }
        // A user's, group's or channel's current photo, by the id its object shows (the peer
        // itself was checked when the client resolved it).
        enums::InputFileLocation::InputPeerPhotoFileLocation(loc) => {
            let photo = cx
                .state
                .photos
                .get(&loc.photo_id)
                .ok_or_else(|| RpcError::bad("FILE_ID_INVALID"))?;
            (peer_photo_content(photo, loc.big), photo.dc_id, photo.date)
        }
        _ => return Err(RpcError::bad("LOCATION_INVALID")),
    };
    if dc_id != cx.ctx.dc_id {
        return Err(RpcError::migrate("FILE_MIGRATE", dc_id));
    }
    let content = content(cx, content_id)?;
    if req.cdn_supported {
        if let Some(redirect) = super::cdn::redirect(cx, content_id, &content) {
            return Ok(FilePart::Other(redirect));
        }
    }
    let len = content.len();
    let start = usize::try_from(req.offset).unwrap_or(usize::MAX).min(len);
    let end = start
        .saturating_add(usize::try_from(req.limit).unwrap_or(0))
        .min(len);
    Ok(FilePart::Range {
        content,
        range: start..end,
        mtime: date,
    })
}

/// The errors of a file reference that is missing or not the current one.
fn check_reference(given: &[u8], stored: &Bytes) -> RpcResult<()> {
    if given.is_empty() {
        return Err(RpcError::bad("FILE_REFERENCE_EMPTY"));
    }
    if given != stored.0.as_slice() {
        return Err(RpcError::bad("FILE_REFERENCE_EXPIRED"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_range;

    #[test]
    fn file_parts_encode_as_upload_file() {
        use super::FilePart;
        use std::sync::Arc;
        use tgwire_tl_types::{enums, types, Serializable};

        let content: Arc<Vec<u8>> = Arc::new((0..5000u32).map(|i| (i * 7) as u8).collect());
        for range in [
            0..0,
            0..1,
            3..256,
            10..263,
            0..254,
            1..256,
            100..4196,
            0..5000,
            1..4999,
            2..4999,
            3..4999,
        ] {
            let part = FilePart::Range {
                content: content.clone(),
                range: range.clone(),
                mtime: 1_700_000_123,
            };
            let expected = types::upload::File {
                r#type: enums::storage::FileType::FileUnknown,
                mtime: 1_700_000_123,
                bytes: content[range.clone()].to_vec().into(),
            }
            .to_bytes();
            assert_eq!(part.to_bytes(), expected, "{range:?}");
            let split = part.split().expect("a range of the content");
            assert_eq!(split.len(), expected.len());
            assert_eq!(split.to_vec(), expected, "{range:?}");
        }
    }

    #[test]
    fn only_ranges_of_the_content_split() {
        use super::FilePart;
        use std::sync::Arc;
        use tgwire_tl_types::{enums, types};

        let content = Arc::new(vec![5u8; 100]);
        let outside = FilePart::Range {
            content,
            range: 50..101,
            mtime: 0,
        };
        assert!(outside.split().is_none());
        assert!(outside.to_bytes().is_empty());
        let redirect = FilePart::Other(enums::upload::File::CdnRedirect(Box::new(
            types::upload::FileCdnRedirect {
                dc_id: 201,
                file_token: vec![1, 2, 3].into(),
                encryption_key: vec![0; 32].into(),
                encryption_iv: vec![0; 16].into(),
                file_hashes: Vec::new(),
            },
        )));
        assert!(redirect.split().is_none());
        assert!(!redirect.to_bytes().is_empty());
    }

    #[test]
    fn download_ranges_follow_the_spec() {
        assert!(check_range(0, 131_072, false).is_ok());
        assert!(check_range(1_048_576, 1_048_576, false).is_ok());
        assert!(check_range(4096, 4096, false).is_ok());
        // Not a multiple of 4 KiB, does not divide 1 MiB, too big, zero.
        assert!(check_range(0, 1000, false).is_err());
        assert!(check_range(0, 12_288, false).is_err());
        assert!(check_range(0, 2_097_152, false).is_err());
        assert!(check_range(0, 0, false).is_err());
        // Misaligned or negative offsets; a range crossing a 1 MiB boundary.
        assert!(check_range(1024, 4096, false).is_err());
        assert!(check_range(-4096, 4096, false).is_err());
        assert!(check_range(1_044_480, 8192, false).is_err());
        // `precise` relaxes alignment to 1 KiB but keeps the boundary rule.
        assert!(check_range(1024, 3072, true).is_ok());
        assert!(check_range(1_047_552, 2048, true).is_err());
    }
}
