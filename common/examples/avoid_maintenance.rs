//! The README's "write your own guest" example, compiled by `cargo test`/`clippy --all-targets`
//! so it cannot rot. As a guest it would be a `cdylib` built for `wasm32-wasip1`.
//!
//! Keeps pods off nodes labelled `example.io/maintenance=true`.
use common::prelude::*;

#[derive(Default)]
struct AvoidMaintenance;

impl Filter for AvoidMaintenance {
    fn filter(&mut self, _: &mut CycleState, _: &Pod, node: &NodeInfo) -> Result<(), Status> {
        let labels = node.node()?.metadata().labels();
        if labels.get("example.io/maintenance")? == Some("true") {
            return Err(Status::unschedulable(format!(
                "node {} is in maintenance",
                node.name()
            )));
        }
        Ok(())
    }
}

common::export!(AvoidMaintenance: filter);

fn main() {
    use common::testing::{FakeHost, NodeBuilder, PodBuilder};
    let host = FakeHost::new();
    host.pod(PodBuilder::new("web").build());
    host.add_node(
        "n1",
        NodeBuilder::new("n1")
            .label("example.io/maintenance", "true")
            .build(),
    );
    host.add_node("n2", NodeBuilder::new("n2").build());
    for node in ["n1", "n2"] {
        host.new_call().node_name(node);
        println!("{node}: code {} {:?}", exports::filter(), host.reason());
    }
}
