//! Replays every saved input of every fuzz target (`fuzz/corpus/<target>/*`): the smoke pass CI
//! runs instead of fuzzing. Inputs that once crashed a target are kept here, so they stay fixed.

use std::path::Path;

#[test]
fn every_corpus_input_runs_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut total = 0;
    for (name, target) in fuzz_targets::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("corpus entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: no seeds", dir.display());
        for file in &files {
            let data = std::fs::read(file).expect("corpus file");
            target(&data);
        }
        total += files.len();
    }
    assert!(total >= fuzz_targets::TARGETS.len());
}

#[test]
fn goregex_and_regex_agree_on_shared_syntax() {
    // The oracle is live: a disagreement would panic inside the target.
    fuzz_targets::goregex(b"(kube|cncf)-[1-9]+$\xffkubecon-1");
    fuzz_targets::goregex(b"^k.*9?$\xffk19");
}

/// Writes realistic seeds (pods and nodes as the host encodes them, via the SDK's builders) into
/// the corpus: `cargo test -p fuzz-targets -- --ignored write_builder_seeds`.
#[test]
#[ignore = "regenerates corpus seeds"]
fn write_builder_seeds() {
    use common::testing::{NodeBuilder, PodBuilder};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let pod = PodBuilder::new("web-0")
        .namespace("default")
        .uid("5f2a")
        .label("app", "web")
        .annotation("scheduler.wasmkwokwizardry.io/regex", "kubecon-.*")
        .build();
    let node = NodeBuilder::new("kubecon-1")
        .annotation(
            "scheduler.wasmkwokwizardry.io/load-feedback",
            "current-load=1, target-load=2, max-load=4",
        )
        .build();
    std::fs::write(root.join("pod_proto/builder_pod"), &pod).expect("write");
    std::fs::write(root.join("pod_proto/builder_node"), &node).expect("write");
    let mut guest = pod.clone();
    guest.push(0xFF);
    guest.extend_from_slice(b"kubecon-1");
    std::fs::write(root.join("regex_guest/builder_pod"), guest).expect("write");
}
