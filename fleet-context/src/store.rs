//! What fleet-context knows about fleets: each fleet's latest status, its Counter/List template,
//! and the policy of its FleetAutoscaler. Fed by the cluster watchers, a `--fleets` file and every
//! `FleetAutoscaleReview` received on `/scale`; read by the admission webhook.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use fleet_autoscaling::validate::{ValidateOptions, validate_policy};
use fleet_autoscaling::{FleetAutoscalerPolicy, FleetStatus, GameServerTemplateSpec};

use crate::POLICY_ANNOTATION;
use crate::crd::{Fleet, FleetAutoscaler};

/// `(namespace, name)` of a fleet or a FleetAutoscaler.
pub type Key = (String, String);

/// Where a fleet's status last came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusSource {
    /// A Fleet object (watch or `--fleets` file).
    Object,
    /// A FleetAutoscaleReview on `/scale`.
    Review,
}

/// One fleet as known now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetView {
    /// The fleet's latest status (`None` until a Fleet object or a review has given one).
    pub status: Option<FleetStatus>,
    /// Where `status` came from.
    pub source: Option<StatusSource>,
    /// The GameServer template's Counters and Lists (from the Fleet object).
    pub template: GameServerTemplateSpec,
    /// The policy FleetScore can compute for this fleet (see [`scoring_policy`]), if its
    /// FleetAutoscaler is known and has one.
    pub policy: Option<FleetAutoscalerPolicy>,
}

#[derive(Clone, Debug)]
struct AutoscalerEntry {
    fleet: String,
    policy: Option<FleetAutoscalerPolicy>,
}

#[derive(Debug, Default)]
struct Inner {
    fleets: HashMap<Key, FleetView>,
    autoscalers: HashMap<Key, AutoscalerEntry>,
}

/// The shared, thread-safe fleet store. Reads clone one fleet's view; writes are short.
#[derive(Debug, Default)]
pub struct Store {
    inner: RwLock<Inner>,
}

/// The policy of a FleetAutoscaler that FleetScore can compute: its `spec.policy` when that is a
/// Buffer, Counter or List policy; for any other type (Webhook, Wasm, Schedule, Chain) the policy
/// in its annotation [`POLICY_ANNOTATION`] (JSON), if any. The policy must pass Agones' admission
/// rules.
///
/// # Errors
/// A clear message when the annotation is not a policy, names an unsupported type, or breaks an
/// Agones rule.
pub fn scoring_policy(fas: &FleetAutoscaler) -> Result<Option<FleetAutoscalerPolicy>, String> {
    let policy = match fas.spec.policy.policy_type.as_str() {
        "Buffer" | "Counter" | "List" => fas.spec.policy.clone(),
        _ => match fas
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(POLICY_ANNOTATION))
        {
            None => return Ok(None),
            Some(text) => serde_json::from_str::<FleetAutoscalerPolicy>(text).map_err(|e| {
                format!("annotation {POLICY_ANNOTATION} is not an Agones policy: {e}")
            })?,
        },
    };
    match policy.policy_type.as_str() {
        "Buffer" | "Counter" | "List" => {}
        other => {
            return Err(format!(
                "annotation {POLICY_ANNOTATION}: type {other:?} is not Buffer, Counter or List"
            ));
        }
    }
    let opts = ValidateOptions {
        now: None,
        ..ValidateOptions::default()
    };
    let errors = validate_policy(&policy, "spec.policy", &opts);
    if errors.is_empty() {
        Ok(Some(policy))
    } else {
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        Err(format!("invalid policy: {}", text.join("; ")))
    }
}

fn key_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Option<Key> {
    let name = meta.name.clone().filter(|n| !n.is_empty())?;
    Some((
        meta.namespace.clone().unwrap_or_else(|| "default".into()),
        name,
    ))
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store::default()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated (each write is one
        // insert or remove), so a poisoned lock is still consistent.
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a Fleet object: its template, and its status when it has one. Objects without a
    /// name are ignored (returns false).
    pub fn apply_fleet(&self, fleet: &Fleet) -> bool {
        let Some(key) = key_of(&fleet.metadata) else {
            return false;
        };
        let mut inner = self.write();
        let view = inner.fleets.entry(key).or_default();
        view.template = fleet.spec.template.spec.clone();
        if let Some(status) = &fleet.status {
            view.status = Some(status.clone());
            view.source = Some(StatusSource::Object);
        }
        true
    }

    /// Forgets a fleet.
    pub fn delete_fleet(&self, namespace: &str, name: &str) {
        self.write()
            .fleets
            .remove(&(namespace.to_owned(), name.to_owned()));
    }

    /// Records a FleetAutoscaler. Its scoring policy (see [`scoring_policy`]) is kept; when that
    /// fails, the autoscaler is recorded without a policy and the message is returned.
    pub fn apply_autoscaler(&self, fas: &FleetAutoscaler) -> Result<(), String> {
        let Some(key) = key_of(&fas.metadata) else {
            return Err("FleetAutoscaler without metadata.name".into());
        };
        let (policy, outcome) = match scoring_policy(fas) {
            Ok(p) => (p, Ok(())),
            Err(e) => (
                None,
                Err(format!("FleetAutoscaler {}/{}: {e}", key.0, key.1)),
            ),
        };
        self.write().autoscalers.insert(
            key,
            AutoscalerEntry {
                fleet: fas.spec.fleet_name.clone(),
                policy,
            },
        );
        outcome
    }

    /// Forgets a FleetAutoscaler.
    pub fn delete_autoscaler(&self, namespace: &str, name: &str) {
        self.write()
            .autoscalers
            .remove(&(namespace.to_owned(), name.to_owned()));
    }

    /// Keeps only the fleets (or, with `autoscalers`, the FleetAutoscalers) in `keep`: after a
    /// watch restart has re-listed every object.
    pub fn retain(&self, autoscalers: bool, keep: &std::collections::HashSet<Key>) {
        let mut inner = self.write();
        if autoscalers {
            inner.autoscalers.retain(|k, _| keep.contains(k));
        } else {
            inner.fleets.retain(|k, _| keep.contains(k));
        }
    }

    /// Records the status a FleetAutoscaleReview carried (the newest the store has seen).
    pub fn learn_status(&self, namespace: &str, name: &str, status: FleetStatus) {
        let mut inner = self.write();
        let view = inner
            .fleets
            .entry((namespace.to_owned(), name.to_owned()))
            .or_default();
        view.status = Some(status);
        view.source = Some(StatusSource::Review);
    }

    /// The fleet as known now (status, template, and its autoscaler's scoring policy), or `None`
    /// when the store has never heard of it.
    pub fn fleet(&self, namespace: &str, name: &str) -> Option<FleetView> {
        let inner = self.read();
        let mut view = inner
            .fleets
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()?;
        view.policy = autoscaler_policy(&inner, namespace, name);
        Some(view)
    }

    /// The scoring policy of the fleet's FleetAutoscaler, when known.
    pub fn policy(&self, namespace: &str, fleet: &str) -> Option<FleetAutoscalerPolicy> {
        autoscaler_policy(&self.read(), namespace, fleet)
    }

    /// Whether the fleet is known.
    pub fn contains(&self, namespace: &str, name: &str) -> bool {
        self.read()
            .fleets
            .contains_key(&(namespace.to_owned(), name.to_owned()))
    }

    /// The fleets known in `namespace` (sorted).
    pub fn fleet_names(&self, namespace: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .read()
            .fleets
            .keys()
            .filter(|(ns, _)| ns == namespace)
            .map(|(_, n)| n.clone())
            .collect();
        names.sort();
        names
    }

    /// Counts of known fleets, fleets with a status, and FleetAutoscalers (for logs and health).
    pub fn counts(&self) -> (usize, usize, usize) {
        let inner = self.read();
        let with_status = inner.fleets.values().filter(|v| v.status.is_some()).count();
        (inner.fleets.len(), with_status, inner.autoscalers.len())
    }
}

/// The scoring policy of the first (by name) FleetAutoscaler of `fleet` that has one. Agones
/// allows one autoscaler per fleet in practice; the order only makes a misconfiguration stable.
fn autoscaler_policy(inner: &Inner, namespace: &str, fleet: &str) -> Option<FleetAutoscalerPolicy> {
    let mut found: BTreeMap<&str, &FleetAutoscalerPolicy> = BTreeMap::new();
    for ((ns, name), entry) in &inner.autoscalers {
        if ns == namespace
            && entry.fleet == fleet
            && let Some(p) = &entry.policy
        {
            found.insert(name, p);
        }
    }
    found.into_values().next().cloned()
}
