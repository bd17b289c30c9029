//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde_json::json;
use simulator_host::{Cluster, LoadError, PluginArgs, PodObject, WasmPlugin};

/// Compiles `tests/fixtures/<path>.wat` to wasm bytes.
pub fn fixture(path: &str) -> Vec<u8> {
    let file = format!("{}/tests/fixtures/{path}.wat", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Writes the compiled fixture to a temporary file and returns its `file://` URL.
pub fn fixture_url(path: &str) -> String {
    let dir = std::env::temp_dir().join(format!("simulator-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.wasm", path.replace('/', "_")));
    // Tests run in parallel: write a unique file and rename it, so no reader sees a partial file.
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!("{}.{n}.tmp", path.replace('/', "_")));
    std::fs::write(&tmp, fixture(path)).unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    format!("file://{}", file.display())
}

/// Loads a fixture through its file:// URL, as the real plugin would, with these args.
pub fn load_with(
    path: &str,
    mut args: PluginArgs,
    cluster: Cluster,
) -> Result<WasmPlugin, LoadError> {
    args.guest_url = fixture_url(path);
    WasmPlugin::load("wasm", &args, cluster)
}

/// Loads a fixture with default args and an empty cluster.
pub fn load(path: &str) -> Result<WasmPlugin, LoadError> {
    load_with(path, PluginArgs::default(), Cluster::new())
}

/// Upstream's `PodSmall`.
pub fn pod_small() -> PodObject {
    PodObject::from_json(&json!({
        "metadata": {"name": "good-pod", "namespace": "test", "uid": "384900cd-dc7b-41ec-837e-9c4c1762363e"},
        "spec": {"nodeName": "good-node"},
    }))
    .unwrap()
}

/// A pod with only a name and UID.
pub fn pod(name: &str, uid: &str) -> PodObject {
    PodObject::from_json(&json!({"metadata": {"name": name, "uid": uid}})).unwrap()
}

/// A cluster of nodes that have only names.
pub fn nodes(names: &[&str]) -> Cluster {
    let v: Vec<_> = names
        .iter()
        .map(|n| json!({"metadata": {"name": n}}))
        .collect();
    Cluster::from_nodes_json(&v).unwrap()
}
