//! The cluster's control plane around the scheduler, for what a scenario cannot hold: a mutating
//! admission webhook that changes each pod as it is created, and controllers that react to
//! bindings (e.g. keeping a node annotation current). `simulator run --fleets` plugs in
//! fleet-context's, the code the cluster runs.

use intree_plugins::PodInfo;
use serde_json::Value;
use simulator_host::PodObject;

use crate::{Framework, PreparedPod};

/// What happens to pods and nodes outside the scheduler while a scenario runs.
pub trait ControlPlane: std::fmt::Debug {
    /// Called once when plugged in, with the scenario's pods and the cluster's nodes: returns the
    /// indices of the nodes it changed (e.g. loads computed from the pods already bound).
    fn start(&mut self, pods: &[Value], nodes: &mut [Value]) -> Vec<usize>;
    /// Mutates `pod` as a mutating admission webhook would when the pod is created; in the
    /// simulator that is the start of its scheduling cycle, so each pod sees the state of its
    /// moment.
    fn admit(&mut self, pod: &mut Value);
    /// `pod` (as admitted, `spec.nodeName` set) was bound: returns the indices of the nodes it
    /// changed.
    fn bound(&mut self, pod: &Value, nodes: &mut [Value]) -> Vec<usize>;
}

impl Framework {
    /// Plugs in a control plane (see [`ControlPlane`]); the nodes it changes at start are the
    /// cluster's from then on.
    pub fn set_control_plane(&mut self, mut control_plane: Box<dyn ControlPlane>) {
        let changed = control_plane.start(&self.pods, &mut self.nodes);
        self.control_plane = Some(control_plane);
        self.nodes_changed(&changed);
    }

    /// The pod as the control plane admits it, when that changes it; its labels and annotations
    /// are also written to the scenario's pod (what `--output` shows, as the cluster would hold it).
    pub(crate) fn admit(&mut self, pod: &PreparedPod) -> Option<PreparedPod> {
        let control_plane = self.control_plane.as_mut()?;
        let mut json = pod.json.clone();
        control_plane.admit(&mut json);
        if json == pod.json {
            return None;
        }
        // A webhook's answer that does not decode is refused by the API server: the pod is created
        // as it was.
        let object = PodObject::from_json(&json).ok()?;
        let info = PodInfo::from_json(&json).ok()?;
        if let Some(stored) = pod
            .index
            .and_then(|i| self.pods.get_mut(i))
            .and_then(|p| p.get_mut("metadata"))
            .and_then(Value::as_object_mut)
        {
            for key in ["labels", "annotations"] {
                if let Some(v) = json.pointer(&format!("/metadata/{key}")) {
                    stored.insert(key.into(), v.clone());
                }
            }
        }
        Some(PreparedPod {
            key: pod.key.clone(),
            json,
            object,
            info,
            index: pod.index,
        })
    }

    /// Tells the control plane that `pod` was bound to `node`.
    pub(crate) fn control_plane_bound(&mut self, pod: &PreparedPod, node: &str) {
        let Some(control_plane) = self.control_plane.as_mut() else {
            return;
        };
        let mut json = pod.json.clone();
        if let Some(obj) = json.as_object_mut() {
            let spec = obj
                .entry("spec")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(spec) = spec.as_object_mut() {
                spec.insert("nodeName".into(), Value::from(node));
            }
        }
        let changed = control_plane.bound(&json, &mut self.nodes);
        self.nodes_changed(&changed);
    }

    /// Gives the guests the nodes at `changed` as they are now.
    pub(crate) fn nodes_changed(&mut self, changed: &[usize]) {
        let mut any = false;
        for &i in changed {
            if let Some(node) = self.nodes.get(i) {
                any |= self.cluster.add_node_json(node).is_ok();
            }
        }
        if any {
            for w in &self.wasm {
                w.plugin.set_cluster(self.cluster.clone());
            }
        }
    }
}
