//! The upstream `.wat` fixtures of docs/abi.md §6.1, reproduced in tests/fixtures, with the texts the
//! production host gives for them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad results

mod common;

use common::{load, load_with, pod_small};
use simulator_host::{Cluster, Hook, NodeScore, PluginArgs, Severity, Status};
use std::collections::BTreeMap;
use std::time::Duration;

fn panic_message(export: &str, frame: &str) -> String {
    format!("wasm: {export} error: panic!\nwasm error: unreachable\nwasm stack trace:\n\t{frame}")
}

#[test]
fn not_plugin() {
    assert_eq!(
        load("error/not_plugin").unwrap_err().to_string(),
        "wasm: guest does not export any plugin functions"
    );
}

#[test]
fn hooks_without_their_group() {
    for f in [
        "error/prescore_without_score",
        "error/scoreextensions_without_score",
    ] {
        assert_eq!(
            load(f).unwrap_err().to_string(),
            "wasm: filter, score, reserve, permit or bind must be exported",
            "{f}"
        );
    }
}

#[test]
fn all_noop_has_the_old_postfilter_signature() {
    assert_eq!(
        load("test/all_noop").unwrap_err().to_string(),
        "wasm: guest exports the wrong signature for func[postfilter]. should be () -> (i64)"
    );
}

#[test]
fn panic_on_start() {
    assert_eq!(
        load("error/panic_on_start").unwrap_err().to_string(),
        "failed to create a guest pool: wasm: instantiate error: panic!\nmodule[1] function[_start] failed: wasm error: unreachable\nwasm stack trace:\n\tpanic_on_start.$2()"
    );
}

#[test]
fn panic_on_enqueue_panics_the_scheduler() {
    let p = load("error/panic_on_enqueue").unwrap();
    let e = p.events_to_register().unwrap_err();
    assert_eq!(e.message, panic_message("enqueue", "panic_on_enqueue.$1()"));
    assert!(
        e.to_string()
            .starts_with("the real kube-scheduler would panic here: wasm: enqueue error: panic!")
    );
}

#[test]
fn panic_on_prefilter() {
    let p = load("error/panic_on_prefilter").unwrap();
    let (status, nodes) = p.pre_filter(&pod_small()).unwrap();
    assert_eq!(
        status,
        Status::error(panic_message("prefilter", "panic_on_prefilter.$1() i32"))
    );
    assert_eq!(nodes, None);
}

#[test]
fn panic_on_filter() {
    let p = load("error/panic_on_filter").unwrap();
    let g = p.exports().groups();
    assert_eq!(g.to_string(), "F");
    let status = p.filter(&pod_small(), "good-node").unwrap();
    assert_eq!(status.code, Status::ERROR);
    assert_eq!(
        status.reason,
        panic_message("filter", "panic_on_filter.$1() i32")
    );
}

#[test]
fn panic_on_postfilter() {
    let p = load("error/panic_on_postfilter").unwrap();
    let (result, status) = p.post_filter(&pod_small(), &BTreeMap::new()).unwrap();
    assert_eq!(result, None);
    assert_eq!(
        status,
        Status::error(panic_message("postfilter", "panic_on_postfilter.$1() i64"))
    );
}

#[test]
fn panic_on_prescore() {
    let p = load("error/panic_on_prescore").unwrap();
    let status = p.pre_score(&pod_small(), &["good-node"]).unwrap();
    assert_eq!(
        status,
        Status::error(panic_message("prescore", "panic_on_prescore.$1() i32"))
    );
}

#[test]
fn panic_on_score() {
    let p = load("error/panic_on_score").unwrap();
    let (score, status) = p.score(&pod_small(), "good-node").unwrap();
    assert_eq!(score, 0);
    assert_eq!(
        status,
        Status::error(panic_message("score", "panic_on_score.$1() i64"))
    );
}

#[test]
fn panic_on_scoreextensions() {
    let p = load("error/panic_on_scoreextensions").unwrap();
    // With no scores (as upstream's test passes), the status is returned.
    let status = p.normalize_score(&pod_small(), &mut []).unwrap();
    assert_eq!(
        status,
        Status::error(panic_message(
            "normalizescore",
            "panic_on_scoreextensions.$1() i32"
        ))
    );
    // With scores, the failed call returns a nil list and the host's size check panics.
    let mut scores = [NodeScore::new("good-node", 1)];
    let e = p.normalize_score(&pod_small(), &mut scores).unwrap_err();
    assert_eq!(
        e.message,
        "size mismatch: scores has 1 elements, but updatedScores has 0 elements"
    );
}

#[test]
fn panic_on_reserve() {
    let p = load("error/panic_on_reserve").unwrap();
    let status = p.reserve(&pod_small(), "good-node").unwrap();
    assert_eq!(
        status,
        Status::error(panic_message("reserve", "panic_on_reserve.$1() i32"))
    );
}

#[test]
fn panic_on_permit() {
    let p = load("error/panic_on_permit").unwrap();
    let (status, timeout) = p.permit(&pod_small(), "good-node").unwrap();
    assert_eq!(
        status,
        Status::error(panic_message("permit", "panic_on_permit.$1() i64"))
    );
    assert_eq!(timeout, Duration::ZERO);
    // Permit moved the instance to the binding cycle anyway.
    assert_eq!(p.binding_pod_uids(), [pod_small().uid()]);
}

#[test]
fn panic_on_prebind_and_bind() {
    for (file, export, frame) in [
        (
            "error/panic_on_prebind",
            "prebind",
            "panic_on_prebind.$1() i32",
        ),
        ("error/panic_on_bind", "bind", "panic_on_bind.$1() i32"),
    ] {
        let p = load(file).unwrap();
        p.pin_for_binding(pod_small().uid()).unwrap();
        let status = if export == "prebind" {
            p.pre_bind(&pod_small(), "good-node").unwrap()
        } else {
            p.bind(&pod_small(), "good-node").unwrap()
        };
        assert_eq!(status, Status::error(panic_message(export, frame)));
    }
}

#[test]
fn panic_on_postbind_is_logged() {
    let p = load("error/panic_on_postbind").unwrap();
    p.pin_for_binding(pod_small().uid()).unwrap();
    p.post_bind(&pod_small(), "good-node").unwrap();
    let logs = p.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].severity, Severity::Error);
    assert_eq!(
        logs[0].text,
        "\"failed postbind\" err=<\n\twasm: postbind error: panic!\n\twasm error: unreachable\n\twasm stack trace:\n\t\tpanic_on_postbind.$1()\n >"
    );
    // PostBind freed the binding instance.
    assert!(p.binding_pod_uids().is_empty());
}

#[test]
fn panic_on_prefilterextensions() {
    let p = load("error/panic_on_prefilterextensions").unwrap();
    let target = common::pod("bad-pod", "bad-pod-uid");
    assert_eq!(
        p.add_pod(&pod_small(), &target, "good-node").unwrap(),
        Status::error(panic_message(
            "addpod",
            "panic_on_prefilterextensions.$1() i32"
        ))
    );
    assert_eq!(
        p.remove_pod(&pod_small(), &target, "good-node").unwrap(),
        Status::error(panic_message(
            "removepod",
            "panic_on_prefilterextensions.$2() i32"
        ))
    );
}

#[test]
fn panic_on_get_config() {
    let p = load("error/panic_on_get_config").unwrap();
    assert_eq!(
        p.pre_filter(&pod_small()).unwrap().0.reason,
        "wasm: prefilter error: wasm error: unreachable\nwasm stack trace:\n\tpanic_on_get_config.$2() i32"
    );
    let args = PluginArgs {
        guest_config: "hello".into(),
        ..PluginArgs::default()
    };
    let p = load_with("error/panic_on_get_config", args, Cluster::new()).unwrap();
    assert_eq!(
        p.pre_filter(&pod_small()).unwrap().0.reason,
        "wasm: prefilter error: hello\nwasm error: unreachable\nwasm stack trace:\n\tpanic_on_get_config.$2() i32"
    );
}

const EXTREMES: [i32; 2] = [i32::MIN, i32::MAX];

#[test]
fn status_codes_pass_through_unchanged() {
    let pod = pod_small();
    for code in EXTREMES {
        let set = |p: &simulator_host::WasmPlugin| {
            p.set_globals(&[("status_code_global", code)]).unwrap()
        };

        let p = load("test/prefilter_from_global").unwrap();
        set(&p);
        assert_eq!(p.pre_filter(&pod).unwrap(), (Status::new(code, ""), None));

        let p = load("test/filter_from_global").unwrap();
        set(&p);
        assert_eq!(p.filter(&pod, "good-node").unwrap().code, code);

        let p = load("test/prescore_from_global").unwrap();
        set(&p);
        assert_eq!(p.pre_score(&pod, &["good-node"]).unwrap().code, code);

        let p = load("test/scoreextensions_from_global").unwrap();
        set(&p);
        assert_eq!(p.normalize_score(&pod, &mut []).unwrap().code, code);

        let p = load("test/reserve_from_global").unwrap();
        set(&p);
        assert_eq!(p.reserve(&pod, "good-node").unwrap().code, code);

        let p = load("test/prefilterextensions_from_global").unwrap();
        set(&p);
        assert_eq!(p.add_pod(&pod, &pod, "good-node").unwrap().code, code);
        assert_eq!(p.remove_pod(&pod, &pod, "good-node").unwrap().code, code);

        let p = load("test/prebind_from_global").unwrap();
        set(&p);
        p.pin_for_binding(pod.uid()).unwrap();
        assert_eq!(p.pre_bind(&pod, "good-node").unwrap().code, code);

        let p = load("test/bind_from_global").unwrap();
        set(&p);
        p.pin_for_binding(pod.uid()).unwrap();
        assert_eq!(p.bind(&pod, "good-node").unwrap().code, code);
    }
}

#[test]
fn score_and_status_unpacking() {
    let pod = pod_small();
    for v in EXTREMES {
        let p = load("test/score_from_global").unwrap();
        p.set_globals(&[("score_global", v)]).unwrap();
        assert_eq!(
            p.score(&pod, "good-node").unwrap(),
            (i64::from(v), Status::success())
        );
        let p = load("test/score_from_global").unwrap();
        p.set_globals(&[("status_code_global", v)]).unwrap();
        assert_eq!(p.score(&pod, "good-node").unwrap(), (0, Status::new(v, "")));
    }
}

#[test]
fn postfilter_unpacking() {
    let pod = pod_small();
    for v in EXTREMES {
        let p = load("test/postfilter_from_global").unwrap();
        p.set_globals(&[("status_code_global", v)]).unwrap();
        let (r, s) = p.post_filter(&pod, &BTreeMap::new()).unwrap();
        assert_eq!((r.unwrap().nominating_mode, s.code), (0, v));
        let p = load("test/postfilter_from_global").unwrap();
        p.set_globals(&[("nominating_mode_global", v)]).unwrap();
        let (r, s) = p.post_filter(&pod, &BTreeMap::new()).unwrap();
        let r = r.unwrap();
        assert_eq!(
            (r.nominating_mode, r.nominated_node_name.as_str(), s.code),
            (v, "", 0)
        );
    }
}

#[test]
fn permit_unpacking() {
    let pod = pod_small();
    for v in EXTREMES {
        let p = load("test/permit_from_global").unwrap();
        p.set_globals(&[("status_code_global", v)]).unwrap();
        assert_eq!(
            p.permit(&pod, "good-node").unwrap(),
            (Status::new(v, ""), Duration::ZERO)
        );
    }
    let p = load("test/permit_from_global").unwrap();
    p.set_globals(&[("status_code_global", 4), ("timeout_global", -1)])
        .unwrap();
    // The timeout is read as uint32 milliseconds.
    assert_eq!(
        p.permit(&pod, "good-node").unwrap(),
        (
            Status::new(Status::WAIT, ""),
            Duration::from_millis(u64::from(u32::MAX))
        )
    );
}

#[test]
fn unreserve_failure_is_logged() {
    let pod = pod_small();
    let p = load("test/reserve_from_global").unwrap();
    p.set_globals(&[("flag_global", 0)]).unwrap();
    assert!(p.reserve(&pod, "good-node").unwrap().is_success());
    p.unreserve(&pod, "good-node").unwrap();
    assert!(p.logs().is_empty());

    p.set_globals(&[("flag_global", 1)]).unwrap();
    p.unreserve(&pod, "good-node").unwrap();
    assert_eq!(
        p.logs()[0].text,
        "\"failed unreserve\" err=<\n\twasm: unreserve error: wasm error: unreachable\n\twasm stack trace:\n\t\treserve_from_global.$1()\n >"
    );
}

#[test]
fn postbind_failure_is_logged() {
    let pod = pod_small();
    let p = load("test/postbind_from_global").unwrap();
    p.set_globals(&[("flag_global", 1)]).unwrap();
    p.pin_for_binding(pod.uid()).unwrap();
    p.post_bind(&pod, "good-node").unwrap();
    assert_eq!(
        p.last_error_log().unwrap().text,
        "\"failed postbind\" err=<\n\twasm: postbind error: wasm error: unreachable\n\twasm stack trace:\n\t\tpostbind_from_global.$0()\n >"
    );
    assert_eq!(p.stats().hook(Hook::PostBind), 1);
}
