//! `simulator bench`'s command line (src/cli/bench.rs), compiled here on its own so it is tested
//! whether or not `main.rs` has wired it in yet. Tiny sizes, no timing assertions.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

#[path = "../src/cli/bench.rs"]
mod bench_cli;

use bench_cli::BenchArgs;
use clap::{CommandFactory, Parser, Subcommand};

/// The wiring `main.rs` is expected to have: `Bench(bench::BenchArgs)` in the subcommand enum,
/// *without* a doc comment on the variant (a variant doc comment replaces the `about` and drops
/// the `long_about` that `BenchArgs` carries).
#[derive(Debug, Parser)]
#[command(name = "simulator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Bench(BenchArgs),
}

fn parse(args: &[&str]) -> BenchArgs {
    let mut argv = vec!["simulator", "bench"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv).unwrap().command {
        Command::Bench(a) => a,
    }
}

fn floor_wasm() -> std::path::PathBuf {
    let wat = format!("{}/../../bench/floor.wat", env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("simulator-bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("floor.wasm");
    std::fs::write(&path, wat::parse_file(wat).unwrap()).unwrap();
    path
}

#[test]
fn defaults() {
    let a = parse(&["g.wasm"]);
    assert_eq!(a.nodes, [100, 5000]);
    let o = a.options().unwrap();
    assert_eq!(
        (o.rounds, o.warmup, o.instantiations, o.min_rounds),
        (21, 3, 31, 1)
    );
    assert!(o.progress);
    let w = a.workload().unwrap();
    assert_eq!(
        w.pod_annotations,
        [(
            "scheduler.wasmkwokwizardry.io/regex".to_string(),
            "kubecon-.*".to_string()
        )]
    );
    assert!(!w.load_feedback);
}

#[test]
fn workload_flags() {
    let a = parse(&[
        "g.wasm",
        "--no-pattern",
        "--pod-label",
        "scheduler.wasmkwokwizardry.io/fleet=lobby",
        "--pod-annotation",
        r#"scheduler.wasmkwokwizardry.io/fleet-status={"replicas":2}"#,
        "--node-annotation",
        "zone=a",
        "--load-feedback",
        "--guest-config",
        "{}",
        "--nodes",
        "10,20",
        "--rounds",
        "2",
    ]);
    let w = a.workload().unwrap();
    assert_eq!(w.pod_labels[0].1, "lobby");
    assert_eq!(w.pod_annotations.len(), 1);
    assert_eq!(w.pod_annotations[0].1, r#"{"replicas":2}"#);
    assert_eq!(w.node_annotations[0], ("zone".into(), "a".into()));
    assert!(w.load_feedback);
    assert_eq!(w.guest_config, "{}");
    let o = a.options().unwrap();
    assert_eq!(o.node_counts, [10, 20]);
    assert_eq!(o.min_rounds, 1);
}

#[test]
fn usage_errors() {
    assert!(
        Cli::try_parse_from(["simulator", "bench"]).is_err(),
        "a guest is required"
    );
    assert!(
        Cli::try_parse_from(["simulator", "bench", "g", "--pattern", "x", "--no-pattern"]).is_err()
    );
    let e = parse(&["g", "--pod-annotation", "novalue"])
        .workload()
        .unwrap_err();
    assert!(e.contains("expected KEY=VALUE"), "{e}");
    assert!(parse(&["g", "--rounds", "0"]).options().is_err());
    let e = bench_cli::run(&parse(&["/nonexistent/guest.wasm", "-q"])).unwrap_err();
    assert!(e.starts_with("/nonexistent/guest.wasm: "), "{e}");
}

#[test]
fn help_text() {
    let top = Cli::command().render_help().to_string();
    assert!(top.contains("Time guests in the host"), "{top}");
    let mut cmd = Cli::command();
    let help = cmd
        .find_subcommand_mut("bench")
        .unwrap()
        .render_long_help()
        .to_string();
    for needle in [
        "--nodes",
        "--json",
        "--pattern",
        "Numbers, not pass/fail",
        "Examples:",
    ] {
        assert!(help.contains(needle), "{needle} missing from\n{help}");
    }
}

#[test]
fn runs_a_guest_from_a_path_and_from_a_file_url() {
    let path = floor_wasm();
    let p = path.display().to_string();
    let url = format!("file://{p}");
    let args = [
        p.as_str(),
        url.as_str(),
        "--nodes",
        "2,4",
        "--rounds",
        "2",
        "--warmup",
        "1",
        "--instantiations",
        "2",
        "-q",
    ];
    assert_eq!(
        bench_cli::run(&parse(&args)).unwrap(),
        std::process::ExitCode::SUCCESS
    );
    let mut json = args.to_vec();
    json.push("--json");
    assert_eq!(
        bench_cli::run(&parse(&json)).unwrap(),
        std::process::ExitCode::SUCCESS
    );
}

#[test]
fn a_guest_that_fails_to_load_exits_1() {
    let dir = std::env::temp_dir().join(format!("simulator-bench-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.wasm");
    std::fs::write(&bad, b"nope").unwrap();
    let p = bad.display().to_string();
    let code =
        bench_cli::run(&parse(&[p.as_str(), "--nodes", "2", "--rounds", "1", "-q"])).unwrap();
    assert_eq!(code, std::process::ExitCode::FAILURE);
}
