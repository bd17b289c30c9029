//! Resource arithmetic as kube-scheduler 1.33 does it: `resourcehelper.PodRequests` (containers,
//! sidecar and regular init containers, overhead, in-place resize status) and `framework.Resource`.

use std::collections::BTreeMap;

use common::quantity::Quantity;

use crate::api;
use crate::selector::validate_qualified_name;

/// `v1.ResourceCPU`.
pub const CPU: &str = "cpu";
/// `v1.ResourceMemory`.
pub const MEMORY: &str = "memory";
/// `v1.ResourceEphemeralStorage`.
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
/// `v1.ResourcePods`.
pub const PODS: &str = "pods";

/// CPU assumed, for scoring only, for a container that requests none: 100m
/// (`schedutil.DefaultMilliCPURequest`).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Memory assumed, for scoring only, for a container that requests none: 200Mi
/// (`schedutil.DefaultMemoryRequest`).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// A resource list: resource name → exact quantity.
pub type ResourceList = BTreeMap<String, Quantity>;

/// kube-scheduler's `framework.Resource`: CPU in millicores, everything else in units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// CPU, in millicores (`MilliValue()`).
    pub milli_cpu: i64,
    /// Memory, in bytes.
    pub memory: i64,
    /// Ephemeral storage, in bytes.
    pub ephemeral_storage: i64,
    /// The `pods` resource (only meaningful for allocatable).
    pub allowed_pod_number: i64,
    /// Scalar resources (extended resources such as `nvidia.com/gpu`, `hugepages-*`,
    /// `*kubernetes.io/*`, `attachable-volumes-*`), in units.
    pub scalar: BTreeMap<String, i64>,
}

impl Resources {
    /// `Resource.Add(list)`: adds each quantity to its field; unknown names are ignored.
    pub(crate) fn add_list(&mut self, list: &ResourceList) {
        for (name, quantity) in list {
            match name.as_str() {
                CPU => self.milli_cpu = self.milli_cpu.saturating_add(quantity.milli_value()),
                MEMORY => self.memory = self.memory.saturating_add(quantity.value()),
                PODS => {
                    self.allowed_pod_number =
                        self.allowed_pod_number.saturating_add(quantity.value());
                }
                EPHEMERAL_STORAGE => {
                    self.ephemeral_storage =
                        self.ephemeral_storage.saturating_add(quantity.value());
                }
                _ if is_scalar_resource_name(name) => {
                    let entry = self.scalar.entry(name.clone()).or_insert(0);
                    *entry = entry.saturating_add(quantity.value());
                }
                _ => {}
            }
        }
    }

    /// `Resource.SetMaxResource(list)` on a zero resource: negative requests count as zero and
    /// `pods` is ignored.
    pub(crate) fn max_of_list(list: &ResourceList) -> Resources {
        let mut r = Resources::default();
        for (name, quantity) in list {
            match name.as_str() {
                CPU => r.milli_cpu = r.milli_cpu.max(quantity.milli_value()),
                MEMORY => r.memory = r.memory.max(quantity.value()),
                EPHEMERAL_STORAGE => {
                    r.ephemeral_storage = r.ephemeral_storage.max(quantity.value())
                }
                _ if is_scalar_resource_name(name) => {
                    r.scalar.insert(name.clone(), quantity.value().max(0));
                }
                _ => {}
            }
        }
        r
    }

    /// Adds (`sign` = 1) or removes (`sign` = -1) requests, as `NodeInfo.update` does.
    pub(crate) fn accumulate(&mut self, other: &Resources, sign: i64) {
        self.milli_cpu = self
            .milli_cpu
            .saturating_add(other.milli_cpu.saturating_mul(sign));
        self.memory = self
            .memory
            .saturating_add(other.memory.saturating_mul(sign));
        self.ephemeral_storage = self
            .ephemeral_storage
            .saturating_add(other.ephemeral_storage.saturating_mul(sign));
        for (name, value) in &other.scalar {
            let entry = self.scalar.entry(name.clone()).or_insert(0);
            *entry = entry.saturating_add(value.saturating_mul(sign));
        }
    }
}

/// `v1helper.IsPrefixedNativeResource`: the name is in the `*kubernetes.io/` namespace.
fn is_prefixed_native(name: &str) -> bool {
    name.contains("kubernetes.io/")
}

/// `v1helper.IsExtendedResourceName`: not native (it has a `/` and is not `*kubernetes.io/*`),
/// not `requests.*`, and `requests.<name>` is a qualified name.
pub(crate) fn is_extended_resource_name(name: &str) -> bool {
    let native = !name.contains('/') || is_prefixed_native(name);
    !native
        && !name.starts_with("requests.")
        && validate_qualified_name(&format!("requests.{name}")).is_ok()
}

/// `schedutil.IsScalarResourceName`: extended, `hugepages-*`, `*kubernetes.io/*` or
/// `attachable-volumes-*`.
pub(crate) fn is_scalar_resource_name(name: &str) -> bool {
    is_extended_resource_name(name)
        || name.starts_with("hugepages-")
        || is_prefixed_native(name)
        || name.starts_with("attachable-volumes-")
}

/// How to aggregate a pod's requests (`resourcehelper.PodResourcesOptions`).
#[derive(Clone, Copy)]
pub(crate) struct Options {
    /// Read in-place resize status (`status.containerStatuses[].resources`/`allocatedResources`);
    /// on in kube-scheduler 1.33 (InPlacePodVerticalScaling is beta, enabled) except at PreFilter.
    pub use_status: bool,
    /// Assume 100m CPU and 200Mi memory for each container that requests none (scoring).
    pub non_missing: bool,
}

fn add_into(list: &mut ResourceList, other: &ResourceList) {
    for (name, quantity) in other {
        let entry = list.entry(name.clone()).or_insert(Quantity::ZERO);
        *entry = entry.saturating_add(*quantity);
    }
}

fn max_into(list: &mut ResourceList, other: &ResourceList) {
    for (name, quantity) in other {
        match list.get_mut(name) {
            Some(existing) if *quantity <= *existing => {}
            Some(existing) => *existing = *quantity,
            None => {
                list.insert(name.clone(), *quantity);
            }
        }
    }
}

fn to_list(list: &api::ResourceList) -> ResourceList {
    list.iter().map(|(k, v)| (k.clone(), v.0)).collect()
}

/// A container's requests, after in-place resize status and non-missing defaults.
fn container_requests(
    pod: &api::Pod,
    container: &api::Container,
    statuses: &[api::ContainerStatus],
    use_status: bool,
    opts: Options,
) -> ResourceList {
    let mut requests = to_list(&container.resources.requests);
    if use_status
        && let Some(status) = statuses.iter().find(|s| s.name == container.name)
        && let Some(status_resources) = &status.resources
    {
        // determineContainerReqs: max(spec, status.resources.requests, allocatedResources), or
        // without the spec when the resize is infeasible.
        let mut merged = if resize_infeasible(pod) {
            to_list(&status_resources.requests)
        } else {
            let mut m = requests.clone();
            max_into(&mut m, &to_list(&status_resources.requests));
            m
        };
        if let Some(allocated) = &status.allocated_resources {
            max_into(&mut merged, &to_list(allocated));
        }
        requests = merged;
    }
    if opts.non_missing {
        requests
            .entry(CPU.to_owned())
            .or_insert(Quantity::from_milli(DEFAULT_MILLI_CPU_REQUEST));
        requests
            .entry(MEMORY.to_owned())
            .or_insert(Quantity::from_value(DEFAULT_MEMORY_REQUEST));
    }
    requests
}

/// `IsPodResizeInfeasible`: a `PodResizePending` condition with reason `Infeasible`.
fn resize_infeasible(pod: &api::Pod) -> bool {
    pod.status
        .conditions
        .iter()
        .find(|c| c.type_ == "PodResizePending")
        .is_some_and(|c| c.reason == "Infeasible")
}

/// `resourcehelper.PodRequests`: the sum of the containers, raised to what any init container
/// needs while it runs (itself plus the sidecars started before it), plus the sidecars, plus the
/// pod overhead. Pod-level resources (`spec.resources`, alpha in 1.33) are not read.
pub(crate) fn pod_requests(pod: &api::Pod, opts: Options) -> ResourceList {
    let mut requests = ResourceList::new();
    let statuses = &pod.status.container_statuses;
    for container in &pod.spec.containers {
        add_into(
            &mut requests,
            &container_requests(pod, container, statuses, opts.use_status, opts),
        );
    }

    let init_statuses = &pod.status.init_container_statuses;
    let mut sidecars = ResourceList::new();
    let mut init_max = ResourceList::new();
    for container in &pod.spec.init_containers {
        let restartable = container.restart_policy.as_deref() == Some("Always");
        let own = container_requests(
            pod,
            container,
            init_statuses,
            opts.use_status && restartable,
            opts,
        );
        let while_running = if restartable {
            add_into(&mut requests, &own);
            add_into(&mut sidecars, &own);
            sidecars.clone()
        } else {
            let mut l = own;
            add_into(&mut l, &sidecars);
            l
        };
        max_into(&mut init_max, &while_running);
    }
    max_into(&mut requests, &init_max);

    if let Some(overhead) = &pod.spec.overhead {
        add_into(&mut requests, &to_list(overhead));
    }
    requests
}

/// The request for one resource as kube-scheduler's scorers read it: `MilliValue()` for CPU,
/// `Value()` otherwise, 0 when absent.
pub(crate) fn scalar_request(list: &ResourceList, name: &str) -> i64 {
    let quantity = list.get(name).copied().unwrap_or(Quantity::ZERO);
    if name == CPU {
        quantity.milli_value()
    } else {
        quantity.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_name_classes() {
        assert!(is_scalar_resource_name("nvidia.com/gpu"));
        assert!(is_extended_resource_name("nvidia.com/gpu"));
        assert!(is_scalar_resource_name("hugepages-2Mi"));
        assert!(!is_extended_resource_name("hugepages-2Mi"));
        assert!(is_scalar_resource_name("kubernetes.io/foo"));
        assert!(!is_extended_resource_name("kubernetes.io/foo"));
        assert!(is_scalar_resource_name("attachable-volumes-aws-ebs"));
        assert!(!is_scalar_resource_name("cpu"));
        assert!(!is_scalar_resource_name("pods"));
        assert!(!is_scalar_resource_name("storage"));
        assert!(!is_scalar_resource_name("requests.example.com/x"));
    }
}
