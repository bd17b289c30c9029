//! Loopback load test of `POST /mutate` over HTTPS: prints latency percentiles (not a test: the
//! numbers depend on the machine).
//!
//! `cargo run --release -p fleet-context --example mutate_load [-- CONNECTIONS REQUESTS_EACH FLEETS]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fleet_context::crd::{Fleet, FleetAutoscaler};
use fleet_context::enrich::Options;
use fleet_context::store::Store;
use fleet_context::{AppState, router};
use serde_json::json;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let (connections, per_connection, fleets) = (arg(1, 8), arg(2, 2000), arg(3, 200));
    let store = Arc::new(Store::new());
    for i in 0..fleets {
        let fleet: Fleet = serde_json::from_value(json!({
            "metadata": {"name": format!("fleet-{i}"), "namespace": "games"},
            "status": {"replicas": 10 + i, "readyReplicas": 4, "allocatedReplicas": 6}
        }))
        .unwrap();
        store.apply_fleet(&fleet);
        let fas: FleetAutoscaler = serde_json::from_value(json!({
            "metadata": {"name": format!("fleet-{i}-fas"), "namespace": "games"},
            "spec": {"fleetName": format!("fleet-{i}"), "policy": {"type": "Buffer", "buffer": {"bufferSize": 5, "maxReplicas": 1000}}}
        }))
        .unwrap();
        store.apply_autoscaler(&fas).unwrap();
    }
    let server = support::start(router(AppState::new(store, Options::default()))).await;
    let pod: serde_json::Value =
        serde_json::from_str(include_str!("../tests/fixtures/gameserver-pod.json")).unwrap();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let mut client = support::Client::connect(&server).await;
        let pod = pod.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_connection);
            for i in 0..per_connection {
                let name = format!("fleet-{}-x7k2p-9bq4z", (c * per_connection + i) % fleets);
                let mut p = pod.clone();
                p["metadata"]["name"] = json!(name);
                p["metadata"]["labels"]["agones.dev/gameserver"] = json!(name);
                let body = support::pod_create_review(&format!("u-{c}-{i}"), &p).to_string();
                let t = Instant::now();
                let (status, answer) = client.send("POST", "/mutate", body.as_bytes()).await;
                latencies.push(t.elapsed());
                assert_eq!(status, 200);
                assert!(answer.windows(5).any(|w| w == b"patch"), "not enriched");
            }
            latencies
        }));
    }
    let mut all: Vec<Duration> = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1];
    println!(
        "POST /mutate over HTTPS on loopback: {} requests, {connections} connections, {fleets} fleets, {:.0} req/s",
        all.len(),
        all.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "latency p50 {:?}  p90 {:?}  p99 {:?}  p99.9 {:?}  max {:?}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(0.999),
        all[all.len() - 1]
    );
}
