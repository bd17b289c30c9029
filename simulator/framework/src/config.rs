//! A `KubeSchedulerConfiguration` (`kubescheduler.config.k8s.io/v1`, YAML or JSON) and one of its
//! profiles resolved as kube-scheduler 1.33 resolves it:
//!
//! - the default plugins are merged into `plugins.multiPoint` (`mergePluginSet`: a default plugin
//!   the user lists again is replaced in place, weight included; other user plugins come after the
//!   defaults; `disabled: [{name: "*"}]` drops every default);
//! - each extension point gets its plugins in the framework's order (explicit overrides at that
//!   point, then multiPoint plugins implementing it, then the point's other enabled plugins;
//!   `disabled` at a point removes plugins there);
//! - Score weights: the point's own `score.enabled` weight, else the multiPoint weight; 0 means 1;
//! - wasm plugins are registered exactly as the real scheduler registers them (docs/abi.md §5.1): a
//!   `pluginConfig` entry whose args decode as the wasm `PluginConfig`, whose name is listed in
//!   `plugins.multiPoint.enabled`. Where the real scheduler would silently not run a wasm plugin
//!   (enabled only under `filter:`, `guestConfig` given as a map, …) a warning says so.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use intree_plugins::{InTree, InTreePlugin};
use serde_json::Value;

use simulator_host::PluginArgs;

/// An extension point of the scheduling framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Point {
    /// `preEnqueue` (SchedulingGates).
    PreEnqueue,
    /// `queueSort` (PrioritySort).
    QueueSort,
    /// `preFilter`.
    PreFilter,
    /// `filter`.
    Filter,
    /// `postFilter`.
    PostFilter,
    /// `preScore`.
    PreScore,
    /// `score` (NormalizeScore is the score plugin's extension).
    Score,
    /// `reserve` (Reserve and Unreserve).
    Reserve,
    /// `permit`.
    Permit,
    /// `preBind`.
    PreBind,
    /// `bind`.
    Bind,
    /// `postBind`.
    PostBind,
}

impl Point {
    /// Every extension point, in cycle order.
    pub const ALL: [Point; 12] = [
        Point::PreEnqueue,
        Point::QueueSort,
        Point::PreFilter,
        Point::Filter,
        Point::PostFilter,
        Point::PreScore,
        Point::Score,
        Point::Reserve,
        Point::Permit,
        Point::PreBind,
        Point::Bind,
        Point::PostBind,
    ];

    /// The key under `plugins` (`preFilter`, `filter`, …).
    pub const fn key(self) -> &'static str {
        match self {
            Point::PreEnqueue => "preEnqueue",
            Point::QueueSort => "queueSort",
            Point::PreFilter => "preFilter",
            Point::Filter => "filter",
            Point::PostFilter => "postFilter",
            Point::PreScore => "preScore",
            Point::Score => "score",
            Point::Reserve => "reserve",
            Point::Permit => "permit",
            Point::PreBind => "preBind",
            Point::Bind => "bind",
            Point::PostBind => "postBind",
        }
    }

    /// The name kube-scheduler uses in messages (`PreFilter`, `Filter`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Point::PreEnqueue => "PreEnqueue",
            Point::QueueSort => "QueueSort",
            Point::PreFilter => "PreFilter",
            Point::Filter => "Filter",
            Point::PostFilter => "PostFilter",
            Point::PreScore => "PreScore",
            Point::Score => "Score",
            Point::Reserve => "Reserve",
            Point::Permit => "Permit",
            Point::PreBind => "PreBind",
            Point::Bind => "Bind",
            Point::PostBind => "PostBind",
        }
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// In-tree plugins kube-scheduler has had (1.33's, plus the volume-limit plugins removed since,
/// which older exports still list). Those [`intree_plugins`] emulates and those the framework
/// handles itself ([`FrameworkPlugin`]) run; the others are named as not emulated.
pub const KNOWN_IN_TREE: &[&str] = &[
    "SchedulingGates",
    "PrioritySort",
    "NodeUnschedulable",
    "NodeName",
    "TaintToleration",
    "NodeAffinity",
    "NodePorts",
    "NodeResourcesFit",
    "VolumeRestrictions",
    "EBSLimits",
    "GCEPDLimits",
    "AzureDiskLimits",
    "CinderLimits",
    "NodeVolumeLimits",
    "VolumeBinding",
    "VolumeZone",
    "PodTopologySpread",
    "InterPodAffinity",
    "DynamicResources",
    "DefaultPreemption",
    "NodeResourcesBalancedAllocation",
    "ImageLocality",
    "DefaultBinder",
];

/// In-tree plugins the simulator's framework implements itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrameworkPlugin {
    /// PreEnqueue: a pod with `spec.schedulingGates` is not attempted.
    SchedulingGates,
    /// QueueSort: higher `spec.priority` first, then scenario order.
    PrioritySort,
    /// Bind: the pod gets `spec.nodeName`.
    DefaultBinder,
}

impl FrameworkPlugin {
    /// Its kube-scheduler name.
    pub const fn name(self) -> &'static str {
        match self {
            FrameworkPlugin::SchedulingGates => "SchedulingGates",
            FrameworkPlugin::PrioritySort => "PrioritySort",
            FrameworkPlugin::DefaultBinder => "DefaultBinder",
        }
    }

    fn from_name(name: &str) -> Option<FrameworkPlugin> {
        match name {
            "SchedulingGates" => Some(FrameworkPlugin::SchedulingGates),
            "PrioritySort" => Some(FrameworkPlugin::PrioritySort),
            "DefaultBinder" => Some(FrameworkPlugin::DefaultBinder),
            _ => None,
        }
    }

    /// The one extension point it implements.
    pub const fn point(self) -> Point {
        match self {
            FrameworkPlugin::SchedulingGates => Point::PreEnqueue,
            FrameworkPlugin::PrioritySort => Point::QueueSort,
            FrameworkPlugin::DefaultBinder => Point::Bind,
        }
    }
}

/// What runs behind a plugin name.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginKind {
    /// Emulated by `intree-plugins`.
    InTree(InTreePlugin),
    /// Implemented by the simulator's framework.
    Framework(FrameworkPlugin),
    /// A wasm guest, registered from `pluginConfig` + `multiPoint`.
    Wasm(PluginArgs),
    /// An in-tree plugin the simulator does not emulate: it is left out of every cycle.
    NotEmulated,
}

/// A plugin as enabled in a plugin set: its name and score weight (0 when not given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enabled {
    /// The plugin name.
    pub name: String,
    /// The `weight` field (0 when absent).
    pub weight: i64,
}

/// A configuration error: the message names the file and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Parses configuration text: JSON when it starts with `{`, else YAML (with `serde-saphyr`).
pub fn parse_text(text: &str) -> Result<Value, String> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))
    } else {
        serde_saphyr::from_str::<Value>(text).map_err(|e| format!("invalid YAML: {e}"))
    }
}

/// A `KubeSchedulerConfiguration`, with where it came from (for messages).
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// The configuration as JSON.
    pub value: Value,
    /// Where it came from: a file name, or `<scenario> (schedulerConfig)`.
    pub source: String,
}

impl SchedulerConfig {
    /// Reads a configuration from YAML or JSON text.
    pub fn from_text(text: &str, source: &str) -> Result<SchedulerConfig, ConfigError> {
        let value = parse_text(text).map_err(|e| ConfigError(format!("{source}: {e}")))?;
        SchedulerConfig::from_value(value, source)
    }

    /// Checks a configuration given as JSON: an object, `kind: KubeSchedulerConfiguration` when a
    /// kind is given, and at least one profile.
    pub fn from_value(value: Value, source: &str) -> Result<SchedulerConfig, ConfigError> {
        let err = |m: String| ConfigError(format!("{source}: {m}"));
        if !value.is_object() {
            return Err(err(format!(
                "a KubeSchedulerConfiguration must be a mapping, not {}",
                kind_of(&value)
            )));
        }
        if let Some(kind) = value.get("kind").and_then(Value::as_str)
            && kind != "KubeSchedulerConfiguration"
        {
            return Err(err(format!(
                "kind is {kind:?}, expected KubeSchedulerConfiguration"
            )));
        }
        match value.get("profiles") {
            Some(Value::Array(p)) if !p.is_empty() => {}
            Some(Value::Array(_)) | None | Some(Value::Null) => {
                return Err(err(
                    "the configuration has no profiles: add `profiles: [{schedulerName: default-scheduler, plugins: {multiPoint: {enabled: [{name: <wasm plugin>}]}}, pluginConfig: [...]}]`".into(),
                ));
            }
            Some(other) => {
                return Err(err(format!(
                    "profiles must be a list, not {}",
                    kind_of(other)
                )));
            }
        }
        Ok(SchedulerConfig {
            value,
            source: source.to_string(),
        })
    }

    /// The names of the profiles (`schedulerName`, default `default-scheduler`).
    pub fn profile_names(&self) -> Vec<String> {
        self.profiles().iter().map(scheduler_name).collect()
    }

    fn profiles(&self) -> &[Value] {
        self.value
            .get("profiles")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Resolves the profile named `name` (its `schedulerName`), or the first one.
    pub fn profile(&self, name: Option<&str>) -> Result<Profile, ConfigError> {
        let profiles = self.profiles();
        let profile = match name {
            None => profiles.first(),
            Some(n) => profiles.iter().find(|p| scheduler_name(p) == n),
        };
        let Some(profile) = profile else {
            return Err(ConfigError(format!(
                "{}: no profile named {:?} (profiles: {})",
                self.source,
                name.unwrap_or_default(),
                self.profile_names().join(", ")
            )));
        };
        let global_pct = self
            .value
            .get("percentageOfNodesToScore")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        Profile::resolve(profile, global_pct, &self.source)
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn scheduler_name(profile: &Value) -> String {
    profile
        .get("schedulerName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default-scheduler")
        .to_string()
}

/// Whether `args` decode into the wasm plugin's `PluginConfig` the way Go's `json.Unmarshal` would
/// (unknown keys ignored): `null`, or an object whose `guestURL`/`guestConfig` are strings and
/// whose `logSeverity` is an integer. The reason when not.
fn decodes_as_wasm(args: &Value) -> Result<(), String> {
    let Some(obj) = args.as_object() else {
        return if args.is_null() {
            Ok(())
        } else {
            Err(format!("args must be a mapping, not {}", kind_of(args)))
        };
    };
    for key in ["guestURL", "guestConfig"] {
        match obj.get(key) {
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(other) => {
                return Err(format!(
                    "{key} must be a string, not {} (kube-scheduler cannot decode it{})",
                    kind_of(other),
                    if key == "guestConfig" {
                        "; write the guest's JSON as a string: guestConfig: '{\"key\": 1}'"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    match obj.get("logSeverity") {
        None | Some(Value::Null) => Ok(()),
        Some(v) if v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()) => Ok(()),
        Some(other) => Err(format!("logSeverity must be an int32, not {other}")),
    }
}

fn plugin_set(plugins: &Value, key: &str) -> (Vec<Enabled>, Vec<String>) {
    let set = plugins.get(key);
    let names = |k: &str| -> Vec<&Value> {
        set.and_then(|s| s.get(k))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    };
    let enabled = names("enabled")
        .into_iter()
        .map(|p| Enabled {
            name: p
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            weight: p.get("weight").and_then(Value::as_i64).unwrap_or(0),
        })
        .collect();
    let disabled = names("disabled")
        .into_iter()
        .filter_map(|p| p.get("name").and_then(Value::as_str).map(String::from))
        .collect();
    (enabled, disabled)
}

/// One profile, resolved: which plugin runs behind each name, the plugin order per extension
/// point and the score weights.
#[derive(Debug, Clone)]
pub struct Profile {
    /// `schedulerName`.
    pub scheduler_name: String,
    /// What runs behind each plugin name that appears in the profile.
    pub kinds: BTreeMap<String, PluginKind>,
    /// `plugins.multiPoint.enabled` after merging kube-scheduler's defaults.
    pub multi_point: Vec<Enabled>,
    /// Each extension point's own `enabled` and `disabled` lists.
    pub specific: BTreeMap<Point, (Vec<Enabled>, Vec<String>)>,
    /// The wasm plugins, in multiPoint order.
    pub wasm: Vec<(String, PluginArgs)>,
    /// The emulated in-tree plugins, configured by `pluginConfig`.
    pub in_tree: InTree,
    /// `percentageOfNodesToScore` (profile, else global; 0 = kube-scheduler's adaptive default).
    pub percentage_of_nodes_to_score: i64,
    /// Where the real scheduler would not run a plugin the user probably meant to run.
    pub warnings: Vec<String>,
    /// In-tree plugins of the profile that are not emulated, each named once.
    pub not_emulated: Vec<String>,
    /// Where the configuration came from (as [`SchedulerConfig::source`]), for error messages.
    pub source: String,
}

impl Profile {
    fn resolve(profile: &Value, global_pct: i64, source: &str) -> Result<Profile, ConfigError> {
        let name = scheduler_name(profile);
        let err = |m: String| ConfigError(format!("{source}: profile {name:?}: {m}"));
        let plugins = profile.get("plugins").cloned().unwrap_or(Value::Null);
        let in_tree = InTree::from_profile(profile).map_err(|e| err(e.message().to_string()))?;
        let mut warnings = Vec::new();

        // pluginConfig: which entries are wasm PluginConfigs.
        let mut wasm_candidates: BTreeMap<String, Value> = BTreeMap::new();
        let mut not_wasm: BTreeMap<String, String> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        if let Some(entries) = profile.get("pluginConfig").and_then(Value::as_array) {
            for entry in entries {
                let pname = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if !seen.insert(pname.clone()) {
                    return Err(err(format!("repeated config for plugin {pname}")));
                }
                if KNOWN_IN_TREE.contains(&pname.as_str()) {
                    continue;
                }
                let args = entry.get("args").cloned().unwrap_or(Value::Null);
                match decodes_as_wasm(&args) {
                    Ok(()) => {
                        wasm_candidates.insert(pname, args);
                    }
                    Err(why) => {
                        not_wasm.insert(pname, why);
                    }
                }
            }
        }

        // multiPoint, merged with the defaults.
        let (user_mp, user_mp_disabled) = plugin_set(&plugins, "multiPoint");
        let multi_point = merge_defaults(&user_mp, &user_mp_disabled);
        let mut specific = BTreeMap::new();
        for point in Point::ALL {
            specific.insert(point, plugin_set(&plugins, point.key()));
        }

        let mut kinds: BTreeMap<String, PluginKind> = BTreeMap::new();
        let mut wasm = Vec::new();
        let mut not_emulated = Vec::new();
        let mut classify_in_tree = |n: &str, kinds: &mut BTreeMap<String, PluginKind>| -> bool {
            if let Some(p) = InTreePlugin::from_name(n) {
                kinds.insert(n.to_string(), PluginKind::InTree(p));
            } else if let Some(p) = FrameworkPlugin::from_name(n) {
                kinds.insert(n.to_string(), PluginKind::Framework(p));
            } else if KNOWN_IN_TREE.contains(&n) {
                kinds.insert(n.to_string(), PluginKind::NotEmulated);
                if !not_emulated.iter().any(|x: &String| x == n) {
                    not_emulated.push(n.to_string());
                }
            } else {
                return false;
            }
            true
        };
        let mut dropped: BTreeSet<String> = BTreeSet::new();
        for e in &multi_point {
            if classify_in_tree(&e.name, &mut kinds) || kinds.contains_key(&e.name) {
                continue;
            }
            if let Some(args) = wasm_candidates.get(&e.name) {
                let args = PluginArgs::from_json(&e.name, args).map_err(|e| err(e.to_string()))?;
                kinds.insert(e.name.clone(), PluginKind::Wasm(args.clone()));
                wasm.push((e.name.clone(), args));
            } else if let Some(why) = not_wasm.get(&e.name) {
                warnings.push(format!(
                    "plugin {:?} is enabled in multiPoint, but its pluginConfig args do not decode as a wasm PluginConfig ({why}); kube-scheduler does not register it as a wasm plugin, so it does not run",
                    e.name
                ));
                dropped.insert(e.name.clone());
            } else {
                return Err(err(format!(
                    "multiPoint plugin {:?} does not exist: it is not an in-tree plugin, and a wasm plugin needs a pluginConfig entry with the same name and `args: {{guestURL: ...}}`",
                    e.name
                )));
            }
        }
        for point in Point::ALL {
            let (enabled, _) = &specific[&point];
            for e in enabled {
                if kinds.contains_key(&e.name) || dropped.contains(&e.name) {
                    continue;
                }
                if classify_in_tree(&e.name, &mut kinds) {
                    continue;
                }
                if wasm_candidates.contains_key(&e.name) || not_wasm.contains_key(&e.name) {
                    warnings.push(format!(
                        "plugin {:?} is enabled only under plugins.{}; kube-scheduler registers wasm plugins only from plugins.multiPoint.enabled, so it does not run (enable it under multiPoint)",
                        e.name,
                        point.key()
                    ));
                    dropped.insert(e.name.clone());
                } else {
                    return Err(err(format!(
                        "{} plugin {:?} does not exist",
                        point.name(),
                        e.name
                    )));
                }
            }
        }
        for n in wasm_candidates.keys() {
            if !kinds.contains_key(n) && !dropped.contains(n) {
                warnings.push(format!(
                    "pluginConfig has wasm args for {n:?}, but {n:?} is not in plugins.multiPoint.enabled; kube-scheduler does not register it, so it does not run"
                ));
            }
        }
        // Per-point lists never name dropped plugins.
        for (enabled, _) in specific.values_mut() {
            enabled.retain(|e| !dropped.contains(&e.name));
        }

        let pct = profile
            .get("percentageOfNodesToScore")
            .and_then(Value::as_i64)
            .unwrap_or(global_pct);
        Ok(Profile {
            scheduler_name: name,
            kinds,
            multi_point,
            specific,
            wasm,
            in_tree,
            percentage_of_nodes_to_score: pct,
            warnings,
            not_emulated,
            source: source.to_string(),
        })
    }

    /// What runs behind `name`.
    pub fn kind(&self, name: &str) -> Option<&PluginKind> {
        self.kinds.get(name)
    }

    /// The plugins at `point`, in kube-scheduler's order (explicit overrides at the point, then
    /// multiPoint plugins that implement it, then the point's other enabled plugins), given which
    /// plugins implement which point. Plugins that are not emulated are left out.
    pub fn plugins_at(
        &self,
        point: Point,
        implements: impl Fn(&str, Point) -> bool,
    ) -> Vec<String> {
        let (enabled, disabled) = &self.specific[&point];
        let runs = |n: &str| !matches!(self.kinds.get(n), Some(PluginKind::NotEmulated) | None);
        let explicit: Vec<&str> = enabled
            .iter()
            .map(|e| e.name.as_str())
            .filter(|n| implements(n, point))
            .collect();
        let mut overrides = BTreeSet::new();
        let mut multi = Vec::new();
        if !disabled.iter().any(|d| d == "*") {
            for e in &self.multi_point {
                if !implements(&e.name, point) || disabled.contains(&e.name) {
                    continue;
                }
                if explicit.contains(&e.name.as_str()) {
                    overrides.insert(e.name.as_str());
                } else if !multi.contains(&e.name.as_str()) {
                    multi.push(e.name.as_str());
                }
            }
        }
        let mut out: Vec<String> = Vec::new();
        let mut push = |n: &str| {
            if runs(n) && !out.iter().any(|o| o == n) {
                out.push(n.to_string());
            }
        };
        explicit
            .iter()
            .filter(|n| overrides.contains(*n))
            .for_each(|n| push(n));
        multi.iter().for_each(|n| push(n));
        explicit
            .iter()
            .filter(|n| !overrides.contains(*n))
            .for_each(|n| push(n));
        out
    }

    /// The score weight of `name`: its `score.enabled` weight, else its multiPoint weight; 0 (or
    /// absent) means 1.
    pub fn weight(&self, name: &str) -> i64 {
        let find = |list: &[Enabled]| list.iter().find(|e| e.name == name).map(|e| e.weight);
        let w = find(&self.specific[&Point::Score].0)
            .or_else(|| find(&self.multi_point))
            .unwrap_or(0);
        if w == 0 { 1 } else { w }
    }
}

/// `mergePluginSet` of kube-scheduler's v1 defaulting for `multiPoint`.
fn merge_defaults(custom: &[Enabled], disabled: &[String]) -> Vec<Enabled> {
    let mut out = Vec::new();
    let mut replaced = BTreeSet::new();
    if !disabled.iter().any(|d| d == "*") {
        for (name, weight) in intree_plugins::DEFAULT_PLUGINS {
            if disabled.iter().any(|d| d == name) {
                continue;
            }
            match custom.iter().position(|c| c.name == *name) {
                Some(i) => {
                    replaced.insert(i);
                    out.push(custom[i].clone());
                }
                None => out.push(Enabled {
                    name: (*name).to_string(),
                    weight: weight.unwrap_or(0),
                }),
            }
        }
    }
    for (i, c) in custom.iter().enumerate() {
        if !replaced.contains(&i) {
            out.push(c.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(v: Value) -> Result<Profile, ConfigError> {
        SchedulerConfig::from_value(json!({"profiles": [v]}), "cfg.yaml")?.profile(None)
    }

    #[test]
    fn defaults_then_wasm() {
        let p = profile(json!({
            "plugins": {"multiPoint": {"enabled": [{"name": "Wasm", "weight": 4}]}},
            "pluginConfig": [{"name": "Wasm", "args": {"guestURL": "file://x.wasm"}}]
        }))
        .unwrap();
        assert_eq!(
            p.multi_point.len(),
            intree_plugins::DEFAULT_PLUGINS.len() + 1
        );
        assert_eq!(p.wasm[0].0, "Wasm");
        assert_eq!(p.weight("Wasm"), 4);
        assert_eq!(p.weight("TaintToleration"), 3);
        assert!(p.not_emulated.contains(&"NodePorts".to_string()));
        let filter = p.plugins_at(Point::Filter, |n, _| n != "NodeResourcesBalancedAllocation");
        assert_eq!(filter.last().map(String::as_str), Some("Wasm"));
        assert!(!filter.contains(&"NodePorts".to_string()));
    }

    #[test]
    fn reconfigured_default_loses_its_weight_and_star_disables() {
        let p = profile(json!({"plugins": {"multiPoint": {
            "enabled": [{"name": "TaintToleration"}], "disabled": [{"name": "NodeAffinity"}]}}}))
        .unwrap();
        assert_eq!(p.weight("TaintToleration"), 1);
        assert!(!p.multi_point.iter().any(|e| e.name == "NodeAffinity"));
        let p = profile(json!({"plugins": {
            "multiPoint": {"disabled": [{"name": "*"}]},
            "filter": {"enabled": [{"name": "NodeName"}]},
            "score": {"enabled": [{"name": "NodeResourcesFit", "weight": 7}]}}}))
        .unwrap();
        assert!(p.multi_point.is_empty());
        assert_eq!(p.plugins_at(Point::Filter, |_, _| true), ["NodeName"]);
        assert_eq!(p.weight("NodeResourcesFit"), 7);
    }

    #[test]
    fn wasm_registration_rules() {
        // Only under filter: not registered.
        let p = profile(json!({
            "plugins": {"filter": {"enabled": [{"name": "Wasm"}]}},
            "pluginConfig": [{"name": "Wasm", "args": {"guestURL": "file://x.wasm"}}]
        }))
        .unwrap();
        assert!(p.wasm.is_empty());
        assert!(
            p.warnings[0].contains("enabled only under plugins.filter"),
            "{:?}",
            p.warnings
        );
        // guestConfig as a map.
        let p = profile(json!({
            "plugins": {"multiPoint": {"enabled": [{"name": "Wasm"}]}},
            "pluginConfig": [{"name": "Wasm", "args": {"guestURL": "x", "guestConfig": {"a": 1}}}]
        }))
        .unwrap();
        assert!(p.wasm.is_empty());
        assert!(
            p.warnings[0].contains("guestConfig must be a string"),
            "{:?}",
            p.warnings
        );
        // Unknown args: an error naming the file.
        let e = profile(json!({
            "plugins": {"multiPoint": {"enabled": [{"name": "Wasm"}]}},
            "pluginConfig": [{"name": "Wasm", "args": {"guestUrl": "x"}}]
        }))
        .unwrap_err();
        assert!(e.0.starts_with("cfg.yaml: profile \"default-scheduler\": failed to decode into Wasm PluginConfig: unknown field `guestUrl`"), "{e}");
        // Enabled without pluginConfig.
        let e = profile(json!({"plugins": {"multiPoint": {"enabled": [{"name": "Wasm"}]}}}))
            .unwrap_err();
        assert!(
            e.0.contains("multiPoint plugin \"Wasm\" does not exist"),
            "{e}"
        );
    }

    #[test]
    fn no_profiles() {
        let e = SchedulerConfig::from_text(
            "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n",
            "c.yaml",
        )
        .unwrap_err();
        assert!(
            e.0.starts_with("c.yaml: the configuration has no profiles"),
            "{e}"
        );
        let e = SchedulerConfig::from_text("profiles: [\n", "c.yaml").unwrap_err();
        assert!(e.0.starts_with("c.yaml: invalid YAML: "), "{e}");
    }
}
