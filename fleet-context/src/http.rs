//! The HTTP face: `POST /mutate`, `POST /scale` and `GET /healthz` as an [`axum::Router`].

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::enrich::Options;
use crate::store::Store;
use crate::{admission, scale};

/// Largest request body accepted (the API server sends objects of at most ~3 MiB).
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The fleets.
    pub store: Arc<Store>,
    /// Enrichment settings.
    pub options: Arc<Options>,
}

impl AppState {
    /// A state over `store` with `options`.
    pub fn new(store: Arc<Store>, options: Options) -> AppState {
        AppState {
            store,
            options: Arc::new(options),
        }
    }
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    json(status, serde_json::json!({ "error": message }).to_string())
}

async fn mutate(State(state): State<AppState>, body: Bytes) -> Response {
    match admission::review(&body, &state.store, &state.options) {
        Ok((answer, outcome)) => {
            match &outcome {
                admission::Outcome::Patched(e) => {
                    tracing::debug!(fleet = %e.fleet, "pod enriched");
                }
                admission::Outcome::Unchanged(why) => {
                    tracing::debug!(reason = %why, "pod unchanged");
                }
                admission::Outcome::NotPodCreate => {}
            }
            json(StatusCode::OK, answer.to_string())
        }
        Err(e) => {
            tracing::warn!(error = %e, "rejected admission request");
            error(StatusCode::BAD_REQUEST, &e.to_string())
        }
    }
}

async fn scale_review(State(state): State<AppState>, body: Bytes) -> Response {
    match scale::scale(&body, &state.store, &state.options, scale::now()) {
        Ok(review) => match serde_json::to_string(&review) {
            Ok(text) => {
                if let (Some(req), Some(resp)) = (&review.request, &review.response) {
                    tracing::info!(fleet = %format!("{}/{}", req.namespace, req.name),
                        replicas = req.status.replicas, allocated = req.status.allocated_replicas,
                        desired = resp.replicas, scale = resp.scale, "scale review");
                }
                json(StatusCode::OK, text)
            }
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        Err(e) => {
            tracing::warn!(status = e.status, body = %e.body, "scale review failed");
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
            json(status, e.body)
        }
    }
}

async fn healthz() -> &'static str {
    "ok"
}

/// `POST /mutate`: the mutating admission webhook.
pub fn mutate_router(state: AppState) -> Router {
    Router::new()
        .route("/mutate", post(mutate))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// `POST /scale`: the Agones Webhook autoscaler (also usable alone, e.g. by a simulator).
pub fn scale_router(state: AppState) -> Router {
    Router::new()
        .route("/scale", post(scale_review))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Every endpoint: `POST /mutate`, `POST /scale`, `GET /healthz`.
pub fn router(state: AppState) -> Router {
    mutate_router(state.clone())
        .merge(scale_router(state))
        .route("/healthz", get(healthz))
}
