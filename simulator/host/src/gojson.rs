//! Decoding the JSON guests send, with Go `encoding/json` semantics and error texts where they
//! matter (the texts become part of a trap message, so they are approximations of Go's).

use crate::events::RecordedEvent;
use serde_json::Value;

use gotext::json::{syntax_error, type_name as kind};

/// `json.Unmarshal(b, &map[string]int)` for `result.normalized_score_list`. `Ok(None)` for `null`
/// (the map stays nil, meaning "unchanged"); entries in key order.
pub(crate) fn decode_score_map(b: &[u8]) -> Result<Option<Vec<(String, i64)>>, String> {
    let v: Value = serde_json::from_slice(b).map_err(|e| syntax_error(b, &e))?;
    match v {
        Value::Null => Ok(None),
        Value::Object(m) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                let score = match &v {
                    Value::Null => 0,
                    Value::Number(n) => n.as_i64().ok_or_else(|| {
                        format!("json: cannot unmarshal number {n} into Go value of type int")
                    })?,
                    other => {
                        return Err(format!(
                            "json: cannot unmarshal {} into Go value of type int",
                            kind(other)
                        ));
                    }
                };
                out.push((k, score));
            }
            Ok(Some(out))
        }
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type map[string]int",
            kind(&other)
        )),
    }
}

/// `json.Unmarshal(b, &EventMessage{})` for `handle.eventrecorder.eventf`.
pub(crate) fn decode_event(b: &[u8]) -> Result<RecordedEvent, String> {
    let v: Value = serde_json::from_slice(b).map_err(|e| syntax_error(b, &e))?;
    match v {
        Value::Null => Ok(RecordedEvent::default()),
        Value::Object(_) => serde_json::from_value(v).map_err(|e| {
            let msg = e.to_string();
            format!("json: cannot unmarshal into Go value of type wasm.EventMessage: {msg}")
        }),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type wasm.EventMessage",
            kind(&other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_maps() {
        assert_eq!(decode_score_map(b"null"), Ok(None));
        assert_eq!(decode_score_map(b"{}"), Ok(Some(vec![])));
        assert_eq!(
            decode_score_map(br#"{"b":2,"a":-1}"#),
            Ok(Some(vec![("a".into(), -1), ("b".into(), 2)]))
        );
        assert_eq!(
            decode_score_map(br#"{"a":1.5}"#).unwrap_err(),
            "json: cannot unmarshal number 1.5 into Go value of type int"
        );
        assert_eq!(
            decode_score_map(b"{").unwrap_err(),
            "unexpected end of JSON input"
        );
        assert_eq!(
            decode_score_map(b"x").unwrap_err(),
            "invalid character 'x' looking for beginning of value"
        );
        assert_eq!(
            decode_score_map(b"[1]").unwrap_err(),
            "json: cannot unmarshal array into Go value of type map[string]int"
        );
    }

    #[test]
    fn events() {
        let e = decode_event(
            br#"{"RegardingReference":{"Kind":"Pod","Name":"good-pod"},"Eventtype":"PreScore","Reason":"not match lastNumber","Action":"Skip","Note":"","Extra":1}"#,
        )
        .unwrap();
        assert_eq!(
            e.fake_recorder_message(),
            "good-pod PreScore not match lastNumber Skip "
        );
        assert_eq!(e.regarding.kind, "Pod");
    }
}
