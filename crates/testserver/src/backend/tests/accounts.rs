//! Sign-in flows: test numbers and their DCs, sign-up, bots, 2FA with real SRP, moving
//! authorizations between DCs, QR login, log-out; profile and contacts.

use tgwire_crypto::srp;
use tgwire_tl_types::{enums, functions, types};

use super::*;

#[test]
fn config_points_at_our_dcs_and_names_this_one() {
    let b = backend();
    let client = Client::connect(&b, 2);
    let enums::Config::Config(config) = client.ok(&functions::help::GetConfig);
    assert_eq!(config.this_dc, 2);
    let options: Vec<(i32, String, i32)> = config
        .dc_options
        .iter()
        .map(|o| {
            let enums::DcOption::DcOption(o) = o;
            (o.id, o.ip_address.to_string(), o.port)
        })
        .collect();
    assert_eq!(
        options,
        vec![
            (1, "127.0.0.1".into(), 20_001),
            (2, "127.0.0.1".into(), 20_002),
            (3, "127.0.0.1".into(), 20_003)
        ]
    );
    let enums::NearestDc::NearestDc(nearest) = client.ok(&functions::help::GetNearestDc);
    assert_eq!((nearest.this_dc, nearest.nearest_dc), (2, 2));
}

#[test]
fn test_number_signs_in_on_its_dc_with_its_code() {
    let b = backend();
    let client = Client::connect(&b, 2);
    // Unauthorized keys are told so.
    assert_eq!(
        client.call(&functions::updates::GetState).unwrap_err(),
        err(401, "AUTH_KEY_UNREGISTERED")
    );
    let id = client.sign_in("9996621234");
    let me = client.me();
    assert!(me.is_self);
    assert_eq!(me.id, id);
    assert_eq!(me.phone.as_deref(), Some("9996621234"));
    assert_eq!(me.first_name.as_deref(), Some("Test 1234"));
    assert_eq!(b.user_of_key(client.ctx.auth_key_id), Some(id));

    // The same number again (another device) is the same account.
    let other = Client::connect(&b, 2);
    assert_eq!(other.sign_in("+999 66 2 1234"), id);
}

#[test]
fn wrong_dc_answers_phone_migrate() {
    let b = backend();
    let dc1 = Client::connect(&b, 1);
    assert_eq!(
        dc1.call(&send_code("9996621234")).unwrap_err(),
        err(303, "PHONE_MIGRATE_2")
    );
    assert_eq!(
        dc1.call(&send_code("9996631234")).unwrap_err(),
        err(303, "PHONE_MIGRATE_3")
    );
    // DC 5 does not exist here.
    assert_eq!(
        dc1.call(&send_code("9996651234")).unwrap_err(),
        err(400, "PHONE_NUMBER_INVALID")
    );
    // A code hash from DC 2 used on DC 1 is also sent home.
    let dc2 = Client::connect(&b, 2);
    let enums::auth::SentCode::SentCode(sent) = dc2.ok(&send_code("9996621234")) else {
        panic!()
    };
    let sign_in = functions::auth::SignIn {
        phone_number: "9996621234".into(),
        phone_code_hash: sent.phone_code_hash,
        phone_code: Some("22222".into()),
        email_verification: None,
    };
    assert_eq!(dc1.call(&sign_in).unwrap_err(), err(303, "PHONE_MIGRATE_2"));
}

#[test]
fn wrong_and_missing_codes_are_refused() {
    let b = backend();
    let client = Client::connect(&b, 1);
    let enums::auth::SentCode::SentCode(sent) = client.ok(&send_code("9996611111")) else {
        panic!()
    };
    let mut sign_in = functions::auth::SignIn {
        phone_number: "9996611111".into(),
        phone_code_hash: sent.phone_code_hash.clone(),
        phone_code: Some("22222".into()),
        email_verification: None,
    };
    assert_eq!(
        client.call(&sign_in).unwrap_err(),
        err(400, "PHONE_CODE_INVALID")
    );
    sign_in.phone_code = None;
    assert_eq!(
        client.call(&sign_in).unwrap_err(),
        err(400, "PHONE_CODE_EMPTY")
    );
    sign_in.phone_code_hash = "deadbeef".into();
    sign_in.phone_code = Some("11111".into());
    assert_eq!(
        client.call(&sign_in).unwrap_err(),
        err(400, "PHONE_CODE_EXPIRED")
    );
    sign_in.phone_code_hash = sent.phone_code_hash;
    assert!(client.call(&sign_in).is_ok());
}

#[test]
fn require_signup_needs_auth_sign_up() {
    let b = Backend::new(
        BackendConfig {
            dcs: dcs(),
            require_signup: true,
            data_file: None,
        },
        Faults::new(),
    );
    let client = Client::connect(&b, 3);
    let enums::auth::SentCode::SentCode(sent) = client.ok(&send_code("9996634567")) else {
        panic!()
    };
    let answer = client.ok(&functions::auth::SignIn {
        phone_number: "9996634567".into(),
        phone_code_hash: sent.phone_code_hash.clone(),
        phone_code: Some("33333".into()),
        email_verification: None,
    });
    assert!(matches!(
        answer,
        enums::auth::Authorization::SignUpRequired(_)
    ));
    assert_eq!(b.user_by_phone("9996634567"), None);
    let sign_up = |first: &str| functions::auth::SignUp {
        no_joined_notifications: false,
        phone_number: "9996634567".into(),
        phone_code_hash: sent.phone_code_hash.clone(),
        first_name: first.into(),
        last_name: "Tester".into(),
    };
    assert_eq!(
        client.call(&sign_up(" ")).unwrap_err(),
        err(400, "FIRSTNAME_INVALID")
    );
    let enums::auth::Authorization::Authorization(auth) = client.ok(&sign_up("Ada")) else {
        panic!()
    };
    let enums::User::User(user) = &auth.user else {
        panic!()
    };
    assert_eq!(
        (user.first_name.as_deref(), user.last_name.as_deref()),
        (Some("Ada"), Some("Tester"))
    );
    assert_eq!(client.me().id, user.id);
}

#[test]
fn any_well_formed_bot_token_signs_in_as_that_bot() {
    let b = backend();
    let client = Client::connect(&b, 2);
    let import = |token: &str| functions::auth::ImportBotAuthorization {
        flags: 0,
        api_id: 1,
        api_hash: "x".into(),
        bot_auth_token: token.into(),
    };
    for bad in [
        "123456",
        "abc:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
        "123:short",
        "-5:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
    ] {
        assert_eq!(
            client.call(&import(bad)).unwrap_err(),
            err(400, "ACCESS_TOKEN_INVALID"),
            "{bad}"
        );
    }
    let token = "4242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-_x";
    let enums::auth::Authorization::Authorization(auth) = client.ok(&import(token)) else {
        panic!()
    };
    let enums::User::User(bot) = &auth.user else {
        panic!()
    };
    assert!(bot.bot && bot.is_self);
    assert_eq!(bot.id, 4242);
    assert_eq!(bot.username.as_deref(), Some("bot4242_bot"));
    // Bots cannot list dialogs, as on Telegram.
    let dialogs = functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id: None,
        offset_date: 0,
        offset_id: 0,
        offset_peer: enums::InputPeer::Empty,
        limit: 10,
        hash: 0,
    };
    assert_eq!(
        client.call(&dialogs).unwrap_err(),
        err(400, "BOT_METHOD_INVALID")
    );
    // Signing in again as the same bot is the same account; a user id is not a bot.
    let again = Client::connect(&b, 1);
    assert!(again.call(&import(token)).is_ok());
    let user = Client::connect(&b, 2).sign_in("9996620000");
    let user_token = format!("{user}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-_x");
    assert_eq!(
        again.call(&import(&user_token)).unwrap_err(),
        err(400, "ACCESS_TOKEN_INVALID")
    );
}

/// `inputCheckPasswordSRP` for `password` against the parameters of `account.getPassword`.
fn srp_answer(password: &types::account::Password, guess: &str) -> enums::InputCheckPasswordSrp {
    let Some(enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo)) =
        &password.current_algo
    else {
        panic!("no current algo")
    };
    let check = srp::compute_check(
        guess.as_bytes(),
        &algo.salt1,
        &algo.salt2,
        algo.g,
        &algo.p,
        password.srp_b.as_deref().unwrap(),
        password.srp_id.unwrap(),
        &[7; 256],
    )
    .unwrap();
    types::InputCheckPasswordSrp {
        srp_id: check.srp_id,
        a: check.a.to_vec().into(),
        m1: check.m1.to_vec().into(),
    }
    .into()
}

fn get_password(client: &Client) -> types::account::Password {
    let enums::account::Password::Password(password) = client.ok(&functions::account::GetPassword);
    *password
}

#[test]
fn two_factor_sign_in_checks_the_password_with_srp() {
    let b = backend();
    let user = b.create_user("9996627777", "Pat", None).unwrap();
    b.set_password(user, "correct horse", Some("horse"))
        .unwrap();
    let client = Client::connect(&b, 2);
    let enums::auth::SentCode::SentCode(sent) = client.ok(&send_code("9996627777")) else {
        panic!()
    };
    let sign_in = functions::auth::SignIn {
        phone_number: "9996627777".into(),
        phone_code_hash: sent.phone_code_hash,
        phone_code: Some("22222".into()),
        email_verification: None,
    };
    assert_eq!(
        client.call(&sign_in).unwrap_err(),
        err(401, "SESSION_PASSWORD_NEEDED")
    );
    assert_eq!(b.user_of_key(client.ctx.auth_key_id), None);

    let password = get_password(&client);
    assert!(password.has_password);
    assert_eq!(password.hint.as_deref(), Some("horse"));
    let wrong = srp_answer(&password, "battery staple");
    assert_eq!(
        client
            .call(&functions::auth::CheckPassword { password: wrong })
            .unwrap_err(),
        err(400, "PASSWORD_HASH_INVALID")
    );
    // A used srp_id cannot be replayed, even with the right password.
    let stale = srp_answer(&password, "correct horse");
    assert_eq!(
        client
            .call(&functions::auth::CheckPassword { password: stale })
            .unwrap_err(),
        err(400, "SRP_ID_INVALID")
    );
    let right = srp_answer(&get_password(&client), "correct horse");
    let enums::auth::Authorization::Authorization(auth) =
        client.ok(&functions::auth::CheckPassword { password: right })
    else {
        panic!()
    };
    assert_eq!(user_id(&auth.user), user);
    assert_eq!(client.me().id, user);
}

#[test]
fn a_password_set_through_the_api_protects_the_next_sign_in() {
    let b = backend();
    let client = Client::connect(&b, 2);
    let user = client.sign_in("9996625555");
    let password = get_password(&client);
    assert!(!password.has_password);
    // The client extends salt1 and sends the verifier v = g^x mod p.
    let enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(mut algo) =
        password.new_algo
    else {
        panic!()
    };
    algo.salt1 = [&algo.salt1[..], &[9; 32]].concat().into();
    let verifier =
        srp::make_verifier(b"hunter2", &algo.salt1, &algo.salt2, algo.g, &algo.p).unwrap();
    let set = |current: enums::InputCheckPasswordSrp, hash: Vec<u8>| {
        functions::account::UpdatePasswordSettings {
            password: current,
            new_settings: types::account::PasswordInputSettings {
                new_algo: Some(enums::PasswordKdfAlgo::from((*algo).clone())),
                new_password_hash: Some(hash.into()),
                hint: Some("h".into()),
                email: None,
                new_secure_settings: None,
            }
            .into(),
        }
    };
    assert_eq!(
        client
            .call(&set(
                enums::InputCheckPasswordSrp::InputCheckPasswordEmpty,
                vec![1; 12]
            ))
            .unwrap_err(),
        err(400, "NEW_PASSWORD_BAD")
    );
    assert!(client.ok(&set(
        enums::InputCheckPasswordSrp::InputCheckPasswordEmpty,
        verifier.to_vec()
    )));
    // Changing it again now needs the current password.
    assert_eq!(
        client
            .call(&set(
                enums::InputCheckPasswordSrp::InputCheckPasswordEmpty,
                verifier.to_vec()
            ))
            .unwrap_err(),
        err(400, "PASSWORD_HASH_INVALID")
    );

    let device = Client::connect(&b, 2);
    let enums::auth::SentCode::SentCode(sent) = device.ok(&send_code("9996625555")) else {
        panic!()
    };
    let sign_in = functions::auth::SignIn {
        phone_number: "9996625555".into(),
        phone_code_hash: sent.phone_code_hash,
        phone_code: Some("22222".into()),
        email_verification: None,
    };
    assert_eq!(
        device.call(&sign_in).unwrap_err(),
        err(401, "SESSION_PASSWORD_NEEDED")
    );
    let answer = srp_answer(&get_password(&device), "hunter2");
    device.ok(&functions::auth::CheckPassword { password: answer });
    assert_eq!(device.me().id, user);
}

#[test]
fn authorization_moves_between_dcs_once() {
    let b = backend();
    let home = Client::connect(&b, 2);
    let user = home.sign_in("9996621000");
    assert_eq!(
        home.call(&functions::auth::ExportAuthorization { dc_id: 9 })
            .unwrap_err(),
        err(400, "DC_ID_INVALID")
    );
    let enums::auth::ExportedAuthorization::ExportedAuthorization(exported) =
        home.ok(&functions::auth::ExportAuthorization { dc_id: 1 });
    let import = functions::auth::ImportAuthorization {
        id: exported.id,
        bytes: exported.bytes,
    };
    // Only on the DC it was exported for, and only once.
    let dc3 = Client::connect(&b, 3);
    assert_eq!(
        dc3.call(&import).unwrap_err(),
        err(400, "AUTH_BYTES_INVALID")
    );
    let dc1 = Client::connect(&b, 1);
    dc1.ok(&import);
    assert_eq!(dc1.me().id, user);
    let dc1b = Client::connect(&b, 1);
    assert_eq!(
        dc1b.call(&import).unwrap_err(),
        err(400, "AUTH_BYTES_INVALID")
    );
}

#[test]
fn qr_login_token_is_accepted_by_a_signed_in_device() {
    let b = backend();
    let phone = Client::connect(&b, 2);
    let user = phone.sign_in("9996624444");
    let mut desktop = Client::connect(&b, 2);
    let export = functions::auth::ExportLoginToken {
        api_id: 1,
        api_hash: "x".into(),
        except_ids: Vec::new(),
    };
    let enums::auth::LoginToken::LoginToken(token) = desktop.ok(&export) else {
        panic!()
    };
    let import = functions::auth::ImportLoginToken {
        token: token.token.clone(),
    };
    // Not accepted yet: the same token back.
    assert!(matches!(
        desktop.ok(&import),
        enums::auth::LoginToken::LoginToken(_)
    ));
    phone.ok(&functions::auth::AcceptLoginToken {
        token: token.token.clone(),
    });
    // The exporting session is told, then imports successfully.
    let pushed = desktop.pushed();
    assert!(pushed
        .iter()
        .flat_map(inner_updates)
        .any(|u| matches!(u, enums::Update::LoginToken)));
    let enums::auth::LoginToken::Success(success) = desktop.ok(&import) else {
        panic!()
    };
    let enums::auth::Authorization::Authorization(auth) = &success.authorization else {
        panic!()
    };
    assert_eq!(user_id(&auth.user), user);
    assert_eq!(desktop.me().id, user);
    assert_eq!(
        desktop.call(&import).unwrap_err(),
        err(400, "AUTH_TOKEN_INVALID")
    );
}

#[test]
fn log_out_unbinds_the_key() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996621111");
    client.ok(&functions::auth::LogOut);
    assert_eq!(
        client
            .call(&functions::users::GetUsers {
                id: vec![enums::InputUser::InputUserSelf]
            })
            .unwrap_err(),
        err(401, "AUTH_KEY_UNREGISTERED")
    );
}

#[test]
fn a_temporary_key_never_bound_is_refused_as_perm_empty_not_unregistered() {
    let b = backend();
    let get_self = functions::users::GetUsers {
        id: vec![enums::InputUser::InputUserSelf],
    };
    let mut temp = Client::connect(&b, 2);
    temp.ctx.temporary = true;
    assert_eq!(
        temp.call(&get_self).unwrap_err(),
        err(401, "AUTH_KEY_PERM_EMPTY")
    );
    // A permanent key that never signed in is "unregistered": the client must sign in.
    let perm = Client::connect(&b, 2);
    assert_eq!(
        perm.call(&get_self).unwrap_err(),
        err(401, "AUTH_KEY_UNREGISTERED")
    );
    // Once bound to a signed-in permanent key, the same temporary key acts for it.
    let user = perm.sign_in("9996621313");
    b.bind_temp_key(temp.ctx.auth_key_id, perm.ctx.auth_key_id, i32::MAX);
    temp.ctx.perm_auth_key_id = 0;
    assert_eq!(temp.me().id, user);
}

#[test]
fn temp_keys_act_for_their_permanent_key() {
    let b = backend();
    let perm = Client::connect(&b, 2);
    let user = perm.sign_in("9996621212");
    let temp_key: i64 = 77;
    b.bind_temp_key(temp_key, perm.ctx.auth_key_id, i32::MAX);
    let temp = Client {
        backend: b.clone(),
        ctx: CallContext {
            dc_id: 2,
            auth_key_id: temp_key,
            perm_auth_key_id: 0,
            session_id: 1,
            layer: 0,
            temporary: false,
        },
        rx: b.register_session(&CallContext {
            dc_id: 2,
            auth_key_id: temp_key,
            perm_auth_key_id: 0,
            session_id: 1,
            layer: 0,
            temporary: false,
        }),
    };
    assert_eq!(temp.me().id, user);
}

#[test]
fn profile_username_and_resolving() {
    let b = backend();
    let alice = Client::connect(&b, 2);
    let alice_id = alice.sign_in("9996620001");
    let bob = Client::connect(&b, 2);
    let bob_id = bob.sign_in("9996620002");

    let update = |name: &str| functions::account::UpdateUsername {
        username: name.into(),
    };
    for bad in ["abc", "1alice", "alice_", "al ice"] {
        assert_eq!(
            alice.call(&update(bad)).unwrap_err(),
            err(400, "USERNAME_INVALID"),
            "{bad}"
        );
    }
    let enums::User::User(me) = alice.ok(&update("alice_t")) else {
        panic!()
    };
    assert_eq!(me.username.as_deref(), Some("alice_t"));
    assert_eq!(
        alice.call(&update("Alice_T")).unwrap_err(),
        err(400, "USERNAME_NOT_MODIFIED")
    );
    assert_eq!(
        bob.call(&update("ALICE_t")).unwrap_err(),
        err(400, "USERNAME_OCCUPIED")
    );

    let enums::contacts::ResolvedPeer::ResolvedPeer(resolved) =
        bob.ok(&functions::contacts::ResolveUsername {
            username: "alice_T".into(),
            referer: None,
        });
    assert_eq!(resolved.peer, types::PeerUser { user_id: alice_id }.into());
    // The access hash comes along, and works.
    let enums::User::User(found) = &resolved.users[0] else {
        panic!()
    };
    assert_eq!(found.access_hash, b.user_access_hash(alice_id));
    assert!(found.phone.is_none(), "phone numbers are for contacts only");
    assert_eq!(
        bob.call(&functions::contacts::ResolveUsername {
            username: "nobody_here".into(),
            referer: None
        })
        .unwrap_err(),
        err(400, "USERNAME_NOT_OCCUPIED")
    );

    let enums::User::User(me) = alice.ok(&functions::account::UpdateProfile {
        first_name: Some("Alice".into()),
        last_name: Some("Liddell".into()),
        about: Some("curious".into()),
    }) else {
        panic!()
    };
    assert_eq!(me.first_name.as_deref(), Some("Alice"));
    let enums::users::UserFull::UserFull(full) = bob.ok(&functions::users::GetFullUser {
        id: input_user(&b, alice_id),
    });
    let enums::UserFull::UserFull(full_user) = &full.full_user;
    assert_eq!(full_user.about.as_deref(), Some("curious"));

    // Contacts: importing by phone, then the phone number is visible.
    let enums::contacts::ImportedContacts::ImportedContacts(imported) =
        bob.ok(&functions::contacts::ImportContacts {
            contacts: vec![
                types::InputPhoneContact {
                    client_id: 5,
                    phone: "+9996620001".into(),
                    first_name: "A".into(),
                    last_name: String::new().into(),
                    note: None,
                }
                .into(),
                types::InputPhoneContact {
                    client_id: 6,
                    phone: "9996629999".into(),
                    first_name: "Nobody".into(),
                    last_name: String::new().into(),
                    note: None,
                }
                .into(),
            ],
        });
    assert_eq!(
        imported.imported,
        vec![types::ImportedContact {
            user_id: alice_id,
            client_id: 5
        }
        .into()]
    );
    let enums::contacts::Contacts::Contacts(contacts) =
        bob.ok(&functions::contacts::GetContacts { hash: 0 })
    else {
        panic!()
    };
    assert_eq!(contacts.contacts.len(), 1);
    let enums::User::User(contact) = &contacts.users[0] else {
        panic!()
    };
    assert_eq!(contact.phone.as_deref(), Some("9996620001"));
    assert!(contact.contact && !contact.mutual_contact);

    // users.getUsers with a wrong access hash leaves the entry out.
    let wrong = types::InputUser {
        user_id: bob_id,
        access_hash: 1,
    };
    assert!(alice
        .ok(&functions::users::GetUsers {
            id: vec![wrong.into()]
        })
        .is_empty());
}
