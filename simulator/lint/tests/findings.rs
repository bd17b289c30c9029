//! Each finding on a small module written for it, and none of the failing ones on a clean guest.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

use guest_lint::{Report, Severity, lint};

fn wat(text: &str) -> Report {
    lint(&wat::parse_str(text).unwrap())
}

/// The codes of the findings that fail the check (errors and warnings), sorted.
fn failing(r: &Report) -> Vec<&'static str> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .map(|f| f.code)
        .collect();
    v.sort_unstable();
    v
}

fn message<'a>(r: &'a Report, code: &'a str) -> &'a str {
    &r.with_code(code).next().unwrap().message
}

const CLEAN: &str = r#"(module
  (import "k8s.io/scheduler" "currentNodeName" (func $name (param i32 i32) (result i32)))
  (import "k8s.io/scheduler" "result.status_reason" (func (param i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
  (memory (export "memory") 2)
  (global $sp (mut i32) (i32.const 65536))
  (func (export "prefilter") (result i32) i32.const 0)
  (func (export "filter") (result i32) (call $name (i32.const 0) (i32.const 0))))"#;

#[test]
fn a_clean_guest_has_only_facts() {
    let r = wat(CLEAN);
    assert!(!r.fails(), "{}", r.text("clean"));
    assert_eq!(failing(&r), Vec::<&str>::new());
    let codes: Vec<_> = r.findings.iter().map(|f| f.code).collect();
    assert_eq!(
        codes,
        ["initial-memory", "shadow-stack", "module-size", "sha256"]
    );
    assert_eq!(
        message(&r, "initial-memory"),
        "2 pages (128 KiB) of linear memory per instance"
    );
    assert_eq!(
        message(&r, "shadow-stack"),
        "shadow stack of about 64 KiB (from the stack pointer's initial value)"
    );
    assert_eq!(r.sha256.len(), 64);
    assert!(message(&r, "sha256").starts_with(&r.sha256));
}

#[test]
fn text_and_json_formats() {
    let r = wat(CLEAN);
    let text = r.text("g.wasm");
    assert_eq!(text.lines().count(), r.findings.len());
    assert!(text.starts_with("g.wasm: info: initial-memory: 2 pages"));
    let j = r.json("g.wasm");
    assert_eq!(j["file"], "g.wasm");
    assert_eq!(j["fails"], false);
    assert_eq!(j["sha256"], r.sha256.as_str());
    assert_eq!(j["findings"][0]["severity"], "info");
    assert_eq!(j["findings"][0]["code"], "initial-memory");
}

#[test]
fn garbage_is_an_invalid_module() {
    let r = lint(b"\0asm\x01\0\0\0\x01\xff");
    assert_eq!(failing(&r), ["invalid-module"]);
    let r = lint(b"not wasm at all");
    assert_eq!(failing(&r), ["invalid-module"]);
}

#[test]
fn features_wazero_lacks() {
    // Tail calls are not in wazero's Wasm 2.0 feature set.
    let r = wat(r#"(module (memory (export "memory") 1)
        (func $f (result i32) i32.const 0)
        (func (export "filter") (result i32) return_call $f))"#);
    assert_eq!(failing(&r), ["unsupported-feature"]);
}

#[test]
fn imports_outside_the_host() {
    let r = wat(r#"(module
        (import "env" "abort" (func))
        (import "k8s.io/scheduler" "currentNode" (func (param i32 i32) (result i32)))
        (import "k8s.io/api" "node" (func (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "sock_open" (func (param i32) (result i32)))
        (import "k8s.io/scheduler" "mem" (memory 1))
        (export "memory" (memory 0))
        (func (export "filter") (result i32) i32.const 0))"#);
    assert_eq!(
        failing(&r),
        [
            "import-not-function",
            "import-signature",
            "import-unknown-function",
            "import-unknown-function",
            "import-unknown-module"
        ]
    );
    assert!(message(&r, "import-unknown-module").contains("`module[env] not instantiated`"));
    assert_eq!(
        message(&r, "import-signature"),
        "imports k8s.io/api.node as (i32,i32) -> (i32), but the host defines (i32,i32,i32,i32) -> (i32): instantiation fails with a signature mismatch"
    );
}

#[test]
fn every_host_function_and_wasi_signature_is_accepted() {
    let r = wat(r#"(module
        (import "k8s.io/api" "nodeList" (func (param i32 i32) (result i32)))
        (import "k8s.io/klog" "logs" (func (param i32 i32 i32 i32 i32)))
        (import "k8s.io/klog" "severity" (func (result i32)))
        (import "k8s.io/scheduler" "handle.reject_waiting_pod" (func (param i32 i32 i32 i32)))
        (import "k8s.io/scheduler" "nodeImageStates" (func (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
        (import "wasi_snapshot_preview1" "path_open" (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
        (memory (export "memory") 1)
        (func (export "score") (result i64) i64.const 0))"#);
    assert_eq!(failing(&r), Vec::<&str>::new(), "{}", r.text("g"));
}

#[test]
fn no_memory_export() {
    let r = wat(r#"(module (memory 1) (func (export "filter") (result i32) i32.const 0))"#);
    assert_eq!(failing(&r), ["no-memory-export"]);
}

#[test]
fn hook_signatures() {
    let r = wat(r#"(module (memory (export "memory") 1)
        (func (export "filter") (result i32) i32.const 0)
        (func (export "postfilter") (result i32) i32.const 0))"#);
    assert_eq!(failing(&r), ["hook-signature"]);
    assert!(
        message(&r, "hook-signature")
            .starts_with("exports postfilter as () -> (i32), but the host requires () -> (i64)")
    );
}

#[test]
fn no_hooks_and_sets_the_host_refuses() {
    let r = wat(r#"(module (memory (export "memory") 1) (func (export "malloc")))"#);
    assert_eq!(failing(&r), ["no-hooks"]);
    // enqueue alone: no group.
    let r = wat(r#"(module (memory (export "memory") 1) (func (export "enqueue")))"#);
    assert_eq!(failing(&r), ["export-set-rejected"]);
    // prefilter alone is the base plugin, accepted.
    let r = wat(r#"(module (memory (export "memory") 1)
        (func (export "prefilter") (result i32) i32.const 0))"#);
    assert_eq!(failing(&r), Vec::<&str>::new());
    // filter + permit + bind (FPB), with prebind and postbind: refused at load.
    let r = wat(r#"(module (memory (export "memory") 1)
        (func $i (result i32) i32.const 0) (func $j (result i64) i64.const 0) (func $v)
        (export "filter" (func $i)) (export "permit" (func $j)) (export "prebind" (func $i))
        (export "bind" (func $i)) (export "postbind" (func $v)))"#);
    assert_eq!(failing(&r), ["export-set-rejected"]);
    assert!(message(&r, "export-set-rejected").starts_with("exports the hook groups FPB"));
    // The same with score (FSPB) is accepted.
    let r = wat(r#"(module (memory (export "memory") 1)
        (func $i (result i32) i32.const 0) (func $j (result i64) i64.const 0) (func $v)
        (export "filter" (func $i)) (export "score" (func $j)) (export "permit" (func $j))
        (export "prebind" (func $i)) (export "bind" (func $i)) (export "postbind" (func $v)))"#);
    assert_eq!(failing(&r), Vec::<&str>::new(), "{}", r.text("g"));
}

#[test]
fn hooks_the_host_mishandles() {
    let r = wat(r#"(module (memory (export "memory") 1)
        (func $i (result i32) i32.const 0) (func $j (result i64) i64.const 0)
        (export "filter" (func $i)) (export "score" (func $j)) (export "reserve" (func $i))
        (export "addpod" (func $i)) (export "permit" (func $j)))"#);
    // filter, score, reserve, permit (FSRP) is also a set the host refuses.
    assert_eq!(
        failing(&r),
        [
            "binding-partial",
            "export-set-rejected",
            "hook-pair",
            "hook-pair"
        ]
    );
    assert!(
        message(&r, "binding-partial")
            .starts_with("exports permit without prebind, bind, postbind")
    );
    let r = wat(r#"(module (memory (export "memory") 1)
        (func $i (result i32) i32.const 0) (func $j (result i64) i64.const 0)
        (export "filter" (func $i)) (export "prescore" (func $i)) (export "normalizescore" (func $i)))"#);
    assert_eq!(failing(&r), ["hook-never-called", "hook-never-called"]);
    let r = wat(r#"(module (memory (export "memory") 1)
        (func $i (result i32) i32.const 0) (func $j (result i64) i64.const 0)
        (export "score" (func $j)) (export "normalizescore" (func $i)))"#);
    assert_eq!(failing(&r), ["normalizescore"]);
}

#[test]
fn bulk_memory_is_an_error() {
    let r = wat(r#"(module (memory (export "memory") 1)
        (func (export "filter") (result i32)
          (memory.copy (i32.const 0) (i32.const 8) (i32.const 4096))
          (memory.fill (i32.const 0) (i32.const 0) (i32.const 16))
          (memory.copy (i32.const 0) (i32.const 8) (i32.const 1))
          i32.const 0))"#);
    assert_eq!(failing(&r), ["bulk-memory"]);
    assert!(message(&r, "bulk-memory").starts_with("2 memory.copy, 1 memory.fill, 0 memory.init:"));
    assert_eq!(r.findings[0].severity, Severity::Error);
}

#[test]
fn start_and_initialize() {
    // _start reaching proc_exit through a helper.
    let r = wat(r#"(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func $main (call $exit (i32.const 0)))
        (func (export "_start") (call $main))
        (func (export "filter") (result i32) i32.const 0))"#);
    assert_eq!(failing(&r), Vec::<&str>::new());
    assert_eq!(r.with_code("start-may-exit").count(), 1);
    assert_eq!(r.with_code("start").count(), 0);
    // _start reading the current pod: the host panics during instantiation.
    let r = wat(r#"(module
        (import "k8s.io/scheduler" "currentPod" (func $pod (param i32 i32) (result i32)))
        (import "k8s.io/scheduler" "get_config" (func $cfg (param i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "_start") (drop (call $cfg (i32.const 0) (i32.const 0)))
          (drop (call $pod (i32.const 0) (i32.const 0))))
        (func (export "filter") (result i32) i32.const 0))"#);
    assert_eq!(failing(&r), ["start-reads-context"]);
    assert!(
        message(&r, "start-reads-context")
            .starts_with("_start can call k8s.io/scheduler.currentPod ")
    );
    // get_config alone is safe from _start.
    let r = wat(r#"(module
        (import "k8s.io/scheduler" "get_config" (func $cfg (param i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "_start") (drop (call $cfg (i32.const 0) (i32.const 0))))
        (func (export "filter") (result i32) i32.const 0))"#);
    assert_eq!(failing(&r), Vec::<&str>::new());
    assert_eq!(r.with_code("start").count(), 1);
    // A reactor's _initialize is never called.
    let r = wat(r#"(module (memory (export "memory") 1)
        (func (export "_initialize"))
        (func (export "filter") (result i32) i32.const 0))"#);
    assert_eq!(failing(&r), ["initialize-never-called"]);
}

#[test]
fn memory_and_stack_sizes() {
    // rustc's default 1 MiB stack: 17 pages before any data.
    let r = wat(r#"(module (memory (export "memory") 17)
        (global $sp (mut i32) (i32.const 1048576))
        (data (i32.const 1048576) "x")
        (func (export "filter") (result i32) i32.const 0))"#);
    assert_eq!(failing(&r), ["initial-memory", "shadow-stack"]);
    assert!(message(&r, "shadow-stack").starts_with("shadow stack of about 1024 KiB"));
    assert!(message(&r, "initial-memory").starts_with("17 pages (1088 KiB)"));
    // Stack placed after the data (no --stack-first): size is the distance from the data's end.
    let r = wat(r#"(module (memory (export "memory") 2)
        (data (i32.const 1024) "0123456789")
        (global $sp (mut i32) (i32.const 66570))
        (func (export "filter") (result i32) i32.const 0))"#);
    assert_eq!(
        message(&r, "shadow-stack"),
        "shadow stack of about 64 KiB (from the stack pointer's initial value)"
    );
}

#[test]
fn size_against_a_configmap() {
    // A 1 MiB + 1 byte data segment makes the module larger than a ConfigMap holds.
    let data = "a".repeat((1 << 20) + 1);
    let text = format!(
        r#"(module (memory (export "memory") 17) (data (i32.const 0) "{data}")
            (func (export "filter") (result i32) i32.const 0))"#
    );
    let r = wat(&text);
    assert_eq!(failing(&r), ["initial-memory", "module-size"]);
    assert!(message(&r, "module-size").contains("over a ConfigMap's 1 MiB limit"));
}

#[test]
fn cli_exit_codes() {
    use clap::Parser;
    use std::process::ExitCode;
    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        args: guest_lint::cli::LintArgs,
    }
    let dir = std::env::temp_dir().join(format!("guest-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.wasm");
    std::fs::write(&good, wat::parse_str(CLEAN).unwrap()).unwrap();
    let bad = dir.join("bad.wasm");
    std::fs::write(&bad, b"junk").unwrap();
    let run = |argv: &[&str]| {
        let cmd = Cmd::try_parse_from(std::iter::once("lint").chain(argv.iter().copied())).unwrap();
        guest_lint::cli::run(&cmd.args)
    };
    let good_s = good.to_str().unwrap();
    let bad_s = bad.to_str().unwrap();
    assert_eq!(run(&[good_s]), ExitCode::SUCCESS);
    assert_eq!(run(&["--json", good_s]), ExitCode::SUCCESS);
    assert_eq!(run(&[good_s, bad_s]), ExitCode::from(1));
    assert_eq!(
        run(&["--quiet", good_s, "/nonexistent/x.wasm"]),
        ExitCode::from(2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
