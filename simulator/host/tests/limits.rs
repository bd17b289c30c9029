//! The simulator's own bounds on a guest (none in the production host): the per-hook deadline and
//! the memory cap. A call stopped by either is an Error that says what the real scheduler would do,
//! and the instance is replaced so later calls run.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod common;

use common::{fixture_url, pod_small};
use simulator_host::{Cluster, GuestLimits, PluginArgs, Status, WasmPlugin};
use std::time::Duration;

fn limits(timeout_ms: u64, memory: Option<u64>) -> GuestLimits {
    GuestLimits {
        hook_timeout: Some(Duration::from_millis(timeout_ms)),
        memory_max: memory,
    }
}

fn runaway(
    args: Vec<String>,
    limits: GuestLimits,
) -> Result<WasmPlugin, simulator_host::LoadError> {
    let args = PluginArgs {
        guest_url: fixture_url("test/runaway"),
        args,
        ..PluginArgs::default()
    };
    WasmPlugin::load_with_limits("wasm", &args, Cluster::new(), limits)
}

#[test]
fn a_looping_hook_fails_at_the_deadline_and_its_instance_is_replaced() {
    let p = runaway(vec![], limits(200, None)).unwrap();
    let pod = pod_small();
    assert_eq!(p.stats().instances_created, 1);
    let status = p.filter(&pod, "n").unwrap();
    assert_eq!(
        status,
        Status::error(
            "wasm: filter error: the guest was still running after the hook deadline (200ms): the real kube-scheduler would hang here (its wasm host sets no deadline)\nwasm stack trace:\n\trunaway.spin()\n\trunaway.$3() i32"
        )
    );
    // A fresh instance took its place; it answers the next call.
    assert_eq!(p.stats().instances_created, 2);
    assert_eq!(p.instance_count(), 1);
    assert_eq!(p.pre_score(&pod, &["n"]).unwrap(), Status::success());
    // The deadline is per call: the next runaway call is stopped again.
    assert_eq!(p.filter(&pod, "n").unwrap().code, Status::ERROR);
    assert_eq!(p.stats().instances_created, 3);
}

#[test]
fn a_looping_start_fails_loading_at_the_deadline() {
    let e = runaway(vec!["main".into(), "loop".into()], limits(200, None)).unwrap_err();
    assert_eq!(
        e.message(),
        "failed to create a guest pool: wasm: instantiate error: module[1] function[_start] failed: the guest was still running after the hook deadline (200ms): the real kube-scheduler would hang here (its wasm host sets no deadline)\nwasm stack trace:\n\trunaway.spin()\n\trunaway.$2()"
    );
}

#[test]
fn a_memory_hog_fails_at_the_cap_and_its_instance_is_replaced() {
    let p = runaway(vec![], limits(10_000, Some(4 << 20))).unwrap();
    let pod = pod_small();
    assert_eq!(p.memory_bytes(), 64 << 10);
    let (score, status) = p.score(&pod, "n").unwrap();
    assert_eq!(score, 0);
    assert_eq!(
        status,
        Status::error(
            "wasm: score error: the guest's memory would grow to 4160 KiB, over the 4 MiB cap: the real kube-scheduler's guest would keep growing here (up to 4 GiB) and may run out of memory\nwasm stack trace:\n\trunaway.$5() i64"
        )
    );
    assert_eq!(p.stats().instances_created, 2);
    assert_eq!(p.memory_bytes(), 64 << 10, "the replacement starts small");
    assert_eq!(p.pre_score(&pod, &["n"]).unwrap(), Status::success());
}

#[test]
fn without_limits_a_grow_fails_only_at_wasm32s_maximum() {
    // The production behaviour: no cap, the guest grows as far as it asks (here to 1009 pages,
    // where the module's own maximum of 1024 answers -1 and the call returns normally).
    let wasm = wat::parse_str(
        r#"(module (memory (export "memory") 1 1024)
             (func (export "filter") (result i32) (i32.const 0))
             (func (export "score") (result i64)
               (loop $g (br_if $g (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
               (i64.const 0)))"#,
    )
    .unwrap();
    let p = WasmPlugin::from_bytes_with_limits(
        "wasm",
        &wasm,
        &PluginArgs::default(),
        Cluster::new(),
        GuestLimits::NONE,
    )
    .unwrap();
    assert_eq!(p.score(&pod_small(), "n").unwrap(), (0, Status::success()));
    assert_eq!(p.memory_bytes(), 1009 * (64 << 10));
    assert_eq!(p.stats().instances_created, 1);
}

#[test]
fn a_file_that_is_not_wasm_is_one_line() {
    let e = WasmPlugin::from_bytes(
        "wasm",
        b"<!DOCTYPE html>\n<html><body>404</body></html>",
        &PluginArgs::default(),
        Cluster::new(),
    )
    .unwrap_err();
    assert_eq!(
        e.message(),
        r#"wasm: error compiling guest: not a wasm module: starts with "<!DOCTYPE html>\n" (3c 21 44 4f 43 54 59 50 45 20 68 74 6d 6c 3e 0a …), not "\x00asm""#
    );
    let e =
        WasmPlugin::from_bytes("wasm", b"", &PluginArgs::default(), Cluster::new()).unwrap_err();
    assert_eq!(
        e.message(),
        "wasm: error compiling guest: not a wasm module: the file is empty"
    );
}
