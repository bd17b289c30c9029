//! RegexScheduling v1: keeps a pod on nodes whose name matches the Go regex in its
//! `scheduler.wasmkwokwizardry.io/regex` annotation.
//!
//! The plain version, Filter only, as the TinyGo v1 it replaces: each Filter call reads the pod,
//! compiles the pattern and matches the node name. Decisions and reasons are those of
//! [`regex_scheduling`]. See `v2` for the version that compiles once per scheduling cycle.
#![deny(missing_docs)]

use common::prelude::*;

/// The plugin.
#[derive(Debug, Default)]
pub struct RegexScheduling;

impl Filter for RegexScheduling {
    fn filter(&mut self, _: &mut CycleState, pod: &Pod, node: &NodeInfo) -> Result<(), Status> {
        let Some(pattern) = pod.annotation(regex_scheduling::ANNOTATION)? else {
            return Ok(());
        };
        let regex = regex_scheduling::compile(pattern)?;
        regex_scheduling::check(&regex, node.name())
    }
}

common::export!(RegexScheduling: filter);

#[cfg(test)]
mod tests {
    use common::testing::{FakeHost, PodBuilder};

    use super::exports;

    fn filter(host: &FakeHost, node: &str) -> (i32, Option<String>) {
        host.new_call().node_name(node);
        (exports::filter(), host.reason())
    }

    #[test]
    fn seed_demo() {
        let host = FakeHost::new();
        let annotated = |p: &str| {
            PodBuilder::new("p")
                .annotation(regex_scheduling::ANNOTATION, p)
                .build()
        };
        host.pod(annotated("kubecon-.*"));
        assert_eq!(
            filter(&host, "node-default"),
            (
                2,
                Some(r#"node "node-default" does not match regex "kubecon-.*""#.into())
            )
        );
        assert_eq!(filter(&host, "kubecon-1"), (0, None));
        assert_eq!(filter(&host, "kubecon-2"), (0, None));
        host.pod(annotated("cncf-.*"));
        assert_eq!(
            filter(&host, "kubecon-1"),
            (
                2,
                Some(r#"node "kubecon-1" does not match regex "cncf-.*""#.into())
            )
        );
        host.pod(PodBuilder::new("plain").build());
        assert_eq!(filter(&host, "node-default"), (0, None));
    }

    #[test]
    fn every_filter_reads_the_pod_and_never_the_node() {
        let host = FakeHost::new();
        host.pod(
            PodBuilder::new("p")
                .annotation(regex_scheduling::ANNOTATION, "kubecon-.*")
                .build(),
        );
        for node in ["kubecon-1", "kubecon-2", "other"] {
            filter(&host, node);
        }
        assert_eq!(host.calls("k8s.io/scheduler.currentPod"), 3);
        assert_eq!(host.calls("k8s.io/scheduler.currentNodeName"), 3);
        assert_eq!(host.calls("k8s.io/api.node"), 0);
    }

    #[test]
    fn invalid_and_malformed_inputs_are_errors_and_the_guest_recovers() {
        let host = FakeHost::new();
        host.pod(
            PodBuilder::new("p")
                .annotation(regex_scheduling::ANNOTATION, "kube(con")
                .build(),
        );
        let (code, reason) = filter(&host, "kubecon-1");
        assert_eq!(code, 1);
        assert!(
            reason
                .unwrap()
                .starts_with(r#"failed to compile regex "kube(con": "#)
        );
        host.pod(vec![0x0a, 0x05, 0x0a]);
        assert_eq!(
            filter(&host, "kubecon-1"),
            (
                1,
                Some("malformed protobuf from the host: unexpected end of data".into())
            )
        );
        host.pod(
            PodBuilder::new("p")
                .annotation(regex_scheduling::ANNOTATION, "kubecon-.*")
                .build(),
        );
        assert_eq!(filter(&host, "kubecon-1"), (0, None));
        host.node_name("");
        assert_eq!(
            (exports::filter(), host.reason()),
            (1, Some("could not get current node name".into()))
        );
    }
}
