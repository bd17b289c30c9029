//! Test plugins natively, with plain `cargo test`: a scripted fake host and object builders.
//!
//! Off wasm32 the SDK's host imports are answered by a per-thread fake host with the real host's
//! semantics (buffer protocol, NUL lists, klog severity rules). A test sets the inputs, calls the
//! guest's generated export functions (`exports::filter()` …) exactly as the host would, and reads
//! the outputs and per-import call counts.
//!
//! ```
//! use common::prelude::*;
//! use common::testing::{FakeHost, PodBuilder};
//!
//! #[derive(Default)]
//! struct OnlyEvenNodes;
//!
//! impl Filter for OnlyEvenNodes {
//!     fn filter(&mut self, _: &mut CycleState, _: &Pod, node: &NodeInfo) -> Result<(), Status> {
//!         let name = node.name();
//!         match name.bytes().last() {
//!             Some(d) if d.is_ascii_digit() && (d - b'0') % 2 == 0 => Ok(()),
//!             _ => Err(Status::unschedulable(format!("{name} is odd"))),
//!         }
//!     }
//! }
//!
//! common::export!(OnlyEvenNodes: filter);
//!
//! fn main() {
//!     let host = FakeHost::new();
//!     host.pod(PodBuilder::new("p").build());
//!     host.node_name("node-2");
//!     assert_eq!(exports::filter(), 0);
//!     host.node_name("node-3");
//!     assert_eq!(exports::filter(), 2);
//!     assert_eq!(host.reason().as_deref(), Some("node-3 is odd"));
//! }
//! ```

pub(crate) mod fake;

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::proto::encode::Writer;

/// One klog line the guest sent and the host would print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    /// 0 info, 2 error (the host drops the others).
    pub severity: i32,
    /// The message.
    pub message: String,
    /// Keys and values, alternating, as the host splits them.
    pub kvs: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Outputs {
    status_reason: Option<String>,
    node_names: Option<Vec<String>>,
    nominated_node_name: Option<String>,
    normalized_score_list: Option<String>,
    cluster_events: Vec<(u32, u32)>,
    events: Vec<String>,
    logs: Vec<Log>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pod: Vec<u8>,
    target_pod: Vec<u8>,
    node_name: String,
    nodes: Vec<(String, Vec<u8>)>,
    filtered_node_list: String,
    node_to_status_map: String,
    node_score_list: String,
    image_states: Vec<(String, String)>,
    config: String,
    log_severity: i32,
    waiting_pods: Vec<String>,
    calls: BTreeMap<&'static str, u64>,
    out: Outputs,
}

impl State {
    fn count(&mut self, import: &'static str) {
        *self.calls.entry(import).or_default() += 1;
    }

    fn node_list(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.message(1, |_| {});
        for (_, node) in &self.nodes {
            w.bytes(2, node);
        }
        w.finish()
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

/// A handle on this thread's fake host. Creating one resets the host (inputs, outputs, counts) and
/// the SDK's cached klog severity; the guest's own state is reset with `exports::reset()`.
#[derive(Debug)]
pub struct FakeHost(());

impl Default for FakeHost {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeHost {
    /// Resets this thread's fake host and returns a handle on it.
    pub fn new() -> Self {
        with_state(|s| *s = State::default());
        crate::klog::forget_severity();
        FakeHost(())
    }

    /// Sets the pod being scheduled (`currentPod`), protobuf bytes (see [`PodBuilder`]).
    pub fn pod(&self, bytes: Vec<u8>) -> &Self {
        with_state(|s| s.pod = bytes);
        self
    }

    /// Sets the pod added or removed (`targetPod`).
    pub fn target_pod(&self, bytes: Vec<u8>) -> &Self {
        with_state(|s| s.target_pod = bytes);
        self
    }

    /// Sets the node of the next call (`currentNodeName`).
    pub fn node_name(&self, name: &str) -> &Self {
        with_state(|s| s.node_name = name.to_owned());
        self
    }

    /// Adds a node to the snapshot (`k8s.io/api.node`, `nodeList`), protobuf bytes (see
    /// [`NodeBuilder`]).
    pub fn add_node(&self, name: &str, bytes: Vec<u8>) -> &Self {
        with_state(|s| s.nodes.push((name.to_owned(), bytes)));
        self
    }

    /// Sets PreScore's node names (`filteredNodeList`).
    pub fn filtered_nodes(&self, names: &[&str]) -> &Self {
        let json = serde_json::to_string(names).unwrap_or_default();
        with_state(|s| s.filtered_node_list = json);
        self
    }

    /// Sets PostFilter's node statuses (`nodeToStatusMap`).
    pub fn node_statuses(&self, statuses: &[(&str, i32)]) -> &Self {
        let map: BTreeMap<_, _> = statuses.iter().copied().collect();
        let json = serde_json::to_string(&map).unwrap_or_default();
        with_state(|s| s.node_to_status_map = json);
        self
    }

    /// Sets NormalizeScore's input scores (`nodeScoreList`).
    pub fn node_scores(&self, scores: &[(&str, i64)]) -> &Self {
        let map: BTreeMap<_, _> = scores.iter().copied().collect();
        let json = serde_json::to_string(&map).unwrap_or_default();
        with_state(|s| s.node_score_list = json);
        self
    }

    /// Sets one node's image states (`nodeImageStates`), raw JSON.
    pub fn image_states(&self, node: &str, json: &str) -> &Self {
        with_state(|s| s.image_states.push((node.to_owned(), json.to_owned())));
        self
    }

    /// Sets the plugin's `guestConfig`.
    pub fn config(&self, config: &str) -> &Self {
        with_state(|s| s.config = config.to_owned());
        self
    }

    /// Sets the plugin's `logSeverity`.
    pub fn log_severity(&self, severity: i32) -> &Self {
        with_state(|s| s.log_severity = severity);
        crate::klog::forget_severity();
        self
    }

    /// Adds a waiting pod, for `reject_waiting_pod`.
    pub fn waiting_pod(&self, uid: &str) -> &Self {
        with_state(|s| s.waiting_pods.push(uid.to_owned()));
        self
    }

    /// Clears the per-call results (reason, node names, …), as the real host's fresh per-call
    /// context does. Logs, events and call counts are kept.
    pub fn new_call(&self) -> &Self {
        with_state(|s| {
            let logs = std::mem::take(&mut s.out.logs);
            let events = std::mem::take(&mut s.out.events);
            s.out = Outputs {
                logs,
                events,
                ..Outputs::default()
            };
        });
        self
    }

    /// The reason the guest sent in this call, if any.
    pub fn reason(&self) -> Option<String> {
        with_state(|s| s.out.status_reason.clone())
    }

    /// PreFilter's node set as the host reads it (`None`: all nodes).
    pub fn node_names(&self) -> Option<Vec<String>> {
        with_state(|s| s.out.node_names.clone())
    }

    /// PostFilter's nominated node, if sent.
    pub fn nominated_node_name(&self) -> Option<String> {
        with_state(|s| s.out.nominated_node_name.clone())
    }

    /// NormalizeScore's JSON result, if sent.
    pub fn normalized_score_list(&self) -> Option<String> {
        with_state(|s| s.out.normalized_score_list.clone())
    }

    /// The cluster events sent by `enqueue`: (resource index, action bits).
    pub fn cluster_events(&self) -> Vec<(u32, u32)> {
        with_state(|s| s.out.cluster_events.clone())
    }

    /// Kubernetes events recorded (JSON, one per `eventf`).
    pub fn events(&self) -> Vec<String> {
        with_state(|s| s.out.events.clone())
    }

    /// The klog lines the host would have printed so far.
    pub fn logs(&self) -> Vec<Log> {
        with_state(|s| s.out.logs.clone())
    }

    /// How many times the guest called `import` (e.g. `"k8s.io/scheduler.currentPod"`).
    pub fn calls(&self, import: &str) -> u64 {
        with_state(|s| s.calls.get(import).copied().unwrap_or(0))
    }

    /// Forgets the call counts.
    pub fn reset_calls(&self) -> &Self {
        with_state(|s| s.calls.clear());
        self
    }
}

/// Splits a `score` export's result into (score, status code), as the host does.
pub fn unpack_score(v: i64) -> (i32, i32) {
    ((v >> 32) as i32, v as i32)
}

/// Splits a `permit` export's result into (status code, timeout in ms), as the host does.
pub fn unpack_permit(v: i64) -> (i32, u32) {
    ((v >> 32) as i32, v as u32)
}

/// Splits a `postfilter` export's result into (nominating mode, status code), as the host does.
pub fn unpack_postfilter(v: i64) -> (i32, i32) {
    ((v >> 32) as i32, v as i32)
}

fn object_meta(
    m: &mut Writer,
    name: &str,
    namespace: &str,
    uid: &str,
    labels: &[(String, String)],
    annotations: &[(String, String)],
) {
    m.string(1, name)
        .string(2, "")
        .string(3, namespace)
        .string(4, "")
        .string(5, uid)
        .string(6, "");
    m.varint(7, 0);
    m.message(8, |_| {});
    let mut labels = labels.to_vec();
    labels.sort();
    for (k, v) in &labels {
        m.string_entry(11, k, v);
    }
    let mut annotations = annotations.to_vec();
    annotations.sort();
    for (k, v) in &annotations {
        m.string_entry(12, k, v);
    }
}

/// Builds a `v1.Pod` in protobuf, encoded the way the host's gogo marshaller does (ascending
/// fields, sorted map keys, empty non-pointer fields present).
#[derive(Clone, Debug, Default)]
pub struct PodBuilder {
    name: String,
    namespace: String,
    uid: String,
    labels: Vec<(String, String)>,
    annotations: Vec<(String, String)>,
    node_name: String,
    node_selector: Vec<(String, String)>,
    requests: Vec<(String, String)>,
    priority: Option<i32>,
}

impl PodBuilder {
    /// A pod named `name` in namespace `default`, with uid `<name>-uid`.
    pub fn new(name: &str) -> Self {
        PodBuilder {
            name: name.to_owned(),
            namespace: "default".to_owned(),
            uid: format!("{name}-uid"),
            ..Self::default()
        }
    }
    /// Sets the namespace.
    pub fn namespace(mut self, ns: &str) -> Self {
        self.namespace = ns.to_owned();
        self
    }
    /// Sets the uid.
    pub fn uid(mut self, uid: &str) -> Self {
        self.uid = uid.to_owned();
        self
    }
    /// Adds a label.
    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.labels.push((k.to_owned(), v.to_owned()));
        self
    }
    /// Adds an annotation.
    pub fn annotation(mut self, k: &str, v: &str) -> Self {
        self.annotations.push((k.to_owned(), v.to_owned()));
        self
    }
    /// Sets `spec.nodeName`.
    pub fn node_name(mut self, n: &str) -> Self {
        self.node_name = n.to_owned();
        self
    }
    /// Adds a `spec.nodeSelector` entry.
    pub fn node_selector(mut self, k: &str, v: &str) -> Self {
        self.node_selector.push((k.to_owned(), v.to_owned()));
        self
    }
    /// Adds a resource request to the pod's single container.
    pub fn request(mut self, resource: &str, quantity: &str) -> Self {
        self.requests
            .push((resource.to_owned(), quantity.to_owned()));
        self
    }
    /// Sets `spec.priority`.
    pub fn priority(mut self, p: i32) -> Self {
        self.priority = Some(p);
        self
    }
    /// The encoded pod.
    pub fn build(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.message(1, |m| {
            object_meta(
                m,
                &self.name,
                &self.namespace,
                &self.uid,
                &self.labels,
                &self.annotations,
            )
        });
        w.message(2, |s| {
            s.message(2, |c| {
                c.string(1, "app").string(2, "registry.k8s.io/pause:3.9");
                c.message(8, |r| {
                    let mut requests = self.requests.clone();
                    requests.sort();
                    for (k, q) in &requests {
                        r.quantity_entry(2, k, q);
                    }
                });
            });
            s.string(3, "Always").string(6, "ClusterFirst");
            let mut selector = self.node_selector.clone();
            selector.sort();
            for (k, v) in &selector {
                s.string_entry(7, k, v);
            }
            s.string(8, "").string(9, "").string(10, &self.node_name);
            s.string(19, "default-scheduler");
            if let Some(p) = self.priority {
                s.int32(25, p);
            }
        });
        w.message(3, |st| {
            st.string(1, "Pending");
        });
        w.finish()
    }
}

/// Builds a `v1.Node` in protobuf, encoded the way the host's gogo marshaller does.
#[derive(Clone, Debug, Default)]
pub struct NodeBuilder {
    name: String,
    labels: Vec<(String, String)>,
    annotations: Vec<(String, String)>,
    unschedulable: bool,
    taints: Vec<(String, String, String)>,
    allocatable: Vec<(String, String)>,
}

impl NodeBuilder {
    /// A node named `name`.
    pub fn new(name: &str) -> Self {
        NodeBuilder {
            name: name.to_owned(),
            ..Self::default()
        }
    }
    /// Adds a label.
    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.labels.push((k.to_owned(), v.to_owned()));
        self
    }
    /// Adds an annotation.
    pub fn annotation(mut self, k: &str, v: &str) -> Self {
        self.annotations.push((k.to_owned(), v.to_owned()));
        self
    }
    /// Cordons the node.
    pub fn unschedulable(mut self) -> Self {
        self.unschedulable = true;
        self
    }
    /// Adds a taint.
    pub fn taint(mut self, key: &str, value: &str, effect: &str) -> Self {
        self.taints
            .push((key.to_owned(), value.to_owned(), effect.to_owned()));
        self
    }
    /// Sets an allocatable (and capacity) resource.
    pub fn allocatable(mut self, resource: &str, quantity: &str) -> Self {
        self.allocatable
            .push((resource.to_owned(), quantity.to_owned()));
        self
    }
    /// The encoded node.
    pub fn build(&self) -> Vec<u8> {
        let mut w = Writer::new();
        let uid = format!("{}-uid", self.name);
        w.message(1, |m| {
            object_meta(m, &self.name, "", &uid, &self.labels, &self.annotations)
        });
        w.message(2, |s| {
            s.string(1, "")
                .string(2, "")
                .string(3, "")
                .bool(4, self.unschedulable);
            for (k, v, e) in &self.taints {
                s.message(5, |t| {
                    t.string(1, k).string(2, v).string(3, e);
                });
            }
        });
        w.message(3, |st| {
            let mut alloc = self.allocatable.clone();
            alloc.sort();
            for field in [1, 2] {
                for (k, q) in &alloc {
                    st.quantity_entry(field, k, q);
                }
            }
            st.string(3, "Running");
        });
        w.finish()
    }
}
