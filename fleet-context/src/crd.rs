//! Typed Agones objects, with only the fields fleet-context reads: `fleets.agones.dev/v1` and
//! `fleetautoscalers.autoscaling.agones.dev/v1`. Unknown fields are ignored, so full objects (as the
//! API server or `kubectl get -o yaml` gives them) deserialise.

use std::borrow::Cow;

use fleet_autoscaling::{FleetAutoscalerPolicy, FleetStatus, GameServerTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// An Agones `Fleet` (`agones.dev/v1`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Fleet {
    /// Standard metadata (name, namespace).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The parts of `spec` used.
    #[serde(default)]
    pub spec: FleetSpec,
    /// The fleet's status, when the object carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<FleetStatus>,
}

/// `Fleet.spec`: the replicas and the GameServer template's Counters and Lists.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetSpec {
    /// Desired replicas.
    #[serde(default)]
    pub replicas: i32,
    /// `spec.template` (a GameServer template).
    #[serde(default)]
    pub template: GameServerTemplate,
}

/// `Fleet.spec.template`: only its `spec` (Counters and Lists) is read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GameServerTemplate {
    /// `spec.template.spec` (`counters`, `lists`; the pod template is ignored).
    #[serde(default)]
    pub spec: GameServerTemplateSpec,
}

/// An Agones `FleetAutoscaler` (`autoscaling.agones.dev/v1`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetAutoscaler {
    /// Standard metadata (name, namespace, annotations).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// `spec.fleetName` and `spec.policy`.
    #[serde(default)]
    pub spec: FleetAutoscalerSpec,
}

/// `FleetAutoscaler.spec` (the parts used).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetAutoscalerSpec {
    /// The fleet it scales (same namespace).
    #[serde(default)]
    pub fleet_name: String,
    /// Its policy.
    #[serde(default)]
    pub policy: FleetAutoscalerPolicy,
}

macro_rules! agones_resource {
    ($ty:ty, $kind:literal, $group:literal, $plural:literal) => {
        impl kube::Resource for $ty {
            type DynamicType = ();
            type Scope = k8s_openapi::NamespaceResourceScope;
            fn kind(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($kind)
            }
            fn group(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($group)
            }
            fn version(_: &()) -> Cow<'_, str> {
                Cow::Borrowed("v1")
            }
            fn api_version(_: &()) -> Cow<'_, str> {
                Cow::Borrowed(concat!($group, "/v1"))
            }
            fn plural(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($plural)
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

agones_resource!(Fleet, "Fleet", "agones.dev", "fleets");
agones_resource!(
    FleetAutoscaler,
    "FleetAutoscaler",
    "autoscaling.agones.dev",
    "fleetautoscalers"
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn urls_are_the_agones_api_paths() {
        use kube::Resource as _;
        assert_eq!(
            Fleet::url_path(&(), Some("games")),
            "/apis/agones.dev/v1/namespaces/games/fleets"
        );
        assert_eq!(
            FleetAutoscaler::url_path(&(), None),
            "/apis/autoscaling.agones.dev/v1/fleetautoscalers"
        );
    }
}
