//! The mutating admission webhook as a pure function: AdmissionReview (`admission.k8s.io/v1`)
//! bytes in, AdmissionReview with `response` out, or a 400 with a clear message.
//!
//! Every well-formed review is allowed: fleet-context only adds information, it never blocks a
//! pod. Pod CREATEs of game servers it can enrich get a JSONPatch; everything else passes unchanged.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::enrich::{self, Options, PodMeta, Unchanged};
use crate::store::Store;

/// The only AdmissionReview version served.
pub const API_VERSION: &str = "admission.k8s.io/v1";

/// A review that cannot be answered (HTTP 400).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadReview(pub String);

impl std::fmt::Display for BadReview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad AdmissionReview: {}", self.0)
    }
}

impl std::error::Error for BadReview {}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    api_version: Option<String>,
    kind: Option<String>,
    request: Option<Request>,
}

#[derive(Deserialize)]
struct Request {
    uid: Option<String>,
    kind: Option<GroupVersionKind>,
    operation: Option<String>,
    namespace: Option<String>,
    object: Option<Value>,
}

#[derive(Deserialize)]
struct GroupVersionKind {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
}

/// What the webhook did with one review.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The pod was enriched.
    Patched(enrich::Enrichment),
    /// The pod (or other object) passes unchanged, and why.
    Unchanged(Unchanged),
    /// Not a Pod CREATE.
    NotPodCreate,
}

/// Answers one AdmissionReview body: the response review (always `allowed: true`) and what was
/// done.
///
/// # Errors
/// [`BadReview`] when the body is not an `admission.k8s.io/v1` AdmissionReview with a request and
/// a uid, or when a Pod CREATE carries no pod object (or one whose metadata is malformed).
pub fn review(body: &[u8], store: &Store, opts: &Options) -> Result<(Value, Outcome), BadReview> {
    let review: Review = serde_json::from_slice(body).map_err(|e| {
        BadReview(if e.is_syntax() || e.is_eof() {
            format!("invalid JSON: {e}")
        } else {
            format!("not an AdmissionReview: {e}")
        })
    })?;
    match review.api_version.as_deref() {
        Some(API_VERSION) => {}
        other => {
            return Err(BadReview(format!(
                "apiVersion must be {API_VERSION:?}, got {:?}",
                other.unwrap_or("")
            )));
        }
    }
    if review.kind.as_deref() != Some("AdmissionReview") {
        return Err(BadReview(format!(
            "kind must be \"AdmissionReview\", got {:?}",
            review.kind.as_deref().unwrap_or("")
        )));
    }
    let request = review
        .request
        .ok_or_else(|| BadReview("request is missing".into()))?;
    let uid = request
        .uid
        .filter(|u| !u.is_empty())
        .ok_or_else(|| BadReview("request.uid is missing".into()))?;
    let is_pod = request
        .kind
        .as_ref()
        .is_some_and(|k| k.group.is_empty() && k.version == "v1" && k.kind == "Pod");
    if !is_pod || request.operation.as_deref() != Some("CREATE") {
        return Ok((allowed(&uid, None), Outcome::NotPodCreate));
    }
    let object = request
        .object
        .filter(Value::is_object)
        .ok_or_else(|| BadReview("request.object is missing for a Pod CREATE".into()))?;
    let pod = PodMeta::from_pod(&object).map_err(|e| BadReview(format!("request.object.{e}")))?;
    let namespace = request
        .namespace
        .filter(|n| !n.is_empty())
        .or_else(|| pod.namespace.clone())
        .unwrap_or_else(|| "default".into());
    match enrich::enrich(&pod, &namespace, store, opts) {
        Ok(e) => {
            let patch = enrich::json_patch(&pod, &e);
            Ok((allowed(&uid, Some(&patch)), Outcome::Patched(e)))
        }
        Err(why) => Ok((allowed(&uid, None), Outcome::Unchanged(why))),
    }
}

fn allowed(uid: &str, patch: Option<&Value>) -> Value {
    let mut response = json!({"uid": uid, "allowed": true});
    if let (Some(patch), Some(obj)) = (patch, response.as_object_mut()) {
        let bytes = serde_json::to_vec(patch).unwrap_or_default();
        obj.insert("patchType".into(), json!("JSONPatch"));
        obj.insert(
            "patch".into(),
            json!(base64::engine::general_purpose::STANDARD.encode(bytes)),
        );
    }
    json!({"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": response})
}
