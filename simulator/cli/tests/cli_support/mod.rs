//! Helpers for the CLI tests: run the built `simulator` binary from the repository root, write
//! scenarios and `.wat` fixtures to temporary directories, read JSON-lines output.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

/// The repository root (where `make run` runs, and where `file://static/…` resolves).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The `simulator` binary, run from the repository root.
pub fn simulator() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_simulator"));
    c.current_dir(root());
    // Tests do not depend on (or fill) the user's compiled-guest cache; `cached_runs_match` in
    // cli_run.rs turns it on in a directory of its own.
    c.env("SIMULATOR_MODULE_CACHE", "off");
    c
}

/// Runs `simulator ARGS` and returns its output.
pub fn run(args: &[&str]) -> Output {
    simulator().args(args).output().expect("run simulator")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Panics with the command to run when a shipped guest has not been built.
pub fn require_guest(name: &str) -> PathBuf {
    let p = root().join("static").join(format!("{name}.wasm"));
    assert!(
        p.exists(),
        "{} is not built: run `make build` first",
        p.display()
    );
    p
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "simulator-cli-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes a file and returns its absolute path as a string.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("write");
        p.display().to_string()
    }

    /// Compiles `simulator/cli/tests/fixtures/<fixture>.wat` to `<dir>/<fixture>.wasm`.
    pub fn wat(&self, fixture: &str) -> String {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(format!("{fixture}.wat"));
        let wasm = wat::parse_file(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        self.write(&format!("{fixture}.wasm"), wasm)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub const REGEX: &str = "scheduler.wasmkwokwizardry.io/regex";

/// A node as a kube-scheduler-simulator export holds it.
pub fn node(name: &str) -> Value {
    json!({
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {},
        "status": {
            "capacity": {"cpu": "4", "memory": "32Gi", "pods": "110"},
            "allocatable": {"cpu": "4", "memory": "32Gi", "pods": "110"}
        }
    })
}

/// A pending pod with annotations.
pub fn pod(name: &str, annotations: &[(&str, &str)]) -> Value {
    let ann: serde_json::Map<String, Value> = annotations
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "metadata": {"name": name, "namespace": "default", "annotations": ann},
        "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.5",
                                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}
    })
}

/// A profile enabling `plugins` (name, weight) in multiPoint with their wasm args.
pub fn config(plugins: &[(&str, i64, Value)]) -> Value {
    let enabled: Vec<Value> = plugins
        .iter()
        .map(|(n, w, _)| {
            if *w == 0 {
                json!({"name": n})
            } else {
                json!({"name": n, "weight": w})
            }
        })
        .collect();
    let plugin_config: Vec<Value> = plugins
        .iter()
        .map(|(n, _, args)| json!({"name": n, "args": args}))
        .collect();
    json!({
        "apiVersion": "kubescheduler.config.k8s.io/v1",
        "kind": "KubeSchedulerConfiguration",
        "profiles": [{
            "schedulerName": "default-scheduler",
            "plugins": {"multiPoint": {"enabled": enabled}},
            "pluginConfig": plugin_config
        }]
    })
}

/// A scenario in the export format.
pub fn scenario(nodes: &[Value], pods: &[Value], config: Option<Value>) -> String {
    let mut s = json!({"pods": pods, "nodes": nodes, "pvs": [], "pvcs": [],
                       "storageClasses": [], "priorityClasses": [], "namespaces": []});
    if let Some(c) = config {
        s["schedulerConfig"] = c;
    }
    serde_json::to_string_pretty(&s).expect("json")
}

/// The JSON lines of `run --json`: the pods and the summary.
pub fn json_lines(o: &Output) -> (Vec<Value>, Value) {
    let mut pods = Vec::new();
    let mut summary = Value::Null;
    for line in stdout(o).lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if let Some(s) = v.get("summary") {
            summary = s.clone();
        } else {
            pods.push(v);
        }
    }
    (pods, summary)
}

/// `pod → node` (or `-` when pending) for every pod line.
pub fn placements(pods: &[Value]) -> Vec<(String, String)> {
    pods.iter()
        .map(|p| {
            (
                p["pod"].as_str().unwrap_or_default().to_string(),
                p["node"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}
