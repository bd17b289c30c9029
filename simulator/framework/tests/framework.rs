//! The framework as a library (what `simulator run` builds on): cycles over the bundled demo,
//! `evaluate` leaving the cluster untouched, plugin lists per extension point.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

use std::path::PathBuf;

use simulator_framework::{Framework, Options, Outcome, Point, Scenario};

/// The repository root, where `file://static/…` resolves.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Panics with the command to run when a shipped guest has not been built.
fn require_guest(name: &str) {
    let p = root().join("static").join(format!("{name}.wasm"));
    assert!(
        p.exists(),
        "{} is not built: run `make build` first",
        p.display()
    );
}

fn demo() -> (Scenario, Framework) {
    require_guest("regex_v1");
    let text = std::fs::read_to_string(root().join("simulator/scenarios/demo.json")).unwrap();
    let scenario = Scenario::from_text(&text, "demo.json").unwrap();
    let profile = scenario
        .scheduler_config()
        .unwrap()
        .unwrap()
        .profile(None)
        .unwrap();
    // Relative file:// URLs resolve from the current directory, as upstream.
    std::env::set_current_dir(root()).unwrap();
    let fw = Framework::new(profile, &scenario, Options::default()).unwrap();
    (scenario, fw)
}

#[test]
fn evaluate_is_repeatable_and_binds_nothing() {
    let (scenario, mut fw) = demo();
    let pods = scenario.pods();
    assert_eq!(fw.queue(pods), [0, 1, 2]);
    let kubecon = fw.prepare(&pods[0]).unwrap();
    let plain = fw.prepare(&pods[2]).unwrap();
    for _ in 0..3 {
        let r = fw.evaluate(&plain);
        assert_eq!(r.outcome, Outcome::Scheduled);
        assert_eq!(r.node.as_deref(), Some("node-default"));
        assert_eq!(r.reason, "would be assigned to node-default");
    }
    // Binding pod-kubecon to kubecon-1 changes what pod-plain sees.
    assert_eq!(fw.schedule(&kubecon).node.as_deref(), Some("kubecon-1"));
    let r = fw.evaluate(&plain);
    let totals: Vec<(String, Option<i64>)> =
        r.nodes.iter().map(|n| (n.node.clone(), n.total)).collect();
    assert_eq!(
        totals,
        [
            ("node-default".to_string(), Some(496)),
            ("kubecon-1".to_string(), Some(494)),
            ("kubecon-2".to_string(), Some(496)),
        ]
    );
}

#[test]
fn plugins_per_extension_point() {
    let (_, fw) = demo();
    assert_eq!(
        fw.plugins_at(Point::Filter),
        [
            "NodeUnschedulable",
            "NodeName",
            "TaintToleration",
            "NodeAffinity",
            "NodeResourcesFit",
            "WasmRegexScheduling"
        ]
    );
    assert_eq!(
        fw.plugins_at(Point::Score),
        [
            "TaintToleration",
            "NodeAffinity",
            "NodeResourcesFit",
            "NodeResourcesBalancedAllocation"
        ]
    );
    assert_eq!(fw.plugins_at(Point::PostFilter), ["WasmRegexScheduling"]);
    assert_eq!(fw.plugins_at(Point::Bind), ["DefaultBinder"]);
    assert_eq!(fw.weight("TaintToleration"), 3);
    assert_eq!(
        fw.wasm_plugins()[0].guest_url,
        "file://static/regex_v1.wasm"
    );
}
