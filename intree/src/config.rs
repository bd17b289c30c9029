//! Plugin arguments from a profile's `pluginConfig`, with kube-scheduler 1.33's defaults
//! (`SetDefaults_*Args`) and validation (`Validate*Args`).

use serde::Deserialize;
use serde_json::Value;

use crate::Error;
use crate::api;
use crate::selector::{PreferredTerms, RequiredSelector, validate_qualified_name};

/// A resource and its weight in a scoring strategy (`config.ResourceSpec`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpec {
    /// The resource name (`cpu`, `memory`, `nvidia.com/gpu`, …).
    pub name: String,
    /// The weight, 1..=100 (0 or absent defaults to 1).
    #[serde(default)]
    pub weight: i64,
}

impl ResourceSpec {
    /// A resource with a weight.
    pub fn new(name: impl Into<String>, weight: i64) -> ResourceSpec {
        ResourceSpec {
            name: name.into(),
            weight,
        }
    }
}

/// kube-scheduler's default scoring resources: `cpu` and `memory`, weight 1 each.
pub fn default_resources() -> Vec<ResourceSpec> {
    vec![ResourceSpec::new("cpu", 1), ResourceSpec::new("memory", 1)]
}

/// NodeResourcesFit's scoring strategy type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScoringStrategyType {
    /// Favors nodes with the most free resources (the default).
    #[default]
    LeastAllocated,
    /// Favors nodes with the fewest free resources (bin packing).
    MostAllocated,
    /// Scores utilization through a piecewise linear shape.
    RequestedToCapacityRatio,
}

impl ScoringStrategyType {
    /// The name in the configuration (`LeastAllocated`, …).
    pub const fn name(self) -> &'static str {
        match self {
            ScoringStrategyType::LeastAllocated => "LeastAllocated",
            ScoringStrategyType::MostAllocated => "MostAllocated",
            ScoringStrategyType::RequestedToCapacityRatio => "RequestedToCapacityRatio",
        }
    }
}

/// One point of a RequestedToCapacityRatio shape (`config.UtilizationShapePoint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapePoint {
    /// Utilization, 0..=100.
    #[serde(default)]
    pub utilization: i64,
    /// Score at that utilization, 0..=10 (scaled by 10 to kube-scheduler's 0..=100).
    #[serde(default)]
    pub score: i64,
}

/// NodeResourcesFit's `scoringStrategy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoringStrategy {
    /// The strategy.
    pub strategy: ScoringStrategyType,
    /// The resources scored, with their weights.
    pub resources: Vec<ResourceSpec>,
    /// The shape, for [`ScoringStrategyType::RequestedToCapacityRatio`] (empty otherwise).
    pub shape: Vec<ShapePoint>,
}

impl Default for ScoringStrategy {
    fn default() -> ScoringStrategy {
        ScoringStrategy {
            strategy: ScoringStrategyType::LeastAllocated,
            resources: default_resources(),
            shape: Vec::new(),
        }
    }
}

/// `NodeResourcesFitArgs`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FitArgs {
    /// Extended resources the Filter ignores.
    pub ignored_resources: Vec<String>,
    /// Extended resource groups (the part before `/`) the Filter ignores.
    pub ignored_resource_groups: Vec<String>,
    /// How Score ranks nodes.
    pub scoring_strategy: ScoringStrategy,
}

/// `NodeResourcesBalancedAllocationArgs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalancedAllocationArgs {
    /// The resources balanced (weights are always 1).
    pub resources: Vec<ResourceSpec>,
}

impl Default for BalancedAllocationArgs {
    fn default() -> BalancedAllocationArgs {
        BalancedAllocationArgs {
            resources: default_resources(),
        }
    }
}

/// `NodeAffinityArgs`: an `addedAffinity` applied to every pod.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeAffinityArgs {
    pub(crate) added_required: Option<RequiredSelector>,
    pub(crate) added_preferred: Option<PreferredTerms>,
}

impl NodeAffinityArgs {
    /// Whether an `addedAffinity` is configured.
    pub fn has_added_affinity(&self) -> bool {
        self.added_required.is_some() || self.added_preferred.is_some()
    }
}

/// The arguments of every emulated plugin.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Args {
    /// NodeResourcesFit's.
    pub fit: FitArgs,
    /// NodeResourcesBalancedAllocation's.
    pub balanced_allocation: BalancedAllocationArgs,
    /// NodeAffinity's.
    pub node_affinity: NodeAffinityArgs,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawFitArgs {
    ignored_resources: Option<Vec<String>>,
    ignored_resource_groups: Option<Vec<String>>,
    scoring_strategy: Option<RawScoringStrategy>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawScoringStrategy {
    #[serde(rename = "type")]
    type_: Option<String>,
    resources: Option<Vec<ResourceSpec>>,
    requested_to_capacity_ratio: Option<RawRequestedToCapacityRatio>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawRequestedToCapacityRatio {
    shape: Option<Vec<ShapePoint>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawBalancedArgs {
    resources: Option<Vec<ResourceSpec>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawNodeAffinityArgs {
    added_affinity: Option<api::NodeAffinity>,
}

fn decode<T: for<'de> Deserialize<'de> + Default>(plugin: &str, args: &Value) -> Result<T, Error> {
    if args.is_null() {
        return Ok(T::default());
    }
    T::deserialize(args).map_err(|e| Error::new(format!("pluginConfig {plugin}: {e}")))
}

fn validate_weights(plugin: &str, resources: &[ResourceSpec]) -> Result<(), Error> {
    for (i, r) in resources.iter().enumerate() {
        if r.weight <= 0 || r.weight > 100 {
            return Err(Error::new(format!(
                "pluginConfig {plugin}: resources[{i}].weight: Invalid value: {}: resource weight of {} not in valid range (0, 100]",
                r.weight, r.name
            )));
        }
    }
    Ok(())
}

impl FitArgs {
    /// Reads `NodeResourcesFitArgs` JSON (`null` for none), applying defaults and validation.
    ///
    /// # Errors
    ///
    /// On malformed JSON, an unknown strategy, a weight outside 1..=100, an invalid shape or an
    /// invalid ignored resource (group) name.
    pub fn from_json(args: &Value) -> Result<FitArgs, Error> {
        const PLUGIN: &str = "NodeResourcesFit";
        let raw: RawFitArgs = decode(PLUGIN, args)?;
        let mut fit = FitArgs {
            ignored_resources: raw.ignored_resources.unwrap_or_default(),
            ignored_resource_groups: raw.ignored_resource_groups.unwrap_or_default(),
            scoring_strategy: ScoringStrategy::default(),
        };
        for name in &fit.ignored_resources {
            validate_qualified_name(name).map_err(|e| {
                Error::new(format!(
                    "pluginConfig {PLUGIN}: ignoredResources: Invalid value: {name:?}: {e}"
                ))
            })?;
        }
        for group in &fit.ignored_resource_groups {
            if group.contains('/') {
                return Err(Error::new(format!(
                    "pluginConfig {PLUGIN}: ignoredResourceGroups: Invalid value: {group:?}: resource group name can't contain '/'"
                )));
            }
            validate_qualified_name(group).map_err(|e| {
                Error::new(format!(
                    "pluginConfig {PLUGIN}: ignoredResourceGroups: Invalid value: {group:?}: {e}"
                ))
            })?;
        }
        if let Some(strategy) = raw.scoring_strategy {
            let type_ = strategy.type_.unwrap_or_default();
            fit.scoring_strategy.strategy = match type_.as_str() {
                "LeastAllocated" => ScoringStrategyType::LeastAllocated,
                "MostAllocated" => ScoringStrategyType::MostAllocated,
                "RequestedToCapacityRatio" => ScoringStrategyType::RequestedToCapacityRatio,
                other => {
                    return Err(Error::new(format!(
                        "pluginConfig {PLUGIN}: scoringStrategy.type: Unsupported value: {other:?}: supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""
                    )));
                }
            };
            let mut resources = strategy.resources.unwrap_or_default();
            if resources.is_empty() {
                resources = default_resources();
            }
            for r in &mut resources {
                if r.weight == 0 {
                    r.weight = 1;
                }
            }
            validate_weights(PLUGIN, &resources)?;
            fit.scoring_strategy.resources = resources;
            // kube-scheduler validates the shape whenever `requestedToCapacityRatio` is set (and
            // would crash on RequestedToCapacityRatio without it).
            let ratio_set = strategy.requested_to_capacity_ratio.is_some();
            let shape = strategy
                .requested_to_capacity_ratio
                .and_then(|r| r.shape)
                .unwrap_or_default();
            if ratio_set
                || fit.scoring_strategy.strategy == ScoringStrategyType::RequestedToCapacityRatio
            {
                validate_shape(&shape)?;
            }
            fit.scoring_strategy.shape = shape;
        }
        Ok(fit)
    }
}

fn validate_shape(shape: &[ShapePoint]) -> Result<(), Error> {
    const PATH: &str = "pluginConfig NodeResourcesFit: scoringStrategy.shape";
    if shape.is_empty() {
        return Err(Error::new(format!(
            "{PATH}: Required value: at least one point must be specified"
        )));
    }
    for (i, pair) in shape.windows(2).enumerate() {
        if pair[0].utilization >= pair[1].utilization {
            return Err(Error::new(format!(
                "{PATH}[{}].utilization: Invalid value: {}: utilization values must be sorted in increasing order",
                i + 1,
                pair[1].utilization
            )));
        }
    }
    for (i, p) in shape.iter().enumerate() {
        if !(0..=100).contains(&p.utilization) {
            return Err(Error::new(format!(
                "{PATH}[{i}].utilization: Invalid value: {}: not in valid range [0, 100]",
                p.utilization
            )));
        }
        if !(0..=10).contains(&p.score) {
            return Err(Error::new(format!(
                "{PATH}[{i}].score: Invalid value: {}: not in valid range [0, 10]",
                p.score
            )));
        }
    }
    Ok(())
}

impl BalancedAllocationArgs {
    /// Reads `NodeResourcesBalancedAllocationArgs` JSON (`null` for none), applying defaults and
    /// validation.
    ///
    /// # Errors
    ///
    /// On malformed JSON, a duplicate resource, or a weight other than 1.
    pub fn from_json(args: &Value) -> Result<BalancedAllocationArgs, Error> {
        const PLUGIN: &str = "NodeResourcesBalancedAllocation";
        let raw: RawBalancedArgs = decode(PLUGIN, args)?;
        let mut resources = raw.resources.unwrap_or_default();
        if resources.is_empty() {
            return Ok(BalancedAllocationArgs::default());
        }
        for (i, r) in resources.iter_mut().enumerate() {
            if r.weight == 0 {
                r.weight = 1;
            }
            if r.weight != 1 {
                return Err(Error::new(format!(
                    "pluginConfig {PLUGIN}: resources[{i}].weight: Invalid value: {}: must be 1",
                    r.weight
                )));
            }
        }
        for (i, r) in resources.iter().enumerate() {
            if resources[..i].iter().any(|o| o.name == r.name) {
                return Err(Error::new(format!(
                    "pluginConfig {PLUGIN}: resources[{i}].name: Duplicate value: {:?}",
                    r.name
                )));
            }
        }
        Ok(BalancedAllocationArgs { resources })
    }
}

impl NodeAffinityArgs {
    /// Reads `NodeAffinityArgs` JSON (`null` for none); an `addedAffinity` that does not parse
    /// is an error, as in kube-scheduler.
    ///
    /// # Errors
    ///
    /// On malformed JSON or an invalid `addedAffinity`.
    pub fn from_json(args: &Value) -> Result<NodeAffinityArgs, Error> {
        const PLUGIN: &str = "NodeAffinity";
        let raw: RawNodeAffinityArgs = decode(PLUGIN, args)?;
        let Some(added) = raw.added_affinity else {
            return Ok(NodeAffinityArgs::default());
        };
        let added_required = match &added.required_during_scheduling_ignored_during_execution {
            None => None,
            Some(selector) => {
                let parsed = RequiredSelector::parse(
                    selector,
                    "addedAffinity.requiredDuringSchedulingIgnoredDuringExecution",
                );
                let errors: Vec<&String> = parsed.errors().collect();
                if !errors.is_empty() {
                    return Err(Error::new(format!(
                        "pluginConfig {PLUGIN}: {}",
                        errors
                            .iter()
                            .map(|e| e.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                Some(parsed)
            }
        };
        let added_preferred = match added
            .preferred_during_scheduling_ignored_during_execution
            .as_deref()
        {
            None | Some([]) => None,
            Some(terms) => Some(
                PreferredTerms::parse(
                    terms,
                    "addedAffinity.preferredDuringSchedulingIgnoredDuringExecution",
                )
                .map_err(|e| Error::new(format!("pluginConfig {PLUGIN}: {e}")))?,
            ),
        };
        Ok(NodeAffinityArgs {
            added_required,
            added_preferred,
        })
    }
}

impl Args {
    /// Reads a profile's `pluginConfig` list (`[{"name": …, "args": {…}}, …]`; `null` for none).
    /// Entries for plugins that are not emulated are ignored; missing ones take kube-scheduler's
    /// defaults.
    ///
    /// # Errors
    ///
    /// When the list is not a list, or the args of an emulated plugin are invalid.
    pub fn from_plugin_config(plugin_config: &Value) -> Result<Args, Error> {
        let mut args = Args::default();
        let entries = match plugin_config {
            Value::Null => return Ok(args),
            Value::Array(entries) => entries,
            other => {
                return Err(Error::new(format!(
                    "pluginConfig must be a list, not {other}"
                )));
            }
        };
        for entry in entries {
            let name = entry.get("name").and_then(Value::as_str).unwrap_or("");
            let plugin_args = entry.get("args").unwrap_or(&Value::Null);
            match name {
                "NodeResourcesFit" => args.fit = FitArgs::from_json(plugin_args)?,
                "NodeResourcesBalancedAllocation" => {
                    args.balanced_allocation = BalancedAllocationArgs::from_json(plugin_args)?;
                }
                "NodeAffinity" => {
                    args.node_affinity = NodeAffinityArgs::from_json(plugin_args)?;
                }
                _ => {}
            }
        }
        Ok(args)
    }
}
