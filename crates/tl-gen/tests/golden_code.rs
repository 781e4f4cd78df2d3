//! The golden example's generated code (`golden/example.rs`), compiled against `tgwire-tl-types`:
//! it must encode the examples of core.telegram.org/mtproto/serialize and behave as documented.

// The generated code carries `cfg_attr(feature = "serde")`, a feature this test crate does not have.
#![allow(unexpected_cfgs)]

// The generated code names its runtime as `crate::…`; provide it at this test crate's root.
pub use tgwire_tl_types::{
    runtime, Bare, Blob, Deserializable, DeserializeError, Identifiable, Reader, RemoteCall,
    Serializable, TlBytes, TlString,
};

#[allow(missing_docs, dead_code, unexpected_cfgs, clippy::all)]
mod example {
    include!("golden/example.rs");
}
pub use example::{enums, functions, types};

#[test]
fn every_example_constructor_reencodes_by_id() {
    let leaf = || enums::IntTree::EmptyTree;
    let tree = enums::IntTree::from(types::IntTree {
        left: leaf(),
        value: 5,
        right: leaf(),
    });
    let samples = [
        tree.to_bytes(),
        types::Pong {
            msg_id: 1,
            ping_id: 2,
        }
        .to_bytes(),
        false.to_bytes(),
    ];
    for bytes in samples {
        assert_eq!(example::reencode(&bytes), Some(Ok(bytes.clone())));
        // Cut short: an error, or `None` when not even the id is left.
        assert!(!matches!(
            example::reencode(&bytes[..bytes.len() - 1]),
            Some(Ok(_))
        ));
    }
    assert_eq!(example::reencode(&[1, 2, 3, 4]), None);
}

fn words(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// core.telegram.org/mtproto/serialize: the `IntTree` value `int_tree (int_tree (empty_tree) 1
/// (empty_tree)) 2 (empty_tree)` is the sequence `'int_tree' 'int_tree' 'empty_tree' 1 'empty_tree' 2
/// 'empty_tree'`.
#[test]
fn int_tree_serialises_as_in_the_spec() {
    let leaf = || enums::IntTree::EmptyTree;
    let inner = types::IntTree {
        left: leaf(),
        value: 1,
        right: leaf(),
    };
    let tree = enums::IntTree::from(types::IntTree {
        left: inner.into(),
        value: 2,
        right: leaf(),
    });
    let (node, empty) = (
        types::IntTree::CONSTRUCTOR_ID,
        types::EmptyTree::CONSTRUCTOR_ID,
    );
    let bytes = tree.to_bytes();
    assert_eq!(words(&bytes), [node, node, empty, 1, empty, 2, empty]);
    assert_eq!(enums::IntTree::from_bytes(&bytes).unwrap(), tree);
}

/// core.telegram.org/mtproto/serialize: `3 4` is a value of bare `int_couple`; boxed `IntCouple` puts the
/// constructor number first. A bare vector has no vector id; a boxed one does.
#[test]
fn bare_and_boxed_couples_as_in_the_spec() {
    let couple = types::IntCouple { a: 3, b: 4 };
    let mut bare = Vec::new();
    couple.serialize_bare(&mut bare);
    assert_eq!(words(&bare), [3, 4]);
    assert_eq!(
        words(&couple.to_bytes()),
        [types::IntCouple::CONSTRUCTOR_ID, 3, 4]
    );

    let couples = types::Couples {
        bare: vec![couple.clone()],
        boxed: vec![couple],
    };
    let id = types::Couples::CONSTRUCTOR_ID;
    let bytes = couples.to_bytes();
    assert_eq!(words(&bytes), [id, 1, 3, 4, 0x1cb5c415, 1, 3, 4]);
    assert_eq!(types::Couples::from_bytes(&bytes).unwrap(), couples);
}

#[test]
fn flags_are_computed_from_fields() {
    let user = types::User {
        is_self: true,
        bot: false,
        id: 7,
        name: Some("x".into()),
        photo: None,
        premium: false,
        r#type: Some(5),
        key: [9; 16],
    };
    let bytes = user.to_bytes();
    let w = words(&bytes);
    assert_eq!(w[1], 0b101, "self (bit 0) and name (bit 2)");
    // flags, id (2 words), name "x" (1 word), then flags2.
    assert_eq!(w[5], 0b10, "flags2: type (bit 1)");
    assert_eq!(types::User::from_bytes(&bytes).unwrap(), user);
    // `bot` and `photo` share bit 1: setting either sets the bit, and decoding sets both.
    let with_photo = types::User {
        photo: Some(vec![1].into()),
        ..user.clone()
    };
    let decoded = types::User::from_bytes(&with_photo.to_bytes()).unwrap();
    assert!(decoded.bot);
    // `bot` without `photo` still sets the bit, so `photo` is written (empty) to keep the bytes decodable.
    let bot_only = types::User {
        bot: true,
        ..user.clone()
    };
    let decoded = types::User::from_bytes(&bot_only.to_bytes()).unwrap();
    assert!(decoded.bot);
    assert_eq!(decoded.photo, Some(TlBytes::new()));
}

#[test]
fn generic_function_returns_the_inner_return_type() {
    fn answer_of<F: RemoteCall>(_: &F, bytes: &[u8]) -> F::Return {
        F::Return::from_bytes(bytes).unwrap()
    }
    let call = functions::InvokeWithLayer {
        layer: 1,
        query: functions::users::GetUsers { ids: vec![7] },
    };
    let users = vec![enums::User::from(types::UserEmpty { id: 7 })];
    assert_eq!(answer_of(&call, &users.to_bytes()), users);
    // A server decodes the wrapper with the query still encoded.
    let raw = functions::InvokeWithLayer::<Blob>::from_bytes(&call.to_bytes()).unwrap();
    assert_eq!(
        raw.query.0,
        functions::users::GetUsers { ids: vec![7] }.to_bytes()
    );
    // `Bool` answers decode to `bool`.
    assert!(answer_of(&functions::auth::LogOut, &true.to_bytes()));
}

#[test]
fn debug_leaves_out_what_is_absent() {
    let user = types::User {
        is_self: true,
        bot: false,
        id: 0,
        name: Some("x".into()),
        photo: None,
        premium: false,
        r#type: None,
        key: [0x41; 16],
    };
    // `bot`, `photo`, `premium` and `type` are absent; `id: 0` is a value and stays; the present
    // option prints without `Some`; bytes print as a byte string.
    assert_eq!(
        format!("{user:?}"),
        r#"User { is_self: true, id: 0, name: "x", key: b"AAAAAAAAAAAAAAAA" }"#
    );
    // An enum prints as the constructor it holds, boxed or not, with or without fields.
    assert_eq!(
        format!("{:?}", enums::User::from(user.clone())),
        format!("{user:?}")
    );
    assert_eq!(format!("{:?}", enums::IntTree::EmptyTree), "EmptyTree");
    let tree = types::IntTree {
        left: enums::IntTree::EmptyTree,
        value: 3,
        right: enums::IntTree::EmptyTree,
    };
    assert_eq!(
        format!("{:?}", enums::IntTree::from(tree)),
        "IntTree { left: EmptyTree, value: 3, right: EmptyTree }"
    );
    // Long byte strings are cut, with their length.
    let with_photo = types::User {
        photo: Some(vec![0; 100].into()),
        ..user
    };
    let text = format!("{with_photo:#?}");
    assert!(text.contains("photo: b\"\\x00"), "{text}");
    assert!(text.contains("\"… (100 bytes),"), "{text}");
    assert_eq!(text.matches("\\x00").count(), 64, "{text}");
}
