//! Node load, as pure logic: game-server pod and node events in, the `load-feedback` annotation
//! each node should carry out. The controller ([`crate::watch`]) feeds it from kube-rs watchers
//! and patches only the nodes whose value changed, rate-limited.
//!
//! `current-load` is the number of game-server pods (`agones.dev/role: gameserver`) bound to the
//! node and not finished (phase other than `Succeeded`/`Failed`); `target-load` and `max-load`
//! come from the node's labels ([`LoadConfig::target_label`], [`LoadConfig::max_label`]) or the
//! configured defaults. A node with neither is not managed.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use fleet_autoscaling::burst::LoadFeedback;
use k8s_openapi::api::core::v1::{Node, Pod};

use crate::{LOAD_ANNOTATION, ROLE_GAMESERVER, ROLE_LABEL};

/// Where target and max loads come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadConfig {
    /// Node label with the node's target load.
    pub target_label: String,
    /// Node label with the node's max load.
    pub max_label: String,
    /// Target load of nodes without the label.
    pub default_target: Option<i64>,
    /// Max load of nodes without the label.
    pub default_max: Option<i64>,
}

/// Default node label for the target load.
pub const TARGET_LABEL: &str = "scheduler.wasmkwokwizardry.io/target-load";
/// Default node label for the max load.
pub const MAX_LABEL: &str = "scheduler.wasmkwokwizardry.io/max-load";

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            target_label: TARGET_LABEL.into(),
            max_label: MAX_LABEL.into(),
            default_target: None,
            default_max: None,
        }
    }
}

/// A game-server pod's placement: `(namespace, name)` and the node it is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodPlacement {
    /// `(namespace, name)`.
    pub key: (String, String),
    /// `spec.nodeName` when bound and not finished; `None` otherwise (it does not count).
    pub node: Option<String>,
}

impl PodPlacement {
    /// The placement of a pod, or `None` when it is not a game-server pod.
    pub fn of(pod: &Pod) -> Option<PodPlacement> {
        let meta = &pod.metadata;
        let role = meta.labels.as_ref()?.get(ROLE_LABEL)?;
        if role != ROLE_GAMESERVER {
            return None;
        }
        let finished = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .is_some_and(|p| p == "Succeeded" || p == "Failed");
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty() && !finished);
        Some(PodPlacement {
            key: (
                meta.namespace.clone().unwrap_or_default(),
                meta.name.clone().unwrap_or_default(),
            ),
            node,
        })
    }
}

/// One event of the pod or node watch.
#[derive(Clone, Debug)]
pub enum Event {
    /// The pod list was (re)listed: these are all game-server pods now.
    PodsListed(Vec<PodPlacement>),
    /// A pod was added or changed.
    PodApplied(PodPlacement),
    /// A pod was deleted.
    PodDeleted((String, String)),
    /// The node list was (re)listed.
    NodesListed(Vec<Node>),
    /// A node was added or changed.
    NodeApplied(Box<Node>),
    /// A node was deleted.
    NodeDeleted(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct NodeState {
    target: Option<i64>,
    max: Option<i64>,
    annotation: Option<String>,
}

/// The node-load state: which node each game-server pod is on, and each node's bounds and
/// current annotation.
#[derive(Clone, Debug, Default)]
pub struct NodeLoads {
    config: LoadConfig,
    pods: HashMap<(String, String), String>,
    nodes: BTreeMap<String, NodeState>,
}

fn label_number(node: &Node, key: &str) -> Option<i64> {
    node.metadata
        .labels
        .as_ref()?
        .get(key)?
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
}

impl NodeLoads {
    /// An empty state with `config`.
    pub fn new(config: LoadConfig) -> NodeLoads {
        NodeLoads {
            config,
            ..NodeLoads::default()
        }
    }

    fn node_state(&self, node: &Node) -> NodeState {
        NodeState {
            target: label_number(node, &self.config.target_label).or(self.config.default_target),
            max: label_number(node, &self.config.max_label).or(self.config.default_max),
            annotation: node
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(LOAD_ANNOTATION).cloned()),
        }
    }

    fn place(&mut self, p: PodPlacement) {
        match p.node {
            Some(node) => {
                self.pods.insert(p.key, node);
            }
            None => {
                self.pods.remove(&p.key);
            }
        }
    }

    /// Applies one event.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::PodsListed(pods) => {
                self.pods.clear();
                for p in pods {
                    self.place(p);
                }
            }
            Event::PodApplied(p) => self.place(p),
            Event::PodDeleted(key) => {
                self.pods.remove(&key);
            }
            Event::NodesListed(nodes) => {
                self.nodes = nodes
                    .iter()
                    .filter_map(|n| Some((n.metadata.name.clone()?, self.node_state(n))))
                    .collect();
            }
            Event::NodeApplied(node) => {
                if let Some(name) = node.metadata.name.clone() {
                    let state = self.node_state(&node);
                    self.nodes.insert(name, state);
                }
            }
            Event::NodeDeleted(name) => {
                self.nodes.remove(&name);
            }
        }
    }

    /// The game-server pods counted on `node`.
    pub fn count(&self, node: &str) -> i64 {
        self.pods.values().filter(|n| n.as_str() == node).count() as i64
    }

    /// The annotation each managed node should carry, for the nodes whose annotation differs:
    /// `(node, value)`, sorted by node.
    pub fn changes(&self) -> Vec<(String, String)> {
        let mut counts: HashMap<&str, i64> = HashMap::new();
        for node in self.pods.values() {
            *counts.entry(node.as_str()).or_default() += 1;
        }
        self.nodes
            .iter()
            .filter_map(|(name, state)| {
                if state.target.is_none() && state.max.is_none() {
                    return None;
                }
                let max = state.max.unwrap_or(0);
                let value = LoadFeedback {
                    service: None,
                    current_load: counts.get(name.as_str()).copied().unwrap_or(0),
                    target_load: state.target.unwrap_or(max),
                    max_load: max,
                }
                .to_string();
                (state.annotation.as_deref() != Some(value.as_str())).then(|| (name.clone(), value))
            })
            .collect()
    }

    /// Records that `node` now carries `value` (after a successful patch, before the watch says so).
    pub fn patched(&mut self, node: &str, value: &str) {
        if let Some(state) = self.nodes.get_mut(node) {
            state.annotation = Some(value.to_owned());
        }
    }
}

/// Limits patches: at most one per node every `per_node`, and at most `burst` per `window` overall.
#[derive(Clone, Debug)]
pub struct RateLimit {
    per_node: Duration,
    window: Duration,
    burst: usize,
    last: HashMap<String, Instant>,
    recent: Vec<Instant>,
}

impl RateLimit {
    /// A limiter.
    pub fn new(per_node: Duration, burst: usize, window: Duration) -> RateLimit {
        RateLimit {
            per_node,
            window,
            burst: burst.max(1),
            last: HashMap::new(),
            recent: Vec::new(),
        }
    }

    /// Of `changes`, those that may be patched at `now` (marked as patched); the rest wait.
    pub fn admit(&mut self, changes: Vec<(String, String)>, now: Instant) -> Vec<(String, String)> {
        self.recent
            .retain(|t| now.saturating_duration_since(*t) < self.window);
        let mut out = Vec::new();
        for (node, value) in changes {
            if self.recent.len() >= self.burst {
                break;
            }
            let due = self
                .last
                .get(&node)
                .is_none_or(|t| now.saturating_duration_since(*t) >= self.per_node);
            if due {
                self.last.insert(node.clone(), now);
                self.recent.push(now);
                out.push((node, value));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn node(name: &str, labels: &[(&str, &str)], load: Option<&str>) -> Node {
        serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": name,
                "labels": labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
                "annotations": load.map(|l| BTreeMap::from([(LOAD_ANNOTATION.to_string(), l.to_string())])).unwrap_or_default(),
            }
        }))
        .unwrap()
    }

    fn pod(name: &str, node: Option<&str>) -> PodPlacement {
        PodPlacement {
            key: ("g".into(), name.into()),
            node: node.map(String::from),
        }
    }

    #[test]
    fn counts_and_changes_follow_events() {
        let mut s = NodeLoads::new(LoadConfig {
            default_max: Some(8),
            ..LoadConfig::default()
        });
        s.apply(Event::NodesListed(vec![
            node("a", &[(TARGET_LABEL, "6")], None),
            node(
                "b",
                &[(MAX_LABEL, "4")],
                Some("current-load=0, target-load=4, max-load=4"),
            ),
            node("c", &[(MAX_LABEL, "x")], None),
        ]));
        s.apply(Event::PodsListed(vec![
            pod("p1", Some("a")),
            pod("p2", None),
        ]));
        assert_eq!(
            s.changes(),
            [
                (
                    "a".to_owned(),
                    "current-load=1, target-load=6, max-load=8".to_owned()
                ),
                (
                    "c".to_owned(),
                    "current-load=0, target-load=8, max-load=8".to_owned()
                ),
            ]
        );
        s.patched("a", "current-load=1, target-load=6, max-load=8");
        s.patched("c", "current-load=0, target-load=8, max-load=8");
        assert!(s.changes().is_empty());
        s.apply(Event::PodApplied(pod("p2", Some("b"))));
        s.apply(Event::PodApplied(pod("p1", None))); // finished
        assert_eq!(
            s.changes(),
            [
                (
                    "a".to_owned(),
                    "current-load=0, target-load=6, max-load=8".to_owned()
                ),
                (
                    "b".to_owned(),
                    "current-load=1, target-load=4, max-load=4".to_owned()
                ),
            ]
        );
        s.apply(Event::PodDeleted(("g".into(), "p2".into())));
        s.apply(Event::NodeDeleted("a".into()));
        assert!(s.changes().is_empty());
    }

    #[test]
    fn nodes_without_bounds_are_not_managed() {
        let mut s = NodeLoads::new(LoadConfig::default());
        s.apply(Event::NodeApplied(Box::new(node("a", &[], None))));
        s.apply(Event::PodApplied(pod("p", Some("a"))));
        assert_eq!(s.count("a"), 1);
        assert!(s.changes().is_empty());
    }

    #[test]
    fn the_rate_limit_holds_changes_back() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(Duration::from_secs(5), 2, Duration::from_secs(1));
        let ch = |names: &[&str]| {
            names
                .iter()
                .map(|n| (n.to_string(), "v".to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(r.admit(ch(&["a", "b", "c"]), t0), ch(&["a", "b"]));
        assert_eq!(
            r.admit(ch(&["a", "c"]), t0 + Duration::from_secs(1)),
            ch(&["c"])
        );
        assert_eq!(r.admit(ch(&["a"]), t0 + Duration::from_secs(4)), ch(&[]));
        assert_eq!(r.admit(ch(&["a"]), t0 + Duration::from_secs(5)), ch(&["a"]));
    }
}
