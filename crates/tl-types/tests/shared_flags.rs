//! Parameters sharing one flag bit (`bot:flags.14?true` and `bot_info_version:flags.14?int` in `user`)
//! are present or absent together on the wire; any combination of the Rust fields must still encode to
//! bytes that decode.

use tgwire_tl_types::{types, Deserializable, Serializable};

#[test]
fn missing_partner_with_a_zero_value_is_written_as_zero() {
    // messages.transcribedAudio shares bit 1 between two ints; give only one of them.
    let audio = types::messages::TranscribedAudio {
        pending: false,
        transcription_id: 5,
        text: "hi".into(),
        trial_remains_num: Some(3),
        trial_remains_until_date: None,
    };
    let decoded = types::messages::TranscribedAudio::from_bytes(&audio.to_bytes()).unwrap();
    assert_eq!(decoded.trial_remains_num, Some(3));
    assert_eq!(
        decoded.trial_remains_until_date,
        Some(0),
        "the missing partner is written as zero"
    );
}

#[test]
fn boxed_partner_missing_leaves_the_group_out() {
    // factCheck: `country:flags.1?string text:flags.1?TextWithEntities`; a text has no zero value, so
    // without it the bit cannot be set and the country is dropped rather than corrupting the bytes.
    let check = types::FactCheck {
        need_check: false,
        country: Some("NL".into()),
        text: None,
        hash: 9,
    };
    let decoded = types::FactCheck::from_bytes(&check.to_bytes()).unwrap();
    assert_eq!(
        (decoded.country, decoded.text, decoded.hash),
        (None, None, 9)
    );
}
