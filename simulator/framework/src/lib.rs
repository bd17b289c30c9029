//! A kube-scheduler scheduling framework around the host: one profile's plugins — wasm guests
//! loaded with [`WasmPlugin`], in-tree plugins emulated by [`intree_plugins`] — run pod by pod
//! through the scheduling and binding cycles as kube-scheduler 1.33 runs them.
//!
//! ```no_run
//! use simulator_framework::{Framework, Options, Scenario, SchedulerConfig};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let scenario = Scenario::from_text(&std::fs::read_to_string("simulator/scenarios/demo.json")?, "demo.json")?;
//! let config = scenario.scheduler_config().ok_or("no schedulerConfig")??;
//! let profile = config.profile(None)?;
//! let mut fw = Framework::new(profile, &scenario, Options::default())?;
//! for index in fw.queue(scenario.pods()) {
//!     let pod = fw.prepare(&scenario.pods()[index])?;
//!     let result = fw.schedule(&pod);
//!     println!("{} -> {:?} {}", result.pod, result.node, result.reason);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! What a cycle does, in order (kube-scheduler's `schedulePod` and binding cycle):
//!
//! 1. PreEnqueue: with `SchedulingGates` enabled, a pod with `spec.schedulingGates` is not
//!    attempted.
//! 2. PreFilter, in plugin order. Skip: that plugin's Filter is not called this cycle.
//!    Unschedulable: the remaining PreFilters run, then the pod is unschedulable on every node.
//!    UnschedulableAndUnresolvable: stop there. Error: the cycle fails. Node sets
//!    (`PreFilterResult.NodeNames`, a wasm guest's `result.node_names`) intersect; an empty
//!    intersection rejects the pod (`node(s) didn't satisfy plugin(s) [A B] simultaneously`), and
//!    nodes outside it are `node(s) didn't satisfy plugin(s) [..]`.
//! 3. Filter on the candidate nodes, starting where the previous cycle stopped and stopping after
//!    `percentageOfNodesToScore` feasible nodes (kube-scheduler's adaptive default: every node below
//!    100 nodes). For each node the plugins run in order until one rejects it. An Error fails the
//!    cycle.
//! 4. No feasible node: PostFilter plugins run (the first Success or UnschedulableAndUnresolvable
//!    stops them) and the pod is unschedulable with kube-scheduler's `0/N nodes are available: …`
//!    message.
//! 5. One feasible node: it is chosen without scoring, as kube-scheduler does.
//! 6. Otherwise PreScore (Skip: that plugin's Score is not called), Score, NormalizeScore, scores
//!    checked to be within 0..=100, weighted and summed. **Tie-break:** kube-scheduler picks at
//!    random among the nodes with the highest total; the simulator picks the one listed first in
//!    the scenario, so runs are reproducible.
//! 7. Reserve (a failure runs Unreserve of every reserve plugin, in reverse order), Permit (Wait:
//!    nobody allows a waiting pod here, so it is rejected when the shortest timeout expires),
//!    PreBind, Bind (the first binder that does not Skip binds; `DefaultBinder` binds), PostBind.
//!    The pod gets `spec.nodeName` and counts on its node for the next cycles.
//!
//! Not emulated: preemption (`DefaultPreemption`), nominated pods, the scheduling queue's retries
//! (each pod gets one attempt, in `PrioritySort` order: higher `spec.priority` first, then scenario
//! order), extenders, and the in-tree plugins [`Profile::not_emulated`] names.
//!
//! Timing: [`Framework::schedule`] is one whole cycle; [`Framework::wasm_plugins`] gives the
//! loaded plugins to time single hooks.

mod config;
mod control_plane;
mod cycle;
mod hooks;
mod scenario;

use std::collections::HashMap;

use intree_plugins::{InTree, InTreePlugin, NodeInfo, PodInfo};
use serde_json::Value;

use simulator_host::{Cluster, LogLine, PodObject, WasmPlugin};

pub use config::{
    ConfigError, Enabled, FrameworkPlugin, KNOWN_IN_TREE, PluginKind, Point, Profile,
    SchedulerConfig, parse_text,
};
pub use control_plane::ControlPlane;
pub use scenario::{Scenario, is_pending, node_name_of, pod_key, priority_of};

/// The node annotation `--track-load-feedback` keeps current:
/// `current-load=N, target-load=N, max-load=N` (the burst load-feedback format).
pub const LOAD_FEEDBACK_ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/load-feedback";

/// Run options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// When a pod is bound to a node with the [`LOAD_FEEDBACK_ANNOTATION`], add 1 to its
    /// `current-load`, as a controller keeping the annotation current would.
    pub track_load_feedback: bool,
    /// The wasm guests' hook deadline and memory cap (the simulator's; production has none).
    pub guest_limits: simulator_host::GuestLimits,
}

/// Setting up the framework failed: the message names the plugin and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError(pub String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

impl From<ConfigError> for SetupError {
    fn from(e: ConfigError) -> Self {
        SetupError(e.0)
    }
}

/// A loaded wasm plugin.
#[derive(Debug)]
pub struct LoadedWasm {
    /// The plugin name in the profile.
    pub name: String,
    /// Its `guestURL`.
    pub guest_url: String,
    /// The plugin.
    pub plugin: WasmPlugin,
}

/// Which implementation runs a plugin at an extension point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    InTree(InTreePlugin),
    Wasm(usize),
    Framework(FrameworkPlugin),
}

#[derive(Debug, Clone)]
struct Slot {
    name: String,
    imp: Impl,
}

/// A pod ready for its cycle: decoded once for the in-tree plugins and encoded once for guests.
#[derive(Debug, Clone)]
pub struct PreparedPod {
    /// `namespace/name`.
    pub key: String,
    /// The pod's JSON (with `metadata.namespace` and `metadata.uid` filled in when absent).
    pub json: Value,
    /// What guests receive.
    pub object: PodObject,
    /// What the in-tree plugins read.
    pub info: PodInfo,
    /// Its index in [`Framework::pods`] when prepared with [`Framework::prepare_at`]: binding it
    /// sets that pod's `spec.nodeName`.
    pub index: Option<usize>,
}

/// The outcome of a pod's cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Bound to a node.
    Scheduled,
    /// No node fits (or a plugin rejected the pod after choosing one).
    Unschedulable,
    /// A plugin failed (status Error), or the real scheduler would have crashed.
    Error,
}

impl Outcome {
    /// `scheduled`, `unschedulable` or `error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Scheduled => "scheduled",
            Outcome::Unschedulable => "unschedulable",
            Outcome::Error => "error",
        }
    }
}

/// What one plugin said about one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePlugin {
    /// The plugin.
    pub plugin: String,
    /// Its Filter status code, if it filtered this node.
    pub code: Option<i32>,
    /// Its Filter status reason ("" when none).
    pub reason: String,
    /// Its raw Score, if it scored this node.
    pub score: Option<i64>,
    /// The score after NormalizeScore (before the weight).
    pub normalized: Option<i64>,
    /// Its score weight, if it scored this node.
    pub weight: Option<i64>,
}

/// One node's evaluation in a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEvaluation {
    /// The node.
    pub node: String,
    /// Each plugin that filtered or scored it, in plugin order (Filter plugins first).
    pub plugins: Vec<NodePlugin>,
    /// Whether every Filter plugin accepted it.
    pub feasible: bool,
    /// The weighted sum of its normalized scores, when nodes were scored.
    pub total: Option<i64>,
}

/// A status at a pod-level extension point (PreFilter, PostFilter, PreScore, Reserve, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageStatus {
    /// The extension point (`Unreserve` is reported as [`Point::Reserve`] with `unreserve: true`).
    pub point: Point,
    /// The plugin.
    pub plugin: String,
    /// Its status code.
    pub code: i32,
    /// Its reason.
    pub reason: String,
    /// PreFilter: the node names it limited the cycle to.
    pub node_names: Option<Vec<String>>,
    /// True for Unreserve calls.
    pub unreserve: bool,
    /// Whether the plugin is a wasm guest.
    pub wasm: bool,
    /// For a wasm guest: whether it exports the hook (else the host answered with its default,
    /// Success). True for other plugins.
    pub exported: bool,
}

/// Everything a pod's cycle decided.
#[derive(Debug, Clone)]
pub struct CycleResult {
    /// `namespace/name`.
    pub pod: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The chosen node (scheduled), else `None`.
    pub node: Option<String>,
    /// Why: `Successfully assigned ns/p to node`, kube-scheduler's `0/N nodes are available: …`,
    /// or the error.
    pub reason: String,
    /// The nodes the cycle evaluated, in scenario order.
    pub nodes: Vec<NodeEvaluation>,
    /// Pod-level statuses, in call order.
    pub stages: Vec<StageStatus>,
    /// The node a PostFilter plugin nominated (mode Override).
    pub nominated_node: Option<String>,
    /// How many nodes passed Filter.
    pub feasible_nodes: usize,
    /// klog lines the guests printed during the cycle, with the plugin name.
    pub logs: Vec<(String, LogLine)>,
}

/// One profile's plugins over a cluster that changes as pods are bound.
#[derive(Debug)]
pub struct Framework {
    profile: Profile,
    in_tree: InTree,
    wasm: Vec<LoadedWasm>,
    points: HashMap<Point, Vec<Slot>>,
    weights: HashMap<String, i64>,
    options: Options,
    nodes: Vec<Value>,
    /// The scenario's pods; binding sets `spec.nodeName`.
    pods: Vec<Value>,
    node_infos: Vec<NodeInfo>,
    node_index: HashMap<String, usize>,
    /// kube-scheduler's node list order (nodes interleaved across zones).
    tree_order: Vec<usize>,
    cluster: Cluster,
    next_start_node_index: usize,
    uid_counter: usize,
    /// Admission and controllers around the scheduler ([`Framework::set_control_plane`]).
    control_plane: Option<Box<dyn ControlPlane>>,
}

fn node_zone(node: &Value) -> String {
    let label = |k: &str| {
        node.pointer(&format!("/metadata/labels/{}", k.replace('/', "~1")))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    // nodeTree's zone key: region and zone joined with ":\x00:".
    format!(
        "{}:\u{0}:{}",
        label("topology.kubernetes.io/region"),
        label("topology.kubernetes.io/zone")
    )
}

/// kube-scheduler's `nodeTree.list()`: zones in order of first appearance, one node from each
/// zone in turn.
fn tree_order(nodes: &[Value]) -> Vec<usize> {
    let mut zones: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let z = node_zone(n);
        match zones.iter_mut().find(|(k, _)| *k == z) {
            Some((_, v)) => v.push(i),
            None => zones.push((z, vec![i])),
        }
    }
    let mut out = Vec::with_capacity(nodes.len());
    let mut round = 0;
    while out.len() < nodes.len() {
        for (_, v) in &zones {
            if let Some(&i) = v.get(round) {
                out.push(i);
            }
        }
        round += 1;
    }
    out
}

impl Framework {
    /// Loads the profile's wasm plugins (fetching each `guestURL`, relative `file://` paths from
    /// the current directory, as upstream), calls their `EventsToRegister` as the framework does
    /// at start, and takes the scenario's nodes and bound pods as the cluster.
    pub fn new(
        profile: Profile,
        scenario: &Scenario,
        options: Options,
    ) -> Result<Framework, SetupError> {
        let src = &scenario.source;
        let nodes: Vec<Value> = scenario.nodes().to_vec();
        let mut cluster = Cluster::new();
        for n in &nodes {
            cluster.add_node_json(n).map_err(|e| {
                SetupError(format!(
                    "{src}: node {:?}: {e}",
                    n.pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ))
            })?;
        }
        let mut node_infos = Vec::with_capacity(nodes.len());
        let mut node_index = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            let info = NodeInfo::from_json(n).map_err(|e| SetupError(format!("{src}: {e}")))?;
            if node_index.insert(info.name().to_string(), i).is_some() {
                return Err(SetupError(format!(
                    "{src}: two nodes are named {:?}",
                    info.name()
                )));
            }
            node_infos.push(info);
        }
        let mut pod_keys = std::collections::HashSet::new();
        for pod in scenario.pods() {
            let key = pod_key(pod);
            if !pod_keys.insert(key.clone()) {
                return Err(SetupError(format!("{src}: two pods are named {key:?}")));
            }
        }
        for pod in scenario.pods() {
            let bound = node_name_of(pod);
            if bound.is_empty() || !is_counted(pod) {
                continue;
            }
            let info = PodInfo::from_json(pod).map_err(|e| SetupError(format!("{src}: {e}")))?;
            if let Some(&i) = node_index.get(bound) {
                node_infos[i].add_pod(&info);
            }
        }

        let mut wasm = Vec::new();
        for (name, args) in &profile.wasm {
            let plugin =
                WasmPlugin::load_with_limits(name, args, cluster.clone(), options.guest_limits)
                    .map_err(|e| {
                        SetupError(format!(
                            "{}: plugin {name:?} (guestURL {:?}): {}",
                            profile.source,
                            args.guest_url,
                            e.message()
                        ))
                    })?;
            plugin.events_to_register().map_err(|e| {
                SetupError(format!(
                    "{}: plugin {name:?}: EventsToRegister: {e} (the real kube-scheduler would not start)",
                    profile.source
                ))
            })?;
            wasm.push(LoadedWasm {
                name: name.clone(),
                guest_url: args.guest_url.clone(),
                plugin,
            });
        }

        let mut fw = Framework {
            in_tree: profile.in_tree.clone(),
            tree_order: tree_order(&nodes),
            profile,
            wasm,
            points: HashMap::new(),
            weights: HashMap::new(),
            options,
            nodes,
            pods: scenario.pods().to_vec(),
            node_infos,
            node_index,
            cluster,
            next_start_node_index: 0,
            uid_counter: 0,
            control_plane: None,
        };
        for point in Point::ALL {
            let names = fw.profile.plugins_at(point, |n, p| fw.implements(n, p));
            let slots: Vec<Slot> = names
                .into_iter()
                .filter_map(|name| fw.impl_of(&name).map(|imp| Slot { name, imp }))
                .collect();
            for s in &slots {
                if point == Point::Score {
                    let w = fw.profile.weight(&s.name);
                    fw.weights.insert(s.name.clone(), w);
                }
            }
            fw.points.insert(point, slots);
        }
        Ok(fw)
    }

    fn impl_of(&self, name: &str) -> Option<Impl> {
        match self.profile.kind(name)? {
            PluginKind::InTree(p) => Some(Impl::InTree(*p)),
            PluginKind::Framework(p) => Some(Impl::Framework(*p)),
            PluginKind::Wasm(_) => self
                .wasm
                .iter()
                .position(|w| w.name == name)
                .map(Impl::Wasm),
            PluginKind::NotEmulated => None,
        }
    }

    /// Whether the plugin `name` implements `point` (for wasm plugins: whether the host exposes
    /// that interface, docs/abi.md §2.4).
    pub fn implements(&self, name: &str, point: Point) -> bool {
        self.impl_of(name)
            .is_some_and(|imp| self.hooks(imp).implements(point))
    }

    /// The resolved profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The loaded wasm plugins, in multiPoint order (for timing single hooks).
    pub fn wasm_plugins(&self) -> &[LoadedWasm] {
        &self.wasm
    }

    /// The plugins that run at `point`, in order.
    pub fn plugins_at(&self, point: Point) -> Vec<&str> {
        self.points
            .get(&point)
            .map(|v| v.iter().map(|s| s.name.as_str()).collect())
            .unwrap_or_default()
    }

    /// The score weight of a Score plugin.
    pub fn weight(&self, plugin: &str) -> i64 {
        self.weights.get(plugin).copied().unwrap_or(1)
    }

    /// The nodes as they are now (with `--track-load-feedback` annotations updated).
    pub fn nodes(&self) -> &[Value] {
        &self.nodes
    }

    /// The pods to schedule, as indices into `pods`: pending pods (no `spec.nodeName`, not
    /// terminal), in queue order — with `PrioritySort` enabled, higher `spec.priority` first, then
    /// the order of `pods`.
    pub fn queue(&self, pods: &[Value]) -> Vec<usize> {
        let mut q: Vec<usize> = (0..pods.len()).filter(|&i| is_pending(&pods[i])).collect();
        if self
            .plugins_at(Point::QueueSort)
            .contains(&FrameworkPlugin::PrioritySort.name())
        {
            q.sort_by_key(|&i| std::cmp::Reverse(priority_of(&pods[i])));
        }
        q
    }

    /// The scenario's pods, bound ones with the `spec.nodeName` their cycle gave them.
    pub fn pods(&self) -> &[Value] {
        &self.pods
    }

    /// The pending pods of [`Framework::pods`] in queue order (see [`Framework::queue`]).
    pub fn pending(&self) -> Vec<usize> {
        self.queue(&self.pods)
    }

    /// Decodes pod `index` of [`Framework::pods`] for its cycle (see [`Framework::prepare`]);
    /// when the cycle binds it, its `spec.nodeName` is set there.
    ///
    /// # Errors
    ///
    /// No such pod, or the pod cannot be decoded.
    pub fn prepare_at(&mut self, index: usize) -> Result<PreparedPod, SetupError> {
        let pod = self
            .pods
            .get(index)
            .cloned()
            .ok_or_else(|| SetupError(format!("no pod at index {index}")))?;
        let mut prepared = self.prepare(&pod)?;
        prepared.index = Some(index);
        Ok(prepared)
    }

    /// Decodes a pod for its cycle. A pod without `metadata.namespace` gets `default`, and one
    /// without `metadata.uid` a made-up one (the instance pool keys binding cycles by UID).
    pub fn prepare(&mut self, pod: &Value) -> Result<PreparedPod, SetupError> {
        let mut json = pod.clone();
        let key = pod_key(&json);
        if let Some(meta) = json.get_mut("metadata").and_then(Value::as_object_mut) {
            if meta
                .get("namespace")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                meta.insert("namespace".into(), Value::from("default"));
            }
            if meta
                .get("uid")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                self.uid_counter += 1;
                meta.insert(
                    "uid".into(),
                    Value::from(format!("simulator-uid-{}", self.uid_counter)),
                );
            }
        }
        let object =
            PodObject::from_json(&json).map_err(|e| SetupError(format!("pod {key}: {e}")))?;
        let info = PodInfo::from_json(&json).map_err(|e| SetupError(e.message().to_string()))?;
        Ok(PreparedPod {
            key,
            json,
            object,
            info,
            index: None,
        })
    }

    fn bind_to(&mut self, pod: &PreparedPod, node: &str) {
        if let Some(spec) = pod
            .index
            .and_then(|i| self.pods.get_mut(i))
            .and_then(Value::as_object_mut)
            .map(|obj| {
                obj.entry("spec")
                    .or_insert_with(|| Value::Object(Default::default()))
            })
            .and_then(Value::as_object_mut)
        {
            spec.insert("nodeName".into(), Value::from(node));
        }
        let Some(&i) = self.node_index.get(node) else {
            return;
        };
        self.node_infos[i].add_pod(&pod.info);
        if !self.options.track_load_feedback {
            return;
        }
        let Some(text) = self.nodes[i]
            .pointer(&format!(
                "/metadata/annotations/{}",
                LOAD_FEEDBACK_ANNOTATION.replace('/', "~1")
            ))
            .and_then(Value::as_str)
        else {
            return;
        };
        let Ok(mut load) = text.parse::<fleet_autoscaling::burst::LoadFeedback>() else {
            return;
        };
        load.current_load = load.current_load.saturating_add(1);
        if let Some(ann) = self.nodes[i]
            .pointer_mut("/metadata/annotations")
            .and_then(Value::as_object_mut)
        {
            ann.insert(
                LOAD_FEEDBACK_ANNOTATION.into(),
                Value::from(load.to_string()),
            );
        }
        self.nodes_changed(&[i]);
    }
}

/// Whether a bound pod uses resources on its node (not terminal).
fn is_counted(pod: &Value) -> bool {
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or_default();
    phase != "Succeeded" && phase != "Failed"
}
