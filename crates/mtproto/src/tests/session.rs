//! Two-peer tests of the encrypted session: every service message, clock and salt handling,
//! containers, gzip, replays and losses.

use std::time::Duration;

use tgwire_crypto::{encrypt_message, Side};

use super::harness::{answer, key, number_of, query, Pair, T0};
use crate::service::{self, id};
use crate::session::core::{SentKind, Tag};
use crate::{
    ClientConfig, DropReason, Event, Instant, RequestOptions, ServerConfig, ServerEvent,
    SessionError,
};

fn done_after(n: usize) -> impl FnMut(&Pair) -> bool {
    move |p| p.outcomes() >= n
}

#[test]
fn request_gets_answer_and_session_is_announced() {
    let mut p = Pair::default_pair();
    let r = p.client.enqueue(query(1, 0));
    let ok = p.run_until(Duration::from_secs(5), done_after(1));
    assert!(ok);
    assert_eq!(p.responses(), vec![(r, answer(1))]);
    assert!(
        matches!(p.client_events[0], Event::NewSessionCreated { .. }),
        "{:?}",
        p.client_events
    );
    assert!(
        matches!(p.server_events[0], ServerEvent::NewSession { session_id } if session_id == p.client.session_id())
    );
    // The answer is acknowledged by the client in due time (ack timer), and the server stops
    // tracking it: nothing is left to announce or resend.
    p.run_for(Duration::from_secs(60));
    assert!(p.tapped(Side::Client, id::MSGS_ACK) >= 1);
    assert_eq!(p.tapped(Side::Server, id::MSG_DETAILED_INFO), 0);
    assert_eq!(p.server.poll_timeout(), None);
    assert_eq!(p.client.pending_requests(), 0);
    assert!(p.client_errors.is_empty() && p.server_errors.is_empty());
}

#[test]
fn server_message_ids_have_the_right_parity() {
    let mut p = Pair::default_pair();
    p.client.enqueue(query(1, 0));
    p.run_until(Duration::from_secs(5), done_after(1));
    p.server.push(query(99, 0));
    p.run_for(Duration::from_secs(5));
    for t in p.tap.iter().filter(|t| t.from == Side::Server) {
        let expected = match t.ctor {
            id::NEW_SESSION_CREATED => 3,
            0x0b0b_0b0b => 3, // the pushed update
            _ => 1,           // responses: rpc_result, future_salts, acks, containers
        };
        assert_eq!(t.msg_id & 3, expected, "{t:?}");
    }
    for t in p.tap.iter().filter(|t| t.from == Side::Client) {
        assert_eq!(t.msg_id & 3, 0, "{t:?}");
    }
    assert!(p
        .client_events
        .contains(&Event::Update { body: query(99, 0) }));
}

#[test]
fn salt_zero_is_corrected_by_bad_server_salt() {
    let mut p = Pair::default_pair();
    p.client = crate::Session::new(key(), 0, 0, ClientConfig::default(), [3; 32]);
    let r = p.client.enqueue(query(7, 0));
    assert!(p.run_until(Duration::from_secs(5), done_after(1)));
    assert_eq!(p.responses(), vec![(r, answer(7))]);
    let good = p.schedule.current(T0 as i64);
    assert!(p.client_events.contains(&Event::SaltChanged { salt: good }));
    assert_eq!(p.tapped(Side::Server, id::BAD_SERVER_SALT), 1);
    assert_eq!(p.requests_seen(), 1);
}

fn clock_skew_corrected(skew: i64) {
    let mut p = Pair::default_pair();
    p.client_skew = skew;
    let r = p.client.enqueue(query(5, 0));
    assert!(p.run_until(Duration::from_secs(5), done_after(1)));
    assert_eq!(p.responses(), vec![(r, answer(5))]);
    let offset = p.client.time_offset();
    assert!(
        (i64::from(offset) + skew).abs() <= 1,
        "offset {offset} for skew {skew}"
    );
    assert!(p
        .client_events
        .iter()
        .any(|e| matches!(e, Event::TimeOffsetChanged { .. })));
    // One bad_msg round trip: one refused packet, one accepted.
    assert_eq!(p.tapped(Side::Server, id::BAD_MSG_NOTIFICATION), 1);
    assert_eq!(p.packets_sent[Side::Client as usize], 2);
    assert_eq!(p.requests_seen(), 1);
}

#[test]
fn client_clock_an_hour_fast_is_corrected_in_one_round_trip() {
    clock_skew_corrected(3600);
}

#[test]
fn client_clock_an_hour_slow_is_corrected_in_one_round_trip() {
    clock_skew_corrected(-3600);
}

#[test]
fn many_requests_travel_in_one_container_each_way() {
    let mut p = Pair::default_pair();
    let ids: Vec<_> = (0..10).map(|n| p.client.enqueue(query(n, 0))).collect();
    assert!(p.run_until(Duration::from_secs(5), done_after(10)));
    let mut got = p.responses();
    got.sort_by_key(|(r, _)| *r);
    assert_eq!(
        got,
        ids.iter()
            .enumerate()
            .map(|(n, r)| (*r, answer(n as u32)))
            .collect::<Vec<_>>()
    );
    // All ten requests (plus get_future_salts) left in the client's first packet.
    let first_client_packet: Vec<_> = p
        .tap
        .iter()
        .filter(|t| t.from == Side::Client && t.in_container)
        .collect();
    assert!(
        first_client_packet
            .iter()
            .filter(|t| t.ctor == 0x0b0b_0b0b)
            .count()
            == 10
    );
    assert_eq!(p.packets_sent[Side::Client as usize], 1);
    // And the server packed its ten answers together too.
    let answers_in_containers = p
        .tap
        .iter()
        .filter(|t| t.from == Side::Server && t.ctor == id::RPC_RESULT && t.in_container)
        .count();
    assert_eq!(answers_in_containers, 10);
}

#[test]
fn container_limits_split_batches() {
    let mut cfg = ClientConfig::default();
    cfg.limits.max_container_messages = 4;
    let mut p = Pair::new(cfg, ServerConfig::default(), 2);
    for n in 0..10 {
        p.client.enqueue(query(n, 0));
    }
    assert!(p.run_until(Duration::from_secs(5), done_after(10)));
    // 10 requests + get_future_salts at most 4 per container: 3 packets.
    assert_eq!(p.packets_sent[Side::Client as usize], 3);
    let containers = p
        .tap
        .iter()
        .filter(|t| t.from == Side::Client && t.ctor == id::MSG_CONTAINER)
        .count();
    assert_eq!(containers, 3);
}

#[test]
fn large_bodies_are_gzipped_both_ways() {
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    let big = query(3, 4000); // 16 KB of zeros: compresses well
    let r = p.client.enqueue(big.clone());
    p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 1);
    let ServerEvent::Request { msg_id, body } = p
        .server_events
        .iter()
        .find(|e| matches!(e, ServerEvent::Request { .. }))
        .cloned()
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(body, big, "the server sees the inflated query");
    let request_packet = p
        .tap
        .iter()
        .find(|t| t.from == Side::Client && t.ctor == id::GZIP_PACKED)
        .expect("gzip on the wire");
    assert!(request_packet.packet_len < 1024);

    let big_answer = answer(3)
        .into_iter()
        .chain(std::iter::repeat_n(7, 20_000))
        .collect::<Vec<u8>>();
    p.server.respond(msg_id, big_answer.clone());
    assert!(p.run_until(Duration::from_secs(5), done_after(1)));
    assert_eq!(p.responses(), vec![(r, big_answer)]);
    let answer_packet = p
        .tap
        .iter()
        .find(|t| t.from == Side::Server && t.ctor == id::RPC_RESULT)
        .unwrap();
    assert!(
        answer_packet.packet_len < 1024,
        "answer travelled gzipped: {}",
        answer_packet.packet_len
    );

    // Small or incompressible bodies are left alone.
    assert!(service::gzip_if_smaller(&query(1, 0)).is_none());
}

#[test]
fn replayed_packets_are_rejected() {
    let mut p = Pair::default_pair();
    p.client.enqueue(query(1, 0));
    // Capture the server's answer packet by hand.
    let mut buf = Vec::new();
    assert!(p.client.poll_transmit(p.now, &mut buf));
    p.server.handle_incoming(p.now, &buf).unwrap();
    // Replaying the client packet: the server sees no second request.
    p.server.handle_incoming(p.now, &buf).unwrap();
    let requests = std::iter::from_fn(|| p.server.poll_event())
        .filter(|e| matches!(e, ServerEvent::Request { .. }))
        .collect::<Vec<_>>();
    assert_eq!(requests.len(), 1);
    let ServerEvent::Request { msg_id, .. } = &requests[0] else {
        unreachable!()
    };
    p.server.respond(*msg_id, answer(1));
    let mut answer_packet = Vec::new();
    assert!(p.server.poll_transmit(p.now, &mut answer_packet));
    p.client.handle_incoming(p.now, &answer_packet).unwrap();
    assert!(matches!(
        p.client.handle_incoming(p.now, &answer_packet),
        Err(SessionError::Duplicate(_))
    ));
    let responses = std::iter::from_fn(|| p.client.poll_event())
        .filter(|e| matches!(e, Event::Response { .. }))
        .count();
    assert_eq!(responses, 1);

    // A packet replayed much later is refused as too old even once it left the window.
    let later = p.now + Duration::from_secs(301);
    assert!(matches!(
        p.client.handle_incoming(later, &answer_packet),
        Err(SessionError::TooOld(_) | SessionError::Duplicate(_))
    ));
}

/// Sends what the client queued to the server; the queries the server saw (msg_id, number).
fn deliver_queries(p: &mut Pair) -> Vec<(crate::MsgId, u32)> {
    let mut buf = Vec::new();
    while p.client.poll_transmit(p.now, &mut buf) {
        p.server.handle_incoming(p.now, &buf).unwrap();
        buf.clear();
    }
    std::iter::from_fn(|| p.server.poll_event())
        .filter_map(|e| match e {
            ServerEvent::Request { msg_id, body } => Some((msg_id, number_of(&body).unwrap())),
            _ => None,
        })
        .collect()
}

/// Answers large enough to travel one per packet, of lengths differing with `n`,
/// incompressible (so not gzipped).
fn big(n: u32) -> Vec<u8> {
    let mut b = answer(n);
    let mut x = u64::from(n);
    for _ in 0..50_000 + 4 * n {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        b.extend_from_slice(&((x >> 32) as u32).to_le_bytes());
    }
    b
}

/// `count` queries asked and answered with [`big`] answers, one packet each: the client's
/// request ids, the queries as the server saw them (msg_id, number) and the answer packets in
/// that order.
#[allow(clippy::type_complexity)]
fn big_answers(
    p: &mut Pair,
    count: u32,
) -> (
    Vec<crate::RequestId>,
    Vec<(crate::MsgId, u32)>,
    Vec<Vec<u8>>,
) {
    let requests: Vec<_> = (1..=count).map(|n| p.client.enqueue(query(n, 0))).collect();
    let asked = deliver_queries(p);
    assert_eq!(asked.len(), count as usize);
    let mut packets = Vec::new();
    for (msg_id, n) in &asked {
        p.server.respond(*msg_id, big(*n));
        let mut packet = Vec::new();
        assert!(p.server.poll_transmit(p.now, &mut packet));
        packets.push(packet);
    }
    (requests, asked, packets)
}

/// The answers among the client's events, with where each lies in its buffer.
fn answers(p: &mut Pair) -> Vec<(crate::RequestId, Vec<u8>, usize)> {
    std::iter::from_fn(|| p.client.poll_event())
        .filter_map(|e| match e {
            Event::Response { request, body } => {
                let (buf, start) = body.into_parts();
                Some((request, buf[start..].to_vec(), start))
            }
            _ => None,
        })
        .collect()
}

/// Packets decrypted while they arrive (the next one's first bytes side by side with the end
/// of the current one) are handled as whole packets are: answers in order and in place; a
/// tampered packet refused alone (and its intact copy accepted after); a packet that is not
/// under the session's key not begun at all.
#[test]
fn packets_opened_as_they_arrive_are_handled_like_whole_ones() {
    let mut p = Pair::default_pair();
    let (requests, asked, packets) = big_answers(&mut p, 3);
    let mut tampered = packets[2].clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    // Packet 0 whole, a third of packet 1 arrived; then packet 1 whole, half of 2.
    let mut first = p
        .client
        .begin_incoming(&packets[0], packets[0].len())
        .unwrap();
    let third = packets[1].len() / 3;
    let mut second = p
        .client
        .begin_incoming(&packets[1][..third], packets[1].len())
        .unwrap();
    crate::open_side_by_side(&mut first, &packets[0], &mut second, &packets[1][..third]);
    p.client
        .handle_incoming_opening(p.now, &packets[0], first)
        .unwrap();
    let half = tampered.len() / 2;
    let mut spoiled = p
        .client
        .begin_incoming(&tampered[..half], tampered.len())
        .unwrap();
    crate::open_side_by_side(&mut second, &packets[1], &mut spoiled, &tampered[..half]);
    p.client
        .handle_incoming_opening(p.now, &packets[1], second)
        .unwrap();
    assert!(matches!(
        p.client.handle_incoming_opening(p.now, &tampered, spoiled),
        Err(SessionError::Crypto(_))
    ));
    p.client.handle_incoming(p.now, &packets[2]).unwrap();
    let got = answers(&mut p);
    let expected: Vec<_> = asked
        .iter()
        .map(|&(_, n)| (requests[n as usize - 1], big(n)))
        .collect();
    assert_eq!(
        got.iter()
            .map(|(r, b, _)| (*r, b.clone()))
            .collect::<Vec<_>>(),
        expected
    );
    assert!(got.iter().all(|(_, _, start)| *start >= 44), "copied out");
    // Not under this session's key, or of a length no encrypted packet has: not begun.
    let mut foreign = packets[0].clone();
    foreign[0] ^= 1;
    assert!(p.client.begin_incoming(&foreign, foreign.len()).is_none());
    assert!(p.client.begin_incoming(&packets[0], 24 + 17).is_none());
    // Begun on one packet, finished on another: refused, the session unchanged.
    let wrong = p
        .client
        .begin_incoming(&packets[0], packets[0].len())
        .unwrap();
    assert!(p
        .client
        .handle_incoming_opening(p.now, &packets[1], wrong)
        .is_err());
}

/// Packets opened together come out as the same packets opened one by one would: in order,
/// each with its own verdict (a tampered one and a replay among good ones refused alone).
#[test]
fn packets_handled_together_keep_order_and_refuse_alone() {
    let mut p = Pair::default_pair();
    let (requests, asked, packets) = big_answers(&mut p, 5);
    let mut tampered = packets[1].clone();
    tampered[5000] ^= 1;
    let batch: Vec<&[u8]> = vec![
        &packets[0],
        &tampered,
        &packets[2],
        &packets[0],
        &packets[3],
        &packets[4],
    ];
    let verdicts = p.client.handle_incoming_many(p.now, &batch);
    assert_eq!(verdicts.len(), 6);
    assert!(verdicts[0].is_ok() && verdicts[2].is_ok() && verdicts[4].is_ok());
    assert!(verdicts[5].is_ok());
    assert!(matches!(verdicts[1], Err(SessionError::Crypto(_))));
    assert!(matches!(verdicts[3], Err(SessionError::Duplicate(_))));
    // The intact packet 1 is still accepted afterwards, alone.
    p.client.handle_incoming(p.now, &packets[1]).unwrap();
    let got: Vec<_> = std::iter::from_fn(|| p.client.poll_event())
        .filter_map(|e| match e {
            Event::Response { request, body } => {
                // Each large answer is left in the buffer its packet was decrypted into,
                // after the packet's header (32 bytes) and rpc_result's (12; more when it
                // shares a container), not copied out (a copy starts at 0).
                let (buf, start) = body.into_parts();
                assert!(
                    start >= 44,
                    "answer to {request:?} copied out of its packet"
                );
                Some((request, buf[start..].to_vec()))
            }
            _ => None,
        })
        .collect();
    let order = [0, 2, 3, 4, 1];
    let expected: Vec<_> = order
        .iter()
        .map(|&i| (requests[asked[i].1 as usize - 1], big(asked[i].1)))
        .collect();
    assert_eq!(got, expected);
    // One packet alone and an empty batch are fine too.
    assert!(p.client.handle_incoming_many(p.now, &[]).is_empty());
    assert!(matches!(
        p.client.handle_incoming_many(p.now, &[&packets[2]])[..],
        [Err(SessionError::Duplicate(_))]
    ));
}

/// Only large answers lying in their packet's buffer are handed out in place: small ones and
/// gzip-packed ones (inflated elsewhere) are copied into buffers of their own; all read right.
#[test]
fn small_and_inflated_answers_are_copied_out() {
    let mut p = Pair::default_pair();
    let small = p.client.enqueue(query(1, 0));
    let packed = p.client.enqueue(query(2, 0));
    let asked = deliver_queries(&mut p);
    // 100 KiB of one byte: gzip-packed by the server, inflated by the client.
    let compressible = |n: u32| {
        let mut b = answer(n);
        b.resize(b.len() + 100 * 1024, 7);
        b
    };
    for (msg_id, n) in &asked {
        let body = if *n == 1 { answer(1) } else { compressible(2) };
        assert!(p.server.respond(*msg_id, body));
    }
    let mut buf = Vec::new();
    while p.server.poll_transmit(p.now, &mut buf) {
        assert!(
            buf.len() < 50 * 1024,
            "the large answer went out gzip-packed"
        );
        p.client.handle_incoming(p.now, &buf).unwrap();
        buf.clear();
    }
    let mut got: Vec<_> = std::iter::from_fn(|| p.client.poll_event())
        .filter_map(|e| match e {
            Event::Response { request, body } => Some((request, body.into_parts())),
            _ => None,
        })
        .collect();
    got.sort_by_key(|(r, _)| *r != small);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, small);
    assert_eq!(got[0].1, (answer(1), 0));
    assert_eq!(got[1].0, packed);
    assert_eq!(got[1].1, (compressible(2), 0));
}

#[test]
fn ping_pong_and_destroy_session() {
    let mut p = Pair::default_pair();
    p.client.ping(42);
    p.client.destroy_session(1234);
    assert!(p.run_until(Duration::from_secs(5), |p| p
        .client_events
        .iter()
        .filter(|e| matches!(e, Event::Pong { .. } | Event::SessionDestroyed { .. }))
        .count()
        == 2));
    assert!(p.client_events.contains(&Event::Pong { ping_id: 42 }));
    assert!(p.client_events.contains(&Event::SessionDestroyed {
        session_id: 1234,
        existed: false
    }));
    assert!(p
        .server_events
        .contains(&ServerEvent::DestroySession { session_id: 1234 }));
}

#[test]
fn rpc_errors_are_typed() {
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    let r = p.client.enqueue(query(1, 0));
    p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 1);
    let Some(ServerEvent::Request { msg_id, .. }) = p
        .server_events
        .iter()
        .find(|e| matches!(e, ServerEvent::Request { .. }))
        .cloned()
    else {
        unreachable!()
    };
    assert!(p.server.respond_error(msg_id, 420, "FLOOD_WAIT_30"));
    assert!(
        !p.server.respond(msg_id, answer(1)),
        "a query is answered once"
    );
    assert!(p.run_until(Duration::from_secs(5), done_after(1)));
    let err = p.client_events.iter().find_map(|e| match e {
        Event::RpcError { request, error } if *request == r => Some(error.clone()),
        _ => None,
    });
    let err = err.expect("rpc error event");
    assert_eq!(
        (err.code, err.name.as_str(), err.value),
        (420, "FLOOD_WAIT", Some(30))
    );
}

#[test]
fn future_salts_rotate_over_hours_without_bad_salt() {
    let mut p = Pair::default_pair();
    let mut asked = 0;
    for hour in 0..6 {
        for _ in 0..6 {
            p.client.enqueue(query(hour, 0));
            asked += 1;
            assert!(p.run_until(Duration::from_secs(10), done_after(asked)));
            p.run_for(Duration::from_secs(590));
            assert!(
                p.schedule
                    .accepts(p.client.salt(), p.now.unix_secs() as i64),
                "salt expired at hour {hour}"
            );
        }
    }
    assert_eq!(p.outcomes(), asked);
    assert_eq!(p.responses().len(), asked);
    assert_eq!(p.tapped(Side::Server, id::BAD_SERVER_SALT), 0);
    assert!(p.tapped(Side::Server, id::FUTURE_SALTS) >= 1);
    let changes = p
        .client_events
        .iter()
        .filter(|e| matches!(e, Event::SaltChanged { .. }))
        .count();
    assert!(changes >= 5, "{changes} salt changes in 6 hours");
}

#[test]
fn lost_request_is_resent_under_its_id_and_runs_once() {
    let mut p = Pair::default_pair();
    p.drop_next
        .push((Side::Client, |t| t.iter().any(|t| t.ctor == 0x0b0b_0b0b)));
    let r = p.client.enqueue(query(9, 0));
    assert!(p.run_until(Duration::from_secs(60), done_after(1)));
    assert_eq!(p.responses(), vec![(r, answer(9))]);
    let ids: Vec<i64> = p
        .tap
        .iter()
        .filter(|t| t.from == Side::Client && t.ctor == 0x0b0b_0b0b)
        .map(|t| t.msg_id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "resent under the same msg_id");
    assert_eq!(p.requests_seen(), 1);
}

#[test]
fn duplicate_after_answer_gets_the_answer_again_not_a_rerun() {
    let mut p = Pair::default_pair();
    // The answer is lost; the client's same-id resend hits the server's duplicate path.
    p.drop_next
        .push((Side::Server, |t| t.iter().any(|t| t.ctor == id::RPC_RESULT)));
    let r = p.client.enqueue(query(4, 0));
    assert!(p.run_until(Duration::from_secs(60), done_after(1)));
    assert_eq!(p.responses(), vec![(r, answer(4))]);
    assert_eq!(p.requests_seen(), 1, "the query ran once");
    assert_eq!(p.outcomes(), 1);
}

#[test]
fn lost_large_answer_is_announced_with_detailed_info_and_fetched() {
    let server = ServerConfig {
        detailed_info_over: 8,
        ..ServerConfig::default()
    };
    let client = ClientConfig {
        resend_after: Duration::from_secs(1000),
        ..ClientConfig::default()
    };
    let mut p = Pair::new(client, server, 5);
    p.drop_next
        .push((Side::Server, |t| t.iter().any(|t| t.ctor == id::RPC_RESULT)));
    let r = p.client.enqueue(query(8, 0));
    assert!(p.run_until(Duration::from_secs(60), done_after(1)));
    assert_eq!(p.responses(), vec![(r, answer(8))]);
    assert_eq!(p.tapped(Side::Server, id::MSG_DETAILED_INFO), 1);
    assert_eq!(p.tapped(Side::Client, id::MSG_RESEND_REQ), 1);
    assert_eq!(p.requests_seen(), 1);
}

#[test]
fn lost_update_is_announced_with_new_detailed_info() {
    let mut p = Pair::default_pair();
    p.client.enqueue(query(1, 0));
    p.run_until(Duration::from_secs(5), done_after(1));
    p.drop_next
        .push((Side::Server, |t| t.iter().any(|t| t.ctor == 0x0b0b_0b0b)));
    p.server.push(query(77, 0));
    p.run_until(Duration::from_secs(60), |p| {
        p.client_events
            .iter()
            .any(|e| matches!(e, Event::Update { .. }))
    });
    let updates: Vec<_> = p
        .client_events
        .iter()
        .filter(|e| matches!(e, Event::Update { .. }))
        .collect();
    assert_eq!(updates, vec![&Event::Update { body: query(77, 0) }]);
    assert_eq!(p.tapped(Side::Server, id::MSG_NEW_DETAILED_INFO), 1);
    assert_eq!(p.tapped(Side::Client, id::MSG_RESEND_REQ), 1);
    // Once delivered, nothing more is announced.
    p.run_for(Duration::from_secs(120));
    assert_eq!(p.tapped(Side::Server, id::MSG_NEW_DETAILED_INFO), 1);
}

#[test]
fn state_query_recovers_an_answer_lost_after_the_ack() {
    // Server acks at once, answers 8 s later; that answer is lost and the server does not
    // announce it (long resend_after), so the client's msgs_state_req finds out.
    let server = ServerConfig {
        resend_after: Duration::from_secs(100_000),
        ..ServerConfig::default()
    };
    let mut server = server;
    server.limits.ack_delay = Duration::from_millis(10);
    let mut p = Pair::new(ClientConfig::default(), server, 6);
    p.auto_answer = Some(Duration::from_secs(8));
    p.drop_next
        .push((Side::Server, |t| t.iter().any(|t| t.ctor == id::RPC_RESULT)));
    let r = p.client.enqueue(query(6, 0));
    assert!(p.run_until(Duration::from_secs(120), done_after(1)));
    assert_eq!(p.responses(), vec![(r, answer(6))]);
    assert!(p.tapped(Side::Client, id::MSGS_STATE_REQ) >= 1);
    assert!(p.tapped(Side::Server, id::MSGS_STATE_INFO) >= 1);
    assert_eq!(p.tapped(Side::Client, id::MSG_RESEND_ANS_REQ), 1);
    assert_eq!(p.requests_seen(), 1);
}

#[test]
fn slow_answer_is_waited_for_after_state_query() {
    let mut server = ServerConfig::default();
    server.limits.ack_delay = Duration::from_millis(10);
    let mut p = Pair::new(ClientConfig::default(), server, 7);
    p.auto_answer = Some(Duration::from_secs(50));
    let r = p.client.enqueue(query(2, 0));
    assert!(p.run_until(Duration::from_secs(120), done_after(1)));
    assert_eq!(p.responses(), vec![(r, answer(2))]);
    assert!(
        p.tapped(Side::Client, id::MSGS_STATE_REQ) >= 1,
        "asked about the acked query"
    );
    assert_eq!(
        p.tapped(Side::Client, 0x0b0b_0b0b),
        1,
        "never resent: the server has it"
    );
}

#[test]
fn seq_no_conflict_resets_the_session() {
    let mut p = Pair::default_pair();
    p.client.enqueue(query(1, 0));
    p.client.enqueue(query(2, 0));
    assert!(p.run_until(Duration::from_secs(5), done_after(2)));
    let old = p.client.session_id();
    // Rewind the client's seq_no counter: its next message contradicts earlier ones.
    p.client.core_mut().seq = Default::default();
    let r = p.client.enqueue(query(3, 0));
    assert!(p.run_until(Duration::from_secs(30), done_after(3)));
    assert!(p.tapped(Side::Server, id::BAD_MSG_NOTIFICATION) >= 1);
    let new = p.client.session_id();
    assert_ne!(old, new);
    assert!(p
        .client_events
        .contains(&Event::SessionReset { session_id: new }));
    assert!(p
        .server_events
        .contains(&ServerEvent::NewSession { session_id: new }));
    assert!(p.responses().contains(&(r, answer(3))));
}

#[test]
fn cancel_drops_the_answer_on_both_ends() {
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    let r = p.client.enqueue(query(1, 0));
    p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 1);
    p.client.cancel(r);
    p.run_for(Duration::from_secs(2));
    let Some(ServerEvent::Request { msg_id, .. }) = p
        .server_events
        .iter()
        .find(|e| matches!(e, ServerEvent::Request { .. }))
        .cloned()
    else {
        unreachable!()
    };
    assert!(
        !p.server.respond(msg_id, answer(1)),
        "the server discards the dropped query's answer"
    );
    p.run_for(Duration::from_secs(5));
    assert_eq!(
        p.client_events
            .iter()
            .filter(|e| matches!(e, Event::Dropped { .. }))
            .count(),
        1
    );
    assert!(p.client_events.contains(&Event::Dropped {
        request: r,
        reason: DropReason::Cancelled
    }));
    assert!(p.responses().is_empty());
    assert_eq!(p.tapped(Side::Client, id::RPC_DROP_ANSWER), 1);
}

#[test]
fn invoke_after_msgs_orders_requests() {
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    let a = p.client.enqueue(query(1, 0));
    let b = p.client.enqueue_with(
        query(2, 0),
        RequestOptions {
            after: vec![a],
            ..RequestOptions::default()
        },
    );
    p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 2);
    let reqs: Vec<_> = p
        .server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Request { msg_id, body } => Some((*msg_id, body.clone())),
            _ => None,
        })
        .collect();
    let a_id = p.client.msg_id_of(a).unwrap();
    assert_eq!(reqs[0], (a_id, query(1, 0)));
    assert_eq!(
        reqs[1].1,
        service::wrap_invoke_after(&[a_id.0], &query(2, 0))
    );
    assert!(reqs[1].0 > a_id);
    assert_eq!(number_of(&reqs[1].1), Some(2));
    let _ = b;
}

/// The requests the server received, in order: (msg_id, body).
fn server_requests(p: &Pair) -> Vec<(crate::MsgId, Vec<u8>)> {
    p.server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Request { msg_id, body } => Some((*msg_id, body.clone())),
            _ => None,
        })
        .collect()
}

/// Enqueues `n` requests, each ordered after the one before.
fn enqueue_chain(p: &mut Pair, n: u32) -> Vec<crate::RequestId> {
    let mut chain: Vec<crate::RequestId> = Vec::new();
    for i in 0..n {
        let opts = RequestOptions {
            after: chain.last().copied().into_iter().collect(),
            ..RequestOptions::default()
        };
        chain.push(p.client.enqueue_with(query(i, 0), opts));
    }
    chain
}

/// Each request after the first must be `invokeAfterMsgs([previous msg_id], query)`.
fn assert_chained(reqs: &[(crate::MsgId, Vec<u8>)]) {
    assert_eq!(reqs[0].1, query(0, 0));
    for (i, pair) in reqs.windows(2).enumerate() {
        let n = u32::try_from(i + 1).unwrap();
        assert_eq!(
            pair[1].1,
            service::wrap_invoke_after(&[pair[0].0 .0], &query(n, 0)),
            "request {n} must wait for the msg_id request {} travelled under",
            n - 1
        );
    }
}

#[test]
fn an_ordered_chain_travels_in_one_container() {
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    let chain = enqueue_chain(&mut p, 5);
    assert!(p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 5));
    assert_eq!(p.packets_sent[Side::Client as usize], 1, "one packet");
    let in_container: Vec<bool> = p
        .tap
        .iter()
        .filter(|t| t.from == Side::Client && matches!(t.ctor, 0x0b0b_0b0b | id::INVOKE_AFTER_MSGS))
        .map(|t| t.in_container)
        .collect();
    assert_eq!(in_container, vec![true; 5]);
    assert_eq!(p.tapped(Side::Client, id::INVOKE_AFTER_MSGS), 4);
    let reqs = server_requests(&p);
    assert_chained(&reqs);
    for (request, (msg_id, _)) in chain.iter().zip(&reqs) {
        assert_eq!(p.client.msg_id_of(*request), Some(*msg_id));
    }
}

#[test]
fn a_chain_resent_under_new_ids_refers_to_the_new_ids() {
    // The first packet is lost and nothing is resent until the ids are too old to reuse, so
    // every request is resent under a new msg_id: the wrappers must follow.
    let mut p = Pair::new(
        ClientConfig {
            resend_after: Duration::from_secs(250),
            ..ClientConfig::default()
        },
        ServerConfig::default(),
        3,
    );
    p.drop_next.push((Side::Client, |_| true));
    let chain = enqueue_chain(&mut p, 4);
    assert!(p.run_until(Duration::from_secs(600), done_after(4)));
    let reqs = server_requests(&p);
    assert_eq!(reqs.len(), 4, "the lost packet never reached the server");
    assert_chained(&reqs);
    let first_ids: Vec<i64> = p
        .tap
        .iter()
        .filter(|t| t.from == Side::Client && t.ctor == id::INVOKE_AFTER_MSGS)
        .map(|t| t.msg_id)
        .take(3)
        .collect();
    assert!(reqs.iter().all(|(id, _)| !first_ids.contains(&id.0)));
    let answered: Vec<_> = p.responses().into_iter().map(|(r, _)| r).collect();
    assert_eq!(answered.len(), 4);
    assert!(chain.iter().all(|r| answered.contains(r)));
}

#[test]
fn a_chain_whose_head_fails_still_ends_every_request_once() {
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    let chain = enqueue_chain(&mut p, 3);
    assert!(p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 3));
    let reqs = server_requests(&p);
    p.server.respond_error(reqs[0].0, 400, "BAD_HEAD");
    p.server.respond(reqs[1].0, answer(1));
    p.server.respond_error(reqs[2].0, 400, "MSG_WAIT_FAILED");
    assert!(p.run_until(Duration::from_secs(5), done_after(3)));
    let outcome = |r| {
        p.client_events
            .iter()
            .filter(|e| match e {
                Event::Response { request, .. } | Event::RpcError { request, .. } => *request == r,
                _ => false,
            })
            .count()
    };
    assert!(chain.iter().all(|&r| outcome(r) == 1));
    assert_eq!(p.responses(), vec![(chain[1], answer(1))]);
}

fn seal_raw(
    plain_body: &[u8],
    session_id: i64,
    msg_id: i64,
    padding: usize,
    side: Side,
) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&0i64.to_le_bytes());
    p.extend_from_slice(&session_id.to_le_bytes());
    p.extend_from_slice(&msg_id.to_le_bytes());
    p.extend_from_slice(&1i32.to_le_bytes());
    p.extend_from_slice(&(plain_body.len() as u32).to_le_bytes());
    p.extend_from_slice(plain_body);
    p.resize(p.len() + padding, 0x5a);
    let mut out = Vec::new();
    encrypt_message(&key(), side, &p, &mut out).unwrap();
    out
}

#[test]
fn incoming_checks_padding_session_and_key() {
    let mut p = Pair::default_pair();
    let sid = p.client.session_id();
    let now = Instant::from_unix_secs(T0);
    let id = (T0 as i64) << 32 | 3;
    let body = query(1, 0); // 8 bytes; header 32: 40 + padding must be a multiple of 16
    assert_eq!(
        p.client
            .handle_incoming(now, &seal_raw(&body, sid, id, 8, Side::Server)),
        Err(SessionError::BadPadding(8))
    );
    assert_eq!(
        p.client
            .handle_incoming(now, &seal_raw(&body, sid, id, 1032, Side::Server)),
        Err(SessionError::BadPadding(1032))
    );
    assert!(matches!(
        p.client
            .handle_incoming(now, &seal_raw(&body, sid ^ 1, id, 24, Side::Server)),
        Err(SessionError::WrongSession { .. })
    ));
    assert_eq!(
        p.client
            .handle_incoming(now, &seal_raw(&body, sid, id + 1, 24, Side::Server)),
        Err(SessionError::WrongParity(crate::MsgId(id + 1)))
    );
    // Encrypted by the wrong side: msg_key derivation differs, so it fails to verify.
    assert!(matches!(
        p.client
            .handle_incoming(now, &seal_raw(&body, sid, id, 24, Side::Client)),
        Err(SessionError::Crypto(_))
    ));
    let mut tampered = seal_raw(&body, sid, id, 24, Side::Server);
    tampered[40] ^= 1;
    assert!(matches!(
        p.client.handle_incoming(now, &tampered),
        Err(SessionError::Crypto(_))
    ));
    // The good one passes, once.
    assert_eq!(
        p.client
            .handle_incoming(now, &seal_raw(&body, sid, id, 24, Side::Server)),
        Ok(())
    );
    assert!(matches!(p.client.poll_event(), Some(Event::Update { .. })));
    assert_eq!(
        p.client
            .handle_incoming(now, &seal_raw(&body, sid, id, 24, Side::Server)),
        Err(SessionError::Duplicate(crate::MsgId(id)))
    );
    // Too new / too old relative to the client's clock.
    let future = (T0 as i64 + 31) << 32 | 3;
    assert_eq!(
        p.client
            .handle_incoming(now, &seal_raw(&body, sid, future, 24, Side::Server)),
        Err(SessionError::TooNew(crate::MsgId(future)))
    );
    let past = (T0 as i64 - 301) << 32 | 3;
    assert_eq!(
        p.client
            .handle_incoming(now, &seal_raw(&body, sid, past, 24, Side::Server)),
        Err(SessionError::TooOld(crate::MsgId(past)))
    );
}

#[test]
fn malformed_inner_message_is_an_event_and_the_session_survives() {
    let mut p = Pair::default_pair();
    let sid = p.client.session_id();
    let now = Instant::from_unix_secs(T0);
    // A pong with its fields cut short.
    let mut bad = service::encode_pong(1, 2);
    bad.truncate(12);
    let id = (T0 as i64) << 32 | 3;
    assert!(matches!(
        p.client
            .handle_incoming(now, &seal_raw(&bad, sid, id, 20, Side::Server)),
        Err(SessionError::Malformed { .. })
    ));
    // The session still works.
    let r = p.client.enqueue(query(1, 0));
    assert!(p.run_until(Duration::from_secs(5), done_after(1)));
    assert_eq!(p.responses(), vec![(r, answer(1))]);
}

#[test]
fn requests_tag_and_tags_are_distinct() {
    // Guard for the harness: request bodies are not mistaken for service messages.
    assert!(service::is_content_related(&query(1, 0)));
    assert!(!service::is_content_related(&service::encode_ids(
        id::MSGS_ACK,
        &[1]
    )));
    assert_ne!(Tag::Push, Tag::Service);
}

#[test]
fn ping_delay_disconnect_is_answered_with_pong() {
    let mut p = Pair::default_pair();
    p.client.ping_delay_disconnect(77, 75);
    assert!(p.run_until(Duration::from_secs(5), |p| p
        .client_events
        .contains(&Event::Pong { ping_id: 77 })));
    assert_eq!(p.tapped(Side::Client, id::PING_DELAY_DISCONNECT), 1);
    assert_eq!(p.tapped(Side::Client, id::PING), 0);
}

#[test]
fn reconnect_resends_in_flight_requests_at_once() {
    let mut p = Pair::default_pair();
    // Settle the salt first, so the request below travels once and is lost once.
    p.client.enqueue(query(1, 0));
    assert!(p.run_until(Duration::from_secs(5), done_after(1)));
    p.drop_next
        .push((Side::Client, |t| t.iter().any(|t| t.ctor == 0x0b0b_0b0b)));
    let r = p.client.enqueue(query(2, 0));
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.outcomes(), 1, "the packet was lost");
    // Without the hook the resend would wait for resend_after (10 s).
    let now = p.client_now();
    p.client.handle_reconnect(now);
    assert!(p.run_until(Duration::from_secs(1), done_after(2)));
    assert_eq!(p.responses()[1], (r, answer(2)));
    let ids: Vec<i64> = p
        .tap
        .iter()
        .filter(|t| t.from == Side::Client && t.ctor == 0x0b0b_0b0b)
        .map(|t| t.msg_id)
        .collect();
    // query(1) once, then query(2) lost and resent.
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(ids[1], ids[2], "resent under the same msg_id");
    assert_eq!(p.requests_seen(), 2);
}

#[test]
fn reconnects_do_not_use_up_the_resend_budget() {
    let mut p = Pair::default_pair();
    p.client.enqueue(query(1, 0));
    assert!(p.run_until(Duration::from_secs(5), done_after(1)));
    let r = p.client.enqueue(query(2, 0));
    // Twice the budget of connection losses, each swallowing the packet the request is in.
    let losses = 2 * ClientConfig::default().max_resends as usize;
    for _ in 0..losses {
        p.drop_next
            .push((Side::Client, |t| t.iter().any(|t| t.ctor == 0x0b0b_0b0b)));
        let now = p.client_now();
        p.client.handle_reconnect(now);
        p.run_for(Duration::from_millis(500));
        assert!(p.drop_next.is_empty(), "the resend went out and was lost");
    }
    assert_eq!(p.outcomes(), 1, "still pending, not dropped");
    let now = p.client_now();
    p.client.handle_reconnect(now);
    assert!(p.run_until(Duration::from_secs(1), done_after(2)));
    assert_eq!(p.responses()[1], (r, answer(2)));
    assert_eq!(p.outcomes(), 2);
    assert_eq!(p.tapped(Side::Client, 0x0b0b_0b0b), 1 + losses + 1);
}

#[test]
fn resends_on_a_live_silent_link_still_run_out() {
    let mut p = Pair::default_pair();
    p.client.enqueue(query(1, 0));
    assert!(p.run_until(Duration::from_secs(5), done_after(1)));
    // One reconnect credit, then a link that loses every copy: the budget still ends it.
    p.net.loss = 1.0;
    let r = p.client.enqueue(query(2, 0));
    p.run_for(Duration::from_millis(100));
    let now = p.client_now();
    p.client.handle_reconnect(now);
    assert!(p.run_until(Duration::from_secs(120), done_after(2)));
    assert!(p.client_events.contains(&Event::Dropped {
        request: r,
        reason: DropReason::TooManyResends
    }));
}

fn clock_jump_mid_session(jump: i64) {
    let mut p = Pair::default_pair();
    for n in 0..5 {
        p.client.enqueue(query(n, 0));
    }
    assert!(p.run_until(Duration::from_secs(5), done_after(5)));
    p.run_for(Duration::from_secs(10));
    // The client's clock is reset by `jump` seconds while the session lives on.
    p.client_skew = jump;
    let r = p.client.enqueue(query(9, 0));
    assert!(
        p.run_until(Duration::from_secs(120), |p| p
            .client_events
            .iter()
            .any(|e| matches!(e, Event::Response { request, .. } | Event::Dropped { request, .. } if *request == r))),
        "request ended"
    );
    assert!(
        p.responses()
            .iter()
            .any(|(req, body)| *req == r && *body == answer(9)),
        "answered after the jump of {jump} s: {:?}",
        p.client_events.iter().rev().take(5).collect::<Vec<_>>()
    );
}

#[test]
fn a_clock_set_back_mid_session_is_corrected_without_dropping_requests() {
    clock_jump_mid_session(-3600);
    clock_jump_mid_session(-100);
}

#[test]
fn a_clock_set_forward_mid_session_is_corrected_without_dropping_requests() {
    clock_jump_mid_session(3600);
    clock_jump_mid_session(100);
}

#[test]
fn shrinking_a_quiet_session_changes_nothing_it_does() {
    let mut p = Pair::default_pair();
    assert!(!p.client.holds_work(), "a new session holds no work");
    for n in 1..=3u32 {
        let r = p.client.enqueue(query(n, 300));
        assert!(p.client.holds_work());
        assert!(p.run_until(Duration::from_secs(5), done_after(n as usize)));
        assert!(p.responses().contains(&(r, answer(n))));
        p.client.shrink_buffers();
        assert!(
            !p.client.holds_work(),
            "an answered session gives its work back"
        );
        assert_eq!(p.client.pending_requests(), 0);
        p.run_for(Duration::from_secs(30));
        p.client.shrink_buffers();
    }
    // Shrinking with a request in flight keeps it.
    let r = p.client.enqueue(query(9, 0));
    p.client.shrink_buffers();
    assert!(p.client.holds_work());
    assert_eq!(p.client.pending_requests(), 1);
    assert!(p.run_until(Duration::from_secs(5), done_after(4)));
    assert!(p.responses().contains(&(r, answer(9))));
    assert!(p.client_errors.is_empty() && p.server_errors.is_empty());
}

#[test]
fn a_quiet_session_forgets_its_acknowledgments_and_frees_its_log() {
    let mut p = Pair::default_pair();
    p.client.enqueue(query(1, 0));
    assert!(p.run_until(Duration::from_secs(10), done_after(1)));
    // A second request goes out in a container with the first answer's acknowledgment; its
    // answer shows the server took that packet, so neither the container nor the ack in it
    // is remembered any more.
    p.run_for(Duration::from_millis(10));
    p.client.enqueue(query(2, 0));
    assert!(p.run_until(Duration::from_secs(10), done_after(2)));
    assert!(
        p.tap
            .iter()
            .any(|t| t.from == Side::Client && t.ctor == id::MSGS_ACK && t.in_container),
        "the ack travelled with the request"
    );
    let core = p.client.core_mut();
    assert!(
        core.sent.values().all(|s| matches!(
            s.kind,
            SentKind::Message {
                tag: Tag::Service,
                ..
            }
        )),
        "only service queries may be left"
    );
    // The answer's acknowledgment goes out alone once the ack delay has passed, and is
    // remembered (a bad_server_salt about it would have it sent again).
    p.run_for(Duration::from_secs(6));
    assert!(p.tapped(Side::Client, id::MSGS_ACK) >= 1);
    let core = p.client.core_mut();
    assert!(!core.sent.is_empty(), "the stand-alone ack is recorded");
    assert!(core.sent.values().all(|s| matches!(
        s.kind,
        SentKind::Container(_) | SentKind::Message { tag: Tag::Ack, .. }
    )));
    // Past the retention of acknowledgments and containers, the next step forgets them and
    // the emptied log can be given back.
    p.run_for(Duration::from_secs(31));
    let now = p.client_now();
    assert!(!p.client.poll_transmit(now, &mut Vec::new()));
    p.client.shrink_buffers();
    assert!(p.client.core_mut().sent.is_empty());
    // Requests are still remembered for as long as before.
    p.client.enqueue(query(3, 0));
    assert!(p.run_until(Duration::from_secs(10), done_after(3)));
}

/// A server answering with `respond_split` sends exactly the packets it sends answering with
/// the joined bytes (gzip off): alone, beside acknowledgments in a container, sealed four at a
/// time, and resent under the same id after a duplicate query; the client reads the bytes.
#[test]
fn split_answers_seal_to_the_same_packets_as_joined_ones() {
    use std::sync::Arc;

    use crate::SplitBody;

    let data: Arc<Vec<u8>> = Arc::new(
        (0u32..(1 << 20) + 256)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect(),
    );
    let sizes = [
        0,
        1,
        2,
        3,
        4,
        100,
        253,
        254,
        255,
        4096,
        16_383,
        20_000,
        131_073,
        524_288,
        1 << 20,
    ];
    let server_cfg = || {
        let mut cfg = ServerConfig::default();
        cfg.limits.gzip_threshold = usize::MAX;
        cfg
    };
    let mut joined = super::harness::Pair::new(ClientConfig::default(), server_cfg(), 7);
    let mut split = super::harness::Pair::new(ClientConfig::default(), server_cfg(), 7);
    let mut requests = Vec::new();
    let mut first_packets = Vec::new();
    for (n, _) in sizes.iter().enumerate() {
        let a = joined.client.enqueue(query(n as u32, 0));
        let b = split.client.enqueue(query(n as u32, 0));
        assert_eq!(a, b);
        requests.push(a);
    }
    let mut asked = Vec::new();
    for pair in [&mut joined, &mut split] {
        let mut buf = Vec::new();
        let mut sent = Vec::new();
        while pair.client.poll_transmit(pair.now, &mut buf) {
            pair.server.handle_incoming(pair.now, &buf).unwrap();
            sent.push(std::mem::take(&mut buf));
        }
        first_packets.push(sent);
        asked.push(
            std::iter::from_fn(|| pair.server.poll_event())
                .filter_map(|e| match e {
                    ServerEvent::Request { msg_id, body } => {
                        Some((msg_id, number_of(&body).unwrap()))
                    }
                    _ => None,
                })
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(first_packets[0], first_packets[1]);
    assert_eq!(asked[0], asked[1]);
    assert_eq!(asked[0].len(), sizes.len());

    // Each answer: a 9-byte head (odd, so the padding varies), then `len` shared bytes.
    let head = |n: u32| {
        let mut h = answer(n);
        h.extend_from_slice(&[0xc5; 5]);
        h
    };
    let range = |n: usize| {
        let start = 13 * n;
        start..start + sizes[n]
    };
    let expected: Vec<Vec<u8>> = (0..sizes.len())
        .map(|n| {
            let body = SplitBody::new(head(n as u32), data.clone(), range(n)).unwrap();
            body.to_vec()
        })
        .collect();
    for &(msg_id, n) in &asked[0] {
        assert!(joined.server.respond(msg_id, expected[n as usize].clone()));
        let body = SplitBody::new(head(n), data.clone(), range(n as usize)).unwrap();
        assert!(split.server.respond_split(msg_id, body.clone()));
        // A second answer to the same query is refused, as `respond` refuses it.
        assert!(!split.server.respond_split(msg_id, body));
    }
    let drain = |pair: &mut super::harness::Pair| {
        let mut outs = vec![Vec::new(); 4];
        let mut packets = Vec::new();
        loop {
            for o in &mut outs {
                o.clear();
            }
            let built = pair.server.poll_transmit_many(pair.now, &mut outs);
            if built == 0 {
                break packets;
            }
            packets.extend(outs[..built].iter().cloned());
        }
    };
    let a = drain(&mut joined);
    let b = drain(&mut split);
    assert_eq!(a.len(), b.len());
    assert!(a == b, "the split answers sealed to other bytes");

    for packet in &b {
        split.client.handle_incoming(split.now, packet).unwrap();
    }
    let mut got: Vec<_> = std::iter::from_fn(|| split.client.poll_event())
        .filter_map(|e| match e {
            Event::Response { request, body } => Some((request, body.into_vec())),
            _ => None,
        })
        .collect();
    got.sort_by_key(|(r, _)| requests.iter().position(|q| q == r));
    let want: Vec<_> = requests.iter().copied().zip(expected).collect();
    assert!(got == want, "the client read other answers");

    // The same query again (a replayed packet): small answers are resent under their ids,
    // from the record the session kept; the packets still match.
    for (pair, sent) in [
        (&mut joined, &first_packets[0]),
        (&mut split, &first_packets[1]),
    ] {
        for packet in sent {
            pair.server.handle_incoming(pair.now, packet).unwrap();
        }
    }
    let a = drain(&mut joined);
    let b = drain(&mut split);
    assert!(!b.is_empty());
    assert!(a == b, "resent split answers differ");
}

/// The server's timer follows the earliest unacknowledged push: due `resend_after` after it
/// was sent (later pushes do not move it), then, once it is noted, the next one's.
#[test]
fn server_timer_follows_the_earliest_unacknowledged_push() {
    let mut p = Pair::default_pair();
    p.client.enqueue(query(1, 0));
    assert!(p.run_until(Duration::from_secs(5), done_after(1)));
    p.run_for(Duration::from_secs(60));
    assert_eq!(p.server.poll_timeout(), None);
    let resend_after = ServerConfig::default().resend_after;
    let first = p.now;
    p.server.push(query(50, 0));
    let mut out = Vec::new();
    assert!(p.server.poll_transmit(first, &mut out));
    assert_eq!(p.server.poll_timeout(), Some(first + resend_after));
    let second = first + Duration::from_secs(3);
    p.server.push(query(51, 0));
    out.clear();
    assert!(p.server.poll_transmit(second, &mut out));
    assert_eq!(p.server.poll_timeout(), Some(first + resend_after));
    // Not due yet: nothing to send.
    p.server
        .handle_timeout(first + (resend_after - Duration::from_millis(1)));
    out.clear();
    assert!(!p
        .server
        .poll_transmit(first + (resend_after - Duration::from_millis(1)), &mut out));
    // Due: the first is announced, and the timer moves to the second.
    p.server.handle_timeout(first + resend_after);
    assert_eq!(p.server.poll_timeout(), Some(second + resend_after));
    out.clear();
    assert!(p.server.poll_transmit(first + resend_after, &mut out));
    p.server.handle_timeout(second + resend_after);
    assert_eq!(
        p.server.poll_timeout(),
        Some(first + resend_after + resend_after)
    );
}
