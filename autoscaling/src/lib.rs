//! Agones FleetAutoscaler and KubeAI scaling policies, exact to their upstream results (Agones
//! v1.60.0; RATIONALE.md lists what changed since 1.57 and the few deliberate differences).
//!
//! Pure Rust, no I/O; builds natively and for `wasm32-wasip1`. See `RATIONALE.md` for the
//! decisions that are not obvious (overflow, Go sort order, what a conformance vector can't run).
//!
//! - [`apply`] / [`apply_with`]: desired replicas and `limited` for every Agones policy type
//!   (Buffer, Counter, List, Webhook, Wasm, Schedule, Chain), with Agones' error messages.
//! - [`validate::validate`] / [`validate::default`]: admission rules and defaulting.
//! - [`kubeai`]: MaxRatio, AverageRatio, WeightedRatio, CappedSmoothRatio behind a trait.
//! - [`burst`]: the `X-Load-Feedback` header (parse, format, derive from an HPA).
//! - [`webhook`]: a webhook endpoint as a pure function; [`load`]: manifests from YAML/JSON.
//! - [`conformance`]: the test-vector evaluator behind `simulator autoscale eval`.
//!
//! ```
//! use fleet_autoscaling::{apply, load::load_fleet_autoscaler, validate::validate, go::time::Instant};
//! let fas = load_fleet_autoscaler(r#"
//! apiVersion: autoscaling.agones.dev/v1
//! kind: FleetAutoscaler
//! metadata: {name: fas}
//! spec:
//!   fleetName: fleet-example
//!   policy:
//!     type: Buffer
//!     buffer: {bufferSize: 5, minReplicas: 10, maxReplicas: 20}
//! "#).unwrap();
//! assert!(validate(&fas.spec).is_empty());
//! let fleet = serde_json::from_str(r#"{"status":{"replicas":12,"allocatedReplicas":3}}"#).unwrap();
//! // 3 allocated + 5 buffer = 8, raised to the minimum of 10: limited.
//! assert_eq!(apply(&fas.spec.policy, &fleet, &[], Instant::ZERO), Ok((10, true)));
//! ```
#![deny(missing_docs)]

pub mod burst;
pub mod conformance;
pub mod cron;
pub mod go;
pub mod intstr;
pub mod kubeai;
pub mod load;
pub mod pem;
pub mod plugin;
pub mod policy;
pub mod review;
pub mod schedule;
pub mod types;
pub mod validate;
pub mod webhook;

pub use intstr::IntOrString;
pub use policy::{ApplyError, ApplyResult, Context, Exchange, FeatureGates, apply, apply_with};
pub use types::*;
