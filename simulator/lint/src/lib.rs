//! Checks a kube-scheduler-wasm-extension guest (ours, TinyGo's, anyone's) against the production
//! host — upstream's plugin at commit `9b2791f` on wazero v1.7.2 — before it ships.
//!
//! [`lint`] reads the module's bytes (it never runs them) and returns a [`Report`]: the module's
//! size and SHA-256, and one [`Finding`] per problem or fact. A finding of severity
//! [`Severity::Error`] breaks the guest in production (the host refuses it, traps in it or crashes
//! the scheduler); [`Severity::Warning`] degrades it (leaked instances, slow instantiation, a
//! deployment path closed); [`Severity::Info`] is a fact to know (memory, size, hash).
//! [`Report::fails`] is true if any finding is an error or a warning.
//!
//! ```
//! let wasm = wat::parse_str(
//!     r#"(module (memory (export "memory") 1)
//!          (func (export "filter") (result i32) i32.const 0))"#,
//! )?;
//! let report = guest_lint::lint(&wasm);
//! assert!(!report.fails());
//! assert!(report.findings.iter().any(|f| f.code == "sha256"));
//! print!("{}", report.text("guest.wasm"));
//! # Ok::<(), wat::Error>(())
//! ```
//!
//! The `simulator lint` command is [`cli`].

pub mod cli;
mod host;

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use wasmparser::{
    CompositeInnerType, ConstExpr, DataKind, ExternalKind, FuncType, Operator, Parser, Payload,
    TypeRef, ValType, Validator, WasmFeatures,
};

/// How a finding affects the guest in the production host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A fact (size, hash, memory); never fails the check.
    Info,
    /// Degrades the guest in production (leaks, slow instances, a closed deployment path).
    Warning,
    /// Breaks the guest in production: refused at load, traps, or crashes the scheduler.
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding: a stable code for tools and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How it affects the guest.
    pub severity: Severity,
    /// A stable kebab-case code, e.g. `bulk-memory` or `import-unknown-module`.
    pub code: &'static str,
    /// What was found and what the host does with it.
    pub message: String,
}

/// The result of [`lint`].
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Module size in bytes.
    pub size: usize,
    /// SHA-256 of the module, lowercase hex (pin it in the deployment).
    pub sha256: String,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether any finding breaks or degrades the guest in production (error or warning).
    pub fn fails(&self) -> bool {
        self.findings.iter().any(|f| f.severity > Severity::Info)
    }

    /// The findings with `code`.
    pub fn with_code<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.code == code)
    }

    /// One line per finding: `<name>: <severity>: <code>: <message>`.
    pub fn text(&self, name: &str) -> String {
        let mut s = String::new();
        for f in &self.findings {
            let _ = writeln!(
                s,
                "{name}: {}: {}: {}",
                f.severity.as_str(),
                f.code,
                f.message
            );
        }
        s
    }

    /// The report as a JSON object `{"file", "size", "sha256", "fails", "findings": [...]}`.
    pub fn json(&self, name: &str) -> serde_json::Value {
        serde_json::json!({
            "file": name,
            "size": self.size,
            "sha256": self.sha256,
            "fails": self.fails(),
            "findings": self.findings,
        })
    }
}

/// A ConfigMap holds at most 1 MiB of data, keys included.
pub const CONFIGMAP_LIMIT: usize = 1 << 20;
/// Initial linear memory above which instantiation gets noticeably slower (pages of 64 KiB).
pub const MEMORY_PAGES_WARN: u64 = 16;
/// A shadow stack this large is rustc's default, which the SDK's build avoids.
pub const STACK_WARN: u64 = 1 << 20;

/// Checks `wasm` against the production host. Never panics, whatever the bytes.
pub fn lint(wasm: &[u8]) -> Report {
    let sha256 = Sha256::digest(wasm).iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    let mut findings = match Module::parse(wasm) {
        Ok(m) => m.check(),
        Err(e) => vec![Finding {
            severity: Severity::Error,
            code: "invalid-module",
            message: format!(
                "not a valid WebAssembly module: {e}; the host fails with `wasm: error compiling guest`"
            ),
        }],
    };
    if findings.iter().all(|f| f.code != "invalid-module") {
        let mut v = Validator::new_with_features(WasmFeatures::WASM2);
        if let Err(e) = v.validate_all(wasm) {
            findings.push(Finding {
                severity: Severity::Error,
                code: "unsupported-feature",
                message: format!(
                    "invalid under wazero's Wasm 2.0 feature set (no threads, tail calls, exceptions, multi-memory, memory64 or GC): {e}; the host fails with `wasm: error compiling guest`"
                ),
            });
        }
    }
    findings.push(size_finding(wasm.len()));
    findings.push(Finding {
        severity: Severity::Info,
        code: "sha256",
        message: format!("{sha256} (pin this digest where the deployment fetches the guest)"),
    });
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Report {
        size: wasm.len(),
        sha256,
        findings,
    }
}

fn size_finding(size: usize) -> Finding {
    let kib = size as f64 / 1024.0;
    if size > CONFIGMAP_LIMIT {
        Finding {
            severity: Severity::Warning,
            code: "module-size",
            message: format!(
                "{size} bytes ({kib:.0} KiB) is over a ConfigMap's 1 MiB limit: it cannot be mounted from a ConfigMap (serve it over http(s) or bake it into the image)"
            ),
        }
    } else {
        Finding {
            severity: Severity::Info,
            code: "module-size",
            message: format!(
                "{size} bytes ({kib:.0} KiB), {:.0}% of a ConfigMap's 1 MiB limit",
                size as f64 * 100.0 / CONFIGMAP_LIMIT as f64
            ),
        }
    }
}

/// An import as the host sees it.
struct Import {
    module: String,
    name: String,
    /// The function type, for function imports.
    func: Option<FuncType>,
    kind: &'static str,
}

/// What [`lint`] needs of a module, collected in one pass.
#[derive(Default)]
struct Module {
    types: Vec<Option<FuncType>>,
    imports: Vec<Import>,
    /// Type index of each function, imported ones first.
    func_types: Vec<u32>,
    imported_funcs: u32,
    exports: Vec<(String, ExternalKind, u32)>,
    memory_initial: Option<u64>,
    start: Option<u32>,
    /// Direct callees of each defined function (index into the function index space).
    calls: Vec<BTreeSet<u32>>,
    /// Defined functions that contain `call_indirect`.
    indirect: BTreeSet<u32>,
    memory_copy: usize,
    memory_fill: usize,
    memory_init: usize,
    /// Initial value of the first defined mutable i32 global (`__stack_pointer` when LLVM links).
    stack_pointer: Option<u64>,
    /// Lowest start and highest end of active data segments.
    data_range: Option<(u64, u64)>,
}

fn const_i32(e: &ConstExpr<'_>) -> Option<u64> {
    let mut r = e.get_operators_reader();
    match r.read().ok()? {
        Operator::I32Const { value } => Some(u64::from(value as u32)),
        _ => None,
    }
}

impl Module {
    fn parse(wasm: &[u8]) -> wasmparser::Result<Module> {
        let mut m = Module::default();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::TypeSection(r) => {
                    for rec in r {
                        for sub in rec?.into_types() {
                            m.types.push(match sub.composite_type.inner {
                                CompositeInnerType::Func(f) => Some(f),
                                _ => None,
                            });
                        }
                    }
                }
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        let imp = imp?;
                        let (func, kind) = match imp.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                                m.func_types.push(t);
                                m.imported_funcs += 1;
                                (m.types.get(t as usize).cloned().flatten(), "function")
                            }
                            TypeRef::Memory(_) => (None, "memory"),
                            TypeRef::Table(_) => (None, "table"),
                            TypeRef::Global(_) => (None, "global"),
                            TypeRef::Tag(_) => (None, "tag"),
                        };
                        m.imports.push(Import {
                            module: imp.module.to_string(),
                            name: imp.name.to_string(),
                            func,
                            kind,
                        });
                    }
                }
                Payload::FunctionSection(r) => {
                    for t in r {
                        m.func_types.push(t?);
                    }
                }
                Payload::MemorySection(r) => {
                    for mem in r {
                        let mem = mem?;
                        m.memory_initial.get_or_insert(mem.initial);
                    }
                }
                Payload::GlobalSection(r) => {
                    for g in r {
                        let g = g?;
                        if m.stack_pointer.is_none()
                            && g.ty.mutable
                            && g.ty.content_type == ValType::I32
                        {
                            m.stack_pointer = const_i32(&g.init_expr);
                        }
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e?;
                        m.exports.push((e.name.to_string(), e.kind, e.index));
                    }
                }
                Payload::StartSection { func, .. } => m.start = Some(func),
                Payload::DataSection(r) => {
                    for d in r {
                        let d = d?;
                        if let DataKind::Active { offset_expr, .. } = d.kind
                            && let Some(start) = const_i32(&offset_expr)
                        {
                            let end = start + d.data.len() as u64;
                            m.data_range = Some(match m.data_range {
                                Some((lo, hi)) => (lo.min(start), hi.max(end)),
                                None => (start, end),
                            });
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let me = m.imported_funcs + m.calls.len() as u32;
                    let mut callees = BTreeSet::new();
                    let mut r = body.get_operators_reader()?;
                    while !r.eof() {
                        match r.read()? {
                            Operator::Call { function_index }
                            | Operator::ReturnCall { function_index } => {
                                callees.insert(function_index);
                            }
                            Operator::CallIndirect { .. } | Operator::ReturnCallIndirect { .. } => {
                                m.indirect.insert(me);
                            }
                            Operator::MemoryCopy { .. } => m.memory_copy += 1,
                            Operator::MemoryFill { .. } => m.memory_fill += 1,
                            Operator::MemoryInit { .. } => m.memory_init += 1,
                            _ => {}
                        }
                    }
                    m.calls.push(callees);
                }
                _ => {}
            }
        }
        Ok(m)
    }

    fn func_type(&self, func: u32) -> Option<&FuncType> {
        let t = *self.func_types.get(func as usize)?;
        self.types.get(t as usize)?.as_ref()
    }

    fn export(&self, name: &str, kind: ExternalKind) -> Option<u32> {
        self.exports
            .iter()
            .find(|(n, k, _)| n == name && *k == kind)
            .map(|(_, _, i)| *i)
    }

    /// Imported functions reachable from `func` through direct calls, and whether an indirect
    /// call was met on the way (then more may be reachable).
    fn reachable_imports(&self, func: u32) -> (BTreeSet<u32>, bool) {
        let mut seen = BTreeSet::from([func]);
        let mut queue = VecDeque::from([func]);
        let mut imports = BTreeSet::new();
        let mut indirect = false;
        while let Some(f) = queue.pop_front() {
            if f < self.imported_funcs {
                imports.insert(f);
                continue;
            }
            indirect |= self.indirect.contains(&f);
            if let Some(callees) = self.calls.get((f - self.imported_funcs) as usize) {
                for &c in callees {
                    if seen.insert(c) {
                        queue.push_back(c);
                    }
                }
            }
        }
        (imports, indirect)
    }

    fn check(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        self.check_imports(&mut out);
        self.check_memory(&mut out);
        self.check_hooks(&mut out);
        self.check_start(&mut out);
        self.check_bulk_memory(&mut out);
        out
    }

    fn check_imports(&self, out: &mut Vec<Finding>) {
        for imp in &self.imports {
            let what = format!("{}.{}", imp.module, imp.name);
            if !host::MODULES.contains(&imp.module.as_str()) {
                out.push(Finding {
                    severity: Severity::Error,
                    code: "import-unknown-module",
                    message: format!(
                        "imports {what} ({}), but the host only provides wasi_snapshot_preview1, k8s.io/api, k8s.io/klog and k8s.io/scheduler: instantiation fails with `module[{}] not instantiated`",
                        imp.kind, imp.module
                    ),
                });
                continue;
            }
            let Some(ty) = &imp.func else {
                out.push(Finding {
                    severity: Severity::Error,
                    code: "import-not-function",
                    message: format!(
                        "imports {what} as a {}, but the host modules export only functions: instantiation fails",
                        imp.kind
                    ),
                });
                continue;
            };
            match host::import_sig(&imp.module, &imp.name) {
                None => out.push(Finding {
                    severity: Severity::Error,
                    code: "import-unknown-function",
                    message: format!(
                        "imports {what}, which the host does not define: instantiation fails with `\"{}\" is not exported in module \"{}\"`",
                        imp.name, imp.module
                    ),
                }),
                Some(sig) if !sig.matches(ty.params(), ty.results()) => out.push(Finding {
                    severity: Severity::Error,
                    code: "import-signature",
                    message: format!(
                        "imports {what} as {}, but the host defines {}: instantiation fails with a signature mismatch",
                        host::sig_text(ty.params(), ty.results()),
                        sig.text()
                    ),
                }),
                Some(_) => {}
            }
        }
    }

    fn check_memory(&self, out: &mut Vec<Finding>) {
        if self.export("memory", ExternalKind::Memory).is_none() {
            out.push(Finding {
                severity: Severity::Error,
                code: "no-memory-export",
                message: "exports no memory named `memory`: the host refuses the guest (`wasm: guest doesn't export memory[memory]`)".into(),
            });
        }
        if let Some(pages) = self.memory_initial {
            let kib = pages * 64;
            out.push(if pages > MEMORY_PAGES_WARN {
                Finding {
                    severity: Severity::Warning,
                    code: "initial-memory",
                    message: format!(
                        "{pages} pages ({kib} KiB) of linear memory per instance: every instance the host creates (one per binding cycle in flight) starts this big, and instantiation time grows with it; Rust guests linked with -zstack-size=65536 start at 4-7 pages"
                    ),
                }
            } else {
                Finding {
                    severity: Severity::Info,
                    code: "initial-memory",
                    message: format!("{pages} pages ({kib} KiB) of linear memory per instance"),
                }
            });
        }
        if let Some(sp) = self.stack_pointer {
            // LLVM's --stack-first layout puts the stack below the data; otherwise it follows it.
            let stack = match self.data_range {
                Some((lo, _)) if sp <= lo => sp,
                Some((_, hi)) if sp > hi => sp - hi,
                None => sp,
                Some(_) => return,
            };
            let kib = stack / 1024;
            out.push(if stack >= STACK_WARN {
                Finding {
                    severity: Severity::Warning,
                    code: "shadow-stack",
                    message: format!(
                        "shadow stack of about {kib} KiB (from the stack pointer's initial value): it is part of every instance's initial memory; link with -zstack-size=65536 (64 KiB) to halve instantiation time"
                    ),
                }
            } else {
                Finding {
                    severity: Severity::Info,
                    code: "shadow-stack",
                    message: format!(
                        "shadow stack of about {kib} KiB (from the stack pointer's initial value)"
                    ),
                }
            });
        }
    }

    fn check_hooks(&self, out: &mut Vec<Finding>) {
        let mut present = BTreeMap::new();
        for (name, sig) in host::HOOKS {
            let Some(func) = self.export(name, ExternalKind::Func) else {
                continue;
            };
            present.insert(name, ());
            if let Some(ty) = self.func_type(func)
                && !sig.matches(ty.params(), ty.results())
            {
                out.push(Finding {
                    severity: Severity::Error,
                    code: "hook-signature",
                    message: format!(
                        "exports {name} as {}, but the host requires {}: the host refuses the guest (`wasm: guest exports the wrong signature for func[{name}]`)",
                        host::sig_text(ty.params(), ty.results()),
                        sig.text()
                    ),
                });
            }
        }
        let has = |n: &str| present.contains_key(n);
        if present.is_empty() {
            out.push(Finding {
                severity: Severity::Error,
                code: "no-hooks",
                message: "exports no hook (filter, score, …): the host refuses the guest (`wasm: guest does not export any plugin functions`)".into(),
            });
            return;
        }
        for (a, b) in [("reserve", "unreserve"), ("addpod", "removepod")] {
            if has(a) != has(b) {
                let (there, missing) = if has(a) { (a, b) } else { (b, a) };
                out.push(Finding {
                    severity: Severity::Error,
                    code: "hook-pair",
                    message: format!(
                        "exports {there} without {missing}: the host calls the missing one as a nil function, a Go panic in the scheduler"
                    ),
                });
            }
        }
        let (f, s, r, p, b) = (
            has("filter"),
            has("score"),
            has("reserve") || has("unreserve"),
            has("permit"),
            has("bind"),
        );
        let groups: String = [(f, 'F'), (s, 'S'), (r, 'R'), (p, 'P'), (b, 'B')]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, c)| *c)
            .collect();
        const REJECTED: [&str; 8] = ["RP", "FRP", "FRB", "FPB", "SRP", "FSRP", "FRPB", "SRPB"];
        let only_prefilter = present.len() == 1 && has("prefilter");
        if (groups.is_empty() && !only_prefilter) || REJECTED.contains(&groups.as_str()) {
            let set = if groups.is_empty() {
                "no hook group".to_string()
            } else {
                format!("the hook groups {groups}")
            };
            out.push(Finding {
                severity: Severity::Error,
                code: "export-set-rejected",
                message: format!(
                    "exports {set} (F filter, S score, R reserve, P permit, B bind): the host refuses the guest (`wasm: filter, score, reserve, permit or bind must be exported`)"
                ),
            });
        }
        let binding = ["permit", "prebind", "bind", "postbind"];
        let listed: Vec<&str> = binding.iter().copied().filter(|h| has(h)).collect();
        if !listed.is_empty() && listed.len() < binding.len() {
            let missing: Vec<&str> = binding.iter().copied().filter(|h| !has(h)).collect();
            out.push(Finding {
                severity: Severity::Warning,
                code: "binding-partial",
                message: format!(
                    "exports {} without {}: the host leaks one instance per pod (permit without bind and postbind) or runs the binding hooks on another pod's instance, or panics (prebind/bind without permit); export all four",
                    listed.join(", "),
                    missing.join(", ")
                ),
            });
        }
        for (hook, needs) in [
            ("prescore", "score"),
            ("normalizescore", "score"),
            ("postfilter", "filter"),
            ("addpod", "filter"),
        ] {
            if has(hook) && !has(needs) {
                out.push(Finding {
                    severity: Severity::Warning,
                    code: "hook-never-called",
                    message: format!("exports {hook} without {needs}: the host never calls it"),
                });
            }
        }
        if has("normalizescore") && s {
            out.push(Finding {
                severity: Severity::Warning,
                code: "normalizescore",
                message: "exports normalizescore: the host copies the result back by position in random map order, so scores can land on the wrong nodes, and a different entry count crashes the scheduler".into(),
            });
        }
    }

    fn check_start(&self, out: &mut Vec<Finding>) {
        if self.export("_initialize", ExternalKind::Func).is_some() {
            out.push(Finding {
                severity: Severity::Warning,
                code: "initialize-never-called",
                message: "exports _initialize, which the host never calls (it runs only _start): whatever it initialises stays uninitialised".into(),
            });
        }
        if let Some(func) = self.start {
            out.push(Finding {
                severity: Severity::Info,
                code: "start-section",
                message: format!(
                    "has a start section (function {func}): it runs at every instantiation, before _start"
                ),
            });
        }
        let Some(start) = self.export("_start", ExternalKind::Func) else {
            return;
        };
        let (imports, indirect) = self.reachable_imports(start);
        let names = |pred: &dyn Fn(&Import) -> bool| -> Vec<String> {
            imports
                .iter()
                .filter_map(|&i| {
                    self.imports
                        .iter()
                        .filter(|x| x.func.is_some())
                        .nth(i as usize)
                })
                .filter(|x| pred(x))
                .map(|x| format!("{}.{}", x.module, x.name))
                .collect()
        };
        let context = names(&|x| {
            x.module == "k8s.io/scheduler" && host::CONTEXT_GETTERS.contains(&x.name.as_str())
        });
        if !context.is_empty() {
            out.push(Finding {
                severity: Severity::Error,
                code: "start-reads-context",
                message: format!(
                    "_start can call {} (directly reachable): there is no per-call context during _start, so the host panics and instantiation fails",
                    context.join(", ")
                ),
            });
        }
        let exit = names(&|x| x.module == "wasi_snapshot_preview1" && x.name == "proc_exit");
        if !exit.is_empty() {
            // Reachable is not called: TinyGo's _start reaches proc_exit on its error paths and
            // works. So a fact, not a failure.
            out.push(Finding {
                severity: Severity::Info,
                code: "start-may-exit",
                message: "_start can reach proc_exit (through direct calls): if it calls proc_exit(0) the host takes it as success but the instance is closed, and every later call fails with `module closed with exit_code(0)`; a guest's _start must return".into(),
            });
        }
        if context.is_empty() && exit.is_empty() {
            let note = if indirect {
                " (through direct calls; it also makes indirect calls, not followed)"
            } else {
                ""
            };
            out.push(Finding {
                severity: Severity::Info,
                code: "start",
                message: format!(
                    "exports _start, which the host runs at every instantiation; it reaches neither proc_exit nor a per-call getter{note}"
                ),
            });
        }
    }

    fn check_bulk_memory(&self, out: &mut Vec<Finding>) {
        let (c, f, i) = (self.memory_copy, self.memory_fill, self.memory_init);
        if c + f + i == 0 {
            return;
        }
        out.push(Finding {
            severity: Severity::Error,
            code: "bulk-memory",
            message: format!(
                "{c} memory.copy, {f} memory.fill, {i} memory.init: kube-scheduler-wasm-extension as upstream ships it (9b2791f: wazero v1.7.2, built with Go 1.24) can trap on them (`out of bounds memory access`) or crash; fixed in wazero v1.9.0. Lower them: `cargo run -p lower-bulk-memory -- GUEST.wasm` (memory.copy/memory.fill of any module, word-wise) or binaryen's --llvm-memory-copy-fill-lowering; Rust guests: common/tools/build-guest.sh"
            ),
        });
    }
}
