//! From nothing to an answered request: the auth-key exchange between the two roles, then an
//! encrypted session over the key it produced.

use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_crypto::rsa::RsaPrivateKey;

use crate::auth::{client, server};
use crate::{
    ClientConfig, Event, Instant, SaltSchedule, ServerConfig, ServerEvent, ServerSession, Session,
};

#[test]
fn exchange_then_session() {
    let server_key =
        RsaPrivateKey::from_pkcs1_pem(include_str!("../../testdata/test_rsa_key.pem")).unwrap();
    let mut crng = StdRng::seed_from_u64(1);
    let mut srng = StdRng::seed_from_u64(2);
    // The client's clock is 40 s behind: the exchange's server_time corrects it.
    let server_now = Instant::from_unix_secs(1_700_000_000);
    let client_now = Instant::from_unix_secs(1_700_000_000 - 40);

    let (mut up, mut down) = (Vec::new(), Vec::new());
    let c = client::start(
        client::Config::new(vec![server_key.public_key().clone()], 2),
        client_now,
        &mut crng,
        &mut up,
    );
    let s = server::ExpectReqPq::new(server::Config {
        keys: vec![server_key],
    });
    let s = s.handle(server_now, &up, &mut srng, &mut down).unwrap();
    up.clear();
    let c = c.handle(client_now, &down, &mut crng, &mut up).unwrap();
    down.clear();
    let s = s.handle(server_now, &up, &mut srng, &mut down).unwrap();
    up.clear();
    let c = c.handle(client_now, &down, &mut crng, &mut up).unwrap();
    down.clear();
    let server_done = s.handle(&up).unwrap().accept(server_now, &mut down);
    up.clear();
    let client::DhGenOutcome::Done(client_done) =
        c.handle(client_now, &down, &mut crng, &mut up).unwrap()
    else {
        panic!("expected dh_gen_ok")
    };
    assert_eq!(client_done.time_offset, 40);

    let mut session = Session::new(
        client_done.auth_key,
        client_done.first_salt,
        client_done.time_offset,
        ClientConfig::default(),
        [5; 32],
    );
    let mut peer = ServerSession::new(
        server_done.auth_key,
        SaltSchedule::new([6; 32], 3600),
        ServerConfig::default(),
        [7; 32],
    );
    let request = session.enqueue(vec![1, 2, 3, 4]);
    let mut answered = None;
    let mut packet = Vec::new();
    // The exchange's first salt is not in the server's schedule: one bad_server_salt round.
    for _ in 0..4 {
        while session.poll_transmit(client_now, &mut packet) {
            peer.handle_incoming(server_now, &packet).unwrap();
            packet.clear();
        }
        while let Some(ev) = peer.poll_event() {
            if let ServerEvent::Request { msg_id, body } = ev {
                assert_eq!(body, [1, 2, 3, 4]);
                assert!(peer.respond(msg_id, vec![9, 9, 9, 9]));
            }
        }
        while peer.poll_transmit(server_now, &mut packet) {
            session.handle_incoming(client_now, &packet).unwrap();
            packet.clear();
        }
        while let Some(ev) = session.poll_event() {
            if let Event::Response { request: r, body } = ev {
                answered = Some((r, body.into_vec()));
            }
        }
    }
    assert_eq!(answered, Some((request, vec![9, 9, 9, 9])));
}
