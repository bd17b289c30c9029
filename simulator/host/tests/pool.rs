//! The instance pool of docs/abi.md §1.3, with upstream's pool tests (§6.2) and the hazards §1.3 lists.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod common;

use common::{load, pod};
use simulator_host::Status;

/// Status code = this instance's call count (1 for a fresh instance).
fn calls(s: Status) -> i32 {
    s.code
}

#[test]
fn binding_cycles() {
    // Upstream Test_guestPool_bindingCycles.
    let p = load("test/pool").unwrap();
    let a = pod("test-pod", "uid-a");
    let b = pod("test-pod2", "uid-b");
    assert_eq!(p.instance_count(), 1);

    assert_eq!(calls(p.pre_filter(&a).unwrap().0), 1);
    assert_eq!(calls(p.filter(&a, "good-node").unwrap()), 2);
    assert_eq!(p.scheduled_pod_uid(), "uid-a");
    let (s, _) = p.permit(&a, "node").unwrap();
    assert_eq!(s.code, 3);
    assert_eq!(p.binding_pod_uids(), ["uid-a"]);

    // The next cycle gets a new instance: A's is pinned to its binding cycle.
    assert_eq!(calls(p.pre_filter(&b).unwrap().0), 1);
    assert_eq!(p.scheduled_pod_uid(), "uid-b");
    assert_eq!(p.instance_count(), 2);
    // Upstream calls Filter with `pod` here; the scheduling instance serves it whatever the pod.
    assert_eq!(calls(p.filter(&a, "good-node").unwrap()), 2);
    p.permit(&b, "node").unwrap();
    assert_eq!(p.binding_pod_uids(), ["uid-a", "uid-b"]);

    // A is rejected in its binding cycle: Unreserve runs on the scheduling instance (here a
    // fresh one, as B's moved to binding) and frees A's binding instance.
    p.unreserve(&a, "node").unwrap();
    assert_eq!(p.binding_pod_uids(), ["uid-b"]);
    assert_eq!(p.instance_count(), 3);
    assert_eq!(p.free_instance_count(), 1);

    // B binds on its own instance (its 4th call: prefilter, filter, permit were 1-3).
    assert_eq!(calls(p.pre_bind(&b, "node").unwrap()), 4);
    assert_eq!(calls(p.bind(&b, "node").unwrap()), 5);
    p.post_bind(&b, "node").unwrap();
    assert!(p.binding_pod_uids().is_empty());
    assert_eq!(p.free_instance_count(), 2);
    assert_eq!(p.instance_count(), 3);
}

#[test]
fn assigned_to_scheduling_pod() {
    // Upstream Test_guestPool_assignedToSchedulingPod.
    let p = load("test/pool").unwrap();
    let a = pod("test-pod", "uid-a");
    let b = pod("test-pod2", "uid-b");
    p.pre_filter(&a).unwrap();
    p.filter(&a, "good-node").unwrap();
    assert_eq!(p.scheduled_pod_uid(), "uid-a");
    // A new pod without Permit in between reuses the scheduling instance.
    assert_eq!(calls(p.pre_filter(&b).unwrap().0), 3);
    assert_eq!(p.scheduled_pod_uid(), "uid-b");
    assert_eq!(p.free_instance_count(), 0);
    assert_eq!(p.instance_count(), 1);
}

#[test]
fn permit_moves_even_on_rejection_and_postbind_frees() {
    let p = load("test/pool").unwrap();
    for i in 0..5 {
        let x = pod("p", &format!("uid-{i}"));
        p.pre_filter(&x).unwrap();
        p.permit(&x, "n").unwrap();
        p.bind(&x, "n").unwrap();
        p.post_bind(&x, "n").unwrap();
    }
    // Each cycle took the instance freed by the previous binding cycle.
    assert_eq!(p.instance_count(), 1);
    assert_eq!(p.stats().instances_created, 1);
}

#[test]
fn permit_without_postbind_leaks_an_instance_per_pod() {
    let p = load("test/pool_without_postbind").unwrap();
    for i in 0..4 {
        let x = pod("p", &format!("uid-{i}"));
        p.pre_filter(&x).unwrap();
        p.permit(&x, "n").unwrap();
        p.bind(&x, "n").unwrap();
        p.post_bind(&x, "n").unwrap();
    }
    assert_eq!(p.binding_pod_uids().len(), 4);
    assert_eq!(p.instance_count(), 4);
    assert!(p.total_memory_bytes() >= 4 * 65536);
}

#[test]
fn bind_without_permit_steals_the_scheduling_instance() {
    let p = load("test/bind_without_permit").unwrap();
    let a = pod("a", "uid-a");
    let b = pod("b", "uid-b");
    p.pre_filter(&a).unwrap();
    p.filter(&a, "n").unwrap();
    // B's scheduling cycle starts before A's binding cycle: A binds on B's instance.
    p.pre_filter(&b).unwrap();
    assert_eq!(calls(p.pre_bind(&a, "n").unwrap()), 4);
    assert_eq!(p.binding_pod_uids(), ["uid-a"]);
    // B's next Filter runs on a fresh instance.
    assert_eq!(calls(p.filter(&b, "n").unwrap()), 1);
    p.post_bind(&a, "n").unwrap();
    // With nothing scheduled, a binding hook has no instance: the real scheduler panics.
    let c = pod("c", "uid-c");
    p.pin_for_binding("uid-b").unwrap();
    let e = p.bind(&c, "n").unwrap_err();
    assert_eq!(e.message, "unexpected podUID");
}

#[test]
fn one_sided_reserve_is_a_nil_call() {
    let p = load("test/one_sided_reserve").unwrap();
    assert!(p.reserve(&pod("a", "uid-a"), "n").is_ok());
    let e = p.unreserve(&pod("a", "uid-a"), "n").unwrap_err();
    assert!(
        e.message
            .starts_with("runtime error: invalid memory address or nil pointer dereference"),
        "{e}"
    );
}

#[test]
fn concurrent_binding_cycles() {
    let p = std::sync::Arc::new(load("test/pool").unwrap());
    let pods: Vec<_> = (0..8).map(|i| pod("p", &format!("uid-{i}"))).collect();
    for x in &pods {
        p.pre_filter(x).unwrap();
        p.permit(x, "n").unwrap();
    }
    assert_eq!(p.binding_pod_uids().len(), 8);
    let handles: Vec<_> = pods
        .into_iter()
        .map(|x| {
            let p = p.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    assert!(p.pre_bind(&x, "n").unwrap().code > 0);
                }
                p.post_bind(&x, "n").unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert!(p.binding_pod_uids().is_empty());
    assert_eq!(p.instance_count(), 8);
    assert_eq!(p.free_instance_count(), 8);
}
