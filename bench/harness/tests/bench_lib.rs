//! `bench_harness` (bench/harness) runs and reports a sane structure on tiny sizes (no timing assertions: the
//! numbers themselves are for `make bench`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

use std::time::Duration;

use bench_harness::{self as bench, Guest, Options, Workload};

fn wat_guest(label: &str, text: &str) -> Guest {
    Guest::from_bytes(label, label, wat::parse_str(text).unwrap())
}

fn fixture(name: &str) -> Guest {
    let path = format!("{}/../{name}", env!("CARGO_MANIFEST_DIR"));
    Guest::from_bytes(name, &path, wat::parse_file(&path).unwrap())
}

fn tiny() -> Options {
    Options {
        node_counts: vec![3, 6],
        rounds: 3,
        warmup: 1,
        instantiations: 3,
        budget: Duration::from_secs(30),
        min_rounds: 2,
        progress: false,
    }
}

#[test]
fn floor_guests_are_measured_at_every_node_count() {
    let guests = [fixture("floor.wat"), fixture("floor-score.wat")];
    let report = bench::run(&guests, &Workload::regex("kubecon-.*"), &tiny());
    assert_eq!(report.guests.len(), 2);
    for g in &report.guests {
        assert_eq!(g.error, None, "{}", g.label);
        let inst = g.instantiate.expect("instantiate measured");
        assert_eq!(inst.samples, 3);
        assert!(inst.min_ns <= inst.median_ns && inst.median_ns <= inst.max_ns);
        assert!(g.load_ns.is_some());
        assert_eq!(g.runs.iter().map(|r| r.nodes).collect::<Vec<_>>(), [3, 6]);
        for r in &g.runs {
            assert_eq!(r.rounds, 3);
            assert_eq!(r.warmup, 1);
            assert_eq!(r.filter_calls, r.nodes);
            let f = r.filter.expect("filter measured");
            assert_eq!(f.samples, 3);
            assert!(f.p25_ns <= f.median_ns && f.median_ns <= f.p75_ns);
            assert!(r.cycle.median_ns > 0.0);
            assert_eq!(r.memory_bytes, 65536);
            assert_eq!(r.instances, 1);
            assert_eq!(
                r.statuses.get("Filter Success").copied(),
                Some(r.nodes as u64)
            );
        }
    }
    let floor = report.guest("floor.wat").unwrap();
    assert_eq!(floor.exports, ["filter"]);
    let r = floor.at(6).unwrap();
    assert!(r.prefilter.is_none() && r.score.is_none() && r.prescore.is_none());
    assert_eq!(
        r.host_calls_per_cycle
            .get("k8s.io/scheduler.currentNodeName"),
        Some(&6.0)
    );

    let scorer = report.guest("floor-score.wat").unwrap();
    let r = scorer.at(6).unwrap();
    assert!(r.prefilter.is_some() && r.prescore.is_some());
    assert_eq!(r.score_calls, 6);
    assert_eq!(r.score.unwrap().samples, 3);
    assert_eq!(r.statuses.get("Score Success").copied(), Some(6));
    assert_eq!(r.statuses.get("PreScore Success").copied(), Some(1));
    // One currentNodeName per Filter and per Score.
    assert_eq!(
        r.host_calls_per_cycle
            .get("k8s.io/scheduler.currentNodeName"),
        Some(&12.0)
    );

    let text = bench::render(&report);
    for needle in [
        "floor.wat",
        "floor-score.wat",
        "instantiate",
        "Filter/call",
        "Score/call",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["guests"][0]["runs"][1]["nodes"], 6);
    assert!(json["guests"][0]["runs"][0]["filter"]["median_ns"].is_number());
    assert_eq!(json["options"]["node_counts"], serde_json::json!([3, 6]));
}

#[test]
fn prefilter_skip_and_unschedulable_follow_the_framework() {
    // PreFilter Skip: Filter is not called and every node stays feasible for Score.
    let skip = wat_guest(
        "skip",
        r#"(module (memory (export "memory") 1)
            (func (export "prefilter") (result i32) (i32.const 5))
            (func (export "filter") (result i32) (unreachable))
            (func (export "score") (result i64) (i64.const 0x700000000)))"#,
    );
    // Filter rejects every node: no PreScore, no Score.
    let reject = wat_guest(
        "reject",
        r#"(module (memory (export "memory") 1)
            (func (export "filter") (result i32) (i32.const 2))
            (func (export "prescore") (result i32) (unreachable))
            (func (export "score") (result i64) (unreachable)))"#,
    );
    let report = bench::run(&[skip, reject], &Workload::default(), &tiny());
    let s = report.guest("skip").unwrap();
    assert_eq!(s.error, None);
    let r = s.at(3).unwrap();
    assert!(r.filter.is_none());
    assert_eq!(r.filter_calls, 0);
    assert_eq!(r.score_calls, 3);
    assert_eq!(r.statuses.get("PreFilter Skip").copied(), Some(1));

    let x = report.guest("reject").unwrap();
    assert_eq!(x.error, None);
    let r = x.at(6).unwrap();
    assert_eq!(r.statuses.get("Filter Unschedulable").copied(), Some(6));
    assert!(r.score.is_none() && r.prescore.is_none());
}

#[test]
fn a_guest_that_cannot_load_is_reported_and_the_others_are_measured() {
    let bad = Guest::from_bytes("bad.wasm", "bad.wasm", b"not wasm".to_vec());
    let report = bench::run(&[bad, fixture("floor.wat")], &Workload::default(), &tiny());
    let e = report.guest("bad.wasm").unwrap().error.clone().unwrap();
    assert!(e.contains("wasm: error compiling guest"), "{e}");
    assert_eq!(report.guest("floor.wat").unwrap().runs.len(), 2);
    assert!(bench::render(&report).contains("bad.wasm: not measured: "));
}

#[test]
fn fresh_instance_helpers_make_new_instances() {
    let w = Workload::regex("x");
    let plugin = w.load(&fixture("floor-score.wat"), 2).unwrap();
    let times = bench::instantiate_times(&plugin, 4).unwrap();
    assert_eq!(times.len(), 4);
    assert_eq!(plugin.instance_count(), 5);
    let pod = w.pod(0).unwrap();
    bench::first_filter_on_fresh_instance(&plugin, &pod, &bench::node_name(0)).unwrap();
    assert_eq!(plugin.instance_count(), 6);
    assert_eq!(plugin.stats().instances_created, 6);
}

#[test]
fn a_trapping_hook_stops_the_guest_with_its_error() {
    // A trap is an Error status (as in the host), not a crash; the cycle goes on as the framework
    // would. A hook the real scheduler would crash on (score without export is not reachable
    // here) is reported as the guest's error.
    let trap = wat_guest(
        "trap",
        r#"(module (memory (export "memory") 1)
            (func (export "filter") (result i32) (unreachable)))"#,
    );
    let report = bench::run(&[trap], &Workload::default(), &tiny());
    let g = &report.guests[0];
    assert_eq!(g.error, None);
    assert_eq!(
        g.at(3).unwrap().statuses.get("Filter Error").copied(),
        Some(3)
    );
}

#[test]
fn subjects_with_their_own_workloads_run_interleaved() {
    let floor = fixture("floor-score.wat");
    let scored = Workload::regex("a").pod_label("team", "x");
    let plain = Workload::default();
    let opts = Options {
        instantiations: 0,
        ..tiny()
    };
    let reports = bench::run_subjects(&[(&floor, &scored), (&floor, &plain)], &opts);
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert_eq!(r.error, None);
        assert!(r.instantiate.is_none(), "instantiations = 0 skips it");
        assert_eq!(r.exports, ["prefilter", "filter", "prescore", "score"]);
        assert!(r.load_ns.is_some());
        assert_eq!(r.runs.len(), 2);
        assert!(r.runs.iter().all(|run| run.rounds == 3));
    }
}
