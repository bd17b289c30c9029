//! The HTTP API over the fixture files: the routes, bodies and statuses the filter relies on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use burst_metrics::Mapping;
use burst_metrics::server::{AppState, router};
use burst_metrics::source::Source;
use http_body_util::BodyExt;
use tower::ServiceExt;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn app(hpas: PathBuf) -> axum::Router {
    router(Arc::new(AppState {
        source: Source::Files {
            hpas,
            deployments: Some(fixture("deployments.json")),
            services: Some(fixture("services.json")),
        },
        mapping: Mapping::default(),
    }))
}

async fn get(app: &axum::Router, path: &str) -> (StatusCode, String, String) {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

const ECHO: &str = "service=default/echo, current-load=1, target-load=1, max-load=2";
const CART: &str = "service=shop/cart, current-load=9, target-load=8, max-load=10";

#[tokio::test]
async fn bulk_maps() {
    let app = app(fixture("hpas.json"));
    let (status, ct, body) = get(&app, "/burstmetrics/services").await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/json"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"default/echo": ECHO, "shop/cart": CART, "shop/cart-admin": CART})
    );
    let (_, _, body) = get(&app, "/burstmetrics/deployments/").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"default/echo": ECHO, "shop/cart": CART})
    );
    let (_, _, body) = get(&app, "/burstmetrics/hpas").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"default/echo": ECHO, "shop/cart-hpa": CART})
    );
}

#[tokio::test]
async fn one_value() {
    let app = app(fixture("hpas.json"));
    assert_eq!(
        get(&app, "/burstmetrics/services/default/echo").await,
        (
            StatusCode::OK,
            "text/plain; charset=utf-8".into(),
            ECHO.into()
        )
    );
    assert_eq!(
        get(&app, "/burstmetrics/services/default/nope").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get(&app, "/burstmetrics/pods").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn no_hpa_is_204_and_a_bad_file_is_500() {
    let dir = std::env::temp_dir().join(format!("burst-metrics-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.json");
    std::fs::write(&empty, r#"{"items": []}"#).unwrap();
    assert_eq!(
        get(&app(empty), "/burstmetrics/services").await.0,
        StatusCode::NO_CONTENT
    );
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"items": [{"spec": {"maxReplicas": "x"}}]}"#).unwrap();
    let (status, _, body) = get(&app(bad.clone()), "/burstmetrics/services").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body.starts_with(&format!("in {}: item 0: ", bad.display())),
        "{body}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
