//! Runs every vector of `tests/data/vectors.json` through the conformance evaluator.

use fleet_autoscaling::conformance::{counts, render_table, run};

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
    let (_, fail, _) = counts(&reports);
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
