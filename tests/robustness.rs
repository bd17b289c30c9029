//! Bad input and traps: clear statuses, never a stuck instance, memory that stays flat.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

use integration_tests::{REGEX, load, node, pod, pod_json};
use serde_json::Value;
use simulator_host::{PodObject, Status};

fn nodes() -> Vec<Value> {
    ["node-default", "kubecon-1", "kubecon-2"]
        .iter()
        .map(|n| node(n, &[]))
        .collect()
}

#[test]
fn a_256_kib_pod_goes_through_the_buffer_growth_path() {
    for g in ["regex_v1", "regex_v2"] {
        let plugin = load(g, "", &nodes());
        let big = "x".repeat(256 * 1024);
        let p = pod("big", &[(REGEX, "kubecon-.*"), ("example.com/blob", &big)]);
        assert!(p.protobuf().len() > 256 * 1024);
        plugin.reset_stats();
        let (pre, _) = plugin.pre_filter(&p).expect("prefilter");
        assert!(pre.is_success(), "{g}: {pre:?}");
        assert_eq!(
            plugin.filter(&p, "kubecon-1").expect("filter"),
            Status::success(),
            "{g}"
        );
        assert_eq!(
            plugin.filter(&p, "node-default").expect("filter").code,
            2,
            "{g}"
        );
        // v2 reads the pod once (grow and retry: two host calls); v1 reads it per Filter, and the
        // grown buffer is reused from then on.
        let expected = if g == "regex_v2" { 2 } else { 3 };
        assert_eq!(
            plugin.stats().host("k8s.io/scheduler.currentPod"),
            expected,
            "{g}"
        );
    }
}

#[test]
fn malformed_pod_bytes_are_an_error_and_the_same_instance_goes_on() {
    for g in ["regex_v1", "regex_v2"] {
        let plugin = load(g, "", &nodes());
        let bad = PodObject::from_protobuf("bad-uid", vec![0x0a, 0x05, 0x0a]);
        let status = if g == "regex_v2" {
            plugin.pre_filter(&bad).expect("prefilter").0
        } else {
            plugin.filter(&bad, "kubecon-1").expect("filter")
        };
        assert_eq!(
            status,
            Status::new(
                1,
                "malformed protobuf from the host: unexpected end of data"
            ),
            "{g}"
        );
        let good = pod("good", &[(REGEX, "kubecon-.*")]);
        let _ = plugin.pre_filter(&good).expect("prefilter");
        assert_eq!(
            plugin.filter(&good, "kubecon-2").expect("filter"),
            Status::success(),
            "{g}"
        );
        assert_eq!(plugin.instance_count(), 1, "{g}");
    }
}

#[test]
fn patterns_over_the_bound_are_an_error_naming_it() {
    for g in ["regex_v1", "regex_v2"] {
        let plugin = load(g, "", &nodes());
        let long = "a".repeat(5000);
        let p = pod("long", &[(REGEX, &long)]);
        let (pre, _) = plugin.pre_filter(&p).expect("prefilter");
        let status = if pre.is_success() {
            plugin.filter(&p, "kubecon-1").expect("filter")
        } else {
            pre
        };
        assert_eq!(
            status,
            Status::new(
                1,
                "regex annotation scheduler.wasmkwokwizardry.io/regex is 5000 bytes long, more than the 4096 bytes this plugin accepts"
            ),
            "{g}"
        );
    }
}

#[test]
fn a_panicking_guest_is_an_error_with_its_message_and_the_instance_recovers() {
    let plugin = load("trap_guest", "", &nodes());
    let panicking = PodObject::from_json(&pod_json(
        "doomed",
        &[],
        &[("test.wasmkwokwizardry.io/panic", "the dragon woke up")],
    ))
    .expect("pod");
    assert!(
        plugin
            .pre_filter(&panicking)
            .expect("prefilter")
            .0
            .is_success()
    );
    let status = plugin.filter(&panicking, "kubecon-1").expect("filter");
    assert_eq!(status.code, 1);
    assert!(
        status.reason.starts_with("wasm: filter error: "),
        "{}",
        status.reason
    );
    assert!(
        status.reason.contains("the dragon woke up"),
        "{}",
        status.reason
    );
    assert!(
        status.reason.contains("wasm error: unreachable"),
        "{}",
        status.reason
    );

    // The host keeps the trapped instance. The trap dropped the guest's state, so a Filter in the
    // same cycle finds no cycle state (and says so instead of trapping again)...
    let after = pod("after", &[]);
    assert_eq!(
        plugin.filter(&after, "kubecon-1").expect("filter"),
        Status::new(2, "no cycle state: PreFilter did not run on this instance")
    );
    // ...and the next cycle on the same instance is served normally.
    assert!(plugin.pre_filter(&after).expect("prefilter").0.is_success());
    assert_eq!(
        plugin.filter(&after, "kubecon-1").expect("filter"),
        Status::success()
    );
    assert_eq!(plugin.instance_count(), 1);
    assert_eq!(plugin.stats().instances_created, 1);
}

#[test]
fn guest_memory_stays_flat_over_100_000_cycles() {
    let plugin = load("regex_v2", "", &nodes());
    let pods: Vec<PodObject> = (0..4)
        .map(|i| match i {
            0 => pod("a", &[(REGEX, "kubecon-.*")]),
            1 => pod("b", &[(REGEX, "^node-")]),
            2 => pod("c", &[]),
            _ => pod("d", &[(REGEX, "kube(con")]),
        })
        .collect();
    let run = |cycles: usize| {
        for i in 0..cycles {
            let p = &pods[i % pods.len()];
            let (pre, _) = plugin.pre_filter(p).expect("prefilter");
            if pre.is_success() {
                for n in ["node-default", "kubecon-1", "kubecon-2"] {
                    plugin.filter(p, n).expect("filter");
                }
            }
        }
    };
    run(1_000);
    let warm = plugin.memory_bytes();
    run(99_000);
    assert_eq!(plugin.memory_bytes(), warm, "memory grew after warm-up");
    assert_eq!(plugin.instance_count(), 1);
    println!(
        "regex_v2 guest memory after 100,000 cycles: {} bytes",
        plugin.memory_bytes()
    );
}
