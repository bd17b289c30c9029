//! `simulator lint`: the shipped guests pass, a guest with bulk memory fails with exit 1, an
//! unreadable file exits 2.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod cli_support;

use cli_support::*;

#[test]
fn shipped_guests_have_no_finding_that_breaks_or_degrades_them() {
    let guests = ["regex_v1", "regex_v2", "fleet_score"].map(require_guest);
    let args: Vec<&str> = std::iter::once("lint")
        .chain(guests.iter().map(|p| p.to_str().unwrap()))
        .collect();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    for g in &guests {
        let name = g.display().to_string();
        // Every guest gets its pin line; none gets an error or a warning.
        assert!(out.contains(&format!("{name}: info: sha256:")), "{out}");
    }
    assert!(
        !out.contains(": error: ") && !out.contains(": warning: "),
        "{out}"
    );
}

#[test]
fn a_guest_with_memory_copy_fails_with_exit_1() {
    let dir = TempDir::new("lint");
    let path = dir.path("bulk.wasm");
    let wasm = wat::parse_str(
        r#"(module
             (memory (export "memory") 1)
             (func (export "filter") (result i32)
               (memory.copy (i32.const 0) (i32.const 16) (i32.const 8))
               (i32.const 0)))"#,
    )
    .unwrap();
    std::fs::write(&path, wasm).unwrap();
    let o = run(&["lint", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains(": bulk-memory: "), "{}", stdout(&o));

    let o = run(&["lint", "--json", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(reports[0]["fails"], serde_json::json!(true));
}

#[test]
fn an_unreadable_guest_exits_2() {
    let o = run(&["lint", "/nonexistent/guest.wasm"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/guest.wasm: cannot read"),
        "{}",
        stderr(&o)
    );
}
