//! Signing in and out: bot tokens, phone codes, two-step passwords (SRP), sign-up and QR login.
//!
//! ```text
//!  bot_sign_in(token) ──────────────────────────────────────────────▶ User
//!  request_login_code(phone) ─▶ LoginToken ─▶ sign_in(&token, code) ─▶ User
//!                                                  │ Err(PasswordRequired(p))
//!                                                  ▼
//!                                   check_password(p, password) ───▶ User
//!                                                  │ Err(SignUpRequired)
//!                                                  ▼
//!                              sign_up(&token, first, last) ───────▶ User
//!  qr_login() ─▶ QrLogin::Pending { url } … (accepted elsewhere) … qr_login() ─▶ QrLogin::Success
//! ```
//!
//! `PHONE_MIGRATE_X`/`USER_MIGRATE_X` during sign-in move the home DC (see
//! [`Client::invoke`]), so the caller never sees them.

use rand::RngCore;
use tgwire_session::{Changes, SelfUser};
use tgwire_tl_types::{enums, functions, types};

use crate::{Client, InvocationError, SignInError, User};

/// The state between asking for a login code and entering it: the phone number and the
/// `phone_code_hash` Telegram tied the code to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginToken {
    phone: String,
    phone_code_hash: String,
}

impl LoginToken {
    /// The phone number the code was sent to.
    pub fn phone(&self) -> &str {
        &self.phone
    }

    /// The hash Telegram expects back with the code.
    pub fn phone_code_hash(&self) -> &str {
        &self.phone_code_hash
    }
}

/// The account's two-step verification parameters, needed to check a password.
#[derive(Clone, Debug)]
pub struct PasswordToken {
    // Boxed: it is carried in `SignInError`, which stays small.
    password: Box<types::account::Password>,
}

impl PasswordToken {
    /// The hint the user set for the password, if any.
    pub fn hint(&self) -> Option<&str> {
        self.password.hint.as_deref()
    }
}

/// Where a QR login stands.
#[derive(Debug)]
#[non_exhaustive]
// A user is held in place (its TL enum holds it unboxed); one value per login poll, so size is moot.
#[allow(clippy::large_enum_variant)]
pub enum QrLogin {
    /// Show `url` (as a QR code) to a signed-in app, then call [`Client::qr_login`] again
    /// (after `expires`, Unix time, a new token is needed anyway).
    Pending {
        /// The raw token.
        token: Vec<u8>,
        /// `tg://login?token=…` with the token in URL-safe base64.
        url: String,
        /// When the token expires (Unix time).
        expires: i32,
    },
    /// Signed in.
    Success(User),
}

impl Client {
    /// Whether the session is signed in (asks the server, so a revoked session reads `false`).
    ///
    /// # Errors
    ///
    /// Network errors; an unauthorized session is `Ok(false)`, not an error.
    pub async fn is_authorized(&self) -> Result<bool, InvocationError> {
        match self.invoke(&functions::updates::GetState).await {
            Ok(_) => Ok(true),
            Err(InvocationError::Rpc(e)) if e.code == 401 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Signs in as a bot with the token from @BotFather.
    ///
    /// # Errors
    ///
    /// `ACCESS_TOKEN_INVALID` and others as [`SignInError::Other`].
    pub async fn bot_sign_in(&self, token: &str) -> Result<User, SignInError> {
        let request = functions::auth::ImportBotAuthorization {
            flags: 0,
            api_id: self.inner.api_id,
            api_hash: (*self.inner.api_hash).into(),
            bot_auth_token: token.into(),
        };
        let answer = self
            .invoke(&request)
            .await
            .map_err(SignInError::from_invocation)?;
        self.complete_sign_in(answer).await
    }

    /// Asks Telegram to send a login code to `phone` (international format, `+` optional).
    ///
    /// # Errors
    ///
    /// `PHONE_NUMBER_INVALID` and others as [`InvocationError::Rpc`].
    pub async fn request_login_code(&self, phone: &str) -> Result<LoginToken, InvocationError> {
        let phone: String = phone.chars().filter(char::is_ascii_digit).collect();
        let request = functions::auth::SendCode {
            phone_number: phone.clone().into(),
            api_id: self.inner.api_id,
            api_hash: (*self.inner.api_hash).into(),
            settings: types::CodeSettings {
                allow_flashcall: false,
                current_number: false,
                allow_app_hash: false,
                allow_missed_call: false,
                allow_firebase: false,
                unknown_number: false,
                logout_tokens: None,
                token: None,
                app_sandbox: None,
            }
            .into(),
        };
        match self.invoke(&request).await? {
            enums::auth::SentCode::SentCode(sent) => Ok(LoginToken {
                phone,
                phone_code_hash: sent.phone_code_hash.to_string(),
            }),
            _ => Err(InvocationError::UnexpectedAnswer(
                "auth.sentCode (success and payment-required answers are not supported)",
            )),
        }
    }

    /// Signs in with the code Telegram sent.
    ///
    /// # Errors
    ///
    /// [`SignInError::InvalidCode`], [`SignInError::CodeExpired`],
    /// [`SignInError::PasswordRequired`] (call [`check_password`](Self::check_password)),
    /// [`SignInError::SignUpRequired`] (call [`sign_up`](Self::sign_up)).
    pub async fn sign_in(&self, token: &LoginToken, code: &str) -> Result<User, SignInError> {
        let request = functions::auth::SignIn {
            phone_number: token.phone.clone().into(),
            phone_code_hash: token.phone_code_hash.clone().into(),
            phone_code: Some(code.trim().into()),
            email_verification: None,
        };
        match self.invoke(&request).await {
            Ok(answer) => self.complete_sign_in(answer).await,
            Err(e) if e.is("SESSION_PASSWORD_NEEDED") => {
                Err(SignInError::PasswordRequired(self.password_token().await?))
            }
            Err(e) => Err(SignInError::from_invocation(e)),
        }
    }

    /// Creates an account for a new phone number, after [`sign_in`](Self::sign_in) answered
    /// [`SignInError::SignUpRequired`].
    ///
    /// # Errors
    ///
    /// `FIRSTNAME_INVALID` and others as [`SignInError::Other`].
    pub async fn sign_up(
        &self,
        token: &LoginToken,
        first_name: &str,
        last_name: &str,
    ) -> Result<User, SignInError> {
        let request = functions::auth::SignUp {
            no_joined_notifications: false,
            phone_number: token.phone.clone().into(),
            phone_code_hash: token.phone_code_hash.clone().into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
        };
        let answer = self
            .invoke(&request)
            .await
            .map_err(SignInError::from_invocation)?;
        self.complete_sign_in(answer).await
    }

    /// The account's current password parameters (for [`check_password`](Self::check_password)).
    ///
    /// # Errors
    ///
    /// Network errors.
    pub async fn password_token(&self) -> Result<PasswordToken, InvocationError> {
        let enums::account::Password::Password(password) =
            self.invoke(&functions::account::GetPassword).await?;
        Ok(PasswordToken { password })
    }

    /// Finishes signing in with the two-step verification password, proven with SRP (the
    /// password itself never leaves the machine).
    ///
    /// # Errors
    ///
    /// [`SignInError::InvalidPassword`]; [`SignInError::BadPasswordParameters`] if the server's
    /// parameters fail the safety checks.
    pub async fn check_password(
        &self,
        token: PasswordToken,
        password: impl AsRef<[u8]>,
    ) -> Result<User, SignInError> {
        let p = &token.password;
        let (
            Some(enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo)),
            Some(srp_b),
            Some(srp_id),
        ) = (&p.current_algo, &p.srp_b, p.srp_id)
        else {
            return Err(SignInError::BadPasswordParameters(
                "the account has no password, or uses an unknown algorithm".into(),
            ));
        };
        let mut random_a = [0u8; 256];
        rand::rngs::OsRng.fill_bytes(&mut random_a);
        let check = tgwire_crypto::srp::compute_check(
            password.as_ref(),
            &algo.salt1,
            &algo.salt2,
            algo.g,
            &algo.p,
            srp_b,
            srp_id,
            &random_a,
        )
        .map_err(|e| SignInError::BadPasswordParameters(e.to_string()))?;
        let request = functions::auth::CheckPassword {
            password: types::InputCheckPasswordSrp {
                srp_id: check.srp_id,
                a: check.a.to_vec().into(),
                m1: check.m1.to_vec().into(),
            }
            .into(),
        };
        let answer = self
            .invoke(&request)
            .await
            .map_err(SignInError::from_invocation)?;
        self.complete_sign_in(answer).await
    }

    /// Logs in by QR code: the first call returns [`QrLogin::Pending`] with the `tg://login`
    /// URL to show; once a signed-in app accepted it (see
    /// [`accept_login_token`](Self::accept_login_token)), the next call returns
    /// [`QrLogin::Success`]. When the account lives on another DC, the token is imported there
    /// and the home DC moves, as Telegram's `auth.loginTokenMigrateTo` asks.
    ///
    /// # Errors
    ///
    /// [`SignInError::PasswordRequired`] if the account has a password (then
    /// [`check_password`](Self::check_password)), network errors.
    pub async fn qr_login(&self) -> Result<QrLogin, SignInError> {
        let except_ids = Vec::new();
        let request = functions::auth::ExportLoginToken {
            api_id: self.inner.api_id,
            api_hash: (*self.inner.api_hash).into(),
            except_ids,
        };
        let mut answer = self.qr_step(self.invoke(&request).await).await?;
        for _ in 0..3 {
            match answer {
                enums::auth::LoginToken::LoginToken(t) => {
                    return Ok(QrLogin::Pending {
                        url: format!("tg://login?token={}", base64_url(&t.token)),
                        token: t.token.into_vec(),
                        expires: t.expires,
                    })
                }
                enums::auth::LoginToken::Success(success) => {
                    return self
                        .complete_sign_in(success.authorization)
                        .await
                        .map(QrLogin::Success)
                }
                enums::auth::LoginToken::MigrateTo(migrate) => {
                    self.set_home_dc(migrate.dc_id).await?;
                    let import = functions::auth::ImportLoginToken {
                        token: migrate.token,
                    };
                    answer = self.qr_step(self.invoke(&import).await).await?;
                }
            }
        }
        Err(SignInError::Other(InvocationError::UnexpectedAnswer(
            "auth.loginTokenMigrateTo kept redirecting",
        )))
    }

    async fn qr_step(
        &self,
        result: Result<enums::auth::LoginToken, InvocationError>,
    ) -> Result<enums::auth::LoginToken, SignInError> {
        match result {
            Ok(answer) => Ok(answer),
            Err(e) if e.is("SESSION_PASSWORD_NEEDED") => {
                Err(SignInError::PasswordRequired(self.password_token().await?))
            }
            Err(e) => Err(SignInError::from_invocation(e)),
        }
    }

    /// Accepts another device's QR login token (from its `tg://login?token=` URL), signing it
    /// in to this account.
    ///
    /// # Errors
    ///
    /// `AUTH_TOKEN_INVALID`, `AUTH_TOKEN_EXPIRED` and others as [`InvocationError::Rpc`].
    pub async fn accept_login_token(&self, token: &[u8]) -> Result<(), InvocationError> {
        self.invoke(&functions::auth::AcceptLoginToken {
            token: token.to_vec().into(),
        })
        .await?;
        Ok(())
    }

    /// Logs out: the server forgets the authorization and the session forgets the user.
    ///
    /// # Errors
    ///
    /// Network errors (the session is cleared only on success).
    pub async fn sign_out(&self) -> Result<(), InvocationError> {
        self.invoke(&functions::auth::LogOut).await?;
        let mut changes = Changes::new();
        changes.set_self_user(None).clear_update_state();
        self.persist(changes).await?;
        self.tell_updates(crate::updates::driver::Input::SignedOut);
        self.forget_authorized_dcs();
        Ok(())
    }

    /// Records the signed-in user in the session.
    async fn complete_sign_in(
        &self,
        answer: enums::auth::Authorization,
    ) -> Result<User, SignInError> {
        let authorization = match answer {
            enums::auth::Authorization::Authorization(a) => a,
            enums::auth::Authorization::SignUpRequired(_) => {
                return Err(SignInError::SignUpRequired)
            }
        };
        let user = User::from_raw(authorization.user);
        let mut changes = Changes::new();
        changes.set_self_user(Some(SelfUser {
            id: user.id(),
            bot: user.is_bot(),
        }));
        self.persist(changes).await?;
        self.start_updates_after_sign_in().await;
        Ok(user)
    }
}

/// URL-safe base64 without padding, as `tg://login` URLs carry tokens.
fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_urls_use_url_safe_base64_without_padding() {
        assert_eq!(base64_url(b""), "");
        assert_eq!(base64_url(b"f"), "Zg");
        assert_eq!(base64_url(b"fo"), "Zm8");
        assert_eq!(base64_url(b"foo"), "Zm9v");
        assert_eq!(base64_url(&[0xfb, 0xff, 0xbf]), "-_-_");
    }
}
