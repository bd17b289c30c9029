//! The shipped guests as the production host sees them: no bulk-memory instructions (a
//! `memory.copy` can trap in kube-scheduler-wasm-extension built with Go >= 1.24 on wazero < 1.9.0;
//! common/RATIONALE.md) and nothing `simulator lint` would flag.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

use integration_tests::guest;
use wasmparser::{Operator, Parser, Payload};

/// Every module `make build` ships in static/.
const SHIPPED: [&str; 4] = ["regex_v1", "regex_v2", "fleet_score", "autoscaler"];
/// The scheduler guests among them (autoscaler.wasm is an Extism plugin).
const SCHEDULER_GUESTS: [&str; 3] = ["regex_v1", "regex_v2", "fleet_score"];

/// (memory.copy, memory.fill, memory.init, data.drop) counts and the number of function bodies.
fn bulk_memory(wasm: &[u8]) -> ([usize; 4], usize) {
    let mut counts = [0; 4];
    let mut bodies = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CodeSectionEntry(body) = payload.unwrap() {
            bodies += 1;
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                match ops.read().unwrap() {
                    Operator::MemoryCopy { .. } => counts[0] += 1,
                    Operator::MemoryFill { .. } => counts[1] += 1,
                    Operator::MemoryInit { .. } => counts[2] += 1,
                    Operator::DataDrop { .. } => counts[3] += 1,
                    _ => {}
                }
            }
        }
    }
    (counts, bodies)
}

#[test]
fn shipped_guests_have_no_bulk_memory_instructions() {
    for name in SHIPPED {
        let wasm = std::fs::read(guest(name)).unwrap();
        let (counts, bodies) = bulk_memory(&wasm);
        assert!(bodies > 100, "{name}: only {bodies} function bodies read");
        assert_eq!(
            counts, [0; 4],
            "{name}.wasm: memory.copy, memory.fill, memory.init, data.drop (build with `make build`)"
        );
    }
}

#[test]
fn the_counter_sees_bulk_memory() {
    // The check above would be vacuous if the parser skipped these instructions.
    let wasm = [
        &b"\0asm\x01\0\0\0"[..],
        b"\x01\x04\x01\x60\0\0", // type 0: () -> ()
        b"\x03\x02\x01\0",       // func 0: type 0
        b"\x05\x03\x01\0\x01",   // memory 0: 1 page
        // code: i32.const 0 ×3, memory.copy; i32.const 0 ×3, memory.fill; end
        b"\x0a\x17\x01\x15\0\x41\0\x41\0\x41\0\xfc\x0a\0\0\x41\0\x41\0\x41\0\xfc\x0b\0\x0b",
    ]
    .concat();
    assert_eq!(bulk_memory(&wasm), ([1, 1, 0, 0], 1));
}

#[test]
fn simulator_lint_finds_nothing_to_fix_in_our_guests() {
    for name in SCHEDULER_GUESTS {
        let wasm = std::fs::read(guest(name)).unwrap();
        let report = guest_lint::lint(&wasm);
        assert!(!report.fails(), "{}", report.text(name));
        assert_eq!(report.with_code("bulk-memory").count(), 0);
        assert_eq!(report.size, wasm.len());
    }
}
