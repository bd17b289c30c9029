//! The plugin's `guestConfig`: the string given in the scheduler's plugin args, verbatim.
//!
//! Read it in your plugin's constructor (`common::export!(MyPlugin = MyPlugin::new: …)`): the SDK
//! builds the plugin once per instance, so the config is read and parsed once, lazily, on the first
//! hook call. If the constructor fails, that call returns Error with the constructor's reason, and
//! the next call tries again.

use crate::Status;
use crate::abi::{Buffer, INITIAL_VALUE_BUFFER, MAX_OBJECT_BYTES, host};

/// The raw `guestConfig` text; `None` when unset or empty (the host cannot tell them apart).
pub fn raw() -> Result<Option<String>, Status> {
    let mut buf = Buffer::default();
    let bytes = buf
        .fill(INITIAL_VALUE_BUFFER, MAX_OBJECT_BYTES, host::get_config)
        .map_err(|e| Status::error(e.describe("guestConfig")))?;
    if bytes.is_empty() {
        return Ok(None);
    }
    match core::str::from_utf8(bytes) {
        Ok(s) => Ok(Some(s.to_owned())),
        Err(_) => Err(Status::error("guestConfig is not valid UTF-8")),
    }
}

/// `guestConfig` parsed as JSON into `T`; `T::default()` when unset.
///
/// ```no_run
/// #[derive(serde::Deserialize, Default)]
/// #[serde(deny_unknown_fields)]
/// struct Args { reverse: bool }
///
/// let args: Args = common::config::json()?;
/// # Ok::<(), common::Status>(())
/// ```
pub fn json<T: serde::de::DeserializeOwned + Default>() -> Result<T, Status> {
    match raw()? {
        None => Ok(T::default()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| Status::error(format!("invalid guestConfig: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeHost;

    #[derive(serde::Deserialize, Default, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Args {
        reverse: bool,
    }

    #[test]
    fn config_is_read_verbatim_and_parsed() {
        let host = FakeHost::new();
        assert_eq!(raw().unwrap(), None);
        assert_eq!(json::<Args>().unwrap(), Args { reverse: false });
        host.config(r#"{"reverse": true}"#);
        assert_eq!(raw().unwrap().as_deref(), Some(r#"{"reverse": true}"#));
        assert_eq!(json::<Args>().unwrap(), Args { reverse: true });
        host.config(r#"{"reverse": 1}"#);
        let err = json::<Args>().unwrap_err();
        assert_eq!(
            err.reason(),
            "invalid guestConfig: invalid type: integer `1`, expected a boolean at line 1 column 13"
        );
    }
}
