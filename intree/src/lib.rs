//! Emulation of kube-scheduler 1.33's in-tree plugins that decide most real placements, over
//! Kubernetes JSON objects (as in a kube-scheduler-simulator export):
//!
//! | plugin | extension points | default weight |
//! | --- | --- | --- |
//! | `NodeUnschedulable` | Filter | – |
//! | `NodeName` | Filter | – |
//! | `TaintToleration` | Filter, PreScore, Score, NormalizeScore | 3 |
//! | `NodeAffinity` | PreFilter, Filter, PreScore, Score, NormalizeScore | 2 |
//! | `NodeResourcesFit` | PreFilter, Filter, PreScore, Score | 1 |
//! | `NodeResourcesBalancedAllocation` | PreScore, Score | 1 |
//!
//! Statuses carry kube-scheduler's codes and exact reason strings (`node(s) were unschedulable`,
//! `node(s) had untolerated taint {key: value}`, `Insufficient cpu`, `Too many pods`, …), and
//! scores are computed with the same integer (and, for BalancedAllocation, floating point)
//! arithmetic, so a simulator running these next to WASM plugins places pods as kube-scheduler
//! would.
//!
//! Read each pod once with [`PodInfo::from_json`] and each node with [`NodeInfo::from_json`] (then
//! [`NodeInfo::add_pod`] for the pods on it, or [`NodeInfo::from_json_with_pods`]), configure
//! the plugins of a profile from its `pluginConfig` with [`InTree::from_plugin_config`], and run
//! the extension points:
//!
//! ```
//! use intree_plugins::{Code, InTree, InTreePlugin, NodeInfo, PodInfo};
//! use serde_json::json;
//!
//! let node = NodeInfo::from_json(&json!({
//!     "metadata": {"name": "node-a", "labels": {"zone": "a"}},
//!     "spec": {"taints": [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]},
//!     "status": {"allocatable": {"cpu": "4", "memory": "32Gi", "pods": "110"}},
//! }))?;
//! let pod = PodInfo::from_json(&json!({
//!     "metadata": {"name": "web", "namespace": "default"},
//!     "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "500m"}}}]},
//! }))?;
//!
//! let plugins = InTree::default(); // or InTree::from_plugin_config(&profile["pluginConfig"])?
//! let status = plugins.filter(InTreePlugin::TaintToleration, &pod, &node);
//! assert_eq!(status.code, Code::UnschedulableAndUnresolvable);
//! assert_eq!(status.reasons, ["node(s) had untolerated taint {gpu: true}"]);
//!
//! assert!(plugins.filter(InTreePlugin::NodeResourcesFit, &pod, &node).is_success());
//! // LeastAllocated over cpu and memory: (4000-500)/4000 → 87, (32Gi-200Mi)/32Gi → 99.
//! assert_eq!(plugins.score(InTreePlugin::NodeResourcesFit, &pod, &node), Ok(93));
//!
//! assert!(intree_plugins::is_emulated("NodeAffinity"));
//! assert!(!intree_plugins::is_emulated("PodTopologySpread"));
//! assert_eq!(intree_plugins::default_weight("PodTopologySpread"), Some(2));
//! # Ok::<(), intree_plugins::Error>(())
//! ```
//!
//! Not emulated: pod-level resources (`spec.resources`, alpha and off in 1.33), DRA, and
//! kube-scheduler's framework itself (plugin ordering, weights, `percentageOfNodesToScore`,
//! preemption), which belongs to the caller.

#![deny(missing_docs)]

mod api;
pub mod config;
mod error;
mod info;
pub mod plugins;
pub mod resources;
mod selector;
mod status;

pub use config::Args;
pub use error::Error;
pub use info::{NodeInfo, PodInfo};
pub use plugins::{
    DEFAULT_PLUGINS, ExtensionPoints, InTree, InTreePlugin, MAX_NODE_SCORE, NotEmulated,
    PreFilterResult, default_normalize_score, default_weight, is_emulated,
};
pub use resources::Resources;
pub use status::{Code, Status};
