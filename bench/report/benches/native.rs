//! Criterion micro-benchmarks of the native side of `make bench`: goregex and `regex` compiling
//! the three patterns of issue 4 and matching the node names `simulator bench` generates (half
//! match). `make bench` prints its own medians of the same loops in one run next to the guests;
//! this is the statistically careful version. Run: `cargo bench -p bench-report`.
//! (`cargo bench -p goregex` has goregex's own benchmarks on a fixed set of four names.)

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const PATTERNS: [(&str, &str); 3] = [
    ("plain", "kubecon-.*"),
    ("anchored", r"^(kubecon|cncf)-[a-z0-9]+(-\w+)?-\d{2,5}$"),
    ("unicode", r"(?i)\pL+-\d+"),
];

fn names() -> Vec<String> {
    (0..100).map(bench_harness::node_name).collect()
}

fn compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    for (name, pattern) in PATTERNS {
        g.bench_function(format!("goregex/{name}"), |b| {
            b.iter(|| goregex::Regex::new(black_box(pattern)).is_ok())
        });
        g.bench_function(format!("regex/{name}"), |b| {
            b.iter(|| regex::Regex::new(black_box(pattern)).is_ok())
        });
    }
    g.finish();
}

fn is_match(c: &mut Criterion) {
    let names = names();
    let mut g = c.benchmark_group("is_match_100_node_names");
    for (name, pattern) in PATTERNS {
        if let (Ok(ours), Ok(theirs)) = (goregex::Regex::new(pattern), regex::Regex::new(pattern)) {
            g.bench_function(format!("goregex/{name}"), |b| {
                b.iter(|| names.iter().filter(|n| ours.is_match(black_box(n))).count())
            });
            g.bench_function(format!("regex/{name}"), |b| {
                b.iter(|| {
                    names
                        .iter()
                        .filter(|n| theirs.is_match(black_box(n)))
                        .count()
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, compile, is_match);
criterion_main!(benches);
