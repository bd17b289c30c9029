//! The lowered module does what the original does: the same module with `memory.copy` and
//! `memory.fill` run in wasmtime before and after lowering, call by call, and the whole memory and
//! the trap outcome compared (overlap in both directions, lengths 0..=40 and larger, unaligned
//! offsets, out-of-bounds ranges, n = 0 at the end of memory, a grown memory).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

use wasmtime::{Engine, Instance, Linker, Memory, Module, Store, Trap, TypedFunc};

/// `copy`/`fill` are the bare instructions; the import and the table shift nothing when the lowering
/// appends its functions (a wrong index would call the wrong function or fail validation).
const WAT: &str = r#"(module
  (import "env" "seen" (func $seen (param i32)))
  (type $unused (func (param i32 i32 i32)))
  (memory (export "memory") 1)
  (table 2 funcref)
  (elem (i32.const 0) $copy $fill)
  (func $copy (export "copy") (param i32 i32 i32)
    (call $seen (i32.const 1))
    (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func $fill (export "fill") (param i32 i32 i32)
    (memory.fill (local.get 0) (local.get 1) (local.get 2))
    (call $seen (i32.const 2)))
  (func (export "copy_indirect") (param i32 i32 i32)
    (call_indirect (type $unused) (local.get 0) (local.get 1) (local.get 2) (i32.const 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

const PAGE: u32 = 65536;

/// One instance of a module variant and its exports.
struct Runner {
    store: Store<Vec<i32>>,
    memory: Memory,
    copy: TypedFunc<(u32, u32, u32), ()>,
    fill: TypedFunc<(u32, u32, u32), ()>,
    copy_indirect: TypedFunc<(u32, u32, u32), ()>,
    grow: TypedFunc<u32, i32>,
}

/// What a call did: the trap (if any), the host calls it made, and the memory afterwards.
#[derive(Debug, PartialEq)]
struct Outcome {
    trapped: bool,
    seen: Vec<i32>,
    memory: Vec<u8>,
}

impl Runner {
    fn new(engine: &Engine, wasm: &[u8]) -> Runner {
        let module = Module::new(engine, wasm).unwrap();
        let mut linker = Linker::new(engine);
        linker
            .func_wrap(
                "env",
                "seen",
                |mut caller: wasmtime::Caller<'_, Vec<i32>>, v: i32| {
                    caller.data_mut().push(v);
                },
            )
            .unwrap();
        let mut store = Store::new(engine, Vec::new());
        let instance: Instance = linker.instantiate(&mut store, &module).unwrap();
        let memory = instance.get_memory(&mut store, "memory").unwrap();
        let copy = instance.get_typed_func(&mut store, "copy").unwrap();
        let fill = instance.get_typed_func(&mut store, "fill").unwrap();
        let copy_indirect = instance
            .get_typed_func(&mut store, "copy_indirect")
            .unwrap();
        let grow = instance.get_typed_func(&mut store, "grow").unwrap();
        Runner {
            store,
            memory,
            copy,
            fill,
            copy_indirect,
            grow,
        }
    }

    /// Resets the memory to `pattern`, runs `f(d, s_or_v, n)` and returns what happened; a trap
    /// must be `expected_trap`.
    fn run(
        &mut self,
        which: Op,
        args: (u32, u32, u32),
        pattern: &[u8],
        expected_trap: Trap,
    ) -> Outcome {
        self.memory.data_mut(&mut self.store)[..pattern.len()].copy_from_slice(pattern);
        self.store.data_mut().clear();
        let f = match which {
            Op::Copy => self.copy.clone(),
            Op::Fill => self.fill.clone(),
            Op::CopyIndirect => self.copy_indirect.clone(),
        };
        let trapped = match f.call(&mut self.store, args) {
            Ok(()) => false,
            Err(e) => {
                let trap = e.downcast_ref::<Trap>().copied();
                assert_eq!(trap, Some(expected_trap), "{which:?}{args:?}: {e:?}");
                true
            }
        };
        Outcome {
            trapped,
            seen: self.store.data().clone(),
            memory: self.memory.data(&self.store).to_vec(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Copy,
    Fill,
    CopyIndirect,
}

/// Bytes no shift or fill can reproduce by accident (xorshift).
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

struct Pair {
    original: Runner,
    lowered: Runner,
    pattern: Vec<u8>,
    calls: usize,
    traps: usize,
}

impl Pair {
    fn new() -> Pair {
        let engine = Engine::default();
        let wasm = wat::parse_str(WAT).unwrap();
        let lowered = lower_bulk_memory::lower(&wasm).unwrap();
        assert_eq!((lowered.copies, lowered.fills), (1, 1));
        assert_eq!(lower_bulk_memory::count(&lowered.wasm).unwrap(), (0, 0));
        Pair {
            original: Runner::new(&engine, &wasm),
            lowered: Runner::new(&engine, &lowered.wasm),
            pattern: pattern(PAGE as usize),
            calls: 0,
            traps: 0,
        }
    }

    /// Runs one call in both and asserts the same outcome; returns whether it trapped.
    fn check(&mut self, op: Op, args: (u32, u32, u32)) -> bool {
        let want = self
            .original
            .run(op, args, &self.pattern, Trap::MemoryOutOfBounds);
        let got = self
            .lowered
            .run(op, args, &self.pattern, Trap::UnreachableCodeReached);
        if want != got {
            let first = want
                .memory
                .iter()
                .zip(&got.memory)
                .position(|(a, b)| a != b);
            panic!(
                "{op:?}{args:?}: original trapped {} seen {:?}, lowered trapped {} seen {:?}; first differing byte {first:?}",
                want.trapped, want.seen, got.trapped, got.seen
            );
        }
        self.calls += 1;
        self.traps += usize::from(want.trapped);
        want.trapped
    }

    fn grow(&mut self, pages: u32) {
        let a = self.original.grow.call(&mut self.original.store, pages);
        let b = self.lowered.grow.call(&mut self.lowered.store, pages);
        assert_eq!(a.unwrap(), b.unwrap());
    }
}

/// Lengths: every one up to 40, then the loop's edges and a few large ones.
fn lengths() -> Vec<u32> {
    let mut l: Vec<u32> = (0..=40).collect();
    l.extend([47, 48, 49, 63, 64, 65, 100, 255, 256, 257, 1000, 4101]);
    l
}

#[test]
fn copies_match_memory_copy_for_every_overlap_length_and_alignment() {
    let mut p = Pair::new();
    for n in lengths() {
        for align in 0..8 {
            let src = 1000 + align;
            // Overlap from below and above, touching, and apart.
            let mut deltas: Vec<i64> = (-48..=48).collect();
            deltas.extend([-5000, 5000, -i64::from(n), i64::from(n), -i64::from(n) + 1]);
            deltas.extend([i64::from(n) - 1, -i64::from(n) - 1, i64::from(n) + 1]);
            for delta in deltas {
                let dst = u32::try_from(i64::from(src) + 8000 + delta).unwrap();
                let src = src + 8000;
                assert!(!p.check(Op::Copy, (dst, src, n)));
            }
        }
    }
    // Large copies by small and large shifts, both directions.
    for n in [20_000, 30_001] {
        for delta in [1i64, 7, 8, 9, 15, 16, 17, 4000, 25_000] {
            for sign in [-1, 1] {
                let src = 30_000u32 + 3;
                let dst = u32::try_from(i64::from(src) + sign * delta).unwrap();
                let n = n.min(PAGE - src.max(dst));
                assert!(!p.check(Op::Copy, (dst, src, n)));
            }
        }
    }
    assert!(p.calls > 40_000, "{} calls", p.calls);
}

#[test]
fn fills_match_memory_fill() {
    let mut p = Pair::new();
    for n in lengths() {
        for align in 0..8 {
            for value in [0, 0xAB, 0x1FF, u32::MAX, 0x7F00] {
                assert!(!p.check(Op::Fill, (1000 + align, value, n)));
            }
        }
    }
    assert!(!p.check(Op::Fill, (0, 0x5A, PAGE)));
}

#[test]
fn out_of_bounds_traps_before_writing_and_n_zero_is_valid_at_the_end() {
    let mut p = Pair::new();
    let copy_cases: &[((u32, u32, u32), bool)] = &[
        ((PAGE, 0, 0), false),
        ((0, PAGE, 0), false),
        ((PAGE, PAGE, 0), false),
        ((PAGE + 1, 0, 0), true),
        ((0, PAGE + 1, 0), true),
        ((PAGE - 1, 0, 1), false),
        ((0, PAGE - 1, 1), false),
        ((PAGE - 8, 0, 9), true),
        ((0, PAGE - 20, 21), true),
        ((PAGE - 40, PAGE - 41, 41), true),
        ((PAGE - 41, PAGE - 40, 41), true),
        ((0, 0, PAGE), false),
        ((0, 1, PAGE), true),
        ((1, 0, PAGE - 1), false),
        ((0, 1, PAGE - 1), false),
        ((u32::MAX, 0, 1), true),
        ((0, u32::MAX, 2), true),
        // d + n wraps around in 32 bits: a check in i32 would let these through.
        ((0xFFFF_FFF0, 0, 0x20), true),
        ((0, 0xFFFF_FFF0, 0x20), true),
        ((10, 20, u32::MAX), true),
        ((u32::MAX, u32::MAX, u32::MAX), true),
        ((u32::MAX, 0, 0), true),
    ];
    for &(args, traps) in copy_cases {
        assert_eq!(p.check(Op::Copy, args), traps, "copy{args:?}");
        assert_eq!(
            p.check(Op::CopyIndirect, args),
            traps,
            "copy_indirect{args:?}"
        );
    }
    let fill_cases: &[((u32, u32, u32), bool)] = &[
        ((PAGE, 1, 0), false),
        ((PAGE + 1, 1, 0), true),
        ((PAGE - 1, 1, 1), false),
        ((PAGE - 16, 1, 17), true),
        ((1, 1, PAGE), true),
        ((0xFFFF_FFF0, 1, 0x20), true),
        ((u32::MAX, 1, 0), true),
        ((5, 1, u32::MAX), true),
    ];
    for &(args, traps) in fill_cases {
        assert_eq!(p.check(Op::Fill, args), traps, "fill{args:?}");
    }
    // The bound is the current size: after memory.grow the second page is in range.
    p.grow(1);
    for &(args, traps) in &[
        ((PAGE + 100, 0, 1000), false),
        ((2 * PAGE, 0, 0), false),
        ((2 * PAGE - 7, PAGE, 8), true),
        ((100, 2 * PAGE - 1000, 1000), false),
        ((0, 0, 2 * PAGE), false),
    ] {
        assert_eq!(p.check(Op::Copy, args), traps, "copy{args:?} after grow");
        assert_eq!(
            p.check(Op::Fill, (args.0, 0xC3, args.2)),
            traps,
            "fill after grow"
        );
    }
    assert!(p.traps >= 20, "{} traps", p.traps);
}

#[test]
fn modules_it_cannot_lower_are_refused_with_a_reason() {
    let refused = |wat: &str| {
        lower_bulk_memory::lower(&wat::parse_str(wat).unwrap())
            .unwrap_err()
            .to_string()
    };
    let two = r#"(module (memory 1) (memory 1)
        (func (memory.copy 1 0 (i32.const 0) (i32.const 0) (i32.const 0))))"#;
    assert!(refused(two).contains("2 memories"), "{}", refused(two));
    let m64 = r#"(module (memory i64 1)
        (func (memory.fill (i64.const 0) (i32.const 0) (i64.const 0))))"#;
    assert!(refused(m64).contains("a 64-bit memory"), "{}", refused(m64));
    let e = lower_bulk_memory::lower(b"\0asm\x01\0\0\0\x05").unwrap_err();
    assert!(
        e.to_string().starts_with("not a valid WebAssembly module"),
        "{e}"
    );
    let component = wat::parse_str("(component)").unwrap();
    let e = lower_bulk_memory::lower(&component).unwrap_err();
    assert_eq!(e.to_string(), "a component, not a core WebAssembly module");
}

#[test]
fn a_module_without_bulk_memory_is_returned_unchanged() {
    let wasm = wat::parse_str(
        r#"(module (memory 1) (func (export "f") (i32.store (i32.const 0) (i32.const 1))))"#,
    )
    .unwrap();
    let lowered = lower_bulk_memory::lower(&wasm).unwrap();
    assert_eq!(lowered.wasm, wasm);
    assert_eq!((lowered.copies, lowered.fills), (0, 0));
}
