//! Rewrites a WebAssembly module so it contains no bulk-memory instructions: every `memory.copy`
//! becomes a call to a `memmove` and every `memory.fill` a call to a `memset`, two plain-wasm
//! functions added to the module that work 8 bytes per load/store (`src/helpers.wat`).
//!
//! Why: kube-scheduler-wasm-extension as upstream ships it (wazero v1.7.2 built with Go 1.24) can
//! corrupt a register on `memory.copy` and trap; see common/RATIONALE.md, "Why no bulk-memory
//! instructions". The added functions keep the instructions' semantics: the same bounds check
//! first (a copy or fill that reaches past the end of memory traps before writing anything, with
//! `unreachable`; a length of 0 at the very end is valid), overlapping copies in either direction
//! as `memory.copy` does them, only the low byte of the fill value.
//!
//! Everything else in the module is kept: the added type and functions go after the existing ones,
//! so no index changes; instructions are re-encoded with minimal LEB128 immediates, so the result
//! is usually smaller than the input (the linker pads relocated immediates).
//!
//! ```
//! let wasm = wat::parse_str(
//!     r#"(module (memory 1)
//!          (func (export "clear") (param i32 i32) (memory.fill (local.get 0) (i32.const 0) (local.get 1))))"#,
//! )?;
//! let lowered = lower_bulk_memory::lower(&wasm)?;
//! assert_eq!((lowered.copies, lowered.fills), (0, 1));
//! assert_eq!(lower_bulk_memory::count(&lowered.wasm)?, (0, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use wasm_encoder::reencode::{self, Reencode};
use wasmparser::{Encoding, Operator, Parser, Payload, TypeRef, Validator};

/// The added functions in WebAssembly text (memory 0 only, no other index).
const HELPERS_WAT: &str = include_str!("helpers.wat");

/// A module without bulk-memory instructions, and how many it had.
#[derive(Debug)]
pub struct Lowered {
    /// The rewritten module (the input, unchanged, if it had nothing to lower).
    pub wasm: Vec<u8>,
    /// `memory.copy` instructions replaced by a call.
    pub copies: usize,
    /// `memory.fill` instructions replaced by a call.
    pub fills: usize,
}

/// Why a module was not lowered.
#[derive(Debug)]
pub enum Error {
    /// The input is not a valid WebAssembly module.
    Invalid(wasmparser::BinaryReaderError),
    /// The input is a component, not a core module.
    NotACoreModule,
    /// Bulk-memory instructions in a module with other than exactly one memory.
    Memories(u32),
    /// Bulk-memory instructions on a memory the added functions do not handle.
    UnsupportedMemory(&'static str),
    /// Re-encoding failed (a bug: the input was validated first).
    Encode(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(e) => write!(f, "not a valid WebAssembly module: {e}"),
            Error::NotACoreModule => write!(f, "a component, not a core WebAssembly module"),
            Error::Memories(n) => write!(
                f,
                "bulk-memory instructions in a module with {n} memories: only a module with exactly one memory (memory 0) is supported"
            ),
            Error::UnsupportedMemory(what) => {
                write!(
                    f,
                    "bulk-memory instructions on {what}: only a 32-bit memory with 64 KiB pages is supported"
                )
            }
            Error::Encode(e) => write!(f, "re-encoding the module failed: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        Error::Invalid(e)
    }
}

/// Counts `memory.copy` and `memory.fill` instructions in a module's function bodies.
pub fn count(wasm: &[u8]) -> Result<(usize, usize), Error> {
    let shape = Shape::read(wasm)?;
    Ok((shape.copies, shape.fills))
}

/// Replaces every `memory.copy` and `memory.fill` in `wasm` with a call to an added word-wise
/// `memmove`/`memset`; a module with neither comes back unchanged. The input must be a valid
/// module; one with bulk-memory instructions must have exactly one memory, 32-bit with 64 KiB
/// pages.
pub fn lower(wasm: &[u8]) -> Result<Lowered, Error> {
    Validator::new().validate_all(wasm)?;
    let shape = Shape::read(wasm)?;
    if shape.copies == 0 && shape.fills == 0 {
        return Ok(Lowered {
            wasm: wasm.to_vec(),
            copies: 0,
            fills: 0,
        });
    }
    if shape.memories != 1 {
        return Err(Error::Memories(shape.memories));
    }
    if let Some(what) = shape.unsupported_memory {
        return Err(Error::UnsupportedMemory(what));
    }
    let [memmove, memset] = helper_bodies()?;
    let first_added = shape.imported_funcs + shape.defined_funcs;
    let mut added = Vec::new();
    let memmove_index = (shape.copies > 0).then(|| {
        added.push(memmove);
        first_added
    });
    let memset_index = (shape.fills > 0).then(|| {
        added.push(memset);
        first_added + u32::try_from(added.len() - 1).unwrap_or(0)
    });
    let mut lowering = Lowering {
        helper_type: shape.types,
        memmove: memmove_index,
        memset: memset_index,
        added,
    };
    let mut module = wasm_encoder::Module::new();
    lowering
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| Error::Encode(e.to_string()))?;
    let out = module.finish();
    // The result must be valid and free of the instructions; anything else is a bug here.
    Validator::new()
        .validate_all(&out)
        .map_err(|e| Error::Encode(format!("the result does not validate: {e}")))?;
    let left = count(&out)?;
    if left != (0, 0) {
        return Err(Error::Encode(format!(
            "{} memory.copy and {} memory.fill left",
            left.0, left.1
        )));
    }
    Ok(Lowered {
        wasm: out,
        copies: shape.copies,
        fills: shape.fills,
    })
}

/// The bodies (locals and code) of the added `memmove` and `memset`, from `helpers.wat`.
fn helper_bodies() -> Result<[Vec<u8>; 2], Error> {
    let wasm = wat::parse_str(HELPERS_WAT).map_err(|e| Error::Encode(e.to_string()))?;
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(&wasm) {
        if let Payload::CodeSectionEntry(body) = payload? {
            bodies.push(wasm[body.range()].to_vec());
        }
    }
    <[Vec<u8>; 2]>::try_from(bodies)
        .map_err(|b| Error::Encode(format!("helpers.wat has {} functions, not 2", b.len())))
}

/// What the lowering needs to know about a module before rewriting it.
#[derive(Debug, Default)]
struct Shape {
    types: u32,
    imported_funcs: u32,
    defined_funcs: u32,
    memories: u32,
    /// Why memory 0 is not one the added functions handle, if it is not.
    unsupported_memory: Option<&'static str>,
    copies: usize,
    fills: usize,
}

impl Shape {
    fn read(wasm: &[u8]) -> Result<Shape, Error> {
        let mut shape = Shape::default();
        let memory = |shape: &mut Shape, ty: wasmparser::MemoryType| {
            if shape.memories == 0 {
                if ty.memory64 {
                    shape.unsupported_memory = Some("a 64-bit memory");
                } else if ty.page_size_log2.is_some_and(|log2| log2 != 16) {
                    shape.unsupported_memory = Some("a memory with custom page sizes");
                }
            }
            shape.memories += 1;
        };
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::Version { encoding, .. } if encoding != Encoding::Module => {
                    return Err(Error::NotACoreModule);
                }
                Payload::TypeSection(section) => {
                    for group in section {
                        let n = group?.types().len();
                        shape.types += u32::try_from(n).unwrap_or(u32::MAX);
                    }
                }
                Payload::ImportSection(section) => {
                    for import in section.into_imports() {
                        match import?.ty {
                            TypeRef::Func(_) | TypeRef::FuncExact(_) => shape.imported_funcs += 1,
                            TypeRef::Memory(ty) => memory(&mut shape, ty),
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(section) => shape.defined_funcs = section.count(),
                Payload::MemorySection(section) => {
                    for ty in section {
                        memory(&mut shape, ty?);
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let mut ops = body.get_operators_reader()?;
                    while !ops.eof() {
                        match ops.read()? {
                            Operator::MemoryCopy { dst_mem, src_mem } => {
                                shape.copies += 1;
                                if dst_mem != 0 || src_mem != 0 {
                                    shape.memories = shape.memories.max(2);
                                }
                            }
                            Operator::MemoryFill { mem } => {
                                shape.fills += 1;
                                if mem != 0 {
                                    shape.memories = shape.memories.max(2);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(shape)
    }
}

/// The re-encoder: the module as it is, plus one type and the added functions, with each
/// `memory.copy`/`memory.fill` turned into a call.
struct Lowering {
    /// Index of the added type `(i32, i32, i32) -> ()`: after every existing type.
    helper_type: u32,
    memmove: Option<u32>,
    memset: Option<u32>,
    /// Bodies of the added functions, in index order.
    added: Vec<Vec<u8>>,
}

impl Reencode for Lowering {
    type Error = Error;

    fn parse_type_section(
        &mut self,
        types: &mut wasm_encoder::TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), reencode::Error<Error>> {
        reencode::utils::parse_type_section(self, types, section)?;
        let i32 = wasm_encoder::ValType::I32;
        types.ty().function([i32, i32, i32], []);
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut wasm_encoder::FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), reencode::Error<Error>> {
        reencode::utils::parse_function_section(self, functions, section)?;
        for _ in &self.added {
            functions.function(self.helper_type);
        }
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), reencode::Error<Error>> {
        reencode::utils::parse_code_section(self, code, section)?;
        for body in &self.added {
            code.raw(body);
        }
        Ok(())
    }

    fn instruction<'a>(
        &mut self,
        op: Operator<'a>,
    ) -> Result<wasm_encoder::Instruction<'a>, reencode::Error<Error>> {
        let call = match op {
            Operator::MemoryCopy { .. } => self.memmove,
            Operator::MemoryFill { .. } => self.memset,
            _ => return reencode::utils::instruction(self, op),
        };
        call.map(wasm_encoder::Instruction::Call).ok_or_else(|| {
            reencode::Error::UserError(Error::Encode(
                "an instruction the first pass did not count".into(),
            ))
        })
    }
}
