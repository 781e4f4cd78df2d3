//! How each enum variant holds its constructor: in place or in a `Box`.
//!
//! Decoding allocates once per boxed value, and allocation is most of what decoding costs, so a
//! constructor is held in place whenever that keeps its enum small: when its struct is at most
//! [`INLINE_LIMIT`] bytes (peers, entities, photo sizes, statuses, small updates). Constructors of the
//! types listed in [`Config::in_place`](crate::Config::in_place) (the objects answers carry by the
//! dozen: messages, users, chats) are held in place up to [`IN_PLACE_LIMIT`], so a vector of them is one
//! allocation instead of one per element, and a constructor holding one (an update with its message)
//! needs one box instead of two.
//!
//! Sizes are estimates of the Rust layout (x86-64), counting the enums a struct holds by value at their
//! own estimated size. A struct may hold an enum in place only if that cannot make a type contain
//! itself: while a constructor is being sized, reaching it again through its fields marks the path as
//! unsized, and a constructor with an unsized field is boxed. Boxing is always safe, so the outcome only
//! depends on the (deterministic) order in which constructors are visited: file order.

use std::collections::{HashMap, HashSet};

use tgwire_tl_parser::{Definition, ParamType, Type};

use crate::model::{Coding, Model};

/// How an enum variant holds its constructor's struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Storage {
    /// No parameters: a unit variant.
    Unit,
    /// In place: a small struct ([`INLINE_LIMIT`]), or one of a type listed as held in place.
    Inline,
    /// In a `Box`, so that the enum stays small and recursive types have a size.
    Boxed,
}

/// The largest struct (estimated bytes) held in place in its enum. Most values of small constructors
/// are not much larger than the box pointer they would otherwise need; the limit keeps enums of many
/// variants from growing much (an enum is as large as its largest variant held in place).
pub(crate) const INLINE_LIMIT: usize = 48;

/// The largest struct held in place for the types of [`Config::in_place`](crate::Config::in_place):
/// a safety net, so that a schema change cannot silently make such an enum huge (it is boxed instead).
pub(crate) const IN_PLACE_LIMIT: usize = 1024;

/// The storage of every constructor of a schema, by full TL name.
pub(crate) fn compute(model: &Model<'_>) -> HashMap<String, Storage> {
    let mut sizer = Sizer {
        model,
        decided: HashMap::new(),
        enum_sizes: HashMap::new(),
        in_progress: HashSet::new(),
    };
    for def in &model.constructors {
        sizer.decide(def);
    }
    sizer
        .decided
        .into_iter()
        .map(|(name, (storage, _))| (name, storage))
        .collect()
}

struct Sizer<'m, 'a> {
    model: &'m Model<'a>,
    /// Constructors decided so far, with their estimated struct size when sized.
    decided: HashMap<String, (Storage, Option<usize>)>,
    /// Estimated enum sizes, by full TL type name; only sizes computed without a cycle are kept.
    enum_sizes: HashMap<String, usize>,
    /// Constructors being sized (on the current path); reaching one again is a cycle.
    in_progress: HashSet<String>,
}

impl Sizer<'_, '_> {
    /// Decides how `def` is held; `None` while `def` is itself being sized (a cycle).
    fn decide(&mut self, def: &Definition) -> Option<(Storage, Option<usize>)> {
        let key = def.full_name();
        if let Some(done) = self.decided.get(&key) {
            return Some(*done);
        }
        if self.in_progress.contains(&key) {
            return None;
        }
        if def.params.is_empty() {
            self.decided.insert(key, (Storage::Unit, Some(0)));
            return Some((Storage::Unit, Some(0)));
        }
        self.in_progress.insert(key.clone());
        let size = self.struct_size(def);
        self.in_progress.remove(&key);
        let limit = if self.model.config.in_place.contains(&def.ty.full_name()) {
            IN_PLACE_LIMIT
        } else {
            INLINE_LIMIT
        };
        let storage = match size {
            Some(n) if n <= limit => Storage::Inline,
            _ => Storage::Boxed,
        };
        self.decided.insert(key, (storage, size));
        Some((storage, size))
    }

    /// The estimated size of `def`'s struct; `None` if a field cannot be sized (a cycle, a generic, a
    /// bare constructor).
    fn struct_size(&mut self, def: &Definition) -> Option<usize> {
        let mut size = 0;
        for p in &def.params {
            let ParamType::Normal { ty, flag } = &p.ty else {
                continue;
            };
            if p.is_flag_bit() {
                size += 1;
                continue;
            }
            let (base, niche) = self.field_size(ty, &def.generics)?;
            // An `Option` of a type with a niche (a pointer, an enum's spare tags) costs nothing; of a
            // number it about doubles it (the tag, padded to the number's alignment).
            size += match flag {
                Some(_) if !niche => base + base.min(8),
                _ => base,
            };
        }
        // Rust orders fields to avoid padding; only the end is rounded to the alignment.
        Some(size.next_multiple_of(8))
    }

    /// The estimated size of a field of type `ty`, and whether `Option` of it needs no extra space.
    fn field_size(&mut self, ty: &Type, generics: &[String]) -> Option<(usize, bool)> {
        if ty.generic_ref || (ty.namespace.is_empty() && generics.contains(&ty.name)) {
            return None;
        }
        if ty.namespace.is_empty() {
            let primitive = match ty.name.as_str() {
                "Bool" | "true" => Some((1, true)),
                "int" => Some((4, false)),
                "long" | "double" => Some((8, false)),
                "int128" => Some((16, false)),
                "int256" => Some((32, false)),
                // A `TlString` is 32 bytes since it holds 30 inline, and so is a `TlBytes`; both are
                // still counted at 24, the size these limits were chosen with, so that the inline room
                // moved no constructor into a box (counted at 32, about 60 enum variants of api.tl would be
                // boxed: a change of the generated API). The real enum sizes are checked by
                // tl-types' `enums_stay_small_…` test.
                "string" | "bytes" | "Vector" | "vector" => Some((24, true)),
                _ => None,
            };
            if primitive.is_some() {
                return primitive;
            }
        }
        if self.model.coding(ty, generics).ok()? != Coding::Trait {
            // A bare constructor held by value: rare (MTProto only); not worth sizing.
            return None;
        }
        Some((self.enum_size(ty)?, true))
    }

    /// The estimated size of the enum of boxed type `ty`; `None` if one of its constructors is being
    /// sized (holding the enum in place could then make a type contain itself).
    fn enum_size(&mut self, ty: &Type) -> Option<usize> {
        let key = ty.full_name();
        if let Some(size) = self.enum_sizes.get(&key) {
            return Some(*size);
        }
        let variants = self.model.variants_of(ty)?;
        let mut payload = 0;
        let mut boxed = 0;
        for def in &variants {
            match self.decide(def)? {
                (Storage::Unit, _) => {}
                (Storage::Boxed, _) => {
                    boxed += 1;
                    payload = payload.max(8);
                }
                (Storage::Inline, size) => payload = payload.max(size?),
            }
        }
        // One boxed variant and nothing else: the pointer alone (its null is the niche). Otherwise a
        // tag, padded to the payload's alignment.
        let size = if variants.len() == 1 && boxed == 1 {
            8
        } else {
            payload.next_multiple_of(8) + 8
        };
        self.enum_sizes.insert(key, size);
        Some(size)
    }
}

#[cfg(test)]
mod tests {
    use super::Storage;
    use crate::model::Model;
    use crate::Config;

    /// The storage of each constructor of `schema` (by TL name), generated with `in_place`.
    fn storages(schema: &str, in_place: &[&str]) -> Vec<(String, Storage)> {
        let schema = tgwire_tl_parser::parse(schema).unwrap();
        let config = Config {
            in_place: in_place.iter().map(|s| (*s).to_owned()).collect(),
            ..Config::default()
        };
        let model = Model::new(&schema, &config).unwrap();
        model
            .constructors
            .iter()
            .map(|def| (def.full_name(), model.storage(def)))
            .collect()
    }

    const SCHEMA: &str = "\
        peerUser user_id:long = Peer;\n\
        peerChat chat_id:long = Peer;\n\
        big a:long b:long c:long d:long e:long f:long g:long = Big;\n\
        holder peer:Peer x:int = Holder;\n\
        tree left:Tree right:Tree = Tree;\n\
        leaf = Tree;\n\
        ping other:Pong = Ping;\n\
        pong other:Ping = Pong;\n\
        pongEmpty = Pong;\n\
        message id:int big:Big text:string caption:string = Message;\n";

    fn storage_of(all: &[(String, Storage)], name: &str) -> Storage {
        all.iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
            .unwrap_or_else(|| panic!("no constructor {name}"))
    }

    #[test]
    fn small_constructors_hold_small_enums_in_place() {
        let all = storages(SCHEMA, &[]);
        assert_eq!(storage_of(&all, "peerUser"), Storage::Inline);
        // 16 bytes of `Peer` (a tag and an i64) and an i32.
        assert_eq!(storage_of(&all, "holder"), Storage::Inline);
        // 56 bytes: over the limit.
        assert_eq!(storage_of(&all, "big"), Storage::Boxed);
        assert_eq!(storage_of(&all, "leaf"), Storage::Unit);
    }

    #[test]
    fn types_that_contain_themselves_are_boxed() {
        // Listing them as held in place must not change that.
        for in_place in [&[][..], &["Tree", "Ping", "Pong"]] {
            let all = storages(SCHEMA, in_place);
            assert_eq!(storage_of(&all, "tree"), Storage::Boxed);
            // ping holds Pong, whose pong holds Ping: at least one of the two must be boxed.
            let ping = storage_of(&all, "ping");
            let pong = storage_of(&all, "pong");
            assert!(
                ping == Storage::Boxed || pong == Storage::Boxed,
                "{in_place:?}: {ping:?} {pong:?}"
            );
        }
    }

    #[test]
    fn listed_types_are_held_in_place_up_to_the_larger_limit() {
        let all = storages(SCHEMA, &[]);
        assert_eq!(storage_of(&all, "message"), Storage::Boxed);
        let all = storages(SCHEMA, &["Message", "Big"]);
        assert_eq!(storage_of(&all, "big"), Storage::Inline);
        // id, Big in place (56 + 8) and two strings.
        assert_eq!(storage_of(&all, "message"), Storage::Inline);
        let huge = format!(
            "huge {} = Huge;\n",
            (0..200)
                .map(|i| format!("f{i}:long"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let all = storages(&huge, &["Huge"]);
        assert_eq!(storage_of(&all, "huge"), Storage::Boxed, "1.6 KB");
    }
}
