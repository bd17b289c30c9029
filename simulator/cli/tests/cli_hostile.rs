//! `simulator run` under hostile or careless use (issue 11 §2): a closed stdout, an unwritable or
//! self-overwriting --output, names with control characters, endless inputs, non-wasm guests,
//! bad quantities, duplicate pods, no nodes, stdin, guests that loop or hog memory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::Stdio;

use cli_support::*;
use serde_json::{Value, json};

/// A scenario with only in-tree plugins: `pods` pods over three nodes.
fn in_tree_scenario(dir: &TempDir, name: &str, pods: usize) -> String {
    let pods: Vec<Value> = (0..pods).map(|i| pod(&format!("p{i:05}"), &[])).collect();
    dir.write(
        name,
        scenario(&[node("a"), node("b"), node("c")], &pods, Some(config(&[]))),
    )
}

#[test]
fn a_closed_stdout_ends_the_run_quietly_and_output_is_still_written() {
    let dir = TempDir::new("pipe");
    let s = in_tree_scenario(&dir, "big.json", 2000);
    let out = dir.path("placed.json");
    for with_output in [false, true] {
        let mut cmd = simulator();
        cmd.args(["run", &s]);
        if with_output {
            cmd.args(["--output", out.to_str().unwrap()]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -1`: read one line, then close the pipe.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(
            first.starts_with("Profile \"default-scheduler\": 3 nodes, 2000 pods"),
            "{first}"
        );
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stderr(&o), "");
    }
    let placed: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let pods = placed["pods"].as_array().unwrap();
    assert_eq!(pods.len(), 2000);
    // Every pod was scheduled after stdout closed: 40 pods of 100m fit each 4-CPU node.
    let placed = pods
        .iter()
        .filter(|p| p["spec"]["nodeName"].is_string())
        .count();
    assert_eq!(placed, 120);
}

/// A scenario of one node, one pod and one wasm plugin `name` built from the WAT `fixture`.
fn one_guest(dir: &TempDir, name: &str, fixture: &str) -> String {
    let guest = dir.wat(fixture);
    dir.write(
        "s.json",
        scenario(
            &[node("a")],
            &[pod("p", &[])],
            Some(config(&[(
                name,
                0,
                json!({"guestURL": format!("file://{guest}")}),
            )])),
        ),
    )
}

#[test]
fn an_unwritable_output_fails_before_any_guest_runs() {
    let dir = TempDir::new("unwritable");
    let s = one_guest(&dir, "Spin", "spin_filter");
    let missing = dir.path("no/such/dir/out.json");
    let o = run(&["run", &s, "--output", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "simulator: error: --output {}: cannot create a file in {}: No such file or directory\n",
            missing.display(),
            dir.path("no/such/dir").display()
        )
    );
    assert_eq!(stdout(&o), "", "nothing ran");
    let o = run(&["run", &s, "--output", dir.0.to_str().unwrap()]);
    assert_eq!(
        stderr(&o),
        format!(
            "simulator: error: --output {}: is a directory\n",
            dir.0.display()
        )
    );
}

#[test]
fn output_may_be_the_input() {
    let dir = TempDir::new("same");
    let s = in_tree_scenario(&dir, "s.json", 3);
    let o = run(&["run", &s, "--output", &s, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let placed: Value = serde_json::from_str(&std::fs::read_to_string(&s).unwrap()).unwrap();
    let nodes: Vec<&str> = placed["pods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    assert_eq!(nodes.len(), 3);
    // Nothing is left beside it: the temporary file was renamed over the input.
    let names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["s.json"]);
    // Running it again schedules nothing (every pod is bound now).
    let o = run(&["run", &s, "--json"]);
    assert_eq!(json_lines(&o).0.len(), 0);
}

#[test]
fn control_characters_in_names_are_escaped() {
    let dir = TempDir::new("escape");
    let evil = "\u{1b}[2J\u{1b}[H\r\nPod default/fake: scheduled on x";
    let s = dir.write(
        "s.json",
        scenario(&[node(evil)], &[pod("p\u{1b}[31m", &[])], Some(config(&[]))),
    );
    let o = run(&["run", &s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains('\u{1b}') && !out.contains('\r'), "{out:?}");
    assert!(
        out.contains(
            "Pod default/p\\u{1b}[31m: scheduled on \\u{1b}[2J\\u{1b}[H\\r\\nPod default/fake: scheduled on x\n"
        ),
        "{out}"
    );
    // No line of the output starts with the forged text.
    assert!(
        !out.lines().any(|l| l.starts_with("Pod default/fake")),
        "{out}"
    );
}

#[test]
fn endless_and_binary_inputs_fail_fast() {
    let o = run(&["run", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "simulator: error: /dev/zero: binary data (a NUL byte at offset 0), not JSON or YAML text\n"
    );
    let dir = TempDir::new("devzero");
    let s = dir.write(
        "s.json",
        scenario(
            &[node("a")],
            &[pod("p", &[])],
            Some(config(&[(
                "Zero",
                0,
                json!({"guestURL": "file:///dev/zero"}),
            )])),
        ),
    );
    let o = run(&["run", &s]);
    assert_eq!(
        stderr(&o),
        format!(
            "simulator: error: {s} (schedulerConfig): plugin \"Zero\" (guestURL \"file:///dev/zero\"): wasm: error compiling guest: not a wasm module: starts with \"\\x00\\x00\\x00\\x00\" (00 00 00 00), not \"\\x00asm\"\n"
        )
    );
}

#[test]
fn a_text_file_as_guest_is_one_line() {
    let dir = TempDir::new("notwasm");
    let page = dir.write("guest.wasm", "<html><body>404 Not Found</body></html>\n");
    let s = dir.write(
        "s.json",
        scenario(
            &[node("a")],
            &[pod("p", &[])],
            Some(config(&[(
                "Page",
                0,
                json!({"guestURL": format!("file://{page}")}),
            )])),
        ),
    );
    let o = run(&["run", &s]);
    assert_eq!(
        stderr(&o),
        format!(
            "simulator: error: {s} (schedulerConfig): plugin \"Page\" (guestURL \"file://{page}\"): wasm: error compiling guest: not a wasm module: starts with \"<htm\" (3c 68 74 6d), not \"\\x00asm\"\n"
        )
    );
}

#[test]
fn bad_quantities_name_the_node_field_and_value() {
    let dir = TempDir::new("quantity");
    let mut bad = node("n1");
    bad["status"]["allocatable"]["cpu"] = json!("4x");
    let s = dir.write(
        "s.json",
        scenario(&[node("n0"), bad], &[pod("p", &[])], Some(config(&[]))),
    );
    let o = run(&["run", &s]);
    assert_eq!(
        stderr(&o),
        format!(
            "simulator: error: {s}: node \"n1\": Node.status.allocatable[\"cpu\"]: \"4x\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\n"
        )
    );
}

#[test]
fn duplicate_pod_names_are_refused_like_duplicate_node_names() {
    let dir = TempDir::new("dup");
    let s = dir.write(
        "s.json",
        scenario(
            &[node("a")],
            &[pod("p", &[]), pod("p", &[])],
            Some(config(&[])),
        ),
    );
    let o = run(&["run", &s]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("simulator: error: {s}: two pods are named \"default/p\"\n")
    );
    let s = dir.write(
        "n.json",
        scenario(&[node("a"), node("a")], &[pod("p", &[])], Some(config(&[]))),
    );
    assert_eq!(
        stderr(&run(&["run", &s])),
        format!("simulator: error: {s}: two nodes are named \"a\"\n")
    );
}

#[test]
fn no_nodes_says_so_as_kube_scheduler_does() {
    let dir = TempDir::new("nonodes");
    let s = dir.write("s.json", scenario(&[], &[pod("p", &[])], Some(config(&[]))));
    let o = run(&["run", &s, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (pods, summary) = json_lines(&o);
    assert_eq!(pods[0]["result"], "unschedulable");
    assert_eq!(pods[0]["reason"], "no nodes available to schedule pods");
    assert_eq!(summary["unschedulable"], 1);
}

#[test]
fn the_scenario_can_come_from_stdin() {
    let dir = TempDir::new("stdin");
    let s = in_tree_scenario(&dir, "s.json", 2);
    let from_file = run(&["run", &s, "--json"]);
    let mut child = simulator()
        .args(["run", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(std::fs::read_to_string(&s).unwrap().as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&from_file));
    assert_eq!(json_lines(&o).0.len(), 2);
}

#[test]
fn a_looping_guest_is_an_error_at_the_hook_deadline() {
    let dir = TempDir::new("spin");
    let spin = dir.wat("spin_filter");
    let s = dir.write(
        "s.json",
        scenario(
            &[node("a")],
            &[pod("p1", &[]), pod("p2", &[])],
            Some(config(&[(
                "Spin",
                0,
                json!({"guestURL": format!("file://{spin}")}),
            )])),
        ),
    );
    let o = run(&["run", &s, "--json", "--hook-timeout", "0.2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (pods, summary) = json_lines(&o);
    // Both pods: the first call timed out, its instance was replaced, and the second pod's call
    // ran (and timed out) on the fresh one.
    for p in &pods {
        assert_eq!(p["result"], "error");
        assert_eq!(
            p["reason"],
            "running \"Spin\" filter plugin: wasm: filter error: the guest was still running after the hook deadline (200ms): the real kube-scheduler would hang here (its wasm host sets no deadline)\nwasm stack trace:\n\tspin_filter.$0() i32"
        );
    }
    assert_eq!(summary["errors"], 2);
}

#[test]
fn a_memory_hog_is_an_error_at_the_memory_cap() {
    let dir = TempDir::new("hog");
    let s = one_guest(&dir, "Hog", "hog_filter");
    let o = run(&["run", &s, "--json", "--guest-memory-max", "8Mi"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (pods, _) = json_lines(&o);
    assert_eq!(
        pods[0]["reason"],
        "running \"Hog\" filter plugin: wasm: filter error: the guest's memory would grow to 8256 KiB, over the 8 MiB cap: the real kube-scheduler's guest would keep growing here (up to 4 GiB) and may run out of memory\nwasm stack trace:\n\thog_filter.$0() i32"
    );
    let o = run(&["run", &s, "--guest-memory-max", "lots"]);
    assert_eq!(
        stderr(&o),
        "simulator: error: --guest-memory-max \"lots\": expected bytes, e.g. 268435456, 256Mi or 1Gi\n"
    );
}
