//! Byte-exact vectors from the MTProto documentation.

use tgwire_tl_types::mtproto::{enums, functions};
use tgwire_tl_types::{Deserializable, Identifiable, Serializable, VECTOR_ID};

/// The TL bodies of core.telegram.org/mtproto/samples-auth_key, from `testdata/auth_key_sample.txt`.
fn sample(name: &str) -> Vec<u8> {
    let text = include_str!("../testdata/auth_key_sample.txt");
    let line = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(" = "))
        .unwrap_or_else(|| panic!("no sample {name}"));
    hex::decode(line.trim()).unwrap()
}

fn int128(hex_text: &str) -> [u8; 16] {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

const NONCE: &str = "406709f612fadfbec3f0289d0aa67eef";
const SERVER_NONCE: &str = "e11dbc3bc97d91a26154f932af019943";

#[test]
fn req_pq_multi_encodes_as_in_the_sample() {
    let request = functions::ReqPqMulti {
        nonce: int128(NONCE),
    };
    assert_eq!(request.to_bytes(), sample("req_pq_multi"));
    assert_eq!(
        functions::ReqPqMulti::from_bytes(&sample("req_pq_multi")).unwrap(),
        request
    );
}

#[test]
fn res_pq_decodes_as_in_the_sample() {
    let bytes = sample("res_pq");
    let enums::ResPq::ResPq(res) = enums::ResPq::from_bytes(&bytes).unwrap();
    assert_eq!(res.nonce, int128(NONCE));
    assert_eq!(res.server_nonce, int128(SERVER_NONCE));
    // pq = 2694724800268887959, big-endian inside a TL byte string.
    assert_eq!(res.pq, 2694724800268887959u64.to_be_bytes());
    let fingerprints: Vec<u64> = res
        .server_public_key_fingerprints
        .iter()
        .map(|f| *f as u64)
        .collect();
    assert_eq!(
        fingerprints,
        [0x0bc35f3509f7b7a5, 0xc3b42b026ce86b21, 0xd09d1d85de64fd85]
    );
    assert_eq!(enums::ResPq::ResPq(res).to_bytes(), bytes);
}

#[test]
fn p_q_inner_data_dc_as_in_the_sample() {
    let bytes = sample("p_q_inner_data_dc");
    let enums::PQInnerData::Dc(inner) = enums::PQInnerData::from_bytes(&bytes).unwrap() else {
        panic!("expected p_q_inner_data_dc");
    };
    assert_eq!(inner.p, 1513098571u32.to_be_bytes());
    assert_eq!(inner.q, 1780931429u32.to_be_bytes());
    assert_eq!(inner.dc, 2);
    assert_eq!(inner.new_nonce[..4], [0xa8, 0xbb, 0xc8, 0x49]);
    assert_eq!(inner.to_bytes(), bytes);
}

#[test]
fn req_dh_params_uses_the_long_string_form() {
    let bytes = sample("req_dh_params");
    let request = functions::ReqDhParams::from_bytes(&bytes).unwrap();
    assert_eq!(request.public_key_fingerprint as u64, 0xd09d1d85de64fd85);
    // 256 bytes of encrypted data: prefix 0xfe, length 0x000100, no padding.
    assert_eq!(request.encrypted_data.len(), 256);
    // (Offset 80 in the sample counts the 20-byte plain-message header.)
    assert_eq!(bytes[60..64], [0xfe, 0x00, 0x01, 0x00]);
    assert_eq!(request.to_bytes(), bytes);
    assert_eq!(
        <functions::ReqDhParams as Identifiable>::CONSTRUCTOR_ID,
        0xd712e4be
    );
}

/// core.telegram.org/mtproto/serialize, "Base Types": a string of L <= 253 bytes is one length byte, the
/// bytes, and zero padding to a multiple of 4; from L = 254 on, byte 254, three length bytes, the bytes,
/// and padding.
#[test]
fn strings_follow_the_serialisation_page() {
    assert_eq!("hello".to_owned().to_bytes(), b"\x05hello\0\0");
    let l253 = "a".repeat(253).to_bytes();
    assert_eq!((l253[0], l253.len()), (253, 256));
    let l254 = vec![7u8; 254].to_bytes();
    assert_eq!(l254[..4], [254, 254, 0, 0]);
    assert_eq!(l254.len(), 4 + 254 + 2);
    assert!(l254[258..].iter().all(|&b| b == 0));
}

/// core.telegram.org/mtproto/serialize: `vector` is crc32("vector t:Type # [ t ] = Vector t") =
/// 0x1cb5c415, followed by the count; 10,000 bare ints take 40,000 bytes.
#[test]
fn vectors_follow_the_serialisation_page() {
    assert_eq!(VECTOR_ID, 0x1cb5c415);
    assert_eq!(
        tgwire_tl_parser::id::crc32("vector t:Type # [ t ] = Vector t"),
        VECTOR_ID
    );
    let ints = vec![1i32; 10_000];
    let bytes = ints.to_bytes();
    assert_eq!(bytes.len(), 8 + 40_000);
    assert_eq!(bytes[4..8], 10_000u32.to_le_bytes());
}
