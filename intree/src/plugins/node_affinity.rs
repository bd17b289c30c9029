//! NodeAffinity: `spec.nodeSelector` and required node affinity at PreFilter/Filter, preferred
//! node affinity at Score; plus the plugin's `addedAffinity`.

use std::collections::BTreeSet;

use crate::config::NodeAffinityArgs;
use crate::plugins::PreFilterResult;
use crate::{Code, NodeInfo, PodInfo, Status};

/// `ErrReasonPod`.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// `errReasonEnforced`: the node fails the plugin's `addedAffinity`.
pub const ERR_REASON_ENFORCED: &str = "node(s) didn't match scheduler-enforced node affinity";
/// `errReasonConflict`: every required term names nodes by `metadata.name` and together they
/// name none.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

pub(crate) fn pre_filter(args: &NodeAffinityArgs, pod: &PodInfo) -> PreFilterResult {
    let Some(required) = &pod.required_raw else {
        if args.added_required.is_none() && pod.node_selector.is_none() {
            return PreFilterResult::skip();
        }
        return PreFilterResult::all_nodes();
    };
    if required.node_selector_terms.is_empty() {
        return PreFilterResult::all_nodes();
    }
    // The nodes named by `metadata.name In` in every term (terms are ORed, requirements ANDed).
    let mut union: BTreeSet<String> = BTreeSet::new();
    for term in &required.node_selector_terms {
        let mut names: Option<BTreeSet<String>> = None;
        for r in &term.match_fields {
            if r.key == "metadata.name" && r.operator == "In" {
                let set: BTreeSet<String> = r.values.iter().cloned().collect();
                names = Some(match names {
                    None => set,
                    Some(prev) => prev.intersection(&set).cloned().collect(),
                });
            }
        }
        match names {
            // A term without a name requirement admits every node.
            None => return PreFilterResult::all_nodes(),
            Some(names) => union.extend(names),
        }
    }
    if union.is_empty() {
        PreFilterResult {
            status: Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON_CONFLICT),
            node_names: None,
        }
    } else {
        PreFilterResult {
            status: Status::success(),
            node_names: Some(union),
        }
    }
}

/// Whether the node matches the pod's `spec.nodeSelector` and required node affinity (parse errors
/// make a term match nothing), ignoring `addedAffinity`.
pub(crate) fn pod_matches(pod: &PodInfo, node: &NodeInfo) -> bool {
    if let Some(selector) = &pod.node_selector
        && !selector
            .iter()
            .all(|(k, v)| node.labels.get(k).is_some_and(|actual| actual == v))
    {
        return false;
    }
    pod.required
        .as_ref()
        .is_none_or(|required| required.matches(node.view()))
}

pub(crate) fn filter(args: &NodeAffinityArgs, pod: &PodInfo, node: &NodeInfo) -> Status {
    if let Some(added) = &args.added_required
        && !added.matches(node.view())
    {
        return Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON_ENFORCED);
    }
    if pod_matches(pod, node) {
        Status::success()
    } else {
        Status::new(Code::UnschedulableAndUnresolvable, ERR_REASON_POD)
    }
}

pub(crate) fn pre_score(args: &NodeAffinityArgs, pod: &PodInfo) -> Status {
    match &pod.preferred {
        Some(Err(e)) => Status::new(Code::Error, e.clone()),
        None if args.added_preferred.is_none() => Status::skip(),
        _ => Status::success(),
    }
}

pub(crate) fn score(
    args: &NodeAffinityArgs,
    pod: &PodInfo,
    node: &NodeInfo,
) -> Result<i64, Status> {
    let mut total = args
        .added_preferred
        .as_ref()
        .map_or(0, |terms| terms.score(node.view()));
    match &pod.preferred {
        Some(Err(e)) => return Err(Status::new(Code::Error, e.clone())),
        Some(Ok(terms)) => total = total.saturating_add(terms.score(node.view())),
        None => {}
    }
    Ok(total)
}
