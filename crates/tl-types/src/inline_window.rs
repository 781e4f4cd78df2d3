//! The inline storage shared by [`TlString`](crate::TlString) and [`TlBytes`](crate::TlBytes): how
//! many bytes they hold without an allocation, and the fixed-window read of a short value.

/// How many bytes a `TlString` or `TlBytes` holds without an allocation: with the length byte and
/// the enum's tag, the value is 32 bytes.
pub(crate) const INLINE: usize = 30;

/// [`INLINE`] as a pattern bound.
const INLINE_U8: u8 = INLINE as u8;

/// The bytes [`peek_short`] copies at once after a length byte: whole words covering the longest
/// inline value.
pub(crate) const WINDOW: usize = INLINE.div_ceil(8) * 8;

/// [`WINDOW`] bytes of `0xff`, then as many zeros: `KEEP[WINDOW - len..][..WINDOW]` keeps the first
/// `len` bytes of a window.
static KEEP: [u8; 2 * WINDOW] = {
    let mut keep = [0; 2 * WINDOW];
    let mut i = 0;
    while i < WINDOW {
        keep[i] = 0xff;
        i += 1;
    }
    keep
};

/// `bytes` in an inline buffer (zero after them), or `None` when they are longer than [`INLINE`].
#[inline]
pub(crate) fn to_inline(bytes: &[u8]) -> Option<[u8; INLINE]> {
    let mut buf = [0; INLINE];
    buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(buf)
}

/// The first [`INLINE`] bytes of a window.
#[inline(always)]
pub(crate) fn inline_part(wide: &[u8; WINDOW]) -> [u8; INLINE] {
    let mut buf = [0; INLINE];
    buf.copy_from_slice(&wide[..INLINE]);
    buf
}

/// The TL `string`/`bytes` value at the start of `rest` when it is short (at most [`INLINE`] bytes)
/// and at least [`WINDOW`] bytes of input follow its length byte: its length and a window holding
/// its bytes, zero beyond them. The caller then advances by [`short_size`].
///
/// It copies a fixed window and masks off what lies beyond the value with a mask cut from `KEEP`,
/// so it needs no variable-length copy (a `memcpy` call) and no branch per byte or word. Anything
/// else (`None`) takes the general path, `Reader::read_tl_bytes`.
#[inline(always)]
pub(crate) fn peek_short(rest: &[u8]) -> Option<(usize, [u8; WINDOW])> {
    let [len @ 0..=INLINE_U8, tail @ ..] = rest else {
        return None;
    };
    let len = usize::from(*len);
    let window = tail.first_chunk::<WINDOW>()?;
    let keep = KEEP
        .get(WINDOW - len..)
        .and_then(<[u8]>::first_chunk::<WINDOW>)?;
    let mut wide = [0u8; WINDOW];
    for ((out, byte), keep) in wide.iter_mut().zip(window).zip(keep) {
        *out = byte & keep;
    }
    Some((len, wide))
}

/// The input a short value takes: 1 length byte + the value, padded to a multiple of 4 (within the
/// length byte and the window).
#[inline(always)]
pub(crate) const fn short_size(len: usize) -> usize {
    (len + 4) & !3
}
