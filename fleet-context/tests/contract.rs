//! What fleet-context writes is what FleetScore reads: the same keys, and annotations that
//! fleet-score's own code parses into the pressure the worked example of the README gives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fleet_autoscaling::{FleetAutoscalerPolicy, FleetStatus};
use fleet_context::crd::{Fleet, FleetAutoscaler};
use fleet_context::enrich::{self, Options, PodMeta};
use fleet_context::store::Store;
use serde_json::json;

#[test]
fn keys_are_fleet_scores() {
    assert_eq!(
        fleet_context::DEFAULT_FLEET_LABEL,
        fleet_score::DEFAULT_FLEET_LABEL
    );
    assert_eq!(
        fleet_context::STATUS_ANNOTATION,
        fleet_score::STATUS_ANNOTATION
    );
    assert_eq!(
        fleet_context::POLICY_ANNOTATION,
        fleet_score::POLICY_ANNOTATION
    );
    assert_eq!(fleet_context::LOAD_ANNOTATION, fleet_score::LOAD_ANNOTATION);
}

#[test]
fn the_annotations_give_fleet_score_the_fleets_pressure() {
    let store = Store::new();
    let fleet: Fleet =
        serde_json::from_value(json!({"metadata": {"name": "lobby", "namespace": "games"},
        "status": {"replicas": 2, "readyReplicas": 0, "allocatedReplicas": 2}}))
        .unwrap();
    store.apply_fleet(&fleet);
    let fas: FleetAutoscaler = serde_json::from_value(json!({"metadata": {"name": "a", "namespace": "games"},
        "spec": {"fleetName": "lobby", "policy": {"type": "Buffer", "buffer": {"bufferSize": 5, "maxReplicas": 100}}}})).unwrap();
    store.apply_autoscaler(&fas).unwrap();
    let pod = PodMeta::from_pod(&json!({"metadata": {"name": "lobby-x7k2p-9bq4z",
        "labels": {"agones.dev/role": "gameserver"}}}))
    .unwrap();
    let e = enrich::enrich(&pod, "games", &store, &Options::default()).unwrap();
    let get = |k: &str| {
        e.annotations
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let status: FleetStatus = serde_json::from_str(&get(fleet_score::STATUS_ANNOTATION)).unwrap();
    let policy: FleetAutoscalerPolicy =
        serde_json::from_str(&get(fleet_score::POLICY_ANNOTATION)).unwrap();
    let p = fleet_score::pressure(&policy, &Default::default(), &status).unwrap();
    assert_eq!((p.desired, p.replicas), (7, 2));
    assert!((p.pressure - 5.0 / 7.0).abs() < 1e-12);
}
