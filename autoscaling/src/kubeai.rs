//! KubeAI autoscaler algorithms (`pmady/kubeai-autoscaler` `pkg/scaling`) behind a small trait so
//! users can add their own in Rust: MaxRatio (default), AverageRatio, WeightedRatio and the
//! CappedSmoothRatio example plugin, with upstream's numbers and quirks (ratios floor at 1.0, so
//! MaxRatio/CappedSmoothRatio never scale down; CappedSmoothRatio's early returns skip clamping),
//! plus a documented [`CappedSmoothRatio::symmetric`] variant that can scale down.
//!
//! ```
//! use fleet_autoscaling::kubeai::{CappedSmoothRatio, ScalingAlgorithm, ScalingInput};
//! let mut algo = CappedSmoothRatio::default();
//! let input = |cur, r: f64| ScalingInput { current_replicas: cur, min_replicas: 1, max_replicas: 10,
//!     metric_ratios: vec![r], tolerance: 0.1, policy_name: "p".into(), policy_namespace: "ns".into() };
//! assert_eq!(algo.compute_scale(&input(4, 2.0)).unwrap().desired_replicas, 6); // capped at +50 %
//! // s = 0.3·1.0 + 0.7·2.0 = 1.7: ratios below 1 count as 1, so it keeps scaling up.
//! assert_eq!(algo.compute_scale(&input(6, 0.5)).unwrap().desired_replicas, 9);
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What an algorithm sees (Go `ScalingInput`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingInput {
    /// Replicas now.
    #[serde(default)]
    pub current_replicas: i32,
    /// Lower bound.
    #[serde(default)]
    pub min_replicas: i32,
    /// Upper bound.
    #[serde(default)]
    pub max_replicas: i32,
    /// current/target per metric.
    #[serde(default)]
    pub metric_ratios: Vec<f64>,
    /// Tolerance band around 1.0.
    #[serde(default)]
    pub tolerance: f64,
    /// Policy name (state key for stateful algorithms).
    #[serde(default)]
    pub policy_name: String,
    /// Policy namespace ("" if cluster-scoped).
    #[serde(default)]
    pub policy_namespace: String,
}

/// What an algorithm decides (Go `ScalingResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingResult {
    /// Target replicas.
    pub desired_replicas: i32,
    /// Why.
    pub reason: String,
}

/// A scaling algorithm (Go `ScalingAlgorithm`). `&mut self` makes any state explicit.
pub trait ScalingAlgorithm {
    /// Unique name, e.g. `MaxRatio`.
    fn name(&self) -> &str;
    /// The desired replicas for `input`.
    fn compute_scale(&mut self, input: &ScalingInput) -> Result<ScalingResult, String>;
}

fn clamp(v: i32, min: i32, max: i32) -> i32 {
    let mut v = v;
    if v < min {
        v = min;
    }
    if v > max {
        v = max;
    }
    v
}

fn ceil_mul(current: i32, ratio: f64) -> i32 {
    crate::go::ceil_to_i32(f64::from(current) * ratio)
}

fn within(ratio: f64, tol: f64) -> bool {
    ratio >= 1.0 - tol && ratio <= 1.0 + tol
}

/// Shared shape of the three built-ins: `ratio(input)` then tolerance, ceil and clamp.
fn ratio_compute(
    input: &ScalingInput,
    ratio: Option<f64>,
    zero_weight: bool,
    what: &str,
) -> ScalingResult {
    let clamped = |reason: &str| ScalingResult {
        desired_replicas: clamp(
            input.current_replicas,
            input.min_replicas,
            input.max_replicas,
        ),
        reason: reason.to_string(),
    };
    if input.metric_ratios.is_empty() {
        return clamped("no metrics available");
    }
    if zero_weight {
        return clamped("total weight is zero");
    }
    let ratio = ratio.unwrap_or(1.0);
    if within(ratio, input.tolerance) {
        return clamped("within tolerance");
    }
    ScalingResult {
        desired_replicas: clamp(
            ceil_mul(input.current_replicas, ratio),
            input.min_replicas,
            input.max_replicas,
        ),
        reason: format!("scaled based on {what} ratio"),
    }
}

/// Legacy `Calculate`: like `ComputeScale` with the constructor tolerance, but the no-metrics and
/// within-tolerance paths return the current replicas **unclamped**.
fn legacy(current: i32, min: i32, max: i32, ratios: &[f64], ratio: Option<f64>, tol: f64) -> i32 {
    let Some(ratio) = ratio else {
        return current;
    };
    if ratios.is_empty() || within(ratio, tol) {
        return current;
    }
    clamp(ceil_mul(current, ratio), min, max)
}

fn max_ratio(ratios: &[f64]) -> f64 {
    ratios.iter().fold(1.0, |m, r| if *r > m { *r } else { m })
}

/// Scale on the largest ratio (the running max starts at 1.0). KubeAI's default.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxRatio {
    /// Tolerance used by [`MaxRatio::calculate`] (legacy); `compute_scale` uses the input's.
    pub tolerance: f64,
}

impl MaxRatio {
    /// Legacy `Algorithm.Calculate`.
    pub fn calculate(&self, current: i32, min: i32, max: i32, ratios: &[f64]) -> i32 {
        legacy(
            current,
            min,
            max,
            ratios,
            Some(max_ratio(ratios)),
            self.tolerance,
        )
    }
}

impl ScalingAlgorithm for MaxRatio {
    fn name(&self) -> &str {
        "MaxRatio"
    }
    fn compute_scale(&mut self, input: &ScalingInput) -> Result<ScalingResult, String> {
        Ok(ratio_compute(
            input,
            Some(max_ratio(&input.metric_ratios)),
            false,
            "max",
        ))
    }
}

/// Scale on the arithmetic mean of the ratios.
#[derive(Debug, Clone, PartialEq)]
pub struct AverageRatio {
    /// Legacy tolerance.
    pub tolerance: f64,
}

fn mean(r: &[f64]) -> f64 {
    r.iter().sum::<f64>() / r.len() as f64
}

impl AverageRatio {
    /// Legacy `Algorithm.Calculate`.
    pub fn calculate(&self, current: i32, min: i32, max: i32, ratios: &[f64]) -> i32 {
        legacy(
            current,
            min,
            max,
            ratios,
            Some(mean(ratios)),
            self.tolerance,
        )
    }
}

impl ScalingAlgorithm for AverageRatio {
    fn name(&self) -> &str {
        "AverageRatio"
    }
    fn compute_scale(&mut self, input: &ScalingInput) -> Result<ScalingResult, String> {
        Ok(ratio_compute(
            input,
            Some(mean(&input.metric_ratios)),
            false,
            "average",
        ))
    }
}

/// Scale on Σwᵢrᵢ / Σwᵢ (missing weights count 1).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WeightedRatio {
    /// Legacy tolerance.
    pub tolerance: f64,
    /// Per-metric weights.
    pub weights: Vec<f64>,
}

impl WeightedRatio {
    fn weighted(&self, ratios: &[f64]) -> (f64, f64) {
        let mut sum = 0.0;
        let mut total = 0.0;
        for (i, r) in ratios.iter().enumerate() {
            let w = self.weights.get(i).copied().unwrap_or(1.0);
            sum += r * w;
            total += w;
        }
        (sum, total)
    }

    /// Legacy `Algorithm.Calculate`.
    pub fn calculate(&self, current: i32, min: i32, max: i32, ratios: &[f64]) -> i32 {
        let (sum, total) = self.weighted(ratios);
        if total == 0.0 {
            return current;
        }
        legacy(current, min, max, ratios, Some(sum / total), self.tolerance)
    }
}

impl ScalingAlgorithm for WeightedRatio {
    fn name(&self) -> &str {
        "WeightedRatio"
    }
    fn compute_scale(&mut self, input: &ScalingInput) -> Result<ScalingResult, String> {
        let (sum, total) = self.weighted(&input.metric_ratios);
        Ok(ratio_compute(
            input,
            Some(sum / total),
            total == 0.0,
            "weighted",
        ))
    }
}

/// Bounded smoothing state: policy key → smoothed ratio, evicting the least recently updated key
/// when full (upstream's map grows without bound). A small vector: a plugin instance tracks one or
/// a few policies, and this keeps the Wasm module small.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SmoothingState {
    entries: Vec<(String, f64, u64)>,
    tick: u64,
    capacity: usize,
}

impl SmoothingState {
    /// A state holding at most `capacity` keys (0 = unbounded).
    pub fn with_capacity(capacity: usize) -> SmoothingState {
        SmoothingState {
            entries: Vec::new(),
            tick: 0,
            capacity,
        }
    }
    /// The smoothed ratio of `key`.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.entries.iter().find(|e| e.0 == key).map(|e| e.1)
    }
    /// Stores `value` for `key`.
    pub fn set(&mut self, key: &str, value: f64) {
        self.tick = self.tick.wrapping_add(1);
        if let Some(e) = self.entries.iter_mut().find(|e| e.0 == key) {
            e.1 = value;
            e.2 = self.tick;
            return;
        }
        if self.capacity > 0 && self.entries.len() >= self.capacity {
            let oldest = (0..self.entries.len()).min_by_key(|&i| self.entries[i].2);
            if let Some(i) = oldest {
                self.entries.swap_remove(i);
            }
        }
        self.entries.push((key.to_string(), value, self.tick));
    }
    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// KubeAI's `CappedSmoothRatio` example: exponential smoothing of the max ratio per policy
/// (`s = α·m + (1−α)·s_prev`, first sighting `s = m`), then a per-cycle cap (+50 % / −25 %).
#[derive(Debug, Clone, PartialEq)]
pub struct CappedSmoothRatio {
    /// α (0.3).
    pub smoothing_factor: f64,
    /// Max increase per cycle (0.5).
    pub max_scale_up_percent: f64,
    /// Max decrease per cycle (0.25).
    pub max_scale_down_percent: f64,
    /// Used when the input tolerance is exactly 0 (0.1).
    pub tolerance: f64,
    /// `false` = upstream exactly. `true` = ratios are **not** floored at 1.0 (so a sustained low
    /// load smooths below 1 and the −25 % branch can scale down) and every path is clamped to
    /// [min, max].
    pub symmetric: bool,
    /// Per-policy smoothed ratios.
    pub state: SmoothingState,
}

impl Default for CappedSmoothRatio {
    fn default() -> Self {
        CappedSmoothRatio {
            smoothing_factor: 0.3,
            max_scale_up_percent: 0.5,
            max_scale_down_percent: 0.25,
            tolerance: 0.1,
            symmetric: false,
            state: SmoothingState::with_capacity(1024),
        }
    }
}

impl CappedSmoothRatio {
    /// The symmetric variant (see the field).
    pub fn symmetric() -> CappedSmoothRatio {
        CappedSmoothRatio {
            symmetric: true,
            ..CappedSmoothRatio::default()
        }
    }

    /// Upstream's state key: `namespace/name`, or `name` when the namespace is empty.
    pub fn key(input: &ScalingInput) -> String {
        if input.policy_namespace.is_empty() {
            input.policy_name.clone()
        } else {
            format!("{}/{}", input.policy_namespace, input.policy_name)
        }
    }
}

impl ScalingAlgorithm for CappedSmoothRatio {
    fn name(&self) -> &str {
        "CappedSmoothRatio"
    }

    fn compute_scale(&mut self, input: &ScalingInput) -> Result<ScalingResult, String> {
        let tol = if input.tolerance == 0.0 {
            self.tolerance
        } else {
            input.tolerance
        };
        let bound = |v: i32| {
            if self.symmetric {
                clamp(v, input.min_replicas, input.max_replicas)
            } else {
                v
            }
        };
        if input.metric_ratios.is_empty() {
            return Ok(ScalingResult {
                desired_replicas: bound(input.current_replicas),
                reason: "no metrics available".into(),
            });
        }
        let m = if self.symmetric {
            input
                .metric_ratios
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max)
        } else {
            max_ratio(&input.metric_ratios)
        };
        let key = Self::key(input);
        let s = match self.state.get(&key) {
            None => m,
            Some(prev) => self.smoothing_factor * m + (1.0 - self.smoothing_factor) * prev,
        };
        self.state.set(&key, s);
        if within(s, tol) {
            return Ok(ScalingResult {
                desired_replicas: bound(input.current_replicas),
                reason: "within tolerance after smoothing".into(),
            });
        }
        let current = f64::from(input.current_replicas);
        let uncapped = current * s;
        let desired = if s > 1.0 {
            crate::go::ceil_to_i32(uncapped.min(current + current * self.max_scale_up_percent))
        } else {
            crate::go::ceil_to_i32(uncapped.max(current - current * self.max_scale_down_percent))
        };
        Ok(ScalingResult {
            desired_replicas: clamp(desired, input.min_replicas, input.max_replicas),
            reason: "scaled with capped smoothing".into(),
        })
    }
}

/// Algorithms by name (Go `Registry`).
#[derive(Default)]
pub struct Registry {
    algorithms: BTreeMap<String, Box<dyn ScalingAlgorithm>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.algorithms.keys()).finish()
    }
}

impl Registry {
    /// The built-ins at tolerance 0.1 (KubeAI's `DefaultRegistry`).
    pub fn with_builtins() -> Registry {
        let mut r = Registry::default();
        for a in [
            Box::new(MaxRatio { tolerance: 0.1 }) as Box<dyn ScalingAlgorithm>,
            Box::new(AverageRatio { tolerance: 0.1 }),
            Box::new(WeightedRatio {
                tolerance: 0.1,
                weights: Vec::new(),
            }),
        ] {
            let _ = r.register(a);
        }
        r
    }

    /// Adds an algorithm; names are trimmed and must be unique and non-empty.
    pub fn register(&mut self, algorithm: Box<dyn ScalingAlgorithm>) -> Result<(), String> {
        let name = algorithm.name().trim().to_string();
        if name.is_empty() {
            return Err("algorithm name must be non-empty".into());
        }
        if self.algorithms.contains_key(&name) {
            return Err(format!(
                "algorithm already registered: name={}",
                crate::go::quote(&name)
            ));
        }
        self.algorithms.insert(name, algorithm);
        Ok(())
    }

    /// The algorithm called `name`.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut (dyn ScalingAlgorithm + 'static)> {
        self.algorithms.get_mut(name).map(|b| b.as_mut())
    }

    /// Registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.algorithms.keys().cloned().collect()
    }
}

/// `spec` of an `AIInferenceAutoscalerPolicy` (the parts the reconciler's calculation reads).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySpec {
    /// Lower bound (0 → 1).
    #[serde(default)]
    pub min_replicas: i32,
    /// Upper bound.
    #[serde(default)]
    pub max_replicas: i32,
    /// Metrics and targets.
    #[serde(default)]
    pub metrics: MetricsSpec,
    /// Algorithm choice.
    #[serde(default)]
    pub algorithm: Option<AlgorithmSpec>,
}

/// `spec.algorithm`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlgorithmSpec {
    /// Algorithm name.
    #[serde(default)]
    pub name: String,
    /// Tolerance, honoured even when 0.
    #[serde(default)]
    pub tolerance: f64,
    /// WeightedRatio weights.
    #[serde(default)]
    pub weights: Vec<f64>,
}

/// `spec.metrics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsSpec {
    /// Latency targets.
    #[serde(default)]
    pub latency: Option<LatencyMetric>,
    /// GPU utilisation target.
    #[serde(default)]
    pub gpu_utilization: Option<GpuMetric>,
    /// Queue depth target.
    #[serde(default)]
    pub request_queue_depth: Option<QueueMetric>,
}

/// Latency metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyMetric {
    /// Enabled.
    #[serde(default)]
    pub enabled: bool,
    /// P99 target (ms).
    #[serde(default, rename = "targetP99Ms")]
    pub target_p99_ms: i32,
    /// P95 target (ms).
    #[serde(default, rename = "targetP95Ms")]
    pub target_p95_ms: i32,
}

/// GPU metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuMetric {
    /// Enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Target %.
    #[serde(default)]
    pub target_percentage: i32,
}

/// Queue metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueMetric {
    /// Enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Target depth per replica.
    #[serde(default)]
    pub target_depth: i32,
}

/// Observed metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentMetrics {
    /// P99 (ms).
    #[serde(default, rename = "latencyP99Ms")]
    pub latency_p99_ms: i32,
    /// P95 (ms).
    #[serde(default, rename = "latencyP95Ms")]
    pub latency_p95_ms: i32,
    /// GPU %.
    #[serde(default)]
    pub gpu_utilization_percent: i32,
    /// Queue depth.
    #[serde(default)]
    pub request_queue_depth: i32,
}

/// The reconciler's ratios, in order p99, p95, GPU, queue (`cur / (target × replicas)`); a metric
/// counts only when enabled and both numbers are > 0.
pub fn metric_ratios(spec: &PolicySpec, current_replicas: i32, m: &CurrentMetrics) -> Vec<f64> {
    let mut out = Vec::new();
    if let Some(l) = spec.metrics.latency.as_ref().filter(|l| l.enabled) {
        if l.target_p99_ms > 0 && m.latency_p99_ms > 0 {
            out.push(f64::from(m.latency_p99_ms) / f64::from(l.target_p99_ms));
        }
        if l.target_p95_ms > 0 && m.latency_p95_ms > 0 {
            out.push(f64::from(m.latency_p95_ms) / f64::from(l.target_p95_ms));
        }
    }
    if let Some(g) = spec.metrics.gpu_utilization.as_ref().filter(|g| g.enabled)
        && g.target_percentage > 0
        && m.gpu_utilization_percent > 0
    {
        out.push(f64::from(m.gpu_utilization_percent) / f64::from(g.target_percentage));
    }
    if let Some(q) = spec
        .metrics
        .request_queue_depth
        .as_ref()
        .filter(|q| q.enabled)
        && q.target_depth > 0
        && m.request_queue_depth > 0
    {
        let denom = i64::from(q.target_depth) * i64::from(current_replicas);
        out.push(f64::from(m.request_queue_depth) / denom as f64);
    }
    out
}

/// The reconciler's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Target replicas.
    pub desired_replicas: i32,
    /// Algorithm actually used.
    pub algorithm_used: String,
    /// Reason from the algorithm.
    pub reason: String,
    /// The user named an algorithm the registry lacks (fell back to MaxRatio).
    pub requested_algorithm_not_found: bool,
    /// The name the user asked for ("" if none).
    pub requested_name: String,
}

/// KubeAI's `calculateDesiredReplicas`: pick the algorithm (fallback MaxRatio), tolerance 0.1
/// unless `spec.algorithm` is present (then its tolerance, even 0), min 0 → 1.
pub fn calculate_desired_replicas(
    registry: &mut Registry,
    spec: &PolicySpec,
    policy_name: &str,
    policy_namespace: &str,
    current_replicas: i32,
    metrics: &CurrentMetrics,
) -> Decision {
    let mut name = "MaxRatio".to_string();
    let mut requested = String::new();
    let mut tolerance = 0.1;
    let mut weights = Vec::new();
    if let Some(a) = &spec.algorithm {
        if !a.name.is_empty() {
            requested = a.name.clone();
            name = a.name.clone();
        }
        tolerance = a.tolerance;
        weights = a.weights.clone();
    }
    let mut not_found = false;
    if registry.get_mut(&name).is_none() {
        not_found = !requested.is_empty();
        name = "MaxRatio".to_string();
    }
    let input = ScalingInput {
        current_replicas,
        min_replicas: if spec.min_replicas == 0 {
            1
        } else {
            spec.min_replicas
        },
        max_replicas: spec.max_replicas,
        metric_ratios: metric_ratios(spec, current_replicas, metrics),
        tolerance,
        policy_name: policy_name.to_string(),
        policy_namespace: policy_namespace.to_string(),
    };
    let result = if name == "WeightedRatio" && !weights.is_empty() {
        WeightedRatio {
            tolerance: 0.1,
            weights,
        }
        .compute_scale(&input)
    } else {
        match registry.get_mut(&name) {
            Some(a) => a.compute_scale(&input),
            None => Err("no algorithm available".to_string()),
        }
    };
    match result {
        Ok(r) => Decision {
            desired_replicas: r.desired_replicas,
            algorithm_used: name,
            reason: r.reason,
            requested_algorithm_not_found: not_found,
            requested_name: requested,
        },
        Err(_) => Decision {
            desired_replicas: current_replicas,
            algorithm_used: name,
            reason: "computation failed".into(),
            requested_algorithm_not_found: not_found,
            requested_name: requested,
        },
    }
}
