//! Bot API file ids: `file_id` (enough to send or download a file again) and
//! `file_unique_id` (the same for a file whoever sees it, useless for downloading).
//!
//! Layout (the one TDLib mints and the Bot API hands out): the bytes below, with every run of
//! zero bytes written as `0x00, run length` (runs of at most 255), in URL-safe base64 without
//! padding.
//!
//! ```text
//! file_id:  i32 type | flags   flags: 1 << 24 web location, 1 << 25 file reference
//!           i32 dc_id
//!           web:    string url, i64 access_hash
//!           others: [bytes file_reference] i64 id, i64 access_hash
//!                   photo-like types: [i64 volume_id]  (sub-version < 32)
//!                                     [i32 source]     (version ≥ 4; older ids are "legacy")
//!                                     source fields
//!                                     [i32 local_id]   (sub-version < 32)
//!           u8 sub-version, u8 version   (version 4; ids of versions 2 and 3 end in the version
//!                                         alone, and carry neither file reference nor source)
//! unique:   i32 kind (0 web, 1 photo, 2 document, 3 secure, 4 encrypted, 5 temp)
//!           web: string url
//!           photo-like: i64 id + one byte for the size (sizes, profile photos), or
//!                       u8 2 + i64 set id + i32 version (sticker set thumbnails), or
//!                       i64 volume_id + i32 local_id (legacy locations)
//!           the others: i64 id
//! ```
//!
//! File types 0-27 are TDLib's (stories, disappearing media and live photos from 18 on); the
//! photo-like ones are TDLib's photo class. Unique ids are checked against the Bot API's own
//! (`tests/files_file_id.rs` reads `file_id`/`file_unique_id` pairs it handed out from
//! `testdata/bot_api_file_ids.txt`).
//!
//! Integers are little-endian; `string`/`bytes` are TL's. Telethon's `pack_bot_file_id` writes
//! the old version-2 form (no file reference): [`FileId::pack_old`] writes it and
//! [`FileId::unpack`] reads both.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tgwire_tl_types::{enums, types, Reader, Serializable};

use super::download::FileLocation;
use super::send::InputMedia;
use crate::Message;

const WEB_LOCATION_FLAG: i32 = 1 << 24;
const FILE_REFERENCE_FLAG: i32 = 1 << 25;
/// The version file ids are written in.
const VERSION: u8 = 4;
/// The sub-version new file ids are written in (TDLib's current one: photos without volume
/// and local id).
const SUB_VERSION: u8 = 54;
/// From this sub-version on, photo file ids carry neither `volume_id` nor `local_id`.
const NO_VOLUME_SUB_VERSION: u8 = 32;
/// Telethon's `pack_bot_file_id` version byte.
const OLD_VERSION: u8 = 2;

/// Why a string is not a file id (or a file id cannot become what was asked).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileIdError {
    /// Not URL-safe base64.
    #[error("not base64: {0}")]
    Base64(String),
    /// The bytes end before the layout does, or go on after it.
    #[error("malformed file id: {0}")]
    Malformed(&'static str),
    /// A file type this library does not know.
    #[error("unknown file type {0}")]
    UnknownType(i32),
    /// A photo source this library does not know.
    #[error("unknown photo source {0}")]
    UnknownSource(i32),
    /// A version this library does not read.
    #[error("unsupported file id version {0}")]
    Version(u8),
    /// The file id cannot be used for this (a thumbnail sent as media, a web file as a
    /// document, …).
    #[error("this file id cannot be used here: {0}")]
    Unusable(&'static str),
}

/// What a file is, as the Bot API types it (TDLib's file types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(i32)]
pub enum FileType {
    /// A thumbnail of a photo, document or sticker set.
    Thumbnail = 0,
    /// A user's or chat's profile photo.
    ProfilePhoto = 1,
    /// A photo.
    Photo = 2,
    /// A voice note.
    Voice = 3,
    /// A video.
    Video = 4,
    /// A general document.
    Document = 5,
    /// A secret chat's file.
    Encrypted = 6,
    /// A temporary file.
    Temp = 7,
    /// A sticker.
    Sticker = 8,
    /// Music.
    Audio = 9,
    /// A GIF or silent video.
    Animation = 10,
    /// A secret chat's thumbnail.
    EncryptedThumbnail = 11,
    /// A wallpaper.
    Wallpaper = 12,
    /// A round video message.
    VideoNote = 13,
    /// A Telegram Passport file, decrypted.
    SecureRaw = 14,
    /// A Telegram Passport file.
    Secure = 15,
    /// A chat background.
    Background = 16,
    /// A document sent as a file.
    DocumentAsFile = 17,
    /// A notification sound.
    Ringtone = 18,
    /// A call's debug log.
    CallLog = 19,
    /// A story's photo.
    PhotoStory = 20,
    /// A story's video.
    VideoStory = 21,
    /// A photo that disappears after it is seen.
    SelfDestructingPhoto = 22,
    /// A video that disappears after it is seen.
    SelfDestructingVideo = 23,
    /// A round video message that disappears after it is seen.
    SelfDestructingVideoNote = 24,
    /// A voice note that disappears after it is heard.
    SelfDestructingVoiceNote = 25,
    /// The video of a live photo.
    LivePhoto = 26,
    /// The video of a live photo that disappears after it is seen.
    SelfDestructingLivePhoto = 27,
}

/// Every [`FileType`], in the order of their numbers (TDLib's `FileType` up to `Size`).
const FILE_TYPES: [FileType; 28] = {
    use FileType::*;
    [
        Thumbnail,
        ProfilePhoto,
        Photo,
        Voice,
        Video,
        Document,
        Encrypted,
        Temp,
        Sticker,
        Audio,
        Animation,
        EncryptedThumbnail,
        Wallpaper,
        VideoNote,
        SecureRaw,
        Secure,
        Background,
        DocumentAsFile,
        Ringtone,
        CallLog,
        PhotoStory,
        VideoStory,
        SelfDestructingPhoto,
        SelfDestructingVideo,
        SelfDestructingVideoNote,
        SelfDestructingVoiceNote,
        LivePhoto,
        SelfDestructingLivePhoto,
    ]
};

impl FileType {
    fn from_i32(value: i32) -> Result<Self, FileIdError> {
        usize::try_from(value)
            .ok()
            .and_then(|index| FILE_TYPES.get(index).copied())
            .ok_or(FileIdError::UnknownType(value))
    }

    /// Whether ids of this type have the photo layout (a source after id and hash): TDLib's
    /// photo class.
    pub fn is_photo_like(self) -> bool {
        matches!(
            self,
            FileType::Thumbnail
                | FileType::ProfilePhoto
                | FileType::Photo
                | FileType::EncryptedThumbnail
                | FileType::Wallpaper
                | FileType::PhotoStory
                | FileType::SelfDestructingPhoto
        )
    }

    /// The `file_unique_id` kind, TDLib's class of the type plus one: 1 photo, 2 document,
    /// 3 secure, 4 encrypted, 5 temp (0 is a web file). A secret chat's thumbnail is of the
    /// photo class.
    fn unique_kind(self) -> i32 {
        match self {
            t if t.is_photo_like() => 1,
            FileType::Secure | FileType::SecureRaw => 3,
            FileType::Encrypted => 4,
            FileType::Temp => 5,
            _ => 2,
        }
    }

    /// The Bot API type of a document, from its attributes (as the Bot API and Telethon decide).
    pub fn of_document(attributes: &[enums::DocumentAttribute]) -> Self {
        for attribute in attributes {
            match attribute {
                enums::DocumentAttribute::Audio(a) if a.voice => return FileType::Voice,
                enums::DocumentAttribute::Audio(_) => return FileType::Audio,
                enums::DocumentAttribute::Video(v) if v.round_message => {
                    return FileType::VideoNote
                }
                enums::DocumentAttribute::Video(_) => return FileType::Video,
                enums::DocumentAttribute::Sticker(_) => return FileType::Sticker,
                enums::DocumentAttribute::Animated => return FileType::Animation,
                _ => {}
            }
        }
        FileType::Document
    }
}

/// Which size of which photo a photo-like file id names (TDLib's photo size sources).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PhotoSource {
    /// Ids older than version 4: only the old `secret`.
    Legacy {
        /// The old location's secret.
        secret: i64,
    },
    /// A size of a photo or a document's thumbnail: `file_type` is what the size belongs to
    /// (photo, thumbnail, …), `thumb_type` the size's type letter (`'m'`, `'x'`, `'y'`, …).
    Thumbnail {
        /// What the size belongs to.
        file_type: FileType,
        /// The size's type letter (TDLib stores its character code).
        thumb_type: i32,
    },
    /// A chat's or user's small profile photo. `chat_id` is the Bot API id (users positive,
    /// basic groups `-id`, channels `-1000000000000 - id`).
    ChatPhotoSmall {
        /// The chat, Bot API style.
        chat_id: i64,
        /// Its access hash (0 for basic groups).
        access_hash: i64,
    },
    /// A chat's or user's big profile photo.
    ChatPhotoBig {
        /// The chat, Bot API style.
        chat_id: i64,
        /// Its access hash (0 for basic groups).
        access_hash: i64,
    },
    /// A sticker set's thumbnail (no version).
    StickerSetThumbnail {
        /// The set.
        set_id: i64,
        /// Its access hash.
        access_hash: i64,
    },
    /// An old photo location with all its parts.
    FullLegacy {
        /// The old volume.
        volume_id: i64,
        /// The old secret.
        secret: i64,
        /// The old local id.
        local_id: i32,
    },
    /// An old small profile photo location.
    ChatPhotoSmallLegacy {
        /// The chat, Bot API style.
        chat_id: i64,
        /// Its access hash.
        access_hash: i64,
        /// The old volume.
        volume_id: i64,
        /// The old local id.
        local_id: i32,
    },
    /// An old big profile photo location.
    ChatPhotoBigLegacy {
        /// The chat, Bot API style.
        chat_id: i64,
        /// Its access hash.
        access_hash: i64,
        /// The old volume.
        volume_id: i64,
        /// The old local id.
        local_id: i32,
    },
    /// An old sticker set thumbnail location.
    StickerSetThumbnailLegacy {
        /// The set.
        set_id: i64,
        /// Its access hash.
        access_hash: i64,
        /// The old volume.
        volume_id: i64,
        /// The old local id.
        local_id: i32,
    },
    /// A sticker set's thumbnail of a given version.
    StickerSetThumbnailVersion {
        /// The set.
        set_id: i64,
        /// Its access hash.
        access_hash: i64,
        /// The thumbnail's version.
        version: i32,
    },
}

impl PhotoSource {
    fn tag(&self) -> i32 {
        match self {
            PhotoSource::Legacy { .. } => 0,
            PhotoSource::Thumbnail { .. } => 1,
            PhotoSource::ChatPhotoSmall { .. } => 2,
            PhotoSource::ChatPhotoBig { .. } => 3,
            PhotoSource::StickerSetThumbnail { .. } => 4,
            PhotoSource::FullLegacy { .. } => 5,
            PhotoSource::ChatPhotoSmallLegacy { .. } => 6,
            PhotoSource::ChatPhotoBigLegacy { .. } => 7,
            PhotoSource::StickerSetThumbnailLegacy { .. } => 8,
            PhotoSource::StickerSetThumbnailVersion { .. } => 9,
        }
    }

    /// How many `i64`s and then `i32`s follow the tag of source `tag` (TDLib's
    /// `PhotoSizeSource` layouts), or `None` for a tag this library does not know.
    fn shape(tag: i32) -> Option<(usize, usize)> {
        Some(match tag {
            0 => (1, 0),     // secret
            1 => (0, 2),     // file type, size letter
            2..=4 => (2, 0), // chat or set id, access hash
            5 => (2, 1),     // volume, secret, local id
            6..=8 => (3, 1), // chat or set id, access hash, volume, local id
            9 => (2, 1),     // set id, access hash, version
            _ => return None,
        })
    }

    /// The fields after the tag, in the order [`PhotoSource::shape`] gives.
    fn fields(&self) -> (Vec<i64>, Vec<i32>) {
        match *self {
            PhotoSource::Legacy { secret } => (vec![secret], vec![]),
            PhotoSource::Thumbnail {
                file_type,
                thumb_type,
            } => (vec![], vec![file_type as i32, thumb_type]),
            PhotoSource::ChatPhotoSmall {
                chat_id,
                access_hash,
            }
            | PhotoSource::ChatPhotoBig {
                chat_id,
                access_hash,
            } => (vec![chat_id, access_hash], vec![]),
            PhotoSource::StickerSetThumbnail {
                set_id,
                access_hash,
            } => (vec![set_id, access_hash], vec![]),
            PhotoSource::FullLegacy {
                volume_id,
                secret,
                local_id,
            } => (vec![volume_id, secret], vec![local_id]),
            PhotoSource::ChatPhotoSmallLegacy {
                chat_id,
                access_hash,
                volume_id,
                local_id,
            }
            | PhotoSource::ChatPhotoBigLegacy {
                chat_id,
                access_hash,
                volume_id,
                local_id,
            } => (vec![chat_id, access_hash, volume_id], vec![local_id]),
            PhotoSource::StickerSetThumbnailLegacy {
                set_id,
                access_hash,
                volume_id,
                local_id,
            } => (vec![set_id, access_hash, volume_id], vec![local_id]),
            PhotoSource::StickerSetThumbnailVersion {
                set_id,
                access_hash,
                version,
            } => (vec![set_id, access_hash], vec![version]),
        }
    }

    /// The source `tag` made of the fields [`PhotoSource::shape`] said it has.
    fn from_fields(tag: i32, q: &[i64], i: &[i32]) -> Result<Self, FileIdError> {
        Ok(match (tag, q, i) {
            (0, &[secret], []) => PhotoSource::Legacy { secret },
            (1, [], &[file_type, thumb_type]) => PhotoSource::Thumbnail {
                file_type: FileType::from_i32(file_type)?,
                thumb_type,
            },
            (2, &[chat_id, access_hash], []) => PhotoSource::ChatPhotoSmall {
                chat_id,
                access_hash,
            },
            (3, &[chat_id, access_hash], []) => PhotoSource::ChatPhotoBig {
                chat_id,
                access_hash,
            },
            (4, &[set_id, access_hash], []) => PhotoSource::StickerSetThumbnail {
                set_id,
                access_hash,
            },
            (5, &[volume_id, secret], &[local_id]) => PhotoSource::FullLegacy {
                volume_id,
                secret,
                local_id,
            },
            (6, &[chat_id, access_hash, volume_id], &[local_id]) => {
                PhotoSource::ChatPhotoSmallLegacy {
                    chat_id,
                    access_hash,
                    volume_id,
                    local_id,
                }
            }
            (7, &[chat_id, access_hash, volume_id], &[local_id]) => {
                PhotoSource::ChatPhotoBigLegacy {
                    chat_id,
                    access_hash,
                    volume_id,
                    local_id,
                }
            }
            (8, &[set_id, access_hash, volume_id], &[local_id]) => {
                PhotoSource::StickerSetThumbnailLegacy {
                    set_id,
                    access_hash,
                    volume_id,
                    local_id,
                }
            }
            (9, &[set_id, access_hash], &[version]) => PhotoSource::StickerSetThumbnailVersion {
                set_id,
                access_hash,
                version,
            },
            _ => return Err(FileIdError::UnknownSource(tag)),
        })
    }

    fn read(tag: i32, r: &mut Reader<'_>) -> Result<Self, FileIdError> {
        let (longs, ints) = Self::shape(tag).ok_or(FileIdError::UnknownSource(tag))?;
        let q = (0..longs)
            .map(|_| r.read_i64().map_err(|_| short()))
            .collect::<Result<Vec<_>, _>>()?;
        let i = (0..ints)
            .map(|_| r.read_i32().map_err(|_| short()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_fields(tag, &q, &i)
    }

    fn write(&self, out: &mut Vec<u8>) {
        let (longs, ints) = self.fields();
        for v in longs {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in ints {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// What tells this size apart in a `file_unique_id` (TDLib's `PhotoSizeSource` unique
    /// part). `volume` is the `(volume_id, local_id)` an id of the old layout (sub-version
    /// below 32) carries: TDLib reads such profile photos and set thumbnails as its legacy
    /// sources, named by that pair.
    fn unique(&self, volume: Option<(i64, i32)>) -> Unique {
        match (self, volume) {
            (
                PhotoSource::Legacy { .. }
                | PhotoSource::ChatPhotoSmall { .. }
                | PhotoSource::ChatPhotoBig { .. }
                | PhotoSource::StickerSetThumbnail { .. },
                Some((volume_id, local_id)),
            ) => Unique::Volume(volume_id, local_id),
            // `'a'` → 0, `'c'` → 1, other letters + 5.
            (PhotoSource::Thumbnail { thumb_type, .. }, _) => {
                Unique::Tail(vec![match *thumb_type {
                    0x61 => 0,
                    0x63 => 1,
                    other => (other as u8).wrapping_add(5),
                }])
            }
            (PhotoSource::ChatPhotoSmall { .. }, None) => Unique::Tail(vec![0]),
            (PhotoSource::ChatPhotoBig { .. }, None) => Unique::Tail(vec![1]),
            // No photo id: 2, the set and the version.
            (
                PhotoSource::StickerSetThumbnailVersion {
                    set_id, version, ..
                },
                _,
            ) => {
                let mut bare = vec![2];
                bare.extend_from_slice(&set_id.to_le_bytes());
                bare.extend_from_slice(&version.to_le_bytes());
                Unique::Bare(bare)
            }
            (
                PhotoSource::FullLegacy {
                    volume_id,
                    local_id,
                    ..
                }
                | PhotoSource::ChatPhotoSmallLegacy {
                    volume_id,
                    local_id,
                    ..
                }
                | PhotoSource::ChatPhotoBigLegacy {
                    volume_id,
                    local_id,
                    ..
                }
                | PhotoSource::StickerSetThumbnailLegacy {
                    volume_id,
                    local_id,
                    ..
                },
                _,
            ) => Unique::Volume(*volume_id, *local_id),
            (PhotoSource::Legacy { .. } | PhotoSource::StickerSetThumbnail { .. }, None) => {
                Unique::Volume(0, 0)
            }
        }
    }
}

/// The part of a photo's `file_unique_id` after its kind.
enum Unique {
    /// The photo id, then these bytes.
    Tail(Vec<u8>),
    /// These bytes alone.
    Bare(Vec<u8>),
    /// The old `(volume_id, local_id)` alone.
    Volume(i64, i32),
}

/// Where a file id points.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileIdLocation {
    /// A file on the web (inline results).
    Web {
        /// Its address.
        url: String,
        /// Its access hash.
        access_hash: i64,
    },
    /// A document (and every document-like type).
    Document {
        /// The document's id.
        id: i64,
        /// Its access hash.
        access_hash: i64,
    },
    /// A photo, one of its sizes, a profile photo or a thumbnail.
    Photo {
        /// The photo's id (0 for sticker set thumbnails).
        id: i64,
        /// Its access hash.
        access_hash: i64,
        /// The old `(volume_id, local_id)` ids of sub-versions before 32 carry.
        volume: Option<(i64, i32)>,
        /// Which size of what.
        source: PhotoSource,
    },
}

/// A Bot API `file_id`: [`pack`](Self::pack) and [`unpack`](Self::unpack) it, make one from
/// a message's media, and turn it back into something to send ([`to_input_media`]) or download
/// ([`location`]).
///
/// [`to_input_media`]: Self::to_input_media
/// [`location`]: Self::location
///
/// ```
/// use tgwire::{FileId, FileType};
/// let id = FileId::document(FileType::Video, 2, 5_432_100, -77, vec![1, 2, 3]);
/// let packed = id.pack();
/// let back = FileId::unpack(&packed).unwrap();
/// assert_eq!(back, id);
/// assert_eq!(back.file_type(), FileType::Video);
/// // The unique id does not depend on the DC, hash or reference.
/// let other = FileId::document(FileType::Video, 4, 5_432_100, 1, vec![]);
/// assert_eq!(other.unique_id(), id.unique_id());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileId {
    file_type: FileType,
    dc_id: i32,
    file_reference: Vec<u8>,
    location: FileIdLocation,
    version: u8,
    sub_version: u8,
}

impl FileId {
    /// A document's file id (any document-like type).
    pub fn document(
        file_type: FileType,
        dc_id: i32,
        id: i64,
        access_hash: i64,
        file_reference: Vec<u8>,
    ) -> Self {
        FileId {
            file_type,
            dc_id,
            file_reference,
            location: FileIdLocation::Document { id, access_hash },
            version: VERSION,
            sub_version: SUB_VERSION,
        }
    }

    /// A photo-like file id.
    pub fn photo(
        file_type: FileType,
        dc_id: i32,
        id: i64,
        access_hash: i64,
        file_reference: Vec<u8>,
        source: PhotoSource,
    ) -> Self {
        FileId {
            file_type,
            dc_id,
            file_reference,
            location: FileIdLocation::Photo {
                id,
                access_hash,
                volume: None,
                source,
            },
            version: VERSION,
            sub_version: SUB_VERSION,
        }
    }

    /// The file id of a document (its type from its attributes).
    pub fn of_document(document: &enums::Document) -> Option<Self> {
        let enums::Document::Document(doc) = document else {
            return None;
        };
        Some(Self::document(
            FileType::of_document(&doc.attributes),
            doc.dc_id,
            doc.id,
            doc.access_hash,
            doc.file_reference.to_vec(),
        ))
    }

    /// The file id of a photo's size `size_type` (`None`: the largest), as the Bot API gives
    /// each entry of a message's `photo` array.
    pub fn of_photo(photo: &enums::Photo, size_type: Option<&str>) -> Option<Self> {
        let enums::Photo::Photo(p) = photo else {
            return None;
        };
        let location = FileLocation::of_photo(photo, size_type)?;
        let enums::InputFileLocation::InputPhotoFileLocation(loc) = location.raw() else {
            return None;
        };
        let thumb_type = loc.thumb_size.chars().next().map_or(0, |c| c as i32);
        Some(Self::photo(
            FileType::Photo,
            p.dc_id,
            p.id,
            p.access_hash,
            p.file_reference.to_vec(),
            PhotoSource::Thumbnail {
                file_type: FileType::Photo,
                thumb_type,
            },
        ))
    }

    /// The file id of a message's photo (largest size) or document.
    pub fn of_media(media: &enums::MessageMedia) -> Option<Self> {
        match media {
            enums::MessageMedia::Photo(m) => Self::of_photo(m.photo.as_ref()?, None),
            enums::MessageMedia::Document(m) => Self::of_document(m.document.as_ref()?),
            _ => None,
        }
    }

    /// The file id of a message's media.
    pub fn of_message(message: &Message) -> Option<Self> {
        match message.raw() {
            enums::Message::Message(m) => Self::of_media(m.media.as_ref()?),
            _ => None,
        }
    }

    /// The file id of a user's or chat's profile photo `photo_id` (from `userProfilePhoto` /
    /// `chatPhoto`), small or `big`. `chat_id` is Bot API style (users positive, basic groups
    /// `-id`, channels `-1000000000000 - id`), `access_hash` the peer's (0 for basic groups).
    pub fn profile_photo(
        dc_id: i32,
        photo_id: i64,
        chat_id: i64,
        access_hash: i64,
        big: bool,
    ) -> Self {
        let source = if big {
            PhotoSource::ChatPhotoBig {
                chat_id,
                access_hash,
            }
        } else {
            PhotoSource::ChatPhotoSmall {
                chat_id,
                access_hash,
            }
        };
        Self::photo(
            FileType::ProfilePhoto,
            dc_id,
            photo_id,
            0,
            Vec::new(),
            source,
        )
    }

    /// The file's type.
    pub fn file_type(&self) -> FileType {
        self.file_type
    }

    /// The DC holding the file.
    pub fn dc_id(&self) -> i32 {
        self.dc_id
    }

    /// The file reference (empty in old ids).
    pub fn file_reference(&self) -> &[u8] {
        &self.file_reference
    }

    /// Replaces the file reference (after fetching a fresh one).
    pub fn set_file_reference(&mut self, file_reference: Vec<u8>) {
        self.file_reference = file_reference;
    }

    /// Where it points.
    pub fn location_kind(&self) -> &FileIdLocation {
        &self.location
    }

    /// (version, sub-version) it was written in or will be packed in.
    pub fn version(&self) -> (u8, u8) {
        (self.version, self.sub_version)
    }

    /// Reads a `file_id` of any version (TDLib's current ones, and the old ones Telethon packs).
    ///
    /// # Errors
    ///
    /// [`FileIdError`] for anything that is not a file id this library knows.
    pub fn unpack(file_id: &str) -> Result<Self, FileIdError> {
        let data = rle_decode(&from_base64(file_id)?);
        let (&version, rest) = data.split_last().ok_or(FileIdError::Malformed("empty"))?;
        let (sub_version, body) = if version >= VERSION {
            if version > VERSION {
                return Err(FileIdError::Version(version));
            }
            let (&sub, body) = rest.split_last().ok_or_else(short)?;
            (sub, body)
        } else if version >= OLD_VERSION {
            (0, rest)
        } else {
            return Err(FileIdError::Version(version));
        };
        let mut r = Reader::new(body);
        let raw_type = r.read_i32().map_err(|_| short())?;
        let dc_id = r.read_i32().map_err(|_| short())?;
        let file_type = FileType::from_i32(raw_type & !(WEB_LOCATION_FLAG | FILE_REFERENCE_FLAG))?;
        let location = if raw_type & WEB_LOCATION_FLAG != 0 {
            let url = r.read_tl_bytes().map_err(|_| short())?;
            let url = String::from_utf8(url.to_vec())
                .map_err(|_| FileIdError::Malformed("the URL is not UTF-8"))?;
            let access_hash = r.read_i64().map_err(|_| short())?;
            FileIdLocation::Web { url, access_hash }
        } else {
            FileIdLocation::Document {
                id: 0,
                access_hash: 0,
            }
        };
        let mut file_reference = Vec::new();
        let location = match location {
            web @ FileIdLocation::Web { .. } => web,
            _ => {
                if raw_type & FILE_REFERENCE_FLAG != 0 {
                    file_reference = r.read_tl_bytes().map_err(|_| short())?.to_vec();
                }
                let id = r.read_i64().map_err(|_| short())?;
                let access_hash = r.read_i64().map_err(|_| short())?;
                if file_type.is_photo_like() {
                    let old_layout = sub_version < NO_VOLUME_SUB_VERSION;
                    let volume_id = if old_layout {
                        Some(r.read_i64().map_err(|_| short())?)
                    } else {
                        None
                    };
                    let tag = if version >= VERSION {
                        r.read_i32().map_err(|_| short())?
                    } else {
                        0
                    };
                    let source = PhotoSource::read(tag, &mut r)?;
                    let volume = match volume_id {
                        Some(volume_id) => Some((volume_id, r.read_i32().map_err(|_| short())?)),
                        None => None,
                    };
                    FileIdLocation::Photo {
                        id,
                        access_hash,
                        volume,
                        source,
                    }
                } else {
                    FileIdLocation::Document { id, access_hash }
                }
            }
        };
        if !r.read_rest().is_empty() {
            return Err(FileIdError::Malformed("bytes after the layout"));
        }
        Ok(FileId {
            file_type,
            dc_id,
            file_reference,
            location,
            version,
            sub_version,
        })
    }

    /// The `file_id` string, in the version it was read in (new ones: version 4, TDLib's
    /// current sub-version).
    pub fn pack(&self) -> String {
        let mut out = self.body(self.version, self.sub_version, true);
        if self.version >= VERSION {
            out.push(self.sub_version);
        }
        out.push(self.version);
        to_base64(&rle_encode(&out))
    }

    /// The old `file_id` Telethon's `pack_bot_file_id` writes and `resolve_bot_file_id` reads
    /// (version 2: no file reference, photos as `(volume_id, secret, local_id)`, zeros where
    /// unknown).
    ///
    /// # Errors
    ///
    /// [`FileIdError::Unusable`] for web files, which have no old form.
    pub fn pack_old(&self) -> Result<String, FileIdError> {
        // The version-2 layout is the photo layout of the old sub-versions with a `Legacy`
        // source and no tag: written by `pack` from such a copy.
        let location = match &self.location {
            FileIdLocation::Web { .. } => {
                return Err(FileIdError::Unusable("web files have no old file id"))
            }
            document @ FileIdLocation::Document { .. } => document.clone(),
            FileIdLocation::Photo {
                id,
                access_hash,
                volume,
                source,
            } => {
                let volume = match (volume, source.unique(None)) {
                    (Some(volume), _) => *volume,
                    (None, Unique::Volume(volume_id, local_id)) => (volume_id, local_id),
                    (None, Unique::Tail(_) | Unique::Bare(_)) => (0, 0),
                };
                let secret = match source {
                    PhotoSource::Legacy { secret } | PhotoSource::FullLegacy { secret, .. } => {
                        *secret
                    }
                    _ => 0,
                };
                FileIdLocation::Photo {
                    id: *id,
                    access_hash: *access_hash,
                    volume: Some(volume),
                    source: PhotoSource::Legacy { secret },
                }
            }
        };
        let old = FileId {
            file_type: self.file_type,
            dc_id: self.dc_id,
            file_reference: Vec::new(),
            location,
            version: OLD_VERSION,
            sub_version: 0,
        };
        Ok(old.pack())
    }

    /// The unpadded layout without the version bytes.
    fn body(&self, version: u8, sub_version: u8, with_reference: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.file_reference.len());
        let mut raw_type = self.file_type as i32;
        let reference = with_reference
            && version >= VERSION
            && !self.file_reference.is_empty()
            && !matches!(self.location, FileIdLocation::Web { .. });
        if reference {
            raw_type |= FILE_REFERENCE_FLAG;
        }
        if matches!(self.location, FileIdLocation::Web { .. }) {
            raw_type |= WEB_LOCATION_FLAG;
        }
        out.extend_from_slice(&raw_type.to_le_bytes());
        out.extend_from_slice(&self.dc_id.to_le_bytes());
        match &self.location {
            FileIdLocation::Web { url, access_hash } => {
                url.serialize(&mut out);
                out.extend_from_slice(&access_hash.to_le_bytes());
            }
            FileIdLocation::Document { id, access_hash } => {
                if reference {
                    self.file_reference.serialize(&mut out);
                }
                out.extend_from_slice(&id.to_le_bytes());
                out.extend_from_slice(&access_hash.to_le_bytes());
            }
            FileIdLocation::Photo {
                id,
                access_hash,
                volume,
                source,
            } => {
                if reference {
                    self.file_reference.serialize(&mut out);
                }
                out.extend_from_slice(&id.to_le_bytes());
                out.extend_from_slice(&access_hash.to_le_bytes());
                let old_layout = sub_version < NO_VOLUME_SUB_VERSION;
                let (volume_id, local_id) = volume.unwrap_or((0, 0));
                if old_layout {
                    out.extend_from_slice(&volume_id.to_le_bytes());
                }
                if version >= VERSION {
                    out.extend_from_slice(&source.tag().to_le_bytes());
                }
                source.write(&mut out);
                if old_layout {
                    out.extend_from_slice(&local_id.to_le_bytes());
                }
            }
        }
        out
    }

    /// The `file_unique_id`: the same for this file whatever DC, hash, reference or account.
    pub fn unique_id(&self) -> String {
        let mut out = Vec::with_capacity(24);
        match &self.location {
            FileIdLocation::Web { url, .. } => {
                out.extend_from_slice(&0i32.to_le_bytes());
                url.serialize(&mut out);
            }
            FileIdLocation::Document { id, .. } => {
                out.extend_from_slice(&self.file_type.unique_kind().to_le_bytes());
                out.extend_from_slice(&id.to_le_bytes());
            }
            FileIdLocation::Photo {
                id, volume, source, ..
            } => {
                out.extend_from_slice(&self.file_type.unique_kind().to_le_bytes());
                match source.unique(*volume) {
                    Unique::Tail(tail) => {
                        out.extend_from_slice(&id.to_le_bytes());
                        out.extend_from_slice(&tail);
                    }
                    Unique::Bare(bare) => out.extend_from_slice(&bare),
                    Unique::Volume(volume_id, local_id) => {
                        out.extend_from_slice(&volume_id.to_le_bytes());
                        out.extend_from_slice(&local_id.to_le_bytes());
                    }
                }
            }
        }
        to_base64(&rle_encode(&out))
    }

    /// The document this id names, to send it again.
    pub fn input_document(&self) -> Option<enums::InputDocument> {
        match &self.location {
            FileIdLocation::Document { id, access_hash } => Some(
                types::InputDocument {
                    id: *id,
                    access_hash: *access_hash,
                    file_reference: self.file_reference.clone().into(),
                }
                .into(),
            ),
            _ => None,
        }
    }

    /// The photo this id names (photos only, not profile photos or thumbnails), to send it
    /// again.
    pub fn input_photo(&self) -> Option<enums::InputPhoto> {
        match (&self.location, self.file_type) {
            (
                FileIdLocation::Photo {
                    id, access_hash, ..
                },
                FileType::Photo,
            ) => Some(
                types::InputPhoto {
                    id: *id,
                    access_hash: *access_hash,
                    file_reference: self.file_reference.clone().into(),
                }
                .into(),
            ),
            _ => None,
        }
    }

    /// The media to send this file again without uploading it (a photo or document).
    ///
    /// # Errors
    ///
    /// [`FileIdError::Unusable`] for thumbnails, profile photos and web files.
    pub fn to_input_media(&self) -> Result<InputMedia, FileIdError> {
        if let Some(document) = self.input_document() {
            return Ok(InputMedia::raw(
                types::InputMediaDocument {
                    spoiler: false,
                    id: document,
                    video_cover: None,
                    video_timestamp: None,
                    ttl_seconds: None,
                    query: None,
                }
                .into(),
            ));
        }
        if let Some(photo) = self.input_photo() {
            return Ok(InputMedia::raw(
                types::InputMediaPhoto {
                    spoiler: false,
                    live_photo: false,
                    id: photo,
                    ttl_seconds: None,
                    video: None,
                }
                .into(),
            ));
        }
        Err(FileIdError::Unusable(
            "only photos and documents can be sent again",
        ))
    }

    /// Where to download the file from ([`Client::download_file`](crate::Client::download_file)).
    ///
    /// # Errors
    ///
    /// [`FileIdError::Unusable`] for web files and sources with no download location.
    pub fn location(&self) -> Result<FileLocation, FileIdError> {
        let reference = self.file_reference.clone();
        let raw: enums::InputFileLocation = match &self.location {
            FileIdLocation::Web { .. } => {
                return Err(FileIdError::Unusable("web files are not on a DC"))
            }
            FileIdLocation::Document { id, access_hash } => types::InputDocumentFileLocation {
                id: *id,
                access_hash: *access_hash,
                file_reference: reference.into(),
                thumb_size: String::new().into(),
            }
            .into(),
            FileIdLocation::Photo {
                id,
                access_hash,
                volume,
                source,
            } => match source {
                PhotoSource::Thumbnail {
                    file_type,
                    thumb_type,
                } => {
                    let thumb_size = u32::try_from(*thumb_type)
                        .ok()
                        .and_then(char::from_u32)
                        .map(String::from)
                        .unwrap_or_default();
                    if *file_type == FileType::Thumbnail {
                        // A document's thumbnail (photos, story photos and disappearing
                        // photos name their own type here).
                        types::InputDocumentFileLocation {
                            id: *id,
                            access_hash: *access_hash,
                            file_reference: reference.into(),
                            thumb_size: thumb_size.into(),
                        }
                        .into()
                    } else {
                        types::InputPhotoFileLocation {
                            id: *id,
                            access_hash: *access_hash,
                            file_reference: reference.into(),
                            thumb_size: thumb_size.into(),
                        }
                        .into()
                    }
                }
                PhotoSource::ChatPhotoSmall {
                    chat_id,
                    access_hash: peer_hash,
                }
                | PhotoSource::ChatPhotoBig {
                    chat_id,
                    access_hash: peer_hash,
                } => types::InputPeerPhotoFileLocation {
                    big: matches!(source, PhotoSource::ChatPhotoBig { .. }),
                    peer: input_peer(*chat_id, *peer_hash),
                    photo_id: *id,
                }
                .into(),
                PhotoSource::StickerSetThumbnailVersion {
                    set_id,
                    access_hash: set_hash,
                    version,
                } => types::InputStickerSetThumb {
                    stickerset: types::InputStickerSetId {
                        id: *set_id,
                        access_hash: *set_hash,
                    }
                    .into(),
                    thumb_version: *version,
                }
                .into(),
                PhotoSource::Legacy { secret } | PhotoSource::FullLegacy { secret, .. } => {
                    let (volume_id, local_id) = match (volume, source) {
                        (Some(v), _) => *v,
                        (
                            None,
                            PhotoSource::FullLegacy {
                                volume_id,
                                local_id,
                                ..
                            },
                        ) => (*volume_id, *local_id),
                        _ => (0, 0),
                    };
                    types::InputPhotoLegacyFileLocation {
                        id: *id,
                        access_hash: *access_hash,
                        file_reference: reference.into(),
                        volume_id,
                        local_id,
                        secret: *secret,
                    }
                    .into()
                }
                _ => {
                    return Err(FileIdError::Unusable(
                        "an old location with no download form",
                    ))
                }
            },
        };
        Ok(FileLocation::new(raw, Some(self.dc_id), None))
    }
}

impl std::fmt::Display for FileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.pack())
    }
}

impl std::str::FromStr for FileId {
    type Err = FileIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FileId::unpack(s)
    }
}

impl TryFrom<&FileId> for FileLocation {
    type Error = FileIdError;

    fn try_from(id: &FileId) -> Result<Self, Self::Error> {
        id.location()
    }
}

/// The input peer of a Bot API chat id.
fn input_peer(chat_id: i64, access_hash: i64) -> enums::InputPeer {
    const CHANNEL_BASE: i64 = -1_000_000_000_000;
    if chat_id > 0 {
        types::InputPeerUser {
            user_id: chat_id,
            access_hash,
        }
        .into()
    } else if chat_id > CHANNEL_BASE {
        types::InputPeerChat { chat_id: -chat_id }.into()
    } else {
        types::InputPeerChannel {
            channel_id: CHANNEL_BASE - chat_id,
            access_hash,
        }
        .into()
    }
}

fn short() -> FileIdError {
    FileIdError::Malformed("the id ends too soon")
}

fn from_base64(s: &str) -> Result<Vec<u8>, FileIdError> {
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|e| FileIdError::Base64(e.to_string()))
}

fn to_base64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Writes every run of zero bytes as `0, length` (runs longer than 255 are split).
fn rle_encode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut zeros = 0u8;
    for &b in bytes {
        if b == 0 {
            if zeros == u8::MAX {
                out.extend_from_slice(&[0, zeros]);
                zeros = 0;
            }
            zeros += 1;
        } else {
            if zeros > 0 {
                out.extend_from_slice(&[0, zeros]);
                zeros = 0;
            }
            out.push(b);
        }
    }
    if zeros > 0 {
        out.extend_from_slice(&[0, zeros]);
    }
    out
}

/// The inverse of [`rle_encode`]; a trailing lone zero is dropped, as TDLib does.
fn rle_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    let mut zero = false;
    for &b in bytes {
        if zero {
            out.resize(out.len() + usize::from(b), 0);
            zero = false;
        } else if b == 0 {
            zero = true;
        } else {
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A photo file id the Bot API handed out (TDLib sub-version 54), as quoted in pyrogram's
    /// sources: it decodes to a photo of DC 2, size `m`, with a file reference.
    const REAL_PHOTO: &str =
        "AgACAgIAAxkBAAIENGfeY4AfRquwTL2LpDrzqvFMVNt_AAIG9DEbXX3wSq3oI7t_PqQGAQADAgADbQADNgQ";

    #[test]
    fn a_real_photo_id_decodes_and_packs_back_identically() {
        let id = FileId::unpack(REAL_PHOTO).unwrap();
        assert_eq!(id.version(), (4, 54));
        assert_eq!(id.file_type(), FileType::Photo);
        assert_eq!(id.dc_id(), 2);
        assert_eq!(id.file_reference().len(), 25);
        let FileIdLocation::Photo {
            id: photo_id,
            access_hash,
            volume,
            source,
        } = id.location_kind()
        else {
            panic!("{id:?}")
        };
        assert_eq!(*photo_id, 5_399_953_792_058_913_798);
        assert_eq!(*access_hash, 478_576_178_729_576_621);
        assert_eq!(*volume, None);
        assert_eq!(
            *source,
            PhotoSource::Thumbnail {
                file_type: FileType::Photo,
                thumb_type: 'm' as i32
            }
        );
        assert_eq!(id.pack(), REAL_PHOTO);
        // Photo unique ids: kind 1, the photo id, one byte for the size ('m' + 5).
        let unique = rle_decode(&from_base64(&id.unique_id()).unwrap());
        assert_eq!(unique.len(), 13);
        assert_eq!(&unique[..4], &1i32.to_le_bytes());
        assert_eq!(unique[12], b'm' + 5);
    }

    #[test]
    fn sticker_set_thumbnails_unique_ids_carry_no_photo_id() {
        let id = FileId::photo(
            FileType::Thumbnail,
            2,
            0,
            0,
            vec![],
            PhotoSource::StickerSetThumbnailVersion {
                set_id: 0x0102_0304_0506_0708,
                access_hash: 9,
                version: 7,
            },
        );
        let unique = rle_decode(&from_base64(&id.unique_id()).unwrap());
        let mut expected = 1i32.to_le_bytes().to_vec();
        expected.push(2);
        expected.extend_from_slice(&0x0102_0304_0506_0708i64.to_le_bytes());
        expected.extend_from_slice(&7i32.to_le_bytes());
        assert_eq!(unique, expected);
    }

    #[test]
    fn file_types_up_to_27_are_read_with_tdlibs_classes() {
        for value in 0..28 {
            let file_type = FileType::from_i32(value).unwrap();
            assert_eq!(file_type as i32, value);
        }
        assert_eq!(FileType::from_i32(28), Err(FileIdError::UnknownType(28)));
        assert_eq!(FileType::from_i32(-1), Err(FileIdError::UnknownType(-1)));
        // A story's video and a disappearing voice note are documents…
        for file_type in [FileType::VideoStory, FileType::SelfDestructingVoiceNote] {
            let id = FileId::document(file_type, 5, 77, 88, vec![1, 2]);
            let back = FileId::unpack(&id.pack()).unwrap();
            assert_eq!(back, id);
            assert_eq!(
                back.unique_id(),
                FileId::document(FileType::Document, 1, 77, 0, vec![]).unique_id()
            );
        }
        // …a story's photo and a disappearing photo are photos: sizes of a photo, downloaded
        // as photo sizes, with a photo's unique id.
        for file_type in [FileType::PhotoStory, FileType::SelfDestructingPhoto] {
            let source = PhotoSource::Thumbnail {
                file_type,
                thumb_type: 'x' as i32,
            };
            let id = FileId::photo(file_type, 4, 99, 100, vec![3], source);
            let back = FileId::unpack(&id.pack()).unwrap();
            assert_eq!(back, id);
            assert!(matches!(
                back.location().unwrap().raw(),
                enums::InputFileLocation::InputPhotoFileLocation(l) if l.id == 99 && l.thumb_size == "x"
            ));
            let plain = FileId::photo(
                FileType::Photo,
                4,
                99,
                100,
                vec![],
                PhotoSource::Thumbnail {
                    file_type: FileType::Photo,
                    thumb_type: 'x' as i32,
                },
            );
            assert_eq!(back.unique_id(), plain.unique_id());
        }
        // A secret chat's thumbnail is of the photo class too (kind 1, not 4).
        let secret = FileId::photo(
            FileType::EncryptedThumbnail,
            1,
            5,
            6,
            vec![],
            PhotoSource::Thumbnail {
                file_type: FileType::EncryptedThumbnail,
                thumb_type: 't' as i32,
            },
        );
        assert_eq!(
            rle_decode(&from_base64(&secret.unique_id()).unwrap())[..4],
            1i32.to_le_bytes()
        );
    }

    #[test]
    fn rle_round_trips_long_runs_and_edges() {
        for input in [
            vec![],
            vec![0],
            vec![1, 0, 0, 2],
            vec![0; 300],
            [vec![7], vec![0; 256], vec![9]].concat(),
        ] {
            assert_eq!(rle_decode(&rle_encode(&input)), input);
        }
        assert_eq!(rle_encode(&[5, 0, 0, 0, 6]), [5, 0, 3, 6]);
    }

    #[test]
    fn every_kind_round_trips_in_both_versions() {
        let ids = [
            FileId::document(FileType::Sticker, 4, 1, -2, vec![0, 0, 7]),
            FileId::document(FileType::Voice, 1, i64::MAX, i64::MIN, vec![]),
            FileId::photo(
                FileType::Photo,
                2,
                99,
                -99,
                vec![1; 20],
                PhotoSource::Thumbnail {
                    file_type: FileType::Photo,
                    thumb_type: 'y' as i32,
                },
            ),
            FileId::profile_photo(3, 123, -1_000_000_000_777, 55, true),
            FileId::profile_photo(3, 123, 777, 55, false),
            FileId::photo(
                FileType::Thumbnail,
                2,
                0,
                0,
                vec![],
                PhotoSource::StickerSetThumbnailVersion {
                    set_id: 8,
                    access_hash: 9,
                    version: 3,
                },
            ),
        ];
        for id in ids {
            assert_eq!(FileId::unpack(&id.pack()).unwrap(), id, "{id:?}");
            let old = FileId::unpack(&id.pack_old().unwrap()).unwrap();
            assert_eq!(old.version(), (2, 0));
            assert_eq!(old.dc_id(), id.dc_id());
            assert_eq!(old.file_type(), id.file_type());
            assert!(old.file_reference().is_empty());
        }
        let web = FileId {
            file_type: FileType::Photo,
            dc_id: 0,
            file_reference: vec![],
            location: FileIdLocation::Web {
                url: "https://example.com/a.jpg".into(),
                access_hash: 5,
            },
            version: VERSION,
            sub_version: SUB_VERSION,
        };
        assert_eq!(FileId::unpack(&web.pack()).unwrap(), web);
        assert!(web.pack_old().is_err());
        assert!(web.location().is_err());
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for s in ["", "!!!", "AAAA", "AgAD", "BQADAgADAQ", &"A".repeat(500)] {
            assert!(FileId::unpack(s).is_err(), "{s}");
        }
        // Every prefix of a real id fails cleanly.
        for end in 0..REAL_PHOTO.len() {
            let _ = FileId::unpack(&REAL_PHOTO[..end]);
        }
    }
}
