//! The host modules `k8s.io/scheduler`, `k8s.io/api` and `k8s.io/klog` (docs/abi.md §3), the per-call
//! context they read (§2.3) and the results they collect.

use crate::events::{ClusterEvent, RecordedEvent};
use crate::gofmt;
use crate::klog::{self, LogLine, Severity};
use crate::module_info::{Sig, Val};
use crate::objects::{PodObject, Snapshot};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use wasmtime::{Caller, Linker, Memory};
use wasmtime_wasi::p1::WasiP1Ctx;

pub(crate) const K8S_API: &str = "k8s.io/api";
pub(crate) const K8S_KLOG: &str = "k8s.io/klog";
pub(crate) const K8S_SCHEDULER: &str = "k8s.io/scheduler";
pub(crate) const WASI: &str = "wasi_snapshot_preview1";

/// Every host function, in the order of [`HOST_FUNCTIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostFn {
    Node,
    NodeList,
    KlogLog,
    KlogLogs,
    KlogSeverity,
    GetConfig,
    FilteredNodeList,
    TargetPod,
    CurrentNodeName,
    NodeImageStates,
    CurrentPod,
    ResultClusterEvents,
    ResultNodeNames,
    ResultNominatedNodeName,
    ResultStatusReason,
    NodeToStatusMap,
    ResultNormalizedScoreList,
    NodeScoreList,
    EventRecorderEventf,
    RejectWaitingPod,
    GetWaitingPod,
}

const I: Val = Val::I32;

/// (function, module, name, params, results).
pub(crate) type HostFnEntry = (
    HostFn,
    &'static str,
    &'static str,
    &'static [Val],
    &'static [Val],
);

/// Every host function the production host defines.
pub(crate) const HOST_FUNCTIONS: [HostFnEntry; 21] = [
    (HostFn::Node, K8S_API, "node", &[I, I, I, I], &[I]),
    (HostFn::NodeList, K8S_API, "nodeList", &[I, I], &[I]),
    (HostFn::KlogLog, K8S_KLOG, "log", &[I, I, I], &[]),
    (HostFn::KlogLogs, K8S_KLOG, "logs", &[I, I, I, I, I], &[]),
    (HostFn::KlogSeverity, K8S_KLOG, "severity", &[], &[I]),
    (
        HostFn::GetConfig,
        K8S_SCHEDULER,
        "get_config",
        &[I, I],
        &[I],
    ),
    (
        HostFn::FilteredNodeList,
        K8S_SCHEDULER,
        "filteredNodeList",
        &[I, I],
        &[I],
    ),
    (HostFn::TargetPod, K8S_SCHEDULER, "targetPod", &[I, I], &[I]),
    (
        HostFn::CurrentNodeName,
        K8S_SCHEDULER,
        "currentNodeName",
        &[I, I],
        &[I],
    ),
    (
        HostFn::NodeImageStates,
        K8S_SCHEDULER,
        "nodeImageStates",
        &[I, I, I, I],
        &[I],
    ),
    (
        HostFn::CurrentPod,
        K8S_SCHEDULER,
        "currentPod",
        &[I, I],
        &[I],
    ),
    (
        HostFn::ResultClusterEvents,
        K8S_SCHEDULER,
        "result.cluster_events",
        &[I, I],
        &[],
    ),
    (
        HostFn::ResultNodeNames,
        K8S_SCHEDULER,
        "result.node_names",
        &[I, I],
        &[],
    ),
    (
        HostFn::ResultNominatedNodeName,
        K8S_SCHEDULER,
        "result.nominated_node_name",
        &[I, I],
        &[],
    ),
    (
        HostFn::ResultStatusReason,
        K8S_SCHEDULER,
        "result.status_reason",
        &[I, I],
        &[],
    ),
    (
        HostFn::NodeToStatusMap,
        K8S_SCHEDULER,
        "nodeToStatusMap",
        &[I, I],
        &[I],
    ),
    (
        HostFn::ResultNormalizedScoreList,
        K8S_SCHEDULER,
        "result.normalized_score_list",
        &[I, I],
        &[],
    ),
    (
        HostFn::NodeScoreList,
        K8S_SCHEDULER,
        "nodeScoreList",
        &[I, I],
        &[I],
    ),
    (
        HostFn::EventRecorderEventf,
        K8S_SCHEDULER,
        "handle.eventrecorder.eventf",
        &[I, I],
        &[],
    ),
    (
        HostFn::RejectWaitingPod,
        K8S_SCHEDULER,
        "handle.reject_waiting_pod",
        &[I, I, I, I],
        &[],
    ),
    (
        HostFn::GetWaitingPod,
        K8S_SCHEDULER,
        "handle.get_waiting_pod",
        &[I, I, I, I],
        &[],
    ),
];

impl HostFn {
    fn entry(
        self,
    ) -> &'static (
        HostFn,
        &'static str,
        &'static str,
        &'static [Val],
        &'static [Val],
    ) {
        &HOST_FUNCTIONS[self as usize]
    }

    /// `module.name`, as in stats and stack traces.
    pub(crate) fn qualified(self) -> String {
        let (_, m, n, _, _) = self.entry();
        format!("{m}.{n}")
    }

    /// The wazero stack-trace frame of this host function.
    pub(crate) fn frame(self) -> String {
        let (_, _, _, p, r) = self.entry();
        Sig::new(p, r).frame(&self.qualified())
    }
}

/// A host function "panicked" (the Go host would `panic`); wazero reports it as
/// `<value> (recovered by wazero)` with the host function as the first stack frame.
#[derive(Debug)]
pub(crate) struct HostPanic {
    pub func: HostFn,
    pub value: String,
    /// A Go `runtime.Error` (for example a nil dereference): wazero appends the Go stack.
    pub runtime_error: bool,
}

impl fmt::Display for HostPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (recovered by wazero)", self.value)
    }
}

impl std::error::Error for HostPanic {}

fn panic(func: HostFn, value: impl Into<String>) -> wasmtime::Error {
    wasmtime::Error::new(HostPanic {
        func,
        value: value.into(),
        runtime_error: false,
    })
}

/// What `paramsFromContext` does when there is no per-call context (during `_start`).
fn no_context(func: HostFn) -> wasmtime::Error {
    wasmtime::Error::new(HostPanic {
        func,
        value: "interface conversion: interface {} is nil, not *wasm.stack".into(),
        runtime_error: true,
    })
}

/// Plugin-wide state the host functions share: configuration, the snapshot, waiting pods and the
/// instrumentation.
pub(crate) struct Shared {
    pub guest_config: String,
    pub log_severity: i32,
    pub snapshot: RwLock<Arc<Snapshot>>,
    pub waiting_pods: Mutex<BTreeMap<String, PodObject>>,
    pub rejected_waiting_pods: Mutex<Vec<String>>,
    pub counts: [AtomicU64; HOST_FUNCTIONS.len()],
    pub logs: Mutex<LogStore>,
    pub events: Mutex<Vec<RecordedEvent>>,
}

/// Captured log lines, bounded.
#[derive(Debug, Default)]
pub(crate) struct LogStore {
    pub lines: Vec<LogLine>,
    pub total: u64,
    pub limit: usize,
}

impl Shared {
    pub(crate) fn new(guest_config: String, log_severity: i32, snapshot: Snapshot) -> Self {
        Self {
            guest_config,
            log_severity,
            snapshot: RwLock::new(Arc::new(snapshot)),
            waiting_pods: Mutex::default(),
            rejected_waiting_pods: Mutex::default(),
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            logs: Mutex::new(LogStore {
                lines: Vec::new(),
                total: 0,
                limit: 100_000,
            }),
            events: Mutex::default(),
        }
    }

    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn log(&self, line: LogLine) {
        let mut logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        logs.total += 1;
        if logs.lines.len() < logs.limit {
            logs.lines.push(line);
        }
    }
}

/// The per-call context (the Go host's `stack`): inputs for the getters and collected results.
#[derive(Default)]
pub(crate) struct CallCtx {
    /// False during `_start` (and the wasm start function): the Go host has no context then, so
    /// context getters and result setters panic.
    pub active: bool,
    pub current_pod: Option<Arc<[u8]>>,
    pub target_pod: Option<Arc<[u8]>>,
    pub current_node_name: String,
    /// `filteredNodeList` JSON; `None` means `[]`.
    pub filtered_nodes_json: Option<String>,
    /// `nodeToStatusMap` JSON; `None` means `{}`.
    pub node_to_status_json: Option<String>,
    /// `nodeScoreList` JSON; `None` means `{}`.
    pub node_score_json: Option<String>,
    pub status_reason: Option<String>,
    pub node_names: Option<Vec<String>>,
    pub nominated_node_name: String,
    pub normalized_scores: Option<Vec<(String, i64)>>,
    pub cluster_events: Vec<ClusterEvent>,
}

impl CallCtx {
    /// Resets for a new call, keeping allocations.
    pub(crate) fn reset(&mut self) {
        self.active = true;
        self.current_pod = None;
        self.target_pod = None;
        self.current_node_name.clear();
        self.filtered_nodes_json = None;
        self.node_to_status_json = None;
        self.node_score_json = None;
        self.status_reason = None;
        self.node_names = None;
        self.nominated_node_name.clear();
        self.normalized_scores = None;
        self.cluster_events.clear();
    }
}

/// The store data of one instance.
pub(crate) struct HostState {
    pub wasi: WasiP1Ctx,
    pub memory: Option<Memory>,
    pub shared: Arc<Shared>,
    pub snapshot: Arc<Snapshot>,
    pub call: CallCtx,
    /// The linear-memory cap (`GuestLimits::memory_max`).
    pub memory_cap: crate::limits::MemoryCap,
}

/// The NUL-terminated list decoding of the host (`fromNULTerminated`): empty elements and a
/// trailing unterminated element are dropped.
pub(crate) fn from_nul_terminated(b: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == 0 {
            if i > start {
                out.push(String::from_utf8_lossy(&b[start..i]).into_owned());
            }
            start = i + 1;
        }
    }
    out
}

type Ctx<'a> = Caller<'a, HostState>;

fn count(caller: &Ctx<'_>, f: HostFn) {
    caller.data().shared.counts[f as usize].fetch_add(1, Ordering::Relaxed);
}

fn memory(caller: &mut Ctx<'_>) -> Option<Memory> {
    if let Some(m) = caller.data().memory {
        return Some(m);
    }
    caller.get_export("memory").and_then(|e| e.into_memory())
}

/// Reads `len` bytes at `ptr`, or `None` if out of range (wazero's `Memory.Read`).
fn read(data: &[u8], ptr: i32, len: i32) -> Option<&[u8]> {
    let start = ptr as u32 as usize;
    let end = start.checked_add(len as u32 as usize)?;
    data.get(start..end)
}

fn write(data: &mut [u8], ptr: i32, bytes: &[u8]) -> bool {
    let start = ptr as u32 as usize;
    match start
        .checked_add(bytes.len())
        .and_then(|end| data.get_mut(start..end))
    {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            true
        }
        None => false,
    }
}

/// `marshalIfUnderLimit`: length 0 → 0; too big → the length; else write (panicking with
/// "out of memory" when the buffer is out of range) and return the length.
fn marshal_if_under_limit(
    f: HostFn,
    data: &mut [u8],
    bytes: Option<&[u8]>,
    buf: i32,
    limit: i32,
) -> wasmtime::Result<i32> {
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return Ok(0);
    };
    if bytes.len() > limit as u32 as usize {
        return Ok(bytes.len() as i32);
    }
    if !write(data, buf, bytes) {
        return Err(panic(f, "out of memory"));
    }
    Ok(bytes.len() as i32)
}

/// `writeStringIfUnderLimit`: like the protobuf version, but a failed write is ignored.
fn write_string_if_under_limit(data: &mut [u8], s: &[u8], buf: i32, limit: i32) -> i32 {
    if s.is_empty() {
        return 0;
    }
    if s.len() > limit as u32 as usize {
        return s.len() as i32;
    }
    let _ = write(data, buf, s);
    s.len() as i32
}

/// Defines the host module `module` in `linker`.
pub(crate) fn define(linker: &mut Linker<HostState>, module: &str) -> wasmtime::Result<()> {
    match module {
        K8S_API => define_api(linker),
        K8S_KLOG => define_klog(linker),
        K8S_SCHEDULER => define_scheduler(linker),
        _ => Ok(()),
    }
}

fn define_api(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(
        K8S_API,
        "node",
        |mut c: Ctx<'_>, name: i32, name_len: i32, buf: i32, limit: i32| {
            let f = HostFn::Node;
            count(&c, f);
            let Some(mem) = memory(&mut c) else {
                return Ok(0);
            };
            let (data, state) = mem.data_and_store_mut(&mut c);
            let Some(name) = read(data, name, name_len) else {
                return Err(panic(f, "out of memory reading nodeName"));
            };
            let snapshot = state.snapshot.clone();
            let node = snapshot.node(name);
            marshal_if_under_limit(f, data, node, buf, limit)
        },
    )?;
    l.func_wrap(
        K8S_API,
        "nodeList",
        |mut c: Ctx<'_>, buf: i32, limit: i32| {
            let f = HostFn::NodeList;
            count(&c, f);
            let Some(mem) = memory(&mut c) else {
                return Ok(0);
            };
            let (data, state) = mem.data_and_store_mut(&mut c);
            let snapshot = state.snapshot.clone();
            marshal_if_under_limit(f, data, Some(snapshot.node_list()), buf, limit)
        },
    )?;
    Ok(())
}

fn klog_log(c: &mut Ctx<'_>, severity: i32, msg: i32, msg_len: i32) {
    if severity > c.data().shared.log_severity {
        return;
    }
    let Some(mem) = memory(c) else { return };
    let (data, state) = mem.data_and_store_mut(c);
    let Some(b) = read(data, msg, msg_len) else {
        return;
    };
    let sev = match severity {
        0 => Severity::Info,
        2 => Severity::Error,
        _ => return,
    };
    state
        .shared
        .log(klog::unstructured(sev, &String::from_utf8_lossy(b)));
}

fn define_klog(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    l.func_wrap(
        K8S_KLOG,
        "log",
        |mut c: Ctx<'_>, severity: i32, msg: i32, msg_len: i32| {
            count(&c, HostFn::KlogLog);
            klog_log(&mut c, severity, msg, msg_len);
        },
    )?;
    l.func_wrap(
        K8S_KLOG,
        "logs",
        |mut c: Ctx<'_>, severity: i32, msg: i32, msg_len: i32, kvs: i32, kvs_len: i32| {
            count(&c, HostFn::KlogLogs);
            if kvs_len == 0 {
                klog_log(&mut c, severity, msg, msg_len);
                return;
            }
            if severity < c.data().shared.log_severity {
                return;
            }
            let Some(mem) = memory(&mut c) else { return };
            let (data, state) = mem.data_and_store_mut(&mut c);
            let Some(m) = read(data, msg, msg_len) else {
                return;
            };
            let Some(k) = read(data, kvs, kvs_len) else {
                return;
            };
            let sev = match severity {
                0 => Severity::Info,
                2 => Severity::Error,
                _ => return,
            };
            let line = klog::structured(
                sev,
                None,
                &String::from_utf8_lossy(m),
                &from_nul_terminated(k),
            );
            state.shared.log(line);
        },
    )?;
    l.func_wrap(K8S_KLOG, "severity", |c: Ctx<'_>| {
        count(&c, HostFn::KlogSeverity);
        c.data().shared.log_severity
    })?;
    Ok(())
}

/// A getter returning a string computed from the per-call context.
fn string_getter(
    l: &mut Linker<HostState>,
    f: HostFn,
    get: fn(&HostState) -> &[u8],
) -> wasmtime::Result<()> {
    let (_, module, name, _, _) = f.entry();
    l.func_wrap(module, name, move |mut c: Ctx<'_>, buf: i32, limit: i32| {
        count(&c, f);
        if !c.data().call.active && f != HostFn::GetConfig {
            return Err(no_context(f));
        }
        let Some(mem) = memory(&mut c) else {
            return Ok(0);
        };
        let (data, state) = mem.data_and_store_mut(&mut c);
        Ok(write_string_if_under_limit(data, get(state), buf, limit))
    })?;
    Ok(())
}

/// A protobuf pod getter.
fn pod_getter(
    l: &mut Linker<HostState>,
    f: HostFn,
    get: fn(&CallCtx) -> Option<&Arc<[u8]>>,
) -> wasmtime::Result<()> {
    let (_, module, name, _, _) = f.entry();
    l.func_wrap(module, name, move |mut c: Ctx<'_>, buf: i32, limit: i32| {
        count(&c, f);
        if !c.data().call.active {
            return Err(no_context(f));
        }
        let Some(mem) = memory(&mut c) else {
            return Ok(0);
        };
        let (data, state) = mem.data_and_store_mut(&mut c);
        let pod = get(&state.call).cloned();
        marshal_if_under_limit(f, data, pod.as_deref(), buf, limit)
    })?;
    Ok(())
}

/// A `result.*` setter: reads the bytes (panicking with `oom` when out of range) and stores them.
fn setter(
    l: &mut Linker<HostState>,
    f: HostFn,
    oom: &'static str,
    set: fn(&mut HostState, &[u8]) -> Result<(), String>,
) -> wasmtime::Result<()> {
    let (_, module, name, _, _) = f.entry();
    l.func_wrap(module, name, move |mut c: Ctx<'_>, ptr: i32, len: i32| {
        count(&c, f);
        let needs_context = f != HostFn::EventRecorderEventf;
        if needs_context && !c.data().call.active {
            return Err(no_context(f));
        }
        let Some(mem) = memory(&mut c) else {
            return Ok(());
        };
        let (data, state) = mem.data_and_store_mut(&mut c);
        match read(data, ptr, len) {
            Some(b) => set(state, b).map_err(|e| panic(f, e)),
            None if f == HostFn::ResultStatusReason => {
                state.call.status_reason = Some("BUG: out of memory reading message".into());
                Ok(())
            }
            None => Err(panic(f, oom)),
        }
    })?;
    Ok(())
}

/// The `k8s.io/scheduler` module: what the guest reads, what it writes back, and the framework
/// handle (event recorder, waiting pods).
fn define_scheduler(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    define_scheduler_inputs(l)?;
    define_scheduler_results(l)?;
    define_scheduler_handle(l)
}

/// Getters: the plugin config and the current call's pod, node, node lists and maps.
fn define_scheduler_inputs(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    string_getter(l, HostFn::GetConfig, |s| s.shared.guest_config.as_bytes())?;
    string_getter(l, HostFn::FilteredNodeList, |s| {
        s.call
            .filtered_nodes_json
            .as_deref()
            .unwrap_or("[]")
            .as_bytes()
    })?;
    pod_getter(l, HostFn::TargetPod, |c| c.target_pod.as_ref())?;
    string_getter(l, HostFn::CurrentNodeName, |s| {
        s.call.current_node_name.as_bytes()
    })?;
    l.func_wrap(K8S_SCHEDULER, "nodeImageStates", node_image_states)?;
    pod_getter(l, HostFn::CurrentPod, |c| c.current_pod.as_ref())?;
    string_getter(l, HostFn::NodeToStatusMap, |s| {
        s.call
            .node_to_status_json
            .as_deref()
            .unwrap_or("{}")
            .as_bytes()
    })?;
    string_getter(l, HostFn::NodeScoreList, |s| {
        s.call.node_score_json.as_deref().unwrap_or("{}").as_bytes()
    })?;
    Ok(())
}

/// Setters: the results a hook leaves for the host (events, node names, nomination, status
/// reason, normalized scores).
fn define_scheduler_results(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    setter(
        l,
        HostFn::ResultClusterEvents,
        "out of memory reading clusterEvents",
        |s, b| {
            s.call.cluster_events = ClusterEvent::decode(b);
            Ok(())
        },
    )?;
    setter(
        l,
        HostFn::ResultNodeNames,
        "out of memory reading nodeNames",
        |s, b| {
            let names = from_nul_terminated(b);
            s.call.node_names = (!names.is_empty()).then_some(names);
            Ok(())
        },
    )?;
    setter(
        l,
        HostFn::ResultNominatedNodeName,
        "out of memory reading nominatedNodeName",
        |s, b| {
            s.call.nominated_node_name = String::from_utf8_lossy(b).into_owned();
            Ok(())
        },
    )?;
    setter(l, HostFn::ResultStatusReason, "", |s, b| {
        s.call.status_reason = Some(String::from_utf8_lossy(b).into_owned());
        Ok(())
    })?;
    setter(
        l,
        HostFn::ResultNormalizedScoreList,
        "out of memory reading normalized score list",
        |s, b| {
            s.call.normalized_scores = crate::gojson::decode_score_map(b)?;
            Ok(())
        },
    )?;
    Ok(())
}

/// The framework handle: `eventrecorder.eventf` and the waiting-pod functions.
fn define_scheduler_handle(l: &mut Linker<HostState>) -> wasmtime::Result<()> {
    setter(
        l,
        HostFn::EventRecorderEventf,
        "out of memory reading eventrecorder event",
        |s, b| {
            let event = crate::gojson::decode_event(b)?;
            s.shared
                .events
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(event);
            Ok(())
        },
    )?;
    l.func_wrap(
        K8S_SCHEDULER,
        "handle.reject_waiting_pod",
        reject_waiting_pod,
    )?;
    l.func_wrap(K8S_SCHEDULER, "handle.get_waiting_pod", get_waiting_pod)?;
    Ok(())
}

/// `nodeImageStates`: the node's image states as JSON, if it fits under `limit`.
fn node_image_states(
    mut c: Ctx<'_>,
    name: i32,
    name_len: i32,
    buf: i32,
    limit: i32,
) -> wasmtime::Result<i32> {
    let f = HostFn::NodeImageStates;
    count(&c, f);
    let Some(mem) = memory(&mut c) else {
        return Ok(0);
    };
    let (data, state) = mem.data_and_store_mut(&mut c);
    let Some(name) = read(data, name, name_len) else {
        return Err(panic(f, "out of memory reading nodeName"));
    };
    let snapshot = state.snapshot.clone();
    let json = snapshot.image_states(name);
    Ok(write_string_if_under_limit(
        data,
        json.as_bytes(),
        buf,
        limit,
    ))
}

/// `handle.reject_waiting_pod`: rejects a waiting pod by UID; writes whether it was waiting.
fn reject_waiting_pod(
    mut c: Ctx<'_>,
    uid: i32,
    uid_len: i32,
    out: i32,
    _out_limit: i32,
) -> wasmtime::Result<()> {
    let f = HostFn::RejectWaitingPod;
    count(&c, f);
    let Some(mem) = memory(&mut c) else {
        return Ok(());
    };
    let (data, state) = mem.data_and_store_mut(&mut c);
    let Some(uid) = read(data, uid, uid_len) else {
        return Err(panic(f, "out of memory reading rejectWaitingPod"));
    };
    let uid = String::from_utf8_lossy(uid).into_owned();
    let rejected = state
        .shared
        .waiting_pods
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&uid)
        .is_some();
    if rejected {
        state
            .shared
            .rejected_waiting_pods
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(uid);
    }
    // Always 8 bytes, ignoring out_limit; a failed write is ignored.
    let _ = write(data, out, &u64::from(rejected).to_le_bytes());
    Ok(())
}

/// `handle.get_waiting_pod`: the waiting pod with this UID, marshalled, or 8 zero bytes.
fn get_waiting_pod(
    mut c: Ctx<'_>,
    uid: i32,
    uid_len: i32,
    out: i32,
    out_limit: i32,
) -> wasmtime::Result<()> {
    let f = HostFn::GetWaitingPod;
    count(&c, f);
    let Some(mem) = memory(&mut c) else {
        return Ok(());
    };
    let (data, state) = mem.data_and_store_mut(&mut c);
    let Some(uid) = read(data, uid, uid_len) else {
        return Err(panic(f, "out of memory reading getWaitingPod"));
    };
    let uid = String::from_utf8_lossy(uid).into_owned();
    let pod = state
        .shared
        .waiting_pods
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&uid)
        .map(|p| p.shared_bytes().clone());
    match pod {
        None => {
            let _ = write(data, out, &[0; 8]);
            Ok(())
        }
        Some(bytes) => {
            if marshal_if_under_limit(f, data, Some(&bytes), out, out_limit)? == 0 {
                return Err(panic(f, "out of memory writing getWaitingPod result"));
            }
            Ok(())
        }
    }
}

/// `filteredNodeList` JSON for PreScore.
pub(crate) fn filtered_nodes_json<S: AsRef<str>>(names: &[S]) -> String {
    gofmt::json_string_array(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_lists() {
        assert_eq!(from_nul_terminated(b"a\0\0two\0"), ["a", "two"]);
        assert_eq!(from_nul_terminated(b"a\0two"), ["a"]);
        assert!(from_nul_terminated(b"").is_empty());
        assert!(from_nul_terminated(b"\0\0").is_empty());
    }

    #[test]
    fn cluster_events() {
        let mut b = Vec::new();
        for (r, a) in [(0u32, 1u32), (10, 63), (42, 2)] {
            b.extend_from_slice(&r.to_le_bytes());
            b.extend_from_slice(&a.to_le_bytes());
        }
        b.extend_from_slice(&[1, 2, 3]);
        let ev = ClusterEvent::decode(&b);
        assert_eq!(
            ev,
            [
                ClusterEvent {
                    resource: "Pod".into(),
                    action_type: 1
                },
                ClusterEvent {
                    resource: "*".into(),
                    action_type: 63
                },
                ClusterEvent {
                    resource: "EventResource(42)".into(),
                    action_type: 2
                },
            ]
        );
    }

    #[test]
    fn frames() {
        assert_eq!(
            HostFn::CurrentPod.frame(),
            "k8s.io/scheduler.currentPod(i32,i32) i32"
        );
        assert_eq!(HostFn::KlogSeverity.frame(), "k8s.io/klog.severity() i32");
        assert_eq!(
            HostFn::ResultStatusReason.frame(),
            "k8s.io/scheduler.result.status_reason(i32,i32)"
        );
    }
}
