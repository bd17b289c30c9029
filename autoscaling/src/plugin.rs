//! The logic of Agones' example Wasm autoscaler (`examples/autoscaler-wasm`) and of this project's
//! smoothed variant, as pure functions: the `autoscaler` Extism plugin wraps them, and the
//! conformance evaluator uses them to stand in for upstream's `plugin.wasm`.

use crate::go::{atoi, atoi_error_text};
use crate::kubeai::{CappedSmoothRatio, ScalingAlgorithm, ScalingInput};
use crate::types::{FleetAutoscaleResponse, FleetAutoscaleReview};

/// The example's default buffer.
pub const DEFAULT_BUFFER_SIZE: i32 = 5;

/// `buffer_size` as the example parses it (`strconv.Atoi`, then `int32(i)`): missing → 5,
/// negatives accepted. Error text: `Failed to convert buffer_size to int32: strconv.Atoi: …`.
pub fn parse_buffer_size(value: Option<&str>) -> Result<i32, String> {
    match value {
        None => Ok(DEFAULT_BUFFER_SIZE),
        Some(s) => atoi(s).map(|i| i as i32).map_err(|e| {
            format!(
                "Failed to convert buffer_size to int32: {}",
                atoi_error_text(s, &e)
            )
        }),
    }
}

/// The example's `scale`: `expected = buffer + allocated`; if it differs from `replicas`,
/// `scale = true, replicas = expected`, else `scale = false` (replicas untouched, 0 for a fresh
/// response). `uid` is copied. Go's int32 arithmetic wraps; so does this.
pub fn example_scale(
    mut review: FleetAutoscaleReview,
    buffer_size: i32,
) -> Result<FleetAutoscaleReview, String> {
    let Some(req) = &review.request else {
        return Err("FleetAutoscaleReview Request is nil".into());
    };
    let expected = buffer_size.wrapping_add(req.status.allocated_replicas);
    let differs = expected != req.status.replicas;
    let uid = req.uid.clone();
    let resp = review
        .response
        .get_or_insert_with(FleetAutoscaleResponse::default);
    resp.uid = uid;
    resp.scale = false;
    if differs {
        resp.scale = true;
        resp.replicas = expected;
    }
    Ok(review)
}

/// The example's `scaleNone`: `uid` copied, `replicas = status.replicas`, `scale` untouched.
pub fn example_scale_none(
    mut review: FleetAutoscaleReview,
) -> Result<FleetAutoscaleReview, String> {
    let Some(req) = &review.request else {
        return Err("FleetAutoscaleReview Request is nil".into());
    };
    let (uid, replicas) = (req.uid.clone(), req.status.replicas);
    let resp = review
        .response
        .get_or_insert_with(FleetAutoscaleResponse::default);
    resp.uid = uid;
    resp.replicas = replicas;
    Ok(review)
}

/// Bounds for [`smoothed_scale`].
#[derive(Debug, Clone, Copy)]
pub struct SmoothedBounds {
    /// Lower bound on replicas.
    pub min_replicas: i32,
    /// Upper bound on replicas.
    pub max_replicas: i32,
}

/// CappedSmoothRatio on the buffer ratio `(allocated + buffer) / replicas`: the desired size moves
/// toward the buffer target by at most +50 % per call, smoothed over calls (state in `algo`). With
/// 0 replicas the buffer target is used directly (a ratio needs a size to scale).
pub fn smoothed_scale(
    algo: &mut CappedSmoothRatio,
    mut review: FleetAutoscaleReview,
    buffer_size: i32,
    bounds: SmoothedBounds,
) -> Result<FleetAutoscaleReview, String> {
    let Some(req) = &review.request else {
        return Err("FleetAutoscaleReview Request is nil".into());
    };
    let status = &req.status;
    let target = i64::from(status.allocated_replicas) + i64::from(buffer_size);
    let desired = if status.replicas == 0 {
        target.clamp(
            i64::from(bounds.min_replicas),
            i64::from(bounds.max_replicas),
        ) as i32
    } else {
        let input = ScalingInput {
            current_replicas: status.replicas,
            min_replicas: bounds.min_replicas,
            max_replicas: bounds.max_replicas,
            metric_ratios: vec![target as f64 / f64::from(status.replicas)],
            tolerance: algo.tolerance,
            policy_name: req.name.clone(),
            policy_namespace: req.namespace.clone(),
        };
        algo.compute_scale(&input)?.desired_replicas
    };
    let uid = req.uid.clone();
    let scale = desired != status.replicas;
    review.response = Some(FleetAutoscaleResponse {
        uid,
        scale,
        replicas: desired,
    });
    Ok(review)
}
