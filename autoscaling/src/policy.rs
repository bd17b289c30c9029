//! `apply`: the desired replica count of a fleet under a policy, exactly as Agones' autoscaler
//! computes it at v1.60.0 (`pkg/fleetautoscalers/fleetautoscalers.go`), including its `limited`
//! flags and error messages. Where Go would overflow silently, panic or loop forever, this code
//! saturates or returns an error instead; every such place is listed in RATIONALE.md.

use std::collections::BTreeMap;
use std::fmt;

use crate::go::sort::sort_slice;
use crate::go::time::Instant;
use crate::go::{ceil_to_i32, ceil_to_i64, url};
use crate::intstr::IntOrString;
use crate::types::{
    BufferPolicy, ChainEntry, CounterPolicy, Fleet, FleetAutoscaleRequest, FleetAutoscaleReview,
    FleetAutoscalerPolicy, GameServer, NodeCount, SchedulePolicy, UrlConfiguration, WasmPolicy,
    policy_type,
};

/// Agones feature gates that change policy behaviour (defaults as at Agones 1.60, unchanged since
/// 1.57).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureGates {
    /// `CountsAndLists` (Beta, on).
    pub counts_and_lists: bool,
    /// `ScheduledAutoscaler` (Beta, on).
    pub scheduled_autoscaler: bool,
    /// `FleetAutoscaleRequestMetaData` (Beta, on): send fleet labels/annotations to webhooks.
    pub fleet_autoscale_request_metadata: bool,
    /// `WasmAutoscaler` (Alpha, off).
    pub wasm_autoscaler: bool,
}

impl Default for FeatureGates {
    fn default() -> Self {
        FeatureGates {
            counts_and_lists: true,
            scheduled_autoscaler: true,
            fleet_autoscale_request_metadata: true,
            wasm_autoscaler: false,
        }
    }
}

impl FeatureGates {
    /// Sets a gate by its Agones name; unknown names are ignored (returns false).
    pub fn set(&mut self, name: &str, on: bool) -> bool {
        match name {
            "CountsAndLists" => self.counts_and_lists = on,
            "ScheduledAutoscaler" => self.scheduled_autoscaler = on,
            "FleetAutoscaleRequestMetaData" => self.fleet_autoscale_request_metadata = on,
            "WasmAutoscaler" => self.wasm_autoscaler = on,
            _ => return false,
        }
        true
    }
}

/// Why a policy produced no size. Like Agones, an error still carries a replica count: the fleet's
/// status replicas for an inactive schedule, the last entry's result for a failed chain, else 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    /// Agones' error text.
    pub message: String,
    /// Replicas returned alongside the error.
    pub replicas: i32,
    /// `limited` returned alongside the error.
    pub limited: bool,
    /// True for Agones' `InactiveScheduleError` (not a failure: nothing to apply now).
    pub inactive_schedule: bool,
}

impl ApplyError {
    /// An error with replicas 0.
    pub fn new(message: impl Into<String>) -> ApplyError {
        ApplyError {
            message: message.into(),
            replicas: 0,
            limited: false,
            inactive_schedule: false,
        }
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApplyError {}

/// An HTTP reply from a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// How a Wasm call failed (the host formats Agones' message around it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WasmFailure {
    /// Fetching the module failed; the text is used as is (e.g. `bad status code 404 …`).
    Fetch(String),
    /// Creating the plugin failed (`failed to create Wasm plugin from <url>: …`).
    Create(String),
    /// The call failed (`failed to call Wasm plugin function <fn>: …`).
    Call(String),
}

/// The I/O a Webhook or Wasm policy needs, supplied by the caller (this crate does none).
pub trait Exchange {
    /// POSTs `review` (JSON) to `url`; `Err` is a transport error text used verbatim.
    fn webhook(&mut self, url: &str, review: &FleetAutoscaleReview) -> Result<HttpReply, String>;
    /// Calls `policy.function` of the module at `module_url` with `input`; returns the output.
    fn wasm(
        &mut self,
        module_url: &str,
        policy: &WasmPolicy,
        input: &[u8],
    ) -> Result<Vec<u8>, WasmFailure>;
}

/// Everything `apply` reads besides the policy and the fleet.
pub struct Context<'a> {
    /// "Now", for Schedule policies.
    pub now: Instant,
    /// Feature gates.
    pub gates: FeatureGates,
    /// Ready/Allocated counts per node (Packed scale-down order); nodes absent here sort first.
    pub node_counts: BTreeMap<String, NodeCount>,
    /// Webhook / Wasm I/O; `None` makes those policies fail with a clear error.
    pub exchange: Option<&'a mut dyn Exchange>,
    /// UID to put in webhook/Wasm requests (Agones uses a fresh UUID each call).
    pub request_uid: String,
    /// Set by a Chain policy to `Chain:<id>:<type>` of the entry that applied.
    pub chain_entry: Option<String>,
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("now", &self.now)
            .field("gates", &self.gates)
            .field("node_counts", &self.node_counts)
            .field("exchange", &self.exchange.is_some())
            .field("request_uid", &self.request_uid)
            .finish()
    }
}

impl<'a> Context<'a> {
    /// Default gates, no node counts, no exchange, at `now`.
    pub fn at(now: Instant) -> Context<'a> {
        Context {
            now,
            gates: FeatureGates::default(),
            node_counts: BTreeMap::new(),
            exchange: None,
            request_uid: "00000000-0000-4000-8000-000000000000".to_string(),
            chain_entry: None,
        }
    }
}

/// The outcome of a policy: desired replicas and whether they were clamped.
pub type ApplyResult = Result<(i32, bool), ApplyError>;

/// Computes the desired replicas of `fleet` under `policy` with default feature gates, no node
/// counts (so all GameServers sort as "node unknown") and no webhook/Wasm exchange.
///
/// ```
/// use fleet_autoscaling::{apply, Fleet, FleetAutoscalerPolicy};
/// let policy: FleetAutoscalerPolicy = serde_json::from_str(
///     r#"{"type":"Buffer","buffer":{"bufferSize":"20%","minReplicas":1,"maxReplicas":100}}"#).unwrap();
/// let fleet: Fleet = serde_json::from_str(r#"{"status":{"replicas":50,"allocatedReplicas":50}}"#).unwrap();
/// let now = fleet_autoscaling::go::time::Instant::from_unix(0, 0);
/// assert_eq!(apply(&policy, &fleet, &[], now), Ok((63, false)));
/// ```
pub fn apply(
    policy: &FleetAutoscalerPolicy,
    fleet: &Fleet,
    game_servers: &[GameServer],
    now: Instant,
) -> ApplyResult {
    let mut ctx = Context::at(now);
    apply_with(policy, fleet, game_servers, &mut ctx)
}

/// [`apply`] with an explicit [`Context`] (gates, node counts, exchange).
pub fn apply_with(
    policy: &FleetAutoscalerPolicy,
    fleet: &Fleet,
    game_servers: &[GameServer],
    ctx: &mut Context<'_>,
) -> ApplyResult {
    compute_desired(policy, fleet, game_servers, ctx)
}

fn compute_desired(
    policy: &FleetAutoscalerPolicy,
    fleet: &Fleet,
    gs: &[GameServer],
    ctx: &mut Context<'_>,
) -> ApplyResult {
    match policy.policy_type.as_str() {
        policy_type::BUFFER => apply_buffer(policy.buffer.as_ref(), fleet),
        policy_type::WEBHOOK => apply_webhook(policy.webhook.as_ref(), fleet, ctx),
        policy_type::COUNTER => {
            apply_counter_or_list(policy.counter.as_ref(), true, fleet, gs, ctx)
        }
        policy_type::LIST => apply_counter_or_list(policy.list.as_ref(), false, fleet, gs, ctx),
        policy_type::SCHEDULE => apply_schedule(policy.schedule.as_deref(), fleet, gs, ctx),
        policy_type::CHAIN => apply_chain(policy.chain.as_deref().unwrap_or(&[]), fleet, gs, ctx),
        policy_type::WASM => apply_wasm(policy.wasm.as_ref(), fleet, ctx),
        _ => Err(ApplyError::new(
            "wrong policy type, should be one of: Buffer, Webhook, Counter, List, Schedule, Chain",
        )),
    }
}

/// Buffer policy: `allocated + size`, or `ceil(allocated·100 / (100 − p))` for a percentage;
/// clamped to `minReplicas` then `maxReplicas`.
pub fn apply_buffer(b: Option<&BufferPolicy>, fleet: &Fleet) -> ApplyResult {
    let Some(b) = b else {
        return Err(ApplyError::new("bufferPolicy parameter must not be nil"));
    };
    let allocated = fleet.status.allocated_replicas;
    let mut replicas = match &b.buffer_size {
        IntOrString::Int(size) => allocated.saturating_add(*size),
        s @ IntOrString::String(_) => {
            let (percent, _) = s.lenient_value(true).map_err(ApplyError::new)?;
            let numerator = i64::from(allocated) * 100;
            let denominator = 100f64 - percent as f64;
            ceil_to_i32(numerator as f64 / denominator)
        }
    };
    let mut limited = false;
    if replicas < b.min_replicas {
        replicas = b.min_replicas;
        limited = true;
    }
    if replicas > b.max_replicas {
        replicas = b.max_replicas;
        limited = true;
    }
    Ok((replicas, limited))
}

fn is_limited(agg_capacity: i64, min: i64, max: i64) -> (bool, i32) {
    if agg_capacity < min {
        return (true, 1);
    }
    if agg_capacity > max {
        return (true, -1);
    }
    (false, 0)
}

struct Walk<'a> {
    key: &'a str,
    is_counter: bool,
}

impl Walk<'_> {
    /// (count, capacity) of the key on a GameServer, if it has it.
    fn of(&self, gs: &GameServer) -> Option<(i64, i64)> {
        if self.is_counter {
            gs.status
                .counters
                .get(self.key)
                .map(|c| (c.count, c.capacity))
        } else {
            gs.status
                .lists
                .get(self.key)
                .map(|l| (len_i64(&l.values), l.capacity))
        }
    }
}

fn len_i64<T>(v: &[T]) -> i64 {
    i64::try_from(v.len()).unwrap_or(i64::MAX)
}

/// Counter / List policy (`is_counter` picks which). Scale-down walks only the deletable
/// GameServers ([`deletable_deletion_order`], Agones ≥ 1.59): an Allocated or Reserved
/// GameServer's capacity is never counted as removable.
pub fn apply_counter_or_list(
    c: Option<&CounterPolicy>,
    is_counter: bool,
    fleet: &Fleet,
    game_servers: &[GameServer],
    ctx: &Context<'_>,
) -> ApplyResult {
    if !ctx.gates.counts_and_lists {
        return Err(ApplyError::new(
            "cannot apply CounterPolicy unless feature flag CountsAndLists is enabled",
        ));
    }
    let (what, noun) = if is_counter {
        ("CounterPolicy", "Counter")
    } else {
        ("ListPolicy", "List")
    };
    let Some(c) = c else {
        let missing = if is_counter {
            "counter policy config params are missing"
        } else {
            "list policy config params are missing"
        };
        return Err(ApplyError::new(missing));
    };
    let key = c.key.as_str();
    let template = &fleet.spec.template.spec;
    let (count, capacity) = if is_counter {
        match template.counters.get(key) {
            Some(t) => (t.count, t.capacity),
            None => return Err(missing_key(what, noun, key, "Spec")),
        }
    } else {
        match template.lists.get(key) {
            Some(t) => (len_i64(&t.values), t.capacity),
            None => return Err(missing_key(what, noun, key, "Spec")),
        }
    };
    let aggregates = if is_counter {
        &fleet.status.counters
    } else {
        &fleet.status.lists
    };
    let Some(agg) = aggregates.get(key) else {
        return Err(missing_key(what, noun, key, "Status"));
    };
    let (agg_count, agg_capacity, agg_allocated) = (agg.count, agg.capacity, agg.allocated_count);
    let (min, max) = (c.min_capacity, c.max_capacity);
    let (limited, scale) = is_limited(agg_capacity, min, max);
    let replicas = fleet.status.replicas;
    let buffer: i64 = match &c.buffer_size {
        IntOrString::Int(size) => i64::from(*size),
        s @ IntOrString::String(_) => {
            let (percent, _) = s.lenient_value(is_counter).map_err(ApplyError::new)?;
            if agg_allocated <= 0 && capacity >= min {
                return Ok((1, true));
            }
            let desired =
                ceil_to_i64(agg_allocated.saturating_mul(100) as f64 / (100f64 - percent as f64));
            desired.saturating_sub(agg_allocated)
        }
    };
    let walk = Walk { key, is_counter };
    let available = agg_capacity.saturating_sub(agg_count);
    let limited_path = |scale: i32| -> ApplyResult {
        match scale {
            1 => scale_up_limited(replicas, capacity, agg_capacity, min),
            -1 => {
                let order =
                    deletable_deletion_order(fleet, game_servers, &ctx.node_counts, ctx.gates);
                Ok(scale_down_limited(
                    &walk,
                    &order,
                    replicas,
                    agg_capacity,
                    max,
                ))
            }
            _ => Ok((replicas, false)),
        }
    };
    if available == buffer {
        if limited {
            return limited_path(scale);
        }
        return Ok((replicas, false));
    }
    if available < buffer {
        if limited {
            return limited_path(scale);
        }
        return scale_up(
            replicas,
            capacity,
            count,
            agg_capacity,
            available,
            max,
            min,
            buffer,
        );
    }
    if limited && scale == 1 {
        return limited_path(scale);
    }
    if agg_capacity == min {
        return Ok((replicas, true));
    }
    let order = deletable_deletion_order(fleet, game_servers, &ctx.node_counts, ctx.gates);
    Ok(scale_down(
        &walk,
        &order,
        replicas,
        agg_count,
        agg_capacity,
        min,
        buffer,
    ))
}

fn missing_key(what: &str, noun: &str, key: &str, place: &str) -> ApplyError {
    ApplyError::new(format!(
        "cannot apply {what} as {noun} key {key} does not exist in the Fleet {place}"
    ))
}

fn scale_up_limited(replicas: i32, capacity: i64, agg_capacity: i64, min: i64) -> ApplyResult {
    if capacity == 0 {
        return Err(ApplyError::new("cannot scale up as Capacity is equal to 0"));
    }
    if capacity < 0 {
        // Go adds a negative capacity until int64 wraps around: effectively forever.
        return Err(ApplyError::new("cannot scale up as Capacity is negative"));
    }
    if agg_capacity >= min {
        return Ok((replicas, true));
    }
    let missing = i128::from(min) - i128::from(agg_capacity);
    let steps = (missing + i128::from(capacity) - 1) / i128::from(capacity);
    Ok((saturate_i32(i128::from(replicas) + steps), true))
}

fn saturate_i32(v: i128) -> i32 {
    v.clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32
}

#[allow(clippy::too_many_arguments)]
fn scale_up(
    replicas: i32,
    capacity: i64,
    count: i64,
    agg_capacity: i64,
    available: i64,
    max: i64,
    min: i64,
    buffer: i64,
) -> ApplyResult {
    let replica_capacity = capacity.saturating_sub(count);
    if replica_capacity <= 0 {
        return Err(ApplyError::new(
            "cannot scale up as adding additional replicas does not increase available Capacity",
        ));
    }
    let mut additional = ceil_to_i32((buffer as f64 - available as f64) / replica_capacity as f64);
    let (limited, _) = is_limited(
        agg_capacity.saturating_add(i64::from(additional).saturating_mul(capacity)),
        min,
        max,
    );
    if limited {
        if capacity == 0 {
            return Err(ApplyError::new("cannot scale up as Capacity is equal to 0"));
        }
        let room = i128::from(max) - i128::from(agg_capacity);
        additional = saturate_i32(room / i128::from(capacity));
    }
    Ok((replicas.saturating_add(additional), limited))
}

fn scale_down_limited(
    walk: &Walk<'_>,
    order: &[&GameServer],
    mut replicas: i32,
    mut agg_capacity: i64,
    max: i64,
) -> (i32, bool) {
    for gs in order {
        if agg_capacity <= max {
            break;
        }
        if let Some((_, cap)) = walk.of(gs) {
            agg_capacity = agg_capacity.saturating_sub(cap);
        }
        replicas = replicas.saturating_sub(1);
    }
    (replicas.max(1), true)
}

fn scale_down(
    walk: &Walk<'_>,
    order: &[&GameServer],
    mut replicas: i32,
    mut agg_count: i64,
    mut agg_capacity: i64,
    min: i64,
    buffer: i64,
) -> (i32, bool) {
    for gs in order {
        replicas = replicas.saturating_sub(1);
        let Some((count, cap)) = walk.of(gs) else {
            continue;
        };
        agg_count = agg_count.saturating_sub(count);
        agg_capacity = agg_capacity.saturating_sub(cap);
        let available = agg_capacity.saturating_sub(agg_count);
        if available < buffer {
            return (replicas.saturating_add(1), false);
        }
        if agg_capacity < min {
            return (replicas.saturating_add(1), true);
        }
        if available == buffer {
            return (replicas, false);
        }
        if agg_capacity == min {
            return (replicas, true);
        }
    }
    (replicas.max(1), false)
}

const FLEET_LABEL: &str = "agones.dev/fleet";

fn is_before_ready(state: &str) -> bool {
    matches!(
        state,
        "PortAllocation" | "Creating" | "Starting" | "Scheduled" | "RequestReady"
    )
}

/// Available capacity comparison of one priority (Agones' `compareCountAndListPriority`):
/// `Some(true)` if `a` sorts first.
fn compare_priority(p: &crate::types::Priority, a: &GameServer, b: &GameServer) -> Option<bool> {
    let (a_avail, b_avail) = match p.priority_type.as_str() {
        "Counter" => (
            a.status
                .counters
                .get(&p.key)
                .map(|c| c.capacity.wrapping_sub(c.count)),
            b.status
                .counters
                .get(&p.key)
                .map(|c| c.capacity.wrapping_sub(c.count)),
        ),
        "List" => (
            a.status
                .lists
                .get(&p.key)
                .map(|l| l.capacity.wrapping_sub(len_i64(&l.values))),
            b.status
                .lists
                .get(&p.key)
                .map(|l| l.capacity.wrapping_sub(len_i64(&l.values))),
        ),
        _ => (None, None),
    };
    if let (Some(x), Some(y)) = (a_avail, b_avail) {
        return match x.cmp(&y) {
            std::cmp::Ordering::Less => Some(true),
            std::cmp::Ordering::Greater => Some(false),
            std::cmp::Ordering::Equal => None,
        };
    }
    let (a_ok, b_ok) = (a_avail.is_some(), b_avail.is_some());
    let desc = p.order == "Descending";
    let asc = p.order == "Ascending";
    if (a_ok && desc) || (b_ok && asc) {
        return Some(false);
    }
    if (a_ok && asc) || (b_ok && desc) {
        return Some(true);
    }
    None
}

fn compare_priorities(
    priorities: &[crate::types::Priority],
    a: &GameServer,
    b: &GameServer,
) -> Option<bool> {
    for p in priorities {
        if let Some(res) = compare_priority(p, a, b) {
            return Some(if p.order == "Descending" { !res } else { res });
        }
    }
    None
}

/// The fleet's GameServers in Agones' scale-down order (`SortGameServersByStrategy`): Packed =
/// unknown-node first, then least-full nodes, not-yet-Ready before Ready on a node, priorities,
/// name; Distributed = priorities, then oldest first. GameServers labelled for another fleet, or
/// in another (non-empty) namespace, are left out as Agones' lister would. Allocated and Reserved
/// GameServers are included: the Counter/List walk uses [`deletable_deletion_order`] instead.
pub fn deletion_order<'a>(
    fleet: &Fleet,
    game_servers: &'a [GameServer],
    node_counts: &BTreeMap<String, NodeCount>,
    gates: FeatureGates,
) -> Vec<&'a GameServer> {
    let list = fleet_game_servers(fleet, game_servers).collect();
    sort_by_strategy(fleet, list, node_counts, gates)
}

/// The GameServers a Counter/List scale-down walks, in order (Agones ≥ 1.59,
/// `getSortedDeletableGameServers`, #4625): the fleet's GameServers that
/// [are deletable](GameServer::is_deletable) — Allocated/Reserved ones only once being deleted —
/// sorted as [`deletion_order`] sorts. The filter comes before the sort, as in Agones: with
/// Packed's comparator (not a strict weak order) sorting first and filtering after can differ.
pub fn deletable_deletion_order<'a>(
    fleet: &Fleet,
    game_servers: &'a [GameServer],
    node_counts: &BTreeMap<String, NodeCount>,
    gates: FeatureGates,
) -> Vec<&'a GameServer> {
    let list = fleet_game_servers(fleet, game_servers)
        .filter(|gs| gs.is_deletable())
        .collect();
    sort_by_strategy(fleet, list, node_counts, gates)
}

/// Agones' `ListGameServersByFleetOwner`: the fleet label in the fleet's namespace.
fn fleet_game_servers<'a, 'f>(
    fleet: &'f Fleet,
    game_servers: &'a [GameServer],
) -> impl Iterator<Item = &'a GameServer> + use<'a, 'f> {
    game_servers.iter().filter(move |gs| {
        let other_fleet = gs
            .metadata
            .labels
            .get(FLEET_LABEL)
            .is_some_and(|f| *f != fleet.metadata.name);
        let other_ns = !gs.metadata.namespace.is_empty()
            && !fleet.metadata.namespace.is_empty()
            && gs.metadata.namespace != fleet.metadata.namespace;
        !other_fleet && !other_ns
    })
}

/// `SortGameServersByStrategy` on an already listed slice.
fn sort_by_strategy<'a>(
    fleet: &Fleet,
    mut list: Vec<&'a GameServer>,
    node_counts: &BTreeMap<String, NodeCount>,
    gates: FeatureGates,
) -> Vec<&'a GameServer> {
    let priorities = &fleet.spec.priorities;
    if fleet.spec.scheduling == "Packed" {
        sort_slice(&mut list, |a, b| {
            let Some(ac) = node_counts.get(&a.status.node_name) else {
                return true;
            };
            let Some(bc) = node_counts.get(&b.status.node_name) else {
                return false;
            };
            let same_node = a.status.node_name == b.status.node_name;
            if same_node {
                if is_before_ready(&a.status.state) && b.status.state == "Ready" {
                    return true;
                }
                if is_before_ready(&b.status.state) && a.status.state == "Ready" {
                    return false;
                }
            }
            let a_total = ac.allocated.wrapping_add(ac.ready);
            let b_total = bc.allocated.wrapping_add(bc.ready);
            if a_total != b_total {
                return a_total < b_total;
            }
            if same_node {
                if gates.counts_and_lists
                    && let Some(res) = compare_priorities(priorities, a, b)
                {
                    return res;
                }
                return a.metadata.name < b.metadata.name;
            }
            a.status.node_name < b.status.node_name
        });
    } else {
        sort_slice(&mut list, |a, b| {
            if gates.counts_and_lists
                && let Some(res) = compare_priorities(priorities, a, b)
            {
                return res;
            }
            a.metadata.creation_timestamp.0 < b.metadata.creation_timestamp.0
        });
    }
    list
}

/// Builds the URL Agones calls for a webhook or fetches a Wasm module from, with its checks and
/// messages (`buildURLFromConfiguration`). Returns Go's `URL.String()`.
pub fn build_url(w: &UrlConfiguration) -> Result<String, ApplyError> {
    if w.url.is_some() && w.service.is_some() {
        return Err(ApplyError::new(
            "service and URL cannot be used simultaneously",
        ));
    }
    if let Some(ca) = &w.ca_bundle
        && !crate::pem::has_certificate(ca)
    {
        return Err(ApplyError::new("no certs were appended from caBundle"));
    }
    let scheme = if w.ca_bundle.is_some() {
        "https"
    } else {
        "http"
    };
    if let Some(u) = &w.url {
        if u.is_empty() {
            return Err(ApplyError::new("URL was not provided"));
        }
        return url::parse_request_uri(u)
            .map(|u| u.to_go_string())
            .map_err(ApplyError::new);
    }
    let Some(svc) = &w.service else {
        return Err(ApplyError::new(
            "service was not provided, either URL or Service must be provided",
        ));
    };
    if svc.name.is_empty() {
        return Err(ApplyError::new("service name was not provided"));
    }
    let namespace = if svc.namespace.is_empty() {
        "default"
    } else {
        svc.namespace.as_str()
    };
    Ok(service_url(
        scheme,
        &svc.name,
        namespace,
        svc.path.as_deref().unwrap_or(""),
        svc.port,
    ))
}

/// Agones' `createURL`: `<scheme>://<name>.<namespace>.svc:<port><path>` (port 8000 by default).
pub fn service_url(
    scheme: &str,
    name: &str,
    namespace: &str,
    path: &str,
    port: Option<i32>,
) -> String {
    url::Url {
        scheme: scheme.to_string(),
        host: format!("{name}.{namespace}.svc:{}", port.unwrap_or(8000)),
        path: path.to_string(),
        ..url::Url::default()
    }
    .to_go_string()
}

/// The review Agones sends to a webhook or Wasm plugin for `fleet`.
pub fn request_review(fleet: &Fleet, uid: &str, gates: FeatureGates) -> FleetAutoscaleReview {
    let mut request = FleetAutoscaleRequest {
        uid: uid.to_string(),
        name: fleet.metadata.name.clone(),
        namespace: fleet.metadata.namespace.clone(),
        status: fleet.status.clone(),
        ..FleetAutoscaleRequest::default()
    };
    if gates.fleet_autoscale_request_metadata {
        request.labels = fleet.metadata.labels.clone();
        request.annotations = fleet.metadata.annotations.clone();
    }
    FleetAutoscaleReview {
        request: Some(request),
        response: None,
    }
}

/// Agones' rule for a webhook/Wasm answer: `scale` → `response.replicas` (unclamped), otherwise the
/// fleet's **status** replicas; never limited. A review without `response` is Agones' error
/// (≥ 1.59, #4596; earlier versions dereferenced nil): `<source> response missing required
/// 'response' field`, with `source` `webhook` or `wasm`.
pub fn response_replicas(
    review: &FleetAutoscaleReview,
    fleet: &Fleet,
    source: &str,
) -> ApplyResult {
    match &review.response {
        Some(r) if r.scale => Ok((r.replicas, false)),
        Some(_) => Ok((fleet.status.replicas, false)),
        None => Err(ApplyError::new(format!(
            "{source} response missing required 'response' field"
        ))),
    }
}

/// Webhook policy.
pub fn apply_webhook(
    w: Option<&UrlConfiguration>,
    fleet: &Fleet,
    ctx: &mut Context<'_>,
) -> ApplyResult {
    let Some(w) = w else {
        return Err(ApplyError::new("webhookPolicy parameter must not be nil"));
    };
    let url = build_url(w)?;
    let review = request_review(fleet, &ctx.request_uid, ctx.gates);
    let Some(exchange) = ctx.exchange.as_deref_mut() else {
        return Err(ApplyError::new(
            "no webhook transport available (pure library: supply an Exchange)",
        ));
    };
    let reply = exchange.webhook(&url, &review).map_err(ApplyError::new)?;
    if reply.status != 200 {
        return Err(ApplyError::new(format!(
            "bad status code {} from the server: {url}",
            reply.status
        )));
    }
    let answer = crate::review::decode_review(&reply.body).map_err(ApplyError::new)?;
    response_replicas(&answer, fleet, "webhook")
}

/// Wasm policy (Alpha).
pub fn apply_wasm(wp: Option<&WasmPolicy>, fleet: &Fleet, ctx: &mut Context<'_>) -> ApplyResult {
    if !ctx.gates.wasm_autoscaler {
        return Err(ApplyError::new(
            "cannot apply WasmPolicy unless feature flag WasmAutoscaler is enabled",
        ));
    }
    let Some(wp) = wp else {
        return Err(ApplyError::new("wasmPolicy parameter must not be nil"));
    };
    let Some(from) = &wp.from.url else {
        return Err(ApplyError::new("wasm from configuration is missing"));
    };
    let url = build_url(from)?;
    let review = request_review(fleet, &ctx.request_uid, ctx.gates);
    let input = serde_json::to_vec(&review).map_err(|e| ApplyError::new(e.to_string()))?;
    let Some(exchange) = ctx.exchange.as_deref_mut() else {
        return Err(ApplyError::new(
            "no Wasm runtime available (pure library: supply an Exchange)",
        ));
    };
    let output = exchange.wasm(&url, wp, &input).map_err(|f| match f {
        WasmFailure::Fetch(m) => ApplyError::new(m),
        WasmFailure::Create(m) => {
            ApplyError::new(format!("failed to create Wasm plugin from {url}: {m}"))
        }
        WasmFailure::Call(m) => ApplyError::new(format!(
            "failed to call Wasm plugin function {}: {m}",
            wp.function
        )),
    })?;
    let mut answer = review;
    crate::review::decode_review_into(&output, &mut answer)
        .map_err(|e| ApplyError::new(format!("failed to unmarshal autoscaling response: {e}")))?;
    response_replicas(&answer, fleet, "wasm")
}

/// Schedule policy: the inner policy while active, else Agones' inactive-schedule error carrying
/// the fleet's status replicas.
pub fn apply_schedule(
    s: Option<&SchedulePolicy>,
    fleet: &Fleet,
    gs: &[GameServer],
    ctx: &mut Context<'_>,
) -> ApplyResult {
    if !ctx.gates.scheduled_autoscaler {
        return Err(ApplyError::new(
            "cannot apply SchedulePolicy unless feature flag ScheduledAutoscaler is enabled",
        ));
    }
    let Some(s) = s else {
        return Err(ApplyError::new("schedulePolicy parameter must not be nil"));
    };
    if crate::schedule::is_active(s, ctx.now)? {
        return compute_desired(&s.policy, fleet, gs, ctx);
    }
    Err(ApplyError {
        message: "inactive schedule, policy not applicable".to_string(),
        replicas: fleet.status.replicas,
        limited: false,
        inactive_schedule: true,
    })
}

/// Chain policy: the first entry that returns no error wins; if all fail, the last error (with its
/// replicas) is returned. Records `Chain:<id>:<type>` in `ctx.chain_entry`.
pub fn apply_chain(
    chain: &[ChainEntry],
    fleet: &Fleet,
    gs: &[GameServer],
    ctx: &mut Context<'_>,
) -> ApplyResult {
    if !ctx.gates.scheduled_autoscaler {
        return Err(ApplyError::new(
            "cannot apply ChainPolicy unless feature flag ScheduledAutoscaler is enabled",
        ));
    }
    if chain.is_empty() {
        // Agones indexes the (empty) chosen entry and panics; an error is kinder.
        let mut e = ApplyError::new("chain policy has no entries");
        e.replicas = fleet.status.replicas;
        return Err(e);
    }
    let mut last: ApplyResult = Ok((fleet.status.replicas, false));
    for entry in chain {
        let result = match entry.policy.policy_type.as_str() {
            policy_type::SCHEDULE => {
                apply_schedule(entry.policy.schedule.as_deref(), fleet, gs, ctx)
            }
            policy_type::WEBHOOK => apply_webhook(entry.policy.webhook.as_ref(), fleet, ctx),
            _ => compute_desired(&entry.policy, fleet, gs, ctx),
        };
        if result.is_ok() {
            ctx.chain_entry = Some(format!("Chain:{}:{}", entry.id, entry.policy.policy_type));
            return result;
        }
        last = result;
    }
    last
}
