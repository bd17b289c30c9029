//! The cluster side (kube-rs): watchers that keep the [`Store`] current, the node-load controller
//! and leader election. Each loop only moves events between the API server and the pure logic
//! ([`Store`], [`NodeLoads`], [`leader::decide`]); it runs until the process stops, retrying with
//! kube-rs' default backoff.

use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Api, Client, Resource, ResourceExt as _};
use serde::de::DeserializeOwned;
use tokio::sync::watch as tokio_watch;

use crate::crd::{Fleet, FleetAutoscaler};
use crate::leader::{self, Action};
use crate::load::{Event, LoadConfig, NodeLoads, PodPlacement, RateLimit};
use crate::store::{Key, Store};
use crate::{LOAD_ANNOTATION, ROLE_GAMESERVER, ROLE_LABEL};

fn key<K: Resource>(obj: &K) -> Key {
    let meta = obj.meta();
    (
        meta.namespace.clone().unwrap_or_else(|| "default".into()),
        meta.name.clone().unwrap_or_default(),
    )
}

async fn sync<K>(
    api: Api<K>,
    what: &str,
    apply: impl Fn(&K),
    delete: impl Fn(&Key),
    retain: impl Fn(&HashSet<Key>),
) where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let stream = watcher(api, watcher::Config::default()).default_backoff();
    let mut stream = std::pin::pin!(stream);
    let mut seen = HashSet::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(watcher::Event::Init) => seen.clear(),
            Ok(watcher::Event::InitApply(obj)) => {
                seen.insert(key(&obj));
                apply(&obj);
            }
            Ok(watcher::Event::InitDone) => {
                retain(&seen);
                tracing::info!(count = seen.len(), "{what} listed");
            }
            Ok(watcher::Event::Apply(obj)) => apply(&obj),
            Ok(watcher::Event::Delete(obj)) => delete(&key(&obj)),
            Err(e) => tracing::warn!(error = %e, "{what} watch failed; retrying"),
        }
    }
}

/// Keeps `store` in step with every Fleet in the cluster.
pub async fn watch_fleets(client: Client, store: Arc<Store>) {
    sync(
        Api::<Fleet>::all(client),
        "fleets",
        |f| {
            store.apply_fleet(f);
        },
        |(ns, name)| store.delete_fleet(ns, name),
        |keep| store.retain(false, keep),
    )
    .await;
}

/// Keeps `store` in step with every FleetAutoscaler in the cluster.
pub async fn watch_autoscalers(client: Client, store: Arc<Store>) {
    sync(
        Api::<FleetAutoscaler>::all(client),
        "fleetautoscalers",
        |fas| {
            if let Err(e) = store.apply_autoscaler(fas) {
                tracing::warn!(error = %e, "FleetAutoscaler policy ignored");
            }
        },
        |(ns, name)| store.delete_autoscaler(ns, name),
        |keep| store.retain(true, keep),
    )
    .await;
}

/// Node-load controller settings.
#[derive(Clone, Debug)]
pub struct NodeLoadOptions {
    /// Where target and max loads come from.
    pub config: LoadConfig,
    /// At most one patch per node this often.
    pub per_node: Duration,
    /// At most this many patches…
    pub burst: usize,
    /// …per this window, over all nodes.
    pub window: Duration,
}

impl Default for NodeLoadOptions {
    fn default() -> Self {
        NodeLoadOptions {
            config: LoadConfig::default(),
            per_node: Duration::from_secs(1),
            burst: 20,
            window: Duration::from_secs(1),
        }
    }
}

/// Counts game-server pods per node and, while `leader` is true, patches each node's
/// [`LOAD_ANNOTATION`] when its value changes (merge patch of that one annotation).
pub async fn node_loads(
    client: Client,
    opts: NodeLoadOptions,
    leader: tokio_watch::Receiver<bool>,
) {
    let pods = watcher(
        Api::<Pod>::all(client.clone()),
        watcher::Config::default().labels(&format!("{ROLE_LABEL}={ROLE_GAMESERVER}")),
    )
    .default_backoff();
    let nodes_api = Api::<Node>::all(client);
    let nodes = watcher(nodes_api.clone(), watcher::Config::default()).default_backoff();
    let (mut pods, mut nodes) = (std::pin::pin!(pods), std::pin::pin!(nodes));
    let mut state = NodeLoads::new(opts.config.clone());
    let mut limit = RateLimit::new(opts.per_node, opts.burst, opts.window);
    let (mut pod_buf, mut node_buf) = (Vec::new(), Vec::new());
    let (mut pods_synced, mut nodes_synced) = (false, false);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            Some(ev) = pods.next() => match ev {
                Ok(watcher::Event::Init) => pod_buf.clear(),
                Ok(watcher::Event::InitApply(p)) => pod_buf.extend(PodPlacement::of(&p)),
                Ok(watcher::Event::InitDone) => {
                    state.apply(Event::PodsListed(std::mem::take(&mut pod_buf)));
                    pods_synced = true;
                }
                Ok(watcher::Event::Apply(p)) => if let Some(p) = PodPlacement::of(&p) { state.apply(Event::PodApplied(p)) },
                Ok(watcher::Event::Delete(p)) => state.apply(Event::PodDeleted((p.namespace().unwrap_or_default(), p.name_any()))),
                Err(e) => tracing::warn!(error = %e, "pod watch failed; retrying"),
            },
            Some(ev) = nodes.next() => match ev {
                Ok(watcher::Event::Init) => node_buf.clear(),
                Ok(watcher::Event::InitApply(n)) => node_buf.push(n),
                Ok(watcher::Event::InitDone) => {
                    state.apply(Event::NodesListed(std::mem::take(&mut node_buf)));
                    nodes_synced = true;
                }
                Ok(watcher::Event::Apply(n)) => state.apply(Event::NodeApplied(Box::new(n))),
                Ok(watcher::Event::Delete(n)) => state.apply(Event::NodeDeleted(n.name_any())),
                Err(e) => tracing::warn!(error = %e, "node watch failed; retrying"),
            },
            _ = tick.tick() => {
                if !(pods_synced && nodes_synced && *leader.borrow()) {
                    continue;
                }
                for (node, value) in limit.admit(state.changes(), Instant::now()) {
                    let patch = serde_json::json!({"metadata": {"annotations": {LOAD_ANNOTATION: value}}});
                    match nodes_api.patch(&node, &PatchParams::default(), &Patch::Merge(&patch)).await {
                        Ok(_) => {
                            tracing::debug!(%node, %value, "node load patched");
                            state.patched(&node, &value);
                        }
                        Err(e) => tracing::warn!(%node, error = %e, "node load patch failed"),
                    }
                }
            }
        }
    }
}

/// Leader election settings.
#[derive(Clone, Debug)]
pub struct LeaseOptions {
    /// Lease namespace.
    pub namespace: String,
    /// Lease name.
    pub name: String,
    /// This replica's identity (its pod name).
    pub identity: String,
    /// Lease duration; renewed every third of it.
    pub duration_seconds: i32,
}

async fn try_lead(api: &Api<Lease>, opts: &LeaseOptions) -> Result<bool, kube::Error> {
    let now = k8s_openapi::jiff::Timestamp::now();
    let conflict = |e: &kube::Error| matches!(e, kube::Error::Api(s) if s.code == 409);
    match api.get_opt(&opts.name).await? {
        None => {
            let lease = Lease {
                metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                    name: Some(opts.name.clone()),
                    ..Default::default()
                },
                spec: Some(leader::next(
                    None,
                    &Action::Acquire,
                    &opts.identity,
                    now,
                    opts.duration_seconds,
                )),
            };
            match api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(e) if conflict(&e) => Ok(false),
                Err(e) => Err(e),
            }
        }
        Some(mut lease) => match leader::decide(lease.spec.as_ref(), &opts.identity, now) {
            Action::Follow(_) => Ok(false),
            action => {
                lease.spec = Some(leader::next(
                    lease.spec.as_ref(),
                    &action,
                    &opts.identity,
                    now,
                    opts.duration_seconds,
                ));
                // `replace` sends the resourceVersion read above: a concurrent writer makes it 409.
                match api
                    .replace(&opts.name, &PostParams::default(), &lease)
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(e) if conflict(&e) => Ok(false),
                    Err(e) => Err(e),
                }
            }
        },
    }
}

/// Runs leader election on a Lease, publishing whether this replica leads. A leader that cannot
/// renew within the lease duration steps down.
pub async fn elect(client: Client, opts: LeaseOptions, leader: tokio_watch::Sender<bool>) {
    let api = Api::<Lease>::namespaced(client, &opts.namespace);
    let period = Duration::from_secs(u64::try_from(opts.duration_seconds.max(3)).unwrap_or(15) / 3);
    let mut last_renewed: Option<Instant> = None;
    loop {
        let leads = match try_lead(&api, &opts).await {
            Ok(true) => {
                last_renewed = Some(Instant::now());
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::warn!(error = %e, "lease update failed");
                last_renewed.is_some_and(|t| t.elapsed() < period * 3)
            }
        };
        if leader.send_replace(leads) != leads {
            tracing::info!(leader = leads, identity = %opts.identity, "leadership changed");
        }
        tokio::time::sleep(period).await;
    }
}
