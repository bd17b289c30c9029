//! The plugin configuration: the original filter's fields, validated once at `on_configure`.
//!
//! Envoy hands the plugin its `configuration` either as text (a `google.protobuf.StringValue`,
//! which is what Istio's `WasmPlugin.pluginConfig` becomes: JSON) or as the serialized bytes of
//! any other message — the original filter's EnvoyFilter uses a `google.protobuf.Struct`. Both
//! are accepted: bytes that start with `{` (after whitespace) are JSON, anything else is decoded as
//! a protobuf `Struct` ([`crate::pbstruct`]).

use core::fmt;
use core::time::Duration;

use std::collections::BTreeMap;

use crate::json::{self, Json};

/// A decoded configuration object.
pub type Fields = BTreeMap<String, Json>;

/// Default refresh period of the original filter (`cache_seconds`, in `src/config.rs`).
pub const DEFAULT_CACHE_SECONDS: u64 = 60;
/// Default timeout of the metrics call (the original's fixed 5 s).
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 5;
/// Largest accepted `*_seconds` value (a year).
pub const MAX_SECONDS: u64 = 31_536_000;
/// Default `max_age_seconds` is this many refresh periods.
pub const DEFAULT_MAX_AGE_PERIODS: u32 = 3;
/// Every field this filter reads; others are ignored with a warning (as the original ignores them).
pub const FIELDS: [&str; 8] = [
    "burst_header",
    "service_cluster",
    "service_authority",
    "service_path",
    "user_agent",
    "cache_seconds",
    "max_age_seconds",
    "timeout_seconds",
];

/// A validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// A constant header value; when non-empty the metrics service is never called.
    pub burst_header: String,
    /// The Envoy cluster of the metrics service.
    pub service_cluster: String,
    /// The `:authority` of the metrics call.
    pub service_authority: String,
    /// The `:path` of the metrics call (e.g. `/burstmetrics/services`).
    pub service_path: String,
    /// The header is added only when the request's `user-agent` starts with this; empty = always.
    pub user_agent: String,
    /// Refresh period of the shared cache (`cache_seconds`).
    pub cache_period: Duration,
    /// Cached values older than this are not used (`max_age_seconds`, ours).
    pub max_age: Duration,
    /// Timeout of the metrics call (`timeout_seconds`, ours).
    pub timeout: Duration,
    /// Fields present in the configuration that this filter does not know (reported as warnings).
    pub unknown_fields: Vec<String>,
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "burst-header: invalid plugin configuration: {}", self.0)
    }
}

impl core::error::Error for ConfigError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

impl Config {
    /// Parses and validates the plugin configuration bytes (JSON or a protobuf `Struct`).
    ///
    /// # Errors
    /// Empty or undecodable bytes, a field of the wrong type, a missing metrics-service field
    /// (unless `burst_header` is set), or a non-positive period.
    pub fn parse(bytes: &[u8]) -> Result<Config, ConfigError> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        let fields: Fields = match first {
            None => {
                return err(
                    "the configuration is empty (expected JSON such as {\"service_cluster\": ...})",
                );
            }
            Some(b'{') => match json::parse(bytes) {
                Ok(Json::Object(m)) => m,
                Ok(other) => return err(format!("expected a JSON object, got {}", other.kind())),
                Err(e) => return err(format!("not valid JSON: {e}")),
            },
            Some(_) => crate::pbstruct::decode_struct(bytes).map_err(|e| {
                ConfigError(format!(
                    "neither JSON nor a protobuf google.protobuf.Struct: {e}"
                ))
            })?,
        };
        Config::from_fields(&fields)
    }

    /// Validates already-decoded fields.
    ///
    /// # Errors
    /// As [`Config::parse`].
    pub fn from_fields(fields: &Fields) -> Result<Config, ConfigError> {
        let burst_header = string(fields, "burst_header")?;
        let service_cluster = string(fields, "service_cluster")?;
        let service_authority = string(fields, "service_authority")?;
        let service_path = string(fields, "service_path")?;
        let user_agent = string(fields, "user_agent")?;
        let cache_period =
            seconds(fields, "cache_seconds")?.unwrap_or(Duration::from_secs(DEFAULT_CACHE_SECONDS));
        if cache_period < Duration::from_secs(1) {
            return err("cache_seconds must be at least 1");
        }
        let timeout = seconds(fields, "timeout_seconds")?
            .unwrap_or(Duration::from_secs(DEFAULT_TIMEOUT_SECONDS));
        if timeout.is_zero() || timeout > Duration::from_secs(60) {
            return err("timeout_seconds must be more than 0 and at most 60");
        }
        let max_age = seconds(fields, "max_age_seconds")?
            .unwrap_or(cache_period.saturating_mul(DEFAULT_MAX_AGE_PERIODS));
        if max_age < cache_period {
            return err("max_age_seconds must be at least cache_seconds");
        }
        if burst_header.trim().is_empty() {
            for (name, value, what) in [
                (
                    "service_cluster",
                    &service_cluster,
                    "the Envoy cluster of the metrics service",
                ),
                (
                    "service_authority",
                    &service_authority,
                    "the :authority of the metrics call",
                ),
                (
                    "service_path",
                    &service_path,
                    "e.g. \"/burstmetrics/services\"",
                ),
            ] {
                if value.trim().is_empty() {
                    return err(format!(
                        "{name} is required ({what}) unless burst_header is set"
                    ));
                }
            }
            if !service_path.starts_with('/') {
                return err(format!(
                    "service_path must start with '/', got \"{service_path}\""
                ));
            }
        }
        if burst_header.contains(['\r', '\n', '\0']) {
            return err("burst_header must not contain CR, LF or NUL");
        }
        let unknown_fields = fields
            .keys()
            .filter(|k| !FIELDS.contains(&k.as_str()))
            .cloned()
            .collect();
        Ok(Config {
            burst_header,
            service_cluster,
            service_authority,
            service_path,
            user_agent,
            cache_period,
            max_age,
            timeout,
            unknown_fields,
        })
    }

    /// The shared-data key prefix: one cache per metrics source per Envoy (VM), whatever the number
    /// of workers or filter chains that use it.
    pub fn shared_key(&self) -> String {
        format!(
            "burst-header.v1|{}|{}|{}",
            self.service_cluster, self.service_authority, self.service_path
        )
    }
}

/// A string field: missing or `null` is empty (as in the original), anything else but a string is
/// an error.
fn string(fields: &Fields, key: &str) -> Result<String, ConfigError> {
    match fields.get(key) {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::String(s)) => Ok(s.clone()),
        Some(other) => err(format!("{key} must be a string, got {}", other.kind())),
    }
}

/// A number of seconds (fractions allowed, millisecond precision); missing or `null` is `None`.
fn seconds(fields: &Fields, key: &str) -> Result<Option<Duration>, ConfigError> {
    match fields.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => match json::seconds_to_millis(n) {
            Some(ms) if ms <= MAX_SECONDS * 1000 => Ok(Some(Duration::from_millis(ms))),
            _ => err(format!(
                "{key} must be a number of seconds between 0 and one year, got {n}"
            )),
        },
        Some(other) => err(format!(
            "{key} must be a number of seconds, got {}",
            other.kind()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config, String> {
        Config::parse(s.as_bytes()).map_err(|e| e.to_string())
    }

    const SEED: &str = r#"{"service_cluster": "healthcluster", "service_authority": "burst.burstservice",
        "service_path": "/burstmetrics/services", "cache_seconds": 5, "user_agent": "HTTPie/"}"#;

    #[test]
    fn seed_configuration() {
        let c = parse(SEED).unwrap();
        assert_eq!(c.service_cluster, "healthcluster");
        assert_eq!(c.service_authority, "burst.burstservice");
        assert_eq!(c.service_path, "/burstmetrics/services");
        assert_eq!(c.user_agent, "HTTPie/");
        assert_eq!(c.burst_header, "");
        assert_eq!(c.cache_period, Duration::from_secs(5));
        assert_eq!(c.max_age, Duration::from_secs(15));
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert!(c.unknown_fields.is_empty());
        assert_eq!(
            c.shared_key(),
            "burst-header.v1|healthcluster|burst.burstservice|/burstmetrics/services"
        );
    }

    #[test]
    fn defaults_and_nulls() {
        let c = parse(
            r#"{"service_cluster":"c","service_authority":"a","service_path":"/p","user_agent":null,"extra":1}"#,
        )
        .unwrap();
        assert_eq!(c.cache_period, Duration::from_secs(60));
        assert_eq!(c.max_age, Duration::from_secs(180));
        assert_eq!(c.user_agent, "");
        assert_eq!(c.unknown_fields, vec!["extra".to_string()]);
    }

    #[test]
    fn constant_header_needs_no_service() {
        let c = parse(r#"{"burst_header": "service=default/echo, current-load=1, target-load=1, max-load=2"}"#)
            .unwrap();
        assert_eq!(
            c.burst_header,
            "service=default/echo, current-load=1, target-load=1, max-load=2"
        );
    }

    #[test]
    fn errors_are_clear() {
        let cases = [
            (
                "",
                "the configuration is empty (expected JSON such as {\"service_cluster\": ...})",
            ),
            ("  {", "not valid JSON: expected a string key at byte 3"),
            (
                "{}",
                "service_cluster is required (the Envoy cluster of the metrics service) unless burst_header is set",
            ),
            (
                r#"{"service_cluster":"c","service_path":"/p"}"#,
                "service_authority is required (the :authority of the metrics call) unless burst_header is set",
            ),
            (
                r#"{"service_cluster":"c","service_authority":"a"}"#,
                "service_path is required (e.g. \"/burstmetrics/services\") unless burst_header is set",
            ),
            (
                r#"{"service_cluster":"c","service_authority":"a","service_path":"p"}"#,
                "service_path must start with '/', got \"p\"",
            ),
            (
                r#"{"service_cluster":5}"#,
                "service_cluster must be a string, got a number",
            ),
            (
                r#"{"burst_header":"x","cache_seconds":-1}"#,
                "cache_seconds must be a number of seconds between 0 and one year, got -1",
            ),
            (
                r#"{"burst_header":"x","cache_seconds":"5"}"#,
                "cache_seconds must be a number of seconds, got a string",
            ),
            (
                r#"{"burst_header":"x","cache_seconds":0}"#,
                "cache_seconds must be at least 1",
            ),
            (
                r#"{"burst_header":"x","cache_seconds":10,"max_age_seconds":5}"#,
                "max_age_seconds must be at least cache_seconds",
            ),
            (
                r#"{"burst_header":"x","timeout_seconds":0}"#,
                "timeout_seconds must be more than 0 and at most 60",
            ),
            (
                r#"{"burst_header":"a\nb"}"#,
                "burst_header must not contain CR, LF or NUL",
            ),
            (
                "[1]",
                "neither JSON nor a protobuf google.protobuf.Struct: field 11 has wire type 3 (only 0, 1, 2 and 5 are valid here)",
            ),
        ];
        for (input, want) in cases {
            let got = parse(input).unwrap_err();
            assert_eq!(
                got,
                format!("burst-header: invalid plugin configuration: {want}"),
                "input {input:?}"
            );
        }
    }
}
