//! NodeResourcesFit: Filter checks the pod's requests against the node's allocatable minus what
//! its pods request; Score ranks nodes by LeastAllocated, MostAllocated or
//! RequestedToCapacityRatio.

use crate::config::{FitArgs, ResourceSpec, ScoringStrategyType, ShapePoint};
use crate::resources::{self, CPU, EPHEMERAL_STORAGE, MEMORY, is_extended_resource_name};
use crate::{Code, MAX_NODE_SCORE, NodeInfo, PodInfo, Status};

/// Reason when the node already holds as many pods as it allows.
pub const REASON_TOO_MANY_PODS: &str = "Too many pods";

/// The reason for an insufficient resource: `Insufficient <name>` (`Insufficient cpu`,
/// `Insufficient memory`, `Insufficient ephemeral-storage`, `Insufficient nvidia.com/gpu`, …).
pub fn insufficient_reason(resource: &str) -> String {
    format!("Insufficient {resource}")
}

/// One resource the pod lacks on a node (kube-scheduler's `InsufficientResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsufficientResource {
    /// The resource name (`pods`, `cpu`, `memory`, …).
    pub resource: String,
    /// The reason string, as in the Filter status.
    pub reason: String,
    /// What the pod requests (1 for `pods`; millicores for `cpu`).
    pub requested: i64,
    /// What the node's pods already request.
    pub used: i64,
    /// What the node has allocatable.
    pub capacity: i64,
}

/// The resources the pod lacks on the node, in kube-scheduler's order: pods, cpu, memory,
/// ephemeral-storage, then scalar resources (by name here; Go iterates a map, in random order).
pub fn insufficient_resources(
    args: &FitArgs,
    pod: &PodInfo,
    node: &NodeInfo,
) -> Vec<InsufficientResource> {
    let mut out = Vec::new();
    let pod_count = i64::try_from(node.pod_count).unwrap_or(i64::MAX);
    if pod_count.saturating_add(1) > node.allocatable.allowed_pod_number {
        out.push(InsufficientResource {
            resource: resources::PODS.to_owned(),
            reason: REASON_TOO_MANY_PODS.to_owned(),
            requested: 1,
            used: pod_count,
            capacity: node.allocatable.allowed_pod_number,
        });
    }
    let request = pod.fit_requests();
    let alloc = &node.allocatable;
    let used = &node.requested;
    let mut check = |name: &str, requested: i64, used: i64, capacity: i64| {
        if requested > 0 && requested > capacity.saturating_sub(used) {
            out.push(InsufficientResource {
                resource: name.to_owned(),
                reason: insufficient_reason(name),
                requested,
                used,
                capacity,
            });
        }
    };
    check(CPU, request.milli_cpu, used.milli_cpu, alloc.milli_cpu);
    check(MEMORY, request.memory, used.memory, alloc.memory);
    check(
        EPHEMERAL_STORAGE,
        request.ephemeral_storage,
        used.ephemeral_storage,
        alloc.ephemeral_storage,
    );
    for (name, &requested) in &request.scalar {
        if requested == 0 {
            continue;
        }
        if is_extended_resource_name(name) {
            let group = name.split('/').next().unwrap_or("");
            if args.ignored_resources.iter().any(|r| r == name)
                || args.ignored_resource_groups.iter().any(|g| g == group)
            {
                continue;
            }
        }
        check(
            name,
            requested,
            used.scalar.get(name).copied().unwrap_or(0),
            alloc.scalar.get(name).copied().unwrap_or(0),
        );
    }
    out
}

pub(crate) fn filter(args: &FitArgs, pod: &PodInfo, node: &NodeInfo) -> Status {
    let insufficient = insufficient_resources(args, pod, node);
    if insufficient.is_empty() {
        Status::success()
    } else {
        Status {
            code: Code::Unschedulable,
            reasons: insufficient.into_iter().map(|r| r.reason).collect(),
        }
    }
}

/// What the resource-allocation scorers compare for one resource: `(allocatable, requested)`,
/// `(0, 0)` to leave the resource out (`calculateResourceAllocatableRequest`).
pub(crate) fn allocatable_and_requested(
    node: &NodeInfo,
    resource: &str,
    pod_request: i64,
    use_requested: bool,
) -> (i64, i64) {
    if pod_request == 0 && resources::is_scalar_resource_name(resource) {
        return (0, 0);
    }
    let (cpu, memory) = if use_requested {
        (node.requested.milli_cpu, node.requested.memory)
    } else {
        (node.non_zero_milli_cpu, node.non_zero_memory)
    };
    match resource {
        CPU => (node.allocatable.milli_cpu, cpu.saturating_add(pod_request)),
        MEMORY => (node.allocatable.memory, memory.saturating_add(pod_request)),
        EPHEMERAL_STORAGE => (
            node.allocatable.ephemeral_storage,
            node.requested.ephemeral_storage.saturating_add(pod_request),
        ),
        _ => match node.allocatable.scalar.get(resource) {
            Some(&alloc) => (
                alloc,
                node.requested
                    .scalar
                    .get(resource)
                    .copied()
                    .unwrap_or(0)
                    .saturating_add(pod_request),
            ),
            None => (0, 0),
        },
    }
}

/// The `(requested, allocatable)` vectors of `resourceAllocationScorer.score`, with skipped
/// resources as zeros.
pub(crate) fn requested_and_allocatable(
    resources: &[ResourceSpec],
    pod_requests: &resources::ResourceList,
    node: &NodeInfo,
    use_requested: bool,
) -> (Vec<i64>, Vec<i64>) {
    let mut requested = vec![0; resources.len()];
    let mut allocatable = vec![0; resources.len()];
    for (i, spec) in resources.iter().enumerate() {
        let pod_request = resources::scalar_request(pod_requests, &spec.name);
        let (alloc, req) = allocatable_and_requested(node, &spec.name, pod_request, use_requested);
        if alloc == 0 {
            continue;
        }
        allocatable[i] = alloc;
        requested[i] = req;
    }
    (requested, allocatable)
}

/// `leastRequestedScore`: free share of capacity, 0..=100.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    narrow(
        (i128::from(capacity) - i128::from(requested)) * i128::from(MAX_NODE_SCORE)
            / i128::from(capacity),
    )
}

/// `mostRequestedScore`: used share of capacity, 0..=100.
fn most_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    let requested = requested.min(capacity);
    narrow(i128::from(requested) * i128::from(MAX_NODE_SCORE) / i128::from(capacity))
}

fn narrow(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// The weighted mean of `per_resource` over resources with non-zero allocatable.
fn weighted(
    resources: &[ResourceSpec],
    requested: &[i64],
    allocatable: &[i64],
    per_resource: impl Fn(i64, i64) -> i64,
) -> i64 {
    let mut node_score: i64 = 0;
    let mut weight_sum: i64 = 0;
    for (i, spec) in resources.iter().enumerate() {
        if allocatable[i] == 0 {
            continue;
        }
        node_score = node_score
            .saturating_add(per_resource(requested[i], allocatable[i]).saturating_mul(spec.weight));
        weight_sum = weight_sum.saturating_add(spec.weight);
    }
    if weight_sum == 0 {
        0
    } else {
        node_score / weight_sum
    }
}

/// `helper.BuildBrokenLinearFunction` over a shape already scaled to 0..=100 scores.
fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for (i, &(utilization, score)) in shape.iter().enumerate() {
        if p <= utilization {
            if i == 0 {
                return score;
            }
            let (prev_u, prev_s) = shape[i - 1];
            let span = utilization - prev_u;
            if span == 0 {
                return score;
            }
            return prev_s + (score - prev_s) * (p - prev_u) / span;
        }
    }
    shape.last().map_or(0, |&(_, s)| s)
}

fn requested_to_capacity_ratio(
    resources: &[ResourceSpec],
    shape: &[ShapePoint],
    requested: &[i64],
    allocatable: &[i64],
) -> i64 {
    const MAX_UTILIZATION: i64 = 100;
    // Shape scores are 0..=10 (MaxCustomPriorityScore); scale them to 0..=100.
    let scaled: Vec<(i64, i64)> = shape
        .iter()
        .map(|p| (p.utilization, p.score * (MAX_NODE_SCORE / 10)))
        .collect();
    let resource_score = |requested: i64, capacity: i64| {
        if capacity == 0 || requested > capacity {
            broken_linear(&scaled, MAX_UTILIZATION)
        } else {
            broken_linear(
                &scaled,
                narrow(i128::from(requested) * i128::from(MAX_UTILIZATION) / i128::from(capacity)),
            )
        }
    };
    let mut node_score: i64 = 0;
    let mut weight_sum: i64 = 0;
    for (i, spec) in resources.iter().enumerate() {
        if allocatable[i] == 0 {
            continue;
        }
        let s = resource_score(requested[i], allocatable[i]);
        if s > 0 {
            node_score = node_score.saturating_add(s.saturating_mul(spec.weight));
            weight_sum = weight_sum.saturating_add(spec.weight);
        }
    }
    if weight_sum == 0 {
        0
    } else {
        (node_score as f64 / weight_sum as f64).round() as i64
    }
}

pub(crate) fn score(args: &FitArgs, pod: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
    let strategy = &args.scoring_strategy;
    if strategy.resources.is_empty() {
        return Err(Status::new(Code::Error, "resources not found"));
    }
    let (requested, allocatable) =
        requested_and_allocatable(&strategy.resources, &pod.fit_score_requests, node, false);
    Ok(match strategy.strategy {
        ScoringStrategyType::LeastAllocated => weighted(
            &strategy.resources,
            &requested,
            &allocatable,
            least_requested,
        ),
        ScoringStrategyType::MostAllocated => weighted(
            &strategy.resources,
            &requested,
            &allocatable,
            most_requested,
        ),
        ScoringStrategyType::RequestedToCapacityRatio => requested_to_capacity_ratio(
            &strategy.resources,
            &strategy.shape,
            &requested,
            &allocatable,
        ),
    })
}
