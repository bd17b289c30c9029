//! What the host needs to know about a guest module beyond what wasmtime exposes: the type of every
//! function (for wazero-style stack traces) and the name section.

use std::collections::HashMap;
use wasmparser::{ExternalKind, KnownCustom, Name, Parser, Payload, TypeRef, ValType};

/// A wasm value type as wazero names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Val {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
}

impl Val {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Val::I32 => "i32",
            Val::I64 => "i64",
            Val::F32 => "f32",
            Val::F64 => "f64",
            Val::V128 => "v128",
            Val::FuncRef => "funcref",
            Val::ExternRef => "externref",
        }
    }

    fn from_parser(v: ValType) -> Self {
        match v {
            ValType::I32 => Val::I32,
            ValType::I64 => Val::I64,
            ValType::F32 => Val::F32,
            ValType::F64 => Val::F64,
            ValType::V128 => Val::V128,
            ValType::Ref(r) if r.is_func_ref() => Val::FuncRef,
            ValType::Ref(_) => Val::ExternRef,
        }
    }
}

/// A function signature.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Sig {
    pub params: Vec<Val>,
    pub results: Vec<Val>,
}

impl Sig {
    pub(crate) fn new(params: &[Val], results: &[Val]) -> Self {
        Self {
            params: params.to_vec(),
            results: results.to_vec(),
        }
    }

    /// wazero's `FunctionType.String()`: `i32i32_i32`, `v_v`, `i32_v`.
    pub(crate) fn key(&self) -> String {
        let mut s = String::new();
        for p in &self.params {
            s.push_str(p.name());
        }
        s.push_str(if self.params.is_empty() { "v_" } else { "_" });
        for r in &self.results {
            s.push_str(r.name());
        }
        if self.results.is_empty() {
            s.push('v');
        }
        s
    }

    /// wazero's frame signature: `name(i32,i32) i32`, `name()`, `name() (i32,i64)`.
    pub(crate) fn frame(&self, name: &str) -> String {
        let mut s = String::from(name);
        s.push('(');
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(p.name());
        }
        s.push(')');
        match self.results.as_slice() {
            [] => {}
            [one] => {
                s.push(' ');
                s.push_str(one.name());
            }
            many => {
                s.push_str(" (");
                for (i, r) in many.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(r.name());
                }
                s.push(')');
            }
        }
        s
    }
}

/// The kind of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImportKind {
    Func(Sig),
    Table,
    Memory,
    Global,
    Tag,
}

impl ImportKind {
    /// wazero's `ExternTypeName`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            ImportKind::Func(_) => "func",
            ImportKind::Table => "table",
            ImportKind::Memory => "memory",
            ImportKind::Global => "global",
            ImportKind::Tag => "tag",
        }
    }
}

/// One import.
#[derive(Debug, Clone)]
pub(crate) struct Import {
    pub module: String,
    pub name: String,
    pub kind: ImportKind,
}

/// One export.
#[derive(Debug, Clone)]
pub(crate) struct Export {
    pub name: String,
    pub kind: ExternalKind,
    pub index: u32,
}

/// The parts of a module the host looks at.
#[derive(Debug, Default)]
pub(crate) struct ModuleInfo {
    /// The module name from the name section ("" if none), as wazero prints it in stack traces.
    pub name: String,
    /// Function names from the name section, by function index (imports first).
    pub func_names: HashMap<u32, String>,
    /// The signature of every function, imports first.
    pub funcs: Vec<Sig>,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
}

impl ModuleInfo {
    /// Parses a module that wasmtime already validated.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, wasmparser::BinaryReaderError> {
        let mut info = ModuleInfo::default();
        let mut types: Vec<Sig> = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::TypeSection(r) => {
                    for group in r {
                        for sub in group?.types() {
                            let sig = match &sub.composite_type.inner {
                                wasmparser::CompositeInnerType::Func(f) => Sig {
                                    params: f
                                        .params()
                                        .iter()
                                        .map(|v| Val::from_parser(*v))
                                        .collect(),
                                    results: f
                                        .results()
                                        .iter()
                                        .map(|v| Val::from_parser(*v))
                                        .collect(),
                                },
                                _ => Sig::default(),
                            };
                            types.push(sig);
                        }
                    }
                }
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        let imp = imp?;
                        let kind = match imp.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                                let sig = types.get(t as usize).cloned().unwrap_or_default();
                                info.funcs.push(sig.clone());
                                ImportKind::Func(sig)
                            }
                            TypeRef::Table(_) => ImportKind::Table,
                            TypeRef::Memory(_) => ImportKind::Memory,
                            TypeRef::Global(_) => ImportKind::Global,
                            TypeRef::Tag(_) => ImportKind::Tag,
                        };
                        info.imports.push(Import {
                            module: imp.module.to_string(),
                            name: imp.name.to_string(),
                            kind,
                        });
                    }
                }
                Payload::FunctionSection(r) => {
                    for t in r {
                        info.funcs
                            .push(types.get(t? as usize).cloned().unwrap_or_default());
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e?;
                        info.exports.push(Export {
                            name: e.name.to_string(),
                            kind: e.kind,
                            index: e.index,
                        });
                    }
                }
                Payload::CustomSection(c) => {
                    if let KnownCustom::Name(reader) = c.as_known() {
                        for name in reader {
                            // A malformed name section is ignored, as wazero ignores it.
                            let Ok(name) = name else { break };
                            match name {
                                Name::Module { name, .. } => info.name = name.to_string(),
                                Name::Function(map) => {
                                    for n in map.into_iter().flatten() {
                                        info.func_names.insert(n.index, n.name.to_string());
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(info)
    }

    /// The exported function `name`, if any, and its signature.
    pub(crate) fn exported_func(&self, name: &str) -> Option<&Sig> {
        self.exports
            .iter()
            .find(|e| {
                e.name == name && matches!(e.kind, ExternalKind::Func | ExternalKind::FuncExact)
            })
            .and_then(|e| self.funcs.get(e.index as usize))
    }

    /// Whether a memory is exported under `name`.
    pub(crate) fn exports_memory(&self, name: &str) -> bool {
        self.exports
            .iter()
            .any(|e| e.name == name && e.kind == ExternalKind::Memory)
    }

    /// wazero's debug name of function `index`: `module.name` or `module.$index`.
    pub(crate) fn frame(&self, index: u32) -> String {
        let func = match self.func_names.get(&index) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("${index}"),
        };
        let name = format!("{}.{}", self.name, func);
        match self.funcs.get(index as usize) {
            Some(sig) => sig.frame(&name),
            None => format!("{name}()"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        let wasm = wat::parse_str(
            r#"(module $m
                 (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
                 (memory (export "memory") 1)
                 (func (export "filter") (result i32) unreachable)
                 (func $named (param i64) (result i32 i64) unreachable))"#,
        )
        .unwrap();
        let info = ModuleInfo::parse(&wasm).unwrap();
        assert_eq!(info.name, "m");
        assert_eq!(info.frame(1), "m.$1() i32");
        assert_eq!(info.frame(2), "m.named(i64) (i32,i64)");
        assert_eq!(info.frame(0), "m.$0(i32,i32,i32,i32) i32");
        assert_eq!(info.funcs[0].key(), "i32i32i32i32_i32");
        assert_eq!(Sig::default().key(), "v_v");
        assert!(info.exports_memory("memory"));
        assert_eq!(
            info.exported_func("filter"),
            Some(&Sig::new(&[], &[Val::I32]))
        );
    }
}
