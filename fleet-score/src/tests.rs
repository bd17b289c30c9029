//! Native tests through the guest's exports and the SDK's fake host.

use common::testing::{FakeHost, NodeBuilder, PodBuilder, unpack_score};

use super::*;

const BUFFER_5: &str = r#"{"type":"Buffer","buffer":{"bufferSize":5,"maxReplicas":100}}"#;

fn config(json: &str) -> FakeHost {
    let host = FakeHost::new();
    host.config(json);
    exports::reset();
    host
}

fn fleet_pod(fleet: &str, status: &str) -> PodBuilder {
    PodBuilder::new("gs-1")
        .namespace("games")
        .label(DEFAULT_FLEET_LABEL, fleet)
        .label("agones.dev/role", "gameserver")
        .annotation(STATUS_ANNOTATION, status)
}

fn add_node(host: &FakeHost, name: &str, load: Option<&str>) {
    let mut node = NodeBuilder::new(name);
    if let Some(load) = load {
        node = node.annotation(LOAD_ANNOTATION, load);
    }
    host.add_node(name, node.build());
}

/// Per node: (name, filter code, filter reason, score).
type NodeOutcome = (String, i32, Option<String>, Option<i32>);
/// A hook that failed: (code, reason).
type HookFailure = (i32, Option<String>);

/// Runs a whole cycle: PreFilter, Filter and (for the feasible nodes) PreScore and Score.
fn cycle(host: &FakeHost, nodes: &[&str]) -> Result<Vec<NodeOutcome>, HookFailure> {
    host.new_call();
    let code = exports::prefilter();
    if code == 5 {
        return Ok(nodes
            .iter()
            .map(|n| (n.to_string(), 0, None, None))
            .collect());
    }
    if code != 0 {
        return Err((code, host.reason()));
    }
    let mut out = Vec::new();
    for &node in nodes {
        host.new_call().node_name(node);
        let code = exports::filter();
        out.push((node.to_string(), code, host.reason(), None));
    }
    let feasible: Vec<&str> = out
        .iter()
        .filter(|r| r.1 == 0)
        .map(|r| r.0.as_str())
        .collect();
    host.new_call().filtered_nodes(&feasible);
    let code = exports::prescore();
    if code == 5 {
        return Ok(out);
    }
    if code != 0 {
        return Err((code, host.reason()));
    }
    for row in out.iter_mut().filter(|r| r.1 == 0) {
        host.new_call().node_name(&row.0);
        let (score, code) = unpack_score(exports::score());
        assert_eq!(code, 0, "score of {}: {:?}", row.0, host.reason());
        row.3 = Some(score);
    }
    Ok(out)
}

fn scores(rows: &[(String, i32, Option<String>, Option<i32>)]) -> Vec<(&str, Option<i32>)> {
    rows.iter().map(|r| (r.0.as_str(), r.3)).collect()
}

fn three_nodes(host: &FakeHost) {
    add_node(
        host,
        "empty",
        Some("current-load=0, target-load=6, max-load=8"),
    );
    add_node(
        host,
        "half",
        Some("current-load=4, target-load=6, max-load=8"),
    );
    add_node(
        host,
        "busy",
        Some("current-load=7, target-load=6, max-load=8"),
    );
    add_node(
        host,
        "full",
        Some("current-load=8, target-load=6, max-load=8"),
    );
}

#[test]
fn short_of_buffer_spreads_to_the_emptiest_node() {
    let host = config(&format!(
        r#"{{"fleets":{{"lobby":{{"policy":{BUFFER_5}}}}}}}"#
    ));
    three_nodes(&host);
    // allocated 2 → desired 7; replicas 2 → need 5, p = 5/7.
    host.pod(
        fleet_pod(
            "lobby",
            r#"{"replicas":2,"readyReplicas":0,"allocatedReplicas":2}"#,
        )
        .build(),
    );
    let rows = cycle(&host, &["empty", "half", "busy", "full"]).unwrap();
    assert_eq!(
        scores(&rows),
        [
            ("empty", Some(71)),
            ("half", Some(50)),
            ("busy", Some(34)),
            ("full", None)
        ]
    );
    assert_eq!(rows[3].1, 2);
    assert_eq!(
        rows[3].2.as_deref(),
        Some(r#"node "full" is at its max load (current-load=8, max-load=8)"#)
    );
}

#[test]
fn at_or_above_buffer_packs_onto_the_fullest_non_full_node() {
    let host = config(&format!(
        r#"{{"fleets":{{"lobby":{{"policy":{BUFFER_5}}}}}}}"#
    ));
    three_nodes(&host);
    // allocated 2 → desired 7; replicas 9 → p = 0.
    host.pod(
        fleet_pod(
            "lobby",
            r#"{"replicas":9,"readyReplicas":7,"allocatedReplicas":2}"#,
        )
        .build(),
    );
    let rows = cycle(&host, &["empty", "half", "busy", "full"]).unwrap();
    assert_eq!(
        scores(&rows),
        [
            ("empty", Some(0)),
            ("half", Some(50)),
            ("busy", Some(88)),
            ("full", None)
        ]
    );
}

#[test]
fn pods_without_the_fleet_label_are_skipped() {
    let host = config(&format!(r#"{{"default":{{"policy":{BUFFER_5}}}}}"#));
    three_nodes(&host);
    host.pod(PodBuilder::new("web").build());
    let rows = cycle(&host, &["empty", "full"]).unwrap();
    assert_eq!(scores(&rows), [("empty", None), ("full", None)]);
    assert_eq!(host.calls("k8s.io/api.node"), 0);
    assert!(
        host.logs().is_empty(),
        "a non-game-server pod is not warned about"
    );
    // If a host called them anyway: Filter passes, Score is neutral.
    host.new_call().node_name("full");
    assert_eq!(exports::filter(), 0);
    assert_eq!(unpack_score(exports::score()), (NEUTRAL_SCORE, 0));
}

#[test]
fn game_servers_without_the_label_get_one_warning_per_cycle() {
    let host = config("");
    host.pod(
        PodBuilder::new("gs")
            .namespace("games")
            .label("agones.dev/role", "gameserver")
            .build(),
    );
    assert_eq!(exports::prefilter(), 5);
    let logs = host.logs();
    assert_eq!(logs.len(), 1);
    assert!(
        logs[0]
            .message
            .starts_with("game server pod has no fleet label")
    );
    assert_eq!(
        logs[0].kvs,
        [
            "pod",
            "games/gs",
            "label",
            DEFAULT_FLEET_LABEL,
            "severity",
            "warning"
        ]
    );
}

#[test]
fn percent_buffer_and_counter_policies_drive_the_pressure() {
    // Values from the shared Agones vectors: "FromString buffer size, scale up" (desired 63) and
    // counter "scale up" (desired 12).
    let cases = [
        (
            r#"{"fleets":{"f":{"policy":{"type":"Buffer","buffer":{"bufferSize":"20%","minReplicas":1,"maxReplicas":100}}}}}"#,
            r#"{"replicas":50,"readyReplicas":0,"reservedReplicas":3,"allocatedReplicas":50}"#,
            63,
            50,
        ),
        (
            r#"{"fleets":{"f":{"policy":{"type":"Counter","counter":{"key":"rooms","maxCapacity":100,"minCapacity":10,"bufferSize":10}},"template":{"counters":{"rooms":{"count":0,"capacity":7}}}}}}"#,
            r#"{"replicas":10,"readyReplicas":0,"reservedReplicas":3,"allocatedReplicas":10,"counters":{"rooms":{"allocatedCount":0,"allocatedCapacity":0,"count":68,"capacity":70}}}"#,
            12,
            10,
        ),
    ];
    for (config_json, status, desired, replicas) in cases {
        let host = config(config_json);
        add_node(
            &host,
            "empty",
            Some("current-load=0, target-load=8, max-load=10"),
        );
        host.pod(fleet_pod("f", status).build());
        let rows = cycle(&host, &["empty"]).unwrap();
        let p = f64::from(desired - replicas) / f64::from(desired);
        assert_eq!(rows[0].3, Some((100.0 * p).round() as i32), "{config_json}");
        let config: Config = serde_json::from_str(config_json).unwrap();
        let fleet = &config.fleets["f"];
        let got = pressure(
            &fleet.policy,
            &fleet.template,
            &serde_json::from_str(status).unwrap(),
        )
        .unwrap();
        assert_eq!((got.desired, got.replicas), (desired, replicas));
    }
}

#[test]
fn invalid_policies_are_errors_naming_the_rule() {
    // In guestConfig: every hook answers Error, the instance stays usable.
    let host = config(
        r#"{"fleets":{"f":{"policy":{"type":"Buffer","buffer":{"bufferSize":0,"maxReplicas":10}}}}}"#,
    );
    host.pod(fleet_pod("f", r#"{"replicas":1}"#).build());
    let err = cycle(&host, &["n"]).unwrap_err();
    assert_eq!(err.0, 1);
    assert_eq!(
        err.1.as_deref(),
        Some(
            "invalid policy: fleets.f.policy.buffer.bufferSize: Invalid value: 0: must be greater than or equal to 0"
        )
    );
    // In the pod annotation: Error at PreScore for that pod only.
    let host = config(&format!(r#"{{"default":{{"policy":{BUFFER_5}}}}}"#));
    add_node(&host, "n", None);
    host.pod(
        fleet_pod("f", r#"{"replicas":1}"#)
            .annotation(
                POLICY_ANNOTATION,
                r#"{"type":"Webhook","webhook":{"url":"http://x"}}"#,
            )
            .build(),
    );
    let err = cycle(&host, &["n"]).unwrap_err();
    assert_eq!(
        err,
        (
            1,
            Some(format!(
                "{POLICY_ANNOTATION}.type: Unsupported value: \"Webhook\": fleet-score computes Buffer, Counter and List policies only"
            ))
        )
    );
    // Arrays for objects, at the top or inside: refused, not read as the fields in order.
    for (policy, path) in [
        ("[]", "the value"),
        (
            r#"["Buffer",{"bufferSize":5,"maxReplicas":10}]"#,
            "the value",
        ),
        (r#"{"type":"Buffer","buffer":[5,10]}"#, "buffer"),
    ] {
        host.pod(
            fleet_pod("f", r#"{"replicas":1}"#)
                .annotation(POLICY_ANNOTATION, policy)
                .build(),
        );
        assert_eq!(
            cycle(&host, &["n"]).unwrap_err(),
            (
                1,
                Some(format!(
                    "annotation {POLICY_ANNOTATION} is not an Agones policy: {path} is a JSON array; a JSON object is expected"
                ))
            ),
            "{policy}"
        );
    }
    host.pod(fleet_pod("f", r#"{"replicas":1,"allocatedReplicas":1}"#).build());
    assert_eq!(
        scores(&cycle(&host, &["n"]).unwrap()),
        [("n", Some(NEUTRAL_SCORE))]
    );
}

#[test]
fn broken_status_annotations_are_errors_at_prescore_and_the_next_pod_is_served() {
    let host = config(&format!(r#"{{"default":{{"policy":{BUFFER_5}}}}}"#));
    add_node(
        &host,
        "n",
        Some("current-load=2, target-load=3, max-load=4"),
    );
    let cases = [
        (
            "{not json",
            "annotation scheduler.wasmkwokwizardry.io/fleet-status is not a FleetStatus: key must be a string at line 1 column 2",
        ),
        (
            r#"{"replicas":-3}"#,
            "annotation scheduler.wasmkwokwizardry.io/fleet-status: replicas is negative (-3)",
        ),
        (
            r#"{"replicas":"many"}"#,
            "annotation scheduler.wasmkwokwizardry.io/fleet-status is not a FleetStatus: invalid type: string \"many\", expected i32 at line 1 column 18",
        ), // serde's derive would take a struct as the array of its fields: not Agones' format.
        (
            "[6,0,0,2]",
            "annotation scheduler.wasmkwokwizardry.io/fleet-status is not a FleetStatus: the value is a JSON array; a JSON object is expected",
        ),
        (
            "[]",
            "annotation scheduler.wasmkwokwizardry.io/fleet-status is not a FleetStatus: the value is a JSON array; a JSON object is expected",
        ),
        (
            r#"{"replicas":9,"counters":{"rooms":[1,2,3,4]}}"#,
            "annotation scheduler.wasmkwokwizardry.io/fleet-status is not a FleetStatus: counters.rooms is a JSON array; a JSON object is expected",
        ),
    ];
    for (status, reason) in cases {
        host.pod(fleet_pod("f", status).build());
        assert_eq!(
            cycle(&host, &["n"]).unwrap_err(),
            (1, Some(reason.to_owned())),
            "{status}"
        );
    }
    host.pod(
        PodBuilder::new("gs")
            .label(DEFAULT_FLEET_LABEL, "f")
            .build(),
    );
    assert_eq!(
        cycle(&host, &["n"]).unwrap_err(),
        (
            1,
            Some(format!(
                "fleet pod has no {STATUS_ANNOTATION} annotation (Agones FleetStatus JSON)"
            ))
        )
    );
    host.pod(fleet_pod("f", r#"{"replicas":9,"allocatedReplicas":2}"#).build());
    assert_eq!(scores(&cycle(&host, &["n"]).unwrap()), [("n", Some(50))]);
}

#[test]
fn malformed_node_annotations_score_zero_with_a_warning() {
    let host = config(&format!(r#"{{"default":{{"policy":{BUFFER_5}}}}}"#));
    add_node(&host, "bad", Some("current-load=lots"));
    add_node(
        &host,
        "negative",
        Some("current-load=-1, target-load=3, max-load=4"),
    );
    add_node(&host, "silent", None);
    add_node(
        &host,
        "target-only",
        Some("current-load=3, target-load=6, max-load=0"),
    );
    host.pod(fleet_pod("f", r#"{"replicas":9,"allocatedReplicas":2}"#).build());
    let rows = cycle(&host, &["bad", "negative", "silent", "target-only"]).unwrap();
    assert_eq!(
        scores(&rows),
        [
            ("bad", Some(0)),
            ("negative", Some(0)),
            ("silent", Some(NEUTRAL_SCORE)),
            ("target-only", Some(50))
        ]
    );
    let warnings: Vec<_> = host
        .logs()
        .into_iter()
        .filter(|l| l.message.starts_with("node load annotation"))
        .collect();
    assert_eq!(warnings.len(), 2);
    assert_eq!(
        warnings[0].kvs[..4],
        ["node", "bad", "annotation", LOAD_ANNOTATION]
    );
    // Filter read every node once; Score reused those reads.
    assert_eq!(host.calls("k8s.io/api.node"), 4);
}

#[test]
fn smoothing_moves_the_pressure_gradually_and_a_fresh_instance_starts_unsmoothed() {
    let json =
        format!(r#"{{"default":{{"policy":{BUFFER_5}}},"smoothing":{{"smoothingFactor":0.5}}}}"#);
    let host = config(&json);
    add_node(
        &host,
        "empty",
        Some("current-load=0, target-load=8, max-load=10"),
    );
    let run = |status: &str| {
        host.pod(fleet_pod("f", status).build());
        cycle(&host, &["empty"]).unwrap()[0].3
    };
    // At the buffer (desired 5 + 5 = replicas 10): ratio 1 → p 0.
    assert_eq!(run(r#"{"replicas":10,"allocatedReplicas":5}"#), Some(0));
    // Suddenly short: desired 9 + 5 = 14 for 10 replicas, ratio 1.4. Unsmoothed p = 4/14 (score 29);
    // smoothed s = 0.5·1.4 + 0.5·1 = 1.2 → desired 12 → p = 2/12 (score 17).
    assert_eq!(run(r#"{"replicas":10,"allocatedReplicas":9}"#), Some(17));
    // s = 0.5·1.4 + 0.5·1.2 = 1.3 → desired 13 → p = 3/13 (score 23).
    assert_eq!(run(r#"{"replicas":10,"allocatedReplicas":9}"#), Some(23));
    // A fresh instance has no history: the first sighting is taken as is.
    exports::reset();
    assert_eq!(run(r#"{"replicas":10,"allocatedReplicas":9}"#), Some(29));
}

#[test]
fn score_formula_extremes() {
    assert_eq!(score(0.0, 1.0), 100);
    assert_eq!(score(0.0, 0.0), 0);
    assert_eq!(score(1.0, 0.0), 100);
    assert_eq!(score(1.0, 1.0), 0);
    assert_eq!(score(0.5, 0.9), 50);
    assert_eq!(score(f64::NAN.max(0.0), 0.25), 25);
    assert_eq!(score(2.0, -1.0), 100, "inputs are clamped");
}
