//! **fleet-context** feeds FleetScore (`fleet_score.wasm`) in a real cluster. It runs next to
//! Agones and:
//!
//! - as a **mutating admission webhook** (`POST /mutate`), adds to every Agones game-server pod at
//!   CREATE its fleet's current status (annotation [`STATUS_ANNOTATION`]), its FleetAutoscaler's
//!   policy when known ([`POLICY_ANNOTATION`]) and the FleetScore fleet label when missing — so
//!   the scheduler sees the fleet's buffer need at the moment it places that pod;
//! - serves as the fleet's **Agones Webhook autoscaler** (`POST /scale`), learning the fleet's
//!   status from every FleetAutoscaleReview;
//! - **watches** `fleets.agones.dev` and `fleetautoscalers.autoscaling.agones.dev` (or reads them
//!   from a file) and writes each node's **load** annotation ([`LOAD_ANNOTATION`]) from the
//!   game-server pods it runs.
//!
//! The enrichment is a pure function ([`enrich::enrich`]), shared by the webhook and any
//! simulator:
//!
//! ```
//! use fleet_context::{enrich, store::Store, crd::Fleet};
//! let store = Store::new();
//! let fleet: Fleet = serde_json::from_str(r#"{"metadata":{"name":"lobby","namespace":"games"},
//!     "status":{"replicas":2,"readyReplicas":0,"allocatedReplicas":2}}"#).unwrap();
//! store.apply_fleet(&fleet);
//! // A pod as Agones creates it for GameServer lobby-x7k2p-9bq4z (no annotations yet).
//! let pod = serde_json::json!({"metadata": {"name": "lobby-x7k2p-9bq4z",
//!     "labels": {"agones.dev/role": "gameserver", "agones.dev/gameserver": "lobby-x7k2p-9bq4z"}}});
//! let meta = enrich::PodMeta::from_pod(&pod).unwrap();
//! let e = enrich::enrich(&meta, "games", &store, &Default::default()).unwrap();
//! assert_eq!(e.labels, [("scheduler.wasmkwokwizardry.io/fleet".to_owned(), "lobby".to_owned())]);
//! assert_eq!(e.annotations[0].1,
//!     r#"{"replicas":2,"readyReplicas":0,"reservedReplicas":0,"allocatedReplicas":2,"allocations":0}"#);
//! assert_eq!(enrich::json_patch(&meta, &e)[1]["path"], "/metadata/annotations");
//! ```
//!
//! Serving is the workspace's `http-server` crate (timeouts, limits, connection cap, graceful
//! SIGTERM, TLS from PEM files); the handlers here are a plain [`axum::Router`].
#![deny(missing_docs)]

pub mod admission;
pub mod crd;
pub mod enrich;
pub mod http;
pub mod leader;
pub mod load;
pub mod objects;
pub mod scale;
pub mod store;
pub mod watch;

pub use http::{AppState, mutate_router, router, scale_router};

/// FleetScore's default fleet label (its `fleetLabel` setting).
pub const DEFAULT_FLEET_LABEL: &str = "scheduler.wasmkwokwizardry.io/fleet";
/// The pod annotation with the fleet's status (Agones `FleetStatus` JSON).
pub const STATUS_ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/fleet-status";
/// The pod annotation with the fleet's policy (Agones policy JSON); on a FleetAutoscaler whose
/// own policy is not Buffer/Counter/List (e.g. Webhook), the policy fleet-context applies.
pub const POLICY_ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/fleet-policy";
/// The node annotation with the node's load (`current-load=N, target-load=T, max-load=M`).
pub const LOAD_ANNOTATION: &str = "scheduler.wasmkwokwizardry.io/load-feedback";
/// Agones' role label on game-server pods.
pub const ROLE_LABEL: &str = "agones.dev/role";
/// The value of [`ROLE_LABEL`] on game-server pods.
pub const ROLE_GAMESERVER: &str = "gameserver";
/// Agones' label with the GameServer's name on its pod.
pub const GAMESERVER_LABEL: &str = "agones.dev/gameserver";
