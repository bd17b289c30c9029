//! `simulator run` on bad inputs: a clear message naming the file and the problem, exit status 1
//! (2 for usage errors), and nothing scheduled.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod cli_support;

use cli_support::*;
use serde_json::json;

/// Runs `simulator run ARGS` and returns the error line (the whole stderr), checking exit 1 and
/// that nothing reached stdout.
fn fails(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout: {}\nstderr: {}",
        stdout(&o),
        stderr(&o)
    );
    assert_eq!(stdout(&o), "", "{}", stderr(&o));
    stderr(&o)
}

fn demo_nodes() -> Vec<serde_json::Value> {
    vec![node("node-default"), node("kubecon-1"), node("kubecon-2")]
}

/// A scenario using a single wasm plugin with these args.
fn with_args(dir: &TempDir, args: serde_json::Value) -> String {
    dir.write(
        "scenario.json",
        scenario(
            &demo_nodes(),
            &[pod("p", &[])],
            Some(config(&[("WasmRegexScheduling", 0, args)])),
        ),
    )
}

#[test]
fn missing_scenario_file() {
    assert_eq!(
        fails(&["run", "no/such/scenario.json"]),
        "simulator: error: no/such/scenario.json: No such file or directory\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the following required arguments were not provided"),
        "{}",
        stderr(&o)
    );
    let o = run(&["run", "x.json", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn invalid_yaml_config() {
    let dir = TempDir::new("yaml");
    let cfg = dir.write(
        "bad.yaml",
        "profiles:\n  - schedulerName: x\n    plugins: [\n",
    );
    let err = fails(&["run", "simulator/scenarios/demo.json", "--config", &cfg]);
    assert!(
        err.starts_with(&format!("simulator: error: {cfg}: invalid YAML: ")),
        "{err}"
    );
}

#[test]
fn invalid_json_scenario() {
    let dir = TempDir::new("json");
    let s = dir.write("s.json", "{\"nodes\": [");
    let err = fails(&["run", &s]);
    assert!(
        err.starts_with(&format!("simulator: error: {s}: invalid JSON: ")),
        "{err}"
    );
    let s = dir.write("t.json", "{\"kind\": \"Pod\"}");
    assert_eq!(
        fails(&["run", &s]),
        format!(
            "simulator: error: {s}: not a kube-scheduler-simulator export: it has neither `nodes` nor `pods`\n"
        )
    );
}

#[test]
fn config_without_profiles() {
    let dir = TempDir::new("profiles");
    let cfg = dir.write(
        "c.yaml",
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n",
    );
    let err = fails(&["run", "simulator/scenarios/demo.json", "--config", &cfg]);
    assert!(
        err.starts_with(&format!(
            "simulator: error: {cfg}: the configuration has no profiles"
        )),
        "{err}"
    );
}

#[test]
fn scenario_without_config() {
    let dir = TempDir::new("noconfig");
    let s = dir.write("s.json", scenario(&demo_nodes(), &[], None));
    assert_eq!(
        fails(&["run", &s]),
        format!(
            "simulator: error: {s}: the scenario has no schedulerConfig: give a KubeSchedulerConfiguration with --config FILE\n"
        )
    );
}

#[test]
fn unknown_profile() {
    assert_eq!(
        fails(&["run", "simulator/scenarios/demo.json", "--profile", "nope"]),
        "simulator: error: simulator/scenarios/demo.json (schedulerConfig): no profile named \"nope\" (profiles: default-scheduler)\n"
    );
}

#[test]
fn guest_url_missing() {
    let dir = TempDir::new("nourl");
    let s = with_args(&dir, json!({"guestConfig": "x"}));
    assert_eq!(
        fails(&["run", &s]),
        format!(
            "simulator: error: {s} (schedulerConfig): plugin \"WasmRegexScheduling\" (guestURL \"\"): wasm: guestURL is required\n"
        )
    );
}

#[test]
fn unknown_plugin_args() {
    let dir = TempDir::new("unknownargs");
    let s = with_args(&dir, json!({"guestUrl": "file://static/regex_v1.wasm"}));
    let err = fails(&["run", &s]);
    assert!(
        err.starts_with(&format!(
            "simulator: error: {s} (schedulerConfig): profile \"default-scheduler\": failed to decode into WasmRegexScheduling PluginConfig: unknown field `guestUrl`"
        )),
        "{err}"
    );
}

#[test]
fn unsupported_scheme() {
    let dir = TempDir::new("scheme");
    let s = with_args(
        &dir,
        json!({"guestURL": "ftp://example.invalid/regex_v1.wasm"}),
    );
    assert_eq!(
        fails(&["run", &s]),
        format!(
            "simulator: error: {s} (schedulerConfig): plugin \"WasmRegexScheduling\" (guestURL \"ftp://example.invalid/regex_v1.wasm\"): wasm: error reading guestURL ftp://example.invalid/regex_v1.wasm: unsupported URL scheme: ftp\n"
        )
    );
}

#[test]
fn missing_guest_file() {
    let dir = TempDir::new("nofile");
    let s = with_args(
        &dir,
        json!({"guestURL": "file://static/does_not_exist.wasm"}),
    );
    assert_eq!(
        fails(&["run", &s]),
        format!(
            "simulator: error: {s} (schedulerConfig): plugin \"WasmRegexScheduling\" (guestURL \"file://static/does_not_exist.wasm\"): wasm: error reading guestURL file://static/does_not_exist.wasm: open static/does_not_exist.wasm: no such file or directory\n"
        )
    );
}

#[test]
fn not_a_wasm_module() {
    let dir = TempDir::new("notwasm");
    let f = dir.write("plugin.wasm", "this is not wasm\n");
    let s = with_args(&dir, json!({"guestURL": format!("file://{f}")}));
    let err = fails(&["run", &s]);
    assert!(
        err.starts_with(&format!(
            "simulator: error: {s} (schedulerConfig): plugin \"WasmRegexScheduling\" (guestURL \"file://{f}\"): wasm: error compiling guest: "
        )),
        "{err}"
    );
}

#[test]
fn guest_without_memory_export() {
    let dir = TempDir::new("nomem");
    let f = dir.wat("no_memory");
    let s = with_args(&dir, json!({"guestURL": format!("file://{f}")}));
    assert_eq!(
        fails(&["run", &s]),
        format!(
            "simulator: error: {s} (schedulerConfig): plugin \"WasmRegexScheduling\" (guestURL \"file://{f}\"): wasm: guest doesn't export memory[memory]\n"
        )
    );
}

#[test]
fn filter_with_wrong_signature() {
    let dir = TempDir::new("sig");
    let f = dir.wat("wrong_signature");
    let s = with_args(&dir, json!({"guestURL": format!("file://{f}")}));
    assert_eq!(
        fails(&["run", &s]),
        format!(
            "simulator: error: {s} (schedulerConfig): plugin \"WasmRegexScheduling\" (guestURL \"file://{f}\"): wasm: guest exports the wrong signature for func[filter]. should be () -> (i32)\n"
        )
    );
}

#[test]
fn enabled_without_plugin_config() {
    let dir = TempDir::new("noplugincfg");
    let cfg = dir.write(
        "c.yaml",
        "profiles:\n  - plugins:\n      multiPoint:\n        enabled:\n          - name: WasmRegexScheduling\n",
    );
    assert_eq!(
        fails(&["run", "simulator/scenarios/demo.json", "--config", &cfg]),
        format!(
            "simulator: error: {cfg}: profile \"default-scheduler\": multiPoint plugin \"WasmRegexScheduling\" does not exist: it is not an in-tree plugin, and a wasm plugin needs a pluginConfig entry with the same name and `args: {{guestURL: ...}}`\n"
        )
    );
}

#[test]
fn no_such_pod() {
    assert_eq!(
        fails(&["run", "simulator/scenarios/demo.json", "--pod", "nope"]),
        "simulator: error: simulator/scenarios/demo.json: no pending pod named \"nope\"\n"
    );
}

/// Where kube-scheduler would silently not run a wasm plugin, `run` warns and goes on.
#[test]
fn warns_where_the_real_scheduler_ignores_a_plugin() {
    require_guest("regex_v1");
    let dir = TempDir::new("warn");
    let only_filter = dir.write(
        "filter-only.yaml",
        "profiles:\n  - plugins:\n      filter:\n        enabled:\n          - name: WasmRegexScheduling\n    pluginConfig:\n      - name: WasmRegexScheduling\n        args:\n          guestURL: file://static/regex_v1.wasm\n",
    );
    let o = run(&[
        "run",
        "simulator/scenarios/demo.json",
        "--config",
        &only_filter,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "simulator: warning: {only_filter}: plugin \"WasmRegexScheduling\" is enabled only under plugins.filter; kube-scheduler registers wasm plugins only from plugins.multiPoint.enabled, so it does not run (enable it under multiPoint)\n"
        )
    );
    // Without the plugin every pod fits anywhere.
    assert!(
        stdout(&o).ends_with("3 scheduled, 0 unschedulable, 0 errors\n"),
        "{}",
        stdout(&o)
    );

    let map_config = dir.write(
        "map.yaml",
        "profiles:\n  - plugins:\n      multiPoint:\n        enabled:\n          - name: WasmRegexScheduling\n    pluginConfig:\n      - name: WasmRegexScheduling\n        args:\n          guestURL: file://static/regex_v1.wasm\n          guestConfig:\n            reverse: true\n",
    );
    let o = run(&[
        "run",
        "simulator/scenarios/demo.json",
        "--config",
        &map_config,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "simulator: warning: {map_config}: plugin \"WasmRegexScheduling\" is enabled in multiPoint, but its pluginConfig args do not decode as a wasm PluginConfig (guestConfig must be a string, not a mapping (kube-scheduler cannot decode it; write the guest's JSON as a string: guestConfig: '{{\"key\": 1}}')); kube-scheduler does not register it as a wasm plugin, so it does not run\n"
        )
    );
}
