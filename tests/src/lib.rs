//! Shared helpers for the integration tests: finding the built guests and making Kubernetes
//! objects as JSON, the way a kube-scheduler-simulator export holds them.
#![allow(clippy::expect_used)] // test helpers: a bad fixture should fail the test loudly

use std::path::PathBuf;

use serde_json::{Value, json};
use simulator_host::{Cluster, PluginArgs, PodObject, WasmPlugin};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The path of a built guest: `static/<name>.wasm` (shipped guests) or `target/guests/<name>.wasm`
/// (test fixtures). Panics with the command to run when it has not been built.
pub fn guest(name: &str) -> PathBuf {
    for dir in ["static", "target/guests"] {
        let path = root().join(dir).join(format!("{name}.wasm"));
        if path.exists() {
            return path;
        }
    }
    panic!("{name}.wasm is not built: run `make build` first");
}

/// Loads a built guest under `name` with `guest_config`, over `nodes`.
pub fn load(guest_name: &str, guest_config: &str, nodes: &[Value]) -> WasmPlugin {
    let mut args = PluginArgs::new(format!("file://{}", guest(guest_name).display()));
    args.guest_config = guest_config.to_owned();
    let cluster = Cluster::from_nodes_json(nodes).expect("nodes");
    match WasmPlugin::load(guest_name, &args, cluster) {
        Ok(plugin) => plugin,
        Err(e) => panic!("loading {guest_name}: {e}"),
    }
}

/// A node as JSON, with annotations.
pub fn node(name: &str, annotations: &[(&str, &str)]) -> Value {
    let annotations: serde_json::Map<String, Value> = annotations
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "metadata": {"name": name, "uid": format!("{name}-uid"), "annotations": annotations},
        "status": {"allocatable": {"cpu": "4", "memory": "32Gi", "pods": "110"}}
    })
}

/// A pending pod as JSON, with labels and annotations.
pub fn pod_json(name: &str, labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> Value {
    let map = |pairs: &[(&str, &str)]| -> serde_json::Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect()
    };
    json!({
        "metadata": {
            "name": name, "namespace": "default", "uid": format!("{name}-uid"),
            "labels": map(labels), "annotations": map(annotations)
        },
        "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.9"}]}
    })
}

/// A pending pod, ready for the host.
pub fn pod(name: &str, annotations: &[(&str, &str)]) -> PodObject {
    PodObject::from_json(&pod_json(name, &[], annotations)).expect("pod")
}

/// The RegexScheduling annotation key.
pub const REGEX: &str = "scheduler.wasmkwokwizardry.io/regex";
