//! Prometheus metrics: a registry the caller adds its own families to, served as `GET /metrics`.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};

/// Content type of [`Metrics::encode`]'s text (OpenMetrics 1.0, which Prometheus scrapes).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    code: u16,
}

/// Latency buckets in seconds, 0.5 ms to 10 s.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A metrics registry, cheap to clone (all clones share it). [`crate::Server::with_metrics`]
/// serves it as `GET /metrics` and keeps the server's own metrics in it (see [`Metrics::new`]).
///
/// ```
/// use http_server::Metrics;
/// use http_server::prometheus_client::metrics::counter::Counter;
///
/// let metrics = Metrics::new();
/// let reviews: Counter = Counter::default();
/// metrics.register("autoscaler_reviews", "Reviews answered", reviews.clone());
/// reviews.inc();
/// assert!(metrics.encode().contains("autoscaler_reviews_total 1\n"));
/// ```
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Arc<RwLock<Registry>>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    connections: Gauge,
    in_flight: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry holding the server's own metrics: `http_requests_total` and
    /// `http_request_duration_seconds` (labels `method`, `code`), `http_connections` and
    /// `http_requests_in_flight`.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(BUCKETS)) as fn() -> Histogram,
        );
        registry.register(
            "http_requests",
            "HTTP requests answered, by method and status code",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from request head to response head, by method and status code",
            latency.clone(),
        );
        let connections = Gauge::default();
        let in_flight = Gauge::default();
        registry.register(
            "http_connections",
            "Connections open (the server's cap applies to these)",
            connections.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being answered",
            in_flight.clone(),
        );
        Metrics {
            registry: Arc::new(RwLock::new(registry)),
            requests,
            latency,
            connections,
            in_flight,
        }
    }

    /// Adds a metric (or a `Family` of them); keep a clone to update it. Counters get `_total`
    /// appended to `name` by the encoder.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .register(name, help, metric);
    }

    /// The registry in OpenMetrics text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
            // Writing to a String cannot fail; a metric's own encoder could. Say so in-band.
            out.push_str("# error: a metric failed to encode\n# EOF\n");
        }
        out
    }

    pub(crate) fn observe(&self, method: &str, code: u16, latency: Duration) {
        let labels = RequestLabels {
            method: method_label(method).to_string(),
            code,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(latency.as_secs_f64());
    }
}

/// Adds one to `gauge` until dropped.
pub(crate) struct GaugeGuard(Gauge);

impl GaugeGuard {
    fn new(gauge: &Gauge) -> Self {
        gauge.inc();
        GaugeGuard(gauge.clone())
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Metrics {
    pub(crate) fn connection(&self) -> GaugeGuard {
        GaugeGuard::new(&self.connections)
    }

    pub(crate) fn request(&self) -> GaugeGuard {
        GaugeGuard::new(&self.in_flight)
    }
}

/// Methods outside the standard set are counted as `other` so clients cannot grow the label set.
fn method_label(method: &str) -> &str {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
        _ => "other",
    }
}
