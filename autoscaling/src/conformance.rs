//! The conformance evaluator: computes the result of one test vector (schema: docs/autoscaling.md §E)
//! **without reading its `expected`**, compares with `expected`, and renders a table — so
//! `simulator autoscale eval FILE [--json]` is a thin wrapper:
//!
//! ```
//! use fleet_autoscaling::conformance::{evaluate, compare, Outcome};
//! let v: serde_json::Value = serde_json::from_str(r#"{"id":"x","kind":"agones.buffer",
//!   "policy":{"type":"Buffer","buffer":{"bufferSize":5,"maxReplicas":100}},
//!   "status":{"fleet":{"status":{"replicas":5,"allocatedReplicas":2}}},
//!   "expected":{"replicas":7,"limited":false,"error":null}}"#).unwrap();
//! let Outcome::Actual(actual) = evaluate(&v) else { panic!() };
//! assert_eq!(actual, serde_json::json!({"replicas":7,"limited":false,"error":null}));
//! assert!(compare(&v["expected"], &actual).is_ok());
//! ```
//!
//! Vectors use a few placeholders, resolved here: times annotated `"<RFC3339> (…)"` use the leading
//! timestamp, and one Go's `time.Parse` rejects becomes the zero time (as upstream's test helper
//! does); URLs like `<httptest server URL>` stand for a local test server; `caBundle` `<valid PEM>`
//! is a real test certificate and other non-base64 text is taken as raw bytes.
//!
//! Webhook vectors use `status.webhook_response` (or `webhook_status`/`webhook_body`) when given;
//! without it, a placeholder server URL is answered like Agones' own unit-test server (v1.60.0).
//! Wasm vectors use `status.plugin_response` when given, else Agones' example plugin (`scale`,
//! `scaleNone`, `scaleEmpty`), whose logic this crate reproduces. Skipped (need real I/O): a
//! webhook at a real address with no recorded answer (transport errors), and a Wasm policy with a
//! `hash` (needs the module bytes). Invalid, and counted as errors: a vector that is not an object,
//! has no or an unknown `kind`, has no `expected`, or whose fields cannot be read.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::burst::{Hpa, from_hpa};
use crate::go::atoi;
use crate::go::time::{Instant, parse_rfc3339};
use crate::kubeai::{
    AverageRatio, CappedSmoothRatio, CurrentMetrics, MaxRatio, PolicySpec, Registry,
    ScalingAlgorithm, ScalingInput, WeightedRatio, calculate_desired_replicas,
};
use crate::plugin::{example_scale, example_scale_none, parse_buffer_size};
use crate::policy::{
    Context, Exchange, FeatureGates, HttpReply, WasmFailure, apply_with, request_review,
    service_url,
};
use crate::review::decode_review;
use crate::types::{
    Fleet, FleetAutoscaleResponse, FleetAutoscaleReview, FleetAutoscalerPolicy,
    FleetAutoscalerSpec, GameServer, NodeCount, WasmPolicy,
};
use crate::validate::{ErrorType, ValidateOptions, default as apply_defaults, validate_with};

/// What evaluating a vector gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The computed result, with the keys of the kind's `expected`.
    Actual(Value),
    /// Not evaluable without I/O; the reason.
    Skipped(String),
    /// Not a vector this evaluator can read (not an object, no or unknown `kind`, fields of the
    /// wrong shape); the reason. Counted as an error: a file with one is not a passing file.
    Invalid(String),
}

const PLACEHOLDER_HOST: &str = "http://placeholder.invalid";

/// The `request.uid` of every review the evaluator builds (Agones uses a fresh UUID).
const REQUEST_UID: &str = "6f0c7a4e-9a1b-4c2d-8e3f-0a1b2c3d4e5f";

/// Evaluates one vector. "Now" for vectors without one is Go's zero time, as in upstream tests.
pub fn evaluate(vector: &Value) -> Outcome {
    let Some(obj) = vector.as_object() else {
        return Outcome::Invalid(format!(
            "a vector must be a JSON object, not {}",
            gotext::json::type_name(vector)
        ));
    };
    let kind = match obj.get("kind") {
        Some(Value::String(k)) => k.as_str(),
        Some(other) => {
            return Outcome::Invalid(format!(
                "\"kind\" must be a string, not {}",
                gotext::json::type_name(other)
            ));
        }
        None => return Outcome::Invalid("the vector has no \"kind\"".to_string()),
    };
    let policy = vector.get("policy").cloned().unwrap_or(Value::Null);
    let status = vector.get("status").cloned().unwrap_or(Value::Null);
    let r = match kind {
        "agones.validation" => eval_validation(&policy, &status),
        "agones.defaults" => eval_defaults(&policy),
        "agones.webhook.url" => eval_create_url(&policy),
        "agones.wasm.plugin" => eval_plugin(&policy, &status),
        "agones.review" => eval_review(&status),
        "agones.buffer+controller" => eval_controller(&policy, &status),
        "kubeai.legacy_calculate" => eval_legacy(&policy, &status),
        "kubeai.compute_scale" => eval_compute(&policy, &status),
        "kubeai.reconciler" => eval_reconciler(&policy, &status),
        "kubeai.capped_smooth_ratio" => eval_smooth(&policy, &status),
        "burst.header" => eval_burst(&policy, &status),
        k if is_apply_kind(k) => eval_apply(&policy, &status, k == "agones.wasm").map(|(v, _)| v),
        _ => Err(Stop::Invalid(format!(
            "unknown kind {kind:?} (known: {})",
            known_kinds().join(", ")
        ))),
    };
    match r {
        Ok(v) => Outcome::Actual(v),
        Err(Stop::Skip(why)) => Outcome::Skipped(why),
        Err(Stop::Invalid(why)) => Outcome::Invalid(why),
    }
}

/// Policy families whose vectors run a policy through [`apply_with`] (expected: replicas,
/// limited, error): kind `agones.<family>` or `agones.<family>.<anything>`, e.g.
/// `agones.webhook.errors`.
const APPLY_FAMILIES: &[&str] = &[
    "buffer", "chain", "counter", "dispatch", "list", "schedule", "wasm", "webhook",
];

fn is_apply_kind(kind: &str) -> bool {
    kind.strip_prefix("agones.")
        .and_then(|rest| rest.split('.').next())
        .is_some_and(|family| APPLY_FAMILIES.contains(&family))
}

/// Every kind [`evaluate`] understands; `agones.<family>.*` stands for the apply families.
pub fn known_kinds() -> Vec<String> {
    let mut k: Vec<String> = [
        "agones.validation",
        "agones.defaults",
        "agones.webhook.url",
        "agones.wasm.plugin",
        "agones.review",
        "agones.buffer+controller",
        "kubeai.legacy_calculate",
        "kubeai.compute_scale",
        "kubeai.reconciler",
        "kubeai.capped_smooth_ratio",
        "burst.header",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    k.sort_unstable();
    k.push(format!("agones.{{{}}}[.*]", APPLY_FAMILIES.join(",")));
    k
}

/// Why a vector produced no result.
enum Stop {
    /// Needs real I/O (counted as skipped).
    Skip(String),
    /// Unreadable (counted as an error).
    Invalid(String),
}

impl From<String> for Stop {
    fn from(s: String) -> Stop {
        Stop::Invalid(format!("cannot evaluate: {s}"))
    }
}

/// Leading token of an annotated string (`"2021-01-01T0:30:00Z (one-digit hour …)"`).
fn lead(s: &str) -> &str {
    s.split(" (").next().unwrap_or(s).trim()
}

/// Rewrites vector placeholders in place (times, URLs, CA bundles); returns URL substitutions.
fn normalise(v: &mut Value, subst: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                match (k.as_str(), &*val) {
                    (
                        "start" | "end" | "creationTimestamp" | "deletionTimestamp",
                        Value::String(s),
                    ) => {
                        *val = match parse_rfc3339(lead(s)) {
                            Ok(t) => Value::String(t.to_rfc3339()),
                            Err(_) => Value::Null,
                        };
                    }
                    ("url", Value::String(s)) if s.starts_with('<') => {
                        let (ph, rest) = match s.find('>') {
                            Some(i) => (&s[..=i], &s[i + 1..]),
                            None => (s.as_str(), ""),
                        };
                        let replaced = format!("{PLACEHOLDER_HOST}{rest}");
                        subst.push((PLACEHOLDER_HOST.to_string(), ph.to_string()));
                        *val = Value::String(replaced);
                    }
                    ("caBundle", Value::String(s)) => {
                        let raw = lead(s);
                        let b64 = base64::engine::general_purpose::STANDARD;
                        let bytes = if raw == "<valid PEM>" {
                            crate::pem::TEST_CERT_PEM.as_bytes().to_vec()
                        } else if let Ok(b) = b64.decode(raw.as_bytes()) {
                            b
                        } else {
                            raw.as_bytes().to_vec()
                        };
                        *val = Value::String(b64.encode(bytes));
                    }
                    _ => normalise(val, subst),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| normalise(x, subst)),
        _ => {}
    }
}

fn gates_of(status: &Value) -> FeatureGates {
    let mut gates = FeatureGates::default();
    if let Some(Value::Object(m)) = status.get("featureGates") {
        for (k, v) in m {
            if let Some(b) = v.as_bool() {
                gates.set(k, b);
            }
        }
    }
    gates
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> Result<T, Stop> {
    serde_json::from_value(v.clone()).map_err(|e| Stop::Invalid(format!("cannot read {what}: {e}")))
}

fn now_of(status: &Value) -> Instant {
    match status.get("now").and_then(Value::as_str) {
        Some(s) => parse_rfc3339(lead(s)).unwrap_or(Instant::ZERO),
        None => Instant::ZERO,
    }
}

/// Answers webhook/Wasm calls from the vector (recorded answers, or upstream's test fixtures).
struct VectorExchange {
    webhook_response: Option<Value>,
    webhook_status: Option<u16>,
    webhook_body: Option<String>,
    plugin_response: Option<Value>,
    needs_io: Option<String>,
    plugin_out: Option<FleetAutoscaleResponse>,
}

impl VectorExchange {
    fn agones_test_server(review: &FleetAutoscaleReview) -> HttpReply {
        let Some(req) = &review.request else {
            return HttpReply {
                status: 500,
                body: b"Empty request".to_vec(),
            };
        };
        let st = &req.status;
        if st.allocated_replicas == -10 {
            return HttpReply {
                status: 500,
                body: b"Wrong Status Replicas Parameter\n".to_vec(),
            };
        }
        if st.allocated_replicas == -30 {
            // Agones ≥ 1.59's test server: valid JSON without `response` (#4596).
            return HttpReply {
                status: 200,
                body: b"{}".to_vec(),
            };
        }
        let mut prefix = Vec::new();
        if st.allocated_replicas == -20 {
            prefix.extend_from_slice(b"invalid data");
        }
        let mut resp = FleetAutoscaleResponse {
            uid: req.uid.clone(),
            scale: false,
            replicas: st.replicas,
        };
        let percent = st.allocated_replicas as f32 / st.replicas as f32;
        if percent > 0.7 {
            resp.scale = true;
            resp.replicas = st.replicas.wrapping_mul(2);
        }
        if let Some(v) = req.annotations.get("fixedReplicas") {
            resp.scale = true;
            resp.replicas = atoi(v).unwrap_or(0) as i32;
        }
        let out = FleetAutoscaleReview {
            request: Some(req.clone()),
            response: Some(resp),
        };
        prefix.extend(serde_json::to_vec(&out).unwrap_or_default());
        HttpReply {
            status: 200,
            body: prefix,
        }
    }
}

/// An HTTP status recorded in a `webhook_response` object (`status`, `statusCode`, `httpStatus`…).
fn http_status_of(m: &Map<String, Value>) -> Option<u16> {
    [
        "status",
        "statusCode",
        "status_code",
        "httpStatus",
        "http_status",
        "code",
    ]
    .iter()
    .find_map(|k| m.get(*k).and_then(Value::as_u64))
    .and_then(|c| u16::try_from(c).ok())
}

impl Exchange for VectorExchange {
    fn webhook(&mut self, url: &str, review: &FleetAutoscaleReview) -> Result<HttpReply, String> {
        if let Some(code) = self.webhook_status
            && code != 200
        {
            return Ok(HttpReply {
                status: code,
                body: Vec::new(),
            });
        }
        if let Some(body) = &self.webhook_body {
            return Ok(HttpReply {
                status: 200,
                body: body.clone().into_bytes(),
            });
        }
        match &self.webhook_response {
            Some(Value::String(s)) => {
                return Ok(HttpReply {
                    status: 200,
                    body: s.clone().into_bytes(),
                });
            }
            Some(Value::Object(m))
                if http_status_of(m).is_some() || m.get("body").is_some_and(Value::is_string) =>
            {
                let status = http_status_of(m).unwrap_or(200);
                let body = m
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .as_bytes()
                    .to_vec();
                return Ok(HttpReply { status, body });
            }
            Some(v @ Value::Object(m)) => {
                let doc = if m.contains_key("response") || m.contains_key("request") {
                    v.clone()
                } else {
                    json!({ "response": v })
                };
                return Ok(HttpReply {
                    status: 200,
                    body: doc.to_string().into_bytes(),
                });
            }
            _ => {}
        }
        if url.starts_with(PLACEHOLDER_HOST) {
            return Ok(Self::agones_test_server(review));
        }
        self.needs_io = Some(format!(
            "webhook POST to {url} needs HTTP transport (no recorded answer)"
        ));
        Err("transport unavailable".into())
    }

    fn wasm(
        &mut self,
        _module_url: &str,
        policy: &WasmPolicy,
        input: &[u8],
    ) -> Result<Vec<u8>, WasmFailure> {
        if !policy.hash.is_empty() {
            self.needs_io = Some("Wasm module hash check needs the module bytes (fetching)".into());
            return Err(WasmFailure::Fetch("module unavailable".into()));
        }
        if let Some(v) = &self.plugin_response {
            let resp: FleetAutoscaleResponse =
                serde_json::from_value(v.clone()).map_err(|e| WasmFailure::Call(e.to_string()))?;
            self.plugin_out = Some(resp.clone());
            let out = json!({ "response": resp });
            return Ok(out.to_string().into_bytes());
        }
        let review = decode_review(input).map_err(|e| {
            WasmFailure::Call(format!("Failed to decode FleetAutoscaleReview: {e}"))
        })?;
        let out = match policy.function.as_str() {
            "scale" => {
                let size = parse_buffer_size(policy.config.get("buffer_size").map(String::as_str))
                    .map_err(WasmFailure::Call)?;
                example_scale(review, size)
            }
            "scaleNone" => example_scale_none(review),
            // The example's test-only export (Agones ≥ 1.59): `{}`, a review without `response`.
            "scaleEmpty" => return Ok(b"{}".to_vec()),
            f => return Err(WasmFailure::Call(format!("unknown function: {f}"))),
        }
        .map_err(WasmFailure::Call)?;
        self.plugin_out = out.response.clone();
        serde_json::to_vec(&out).map_err(|e| WasmFailure::Call(e.to_string()))
    }
}

struct Applied {
    result: Result<(i32, bool), crate::policy::ApplyError>,
    chain_entry: Option<String>,
    fleet: Fleet,
}

fn run_apply(policy: &Value, status: &Value, ex: &mut VectorExchange) -> Result<Applied, Stop> {
    let mut subst = Vec::new();
    let mut policy = policy.clone();
    let mut status = status.clone();
    normalise(&mut policy, &mut subst);
    normalise(&mut status, &mut subst);
    let pol: FleetAutoscalerPolicy = parse(&policy, "policy")?;
    let fleet_v = status.get("fleet").cloned().unwrap_or(Value::Null);
    let gates = gates_of(&status);
    let fix = |mut e: crate::policy::ApplyError| {
        for (from, to) in &subst {
            e.message = e.message.replace(from.as_str(), to.as_str());
        }
        e
    };
    if fleet_v.is_null() {
        // Agones checks the gate and a nil policy before a nil fleet (Webhook/Wasm only).
        let mut ctx = Context::at(Instant::ZERO);
        ctx.gates = gates;
        let pre = match pol.policy_type.as_str() {
            "Wasm" if !gates.wasm_autoscaler => {
                Some("cannot apply WasmPolicy unless feature flag WasmAutoscaler is enabled")
            }
            "Wasm" if pol.wasm.is_none() => Some("wasmPolicy parameter must not be nil"),
            "Webhook" if pol.webhook.is_none() => Some("webhookPolicy parameter must not be nil"),
            _ => None,
        };
        let msg = pre.unwrap_or("fleet parameter must not be nil");
        return Ok(Applied {
            result: Err(crate::policy::ApplyError::new(msg)),
            chain_entry: None,
            fleet: Fleet::default(),
        });
    }
    let fleet: Fleet = parse(&fleet_v, "status.fleet")?;
    let game_servers: Vec<GameServer> = match status.get("gameServers") {
        Some(v) if !v.is_null() => parse(v, "status.gameServers")?,
        _ => Vec::new(),
    };
    let node_counts: BTreeMap<String, NodeCount> = match status.get("nodeCounts") {
        Some(v) if !v.is_null() => parse(v, "status.nodeCounts")?,
        _ => BTreeMap::new(),
    };
    ex.webhook_response = status
        .get("webhook_response")
        .cloned()
        .filter(|v| !v.is_null());
    ex.webhook_status = status
        .get("webhook_status")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok());
    ex.webhook_body = status
        .get("webhook_body")
        .and_then(Value::as_str)
        .map(str::to_string);
    ex.plugin_response = status
        .get("plugin_response")
        .cloned()
        .filter(|v| !v.is_null());
    let mut ctx = Context::at(now_of(&status));
    ctx.gates = gates;
    ctx.node_counts = node_counts;
    ctx.request_uid = REQUEST_UID.into();
    ctx.exchange = Some(ex);
    let result = apply_with(&pol, &fleet, &game_servers, &mut ctx).map_err(fix);
    let chain_entry = ctx.chain_entry.take();
    drop(ctx);
    if let Some(why) = ex.needs_io.take() {
        return Err(Stop::Skip(why));
    }
    Ok(Applied {
        result,
        chain_entry,
        fleet,
    })
}

fn result_json(result: &Result<(i32, bool), crate::policy::ApplyError>) -> Value {
    match result {
        Ok((r, l)) => json!({ "replicas": r, "limited": l, "error": null }),
        Err(e) => json!({ "replicas": e.replicas, "limited": e.limited, "error": e.message }),
    }
}

fn empty_exchange() -> VectorExchange {
    VectorExchange {
        webhook_response: None,
        webhook_status: None,
        webhook_body: None,
        plugin_response: None,
        needs_io: None,
        plugin_out: None,
    }
}

fn eval_apply(policy: &Value, status: &Value, with_plugin: bool) -> Result<(Value, Applied), Stop> {
    let mut ex = empty_exchange();
    let applied = run_apply(policy, status, &mut ex)?;
    let mut out = result_json(&applied.result);
    if with_plugin {
        out["plugin_response"] = match &ex.plugin_out {
            Some(r) => json!({ "scale": r.scale, "replicas": r.replicas }),
            None => Value::Null,
        };
    }
    Ok((out, applied))
}

fn eval_controller(policy: &Value, status: &Value) -> Result<Value, Stop> {
    let fas = status.get("fas").cloned().unwrap_or(Value::Null);
    let fas_name = fas
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("fas-1")
        .to_string();
    let prior = status
        .get("fas_status")
        .or_else(|| fas.get("status"))
        .cloned()
        .unwrap_or(Value::Null);
    let fleet_v = status.get("fleet").cloned().unwrap_or(Value::Null);
    let deleting = fleet_v
        .get("deletionTimestamp")
        .is_some_and(|v| !v.is_null())
        || fleet_v
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|v| !v.is_null());
    let (mut out, applied) = eval_apply(policy, status, false)?;
    let fleet = &applied.fleet;
    let spec_replicas = fleet.spec.replicas;
    if deleting {
        out = json!({ "replicas": spec_replicas, "limited": false, "error": null });
        out["fleet_spec_replicas_after"] = json!(spec_replicas);
        out["fas_status"] = prior;
        out["events"] = json!([]);
        return Ok(out);
    }
    let mut events = Vec::new();
    let prior_scale_time = prior.get("lastScaleTime").cloned().unwrap_or(Value::Null);
    match &applied.result {
        Err(e) if e.inactive_schedule => {
            out["fleet_spec_replicas_after"] = json!(spec_replicas);
            out["fas_status"] = prior;
        }
        Err(e) => {
            events.push(format!(
                "Warning FleetAutoscaler: Error calculating desired fleet size on FleetAutoscaler {fas_name}. Error: {}",
                e.message
            ));
            out["fleet_spec_replicas_after"] = json!(spec_replicas);
            out["fas_status"] = json!({
                "ableToScale": false, "scalingLimited": false, "currentReplicas": 0, "desiredReplicas": 0,
                "lastAppliedPolicy": "", "lastScaleTime": prior_scale_time,
            });
        }
        Ok((desired, limited)) => {
            let scaled = *desired != spec_replicas;
            if scaled {
                events.push(format!(
                    "Normal AutoScalingFleet: Scaling fleet {} from {spec_replicas} to {desired}",
                    fleet.metadata.name
                ));
            }
            let policy_type = policy.get("type").and_then(Value::as_str).unwrap_or("");
            let last_applied = if policy_type == "Chain" {
                applied.chain_entry.clone().unwrap_or_default()
            } else {
                policy_type.to_string()
            };
            let current = fleet.status.replicas;
            let new_status = json!({
                "ableToScale": true, "scalingLimited": limited, "currentReplicas": current, "desiredReplicas": desired,
                "lastAppliedPolicy": last_applied,
                "lastScaleTime": if scaled { json!("set") } else { prior_scale_time },
            });
            if new_status != prior && *limited {
                let which = if current > *desired {
                    "maximum"
                } else {
                    "minimum"
                };
                let fleet_name = fleet.metadata.name.clone();
                events.push(format!("Warning ScalingLimited: Scaling fleet {fleet_name} was limited to {which} size of {desired}"));
            }
            out["fleet_spec_replicas_after"] = json!(desired);
            out["fas_status"] = new_status;
        }
    }
    out["events"] = json!(events);
    Ok(out)
}

fn eval_validation(policy: &Value, status: &Value) -> Result<Value, Stop> {
    let mut subst = Vec::new();
    let mut policy = policy.clone();
    normalise(&mut policy, &mut subst);
    let spec: FleetAutoscalerSpec = parse(&policy, "policy (FleetAutoscaler spec)")?;
    let now = match status.get("now").and_then(Value::as_str) {
        Some(s) => parse_rfc3339(lead(s)).ok(),
        None => crate::validate::system_now(),
    };
    let opts = ValidateOptions {
        gates: gates_of(status),
        now,
    };
    let errors = validate_with(&spec, &opts);
    let list: Vec<Value> = errors
        .iter()
        .map(|e| {
            let detail = if e.error_type == ErrorType::Duplicate && e.detail.is_empty() {
                // The vectors' convention for Kubernetes' detail-less Duplicate errors.
                let v: String =
                    serde_json::from_str(&e.bad_value).unwrap_or_else(|_| e.bad_value.clone());
                format!("(BadValue is the string '{v}')")
            } else {
                e.detail.clone()
            };
            json!({ "field": e.field, "type": e.error_type.name(), "detail": detail })
        })
        .collect();
    Ok(json!({ "count": list.len(), "errors": list }))
}

fn eval_defaults(policy: &Value) -> Result<Value, Stop> {
    let mut spec: FleetAutoscalerSpec = parse(policy, "policy (FleetAutoscaler spec)")?;
    apply_defaults(&mut spec);
    let once = spec.clone();
    apply_defaults(&mut spec);
    let sync = serde_json::to_value(&once.sync).map_err(|e| Stop::Invalid(e.to_string()))?;
    Ok(json!({ "sync": sync, "idempotent": once == spec }))
}

fn eval_create_url(policy: &Value) -> Result<Value, Stop> {
    let scheme = policy
        .get("scheme")
        .and_then(Value::as_str)
        .unwrap_or("http");
    let svc = policy.get("service").cloned().unwrap_or(Value::Null);
    let s = |k: &str| svc.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let port = svc
        .get("port")
        .and_then(Value::as_i64)
        .and_then(|p| i32::try_from(p).ok());
    Ok(json!({ "url": service_url(scheme, &s("name"), &s("namespace"), &s("path"), port) }))
}

fn eval_plugin(policy: &Value, status: &Value) -> Result<Value, Stop> {
    let wasm: WasmPolicy = parse(policy.get("wasm").unwrap_or(&Value::Null), "policy.wasm")?;
    let input = status.get("plugin_input").cloned().unwrap_or(Value::Null);
    let bytes = input.to_string().into_bytes();
    let mut ex = empty_exchange();
    let out = ex.wasm("", &wasm, &bytes);
    Ok(match out {
        Ok(b) => {
            let review = decode_review(&b).map_err(Stop::Invalid)?;
            let r = review.response.unwrap_or_default();
            json!({ "plugin_response": { "uid": r.uid, "scale": r.scale, "replicas": r.replicas } })
        }
        Err(WasmFailure::Call(m) | WasmFailure::Create(m) | WasmFailure::Fetch(m)) => {
            json!({ "plugin_response": null, "error": m })
        }
    })
}

/// `agones.review`: the review Agones sends to a webhook or Wasm plugin for `status.fleet` (with
/// `status.featureGates`), `request.uid` being the evaluator's fixed UID.
fn eval_review(status: &Value) -> Result<Value, Stop> {
    let fleet: Fleet = parse(status.get("fleet").unwrap_or(&Value::Null), "status.fleet")?;
    let review = request_review(&fleet, REQUEST_UID, gates_of(status));
    let review = serde_json::to_value(&review).map_err(|e| Stop::Invalid(e.to_string()))?;
    Ok(json!({ "review": review }))
}

fn f64s(v: Option<&Value>) -> Vec<f64> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn i32_of(v: &Value, k: &str) -> i32 {
    v.get(k).and_then(Value::as_i64).map_or(0, |n| {
        n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
    })
}

fn eval_legacy(policy: &Value, status: &Value) -> Result<Value, Stop> {
    let tol = policy
        .get("constructorTolerance")
        .and_then(Value::as_f64)
        .unwrap_or(0.1);
    let (cur, min, max) = (
        i32_of(status, "currentReplicas"),
        i32_of(status, "minReplicas"),
        i32_of(status, "maxReplicas"),
    );
    let ratios = f64s(status.get("metricRatios"));
    let desired = match policy
        .get("algorithm")
        .and_then(Value::as_str)
        .unwrap_or("MaxRatio")
    {
        "MaxRatio" => MaxRatio { tolerance: tol }.calculate(cur, min, max, &ratios),
        "AverageRatio" => AverageRatio { tolerance: tol }.calculate(cur, min, max, &ratios),
        "WeightedRatio" => WeightedRatio {
            tolerance: tol,
            weights: f64s(status.get("weights")),
        }
        .calculate(cur, min, max, &ratios),
        other => {
            return Err(Stop::Invalid(format!(
                "no legacy Calculate for algorithm {other:?}"
            )));
        }
    };
    Ok(json!({ "desiredReplicas": desired }))
}

fn smooth_from(policy: &Value) -> CappedSmoothRatio {
    let d = CappedSmoothRatio::default();
    let f = |k: &str, def: f64| policy.get(k).and_then(Value::as_f64).unwrap_or(def);
    CappedSmoothRatio {
        smoothing_factor: f("smoothingFactor", d.smoothing_factor),
        max_scale_up_percent: f("maxScaleUpPercent", d.max_scale_up_percent),
        max_scale_down_percent: f("maxScaleDownPercent", d.max_scale_down_percent),
        tolerance: f("algorithmTolerance", d.tolerance),
        symmetric: policy
            .get("symmetric")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ..d
    }
}

fn eval_compute(policy: &Value, status: &Value) -> Result<Value, Stop> {
    let input: ScalingInput = parse(status, "status (ScalingInput)")?;
    let tol = policy
        .get("constructorTolerance")
        .and_then(Value::as_f64)
        .unwrap_or(0.1);
    let mut algo: Box<dyn ScalingAlgorithm> = match policy
        .get("algorithm")
        .and_then(Value::as_str)
        .unwrap_or("MaxRatio")
    {
        "MaxRatio" => Box::new(MaxRatio { tolerance: tol }),
        "AverageRatio" => Box::new(AverageRatio { tolerance: tol }),
        "WeightedRatio" => Box::new(WeightedRatio {
            tolerance: tol,
            weights: f64s(status.get("weights")),
        }),
        "CappedSmoothRatio" => Box::new(smooth_from(policy)),
        other => return Err(Stop::Invalid(format!("unknown algorithm {other:?}"))),
    };
    let r = algo.compute_scale(&input).map_err(Stop::Invalid)?;
    Ok(json!({ "desiredReplicas": r.desired_replicas, "reason": r.reason }))
}

fn eval_reconciler(policy: &Value, status: &Value) -> Result<Value, Stop> {
    let spec: PolicySpec = parse(policy.get("spec").unwrap_or(&Value::Null), "policy.spec")?;
    let metrics: CurrentMetrics = match status.get("currentMetrics") {
        Some(v) if !v.is_null() => parse(v, "status.currentMetrics")?,
        _ => CurrentMetrics::default(),
    };
    let name = policy
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let namespace = policy
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut registry = Registry::with_builtins();
    let d = calculate_desired_replicas(
        &mut registry,
        &spec,
        name,
        namespace,
        i32_of(status, "currentReplicas"),
        &metrics,
    );
    Ok(json!({
        "desiredReplicas": d.desired_replicas,
        "algorithmUsed": d.algorithm_used,
        "requestedAlgorithmNotFound": d.requested_algorithm_not_found,
        "requestedName": d.requested_name,
    }))
}

fn eval_smooth(policy: &Value, status: &Value) -> Result<Value, Stop> {
    let mut algo = smooth_from(policy);
    let calls = status
        .get("calls")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut results = Vec::new();
    for call in &calls {
        let input: ScalingInput = parse(call, "status.calls[]")?;
        let r = algo.compute_scale(&input).map_err(Stop::Invalid)?;
        let mut o = Map::new();
        o.insert("desiredReplicas".into(), json!(r.desired_replicas));
        o.insert("reason".into(), json!(r.reason));
        if !input.metric_ratios.is_empty()
            && let Some(s) = algo.state.get(&CappedSmoothRatio::key(&input))
        {
            o.insert("smoothedRatio".into(), json!(s));
        }
        results.push(Value::Object(o));
    }
    Ok(json!({ "results": results }))
}

fn eval_burst(policy: &Value, status: &Value) -> Result<Value, Stop> {
    let hpa: Hpa = parse(status.get("hpa").unwrap_or(&Value::Null), "status.hpa")?;
    let p = policy
        .get("targetPercentOfMaxLoad")
        .and_then(Value::as_f64)
        .unwrap_or(crate::burst::TARGET_PERCENT);
    Ok(match from_hpa(&hpa, p) {
        Ok(f) => {
            json!({ "header": f.to_string(), "currentLoad": f.current_load, "targetLoad": f.target_load, "maxLoad": f.max_load })
        }
        Err(e) => json!({ "header": null, "error": e }),
    })
}

/// Keys of `expected` that annotate rather than state a result.
const ANNOTATIONS: &[&str] = &[
    "derivation",
    "notes",
    "note",
    "upstream_asserts",
    "error_message_per_code",
    "full_message_per_code",
    "match",
    "hash",
];

/// Compares `actual` with a vector's `expected` (annotation keys ignored; numbers within 1e-9;
/// `error: true` means "the message `error_message_per_code`", or any error without it;
/// `match: "contains"` compares errors by substring). `Err` lists the differences.
pub fn compare(expected: &Value, actual: &Value) -> Result<(), Vec<String>> {
    let mut diffs = Vec::new();
    let Some(exp) = expected.as_object() else {
        if !same(expected, actual) {
            diffs.push(format!("expected {expected}, got {actual}"));
        }
        return if diffs.is_empty() { Ok(()) } else { Err(diffs) };
    };
    let contains = exp.get("match").and_then(Value::as_str) == Some("contains");
    for (k, e) in exp {
        if ANNOTATIONS.contains(&k.as_str()) {
            continue;
        }
        let a = actual.get(k).unwrap_or(&Value::Null);
        if k == "error" {
            let ok = match (e, a) {
                (Value::Bool(true), Value::String(got)) => {
                    match exp.get("error_message_per_code").and_then(Value::as_str) {
                        Some(msg) => msg == got,
                        None => true,
                    }
                }
                (Value::String(want), Value::String(got)) if contains => {
                    got.contains(want.as_str())
                }
                _ => same(e, a),
            };
            if !ok {
                diffs.push(format!("error: expected {e}, got {a}"));
            }
            continue;
        }
        diff_into(k, e, a, &mut diffs);
    }
    if diffs.is_empty() { Ok(()) } else { Err(diffs) }
}

fn same(e: &Value, a: &Value) -> bool {
    let mut d = Vec::new();
    diff_into("", e, a, &mut d);
    d.is_empty()
}

fn diff_into(path: &str, e: &Value, a: &Value, out: &mut Vec<String>) {
    match (e, a) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            if (x - y).abs() > 1e-9 {
                out.push(format!("{path}: expected {x}, got {y}"));
            }
        }
        (Value::Object(eo), Value::Object(ao)) => {
            for (k, ev) in eo {
                diff_into(
                    &format!("{path}.{k}"),
                    ev,
                    ao.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(ea), Value::Array(aa)) => {
            if ea.len() != aa.len() {
                out.push(format!(
                    "{path}: expected {} items, got {}",
                    ea.len(),
                    aa.len()
                ));
            }
            for (i, (ev, av)) in ea.iter().zip(aa).enumerate() {
                diff_into(&format!("{path}[{i}]"), ev, av, out);
            }
        }
        _ => {
            if e != a {
                out.push(format!("{path}: expected {e}, got {a}"));
            }
        }
    }
}

/// One vector's evaluation and verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Vector id.
    pub id: String,
    /// Vector kind.
    pub kind: String,
    /// What evaluation gave.
    pub outcome: Outcome,
    /// `None` if skipped or invalid, else `Ok` or the differences.
    pub verdict: Option<Result<(), Vec<String>>>,
}

/// Evaluates and compares every vector of a JSON array. A vector without `expected` is
/// [`Outcome::Invalid`] (there is nothing to compare with).
pub fn run(vectors: &Value) -> Result<Vec<Report>, String> {
    let list = vectors
        .as_array()
        .ok_or("vectors file must be a JSON array")?;
    Ok(list
        .iter()
        .map(|v| {
            let mut outcome = evaluate(v);
            let expected = v.get("expected");
            if matches!(outcome, Outcome::Actual(_)) && expected.is_none() {
                outcome = Outcome::Invalid("the vector has no \"expected\"".to_string());
            }
            let verdict = match &outcome {
                Outcome::Actual(a) => Some(compare(expected.unwrap_or(&Value::Null), a)),
                Outcome::Skipped(_) | Outcome::Invalid(_) => None,
            };
            let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            Report {
                id: text("id"),
                kind: text("kind"),
                outcome,
                verdict,
            }
        })
        .collect())
}

/// The `--json` line of a report: `{"id":…,"actual":{…}}`, `{"id":…,"skipped":"…"}` or
/// `{"id":…,"invalid":"…"}`.
pub fn json_line(r: &Report) -> String {
    match &r.outcome {
        Outcome::Actual(a) => json!({ "id": r.id, "actual": a }).to_string(),
        Outcome::Skipped(why) => json!({ "id": r.id, "skipped": why }).to_string(),
        Outcome::Invalid(why) => json!({ "id": r.id, "invalid": why }).to_string(),
    }
}

/// How many vectors passed, failed, were skipped (need I/O) and were invalid (unreadable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Computed and equal to `expected`.
    pub passed: usize,
    /// Computed and different from `expected`.
    pub failed: usize,
    /// Not computable without I/O.
    pub skipped: usize,
    /// Unreadable: not an object, no or unknown `kind`, no `expected`, fields of the wrong shape.
    pub invalid: usize,
}

impl Tally {
    /// True when nothing failed and every vector was readable.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.invalid == 0
    }
}

/// Counts the reports by verdict.
pub fn tally(reports: &[Report]) -> Tally {
    let mut t = Tally::default();
    for r in reports {
        match (&r.verdict, &r.outcome) {
            (Some(Ok(())), _) => t.passed += 1,
            (Some(Err(_)), _) => t.failed += 1,
            (None, Outcome::Invalid(_)) => t.invalid += 1,
            (None, _) => t.skipped += 1,
        }
    }
    t
}

/// Pass / fail / skip counts (invalid vectors are in none of them; see [`tally`]).
pub fn counts(reports: &[Report]) -> (usize, usize, usize) {
    let t = tally(reports);
    (t.passed, t.failed, t.skipped)
}

/// A plain-text table (status, kind, id, first difference or skip reason) and the closing line
/// `N passed, M failed, K skipped` (`, E invalid` appended when a vector was unreadable).
pub fn render_table(reports: &[Report]) -> String {
    let kind_w = reports
        .iter()
        .map(|r| r.kind.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let id_w = reports
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2)
        .clamp(2, 80);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<6} {:<kind_w$} {:<id_w$} DETAIL",
        "RESULT", "KIND", "ID"
    );
    for r in reports {
        let (status, detail) = match (&r.verdict, &r.outcome) {
            (Some(Ok(())), _) => ("pass", String::new()),
            (Some(Err(d)), _) => ("FAIL", d.join("; ")),
            (None, Outcome::Skipped(why)) => ("skip", why.clone()),
            (None, Outcome::Invalid(why)) => ("ERROR", why.clone()),
            (None, Outcome::Actual(_)) => ("skip", String::new()),
        };
        let _ = writeln!(
            s,
            "{status:<6} {:<kind_w$} {:<id_w$} {detail}",
            r.kind, r.id
        );
    }
    let t = tally(reports);
    let _ = write!(
        s,
        "{} passed, {} failed, {} skipped",
        t.passed, t.failed, t.skipped
    );
    if t.invalid > 0 {
        let _ = write!(s, ", {} invalid", t.invalid);
    }
    s.push('\n');
    s
}

/// What `simulator autoscale eval FILE [--json]` prints for the text of a vectors file: one JSON
/// line per vector with `json`, else the table and its `N passed, M failed, K skipped` line. The
/// boolean is true when no vector failed and every vector was readable ([`Tally::ok`]); a file
/// that is not a JSON array, or holds no vector, is an `Err`.
pub fn eval_text(text: &str, json: bool) -> Result<(String, bool), String> {
    let vectors: Value =
        serde_json::from_str(text).map_err(|e| format!("invalid vectors file: {e}"))?;
    let reports = run(&vectors)?;
    if reports.is_empty() {
        return Err("the vectors file holds no vector".to_string());
    }
    let ok = tally(&reports).ok();
    if json {
        let mut out = String::new();
        for r in &reports {
            out.push_str(&json_line(r));
            out.push('\n');
        }
        return Ok((out, ok));
    }
    Ok((render_table(&reports), ok))
}
