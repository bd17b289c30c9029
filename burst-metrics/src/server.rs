//! The HTTP API (axum): the seed service's routes.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;

use crate::source::Source;
use crate::{Kind, Mapping};

/// What the handlers share.
pub struct AppState {
    /// Where the objects come from.
    pub source: Source,
    /// How HPAs map to Services.
    pub mapping: Mapping,
}

/// The routes: `/burstmetrics/{kinds}`, `/burstmetrics/{kinds}/{namespace}/{name}` (`/healthz` is
/// the server's, `http-server`).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/burstmetrics/{kinds}", get(bulk))
        .route("/burstmetrics/{kinds}/", get(bulk))
        .route("/burstmetrics/{kinds}/{namespace}/{name}", get(one))
        .with_state(state)
}

/// An error answer: small to return (a `Response` is not), turned into one by the caller.
type ErrorAnswer = Box<Response>;

fn maps(state: &AppState) -> Result<crate::Maps, ErrorAnswer> {
    state.source.maps(&state.mapping).map_err(|e| {
        eprintln!("burst-metrics: {e:#}");
        Box::new((StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}\n")).into_response())
    })
}

fn kind(kinds: &str) -> Result<Kind, ErrorAnswer> {
    Kind::from_plural(kinds).ok_or_else(|| {
        Box::new(
            (
                StatusCode::NOT_FOUND,
                "expected /burstmetrics/{services|deployments|hpas}\n",
            )
                .into_response(),
        )
    })
}

async fn bulk(State(state): State<Arc<AppState>>, Path(kinds): Path<String>) -> Response {
    let kind = match kind(&kinds) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    match maps(&state) {
        // As the seed: 204 when there is no HPA at all.
        Ok(m) if m.hpas.is_empty() => StatusCode::NO_CONTENT.into_response(),
        Ok(m) => Json(m.get(kind)).into_response(),
        Err(r) => *r,
    }
}

async fn one(
    State(state): State<Arc<AppState>>,
    Path((kinds, namespace, name)): Path<(String, String, String)>,
) -> Response {
    let kind = match kind(&kinds) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    match maps(&state) {
        Ok(m) => match m.get(kind).get(&format!("{namespace}/{name}")) {
            Some(v) => (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                v.clone(),
            )
                .into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
        Err(r) => *r,
    }
}
