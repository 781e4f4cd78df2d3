//! Stripped photo sizes (`photoStrippedSize`, type `"i"`): a tiny JPEG (at most 40×40) sent
//! inline in the photo, with the header every such JPEG shares cut off. Putting it back gives
//! a file any decoder reads; clients show it blurred while the real size downloads.
//!
//! The bytes are `[1, height, width, entropy-coded scan…]`. The shared header is JFIF 1.1, the
//! JPEG standard's example quantization tables (ITU T.81 Annex K.1) scaled to IJG quality 20, a
//! baseline frame of three components with the luminance sampled 2×2 against the chrominance,
//! the standard's example Huffman tables (Annex K.3), and one scan over all three components.
//! The header is built here from those tables rather than stored as an opaque blob; a test
//! checks it byte for byte against the header other clients use.

/// The first byte of the stripped form this module knows.
const STRIPPED_V1: u8 = 1;

/// Annex K.1 table K.1 (luminance), in natural (row-major) order.
const LUMA_QUANT: [u8; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/// Annex K.1 table K.2 (chrominance), in natural order.
const CHROMA_QUANT: [u8; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/// The natural index of each zig-zag position (DQT segments list coefficients in zig-zag order).
const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// The quality the shared header's tables are scaled to.
const QUALITY: u32 = 20;

/// Annex K.3: code counts per length (1–16 bits), then the symbols, for DC luminance (class 0,
/// table 0), AC luminance (class 1, table 0), DC chrominance and AC chrominance.
const DC_COUNTS: [[u8; 16]; 2] = [
    [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
];
const DC_SYMBOLS: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_COUNTS: [[u8; 16]; 2] = [
    [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
    [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
];
/// The first symbols of the AC tables in code order; the rest of each table (see
/// [`ac_symbols`]) is every remaining (run, size) pair in order.
const AC_LUMA_HEAD: [u8; 37] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
    0x24, 0x33, 0x62, 0x72, 0x82,
];
const AC_CHROMA_HEAD: [u8; 43] = [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
    0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1,
];

/// Where the frame header stores the height's low byte and the width's low byte.
const HEIGHT_AT: usize = 164;
const WIDTH_AT: usize = 166;

/// An AC table's symbols: `head`, then every (run, size) pair (run 0–15, size 1–10) not in
/// it, in increasing order — that is how Annex K.3's long tails are laid out.
fn ac_symbols(head: &[u8]) -> Vec<u8> {
    let mut symbols = head.to_vec();
    for run in 0..16u8 {
        for size in 1..=10u8 {
            let symbol = run << 4 | size;
            if !head.contains(&symbol) {
                symbols.push(symbol);
            }
        }
    }
    symbols
}

/// One quantization table at [`QUALITY`], in zig-zag order (IJG scaling: a factor of
/// 5000 / quality percent below quality 50, rounded, clamped to 1..=255).
fn scaled(table: &[u8; 64]) -> [u8; 64] {
    let scale = 5000 / QUALITY;
    let mut out = [0u8; 64];
    for (k, natural) in ZIGZAG.iter().enumerate() {
        let value = (u32::from(table[*natural]) * scale + 50) / 100;
        out[k] = value.clamp(1, 255) as u8;
    }
    out
}

fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xff, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// The shared header with height and width 0.
fn header() -> Vec<u8> {
    let mut out = vec![0xff, 0xd8];
    // JFIF 1.1, no density unit, 1:1, no thumbnail.
    segment(
        &mut out,
        0xe0,
        &[b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0],
    );
    for (id, table) in [(0u8, &LUMA_QUANT), (1, &CHROMA_QUANT)] {
        let mut body = vec![id];
        body.extend_from_slice(&scaled(table));
        segment(&mut out, 0xdb, &body);
    }
    // Baseline, 8 bits, height and width (patched in), three components: Y sampled 2×2 with
    // table 0, Cb and Cr 1×1 with table 1.
    segment(
        &mut out,
        0xc0,
        &[8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1],
    );
    for table in 0..2 {
        let head: &[u8] = if table == 0 {
            &AC_LUMA_HEAD
        } else {
            &AC_CHROMA_HEAD
        };
        for (class, counts, symbols) in [
            (0u8, &DC_COUNTS[table], DC_SYMBOLS.to_vec()),
            (1, &AC_COUNTS[table], ac_symbols(head)),
        ] {
            let mut body = vec![class << 4 | table as u8];
            body.extend_from_slice(counts);
            body.extend_from_slice(&symbols);
            segment(&mut out, 0xc4, &body);
        }
    }
    // One scan: Y with tables 0/0, Cb and Cr with 1/1, coefficients 0–63, no approximation.
    segment(&mut out, 0xda, &[3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 0x3f, 0]);
    out
}

/// Inflates a stripped thumbnail (the `bytes` of a `photoStrippedSize`) to a JPEG file.
/// Bytes not in the stripped form are returned unchanged (some servers send a whole JPEG).
///
/// ```
/// let jpeg = tgwire::stripped_to_jpeg(&[1, 40, 30, 0xab]);
/// assert_eq!(&jpeg[..2], &[0xff, 0xd8]);
/// assert_eq!(&jpeg[jpeg.len() - 2..], &[0xff, 0xd9]);
/// ```
pub fn stripped_to_jpeg(stripped: &[u8]) -> Vec<u8> {
    let [STRIPPED_V1, height, width, scan @ ..] = stripped else {
        return stripped.to_vec();
    };
    let mut jpeg = header();
    jpeg[HEIGHT_AT] = *height;
    jpeg[WIDTH_AT] = *width;
    jpeg.reserve(scan.len() + 2);
    jpeg.extend_from_slice(scan);
    jpeg.extend_from_slice(&[0xff, 0xd9]);
    jpeg
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn the_header_is_the_one_every_client_uses() {
        let header = header();
        assert_eq!(header.len(), 623);
        // SHA-256 of Telethon 1.45's `utils.stripped_photo_to_jpg(bytes([1, 0x20, 0x28, 0xab]))`.
        let jpeg = stripped_to_jpeg(&[1, 0x20, 0x28, 0xab]);
        assert_eq!(jpeg.len(), 623 + 1 + 2);
        let digest: String = Sha256::digest(&jpeg)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            digest,
            "d0f44664fdea52864558164dd3db4361ff4bd3285d8f71635af94847df9d6112"
        );
        assert_eq!(
            (jpeg[163], jpeg[164], jpeg[165], jpeg[166]),
            (0, 0x20, 0, 0x28)
        );
    }

    #[test]
    fn other_bytes_pass_through() {
        assert_eq!(stripped_to_jpeg(&[2, 3, 4, 5]), [2, 3, 4, 5]);
        assert_eq!(stripped_to_jpeg(&[1, 2]), [1, 2]);
        assert!(stripped_to_jpeg(&[]).is_empty());
        let jpeg = stripped_to_jpeg(&[1, 12, 34, 5, 6, 7]);
        assert_eq!(&jpeg[623..], [5, 6, 7, 0xff, 0xd9]);
    }
}
