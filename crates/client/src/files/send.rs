//! Sending files: photos, documents with attributes, albums, and media sent before.

use rand::Rng;
use tgwire_tl_types::{enums, functions, types};

use super::{FileError, UploadedFile};
use crate::types::chat::input_peer;
use crate::{Client, InputMessage, InvocationError, Message, PeerQuery};

/// Image types Telegram turns into photos (everything else is sent as a document).
const PHOTO_MIME_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/bmp"];

/// A file to send: an uploaded file as a photo or document, or media sent before; with a
/// caption and options. The caption is an [`InputMessage`], whose `reply_to`, `silent` and
/// `schedule` apply to the send (for albums: those of the first item).
///
/// ```
/// use tgwire::{InputMedia, InputMessage};
/// # fn f(file: tgwire::UploadedFile) {
/// let media = InputMedia::document(file)
///     .caption(InputMessage::markdown("the **draft**").silent(true))
///     .file_name("draft.pdf")
///     .video(12.5, 1280, 720, true);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct InputMedia {
    kind: Kind,
    caption: InputMessage,
    mime_type: Option<String>,
    file_name: Option<String>,
    attributes: Vec<enums::DocumentAttribute>,
    thumbnail: Option<UploadedFile>,
    spoiler: bool,
}

#[derive(Clone, Debug)]
enum Kind {
    /// Photo or document by MIME type.
    Auto(UploadedFile),
    Photo(UploadedFile),
    Document(UploadedFile),
    /// Already on Telegram (or anything else the raw API can say).
    Raw(enums::InputMedia),
}

impl InputMedia {
    fn with(kind: Kind) -> Self {
        InputMedia {
            kind,
            caption: InputMessage::text(""),
            mime_type: None,
            file_name: None,
            attributes: Vec::new(),
            thumbnail: None,
            spoiler: false,
        }
    }

    /// A photo if the file's name says JPEG, PNG, WebP or BMP, else a document.
    pub fn auto(file: UploadedFile) -> Self {
        Self::with(Kind::Auto(file))
    }

    /// The file as a photo (Telegram recompresses it and makes the smaller sizes).
    pub fn photo(file: UploadedFile) -> Self {
        Self::with(Kind::Photo(file))
    }

    /// The file as a document, as it is (`force_document`): MIME type guessed from the name
    /// unless [set](Self::mime_type), a file-name attribute, and the attributes given.
    pub fn document(file: UploadedFile) -> Self {
        Self::with(Kind::Document(file))
    }

    /// The photo or document of a message sent before, sent again without uploading it.
    pub fn existing(message: &Message) -> Option<Self> {
        match message.raw() {
            enums::Message::Message(m) => Self::from_media(m.media.as_ref()?),
            _ => None,
        }
    }

    /// A photo or document Telegram already has, sent again without uploading it.
    pub fn from_media(media: &enums::MessageMedia) -> Option<Self> {
        let raw: enums::InputMedia = match media {
            enums::MessageMedia::Photo(m) => match m.photo.as_ref()? {
                enums::Photo::Photo(photo) => types::InputMediaPhoto {
                    spoiler: m.spoiler,
                    live_photo: false,
                    id: types::InputPhoto {
                        id: photo.id,
                        access_hash: photo.access_hash,
                        file_reference: photo.file_reference.clone(),
                    }
                    .into(),
                    ttl_seconds: None,
                    video: None,
                }
                .into(),
                enums::Photo::Empty(_) => return None,
            },
            enums::MessageMedia::Document(m) => match m.document.as_ref()? {
                enums::Document::Document(doc) => types::InputMediaDocument {
                    spoiler: m.spoiler,
                    id: types::InputDocument {
                        id: doc.id,
                        access_hash: doc.access_hash,
                        file_reference: doc.file_reference.clone(),
                    }
                    .into(),
                    video_cover: None,
                    video_timestamp: None,
                    ttl_seconds: None,
                    query: None,
                }
                .into(),
                enums::Document::Empty(_) => return None,
            },
            _ => return None,
        };
        Some(Self::raw(raw))
    }

    /// Any raw `InputMedia`.
    pub fn raw(media: enums::InputMedia) -> Self {
        Self::with(Kind::Raw(media))
    }

    /// The caption (plain, [markdown](InputMessage::markdown) or [HTML](InputMessage::html)),
    /// whose reply, silence and schedule options apply to the send.
    pub fn caption(mut self, caption: impl Into<InputMessage>) -> Self {
        self.caption = caption.into();
        self
    }

    /// Sends an [`auto`](Self::auto) or [`photo`](Self::photo) file as a document instead.
    pub fn force_document(mut self, force: bool) -> Self {
        if force {
            self.kind = match self.kind {
                Kind::Auto(file) | Kind::Photo(file) => Kind::Document(file),
                other => other,
            };
        }
        self
    }

    /// The document's MIME type (default: guessed from the file name).
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }

    /// The document's file name (default: the uploaded file's name).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Adds a raw document attribute.
    pub fn attribute(mut self, attribute: enums::DocumentAttribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Marks the document as a video of `duration` seconds and `width`×`height` pixels.
    pub fn video(self, duration: f64, width: i32, height: i32, supports_streaming: bool) -> Self {
        self.attribute(
            types::DocumentAttributeVideo {
                round_message: false,
                supports_streaming,
                nosound: false,
                duration,
                w: width,
                h: height,
                preload_prefix_size: None,
                video_start_ts: None,
                video_codec: None,
            }
            .into(),
        )
    }

    /// Marks the document as music of `duration` seconds.
    pub fn audio(self, duration: i32, title: Option<String>, performer: Option<String>) -> Self {
        self.attribute(
            types::DocumentAttributeAudio {
                voice: false,
                duration,
                title: title.map(Into::into),
                performer: performer.map(Into::into),
                waveform: None,
            }
            .into(),
        )
    }

    /// Marks the document as a voice note of `duration` seconds.
    pub fn voice(self, duration: i32) -> Self {
        self.attribute(
            types::DocumentAttributeAudio {
                voice: true,
                duration,
                title: None,
                performer: None,
                waveform: None,
            }
            .into(),
        )
    }

    /// Marks the document as a sticker with the emoji `alt` (not part of a set).
    pub fn sticker(self, alt: impl Into<String>) -> Self {
        self.attribute(
            types::DocumentAttributeSticker {
                mask: false,
                alt: crate::tl_string(alt),
                stickerset: enums::InputStickerSet::Empty,
                mask_coords: None,
            }
            .into(),
        )
    }

    /// A thumbnail for the document (JPEG, at most 320×320 and 200 KiB).
    pub fn thumbnail(mut self, thumbnail: UploadedFile) -> Self {
        self.thumbnail = Some(thumbnail);
        self
    }

    /// Hides the media behind a spoiler.
    pub fn spoiler(mut self, spoiler: bool) -> Self {
        self.spoiler = spoiler;
        self
    }

    /// The raw `InputMedia` this sends.
    pub fn to_raw(&self) -> enums::InputMedia {
        let photo = |file: &UploadedFile| -> enums::InputMedia {
            types::InputMediaUploadedPhoto {
                spoiler: self.spoiler,
                live_photo: false,
                file: file.raw().clone(),
                stickers: None,
                ttl_seconds: None,
                video: None,
            }
            .into()
        };
        if let Some(again) = self
            .uploaded()
            .and_then(|file| file.sent_as())
            .and_then(|media| InputMedia::from_media(&media))
        {
            return again.to_raw();
        }
        match &self.kind {
            Kind::Raw(raw) => raw.clone(),
            Kind::Photo(file) => photo(file),
            Kind::Auto(file) if PHOTO_MIME_TYPES.contains(&self.guessed_mime(file).as_str()) => {
                photo(file)
            }
            Kind::Auto(file) | Kind::Document(file) => {
                let name = self.file_name.as_deref().unwrap_or(file.name()).to_owned();
                let mut attributes = self.attributes.clone();
                if !attributes
                    .iter()
                    .any(|a| matches!(a, enums::DocumentAttribute::Filename(_)))
                {
                    attributes.push(
                        types::DocumentAttributeFilename {
                            file_name: name.into(),
                        }
                        .into(),
                    );
                }
                types::InputMediaUploadedDocument {
                    nosound_video: false,
                    force_file: matches!(self.kind, Kind::Document(_)),
                    spoiler: self.spoiler,
                    file: file.raw().clone(),
                    thumb: self.thumbnail.as_ref().map(|t| t.raw().clone()),
                    mime_type: self.guessed_mime(file).into(),
                    attributes,
                    stickers: None,
                    video_cover: None,
                    video_timestamp: None,
                    ttl_seconds: None,
                }
                .into()
            }
        }
    }

    fn guessed_mime(&self, file: &UploadedFile) -> String {
        if let Some(mime) = &self.mime_type {
            return mime.clone();
        }
        let name = self.file_name.as_deref().unwrap_or(file.name());
        mime_guess::from_path(name)
            .first_or_octet_stream()
            .essence_str()
            .to_owned()
    }

    fn uploaded(&self) -> Option<&UploadedFile> {
        match &self.kind {
            Kind::Auto(file) | Kind::Photo(file) | Kind::Document(file) => Some(file),
            Kind::Raw(_) => None,
        }
    }
}

impl Client {
    /// Sends a photo, document or media sent before, with its caption, and returns the
    /// message.
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client) -> Result<(), tgwire::FileError> {
    /// use tgwire::{InputMedia, InputMessage};
    /// let file = client.upload_file("cat.jpg").await?;
    /// let sent = client
    ///     .send_file("me", InputMedia::auto(file).caption(InputMessage::html("<b>cat</b>")))
    ///     .await?;
    /// // The same photo again, without uploading it.
    /// client.send_file("me", InputMedia::existing(&sent).unwrap()).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Peer resolution errors and the server's (`MEDIA_CAPTION_TOO_LONG`,
    /// `FILE_PART_X_MISSING`, `MD5_CHECKSUM_INVALID`, …).
    pub async fn send_file(
        &self,
        chat: impl Into<PeerQuery>,
        media: InputMedia,
    ) -> Result<Message, FileError> {
        let peer = input_peer(self.resolve(chat).await?);
        let caption = &media.caption;
        let random_id: i64 = rand::thread_rng().gen();
        let request = functions::messages::SendMedia {
            silent: caption.silent,
            background: caption.background,
            clear_draft: caption.clear_draft,
            noforwards: false,
            update_stickersets_order: false,
            invert_media: false,
            allow_paid_floodskip: false,
            peer,
            reply_to: caption.reply_to.map(crate::messages::reply_header),
            media: media.to_raw(),
            message: caption.text.clone().into(),
            random_id,
            reply_markup: caption.reply_markup.clone(),
            entities: caption.input_entities(self),
            schedule_date: caption.schedule_date,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            allow_paid_stars: None,
            suggested_post: None,
        };
        let updates = self.invoke(&request).await?;
        let message = self
            .messages_from_updates(updates, Some(&[random_id]))
            .into_iter()
            .next()
            .ok_or(InvocationError::UnexpectedAnswer(
                "sendMedia without the new message",
            ))?;
        if let (Some(file), enums::Message::Message(sent)) = (media.uploaded(), message.raw()) {
            if let Some(made) = &sent.media {
                file.remember(made);
            }
        }
        Ok(message)
    }

    /// Sends up to ten photos and documents as one album (`messages.sendMultiMedia`), each
    /// with its own caption; the first item's caption options (reply, silence, schedule)
    /// apply to the album. Uploaded files are first turned into media with
    /// `messages.uploadMedia`, as Telegram requires.
    ///
    /// # Errors
    ///
    /// As [`send_file`](Self::send_file), and [`FileError::InvalidArgument`] for an empty
    /// list.
    pub async fn send_album(
        &self,
        chat: impl Into<PeerQuery>,
        media: Vec<InputMedia>,
    ) -> Result<Vec<Message>, FileError> {
        let Some(first) = media.first() else {
            return Err(FileError::InvalidArgument(
                "an album needs at least one file".into(),
            ));
        };
        let options = first.caption.clone();
        let peer = input_peer(self.resolve(chat).await?);
        let mut singles = Vec::with_capacity(media.len());
        let mut random_ids = Vec::with_capacity(media.len());
        for item in media {
            let item = if item.uploaded().is_some_and(|f| f.sent_as().is_none()) {
                let uploaded = self
                    .invoke(&functions::messages::UploadMedia {
                        business_connection_id: None,
                        peer: peer.clone(),
                        media: item.to_raw(),
                    })
                    .await?;
                if let Some(file) = item.uploaded() {
                    file.remember(&uploaded);
                }
                let again = InputMedia::from_media(&uploaded).ok_or(
                    InvocationError::UnexpectedAnswer("uploadMedia without a photo or document"),
                )?;
                InputMedia {
                    caption: item.caption,
                    ..again
                }
            } else {
                item
            };
            let random_id: i64 = rand::thread_rng().gen();
            random_ids.push(random_id);
            singles.push(
                types::InputSingleMedia {
                    media: item.to_raw(),
                    random_id,
                    message: item.caption.text.clone().into(),
                    entities: item.caption.input_entities(self),
                }
                .into(),
            );
        }
        let updates = self
            .invoke(&functions::messages::SendMultiMedia {
                silent: options.silent,
                background: options.background,
                clear_draft: options.clear_draft,
                noforwards: false,
                update_stickersets_order: false,
                invert_media: false,
                allow_paid_floodskip: false,
                peer,
                reply_to: options.reply_to.map(crate::messages::reply_header),
                multi_media: singles,
                schedule_date: options.schedule_date,
                send_as: None,
                quick_reply_shortcut: None,
                effect: None,
                allow_paid_stars: None,
            })
            .await?;
        Ok(self.messages_from_updates(updates, Some(&random_ids)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uploaded(name: &str) -> UploadedFile {
        UploadedFile::for_tests(name)
    }

    #[test]
    fn auto_picks_photo_or_document_by_name() {
        let photo = InputMedia::auto(uploaded("cat.JPG")).to_raw();
        assert!(matches!(photo, enums::InputMedia::UploadedPhoto(_)));
        let doc = InputMedia::auto(uploaded("notes.pdf")).to_raw();
        let enums::InputMedia::UploadedDocument(doc) = doc else {
            panic!("not a document: {doc:?}");
        };
        assert_eq!(doc.mime_type, "application/pdf");
        assert!(!doc.force_file);
        assert!(doc.attributes.iter().any(|a| matches!(
            a,
            enums::DocumentAttribute::Filename(f) if f.file_name == "notes.pdf"
        )));
        let forced = InputMedia::auto(uploaded("cat.png"))
            .force_document(true)
            .to_raw();
        let enums::InputMedia::UploadedDocument(forced) = forced else {
            panic!("not a document");
        };
        assert!(forced.force_file);
        assert_eq!(forced.mime_type, "image/png");
    }

    #[test]
    fn caller_attributes_and_names_win() {
        let raw = InputMedia::document(uploaded("x.bin"))
            .file_name("song.mp3")
            .audio(180, Some("Title".into()), None)
            .to_raw();
        let enums::InputMedia::UploadedDocument(doc) = raw else {
            panic!("not a document");
        };
        assert_eq!(doc.mime_type, "audio/mpeg");
        assert_eq!(doc.attributes.len(), 2);
        let raw = InputMedia::document(uploaded("clip"))
            .mime_type("video/mp4")
            .video(1.5, 640, 360, true)
            .to_raw();
        let enums::InputMedia::UploadedDocument(doc) = raw else {
            panic!("not a document");
        };
        assert_eq!(doc.mime_type, "video/mp4");
    }
}
