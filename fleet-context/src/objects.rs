//! Fleets and FleetAutoscalers from a file (`--fleets`): YAML (one or more documents) or JSON, each
//! document an object or a list (`kind: List`, `FleetList`, …, with `items`).

use serde_json::Value;

use crate::crd::{Fleet, FleetAutoscaler};
use crate::store::Store;

/// The objects found in a file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Objects {
    /// Fleets.
    pub fleets: Vec<Fleet>,
    /// FleetAutoscalers.
    pub autoscalers: Vec<FleetAutoscaler>,
    /// `kind`s of the other objects (ignored).
    pub ignored: Vec<String>,
}

/// Splits `text` into its documents (JSON when it starts with `{` or `[`, else YAML).
///
/// # Errors
/// The parser's message.
pub fn documents(text: &str) -> Result<Vec<Value>, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        return Ok(match value {
            Value::Array(items) => items,
            v => vec![v],
        });
    }
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(text).map_err(|e| format!("invalid YAML: {e}"))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn collect(doc: Value, index: usize, out: &mut Objects) -> Result<(), String> {
    let kind = doc
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let api = doc
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(Value::Array(items)) = doc.get("items") {
        for item in items.clone() {
            collect(item, index, out)?;
        }
        return Ok(());
    }
    let what = |e: serde_json::Error| format!("document {index}: {kind} {e}");
    match (kind.as_str(), api.as_str()) {
        ("Fleet", "agones.dev/v1") => out.fleets.push(serde_json::from_value(doc).map_err(what)?),
        ("FleetAutoscaler", "autoscaling.agones.dev/v1") => {
            out.autoscalers
                .push(serde_json::from_value(doc).map_err(what)?);
        }
        ("Fleet" | "FleetAutoscaler", _) => {
            return Err(format!(
                "document {index}: {kind} has apiVersion {api:?}, expected {}",
                if kind == "Fleet" {
                    "agones.dev/v1"
                } else {
                    "autoscaling.agones.dev/v1"
                }
            ));
        }
        _ => out.ignored.push(if kind.is_empty() {
            "<no kind>".into()
        } else {
            kind
        }),
    }
    Ok(())
}

/// Parses the Fleets and FleetAutoscalers of a file.
///
/// # Errors
/// A message naming the document (1-based) at fault.
pub fn parse(text: &str) -> Result<Objects, String> {
    let mut out = Objects::default();
    for (i, doc) in documents(text)?.into_iter().enumerate() {
        collect(doc, i + 1, &mut out)?;
    }
    Ok(out)
}

/// Puts the objects into `store`; returns one warning per FleetAutoscaler whose scoring policy
/// was refused.
pub fn load(store: &Store, objects: &Objects) -> Vec<String> {
    for fleet in &objects.fleets {
        store.apply_fleet(fleet);
    }
    objects
        .autoscalers
        .iter()
        .filter_map(|fas| store.apply_autoscaler(fas).err())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn yaml_multi_doc_lists_and_json_are_read() {
        let yaml = "---\napiVersion: agones.dev/v1\nkind: Fleet\nmetadata: {name: a, namespace: g}\nstatus: {replicas: 3}\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: autoscaling.agones.dev/v1\n  kind: FleetAutoscaler\n  metadata: {name: a-fas, namespace: g}\n  spec: {fleetName: a, policy: {type: Buffer, buffer: {bufferSize: 2, maxReplicas: 10}}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n";
        let o = parse(yaml).unwrap();
        assert_eq!(o.fleets.len(), 1);
        assert_eq!(o.fleets[0].status.as_ref().unwrap().replicas, 3);
        assert_eq!(o.autoscalers[0].spec.fleet_name, "a");
        assert_eq!(o.ignored, ["ConfigMap"]);
        let json = r#"[{"apiVersion":"agones.dev/v1","kind":"Fleet","metadata":{"name":"b"}}]"#;
        assert_eq!(parse(json).unwrap().fleets.len(), 1);
    }

    #[test]
    fn bad_documents_are_named() {
        let err = parse("kind: Fleet\napiVersion: agones.dev/v2\n").unwrap_err();
        assert_eq!(
            err,
            "document 1: Fleet has apiVersion \"agones.dev/v2\", expected agones.dev/v1"
        );
        let err = parse("apiVersion: agones.dev/v1\nkind: Fleet\nstatus: {replicas: many}\n")
            .unwrap_err();
        assert!(
            err.starts_with("document 1: Fleet invalid type: string \"many\""),
            "{err}"
        );
        assert!(parse("{nope").unwrap_err().starts_with("invalid JSON"));
    }
}
