//! One guest instance: instantiation with the production host's module config (docs/abi.md §1.2),
//! hook calls, and wazero-style error texts (§2.5).

use crate::exports::{Exports, Hook};
use crate::host::{CallCtx, HostPanic, HostState, Shared};
use crate::limits::{GuestLimits, MemoryCap, OverMemoryCap};
use crate::module_info::ModuleInfo;
use crate::wasi::{self, OutputBuffer};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use wasmtime::{Engine, InstancePre, Memory, Store, Trap, TypedFunc, Val, WasmBacktrace};

/// wazero's `wasmdebug.MaxFrames`.
const MAX_FRAMES: usize = 30;

/// What every instance of one plugin shares (wazero's runtime + compiled module).
pub(crate) struct Runtime {
    pub engine: Engine,
    pub pre: InstancePre<HostState>,
    pub info: Arc<ModuleInfo>,
    pub exports: Exports,
    pub shared: Arc<Shared>,
    pub args: Vec<String>,
    /// Instance names are a decimal counter starting at "1".
    pub counter: AtomicU64,
    /// Set when a later instantiation failed: the host then closes the whole runtime.
    pub closed: AtomicBool,
    /// Bumped whenever the snapshot is replaced, so instances refresh their copy lazily.
    pub snapshot_generation: AtomicU64,
    /// The simulator's deadline and memory cap (none in production).
    pub limits: GuestLimits,
}

enum HookFn {
    Unit(TypedFunc<(), ()>),
    I32(TypedFunc<(), i32>),
    I64(TypedFunc<(), i64>),
}

/// Why a hook call did not produce a value.
pub(crate) enum CallError {
    /// The guest does not export the hook: the Go host calls a nil function and panics.
    Missing,
    /// The call failed; the text is the host's decorated error (`wasm: <export> error: …`).
    Failed(String),
}

/// One instance of the guest.
pub(crate) struct Instance {
    store: Store<HostState>,
    instance: wasmtime::Instance,
    memory: Option<Memory>,
    out: OutputBuffer,
    hooks: [Option<HookFn>; 15],
    /// `Some(code)` once wazero would have closed the module (`proc_exit`).
    closed: Option<i32>,
    snapshot_generation: u64,
}

/// `decorateError`.
pub(crate) fn decorate(out: &str, export: &str, err: &str) -> String {
    if out.is_empty() {
        format!("wasm: {export} error: {err}")
    } else {
        format!("wasm: {export} error: {out}\n{err}")
    }
}

/// wazero's text for a trap kind.
fn trap_text(t: &Trap) -> String {
    match t {
        Trap::StackOverflow => "stack overflow".into(),
        Trap::MemoryOutOfBounds => "out of bounds memory access".into(),
        Trap::HeapMisaligned => "unaligned atomic".into(),
        Trap::TableOutOfBounds | Trap::IndirectCallToNull => "invalid table access".into(),
        Trap::BadSignature => "indirect call type mismatch".into(),
        Trap::IntegerOverflow => "integer overflow".into(),
        Trap::IntegerDivisionByZero => "integer divide by zero".into(),
        Trap::BadConversionToInteger => "invalid conversion to integer".into(),
        Trap::UnreachableCodeReached => "unreachable".into(),
        other => other.to_string(),
    }
}

/// Whether a call failed on one of the simulator's own bounds (the deadline or the memory cap):
/// the guest was stopped at an arbitrary point, so its instance is replaced.
fn over_limit(e: &wasmtime::Error) -> bool {
    matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt))
        || e.downcast_ref::<OverMemoryCap>().is_some()
}

/// The error text wazero gives for a failed call, and the exit code if the module exited. A call
/// stopped by the simulator's deadline or memory cap (which wazero does not have) says so, with
/// the stack in wazero's format.
pub(crate) fn describe(
    info: &ModuleInfo,
    limits: &GuestLimits,
    e: &wasmtime::Error,
) -> (String, Option<i32>) {
    if let Some(exit) = e.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return (
            format!("module closed with exit_code({})", exit.0),
            Some(exit.0),
        );
    }
    let mut frames: Vec<String> = Vec::new();
    let panic = e.downcast_ref::<HostPanic>();
    if let Some(p) = panic {
        frames.push(p.func.frame());
    }
    if let Some(bt) = e.downcast_ref::<WasmBacktrace>() {
        frames.extend(bt.frames().iter().map(|f| info.frame(f.func_index())));
    }
    let mut stack = String::new();
    for (i, f) in frames.iter().take(MAX_FRAMES).enumerate() {
        if i > 0 {
            stack.push_str("\n\t");
        }
        stack.push_str(f);
    }
    if frames.len() >= MAX_FRAMES {
        stack.push_str("\n\t... maybe followed by omitted frames");
    }
    if let Some(p) = panic {
        let mut s = format!("{p}\nwasm stack trace:\n\t{stack}");
        if p.runtime_error {
            s.push_str("\n\nGo runtime stack trace:\n(the Go host's goroutine stack; not reproduced by the simulator)");
        }
        return (s, None);
    }
    if let Some(cap) = e.downcast_ref::<OverMemoryCap>() {
        return (format!("{cap}\nwasm stack trace:\n\t{stack}"), None);
    }
    if let Some(Trap::Interrupt) = e.downcast_ref::<Trap>() {
        return (
            format!("{}\nwasm stack trace:\n\t{stack}", limits.deadline_text()),
            None,
        );
    }
    if let Some(t) = e.downcast_ref::<Trap>() {
        return (
            format!("wasm error: {}\nwasm stack trace:\n\t{stack}", trap_text(t)),
            None,
        );
    }
    (e.to_string(), None)
}

impl Runtime {
    /// `newGuest`: instantiates one instance and runs `_start`. The error is the decorated
    /// `wasm: instantiate error: …` text.
    pub(crate) fn instantiate(&self) -> Result<Instance, String> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        if self.closed.load(Ordering::Relaxed) {
            return Err(decorate(
                "",
                "instantiate",
                "runtime closed with exit_code(0)",
            ));
        }
        let out = OutputBuffer::default();
        let state = HostState {
            wasi: wasi::context(&self.args, &out),
            memory: None,
            shared: self.shared.clone(),
            snapshot: self.shared.snapshot(),
            call: CallCtx::default(),
            memory_cap: MemoryCap {
                max: self.limits.memory_max,
            },
        };
        let generation = self.snapshot_generation.load(Ordering::Acquire);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory_cap);
        if self.limits.hook_timeout.is_some() {
            // One deadline for instantiation and `_start` together.
            store.epoch_deadline_trap();
            store.set_epoch_deadline(self.limits.deadline_ticks());
        }
        let fail = |out: &OutputBuffer, msg: String| decorate(&out.text(), "instantiate", &msg);
        let instance = match self.pre.instantiate(&mut store) {
            Ok(i) => i,
            Err(e) => {
                let (msg, _) = describe(&self.info, &self.limits, &e);
                return Err(fail(&out, msg));
            }
        };
        let memory = instance.get_memory(&mut store, "memory");
        store.data_mut().memory = memory;
        let mut closed = None;
        if let Some(start) = instance.get_func(&mut store, "_start") {
            let ty = start.ty(&store);
            let n_params = ty.params().len();
            let mut results: Vec<Val> = ty
                .results()
                .map(|t| Val::default_for_ty(&t).unwrap_or(Val::I32(0)))
                .collect();
            let result = if n_params > 0 {
                Err(format!("expected {n_params} params, but passed 0"))
            } else {
                start.call(&mut store, &[], &mut results).map_err(|e| {
                    let (msg, exit) = describe(&self.info, &self.limits, &e);
                    match exit {
                        Some(0) => {
                            closed = Some(0);
                            String::new()
                        }
                        Some(_) => msg,
                        None => format!("module[{n}] function[_start] failed: {msg}"),
                    }
                })
            };
            if let Err(msg) = result
                && closed.is_none()
            {
                return Err(fail(&out, msg));
            }
        }
        out.clear();
        let hooks = Hook::ALL.map(|h| {
            if !self.exports.has(h) {
                return None;
            }
            let name = h.export_name();
            match h.result() {
                None => instance
                    .get_typed_func(&mut store, name)
                    .ok()
                    .map(HookFn::Unit),
                Some(crate::module_info::Val::I64) => instance
                    .get_typed_func(&mut store, name)
                    .ok()
                    .map(HookFn::I64),
                Some(_) => instance
                    .get_typed_func(&mut store, name)
                    .ok()
                    .map(HookFn::I32),
            }
        });
        Ok(Instance {
            store,
            instance,
            memory,
            out,
            hooks,
            closed,
            snapshot_generation: generation,
        })
    }
}

impl Instance {
    /// Calls `hook` after preparing a fresh per-call context with `setup`. Returns the raw result
    /// (i32 results sign-extended to 64 bits as the Go host reads them, `()` as 0).
    pub(crate) fn call(
        &mut self,
        rt: &Runtime,
        hook: Hook,
        setup: impl FnOnce(&mut CallCtx),
    ) -> Result<u64, CallError> {
        let Some(f) = &self.hooks[hook as usize] else {
            return Err(CallError::Missing);
        };
        let generation = rt.snapshot_generation.load(Ordering::Acquire);
        if generation != self.snapshot_generation {
            self.store.data_mut().snapshot = rt.shared.snapshot();
            self.snapshot_generation = generation;
        }
        let ctx = &mut self.store.data_mut().call;
        ctx.reset();
        setup(ctx);
        let export = hook.export_name();
        // wazero runs the function even on a closed module (exit code set by proc_exit or by
        // closing the runtime) and reports the closure when the call returns normally.
        let closed_code = if rt.closed.load(Ordering::Relaxed) {
            Some(0)
        } else {
            self.closed
        };
        if rt.limits.hook_timeout.is_some() {
            self.store.set_epoch_deadline(rt.limits.deadline_ticks());
        }
        let r = match f {
            HookFn::Unit(f) => f.call(&mut self.store, ()).map(|()| 0),
            HookFn::I32(f) => f.call(&mut self.store, ()).map(|v| v as u32 as u64),
            HookFn::I64(f) => f.call(&mut self.store, ()).map(|v| v as u64),
        };
        let result = match r {
            Ok(_) if closed_code.is_some() => {
                let code = closed_code.unwrap_or_default();
                let msg = decorate(
                    &self.out.text(),
                    export,
                    &format!("module closed with exit_code({code})"),
                );
                Err((msg, false))
            }
            Ok(v) => Ok(v),
            Err(e) => {
                let (msg, exit) = describe(&rt.info, &rt.limits, &e);
                if exit.is_some() && self.closed.is_none() {
                    self.closed = exit;
                }
                let msg = decorate(&self.out.text(), export, &msg);
                Err((msg, over_limit(&e)))
            }
        };
        self.store.data_mut().call.active = false;
        self.out.clear();
        result.map_err(|(msg, over)| {
            CallError::Failed(if over { self.replace(rt, msg) } else { msg })
        })
    }

    /// Replaces this instance by a fresh one after a call was stopped by the deadline or the
    /// memory cap (the guest was interrupted mid-way: its heap, locks and globals cannot be
    /// trusted, and its memory stays grown), so later calls run on a sane guest. Returns `msg`,
    /// with the reason if no new instance could be made (the old one is then kept).
    fn replace(&mut self, rt: &Runtime, msg: String) -> String {
        match rt.instantiate() {
            Ok(fresh) => {
                *self = fresh;
                msg
            }
            Err(e) => format!("{msg}\n(the instance could not be replaced: {e})"),
        }
    }

    /// The context of the last call, with the results the guest set.
    pub(crate) fn ctx(&mut self) -> &mut CallCtx {
        &mut self.store.data_mut().call
    }

    /// The size of the linear memory in bytes.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.memory.map_or(0, |m| m.data_size(&self.store))
    }

    /// Sets an exported mutable i32 global (test support for the `*_from_global` fixtures).
    pub(crate) fn set_global(&mut self, name: &str, value: i32) -> Result<(), String> {
        let Some(g) = self.instance.get_global(&mut self.store, name) else {
            return Err(format!("the guest exports no global {name:?}"));
        };
        g.set(&mut self.store, Val::I32(value))
            .map_err(|e| format!("cannot set global {name:?}: {e}"))
    }
}
