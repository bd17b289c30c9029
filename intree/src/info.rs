//! [`PodInfo`] and [`NodeInfo`]: pods and nodes read from JSON once, with everything the plugins
//! need precomputed (the cycle state kube-scheduler keeps between PreFilter/PreScore and
//! Filter/Score).

use serde_json::Value;
use std::collections::BTreeMap;

use crate::Error;
use crate::api;
use crate::resources::{self, Options, ResourceList, Resources};
use crate::selector::{NodeView, PreferredTerms, RequiredSelector};

/// The name of a JSON object for error messages: `namespace/name`, `name`, or `<unnamed>`.
fn object_name(value: &Value) -> String {
    let meta = value.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>");
    match meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
    {
        Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
        _ => name.to_owned(),
    }
}

/// A pod, parsed once, with its requests and node constraints precomputed.
#[derive(Debug, Clone)]
pub struct PodInfo {
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) node_name: String,
    pub(crate) phase: String,
    pub(crate) tolerations: Vec<api::Toleration>,
    /// `spec.nodeSelector`; `None` when absent (Go's nil map).
    pub(crate) node_selector: Option<BTreeMap<String, String>>,
    /// The raw required node affinity, kept for PreFilter's `metadata.name` analysis.
    pub(crate) required_raw: Option<api::NodeSelector>,
    pub(crate) required: Option<RequiredSelector>,
    /// `None` when the pod has no preferred terms (Go's nil slice); `Some(Err)` on a parse error.
    pub(crate) preferred: Option<Result<PreferredTerms, String>>,
    /// `PodRequests` without status and without defaults: NodeResourcesFit's PreFilter.
    pub(crate) requests: ResourceList,
    /// `PodRequests` with in-place resize status: what the pod holds on its node, and what
    /// NodeResourcesBalancedAllocation scores.
    pub(crate) effective_requests: ResourceList,
    /// As `effective_requests`, with 100m CPU / 200Mi memory for containers that request none:
    /// what the pod counts for on its node when nodes are scored (`NonZeroRequested`).
    pub(crate) non_zero_requests: ResourceList,
    /// As `requests`, with 100m CPU / 200Mi memory for containers that request none: what
    /// NodeResourcesFit scores (its scorer does not read in-place resize status).
    pub(crate) fit_score_requests: ResourceList,
}

impl PodInfo {
    /// Reads a pod from its JSON (`v1.Pod`).
    ///
    /// # Errors
    ///
    /// When a field has the wrong JSON type or a quantity does not parse; the message names the
    /// pod.
    pub fn from_json(pod: &Value) -> Result<PodInfo, Error> {
        let parsed = api::Pod::deserialize_value(pod)
            .map_err(|e| Error::new(format!("pod {}: {e}", object_name(pod))))?;
        Ok(PodInfo::from_api(parsed))
    }

    fn from_api(pod: api::Pod) -> PodInfo {
        let node_affinity = pod
            .spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref());
        let required_raw = node_affinity.and_then(|na| {
            na.required_during_scheduling_ignored_during_execution
                .clone()
        });
        let required = required_raw.as_ref().map(|s| {
            RequiredSelector::parse(
                s,
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
            )
        });
        let preferred = node_affinity
            .and_then(|na| {
                na.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .map(|terms| {
                PreferredTerms::parse(
                    terms,
                    "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution",
                )
            });
        let requests = resources::pod_requests(
            &pod,
            Options {
                use_status: false,
                non_missing: false,
            },
        );
        let effective_requests = resources::pod_requests(
            &pod,
            Options {
                use_status: true,
                non_missing: false,
            },
        );
        let non_zero_requests = resources::pod_requests(
            &pod,
            Options {
                use_status: true,
                non_missing: true,
            },
        );
        let fit_score_requests = resources::pod_requests(
            &pod,
            Options {
                use_status: false,
                non_missing: true,
            },
        );
        PodInfo {
            name: pod.metadata.name,
            namespace: pod.metadata.namespace,
            node_name: pod.spec.node_name,
            phase: pod.status.phase,
            tolerations: pod.spec.tolerations,
            node_selector: pod.spec.node_selector,
            required_raw,
            required,
            preferred,
            requests,
            effective_requests,
            non_zero_requests,
            fit_score_requests,
        }
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// `spec.nodeName`: the node the pod is bound (or asks to be bound) to; empty if none.
    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    /// Whether the pod is in phase `Succeeded` or `Failed`. kube-scheduler's cache never holds such
    /// pods, so they take no room on their node.
    pub fn is_terminal(&self) -> bool {
        self.phase == "Succeeded" || self.phase == "Failed"
    }

    /// The pod's aggregated requests as NodeResourcesFit's PreFilter computes them
    /// (`resourcehelper.PodRequests`: containers, init containers and sidecars, overhead).
    pub fn requests(&self) -> &ResourceList {
        &self.requests
    }

    /// The requests NodeResourcesFit's Filter checks, as `framework.Resource` (CPU in millicores,
    /// negative values as zero).
    pub fn fit_requests(&self) -> Resources {
        Resources::max_of_list(&self.requests)
    }

    /// What the pod takes from its node: its requests (with in-place resize status) as
    /// `framework.Resource`, plus the non-zero CPU (millicores) and memory (bytes) used by scoring.
    pub fn node_usage(&self) -> (Resources, i64, i64) {
        let mut r = Resources::default();
        r.add_list(&self.effective_requests);
        r.allowed_pod_number = 0;
        (
            r,
            resources::scalar_request(&self.non_zero_requests, resources::CPU),
            resources::scalar_request(&self.non_zero_requests, resources::MEMORY),
        )
    }
}

/// A node, parsed once, with the requests of the pods on it.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) unschedulable: bool,
    pub(crate) taints: Vec<api::Taint>,
    pub(crate) allocatable: Resources,
    pub(crate) requested: Resources,
    pub(crate) non_zero_milli_cpu: i64,
    pub(crate) non_zero_memory: i64,
    pub(crate) pod_count: usize,
}

impl NodeInfo {
    /// Reads a node from its JSON (`v1.Node`), with no pod on it yet.
    ///
    /// A node without `status.allocatable` has nothing allocatable, not even pods, exactly as in
    /// kube-scheduler: every pod then fails NodeResourcesFit with `Too many pods`.
    ///
    /// # Errors
    ///
    /// When a field has the wrong JSON type or a quantity does not parse; the message names the
    /// node.
    pub fn from_json(node: &Value) -> Result<NodeInfo, Error> {
        let parsed = api::Node::deserialize_value(node)
            .map_err(|e| Error::new(format!("node {}: {e}", object_name(node))))?;
        let mut allocatable = Resources::default();
        allocatable.add_list(
            &parsed
                .status
                .allocatable
                .iter()
                .map(|(k, v)| (k.clone(), v.0))
                .collect(),
        );
        Ok(NodeInfo {
            name: parsed.metadata.name,
            labels: parsed.metadata.labels,
            unschedulable: parsed.spec.unschedulable,
            taints: parsed.spec.taints,
            allocatable,
            requested: Resources::default(),
            non_zero_milli_cpu: 0,
            non_zero_memory: 0,
            pod_count: 0,
        })
    }

    /// Reads a node and adds, from `pods`, those bound to it (`spec.nodeName` equal to the node's
    /// name) that are not terminal ([`PodInfo::is_terminal`]): the node as kube-scheduler's
    /// cache sees it.
    ///
    /// # Errors
    ///
    /// As [`NodeInfo::from_json`].
    pub fn from_json_with_pods<'a>(
        node: &Value,
        pods: impl IntoIterator<Item = &'a PodInfo>,
    ) -> Result<NodeInfo, Error> {
        let mut info = NodeInfo::from_json(node)?;
        for pod in pods {
            if pod.node_name == info.name && !pod.is_terminal() {
                info.add_pod(pod);
            }
        }
        Ok(info)
    }

    /// Accounts for a pod placed on this node (`NodeInfo.AddPod`), whatever its `spec.nodeName`.
    pub fn add_pod(&mut self, pod: &PodInfo) {
        self.update(pod, 1);
        self.pod_count += 1;
    }

    /// Removes a pod added with [`NodeInfo::add_pod`] (`NodeInfo.RemovePod`).
    pub fn remove_pod(&mut self, pod: &PodInfo) {
        self.update(pod, -1);
        self.pod_count = self.pod_count.saturating_sub(1);
    }

    fn update(&mut self, pod: &PodInfo, sign: i64) {
        let (usage, cpu, memory) = pod.node_usage();
        self.requested.accumulate(&usage, sign);
        self.non_zero_milli_cpu = self
            .non_zero_milli_cpu
            .saturating_add(cpu.saturating_mul(sign));
        self.non_zero_memory = self
            .non_zero_memory
            .saturating_add(memory.saturating_mul(sign));
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `metadata.labels`.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// `status.allocatable`, as `framework.Resource`.
    pub fn allocatable(&self) -> &Resources {
        &self.allocatable
    }

    /// The sum of the requests of the pods on the node (`NodeInfo.Requested`).
    pub fn requested(&self) -> &Resources {
        &self.requested
    }

    /// The sum of the pods' CPU (millicores) and memory (bytes) requests, counting 100m / 200Mi for
    /// each container that requests none (`NodeInfo.NonZeroRequested`).
    pub fn non_zero_requested(&self) -> (i64, i64) {
        (self.non_zero_milli_cpu, self.non_zero_memory)
    }

    /// How many pods are on the node.
    pub fn pod_count(&self) -> usize {
        self.pod_count
    }

    pub(crate) fn view(&self) -> NodeView<'_> {
        NodeView {
            name: &self.name,
            labels: &self.labels,
        }
    }
}

impl api::Pod {
    fn deserialize_value(value: &Value) -> Result<api::Pod, serde_json::Error> {
        serde::Deserialize::deserialize(value)
    }
}

impl api::Node {
    fn deserialize_value(value: &Value) -> Result<api::Node, serde_json::Error> {
        serde::Deserialize::deserialize(value)
    }
}
