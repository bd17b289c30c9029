//! Cross-checks the hand-written protobuf views against a real encoder: objects built with the
//! generated `k8s-pb` types and encoded by `prost` must read back field for field.

use std::collections::BTreeMap;

use common::proto::{Message, NodeView, PodView};
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use prost::Message as _;

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn quantities(pairs: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity { string: s(v) }))
        .collect()
}

fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn container(name: &str, requests: &[(&str, &str)], limits: &[(&str, &str)]) -> core::Container {
    core::Container {
        name: s(name),
        image: s("nginx:1.27"),
        resources: Some(core::ResourceRequirements {
            requests: quantities(requests),
            limits: quantities(limits),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pod() -> core::Pod {
    core::Pod {
        metadata: Some(meta::ObjectMeta {
            name: s("game-7x2k"),
            generate_name: s("game-"),
            namespace: s("games"),
            uid: s("5f1d6a3e-0000-4000-8000-000000000001"),
            resource_version: s("4242"),
            labels: strings(&[("agones.dev/role", "gameserver"), ("app", "game")]),
            annotations: strings(&[
                ("scheduler.wasmkwokwizardry.io/regex", "kubecon-.*"),
                ("x", ""),
            ]),
            finalizers: vec!["a".into()],
            creation_timestamp: Some(meta::Time {
                seconds: Some(1_700_000_000),
                nanos: Some(0),
            }),
            ..Default::default()
        }),
        spec: Some(core::PodSpec {
            containers: vec![
                container(
                    "game",
                    &[("cpu", "500m"), ("memory", "256Mi")],
                    &[("cpu", "1")],
                ),
                container("sidecar", &[("cpu", "50m")], &[]),
            ],
            init_containers: vec![container("init", &[("cpu", "2")], &[])],
            node_selector: strings(&[("kubernetes.io/os", "linux")]),
            node_name: s(""),
            scheduler_name: s("default-scheduler"),
            priority_class_name: s("low"),
            priority: Some(-10),
            tolerations: vec![core::Toleration {
                key: s("dedicated"),
                operator: s("Equal"),
                value: s("games"),
                effect: s("NoSchedule"),
                toleration_seconds: Some(300),
            }],
            overhead: quantities(&[("cpu", "10m")]),
            affinity: Some(core::Affinity::default()),
            ..Default::default()
        }),
        status: Some(core::PodStatus {
            phase: s("Pending"),
            ..Default::default()
        }),
    }
}

#[test]
fn pods_encoded_by_prost_read_back() {
    let bytes = pod().encode_to_vec();
    let view = PodView::new(&bytes);
    let meta = view.metadata();
    assert_eq!(meta.name().unwrap(), "game-7x2k");
    assert_eq!(meta.generate_name().unwrap(), "game-");
    assert_eq!(meta.namespace().unwrap(), "games");
    assert_eq!(meta.uid().unwrap(), "5f1d6a3e-0000-4000-8000-000000000001");
    assert_eq!(meta.resource_version().unwrap(), "4242");
    let labels: Vec<_> = meta.labels().iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(labels, [("agones.dev/role", "gameserver"), ("app", "game")]);
    assert_eq!(
        meta.annotations()
            .get("scheduler.wasmkwokwizardry.io/regex")
            .unwrap(),
        Some("kubecon-.*")
    );
    assert_eq!(meta.annotations().get("x").unwrap(), Some(""));
    assert_eq!(meta.annotations().get("y").unwrap(), None);

    let spec = view.spec();
    assert_eq!(spec.node_name().unwrap(), "");
    assert_eq!(spec.scheduler_name().unwrap(), "default-scheduler");
    assert_eq!(spec.priority_class_name().unwrap(), "low");
    assert_eq!(spec.priority().unwrap(), Some(-10));
    assert_eq!(
        spec.node_selector().get("kubernetes.io/os").unwrap(),
        Some("linux")
    );
    assert_eq!(spec.overhead().get("cpu").unwrap(), Some("10m"));
    let containers: Vec<_> = spec.containers().collect::<Result<_, _>>().unwrap();
    assert_eq!(containers.len(), 2);
    assert_eq!(containers[0].name().unwrap(), "game");
    assert_eq!(containers[0].image().unwrap(), "nginx:1.27");
    assert_eq!(
        containers[0].resources().requests().get("cpu").unwrap(),
        Some("500m")
    );
    assert_eq!(
        containers[0].resources().requests().get("memory").unwrap(),
        Some("256Mi")
    );
    assert_eq!(
        containers[0].resources().limits().get("cpu").unwrap(),
        Some("1")
    );
    assert_eq!(
        containers[1].resources().requests().get("cpu").unwrap(),
        Some("50m")
    );
    assert!(containers[1].resources().limits().is_empty());
    let init: Vec<_> = spec.init_containers().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        init[0].resources().requests().get("cpu").unwrap(),
        Some("2")
    );
    let toleration = spec.tolerations().next().unwrap().unwrap();
    assert_eq!(toleration.key().unwrap(), "dedicated");
    assert_eq!(toleration.operator().unwrap(), "Equal");
    assert_eq!(toleration.value().unwrap(), "games");
    assert_eq!(toleration.effect().unwrap(), "NoSchedule");
    assert_eq!(toleration.toleration_seconds().unwrap(), Some(300));
    assert_eq!(view.phase().unwrap(), "Pending");
}

#[test]
fn nodes_encoded_by_prost_read_back() {
    let node = core::Node {
        metadata: Some(meta::ObjectMeta {
            name: s("kubecon-1"),
            labels: strings(&[("topology.kubernetes.io/zone", "eu-1a")]),
            annotations: strings(&[(
                "scheduler.wasmkwokwizardry.io/load-feedback",
                "current-load=3, target-load=6, max-load=8",
            )]),
            ..Default::default()
        }),
        spec: Some(core::NodeSpec {
            unschedulable: Some(true),
            taints: vec![
                core::Taint {
                    key: s("gpu"),
                    value: s("true"),
                    effect: s("NoSchedule"),
                    time_added: None,
                },
                core::Taint {
                    key: s("spot"),
                    value: s(""),
                    effect: s("PreferNoSchedule"),
                    time_added: None,
                },
            ],
            ..Default::default()
        }),
        status: Some(core::NodeStatus {
            capacity: quantities(&[("cpu", "4"), ("memory", "32Gi"), ("pods", "110")]),
            allocatable: quantities(&[("cpu", "3800m"), ("memory", "30Gi"), ("pods", "110")]),
            ..Default::default()
        }),
    };
    let bytes = node.encode_to_vec();
    let view = NodeView::new(&bytes);
    assert_eq!(view.metadata().name().unwrap(), "kubecon-1");
    assert_eq!(
        view.metadata()
            .labels()
            .get("topology.kubernetes.io/zone")
            .unwrap(),
        Some("eu-1a")
    );
    assert_eq!(
        view.metadata()
            .annotations()
            .get("scheduler.wasmkwokwizardry.io/load-feedback")
            .unwrap(),
        Some("current-load=3, target-load=6, max-load=8")
    );
    assert!(view.spec().unschedulable().unwrap());
    let taints: Vec<_> = view
        .spec()
        .taints()
        .map(|t| t.map(|t| (t.key().unwrap(), t.value().unwrap(), t.effect().unwrap())))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        taints,
        [
            ("gpu", "true", "NoSchedule"),
            ("spot", "", "PreferNoSchedule")
        ]
    );
    assert_eq!(
        view.status().capacity().get("memory").unwrap(),
        Some("32Gi")
    );
    assert_eq!(
        view.status().allocatable().get("cpu").unwrap(),
        Some("3800m")
    );
    assert_eq!(
        view.status().allocatable().get("pods").unwrap(),
        Some("110")
    );
}

#[test]
fn the_test_builders_encode_what_prost_decodes() {
    use common::testing::{NodeBuilder, PodBuilder};
    let bytes = PodBuilder::new("p")
        .namespace("ns")
        .label("b", "2")
        .label("a", "1")
        .annotation("k", "v")
        .node_selector("disk", "ssd")
        .request("cpu", "100m")
        .priority(7)
        .build();
    let pod = core::Pod::decode(bytes.as_slice()).unwrap();
    let meta = pod.metadata.unwrap();
    assert_eq!(meta.name.as_deref(), Some("p"));
    assert_eq!(meta.namespace.as_deref(), Some("ns"));
    assert_eq!(meta.labels, strings(&[("a", "1"), ("b", "2")]));
    assert_eq!(meta.annotations, strings(&[("k", "v")]));
    let spec = pod.spec.unwrap();
    assert_eq!(spec.priority, Some(7));
    assert_eq!(spec.node_selector, strings(&[("disk", "ssd")]));
    assert_eq!(
        spec.containers[0].resources.as_ref().unwrap().requests,
        quantities(&[("cpu", "100m")])
    );

    let bytes = NodeBuilder::new("n")
        .unschedulable()
        .taint("k", "v", "NoExecute")
        .allocatable("cpu", "2")
        .build();
    let node = core::Node::decode(bytes.as_slice()).unwrap();
    let spec = node.spec.unwrap();
    assert_eq!(spec.unschedulable, Some(true));
    assert_eq!(spec.taints[0].effect.as_deref(), Some("NoExecute"));
    assert_eq!(
        node.status.unwrap().allocatable,
        quantities(&[("cpu", "2")])
    );
}

/// Reads every field the views offer; errors are fine, panics are not.
fn read_everything(bytes: &[u8]) {
    let pod = PodView::new(bytes);
    let meta = pod.metadata();
    let _ = (
        meta.name(),
        meta.namespace(),
        meta.uid(),
        meta.annotations().get("a"),
        meta.labels().iter().count(),
    );
    let spec = pod.spec();
    let _ = (
        spec.node_name(),
        spec.priority(),
        spec.node_selector().get("k"),
        spec.overhead().iter().count(),
    );
    for c in spec.containers().chain(spec.init_containers()).flatten() {
        let _ = (
            c.name(),
            c.resources().requests().get("cpu"),
            c.resources().limits().iter().count(),
        );
    }
    for t in spec.tolerations().flatten() {
        let _ = (
            t.key(),
            t.operator(),
            t.value(),
            t.effect(),
            t.toleration_seconds(),
        );
    }
    let node = NodeView::new(bytes);
    let _ = (
        node.spec().unschedulable(),
        node.status().allocatable().get("cpu"),
    );
    for t in node.spec().taints().flatten() {
        let _ = (t.key(), t.value(), t.effect());
    }
    let _ = Message::new(bytes).message(1).message(2).message(3).str(4);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        read_everything(&bytes);
    }

    #[test]
    fn corrupted_real_pods_never_panic(index in 0usize..4096, byte in proptest::prelude::any::<u8>(), cut in 0usize..4096) {
        let mut bytes = pod().encode_to_vec();
        let i = index % bytes.len();
        bytes[i] = byte;
        bytes.truncate(cut.max(1).min(bytes.len()));
        read_everything(&bytes);
    }
}
