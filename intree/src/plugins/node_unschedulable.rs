//! NodeUnschedulable: rejects nodes with `spec.unschedulable: true`, unless the pod tolerates the
//! `node.kubernetes.io/unschedulable:NoSchedule` taint.

use crate::api::Taint;
use crate::plugins::taint_toleration::tolerations_tolerate;
use crate::{Code, NodeInfo, PodInfo, Status};

/// `ErrReasonUnschedulable`.
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";

/// `v1.TaintNodeUnschedulable`.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

pub(crate) fn filter(pod: &PodInfo, node: &NodeInfo) -> Status {
    if !node.unschedulable {
        return Status::success();
    }
    let taint = Taint {
        key: TAINT_NODE_UNSCHEDULABLE.to_owned(),
        value: String::new(),
        effect: "NoSchedule".to_owned(),
    };
    if tolerations_tolerate(&pod.tolerations, &taint) {
        Status::success()
    } else {
        Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON_UNSCHEDULABLE)
    }
}
