//! The cluster source against recorded API responses: a local HTTP server answers the lists (the
//! fixture files, as the API server sends them) and one watch event per kind; a real kube-rs
//! client keeps the stores the maps are built from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use burst_metrics::Mapping;
use burst_metrics::source::watch;
use futures::StreamExt as _;
use serde_json::{Value, json};

fn items(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    match serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap() {
        Value::Array(items) => items,
        Value::Object(mut list) => match list.remove("items") {
            Some(Value::Array(items)) => items,
            other => panic!("{name}: items is {other:?}"),
        },
        other => panic!("{name}: {other}"),
    }
}

/// A list as the API server answers it: kind, apiVersion, a list resourceVersion.
fn list(kind: &str, api_version: &str, fixture: &str) -> String {
    json!({"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": "100"},
        "items": items(fixture)})
    .to_string()
}

/// A watch answer: `events`, one JSON object per line, then the connection stays open.
fn watch_stream(events: Vec<Value>) -> Response {
    let lines: Vec<Result<String, std::io::Error>> =
        events.iter().map(|e| Ok(format!("{e}\n"))).collect();
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from_stream(
            futures::stream::iter(lines).chain(futures::stream::pending()),
        ))
        .unwrap()
}

fn json_response(body: String) -> Response {
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// The fixture HPA `name` at `resource_version`.
fn hpa(name: &str, resource_version: &str) -> Value {
    let mut hpa = items("hpas.json")
        .into_iter()
        .find(|h| h["metadata"]["name"] == name)
        .unwrap();
    hpa["metadata"]["resourceVersion"] = json!(resource_version);
    hpa
}

/// The echo HPA after the HPA controller scaled it to its maximum of 2.
fn echo_scaled() -> Value {
    let mut hpa = hpa("echo", "101");
    hpa["status"]["currentReplicas"] = json!(2);
    hpa["status"]["desiredReplicas"] = json!(2);
    hpa
}

async fn api(req: Request) -> Response {
    let watching = req.uri().query().unwrap_or_default().contains("watch=true");
    match (req.uri().path(), watching) {
        ("/apis/autoscaling/v2/horizontalpodautoscalers", false) => json_response(list(
            "HorizontalPodAutoscalerList",
            "autoscaling/v2",
            "hpas.json",
        )),
        ("/apis/autoscaling/v2/horizontalpodautoscalers", true) => watch_stream(vec![
            json!({"type": "MODIFIED", "object": echo_scaled()}),
            json!({"type": "DELETED", "object": hpa("cart-hpa", "102")}),
        ]),
        ("/apis/apps/v1/deployments", false) => {
            json_response(list("DeploymentList", "apps/v1", "deployments.json"))
        }
        ("/api/v1/services", false) => json_response(list("ServiceList", "v1", "services.json")),
        (_, true) => watch_stream(Vec::new()),
        _ => Response::builder()
            .status(404)
            .body(Body::from("{}"))
            .unwrap(),
    }
}

#[tokio::test]
async fn the_maps_follow_the_recorded_hpas() {
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
    let source = watch(client);
    let mapping = Mapping::default();

    // The list, then the watch: echo scaled to 2, cart's HPA deleted.
    let echo = "service=default/echo, current-load=2, target-load=1, max-load=2";
    let mut maps = source.maps(&mapping).unwrap();
    for _ in 0..500 {
        if maps.services.get("default/echo").map(String::as_str) == Some(echo)
            && !maps.hpas.contains_key("shop/cart-hpa")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        maps = source.maps(&mapping).unwrap();
    }
    assert_eq!(
        serde_json::to_value(&maps.services).unwrap(),
        json!({"default/echo": echo}),
        "the service map after the watch events"
    );
    assert_eq!(
        serde_json::to_value(&maps.hpas).unwrap(),
        json!({"default/echo": echo}),
        "the HPA map after the watch events"
    );
}
