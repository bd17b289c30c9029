//! Serde types with Agones' JSON names: the `FleetAutoscaler` resource and its policies, the parts
//! of `Fleet` and `GameServer` the policies read, and the webhook/Wasm `FleetAutoscaleReview`.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::go::time::{Instant, parse_rfc3339};
use crate::intstr::IntOrString;

/// Policy type strings (`spec.policy.type`).
pub mod policy_type {
    /// `Buffer`.
    pub const BUFFER: &str = "Buffer";
    /// `Webhook`.
    pub const WEBHOOK: &str = "Webhook";
    /// `Counter`.
    pub const COUNTER: &str = "Counter";
    /// `List`.
    pub const LIST: &str = "List";
    /// `Schedule`.
    pub const SCHEDULE: &str = "Schedule";
    /// `Chain`.
    pub const CHAIN: &str = "Chain";
    /// `Wasm`.
    pub const WASM: &str = "Wasm";
}

/// A `FleetAutoscaler` (`autoscaling.agones.dev/v1`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetAutoscaler {
    /// `apiVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `kind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The spec.
    #[serde(default)]
    pub spec: FleetAutoscalerSpec,
    /// The status, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<FleetAutoscalerStatus>,
}

/// The metadata fields this crate reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Namespace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Creation timestamp (zero when absent).
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub creation_timestamp: Time,
    /// Deletion timestamp (zero when absent).
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub deletion_timestamp: Time,
}

/// `spec` of a FleetAutoscaler.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetAutoscalerSpec {
    /// The Fleet to scale.
    #[serde(default)]
    pub fleet_name: String,
    /// The policy.
    #[serde(default)]
    pub policy: FleetAutoscalerPolicy,
    /// How often to sync (defaulted to FixedInterval 30 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<FleetAutoscalerSync>,
}

/// A policy: `type` plus the sub-object of that type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetAutoscalerPolicy {
    /// `Buffer | Webhook | Counter | List | Schedule | Chain | Wasm` (kept verbatim).
    #[serde(rename = "type", default)]
    pub policy_type: String,
    /// Buffer parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer: Option<BufferPolicy>,
    /// Webhook parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<UrlConfiguration>,
    /// Counter parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<CounterPolicy>,
    /// List parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<ListPolicy>,
    /// Schedule parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Box<SchedulePolicy>>,
    /// Chain entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<Vec<ChainEntry>>,
    /// Wasm parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm: Option<WasmPolicy>,
}

/// `buffer`: keep `bufferSize` non-allocated replicas.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BufferPolicy {
    /// Upper bound on replicas.
    #[serde(default)]
    pub max_replicas: i32,
    /// Lower bound on replicas (0 = none).
    #[serde(default)]
    pub min_replicas: i32,
    /// Integer or percentage.
    #[serde(default)]
    pub buffer_size: IntOrString,
}

/// `counter`: keep `bufferSize` available Counter capacity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CounterPolicy {
    /// Counter name.
    #[serde(default)]
    pub key: String,
    /// Upper bound on aggregate capacity.
    #[serde(default)]
    pub max_capacity: i64,
    /// Lower bound on aggregate capacity (0 = none).
    #[serde(default)]
    pub min_capacity: i64,
    /// Integer or percentage.
    #[serde(default)]
    pub buffer_size: IntOrString,
}

/// `list`: like `counter` for a List (count = number of values).
pub type ListPolicy = CounterPolicy;

/// `webhook` / `wasm.from.url`: a Kubernetes `WebhookClientConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UrlConfiguration {
    /// Absolute URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// In-cluster service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceReference>,
    /// PEM CA bundle (base64 in JSON).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "base64_bytes"
    )]
    pub ca_bundle: Option<Vec<u8>>,
}

/// A Service reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceReference {
    /// Namespace (default `default`).
    #[serde(default)]
    pub namespace: String,
    /// Name (required).
    #[serde(default)]
    pub name: String,
    /// Path (default empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Port (default 8000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

/// `wasm`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmPolicy {
    /// Exported function to call (CRD default `scale`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub function: String,
    /// Extism config.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, String>,
    /// Where the module comes from.
    #[serde(default)]
    pub from: WasmFrom,
    /// SHA-256 of the module, hex.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

/// `wasm.from`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WasmFrom {
    /// The module URL.
    #[serde(default)]
    pub url: Option<UrlConfiguration>,
}

/// `schedule`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchedulePolicy {
    /// Eligibility window.
    #[serde(default)]
    pub between: Between,
    /// Active cron period.
    #[serde(default)]
    pub active_period: ActivePeriod,
    /// The policy applied while active.
    #[serde(default)]
    pub policy: FleetAutoscalerPolicy,
}

/// `schedule.between`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Between {
    /// Start (zero = always eligible).
    #[serde(default)]
    pub start: Time,
    /// End (zero = no end).
    #[serde(default)]
    pub end: Time,
}

/// `schedule.activePeriod`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivePeriod {
    /// IANA zone for `startCron` (empty = UTC).
    #[serde(default)]
    pub timezone: String,
    /// Standard 5-field cron (empty = always).
    #[serde(default)]
    pub start_cron: String,
    /// Go duration (empty = 290 years).
    #[serde(default)]
    pub duration: String,
}

/// One `chain` entry: an id plus an inline policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChainEntry {
    /// Entry id.
    #[serde(default)]
    pub id: String,
    /// The policy.
    #[serde(flatten)]
    pub policy: FleetAutoscalerPolicy,
}

/// `spec.sync`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetAutoscalerSync {
    /// `FixedInterval`.
    #[serde(rename = "type", default)]
    pub sync_type: String,
    /// Interval.
    #[serde(default)]
    pub fixed_interval: FixedIntervalSync,
}

/// `spec.sync.fixedInterval`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FixedIntervalSync {
    /// Seconds between syncs.
    #[serde(default)]
    pub seconds: i32,
}

/// FleetAutoscaler `status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetAutoscalerStatus {
    /// Fleet status replicas when last synced.
    #[serde(default)]
    pub current_replicas: i32,
    /// Desired replicas last computed.
    #[serde(default)]
    pub desired_replicas: i32,
    /// Last time the fleet was scaled.
    #[serde(default)]
    pub last_scale_time: Option<String>,
    /// Whether the fleet could be read and a size computed.
    #[serde(default)]
    pub able_to_scale: bool,
    /// Whether the result was clamped.
    #[serde(default)]
    pub scaling_limited: bool,
    /// Policy type (or `Chain:<id>:<type>`).
    #[serde(default)]
    pub last_applied_policy: String,
}

/// A Fleet: metadata (accepted nested under `metadata` or flat), spec and status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "FleetRepr")]
pub struct Fleet {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: FleetSpec,
    /// Status.
    pub status: FleetStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FleetRepr {
    #[serde(default)]
    metadata: Option<ObjectMeta>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    deletion_timestamp: Option<Time>,
    #[serde(default)]
    spec: FleetSpec,
    #[serde(default)]
    status: FleetStatus,
}

impl From<FleetRepr> for Fleet {
    fn from(r: FleetRepr) -> Fleet {
        let mut metadata = r.metadata.unwrap_or_default();
        if let Some(v) = r.name {
            metadata.name = v;
        }
        if let Some(v) = r.namespace {
            metadata.namespace = v;
        }
        if let Some(v) = r.labels {
            metadata.labels = v;
        }
        if let Some(v) = r.annotations {
            metadata.annotations = v;
        }
        if let Some(v) = r.deletion_timestamp {
            metadata.deletion_timestamp = v;
        }
        Fleet {
            metadata,
            spec: r.spec,
            status: r.status,
        }
    }
}

/// Fleet `spec` (the parts policies read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetSpec {
    /// Desired replicas (never an input to a policy).
    #[serde(default)]
    pub replicas: i32,
    /// `Packed` (default) or `Distributed`.
    #[serde(default = "packed")]
    pub scheduling: String,
    /// Counter/List priorities for scale-down order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<Priority>,
    /// GameServer template.
    #[serde(default)]
    pub template: GameServerTemplate,
}

impl Default for FleetSpec {
    fn default() -> Self {
        FleetSpec {
            replicas: 0,
            scheduling: packed(),
            priorities: Vec::new(),
            template: GameServerTemplate::default(),
        }
    }
}

fn packed() -> String {
    "Packed".to_string()
}

/// A Counter/List priority.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Priority {
    /// `Counter` or `List`.
    #[serde(rename = "type", default)]
    pub priority_type: String,
    /// Counter or List name.
    #[serde(default)]
    pub key: String,
    /// `Ascending` or `Descending`.
    #[serde(default)]
    pub order: String,
}

/// `fleet.spec.template`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GameServerTemplate {
    /// `fleet.spec.template.spec`.
    #[serde(default)]
    pub spec: GameServerTemplateSpec,
}

/// The Counters and Lists of a new GameServer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GameServerTemplateSpec {
    /// Counters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, CounterStatus>,
    /// Lists.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lists: BTreeMap<String, ListStatus>,
}

/// A Counter: count and capacity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CounterStatus {
    /// Count.
    #[serde(default)]
    pub count: i64,
    /// Capacity.
    #[serde(default)]
    pub capacity: i64,
}

/// A List: capacity and values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListStatus {
    /// Capacity.
    #[serde(default)]
    pub capacity: i64,
    /// Values (duplicates count).
    #[serde(default)]
    pub values: Vec<String>,
}

/// Fleet `status`, also the `request.status` of a review.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetStatus {
    /// Total GameServers.
    #[serde(default)]
    pub replicas: i32,
    /// Ready GameServers.
    #[serde(default)]
    pub ready_replicas: i32,
    /// Reserved GameServers.
    #[serde(default)]
    pub reserved_replicas: i32,
    /// Allocated GameServers.
    #[serde(default)]
    pub allocated_replicas: i32,
    /// Allocations observed over the fleet's life (Agones ≥ 1.59, #4513; 0 before). Carried into
    /// webhook/Wasm reviews; no built-in policy reads it.
    #[serde(default)]
    pub allocations: i64,
    /// Player tracking aggregate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub players: Option<AggregatedPlayerStatus>,
    /// Counter aggregates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, AggregatedStatus>,
    /// List aggregates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lists: BTreeMap<String, AggregatedStatus>,
}

/// Player tracking aggregate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AggregatedPlayerStatus {
    /// Players.
    #[serde(default)]
    pub count: i64,
    /// Capacity.
    #[serde(default)]
    pub capacity: i64,
}

/// A Counter or List aggregate over a fleet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregatedStatus {
    /// Sum over Allocated GameServers.
    #[serde(default)]
    pub allocated_count: i64,
    /// Sum over Allocated GameServers.
    #[serde(default)]
    pub allocated_capacity: i64,
    /// Sum over all GameServers.
    #[serde(default)]
    pub count: i64,
    /// Sum over all GameServers.
    #[serde(default)]
    pub capacity: i64,
}

/// A GameServer (metadata nested or flat, like [`Fleet`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "GameServerRepr")]
pub struct GameServer {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Status.
    pub status: GameServerStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GameServerRepr {
    #[serde(default)]
    metadata: Option<ObjectMeta>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    creation_timestamp: Option<Time>,
    #[serde(default)]
    deletion_timestamp: Option<Time>,
    #[serde(default)]
    status: GameServerStatus,
}

impl From<GameServerRepr> for GameServer {
    fn from(r: GameServerRepr) -> GameServer {
        let mut metadata = r.metadata.unwrap_or_default();
        if let Some(v) = r.name {
            metadata.name = v;
        }
        if let Some(v) = r.namespace {
            metadata.namespace = v;
        }
        if let Some(v) = r.labels {
            metadata.labels = v;
        }
        if let Some(v) = r.creation_timestamp {
            metadata.creation_timestamp = v;
        }
        if let Some(v) = r.deletion_timestamp {
            metadata.deletion_timestamp = v;
        }
        GameServer {
            metadata,
            status: r.status,
        }
    }
}

impl GameServer {
    /// Agones' `IsDeletable`: an Allocated or Reserved GameServer may be removed only once it is
    /// already being deleted (deletion timestamp set); every other state may.
    pub fn is_deletable(&self) -> bool {
        if matches!(self.status.state.as_str(), "Allocated" | "Reserved") {
            return !self.metadata.deletion_timestamp.is_zero();
        }
        true
    }
}

/// GameServer `status` (the parts the scale-down walk reads).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GameServerStatus {
    /// Node the pod runs on.
    #[serde(default)]
    pub node_name: String,
    /// `Ready`, `Allocated`, …
    #[serde(default)]
    pub state: String,
    /// Counters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, CounterStatus>,
    /// Lists.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lists: BTreeMap<String, ListStatus>,
}

/// Ready and Allocated GameServers on one node (Agones' per-node counter).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCount {
    /// Ready GameServers.
    #[serde(default)]
    pub ready: i64,
    /// Allocated GameServers.
    #[serde(default)]
    pub allocated: i64,
}

/// The webhook / Wasm exchange document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetAutoscaleReview {
    /// Set by the autoscaler.
    #[serde(default)]
    pub request: Option<FleetAutoscaleRequest>,
    /// Set by the webhook / plugin.
    #[serde(default)]
    pub response: Option<FleetAutoscaleResponse>,
}

/// `request` of a review.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetAutoscaleRequest {
    /// Request id, to copy into the response.
    #[serde(default)]
    pub uid: String,
    /// Fleet name.
    #[serde(default)]
    pub name: String,
    /// Fleet namespace.
    #[serde(default)]
    pub namespace: String,
    /// Fleet status.
    #[serde(default)]
    pub status: FleetStatus,
    /// Fleet labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Fleet annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// `response` of a review.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetAutoscaleResponse {
    /// Copied from the request.
    #[serde(default)]
    pub uid: String,
    /// Whether to set the fleet to `replicas`.
    #[serde(default)]
    pub scale: bool,
    /// Target replicas.
    #[serde(default)]
    pub replicas: i32,
}

/// A `metav1.Time`: `null` ⇄ Go's zero time, otherwise RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time(pub Instant);

impl Default for Time {
    fn default() -> Self {
        Time(Instant::ZERO)
    }
}

impl Time {
    /// Whether this is the zero time.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_zero() {
            s.serialize_none()
        } else {
            s.serialize_str(&self.0.to_rfc3339())
        }
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        match v {
            None => Ok(Time::default()),
            Some(s) => parse_rfc3339(&s)
                .map(Time)
                .map_err(serde::de::Error::custom),
        }
    }
}

mod base64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(b) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        match v {
            None => Ok(None),
            Some(s) => base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map(Some)
                .map_err(|e| serde::de::Error::custom(format!("caBundle is not base64: {e}"))),
        }
    }
}
