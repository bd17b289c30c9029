//! One trait per scheduling framework hook, named and shaped as in the upstream Go SDK.
//!
//! Implement the traits for the hooks your plugin needs and list the same hooks in
//! [`crate::export!`]; the guest then exports exactly those functions. Every hook gets `&mut self`
//! (the host never calls a guest concurrently), the cycle state, and lazy views of its inputs.
//! Return `Ok` for Success; `Err(Status)` for anything else.

use std::time::Duration;

use crate::object::{FilteredNodes, NodeInfo, NodeScores, NodeStatuses, Pod};
use crate::{CycleState, Status};

/// What PreFilter narrows the candidate nodes to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PreFilterResult {
    /// Every node stays a candidate.
    #[default]
    AllNodes,
    /// Only these nodes are candidates (kube-scheduler intersects the sets of all PreFilter plugins).
    /// An empty set cannot cross the ABI; the SDK turns it into UnschedulableAndUnresolvable.
    Nodes(Vec<String>),
}

/// PreFilter: runs once per scheduling cycle, before Filter. The SDK clears [`CycleState`] and the
/// cached pod just before calling it.
pub trait PreFilter {
    /// Checks the pod and prepares per-cycle state.
    fn pre_filter(&mut self, cycle: &mut CycleState, pod: &Pod) -> Result<PreFilterResult, Status>;
}

/// Filter: may the pod run on this node? Called once per candidate node.
pub trait Filter {
    /// `Ok(())` if the pod fits `node`; Unschedulable or UnschedulableAndUnresolvable if not.
    fn filter(&mut self, cycle: &mut CycleState, pod: &Pod, node: &NodeInfo) -> Result<(), Status>;
}

/// How PostFilter's nominated node is applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(i32)]
pub enum NominatingMode {
    /// Keep the pod's current nomination.
    #[default]
    Noop = 0,
    /// Replace it with [`PostFilterResult::nominated_node`].
    Override = 1,
}

/// PostFilter's answer when it succeeds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostFilterResult {
    /// The node the pod is nominated to.
    pub nominated_node: String,
    /// Whether the nomination replaces the current one.
    pub mode: NominatingMode,
}

/// PostFilter: runs when no node passed Filter (e.g. to preempt).
pub trait PostFilter {
    /// `statuses` holds the nodes that failed Filter with an explicit status.
    fn post_filter(
        &mut self,
        cycle: &mut CycleState,
        pod: &Pod,
        statuses: &NodeStatuses,
    ) -> Result<PostFilterResult, Status>;
}

/// PreScore: runs once per cycle before Score, with the nodes that passed Filter.
pub trait PreScore {
    /// Prepares per-cycle scoring state; `Err(Status::skip())` skips this plugin's Score.
    fn pre_score(
        &mut self,
        cycle: &mut CycleState,
        pod: &Pod,
        nodes: &FilteredNodes,
    ) -> Result<(), Status>;
}

/// Score: ranks one feasible node. Keep scores in 0‥100: kube-scheduler rejects others.
pub trait Score {
    /// The node's score.
    fn score(&mut self, cycle: &mut CycleState, pod: &Pod, node: &NodeInfo) -> Result<i32, Status>;
}

/// NormalizeScore (ScoreExtensions): rescales all of this plugin's scores at once.
///
/// The upstream host copies the result back **by position in random map order**, so scores can
/// land on the wrong nodes (`docs/abi.md` §3.3.4); [`crate::export!`] warns when it is exported.
pub trait NormalizeScore {
    /// Changes `scores` in place.
    fn normalize_score(
        &mut self,
        cycle: &mut CycleState,
        pod: &Pod,
        scores: &mut NodeScores,
    ) -> Result<(), Status>;
}

/// Reserve and Unreserve, always exported together (the host needs both).
pub trait Reserve {
    /// Reserves resources on `node_name` for the pod.
    fn reserve(&mut self, cycle: &mut CycleState, pod: &Pod, node_name: &str)
    -> Result<(), Status>;

    /// Undoes [`Reserve::reserve`]. The host may run this on another pod's instance (`docs/abi.md`
    /// §1.3): the SDK re-reads the pod, and passes an empty cycle state unless it can tell the
    /// state belongs to this pod.
    fn unreserve(&mut self, cycle: &mut CycleState, pod: &Pod, node_name: &str);
}

/// Permit's answer when it succeeds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PermitDecision {
    /// Bind now.
    #[default]
    Allow,
    /// Hold the pod for at most this long (milliseconds precision, at most ~49 days).
    Wait(Duration),
}

/// Permit: the last hook of the scheduling cycle. Export it only with PreBind, Bind and PostBind
/// (`docs/abi.md` §2.6).
pub trait Permit {
    /// Allows, delays or (with `Err`) rejects binding to `node_name`.
    fn permit(
        &mut self,
        _cycle: &mut CycleState,
        _pod: &Pod,
        _node_name: &str,
    ) -> Result<PermitDecision, Status> {
        Ok(PermitDecision::Allow)
    }
}

/// PreBind: runs before binding.
pub trait PreBind {
    /// Prepares binding to `node_name`.
    fn pre_bind(
        &mut self,
        _cycle: &mut CycleState,
        _pod: &Pod,
        _node_name: &str,
    ) -> Result<(), Status> {
        Ok(())
    }
}

/// Bind: binds the pod. The default answers Skip, so the next binder (DefaultBinder) binds.
pub trait Bind {
    /// Binds the pod to `node_name`; `Err(Status::skip())` leaves it to the next binder.
    fn bind(
        &mut self,
        _cycle: &mut CycleState,
        _pod: &Pod,
        _node_name: &str,
    ) -> Result<(), Status> {
        Err(Status::skip())
    }
}

/// PostBind: informational, after a successful bind.
pub trait PostBind {
    /// Called after the pod was bound to `node_name`.
    fn post_bind(&mut self, _cycle: &mut CycleState, _pod: &Pod, _node_name: &str) {}
}

/// AddPod and RemovePod (PreFilterExtensions), always exported together. Preemption calls them to
/// ask "would the pod fit if `target` were added to / removed from `node`?".
pub trait PreFilterExtensions {
    /// `target` is being added to `node`.
    fn add_pod(
        &mut self,
        cycle: &mut CycleState,
        pod: &Pod,
        target: &Pod,
        node: &NodeInfo,
    ) -> Result<(), Status>;
    /// `target` is being removed from `node`.
    fn remove_pod(
        &mut self,
        cycle: &mut CycleState,
        pod: &Pod,
        target: &Pod,
        node: &NodeInfo,
    ) -> Result<(), Status>;
}

/// A kind of object whose changes can make a pending pod schedulable (`docs/abi.md` §3.3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Resource {
    /// Pods.
    Pod = 0,
    /// Nodes.
    Node = 1,
    /// PersistentVolumes.
    PersistentVolume = 2,
    /// PersistentVolumeClaims.
    PersistentVolumeClaim = 3,
    /// StorageClasses.
    StorageClass = 6,
    /// CSINodes.
    CsiNode = 7,
    /// CSIDrivers.
    CsiDriver = 8,
    /// CSIStorageCapacities.
    CsiStorageCapacity = 9,
    /// Every resource.
    Wildcard = 10,
}

/// Which changes of a [`Resource`] matter: kube-scheduler's `ActionType` bits, passed through
/// unchanged by the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionType(pub u32);

impl ActionType {
    /// Created.
    pub const ADD: ActionType = ActionType(1);
    /// Deleted.
    pub const DELETE: ActionType = ActionType(1 << 1);
    /// A node's allocatable changed.
    pub const UPDATE_NODE_ALLOCATABLE: ActionType = ActionType(1 << 2);
    /// A node's labels changed.
    pub const UPDATE_NODE_LABEL: ActionType = ActionType(1 << 3);
    /// A node's taints changed.
    pub const UPDATE_NODE_TAINT: ActionType = ActionType(1 << 4);
    /// A node's conditions changed.
    pub const UPDATE_NODE_CONDITION: ActionType = ActionType(1 << 5);
    /// A node's annotations changed (kube-scheduler ≥ 1.32).
    pub const UPDATE_NODE_ANNOTATION: ActionType = ActionType(1 << 6);
    /// A pod's labels changed (kube-scheduler ≥ 1.32).
    pub const UPDATE_POD_LABEL: ActionType = ActionType(1 << 7);
    /// Every kind of change. The Go guest SDK's `All` is 63, which misses the newer bits; this is
    /// every bit.
    pub const ALL: ActionType = ActionType(u32::MAX);
}

impl core::ops::BitOr for ActionType {
    type Output = ActionType;
    fn bitor(self, rhs: ActionType) -> ActionType {
        ActionType(self.0 | rhs.0)
    }
}

/// A change that can make a pending pod schedulable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterEvent {
    /// The kind of object.
    pub resource: Resource,
    /// The changes that matter.
    pub action: ActionType,
}

/// EnqueueExtensions: which cluster events should retry pods this plugin rejected. Called once,
/// when the scheduler starts.
pub trait EnqueueExtensions {
    /// The events. An empty list keeps the host's default list (it cannot express "none").
    fn events_to_register(&mut self) -> Vec<ClusterEvent>;
}
