//! The checked-in TinyGo guests of kubernetes-sigs/kube-scheduler-wasm-extension and
//! wasmkwokwizardry/kubecon-na-2024, run through this host (docs/abi.md §6.2, §7). Their binaries are
//! not part of this repository: the tests are `#[ignore]`d and read them from the directory in
//! `SIMULATOR_TINYGO_DIR`, with these names:
//!
//! `kubecon_regex_v1.wasm`, `kubecon_regex_v2.wasm` (wasm-extension-regex-plugin/static/),
//! `guest_testdata_<name>.wasm` (guest/testdata/<name>/main.wasm),
//! `examples_<name>.wasm` (examples/<name>/main.wasm).
//!
//! `SIMULATOR_TINYGO_DIR=/path cargo test -p simulator-host --test tinygo_guests -- --ignored --nocapture`
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

use serde_json::json;
use simulator_host::{Cluster, NodeScore, PluginArgs, PodObject, Status, WasmPlugin};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn guest(name: &str) -> String {
    let dir = std::env::var("SIMULATOR_TINYGO_DIR").expect("set SIMULATOR_TINYGO_DIR");
    format!("file://{dir}/{name}.wasm")
}

fn load(name: &str, args: &[&str], config: &str, cluster: Cluster) -> WasmPlugin {
    let a = PluginArgs {
        guest_url: guest(name),
        guest_config: config.into(),
        log_severity: 0,
        args: args.iter().map(|s| s.to_string()).collect(),
    };
    let t = Instant::now();
    let p = WasmPlugin::load("wasm", &a, cluster).unwrap_or_else(|e| panic!("{name}: {e}"));
    println!(
        "{name}: load (fetch + compile + first instance) {:?}, exports {}",
        t.elapsed(),
        p.exports().groups()
    );
    p
}

fn nodes(names: &[&str]) -> Cluster {
    let v: Vec<_> = names
        .iter()
        .map(|n| json!({"metadata": {"name": n}}))
        .collect();
    Cluster::from_nodes_json(&v).unwrap()
}

fn pod_small() -> PodObject {
    PodObject::from_json(&json!({
        "metadata": {"name": "good-pod", "namespace": "test", "uid": "384900cd-dc7b-41ec-837e-9c4c1762363e"},
        "spec": {"nodeName": "good-node"},
    }))
    .unwrap()
}

fn regex_pod(uid: &str, pattern: Option<&str>) -> PodObject {
    let mut meta = json!({"name": format!("pod-{uid}"), "namespace": "default", "uid": uid});
    if let Some(p) = pattern {
        meta["annotations"] = json!({"scheduler.wasmkwokwizardry.io/regex": p});
    }
    PodObject::from_json(&json!({"metadata": meta})).unwrap()
}

fn time_filters(p: &WasmPlugin, pod: &PodObject, node: &str, n: u32) -> Duration {
    let t = Instant::now();
    for _ in 0..n {
        p.filter(pod, node).unwrap();
    }
    t.elapsed() / n
}

#[test]
#[ignore]
fn kubecon_regex_guests() {
    for (name, v) in [("kubecon_regex_v1", 1), ("kubecon_regex_v2", 2)] {
        let p = load(name, &[], "", nodes(&["kubecon-1", "kubecon-2", "oz-1"]));
        assert_eq!(
            p.exports().groups().to_string(),
            if v == 1 { "FSRPB" } else { "F" }
        );

        let pod = regex_pod("u1", Some("kubecon-.*"));
        assert!(p.pre_filter(&pod).unwrap().0.is_success());
        assert_eq!(p.filter(&pod, "kubecon-1").unwrap(), Status::success());
        assert_eq!(
            p.filter(&pod, "oz-1").unwrap(),
            Status::new(2, r#"node "oz-1" does not match regex "kubecon-.*""#)
        );
        let logs = p.take_logs();
        let last = logs.last().unwrap();
        assert_eq!(
            last.text,
            r#""execute Filter on RegexScheduling plugin" pod="default/pod-u1" node="oz-1""#
        );

        let none = regex_pod("u2", None);
        assert!(p.pre_filter(&none).unwrap().0.is_success());
        assert_eq!(p.filter(&none, "oz-1").unwrap(), Status::success());

        let bad = regex_pod("u3", Some("kube(con"));
        let (pf, _) = p.pre_filter(&bad).unwrap();
        let want = r#"failed to compile regex "kube(con": error parsing regexp: missing closing ): `kube(con`"#;
        if v == 1 {
            assert!(pf.is_success());
            assert_eq!(p.filter(&bad, "oz-1").unwrap(), Status::new(1, want));
        } else {
            assert_eq!(pf, Status::new(1, want));
        }

        let pod = regex_pod("u4", Some("cncf-.*"));
        p.pre_filter(&pod).unwrap();
        let per_filter = time_filters(&p, &pod, "kubecon-2", 2000);
        println!(
            "{name}: Filter {per_filter:?}/call (non-matching, debug build), memory {} KiB, {} instance(s), stats {:?}",
            p.memory_bytes() / 1024,
            p.instance_count(),
            p.stats().host_calls
        );
    }
}

#[test]
#[ignore]
fn upstream_filter_guest() {
    let pod = pod_small();
    let p = load(
        "guest_testdata_filter",
        &["test", "preFilter"],
        "",
        Cluster::new(),
    );
    assert_eq!(
        p.pre_filter(&pod).unwrap(),
        (Status::success(), Some(vec!["good-node".to_string()]))
    );
    let no_node = PodObject::from_json(&json!({"metadata": {"name": "p", "uid": "x"}})).unwrap();
    assert_eq!(p.pre_filter(&no_node).unwrap(), (Status::success(), None));

    // The guest reads the node through k8s.io/api.node, so the snapshot must have it.
    let p = load(
        "guest_testdata_filter",
        &["test", "filter"],
        "",
        nodes(&["good-node", "bad-node"]),
    );
    assert_eq!(p.filter(&pod, "good-node").unwrap(), Status::success());
    assert_eq!(
        p.filter(&pod, "bad-node").unwrap(),
        Status::new(2, "good-node != bad-node")
    );

    let p = load(
        "guest_testdata_filter",
        &["test", "postFilter"],
        "",
        Cluster::new(),
    );
    let (r, s) = p
        .post_filter(&pod, &BTreeMap::from([("good-node".to_string(), 0)]))
        .unwrap();
    let r = r.unwrap();
    assert_eq!(
        (r.nominated_node_name.as_str(), r.nominating_mode, s),
        ("good-node", 1, Status::success())
    );
    let (r, s) = p
        .post_filter(&pod, &BTreeMap::from([("good-node".to_string(), 2)]))
        .unwrap();
    let r = r.unwrap();
    assert_eq!(
        (r.nominated_node_name.as_str(), r.nominating_mode),
        ("good-node", 0)
    );
    assert_eq!(s, Status::new(3, "good-node is unschedulable"));

    let p = load(
        "guest_testdata_filter",
        &["test", "preFilterExtensions"],
        "",
        nodes(&["good-node", "bad"]),
    );
    let target =
        PodObject::from_json(&json!({"metadata": {"name": "good-pod", "uid": "t"}})).unwrap();
    assert_eq!(
        p.add_pod(&pod, &target, "good-node").unwrap(),
        Status::success()
    );
    assert_eq!(
        p.remove_pod(&pod, &target, "good-node").unwrap(),
        Status::success()
    );
    let bad = PodObject::from_json(&json!({"metadata": {"name": "bad-pod", "uid": "b"}})).unwrap();
    assert_eq!(
        p.add_pod(&pod, &bad, "bad").unwrap(),
        Status::new(1, "Node name is bad and PodInfo name is bad-pod")
    );
}

#[test]
#[ignore]
fn upstream_score_reserve_permit_bind_guests() {
    let pod = pod_small();
    let p = load(
        "guest_testdata_score",
        &["test", "score"],
        "",
        Cluster::new(),
    );
    assert_eq!(
        p.score(&pod, "good-node").unwrap(),
        (100, Status::success())
    );
    assert_eq!(p.score(&pod, "other").unwrap(), (0, Status::success()));
    let p = load(
        "guest_testdata_score",
        &["test", "preScore"],
        "",
        Cluster::new(),
    );
    for names in [&[][..], &["a"][..], &["a", "b"][..]] {
        assert_eq!(p.pre_score(&pod, names).unwrap().code, names.len() as i32);
    }
    let p = load(
        "guest_testdata_score",
        &["test", "scoreExtensions"],
        "",
        Cluster::new(),
    );
    let mut scores = [NodeScore::new("good-node", 100)];
    assert!(p.normalize_score(&pod, &mut scores).unwrap().is_success());
    assert_eq!(scores, [NodeScore::new("good-node", 10000)]);

    let p = load(
        "guest_testdata_reserve",
        &["test", "reserve"],
        "",
        Cluster::new(),
    );
    assert_eq!(p.reserve(&pod, "good").unwrap(), Status::success());
    p.unreserve(&pod, "good").unwrap();
    assert_eq!(
        p.reserve(&pod, "bad").unwrap(),
        Status::new(1, "name is bad")
    );
    assert!(p.logs().is_empty(), "{:?}", p.logs());

    let p = load(
        "guest_testdata_permit",
        &["test", "permit"],
        "",
        Cluster::new(),
    );
    assert_eq!(
        p.permit(&pod, "good").unwrap(),
        (Status::success(), Duration::ZERO)
    );
    assert_eq!(
        p.permit(&pod, "bad").unwrap(),
        (Status::new(1, "name is bad"), Duration::ZERO)
    );
    assert_eq!(
        p.permit(&pod, "wait").unwrap(),
        (Status::new(4, "name is wait"), Duration::from_secs(10))
    );

    for (args, hook) in [(["test", "preBind"], "prebind"), (["test", "bind"], "bind")] {
        let p = load("guest_testdata_bind", &args, "", Cluster::new());
        p.pin_for_binding(pod.uid()).unwrap();
        let call = |node| {
            if hook == "prebind" {
                p.pre_bind(&pod, node)
            } else {
                p.bind(&pod, node)
            }
        };
        assert_eq!(call("good").unwrap(), Status::success());
        assert_eq!(call("bad").unwrap(), Status::new(1, "name is bad"));
    }
    let p = load(
        "guest_testdata_bind",
        &["test", "postBind"],
        "",
        Cluster::new(),
    );
    p.pin_for_binding(pod.uid()).unwrap();
    p.post_bind(&pod, "bad").unwrap();
    let log = p.last_error_log().unwrap();
    println!("postBind log: {log}");
    assert_eq!(
        log.text,
        "\"failed postbind\" err=<\n\twasm: postbind error: panic: name is bad\n\t\n\twasm error: unreachable\n\twasm stack trace:\n\t\tmain.runtime._panic(i32,i32)\n\t\tmain.postbind()\n >"
    );
}

#[test]
#[ignore]
fn upstream_handle_and_cyclestate_guests() {
    let pod = pod_small();
    let p = load(
        "guest_testdata_handle",
        &["test", "rejectWaitingPod"],
        "",
        Cluster::new(),
    );
    assert_eq!(p.filter(&pod, "good-node").unwrap(), Status::success());
    let handle_pod = PodObject::from_json(&json!({
        "metadata": {"name": "handle-pod", "namespace": "test", "uid": "handle-test"},
        "spec": {"nodeName": "good-node"}}))
    .unwrap();
    p.add_waiting_pod(handle_pod.clone());
    // The Go SDK caches the decoded pod until the next prefilter: start a new cycle.
    p.pre_filter(&handle_pod).unwrap();
    assert_eq!(
        p.filter(&handle_pod, "good-node").unwrap(),
        Status::new(5, "UID is handle-test")
    );
    assert_eq!(p.rejected_waiting_pods(), ["handle-test"]);

    // The SDK's GetWaitingPod decodes the whole buffer limit (docs/abi.md §8): with 8 zero bytes and
    // garbage after them, the TinyGo protobuf decoder panics ("not implemented"), here as it would
    // on wazero, instead of upstream's expected "No waiting pod found" status.
    let p = load(
        "guest_testdata_handle",
        &["test", "getWaitingPod"],
        "",
        Cluster::new(),
    );
    let s = p.filter(&pod, "good-node").unwrap();
    println!("getWaitingPod: {s:?}");
    assert_eq!(s.code, 1);

    for args in [&[][..], &["test", "1"][..], &["test", "2"][..]] {
        let p = load("guest_testdata_cyclestate", args, "", nodes(&["good-node"]));
        println!(
            "cyclestate {args:?}: events {:?}",
            p.events_to_register().unwrap()
        );
        for i in 0..2 {
            let pod =
                PodObject::from_json(&json!({"metadata": {"name": "p", "uid": format!("u{i}")},
                                                     "spec": {"nodeName": "good-node"}}))
                .unwrap();
            let ok = |s: Status| assert!(s.is_success(), "{s}");
            ok(p.pre_filter(&pod).unwrap().0);
            ok(p.filter(&pod, "good-node").unwrap());
            ok(p.post_filter(&pod, &BTreeMap::new()).unwrap().1);
            ok(p.add_pod(&pod, &pod, "good-node").unwrap());
            ok(p.remove_pod(&pod, &pod, "good-node").unwrap());
            ok(p.pre_score(&pod, &["good-node"]).unwrap());
            ok(p.score(&pod, "good-node").unwrap().1);
            ok(p.normalize_score(&pod, &mut []).unwrap());
            ok(p.reserve(&pod, "good-node").unwrap());
            p.unreserve(&pod, "good-node").unwrap();
            ok(p.permit(&pod, "good-node").unwrap().0);
            ok(p.pre_bind(&pod, "").unwrap());
            ok(p.bind(&pod, "").unwrap());
            p.post_bind(&pod, "").unwrap();
            assert!(
                p.logs()
                    .iter()
                    .all(|l| l.severity != simulator_host::Severity::Error),
                "{:?}",
                p.logs()
            );
        }
    }
}

#[test]
#[ignore]
fn upstream_examples() {
    let cluster = nodes(&["glad8", "glad9"]);
    let pod = PodObject::from_json(&json!({"metadata": {"name": "happy8-meta", "uid": "h"},
                                           "spec": {"nodeName": "happy8"}}))
    .unwrap();
    let p = load(
        "examples_advanced",
        &[],
        r#"{"reverse": false}"#,
        cluster.clone(),
    );
    // examples/advanced/main.wasm at upstream HEAD calls proc_exit(0) at the end of _start, so
    // wazero has closed the module: every call runs and then fails with this error.
    let s = p.pre_score(&pod, &["glad8", "glad9"]).unwrap();
    println!("advanced PreScore: {s:?}, logs {:?}", p.logs());
    if s.reason.ends_with("module closed with exit_code(0)") {
        return;
    }
    assert!(s.is_success(), "{s:?}");
    assert_eq!(p.score(&pod, "glad9").unwrap(), (0, Status::success()));
    assert_eq!(p.score(&pod, "glad8").unwrap(), (10, Status::success()));
    let texts: Vec<_> = p.logs().into_iter().map(|l| l.text).collect();
    println!("advanced logs: {texts:?}, events {:?}", p.events());
    assert!(
        texts.contains(&r#""execute PreScore on NodeNumber plugin" pod="happy8-meta""#.to_string())
    );
    assert!(
        texts.contains(&r#""execute Score on NodeNumber plugin" pod="happy8-meta""#.to_string())
    );
    let ev = p.events();
    assert_eq!(
        ev[0].fake_recorder_message(),
        "happy8-meta PreScore match lastNumber Continue "
    );

    let p = load("examples_advanced", &[], r#"{"reverse": true}"#, cluster);
    assert_eq!(p.score(&pod, "glad8").unwrap(), (0, Status::success()));
    assert_eq!(p.logs()[0].text, "NodeNumberArgs is successfully applied");

    let p = load("examples_nodenumber", &[], "", Cluster::new());
    p.pre_score(&pod_small(), &[] as &[&str]).unwrap();
    assert_eq!(
        p.events()[0].fake_recorder_message(),
        "good-pod PreScore not match lastNumber Skip "
    );

    let img = |n: &str, with: bool| {
        let mut node = json!({"metadata": {"name": n}});
        if with {
            node["status"] = json!({"images": [
                {"names": ["test-image:v1"], "sizeBytes": 100_000_000},
                {"names": ["test-image:v2"], "sizeBytes": 100_000_000},
                {"names": ["test-image:v3"], "sizeBytes": 100_000_000}]});
        }
        node
    };
    let cluster =
        Cluster::from_nodes_json(&[img("n1", true), img("n2", true), img("n3", false)]).unwrap();
    let p = load("examples_imagelocality", &[], "", cluster);
    let pod = PodObject::from_json(&json!({"metadata": {"name": "p", "uid": "i"},
        "spec": {"containers": [{"name": "c", "image": "test-image:v1"}]}}))
    .unwrap();
    p.pre_filter(&pod).unwrap();
    assert_eq!(p.score(&pod, "n3").unwrap(), (0, Status::success()));
    assert_eq!(p.score(&pod, "n1").unwrap(), (4, Status::success()));
}

#[test]
#[ignore]
fn timings() {
    // An empty guest: filter returns 0 and calls nothing.
    let wat = r#"(module (memory (export "memory") 1) (func (export "filter") (result i32) (i32.const 0)))"#;
    let bytes = wat::parse_str(wat).unwrap();
    let t = Instant::now();
    let p = WasmPlugin::from_bytes("w", &bytes, &PluginArgs::default(), Cluster::new()).unwrap();
    println!("empty guest: compile + first instance {:?}", t.elapsed());
    let pod = pod_small();
    for x in 0..8 {
        p.pin_for_binding(&format!("pin{x}")).unwrap();
    }
    let t = Instant::now();
    p.filter(&pod, "n").unwrap();
    println!(
        "empty guest: one more instantiation (pool growth) + call {:?}",
        t.elapsed()
    );
    for _ in 0..10_000 {
        p.filter(&pod, "good-node").unwrap();
    }
    let n = 200_000;
    println!(
        "empty guest: Filter {:?}/call",
        time_filters(&p, &pod, "good-node", n)
    );
    // One host call per Filter.
    let wat = r#"(module (import "k8s.io/scheduler" "currentNodeName" (func $n (param i32 i32) (result i32)))
        (memory (export "memory") 1) (func (export "filter") (result i32) (call $n (i32.const 0) (i32.const 256))))"#;
    let p = WasmPlugin::from_bytes(
        "w",
        &wat::parse_str(wat).unwrap(),
        &PluginArgs::default(),
        Cluster::new(),
    )
    .unwrap();
    for _ in 0..10_000 {
        p.filter(&pod, "good-node").unwrap();
    }
    println!(
        "one currentNodeName call: Filter {:?}/call",
        time_filters(&p, &pod, "good-node", n)
    );
}
