//! The command-line contract: exactly one JSON line when ready, the port layout of `--port`,
//! `--key`, `--data` persistence of auth keys, SIGTERM, and loud failures on bad arguments.

mod common;

use std::net::TcpListener;
use std::process::Command;

use anyhow::Result;
use common::process::{ServerProcess, BIN};
use common::{Client, Raw};
use tgwire_crypto::rsa::{RsaPrivateKey, RsaPublicKey};
use tgwire_net::TransportKind;
use tgwire_testserver::BUILTIN_PUBLIC_KEY_PEM;
use tgwire_tl_types::{functions, Serializable};

#[test]
fn prints_exactly_one_json_line_and_stops_on_sigterm() -> Result<()> {
    let server = ServerProcess::start(&["--port", "0", "--dcs", "2"])?;
    let json = &server.json;
    let prefix = format!(
        "{{\"dcs\":[{{\"id\":1,\"host\":\"127.0.0.1\",\"port\":{}}},",
        server.dc_port(1)?
    );
    assert!(server.ready.starts_with(&prefix), "{}", server.ready);
    let pem_at = server.ready.find("\"rsa_public_key_pem\":").unwrap();
    let fp_at = server.ready.find("\"rsa_fingerprint\":").unwrap();
    assert!(pem_at < fp_at, "keys in the documented order");
    assert!(!server.ready.contains('\n'), "one line");
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["dcs", "rsa_fingerprint", "rsa_public_key_pem"]);

    let dcs = json["dcs"].as_array().unwrap();
    assert_eq!(dcs.len(), 2);
    for (i, dc) in dcs.iter().enumerate() {
        assert_eq!(dc["id"], i as i64 + 1);
        assert_eq!(dc["host"], "127.0.0.1");
        let port = server.dc_port(i as i64 + 1)?;
        assert_ne!(port, 0);
        std::net::TcpStream::connect(("127.0.0.1", port))?;
    }
    assert_ne!(server.dc_port(1)?, server.dc_port(2)?);

    let pem = json["rsa_public_key_pem"].as_str().unwrap();
    assert_eq!(pem, BUILTIN_PUBLIC_KEY_PEM);
    let key = RsaPublicKey::from_pkcs1_pem(pem)?;
    assert_eq!(json["rsa_fingerprint"].as_i64(), Some(key.fingerprint()));
    // The built-in key is fixed: its fingerprint is part of the contract.
    assert_eq!(key.fingerprint(), 743_321_127_393_917_956);

    let (status, rest) = server.terminate()?;
    assert!(status.success(), "{status}");
    assert_eq!(rest, "", "nothing but the ready line on stdout");
    Ok(())
}

/// A first port P with P..P+n free right now (another process may still take one; callers
/// retry).
fn free_run(n: u16) -> u16 {
    loop {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        let first = probe.local_addr().unwrap().port();
        drop(probe);
        if first.checked_add(n).is_none() {
            continue;
        }
        if (0..n).all(|i| TcpListener::bind(("127.0.0.1", first + i)).is_ok()) {
            return first;
        }
    }
}

#[test]
fn dc_n_listens_on_port_plus_n_minus_one() -> Result<()> {
    let mut last_error = None;
    for _ in 0..5 {
        let first = free_run(3);
        match ServerProcess::start(&["--host", "127.0.0.1", "--port", &first.to_string()]) {
            Ok(server) => {
                for n in 1..=3u16 {
                    assert_eq!(server.dc_port(i64::from(n))?, first + n - 1);
                }
                return Ok(());
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap())
}

#[test]
fn a_key_from_the_command_line_replaces_the_built_in_one() -> Result<()> {
    let key = RsaPrivateKey::generate(2048, &mut rand::thread_rng())?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("key.pem");
    std::fs::write(&path, key.to_pkcs1_pem().as_bytes())?;
    let server = ServerProcess::start(&["--key", path.to_str().unwrap(), "--dcs", "1"])?;
    assert_eq!(
        server.json["rsa_fingerprint"].as_i64(),
        Some(key.public_key().fingerprint())
    );
    assert_eq!(
        server.json["rsa_public_key_pem"].as_str(),
        Some(key.public_key().to_pkcs1_pem().as_str())
    );
    Ok(())
}

#[test]
fn bad_arguments_fail_loudly() -> Result<()> {
    for args in [
        &["--dcs", "0"][..],
        &["--port"],
        &["--bogus"],
        &["--key", "/nonexistent/key.pem"],
        &["--proxy-secret", "zz"],
        &["--fault", "explode"],
    ] {
        let out = Command::new(BIN).args(args).output()?;
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(out.stdout.is_empty(), "{args:?} printed {:?}", out.stdout);
        assert!(!out.stderr.is_empty(), "{args:?} said nothing");
    }
    Ok(())
}

#[test]
fn the_proxy_is_announced_in_the_ready_line() -> Result<()> {
    let secret = "dd00112233445566778899aabbccddeeff";
    let server = ServerProcess::start(&["--dcs", "1", "--proxy-secret", secret])?;
    assert_eq!(server.json["proxy"]["secret"], secret);
    let port = server.json["proxy"]["port"].as_u64().unwrap();
    assert_ne!(Some(port), server.json["dcs"][0]["port"].as_u64());
    Ok(())
}

#[tokio::test]
async fn auth_keys_survive_a_restart_with_data() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("state.json");
    let args = ["--dcs", "1", "--data", data.to_str().unwrap()];
    let key = RsaPublicKey::from_pkcs1_pem(BUILTIN_PUBLIC_KEY_PEM)?;

    let server = ServerProcess::start(&args)?;
    let addr = format!("127.0.0.1:{}", server.dc_port(1)?).parse()?;
    let mut client = Client::connect_new(addr, TransportKind::Intermediate, &key).await?;
    client
        .call_ok(functions::help::GetNearestDc.to_bytes())
        .await?;
    let (auth_key, salt) = (client.session.auth_key().clone(), client.session.salt());
    drop(client);
    let (status, _) = server.terminate()?;
    assert!(status.success());

    let server = ServerProcess::start(&args)?;
    let addr = format!("127.0.0.1:{}", server.dc_port(1)?).parse()?;
    let raw = Raw::connect(addr, 1, TransportKind::Abridged).await?;
    let mut again = Client::new(raw, auth_key, salt);
    again
        .call_ok(functions::help::GetNearestDc.to_bytes())
        .await
        .map_err(|e| e.context(server.log_text()))?;
    Ok(())
}
