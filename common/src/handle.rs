//! The framework handle: the scheduler snapshot, waiting pods, and the event recorder.

use serde::Serialize;

use crate::Status;
use crate::abi::{Buffer, INITIAL_VALUE_BUFFER, MAX_LIST_BYTES, host};
use crate::proto::{Message, NodeView};

/// Every node of the scheduler's snapshot (`k8s.io/api.nodeList`).
///
/// The host marshals every node on each call, so this costs O(cluster) per call: call it once per
/// cycle (e.g. in PreFilter or PreScore) and keep what you need in [`crate::CycleState`].
pub fn nodes() -> Result<NodeList, Status> {
    let mut buf = Buffer::default();
    buf.fill(INITIAL_VALUE_BUFFER, MAX_LIST_BYTES, host::node_list)
        .map_err(|e| Status::error(e.describe("the node list")))?;
    Ok(NodeList { buf })
}

/// The nodes of the snapshot (`v1.NodeList`), read in place.
#[derive(Debug)]
pub struct NodeList {
    buf: Buffer,
}

impl NodeList {
    /// Each node, in the host's order.
    pub fn iter(&self) -> impl Iterator<Item = Result<NodeView<'_>, Status>> + '_ {
        Message::new(self.buf.value())
            .repeated(2)
            .map(|m| Ok(NodeView::from(m?)))
    }
}

/// Rejects the waiting pod with `uid` (see Permit's Wait); true if such a pod was waiting.
pub fn reject_waiting_pod(uid: &str) -> bool {
    host::reject_waiting_pod(uid)
}

/// The object an event is about (a Kubernetes `ObjectReference`, in the host's JSON names).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectReference {
    /// e.g. `Pod`.
    pub kind: String,
    /// e.g. `v1`.
    #[serde(rename = "APIVersion")]
    pub api_version: String,
    /// The object's name.
    pub name: String,
    /// The object's namespace.
    pub namespace: String,
    /// The object's uid.
    #[serde(rename = "UID")]
    pub uid: String,
    /// The object's resourceVersion.
    pub resource_version: String,
}

/// `Normal` or `Warning`: the only event types the Events API accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EventType {
    /// Normal.
    Normal,
    /// Warning.
    Warning,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EventJson<'a> {
    regarding_reference: &'a ObjectReference,
    related_reference: &'a ObjectReference,
    eventtype: EventType,
    reason: &'a str,
    action: &'a str,
    note: String,
}

/// Records a Kubernetes event about `regarding` (the host's `EventRecorder().Eventf`).
///
/// The host uses the note as a format string (with one extra nil argument), so `%` in `note` is
/// escaped here to print as written; client-go will still append `%!(EXTRA <nil>)` to the note.
pub fn record_event(
    regarding: &ObjectReference,
    related: Option<&ObjectReference>,
    event_type: EventType,
    reason: &str,
    action: &str,
    note: &str,
) {
    let empty = ObjectReference::default();
    let event = EventJson {
        regarding_reference: regarding,
        related_reference: related.unwrap_or(&empty),
        eventtype: event_type,
        reason,
        action,
        note: note.replace('%', "%%"),
    };
    if let Ok(json) = serde_json::to_vec(&event) {
        host::eventf(&json);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeHost, NodeBuilder};

    #[test]
    fn node_list_reads_every_node() {
        let host = FakeHost::new();
        host.add_node("a", NodeBuilder::new("a").build())
            .add_node("b", NodeBuilder::new("b").label("x", "y").build());
        let list = nodes().unwrap();
        let names: Vec<String> = list
            .iter()
            .map(|n| n.unwrap().metadata().name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(host.calls("k8s.io/api.nodeList"), 1);
    }

    #[test]
    fn waiting_pods_are_rejected_once() {
        let host = FakeHost::new();
        host.waiting_pod("uid-1");
        assert!(reject_waiting_pod("uid-1"));
        assert!(!reject_waiting_pod("uid-1"));
    }

    #[test]
    fn events_use_the_host_json_names() {
        let host = FakeHost::new();
        let pod = ObjectReference {
            kind: "Pod".into(),
            api_version: "v1".into(),
            name: "p".into(),
            namespace: "ns".into(),
            uid: "u".into(),
            resource_version: "1".into(),
        };
        record_event(
            &pod,
            None,
            EventType::Warning,
            "FleetPressure",
            "Score",
            "100% short",
        );
        assert_eq!(
            host.events(),
            [
                r#"{"RegardingReference":{"Kind":"Pod","APIVersion":"v1","Name":"p","Namespace":"ns","UID":"u","ResourceVersion":"1"},"RelatedReference":{"Kind":"","APIVersion":"","Name":"","Namespace":"","UID":"","ResourceVersion":""},"Eventtype":"Warning","Reason":"FleetPressure","Action":"Score","Note":"100%% short"}"#
            ]
        );
    }
}
