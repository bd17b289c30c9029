//! Node selector terms, parsed once and matched against nodes as
//! `k8s.io/component-helpers/scheduling/corev1/nodeaffinity` and `k8s.io/apimachinery/pkg/labels`
//! do (v0.33): the same operators, the same validation (a term that fails to parse matches no
//! node), and the same `metadata.name` field rule.

use std::collections::BTreeMap;

use crate::api;

/// One parsed label requirement.
#[derive(Debug, Clone, PartialEq)]
enum LabelOp {
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
    Gt(i64),
    Lt(i64),
}

#[derive(Debug, Clone, PartialEq)]
struct LabelRequirement {
    key: String,
    op: LabelOp,
}

impl LabelRequirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match &self.op {
            LabelOp::In(values) => value.is_some_and(|v| values.contains(v)),
            LabelOp::NotIn(values) => value.is_none_or(|v| !values.contains(v)),
            LabelOp::Exists => value.is_some(),
            LabelOp::DoesNotExist => value.is_none(),
            // A label value that is no integer matches neither Gt nor Lt.
            LabelOp::Gt(bound) => value
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *bound),
            LabelOp::Lt(bound) => value
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *bound),
        }
    }
}

/// One parsed field requirement (`matchFields`): `In`/`NotIn` with exactly one value.
#[derive(Debug, Clone, PartialEq)]
struct FieldRequirement {
    key: String,
    value: String,
    equal: bool,
}

/// A parsed `NodeSelectorTerm`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Term {
    /// `None` when the term has no `matchExpressions`.
    labels: Option<Vec<LabelRequirement>>,
    /// `None` when the term has no `matchFields`.
    fields: Option<Vec<FieldRequirement>>,
    /// The parse errors; a term with errors matches nothing.
    errors: Vec<String>,
}

/// What a term is matched against: the node's labels and name.
#[derive(Clone, Copy)]
pub(crate) struct NodeView<'a> {
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
}

impl Term {
    /// Whether the term has neither `matchExpressions` nor `matchFields` (it selects nothing and
    /// is dropped).
    pub(crate) fn is_empty(term: &api::NodeSelectorTerm) -> bool {
        term.match_expressions.is_empty() && term.match_fields.is_empty()
    }

    /// Parses a term. `path` prefixes error messages.
    pub(crate) fn parse(term: &api::NodeSelectorTerm, path: &str) -> Term {
        let mut errors = Vec::new();
        let labels = (!term.match_expressions.is_empty()).then(|| {
            let mut requirements = Vec::with_capacity(term.match_expressions.len());
            for (i, expr) in term.match_expressions.iter().enumerate() {
                let p = format!("{path}.matchExpressions[{i}]");
                match parse_label_requirement(expr, &p) {
                    Ok(r) => requirements.push(r),
                    Err(mut e) => errors.append(&mut e),
                }
            }
            requirements
        });
        let fields = (!term.match_fields.is_empty()).then(|| {
            let mut requirements = Vec::with_capacity(term.match_fields.len());
            for (i, expr) in term.match_fields.iter().enumerate() {
                let p = format!("{path}.matchFields[{i}]");
                match parse_field_requirement(expr, &p) {
                    Ok(r) => requirements.push(r),
                    Err(e) => errors.push(e),
                }
            }
            requirements
        });
        Term {
            labels,
            fields,
            errors,
        }
    }

    /// The parse errors (empty when the term is valid).
    pub(crate) fn errors(&self) -> &[String] {
        &self.errors
    }

    /// Whether the node matches the term. A term with parse errors matches nothing. `matchFields`
    /// are ignored for a node without a name, as kube-scheduler does.
    pub(crate) fn matches(&self, node: NodeView<'_>) -> bool {
        if !self.errors.is_empty() {
            return false;
        }
        if let Some(labels) = &self.labels
            && !labels.iter().all(|r| r.matches(node.labels))
        {
            return false;
        }
        if let Some(fields) = &self.fields
            && !node.name.is_empty()
        {
            let all = fields.iter().all(|r| {
                // The only node field is metadata.name; any other key reads as "".
                let actual = if r.key == "metadata.name" {
                    node.name
                } else {
                    ""
                };
                (actual == r.value) == r.equal
            });
            if !all {
                return false;
            }
        }
        true
    }
}

/// A parsed required `NodeSelector`: the non-empty terms, ORed. No term matches nothing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RequiredSelector {
    terms: Vec<Term>,
}

impl RequiredSelector {
    pub(crate) fn parse(selector: &api::NodeSelector, path: &str) -> RequiredSelector {
        let terms = selector
            .node_selector_terms
            .iter()
            .enumerate()
            .filter(|(_, t)| !Term::is_empty(t))
            .map(|(i, t)| Term::parse(t, &format!("{path}.nodeSelectorTerms[{i}]")))
            .collect();
        RequiredSelector { terms }
    }

    pub(crate) fn matches(&self, node: NodeView<'_>) -> bool {
        self.terms.iter().any(|t| t.matches(node))
    }

    pub(crate) fn errors(&self) -> impl Iterator<Item = &String> {
        self.terms.iter().flat_map(|t| t.errors().iter())
    }
}

/// Parsed preferred terms: `(weight, term)`, without zero-weight or empty terms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PreferredTerms {
    terms: Vec<(i64, Term)>,
}

impl PreferredTerms {
    /// Parses preferred terms; any parse error fails the whole list, as
    /// `NewPreferredSchedulingTerms` does.
    pub(crate) fn parse(
        terms: &[api::PreferredSchedulingTerm],
        path: &str,
    ) -> Result<PreferredTerms, String> {
        let mut parsed = Vec::with_capacity(terms.len());
        let mut errors = Vec::new();
        for (i, term) in terms.iter().enumerate() {
            if term.weight == 0 || Term::is_empty(&term.preference) {
                continue;
            }
            let t = Term::parse(&term.preference, &format!("{path}[{i}]"));
            if t.errors.is_empty() {
                parsed.push((i64::from(term.weight), t));
            } else {
                errors.extend(t.errors);
            }
        }
        if errors.is_empty() {
            Ok(PreferredTerms { terms: parsed })
        } else {
            Err(errors.join(", "))
        }
    }

    /// The sum of the weights of the matching terms.
    pub(crate) fn score(&self, node: NodeView<'_>) -> i64 {
        self.terms
            .iter()
            .filter(|(_, t)| t.matches(node))
            .map(|(w, _)| *w)
            .sum()
    }
}

fn parse_label_requirement(
    expr: &api::NodeSelectorRequirement,
    path: &str,
) -> Result<LabelRequirement, Vec<String>> {
    let mut errors = Vec::new();
    let values = &expr.values;
    let op = match expr.operator.as_str() {
        "In" | "NotIn" => {
            if values.is_empty() {
                errors.push(format!(
                    "{path}.values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"
                ));
            }
            if expr.operator == "In" {
                LabelOp::In(values.clone())
            } else {
                LabelOp::NotIn(values.clone())
            }
        }
        "Exists" | "DoesNotExist" => {
            if !values.is_empty() {
                errors.push(format!(
                    "{path}.values: Invalid value: {values:?}: values set must be empty for exists and does not exist"
                ));
            }
            if expr.operator == "Exists" {
                LabelOp::Exists
            } else {
                LabelOp::DoesNotExist
            }
        }
        "Gt" | "Lt" => {
            if values.len() != 1 {
                errors.push(format!(
                    "{path}.values: Invalid value: {values:?}: for 'Gt', 'Lt' operators, exactly one value is required"
                ));
            }
            let mut bound = 0;
            for (i, v) in values.iter().enumerate() {
                match v.parse::<i64>() {
                    Ok(b) => bound = b,
                    Err(_) => errors.push(format!(
                        "{path}.values[{i}]: Invalid value: {v:?}: for 'Gt', 'Lt' operators, the value must be an integer"
                    )),
                }
            }
            if expr.operator == "Gt" {
                LabelOp::Gt(bound)
            } else {
                LabelOp::Lt(bound)
            }
        }
        other => {
            return Err(vec![format!(
                "{path}.operator: Unsupported value: {other:?}: supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", \"Gt\", \"Lt\""
            )]);
        }
    };
    if let Err(e) = validate_qualified_name(&expr.key) {
        errors.insert(0, format!("{path}.key: Invalid value: {:?}: {e}", expr.key));
    }
    for (i, v) in values.iter().enumerate() {
        if let Err(e) = validate_label_value(v) {
            errors.push(format!("{path}.values[{i}]: Invalid value: {v:?}: {e}"));
        }
    }
    if errors.is_empty() {
        Ok(LabelRequirement {
            key: expr.key.clone(),
            op,
        })
    } else {
        Err(errors)
    }
}

fn parse_field_requirement(
    expr: &api::NodeSelectorRequirement,
    path: &str,
) -> Result<FieldRequirement, String> {
    let equal = match expr.operator.as_str() {
        "In" => true,
        "NotIn" => false,
        other => {
            return Err(format!(
                "{path}.operator: Unsupported value: {other:?}: supported values: \"In\", \"NotIn\""
            ));
        }
    };
    match expr.values.as_slice() {
        [value] => Ok(FieldRequirement {
            key: expr.key.clone(),
            value: value.clone(),
            equal,
        }),
        values => Err(format!(
            "{path}.values: Invalid value: {values:?}: must have one element"
        )),
    }
}

/// `[A-Za-z0-9]` at both ends, `[-A-Za-z0-9_.]` inside, 1..=63 bytes.
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A lowercase RFC 1123 subdomain of at most 253 bytes.
fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.first()
                    .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && b.last()
                    .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// `validation.IsQualifiedName`: `[prefix/]name`.
pub(crate) fn validate_qualified_name(key: &str) -> Result<(), &'static str> {
    let name = match key.split_once('/') {
        None => key,
        Some((prefix, name)) => {
            if name.contains('/') {
                return Err("a qualified name must have at most one '/'");
            }
            if prefix.is_empty() {
                return Err("prefix part must be non-empty");
            }
            if !is_dns1123_subdomain(prefix) {
                return Err("prefix part must be a lowercase RFC 1123 subdomain");
            }
            name
        }
    };
    if name.is_empty() {
        return Err("name part must be non-empty");
    }
    if name.len() > 63 {
        return Err("name part must be no more than 63 characters");
    }
    if !is_qualified_name_part(name) {
        return Err(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        );
    }
    Ok(())
}

/// `validation.IsValidLabelValue`: empty, or a qualified-name part of at most 63 bytes.
pub(crate) fn validate_label_value(value: &str) -> Result<(), &'static str> {
    if value.len() > 63 {
        return Err("must be no more than 63 characters");
    }
    if !value.is_empty() && !is_qualified_name_part(value) {
        return Err(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names() {
        for ok in [
            "a",
            "zone",
            "kubernetes.io/hostname",
            "node-role.kubernetes.io/control-plane",
            "A_b.c-D",
            "1",
        ] {
            assert!(validate_qualified_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a/b/c",
            "-a",
            "a-",
            "Example.com/a",
            "has space",
            &"x".repeat(64),
        ] {
            assert!(validate_qualified_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_values() {
        for ok in ["", "a", "1", "100", "a.b_c-d"] {
            assert!(validate_label_value(ok).is_ok(), "{ok}");
        }
        for bad in ["-5", "+5", "a b", "a-", &"x".repeat(64)] {
            assert!(validate_label_value(bad).is_err(), "{bad}");
        }
    }
}
