//! The `invokeWithLayer(initConnection(…))` envelope a connection's first requests travel in.
//!
//! Telegram learns the API layer and the app's identity from it; until the server has processed
//! one, requests may be answered with an old layer's types. The driver wraps every request it
//! enqueues until one wrapped request is answered (see [`InitState`]), which is simpler and safer
//! than guessing which of several concurrent first requests reaches the server first.

use tgwire_tl_types::{functions, Serializable, LAYER};

/// The fields of `initConnection`, describing the app to Telegram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitParams {
    /// The app's `api_id` from my.telegram.org.
    pub api_id: i32,
    /// Device model, e.g. "PC 64bit".
    pub device_model: String,
    /// Operating system version, e.g. "Linux 6.8".
    pub system_version: String,
    /// App version, e.g. "0.1.0".
    pub app_version: String,
    /// The system's language code, e.g. "en".
    pub system_lang_code: String,
    /// Language pack name (empty for none).
    pub lang_pack: String,
    /// Language code of the app's texts, e.g. "en".
    pub lang_code: String,
    /// The API layer announced with `invokeWithLayer`; [`LAYER`] unless testing.
    pub layer: i32,
}

impl InitParams {
    /// Parameters for `api_id` with tgwire's defaults for the rest.
    pub fn new(api_id: i32) -> Self {
        Self {
            api_id,
            device_model: "tgwire".into(),
            system_version: std::env::consts::OS.into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            system_lang_code: "en".into(),
            lang_pack: String::new(),
            lang_code: "en".into(),
            layer: LAYER,
        }
    }

    /// `invokeWithLayer(layer, initConnection(…, query))` around an already serialized query.
    pub fn wrap(&self, query: &[u8]) -> Vec<u8> {
        functions::InvokeWithLayer {
            layer: self.layer,
            query: functions::InitConnection {
                api_id: self.api_id,
                device_model: self.device_model.clone().into(),
                system_version: self.system_version.clone().into(),
                app_version: self.app_version.clone().into(),
                system_lang_code: self.system_lang_code.clone().into(),
                lang_pack: self.lang_pack.clone().into(),
                lang_code: self.lang_code.clone().into(),
                proxy: None,
                params: None,
                query: Raw(query),
            },
        }
        .to_bytes()
    }
}

/// Bytes that are already TL, written as they are.
struct Raw<'a>(&'a [u8]);

impl Serializable for Raw<'_> {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(self.0);
    }
}

/// Whether requests still need the envelope.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InitState {
    /// No wrapped request has been answered on this session yet.
    #[default]
    Needed,
    /// The server processed one; later requests go bare.
    Done,
}

#[cfg(test)]
mod tests {
    use tgwire_tl_types::{functions, Deserializable, Identifiable};

    use super::*;

    #[test]
    fn wrapped_query_decodes_as_the_generated_wrapper() {
        let params = InitParams {
            api_id: 12345,
            device_model: "dev".into(),
            system_version: "sys".into(),
            app_version: "1.2".into(),
            system_lang_code: "de".into(),
            lang_pack: "tdesktop".into(),
            lang_code: "fr".into(),
            layer: 200,
        };
        let query = functions::help::GetNearestDc.to_bytes();
        let wrapped = params.wrap(&query);
        // invokeWithLayer#da9b0d0d layer:int, then initConnection#c1cd5ea9.
        assert_eq!(wrapped[..4], 0xda9b0d0d_u32.to_le_bytes());
        assert_eq!(wrapped[4..8], 200i32.to_le_bytes());
        assert_eq!(
            wrapped[8..12],
            <functions::InitConnection<functions::help::GetNearestDc> as Identifiable>::CONSTRUCTOR_ID
                .to_le_bytes()
        );
        let decoded = functions::InvokeWithLayer::<
            functions::InitConnection<functions::help::GetNearestDc>,
        >::from_bytes(&wrapped)
        .unwrap();
        assert_eq!(decoded.layer, 200);
        let init = decoded.query;
        assert_eq!(init.api_id, 12345);
        assert_eq!(
            (
                init.device_model.as_str(),
                init.system_version.as_str(),
                init.app_version.as_str(),
                init.system_lang_code.as_str(),
                init.lang_pack.as_str(),
                init.lang_code.as_str()
            ),
            ("dev", "sys", "1.2", "de", "tdesktop", "fr")
        );
        assert!(init.proxy.is_none() && init.params.is_none());
        assert!(wrapped.ends_with(&query));
    }
}
