//! The fleet-score guest (static/fleet_score.wasm) in the host: table-driven placements.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

use integration_tests::{load, node, pod_json};
use serde_json::Value;
use simulator_host::{PodObject, Status, WasmPlugin};

const FLEET: &str = "scheduler.wasmkwokwizardry.io/fleet";
const STATUS: &str = "scheduler.wasmkwokwizardry.io/fleet-status";
const POLICY: &str = "scheduler.wasmkwokwizardry.io/fleet-policy";
const LOAD: &str = "scheduler.wasmkwokwizardry.io/load-feedback";

const CONFIG: &str = r#"{
  "fleets": {
    "lobby": {"policy": {"type": "Buffer", "buffer": {"bufferSize": 5, "maxReplicas": 100}}},
    "arena": {"policy": {"type": "Buffer", "buffer": {"bufferSize": "20%", "minReplicas": 1, "maxReplicas": 100}}},
    "rooms": {
      "policy": {"type": "Counter", "counter": {"key": "rooms", "maxCapacity": 100, "minCapacity": 10, "bufferSize": 10}},
      "template": {"counters": {"rooms": {"count": 0, "capacity": 7}}}
    }
  }
}"#;

/// A node reporting `current` of a target load of 6 and a max load of 8.
fn loaded(name: &str, current: u32) -> Value {
    let feedback = format!("current-load={current}, target-load=6, max-load=8");
    node(name, &[(LOAD, feedback.as_str())])
}

fn nodes() -> Vec<Value> {
    vec![
        loaded("empty", 0),
        loaded("half", 4),
        loaded("busy", 7),
        loaded("full", 8),
        node("quiet", &[]),
    ]
}

const NODES: [&str; 5] = ["empty", "half", "busy", "full", "quiet"];

struct Cycle {
    filter: Vec<Status>,
    scores: Vec<Option<i64>>,
}

/// PreFilter, Filter on every node, PreScore and Score on the feasible ones, as kube-scheduler
/// runs them (Skip at PreFilter/PreScore skips Filter/Score).
fn cycle(plugin: &WasmPlugin, pod: &PodObject) -> Result<Cycle, Status> {
    let (pre, _) = plugin.pre_filter(pod).expect("prefilter");
    let filter: Vec<Status> = match pre.code {
        Status::SUCCESS => NODES
            .iter()
            .map(|n| plugin.filter(pod, n).expect("filter"))
            .collect(),
        Status::SKIP => vec![Status::success(); NODES.len()],
        _ => return Err(pre),
    };
    let feasible: Vec<&str> = NODES
        .iter()
        .zip(&filter)
        .filter(|(_, s)| s.is_success())
        .map(|(n, _)| *n)
        .collect();
    let pre_score = plugin.pre_score(pod, &feasible).expect("prescore");
    let scores = match pre_score.code {
        Status::SUCCESS => NODES
            .iter()
            .zip(&filter)
            .map(|(n, s)| {
                s.is_success().then(|| {
                    let (score, status) = plugin.score(pod, n).expect("score");
                    assert!(status.is_success(), "{n}: {status:?}");
                    score
                })
            })
            .collect(),
        Status::SKIP => vec![None; NODES.len()],
        _ => return Err(pre_score),
    };
    Ok(Cycle { filter, scores })
}

fn fleet_pod(name: &str, fleet: &str, status: &str, extra: &[(&str, &str)]) -> PodObject {
    let mut annotations = vec![(STATUS, status)];
    annotations.extend_from_slice(extra);
    PodObject::from_json(&pod_json(
        name,
        &[(FLEET, fleet), ("agones.dev/role", "gameserver")],
        &annotations,
    ))
    .expect("pod")
}

fn winner(c: &Cycle) -> Option<&'static str> {
    let best = c.scores.iter().flatten().max()?;
    NODES
        .iter()
        .zip(&c.scores)
        .find(|(_, s)| s.as_ref() == Some(best))
        .map(|(n, _)| *n)
}

#[test]
fn placements_follow_the_fleet_pressure() {
    let plugin = load("fleet_score", CONFIG, &nodes());
    // (fleet, status, expected scores for empty/half/busy/quiet, winner)
    let table: &[(&str, &str, [i64; 4], &str)] = &[
        // lobby short: desired 2+5 = 7 for 2 replicas → p = 5/7 → spread.
        (
            "lobby",
            r#"{"replicas":2,"allocatedReplicas":2}"#,
            [71, 50, 34, 50],
            "empty",
        ),
        // lobby at its buffer: desired 7 for 9 replicas → p = 0 → pack onto the fullest non-full node.
        (
            "lobby",
            r#"{"replicas":9,"readyReplicas":7,"allocatedReplicas":2}"#,
            [0, 50, 88, 50],
            "busy",
        ),
        // arena, 20 % buffer (Agones vector "FromString buffer size, scale up"): desired 63 for 50 → p = 13/63.
        (
            "arena",
            r#"{"replicas":50,"reservedReplicas":3,"allocatedReplicas":50}"#,
            [21, 50, 72, 50],
            "busy",
        ),
        // rooms, Counter (Agones vector "scale up"): desired 12 for 10 → p = 2/12.
        (
            "rooms",
            r#"{"replicas":10,"reservedReplicas":3,"allocatedReplicas":10,"counters":{"rooms":{"count":68,"capacity":70}}}"#,
            [17, 50, 75, 50],
            "busy",
        ),
    ];
    for (i, (fleet, status, scores, best)) in table.iter().enumerate() {
        let c = cycle(&plugin, &fleet_pod(&format!("gs-{i}"), fleet, status, &[])).expect("cycle");
        assert_eq!(
            c.filter[3],
            Status::new(
                2,
                r#"node "full" is at its max load (current-load=8, max-load=8)"#
            ),
            "{fleet}"
        );
        let got: Vec<i64> = [0, 1, 2, 4]
            .iter()
            .map(|&j| c.scores[j].expect("scored"))
            .collect();
        assert_eq!(got, scores, "{fleet} {status}");
        assert_eq!(winner(&c), Some(*best), "{fleet} {status}");
    }
}

#[test]
fn pods_outside_fleets_are_neutral() {
    let plugin = load("fleet_score", CONFIG, &nodes());
    let web = PodObject::from_json(&pod_json("web", &[], &[])).expect("pod");
    let c = cycle(&plugin, &web).expect("cycle");
    assert!(
        c.filter.iter().all(Status::is_success),
        "the full node is not filtered for non-fleet pods"
    );
    assert!(
        c.scores.iter().all(Option::is_none),
        "Score is skipped: every node scores the same"
    );
    assert_eq!(plugin.stats().host("k8s.io/api.node"), 0);
}

#[test]
fn bad_policies_and_statuses_are_errors_and_the_next_pod_is_served() {
    let plugin = load("fleet_score", CONFIG, &nodes());
    let cases = [
        (
            fleet_pod("a", "lobby", "{oops", &[]),
            "annotation scheduler.wasmkwokwizardry.io/fleet-status is not a FleetStatus: key must be a string at line 1 column 2",
        ),
        (
            fleet_pod(
                "b",
                "lobby",
                r#"{"replicas":1}"#,
                &[(
                    POLICY,
                    r#"{"type":"Buffer","buffer":{"bufferSize":5,"maxReplicas":2}}"#,
                )],
            ),
            "invalid policy: scheduler.wasmkwokwizardry.io/fleet-policy.buffer.maxReplicas: Invalid value: 2: maxReplicas should be bigger than or equal to bufferSize",
        ),
        (
            fleet_pod("c", "unknown", r#"{"replicas":1}"#, &[]),
            "no policy for fleet \"unknown\": add it to guestConfig \"fleets\" or \"default\", or annotate the pod with scheduler.wasmkwokwizardry.io/fleet-policy",
        ),
    ];
    for (pod, reason) in cases {
        assert_eq!(cycle(&plugin, &pod).err(), Some(Status::new(1, reason)));
    }
    let ok = fleet_pod("d", "lobby", r#"{"replicas":2,"allocatedReplicas":2}"#, &[]);
    assert_eq!(winner(&cycle(&plugin, &ok).expect("cycle")), Some("empty"));
    assert_eq!(plugin.instance_count(), 1);
}

#[test]
fn an_invalid_guest_config_is_an_error_naming_the_rule() {
    let plugin = load(
        "fleet_score",
        r#"{"fleets":{"f":{"policy":{"type":"List","list":{"key":"k","bufferSize":"0%","maxCapacity":10}}}}}"#,
        &nodes(),
    );
    let p = fleet_pod("a", "f", r#"{"replicas":1}"#, &[]);
    let err = cycle(&plugin, &p).err().expect("error");
    assert_eq!(err.code, 1);
    assert!(
        err.reason
            .starts_with("invalid policy: fleets.f.policy.list.bufferSize"),
        "{}",
        err.reason
    );
}
