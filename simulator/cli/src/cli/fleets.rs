//! `simulator run --fleets FILE`: the cluster's fleet-context around the scheduler, with the code
//! the cluster runs. Game-server pods are enriched at the start of their cycle as the admission
//! webhook enriches them at creation (`fleet_context::enrich`), each bound game-server pod counts
//! as one more Ready replica of its fleet (as Agones reports once the server is up), and node
//! loads are derived from the game-server pods bound to each node (`fleet_context::load`, the
//! node-load controller's logic).

use fleet_context::enrich::{self, PodMeta};
use fleet_context::load::{Event, LoadConfig, NodeLoads, PodPlacement};
use fleet_context::store::Store;
use fleet_context::{LOAD_ANNOTATION, objects};
use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::Value;
use simulator_framework::ControlPlane;

use super::CliError;

/// Fleets, their autoscalers and node loads, as fleet-context keeps them.
#[derive(Debug)]
pub struct FleetContext {
    store: Store,
    options: enrich::Options,
    loads: NodeLoads,
}

impl FleetContext {
    /// Reads Fleets and FleetAutoscalers (YAML or JSON, as `fleet-context --fleets`); returns the
    /// control plane and one warning per FleetAutoscaler whose policy FleetScore cannot use.
    pub fn from_text(
        text: &str,
        source: &str,
        loads: LoadConfig,
    ) -> Result<(FleetContext, Vec<String>), CliError> {
        let objects = objects::parse(text).map_err(|e| CliError(format!("{source}: {e}")))?;
        if objects.fleets.is_empty() {
            return Err(CliError(format!(
                "{source}: no Fleet (apiVersion agones.dev/v1, kind Fleet) in the file"
            )));
        }
        let store = Store::new();
        let warnings = objects::load(&store, &objects)
            .into_iter()
            .map(|w| format!("{source}: {w}"))
            .collect();
        Ok((
            FleetContext {
                store,
                options: enrich::Options::default(),
                loads: NodeLoads::new(loads),
            },
            warnings,
        ))
    }

    /// Writes the load annotation on the nodes whose value changed; returns their indices.
    fn write_loads(&mut self, nodes: &mut [Value]) -> Vec<usize> {
        let mut changed = Vec::new();
        for (name, value) in self.loads.changes() {
            let Some(i) = nodes
                .iter()
                .position(|n| n.pointer("/metadata/name").and_then(Value::as_str) == Some(&name))
            else {
                continue;
            };
            let Some(meta) = nodes[i].get_mut("metadata").and_then(Value::as_object_mut) else {
                continue;
            };
            let annotations = meta
                .entry("annotations")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(annotations) = annotations.as_object_mut() {
                annotations.insert(LOAD_ANNOTATION.into(), Value::from(value.clone()));
                self.loads.patched(&name, &value);
                changed.push(i);
            }
        }
        changed
    }
}

fn placement(pod: &Value) -> Option<PodPlacement> {
    let pod: Pod = serde_json::from_value(pod.clone()).ok()?;
    PodPlacement::of(&pod)
}

fn namespace(meta: &PodMeta) -> String {
    meta.namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".into())
}

impl ControlPlane for FleetContext {
    fn start(&mut self, pods: &[Value], nodes: &mut [Value]) -> Vec<usize> {
        let typed: Vec<Node> = nodes
            .iter()
            .filter_map(|n| serde_json::from_value(n.clone()).ok())
            .collect();
        self.loads.apply(Event::NodesListed(typed));
        self.loads.apply(Event::PodsListed(
            pods.iter().filter_map(placement).collect(),
        ));
        self.write_loads(nodes)
    }

    fn admit(&mut self, pod: &mut Value) {
        let Ok(meta) = PodMeta::from_pod(pod) else {
            return;
        };
        // A pod the webhook cannot enrich passes unchanged (failurePolicy: Ignore).
        if let Ok(e) = enrich::enrich(&meta, &namespace(&meta), &self.store, &self.options) {
            enrich::apply(pod, &e);
        }
    }

    fn bound(&mut self, pod: &Value, nodes: &mut [Value]) -> Vec<usize> {
        // Not a game-server pod: neither its fleet's status nor any node load changes.
        let Some(placed) = placement(pod) else {
            return Vec::new();
        };
        if let Ok(meta) = PodMeta::from_pod(pod) {
            let ns = namespace(&meta);
            let fleet = meta
                .labels
                .as_ref()
                .and_then(|l| l.get(&self.options.fleet_label))
                .cloned();
            if let Some(fleet) = fleet
                && let Some(mut status) = self.store.fleet(&ns, &fleet).and_then(|v| v.status)
            {
                // The server starts and turns Ready: Agones counts it in the fleet's status.
                status.replicas = status.replicas.saturating_add(1);
                status.ready_replicas = status.ready_replicas.saturating_add(1);
                self.store.learn_status(&ns, &fleet, status);
            }
        }
        self.loads.apply(Event::PodApplied(placed));
        self.write_loads(nodes)
    }
}
