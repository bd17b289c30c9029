//! Fuzz targets for every parser that reads untrusted bytes, one function each.
//!
//! Each function takes arbitrary bytes and must return normally: a panic is a finding. The same
//! functions run in three ways:
//! - `make fuzz` builds `src/bin/fuzz_*.rs` with `cargo afl` and runs AFL++ on each (coverage-guided);
//! - `cargo test -p fuzz-targets` replays every saved input under `fuzz/corpus/<target>/` (the
//!   smoke pass CI runs), so a crash once found stays fixed;
//! - from any test, as plain functions.
//!
//! ```
//! fuzz_targets::goregex(b"kube(con|cncf)-[0-9]+\xffkubecon-1");
//! fuzz_targets::autoscale_review(b"{\"request\": 1}");
//! ```
//!
//! Runs and findings are recorded in `fuzz/RATIONALE.md`.

use std::str::FromStr;

use common::proto::k8s::{NodeView, PodView};
use common::proto::message::Map;
use common::quantity::Quantity;
use common::testing::{FakeHost, NodeBuilder, PodBuilder, unpack_score};

/// A fuzz target: arbitrary bytes in, a panic is a finding.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, for the corpus replay and `make fuzz`.
pub const TARGETS: &[(&str, Target)] = &[
    ("pod_proto", pod_proto),
    ("goregex", goregex),
    ("regex_guest", regex_guest),
    ("fleet_score", fleet_score),
    ("autoscale_review", autoscale_review),
];

/// The guest SDK's zero-copy protobuf reader over arbitrary bytes taken as a `v1.Pod` and as a
/// `v1.Node`: every accessor a plugin can call, and every quantity in the resource maps parsed.
pub fn pod_proto(data: &[u8]) {
    let pod = PodView::new(data);
    let meta = pod.metadata();
    let _ = (
        meta.name(),
        meta.generate_name(),
        meta.namespace(),
        meta.uid(),
    );
    let _ = meta.resource_version();
    walk_map(&meta.labels(), false);
    walk_map(&meta.annotations(), false);
    let _ = meta
        .annotations()
        .get("scheduler.wasmkwokwizardry.io/regex");
    let spec = pod.spec();
    let _ = (spec.node_name(), spec.scheduler_name(), spec.priority());
    let _ = (spec.priority_class_name(), pod.phase());
    walk_map(&spec.node_selector(), false);
    walk_map(&spec.overhead(), true);
    for c in spec.containers().chain(spec.init_containers()).flatten() {
        let _ = (c.name(), c.image());
        walk_map(&c.resources().requests(), true);
        walk_map(&c.resources().limits(), true);
    }
    for t in spec.tolerations().flatten() {
        let _ = (
            t.key(),
            t.operator(),
            t.value(),
            t.effect(),
            t.toleration_seconds(),
        );
    }

    let node = NodeView::new(data);
    let _ = node.metadata().name();
    let _ = node.spec().unschedulable();
    for t in node.spec().taints().flatten() {
        let _ = (t.key(), t.value(), t.effect());
    }
    walk_map(&node.status().capacity(), true);
    walk_map(&node.status().allocatable(), true);
}

fn walk_map(map: &Map<'_>, quantities: bool) {
    let _ = map.is_empty();
    for (_, value) in map.iter().flatten() {
        if quantities && let Ok(q) = Quantity::parse(value) {
            let _ = (q.value(), q.milli_value());
        }
    }
}

/// Characters of the regex syntax Go and Rust's `regex` read the same way; patterns made only of
/// them are compared match for match where both accept them. (`{` is out: Go reads `a{,3}` as a
/// literal, Rust as a repetition; `\` is out: `\d \w \s` are ASCII in Go and Unicode in Rust.)
const SHARED_SYNTAX: &str = "abck-19.*+?|()[]^$";

/// Whether a bracket expression of `pattern` holds `[` or `--`: Rust's `regex` reads those as a
/// nested class and a class difference, Go as the literal `[` and a range (found by AFL:
/// `[[]]]` is "`[` then `]]`" in Go, "any `]`" in Rust).
fn class_syntax_differs(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'[' {
            i += 1;
            continue;
        }
        i += 1;
        if b.get(i) == Some(&b'^') {
            i += 1;
        }
        // A `]` right after `[` or `[^` is a literal.
        if b.get(i) == Some(&b']') {
            i += 1;
        }
        while i < b.len() && b[i] != b']' {
            if b[i] == b'[' || (b[i] == b'-' && b.get(i + 1) == Some(&b'-')) {
                return true;
            }
            i += 1;
        }
        i += 1;
    }
    false
}

/// goregex's parser and compiler on arbitrary text, then a match; differential against Rust's
/// `regex` on the syntax the two dialects share. Input: `pattern 0xFF haystack`.
pub fn goregex(data: &[u8]) {
    let (pattern, haystack) = split2(data);
    let Ok(pattern) = std::str::from_utf8(pattern) else {
        return;
    };
    let haystack = String::from_utf8_lossy(haystack);
    let Ok(re) = goregex::Regex::new(pattern) else {
        return;
    };
    let got = re.is_match(&haystack);
    if pattern.chars().all(|c| SHARED_SYNTAX.contains(c))
        && !class_syntax_differs(pattern)
        && let Ok(oracle) = regex::Regex::new(pattern)
    {
        assert_eq!(
            got,
            oracle.is_match(&haystack),
            "goregex and regex disagree: {pattern:?} on {haystack:?}"
        );
    }
}

/// The RegexScheduling v2 guest (native build, SDK fake host) on an arbitrary pod: PreFilter and
/// Filter must answer a status, never panic. Input: `pod bytes 0xFF node name`.
pub fn regex_guest(data: &[u8]) {
    let (pod, node) = split2(data);
    let node = String::from_utf8_lossy(node);
    let host = FakeHost::new();
    regex_v2::exports::reset();
    host.pod(pod.to_vec());
    host.new_call();
    let code = regex_v2::exports::prefilter();
    assert!(matches!(code, 0 | 1 | 2 | 3 | 5), "prefilter code {code}");
    host.new_call().node_name(&node);
    let code = regex_v2::exports::filter();
    assert!(matches!(code, 0..=3), "filter code {code}");
}

/// FleetScore on arbitrary fleet-status, fleet-policy and load-feedback annotations and guest
/// config: every hook answers, every score is in 0..=100. Input: four parts separated by 0xFF.
pub fn fleet_score(data: &[u8]) {
    let mut parts = data.split(|&b| b == 0xFF).map(String::from_utf8_lossy);
    let status = parts.next().unwrap_or_default();
    let policy = parts.next().unwrap_or_default();
    let load = parts.next().unwrap_or_default();
    let config = parts.next().unwrap_or_default();

    let host = FakeHost::new();
    if !config.is_empty() {
        host.config(&config);
    }
    fleet_score::exports::reset();
    let mut pod = PodBuilder::new("gs-1")
        .namespace("games")
        .label(fleet_score::DEFAULT_FLEET_LABEL, "lobby")
        .label("agones.dev/role", "gameserver")
        .annotation(fleet_score::STATUS_ANNOTATION, &status);
    if !policy.is_empty() {
        pod = pod.annotation(fleet_score::POLICY_ANNOTATION, &policy);
    }
    host.pod(pod.build());
    let nodes = ["loaded", "plain"];
    host.add_node(
        "loaded",
        NodeBuilder::new("loaded")
            .annotation(fleet_score::LOAD_ANNOTATION, &load)
            .build(),
    );
    host.add_node("plain", NodeBuilder::new("plain").build());

    host.new_call();
    if fleet_score::exports::prefilter() != 0 {
        return;
    }
    for node in nodes {
        host.new_call().node_name(node);
        let _ = fleet_score::exports::filter();
    }
    host.new_call().filtered_nodes(&nodes);
    if fleet_score::exports::prescore() != 0 {
        return;
    }
    for node in nodes {
        host.new_call().node_name(node);
        let (score, code) = unpack_score(fleet_score::exports::score());
        if code == 0 {
            assert!((0..=100).contains(&score), "score {score} out of range");
        }
    }
    let _ = fleet_autoscaling::burst::LoadFeedback::from_str(&load);
}

/// The Agones webhook autoscaler's review decoder and handler (a Buffer policy) on an arbitrary
/// request body: a review or a 4xx error, never a panic.
pub fn autoscale_review(data: &[u8]) {
    let _ = fleet_autoscaling::review::decode_review(data);
    let policy = r#"{"apiVersion":"autoscaling.agones.dev/v1","kind":"FleetAutoscaler","metadata":{"name":"f"},"spec":{"fleetName":"lobby","policy":{"type":"Buffer","buffer":{"bufferSize":5,"maxReplicas":100}}}}"#;
    let Ok(fas) = fleet_autoscaling::load::load_fleet_autoscaler(policy) else {
        panic!("the fixed policy must load");
    };
    let Ok(handler) = fleet_autoscaling::webhook::WebhookHandler::new(&fas) else {
        panic!("the fixed policy must validate");
    };
    if let Err(e) = handler.handle(data, fleet_autoscaling::go::time::Instant::from_unix(0, 0)) {
        assert!((400..500).contains(&e.status), "status {}", e.status);
    }
}

fn split2(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::class_syntax_differs;

    #[test]
    fn class_syntax_where_go_and_rust_differ() {
        for p in ["[[]]]", "a[b[]", "[^[]", "[]a[]", "[a--b]", "x|[--]"] {
            assert!(class_syntax_differs(p), "{p}");
        }
        for p in [
            "[]]", "[^]]", "[a-b]", "a--b", "[ab]-[c]", "[", "a[b", "()[]^$",
        ] {
            assert!(!class_syntax_differs(p), "{p}");
        }
    }
}
