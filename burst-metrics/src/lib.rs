//! The burst metrics service: how loaded each HPA-scaled workload is, as `X-Load-Feedback`
//! values, for the `burst-header` Envoy filter. The API and the numbers are those of the seed's
//! C# service (retaildevcrews/istio `burstsvc`):
//!
//! - `GET /burstmetrics/services`, `/burstmetrics/deployments`, `/burstmetrics/hpas` → a JSON
//!   object `"<namespace>/<name>"` → header value, or `204 No Content` when there is no HPA at all;
//! - `GET /burstmetrics/{services|deployments|hpas}/<namespace>/<name>` → the value as
//!   `text/plain`, or `204` when unknown.
//!
//! From an `autoscaling/v2` HPA: `current-load` = `status.currentReplicas` (0 when unset),
//! `max-load` = `spec.maxReplicas`, `target-load` = ⌊max × 0.8⌋, or `max` when that is 0;
//! `service=` is `<namespace>/<spec.scaleTargetRef.name>`.
//!
//! ```
//! use burst_metrics::{feedback, header_value};
//! let hpa = serde_json::from_value(serde_json::json!({
//!     "metadata": {"name": "echo", "namespace": "default"},
//!     "spec": {"maxReplicas": 2, "scaleTargetRef": {"kind": "Deployment", "name": "echo"}},
//!     "status": {"currentReplicas": 1, "desiredReplicas": 1}
//! }))?;
//! let f = feedback(&hpa).ok_or("no spec or status")?;
//! assert_eq!(header_value(&f), "service=default/echo, current-load=1, target-load=1, max-load=2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Service;

pub mod server;
pub mod source;

/// The seed service's `TargetPercent`: the load at which a client should burst elsewhere.
pub const TARGET_PERCENT: f64 = 0.8;

/// The numbers of one HPA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// `<namespace>/<scaleTargetRef.name>`.
    pub service: String,
    /// `status.currentReplicas` (0 when unset).
    pub current_load: i32,
    /// ⌊max × [`TARGET_PERCENT`]⌋, or max when that is 0.
    pub target_load: i32,
    /// `spec.maxReplicas`.
    pub max_load: i32,
}

/// The load of one HPA; `None` when it has no `spec` or no `status` (the seed service fails its
/// whole refresh on such an HPA; this one leaves that HPA out).
pub fn feedback(hpa: &HorizontalPodAutoscaler) -> Option<Feedback> {
    let spec = hpa.spec.as_ref()?;
    let status = hpa.status.as_ref()?;
    let namespace = hpa.metadata.namespace.as_deref().unwrap_or_default();
    let max = spec.max_replicas;
    let mut target = (f64::from(max) * TARGET_PERCENT).floor() as i32;
    if target == 0 {
        target = max;
    }
    Some(Feedback {
        service: format!("{namespace}/{}", spec.scale_target_ref.name),
        current_load: status.current_replicas.unwrap_or(0),
        target_load: target,
        max_load: max,
    })
}

/// The header value: `service=<ns>/<name>, current-load=N, target-load=N, max-load=N`.
pub fn header_value(f: &Feedback) -> String {
    format!(
        "service={}, current-load={}, target-load={}, max-load={}",
        f.service, f.current_load, f.target_load, f.max_load
    )
}

/// Which map a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Keyed by HPA name.
    Hpa,
    /// Keyed by the HPA's scale target (HPAs whose `scaleTargetRef.kind` is the target kind).
    Deployment,
    /// Keyed by the Services labelled like the target Deployment's pods.
    Service,
}

impl Kind {
    /// `hpas`, `deployments`, `services` (the path segment; case-insensitive, as the seed's).
    pub fn from_plural(s: &str) -> Option<Kind> {
        match s.to_ascii_lowercase().as_str() {
            "hpas" => Some(Kind::Hpa),
            "deployments" => Some(Kind::Deployment),
            "services" => Some(Kind::Service),
            _ => None,
        }
    }
}

/// How HPAs map to Services (the seed's `Service:TargetScaleObj` and `Service:SelectorLabel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The `scaleTargetRef.kind` that counts (case-insensitive); default `Deployment`.
    pub target_kind: String,
    /// Pod-template labels of the target copied into the Service label selector; default `app`.
    pub selector_labels: Vec<String>,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping {
            target_kind: "Deployment".to_string(),
            selector_labels: vec!["app".to_string()],
        }
    }
}

/// The three maps, `"<namespace>/<name>"` → header value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maps {
    /// By HPA.
    pub hpas: BTreeMap<String, String>,
    /// By scale target (Deployment).
    pub deployments: BTreeMap<String, String>,
    /// By Service.
    pub services: BTreeMap<String, String>,
}

impl Maps {
    /// The map for `kind`.
    pub fn get(&self, kind: Kind) -> &BTreeMap<String, String> {
        match kind {
            Kind::Hpa => &self.hpas,
            Kind::Deployment => &self.deployments,
            Kind::Service => &self.services,
        }
    }
}

/// Builds the maps as the seed service does: every HPA by name; those whose target kind matches
/// by target name; and for those, every Service in the namespace whose labels match the target
/// Deployment's pod-template labels named in `mapping.selector_labels`. (When none of those labels
/// is on the pods the seed lists *every* Service in the namespace; this maps none.)
pub fn build_maps(
    hpas: &[HorizontalPodAutoscaler],
    deployments: &[Deployment],
    services: &[Service],
    mapping: &Mapping,
) -> Maps {
    let mut maps = Maps::default();
    for hpa in hpas {
        let Some(f) = feedback(hpa) else { continue };
        let value = header_value(&f);
        let namespace = hpa.metadata.namespace.as_deref().unwrap_or_default();
        let name = hpa.metadata.name.as_deref().unwrap_or_default();
        maps.hpas
            .insert(format!("{namespace}/{name}"), value.clone());
        let Some(spec) = &hpa.spec else { continue };
        if !spec
            .scale_target_ref
            .kind
            .eq_ignore_ascii_case(&mapping.target_kind)
        {
            continue;
        }
        let target = &spec.scale_target_ref.name;
        maps.deployments
            .insert(format!("{namespace}/{target}"), value.clone());
        let pod_labels = deployments
            .iter()
            .find(|d| {
                d.metadata.namespace.as_deref() == Some(namespace)
                    && d.metadata.name.as_deref() == Some(target)
            })
            .and_then(|d| d.spec.as_ref())
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.labels.as_ref());
        let Some(pod_labels) = pod_labels else {
            continue;
        };
        let selector: Vec<(&String, &String)> = mapping
            .selector_labels
            .iter()
            .filter_map(|k| pod_labels.get_key_value(k))
            .collect();
        if selector.is_empty() {
            continue;
        }
        for svc in services {
            if svc.metadata.namespace.as_deref() != Some(namespace) {
                continue;
            }
            let labels = svc.metadata.labels.as_ref();
            let matches = selector
                .iter()
                .all(|(k, v)| labels.and_then(|l| l.get(*k)) == Some(*v));
            if let (true, Some(name)) = (matches, svc.metadata.name.as_deref()) {
                maps.services
                    .insert(format!("{namespace}/{name}"), value.clone());
            }
        }
    }
    maps
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    pub(crate) fn hpa(
        ns: &str,
        name: &str,
        target: &str,
        max: i32,
        current: Option<i32>,
    ) -> HorizontalPodAutoscaler {
        let mut status = json!({"desiredReplicas": 1});
        if let Some(c) = current {
            status["currentReplicas"] = json!(c);
        }
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": ns},
            "spec": {"maxReplicas": max, "minReplicas": 1,
                     "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}},
            "status": status
        }))
        .unwrap()
    }

    #[test]
    fn formula() {
        // (max, current) -> (target, current): floor(max * 0.8), or max when that floors to 0.
        for (max, current, want_target, want_current) in [
            (1, Some(1), 1, 1),
            (2, Some(1), 1, 1),
            (2, Some(2), 1, 2),
            (3, Some(1), 2, 1),
            (5, Some(3), 4, 3),
            (6, Some(6), 4, 6),
            (10, None, 8, 0),
            (0, Some(0), 0, 0),
        ] {
            let f = feedback(&hpa("default", "echo", "echo", max, current)).unwrap();
            assert_eq!(
                (f.target_load, f.current_load, f.max_load),
                (want_target, want_current, max)
            );
        }
        let f = feedback(&hpa("default", "echo-hpa", "echo", 2, Some(1))).unwrap();
        assert_eq!(
            header_value(&f),
            "service=default/echo, current-load=1, target-load=1, max-load=2"
        );
        let mut no_status = hpa("default", "echo", "echo", 2, Some(1));
        no_status.status = None;
        assert_eq!(feedback(&no_status), None);
    }

    #[test]
    fn maps() {
        let hpas = vec![
            hpa("default", "echo-hpa", "echo", 2, Some(1)),
            hpa("shop", "cart", "cart", 10, Some(9)),
        ];
        let deployments: Vec<Deployment> = vec![
            serde_json::from_value(json!({
                "metadata": {"name": "echo", "namespace": "default"},
                "spec": {"selector": {"matchLabels": {"app": "echo"}},
                         "template": {"metadata": {"labels": {"app": "echo", "version": "v1"}}}}
            }))
            .unwrap(),
        ];
        let svc = |ns: &str, name: &str, app: &str| -> Service {
            serde_json::from_value(
                json!({"metadata": {"name": name, "namespace": ns, "labels": {"app": app}}}),
            )
            .unwrap()
        };
        let services = vec![
            svc("default", "echo", "echo"),
            svc("default", "echo-canary", "echo"),
            svc("default", "other", "other"),
            svc("shop", "echo", "echo"),
        ];
        let m = build_maps(&hpas, &deployments, &services, &Mapping::default());
        let echo = "service=default/echo, current-load=1, target-load=1, max-load=2";
        let cart = "service=shop/cart, current-load=9, target-load=8, max-load=10";
        assert_eq!(
            m.hpas,
            BTreeMap::from([
                ("default/echo-hpa".into(), echo.into()),
                ("shop/cart".into(), cart.into())
            ])
        );
        assert_eq!(
            m.deployments,
            BTreeMap::from([
                ("default/echo".into(), echo.into()),
                ("shop/cart".into(), cart.into())
            ])
        );
        assert_eq!(
            m.services,
            BTreeMap::from([
                ("default/echo".into(), echo.into()),
                ("default/echo-canary".into(), echo.into())
            ])
        );
        let by_hpa = build_maps(
            &hpas,
            &deployments,
            &services,
            &Mapping {
                target_kind: "StatefulSet".into(),
                ..Mapping::default()
            },
        );
        assert!(by_hpa.deployments.is_empty() && by_hpa.services.is_empty());
        assert_eq!(by_hpa.hpas.len(), 2);
    }
}
