//! Benchmarks of guests in this host: what `simulator bench` and `make bench` print.
//!
//! For each guest (ours, TinyGo ones, anything built for the extension) and each node count it
//! measures, through the same [`WasmPlugin`] the simulator schedules with:
//!
//! - **module size** and **load** time (wasmtime compile, checks and the first instance);
//! - **instantiate**: a fresh instance of the already compiled module, as the host's pool makes one
//!   when the scheduling instance is busy in a binding cycle (`_start` included when exported);
//!   median over `instantiations` samples;
//! - per **scheduling cycle**, run as kube-scheduler runs it for one plugin — PreFilter, Filter on
//!   every candidate node (skipped on PreFilter Skip), PreScore and Score on the feasible nodes
//!   (when the guest exports `score`; skipped on PreScore Skip) — with a new pod (new UID) each
//!   round: time per PreFilter, **per Filter call** (one round's Filter time divided by its calls),
//!   per PreScore, per Score call, and the whole cycle. `warmup` rounds are run and discarded
//!   first; then `rounds` rounds are measured (fewer, but at least [`Options::min_rounds`], once a
//!   guest has used [`Options::budget`] at one node count);
//!   PreScore's time includes the host encoding the feasible-node list it hands the guest, so it
//!   grows with the node count for every guest (compare with a floor guest).
//!   At one node count the guests' measured rounds are interleaved (one cycle of each in turn), so
//!   drift on a shared machine hits them alike.
//! - **guest memory** (linear memory of the scheduling instance) after the run, host calls per
//!   cycle, and the statuses of the last cycle.
//!
//! Every figure is a [`Summary`] over rounds (or samples): median, quartiles, min and max. Only
//! ratios measured in one run mean much on a shared machine.
//!
//! Nodes are generated ([`node_name`]): even indices are `kubecon-pool-NNNNN`, odd ones
//! `workerNNNNN-east`, so `kubecon-.*` (and the anchored and Unicode patterns of `make bench`)
//! match exactly half of them.

use serde::Serialize;
use serde_json::{Map, Value, json};
use simulator_host::{
    Cluster, ExtensionPoint, Hook, PluginArgs, PodObject, SchedulerPanic, WasmPlugin,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The RegexScheduling pod annotation.
pub const REGEX_ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/regex";
/// The fleet-score node annotation (`current-load=N, target-load=N, max-load=N`).
pub const LOAD_ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/load-feedback";

/// The name of generated node `i`: `kubecon-pool-NNNNN` for even `i`, `workerNNNNN-east` for odd.
///
/// ```
/// assert_eq!(bench_harness::node_name(0), "kubecon-pool-00000");
/// assert_eq!(bench_harness::node_name(7), "worker00007-east");
/// ```
pub fn node_name(i: usize) -> String {
    if i.is_multiple_of(2) {
        format!("kubecon-pool-{i:05}")
    } else {
        format!("worker{i:05}-east")
    }
}

/// A guest to measure: its bytes and how to name it.
#[derive(Debug, Clone)]
pub struct Guest {
    /// The name printed in tables (the file name by default).
    pub label: String,
    /// Where it came from (path or URL).
    pub source: String,
    /// The module.
    pub wasm: Vec<u8>,
}

impl Guest {
    /// A guest from bytes.
    pub fn from_bytes(
        label: impl Into<String>,
        source: impl Into<String>,
        wasm: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            label: label.into(),
            source: source.into(),
            wasm: wasm.into(),
        }
    }

    /// A guest from a path, or from a `guestURL` (`file://`, `http://`, `https://`) fetched as the
    /// real plugin does. The label is the last path segment.
    pub fn open(spec: &str) -> Result<Self, String> {
        let is_url = ["file://", "http://", "https://"]
            .iter()
            .any(|p| spec.starts_with(p));
        let wasm = if is_url {
            simulator_host::fetch_guest(spec).map_err(|e| format!("{spec}: {e}"))?
        } else {
            std::fs::read(spec).map_err(|e| format!("{spec}: {e}"))?
        };
        let label = spec
            .rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or(spec)
            .to_string();
        Ok(Self::from_bytes(label, spec, wasm))
    }
}

/// What the cycles schedule: the pod (labels, annotations) and the nodes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Workload {
    /// Pod labels.
    pub pod_labels: Vec<(String, String)>,
    /// Pod annotations.
    pub pod_annotations: Vec<(String, String)>,
    /// Annotations on every node.
    pub node_annotations: Vec<(String, String)>,
    /// Give node `i` the fleet-score load annotation
    /// `current-load={i % 9}, target-load=6, max-load=8` (one node in nine is full).
    pub load_feedback: bool,
    /// The plugin's `guestConfig`.
    pub guest_config: String,
}

impl Workload {
    /// Pods annotated with a RegexScheduling pattern.
    pub fn regex(pattern: &str) -> Self {
        Self::default().pod_annotation(REGEX_ANNOTATION, pattern)
    }

    /// Adds a pod annotation.
    pub fn pod_annotation(mut self, key: &str, value: &str) -> Self {
        self.pod_annotations.push((key.into(), value.into()));
        self
    }

    /// Adds a pod label.
    pub fn pod_label(mut self, key: &str, value: &str) -> Self {
        self.pod_labels.push((key.into(), value.into()));
        self
    }

    /// The load annotation of generated node `i`, if [`Workload::load_feedback`] is set.
    pub fn load_of(&self, i: usize) -> Option<String> {
        self.load_feedback
            .then(|| format!("current-load={}, target-load=6, max-load=8", i % 9))
    }

    /// Generated node `i` as `v1.Node` JSON.
    pub fn node_json(&self, i: usize) -> Value {
        let name = node_name(i);
        let mut annotations = Map::new();
        for (k, v) in &self.node_annotations {
            annotations.insert(k.clone(), json!(v));
        }
        if let Some(load) = self.load_of(i) {
            annotations.insert(LOAD_ANNOTATION.into(), json!(load));
        }
        json!({
            "metadata": {
                "name": name, "uid": format!("{name}-uid"),
                "labels": {"kubernetes.io/hostname": name},
                "annotations": annotations,
            },
            "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}},
        })
    }

    /// The pod of round `round` as JSON (name `bench-<round>`, a new UID each round).
    pub fn pod_json(&self, round: usize) -> Value {
        let map = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect::<Map<String, Value>>()
        };
        json!({
            "metadata": {
                "name": format!("bench-{round}"), "namespace": "default",
                "uid": format!("bench-{round}-uid"),
                "labels": map(&self.pod_labels), "annotations": map(&self.pod_annotations),
            },
            "spec": {
                "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.9",
                                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}],
            },
        })
    }

    /// The pod of round `round`, encoded for the host.
    pub fn pod(&self, round: usize) -> Result<PodObject, String> {
        PodObject::from_json(&self.pod_json(round)).map_err(|e| format!("bench pod: {e}"))
    }

    /// A snapshot of `n` generated nodes.
    pub fn cluster(&self, n: usize) -> Result<Cluster, String> {
        let nodes: Vec<Value> = (0..n).map(|i| self.node_json(i)).collect();
        Cluster::from_nodes_json(&nodes).map_err(|e| format!("bench nodes: {e}"))
    }

    /// Plugin args with this workload's `guestConfig`.
    pub fn plugin_args(&self, guest: &Guest) -> PluginArgs {
        let mut args = PluginArgs::new(guest.source.clone());
        args.guest_config = self.guest_config.clone();
        args
    }

    /// Loads `guest` over `n` generated nodes.
    pub fn load(&self, guest: &Guest, n: usize) -> Result<WasmPlugin, String> {
        WasmPlugin::from_bytes(
            &guest.label,
            &guest.wasm,
            &self.plugin_args(guest),
            self.cluster(n)?,
        )
        .map_err(|e| format!("{}: {e}", guest.label))
    }
}

/// How much to measure.
#[derive(Debug, Clone, Serialize)]
pub struct Options {
    /// Node counts, each its own cluster and freshly loaded plugin.
    pub node_counts: Vec<usize>,
    /// Measured rounds (cycles) per node count.
    pub rounds: usize,
    /// Discarded rounds before measuring.
    pub warmup: usize,
    /// Fresh instances timed for the instantiate figure.
    pub instantiations: usize,
    /// After this much time at one node count (loading and warm-up included), stop once
    /// `min_rounds` are measured; also bounds the fresh-instance samples.
    #[serde(serialize_with = "secs")]
    pub budget: Duration,
    /// Rounds measured even past the budget.
    pub min_rounds: usize,
    /// Print progress lines on stderr.
    #[serde(skip)]
    pub progress: bool,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Default for Options {
    fn default() -> Self {
        Self {
            node_counts: vec![100, 5000],
            rounds: 21,
            warmup: 3,
            instantiations: 31,
            budget: Duration::from_secs(10),
            min_rounds: 5,
            progress: false,
        }
    }
}

/// Median, quartiles and extremes of a set of samples, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// The median.
    pub median_ns: f64,
    /// 25th percentile.
    pub p25_ns: f64,
    /// 75th percentile.
    pub p75_ns: f64,
    /// Smallest sample.
    pub min_ns: f64,
    /// Largest sample.
    pub max_ns: f64,
    /// How many samples.
    pub samples: usize,
}

impl Summary {
    /// The summary of `samples` (ns); `None` when empty.
    pub fn of(samples: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        Some(Self {
            median_ns: quantile(&v, 0.5),
            p25_ns: quantile(&v, 0.25),
            p75_ns: quantile(&v, 0.75),
            min_ns: v[0],
            max_ns: v[v.len() - 1],
            samples: v.len(),
        })
    }

    /// The summary of durations.
    pub fn of_durations(samples: &[Duration]) -> Option<Self> {
        Self::of(
            &samples
                .iter()
                .map(|d| d.as_nanos() as f64)
                .collect::<Vec<_>>(),
        )
    }

    /// Half the interquartile range relative to the median (0.05 = ±5 %).
    pub fn spread(&self) -> f64 {
        if self.median_ns > 0.0 {
            (self.p75_ns - self.p25_ns) / 2.0 / self.median_ns
        } else {
            0.0
        }
    }

    /// `412 ns ±3%`.
    pub fn display(&self) -> String {
        format!("{} ±{:.0}%", fmt_ns(self.median_ns), self.spread() * 100.0)
    }
}

/// Linear interpolation between closest ranks of sorted `v`.
fn quantile(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// A duration in ns as `412 ns`, `12.3 µs`, `4.56 ms` or `1.23 s`.
pub fn fmt_ns(ns: f64) -> String {
    let three = |x: f64| {
        if x >= 100.0 {
            format!("{x:.0}")
        } else if x >= 10.0 {
            format!("{x:.1}")
        } else {
            format!("{x:.2}")
        }
    };
    if ns < 1e3 {
        format!("{} ns", three(ns))
    } else if ns < 1e6 {
        format!("{} µs", three(ns / 1e3))
    } else if ns < 1e9 {
        format!("{} ms", three(ns / 1e6))
    } else {
        format!("{} s", three(ns / 1e9))
    }
}

/// A byte count as `448 KiB` or `1.6 MiB`.
pub fn fmt_bytes(b: usize) -> String {
    let b = b as f64;
    if b < 1024.0 {
        format!("{b:.0} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    }
}

/// What one guest's measurements at one node count gave.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Nodes in the cluster.
    pub nodes: usize,
    /// Rounds measured (after `warmup` discarded ones).
    pub rounds: usize,
    /// Discarded warm-up rounds.
    pub warmup: usize,
    /// Per PreFilter call (`None` without a `prefilter` export).
    pub prefilter: Option<Summary>,
    /// Per Filter call: each round's Filter time over its calls (`None` when not called).
    pub filter: Option<Summary>,
    /// Per PreScore call (`None` when not called).
    pub prescore: Option<Summary>,
    /// Per Score call: each round's Score time over its calls (`None` when not called).
    pub score: Option<Summary>,
    /// The whole cycle.
    pub cycle: Summary,
    /// Filter calls per cycle.
    pub filter_calls: usize,
    /// Score calls per cycle.
    pub score_calls: usize,
    /// Statuses of the last measured cycle, e.g. `"Filter Unschedulable": 50`.
    pub statuses: BTreeMap<String, u64>,
    /// Host calls per measured cycle, by `module.name`.
    pub host_calls_per_cycle: BTreeMap<String, f64>,
    /// Linear memory of the scheduling instance after the run.
    pub memory_bytes: usize,
    /// Live instances after the run.
    pub instances: usize,
    /// Load time of this run's plugin (compile + first instance), ns.
    pub load_ns: f64,
}

/// One guest's results.
#[derive(Debug, Clone, Serialize)]
pub struct GuestReport {
    /// The label.
    pub label: String,
    /// Path or URL.
    pub source: String,
    /// Module size in bytes.
    pub module_bytes: usize,
    /// The first load: wasmtime compile, the host's checks and the first instance (ns).
    pub load_ns: Option<f64>,
    /// Exported hooks.
    pub exports: Vec<String>,
    /// Fresh instances of the compiled module.
    pub instantiate: Option<Summary>,
    /// One entry per node count.
    pub runs: Vec<Run>,
    /// Why the guest could not be measured (load failure, a hook the real scheduler would crash
    /// on), if it could not.
    pub error: Option<String>,
}

impl GuestReport {
    /// The run at `nodes` nodes.
    pub fn at(&self, nodes: usize) -> Option<&Run> {
        self.runs.iter().find(|r| r.nodes == nodes)
    }
}

/// Everything a bench run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The options used.
    pub options: Options,
    /// The pods and nodes.
    pub workload: Workload,
    /// One entry per guest, in the order given.
    pub guests: Vec<GuestReport>,
}

impl Report {
    /// The guest labelled `label`.
    pub fn guest(&self, label: &str) -> Option<&GuestReport> {
        self.guests.iter().find(|g| g.label == label)
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(panic_text)`
fn panic_text(e: SchedulerPanic) -> String {
    e.to_string()
}

/// Times `samples` fresh instances of `plugin`'s compiled module.
///
/// Each sample pins the current scheduling instance to a binding cycle (as Permit does), so the
/// next scheduling call has to make a new instance; the time of making it (instantiation plus
/// `_start`, no hook call) is the sample. The pinned instances live until `plugin` is dropped: use
/// a plugin of its own.
pub fn instantiate_times(plugin: &WasmPlugin, samples: usize) -> Result<Vec<Duration>, String> {
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        plugin
            .pin_for_binding(&format!("bench-instantiate-{i}"))
            .map_err(panic_text)?;
        let t = Instant::now();
        plugin.set_globals(&[])?;
        out.push(t.elapsed());
    }
    Ok(out)
}

/// The time of the first Filter of `pod` on `node` in a fresh instance (made and given its
/// PreFilter untimed). Like [`instantiate_times`], it leaves an instance pinned per call.
pub fn first_filter_on_fresh_instance(
    plugin: &WasmPlugin,
    pod: &PodObject,
    node: &str,
) -> Result<Duration, String> {
    plugin
        .pin_for_binding(&format!("bench-fresh-{}", pod.uid()))
        .map_err(panic_text)?;
    plugin.set_globals(&[])?;
    let (pre, _) = plugin.pre_filter(pod).map_err(panic_text)?;
    if pre.code != simulator_host::Status::SUCCESS {
        return Err(format!(
            "PreFilter answered {}: {}",
            pre.code_name(),
            pre.reason
        ));
    }
    let t = Instant::now();
    let status = plugin.filter(pod, node).map_err(panic_text)?;
    let d = t.elapsed();
    if status.code == simulator_host::Status::ERROR {
        return Err(format!("Filter answered Error: {}", status.reason));
    }
    Ok(d)
}

/// One cycle's timings.
#[derive(Debug, Default)]
struct CycleTimes {
    prefilter: Option<Duration>,
    filter: Option<(Duration, usize)>,
    prescore: Option<Duration>,
    score: Option<(Duration, usize)>,
    total: Duration,
    /// [hook index][status code 0..=7].
    codes: [[u64; 8]; 4],
}

const HOOK_NAMES: [&str; 4] = ["PreFilter", "Filter", "PreScore", "Score"];

impl CycleTimes {
    fn tally(&mut self, hook: usize, code: i32) {
        self.codes[hook][code.clamp(0, 7) as usize] += 1;
    }

    fn statuses(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for (h, codes) in self.codes.iter().enumerate() {
            for (c, n) in codes.iter().enumerate() {
                if *n > 0 {
                    m.insert(
                        format!("{} {}", HOOK_NAMES[h], simulator_host::code_name(c as i32)),
                        *n,
                    );
                }
            }
        }
        m
    }
}

/// Runs one scheduling cycle of `pod` over `nodes` for this one plugin, as kube-scheduler would.
fn cycle(plugin: &WasmPlugin, pod: &PodObject, nodes: &[String]) -> Result<CycleTimes, String> {
    use simulator_host::Status;
    let exports = plugin.exports();
    let mut t = CycleTimes::default();
    let start = Instant::now();

    let (pre, subset) = plugin.pre_filter(pod).map_err(panic_text)?;
    let after_pre = Instant::now();
    if exports.has(Hook::PreFilter) {
        t.prefilter = Some(after_pre - start);
        t.tally(0, pre.code);
    }
    let mut feasible: Vec<&str> = Vec::with_capacity(nodes.len());
    match pre.code {
        Status::SUCCESS if exports.exposes(ExtensionPoint::Filter) => {
            let candidates: Vec<&str> = match &subset {
                None => nodes.iter().map(String::as_str).collect(),
                Some(set) => nodes
                    .iter()
                    .map(String::as_str)
                    .filter(|n| set.iter().any(|s| s == n))
                    .collect(),
            };
            let f0 = Instant::now();
            for node in &candidates {
                let status = plugin.filter(pod, node).map_err(panic_text)?;
                t.tally(1, status.code);
                if status.code == Status::SUCCESS {
                    feasible.push(node);
                }
            }
            t.filter = Some((f0.elapsed(), candidates.len()));
        }
        Status::SUCCESS | Status::SKIP => feasible.extend(nodes.iter().map(String::as_str)),
        _ => {}
    }

    if !feasible.is_empty() && exports.exposes(ExtensionPoint::Score) {
        let p0 = Instant::now();
        let status = plugin.pre_score(pod, &feasible).map_err(panic_text)?;
        if exports.has(Hook::PreScore) {
            t.prescore = Some(p0.elapsed());
            t.tally(2, status.code);
        }
        if status.code == Status::SUCCESS {
            let s0 = Instant::now();
            for node in &feasible {
                let (_, status) = plugin.score(pod, node).map_err(panic_text)?;
                t.tally(3, status.code);
            }
            t.score = Some((s0.elapsed(), feasible.len()));
        }
    }
    t.total = start.elapsed();
    Ok(t)
}

/// One guest's measurement at one node count, in progress: its plugin, the rounds so far.
struct RunState {
    plugin: WasmPlugin,
    nodes: Vec<String>,
    n: usize,
    next_round: usize,
    load_ns: f64,
    per: [Vec<f64>; 4],
    totals: Vec<f64>,
    spent: Duration,
    last: CycleTimes,
    filter_calls: usize,
    score_calls: usize,
}

impl RunState {
    /// Loads the plugin over `n` generated nodes and runs the warm-up rounds.
    fn start(guest: &Guest, workload: &Workload, n: usize, opts: &Options) -> Result<Self, String> {
        let t = Instant::now();
        let plugin = workload.load(guest, n)?;
        let load_ns = t.elapsed().as_nanos() as f64;
        let nodes: Vec<String> = (0..n).map(node_name).collect();
        // Warm-up counts against the budget: past it, no more warm-up rounds.
        for round in 0..opts.warmup {
            if t.elapsed() > opts.budget {
                break;
            }
            cycle(&plugin, &workload.pod(round)?, &nodes)?;
        }
        plugin.reset_stats();
        Ok(Self {
            plugin,
            nodes,
            n,
            next_round: opts.warmup,
            load_ns,
            per: Default::default(),
            totals: Vec::new(),
            spent: t.elapsed(),
            last: CycleTimes::default(),
            filter_calls: 0,
            score_calls: 0,
        })
    }

    fn done(&self, opts: &Options) -> bool {
        let k = self.totals.len();
        k >= opts.rounds.max(1) || (k >= opts.min_rounds.max(1) && self.spent > opts.budget)
    }

    /// One measured round (a new pod).
    fn round(&mut self, workload: &Workload) -> Result<(), String> {
        let pod = workload.pod(self.next_round)?;
        self.next_round += 1;
        let c = cycle(&self.plugin, &pod, &self.nodes)?;
        if let Some(d) = c.prefilter {
            self.per[0].push(d.as_nanos() as f64);
        }
        if let Some((d, k)) = c.filter.filter(|(_, k)| *k > 0) {
            self.per[1].push(d.as_nanos() as f64 / k as f64);
            self.filter_calls = k;
        }
        if let Some(d) = c.prescore {
            self.per[2].push(d.as_nanos() as f64);
        }
        if let Some((d, k)) = c.score.filter(|(_, k)| *k > 0) {
            self.per[3].push(d.as_nanos() as f64 / k as f64);
            self.score_calls = k;
        }
        self.totals.push(c.total.as_nanos() as f64);
        self.spent += c.total;
        self.last = c;
        Ok(())
    }

    fn finish(self, opts: &Options) -> Result<Run, String> {
        let rounds = self.totals.len();
        let stats = self.plugin.stats();
        let host_calls_per_cycle = stats
            .host_calls
            .iter()
            .map(|(k, v)| (k.clone(), *v as f64 / rounds.max(1) as f64))
            .collect();
        Ok(Run {
            nodes: self.n,
            rounds,
            warmup: opts.warmup,
            prefilter: Summary::of(&self.per[0]),
            filter: Summary::of(&self.per[1]),
            prescore: Summary::of(&self.per[2]),
            score: Summary::of(&self.per[3]),
            cycle: Summary::of(&self.totals).ok_or("no rounds measured")?,
            filter_calls: self.filter_calls,
            score_calls: self.score_calls,
            statuses: self.last.statuses(),
            host_calls_per_cycle,
            memory_bytes: self.plugin.memory_bytes(),
            instances: self.plugin.instance_count(),
            load_ns: self.load_ns,
        })
    }
}

/// Measures `guest` alone at `n` nodes: a freshly loaded plugin, `warmup` + `rounds` cycles.
pub fn run_at(guest: &Guest, workload: &Workload, n: usize, opts: &Options) -> Result<Run, String> {
    let mut state = RunState::start(guest, workload, n, opts)?;
    while !state.done(opts) {
        state.round(workload)?;
    }
    state.finish(opts)
}

/// Loads `guest` over no nodes, then times `samples` fresh instances of it. Returns the plugin's
/// load time (compile, checks, first instance), its exported hooks and the instantiate summary.
pub fn instantiate(
    guest: &Guest,
    workload: &Workload,
    samples: usize,
    budget: Duration,
) -> Result<(f64, Vec<String>, Summary), String> {
    let t = Instant::now();
    let plugin = workload.load(guest, 0)?;
    let load_ns = t.elapsed().as_nanos() as f64;
    // Fresh instances until `samples`, or until the budget is spent (at least one).
    let mut times = Vec::with_capacity(samples.max(1));
    while times.len() < samples.max(1) && (times.is_empty() || t.elapsed() <= budget) {
        times.extend(instantiate_times(&plugin, 1)?);
    }
    let summary = Summary::of_durations(&times).ok_or_else(|| "no samples".to_string())?;
    Ok((load_ns, hooks(&plugin), summary))
}

fn hooks(plugin: &WasmPlugin) -> Vec<String> {
    plugin
        .exports()
        .hooks()
        .iter()
        .map(|h| h.to_string())
        .collect()
}

/// Measures every guest at every node count with one workload (see [`run_subjects`]).
pub fn run(guests: &[Guest], workload: &Workload, opts: &Options) -> Report {
    let subjects: Vec<(&Guest, &Workload)> = guests.iter().map(|g| (g, workload)).collect();
    Report {
        options: opts.clone(),
        workload: workload.clone(),
        guests: run_subjects(&subjects, opts),
    }
}

/// Measures each (guest, workload) pair at every node count.
///
/// At each node count every pair gets its own freshly loaded plugin and its warm-up rounds, then
/// the measured rounds are **interleaved**: one cycle of each pair in turn, so drift on a shared
/// machine hits every pair alike and their ratios stay meaningful. A pair stops when it has its
/// rounds, or its own cycles have used the budget and it has `min_rounds`. With
/// `instantiations = 0` the instantiate figure is skipped. A pair that fails is reported with its
/// error; the others go on.
pub fn run_subjects(subjects: &[(&Guest, &Workload)], opts: &Options) -> Vec<GuestReport> {
    let note = |msg: String| {
        if opts.progress {
            eprintln!("bench: {msg}");
        }
    };
    let mut reports: Vec<GuestReport> = Vec::new();
    for (g, w) in subjects {
        let mut r = GuestReport {
            label: g.label.clone(),
            source: g.source.clone(),
            module_bytes: g.wasm.len(),
            load_ns: None,
            exports: Vec::new(),
            instantiate: None,
            runs: Vec::new(),
            error: None,
        };
        if opts.instantiations > 0 {
            note(format!(
                "{}: load, {} fresh instances",
                g.label, opts.instantiations
            ));
            match instantiate(g, w, opts.instantiations, opts.budget) {
                Ok((load_ns, exports, s)) => {
                    r.load_ns = Some(load_ns);
                    r.exports = exports;
                    r.instantiate = Some(s);
                }
                Err(e) => r.error = Some(e),
            }
        }
        reports.push(r);
    }
    for &n in &opts.node_counts {
        note(format!(
            "{n} nodes: loading and warming up {} guest(s)",
            subjects.len()
        ));
        let mut states: Vec<Option<RunState>> = Vec::new();
        for ((g, w), r) in subjects.iter().zip(reports.iter_mut()) {
            if r.error.is_some() {
                states.push(None);
                continue;
            }
            match RunState::start(g, w, n, opts) {
                Ok(s) => {
                    if r.exports.is_empty() {
                        r.exports = hooks(&s.plugin);
                    }
                    if r.load_ns.is_none() {
                        r.load_ns = Some(s.load_ns);
                    }
                    states.push(Some(s));
                }
                Err(e) => {
                    r.error = Some(format!("at {n} nodes: {e}"));
                    states.push(None);
                }
            }
        }
        note(format!(
            "{n} nodes: measuring, one cycle of each guest in turn"
        ));
        loop {
            let mut active = false;
            for (i, slot) in states.iter_mut().enumerate() {
                let Some(state) = slot else { continue };
                if state.done(opts) {
                    continue;
                }
                active = true;
                if let Err(e) = state.round(subjects[i].1) {
                    reports[i].error = Some(format!("at {n} nodes: {e}"));
                    *slot = None;
                }
            }
            if !active {
                break;
            }
        }
        for (slot, r) in states.into_iter().zip(reports.iter_mut()) {
            if let Some(state) = slot {
                match state.finish(opts) {
                    Ok(run) => r.runs.push(run),
                    Err(e) => r.error = Some(format!("at {n} nodes: {e}")),
                }
            }
        }
    }
    reports
}

/// Pads `cells` into aligned columns (first column left-aligned, the rest right-aligned).
pub fn columns(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut w = vec![0; width];
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            let pad = w[i] - c.chars().count();
            if i == 0 {
                line.push_str(c);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn opt(s: &Option<Summary>) -> String {
    s.as_ref().map_or_else(|| "–".to_string(), Summary::display)
}

/// Statuses as `Filter: 50 Success, 50 Unschedulable; Score: 100 Success`.
fn statuses_text(m: &BTreeMap<String, u64>) -> String {
    let mut by_hook: Vec<(&str, Vec<String>)> = Vec::new();
    for hook in HOOK_NAMES {
        let parts: Vec<String> = m
            .iter()
            .filter_map(|(k, n)| {
                let (h, code) = k.split_once(' ')?;
                (h == hook).then(|| format!("{n} {code}"))
            })
            .collect();
        if !parts.is_empty() {
            by_hook.push((hook, parts));
        }
    }
    by_hook
        .iter()
        .map(|(h, p)| format!("{h}: {}", p.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The report as readable tables.
pub fn render(report: &Report) -> String {
    let o = &report.options;
    let mut out = String::new();
    let pod: Vec<String> = report
        .workload
        .pod_labels
        .iter()
        .map(|(k, v)| format!("label {k}={v}"))
        .chain(
            report
                .workload
                .pod_annotations
                .iter()
                .map(|(k, v)| format!("{k}={v}")),
        )
        .collect();
    let _ = writeln!(
        out,
        "pod: {}",
        if pod.is_empty() {
            "no labels or annotations".to_string()
        } else {
            pod.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "nodes: kubecon-pool-NNNNN (even) and workerNNNNN-east (odd){}",
        if report.workload.load_feedback {
            "; load-feedback current-load = i mod 9, max-load 8"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "method: medians; ± is half the interquartile range. Instantiate: {} fresh instances of the compiled module (_start included). Cycles: {} warm-up rounds discarded, then up to {} rounds (at least {}, within {:.0} s of cycles per guest and node count), a new pod each round, the guests' rounds interleaved; per-call figures are a round's total over its calls. PreScore includes the host encoding the feasible-node list.",
        o.instantiations,
        o.warmup,
        o.rounds,
        o.min_rounds.min(o.rounds),
        o.budget.as_secs_f64()
    );
    out.push('\n');

    let mut rows = vec![vec![
        "guest".to_string(),
        "size".into(),
        "exports".into(),
        "load (compile)".into(),
        "instantiate".into(),
    ]];
    for g in &report.guests {
        rows.push(vec![
            g.label.clone(),
            fmt_bytes(g.module_bytes),
            if g.exports.len() > 4 {
                format!("{} hooks", g.exports.len())
            } else {
                g.exports.join(",")
            },
            g.load_ns.map_or_else(|| "–".to_string(), fmt_ns),
            opt(&g.instantiate),
        ]);
    }
    out.push_str(&columns(&rows));
    out.push('\n');

    let mut rows = vec![vec![
        "guest".to_string(),
        "nodes".into(),
        "rounds".into(),
        "PreFilter".into(),
        "Filter/call".into(),
        "PreScore".into(),
        "Score/call".into(),
        "cycle".into(),
        "memory".into(),
    ]];
    let mut notes = Vec::new();
    for &n in &o.node_counts {
        for g in &report.guests {
            let Some(r) = g.at(n) else { continue };
            rows.push(vec![
                g.label.clone(),
                n.to_string(),
                r.rounds.to_string(),
                opt(&r.prefilter),
                opt(&r.filter),
                opt(&r.prescore),
                opt(&r.score),
                r.cycle.display(),
                fmt_bytes(r.memory_bytes),
            ]);
            notes.push(format!(
                "  {} at {n}: {}",
                g.label,
                statuses_text(&r.statuses)
            ));
        }
    }
    out.push_str(&columns(&rows));
    if !notes.is_empty() {
        out.push_str("last cycle's statuses:\n");
        for n in notes {
            out.push_str(&n);
            out.push('\n');
        }
    }
    for g in &report.guests {
        if let Some(e) = &g.error {
            let _ = writeln!(out, "{}: not measured: {e}", g.label);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_quantiles() {
        let s = Summary::of(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!(
            (s.median_ns, s.p25_ns, s.p75_ns, s.min_ns, s.max_ns),
            (3.0, 2.0, 4.0, 1.0, 5.0)
        );
        assert_eq!(Summary::of(&[1.0, 2.0]).unwrap().median_ns, 1.5);
        assert!(Summary::of(&[]).is_none());
        assert!((s.spread() - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn units() {
        assert_eq!(fmt_ns(412.3), "412 ns");
        assert_eq!(fmt_ns(12_345.0), "12.3 µs");
        assert_eq!(fmt_ns(4_560_000.0), "4.56 ms");
        assert_eq!(fmt_ns(1.5e9), "1.50 s");
        assert_eq!(fmt_bytes(458_752), "448.0 KiB");
        assert_eq!(fmt_bytes(1_677_722), "1.6 MiB");
    }

    #[test]
    fn half_the_nodes_look_like_kubecon() {
        let n: Vec<String> = (0..10).map(node_name).collect();
        assert_eq!(n.iter().filter(|s| s.starts_with("kubecon-")).count(), 5);
        let w = Workload {
            load_feedback: true,
            ..Workload::regex("kubecon-.*")
        };
        assert_eq!(
            w.load_of(8).as_deref(),
            Some("current-load=8, target-load=6, max-load=8")
        );
        assert!(w.cluster(10).is_ok());
        assert!(w.pod(3).is_ok());
    }
}
