//! Bench fixture: times goregex *inside a guest*, with the call overhead subtracted by design.
//!
//! PreFilter reads the pod's pattern ([`regex_scheduling::ANNOTATION`]) and two counts,
//! [`COMPILES_ANNOTATION`] and [`MATCHES_ANNOTATION`] (default 0). Every Filter then fetches the
//! node name (one host call, as the floor guest does), compiles the pattern `compiles` times with
//! [`regex_scheduling::compile`] (what `v1` does on every Filter) and matches the node name
//! `matches` times against the pattern compiled at PreFilter (kept across cycles, as `v2` does), and answers
//! Success whatever the match says, so no reason is ever formatted.
//!
//! `make bench` runs it with (compiles, matches) = (0, 0), (1, 0) and (0, 1) on the same pods and
//! nodes: the differences of the per-Filter medians are one compile and one match, in wasm, in
//! this host. On a fresh instance, the first Filter with `compiles = 1` minus the first with
//! `compiles = 0` is a *cold* compile (goregex's class cache and the allocator still empty).
//!
//! It exports `prefilter`, `filter` and `memory`.
#![deny(missing_docs)]

use common::prelude::*;
use regex_scheduling::Regex;
use std::hint::black_box;

/// Pod annotation: how many times each Filter compiles the pattern.
pub const COMPILES_ANNOTATION: &str = "bench.wasmkwokwizardry.io/compiles";
/// Pod annotation: how many times each Filter matches the node name.
pub const MATCHES_ANNOTATION: &str = "bench.wasmkwokwizardry.io/matches";

/// The plugin. Like `v2`, it keeps the pattern compiled for matching across cycles while pods
/// carry the same text, so the matches time a warm regex (goregex answers a new `Regex`'s first
/// few searches with the PikeVM, then its lazy DFA).
#[derive(Debug, Default)]
pub struct RegexBench {
    compiled: Option<Regex>,
}

/// This cycle's work, from PreFilter.
struct Work {
    pattern: String,
    compiles: u32,
    matches: u32,
}

fn count(pod: &Pod, key: &str) -> Result<u32, Status> {
    match pod.annotation(key)? {
        None => Ok(0),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| Status::error(format!("annotation {key}: not a count: {text:?}"))),
    }
}

impl PreFilter for RegexBench {
    fn pre_filter(&mut self, cycle: &mut CycleState, pod: &Pod) -> Result<PreFilterResult, Status> {
        let pattern = pod
            .annotation(regex_scheduling::ANNOTATION)?
            .unwrap_or_default()
            .to_owned();
        let compiles = count(pod, COMPILES_ANNOTATION)?;
        let matches = count(pod, MATCHES_ANNOTATION)?;
        if matches > 0
            && self
                .compiled
                .as_ref()
                .is_none_or(|re| re.as_str() != pattern)
        {
            self.compiled = None;
            self.compiled = Some(regex_scheduling::compile(&pattern)?);
        }
        cycle.insert(Work {
            pattern,
            compiles,
            matches,
        });
        Ok(PreFilterResult::AllNodes)
    }
}

impl Filter for RegexBench {
    fn filter(&mut self, cycle: &mut CycleState, _: &Pod, node: &NodeInfo) -> Result<(), Status> {
        let Some(work) = cycle.get::<Work>() else {
            return Ok(());
        };
        for _ in 0..work.compiles {
            black_box(regex_scheduling::compile(black_box(&work.pattern))?);
        }
        if let Some(regex) = self.compiled.as_ref().filter(|_| work.matches > 0) {
            // `name()` checks UTF-8 on each call: once, outside the timed matches.
            let name = node.name();
            for _ in 0..work.matches {
                black_box(regex.is_match(black_box(name)));
            }
        }
        Ok(())
    }
}

common::export!(RegexBench: prefilter, filter);

#[cfg(test)]
mod tests {
    use super::*;
    use common::testing::{FakeHost, PodBuilder};

    fn pod(pattern: &str, compiles: &str, matches: &str) -> Vec<u8> {
        PodBuilder::new("p")
            .annotation(regex_scheduling::ANNOTATION, pattern)
            .annotation(COMPILES_ANNOTATION, compiles)
            .annotation(MATCHES_ANNOTATION, matches)
            .build()
    }

    #[test]
    fn always_success_with_one_host_call_per_filter() {
        let host = FakeHost::new();
        host.pod(pod("kubecon-.*", "2", "3"));
        host.new_call();
        assert_eq!(exports::prefilter(), 0);
        for node in ["kubecon-1", "other"] {
            host.new_call().node_name(node);
            assert_eq!(exports::filter(), 0);
            assert_eq!(host.reason(), None);
        }
        assert_eq!(host.calls("k8s.io/scheduler.currentPod"), 1);
        assert_eq!(host.calls("k8s.io/scheduler.currentNodeName"), 2);
    }

    #[test]
    fn bad_counts_and_patterns_are_errors_at_prefilter() {
        let host = FakeHost::new();
        host.pod(pod("kubecon-.*", "x", "0"));
        host.new_call();
        assert_eq!(exports::prefilter(), 1);
        host.pod(pod("kube(con", "0", "1"));
        host.new_call();
        assert_eq!(exports::prefilter(), 1);
        // A compile error in Filter (compiles > 0, matches = 0) is an Error there.
        host.pod(pod("kube(con", "1", "0"));
        host.new_call();
        assert_eq!(exports::prefilter(), 0);
        host.new_call().node_name("n");
        assert_eq!(exports::filter(), 1);
    }
}
