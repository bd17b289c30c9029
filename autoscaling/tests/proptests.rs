//! Nothing panics, whatever the input: parsers on arbitrary text, `apply` on arbitrary numbers
//! (near the i32/i64 limits, negative, empty maps), the evaluator on vectors with mutated numbers.

use std::collections::BTreeMap;

use fleet_autoscaling::burst::LoadFeedback;
use fleet_autoscaling::go::time::Instant;
use fleet_autoscaling::kubeai::{CappedSmoothRatio, MaxRatio, ScalingAlgorithm, ScalingInput};
use fleet_autoscaling::policy::{Context, apply_with};
use fleet_autoscaling::types::*;
use fleet_autoscaling::{IntOrString, cron, go, review};
use proptest::prelude::*;

fn int_or_string() -> impl Strategy<Value = IntOrString> {
    prop_oneof![
        any::<i32>().prop_map(IntOrString::Int),
        prop_oneof![Just(i32::MAX), Just(i32::MIN), Just(0), Just(-1), Just(1)]
            .prop_map(IntOrString::Int),
        "-?[0-9]{0,22}%{0,2}".prop_map(IntOrString::String),
        ".{0,8}".prop_map(IntOrString::String),
    ]
}

fn edge_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        Just(i64::MAX),
        Just(i64::MIN),
        Just(0),
        -20i64..200
    ]
}

fn edge_i32() -> impl Strategy<Value = i32> {
    prop_oneof![
        any::<i32>(),
        Just(i32::MAX),
        Just(i32::MIN),
        Just(0),
        -5i32..50
    ]
}

fn agg() -> impl Strategy<Value = AggregatedStatus> {
    (edge_i64(), edge_i64(), edge_i64(), edge_i64()).prop_map(|(a, b, c, d)| AggregatedStatus {
        allocated_count: a,
        allocated_capacity: b,
        count: c,
        capacity: d,
    })
}

fn game_server() -> impl Strategy<Value = GameServer> {
    (
        "gs[0-9]",
        prop_oneof![Just("n1"), Just("n2"), Just("gone")],
        prop_oneof![Just("Ready"), Just("Allocated"), Just("Starting"), Just("")],
        proptest::option::of((edge_i64(), edge_i64())),
        -1000i64..1000,
    )
        .prop_map(|(name, node, state, counter, created)| {
            let mut gs = GameServer::default();
            gs.metadata.name = name;
            gs.metadata.creation_timestamp = Time(Instant::from_unix(created, 0));
            gs.status.node_name = node.to_string();
            gs.status.state = state.to_string();
            if let Some((count, capacity)) = counter {
                gs.status
                    .counters
                    .insert("rooms".into(), CounterStatus { count, capacity });
                gs.status.lists.insert(
                    "rooms".into(),
                    ListStatus {
                        capacity,
                        values: vec!["x".into(); (count.rem_euclid(4)) as usize],
                    },
                );
            }
            gs
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn int_or_string_parsers_total(v in int_or_string()) {
        let _ = v.lenient_value(true);
        let _ = v.lenient_value(false);
        let _ = v.strict_value();
        let _ = v.int_value();
    }

    #[test]
    fn text_parsers_total(s in ".{0,64}") {
        let _ = s.parse::<LoadFeedback>();
        let _ = cron::parse_standard(&s);
        let _ = go::url::parse(&s);
        let _ = go::url::parse_request_uri(&s);
        let _ = go::time::parse_rfc3339(&s);
        let _ = go::parse_duration(&s);
        let _ = go::atoi(&s);
        let _ = review::decode_review(s.as_bytes());
        let _ = fleet_autoscaling::load::load_fleet_autoscaler(&s);
    }

    #[test]
    fn header_roundtrip(service in proptest::option::of("[a-z]{1,8}/[a-z]{1,8}"), c in 0i64..1_000_000, t in 0i64..1_000_000, m in 0i64..1_000_000) {
        let f = LoadFeedback { service, current_load: c, target_load: t, max_load: m };
        let text = f.to_string();
        prop_assert_eq!(text.parse::<LoadFeedback>().unwrap(), f);
    }

    #[test]
    fn bytes_never_panic_decoders(b in proptest::collection::vec(any::<u8>(), 0..128)) {
        let _ = review::decode_review(&b);
        let fas = FleetAutoscaler {
            spec: FleetAutoscalerSpec {
                policy: serde_json::from_str(r#"{"type":"Buffer","buffer":{"bufferSize":5,"maxReplicas":100}}"#).unwrap(),
                ..FleetAutoscalerSpec::default()
            },
            ..FleetAutoscaler::default()
        };
        let h = fleet_autoscaling::webhook::WebhookHandler::new(&fas).unwrap();
        let _ = h.handle(&b, Instant::ZERO);
    }

    #[test]
    fn buffer_apply_total(size in int_or_string(), min in edge_i32(), max in edge_i32(), alloc in edge_i32(), replicas in edge_i32()) {
        let policy = FleetAutoscalerPolicy {
            policy_type: "Buffer".into(),
            buffer: Some(BufferPolicy { max_replicas: max, min_replicas: min, buffer_size: size }),
            ..FleetAutoscalerPolicy::default()
        };
        let mut fleet = Fleet::default();
        fleet.status.allocated_replicas = alloc;
        fleet.status.replicas = replicas;
        if let Ok((r, limited)) = fleet_autoscaling::apply(&policy, &fleet, &[], Instant::ZERO) {
            prop_assert!(r <= max || !limited || min > max);
            if !limited { prop_assert!(r >= min && r <= max); }
        }
    }

    #[test]
    fn counter_list_apply_total(
        is_counter in any::<bool>(),
        size in int_or_string(),
        min in edge_i64(),
        max in edge_i64(),
        template in (edge_i64(), edge_i64()),
        aggregate in agg(),
        replicas in edge_i32(),
        distributed in any::<bool>(),
        descending in any::<bool>(),
        servers in proptest::collection::vec(game_server(), 0..14),
        with_nodes in any::<bool>(),
    ) {
        let c = CounterPolicy { key: "rooms".into(), max_capacity: max, min_capacity: min, buffer_size: size };
        let mut policy = FleetAutoscalerPolicy { policy_type: if is_counter { "Counter" } else { "List" }.into(), ..FleetAutoscalerPolicy::default() };
        if is_counter { policy.counter = Some(c) } else { policy.list = Some(c) }
        let mut fleet = Fleet::default();
        fleet.spec.scheduling = if distributed { "Distributed" } else { "Packed" }.into();
        fleet.spec.priorities = vec![Priority { priority_type: if is_counter { "Counter" } else { "List" }.into(), key: "rooms".into(), order: if descending { "Descending" } else { "Ascending" }.into() }];
        fleet.spec.template.spec.counters.insert("rooms".into(), CounterStatus { count: template.0, capacity: template.1 });
        fleet.spec.template.spec.lists.insert("rooms".into(), ListStatus { capacity: template.1, values: vec![String::new(); (template.0.rem_euclid(5)) as usize] });
        fleet.status.counters.insert("rooms".into(), aggregate.clone());
        fleet.status.lists.insert("rooms".into(), aggregate);
        fleet.status.replicas = replicas;
        let mut ctx = Context::at(Instant::ZERO);
        if with_nodes {
            ctx.node_counts = BTreeMap::from([("n1".to_string(), NodeCount { ready: 1, allocated: 2 }), ("n2".to_string(), NodeCount { ready: 3, allocated: 0 })]);
        }
        let _ = apply_with(&policy, &fleet, &servers, &mut ctx);
    }

    #[test]
    fn schedule_apply_total(
        now in -62_135_596_800i64..253_402_300_799,
        start in proptest::option::of(0i64..4_102_444_800),
        minute in prop_oneof![Just("*"), Just("0"), Just("*/7"), Just("59")],
        hour in prop_oneof![Just("*"), Just("2"), Just("1-3")],
        dom in prop_oneof![Just("*"), Just("31"), Just("30"), Just("1,15")],
        month in prop_oneof![Just("*"), Just("2"), Just("FEB-mar")],
        dow in prop_oneof![Just("*"), Just("0"), Just("mon-fri")],
        tz in prop_oneof![Just(""), Just("UTC"), Just("America/New_York"), Just("Europe/London"), Just("Australia/Lord_Howe"), Just("America/Sao_Paulo"), Just("Nope/Nope")],
        duration in prop_oneof![Just(""), Just("1h"), Just("90s"), Just("bad"), Just("-5m")],
    ) {
        let mut s = SchedulePolicy::default();
        if let Some(st) = start { s.between.start = Time(Instant::from_unix(st, 0)); }
        s.active_period.timezone = tz.to_string();
        s.active_period.start_cron = format!("{minute} {hour} {dom} {month} {dow}");
        s.active_period.duration = duration.to_string();
        s.policy = serde_json::from_str(r#"{"type":"Buffer","buffer":{"bufferSize":1,"minReplicas":3,"maxReplicas":10}}"#).unwrap();
        let policy = FleetAutoscalerPolicy { policy_type: "Schedule".into(), schedule: Some(Box::new(s)), ..FleetAutoscalerPolicy::default() };
        let _ = fleet_autoscaling::apply(&policy, &Fleet::default(), &[], Instant::from_unix(now, 0));
    }

    #[test]
    fn kubeai_total(cur in edge_i32(), min in edge_i32(), max in edge_i32(), ratios in proptest::collection::vec(prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), 0.0f64..4.0], 0..4), tol in prop_oneof![Just(0.0), Just(0.1), any::<f64>()]) {
        let input = ScalingInput { current_replicas: cur, min_replicas: min, max_replicas: max, metric_ratios: ratios, tolerance: tol, policy_name: "p".into(), policy_namespace: String::new() };
        let _ = MaxRatio { tolerance: 0.1 }.compute_scale(&input);
        let mut smooth = CappedSmoothRatio::default();
        let _ = smooth.compute_scale(&input);
        let _ = smooth.compute_scale(&input);
        let mut sym = CappedSmoothRatio::symmetric();
        let _ = sym.compute_scale(&input);
    }

    #[test]
    fn evaluator_total_on_mutated_vectors(seed in any::<u64>(), pick in 0usize..133, big in prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(-1i64), Just(2_147_483_648i64), Just(0)]) {
        let all: serde_json::Value = serde_json::from_str(include_str!("data/vectors.json")).unwrap();
        let mut v = all[pick % all.as_array().unwrap().len()].clone();
        let mut n = seed;
        mutate(&mut v, &mut n, big);
        let _ = fleet_autoscaling::conformance::evaluate(&v);
    }
}

fn mutate(v: &mut serde_json::Value, n: &mut u64, big: i64) {
    match v {
        serde_json::Value::Number(_) => {
            *n = n
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if *n >> 62 == 0 {
                *v = serde_json::json!(big);
            }
        }
        serde_json::Value::Object(m) => m.values_mut().for_each(|x| mutate(x, n, big)),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| mutate(x, n, big)),
        _ => {}
    }
}

#[test]
fn smoothing_state_is_bounded() {
    let mut algo = CappedSmoothRatio::default();
    for i in 0..3000 {
        let input = ScalingInput {
            current_replicas: 4,
            min_replicas: 1,
            max_replicas: 10,
            metric_ratios: vec![2.0],
            tolerance: 0.1,
            policy_name: format!("p{i}"),
            policy_namespace: "ns".into(),
        };
        algo.compute_scale(&input).unwrap();
    }
    assert_eq!(algo.state.len(), 1024);
}

#[test]
fn symmetric_variant_scales_down() {
    let mut algo = CappedSmoothRatio::symmetric();
    let input = ScalingInput {
        current_replicas: 8,
        min_replicas: 1,
        max_replicas: 10,
        metric_ratios: vec![0.5],
        tolerance: 0.1,
        policy_name: "p".into(),
        policy_namespace: "ns".into(),
    };
    let r = algo.compute_scale(&input).unwrap();
    assert_eq!(r.desired_replicas, 6); // capped at −25 %
    let mut upstream = CappedSmoothRatio::default();
    assert_eq!(
        upstream.compute_scale(&input).unwrap().reason,
        "within tolerance after smoothing"
    );
}
