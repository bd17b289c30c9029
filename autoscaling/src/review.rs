//! Decoding a `FleetAutoscaleReview` the way Go's `encoding/json` does for Agones: field names
//! match case-insensitively, unknown fields are ignored, and the common syntax errors read like
//! Go's (`invalid character 'i' looking for beginning of value`, `unexpected end of JSON input`).

use serde_json::{Map, Value};

use crate::types::FleetAutoscaleReview;

/// Field names of the review schema, by object kind.
fn fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Review => &["request", "response"],
        Kind::Request => &[
            "uid",
            "name",
            "namespace",
            "status",
            "labels",
            "annotations",
        ],
        Kind::Status => &[
            "replicas",
            "readyReplicas",
            "reservedReplicas",
            "allocatedReplicas",
            "allocations",
            "players",
            "counters",
            "lists",
        ],
        Kind::Response => &["uid", "scale", "replicas"],
        Kind::Players => &["count", "capacity"],
        Kind::Aggregate => &["allocatedCount", "allocatedCapacity", "count", "capacity"],
        Kind::StringMap | Kind::AggregateMap => &[],
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Review,
    Request,
    Status,
    Response,
    Players,
    Aggregate,
    StringMap,
    AggregateMap,
}

fn child(kind: Kind, field: &str) -> Option<Kind> {
    Some(match (kind, field) {
        (Kind::Review, "request") => Kind::Request,
        (Kind::Review, "response") => Kind::Response,
        (Kind::Request, "status") => Kind::Status,
        (Kind::Request, "labels" | "annotations") => Kind::StringMap,
        (Kind::Status, "players") => Kind::Players,
        (Kind::Status, "counters" | "lists") => Kind::AggregateMap,
        _ => return None,
    })
}

fn canonicalize(v: Value, kind: Kind) -> Value {
    let Value::Object(map) = v else {
        return v;
    };
    let mut out = Map::new();
    if kind == Kind::AggregateMap {
        for (k, v) in map {
            out.insert(k, canonicalize(v, Kind::Aggregate));
        }
        return Value::Object(out);
    }
    if kind == Kind::StringMap {
        return Value::Object(map);
    }
    let names = fields(kind);
    // Exact names first, then case-insensitive ones (Go prefers an exact match).
    let mut exact = Vec::new();
    let mut folded = Vec::new();
    for (k, v) in map {
        if let Some(name) = names.iter().find(|n| **n == k) {
            exact.push((*name, v));
        } else if let Some(name) = names.iter().find(|n| n.eq_ignore_ascii_case(&k)) {
            folded.push((*name, v));
        }
    }
    for (name, v) in folded.into_iter().chain(exact) {
        let v = match child(kind, name) {
            Some(k) => canonicalize(v, k),
            None => v,
        };
        out.insert(name.to_string(), v);
    }
    Value::Object(out)
}

fn parse_value(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice::<Value>(bytes).map_err(|e| gotext::json::syntax_error(bytes, &e))
}

/// Decodes a review with Go's leniency (case-insensitive names, unknown fields ignored).
pub fn decode_review(bytes: &[u8]) -> Result<FleetAutoscaleReview, String> {
    let v = parse_value(bytes)?;
    if !v.is_object() && !v.is_null() {
        return Err(format!(
            "json: cannot unmarshal {} into Go value of type v1.FleetAutoscaleReview",
            json_type(&v)
        ));
    }
    let v = if v.is_null() {
        Value::Object(Map::new())
    } else {
        canonicalize(v, Kind::Review)
    };
    serde_json::from_value(v).map_err(|e| format!("json: {e}"))
}

/// Decodes into an existing review as Go's `json.Unmarshal` does: only the keys present replace
/// the current values.
pub fn decode_review_into(bytes: &[u8], review: &mut FleetAutoscaleReview) -> Result<(), String> {
    let v = parse_value(bytes)?;
    let Value::Object(_) = &v else {
        if v.is_null() {
            return Ok(());
        }
        return Err(format!(
            "json: cannot unmarshal {} into Go value of type v1.FleetAutoscaleReview",
            json_type(&v)
        ));
    };
    let Value::Object(map) = canonicalize(v, Kind::Review) else {
        return Ok(());
    };
    if let Some(req) = map.get("request") {
        review.request = serde_json::from_value(req.clone()).map_err(|e| format!("json: {e}"))?;
    }
    if let Some(resp) = map.get("response") {
        review.response = serde_json::from_value(resp.clone()).map_err(|e| format!("json: {e}"))?;
    }
    Ok(())
}

use gotext::json::type_name as json_type;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_like_errors() {
        assert_eq!(
            decode_review(b"invalid data{}").unwrap_err(),
            "invalid character 'i' looking for beginning of value"
        );
        assert_eq!(
            decode_review(b"  ").unwrap_err(),
            "unexpected end of JSON input"
        );
        assert_eq!(
            decode_review(b"not json").unwrap_err(),
            "invalid character 'o' in literal null (expecting 'u')"
        );
        assert_eq!(
            decode_review(b"{\"a\":1").unwrap_err(),
            "unexpected end of JSON input"
        );
        assert_eq!(
            decode_review(b"{} x").unwrap_err(),
            "invalid character 'x' after top-level value"
        );
    }

    #[test]
    fn case_insensitive_fields() {
        let r = decode_review(br#"{"Response":{"Scale":true,"REPLICAS":11,"extra":1}}"#).unwrap();
        let resp = r.response.unwrap();
        assert!(resp.scale);
        assert_eq!(resp.replicas, 11);
        let r = decode_review(
            br#"{"request":{"status":{"Replicas":5,"counters":{"Rooms":{"Count":2}}}}}"#,
        )
        .unwrap();
        let st = r.request.unwrap().status;
        assert_eq!(st.replicas, 5);
        assert_eq!(st.counters["Rooms"].count, 2);
    }
}
