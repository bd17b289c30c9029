//! The JSON → protobuf encoding of pods and nodes (docs/abi.md §3.3.1, §4), checked byte by byte for
//! small objects and by decoding with k8s-pb (prost) for realistic ones.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

use k8s_pb::api::core::v1::{Node, NodeList, Pod};
use prost::Message;
use serde_json::{Value, json};
use simulator_host::{Cluster, PodObject, canonical_quantity};

fn node_bytes(v: &Value) -> Vec<u8> {
    let c = Cluster::from_nodes_json(std::slice::from_ref(v)).unwrap();
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    c.node_protobuf(name).unwrap().to_vec()
}

/// Empty ObjectMeta strings 2..6, generation 0 and an empty creationTimestamp, after the name.
const META_TAIL: [u8; 14] = [
    0x12, 0, 0x1a, 0, 0x22, 0, 0x2a, 0, 0x32, 0, 0x38, 0, 0x42, 0,
];

#[test]
fn small_node_bytes() {
    // Upstream's NodeSmall: only a name. Every non-pointer field is emitted, in field order.
    let got = node_bytes(&json!({"metadata": {"name": "good-node"}}));
    let mut want = vec![0x0a, 25, 0x0a, 9];
    want.extend_from_slice(b"good-node");
    want.extend_from_slice(&META_TAIL);
    // NodeSpec: podCIDR, externalID, providerID "", unschedulable false.
    want.extend_from_slice(&[0x12, 8, 0x0a, 0, 0x12, 0, 0x1a, 0, 0x20, 0]);
    // NodeStatus: phase "", daemonEndpoints{kubeletEndpoint{Port 0}}, nodeInfo{10 empty strings}.
    want.extend_from_slice(&[0x1a, 30, 0x1a, 0, 0x32, 4, 0x0a, 2, 0x08, 0, 0x3a, 20]);
    for field in 1..=10u8 {
        want.extend_from_slice(&[field << 3 | 2, 0]);
    }
    assert_eq!(got, want);
}

#[test]
fn small_pod_bytes() {
    let pod = PodObject::from_json(&json!({
        "metadata": {"name": "p", "namespace": "ns", "uid": "u",
                     "labels": {"b": "2", "a": "1"}},
        "spec": {"nodeName": "n", "priority": -1},
    }))
    .unwrap();
    let b = pod.protobuf();
    // metadata
    let meta: &[u8] = &[
        0x0a, 1, b'p', 0x12, 0, 0x1a, 2, b'n', b's', 0x22, 0, 0x2a, 1, b'u', 0x32, 0, 0x38, 0,
        0x42, 0, // labels, sorted by key: {a: 1}, {b: 2}
        0x5a, 6, 0x0a, 1, b'a', 0x12, 1, b'1', 0x5a, 6, 0x0a, 1, b'b', 0x12, 1, b'2',
    ];
    assert_eq!(&b[..2], &[0x0a, meta.len() as u8]);
    assert_eq!(&b[2..2 + meta.len()], meta);
    let spec = &b[2 + meta.len()..];
    assert_eq!(spec[0], 0x12);
    // priority -1 is a 10-byte varint under key c8 01.
    let prio = [
        0xc8, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ];
    assert!(spec.windows(prio.len()).any(|w| w == prio), "{spec:02x?}");
    // nodeName "n" under key 52.
    assert!(spec.windows(3).any(|w| w == [0x52, 1, b'n']));
    let decoded = Pod::decode(b).unwrap();
    assert_eq!(decoded.spec.unwrap().priority, Some(-1));
}

fn realistic_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "nginx", "namespace": "default", "uid": "0b5f1c2e", "resourceVersion": "42",
            "generation": 3, "creationTimestamp": "2024-11-14T17:49:24Z",
            "labels": {"app": "web", "tier": "front"},
            "annotations": {"scheduler.wasmkwokwizardry.io/regex": "kubecon-.*"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "r1",
                                 "controller": true, "blockOwnerDeletion": true}],
            "finalizers": ["f1", "f2"],
            "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
        },
        "spec": {
            "containers": [{
                "name": "nginx", "image": "nginx:1.25",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "0.5", "memory": "1.5Gi"}, "limits": {"cpu": 1, "memory": "2048Mi"}},
                "readinessProbe": {"httpGet": {"path": "/", "port": 8080}},
                "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
            }],
            "initContainers": [{"name": "init", "image": "busybox"}],
            "nodeSelector": {"disk": "ssd"},
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]}}},
            "tolerations": [{"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule", "tolerationSeconds": 30}],
            "priority": 1000, "priorityClassName": "high",
            "overhead": {"cpu": "100m"},
            "schedulerName": "default-scheduler",
            "terminationGracePeriodSeconds": 30,
        },
        "status": {"phase": "Pending", "qosClass": "Burstable",
                   "conditions": [{"type": "PodScheduled", "status": "False", "lastTransitionTime": null}]},
    })
}

#[test]
fn realistic_pod_decodes_with_k8s_pb() {
    let pod = PodObject::from_json(&realistic_pod()).unwrap();
    assert_eq!(
        (pod.uid(), pod.name(), pod.namespace()),
        ("0b5f1c2e", "nginx", "default")
    );
    let p = Pod::decode(pod.protobuf()).unwrap();
    let meta = p.metadata.unwrap();
    assert_eq!(meta.name.as_deref(), Some("nginx"));
    assert_eq!(
        meta.generate_name.as_deref(),
        Some(""),
        "non-pointer strings are emitted empty"
    );
    assert_eq!(meta.generation, Some(3));
    assert_eq!(
        meta.creation_timestamp.unwrap().seconds,
        Some(1_731_606_564)
    );
    assert_eq!(meta.labels["tier"], "front");
    assert_eq!(
        meta.annotations["scheduler.wasmkwokwizardry.io/regex"],
        "kubecon-.*"
    );
    let owner = &meta.owner_references[0];
    assert_eq!(
        (
            owner.kind.as_deref(),
            owner.controller,
            owner.block_owner_deletion
        ),
        (Some("ReplicaSet"), Some(true), Some(true))
    );
    assert_eq!(meta.finalizers, ["f1", "f2"]);
    assert!(
        meta.managed_fields.is_empty(),
        "kube-scheduler strips managedFields"
    );

    let spec = p.spec.unwrap();
    let c = &spec.containers[0];
    assert_eq!(c.image.as_deref(), Some("nginx:1.25"));
    assert_eq!(c.ports[0].container_port, Some(80));
    let res = c.resources.as_ref().unwrap();
    let q = |m: &std::collections::BTreeMap<
        String,
        k8s_pb::apimachinery::pkg::api::resource::Quantity,
    >,
             k: &str| { m[k].string.clone().unwrap() };
    assert_eq!(q(&res.requests, "cpu"), "500m");
    assert_eq!(q(&res.requests, "memory"), "1536Mi");
    assert_eq!(q(&res.limits, "cpu"), "1");
    assert_eq!(q(&res.limits, "memory"), "2Gi");
    let port = c
        .readiness_probe
        .as_ref()
        .unwrap()
        .handler
        .as_ref()
        .unwrap()
        .http_get
        .as_ref()
        .unwrap()
        .port
        .clone()
        .unwrap();
    assert_eq!(
        (port.r#type, port.int_val, port.str_val.as_deref()),
        (Some(0), Some(8080), Some(""))
    );
    let port = c
        .liveness_probe
        .as_ref()
        .unwrap()
        .handler
        .as_ref()
        .unwrap()
        .http_get
        .as_ref()
        .unwrap()
        .port
        .clone()
        .unwrap();
    assert_eq!(
        (port.r#type, port.str_val.as_deref()),
        (Some(1), Some("http"))
    );
    assert_eq!(spec.init_containers[0].name.as_deref(), Some("init"));
    assert_eq!(spec.node_selector["disk"], "ssd");
    let term = &spec
        .affinity
        .unwrap()
        .node_affinity
        .unwrap()
        .required_during_scheduling_ignored_during_execution
        .unwrap()
        .node_selector_terms[0];
    assert_eq!(term.match_expressions[0].values, ["a", "b"]);
    let t = &spec.tolerations[0];
    assert_eq!(
        (t.effect.as_deref(), t.toleration_seconds),
        (Some("NoSchedule"), Some(30))
    );
    assert_eq!(
        (spec.priority, spec.priority_class_name.as_deref()),
        (Some(1000), Some("high"))
    );
    assert_eq!(spec.overhead["cpu"].string.as_deref(), Some("100m"));
    assert_eq!(spec.termination_grace_period_seconds, Some(30));
    assert_eq!(
        spec.active_deadline_seconds, None,
        "pointers are omitted when unset"
    );
    assert_eq!(
        spec.host_network,
        Some(false),
        "non-pointer bools are emitted"
    );
    assert_eq!(spec.node_name.as_deref(), Some(""));

    let status = p.status.unwrap();
    assert_eq!(
        (status.phase.as_deref(), status.qos_class.as_deref()),
        (Some("Pending"), Some("Burstable"))
    );
    let cond = &status.conditions[0];
    assert_eq!(
        cond.last_transition_time.as_ref().map(|t| t.seconds),
        Some(None),
        "zero Time is an empty message"
    );
}

#[test]
fn scenario_nodes_decode_with_k8s_pb() {
    let scenario: Value = serde_json::from_str(include_str!(
        "../../cli/tests/data/kubecon-na-2024-wizards.json"
    ))
    .unwrap();
    let nodes = scenario["nodes"].as_array().unwrap();
    let cluster = Cluster::from_nodes_json(nodes).unwrap();
    assert_eq!(
        cluster.node_names(),
        ["oz-1", "oz-2", "phoenix-1", "phoenix-2"]
    );
    for name in cluster.node_names() {
        let n = Node::decode(cluster.node_protobuf(name).unwrap()).unwrap();
        assert_eq!(n.metadata.as_ref().unwrap().name.as_deref(), Some(name));
        let status = n.status.unwrap();
        assert_eq!(status.capacity["memory"].string.as_deref(), Some("32Gi"));
        assert_eq!(status.allocatable["pods"].string.as_deref(), Some("110"));
        assert_eq!(status.conditions[0].r#type.as_deref(), Some("Ready"));
        assert_eq!(
            status.node_info.unwrap().kubelet_version.as_deref(),
            Some("")
        );
        assert_eq!(n.spec.unwrap().unschedulable, Some(false));
    }
    let list = NodeList::decode(nodes_list_bytes(&cluster).as_slice()).unwrap();
    assert_eq!(list.items.len(), 4);
}

/// The NodeList the host would send, rebuilt from the per-node bytes.
fn nodes_list_bytes(c: &Cluster) -> Vec<u8> {
    let mut out = vec![0x0a, 6, 0x0a, 0, 0x12, 0, 0x1a, 0];
    for name in c.node_names() {
        let n = c.node_protobuf(name).unwrap();
        out.push(0x12);
        let mut len = n.len();
        while len >= 0x80 {
            out.push((len as u8) | 0x80);
            len >>= 7;
        }
        out.push(len as u8);
        out.extend_from_slice(n);
    }
    out
}

#[test]
fn node_spec_and_status_fields() {
    let b = node_bytes(&json!({
        "metadata": {"name": "n", "labels": {"zone": "a"}},
        "spec": {"unschedulable": true, "taints": [{"key": "k", "value": "v", "effect": "NoSchedule", "timeAdded": "2024-01-01T00:00:00Z"}],
                 "podCIDRs": ["10.0.0.0/24"]},
        "status": {
            "capacity": {"cpu": "4", "memory": "32Gi"}, "allocatable": {"cpu": "3900m"},
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
            "images": [{"names": ["nginx:1.25", "nginx@sha256:abc"], "sizeBytes": 123456789}],
            "nodeInfo": {"kubeletVersion": "v1.33.4", "architecture": "amd64"},
        },
    }));
    let n = Node::decode(b.as_slice()).unwrap();
    let spec = n.spec.unwrap();
    assert_eq!(spec.unschedulable, Some(true));
    let taint = &spec.taints[0];
    assert_eq!(
        (taint.key.as_deref(), taint.effect.as_deref()),
        (Some("k"), Some("NoSchedule"))
    );
    assert_eq!(
        taint.time_added.as_ref().unwrap().seconds,
        Some(1_704_067_200)
    );
    assert_eq!(spec.pod_cid_rs, ["10.0.0.0/24"]);
    let st = n.status.unwrap();
    assert_eq!(st.allocatable["cpu"].string.as_deref(), Some("3900m"));
    assert_eq!(st.addresses[0].address.as_deref(), Some("10.0.0.1"));
    assert_eq!(st.images[0].names, ["nginx:1.25", "nginx@sha256:abc"]);
    assert_eq!(st.images[0].size_bytes, Some(123_456_789));
    let info = st.node_info.unwrap();
    assert_eq!(
        (
            info.kubelet_version.as_deref(),
            info.architecture.as_deref()
        ),
        (Some("v1.33.4"), Some("amd64"))
    );
    assert_eq!(n.metadata.unwrap().labels["zone"], "a");
}

#[test]
fn invalid_objects_are_errors() {
    let e = PodObject::from_json(&json!({"spec": {"nodeName": 3}})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "json: cannot unmarshal number into Go struct field Pod.spec.nodeName of type string"
    );
    let e = PodObject::from_json(&json!({"spec": {"priority": 1.5}})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Pod.spec.priority: json: cannot unmarshal number 1.5 into Go value of type int32"
    );
    let e = PodObject::from_json(&json!({"spec": {"overhead": {"cpu": "1x"}}})).unwrap_err();
    assert!(
        e.to_string().starts_with(
            r#"Pod.spec.overhead["cpu"]: "1x": quantities must match the regular expression"#
        ),
        "{e}"
    );
    assert!(PodObject::from_json(&json!([])).is_err());
}

#[test]
fn quantities() {
    assert_eq!(canonical_quantity("1.5Gi").unwrap(), "1536Mi");
    assert_eq!(canonical_quantity("0.1").unwrap(), "100m");
}
