//! The sizes Telegram makes of an uploaded photo: the image decoded (JPEG or PNG), downscaled
//! to fit each standard box, each size re-encoded as a JPEG, plus the inline stripped
//! thumbnail (type `"i"`).
//!
//! Boxes (the longest side at most): `s` 100, `m` 320, `x` 800, `y` 1280, `w` 2560. Every box
//! smaller than the image gets a downscaled copy; the first box the image fits in gets the image
//! at its own size, and larger boxes are left out (Telegram never upscales).
//!
//! The stripped thumbnail is the image scaled to fit 40×40 and encoded as a baseline JPEG with
//! the standard tables at quality 20 and 2×2 luminance sampling — the one header every client
//! puts back (`tgwire::stripped_to_jpeg`) — of which only the entropy-coded scan is kept, after
//! a version byte and the height and width: `[1, h, w, scan…]`.

use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView};

/// The size boxes, smallest first.
const BOXES: [(&str, u32); 5] = [("s", 100), ("m", 320), ("x", 800), ("y", 1280), ("w", 2560)];
/// The stripped thumbnail's box.
const STRIPPED_BOX: u32 = 40;
/// The quality the shared stripped header's tables are scaled to.
const STRIPPED_QUALITY: u8 = 20;
/// The quality of the stored sizes.
const SIZE_QUALITY: u8 = 87;
/// Telegram refuses photos whose width plus height exceeds this.
pub(crate) const MAX_SIDES: u32 = 10_000;

/// One stored size of a photo.
pub(crate) struct MadeSize {
    pub(crate) kind: &'static str,
    pub(crate) w: u32,
    pub(crate) h: u32,
    pub(crate) jpeg: Vec<u8>,
}

/// Everything made of one uploaded photo.
pub(crate) struct MadePhoto {
    /// Smallest first.
    pub(crate) sizes: Vec<MadeSize>,
    /// `[1, h, w, scan…]`.
    pub(crate) stripped: Vec<u8>,
}

/// Why an upload cannot become a photo.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PhotoError {
    /// The bytes are no JPEG or PNG this server decodes.
    NotAnImage,
    /// Zero-sized, or width + height above [`MAX_SIDES`].
    Dimensions,
}

/// Decodes `bytes` and makes the photo's sizes.
pub(crate) fn make_photo(bytes: &[u8]) -> Result<MadePhoto, PhotoError> {
    let image = image::load_from_memory(bytes).map_err(|_| PhotoError::NotAnImage)?;
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 || w + h > MAX_SIDES {
        return Err(PhotoError::Dimensions);
    }
    let longest = w.max(h);
    let mut sizes = Vec::new();
    for (kind, side) in BOXES {
        let fits = longest <= side;
        let sized = if fits {
            image.clone()
        } else {
            image.resize(side, side, FilterType::Triangle)
        };
        sizes.push(MadeSize {
            kind,
            w: sized.width(),
            h: sized.height(),
            jpeg: jpeg(&sized, SIZE_QUALITY).ok_or(PhotoError::NotAnImage)?,
        });
        if fits {
            break;
        }
    }
    let small = image.resize(STRIPPED_BOX, STRIPPED_BOX, FilterType::Triangle);
    let stripped = stripped(&small).ok_or(PhotoError::NotAnImage)?;
    Ok(MadePhoto { sizes, stripped })
}

/// `image` as a baseline JPEG (standard tables, 2×2 luminance sampling below quality 90).
fn jpeg(image: &DynamicImage, quality: u8) -> Option<Vec<u8>> {
    let rgb = image.to_rgb8();
    let (w, h) = (
        u16::try_from(rgb.width()).ok()?,
        u16::try_from(rgb.height()).ok()?,
    );
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder
        .encode(rgb.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .ok()?;
    Some(out)
}

/// The stripped form of `image` (at most 40×40): its JPEG's scan after `[1, h, w]`.
fn stripped(image: &DynamicImage) -> Option<Vec<u8>> {
    let (w, h) = (
        u8::try_from(image.width()).ok()?,
        u8::try_from(image.height()).ok()?,
    );
    let jpeg = jpeg(image, STRIPPED_QUALITY)?;
    let scan = scan_of(&jpeg)?;
    let mut out = vec![1, h, w];
    out.extend_from_slice(scan);
    Some(out)
}

/// The entropy-coded data of a single-scan JPEG: what follows the start-of-scan segment, up to
/// the end-of-image marker.
fn scan_of(jpeg: &[u8]) -> Option<&[u8]> {
    let mut rest = jpeg
        .strip_prefix(&[0xff, 0xd8])?
        .strip_suffix(&[0xff, 0xd9])?;
    loop {
        let [0xff, marker, high, low, ..] = *rest else {
            return None;
        };
        let after = rest.get(2 + usize::from(u16::from_be_bytes([high, low]))..)?;
        if marker == 0xda {
            return Some(after);
        }
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn sizes_fit_their_boxes_and_stop_at_the_image() {
        let made = make_photo(&png(1000, 500)).unwrap();
        let dims: Vec<(&str, u32, u32)> = made.sizes.iter().map(|s| (s.kind, s.w, s.h)).collect();
        assert_eq!(
            dims,
            [
                ("s", 100, 50),
                ("m", 320, 160),
                ("x", 800, 400),
                ("y", 1000, 500)
            ]
        );
        for size in &made.sizes {
            let back = image::load_from_memory(&size.jpeg).unwrap();
            assert_eq!((back.width(), back.height()), (size.w, size.h));
        }
        assert_eq!(&made.stripped[..3], [1, 20, 40]);
        // A small image is one size, as it is.
        let tiny = make_photo(&png(64, 64)).unwrap();
        assert_eq!(tiny.sizes.len(), 1);
        assert_eq!((tiny.sizes[0].kind, tiny.sizes[0].w), ("s", 64));
    }

    #[test]
    fn junk_and_huge_images_are_refused() {
        assert_eq!(
            make_photo(b"not an image").err(),
            Some(PhotoError::NotAnImage)
        );
        assert_eq!(
            make_photo(&png(10_000, 1)).err(),
            Some(PhotoError::Dimensions)
        );
    }
}
