//! `simulator run`: the demo with v1 and v2, the wizards export, two wasm plugins together
//! (PreFilter node sets intersecting, Score weights), TinyGo-style and trapping guests, queue order
//! and scheduling gates, the game-server scenario, `--output` and `--pod`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod cli_support;

use cli_support::*;
use serde_json::{Value, json};

fn ok(args: &[&str]) -> std::process::Output {
    let o = run(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        stdout(&o),
        stderr(&o)
    );
    o
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

const CNCF_REASON: &str = "0/3 nodes are available: 1 node \"kubecon-1\" does not match regex \"cncf-.*\", 1 node \"kubecon-2\" does not match regex \"cncf-.*\", 1 node \"node-default\" does not match regex \"cncf-.*\".";

/// The demo's decisions, the same for v1 and v2.
fn check_demo(pods: &[Value], summary: &Value) {
    assert_eq!(
        placements(pods),
        pairs(&[
            ("default/pod-kubecon", "kubecon-1"),
            ("default/pod-cncf", "-"),
            ("default/pod-plain", "node-default"),
        ])
    );
    let reasons: Vec<&str> = pods.iter().map(|p| p["reason"].as_str().unwrap()).collect();
    assert_eq!(
        reasons,
        [
            "Successfully assigned default/pod-kubecon to kubecon-1",
            CNCF_REASON,
            "Successfully assigned default/pod-plain to node-default",
        ]
    );
    let results: Vec<&str> = pods.iter().map(|p| p["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["scheduled", "unschedulable", "scheduled"]);
    assert_eq!(
        pods[0]["nodes"]["node-default"]["WasmRegexScheduling"],
        json!({"code": "Unschedulable", "reason": "node \"node-default\" does not match regex \"kubecon-.*\"",
               "score": null, "normalized": null, "weight": null})
    );
    assert_eq!(
        pods[0]["nodes"]["kubecon-1"]["WasmRegexScheduling"]["code"],
        "Success"
    );
    // Both kubecon nodes score the same: the tie goes to the node listed first.
    assert_eq!(
        pods[0]["totals"],
        json!({"kubecon-1": 496, "kubecon-2": 496})
    );
    assert_eq!(pods[0]["feasibleNodes"], 2);
    // pod-kubecon now uses kubecon-1: pod-plain's scores see it.
    assert_eq!(
        pods[2]["totals"],
        json!({"node-default": 496, "kubecon-1": 494, "kubecon-2": 496})
    );
    assert_eq!(summary["scheduled"], 2);
    assert_eq!(summary["unschedulable"], 1);
    assert_eq!(summary["errors"], 0);
}

/// With the compiled-guest cache on: the first run fills it, the second reads it, both print the
/// golden table.
#[test]
fn cached_runs_match() {
    require_guest("regex_v1");
    let dir = TempDir::new("module-cache");
    let cache = dir.0.join("cache");
    let run_cached = || {
        let o = simulator()
            .env("SIMULATOR_MODULE_CACHE", &cache)
            .args(["run", "simulator/scenarios/demo.json"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        o
    };
    let cold = run_cached();
    assert_eq!(stdout(&cold), golden("demo-v1.txt"));
    assert_eq!(stderr(&cold), "");
    let files = |dir: &std::path::Path| -> usize {
        fn walk(d: &std::path::Path, n: &mut usize) {
            for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, n);
                } else {
                    *n += 1;
                }
            }
        }
        let mut n = 0;
        walk(dir, &mut n);
        n
    };
    assert!(files(&cache) >= 1, "nothing cached in {}", cache.display());
    let warm = run_cached();
    assert_eq!(stdout(&warm), golden("demo-v1.txt"));
    assert_eq!(stderr(&warm), "");

    // A relative directory is refused by wasmtime: a warning, and the run goes on uncached.
    let o = simulator()
        .env("SIMULATOR_MODULE_CACHE", "relative/dir")
        .args(["run", "simulator/scenarios/demo.json"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), golden("demo-v1.txt"));
    assert!(
        stderr(&o)
            .starts_with("simulator: warning: compiled-guest cache off (SIMULATOR_MODULE_CACHE): "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn demo_with_v1() {
    require_guest("regex_v1");
    let o = ok(&["run", "simulator/scenarios/demo.json"]);
    assert_eq!(stdout(&o), golden("demo-v1.txt"));
    assert_eq!(stderr(&o), "");
    let o = ok(&["run", "simulator/scenarios/demo.json", "--json"]);
    let (pods, summary) = json_lines(&o);
    check_demo(&pods, &summary);
    // v1 exports only filter: the host answers PreFilter itself.
    let stages: Vec<(&str, &str)> = pods[0]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["plugin"] == "WasmRegexScheduling")
        .map(|s| (s["point"].as_str().unwrap(), s["code"].as_str().unwrap()))
        .collect();
    assert_eq!(stages, [("PreFilter", "Success")]);
}

#[test]
fn demo_with_v2() {
    require_guest("regex_v2");
    let args = [
        "run",
        "simulator/scenarios/demo.json",
        "--config",
        "simulator/scenarios/demo-v2.yaml",
    ];
    let o = ok(&args);
    assert_eq!(stdout(&o), golden("demo-v2.txt"));
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (pods, summary) = json_lines(&ok(&json_args));
    check_demo(&pods, &summary);
}

/// An invalid pattern: v1 fails in Filter, v2 already in PreFilter; either way the cycle errors.
#[test]
fn invalid_pattern_errors_in_filter_for_v1_and_prefilter_for_v2() {
    require_guest("regex_v2");
    let dir = TempDir::new("badregex");
    let nodes = [node("node-default"), node("kubecon-1")];
    let pods = [
        pod("pod-bad", &[(REGEX, "[")]),
        pod("pod-ok", &[(REGEX, "kubecon")]),
    ];
    let mut reasons = Vec::new();
    for v in ["regex_v1", "regex_v2"] {
        let args = json!({"guestURL": format!("file://static/{v}.wasm")});
        let s = dir.write(
            &format!("{v}.json"),
            scenario(
                &nodes,
                &pods,
                Some(config(&[("WasmRegexScheduling", 0, args)])),
            ),
        );
        let (lines, summary) = json_lines(&ok(&["run", &s, "--json"]));
        assert_eq!(lines[0]["result"], "error");
        assert_eq!(lines[1]["node"], "kubecon-1");
        assert_eq!(summary["errors"], 1);
        reasons.push(lines[0]["reason"].as_str().unwrap().to_string());
    }
    assert_eq!(
        reasons,
        [
            "running \"WasmRegexScheduling\" filter plugin: failed to compile regex \"[\": error parsing regexp: missing closing ]: `[`",
            "running PreFilter plugin \"WasmRegexScheduling\": failed to compile regex \"[\": error parsing regexp: missing closing ]: `[`",
        ]
    );
}

#[test]
fn wizards_export_reports_what_is_not_emulated() {
    let o = ok(&[
        "run",
        "simulator/cli/tests/data/kubecon-na-2024-wizards.json",
    ]);
    assert_eq!(
        stdout(&o),
        "Profile \"default-scheduler\": 4 nodes, 0 pods to schedule\n\
         \x20 emulated      NodeUnschedulable, NodeName, TaintToleration (weight 3), NodeAffinity (weight 2), NodeResourcesFit (weight 1), NodeResourcesBalancedAllocation (weight 1)\n\
         \x20 framework     SchedulingGates, PrioritySort, DefaultBinder\n\
         \x20 not emulated  NodePorts, VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone, PodTopologySpread, InterPodAffinity, DefaultPreemption, ImageLocality, EBSLimits, GCEPDLimits, AzureDiskLimits (left out of every cycle)\n\
         \n\
         0 scheduled, 0 unschedulable, 0 errors\n"
    );
    let (_, summary) = json_lines(&ok(&[
        "run",
        "simulator/cli/tests/data/kubecon-na-2024-wizards.json",
        "--json",
    ]));
    assert_eq!(
        summary["notEmulated"],
        json!([
            "NodePorts",
            "VolumeRestrictions",
            "NodeVolumeLimits",
            "VolumeBinding",
            "VolumeZone",
            "PodTopologySpread",
            "InterPodAffinity",
            "DefaultPreemption",
            "ImageLocality",
            "EBSLimits",
            "GCEPDLimits",
            "AzureDiskLimits"
        ])
    );
}

/// The wizards export with pods added: its embedded (defaulted) config runs the emulated in-tree
/// plugins with kube-scheduler's reasons.
#[test]
fn wizards_export_with_pods() {
    let text = std::fs::read_to_string(
        root().join("simulator/cli/tests/data/kubecon-na-2024-wizards.json"),
    )
    .unwrap();
    let mut export: Value = serde_json::from_str(&text).unwrap();
    let mut big = pod("big", &[]);
    big["spec"]["containers"][0]["resources"]["requests"]["cpu"] = json!("5");
    let mut pinned = pod("pinned", &[]);
    pinned["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": "phoenix-2"});
    let mut named = pod("named", &[]);
    named["spec"]["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
        {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["oz-2"]}]}]}}});
    export["pods"] = json!([big, pinned, named, pod("plain", &[])]);
    let dir = TempDir::new("wizards");
    let s = dir.write("wizards.json", export.to_string());
    let (pods, summary) = json_lines(&ok(&["run", &s, "--json"]));
    assert_eq!(
        placements(&pods),
        pairs(&[
            ("default/big", "-"),
            ("default/pinned", "-"),
            ("default/named", "oz-2"),
            ("default/plain", "oz-1"),
        ])
    );
    assert_eq!(
        pods[0]["reason"],
        "0/4 nodes are available: 4 Insufficient cpu."
    );
    // The export's nodes carry no hostname label.
    assert_eq!(
        pods[1]["reason"],
        "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector."
    );
    // NodeAffinity's PreFilter limits the cycle to oz-2: one feasible node, no scoring.
    assert_eq!(pods[2]["feasibleNodes"], 1);
    assert_eq!(pods[2]["totals"], json!({}));
    let prefilter = pods[2]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["plugin"] == "NodeAffinity" && s["point"] == "PreFilter")
        .unwrap();
    assert_eq!(prefilter["nodeNames"], json!(["oz-2"]));
    assert_eq!(summary["scheduled"], 2);
    assert_eq!(summary["unschedulable"], 2);
}

fn three_nodes() -> Vec<Value> {
    vec![node("node-default"), node("kubecon-1"), node("kubecon-2")]
}

/// v2 plus two guests whose PreFilter returns node sets: kube-scheduler intersects them, filters
/// only the nodes in the intersection, and names the plugins for the others.
#[test]
fn prefilter_node_sets_intersect() {
    require_guest("regex_v2");
    let dir = TempDir::new("prefilter");
    let pf = dir.wat("prefilter_nodes");
    let plugins = |a: &str, b: &str| {
        config(&[
            (
                "WasmRegexScheduling",
                0,
                json!({"guestURL": "file://static/regex_v2.wasm"}),
            ),
            (
                "NodesA",
                0,
                json!({"guestURL": format!("file://{pf}"), "guestConfig": a}),
            ),
            (
                "NodesB",
                0,
                json!({"guestURL": format!("file://{pf}"), "guestConfig": b}),
            ),
        ])
    };
    let pods = [
        pod("any-kubecon", &[(REGEX, "kubecon-.*")]),
        pod("wants-kubecon-1", &[(REGEX, "kubecon-1")]),
    ];
    let s = dir.write(
        "s.json",
        scenario(
            &three_nodes(),
            &pods,
            Some(plugins(
                "kubecon-1,kubecon-2,node-default",
                "kubecon-2,node-default,elsewhere",
            )),
        ),
    );
    let (lines, _) = json_lines(&ok(&["run", &s, "--json"]));
    // {kubecon-1, kubecon-2, node-default} ∩ {kubecon-2, node-default, elsewhere}: node-default
    // fails the regex, kubecon-2 is the only feasible node.
    assert_eq!(lines[0]["node"], "kubecon-2");
    assert_eq!(lines[0]["feasibleNodes"], 1);
    let evaluated: Vec<&String> = lines[0]["nodes"].as_object().unwrap().keys().collect();
    assert_eq!(evaluated, ["kubecon-2", "node-default"]);
    assert_eq!(
        lines[1]["reason"],
        "0/3 nodes are available: 1 node \"kubecon-2\" does not match regex \"kubecon-1\", 1 node \"node-default\" does not match regex \"kubecon-1\", 1 node(s) didn't satisfy plugin(s) [NodesA NodesB]."
    );

    // Disjoint sets: rejected at PreFilter.
    let s = dir.write(
        "disjoint.json",
        scenario(
            &three_nodes(),
            &pods[..1],
            Some(plugins("kubecon-1", "kubecon-2")),
        ),
    );
    let (lines, _) = json_lines(&ok(&["run", &s, "--json"]));
    assert_eq!(lines[0]["result"], "unschedulable");
    assert_eq!(
        lines[0]["reason"],
        "0/3 nodes are available: node(s) didn't satisfy plugin(s) [NodesA NodesB] simultaneously."
    );
    assert_eq!(lines[0]["nodes"], json!({}));
}

/// v2 plus two Score guests: each score is multiplied by its plugin's weight and the highest
/// total wins.
#[test]
fn score_weights() {
    require_guest("regex_v2");
    let dir = TempDir::new("weights");
    let sc = dir.wat("score_node");
    let plugins = |wa: i64, wb: i64| {
        config(&[
            (
                "WasmRegexScheduling",
                0,
                json!({"guestURL": "file://static/regex_v2.wasm"}),
            ),
            (
                "PreferKubecon1",
                wa,
                json!({"guestURL": format!("file://{sc}"), "guestConfig": "kubecon-1"}),
            ),
            (
                "PreferKubecon2",
                wb,
                json!({"guestURL": format!("file://{sc}"), "guestConfig": "kubecon-2"}),
            ),
        ])
    };
    let pods = [pod("p", &[(REGEX, "kubecon-.*")])];
    let mut chosen = Vec::new();
    for (wa, wb) in [(2, 3), (4, 3), (0, 0)] {
        let s = dir.write(
            &format!("w{wa}{wb}.json"),
            scenario(&three_nodes(), &pods, Some(plugins(wa, wb))),
        );
        let (lines, _) = json_lines(&ok(&["run", &s, "--json"]));
        let totals = &lines[0]["totals"];
        let diff = totals["kubecon-1"].as_i64().unwrap() - totals["kubecon-2"].as_i64().unwrap();
        // Weight 0 (or none) counts as 1.
        assert_eq!(diff, 100 * (wa.max(1) - wb.max(1)), "{totals}");
        assert_eq!(
            lines[0]["nodes"]["kubecon-1"]["PreferKubecon1"],
            json!({"code": null, "reason": "", "score": 100, "normalized": 100, "weight": wa.max(1)})
        );
        chosen.push(lines[0]["node"].as_str().unwrap().to_string());
    }
    // Equal weights tie: the node listed first wins.
    assert_eq!(chosen, ["kubecon-2", "kubecon-1", "kubecon-1"]);
}

/// A guest shaped like a TinyGo build (imports WASI, exports `_start`) works, and a trapping guest
/// gives an Error carrying its message; the run goes on.
#[test]
fn tinygo_style_and_trapping_guests() {
    let dir = TempDir::new("tinygo");
    let tinygo = dir.wat("tinygo_filter");
    let trap = dir.wat("trap_filter");
    let s = dir.write(
        "tinygo.json",
        scenario(
            &three_nodes(),
            &[pod("p", &[])],
            Some(config(&[(
                "TinyGo",
                0,
                json!({"guestURL": format!("file://{tinygo}")}),
            )])),
        ),
    );
    let (lines, _) = json_lines(&ok(&["run", &s, "--json"]));
    assert_eq!(lines[0]["node"], "kubecon-1");
    assert_eq!(
        lines[0]["nodes"]["node-default"]["TinyGo"],
        json!({"code": "Unschedulable", "reason": "only kubecon nodes, says TinyGo",
               "score": null, "normalized": null, "weight": null})
    );

    let s = dir.write(
        "trap.json",
        scenario(
            &three_nodes(),
            &[pod("first", &[]), pod("second", &[])],
            Some(config(&[(
                "Trap",
                0,
                json!({"guestURL": format!("file://{trap}")}),
            )])),
        ),
    );
    let o = ok(&["run", &s, "--json"]);
    let (lines, summary) = json_lines(&o);
    let expected = "running \"Trap\" filter plugin: wasm: filter error: panic: boom\n\nwasm error: unreachable\nwasm stack trace:\n\ttrap_filter.$1() i32";
    for line in &lines {
        assert_eq!(line["result"], "error");
        assert_eq!(line["reason"], expected);
        assert_eq!(line["node"], Value::Null);
    }
    assert_eq!(summary["errors"], 2);
    let o = ok(&["run", &s]);
    assert!(stdout(&o).contains("\n  running \"Trap\" filter plugin: wasm: filter error: panic: boom\n  \n  wasm error: unreachable\n"), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("\n0 scheduled, 0 unschedulable, 2 errors\n"));
}

/// PrioritySort: higher `spec.priority` first; scheduling gates keep a pod out.
#[test]
fn queue_order_and_scheduling_gates() {
    let dir = TempDir::new("queue");
    let mut only = node("only");
    only["status"]["allocatable"]["pods"] = json!("1");
    let low = pod("low", &[]);
    let mut high = pod("high", &[]);
    high["spec"]["priority"] = json!(100);
    let mut gated = pod("gated", &[]);
    gated["spec"]["schedulingGates"] = json!([{"name": "example.com/wait"}]);
    let cfg = json!({"profiles": [{"schedulerName": "default-scheduler"}]});
    let s = dir.write("s.json", scenario(&[only], &[gated, low, high], Some(cfg)));
    let (lines, _) = json_lines(&ok(&["run", &s, "--json"]));
    assert_eq!(
        placements(&lines),
        pairs(&[
            ("default/high", "only"),
            ("default/gated", "-"),
            ("default/low", "-")
        ])
    );
    assert_eq!(
        lines[1]["reason"],
        "Scheduling is blocked due to non-empty scheduling gates"
    );
    assert_eq!(
        lines[2]["reason"],
        "0/1 nodes are available: 1 Too many pods."
    );
}

const GAMESERVERS: &[(&str, &str)] = &[
    // Short of the buffer (2 replicas, 2 allocated, buffer 4): spread over the emptiest nodes.
    ("default/lobby-scaleup-1", "gs-3"),
    ("default/lobby-scaleup-2", "gs-2"),
    ("default/lobby-scaleup-3", "gs-3"),
    ("default/lobby-scaleup-4", "gs-2"),
    // At the buffer: pack onto the fullest nodes until they are at their max load.
    ("default/lobby-steady-1", "gs-4"),
    ("default/lobby-steady-2", "gs-4"),
    ("default/lobby-steady-3", "gs-1"),
    ("default/lobby-steady-4", "gs-1"),
    // Not a fleet pod: FleetScore skips it; no regex annotation: any node.
    ("default/metrics-agent", "system-1"),
];

#[test]
fn gameservers_spread_then_pack() {
    require_guest("fleet_score");
    require_guest("regex_v2");
    let dir = TempDir::new("gameservers");
    let out = dir.path("placed.json").display().to_string();
    for extra in [
        &[][..],
        &["--config", "simulator/scenarios/gameservers.yaml"][..],
    ] {
        let mut args = vec![
            "run",
            "simulator/scenarios/gameservers.json",
            "--track-load-feedback",
            "--json",
            "--output",
            &out,
        ];
        args.extend_from_slice(extra);
        let (lines, summary) = json_lines(&ok(&args));
        assert_eq!(placements(&lines), pairs(GAMESERVERS));
        assert_eq!(summary["scheduled"], 9);
        // system-1 never passes the regex for fleet pods.
        assert_eq!(
            lines[0]["nodes"]["system-1"]["WasmRegexScheduling"]["reason"],
            "node \"system-1\" does not match regex \"^gs-\""
        );
        // Spreading: the emptiest node scores highest (pressure 4/6).
        let fleet = |i: usize, n: &str| lines[i]["nodes"][n]["FleetScore"]["score"].clone();
        assert_eq!(
            [
                fleet(0, "gs-1"),
                fleet(0, "gs-2"),
                fleet(0, "gs-3"),
                fleet(0, "gs-4")
            ],
            [json!(50), json!(62), json!(67), json!(42)]
        );
        // Packing: the fullest node scores highest (pressure 0).
        assert_eq!(
            [
                fleet(4, "gs-1"),
                fleet(4, "gs-2"),
                fleet(4, "gs-3"),
                fleet(4, "gs-4")
            ],
            [json!(50), json!(38), json!(25), json!(75)]
        );
        // gs-4 reached its max load after lobby-steady-2.
        assert_eq!(
            lines[6]["nodes"]["gs-4"]["FleetScore"],
            json!({"code": "Unschedulable", "reason": "node \"gs-4\" is at its max load (current-load=8, max-load=8)",
                   "score": null, "normalized": null, "weight": null})
        );
        // FleetScore skips pods of no fleet at PreFilter and PreScore.
        let skips: Vec<&str> = lines[8]["stages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["plugin"] == "FleetScore")
            .map(|s| s["code"].as_str().unwrap())
            .collect();
        assert_eq!(skips, ["Skip", "Skip"]);

        // The written scenario has the placements and the loads as they ended up.
        let placed: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let loads: Vec<(String, String)> = placed["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["metadata"]["name"].as_str().unwrap().to_string(),
                    n["metadata"]["annotations"]["scheduler.wasmkwokwizardry.io/load-feedback"]
                        .as_str()
                        .unwrap_or("-")
                        .to_string(),
                )
            })
            .collect();
        assert_eq!(
            loads,
            pairs(&[
                ("gs-1", "current-load=6, target-load=6, max-load=8"),
                ("gs-2", "current-load=3, target-load=6, max-load=8"),
                ("gs-3", "current-load=2, target-load=6, max-load=8"),
                ("gs-4", "current-load=8, target-load=6, max-load=8"),
                ("system-1", "-"),
            ])
        );
        let nodes_of: Vec<&str> = placed["pods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["spec"]["nodeName"].as_str().unwrap())
            .collect();
        assert_eq!(
            nodes_of,
            [
                "gs-3", "gs-2", "gs-3", "gs-2", "gs-4", "gs-4", "gs-1", "gs-1", "system-1"
            ]
        );
    }
}

/// Without load tracking the loads stay as the scenario has them: the fleet piles onto one node.
#[test]
fn gameservers_without_load_tracking() {
    require_guest("fleet_score");
    let (lines, _) = json_lines(&ok(&[
        "run",
        "simulator/scenarios/gameservers.json",
        "--json",
    ]));
    let nodes: Vec<String> = placements(&lines).into_iter().map(|(_, n)| n).collect();
    // metrics-agent: gs-1, gs-2 and system-1 are empty and score the same; gs-1 is listed first.
    assert_eq!(
        nodes,
        [
            "gs-3", "gs-3", "gs-3", "gs-3", "gs-4", "gs-4", "gs-4", "gs-4", "gs-1"
        ]
    );
}

#[test]
fn output_and_pod_flags() {
    require_guest("regex_v1");
    let dir = TempDir::new("output");
    let out = dir.path("out.json").display().to_string();
    let o = ok(&[
        "run",
        "simulator/scenarios/demo.json",
        "--pod",
        "pod-plain",
        "--output",
        &out,
    ]);
    assert!(stdout(&o).contains("Pod default/pod-plain: scheduled on node-default"));
    assert!(!stdout(&o).contains("pod-kubecon:"));
    assert!(
        stdout(&o).ends_with(&format!(
            "\n1 scheduled, 0 unschedulable, 0 errors\nwrote {out}\n"
        )),
        "{}",
        stdout(&o)
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let original: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("simulator/scenarios/demo.json")).unwrap(),
    )
    .unwrap();
    // Only pod-plain changed: it got spec.nodeName.
    let mut expected = original.clone();
    expected["pods"][2]["spec"]["nodeName"] = json!("node-default");
    assert_eq!(written, expected);

    // The pod can be named namespace/name too; the output can rewrite guest URLs.
    let o = ok(&[
        "run",
        "simulator/scenarios/demo.json",
        "--pod",
        "default/pod-cncf",
        "--json",
        "--output",
        &out,
        "--guest-url-base",
        "http://static-webserver",
    ]);
    let (lines, _) = json_lines(&o);
    assert_eq!(placements(&lines), pairs(&[("default/pod-cncf", "-")]));
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        written["schedulerConfig"]["profiles"][0]["pluginConfig"][0]["args"]["guestURL"],
        "http://static-webserver/regex_v1.wasm"
    );
    assert_eq!(written["pods"], original["pods"]);
}

/// Permit: a rejection makes the pod unschedulable on the chosen node; a Wait ends with the
/// timeout, since nothing allows waiting pods in the simulator.
#[test]
fn permit_reject_and_wait() {
    let dir = TempDir::new("permit");
    let permit = dir.wat("permit");
    let mut reasons = Vec::new();
    for mode in ["reject", "wait", "allow"] {
        let s = dir.write(
            &format!("{mode}.json"),
            scenario(
                &three_nodes(),
                &[pod("p", &[])],
                Some(config(&[(
                    "Gate",
                    0,
                    json!({"guestURL": format!("file://{permit}"), "guestConfig": mode}),
                )])),
            ),
        );
        let (lines, _) = json_lines(&ok(&["run", &s, "--json"]));
        let permit: Vec<(&str, &str)> = lines[0]["stages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["point"] == "Permit")
            .map(|s| (s["code"].as_str().unwrap(), s["reason"].as_str().unwrap()))
            .collect();
        reasons.push((
            lines[0]["result"].as_str().unwrap().to_string(),
            lines[0]["reason"].as_str().unwrap().to_string(),
            permit.len(),
        ));
    }
    assert_eq!(
        reasons,
        [
            (
                "unschedulable".to_string(),
                "0/1 nodes are available: 1 not now.".to_string(),
                1
            ),
            (
                "unschedulable".to_string(),
                "rejected due to timeout after waiting 1.5s at plugin Gate".to_string(),
                1
            ),
            (
                "scheduled".to_string(),
                "Successfully assigned default/p to node-default".to_string(),
                1
            ),
        ]
    );
}
