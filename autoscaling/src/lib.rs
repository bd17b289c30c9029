//! Agones FleetAutoscaler and KubeAI scaling policies, exact to their upstream results.
//!
//! Pure Rust, no I/O; builds natively and for `wasm32-wasip1`. See `RATIONALE.md` for the
//! decisions that are not obvious (overflow, Go sort order, what a conformance vector can't run).
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
