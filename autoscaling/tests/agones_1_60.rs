//! What changed in Agones' autoscaler between v1.57 (`b19d5fe`) and v1.60.0 (`676cc64`), through
//! the public API: deletable-only Counter/List scale-down (#4625), a webhook/Wasm answer without
//! `response` (#4596) and `FleetStatus.allocations` (#4513).
#![allow(clippy::unwrap_used)] // helpers of tests may panic on bad fixtures

use fleet_autoscaling::go::time::Instant;
use fleet_autoscaling::policy::{
    Context, Exchange, HttpReply, WasmFailure, deletable_deletion_order, deletion_order,
    request_review,
};
use fleet_autoscaling::review::decode_review;
use fleet_autoscaling::webhook::WebhookHandler;
use fleet_autoscaling::{
    ApplyError, FeatureGates, Fleet, FleetAutoscaleReview, FleetAutoscalerPolicy, GameServer,
    NodeCount, WasmPolicy, apply_with,
};
use serde_json::{Value, json};

fn game_server(name: &str, state: &str, node: &str, deleting: bool) -> GameServer {
    let mut gs = json!({
        "name": name, "namespace": "default", "labels": {"agones.dev/fleet": "fleet-1"},
        "status": {"state": state, "nodeName": node,
                   "counters": {"rooms": {"count": 0, "capacity": 10}}},
    });
    if deleting {
        gs["deletionTimestamp"] = json!("2026-06-01T00:00:00Z");
    }
    serde_json::from_value(gs).unwrap()
}

#[test]
fn is_deletable_follows_agones() {
    for (state, deleting, deletable) in [
        ("Ready", false, true),
        ("Starting", false, true),
        ("Unhealthy", false, true),
        ("", false, true),
        ("Allocated", false, false),
        ("Reserved", false, false),
        ("Allocated", true, true),
        ("Reserved", true, true),
    ] {
        let gs = game_server("gs", state, "n1", deleting);
        assert_eq!(gs.is_deletable(), deletable, "{state} deleting={deleting}");
    }
}

#[test]
fn scale_down_order_skips_undeletable() {
    let fleet: Fleet =
        serde_json::from_value(json!({"name": "fleet-1", "namespace": "default"})).unwrap();
    let gss = vec![
        game_server("alloc", "Allocated", "n2", false),
        game_server("ready-b", "Ready", "n1", false),
        game_server("reserved", "Reserved", "n2", false),
        game_server("ready-a", "Ready", "n1", false),
        game_server("alloc-deleting", "Allocated", "n2", true),
    ];
    let nodes = [
        (
            "n1".to_string(),
            NodeCount {
                ready: 2,
                allocated: 0,
            },
        ),
        (
            "n2".to_string(),
            NodeCount {
                ready: 0,
                allocated: 1,
            },
        ),
    ]
    .into_iter()
    .collect();
    let names = |v: Vec<&GameServer>| -> Vec<String> {
        v.iter().map(|g| g.metadata.name.clone()).collect()
    };
    // Packed: the emptier node n2 first, names within a node.
    assert_eq!(
        names(deletion_order(
            &fleet,
            &gss,
            &nodes,
            FeatureGates::default()
        )),
        ["alloc", "alloc-deleting", "reserved", "ready-a", "ready-b"]
    );
    assert_eq!(
        names(deletable_deletion_order(
            &fleet,
            &gss,
            &nodes,
            FeatureGates::default()
        )),
        ["alloc-deleting", "ready-a", "ready-b"]
    );
}

/// Answers every webhook POST and Wasm call with fixed bytes.
struct Fixed(&'static [u8]);

impl Exchange for Fixed {
    fn webhook(&mut self, _: &str, _: &FleetAutoscaleReview) -> Result<HttpReply, String> {
        Ok(HttpReply {
            status: 200,
            body: self.0.to_vec(),
        })
    }

    fn wasm(&mut self, _: &str, _: &WasmPolicy, _: &[u8]) -> Result<Vec<u8>, WasmFailure> {
        Ok(self.0.to_vec())
    }
}

fn apply_answer(policy: Value, answer: &'static [u8]) -> Result<(i32, bool), ApplyError> {
    let policy: FleetAutoscalerPolicy = serde_json::from_value(policy).unwrap();
    let fleet: Fleet =
        serde_json::from_value(json!({"name": "fleet-1", "status": {"replicas": 5}})).unwrap();
    let mut exchange = Fixed(answer);
    let mut ctx = Context::at(Instant::ZERO);
    ctx.gates.wasm_autoscaler = true;
    ctx.exchange = Some(&mut exchange);
    apply_with(&policy, &fleet, &[], &mut ctx)
}

#[test]
fn answer_without_response_is_agones_error() {
    let webhook = json!({"type": "Webhook", "webhook": {"url": "http://a.default.svc:8000/scale"}});
    let wasm = json!({"type": "Wasm", "wasm": {"function": "scale",
                      "from": {"url": {"url": "http://m.default.svc/plugin.wasm"}}}});
    for answer in [
        &b"{}"[..],
        b"{\"response\":null}",
        b"null",
        b"{\"request\":{}}",
    ] {
        let e = apply_answer(webhook.clone(), answer).unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.replicas, e.limited),
            (
                "webhook response missing required 'response' field",
                0,
                false
            )
        );
        let e = apply_answer(wasm.clone(), answer).unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.replicas, e.limited),
            ("wasm response missing required 'response' field", 0, false)
        );
    }
    // With a response, unchanged: scale → its replicas, else the status replicas.
    let scale: &'static [u8] = br#"{"response":{"scale":true,"replicas":9}}"#;
    assert_eq!(apply_answer(webhook.clone(), scale), Ok((9, false)));
    assert_eq!(apply_answer(wasm, scale), Ok((9, false)));
    let keep: &'static [u8] = br#"{"response":{"scale":false,"replicas":9}}"#;
    assert_eq!(apply_answer(webhook, keep), Ok((5, false)));
}

#[test]
fn allocations_in_review() {
    let fleet: Fleet = serde_json::from_value(json!({"name": "fleet-1",
        "status": {"replicas": 5, "allocatedReplicas": 2, "allocations": 9_007_199_254_740_993_i64}}))
    .unwrap();
    assert_eq!(fleet.status.allocations, 9_007_199_254_740_993);
    let review =
        serde_json::to_value(request_review(&fleet, "u", FeatureGates::default())).unwrap();
    assert_eq!(
        review["request"]["status"],
        json!({"replicas": 5, "readyReplicas": 0, "reservedReplicas": 0, "allocatedReplicas": 2,
               "allocations": 9_007_199_254_740_993_i64})
    );
    // Go's decoder: field names match case-insensitively; absent is 0.
    let r = decode_review(br#"{"request":{"status":{"Allocations":42}}}"#).unwrap();
    assert_eq!(r.request.unwrap().status.allocations, 42);
    let r = decode_review(br#"{"request":{"status":{}}}"#).unwrap();
    assert_eq!(r.request.unwrap().status.allocations, 0);
    assert!(
        decode_review(br#"{"request":{"status":{"allocations":"x"}}}"#).is_err(),
        "a string is not an int64"
    );
}

#[test]
fn webhook_echoes_allocations() {
    let fas = fleet_autoscaling::load::load_fleet_autoscaler(
        r#"{"spec":{"fleetName":"f","policy":{"type":"Buffer","buffer":{"bufferSize":2,"maxReplicas":10}}}}"#,
    )
    .unwrap();
    let handler = WebhookHandler::new(&fas).unwrap();
    let out = handler
        .handle(
            br#"{"request":{"uid":"u","name":"f","status":{"replicas":3,"allocatedReplicas":3,"allocations":17}}}"#,
            Instant::ZERO,
        )
        .unwrap();
    let out = serde_json::to_value(out).unwrap();
    assert_eq!(out["request"]["status"]["allocations"], 17);
    assert_eq!(
        out["response"],
        json!({"uid": "u", "scale": true, "replicas": 5})
    );
}
