//! TaintToleration: Filter rejects nodes with a `NoSchedule`/`NoExecute` taint the pod does not
//! tolerate; Score counts the `PreferNoSchedule` taints it does not tolerate (fewer is better).

use crate::api::{Taint, Toleration};
use crate::{Code, NodeInfo, PodInfo, Status};

/// `v1.Toleration.ToleratesTaint`: an empty effect matches every effect, an empty key every key;
/// operator `Exists` matches every value, `Equal` (or empty) the same value, anything else nothing.
pub(crate) fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if !toleration.effect.is_empty() && toleration.effect != taint.effect {
        return false;
    }
    if !toleration.key.is_empty() && toleration.key != taint.key {
        return false;
    }
    match toleration.operator.as_str() {
        "" | "Equal" => toleration.value == taint.value,
        "Exists" => true,
        _ => false,
    }
}

/// `TolerationsTolerateTaint`: any toleration tolerates the taint.
pub(crate) fn tolerations_tolerate(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

/// The reason for an untolerated taint, `node(s) had untolerated taint {<key>: <value>}`.
pub fn untolerated_taint_reason(key: &str, value: &str) -> String {
    format!("node(s) had untolerated taint {{{key}: {value}}}")
}

pub(crate) fn filter(pod: &PodInfo, node: &NodeInfo) -> Status {
    let untolerated = node.taints.iter().find(|taint| {
        (taint.effect == "NoSchedule" || taint.effect == "NoExecute")
            && !tolerations_tolerate(&pod.tolerations, taint)
    });
    match untolerated {
        None => Status::success(),
        Some(taint) => Status::new(
            Code::UnschedulableAndUnresolvable,
            untolerated_taint_reason(&taint.key, &taint.value),
        ),
    }
}

pub(crate) fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    // PreScore keeps the tolerations with no effect or PreferNoSchedule.
    let tolerations: Vec<Toleration> = pod
        .tolerations
        .iter()
        .filter(|t| t.effect.is_empty() || t.effect == "PreferNoSchedule")
        .cloned()
        .collect();
    node.taints
        .iter()
        .filter(|taint| taint.effect == "PreferNoSchedule")
        .filter(|taint| !tolerations_tolerate(&tolerations, taint))
        .count()
        .try_into()
        .unwrap_or(i64::MAX)
}
