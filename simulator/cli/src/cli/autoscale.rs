//! `simulator autoscale eval` and `simulator autoscale webhook`.

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use fleet_autoscaling::go::time::Instant;
use fleet_autoscaling::webhook::WebhookHandler;
use http_server::axum::Router;
use http_server::axum::body::{Body, to_bytes};
use http_server::axum::extract::{Request, State};
use http_server::axum::http::{HeaderValue, Method, StatusCode, header};
use http_server::axum::response::Response;
use http_server::{Config, ErrorFormat, LogNote, Metrics, TlsFiles};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use super::{CliError, EvalArgs, WebhookArgs, http, read_file};

pub fn eval(args: &EvalArgs) -> Result<ExitCode, CliError> {
    let text = read_file(&args.file)?;
    let (out, ok) = fleet_autoscaling::conformance::eval_text(&text, args.json)
        .map_err(|e| CliError(format!("{}: {e}", args.file.display())))?;
    print!("{out}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn now() -> Instant {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Instant::from_unix(
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        d.subsec_nanos(),
    )
}

/// Most fleets given their own `desired`/`current` replica series: the labels come from the
/// reviews, so a client sending made-up fleet names must not grow the scrape without bound.
const MAX_FLEETS: usize = 1000;

/// Review latency buckets in seconds (a review is decided in microseconds).
const REVIEW_BUCKETS: [f64; 10] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FleetLabels {
    namespace: String,
    fleet: String,
}

/// The webhook's own Prometheus series, next to the server's `http_*` ones.
struct ReviewMetrics {
    reviews: Family<OutcomeLabels, Counter>,
    latency: Histogram,
    desired: Family<FleetLabels, Gauge>,
    current: Family<FleetLabels, Gauge>,
    fleets: Mutex<HashSet<FleetLabels>>,
}

impl ReviewMetrics {
    fn register(metrics: &Metrics) -> ReviewMetrics {
        let m = ReviewMetrics {
            reviews: Family::default(),
            latency: Histogram::new(REVIEW_BUCKETS),
            desired: Family::default(),
            current: Family::default(),
            fleets: Mutex::new(HashSet::new()),
        };
        metrics.register(
            "autoscaler_reviews",
            "FleetAutoscaleReviews answered, by outcome: scale_up, scale_down, unchanged (200), bad_request (400), policy_error (422)",
            m.reviews.clone(),
        );
        metrics.register(
            "autoscaler_review_duration_seconds",
            "Time to decode a received review, apply the policy and encode the answer",
            m.latency.clone(),
        );
        metrics.register(
            "autoscaler_fleet_desired_replicas",
            "Replicas the policy asked for in the fleet's last review",
            m.desired.clone(),
        );
        metrics.register(
            "autoscaler_fleet_current_replicas",
            "Replicas (status.replicas) in the fleet's last review",
            m.current.clone(),
        );
        m
    }

    fn outcome(&self, outcome: &str) {
        self.reviews
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// Records a fleet's replicas; false (nothing recorded) past [`MAX_FLEETS`] fleets.
    fn fleet(&self, namespace: &str, fleet: &str, current: i32, desired: i32) -> bool {
        let labels = FleetLabels {
            namespace: namespace.to_string(),
            fleet: fleet.to_string(),
        };
        {
            let mut known = self.fleets.lock().unwrap_or_else(PoisonError::into_inner);
            if !known.contains(&labels) {
                if known.len() >= MAX_FLEETS {
                    return false;
                }
                known.insert(labels.clone());
            }
        }
        self.current.get_or_create(&labels).set(i64::from(current));
        self.desired.get_or_create(&labels).set(i64::from(desired));
        true
    }
}

struct Webhook {
    handler: WebhookHandler,
    path: String,
    metrics: ReviewMetrics,
}

fn json_response(status: StatusCode, body: String, note: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.extensions_mut().insert(LogNote(note));
    r
}

fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        serde_json::json!({ "error": message }).to_string(),
        message.to_string(),
    )
}

async fn review(State(w): State<Arc<Webhook>>, req: Request) -> Response {
    if req.uri().path() != w.path {
        return error_response(
            StatusCode::NOT_FOUND,
            &format!("not found: the webhook answers POST {}", w.path),
        );
    }
    if req.method() != Method::POST {
        let mut r = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed: use POST",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    // The server bounds the body (--max-body-bytes, 10 s) and answers 413/408 itself when it
    // cut it; any other read error is the client's.
    let body = match to_bytes(req.into_body(), usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                &format!("cannot read the body: {e}"),
            );
        }
    };
    let started = std::time::Instant::now();
    let answer = decide(&w, &body);
    w.metrics.latency.observe(started.elapsed().as_secs_f64());
    answer
}

/// One review: the answer, with the decision in the request's log line and the metrics.
fn decide(w: &Webhook, body: &[u8]) -> Response {
    let review = match w.handler.handle(body, now()) {
        Ok(review) => review,
        Err(e) => {
            w.metrics.outcome(if e.status == 400 {
                "bad_request"
            } else {
                "policy_error"
            });
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let note = serde_json::from_str::<serde_json::Value>(&e.body)
                .ok()
                .and_then(|v| v.get("error").and_then(|m| m.as_str()).map(String::from))
                .unwrap_or_else(|| e.body.clone());
            return json_response(status, e.body, note);
        }
    };
    let text = match serde_json::to_string(&review) {
        Ok(text) => text,
        Err(e) => {
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
        }
    };
    let mut note = String::new();
    if let (Some(req), Some(resp)) = (&review.request, &review.response) {
        let s = &req.status;
        w.metrics.outcome(match resp.replicas.cmp(&s.replicas) {
            std::cmp::Ordering::Greater => "scale_up",
            std::cmp::Ordering::Less => "scale_down",
            std::cmp::Ordering::Equal => "unchanged",
        });
        let namespace = if req.namespace.is_empty() {
            "default"
        } else {
            &req.namespace
        };
        let tracked = w
            .metrics
            .fleet(namespace, &req.name, s.replicas, resp.replicas);
        note = format!(
            "fleet={namespace}/{} replicas={} ready={} reserved={} allocated={} -> replicas={} scale={} uid={}{}",
            req.name,
            s.replicas,
            s.ready_replicas,
            s.reserved_replicas,
            s.allocated_replicas,
            resp.replicas,
            resp.scale,
            resp.uid,
            if tracked {
                ""
            } else {
                " (over 1000 fleets: not in /metrics)"
            }
        );
    }
    json_response(StatusCode::OK, text, note)
}

/// Paths the server answers itself, before the webhook's router.
const RESERVED_PATHS: [&str; 2] = ["/healthz", "/metrics"];

pub fn webhook(args: &WebhookArgs) -> Result<ExitCode, CliError> {
    let name = args.policy.display().to_string();
    let fas = fleet_autoscaling::load::load_fleet_autoscaler(&read_file(&args.policy)?)
        .map_err(|e| CliError(format!("{name}: {e}")))?;
    let handler = WebhookHandler::new(&fas).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        CliError(format!(
            "{name}: invalid FleetAutoscaler: {}",
            list.join("; ")
        ))
    })?;
    if !args.path.starts_with('/') {
        return Err(CliError(format!(
            "--path must start with /, not {:?}",
            args.path
        )));
    }
    if RESERVED_PATHS.contains(&args.path.as_str()) {
        return Err(CliError(format!(
            "--path {}: the server answers that path itself (GET /healthz, GET /metrics)",
            args.path
        )));
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let server = http::bind(
        Config {
            addr: args.addr.clone(),
            tls,
            max_body_bytes: args.max_body_bytes,
            error_format: ErrorFormat::Json,
            ..Config::default()
        },
        "the webhook",
    )?;
    let metrics = Metrics::new();
    let state = Arc::new(Webhook {
        handler,
        path: args.path.clone(),
        metrics: ReviewMetrics::register(&metrics),
    });
    let server = server.with_metrics(metrics);
    println!(
        "webhook autoscaler ({} policy from {name}) on {}://{}{} (Ctrl-C to stop)",
        policy_type(&fas),
        http::scheme(&server),
        server.local_addr(),
        args.path
    );
    let router = Router::new().fallback(review).with_state(state);
    http::run(server, router)
}

fn policy_type(fas: &fleet_autoscaling::FleetAutoscaler) -> String {
    serde_json::to_value(&fas.spec.policy)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(String::from))
        .unwrap_or_else(|| "?".into())
}
