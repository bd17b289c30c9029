//! A webhook endpoint as a pure function: review bytes in, review (with `response`) out, or an HTTP
//! status plus JSON error body. The HTTP loop lives elsewhere (`simulator autoscale webhook`).
//!
//! A review carries only the fleet's metadata and **status**: a Counter/List policy also needs the
//! fleet's template Counter/List (scale-up) — give it with [`WebhookHandler::with_template`] — and
//! it never sees GameServers, so its scale-down walk has nothing to remove (it keeps the current
//! replicas, floor 1).
//!
//! ```
//! use fleet_autoscaling::webhook::WebhookHandler;
//! let fas = fleet_autoscaling::load::load_fleet_autoscaler(
//!     "spec:\n  fleetName: f\n  policy:\n    type: Buffer\n    buffer: {bufferSize: 5, maxReplicas: 100}\n").unwrap();
//! let h = WebhookHandler::new(&fas).unwrap();
//! let now = fleet_autoscaling::go::time::Instant::from_unix(0, 0);
//! let out = h.handle(br#"{"request":{"uid":"u","status":{"replicas":5,"allocatedReplicas":2}}}"#, now).unwrap();
//! let resp = out.response.unwrap();
//! assert_eq!((resp.uid.as_str(), resp.scale, resp.replicas), ("u", true, 7));
//! ```

use crate::go::time::Instant;
use crate::policy::{ApplyError, Context, FeatureGates, apply_with};
use crate::review::decode_review;
use crate::types::{
    Fleet, FleetAutoscaleResponse, FleetAutoscaleReview, FleetAutoscaler, FleetAutoscalerPolicy,
    FleetSpec, GameServerTemplateSpec, ObjectMeta,
};
use crate::validate::{FieldError, ValidateOptions, validate_with};

/// An HTTP error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// Status code (400 bad body, 422 policy could not be applied).
    pub status: u16,
    /// JSON body `{"error": "..."}`.
    pub body: String,
}

impl HttpError {
    fn new(status: u16, message: &str) -> HttpError {
        HttpError {
            status,
            body: serde_json::json!({ "error": message }).to_string(),
        }
    }
}

/// The fleet a review describes: its metadata and status, with `template` as its GameServer
/// template (a review carries no template).
pub fn fleet_from_request(
    req: &crate::types::FleetAutoscaleRequest,
    template: &GameServerTemplateSpec,
) -> Fleet {
    Fleet {
        metadata: ObjectMeta {
            name: req.name.clone(),
            namespace: req.namespace.clone(),
            labels: req.labels.clone(),
            annotations: req.annotations.clone(),
            ..ObjectMeta::default()
        },
        spec: FleetSpec {
            replicas: req.status.replicas,
            template: crate::types::GameServerTemplate {
                spec: template.clone(),
            },
            ..FleetSpec::default()
        },
        status: req.status.clone(),
    }
}

/// Fills `review.response` with the result of `decide` on the fleet the review describes: `scale`
/// is true when the result differs from the status replicas; an inactive schedule answers
/// `scale: false`.
pub fn respond_with(
    mut review: FleetAutoscaleReview,
    template: &GameServerTemplateSpec,
    decide: impl FnOnce(&Fleet) -> crate::policy::ApplyResult,
) -> Result<FleetAutoscaleReview, ApplyError> {
    let Some(req) = review.request.as_ref() else {
        return Err(ApplyError::new("FleetAutoscaleReview Request is nil"));
    };
    let fleet = fleet_from_request(req, template);
    let replicas = match decide(&fleet) {
        Ok((r, _)) => r,
        Err(e) if e.inactive_schedule => fleet.status.replicas,
        Err(e) => return Err(e),
    };
    review.response = Some(FleetAutoscaleResponse {
        uid: req.uid.clone(),
        scale: replicas != fleet.status.replicas,
        replicas,
    });
    Ok(review)
}

/// [`respond_with`] applying `policy` (any type) in `ctx`.
pub fn respond(
    policy: &FleetAutoscalerPolicy,
    template: &GameServerTemplateSpec,
    review: FleetAutoscaleReview,
    ctx: &mut Context<'_>,
) -> Result<FleetAutoscaleReview, ApplyError> {
    respond_with(review, template, |fleet| {
        apply_with(policy, fleet, &[], ctx)
    })
}

/// A validated policy ready to answer reviews.
#[derive(Debug, Clone)]
pub struct WebhookHandler {
    policy: FleetAutoscalerPolicy,
    template: GameServerTemplateSpec,
    gates: FeatureGates,
}

impl WebhookHandler {
    /// Validates `fas.spec` with Agones' rules (default gates, system clock).
    pub fn new(fas: &FleetAutoscaler) -> Result<WebhookHandler, Vec<FieldError>> {
        WebhookHandler::with_options(fas, &ValidateOptions::default())
    }

    /// Like [`WebhookHandler::new`] with explicit gates/clock.
    pub fn with_options(
        fas: &FleetAutoscaler,
        opts: &ValidateOptions,
    ) -> Result<WebhookHandler, Vec<FieldError>> {
        let errors = validate_with(&fas.spec, opts);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(WebhookHandler {
            policy: fas.spec.policy.clone(),
            template: GameServerTemplateSpec::default(),
            gates: opts.gates,
        })
    }

    /// The fleet template's Counters/Lists, for Counter/List policies.
    pub fn with_template(mut self, template: GameServerTemplateSpec) -> WebhookHandler {
        self.template = template;
        self
    }

    /// Answers one request body at `now`.
    pub fn handle(&self, body: &[u8], now: Instant) -> Result<FleetAutoscaleReview, HttpError> {
        let review = decode_review(body)
            .map_err(|e| HttpError::new(400, &format!("bad FleetAutoscaleReview: {e}")))?;
        let Some(req) = &review.request else {
            return Err(HttpError::new(
                400,
                "bad FleetAutoscaleReview: request is missing",
            ));
        };
        let s = &req.status;
        if s.replicas < 0
            || s.ready_replicas < 0
            || s.reserved_replicas < 0
            || s.allocated_replicas < 0
        {
            return Err(HttpError::new(
                400,
                "bad FleetAutoscaleReview: negative replica counts",
            ));
        }
        let mut ctx = Context::at(now);
        ctx.gates = self.gates;
        respond(&self.policy, &self.template, review, &mut ctx)
            .map_err(|e| HttpError::new(422, &e.message))
    }
}
