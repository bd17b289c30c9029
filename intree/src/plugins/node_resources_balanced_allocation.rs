//! NodeResourcesBalancedAllocation: favors nodes whose resource utilizations, with the pod, are
//! close to each other.

use crate::config::BalancedAllocationArgs;
use crate::plugins::node_resources_fit::requested_and_allocatable;
use crate::resources::scalar_request;
use crate::{Code, MAX_NODE_SCORE, NodeInfo, PodInfo, Status};

/// Whether the pod requests none of the balanced resources (PreScore then skips Score).
fn best_effort(args: &BalancedAllocationArgs, pod: &PodInfo) -> bool {
    args.resources
        .iter()
        .all(|r| scalar_request(&pod.effective_requests, &r.name) == 0)
}

pub(crate) fn pre_score(args: &BalancedAllocationArgs, pod: &PodInfo) -> Status {
    if best_effort(args, pod) {
        Status::skip()
    } else {
        Status::success()
    }
}

/// `balancedResourceScorer`: `(1 - std) * 100` of the utilization fractions (each capped at 1).
fn balanced(requested: &[i64], allocatable: &[i64]) -> i64 {
    let mut fractions: Vec<f64> = Vec::with_capacity(requested.len());
    let mut total = 0.0;
    for (&req, &alloc) in requested.iter().zip(allocatable) {
        if alloc == 0 {
            continue;
        }
        let fraction = (req as f64 / alloc as f64).min(1.0);
        total += fraction;
        fractions.push(fraction);
    }
    let std = match fractions.as_slice() {
        [a, b] => ((a - b) / 2.0).abs(),
        f if f.len() > 2 => {
            let mean = total / f.len() as f64;
            let sum: f64 = f.iter().map(|x| (x - mean) * (x - mean)).sum();
            (sum / f.len() as f64).sqrt()
        }
        _ => 0.0,
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

pub(crate) fn score(
    args: &BalancedAllocationArgs,
    pod: &PodInfo,
    node: &NodeInfo,
) -> Result<i64, Status> {
    if args.resources.is_empty() {
        return Err(Status::new(Code::Error, "resources not found"));
    }
    if best_effort(args, pod) {
        return Ok(0);
    }
    let (requested, allocatable) =
        requested_and_allocatable(&args.resources, &pod.effective_requests, node, true);
    Ok(balanced(&requested, &allocatable))
}
