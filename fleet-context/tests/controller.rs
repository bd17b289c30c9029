//! The node-load controller against recorded API responses: a local HTTP server replays a pod
//! list, a pod watch stream and a node list as the API server sends them, and records the node
//! patches the controller makes through a real kube-rs client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use fleet_context::load::LoadConfig;
use fleet_context::watch::{NodeLoadOptions, node_loads};
use futures::StreamExt as _;
use serde_json::Value;

const PODS: &str = include_str!("fixtures/recorded/pods-list.json");
const POD_EVENTS: &str = include_str!("fixtures/recorded/pods-watch.jsonl");
const NODES: &str = include_str!("fixtures/recorded/nodes-list.json");

#[derive(Clone, Default)]
struct Recorder {
    requests: Arc<Mutex<Vec<String>>>,
    patches: Arc<Mutex<Vec<(String, Value)>>>,
    pod_watches: Arc<Mutex<usize>>,
}

fn json(body: String) -> Response {
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// A watch response that sends `events` and then stays open, as a quiet watch does.
fn stream(events: &'static str) -> Response {
    let lines: Vec<Result<String, std::io::Error>> =
        events.lines().map(|l| Ok(format!("{l}\n"))).collect();
    let body = futures::stream::iter(lines).chain(futures::stream::pending());
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from_stream(body))
        .unwrap()
}

async fn api(State(rec): State<Recorder>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let method = req.method().clone();
    rec.requests
        .lock()
        .unwrap()
        .push(format!("{method} {path}?{query}"));
    let watch = query.contains("watch=true");
    match (method.as_str(), path.as_str()) {
        ("GET", "/api/v1/pods") if watch => {
            let first = {
                let mut n = rec.pod_watches.lock().unwrap();
                *n += 1;
                *n == 1
            };
            stream(if first { POD_EVENTS } else { "" })
        }
        ("GET", "/api/v1/pods") => {
            assert!(
                query.contains("labelSelector=agones.dev%2Frole%3Dgameserver"),
                "{query}"
            );
            json(PODS.to_owned())
        }
        ("GET", "/api/v1/nodes") if watch => stream(""),
        ("GET", "/api/v1/nodes") => json(NODES.to_owned()),
        ("PATCH", p) if p.starts_with("/api/v1/nodes/") => {
            let name = p.trim_start_matches("/api/v1/nodes/").to_owned();
            let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap();
            let patch: Value = serde_json::from_slice(&bytes).unwrap();
            rec.patches
                .lock()
                .unwrap()
                .push((name.clone(), patch.clone()));
            let nodes: Value = serde_json::from_str(NODES).unwrap();
            let mut node = nodes["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["metadata"]["name"] == name.as_str())
                .unwrap()
                .clone();
            node["metadata"]["annotations"] = patch["metadata"]["annotations"].clone();
            json(node.to_string())
        }
        _ => Response::builder()
            .status(404)
            .body(Body::from("{}"))
            .unwrap(),
    }
}

fn last_values(patches: &[(String, Value)]) -> BTreeMap<String, String> {
    patches
        .iter()
        .map(|(node, p)| {
            let v = p["metadata"]["annotations"]["scheduler.wasmkwokwizardry.io/load-feedback"]
                .as_str()
                .unwrap()
                .to_owned();
            (node.clone(), v)
        })
        .collect()
}

#[tokio::test]
async fn node_loads_are_patched_from_recorded_pod_events() {
    let rec = Recorder::default();
    let app = axum::Router::new().fallback(api).with_state(rec.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = kube::Config::new(format!("http://{addr}").parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    let (_leader_tx, leader) = tokio::sync::watch::channel(true);
    let opts = NodeLoadOptions {
        config: LoadConfig {
            default_max: Some(10),
            ..LoadConfig::default()
        },
        ..NodeLoadOptions::default()
    };
    tokio::spawn(node_loads(client, opts, leader));

    // After the list and the five recorded events: node-a keeps only lobby-…-ggggg (bbbbb finished,
    // ccccc deleted), node-b gains fffff and the formerly pending ddddd, node-c has none (its
    // stale annotation said 5). Wait (bounded) until the controller has written that.
    let expected: BTreeMap<String, String> = [
        ("node-a", "current-load=1, target-load=6, max-load=8"),
        ("node-b", "current-load=2, target-load=10, max-load=10"),
        ("node-c", "current-load=0, target-load=10, max-load=10"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    for _ in 0..400 {
        if last_values(&rec.patches.lock().unwrap()) == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let patches = rec.patches.lock().unwrap().clone();
    assert_eq!(last_values(&patches), expected, "{patches:?}");
    // Only changes are written: consecutive patches of one node always differ, and every patch
    // is a merge patch of that one annotation.
    let mut previous: BTreeMap<&str, &Value> = BTreeMap::new();
    for (node, patch) in &patches {
        assert_eq!(
            patch["metadata"]["annotations"].as_object().unwrap().len(),
            1
        );
        assert_ne!(
            previous.insert(node, patch),
            Some(patch),
            "{node} patched twice with the same value"
        );
    }
    let requests = rec.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /api/v1/pods?") && r.contains("watch=true")),
        "{requests:?}"
    );
}
