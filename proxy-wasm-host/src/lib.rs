//! A small [proxy-wasm] host (ABI 0.2.1) on wasmtime, to test and benchmark Envoy filters without
//! Envoy. It implements the calls a typical HTTP filter uses, the way Envoy does:
//!
//! - the context lifecycle: `_initialize`, `proxy_on_context_create`, `proxy_on_vm_start`,
//!   `proxy_on_configure`, `proxy_on_request_headers`, `proxy_on_response_headers`,
//!   `proxy_on_tick`, `proxy_on_http_call_response`, `proxy_on_done`, `proxy_on_log`,
//!   `proxy_on_delete`;
//! - header maps (get / get pairs / set pairs / replace / add / remove, names case-insensitive and
//!   stored lower-case as Envoy does), the plugin and VM configuration buffers and the HTTP-call
//!   response body (`proxy_get_buffer_bytes`), properties (`proxy_get_property`, path segments
//!   separated by NUL), `proxy_http_call` (unknown cluster or a missing `:method`, `:path` or
//!   `:authority` → `BadArgument`, as Envoy), `proxy_set_tick_period_milliseconds`,
//!   `proxy_get_current_time_nanoseconds` (a clock the test controls), shared data with
//!   compare-and-swap (one store per [`Proxy`], shared by all its workers, as Envoy shares it per VM
//!   id), `proxy_log` / `proxy_get_log_level`, `proxy_set_effective_context`.
//!
//! Any other import traps when called. A [`Proxy`] is one Envoy; each [`Worker`] is one worker
//! thread's instance of the module with its own root context; nothing runs by itself — the test
//! calls [`Worker::tick`], answers the calls it sees in [`Worker::http_calls`], and moves the clock.
//!
//! ```no_run
//! use proxy_wasm_host::Proxy;
//! # fn main() -> wasmtime::Result<()> {
//! let proxy = Proxy::from_file("static/burst_header.wasm")?;
//! proxy.add_cluster("burst");
//! let mut worker = proxy.worker(br#"{"burst_header": "current-load=1, target-load=1, max-load=2"}"#)?;
//! assert!(worker.configured());
//! let exchange = worker.request(&[(":path", "/")], &[(":status", "200")])?;
//! assert_eq!(exchange.response_header("x-load-feedback"), Some("current-load=1, target-load=1, max-load=2"));
//! # Ok(()) }
//! ```
//!
//! [proxy-wasm]: https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use wasmtime::{Caller, Engine, Instance, Linker, Memory, Module, Store, TypedFunc};
use wasmtime::{Result, bail, format_err};

/// `WasmResult` codes of ABI 0.2.1.
pub mod status {
    /// Success.
    pub const OK: i32 = 0;
    /// No such key, property or buffer.
    pub const NOT_FOUND: i32 = 1;
    /// An argument the host refuses (unknown cluster, missing pseudo-header, …).
    pub const BAD_ARGUMENT: i32 = 2;
    /// A pointer or length outside the module's memory.
    pub const INVALID_MEMORY_ACCESS: i32 = 6;
    /// Shared data changed since it was read.
    pub const CAS_MISMATCH: i32 = 8;
    /// The host failed.
    pub const INTERNAL_FAILURE: i32 = 10;
}

/// Header map types of ABI 0.2.1.
mod map_type {
    pub const REQUEST_HEADERS: i32 = 0;
    pub const RESPONSE_HEADERS: i32 = 2;
    pub const HTTP_CALL_RESPONSE_HEADERS: i32 = 6;
}

/// Buffer types of ABI 0.2.1.
mod buffer_type {
    pub const HTTP_CALL_RESPONSE_BODY: i32 = 4;
    pub const VM_CONFIGURATION: i32 = 6;
    pub const PLUGIN_CONFIGURATION: i32 = 7;
}

/// The root context id every worker uses.
pub const ROOT_CONTEXT_ID: u32 = 1;

/// A header map: lower-case names, values as bytes, in order.
pub type Headers = Vec<(String, Vec<u8>)>;

#[derive(Default)]
struct SharedStore {
    entries: HashMap<String, (Vec<u8>, u32)>,
    next_cas: u32,
}

/// One Envoy: the compiled module, its shared data, clusters and clock.
pub struct Proxy {
    engine: Engine,
    module: Module,
    linker: Linker<HostState>,
    shared: Arc<Mutex<SharedStore>>,
    clusters: Arc<Mutex<Vec<String>>>,
    clock_ns: Arc<AtomicU64>,
    vm_config: Vec<u8>,
}

/// An `proxy_http_call` the module made and the test has not answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// The token the module got.
    pub token: u32,
    /// The context that made the call.
    pub context_id: u32,
    /// The cluster.
    pub upstream: String,
    /// The request headers, including `:method`, `:path`, `:authority`.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Vec<u8>,
    /// The timeout, in milliseconds.
    pub timeout_ms: u32,
}

impl HttpCall {
    /// A header of the call.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A log line from the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// 0 trace … 5 critical.
    pub level: i32,
    /// The message.
    pub message: String,
}

/// What a request/response exchange through the filter produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The action `proxy_on_request_headers` returned (0 Continue, 1 Pause).
    pub request_action: i32,
    /// The action `proxy_on_response_headers` returned.
    pub response_action: i32,
    /// The request headers after the filter.
    pub request_headers: Headers,
    /// The response headers after the filter.
    pub response_headers: Headers,
}

impl Exchange {
    /// A response header as text (the first with that name).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.response_headers
            .iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

#[derive(Default)]
struct Stream {
    request_headers: Headers,
    response_headers: Headers,
}

struct CallResponse {
    headers: Headers,
    body: Vec<u8>,
}

struct HostState {
    shared: Arc<Mutex<SharedStore>>,
    clusters: Arc<Mutex<Vec<String>>>,
    clock_ns: Arc<AtomicU64>,
    plugin_config: Vec<u8>,
    vm_config: Vec<u8>,
    properties: HashMap<Vec<u8>, Vec<u8>>,
    log_level: i32,
    logs: Vec<LogEntry>,
    tick_period_ms: u32,
    contexts: Vec<u32>,
    effective_context: u32,
    stream: Stream,
    call_response: Option<CallResponse>,
    calls: Vec<HttpCall>,
    next_token: u32,
    memory: Option<Memory>,
    malloc: Option<TypedFunc<i32, i32>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Proxy {
    /// Compiles a module.
    ///
    /// # Errors
    /// The bytes are not a valid module, or an import cannot be linked.
    pub fn new(wasm: &[u8]) -> Result<Proxy> {
        let engine = Engine::default();
        let module =
            Module::new(&engine, wasm).map_err(|e| format_err!("compiling the module: {e}"))?;
        let mut linker = Linker::new(&engine);
        define_imports(&mut linker)?;
        linker.define_unknown_imports_as_traps(&module)?;
        Ok(Proxy {
            engine,
            module,
            linker,
            shared: Arc::default(),
            clusters: Arc::default(),
            clock_ns: Arc::new(AtomicU64::new(1_700_000_000_000_000_000)),
            vm_config: Vec::new(),
        })
    }

    /// Reads and compiles a module file.
    ///
    /// # Errors
    /// As [`Proxy::new`], or the file cannot be read.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Proxy> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| format_err!("reading {}: {e}", path.display()))?;
        Proxy::new(&bytes)
    }

    /// Declares an Envoy cluster `proxy_http_call` may target.
    pub fn add_cluster(&self, name: &str) {
        lock(&self.clusters).push(name.to_string());
    }

    /// The clock, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        self.clock_ns.load(Ordering::SeqCst) / 1_000_000
    }

    /// Moves the clock forward.
    pub fn advance_ms(&self, ms: u64) {
        self.clock_ns.fetch_add(ms * 1_000_000, Ordering::SeqCst);
    }

    /// A shared-data entry (value, CAS).
    pub fn shared_data(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        lock(&self.shared).entries.get(key).cloned()
    }

    /// Starts a worker: instantiates the module, runs `_initialize` (or `_start`), creates the
    /// root context, then `proxy_on_vm_start` and `proxy_on_configure` with `plugin_config`.
    /// A `false` from either is recorded in [`Worker::configured`], as Envoy records a failed
    /// configuration (the filter is not installed).
    ///
    /// # Errors
    /// Instantiation fails or the module traps.
    pub fn worker(&self, plugin_config: &[u8]) -> Result<Worker> {
        let state = HostState {
            shared: self.shared.clone(),
            clusters: self.clusters.clone(),
            clock_ns: self.clock_ns.clone(),
            plugin_config: plugin_config.to_vec(),
            vm_config: self.vm_config.clone(),
            properties: HashMap::new(),
            log_level: 0,
            logs: Vec::new(),
            tick_period_ms: 0,
            contexts: Vec::new(),
            effective_context: 0,
            stream: Stream::default(),
            call_response: None,
            calls: Vec::new(),
            next_token: 1,
            memory: None,
            malloc: None,
        };
        let mut store = Store::new(&self.engine, state);
        let instance = self.linker.instantiate(&mut store, &self.module)?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| format_err!("the module exports no memory"))?;
        let malloc = instance
            .get_typed_func::<i32, i32>(&mut store, "malloc")
            .or_else(|_| {
                instance.get_typed_func::<i32, i32>(&mut store, "proxy_on_memory_allocate")
            })
            .map_err(|e| {
                format_err!("the module exports neither malloc nor proxy_on_memory_allocate: {e}")
            })?;
        store.data_mut().memory = Some(memory);
        store.data_mut().malloc = Some(malloc);
        for init in ["_initialize", "_start"] {
            if let Ok(f) = instance.get_typed_func::<(), ()>(&mut store, init) {
                f.call(&mut store, ())?;
                break;
            }
        }
        let exports = Exports::new(&instance, &mut store)?;
        let mut worker = Worker {
            store,
            exports,
            next_context: ROOT_CONTEXT_ID + 1,
            configured: false,
        };
        worker.create_context(ROOT_CONTEXT_ID, 0)?;
        let vm_size = worker.store.data().vm_config.len() as i32;
        let cfg_size = plugin_config.len() as i32;
        let f = worker.exports.on_vm_start.clone();
        let started = worker.call(ROOT_CONTEXT_ID, |s| {
            f.call(s, (ROOT_CONTEXT_ID as i32, vm_size))
        })?;
        let f = worker.exports.on_configure.clone();
        let configured = started != 0
            && worker.call(ROOT_CONTEXT_ID, |s| {
                f.call(s, (ROOT_CONTEXT_ID as i32, cfg_size))
            })? != 0;
        worker.configured = configured;
        Ok(worker)
    }
}

struct Exports {
    on_context_create: TypedFunc<(i32, i32), ()>,
    on_vm_start: TypedFunc<(i32, i32), i32>,
    on_configure: TypedFunc<(i32, i32), i32>,
    on_tick: TypedFunc<i32, ()>,
    on_request_headers: TypedFunc<(i32, i32, i32), i32>,
    on_response_headers: TypedFunc<(i32, i32, i32), i32>,
    on_http_call_response: TypedFunc<(i32, i32, i32, i32, i32), ()>,
    on_done: TypedFunc<i32, i32>,
    on_log: TypedFunc<i32, ()>,
    on_delete: TypedFunc<i32, ()>,
}

impl Exports {
    fn new(instance: &Instance, store: &mut Store<HostState>) -> Result<Exports> {
        macro_rules! get {
            ($name:literal) => {
                instance
                    .get_typed_func(&mut *store, $name)
                    .map_err(|e| format_err!("the module does not export {}: {e}", $name))?
            };
        }
        Ok(Exports {
            on_context_create: get!("proxy_on_context_create"),
            on_vm_start: get!("proxy_on_vm_start"),
            on_configure: get!("proxy_on_configure"),
            on_tick: get!("proxy_on_tick"),
            on_request_headers: get!("proxy_on_request_headers"),
            on_response_headers: get!("proxy_on_response_headers"),
            on_http_call_response: get!("proxy_on_http_call_response"),
            on_done: get!("proxy_on_done"),
            on_log: get!("proxy_on_log"),
            on_delete: get!("proxy_on_delete"),
        })
    }
}

/// One worker thread's instance of the module, with its root context.
pub struct Worker {
    store: Store<HostState>,
    exports: Exports,
    next_context: u32,
    configured: bool,
}

impl Worker {
    /// Whether `proxy_on_vm_start` and `proxy_on_configure` both returned true.
    pub fn configured(&self) -> bool {
        self.configured
    }

    /// The tick period the root context asked for (0 = none).
    pub fn tick_period_ms(&self) -> u32 {
        self.store.data().tick_period_ms
    }

    /// The module's log lines so far.
    pub fn logs(&self) -> &[LogEntry] {
        &self.store.data().logs
    }

    /// Removes and returns the log lines so far.
    pub fn take_logs(&mut self) -> Vec<LogEntry> {
        std::mem::take(&mut self.store.data_mut().logs)
    }

    /// Sets a property (`path` segments, e.g. `["cluster_metadata", "filter_metadata", …]`).
    pub fn set_property(&mut self, path: &[&str], value: &[u8]) {
        self.store
            .data_mut()
            .properties
            .insert(path.join("\0").into_bytes(), value.to_vec());
    }

    /// Removes a property.
    pub fn remove_property(&mut self, path: &[&str]) {
        self.store
            .data_mut()
            .properties
            .remove(path.join("\0").as_bytes());
    }

    /// The calls dispatched and not yet answered.
    pub fn http_calls(&self) -> &[HttpCall] {
        &self.store.data().calls
    }

    fn call<R>(
        &mut self,
        context: u32,
        f: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R> {
        self.store.data_mut().effective_context = context;
        f(&mut self.store).map_err(|e| format_err!("the module trapped: {e:?}"))
    }

    fn create_context(&mut self, id: u32, root: u32) -> Result<()> {
        self.store.data_mut().contexts.push(id);
        let f = self.exports.on_context_create.clone();
        self.call(id, |s| f.call(s, (id as i32, root as i32)))
    }

    fn delete_context(&mut self, id: u32) -> Result<()> {
        let (done, log, delete) = (
            self.exports.on_done.clone(),
            self.exports.on_log.clone(),
            self.exports.on_delete.clone(),
        );
        self.call(id, |s| done.call(s, id as i32))?;
        self.call(id, |s| log.call(s, id as i32))?;
        self.call(id, |s| delete.call(s, id as i32))?;
        self.store.data_mut().contexts.retain(|&c| c != id);
        Ok(())
    }

    /// Fires the root context's timer once (`proxy_on_tick`), whatever the period.
    ///
    /// # Errors
    /// The module trapped.
    pub fn tick(&mut self) -> Result<()> {
        let f = self.exports.on_tick.clone();
        self.call(ROOT_CONTEXT_ID, |s| f.call(s, ROOT_CONTEXT_ID as i32))
    }

    /// Answers a pending call (`proxy_on_http_call_response` with these headers and body).
    ///
    /// # Errors
    /// No such pending call, or the module trapped.
    pub fn respond(&mut self, token: u32, headers: &[(&str, &str)], body: &[u8]) -> Result<()> {
        let headers: Headers = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_bytes().to_vec()))
            .collect();
        self.finish_call(
            token,
            Some(CallResponse {
                headers,
                body: body.to_vec(),
            }),
        )
    }

    /// Fails a pending call as Envoy does on a timeout or a connection failure:
    /// `proxy_on_http_call_response` with no headers, body or trailers.
    ///
    /// # Errors
    /// No such pending call, or the module trapped.
    pub fn fail_call(&mut self, token: u32) -> Result<()> {
        self.finish_call(token, None)
    }

    fn finish_call(&mut self, token: u32, response: Option<CallResponse>) -> Result<()> {
        let calls = &mut self.store.data_mut().calls;
        let i = calls
            .iter()
            .position(|c| c.token == token)
            .ok_or_else(|| format_err!("no pending call with token {token}"))?;
        let call = calls.remove(i);
        let (nh, nb) = response
            .as_ref()
            .map_or((0, 0), |r| (r.headers.len() as i32, r.body.len() as i32));
        self.store.data_mut().call_response = response;
        let f = self.exports.on_http_call_response.clone();
        let ctx = call.context_id;
        let r = self.call(ctx, |s| f.call(s, (ctx as i32, token as i32, nh, nb, 0)));
        self.store.data_mut().call_response = None;
        r
    }

    /// One HTTP exchange through the filter: a new HTTP context, `proxy_on_request_headers`
    /// (end of stream), `proxy_on_response_headers`, then `proxy_on_done`, `proxy_on_log`,
    /// `proxy_on_delete`.
    ///
    /// # Errors
    /// The module trapped.
    pub fn request(
        &mut self,
        request_headers: &[(&str, &str)],
        response_headers: &[(&str, &str)],
    ) -> Result<Exchange> {
        let lower = |h: &[(&str, &str)]| -> Headers {
            h.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.as_bytes().to_vec()))
                .collect()
        };
        self.request_raw(lower(request_headers), lower(response_headers))
    }

    /// As [`Worker::request`], with header values as bytes (names must be lower-case).
    ///
    /// # Errors
    /// The module trapped.
    pub fn request_raw(
        &mut self,
        request_headers: Headers,
        response_headers: Headers,
    ) -> Result<Exchange> {
        let id = self.next_context;
        self.next_context += 1;
        let (nreq, nresp) = (request_headers.len() as i32, response_headers.len() as i32);
        self.store.data_mut().stream = Stream {
            request_headers,
            response_headers: Vec::new(),
        };
        self.create_context(id, ROOT_CONTEXT_ID)?;
        let f = self.exports.on_request_headers.clone();
        let request_action = self.call(id, |s| f.call(s, (id as i32, nreq, 1)))?;
        self.store.data_mut().stream.response_headers = response_headers;
        let f = self.exports.on_response_headers.clone();
        let response_action = self.call(id, |s| f.call(s, (id as i32, nresp, 0)))?;
        self.delete_context(id)?;
        let stream = std::mem::take(&mut self.store.data_mut().stream);
        Ok(Exchange {
            request_action,
            response_action,
            request_headers: stream.request_headers,
            response_headers: stream.response_headers,
        })
    }
}

// ---- the host functions ----

type C<'a> = Caller<'a, HostState>;

fn read(caller: &mut C<'_>, ptr: i32, len: i32) -> Result<Vec<u8>, i32> {
    let memory = caller.data().memory.ok_or(status::INTERNAL_FAILURE)?;
    let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
    let data = memory.data(&*caller);
    data.get(ptr..ptr.checked_add(len).ok_or(status::INVALID_MEMORY_ACCESS)?)
        .map(<[u8]>::to_vec)
        .ok_or(status::INVALID_MEMORY_ACCESS)
}

fn write(caller: &mut C<'_>, ptr: i32, bytes: &[u8]) -> Result<(), i32> {
    let memory = caller.data().memory.ok_or(status::INTERNAL_FAILURE)?;
    memory
        .write(&mut *caller, ptr as u32 as usize, bytes)
        .map_err(|_| status::INVALID_MEMORY_ACCESS)
}

/// Copies `bytes` into memory the module allocates, and writes its address and size to the
/// module's return pointers.
fn give(caller: &mut C<'_>, bytes: &[u8], ret_ptr: i32, ret_size: i32) -> Result<(), i32> {
    let addr = if bytes.is_empty() {
        0
    } else {
        let malloc = caller
            .data()
            .malloc
            .clone()
            .ok_or(status::INTERNAL_FAILURE)?;
        let addr = malloc
            .call(&mut *caller, bytes.len() as i32)
            .map_err(|_| status::INTERNAL_FAILURE)?;
        write(caller, addr, bytes)?;
        addr
    };
    write(caller, ret_ptr, &addr.to_le_bytes())?;
    write(caller, ret_size, &(bytes.len() as u32).to_le_bytes())
}

fn code(r: Result<(), i32>) -> i32 {
    r.err().unwrap_or(status::OK)
}

/// A header from guest memory: the key lower-cased (Envoy's header maps are case-insensitive), the
/// value as bytes; or the status to return.
fn header_pair(
    caller: &mut C<'_>,
    kp: i32,
    ks: i32,
    vp: i32,
    vs: i32,
) -> Result<(String, Vec<u8>), i32> {
    Ok((
        text(caller, kp, ks)?.to_ascii_lowercase(),
        read(caller, vp, vs)?,
    ))
}

fn text(caller: &mut C<'_>, ptr: i32, len: i32) -> Result<String, i32> {
    String::from_utf8(read(caller, ptr, len)?).map_err(|_| status::BAD_ARGUMENT)
}

/// The serialized form of a header map: count, (name size, value size) pairs, then NUL-terminated
/// names and values.
fn serialize_map(map: &Headers) -> Vec<u8> {
    let mut out = (map.len() as u32).to_le_bytes().to_vec();
    for (k, v) in map {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in map {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v);
        out.push(0);
    }
    out
}

fn deserialize_map(bytes: &[u8]) -> Option<Headers> {
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let u32_at = |i: usize| -> Option<usize> {
        let b: [u8; 4] = bytes.get(i..i + 4)?.try_into().ok()?;
        Some(u32::from_le_bytes(b) as usize)
    };
    let n = u32_at(0)?;
    let mut p = 4usize.checked_add(n.checked_mul(8)?)?;
    let mut out = Vec::with_capacity(n.min(1024));
    for i in 0..n {
        let (ks, vs) = (u32_at(4 + i * 8)?, u32_at(8 + i * 8)?);
        let k = bytes.get(p..p.checked_add(ks)?)?;
        p += ks + 1;
        let v = bytes.get(p..p.checked_add(vs)?)?;
        p += vs + 1;
        out.push((String::from_utf8(k.to_vec()).ok()?, v.to_vec()));
    }
    Some(out)
}

fn map_mut(state: &mut HostState, map: i32) -> Option<&mut Headers> {
    match map {
        map_type::REQUEST_HEADERS => Some(&mut state.stream.request_headers),
        map_type::RESPONSE_HEADERS => Some(&mut state.stream.response_headers),
        map_type::HTTP_CALL_RESPONSE_HEADERS => {
            state.call_response.as_mut().map(|r| &mut r.headers)
        }
        _ => None,
    }
}

fn define_imports(linker: &mut Linker<HostState>) -> Result<()> {
    const ENV: &str = "env";
    linker.func_wrap(
        ENV,
        "proxy_log",
        |mut c: C<'_>, level: i32, ptr: i32, len: i32| -> i32 {
            match read(&mut c, ptr, len) {
                Ok(msg) => {
                    let message = String::from_utf8_lossy(&msg).into_owned();
                    if std::env::var_os("PROXY_WASM_HOST_LOG").is_some() {
                        eprintln!("[wasm {level}] {message}");
                    }
                    c.data_mut().logs.push(LogEntry { level, message });
                    status::OK
                }
                Err(e) => e,
            }
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_get_log_level",
        |mut c: C<'_>, ret: i32| -> i32 {
            let level = c.data().log_level;
            code(write(&mut c, ret, &level.to_le_bytes()))
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_get_current_time_nanoseconds",
        |mut c: C<'_>, ret: i32| -> i32 {
            let now = c.data().clock_ns.load(Ordering::SeqCst);
            code(write(&mut c, ret, &now.to_le_bytes()))
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_set_tick_period_milliseconds",
        |mut c: C<'_>, period: i32| -> i32 {
            c.data_mut().tick_period_ms = period as u32;
            status::OK
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_set_effective_context",
        |mut c: C<'_>, id: i32| -> i32 {
            if c.data().contexts.contains(&(id as u32)) {
                c.data_mut().effective_context = id as u32;
                status::OK
            } else {
                status::BAD_ARGUMENT
            }
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_get_buffer_bytes",
        |mut c: C<'_>, buffer: i32, start: i32, max: i32, ret_ptr: i32, ret_size: i32| -> i32 {
            let data = match buffer {
                buffer_type::PLUGIN_CONFIGURATION => Some(c.data().plugin_config.clone()),
                buffer_type::VM_CONFIGURATION => Some(c.data().vm_config.clone()),
                buffer_type::HTTP_CALL_RESPONSE_BODY => {
                    c.data().call_response.as_ref().map(|r| r.body.clone())
                }
                _ => None,
            };
            let Some(data) = data else {
                return status::NOT_FOUND;
            };
            let start = (start as u32 as usize).min(data.len());
            let end = start.saturating_add(max as u32 as usize).min(data.len());
            code(give(&mut c, &data[start..end], ret_ptr, ret_size))
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_get_header_map_value",
        |mut c: C<'_>, map: i32, kp: i32, ks: i32, ret_ptr: i32, ret_size: i32| -> i32 {
            let key = match text(&mut c, kp, ks) {
                Ok(k) => k.to_ascii_lowercase(),
                Err(e) => return e,
            };
            let value = match map_mut(c.data_mut(), map) {
                Some(m) => m.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()),
                None => return status::BAD_ARGUMENT,
            };
            match value {
                Some(v) => code(give(&mut c, &v, ret_ptr, ret_size)),
                None => status::NOT_FOUND,
            }
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_get_header_map_pairs",
        |mut c: C<'_>, map: i32, ret_ptr: i32, ret_size: i32| -> i32 {
            let bytes = match map_mut(c.data_mut(), map) {
                Some(m) => serialize_map(m),
                None => return status::BAD_ARGUMENT,
            };
            code(give(&mut c, &bytes, ret_ptr, ret_size))
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_set_header_map_pairs",
        |mut c: C<'_>, map: i32, ptr: i32, size: i32| -> i32 {
            let pairs = match read(&mut c, ptr, size) {
                Ok(b) => match deserialize_map(&b) {
                    Some(p) => p,
                    None => return status::BAD_ARGUMENT,
                },
                Err(e) => return e,
            };
            match map_mut(c.data_mut(), map) {
                Some(m) => {
                    *m = pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v))
                        .collect();
                    status::OK
                }
                None => status::BAD_ARGUMENT,
            }
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_replace_header_map_value",
        |mut c: C<'_>, map: i32, kp: i32, ks: i32, vp: i32, vs: i32| -> i32 {
            let (key, value) = match header_pair(&mut c, kp, ks, vp, vs) {
                Ok(pair) => pair,
                Err(e) => return e,
            };
            match map_mut(c.data_mut(), map) {
                Some(m) => {
                    m.retain(|(k, _)| *k != key);
                    m.push((key, value));
                    status::OK
                }
                None => status::BAD_ARGUMENT,
            }
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_add_header_map_value",
        |mut c: C<'_>, map: i32, kp: i32, ks: i32, vp: i32, vs: i32| -> i32 {
            let (key, value) = match header_pair(&mut c, kp, ks, vp, vs) {
                Ok(pair) => pair,
                Err(e) => return e,
            };
            match map_mut(c.data_mut(), map) {
                Some(m) => {
                    m.push((key, value));
                    status::OK
                }
                None => status::BAD_ARGUMENT,
            }
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_remove_header_map_value",
        |mut c: C<'_>, map: i32, kp: i32, ks: i32| -> i32 {
            let key = match text(&mut c, kp, ks) {
                Ok(k) => k.to_ascii_lowercase(),
                Err(e) => return e,
            };
            match map_mut(c.data_mut(), map) {
                Some(m) => {
                    m.retain(|(k, _)| *k != key);
                    status::OK
                }
                None => status::BAD_ARGUMENT,
            }
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_get_property",
        |mut c: C<'_>, pp: i32, ps: i32, ret_ptr: i32, ret_size: i32| -> i32 {
            let path = match read(&mut c, pp, ps) {
                Ok(p) => p,
                Err(e) => return e,
            };
            match c.data().properties.get(&path).cloned() {
                Some(v) => code(give(&mut c, &v, ret_ptr, ret_size)),
                None => status::NOT_FOUND,
            }
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_get_shared_data",
        |mut c: C<'_>, kp: i32, ks: i32, ret_ptr: i32, ret_size: i32, ret_cas: i32| -> i32 {
            let key = match text(&mut c, kp, ks) {
                Ok(k) => k,
                Err(e) => return e,
            };
            let entry = lock(&c.data().shared).entries.get(&key).cloned();
            match entry {
                Some((value, cas)) => match give(&mut c, &value, ret_ptr, ret_size) {
                    Ok(()) => code(write(&mut c, ret_cas, &cas.to_le_bytes())),
                    Err(e) => e,
                },
                None => status::NOT_FOUND,
            }
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_set_shared_data",
        |mut c: C<'_>, kp: i32, ks: i32, vp: i32, vs: i32, cas: i32| -> i32 {
            let (key, value) = match (text(&mut c, kp, ks), read(&mut c, vp, vs)) {
                (Ok(k), Ok(v)) => (k, v),
                (Err(e), _) | (_, Err(e)) => return e,
            };
            let shared = c.data().shared.clone();
            let mut store = lock(&shared);
            let cas = cas as u32;
            if let Some((_, current)) = store.entries.get(&key)
                && cas != 0
                && cas != *current
            {
                return status::CAS_MISMATCH;
            }
            store.next_cas = store.next_cas.wrapping_add(1).max(1);
            let next = store.next_cas;
            store.entries.insert(key, (value, next));
            status::OK
        },
    )?;
    linker.func_wrap(
        ENV,
        "proxy_http_call",
        |mut c: C<'_>,
         up: i32,
         us: i32,
         hp: i32,
         hs: i32,
         bp: i32,
         bs: i32,
         _tp: i32,
         _ts: i32,
         timeout: i32,
         ret_token: i32|
         -> i32 {
            let upstream = match text(&mut c, up, us) {
                Ok(u) => u,
                Err(e) => return e,
            };
            let headers = match read(&mut c, hp, hs).map(|b| deserialize_map(&b)) {
                Ok(Some(h)) => h,
                Ok(None) => return status::BAD_ARGUMENT,
                Err(e) => return e,
            };
            let body = match read(&mut c, bp, bs) {
                Ok(b) => b,
                Err(e) => return e,
            };
            if !lock(&c.data().clusters).contains(&upstream) {
                return status::BAD_ARGUMENT;
            }
            let headers: Vec<(String, String)> = headers
                .into_iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
                .collect();
            for required in [":method", ":path", ":authority"] {
                if !headers.iter().any(|(k, v)| k == required && !v.is_empty()) {
                    return status::BAD_ARGUMENT;
                }
            }
            let token = c.data().next_token;
            if let Err(e) = write(&mut c, ret_token, &token.to_le_bytes()) {
                return e;
            }
            let state = c.data_mut();
            state.next_token += 1;
            let context_id = state.effective_context;
            state.calls.push(HttpCall {
                token,
                context_id,
                upstream,
                headers,
                body,
                timeout_ms: timeout as u32,
            });
            status::OK
        },
    )?;
    Ok(())
}

/// Checks that a module exists before a test uses it, with a hint to build it.
///
/// # Errors
/// The file does not exist.
pub fn require_module(path: &Path) -> Result<()> {
    if !path.exists() {
        bail!("{} is not built: run `make build` first", path.display());
    }
    Ok(())
}
