//! The enrichment, as pure functions: which fleet a game-server pod belongs to, and what to add to
//! it so FleetScore sees the fleet's state at the moment the pod is created. The admission webhook
//! turns an [`Enrichment`] into a JSONPatch ([`json_patch`]); a simulator applies it to a pod
//! object directly ([`apply`]). Same decision, same annotations.

use std::collections::BTreeMap;

use fleet_autoscaling::{FleetAutoscalerPolicy, FleetStatus};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::store::Store;
use crate::{GAMESERVER_LABEL, POLICY_ANNOTATION, ROLE_GAMESERVER, ROLE_LABEL, STATUS_ANNOTATION};

/// The metadata of a pod that the enrichment reads.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct PodMeta {
    /// `metadata.name` (Agones names a pod after its GameServer).
    #[serde(default)]
    pub name: Option<String>,
    /// `metadata.namespace` (at admission, the request's namespace is authoritative).
    #[serde(default)]
    pub namespace: Option<String>,
    /// `metadata.labels` (`None` when the pod has none).
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// `metadata.annotations` (`None` when the pod has none).
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl PodMeta {
    /// Reads `metadata` of a pod object.
    ///
    /// # Errors
    /// When `metadata` is not an object of the expected shape (e.g. a label value that is not a
    /// string).
    pub fn from_pod(pod: &Value) -> Result<PodMeta, String> {
        match pod.get("metadata") {
            None | Some(Value::Null) => Ok(PodMeta::default()),
            Some(meta) => PodMeta::deserialize(meta).map_err(|e| format!("metadata: {e}")),
        }
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.labels.as_ref()?.get(key).map(String::as_str)
    }
}

/// What the enrichment adds to one pod.
#[derive(Clone, Debug, PartialEq)]
pub struct Enrichment {
    /// The pod's fleet.
    pub fleet: String,
    /// Labels to set (the FleetScore fleet label, when the pod does not carry it yet).
    pub labels: Vec<(String, String)>,
    /// Annotations to set: the fleet status and, when known, the policy.
    pub annotations: Vec<(String, String)>,
}

/// Why a pod passes unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unchanged {
    /// Not labelled `agones.dev/role: gameserver`.
    NotGameServer,
    /// A game server whose fleet could not be determined (a standalone GameServer, or a fleet
    /// fleet-context has not heard of yet).
    NoFleet,
    /// The fleet is known but its status is not yet.
    NoStatus(String),
}

impl std::fmt::Display for Unchanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unchanged::NotGameServer => f.write_str("not a game-server pod"),
            Unchanged::NoFleet => f.write_str("no known fleet"),
            Unchanged::NoStatus(fleet) => write!(f, "fleet {fleet:?} has no known status yet"),
        }
    }
}

/// Enrichment settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// The FleetScore fleet label (its `fleetLabel` setting); default
    /// [`crate::DEFAULT_FLEET_LABEL`].
    pub fleet_label: String,
    /// The policy of fleets whose FleetAutoscaler is unknown or has no scoring policy (`--policy`).
    pub default_policy: Option<FleetAutoscalerPolicy>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fleet_label: crate::DEFAULT_FLEET_LABEL.to_owned(),
            default_policy: None,
        }
    }
}

/// Characters of Kubernetes' generated name suffixes (`k8s.io/apimachinery/pkg/util/rand`).
const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// `metadata.generateName` keeps at most this many bytes of its base before the 5-character suffix.
const MAX_GENERATED_BASE: usize = 58;
const SUFFIX_LEN: usize = 5;

fn is_suffix(s: &[u8]) -> bool {
    s.iter().all(|c| SUFFIX_ALPHABET.contains(c))
}

/// Whether `game_server` is a name Agones generates for a GameServer of `fleet`: the Fleet creates
/// a GameServerSet with `generateName: <fleet>-`, which creates GameServers with
/// `generateName: <gameserverset>-`; the API server keeps at most 58 bytes of a base and appends 5
/// characters.
pub fn generated_by(fleet: &str, game_server: &str) -> bool {
    let gs = game_server.as_bytes();
    let base1 = (fleet.len() + 1).min(MAX_GENERATED_BASE);
    let set_len = base1 + SUFFIX_LEN;
    let base2 = (set_len + 1).min(MAX_GENERATED_BASE);
    if gs.len() != base2 + SUFFIX_LEN {
        return false;
    }
    let mut prefix = fleet.as_bytes().to_vec();
    prefix.push(b'-');
    prefix.truncate(base1);
    let set_suffix_end = set_len.min(base2);
    gs.get(..base1) == Some(prefix.as_slice())
        && gs.get(base1..set_suffix_end).is_some_and(is_suffix)
        && (set_len >= base2 || gs.get(set_len) == Some(&b'-'))
        && gs.get(base2..).is_some_and(is_suffix)
}

/// The fleet of a game-server pod: the FleetScore fleet label when the pod carries it (set in the
/// Fleet's pod template), else the one known fleet of the namespace whose generated names match
/// the GameServer's name (label `agones.dev/gameserver`, else the pod's name).
///
/// `known(fleet)` says whether a fleet exists in the pod's namespace; `all()` lists them, and is
/// called only for names of 63 bytes (where the API server truncated the bases).
pub fn resolve_fleet(
    pod: &PodMeta,
    fleet_label: &str,
    known: impl Fn(&str) -> bool,
    all: impl FnOnce() -> Vec<String>,
) -> Option<String> {
    if let Some(f) = pod.label(fleet_label).filter(|f| !f.is_empty()) {
        return Some(f.to_owned());
    }
    let gs = pod.label(GAMESERVER_LABEL).or(pod.name.as_deref())?;
    // Untruncated: "<fleet>-<5>-<5>".
    if let Some(fleet) = gs.get(..gs.len().saturating_sub(2 * (SUFFIX_LEN + 1)))
        && !fleet.is_empty()
        && generated_by(fleet, gs)
        && known(fleet)
    {
        return Some(fleet.to_owned());
    }
    if gs.len() != MAX_GENERATED_BASE + SUFFIX_LEN {
        return None;
    }
    let fleets = all();
    let mut matches = fleets.iter().filter(|f| generated_by(f, gs));
    let first = matches.next()?;
    // Only fleets of 52 bytes or more have truncated names, and only then can two fleets match.
    matches.next().is_none().then(|| first.clone())
}

/// Decides what to add to a pod in `namespace`.
///
/// # Errors
/// [`Unchanged`] says why the pod passes as it is.
pub fn enrich(
    pod: &PodMeta,
    namespace: &str,
    store: &Store,
    opts: &Options,
) -> Result<Enrichment, Unchanged> {
    if pod.label(ROLE_LABEL) != Some(ROLE_GAMESERVER) {
        return Err(Unchanged::NotGameServer);
    }
    let fleet = resolve_fleet(
        pod,
        &opts.fleet_label,
        |f| store.contains(namespace, f),
        || store.fleet_names(namespace),
    )
    .ok_or(Unchanged::NoFleet)?;
    let view = store.fleet(namespace, &fleet).ok_or(Unchanged::NoFleet)?;
    let status = view
        .status
        .ok_or_else(|| Unchanged::NoStatus(fleet.clone()))?;
    let policy = view.policy.or_else(|| opts.default_policy.clone());
    Ok(enrichment(
        pod,
        &opts.fleet_label,
        &fleet,
        &status,
        policy.as_ref(),
    ))
}

/// The enrichment of a pod of `fleet` with `status` (and `policy`): the fleet label when the pod
/// lacks it, the status annotation, and the policy annotation when a policy is given.
pub fn enrichment(
    pod: &PodMeta,
    fleet_label: &str,
    fleet: &str,
    status: &FleetStatus,
    policy: Option<&FleetAutoscalerPolicy>,
) -> Enrichment {
    let mut labels = Vec::new();
    if pod.label(fleet_label) != Some(fleet) {
        labels.push((fleet_label.to_owned(), fleet.to_owned()));
    }
    let mut annotations = vec![(STATUS_ANNOTATION.to_owned(), compact_json(status))];
    if let Some(policy) = policy {
        annotations.push((POLICY_ANNOTATION.to_owned(), compact_json(policy)));
    }
    Enrichment {
        fleet: fleet.to_owned(),
        labels,
        annotations,
    }
}

fn compact_json<T: serde::Serialize>(value: &T) -> String {
    // Serialising these plain structs (strings, integers, maps with string keys) cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// Escapes a map key for a JSON Pointer (RFC 6901): `~` → `~0`, `/` → `~1`.
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn map_ops(ops: &mut Vec<Value>, field: &str, present: bool, entries: &[(String, String)]) {
    if entries.is_empty() {
        return;
    }
    if present {
        for (k, v) in entries {
            ops.push(json!({"op": "add", "path": format!("/metadata/{field}/{}", escape_pointer(k)), "value": v}));
        }
    } else {
        let map: Map<String, Value> = entries
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        ops.push(json!({"op": "add", "path": format!("/metadata/{field}"), "value": map}));
    }
}

/// The RFC 6902 JSONPatch that applies `e` to `pod`: `add` of each key (which replaces an existing
/// value), or of the whole map when the pod has no `labels`/`annotations` yet.
pub fn json_patch(pod: &PodMeta, e: &Enrichment) -> Value {
    let mut ops = Vec::new();
    map_ops(&mut ops, "labels", pod.labels.is_some(), &e.labels);
    map_ops(
        &mut ops,
        "annotations",
        pod.annotations.is_some(),
        &e.annotations,
    );
    Value::Array(ops)
}

/// Applies `e` to a pod object in place (what the patched pod looks like after admission).
pub fn apply(pod: &mut Value, e: &Enrichment) {
    let Some(obj) = pod.as_object_mut() else {
        return;
    };
    let meta = obj
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    for (field, entries) in [("labels", &e.labels), ("annotations", &e.annotations)] {
        if entries.is_empty() {
            continue;
        }
        if let Some(meta) = meta.as_object_mut() {
            let map = meta
                .entry(field)
                .or_insert_with(|| Value::Object(Map::new()));
            if !map.is_object() {
                *map = Value::Object(Map::new());
            }
            if let Some(map) = map.as_object_mut() {
                for (k, v) in entries {
                    map.insert(k.clone(), Value::String(v.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn generated_names_map_back_to_their_fleet() {
        assert!(generated_by("lobby", "lobby-x7k2p-9bq4z"));
        assert!(generated_by("lobby-eu", "lobby-eu-x7k2p-9bq4z"));
        // The shorter fleet's names are 17 bytes long: no confusion with lobby-eu's.
        assert!(!generated_by("lobby", "lobby-eu-x7k2p-9bq4z"));
        // Not from the generator's alphabet (vowels, 0, 1, 3 are never generated).
        assert!(!generated_by("lobby", "lobby-aaaaa-9bq4z"));
        assert!(!generated_by("lobby", "lobby-x7k2p_9bq4z"));
        assert!(!generated_by("lobby", "lobby"));
    }

    #[test]
    fn long_fleet_names_are_truncated_as_the_api_server_does() {
        let fleet = "f".repeat(60);
        // GameServerSet: the first 58 bytes of "<fleet>-" + 5; GameServer: its first 58 + 5.
        let gs = format!("{}{}", "f".repeat(58), "hjklm");
        assert!(generated_by(&fleet, &gs));
        assert!(!generated_by(
            &fleet,
            &format!("{}{}", "f".repeat(57), "-hjklm")
        ));
        let fleet = "g".repeat(52); // base1 53, set 58, base2 58: the set suffix is whole, no dash
        let gs = format!("{}-{}{}", fleet, "bcdfg", "hjklm");
        assert!(generated_by(&fleet, &gs), "{gs}");
        let fleet = "h".repeat(51); // base1 52, set 57, base2 58: suffix, dash, suffix
        let gs = format!("{}-{}-{}", fleet, "bcdfg", "hjklm");
        assert!(generated_by(&fleet, &gs), "{gs}");
    }

    #[test]
    fn the_fleet_label_wins_and_ambiguity_resolves_to_none() {
        let mut pod = PodMeta {
            name: Some("lobby-x7k2p-9bq4z".into()),
            ..PodMeta::default()
        };
        let fleets = vec!["lobby".to_owned(), "other".to_owned()];
        let resolve = |pod: &PodMeta, fleets: &[String]| {
            resolve_fleet(
                pod,
                "f",
                |f| fleets.iter().any(|k| k == f),
                || fleets.to_vec(),
            )
        };
        assert_eq!(resolve(&pod, &fleets).as_deref(), Some("lobby"));
        assert_eq!(resolve(&pod, &fleets[1..]), None);
        pod.labels = Some(BTreeMap::from([("f".to_owned(), "arena".to_owned())]));
        assert_eq!(resolve(&pod, &fleets).as_deref(), Some("arena"));
        let long_a = format!("{}a", "x".repeat(60));
        let long_b = format!("{}b", "x".repeat(60));
        let gs = format!("{}{}", "x".repeat(58), "hjklm");
        let pod = PodMeta {
            name: Some(gs),
            ..PodMeta::default()
        };
        assert_eq!(
            resolve(&pod, std::slice::from_ref(&long_a)),
            Some(long_a.clone())
        );
        assert_eq!(resolve(&pod, &[long_a, long_b]), None);
    }

    #[test]
    fn pointer_escaping_follows_rfc_6901() {
        assert_eq!(escape_pointer("a/b~c"), "a~1b~0c");
        assert_eq!(escape_pointer("~1"), "~01");
    }

    #[test]
    fn apply_adds_missing_maps_and_replaces_values() {
        let e = Enrichment {
            fleet: "lobby".into(),
            labels: vec![("k/l".into(), "lobby".into())],
            annotations: vec![("a".into(), "new".into())],
        };
        let mut pod = json!({"metadata": {"annotations": {"a": "old", "b": "keep"}}});
        apply(&mut pod, &e);
        assert_eq!(
            pod,
            json!({"metadata": {"labels": {"k/l": "lobby"}, "annotations": {"a": "new", "b": "keep"}}})
        );
    }
}
