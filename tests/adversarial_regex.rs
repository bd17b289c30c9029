//! The adversarial regex corpus (goregex/tests/data/adversarial.json, Go's verdicts from real Go)
//! through both built RegexScheduling guests in the host: each pattern gets Go's verdict (or
//! goregex's named bound), and the guest's linear memory stays bounded over the whole corpus.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

use std::collections::BTreeSet;

use integration_tests::{REGEX, load, node, pod, root};
use serde_json::Value;
use simulator_host::Status;

/// Linear memory a guest may reach over the whole corpus (it never shrinks, so this is the
/// peak). Before the bound, `\pL{1000}` alone left a guest at 45.8 MB.
const MEMORY_BOUND: usize = 16 << 20;

fn corpus() -> Vec<Value> {
    let path = root().join("goregex/tests/data/adversarial.json");
    let text = std::fs::read_to_string(&path).expect("adversarial.json");
    serde_json::from_str::<Value>(&text)
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
}

#[test]
fn corpus_verdicts_and_memory_in_both_guests() {
    let cases = corpus();
    assert!(cases.len() >= 50);
    let names: BTreeSet<String> = cases
        .iter()
        .flat_map(|c| c["matches"].as_array().unwrap().iter())
        .map(|m| m["haystack"].as_str().unwrap().to_owned())
        .collect();
    let nodes: Vec<Value> = names.iter().map(|n| node(n, &[])).collect();
    for guest in ["regex_v1", "regex_v2"] {
        let plugin = load(guest, "", &nodes);
        for (i, c) in cases.iter().enumerate() {
            let pattern = c["pattern"].as_str().unwrap();
            let short: String = pattern.chars().take(60).collect();
            let p = pod(&format!("adv-{i}"), &[(REGEX, pattern)]);
            let (pre, _) = plugin.pre_filter(&p).expect("prefilter");
            let bound = c["bound"].as_bool().unwrap();
            if bound || !c["error"].is_null() {
                // v2 stops the cycle at PreFilter; v1 (Filter only) answers Error on Filter.
                let status = if pre.is_success() {
                    plugin.filter(&p, "node-default").expect("filter")
                } else {
                    pre
                };
                assert_eq!(status.code, 1, "{guest} {short:?}: {status:?}");
                let reason = status.reason.clone();
                let want = if bound {
                    if pattern.len() > 4096 {
                        format!(
                            "is {} bytes long, more than the 4096 bytes this plugin accepts",
                            pattern.len()
                        )
                    } else {
                        "expression too large: its program exceeds goregex's bound of 2048 instructions".to_owned()
                    }
                } else {
                    c["error"].as_str().unwrap().to_owned()
                };
                assert!(reason.ends_with(&want), "{guest} {short:?}: {reason}");
                continue;
            }
            assert!(pre.is_success(), "{guest} {short:?}: {pre:?}");
            for m in c["matches"].as_array().unwrap() {
                let hay = m["haystack"].as_str().unwrap();
                if hay.is_empty() {
                    continue; // not a node name (the guests answer Error without one)
                }
                let status = plugin.filter(&p, hay).expect("filter");
                let expected = if m["match"].as_bool().unwrap() { 0 } else { 2 };
                assert_eq!(status.code, expected, "{guest} {short:?} on {hay:.20}");
            }
        }
        let memory = plugin.memory_bytes();
        println!("{guest}: linear memory after the corpus {memory} bytes");
        assert!(memory <= MEMORY_BOUND, "{guest}: {memory} bytes");
        assert_eq!(plugin.instance_count(), 1, "{guest}: no trap");
        // The guest still answers normal patterns.
        let ok = pod("after", &[(REGEX, "kubecon-.*")]);
        assert!(plugin.pre_filter(&ok).expect("prefilter").0.is_success());
        assert_eq!(
            plugin.filter(&ok, "kubecon-na-2024").expect("filter"),
            Status::success()
        );
    }
}
