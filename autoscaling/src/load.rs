//! Loading a FleetAutoscaler from YAML or JSON text (YAML via `serde-saphyr`).

use crate::types::{FleetAutoscaler, FleetAutoscalerSpec};

/// Parses a FleetAutoscaler manifest (JSON if it starts with `{`, else YAML). A bare spec (a
/// document with `policy` at the top) is accepted too; a document of another `kind` (a Pod, a
/// Fleet) is refused, naming the kind.
pub fn load_fleet_autoscaler(text: &str) -> Result<FleetAutoscaler, String> {
    let value: serde_json::Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?
    } else {
        from_yaml(text)?
    };
    if let Some(kind) = value.get("kind")
        && kind.as_str() != Some("FleetAutoscaler")
    {
        return Err(format!("kind is {kind}, not \"FleetAutoscaler\""));
    }
    if value.get("policy").is_some() && value.get("spec").is_none() {
        let spec: FleetAutoscalerSpec = serde_json::from_value(value)
            .map_err(|e| format!("invalid FleetAutoscaler spec: {e}"))?;
        return Ok(FleetAutoscaler {
            spec,
            ..FleetAutoscaler::default()
        });
    }
    serde_json::from_value(value).map_err(|e| format!("invalid FleetAutoscaler: {e}"))
}

#[cfg(feature = "yaml")]
fn from_yaml(text: &str) -> Result<serde_json::Value, String> {
    serde_saphyr::from_str(text).map_err(|e| format!("invalid YAML: {e}"))
}

#[cfg(not(feature = "yaml"))]
fn from_yaml(_text: &str) -> Result<serde_json::Value, String> {
    Err("YAML support is not built in (feature `yaml`); use JSON".to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn refuses_other_kinds() {
        assert_eq!(
            load_fleet_autoscaler(r#"{"apiVersion":"v1","kind":"Pod","spec":{"containers":[]}}"#),
            Err("kind is \"Pod\", not \"FleetAutoscaler\"".to_string())
        );
        assert_eq!(
            load_fleet_autoscaler(r#"{"kind":7,"spec":{}}"#),
            Err("kind is 7, not \"FleetAutoscaler\"".to_string())
        );
        let fas = load_fleet_autoscaler(
            r#"{"kind":"FleetAutoscaler","spec":{"policy":{"type":"Buffer"}}}"#,
        )
        .unwrap();
        assert_eq!(fas.spec.policy.policy_type, "Buffer");
    }
}
