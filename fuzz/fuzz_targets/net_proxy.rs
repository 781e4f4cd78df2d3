//! What a proxy (or whoever pretends to be one) can feed the client before the tunnel exists,
//! and what a user can paste: arbitrary bytes as a SOCKS5 proxy's replies and an HTTP proxy's
//! CONNECT response (the handshakes run over an in-memory stream), and arbitrary text as a proxy
//! link (`tg://proxy?…`, `tg://socks?…`) and as an MTProxy secret in hex or base64.
//!
//! Checked: nothing panics, the handshakes finish without waiting (the input is all there is),
//! and a parsed secret re-encodes to bytes that parse to the same secret.
//!
//! Input: the first byte picks the mode (mod 4: SOCKS5, HTTP, link, secret) and, for the
//! handshakes, bit 2 whether credentials are offered and bit 3 whether the target is a domain.
#![no_main]

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use tgwire_net::proxy::{http, socks5};
use tgwire_net::{Credentials, MtProxySecret, NetError, ProxyLink, TargetAddr};

/// Polls once: over an in-memory stream the handshake never has a reason to wait.
fn run(fut: impl Future<Output = Result<(), NetError>>) -> Result<(), NetError> {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(fut).poll(&mut cx) {
        Poll::Ready(result) => result,
        Poll::Pending => panic!("a handshake over an in-memory stream is pending"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let credentials = (mode & 4 != 0).then(|| Credentials::new("user", "pass"));
    let target = if mode & 8 != 0 {
        TargetAddr::Domain("dc.example".into(), 443)
    } else {
        TargetAddr::Ip(SocketAddr::from((Ipv4Addr::new(149, 154, 167, 51), 443)))
    };
    match mode % 4 {
        0 | 1 => {
            let mut stream = tokio::io::join(rest, tokio::io::sink());
            let _ = if mode % 4 == 0 {
                run(socks5::handshake(
                    &mut stream,
                    &target,
                    credentials.as_ref(),
                ))
            } else {
                run(http::handshake(&mut stream, &target, credentials.as_ref()))
            };
        }
        2 => {
            let _ = String::from_utf8_lossy(rest).parse::<ProxyLink>();
        }
        _ => {
            if let Ok(secret) = String::from_utf8_lossy(rest).parse::<MtProxySecret>() {
                let again = MtProxySecret::from_bytes(&secret.to_bytes())
                    .expect("a parsed secret's bytes parse again");
                assert_eq!(again.to_bytes(), secret.to_bytes());
            }
        }
    }
});
