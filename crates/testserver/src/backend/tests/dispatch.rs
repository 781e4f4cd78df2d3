//! Dispatch: unimplemented and unknown methods fail loudly, malformed requests are refused
//! without panicking, injected faults come before the handler.

use rand::{Rng, SeedableRng};
use tgwire_tl_types::{functions, Identifiable, Serializable};

use super::*;
use crate::faults::MigrateKind;

#[test]
fn unimplemented_methods_answer_501() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996621234");
    assert_eq!(
        client
            .call(&functions::messages::GetAllStickers { hash: 0 })
            .unwrap_err(),
        err(501, "METHOD_NOT_IMPLEMENTED_IN_TESTSERVER")
    );
}

#[test]
fn unknown_empty_and_malformed_requests_are_400() {
    let b = backend();
    let ctx = CallContext {
        dc_id: 2,
        ..CallContext::default()
    };
    let outcome = |bytes: &[u8]| match b.call(&ctx, bytes) {
        RpcOutcome::Err { code, message } => (code, message),
        RpcOutcome::Ok(_) | RpcOutcome::Part(_) => (0, String::new()),
    };
    assert_eq!(outcome(&[]), (400, "INPUT_REQUEST_INVALID".into()));
    assert_eq!(outcome(&[1, 2, 3]), (400, "INPUT_REQUEST_INVALID".into()));
    assert_eq!(
        outcome(&0x1234_5678u32.to_le_bytes()),
        (400, "INPUT_METHOD_INVALID".into())
    );
    // A known method cut short, or with bytes left over.
    let mut send_code = send_code("9996621234").to_bytes();
    assert_eq!(
        outcome(&send_code[..send_code.len() - 3]),
        (400, "INPUT_REQUEST_INVALID".into())
    );
    send_code.extend_from_slice(&[0; 4]);
    assert_eq!(outcome(&send_code), (400, "INPUT_REQUEST_INVALID".into()));
}

/// The ids of every routed method: garbage after each of them must be answered, not panic.
#[test]
fn garbage_after_every_routed_id_never_panics() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996621234");
    let ids = [
        functions::help::GetConfig::CONSTRUCTOR_ID,
        functions::auth::SendCode::CONSTRUCTOR_ID,
        functions::auth::SignIn::CONSTRUCTOR_ID,
        functions::auth::CheckPassword::CONSTRUCTOR_ID,
        functions::account::UpdatePasswordSettings::CONSTRUCTOR_ID,
        functions::users::GetUsers::CONSTRUCTOR_ID,
        functions::contacts::ImportContacts::CONSTRUCTOR_ID,
        functions::messages::SendMessage::CONSTRUCTOR_ID,
        functions::messages::SendMedia::CONSTRUCTOR_ID,
        functions::messages::GetHistory::CONSTRUCTOR_ID,
        functions::messages::GetMessages::CONSTRUCTOR_ID,
        functions::messages::Search::CONSTRUCTOR_ID,
        functions::messages::GetDialogs::CONSTRUCTOR_ID,
        functions::messages::ForwardMessages::CONSTRUCTOR_ID,
        functions::channels::GetParticipants::CONSTRUCTOR_ID,
        functions::channels::EditBanned::CONSTRUCTOR_ID,
        functions::updates::GetDifference::CONSTRUCTOR_ID,
        functions::updates::GetChannelDifference::CONSTRUCTOR_ID,
        functions::upload::GetFile::CONSTRUCTOR_ID,
        functions::upload::SaveBigFilePart::CONSTRUCTOR_ID,
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(6);
    for round in 0..2000 {
        let id = ids[round % ids.len()];
        let len = rng.gen_range(0..96);
        let mut bytes = id.to_le_bytes().to_vec();
        bytes.extend((0..len).map(|_| rng.gen::<u8>()));
        // Any answer is fine; what matters is that there is one.
        let _ = b.call(&client.ctx, &bytes);
    }
    // The backend still works afterwards.
    assert!(client.me().is_self);
}

#[test]
fn injected_flood_and_migrate_come_before_the_handler() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996621234");
    b.faults().flood_wait_times("messages.sendMessage", 5, 2);
    let request = send_message(enums::InputPeer::InputPeerSelf, "patience");
    assert_eq!(client.call(&request).unwrap_err(), err(420, "FLOOD_WAIT_5"));
    assert_eq!(client.call(&request).unwrap_err(), err(420, "FLOOD_WAIT_5"));
    // Nothing was stored by the refused calls.
    assert_eq!(b.pts(client.me().id), Some(0));
    client.ok(&request);

    b.faults()
        .migrate("help.getConfig", MigrateKind::Network, 3);
    assert_eq!(
        client.call(&functions::help::GetConfig).unwrap_err(),
        err(303, "NETWORK_MIGRATE_3")
    );
    client.ok(&functions::help::GetConfig);
}
