//! Every constructor and function of both schemas, checked against an encoder that knows only the
//! parsed schema text.
//!
//! [`SchemaEncoder`] writes valid TL bytes for any definition straight from `tl-schema/*.tl` (random
//! values, flags all set, none set, or a random mix, nested objects down to a depth limit). The generated
//! code must decode those bytes, consume all of them, and encode the value back to the same bytes; and
//! it must reject every truncation and survive any corruption. Since the encoder shares no code with
//! the generator, a field in the wrong order, a wrong flag bit or a wrong id in generated code fails
//! here.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use tgwire_tl_parser::{Category, Definition, ParamType, Schema, Type};

use crate::dynamic::{reencode_api, reencode_mtproto};

/// `mtproto.tl` constructors written by hand in `mtproto::service` (tested there).
const BY_HAND: &[&str] = &[
    "rpc_result",
    "message",
    "msg_container",
    "msg_copy",
    "gzip_packed",
];

/// Nesting depth after which the encoder picks the simplest constructors and empty vectors.
const DEPTH_LIMIT: usize = 3;

#[derive(Clone, Copy, Debug)]
enum Presence {
    All,
    None,
    Random,
}

struct SchemaEncoder<'s> {
    by_type: HashMap<String, Vec<&'s Definition>>,
    by_name: HashMap<String, &'s Definition>,
    /// Constructors whose required fields can all be filled without unbounded recursion.
    closed: HashSet<String>,
    /// A function without parameters, used as the `!X` query of generic functions.
    query: Option<&'s Definition>,
    state: u64,
}

impl<'s> SchemaEncoder<'s> {
    fn new(schema: &'s Schema, seed: u64) -> Self {
        let mut by_type: HashMap<String, Vec<&Definition>> = HashMap::new();
        let mut by_name = HashMap::new();
        for def in schema
            .definitions
            .iter()
            .filter(|d| d.category == Category::Type)
        {
            by_type.entry(def.ty.full_name()).or_default().push(def);
            by_name.insert(def.full_name(), def);
        }
        let query = schema
            .definitions
            .iter()
            .find(|d| d.category == Category::Function && d.params.is_empty());
        let mut encoder = SchemaEncoder {
            by_type,
            by_name,
            closed: HashSet::new(),
            query,
            state: seed.wrapping_mul(2) | 1,
        };
        encoder.compute_closed(schema);
        encoder
    }

    fn compute_closed(&mut self, schema: &'s Schema) {
        loop {
            let before = self.closed.len();
            for def in schema
                .definitions
                .iter()
                .filter(|d| d.category == Category::Type)
            {
                let ok = def.params.iter().all(|p| match &p.ty {
                    ParamType::Flags | ParamType::Normal { flag: Some(_), .. } => true,
                    ParamType::Normal { ty, flag: None } => self.type_closed(ty),
                });
                if ok {
                    self.closed.insert(def.full_name());
                }
            }
            if self.closed.len() == before {
                break;
            }
        }
    }

    fn type_closed(&self, ty: &Type) -> bool {
        if ty.generic_ref || is_primitive(ty) || ty.generic_arg.is_some() {
            return true;
        }
        self.constructors(ty)
            .iter()
            .any(|d| self.closed.contains(&d.full_name()))
    }

    fn constructors(&self, ty: &Type) -> Vec<&'s Definition> {
        if ty.bare && !ty.percent {
            self.by_name
                .get(&ty.full_name())
                .map(|d| vec![*d])
                .unwrap_or_default()
        } else {
            self.by_type
                .get(&ty.full_name())
                .cloned()
                .unwrap_or_default()
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic and dependency-free.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn encode_boxed(&mut self, def: &Definition, presence: Presence, out: &mut Vec<u8>) {
        out.extend_from_slice(&def.id.to_le_bytes());
        self.encode_fields(def, presence, 0, out);
    }

    fn encode_fields(
        &mut self,
        def: &Definition,
        presence: Presence,
        depth: usize,
        out: &mut Vec<u8>,
    ) {
        // One decision per flag bit, shared by every parameter using that bit.
        let mut bits: HashMap<(String, u32), bool> = HashMap::new();
        for p in &def.params {
            if let ParamType::Normal { flag: Some(f), .. } = &p.ty {
                let key = (f.field.clone(), f.bit);
                if let std::collections::hash_map::Entry::Vacant(slot) = bits.entry(key) {
                    let set = match presence {
                        Presence::All => true,
                        Presence::None => false,
                        Presence::Random => self.below(2) == 0,
                    };
                    slot.insert(set);
                }
            }
        }
        for p in &def.params {
            match &p.ty {
                ParamType::Flags => {
                    let word = bits
                        .iter()
                        .filter(|((field, _), set)| *field == p.name && **set)
                        .fold(0u32, |w, ((_, bit), _)| w | (1 << bit));
                    out.extend_from_slice(&word.to_le_bytes());
                }
                ParamType::Normal { ty, flag: Some(f) } => {
                    if bits[&(f.field.clone(), f.bit)] && !p.is_flag_bit() {
                        self.encode_type(ty, depth, out);
                    }
                }
                ParamType::Normal { ty, flag: None } => self.encode_type(ty, depth, out),
            }
        }
    }

    fn encode_type(&mut self, ty: &Type, depth: usize, out: &mut Vec<u8>) {
        if ty.generic_ref {
            let query = self.query.expect("a parameterless function for `!X`");
            out.extend_from_slice(&query.id.to_le_bytes());
            return;
        }
        if ty.namespace.is_empty() {
            match ty.name.as_str() {
                "int" => return out.extend_from_slice(&(self.next() as i32).to_le_bytes()),
                "long" => return out.extend_from_slice(&(self.next() as i64).to_le_bytes()),
                "double" => {
                    return out
                        .extend_from_slice(&(f64::from(self.next() as i32) / 8.0).to_le_bytes())
                }
                "int128" => return (0..16).for_each(|_| out.push(self.next() as u8)),
                "int256" => return (0..32).for_each(|_| out.push(self.next() as u8)),
                "Bool" => {
                    let id: u32 = if self.below(2) == 0 {
                        0x997275b5
                    } else {
                        0xbc799737
                    };
                    return out.extend_from_slice(&id.to_le_bytes());
                }
                "string" | "bytes" => {
                    // Mostly short, sometimes past the 253-byte boundary of the long form.
                    let len = if self.below(8) == 0 {
                        250 + self.below(10) as usize
                    } else {
                        self.below(12) as usize
                    };
                    let data: Vec<u8> = (0..len).map(|_| b'a' + (self.next() % 26) as u8).collect();
                    return write_tl_string(&data, out);
                }
                "Vector" | "vector" => {
                    if ty.name == "Vector" {
                        out.extend_from_slice(&0x1cb5c415u32.to_le_bytes());
                    }
                    let count = if depth >= DEPTH_LIMIT {
                        0
                    } else {
                        self.below(3) as u32
                    };
                    out.extend_from_slice(&count.to_le_bytes());
                    let element = ty.generic_arg.as_deref().expect("vector argument");
                    for _ in 0..count {
                        self.encode_type(element, depth + 1, out);
                    }
                    return;
                }
                _ => {}
            }
        }
        let candidates = self.constructors(ty);
        assert!(!candidates.is_empty(), "no constructor for {ty}");
        let (def, presence) = if depth >= DEPTH_LIMIT {
            let closed = candidates
                .iter()
                .find(|d| self.closed.contains(&d.full_name()))
                .unwrap_or(&candidates[0]);
            (*closed, Presence::None)
        } else {
            (
                candidates[self.below(candidates.len() as u64) as usize],
                Presence::Random,
            )
        };
        if !(ty.bare || ty.percent) {
            out.extend_from_slice(&def.id.to_le_bytes());
        }
        self.encode_fields(def, presence, depth + 1, out);
    }
}

fn is_primitive(ty: &Type) -> bool {
    ty.namespace.is_empty()
        && matches!(
            ty.name.as_str(),
            "int" | "long" | "double" | "int128" | "int256" | "Bool" | "string" | "bytes" | "true"
        )
}

fn write_tl_string(data: &[u8], out: &mut Vec<u8>) {
    let header = if data.len() <= 253 {
        out.push(data.len() as u8);
        1
    } else {
        out.push(254);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes()[..3]);
        4
    };
    out.extend_from_slice(data);
    out.resize(out.len() + (4 - (header + data.len()) % 4) % 4, 0);
}

type Reencode = fn(&[u8]) -> Option<Result<Vec<u8>, crate::DeserializeError>>;

/// Each schema with its generated dispatcher and the names it leaves to hand-written code.
fn schemas() -> Vec<(Schema, Reencode, &'static [&'static str])> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tl-schema/");
    let load = |name: &str| {
        tgwire_tl_parser::parse(&std::fs::read_to_string(format!("{dir}{name}")).unwrap()).unwrap()
    };
    vec![
        (load("api.tl"), reencode_api as Reencode, &[]),
        (load("mtproto.tl"), reencode_mtproto as Reencode, BY_HAND),
    ]
}

#[test]
fn every_definition_round_trips_and_rejects_truncation() {
    let mut checked = 0;
    for (schema, reencode, by_hand) in schemas() {
        let mut encoder = SchemaEncoder::new(&schema, 0x5eed);
        for def in &schema.definitions {
            let mut sample = Vec::new();
            encoder.encode_boxed(def, Presence::All, &mut sample);
            if by_hand.contains(&def.name.as_str()) {
                assert_eq!(
                    reencode(&sample),
                    None,
                    "{} is written by hand",
                    def.full_name()
                );
                continue;
            }
            for presence in [
                Presence::All,
                Presence::None,
                Presence::Random,
                Presence::Random,
                Presence::Random,
            ] {
                let mut bytes = Vec::new();
                encoder.encode_boxed(def, presence, &mut bytes);
                match reencode(&bytes) {
                    Some(Ok(again)) => assert!(
                        again == bytes,
                        "{} ({presence:?}) re-encodes differently",
                        def.full_name()
                    ),
                    other => panic!("{} ({presence:?}) failed: {other:?}", def.full_name()),
                }
                // A generic function's query is "the rest of the input", so any cut is a valid query.
                if def.generics.is_empty() {
                    let cuts: Vec<usize> = if bytes.len() <= 64 {
                        (0..bytes.len()).collect()
                    } else {
                        (0..16)
                            .map(|_| encoder.below(bytes.len() as u64) as usize)
                            .collect()
                    };
                    for cut in cuts {
                        assert!(
                            !matches!(reencode(&bytes[..cut]), Some(Ok(_))),
                            "{} decoded from {cut} of {} bytes",
                            def.full_name(),
                            bytes.len()
                        );
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 2400, "only {checked} definitions checked");
}

/// Vectors of the types held in place (messages, users, chats) are decoded by pushing a placeholder and
/// filling it field by field (`deserialize_push`); one value alone is decoded by building it
/// (`deserialize`). Both must give the same values, whichever constructors and optional fields follow
/// one another, and a vector cut anywhere must fail to decode.
#[test]
fn vectors_of_values_held_in_place_decode_like_single_values() {
    use crate::{enums, Deserializable, Serializable};

    fn check<T: Deserializable + Serializable + PartialEq + std::fmt::Debug>(
        encoder: &mut SchemaEncoder<'_>,
        schema: &Schema,
        ty: &str,
    ) {
        let defs: Vec<&Definition> = schema
            .definitions
            .iter()
            .filter(|d| d.category == Category::Type && d.ty.full_name() == ty)
            .collect();
        assert!(defs.len() > 1, "{ty} has several constructors");
        for round in 0..20 {
            let mut items = Vec::new();
            for i in 0..8 {
                let def = defs[encoder.below(defs.len() as u64) as usize];
                // All fields set, then none: a placeholder must not keep what the value before it in
                // the vector held.
                let presence = match (round + i) % 3 {
                    0 => Presence::All,
                    1 => Presence::None,
                    _ => Presence::Random,
                };
                let mut bytes = Vec::new();
                encoder.encode_boxed(def, presence, &mut bytes);
                items.push(bytes);
            }
            let mut vector = crate::primitives::VECTOR_ID.to_le_bytes().to_vec();
            vector.extend_from_slice(&(items.len() as u32).to_le_bytes());
            let one_by_one: Vec<T> = items
                .iter()
                .map(|bytes| T::from_bytes(bytes).unwrap())
                .collect();
            for bytes in &items {
                vector.extend_from_slice(bytes);
            }
            let decoded = Vec::<T>::from_bytes(&vector).unwrap();
            assert_eq!(decoded, one_by_one, "{ty}, round {round}");
            assert_eq!(decoded.to_bytes(), vector, "{ty}, round {round}");
            for cut in (0..vector.len()).step_by(7) {
                assert!(
                    Vec::<T>::from_bytes(&vector[..cut]).is_err(),
                    "{ty}, round {round}: decoded from {cut} of {} bytes",
                    vector.len()
                );
            }
        }
    }

    let (schema, _, _) = schemas().swap_remove(0);
    let mut encoder = SchemaEncoder::new(&schema, 0x5107);
    check::<enums::Message>(&mut encoder, &schema, "Message");
    check::<enums::User>(&mut encoder, &schema, "User");
    check::<enums::Chat>(&mut encoder, &schema, "Chat");
}

/// The constructors decoded straight into their box (tl-gen's `Config::into_box`, listed in xtask),
/// whose fields (strings, byte strings, enums) are decoded into place too, must decode exactly like
/// their struct's plain decoder (`deserialize_bare`, which builds each field and returns it), re-encode
/// to the bytes of the schema-only encoder (the oracle for what is nested: both paths decode nested
/// boxes the same way) and reject every truncation. A message inside an update is decoded into its
/// field, so the update constructors cover `deserialize_into` of the in-place `Message` as well.
#[test]
fn values_filled_in_their_box_decode_like_plain_values() {
    use crate::{enums, types, Deserializable, Serializable};

    fn check<S, E>(encoder: &mut SchemaEncoder<'_>, schema: &Schema, name: &str)
    where
        S: Deserializable,
        E: Deserializable + Serializable + PartialEq + std::fmt::Debug + From<S>,
    {
        let def = schema
            .definitions
            .iter()
            .find(|d| d.category == Category::Type && d.full_name() == name)
            .unwrap_or_else(|| panic!("no constructor {name}"));
        for round in 0..24 {
            let presence = match round % 3 {
                0 => Presence::All,
                1 => Presence::None,
                _ => Presence::Random,
            };
            let mut bytes = Vec::new();
            encoder.encode_boxed(def, presence, &mut bytes);
            let plain = E::from(S::from_bytes(&bytes).unwrap());
            let filled = E::from_bytes(&bytes).unwrap();
            assert_eq!(filled, plain, "{name}, round {round}");
            assert_eq!(filled.to_bytes(), bytes, "{name}, round {round}");
            for cut in 0..bytes.len() {
                assert!(
                    E::from_bytes(&bytes[..cut]).is_err(),
                    "{name}, round {round}: decoded from {cut} of {} bytes",
                    bytes.len()
                );
            }
        }
    }

    let (schema, _, _) = schemas().swap_remove(0);
    let mut encoder = SchemaEncoder::new(&schema, 0xb0c5);
    let encoder = &mut encoder;
    check::<types::MessageReplyHeader, enums::MessageReplyHeader>(
        encoder,
        &schema,
        "messageReplyHeader",
    );
    check::<types::MessageFwdHeader, enums::MessageFwdHeader>(encoder, &schema, "messageFwdHeader");
    check::<types::Photo, enums::Photo>(encoder, &schema, "photo");
    check::<types::Document, enums::Document>(encoder, &schema, "document");
    check::<types::UpdateNewMessage, enums::Update>(encoder, &schema, "updateNewMessage");
    check::<types::UpdateEditMessage, enums::Update>(encoder, &schema, "updateEditMessage");
    check::<types::UpdateNewChannelMessage, enums::Update>(
        encoder,
        &schema,
        "updateNewChannelMessage",
    );
    check::<types::UpdateEditChannelMessage, enums::Update>(
        encoder,
        &schema,
        "updateEditChannelMessage",
    );
    check::<types::messages::Messages, enums::messages::Messages>(
        encoder,
        &schema,
        "messages.messages",
    );
    check::<types::messages::MessagesSlice, enums::messages::Messages>(
        encoder,
        &schema,
        "messages.messagesSlice",
    );
    check::<types::messages::ChannelMessages, enums::messages::Messages>(
        encoder,
        &schema,
        "messages.channelMessages",
    );
    check::<types::updates::Difference, enums::updates::Difference>(
        encoder,
        &schema,
        "updates.difference",
    );
    check::<types::updates::DifferenceSlice, enums::updates::Difference>(
        encoder,
        &schema,
        "updates.differenceSlice",
    );
}

/// Under the `serde` feature every value must survive a trip through its JSON form unchanged (the
/// dispatcher asserts equality after the trip; the bytes encoded afterwards must be the input's).
#[cfg(feature = "serde")]
#[test]
fn every_definition_round_trips_through_json() {
    let mut checked = 0;
    let through_json: [Reencode; 2] = [
        crate::generated::api::reencode_json,
        crate::generated::mtproto::reencode_json,
    ];
    for ((schema, _, by_hand), reencode_json) in schemas().into_iter().zip(through_json) {
        let mut encoder = SchemaEncoder::new(&schema, 0x150);
        for def in &schema.definitions {
            if by_hand.contains(&def.name.as_str()) {
                continue;
            }
            for presence in [Presence::All, Presence::None, Presence::Random] {
                let mut bytes = Vec::new();
                encoder.encode_boxed(def, presence, &mut bytes);
                match reencode_json(&bytes) {
                    Some(Ok(again)) => assert!(
                        again == bytes,
                        "{} ({presence:?}) re-encodes differently after JSON",
                        def.full_name()
                    ),
                    other => panic!("{} ({presence:?}) failed: {other:?}", def.full_name()),
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 2400, "only {checked} definitions checked");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Corrupting valid bytes anywhere never panics; whatever still decodes re-encodes stably (a second
    /// pass gives the same bytes: lossy strings and unknown flag bits are normalised once).
    #[test]
    fn corrupted_input_never_panics(
        pick in any::<prop::sample::Index>(),
        seed in any::<u64>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let all = SCHEMAS.with(|s| s.clone());
        let (schema, reencode, _) = &all[pick.index(2)];
        let def = &schema.definitions[pick.index(schema.definitions.len())];
        let mut encoder = SchemaEncoder::new(schema, seed);
        let mut bytes = Vec::new();
        encoder.encode_boxed(def, Presence::Random, &mut bytes);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Some(Ok(normalised)) = reencode(&bytes) {
            prop_assert_eq!(reencode(&normalised), Some(Ok(normalised.clone())));
        }
    }

    /// Random bytes behind a real constructor id: an error or a value, never a panic or a huge allocation.
    #[test]
    fn garbage_after_any_id_never_panics(pick in any::<prop::sample::Index>(), tail in prop::collection::vec(any::<u8>(), 0..256)) {
        let all = SCHEMAS.with(|s| s.clone());
        let (schema, reencode, _) = &all[pick.index(2)];
        let def = &schema.definitions[pick.index(schema.definitions.len())];
        let mut bytes = def.id.to_le_bytes().to_vec();
        bytes.extend_from_slice(&tail);
        let _ = reencode(&bytes);
    }
}

thread_local! {
    static SCHEMAS: std::rc::Rc<Vec<(Schema, Reencode, &'static [&'static str])>> = std::rc::Rc::new(schemas());
}

/// The generator estimates struct sizes to decide what its enums hold in place (tl-gen's `layout`);
/// these check the estimates against the compiler's layout where it matters most.
#[test]
fn enums_stay_small_where_their_constructors_are_held_in_place() {
    use crate::enums;
    use std::mem::size_of;
    // Small constructors only (48 bytes at most, estimated): an enum of many variants stays small.
    assert!(
        size_of::<enums::Update>() <= 64,
        "{}",
        size_of::<enums::Update>()
    );
    assert!(size_of::<enums::MessageMedia>() <= 64);
    assert!(size_of::<enums::MessageEntity>() <= 64);
    assert!(size_of::<enums::Peer>() <= 16);
    // The types held in place up to 1 KiB.
    for size in [
        size_of::<enums::Message>(),
        size_of::<enums::User>(),
        size_of::<enums::Chat>(),
    ] {
        assert!((64..=1024).contains(&size), "{size}");
    }
}
