//! The extension points, one implementation per plugin kind: [`InTreeHooks`] (plugins emulated by
//! `intree_plugins`), [`WasmHooks`] (guests in the host) and [`FrameworkHooks`] (SchedulingGates,
//! PrioritySort, DefaultBinder). The cycle asks [`Framework::hooks`] for a slot's implementation
//! and calls the hook; a kind that does not implement a point keeps the trait's default, which is
//! what kube-scheduler does for a plugin without that interface.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use intree_plugins::{InTree, InTreePlugin, NodeInfo};
use simulator_host::{
    ExtensionPoint, NodeScore, PostFilterResult, SchedulerPanic, Status, WasmPlugin,
};

use super::{Framework, FrameworkPlugin, Impl, Point, PreparedPod};

/// A framework status: a code and its reasons (a wasm plugin's status always has exactly one
/// reason, possibly empty, as the host builds it with `framework.NewStatus(code, reason)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct St {
    pub(crate) code: i32,
    pub(crate) reasons: Vec<String>,
}

impl St {
    pub(crate) fn success() -> St {
        St {
            code: Status::SUCCESS,
            reasons: Vec::new(),
        }
    }

    pub(crate) fn new(code: i32, reason: impl Into<String>) -> St {
        St {
            code,
            reasons: vec![reason.into()],
        }
    }

    pub(crate) fn message(&self) -> String {
        self.reasons.join(", ")
    }

    pub(crate) fn is_success(&self) -> bool {
        self.code == Status::SUCCESS
    }

    pub(crate) fn is_skip(&self) -> bool {
        self.code == Status::SKIP
    }

    pub(crate) fn is_rejected(&self) -> bool {
        self.code == Status::UNSCHEDULABLE || self.code == Status::UNSCHEDULABLE_AND_UNRESOLVABLE
    }
}

impl From<Status> for St {
    fn from(s: Status) -> St {
        St {
            code: s.code,
            reasons: vec![s.reason],
        }
    }
}

impl From<intree_plugins::Status> for St {
    fn from(s: intree_plugins::Status) -> St {
        St {
            code: s.code.as_i32(),
            reasons: s.reasons,
        }
    }
}

/// A scheduler panic as the status the cycle reports.
pub(crate) fn panicked(e: SchedulerPanic) -> St {
    St::new(Status::ERROR, e.to_string())
}

/// A plugin's hooks. Point-level hooks the kind does not have return `None` (the plugin is not
/// called there); node-level ones default to what a plugin without that point contributes.
pub(crate) trait Hooks {
    /// Whether the plugin implements `point` (is registered there).
    fn implements(&self, point: Point) -> bool;

    /// PreFilter: the status and the node names the plugin limits the cycle to.
    fn pre_filter(&self, _pod: &PreparedPod) -> (St, Option<BTreeSet<String>>) {
        (St::success(), None)
    }

    /// Filter on one node.
    fn filter(&self, _pod: &PreparedPod, _node: &NodeInfo) -> St {
        St::success()
    }

    /// PostFilter with the rejected nodes' codes: the status and the nomination, if any.
    fn post_filter(
        &self,
        _pod: &PreparedPod,
        _node_to_status: &BTreeMap<String, i32>,
    ) -> Option<(St, Option<PostFilterResult>)> {
        None
    }

    /// PreScore with the feasible nodes' names.
    fn pre_score(&self, _pod: &PreparedPod, _nodes: &[String]) -> St {
        St::success()
    }

    /// Score on one node: the raw score, or the failed status.
    fn score(&self, _pod: &PreparedPod, _node: &NodeInfo) -> Result<i64, St> {
        Ok(0)
    }

    /// NormalizeScore over `scores` (one per name in `nodes`), in place.
    fn normalize_score(
        &self,
        _pod: &PreparedPod,
        _nodes: &[String],
        _scores: &mut [i64],
    ) -> Option<St> {
        None
    }

    /// Reserve.
    fn reserve(&self, _pod: &PreparedPod, _node: &str) -> Option<St> {
        None
    }

    /// Unreserve.
    fn unreserve(&self, _pod: &PreparedPod, _node: &str) -> Option<St> {
        None
    }

    /// Permit: the status and, for Wait, the timeout.
    fn permit(&self, _pod: &PreparedPod, _node: &str) -> Option<(St, Duration)> {
        None
    }

    /// PreBind.
    fn pre_bind(&self, _pod: &PreparedPod, _node: &str) -> Option<St> {
        None
    }

    /// Bind.
    fn bind(&self, _pod: &PreparedPod, _node: &str) -> Option<St> {
        None
    }

    /// PostBind.
    fn post_bind(&self, _pod: &PreparedPod, _node: &str) -> Option<St> {
        None
    }
}

/// An in-tree plugin emulated by `intree_plugins`: PreFilter, Filter, PreScore, Score and
/// NormalizeScore, as its extension points say.
pub(crate) struct InTreeHooks<'a> {
    in_tree: &'a InTree,
    plugin: InTreePlugin,
}

impl Hooks for InTreeHooks<'_> {
    fn implements(&self, point: Point) -> bool {
        let ep = self.plugin.extension_points();
        match point {
            Point::PreFilter => ep.pre_filter,
            Point::Filter => ep.filter,
            Point::PreScore => ep.pre_score,
            Point::Score => ep.score,
            _ => false,
        }
    }

    fn pre_filter(&self, pod: &PreparedPod) -> (St, Option<BTreeSet<String>>) {
        let res = self.in_tree.pre_filter(self.plugin, &pod.info);
        (St::from(res.status), res.node_names)
    }

    fn filter(&self, pod: &PreparedPod, node: &NodeInfo) -> St {
        St::from(self.in_tree.filter(self.plugin, &pod.info, node))
    }

    fn pre_score(&self, pod: &PreparedPod, _nodes: &[String]) -> St {
        St::from(self.in_tree.pre_score(self.plugin, &pod.info))
    }

    fn score(&self, pod: &PreparedPod, node: &NodeInfo) -> Result<i64, St> {
        self.in_tree
            .score(self.plugin, &pod.info, node)
            .map_err(St::from)
    }

    fn normalize_score(
        &self,
        _pod: &PreparedPod,
        _nodes: &[String],
        scores: &mut [i64],
    ) -> Option<St> {
        if !self.plugin.extension_points().normalize_score {
            return None;
        }
        self.in_tree.normalize_score(self.plugin, scores);
        Some(St::success())
    }
}

/// A wasm guest: every hook the host exposes for it; a trap or a scheduler panic is an Error
/// status with the host's text.
pub(crate) struct WasmHooks<'a>(&'a WasmPlugin);

impl WasmHooks<'_> {
    fn status(res: Result<Status, SchedulerPanic>) -> St {
        res.map_or_else(panicked, St::from)
    }

    fn done(res: Result<(), SchedulerPanic>) -> St {
        res.map_or_else(panicked, |()| St::success())
    }
}

impl Hooks for WasmHooks<'_> {
    fn implements(&self, point: Point) -> bool {
        let ext = match point {
            Point::PreEnqueue | Point::QueueSort => return false,
            Point::PreFilter => ExtensionPoint::PreFilter,
            Point::Filter => ExtensionPoint::Filter,
            Point::PostFilter => ExtensionPoint::PostFilter,
            Point::PreScore => ExtensionPoint::PreScore,
            Point::Score => ExtensionPoint::Score,
            Point::Reserve => ExtensionPoint::Reserve,
            Point::Permit => ExtensionPoint::Permit,
            Point::PreBind => ExtensionPoint::PreBind,
            Point::Bind => ExtensionPoint::Bind,
            Point::PostBind => ExtensionPoint::PostBind,
        };
        self.0.exports().exposes(ext)
    }

    fn pre_filter(&self, pod: &PreparedPod) -> (St, Option<BTreeSet<String>>) {
        match self.0.pre_filter(&pod.object) {
            Ok((st, names)) => (St::from(st), names.map(|n| n.into_iter().collect())),
            Err(e) => (panicked(e), None),
        }
    }

    fn filter(&self, pod: &PreparedPod, node: &NodeInfo) -> St {
        Self::status(self.0.filter(&pod.object, node.name()))
    }

    fn post_filter(
        &self,
        pod: &PreparedPod,
        node_to_status: &BTreeMap<String, i32>,
    ) -> Option<(St, Option<PostFilterResult>)> {
        Some(match self.0.post_filter(&pod.object, node_to_status) {
            Ok((res, st)) => (St::from(st), res),
            Err(e) => (panicked(e), None),
        })
    }

    fn pre_score(&self, pod: &PreparedPod, nodes: &[String]) -> St {
        Self::status(self.0.pre_score(&pod.object, nodes))
    }

    fn score(&self, pod: &PreparedPod, node: &NodeInfo) -> Result<i64, St> {
        match self.0.score(&pod.object, node.name()) {
            Ok((s, st)) if st.is_success() => Ok(s),
            Ok((_, st)) => Err(St::from(st)),
            Err(e) => Err(panicked(e)),
        }
    }

    fn normalize_score(
        &self,
        pod: &PreparedPod,
        nodes: &[String],
        scores: &mut [i64],
    ) -> Option<St> {
        if !self.0.exports().exposes(ExtensionPoint::NormalizeScore) {
            return None;
        }
        let mut list: Vec<NodeScore> = nodes
            .iter()
            .zip(scores.iter())
            .map(|(n, s)| NodeScore::new(n.clone(), *s))
            .collect();
        let st = Self::status(self.0.normalize_score(&pod.object, &mut list));
        if st.is_success() {
            for (s, l) in scores.iter_mut().zip(list) {
                *s = l.score;
            }
        }
        Some(st)
    }

    fn reserve(&self, pod: &PreparedPod, node: &str) -> Option<St> {
        Some(Self::status(self.0.reserve(&pod.object, node)))
    }

    fn unreserve(&self, pod: &PreparedPod, node: &str) -> Option<St> {
        Some(Self::done(self.0.unreserve(&pod.object, node)))
    }

    fn permit(&self, pod: &PreparedPod, node: &str) -> Option<(St, Duration)> {
        Some(match self.0.permit(&pod.object, node) {
            Ok((s, t)) => (St::from(s), t),
            Err(e) => (panicked(e), Duration::ZERO),
        })
    }

    fn pre_bind(&self, pod: &PreparedPod, node: &str) -> Option<St> {
        Some(Self::status(self.0.pre_bind(&pod.object, node)))
    }

    fn bind(&self, pod: &PreparedPod, node: &str) -> Option<St> {
        Some(Self::status(self.0.bind(&pod.object, node)))
    }

    fn post_bind(&self, pod: &PreparedPod, node: &str) -> Option<St> {
        Some(Self::done(self.0.post_bind(&pod.object, node)))
    }
}

/// A plugin of the framework itself: SchedulingGates (PreEnqueue, checked before the cycle),
/// PrioritySort (the queue order) and DefaultBinder, which binds every pod it is asked to.
pub(crate) struct FrameworkHooks(FrameworkPlugin);

impl Hooks for FrameworkHooks {
    fn implements(&self, point: Point) -> bool {
        self.0.point() == point
    }

    fn bind(&self, _pod: &PreparedPod, _node: &str) -> Option<St> {
        (self.0 == FrameworkPlugin::DefaultBinder).then(St::success)
    }
}

impl Framework {
    /// The implementation of a slot's plugin.
    pub(crate) fn hooks(&self, imp: Impl) -> Box<dyn Hooks + '_> {
        match imp {
            Impl::InTree(plugin) => Box::new(InTreeHooks {
                in_tree: &self.in_tree,
                plugin,
            }),
            Impl::Wasm(i) => Box::new(WasmHooks(&self.wasm[i].plugin)),
            Impl::Framework(p) => Box::new(FrameworkHooks(p)),
        }
    }
}
