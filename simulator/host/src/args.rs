//! The plugin's `args` in a KubeSchedulerConfiguration `pluginConfig` entry (docs/abi.md §5.1).

use serde::{Deserialize, Serialize};

/// The wasm plugin's configuration: `pluginConfig[].args` of a KubeSchedulerConfiguration.
///
/// Field names are the JSON names the real plugin reads. Unlike the real plugin (whose Go decoder
/// ignores unknown keys), deserialising rejects unknown keys so that typos surface.
///
/// ```
/// let args: simulator_host::PluginArgs = serde_json::from_str(
///     r#"{"guestURL": "file://plugin.wasm", "guestConfig": "{\"reverse\": true}"}"#,
/// ).unwrap();
/// assert_eq!(args.guest_config, r#"{"reverse": true}"#);
/// assert_eq!(args.log_severity, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginArgs {
    /// `guestURL`: `file://<path>` (prefix stripped literally, so relative paths work), `http://…`
    /// or `https://…`. Required.
    #[serde(rename = "guestURL", default)]
    pub guest_url: String,
    /// `guestConfig`: any text, handed verbatim to the guest's `get_config`. Must be a string in
    /// JSON (a YAML map is rejected, as the real plugin rejects it).
    #[serde(rename = "guestConfig", default, deserialize_with = "string_only")]
    pub guest_config: String,
    /// `logSeverity`: 0 info (default), 1 warning, 2 error, 3 fatal (see docs/abi.md §3.3.8).
    #[serde(rename = "logSeverity", default)]
    pub log_severity: i32,
    /// `Args`: the guest's argv (test-only in the real plugin; the upstream test guests pick their
    /// behaviour from `argv[1]`).
    #[serde(rename = "Args", alias = "args", default)]
    pub args: Vec<String>,
}

impl PluginArgs {
    /// Args with only `guestURL` set.
    pub fn new(guest_url: impl Into<String>) -> Self {
        Self {
            guest_url: guest_url.into(),
            ..Self::default()
        }
    }

    /// Parses the args from a `pluginConfig[].args` JSON value.
    ///
    /// The error reads like the real factory's: `failed to decode into <name> PluginConfig: …`.
    pub fn from_json(
        plugin_name: &str,
        value: &serde_json::Value,
    ) -> Result<Self, crate::LoadError> {
        Self::deserialize(value).map_err(|e| {
            crate::LoadError::new(format!(
                "failed to decode into {plugin_name} PluginConfig: {e}"
            ))
        })
    }
}

fn string_only<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Null => Ok(String::new()),
        other => Err(serde::de::Error::custom(format!(
            "guestConfig must be a string (for example '{{\"key\": 1}}'), not {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_all_fields() {
        let a = PluginArgs::from_json(
            "Wasm",
            &json!({"guestURL": "file://x.wasm", "guestConfig": "hello", "logSeverity": 2, "Args": ["test", "filter"]}),
        )
        .unwrap();
        assert_eq!(a.guest_url, "file://x.wasm");
        assert_eq!(a.guest_config, "hello");
        assert_eq!(a.log_severity, 2);
        assert_eq!(a.args, ["test", "filter"]);
    }

    #[test]
    fn rejects_unknown_and_maps() {
        let e = PluginArgs::from_json("Wasm", &json!({"guestUrl": "x"})).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("failed to decode into Wasm PluginConfig: unknown field `guestUrl`"),
            "{e}"
        );
        let e = PluginArgs::from_json("Wasm", &json!({"guestURL": "x", "guestConfig": {"a": 1}}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"failed to decode into Wasm PluginConfig: guestConfig must be a string (for example '{"key": 1}'), not {"a":1}"#
        );
    }
}
