//! The emulated plugins, their metadata, and [`InTree`], which runs them with a profile's
//! arguments.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::config::Args;
use crate::{Code, Error, NodeInfo, PodInfo, Status};

pub mod node_affinity;
pub mod node_name;
pub mod node_resources_balanced_allocation;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod taint_toleration;

/// The highest score a Score plugin returns after normalization (`framework.MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;

/// kube-scheduler 1.33's default plugins (`getDefaultPlugins`, multiPoint, in order) with the
/// weight of the score plugins. DynamicResources joins them (before DefaultPreemption) only when
/// its feature gate is on, off by default in 1.33.
pub const DEFAULT_PLUGINS: &[(&str, Option<i64>)] = &[
    ("SchedulingGates", None),
    ("PrioritySort", None),
    ("NodeUnschedulable", None),
    ("NodeName", None),
    ("TaintToleration", Some(3)),
    ("NodeAffinity", Some(2)),
    ("NodePorts", None),
    ("NodeResourcesFit", Some(1)),
    ("VolumeRestrictions", None),
    ("NodeVolumeLimits", None),
    ("VolumeBinding", None),
    ("VolumeZone", None),
    ("PodTopologySpread", Some(2)),
    ("InterPodAffinity", Some(2)),
    ("DefaultPreemption", None),
    ("NodeResourcesBalancedAllocation", Some(1)),
    ("ImageLocality", Some(1)),
    ("DefaultBinder", None),
];

/// The score weight kube-scheduler 1.33's default profile gives the plugin `name`, for every
/// default score plugin, emulated or not (`TaintToleration` 3, `NodeAffinity` 2,
/// `PodTopologySpread` 2, `InterPodAffinity` 2, `NodeResourcesFit` 1,
/// `NodeResourcesBalancedAllocation` 1, `ImageLocality` 1); `None` for other plugins. A plugin
/// enabled with no weight (or weight 0) scores with weight 1.
pub fn default_weight(name: &str) -> Option<i64> {
    DEFAULT_PLUGINS
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, w)| *w)
}

/// Whether the plugin `name` is emulated by this crate.
pub fn is_emulated(name: &str) -> bool {
    InTreePlugin::from_name(name).is_some()
}

/// An emulated in-tree plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InTreePlugin {
    /// `NodeUnschedulable`: Filter.
    NodeUnschedulable,
    /// `NodeName`: Filter.
    NodeName,
    /// `TaintToleration`: Filter, PreScore, Score, NormalizeScore.
    TaintToleration,
    /// `NodeAffinity`: PreFilter, Filter, PreScore, Score, NormalizeScore.
    NodeAffinity,
    /// `NodeResourcesFit`: PreFilter, Filter, PreScore, Score.
    NodeResourcesFit,
    /// `NodeResourcesBalancedAllocation`: PreScore, Score.
    NodeResourcesBalancedAllocation,
}

/// Which extension points a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtensionPoints {
    /// PreFilter.
    pub pre_filter: bool,
    /// Filter.
    pub filter: bool,
    /// PreScore.
    pub pre_score: bool,
    /// Score.
    pub score: bool,
    /// NormalizeScore (the Score plugin's `ScoreExtensions`).
    pub normalize_score: bool,
}

impl InTreePlugin {
    /// Every emulated plugin, in kube-scheduler's default order.
    pub const ALL: [InTreePlugin; 6] = [
        InTreePlugin::NodeUnschedulable,
        InTreePlugin::NodeName,
        InTreePlugin::TaintToleration,
        InTreePlugin::NodeAffinity,
        InTreePlugin::NodeResourcesFit,
        InTreePlugin::NodeResourcesBalancedAllocation,
    ];

    /// kube-scheduler's name for the plugin.
    pub const fn name(self) -> &'static str {
        match self {
            InTreePlugin::NodeUnschedulable => "NodeUnschedulable",
            InTreePlugin::NodeName => "NodeName",
            InTreePlugin::TaintToleration => "TaintToleration",
            InTreePlugin::NodeAffinity => "NodeAffinity",
            InTreePlugin::NodeResourcesFit => "NodeResourcesFit",
            InTreePlugin::NodeResourcesBalancedAllocation => "NodeResourcesBalancedAllocation",
        }
    }

    /// The emulated plugin named `name` (exact, case-sensitive), or `None` if that plugin is not
    /// emulated.
    pub fn from_name(name: &str) -> Option<InTreePlugin> {
        InTreePlugin::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The extension points the plugin implements in kube-scheduler 1.33.
    pub const fn extension_points(self) -> ExtensionPoints {
        let (pre_filter, filter, pre_score, score, normalize_score) = match self {
            InTreePlugin::NodeUnschedulable | InTreePlugin::NodeName => {
                (false, true, false, false, false)
            }
            InTreePlugin::TaintToleration => (false, true, true, true, true),
            InTreePlugin::NodeAffinity => (true, true, true, true, true),
            InTreePlugin::NodeResourcesFit => (true, true, true, true, false),
            InTreePlugin::NodeResourcesBalancedAllocation => (false, false, true, true, false),
        };
        ExtensionPoints {
            pre_filter,
            filter,
            pre_score,
            score,
            normalize_score,
        }
    }

    /// The weight kube-scheduler's default profile gives the plugin, for score plugins.
    pub fn default_weight(self) -> Option<i64> {
        default_weight(self.name())
    }
}

impl fmt::Display for InTreePlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not that of an emulated plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEmulated(pub String);

impl fmt::Display for NotEmulated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plugin {:?} is not emulated", self.0)
    }
}

impl std::error::Error for NotEmulated {}

impl FromStr for InTreePlugin {
    type Err = NotEmulated;

    fn from_str(s: &str) -> Result<InTreePlugin, NotEmulated> {
        InTreePlugin::from_name(s).ok_or_else(|| NotEmulated(s.to_owned()))
    }
}

/// What a PreFilter returns: a status and, optionally, the only nodes worth filtering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreFilterResult {
    /// Success, Skip (the plugin's Filter has nothing to do for this pod), or a rejection of the
    /// pod on every node.
    pub status: Status,
    /// `Some(names)`: only these nodes can fit (`PreFilterResult.NodeNames`). kube-scheduler
    /// then filters only them and marks the others `UnschedulableAndUnresolvable` with
    /// `node(s) didn't satisfy plugin(s) [<plugins>]`. `None`: every node.
    pub node_names: Option<BTreeSet<String>>,
}

impl PreFilterResult {
    pub(crate) fn all_nodes() -> PreFilterResult {
        PreFilterResult {
            status: Status::success(),
            node_names: None,
        }
    }

    pub(crate) fn skip() -> PreFilterResult {
        PreFilterResult {
            status: Status::skip(),
            node_names: None,
        }
    }
}

/// `helper.DefaultNormalizeScore`: scales scores from `0..=max(scores)` to `0..=max_priority`
/// (integer division), reversed (`max_priority - score`) if `reverse`. When every score is 0 they
/// stay 0, or all become `max_priority` if `reverse`.
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    let max = scores.iter().copied().fold(0, i64::max);
    if max == 0 {
        if reverse {
            scores.fill(max_priority);
        }
        return;
    }
    for score in scores.iter_mut() {
        let scaled = i128::from(max_priority) * i128::from(*score) / i128::from(max);
        let scaled = i64::try_from(scaled).unwrap_or(if scaled < 0 { i64::MIN } else { i64::MAX });
        *score = if reverse {
            max_priority.saturating_sub(scaled)
        } else {
            scaled
        };
    }
}

/// The emulated plugins of one scheduling profile, configured by its `pluginConfig`.
///
/// Every method takes the plugin to run; calling an extension point the plugin lacks (see
/// [`InTreePlugin::extension_points`]) does nothing: PreFilter and PreScore return Skip, Filter
/// returns Success, Score returns an Error status, NormalizeScore leaves the scores alone.
///
/// The methods are pure: a scheduling cycle calls `pre_filter`, then `filter` per node, then
/// `pre_score`, `score` per feasible node and `normalize_score` over those scores. kube-scheduler's
/// cycle state is precomputed in [`PodInfo`], so the calls may come in any order.
#[derive(Debug, Clone, Default)]
pub struct InTree {
    args: Args,
}

impl InTree {
    /// The plugins with these arguments.
    pub fn new(args: Args) -> InTree {
        InTree { args }
    }

    /// The plugins configured by a profile's `pluginConfig` list (`null` for kube-scheduler's
    /// defaults).
    ///
    /// # Errors
    ///
    /// When the arguments of an emulated plugin are invalid (see [`Args::from_plugin_config`]).
    pub fn from_plugin_config(plugin_config: &Value) -> Result<InTree, Error> {
        Ok(InTree::new(Args::from_plugin_config(plugin_config)?))
    }

    /// The plugins configured by one entry of a `KubeSchedulerConfiguration`'s `profiles`
    /// (its `pluginConfig`; the `plugins` section, which enables plugins and sets weights, is the
    /// caller's).
    ///
    /// # Errors
    ///
    /// As [`InTree::from_plugin_config`].
    pub fn from_profile(profile: &Value) -> Result<InTree, Error> {
        InTree::from_plugin_config(profile.get("pluginConfig").unwrap_or(&Value::Null))
    }

    /// The arguments in use.
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// PreFilter: whether the plugin's Filter has anything to do, and which nodes can fit at all.
    pub fn pre_filter(&self, plugin: InTreePlugin, pod: &PodInfo) -> PreFilterResult {
        match plugin {
            InTreePlugin::NodeAffinity => node_affinity::pre_filter(&self.args.node_affinity, pod),
            // SidecarContainers is GA in 1.33: the PreFilter only records the pod's requests.
            InTreePlugin::NodeResourcesFit => PreFilterResult::all_nodes(),
            _ => PreFilterResult::skip(),
        }
    }

    /// Filter: whether the pod fits the node, with kube-scheduler's reasons if not.
    pub fn filter(&self, plugin: InTreePlugin, pod: &PodInfo, node: &NodeInfo) -> Status {
        match plugin {
            InTreePlugin::NodeUnschedulable => node_unschedulable::filter(pod, node),
            InTreePlugin::NodeName => node_name::filter(pod, node),
            InTreePlugin::TaintToleration => taint_toleration::filter(pod, node),
            InTreePlugin::NodeAffinity => {
                node_affinity::filter(&self.args.node_affinity, pod, node)
            }
            InTreePlugin::NodeResourcesFit => node_resources_fit::filter(&self.args.fit, pod, node),
            InTreePlugin::NodeResourcesBalancedAllocation => Status::success(),
        }
    }

    /// PreScore: Success, Skip (do not call Score for this pod; the plugin adds nothing), or Error.
    pub fn pre_score(&self, plugin: InTreePlugin, pod: &PodInfo) -> Status {
        match plugin {
            InTreePlugin::TaintToleration | InTreePlugin::NodeResourcesFit => Status::success(),
            InTreePlugin::NodeAffinity => node_affinity::pre_score(&self.args.node_affinity, pod),
            InTreePlugin::NodeResourcesBalancedAllocation => {
                node_resources_balanced_allocation::pre_score(&self.args.balanced_allocation, pod)
            }
            InTreePlugin::NodeUnschedulable | InTreePlugin::NodeName => Status::skip(),
        }
    }

    /// Score: the plugin's raw score of the node, before [`InTree::normalize_score`] and weights.
    ///
    /// Raw scores: TaintToleration counts untolerated `PreferNoSchedule` taints; NodeAffinity sums
    /// the weights of matching preferred terms; NodeResourcesFit and
    /// NodeResourcesBalancedAllocation are already 0..=100.
    ///
    /// # Errors
    ///
    /// An Error status when the plugin has no Score, or when kube-scheduler's Score fails (a
    /// preferred node affinity term that does not parse).
    pub fn score(
        &self,
        plugin: InTreePlugin,
        pod: &PodInfo,
        node: &NodeInfo,
    ) -> Result<i64, Status> {
        match plugin {
            InTreePlugin::TaintToleration => Ok(taint_toleration::score(pod, node)),
            InTreePlugin::NodeAffinity => node_affinity::score(&self.args.node_affinity, pod, node),
            InTreePlugin::NodeResourcesFit => node_resources_fit::score(&self.args.fit, pod, node),
            InTreePlugin::NodeResourcesBalancedAllocation => {
                node_resources_balanced_allocation::score(&self.args.balanced_allocation, pod, node)
            }
            InTreePlugin::NodeUnschedulable | InTreePlugin::NodeName => Err(Status::new(
                Code::Error,
                format!("plugin {plugin} has no Score extension point"),
            )),
        }
    }

    /// NormalizeScore over the raw scores of all scored nodes: TaintToleration reverses
    /// (`100 - 100 * s / max`, all 100 when every score is 0), NodeAffinity scales
    /// (`100 * s / max`); the other plugins have no NormalizeScore.
    pub fn normalize_score(&self, plugin: InTreePlugin, scores: &mut [i64]) {
        match plugin {
            InTreePlugin::TaintToleration => default_normalize_score(MAX_NODE_SCORE, true, scores),
            InTreePlugin::NodeAffinity => default_normalize_score(MAX_NODE_SCORE, false, scores),
            _ => {}
        }
    }
}
