//! Photos against the test server: the sizes it makes of an uploaded image (largest by
//! default, or a chosen one), the stripped thumbnail inflated to a JPEG, profile photos of
//! users, groups and channels, contacts as vCards, and the server's file errors.

mod common;

use image::GenericImageView;
use tgwire::tl::{enums, functions, types};
use tgwire::{Client, FileError, InputMedia, Message};

/// A `w`×`h` PNG: red grows to the right, green downwards, blue constant.
fn gradient_png(w: u32, h: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 160])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encodes");
    out.into_inner()
}

/// Mean red, green and blue of a decoded image.
fn mean_rgb(image: &image::DynamicImage) -> [f64; 3] {
    let rgb = image.to_rgb8();
    let n = f64::from(rgb.width() * rgb.height());
    let mut sum = [0f64; 3];
    for pixel in rgb.pixels() {
        for (s, c) in sum.iter_mut().zip(pixel.0) {
            *s += f64::from(c);
        }
    }
    sum.map(|s| s / n)
}

fn photo_sizes(message: &Message) -> Vec<enums::PhotoSize> {
    let enums::Message::Message(m) = message.raw() else {
        panic!("not a message")
    };
    match &m.media {
        Some(enums::MessageMedia::Photo(p)) => match &p.photo {
            Some(enums::Photo::Photo(photo)) => photo.sizes.clone(),
            other => panic!("no photo: {other:?}"),
        },
        other => panic!("not a photo: {other:?}"),
    }
}

async fn download(client: &Client, message: &Message, size: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    let download = client.download_media(message, &mut out);
    match size {
        Some(size) => download.photo_size(size).await,
        None => download.await,
    }
    .expect("downloads");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_have_downscaled_sizes_and_a_stripped_thumbnail() {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "2001").await;
    let png = gradient_png(1000, 600);
    let original = image::load_from_memory(&png).unwrap();
    let file = client.upload_bytes(png, "gradient.png").await.unwrap();
    let sent = client
        .send_file("me", InputMedia::photo(file))
        .await
        .unwrap();

    // The stripped thumbnail first, then every box smaller than the image and the image
    // itself in the first box it fits.
    let sizes = photo_sizes(&sent);
    let listed: Vec<(String, i32, i32)> = sizes
        .iter()
        .filter_map(|s| match s {
            enums::PhotoSize::PhotoSize(s) => Some((s.r#type.to_string(), s.w, s.h)),
            _ => None,
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("s".into(), 100, 60),
            ("m".into(), 320, 192),
            ("x".into(), 800, 480),
            ("y".into(), 1000, 600),
        ]
    );
    assert!(matches!(&sizes[0], enums::PhotoSize::PhotoStrippedSize(s) if s.r#type == "i"));

    // The largest by default, a named size on request: real JPEGs of the listed dimensions,
    // whose colours are the original's.
    for (size, w, h) in [
        (None, 1000, 600),
        (Some("m"), 320, 192),
        (Some("s"), 100, 60),
    ] {
        let bytes = download(&client, &sent, size).await;
        let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .unwrap_or_else(|e| panic!("{size:?} is no JPEG: {e}"));
        assert_eq!(decoded.dimensions(), (w, h), "{size:?}");
        let (got, want) = (mean_rgb(&decoded), mean_rgb(&original));
        for c in 0..3 {
            assert!(
                (got[c] - want[c]).abs() < 6.0,
                "{size:?}: {got:?} vs {want:?}"
            );
        }
    }

    // The stripped thumbnail needs no request: the inline bytes put back into a JPEG, 40×24,
    // roughly the original's colours (quality 20).
    let thumb = download(&client, &sent, Some("i")).await;
    assert_eq!(&thumb[..3], [0xff, 0xd8, 0xff]);
    let decoded = image::load_from_memory_with_format(&thumb, image::ImageFormat::Jpeg)
        .expect("the inflated thumbnail decodes");
    assert_eq!(decoded.dimensions(), (40, 24));
    let (got, want) = (mean_rgb(&decoded), mean_rgb(&original));
    for c in 0..3 {
        assert!(
            (got[c] - want[c]).abs() < 16.0,
            "stripped: {got:?} vs {want:?}"
        );
    }
    // Also through the public function, from the raw size.
    let enums::PhotoSize::PhotoStrippedSize(stripped) = &sizes[0] else {
        unreachable!()
    };
    assert_eq!(tgwire::stripped_to_jpeg(&stripped.bytes), thumb);

    // A size the photo does not have.
    let missing = client
        .download_media(&sent, &mut Vec::new())
        .photo_size("w")
        .await;
    assert!(matches!(missing, Err(FileError::NoMedia(_))), "{missing:?}");
    client.disconnect().await;
}

/// `chat`'s profile photo's stripped thumbnail, as `client` downloads it: a JPEG of `dims`
/// with roughly the colours of `original`, inflated from the bytes of the chat's object with
/// no file request, the same bytes as `stripped_to_jpeg` of the object's `stripped_thumb`.
async fn assert_stripped(
    client: &Client,
    chat: impl Into<tgwire::PeerQuery> + Clone,
    dims: (u32, u32),
    original: &[u8],
) {
    let mut thumb = Vec::new();
    client
        .download_profile_photo(chat.clone(), &mut thumb)
        .photo_size("i")
        .await
        .expect("inflates the stripped thumbnail");
    let decoded = image::load_from_memory_with_format(&thumb, image::ImageFormat::Jpeg)
        .expect("the inflated thumbnail decodes");
    assert_eq!(decoded.dimensions(), dims);
    let original = image::load_from_memory(original).unwrap();
    let (got, want) = (mean_rgb(&decoded), mean_rgb(&original));
    for c in 0..3 {
        assert!((got[c] - want[c]).abs() < 16.0, "{got:?} vs {want:?}");
    }
    let stripped = match client.get_chat(chat).await.unwrap() {
        tgwire::Chat::User(user) => match user.raw() {
            enums::User::User(u) => match &u.photo {
                Some(enums::UserProfilePhoto::UserProfilePhoto(p)) => p.stripped_thumb.clone(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        },
        tgwire::Chat::Group(group) => match group.raw() {
            enums::Chat::Chat(c) => match &c.photo {
                enums::ChatPhoto::ChatPhoto(p) => p.stripped_thumb.clone(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        },
        tgwire::Chat::Channel(channel) => match channel.raw() {
            enums::Chat::Channel(c) => match &c.photo {
                enums::ChatPhoto::ChatPhoto(p) => p.stripped_thumb.clone(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        },
    };
    let stripped = stripped.expect("the object carries a stripped thumbnail");
    assert_eq!(tgwire::stripped_to_jpeg(&stripped), thumb);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_photos_of_users_groups_and_channels() {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "2002").await;
    let (bob, _) = common::signed_in(&server, 2, "2003").await;
    alice.set_username(Some("alice_pics")).await.unwrap();
    let none = bob
        .download_profile_photo("@alice_pics", &mut Vec::new())
        .await;
    assert!(matches!(none, Err(FileError::NoMedia(_))), "{none:?}");

    let upload = |client: &Client, w, h| {
        let client = client.clone();
        async move {
            client
                .upload_bytes(gradient_png(w, h), "face.png")
                .await
                .unwrap()
                .raw()
                .clone()
        }
    };
    alice
        .upload_profile_photo(upload(&alice, 900, 900).await)
        .await
        .unwrap();
    // Bob sees Alice's current photo: big is the largest size, small the smallest.
    for (big, side) in [(true, 900), (false, 100)] {
        let mut out = Vec::new();
        let download = bob.download_profile_photo("@alice_pics", &mut out);
        let download = if big { download } else { download.small() };
        download.await.expect("downloads the profile photo");
        let decoded = image::load_from_memory(&out).expect("a JPEG");
        assert_eq!(decoded.dimensions(), (side, side), "big: {big}");
    }
    // Her user object carries the stripped thumbnail: inflated without a request.
    assert_stripped(&bob, "@alice_pics", (40, 40), &gradient_png(900, 900)).await;

    // A group's and a channel's photo.
    bob.set_username(Some("bob_pics")).await.unwrap();
    let group = alice
        .create_group("Pictures", ["@bob_pics"])
        .await
        .unwrap()
        .peer_ref()
        .unwrap();
    let tgwire::Chat::Channel(channel) = alice.create_channel("Gallery").await.unwrap() else {
        panic!("not a channel")
    };
    for (chat, w) in [(group, 500), (channel.peer_ref().unwrap(), 300)] {
        alice
            .edit_photo(chat, Some(upload(&alice, w, w / 2).await))
            .await
            .unwrap();
        let mut out = Vec::new();
        alice
            .download_profile_photo(chat, &mut out)
            .await
            .expect("downloads the chat photo");
        let decoded = image::load_from_memory(&out).expect("a JPEG");
        assert_eq!(decoded.dimensions(), (w, w / 2), "{chat}");
        // The group's and channel's objects carry the stripped thumbnail too, for members
        // and (the group) for Bob.
        assert_stripped(&alice, chat, (40, 20), &gradient_png(w, w / 2)).await;
    }
    assert_stripped(&bob, group, (40, 20), &gradient_png(500, 250)).await;
    // A chat without a photo has none.
    let bare = alice.create_group("Bare", ["@bob_pics"]).await.unwrap();
    let none = alice
        .download_profile_photo(bare.peer_ref().unwrap(), &mut Vec::new())
        .photo_size("i")
        .await;
    assert!(matches!(none, Err(FileError::NoMedia(_))), "{none:?}");
    alice.disconnect().await;
    bob.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_download_as_vcards() {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "2004").await;
    let media = types::InputMediaContact {
        phone_number: "99966212345".into(),
        first_name: "Ada;".into(),
        last_name: "Lovelace".into(),
        vcard: String::new().into(),
    };
    let sent = client
        .send_file("me", InputMedia::raw(media.into()))
        .await
        .unwrap();
    let mut out = Vec::new();
    client.download_media(&sent, &mut out).await.unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "BEGIN:VCARD\nVERSION:4.0\nN:Ada;Lovelace;;;\nFN:Ada Lovelace\n\
         TEL;TYPE=cell;VALUE=uri:tel:+99966212345\nEND:VCARD\n"
    );
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_bad_parts_and_ranges() {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "2005").await;
    // A big file's total part count out of range.
    for total in [0, 4001] {
        let error = client
            .invoke(&functions::upload::SaveBigFilePart {
                file_id: 21,
                file_part: 0,
                file_total_parts: total,
                bytes: vec![0; 1024].into(),
            })
            .await
            .unwrap_err();
        assert!(error.is("FILE_PARTS_INVALID"), "{total}: {error:?}");
    }
    // A file declared with fewer parts than were sent.
    for part in 0..3 {
        client
            .invoke(&functions::upload::SaveFilePart {
                file_id: 22,
                file_part: part,
                bytes: vec![7; 1024].into(),
            })
            .await
            .unwrap();
    }
    let media = types::InputMediaUploadedDocument {
        nosound_video: false,
        force_file: true,
        spoiler: false,
        file: types::InputFile {
            id: 22,
            parts: 2,
            name: "x.bin".into(),
            md5_checksum: String::new().into(),
        }
        .into(),
        thumb: None,
        mime_type: "application/octet-stream".into(),
        attributes: Vec::new(),
        stickers: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    };
    let error = client
        .send_file("me", InputMedia::raw(media.into()))
        .await
        .unwrap_err();
    assert!(
        error.rpc().is_some_and(|e| e.is("FILE_PARTS_INVALID")),
        "{error:?}"
    );

    // Download ranges: a limit that is no multiple of 4 KiB or does not divide 1 MiB, an
    // offset off the 4 KiB grid, a range across a 1 MiB boundary.
    let file = client
        .upload_bytes(vec![5u8; 3 << 20], "range.bin")
        .await
        .unwrap();
    let sent = client
        .send_file("me", InputMedia::document(file))
        .await
        .unwrap();
    let enums::Message::Message(m) = sent.raw() else {
        panic!()
    };
    let Some(enums::MessageMedia::Document(d)) = &m.media else {
        panic!()
    };
    let location = tgwire::FileLocation::of_document(d.document.as_ref().unwrap()).unwrap();
    for (offset, limit, expected) in [
        (0, 1000, "LIMIT_INVALID"),
        (0, 12_288, "LIMIT_INVALID"),
        (0, 2 << 20, "LIMIT_INVALID"),
        (1024, 4096, "OFFSET_INVALID"),
        ((1 << 20) - 4096, 8192, "OFFSET_INVALID"),
    ] {
        let error = client
            .invoke(&functions::upload::GetFile {
                precise: false,
                cdn_supported: false,
                location: location.raw().clone(),
                offset,
                limit,
            })
            .await
            .unwrap_err();
        assert!(error.is(expected), "{offset}+{limit}: {error:?}");
    }
    client.disconnect().await;
}
