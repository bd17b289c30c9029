//! The Istio burst load-feedback header (`X-Load-Feedback`):
//! `service=<ns>/<name>, current-load=N, target-load=N, max-load=N`, derived from an HPA as the
//! burst metrics service does (target = floor(max × 0.8), or max when that is 0).
//!
//! The parser is tolerant (any order, spaces optional, unknown keys ignored, `service` optional —
//! a scheduler plugin reads `current-load=3, target-load=6, max-load=8` from a node annotation) and
//! says which part is malformed; the formatter is strict.
//!
//! ```
//! use fleet_autoscaling::burst::LoadFeedback;
//! let f: LoadFeedback = "max-load=8,current-load=3 , target-load=6, zone=a".parse().unwrap();
//! assert_eq!((f.current_load, f.target_load, f.max_load), (3, 6, 8));
//! assert_eq!(f.to_string(), "current-load=3, target-load=6, max-load=8");
//! let err = "current-load=x, target-load=6, max-load=8".parse::<LoadFeedback>().unwrap_err();
//! assert_eq!(err.to_string(), "malformed load feedback: part 1 `current-load=x`: current-load is not an integer");
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The header name.
pub const HEADER_NAME: &str = "X-Load-Feedback";

/// The burst service's `TargetPercent`.
pub const TARGET_PERCENT: f64 = 0.8;

/// A parsed load-feedback value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadFeedback {
    /// `<namespace>/<scaleTargetRef.name>`, when present.
    pub service: Option<String>,
    /// Replicas now.
    pub current_load: i64,
    /// Replicas at which to burst elsewhere.
    pub target_load: i64,
    /// Max replicas.
    pub max_load: i64,
}

/// What is wrong with a header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based index of the comma-separated part (0 when the whole value is at fault).
    pub part: usize,
    /// The part's text.
    pub text: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.part == 0 {
            write!(f, "malformed load feedback: {}", self.reason)
        } else {
            write!(
                f,
                "malformed load feedback: part {} `{}`: {}",
                self.part, self.text, self.reason
            )
        }
    }
}

impl std::error::Error for ParseError {}

impl FromStr for LoadFeedback {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<LoadFeedback, ParseError> {
        let mut service = None;
        let (mut current, mut target, mut max) = (None, None, None);
        for (i, raw) in s.split(',').enumerate() {
            let part = raw.trim();
            let err = |reason: String| ParseError {
                part: i + 1,
                text: part.to_string(),
                reason,
            };
            if part.is_empty() {
                continue;
            }
            let Some((k, v)) = part.split_once('=') else {
                return Err(err("expected key=value".to_string()));
            };
            let (k, v) = (k.trim(), v.trim());
            let slot = match k.to_ascii_lowercase().as_str() {
                "service" => {
                    if v.is_empty() {
                        return Err(err("service is empty".to_string()));
                    }
                    if service.is_some() {
                        return Err(err("service given twice".to_string()));
                    }
                    service = Some(v.to_string());
                    continue;
                }
                "current-load" => &mut current,
                "target-load" => &mut target,
                "max-load" => &mut max,
                _ => continue,
            };
            let n: i64 = v
                .parse()
                .map_err(|_| err(format!("{k} is not an integer")))?;
            if n < 0 {
                return Err(err(format!("{k} is negative")));
            }
            if slot.is_some() {
                return Err(err(format!("{k} given twice")));
            }
            *slot = Some(n);
        }
        let missing = |k: &str| ParseError {
            part: 0,
            text: s.to_string(),
            reason: format!("{k} is missing"),
        };
        Ok(LoadFeedback {
            service,
            current_load: current.ok_or_else(|| missing("current-load"))?,
            target_load: target.ok_or_else(|| missing("target-load"))?,
            max_load: max.ok_or_else(|| missing("max-load"))?,
        })
    }
}

impl fmt::Display for LoadFeedback {
    /// The exact header format (`service=` first when known, `, ` separators).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.service {
            write!(f, "service={s}, ")?;
        }
        write!(
            f,
            "current-load={}, target-load={}, max-load={}",
            self.current_load, self.target_load, self.max_load
        )
    }
}

/// The parts of an `autoscaling/v2` HorizontalPodAutoscaler the burst service reads (metadata may
/// be nested or flat).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hpa {
    /// `metadata`.
    #[serde(default)]
    pub metadata: Option<crate::types::ObjectMeta>,
    /// Flat namespace (vectors).
    #[serde(default)]
    pub namespace: Option<String>,
    /// `spec`.
    #[serde(default)]
    pub spec: Option<HpaSpec>,
    /// `status`.
    #[serde(default)]
    pub status: Option<HpaStatus>,
}

/// HPA `spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaSpec {
    /// Max replicas.
    #[serde(default)]
    pub max_replicas: i32,
    /// Min replicas.
    #[serde(default)]
    pub min_replicas: Option<i32>,
    /// Target.
    #[serde(default)]
    pub scale_target_ref: ScaleTargetRef,
}

/// HPA `spec.scaleTargetRef`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScaleTargetRef {
    /// Kind.
    #[serde(default)]
    pub kind: String,
    /// Name.
    #[serde(default)]
    pub name: String,
}

/// HPA `status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaStatus {
    /// Current replicas.
    #[serde(default)]
    pub current_replicas: Option<i32>,
    /// Desired replicas.
    #[serde(default)]
    pub desired_replicas: Option<i32>,
}

/// The burst service's `ToHPAMetrics(hpa, percent)`: current = status.currentReplicas (0 if
/// unset), max = spec.maxReplicas, target = floor(max × percent) or max when that is 0.
pub fn from_hpa(hpa: &Hpa, target_percent: f64) -> Result<LoadFeedback, String> {
    let spec = hpa
        .spec
        .as_ref()
        .ok_or("Cannot get HPA Spec because hpa is null")?;
    let status = hpa
        .status
        .as_ref()
        .ok_or("Cannot get HPA metrics because hpa is null")?;
    let max = i64::from(spec.max_replicas);
    let namespace = hpa
        .metadata
        .as_ref()
        .map(|m| m.namespace.clone())
        .filter(|n| !n.is_empty())
        .or_else(|| hpa.namespace.clone())
        .unwrap_or_default();
    let mut target = (max as f64 * target_percent).floor() as i64;
    if target == 0 {
        target = max;
    }
    Ok(LoadFeedback {
        service: Some(format!("{namespace}/{}", spec.scale_target_ref.name)),
        current_load: i64::from(status.current_replicas.unwrap_or(0)),
        target_load: target,
        max_load: max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format() {
        let f: LoadFeedback = "service=default/echo, current-load=1, target-load=1, max-load=2"
            .parse()
            .unwrap();
        assert_eq!(f.service.as_deref(), Some("default/echo"));
        assert_eq!(
            f.to_string(),
            "service=default/echo, current-load=1, target-load=1, max-load=2"
        );
        let e = "current-load=1, max-load=2"
            .parse::<LoadFeedback>()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed load feedback: target-load is missing"
        );
        let e = "current-load=1, target-load, max-load=2"
            .parse::<LoadFeedback>()
            .unwrap_err();
        assert_eq!(e.part, 2);
        assert!(
            "current-load=-1, target-load=1, max-load=2"
                .parse::<LoadFeedback>()
                .is_err()
        );
        assert!(
            "current-load=1,current-load=1, target-load=1, max-load=2"
                .parse::<LoadFeedback>()
                .is_err()
        );
    }
}
