//! fleet-context over real HTTPS on loopback: AdmissionReviews built from the objects Agones
//! creates, FleetAutoscaleReviews as Agones sends them, exact JSONPatches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use base64::Engine as _;
use fleet_context::enrich::Options;
use fleet_context::store::Store;
use fleet_context::{AppState, objects, router};
use serde_json::{Value, json};
use support::{Client, Server, pod_create_review};

const FLEETS: &str = include_str!("fixtures/fleets.yaml");
const POD: &str = include_str!("fixtures/gameserver-pod.json");
const BUFFER_5: &str =
    r#"{"type":"Buffer","buffer":{"maxReplicas":100,"minReplicas":0,"bufferSize":5}}"#;

async fn server() -> (Server, Arc<Store>) {
    let store = Arc::new(Store::new());
    let warnings = objects::load(&store, &objects::parse(FLEETS).unwrap());
    assert!(warnings.is_empty(), "{warnings:?}");
    let app = router(AppState::new(store.clone(), Options::default()));
    (support::start(app).await, store)
}

fn pod() -> Value {
    serde_json::from_str(POD).unwrap()
}

fn pod_named(name: &str) -> Value {
    let mut p = pod();
    p["metadata"]["name"] = json!(name);
    p["metadata"]["labels"]["agones.dev/gameserver"] = json!(name);
    p
}

/// Posts a review; returns the `response` object (status 200 asserted).
async fn mutate(client: &mut Client, review: &Value) -> Value {
    let (status, body) = client
        .send("POST", "/mutate", review.to_string().as_bytes())
        .await;
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(answer["kind"], "AdmissionReview");
    assert_eq!(answer["response"]["uid"], review["request"]["uid"]);
    assert_eq!(answer["response"]["allowed"], true);
    answer["response"].clone()
}

fn patch_of(response: &Value) -> Value {
    assert_eq!(response["patchType"], "JSONPatch");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(response["patch"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn status_patch(status: &str) -> Value {
    json!([
        {"op": "add", "path": "/metadata/labels/scheduler.wasmkwokwizardry.io~1fleet", "value": "lobby"},
        {"op": "add", "path": "/metadata/annotations/scheduler.wasmkwokwizardry.io~1fleet-status", "value": status},
        {"op": "add", "path": "/metadata/annotations/scheduler.wasmkwokwizardry.io~1fleet-policy", "value": BUFFER_5},
    ])
}

#[tokio::test]
async fn a_fleet_pod_with_known_status_gets_the_status_and_policy() {
    let (server, _) = server().await;
    let mut client = Client::connect(&server).await;
    let response = mutate(&mut client, &pod_create_review("u-1", &pod())).await;
    assert_eq!(
        patch_of(&response),
        status_patch(
            r#"{"replicas":2,"readyReplicas":0,"reservedReplicas":0,"allocatedReplicas":2,"allocations":0,"players":{"count":0,"capacity":0}}"#
        )
    );
    // Applied by an independent RFC 6902 implementation, the pod keeps everything Agones set.
    let mut patched = pod();
    json_patch::patch(
        &mut patched,
        &serde_json::from_value::<json_patch::Patch>(patch_of(&response)).unwrap(),
    )
    .unwrap();
    assert_eq!(
        patched["metadata"]["labels"]["scheduler.wasmkwokwizardry.io/fleet"],
        "lobby"
    );
    assert_eq!(
        patched["metadata"]["labels"]["agones.dev/role"],
        "gameserver"
    );
    assert_eq!(
        patched["metadata"]["annotations"]["agones.dev/container"],
        "simple-game-server"
    );
}

#[tokio::test]
async fn a_pod_without_labels_or_annotations_gets_whole_maps() {
    let (server, _) = server().await;
    let mut client = Client::connect(&server).await;
    // The FleetScore label is already in the pod template; no annotations at all.
    let mut p = pod();
    p["metadata"]["labels"] =
        json!({"agones.dev/role": "gameserver", "scheduler.wasmkwokwizardry.io/fleet": "lobby"});
    p["metadata"].as_object_mut().unwrap().remove("annotations");
    let response = mutate(&mut client, &pod_create_review("u-2", &p)).await;
    let patch = patch_of(&response);
    assert_eq!(patch.as_array().unwrap().len(), 1, "{patch}");
    assert_eq!(patch[0]["path"], "/metadata/annotations");
    assert_eq!(
        patch[0]["value"]["scheduler.wasmkwokwizardry.io/fleet-policy"],
        BUFFER_5
    );
    json_patch::patch(
        &mut p,
        &serde_json::from_value::<json_patch::Patch>(patch).unwrap(),
    )
    .unwrap();
    assert!(p["metadata"]["annotations"]["scheduler.wasmkwokwizardry.io/fleet-status"].is_string());
}

#[tokio::test]
async fn pods_it_cannot_enrich_pass_unchanged() {
    let (server, _) = server().await;
    let mut client = Client::connect(&server).await;
    let cases = [
        // A fleet fleet-context has never heard of.
        pod_named("unknown-x7k2p-9bq4z"),
        // A known fleet without a status yet (arena's Fleet object has none).
        pod_named("arena-x7k2p-9bq4z"),
        // Not a game server.
        json!({"metadata": {"name": "web-1", "namespace": "games", "labels": {"app": "web"}}, "spec": {}}),
        // A standalone GameServer's pod: no generated name of any fleet.
        pod_named("my-test-server"),
    ];
    for (i, p) in cases.iter().enumerate() {
        let response = mutate(&mut client, &pod_create_review(&format!("u-{i}"), p)).await;
        assert_eq!(
            response,
            json!({"uid": format!("u-{i}"), "allowed": true}),
            "{i}"
        );
    }
    // Not a CREATE, and not a Pod.
    let mut update = pod_create_review("u-up", &pod());
    update["request"]["operation"] = json!("UPDATE");
    assert_eq!(
        mutate(&mut client, &update).await,
        json!({"uid": "u-up", "allowed": true})
    );
    let mut svc = pod_create_review("u-svc", &json!({"metadata": {"name": "s"}}));
    svc["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "Service"});
    assert_eq!(
        mutate(&mut client, &svc).await,
        json!({"uid": "u-svc", "allowed": true})
    );
}

#[tokio::test]
async fn malformed_reviews_are_400_with_a_clear_message() {
    let (server, _) = server().await;
    let mut client = Client::connect(&server).await;
    let mut v1beta1 = pod_create_review("u", &pod());
    v1beta1["apiVersion"] = json!("admission.k8s.io/v1beta1");
    let mut no_uid = pod_create_review("u", &pod());
    no_uid["request"].as_object_mut().unwrap().remove("uid");
    let mut no_object = pod_create_review("u", &pod());
    no_object["request"]["object"] = Value::Null;
    let mut bad_labels = pod_create_review("u", &pod());
    bad_labels["request"]["object"]["metadata"]["labels"] = json!({"a": 1});
    let cases = [
        (
            "{\"apiVersion\":".to_owned(),
            "bad AdmissionReview: invalid JSON: EOF while parsing a value at line 1 column 14",
        ),
        (
            v1beta1.to_string(),
            "bad AdmissionReview: apiVersion must be \"admission.k8s.io/v1\", got \"admission.k8s.io/v1beta1\"",
        ),
        (
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}).to_string(),
            "bad AdmissionReview: request is missing",
        ),
        (
            no_uid.to_string(),
            "bad AdmissionReview: request.uid is missing",
        ),
        (
            no_object.to_string(),
            "bad AdmissionReview: request.object is missing for a Pod CREATE",
        ),
        (
            bad_labels.to_string(),
            "bad AdmissionReview: request.object.metadata: invalid type: integer `1`, expected a string",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = client.send("POST", "/mutate", body.as_bytes()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            serde_json::from_slice::<Value>(&answer).unwrap(),
            json!({"error": message})
        );
    }
    let (status, _) = client.send("GET", "/mutate", b"").await;
    assert_eq!(status, 405);
    let (status, body) = client.send("GET", "/healthz", b"").await;
    assert_eq!((status, body.as_slice()), (200, b"ok".as_slice()));
}

#[tokio::test]
async fn each_pod_gets_the_status_of_its_moment_learned_from_scale_reviews() {
    let (server, store) = server().await;
    let mut client = Client::connect(&server).await;
    let first = mutate(
        &mut client,
        &pod_create_review("u-1", &pod_named("lobby-x7k2p-9bq4z")),
    )
    .await;
    assert_eq!(
        patch_of(&first)[1]["value"],
        r#"{"replicas":2,"readyReplicas":0,"reservedReplicas":0,"allocatedReplicas":2,"allocations":0,"players":{"count":0,"capacity":0}}"#
    );

    // Agones' FleetAutoscaler sync: the fleet has grown to 7 (5 Ready, 2 Allocated).
    let review = json!({"request": {"uid": "s-1", "name": "lobby", "namespace": "games",
        "status": {"replicas": 7, "readyReplicas": 5, "reservedReplicas": 0, "allocatedReplicas": 2}}});
    let (status, body) = client
        .send("POST", "/scale", review.to_string().as_bytes())
        .await;
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 200, "{answer}");
    // Buffer 5 over 2 allocated: 7, which the fleet has: no scaling.
    assert_eq!(
        answer["response"],
        json!({"uid": "s-1", "scale": false, "replicas": 7})
    );
    assert_eq!(
        store
            .fleet("games", "lobby")
            .unwrap()
            .status
            .unwrap()
            .replicas,
        7
    );

    let second = mutate(
        &mut client,
        &pod_create_review("u-2", &pod_named("lobby-x7k2p-bq4z9")),
    )
    .await;
    assert_eq!(
        patch_of(&second),
        status_patch(
            r#"{"replicas":7,"readyReplicas":5,"reservedReplicas":0,"allocatedReplicas":2,"allocations":0}"#
        )
    );
}

#[tokio::test]
async fn scale_reviews_of_fleets_without_a_policy_are_422_but_teach_the_status() {
    let (server, store) = server().await;
    let mut client = Client::connect(&server).await;
    let review = json!({"request": {"uid": "s-2", "name": "arena", "namespace": "games",
        "status": {"replicas": 1, "readyReplicas": 1}}});
    let (status, body) = client
        .send("POST", "/scale", review.to_string().as_bytes())
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"error": "no policy for fleet games/arena: give its FleetAutoscaler a Buffer, Counter or List policy in the annotation scheduler.wasmkwokwizardry.io/fleet-policy, or start fleet-context with --policy"})
    );
    assert_eq!(
        store
            .fleet("games", "arena")
            .unwrap()
            .status
            .unwrap()
            .ready_replicas,
        1
    );
    // Now arena's pods are enriched (status only: no policy known).
    let response = mutate(
        &mut client,
        &pod_create_review("u-3", &pod_named("arena-x7k2p-9bq4z")),
    )
    .await;
    let patch = patch_of(&response);
    assert_eq!(patch.as_array().unwrap().len(), 2, "{patch}");
    assert_eq!(
        patch[1]["value"],
        r#"{"replicas":1,"readyReplicas":1,"reservedReplicas":0,"allocatedReplicas":0,"allocations":0}"#
    );
    let (status, body) = client.send("POST", "/scale", b"{\"request\":").await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
}
