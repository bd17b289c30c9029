//! Runs every vector of `tests/data/vectors.json` and `tests/data/extra_vectors.json` through the
//! conformance evaluator, and checks how `eval_text` treats files that are not valid vectors.

use fleet_autoscaling::conformance::{Outcome, Tally, counts, eval_text, render_table, run, tally};
use serde_json::{Value, json};

#[test]
fn all_vectors() {
    let text = include_str!("data/vectors.json");
    let vectors: serde_json::Value = serde_json::from_str(text).unwrap();
    let reports = run(&vectors).unwrap();
    print!("{}", render_table(&reports));
    let (pass, fail, skip) = counts(&reports);
    println!(
        "vectors: {} total, {pass} passed, {fail} failed, {skip} skipped",
        reports.len()
    );
    let skipped: Vec<&str> = reports
        .iter()
        .filter(|r| r.verdict.is_none())
        .map(|r| r.id.as_str())
        .collect();
    // Documented skip: the hash-mismatch case needs the module bytes.
    assert_eq!(
        skipped,
        vec!["agones/wasm/Incorrect Hash provided (sha256), plugin creation fails"]
    );
    assert_eq!(fail, 0, "failing vectors (see table above)");
}

/// Further cases transcribed from Agones' own tests (same schema), beyond the shared file.
#[test]
fn extra_upstream_cases() {
    let text = include_str!("data/extra_vectors.json");
    let vectors: serde_json::Value = serde_json::from_str(text).unwrap();
    let reports = run(&vectors).unwrap();
    print!("{}", render_table(&reports));
    let (pass, fail, _) = counts(&reports);
    assert_eq!(pass, reports.len() - 1);
    let skipped: Vec<&str> = reports
        .iter()
        .filter(|r| r.verdict.is_none())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        skipped,
        vec!["extra/webhook/Wrong server URL"],
        "only the transport error needs I/O"
    );
    assert_eq!(fail, 0);
}

#[test]
fn eval_text_formats() {
    let text = include_str!("data/vectors.json");
    let (table, ok) = fleet_autoscaling::conformance::eval_text(text, false).unwrap();
    assert!(ok);
    assert!(
        table
            .trim_end()
            .ends_with("132 passed, 0 failed, 1 skipped")
    );
    let (lines, _) = fleet_autoscaling::conformance::eval_text(text, true).unwrap();
    assert_eq!(lines.lines().count(), 133);
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["actual"]["replicas"], 60);
}

/// The Agones 1.60 vectors (#4625, #4596, #4513) are in the extra file and pass; their ids.
#[test]
fn agones_1_60_vectors_pass() {
    let vectors: Value = serde_json::from_str(include_str!("data/extra_vectors.json")).unwrap();
    let reports = run(&vectors).unwrap();
    let ids: Vec<&str> = reports
        .iter()
        .filter(|r| r.id.contains("1.60"))
        .map(|r| {
            assert_eq!(r.verdict, Some(Ok(())), "{}: {:?}", r.id, r.outcome);
            r.id.as_str()
        })
        .collect();
    assert_eq!(
        ids,
        vec![
            "extra/list/1.60 flapping/scale up to satisfy buffer",
            "extra/list/1.60 flapping/stable at buffer, no flap down",
            "extra/list/1.60 flapping/limited up to MinCapacity",
            "extra/list/1.60 flapping/limited down blocked by allocated servers",
            "extra/counter/1.60 scale down skips Allocated and Reserved",
            "extra/counter/1.60 Allocated GameServer being deleted is deletable",
            "extra/webhook/1.60 response omits 'response' field",
            "extra/webhook/1.60 recorded response null",
            "extra/wasm/1.60 scaleEmpty returns no 'response' field",
            "extra/review/1.60 allocations carried into the request",
            "extra/review/1.60 allocations 0 for a fleet status without it",
        ]
    );
    let (table, ok) = eval_text(include_str!("data/extra_vectors.json"), false).unwrap();
    assert!(ok);
    assert!(
        table.ends_with("31 passed, 0 failed, 1 skipped\n"),
        "{table}"
    );
}

/// Each of these lines is one vector file holding one unreadable vector, and the reason given.
#[test]
fn unreadable_vectors_are_errors() {
    let cases: &[(&str, &str)] = &[
        ("[1]", "a vector must be a JSON object, not number"),
        ("[[]]", "a vector must be a JSON object, not array"),
        ("[null]", "a vector must be a JSON object, not null"),
        (r#"[{"id":"a"}]"#, r#"the vector has no "kind""#),
        (
            r#"[{"id":"a","kind":7}]"#,
            r#""kind" must be a string, not number"#,
        ),
        (
            r#"[{"id":"a","kind":"agones.nope","expected":{}}]"#,
            r#"unknown kind "agones.nope" (known: agones.buffer+controller, agones.defaults, "#,
        ),
        (
            r#"[{"id":"a","kind":"agones.buffer","policy":{"type":5},"expected":{}}]"#,
            "cannot read policy: invalid type: integer `5`, expected a string",
        ),
        (
            r#"[{"id":"a","kind":"agones.buffer","policy":{"type":"Buffer","buffer":{"bufferSize":1,"maxReplicas":3}},"status":{"fleet":{"status":{}}}}]"#,
            r#"the vector has no "expected""#,
        ),
    ];
    for (text, reason) in cases {
        let vectors: Value = serde_json::from_str(text).unwrap();
        let reports = run(&vectors).unwrap();
        assert_eq!(reports.len(), 1);
        let Outcome::Invalid(why) = &reports[0].outcome else {
            panic!("{text}: {:?}", reports[0].outcome);
        };
        assert!(why.starts_with(reason), "{text}: {why}");
        assert_eq!(reports[0].verdict, None);
        assert_eq!(
            tally(&reports),
            Tally {
                invalid: 1,
                ..Tally::default()
            }
        );
        let (table, ok) = eval_text(text, false).unwrap();
        assert!(!ok, "{text}");
        assert!(table.contains("ERROR "), "{table}");
        assert!(
            table.ends_with("0 passed, 0 failed, 0 skipped, 1 invalid\n"),
            "{table}"
        );
    }
}

/// `[1,2,3]` used to read as "0 passed, 0 failed, 3 skipped" and exit 0.
#[test]
fn broken_file_is_not_ok() {
    let (table, ok) = eval_text("[1,2,3]", false).unwrap();
    assert!(!ok);
    assert_eq!(
        table.lines().filter(|l| l.starts_with("ERROR ")).count(),
        3,
        "{table}"
    );
    assert!(table.ends_with("0 passed, 0 failed, 0 skipped, 3 invalid\n"));
    let (lines, ok) = eval_text("[1,2,3]", true).unwrap();
    assert!(!ok);
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(
        first,
        json!({"id": "", "invalid": "a vector must be a JSON object, not number"})
    );

    // One good vector does not make a file with a bad one pass.
    let vectors: Vec<Value> = serde_json::from_str(include_str!("data/vectors.json")).unwrap();
    let mixed = json!([vectors[0], {"id": "typo", "kind": "agones.bufer", "expected": {}}]);
    let (table, ok) = eval_text(&mixed.to_string(), false).unwrap();
    assert!(!ok);
    assert!(
        table.ends_with("1 passed, 0 failed, 0 skipped, 1 invalid\n"),
        "{table}"
    );

    // A vector that only needs I/O is still a skip, and the file passes.
    let extra: Vec<Value> = serde_json::from_str(include_str!("data/extra_vectors.json")).unwrap();
    let io_only: Vec<&Value> = extra
        .iter()
        .filter(|v| v["id"] == "extra/webhook/Wrong server URL")
        .collect();
    let (table, ok) = eval_text(&json!(io_only).to_string(), false).unwrap();
    assert!(ok);
    assert!(
        table.ends_with("0 passed, 0 failed, 1 skipped\n"),
        "{table}"
    );

    // Not an array, or an empty one: the whole file is an error.
    assert_eq!(
        eval_text("{}", false).unwrap_err(),
        "vectors file must be a JSON array"
    );
    assert_eq!(
        eval_text("[]", false).unwrap_err(),
        "the vectors file holds no vector"
    );
    assert!(
        eval_text("[1,", false)
            .unwrap_err()
            .starts_with("invalid vectors file: ")
    );
}
