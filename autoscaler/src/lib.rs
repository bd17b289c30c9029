//! Agones WASM autoscaler plugin (Extism), a Rust port of Agones' `examples/autoscaler-wasm` with
//! two additions. Build: `cargo build --release --target wasm32-wasip1 -p autoscaler`.
//!
//! Exports (each takes a `FleetAutoscaleReview` JSON and returns it with `response` filled):
//! - `scale` — `replicas = allocated + buffer_size` (config `buffer_size`, default 5, parsed with
//!   Go's `Atoi` like the example, negatives accepted); `scale` only when that differs from the
//!   current replicas (replicas left 0 otherwise, as upstream); `uid` copied. With config `policy`
//!   (an Agones Buffer/Counter/List policy as JSON) the whole policy is
//!   applied instead, as Agones' controller applies it after admission (apply-time errors, e.g.
//!   the lenient `bufferSize` parser; validate with the library before deploying). A review carries the fleet's status only: a Counter/List policy also needs
//!   config `template` (`{"counters":{…},"lists":{…}}`, the fleet template) to scale up, and it can
//!   never scale down by walking GameServers (a review has none).
//! - `scaleNone` — current replicas, never scales.
//! - `scaleSmoothed` — KubeAI's CappedSmoothRatio on the buffer ratio
//!   `(allocated + buffer_size) / replicas`; smoothing state lives in the plugin instance, which
//!   Agones keeps across syncs from **v1.57** on (#4493; in 1.53–1.56 every sync created a new
//!   instance, so nothing was smoothed). Config `min_replicas` (default 1), `max_replicas`
//!   (default 2147483647).
//!
//! Bad input (not JSON, no `request`, negative counts, bad config) returns an Extism error with a
//! clear message; nothing traps. The pure logic is [`handle_scale`], [`handle_scale_none`] and
//! [`handle_scale_smoothed`], testable natively:
//!
//! ```
//! let input = br#"{"request":{"uid":"sample-uid","status":{"replicas":5,"readyReplicas":3,"reservedReplicas":1,"allocatedReplicas":2}}}"#;
//! let out = autoscaler::handle_scale(input, &autoscaler::Config::default()).unwrap();
//! assert!(out.contains(r#""response":{"uid":"sample-uid","scale":true,"replicas":7}"#));
//! ```
#![deny(missing_docs)]

use std::sync::Mutex;

use fleet_autoscaling::go::time::Instant;
use fleet_autoscaling::kubeai::CappedSmoothRatio;
use fleet_autoscaling::plugin::{
    SmoothedBounds, example_scale, example_scale_none, parse_buffer_size, smoothed_scale,
};
use fleet_autoscaling::policy::{Context, apply_buffer, apply_counter_or_list};
use fleet_autoscaling::review::decode_review;
use fleet_autoscaling::types::{
    BufferPolicy, CounterPolicy, FleetAutoscaleReview, GameServerTemplateSpec,
};
use serde::Deserialize;

/// Deepest JSON nesting accepted (a review is 4 levels deep); keeps parsing well inside the
/// guest's 64 KiB stack.
pub const MAX_DEPTH: usize = 32;

/// Plugin configuration (Extism config keys).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `buffer_size`.
    pub buffer_size: Option<String>,
    /// `policy`.
    pub policy: Option<String>,
    /// `template`.
    pub template: Option<String>,
    /// `min_replicas`.
    pub min_replicas: Option<String>,
    /// `max_replicas`.
    pub max_replicas: Option<String>,
}

fn depth_ok(input: &[u8]) -> bool {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for &b in input {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return false;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// Decodes and checks the input review.
fn read_review(input: &[u8]) -> Result<FleetAutoscaleReview, String> {
    if !depth_ok(input) {
        return Err(format!(
            "Failed to decode FleetAutoscaleReview: JSON nested deeper than {MAX_DEPTH} levels"
        ));
    }
    let review =
        decode_review(input).map_err(|e| format!("Failed to decode FleetAutoscaleReview: {e}"))?;
    let Some(req) = &review.request else {
        return Err("FleetAutoscaleReview Request is nil".into());
    };
    let s = &req.status;
    for (name, v) in [
        ("replicas", s.replicas),
        ("readyReplicas", s.ready_replicas),
        ("reservedReplicas", s.reserved_replicas),
        ("allocatedReplicas", s.allocated_replicas),
    ] {
        if v < 0 {
            return Err(format!(
                "FleetAutoscaleReview status.{name} is negative ({v})"
            ));
        }
    }
    Ok(review)
}

fn write_review(review: &FleetAutoscaleReview) -> Result<String, String> {
    serde_json::to_string(review).map_err(|e| format!("Failed to encode FleetAutoscaleReview: {e}"))
}

fn parse_i32(key: &str, v: Option<&str>, default: i32) -> Result<i32, String> {
    match v {
        None => Ok(default),
        Some(s) => s
            .trim()
            .parse::<i32>()
            .map_err(|_| format!("config {key} must be an int32, got {s:?}")),
    }
}

/// The policy types a review has enough data for (only these are deserialized, to keep the module
/// small).
#[derive(Debug, Deserialize)]
struct PluginPolicy {
    #[serde(rename = "type", default)]
    policy_type: String,
    #[serde(default)]
    buffer: Option<BufferPolicy>,
    #[serde(default)]
    counter: Option<CounterPolicy>,
    #[serde(default)]
    list: Option<CounterPolicy>,
}

fn policy_from(config: &Config) -> Result<Option<(PluginPolicy, GameServerTemplateSpec)>, String> {
    let Some(text) = &config.policy else {
        return Ok(None);
    };
    // Through `Value`, like the review, so serde's code for these types is instantiated once.
    let policy: PluginPolicy = serde_json::from_slice::<serde_json::Value>(text.as_bytes())
        .and_then(serde_json::from_value)
        .map_err(|e| format!("invalid policy config: not an Agones policy: {e}"))?;
    if !["Buffer", "Counter", "List"].contains(&policy.policy_type.as_str()) {
        return Err(format!(
            "invalid policy config: type {:?} is not supported here (Buffer, Counter or List)",
            policy.policy_type
        ));
    }
    let template = match &config.template {
        None => GameServerTemplateSpec::default(),
        Some(t) => serde_json::from_slice::<serde_json::Value>(t.as_bytes())
            .and_then(serde_json::from_value)
            .map_err(|e| format!("invalid template config: {e}"))?,
    };
    Ok(Some((policy, template)))
}

/// `scale`: the example's buffer logic, or the configured Agones policy.
pub fn handle_scale(input: &[u8], config: &Config) -> Result<String, String> {
    let policy = policy_from(config)?;
    let review = read_review(input)?;
    let out = match policy {
        Some((policy, template)) => {
            let ctx = Context::at(Instant::ZERO);
            fleet_autoscaling::webhook::respond_with(review, &template, |fleet| {
                match policy.policy_type.as_str() {
                    "Buffer" => apply_buffer(policy.buffer.as_ref(), fleet),
                    "Counter" => {
                        apply_counter_or_list(policy.counter.as_ref(), true, fleet, &[], &ctx)
                    }
                    _ => apply_counter_or_list(policy.list.as_ref(), false, fleet, &[], &ctx),
                }
            })
            .map_err(|e| e.message)?
        }
        None => example_scale(review, parse_buffer_size(config.buffer_size.as_deref())?)?,
    };
    write_review(&out)
}

/// `scaleNone`: current replicas, never scales.
pub fn handle_scale_none(input: &[u8]) -> Result<String, String> {
    write_review(&example_scale_none(read_review(input)?)?)
}

static SMOOTHING: Mutex<Option<CappedSmoothRatio>> = Mutex::new(None);

/// `scaleSmoothed`: CappedSmoothRatio on the buffer ratio, state kept across calls.
pub fn handle_scale_smoothed(input: &[u8], config: &Config) -> Result<String, String> {
    let buffer = parse_buffer_size(config.buffer_size.as_deref())?;
    let bounds = SmoothedBounds {
        min_replicas: parse_i32("min_replicas", config.min_replicas.as_deref(), 1)?,
        max_replicas: parse_i32("max_replicas", config.max_replicas.as_deref(), i32::MAX)?,
    };
    if bounds.min_replicas > bounds.max_replicas {
        return Err("config min_replicas must not exceed max_replicas".into());
    }
    let review = read_review(input)?;
    let mut guard = SMOOTHING.lock().unwrap_or_else(|p| p.into_inner());
    let algo = guard.get_or_insert_with(CappedSmoothRatio::default);
    write_review(&smoothed_scale(algo, review, buffer, bounds)?)
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use extism_pdk::{Error, FnResult, WithReturnCode, config, plugin_fn};

    use super::Config;

    fn cfg(key: &str) -> FnResult<Option<String>> {
        Ok(config::get(key)?)
    }

    fn read_config() -> FnResult<Config> {
        Ok(Config {
            buffer_size: cfg("buffer_size")?,
            policy: cfg("policy")?,
            template: cfg("template")?,
            min_replicas: cfg("min_replicas")?,
            max_replicas: cfg("max_replicas")?,
        })
    }

    fn fail(msg: String) -> WithReturnCode<Error> {
        WithReturnCode::new(Error::msg(msg), 1)
    }

    #[plugin_fn]
    pub fn scale(input: Vec<u8>) -> FnResult<String> {
        super::handle_scale(&input, &read_config()?).map_err(fail)
    }

    #[plugin_fn]
    #[allow(non_snake_case)]
    pub fn scaleNone(input: Vec<u8>) -> FnResult<String> {
        super::handle_scale_none(&input).map_err(fail)
    }

    #[plugin_fn]
    #[allow(non_snake_case)]
    pub fn scaleSmoothed(input: Vec<u8>) -> FnResult<String> {
        super::handle_scale_smoothed(&input, &read_config()?).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &[u8] = br#"{"request":{"uid":"sample-uid","name":"sample-fleet","namespace":"default","status":{"replicas":5,"readyReplicas":3,"reservedReplicas":1,"allocatedReplicas":2}}}"#;

    fn response(out: &str) -> (String, bool, i32) {
        let r = decode_review(out.as_bytes()).unwrap().response.unwrap();
        (r.uid, r.scale, r.replicas)
    }

    #[test]
    fn seed_example() {
        assert_eq!(
            response(&handle_scale(SEED, &Config::default()).unwrap()),
            ("sample-uid".into(), true, 7)
        );
        let ten = Config {
            buffer_size: Some("10".into()),
            ..Config::default()
        };
        assert_eq!(
            response(&handle_scale(SEED, &ten).unwrap()),
            ("sample-uid".into(), true, 12)
        );
        assert_eq!(
            response(&handle_scale_none(SEED).unwrap()),
            ("sample-uid".into(), false, 5)
        );
        let three = Config {
            buffer_size: Some("3".into()),
            ..Config::default()
        };
        assert_eq!(
            response(&handle_scale(SEED, &three).unwrap()),
            ("sample-uid".into(), false, 0)
        );
    }

    #[test]
    fn bad_input() {
        assert!(
            handle_scale(b"nope", &Config::default())
                .unwrap_err()
                .starts_with("Failed to decode")
        );
        assert_eq!(
            handle_scale(b"{}", &Config::default()).unwrap_err(),
            "FleetAutoscaleReview Request is nil"
        );
        let neg = br#"{"request":{"status":{"replicas":-1}}}"#;
        assert_eq!(
            handle_scale(neg, &Config::default()).unwrap_err(),
            "FleetAutoscaleReview status.replicas is negative (-1)"
        );
        let bad = Config {
            buffer_size: Some("abc".into()),
            ..Config::default()
        };
        assert_eq!(
            handle_scale(SEED, &bad).unwrap_err(),
            "Failed to convert buffer_size to int32: strconv.Atoi: parsing \"abc\": invalid syntax"
        );
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(handle_scale(deep.as_bytes(), &Config::default()).is_err());
        let pol = Config {
            policy: Some(
                r#"{"type":"Buffer","buffer":{"bufferSize":"asd","maxReplicas":2}}"#.into(),
            ),
            ..Config::default()
        };
        assert_eq!(
            handle_scale(SEED, &pol).unwrap_err(),
            "invalid value for IntOrString: invalid value \"asd\": strconv.Atoi: parsing \"asd\": invalid syntax"
        );
        let pol = Config {
            policy: Some(r#"{"type":"Webhook"}"#.into()),
            ..Config::default()
        };
        assert!(
            handle_scale(SEED, &pol)
                .unwrap_err()
                .contains("not supported")
        );
    }

    #[test]
    fn policy_mode() {
        let pol = Config {
            policy: Some(r#"{"type":"Buffer","buffer":{"bufferSize":"50%","minReplicas":1,"maxReplicas":100}}"#.into()),
            ..Config::default()
        };
        assert_eq!(
            response(&handle_scale(SEED, &pol).unwrap()),
            ("sample-uid".into(), true, 4)
        );
    }
}
