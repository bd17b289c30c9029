//! `make bench`: the guests in the simulator's host (through `bench_harness` (bench/harness), the code behind
//! `simulator bench`), next to native goregex and `regex`, with the targets of issues 3, 4 and 7
//! computed from numbers measured in this one run.
//!
//! ```text
//! bench-report [--quick] [--root DIR] [--tinygo DIR] [--json FILE]
//! ```
//!
//! - `--root`: the workspace root holding `static/` and `target/guests/` (default `.`).
//! - `--tinygo DIR` (or `TINYGO_GUESTS=DIR`): a directory with TinyGo's `regex_v1.wasm` and
//!   `regex_v2.wasm` (wasmkwokwizardry/kubecon-na-2024) to measure in the same table.
//! - `--json FILE`: also write everything measured as JSON.
//! - `--quick`: few rounds and small node counts, to check that it runs (numbers meaningless).
//!
//! It prints numbers and verdicts against the targets; it never fails on a timing.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bench_harness::{
    self as bench, Guest, Options, Report, Run, Summary, Workload, fmt_bytes, fmt_ns,
};
use clap::Parser;
use serde_json::{Value, json};

const PLAIN: &str = "kubecon-.*";
const ANCHORED: &str = r"^(kubecon|cncf)-[a-z0-9]+(-\w+)?-\d{2,5}$";
const UNICODE: &str = r"(?i)\pL+-\d+";
const COMPILES: &str = "bench.wasmkwokwizardry.io/compiles";
const MATCHES: &str = "bench.wasmkwokwizardry.io/matches";

/// TinyGo figures measured in wazero (docs/measured.md), for the comparison lines.
const TINYGO_V1_FILTER_NS_5000: f64 = 190_000.0;
const TINYGO_V1_KIB: usize = 1144;
const TINYGO_V2_KIB: usize = 1202;

/// `make bench`: the guests in the simulator's host next to native goregex and `regex`, with the
/// targets of issues 3, 4 and 7. Numbers, never pass/fail.
#[derive(Debug, Parser)]
#[command(name = "bench-report")]
struct Args {
    /// Few rounds and small node counts, to check that it runs (numbers meaningless).
    #[arg(long)]
    quick: bool,
    /// The workspace root holding static/ and target/guests/.
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    /// A directory with TinyGo's regex_v1.wasm and regex_v2.wasm, measured in the same table.
    #[arg(long, env = "TINYGO_GUESTS", value_name = "DIR")]
    tinygo: Option<PathBuf>,
    /// Also write everything measured as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    match report(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-report: {e}");
            ExitCode::FAILURE
        }
    }
}

fn guest(root: &Path, rel: &str, label: &str) -> Result<Guest, String> {
    let path = root.join(rel);
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("{}: {e} (run `make build` first)", path.display()))?;
    let bytes = if rel.ends_with(".wat") {
        wat::parse_bytes(&bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .into_owned()
    } else {
        bytes
    };
    Ok(Guest::from_bytes(label, path.display().to_string(), bytes))
}

/// Median of per-item times over rounds: each round runs `f` on every name once.
fn per_item<T>(names: &[String], rounds: usize, mut f: impl FnMut(&str) -> T) -> Summary {
    let mut samples = Vec::with_capacity(rounds);
    for round in 0..rounds + 3 {
        let t = Instant::now();
        for n in names {
            black_box(f(black_box(n)));
        }
        if round >= 3 {
            samples.push(t.elapsed().as_nanos() as f64 / names.len() as f64);
        }
    }
    Summary::of(&samples).unwrap_or(ZERO)
}

/// Median of per-call times of `f`, in batches of `batch` calls.
fn per_call<T>(rounds: usize, batch: usize, mut f: impl FnMut() -> T) -> Summary {
    let mut samples = Vec::with_capacity(rounds);
    for round in 0..rounds + 3 {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        if round >= 3 {
            samples.push(t.elapsed().as_nanos() as f64 / batch as f64);
        }
    }
    Summary::of(&samples).unwrap_or(ZERO)
}

const ZERO: Summary = Summary {
    median_ns: 0.0,
    p25_ns: 0.0,
    p75_ns: 0.0,
    min_ns: 0.0,
    max_ns: 0.0,
    samples: 0,
};

fn filter_ns(r: Option<&Run>) -> Option<f64> {
    r.and_then(|r| r.filter).map(|s| s.median_ns)
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "MET",
        Some(false) => "NOT MET",
        None => "not measured",
    }
}

fn ns_or_dash(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), fmt_ns)
}

/// `2.50×`, or `0.025× (1/40)` for small ratios.
fn x_or_dash(x: Option<f64>) -> String {
    match x {
        None => "–".to_string(),
        Some(x) if x > 0.0 && x < 0.2 => format!("{x:.3}× (1/{:.0})", 1.0 / x),
        Some(x) => format!("{x:.2}×"),
    }
}

/// A signed difference of medians, for compile and match costs obtained by subtraction.
fn diff(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? - b?)
}

fn signed_ns(x: Option<f64>) -> String {
    match x {
        Some(x) if x < 0.0 => format!("−{} (noise)", fmt_ns(-x)),
        Some(x) => fmt_ns(x),
        None => "–".into(),
    }
}

/// The guests `make bench` measures.
struct Guests {
    v1: Guest,
    v2: Guest,
    fleet: Guest,
    floor: Guest,
    regex_guest: Guest,
    floor_wat: Guest,
    floor_score: Guest,
    /// TinyGo's regex_v1 and regex_v2, with `--tinygo DIR`.
    tinygo: Vec<Guest>,
}

impl Guests {
    fn load(a: &Args) -> Result<Guests, String> {
        let root = &a.root;
        let mut tinygo = Vec::new();
        if let Some(dir) = &a.tinygo {
            for name in ["regex_v1.wasm", "regex_v2.wasm"] {
                let path = dir.join(name);
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                tinygo.push(Guest::from_bytes(
                    format!("TinyGo {name}"),
                    path.display().to_string(),
                    bytes,
                ));
            }
        }
        Ok(Guests {
            v1: guest(root, "static/regex_v1.wasm", "regex_v1.wasm")?,
            v2: guest(root, "static/regex_v2.wasm", "regex_v2.wasm")?,
            fleet: guest(root, "static/fleet_score.wasm", "fleet_score.wasm")?,
            floor: guest(root, "target/guests/bench_floor.wasm", "floor (SDK)")?,
            regex_guest: guest(root, "target/guests/bench_regex.wasm", "bench_regex.wasm")?,
            floor_wat: guest(root, "bench/floor.wat", "floor (wat)")?,
            floor_score: guest(root, "bench/floor-score.wat", "score floor (wat)")?,
            tinygo,
        })
    }
}

/// The run's sizes: node counts, rounds, samples (`--quick` makes them tiny).
struct Plan {
    quick: bool,
    small: usize,
    large: usize,
    opts: Options,
    native_rounds: usize,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        let (small, large) = if quick { (20, 200) } else { (100, 5000) };
        Plan {
            quick,
            small,
            large,
            opts: Options {
                node_counts: vec![small, large],
                rounds: if quick { 3 } else { 21 },
                warmup: if quick { 1 } else { 3 },
                instantiations: if quick { 3 } else { 31 },
                budget: Duration::from_secs(if quick { 2 } else { 10 }),
                min_rounds: if quick { 2 } else { 5 },
                progress: true,
            },
            native_rounds: if quick { 5 } else { 31 },
        }
    }
}

/// Section 1's results that later sections compare with.
struct FloorSection {
    main: Report,
    native_floor: Summary,
    v1_small: Option<f64>,
    v1_large: Option<f64>,
}

impl FloorSection {
    fn filter_at(&self, label: &str, n: usize) -> Option<f64> {
        filter_ns(self.main.guest(label).and_then(|g| g.at(n)))
    }
}

/// Section 2's per-pattern results.
#[derive(Default)]
struct PatternSection {
    rows: Vec<Vec<String>>,
    json: Vec<Value>,
    plain_warm: Option<f64>,
    plain_cold: Option<f64>,
    worst_match_ratio: Option<f64>,
}

fn report(a: &Args) -> Result<(), String> {
    let g = Guests::load(a)?;
    let plan = Plan::new(a.quick);
    print_intro();
    let floor = section_floor(&g, &plan)?;
    let patterns = section_patterns(&g, &plan, &floor)?;
    let fleet = section_fleet(&g, &plan, &floor);
    if let Some(path) = &a.json {
        let all: Value = json!({
            "issue3": report_json(&floor.main),
            "native_plain_match_large": floor.native_floor,
            "issue4": patterns.json,
            "issue7": report_json(&fleet),
        });
        let text = serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("bench: wrote {}", path.display());
    }
    Ok(())
}

fn print_intro() {
    println!("# make bench");
    println!();
    println!(
        "Machine: {} CPU(s), load average {} — a shared, noisy machine: absolute figures move from run to run; compare the ratios, which are computed from this one run. The host is the simulator (wasmtime 48, Cranelift), not wazero: TinyGo figures quoted from docs/measured.md were measured in wazero.",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next().map(String::from))
            .unwrap_or_else(|| "?".into())
    );
    println!();
}

/// Section 1 (issue 3): RegexScheduling v1 and v2 against the floor.
fn section_floor(g: &Guests, plan: &Plan) -> Result<FloorSection, String> {
    // ---------------------------------------------------------------- issue 3
    println!("## 1. RegexScheduling v1 and v2 against the floor (issue 3)");
    println!();
    let (small, large) = (plan.small, plan.large);
    let names_large: Vec<String> = (0..large).map(bench::node_name).collect();
    let mut guests = vec![
        g.v1.clone(),
        g.v2.clone(),
        g.floor.clone(),
        g.floor_wat.clone(),
    ];
    guests.extend(g.tinygo.iter().cloned());
    let plain = Workload::regex(PLAIN);
    let main = bench::run(&guests, &plain, &plan.opts);
    print!("{}", bench::render(&main));
    let native_plain = goregex::Regex::new(PLAIN).map_err(|e| e.to_string())?;
    let native_floor = per_item(&names_large, plan.native_rounds, |n| {
        native_plain.is_match(n)
    });
    println!(
        "native goregex `{PLAIN}`.is_match(node name), over the {large} names: {}",
        native_floor.display()
    );
    println!();

    let at = |label: &str, n: usize| main.guest(label).and_then(|g| g.at(n));
    let v2_large = filter_ns(at("regex_v2.wasm", large));
    let v2_small = filter_ns(at("regex_v2.wasm", small));
    let v1_large = filter_ns(at("regex_v1.wasm", large));
    let v1_small = filter_ns(at("regex_v1.wasm", small));
    let floor_large = filter_ns(at("floor (SDK)", large));
    let wat_large = filter_ns(at("floor (wat)", large));
    let v2_over_floor = ratio(v2_large, floor_large);
    let flat = ratio(v2_large, v2_small);
    let size = |g: &Guest| g.wasm.len();
    let inst = |label: &str| {
        main.guest(label)
            .and_then(|g| g.instantiate)
            .map(|s| s.median_ns)
    };
    println!("Targets (issue 3):");
    println!(
        "- v2 per Filter at {large} nodes: {} = {} the floor guest ({}, one host call) — target ≤ 3×: {}. Against the no-SDK floor (wat, {}): {}; against floor + native match ({}): {}.",
        ns_or_dash(v2_large),
        x_or_dash(v2_over_floor),
        ns_or_dash(floor_large),
        verdict(v2_over_floor.map(|r| r <= 3.0)),
        ns_or_dash(wat_large),
        x_or_dash(ratio(v2_large, wat_large)),
        ns_or_dash(floor_large.map(|f| f + native_floor.median_ns)),
        x_or_dash(ratio(
            v2_large,
            floor_large.map(|f| f + native_floor.median_ns)
        )),
    );
    println!(
        "- v2 per Filter flat in node count: {} at {small} → {} at {large} = {} — flat (≤ 1.25×): {}.",
        ns_or_dash(v2_small),
        ns_or_dash(v2_large),
        x_or_dash(flat),
        verdict(flat.map(|r| r <= 1.25)),
    );
    println!(
        "- v1 per Filter: {} at {small}, {} at {large} nodes; TinyGo v1 in wazero ~190 µs at 5000 (docs/measured.md): v1 is 1/{:.0} of it{}.",
        ns_or_dash(v1_small),
        ns_or_dash(v1_large),
        v1_large.map_or(0.0, |v| TINYGO_V1_FILTER_NS_5000 / v),
        if plan.quick {
            " (quick run: not at 5000 nodes)"
        } else {
            ""
        },
    );
    for label in ["regex_v1.wasm", "regex_v2.wasm"] {
        let i = inst(label);
        println!(
            "- instantiate {label}: {} — target ≤ 150 µs: {}.",
            ns_or_dash(i),
            verdict(i.map(|x| x <= 150_000.0))
        );
    }
    println!(
        "- module sizes: regex_v1.wasm {} ({} bytes), regex_v2.wasm {} ({} bytes); TinyGo v1 {TINYGO_V1_KIB} KiB, v2 {TINYGO_V2_KIB} KiB.",
        fmt_bytes(size(&g.v1)),
        size(&g.v1),
        fmt_bytes(size(&g.v2)),
        size(&g.v2),
    );
    for label in ["regex_v1.wasm", "regex_v2.wasm"] {
        if let Some(r) = at(label, large) {
            println!(
                "- guest memory after {} cycles at {large} nodes, {label}: {} ({} instance(s)).",
                r.rounds + r.warmup,
                fmt_bytes(r.memory_bytes),
                r.instances
            );
        }
    }
    for (ours, theirs) in [
        ("regex_v1.wasm", "TinyGo regex_v1.wasm"),
        ("regex_v2.wasm", "TinyGo regex_v2.wasm"),
    ] {
        if main.guest(theirs).is_none() {
            continue;
        }
        let t_small = filter_ns(at(theirs, small));
        let t_large = filter_ns(at(theirs, large));
        println!(
            "- {theirs} in this host: Filter {} at {small}, {} at {large} nodes, instantiate {}, memory after the run {}; {ours} per Filter is {} of it at {small} and {} at {large} nodes.",
            ns_or_dash(t_small),
            ns_or_dash(t_large),
            ns_or_dash(inst(theirs)),
            at(theirs, large).map_or_else(|| "–".to_string(), |r| fmt_bytes(r.memory_bytes)),
            x_or_dash(ratio(filter_ns(at(ours, small)), t_small)),
            x_or_dash(ratio(filter_ns(at(ours, large)), t_large)),
        );
    }
    println!();
    Ok(FloorSection {
        main,
        native_floor,
        v1_small,
        v1_large,
    })
}

/// Section 2 (issue 4): compile and match per pattern, in the guest and natively.
fn section_patterns(
    g: &Guests,
    plan: &Plan,
    floor: &FloorSection,
) -> Result<PatternSection, String> {
    // ---------------------------------------------------------------- issue 4
    let (small, large) = (plan.small, plan.large);
    println!("## 2. Compile and match per pattern (issue 4)");
    println!();
    println!(
        "In the guest, at {small} nodes (half match each pattern): v1, v2, the floor and bench_regex in three settings run interleaved, round by round; compile warm = bench_regex Filter compiling once per call minus the same guest not compiling; compile cold = the same on the first Filter of fresh instances (goregex's class cache and the allocator empty; median of 15 pairs); match = bench_regex matching once per Filter minus not matching (the regex kept warm across cycles, as v2 keeps it); v1 − v2 = v1's per-Filter time (pod read + compile + match) minus v2's. Native: goregex and `regex` 1.x in this process, is_match over the same {small} node names."
    );
    println!();
    let names_small: Vec<String> = (0..small).map(bench::node_name).collect();
    let opts_small = Options {
        node_counts: vec![small],
        instantiations: 0,
        progress: false,
        ..plan.opts.clone()
    };
    let mut sec = PatternSection::default();
    sec.rows.push(vec![
        "pattern".to_string(),
        "compile cold".into(),
        "compile warm".into(),
        "v1 − v2".into(),
        "v1 Filter".into(),
        "match (guest)".into(),
        "v2 − floor".into(),
        "goregex native".into(),
        "regex native".into(),
        "guest / regex".into(),
        "goregex compile".into(),
        "regex compile".into(),
    ]);
    for (name, pattern) in [
        ("plain", PLAIN),
        ("anchored", ANCHORED),
        ("unicode", UNICODE),
    ] {
        pattern_row(g, plan, &opts_small, &names_small, name, pattern, &mut sec)?;
    }
    print!("{}", bench::columns(&sec.rows));
    println!();
    let v2_bytes = g.v2.wasm.len();
    println!("Targets (issue 4):");
    println!(
        "- v2 module ≤ 512 KiB: {} ({v2_bytes} bytes): {} (TinyGo v2: {TINYGO_V2_KIB} KiB).",
        fmt_bytes(v2_bytes),
        verdict(Some(v2_bytes <= 512 * 1024)),
    );
    println!(
        "- compile of the plain pattern ≤ 20 µs: warm {}, cold {}: {} (warm) / {} (cold).",
        signed_ns(sec.plain_warm),
        signed_ns(sec.plain_cold),
        verdict(sec.plain_warm.map(|x| x <= 20_000.0)),
        verdict(sec.plain_cold.map(|x| x <= 20_000.0)),
    );
    println!(
        "- v1 ≤ 20 µs per Filter (plain pattern): {} at {small}, {} at {large} nodes: {}.",
        ns_or_dash(floor.v1_small),
        ns_or_dash(floor.v1_large),
        verdict(
            floor
                .v1_small
                .zip(floor.v1_large)
                .map(|(s, l)| s <= 20_000.0 && l <= 20_000.0)
        ),
    );
    println!(
        "- v2 match within 3× of native `regex` (worst of the three patterns, guest match / regex is_match): {}: {}.",
        x_or_dash(sec.worst_match_ratio),
        verdict(sec.worst_match_ratio.map(|r| r <= 3.0)),
    );
    println!();
    Ok(sec)
}

/// One pattern of section 2: an interleaved run of v1, v2, the floor and bench_regex in three
/// settings, cold compiles on fresh instances, and the native yardsticks.
fn pattern_row(
    g: &Guests,
    plan: &Plan,
    opts_small: &Options,
    names_small: &[String],
    name: &str,
    pattern: &str,
    sec: &mut PatternSection,
) -> Result<(), String> {
    let small = plan.small;
    eprintln!("bench: pattern {name}");
    let w = Workload::regex(pattern);
    let counts = |c: u32, m: u32| {
        Workload::regex(pattern)
            .pod_annotation(COMPILES, &c.to_string())
            .pod_annotation(MATCHES, &m.to_string())
    };
    let (w00, w10, w01) = (counts(0, 0), counts(1, 0), counts(0, 1));
    let variant = |label: &str| Guest {
        label: label.to_string(),
        ..g.regex_guest.clone()
    };
    let (g00, g10, g01) = (
        variant("bench_regex none"),
        variant("bench_regex compile"),
        variant("bench_regex match"),
    );
    // One interleaved run: every guest's rounds alternate, so they share the machine's drift.
    let runs = bench::run_subjects(
        &[
            (&g.v1, &w),
            (&g.v2, &w),
            (&g.floor, &w),
            (&g00, &w00),
            (&g10, &w10),
            (&g01, &w01),
        ],
        opts_small,
    );
    if let Some(e) = runs.iter().find_map(|r| r.error.as_ref()) {
        return Err(format!("pattern {name}: {e}"));
    }
    let at = |label: &str| {
        filter_ns(
            runs.iter()
                .find(|r| r.label == label)
                .and_then(|r| r.at(small)),
        )
    };
    let (base, one_compile, one_match) = (
        at("bench_regex none"),
        at("bench_regex compile"),
        at("bench_regex match"),
    );
    let warm = diff(one_compile, base);
    let matched = diff(one_match, base);

    // Cold: first Filter on fresh instances, compiling once vs not at all, interleaved.
    let plugin = w00.load(&g.regex_guest, 1)?;
    let (c1, c0) = (&w10, &w00);
    let samples = if plan.quick { 3 } else { 15 };
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for i in 0..samples {
        let node = bench::node_name(0);
        with.push(bench::first_filter_on_fresh_instance(
            &plugin,
            &c1.pod(1000 + 2 * i)?,
            &node,
        )?);
        without.push(bench::first_filter_on_fresh_instance(
            &plugin,
            &c0.pod(1001 + 2 * i)?,
            &node,
        )?);
    }
    drop(plugin);
    let cold = diff(
        Summary::of_durations(&with).map(|s| s.median_ns),
        Summary::of_durations(&without).map(|s| s.median_ns),
    );

    let gore = goregex::Regex::new(pattern).map_err(|e| e.to_string())?;
    let re = regex::Regex::new(pattern).map_err(|e| e.to_string())?;
    let gore_match = per_item(names_small, plan.native_rounds, |n| gore.is_match(n));
    let re_match = per_item(names_small, plan.native_rounds, |n| re.is_match(n));
    let batch = if plan.quick { 2 } else { 20 };
    let gore_compile = per_call(plan.native_rounds, batch, || {
        goregex::Regex::new(pattern).is_ok()
    });
    let re_compile = per_call(plan.native_rounds, batch, || {
        regex::Regex::new(pattern).is_ok()
    });
    let v1_minus_v2 = diff(at("regex_v1.wasm"), at("regex_v2.wasm"));
    let v2_minus_floor = diff(at("regex_v2.wasm"), at("floor (SDK)"));
    let guest_over_regex = ratio(matched, Some(re_match.median_ns));
    if let Some(r) = guest_over_regex {
        sec.worst_match_ratio = Some(sec.worst_match_ratio.map_or(r, |w: f64| w.max(r)));
    }
    if name == "plain" {
        sec.plain_warm = warm;
        sec.plain_cold = cold;
    }
    sec.rows.push(vec![
        format!("{name} `{pattern}`"),
        signed_ns(cold),
        signed_ns(warm),
        signed_ns(v1_minus_v2),
        ns_or_dash(at("regex_v1.wasm")),
        signed_ns(matched),
        signed_ns(v2_minus_floor),
        gore_match.display(),
        re_match.display(),
        x_or_dash(guest_over_regex),
        gore_compile.display(),
        re_compile.display(),
    ]);
    sec.json.push(json!({
        "name": name, "pattern": pattern, "nodes": small,
        "compile_cold_ns": cold, "compile_warm_ns": warm,
        "v1_filter_ns": at("regex_v1.wasm"), "v2_filter_ns": at("regex_v2.wasm"),
        "floor_filter_ns": at("floor (SDK)"),
        "v1_minus_v2_ns": v1_minus_v2, "v2_minus_floor_ns": v2_minus_floor,
        "guest_match_ns": matched,
        "bench_regex_filter_ns": {"none": base, "one_compile": one_compile, "one_match": one_match},
        "cold_first_filter": {"compile": Summary::of_durations(&with),
            "no_compile": Summary::of_durations(&without)},
        "native": {"goregex_match": gore_match, "regex_match": re_match,
            "goregex_compile": gore_compile, "regex_compile": re_compile},
        "guest_match_over_regex": guest_over_regex,
    }));
    Ok(())
}

/// Section 3 (issue 7): fleet_score per node, next to v2's Filter.
fn section_fleet(g: &Guests, plan: &Plan, floor: &FloorSection) -> Report {
    // ---------------------------------------------------------------- issue 7
    println!("## 3. fleet_score per node (issue 7)");
    println!();
    let (small, large) = (plan.small, plan.large);
    let fleet_workload = Workload {
        load_feedback: true,
        guest_config: r#"{"fleets":{"lobby":{"policy":{"type":"Buffer","buffer":{"bufferSize":5,"maxReplicas":100}}}}}"#.into(),
        ..Workload::default()
            .pod_label("scheduler.wasmkwokwizardry.io/fleet", "lobby")
            .pod_label("agones.dev/role", "gameserver")
            .pod_annotation(
                "scheduler.wasmkwokwizardry.io/fleet-status",
                r#"{"replicas":2,"readyReplicas":0,"reservedReplicas":0,"allocatedReplicas":2}"#,
            )
    };
    let fleet_report = bench::run(
        &[g.fleet.clone(), g.floor_score.clone()],
        &fleet_workload,
        &Options {
            instantiations: if plan.quick { 3 } else { 11 },
            ..plan.opts.clone()
        },
    );
    print!("{}", bench::render(&fleet_report));
    println!();
    println!("Per node, next to v2's Filter (section 1, kubecon-.* pods):");
    for n in [small, large] {
        let f = fleet_report.guest("fleet_score.wasm").and_then(|g| g.at(n));
        let floor_s = fleet_report
            .guest("score floor (wat)")
            .and_then(|g| g.at(n));
        let score = f.and_then(|r| r.score).map(|s| s.median_ns);
        let filt = f.and_then(|r| r.filter).map(|s| s.median_ns);
        let v2n = floor.filter_at("regex_v2.wasm", n);
        println!(
            "- {n} nodes: fleet_score Score {} / call ({} the score floor {}), Filter {} / call (reads the v1.Node); v2 Filter {}: Score / v2 Filter = {}, (Filter + Score) / v2 Filter = {}.",
            ns_or_dash(score),
            x_or_dash(ratio(
                score,
                floor_s.and_then(|r| r.score).map(|s| s.median_ns)
            )),
            ns_or_dash(floor_s.and_then(|r| r.score).map(|s| s.median_ns)),
            ns_or_dash(filt),
            ns_or_dash(v2n),
            x_or_dash(ratio(score, v2n)),
            x_or_dash(ratio(filt.zip(score).map(|(a, b)| a + b), v2n)),
        );
    }
    fleet_report
}

fn report_json(r: &Report) -> Value {
    serde_json::to_value(r).unwrap_or(Value::Null)
}
