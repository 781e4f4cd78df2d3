//! [`Slot`]: where the decoders that fill in a placeholder put a field's value.
//!
//! A decoded value that is returned, then copied into its field, travels through memory twice, and
//! when the pieces it was written in do not match the pieces it is read back in (a tag byte and a
//! misaligned window for a short string; a tag and a payload for a small enum), the copy waits for
//! the writes to reach the cache: a store-forwarding stall, tens of cycles, that instruction counts
//! do not show. The decoders of values filled in place (`deserialize_bare_into`) instead hand the
//! field itself to the decoder of each string, byte string and enum field, which writes its value
//! there on every path.

/// A field that a decoder fills in: a value of `T`, or an optional one.
///
/// The field must hold nothing on the heap (a placeholder's `None`, empty string or unit variant):
/// [`put`](Slot::put) overwrites it without dropping it. That saves the drop call, across which the
/// new value would have to be saved to the stack. A field that did hold something would leak, not
/// misbehave; debug builds check that an optional field is `None`.
pub(crate) trait Slot<T> {
    /// Stores `value` over what the field held and returns it in place (always `Some`: an `Option`
    /// gives it back without an `unwrap` that could panic, and a filled arm's `if let` checks it
    /// anyway).
    fn put(&mut self, value: T) -> Option<&mut T>;
}

impl<T> Slot<T> for T {
    #[inline(always)]
    fn put(&mut self, value: T) -> Option<&mut T> {
        std::mem::forget(std::mem::replace(self, value));
        Some(self)
    }
}

impl<T> Slot<T> for Option<T> {
    // Not `Option::insert`: it drops the old value, and was left out of line in the decoders, with the
    // value passed to it through memory (the very stall this avoids).
    #[inline(always)]
    fn put(&mut self, value: T) -> Option<&mut T> {
        debug_assert!(self.is_none(), "a placeholder's optional field is None");
        std::mem::forget(self.replace(value));
        self.as_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::Slot;
    use crate::TlString;

    #[test]
    fn put_stores_the_value_in_either_kind_of_field() {
        let mut field = TlString::new();
        assert_eq!(
            Slot::<TlString>::put(&mut field, "a".into()).map(|s| s.as_str()),
            Some("a")
        );
        assert_eq!(field, "a");
        let mut optional: Option<TlString> = None;
        assert_eq!(
            Slot::<TlString>::put(&mut optional, "b".into()).map(|s| s.as_str()),
            Some("b")
        );
        assert_eq!(optional.as_deref(), Some("b"));
    }
}
