//! NodeName: a pod with `spec.nodeName` fits only that node.

use crate::{Code, NodeInfo, PodInfo, Status};

/// `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

pub(crate) fn filter(pod: &PodInfo, node: &NodeInfo) -> Status {
    if pod.node_name.is_empty() || pod.node_name == node.name {
        Status::success()
    } else {
        Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON)
    }
}
