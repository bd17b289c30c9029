//! The per-instance module config (docs/abi.md §1.2) and failure handling (§2.5): `_start`, captured
//! output, fake clocks, argv, proc_exit, traps and host panics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod common;

use common::{load, load_with, pod_small};
use simulator_host::{Cluster, PluginArgs, Status};
use std::collections::BTreeMap;

#[test]
fn tinygo_style_command() {
    let args = PluginArgs {
        args: vec!["main".into(), "filter".into()],
        ..PluginArgs::default()
    };
    let p = load_with("test/tinygo_start", args, Cluster::new()).unwrap();
    let pod = pod_small();
    // _start ran once; its output was captured and cleared; filter's output is discarded.
    assert_eq!(p.filter(&pod, "n").unwrap(), Status::new(1, ""));
    // A failing call reports only its own output.
    assert_eq!(
        p.pre_filter(&pod).unwrap().0.reason,
        "wasm: prefilter error: partial \nwasm error: unreachable\nwasm stack trace:\n\ttinygo_start.$8() i32"
    );
    // The instance is reused after the trap.
    assert_eq!(p.filter(&pod, "n").unwrap().code, 1);
    assert_eq!(p.instance_count(), 1);

    // Fake wall clock: 2022-01-01T00:00:00Z, +1 ms per read (the second read here).
    let (r, s) = p.post_filter(&pod, &BTreeMap::new()).unwrap();
    let ns = (u64::from(r.unwrap().nominating_mode as u32) << 32) | u64::from(s.code as u32);
    assert_eq!(ns, 1_640_995_200_000_000_000 + 1_000_000);
    // Each instance has its own clocks; this one keeps counting.
    let (r, s) = p.post_filter(&pod, &BTreeMap::new()).unwrap();
    let ns2 = (u64::from(r.unwrap().nominating_mode as u32) << 32) | u64::from(s.code as u32);
    assert_eq!(ns2, ns + 2_000_000);
    // Fake monotonic clock: starts at 0, +1 ms per read.
    assert_eq!(p.score(&pod, "n").unwrap(), (0, Status::new(1_000_000, "")));

    // argv: 2 args, "main\0filter\0" = 12 bytes. No environment.
    let (s, t) = p.permit(&pod, "n").unwrap();
    assert_eq!((s.code, t.as_millis()), (2, 12));
    assert_eq!(p.reserve(&pod, "n").unwrap().code, 0);
}

#[test]
fn random_is_deterministic_and_the_same_for_every_instance() {
    let a = load("test/tinygo_start").unwrap();
    let b = load("test/tinygo_start").unwrap();
    let pod = pod_small();
    let x = a.pre_score(&pod, &["n"]).unwrap().code;
    assert_eq!(b.pre_score(&pod, &["n"]).unwrap().code, x);
    assert_ne!(
        a.pre_score(&pod, &["n"]).unwrap().code,
        x,
        "the sequence advances"
    );
}

#[test]
fn proc_exit_zero_in_start_closes_the_instance() {
    let args = PluginArgs {
        args: vec!["main".into()],
        ..PluginArgs::default()
    };
    let p = load_with("test/proc_exit", args, Cluster::new()).unwrap();
    assert_eq!(p.instance_count(), 1);
    assert_eq!(
        p.filter(&pod_small(), "n").unwrap(),
        Status::error("wasm: filter error: module closed with exit_code(0)")
    );
}

#[test]
fn proc_exit_nonzero_in_start_fails_loading() {
    let args = PluginArgs {
        args: vec!["main".into(), "x".into(), "y".into()],
        ..PluginArgs::default()
    };
    assert_eq!(
        load_with("test/proc_exit", args, Cluster::new())
            .unwrap_err()
            .to_string(),
        "failed to create a guest pool: wasm: instantiate error: module closed with exit_code(2)"
    );
}

#[test]
fn proc_exit_in_a_hook_closes_the_instance_for_good() {
    let p = load("test/proc_exit").unwrap();
    let pod = pod_small();
    assert_eq!(p.filter(&pod, "n").unwrap(), Status::success());
    assert_eq!(
        p.score(&pod, "n").unwrap().1.reason,
        "wasm: score error: module closed with exit_code(7)"
    );
    assert_eq!(
        p.filter(&pod, "n").unwrap().reason,
        "wasm: filter error: module closed with exit_code(7)"
    );
    assert_eq!(p.instance_count(), 1);
}

#[test]
fn traps_keep_the_instance_and_its_memory() {
    let p = load("test/traps").unwrap();
    let pod = pod_small();
    assert_eq!(p.filter(&pod, "n").unwrap().code, 1);
    assert_eq!(
        p.filter(&pod, "n").unwrap().reason,
        "wasm: filter error: wasm error: unreachable\nwasm stack trace:\n\ttraps.$0() i32"
    );
    // The increment made before the trap is still there.
    assert_eq!(p.filter(&pod, "n").unwrap().code, 3);
    assert_eq!(p.instance_count(), 1);
    assert_eq!(p.stats().instances_created, 1);
}

#[test]
fn trap_kinds_use_wazero_words() {
    let p = load("test/traps").unwrap();
    let pod = pod_small();
    let t = |s: Status| s.reason;
    assert_eq!(
        t(p.pre_score(&pod, &["n"]).unwrap()),
        "wasm: prescore error: wasm error: integer divide by zero\nwasm stack trace:\n\ttraps.$1() i32"
    );
    assert_eq!(
        t(p.score(&pod, "n").unwrap().1),
        "wasm: score error: wasm error: out of bounds memory access\nwasm stack trace:\n\ttraps.$2() i64"
    );
    assert_eq!(
        t(p.reserve(&pod, "n").unwrap()),
        "wasm: reserve error: wasm error: invalid table access\nwasm stack trace:\n\ttraps.$3() i32"
    );
    p.pin_for_binding(pod.uid()).unwrap();
    assert_eq!(
        t(p.pre_bind(&pod, "n").unwrap()),
        "wasm: prebind error: wasm error: invalid conversion to integer\nwasm stack trace:\n\ttraps.$7() i32"
    );
    assert_eq!(
        t(p.bind(&pod, "n").unwrap()),
        "wasm: bind error: wasm error: integer overflow\nwasm stack trace:\n\ttraps.$8() i32"
    );
}

#[test]
fn stack_overflow_trace_is_capped_at_30_frames() {
    let p = load("test/traps").unwrap();
    let (s, _) = p.permit(&pod_small(), "n").unwrap();
    let mut want =
        String::from("wasm: permit error: wasm error: stack overflow\nwasm stack trace:");
    for _ in 0..30 {
        want.push_str("\n\ttraps.$recurse(i32) i32");
    }
    want.push_str("\n\t... maybe followed by omitted frames");
    assert_eq!(s.reason, want.replace("$recurse", "recurse"));
}

#[test]
fn memory_growth_is_reported() {
    let p = load("test/traps").unwrap();
    assert_eq!(p.memory_bytes(), 65536);
    p.set_globals(&[("grow_global", 3)]).unwrap();
    assert_eq!(p.pre_filter(&pod_small()).unwrap().0.code, 4);
    assert_eq!(p.memory_bytes(), 4 * 65536);
    assert_eq!(p.total_memory_bytes(), 4 * 65536);
}

#[test]
fn host_panics() {
    let p = load("test/host_panic").unwrap();
    let pod = pod_small();
    assert_eq!(
        p.filter(&pod, "n").unwrap().reason,
        "wasm: filter error: out of memory (recovered by wazero)\nwasm stack trace:\n\tk8s.io/scheduler.currentPod(i32,i32) i32\n\thost_panic.$6() i32"
    );
    assert_eq!(
        p.score(&pod, "n").unwrap().1.reason,
        "wasm: score error: out of memory reading nodeName (recovered by wazero)\nwasm stack trace:\n\tk8s.io/api.node(i32,i32,i32,i32) i32\n\thost_panic.$7() i64"
    );
    // String getters ignore a failed write and still return the length.
    assert_eq!(p.pre_filter(&pod).unwrap().0, Status::new(0, ""));
    assert_eq!(p.filter(&pod, "good-node").unwrap().code, Status::ERROR);
}

#[test]
fn context_getters_panic_during_start() {
    let args = PluginArgs {
        args: vec!["main".into(), "x".into()],
        ..PluginArgs::default()
    };
    let e = load_with("test/host_panic", args, Cluster::new())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "failed to create a guest pool: wasm: instantiate error: module[1] function[_start] failed: interface conversion: interface {} is nil, not *wasm.stack (recovered by wazero)\nwasm stack trace:\n\tk8s.io/scheduler.currentPod(i32,i32) i32\n\thost_panic.$5()\n\nGo runtime stack trace:\n"
        ),
        "{e}"
    );
}

#[test]
fn import_errors_at_instantiation() {
    let wat = r#"(module (import "env" "abort" (func)) (memory (export "memory") 1)
                 (func (export "filter") (result i32) (i32.const 0)))"#;
    let bytes = wat::parse_str(wat).unwrap();
    let e =
        simulator_host::WasmPlugin::from_bytes("w", &bytes, &PluginArgs::default(), Cluster::new())
            .unwrap_err();
    assert_eq!(
        e.to_string(),
        "failed to create a guest pool: wasm: instantiate error: module[env] not instantiated"
    );
}

#[test]
fn load_errors() {
    use simulator_host::WasmPlugin;
    let load = |url: &str| {
        WasmPlugin::load("w", &PluginArgs::new(url), Cluster::new())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(load(""), "wasm: guestURL is required");
    assert_eq!(
        load(r"c:\foo.wasm"),
        r"wasm: error reading guestURL c:\foo.wasm: unsupported URL scheme: c"
    );
    assert_eq!(
        load("file:///nope.wasm"),
        "wasm: error reading guestURL file:///nope.wasm: open /nope.wasm: no such file or directory"
    );
    let no_memory =
        wat::parse_str(r#"(module (func (export "filter") (result i32) (i32.const 0)))"#).unwrap();
    assert_eq!(
        WasmPlugin::from_bytes("w", &no_memory, &PluginArgs::default(), Cluster::new())
            .unwrap_err()
            .to_string(),
        "wasm: guest doesn't export memory[memory]"
    );
    let e = WasmPlugin::from_bytes(
        "w",
        b"\0asm\x02\0\0\0",
        &PluginArgs::default(),
        Cluster::new(),
    )
    .unwrap_err();
    assert!(
        e.to_string().starts_with("wasm: error compiling guest: "),
        "{e}"
    );
    let wrong = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "addpod") (result i64) (i64.const 0)))"#).unwrap();
    assert_eq!(
        WasmPlugin::from_bytes("w", &wrong, &PluginArgs::default(), Cluster::new())
            .unwrap_err()
            .to_string(),
        "wasm: guest exports the wrong signature for func[addpod]. should be () -> ()"
    );
}

#[test]
fn later_instantiation_failure_closes_the_runtime() {
    // _start traps when the snapshot has nodes: the first instance is created while the
    // snapshot is empty, the second after the test installed a node.
    let wat = r#"(module $later
        (import "k8s.io/scheduler" "get_config" (func $cfg (param i32 i32) (result i32)))
        (import "k8s.io/api" "node" (func $node (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 0) "n1")
        (func (export "_start") (if (call $node (i32.const 0) (i32.const 2) (i32.const 0) (i32.const 0)) (then unreachable)))
        (func (export "filter") (result i32) (i32.const 0))
        (func (export "permit") (result i64) (i64.const 0)))"#;
    let p = simulator_host::WasmPlugin::from_bytes(
        "w",
        &wat::parse_str(wat).unwrap(),
        &PluginArgs::default(),
        Cluster::new(),
    )
    .unwrap();
    let pod = pod_small();
    p.permit(&pod, "n").unwrap();
    p.set_cluster(common::nodes(&["n1"]));
    let s = p.filter(&pod, "n").unwrap();
    assert_eq!(
        s.reason,
        "wasm: instantiate error: module[2] function[_start] failed: wasm error: unreachable\nwasm stack trace:\n\tlater.$2()"
    );
    // The whole runtime is closed: the instance pinned to the binding cycle is dead too, and no
    // new instance can be made.
    p.set_cluster(Cluster::new());
    assert_eq!(
        p.filter(&pod, "n").unwrap().reason,
        "wasm: instantiate error: runtime closed with exit_code(0)"
    );
}
