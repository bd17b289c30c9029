//! Host functions: the buffer protocol (docs/abi.md §3.1), what each hook sees (§2.3), the encodings
//! of §3.3 and the klog rules of §3.3.8.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod common;

use common::{load, load_with, nodes, pod_small};
use serde_json::json;
use simulator_host::{
    Cluster, ClusterEvent, NodeScore, PluginArgs, PodObject, Severity, Status, WasmPlugin,
};
use std::collections::BTreeMap;

const CURRENT_POD: i32 = 0;
const CURRENT_NODE_NAME: i32 = 1;
const TARGET_POD: i32 = 2;
const NODE: i32 = 3;
const NODE_LIST: i32 = 4;
const FILTERED_NODE_LIST: i32 = 5;
const NODE_TO_STATUS_MAP: i32 = 6;
const NODE_SCORE_LIST: i32 = 7;
const NODE_IMAGE_STATES: i32 = 8;
const GET_CONFIG: i32 = 9;
const SEVERITY: i32 = 10;

fn probe(cluster: Cluster) -> WasmPlugin {
    let args = PluginArgs {
        guest_config: r#"{"a": "<b>"}"#.into(),
        log_severity: 2,
        ..PluginArgs::default()
    };
    load_with("test/probe", args, cluster).unwrap()
}

fn set(p: &WasmPlugin, getter: i32, limit: i32, echo: i32) {
    p.set_globals(&[
        ("getter_global", getter),
        ("limit_global", limit),
        ("echo_global", echo),
    ])
    .unwrap();
}

#[test]
fn grow_and_retry() {
    let p = probe(Cluster::new());
    let pod = pod_small();
    // Large enough: the length is returned and the bytes written.
    set(&p, CURRENT_POD, 65536, -1);
    let full = p.filter(&pod, "good-node").unwrap();
    assert_eq!(full.code as usize, pod.protobuf().len());
    // (Status reasons are strings: compare the bytes as the lossy UTF-8 the host would make.)
    assert_eq!(full.reason, String::from_utf8_lossy(pod.protobuf()));
    // Too small: the length is returned and nothing is written (the '#' filler stays).
    set(&p, CURRENT_POD, 3, 3);
    assert_eq!(
        p.filter(&pod, "good-node").unwrap(),
        Status::new(full.code, "###")
    );
    // Exactly the length: written.
    set(&p, CURRENT_POD, full.code, -1);
    assert_eq!(p.filter(&pod, "good-node").unwrap(), full);
    // Strings follow the same protocol.
    set(&p, CURRENT_NODE_NAME, 4, 4);
    assert_eq!(p.filter(&pod, "good-node").unwrap(), Status::new(9, "####"));
    set(&p, CURRENT_NODE_NAME, 9, -1);
    assert_eq!(
        p.filter(&pod, "good-node").unwrap(),
        Status::new(9, "good-node")
    );
    assert_eq!(p.stats().host("k8s.io/scheduler.currentPod"), 3);
    assert_eq!(p.stats().host("k8s.io/scheduler.currentNodeName"), 2);
}

#[test]
fn empty_values_return_zero() {
    let p = probe(Cluster::new());
    let pod = pod_small();
    // No target pod outside addpod/removepod, no node name in prefilter, no config… all 0.
    for getter in [TARGET_POD, CURRENT_NODE_NAME, NODE] {
        set(&p, getter, 65536, 2);
        assert_eq!(
            p.pre_filter(&pod).unwrap().0,
            Status::new(0, "##"),
            "getter {getter}"
        );
    }
    // A NodeList always has its (empty) ListMeta: 8 bytes even with no nodes.
    set(&p, NODE_LIST, 65536, -1);
    assert_eq!(
        p.pre_filter(&pod).unwrap().0,
        Status::new(8, "\n\u{6}\n\0\u{12}\0\u{1a}\0")
    );
    // JSON getters are never empty.
    for (getter, json) in [
        (FILTERED_NODE_LIST, "[]"),
        (NODE_TO_STATUS_MAP, "{}"),
        (NODE_SCORE_LIST, "{}"),
    ] {
        set(&p, getter, 65536, -1);
        assert_eq!(p.pre_filter(&pod).unwrap().0, Status::new(2, json));
    }
    set(&p, NODE_IMAGE_STATES, 65536, -1);
    assert_eq!(p.filter(&pod, "unknown").unwrap(), Status::new(4, "null"));
}

#[test]
fn context_per_hook() {
    let p = probe(nodes(&["n1", "n2"]));
    let pod = pod_small();
    let target = common::pod("target", "target-uid");
    set(&p, CURRENT_NODE_NAME, 256, -1);
    assert_eq!(p.filter(&pod, "n1").unwrap().reason, "n1");
    assert_eq!(p.score(&pod, "n2").unwrap().1.reason, "n2");
    assert_eq!(p.reserve(&pod, "n3").unwrap().reason, "n3");
    assert_eq!(p.permit(&pod, "n4").unwrap().0.reason, "n4");
    // Permit pinned the instance (with its globals) to the pod's binding cycle: the binding hooks
    // run there, the next scheduling call on a fresh instance.
    assert_eq!(p.pre_bind(&pod, "n6").unwrap().reason, "n6");
    assert_eq!(p.bind(&pod, "n7").unwrap().reason, "n7");
    assert_eq!(p.instance_count(), 1);
    set(&p, CURRENT_NODE_NAME, 256, -1);
    assert_eq!(p.instance_count(), 2);
    assert_eq!(p.add_pod(&pod, &target, "n5").unwrap().reason, "n5");
    assert_eq!(p.pre_filter(&pod).unwrap().0.code, 0);
    assert_eq!(p.pre_score(&pod, &["n1"]).unwrap().code, 0);

    set(&p, TARGET_POD, 65536, -1);
    assert_eq!(
        p.remove_pod(&pod, &target, "n1").unwrap().reason,
        String::from_utf8_lossy(target.protobuf())
    );
    assert_eq!(p.filter(&pod, "n1").unwrap().code, 0);

    set(&p, FILTERED_NODE_LIST, 65536, -1);
    assert_eq!(
        p.pre_score(&pod, &["n2", "a<b>&c"]).unwrap().reason,
        r#"["n2","a\u003cb\u003e\u0026c"]"#
    );

    set(&p, NODE_TO_STATUS_MAP, 65536, -1);
    let map = BTreeMap::from([("n2".to_string(), 3), ("n1".to_string(), 2)]);
    let (_, s) = p.post_filter(&pod, &map).unwrap();
    assert_eq!(s.reason, r#"{"n1":2,"n2":3}"#);

    set(&p, NODE_SCORE_LIST, 65536, -1);
    let mut scores = [NodeScore::new("n2", 5), NodeScore::new("n1", 10)];
    assert_eq!(
        p.normalize_score(&pod, &mut scores).unwrap().reason,
        r#"{"n1":10,"n2":5}"#
    );

    set(&p, GET_CONFIG, 65536, -1);
    assert_eq!(p.filter(&pod, "n1").unwrap().reason, r#"{"a": "<b>"}"#);
    set(&p, SEVERITY, 0, 0);
    assert_eq!(p.filter(&pod, "n1").unwrap().code, 2);
}

#[test]
fn nodes_from_the_snapshot() {
    let cluster = Cluster::from_nodes_json(&[
        json!({"metadata": {"name": "n1"}, "status": {"images": [{"names": ["img:1"], "sizeBytes": 5}]}}),
        json!({"metadata": {"name": "n2"}}),
    ])
    .unwrap();
    let n1 = cluster.node_protobuf("n1").unwrap().to_vec();
    let n2 = cluster.node_protobuf("n2").unwrap().to_vec();
    let p = probe(cluster);
    let pod = pod_small();
    set(&p, NODE, 65536, -1);
    assert_eq!(
        p.filter(&pod, "n1").unwrap().reason,
        String::from_utf8_lossy(&n1)
    );
    assert_eq!(p.filter(&pod, "zz").unwrap(), Status::new(0, ""));
    set(&p, NODE_LIST, 65536, -1);
    let list = p.filter(&pod, "n1").unwrap();
    // ListMeta (always emitted, empty), then one `items` entry per node.
    let mut want = vec![0x0a, 0x06, 0x0a, 0x00, 0x12, 0x00, 0x1a, 0x00];
    for n in [&n1, &n2] {
        want.push(0x12);
        want.push(n.len() as u8);
        want.extend_from_slice(n);
    }
    assert_eq!(list.reason, String::from_utf8_lossy(&want));
    set(&p, NODE_IMAGE_STATES, 65536, -1);
    assert_eq!(
        p.filter(&pod, "n1").unwrap().reason,
        r#"{"img:1":{"Size":5,"NumNodes":1,"Nodes":null}}"#
    );
    assert_eq!(p.filter(&pod, "n2").unwrap().reason, "{}");
    // A new snapshot is visible to the next call.
    p.set_cluster(nodes(&["n9"]));
    set(&p, NODE, 65536, -1);
    assert_eq!(p.filter(&pod, "n1").unwrap().code, 0);
    assert!(p.filter(&pod, "n9").unwrap().code > 0);
}

#[test]
fn malformed_protobuf_pod_is_passed_as_is() {
    let p = probe(Cluster::new());
    let bad = PodObject::from_protobuf("uid-bad", vec![0x0a, 0xff, 0xff, 0x01]);
    set(&p, CURRENT_POD, 65536, -1);
    let s = p.filter(&bad, "n").unwrap();
    assert_eq!(s.code, 4);
    assert_eq!(s.reason.as_bytes()[0], 0x0a);
    assert_eq!(p.scheduled_pod_uid(), "uid-bad");
}

#[test]
fn results() {
    let p = load("test/results").unwrap();
    let pod = pod_small();
    // Cluster events: complete records only.
    assert_eq!(
        p.events_to_register().unwrap(),
        [
            ClusterEvent {
                resource: "Pod".into(),
                action_type: 1
            },
            ClusterEvent {
                resource: "*".into(),
                action_type: 63
            },
            ClusterEvent {
                resource: "EventResource(42)".into(),
                action_type: 2
            },
        ]
    );
    p.set_globals(&[("events_len_global", 7)]).unwrap();
    assert_eq!(
        p.events_to_register().unwrap(),
        ClusterEvent::default_list()
    );

    // NUL list: empty elements and the unterminated tail are dropped.
    assert_eq!(
        p.pre_filter(&pod).unwrap(),
        (Status::success(), Some(vec!["a".into(), "two".into()]))
    );
    p.set_globals(&[("names_len_global", 2)]).unwrap();
    assert_eq!(
        p.pre_filter(&pod).unwrap(),
        (Status::success(), Some(vec!["a".into()]))
    );
    p.set_globals(&[("names_len_global", 0)]).unwrap();
    assert_eq!(p.pre_filter(&pod).unwrap(), (Status::success(), None));

    let (r, s) = p.post_filter(&pod, &BTreeMap::new()).unwrap();
    let r = r.unwrap();
    assert_eq!(
        (r.nominated_node_name.as_str(), r.nominating_mode, s),
        ("good-node", 1, Status::success())
    );

    // An unreadable reason is replaced, not a trap.
    assert_eq!(
        p.filter(&pod, "n").unwrap(),
        Status::new(2, "BUG: out of memory reading message")
    );
    // The last reason wins; a reason sent with code 0 is kept.
    assert_eq!(p.score(&pod, "n").unwrap(), (7, Status::new(0, "second")));
    assert_eq!(
        p.reserve(&pod, "n").unwrap(),
        Status::new(0, "sent with success")
    );

    // Events.
    assert!(p.pre_score(&pod, &["n"]).unwrap().is_success());
    let ev = p.events();
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].fake_recorder_message(),
        "good-pod Normal Checked PreScore 100% fine"
    );
    assert_eq!(
        p.stats()
            .host("k8s.io/scheduler.handle.eventrecorder.eventf"),
        1
    );
}

#[test]
fn normalized_scores() {
    let p = load("test/results").unwrap();
    let pod = pod_small();
    let input = || vec![NodeScore::new("n2", 1), NodeScore::new("n1", 2)];

    // Applied by position in key order: n1's score lands on the first entry, named n1.
    let mut s = input();
    assert!(p.normalize_score(&pod, &mut s).unwrap().is_success());
    assert_eq!(s, [NodeScore::new("n1", 10), NodeScore::new("n2", 20)]);

    for (doc, what) in [(1, "{}"), (2, "null")] {
        p.set_globals(&[("json_global", doc)]).unwrap();
        let mut s = input();
        assert!(
            p.normalize_score(&pod, &mut s).unwrap().is_success(),
            "{what}"
        );
        assert_eq!(s, input(), "{what} keeps the input");
    }

    p.set_globals(&[("json_global", 3)]).unwrap();
    let e = p.normalize_score(&pod, &mut input()).unwrap_err();
    assert_eq!(
        e.message,
        "size mismatch: scores has 2 elements, but updatedScores has 1 elements"
    );

    // Invalid JSON panics the host inside the call: a trap, so status Error… and a nil list.
    p.set_globals(&[("json_global", 4)]).unwrap();
    let s = p.normalize_score(&pod, &mut []).unwrap();
    assert_eq!(
        s.reason,
        "wasm: normalizescore error: unexpected end of JSON input (recovered by wazero)\nwasm stack trace:\n\tk8s.io/scheduler.result.normalized_score_list(i32,i32)\n\tresults.$9() i32"
    );
    p.set_globals(&[("json_global", 5)]).unwrap();
    let s = p.normalize_score(&pod, &mut []).unwrap();
    assert!(s.reason.starts_with("wasm: normalizescore error: json: cannot unmarshal string into Go value of type int (recovered by wazero)"), "{}", s.reason);
}

fn klog_plugin(log_severity: i32) -> WasmPlugin {
    let args = PluginArgs {
        log_severity,
        ..PluginArgs::default()
    };
    load_with("test/klog", args, Cluster::new()).unwrap()
}

/// Runs every logging hook of the klog fixture with guest severity `sev`.
fn log_all(p: &WasmPlugin, sev: i32) -> Vec<(Severity, String)> {
    p.set_globals(&[("severity_global", sev)]).unwrap();
    let pod = pod_small();
    p.pre_filter(&pod).unwrap();
    p.filter(&pod, "n").unwrap();
    p.pre_score(&pod, &["n"]).unwrap();
    p.score(&pod, "n").unwrap();
    p.reserve(&pod, "n").unwrap();
    p.take_logs()
        .into_iter()
        .map(|l| (l.severity, l.text))
        .collect()
}

#[test]
fn klog_formats() {
    let p = klog_plugin(0);
    assert_eq!(
        log_all(&p, 0),
        [
            (Severity::Info, "unstructured message".to_string()),
            (
                Severity::Info,
                r#""structured" pod="good-pod" node="n1""#.to_string()
            ),
            (Severity::Info, "no kvs".to_string()),
            (
                Severity::Info,
                "\"shifted\" a=\"b\" c=\"m\" multi\nline=\"(MISSING)\"".to_string()
            ),
        ]
    );
    assert_eq!(p.stats().host("k8s.io/klog.log"), 2);
    assert_eq!(p.stats().host("k8s.io/klog.logs"), 3);
    assert_eq!(p.stats().log_lines, 4);
}

#[test]
fn klog_severity_quirks() {
    // logSeverity 0: `log` prints only sev <= 0; `logs` prints sev >= 0 but only info and error.
    let p = klog_plugin(0);
    let errors = log_all(&p, 2);
    assert_eq!(
        errors,
        [
            (
                Severity::Error,
                r#""structured" pod="good-pod" node="n1""#.to_string()
            ),
            (
                Severity::Error,
                "\"shifted\" a=\"b\" c=\"m\" multi\nline=\"(MISSING)\"".to_string()
            ),
        ],
        "Error through `log` is lost at the default level; `logs` without kvs follows `log`"
    );
    assert!(log_all(&p, 1).is_empty(), "warning is dropped");
    assert!(log_all(&p, 3).is_empty(), "fatal is dropped");

    // logSeverity 2: `log` prints info and error, `logs` only error.
    let p = klog_plugin(2);
    assert_eq!(
        log_all(&p, 0),
        [
            (Severity::Info, "unstructured message".to_string()),
            (Severity::Info, "no kvs".to_string())
        ]
    );
    assert_eq!(log_all(&p, 2).len(), 4);
}

#[test]
fn log_limit_counts_everything() {
    let p = klog_plugin(0);
    p.set_log_limit(1);
    assert_eq!(log_all(&p, 0).len(), 1);
    assert_eq!(p.stats().log_lines, 4);
    p.reset_stats();
    assert_eq!(p.stats().log_lines, 0);
    assert!(p.stats().host_calls.is_empty());
}

#[test]
fn waiting_pods() {
    // The handle functions through a hand-written guest: RejectWaitingPod writes 8 bytes.
    let wat = r#"(module $handle
        (import "k8s.io/scheduler" "handle.reject_waiting_pod" (func $reject (param i32 i32 i32 i32)))
        (import "k8s.io/scheduler" "handle.get_waiting_pod" (func $get (param i32 i32 i32 i32)))
        (import "k8s.io/scheduler" "currentPod" (func $pod (param i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 0) "handle-test")
        (func (export "filter") (result i32)
          (i64.store (i32.const 64) (i64.const -1))
          (call $reject (i32.const 0) (i32.const 11) (i32.const 64) (i32.const 0))
          (i32.wrap_i64 (i64.load (i32.const 64))))
        (func (export "score") (result i64)
          (i64.store (i32.const 64) (i64.const -1))
          (call $get (i32.const 0) (i32.const 11) (i32.const 64) (i32.const 1024))
          (i64.load (i32.const 64))))"#;
    let p = WasmPlugin::from_bytes(
        "w",
        &wat::parse_str(wat).unwrap(),
        &PluginArgs::default(),
        Cluster::new(),
    )
    .unwrap();
    let pod = pod_small();
    assert_eq!(p.filter(&pod, "n").unwrap().code, 0);
    assert_eq!(
        p.score(&pod, "n").unwrap(),
        (0, Status::success()),
        "not found: 8 zero bytes"
    );
    let waiting = common::pod("handle-pod", "handle-test");
    p.add_waiting_pod(waiting.clone());
    // Found: the pod is written (its first 8 bytes read back as the i64).
    let first = u64::from_le_bytes(waiting.protobuf()[..8].try_into().unwrap());
    let (score, status) = p.score(&pod, "n").unwrap();
    assert_eq!(
        (u64::from(score as i32 as u32) << 32) | u64::from(status.code as u32),
        first
    );
    assert_eq!(p.filter(&pod, "n").unwrap().code, 1);
    assert_eq!(p.rejected_waiting_pods(), ["handle-test"]);
    assert_eq!(p.filter(&pod, "n").unwrap().code, 0);
}
