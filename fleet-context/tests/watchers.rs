//! The Fleet and FleetAutoscaler watchers against recorded API responses: a local HTTP server
//! replays the lists and a watch event as the API server sends them; a real kube-rs client feeds
//! the store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use fleet_context::store::Store;
use fleet_context::watch::{watch_autoscalers, watch_fleets};
use futures::StreamExt as _;
use serde_json::json;

fn fleet(rv: &str, replicas: i32, ready: i32) -> serde_json::Value {
    json!({"apiVersion": "agones.dev/v1", "kind": "Fleet",
        "metadata": {"name": "lobby", "namespace": "games", "resourceVersion": rv},
        "spec": {"replicas": replicas, "template": {"spec": {"template": {"spec": {"containers": [{"name": "gs", "image": "gs:1"}]}}}}},
        "status": {"replicas": replicas, "readyReplicas": ready, "reservedReplicas": 0, "allocatedReplicas": 2}})
}

fn respond(body: String, stream_then_hang: bool) -> Response {
    let builder = Response::builder().header("content-type", "application/json");
    if stream_then_hang {
        let lines = futures::stream::iter(
            body.lines()
                .map(|l| Ok::<_, std::io::Error>(format!("{l}\n")))
                .collect::<Vec<_>>(),
        );
        builder
            .body(Body::from_stream(lines.chain(futures::stream::pending())))
            .unwrap()
    } else {
        builder.body(Body::from(body)).unwrap()
    }
}

async fn api(req: Request) -> Response {
    let watch = req.uri().query().unwrap_or_default().contains("watch=true");
    match (req.uri().path(), watch) {
        ("/apis/agones.dev/v1/fleets", false) => respond(
            json!({"apiVersion": "agones.dev/v1", "kind": "FleetList", "metadata": {"resourceVersion": "10"},
                "items": [fleet("9", 2, 0)]}).to_string(),
            false,
        ),
        // Agones updates the status: 7 replicas, 5 Ready.
        ("/apis/agones.dev/v1/fleets", true) => respond(json!({"type": "MODIFIED", "object": fleet("11", 7, 5)}).to_string(), true),
        ("/apis/autoscaling.agones.dev/v1/fleetautoscalers", false) => respond(
            json!({"apiVersion": "autoscaling.agones.dev/v1", "kind": "FleetAutoscalerList", "metadata": {"resourceVersion": "10"},
                "items": [{"apiVersion": "autoscaling.agones.dev/v1", "kind": "FleetAutoscaler",
                    "metadata": {"name": "lobby-autoscaler", "namespace": "games", "resourceVersion": "8"},
                    "spec": {"fleetName": "lobby", "policy": {"type": "Buffer", "buffer": {"bufferSize": 5, "maxReplicas": 100}}}}]}).to_string(),
            false,
        ),
        ("/apis/autoscaling.agones.dev/v1/fleetautoscalers", true) => respond(String::new(), true),
        _ => Response::builder().status(404).body(Body::from("{}")).unwrap(),
    }
}

#[tokio::test]
async fn the_store_follows_the_recorded_fleet_and_autoscaler() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(api))
            .await
            .unwrap()
    });
    let client =
        kube::Client::try_from(kube::Config::new(format!("http://{addr}").parse().unwrap()))
            .unwrap();
    let store = Arc::new(Store::new());
    tokio::spawn(watch_fleets(client.clone(), store.clone()));
    tokio::spawn(watch_autoscalers(client, store.clone()));
    let done = |s: &Store| {
        s.fleet("games", "lobby").is_some_and(|v| {
            v.policy.is_some() && v.status.as_ref().is_some_and(|st| st.replicas == 7)
        })
    };
    for _ in 0..400 {
        if done(&store) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let view = store.fleet("games", "lobby").unwrap();
    let status = view.status.unwrap();
    assert_eq!(
        (
            status.replicas,
            status.ready_replicas,
            status.allocated_replicas
        ),
        (7, 5, 2)
    );
    assert_eq!(
        view.source,
        Some(fleet_context::store::StatusSource::Object)
    );
    assert_eq!(
        serde_json::to_value(view.policy.unwrap()).unwrap(),
        json!({"type": "Buffer", "buffer": {"bufferSize": 5, "maxReplicas": 100, "minReplicas": 0}})
    );
}
