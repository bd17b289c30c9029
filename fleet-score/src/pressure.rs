//! A fleet's pressure: how far it is from its buffer, from 0 (at or above it) to 1 (nothing yet).

use common::Status;
use fleet_autoscaling::go::time::Instant;
use fleet_autoscaling::kubeai::{CappedSmoothRatio, ScalingAlgorithm, ScalingInput};
use fleet_autoscaling::{Fleet, FleetAutoscalerPolicy, FleetStatus};

use crate::config::{Config, check_policy};
use crate::{POLICY_ANNOTATION, STATUS_ANNOTATION};

/// A fleet's numbers for one cycle.
#[derive(Clone, Debug, PartialEq)]
pub struct Pressure {
    /// The replicas Agones' policy asks for.
    pub desired: i32,
    /// The fleet's replicas now.
    pub replicas: i32,
    /// `clamp((desired − replicas) / desired, 0, 1)` (after smoothing, when enabled).
    pub pressure: f64,
}

/// The pressure of a fleet with `status` under `policy` (no smoothing).
///
/// ```
/// use fleet_autoscaling::{FleetAutoscalerPolicy, FleetStatus};
/// let policy: FleetAutoscalerPolicy = serde_json::from_str(r#"{"type":"Buffer","buffer":{"bufferSize":5,"maxReplicas":100}}"#).unwrap();
/// let status: FleetStatus = serde_json::from_str(r#"{"replicas":2,"allocatedReplicas":2}"#).unwrap();
/// let p = fleet_score::pressure(&policy, &Default::default(), &status).unwrap();
/// assert_eq!((p.desired, p.replicas), (7, 2));
/// assert!((p.pressure - 5.0 / 7.0).abs() < 1e-12);
/// ```
pub fn pressure(
    policy: &FleetAutoscalerPolicy,
    template: &fleet_autoscaling::GameServerTemplateSpec,
    status: &FleetStatus,
) -> Result<Pressure, Status> {
    let mut fleet = Fleet::default();
    fleet.spec.replicas = status.replicas;
    fleet.spec.template.spec = template.clone();
    fleet.status = status.clone();
    // Schedule and Chain are refused before this point, so "now" is never read.
    let (desired, _limited) = fleet_autoscaling::apply(policy, &fleet, &[], Instant::ZERO)
        .map_err(|e| Status::error(format!("fleet policy: {e}")))?;
    Ok(Pressure {
        desired,
        replicas: status.replicas,
        pressure: ratio(desired, status.replicas),
    })
}

fn ratio(desired: i32, replicas: i32) -> f64 {
    if desired <= 0 {
        return 0.0;
    }
    ((f64::from(desired) - f64::from(replicas)) / f64::from(desired)).clamp(0.0, 1.0)
}

/// Parses `text` as the JSON form of `T`, refusing arrays wherever `T` has an object.
///
/// serde's derived `Deserialize` also accepts a struct written as a JSON array of its fields in
/// declaration order (`[6,0,0,2]` for a FleetStatus, `[]` for an all-default one); that form is
/// not Agones' format and not documented, so a value whose re-serialized form has an object
/// where the text has an array is refused (at any depth: `"buffer":[5,10]` too).
pub(crate) fn from_json_objects<T>(text: &str) -> Result<T, String>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let value: T = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let shape = serde_json::to_value(&value).map_err(|e| e.to_string())?;
    match array_for_object(&raw, &shape, String::new()) {
        Some(path) => Err(format!(
            "{} is a JSON array; a JSON object is expected",
            if path.is_empty() { "the value" } else { &path }
        )),
        None => Ok(value),
    }
}

/// The path of the first place where `raw` has an array and `shape` an object.
fn array_for_object(
    raw: &serde_json::Value,
    shape: &serde_json::Value,
    path: String,
) -> Option<String> {
    use serde_json::Value;
    // Iterative, so a deeply nested annotation cannot exhaust the guest's stack.
    let mut todo = vec![(raw, shape, path)];
    while let Some((raw, shape, path)) = todo.pop() {
        match (raw, shape) {
            (Value::Array(_), Value::Object(_)) => return Some(path),
            (Value::Object(r), Value::Object(s)) => {
                for (k, v) in r {
                    if let Some(sv) = s.get(k) {
                        let p = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        todo.push((v, sv, p));
                    }
                }
            }
            (Value::Array(r), Value::Array(s)) => {
                for (i, (v, sv)) in r.iter().zip(s).enumerate() {
                    todo.push((v, sv, format!("{path}[{i}]")));
                }
            }
            _ => {}
        }
    }
    None
}

fn parse_status(text: Option<&str>) -> Result<FleetStatus, Status> {
    let text = text.ok_or_else(|| {
        Status::error(format!(
            "fleet pod has no {STATUS_ANNOTATION} annotation (Agones FleetStatus JSON)"
        ))
    })?;
    let status: FleetStatus = from_json_objects(text).map_err(|e| {
        Status::error(format!(
            "annotation {STATUS_ANNOTATION} is not a FleetStatus: {e}"
        ))
    })?;
    let counts = [
        ("replicas", status.replicas),
        ("readyReplicas", status.ready_replicas),
        ("reservedReplicas", status.reserved_replicas),
        ("allocatedReplicas", status.allocated_replicas),
    ];
    for (field, value) in counts {
        if value < 0 {
            return Err(Status::error(format!(
                "annotation {STATUS_ANNOTATION}: {field} is negative ({value})"
            )));
        }
    }
    for (key, agg) in status.counters.iter().chain(&status.lists) {
        let numbers = [
            agg.count,
            agg.capacity,
            agg.allocated_count,
            agg.allocated_capacity,
        ];
        if numbers.iter().any(|&n| n < 0) {
            return Err(Status::error(format!(
                "annotation {STATUS_ANNOTATION}: counts of {key:?} are negative"
            )));
        }
    }
    Ok(status)
}

/// This cycle's pressure for `fleet`: status from its annotation, policy from the pod's annotation
/// or the configuration, smoothed when configured.
pub(crate) fn compute(
    config: &Config,
    smoother: Option<&mut CappedSmoothRatio>,
    namespace: &str,
    fleet: &str,
    status: Option<&str>,
    policy_override: Option<&str>,
) -> Result<Pressure, Status> {
    let status = parse_status(status)?;
    let configured = config.fleet(fleet);
    let override_policy: Option<FleetAutoscalerPolicy> = match policy_override {
        None => None,
        Some(text) => {
            let policy = from_json_objects(text).map_err(|e| {
                Status::error(format!(
                    "annotation {POLICY_ANNOTATION} is not an Agones policy: {e}"
                ))
            })?;
            check_policy(&policy, POLICY_ANNOTATION)?;
            Some(policy)
        }
    };
    let policy = match (&override_policy, configured) {
        (Some(p), _) => p,
        (None, Some(c)) => &c.policy,
        (None, None) => {
            return Err(Status::error(format!(
                "no policy for fleet {fleet:?}: add it to guestConfig \"fleets\" or \"default\", or annotate the pod with {POLICY_ANNOTATION}"
            )));
        }
    };
    let template = configured.map(|c| c.template.clone()).unwrap_or_default();
    let mut p = pressure(policy, &template, &status)?;
    if let Some(smoother) = smoother {
        p.pressure = smoothed(smoother, namespace, fleet, &p);
    }
    Ok(p)
}

/// CappedSmoothRatio over the buffer ratio desired/replicas; the smoothed desired size gives the
/// pressure. An empty fleet has no ratio: its pressure is taken as is.
fn smoothed(smoother: &mut CappedSmoothRatio, namespace: &str, fleet: &str, p: &Pressure) -> f64 {
    if p.replicas <= 0 {
        return p.pressure;
    }
    let input = ScalingInput {
        current_replicas: p.replicas,
        min_replicas: 0,
        max_replicas: i32::MAX,
        metric_ratios: vec![f64::from(p.desired) / f64::from(p.replicas)],
        tolerance: smoother.tolerance,
        policy_name: fleet.to_owned(),
        policy_namespace: namespace.to_owned(),
    };
    match smoother.compute_scale(&input) {
        Ok(result) => ratio(result.desired_replicas, p.replicas),
        Err(_) => p.pressure,
    }
}
