//! How generated types print byte strings in `Debug` (see the crate docs, "Printing").

use std::fmt;

/// Bytes beyond this many are summarised by their length.
const SHOWN: usize = 64;

/// A byte string in `Debug`: escaped like a Rust byte-string literal (`b"ok\x00"`), and for more
/// than 64 bytes only the first 64 followed by the total length (`b"…"… (1048576 bytes)`), so
/// that printing a file part or an auth key stays readable.
///
/// ```
/// use tgwire_tl_types::runtime::DebugBytes;
///
/// assert_eq!(format!("{:?}", DebugBytes(b"ok\x00\"")), r#"b"ok\x00\"""#);
/// let long = format!("{:?}", DebugBytes(&[b'a'; 100]));
/// assert!(long.ends_with("\"… (100 bytes)"));
/// ```
pub struct DebugBytes<'a>(pub &'a [u8]);

impl fmt::Debug for DebugBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("b\"")?;
        for &byte in self.0.iter().take(SHOWN) {
            match byte {
                b'"' => f.write_str("\\\"")?,
                b'\\' => f.write_str("\\\\")?,
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                b'\t' => f.write_str("\\t")?,
                0x20..=0x7e => fmt::Write::write_char(f, char::from(byte))?,
                _ => write!(f, "\\x{byte:02x}")?,
            }
        }
        f.write_str("\"")?;
        if self.0.len() > SHOWN {
            write!(f, "… ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

/// A list of byte strings in `Debug`, each as [`DebugBytes`].
pub struct DebugBytesList<'a>(pub &'a [crate::TlBytes]);

impl fmt::Debug for DebugBytesList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|b| DebugBytes(b)))
            .finish()
    }
}
