//! Table-driven tests of the emulated plugins: exact codes, reasons and scores, as kube-scheduler
//! 1.33 produces them.

#![allow(clippy::unwrap_used)] // Test helpers may panic.

use intree_plugins::{
    Code, InTree, InTreePlugin, NodeInfo, PodInfo, Status, default_normalize_score,
};
use serde_json::{Value, json};

fn pod(spec: Value) -> PodInfo {
    PodInfo::from_json(&json!({"metadata": {"name": "p", "namespace": "default"}, "spec": spec}))
        .unwrap()
}

fn node_with(name: &str, labels: Value, spec: Value, allocatable: Value) -> NodeInfo {
    NodeInfo::from_json(&json!({
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": {"allocatable": allocatable},
    }))
    .unwrap()
}

fn plain_node() -> NodeInfo {
    node_with(
        "n1",
        json!({}),
        json!({}),
        json!({"cpu": "4", "memory": "32Gi", "pods": "110"}),
    )
}

fn tainted(taints: Value) -> NodeInfo {
    node_with(
        "n1",
        json!({}),
        json!({"taints": taints}),
        json!({"cpu": "4", "memory": "32Gi", "pods": "110"}),
    )
}

fn labelled(labels: Value) -> NodeInfo {
    node_with(
        "n1",
        labels,
        json!({}),
        json!({"cpu": "4", "memory": "32Gi", "pods": "110"}),
    )
}

fn container(requests: Value) -> Value {
    json!({"name": "c", "resources": {"requests": requests}})
}

fn pod_requesting(requests: Value) -> PodInfo {
    pod(json!({"containers": [container(requests)]}))
}

fn ok() -> Status {
    Status::success()
}

fn reject(code: Code, reasons: &[&str]) -> Status {
    Status {
        code,
        reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
    }
}

fn unresolvable(reason: &str) -> Status {
    reject(Code::UnschedulableAndUnresolvable, &[reason])
}

const UNSCHEDULABLE: &str = "node(s) were unschedulable";

#[test]
fn node_unschedulable() {
    let unschedulable = node_with(
        "n1",
        json!({}),
        json!({"unschedulable": true}),
        json!({"pods": "110"}),
    );
    let plain = plain_node();
    let cases: Vec<(&str, Value, &NodeInfo, Status)> = vec![
        ("schedulable node", json!([]), &plain, ok()),
        (
            "no toleration",
            json!([]),
            &unschedulable,
            unresolvable(UNSCHEDULABLE),
        ),
        (
            "exact toleration",
            json!([{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]),
            &unschedulable,
            ok(),
        ),
        (
            "empty key with Exists tolerates everything",
            json!([{"operator": "Exists"}]),
            &unschedulable,
            ok(),
        ),
        (
            "Equal with the empty value and no effect",
            json!([{"key": "node.kubernetes.io/unschedulable", "operator": "Equal", "value": ""}]),
            &unschedulable,
            ok(),
        ),
        (
            "wrong effect",
            json!([{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoExecute"}]),
            &unschedulable,
            unresolvable(UNSCHEDULABLE),
        ),
        (
            "wrong value",
            json!([{"key": "node.kubernetes.io/unschedulable", "value": "x", "effect": "NoSchedule"}]),
            &unschedulable,
            unresolvable(UNSCHEDULABLE),
        ),
    ];
    let plugins = InTree::default();
    for (name, tolerations, node, want) in cases {
        let p = pod(json!({"tolerations": tolerations}));
        assert_eq!(
            plugins.filter(InTreePlugin::NodeUnschedulable, &p, node),
            want,
            "{name}"
        );
    }
}

#[test]
fn node_name() {
    let plugins = InTree::default();
    let node = plain_node();
    let reason = "node(s) didn't match the requested node name";
    for (node_name, want) in [
        (json!(null), ok()),
        (json!(""), ok()),
        (json!("n1"), ok()),
        (json!("n2"), unresolvable(reason)),
    ] {
        let p = pod(json!({"nodeName": node_name}));
        assert_eq!(
            plugins.filter(InTreePlugin::NodeName, &p, &node),
            want,
            "{node_name}"
        );
    }
}

#[test]
fn taint_toleration_filter() {
    let gpu = json!({"key": "gpu", "value": "true", "effect": "NoSchedule"});
    let cases: Vec<(&str, Value, Value, Status)> = vec![
        ("no taints", json!([]), json!([]), ok()),
        (
            "untolerated NoSchedule",
            json!([gpu]),
            json!([]),
            unresolvable("node(s) had untolerated taint {gpu: true}"),
        ),
        (
            "untolerated NoExecute",
            json!([{"key": "evict", "value": "now", "effect": "NoExecute"}]),
            json!([]),
            unresolvable("node(s) had untolerated taint {evict: now}"),
        ),
        (
            "PreferNoSchedule never filters",
            json!([{"key": "soft", "value": "x", "effect": "PreferNoSchedule"}]),
            json!([]),
            ok(),
        ),
        (
            "taint without value",
            json!([{"key": "dedicated", "effect": "NoSchedule"}]),
            json!([]),
            unresolvable("node(s) had untolerated taint {dedicated: }"),
        ),
        (
            "Equal with the right value",
            json!([gpu]),
            json!([{"key": "gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]),
            ok(),
        ),
        (
            "empty operator means Equal",
            json!([gpu]),
            json!([{"key": "gpu", "value": "true"}]),
            ok(),
        ),
        (
            "Equal with a wrong value",
            json!([gpu]),
            json!([{"key": "gpu", "operator": "Equal", "value": "false"}]),
            unresolvable("node(s) had untolerated taint {gpu: true}"),
        ),
        (
            "Exists ignores the value",
            json!([gpu]),
            json!([{"key": "gpu", "operator": "Exists"}]),
            ok(),
        ),
        (
            "empty key with Exists tolerates every taint",
            json!([gpu, {"key": "other", "value": "v", "effect": "NoExecute"}]),
            json!([{"operator": "Exists"}]),
            ok(),
        ),
        (
            "empty key with Exists limited to NoSchedule",
            json!([gpu, {"key": "other", "value": "v", "effect": "NoExecute"}]),
            json!([{"operator": "Exists", "effect": "NoSchedule"}]),
            unresolvable("node(s) had untolerated taint {other: v}"),
        ),
        (
            "toleration effect must match",
            json!([gpu]),
            json!([{"key": "gpu", "operator": "Exists", "effect": "NoExecute"}]),
            unresolvable("node(s) had untolerated taint {gpu: true}"),
        ),
        (
            "unknown operator tolerates nothing",
            json!([gpu]),
            json!([{"key": "gpu", "operator": "In", "value": "true"}]),
            unresolvable("node(s) had untolerated taint {gpu: true}"),
        ),
        (
            "the first untolerated taint is reported",
            json!([
                {"key": "a", "value": "1", "effect": "PreferNoSchedule"},
                {"key": "b", "value": "2", "effect": "NoSchedule"},
                {"key": "c", "value": "3", "effect": "NoExecute"}
            ]),
            json!([]),
            unresolvable("node(s) had untolerated taint {b: 2}"),
        ),
    ];
    let plugins = InTree::default();
    for (name, taints, tolerations, want) in cases {
        let p = pod(json!({"tolerations": tolerations}));
        assert_eq!(
            plugins.filter(InTreePlugin::TaintToleration, &p, &tainted(taints)),
            want,
            "{name}"
        );
    }
}

#[test]
fn taint_toleration_score() {
    let soft = |k: &str| json!({"key": k, "value": "v", "effect": "PreferNoSchedule"});
    let nodes = [
        tainted(
            json!([soft("a"), soft("b"), {"key": "hard", "value": "v", "effect": "NoSchedule"}]),
        ),
        tainted(json!([soft("a")])),
        tainted(json!([])),
    ];
    let plugins = InTree::default();
    let cases: Vec<(&str, Value, [i64; 3], [i64; 3])> = vec![
        ("no toleration", json!([]), [2, 1, 0], [0, 50, 100]),
        (
            "tolerating a PreferNoSchedule taint",
            json!([{"key": "a", "operator": "Exists", "effect": "PreferNoSchedule"}]),
            [1, 0, 0],
            [0, 100, 100],
        ),
        (
            "a toleration without effect counts",
            json!([{"key": "b", "operator": "Exists"}]),
            [1, 1, 0],
            [0, 0, 100],
        ),
        (
            "a NoSchedule toleration does not count for PreferNoSchedule",
            json!([{"key": "a", "operator": "Exists", "effect": "NoSchedule"}]),
            [2, 1, 0],
            [0, 50, 100],
        ),
        (
            "everything tolerated",
            json!([{"operator": "Exists"}]),
            [0, 0, 0],
            [100, 100, 100],
        ),
    ];
    for (name, tolerations, raw, normalized) in cases {
        let p = pod(json!({"tolerations": tolerations}));
        assert!(
            plugins
                .pre_score(InTreePlugin::TaintToleration, &p)
                .is_success()
        );
        let mut scores: Vec<i64> = nodes
            .iter()
            .map(|n| plugins.score(InTreePlugin::TaintToleration, &p, n).unwrap())
            .collect();
        assert_eq!(scores, raw, "{name} raw");
        plugins.normalize_score(InTreePlugin::TaintToleration, &mut scores);
        assert_eq!(scores, normalized, "{name} normalized");
    }
}

const AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";

fn required(terms: Value) -> Value {
    json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}})
}

fn expr(key: &str, op: &str, values: &[&str]) -> Value {
    json!({"matchExpressions": [{"key": key, "operator": op, "values": values}]})
}

#[test]
fn node_affinity_filter() {
    let node = labelled(json!({"zone": "a", "cores": "16", "odd": "1.5", "empty": ""}));
    let cases: Vec<(&str, Value, bool)> = vec![
        ("nothing", json!({}), true),
        (
            "nodeSelector match",
            json!({"nodeSelector": {"zone": "a"}}),
            true,
        ),
        (
            "nodeSelector mismatch",
            json!({"nodeSelector": {"zone": "b"}}),
            false,
        ),
        (
            "nodeSelector missing label",
            json!({"nodeSelector": {"rack": "1"}}),
            false,
        ),
        (
            "nodeSelector empty value",
            json!({"nodeSelector": {"empty": ""}}),
            true,
        ),
        (
            "In",
            required(json!([expr("zone", "In", &["b", "a"])])),
            true,
        ),
        (
            "In miss",
            required(json!([expr("zone", "In", &["b"])])),
            false,
        ),
        (
            "In on a missing label",
            required(json!([expr("rack", "In", &["1"])])),
            false,
        ),
        (
            "NotIn",
            required(json!([expr("zone", "NotIn", &["b"])])),
            true,
        ),
        (
            "NotIn miss",
            required(json!([expr("zone", "NotIn", &["a"])])),
            false,
        ),
        (
            "NotIn on a missing label",
            required(json!([expr("rack", "NotIn", &["1"])])),
            true,
        ),
        (
            "Exists",
            required(json!([expr("zone", "Exists", &[])])),
            true,
        ),
        (
            "Exists miss",
            required(json!([expr("rack", "Exists", &[])])),
            false,
        ),
        (
            "DoesNotExist",
            required(json!([expr("rack", "DoesNotExist", &[])])),
            true,
        ),
        (
            "DoesNotExist miss",
            required(json!([expr("zone", "DoesNotExist", &[])])),
            false,
        ),
        ("Gt", required(json!([expr("cores", "Gt", &["8"])])), true),
        (
            "Gt equal",
            required(json!([expr("cores", "Gt", &["16"])])),
            false,
        ),
        ("Lt", required(json!([expr("cores", "Lt", &["17"])])), true),
        (
            "Lt miss",
            required(json!([expr("cores", "Lt", &["16"])])),
            false,
        ),
        (
            "Gt on a non-integer label",
            required(json!([expr("odd", "Gt", &["1"])])),
            false,
        ),
        (
            "Lt on a non-integer label",
            required(json!([expr("odd", "Lt", &["2"])])),
            false,
        ),
        (
            "Gt on a missing label",
            required(json!([expr("rack", "Gt", &["1"])])),
            false,
        ),
        (
            "Gt with a non-integer value fails to parse",
            required(json!([expr("cores", "Gt", &["1.5"])])),
            false,
        ),
        (
            "Gt with two values fails to parse",
            required(json!([expr("cores", "Gt", &["1", "2"])])),
            false,
        ),
        (
            "Lt with a negative value fails label-value validation",
            required(json!([expr("cores", "Lt", &["-5"])])),
            false,
        ),
        (
            "a term that fails to parse does not stop another from matching",
            required(json!([
                expr("cores", "Gt", &["x"]),
                expr("zone", "In", &["a"])
            ])),
            true,
        ),
        (
            "In without values fails to parse",
            required(json!([expr("zone", "In", &[])])),
            false,
        ),
        (
            "Exists with values fails to parse",
            required(json!([expr("zone", "Exists", &["a"])])),
            false,
        ),
        (
            "unknown operator",
            required(json!([expr("zone", "Equals", &["a"])])),
            false,
        ),
        (
            "invalid key",
            required(json!([expr("bad key", "Exists", &[])])),
            false,
        ),
        (
            "terms are ORed",
            required(json!([
                expr("zone", "In", &["b"]),
                expr("cores", "Exists", &[])
            ])),
            true,
        ),
        (
            "expressions are ANDed",
            required(json!([{"matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["a"]},
                {"key": "cores", "operator": "Lt", "values": ["4"]}
            ]}])),
            false,
        ),
        ("no terms match nothing", required(json!([])), false),
        ("empty terms match nothing", required(json!([{}])), false),
        (
            "matchFields metadata.name In",
            required(
                json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]),
            ),
            true,
        ),
        (
            "matchFields metadata.name In another node",
            required(
                json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]),
            ),
            false,
        ),
        (
            "matchFields metadata.name NotIn",
            required(
                json!([{"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n2"]}]}]),
            ),
            true,
        ),
        (
            "matchFields with two values fails to parse",
            required(
                json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1", "n2"]}]}]),
            ),
            false,
        ),
        (
            "matchFields Exists is unsupported",
            required(json!([{"matchFields": [{"key": "metadata.name", "operator": "Exists"}]}])),
            false,
        ),
        (
            "nodeSelector and affinity must both match",
            {
                let mut spec = required(json!([expr("zone", "In", &["a"])]));
                spec["nodeSelector"] = json!({"zone": "b"});
                spec
            },
            false,
        ),
    ];
    let plugins = InTree::default();
    for (name, spec, fits) in cases {
        let p = pod(spec);
        let want = if fits { ok() } else { unresolvable(AFFINITY) };
        assert_eq!(
            plugins.filter(InTreePlugin::NodeAffinity, &p, &node),
            want,
            "{name}"
        );
    }
}

#[test]
fn node_affinity_pre_filter() {
    let plugins = InTree::default();
    let names =
        |terms: Value| plugins.pre_filter(InTreePlugin::NodeAffinity, &pod(required(terms)));
    let by_name = |values: &[&str]| json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": values}]});

    let r = plugins.pre_filter(InTreePlugin::NodeAffinity, &pod(json!({})));
    assert_eq!(r.status.code, Code::Skip);
    let r = plugins.pre_filter(
        InTreePlugin::NodeAffinity,
        &pod(json!({"nodeSelector": {}})),
    );
    assert_eq!((r.status.code, r.node_names), (Code::Success, None));

    let r = names(json!([expr("zone", "In", &["a"])]));
    assert_eq!((r.status.code, r.node_names), (Code::Success, None));

    let r = names(json!([by_name(&["n1", "n2"]), by_name(&["n3"])]));
    assert_eq!(r.status, ok());
    assert_eq!(
        r.node_names.unwrap().into_iter().collect::<Vec<_>>(),
        ["n1", "n2", "n3"]
    );

    // A term without a name requirement admits every node.
    let r = names(json!([by_name(&["n1"]), expr("zone", "In", &["a"])]));
    assert_eq!(r.node_names, None);

    // Requirements in one term intersect.
    let r = names(json!([{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": ["n1", "n2"]},
        {"key": "metadata.name", "operator": "In", "values": ["n2", "n3"]}
    ]}]));
    assert_eq!(
        r.node_names.unwrap().into_iter().collect::<Vec<_>>(),
        ["n2"]
    );

    let r = names(json!([{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": ["n1"]},
        {"key": "metadata.name", "operator": "In", "values": ["n2"]}
    ]}]));
    assert_eq!(r.status, unresolvable("pod affinity terms conflict"));
    assert_eq!(r.node_names, None);
}

#[test]
fn node_affinity_score() {
    let nodes = [
        labelled(json!({})),
        labelled(json!({"zone": "a"})),
        labelled(json!({"zone": "a", "disk": "ssd"})),
    ];
    let preferred = |terms: Value| {
        pod(
            json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": terms}}}),
        )
    };
    let plugins = InTree::default();
    let cases: Vec<(&str, Value, [i64; 3], [i64; 3])> = vec![
        (
            "weights add up",
            json!([
                {"weight": 30, "preference": expr("zone", "In", &["a"])},
                {"weight": 50, "preference": expr("disk", "Exists", &[])},
            ]),
            [0, 30, 80],
            [0, 37, 100],
        ),
        (
            "zero-weight and empty terms are ignored",
            json!([
                {"weight": 0, "preference": expr("zone", "In", &["a"])},
                {"weight": 7, "preference": {}},
                {"weight": 1, "preference": expr("disk", "DoesNotExist", &[])},
            ]),
            [1, 1, 0],
            [100, 100, 0],
        ),
        (
            "nothing matches",
            json!([{"weight": 5, "preference": expr("gpu", "Exists", &[])}]),
            [0, 0, 0],
            [0, 0, 0],
        ),
    ];
    for (name, terms, raw, normalized) in cases {
        let p = preferred(terms);
        assert!(
            plugins
                .pre_score(InTreePlugin::NodeAffinity, &p)
                .is_success(),
            "{name}"
        );
        let mut scores: Vec<i64> = nodes
            .iter()
            .map(|n| plugins.score(InTreePlugin::NodeAffinity, &p, n).unwrap())
            .collect();
        assert_eq!(scores, raw, "{name} raw");
        plugins.normalize_score(InTreePlugin::NodeAffinity, &mut scores);
        assert_eq!(scores, normalized, "{name} normalized");
    }

    // No preferred terms: PreScore skips.
    assert_eq!(
        plugins
            .pre_score(InTreePlugin::NodeAffinity, &pod(json!({})))
            .code,
        Code::Skip
    );
    // An empty list is not nil: not skipped, scores 0.
    let p = preferred(json!([]));
    assert!(
        plugins
            .pre_score(InTreePlugin::NodeAffinity, &p)
            .is_success()
    );
    assert_eq!(
        plugins.score(InTreePlugin::NodeAffinity, &p, &nodes[2]),
        Ok(0)
    );
    // A preferred term that does not parse is an Error at PreScore and Score.
    let p = preferred(json!([{"weight": 1, "preference": expr("cores", "Gt", &["x"])}]));
    assert_eq!(
        plugins.pre_score(InTreePlugin::NodeAffinity, &p).code,
        Code::Error
    );
    assert_eq!(
        plugins
            .score(InTreePlugin::NodeAffinity, &p, &nodes[0])
            .unwrap_err()
            .code,
        Code::Error
    );
}

#[test]
fn node_affinity_added_affinity() {
    let plugins = InTree::from_plugin_config(&json!([{
        "name": "NodeAffinity",
        "args": {"addedAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [expr("pool", "In", &["batch"])]},
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "preference": expr("disk", "Exists", &[])}]
        }}
    }]))
    .unwrap();
    let batch = labelled(json!({"pool": "batch", "disk": "ssd"}));
    let web = labelled(json!({"pool": "web"}));
    let p = pod(json!({}));
    assert_eq!(
        plugins.pre_filter(InTreePlugin::NodeAffinity, &p).status,
        ok()
    );
    assert_eq!(plugins.filter(InTreePlugin::NodeAffinity, &p, &batch), ok());
    assert_eq!(
        plugins.filter(InTreePlugin::NodeAffinity, &p, &web),
        unresolvable("node(s) didn't match scheduler-enforced node affinity")
    );
    assert!(
        plugins
            .pre_score(InTreePlugin::NodeAffinity, &p)
            .is_success()
    );
    assert_eq!(
        plugins.score(InTreePlugin::NodeAffinity, &p, &batch),
        Ok(10)
    );

    let bad = InTree::from_plugin_config(&json!([{
        "name": "NodeAffinity",
        "args": {"addedAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [expr("pool", "Gt", &["x"])]}}}
    }]));
    assert!(bad.is_err());
}

/// A node with `cpu`, `memory` and `pods` allocatable and the given pods on it.
fn resource_node(allocatable: Value, pods: &[PodInfo]) -> NodeInfo {
    let mut n = node_with("n1", json!({}), json!({}), allocatable);
    for p in pods {
        n.add_pod(p);
    }
    n
}

#[test]
fn node_resources_fit_filter() {
    let plugins = InTree::default();
    let cpu3 = pod_requesting(json!({"cpu": "3"}));
    let standard = json!({"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "10Gi", "example.com/foo": "2"});
    let cases: Vec<(&str, PodInfo, NodeInfo, Status)> = vec![
        (
            "no requests",
            pod(json!({"containers": [{"name": "c"}]})),
            resource_node(standard.clone(), &[]),
            ok(),
        ),
        (
            "no requests, node without allocatable",
            pod(json!({"containers": [{"name": "c"}]})),
            node_with("n1", json!({}), json!({}), json!(null)),
            reject(Code::Unschedulable, &["Too many pods"]),
        ),
        (
            "node full of pods",
            pod_requesting(json!({"cpu": "1"})),
            resource_node(json!({"cpu": "4", "pods": "1"}), &[pod(json!({}))]),
            reject(Code::Unschedulable, &["Too many pods"]),
        ),
        (
            "fits exactly",
            pod_requesting(json!({"cpu": "1"})),
            resource_node(standard.clone(), std::slice::from_ref(&cpu3)),
            ok(),
        ),
        (
            "insufficient cpu",
            pod_requesting(json!({"cpu": "1001m"})),
            resource_node(standard.clone(), std::slice::from_ref(&cpu3)),
            reject(Code::Unschedulable, &["Insufficient cpu"]),
        ),
        (
            "everything insufficient, in kube-scheduler's order",
            pod_requesting(
                json!({"cpu": "5", "memory": "9Gi", "ephemeral-storage": "11Gi", "example.com/foo": "3", "example.com/bar": "1"}),
            ),
            resource_node(
                json!({"cpu": "4", "memory": "8Gi", "pods": "0", "ephemeral-storage": "10Gi", "example.com/foo": "2"}),
                &[],
            ),
            reject(
                Code::Unschedulable,
                &[
                    "Too many pods",
                    "Insufficient cpu",
                    "Insufficient memory",
                    "Insufficient ephemeral-storage",
                    "Insufficient example.com/bar",
                    "Insufficient example.com/foo",
                ],
            ),
        ),
        (
            "a zero extended request is not checked",
            pod_requesting(json!({"example.com/bar": "0"})),
            resource_node(standard.clone(), &[]),
            ok(),
        ),
        (
            "hugepages are scalar resources",
            pod_requesting(json!({"hugepages-2Mi": "4Mi"})),
            resource_node(json!({"pods": "10", "hugepages-2Mi": "2Mi"}), &[]),
            reject(Code::Unschedulable, &["Insufficient hugepages-2Mi"]),
        ),
        (
            "unknown unprefixed resources are ignored",
            pod_requesting(json!({"storage": "1Gi"})),
            resource_node(standard.clone(), &[]),
            ok(),
        ),
        (
            "negative requests count as zero",
            pod_requesting(json!({"cpu": "-1"})),
            resource_node(json!({"pods": "10"}), &[]),
            ok(),
        ),
        (
            "init containers: max(sum of containers, each init container)",
            pod(json!({
                "initContainers": [container(json!({"cpu": "2"})), container(json!({"cpu": "3500m"}))],
                "containers": [container(json!({"cpu": "1"})), container(json!({"cpu": "1"}))]
            })),
            resource_node(standard.clone(), std::slice::from_ref(&cpu3)),
            reject(Code::Unschedulable, &["Insufficient cpu"]),
        ),
        (
            "overhead is added",
            pod(json!({"containers": [container(json!({"cpu": "1"}))], "overhead": {"cpu": "1m"}})),
            resource_node(standard.clone(), std::slice::from_ref(&cpu3)),
            reject(Code::Unschedulable, &["Insufficient cpu"]),
        ),
    ];
    for (name, p, n, want) in cases {
        assert_eq!(
            plugins.filter(InTreePlugin::NodeResourcesFit, &p, &n),
            want,
            "{name}"
        );
    }
}

#[test]
fn pod_requests_with_sidecars() {
    // Sidecar (restartPolicy Always) init containers run alongside everything after them.
    let p = pod(json!({
        "initContainers": [
            {"name": "init1", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}},
            {"name": "sidecar", "restartPolicy": "Always", "resources": {"requests": {"cpu": "500m", "memory": "100Mi"}}},
            {"name": "init2", "resources": {"requests": {"cpu": "2", "memory": "50Mi"}}}
        ],
        "containers": [container(json!({"cpu": "1", "memory": "500Mi"}))],
        "overhead": {"memory": "10Mi"}
    }));
    let r = p.fit_requests();
    // cpu: containers 1 + sidecar 0.5 = 1.5; init2 while running: 2 + 0.5 = 2.5 -> 2.5.
    assert_eq!(r.milli_cpu, 2500);
    // memory: 500Mi + 100Mi = 600Mi; init1 1Gi -> 1Gi; plus 10Mi overhead.
    assert_eq!(r.memory, (1024 + 10) * 1024 * 1024);
    // Non-zero usage counts 100m/200Mi for containers without requests.
    let empty = pod(
        json!({"containers": [{"name": "a"}, {"name": "b", "resources": {"requests": {"cpu": "0"}}}]}),
    );
    let (usage, cpu, memory) = empty.node_usage();
    assert_eq!((usage.milli_cpu, usage.memory), (0, 0));
    assert_eq!((cpu, memory), (100, 2 * 200 * 1024 * 1024));
}

#[test]
fn node_resources_fit_ignored_resources() {
    let plugins = InTree::from_plugin_config(&json!([{
        "name": "NodeResourcesFit",
        "args": {"ignoredResources": ["example.com/foo"], "ignoredResourceGroups": ["vendor.io"]}
    }]))
    .unwrap();
    let p = pod_requesting(json!({"example.com/foo": "1", "vendor.io/x": "1", "other.io/y": "1"}));
    let n = resource_node(json!({"pods": "10"}), &[]);
    assert_eq!(
        plugins.filter(InTreePlugin::NodeResourcesFit, &p, &n),
        reject(Code::Unschedulable, &["Insufficient other.io/y"])
    );
}

fn fit_plugins(strategy: Value) -> InTree {
    InTree::from_plugin_config(
        &json!([{"name": "NodeResourcesFit", "args": {"scoringStrategy": strategy}}]),
    )
    .unwrap()
}

#[test]
fn node_resources_fit_score() {
    let node = |pods: &[PodInfo]| {
        resource_node(json!({"cpu": "4", "memory": "32Gi", "pods": "110"}), pods)
    };
    let least = InTree::default();
    let most = fit_plugins(json!({"type": "MostAllocated"}));
    let ratio = fit_plugins(json!({
        "type": "RequestedToCapacityRatio",
        "resources": [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}],
        "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 0}, {"utilization": 100, "score": 10}]}
    }));
    let weighted = fit_plugins(json!({
        "type": "LeastAllocated",
        "resources": [{"name": "cpu", "weight": 3}, {"name": "memory"}, {"name": "example.com/gpu", "weight": 5}]
    }));
    let half = pod_requesting(json!({"cpu": "2", "memory": "16Gi"}));
    let cases: Vec<(&str, &InTree, PodInfo, NodeInfo, i64)> = vec![
        // (4000-500)*100/4000 = 87, (32Gi-200Mi)*100/32Gi = 99 -> 93.
        (
            "least, cpu only",
            &least,
            pod_requesting(json!({"cpu": "500m"})),
            node(&[]),
            93,
        ),
        // Defaults 100m/200Mi: 97 and 99 -> 98.
        (
            "least, no requests",
            &least,
            pod(json!({"containers": [{"name": "c"}]})),
            node(&[]),
            98,
        ),
        (
            "least, half used",
            &least,
            pod_requesting(json!({"cpu": "1", "memory": "8Gi"})),
            node(std::slice::from_ref(&half)),
            25,
        ),
        (
            "least, over capacity",
            &least,
            pod_requesting(json!({"cpu": "8", "memory": "64Gi"})),
            node(&[]),
            0,
        ),
        // 500*100/4000 = 12, 200Mi*100/32Gi = 0 -> 6.
        (
            "most",
            &most,
            pod_requesting(json!({"cpu": "500m"})),
            node(&[]),
            6,
        ),
        (
            "most, half used",
            &most,
            pod_requesting(json!({"cpu": "1", "memory": "8Gi"})),
            node(std::slice::from_ref(&half)),
            75,
        ),
        (
            "most, over capacity is capped",
            &most,
            pod_requesting(json!({"cpu": "8", "memory": "64Gi"})),
            node(&[]),
            100,
        ),
        // cpu utilization 12 -> 12; memory 0 -> 0 (not counted) -> round(12/1).
        (
            "ratio",
            &ratio,
            pod_requesting(json!({"cpu": "500m"})),
            node(&[]),
            12,
        ),
        (
            "ratio, half used",
            &ratio,
            pod_requesting(json!({"cpu": "1", "memory": "8Gi"})),
            node(std::slice::from_ref(&half)),
            75,
        ),
        // cpu 87*3 + memory 99*1, gpu skipped (not requested) -> 360/4 = 90.
        (
            "weights",
            &weighted,
            pod_requesting(json!({"cpu": "500m"})),
            node(&[]),
            90,
        ),
        // gpu requested but not allocatable on the node: skipped.
        (
            "weights, missing extended",
            &weighted,
            pod_requesting(json!({"cpu": "500m", "example.com/gpu": "1"})),
            node(&[]),
            90,
        ),
        (
            "node without allocatable",
            &least,
            pod_requesting(json!({"cpu": "500m"})),
            node_with("n1", json!({}), json!({}), json!({})),
            0,
        ),
    ];
    for (name, plugins, p, n, want) in cases {
        assert!(
            plugins
                .pre_score(InTreePlugin::NodeResourcesFit, &p)
                .is_success()
        );
        assert_eq!(
            plugins.score(InTreePlugin::NodeResourcesFit, &p, &n),
            Ok(want),
            "{name}"
        );
    }
    // Existing pods without requests count 100m/200Mi each for scoring.
    let empty = pod(json!({"containers": [{"name": "c"}]}));
    let n = node(&[empty.clone(), empty.clone()]);
    assert_eq!(n.non_zero_requested(), (200, 400 * 1024 * 1024));
    assert_eq!(n.requested().milli_cpu, 0);
    // cpu (4000-300)*100/4000 = 92, memory (32768-600)*100/32768 = 98 -> 95.
    assert_eq!(
        least.score(InTreePlugin::NodeResourcesFit, &empty, &n),
        Ok(95)
    );
}

#[test]
fn balanced_allocation_score() {
    let plugins = InTree::default();
    let node = |pods: &[PodInfo]| {
        resource_node(json!({"cpu": "4", "memory": "32Gi", "pods": "110"}), pods)
    };
    let cases: Vec<(&str, PodInfo, NodeInfo, i64)> = vec![
        (
            "balanced",
            pod_requesting(json!({"cpu": "1", "memory": "8Gi"})),
            node(&[]),
            100,
        ),
        // 0.5 vs 0 -> std 0.25 -> 75.
        (
            "cpu only",
            pod_requesting(json!({"cpu": "2"})),
            node(&[]),
            75,
        ),
        // (1 + 1)/4 = 0.5 cpu, 8Gi/32Gi = 0.25 -> std 0.125 -> 87.
        (
            "with a pod",
            pod_requesting(json!({"cpu": "1", "memory": "8Gi"})),
            node(&[pod_requesting(json!({"cpu": "1"}))]),
            87,
        ),
        // Fractions above 1 are capped: 1 vs 0.25 -> 62.
        (
            "over capacity",
            pod_requesting(json!({"cpu": "8", "memory": "8Gi"})),
            node(&[]),
            62,
        ),
    ];
    for (name, p, n, want) in cases {
        assert!(
            plugins
                .pre_score(InTreePlugin::NodeResourcesBalancedAllocation, &p)
                .is_success(),
            "{name}"
        );
        assert_eq!(
            plugins.score(InTreePlugin::NodeResourcesBalancedAllocation, &p, &n),
            Ok(want),
            "{name}"
        );
    }
    // A best-effort pod is skipped at PreScore (and scores 0 if Score runs anyway).
    let best_effort = pod(json!({"containers": [{"name": "c"}]}));
    assert_eq!(
        plugins
            .pre_score(InTreePlugin::NodeResourcesBalancedAllocation, &best_effort)
            .code,
        Code::Skip
    );
    assert_eq!(
        plugins.score(
            InTreePlugin::NodeResourcesBalancedAllocation,
            &best_effort,
            &node(&[])
        ),
        Ok(0)
    );

    // Three resources: standard deviation over the three fractions.
    let three = InTree::from_plugin_config(&json!([{"name": "NodeResourcesBalancedAllocation", "args": {
        "resources": [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}, {"name": "example.com/gpu", "weight": 1}]
    }}]))
    .unwrap();
    let n = resource_node(
        json!({"cpu": "4", "memory": "32Gi", "pods": "110", "example.com/gpu": "4"}),
        &[],
    );
    let p = pod_requesting(json!({"cpu": "1", "memory": "8Gi", "example.com/gpu": "4"}));
    // Fractions 0.25, 0.25, 1: mean 0.5, variance 0.125, std 0.3535… -> 64.
    assert_eq!(
        three.score(InTreePlugin::NodeResourcesBalancedAllocation, &p, &n),
        Ok(64)
    );
}

#[test]
fn normalize() {
    let mut s = [0, 3, 6];
    default_normalize_score(100, false, &mut s);
    assert_eq!(s, [0, 50, 100]);
    let mut s = [1, 2, 3];
    default_normalize_score(100, true, &mut s);
    assert_eq!(s, [67, 34, 0]);
    let mut s = [0, 0];
    default_normalize_score(100, false, &mut s);
    assert_eq!(s, [0, 0]);
    let mut s: [i64; 0] = [];
    default_normalize_score(100, true, &mut s);
    // Plugins without NormalizeScore leave scores alone.
    let mut s = [5, 7];
    InTree::default().normalize_score(InTreePlugin::NodeResourcesFit, &mut s);
    assert_eq!(s, [5, 7]);
}

#[test]
fn plugin_metadata() {
    for p in InTreePlugin::ALL {
        assert_eq!(InTreePlugin::from_name(p.name()), Some(p));
        assert_eq!(p.name().parse::<InTreePlugin>(), Ok(p));
        assert!(intree_plugins::is_emulated(p.name()));
    }
    assert!(!intree_plugins::is_emulated("PodTopologySpread"));
    assert!(!intree_plugins::is_emulated("nodeaffinity"));
    assert!("ImageLocality".parse::<InTreePlugin>().is_err());
    let weights: Vec<(&str, Option<i64>)> = InTreePlugin::ALL
        .iter()
        .map(|p| (p.name(), p.default_weight()))
        .collect();
    assert_eq!(
        weights,
        [
            ("NodeUnschedulable", None),
            ("NodeName", None),
            ("TaintToleration", Some(3)),
            ("NodeAffinity", Some(2)),
            ("NodeResourcesFit", Some(1)),
            ("NodeResourcesBalancedAllocation", Some(1)),
        ]
    );
    assert_eq!(intree_plugins::default_weight("InterPodAffinity"), Some(2));
    assert_eq!(intree_plugins::default_weight("ImageLocality"), Some(1));
    assert_eq!(intree_plugins::default_weight("NodePorts"), None);
    let fit = InTreePlugin::NodeResourcesFit.extension_points();
    assert!(fit.pre_filter && fit.filter && fit.pre_score && fit.score && !fit.normalize_score);
    let ba = InTreePlugin::NodeResourcesBalancedAllocation.extension_points();
    assert!(!ba.pre_filter && !ba.filter && ba.pre_score && ba.score);
    // Extension points a plugin lacks do nothing.
    let plugins = InTree::default();
    let p = pod(json!({}));
    assert_eq!(
        plugins.pre_filter(InTreePlugin::NodeName, &p).status.code,
        Code::Skip
    );
    assert_eq!(
        plugins.pre_score(InTreePlugin::NodeName, &p).code,
        Code::Skip
    );
    assert_eq!(
        plugins
            .score(InTreePlugin::NodeName, &p, &plain_node())
            .unwrap_err()
            .code,
        Code::Error
    );
    assert_eq!(
        plugins.filter(
            InTreePlugin::NodeResourcesBalancedAllocation,
            &p,
            &plain_node()
        ),
        ok()
    );
    assert_eq!(Code::UnschedulableAndUnresolvable.as_i32(), 3);
    assert_eq!(Code::from_i32(2), Some(Code::Unschedulable));
}

#[test]
fn in_place_resize_status() {
    let resized = |conditions: Value| {
        PodInfo::from_json(&json!({
            "metadata": {"name": "r"},
            "spec": {"nodeName": "n1", "containers": [container(json!({"cpu": "4"}))]},
            "status": {
                "conditions": conditions,
                "containerStatuses": [{"name": "c", "resources": {"requests": {"cpu": "2"}}, "allocatedResources": {"cpu": "1500m"}}]
            }
        }))
        .unwrap()
    };
    let allocatable = json!({"cpu": "8", "memory": "32Gi", "pods": "110"});
    // Feasible (or no) resize: max(spec, status, allocated).
    let n = resource_node(allocatable.clone(), &[resized(json!([]))]);
    assert_eq!(n.requested().milli_cpu, 4000);
    // Infeasible resize: the spec is ignored.
    let infeasible =
        resized(json!([{"type": "PodResizePending", "status": "True", "reason": "Infeasible"}]));
    let n = resource_node(allocatable, std::slice::from_ref(&infeasible));
    assert_eq!(n.requested().milli_cpu, 2000);
    assert_eq!(n.non_zero_requested().0, 2000);
    // The pod's own PreFilter requests never read status.
    assert_eq!(infeasible.fit_requests().milli_cpu, 4000);
}
