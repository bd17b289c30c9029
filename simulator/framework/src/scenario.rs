//! A scenario in kube-scheduler-simulator's export format: `{"nodes": [...], "pods": [...],
//! "schedulerConfig": {...}, "pvs": [...], ...}` (the body of `GET /api/v1/export`, which
//! `POST /api/v1/import` takes back).

use serde_json::Value;

use super::config::{ConfigError, SchedulerConfig, parse_text};

/// A scenario: the export's JSON, kept whole so it can be written back with placements.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The export object.
    pub value: Value,
    /// Where it came from (for messages).
    pub source: String,
}

impl Scenario {
    /// Reads an export (JSON, or the same structure in YAML).
    pub fn from_text(text: &str, source: &str) -> Result<Scenario, ConfigError> {
        let value = parse_text(text).map_err(|e| ConfigError(format!("{source}: {e}")))?;
        Scenario::from_value(value, source)
    }

    /// Checks an export given as JSON: an object whose `nodes` and `pods` (when present) are lists
    /// of objects with a `metadata.name`.
    pub fn from_value(value: Value, source: &str) -> Result<Scenario, ConfigError> {
        let err = |m: String| ConfigError(format!("{source}: {m}"));
        let Some(obj) = value.as_object() else {
            return Err(err(
                "a scenario must be a kube-scheduler-simulator export: a mapping with `nodes` and `pods`".into(),
            ));
        };
        if !obj.contains_key("nodes") && !obj.contains_key("pods") {
            return Err(err(
                "not a kube-scheduler-simulator export: it has neither `nodes` nor `pods`".into(),
            ));
        }
        for key in ["nodes", "pods"] {
            match obj.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        let name = item.pointer("/metadata/name").and_then(Value::as_str);
                        if name.is_none_or(str::is_empty) {
                            return Err(err(format!("{key}[{i}] has no metadata.name")));
                        }
                    }
                }
                Some(_) => return Err(err(format!("`{key}` must be a list"))),
            }
        }
        Ok(Scenario {
            value,
            source: source.to_string(),
        })
    }

    fn list(&self, key: &str) -> &[Value] {
        self.value
            .get(key)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The nodes, in the export's order.
    pub fn nodes(&self) -> &[Value] {
        self.list("nodes")
    }

    /// The pods, in the export's order.
    pub fn pods(&self) -> &[Value] {
        self.list("pods")
    }

    /// The embedded `schedulerConfig`, if any.
    pub fn scheduler_config(&self) -> Option<Result<SchedulerConfig, ConfigError>> {
        match self.value.get("schedulerConfig") {
            None | Some(Value::Null) => None,
            Some(v) => Some(SchedulerConfig::from_value(
                v.clone(),
                &format!("{} (schedulerConfig)", self.source),
            )),
        }
    }

    /// Replaces the nodes and pods (for writing the scenario back).
    pub fn with_objects(&self, nodes: Vec<Value>, pods: Vec<Value>) -> Scenario {
        let mut value = self.value.clone();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("nodes".into(), Value::Array(nodes));
            obj.insert("pods".into(), Value::Array(pods));
        }
        Scenario {
            value,
            source: self.source.clone(),
        }
    }
}

/// `namespace/name` of a pod (namespace `default` when absent).
pub fn pod_key(pod: &Value) -> String {
    let ns = pod
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default");
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    format!("{ns}/{name}")
}

/// `spec.nodeName` of a pod ("" when unset).
pub fn node_name_of(pod: &Value) -> &str {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Whether the pod is pending: no `spec.nodeName`, not terminal (`Succeeded`/`Failed`), not being
/// deleted.
pub fn is_pending(pod: &Value) -> bool {
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or_default();
    node_name_of(pod).is_empty()
        && phase != "Succeeded"
        && phase != "Failed"
        && pod
            .pointer("/metadata/deletionTimestamp")
            .is_none_or(Value::is_null)
}

/// `spec.priority` (0 when unset).
pub fn priority_of(pod: &Value) -> i64 {
    pod.pointer("/spec/priority")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}
