//! Bench fixture: the cheapest Filter a guest built with the SDK can have.
//!
//! The SDK fetches the node name (`k8s.io/scheduler.currentNodeName`, one host call) before it
//! calls [`Filter::filter`]; this plugin then answers Success without reading anything else. Its
//! per-call time is the floor that `make bench` compares the RegexScheduling guests against: the
//! host's call overhead, one host call and the SDK's dispatch. It exports only `filter` and
//! `memory`.
#![deny(missing_docs)]

use common::prelude::*;

/// The plugin: no state.
#[derive(Debug, Default)]
pub struct Floor;

impl Filter for Floor {
    fn filter(&mut self, _: &mut CycleState, _: &Pod, node: &NodeInfo) -> Result<(), Status> {
        // The name was already fetched by the SDK; reading it costs nothing and keeps the host
        // call from looking unused.
        std::hint::black_box(node.name());
        Ok(())
    }
}

common::export!(Floor: filter);

#[cfg(test)]
mod tests {
    use common::testing::{FakeHost, PodBuilder};

    #[test]
    fn one_host_call_and_success() {
        let host = FakeHost::new();
        host.pod(PodBuilder::new("p").build());
        for i in 0..10 {
            host.new_call().node_name(&format!("node-{i}"));
            assert_eq!(super::exports::filter(), 0);
        }
        assert_eq!(host.calls("k8s.io/scheduler.currentNodeName"), 10);
        assert_eq!(host.calls("k8s.io/scheduler.currentPod"), 0);
        assert_eq!(host.calls("k8s.io/api.node"), 0);
    }
}
