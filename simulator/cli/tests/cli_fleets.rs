//! `simulator run --fleets`: game-server pods enriched at their cycle by fleet-context's code, the
//! fleet's status growing with each bound server, node loads derived from the placements — and
//! FleetScore's placements moving from spread to pack as that status (not a hand-written
//! annotation) reaches the buffer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_support;

use cli_support::*;
use serde_json::{Value, json};

const STATUS: &str = "scheduler.wasmkwokwizardry.io/fleet-status";
const POLICY: &str = "scheduler.wasmkwokwizardry.io/fleet-policy";
const LOAD: &str = "scheduler.wasmkwokwizardry.io/load-feedback";

fn run_fleet(extra: &[&str]) -> (std::process::Output, TempDir) {
    require_guest("fleet_score");
    let dir = TempDir::new("fleets");
    let out = dir.path("out.json").display().to_string();
    let mut args = vec![
        "run",
        "simulator/scenarios/fleet.json",
        "--fleets",
        "simulator/scenarios/fleet-objects.yaml",
        "--json",
        "--output",
        &out,
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    (o, dir)
}

fn short(pod: &str) -> String {
    pod.trim_start_matches("games/lobby-7x2kq-").to_string()
}

#[test]
fn placements_spread_while_short_of_the_buffer_then_pack() {
    let (o, _dir) = run_fleet(&[]);
    let (pods, summary) = json_lines(&o);
    let got: Vec<(String, String)> = placements(&pods)
        .into_iter()
        .map(|(p, n)| (short(&p), n))
        .collect();
    // Fleet: 2 allocated servers on gs-1, buffer 8 → Agones wants 10. While short (pressure
    // 8/10, 7/10, 6/10) the servers go to the emptiest nodes; at 5/10 every node scores 50 (the
    // in-tree scores decide); from 4/10 on they pack onto gs-1, the fullest node, up to its
    // max-load of 8.
    let want = [
        ("f6p4g", "gs-2"),
        ("h7q4j", "gs-3"),
        ("k8r5l", "gs-4"),
        ("m9s6n", "gs-2"),
        ("p2t7q", "gs-1"),
        ("r4v8s", "gs-1"),
        ("t5w9v", "gs-1"),
        ("x6z2w", "gs-1"),
        ("z2b4c", "gs-1"),
        ("d5f6g", "gs-1"),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(p, n)| (p.to_string(), n.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(summary["scheduled"], json!(10));
    // The FleetScore scores of the first pod: spread (empty nodes 80, gs-1 with 2 of 8: 65).
    let first = &pods[0];
    let scores: Vec<i64> = ["gs-1", "gs-2", "gs-3", "gs-4"]
        .iter()
        .map(|n| first["nodes"][n]["FleetScore"]["score"].as_i64().unwrap())
        .collect();
    assert_eq!(scores, [65, 80, 80, 80], "{first}");
}

#[test]
fn pods_carry_the_status_of_their_moment_and_nodes_their_load() {
    let (_o, dir) = run_fleet(&[]);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("out.json")).unwrap()).unwrap();
    let pods = written["pods"].as_array().unwrap();
    // The two servers bound before the run are not admitted again.
    assert_eq!(pods[0]["metadata"].get("annotations"), None);
    let statuses: Vec<(i64, i64)> = pods[2..]
        .iter()
        .map(|p| {
            let s: Value =
                serde_json::from_str(p["metadata"]["annotations"][STATUS].as_str().unwrap())
                    .unwrap();
            (
                s["replicas"].as_i64().unwrap(),
                s["readyReplicas"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (2, 0),
            (3, 1),
            (4, 2),
            (5, 3),
            (6, 4),
            (7, 5),
            (8, 6),
            (9, 7),
            (10, 8),
            (11, 9)
        ]
    );
    // The fleet label, found from the GameServer's generated name (the pods do not carry it).
    assert_eq!(
        pods[2]["metadata"]["labels"]["scheduler.wasmkwokwizardry.io/fleet"],
        json!("lobby")
    );
    assert_eq!(
        pods[2]["metadata"]["annotations"][POLICY],
        json!(r#"{"type":"Buffer","buffer":{"maxReplicas":20,"minReplicas":8,"bufferSize":8}}"#)
    );
    let loads: Vec<(&str, &str)> = written["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["metadata"]["name"].as_str().unwrap(),
                n["metadata"]["annotations"][LOAD].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        loads,
        [
            ("gs-1", "current-load=8, target-load=6, max-load=8"),
            ("gs-2", "current-load=2, target-load=6, max-load=8"),
            ("gs-3", "current-load=1, target-load=6, max-load=8"),
            ("gs-4", "current-load=1, target-load=6, max-load=8"),
        ]
    );
}

#[test]
fn bad_fleets_files_are_refused_before_the_run() {
    let dir = TempDir::new("fleets-bad");
    let none = dir.write(
        "none.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    let o = run(&["run", "simulator/scenarios/fleet.json", "--fleets", &none]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim(),
        format!(
            "simulator: error: {none}: no Fleet (apiVersion agones.dev/v1, kind Fleet) in the file"
        )
    );
    let o = run(&[
        "run",
        "simulator/scenarios/fleet.json",
        "--target-load",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(2), "--target-load needs --fleets");
}
