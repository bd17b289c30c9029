//! A local host for [kube-scheduler-wasm-extension] guests that behaves like the production host
//! (Go + wazero) for every hook: the same loading steps and error texts, the same instance pool,
//! host functions, encodings, klog quirks and trap messages. The contract it implements is
//! `docs/abi.md`; section numbers in these docs refer to it.
//!
//! It runs any guest built for that extension: the Rust guests of this workspace and TinyGo ones.
//!
//! ```no_run
//! use serde_json::json;
//! use simulator_host::{Cluster, PluginArgs, PodObject, Status, WasmPlugin};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cluster = Cluster::from_nodes_json(&[
//!     json!({"metadata": {"name": "kubecon-1"}}),
//!     json!({"metadata": {"name": "oz-1"}}),
//! ])?;
//! let args = PluginArgs::new("file://static/regex_v2.wasm");
//! let plugin = WasmPlugin::load("WasmRegexScheduling", &args, cluster)?;
//!
//! let pod = PodObject::from_json(&json!({
//!     "metadata": {"name": "p", "uid": "u1",
//!                  "annotations": {"scheduler.wasmkwokwizardry.io/regex": "kubecon-.*"}},
//! }))?;
//! let (status, _nodes) = plugin.pre_filter(&pod)?;
//! assert!(status.is_success());
//! assert_eq!(plugin.filter(&pod, "kubecon-1")?, Status::success());
//! assert_eq!(plugin.filter(&pod, "oz-1")?.code, Status::UNSCHEDULABLE);
//! println!("{:?} {} instances, {} bytes", plugin.stats(), plugin.instance_count(), plugin.memory_bytes());
//! # Ok(())
//! # }
//! ```
//!
//! Hook methods return `Err(SchedulerPanic)` exactly where the real scheduler would crash (for
//! example a trap in `enqueue`, or a binding hook with no instance to bind), and otherwise the
//! status the framework would see: a trapped hook gives [`Status::ERROR`] with the host's
//! `wasm: <export> error: …` text.
//!
//! [kube-scheduler-wasm-extension]: https://github.com/kubernetes-sigs/kube-scheduler-wasm-extension

mod args;
mod events;
mod exports;
mod gofmt;
mod gojson;
mod host;
mod instance;
mod klog;
mod limits;
mod module_info;
mod objects;
mod plugin;
mod proto;
mod status;
mod url;
mod wasi;

pub use args::PluginArgs;
pub use events::{ClusterEvent, EventReference, RecordedEvent};
pub use exports::{Exports, ExtensionPoint, Groups, Hook};
pub use klog::{LogLine, Severity};
pub use limits::{DEFAULT_HOOK_TIMEOUT, DEFAULT_MEMORY_MAX, GuestLimits};
pub use objects::{Cluster, PodObject};
pub use plugin::{
    LoadError, NodeScore, PostFilterResult, SchedulerPanic, Stats, WasmPlugin, enable_module_cache,
};

/// The wasmtime version this host compiles and runs guests with (a test checks it against
/// Cargo.lock).
pub const WASMTIME_VERSION: &str = "48.0.8";

/// The kube-scheduler-wasm-extension commit whose host (Go + wazero) this one follows: merge of
/// PR #143, 2025-11-23.
pub const UPSTREAM_ABI_COMMIT: &str = "9b2791f1bbea8ad75871433ca0a201d03edee714";
pub use proto::{ObjectError, canonical_quantity};
pub use status::{Status, code_name};
pub use url::{MAX_INPUT_BYTES, fetch_guest, read_limited};

#[cfg(test)]
mod tests {
    #[test]
    fn wasmtime_version_is_the_locked_one() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"))
                .unwrap_or_default();
        let locked = lock
            .split("[[package]]")
            .find(|p| p.contains("\nname = \"wasmtime\"\n"))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
            .map(|v| v.trim_matches('"').to_string());
        assert_eq!(locked.as_deref(), Some(super::WASMTIME_VERSION));
    }
}
