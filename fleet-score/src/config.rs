//! `guestConfig`: fleets' policies, the fleet label, and optional smoothing.
//!
//! ```json
//! {
//!   "fleetLabel": "scheduler.wasmkwokwizardry.io/fleet",
//!   "fleets": {
//!     "lobby": {"policy": {"type": "Buffer", "buffer": {"bufferSize": 5, "maxReplicas": 100}}},
//!     "rooms": {
//!       "policy": {"type": "Counter", "counter": {"key": "rooms", "bufferSize": 10, "maxCapacity": 100}},
//!       "template": {"counters": {"rooms": {"count": 0, "capacity": 7}}}
//!     }
//!   },
//!   "default": {"policy": {"type": "Buffer", "buffer": {"bufferSize": "20%", "maxReplicas": 50}}},
//!   "smoothing": {"smoothingFactor": 0.3}
//! }
//! ```

use std::collections::BTreeMap;

use common::Status;
use fleet_autoscaling::kubeai::{CappedSmoothRatio, SmoothingState};
use fleet_autoscaling::validate::{ValidateOptions, validate_policy};
use fleet_autoscaling::{FleetAutoscalerPolicy, GameServerTemplateSpec};
use serde::Deserialize;

use crate::DEFAULT_FLEET_LABEL;

/// The plugin's configuration (`guestConfig`, JSON). Every field is optional.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// The pod label naming the fleet; default [`DEFAULT_FLEET_LABEL`].
    #[serde(default = "default_fleet_label")]
    pub fleet_label: String,
    /// Policies by fleet name.
    #[serde(default)]
    pub fleets: BTreeMap<String, FleetConfig>,
    /// The policy of fleets not listed in `fleets`.
    #[serde(default)]
    pub default: Option<FleetConfig>,
    /// Smooth each fleet's pressure across cycles (off when absent).
    #[serde(default)]
    pub smoothing: Option<Smoothing>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            fleet_label: default_fleet_label(),
            fleets: BTreeMap::new(),
            default: None,
            smoothing: None,
        }
    }
}

fn default_fleet_label() -> String {
    DEFAULT_FLEET_LABEL.to_owned()
}

/// One fleet's autoscaling inputs.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetConfig {
    /// The fleet's FleetAutoscaler `spec.policy` (Buffer, Counter or List).
    pub policy: FleetAutoscalerPolicy,
    /// The fleet's game-server template counters and lists (`spec.template.spec`): what one new
    /// replica adds. Counter and List policies need it to scale up; Buffer ignores it.
    #[serde(default)]
    pub template: GameServerTemplateSpec,
}

/// KubeAI's CappedSmoothRatio applied to each fleet's buffer ratio (desired / replicas), in its
/// symmetric form so it can smooth down as well as up. Defaults are upstream's.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Smoothing {
    /// Weight of the newest ratio, 0‥1 (0.3).
    #[serde(default = "alpha")]
    pub smoothing_factor: f64,
    /// Largest increase of the smoothed desired size per cycle (0.5 = +50 %).
    #[serde(default = "up")]
    pub max_scale_up_percent: f64,
    /// Largest decrease per cycle (0.25 = −25 %).
    #[serde(default = "down")]
    pub max_scale_down_percent: f64,
    /// Ratios within 1 ± tolerance count as "at the buffer" (0.1).
    #[serde(default = "tolerance")]
    pub tolerance: f64,
    /// How many fleets' states are kept; the least recently used is dropped beyond it (64).
    #[serde(default = "max_fleets")]
    pub max_fleets: usize,
}

fn alpha() -> f64 {
    0.3
}
fn up() -> f64 {
    0.5
}
fn down() -> f64 {
    0.25
}
fn tolerance() -> f64 {
    0.1
}
fn max_fleets() -> usize {
    64
}

impl Smoothing {
    /// The algorithm with these parameters and an empty state.
    pub fn algorithm(&self) -> CappedSmoothRatio {
        CappedSmoothRatio {
            smoothing_factor: self.smoothing_factor,
            max_scale_up_percent: self.max_scale_up_percent,
            max_scale_down_percent: self.max_scale_down_percent,
            tolerance: self.tolerance,
            symmetric: true,
            state: SmoothingState::with_capacity(self.max_fleets),
        }
    }
}

/// Checks a policy with Agones' admission rules, and that this plugin can compute it.
pub(crate) fn check_policy(policy: &FleetAutoscalerPolicy, path: &str) -> Result<(), Status> {
    match policy.policy_type.as_str() {
        "Buffer" | "Counter" | "List" => {}
        other => {
            return Err(Status::error(format!(
                "{path}.type: Unsupported value: {other:?}: fleet-score computes Buffer, Counter and List policies only"
            )));
        }
    }
    let errors = validate_policy(
        policy,
        path,
        &ValidateOptions {
            now: None,
            ..ValidateOptions::default()
        },
    );
    if errors.is_empty() {
        return Ok(());
    }
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    Err(Status::error(format!(
        "invalid policy: {}",
        text.join("; ")
    )))
}

impl Config {
    /// Checks every policy with Agones' rules, and the smoothing parameters.
    pub fn validate(&self) -> Result<(), Status> {
        for (name, fleet) in &self.fleets {
            check_policy(&fleet.policy, &format!("fleets.{name}.policy"))?;
        }
        if let Some(default) = &self.default {
            check_policy(&default.policy, "default.policy")?;
        }
        if self.fleet_label.is_empty() {
            return Err(Status::error(
                "invalid guestConfig: fleetLabel must not be empty",
            ));
        }
        if let Some(s) = &self.smoothing {
            let unit = |v: f64| (0.0..=1.0).contains(&v);
            if !(unit(s.smoothing_factor) && s.smoothing_factor > 0.0) {
                return Err(Status::error(
                    "invalid guestConfig: smoothing.smoothingFactor must be in (0, 1]",
                ));
            }
            if !(s.max_scale_up_percent >= 0.0
                && unit(s.max_scale_down_percent)
                && unit(s.tolerance))
            {
                return Err(Status::error(
                    "invalid guestConfig: smoothing.maxScaleUpPercent must be >= 0, maxScaleDownPercent and tolerance in [0, 1]",
                ));
            }
            if s.max_fleets == 0 || s.max_fleets > 4096 {
                return Err(Status::error(
                    "invalid guestConfig: smoothing.maxFleets must be in 1..=4096",
                ));
            }
        }
        Ok(())
    }

    /// The configured inputs of `fleet`, if any.
    pub fn fleet(&self, fleet: &str) -> Option<&FleetConfig> {
        self.fleets.get(fleet).or(self.default.as_ref())
    }
}
