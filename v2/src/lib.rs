//! RegexScheduling v2: the decisions of v1, made lean.
//!
//! - `prefilter` reads the pod once per scheduling cycle and compiles its pattern once; an invalid
//!   pattern stops the cycle there with Error.
//! - `filter` asks the host only for the node name — never the pod, never the `v1.Node` — and on
//!   the success path allocates nothing.
//! - The compiled pattern is kept across cycles while pods carry the same text (pods of one
//!   workload usually do), so steady-state PreFilter does not compile at all.
//!
//! It exports exactly `prefilter`, `filter` and `memory`.
#![deny(missing_docs)]

use common::prelude::*;
use regex_scheduling::Regex;

/// The plugin. Keeps the last compiled pattern, keyed by its text.
#[derive(Debug, Default)]
pub struct RegexScheduling {
    compiled: Option<Regex>,
}

/// This cycle's decision input, written by PreFilter.
enum PodPattern {
    /// The pod has no annotation: every node passes.
    Absent,
    /// The pod's pattern is `RegexScheduling::compiled`.
    Compiled,
}

impl PreFilter for RegexScheduling {
    fn pre_filter(&mut self, cycle: &mut CycleState, pod: &Pod) -> Result<PreFilterResult, Status> {
        let pattern = match pod.annotation(regex_scheduling::ANNOTATION)? {
            None => PodPattern::Absent,
            Some(text) => {
                if self.compiled.as_ref().is_none_or(|re| re.as_str() != text) {
                    self.compiled = None;
                    self.compiled = Some(regex_scheduling::compile(text)?);
                }
                PodPattern::Compiled
            }
        };
        cycle.insert(pattern);
        Ok(PreFilterResult::AllNodes)
    }
}

impl Filter for RegexScheduling {
    fn filter(&mut self, cycle: &mut CycleState, pod: &Pod, node: &NodeInfo) -> Result<(), Status> {
        if cycle.get::<PodPattern>().is_none() {
            // No PreFilter on this instance for this cycle: a fresh instance (the host's pool made a
            // new one, or the last one trapped). Do PreFilter's work now, once.
            self.pre_filter(cycle, pod)?;
        }
        match (cycle.get::<PodPattern>(), &self.compiled) {
            (Some(PodPattern::Compiled), Some(regex)) => {
                regex_scheduling::check(regex, node.name())
            }
            _ => Ok(()),
        }
    }
}

common::export!(RegexScheduling: prefilter, filter);

#[cfg(test)]
mod tests {
    use common::testing::{FakeHost, PodBuilder};

    use super::exports;

    fn annotated(name: &str, pattern: &str) -> Vec<u8> {
        PodBuilder::new(name)
            .annotation(regex_scheduling::ANNOTATION, pattern)
            .build()
    }

    fn filter(host: &FakeHost, node: &str) -> (i32, Option<String>) {
        host.new_call().node_name(node);
        (exports::filter(), host.reason())
    }

    fn prefilter(host: &FakeHost) -> (i32, Option<String>) {
        host.new_call();
        (exports::prefilter(), host.reason())
    }

    #[test]
    fn seed_demo() {
        let host = FakeHost::new();
        host.pod(annotated("a", "kubecon-.*"));
        assert_eq!(prefilter(&host), (0, None));
        assert_eq!(
            filter(&host, "node-default"),
            (
                2,
                Some(r#"node "node-default" does not match regex "kubecon-.*""#.into())
            )
        );
        assert_eq!(filter(&host, "kubecon-1"), (0, None));
        assert_eq!(filter(&host, "kubecon-2"), (0, None));
        host.pod(annotated("b", "cncf-.*"));
        assert_eq!(prefilter(&host), (0, None));
        for node in ["node-default", "kubecon-1", "kubecon-2"] {
            assert_eq!(
                filter(&host, node),
                (
                    2,
                    Some(format!(r#"node "{node}" does not match regex "cncf-.*""#))
                )
            );
        }
        host.pod(PodBuilder::new("c").build());
        assert_eq!(prefilter(&host), (0, None));
        assert_eq!(filter(&host, "node-default"), (0, None));
    }

    #[test]
    fn one_pod_read_per_cycle_and_no_node_reads() {
        let host = FakeHost::new();
        host.pod(annotated("a", "kubecon-.*"));
        prefilter(&host);
        for i in 0..100 {
            filter(&host, &format!("kubecon-{i}"));
        }
        assert_eq!(host.calls("k8s.io/scheduler.currentPod"), 1);
        assert_eq!(host.calls("k8s.io/scheduler.currentNodeName"), 100);
        assert_eq!(host.calls("k8s.io/api.node"), 0);
        assert_eq!(host.calls("k8s.io/scheduler.result.status_reason"), 0);
    }

    #[test]
    fn state_never_leaks_from_one_pod_to_the_next() {
        let host = FakeHost::new();
        host.pod(annotated("a", "kubecon-.*"));
        prefilter(&host);
        assert_eq!(filter(&host, "other").0, 2);
        // Pod B has no annotation: A's pattern must not apply.
        host.pod(PodBuilder::new("b").build());
        prefilter(&host);
        assert_eq!(filter(&host, "other"), (0, None));
        // Pod C's invalid pattern stops its cycle at PreFilter, and pod D is unaffected.
        host.pod(annotated("c", "kube(con"));
        let (code, reason) = prefilter(&host);
        assert_eq!(code, 1);
        assert!(
            reason
                .unwrap()
                .starts_with(r#"failed to compile regex "kube(con": "#)
        );
        host.pod(annotated("d", "other"));
        prefilter(&host);
        assert_eq!(filter(&host, "other"), (0, None));
        assert_eq!(filter(&host, "kubecon-1").0, 2);
    }

    #[test]
    fn a_fresh_instance_mid_cycle_recomputes_once() {
        let host = FakeHost::new();
        host.pod(annotated("a", "kubecon-.*"));
        prefilter(&host);
        exports::reset();
        host.reset_calls();
        assert_eq!(filter(&host, "other").0, 2);
        assert_eq!(filter(&host, "kubecon-1").0, 0);
        assert_eq!(host.calls("k8s.io/scheduler.currentPod"), 1);
    }

    #[test]
    fn malformed_pod_is_an_error_at_prefilter() {
        let host = FakeHost::new();
        host.pod(vec![0xff]);
        assert_eq!(
            prefilter(&host),
            (
                1,
                Some("malformed protobuf from the host: unexpected end of data".into())
            )
        );
        host.pod(annotated("a", "x"));
        assert_eq!(prefilter(&host), (0, None));
    }
}

/// Counts this thread's heap allocations, to check that Filter's success path allocates nothing.
#[cfg(test)]
mod alloc_counter {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        pub static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    }

    struct Counting;

    // SAFETY: forwards to the system allocator unchanged; the counter is a const-initialised
    // thread-local `Cell`, which never allocates.
    #[allow(unsafe_code)]
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            ALLOCATIONS.with(|a| a.set(a.get() + 1));
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: same contract as the caller's.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    #[test]
    fn filter_success_path_allocates_nothing() {
        use common::testing::{FakeHost, PodBuilder};
        let host = FakeHost::new();
        host.pod(
            PodBuilder::new("a")
                .annotation(regex_scheduling::ANNOTATION, "kubecon-.*")
                .build(),
        );
        host.node_name("kubecon-1");
        assert_eq!(super::exports::prefilter(), 0);
        assert_eq!(super::exports::filter(), 0); // warm-up: the regex's match cache
        let before = ALLOCATIONS.with(Cell::get);
        for _ in 0..1000 {
            assert_eq!(super::exports::filter(), 0);
        }
        assert_eq!(ALLOCATIONS.with(Cell::get) - before, 0);
    }
}
