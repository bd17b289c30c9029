//! The fleet's Agones **Webhook** autoscaler (`POST /scale`): answers a FleetAutoscaleReview with
//! the fleet's policy (via [`fleet_autoscaling::webhook::WebhookHandler`]) and, first, records the
//! fleet status the review carries, so pods created afterwards are enriched with it.

use fleet_autoscaling::go::time::Instant;
use fleet_autoscaling::review::decode_review;
use fleet_autoscaling::webhook::{HttpError, WebhookHandler};
use fleet_autoscaling::{FleetAutoscaleReview, FleetAutoscaler, FleetAutoscalerSpec};

use crate::enrich::Options;
use crate::store::Store;

fn error(status: u16, message: &str) -> HttpError {
    HttpError {
        status,
        body: serde_json::json!({ "error": message }).to_string(),
    }
}

/// Answers one FleetAutoscaleReview body at `now`. The status is recorded even when no policy is
/// known for the fleet (then the answer is 422 and Agones keeps the fleet's size).
///
/// # Errors
/// 400 for a body that is not a review (or has negative counts), 422 when the fleet has no policy
/// or the policy cannot be applied — each with a JSON `{"error": …}` body.
pub fn scale(
    body: &[u8],
    store: &Store,
    opts: &Options,
    now: Instant,
) -> Result<FleetAutoscaleReview, HttpError> {
    let review =
        decode_review(body).map_err(|e| error(400, &format!("bad FleetAutoscaleReview: {e}")))?;
    let Some(req) = review.request else {
        return Err(error(400, "bad FleetAutoscaleReview: request is missing"));
    };
    let s = &req.status;
    if s.replicas < 0 || s.ready_replicas < 0 || s.reserved_replicas < 0 || s.allocated_replicas < 0
    {
        return Err(error(
            400,
            "bad FleetAutoscaleReview: negative replica counts",
        ));
    }
    let namespace = if req.namespace.is_empty() {
        "default"
    } else {
        req.namespace.as_str()
    };
    store.learn_status(namespace, &req.name, req.status.clone());
    let Some(policy) = store
        .policy(namespace, &req.name)
        .or_else(|| opts.default_policy.clone())
    else {
        return Err(error(
            422,
            &format!(
                "no policy for fleet {namespace}/{}: give its FleetAutoscaler a Buffer, Counter or List policy in the annotation {}, or start fleet-context with --policy",
                req.name,
                crate::POLICY_ANNOTATION
            ),
        ));
    };
    let fas = FleetAutoscaler {
        spec: FleetAutoscalerSpec {
            fleet_name: req.name.clone(),
            policy,
            ..FleetAutoscalerSpec::default()
        },
        ..FleetAutoscaler::default()
    };
    let template = store
        .fleet(namespace, &req.name)
        .map(|v| v.template)
        .unwrap_or_default();
    let handler = WebhookHandler::new(&fas).map_err(|errors| {
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        error(422, &format!("invalid policy: {}", text.join("; ")))
    })?;
    handler.with_template(template).handle(body, now)
}

/// The system clock as the autoscaling library's instant.
pub fn now() -> Instant {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Instant::from_unix(
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        d.subsec_nanos(),
    )
}
