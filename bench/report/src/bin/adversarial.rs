//! `make bench-adversarial`: the adversarial regex corpus (goregex/tests/data/adversarial.json)
//! in both built RegexScheduling guests, in the simulator's host. Per pattern: the verdict, the
//! worst Filter time over the corpus' node names plus a 253-byte name (v1 compiles on every
//! Filter; v2 compiles at PreFilter, shown apart), and the guest's linear memory afterwards (a
//! fresh instance per pattern and guest, so each figure is that pattern's peak).
//!
//! ```text
//! adversarial [--root DIR] [--rounds N] [--top N]
//! ```
//!
//! Numbers only; it never fails on a timing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bench_harness::fmt_bytes;
use clap::Parser;
use serde_json::{Value, json};
use simulator_host::{Cluster, PluginArgs, PodObject, Status, WasmPlugin};

const ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/regex";

#[derive(Parser)]
struct Args {
    /// The workspace root (holds static/ and goregex/tests/data/).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Rounds per node; each node's time is its fastest round (the worst node is reported).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("adversarial: {e}");
            ExitCode::FAILURE
        }
    }
}

fn node(name: &str) -> Value {
    json!({
        "metadata": {"name": name, "uid": format!("uid-{}", name.len())},
        "status": {"allocatable": {"cpu": "4", "memory": "32Gi", "pods": "110"}}
    })
}

/// One guest on one pattern: (verdict, worst PreFilter, worst Filter, linear memory).
struct Measure {
    verdict: String,
    pre: Duration,
    filter: Duration,
    memory: usize,
}

fn measure(
    wasm: &[u8],
    label: &str,
    pattern: &str,
    names: &[String],
    rounds: usize,
) -> Result<Measure, String> {
    let nodes: Vec<Value> = names.iter().map(String::as_str).map(node).collect();
    let cluster = Cluster::from_nodes_json(&nodes).map_err(|e| e.to_string())?;
    let plugin = WasmPlugin::from_bytes(label, wasm, &PluginArgs::new("file:///bench"), cluster)
        .map_err(|e| e.to_string())?;
    let pod = PodObject::from_json(&json!({
        "metadata": {"name": "p", "namespace": "default", "uid": "p-uid",
                     "annotations": {ANNOTATION: pattern}},
        "spec": {"containers": [{"name": "app", "image": "pause"}]}
    }))
    .map_err(|e| e.to_string())?;
    let (mut pre, mut filter) = (Duration::ZERO, Duration::ZERO);
    let mut verdict = String::new();
    for name in names {
        let (mut best_pre, mut best) = (Duration::MAX, Duration::MAX);
        for _ in 0..rounds.max(1) {
            // A new cycle each round, as the scheduler does per pod attempt.
            let t = Instant::now();
            let (status, _) = plugin.pre_filter(&pod).map_err(|e| format!("{e:?}"))?;
            best_pre = best_pre.min(t.elapsed());
            let t = Instant::now();
            let status = if status.is_success() {
                plugin.filter(&pod, name).map_err(|e| format!("{e:?}"))?
            } else {
                status
            };
            best = best.min(t.elapsed());
            verdict = describe(&status);
        }
        pre = pre.max(best_pre);
        filter = filter.max(best);
    }
    Ok(Measure {
        verdict,
        pre,
        filter,
        memory: plugin.memory_bytes(),
    })
}

fn describe(s: &Status) -> String {
    match s.code {
        0 => "match".into(),
        2 => "no-match".into(),
        1 if s.reason.contains("goregex") || s.reason.contains("bytes long") => "bound".into(),
        1 => "go-error".into(),
        c => format!("code {c}"),
    }
}

fn run(a: &Args) -> Result<(), String> {
    let read = |rel: &str| {
        std::fs::read(a.root.join(rel)).map_err(|e| format!("{rel}: {e} (run `make build` first)"))
    };
    let corpus: Value = serde_json::from_slice(&read("goregex/tests/data/adversarial.json")?)
        .map_err(|e| e.to_string())?;
    let cases = corpus.as_array().ok_or("adversarial.json: not an array")?;
    let v1 = read("static/regex_v1.wasm")?;
    let v2 = read("static/regex_v2.wasm")?;
    println!(
        "Adversarial regex corpus: {} patterns, both guests (v1 Filter includes its compile; v2 compiles at PreFilter)",
        cases.len()
    );
    println!(
        "{:<44} {:<9} {:>11} {:>9} {:>11} {:>11} {:>9}",
        "pattern", "verdict", "v1 Filter", "v1 mem", "v2 PreFilt", "v2 Filter", "v2 mem"
    );
    let long = "kubecon".repeat(37)[..253].to_owned();
    for c in cases {
        let pattern = c["pattern"].as_str().ok_or("pattern")?;
        let mut names: Vec<String> = c["matches"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|m| m["haystack"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        names.extend(["kubecon-na-2024".to_owned(), long.clone()]);
        names.sort();
        names.dedup();
        let m1 = measure(&v1, "regex_v1", pattern, &names, a.rounds)?;
        let m2 = measure(&v2, "regex_v2", pattern, &names, a.rounds)?;
        let short: String = pattern
            .escape_debug()
            .to_string()
            .chars()
            .take(42)
            .collect();
        let label = if pattern.len() > 42 {
            format!("{short}… ({} B)", pattern.len())
        } else {
            short
        };
        let us = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
        println!(
            "{:<44} {:<9} {:>11} {:>9} {:>11} {:>11} {:>9}",
            label.chars().take(44).collect::<String>(),
            m1.verdict,
            us(m1.filter),
            fmt_bytes(m1.memory),
            us(m2.pre),
            us(m2.filter),
            fmt_bytes(m2.memory),
        );
    }
    Ok(())
}
