//! The wasm plugin as kube-scheduler sees it: loading (docs/abi.md §1.1), the instance pool (§1.3) and
//! one method per framework hook (§2).

mod pool;

use self::pool::{PoolState, lock};
use crate::args::PluginArgs;
use crate::events::{ClusterEvent, RecordedEvent};
use crate::exports::{Exports, Hook};
use crate::host::{self, HOST_FUNCTIONS, HostState, Shared};
use crate::instance::{CallError, Instance, Runtime, decorate};
use crate::klog::{self, LogLine, Severity};
use crate::limits::GuestLimits;
use crate::module_info::{ImportKind, ModuleInfo, Sig};
use crate::objects::{Cluster, PodObject};
use crate::status::Status;
use crate::wasi::WASI_FUNCTIONS;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime::{Config, Engine, Linker, Module};

/// Loading the plugin failed; the real scheduler would not start. The message is the host's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LoadError {
    message: String,
}

impl LoadError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The error text, e.g. `wasm: guest doesn't export memory[memory]`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The real kube-scheduler would panic (crash) at this point; the message is the Go panic value
/// (for example `unexpected podUID` or `size mismatch: …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the real kube-scheduler would panic here: {message}")]
pub struct SchedulerPanic {
    /// The Go panic value.
    pub message: String,
}

impl SchedulerPanic {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    fn nil_function(hook: Hook) -> Self {
        Self::new(format!(
            "runtime error: invalid memory address or nil pointer dereference (the host calls `{hook}`, which the guest does not export)"
        ))
    }
}

/// PostFilter's nominating info (docs/abi.md §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostFilterResult {
    /// What the guest sent through `result.nominated_node_name` ("" if nothing).
    pub nominated_node_name: String,
    /// `hi32` of the result: 0 Noop, 1 Override; other values pass through.
    pub nominating_mode: i32,
}

/// One entry of a NormalizeScore list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeScore {
    /// The node name.
    pub name: String,
    /// The score.
    pub score: i64,
}

impl NodeScore {
    /// An entry.
    pub fn new(name: impl Into<String>, score: i64) -> Self {
        Self {
            name: name.into(),
            score,
        }
    }
}

/// Instrumentation counters (see [`WasmPlugin::stats`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stats {
    /// Calls per host function, keyed `module.name` (e.g. `k8s.io/scheduler.currentPod`); only
    /// functions called at least once are present. WASI calls are not counted.
    pub host_calls: BTreeMap<String, u64>,
    /// Calls per guest hook export (including failed ones).
    pub hook_calls: BTreeMap<Hook, u64>,
    /// Instances created since load (a failed instantiation counts too).
    pub instances_created: u64,
    /// klog lines printed (captured or not).
    pub log_lines: u64,
}

impl Stats {
    /// Calls of one host function, by `module.name`.
    pub fn host(&self, qualified_name: &str) -> u64 {
        self.host_calls.get(qualified_name).copied().unwrap_or(0)
    }

    /// Calls of one hook export.
    pub fn hook(&self, hook: Hook) -> u64 {
        self.hook_calls.get(&hook).copied().unwrap_or(0)
    }
}

/// The reason the guest sent in the last call ("" if none).
fn reason(instance: &mut Instance) -> String {
    instance.ctx().status_reason.take().unwrap_or_default()
}

/// A kube-scheduler-wasm-extension plugin running one guest, with the production host's behaviour.
///
/// Methods take `&self` and may be called from several threads: scheduling-cycle hooks serialise
/// on the pool lock, binding-cycle hooks run on the instance pinned to their pod, as upstream.
/// Hook methods behave like the Go plugin's methods *before* interface masking: call them only
/// for extension points [`Exports::exposes`] reports, as the framework would.
pub struct WasmPlugin {
    name: String,
    rt: Runtime,
    pool: Mutex<PoolState>,
    hook_counts: [AtomicU64; 15],
}

impl std::fmt::Debug for WasmPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmPlugin")
            .field("name", &self.name)
            .field("exports", &self.rt.exports.hooks())
            .finish_non_exhaustive()
    }
}

fn engine(limits: &GuestLimits) -> Result<Engine, String> {
    let mut c = Config::new();
    // The simulator's hook deadline (none in production): checks at function entries and loop
    // back-edges, advanced by a timer thread per plugin.
    c.epoch_interruption(limits.hook_timeout.is_some());
    // wazero prints at most 30 frames; one more tells whether to say frames were omitted.
    c.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(32));
    // wazero's CoreFeaturesV2: no tail calls, multi-memory, memory64, relaxed SIMD, …
    c.wasm_tail_call(false)
        .wasm_multi_memory(false)
        .wasm_memory64(false)
        .wasm_relaxed_simd(false)
        .wasm_extended_const(false)
        .wasm_wide_arithmetic(false)
        .wasm_custom_page_sizes(false)
        .wasm_stack_switching(false)
        .wasm_gc(false)
        .wasm_features(wasmtime::WasmFeatures::FUNCTION_REFERENCES, false)
        .wasm_features(wasmtime::WasmFeatures::EXCEPTIONS, false)
        .wasm_features(wasmtime::WasmFeatures::THREADS, false);
    if let Some(cache) = MODULE_CACHE.get().and_then(Option::as_ref) {
        c.cache(Some(cache.clone()));
    }
    Engine::new(&c).map_err(|e| e.to_string())
}

/// The process-wide compiled-module cache, set at most once by [`enable_module_cache`].
static MODULE_CACHE: std::sync::OnceLock<Option<wasmtime::Cache>> = std::sync::OnceLock::new();

/// Caches compiled guests on disk across runs, for every [`WasmPlugin`] loaded afterwards in this
/// process: wasmtime's own `cache` (entries keyed by a hash of the module bytes, the engine
/// configuration and the compiler version, so a changed guest or a new wasmtime is a miss, never a
/// stale hit). `directory` `None` is wasmtime's default, the user's cache directory
/// (`~/.cache/wasmtime` on Linux). Returns the directory in use.
///
/// Off unless called: the library compiles every guest it loads, as the production host does.
/// Only the first call in a process takes effect.
///
/// # Errors
///
/// The cache could not be set up (for example a relative `directory`); guests are then compiled
/// without it.
pub fn enable_module_cache(
    directory: Option<std::path::PathBuf>,
) -> Result<std::path::PathBuf, String> {
    let mut config = wasmtime::CacheConfig::new();
    if let Some(dir) = directory {
        config.with_directory(dir);
    }
    let cache = wasmtime::Cache::new(config).map_err(|e| format!("{e:#}"));
    let dir = cache
        .as_ref()
        .map(|c| c.directory().clone())
        .map_err(Clone::clone);
    let _ = MODULE_CACHE.set(cache.ok());
    match MODULE_CACHE.get().and_then(Option::as_ref) {
        Some(c) => Ok(c.directory().clone()),
        None => dir,
    }
}

/// The modules whose host functions exist, and their functions' signatures.
fn host_function(module: &str, name: &str) -> Option<Option<Sig>> {
    if module == host::WASI {
        return Some(
            WASI_FUNCTIONS
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, p, r)| {
                    let conv = |s: &str| {
                        s.chars()
                            .map(|c| {
                                if c == 'I' {
                                    crate::module_info::Val::I64
                                } else {
                                    crate::module_info::Val::I32
                                }
                            })
                            .collect::<Vec<_>>()
                    };
                    Sig::new(&conv(p), &conv(r))
                }),
        );
    }
    if ![host::K8S_API, host::K8S_KLOG, host::K8S_SCHEDULER].contains(&module) {
        return None;
    }
    Some(
        HOST_FUNCTIONS
            .iter()
            .find(|(_, m, n, _, _)| *m == module && *n == name)
            .map(|(_, _, _, p, r)| Sig::new(p, r)),
    )
}

/// Resolves imports as wazero does, with its error texts (module by module, in order of first
/// appearance; upstream iterates a Go map here).
fn check_imports(info: &ModuleInfo) -> Result<(), String> {
    let instantiated = |m: &str| {
        host_function(m, "").is_some()
            && info
                .imports
                .iter()
                .any(|i| i.module == m && matches!(i.kind, ImportKind::Func(_)))
    };
    let mut modules: Vec<&str> = Vec::new();
    for i in &info.imports {
        if !modules.contains(&i.module.as_str()) {
            modules.push(&i.module);
        }
    }
    for m in modules {
        if !instantiated(m) {
            return Err(format!("module[{m}] not instantiated"));
        }
        for i in info.imports.iter().filter(|i| i.module == m) {
            let Some(Some(host_sig)) = host_function(m, &i.name) else {
                return Err(format!("{:?} is not exported in module {m:?}", i.name));
            };
            match &i.kind {
                ImportKind::Func(sig) if *sig != host_sig => {
                    return Err(format!(
                        "import func[{m}.{}]: signature mismatch: {} != {}",
                        i.name,
                        sig.key(),
                        host_sig.key()
                    ));
                }
                ImportKind::Func(_) => {}
                other => {
                    return Err(format!(
                        "export {:?} in module {m:?} is a func, not a {}",
                        i.name,
                        other.name()
                    ));
                }
            }
        }
    }
    Ok(())
}

impl WasmPlugin {
    /// Loads a plugin the way the real factory does (docs/abi.md §1.1): `guestURL` is required, the
    /// guest is fetched (§5.2), compiled, checked, one instance is created eagerly (running
    /// `_start`), and the exports are masked. `cluster` is the scheduler snapshot the host
    /// functions read.
    pub fn load(name: &str, args: &PluginArgs, cluster: Cluster) -> Result<Self, LoadError> {
        Self::load_with_limits(name, args, cluster, GuestLimits::default())
    }

    /// [`WasmPlugin::load`] with the given deadline and memory cap (`load` uses
    /// [`GuestLimits::default`]).
    pub fn load_with_limits(
        name: &str,
        args: &PluginArgs,
        cluster: Cluster,
        limits: GuestLimits,
    ) -> Result<Self, LoadError> {
        let url = &args.guest_url;
        if url.is_empty() {
            return Err(LoadError::new("wasm: guestURL is required"));
        }
        let bytes = crate::url::fetch_guest(url)
            .map_err(|e| LoadError::new(format!("wasm: error reading guestURL {url}: {e}")))?;
        Self::from_bytes_with_limits(name, &bytes, args, cluster, limits)
    }

    /// Like [`WasmPlugin::load`], with the guest's bytes given directly (`args.guest_url` is
    /// ignored).
    pub fn from_bytes(
        name: &str,
        wasm: &[u8],
        args: &PluginArgs,
        cluster: Cluster,
    ) -> Result<Self, LoadError> {
        Self::from_bytes_with_limits(name, wasm, args, cluster, GuestLimits::default())
    }

    /// [`WasmPlugin::from_bytes`] with the given deadline and memory cap.
    pub fn from_bytes_with_limits(
        name: &str,
        wasm: &[u8],
        args: &PluginArgs,
        cluster: Cluster,
        limits: GuestLimits,
    ) -> Result<Self, LoadError> {
        let compile_err = |e: String| LoadError::new(format!("wasm: error compiling guest: {e}"));
        crate::url::check_wasm_magic(wasm).map_err(compile_err)?;
        let engine = engine(&limits).map_err(compile_err)?;
        let module =
            Module::from_binary(&engine, wasm).map_err(|e| compile_err(format!("{e:#}")))?;
        let info = ModuleInfo::parse(wasm).map_err(|e| compile_err(e.to_string()))?;
        if !info.exports_memory("memory") {
            return Err(LoadError::new("wasm: guest doesn't export memory[memory]"));
        }

        // Host modules, only for the modules the guest imports functions from.
        let mut linker: Linker<HostState> = Linker::new(&engine);
        let imports = |m: &str| {
            info.imports
                .iter()
                .any(|i| i.module == m && matches!(i.kind, ImportKind::Func(_)))
        };
        if imports(host::WASI) {
            wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut HostState| &mut s.wasi)
                .map_err(|e| LoadError::new(format!("wasm: error instantiating wasi: {e}")))?;
        }
        for (m, what) in [
            (host::K8S_API, "api host functions"),
            (host::K8S_KLOG, "klog functions"),
            (host::K8S_SCHEDULER, "scheduler host functions"),
        ] {
            if imports(m) {
                host::define(&mut linker, m).map_err(|e| {
                    LoadError::new(format!("wasm: error instantiating {what}: {e}"))
                })?;
            }
        }

        let exports = Exports::detect(&info).map_err(LoadError::new)?;

        let pool_err =
            |msg: String| LoadError::new(format!("failed to create a guest pool: {msg}"));
        check_imports(&info).map_err(|e| pool_err(decorate("", "instantiate", &e)))?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| pool_err(decorate("", "instantiate", &format!("{e:#}"))))?;

        let shared = Arc::new(Shared::new(
            args.guest_config.clone(),
            args.log_severity,
            cluster.freeze(),
        ));
        let rt = Runtime {
            engine,
            pre,
            info: Arc::new(info),
            exports,
            shared,
            args: args.args.clone(),
            counter: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            snapshot_generation: AtomicU64::new(0),
            limits,
        };
        if let Some(tick) = limits.tick() {
            crate::limits::start_ticker(&rt.engine, tick).map_err(compile_err)?;
        }
        let first = rt.instantiate().map_err(pool_err)?;
        let plugin = Self {
            name: name.to_string(),
            rt,
            pool: Mutex::new(PoolState {
                free: VecDeque::from([Arc::new(Mutex::new(first))]),
                ..PoolState::default()
            }),
            hook_counts: std::array::from_fn(|_| AtomicU64::new(0)),
        };
        exports.check_mask().map_err(LoadError::new)?;
        Ok(plugin)
    }

    /// The plugin name (from the scheduler configuration).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The guest's hook exports and what the host exposes to the framework.
    pub fn exports(&self) -> Exports {
        self.rt.exports
    }

    /// Replaces the scheduler snapshot the host functions read (between cycles).
    pub fn set_cluster(&self, cluster: Cluster) {
        *self
            .rt
            .shared
            .snapshot
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(cluster.freeze());
        self.rt.snapshot_generation.fetch_add(1, Ordering::AcqRel);
    }

    // ----- calls -----

    fn count(&self, hook: Hook) {
        self.hook_counts[hook as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Calls `hook`: `Ok(Ok(raw))` on success, `Ok(Err(message))` when the call failed (the
    /// host's decorated error), `Err` when the guest lacks the export (a nil call in Go).
    fn invoke(
        &self,
        instance: &mut Instance,
        hook: Hook,
        setup: impl FnOnce(&mut host::CallCtx),
    ) -> Result<Result<u64, String>, SchedulerPanic> {
        self.count(hook);
        match instance.call(&self.rt, hook, setup) {
            Ok(raw) => Ok(Ok(raw)),
            Err(CallError::Failed(msg)) => Ok(Err(msg)),
            Err(CallError::Missing) => Err(SchedulerPanic::nil_function(hook)),
        }
    }

    /// Calls a hook returning an i32 status.
    fn status_call(
        &self,
        instance: &mut Instance,
        hook: Hook,
        setup: impl FnOnce(&mut host::CallCtx),
    ) -> Result<Result<Status, String>, SchedulerPanic> {
        Ok(self
            .invoke(instance, hook, setup)?
            .map(|raw| Status::new(raw as i32, reason(instance))))
    }

    fn log_error(&self, err: &str, msg: &str) {
        self.rt
            .shared
            .log(klog::structured(Severity::Error, Some(err), msg, &[]));
    }

    /// EventsToRegister: the guest's `enqueue` registrations, or the default list when it does not
    /// export `enqueue` or registers nothing. A trap in `enqueue` panics the real scheduler.
    pub fn events_to_register(&self) -> Result<Vec<ClusterEvent>, SchedulerPanic> {
        if !self.rt.exports.has(Hook::Enqueue) {
            return Ok(ClusterEvent::default_list());
        }
        let r = self.with_guest(|g| {
            self.count(Hook::Enqueue);
            match g.call(&self.rt, Hook::Enqueue, |_| {}) {
                Ok(_) => Ok(std::mem::take(&mut g.ctx().cluster_events)),
                Err(CallError::Failed(msg)) => Err(SchedulerPanic::new(msg)),
                Err(CallError::Missing) => Err(SchedulerPanic::nil_function(Hook::Enqueue)),
            }
        });
        let events = r.map_err(SchedulerPanic::new)??;
        Ok(if events.is_empty() {
            ClusterEvent::default_list()
        } else {
            events
        })
    }

    /// PreFilter: the status and the node names sent with `result.node_names` (`None` = all nodes).
    /// Without a `prefilter` export: Success and `None`.
    pub fn pre_filter(
        &self,
        pod: &PodObject,
    ) -> Result<(Status, Option<Vec<String>>), SchedulerPanic> {
        if !self.rt.exports.has(Hook::PreFilter) {
            return Ok((Status::success(), None));
        }
        let r = self.with_scheduling_guest(pod.uid(), |g| {
            let r = self.status_call(g, Hook::PreFilter, |c| {
                c.current_pod = Some(pod.shared_bytes().clone())
            })?;
            Ok(match r {
                Ok(status) => (status, g.ctx().node_names.take()),
                Err(msg) => (Status::error(msg), None),
            })
        });
        r.unwrap_or_else(|e| Ok((Status::error(e), None)))
    }

    /// Filter of `pod` on node `node_name`.
    pub fn filter(&self, pod: &PodObject, node_name: &str) -> Result<Status, SchedulerPanic> {
        let r = self.with_scheduling_guest(pod.uid(), |g| {
            self.status_call(g, Hook::Filter, |c| {
                c.current_pod = Some(pod.shared_bytes().clone());
                c.current_node_name.push_str(node_name);
            })
            .map(|r| r.unwrap_or_else(Status::error))
        });
        r.unwrap_or_else(|e| Ok(Status::error(e)))
    }

    /// PostFilter with the codes of the nodes that have an explicit status. `None` result when
    /// the guest does not export `postfilter` (the host returns nil, nil: the framework reads
    /// Success) or the call failed.
    pub fn post_filter(
        &self,
        pod: &PodObject,
        node_to_status: &BTreeMap<String, i32>,
    ) -> Result<(Option<PostFilterResult>, Status), SchedulerPanic> {
        if !self.rt.exports.has(Hook::PostFilter) {
            return Ok((None, Status::success()));
        }
        let json = crate::gofmt::json_int_map(
            node_to_status
                .iter()
                .map(|(k, v)| (k.as_str(), i64::from(*v))),
        );
        let r = self.with_scheduling_guest(pod.uid(), |g| {
            self.count(Hook::PostFilter);
            match g.call(&self.rt, Hook::PostFilter, |c| {
                c.current_pod = Some(pod.shared_bytes().clone());
                c.node_to_status_json = Some(json);
            }) {
                Ok(raw) => {
                    let ctx = g.ctx();
                    let result = PostFilterResult {
                        nominated_node_name: std::mem::take(&mut ctx.nominated_node_name),
                        nominating_mode: (raw >> 32) as i32,
                    };
                    let status =
                        Status::new(raw as i32, ctx.status_reason.take().unwrap_or_default());
                    Ok((Some(result), status))
                }
                Err(CallError::Failed(msg)) => Ok((None, Status::error(msg))),
                Err(CallError::Missing) => Err(SchedulerPanic::nil_function(Hook::PostFilter)),
            }
        });
        r.unwrap_or_else(|e| Ok((None, Status::error(e))))
    }

    /// PreScore with the nodes that passed Filter. Success without a `prescore` export.
    pub fn pre_score<S: AsRef<str>>(
        &self,
        pod: &PodObject,
        nodes: &[S],
    ) -> Result<Status, SchedulerPanic> {
        if !self.rt.exports.has(Hook::PreScore) {
            return Ok(Status::success());
        }
        let json = host::filtered_nodes_json(nodes);
        let r = self.with_scheduling_guest(pod.uid(), |g| {
            self.status_call(g, Hook::PreScore, |c| {
                c.current_pod = Some(pod.shared_bytes().clone());
                c.filtered_nodes_json = Some(json);
            })
            .map(|r| r.unwrap_or_else(Status::error))
        });
        r.unwrap_or_else(|e| Ok(Status::error(e)))
    }

    /// Score of `pod` on `node_name`: the signed `hi32` score and the status (score 0 on failure).
    pub fn score(&self, pod: &PodObject, node_name: &str) -> Result<(i64, Status), SchedulerPanic> {
        let r = self.with_scheduling_guest(pod.uid(), |g| {
            self.count(Hook::Score);
            match g.call(&self.rt, Hook::Score, |c| {
                c.current_pod = Some(pod.shared_bytes().clone());
                c.current_node_name.push_str(node_name);
            }) {
                Ok(raw) => Ok((
                    i64::from((raw >> 32) as i32),
                    Status::new(raw as i32, g.ctx().status_reason.take().unwrap_or_default()),
                )),
                Err(CallError::Failed(msg)) => Ok((0, Status::error(msg))),
                Err(CallError::Missing) => Err(SchedulerPanic::nil_function(Hook::Score)),
            }
        });
        r.unwrap_or_else(|e| Ok((0, Status::error(e))))
    }

    /// NormalizeScore: updates `scores` in place as the host does. The guest's map is applied **by
    /// position** in key order (upstream uses Go's random map order), an empty or absent result
    /// keeps the input, and a different entry count panics the real scheduler. Without a
    /// `normalizescore` export: Success, unchanged.
    pub fn normalize_score(
        &self,
        pod: &PodObject,
        scores: &mut [NodeScore],
    ) -> Result<Status, SchedulerPanic> {
        if !self.rt.exports.has(Hook::NormalizeScore) {
            return Ok(Status::success());
        }
        let json = crate::gofmt::json_int_map(scores.iter().map(|s| (s.name.as_str(), s.score)));
        let r = self.with_scheduling_guest(pod.uid(), |g| {
            let r = self.status_call(g, Hook::NormalizeScore, |c| {
                c.current_pod = Some(pod.shared_bytes().clone());
                c.node_score_json = Some(json);
            })?;
            Ok(match r {
                // A failed call returns a nil list, which the size check then trips on.
                Err(msg) => (Status::error(msg), Some(Vec::new())),
                Ok(status) => match g.ctx().normalized_scores.take() {
                    Some(list) if !list.is_empty() => (
                        status,
                        Some(
                            list.into_iter()
                                .map(|(name, score)| NodeScore { name, score })
                                .collect(),
                        ),
                    ),
                    _ => (status, None),
                },
            })
        });
        let (status, updated) = match r {
            Ok(r) => r?,
            Err(e) => (Status::error(e), Some(Vec::new())),
        };
        if let Some(updated) = updated {
            if updated.len() != scores.len() {
                return Err(SchedulerPanic::new(format!(
                    "size mismatch: scores has {} elements, but updatedScores has {} elements",
                    scores.len(),
                    updated.len()
                )));
            }
            for (s, u) in scores.iter_mut().zip(updated) {
                *s = u;
            }
        }
        Ok(status)
    }

    /// Reserve of `pod` on `node_name`.
    pub fn reserve(&self, pod: &PodObject, node_name: &str) -> Result<Status, SchedulerPanic> {
        let r = self.with_scheduling_guest(pod.uid(), |g| {
            self.status_call(g, Hook::Reserve, |c| {
                c.current_pod = Some(pod.shared_bytes().clone());
                c.current_node_name.push_str(node_name);
            })
            .map(|r| r.unwrap_or_else(Status::error))
        });
        r.unwrap_or_else(|e| Ok(Status::error(e)))
    }

    /// Unreserve: runs on the *scheduling* instance (whichever pod it last served), logs a failure
    /// as `"failed unreserve" err=…`, then frees this pod's binding instance, if any.
    pub fn unreserve(&self, pod: &PodObject, node_name: &str) -> Result<(), SchedulerPanic> {
        let r = self.with_scheduling_guest(pod.uid(), |g| {
            self.count(Hook::Unreserve);
            match g.call(&self.rt, Hook::Unreserve, |c| {
                c.current_pod = Some(pod.shared_bytes().clone());
                c.current_node_name.push_str(node_name);
            }) {
                Ok(_) => Ok(()),
                Err(CallError::Failed(msg)) => {
                    self.log_error(&msg, "failed unreserve");
                    Ok(())
                }
                Err(CallError::Missing) => Err(SchedulerPanic::nil_function(Hook::Unreserve)),
            }
        });
        let result = match r {
            Ok(r) => r,
            Err(e) => {
                self.log_error(&e, "doWithSchedulingGuest Failed");
                Ok(())
            }
        };
        self.free_from_binding(pod.uid());
        result
    }

    /// Permit: the status and the timeout (`lo32`, ms). Afterwards the scheduling instance moves to
    /// the binding cycle of this pod, whatever the status.
    pub fn permit(
        &self,
        pod: &PodObject,
        node_name: &str,
    ) -> Result<(Status, Duration), SchedulerPanic> {
        let r = self.with_scheduling_guest(pod.uid(), |g| {
            self.count(Hook::Permit);
            match g.call(&self.rt, Hook::Permit, |c| {
                c.current_pod = Some(pod.shared_bytes().clone());
                c.current_node_name.push_str(node_name);
            }) {
                Ok(raw) => Ok((
                    Status::new(
                        (raw >> 32) as i32,
                        g.ctx().status_reason.take().unwrap_or_default(),
                    ),
                    Duration::from_millis(u64::from(raw as u32)),
                )),
                Err(CallError::Failed(msg)) => Ok((Status::error(msg), Duration::ZERO)),
                Err(CallError::Missing) => Err(SchedulerPanic::nil_function(Hook::Permit)),
            }
        });
        let result = match r {
            Ok(r) => r?,
            Err(e) => (Status::error(e), Duration::ZERO),
        };
        self.get_for_binding(pod.uid())?;
        Ok(result)
    }

    /// Runs a binding-cycle hook on the instance pinned to `pod` (no pool lock during the call).
    fn binding_call(
        &self,
        pod: &PodObject,
        node_name: &str,
        hook: Hook,
    ) -> Result<Result<Status, String>, SchedulerPanic> {
        let guest = self.get_for_binding(pod.uid())?;
        let mut g = lock(&guest);
        self.status_call(&mut g, hook, |c| {
            c.current_pod = Some(pod.shared_bytes().clone());
            c.current_node_name.push_str(node_name);
        })
    }

    /// PreBind. Success without a `prebind` export.
    pub fn pre_bind(&self, pod: &PodObject, node_name: &str) -> Result<Status, SchedulerPanic> {
        if !self.rt.exports.has(Hook::PreBind) {
            return Ok(Status::success());
        }
        Ok(self
            .binding_call(pod, node_name, Hook::PreBind)?
            .unwrap_or_else(Status::error))
    }

    /// Bind (code 5 Skip hands the pod to the next binder).
    pub fn bind(&self, pod: &PodObject, node_name: &str) -> Result<Status, SchedulerPanic> {
        Ok(self
            .binding_call(pod, node_name, Hook::Bind)?
            .unwrap_or_else(Status::error))
    }

    /// PostBind: a failure is logged as `"failed postbind" err=…`. Frees the binding instance only
    /// when the guest exports `postbind`; otherwise returns at once.
    pub fn post_bind(&self, pod: &PodObject, node_name: &str) -> Result<(), SchedulerPanic> {
        if !self.rt.exports.has(Hook::PostBind) {
            return Ok(());
        }
        let result = (|| {
            if let Err(msg) = self.binding_call(pod, node_name, Hook::PostBind)? {
                self.log_error(&msg, "failed postbind");
            }
            Ok(())
        })();
        self.free_from_binding(pod.uid());
        result
    }

    fn extension_call(
        &self,
        hook: Hook,
        pod: &PodObject,
        target: &PodObject,
        node_name: &str,
    ) -> Result<Status, SchedulerPanic> {
        if !self.rt.exports.has(Hook::AddPod) && !self.rt.exports.has(Hook::RemovePod) {
            return Ok(Status::success());
        }
        let r = self.with_scheduling_guest(pod.uid(), |g| {
            self.status_call(g, hook, |c| {
                c.current_pod = Some(pod.shared_bytes().clone());
                c.target_pod = Some(target.shared_bytes().clone());
                c.current_node_name.push_str(node_name);
            })
            .map(|r| r.unwrap_or_else(Status::error))
        });
        r.unwrap_or_else(|e| Ok(Status::error(e)))
    }

    /// PreFilterExtensions.AddPod: `target` is added to node `node_name` while scheduling `pod`.
    pub fn add_pod(
        &self,
        pod: &PodObject,
        target: &PodObject,
        node_name: &str,
    ) -> Result<Status, SchedulerPanic> {
        self.extension_call(Hook::AddPod, pod, target, node_name)
    }

    /// PreFilterExtensions.RemovePod.
    pub fn remove_pod(
        &self,
        pod: &PodObject,
        target: &PodObject,
        node_name: &str,
    ) -> Result<Status, SchedulerPanic> {
        self.extension_call(Hook::RemovePod, pod, target, node_name)
    }

    // ----- framework handle -----

    /// Makes `pod` a waiting pod (in the Permit stage) that `handle.get_waiting_pod` finds and
    /// `handle.reject_waiting_pod` rejects.
    pub fn add_waiting_pod(&self, pod: PodObject) {
        lock(&self.rt.shared.waiting_pods).insert(pod.uid().to_string(), pod);
    }

    /// UIDs the guest rejected through `handle.reject_waiting_pod`, in order.
    pub fn rejected_waiting_pods(&self) -> Vec<String> {
        lock(&self.rt.shared.rejected_waiting_pods).clone()
    }

    /// Events the guest recorded through `handle.eventrecorder.eventf`.
    pub fn events(&self) -> Vec<RecordedEvent> {
        lock(&self.rt.shared.events).clone()
    }

    // ----- instrumentation -----

    /// klog lines printed so far, as the host would print them (at most the last
    /// [`WasmPlugin::set_log_limit`] are kept; the first ones win).
    pub fn logs(&self) -> Vec<LogLine> {
        lock(&self.rt.shared.logs).lines.clone()
    }

    /// Returns and forgets the captured klog lines.
    pub fn take_logs(&self) -> Vec<LogLine> {
        std::mem::take(&mut lock(&self.rt.shared.logs).lines)
    }

    /// How many klog lines are kept (default 100,000); further lines are only counted.
    pub fn set_log_limit(&self, limit: usize) {
        lock(&self.rt.shared.logs).limit = limit;
    }

    /// Counters since load (or the last [`WasmPlugin::reset_stats`]).
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            instances_created: self.rt.counter.load(Ordering::Relaxed),
            log_lines: lock(&self.rt.shared.logs).total,
            ..Stats::default()
        };
        for (f, _, _, _, _) in HOST_FUNCTIONS {
            let n = self.rt.shared.counts[f as usize].load(Ordering::Relaxed);
            if n > 0 {
                s.host_calls.insert(f.qualified(), n);
            }
        }
        for h in Hook::ALL {
            let n = self.hook_counts[h as usize].load(Ordering::Relaxed);
            if n > 0 {
                s.hook_calls.insert(h, n);
            }
        }
        s
    }

    /// Zeroes the host and hook call counters and the log-line count (instances are not reset).
    pub fn reset_stats(&self) {
        for c in &self.rt.shared.counts {
            c.store(0, Ordering::Relaxed);
        }
        for c in &self.hook_counts {
            c.store(0, Ordering::Relaxed);
        }
        lock(&self.rt.shared.logs).total = 0;
    }

    /// Live instances: scheduling + binding + free.
    pub fn instance_count(&self) -> usize {
        let p = lock(&self.pool);
        usize::from(p.scheduled.is_some()) + p.binding.len() + p.free.len()
    }

    /// Linear memory of the instance the next scheduling-cycle call would use (the scheduling
    /// instance, else the first free one), in bytes; 0 if there is none yet.
    pub fn memory_bytes(&self) -> usize {
        let p = lock(&self.pool);
        p.scheduled
            .as_ref()
            .or_else(|| p.free.front())
            .map_or(0, |g| lock(g).memory_bytes())
    }

    /// Linear memory of all live instances, in bytes.
    pub fn total_memory_bytes(&self) -> usize {
        let p = lock(&self.pool);
        p.scheduled
            .iter()
            .chain(p.binding.values())
            .chain(p.free.iter())
            .map(|g| lock(g).memory_bytes())
            .sum()
    }

    /// The pod UID the pool last recorded for the scheduling cycle (`scheduledPodUID`; never
    /// compared by the host).
    pub fn scheduled_pod_uid(&self) -> String {
        lock(&self.pool).scheduled_pod_uid.clone()
    }

    /// Pod UIDs whose binding cycle holds an instance, sorted.
    pub fn binding_pod_uids(&self) -> Vec<String> {
        let mut v: Vec<String> = lock(&self.pool).binding.keys().cloned().collect();
        v.sort();
        v
    }

    /// Instances in the free list.
    pub fn free_instance_count(&self) -> usize {
        lock(&self.pool).free.len()
    }

    /// Test support (upstream `SetGlobals`): sets exported mutable i32 globals on the scheduling
    /// instance, taking one from the pool as a scheduling call would (the pool records the pod UID
    /// `set-globals`).
    pub fn set_globals(&self, globals: &[(&str, i32)]) -> Result<(), String> {
        self.with_scheduling_guest("set-globals", |g| {
            globals.iter().try_for_each(|(n, v)| g.set_global(n, *v))
        })?
    }

    /// Test support (upstream `CreateGuestInBindingGuestPool`): pins the scheduling instance to
    /// `pod_uid`'s binding cycle, as Permit does.
    pub fn pin_for_binding(&self, pod_uid: &str) -> Result<(), SchedulerPanic> {
        let _ = self.with_scheduling_guest(pod_uid, |_| ());
        self.get_for_binding(pod_uid).map(|_| ())
    }

    /// The last error line klog printed (for example a `"failed postbind" err=…` line), if any.
    pub fn last_error_log(&self) -> Option<LogLine> {
        lock(&self.rt.shared.logs)
            .lines
            .iter()
            .rev()
            .find(|l| l.severity == Severity::Error)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasi_table_matches_wasmtime_wasi() {
        // Every function wazero's module exports must be defined by wasmtime-wasi with the same
        // signature, or guests importing it would link here but not in production (or vice versa).
        let engine = engine(&GuestLimits::NONE).unwrap();
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut HostState| &mut s.wasi)
            .unwrap();
        let mut wat = String::from("(module\n");
        for (name, p, r) in WASI_FUNCTIONS {
            let t = |s: &str| {
                s.chars()
                    .map(|c| if c == 'I' { " i64" } else { " i32" })
                    .collect::<String>()
            };
            wat.push_str(&format!(
                "(import \"wasi_snapshot_preview1\" \"{name}\" (func (param{}) (result{})))\n",
                t(p),
                t(r)
            ));
        }
        wat.push(')');
        let wat = wat.replace("(result)", "");
        let module = Module::new(&engine, wat::parse_str(&wat).unwrap()).unwrap();
        linker.instantiate_pre(&module).unwrap();
    }

    #[test]
    fn import_errors() {
        let info = |wat: &str| ModuleInfo::parse(&wat::parse_str(wat).unwrap()).unwrap();
        assert_eq!(
            check_imports(&info(r#"(module (import "env" "f" (func)))"#)),
            Err("module[env] not instantiated".into())
        );
        assert_eq!(
            check_imports(&info(
                r#"(module (import "k8s.io/scheduler" "nope" (func)))"#
            )),
            Err(r#""nope" is not exported in module "k8s.io/scheduler""#.into())
        );
        assert_eq!(
            check_imports(&info(r#"(module (import "k8s.io/scheduler" "currentPod" (func (param i32) (result i32))))"#)),
            Err("import func[k8s.io/scheduler.currentPod]: signature mismatch: i32_i32 != i32i32_i32".into())
        );
        assert_eq!(
            check_imports(&info(
                r#"(module (import "k8s.io/klog" "log" (func (param i32 i32 i32))) (import "k8s.io/klog" "severity" (memory 1)))"#
            )),
            Err(r#"export "severity" in module "k8s.io/klog" is a func, not a memory"#.into())
        );
        assert_eq!(
            check_imports(&info(r#"(module (import "k8s.io/api" "m" (memory 1)))"#)),
            Err("module[k8s.io/api] not instantiated".into())
        );
    }
}
