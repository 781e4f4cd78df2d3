//! [`TlString`]: the owned string of TL `string` fields, short ones held inline.

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::str::FromStr;

use crate::inline_window::{inline_part, peek_short, short_size, to_inline, INLINE, WINDOW};
use crate::Slot;

/// The owned string type of TL `string` fields: a `String`-like value that holds up to 30 bytes inline
/// (most names, usernames, codes, short URLs and short messages), longer text in one exact-size heap
/// allocation.
///
/// It is 32 bytes, and `Option<TlString>` is too: 8 more than a `String`, so that strings of 23 to 30
/// bytes (links in entities, longer names) need no allocation. It is immutable: build a new one to
/// change a field. Build one with `"text".into()` or from a `String`/`Box<str>` (a `String` longer than
/// 30 bytes keeps its allocation, shrunk to fit); read it as a `&str` with [`as_str`](Self::as_str) or
/// through `Deref` (every `str` method works on it); turn it into a `String` with `.into()`,
/// [`into_string`](Self::into_string) or `to_string()`. It compares, orders and hashes like the `str` it
/// holds, and a `HashMap<TlString, _>` can be looked up with a `&str`.
///
/// ```
/// use tgwire_tl_types::TlString;
///
/// let name: TlString = "Ada".into();
/// assert_eq!(name, "Ada");
/// assert_eq!(name.len(), 3);
/// let owned: String = name.into();
/// assert_eq!(owned, "Ada");
/// assert_eq!(std::mem::size_of::<Option<TlString>>(), 32);
/// ```
#[derive(Clone)]
pub struct TlString(Repr);

#[derive(Clone)]
enum Repr {
    /// `buf[..len]` is valid UTF-8 (every constructor copies it from a `&str`).
    Inline {
        len: u8,
        buf: [u8; INLINE],
    },
    Heap(Box<str>),
}

impl TlString {
    /// The empty string (no allocation; usable in `const` items).
    #[inline]
    pub const fn new() -> Self {
        TlString(Repr::Inline {
            len: 0,
            buf: [0; INLINE],
        })
    }

    /// Copies `text`: inline when it is at most 30 bytes, otherwise into one exact-size allocation.
    #[inline]
    pub fn from_str_copy(text: &str) -> Self {
        match Self::inline(text) {
            Some(inline) => inline,
            None => TlString(Repr::Heap(Box::from(text))),
        }
    }

    #[inline]
    fn inline(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        Some(TlString(Repr::Inline {
            buf: to_inline(bytes)?,
            len: bytes.len() as u8,
        }))
    }

    /// Decodes a TL `string`'s bytes: invalid UTF-8 becomes U+FFFD (lossy). Short text is checked
    /// for ASCII eight bytes at a time and copied in place, without calling `from_utf8`.
    #[inline]
    pub(crate) fn from_utf8_lossy(bytes: &[u8]) -> Self {
        Self::from_utf8_lossy_then(bytes, |text| text)
    }

    /// [`from_utf8_lossy`](Self::from_utf8_lossy), handing the string to `then` on each path, so
    /// that a caller storing it stores it where each path built it (see [`Slot`]).
    #[inline(always)]
    fn from_utf8_lossy_then<R>(bytes: &[u8], then: impl FnOnce(Self) -> R) -> R {
        if bytes.len() <= INLINE {
            let mut wide = [0u8; WINDOW];
            wide[..bytes.len()].copy_from_slice(bytes);
            let ascii = wide.chunks_exact(8).fold(0, |acc, word| {
                acc | u64::from_ne_bytes(word.try_into().unwrap_or([0; 8]))
            });
            if ascii & 0x8080_8080_8080_8080 == 0 {
                return then(TlString(Repr::Inline {
                    len: bytes.len() as u8,
                    buf: inline_part(&wide),
                }));
            }
        }
        // `simdutf8` checks 64-byte blocks with AVX2 or SSE 4.2 (detected at run time; input under 64
        // bytes goes to `std`'s check), where `std`'s check steps byte by byte outside aligned ASCII
        // runs: validation was 7% of decoding compare/tl-codec's page of messages (texts of ~80 bytes
        // with one `—`), and this saved 3.5% of the decode.
        match simdutf8::basic::from_utf8(bytes) {
            Ok(text) => match Self::inline(text) {
                Some(inline) => then(inline),
                None => then(TlString(Repr::Heap(Box::from(text)))),
            },
            Err(_) => then(String::from_utf8_lossy(bytes).into()),
        }
    }

    /// Reads a TL `string` from `r` (see [`from_utf8_lossy`](Self::from_utf8_lossy)).
    ///
    /// The common case, a short ASCII string with at least [`WINDOW`] bytes of input after its length
    /// byte, is read as a fixed window ([`peek_short`]) and checked for ASCII in one pass over it.
    /// Everything else goes through [`read_other`](Self::read_other), kept out of line so that this
    /// path saves few registers.
    ///
    /// Always inlined in optimised builds: out of line, the value came back through memory, written
    /// as a tag byte, a length byte and pieces of the window, and the caller copied it on with loads
    /// that straddle those stores, which the CPU cannot forward from the pending stores (see
    /// [`Slot`]): inlining took a decode of compare/tl-codec's page of messages from 32.5 to 29.2 µs.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn read(r: &mut crate::Reader<'_>) -> Result<Self, crate::DeserializeError> {
        match Self::read_short(r) {
            Some(text) => Ok(text),
            None => Self::read_other(r),
        }
    }

    /// [`read`](Self::read) into a field being filled in (see [`Slot`]). Inlined, `read` still
    /// joins its two paths in a temporary that is then copied into the field, with the same stall;
    /// here each path writes the field itself.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn read_into(
        r: &mut crate::Reader<'_>,
        slot: &mut impl Slot<Self>,
    ) -> Result<(), crate::DeserializeError> {
        match Self::read_short(r) {
            Some(text) => {
                slot.put(text);
                Ok(())
            }
            None => Self::read_other_into(r, slot),
        }
    }

    /// The short ASCII string at the start of `r`, consumed; `None`, with nothing consumed, for
    /// anything else.
    #[inline(always)]
    fn read_short(r: &mut crate::Reader<'_>) -> Option<Self> {
        let (len, wide) = peek_short(r.rest())?;
        if wide.iter().fold(0, |acc, byte| acc | byte) & 0x80 != 0 {
            return None;
        }
        r.advance(short_size(len));
        Some(TlString(Repr::Inline {
            len: len as u8,
            buf: inline_part(&wide),
        }))
    }

    /// [`read`](Self::read) for long strings, text that is not ASCII, and strings near the end of the
    /// input.
    #[inline(never)]
    fn read_other(r: &mut crate::Reader<'_>) -> Result<Self, crate::DeserializeError> {
        Ok(Self::from_utf8_lossy(r.read_tl_bytes()?))
    }

    /// [`read_other`](Self::read_other) into a field being filled in.
    #[inline(never)]
    fn read_other_into(
        r: &mut crate::Reader<'_>,
        slot: &mut impl Slot<Self>,
    ) -> Result<(), crate::DeserializeError> {
        Self::from_utf8_lossy_then(r.read_tl_bytes()?, |text| {
            slot.put(text);
        });
        Ok(())
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Checking 30 bytes or fewer again is cheap; the crate has no `unsafe` to skip it.
            Repr::Inline { len, buf } => std::str::from_utf8(&buf[..usize::from(*len)])
                .expect("inline TlString bytes come from a str"),
            Repr::Heap(text) => text,
        }
    }

    /// The text's UTF-8 bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Heap(text) => text.as_bytes(),
        }
    }

    /// The text as a `String` (reuses the allocation of a long string).
    #[inline]
    pub fn into_string(self) -> String {
        match self.0 {
            Repr::Inline { .. } => self.as_str().to_owned(),
            Repr::Heap(text) => text.into_string(),
        }
    }

    /// Whether the text is held inline (no allocation).
    #[inline]
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }
}

impl Default for TlString {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl Deref for TlString {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for TlString {
    #[inline]
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for TlString {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<str> for TlString {
    #[inline]
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for TlString {
    #[inline]
    fn from(text: &str) -> Self {
        Self::from_str_copy(text)
    }
}

impl From<&String> for TlString {
    #[inline]
    fn from(text: &String) -> Self {
        Self::from_str_copy(text)
    }
}

impl From<&mut str> for TlString {
    #[inline]
    fn from(text: &mut str) -> Self {
        Self::from_str_copy(text)
    }
}

impl From<String> for TlString {
    #[inline]
    fn from(text: String) -> Self {
        match Self::inline(&text) {
            Some(inline) => inline,
            None => TlString(Repr::Heap(text.into_boxed_str())),
        }
    }
}

impl From<Box<str>> for TlString {
    #[inline]
    fn from(text: Box<str>) -> Self {
        match Self::inline(&text) {
            Some(inline) => inline,
            None => TlString(Repr::Heap(text)),
        }
    }
}

impl From<Cow<'_, str>> for TlString {
    #[inline]
    fn from(text: Cow<'_, str>) -> Self {
        match text {
            Cow::Borrowed(text) => Self::from_str_copy(text),
            Cow::Owned(text) => text.into(),
        }
    }
}

impl From<char> for TlString {
    #[inline]
    fn from(c: char) -> Self {
        Self::from_str_copy(c.encode_utf8(&mut [0; 4]))
    }
}

impl From<&TlString> for TlString {
    #[inline]
    fn from(text: &TlString) -> Self {
        text.clone()
    }
}

impl From<TlString> for String {
    #[inline]
    fn from(text: TlString) -> Self {
        text.into_string()
    }
}

impl From<&TlString> for String {
    #[inline]
    fn from(text: &TlString) -> Self {
        text.as_str().to_owned()
    }
}

impl From<TlString> for Box<str> {
    #[inline]
    fn from(text: TlString) -> Self {
        match text.0 {
            Repr::Inline { .. } => Box::from(text.as_str()),
            Repr::Heap(text) => text,
        }
    }
}

impl<'a> From<&'a TlString> for Cow<'a, str> {
    #[inline]
    fn from(text: &'a TlString) -> Self {
        Cow::Borrowed(text.as_str())
    }
}

impl FromStr for TlString {
    type Err = std::convert::Infallible;

    #[inline]
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_str_copy(text))
    }
}

impl FromIterator<char> for TlString {
    fn from_iter<I: IntoIterator<Item = char>>(chars: I) -> Self {
        String::from_iter(chars).into()
    }
}

impl<'a> FromIterator<&'a str> for TlString {
    fn from_iter<I: IntoIterator<Item = &'a str>>(parts: I) -> Self {
        String::from_iter(parts).into()
    }
}

impl fmt::Display for TlString {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for TlString {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for TlString {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for TlString {}

impl PartialOrd for TlString {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TlString {
    /// Byte order, which is `str`'s order.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for TlString {
    /// Hashes like the `str` it holds (so `Borrow<str>` lookups work).
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

macro_rules! eq_str {
    ($($other:ty),*) => {$(
        impl PartialEq<$other> for TlString {
            #[inline]
            fn eq(&self, other: &$other) -> bool {
                self.as_bytes() == AsRef::<str>::as_ref(other).as_bytes()
            }
        }

        impl PartialEq<TlString> for $other {
            #[inline]
            fn eq(&self, other: &TlString) -> bool {
                AsRef::<str>::as_ref(self).as_bytes() == other.as_bytes()
            }
        }
    )*};
}

eq_str!(str, &str, String, Cow<'_, str>);

impl PartialEq<&TlString> for TlString {
    #[inline]
    fn eq(&self, other: &&TlString) -> bool {
        self == *other
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for TlString {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for TlString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = TlString;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<TlString, E> {
                Ok(TlString::from_str_copy(text))
            }

            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<TlString, E> {
                Ok(text.into())
            }
        }

        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::collections::HashMap;

    fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
        let mut h = DefaultHasher::new();
        value.hash(&mut h);
        h.finish()
    }

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<TlString>(), 32);
        assert_eq!(std::mem::size_of::<Option<TlString>>(), 32);
    }

    #[test]
    fn inline_up_to_30_bytes_then_heap() {
        for len in 0..=40 {
            let text = "x".repeat(len);
            for s in [
                TlString::from(text.as_str()),
                TlString::from(text.clone()),
                TlString::from(text.clone().into_boxed_str()),
            ] {
                assert_eq!(s.is_inline(), len <= 30, "len {len}");
                assert_eq!(s, text);
                assert_eq!(s.len(), len);
                assert_eq!(String::from(s.clone()), text);
                assert_eq!(Box::<str>::from(s.clone()), text.clone().into_boxed_str());
                assert_eq!(hash_of(&s), hash_of(text.as_str()));
            }
        }
        // 30 bytes of multi-byte text stay inline; 31 do not.
        assert!(TlString::from("ééééééééééééééé").is_inline());
        assert!(!TlString::from("ééééééééééééééé!").is_inline());
    }

    #[test]
    fn compares_orders_and_looks_up_like_str() {
        let a = TlString::from("apple");
        let b = TlString::from("banana, a rather long fruit name");
        assert!(a < b);
        assert_eq!(a.cmp(&a.clone()), Ordering::Equal);
        assert_eq!(a, "apple");
        assert_eq!("apple", a);
        assert_eq!(a, String::from("apple"));
        assert_eq!(String::from("apple"), a);
        assert_ne!(a, "apples");
        let mut map = HashMap::new();
        map.insert(b.clone(), 1);
        map.insert(a.clone(), 2);
        assert_eq!(map.get("apple"), Some(&2));
        assert_eq!(map.get("banana, a rather long fruit name"), Some(&1));
        assert_eq!(format!("{a} {a:?}"), "apple \"apple\"");
        assert_eq!(TlString::default(), "");
        assert_eq!("ab".parse::<TlString>().unwrap(), "ab");
        assert_eq!(['a', 'b'].into_iter().collect::<TlString>(), "ab");
    }

    #[test]
    fn decodes_bytes_lossily_at_every_length() {
        for len in 0..=40 {
            let ascii = "a".repeat(len);
            assert_eq!(TlString::from_utf8_lossy(ascii.as_bytes()), ascii);
            let multibyte: String = "é".repeat(len);
            assert_eq!(TlString::from_utf8_lossy(multibyte.as_bytes()), multibyte);
            for at in 0..len {
                let mut bad = ascii.clone().into_bytes();
                bad[at] = 0xff;
                let expected = String::from_utf8_lossy(&bad).into_owned();
                assert_eq!(
                    TlString::from_utf8_lossy(&bad),
                    expected,
                    "len {len} at {at}"
                );
            }
        }
    }

    #[test]
    fn reads_strings_with_and_without_bytes_after_them() {
        use crate::{Reader, Serializable};
        // The window path needs 32 bytes after the length byte; a string at the end of the input, or
        // followed by fewer bytes, takes the other path. Both must consume exactly the string.
        for len in 0..=40 {
            for text in [
                "a".repeat(len),
                "é".repeat(len / 2),
                "x\u{7f}".repeat(len / 2),
            ] {
                let mut bad = text.clone().into_bytes();
                if let Some(b) = bad.last_mut() {
                    *b = 0xff;
                }
                for bytes in [text.as_bytes(), &bad[..]] {
                    let expected = String::from_utf8_lossy(bytes);
                    for after in [0, 3, 23, 24, 30, 31, 32, 40] {
                        let mut input = Vec::new();
                        bytes.to_vec().serialize(&mut input);
                        let end = input.len();
                        input.extend((0..after).map(|i| 0x80 | i as u8));
                        let mut r = Reader::new(&input);
                        let read = TlString::read(&mut r).unwrap();
                        assert_eq!(read, expected, "len {len} after {after}");
                        assert_eq!(read.is_inline(), expected.len() <= INLINE);
                        assert_eq!(r.position(), end, "len {len} after {after}");
                        // Into a field, and into an optional one, on each of the same paths.
                        let mut r = Reader::new(&input);
                        let mut field = TlString::new();
                        TlString::read_into(&mut r, &mut field).unwrap();
                        assert_eq!(
                            (&field, r.position()),
                            (&read, end),
                            "len {len} after {after}"
                        );
                        let mut r = Reader::new(&input);
                        let mut optional = None;
                        TlString::read_into(&mut r, &mut optional).unwrap();
                        assert_eq!(optional.as_ref(), Some(&read), "len {len} after {after}");
                        assert_eq!(r.position(), end, "len {len} after {after}");
                        // Cut short, every path fails, leaving the field as it was.
                        for cut in 0..end.saturating_sub(3) {
                            let mut optional = None;
                            let into =
                                TlString::read_into(&mut Reader::new(&input[..cut]), &mut optional);
                            assert!(into.is_err() && optional.is_none(), "len {len} cut {cut}");
                        }
                    }
                }
            }
        }
    }
}
