//! An Envoy/Istio [proxy-wasm] filter that adds `X-Load-Feedback` to HTTP responses, e.g.
//! `x-load-feedback: service=default/echo, current-load=1, target-load=1, max-load=2` — how loaded
//! the service behind this sidecar is, from its HorizontalPodAutoscaler. A drop-in for the
//! `burst_header` filter of retaildevcrews/istio: the same configuration fields, the same metrics
//! API, the same header and user-agent rule; without its panics, with one fetch per refresh period
//! per proxy (shared data) instead of one per worker, and with the configuration checked at
//! `on_configure`.
//!
//! The module (`static/burst_header.wasm`, built for `wasm32-unknown-unknown`) is the product; this
//! library also exposes its pure parts, which are what the native unit tests cover:
//!
//! ```
//! use burst_header::config::Config;
//! use burst_header::state::{parse_values, service_key};
//!
//! let config = Config::parse(br#"{"service_cluster": "burst", "service_authority": "burst.burst",
//!     "service_path": "/burstmetrics/services", "cache_seconds": 5, "user_agent": "HTTPie/"}"#)?;
//! assert_eq!(config.cache_period.as_secs(), 5);
//!
//! let values = parse_values(br#"{"default/echo": "service=default/echo, current-load=1, target-load=1, max-load=2"}"#)?;
//! let key = service_key(b"echo.default.svc.cluster.local").ok_or("not a service host")?;
//! assert_eq!(values[&key], "service=default/echo, current-load=1, target-load=1, max-load=2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [proxy-wasm]: https://github.com/proxy-wasm/spec

pub mod config;
pub mod json;
pub mod pbstruct;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod filter;
