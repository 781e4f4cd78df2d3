//! Placeholder: this crate's contents arrive with its issue. See `ARCHITECTURE.md`.
