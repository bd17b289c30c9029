//! Compile and match times of goregex against the `regex` crate (native; the guests' in-wasm
//! numbers are in RATIONALE.md). Run: `cargo bench -p goregex`.

#![allow(clippy::unwrap_used)] // A benchmark: a pattern that fails to compile should stop it.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const PATTERNS: [(&str, &str); 3] = [
    ("plain", "kubecon-.*"),
    ("anchored", r"^(kubecon|cncf)-[a-z0-9]+(-\w+)?-\d{2,5}$"),
    ("unicode", r"(?i)\pL+-\d+"),
];

/// Node-name-like haystacks, half matching the first two patterns.
const NODES: [&str; 4] = [
    "kubecon-na-2024",
    "node-default",
    "cncf-eu-01",
    "worker-node-17",
];

fn compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    for (name, pattern) in PATTERNS {
        g.bench_function(format!("goregex/{name}"), |b| {
            b.iter(|| goregex::Regex::new(black_box(pattern)).unwrap())
        });
        g.bench_function(format!("regex/{name}"), |b| {
            b.iter(|| regex::Regex::new(black_box(pattern)).unwrap())
        });
    }
    g.finish();
}

fn is_match(c: &mut Criterion) {
    let mut g = c.benchmark_group("is_match");
    for (name, pattern) in PATTERNS {
        let ours = goregex::Regex::new(pattern).unwrap();
        let theirs = regex::Regex::new(pattern).unwrap();
        let mut i = 0;
        g.bench_function(format!("goregex/{name}"), |b| {
            b.iter(|| {
                i += 1;
                ours.is_match(black_box(NODES[i % NODES.len()]))
            })
        });
        g.bench_function(format!("regex/{name}"), |b| {
            b.iter(|| {
                i += 1;
                theirs.is_match(black_box(NODES[i % NODES.len()]))
            })
        });
    }
    g.finish();
}

/// Compile and match once: a guest that compiles the pattern on every call.
fn compile_and_match(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile_and_match");
    for (name, pattern) in PATTERNS {
        g.bench_function(format!("goregex/{name}"), |b| {
            b.iter(|| {
                goregex::Regex::new(black_box(pattern))
                    .unwrap()
                    .is_match(black_box(NODES[0]))
            })
        });
        g.bench_function(format!("regex/{name}"), |b| {
            b.iter(|| {
                regex::Regex::new(black_box(pattern))
                    .unwrap()
                    .is_match(black_box(NODES[0]))
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1));
    targets = compile, is_match, compile_and_match
}
criterion_main!(benches);
