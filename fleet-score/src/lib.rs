//! **fleet-score**: places Agones game-server pods by how far their fleet is from its buffer.
//!
//! A fleet short of its buffer of Ready servers needs many servers started at once: spread them
//! over the emptiest nodes. A fleet at or above its buffer should pack new servers onto the fullest
//! nodes (Agones' Packed strategy), so the cluster autoscaler can drain the empty ones.
//!
//! # The contract (what the guest reads)
//!
//! | what | where | format |
//! |---|---|---|
//! | which fleet | pod label [`DEFAULT_FLEET_LABEL`] (configurable) | the fleet's name |
//! | fleet status | pod annotation [`STATUS_ANNOTATION`] | Agones `FleetStatus` JSON (`replicas`, `readyReplicas`, `reservedReplicas`, `allocatedReplicas`, `counters`, `lists`) |
//! | policy | `guestConfig` `fleets.<name>.policy` / `default.policy`, or pod annotation [`POLICY_ANNOTATION`] | Agones `FleetAutoscaler.spec.policy` JSON (Buffer, Counter or List) |
//! | node load | node annotation [`LOAD_ANNOTATION`] | `current-load=3, target-load=6, max-load=8` (the burst load-feedback format) |
//!
//! # What it decides
//!
//! - **PreFilter** classifies the pod. A pod without the fleet label is not this plugin's business:
//!   PreFilter and PreScore answer Skip, so the scheduler calls neither Filter nor Score for it
//!   (every node scores the same). A pod labelled `agones.dev/role=gameserver` but without the
//!   fleet label gets one warning per cycle saying how to opt in.
//! - **Filter** (fleet pods): a node whose `current-load` has reached `max-load` is Unschedulable,
//!   `node "n" is at its max load (current-load=8, max-load=8)`.
//! - **PreScore** (fleet pods): the fleet's desired replicas come from its Agones policy, computed
//!   exactly as Agones does ([`fleet_autoscaling::apply`]); `need = desired − replicas` and the
//!   *pressure* `p = clamp(need / desired, 0, 1)`, stored for the cycle. Optionally smoothed across
//!   cycles with KubeAI's CappedSmoothRatio (see [`Smoothing`]).
//! - **Score** (fleet pods), 0–100: with the node's utilisation `u = current/max` (or
//!   `current/target` when `max-load` is 0), clamped to 0‥1,
//!
//!   `score = round(100 × ((1 − p)·u + p·(1 − u)))`
//!
//!   so `p = 0` packs (fullest node wins) and `p = 1` spreads (emptiest node wins). A node without
//!   the load annotation scores the neutral [`NEUTRAL_SCORE`] (50); a malformed one scores 0, with a
//!   warning.
//!
//! ## Worked example
//!
//! Buffer policy `bufferSize: 5`, fleet status `replicas: 4, allocatedReplicas: 3`: Agones wants
//! `3 + 5 = 8` replicas, so `need = 4` and `p = 4/8 = 0.5`… a half-way fleet scores every node 50.
//! With `replicas: 2, allocatedReplicas: 2` instead: desired 7, need 5, `p = 5/7 ≈ 0.714`. A node at
//! `current-load=6, max-load=8` (`u = 0.75`) scores `round(100 × (0.286·0.75 + 0.714·0.25)) = 39`;
//! an empty node (`u = 0`) scores `round(100 × 0.714) = 71`: spread. Once the fleet has 7
//! replicas, `need = 0` and `p = 0`: the first node scores 75 and the empty one 0: pack.
//!
//! No `normalizescore` is exported: scores are already in 0‥100, and the upstream host mishandles
//! NormalizeScore (`docs/abi.md` §3.3.4).
#![deny(missing_docs)]

mod config;
mod pressure;

use std::collections::BTreeMap;

use common::prelude::*;
use common::quote::push_quoted;
use fleet_autoscaling::burst::LoadFeedback;

pub use config::{Config, FleetConfig, Smoothing};
pub use pressure::{Pressure, pressure};

/// The default pod label naming the pod's fleet (set it in the Fleet's pod template).
pub const DEFAULT_FLEET_LABEL: &str = "scheduler.wasmkwokwizardry.io/fleet";
/// The pod annotation with the fleet's status (Agones `FleetStatus` JSON).
pub const STATUS_ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/fleet-status";
/// The pod annotation that overrides the configured policy (Agones policy JSON).
pub const POLICY_ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/fleet-policy";
/// The node annotation with the node's load (`current-load=N, target-load=N, max-load=N`).
pub const LOAD_ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/load-feedback";
/// The score of a node that reports no load.
pub const NEUTRAL_SCORE: i32 = 50;

/// The plugin: its configuration and, when enabled, the smoothing state (kept across cycles; a
/// fresh or reset instance starts unsmoothed).
#[derive(Debug)]
pub struct FleetScore {
    config: Config,
    smoother: Option<fleet_autoscaling::kubeai::CappedSmoothRatio>,
}

/// This cycle's pod: which fleet, and (after PreScore) its pressure.
#[derive(Debug)]
struct FleetPod {
    fleet: String,
    pressure: Option<f64>,
}

/// A node's load as read from its annotation.
#[derive(Clone, Debug, PartialEq)]
enum NodeLoad {
    Missing,
    Malformed(String),
    Reported(LoadFeedback),
}

/// Node loads read by Filter this cycle, reused by Score (saves one node read per node).
#[derive(Debug, Default)]
struct NodeLoads(BTreeMap<String, NodeLoad>);

impl FleetScore {
    /// Builds the plugin from `guestConfig` (JSON, see [`Config`]); an invalid configuration makes
    /// every hook answer Error with the reason.
    pub fn new() -> Result<Self, Status> {
        let config: Config = common::config::json()?;
        config.validate()?;
        let smoother = config.smoothing.as_ref().map(Smoothing::algorithm);
        Ok(FleetScore { config, smoother })
    }

    /// Builds the plugin from a configuration value (for tests and embedding).
    pub fn with_config(config: Config) -> Result<Self, Status> {
        config.validate()?;
        let smoother = config.smoothing.as_ref().map(Smoothing::algorithm);
        Ok(FleetScore { config, smoother })
    }
}

fn read_load(node: &NodeInfo) -> Result<NodeLoad, Status> {
    let view = node.node()?;
    Ok(match view.metadata().annotations().get(LOAD_ANNOTATION)? {
        None => NodeLoad::Missing,
        // The parser refuses negative numbers and missing keys.
        Some(text) => match text.parse::<LoadFeedback>() {
            Ok(load) => NodeLoad::Reported(load),
            Err(e) => NodeLoad::Malformed(e.to_string()),
        },
    })
}

/// The node's utilisation in 0‥1, or `None` when it reports no usable bound.
fn utilisation(load: &LoadFeedback) -> Option<f64> {
    let bound = if load.max_load > 0 {
        load.max_load
    } else {
        load.target_load
    };
    (bound > 0).then(|| (load.current_load as f64 / bound as f64).clamp(0.0, 1.0))
}

/// `round(100 × ((1 − p)·u + p·(1 − u)))`: packing at `p = 0`, spreading at `p = 1`.
pub fn score(pressure: f64, utilisation: f64) -> i32 {
    let p = pressure.clamp(0.0, 1.0);
    let u = utilisation.clamp(0.0, 1.0);
    (100.0 * ((1.0 - p) * u + p * (1.0 - u))).round() as i32
}

impl PreFilter for FleetScore {
    fn pre_filter(&mut self, cycle: &mut CycleState, pod: &Pod) -> Result<PreFilterResult, Status> {
        match pod.label(&self.config.fleet_label)? {
            Some(fleet) if !fleet.is_empty() => {
                cycle.insert(FleetPod {
                    fleet: fleet.to_owned(),
                    pressure: None,
                });
                Ok(PreFilterResult::AllNodes)
            }
            _ => {
                if pod.label("agones.dev/role")? == Some("gameserver") {
                    let name = format!("{}/{}", pod.namespace()?, pod.name()?);
                    common::klog::warning_s(
                        "game server pod has no fleet label; it is scheduled without fleet-aware scoring. To opt in, set the label in the Fleet's pod template (spec.template.spec.template.metadata.labels)",
                        &[("pod", &name), ("label", &self.config.fleet_label)],
                    );
                }
                Err(Status::skip())
            }
        }
    }
}

impl Filter for FleetScore {
    fn filter(
        &mut self,
        cycle: &mut CycleState,
        _pod: &Pod,
        node: &NodeInfo,
    ) -> Result<(), Status> {
        if cycle.get::<FleetPod>().is_none() {
            // PreFilter skipped this pod (no fleet label), or this instance missed PreFilter.
            return Ok(());
        }
        let load = read_load(node)?;
        let full = match &load {
            NodeLoad::Reported(l) if l.max_load > 0 && l.current_load >= l.max_load => {
                Some(l.clone())
            }
            _ => None,
        };
        let loads = match cycle.get_mut::<NodeLoads>() {
            Some(loads) => loads,
            None => {
                cycle.insert(NodeLoads::default());
                cycle
                    .get_mut::<NodeLoads>()
                    .ok_or_else(|| Status::error("cycle state lost"))?
            }
        };
        loads.0.insert(node.name().to_owned(), load);
        match full {
            None => Ok(()),
            Some(l) => {
                let mut reason = String::from("node ");
                push_quoted(&mut reason, node.name());
                reason.push_str(&format!(
                    " is at its max load (current-load={}, max-load={})",
                    l.current_load, l.max_load
                ));
                Err(Status::unschedulable(reason))
            }
        }
    }
}

impl PreScore for FleetScore {
    fn pre_score(
        &mut self,
        cycle: &mut CycleState,
        pod: &Pod,
        _nodes: &FilteredNodes,
    ) -> Result<(), Status> {
        let Some(fleet) = cycle.get::<FleetPod>().map(|f| f.fleet.clone()) else {
            return Err(Status::skip());
        };
        let namespace = pod.namespace()?.to_owned();
        let status = pod.annotation(STATUS_ANNOTATION)?;
        let policy = pod.annotation(POLICY_ANNOTATION)?;
        let Pressure { pressure, .. } = pressure::compute(
            &self.config,
            self.smoother.as_mut(),
            &namespace,
            &fleet,
            status,
            policy,
        )?;
        if let Some(f) = cycle.get_mut::<FleetPod>() {
            f.pressure = Some(pressure);
        }
        Ok(())
    }
}

impl Score for FleetScore {
    fn score(
        &mut self,
        cycle: &mut CycleState,
        _pod: &Pod,
        node: &NodeInfo,
    ) -> Result<i32, Status> {
        let Some(pressure) = cycle.get::<FleetPod>().and_then(|f| f.pressure) else {
            return Ok(NEUTRAL_SCORE);
        };
        let cached = cycle
            .get::<NodeLoads>()
            .and_then(|l| l.0.get(node.name()))
            .cloned();
        let load = match cached {
            Some(load) => load,
            None => read_load(node)?,
        };
        Ok(match load {
            NodeLoad::Missing => NEUTRAL_SCORE,
            NodeLoad::Malformed(why) => {
                common::klog::warning_s(
                    "node load annotation is malformed; scoring the node 0",
                    &[
                        ("node", node.name()),
                        ("annotation", LOAD_ANNOTATION),
                        ("err", &why),
                    ],
                );
                0
            }
            NodeLoad::Reported(l) => utilisation(&l).map_or(NEUTRAL_SCORE, |u| score(pressure, u)),
        })
    }
}

common::export!(FleetScore = FleetScore::new: prefilter, filter, prescore, score);

#[cfg(test)]
mod tests;
