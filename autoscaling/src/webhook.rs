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
use crate::types::policy_type;
use crate::types::{
    Fleet, FleetAutoscaleResponse, FleetAutoscaleReview, FleetAutoscaler, FleetAutoscalerPolicy,
    FleetSpec, GameServerTemplateSpec, ObjectMeta,
};
use crate::validate::{ErrorType, FieldError, ValidateOptions, validate_with};

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

/// The policy types a [`WebhookHandler`] applies, as named in its errors.
const APPLIED: &str = "Buffer, Counter, List, Schedule or Chain";

/// What in `policy` (at `path`, e.g. `spec.policy`) a [`WebhookHandler`] can never apply, so
/// that a server refuses it at start instead of answering 422 to every review: a missing or
/// unknown `type` (Agones' `Validate` lets those through because its CRD schema refuses them
/// first), a `Webhook` or `Wasm` policy (the handler calls no other webhook and runs no Wasm), an
/// empty `chain` (Agones' controller would index it and panic), also inside a Schedule or a Chain
/// entry. Empty for every policy Agones would apply here.
///
/// ```
/// use fleet_autoscaling::webhook::unappliable;
/// let p = serde_json::from_str(r#"{"type":"Chain","chain":[]}"#).unwrap();
/// let errors = unappliable(&p, "spec.policy");
/// assert_eq!(errors[0].to_string(), "spec.policy.chain: Required value: a Chain policy needs at least one entry");
/// ```
pub fn unappliable(policy: &FleetAutoscalerPolicy, path: &str) -> Vec<FieldError> {
    let type_error = |error_type, detail: String| FieldError {
        field: format!("{path}.type"),
        error_type,
        bad_value: crate::go::quote(&policy.policy_type),
        detail,
    };
    match policy.policy_type.as_str() {
        policy_type::BUFFER | policy_type::COUNTER | policy_type::LIST => Vec::new(),
        policy_type::SCHEDULE => match policy.schedule.as_deref() {
            Some(s) => unappliable(&s.policy, &format!("{path}.schedule.policy")),
            None => Vec::new(), // Agones' Validate already requires it
        },
        policy_type::CHAIN => {
            let chain = policy.chain.as_deref().unwrap_or(&[]);
            if chain.is_empty() {
                return vec![FieldError {
                    field: format!("{path}.chain"),
                    error_type: ErrorType::Required,
                    bad_value: String::new(),
                    detail: "a Chain policy needs at least one entry".into(),
                }];
            }
            chain
                .iter()
                .enumerate()
                .flat_map(|(i, e)| unappliable(&e.policy, &format!("{path}.chain[{i}]")))
                .collect()
        }
        policy_type::WEBHOOK => vec![type_error(
            ErrorType::Invalid,
            "a Webhook policy asks another webhook, which this one cannot do: give the policy \
             that webhook applies"
                .into(),
        )],
        policy_type::WASM => vec![type_error(
            ErrorType::Invalid,
            "a Wasm policy runs a Wasm plugin, which this webhook cannot do".into(),
        )],
        "" => vec![FieldError {
            field: format!("{path}.type"),
            error_type: ErrorType::Required,
            bad_value: String::new(),
            detail: format!("the policy type is missing: one of {APPLIED}"),
        }],
        _ => vec![type_error(
            ErrorType::Invalid,
            format!("not a policy type: one of {APPLIED}"),
        )],
    }
}

/// A validated policy ready to answer reviews.
#[derive(Debug, Clone)]
pub struct WebhookHandler {
    policy: FleetAutoscalerPolicy,
    template: GameServerTemplateSpec,
    gates: FeatureGates,
}

impl WebhookHandler {
    /// Validates `fas.spec` with Agones' rules (default gates, system clock), then refuses what
    /// the handler could never apply ([`unappliable`]).
    pub fn new(fas: &FleetAutoscaler) -> Result<WebhookHandler, Vec<FieldError>> {
        WebhookHandler::with_options(fas, &ValidateOptions::default())
    }

    /// Like [`WebhookHandler::new`] with explicit gates/clock.
    pub fn with_options(
        fas: &FleetAutoscaler,
        opts: &ValidateOptions,
    ) -> Result<WebhookHandler, Vec<FieldError>> {
        let mut errors = validate_with(&fas.spec, opts);
        if errors.is_empty() {
            errors = unappliable(&fas.spec.policy, "spec.policy");
        }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn refused(policy: &str) -> Vec<String> {
        let fas = FleetAutoscaler {
            spec: crate::types::FleetAutoscalerSpec {
                fleet_name: "f".into(),
                policy: serde_json::from_str(policy).unwrap(),
                ..crate::types::FleetAutoscalerSpec::default()
            },
            ..FleetAutoscaler::default()
        };
        match WebhookHandler::new(&fas) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn refuses_policies_it_can_never_apply() {
        assert_eq!(
            refused(r#"{"type":"Nope"}"#),
            [
                "spec.policy.type: Invalid value: \"Nope\": not a policy type: one of Buffer, Counter, List, Schedule or Chain"
            ]
        );
        assert_eq!(
            refused(r#"{}"#),
            [
                "spec.policy.type: Required value: the policy type is missing: one of Buffer, Counter, List, Schedule or Chain"
            ]
        );
        assert_eq!(
            refused(r#"{"type":"Webhook","webhook":{"url":"https://x/scale"}}"#),
            [
                "spec.policy.type: Invalid value: \"Webhook\": a Webhook policy asks another webhook, which this one cannot do: give the policy that webhook applies"
            ]
        );
        assert_eq!(
            refused(r#"{"type":"Chain","chain":[]}"#),
            ["spec.policy.chain: Required value: a Chain policy needs at least one entry"]
        );
        // Nested: a chain entry and a schedule's policy.
        assert_eq!(
            refused(
                r#"{"type":"Chain","chain":[
                    {"id":"a","type":"Buffer","buffer":{"bufferSize":1,"maxReplicas":5}},
                    {"id":"b","type":"Webhook","webhook":{"url":"https://x/scale"}},
                    {"id":"c","type":"Schedule","schedule":{"policy":{"type":"Chain","chain":[]}}}]}"#
            ),
            [
                "spec.policy.chain[1].type: Invalid value: \"Webhook\": a Webhook policy asks another webhook, which this one cannot do: give the policy that webhook applies",
                "spec.policy.chain[2].schedule.policy.chain: Required value: a Chain policy needs at least one entry"
            ]
        );
        // Agones' own rules come first (and alone).
        assert_eq!(
            refused(r#"{"type":"Wasm","wasm":{"from":{"url":{"url":"https://x/p.wasm"}}}}"#),
            ["spec.policy.wasm: Forbidden: feature WasmAutoscaler must be enabled"]
        );
        assert_eq!(
            refused(r#"{"type":"Buffer","buffer":{"bufferSize":5,"maxReplicas":100}}"#),
            Vec::<String>::new()
        );
        assert_eq!(
            refused(
                r#"{"type":"Chain","chain":[{"id":"a","type":"Buffer","buffer":{"bufferSize":1,"maxReplicas":5}}]}"#
            ),
            Vec::<String>::new()
        );
    }
}
