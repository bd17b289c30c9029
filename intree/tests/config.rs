//! Plugin arguments from `pluginConfig`, and reading pods and nodes from JSON.

#![allow(clippy::unwrap_used)] // Test helpers may panic.

use intree_plugins::config::{ResourceSpec, ScoringStrategyType, ShapePoint};
use intree_plugins::{Args, InTree, NodeInfo, PodInfo};
use serde_json::json;

#[test]
fn defaults() {
    let args = Args::from_plugin_config(&json!(null)).unwrap();
    assert_eq!(args, Args::default());
    let strategy = &args.fit.scoring_strategy;
    assert_eq!(strategy.strategy, ScoringStrategyType::LeastAllocated);
    let default_resources = vec![ResourceSpec::new("cpu", 1), ResourceSpec::new("memory", 1)];
    assert_eq!(strategy.resources, default_resources);
    assert_eq!(args.balanced_allocation.resources, default_resources);
    assert!(!args.node_affinity.has_added_affinity());
}

/// The `pluginConfig` of a kube-scheduler-simulator export (kubecon-na-2024-wizards.json).
#[test]
fn simulator_export_plugin_config() {
    let plugin_config = json!([
        {"name": "DefaultPreemption", "args": {"kind": "DefaultPreemptionArgs", "apiVersion": "kubescheduler.config.k8s.io/v1", "minCandidateNodesPercentage": 10, "minCandidateNodesAbsolute": 100}},
        {"name": "NodeAffinity", "args": {"kind": "NodeAffinityArgs", "apiVersion": "kubescheduler.config.k8s.io/v1"}},
        {"name": "NodeResourcesBalancedAllocation", "args": {"kind": "NodeResourcesBalancedAllocationArgs", "apiVersion": "kubescheduler.config.k8s.io/v1", "resources": [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]}},
        {"name": "NodeResourcesFit", "args": {"kind": "NodeResourcesFitArgs", "apiVersion": "kubescheduler.config.k8s.io/v1", "scoringStrategy": {"type": "LeastAllocated", "resources": [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]}}},
        {"name": "PodTopologySpread", "args": {"kind": "PodTopologySpreadArgs", "apiVersion": "kubescheduler.config.k8s.io/v1", "defaultingType": "System"}}
    ]);
    assert_eq!(
        Args::from_plugin_config(&plugin_config).unwrap(),
        Args::default()
    );
}

#[test]
fn fit_args() {
    let args = Args::from_plugin_config(&json!([{"name": "NodeResourcesFit", "args": {
        "scoringStrategy": {
            "type": "RequestedToCapacityRatio",
            "resources": [{"name": "cpu"}, {"name": "nvidia.com/gpu", "weight": 5}],
            "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 10}, {"utilization": 100, "score": 0}]}
        }
    }}]))
    .unwrap();
    let strategy = &args.fit.scoring_strategy;
    assert_eq!(
        strategy.strategy,
        ScoringStrategyType::RequestedToCapacityRatio
    );
    assert_eq!(
        strategy.resources,
        [
            ResourceSpec::new("cpu", 1),
            ResourceSpec::new("nvidia.com/gpu", 5)
        ]
    );
    assert_eq!(
        strategy.shape,
        [
            ShapePoint {
                utilization: 0,
                score: 10
            },
            ShapePoint {
                utilization: 100,
                score: 0
            }
        ]
    );
    // A strategy without resources scores cpu and memory.
    let args = Args::from_plugin_config(&json!([{"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}])).unwrap();
    assert_eq!(
        args.fit.scoring_strategy.strategy,
        ScoringStrategyType::MostAllocated
    );
    assert_eq!(args.fit.scoring_strategy.resources.len(), 2);
}

#[test]
fn invalid_args() {
    let cases = [
        (
            json!({"scoringStrategy": {"type": "Random"}}),
            "Unsupported value: \"Random\"",
        ),
        (json!({"scoringStrategy": {}}), "Unsupported value: \"\""),
        (
            json!({"scoringStrategy": {"type": "LeastAllocated", "resources": [{"name": "cpu", "weight": 101}]}}),
            "not in valid range (0, 100]",
        ),
        (
            json!({"scoringStrategy": {"type": "RequestedToCapacityRatio"}}),
            "at least one point must be specified",
        ),
        (
            json!({"scoringStrategy": {"type": "RequestedToCapacityRatio", "requestedToCapacityRatio": {"shape": [{"utilization": 50, "score": 1}, {"utilization": 50, "score": 2}]}}}),
            "sorted in increasing order",
        ),
        (
            json!({"scoringStrategy": {"type": "RequestedToCapacityRatio", "requestedToCapacityRatio": {"shape": [{"utilization": 50, "score": 11}]}}}),
            "not in valid range [0, 10]",
        ),
        (
            json!({"ignoredResourceGroups": ["a/b"]}),
            "can't contain '/'",
        ),
        (
            json!({"ignoredResources": "cpu"}),
            "pluginConfig NodeResourcesFit",
        ),
    ];
    for (args, message) in cases {
        let err = InTree::from_plugin_config(&json!([{"name": "NodeResourcesFit", "args": args}]))
            .unwrap_err();
        assert!(
            err.to_string().contains(message),
            "{err} should contain {message}"
        );
    }
    let err = Args::from_plugin_config(&json!([{"name": "NodeResourcesBalancedAllocation", "args": {"resources": [{"name": "cpu", "weight": 2}]}}])).unwrap_err();
    assert!(err.to_string().contains("must be 1"), "{err}");
    let err = Args::from_plugin_config(&json!([{"name": "NodeResourcesBalancedAllocation", "args": {"resources": [{"name": "cpu"}, {"name": "cpu"}]}}])).unwrap_err();
    assert!(err.to_string().contains("Duplicate value"), "{err}");
    assert!(Args::from_plugin_config(&json!({"name": "NodeResourcesFit"})).is_err());
}

#[test]
fn reading_objects() {
    // Numbers and nulls where Go accepts them.
    let pod = PodInfo::from_json(&json!({
        "metadata": {"name": "p", "namespace": "ns", "labels": null},
        "spec": {"tolerations": null, "containers": [{"name": "c", "resources": {"requests": {"cpu": 2, "memory": " 1Gi "}}}]},
        "status": {"phase": "Running"}
    }))
    .unwrap();
    assert_eq!(
        (pod.name(), pod.namespace(), pod.node_name()),
        ("p", "ns", "")
    );
    assert_eq!(pod.fit_requests().milli_cpu, 2000);
    assert_eq!(pod.fit_requests().memory, 1 << 30);
    assert!(!pod.is_terminal());

    let err = PodInfo::from_json(&json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"resources": {"requests": {"cpu": "2 cores"}}}]}})).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("pod ns/p: invalid quantity \"2 cores\""),
        "{err}"
    );
    let err = NodeInfo::from_json(&json!({"metadata": {"name": "n"}, "spec": {"taints": "none"}}))
        .unwrap_err();
    assert!(err.to_string().starts_with("node n: "), "{err}");

    let node = json!({"metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110", "nvidia.com/gpu": "2", "hugepages-1Gi": "0"}}});
    let bound = |name: &str, node: &str, phase: &str| {
        PodInfo::from_json(&json!({
            "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": [{"name": "c", "resources": {"requests": {"cpu": "1", "nvidia.com/gpu": "1"}}}]},
            "status": {"phase": phase}
        }))
        .unwrap()
    };
    let pods = [
        bound("a", "n1", "Running"),
        bound("b", "n1", "Succeeded"),
        bound("c", "n2", "Running"),
        bound("d", "n1", "Pending"),
    ];
    let info = NodeInfo::from_json_with_pods(&node, &pods).unwrap();
    assert_eq!(info.name(), "n1");
    assert_eq!(info.pod_count(), 2);
    assert_eq!(info.requested().milli_cpu, 2000);
    assert_eq!(info.requested().scalar.get("nvidia.com/gpu"), Some(&2));
    assert_eq!(info.allocatable().allowed_pod_number, 110);
    assert_eq!(info.allocatable().scalar.get("hugepages-1Gi"), Some(&0));
    let mut info = info;
    info.remove_pod(&pods[0]);
    assert_eq!((info.pod_count(), info.requested().milli_cpu), (1, 1000));
}

#[test]
fn from_profile() {
    let profile = json!({
        "schedulerName": "default-scheduler",
        "pluginConfig": [{"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}]
    });
    let plugins = InTree::from_profile(&profile).unwrap();
    assert_eq!(
        plugins.args().fit.scoring_strategy.strategy,
        ScoringStrategyType::MostAllocated
    );
    assert_eq!(
        InTree::from_profile(&json!({})).unwrap().args(),
        &Args::default()
    );
}
