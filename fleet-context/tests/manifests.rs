//! Every document under `deploy/fleet-context/` deserialises into its typed form — k8s-openapi for
//! Kubernetes kinds (and serialises back to the same JSON, so a misspelt field cannot hide), the
//! Agones CRD structs for Agones kinds, minimal strict structs for cert-manager's — and the
//! properties the design relies on hold.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/fleet-context")
}

fn roundtrip<T: DeserializeOwned + serde::Serialize>(doc: &Value, file: &str) -> T {
    let typed: T = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(
        &serde_json::to_value(&typed).unwrap(),
        doc,
        "{file}: a field did not survive"
    );
    typed
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct CertManagerObject {
    api_version: String,
    kind: String,
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    spec: CertManagerSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct CertManagerSpec {
    self_signed: Option<BTreeMap<String, Value>>,
    ca: Option<BTreeMap<String, String>>,
    #[serde(rename = "isCA")]
    is_ca: Option<bool>,
    common_name: Option<String>,
    secret_name: Option<String>,
    duration: Option<String>,
    renew_before: Option<String>,
    dns_names: Option<Vec<String>>,
    private_key: Option<BTreeMap<String, Value>>,
    issuer_ref: Option<BTreeMap<String, String>>,
}

#[test]
fn every_manifest_document_is_a_valid_typed_object() {
    let mut kinds = Vec::new();
    let mut webhook = None;
    let mut cluster_role = None;
    let mut certificates = Vec::new();
    let mut deployment = None;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !file.ends_with(".yaml") || file == "kustomization.yaml" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for doc in fleet_context::objects::documents(&text).unwrap() {
            let kind = doc["kind"].as_str().unwrap().to_owned();
            match kind.as_str() {
                "Namespace" => drop(roundtrip::<Namespace>(&doc, &file)),
                "ServiceAccount" => drop(roundtrip::<ServiceAccount>(&doc, &file)),
                "ClusterRole" => cluster_role = Some(roundtrip::<ClusterRole>(&doc, &file)),
                "ClusterRoleBinding" => drop(roundtrip::<ClusterRoleBinding>(&doc, &file)),
                "Role" => drop(roundtrip::<Role>(&doc, &file)),
                "RoleBinding" => drop(roundtrip::<RoleBinding>(&doc, &file)),
                "Deployment" => deployment = Some(roundtrip::<Deployment>(&doc, &file)),
                "Service" => drop(roundtrip::<Service>(&doc, &file)),
                "MutatingWebhookConfiguration" => {
                    webhook = Some(roundtrip::<MutatingWebhookConfiguration>(&doc, &file));
                }
                "Issuer" | "Certificate" => {
                    let obj: CertManagerObject = serde_json::from_value(doc.clone())
                        .unwrap_or_else(|e| panic!("{file}: {e}"));
                    assert_eq!(obj.api_version, "cert-manager.io/v1");
                    if kind == "Certificate" {
                        certificates.push(obj);
                    }
                }
                "FleetAutoscaler" => {
                    let fas: fleet_context::crd::FleetAutoscaler =
                        serde_json::from_value(doc.clone()).unwrap();
                    let policy = fleet_context::store::scoring_policy(&fas).unwrap();
                    assert_eq!(policy.unwrap().policy_type, "Buffer");
                    let full =
                        fleet_autoscaling::load::load_fleet_autoscaler(&doc.to_string()).unwrap();
                    assert!(
                        fleet_autoscaling::validate::validate(&full.spec).is_empty(),
                        "{file}"
                    );
                }
                other => panic!("{file}: unexpected kind {other}"),
            }
            kinds.push(kind);
        }
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "Certificate",
            "Certificate",
            "ClusterRole",
            "ClusterRoleBinding",
            "Deployment",
            "FleetAutoscaler",
            "Issuer",
            "Issuer",
            "MutatingWebhookConfiguration",
            "Namespace",
            "Role",
            "RoleBinding",
            "Service",
            "ServiceAccount"
        ]
    );

    let webhook = webhook.unwrap();
    let ann = webhook.metadata.annotations.as_ref().unwrap();
    assert_eq!(
        ann["cert-manager.io/inject-ca-from"],
        "fleet-context/fleet-context-tls"
    );
    let hook = &webhook.webhooks.as_ref().unwrap()[0];
    assert_eq!(hook.failure_policy.as_deref(), Some("Ignore"));
    assert_eq!(hook.side_effects, "None");
    assert_eq!(hook.admission_review_versions, ["v1"]);
    assert!(hook.timeout_seconds.unwrap() <= 5);
    let selector = hook
        .object_selector
        .as_ref()
        .unwrap()
        .match_labels
        .as_ref()
        .unwrap();
    assert_eq!(selector["agones.dev/role"], "gameserver");
    let svc = hook.client_config.service.as_ref().unwrap();
    assert_eq!(
        (svc.path.as_deref(), svc.port),
        (Some("/mutate"), Some(443))
    );
    let rule = &hook.rules.as_ref().unwrap()[0];
    assert_eq!(rule.operations.as_deref(), Some(&["CREATE".to_owned()][..]));
    assert_eq!(rule.resources.as_deref(), Some(&["pods".to_owned()][..]));

    // Least privilege: exactly these verbs on exactly these resources.
    let rules: Vec<(String, Vec<String>)> = cluster_role
        .unwrap()
        .rules
        .unwrap()
        .into_iter()
        .map(|r| (r.resources.unwrap().join(","), r.verbs))
        .collect();
    let read = vec!["get".to_owned(), "list".to_owned(), "watch".to_owned()];
    let mut patch = read.clone();
    patch.push("patch".into());
    assert_eq!(
        rules,
        [
            ("fleets".into(), read.clone()),
            ("fleetautoscalers".into(), read.clone()),
            ("pods".into(), read),
            ("nodes".into(), patch)
        ]
    );

    // The serving certificate names the Service and lands in the Secret the Deployment mounts.
    let tls = certificates
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some("fleet-context-tls"))
        .unwrap();
    assert_eq!(
        tls.spec.dns_names.as_ref().unwrap()[0],
        "fleet-context.fleet-context.svc"
    );
    let deployment = deployment.unwrap();
    let volumes = deployment
        .spec
        .unwrap()
        .template
        .spec
        .unwrap()
        .volumes
        .unwrap();
    assert_eq!(
        volumes[0].secret.as_ref().unwrap().secret_name,
        tls.spec.secret_name
    );
}

#[test]
fn the_kustomization_lists_every_cluster_manifest() {
    let text = std::fs::read_to_string(dir().join("kustomization.yaml")).unwrap();
    let docs = fleet_context::objects::documents(&text).unwrap();
    let listed: Vec<&str> = docs[0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [
            "namespace.yaml",
            "rbac.yaml",
            "certificate.yaml",
            "deployment.yaml",
            "webhook.yaml"
        ]
    );
    for file in listed {
        assert!(dir().join(file).exists(), "{file}");
    }
}
