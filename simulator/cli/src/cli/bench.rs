//! `simulator bench`: time guests in the host — instantiate, per hook call, per cycle, memory.
//!
//! The measuring is `bench_harness` (bench/harness); this is its command line.

use std::process::ExitCode;
use std::time::Duration;

use bench_harness::{self as bench, Guest, Options, Workload};
use clap::Args;

/// `simulator bench` arguments.
#[derive(Debug, Args)]
#[command(
    about = "Time guests in the host: instantiate, per Filter/Score call, per cycle, memory",
    long_about = "Time one or more guests (ours, TinyGo ones, any guest built for kube-scheduler-wasm-extension) in the simulator's host, in one run so their ratios can be compared.\n\nFor each guest: module size, load time (wasmtime compile + first instance), instantiate time (median over fresh instances of the compiled module, _start included). For each guest and node count: a freshly loaded plugin runs warm-up cycles, then measured cycles — PreFilter, Filter on every node, PreScore and Score on the feasible nodes when the guest exports score — with a new pod each cycle. Printed: median time per PreFilter, per Filter call, per PreScore, per Score call and per cycle, ± half the interquartile range over rounds, the guest's linear memory after the run, and the last cycle's statuses.\n\nNodes are generated: kubecon-pool-NNNNN (even) and workerNNNNN-east (odd), so the default pattern kubecon-.* matches half of them. Numbers, not pass/fail: on a shared machine compare ratios from one run.",
    after_help = "Examples:\n  simulator bench static/regex_v1.wasm static/regex_v2.wasm\n  simulator bench static/regex_v2.wasm --nodes 100,1000,5000 --pattern '^(kubecon|cncf)-[a-z0-9]+(-\\w+)?-\\d{2,5}$'\n  simulator bench http://127.0.0.1:8080/regex_v2.wasm --json > bench.json\n  simulator bench static/fleet_score.wasm --no-pattern --load-feedback \\\n    --pod-label scheduler.wasmkwokwizardry.io/fleet=lobby \\\n    --pod-annotation 'scheduler.wasmkwokwizardry.io/fleet-status={\"replicas\":2,\"allocatedReplicas\":2}' \\\n    --pod-annotation 'scheduler.wasmkwokwizardry.io/fleet-policy={\"type\":\"Buffer\",\"buffer\":{\"bufferSize\":5,\"maxReplicas\":100}}'"
)]
pub struct BenchArgs {
    /// Guests: paths to .wasm files, or guestURLs (file://, http://, https://).
    #[arg(required = true, value_name = "GUEST")]
    pub guests: Vec<String>,
    /// Node counts, comma-separated; each gets its own cluster and freshly loaded plugin.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "100,5000",
        value_name = "N,…"
    )]
    pub nodes: Vec<usize>,
    /// Measured cycles per guest and node count.
    #[arg(long, default_value_t = 21, value_name = "N")]
    pub rounds: usize,
    /// Cycles run and discarded before measuring.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub warmup: usize,
    /// Fresh instances timed for the instantiate figure.
    #[arg(long, default_value_t = 31, value_name = "N")]
    pub instantiations: usize,
    /// Time budget per guest and node count (loading, warm-up and measured cycles; and for the
    /// fresh-instance figure): past it, stop after the cycle in progress (at least one is measured).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub budget_secs: f64,
    /// The pods' scheduler.wasmkwokwizardry.io/regex annotation (Go regexp syntax).
    #[arg(long, default_value = "kubecon-.*", value_name = "REGEX")]
    pub pattern: String,
    /// Pods carry no regex annotation.
    #[arg(long, conflicts_with = "pattern")]
    pub no_pattern: bool,
    /// A pod annotation (repeatable).
    #[arg(long = "pod-annotation", value_name = "KEY=VALUE")]
    pub pod_annotations: Vec<String>,
    /// A pod label (repeatable).
    #[arg(long = "pod-label", value_name = "KEY=VALUE")]
    pub pod_labels: Vec<String>,
    /// An annotation on every node (repeatable).
    #[arg(long = "node-annotation", value_name = "KEY=VALUE")]
    pub node_annotations: Vec<String>,
    /// Give node i the annotation scheduler.wasmkwokwizardry.io/load-feedback:
    /// "current-load=<i mod 9>, target-load=6, max-load=8" (one node in nine full).
    #[arg(long)]
    pub load_feedback: bool,
    /// The plugins' guestConfig (a string, as in pluginConfig).
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub guest_config: String,
    /// Print the whole report as one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn pair(text: &str, flag: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{flag} {text:?}: expected KEY=VALUE")),
    }
}

impl BenchArgs {
    /// The workload these arguments describe.
    pub fn workload(&self) -> Result<Workload, String> {
        let mut w = if self.no_pattern {
            Workload::default()
        } else {
            Workload::regex(&self.pattern)
        };
        for a in &self.pod_annotations {
            w.pod_annotations.push(pair(a, "--pod-annotation")?);
        }
        for l in &self.pod_labels {
            w.pod_labels.push(pair(l, "--pod-label")?);
        }
        for a in &self.node_annotations {
            w.node_annotations.push(pair(a, "--node-annotation")?);
        }
        w.load_feedback = self.load_feedback;
        w.guest_config = self.guest_config.clone();
        Ok(w)
    }

    /// The measuring options these arguments describe.
    pub fn options(&self) -> Result<Options, String> {
        if !(self.budget_secs.is_finite() && self.budget_secs >= 0.0) {
            return Err(format!(
                "--budget-secs {}: expected a number of seconds",
                self.budget_secs
            ));
        }
        if self.rounds == 0 {
            return Err("--rounds must be at least 1".into());
        }
        let mut node_counts: Vec<usize> = Vec::new();
        for &n in &self.nodes {
            if !node_counts.contains(&n) {
                node_counts.push(n);
            }
        }
        Ok(Options {
            node_counts,
            rounds: self.rounds,
            warmup: self.warmup,
            instantiations: self.instantiations.max(1),
            budget: Duration::from_secs_f64(self.budget_secs),
            min_rounds: 1,
            progress: !self.quiet,
        })
    }
}

/// Runs `simulator bench`: prints the tables (or JSON) on stdout. Exit status 0 when every guest
/// was measured, 1 when one could not be (its error is in the output); `Err` for usage and I/O
/// errors (unreadable guest, bad KEY=VALUE).
pub fn run(args: &BenchArgs) -> Result<ExitCode, String> {
    let workload = args.workload()?;
    let options = args.options()?;
    let guests = args
        .guests
        .iter()
        .map(|g| Guest::open(g))
        .collect::<Result<Vec<_>, _>>()?;
    let report = bench::run(&guests, &workload, &options);
    if args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", bench::render(&report));
    }
    Ok(if report.guests.iter().any(|g| g.error.is_some()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
